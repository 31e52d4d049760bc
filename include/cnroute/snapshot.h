/*
 * snapshot.h - the steering table on disk, to start from when Redis is away.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A resolver restarted while Redis is unreachable would otherwise start
 * with nothing and steer nobody until Redis came back. With snapshot-file
 * set, the sync thread writes the table to a file (atomically: a
 * temporary file, fsync, rename) after every full reconciliation and
 * after changes (at most every 2 s), and the module loads it before the first
 * query is decided. The same format hands the table from an instance of
 * the module to the next across "unbound-control reload".
 *
 * The format is versioned and checksummed, and records what the table
 * was read from (key prefix, Redis database) and when, so that a file of
 * another configuration is never used and staleness counts from the time
 * the data was read. All integers little-endian:
 *
 *   header   magic "CNRTSNAP" (8), version u32, header size u32,
 *            read time i64 (Unix seconds), Redis database i32,
 *            prefix length u32, filings u64, routes u64, body size u64,
 *            body CRC-32 u32, header CRC-32 u32 (of everything before it
 *            and the prefix), then the prefix;
 *   body     the filings, then the routes:
 *            filing: name length u8, canonical wire name, status u8;
 *            route:  name length u8, name, flags u8 (1: has a TTL),
 *                    TTL u32, the CN pool, the offshore pool;
 *            pool:   kind u8 (0 empty, 1 addresses, 2 CNAME); addresses:
 *                    IPv4 count u8, IPv6 count u8 (each at most
 *                    POOL_MAX_ADDRS), the addresses; CNAME: length u8,
 *                    canonical wire name.
 * Everything read is checked (every name canonical, every count in
 * range, nothing left over); a file that fails any check is not used.
 */
#ifndef CNROUTE_SNAPSHOT_H
#define CNROUTE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include "cnroute/steering.h"

/** The format written and read. */
#define SNAPSHOT_VERSION 1
/** Size of the error buffer the functions write into. */
#define SNAPSHOT_ERR_MAX 256

/** What a snapshot says about itself. */
struct snapshot_info {
	/** Unix time at which the Redis state it holds was read */
	int64_t read_time;
	/** number of filings */
	uint64_t filings;
	/** number of routes */
	uint64_t routes;
};

/**
 * Write a table to a file descriptor (from its start; the fd must allow
 * pwrite). Called by the table's single writer, which reads the table
 * without the lock.
 * @param prefix: the key prefix the table was read with.
 * @param db: the Redis database.
 * @param read_time: when the Redis state it holds was read.
 * @return the bytes written, or -1 with err set (errno kept).
 */
long long snapshot_write_fd(int fd, const struct steering_table *st,
	const char *prefix, int db, int64_t read_time, char *err);

/**
 * Write a table to path atomically: path.tmp, fsync, rename, fsync of
 * the directory. A crash leaves the old file or the new one, whole.
 * @return 0 or -1 with err set.
 */
int snapshot_save(const char *path, const struct steering_table *st,
	const char *prefix, int db, int64_t read_time, char *err);

/**
 * Read a snapshot held in memory into a table, replacing its content at
 * once (a fresh steering_writer), or leave it as it was.
 * @param prefix: the key prefix configured (a snapshot of another one is
 *	refused).
 * @param db: the Redis database configured (likewise).
 * @param info: out, what the snapshot says about itself.
 * @param err: out, why the snapshot is not used.
 * @return 0, or -1 with err set (the table is unchanged).
 */
int snapshot_read(const uint8_t *data, size_t len, const char *prefix,
	int db, struct steering_table *st, struct snapshot_info *info,
	char *err);

/**
 * snapshot_read of a file descriptor (mapped, from its start).
 * @return 0 or -1 with err set.
 */
int snapshot_load_fd(int fd, const char *prefix, int db,
	struct steering_table *st, struct snapshot_info *info, char *err);

/**
 * snapshot_read of a file.
 * @return 0 or -1 with err set ("no such file" among the reasons).
 */
int snapshot_load(const char *path, const char *prefix, int db,
	struct steering_table *st, struct snapshot_info *info, char *err);

#endif /* CNROUTE_SNAPSHOT_H */
