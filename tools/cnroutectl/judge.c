/*
 * judge.c - what Redis holds, judged the way the module judges it.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cnroute/dname.h"
#include "judge.h"
#include "sync_apply.h"

/** Out of memory in the middle of a pass: nothing sensible is left. */
static void
judge_oom(void)
{
	fputs("cnroutectl: out of memory\n", stderr);
	exit(CLI_INVALID);
}

/** Append a report about key. @return its index. */
static size_t
judge_add_report(struct judge *j, enum keyspace_note note, const char *key,
	size_t key_len, const char *message)
{
	struct judge_report *r;

	if(j->count == j->capacity) {
		size_t cap = j->capacity ? j->capacity * 2 : 16;
		r = realloc(j->reports, cap * sizeof(*r));
		if(r == NULL)
			judge_oom();
		j->reports = r;
		j->capacity = cap;
	}
	r = &j->reports[j->count];
	r->note = note;
	r->key = xmalloc(key_len + 1);
	if(key_len > 0)
		memcpy(r->key, key, key_len);
	r->key[key_len] = 0;
	r->key_len = key_len;
	r->message = xstrdup(message);
	return j->count++;
}

/**
 * Keep a collision report, filed under the name's canonical key. The
 * keyspace reports a collision again when what its keys say changes; the
 * report kept is the last, which names every key.
 */
static void
judge_spellings(struct judge *j, const struct keyspace_report *report)
{
	char canon[DNAME_MAX_TEXT + 300];
	struct name_table *t = report->kind == KEY_FILING ?
		&j->filing_spellings : &j->route_spellings;
	void *v;
	size_t i;

	if(key_canonical(j->ks.prefix, report->kind, report->name, canon,
		sizeof(canon)) < 0)
		canon[0] = 0;
	v = name_table_lookup(t, report->name, report->name_len);
	if(v != NULL) {
		i = (size_t)(uintptr_t)v - 1;
		free(j->reports[i].message);
		j->reports[i].message = xstrdup(report->message);
		return;
	}
	i = judge_add_report(j, KEYSPACE_SPELLINGS, canon, strlen(canon),
		report->message);
	if(name_table_put(t, report->name, report->name_len,
		(void *)(uintptr_t)(i + 1), 0, NULL) != 0)
		judge_oom();
}

/** keyspace_report_fn of a judge. */
static void
judge_report(void *ctx, const struct keyspace_report *report)
{
	struct judge *j = ctx;

	if(report->note == KEYSPACE_SPELLINGS)
		judge_spellings(j, report);
	else
		(void)judge_add_report(j, report->note, report->key,
			report->key_len, report->message);
}

int
judge_begin(struct judge *j, const char *prefix, struct steering_table *st)
{
	uint32_t seen;

	memset(j, 0, sizeof(*j));
	if(keyspace_init(&j->ks, prefix, judge_report, j) != 0)
		return -1;
	if(name_table_init(&j->filing_spellings, 0, NULL) != 0 ||
		name_table_init(&j->route_spellings, 0, NULL) != 0) {
		judge_free(j);
		return -1;
	}
	/* a first load, as the module's: fresh table, spellings learnt
	 * from nothing */
	seen = keyspace_full_begin(&j->ks, 1);
	if(steering_writer_begin(&j->w, st, 1, seen) != 0) {
		judge_free(j);
		return -1;
	}
	j->open = 1;
	return 0;
}

void
judge_apply(struct judge *j, const char *key, size_t key_len,
	enum record_shape shape, const struct record_field *fields,
	size_t count)
{
	if(keyspace_apply(&j->ks, &j->w, key, key_len, shape, fields,
		count) != 0)
		judge_oom();
}

void
judge_apply_reply(struct judge *j, const char *key, size_t key_len,
	const redisReply *reply)
{
	struct record_field fields[RECORD_FIELDS_MAX];
	size_t count;
	enum record_shape shape = sync_reply_shape(reply, fields, &count);

	judge_apply(j, key, key_len, shape, fields, count);
}

void
judge_commit(struct judge *j)
{
	if(!j->open)
		return;
	if(keyspace_full_end(&j->ks, &j->w) != 0 ||
		steering_writer_commit(&j->w, NULL, NULL) < 0)
		judge_oom();
	j->open = 0;
	steering_table_set_loaded(j->w.live);
}

int
judge_has_spellings(const struct judge *j, enum key_kind kind,
	const uint8_t *name, size_t name_len)
{
	const struct name_table *t = kind == KEY_FILING ?
		&j->filing_spellings : &j->route_spellings;

	return name_table_lookup(t, name, name_len) != NULL;
}

void
judge_free(struct judge *j)
{
	size_t i;

	if(j->open)
		steering_writer_abort(&j->w);
	j->open = 0;
	keyspace_free(&j->ks);
	name_table_clear(&j->filing_spellings);
	name_table_clear(&j->route_spellings);
	for(i = 0; i < j->count; i++) {
		free(j->reports[i].key);
		free(j->reports[i].message);
	}
	free(j->reports);
	j->reports = NULL;
	j->count = j->capacity = 0;
}


enum filing_status
judge_covering(const struct steering_table *st, const uint8_t *wire,
	size_t len, char *domain)
{
	const uint8_t *p = dname_is_wildcard(wire) ? dname_parent(wire) :
		wire;

	domain[0] = 0;
	for(; p != NULL && *p != 0; p = dname_parent(p)) {
		size_t plen = len - (size_t)(p - wire);
		void *v = name_table_lookup(&st->filings, p, plen);
		size_t n;
		if(v == NULL)
			continue;
		dname_to_text(p, domain);
		n = strlen(domain);
		if(n > 1 && domain[n - 1] == '.')
			domain[n - 1] = 0;
		return (enum filing_status)(uintptr_t)v;
	}
	return FILING_NONE;
}

