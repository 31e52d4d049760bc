/*
 * test_snapshot.c - unit tests of the snapshot file: a table written and
 * read back decides exactly as before, and every kind of damaged or
 * foreign file is refused with a reason, leaving the table as it was.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/record.h"
#include "cnroute/snapshot.h"
#include "cnroute/steering.h"

/** The key prefix and database of the tests. */
#define PREFIX "cnroute:"
#define DB 3
/** The time the tests' data was "read". */
#define READ_TIME 1764201600

/** Put a filing into a table. */
static void
add_filing(struct steering_table *st, const char *name,
	enum filing_status status)
{
	uint8_t w[DNAME_MAX_WIRE];
	size_t len;

	assert_int_equal(dname_from_text(name, w, &len), 0);
	assert_true(steering_set_filing(st, w, len, status, 1) >= 0);
}

/** Put a route into a table: pools as in Redis, ttl "" for none. */
static void
add_route(struct steering_table *st, const char *name, const char *cn,
	const char *offshore, const char *ttl)
{
	struct record_field f[3];
	char err[RECORD_ERR_MAX];
	uint8_t w[DNAME_MAX_WIRE];
	size_t len, n = 0;
	struct route *r;

	f[n].name = "cn";
	f[n].name_len = 2;
	f[n].value = cn;
	f[n++].value_len = strlen(cn);
	f[n].name = "offshore";
	f[n].name_len = 8;
	f[n].value = offshore;
	f[n++].value_len = strlen(offshore);
	if(*ttl) {
		f[n].name = "ttl";
		f[n].name_len = 3;
		f[n].value = ttl;
		f[n++].value_len = strlen(ttl);
	}
	r = route_parse_new(f, n, err);
	assert_non_null(r);
	assert_int_equal(dname_from_text(name, w, &len), 0);
	assert_true(steering_set_route(st, w, len, r, 1) >= 0);
}

/** A table with every kind of entry. */
static void
fill(struct steering_table *st)
{
	add_filing(st, "example.com", FILING_ACTIVE);
	add_filing(st, "sub.example.com", FILING_REVOKED);
	add_filing(st, "bad.example.com", FILING_INVALID);
	add_filing(st, "c.example.net", FILING_CANCELLED);
	add_filing(st, "p.example.net", FILING_PENDING);
	add_route(st, "www.example.com", "192.0.2.1,2001:db8::1",
		"198.51.100.1", "300");
	add_route(st, "www.sub.example.com", "192.0.2.2", "198.51.100.2", "");
	add_route(st, "*.img.example.com", "img.cdn-cn.example.net.",
		"img.cdn-global.example.net.", "30");
	add_route(st, "v6.example.com", "2001:db8::6", "", "");
	add_route(st, "empty.example.com", "", "", "10");
}

/** A memfd holding a snapshot of a table. @return the fd. */
static int
written(struct steering_table *st, const char *prefix, int db)
{
	char err[SNAPSHOT_ERR_MAX];
	int fd = memfd_create("snap", 0);

	assert_true(fd >= 0);
	assert_true(snapshot_write_fd(fd, st, prefix, db, READ_TIME, err) > 0);
	return fd;
}

/** The bytes of a memfd (malloced), its size in *len. */
static uint8_t *
bytes_of(int fd, size_t *len)
{
	struct stat sb;
	uint8_t *b;

	assert_int_equal(fstat(fd, &sb), 0);
	*len = (size_t)sb.st_size;
	b = malloc(*len + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, *len, 0), (ssize_t)*len);
	return b;
}

/** Allocator for decisions (a test leaks these few bytes on purpose:
 *  they are freed with the arena). */
struct arena {
	/** blocks */
	void *p[16];
	/** used */
	int n;
};

/** steering_alloc_fn of an arena. */
static void *
arena_alloc(void *ctx, size_t size)
{
	struct arena *a = ctx;

	if(a->n == 16)
		return NULL;
	a->p[a->n] = malloc(size ? size : 1);
	return a->p[a->n++];
}

/** Free an arena. */
static void
arena_free(struct arena *a)
{
	int i;

	for(i = 0; i < a->n; i++)
		free(a->p[i]);
	a->n = 0;
}

/** Region callbacks. */
static int
is_mainland(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
is_abroad(void *ctx)
{
	(void)ctx;
	return 0;
}

/** The decision for a name, as text: action, pool, filing, data, ttl. */
static void
decision_text(struct steering_table *st, const char *name, uint16_t qtype,
	int mainland, char *out, size_t size)
{
	struct steering_decision d;
	struct arena a;
	uint8_t w[DNAME_MAX_WIRE];
	size_t len, n, i;

	memset(&a, 0, sizeof(a));
	assert_int_equal(dname_from_text(name, w, &len), 0);
	assert_int_equal(steering_table_decide(st, w, len, qtype, 60,
		mainland ? is_mainland : is_abroad, NULL, arena_alloc, &a, &d),
		0);
	n = (size_t)snprintf(out, size, "%d/%d/%d/%u/", d.action, d.pool,
		d.filing, d.ttl);
	for(i = 0; i < (size_t)d.addr_count * d.addr_len && n + 3 < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%02x", d.addrs[i]);
	for(i = 0; i < d.cname_len && n + 3 < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%02x", d.cname[i]);
	arena_free(&a);
}

/** The names and types every round trip is judged on. */
static const char *const probe_names[] = {
	"www.example.com", "www.sub.example.com", "a.img.example.com",
	"x.y.img.example.com", "v6.example.com", "empty.example.com",
	"www.bad.example.com", "unmanaged.example.org", "example.com"
};

/** Two tables decide alike for every probe, both regions, A and AAAA. */
static void
assert_same_decisions(struct steering_table *a, struct steering_table *b)
{
	static const uint16_t types[] = { 1, 28, 5, 15 };
	char da[512], db[512];
	size_t i, t;
	int m;

	for(i = 0; i < sizeof(probe_names) / sizeof(probe_names[0]); i++)
		for(t = 0; t < 4; t++)
			for(m = 0; m < 2; m++) {
				decision_text(a, probe_names[i], types[t], m,
					da, sizeof(da));
				decision_text(b, probe_names[i], types[t], m,
					db, sizeof(db));
				assert_string_equal(da, db);
			}
}

/** Written and read back: the same entries, the same decisions. */
static void
test_round_trip(void **state)
{
	struct steering_table st, back;
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX];
	int fd;

	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(steering_table_init(&back), 0);
	fill(&st);
	fd = written(&st, PREFIX, DB);
	assert_int_equal(snapshot_load_fd(fd, PREFIX, DB, &back, &info, err),
		0);
	assert_int_equal(info.read_time, READ_TIME);
	assert_int_equal(info.filings, 5);
	assert_int_equal(info.routes, 5);
	assert_int_equal(back.filings.count, 5);
	assert_int_equal(back.routes.count, 5);
	assert_same_decisions(&st, &back);
	close(fd);
	steering_table_destroy(&st);
	steering_table_destroy(&back);
}

/** An empty table round-trips to an empty table. */
static void
test_empty_table(void **state)
{
	struct steering_table st, back;
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX];
	int fd;

	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(steering_table_init(&back), 0);
	add_filing(&back, "left.example.com", FILING_ACTIVE);
	fd = written(&st, PREFIX, DB);
	assert_int_equal(snapshot_load_fd(fd, PREFIX, DB, &back, &info, err),
		0);
	/* replaced whole: nothing of the old content stays */
	assert_int_equal(back.filings.count, 0);
	close(fd);
	steering_table_destroy(&st);
	steering_table_destroy(&back);
}

/**
 * Load a damaged copy; it must be refused, with a message holding want,
 * and the table must be left as it was (one filing in it).
 */
static void
assert_refused(const uint8_t *data, size_t len, const char *prefix, int db,
	const char *want)
{
	struct steering_table st;
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX];
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	if(len)
		memcpy(copy, data, len);
	assert_int_equal(steering_table_init(&st), 0);
	add_filing(&st, "kept.example.com", FILING_ACTIVE);
	err[0] = 0;
	assert_int_equal(snapshot_read(copy, len, prefix, db, &st, &info,
		err), -1);
	if(strstr(err, want) == NULL)
		fail_msg("expected a reason with '%s', got '%s'", want, err);
	assert_int_equal(st.filings.count, 1);
	assert_int_equal(st.routes.count, 0);
	steering_table_destroy(&st);
	free(copy);
}

/** Damaged and foreign files are refused, each with its reason. */
static void
test_refused(void **state)
{
	struct steering_table st;
	uint8_t *b;
	size_t len, i;
	int fd;

	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	fill(&st);
	fd = written(&st, PREFIX, DB);
	b = bytes_of(fd, &len);
	assert_refused(b, 0, PREFIX, DB, "empty");
	assert_refused(b, 10, PREFIX, DB, "truncated");
	assert_refused(b, len - 1, PREFIX, DB, "truncated");
	assert_refused(b, len / 2, PREFIX, DB, "truncated");
	assert_refused(b, len, "other:", DB, "key prefix");
	assert_refused(b, len, PREFIX, DB + 1, "database");
	/* a flipped byte anywhere: in the body, in the header */
	for(i = 0; i < len; i += len / 7 + 1) {
		b[i] ^= 0x10;
		assert_refused(b, len, PREFIX, DB, i < 8 ? "not a cnroute" :
			i < 72 ? "" : "checksum");
		b[i] ^= 0x10;
	}
	b[8] = 2; /* version 2 */
	assert_refused(b, len, PREFIX, DB, "version 2");
	b[8] = 1;
	memcpy(b, "NOTASNAP", 8);
	assert_refused(b, len, PREFIX, DB, "not a cnroute snapshot");
	free(b);
	close(fd);
	steering_table_destroy(&st);
}

/** Bytes after the last route are refused (an appended file). */
static void
test_trailing_bytes(void **state)
{
	struct steering_table st;
	uint8_t *b;
	size_t len;
	int fd;

	(void)state;
	assert_int_equal(steering_table_init(&st), 0);
	fill(&st);
	fd = written(&st, PREFIX, DB);
	b = bytes_of(fd, &len);
	b = realloc(b, len + 1);
	assert_non_null(b);
	b[len] = 0;
	/* the size in the header no longer matches */
	assert_refused(b, len + 1, PREFIX, DB, "truncated or padded");
	free(b);
	close(fd);
	steering_table_destroy(&st);
}

/** snapshot_save: a file that loads; the old one replaced whole. */
static void
test_save_atomic(void **state)
{
	struct steering_table st, back;
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX], dir[] = "/tmp/cnroute-snap.XXXXXX";
	char path[512], tmp[600];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/table.snap", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(steering_table_init(&st), 0);
	assert_int_equal(steering_table_init(&back), 0);
	fill(&st);
	assert_int_equal(snapshot_save(path, &st, PREFIX, DB, READ_TIME, err),
		0);
	assert_int_equal(access(tmp, F_OK), -1);
	add_filing(&st, "later.example.com", FILING_ACTIVE);
	assert_int_equal(snapshot_save(path, &st, PREFIX, DB, READ_TIME + 5,
		err), 0);
	assert_int_equal(snapshot_load(path, PREFIX, DB, &back, &info, err),
		0);
	assert_int_equal(info.read_time, READ_TIME + 5);
	assert_int_equal(back.filings.count, 6);
	assert_same_decisions(&st, &back);
	assert_int_equal(snapshot_load("/nonexistent/x.snap", PREFIX, DB,
		&back, &info, err), -1);
	assert_non_null(strstr(err, "No such file"));
	unlink(path);
	rmdir(dir);
	steering_table_destroy(&st);
	steering_table_destroy(&back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_save_atomic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
