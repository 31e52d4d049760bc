/*
 * test_record.c - unit tests of filing and route parsing.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
