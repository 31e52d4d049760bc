/*
 * redis_sync.h - keeps the steering table equal to what Redis holds.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A thread of its own, so no resolver worker ever waits on the network:
 *  - at start and after every reconnection, a full reconciliation: SCAN
 *    every key under the prefix, HGETALL them in pipelined batches, judge
 *    each (keyspace.h), and commit everything at once (a table that is
 *    empty or came from a snapshot is replaced whole; otherwise only what
 *    differs changes, the removal of vanished keys included);
 *  - in between, Redis names the keys that changed: by server-assisted
 *    client-side caching in broadcast mode (CLIENT TRACKING ... BCAST
 *    PREFIX, which needs no CONFIG and works on replicas), or, where the
 *    server lacks it, by keyspace notifications (PSUBSCRIBE); each key
 *    is fetched again on a connection of its own, also while a full
 *    reconciliation runs, and the keys of one batch are committed
 *    together;
 *  - redis-server may list several servers (replicas near by): the
 *    thread connects to the first that answers and moves on to the next
 *    when it fails;
 *  - a heartbeat: the thread hears from Redis at least once a second
 *    (PING when idle), and a Redis that stops answering is treated as
 *    unreachable after a few seconds;
 *  - every resync-interval seconds, a full reconciliation again, in case
 *    a notification was lost;
 *  - while Redis is unreachable, the table stays as it is, connection
 *    attempts back off from 100 ms to 5 s, and one line is logged per
 *    state change; with max-stale, once the data is older than that, the
 *    table counts as stale (nobody gets the CN pool);
 *  - with snapshot-file, the table is written to disk after every full
 *    reconciliation and after changes, at most every 2 s (snapshot.h).
 * It never calls into Unbound except through cnroute_log (see the top
 * of redis_sync.c for why that is safe across a reload).
 */
#ifndef CNROUTE_REDIS_SYNC_H
#define CNROUTE_REDIS_SYNC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "cnroute/conf.h"
#include "cnroute/stats.h"
#include "cnroute/steering.h"

/** Resolved Redis address (plugin/sync/redis_conn.h). */
struct redis_addr;

/** How changes reach the thread between full reconciliations. */
enum redis_change_mode {
	/** not connected yet, or nothing tells us (full reconciliations
	 *  only) */
	REDIS_CHANGES_NONE = 0,
	/** server-assisted client-side caching, broadcast mode: CLIENT
	 *  TRACKING ... BCAST PREFIX, invalidations on __redis__:invalidate
	 *  (no CONFIG needed; replicas send them for replicated writes) */
	REDIS_CHANGES_TRACKING,
	/** keyspace notifications (PSUBSCRIBE __keyspace@DB__:PREFIX*), the
	 *  fallback for servers without tracking */
	REDIS_CHANGES_KEYSPACE
};

/** The mode's name, for logs and the fleet status: "tracking",
 *  "keyspace", "none". */
const char *redis_change_mode_name(int mode);

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
	/** where each of conf->redis_servers is, resolved before the
	 *  thread starts; an address whose host name did not resolve is
	 *  not known (the thread then tries again, in the background, as
	 *  it would connect again) */
	struct redis_addr *addrs;
	/** index in conf->redis_servers of the server the thread is
	 *  connected to, -1 while it is not: read by the fleet status */
	atomic_int server;
	/** how changes reach the thread (enum redis_change_mode) */
	atomic_int change_mode;
	/** Unix time of the last change applied to the table, 0: none
	 *  since start */
	_Atomic int64_t last_change;
	/** called (from the sync thread) after a commit that gave names
	 *  their first route, so answers cached for them before can be
	 *  dropped; and once with names NULL when the first full load is
	 *  committed (names resolved before it may have been cached as
	 *  unmanaged). May be NULL. */
	steering_routes_added_fn routes_added;
	/** argument of routes_added */
	void *routes_added_ctx;
	/** the table was loaded from a snapshot (or handed over by the
	 *  previous instance): the first full reconciliation replaces it
	 *  whole */
	int from_snapshot;
	/** Unix time of the Redis state the table holds: the snapshot's at
	 *  first, then the last contact with Redis. Staleness counts from
	 *  it; snapshots record it. */
	_Atomic int64_t data_time;
	/** 1 while the table holds changes the snapshot file lacks */
	atomic_int snapshot_dirty;
};

/**
 * Start the sync thread. Returns at once: the first load happens in the
 * background (until it is committed, the table is not loaded unless it
 * came from a snapshot: see steering_table_is_loaded).
 * @param routes_added: see struct redis_sync; may be NULL.
 * @param routes_added_ctx: its argument.
 * @param snapshot_time: Unix time of the snapshot the table was loaded
 *	from, or 0 when it was not.
 * @return 0 or -1 (thread or pipe creation failed; logged).
 */
int redis_sync_start(struct redis_sync *sync, const struct cnroute_conf *conf,
	struct steering_table *table, struct cnroute_stats *stats,
	steering_routes_added_fn routes_added, void *routes_added_ctx,
	int64_t snapshot_time);

/** Stop the thread and wait for it (at most about a second). Safe to
 *  call if it never started. */
void redis_sync_stop(struct redis_sync *sync);

#endif /* CNROUTE_REDIS_SYNC_H */
