/*
 * keyspace.c - from Redis keys to the steering table.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Spellings. A name gets a spelling set as soon as one of its keys is not
 * spelt canonically, and loses it when only the canonical key (or none)
 * is left. Without a set, the writer's value for the name is the
 * canonical key's own, which is what a new set is seeded with. A set
 * keeps every key's own value, so the merged value is computed again
 * from all of them whenever one changes.
 *
 * Reports. The memo maps each key reported bad to a fingerprint of the
 * report; an unchanged bad key read again at every full reconciliation is
 * not reported again, a changed one is, and a key that turns good is
 * forgotten (so it is reported again if it breaks the same way). A set
 * remembers the fingerprint of its last collision report the same way.
 */
#include "cnroute/keyspace.h"
#include "cnroute/dname.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Longest excerpt of a key quoted in a report. */
#define KEY_QUOTE_MAX 200
/** Longest report. */
#define REPORT_MAX 1024
/** Smallest memo. */
#define MEMO_MIN_CAPACITY 16

/** One key reported bad. */
struct key_memo_entry {
	/** hash of the key (0: the slot is empty) */
	uint64_t hash;
	/** the key, malloced */
	char *key;
	/** its length */
	size_t key_len;
	/** fingerprint of what was reported */
	uint64_t fingerprint;
	/** generation in which the key was last read */
	uint32_t seen;
};

/** One key of a name that has several (or one non-canonical). */
struct spelling {
	/** the key, malloced */
	char *key;
	/** its length */
	size_t key_len;
	/** 1 for the canonical spelling */
	int canonical;
	/** a filing key's status (never FILING_NONE: a key gone is dropped) */
	enum filing_status status;
	/** a route key's route, owned; NULL when the record is bad (the
	 *  key is kept so a collision is still reported, but not used) */
	struct route *route;
	/** generation in which the key was last read */
	uint32_t seen;
};

/** The keys of one name. */
struct spelling_set {
	/** the keys */
	struct spelling *items;
	/** their number */
	size_t count;
	/** room */
	size_t capacity;
	/** fingerprint of the last collision report (0: none) */
	uint64_t reported;
	/** a collision report waits for the end of the full reconciliation
	 *  (its keys arrive one by one; the report names them all) */
	int report_due;
};

/** 64-bit FNV-1a over bytes, continuing from h. */
static uint64_t
fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for(i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/** FNV-1a's start value. */
#define FNV_START 0xcbf29ce484222325ull

/** Hash of a key for the memo (never 0, which marks an empty slot). */
static uint64_t
memo_hash(const char *key, size_t len)
{
	uint64_t h = fnv1a(FNV_START, key, len);

	return h != 0 ? h : 1;
}

/** The slot of a key, or the empty slot where it would go. */
static struct key_memo_entry *
memo_slot(const struct key_memo *m, uint64_t hash, const char *key,
	size_t len)
{
	size_t i = (size_t)hash & m->mask;

	while(m->slots[i].hash != 0) {
		const struct key_memo_entry *e = &m->slots[i];
		if(e->hash == hash && e->key_len == len &&
			memcmp(e->key, key, len) == 0)
			break;
		i = (i + 1) & m->mask;
	}
	return &m->slots[i];
}

/** Double the memo (or create it). @return 0 or -1. */
static int
memo_grow(struct key_memo *m)
{
	size_t old_cap = m->slots != NULL ? m->mask + 1 : 0;
	size_t cap = old_cap ? old_cap * 2 : MEMO_MIN_CAPACITY, i;
	struct key_memo_entry *old = m->slots;

	m->slots = calloc(cap, sizeof(*m->slots));
	if(m->slots == NULL) {
		m->slots = old;
		return -1;
	}
	m->mask = cap - 1;
	for(i = 0; i < old_cap; i++) {
		if(old[i].hash != 0)
			*memo_slot(m, old[i].hash, old[i].key,
				old[i].key_len) = old[i];
	}
	free(old);
	return 0;
}

/** The memo entry of a key, or NULL. */
static struct key_memo_entry *
memo_find(struct key_memo *m, const char *key, size_t len)
{
	struct key_memo_entry *e;

	if(m->slots == NULL)
		return NULL;
	e = memo_slot(m, memo_hash(key, len), key, len);
	return e->hash != 0 ? e : NULL;
}

/**
 * Remove the entry in slot i, moving later entries of its probe run back
 * so every run stays unbroken (no tombstones needed).
 */
static void
memo_remove_at(struct key_memo *m, size_t i)
{
	size_t j = i;

	free(m->slots[i].key);
	m->slots[i].hash = 0;
	m->count--;
	for(;;) {
		size_t home;
		j = (j + 1) & m->mask;
		if(m->slots[j].hash == 0)
			return;
		home = (size_t)m->slots[j].hash & m->mask;
		/* the entry at j may move to i if i lies on its way from
		 * home to j (cyclically) */
		if((j > i && (home <= i || home > j)) ||
			(j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].hash = 0;
			i = j;
		}
	}
}

/** Forget a key. */
static void
memo_forget(struct key_memo *m, const char *key, size_t len)
{
	struct key_memo_entry *e = memo_find(m, key, len);

	if(e != NULL)
		memo_remove_at(m, (size_t)(e - m->slots));
}

/**
 * Record that a key was reported with this fingerprint.
 * @return 1 if it was not recorded with it yet (report it), 0 if it was,
 *	-1 when out of memory (report it anyway).
 */
static int
memo_note(struct key_memo *m, const char *key, size_t len,
	uint64_t fingerprint, uint32_t seen)
{
	uint64_t hash = memo_hash(key, len);
	struct key_memo_entry *e;

	if(m->slots == NULL || (m->count + 1) * 2 > m->mask + 1) {
		if(memo_grow(m) != 0)
			return -1;
	}
	e = memo_slot(m, hash, key, len);
	if(e->hash != 0) {
		e->seen = seen;
		if(e->fingerprint == fingerprint)
			return 0;
		e->fingerprint = fingerprint;
		return 1;
	}
	e->key = malloc(len ? len : 1);
	if(e->key == NULL)
		return -1;
	memcpy(e->key, key, len);
	e->key_len = len;
	e->hash = hash;
	e->fingerprint = fingerprint;
	e->seen = seen;
	m->count++;
	return 1;
}

/** Forget the keys not read in generation seen. */
static void
memo_sweep(struct key_memo *m, uint32_t seen)
{
	size_t i = 0;

	if(m->slots == NULL)
		return;
	while(i <= m->mask) {
		/* a removal may move a later entry into slot i: look again */
		if(m->slots[i].hash != 0 && m->slots[i].seen != seen)
			memo_remove_at(m, i);
		else
			i++;
	}
}

/** Free the memo. */
static void
memo_free(struct key_memo *m)
{
	size_t i;

	if(m->slots != NULL) {
		for(i = 0; i <= m->mask; i++)
			if(m->slots[i].hash != 0)
				free(m->slots[i].key);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/** Print a key for a report: at most KEY_QUOTE_MAX bytes, control bytes
 *  and DEL as '?', so a hostile key can't forge log lines. UTF-8 is kept
 *  (a Unicode key is shown as written). */
static void
key_quote(const char *key, size_t len, char *out)
{
	size_t i, n = len < KEY_QUOTE_MAX ? len : KEY_QUOTE_MAX;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if(len > KEY_QUOTE_MAX) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = 0;
}

/** Fingerprint of what a key held: its shape and every field. */
static uint64_t
record_fingerprint(enum record_shape shape, const struct record_field *f,
	size_t count)
{
	uint64_t h = fnv1a(FNV_START, &shape, sizeof(shape));
	size_t i;

	for(i = 0; shape == RECORD_HASH && i < count; i++) {
		h = fnv1a(h, &f[i].name_len, sizeof(f[i].name_len));
		if(f[i].name != NULL)
			h = fnv1a(h, f[i].name, f[i].name_len);
		h = fnv1a(h, &f[i].value_len, sizeof(f[i].value_len));
		if(f[i].value != NULL)
			h = fnv1a(h, f[i].value, f[i].value_len);
	}
	return h != 0 ? h : 1;
}

/**
 * Report a bad key unless it was reported just so already.
 * @param kn: the key as parsed (its kind, and its name when readable).
 * @param fingerprint: of what the key held.
 */
static void
report_bad_key(struct keyspace *ks, enum keyspace_note note,
	const char *key, size_t len, const struct key_name *kn,
	uint64_t fingerprint, const char *what, const char *why)
{
	char quoted[KEY_QUOTE_MAX + 4], message[REPORT_MAX];
	struct keyspace_report r;

	if(memo_note(&ks->reported, key, len, fingerprint,
		ks->generation) == 0 || ks->report == NULL)
		return;
	key_quote(key, len, quoted);
	snprintf(message, sizeof(message), "%s %s: %s", what, quoted, why);
	memset(&r, 0, sizeof(r));
	r.note = note;
	r.key = key;
	r.key_len = len;
	r.kind = kn->kind;
	if(note != KEYSPACE_BAD_NAME) {
		r.name = kn->name;
		r.name_len = kn->name_len;
	}
	r.message = message;
	ks->report(ks->report_ctx, &r);
}

/** Free a spelling's key and route. */
static void
spelling_clear(struct spelling *sp)
{
	free(sp->key);
	route_free(sp->route);
	memset(sp, 0, sizeof(*sp));
}

/** free_value of the spelling tables. */
static void
spelling_set_free(void *value)
{
	struct spelling_set *set = value;
	size_t i;

	if(set == NULL)
		return;
	for(i = 0; i < set->count; i++)
		spelling_clear(&set->items[i]);
	free(set->items);
	free(set);
}

int
keyspace_init(struct keyspace *ks, const char *prefix,
	keyspace_report_fn report, void *report_ctx)
{
	memset(ks, 0, sizeof(*ks));
	ks->prefix = strdup(prefix);
	ks->report = report;
	ks->report_ctx = report_ctx;
	if(ks->prefix == NULL)
		return -1;
	if(name_table_init(&ks->filing_sets, 0, spelling_set_free) != 0) {
		free(ks->prefix);
		return -1;
	}
	if(name_table_init(&ks->route_sets, 0, spelling_set_free) != 0) {
		name_table_clear(&ks->filing_sets);
		free(ks->prefix);
		return -1;
	}
	return 0;
}

void
keyspace_free(struct keyspace *ks)
{
	name_table_clear(&ks->filing_sets);
	name_table_clear(&ks->route_sets);
	memo_free(&ks->reported);
	free(ks->prefix);
	ks->prefix = NULL;
}

/** The spelling of key in a set, or NULL. */
static struct spelling *
set_find(struct spelling_set *set, const char *key, size_t len)
{
	size_t i;

	for(i = 0; i < set->count; i++)
		if(set->items[i].key_len == len &&
			memcmp(set->items[i].key, key, len) == 0)
			return &set->items[i];
	return NULL;
}

/** Add a spelling (key copied). @return it, or NULL out of memory. */
static struct spelling *
set_add(struct spelling_set *set, const char *key, size_t len,
	int canonical)
{
	struct spelling *sp;

	if(set->count == set->capacity) {
		size_t cap = set->capacity ? set->capacity * 2 : 4;
		struct spelling *more = realloc(set->items,
			cap * sizeof(*more));
		if(more == NULL)
			return NULL;
		set->items = more;
		set->capacity = cap;
	}
	sp = &set->items[set->count];
	memset(sp, 0, sizeof(*sp));
	sp->key = malloc(len ? len : 1);
	if(sp->key == NULL)
		return NULL;
	memcpy(sp->key, key, len);
	sp->key_len = len;
	sp->canonical = canonical;
	set->count++;
	return sp;
}

/** Remove spelling i of a set. */
static void
set_remove(struct spelling_set *set, size_t i)
{
	spelling_clear(&set->items[i]);
	set->items[i] = set->items[--set->count];
}

/** Whether a set still needs to exist: a non-canonical key is in it. */
static int
set_needed(const struct spelling_set *set)
{
	size_t i;

	for(i = 0; i < set->count; i++)
		if(!set->items[i].canonical)
			return 1;
	return 0;
}

/** The winner of a route set: the canonical key's route, else the first
 *  usable key in byte order. NULL when no key is usable. */
static const struct spelling *
route_set_winner(const struct spelling_set *set)
{
	const struct spelling *best = NULL;
	size_t i;

	for(i = 0; i < set->count; i++) {
		const struct spelling *sp = &set->items[i];
		size_t n;
		if(sp->route == NULL)
			continue;
		if(sp->canonical)
			return sp;
		n = sp->key_len < (best ? best->key_len : 0) ? sp->key_len :
			(best ? best->key_len : 0);
		if(best == NULL || memcmp(sp->key, best->key, n) < 0 ||
			(memcmp(sp->key, best->key, n) == 0 &&
			sp->key_len < best->key_len))
			best = sp;
	}
	return best;
}

/** The merged status of a filing set. */
static enum filing_status
filing_set_status(const struct spelling_set *set)
{
	enum filing_status status = FILING_NONE;
	size_t i;

	for(i = 0; i < set->count; i++)
		status = filing_merge(status, set->items[i].status);
	return status;
}

/** Append text to a report being built. */
static void
report_append(char *buf, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
report_append(char *buf, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if(*at >= REPORT_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, REPORT_MAX - *at, fmt, ap);
	va_end(ap);
	if(n > 0)
		*at += (size_t)n < REPORT_MAX - *at ? (size_t)n :
			REPORT_MAX - 1 - *at;
}

/**
 * Report a name written under several keys, once per change of what the
 * keys say.
 */
static void
report_spellings(struct keyspace *ks, struct spelling_set *set, char kind,
	const uint8_t *name)
{
	char message[REPORT_MAX], text[DNAME_MAX_TEXT];
	char quoted[KEY_QUOTE_MAX + 4];
	const struct spelling *winner = NULL;
	struct keyspace_report r;
	size_t i, at = 0;
	uint64_t fp;

	if(set->count < 2) {
		set->reported = 0;
		set->report_due = 0;
		return;
	}
	if(ks->in_full) {
		set->report_due = 1;
		return;
	}
	set->report_due = 0;
	dname_to_text(name, text);
	if(kind == 'r')
		winner = route_set_winner(set);
	report_append(message, &at, "%s %s is written under %zu keys:",
		kind == 'f' ? "filing" : "route", text, set->count);
	for(i = 0; i < set->count; i++) {
		const struct spelling *sp = &set->items[i];
		key_quote(sp->key, sp->key_len, quoted);
		if(kind == 'f')
			report_append(message, &at, "%s %s (%s)", i ? "," : "",
				quoted, filing_status_name(sp->status));
		else
			report_append(message, &at, "%s %s (%s)", i ? "," : "",
				quoted, sp == winner ? "used" : sp->route ?
				"ignored" : "unreadable");
	}
	if(kind == 'f')
		report_append(message, &at, "; it counts as %s: active only "
			"when every key says active",
			filing_status_name(filing_set_status(set)));
	else
		report_append(message, &at, "; the canonically spelt key is "
			"used, else the first in byte order");
	fp = fnv1a(FNV_START, message, at);
	if(fp == set->reported || ks->report == NULL)
		return;
	set->reported = fp;
	memset(&r, 0, sizeof(r));
	r.note = KEYSPACE_SPELLINGS;
	r.kind = kind == 'f' ? KEY_FILING : KEY_ROUTE;
	r.name = name;
	r.name_len = dname_length(name);
	r.message = message;
	ks->report(ks->report_ctx, &r);
}

/**
 * Seed a new set with the value the writer holds for the name: with no
 * set, that value is the canonical key's own.
 * @return 0 or -1 out of memory.
 */
static int
set_seed(struct keyspace *ks, struct steering_writer *w,
	struct spelling_set *set, char kind, const uint8_t *name,
	size_t name_len)
{
	char key[DNAME_MAX_TEXT + 300];
	struct spelling *sp;
	int len;

	if(kind == 'f') {
		enum filing_status status = steering_writer_filing(w, name,
			name_len);
		if(status == FILING_NONE)
			return 0;
		/* a name without a canonical spelling never has a value
		 * outside a set */
		len = key_canonical(ks->prefix, KEY_FILING, name, key,
			sizeof(key));
		if(len < 0)
			return 0;
		if((sp = set_add(set, key, (size_t)len, 1)) == NULL)
			return -1;
		sp->status = status;
	} else {
		const struct route *route = steering_writer_route(w, name,
			name_len);
		if(route == NULL)
			return 0;
		len = key_canonical(ks->prefix, KEY_ROUTE, name, key,
			sizeof(key));
		if(len < 0)
			return 0;
		if((sp = set_add(set, key, (size_t)len, 1)) == NULL)
			return -1;
		sp->route = route_clone(route);
		if(sp->route == NULL)
			return -1;
	}
	/* seen now: a stale value only ever makes a filing stricter, and
	 * the next full reconciliation drops it if the key is gone */
	sp->seen = ks->generation;
	return 0;
}

/**
 * Write the merged value of a set through the writer, report a
 * collision, and drop the set when only the canonical key is left.
 * @return 0 or -1 out of memory.
 */
static int
set_settle(struct keyspace *ks, struct steering_writer *w,
	struct spelling_set *set, char kind, const uint8_t *name,
	size_t name_len)
{
	struct name_table *sets = kind == 'f' ? &ks->filing_sets :
		&ks->route_sets;
	int r;

	if(kind == 'f') {
		r = steering_writer_set_filing(w, name, name_len,
			filing_set_status(set));
	} else {
		const struct spelling *winner = route_set_winner(set);
		struct route *copy = NULL;
		if(winner != NULL && (copy = route_clone(winner->route)) ==
			NULL)
			return -1;
		r = steering_writer_set_route(w, name, name_len, copy);
	}
	report_spellings(ks, set, kind, name);
	if(!set_needed(set))
		name_table_remove(sets, name, name_len, NULL);
	return r < 0 ? -1 : 0;
}

/**
 * Apply a key's value to its name, through the name's spelling set when
 * it has one (or needs one).
 * @param status: a filing key's status (FILING_NONE: the key is gone).
 * @param route: a route key's route, owned (NULL: gone or bad).
 * @param present: whether the key exists (a bad route is present with
 *	route NULL).
 * @return 0 or -1 out of memory.
 */
static int
apply_value(struct keyspace *ks, struct steering_writer *w,
	const struct key_name *kn, const char *key, size_t key_len,
	enum filing_status status, struct route *route, int present)
{
	char kind = kn->kind == KEY_FILING ? 'f' : 'r';
	struct name_table *sets = kind == 'f' ? &ks->filing_sets :
		&ks->route_sets;
	struct spelling_set *set = name_table_lookup(sets, kn->name,
		kn->name_len);
	struct spelling *sp;

	if(set == NULL && kn->canonical) {
		/* the common case: one key, spelt as cnroutectl writes it */
		if(kind == 'f')
			return steering_writer_set_filing(w, kn->name,
				kn->name_len, status) < 0 ? -1 : 0;
		return steering_writer_set_route(w, kn->name, kn->name_len,
			route) < 0 ? -1 : 0;
	}
	if(set == NULL) {
		if(!present)
			return 0; /* a spelling never seen, gone again */
		set = calloc(1, sizeof(*set));
		if(set == NULL || name_table_put(sets, kn->name, kn->name_len,
			set, 0, NULL) != 0) {
			free(set);
			route_free(route);
			return -1;
		}
		if(set_seed(ks, w, set, kind, kn->name, kn->name_len) != 0) {
			route_free(route);
			return -1;
		}
	}
	sp = set_find(set, key, key_len);
	if(!present) {
		if(sp != NULL)
			set_remove(set, (size_t)(sp - set->items));
	} else {
		if(sp == NULL && (sp = set_add(set, key, key_len,
			kn->canonical)) == NULL) {
			route_free(route);
			return -1;
		}
		sp->status = status;
		route_free(sp->route);
		sp->route = route;
		sp->seen = ks->generation;
	}
	return set_settle(ks, w, set, kind, kn->name, kn->name_len);
}

int
keyspace_apply(struct keyspace *ks, struct steering_writer *w,
	const char *key, size_t key_len, enum record_shape shape,
	const struct record_field *fields, size_t count)
{
	struct key_name kn;
	char err[RECORD_ERR_MAX > KEY_ERR_MAX ? RECORD_ERR_MAX : KEY_ERR_MAX];
	uint64_t fp;

	if(key_parse(ks->prefix, key, key_len, &kn, err) != 0) {
		if(shape == RECORD_MISSING) {
			memo_forget(&ks->reported, key, key_len);
			return 0;
		}
		report_bad_key(ks, KEYSPACE_BAD_NAME, key, key_len, &kn,
			fnv1a(FNV_START, err, strlen(err)), kn.kind ==
			KEY_FILING ? "skipped filing key" : "skipped route key",
			err);
		return 0;
	}
	if(kn.kind == KEY_OTHER)
		return 0;
	if(shape == RECORD_HASH && count > RECORD_FIELDS_MAX)
		shape = RECORD_TOO_MANY_FIELDS;
	fp = record_fingerprint(shape, fields, count);
	if(kn.kind == KEY_FILING) {
		enum filing_status status = filing_judge(kn.name, shape,
			fields, count, err);
		if(status == FILING_INVALID)
			report_bad_key(ks, KEYSPACE_BAD_FILING, key, key_len,
				&kn, fp, "invalid filing", err);
		else
			memo_forget(&ks->reported, key, key_len);
		return apply_value(ks, w, &kn, key, key_len, status, NULL,
			status != FILING_NONE);
	} else {
		struct route *route = NULL;
		int bad = 0;
		switch(shape) {
		case RECORD_MISSING:
			break;
		case RECORD_HASH:
			route = route_parse_new(fields, count, err);
			bad = route == NULL;
			break;
		case RECORD_NOT_HASH:
			snprintf(err, sizeof(err), "not a hash");
			bad = 1;
			break;
		case RECORD_TOO_MANY_FIELDS:
			snprintf(err, sizeof(err), "more than %d fields",
				RECORD_FIELDS_MAX);
			bad = 1;
			break;
		case RECORD_UNREADABLE:
			snprintf(err, sizeof(err), "unexpected reply from "
				"Redis");
			bad = 1;
			break;
		}
		if(bad)
			report_bad_key(ks, KEYSPACE_BAD_ROUTE, key, key_len,
				&kn, fp, "skipped route", err);
		else
			memo_forget(&ks->reported, key, key_len);
		return apply_value(ks, w, &kn, key, key_len, FILING_NONE,
			route, shape != RECORD_MISSING);
	}
}

uint32_t
keyspace_full_begin(struct keyspace *ks, int fresh)
{
	ks->in_full = 1;
	ks->generation++;
	/* 0 is the generation nothing was ever seen in */
	if(ks->generation == 0)
		ks->generation = 1;
	if(fresh) {
		/* a fresh table starts empty: the sets are learnt again */
		name_table_clear(&ks->filing_sets);
		name_table_clear(&ks->route_sets);
		(void)name_table_init(&ks->filing_sets, 0, spelling_set_free);
		(void)name_table_init(&ks->route_sets, 0, spelling_set_free);
	}
	return ks->generation;
}

/** A name of a set to look at again, collected by end_collect. */
struct end_names {
	/** names (pointers to the table's keys) */
	const uint8_t **names;
	/** their lengths */
	size_t *lens;
	/** number */
	size_t count;
	/** room */
	size_t capacity;
	/** the generation */
	uint32_t seen;
	/** an allocation failed */
	int failed;
};

/** name_table_foreach callback: names of sets with a key not seen. */
static void
end_collect(const struct name_slot *slot, void *arg)
{
	struct end_names *e = arg;
	const struct spelling_set *set = slot->value;
	size_t i;

	for(i = 0; i < set->count; i++)
		if(set->items[i].seen != e->seen)
			break;
	if(i == set->count || e->failed)
		return;
	if(e->count == e->capacity) {
		size_t cap = e->capacity ? e->capacity * 2 : 16;
		const uint8_t **names = realloc(e->names, cap * sizeof(*names));
		size_t *lens;
		if(names == NULL) {
			e->failed = 1;
			return;
		}
		e->names = names;
		lens = realloc(e->lens, cap * sizeof(*lens));
		if(lens == NULL) {
			e->failed = 1;
			return;
		}
		e->lens = lens;
		e->capacity = cap;
	}
	e->names[e->count] = slot->key;
	e->lens[e->count++] = slot->key_len;
}

/** Drop the unseen keys of the sets of one kind. @return 0 or -1. */
static int
end_sets(struct keyspace *ks, struct steering_writer *w, char kind)
{
	struct name_table *sets = kind == 'f' ? &ks->filing_sets :
		&ks->route_sets;
	struct end_names e;
	uint8_t name[DNAME_MAX_WIRE];
	size_t i, j;
	int r = 0;

	memset(&e, 0, sizeof(e));
	e.seen = ks->generation;
	name_table_foreach(sets, end_collect, &e);
	for(i = 0; i < e.count && !e.failed; i++) {
		/* settling may drop the set, and with it the key the name
		 * points at: work on a copy */
		size_t len = e.lens[i];
		struct spelling_set *set;
		memcpy(name, e.names[i], len);
		set = name_table_lookup(sets, name, len);
		for(j = 0; j < set->count; ) {
			if(set->items[j].seen != ks->generation)
				set_remove(set, j);
			else
				j++;
		}
		if(set_settle(ks, w, set, kind, name, len) != 0)
			r = -1;
		/* the names of later sets are still valid: a removal frees
		 * only the removed entry's key */
	}
	free(e.names);
	free(e.lens);
	return e.failed ? -1 : r;
}

/** What report_due_sets needs. */
struct due_reports {
	/** the keyspace */
	struct keyspace *ks;
	/** the kind of the sets */
	char kind;
};

/** name_table_foreach callback: report a collision kept for the end. */
static void
report_due_set(const struct name_slot *slot, void *arg)
{
	struct due_reports *d = arg;
	struct spelling_set *set = slot->value;

	if(set->report_due)
		report_spellings(d->ks, set, d->kind, slot->key);
}

int
keyspace_full_end(struct keyspace *ks, struct steering_writer *w)
{
	struct due_reports d;
	int r = 0;

	if(end_sets(ks, w, 'f') != 0)
		r = -1;
	if(end_sets(ks, w, 'r') != 0)
		r = -1;
	memo_sweep(&ks->reported, ks->generation);
	/* every key has been read: each collision is reported once, naming
	 * all its keys */
	ks->in_full = 0;
	d.ks = ks;
	d.kind = 'f';
	name_table_foreach(&ks->filing_sets, report_due_set, &d);
	d.kind = 'r';
	name_table_foreach(&ks->route_sets, report_due_set, &d);
	return r;
}

void
keyspace_full_abort(struct keyspace *ks, int fresh)
{
	ks->in_full = 0;
	if(fresh) {
		name_table_clear(&ks->filing_sets);
		name_table_clear(&ks->route_sets);
		(void)name_table_init(&ks->filing_sets, 0, spelling_set_free);
		(void)name_table_init(&ks->route_sets, 0, spelling_set_free);
	}
}
