/*
 * test_name_table.c - unit tests of the name hash table.
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
#include <time.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/name_table.h"

/** Build the canonical name "n<i>.example.com." into wire. */
static size_t
make_name(size_t i, uint8_t *wire)
{
	char text[64];
	size_t len;

	snprintf(text, sizeof(text), "n%zu.example.com", i);
	assert_int_equal(dname_from_text(text, wire, &len), 0);
	return len;
}

/** Values in these tests are small integers stored in the pointer. */
static void *
int_value(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

/** Counts free_value calls. */
static int freed_count;

/** free_value that counts instead of freeing. */
static void
count_free(void *value)
{
	(void)value;
	freed_count++;
}

/** Insert, look up, replace, remove, touch. */
static void
test_basic(void **state)
{
	struct name_table t;
	uint8_t a[DNAME_MAX_WIRE], b[DNAME_MAX_WIRE];
	size_t alen = make_name(1, a), blen = make_name(2, b);
	void *old = (void *)1;

	(void)state;
	assert_int_equal(name_table_init(&t, 0, NULL), 0);
	assert_null(name_table_lookup(&t, a, alen));
	assert_int_equal(name_table_put(&t, a, alen, int_value(1), 7, &old), 0);
	assert_null(old);
	assert_ptr_equal(name_table_lookup(&t, a, alen), int_value(1));
	assert_null(name_table_lookup(&t, b, blen));
	/* prefix of the key must not match */
	assert_null(name_table_lookup(&t, a, alen - 1));
	assert_int_equal(name_table_put(&t, a, alen, int_value(5), 8, &old), 0);
	assert_ptr_equal(old, int_value(1));
	assert_int_equal(t.count, 1);
	assert_ptr_equal(name_table_lookup(&t, a, alen), int_value(5));
	assert_int_equal(name_table_touch(&t, a, alen, 9), 1);
	assert_int_equal(name_table_touch(&t, b, blen, 9), 0);
	assert_int_equal(name_table_remove(&t, b, blen, &old), 0);
	assert_null(old);
	assert_int_equal(name_table_remove(&t, a, alen, &old), 1);
	assert_ptr_equal(old, int_value(5));
	assert_int_equal(t.count, 0);
	assert_int_equal(t.tombstones, 1);
	assert_null(name_table_lookup(&t, a, alen));
	/* re-insert reuses the tombstone */
	assert_int_equal(name_table_put(&t, a, alen, int_value(3), 1, &old), 0);
	assert_int_equal(t.tombstones, 0);
	assert_ptr_equal(name_table_lookup(&t, a, alen), int_value(3));
	name_table_clear(&t);
	assert_null(name_table_lookup(&t, a, alen));
	name_table_clear(&t); /* twice is harmless */
}

/** Keys are copied: the caller's buffer may change afterwards. */
static void
test_key_copied(void **state)
{
	struct name_table t;
	uint8_t a[DNAME_MAX_WIRE], probe[DNAME_MAX_WIRE];
	size_t alen = make_name(42, a);

	(void)state;
	assert_int_equal(name_table_init(&t, 4, NULL), 0);
	assert_int_equal(name_table_put(&t, a, alen, int_value(0), 0, NULL), 0);
	memcpy(probe, a, alen);
	memset(a, 'z', alen);
	assert_ptr_equal(name_table_lookup(&t, probe, alen), int_value(0));
	name_table_clear(&t);
}

/**
 * Grow the writer's way (needs_grow, prepare, commit) to 100k entries;
 * every entry stays findable, the load factor stays at most one half.
 */
static void
test_growth_100k(void **state)
{
	struct name_table t;
	uint8_t w[DNAME_MAX_WIRE];
	size_t i, len, n = 100000;

	(void)state;
	assert_int_equal(name_table_init(&t, 0, NULL), 0);
	for(i = 0; i < n; i++) {
		len = make_name(i, w);
		if(name_table_needs_grow(&t)) {
			size_t before = t.mask;
			assert_int_equal(name_table_grow_prepare(&t), 0);
			/* readers still see the old array until commit */
			assert_int_equal(t.mask, before);
			if(i > 0) {
				uint8_t w0[DNAME_MAX_WIRE];
				size_t l0 = make_name(0, w0);
				assert_ptr_equal(name_table_lookup(&t, w0, l0),
					int_value(0));
			}
			name_table_grow_commit(&t);
			assert_null(t.next_slots);
		}
		assert_int_equal(name_table_put(&t, w, len, int_value(i), 0,
			NULL), 0);
		assert_true((t.count + t.tombstones) * 2 <= t.mask + 1);
	}
	assert_int_equal(t.count, n);
	for(i = 0; i < n; i++) {
		len = make_name(i, w);
		assert_ptr_equal(name_table_lookup(&t, w, len), int_value(i));
	}
	len = make_name(n, w);
	assert_null(name_table_lookup(&t, w, len));
	name_table_clear(&t);
}

/**
 * Tombstones: removing and re-inserting many keys keeps the table bounded
 * (a rebuild drops them) and every live key findable through them.
 */
static void
test_tombstones(void **state)
{
	struct name_table t;
	uint8_t w[DNAME_MAX_WIRE];
	size_t i, len, round, n = 1000;
	void *old;

	(void)state;
	assert_int_equal(name_table_init(&t, n, NULL), 0);
	for(i = 0; i < n; i++) {
		len = make_name(i, w);
		assert_int_equal(name_table_put(&t, w, len, int_value(i), 0,
			NULL), 0);
	}
	/* Remove the even ones: odd ones must still be found even where a
	 * probe chain runs through a tombstone. */
	for(i = 0; i < n; i += 2) {
		len = make_name(i, w);
		assert_int_equal(name_table_remove(&t, w, len, &old), 1);
	}
	assert_int_equal(t.count, n / 2);
	assert_int_equal(t.tombstones, n / 2);
	for(i = 0; i < n; i++) {
		len = make_name(i, w);
		if(i % 2)
			assert_ptr_equal(name_table_lookup(&t, w, len),
				int_value(i));
		else
			assert_null(name_table_lookup(&t, w, len));
	}
	/* Churn through fresh keys: the capacity must not run away. */
	for(round = 0; round < 50; round++) {
		for(i = 0; i < 400; i++) {
			size_t k = 1000000 + round * 400 + i;
			len = make_name(k, w);
			if(name_table_needs_grow(&t)) {
				assert_int_equal(name_table_grow_prepare(&t), 0);
				name_table_grow_commit(&t);
				assert_int_equal(t.tombstones, 0);
			}
			assert_int_equal(name_table_put(&t, w, len,
				int_value(k), 0, NULL), 0);
		}
		for(i = 0; i < 400; i++) {
			size_t k = 1000000 + round * 400 + i;
			len = make_name(k, w);
			assert_int_equal(name_table_remove(&t, w, len, NULL), 1);
		}
		assert_true((t.count + t.tombstones) * 2 <= t.mask + 1);
	}
	assert_true(t.mask + 1 <= 4096);
	for(i = 1; i < n; i += 2) {
		len = make_name(i, w);
		assert_ptr_equal(name_table_lookup(&t, w, len), int_value(i));
	}
	name_table_clear(&t);
}

/** Context of the foreach test. */
struct foreach_ctx {
	/** live entries seen */
	size_t count;
	/** sum of the values seen */
	size_t sum;
};

/** foreach callback: count and sum. */
static void
sum_values(const struct name_slot *slot, void *arg)
{
	struct foreach_ctx *c = arg;

	assert_non_null(slot->key);
	c->count++;
	c->sum += (size_t)(uintptr_t)slot->value;
}

/** foreach visits live entries only, once each. */
static void
test_foreach(void **state)
{
	struct name_table t;
	struct foreach_ctx c = { 0, 0 };
	uint8_t w[DNAME_MAX_WIRE];
	size_t i, len;

	(void)state;
	assert_int_equal(name_table_init(&t, 0, NULL), 0);
	for(i = 0; i < 100; i++) {
		len = make_name(i, w);
		assert_int_equal(name_table_put(&t, w, len, int_value(i), 0,
			NULL), 0);
	}
	for(i = 0; i < 100; i += 10) {
		len = make_name(i, w);
		assert_int_equal(name_table_remove(&t, w, len, NULL), 1);
	}
	name_table_foreach(&t, sum_values, &c);
	assert_int_equal(c.count, 90);
	/* sum of i+1 for i in 0..99 minus those of i = 0,10,..,90 */
	assert_int_equal(c.sum, 5050 - 460);
	name_table_clear(&t);
}

/** free_value runs on clear and on put/remove without old_value. */
static void
test_free_value(void **state)
{
	struct name_table t;
	uint8_t w[DNAME_MAX_WIRE];
	size_t i, len;

	(void)state;
	freed_count = 0;
	assert_int_equal(name_table_init(&t, 0, count_free), 0);
	for(i = 0; i < 10; i++) {
		len = make_name(i, w);
		assert_int_equal(name_table_put(&t, w, len, int_value(i), 0,
			NULL), 0);
	}
	len = make_name(3, w);
	assert_int_equal(name_table_put(&t, w, len, int_value(33), 0, NULL), 0);
	assert_int_equal(freed_count, 1);
	assert_int_equal(name_table_remove(&t, w, len, NULL), 1);
	assert_int_equal(freed_count, 2);
	name_table_clear(&t);
	assert_int_equal(freed_count, 11);
}

/** A million entries: insert and look up in reasonable time. */
static void
test_million(void **state)
{
	struct name_table t;
	uint8_t w[DNAME_MAX_WIRE];
	size_t i, len, n = 1000000;
	clock_t start = clock();
	double secs;

	(void)state;
	assert_int_equal(name_table_init(&t, 0, NULL), 0);
	for(i = 0; i < n; i++) {
		len = make_name(i, w);
		if(name_table_needs_grow(&t)) {
			assert_int_equal(name_table_grow_prepare(&t), 0);
			name_table_grow_commit(&t);
		}
		assert_int_equal(name_table_put(&t, w, len, int_value(i), 0,
			NULL), 0);
	}
	for(i = 0; i < n; i++) {
		len = make_name(i, w);
		if(name_table_lookup(&t, w, len) != int_value(i))
			fail_msg("entry %zu lost", i);
	}
	secs = (double)(clock() - start) / CLOCKS_PER_SEC;
	/* Generous: sanitizers slow this down several times. */
	if(secs > 60.0)
		fail_msg("1M inserts+lookups took %.1f s", secs);
	name_table_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_key_copied),
		cmocka_unit_test(test_growth_100k),
		cmocka_unit_test(test_tombstones),
		cmocka_unit_test(test_foreach),
		cmocka_unit_test(test_free_value),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
