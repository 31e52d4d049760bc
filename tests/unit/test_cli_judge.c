/*
 * test_cli_judge.c - unit tests of how the CLI judges what it read from
 * Redis through the module's keyspace: the judge (reports, one per
 * collision), HGETALL replies read as the sync thread reads them, the
 * covering filing, the keys explain fetches, key lists, and check's
 * findings.
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

#include "check.h"
#include "cnroute/dname.h"
#include "explain.h"
#include "judge.h"
#include "sync_apply.h"
#include "redis_store.h"

/** The prefix of every key here. */
#define P "cnroute:"

/** A hash of up to 4 fields given as NULL-terminated name/value pairs. */
struct hash {
	/** the fields */
	struct record_field f[4];
	/** their number */
	size_t n;
};

/** Build a hash from "name", "value", ..., NULL. */
static struct hash
hash_of(const char *name, ...)
{
	struct hash h;
	va_list ap;
	const char *n = name;
	memset(&h, 0, sizeof(h));
	va_start(ap, name);
	while(n != NULL && h.n < 4) {
		const char *v = va_arg(ap, const char *);
		h.f[h.n].name = n;
		h.f[h.n].name_len = strlen(n);
		h.f[h.n].value = v;
		h.f[h.n].value_len = strlen(v);
		h.n++;
		n = va_arg(ap, const char *);
	}
	va_end(ap);
	return h;
}

/** Apply a hash under key. */
static void
apply(struct judge *j, const char *key, struct hash h)
{
	judge_apply(j, key, strlen(key), RECORD_HASH, h.f, h.n);
}

/** Apply a key of another type than a hash. */
static void
apply_not_hash(struct judge *j, const char *key)
{
	judge_apply(j, key, strlen(key), RECORD_NOT_HASH, NULL, 0);
}

/** The filing status a table holds for a name, FILING_NONE for none. */
static enum filing_status
table_filing(const struct steering_table *st, const char *name)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	assert_int_equal(dname_from_text(name, wire, &len), 0);
	return (enum filing_status)(uintptr_t)name_table_lookup(&st->filings,
		wire, len);
}

/** The covering filing of a rule name in a table. */
static enum filing_status
covering(const struct steering_table *st, const char *name, char *domain)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	assert_int_equal(dname_from_text(name, wire, &len), 0);
	return judge_covering(st, wire, len, domain);
}

/** Three spellings of one filing: one report, naming all three keys,
 *  the last one's view; the filing is active only if all are. */
static void
test_judge_spellings(void **state)
{
	struct steering_table st;
	struct judge j;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(judge_begin(&j, P, &st), 0);
	apply(&j, P "filing:EXAMPLE.COM.", hash_of("status", "active", NULL));
	apply(&j, P "filing:Example.com", hash_of("status", "active", NULL));
	apply(&j, P "filing:example.com", hash_of("status", "revoked", NULL));
	apply(&j, P "filing:other.com", hash_of("status", "active", NULL));
	judge_commit(&j);
	assert_int_equal(j.count, 1);
	assert_int_equal(j.reports[0].note, KEYSPACE_SPELLINGS);
	assert_non_null(strstr(j.reports[0].message, "3 keys"));
	assert_non_null(strstr(j.reports[0].message, P "filing:EXAMPLE.COM."));
	assert_non_null(strstr(j.reports[0].message, P "filing:Example.com "));
	assert_non_null(strstr(j.reports[0].message, P "filing:example.com "));
	assert_int_equal(table_filing(&st, "example.com"), FILING_REVOKED);
	assert_int_equal(table_filing(&st, "other.com"), FILING_ACTIVE);
	assert_int_equal(dname_from_text("example.com", wire, &len), 0);
	assert_true(judge_has_spellings(&j, KEY_FILING, wire, len));
	assert_false(judge_has_spellings(&j, KEY_ROUTE, wire, len));
	assert_int_equal(dname_from_text("other.com", wire, &len), 0);
	assert_false(judge_has_spellings(&j, KEY_FILING, wire, len));
	judge_free(&j);
	steering_table_destroy(&st);
}

/** A Unicode key and its A-labels are one name. */
static void
test_judge_unicode(void **state)
{
	struct steering_table st;
	struct judge j;
	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(judge_begin(&j, P, &st), 0);
	apply(&j, P "filing:xn--fsqu00a.xn--fiqs8s",
		hash_of("status", "active", NULL));
	apply(&j, P "filing:例子.中国", hash_of("status", "revoked", NULL));
	judge_commit(&j);
	assert_int_equal(j.count, 1);
	assert_non_null(strstr(j.reports[0].message, P "filing:例子.中国"));
	assert_int_equal(table_filing(&st, "xn--fsqu00a.xn--fiqs8s"),
		FILING_REVOKED);
	judge_free(&j);
	steering_table_destroy(&st);
}

/** Filings the module can't read are invalid: reported, in the table,
 *  and they end the walk up the name (the parent's active filing is not
 *  used). A public suffix is one of them. */
static void
test_judge_invalid_filings(void **state)
{
	struct steering_table st;
	struct judge j;
	struct record_field many[RECORD_FIELDS_MAX + 1];
	char domain[DNAME_MAX_TEXT];
	size_t i;
	(void)state;
	for(i = 0; i <= RECORD_FIELDS_MAX; i++) {
		many[i].name = "status";
		many[i].name_len = 6;
		many[i].value = "active";
		many[i].value_len = 6;
	}
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(judge_begin(&j, P, &st), 0);
	apply(&j, P "filing:example.com", hash_of("status", "active", NULL));
	apply_not_hash(&j, P "filing:a.example.com");
	apply(&j, P "filing:b.example.com", hash_of("status", "suspended",
		NULL));
	apply(&j, P "filing:c.example.com", hash_of("stauts", "active",
		NULL));
	judge_apply(&j, P "filing:d.example.com",
		strlen(P "filing:d.example.com"), RECORD_HASH, many,
		RECORD_FIELDS_MAX + 1);
	apply(&j, P "filing:com.cn", hash_of("status", "active", NULL));
	apply(&j, P "filing:foo.com.cn", hash_of("status", "active", NULL));
	judge_commit(&j);
	assert_int_equal(j.count, 5);
	for(i = 0; i < j.count; i++)
		assert_int_equal(j.reports[i].note, KEYSPACE_BAD_FILING);
	assert_string_equal(j.reports[0].key, P "filing:a.example.com");
	assert_non_null(strstr(j.reports[0].message, P "filing:a.example.com"));
	assert_non_null(strstr(j.reports[4].message, "public suffix"));
	assert_int_equal(covering(&st, "www.a.example.com", domain),
		FILING_INVALID);
	assert_string_equal(domain, "a.example.com");
	assert_int_equal(covering(&st, "*.b.example.com", domain),
		FILING_INVALID);
	assert_int_equal(covering(&st, "x.y.c.example.com", domain),
		FILING_INVALID);
	assert_int_equal(covering(&st, "d.example.com", domain),
		FILING_INVALID);
	assert_int_equal(covering(&st, "www.example.com", domain),
		FILING_ACTIVE);
	assert_string_equal(domain, "example.com");
	assert_int_equal(covering(&st, "www.bar.com.cn", domain),
		FILING_INVALID);
	assert_string_equal(domain, "com.cn");
	assert_int_equal(covering(&st, "www.foo.com.cn", domain),
		FILING_ACTIVE);
	assert_int_equal(covering(&st, "www.example.net", domain),
		FILING_NONE);
	assert_string_equal(domain, "");
	judge_free(&j);
	steering_table_destroy(&st);
}

/** Routes: a bad one is skipped and reported, of two spellings the
 *  canonical one is used, and the collision is one report. */
static void
test_judge_routes(void **state)
{
	struct steering_table st;
	struct judge j;
	const struct route *r;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(judge_begin(&j, P, &st), 0);
	apply(&j, P "route:WWW.example.com", hash_of("cn", "192.0.2.2", NULL));
	apply(&j, P "route:bad.example.com", hash_of("cn", "1.2.3.999", NULL));
	apply(&j, P "route:www.example.com", hash_of("cn", "192.0.2.1", NULL));
	apply(&j, P "route:x..example.com", hash_of("cn", "192.0.2.1", NULL));
	judge_commit(&j);
	/* bad keys as they come, the collision once all keys are read,
	 * filed under the name's canonical key */
	assert_int_equal(j.count, 3);
	assert_int_equal(j.reports[0].note, KEYSPACE_BAD_ROUTE);
	assert_int_equal(j.reports[1].note, KEYSPACE_BAD_NAME);
	assert_int_equal(j.reports[2].note, KEYSPACE_SPELLINGS);
	assert_string_equal(j.reports[2].key, P "route:www.example.com");
	assert_non_null(strstr(j.reports[2].message, P "route:WWW.example.com"));
	assert_non_null(strstr(j.reports[2].message, P "route:www.example.com"));
	assert_int_equal(dname_from_text("www.example.com", wire, &len), 0);
	r = name_table_lookup(&st.routes, wire, len);
	assert_non_null(r);
	assert_int_equal(r->cn.v4_count, 1);
	assert_memory_equal(r->cn.v4, "\xc0\x00\x02\x01", 4);
	assert_int_equal(dname_from_text("bad.example.com", wire, &len), 0);
	assert_null(name_table_lookup(&st.routes, wire, len));
	judge_free(&j);
	steering_table_destroy(&st);
}

/** A reply element of type string. */
static redisReply
reply_str(const char *s)
{
	redisReply r;
	memset(&r, 0, sizeof(r));
	r.type = REDIS_REPLY_STRING;
	r.str = (char *)s;
	r.len = strlen(s);
	return r;
}

/** HGETALL replies read as the module's sync thread reads them. */
static void
test_reply_shape(void **state)
{
	struct record_field f[RECORD_FIELDS_MAX];
	redisReply r, e[2 * (RECORD_FIELDS_MAX + 1)];
	redisReply *ep[2 * (RECORD_FIELDS_MAX + 1)];
	size_t n, i;
	(void)state;
	assert_int_equal(sync_reply_shape(NULL, f, &n), RECORD_UNREADABLE);
	memset(&r, 0, sizeof(r));
	r.type = REDIS_REPLY_ERROR;
	r.str = "WRONGTYPE Operation against a key holding the wrong kind";
	r.len = strlen(r.str);
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_NOT_HASH);
	r.str = "ERR something else";
	r.len = strlen(r.str);
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_UNREADABLE);
	memset(&r, 0, sizeof(r));
	r.type = REDIS_REPLY_ARRAY;
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_MISSING);
	for(i = 0; i < 2 * (RECORD_FIELDS_MAX + 1); i++) {
		e[i] = reply_str(i % 2 ? "active" : "status");
		ep[i] = &e[i];
	}
	r.element = ep;
	r.elements = 2;
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_HASH);
	assert_int_equal(n, 1);
	assert_int_equal(f[0].value_len, 6);
	r.elements = 3;
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_UNREADABLE);
	r.elements = 2 * (RECORD_FIELDS_MAX + 1);
	assert_int_equal(sync_reply_shape(&r, f, &n),
		RECORD_TOO_MANY_FIELDS);
	r.elements = 2;
	e[1].type = REDIS_REPLY_INTEGER;
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_UNREADABLE);
	r.type = REDIS_REPLY_NIL;
	assert_int_equal(sync_reply_shape(&r, f, &n), RECORD_UNREADABLE);
}

/** explain fetches every spelling of the names that decide, no other. */
static void
test_explain_want(void **state)
{
	struct explain_want w;
	static const char *const yes[] = { P "filing:www.img.example.com",
		P "filing:Example.COM.", P "filing:com", P "filing:IMG.example.com",
		P "route:www.img.example.com", P "route:WWW.img.example.com.",
		P "route:*.Img.Example.com", P "route:*.example.com",
		P "route:*.com", P "route:*" };
	static const char *const no[] = { P "filing:other.com",
		P "filing:x.www.img.example.com", P "route:img.example.com",
		P "route:*.www.img.example.com", P "route:example.com",
		P "filing:*.example.com", P "filing:exa..mple.com", P "audit",
		"other:filing:example.com", P "route:bad name" };
	size_t i;
	(void)state;
	assert_int_equal(explain_want_init(&w, P, "www.img.example.com"), 0);
	for(i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(explain_want_key(&w, yes[i], strlen(yes[i])));
	for(i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(explain_want_key(&w, no[i], strlen(no[i])));
	explain_want_free(&w);
	assert_int_equal(explain_want_init(&w, P, "www.xn--fsqu00a.xn--fiqs8s"),
		0);
	assert_true(explain_want_key(&w, P "filing:例子.中国",
		strlen(P "filing:例子.中国")));
	assert_true(explain_want_key(&w, P "route:www.例子.中国",
		strlen(P "route:www.例子.中国")));
	explain_want_free(&w);
}

/** Key lists: byte order, shorter first on a common prefix, repeats
 *  dropped, keys with any bytes kept whole. */
static void
test_keylist(void **state)
{
	struct keylist l;
	(void)state;
	memset(&l, 0, sizeof(l));
	keylist_add(&l, "b", 1);
	keylist_add(&l, "a.", 2);
	keylist_add(&l, "a", 1);
	keylist_add(&l, "b", 1);
	keylist_add(&l, "a\0x", 3);
	keylist_add(&l, "B", 1);
	keylist_sort(&l);
	assert_int_equal(l.n, 5);
	assert_string_equal(keylist_key(&l, 0), "B");
	assert_string_equal(keylist_key(&l, 1), "a");
	assert_int_equal(l.len[2], 3);
	assert_memory_equal(keylist_key(&l, 2), "a\0x", 3);
	assert_string_equal(keylist_key(&l, 3), "a.");
	assert_string_equal(keylist_key(&l, 4), "b");
	keylist_free(&l);
}

/** One key check reads: its name and what it held. */
struct check_key {
	/** the key */
	const char *key;
	/** what it held */
	enum record_shape shape;
	/** its fields */
	struct hash h;
};

/** Run check over keys (sorted here, as SCAN's are). */
static void
run_check(struct check_run *r, const struct check_key *keys, size_t n)
{
	size_t i, k;
	assert_int_equal(check_run_init(r, P), 0);
	for(i = 0; i < n; i++)
		keylist_add(&r->keys, keys[i].key, strlen(keys[i].key));
	keylist_sort(&r->keys);
	for(i = 0; i < r->keys.n; i++) {
		for(k = 0; strcmp(keys[k].key, keylist_key(&r->keys, i)); k++)
			;
		check_run_key(r, i, keys[k].shape, keys[k].h.f, keys[k].h.n);
	}
	check_run_finish(r);
}

/** The findings of a kind about a key. */
static size_t
count_findings(const struct check_run *r, const char *kind, const char *key)
{
	size_t i, n = 0;
	for(i = 0; i < r->nf; i++)
		if(strcmp(r->f[i].kind, kind) == 0 && (key == NULL ||
			strcmp(r->f[i].key, key) == 0))
			n++;
	return n;
}

/** The message of the first finding of a kind. */
static const char *
finding_message(const struct check_run *r, const char *kind)
{
	size_t i;
	for(i = 0; i < r->nf; i++)
		if(strcmp(r->f[i].kind, kind) == 0)
			return r->f[i].message;
	return "";
}

/** Good data: no finding. */
static void
test_check_clean(void **state)
{
	const struct check_key keys[] = {
		{ P "filing:example.com", RECORD_HASH, hash_of("status",
			"active", "icp", "京ICP备12345678号", "entity", "E",
			"registrant", "E", NULL) },
		{ P "route:www.example.com", RECORD_HASH, hash_of("cn",
			"192.0.2.1", "offshore", "198.51.100.1", NULL) },
		{ P "route:gone.example.com", RECORD_MISSING, hash_of(NULL) },
	};
	struct check_run r;
	(void)state;
	run_check(&r, keys, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(r.nf, 0);
	assert_int_equal(r.filings, 1);
	assert_int_equal(r.routes, 1);
	check_run_free(&r);
}

/** A collision is one finding naming every key; its non-canonical keys
 *  are not reported again; a lone non-canonical key still is; the route
 *  below the merged (revoked) filing is served offshore. */
static void
test_check_spellings(void **state)
{
	const struct check_key keys[] = {
		{ P "filing:example.com", RECORD_HASH, hash_of("status",
			"revoked", "icp", "京ICP备12345678号", "entity", "E",
			"registrant", "E", NULL) },
		{ P "filing:Example.com", RECORD_HASH, hash_of("status",
			"active", "icp", "京ICP备12345678号", "entity", "E",
			"registrant", "E", NULL) },
		{ P "filing:EXAMPLE.COM.", RECORD_HASH, hash_of("status",
			"active", "icp", "京ICP备12345678号", "entity", "E",
			"registrant", "E", NULL) },
		{ P "filing:Lone.example.net", RECORD_HASH, hash_of("status",
			"active", "icp", "京ICP备12345678号", "entity", "E",
			"registrant", "E", NULL) },
		{ P "route:www.example.com", RECORD_HASH, hash_of("cn",
			"192.0.2.1", NULL) },
		{ P "route:WWW.example.com", RECORD_HASH, hash_of("cn",
			"192.0.2.2", NULL) },
	};
	struct check_run r;
	const char *m;
	(void)state;
	run_check(&r, keys, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(count_findings(&r, "spellings", NULL), 2);
	assert_int_equal(count_findings(&r, "spellings",
		P "filing:example.com"), 1);
	assert_int_equal(count_findings(&r, "spellings",
		P "route:www.example.com"), 1);
	m = finding_message(&r, "spellings");
	assert_non_null(strstr(m, P "filing:example.com "));
	assert_non_null(strstr(m, P "filing:Example.com "));
	assert_non_null(strstr(m, P "filing:EXAMPLE.COM. "));
	assert_non_null(strstr(m, "revoked"));
	assert_int_equal(count_findings(&r, "not-canonical", NULL), 1);
	assert_int_equal(count_findings(&r, "not-canonical",
		P "filing:Lone.example.net"), 1);
	assert_non_null(strstr(finding_message(&r, "not-canonical"),
		P "filing:lone.example.net"));
	assert_int_equal(count_findings(&r, "served-offshore",
		P "route:www.example.com"), 1);
	assert_non_null(strstr(finding_message(&r, "served-offshore"),
		"revoked"));
	assert_int_equal(r.nf, 4);
	assert_int_equal(r.filings, 4);
	assert_int_equal(r.routes, 2);
	check_run_free(&r);
}

/** Invalid filings (public suffix, not a hash), skipped routes and bad
 *  key names are findings naming the key; routes below an invalid
 *  filing are served offshore; the other checks stay. */
static void
test_check_invalid(void **state)
{
	const struct check_key keys[] = {
		{ P "filing:example.com", RECORD_HASH, hash_of("status",
			"active", "icp", "京ICP备12345678号", "entity", "E",
			"registrant", "E", NULL) },
		{ P "filing:sub.example.com", RECORD_NOT_HASH, hash_of(NULL) },
		{ P "filing:com.cn", RECORD_HASH, hash_of("status", "active",
			"icp", "京ICP备12345678号", "entity", "E", "registrant",
			"E", NULL) },
		{ P "filing:mismatch.example.org", RECORD_HASH, hash_of(
			"status", "active", "icp", "ICP 123", "entity", "A",
			"registrant", "B", NULL) },
		{ P "route:www.sub.example.com", RECORD_HASH, hash_of("cn",
			"192.0.2.1", NULL) },
		{ P "route:www.foo.com.cn", RECORD_HASH, hash_of("cn",
			"192.0.2.1", NULL) },
		{ P "route:skip.example.com", RECORD_HASH, hash_of("cn",
			"1.2.3.999", NULL) },
		{ P "route:bad..name", RECORD_HASH, hash_of("cn", "192.0.2.1",
			NULL) },
	};
	struct check_run r;
	(void)state;
	run_check(&r, keys, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(count_findings(&r, "invalid-filing",
		P "filing:sub.example.com"), 1);
	assert_int_equal(count_findings(&r, "invalid-filing",
		P "filing:com.cn"), 1);
	assert_int_equal(count_findings(&r, "skipped",
		P "route:skip.example.com"), 1);
	assert_int_equal(count_findings(&r, "skipped", P "route:bad..name"),
		1);
	assert_int_equal(count_findings(&r, "served-offshore",
		P "route:www.sub.example.com"), 1);
	assert_int_equal(count_findings(&r, "served-offshore",
		P "route:www.foo.com.cn"), 1);
	assert_int_equal(count_findings(&r, "icp",
		P "filing:mismatch.example.org"), 1);
	assert_int_equal(count_findings(&r, "registrant",
		P "filing:mismatch.example.org"), 1);
	/* an invalid filing's number is not looked at */
	assert_int_equal(count_findings(&r, "icp", P "filing:com.cn"), 0);
	assert_int_equal(r.nf, 8);
	/* sorted by key */
	assert_string_equal(r.f[0].key, P "filing:com.cn");
	check_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_judge_spellings),
		cmocka_unit_test(test_judge_unicode),
		cmocka_unit_test(test_judge_invalid_filings),
		cmocka_unit_test(test_judge_routes),
		cmocka_unit_test(test_reply_shape),
		cmocka_unit_test(test_explain_want),
		cmocka_unit_test(test_keylist),
		cmocka_unit_test(test_check_clean),
		cmocka_unit_test(test_check_spellings),
		cmocka_unit_test(test_check_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
