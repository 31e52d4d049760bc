/*
 * reply_arena.c - hiredis reply objects carved from an arena.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The object functions below build the same redisReply trees as hiredis's
 * defaults (a string's bytes are copied and NUL terminated, an array's
 * children are stored into its element array by index), only from arena
 * blocks. The reader passes each task the reader's privdata, which is
 * where the current arena is found.
 *
 * hiredis 1.x changed the object functions: createArray takes a size_t,
 * createDouble and createBool were added (RESP3), and createArray and
 * createString also build the RESP3 aggregates (map, set, push) and
 * strings (verbatim, big number). The table is filled by field name, and
 * what only 1.x has is compiled for HIREDIS_MAJOR >= 1 only, so the same
 * file builds against 0.14 (Debian 12) and 1.2 (Debian 13).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "reply_arena.h"

#if HIREDIS_MAJOR >= 1
/** hiredis 1.x: the RESP3 object functions and types exist. */
#define ARENA_RESP3 1
/** The type of createArray's element count. */
typedef size_t arena_elements_t;
#else
/** hiredis 0.x: RESP2 only. */
#define ARENA_RESP3 0
/** The type of createArray's element count. */
typedef int arena_elements_t;
#endif

/** Usual block size: a batch of 1000 HGETALL replies fills a few. */
#define ARENA_BLOCK_SIZE (256 * 1024)

/** A block: header, then the memory handed out. */
struct reply_arena_block {
	/** next block in its list */
	struct reply_arena_block *next;
	/** bytes of memory after the header */
	size_t size;
	/** bytes handed out */
	size_t used;
	/** the memory (max_align_t aligned) */
	_Alignas(max_align_t) unsigned char data[];
};

/**
 * Allocate size bytes, aligned for any reply field.
 * @return the memory or NULL when out of memory.
 */
static void *
arena_alloc(struct reply_arena *a, size_t size)
{
	struct reply_arena_block *b;
	size_t need = (size + 15) & ~(size_t)15;

	if(a == NULL)
		return NULL; /* a reader without an arena: fail, not crash */
	b = a->used;
	if(b == NULL || b->size - b->used < need) {
		if(a->spare != NULL && a->spare->size >= need) {
			b = a->spare;
			a->spare = b->next;
		} else {
			size_t bsize = need > ARENA_BLOCK_SIZE ? need :
				ARENA_BLOCK_SIZE;
			b = malloc(sizeof(*b) + bsize);
			if(b == NULL)
				return NULL;
			b->size = bsize;
		}
		b->used = 0;
		b->next = a->used;
		a->used = b;
	}
	b->used += need;
	return b->data + b->used - need;
}

/** A zeroed reply of a type, from the task's arena. */
static redisReply *
arena_reply(const redisReadTask *task, int type)
{
	redisReply *r = arena_alloc(task->privdata, sizeof(*r));

	if(r == NULL)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->type = type;
	return r;
}

/** Store a reply into its parent array, as hiredis does. */
static void
arena_link(const redisReadTask *task, redisReply *r)
{
	if(task->parent != NULL) {
		redisReply *parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
}

/** createString: status, error and bulk strings (and with RESP3
 *  verbatim strings, whose "txt:" prefix goes to vtype, and big
 *  numbers). */
static void *
arena_create_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply *r = arena_reply(task, task->type);
	char *copy;

	if(r == NULL)
		return NULL;
#if ARENA_RESP3
	if(task->type == REDIS_REPLY_VERB) {
		if(len < 4)
			return NULL; /* the reader checks this; never trust it */
		memcpy(r->vtype, str, 3);
		r->vtype[3] = '\0';
		str += 4;
		len -= 4;
	}
#endif
	copy = arena_alloc(task->privdata, len + 1);
	if(copy == NULL)
		return NULL;
	memcpy(copy, str, len);
	copy[len] = '\0';
	r->str = copy;
	r->len = len;
	arena_link(task, r);
	return r;
}

/** createArray: arrays (and with RESP3 maps, sets and pushes, of the
 *  task's type; a map's count is already that of keys plus values). */
static void *
arena_create_array(const redisReadTask *task, arena_elements_t elements)
{
	redisReply *r = arena_reply(task, task->type);

	if(r == NULL)
		return NULL;
	if(elements > 0) {
		r->element = arena_alloc(task->privdata,
			(size_t)elements * sizeof(redisReply *));
		if(r->element == NULL)
			return NULL;
		memset(r->element, 0, (size_t)elements * sizeof(redisReply *));
	}
	r->elements = (size_t)(elements > 0 ? elements : 0);
	arena_link(task, r);
	return r;
}

/** createInteger. */
static void *
arena_create_integer(const redisReadTask *task, long long value)
{
	redisReply *r = arena_reply(task, REDIS_REPLY_INTEGER);

	if(r == NULL)
		return NULL;
	r->integer = value;
	arena_link(task, r);
	return r;
}

#if ARENA_RESP3
/** createDouble (RESP3): the value, and its text as received. */
static void *
arena_create_double(const redisReadTask *task, double value, char *str,
	size_t len)
{
	redisReply *r = arena_reply(task, REDIS_REPLY_DOUBLE);
	char *copy;

	if(r == NULL)
		return NULL;
	copy = arena_alloc(task->privdata, len + 1);
	if(copy == NULL)
		return NULL;
	memcpy(copy, str, len);
	copy[len] = '\0';
	r->dval = value;
	r->str = copy;
	r->len = len;
	arena_link(task, r);
	return r;
}

/** createBool (RESP3): 1 or 0 in integer. */
static void *
arena_create_bool(const redisReadTask *task, int value)
{
	redisReply *r = arena_reply(task, REDIS_REPLY_BOOL);

	if(r == NULL)
		return NULL;
	r->integer = value != 0;
	arena_link(task, r);
	return r;
}
#endif /* ARENA_RESP3 */

/** createNil. */
static void *
arena_create_nil(const redisReadTask *task)
{
	redisReply *r = arena_reply(task, REDIS_REPLY_NIL);

	if(r == NULL)
		return NULL;
	arena_link(task, r);
	return r;
}

/** freeObject: arena memory goes back with reply_arena_reset only. */
static void
arena_free_object(void *reply)
{
	(void)reply;
}

/** The object functions of every arena reader. */
static redisReplyObjectFunctions arena_functions = {
	.createString = arena_create_string,
	.createArray = arena_create_array,
	.createInteger = arena_create_integer,
#if ARENA_RESP3
	.createDouble = arena_create_double,
	.createBool = arena_create_bool,
#endif
	.createNil = arena_create_nil,
	.freeObject = arena_free_object
};

redisReplyObjectFunctions *
reply_arena_attach(redisContext *c, struct reply_arena *arena)
{
	redisReplyObjectFunctions *prev = c->reader->fn;

	c->reader->fn = &arena_functions;
	reply_arena_use(c, arena);
	return prev;
}

void
reply_arena_use(redisContext *c, struct reply_arena *arena)
{
	/* not redisReaderSetPrivdata: in hiredis 1.x that macro casts the
	 * pointer to int, which -Werror rejects outside system headers */
	c->reader->privdata = arena;
}

void
reply_arena_detach(redisContext *c, redisReplyObjectFunctions *prev)
{
	c->reader->fn = prev;
	c->reader->privdata = NULL;
}

void
reply_arena_reset(struct reply_arena *a)
{
	while(a->used != NULL) {
		struct reply_arena_block *b = a->used;
		a->used = b->next;
		b->next = a->spare;
		a->spare = b;
	}
}

/** Free a list of blocks. */
static void
blocks_free(struct reply_arena_block *b)
{
	while(b != NULL) {
		struct reply_arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void
reply_arena_free(struct reply_arena *a)
{
	blocks_free(a->used);
	blocks_free(a->spare);
	a->used = a->spare = NULL;
}
