/*
 * test_cli_icp.c - unit tests of cnroutectl's filing number validation.
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

#include "icp.h"

/** Normalise and expect success with the given canonical form. */
static void
expect_ok(const char *in, const char *want)
{
	char out[ICP_MAX], err[ICP_ERR_MAX];
	int r = icp_normalise(in, out, err);
	if(r != ICP_OK)
		fail_msg("'%s' refused: %s", in, err);
	assert_string_equal(out, want);
}

/** Normalise and expect a refusal of the given kind. */
static void
expect_bad(const char *in, int want)
{
	char out[ICP_MAX], err[ICP_ERR_MAX];
	int r = icp_normalise(in, out, err);
	if(r != want)
		fail_msg("'%s': expected %d, got %d (%s)", in, want, r, out);
	assert_true(strlen(err) > 0);
}

/** The shapes of the notes: 8 and 10 digits, site numbers, licences. */
static void
test_valid_forms(void **state)
{
	(void)state;
	expect_ok("京ICP备12345678号", "京ICP备12345678号");
	expect_ok("陇ICP备2021003158号-1", "陇ICP备2021003158号-1");
	expect_ok("京ICP证030173号", "京ICP证030173号");
	expect_ok("粤ICP备12345678号-12", "粤ICP备12345678号-12");
}

/** Every province character, alternates included, is accepted. */
static void
test_provinces(void **state)
{
	static const char *const p[] = { "京", "津", "冀", "晋", "蒙", "辽",
		"吉", "黑", "沪", "苏", "浙", "皖", "闽", "赣", "鲁", "豫",
		"鄂", "湘", "粤", "桂", "琼", "渝", "川", "蜀", "贵", "黔",
		"云", "滇", "藏", "陕", "甘", "陇", "青", "宁", "新" };
	size_t i;
	char in[64];
	(void)state;
	for(i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		snprintf(in, sizeof(in), "%sICP备12345678号", p[i]);
		expect_ok(in, in);
	}
	/* not provinces: Hong Kong, a random character, Latin */
	expect_bad("港ICP备12345678号", ICP_MALFORMED);
	expect_bad("中ICP备12345678号", ICP_MALFORMED);
	expect_bad("XICP备12345678号", ICP_MALFORMED);
	assert_true(icp_is_province(0x9647)); /* 陇 */
	assert_false(icp_is_province('A'));
}

/** Full-width digits and letters, odd dashes, stray blanks: normalised. */
static void
test_normalisation(void **state)
{
	(void)state;
	expect_ok("京ICP备１２３４５６７８号", "京ICP备12345678号");
	expect_ok("京ＩＣＰ备12345678号", "京ICP备12345678号");
	expect_ok(" 京 ICP 备 1234 5678 号 ", "京ICP备12345678号");
	expect_ok("京icp备12345678号－１", "京ICP备12345678号-1");
	expect_ok("京ICP备12345678号\xe2\x80\x94" "2", "京ICP备12345678号-2");
	expect_ok("京ICP备12345678号\xe3\x80\x80", "京ICP备12345678号");
	expect_ok("\xc2\xa0京ICP证030173号", "京ICP证030173号");
}

/** Wrong digit counts, missing parts, trailing text: refused. */
static void
test_malformed(void **state)
{
	(void)state;
	expect_bad("", ICP_MALFORMED);
	expect_bad("京ICP备1234567号", ICP_MALFORMED);     /* 7 digits */
	expect_bad("京ICP备123456789号", ICP_MALFORMED);   /* 9 digits */
	expect_bad("京ICP备12345678901号", ICP_MALFORMED); /* 11 */
	expect_bad("京ICP备12345678", ICP_MALFORMED);      /* no 号 */
	expect_bad("京备12345678号", ICP_MALFORMED);        /* no ICP */
	expect_bad("京ICP12345678号", ICP_MALFORMED);      /* no 备/证 */
	expect_bad("京ICP备12345678号-", ICP_MALFORMED);
	expect_bad("京ICP备12345678号-0", ICP_MALFORMED);
	expect_bad("京ICP备12345678号-12345", ICP_MALFORMED);
	expect_bad("京ICP备12345678号x", ICP_MALFORMED);
	expect_bad("京ICP证030173号-1", ICP_MALFORMED);   /* licences: no site */
	expect_bad("京ICP证号", ICP_MALFORMED);
	expect_bad("京B2-20090059", ICP_MALFORMED);
	expect_bad("\xff\xfe", ICP_MALFORMED);           /* not UTF-8 */
	expect_bad("\xe4\xba", ICP_MALFORMED);           /* truncated */
	expect_bad("\xc0\xae", ICP_MALFORMED);           /* overlong */
}

/** A public-security number is refused with a message saying so. */
static void
test_public_security(void **state)
{
	char out[ICP_MAX], err[ICP_ERR_MAX];
	(void)state;
	assert_int_equal(icp_normalise("京公网安备11010802044671号", out, err),
		ICP_PUBLIC_SECURITY);
	assert_non_null(strstr(err, "public-security"));
	assert_non_null(strstr(err, "公网安备"));
	assert_int_equal(icp_normalise(" 京 公网安备 １１０１０８０２０４４６７１号",
		out, err), ICP_PUBLIC_SECURITY);
}

/** UTF-8 decoding and encoding agree and refuse bad forms. */
static void
test_utf8(void **state)
{
	uint32_t cp;
	char buf[4];
	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"\xe4\xba\xac",
		3, &cp), 3);
	assert_int_equal(cp, 0x4EAC);
	assert_int_equal(utf8_encode(0x4EAC, buf), 3);
	assert_memory_equal(buf, "\xe4\xba\xac", 3);
	assert_int_equal(utf8_decode((const unsigned char *)"\xed\xa0\x80",
		3, &cp), 0); /* surrogate */
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80",
		4, &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f", 2,
		&cp), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_forms),
		cmocka_unit_test(test_provinces),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_public_security),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
