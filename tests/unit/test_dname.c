/*
 * test_dname.c - unit tests of canonical domain names.
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

/** Parse text and compare with the expected wire bytes. */
static void
expect_wire(const char *text, const char *wire, size_t wire_len)
{
	uint8_t out[DNAME_MAX_WIRE];
	size_t len = 0;

	assert_int_equal(dname_from_text(text, out, &len), 0);
	assert_int_equal(len, wire_len);
	assert_memory_equal(out, wire, wire_len);
}

/** Text that must be refused. */
static void
expect_bad(const char *text)
{
	uint8_t out[DNAME_MAX_WIRE];
	size_t len = 0;

	assert_int_equal(dname_from_text(text, out, &len), -1);
}

/** Plain names, case folding and trailing dots. */
static void
test_from_text_basic(void **state)
{
	(void)state;
	expect_wire("www.example.com", "\3www\7example\3com", 17);
	expect_wire("www.example.com.", "\3www\7example\3com", 17);
	expect_wire("WWW.ExAmPlE.CoM.", "\3www\7example\3com", 17);
	expect_wire("", "", 1);
	expect_wire(".", "", 1);
	expect_wire("*.example.com", "\1*\7example\3com", 15);
	expect_wire("com", "\3com", 5);
}

/** Escapes: "\.", "\\", "\DDD" (folded too) and bad escapes. */
static void
test_from_text_escapes(void **state)
{
	(void)state;
	expect_wire("a\\.b.com", "\3a.b\3com", 9);
	expect_wire("a\\\\b.com", "\3a\\b\3com", 9);
	expect_wire("\\065bc.com", "\3abc\3com", 9);
	expect_wire("x\\000y.", "\3x\0y", 5);
	expect_wire("a\\..", "\2a.", 4);
	expect_bad("a\\");
	expect_bad("a\\25");
	expect_bad("a\\256.com");
	expect_bad("a\\1x2.com");
}

/** Empty labels, blanks, control bytes. */
static void
test_from_text_malformed(void **state)
{
	(void)state;
	expect_bad("a..b");
	expect_bad(".a");
	expect_bad("..");
	expect_bad("a b.com");
	expect_bad("a\tb.com");
	expect_bad("a.com..");
	assert_int_equal(dname_from_text(NULL, NULL, NULL), -1);
}

/** Label and name length limits (63 and 255). */
static void
test_from_text_limits(void **state)
{
	char text[600];
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len, i;

	(void)state;
	memset(text, 'a', 63);
	strcpy(text + 63, ".com");
	assert_int_equal(dname_from_text(text, wire, &len), 0);
	assert_int_equal(len, 1 + 63 + 4 + 1);
	memset(text, 'a', 64);
	strcpy(text + 64, ".com");
	assert_int_equal(dname_from_text(text, wire, &len), -1);

	/* 127 labels "a." is 254 wire bytes plus the root: 255, the max. */
	for(i = 0; i < 127; i++)
		memcpy(text + 2 * i, "a.", 2);
	text[254] = 0;
	assert_int_equal(dname_from_text(text, wire, &len), 0);
	assert_int_equal(len, 255);
	/* One more byte is too long, with or without the trailing dot. */
	memcpy(text + 254, "b", 2);
	assert_int_equal(dname_from_text(text, wire, &len), -1);
	text[253] = 0; /* drop the trailing dot: "a.a....a" is 254+1 */
	assert_int_equal(dname_from_text(text, wire, &len), 0);
	assert_int_equal(len, 255);
	/* 63+1 four times = 256 + root: too long. */
	for(i = 0; i < 4; i++) {
		memset(text + 64 * i, 'x', 63);
		text[64 * i + 63] = '.';
	}
	text[256] = 0;
	assert_int_equal(dname_from_text(text, wire, &len), -1);
}

/** The counted variant never reads past text_len. */
static void
test_from_text_len(void **state)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	const char key[] = "cnroute:route:Example.COM.garbage";

	(void)state;
	assert_int_equal(dname_from_text_len(key + 14, 12, wire, &len), 0);
	assert_int_equal(len, 13);
	assert_memory_equal(wire, "\7example\3com", 13);
	assert_int_equal(dname_from_text_len(key, 0, wire, &len), 0);
	assert_int_equal(len, 1);
}

/** Wire names: validated, lower-cased, compression refused. */
static void
test_canonicalize(void **state)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	const uint8_t good[] = "\3WWW\7Example\3COM";
	const uint8_t pointer[] = { 3, 'w', 'w', 'w', 0xc0, 12 };
	const uint8_t ext[] = { 0x41, 'a', 0 };
	const uint8_t truncated[] = { 3, 'w', 'w' };
	const uint8_t no_root[] = { 3, 'w', 'w', 'w' };
	uint8_t longname[300];
	size_t i;

	(void)state;
	assert_int_equal(dname_canonicalize(good, sizeof(good), wire, &len), 0);
	assert_int_equal(len, 17);
	assert_memory_equal(wire, "\3www\7example\3com", 17);
	/* in_max shorter than the name */
	assert_int_equal(dname_canonicalize(good, 16, wire, &len), -1);
	assert_int_equal(dname_canonicalize(pointer, sizeof(pointer), wire,
		&len), -1);
	assert_int_equal(dname_canonicalize(ext, sizeof(ext), wire, &len), -1);
	assert_int_equal(dname_canonicalize(truncated, sizeof(truncated), wire,
		&len), -1);
	assert_int_equal(dname_canonicalize(no_root, sizeof(no_root), wire,
		&len), -1);
	assert_int_equal(dname_canonicalize(good, 0, wire, &len), -1);
	/* 5 labels of 50: 255 bytes + root = 256: too long. */
	for(i = 0; i < 5; i++) {
		longname[51 * i] = 50;
		memset(longname + 51 * i + 1, 'q', 50);
	}
	longname[255] = 0;
	assert_int_equal(dname_canonicalize(longname, sizeof(longname), wire,
		&len), -1);
	/* 4 labels of 50 + one of 49 is 254 + root = 255: fine. */
	longname[204] = 49;
	longname[254] = 0;
	assert_int_equal(dname_canonicalize(longname, sizeof(longname), wire,
		&len), 0);
	assert_int_equal(len, 255);
}

/**
 * Every byte value, at every offset within the 8-byte words the fold
 * works on: only 'A'..'Z' change (to 'a'..'z'), nothing else, whatever
 * its neighbours.
 */
static void
test_canonicalize_every_byte(void **state)
{
	uint8_t in[32], wire[DNAME_MAX_WIRE];
	size_t len, at;
	unsigned b, n;

	(void)state;
	for(b = 0; b < 256; b++) {
		for(at = 1; at <= 16; at++) {
			/* one label of 20 bytes: 'Z', 'a', '@', '[' around
			 * the byte under test, which sits at offset at */
			in[0] = 20;
			for(n = 1; n <= 20; n++)
				in[n] = (uint8_t)"Za@[`{"[n % 6];
			in[at] = (uint8_t)b;
			in[21] = 0;
			assert_int_equal(dname_canonicalize(in, 22, wire,
				&len), 0);
			assert_int_equal(len, 22);
			assert_int_equal(wire[0], 20);
			for(n = 1; n <= 20; n++) {
				uint8_t c = in[n];
				uint8_t want = c >= 'A' && c <= 'Z' ?
					(uint8_t)(c + 32) : c;
				assert_int_equal(wire[n], want);
			}
			assert_int_equal(wire[21], 0);
		}
	}
}

/** Printing, escapes, and the round trip. */
static void
test_to_text(void **state)
{
	char text[DNAME_MAX_TEXT];
	uint8_t wire[DNAME_MAX_WIRE], back[DNAME_MAX_WIRE];
	size_t len, back_len;
	uint8_t all[DNAME_MAX_WIRE];
	int i;

	(void)state;
	dname_to_text((const uint8_t *)"", text);
	assert_string_equal(text, ".");
	dname_to_text((const uint8_t *)"\3www\7example\3com", text);
	assert_string_equal(text, "www.example.com.");
	dname_to_text((const uint8_t *)"\3a.b\3a\\c\2\x01 ", text);
	assert_string_equal(text, "a\\.b.a\\\\c.\\001\\032.");
	assert_int_equal(dname_from_text(text, wire, &len), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(wire, "\3a.b\3a\\c\2\x01 ", 12);

	/* Every byte value survives print and parse (letters fold). */
	for(i = 0; i < 256; i += 60) {
		int j, n = 256 - i < 60 ? 256 - i : 60;
		all[0] = (uint8_t)n;
		for(j = 0; j < n; j++) {
			uint8_t c = (uint8_t)(i + j);
			all[1 + j] = (c >= 'A' && c <= 'Z') ?
				(uint8_t)(c + 32) : c;
		}
		all[1 + n] = 0;
		dname_to_text(all, text);
		assert_int_equal(dname_from_text(text, back, &back_len), 0);
		assert_int_equal(back_len, (size_t)n + 2);
		assert_memory_equal(back, all, (size_t)n + 2);
	}
}

/** length, label count, parent, hash, wildcard. */
static void
test_helpers(void **state)
{
	const uint8_t *name = (const uint8_t *)"\3www\7example\3com";
	const uint8_t *p;

	(void)state;
	assert_int_equal(dname_length(name), 17);
	assert_int_equal(dname_length((const uint8_t *)""), 1);
	assert_int_equal(dname_label_count(name), 3);
	assert_int_equal(dname_label_count((const uint8_t *)""), 0);
	p = dname_parent(name);
	assert_memory_equal(p, "\7example\3com", 13);
	p = dname_parent(dname_parent(p));
	assert_int_equal(*p, 0);
	assert_null(dname_parent(p));
	assert_true(dname_is_wildcard((const uint8_t *)"\1*\3com"));
	assert_false(dname_is_wildcard((const uint8_t *)"\2*a\3com"));
	assert_false(dname_is_wildcard((const uint8_t *)"\1a\3com"));
	assert_false(dname_is_wildcard((const uint8_t *)""));
}

/**
 * The suffix hashes of one pass equal dname_hash of each suffix, and the
 * hash of "*.P" follows from P's state with one more step.
 */
static void
test_suffix_hashes(void **state)
{
	uint8_t w[DNAME_MAX_WIRE], wild[DNAME_MAX_WIRE], starts[DNAME_MAX_WIRE];
	uint64_t states[DNAME_MAX_WIRE];
	size_t len, wlen;
	int count, i;

	(void)state;
	assert_int_equal(dname_from_text("www.Example.com.cn", w, &len), 0);
	count = dname_suffix_hashes(w, len, starts, states);
	assert_int_equal(count, 5);
	assert_int_equal(starts[0], 0);
	assert_int_equal(starts[1], 4);
	assert_int_equal(starts[count - 1], len - 1);
	for(i = 0; i < count; i++)
		assert_int_equal(dname_hash_finish(states[i]),
			dname_hash(w + starts[i], len - starts[i]));
	assert_int_equal(dname_from_text("*.example.com.cn", wild, &wlen), 0);
	assert_int_equal(dname_hash(wild, wlen), dname_hash_finish(
		dname_hash_step(states[1], (const uint8_t *)"\1*", 2)));
	/* different names, different hashes (not guaranteed in general,
	 * but these must not collide for the table to spread them) */
	assert_int_not_equal(dname_hash(w, len), dname_hash(wild, wlen));
	assert_int_not_equal(dname_hash(w + 4, len - 4),
		dname_hash(w + starts[2], len - starts[2]));
	/* any bytes hash, a length byte past the end included */
	(void)dname_hash((const uint8_t *)"\77ab", 3);
	(void)dname_hash((const uint8_t *)"", 0);
	assert_int_equal(dname_suffix_hashes(w, 0, starts, states), 0);
}

/** Hashes spread over the low bits (the table's slot index). */
static void
test_hash_spread(void **state)
{
	enum { N = 4096, SLOTS = 8192 };
	static unsigned char used[SLOTS];
	uint8_t w[DNAME_MAX_WIRE];
	size_t len;
	int i, distinct = 0;
	char text[64];

	(void)state;
	memset(used, 0, sizeof(used));
	for(i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "www.d%d.sites.example", i);
		assert_int_equal(dname_from_text(text, w, &len), 0);
		used[dname_hash(w, len) & (SLOTS - 1)] = 1;
	}
	for(i = 0; i < SLOTS; i++)
		distinct += used[i];
	/* 4096 random balls in 8192 bins fill about 3225 of them */
	assert_true(distinct > 3000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_text_basic),
		cmocka_unit_test(test_from_text_escapes),
		cmocka_unit_test(test_from_text_malformed),
		cmocka_unit_test(test_from_text_limits),
		cmocka_unit_test(test_from_text_len),
		cmocka_unit_test(test_canonicalize),
		cmocka_unit_test(test_canonicalize_every_byte),
		cmocka_unit_test(test_to_text),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_suffix_hashes),
		cmocka_unit_test(test_hash_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
