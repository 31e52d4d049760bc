/*
 * stats.c - write the module's counters to the stats file.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <string.h>
#include "cnroute/stats.h"

/** Load a counter for printing. */
#define STATS_GET(stats, field) \
	((unsigned long long)atomic_load_explicit(&(stats)->field, \
		memory_order_relaxed))

int
stats_write(const struct cnroute_stats *stats, uint64_t filings,
	uint64_t routes, const char *path)
{
	char tmp[4096];
	FILE *f;
	if(snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if(!f)
		return -1;
	fprintf(f, "redis_connected=%d\n", atomic_load_explicit(
		&((struct cnroute_stats *)stats)->redis_connected,
		memory_order_relaxed));
	fprintf(f, "stale=%d\n", atomic_load_explicit(
		&((struct cnroute_stats *)stats)->stale, memory_order_relaxed));
	fprintf(f, "redis_errors=%llu\n", STATS_GET(stats, redis_errors));
	fprintf(f, "full_syncs=%llu\n", STATS_GET(stats, full_syncs));
	fprintf(f, "last_full_sync=%llu\n", STATS_GET(stats, last_full_sync));
	fprintf(f, "notifications=%llu\n", STATS_GET(stats, notifications));
	fprintf(f, "filings=%llu\n", (unsigned long long)filings);
	fprintf(f, "routes=%llu\n", (unsigned long long)routes);
	fprintf(f, "records_skipped=%llu\n", STATS_GET(stats, records_skipped));
	fprintf(f, "queries_managed=%llu\n", STATS_GET(stats, queries_managed));
	fprintf(f, "answers_cn=%llu\n", STATS_GET(stats, answers_cn));
	fprintf(f, "answers_offshore=%llu\n", STATS_GET(stats, answers_offshore));
	fprintf(f, "answers_resolved=%llu\n", STATS_GET(stats, answers_resolved));
	fprintf(f, "ecs_formerr=%llu\n", STATS_GET(stats, ecs_formerr));
	fprintf(f, "fail_closed=%llu\n", STATS_GET(stats, fail_closed));
	if(fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}
