/*
 * redis_conn.h - Redis connections that never block the sync thread.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The sync thread must stop within about a second whatever it is doing
 * (Unbound waits for it on stop and reload), and must notice a Redis that
 * stops answering (a hung process, a black-holed connection) as soon as
 * it does. So every connection is non-blocking, and every wait for it is
 * a poll() on the connection and on the thread's wake pipe, with a
 * deadline: a connect, a reply, a flush all return at once when the
 * thread is asked to stop, and fail when Redis takes longer than the
 * deadline. The host name is resolved once, before the thread starts
 * (redis_addr_resolve); the thread connects to addresses only.
 */
#ifndef CNROUTE_REDIS_CONN_H
#define CNROUTE_REDIS_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include "cnroute/conf.h"

/** How a wait ended. */
enum conn_status {
	/** done */
	CONN_OK = 0,
	/** the connection failed or Redis did not answer in time */
	CONN_ERROR,
	/** the thread is asked to stop */
	CONN_STOP,
	/** Redis answered, with an error reply (conn_command only): the
	 *  connection is fine, the command was refused */
	CONN_REFUSED
};

/** Where Redis is, resolved: what the thread connects to. */
struct redis_addr {
	/** unix socket path, or NULL */
	const char *unix_path;
	/** numeric address ("127.0.0.1", "::1"), for TCP */
	char ip[64];
	/** TCP port */
	int port;
	/** printable, for log lines ("127.0.0.1:6379", "unix:/path") */
	char where[300];
	/** 1 once resolved (the rest is valid) */
	int known;
};

/** What a connection needs from the thread. */
struct conn_ctx {
	/** the read end of the wake pipe: readable means stop */
	int wake_fd;
	/** called whenever a reply arrives (the heartbeat counts it) */
	void (*heard)(void *arg);
	/** argument of heard */
	void *heard_arg;
	/** called about every 250 ms while waiting (staleness checks) */
	void (*tick)(void *arg);
	/** argument of tick */
	void *tick_arg;
};

/**
 * Resolve the configured Redis address (a host name is looked up here,
 * before the thread runs, so the thread never blocks on a lookup).
 * @return 0, or -1 with err set (the name does not resolve).
 */
int redis_addr_resolve(const struct conf_server *server,
	struct redis_addr *addr, char *err, size_t err_size);

struct addrinfo;

/**
 * Fill an address from a lookup's result (its first address).
 * @return 0, or -1 for an address of another family.
 */
int redis_addr_from_ai(const struct conf_server *server,
	const struct addrinfo *ai, struct redis_addr *addr);

/** Milliseconds on the monotonic clock. */
uint64_t conn_now_ms(void);

/**
 * Connect without blocking, then AUTH and SELECT as configured.
 * @param deadline: monotonic ms by which all of it must be done.
 * @param out: the connection (non-blocking), on CONN_OK.
 * @return CONN_OK, CONN_ERROR with err set, or CONN_STOP.
 */
enum conn_status conn_open(const struct conn_ctx *cx,
	const struct redis_addr *addr, const struct cnroute_conf *conf,
	uint64_t deadline, redisContext **out, char *err, size_t err_size);

/**
 * Send what the connection has buffered.
 * @return CONN_OK, CONN_ERROR with err set, or CONN_STOP.
 */
enum conn_status conn_flush(const struct conn_ctx *cx, redisContext *c,
	uint64_t deadline, char *err, size_t err_size);

/**
 * Wait for the next reply (the caller frees it, or its arena does).
 * Flushes first.
 * @return CONN_OK with *reply set, CONN_ERROR with err set (including an
 *	error reply when fail_on_error), or CONN_STOP.
 */
enum conn_status conn_reply(const struct conn_ctx *cx, redisContext *c,
	uint64_t deadline, void **reply, char *err, size_t err_size);

/**
 * Run one command (format as redisCommand) and wait for its reply.
 * @return CONN_OK with *reply set (caller frees), CONN_REFUSED for an
 *	error reply (its text in err), CONN_ERROR (the connection failed or
 *	timed out, err set), or CONN_STOP.
 */
enum conn_status conn_command(const struct conn_ctx *cx, redisContext *c,
	uint64_t deadline, redisReply **reply, char *err, size_t err_size,
	const char *fmt, ...);

/**
 * Take a reply already received, without waiting or reading.
 * @return 1 with *reply set, 0 when none is there, -1 on a protocol error.
 */
int conn_take(redisContext *c, void **reply);

/**
 * Read what the socket has (it polled readable), without blocking.
 * @return 0, or -1 when the connection is lost (err set).
 */
int conn_read_ready(redisContext *c, char *err, size_t err_size);

#endif /* CNROUTE_REDIS_CONN_H */
