/*
 * test_reply_arena.c - unit tests of the reply arena (plugin/sync/
 * reply_arena.h): the replies it builds are the trees hiredis builds.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The same protocol bytes are read by a reader with hiredis's own object
 * functions and by one with the arena's, and the two trees compared field
 * by field. Built against the system's hiredis (0.14 on Debian 12) and,
 * by make check-hiredis, against Debian 13's (1.2), where RESP3 replies
 * are compared too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../plugin/sync/reply_arena.h"

/** RESP2 replies: every kind, nested, empty and nil aggregates. */
static const char resp2[] =
	"+OK\r\n"
	"-ERR wrong type\r\n"
	":-42\r\n"
	"$5\r\nhello\r\n"
	"$0\r\n\r\n"
	"$-1\r\n"
	"*-1\r\n"
	"*0\r\n"
	"*4\r\n$6\r\nfiling\r\n:7\r\n*2\r\n$1\r\na\r\n$-1\r\n*0\r\n"
	"*2\r\n$3\r\nbin\r\n$3\r\na\0b\r\n";

/** How many replies resp2 holds. */
#define RESP2_COUNT 10

#if HIREDIS_MAJOR >= 1
/** RESP3 replies (hiredis 1.x): map, set, double, bool, verbatim string,
 *  big number, push, and a map nested in an array. */
static const char resp3[] =
	"%2\r\n$1\r\nk\r\n:1\r\n+s\r\n,2.5\r\n"
	"~3\r\n#t\r\n#f\r\n_\r\n"
	",3.14159\r\n"
	",inf\r\n"
	"#t\r\n"
	"=15\r\ntxt:Some string\r\n"
	"(3492890328409238509324850943850943825024385\r\n"
	">2\r\n$7\r\nmessage\r\n:9\r\n"
	"*2\r\n%1\r\n$1\r\nx\r\n=7\r\nmkd:abc\r\n:0\r\n";

/** How many replies resp3 holds. */
#define RESP3_COUNT 9
#endif

/** A context whose reader builds replies in the arena (only the reader
 *  of a context is used by the arena). */
struct arena_reader {
	/** the context, not connected */
	redisContext c;
	/** the arena */
	struct reply_arena arena;
	/** the reader's own functions, given back at the end */
	redisReplyObjectFunctions *prev;
};

/** Set up an arena reader. */
static void
arena_reader_init(struct arena_reader *ar)
{
	memset(ar, 0, sizeof(*ar));
	ar->c.reader = redisReaderCreate();
	assert_non_null(ar->c.reader);
	ar->prev = reply_arena_attach(&ar->c, &ar->arena);
	assert_non_null(ar->prev);
}

/** Detach, free the reader and the arena. */
static void
arena_reader_free(struct arena_reader *ar)
{
	reply_arena_detach(&ar->c, ar->prev);
	redisReaderFree(ar->c.reader);
	reply_arena_free(&ar->arena);
}

/** Assert two reply trees are the same, field by field. */
static void
assert_same_reply(const redisReply *want, const redisReply *got)
{
	size_t i;

	assert_non_null(want);
	assert_non_null(got);
	assert_int_equal(got->type, want->type);
	assert_int_equal(got->integer, want->integer);
	assert_int_equal(got->len, want->len);
	if(want->str == NULL) {
		assert_null(got->str);
	} else {
		assert_non_null(got->str);
		assert_memory_equal(got->str, want->str, want->len + 1);
	}
#if HIREDIS_MAJOR >= 1
	assert_memory_equal(&got->dval, &want->dval, sizeof(want->dval));
	assert_memory_equal(got->vtype, want->vtype, sizeof(want->vtype));
#endif
	assert_int_equal(got->elements, want->elements);
	for(i = 0; i < want->elements; i++)
		assert_same_reply(want->element[i], got->element[i]);
}

/**
 * Read count replies from proto with hiredis's own functions and with
 * the arena's, and compare them one by one.
 */
static void
compare_replies(const char *proto, size_t len, int count)
{
	redisReader *plain = redisReaderCreate();
	struct arena_reader ar;
	int i;

	assert_non_null(plain);
	arena_reader_init(&ar);
	assert_int_equal(redisReaderFeed(plain, proto, len), REDIS_OK);
	assert_int_equal(redisReaderFeed(ar.c.reader, proto, len), REDIS_OK);
	for(i = 0; i < count; i++) {
		void *want = NULL, *got = NULL;
		assert_int_equal(redisReaderGetReply(plain, &want), REDIS_OK);
		assert_int_equal(redisReaderGetReply(ar.c.reader, &got),
			REDIS_OK);
		assert_same_reply(want, got);
		freeReplyObject(want);
	}
	/* nothing left over in either */
	{
		void *rest = NULL;
		assert_int_equal(redisReaderGetReply(plain, &rest), REDIS_OK);
		assert_null(rest);
		assert_int_equal(redisReaderGetReply(ar.c.reader, &rest),
			REDIS_OK);
		assert_null(rest);
	}
	redisReaderFree(plain);
	arena_reader_free(&ar);
}

/** RESP2 replies come out as hiredis builds them. */
static void
test_resp2(void **state)
{
	(void)state;
	compare_replies(resp2, sizeof(resp2) - 1, RESP2_COUNT);
}

/** RESP3 replies too (hiredis 1.x only: 0.x cannot read them). */
static void
test_resp3(void **state)
{
	(void)state;
#if HIREDIS_MAJOR >= 1
	compare_replies(resp3, sizeof(resp3) - 1, RESP3_COUNT);
#else
	skip();
#endif
}

/** Replies fed a byte at a time are the same (tasks span reads). */
static void
test_byte_by_byte(void **state)
{
	redisReader *plain = redisReaderCreate();
	struct arena_reader ar;
	size_t i;
	int n = 0;

	(void)state;
	assert_non_null(plain);
	arena_reader_init(&ar);
	assert_int_equal(redisReaderFeed(plain, resp2, sizeof(resp2) - 1),
		REDIS_OK);
	for(i = 0; i < sizeof(resp2) - 1; i++) {
		void *got = NULL;
		assert_int_equal(redisReaderFeed(ar.c.reader, resp2 + i, 1),
			REDIS_OK);
		assert_int_equal(redisReaderGetReply(ar.c.reader, &got),
			REDIS_OK);
		if(got != NULL) {
			void *want = NULL;
			assert_int_equal(redisReaderGetReply(plain, &want),
				REDIS_OK);
			assert_same_reply(want, got);
			freeReplyObject(want);
			n++;
		}
	}
	assert_int_equal(n, RESP2_COUNT);
	redisReaderFree(plain);
	arena_reader_free(&ar);
}

/** After a reset the arena's memory is reused, and new replies are
 *  whole; after detach the reader builds its own replies again. */
static void
test_reset_and_detach(void **state)
{
	struct arena_reader ar;
	void *r = NULL;
	int round;

	(void)state;
	arena_reader_init(&ar);
	for(round = 0; round < 3; round++) {
		int i;
		for(i = 0; i < 1000; i++) {
			static const char two[] = "*2\r\n$4\r\nname\r\n:1\r\n";
			assert_int_equal(redisReaderFeed(ar.c.reader, two,
				sizeof(two) - 1), REDIS_OK);
			assert_int_equal(redisReaderGetReply(ar.c.reader, &r),
				REDIS_OK);
			assert_non_null(r);
			assert_int_equal(((redisReply *)r)->elements, 2);
			assert_string_equal(
				((redisReply *)r)->element[0]->str, "name");
		}
		reply_arena_reset(&ar.arena);
		assert_null(ar.arena.used);
		assert_non_null(ar.arena.spare);
	}
	reply_arena_detach(&ar.c, ar.prev);
	assert_int_equal(redisReaderFeed(ar.c.reader, "$2\r\nok\r\n", 8),
		REDIS_OK);
	assert_int_equal(redisReaderGetReply(ar.c.reader, &r), REDIS_OK);
	assert_non_null(r);
	assert_string_equal(((redisReply *)r)->str, "ok");
	freeReplyObject(r); /* hiredis's own again: freeing it is right */
	/* arena_reader_free detaches again: harmless */
	arena_reader_free(&ar);
}

/** A protocol error: the reader fails the reply and the arena is left
 *  usable (freeObject must not free arena memory). */
static void
test_protocol_error(void **state)
{
	struct arena_reader ar;
	void *r = NULL;

	(void)state;
	arena_reader_init(&ar);
	assert_int_equal(redisReaderFeed(ar.c.reader, "*2\r\n:1\r\n@x\r\n", 12),
		REDIS_OK);
	assert_int_equal(redisReaderGetReply(ar.c.reader, &r), REDIS_ERR);
	assert_null(r);
	reply_arena_reset(&ar.arena);
	arena_reader_free(&ar);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resp2),
		cmocka_unit_test(test_resp3),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_reset_and_detach),
		cmocka_unit_test(test_protocol_error),
	};

	printf("# hiredis %d.%d.%d\n", HIREDIS_MAJOR, HIREDIS_MINOR,
		HIREDIS_PATCH);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
