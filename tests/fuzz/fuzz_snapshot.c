/*
 * fuzz_snapshot.c - fuzz target for the snapshot loader.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The module reads a snapshot file before it answers anything: whatever a
 * damaged disk or a hostile writer puts there must be refused or read
 * safely. Two kinds of input, chosen by the first byte:
 *  - odd: the rest is a whole file, header included, as found on disk;
 *  - even: the rest is a body (after two bytes giving the number of
 *    filings and of routes), wrapped by this target in a valid header with
 *    correct counts, size and checksums, so that the fuzzer reaches the
 *    entry parser instead of stopping at the checksum.
 * A snapshot that loads must load whole (the table's counts are the
 * header's), decide without fault, and write back to a file that loads
 * to the same counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zlib.h>

#include "cnroute/dname.h"
#include "cnroute/snapshot.h"
#include "cnroute/steering.h"

/** The key prefix and database every input is read for. */
#define PREFIX "cnroute:"
#define DB 0

/** Abort (a finding) when a property does not hold. */
static void
check(int ok)
{
	if(!ok)
		abort();
}

/** Little-endian stores. */
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

/**
 * Wrap a body in a valid header.
 * @return the file (malloced), its length in *len.
 */
static uint8_t *
wrap(const uint8_t *body, size_t body_len, uint64_t filings,
	uint64_t routes, size_t *len)
{
	size_t plen = strlen(PREFIX), hlen = 64 + plen;
	uint8_t *f = malloc(hlen + body_len + 1);
	uLong crc;

	if(f == NULL)
		return NULL;
	memcpy(f, "CNRTSNAP", 8);
	put_u32(f + 8, SNAPSHOT_VERSION);
	put_u32(f + 12, (uint32_t)hlen);
	put_u64(f + 16, 1764201600);
	put_u32(f + 24, DB);
	put_u32(f + 28, (uint32_t)plen);
	put_u64(f + 32, filings);
	put_u64(f + 40, routes);
	put_u64(f + 48, body_len);
	put_u32(f + 56, (uint32_t)crc32(crc32(0L, Z_NULL, 0), body,
		(uInt)body_len));
	memcpy(f + 64, PREFIX, plen);
	crc = crc32(crc32(0L, Z_NULL, 0), f, 60);
	crc = crc32(crc, f + 64, (uInt)plen);
	put_u32(f + 60, (uint32_t)crc);
	if(body_len)
		memcpy(f + hlen, body, body_len);
	*len = hlen + body_len;
	return f;
}

/** steering_region_fn: every client is mainland. */
static int
mainland(void *ctx)
{
	(void)ctx;
	return 1;
}

/** Allocator for decisions: malloc, freed by the caller's list. */
static void *
fuzz_alloc(void *ctx, size_t size)
{
	void **slot = ctx;
	void *p = malloc(size ? size : 1);
	*slot = p;
	return p;
}

/** name_table_foreach callback: decide every route's name once. */
static void
decide_route(const struct name_slot *slot, void *arg)
{
	struct steering_table *st = arg;
	struct steering_decision d;
	void *mem[8] = { 0 };
	int i;

	/* one allocation per array at most: A then AAAA */
	(void)steering_table_answer(st, slot->key, slot->key_len, 1, 60,
		mainland, NULL, fuzz_alloc, &mem[0], &d);
	check(d.action != STEER_UNMANAGED);
	(void)steering_table_answer(st, slot->key, slot->key_len, 28, 60,
		mainland, NULL, fuzz_alloc, &mem[1], &d);
	/* the CN pool only under an active filing */
	check(d.pool != STEER_POOL_CN || d.filing == FILING_ACTIVE);
	for(i = 0; i < 8; i++)
		free(mem[i]);
}

/** Write the table to a memfd and read it back: the same counts. */
static void
round_trip(struct steering_table *st)
{
	struct steering_table again;
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX];
	int fd = memfd_create("fuzz", 0);

	if(fd < 0)
		return;
	check(snapshot_write_fd(fd, st, PREFIX, DB, 1764201600, err) > 0);
	check(steering_table_init(&again) == 0);
	check(snapshot_load_fd(fd, PREFIX, DB, &again, &info, err) == 0);
	check(again.filings.count == st->filings.count);
	check(again.routes.count == st->routes.count);
	steering_table_destroy(&again);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct steering_table st;
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX];
	uint8_t *file = NULL;
	size_t len;
	int r;

	if(size < 1 || steering_table_init(&st) != 0)
		return 0;
	if(data[0] & 1) {
		/* an exact copy, so a read past its end is caught */
		len = size - 1;
		file = malloc(len ? len : 1);
		if(file && len)
			memcpy(file, data + 1, len);
	} else if(size >= 3) {
		file = wrap(data + 3, size - 3, data[1], data[2], &len);
	}
	if(file == NULL) {
		steering_table_destroy(&st);
		return 0;
	}
	r = snapshot_read(file, len, PREFIX, DB, &st, &info, err);
	if(r == 0) {
		check(st.filings.count <= info.filings);
		check(st.routes.count <= info.routes);
		name_table_foreach(&st.routes, decide_route, &st);
		round_trip(&st);
	} else {
		/* refused: the table is as it was (empty) */
		check(st.filings.count == 0 && st.routes.count == 0);
		check(err[0] != 0);
	}
	free(file);
	steering_table_destroy(&st);
	return 0;
}
