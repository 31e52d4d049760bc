/*
 * test_record.c - unit tests of filing and route parsing.
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
#include <arpa/inet.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/record.h"

/** A field from two C strings. */
static struct record_field
field(const char *name, const char *value)
{
	struct record_field f;

	f.name = name;
	f.name_len = strlen(name);
	f.value = value;
	f.value_len = strlen(value);
	return f;
}

/** Status words in any case, with blanks; unknown words refused. */
static void
test_status_words(void **state)
{
	enum filing_status s;

	(void)state;
	assert_int_equal(filing_status_parse("active", 6, &s), 0);
	assert_int_equal(s, FILING_ACTIVE);
	assert_int_equal(filing_status_parse(" Revoked\t", 9, &s), 0);
	assert_int_equal(s, FILING_REVOKED);
	assert_int_equal(filing_status_parse("CANCELLED", 9, &s), 0);
	assert_int_equal(s, FILING_CANCELLED);
	assert_int_equal(filing_status_parse("pending\n", 8, &s), 0);
	assert_int_equal(s, FILING_PENDING);
	assert_int_equal(filing_status_parse("none", 4, &s), -1);
	assert_int_equal(filing_status_parse("activ", 5, &s), -1);
	assert_int_equal(filing_status_parse("actives", 7, &s), -1);
	assert_int_equal(filing_status_parse("", 0, &s), -1);
	/* length is honoured: "active" inside a longer buffer */
	assert_int_equal(filing_status_parse("activeXYZ", 6, &s), 0);
	assert_int_equal(filing_status_parse("activeXYZ", 5, &s), -1);
	assert_string_equal(filing_status_name(FILING_NONE), "none");
	assert_string_equal(filing_status_name(FILING_CANCELLED), "cancelled");
}

/** filing_parse: status found among other fields, missing, unknown. */
static void
test_filing_parse(void **state)
{
	struct record_field f[4];
	enum filing_status s;
	char err[RECORD_ERR_MAX];

	(void)state;
	f[0] = field("icp", "京ICP备12345678号");
	f[1] = field("entity", "Example Ltd");
	f[2] = field("status", "active");
	f[3] = field("updated", "1700000000");
	assert_int_equal(filing_parse(f, 4, &s, err), 0);
	assert_int_equal(s, FILING_ACTIVE);
	assert_int_equal(filing_parse(f, 2, &s, err), -1);
	assert_string_equal(err, "status: missing");
	f[2] = field("status", "expired");
	assert_int_equal(filing_parse(f, 4, &s, err), -1);
	assert_string_equal(err, "status: unknown value 'expired'");
	/* a hostile value cannot put a newline in the log */
	f[2] = field("status", "x\ny");
	assert_int_equal(filing_parse(f, 4, &s, err), -1);
	assert_string_equal(err, "status: unknown value 'x?y'");
	/* field names are exact */
	f[2] = field("Status", "active");
	assert_int_equal(filing_parse(f, 4, &s, err), -1);
}

/** Pools: empty, addresses of both families, CNAME. */
static void
test_pool_kinds(void **state)
{
	struct pool p;
	char err[RECORD_ERR_MAX];
	uint8_t a[16];

	(void)state;
	assert_int_equal(pool_parse("", 0, &p, err), 0);
	assert_int_equal(p.kind, POOL_EMPTY);
	assert_int_equal(pool_parse(NULL, 0, &p, err), 0);
	assert_int_equal(p.kind, POOL_EMPTY);
	assert_int_equal(pool_parse("  ", 2, &p, err), 0);
	assert_int_equal(p.kind, POOL_EMPTY);

	assert_int_equal(pool_parse(" 192.0.2.1 , 2001:db8::1,192.0.2.2 ",
		35, &p, err), 0);
	assert_int_equal(p.kind, POOL_ADDRESSES);
	assert_int_equal(p.v4_count, 2);
	assert_int_equal(p.v6_count, 1);
	inet_pton(AF_INET, "192.0.2.1", a);
	assert_memory_equal(p.v4, a, 4);
	inet_pton(AF_INET, "192.0.2.2", a);
	assert_memory_equal(p.v4 + 4, a, 4);
	inet_pton(AF_INET6, "2001:db8::1", a);
	assert_memory_equal(p.v6, a, 16);
	assert_null(p.cname);
	pool_free(&p);

	assert_int_equal(pool_parse("2001:db8::2", 11, &p, err), 0);
	assert_int_equal(p.v4_count, 0);
	assert_int_equal(p.v6_count, 1);
	assert_null(p.v4);
	pool_free(&p);

	assert_int_equal(pool_parse(" CDN.Example.NET. ", 18, &p, err), 0);
	assert_int_equal(p.kind, POOL_CNAME);
	assert_int_equal(p.cname_len, 17);
	assert_memory_equal(p.cname, "\3cdn\7example\3net", 17);
	pool_free(&p);
	pool_free(&p); /* cleared: twice is harmless */
}

/** Malformed pools are refused with a message quoting the value. */
static void
test_pool_errors(void **state)
{
	struct pool p;
	char err[RECORD_ERR_MAX];

	(void)state;
	assert_int_equal(pool_parse("1.2.3.999", 9, &p, err), -1);
	assert_string_equal(err, "bad address '1.2.3.999'");
	assert_int_equal(pool_parse("1.2.3.4,,1.2.3.5", 16, &p, err), -1);
	assert_string_equal(err, "empty item in address list");
	assert_int_equal(pool_parse("1.2.3.4,", 8, &p, err), -1);
	assert_int_equal(pool_parse(",1.2.3.4", 8, &p, err), -1);
	assert_int_equal(pool_parse("1.2.3.4, cdn.example.net.", 25, &p, err),
		-1);
	assert_string_equal(err, "CNAME target mixed with addresses");
	assert_int_equal(pool_parse("a.net.,b.net.", 13, &p, err), -1);
	assert_string_equal(err, "CNAME target mixed with addresses");
	assert_int_equal(pool_parse(".", 1, &p, err), -1);
	assert_string_equal(err, "CNAME target must not be the root");
	assert_int_equal(pool_parse("a..b.", 5, &p, err), -1);
	assert_string_equal(err, "bad CNAME target 'a..b.'");
	assert_int_equal(pool_parse("cdn.example.net", 15, &p, err), -1);
	assert_string_equal(err, "bad address 'cdn.example.net' (a CNAME "
		"target must end in '.')");
	assert_int_equal(pool_parse("fe80::1%eth0", 12, &p, err), -1);
	assert_int_equal(pool_parse("01.2.3.4", 8, &p, err), -1);
	assert_int_equal(pool_parse("1.2.3.4 5.6.7.8", 15, &p, err), -1);
	/* Length honoured: the buffer goes on past len. */
	assert_int_equal(pool_parse("1.2.3.4x", 7, &p, err), 0);
	assert_int_equal(p.v4_count, 1);
	pool_free(&p);
	/* A failed parse leaves nothing allocated (ASan checks). */
	assert_int_equal(pool_parse("1.2.3.4, ::1, junk", 18, &p, err), -1);
	assert_null(p.v4);
	assert_null(p.v6);
}

/** Route parsing, field names in messages, ttl range. */
static void
test_route_parse(void **state)
{
	struct record_field f[5];
	struct route r;
	char err[RECORD_ERR_MAX];

	(void)state;
	f[0] = field("cn", "192.0.2.1");
	f[1] = field("offshore", "cdn.example.net.");
	f[2] = field("ttl", " 30 ");
	f[3] = field("note", "anything at all, ignored");
	assert_int_equal(route_parse(f, 4, &r, err), 0);
	assert_int_equal(r.cn.kind, POOL_ADDRESSES);
	assert_int_equal(r.offshore.kind, POOL_CNAME);
	assert_true(r.has_ttl);
	assert_int_equal(r.ttl, 30);
	pool_free(&r.cn);
	pool_free(&r.offshore);

	/* no fields: both pools empty, no ttl */
	assert_int_equal(route_parse(f, 0, &r, err), 0);
	assert_int_equal(r.cn.kind, POOL_EMPTY);
	assert_int_equal(r.offshore.kind, POOL_EMPTY);
	assert_false(r.has_ttl);

	f[1] = field("offshore", "1.2.3.999");
	assert_int_equal(route_parse(f, 2, &r, err), -1);
	assert_string_equal(err, "offshore: bad address '1.2.3.999'");
	f[1] = field("offshore", "");
	f[0] = field("cn", "1.1.1.1,x.example.");
	assert_int_equal(route_parse(f, 2, &r, err), -1);
	assert_string_equal(err, "cn: CNAME target mixed with addresses");

	f[0] = field("cn", "");
	f[2] = field("ttl", "2147483647");
	assert_int_equal(route_parse(f, 3, &r, err), 0);
	assert_int_equal(r.ttl, 2147483647u);
	f[2] = field("ttl", "2147483648");
	assert_int_equal(route_parse(f, 3, &r, err), -1);
	assert_string_equal(err, "ttl: bad value '2147483648'");
	f[2] = field("ttl", "-1");
	assert_int_equal(route_parse(f, 3, &r, err), -1);
	f[2] = field("ttl", "");
	assert_int_equal(route_parse(f, 3, &r, err), -1);
	f[2] = field("ttl", "99999999999999999999");
	assert_int_equal(route_parse(f, 3, &r, err), -1);
	f[2] = field("ttl", "0");
	assert_int_equal(route_parse(f, 3, &r, err), 0);
	assert_int_equal(r.ttl, 0);
	assert_true(r.has_ttl);
}

/** A failure after a pool was parsed frees it (ASan leak check). */
static void
test_route_parse_no_leak(void **state)
{
	struct record_field f[2];
	struct route r;
	char err[RECORD_ERR_MAX];

	(void)state;
	f[0] = field("cn", "192.0.2.1, 2001:db8::1");
	f[1] = field("ttl", "soon");
	assert_int_equal(route_parse(f, 2, &r, err), -1);
	assert_null(r.cn.v4);
	assert_string_equal(err, "ttl: bad value 'soon'");
}

/** route_equal compares what is answered. */
static void
test_route_equal(void **state)
{
	struct record_field f[3];
	struct route *a = route_new(), *b = route_new();
	char err[RECORD_ERR_MAX];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_true(route_equal(a, b));
	f[0] = field("cn", "192.0.2.1,2001:db8::1");
	f[1] = field("offshore", "cdn.example.net.");
	f[2] = field("ttl", "30");
	assert_int_equal(route_parse(f, 3, a, err), 0);
	f[0] = field("cn", " 192.0.2.1 , 2001:DB8:0::1");
	f[1] = field("offshore", "CDN.example.net.");
	assert_int_equal(route_parse(f, 3, b, err), 0);
	assert_true(route_equal(a, b));
	route_free(b);
	b = route_new();
	f[2] = field("ttl", "31");
	assert_int_equal(route_parse(f, 3, b, err), 0);
	assert_false(route_equal(a, b));
	route_free(b);
	b = route_new();
	assert_int_equal(route_parse(f, 2, b, err), 0);
	assert_false(route_equal(a, b)); /* no ttl vs ttl */
	route_free(b);
	b = route_new();
	f[0] = field("cn", "192.0.2.2,2001:db8::1");
	f[2] = field("ttl", "30");
	assert_int_equal(route_parse(f, 3, b, err), 0);
	assert_false(route_equal(a, b));
	route_free(b);
	b = route_new();
	f[0] = field("cn", "192.0.2.1,2001:db8::1");
	f[1] = field("offshore", "cdn2.example.net.");
	assert_int_equal(route_parse(f, 3, b, err), 0);
	assert_false(route_equal(a, b));
	route_free(b);
	b = route_new();
	f[1] = field("offshore", "");
	assert_int_equal(route_parse(f, 3, b, err), 0);
	assert_false(route_equal(a, b));
	route_free(a);
	route_free(b);
	route_free(NULL);
}

/**
 * route_parse_new gives the same route as route_parse, in one block whose
 * arrays point inside it; a bad field gives NULL and the message.
 */
static void
test_route_parse_new(void **state)
{
	struct record_field f[3];
	struct route *loose = route_new(), *packed;
	char err[RECORD_ERR_MAX];
	const uint8_t *lo, *hi;

	(void)state;
	assert_non_null(loose);
	f[0] = field("cn", "192.0.2.1,2001:db8::1,192.0.2.2");
	f[1] = field("offshore", "cdn.example.net.");
	f[2] = field("ttl", "30");
	assert_int_equal(route_parse(f, 3, loose, err), 0);
	packed = route_parse_new(f, 3, err);
	assert_non_null(packed);
	assert_true(packed->packed);
	assert_false(loose->packed);
	assert_true(route_equal(loose, packed));
	assert_int_equal(packed->cn.v4_count, 2);
	assert_memory_equal(packed->cn.v4, "\300\0\2\1\300\0\2\2", 8);
	lo = (const uint8_t *)(packed + 1);
	hi = lo + 8 + 16 + packed->offshore.cname_len;
	assert_true(packed->cn.v4 >= lo && packed->cn.v4 + 8 <= hi);
	assert_true(packed->cn.v6 >= lo && packed->cn.v6 + 16 <= hi);
	assert_true(packed->offshore.cname >= lo &&
		packed->offshore.cname + packed->offshore.cname_len <= hi);
	assert_null(packed->offshore.v4);
	route_free(packed);
	/* empty pools: a route with no arrays at all */
	packed = route_parse_new(f + 2, 1, err);
	assert_non_null(packed);
	assert_int_equal(packed->cn.kind, POOL_EMPTY);
	assert_int_equal(packed->ttl, 30);
	route_free(packed);
	f[1] = field("offshore", "192.0.2.300");
	assert_null(route_parse_new(f, 3, err));
	assert_non_null(strstr(err, "offshore"));
	route_free(loose);
}

/** Canonical wire form of a text name (the test fails on a bad one). */
static const uint8_t *
wire(const char *text)
{
	static uint8_t w[4][DNAME_MAX_WIRE];
	static int next;
	size_t len;
	uint8_t *out = w[next++ % 4];

	if(dname_from_text(text, out, &len) != 0)
		fail_msg("bad test name '%s'", text);
	return out;
}

/** filing_judge gives FILING_INVALID with a message containing what. */
static void
assert_invalid(const uint8_t *name, enum record_shape shape,
	const struct record_field *f, size_t count, const char *what)
{
	char err[RECORD_ERR_MAX];

	err[0] = 0;
	assert_int_equal(filing_judge(name, shape, f, count, err),
		FILING_INVALID);
	if(strstr(err, what) == NULL)
		fail_msg("message '%s' does not say '%s'", err, what);
}

/**
 * filing_judge: a missing key is no filing; a key of another type, too
 * many fields, an unreadable reply, a missing or unknown status and a
 * filing on a public suffix are invalid, with a message; otherwise the
 * status.
 */
static void
test_filing_judge(void **state)
{
	static const struct {
		/** the status field's value */
		const char *value;
		/** what it reads as */
		enum filing_status status;
	} valid[] = {
		{ "active", FILING_ACTIVE }, { "revoked", FILING_REVOKED },
		{ "cancelled", FILING_CANCELLED },
		{ "pending", FILING_PENDING },
		{ " Active ", FILING_ACTIVE },
	};
	const uint8_t *name = wire("example.com");
	struct record_field f[3];
	char err[RECORD_ERR_MAX];
	size_t i;

	(void)state;
	f[0] = field("icp", "京ICP备12345678号-1");
	f[1] = field("status", "active");
	f[2] = field("entity", "Example Ltd");
	strcpy(err, "untouched");
	assert_int_equal(filing_judge(name, RECORD_MISSING, NULL, 0, err),
		FILING_NONE);
	assert_int_equal(filing_judge(name, RECORD_MISSING, f, 3, err),
		FILING_NONE);
	assert_string_equal(err, "untouched");
	assert_invalid(name, RECORD_NOT_HASH, NULL, 0, "not a hash");
	assert_invalid(name, RECORD_TOO_MANY_FIELDS, NULL, 0, "32");
	assert_invalid(name, RECORD_UNREADABLE, NULL, 0, "unexpected reply");
	/* a status among the fields does not save a bad shape */
	assert_invalid(name, RECORD_NOT_HASH, f, 3, "not a hash");
	assert_invalid(name, RECORD_HASH, f, 1, "status: missing");
	assert_invalid(name, RECORD_HASH, NULL, 0, "status: missing");
	f[1] = field("status", "expired");
	assert_invalid(name, RECORD_HASH, f, 3, "status: unknown value "
		"'expired'");
	f[1] = field("status", "");
	assert_invalid(name, RECORD_HASH, f, 3, "status: unknown value");
	f[1] = field("status", "none");
	assert_invalid(name, RECORD_HASH, f, 3, "status: unknown value");
	f[1] = field("status", "invalid");
	assert_invalid(name, RECORD_HASH, f, 3, "status: unknown value");
	for(i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		f[1] = field("status", valid[i].value);
		assert_int_equal(filing_judge(name, RECORD_HASH, f, 3, err),
			valid[i].status);
		/* without a name there is no public suffix to refuse */
		assert_int_equal(filing_judge(NULL, RECORD_HASH, f, 3, NULL),
			valid[i].status);
	}
	/* public suffixes, whatever the status */
	f[1] = field("status", "active");
	assert_invalid(wire("com"), RECORD_HASH, f, 3, "public suffix");
	assert_invalid(wire("com.cn"), RECORD_HASH, f, 3, "public suffix");
	assert_invalid(wire("github.io"), RECORD_HASH, f, 3, "public suffix");
	f[1] = field("status", "revoked");
	assert_invalid(wire("co.uk"), RECORD_HASH, f, 3, "public suffix");
	/* below a public suffix: a registrable domain */
	f[1] = field("status", "active");
	assert_int_equal(filing_judge(wire("example.com.cn"), RECORD_HASH, f,
		3, err), FILING_ACTIVE);
	assert_int_equal(filing_judge(wire("user.github.io"), RECORD_HASH, f,
		3, err), FILING_ACTIVE);
}

/** Every status, FILING_NONE included. */
static const enum filing_status all_statuses[] = { FILING_NONE,
	FILING_ACTIVE, FILING_REVOKED, FILING_CANCELLED, FILING_PENDING,
	FILING_INVALID };
/** Number of all_statuses. */
#define STATUS_COUNT (sizeof(all_statuses) / sizeof(all_statuses[0]))

/**
 * filing_merge: active only if both are; FILING_NONE is neutral; invalid
 * beats everything, then revoked, cancelled, pending; the order of the
 * arguments and of a fold over several spellings does not matter.
 */
static void
test_filing_merge(void **state)
{
	static const enum filing_status strictness[] = { FILING_ACTIVE,
		FILING_PENDING, FILING_CANCELLED, FILING_REVOKED,
		FILING_INVALID };
	size_t i, j, k;

	(void)state;
	for(i = 0; i < STATUS_COUNT; i++) {
		enum filing_status a = all_statuses[i];
		assert_int_equal(filing_merge(FILING_NONE, a), a);
		assert_int_equal(filing_merge(a, FILING_NONE), a);
		assert_int_equal(filing_merge(a, a), a);
		assert_int_equal(filing_merge(a, FILING_INVALID),
			FILING_INVALID);
		for(j = 0; j < STATUS_COUNT; j++) {
			enum filing_status b = all_statuses[j];
			enum filing_status m = filing_merge(a, b);
			assert_int_equal(m, filing_merge(b, a));
			assert_true(m == a || m == b);
			/* active only when neither side says otherwise */
			assert_int_equal(m == FILING_ACTIVE,
				(a == FILING_ACTIVE || a == FILING_NONE) &&
				(b == FILING_ACTIVE || b == FILING_NONE) &&
				(a == FILING_ACTIVE || b == FILING_ACTIVE));
			/* associative, so a fold is order-independent */
			for(k = 0; k < STATUS_COUNT; k++) {
				enum filing_status c = all_statuses[k];
				assert_int_equal(filing_merge(filing_merge(a,
					b), c), filing_merge(a,
					filing_merge(b, c)));
			}
		}
	}
	/* the strictness order: each status beats the ones before it */
	for(i = 0; i < 5; i++)
		for(j = 0; j < i; j++)
			assert_int_equal(filing_merge(strictness[j],
				strictness[i]), strictness[i]);
}

/** A list of n addresses of a family, comma-separated. */
static char *
address_list(size_t n, int v6)
{
	char *text = malloc(n * 24 + 1);
	size_t i, at = 0;

	assert_non_null(text);
	text[0] = 0;
	for(i = 0; i < n; i++)
		at += (size_t)sprintf(text + at, v6 ? "%s2001:db8::%zx" :
			"%s192.0.2.%zu", i ? "," : "", i + 1);
	return text;
}

/**
 * A pool holds at most 32 addresses of each family: 32 IPv4 and 32 IPv6
 * together are accepted, 33 of either are refused with a message naming
 * the limit, by pool_parse and by both route parsers.
 */
static void
test_pool_cap(void **state)
{
	char *v4_32 = address_list(32, 0), *v6_32 = address_list(32, 1);
	char *v4_33 = address_list(33, 0), *v6_33 = address_list(33, 1);
	char *both = malloc(strlen(v4_32) + strlen(v6_32) + 32);
	char *over[2];
	char err[RECORD_ERR_MAX];
	struct record_field f[2];
	struct route r, *packed;
	struct pool p;
	size_t i;

	(void)state;
	assert_non_null(both);
	sprintf(both, "%s,%s", v6_32, v4_32);
	assert_int_equal(pool_parse(both, strlen(both), &p, err), 0);
	assert_int_equal(p.v4_count, 32);
	assert_int_equal(p.v6_count, 32);
	assert_memory_equal(p.v4 + 31 * 4, "\300\0\2\40", 4);
	pool_free(&p);
	f[0] = field("cn", both);
	f[1] = field("offshore", v4_32);
	packed = route_parse_new(f, 2, err);
	assert_non_null(packed);
	assert_int_equal(packed->cn.v6_count, 32);
	assert_int_equal(packed->offshore.v4_count, 32);
	route_free(packed);
	over[0] = v4_33;
	over[1] = v6_33;
	for(i = 0; i < 2; i++) {
		err[0] = 0;
		assert_int_equal(pool_parse(over[i], strlen(over[i]), &p, err),
			-1);
		assert_non_null(strstr(err, "32"));
		assert_non_null(strstr(err, i ? "IPv6" : "IPv4"));
		assert_null(p.v4);
		assert_null(p.v6);
		f[1] = field("offshore", over[i]);
		err[0] = 0;
		assert_int_equal(route_parse(f, 2, &r, err), -1);
		assert_non_null(strstr(err, "offshore"));
		assert_non_null(strstr(err, "32"));
		err[0] = 0;
		assert_null(route_parse_new(f, 2, err));
		assert_non_null(strstr(err, "32"));
	}
	/* 33 of one family is refused even with room in the other */
	sprintf(both, "%s,%s", v4_32, v6_32);
	strcat(both, ",192.0.2.200");
	assert_int_equal(pool_parse(both, strlen(both), &p, err), -1);
	assert_non_null(strstr(err, "32"));
	free(v4_32);
	free(v6_32);
	free(v4_33);
	free(v6_33);
	free(both);
}

/** Overwrite every byte of a route's arrays with x. */
static void
scribble(struct route *r, uint8_t x)
{
	struct pool *pools[2] = { &r->cn, &r->offshore };
	size_t i;

	for(i = 0; i < 2; i++) {
		if(pools[i]->v4 != NULL)
			memset(pools[i]->v4, x, (size_t)pools[i]->v4_count * 4);
		if(pools[i]->v6 != NULL)
			memset(pools[i]->v6, x,
				(size_t)pools[i]->v6_count * 16);
		if(pools[i]->cname != NULL)
			memset(pools[i]->cname, x, pools[i]->cname_len);
	}
}

/**
 * route_clone: a copy equal to its source, packed, that shares nothing
 * with it (a change to the source, or freeing it, leaves the copy as it
 * was), from a loose route, a packed one and an empty one.
 */
static void
test_route_clone(void **state)
{
	struct record_field f[3];
	struct route *loose = route_new(), *reference, *copy, *copy2;
	struct route *empty = route_new();
	char err[RECORD_ERR_MAX];

	(void)state;
	assert_non_null(loose);
	assert_non_null(empty);
	assert_null(route_clone(NULL));
	f[0] = field("cn", "192.0.2.1,2001:db8::1,192.0.2.2");
	f[1] = field("offshore", "cdn.example.net.");
	f[2] = field("ttl", "30");
	assert_int_equal(route_parse(f, 3, loose, err), 0);
	reference = route_parse_new(f, 3, err);
	assert_non_null(reference);
	/* from a loose route */
	copy = route_clone(loose);
	assert_non_null(copy);
	assert_true(copy->packed);
	assert_true(route_equal(copy, loose));
	assert_true(copy->cn.v4 != loose->cn.v4);
	assert_true(copy->offshore.cname != loose->offshore.cname);
	scribble(loose, 0xee);
	assert_false(route_equal(copy, loose));
	assert_true(route_equal(copy, reference));
	route_free(loose);
	assert_true(route_equal(copy, reference));
	/* from a packed route (the copy itself) */
	copy2 = route_clone(copy);
	assert_non_null(copy2);
	assert_true(route_equal(copy2, copy));
	assert_true(copy2->cn.v6 != copy->cn.v6);
	scribble(copy, 0x11);
	route_free(copy);
	assert_true(route_equal(copy2, reference));
	assert_int_equal(copy2->ttl, 30);
	assert_true(copy2->has_ttl);
	route_free(copy2);
	/* an empty route */
	copy = route_clone(empty);
	assert_non_null(copy);
	assert_true(route_equal(copy, empty));
	assert_int_equal(copy->cn.kind, POOL_EMPTY);
	assert_null(copy->cn.v4);
	route_free(copy);
	route_free(empty);
	route_free(reference);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_filing_parse),
		cmocka_unit_test(test_pool_kinds),
		cmocka_unit_test(test_pool_errors),
		cmocka_unit_test(test_route_parse),
		cmocka_unit_test(test_route_parse_no_leak),
		cmocka_unit_test(test_route_equal),
		cmocka_unit_test(test_route_parse_new),
		cmocka_unit_test(test_filing_judge),
		cmocka_unit_test(test_filing_merge),
		cmocka_unit_test(test_pool_cap),
		cmocka_unit_test(test_route_clone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
