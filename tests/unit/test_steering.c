/*
 * test_steering.c - unit tests of the steering table and its decision.
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
#include <stdatomic.h>
#include <pthread.h>
#include <time.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/steering.h"

/*
 * The allocator, wrapped (the Makefile links this test with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc): a test arms a
 * countdown on its own thread and the allocation it reaches fails, so a
 * commit can be made to run out of memory at each of its allocations.
 */
void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/** Allocations left before one fails, on this thread (-1: never). */
static _Thread_local long alloc_countdown = -1;
/** Allocations failed on purpose, on this thread. */
static _Thread_local long alloc_failed;

/** 1 if the allocation being made must fail. */
static int
alloc_should_fail(void)
{
	if(alloc_countdown < 0)
		return 0;
	if(alloc_countdown-- > 0)
		return 0;
	alloc_failed++;
	return 1;
}

/** malloc, failing when armed. */
void *
__wrap_malloc(size_t size)
{
	return alloc_should_fail() ? NULL : __real_malloc(size);
}

/** calloc, failing when armed. */
void *
__wrap_calloc(size_t n, size_t size)
{
	return alloc_should_fail() ? NULL : __real_calloc(n, size);
}

/** realloc, failing when armed. */
void *
__wrap_realloc(void *p, size_t size)
{
	return alloc_should_fail() ? NULL : __real_realloc(p, size);
}

/** Qtype of MX, a type rules do not answer. */
#define TYPE_MX 15

/** A canonical name built from text. */
struct wname {
	/** wire bytes */
	uint8_t w[DNAME_MAX_WIRE];
	/** length */
	size_t len;
};

/** Canonical form of a text name (the test fails on a bad one). */
static struct wname
wn(const char *text)
{
	struct wname n;

	if(dname_from_text(text, n.w, &n.len) != 0)
		fail_msg("bad test name '%s'", text);
	return n;
}

/** Bump allocator for decisions; reset between decisions. */
struct arena {
	/** storage */
	uint8_t buf[8192];
	/** bytes used */
	size_t used;
	/** allocations left before failing (-1: never fail) */
	int fail_after;
};

/** steering_alloc_fn over an arena. */
static void *
arena_alloc(void *ctx, size_t size)
{
	struct arena *a = ctx;
	void *p;

	if(a->fail_after == 0)
		return NULL;
	if(a->fail_after > 0)
		a->fail_after--;
	size = (size + 7) & ~(size_t)7;
	if(a->used + size > sizeof(a->buf))
		return NULL;
	p = a->buf + a->used;
	a->used += size;
	return p;
}

/** Region callback context: the answer and how often it was asked. */
struct region {
	/** what the callback answers (1 mainland, 0 not) */
	int mainland;
	/** number of calls */
	int calls;
};

/** steering_region_fn for tests. */
static int
region_cb(void *ctx)
{
	struct region *r = ctx;

	r->calls++;
	return r->mainland;
}

/** A route from field texts (ttl NULL for none). */
static struct route *
route_of(const char *cn, const char *offshore, const char *ttl)
{
	struct record_field f[3];
	struct route *r = route_new();
	char err[RECORD_ERR_MAX];
	size_t count = 2;

	assert_non_null(r);
	f[0].name = "cn";
	f[0].name_len = 2;
	f[0].value = cn;
	f[0].value_len = strlen(cn);
	f[1].name = "offshore";
	f[1].name_len = 8;
	f[1].value = offshore;
	f[1].value_len = strlen(offshore);
	if(ttl != NULL) {
		f[2].name = "ttl";
		f[2].name_len = 3;
		f[2].value = ttl;
		f[2].value_len = strlen(ttl);
		count = 3;
	}
	if(route_parse(f, count, r, err) != 0)
		fail_msg("route %s / %s: %s", cn, offshore, err);
	return r;
}

/** Add a route from field texts (ttl NULL for none). */
static void
add_route(struct steering_table *st, const char *name, const char *cn,
	const char *offshore, const char *ttl)
{
	struct wname n = wn(name);

	assert_true(steering_set_route(st, n.w, n.len,
		route_of(cn, offshore, ttl), 1) >= 0);
}

/** Add a filing. */
static void
add_filing(struct steering_table *st, const char *name,
	enum filing_status status)
{
	struct wname n = wn(name);

	assert_true(steering_set_filing(st, n.w, n.len, status, 1) >= 0);
}

/**
 * Assert that steering_table_answer (the resolver's call) decided as
 * steering_table_decide did, without the names.
 */
static void
assert_same_answer(const struct steering_decision *d,
	const struct steering_decision *a)
{
	assert_int_equal(a->action, d->action);
	assert_int_equal(a->pool, d->pool);
	assert_int_equal(a->region_dependent, d->region_dependent);
	assert_int_equal(a->mainland, d->mainland);
	assert_int_equal(a->rule_wildcard, d->rule_wildcard);
	assert_int_equal(a->filing, d->filing);
	assert_int_equal(a->ttl, d->ttl);
	assert_int_equal(a->addr_count, d->addr_count);
	assert_int_equal(a->addr_len, d->addr_len);
	if(d->addrs != NULL)
		assert_memory_equal(a->addrs, d->addrs,
			(size_t)d->addr_count * d->addr_len);
	assert_int_equal(a->cname_len, d->cname_len);
	if(d->cname != NULL)
		assert_memory_equal(a->cname, d->cname, d->cname_len);
	assert_int_equal(a->cname_unmanaged, d->cname_unmanaged);
	assert_null(a->rule_name);
	assert_null(a->filing_name);
}

/** The decision cache the tests share (tables differ in id, not address). */
static struct steering_cache test_cache;

/**
 * The cached answer (twice: the first may fill, the second may hit),
 * compared with a decision taken without the cache.
 */
static void
assert_cached_same(struct steering_table *st, const struct wname *q,
	uint16_t qtype, const struct region *region,
	const struct steering_decision *d)
{
	struct steering_decision cd;
	struct region again;
	struct arena a;
	uint64_t lookups = test_cache.hits + test_cache.misses;
	int pass;

	for(pass = 0; pass < 2; pass++) {
		again.mainland = region != NULL ? region->mainland : 0;
		again.calls = 0;
		a.used = 0;
		a.fail_after = -1;
		assert_int_equal(steering_table_answer_cached(st, &test_cache,
			q->w, q->len, qtype, 60, region_cb,
			region != NULL ? &again : NULL, arena_alloc, &a, &cd),
			0);
		assert_same_answer(d, &cd);
		/* the region is asked exactly when the answer depends on it */
		assert_int_equal(again.calls, d->region_dependent ? 1 : 0);
	}
	/* every decision counted once, as a hit or a miss */
	assert_int_equal(test_cache.hits + test_cache.misses, lookups + 2);
}

/**
 * Decide for a text name with a fresh arena; every decision is also
 * taken by steering_table_answer and steering_table_answer_cached and
 * compared.
 */
static int
decide(struct steering_table *st, const char *qname, uint16_t qtype,
	struct region *region, struct arena *a, struct steering_decision *d)
{
	struct wname q = wn(qname);
	struct steering_decision ad;
	struct region again;
	struct arena a2;
	int r;

	a->used = 0;
	a->fail_after = -1;
	r = steering_table_decide(st, q.w, q.len, qtype, 60, region_cb,
		region, arena_alloc, a, d);
	if(r == 0) {
		again.mainland = region != NULL ? region->mainland : 0;
		again.calls = 0;
		a2.used = 0;
		a2.fail_after = -1;
		assert_int_equal(steering_table_answer(st, q.w, q.len, qtype,
			60, region_cb, region != NULL ? &again : NULL,
			arena_alloc, &a2, &ad), 0);
		assert_same_answer(d, &ad);
		if(region != NULL)
			assert_cached_same(st, &q, qtype, region, d);
	}
	return r;
}

/** Assert a decision answers with one IPv4/IPv6 address given as text. */
static void
assert_addr(const struct steering_decision *d, const char *text)
{
	uint8_t a[16];
	int v6 = strchr(text, ':') != NULL;

	assert_int_equal(d->action, STEER_ADDRESSES);
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, text, a), 1);
	assert_int_equal(d->addr_len, v6 ? 16 : 4);
	assert_int_equal(d->addr_count, 1);
	assert_memory_equal(d->addrs, a, d->addr_len);
}

/** Assert a decision's rule name. */
static void
assert_rule(const struct steering_decision *d, const char *text)
{
	struct wname n = wn(text);

	assert_non_null(d->rule_name);
	assert_memory_equal(d->rule_name, n.w, n.len);
}

/** Set up a table in *state. */
static int
setup(void **state)
{
	struct steering_table *st = malloc(sizeof(*st));

	if(st == NULL || steering_table_init(st) != 0)
		return -1;
	*state = st;
	return 0;
}

/** Free the table in *state. */
static int
teardown(void **state)
{
	steering_table_destroy(*state);
	free(*state);
	return 0;
}

/** No route: unmanaged, region never asked, nothing allocated. */
static void
test_unmanaged(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;

	add_filing(st, "example.com", FILING_ACTIVE);
	assert_int_equal(decide(st, "www.example.com", STEER_TYPE_A, &r, &a,
		&d), 0);
	assert_int_equal(d.action, STEER_UNMANAGED);
	assert_int_equal(d.pool, STEER_POOL_NONE);
	assert_int_equal(d.mainland, -1);
	assert_null(d.rule_name);
	assert_int_equal(r.calls, 0);
	assert_int_equal(a.used, 0);
}

/** Exact beats wildcard; a wildcard matches deeper names, not its apex. */
static void
test_wildcard_vs_exact(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 0, 0 };
	struct arena a;

	add_route(st, "*.example.com", "", "192.0.2.2", NULL);
	add_route(st, "www.example.com", "", "192.0.2.1", NULL);
	decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.1");
	assert_false(d.rule_wildcard);
	assert_rule(&d, "www.example.com");
	decide(st, "img.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.2");
	assert_true(d.rule_wildcard);
	assert_rule(&d, "*.example.com");
	decide(st, "a.b.www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.2");
	assert_true(d.rule_wildcard);
	/* the wildcard name asked literally: the wildcard rule, exactly */
	decide(st, "*.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.2");
	assert_true(d.rule_wildcard);
	assert_rule(&d, "*.example.com");
	decide(st, "example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.action, STEER_UNMANAGED);
	decide(st, "com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.action, STEER_UNMANAGED);
	decide(st, "example.org", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.action, STEER_UNMANAGED);
}

/** The closest wildcard beats a farther one; "*." is the last resort. */
static void
test_closest_wildcard(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 0, 0 };
	struct arena a;

	add_route(st, "*.example.com", "", "192.0.2.1", NULL);
	add_route(st, "*.b.example.com", "", "192.0.2.2", NULL);
	add_route(st, "*.", "", "192.0.2.9", NULL);
	decide(st, "x.b.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.2");
	assert_rule(&d, "*.b.example.com");
	decide(st, "x.y.b.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.2");
	decide(st, "b.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.1");
	decide(st, "x.c.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.1");
	decide(st, "other.net", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.9");
	assert_rule(&d, "*.");
	decide(st, ".", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.action, STEER_UNMANAGED);
}

/** A filing on the parent covers the child; the longest filing wins. */
static void
test_filing_cover(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;

	add_route(st, "*.example.com", "10.0.0.1", "192.0.2.1", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	add_filing(st, "sub.example.com", FILING_REVOKED);
	add_filing(st, "ok.sub.example.com", FILING_ACTIVE);
	decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.filing, FILING_ACTIVE);
	assert_memory_equal(d.filing_name, "\7example\3com", 13);
	assert_int_equal(d.pool, STEER_POOL_CN);
	assert_addr(&d, "10.0.0.1");
	decide(st, "www.sub.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.filing, FILING_REVOKED);
	assert_memory_equal(d.filing_name, "\3sub\7example\3com", 17);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_addr(&d, "192.0.2.1");
	decide(st, "a.ok.sub.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.filing, FILING_ACTIVE);
	assert_int_equal(d.pool, STEER_POOL_CN);
	/* a filing on the exact name */
	decide(st, "ok.sub.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.filing, FILING_ACTIVE);
	/* a filing on a sibling does not cover */
	add_route(st, "www.example.org", "10.0.0.1", "192.0.2.1", NULL);
	add_filing(st, "example.net", FILING_ACTIVE);
	decide(st, "www.example.org", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.filing, FILING_NONE);
	assert_null(d.filing_name);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
}

/** Key names in any case, with or without the trailing dot. */
static void
test_case_and_dot(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;

	add_route(st, "WWW.Example.COM.", "10.0.0.1", "192.0.2.1", NULL);
	add_filing(st, "EXAMPLE.com", FILING_ACTIVE);
	decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.pool, STEER_POOL_CN);
	decide(st, "Www.ExAmple.Com.", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.pool, STEER_POOL_CN);
	assert_rule(&d, "www.example.com");
}

/**
 * Only an active filing gives CN, and only to mainland clients; the
 * region is asked only when it matters.
 */
static void
test_status_matrix(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct arena a;
	const enum filing_status statuses[] = { FILING_NONE, FILING_ACTIVE,
		FILING_REVOKED, FILING_CANCELLED, FILING_PENDING };
	size_t i;
	int mainland;
	struct wname f = wn("example.com");

	add_route(st, "www.example.com", "10.0.0.1", "192.0.2.1", "30");
	for(i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		if(statuses[i] == FILING_NONE)
			steering_del_filing(st, f.w, f.len);
		else
			add_filing(st, "example.com", statuses[i]);
		for(mainland = 0; mainland <= 1; mainland++) {
			struct region r = { mainland, 0 };
			int active = statuses[i] == FILING_ACTIVE;
			decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
			assert_int_equal(d.filing, statuses[i]);
			assert_int_equal(d.region_dependent, active);
			assert_int_equal(r.calls, active ? 1 : 0);
			assert_int_equal(d.mainland, active ? mainland : -1);
			if(active && mainland) {
				assert_int_equal(d.pool, STEER_POOL_CN);
				assert_addr(&d, "10.0.0.1");
			} else {
				assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
				assert_addr(&d, "192.0.2.1");
			}
		}
	}
}

/** An empty CN pool makes the answer region independent. */
static void
test_empty_cn_not_region_dependent(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;

	add_route(st, "www.example.com", "", "192.0.2.1", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(r.calls, 0);
	assert_false(d.region_dependent);
	assert_int_equal(d.mainland, -1);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_addr(&d, "192.0.2.1");
}

/** The rule's ttl is capped; no ttl means the cap. */
static void
test_ttl(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 0, 0 };
	struct arena a;

	add_route(st, "long.example.com", "", "192.0.2.1", "300");
	add_route(st, "short.example.com", "", "192.0.2.1", "10");
	add_route(st, "none.example.com", "", "192.0.2.1", NULL);
	add_route(st, "zero.example.com", "", "192.0.2.1", "0");
	decide(st, "long.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.ttl, 60);
	decide(st, "short.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.ttl, 10);
	decide(st, "none.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.ttl, 60);
	decide(st, "zero.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.ttl, 0);
}

/** A CNAME pool answers every qtype with the CNAME. */
static void
test_cname_pool(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;
	const uint16_t types[] = { STEER_TYPE_A, STEER_TYPE_AAAA,
		STEER_TYPE_CNAME, TYPE_MX, 16, 255 };
	size_t i;

	add_route(st, "www.example.com", "cdn.example.cn.",
		"cdn.example.net.", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	for(i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		decide(st, "www.example.com", types[i], &r, &a, &d);
		assert_int_equal(d.action, STEER_CNAME);
		assert_int_equal(d.pool, STEER_POOL_CN);
		assert_int_equal(d.cname_len, 16);
		assert_memory_equal(d.cname, "\3cdn\7example\2cn", 16);
		r.mainland = 0;
		decide(st, "www.example.com", types[i], &r, &a, &d);
		assert_int_equal(d.action, STEER_CNAME);
		assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
		assert_memory_equal(d.cname, "\3cdn\7example\3net", 17);
		r.mainland = 1;
	}
}

/** Address pools: A/AAAA split, CNAME qtype empty, other types resolve. */
static void
test_address_pool_types(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 0, 0 };
	struct arena a;

	add_route(st, "both.example.com", "", "192.0.2.1, 2001:db8::1", NULL);
	add_route(st, "v6.example.com", "", "2001:db8::2", NULL);
	decide(st, "both.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "192.0.2.1");
	decide(st, "both.example.com", STEER_TYPE_AAAA, &r, &a, &d);
	assert_addr(&d, "2001:db8::1");
	decide(st, "both.example.com", STEER_TYPE_CNAME, &r, &a, &d);
	assert_int_equal(d.action, STEER_ADDRESSES);
	assert_int_equal(d.addr_count, 0);
	decide(st, "both.example.com", TYPE_MX, &r, &a, &d);
	assert_int_equal(d.action, STEER_RESOLVE);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	/* no address of the asked type: NOERROR, empty answer */
	decide(st, "v6.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.action, STEER_ADDRESSES);
	assert_int_equal(d.addr_len, 4);
	assert_int_equal(d.addr_count, 0);
	assert_null(d.addrs);
}

/** An empty offshore pool resolves normally. */
static void
test_empty_offshore(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 0, 0 };
	struct arena a;

	add_route(st, "www.example.com", "10.0.0.1", "", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_int_equal(d.action, STEER_RESOLVE);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_true(d.region_dependent);
	assert_int_equal(r.calls, 1);
	r.mainland = 1;
	decide(st, "www.example.com", STEER_TYPE_A, &r, &a, &d);
	assert_addr(&d, "10.0.0.1");
}

/** An allocator failure fails closed: resolve, offshore, no region. */
static void
test_alloc_failure(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;
	struct wname q = wn("www.example.com");
	int n;

	add_route(st, "www.example.com", "10.0.0.1", "192.0.2.1", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	/* fail the 1st, 2nd, 3rd allocation (rule, filing, addresses) */
	for(n = 0; n < 3; n++) {
		a.used = 0;
		a.fail_after = n;
		assert_int_equal(steering_table_decide(st, q.w, q.len,
			STEER_TYPE_A, 60, region_cb, &r, arena_alloc, &a, &d),
			-1);
		assert_int_equal(d.action, STEER_RESOLVE);
		assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
		assert_false(d.region_dependent);
		assert_null(d.addrs);
	}
	a.used = 0;
	a.fail_after = 3;
	assert_int_equal(steering_table_decide(st, q.w, q.len, STEER_TYPE_A,
		60, region_cb, &r, arena_alloc, &a, &d), 0);
	assert_int_equal(d.pool, STEER_POOL_CN);
}

/** Writer return values: changed, same, removed. */
static void
test_writer_results(void **state)
{
	struct steering_table *st = *state;
	struct wname n = wn("www.example.com"), f = wn("example.com");
	struct record_field fld = { "offshore", 8, "192.0.2.1", 9 };
	char err[RECORD_ERR_MAX];
	struct route *r;
	size_t filings, routes;

	r = route_new();
	assert_int_equal(route_parse(&fld, 1, r, err), 0);
	assert_int_equal(steering_set_route(st, n.w, n.len, r, 1), 1);
	r = route_new();
	assert_int_equal(route_parse(&fld, 1, r, err), 0);
	assert_int_equal(steering_set_route(st, n.w, n.len, r, 2), 0);
	fld.value = "192.0.2.2";
	r = route_new();
	assert_int_equal(route_parse(&fld, 1, r, err), 0);
	assert_int_equal(steering_set_route(st, n.w, n.len, r, 3), 1);
	assert_int_equal(steering_set_route(st, n.w, n.len, NULL, 3), -1);
	assert_int_equal(steering_set_filing(st, f.w, f.len, FILING_ACTIVE, 1),
		1);
	assert_int_equal(steering_set_filing(st, f.w, f.len, FILING_ACTIVE, 2),
		0);
	assert_int_equal(steering_set_filing(st, f.w, f.len, FILING_PENDING, 2),
		1);
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings, 1);
	assert_int_equal(routes, 1);
	/* FILING_NONE removes */
	assert_int_equal(steering_set_filing(st, f.w, f.len, FILING_NONE, 2),
		1);
	assert_int_equal(steering_del_filing(st, f.w, f.len), 0);
	assert_int_equal(steering_del_route(st, n.w, n.len), 1);
	assert_int_equal(steering_del_route(st, n.w, n.len), 0);
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings, 0);
	assert_int_equal(routes, 0);
}

/** Remove every entry not marked with generation seen, through a writer
 *  (what a full reconciliation does at its end). @return removals. */
static long
sweep(struct steering_table *st, uint32_t seen)
{
	struct steering_writer w;
	long n;

	assert_int_equal(steering_writer_begin(&w, st, 0, seen), 0);
	n = steering_writer_sweep(&w);
	assert_true(steering_writer_commit(&w, NULL, NULL) == n);
	return n;
}

/**
 * The decision cache follows every kind of change: a hit is never served
 * once the table has changed. Each step fills the cache (second call hits)
 * and the next change must show at once.
 */
static void
test_cache_follows_changes(void **state)
{
	struct steering_table *st = *state, other;
	struct steering_decision d;
	struct region cn = { 1, 0 }, us = { 0, 0 };
	struct arena a;
	struct wname q = wn("www.cache.example.com");
	struct wname r = wn("www.cache.example.com");

	add_filing(st, "cache.example.com", FILING_ACTIVE);
	add_route(st, "www.cache.example.com", "192.0.2.1", "198.51.100.1",
		"30");
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.1");
	decide(st, "www.cache.example.com", STEER_TYPE_A, &us, &a, &d);
	assert_addr(&d, "198.51.100.1");
	/* revoked: mainland goes offshore at once */
	add_filing(st, "cache.example.com", FILING_REVOKED);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "198.51.100.1");
	add_filing(st, "cache.example.com", FILING_ACTIVE);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.1");
	/* a new pool, then a filing deeper than the old one */
	add_route(st, "www.cache.example.com", "192.0.2.2", "198.51.100.2",
		"30");
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.2");
	add_filing(st, "www.cache.example.com", FILING_CANCELLED);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "198.51.100.2");
	assert_true(steering_del_filing(st, q.w, q.len) == 1);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.2");
	/* the filing swept away (generation 1 was every entry's) */
	assert_true(steering_set_route(st, r.w, r.len, route_of("192.0.2.2",
		"198.51.100.2", "30"), 2) >= 0);
	assert_int_equal(sweep(st, 2), 1);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "198.51.100.2");
	assert_int_equal(d.filing, FILING_NONE);
	/* the route removed: unmanaged */
	assert_true(steering_del_route(st, r.w, r.len) == 1);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_int_equal(d.action, STEER_UNMANAGED);
	/* another table with the same name and other answers, through the
	 * same cache: never the first table's entries */
	add_route(st, "www.cache.example.com", "192.0.2.3", "198.51.100.3",
		"30");
	add_filing(st, "cache.example.com", FILING_ACTIVE);
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.3");
	assert_int_equal(steering_table_init(&other), 0);
	add_filing(&other, "cache.example.com", FILING_ACTIVE);
	add_route(&other, "www.cache.example.com", "192.0.2.4",
		"198.51.100.4", "30");
	decide(&other, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.4");
	decide(st, "www.cache.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_addr(&d, "192.0.2.3");
	steering_table_destroy(&other);
}

/**
 * A CNAME pool remembered by the decision cache, with whether its target
 * is managed, follows every change too: the pool's target, a rule for the
 * target (exact or wildcard) appearing or going, the filing; and the
 * caller's word about the target (cname_memo) never survives a change.
 */
static void
test_cache_cname_follows_changes(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region cn = { 1, 0 }, us = { 0, 0 };
	struct arena a;
	struct wname q = wn("www.cp.example.com");
	struct wname t = wn("t.cdn.example.net");
	int pass;

	add_filing(st, "cp.example.com", FILING_ACTIVE);
	add_route(st, "www.cp.example.com", "t.cdn.example.net.",
		"g.cdn.example.net.", "30");
	decide(st, "www.cp.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_int_equal(d.action, STEER_CNAME);
	assert_memory_equal(d.cname, t.w, t.len);
	assert_int_equal(d.cname_unmanaged, 1);
	/* a hit hands out the entry's word, kept between hits */
	for(pass = 0; pass < 2; pass++) {
		a.used = 0;
		a.fail_after = -1;
		assert_int_equal(steering_table_answer_cached(st, &test_cache,
			q.w, q.len, STEER_TYPE_A, 60, region_cb, &cn,
			arena_alloc, &a, &d), 0);
		assert_non_null(d.cname_memo);
		assert_int_equal(*d.cname_memo, pass == 0 ? 0 : 42);
		*d.cname_memo = 42;
	}
	/* the target gets a rule: managed at once, the word forgotten */
	add_route(st, "t.cdn.example.net", "192.0.2.9", "198.51.100.9", "30");
	decide(st, "www.cp.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_int_equal(d.cname_unmanaged, 0);
	a.used = 0;
	assert_int_equal(steering_table_answer_cached(st, &test_cache, q.w,
		q.len, STEER_TYPE_A, 60, region_cb, &cn, arena_alloc, &a, &d),
		0);
	assert_non_null(d.cname_memo);
	assert_int_equal(*d.cname_memo, 0);
	/* the rule goes: unmanaged again; a wildcard covering it: managed */
	assert_true(steering_del_route(st, t.w, t.len) == 1);
	decide(st, "www.cp.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_int_equal(d.cname_unmanaged, 1);
	add_route(st, "*.cdn.example.net", "192.0.2.8", "198.51.100.8", "30");
	decide(st, "www.cp.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_int_equal(d.cname_unmanaged, 0);
	decide(st, "www.cp.example.com", STEER_TYPE_A, &us, &a, &d);
	assert_int_equal(d.cname_unmanaged, 0);
	assert_memory_equal(d.cname, "\1g\3cdn\7example\3net", 19);
	/* revoked: mainland goes to the offshore target at once */
	add_filing(st, "cp.example.com", FILING_REVOKED);
	decide(st, "www.cp.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_int_equal(d.region_dependent, 0);
	assert_memory_equal(d.cname, "\1g\3cdn\7example\3net", 19);
	/* a new target for the pool */
	add_filing(st, "cp.example.com", FILING_ACTIVE);
	add_route(st, "www.cp.example.com", "u.cdn.example.org.",
		"g.cdn.example.net.", "30");
	decide(st, "www.cp.example.com", STEER_TYPE_A, &cn, &a, &d);
	assert_memory_equal(d.cname, "\1u\3cdn\7example\3org", 19);
	assert_int_equal(d.cname_unmanaged, 1);
	/* an address pool and a CNAME pool in one entry, AAAA */
	add_route(st, "www.cp.example.com", "u.cdn.example.org.",
		"2001:db8::1,2001:db8::2", "30");
	decide(st, "www.cp.example.com", STEER_TYPE_AAAA, &us, &a, &d);
	assert_int_equal(d.action, STEER_ADDRESSES);
	assert_int_equal(d.addr_count, 2);
	decide(st, "www.cp.example.com", STEER_TYPE_AAAA, &cn, &a, &d);
	assert_int_equal(d.action, STEER_CNAME);
}

/** Sweep removes exactly the entries not seen in the generation. */
static void
test_sweep(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	struct arena a;
	char name[64];
	size_t i, filings, routes, n = 3000;
	struct record_field fld = { "offshore", 8, "192.0.2.1", 9 };
	char err[RECORD_ERR_MAX];

	/* generation 1: n routes and n filings */
	for(i = 0; i < n; i++) {
		struct route *rt = route_new();
		struct wname w;
		snprintf(name, sizeof(name), "r%zu.example.com", i);
		w = wn(name);
		assert_int_equal(route_parse(&fld, 1, rt, err), 0);
		assert_int_equal(steering_set_route(st, w.w, w.len, rt, 1), 1);
		snprintf(name, sizeof(name), "f%zu.example.com", i);
		w = wn(name);
		assert_int_equal(steering_set_filing(st, w.w, w.len,
			FILING_ACTIVE, 1), 1);
	}
	/* generation 2 sees the multiples of 3 again (unchanged) */
	for(i = 0; i < n; i += 3) {
		struct route *rt = route_new();
		struct wname w;
		snprintf(name, sizeof(name), "r%zu.example.com", i);
		w = wn(name);
		assert_int_equal(route_parse(&fld, 1, rt, err), 0);
		assert_int_equal(steering_set_route(st, w.w, w.len, rt, 2), 0);
		snprintf(name, sizeof(name), "f%zu.example.com", i);
		w = wn(name);
		assert_int_equal(steering_set_filing(st, w.w, w.len,
			FILING_ACTIVE, 2), 0);
	}
	assert_int_equal(sweep(st, 2), 2 * (n - n / 3));
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings, n / 3);
	assert_int_equal(routes, n / 3);
	for(i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "r%zu.example.com", i);
		decide(st, name, STEER_TYPE_A, &r, &a, &d);
		assert_int_equal(d.action, i % 3 == 0 ? STEER_ADDRESSES :
			STEER_UNMANAGED);
	}
	assert_int_equal(sweep(st, 2), 0);
	assert_int_equal(sweep(st, 3), 2 * (n / 3));
}

/** 100k routes through the writer's growth path: all findable. */
static void
test_growth(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 0, 0 };
	struct arena a;
	char name[64], addr[32];
	size_t i, n = 100000;

	for(i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		snprintf(addr, sizeof(addr), "10.%zu.%zu.%zu", i >> 16,
			(i >> 8) & 255, i & 255);
		add_route(st, name, "", addr, NULL);
	}
	for(i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "h%zu.example.com", i);
		snprintf(addr, sizeof(addr), "10.%zu.%zu.%zu", i >> 16,
			(i >> 8) & 255, i & 255);
		decide(st, name, STEER_TYPE_A, &r, &a, &d);
		assert_addr(&d, addr);
	}
}

/** Shared state of the concurrency test. */
struct race {
	/** the table */
	struct steering_table *st;
	/** set when the writer is done */
	atomic_int done;
	/** grown routes published so far (g0..g<published-1>) */
	atomic_size_t published;
	/** inconsistent decisions seen by readers */
	atomic_long errors;
	/** decisions that went CN / offshore */
	atomic_long cn_seen, offshore_seen;
};

/** Fixed routes of the race: name and the last byte of its pools. */
static const char *const race_names[2] = { "a.one.test", "b.two.test" };

/** Check one decision of a race route; @return 1 if consistent. */
static int
race_check(const struct steering_decision *d, int which, struct race *rc)
{
	uint8_t cn = (uint8_t)(1 + which), off = (uint8_t)(101 + which);

	if(d->action != STEER_ADDRESSES || d->addr_len != 4 ||
		d->addr_count != 1 || d->addrs == NULL || d->rule_name == NULL)
		return 0;
	if(d->ttl != 30 && d->ttl != 31)
		return 0;
	if(d->pool == STEER_POOL_CN) {
		atomic_fetch_add(&rc->cn_seen, 1);
		return d->filing == FILING_ACTIVE && d->region_dependent &&
			d->mainland == 1 && d->addrs[3] == cn &&
			d->addrs[0] == 10;
	}
	if(d->pool == STEER_POOL_OFFSHORE) {
		atomic_fetch_add(&rc->offshore_seen, 1);
		return d->filing == FILING_REVOKED && !d->region_dependent &&
			d->mainland == -1 && d->addrs[3] == off &&
			d->addrs[0] == 10;
	}
	return 0;
}

/** Reader thread: decide in a loop, count inconsistencies. */
static void *
race_reader(void *arg)
{
	struct race *rc = arg;
	struct arena *a = malloc(sizeof(*a));
	struct region r = { 1, 0 };
	struct steering_decision d;
	struct wname q[2], g;
	char name[64];
	unsigned k = 0;

	if(a == NULL) {
		atomic_fetch_add(&rc->errors, 1);
		return NULL;
	}
	dname_from_text(race_names[0], q[0].w, &q[0].len);
	dname_from_text(race_names[1], q[1].w, &q[1].len);
	while(!atomic_load(&rc->done)) {
		int which = (int)(k++ & 1);
		size_t pub;
		a->used = 0;
		a->fail_after = -1;
		if(steering_table_decide(rc->st, q[which].w, q[which].len,
			STEER_TYPE_A, 60, region_cb, &r, arena_alloc, a, &d)
			!= 0 || !race_check(&d, which, rc))
			atomic_fetch_add(&rc->errors, 1);
		/* a published grown route must always be found */
		pub = atomic_load(&rc->published);
		if(pub == 0)
			continue;
		snprintf(name, sizeof(name), "g%zu.grow.test", k % pub);
		dname_from_text(name, g.w, &g.len);
		a->used = 0;
		if(steering_table_decide(rc->st, g.w, g.len, STEER_TYPE_A, 60,
			region_cb, &r, arena_alloc, a, &d) != 0 ||
			d.action != STEER_ADDRESSES || d.addr_count != 1)
			atomic_fetch_add(&rc->errors, 1);
	}
	free(a);
	return NULL;
}

/** Build a route for the race (ttl 30 or 31). */
static struct route *
race_route(const char *cn, const char *off, const char *ttl)
{
	struct record_field f[3] = {
		{ "cn", 2, cn, strlen(cn) },
		{ "offshore", 8, off, strlen(off) },
		{ "ttl", 3, ttl, strlen(ttl) },
	};
	struct route *r = route_new();
	char err[RECORD_ERR_MAX];

	if(r == NULL || route_parse(f, 3, r, err) != 0)
		fail_msg("race route");
	return r;
}

/**
 * Two readers decide while the writer flips the filings between active
 * and revoked, replaces the routes and grows the route table. A reader
 * must never see CN without an active filing, an address of the other
 * route, or a torn decision; ASan watches the frees.
 */
static void
test_concurrent_flips(void **state)
{
	struct steering_table *st = *state;
	struct race rc;
	pthread_t readers[2];
	struct wname f[2], n[2];
	size_t i, flips = 5000;
	char name[64];
	int t;

	rc.st = st;
	atomic_init(&rc.done, 0);
	atomic_init(&rc.published, 0);
	atomic_init(&rc.errors, 0);
	atomic_init(&rc.cn_seen, 0);
	atomic_init(&rc.offshore_seen, 0);
	f[0] = wn("one.test");
	f[1] = wn("two.test");
	n[0] = wn(race_names[0]);
	n[1] = wn(race_names[1]);
	assert_int_equal(steering_set_filing(st, f[0].w, f[0].len,
		FILING_ACTIVE, 1), 1);
	assert_int_equal(steering_set_filing(st, f[1].w, f[1].len,
		FILING_REVOKED, 1), 1);
	assert_int_equal(steering_set_route(st, n[0].w, n[0].len,
		race_route("10.0.0.1", "10.0.0.101", "30"), 1), 1);
	assert_int_equal(steering_set_route(st, n[1].w, n[1].len,
		race_route("10.0.0.2", "10.0.0.102", "30"), 1), 1);
	for(t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&readers[t], NULL, race_reader,
			&rc), 0);
	for(i = 0; i < flips; i++) {
		int on = (int)(i & 1);
		const char *ttl = (i & 2) ? "31" : "30";
		struct wname g;
		char addr[32];
		steering_set_filing(st, f[0].w, f[0].len,
			on ? FILING_ACTIVE : FILING_REVOKED, 1);
		steering_set_filing(st, f[1].w, f[1].len,
			on ? FILING_REVOKED : FILING_ACTIVE, 1);
		/* replace routes: the old ones are freed while readers run */
		steering_set_route(st, n[0].w, n[0].len,
			race_route("10.0.0.1", "10.0.0.101", ttl), 1);
		steering_set_route(st, n[1].w, n[1].len,
			race_route("10.0.0.2", "10.0.0.102", ttl), 1);
		/* grow: 10 new routes per flip, 50k in all */
		for(t = 0; t < 10; t++) {
			size_t k = i * 10 + (size_t)t;
			snprintf(name, sizeof(name), "g%zu.grow.test", k);
			snprintf(addr, sizeof(addr), "10.9.%zu.%zu",
				(k >> 8) & 255, k & 255);
			dname_from_text(name, g.w, &g.len);
			steering_set_route(st, g.w, g.len,
				race_route("", addr, "30"), 1);
			atomic_store(&rc.published, k + 1);
		}
	}
	atomic_store(&rc.done, 1);
	for(t = 0; t < 2; t++)
		pthread_join(readers[t], NULL);
	print_message("race: %ld CN, %ld offshore decisions, %ld errors\n",
		(long)atomic_load(&rc.cn_seen),
		(long)atomic_load(&rc.offshore_seen),
		(long)atomic_load(&rc.errors));
	assert_int_equal(atomic_load(&rc.errors), 0);
	assert_true(atomic_load(&rc.cn_seen) > 0);
	assert_true(atomic_load(&rc.offshore_seen) > 0);
}

/** A name's canonical wire form, as a struct for the writer's calls. */
#define WN(var, text) struct wname var = wn(text)

/**
 * The decision a mainland client gets for an A query (also checked by
 * decide() against steering_table_answer and the decision cache).
 */
static struct steering_decision
mainland_decision(struct steering_table *st, const char *name)
{
	struct steering_decision d;
	struct region r = { 1, 0 };
	static struct arena a;

	decide(st, name, STEER_TYPE_A, &r, &a, &d);
	return d;
}

/** The pool a mainland client gets (STEER_POOL_NONE: unmanaged). */
static enum steering_pool
pool_for(struct steering_table *st, const char *name)
{
	return mainland_decision(st, name).pool;
}

/** The filing a reader finds for a managed name (under the read lock). */
static enum filing_status
reader_filing(struct steering_table *st, const char *name)
{
	return mainland_decision(st, name).filing;
}

/**
 * Fresh mode: the writer builds a table of its own, which it sees before
 * the commit and readers do not; the commit replaces the whole content,
 * an abort leaves the live table alone.
 */
static void
test_writer_fresh(void **state)
{
	struct steering_table *st = *state;
	struct steering_writer w;
	WN(a, "a.example.com");
	WN(c, "c.example.com");
	WN(f, "example.com");
	size_t filings, routes;

	add_route(st, "a.example.com", "10.0.0.1", "192.0.2.1", NULL);
	add_route(st, "b.example.com", "10.0.0.2", "192.0.2.2", NULL);
	add_filing(st, "example.com", FILING_REVOKED);
	add_filing(st, "other.com", FILING_ACTIVE);
	assert_int_equal(steering_writer_begin(&w, st, 1, 7), 0);
	assert_int_equal(steering_writer_set_route(&w, c.w, c.len,
		route_of("10.0.0.3", "192.0.2.3", NULL)), 1);
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_ACTIVE), 1);
	/* the writer sees its own table only */
	assert_int_equal(steering_writer_filing(&w, f.w, f.len),
		FILING_ACTIVE);
	assert_non_null(steering_writer_route(&w, c.w, c.len));
	assert_null(steering_writer_route(&w, a.w, a.len));
	/* readers see the live table only */
	assert_int_equal(pool_for(st, "a.example.com"), STEER_POOL_OFFSHORE);
	assert_int_equal(pool_for(st, "c.example.com"), STEER_POOL_NONE);
	assert_int_equal(steering_writer_commit(&w, NULL, NULL), 2);
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings, 1);
	assert_int_equal(routes, 1);
	assert_int_equal(pool_for(st, "a.example.com"), STEER_POOL_NONE);
	assert_int_equal(pool_for(st, "b.example.com"), STEER_POOL_NONE);
	assert_int_equal(pool_for(st, "c.example.com"), STEER_POOL_CN);
	/* aborted: nothing changes */
	assert_int_equal(steering_writer_begin(&w, st, 1, 8), 0);
	assert_int_equal(steering_writer_set_route(&w, a.w, a.len,
		route_of("10.0.0.1", "192.0.2.1", NULL)), 1);
	steering_writer_abort(&w);
	assert_int_equal(pool_for(st, "a.example.com"), STEER_POOL_NONE);
	assert_int_equal(pool_for(st, "c.example.com"), STEER_POOL_CN);
	/* a fresh load of nothing empties the table */
	assert_int_equal(steering_writer_begin(&w, st, 1, 9), 0);
	assert_int_equal(steering_writer_commit(&w, NULL, NULL), 0);
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings + routes, 0);
	assert_int_equal(pool_for(st, "c.example.com"), STEER_POOL_NONE);
}

/**
 * Incremental mode: pending values are seen by steering_writer_filing
 * and steering_writer_route (the last one of a name) before the commit,
 * never by readers; the commit makes all of them visible.
 */
static void
test_writer_pending(void **state)
{
	struct steering_table *st = *state;
	struct steering_writer w;
	struct steering_decision d;
	WN(f, "example.com");
	WN(www, "www.example.com");
	WN(nw, "new.example.com");
	const struct route *r;
	struct route *expect;

	add_route(st, "www.example.com", "10.0.0.1", "192.0.2.1", NULL);
	add_filing(st, "example.com", FILING_REVOKED);
	assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
	/* before any change, the writer reads the live table */
	assert_int_equal(steering_writer_filing(&w, f.w, f.len),
		FILING_REVOKED);
	expect = route_of("10.0.0.1", "192.0.2.1", NULL);
	assert_true(route_equal(steering_writer_route(&w, www.w, www.len),
		expect));
	route_free(expect);
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_ACTIVE), 1);
	assert_int_equal(steering_writer_filing(&w, f.w, f.len),
		FILING_ACTIVE);
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_ACTIVE), 0);
	assert_int_equal(reader_filing(st, "www.example.com"), FILING_REVOKED);
	assert_int_equal(steering_writer_set_route(&w, www.w, www.len,
		route_of("10.0.0.9", "192.0.2.9", NULL)), 1);
	r = steering_writer_route(&w, www.w, www.len);
	assert_non_null(r);
	assert_int_equal(r->cn.v4[3], 9);
	assert_int_equal(steering_writer_set_route(&w, nw.w, nw.len,
		route_of("10.0.0.5", "192.0.2.5", NULL)), 1);
	assert_non_null(steering_writer_route(&w, nw.w, nw.len));
	/* readers: the old answers, nothing new */
	d = mainland_decision(st, "www.example.com");
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_addr(&d, "192.0.2.1");
	assert_int_equal(pool_for(st, "new.example.com"), STEER_POOL_NONE);
	/* removals pend as well, and the last value of a name counts */
	assert_int_equal(steering_writer_set_route(&w, www.w, www.len, NULL),
		1);
	assert_null(steering_writer_route(&w, www.w, www.len));
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_NONE), 1);
	assert_int_equal(steering_writer_filing(&w, f.w, f.len), FILING_NONE);
	assert_int_equal(pool_for(st, "www.example.com"), STEER_POOL_OFFSHORE);
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_ACTIVE), 1);
	assert_int_equal(steering_writer_set_route(&w, www.w, www.len,
		route_of("10.0.0.9", "192.0.2.9", NULL)), 1);
	assert_int_equal(pool_for(st, "www.example.com"), STEER_POOL_OFFSHORE);
	/* one change per name: the filing and two routes */
	assert_int_equal(steering_writer_commit(&w, NULL, NULL), 3);
	d = mainland_decision(st, "www.example.com");
	assert_int_equal(d.pool, STEER_POOL_CN);
	assert_addr(&d, "10.0.0.9");
	assert_int_equal(pool_for(st, "new.example.com"), STEER_POOL_CN);
	/* an aborted batch leaves no trace */
	assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_REVOKED), 1);
	assert_int_equal(steering_writer_set_route(&w, nw.w, nw.len, NULL), 1);
	steering_writer_abort(&w);
	assert_int_equal(pool_for(st, "www.example.com"), STEER_POOL_CN);
	assert_int_equal(pool_for(st, "new.example.com"), STEER_POOL_CN);
}

/** What the all-or-nothing test expects of the table. */
enum batch_seen {
	/** as before the batch: the sub filing and its route absent */
	BATCH_NONE,
	/** the whole batch applied */
	BATCH_ALL
};

/** Check the table holds the batch of test_writer_commit_all_or_nothing
 *  entirely, or not at all. */
static void
assert_batch(struct steering_table *st, enum batch_seen seen)
{
	struct steering_decision d;
	size_t filings, routes;

	steering_table_counts(st, &filings, &routes);
	d = mainland_decision(st, "www.sub.example.com");
	if(seen == BATCH_NONE) {
		assert_int_equal(filings, 1);
		assert_int_equal(routes, 1);
		assert_int_equal(d.action, STEER_UNMANAGED);
		assert_int_equal(pool_for(st, "www.example.com"),
			STEER_POOL_OFFSHORE);
	} else {
		/* first what a mainland client gets: never CN (1) here */
		assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
		assert_int_equal(d.filing, FILING_REVOKED);
		assert_int_equal(filings, 2);
		assert_int_equal(routes, 1);
		assert_int_equal(pool_for(st, "www.example.com"),
			STEER_POOL_NONE);
	}
}

/** routes_added callback that counts its calls. */
static void
count_added(void *ctx, const uint8_t *const *names, const size_t *lens,
	size_t count)
{
	(void)names;
	(void)lens;
	*(size_t *)ctx += count;
}

/**
 * A commit applies all of its batch or nothing, whichever allocation runs
 * out of memory: the batch adds a revoked sub-filing under an active
 * filing, a route below it, and drops another route. Applying only part
 * of it could give the CN pool under the revoked sub-filing.
 */
static void
test_writer_commit_all_or_nothing(void **state)
{
	struct steering_table *st = *state;
	struct steering_writer w;
	WN(sub, "sub.example.com");
	WN(route, "www.sub.example.com");
	WN(old, "www.example.com");
	long k, n, failed;
	size_t added;

	add_filing(st, "example.com", FILING_ACTIVE);
	for(k = 0; ; k++) {
		add_route(st, "www.example.com", "", "192.0.2.1", NULL);
		assert_batch(st, BATCH_NONE);
		assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
		/* the sub-filing is stored first: if it alone failed, the
		 * route would be served under the active parent */
		assert_int_equal(steering_writer_set_filing(&w, sub.w, sub.len,
			FILING_REVOKED), 1);
		assert_int_equal(steering_writer_set_route(&w, route.w,
			route.len, route_of("10.0.0.1", "192.0.2.2", NULL)),
			1);
		assert_int_equal(steering_writer_set_route(&w, old.w, old.len,
			NULL), 1);
		added = 0;
		alloc_failed = 0;
		alloc_countdown = k;
		n = steering_writer_commit(&w, count_added, &added);
		alloc_countdown = -1;
		failed = alloc_failed;
		if(n < 0) {
			assert_true(failed > 0);
			assert_int_equal(added, 0);
			assert_batch(st, BATCH_NONE);
			continue;
		}
		print_message("commit with allocation %ld failing: %ld "
			"changes\n", k, n);
		assert_batch(st, BATCH_ALL);
		assert_int_equal(n, 3);
		if(failed == 0) {
			assert_int_equal(added, 1);
			break;
		}
		/* back to the state before the batch, for the next k */
		steering_del_route(st, route.w, route.len);
		steering_del_filing(st, sub.w, sub.len);
	}
	assert_true(k >= 2);
}

/**
 * steering_writer_sweep queues the removal of exactly the entries of the
 * live table not seen in the writer's generation (not those set, touched
 * or already changed in the batch), once.
 */
static void
test_writer_sweep_exact(void **state)
{
	struct steering_table *st = *state;
	struct steering_writer w;
	char name[64];
	size_t i, filings, routes;
	struct wname n;

	for(i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%zu.example.com", i);
		add_filing(st, name, FILING_ACTIVE);
		snprintf(name, sizeof(name), "r%zu.example.com", i);
		add_route(st, name, "", "192.0.2.1", NULL);
	}
	assert_int_equal(steering_writer_begin(&w, st, 0, 2), 0);
	/* seen unchanged: f0 f2 f4, r1 r3 */
	for(i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "%c%zu.example.com",
			i % 2 ? 'r' : 'f', i);
		n = wn(name);
		if(i % 2)
			assert_int_equal(steering_writer_set_route(&w, n.w,
				n.len, route_of("", "192.0.2.1", NULL)), 0);
		else
			assert_int_equal(steering_writer_set_filing(&w, n.w,
				n.len, FILING_ACTIVE), 0);
	}
	/* changed: f5 revoked, r5 removed; new: f9 */
	n = wn("f5.example.com");
	assert_int_equal(steering_writer_set_filing(&w, n.w, n.len,
		FILING_REVOKED), 1);
	n = wn("r5.example.com");
	assert_int_equal(steering_writer_set_route(&w, n.w, n.len, NULL), 1);
	n = wn("f9.example.com");
	assert_int_equal(steering_writer_set_filing(&w, n.w, n.len,
		FILING_ACTIVE), 1);
	/* unseen: f1 f3, r0 r2 r4 */
	assert_int_equal(steering_writer_sweep(&w), 5);
	assert_int_equal(steering_writer_sweep(&w), 0);
	assert_int_equal(steering_writer_commit(&w, NULL, NULL), 8);
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings, 5);
	assert_int_equal(routes, 2);
	for(i = 0; i < 6; i++) {
		enum steering_pool pool;
		snprintf(name, sizeof(name), "r%zu.example.com", i);
		pool = pool_for(st, name);
		assert_int_equal(pool, i == 1 || i == 3 ? STEER_POOL_OFFSHORE :
			STEER_POOL_NONE);
		snprintf(name, sizeof(name), "f%zu.example.com", i);
		n = wn(name);
		assert_int_equal(name_table_lookup(&st->filings, n.w, n.len) !=
			NULL, i % 2 == 0 || i == 5);
	}
	/* the same generation again: everything was seen */
	assert_int_equal(steering_writer_begin(&w, st, 0, 2), 0);
	assert_int_equal(steering_writer_sweep(&w), 0);
	steering_writer_abort(&w);
	/* a fresh writer sweeps nothing: its table holds only what it set */
	assert_int_equal(steering_writer_begin(&w, st, 1, 3), 0);
	assert_int_equal(steering_writer_sweep(&w), 0);
	steering_writer_abort(&w);
	steering_table_counts(st, &filings, &routes);
	assert_int_equal(filings + routes, 7);
}

/**
 * Whichever allocation of a commit runs out of memory, a commit that
 * applied its batch (a new route) calls routes_added with the new name:
 * the module expires what Unbound cached for it there, and a name left
 * out keeps its unsteered cached answer.
 */
static void
test_writer_routes_added_out_of_memory(void **state)
{
	struct steering_table *st = *state;
	struct steering_writer w;
	WN(name, "www.example.com");
	long k, n, failed;
	size_t added;

	for(k = 0; ; k++) {
		assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
		assert_int_equal(steering_writer_set_route(&w, name.w,
			name.len, route_of("", "192.0.2.1", NULL)), 1);
		added = 0;
		alloc_failed = 0;
		alloc_countdown = k;
		n = steering_writer_commit(&w, count_added, &added);
		alloc_countdown = -1;
		failed = alloc_failed;
		if(n > 0) {
			print_message("commit with allocation %ld failing: "
				"%zu names reported\n", k, added);
			assert_int_equal(pool_for(st, "www.example.com"),
				STEER_POOL_OFFSHORE);
			assert_int_equal(added, 1);
			assert_true(steering_del_route(st, name.w, name.len) ==
				1);
		} else {
			assert_int_equal(added, 0);
			assert_int_equal(pool_for(st, "www.example.com"),
				STEER_POOL_NONE);
		}
		if(failed == 0)
			break;
	}
}

/** Names a routes_added callback was given, as text. */
struct added_log {
	/** calls */
	int calls;
	/** names given, in order */
	char names[8][DNAME_MAX_TEXT];
	/** number of names */
	size_t count;
};

/** routes_added callback: log the names. */
static void
log_added(void *ctx, const uint8_t *const *names, const size_t *lens,
	size_t count)
{
	struct added_log *log = ctx;
	size_t i;

	log->calls++;
	for(i = 0; i < count && log->count < 8; i++) {
		assert_int_equal(lens[i], dname_length(names[i]));
		dname_to_text(names[i], log->names[log->count++]);
	}
}

/**
 * The routes_added callback lists exactly the names that had no route
 * before the commit and have one after it; it is not called when no name
 * gained one, nor for a fresh load.
 */
static void
test_writer_routes_added(void **state)
{
	struct steering_table *st = *state;
	struct steering_writer w;
	struct added_log log;
	WN(old, "old.example.com");
	WN(gone, "gone.example.com");
	WN(same, "same.example.com");
	WN(new1, "new1.example.com");
	WN(new2, "new2.example.com");
	WN(new3, "*.new3.example.com");
	WN(f, "example.com");

	memset(&log, 0, sizeof(log));
	add_route(st, "old.example.com", "", "192.0.2.1", NULL);
	add_route(st, "gone.example.com", "", "192.0.2.1", NULL);
	add_route(st, "same.example.com", "", "192.0.2.1", NULL);
	assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
	/* replaced, removed, unchanged: not listed */
	assert_int_equal(steering_writer_set_route(&w, old.w, old.len,
		route_of("", "192.0.2.2", NULL)), 1);
	assert_int_equal(steering_writer_set_route(&w, gone.w, gone.len,
		NULL), 1);
	assert_int_equal(steering_writer_set_route(&w, same.w, same.len,
		route_of("", "192.0.2.1", NULL)), 0);
	/* new: listed */
	assert_int_equal(steering_writer_set_route(&w, new1.w, new1.len,
		route_of("", "192.0.2.3", NULL)), 1);
	/* added and removed again in the batch: not listed */
	assert_int_equal(steering_writer_set_route(&w, new2.w, new2.len,
		route_of("", "192.0.2.4", NULL)), 1);
	assert_int_equal(steering_writer_set_route(&w, new2.w, new2.len, NULL),
		1);
	/* a wildcard, set twice: listed once */
	assert_int_equal(steering_writer_set_route(&w, new3.w, new3.len,
		route_of("", "192.0.2.5", NULL)), 1);
	assert_int_equal(steering_writer_set_route(&w, new3.w, new3.len,
		route_of("", "192.0.2.6", NULL)), 1);
	/* a filing: not a route */
	assert_int_equal(steering_writer_set_filing(&w, f.w, f.len,
		FILING_ACTIVE), 1);
	assert_true(steering_writer_commit(&w, log_added, &log) > 0);
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.count, 2);
	assert_string_equal(log.names[0], "new1.example.com.");
	assert_string_equal(log.names[1], "*.new3.example.com.");
	/* a batch with changes but no new route: no call */
	assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
	assert_int_equal(steering_writer_set_route(&w, old.w, old.len,
		route_of("", "192.0.2.7", NULL)), 1);
	assert_int_equal(steering_writer_set_route(&w, new1.w, new1.len, NULL),
		1);
	assert_true(steering_writer_commit(&w, log_added, &log) > 0);
	assert_int_equal(log.calls, 1);
	/* the route removed before comes back: listed */
	assert_int_equal(steering_writer_begin(&w, st, 0, 1), 0);
	assert_int_equal(steering_writer_set_route(&w, new1.w, new1.len,
		route_of("", "192.0.2.3", NULL)), 1);
	assert_true(steering_writer_commit(&w, log_added, &log) > 0);
	assert_int_equal(log.calls, 2);
	assert_int_equal(log.count, 3);
	assert_string_equal(log.names[2], "new1.example.com.");
	/* a fresh load: never called */
	assert_int_equal(steering_writer_begin(&w, st, 1, 2), 0);
	assert_int_equal(steering_writer_set_route(&w, new2.w, new2.len,
		route_of("", "192.0.2.4", NULL)), 1);
	assert_true(steering_writer_commit(&w, log_added, &log) > 0);
	assert_int_equal(log.calls, 2);
	assert_int_equal(pool_for(st, "new2.example.com"), STEER_POOL_OFFSHORE);
}

/** steering_table_answer_alias for an alias and the managed name. */
static void
alias_answer(struct steering_table *st, const char *alias, const char *name,
	struct region *r, struct steering_decision *d)
{
	struct wname a = wn(alias), n = wn(name);
	struct arena ar;

	ar.used = 0;
	ar.fail_after = -1;
	r->calls = 0;
	assert_int_equal(steering_table_answer_alias(st, a.w, a.len, n.w,
		n.len, STEER_TYPE_A, 60, region_cb, r, arena_alloc, &ar, d), 0);
}

/**
 * Through a CNAME chain, the CN pool needs both the alias's covering
 * filing and the name's to be active; otherwise the answer is offshore
 * and the region is not even asked.
 */
static void
test_answer_alias(void **state)
{
	struct steering_table *st = *state;
	struct steering_decision d;
	struct region r = { 1, 0 };
	static const struct {
		/** the alias asked */
		const char *alias;
		/** its covering filing */
		enum filing_status filing;
	} offshore[] = {
		{ "www.unfiled.net", FILING_NONE },
		{ "www.revoked.net", FILING_REVOKED },
		{ "www.invalid.net", FILING_INVALID },
		{ "www.pending.net", FILING_PENDING },
		{ "www.sub.filed.net", FILING_REVOKED },
	};
	size_t i;

	add_route(st, "www.example.com", "10.0.0.1", "192.0.2.1", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	add_filing(st, "revoked.net", FILING_REVOKED);
	add_filing(st, "invalid.net", FILING_INVALID);
	add_filing(st, "pending.net", FILING_PENDING);
	add_filing(st, "filed.net", FILING_ACTIVE);
	add_filing(st, "sub.filed.net", FILING_REVOKED);
	for(i = 0; i < sizeof(offshore) / sizeof(offshore[0]); i++) {
		alias_answer(st, offshore[i].alias, "www.example.com", &r, &d);
		assert_int_equal(d.alias_filing, offshore[i].filing);
		assert_int_equal(d.filing, FILING_ACTIVE);
		assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
		assert_false(d.region_dependent);
		assert_int_equal(d.mainland, -1);
		assert_int_equal(r.calls, 0);
		assert_addr(&d, "192.0.2.1");
	}
	/* both filings active: CN for mainland, asked once */
	alias_answer(st, "www.filed.net", "www.example.com", &r, &d);
	assert_int_equal(d.alias_filing, FILING_ACTIVE);
	assert_int_equal(d.pool, STEER_POOL_CN);
	assert_true(d.region_dependent);
	assert_int_equal(r.calls, 1);
	assert_addr(&d, "10.0.0.1");
	r.mainland = 0;
	alias_answer(st, "www.filed.net", "www.example.com", &r, &d);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_int_equal(r.calls, 1);
	r.mainland = 1;
	/* the alias filed, the name not */
	add_filing(st, "example.com", FILING_REVOKED);
	alias_answer(st, "www.filed.net", "www.example.com", &r, &d);
	assert_int_equal(d.alias_filing, FILING_ACTIVE);
	assert_int_equal(d.filing, FILING_REVOKED);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_int_equal(r.calls, 0);
	add_filing(st, "example.com", FILING_ACTIVE);
	/* the alias is the name itself */
	alias_answer(st, "www.example.com", "www.example.com", &r, &d);
	assert_int_equal(d.pool, STEER_POOL_CN);
	/* an unmanaged name stays unmanaged */
	alias_answer(st, "www.filed.net", "www.example.org", &r, &d);
	assert_int_equal(d.action, STEER_UNMANAGED);
	assert_int_equal(r.calls, 0);
}

/** steering_table_is_managed: exact rules, wildcards of ancestors. */
static void
test_is_managed(void **state)
{
	struct steering_table *st = *state;
	static const struct {
		/** the name */
		const char *name;
		/** whether a rule matches it */
		int managed;
	} cases[] = {
		{ "www.example.com", 1 },
		{ "a.img.example.com", 1 },
		{ "a.b.img.example.com", 1 },
		{ "*.img.example.com", 1 },
		{ "img.example.com", 0 },
		{ "example.com", 0 },
		{ "a.www.example.com", 0 },
		{ "www.example.org", 0 },
		{ ".", 0 },
	};
	size_t i;
	WN(www, "www.example.com");

	add_route(st, "www.example.com", "", "192.0.2.1", NULL);
	add_route(st, "*.img.example.com", "", "192.0.2.2", NULL);
	add_filing(st, "example.com", FILING_ACTIVE);
	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wname n = wn(cases[i].name);
		assert_int_equal(steering_table_is_managed(st, n.w, n.len),
			cases[i].managed);
	}
	/* not a canonical name: unmanaged */
	assert_int_equal(steering_table_is_managed(st, www.w, www.len - 1), 0);
	assert_int_equal(steering_table_is_managed(st, www.w, 0), 0);
	assert_int_equal(steering_table_is_managed(st, NULL, 5), 0);
	assert_true(steering_del_route(st, www.w, www.len) == 1);
	assert_int_equal(steering_table_is_managed(st, www.w, www.len), 0);
}

/** Shared state of test_concurrent_commits. */
struct commit_race {
	/** the table */
	struct steering_table *st;
	/** set when the writer is done */
	atomic_int done;
	/** names p<lo>..p<hi-1> are in the table (roughly: readers also
	 *  ask a little outside) */
	atomic_long lo, hi;
	/** decisions that gave the CN pool (must stay 0) */
	atomic_long cn;
	/** decisions for managed names, and in all */
	atomic_long managed, decisions;
};

/** The query, sub-filing, filing and route names of triple k. */
static void
triple_names(long k, struct wname *q, struct wname *sub, struct wname *top)
{
	char text[64];

	snprintf(text, sizeof(text), "www.sub.p%ld.test", k);
	if(dname_from_text(text, q->w, &q->len) != 0)
		abort();
	snprintf(text, sizeof(text), "sub.p%ld.test", k);
	if(dname_from_text(text, sub->w, &sub->len) != 0)
		abort();
	snprintf(text, sizeof(text), "p%ld.test", k);
	if(dname_from_text(text, top->w, &top->len) != 0)
		abort();
}

/** Reader of test_concurrent_commits: a mainland client asking away. */
static void *
commit_reader(void *arg)
{
	struct commit_race *rc = arg;
	struct arena *a = malloc(sizeof(*a));
	struct region r = { 1, 0 };
	struct steering_decision d;
	struct wname q, sub, top;
	unsigned seed = 12345;

	if(a == NULL)
		return NULL;
	while(!atomic_load(&rc->done)) {
		long lo = atomic_load(&rc->lo) - 8;
		long hi = atomic_load(&rc->hi) + 8;
		long k = lo + (long)(rand_r(&seed) % (unsigned)(hi - lo));
		if(k < 0)
			k = 0;
		triple_names(k, &q, &sub, &top);
		a->used = 0;
		a->fail_after = -1;
		if(steering_table_answer(rc->st, q.w, q.len, STEER_TYPE_A, 60,
			region_cb, &r, arena_alloc, a, &d) != 0)
			continue;
		atomic_fetch_add(&rc->decisions, 1);
		if(d.action != STEER_UNMANAGED)
			atomic_fetch_add(&rc->managed, 1);
		if(d.pool == STEER_POOL_CN)
			atomic_fetch_add(&rc->cn, 1);
	}
	free(a);
	return NULL;
}

/**
 * Queue triple k in the order that is worst if applied in part: the
 * route (with a CN pool) and the active filing first, the revoked
 * sub-filing that keeps the name offshore last; or its removal, the
 * sub-filing first.
 */
static void
queue_triple(struct steering_writer *w, long k, int add, int variant)
{
	struct wname q, sub, top;
	char cn[32];

	triple_names(k, &q, &sub, &top);
	if(add) {
		snprintf(cn, sizeof(cn), "10.0.%d.%ld", variant & 255,
			k & 255);
		assert_true(steering_writer_set_route(w, q.w, q.len,
			route_of(cn, "192.0.2.1", NULL)) >= 0);
		assert_true(steering_writer_set_filing(w, top.w, top.len,
			FILING_ACTIVE) >= 0);
		assert_true(steering_writer_set_filing(w, sub.w, sub.len,
			FILING_REVOKED) >= 0);
	} else {
		assert_true(steering_writer_set_filing(w, sub.w, sub.len,
			FILING_NONE) >= 0);
		assert_true(steering_writer_set_route(w, q.w, q.len, NULL) >=
			0);
		assert_true(steering_writer_set_filing(w, top.w, top.len,
			FILING_NONE) >= 0);
	}
}

/**
 * A reader deciding for names under a revoked sub-filing (its parent
 * active, the route with a CN pool) while the writer commits such triples
 * in incremental batches (new ones, replaced routes, removals) and in
 * fresh loads must never get the CN pool: each commit is seen whole.
 */
static void
test_concurrent_commits(void **state)
{
	struct steering_table *st = *state;
	struct commit_race rc;
	struct steering_writer w;
	struct timespec start, now;
	pthread_t reader;
	long lo = 0, hi = 0, k, round;

	rc.st = st;
	atomic_init(&rc.done, 0);
	atomic_init(&rc.lo, 0);
	atomic_init(&rc.hi, 0);
	atomic_init(&rc.cn, 0);
	atomic_init(&rc.managed, 0);
	atomic_init(&rc.decisions, 0);
	assert_int_equal(pthread_create(&reader, NULL, commit_reader, &rc), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for(round = 0; round < 4000; round++) {
		/* each round: 16 new triples, the 8 oldest removed once
		 * there are 256, 8 routes replaced; every 8th round as a
		 * fresh load of the whole new window */
		int fresh = round % 8 == 7;
		long new_hi = hi + 16, new_lo = new_hi - lo > 256 ? lo + 8 : lo;
		assert_int_equal(steering_writer_begin(&w, st, fresh, 1), 0);
		if(fresh) {
			for(k = new_lo; k < new_hi; k++)
				queue_triple(&w, k, 1, (int)round);
		} else {
			for(k = hi; k < new_hi; k++)
				queue_triple(&w, k, 1, 0);
			for(k = lo; k < new_lo; k++)
				queue_triple(&w, k, 0, 0);
			for(k = hi - 8 < new_lo ? new_lo : hi - 8; k < hi; k++)
				queue_triple(&w, k, 1, (int)round);
		}
		assert_true(steering_writer_commit(&w, NULL, NULL) >= 0);
		lo = new_lo;
		hi = new_hi;
		atomic_store(&rc.lo, lo);
		atomic_store(&rc.hi, hi);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if((now.tv_sec - start.tv_sec) * 1000 +
			(now.tv_nsec - start.tv_nsec) / 1000000 > 1000)
			break;
	}
	atomic_store(&rc.done, 1);
	pthread_join(reader, NULL);
	print_message("commits: %ld rounds, %ld decisions, %ld managed, "
		"%ld CN\n", round, (long)atomic_load(&rc.decisions),
		(long)atomic_load(&rc.managed), (long)atomic_load(&rc.cn));
	assert_int_equal(atomic_load(&rc.cn), 0);
	assert_true(atomic_load(&rc.managed) > 1000);
	/* the last state is as expected: a managed name, offshore */
	{
		char name[64];
		snprintf(name, sizeof(name), "www.sub.p%ld.test", hi - 1);
		assert_int_equal(pool_for(st, name), STEER_POOL_OFFSHORE);
		snprintf(name, sizeof(name), "www.sub.p%ld.test", hi);
		assert_int_equal(pool_for(st, name), STEER_POOL_NONE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unmanaged, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_wildcard_vs_exact, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_closest_wildcard, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_filing_cover, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_case_and_dot, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_status_matrix, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_empty_cn_not_region_dependent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cname_pool, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_address_pool_types, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_empty_offshore, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_alloc_failure, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_writer_results, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_follows_changes,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_cname_follows_changes,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_flips, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_writer_fresh, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_writer_pending, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_writer_commit_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_sweep_exact, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_writer_routes_added, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_writer_routes_added_out_of_memory, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_answer_alias, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_is_managed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_commits, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
