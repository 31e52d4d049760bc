/*
 * lookup_bench.c - cost of one steering decision as the table grows.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 *   lookup_bench [LOOKUPS]     (default 2000000 per measurement)
 *
 * For N = 10^3, 10^4, 10^5, 10^6 it fills a steering table (the very code
 * of plugin/policy/) with N filings d<i>.sites.bench (active) and N routes
 * www.d<i>.sites.bench (two IPv4 and one IPv6 address per pool, parsed by
 * route_parse_new like the sync thread does), then times steering_table_answer
 * on names in random order:
 *   hit   a managed name, qtype A, the region callback answering mainland
 *         for every other query (exact route + filing walk + pool copy);
 *   miss  an unmanaged name of the same shape, www.n<i>.sites.bench
 *         (exact lookup + one wildcard lookup per ancestor, as for every
 *         name the module passes on).
 * The decision's arrays go to a bump allocator reset per query (the
 * module uses the query's regional allocator). Names are canonical wire
 * format prepared beforehand. Prints one line per table size:
 *   N hit_ns miss_ns base_ns build_ms
 * (base_ns: the harness reading the name alone, see run_base; build_ms:
 * filling the table in-process, parsing included).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cnroute/dname.h"
#include "cnroute/record.h"
#include "cnroute/steering.h"

struct bump {
	uint8_t buf[4096];
	size_t used;
};

static void *
bump_alloc(void *ctx, size_t size)
{
	struct bump *b = ctx;
	void *p;
	size = (size + 15) & ~(size_t)15;
	if(b->used + size > sizeof(b->buf))
		return NULL;
	p = b->buf + b->used;
	b->used += size;
	return p;
}

static int region_flip;

static int
region_cb(void *ctx)
{
	(void)ctx;
	return (region_flip++ & 1);
}

static double
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/** Canonical wire names of fmt with %ld = 0..n-1, packed 256 bytes apart. */
static uint8_t *
make_names(const char *fmt, long n, size_t **lens)
{
	uint8_t *names = malloc((size_t)n * 256);
	long i;
	*lens = malloc((size_t)n * sizeof(size_t));
	if(!names || !*lens)
		abort();
	for(i = 0; i < n; i++) {
		char text[128];
		snprintf(text, sizeof(text), fmt, i);
		if(dname_from_text(text, names + i * 256, &(*lens)[i]) != 0)
			abort();
	}
	return names;
}

static void
fill(struct steering_table *st, long n)
{
	long i;
	for(i = 0; i < n; i++) {
		char text[128], cn[96], off[96];
		uint8_t wire[DNAME_MAX_WIRE];
		size_t len;
		struct record_field f[3];
		char err[RECORD_ERR_MAX];
		struct route *r;
		snprintf(text, sizeof(text), "d%ld.sites.bench", i);
		if(dname_from_text(text, wire, &len) != 0 ||
			steering_set_filing(st, wire, len, FILING_ACTIVE, 1) < 0)
			abort();
		snprintf(text, sizeof(text), "www.d%ld.sites.bench", i);
		snprintf(cn, sizeof(cn), "10.%ld.%ld.1,10.%ld.%ld.2,2001:db8::%lx",
			(i >> 8) & 255, i & 255, (i >> 8) & 255, i & 255, i & 0xffff);
		snprintf(off, sizeof(off), "172.%ld.%ld.1,172.%ld.%ld.2,2001:db8:1::%lx",
			(i >> 8) & 255, i & 255, (i >> 8) & 255, i & 255, i & 0xffff);
		f[0] = (struct record_field){"cn", 2, cn, strlen(cn)};
		f[1] = (struct record_field){"offshore", 8, off, strlen(off)};
		f[2] = (struct record_field){"ttl", 3, "300", 3};
		if((r = route_parse_new(f, 3, err)) == NULL ||
			dname_from_text(text, wire, &len) != 0 ||
			steering_set_route(st, wire, len, r, 1) < 0)
			abort();
	}
}

/** ns per decision over lookups names picked from order[]. */
static double
run(struct steering_table *st, const uint8_t *names, const size_t *lens,
	const long *order, long lookups, long n, int expect_managed)
{
	struct bump b;
	struct steering_decision d;
	double t0, t1;
	long k, bad = 0;
	t0 = now_ns();
	for(k = 0; k < lookups; k++) {
		long i = order[k % n];
		b.used = 0;
		steering_table_answer(st, names + i * 256, lens[i], 1, 60,
			region_cb, NULL, bump_alloc, &b, &d);
		if((d.action == STEER_ADDRESSES) != expect_managed)
			bad++;
	}
	t1 = now_ns();
	if(bad) {
		fprintf(stderr, "lookup_bench: %ld unexpected decisions\n", bad);
		exit(1);
	}
	return (t1 - t0) / lookups;
}

/**
 * The harness's own cost: read each name in the same order, as the
 * decision would (names are 256 bytes apart, so at 10^5 and more this
 * is itself a cache miss that the module, whose qname is hot, does not
 * pay). Printed as base_ns so it can be subtracted.
 */
static double
run_base(const uint8_t *names, const size_t *lens, const long *order,
	long lookups, long n)
{
	volatile unsigned sink = 0;
	double t0 = now_ns();
	long k;
	for(k = 0; k < lookups; k++) {
		long i = order[k % n];
		uint8_t copy[DNAME_MAX_WIRE];
		memcpy(copy, names + i * 256, lens[i]);
		sink += copy[lens[i] / 2];
	}
	(void)sink;
	return (now_ns() - t0) / lookups;
}

int
main(int argc, char **argv)
{
	long lookups = argc > 1 ? atol(argv[1]) : 2000000;
	long sizes[] = {1000, 10000, 100000, 1000000};
	size_t si;
	printf("%-8s %8s %8s %8s %9s\n", "N", "hit_ns", "miss_ns", "base_ns",
		"build_ms");
	for(si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		long n = sizes[si], i;
		struct steering_table st;
		size_t *hl, *ml;
		uint8_t *hits, *misses;
		long *order = malloc((size_t)n * sizeof(long));
		double t0, build, hit, miss, base;
		if(!order || steering_table_init(&st) != 0)
			abort();
		t0 = now_ns();
		fill(&st, n);
		build = (now_ns() - t0) / 1e6;
		hits = make_names("www.d%ld.sites.bench", n, &hl);
		misses = make_names("www.n%ld.sites.bench", n, &ml);
		/* a random permutation: every name once per pass, no locality */
		srandom(42);
		for(i = 0; i < n; i++)
			order[i] = i;
		for(i = n - 1; i > 0; i--) {
			long j = random() % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		/* warm up once, then measure */
		run(&st, hits, hl, order, n, n, 1);
		hit = run(&st, hits, hl, order, lookups, n, 1);
		miss = run(&st, misses, ml, order, lookups, n, 0);
		base = run_base(misses, ml, order, lookups, n);
		printf("%-8ld %8.1f %8.1f %8.1f %9.0f\n", n, hit, miss, base,
			build);
		fflush(stdout);
		steering_table_destroy(&st);
		free(hits); free(misses); free(hl); free(ml); free(order);
	}
	return 0;
}
