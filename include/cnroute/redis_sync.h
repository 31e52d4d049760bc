/*
 * redis_sync.h - keeps the steering table equal to what Redis holds.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A thread of its own, so no resolver worker ever waits on the network:
 *  - at start and after every reconnection, a full reconciliation: SCAN
 *    every key under the prefix, HGETALL them in pipelined batches, judge
 *    each (keyspace.h), and commit everything at once (the first load
 *    builds a fresh table and swaps it in; later ones change only what
 *    differs, the removal of vanished keys included);
 *  - in between, keyspace notifications (PSUBSCRIBE) name the keys that
 *    changed; each is fetched again, and the keys of one batch of
 *    notifications are committed together, so a plain HSET/HDEL/DEL/
 *    EXPIRE takes effect within milliseconds;
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
	/** called (from the sync thread) after a commit that gave names
	 *  their first route, so answers cached for them before can be
	 *  dropped; and once with names NULL when the first full load is
	 *  committed (names resolved before it may have been cached as
	 *  unmanaged). May be NULL. */
	steering_routes_added_fn routes_added;
	/** argument of routes_added */
	void *routes_added_ctx;
};

/**
 * Start the sync thread. Returns at once: the first load happens in the
 * background (until it is committed, the table is not loaded: see
 * steering_table_is_loaded).
 * @param routes_added: see struct redis_sync; may be NULL.
 * @param routes_added_ctx: its argument.
 * @return 0 or -1 (thread or pipe creation failed; logged).
 */
int redis_sync_start(struct redis_sync *sync, const struct cnroute_conf *conf,
	struct steering_table *table, struct cnroute_stats *stats,
	steering_routes_added_fn routes_added, void *routes_added_ctx);

/** Stop the thread and wait for it. Safe to call if it never started. */
void redis_sync_stop(struct redis_sync *sync);

#endif /* CNROUTE_REDIS_SYNC_H */
