/*
 * stats.c - add up the module's counters and write them to the metrics
 * file (Prometheus text) and the deprecated stats file.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/metrics.h"
#include "cnroute/stats.h"
#include "cnroute/version.h"

/** Load a counter for adding up. */
#define STATS_GET(p) atomic_load_explicit(p, memory_order_relaxed)

int
stats_init_workers(struct cnroute_stats *stats, unsigned worker_count)
{
	if(worker_count == 0)
		worker_count = 1;
	stats->workers = aligned_alloc(_Alignof(struct stats_worker),
		worker_count * sizeof(struct stats_worker));
	if(!stats->workers)
		return -1;
	memset(stats->workers, 0, worker_count * sizeof(struct stats_worker));
	stats->worker_count = worker_count;
	return 0;
}

void
stats_free_workers(struct cnroute_stats *stats)
{
	free(stats->workers);
	stats->workers = NULL;
	stats->worker_count = 0;
}

void
stats_observe_apply(struct cnroute_stats *stats, double seconds,
	uint64_t times)
{
	static const double bounds[] = STATS_APPLY_BOUNDS;
	size_t i;
	for(i = 0; i < STATS_APPLY_BOUND_COUNT && seconds > bounds[i]; i++)
		;
	stats->change_apply.counts[i] += times;
	stats->change_apply.sum += seconds * (double)times;
}

void
stats_sum(const struct cnroute_stats *stats, uint64_t filings,
	uint64_t routes, struct stats_totals *t)
{
	unsigned w;
	int p;
	memset(t, 0, sizeof(*t));
	t->redis_connected = STATS_GET(&stats->redis_connected);
	t->stale = STATS_GET(&stats->stale);
	t->redis_errors = STATS_GET(&stats->redis_errors);
	t->full_syncs = STATS_GET(&stats->full_syncs);
	t->notifications = STATS_GET(&stats->notifications);
	t->changes = STATS_GET(&stats->changes);
	t->records_skipped = STATS_GET(&stats->records_skipped);
	t->last_full_sync = STATS_GET(&stats->last_full_sync);
	t->snapshot_time = STATS_GET(&stats->snapshot_time);
	for(w = 0; w < stats->worker_count; w++) {
		const struct stats_worker *s = &stats->workers[w];
		for(p = 0; p < STATS_POOL_COUNT; p++)
			t->answers[p] += STATS_GET(&s->answers[p]);
		t->fail_closed += STATS_GET(&s->fail_closed);
		t->ecs_formerr += STATS_GET(&s->ecs_formerr);
		t->decision_hits += STATS_GET(&s->decision_hits);
		t->decision_misses += STATS_GET(&s->decision_misses);
		t->geoip_hits += STATS_GET(&s->geoip_hits);
		t->geoip_misses += STATS_GET(&s->geoip_misses);
	}
	t->filings = filings;
	t->routes = routes;
}

/** The stats-file's lines (names and meanings frozen). @return 0. */
static int
stats_fill_legacy(FILE *f, void *arg)
{
	const struct stats_totals *t = arg;
	fprintf(f, "redis_connected=%d\n", t->redis_connected);
	fprintf(f, "stale=%d\n", t->stale);
	fprintf(f, "redis_errors=%llu\n", (unsigned long long)t->redis_errors);
	fprintf(f, "full_syncs=%llu\n", (unsigned long long)t->full_syncs);
	fprintf(f, "last_full_sync=%lld\n", (long long)t->last_full_sync);
	fprintf(f, "notifications=%llu\n",
		(unsigned long long)t->notifications);
	fprintf(f, "filings=%llu\n", (unsigned long long)t->filings);
	fprintf(f, "routes=%llu\n", (unsigned long long)t->routes);
	fprintf(f, "records_skipped=%llu\n",
		(unsigned long long)t->records_skipped);
	fprintf(f, "queries_managed=%llu\n", (unsigned long long)(
		t->answers[STATS_POOL_CN] + t->answers[STATS_POOL_OFFSHORE] +
		t->answers[STATS_POOL_RESOLVED]));
	fprintf(f, "answers_cn=%llu\n",
		(unsigned long long)t->answers[STATS_POOL_CN]);
	fprintf(f, "answers_offshore=%llu\n",
		(unsigned long long)t->answers[STATS_POOL_OFFSHORE]);
	fprintf(f, "answers_resolved=%llu\n",
		(unsigned long long)t->answers[STATS_POOL_RESOLVED]);
	fprintf(f, "ecs_formerr=%llu\n", (unsigned long long)t->ecs_formerr);
	fprintf(f, "fail_closed=%llu\n", (unsigned long long)t->fail_closed);
	return 0;
}

int
stats_write(const struct stats_totals *t, const char *path)
{
	return metrics_write_file(path, stats_fill_legacy, (void *)t);
}

/** What stats_metrics writes. */
struct stats_metrics_arg {
	/** the counters (histogram, versions) */
	const struct cnroute_stats *stats;
	/** their sums */
	const struct stats_totals *t;
};

/** Write a family of one unlabelled sample. @return 0 or -1. */
static int
metric_one(struct metrics_writer *w, const char *name, enum metrics_type type,
	const char *help, double value)
{
	if(metrics_family(w, name, type, help) != 0)
		return -1;
	return metrics_sample(w, "", NULL, 0, value);
}

/** The exposition: every family, in the order of the README's table.
 *  @return 0 or -1. */
static int
stats_metrics(struct metrics_writer *w, const struct stats_metrics_arg *a)
{
	static const char *const pools[STATS_POOL_COUNT] = { "cn", "offshore",
		"resolved" };
	static const double bounds[] = STATS_APPLY_BOUNDS;
	const struct stats_totals *t = a->t;
	struct metrics_label labels[2];
	int p;

	if(metrics_family(w, "cnroute_answers_total", METRICS_COUNTER,
		"Answers cnroute steered, by the pool of the answer (each "
		"answer once).") != 0)
		return -1;
	labels[0].name = "pool";
	for(p = 0; p < STATS_POOL_COUNT; p++) {
		labels[0].value = pools[p];
		if(metrics_sample(w, "", labels, 1, (double)t->answers[p]) != 0)
			return -1;
	}
	if(metric_one(w, "cnroute_fail_closed_total", METRICS_COUNTER,
		"Queries answered offshore because data was missing, stale or "
		"out of memory.", (double)t->fail_closed) ||
		metric_one(w, "cnroute_records_skipped_total", METRICS_COUNTER,
		"Records in Redis that could not be used and were skipped.",
		(double)t->records_skipped) ||
		metric_one(w, "cnroute_ecs_formerr_total", METRICS_COUNTER,
		"Queries refused with FORMERR for a malformed ECS option.",
		(double)t->ecs_formerr) ||
		metric_one(w, "cnroute_decision_cache_hits_total",
		METRICS_COUNTER, "Steering decisions answered from the worker "
		"threads' decision caches.", (double)t->decision_hits) ||
		metric_one(w, "cnroute_decision_cache_misses_total",
		METRICS_COUNTER, "Steering decisions made from the table (not "
		"in the decision cache, or the table changed).",
		(double)t->decision_misses) ||
		metric_one(w, "cnroute_geoip_cache_hits_total", METRICS_COUNTER,
		"Client locations answered from the worker threads' GeoIP "
		"caches.", (double)t->geoip_hits) ||
		metric_one(w, "cnroute_geoip_cache_misses_total",
		METRICS_COUNTER, "Client locations looked up in the GeoIP "
		"database.", (double)t->geoip_misses) ||
		metric_one(w, "cnroute_redis_errors_total", METRICS_COUNTER,
		"Redis connection losses and failed connection attempts.",
		(double)t->redis_errors) ||
		metric_one(w, "cnroute_full_syncs_total", METRICS_COUNTER,
		"Full reconciliations with Redis completed.",
		(double)t->full_syncs) ||
		metric_one(w, "cnroute_notifications_total", METRICS_COUNTER,
		"Change notices received from Redis (tracking invalidations "
		"or keyspace notifications), per key.",
		(double)t->notifications) ||
		metric_one(w, "cnroute_changes_total", METRICS_COUNTER,
		"Changes applied to the table from change notices.",
		(double)t->changes) ||
		metric_one(w, "cnroute_redis_up", METRICS_GAUGE,
		"1 while the connection to Redis works.",
		(double)t->redis_connected) ||
		metric_one(w, "cnroute_stale", METRICS_GAUGE,
		"1 while the table is stale (Redis out of reach for longer "
		"than max-stale): nobody gets the CN pool.", (double)t->stale))
		return -1;
	if(metrics_family(w, "cnroute_table_entries", METRICS_GAUGE,
		"Entries in the steering table, by kind.") != 0)
		return -1;
	labels[0].name = "kind";
	labels[0].value = "filing";
	if(metrics_sample(w, "", labels, 1, (double)t->filings) != 0)
		return -1;
	labels[0].value = "route";
	if(metrics_sample(w, "", labels, 1, (double)t->routes) != 0)
		return -1;
	if(metric_one(w, "cnroute_last_full_sync_timestamp_seconds",
		METRICS_GAUGE, "Unix time of the last full reconciliation "
		"(0: none yet).", (double)t->last_full_sync) != 0)
		return -1;
	if(t->snapshot_time != 0 && metric_one(w,
		"cnroute_snapshot_timestamp_seconds", METRICS_GAUGE,
		"Unix time of the data in the snapshot file last written or "
		"started from.", (double)t->snapshot_time) != 0)
		return -1;
	if(metrics_histogram(w, "cnroute_change_apply_seconds", "Seconds from "
		"a change notice reaching cnroute to the table serving the "
		"change.", bounds, a->stats->change_apply.counts,
		STATS_APPLY_BOUND_COUNT, a->stats->change_apply.sum) != 0)
		return -1;
	if(metrics_family(w, "cnroute_build_info", METRICS_GAUGE,
		"The cnroute release and the Unbound it was built for.") != 0)
		return -1;
	labels[0].name = "version";
	labels[0].value = CNROUTE_VERSION;
	labels[1].name = "unbound";
	labels[1].value = a->stats->unbound_version ?
		a->stats->unbound_version : "unknown";
	return metrics_sample(w, "", labels, 2, 1);
}

/** Write the exposition to a file being written. @return 0 or -1. */
static int
stats_fill_metrics(FILE *out, void *arg)
{
	struct metrics_writer w;
	metrics_begin(&w, out);
	if(stats_metrics(&w, arg) != 0 || metrics_error(&w))
		return -1;
	return 0;
}

int
stats_write_metrics(const struct cnroute_stats *stats,
	const struct stats_totals *t, const char *path)
{
	struct stats_metrics_arg a;
	a.stats = stats;
	a.t = t;
	return metrics_write_file(path, stats_fill_metrics, &a);
}
