/*
 * test_ecs.c - unit tests of the EDNS Client Subnet option.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cnroute/ecs.h"

/** IPv4 /24 and IPv6 /56 parse; the address is zero-filled. */
static void
test_parse_good(void **state)
{
	struct ecs_option e;
	const uint8_t v4[] = { 0, 1, 24, 0, 192, 0, 2 };
	const uint8_t v6[] = { 0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3 };
	const uint8_t v4_0[] = { 0, 1, 0, 0 };
	const uint8_t v4_32[] = { 0, 1, 32, 0, 1, 2, 3, 4 };
	const uint8_t v4_17[] = { 0, 1, 17, 0, 10, 1, 0x80 };
	const uint8_t v6_128[] = { 0, 2, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		10, 11, 12, 13, 14, 15, 16 };

	(void)state;
	memset(&e, 0xaa, sizeof(e));
	assert_int_equal(ecs_parse(v4, sizeof(v4), &e), 0);
	assert_int_equal(e.family, 1);
	assert_int_equal(e.source_prefix, 24);
	assert_int_equal(e.scope_prefix, 0);
	assert_memory_equal(e.addr, "\xc0\x00\x02\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00", 16);
	assert_int_equal(ecs_parse(v6, sizeof(v6), &e), 0);
	assert_int_equal(e.family, 2);
	assert_int_equal(e.source_prefix, 56);
	assert_memory_equal(e.addr, "\x20\x01\x0d\xb8\x01\x02\x03\x00", 8);
	assert_int_equal(ecs_parse(v4_0, sizeof(v4_0), &e), 0);
	assert_int_equal(e.source_prefix, 0);
	assert_int_equal(ecs_parse(v4_32, sizeof(v4_32), &e), 0);
	assert_int_equal(ecs_parse(v4_17, sizeof(v4_17), &e), 0);
	assert_int_equal(ecs_parse(v6_128, sizeof(v6_128), &e), 0);
	assert_int_equal(e.addr[15], 16);
}

/** Every malformed variant of RFC 7871 section 7.1.1 is refused. */
static void
test_parse_malformed(void **state)
{
	struct ecs_option e;
	/* unknown family */
	const uint8_t fam0[] = { 0, 0, 0, 0 };
	const uint8_t fam3[] = { 0, 3, 8, 0, 1 };
	const uint8_t fam_hi[] = { 1, 1, 8, 0, 1 };
	/* source longer than the address */
	const uint8_t v4_33[] = { 0, 1, 33, 0, 1, 2, 3, 4, 5 };
	const uint8_t v6_129[] = { 0, 2, 129, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
		10, 11, 12, 13, 14, 15, 16, 17 };
	/* scope must be 0 in a query */
	const uint8_t scope[] = { 0, 1, 24, 24, 192, 0, 2 };
	/* address too long / too short for the prefix */
	const uint8_t long_addr[] = { 0, 1, 24, 0, 192, 0, 2, 0 };
	const uint8_t short_addr[] = { 0, 1, 24, 0, 192, 0 };
	const uint8_t zero_with_addr[] = { 0, 1, 0, 0, 0 };
	/* bits set past the prefix */
	const uint8_t stray[] = { 0, 1, 17, 0, 10, 1, 0x40 };
	const uint8_t stray6[] = { 0, 2, 1, 0, 0x81 };

	(void)state;
	assert_int_equal(ecs_parse(fam0, sizeof(fam0), &e), -1);
	assert_int_equal(ecs_parse(fam3, sizeof(fam3), &e), -1);
	assert_int_equal(ecs_parse(fam_hi, sizeof(fam_hi), &e), -1);
	assert_int_equal(ecs_parse(v4_33, sizeof(v4_33), &e), -1);
	assert_int_equal(ecs_parse(v6_129, sizeof(v6_129), &e), -1);
	assert_int_equal(ecs_parse(scope, sizeof(scope), &e), -1);
	assert_int_equal(ecs_parse(long_addr, sizeof(long_addr), &e), -1);
	assert_int_equal(ecs_parse(short_addr, sizeof(short_addr), &e), -1);
	assert_int_equal(ecs_parse(zero_with_addr, sizeof(zero_with_addr),
		&e), -1);
	assert_int_equal(ecs_parse(stray, sizeof(stray), &e), -1);
	assert_int_equal(ecs_parse(stray6, sizeof(stray6), &e), -1);
	/* truncated header */
	assert_int_equal(ecs_parse(fam3, 3, &e), -1);
	assert_int_equal(ecs_parse(fam3, 0, &e), -1);
	assert_int_equal(ecs_parse(NULL, 0, &e), -1);
}

/** The reply echoes family, source and address with our scope. */
static void
test_write(void **state)
{
	struct ecs_option e;
	const uint8_t v4[] = { 0, 1, 24, 0, 192, 0, 2 };
	const uint8_t v6[] = { 0, 2, 56, 0, 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3 };
	const uint8_t v4_0[] = { 0, 1, 0, 0 };
	uint8_t out[ECS_MAX_DATA];
	size_t n;

	(void)state;
	assert_int_equal(ecs_parse(v4, sizeof(v4), &e), 0);
	n = ecs_write(&e, 16, out);
	assert_int_equal(n, 7);
	assert_memory_equal(out, "\x00\x01\x18\x10\xc0\x00\x02", 7);
	n = ecs_write(&e, 0, out);
	assert_int_equal(out[3], 0);
	/* scope beyond the address length is capped */
	n = ecs_write(&e, 200, out);
	assert_int_equal(out[3], 32);
	assert_int_equal(ecs_parse(v6, sizeof(v6), &e), 0);
	n = ecs_write(&e, 48, out);
	assert_int_equal(n, 11);
	assert_memory_equal(out, "\x00\x02\x38\x30\x20\x01\x0d\xb8\x01\x02"
		"\x03", 11);
	assert_int_equal(ecs_parse(v4_0, sizeof(v4_0), &e), 0);
	n = ecs_write(&e, 0, out);
	assert_int_equal(n, 4);
	/* a hand-made option with bits past the prefix is masked and a
	 * bogus prefix length capped: never past ECS_MAX_DATA */
	memset(&e, 0xff, sizeof(e));
	e.family = 1;
	e.source_prefix = 20;
	n = ecs_write(&e, 0, out);
	assert_int_equal(n, 7);
	assert_int_equal(out[6], 0xf0);
	e.family = 9;
	e.source_prefix = 255;
	n = ecs_write(&e, 0, out);
	assert_true(n <= ECS_MAX_DATA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
