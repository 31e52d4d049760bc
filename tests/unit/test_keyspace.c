/*
 * test_keyspace.c - unit tests of the keyspace: Redis keys, as read, to
 * the steering table (keyspace.h).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Keys are applied through a steering_writer as the sync thread applies
 * them: one key per incremental batch (a notification), several keys in
 * one batch, full reconciliations (keyspace_full_begin/end, the sweep)
 * and fresh loads; the table is then judged by steering_table_decide for
 * a mainland client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "cnroute/dname.h"
#include "cnroute/keyspace.h"
#include "cnroute/steering.h"

/** The prefix of every key here. */
#define PREFIX "cnroute:"

/** How keys are applied. */
enum mode {
	/** each key in a batch of its own (notifications) */
	MODE_EACH = 0,
	/** all keys in one incremental batch */
	MODE_BATCH,
	/** one full reconciliation of a table loaded before */
	MODE_FULL,
	/** a fresh load */
	MODE_FRESH,
	/** number of modes */
	MODE_COUNT
};

/** Names of the modes, for messages. */
static const char *const mode_names[MODE_COUNT] = { "each", "batch", "full",
	"fresh" };

/** What a key held, as keyspace_apply takes it. */
struct rec {
	/** its shape */
	enum record_shape shape;
	/** fields (RECORD_HASH) */
	struct record_field f[4];
	/** their number */
	size_t count;
};

/** A table, its keyspace, the open batch and the reports received. */
struct fx {
	/** the table */
	struct steering_table st;
	/** the keyspace */
	struct keyspace ks;
	/** the batch */
	struct steering_writer w;
	/** whether a batch is open */
	int open;
	/** the open batch is a full reconciliation (1) or fresh load (2) */
	int full;
	/** reports received, per note */
	int reports[KEYSPACE_SPELLINGS + 1];
	/** the last report */
	char last[1024];
};

/** keyspace_report_fn: count, keep the last message. */
static void
on_report(void *ctx, const struct keyspace_report *r)
{
	struct fx *fx = ctx;

	assert_true(r->note >= KEYSPACE_BAD_NAME &&
		r->note <= KEYSPACE_SPELLINGS);
	/* a collision names its name; a bad key is named */
	if(r->note == KEYSPACE_SPELLINGS)
		assert_non_null(r->name);
	else
		assert_non_null(r->key);
	fx->reports[r->note]++;
	snprintf(fx->last, sizeof(fx->last), "%s", r->message);
}

/** Set up a fixture in *state. */
static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if(fx == NULL || steering_table_init(&fx->st) != 0 ||
		keyspace_init(&fx->ks, PREFIX, on_report, fx) != 0)
		return -1;
	*state = fx;
	return 0;
}

/** Free the fixture in *state. */
static int
teardown(void **state)
{
	struct fx *fx = *state;

	if(fx->open)
		steering_writer_abort(&fx->w);
	keyspace_free(&fx->ks);
	steering_table_destroy(&fx->st);
	free(fx);
	return 0;
}

/** Empty the fixture: a new table and keyspace, no reports. */
static void
reset(struct fx *fx)
{
	assert_false(fx->open);
	keyspace_free(&fx->ks);
	steering_table_destroy(&fx->st);
	memset(fx, 0, sizeof(*fx));
	assert_int_equal(steering_table_init(&fx->st), 0);
	assert_int_equal(keyspace_init(&fx->ks, PREFIX, on_report, fx), 0);
}

/** Total reports received. */
static int
reports(const struct fx *fx)
{
	int i, n = 0;

	for(i = 0; i <= KEYSPACE_SPELLINGS; i++)
		n += fx->reports[i];
	return n;
}

/** A field from two C strings. */
static struct record_field
field(const char *name, const char *value)
{
	struct record_field f;

	f.name = name;
	f.name_len = strlen(name);
	f.value = value;
	f.value_len = strlen(value);
	return f;
}

/** A filing hash with a status (NULL: a hash without one). */
static struct rec
filing(const char *status)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.shape = RECORD_HASH;
	r.f[r.count++] = field("icp", "京ICP备12345678号-1");
	if(status != NULL)
		r.f[r.count++] = field("status", status);
	return r;
}

/** A route hash. */
static struct rec
route(const char *cn, const char *offshore)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.shape = RECORD_HASH;
	r.f[r.count++] = field("cn", cn);
	r.f[r.count++] = field("offshore", offshore);
	return r;
}

/** A key of another shape (missing, not a hash, ...). */
static struct rec
shaped(enum record_shape shape)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.shape = shape;
	return r;
}

/** Begin a batch: incremental (full 0), full reconciliation (1), fresh
 *  load (2). */
static void
begin(struct fx *fx, int full)
{
	uint32_t seen = full ? keyspace_full_begin(&fx->ks, full == 2) :
		fx->ks.generation;

	assert_false(fx->open);
	assert_int_equal(steering_writer_begin(&fx->w, &fx->st, full == 2,
		seen), 0);
	fx->open = 1;
	fx->full = full;
}

/** Apply a key in the open batch. */
static void
put(struct fx *fx, const char *key, struct rec r)
{
	assert_true(fx->open);
	assert_int_equal(keyspace_apply(&fx->ks, &fx->w, key, strlen(key),
		r.shape, r.f, r.count), 0);
}

/** Commit the open batch (a full one ends as the sync thread ends it). */
static void
end(struct fx *fx)
{
	assert_true(fx->open);
	if(fx->full) {
		assert_int_equal(keyspace_full_end(&fx->ks, &fx->w), 0);
		assert_true(steering_writer_sweep(&fx->w) >= 0);
	}
	assert_true(steering_writer_commit(&fx->w, NULL, NULL) >= 0);
	if(fx->full)
		steering_table_set_loaded(&fx->st);
	fx->open = 0;
}

/** Apply one key in a batch of its own (a notification). */
static void
notify(struct fx *fx, const char *key, struct rec r)
{
	begin(fx, 0);
	put(fx, key, r);
	end(fx);
}

/** One key and what it held. */
struct kv {
	/** the key */
	const char *key;
	/** its value */
	struct rec r;
};

/** Apply keys in a mode (MODE_FULL and MODE_FRESH read only these). */
static void
apply_all(struct fx *fx, enum mode mode, const struct kv *kv, size_t n)
{
	size_t i;

	if(mode == MODE_EACH) {
		for(i = 0; i < n; i++)
			notify(fx, kv[i].key, kv[i].r);
		return;
	}
	begin(fx, mode == MODE_BATCH ? 0 : mode == MODE_FULL ? 1 : 2);
	for(i = 0; i < n; i++)
		put(fx, kv[i].key, kv[i].r);
	end(fx);
}

/** steering_alloc_fn over a static buffer, reset per decision. */
static void *
buf_alloc(void *ctx, size_t size)
{
	static uint8_t buf[4096];
	size_t *used = ctx;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if(*used + size > sizeof(buf))
		return NULL;
	p = buf + *used;
	*used += size;
	return p;
}

/** Region callback: mainland; counts its calls. */
static int
mainland(void *ctx)
{
	(*(int *)ctx)++;
	return 1;
}

/** The decision for a mainland client asking an A query. */
static struct steering_decision
decide(struct fx *fx, const char *name)
{
	struct steering_decision d;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len, used = 0;
	int calls = 0;

	if(dname_from_text(name, wire, &len) != 0)
		fail_msg("bad test name '%s'", name);
	assert_int_equal(steering_table_decide(&fx->st, wire, len,
		STEER_TYPE_A, 60, mainland, &calls, buf_alloc, &used, &d), 0);
	/* the region is asked exactly when it decides */
	assert_int_equal(calls, d.region_dependent ? 1 : 0);
	return d;
}

/** The pool a mainland client gets (STEER_POOL_NONE: unmanaged). */
static enum steering_pool
pool(struct fx *fx, const char *name)
{
	return decide(fx, name).pool;
}

/** The covering filing's status a decision finds (the name managed). */
static enum filing_status
filing_of(struct fx *fx, const char *name)
{
	struct steering_decision d = decide(fx, name);

	assert_int_not_equal(d.action, STEER_UNMANAGED);
	return d.filing;
}

/** Assert an A answer with one address, given as text. */
static void
assert_answer(struct fx *fx, const char *name, const char *addr)
{
	struct steering_decision d = decide(fx, name);
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	if(d.action != STEER_ADDRESSES || d.addr_count != 1 ||
		memcmp(d.addrs, a, 4) != 0)
		fail_msg("%s: expected %s (action %d, %u addresses, first "
			"%u.%u.%u.%u)", name, addr, d.action, d.addr_count,
			d.addrs ? d.addrs[0] : 0, d.addrs ? d.addrs[1] : 0,
			d.addrs ? d.addrs[2] : 0, d.addrs ? d.addrs[3] : 0);
}

/**
 * A filing key that can't be read under an active parent is an invalid
 * filing: it ends the walk up the name, so names under it are not active,
 * while names beside it still are; in every mode of application, and
 * back and forth through notifications.
 */
static void
test_invalid_subfiling(void **state)
{
	struct fx *fx = *state;
	struct rec bad[6];
	size_t b;
	int m;

	bad[0] = shaped(RECORD_NOT_HASH);
	bad[1] = shaped(RECORD_TOO_MANY_FIELDS);
	bad[2] = shaped(RECORD_UNREADABLE);
	bad[3] = filing(NULL);
	bad[4] = filing("expired");
	bad[5] = filing("active");
	bad[5].count = RECORD_FIELDS_MAX + 1; /* more fields than read */
	for(b = 0; b < 6; b++) {
		for(m = 0; m < MODE_COUNT; m++) {
			const struct kv kv[] = {
				{ "cnroute:route:*.example.com",
					route("10.0.0.1", "192.0.2.1") },
				{ "cnroute:filing:example.com",
					filing("active") },
				{ "cnroute:filing:sub.example.com", bad[b] },
			};
			struct rec many = bad[b];
			struct record_field fields[RECORD_FIELDS_MAX + 1];
			if(b == 5) {
				/* fields beyond f[]: give it a real array */
				size_t i;
				for(i = 0; i < RECORD_FIELDS_MAX + 1; i++)
					fields[i] = field("status", "active");
				begin(fx, 0);
				put(fx, "cnroute:route:*.example.com",
					kv[0].r);
				put(fx, "cnroute:filing:example.com",
					kv[1].r);
				assert_int_equal(keyspace_apply(&fx->ks,
					&fx->w, kv[2].key, strlen(kv[2].key),
					RECORD_HASH, fields, many.count), 0);
				end(fx);
			} else {
				apply_all(fx, (enum mode)m, kv, 3);
			}
			print_message("bad sub-filing %zu, %s\n", b,
				mode_names[m]);
			assert_int_equal(filing_of(fx, "www.sub.example.com"),
				FILING_INVALID);
			assert_int_equal(pool(fx, "www.sub.example.com"),
				STEER_POOL_OFFSHORE);
			assert_int_equal(pool(fx, "a.b.sub.example.com"),
				STEER_POOL_OFFSHORE);
			assert_int_equal(pool(fx, "www.example.com"),
				STEER_POOL_CN);
			assert_int_equal(fx->reports[KEYSPACE_BAD_FILING], 1);
			/* fixed: active again; gone: the parent decides;
			 * broken again: offshore again */
			notify(fx, kv[2].key, filing("active"));
			assert_int_equal(pool(fx, "www.sub.example.com"),
				STEER_POOL_CN);
			notify(fx, kv[2].key, shaped(RECORD_MISSING));
			assert_int_equal(pool(fx, "www.sub.example.com"),
				STEER_POOL_CN);
			notify(fx, kv[2].key, shaped(RECORD_NOT_HASH));
			assert_int_equal(pool(fx, "www.sub.example.com"),
				STEER_POOL_OFFSHORE);
			reset(fx);
			if(b == 5)
				break;
		}
	}
}

/**
 * A filing on a public suffix is invalid: it covers nothing, and stops
 * the walk for names without a filing of their own below it.
 */
static void
test_public_suffix_filing(void **state)
{
	struct fx *fx = *state;
	int m;

	for(m = 0; m < MODE_COUNT; m++) {
		const struct kv kv[] = {
			{ "cnroute:filing:com.cn", filing("active") },
			{ "cnroute:filing:github.io", filing("active") },
			{ "cnroute:filing:example.com.cn", filing("active") },
			{ "cnroute:route:*.com.cn",
				route("10.0.0.1", "192.0.2.1") },
			{ "cnroute:route:*.github.io",
				route("10.0.0.1", "192.0.2.1") },
		};
		apply_all(fx, (enum mode)m, kv, 5);
		assert_int_equal(filing_of(fx, "www.other.com.cn"),
			FILING_INVALID);
		assert_int_equal(pool(fx, "www.other.com.cn"),
			STEER_POOL_OFFSHORE);
		assert_int_equal(pool(fx, "user.github.io"),
			STEER_POOL_OFFSHORE);
		assert_int_equal(pool(fx, "www.example.com.cn"),
			STEER_POOL_CN);
		assert_int_equal(fx->reports[KEYSPACE_BAD_FILING], 2);
		assert_non_null(strstr(fx->last, "public suffix"));
		reset(fx);
	}
}

/** The filing keys of example.com used by the spelling tests. */
static const char *const filing_keys[3] = { "cnroute:filing:example.com",
	"cnroute:filing:Example.com", "cnroute:filing:example.com." };

/** The permutations of three items. */
static const int perm3[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 },
	{ 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };

/**
 * Two spellings of one filing: active only if both are, whichever comes
 * first and however they are applied.
 */
static void
test_filing_two_spellings(void **state)
{
	struct fx *fx = *state;
	static const char *const pairs[4][2] = { { "active", "active" },
		{ "active", "revoked" }, { "revoked", "active" },
		{ "pending", "active" } };
	int m, p, order;

	for(m = 0; m < MODE_COUNT; m++)
	for(p = 0; p < 4; p++)
	for(order = 0; order < 2; order++) {
		int active = p == 0;
		struct kv kv[3];
		kv[0].key = "cnroute:route:www.example.com";
		kv[0].r = route("10.0.0.1", "192.0.2.1");
		kv[1 + order].key = filing_keys[0];
		kv[1 + order].r = filing(pairs[p][0]);
		kv[2 - order].key = filing_keys[1];
		kv[2 - order].r = filing(pairs[p][1]);
		apply_all(fx, (enum mode)m, kv, 3);
		if(pool(fx, "www.example.com") !=
			(active ? STEER_POOL_CN : STEER_POOL_OFFSHORE))
			fail_msg("%s/%s, order %d, %s: wrong pool",
				pairs[p][0], pairs[p][1], order,
				mode_names[m]);
		assert_int_equal(fx->reports[KEYSPACE_SPELLINGS], 1);
		assert_non_null(strstr(fx->last, "2 keys"));
		/* the disagreeing spelling deleted: active */
		if(!active) {
			notify(fx, filing_keys[strcmp(pairs[p][0], "active") ?
				0 : 1], shaped(RECORD_MISSING));
			assert_int_equal(pool(fx, "www.example.com"),
				STEER_POOL_CN);
		}
		reset(fx);
	}
}

/**
 * Three spellings of one filing, in every order of application: active
 * only if all three are (revoked or invalid in any one is enough); then
 * deleting spellings one by one, the filing is active exactly when every
 * spelling left is, and none left is no filing.
 */
static void
test_filing_three_spellings(void **state)
{
	struct fx *fx = *state;
	int m, o, bad, kind, i, j;

	for(m = 0; m < MODE_COUNT; m++)
	for(o = 0; o < 6; o++)
	for(bad = -1; bad < 3; bad++)
	for(kind = 0; kind < (bad < 0 ? 1 : 2); kind++) {
		struct kv kv[4];
		int left[3] = { 1, 1, 1 };
		kv[0].key = "cnroute:route:www.example.com";
		kv[0].r = route("10.0.0.1", "192.0.2.1");
		for(i = 0; i < 3; i++) {
			int k = perm3[o][i];
			kv[1 + i].key = filing_keys[k];
			kv[1 + i].r = k != bad ? filing("active") : kind ?
				shaped(RECORD_NOT_HASH) : filing("revoked");
		}
		apply_all(fx, (enum mode)m, kv, 4);
		if(pool(fx, "www.example.com") != (bad < 0 ? STEER_POOL_CN :
			STEER_POOL_OFFSHORE))
			fail_msg("order %d, spelling %d %s, %s: wrong pool",
				o, bad, kind ? "not a hash" : "revoked",
				mode_names[m]);
		assert_non_null(strstr(fx->last, "3 keys"));
		/* delete in the order of perm o */
		for(i = 0; i < 3; i++) {
			int k = perm3[o][i], any_bad = 0, any_left = 0;
			notify(fx, filing_keys[k], shaped(RECORD_MISSING));
			left[k] = 0;
			for(j = 0; j < 3; j++) {
				any_left |= left[j];
				any_bad |= left[j] && j == bad;
			}
			if(!any_left)
				assert_int_equal(filing_of(fx,
					"www.example.com"), FILING_NONE);
			else
				assert_int_equal(pool(fx, "www.example.com"),
					any_bad ? STEER_POOL_OFFSHORE :
					STEER_POOL_CN);
		}
		assert_int_equal(fx->ks.filing_sets.count, 0);
		reset(fx);
	}
}

/**
 * A key deleted that was never read (a spelling of a name the keyspace
 * knows under its canonical key only) changes nothing.
 */
static void
test_unknown_spelling_deleted(void **state)
{
	struct fx *fx = *state;
	int m;

	for(m = 0; m < MODE_COUNT; m++) {
		const struct kv kv[] = {
			{ "cnroute:route:www.example.com",
				route("10.0.0.1", "192.0.2.1") },
			{ filing_keys[0], filing("active") },
			{ filing_keys[1], shaped(RECORD_MISSING) },
			{ filing_keys[2], shaped(RECORD_MISSING) },
			{ "cnroute:route:WWW.example.com",
				shaped(RECORD_MISSING) },
		};
		apply_all(fx, (enum mode)m, kv, 5);
		notify(fx, filing_keys[1], shaped(RECORD_MISSING));
		notify(fx, "cnroute:route:www.example.com.",
			shaped(RECORD_MISSING));
		assert_int_equal(pool(fx, "www.example.com"), STEER_POOL_CN);
		assert_int_equal(fx->ks.filing_sets.count, 0);
		assert_int_equal(fx->ks.route_sets.count, 0);
		assert_int_equal(reports(fx), 0);
		reset(fx);
	}
}

/** The route keys of www.example.com and the address each answers. */
static const struct {
	/** the key */
	const char *key;
	/** its offshore address */
	const char *addr;
} route_keys[4] = {
	{ "cnroute:route:www.example.com", "192.0.2.10" },
	{ "cnroute:route:WWW.example.com", "192.0.2.11" },
	{ "cnroute:route:www.example.com.", "192.0.2.12" },
	{ "cnroute:route:Www.Example.com", "192.0.2.13" },
};

/**
 * Several keys of one route: the canonical spelling wins whatever the
 * order of application; without it, the first key in byte order
 * (WWW.example.com < Www.Example.com < www.example.com.); deleting the
 * winner hands over to the next one.
 */
static void
test_route_spellings(void **state)
{
	struct fx *fx = *state;
	static const int next[4] = { 1, 3, 0, 2 };
	int m, p, i, k;

	for(m = 0; m < MODE_COUNT; m++)
	for(p = 0; p < 24; p++) {
		/* permutation p of the four keys */
		int order[4] = { 0, 1, 2, 3 }, rest = p;
		struct kv kv[4];
		for(i = 0; i < 4; i++) {
			int pick = i + rest % (4 - i), t;
			rest /= 4 - i;
			t = order[i];
			order[i] = order[pick];
			order[pick] = t;
			kv[i].key = route_keys[order[i]].key;
			kv[i].r = route("", route_keys[order[i]].addr);
		}
		apply_all(fx, (enum mode)m, kv, 4);
		assert_answer(fx, "www.example.com", route_keys[0].addr);
		/* delete the winner each time: canonical, then byte order */
		for(i = 0, k = 0; i < 3; i++, k = next[k]) {
			notify(fx, route_keys[k].key, shaped(RECORD_MISSING));
			assert_answer(fx, "www.example.com",
				route_keys[next[k]].addr);
		}
		notify(fx, route_keys[2].key, shaped(RECORD_MISSING));
		assert_int_equal(pool(fx, "www.example.com"), STEER_POOL_NONE);
		assert_int_equal(fx->ks.route_sets.count, 0);
		reset(fx);
	}
}

/**
 * A canonical route key that can't be read does not win: a readable
 * spelling is used; the canonical one wins again once it is fixed.
 */
static void
test_route_spelling_unreadable(void **state)
{
	struct fx *fx = *state;
	int m;

	for(m = 0; m < MODE_COUNT; m++) {
		const struct kv kv[] = {
			{ route_keys[0].key, route("", "192.0.2.999") },
			{ route_keys[3].key, route("", route_keys[3].addr) },
			{ route_keys[1].key, shaped(RECORD_NOT_HASH) },
		};
		apply_all(fx, (enum mode)m, kv, 3);
		assert_answer(fx, "www.example.com", route_keys[3].addr);
		assert_int_equal(fx->reports[KEYSPACE_BAD_ROUTE], 2);
		notify(fx, route_keys[0].key, route("", route_keys[0].addr));
		assert_answer(fx, "www.example.com", route_keys[0].addr);
		notify(fx, route_keys[1].key, route("", route_keys[1].addr));
		assert_answer(fx, "www.example.com", route_keys[0].addr);
		notify(fx, route_keys[0].key, shaped(RECORD_NOT_HASH));
		assert_answer(fx, "www.example.com", route_keys[1].addr);
		reset(fx);
	}
}

/**
 * Unicode keys count as their A-labels: a filing and routes written in
 * Unicode steer the query name in A-labels, and are spellings of the
 * same names as the A-label keys.
 */
static void
test_unicode_keys(void **state)
{
	struct fx *fx = *state;
	int m;

	for(m = 0; m < MODE_COUNT; m++) {
		const struct kv kv[] = {
			{ "cnroute:filing:例子.中国", filing("active") },
			{ "cnroute:route:www.例子.中国",
				route("10.0.0.1", "192.0.2.1") },
			{ "cnroute:route:*.图片.例子.中国",
				route("10.0.0.2", "192.0.2.2") },
		};
		apply_all(fx, (enum mode)m, kv, 3);
		assert_int_equal(reports(fx), 0);
		assert_answer(fx, "www.xn--fsqu00a.xn--fiqs8s", "10.0.0.1");
		assert_answer(fx, "a.xn--wcsw84d.xn--fsqu00a.xn--fiqs8s",
			"10.0.0.2");
		/* the A-label key of the same filing, revoked */
		notify(fx, "cnroute:filing:xn--fsqu00a.xn--fiqs8s",
			filing("revoked"));
		assert_int_equal(fx->reports[KEYSPACE_SPELLINGS], 1);
		assert_answer(fx, "www.xn--fsqu00a.xn--fiqs8s", "192.0.2.1");
		/* the canonical route key wins over the Unicode one */
		notify(fx, "cnroute:route:www.xn--fsqu00a.xn--fiqs8s",
			route("10.0.0.3", "192.0.2.3"));
		assert_answer(fx, "www.xn--fsqu00a.xn--fiqs8s", "192.0.2.3");
		notify(fx, "cnroute:filing:xn--fsqu00a.xn--fiqs8s",
			filing("active"));
		assert_answer(fx, "www.xn--fsqu00a.xn--fiqs8s", "10.0.0.3");
		reset(fx);
	}
}

/** Full reconciliations applying the same keys; @return reports. */
static int
cycles(struct fx *fx, const struct kv *kv, size_t n, int count)
{
	int before = reports(fx), i;

	for(i = 0; i < count; i++)
		apply_all(fx, MODE_FULL, kv, n);
	return reports(fx) - before;
}

/**
 * A bad key is reported once: not again when it is read unchanged (by
 * notifications or reconciliations), again when it changes, and again
 * when it breaks after it was fixed or deleted, or after a
 * reconciliation found it gone.
 */
static void
test_reports_once(void **state)
{
	struct fx *fx = *state;
	static const char *const keys[3] = { "cnroute:filing:example.com",
		"cnroute:route:www.example.com", "cnroute:filing:a..b" };
	struct rec bad1[3], bad2[3], good[3];
	enum keyspace_note notes[3] = { KEYSPACE_BAD_FILING,
		KEYSPACE_BAD_ROUTE, KEYSPACE_BAD_NAME };
	int k, before;

	bad1[0] = shaped(RECORD_NOT_HASH);
	bad2[0] = filing("expired");
	good[0] = filing("active");
	bad1[1] = route("", "192.0.2.999");
	bad2[1] = route("", "192.0.2.998");
	good[1] = route("", "192.0.2.1");
	bad1[2] = filing("active");
	bad2[2] = filing("revoked");
	good[2] = shaped(RECORD_MISSING); /* a bad name is only ever gone */
	for(k = 0; k < 3; k++) {
		struct kv kv = { keys[k], bad1[k] };
		print_message("%s\n", keys[k]);
		notify(fx, keys[k], bad1[k]);
		assert_int_equal(fx->reports[notes[k]], 1);
		assert_non_null(strstr(fx->last, keys[k]));
		/* unchanged: by notification, across reconciliations */
		notify(fx, keys[k], bad1[k]);
		assert_int_equal(cycles(fx, &kv, 1, 3), 0);
		notify(fx, keys[k], bad1[k]);
		assert_int_equal(reports(fx), 1);
		/* changed (a bad name stays as bad, whatever it holds) */
		notify(fx, keys[k], bad2[k]);
		assert_int_equal(reports(fx), k == 2 ? 1 : 2);
		kv.r = bad2[k];
		assert_int_equal(cycles(fx, &kv, 1, 2), 0);
		before = reports(fx);
		/* fixed (or deleted), then broken again as the first time */
		notify(fx, keys[k], good[k]);
		assert_int_equal(reports(fx), before);
		notify(fx, keys[k], bad1[k]);
		assert_int_equal(reports(fx), before + 1);
		/* deleted and back */
		notify(fx, keys[k], shaped(RECORD_MISSING));
		notify(fx, keys[k], bad1[k]);
		assert_int_equal(reports(fx), before + 2);
		/* a reconciliation without it forgets it: back, reported */
		assert_int_equal(cycles(fx, NULL, 0, 1), 0);
		kv.r = bad1[k];
		assert_int_equal(cycles(fx, &kv, 1, 2), 1);
		reset(fx);
	}
}

/**
 * A name under several keys is reported once per change of what its
 * keys say, not at every reconciliation.
 */
static void
test_spellings_reported_once(void **state)
{
	struct fx *fx = *state;
	struct kv kv[2];

	kv[0].key = filing_keys[0];
	kv[0].r = filing("active");
	kv[1].key = filing_keys[1];
	kv[1].r = filing("active");
	apply_all(fx, MODE_FULL, kv, 2);
	assert_int_equal(fx->reports[KEYSPACE_SPELLINGS], 1);
	assert_non_null(strstr(fx->last, "Example.com"));
	assert_int_equal(cycles(fx, kv, 2, 3), 0);
	notify(fx, kv[1].key, kv[1].r);
	assert_int_equal(reports(fx), 1);
	kv[1].r = filing("revoked");
	assert_int_equal(cycles(fx, kv, 2, 3), 1);
	assert_non_null(strstr(fx->last, "revoked"));
}

/**
 * keyspace_full_end drops the spellings a reconciliation did not read
 * and writes the name's value again from the ones left: in a full
 * reconciliation and in a fresh load, for filings and routes.
 */
static void
test_full_end_drops_unseen(void **state)
{
	struct fx *fx = *state;
	const struct kv all[] = {
		{ "cnroute:route:*.example.com", route("10.0.0.1",
			"192.0.2.1") },
		{ filing_keys[0], filing("active") },
		{ filing_keys[1], filing("revoked") },
		{ route_keys[0].key, route("10.0.0.10", route_keys[0].addr) },
		{ route_keys[1].key, route("10.0.0.11", route_keys[1].addr) },
	};
	int fresh;

	for(fresh = 0; fresh < 2; fresh++) {
		apply_all(fx, MODE_EACH, all, 5);
		assert_int_equal(pool(fx, "a.example.com"),
			STEER_POOL_OFFSHORE);
		assert_answer(fx, "www.example.com", route_keys[0].addr);
		/* the revoked spelling and the canonical route are gone */
		{
			const struct kv seen[] = { all[0], all[1], all[4] };
			apply_all(fx, fresh ? MODE_FRESH : MODE_FULL, seen, 3);
		}
		assert_int_equal(pool(fx, "a.example.com"), STEER_POOL_CN);
		assert_answer(fx, "www.example.com", "10.0.0.11");
		assert_int_equal(fx->ks.filing_sets.count, 0);
		assert_int_equal(fx->ks.route_sets.count, 1);
		/* only the canonical filing key was seen: no set left;
		 * then none of the route keys: unmanaged */
		{
			const struct kv seen[] = { all[0], all[1] };
			apply_all(fx, fresh ? MODE_FRESH : MODE_FULL, seen, 2);
		}
		assert_int_equal(pool(fx, "www.example.com"), STEER_POOL_CN);
		assert_answer(fx, "www.example.com", "10.0.0.1");
		assert_int_equal(fx->ks.route_sets.count, 0);
		/* nothing seen: nothing left */
		apply_all(fx, fresh ? MODE_FRESH : MODE_FULL, NULL, 0);
		assert_int_equal(pool(fx, "a.example.com"), STEER_POOL_NONE);
		assert_int_equal(fx->st.filings.count + fx->st.routes.count,
			0);
		reset(fx);
	}
}

/**
 * A non-canonical key of a name whose table value came from the
 * canonical key alone (no spelling set yet), then the canonical key
 * again: the name's value is merged from the keys as they are now. Here
 * the name has a byte that is printed escaped ("a$b.com"); its canonical
 * key is "cnroute:filing:a$b.com" (no escape), and restoring that filing
 * must make the name active.
 */
static void
test_special_byte_filing(void **state)
{
	struct fx *fx = *state;

	notify(fx, "cnroute:route:www.a$b.com", route("10.0.0.1",
		"192.0.2.1"));
	notify(fx, "cnroute:filing:a$b.com", filing("revoked"));
	notify(fx, "cnroute:filing:A$b.com", filing("active"));
	assert_int_equal(pool(fx, "www.a$b.com"), STEER_POOL_OFFSHORE);
	/* the canonical key restored: both keys say active */
	notify(fx, "cnroute:filing:a$b.com", filing("active"));
	print_message("last report: %s\n", fx->last);
	assert_int_equal(pool(fx, "www.a$b.com"), STEER_POOL_CN);
}

/**
 * The same for a route: the canonical key of "www.a@b.com" changed, then
 * deleted, must answer with its new value, then the other key's.
 */
static void
test_special_byte_route(void **state)
{
	struct fx *fx = *state;

	notify(fx, "cnroute:route:www.a@b.com", route("", "192.0.2.1"));
	notify(fx, "cnroute:route:WWW.a@b.com", route("", "192.0.2.2"));
	assert_answer(fx, "www.a@b.com", "192.0.2.1");
	notify(fx, "cnroute:route:www.a@b.com", route("", "192.0.2.3"));
	print_message("last report: %s\n", fx->last);
	assert_answer(fx, "www.a@b.com", "192.0.2.3");
	notify(fx, "cnroute:route:www.a@b.com", shaped(RECORD_MISSING));
	assert_answer(fx, "www.a@b.com", "192.0.2.2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_invalid_subfiling, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_public_suffix_filing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_filing_two_spellings,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_filing_three_spellings,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_spelling_deleted,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_spellings, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_route_spelling_unreadable,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_unicode_keys, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_reports_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_spellings_reported_once,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_end_drops_unseen,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_byte_filing,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_byte_route,
			setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
