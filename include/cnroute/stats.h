/*
 * stats.h - counters of the module, written to a file for operators.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Unbound has no statistics hook for dynlib modules, so the counters are
 * relaxed atomics bumped by the workers and the sync thread, and the sync
 * thread writes them as "name=value" lines to the stats-file about once a
 * second (written to a temporary file and renamed, so readers never see
 * half a file).
 */
#ifndef CNROUTE_STATS_H
#define CNROUTE_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/** The counters. Every field is listed in stats_write. */
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
	/** records that could not be parsed and were skipped */
	atomic_ullong records_skipped;
	/** queries for managed names */
	atomic_ullong queries_managed;
	/** answers from the CN pool */
	atomic_ullong answers_cn;
	/** answers from the offshore pool */
	atomic_ullong answers_offshore;
	/** managed-name queries passed on to be resolved normally */
	atomic_ullong answers_resolved;
	/** queries refused with FORMERR for a malformed ECS option */
	atomic_ullong ecs_formerr;
	/** queries answered offshore because data or memory was missing */
	atomic_ullong fail_closed;
	/** unix time of the last full reconciliation */
	atomic_llong last_full_sync;
};

/** Add one to a counter. */
#define STATS_INC(stats, field) \
	atomic_fetch_add_explicit(&(stats)->field, 1, memory_order_relaxed)

/**
 * Write the counters and the table sizes to path (via path.tmp and rename).
 * @return 0 or -1 (errno set).
 */
int stats_write(const struct cnroute_stats *stats, uint64_t filings,
	uint64_t routes, const char *path);

#endif /* CNROUTE_STATS_H */
