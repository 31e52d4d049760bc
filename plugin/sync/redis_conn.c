/*
 * redis_conn.c - Redis connections that never block the sync thread.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * hiredis does the protocol (its reader and writer buffers); this file
 * does the waiting, always in poll() with the wake pipe beside the
 * connection and a deadline, waking about every 250 ms for the thread's
 * ticks (staleness must be noticed while a reply is awaited, too).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>
#include "redis_conn.h"

/** Longest wait in poll() before the tick runs. */
#define CONN_TICK_MS 250

uint64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
redis_addr_from_ai(const struct conf_server *server,
	const struct addrinfo *ai, struct redis_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->port = server->port;
	conf_server_format(server, addr->where, sizeof(addr->where));
	if(ai->ai_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ai->
			ai_addr)->sin6_addr, addr->ip, sizeof(addr->ip));
	else if(ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ai->ai_addr)->
			sin_addr, addr->ip, sizeof(addr->ip));
	else
		return -1;
	addr->known = 1;
	return 0;
}

int
redis_addr_resolve(const struct conf_server *server, struct redis_addr *addr,
	char *err, size_t err_size)
{
	struct addrinfo hints, *res = NULL;
	char port[16];
	int rc;

	memset(addr, 0, sizeof(*addr));
	if(server->unix_path) {
		addr->unix_path = server->unix_path;
		conf_server_format(server, addr->where, sizeof(addr->where));
		addr->known = 1;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", server->port);
	rc = getaddrinfo(server->host, port, &hints, &res);
	if(rc != 0 || res == NULL) {
		snprintf(err, err_size, "cannot resolve %s: %s",
			server->host, rc ? gai_strerror(rc) : "no address");
		if(res)
			freeaddrinfo(res);
		return -1;
	}
	rc = redis_addr_from_ai(server, res, addr);
	freeaddrinfo(res);
	if(rc != 0)
		snprintf(err, err_size, "cannot resolve %s: unusable address",
			server->host);
	return rc;
}

/**
 * Wait until fd has events, the deadline passes, or a stop is asked.
 * @return CONN_OK when fd is ready, CONN_ERROR at the deadline, CONN_STOP.
 */
static enum conn_status
conn_wait(const struct conn_ctx *cx, int fd, short events, uint64_t deadline)
{
	for(;;) {
		struct pollfd p[2];
		uint64_t now = conn_now_ms();
		int timeout, n;
		if(now >= deadline)
			return CONN_ERROR;
		timeout = deadline - now > CONN_TICK_MS ? CONN_TICK_MS :
			(int)(deadline - now);
		p[0].fd = cx->wake_fd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = fd;
		p[1].events = events;
		p[1].revents = 0;
		n = poll(p, 2, timeout);
		if(n < 0 && errno != EINTR)
			return CONN_ERROR;
		if(n > 0 && p[0].revents)
			return CONN_STOP;
		if(n > 0 && p[1].revents)
			return CONN_OK;
		if(cx->tick)
			cx->tick(cx->tick_arg);
	}
}

/** Set err from a context's error (or "connection lost"). */
static void
conn_err(redisContext *c, char *err, size_t err_size)
{
	snprintf(err, err_size, "%s", c->err && c->errstr[0] ? c->errstr :
		"connection lost");
}

enum conn_status
conn_flush(const struct conn_ctx *cx, redisContext *c, uint64_t deadline,
	char *err, size_t err_size)
{
	int done = 0;

	for(;;) {
		enum conn_status st;
		if(redisBufferWrite(c, &done) != REDIS_OK) {
			conn_err(c, err, err_size);
			return CONN_ERROR;
		}
		if(done)
			return CONN_OK;
		/* the socket's buffer is full: wait until it drains */
		st = conn_wait(cx, c->fd, POLLOUT, deadline);
		if(st == CONN_ERROR)
			snprintf(err, err_size, "timed out sending to Redis");
		if(st != CONN_OK)
			return st;
	}
}

int
conn_take(redisContext *c, void **reply)
{
	*reply = NULL;
	if(redisGetReplyFromReader(c, reply) != REDIS_OK)
		return -1;
	return *reply != NULL;
}

int
conn_read_ready(redisContext *c, char *err, size_t err_size)
{
	if(redisBufferRead(c) != REDIS_OK) {
		conn_err(c, err, err_size);
		return -1;
	}
	return 0;
}

enum conn_status
conn_reply(const struct conn_ctx *cx, redisContext *c, uint64_t deadline,
	void **reply, char *err, size_t err_size)
{
	enum conn_status st = conn_flush(cx, c, deadline, err, err_size);

	if(st != CONN_OK)
		return st;
	for(;;) {
		int r = conn_take(c, reply);
		if(r < 0) {
			conn_err(c, err, err_size);
			return CONN_ERROR;
		}
		if(r > 0) {
			if(cx->heard)
				cx->heard(cx->heard_arg);
			return CONN_OK;
		}
		st = conn_wait(cx, c->fd, POLLIN, deadline);
		if(st == CONN_ERROR)
			snprintf(err, err_size, "no reply from Redis in time");
		if(st != CONN_OK)
			return st;
		if(conn_read_ready(c, err, err_size) != 0)
			return CONN_ERROR;
	}
}

enum conn_status
conn_command(const struct conn_ctx *cx, redisContext *c, uint64_t deadline,
	redisReply **reply, char *err, size_t err_size, const char *fmt, ...)
{
	enum conn_status st;
	va_list ap;
	void *r = NULL;
	int rc;

	*reply = NULL;
	va_start(ap, fmt);
	rc = redisvAppendCommand(c, fmt, ap);
	va_end(ap);
	if(rc != REDIS_OK) {
		conn_err(c, err, err_size);
		return CONN_ERROR;
	}
	st = conn_reply(cx, c, deadline, &r, err, err_size);
	if(st != CONN_OK)
		return st;
	*reply = r;
	if((*reply)->type == REDIS_REPLY_ERROR) {
		snprintf(err, err_size, "%s", (*reply)->str);
		freeReplyObject(*reply);
		*reply = NULL;
		return CONN_REFUSED;
	}
	return CONN_OK;
}

/** Wait for a non-blocking connect to finish. */
static enum conn_status
conn_connected(const struct conn_ctx *cx, redisContext *c, uint64_t deadline,
	char *err, size_t err_size)
{
	enum conn_status st = conn_wait(cx, c->fd, POLLOUT, deadline);
	int so_error = 0;
	socklen_t len = sizeof(so_error);

	if(st == CONN_ERROR)
		snprintf(err, err_size, "connect timed out");
	if(st != CONN_OK)
		return st;
	if(getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
		so_error = errno;
	if(so_error != 0) {
		snprintf(err, err_size, "connect: %s", strerror(so_error));
		return CONN_ERROR;
	}
	return CONN_OK;
}

enum conn_status
conn_open(const struct conn_ctx *cx, const struct redis_addr *addr,
	const struct cnroute_conf *conf, uint64_t deadline, redisContext **out,
	char *err, size_t err_size)
{
	redisContext *c;
	redisReply *reply;
	enum conn_status st;

	*out = NULL;
	if(addr->unix_path)
		c = redisConnectUnixNonBlock(addr->unix_path);
	else
		c = redisConnectNonBlock(addr->ip, addr->port);
	if(!c) {
		snprintf(err, err_size, "out of memory");
		return CONN_ERROR;
	}
	if(c->err) {
		conn_err(c, err, err_size);
		redisFree(c);
		return CONN_ERROR;
	}
	st = conn_connected(cx, c, deadline, err, err_size);
	/* TCP keepalive notices a peer that vanished silently; on a unix
	 * socket the option does not exist and hiredis would mark the
	 * context as failed */
	if(st == CONN_OK && !addr->unix_path &&
		redisEnableKeepAlive(c) != REDIS_OK) {
		conn_err(c, err, err_size);
		st = CONN_ERROR;
	}
	if(st == CONN_OK && conf->redis_password && conf->redis_user) {
		st = conn_command(cx, c, deadline, &reply, err, err_size,
			"AUTH %s %s", conf->redis_user, conf->redis_password);
		if(st == CONN_OK)
			freeReplyObject(reply);
	} else if(st == CONN_OK && conf->redis_password) {
		st = conn_command(cx, c, deadline, &reply, err, err_size,
			"AUTH %s", conf->redis_password);
		if(st == CONN_OK)
			freeReplyObject(reply);
	}
	if(st == CONN_OK && conf->redis_db != 0) {
		st = conn_command(cx, c, deadline, &reply, err, err_size,
			"SELECT %d", conf->redis_db);
		if(st == CONN_OK)
			freeReplyObject(reply);
	}
	if(st != CONN_OK) {
		redisFree(c);
		/* a refused AUTH or SELECT: the connection is no use */
		return st == CONN_REFUSED ? CONN_ERROR : st;
	}
	*out = c;
	return CONN_OK;
}
