/*
 * test_cli_names.c - unit tests of cnroutectl's name validation and IDNA.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "names.h"

/** Normalise and expect the given canonical form. */
static void
expect_name(const char *in, int wildcard, const char *want)
{
	char out[NAME_TEXT_MAX], err[NAME_ERR_MAX];
	if(name_normalise(in, wildcard, out, err) != 0)
		fail_msg("'%s' refused: %s", in, err);
	assert_string_equal(out, want);
}

/** Normalise and expect a refusal. */
static void
expect_refused(const char *in, int wildcard)
{
	char out[NAME_TEXT_MAX], err[NAME_ERR_MAX];
	if(name_normalise(in, wildcard, out, err) == 0)
		fail_msg("'%s' accepted as '%s'", in, out);
	assert_true(strlen(err) > 0);
}

/** ASCII names: lower-cased, trailing dot and blanks dropped. */
static void
test_ascii(void **state)
{
	(void)state;
	expect_name("WWW.Example.COM", 0, "www.example.com");
	expect_name("www.example.com.", 0, "www.example.com");
	expect_name("  example.com \n", 0, "example.com");
	expect_name("_dmarc.example.com", 0, "_dmarc.example.com");
	expect_name("a-b.example.com", 0, "a-b.example.com");
	expect_name("com", 0, "com");
}

/** Unicode names become A-labels (IDNA2008 via libidn2). */
static void
test_idna(void **state)
{
	(void)state;
	expect_name("例子.中国", 0, "xn--fsqu00a.xn--fiqs8s");
	expect_name("例子.中国.", 0, "xn--fsqu00a.xn--fiqs8s");
	expect_name("www.例子.中国", 0, "www.xn--fsqu00a.xn--fiqs8s");
	/* the ideographic full stop separates labels too */
	expect_name("例子。中国", 0, "xn--fsqu00a.xn--fiqs8s");
	/* full-width Latin letters fold to ASCII */
	expect_name("ｗｗｗ.例子.中国", 0, "www.xn--fsqu00a.xn--fiqs8s");
	expect_name("BÜCHER.example", 0, "xn--bcher-kva.example");
	/* an A-label typed as such is kept when it decodes */
	expect_name("XN--FSQU00A.xn--fiqs8s", 0, "xn--fsqu00a.xn--fiqs8s");
	expect_refused("xn--zz.example.com", 0);
}

/** Wildcards only where allowed, and only as the first label. */
static void
test_wildcards(void **state)
{
	(void)state;
	expect_name("*.img.Example.com", 1, "*.img.example.com");
	expect_name("*.例子.中国", 1, "*.xn--fsqu00a.xn--fiqs8s");
	expect_refused("*.img.example.com", 0);
	expect_refused("a.*.example.com", 1);
	expect_refused("*", 1);
	expect_refused("*.", 1);
	assert_true(name_is_wildcard("*.a.b"));
	assert_false(name_is_wildcard("a.b"));
}

/** Malformed names are refused with a reason. */
static void
test_refused(void **state)
{
	char long_label[80], long_name[300];
	(void)state;
	expect_refused("", 0);
	expect_refused(".", 0);
	expect_refused("a..b", 0);
	expect_refused(".a.b", 0);
	expect_refused("a b.com", 0);
	expect_refused("a/b.com", 0);
	expect_refused("-a.com", 0);
	expect_refused("a-.com", 0);
	expect_refused("a.com..", 0);
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".com");
	expect_refused(long_label, 0);
	memset(long_name, 0, sizeof(long_name));
	{
		int i;
		for(i = 0; i < 64; i++)
			strcat(long_name, "abc.");
		strcat(long_name, "com");
	}
	expect_refused(long_name, 0);
}

/** Parents walk one label at a time; display shows Unicode. */
static void
test_parent_display(void **state)
{
	char out[NAME_TEXT_MAX * 4];
	(void)state;
	assert_string_equal(name_parent("a.b.c"), "b.c");
	assert_string_equal(name_parent("b.c"), "c");
	assert_null(name_parent("c"));
	name_display("xn--fsqu00a.xn--fiqs8s", out, sizeof(out));
	assert_string_equal(out, "例子.中国");
	name_display("example.com", out, sizeof(out));
	assert_string_equal(out, "example.com");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_idna),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_parent_display),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
