/*
 * redis_sync.h - keeps the steering table equal to what Redis holds.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A thread of its own, so no resolver worker ever waits on the network:
 *  - at start and after every reconnection, a full reconciliation: SCAN
 *    every key under the prefix, HGETALL them in pipelined batches, store
 *    what changed, then sweep what was not seen;
 *  - in between, keyspace notifications (PSUBSCRIBE) name the keys that
 *    changed; each is fetched again and stored or removed, so a plain
 *    HSET/HDEL/DEL/EXPIRE takes effect within milliseconds;
 *  - every resync-interval seconds, a full reconciliation again, in case a
 *    notification was lost;
 *  - while Redis is unreachable, the table stays as it is, connection
 *    attempts back off from 100 ms to 5 s, and one line is logged per
 *    state change.
 */
#ifndef CNROUTE_REDIS_SYNC_H
#define CNROUTE_REDIS_SYNC_H

#include <pthread.h>
#include <stdint.h>
#include "cnroute/conf.h"
#include "cnroute/stats.h"
#include "cnroute/steering.h"

/** The sync thread's handle. */
struct redis_sync {
	/** configuration (Redis address, prefix, intervals) */
	const struct cnroute_conf *conf;
	/** table kept current */
	struct steering_table *table;
	/** counters */
	struct cnroute_stats *stats;
	/** the thread */
	pthread_t thread;
	/** write end wakes the thread to stop; read end is polled */
	int wake_pipe[2];
	/** whether the thread runs */
	int running;
	/** called (from the sync thread) when a route appears for a name
	 *  that had none, so answers cached for it before can be dropped;
	 *  and once with name NULL when the first full load is done (names
	 *  resolved before it may have been cached unmanaged). May be NULL. */
	void (*route_added)(void *ctx, const uint8_t *name, size_t name_len);
	/** argument of route_added */
	void *route_added_ctx;
};

/**
 * Start the sync thread. Returns at once: the first load happens in the
 * background (the table starts empty, which answers offshore for all).
 * @param route_added: see struct redis_sync; may be NULL.
 * @param route_added_ctx: its argument.
 * @return 0 or -1 (thread or pipe creation failed; logged).
 */
int redis_sync_start(struct redis_sync *sync, const struct cnroute_conf *conf,
	struct steering_table *table, struct cnroute_stats *stats,
	void (*route_added)(void *ctx, const uint8_t *name, size_t name_len),
	void *route_added_ctx);

/** Stop the thread and wait for it. Safe to call if it never started. */
void redis_sync_stop(struct redis_sync *sync);

/**
 * Split a Redis key into its kind and canonical name.
 * @param prefix: the key prefix ("cnroute:").
 * @param key: the key.
 * @param key_len: its length.
 * @param name: out, DNAME_MAX_WIRE bytes.
 * @param name_len: out.
 * @return 'f' for a filing key, 'r' for a route key, 0 for a key that is
 *	neither (ignored), -1 for a filing/route key with a malformed name.
 */
int redis_key_classify(const char *prefix, const char *key, size_t key_len,
	uint8_t *name, size_t *name_len);

#endif /* CNROUTE_REDIS_SYNC_H */
