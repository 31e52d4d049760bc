/*
 * stats.c - "cnroutectl stats": the module's metrics file, for a person.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Reads the metrics-file named in cnroute.conf (Prometheus text, written
 * by the module about once a second) and shows answers by pool, the state
 * of Redis, the table's size and how fast changes are applied (p50 and
 * p99 estimated from the histogram's buckets the way Prometheus'
 * histogram_quantile does). It needs neither Redis nor Unbound: the file
 * is what node_exporter publishes too, so both tell the same.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "cli.h"
#include "commands.h"
#include "json_out.h"

/** Usage of stats. */
static const char usage_stats[] =
	"usage: cnroutectl [-c FILE] stats [--json]\n"
	"\n"
	"Shows the metrics the module writes to the metrics-file of\n"
	"cnroute.conf: answers by pool, Redis state, table sizes, change-apply\n"
	"p50/p99. --json prints them as one JSON object.\n";

/** Most histogram buckets read. */
#define STATS_VIEW_BUCKETS 64
/** Size of a label value kept. */
#define STATS_VIEW_LABEL 64

/** The samples of the metrics file cnroutectl shows. */
struct stats_view {
	/** cnroute_answers_total by pool: cn, offshore, resolved */
	double answers[3];
	/** the counters and gauges of the same names */
	double fail_closed, records_skipped, ecs_formerr, redis_errors,
		full_syncs, changes, redis_up, stale, filings, routes,
		last_full_sync, snapshot_time;
	/** whether cnroute_snapshot_timestamp_seconds was there */
	int has_snapshot;
	/** the change-apply histogram: bounds (le) and cumulative counts */
	double le[STATS_VIEW_BUCKETS], cumulative[STATS_VIEW_BUCKETS];
	/** number of buckets read (+Inf included) */
	size_t buckets;
	/** its _count and _sum */
	double apply_count, apply_sum;
	/** cnroute_build_info's labels */
	char version[STATS_VIEW_LABEL], unbound[STATS_VIEW_LABEL];
	/** whether cnroute_build_info was there (a file of cnroute's) */
	int has_build_info;
};

/**
 * Read a label value (after its opening quote), unescaping \\, \" and
 * \n, into out (truncated to size).
 * @return the character after the closing quote, or NULL if none.
 */
static const char *
label_value(const char *p, char *out, size_t size)
{
	size_t n = 0;
	for(; *p && *p != '"'; p++) {
		char c = *p;
		if(c == '\\' && p[1]) {
			p++;
			c = *p == 'n' ? '\n' : *p;
		}
		if(n + 1 < size)
			out[n++] = c;
	}
	if(size)
		out[n] = 0;
	return *p == '"' ? p + 1 : NULL;
}

/**
 * Find a label's value in the label text of a sample ("a=\"x\",b=\"y\"").
 * @return 1 when found (value in out), 0 when not.
 */
static int
label_get(const char *labels, const char *name, char *out, size_t size)
{
	size_t len = strlen(name);
	const char *p = labels;
	while(p && *p) {
		while(*p == ',' || *p == ' ')
			p++;
		if(strncmp(p, name, len) == 0 && p[len] == '=' &&
			p[len + 1] == '"')
			return label_value(p + len + 2, out, size) != NULL;
		/* skip this label */
		p = strchr(p, '"');
		if(!p)
			return 0;
		p = label_value(p + 1, NULL, 0);
	}
	return 0;
}

/** Take one sample into the view. */
static void
view_sample(struct stats_view *v, const char *name, const char *labels,
	double value)
{
	/** the plain families and where they go */
	static const struct { const char *name; size_t offset; } plain[] = {
		{ "cnroute_fail_closed_total",
			offsetof(struct stats_view, fail_closed) },
		{ "cnroute_records_skipped_total",
			offsetof(struct stats_view, records_skipped) },
		{ "cnroute_ecs_formerr_total",
			offsetof(struct stats_view, ecs_formerr) },
		{ "cnroute_redis_errors_total",
			offsetof(struct stats_view, redis_errors) },
		{ "cnroute_full_syncs_total",
			offsetof(struct stats_view, full_syncs) },
		{ "cnroute_changes_total", offsetof(struct stats_view, changes) },
		{ "cnroute_redis_up", offsetof(struct stats_view, redis_up) },
		{ "cnroute_stale", offsetof(struct stats_view, stale) },
		{ "cnroute_last_full_sync_timestamp_seconds",
			offsetof(struct stats_view, last_full_sync) },
		{ "cnroute_change_apply_seconds_count",
			offsetof(struct stats_view, apply_count) },
		{ "cnroute_change_apply_seconds_sum",
			offsetof(struct stats_view, apply_sum) },
	};
	char label[STATS_VIEW_LABEL];
	size_t i;

	for(i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if(strcmp(name, plain[i].name) == 0) {
			*(double *)((char *)v + plain[i].offset) = value;
			return;
		}
	if(strcmp(name, "cnroute_answers_total") == 0 &&
		label_get(labels, "pool", label, sizeof(label))) {
		if(strcmp(label, "cn") == 0)
			v->answers[0] = value;
		else if(strcmp(label, "offshore") == 0)
			v->answers[1] = value;
		else if(strcmp(label, "resolved") == 0)
			v->answers[2] = value;
	} else if(strcmp(name, "cnroute_table_entries") == 0 &&
		label_get(labels, "kind", label, sizeof(label))) {
		if(strcmp(label, "filing") == 0)
			v->filings = value;
		else if(strcmp(label, "route") == 0)
			v->routes = value;
	} else if(strcmp(name, "cnroute_snapshot_timestamp_seconds") == 0) {
		v->snapshot_time = value;
		v->has_snapshot = 1;
	} else if(strcmp(name, "cnroute_change_apply_seconds_bucket") == 0 &&
		label_get(labels, "le", label, sizeof(label)) &&
		v->buckets < STATS_VIEW_BUCKETS) {
		v->le[v->buckets] = strcmp(label, "+Inf") == 0 ? INFINITY :
			strtod(label, NULL);
		v->cumulative[v->buckets++] = value;
	} else if(strcmp(name, "cnroute_build_info") == 0) {
		v->has_build_info = 1;
		if(!label_get(labels, "version", v->version,
			sizeof(v->version)))
			v->version[0] = 0;
		if(!label_get(labels, "unbound", v->unbound,
			sizeof(v->unbound)))
			v->unbound[0] = 0;
	}
}

/**
 * Read the samples of a metrics file (lines "name{labels} value", the
 * comments skipped) into v.
 * @return 0, or -1 (errno set) when it can't be read.
 */
static int
view_read(FILE *f, struct stats_view *v)
{
	char line[4096];
	memset(v, 0, sizeof(*v));
	while(fgets(line, sizeof(line), f)) {
		char *name = line, *labels = NULL, *value, *end;
		double x;
		if(line[0] == '#' || line[0] == '\n')
			continue;
		end = name + strcspn(name, "{ ");
		if(*end == '{') {
			*end = 0;
			labels = end + 1;
			/* the labels end at the last '}' (values may hold
			 * one) */
			end = strrchr(labels, '}');
			if(!end)
				continue;
			*end = 0;
			value = end + 1;
		} else {
			if(!*end)
				continue;
			*end = 0;
			value = end + 1;
		}
		x = strtod(value, NULL);
		view_sample(v, name, labels ? labels : "", x);
	}
	return ferror(f) ? -1 : 0;
}

/**
 * A quantile of the change-apply histogram, as histogram_quantile
 * estimates it: linear within the bucket the rank falls in; the largest
 * finite bound when it falls in +Inf.
 * @return the seconds, or NAN with no observation.
 */
static double
view_quantile(const struct stats_view *v, double q)
{
	double total, rank, lower = 0, below = 0;
	size_t i;
	if(v->buckets == 0 || v->cumulative[v->buckets - 1] <= 0)
		return NAN;
	total = v->cumulative[v->buckets - 1];
	rank = q * total;
	for(i = 0; i < v->buckets; i++) {
		if(v->cumulative[i] >= rank) {
			if(isinf(v->le[i]))
				return i > 0 ? v->le[i - 1] : NAN;
			if(v->cumulative[i] == below)
				return v->le[i];
			return lower + (v->le[i] - lower) * (rank - below) /
				(v->cumulative[i] - below);
		}
		lower = v->le[i];
		below = v->cumulative[i];
	}
	return NAN;
}

/** Print a Unix time for a person ("never" for 0). */
static void
print_time(const char *label, double t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;
	if(t <= 0 || !gmtime_r(&tt, &tm)) {
		printf("%s never\n", label);
		return;
	}
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%s %s\n", label, buf);
}

/** Print seconds as a duration in ms for a person, "-" for none. */
static void
print_ms(double seconds)
{
	if(isnan(seconds))
		fputs("-", stdout);
	else
		printf("%.3g ms", seconds * 1000);
}

/** Print the view for a person. */
static void
view_print(const struct stats_view *v, const char *path, long age)
{
	printf("cnroute %s (Unbound %s), %s, written %ld s ago%s\n",
		v->version, v->unbound, path, age, age > 10 ?
		" (not being rewritten: is Unbound running?)" : "");
	printf("answers:         cn %.0f, offshore %.0f, resolved %.0f\n",
		v->answers[0], v->answers[1], v->answers[2]);
	printf("fail closed:     %.0f\n", v->fail_closed);
	printf("Redis:           %s%s, %.0f errors, %.0f full syncs\n",
		v->redis_up > 0 ? "up" : "DOWN", v->stale > 0 ?
		", table STALE (nobody gets the CN pool)" : "",
		v->redis_errors, v->full_syncs);
	print_time("last full sync: ", v->last_full_sync);
	printf("table:           %.0f filings, %.0f routes\n", v->filings,
		v->routes);
	printf("changes:         %.0f applied; apply p50 ", v->changes);
	print_ms(view_quantile(v, 0.5));
	fputs(", p99 ", stdout);
	print_ms(view_quantile(v, 0.99));
	printf(" (%.0f notices)\n", v->apply_count);
	printf("records skipped: %.0f\n", v->records_skipped);
	printf("ECS FORMERR:     %.0f\n", v->ecs_formerr);
	if(v->has_snapshot)
		print_time("snapshot:       ", v->snapshot_time);
}

/** A JSON number, or null for NaN (JSON has none). */
static json_t *
json_number_or_null(double x)
{
	return isnan(x) || isinf(x) ? json_null() : json_real(x);
}

/** A JSON integer of a counter read as a double. */
static json_t *
json_count(double x)
{
	return json_integer((json_int_t)x);
}

/** Print the view as one JSON object. */
static void
view_json(const struct stats_view *v, const char *path, long age)
{
	json_t *o = json_new_object(), *answers = json_new_object(),
		*apply = json_new_object();
	json_put(o, "file", json_str_or_null(path));
	json_put(o, "age_seconds", json_integer(age));
	json_put(o, "version", json_str_or_null(v->version));
	json_put(o, "unbound", json_str_or_null(v->unbound));
	json_put(answers, "cn", json_count(v->answers[0]));
	json_put(answers, "offshore", json_count(v->answers[1]));
	json_put(answers, "resolved", json_count(v->answers[2]));
	json_put(o, "answers", answers);
	json_put(o, "fail_closed", json_count(v->fail_closed));
	json_put(o, "redis_up", json_count(v->redis_up));
	json_put(o, "stale", json_count(v->stale));
	json_put(o, "redis_errors", json_count(v->redis_errors));
	json_put(o, "full_syncs", json_count(v->full_syncs));
	json_put(o, "last_full_sync", json_count(v->last_full_sync));
	json_put(o, "filings", json_count(v->filings));
	json_put(o, "routes", json_count(v->routes));
	json_put(o, "changes", json_count(v->changes));
	json_put(o, "records_skipped", json_count(v->records_skipped));
	json_put(o, "ecs_formerr", json_count(v->ecs_formerr));
	json_put(apply, "count", json_count(v->apply_count));
	json_put(apply, "p50_seconds", json_number_or_null(view_quantile(v,
		0.5)));
	json_put(apply, "p99_seconds", json_number_or_null(view_quantile(v,
		0.99)));
	json_put(o, "change_apply", apply);
	json_put(o, "snapshot_time", v->has_snapshot ?
		json_count(v->snapshot_time) : json_null());
	json_print(o);
}

int
cmd_stats(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct stats_view v;
	struct stat st;
	const char *path;
	FILE *f;
	long age;
	int rc = opts_parse(cli, argc - 1, argv + 1, specs, &pos, usage_stats);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 0)
		return usage_error(usage_stats, "stats takes no argument");
	if((rc = cli_load_conf(cli)) != CLI_OK)
		return rc;
	path = cli->conf.metrics_file;
	if(!path) {
		cli_error("%s: metrics-file: not set (the module writes no "
			"metrics)", conf_path(cli->conf_path));
		return CLI_INVALID;
	}
	f = fopen(path, "r");
	if(!f || fstat(fileno(f), &st) != 0) {
		cli_error("%s: metrics-file %s: %s", conf_path(cli->conf_path),
			path, strerror(errno));
		if(f)
			fclose(f);
		return CLI_INVALID;
	}
	rc = view_read(f, &v);
	fclose(f);
	if(rc != 0 || !v.has_build_info) {
		cli_error("metrics-file %s: %s", path, rc != 0 ?
			strerror(errno) : "no cnroute_build_info: not a metrics "
			"file of cnroute");
		return CLI_INVALID;
	}
	age = (long)(time(NULL) - st.st_mtime);
	if(cli->json)
		view_json(&v, path, age);
	else
		view_print(&v, path, age);
	return CLI_OK;
}
