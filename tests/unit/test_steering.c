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
#include <arpa/inet.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/steering.h"

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
		cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_flips, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
