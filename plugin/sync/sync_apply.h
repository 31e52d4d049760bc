/*
 * sync_apply.h - a Redis reply to a key, applied to the steering table.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The one place where the sync thread turns what Redis answered to
 * HGETALL into a record: whatever the reply (a hash, an error such as
 * WRONGTYPE, a reply of any other type or nesting, fields that are not
 * strings, any bytes), it becomes a record shape and fields for the
 * keyspace (keyspace.h), which judges it. Kept apart from the thread so
 * that a fuzz target can feed it arbitrary replies.
 */
#ifndef CNROUTE_SYNC_APPLY_H
#define CNROUTE_SYNC_APPLY_H

#include <stddef.h>
#include <hiredis/hiredis.h>
#include "cnroute/keyspace.h"
#include "cnroute/steering.h"

/**
 * Apply the reply Redis gave to HGETALL key.
 * @param reply: the reply; NULL counts as unreadable.
 * @return 0, or -1 when out of memory.
 */
int sync_apply_reply(struct keyspace *ks, struct steering_writer *w,
	const char *key, size_t key_len, const redisReply *reply);

#endif /* CNROUTE_SYNC_APPLY_H */
