/*
 * stats.h - counters of the module, written to files for operators.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Unbound has no statistics hook for dynlib modules, so the sync thread
 * writes the counters itself about once a second: to the metrics-file in
 * the Prometheus text format (node_exporter's textfile collector reads
 * it), and, while it is still configured, to the deprecated stats-file as
 * "name=value" lines. Both are written aside and renamed, so readers
 * never see half a file.
 *
 * Nothing on the query path writes memory another thread writes: each
 * worker thread has a slot of its own (struct stats_worker, a cache line
 * of its own), bumped with a plain load and store, and the writer sums
 * the slots. The sync thread's own counters stay atomics (it is their
 * only writer, and it is off the query path).
 */
#ifndef CNROUTE_STATS_H
#define CNROUTE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/** The pools an answer is counted under (label pool="..."). */
enum stats_pool {
	/** the CN pool */
	STATS_POOL_CN = 0,
	/** the offshore pool */
	STATS_POOL_OFFSHORE,
	/** a managed name passed on to be resolved normally */
	STATS_POOL_RESOLVED,
	/** number of pools */
	STATS_POOL_COUNT
};

/**
 * The counters of one worker thread. Only that thread writes them, so an
 * increment is a relaxed load and store (no locked instruction, no cache
 * line shared with another writer); the writer of the files reads them
 * with relaxed loads.
 */
struct stats_worker {
	/** answers by pool (each steered answer once, by its first
	 *  decision) */
	_Alignas(64) atomic_ullong answers[STATS_POOL_COUNT];
	/** queries answered offshore because data or memory was missing */
	atomic_ullong fail_closed;
	/** queries refused with FORMERR for a malformed ECS option */
	atomic_ullong ecs_formerr;
	/** the thread's decision cache: answers from it, decisions made
	 *  from the table (copied from struct steering_cache) */
	atomic_ullong decision_hits, decision_misses;
	/** the thread's GeoIP cache: lookups from it, from the database
	 *  (copied from struct geoip_cache) */
	atomic_ullong geoip_hits, geoip_misses;
};

/** Add one to a counter of a worker's own slot (that worker only). */
#define STATS_WORKER_INC(slot, field) \
	atomic_store_explicit(&(slot)->field, atomic_load_explicit( \
		&(slot)->field, memory_order_relaxed) + 1, memory_order_relaxed)

/** Set a counter of a worker's own slot to a value the worker keeps
 *  (that worker only). */
#define STATS_WORKER_PUT(slot, field, value) \
	atomic_store_explicit(&(slot)->field, (value), memory_order_relaxed)

/** Upper bounds, seconds, of the change-apply histogram's buckets. */
#define STATS_APPLY_BOUNDS { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, \
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 }
/** Their number. */
#define STATS_APPLY_BOUND_COUNT 14

/** A histogram of seconds. Written and read by the sync thread only. */
struct stats_histogram {
	/** observations per bucket (not cumulative), the last above the
	 *  largest bound */
	uint64_t counts[STATS_APPLY_BOUND_COUNT + 1];
	/** sum of the observations */
	double sum;
};

/** The counters. Every one is in struct stats_totals. */
struct cnroute_stats {
	/** 1 while the sync thread has a working Redis connection */
	atomic_int redis_connected;
	/** 1 while the table is stale (Redis unreachable for longer than
	 *  max-stale): the CN pool is given to nobody */
	atomic_int stale;
	/** Redis connection losses and failed connection attempts */
	atomic_ullong redis_errors;
	/** full reconciliations completed */
	atomic_ullong full_syncs;
	/** keyspace notifications received */
	atomic_ullong notifications;
	/** changes committed to the table from change notices (client
	 *  tracking or keyspace notifications) */
	atomic_ullong changes;
	/** records that could not be parsed and were skipped */
	atomic_ullong records_skipped;
	/** unix time of the last full reconciliation */
	atomic_llong last_full_sync;
	/** unix time of the data in the snapshot file last written or
	 *  started from, 0 while there is none */
	atomic_llong snapshot_time;
	/** from a notice reaching the sync thread to the table serving the
	 *  change: the sync thread's alone */
	struct stats_histogram change_apply;
	/** one slot per worker thread, indexed by Unbound's thread number */
	struct stats_worker *workers;
	/** number of slots */
	unsigned worker_count;
	/** Unbound's version, for cnroute_build_info */
	const char *unbound_version;
};

/** The counters added up at one moment, for writing. */
struct stats_totals {
	/** see struct cnroute_stats */
	int redis_connected, stale;
	/** see struct cnroute_stats */
	uint64_t redis_errors, full_syncs, notifications, changes,
		records_skipped;
	/** see struct cnroute_stats (snapshot_time 0: no snapshot) */
	int64_t last_full_sync, snapshot_time;
	/** the workers' slots summed */
	uint64_t answers[STATS_POOL_COUNT], fail_closed, ecs_formerr;
	/** the workers' caches summed */
	uint64_t decision_hits, decision_misses, geoip_hits, geoip_misses;
	/** table sizes */
	uint64_t filings, routes;
};

/** Add one to a counter of the sync thread (or another single writer
 *  off the query path). */
#define STATS_INC(stats, field) \
	atomic_fetch_add_explicit(&(stats)->field, 1, memory_order_relaxed)

/**
 * Set up the worker slots (init, before the workers run).
 * @return 0 or -1 when out of memory.
 */
int stats_init_workers(struct cnroute_stats *stats, unsigned worker_count);

/** Free the worker slots. */
void stats_free_workers(struct cnroute_stats *stats);

/** The slot of worker thread_num (a number out of range shares the last
 *  slot, losing counts rather than memory safety). */
static inline struct stats_worker *
stats_worker_slot(struct cnroute_stats *stats, unsigned thread_num)
{
	return &stats->workers[thread_num < stats->worker_count ?
		thread_num : stats->worker_count - 1];
}

/** Record an observation of the change-apply histogram (sync thread). */
void stats_observe_apply(struct cnroute_stats *stats, double seconds,
	uint64_t times);

/** Add up every counter now. */
void stats_sum(const struct cnroute_stats *stats, uint64_t filings,
	uint64_t routes, struct stats_totals *t);

/**
 * Write the counters as "name=value" lines to path (via path.tmp and
 * rename): the deprecated stats-file, names and meanings frozen.
 * @return 0 or -1 (errno set).
 */
int stats_write(const struct stats_totals *t, const char *path);

/**
 * Write every metric in the Prometheus text format to path (via
 * path.tmp and rename).
 * @return 0 or -1 (errno set).
 */
int stats_write_metrics(const struct cnroute_stats *stats,
	const struct stats_totals *t, const char *path);

#endif /* CNROUTE_STATS_H */
