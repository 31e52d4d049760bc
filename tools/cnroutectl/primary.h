/*
 * primary.h - where cnroutectl writes: the Redis primary.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#ifndef CNROUTECTL_PRIMARY_H
#define CNROUTECTL_PRIMARY_H

#include <stddef.h>
#include "cnroute/conf.h"

/** Size of the error buffers of this file. */
#define PRIMARY_ERR_MAX 1024

/**
 * The address writes go to: with redis-sentinel, the primary the first
 * Sentinel that answers names; else redis-primary; else the first of
 * redis-server.
 * @param out: filled with malloced strings (conf_server_free).
 * @return 0, or -1 with err set (every Sentinel's reason).
 */
int primary_locate(const struct cnroute_conf *conf, struct conf_server *out,
	char *err, size_t err_size);

/**
 * Whether an error message says the primary may have moved: a replica
 * refused the write (READONLY), the connection was lost or refused, or
 * the server is loading or has lost its primary. Such a write is redone
 * against the primary located again.
 */
int primary_moved(const char *message);

#endif /* CNROUTECTL_PRIMARY_H */
