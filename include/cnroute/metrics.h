/*
 * metrics.h - a writer of the Prometheus text exposition format 0.0.4.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Operators scrape the module through node_exporter's textfile collector,
 * which reads *.prom files and rejects a whole file over one bad line. The
 * writer therefore checks what the format requires instead of trusting
 * its callers: every family gets its HELP and TYPE lines before its
 * samples, a family is written once, samples belong to the family just
 * announced (a histogram's _bucket, _sum and _count included), names and
 * label names use the allowed characters, and label values and help texts
 * are escaped. The first mistake sticks (metrics_error) and nothing is
 * written after it. Plain C, no dependency: the unit tests use it on a
 * memory stream.
 */
#ifndef CNROUTE_METRICS_H
#define CNROUTE_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Longest metric name, with a histogram's suffix. */
#define METRICS_NAME_MAX 128
/** Most families in one exposition. */
#define METRICS_FAMILIES_MAX 64

/** The type of a metric family (the TYPE line). */
enum metrics_type {
	/** only goes up (resets at restart) */
	METRICS_COUNTER,
	/** goes up and down */
	METRICS_GAUGE,
	/** cumulative buckets, a sum and a count */
	METRICS_HISTOGRAM
};

/** One label of a sample. */
struct metrics_label {
	/** its name, [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" */
	const char *name;
	/** its value, any UTF-8 (escaped on output) */
	const char *value;
};

/** The state of one exposition being written. */
struct metrics_writer {
	/** where the text goes */
	FILE *out;
	/** the family announced last ("" before the first) */
	char family[METRICS_NAME_MAX];
	/** its type */
	enum metrics_type type;
	/** families announced so far, to refuse a second HELP/TYPE */
	char seen[METRICS_FAMILIES_MAX][METRICS_NAME_MAX];
	/** number of them */
	size_t seen_count;
	/** the first mistake, or NULL: then nothing more is written */
	const char *error;
};

/** Start writing an exposition to out. */
void metrics_begin(struct metrics_writer *w, FILE *out);

/**
 * Announce a family: its HELP and TYPE lines.
 * @return 0, or -1 (bad name, family written before, or an earlier
 *	error; see metrics_error).
 */
int metrics_family(struct metrics_writer *w, const char *name,
	enum metrics_type type, const char *help);

/**
 * One sample of the family announced last.
 * @param suffix: "" for counters and gauges; "_bucket", "_sum" or
 *	"_count" for a histogram.
 * @return 0 or -1.
 */
int metrics_sample(struct metrics_writer *w, const char *suffix,
	const struct metrics_label *labels, size_t label_count, double value);

/**
 * A whole histogram family: HELP, TYPE, one _bucket per bound (counts
 * made cumulative here) and +Inf, _sum and _count.
 * @param bounds: upper bounds, increasing, bound_count of them.
 * @param counts: observations per bucket, not cumulative: counts[i] fell
 *	in (bounds[i-1], bounds[i]], counts[bound_count] above the last.
 * @return 0 or -1.
 */
int metrics_histogram(struct metrics_writer *w, const char *name,
	const char *help, const double *bounds, const uint64_t *counts,
	size_t bound_count, double sum);

/** The first mistake made with the writer, or NULL. */
const char *metrics_error(const struct metrics_writer *w);

/**
 * Write a file atomically: fill writes the content to path.tmp, which is
 * then renamed over path (a reader never sees half a file; the textfile
 * collector ignores the .tmp name).
 * @param fill: writes to out, returns 0 or -1 (the file is then dropped).
 * @return 0, or -1 (errno set; EINVAL when fill failed).
 */
int metrics_write_file(const char *path, int (*fill)(FILE *out, void *arg),
	void *arg);

#endif /* CNROUTE_METRICS_H */
