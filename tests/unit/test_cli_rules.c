/*
 * test_cli_rules.c - unit tests of the CLI's rules: the onboarding gate,
 * pool and filing validation, the sync plan, explain's key set and
 * decision, audit filters, client subnets.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"
#include "cnroute/dname.h"
#include "explain.h"
#include "judge.h"
#include "names.h"
#include "netaddr.h"
#include "rules.h"
#include "sync_feed.h"

/** The gate: only a CN pool without an active filing is stopped. */
static void
test_gate_decide(void **state)
{
	(void)state;
	assert_int_equal(gate_decide(1, FILING_ACTIVE, 0), GATE_PASS);
	assert_int_equal(gate_decide(0, FILING_NONE, 0), GATE_PASS);
	assert_int_equal(gate_decide(0, FILING_REVOKED, 0), GATE_PASS);
	assert_int_equal(gate_decide(1, FILING_NONE, 0), GATE_REFUSED);
	assert_int_equal(gate_decide(1, FILING_REVOKED, 0), GATE_REFUSED);
	assert_int_equal(gate_decide(1, FILING_CANCELLED, 0), GATE_REFUSED);
	assert_int_equal(gate_decide(1, FILING_PENDING, 0), GATE_REFUSED);
	assert_int_equal(gate_decide(1, FILING_PENDING, 1), GATE_FORCED);
	assert_int_equal(gate_decide(1, FILING_ACTIVE, 1), GATE_PASS);
}

/** Candidates of the covering filing, longest first; wildcards skip "*". */
static void
test_filing_candidates(void **state)
{
	char **v;
	size_t n;
	(void)state;
	n = filing_candidates("www.img.example.com", &v);
	assert_int_equal(n, 4);
	assert_string_equal(v[0], "www.img.example.com");
	assert_string_equal(v[2], "example.com");
	assert_string_equal(v[3], "com");
	strv_free(v, n);
	n = filing_candidates("*.img.example.com", &v);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "img.example.com");
	strv_free(v, n);
}

/** Pools: canonical text, CNAME targets, and what the module refuses. */
static void
test_pool_canonical(void **state)
{
	struct strbuf sb = { 0 };
	char err[RULES_ERR_MAX];
	(void)state;
	assert_int_equal(pool_canonical(" 192.0.2.1 , 2001:DB8:0::1 ", &sb,
		err), 0);
	assert_string_equal(sb_str(&sb), "192.0.2.1,2001:db8::1");
	assert_int_equal(pool_canonical("CDN.Example.NET.", &sb, err), 0);
	assert_string_equal(sb_str(&sb), "cdn.example.net.");
	assert_int_equal(pool_canonical("例子.中国.", &sb, err), 0);
	assert_string_equal(sb_str(&sb), "xn--fsqu00a.xn--fiqs8s.");
	assert_int_equal(pool_canonical("", &sb, err), 0);
	assert_string_equal(sb_str(&sb), "");
	assert_int_equal(pool_canonical("1.2.3.999", &sb, err), -1);
	assert_int_equal(pool_canonical("cdn.example.net", &sb, err), -1);
	assert_int_equal(pool_canonical("192.0.2.1,cdn.example.net.", &sb,
		err), -1);
	assert_int_equal(pool_canonical("192.0.2.1,,192.0.2.2", &sb, err), -1);
	sb_free(&sb);
}

/** Route fields through the module's parser; the CN flag for the gate. */
static void
test_route_fields(void **state)
{
	struct kvlist f = { 0 };
	char err[RULES_ERR_MAX];
	int cn = -1;
	(void)state;
	kvlist_set(&f, "offshore", "198.51.100.1");
	assert_int_equal(route_fields_check(&f, &cn, err), 0);
	assert_int_equal(cn, 0);
	kvlist_set(&f, "cn", "192.0.2.1");
	kvlist_set(&f, "ttl", "30");
	assert_int_equal(route_fields_check(&f, &cn, err), 0);
	assert_int_equal(cn, 1);
	kvlist_set(&f, "ttl", "-1");
	assert_int_equal(route_fields_check(&f, &cn, err), -1);
	assert_non_null(strstr(err, "ttl"));
	kvlist_free(&f);
}

/** Filings: normalised number and name, default status, refusals. */
static void
test_filing_build(void **state)
{
	struct kvlist f = { 0 };
	char domain[NAME_TEXT_MAX], err[RULES_ERR_MAX];
	struct filing_input in = { "例子.中国", "粤ICP备１２３４５６７８号",
		"Ex Ltd", NULL, NULL };
	(void)state;
	assert_int_equal(filing_build(&in, domain, &f, err), 0);
	assert_string_equal(domain, "xn--fsqu00a.xn--fiqs8s");
	assert_string_equal(kvlist_get(&f, "icp"), "粤ICP备12345678号");
	assert_string_equal(kvlist_get(&f, "status"), "active");
	assert_null(kvlist_get(&f, "registrant"));
	in.status = "Cancelled";
	assert_int_equal(filing_build(&in, domain, &f, err), 0);
	assert_string_equal(kvlist_get(&f, "status"), "cancelled");
	in.status = "gone";
	assert_int_equal(filing_build(&in, domain, &f, err), -1);
	assert_non_null(strstr(err, "status"));
	in.status = NULL;
	in.icp = "京公网安备11010802044671号";
	assert_int_equal(filing_build(&in, domain, &f, err), -1);
	assert_non_null(strstr(err, "public-security"));
	in.icp = "京ICP备12345678号";
	in.entity = "  ";
	assert_int_equal(filing_build(&in, domain, &f, err), -1);
	assert_non_null(strstr(err, "entity"));
	kvlist_free(&f);
}

/** Public suffixes are refused by every filing writer (filing set, the
 *  rows of filing import and sync --feed all go through filing_build);
 *  a registrable domain below one is not. */
static void
test_filing_public_suffix(void **state)
{
	static const char *const suffixes[] = { "com", "com.cn", "COM.CN.",
		"github.io", "net.cn", "中国" };
	struct kvlist f = { 0 };
	char domain[NAME_TEXT_MAX], err[RULES_ERR_MAX];
	char *row[FILING_COL_COUNT] = { NULL, "京ICP备12345678号", "X Ltd",
		"X Ltd", "revoked" };
	struct filing_input in;
	size_t i;
	(void)state;
	for(i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		row[FILING_COL_DOMAIN] = (char *)suffixes[i];
		in = filing_input_from_row(row);
		assert_int_equal(filing_build(&in, domain, &f, err), -1);
		assert_non_null(strstr(err, "public suffix"));
		assert_int_equal(filing_domain_check(domain, err), -1);
	}
	row[FILING_COL_DOMAIN] = "foo2.com.cn";
	in = filing_input_from_row(row);
	assert_int_equal(filing_build(&in, domain, &f, err), 0);
	assert_string_equal(domain, "foo2.com.cn");
	assert_int_equal(filing_domain_check("someone.github.io", err), 0);
	assert_int_equal(filing_domain_check("example.com", err), 0);
	kvlist_free(&f);
}

/** A feed entry. */
static struct feed_entry
entry(const char *domain, const char *status, const char *icp)
{
	struct feed_entry e;
	memset(&e, 0, sizeof(e));
	e.domain = (char *)domain;
	kvlist_set(&e.fields, "status", status);
	kvlist_set(&e.fields, "icp", icp);
	kvlist_set(&e.fields, "entity", "E");
	return e;
}

/** A filing in Redis. */
static struct current_filing
current(const char *domain, const char *status, const char *icp)
{
	struct current_filing c;
	memset(&c, 0, sizeof(c));
	c.domain = (char *)domain;
	kvlist_set(&c.hash, "status", status);
	kvlist_set(&c.hash, "icp", icp);
	kvlist_set(&c.hash, "entity", "E");
	kvlist_set(&c.hash, "updated", "1");
	return c;
}

/** Find a plan item by domain. */
static const struct plan_item *
item(const struct sync_plan *p, const char *domain)
{
	size_t i;
	for(i = 0; i < p->count; i++)
		if(strcmp(p->items[i].domain, domain) == 0)
			return &p->items[i];
	return NULL;
}

/** The sync plan: adds, updates, revocations, nothing for the rest. */
static void
test_sync_plan(void **state)
{
	struct feed_entry feed[4];
	struct current_filing cur[5];
	struct sync_plan plan;
	size_t i;
	(void)state;
	feed[0] = entry("same.com", "active", "N1");     /* unchanged */
	feed[1] = entry("new.com", "active", "N2");      /* add */
	feed[2] = entry("changed.com", "active", "N3b"); /* update */
	feed[3] = entry("gone-c.com", "revoked", "N4");  /* cancelled */
	feed[3].cancelled = 1;
	cur[0] = current("same.com", "active", "N1");
	cur[1] = current("changed.com", "active", "N3");
	cur[2] = current("gone-c.com", "active", "N4");
	cur[3] = current("missing.com", "active", "N5"); /* revoke */
	cur[4] = current("old.com", "pending", "N6");    /* left alone */
	sync_plan_compute(feed, 4, cur, 5, &plan);
	assert_int_equal(plan.unchanged, 1);
	assert_int_equal(sync_plan_count(&plan, PLAN_ADD), 1);
	assert_int_equal(sync_plan_count(&plan, PLAN_UPDATE), 1);
	assert_int_equal(sync_plan_count(&plan, PLAN_REVOKE), 2);
	assert_int_equal(plan.count, 4);
	assert_int_equal(item(&plan, "new.com")->kind, PLAN_ADD);
	assert_int_equal(item(&plan, "changed.com")->kind, PLAN_UPDATE);
	assert_string_equal(kvlist_get(&item(&plan, "changed.com")->fields,
		"icp"), "N3b");
	assert_int_equal(item(&plan, "gone-c.com")->kind, PLAN_REVOKE);
	assert_non_null(strstr(item(&plan, "gone-c.com")->reason,
		"cancelled"));
	assert_int_equal(item(&plan, "missing.com")->kind, PLAN_REVOKE);
	assert_string_equal(kvlist_get(&item(&plan, "missing.com")->fields,
		"status"), "revoked");
	assert_null(item(&plan, "old.com"));
	assert_null(item(&plan, "same.com"));
	/* adds first, then updates, then revocations */
	assert_int_equal(plan.items[0].kind, PLAN_ADD);
	assert_int_equal(plan.items[3].kind, PLAN_REVOKE);
	sync_plan_free(&plan);
	/* an empty feed revokes every active filing */
	sync_plan_compute(NULL, 0, cur, 5, &plan);
	assert_int_equal(sync_plan_count(&plan, PLAN_REVOKE), 4);
	sync_plan_free(&plan);
	for(i = 0; i < 4; i++)
		kvlist_free(&feed[i].fields);
	for(i = 0; i < 5; i++)
		kvlist_free(&cur[i].hash);
}

/** The keys explain reads for a name. */
static void
test_explain_names(void **state)
{
	char **r, **f;
	size_t nr, nf;
	(void)state;
	explain_names("a.b.c", &r, &nr, &f, &nf);
	assert_int_equal(nr, 4);
	assert_string_equal(r[0], "a.b.c");
	assert_string_equal(r[1], "*.b.c");
	assert_string_equal(r[2], "*.c");
	assert_string_equal(r[3], "*");
	assert_int_equal(nf, 3);
	assert_string_equal(f[0], "a.b.c");
	assert_string_equal(f[2], "c");
	strv_free(r, nr);
	strv_free(f, nf);
}

/** Region callback of the test: the answer in ctx. */
static int
region_fixed(void *ctx)
{
	return *(int *)ctx;
}

/** steering_alloc_fn over a static buffer (enough for one decision). */
static void *
bump_alloc(void *ctx, size_t size)
{
	static uint8_t buf[4096];
	size_t *used = ctx;
	void *p;
	if(*used + size > sizeof(buf))
		return NULL;
	p = buf + *used;
	*used += (size + 15) & ~(size_t)15;
	return p;
}

/** A field list of one hash. */
static size_t
fields_of(struct record_field *rf, const char *const *kv, size_t pairs)
{
	size_t i;
	for(i = 0; i < pairs; i++) {
		rf[i].name = kv[2 * i];
		rf[i].name_len = strlen(kv[2 * i]);
		rf[i].value = kv[2 * i + 1];
		rf[i].value_len = strlen(kv[2 * i + 1]);
	}
	return pairs;
}

/** Apply a hash under key. */
static void
apply_kv(struct judge *j, const char *key, const struct record_field *rf,
	size_t n)
{
	judge_apply(j, key, strlen(key), RECORD_HASH, rf, n);
}

/** A table judged through the keyspace decides like the module: a
 *  wildcard rule, a bad route reported and skipped, a spelling of the
 *  covering filing that is not active keeps the CN pool away. */
static void
test_explain_table(void **state)
{
	static const char *const wild[] = { "cn", "192.0.2.1", "offshore",
		"198.51.100.1" };
	static const char *const active[] = { "status", "active" };
	static const char *const revoked[] = { "status", "revoked" };
	static const char *const bad[] = { "cn", "1.2.3.999" };
	struct explain_table t;
	struct judge j;
	struct record_field rf[4];
	struct steering_decision d;
	uint8_t q[DNAME_MAX_WIRE];
	size_t qlen, used = 0;
	int mainland = 1;
	(void)state;
	assert_int_equal(explain_table_init(&t), 0);
	assert_int_equal(judge_begin(&j, "cnroute:", &t.st), 0);
	apply_kv(&j, "cnroute:filing:example.com", rf,
		fields_of(rf, active, 1));
	apply_kv(&j, "cnroute:route:*.example.com", rf,
		fields_of(rf, wild, 2));
	apply_kv(&j, "cnroute:route:bad.example.com", rf,
		fields_of(rf, bad, 1));
	judge_commit(&j);
	explain_table_take_reports(&t, &j);
	judge_free(&j);
	assert_int_equal(t.nskipped, 1);
	assert_non_null(strstr(t.skipped[0], "cnroute:route:bad.example.com"));
	assert_int_equal(dname_from_text("www.example.com", q, &qlen), 0);
	assert_int_equal(steering_table_decide(&t.st, q, qlen, STEER_TYPE_A,
		60, region_fixed, &mainland, bump_alloc, &used, &d), 0);
	assert_int_equal(d.pool, STEER_POOL_CN);
	assert_true(d.rule_wildcard);
	mainland = 0;
	used = 0;
	assert_int_equal(steering_table_decide(&t.st, q, qlen, STEER_TYPE_A,
		60, region_fixed, &mainland, bump_alloc, &used, &d), 0);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	explain_table_free(&t);

	/* the same with "Example.com." revoked beside it: offshore */
	assert_int_equal(explain_table_init(&t), 0);
	assert_int_equal(judge_begin(&j, "cnroute:", &t.st), 0);
	apply_kv(&j, "cnroute:filing:Example.com.", rf,
		fields_of(rf, revoked, 1));
	apply_kv(&j, "cnroute:filing:example.com", rf,
		fields_of(rf, active, 1));
	apply_kv(&j, "cnroute:route:*.example.com", rf,
		fields_of(rf, wild, 2));
	judge_commit(&j);
	explain_table_take_reports(&t, &j);
	judge_free(&j);
	assert_int_equal(t.nskipped, 1);
	assert_non_null(strstr(t.skipped[0], "cnroute:filing:Example.com."));
	assert_non_null(strstr(t.skipped[0], "cnroute:filing:example.com "));
	mainland = 1;
	used = 0;
	assert_int_equal(steering_table_decide(&t.st, q, qlen, STEER_TYPE_A,
		60, region_fixed, &mainland, bump_alloc, &used, &d), 0);
	assert_int_equal(d.pool, STEER_POOL_OFFSHORE);
	assert_int_equal(d.filing, FILING_REVOKED);
	explain_table_free(&t);
}

/** --since forms, and which keys --domain selects. */
static void
test_audit_filters(void **state)
{
	long long t;
	(void)state;
	assert_int_equal(audit_parse_since("1700000000", 0, &t), 0);
	assert_int_equal(t, 1700000000LL);
	assert_int_equal(audit_parse_since("2h", 10000, &t), 0);
	assert_int_equal(t, 10000 - 7200);
	assert_int_equal(audit_parse_since("1970-01-02", 0, &t), 0);
	assert_int_equal(t, 86400);
	assert_int_equal(audit_parse_since("1970-01-01T01:00Z", 0, &t), 0);
	assert_int_equal(t, 3600);
	assert_int_equal(audit_parse_since("1970-01-01 00:00:09", 0, &t), 0);
	assert_int_equal(t, 9);
	assert_int_equal(audit_parse_since("yesterday", 0, &t), -1);
	assert_int_equal(audit_parse_since("2h30", 0, &t), -1);
	assert_true(audit_key_matches("example.com", "example.com"));
	assert_true(audit_key_matches("www.example.com", "example.com"));
	assert_true(audit_key_matches("*.img.example.com", "example.com"));
	assert_false(audit_key_matches("badexample.com", "example.com"));
	assert_false(audit_key_matches("example.com", "www.example.com"));
}

/** Client subnets: masked like ECS, bare addresses full length. */
static void
test_client_subnet(void **state)
{
	struct client_subnet c;
	char err[160], text[NETADDR_TEXT_MAX];
	(void)state;
	assert_int_equal(client_subnet_parse("1.0.1.77/24", &c, err), 0);
	assert_int_equal(c.family, 4);
	assert_int_equal(c.prefix, 24);
	assert_true(c.has_prefix);
	addr_format(4, c.addr, text);
	assert_string_equal(text, "1.0.1.0");
	assert_int_equal(client_subnet_parse("240e::1/20", &c, err), 0);
	addr_format(6, c.addr, text);
	assert_string_equal(text, "240e::");
	assert_int_equal(client_subnet_parse("8.8.8.8", &c, err), 0);
	assert_int_equal(c.prefix, 32);
	assert_false(c.has_prefix);
	assert_int_equal(client_subnet_parse("1.2.3.4/33", &c, err), -1);
	assert_int_equal(client_subnet_parse("1.2.3.4/", &c, err), -1);
	assert_int_equal(client_subnet_parse("nothere/8", &c, err), -1);
	assert_int_equal(client_subnet_parse("1.2.3.4/0", &c, err), 0);
	addr_format(4, c.addr, text);
	assert_string_equal(text, "0.0.0.0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_decide),
		cmocka_unit_test(test_filing_candidates),
		cmocka_unit_test(test_pool_canonical),
		cmocka_unit_test(test_route_fields),
		cmocka_unit_test(test_filing_build),
		cmocka_unit_test(test_filing_public_suffix),
		cmocka_unit_test(test_sync_plan),
		cmocka_unit_test(test_explain_names),
		cmocka_unit_test(test_explain_table),
		cmocka_unit_test(test_audit_filters),
		cmocka_unit_test(test_client_subnet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
