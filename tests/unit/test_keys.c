/*
 * test_keys.c - unit tests of Redis key parsing (keys.h).
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

#include "cnroute/dname.h"
#include "cnroute/keys.h"

/** The prefix of every key here. */
#define PREFIX "cnroute:"

/** Parse a key given as a C string. @return key_parse's result. */
static int
parse(const char *key, struct key_name *kn, char *err)
{
	err[0] = 0;
	return key_parse(PREFIX, key, strlen(key), kn, err);
}

/** Assert a key spells a name (as text), of a kind, canonically or not. */
static void
assert_key(const char *key, enum key_kind kind, const char *name,
	int canonical)
{
	struct key_name kn;
	char err[KEY_ERR_MAX];
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	if(parse(key, &kn, err) != 0)
		fail_msg("%s: refused: %s", key, err);
	assert_int_equal(kn.kind, kind);
	assert_int_equal(dname_from_text(name, wire, &len), 0);
	if(kn.name_len != len || memcmp(kn.name, wire, len) != 0)
		fail_msg("%s: not the name %s", key, name);
	if(kn.canonical != canonical)
		fail_msg("%s: canonical is %d", key, kn.canonical);
}

/** Assert a key is refused (-1) as a key of a kind, with a message. */
static void
assert_refused(const char *key, size_t key_len, enum key_kind kind,
	const char *what)
{
	struct key_name kn;
	char err[KEY_ERR_MAX];

	err[0] = 0;
	if(key_parse(PREFIX, key, key_len, &kn, err) != -1)
		fail_msg("key %.*s: accepted", (int)key_len, key);
	assert_int_equal(kn.kind, kind);
	assert_true(strlen(err) > 0 && strlen(err) < KEY_ERR_MAX);
	if(strstr(err, what) == NULL)
		fail_msg("key %.*s: message '%s' does not say '%s'",
			(int)key_len, key, err, what);
}

/** Filing keys, route keys and the rest. */
static void
test_kinds(void **state)
{
	struct key_name kn;
	char err[KEY_ERR_MAX];
	static const char *const other[] = { "cnroute:audit",
		"cnroute:filings:example.com", "cnroute:Filing:example.com",
		"cnroute:routes:x.com", "cnroute:filing", "cnroute:route",
		"cnroute:", "cnroute", "other:filing:example.com",
		"filing:example.com", "CNROUTE:filing:example.com", "" };
	size_t i;

	(void)state;
	assert_key("cnroute:filing:example.com", KEY_FILING, "example.com", 1);
	assert_key("cnroute:route:www.example.com", KEY_ROUTE,
		"www.example.com", 1);
	assert_key("cnroute:route:*.example.com", KEY_ROUTE, "*.example.com",
		1);
	for(i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		memset(&kn, 0x55, sizeof(kn));
		assert_int_equal(parse(other[i], &kn, err), 0);
		assert_int_equal(kn.kind, KEY_OTHER);
	}
	/* any prefix; the length is honoured, not the NUL */
	assert_int_equal(key_parse("p/", "p/filing:a.com", 14, &kn, err), 0);
	assert_int_equal(kn.kind, KEY_FILING);
	assert_int_equal(kn.name_len, 7);
	assert_int_equal(key_parse(PREFIX, "cnroute:filing:example.comXYZ", 26,
		&kn, err), 0);
	assert_int_equal(kn.name_len, 13);
	assert_true(kn.canonical);
	assert_int_equal(key_parse(PREFIX, NULL, 0, &kn, err), 0);
	assert_int_equal(kn.kind, KEY_OTHER);
}

/**
 * Spellings of one name: upper case, a trailing dot, escapes and Unicode
 * all read as the canonical name, and only the canonical spelling (lower
 * case A-labels, no trailing dot, no escape) is marked canonical.
 */
static void
test_spellings(void **state)
{
	static const struct {
		/** the key */
		const char *key;
		/** the name it spells */
		const char *name;
		/** whether it is the canonical spelling */
		int canonical;
	} cases[] = {
		{ "cnroute:filing:example.com", "example.com", 1 },
		{ "cnroute:filing:Example.com", "example.com", 0 },
		{ "cnroute:filing:EXAMPLE.COM", "example.com", 0 },
		{ "cnroute:filing:example.com.", "example.com", 0 },
		{ "cnroute:filing:\\069xample.com", "example.com", 0 },
		{ "cnroute:filing:\\101xample.com", "example.com", 0 },
		{ "cnroute:filing:ex\\ample.com", "example.com", 0 },
		{ "cnroute:filing:xn--fsqu00a.xn--fiqs8s",
			"xn--fsqu00a.xn--fiqs8s", 1 },
		{ "cnroute:filing:例子.中国", "xn--fsqu00a.xn--fiqs8s", 0 },
		{ "cnroute:filing:例子.中国.", "xn--fsqu00a.xn--fiqs8s", 0 },
		{ "cnroute:filing:XN--FSQU00A.xn--fiqs8s",
			"xn--fsqu00a.xn--fiqs8s", 0 },
		{ "cnroute:filing:例子.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s",
			0 },
		{ "cnroute:filing:BÜCHER.de", "xn--bcher-kva.de", 0 },
		{ "cnroute:filing:xn--bcher-kva.de", "xn--bcher-kva.de", 1 },
		{ "cnroute:route:www.例子.中国", "www.xn--fsqu00a.xn--fiqs8s",
			0 },
		{ "cnroute:route:*.example.com", "*.example.com", 1 },
		{ "cnroute:route:*.Example.com", "*.example.com", 0 },
		{ "cnroute:route:*.example.com.", "*.example.com", 0 },
		{ "cnroute:route:*.例子.中国", "*.xn--fsqu00a.xn--fiqs8s", 0 },
		{ "cnroute:route:*", "*", 1 },
		{ "cnroute:route:*.", "*", 0 },
		{ "cnroute:route:a-b_c.example", "a-b_c.example", 1 },
		{ "cnroute:route:ex\\.ample.com", "ex\\.ample.com", 0 },
		{ "cnroute:route:a\\032b.com", "a\\032b.com", 0 },
	};
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_key(cases[i].key, strncmp(cases[i].key,
			"cnroute:filing:", 15) == 0 ? KEY_FILING : KEY_ROUTE,
			cases[i].name, cases[i].canonical);
}

/**
 * Names that can't be read: empty, the root, empty labels, a label over
 * 63 bytes, a name over 255 bytes, blanks and control bytes, a bad
 * escape, invalid UTF-8, Unicode IDNA refuses. -1 with a message; the
 * kind still says filing or route.
 */
static void
test_malformed(void **state)
{
	char key[2048];
	size_t i, n;

	(void)state;
	assert_refused("cnroute:filing:", 15, KEY_FILING, "root");
	assert_refused("cnroute:filing:.", 16, KEY_FILING, "root");
	assert_refused("cnroute:route:", 14, KEY_ROUTE, "root");
	assert_refused("cnroute:route:..", 16, KEY_ROUTE, "malformed");
	assert_refused("cnroute:filing:a..b", 19, KEY_FILING, "malformed");
	assert_refused("cnroute:filing:.example.com", 27, KEY_FILING,
		"malformed");
	assert_refused("cnroute:filing:exa mple.com", 27, KEY_FILING,
		"malformed");
	assert_refused("cnroute:filing:exa\nmple.com", 27, KEY_FILING,
		"malformed");
	assert_refused("cnroute:filing:ex\0ample.com", 27, KEY_FILING,
		"malformed");
	assert_refused("cnroute:filing:example.com\\", 27, KEY_FILING,
		"malformed");
	assert_refused("cnroute:filing:\\256xample.com", 29, KEY_FILING,
		"malformed");
	/* not UTF-8, or not a name IDNA accepts */
	assert_refused("cnroute:filing:\xff.com", 20, KEY_FILING, "UTF-8");
	assert_refused("cnroute:filing:\xe4\xbe.com", 21, KEY_FILING,
		"UTF-8");
	assert_refused("cnroute:route:a\xc3.com", 20, KEY_ROUTE, "UTF-8");
	assert_refused("cnroute:filing:例子..中国", 28, KEY_FILING, "IDNA");
	/* a label of 64 bytes (63 is fine) */
	n = (size_t)snprintf(key, sizeof(key), "cnroute:filing:");
	for(i = 0; i < 63; i++)
		key[n++] = 'a';
	memcpy(key + n, ".com", 4);
	assert_key("cnroute:filing:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaa.com", KEY_FILING, "aaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 1);
	memmove(key + n + 1, key + n, 4);
	key[n] = 'a';
	assert_refused(key, n + 5, KEY_FILING, "malformed");
	/* a Unicode label too long once converted */
	n = (size_t)snprintf(key, sizeof(key), "cnroute:filing:");
	for(i = 0; i < 40; i++) {
		/* 40 different ideographs: 3 bytes of UTF-8 each */
		unsigned cp = 0x4e00 + (unsigned)i * 331;
		key[n++] = (char)(0xe0 | (cp >> 12));
		key[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		key[n++] = (char)(0x80 | (cp & 0x3f));
	}
	n += (size_t)snprintf(key + n, sizeof(key) - n, ".com");
	assert_refused(key, n, KEY_FILING, "IDNA");
	/* a name of 256 bytes in the wire (four labels of 62 + ...) */
	n = (size_t)snprintf(key, sizeof(key), "cnroute:route:");
	for(i = 0; i < 5; i++) {
		memset(key + n, 'a' + (int)i, 62);
		n += 62;
		key[n++] = '.';
	}
	key[--n] = 0;
	assert_refused(key, n, KEY_ROUTE, "malformed");
	/* a very long key */
	memset(key, 'a', sizeof(key));
	memcpy(key, "cnroute:route:", 14);
	assert_refused(key, sizeof(key), KEY_ROUTE, "too long");
}

/** key_name_to_ascii: Unicode to A-labels, ASCII as it is. */
static void
test_to_ascii(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(key_name_to_ascii("例子.中国", 13, out, sizeof(out)),
		0);
	assert_string_equal(out, "xn--fsqu00a.xn--fiqs8s");
	assert_int_equal(key_name_to_ascii("Example.COM", 11, out,
		sizeof(out)), 0);
	assert_string_equal(out, "Example.COM");
	/* the length is honoured */
	assert_int_equal(key_name_to_ascii("example.comXYZ", 11, out,
		sizeof(out)), 0);
	assert_string_equal(out, "example.com");
	/* UTS #46 maps upper case and the ideographic full stop */
	assert_int_equal(key_name_to_ascii("BÜCHER。de",
		strlen("BÜCHER。de"), out, sizeof(out)), 0);
	assert_string_equal(out, "xn--bcher-kva.de");
	assert_int_equal(key_name_to_ascii("\xff", 1, out, sizeof(out)), -1);
	assert_int_equal(key_name_to_ascii("a\0b", 3, out, sizeof(out)), -1);
	/* too small an output */
	assert_int_equal(key_name_to_ascii("example.com", 11, out, 11), -1);
	assert_int_equal(key_name_to_ascii("例子.中国", 13, out, 22), -1);
	assert_int_equal(key_name_to_ascii("例子.中国", 13, out, 23), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_to_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
