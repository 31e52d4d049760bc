/*
 * test_metrics.c - unit tests of the Prometheus text writer and of the
 * module's metrics file.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>
#include <cmocka.h>

#include "cnroute/conf.h"
#include "cnroute/metrics.h"
#include "cnroute/stats.h"
#include "cnroute/version.h"

/** A writer on a memory stream, and what it wrote. */
struct mem_out {
	/** the stream */
	FILE *f;
	/** its text (after mem_text) */
	char *text;
	/** its length */
	size_t len;
};

/** Open a memory stream and start a writer on it. */
static void
mem_begin(struct mem_out *m, struct metrics_writer *w)
{
	m->text = NULL;
	m->len = 0;
	m->f = open_memstream(&m->text, &m->len);
	assert_non_null(m->f);
	metrics_begin(w, m->f);
}

/** The text written so far (freed by mem_end). */
static const char *
mem_text(struct mem_out *m)
{
	fflush(m->f);
	return m->text;
}

/** Close the stream. */
static void
mem_end(struct mem_out *m)
{
	fclose(m->f);
	free(m->text);
}

/** Label values: backslash, double quote and newline are escaped, in
 *  that form exactly; other bytes (UTF-8 included) pass as they are. */
static void
test_label_escaping(void **state)
{
	struct metrics_writer w;
	struct mem_out m;
	struct metrics_label l[2] = { { "path", "C:\\dir\\\"x\"\nend" },
		{ "name", "例子.中国" } };
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "t_total", METRICS_COUNTER, "h"),
		0);
	assert_int_equal(metrics_sample(&w, "", l, 2, 3), 0);
	assert_null(metrics_error(&w));
	assert_string_equal(mem_text(&m), "# HELP t_total h\n"
		"# TYPE t_total counter\n"
		"t_total{path=\"C:\\\\dir\\\\\\\"x\\\"\\nend\","
		"name=\"例子.中国\"} 3\n");
	mem_end(&m);
}

/** HELP text: backslash and newline escaped, a double quote is not. */
static void
test_help_escaping(void **state)
{
	struct metrics_writer w;
	struct mem_out m;
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "g", METRICS_GAUGE,
		"a \"quoted\" back\\slash\nand a line"), 0);
	assert_string_equal(mem_text(&m), "# HELP g a \"quoted\" "
		"back\\\\slash\\nand a line\n# TYPE g gauge\n");
	mem_end(&m);
}

/** HELP, then TYPE, then the samples, family by family. */
static void
test_order(void **state)
{
	struct metrics_writer w;
	struct mem_out m;
	struct metrics_label l = { "pool", "cn" };
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "a_total", METRICS_COUNTER,
		"A."), 0);
	assert_int_equal(metrics_sample(&w, "", &l, 1, 1), 0);
	l.value = "offshore";
	assert_int_equal(metrics_sample(&w, "", &l, 1, 2), 0);
	assert_int_equal(metrics_family(&w, "b", METRICS_GAUGE, "B."), 0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, 0.5), 0);
	assert_string_equal(mem_text(&m),
		"# HELP a_total A.\n# TYPE a_total counter\n"
		"a_total{pool=\"cn\"} 1\na_total{pool=\"offshore\"} 2\n"
		"# HELP b B.\n# TYPE b gauge\nb 0.5\n");
	mem_end(&m);
}

/** A sample before any family is refused, and the first mistake sticks:
 *  nothing is written after it. */
static void
test_sample_before_family(void **state)
{
	struct metrics_writer w;
	struct mem_out m;
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, 1), -1);
	assert_non_null(metrics_error(&w));
	assert_int_equal(metrics_family(&w, "x", METRICS_GAUGE, "X."), -1);
	assert_string_equal(mem_text(&m) ? mem_text(&m) : "", "");
	mem_end(&m);
}

/** A family announced twice is refused (the format allows one block
 *  per family). */
static void
test_family_twice(void **state)
{
	struct metrics_writer w;
	struct mem_out m;
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "x", METRICS_GAUGE, "X."), 0);
	assert_int_equal(metrics_family(&w, "y", METRICS_GAUGE, "Y."), 0);
	assert_int_equal(metrics_family(&w, "x", METRICS_GAUGE, "X."), -1);
	assert_non_null(metrics_error(&w));
	mem_end(&m);
}

/** Names and label names outside the allowed characters, a label given
 *  twice, and suffixes that do not fit the type are refused. */
static void
test_bad_names(void **state)
{
	static const char *const bad_metric[] = { "", "1abc", "a-b", "a b",
		"é" };
	static const char *const bad_label[] = { "", "__name__", "a-b",
		"a:b", "9x" };
	struct metrics_writer w;
	struct mem_out m;
	struct metrics_label l[2];
	size_t i;
	(void)state;
	for(i = 0; i < sizeof(bad_metric) / sizeof(bad_metric[0]); i++) {
		mem_begin(&m, &w);
		assert_int_equal(metrics_family(&w, bad_metric[i],
			METRICS_GAUGE, "h"), -1);
		mem_end(&m);
	}
	for(i = 0; i < sizeof(bad_label) / sizeof(bad_label[0]); i++) {
		mem_begin(&m, &w);
		assert_int_equal(metrics_family(&w, "ok:name_1", METRICS_GAUGE,
			"h"), 0);
		l[0].name = bad_label[i];
		l[0].value = "v";
		assert_int_equal(metrics_sample(&w, "", l, 1, 1), -1);
		mem_end(&m);
	}
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "c_total", METRICS_COUNTER, "h"),
		0);
	l[0].name = l[1].name = "pool";
	l[0].value = l[1].value = "cn";
	assert_int_equal(metrics_sample(&w, "", l, 2, 1), -1);
	mem_end(&m);
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "c_total", METRICS_COUNTER, "h"),
		0);
	assert_int_equal(metrics_sample(&w, "_bucket", NULL, 0, 1), -1);
	mem_end(&m);
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "h", METRICS_HISTOGRAM, "h"), 0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, 1), -1);
	mem_end(&m);
}

/** Numbers in their shortest exact form; NaN and infinities spelt as the
 *  format says. */
static void
test_values(void **state)
{
	struct metrics_writer w;
	struct mem_out m;
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_family(&w, "v", METRICS_GAUGE, "h"), 0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, 1796204948), 0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, 0.1), 0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, 18446744073709551615.0),
		0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, NAN), 0);
	assert_int_equal(metrics_sample(&w, "", NULL, 0, -INFINITY), 0);
	assert_string_equal(mem_text(&m), "# HELP v h\n# TYPE v gauge\n"
		"v 1796204948\nv 0.1\nv 1.8446744073709552e+19\nv NaN\nv -Inf\n");
	mem_end(&m);
}

/** A histogram: cumulative buckets in bound order, +Inf, _sum, _count. */
static void
test_histogram(void **state)
{
	static const double bounds[] = { 0.001, 0.5, 1 };
	static const uint64_t counts[] = { 2, 0, 3, 1 };
	struct metrics_writer w;
	struct mem_out m;
	(void)state;
	mem_begin(&m, &w);
	assert_int_equal(metrics_histogram(&w, "lat_seconds", "Latency.",
		bounds, counts, 3, 2.75), 0);
	assert_string_equal(mem_text(&m),
		"# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
		"lat_seconds_bucket{le=\"0.001\"} 2\n"
		"lat_seconds_bucket{le=\"0.5\"} 2\n"
		"lat_seconds_bucket{le=\"1\"} 5\n"
		"lat_seconds_bucket{le=\"+Inf\"} 6\n"
		"lat_seconds_sum 2.75\nlat_seconds_count 6\n");
	mem_end(&m);
	mem_begin(&m, &w);
	assert_int_equal(metrics_histogram(&w, "bad", "h", (const double[])
		{ 1, 1 }, counts, 2, 0), -1);
	mem_end(&m);
}

/** Fill callback that fails. */
static int
fill_fail(FILE *out, void *arg)
{
	(void)arg;
	fputs("half", out);
	return -1;
}

/** Fill callback that writes arg. */
static int
fill_text(FILE *out, void *arg)
{
	fputs(arg, out);
	return 0;
}

/** A failed write leaves the file as it was and no temporary behind. */
static void
test_write_file(void **state)
{
	char dir[] = "/tmp/test_metrics.XXXXXX", path[256], tmp[300], buf[64];
	FILE *f;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(metrics_write_file(path, fill_text, "one\n"), 0);
	assert_int_equal(metrics_write_file(path, fill_fail, NULL), -1);
	assert_int_equal(access(tmp, F_OK), -1);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "one\n");
	unlink(path);
	rmdir(dir);
}

/** The module's file: the workers' slots are summed, the histogram puts a
 *  value equal to a bound in that bound's bucket, and the families come
 *  with the names operators' dashboards and alerts use. */
static void
test_module_metrics(void **state)
{
	struct cnroute_stats s;
	struct stats_totals t;
	char dir[] = "/tmp/test_metrics.XXXXXX", path[256], *text;
	FILE *f;
	long n;
	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(stats_init_workers(&s, 3), 0);
	STATS_WORKER_INC(stats_worker_slot(&s, 0), answers[STATS_POOL_CN]);
	STATS_WORKER_INC(stats_worker_slot(&s, 1), answers[STATS_POOL_CN]);
	STATS_WORKER_INC(stats_worker_slot(&s, 2), answers[STATS_POOL_CN]);
	STATS_WORKER_INC(stats_worker_slot(&s, 2), answers[STATS_POOL_OFFSHORE]);
	STATS_WORKER_INC(stats_worker_slot(&s, 1), fail_closed);
	/* out of range: counted, in the last slot */
	STATS_WORKER_INC(stats_worker_slot(&s, 7), ecs_formerr);
	stats_observe_apply(&s, 0.25, 1);
	stats_observe_apply(&s, 20, 2);
	s.unbound_version = "1.17.1";
	stats_sum(&s, 4, 5, &t);
	assert_int_equal(t.answers[STATS_POOL_CN], 3);
	assert_int_equal(t.answers[STATS_POOL_OFFSHORE], 1);
	assert_int_equal(t.fail_closed, 1);
	assert_int_equal(t.ecs_formerr, 1);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cnroute.prom", dir);
	assert_int_equal(stats_write_metrics(&s, &t, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_non_null(strstr(text, "\ncnroute_answers_total{pool=\"cn\"} 3\n"
		"cnroute_answers_total{pool=\"offshore\"} 1\n"
		"cnroute_answers_total{pool=\"resolved\"} 0\n"));
	assert_non_null(strstr(text, "\ncnroute_fail_closed_total 1\n"));
	assert_non_null(strstr(text, "\ncnroute_ecs_formerr_total 1\n"));
	assert_non_null(strstr(text, "\ncnroute_table_entries{kind=\"filing\"} 4\n"
		"cnroute_table_entries{kind=\"route\"} 5\n"));
	assert_non_null(strstr(text,
		"\ncnroute_change_apply_seconds_bucket{le=\"0.1\"} 0\n"
		"cnroute_change_apply_seconds_bucket{le=\"0.25\"} 1\n"));
	assert_non_null(strstr(text,
		"\ncnroute_change_apply_seconds_bucket{le=\"10\"} 1\n"
		"cnroute_change_apply_seconds_bucket{le=\"+Inf\"} 3\n"
		"cnroute_change_apply_seconds_sum 40.25\n"
		"cnroute_change_apply_seconds_count 3\n"));
	assert_non_null(strstr(text, "\ncnroute_build_info{version=\""
		CNROUTE_VERSION "\",unbound=\"1.17.1\"} 1\n"));
	/* no snapshot yet: no snapshot gauge */
	assert_null(strstr(text, "cnroute_snapshot_timestamp_seconds"));
	assert_non_null(strstr(text, "# TYPE cnroute_redis_up gauge\n"));
	assert_non_null(strstr(text, "# TYPE cnroute_stale gauge\n"));
	assert_non_null(strstr(text, "# TYPE cnroute_records_skipped_total "
		"counter\n"));
	assert_non_null(strstr(text, "# TYPE cnroute_redis_errors_total "
		"counter\n"));
	assert_non_null(strstr(text, "# TYPE cnroute_full_syncs_total "
		"counter\n"));
	assert_non_null(strstr(text, "# TYPE cnroute_changes_total counter\n"));
	assert_non_null(strstr(text, "# TYPE "
		"cnroute_last_full_sync_timestamp_seconds gauge\n"));
	free(text);
	atomic_store(&s.snapshot_time, 1796204948);
	stats_sum(&s, 4, 5, &t);
	assert_int_equal(stats_write_metrics(&s, &t, path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	text = calloc(1, 65536);
	assert_true(fread(text, 1, 65535, f) > 0);
	fclose(f);
	assert_non_null(strstr(text,
		"\ncnroute_snapshot_timestamp_seconds 1796204948\n"));
	free(text);
	unlink(path);
	rmdir(dir);
	stats_free_workers(&s);
}

/** metrics-file in cnroute.conf: a path, once; an empty one or a second
 *  one is refused naming the file, the line and the key. */
static void
test_conf_metrics_file(void **state)
{
	static const char good[] = "geoip-db: /g.mmdb\n"
		"metrics-file: /var/lib/prometheus/node-exporter/cnroute.prom\n";
	static const char twice[] = "geoip-db: /g.mmdb\nmetrics-file: /a\n"
		"metrics-file: /b\n";
	static const char empty[] = "geoip-db: /g.mmdb\nmetrics-file: \"\"\n";
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];
	(void)state;
	assert_int_equal(conf_parse_buffer("t.conf", good, sizeof(good) - 1,
		&conf, err), 0);
	assert_string_equal(conf.metrics_file,
		"/var/lib/prometheus/node-exporter/cnroute.prom");
	assert_null(conf.stats_file);
	conf_free(&conf);
	assert_int_equal(conf_parse_buffer("t.conf", twice, sizeof(twice) - 1,
		&conf, err), -1);
	assert_non_null(strstr(err, "t.conf:3: metrics-file"));
	assert_int_equal(conf_parse_buffer("t.conf", empty, sizeof(empty) - 1,
		&conf, err), -1);
	assert_non_null(strstr(err, "t.conf:2: metrics-file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_help_escaping),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_sample_before_family),
		cmocka_unit_test(test_family_twice),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_module_metrics),
		cmocka_unit_test(test_conf_metrics_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
