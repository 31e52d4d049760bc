/*
 * fuzz_sync_reply.c - fuzz target: arbitrary Redis replies through the
 * sync thread's apply path (sync_apply_reply, the keyspace, the writer).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Linked with plugin/sync/sync_apply.c and hiredis by the Makefile.
 *
 * Input: a control byte, a byte of batch modes, the key text up to the
 * first '\n' (names separated by '|'), then RESP bytes. The RESP bytes
 * are parsed with hiredis's own reader (any type, any nesting, any
 * bytes), and each reply is applied as the HGETALL reply of a key built
 * from the key text: most often "cnroute:filing:" or "cnroute:route:" +
 * one of the names, spelt in turn as written, upper case, with a
 * trailing dot, lower case and with an escape, so that several keys
 * spell one name. Control bits 0-1: the key (0 a filing, 1 a route, 2
 * the prefix + the text, 3 the text alone); bit 2: the kind changes with
 * every reply; bit 3: the spelling changes with every round of names;
 * bits 4-5: replies per batch, 1 to 4. Batch k is an incremental batch,
 * a full reconciliation or a fresh load as bits 2(k%4) and 2(k%4)+1 of
 * the modes byte say (0 and 3 incremental, 1 full, 2 fresh). A protocol
 * error of the reader drops the batch open then (the module drops the
 * connection, and the batch with it). Checked:
 *  - after each commit, as long as no batch was dropped and no full
 *    reconciliation since the last fresh load left keys unread (which
 *    may keep a value one reconciliation longer, by design), the table is
 *    exactly what a fresh load of the current value of every key gives:
 *    what the keys say does not depend on the order they came in;
 *  - decisions for the names never give the CN pool without an active
 *    filing (of the name and, through a CNAME chain, of the alias);
 *  - the final value of every key, applied again in three full
 *    reconciliations, gives exactly the table a fresh load of the same
 *    values in the reverse order gives, and the third reconciliation,
 *    which changes nothing, reports nothing;
 *  - a full reconciliation that reads no key leaves the table, the
 *    spelling sets and the report memo empty;
 *  - no report carries a control byte (a forged log line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#include "cnroute/dname.h"
#include "cnroute/keys.h"
#include "cnroute/keyspace.h"
#include "cnroute/steering.h"
#include "sync_apply.h"

/** The key prefix the target uses. */
#define PREFIX "cnroute:"
/** Most replies applied from one input. */
#define MAX_REPLIES 48
/** Most names in the key text. */
#define MAX_NAMES 4
/** Longest key built. */
#define KEY_MAX 1200
/** Largest array the reader may build (hiredis 0.14 would calloc any
 *  count it is sent, up to 2^31 pointers: not the code under test). */
#define MAX_ARRAY 4096

/** libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Stop the fuzzer on a broken invariant (abort is seen as a crash). */
static void
check(int ok)
{
	if(!ok)
		abort();
}

/** Reports received. */
static size_t reports;

/** keyspace_report_fn: count, and check the message is one clean line. */
static void
on_report(void *ctx, const struct keyspace_report *r)
{
	const char *message = r->message;
	size_t i, n = strlen(message);

	(void)ctx;
	check(r->note >= KEYSPACE_BAD_NAME && r->note <= KEYSPACE_SPELLINGS);
	check(r->note == KEYSPACE_SPELLINGS ? r->name != NULL :
		r->key != NULL);
	check(n > 0 && n < 1024);
	for(i = 0; i < n; i++)
		check((unsigned char)message[i] >= 0x20 &&
			(unsigned char)message[i] != 0x7f);
	reports++;
}

/** steering_region_fn: every client is mainland. */
static int
mainland(void *ctx)
{
	(void)ctx;
	return 1;
}

/** steering_alloc_fn over a bump buffer. */
static void *
bump_alloc(void *ctx, size_t size)
{
	static uint8_t buf[16384];
	size_t *used = ctx;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if(*used + size > sizeof(buf))
		return NULL;
	p = buf + *used;
	*used += size;
	return p;
}

/** hiredis's own object functions, wrapped by capped_array. */
static redisReplyObjectFunctions hiredis_fn, capped_fn;

/** createArray that refuses absurd element counts (see MAX_ARRAY). */
static void *
capped_array(const redisReadTask *task, int elements)
{
	if(elements > MAX_ARRAY)
		return NULL;
	return hiredis_fn.createArray(task, elements);
}

/** The names of the key text. */
struct names {
	/** start of each name */
	const char *text[MAX_NAMES];
	/** length of each */
	size_t len[MAX_NAMES];
	/** number of names */
	size_t count;
};

/** Split the key text at '|'. */
static void
split_names(const char *text, size_t len, struct names *n)
{
	size_t pos = 0;

	n->count = 0;
	while(n->count < MAX_NAMES) {
		const char *bar = memchr(text + pos, '|', len - pos);
		size_t end = bar ? (size_t)(bar - text) : len;
		n->text[n->count] = text + pos;
		n->len[n->count++] = end - pos;
		if(bar == NULL)
			break;
		pos = end + 1;
	}
}

/**
 * Spell a name one of five ways: as written, upper case, with a trailing
 * dot, lower case, its first letter as a \DDD escape.
 * @param room: size of out (more than 8).
 * @return the length written to out.
 */
static size_t
spell(const char *name, size_t len, unsigned how, char *out, size_t room)
{
	size_t i, n = 0;
	int escaped = 0;

	for(i = 0; i < len && n + 8 < room; i++) {
		char c = name[i];
		if(how == 1 && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if(how == 3 && c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if(how == 4 && !escaped && ((c >= 'a' && c <= 'z') ||
			(c >= 'A' && c <= 'Z'))) {
			n += (size_t)snprintf(out + n, room - n, "\\%03u",
				(unsigned)(unsigned char)c);
			escaped = 1;
			continue;
		}
		out[n++] = c;
	}
	if(how == 2 && n + 1 < room)
		out[n++] = '.';
	return n;
}

/**
 * The key of reply i.
 * @param out: where the key goes, KEY_MAX bytes.
 * @return its length.
 */
static size_t
key_of(uint8_t control, const struct names *names, size_t i, char *out)
{
	static const char *const kinds[] = { "filing:", "route:" };
	unsigned kind = (control & 0x04) ? (unsigned)(control + i) & 3 :
		control & 3;
	unsigned how = (control & 0x08) ? (unsigned)(i / names->count) % 5 : 0;
	size_t which = i % names->count, n = 0;
	const char *name = names->text[which];
	size_t len = names->len[which];

	if(kind == 3) {
		/* the key text as it is: maybe not under the prefix */
		n = len < KEY_MAX ? len : KEY_MAX;
		memcpy(out, name, n);
		return n;
	}
	memcpy(out, PREFIX, sizeof(PREFIX) - 1);
	n = sizeof(PREFIX) - 1;
	if(kind < 2) {
		memcpy(out + n, kinds[kind], strlen(kinds[kind]));
		n += strlen(kinds[kind]);
	}
	return n + spell(name, len, how, out + n, KEY_MAX - n);
}

/** What the target keeps of one reply. */
struct applied {
	/** the key */
	char key[KEY_MAX];
	/** its length */
	size_t key_len;
	/** the reply (owned) */
	redisReply *reply;
	/** 1 when a later reply of the same key replaces this one */
	int superseded;
};

/** A batch in progress. */
struct batch {
	/** the writer */
	struct steering_writer w;
	/** 0 incremental, 1 full reconciliation, 2 fresh load */
	int mode;
	/** 1 while begun */
	int open;
};

/** Begin a batch of a mode. */
static void
batch_begin(struct batch *b, struct keyspace *ks, struct steering_table *st,
	int mode)
{
	uint32_t seen;

	b->mode = mode;
	if(mode == 0)
		seen = ks->generation;
	else
		seen = keyspace_full_begin(ks, mode == 2);
	if(steering_writer_begin(&b->w, st, mode == 2, seen) != 0) {
		if(mode != 0)
			keyspace_full_abort(ks, mode == 2);
		b->open = 0;
		return;
	}
	b->open = 1;
}

/**
 * End a batch as the sync thread does: full_end and sweep, commit.
 * @return 1 if committed, 0 if there was no batch or it was dropped.
 */
static int
batch_commit(struct batch *b, struct keyspace *ks)
{
	if(!b->open)
		return 0;
	b->open = 0;
	if(b->mode != 0 && (keyspace_full_end(ks, &b->w) != 0 ||
		steering_writer_sweep(&b->w) < 0)) {
		steering_writer_abort(&b->w);
		keyspace_full_abort(ks, b->mode == 2);
		return 0;
	}
	if(steering_writer_commit(&b->w, NULL, NULL) < 0)
		return 0;
	if(b->mode != 0)
		steering_table_set_loaded(b->w.live);
	return 1;
}

/** Drop a batch, as the sync thread does when the connection fails. */
static void
batch_abort(struct batch *b, struct keyspace *ks)
{
	if(!b->open)
		return;
	b->open = 0;
	steering_writer_abort(&b->w);
	if(b->mode != 0)
		keyspace_full_abort(ks, b->mode == 2);
}

/** Check the decisions for a name (and a name below it). */
static void
check_decisions(struct steering_table *st, const uint8_t *name,
	size_t len, const uint8_t *alias, size_t alias_len)
{
	static const uint16_t types[] = { STEER_TYPE_A, STEER_TYPE_AAAA,
		STEER_TYPE_CNAME, 16 };
	struct steering_decision d;
	uint8_t below[DNAME_MAX_WIRE];
	size_t used, i;

	for(i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		used = 0;
		if(steering_table_decide(st, name, len, types[i], 60,
			mainland, NULL, bump_alloc, &used, &d) == 0 &&
			d.pool == STEER_POOL_CN)
			check(d.filing == FILING_ACTIVE && d.region_dependent &&
				d.mainland == 1);
		if(d.action == STEER_UNMANAGED)
			check(d.pool == STEER_POOL_NONE &&
				!steering_table_is_managed(st, name, len));
		else
			check(steering_table_is_managed(st, name, len));
		used = 0;
		if(steering_table_answer_alias(st, alias, alias_len, name, len,
			types[i], 60, mainland, NULL, bump_alloc, &used,
			&d) == 0 && d.pool == STEER_POOL_CN)
			check(d.filing == FILING_ACTIVE &&
				d.alias_filing == FILING_ACTIVE);
	}
	/* "x." + name: reached through a wildcard rule */
	if(len + 2 <= DNAME_MAX_WIRE) {
		below[0] = 1;
		below[1] = 'x';
		memcpy(below + 2, name, len);
		used = 0;
		if(steering_table_decide(st, below, len + 2, STEER_TYPE_A, 60,
			mainland, NULL, bump_alloc, &used, &d) == 0 &&
			d.pool == STEER_POOL_CN)
			check(d.filing == FILING_ACTIVE);
	}
}

/** name_table_foreach argument: the other table to look entries up in. */
struct compare {
	/** the other table's filings or routes */
	const struct name_table *other;
	/** cleared on a difference */
	int same;
};

/** name_table_foreach callback: a filing of one table in the other. */
static void
compare_filing(const struct name_slot *slot, void *arg)
{
	struct compare *c = arg;

	if(name_table_lookup(c->other, slot->key, slot->key_len) !=
		slot->value)
		c->same = 0;
}

/** name_table_foreach callback: a route of one table in the other. */
static void
compare_route(const struct name_slot *slot, void *arg)
{
	struct compare *c = arg;

	if(!route_equal(name_table_lookup(c->other, slot->key, slot->key_len),
		slot->value))
		c->same = 0;
}

/** 1 if two tables hold the same filings and routes. */
static int
same_tables(struct steering_table *a, struct steering_table *b)
{
	struct compare c;

	if(a->filings.count != b->filings.count ||
		a->routes.count != b->routes.count)
		return 0;
	c.same = 1;
	c.other = &b->filings;
	name_table_foreach(&a->filings, compare_filing, &c);
	c.other = &b->routes;
	name_table_foreach(&a->routes, compare_route, &c);
	return c.same;
}

/**
 * The current value of every key, as the committed batches left them:
 * indices into the replies, one per key.
 */
struct model {
	/** index of the reply holding each key's current value */
	size_t idx[MAX_REPLIES];
	/** number of keys */
	size_t count;
	/** 0 once the table may legitimately differ from the model */
	int exact;
};

/** Set the current value of a key (reply k) in the model. */
static void
model_put(struct model *m, const struct applied *a, size_t k)
{
	size_t i;

	for(i = 0; i < m->count; i++) {
		const struct applied *x = &a[m->idx[i]];
		if(x->key_len == a[k].key_len &&
			memcmp(x->key, a[k].key, x->key_len) == 0) {
			m->idx[i] = k;
			return;
		}
	}
	m->idx[m->count++] = k;
}

/**
 * A batch of replies first..last-1 was committed: update the model.
 * @param mode: the batch's (a full or fresh one replaces every key).
 */
static void
model_commit(struct model *m, const struct applied *a, size_t first,
	size_t last, int mode)
{
	size_t k;

	if(mode != 0)
		m->count = 0;
	for(k = first; k < last; k++)
		model_put(m, a, k);
	if(mode == 1)
		m->exact = 0; /* stale spellings may live one more round */
	else if(mode == 2)
		m->exact = 1;
}

/**
 * The live table is what a fresh load of the model's values, in the
 * reverse order, gives.
 */
static void
model_check(const struct model *m, const struct applied *a,
	struct steering_table *live)
{
	struct steering_table st;
	struct keyspace ks;
	struct steering_writer w;
	size_t i;

	if(!m->exact)
		return;
	if(steering_table_init(&st) != 0)
		return;
	if(keyspace_init(&ks, PREFIX, NULL, NULL) != 0) {
		steering_table_destroy(&st);
		return;
	}
	if(steering_writer_begin(&w, &st, 1, keyspace_full_begin(&ks, 1)) ==
		0) {
		for(i = m->count; i > 0; i--) {
			const struct applied *x = &a[m->idx[i - 1]];
			(void)sync_apply_reply(&ks, &w, x->key, x->key_len,
				x->reply);
		}
		if(keyspace_full_end(&ks, &w) == 0 &&
			steering_writer_commit(&w, NULL, NULL) >= 0)
			check(same_tables(live, &st));
		else
			steering_writer_abort(&w);
	}
	keyspace_free(&ks);
	steering_table_destroy(&st);
}

/**
 * Apply the final value of every key in a full reconciliation.
 * @param fresh: as a fresh load.
 * @param reverse: in the reverse order.
 */
static void
reconcile(struct keyspace *ks, struct steering_table *st,
	struct applied *a, size_t n, int fresh, int reverse)
{
	struct batch b;
	size_t i;

	batch_begin(&b, ks, st, fresh ? 2 : 1);
	if(!b.open)
		return;
	for(i = 0; i < n; i++) {
		struct applied *x = &a[reverse ? n - 1 - i : i];
		if(!x->superseded)
			(void)sync_apply_reply(ks, &b.w, x->key, x->key_len,
				x->reply);
	}
	(void)batch_commit(&b, ks);
}

/** A batch ended (committed or not): bring the model along, check it. */
static void
batch_ended(int committed, struct model *m, const struct applied *a,
	size_t first, size_t last, int mode, struct steering_table *st)
{
	if(!committed) {
		m->exact = 0; /* the keyspace learnt what the table did not */
		return;
	}
	model_commit(m, a, first, last, mode);
	model_check(m, a, st);
}

/** libFuzzer entry point: one input, applied as described at the top. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct applied a[MAX_REPLIES];
	struct steering_table st, fresh_st;
	struct keyspace ks, fresh_ks;
	struct batch b;
	struct model model;
	struct names names;
	const char *text = (const char *)data + 2;
	const uint8_t *nl;
	redisReader *reader;
	size_t text_len, n = 0, i, j, batch_size, batch_fill = 0, batches = 0;
	size_t first = 0;
	uint8_t control, modes;
	int broken = 0, mode;

	if(size < 2)
		return 0;
	control = data[0];
	modes = data[1];
	nl = memchr(data + 2, '\n', size - 2);
	text_len = nl ? (size_t)(nl - data) - 2 : size - 2;
	split_names(text, text_len, &names);
	batch_size = 1 + ((control >> 4) & 3);
	reports = 0;
	if(steering_table_init(&st) != 0)
		return 0;
	if(keyspace_init(&ks, PREFIX, on_report, NULL) != 0) {
		steering_table_destroy(&st);
		return 0;
	}
	reader = redisReaderCreate();
	if(reader == NULL)
		abort();
	hiredis_fn = *reader->fn;
	capped_fn = hiredis_fn;
	capped_fn.createArray = capped_array;
	reader->fn = &capped_fn;
	if(nl != NULL && redisReaderFeed(reader, (const char *)nl + 1,
		size - (size_t)(nl - data) - 1) != REDIS_OK)
		broken = 1;

	b.open = 0;
	model.count = 0;
	model.exact = 1;
	while(!broken && n < MAX_REPLIES) {
		void *reply = NULL;
		if(redisReaderGetReply(reader, &reply) != REDIS_OK) {
			/* a protocol error: the connection would be dropped,
			 * and the batch with it */
			if(b.open)
				model.exact = 0;
			batch_abort(&b, &ks);
			broken = 1;
			break;
		}
		if(reply == NULL)
			break;
		if(batch_fill == 0) {
			mode = (modes >> (2 * (batches % 4))) & 3;
			batch_begin(&b, &ks, &st, mode == 3 ? 0 : mode);
			batches++;
			first = n;
		}
		a[n].reply = reply;
		a[n].superseded = 0;
		a[n].key_len = key_of(control, &names, n, a[n].key);
		if(b.open)
			(void)sync_apply_reply(&ks, &b.w, a[n].key,
				a[n].key_len, a[n].reply);
		n++;
		if(++batch_fill == batch_size) {
			batch_ended(batch_commit(&b, &ks), &model, a, first, n,
				b.mode, &st);
			batch_fill = 0;
		}
	}
	if(batch_fill > 0 && !broken)
		batch_ended(batch_commit(&b, &ks), &model, a, first, n, b.mode,
			&st);
	redisReaderFree(reader);

	/* Decisions from whatever the batches left. */
	for(i = 0; i < names.count; i++) {
		char key[KEY_MAX], akey[KEY_MAX];
		struct key_name kn, alias;
		char err[KEY_ERR_MAX];
		size_t len = key_of(1, &names, i, key);
		size_t alen = key_of(0, &names, i + 1, akey);
		if(key_parse(PREFIX, key, len, &kn, err) != 0 ||
			kn.kind != KEY_ROUTE)
			continue;
		if(key_parse(PREFIX, akey, alen, &alias, err) != 0)
			alias = kn;
		check_decisions(&st, kn.name, kn.name_len, alias.name,
			alias.name_len);
	}
	{
		static const uint8_t www[] = "\3www\7example\3com";
		check_decisions(&st, www, sizeof(www), www + 4,
			sizeof(www) - 4);
	}

	/* The final value of each key, in three full reconciliations. */
	for(i = 0; i < n; i++)
		for(j = i + 1; j < n && !a[i].superseded; j++)
			if(a[j].key_len == a[i].key_len && memcmp(a[j].key,
				a[i].key, a[i].key_len) == 0)
				a[i].superseded = 1;
	reconcile(&ks, &st, a, n, 0, 0);
	reconcile(&ks, &st, a, n, 0, 0);
	reports = 0;
	reconcile(&ks, &st, a, n, 0, 0);
	check(reports == 0);
	/* ... is what a fresh load of them in the reverse order gives */
	if(steering_table_init(&fresh_st) == 0) {
		if(keyspace_init(&fresh_ks, PREFIX, on_report, NULL) == 0) {
			reconcile(&fresh_ks, &fresh_st, a, n, 1, 1);
			check(same_tables(&st, &fresh_st));
			keyspace_free(&fresh_ks);
		}
		steering_table_destroy(&fresh_st);
	}
	/* A reconciliation that reads nothing empties everything. */
	reconcile(&ks, &st, a, 0, 0, 0);
	check(st.filings.count == 0 && st.routes.count == 0);
	check(ks.filing_sets.count == 0 && ks.route_sets.count == 0);
	check(ks.reported.count == 0);

	for(i = 0; i < n; i++)
		freeReplyObject(a[i].reply);
	keyspace_free(&ks);
	steering_table_destroy(&st);
	return 0;
}
