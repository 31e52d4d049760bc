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
 * What an HGETALL reply says a key holds: WRONGTYPE is a key of another
 * type, an empty array a missing key, more than RECORD_FIELDS_MAX fields
 * too many, anything else that is not an array of strings unreadable.
 * cnroutectl reads replies with this too, so it judges what the module
 * judges.
 * @param fields: out, RECORD_FIELDS_MAX entries pointing into reply.
 * @param count: out, the number of fields (RECORD_HASH only).
 */
enum record_shape sync_reply_shape(const redisReply *reply,
	struct record_field *fields, size_t *count);

/**
 * Apply the reply Redis gave to HGETALL key.
 * @param reply: the reply; NULL counts as unreadable.
 * @return 0, or -1 when out of memory.
 */
int sync_apply_reply(struct keyspace *ks, struct steering_writer *w,
	const char *key, size_t key_len, const redisReply *reply);

#endif /* CNROUTE_SYNC_APPLY_H */
