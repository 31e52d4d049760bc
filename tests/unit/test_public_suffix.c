/*
 * test_public_suffix.c - unit tests of the public suffix check.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/public_suffix.h"

/** A name and whether it is a public suffix. */
struct suffix_case {
	/** the name, as text (escapes allowed) */
	const char *name;
	/** 1 if it is a public suffix */
	int suffix;
};

/** Check name_is_public_suffix on text names. */
static void
check_cases(const struct suffix_case *cases, size_t count)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t i, len;

	for(i = 0; i < count; i++) {
		if(dname_from_text(cases[i].name, wire, &len) != 0)
			fail_msg("bad test name '%s'", cases[i].name);
		if(name_is_public_suffix(wire) != cases[i].suffix)
			fail_msg("%s: expected %d", cases[i].name,
				cases[i].suffix);
	}
}

/**
 * Public suffixes of the ICANN section (com, com.cn, co.uk, the IDN TLD
 * 中国), of the private section (github.io), and by the implicit rule that
 * every top-level domain is one (test); registrable domains are not
 * (example.com, foo.com.cn, and www.ck, an exception to the rule *.ck).
 */
static void
test_suffixes(void **state)
{
	static const struct suffix_case cases[] = {
		{ "com", 1 },
		{ "com.cn", 1 },
		{ "github.io", 1 },
		{ "xn--fiqs8s", 1 },
		{ "co.uk", 1 },
		{ "test", 1 },
		{ "COM.", 1 },
		{ "foo.ck", 1 },
		{ "example.com", 0 },
		{ "foo.com.cn", 0 },
		{ "www.ck", 0 },
		{ "user.github.io", 0 },
		{ "xn--fsqu00a.xn--fiqs8s", 0 },
		{ "example.co.uk", 0 },
		{ "www.example.com", 0 },
	};

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/**
 * The root, a missing name, and names with bytes a host name can't have
 * (a NUL, a blank, a dot inside a label, bytes over 0x7f, control bytes)
 * are not public suffixes, even where libpsl's implicit rule would make
 * any single label one.
 */
static void
test_odd_names(void **state)
{
	static const struct suffix_case cases[] = {
		{ ".", 0 },
		{ "\\000", 0 },
		{ "co\\000m", 0 },
		{ "com\\000.cn", 0 },
		{ "c\\032om", 0 },
		{ "co\\.uk", 0 },
		{ "\\255", 0 },
		{ "xn--fiqs8s\\200", 0 },
		{ "\\228\\184\\173\\229\\155\\189", 0 },
		{ "\\127", 0 },
		{ "\\009com", 0 },
	};
	static const uint8_t root[1] = { 0 };

	(void)state;
	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(name_is_public_suffix(root), 0);
	assert_int_equal(name_is_public_suffix(NULL), 0);
}

/** Thread body: ask about com and example.com many times. */
static void *
ask_many(void *arg)
{
	static const uint8_t com[] = "\3com";
	static const uint8_t example[] = "\7example\3com";
	long *wrong = arg;
	int i;

	for(i = 0; i < 2000; i++) {
		if(name_is_public_suffix(com) != 1 ||
			name_is_public_suffix(example) != 0)
			(*wrong)++;
	}
	return NULL;
}

/**
 * After public_suffix_release the list loads again at the next question,
 * also when several threads ask the first question at once.
 */
static void
test_release_and_reload(void **state)
{
	pthread_t threads[4];
	long wrong[4] = { 0, 0, 0, 0 };
	int i;

	(void)state;
	check_cases((const struct suffix_case[]){ { "com.cn", 1 } }, 1);
	public_suffix_release();
	public_suffix_release(); /* twice is harmless */
	for(i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, ask_many,
			&wrong[i]), 0);
	for(i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(wrong[i], 0);
	}
	check_cases((const struct suffix_case[]){ { "github.io", 1 },
		{ "foo.com.cn", 0 } }, 2);
	public_suffix_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_odd_names),
		cmocka_unit_test(test_release_and_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
