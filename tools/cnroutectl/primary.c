/*
 * primary.c - where cnroutectl writes: the Redis primary, named by the
 * configuration or found through Redis Sentinel.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Resolvers read replicas (redis-server); writes must reach the primary,
 * which a failover moves. With redis-sentinel, every write starts by
 * asking the Sentinels, in the order listed, for the current primary
 * (SENTINEL get-master-addr-by-name), and a write that meets a replica
 * (READONLY) or loses its connection asks again and is redone: the write
 * is computed again from what the primary holds, so a write that did land
 * before the connection was lost is found unchanged and not written twice
 * (redis_store.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>
#include "primary.h"

/** Seconds to wait for a Sentinel. */
#define SENTINEL_TIMEOUT_S 2

/**
 * Ask one Sentinel for the primary's address.
 * @return 0 with out filled, or -1 with err set.
 */
static int
sentinel_ask(const struct conf_server *sentinel, const char *name,
	struct conf_server *out, char *err, size_t err_size)
{
	struct timeval tv = { SENTINEL_TIMEOUT_S, 0 };
	redisContext *c = redisConnectWithTimeout(sentinel->host,
		sentinel->port, tv);
	redisReply *r = NULL;
	char *end;
	long port;
	int rc = -1;

	if(c == NULL || c->err) {
		snprintf(err, err_size, "sentinel %s:%d unreachable: %s",
			sentinel->host, sentinel->port, c ? c->errstr :
			"out of memory");
		goto done;
	}
	redisSetTimeout(c, tv);
	r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", name);
	if(r == NULL) {
		snprintf(err, err_size, "sentinel %s:%d: %s", sentinel->host,
			sentinel->port, c->errstr);
		goto done;
	}
	if(r->type == REDIS_REPLY_NIL) {
		snprintf(err, err_size, "sentinel %s:%d does not know a "
			"primary named '%s' (redis-sentinel-master)",
			sentinel->host, sentinel->port, name);
		goto done;
	}
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		r->element[0]->type != REDIS_REPLY_STRING ||
		r->element[1]->type != REDIS_REPLY_STRING) {
		snprintf(err, err_size, "sentinel %s:%d: %s", sentinel->host,
			sentinel->port, r->type == REDIS_REPLY_ERROR ? r->str :
			"unexpected reply");
		goto done;
	}
	port = strtol(r->element[1]->str, &end, 10);
	if(*end != 0 || port < 1 || port > 65535) {
		snprintf(err, err_size, "sentinel %s:%d: bad port '%s'",
			sentinel->host, sentinel->port, r->element[1]->str);
		goto done;
	}
	memset(out, 0, sizeof(*out));
	out->host = strdup(r->element[0]->str);
	out->port = (int)port;
	if(out->host == NULL) {
		snprintf(err, err_size, "out of memory");
		goto done;
	}
	rc = 0;
done:
	freeReplyObject(r);
	if(c != NULL)
		redisFree(c);
	return rc;
}

/** A copy of a configured address. @return 0 or -1 (out of memory). */
static int
server_copy(const struct conf_server *from, struct conf_server *out)
{
	memset(out, 0, sizeof(*out));
	out->port = from->port;
	if(from->host != NULL && (out->host = strdup(from->host)) == NULL)
		return -1;
	if(from->unix_path != NULL &&
		(out->unix_path = strdup(from->unix_path)) == NULL) {
		free(out->host);
		return -1;
	}
	return 0;
}

int
primary_locate(const struct cnroute_conf *conf, struct conf_server *out,
	char *err, size_t err_size)
{
	char one[PRIMARY_ERR_MAX];
	size_t used = 0;
	int i;

	if(conf->redis_sentinel_count == 0) {
		const struct conf_server *where = conf->redis_primary.host ||
			conf->redis_primary.unix_path ? &conf->redis_primary :
			&conf->redis_servers[0];
		if(server_copy(where, out) != 0) {
			snprintf(err, err_size, "out of memory");
			return -1;
		}
		return 0;
	}
	err[0] = 0;
	for(i = 0; i < conf->redis_sentinel_count; i++) {
		if(sentinel_ask(&conf->redis_sentinels[i],
			conf->redis_sentinel_master, out, one, sizeof(one)) == 0)
			return 0;
		/* every Sentinel's reason, in order */
		used += (size_t)snprintf(err + used, used < err_size ?
			err_size - used : 0, "%s%s", i ? "; " : "", one);
		if(used >= err_size)
			used = err_size - 1;
	}
	return -1;
}

int
primary_moved(const char *message)
{
	static const char *const signs[] = { "READONLY", "unreachable",
		"Connection reset", "Server closed the connection",
		"LOADING", "MASTERDOWN", "Broken pipe", "Connection refused",
		NULL };
	int i;

	for(i = 0; signs[i] != NULL; i++)
		if(strstr(message, signs[i]) != NULL)
			return 1;
	return 0;
}
