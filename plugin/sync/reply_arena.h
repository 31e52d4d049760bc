/*
 * reply_arena.h - hiredis reply objects carved from an arena.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A full reconciliation reads one HGETALL reply per key: at 10^6 keys,
 * hiredis's own reply objects (one malloc per reply, per field and per
 * string, freed again at once) were over a third of the sync thread's
 * time, malloc_consolidate included. While a reconciliation runs, the
 * command connection's reader builds its replies here instead: a bump
 * allocator per batch of keys, emptied in one step once the batch has
 * been applied. Replies from the arena must never go to freeReplyObject.
 */
#ifndef CNROUTE_REPLY_ARENA_H
#define CNROUTE_REPLY_ARENA_H

#include <stddef.h>
#include <hiredis/hiredis.h>

/** One block of arena memory. */
struct reply_arena_block;

/** Memory for the replies of one batch. */
struct reply_arena {
	/** blocks in use, newest first */
	struct reply_arena_block *used;
	/** emptied blocks kept for the next batch */
	struct reply_arena_block *spare;
};

/**
 * Make a context's reader build replies in an arena, until
 * reply_arena_detach. Replies read before the switch are not affected.
 * @return the reader's previous object functions, for reply_arena_detach.
 */
redisReplyObjectFunctions *reply_arena_attach(redisContext *c,
	struct reply_arena *arena);

/** Build the next replies in this arena instead (the reader stays). */
void reply_arena_use(redisContext *c, struct reply_arena *arena);

/** Give the reader back its own object functions. */
void reply_arena_detach(redisContext *c, redisReplyObjectFunctions *prev);

/** Forget every reply built in the arena; its memory is kept for reuse. */
void reply_arena_reset(struct reply_arena *arena);

/** Free all the arena's memory. */
void reply_arena_free(struct reply_arena *arena);

#endif /* CNROUTE_REPLY_ARENA_H */
