/*
 * metrics.c - the Prometheus text exposition format 0.0.4 (see metrics.h).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cnroute/metrics.h"

/** Record the first mistake. @return -1. */
static int
metrics_fail(struct metrics_writer *w, const char *why)
{
	if(!w->error)
		w->error = why;
	return -1;
}

/** Whether name is a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
static int
valid_metric_name(const char *name)
{
	const char *p;
	if(!*name || strlen(name) >= METRICS_NAME_MAX - sizeof("_bucket"))
		return 0;
	for(p = name; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
			|| *p == '_' || *p == ':';
		if(!alpha && !(p > name && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

/** Whether name is a label name: [a-zA-Z_][a-zA-Z0-9_]*, and not one of
 *  the "__" names Prometheus keeps for itself. */
static int
valid_label_name(const char *name)
{
	const char *p;
	if(!*name || strncmp(name, "__", 2) == 0)
		return 0;
	for(p = name; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
			|| *p == '_';
		if(!alpha && !(p > name && *p >= '0' && *p <= '9'))
			return 0;
	}
	return 1;
}

/**
 * Write text escaped as the format asks: backslash and newline always,
 * the double quote too inside a label value (quote_too).
 */
static void
put_escaped(FILE *out, const char *text, int quote_too)
{
	for(; *text; text++) {
		if(*text == '\\')
			fputs("\\\\", out);
		else if(*text == '\n')
			fputs("\\n", out);
		else if(*text == '"' && quote_too)
			fputs("\\\"", out);
		else
			fputc(*text, out);
	}
}

/** Size of a number written by format_value. */
#define METRICS_VALUE_MAX 40

/** A number in the shortest form that reads back the same (a counter's
 *  integer stays an integer), or NaN, +Inf, -Inf. @return buf. */
static const char *
format_value(char buf[METRICS_VALUE_MAX], double v)
{
	int precision;
	if(isnan(v))
		return "NaN";
	if(isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	if(v > -1e15 && v < 1e15 && v == (double)(long long)v) {
		/* an integer as one: "10", not "1e+01" */
		snprintf(buf, METRICS_VALUE_MAX, "%.0f", v);
		return buf;
	}
	for(precision = 1; precision <= 17; precision++) {
		snprintf(buf, METRICS_VALUE_MAX, "%.*g", precision, v);
		if(strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

void
metrics_begin(struct metrics_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

const char *
metrics_error(const struct metrics_writer *w)
{
	return w->error;
}

int
metrics_family(struct metrics_writer *w, const char *name,
	enum metrics_type type, const char *help)
{
	static const char *const type_names[] = { "counter", "gauge",
		"histogram" };
	size_t i;
	if(w->error)
		return -1;
	if(!valid_metric_name(name))
		return metrics_fail(w, "bad metric name");
	if((unsigned)type > METRICS_HISTOGRAM)
		return metrics_fail(w, "bad metric type");
	for(i = 0; i < w->seen_count; i++)
		if(strcmp(w->seen[i], name) == 0)
			return metrics_fail(w, "family written twice");
	if(w->seen_count == METRICS_FAMILIES_MAX)
		return metrics_fail(w, "too many families");
	snprintf(w->seen[w->seen_count++], METRICS_NAME_MAX, "%s", name);
	snprintf(w->family, sizeof(w->family), "%s", name);
	w->type = type;
	fprintf(w->out, "# HELP %s ", name);
	put_escaped(w->out, help ? help : "", 0);
	fprintf(w->out, "\n# TYPE %s %s\n", name, type_names[type]);
	return 0;
}

int
metrics_sample(struct metrics_writer *w, const char *suffix,
	const struct metrics_label *labels, size_t label_count, double value)
{
	char number[METRICS_VALUE_MAX];
	size_t i, j;
	if(w->error)
		return -1;
	if(!w->family[0])
		return metrics_fail(w, "sample before its family's HELP/TYPE");
	if(w->type == METRICS_HISTOGRAM ? strcmp(suffix, "_bucket") != 0 &&
		strcmp(suffix, "_sum") != 0 && strcmp(suffix, "_count") != 0 :
		*suffix != 0)
		return metrics_fail(w, "sample suffix does not fit the type");
	for(i = 0; i < label_count; i++) {
		if(!valid_label_name(labels[i].name) || !labels[i].value)
			return metrics_fail(w, "bad label");
		for(j = 0; j < i; j++)
			if(strcmp(labels[i].name, labels[j].name) == 0)
				return metrics_fail(w, "label given twice");
	}
	fprintf(w->out, "%s%s", w->family, suffix);
	if(label_count > 0) {
		fputc('{', w->out);
		for(i = 0; i < label_count; i++) {
			fprintf(w->out, "%s%s=\"", i ? "," : "",
				labels[i].name);
			put_escaped(w->out, labels[i].value, 1);
			fputc('"', w->out);
		}
		fputc('}', w->out);
	}
	fprintf(w->out, " %s\n", format_value(number, value));
	return 0;
}

int
metrics_histogram(struct metrics_writer *w, const char *name,
	const char *help, const double *bounds, const uint64_t *counts,
	size_t bound_count, double sum)
{
	struct metrics_label le;
	uint64_t cumulative = 0;
	char bound[METRICS_VALUE_MAX];
	size_t i;
	if(metrics_family(w, name, METRICS_HISTOGRAM, help) != 0)
		return -1;
	le.name = "le";
	for(i = 0; i <= bound_count; i++) {
		if(i < bound_count && i > 0 && !(bounds[i] > bounds[i - 1]))
			return metrics_fail(w, "histogram bounds not increasing");
		cumulative += counts[i];
		le.value = i < bound_count ? format_value(bound, bounds[i]) :
			"+Inf";
		if(metrics_sample(w, "_bucket", &le, 1, (double)cumulative))
			return -1;
	}
	if(metrics_sample(w, "_sum", NULL, 0, sum) != 0)
		return -1;
	return metrics_sample(w, "_count", NULL, 0, (double)cumulative);
}

int
metrics_write_file(const char *path, int (*fill)(FILE *out, void *arg),
	void *arg)
{
	char tmp[4096];
	FILE *f;
	int r;
	if(snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f = fopen(tmp, "w");
	if(!f)
		return -1;
	r = fill(f, arg);
	if(fclose(f) != 0 || r != 0) {
		if(r != 0)
			errno = EINVAL;
		unlink(tmp);
		return -1;
	}
	return rename(tmp, path);
}
