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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "reply_arena.h"

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

/** createString: status, error and bulk strings. */
static void *
arena_create_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply *r = arena_reply(task, task->type);
	char *copy;

	if(r == NULL)
		return NULL;
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

/** createArray. */
static void *
arena_create_array(const redisReadTask *task, int elements)
{
	redisReply *r = arena_reply(task, REDIS_REPLY_ARRAY);

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
	arena_create_string,
	arena_create_array,
	arena_create_integer,
	arena_create_nil,
	arena_free_object
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
	redisReaderSetPrivdata(c->reader, arena);
}

void
reply_arena_detach(redisContext *c, redisReplyObjectFunctions *prev)
{
	c->reader->fn = prev;
	redisReaderSetPrivdata(c->reader, NULL);
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
