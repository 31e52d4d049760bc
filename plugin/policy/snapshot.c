/*
 * snapshot.c - the steering table on disk, to start from when Redis is away.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Writing streams the table through a buffer, with the header (which
 * holds the body's size and checksum) written last at the start of the
 * file. Reading maps the file, checks the header and the body's checksum
 * before anything else, then parses every entry with bounds checks into
 * a fresh table that replaces the old content only when all of it read
 * well: a snapshot is used whole or not at all. The checksum is zlib's
 * CRC-32; it catches damage, not tampering (whoever can write the file
 * can write Redis as well).
 */
#include "cnroute/snapshot.h"
#include "cnroute/dname.h"
#include "cnroute/record.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/** The magic bytes that open a snapshot. */
static const char snapshot_magic[8] = { 'C', 'N', 'R', 'T', 'S', 'N', 'A',
	'P' };
/** Size of the fixed part of the header. */
#define SNAP_HEADER_FIXED 64
/** Longest key prefix a snapshot records. */
#define SNAP_PREFIX_MAX 1024
/** Bytes buffered before a write. */
#define SNAP_BUFFER 65536
/** Pool kinds as written. */
#define SNAP_POOL_EMPTY 0
#define SNAP_POOL_ADDRESSES 1
#define SNAP_POOL_CNAME 2

/** Write a formatted message into err, if not NULL. */
static void
snap_err(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
snap_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if(err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, SNAPSHOT_ERR_MAX, fmt, ap);
	va_end(ap);
}

/** Little-endian stores and loads. */
static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/** pwrite all of a buffer. @return 0 or -1 (errno set). */
static int
pwrite_all(int fd, const uint8_t *data, size_t len, off_t at)
{
	while(len > 0) {
		ssize_t n = pwrite(fd, data, len, at);
		if(n < 0) {
			if(errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
		at += n;
	}
	return 0;
}

/** The body being written. */
struct snap_out {
	/** where it goes */
	int fd;
	/** file offset of the next flush */
	off_t at;
	/** bytes of the body so far */
	uint64_t size;
	/** CRC-32 of the body so far */
	uLong crc;
	/** set when a write failed (errno in saved_errno) */
	int failed;
	/** errno of the failed write */
	int saved_errno;
	/** bytes in buf */
	size_t used;
	/** the buffer */
	uint8_t buf[SNAP_BUFFER];
};

/** Write out the buffer. */
static void
out_flush(struct snap_out *o)
{
	if(o->failed || o->used == 0)
		return;
	if(pwrite_all(o->fd, o->buf, o->used, o->at) != 0) {
		o->failed = 1;
		o->saved_errno = errno;
		return;
	}
	o->crc = crc32(o->crc, o->buf, (uInt)o->used);
	o->at += (off_t)o->used;
	o->size += o->used;
	o->used = 0;
}

/** Append bytes to the body. */
static void
out_put(struct snap_out *o, const void *data, size_t len)
{
	const uint8_t *p = data;

	while(len > 0 && !o->failed) {
		size_t n = SNAP_BUFFER - o->used;
		if(n > len)
			n = len;
		memcpy(o->buf + o->used, p, n);
		o->used += n;
		p += n;
		len -= n;
		if(o->used == SNAP_BUFFER)
			out_flush(o);
	}
}

/** Append one byte. */
static void
out_u8(struct snap_out *o, uint8_t v)
{
	out_put(o, &v, 1);
}

/** Append a name with its length byte. */
static void
out_name(struct snap_out *o, const uint8_t *name, size_t len)
{
	out_u8(o, (uint8_t)len);
	out_put(o, name, len);
}

/** name_table_foreach callback: one filing. */
static void
write_filing(const struct name_slot *slot, void *arg)
{
	struct snap_out *o = arg;

	out_name(o, slot->key, slot->key_len);
	out_u8(o, (uint8_t)(uintptr_t)slot->value);
}

/** Append a pool. */
static void
out_pool(struct snap_out *o, const struct pool *p)
{
	switch(p->kind) {
	case POOL_EMPTY:
		out_u8(o, SNAP_POOL_EMPTY);
		return;
	case POOL_ADDRESSES:
		out_u8(o, SNAP_POOL_ADDRESSES);
		out_u8(o, (uint8_t)p->v4_count);
		out_u8(o, (uint8_t)p->v6_count);
		out_put(o, p->v4, (size_t)p->v4_count * 4);
		out_put(o, p->v6, (size_t)p->v6_count * 16);
		return;
	case POOL_CNAME:
		out_u8(o, SNAP_POOL_CNAME);
		out_name(o, p->cname, p->cname_len);
		return;
	}
}

/** name_table_foreach callback: one route. */
static void
write_route(const struct name_slot *slot, void *arg)
{
	struct snap_out *o = arg;
	const struct route *r = slot->value;
	uint8_t ttl[4];

	out_name(o, slot->key, slot->key_len);
	out_u8(o, r->has_ttl ? 1 : 0);
	put_u32(ttl, r->ttl);
	out_put(o, ttl, 4);
	out_pool(o, &r->cn);
	out_pool(o, &r->offshore);
}

long long
snapshot_write_fd(int fd, const struct steering_table *st,
	const char *prefix, int db, int64_t read_time, char *err)
{
	uint8_t head[SNAP_HEADER_FIXED];
	size_t plen = strlen(prefix);
	uint32_t header_size;
	struct snap_out *o;
	uLong hcrc;
	long long total;

	if(plen > SNAP_PREFIX_MAX) {
		snap_err(err, "key prefix longer than %d bytes", SNAP_PREFIX_MAX);
		errno = EINVAL;
		return -1;
	}
	header_size = (uint32_t)(SNAP_HEADER_FIXED + plen);
	o = calloc(1, sizeof(*o));
	if(o == NULL) {
		snap_err(err, "out of memory");
		return -1;
	}
	o->fd = fd;
	o->at = header_size;
	o->crc = crc32(0L, Z_NULL, 0);
	/* the writer is the only thread that changes the table: it reads
	 * it without the lock */
	name_table_foreach(&st->filings, write_filing, o);
	name_table_foreach(&st->routes, write_route, o);
	out_flush(o);
	if(o->failed) {
		errno = o->saved_errno;
		snap_err(err, "write: %s", strerror(errno));
		free(o);
		return -1;
	}
	memcpy(head, snapshot_magic, 8);
	put_u32(head + 8, SNAPSHOT_VERSION);
	put_u32(head + 12, header_size);
	put_u64(head + 16, (uint64_t)read_time);
	put_u32(head + 24, (uint32_t)db);
	put_u32(head + 28, (uint32_t)plen);
	put_u64(head + 32, st->filings.count);
	put_u64(head + 40, st->routes.count);
	put_u64(head + 48, o->size);
	put_u32(head + 56, (uint32_t)o->crc);
	hcrc = crc32(crc32(0L, Z_NULL, 0), head, 60);
	hcrc = crc32(hcrc, (const Bytef *)prefix, (uInt)plen);
	put_u32(head + 60, (uint32_t)hcrc);
	total = (long long)header_size + (long long)o->size;
	free(o);
	if(pwrite_all(fd, head, sizeof(head), 0) != 0 ||
		pwrite_all(fd, (const uint8_t *)prefix, plen,
		SNAP_HEADER_FIXED) != 0 || ftruncate(fd, (off_t)total) != 0) {
		snap_err(err, "write: %s", strerror(errno));
		return -1;
	}
	return total;
}

int
snapshot_save(const char *path, const struct steering_table *st,
	const char *prefix, int db, int64_t read_time, char *err)
{
	char tmp[4096], dir[4096];
	int fd, dfd;

	if(snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snap_err(err, "path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if(fd < 0) {
		snap_err(err, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if(snapshot_write_fd(fd, st, prefix, db, read_time, err) < 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if(fsync(fd) != 0) {
		snap_err(err, "%s: fsync: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if(close(fd) != 0 || rename(tmp, path) != 0) {
		snap_err(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* the rename itself must reach the disk */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if(dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

/** The body being read. */
struct snap_in {
	/** next byte */
	const uint8_t *p;
	/** end of the body */
	const uint8_t *end;
	/** start of the data (for offsets in messages) */
	const uint8_t *start;
};

/** Take n bytes. @return them, or NULL when fewer are left. */
static const uint8_t *
in_take(struct snap_in *in, size_t n)
{
	const uint8_t *p = in->p;

	if((size_t)(in->end - in->p) < n)
		return NULL;
	in->p += n;
	return p;
}

/**
 * Read a name with its length byte; it must be canonical (what the
 * table holds: valid, lower case).
 * @return 0 or -1.
 */
static int
in_name(struct snap_in *in, const uint8_t **name, size_t *len)
{
	const uint8_t *l = in_take(in, 1), *n;
	uint8_t canon[DNAME_MAX_WIRE];
	size_t clen;

	if(l == NULL || *l == 0 || (n = in_take(in, *l)) == NULL)
		return -1;
	if(dname_canonicalize(n, *l, canon, &clen) != 0 || clen != *l ||
		memcmp(canon, n, clen) != 0)
		return -1;
	*name = n;
	*len = clen;
	return 0;
}

/**
 * Read a pool into p, pointing into the data (route_clone copies it).
 * @return 0 or -1.
 */
static int
in_pool(struct snap_in *in, struct pool *p)
{
	const uint8_t *kind = in_take(in, 1), *c;
	size_t len;

	memset(p, 0, sizeof(*p));
	if(kind == NULL)
		return -1;
	switch(*kind) {
	case SNAP_POOL_EMPTY:
		p->kind = POOL_EMPTY;
		return 0;
	case SNAP_POOL_ADDRESSES:
		if((c = in_take(in, 2)) == NULL || c[0] > POOL_MAX_ADDRS ||
			c[1] > POOL_MAX_ADDRS || c[0] + c[1] == 0)
			return -1;
		p->kind = POOL_ADDRESSES;
		p->v4_count = c[0];
		p->v6_count = c[1];
		if((p->v4 = (uint8_t *)in_take(in, (size_t)c[0] * 4)) == NULL ||
			(p->v6 = (uint8_t *)in_take(in, (size_t)c[1] * 16)) ==
			NULL)
			return -1;
		if(c[0] == 0)
			p->v4 = NULL;
		if(c[1] == 0)
			p->v6 = NULL;
		return 0;
	case SNAP_POOL_CNAME:
		if(in_name(in, &c, &len) != 0 || len <= 1)
			return -1;
		p->kind = POOL_CNAME;
		p->cname = (uint8_t *)c;
		p->cname_len = len;
		return 0;
	}
	return -1;
}

/** Read the filings into the writer. @return 0 or -1 with err set. */
static int
read_filings(struct snap_in *in, uint64_t count, struct steering_writer *w,
	char *err)
{
	uint64_t i;

	for(i = 0; i < count; i++) {
		const uint8_t *name, *status;
		size_t len;
		size_t at = (size_t)(in->p - in->start);
		if(in_name(in, &name, &len) != 0 ||
			(status = in_take(in, 1)) == NULL ||
			*status < FILING_ACTIVE || *status > FILING_INVALID) {
			snap_err(err, "bad filing at byte %zu", at);
			return -1;
		}
		if(steering_writer_set_filing(w, name, len,
			(enum filing_status)*status) < 0) {
			snap_err(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

/** Read the routes into the writer. @return 0 or -1 with err set. */
static int
read_routes(struct snap_in *in, uint64_t count, struct steering_writer *w,
	char *err)
{
	uint64_t i;

	for(i = 0; i < count; i++) {
		const uint8_t *name, *flags, *ttl;
		struct route r;
		size_t len;
		size_t at = (size_t)(in->p - in->start);
		memset(&r, 0, sizeof(r));
		if(in_name(in, &name, &len) != 0 ||
			(flags = in_take(in, 1)) == NULL || *flags > 1 ||
			(ttl = in_take(in, 4)) == NULL ||
			in_pool(in, &r.cn) != 0 || in_pool(in, &r.offshore) != 0) {
			snap_err(err, "bad route at byte %zu", at);
			return -1;
		}
		r.has_ttl = *flags;
		r.ttl = get_u32(ttl);
		if(r.ttl > 2147483647u) {
			snap_err(err, "bad route at byte %zu", at);
			return -1;
		}
		/* a packed copy of its own: the data is about to go */
		if(steering_writer_set_route(w, name, len, route_clone(&r)) < 0) {
			snap_err(err, "out of memory");
			return -1;
		}
	}
	return 0;
}

/**
 * Check the header against the data and the configuration.
 * @param body: out, where the body starts.
 * @return 0 or -1 with err set.
 */
static int
read_header(const uint8_t *data, size_t len, const char *prefix, int db,
	struct snapshot_info *info, size_t *body, char *err)
{
	uint32_t header_size, plen;
	uint64_t body_size;
	uLong crc;
	size_t want_plen = strlen(prefix);

	if(len == 0) {
		snap_err(err, "empty file");
		return -1;
	}
	if(len < SNAP_HEADER_FIXED) {
		snap_err(err, "truncated (%zu bytes, shorter than the header)",
			len);
		return -1;
	}
	if(memcmp(data, snapshot_magic, 8) != 0) {
		snap_err(err, "not a cnroute snapshot");
		return -1;
	}
	if(get_u32(data + 8) != SNAPSHOT_VERSION) {
		snap_err(err, "format version %u, this module reads version %d",
			get_u32(data + 8), SNAPSHOT_VERSION);
		return -1;
	}
	header_size = get_u32(data + 12);
	plen = get_u32(data + 28);
	if(plen > SNAP_PREFIX_MAX || header_size != SNAP_HEADER_FIXED + plen ||
		len < header_size) {
		snap_err(err, "truncated or damaged header");
		return -1;
	}
	crc = crc32(crc32(0L, Z_NULL, 0), data, 60);
	crc = crc32(crc, data + SNAP_HEADER_FIXED, plen);
	if((uint32_t)crc != get_u32(data + 60)) {
		snap_err(err, "damaged header (checksum mismatch)");
		return -1;
	}
	if(plen != want_plen || memcmp(data + SNAP_HEADER_FIXED, prefix,
		plen) != 0) {
		snap_err(err, "written for key prefix '%.*s', the key prefix "
			"is '%s'", (int)(plen > 64 ? 64 : plen),
			(const char *)data + SNAP_HEADER_FIXED, prefix);
		return -1;
	}
	if((int32_t)get_u32(data + 24) != db) {
		snap_err(err, "written for Redis database %d, the database is "
			"%d", (int)(int32_t)get_u32(data + 24), db);
		return -1;
	}
	body_size = get_u64(data + 48);
	if(body_size != len - header_size) {
		snap_err(err, "truncated or padded (%zu bytes of body, the "
			"header says %llu)", len - header_size,
			(unsigned long long)body_size);
		return -1;
	}
	crc = crc32(crc32(0L, Z_NULL, 0), data + header_size, 0);
	/* zlib takes uInt lengths: the body may be larger */
	{
		const uint8_t *p = data + header_size;
		uint64_t left = body_size;
		while(left > 0) {
			uInt n = left > 0x40000000u ? 0x40000000u : (uInt)left;
			crc = crc32(crc, p, n);
			p += n;
			left -= n;
		}
	}
	if((uint32_t)crc != get_u32(data + 56)) {
		snap_err(err, "damaged (checksum mismatch)");
		return -1;
	}
	info->read_time = (int64_t)get_u64(data + 16);
	info->filings = get_u64(data + 32);
	info->routes = get_u64(data + 40);
	*body = header_size;
	return 0;
}

int
snapshot_read(const uint8_t *data, size_t len, const char *prefix, int db,
	struct steering_table *st, struct snapshot_info *info, char *err)
{
	struct steering_writer w;
	struct snap_in in;
	size_t body;

	memset(info, 0, sizeof(*info));
	if(read_header(data, len, prefix, db, info, &body, err) != 0)
		return -1;
	in.start = data;
	in.p = data + body;
	in.end = data + len;
	if(steering_writer_begin(&w, st, 1, 0) != 0) {
		snap_err(err, "out of memory");
		return -1;
	}
	if(read_filings(&in, info->filings, &w, err) != 0 ||
		read_routes(&in, info->routes, &w, err) != 0) {
		steering_writer_abort(&w);
		return -1;
	}
	if(in.p != in.end) {
		snap_err(err, "%zu bytes after the last route",
			(size_t)(in.end - in.p));
		steering_writer_abort(&w);
		return -1;
	}
	if(steering_writer_commit(&w, NULL, NULL) < 0) {
		snap_err(err, "out of memory");
		return -1;
	}
	return 0;
}

int
snapshot_load_fd(int fd, const char *prefix, int db,
	struct steering_table *st, struct snapshot_info *info, char *err)
{
	struct stat sb;
	void *map;
	int r;

	if(fstat(fd, &sb) != 0) {
		snap_err(err, "%s", strerror(errno));
		return -1;
	}
	if(sb.st_size == 0) {
		snap_err(err, "empty file");
		return -1;
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if(map == MAP_FAILED) {
		snap_err(err, "mmap: %s", strerror(errno));
		return -1;
	}
	r = snapshot_read(map, (size_t)sb.st_size, prefix, db, st, info, err);
	munmap(map, (size_t)sb.st_size);
	return r;
}

int
snapshot_load(const char *path, const char *prefix, int db,
	struct steering_table *st, struct snapshot_info *info, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if(fd < 0) {
		snap_err(err, "%s", strerror(errno));
		return -1;
	}
	r = snapshot_load_fd(fd, prefix, db, st, info, err);
	close(fd);
	return r;
}
