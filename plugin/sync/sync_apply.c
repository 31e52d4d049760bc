/*
 * sync_apply.c - a Redis reply to a key, applied to the steering table.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <string.h>
#include "sync_apply.h"

/** 1 if an error reply says the key holds another type than a hash. */
static int
is_wrongtype(const redisReply *reply)
{
	static const char wrongtype[] = "WRONGTYPE";

	return reply->str != NULL && reply->len >= sizeof(wrongtype) - 1 &&
		memcmp(reply->str, wrongtype, sizeof(wrongtype) - 1) == 0;
}

enum record_shape
sync_reply_shape(const redisReply *reply, struct record_field *fields,
	size_t *count)
{
	size_t i, n;

	*count = 0;
	if(reply == NULL)
		return RECORD_UNREADABLE;
	if(reply->type == REDIS_REPLY_ERROR)
		return is_wrongtype(reply) ? RECORD_NOT_HASH :
			RECORD_UNREADABLE;
	if(reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0 ||
		(reply->elements > 0 && reply->element == NULL))
		return RECORD_UNREADABLE;
	if(reply->elements == 0)
		return RECORD_MISSING; /* deleted, expired or never there */
	n = reply->elements / 2;
	if(n > RECORD_FIELDS_MAX)
		return RECORD_TOO_MANY_FIELDS;
	for(i = 0; i < reply->elements; i++) {
		const redisReply *e = reply->element[i];
		if(e == NULL || e->type != REDIS_REPLY_STRING ||
			(e->len > 0 && e->str == NULL))
			return RECORD_UNREADABLE;
	}
	for(i = 0; i < n; i++) {
		const redisReply *f = reply->element[2 * i];
		const redisReply *v = reply->element[2 * i + 1];
		fields[i].name = f->str != NULL ? f->str : "";
		fields[i].name_len = f->len;
		fields[i].value = v->str != NULL ? v->str : "";
		fields[i].value_len = v->len;
	}
	*count = n;
	return RECORD_HASH;
}

int
sync_apply_reply(struct keyspace *ks, struct steering_writer *w,
	const char *key, size_t key_len, const redisReply *reply)
{
	struct record_field fields[RECORD_FIELDS_MAX];
	size_t count;
	enum record_shape shape = sync_reply_shape(reply, fields, &count);

	return keyspace_apply(ks, w, key, key_len, shape, fields, count);
}
