/*
 * test_cli_sync.c - the feed sync's safety (revocation limit, re-check of
 * each change against the filing the plan was computed from) and the
 * binary-safe field lists and text display it relies on.
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
#include <cmocka.h>
#include "cli.h"
#include "json_out.h"
#include "sync_feed.h"

/** The default limit: 10% of the active filings, at least 5. */
static void
test_revoke_limit_default(void **state)
{
	size_t limit;
	(void)state;
	assert_int_equal(sync_revoke_limit(NULL, 0, &limit), 0);
	assert_int_equal(limit, 5);
	assert_int_equal(sync_revoke_limit(NULL, 50, &limit), 0);
	assert_int_equal(limit, 5);
	assert_int_equal(sync_revoke_limit(NULL, 1000, &limit), 0);
	assert_int_equal(limit, 100);
}

/** --max-revoke N and N%; anything else refused. */
static void
test_revoke_limit_spec(void **state)
{
	size_t limit;
	(void)state;
	assert_int_equal(sync_revoke_limit("45", 50, &limit), 0);
	assert_int_equal(limit, 45);
	assert_int_equal(sync_revoke_limit("0", 50, &limit), 0);
	assert_int_equal(limit, 0);
	assert_int_equal(sync_revoke_limit("90%", 50, &limit), 0);
	assert_int_equal(limit, 45);
	assert_int_equal(sync_revoke_limit("100%", 7, &limit), 0);
	assert_int_equal(limit, 7);
	assert_int_equal(sync_revoke_limit("101%", 7, &limit), -1);
	assert_int_equal(sync_revoke_limit("-1", 7, &limit), -1);
	assert_int_equal(sync_revoke_limit("", 7, &limit), -1);
	assert_int_equal(sync_revoke_limit("5x", 7, &limit), -1);
	assert_int_equal(sync_revoke_limit("5%%", 7, &limit), -1);
}

/** A truncated feed (5 of 50) plans 45 revocations: over the default. */
static void
test_truncated_feed_plan(void **state)
{
	struct current_filing cur[50];
	struct feed_entry feed[5];
	struct sync_plan plan;
	size_t i, limit;
	(void)state;
	memset(cur, 0, sizeof(cur));
	memset(feed, 0, sizeof(feed));
	for(i = 0; i < 50; i++) {
		cur[i].domain = xasprintf("d%zu.example.net", i);
		kvlist_set(&cur[i].hash, "status", "active");
		kvlist_set(&cur[i].hash, "icp", "1");
		kvlist_set(&cur[i].hash, "entity", "E");
	}
	for(i = 0; i < 5; i++) {
		feed[i].domain = cur[i].domain;
		kvlist_copy(&feed[i].fields, &cur[i].hash);
	}
	sync_plan_compute(feed, 5, cur, 50, &plan);
	assert_int_equal(sync_plan_count(&plan, PLAN_REVOKE), 45);
	sync_revoke_limit(NULL, 50, &limit);
	assert_true(sync_plan_count(&plan, PLAN_REVOKE) > limit);
	/* each item remembers the filing it was computed from */
	for(i = 0; i < plan.count; i++) {
		assert_true(plan.items[i].seen_exists);
		assert_int_equal(plan.items[i].state, PLAN_PENDING);
		assert_true(sync_item_still_current(&plan.items[i],
			&cur[0].hash, 1));
	}
	sync_plan_free(&plan);
	for(i = 0; i < 5; i++)
		kvlist_free(&feed[i].fields);
	for(i = 0; i < 50; i++) {
		free(cur[i].domain);
		kvlist_free(&cur[i].hash);
	}
}

/** A feed turning active filings "pending" takes them out of service as
 *  a revocation does: the limit counts both, not other updates. */
static void
test_deactivations(void **state)
{
	struct current_filing cur[3];
	struct feed_entry feed[3];
	struct sync_plan plan;
	size_t i;
	(void)state;
	memset(cur, 0, sizeof(cur));
	memset(feed, 0, sizeof(feed));
	for(i = 0; i < 3; i++) {
		cur[i].domain = xasprintf("p%zu.example.net", i);
		kvlist_set(&cur[i].hash, "status", "active");
		kvlist_set(&cur[i].hash, "icp", "1");
		kvlist_set(&cur[i].hash, "entity", "E");
		feed[i].domain = cur[i].domain;
		kvlist_copy(&feed[i].fields, &cur[i].hash);
	}
	kvlist_set(&feed[0].fields, "status", "pending");
	kvlist_set(&feed[1].fields, "status", "revoked");
	kvlist_set(&feed[2].fields, "entity", "New name");
	sync_plan_compute(feed, 3, cur, 3, &plan);
	assert_int_equal(plan.count, 3);
	assert_int_equal(sync_plan_count(&plan, PLAN_REVOKE), 1);
	assert_int_equal(sync_plan_deactivations(&plan), 2);
	sync_plan_free(&plan);
	for(i = 0; i < 3; i++) {
		kvlist_free(&feed[i].fields);
		free(cur[i].domain);
		kvlist_free(&cur[i].hash);
	}
}

/** A status read with its length: "active" followed by a NUL is not an
 *  active filing (the module reads it as invalid), so it is not counted
 *  nor revoked as one. */
static void
test_status_binary(void **state)
{
	struct current_filing cur = { NULL, { 0 } };
	struct sync_plan plan;
	(void)state;
	cur.domain = xstrdup("nul.example.net");
	kvlist_set_len(&cur.hash, "status", "active\0x", 8);
	sync_plan_compute(NULL, 0, &cur, 1, &plan);
	assert_int_equal(plan.count, 0);
	sync_plan_free(&plan);
	kvlist_set(&cur.hash, "status", "active");
	sync_plan_compute(NULL, 0, &cur, 1, &plan);
	assert_int_equal(sync_plan_count(&plan, PLAN_REVOKE), 1);
	sync_plan_free(&plan);
	free(cur.domain);
	kvlist_free(&cur.hash);
}

/** The re-check: a filing changed, created or deleted since the plan is
 *  not current any more. */
static void
test_item_recheck(void **state)
{
	struct plan_item it;
	struct kvlist now = { 0 };
	(void)state;
	memset(&it, 0, sizeof(it));
	kvlist_set(&it.seen, "status", "active");
	kvlist_set(&it.seen, "updated", "100");
	it.seen_exists = 1;
	kvlist_copy(&now, &it.seen);
	assert_true(sync_item_still_current(&it, &now, 1));
	kvlist_set(&now, "updated", "101");
	assert_false(sync_item_still_current(&it, &now, 1));
	kvlist_copy(&now, &it.seen);
	kvlist_set(&now, "status", "revoked");
	assert_false(sync_item_still_current(&it, &now, 1));
	assert_false(sync_item_still_current(&it, &now, 0));
	/* an add: the domain had no filing when planned */
	kvlist_free(&it.seen);
	it.seen_exists = 0;
	assert_true(sync_item_still_current(&it, &it.seen, 0));
	assert_false(sync_item_still_current(&it, &now, 1));
	kvlist_free(&now);
}

/** Field values are binary: a NUL inside is kept, compared and copied
 *  with the value's length. */
static void
test_kvlist_binary(void **state)
{
	struct kvlist a = { 0 }, b = { 0 };
	size_t len = 0;
	const char *v;
	(void)state;
	kvlist_set_len(&a, "note", "a\0b", 3);
	kvlist_copy(&b, &a);
	v = kvlist_get_len(&b, "note", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(v, "a\0b", 3);
	assert_true(kvlist_equal(&a, &b));
	kvlist_set_len(&b, "note", "a\0c", 3);
	assert_false(kvlist_equal(&a, &b));
	kvlist_set(&b, "note", "a");
	assert_false(kvlist_equal(&a, &b));
	kvlist_free(&a);
	kvlist_free(&b);
}

/** Display: printable text and UTF-8 as is, anything else escaped, the
 *  whole value (nothing cut after a NUL). */
static void
test_text_escape(void **state)
{
	static const char raw[] = "a\0b\x1b[2J\xff 京\\";
	char *s;
	(void)state;
	s = text_escape(raw, sizeof(raw) - 1);
	assert_string_equal(s, "a\\x00b\\x1b[2J\\xff 京\\\\");
	free(s);
	s = text_escape("", 0);
	assert_string_equal(s, "");
	free(s);
}

/** JSON output: a hash with NULs and invalid UTF-8 encodes to valid
 *  JSON holding every byte (escaped where JSON cannot carry it); stored
 *  JSON text that does not parse is a string, never pasted. */
static void
test_json_values(void **state)
{
	static const char hostile[] = "{\"a\":1},\"injected\":true,\"z\":{";
	static const char stored[] = "{\"status\":\"active\"}";
	struct kvlist h = { 0 };
	json_t *v, *back;
	char *text;
	(void)state;
	kvlist_set_len(&h, "note", "a\0b", 3);
	kvlist_set(&h, "bad", "x\xffy");
	v = kvlist_to_json(&h);
	text = json_encode(v);
	assert_string_equal(text, "{\"bad\":\"x\\\\xffy\",\"note\":\"a\\u0000b\"}");
	back = json_loads(text, JSON_ALLOW_NUL, NULL);
	assert_non_null(back);
	json_decref(back);
	free(text);
	json_decref(v);
	kvlist_free(&h);
	v = json_from_stored(hostile, strlen(hostile));
	assert_true(json_is_string(v));
	json_decref(v);
	v = json_from_stored(stored, strlen(stored));
	assert_true(json_is_object(v));
	json_decref(v);
	v = json_from_stored("", 0);
	assert_true(json_is_null(v));
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke_limit_default),
		cmocka_unit_test(test_revoke_limit_spec),
		cmocka_unit_test(test_truncated_feed_plan),
		cmocka_unit_test(test_deactivations),
		cmocka_unit_test(test_status_binary),
		cmocka_unit_test(test_item_recheck),
		cmocka_unit_test(test_kvlist_binary),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_json_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
