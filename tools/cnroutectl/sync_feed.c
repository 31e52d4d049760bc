/*
 * sync_feed.c - "cnroutectl sync --feed": reconcile the filings in Redis
 * with a provider's full export, within a revocation limit, in chunks.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/record.h"
#include "commands.h"
#include "csvjson.h"
#include "json_out.h"
#include "names.h"
#include "redis_store.h"
#include "rules.h"
#include "sync_feed.h"

/** Usage of "sync". */
static const char usage_sync[] =
	"usage: cnroutectl sync --feed FILE [--dry-run] [--allow-empty] "
	"[--max-revoke N|N%]\n"
	"       [--chunk-size N] [--json]\n"
	"Reconciles the filings with a provider's full export (the formats of "
	"filing\nimport): adds and updates filings, and marks revoked every "
	"active filing whose\ndomain is missing from the feed or listed as "
	"cancelled. Prints the plan and,\nunless --dry-run, applies it in "
	"transactions of --chunk-size changes (500),\neach re-checking its "
	"filings: one changed since the plan is skipped. Any bad\nrow: nothing "
	"is written (exit 2). A plan revoking more than --max-revoke\n(default "
	"10% of the active filings, at least 5) is refused, nothing written\n"
	"(exit 3); an empty feed is refused unless --allow-empty (which also "
	"lifts the\nlimit when --max-revoke is not given).\n";

/** Changes per transaction unless --chunk-size says otherwise. */
#define SYNC_CHUNK_DEFAULT 500

/** Sort context: comparing indexes by domain needs the arrays. */
static const struct feed_entry *sort_feed;
/** Sort context for current filings. */
static const struct current_filing *sort_cur;

/** Compare feed indexes by domain. */
static int
feed_idx_cmp(const void *a, const void *b)
{
	return strcmp(sort_feed[*(const size_t *)a].domain,
		sort_feed[*(const size_t *)b].domain);
}

/** Compare current-filing indexes by domain. */
static int
cur_idx_cmp(const void *a, const void *b)
{
	return strcmp(sort_cur[*(const size_t *)a].domain,
		sort_cur[*(const size_t *)b].domain);
}

/** Indexes 0..n-1 sorted by domain. */
static size_t *
sorted_index(size_t n, int (*cmp)(const void *, const void *))
{
	size_t *idx = xmalloc((n ? n : 1) * sizeof(size_t)), i;
	for(i = 0; i < n; i++)
		idx[i] = i;
	if(n > 1)
		qsort(idx, n, sizeof(size_t), cmp);
	return idx;
}

/** Append an item to the plan; seen is the filing now (NULL: none). */
static void
plan_add(struct sync_plan *plan, enum plan_kind kind, const char *domain,
	const struct kvlist *fields, const char *reason,
	const struct kvlist *seen)
{
	struct plan_item *p = realloc(plan->items,
		(plan->count + 1) * sizeof(*p));
	if(p == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	plan->items = p;
	memset(&p[plan->count], 0, sizeof(*p));
	p[plan->count].kind = kind;
	p[plan->count].domain = xstrdup(domain);
	kvlist_copy(&p[plan->count].fields, fields);
	p[plan->count].reason = reason;
	p[plan->count].seen_exists = seen != NULL;
	if(seen != NULL)
		kvlist_copy(&p[plan->count].seen, seen);
	p[plan->count].state = PLAN_PENDING;
	plan->count++;
}

/** 1 if a hash's status is active (as the module reads it). */
static int
is_active(const struct kvlist *h)
{
	size_t len;
	const char *s = kvlist_get_len(h, "status", &len);
	enum filing_status st;
	/* with its length: "active" followed by a NUL is not active */
	return s != NULL && filing_status_parse(s, len, &st) == 0 &&
		st == FILING_ACTIVE;
}

/** A feed entry whose domain is in Redis: update, revoke, or nothing. */
static void
plan_existing(struct sync_plan *plan, const struct feed_entry *f,
	const struct current_filing *c)
{
	struct kvlist merged = { 0 }, a = { 0 };
	const char *st = kvlist_get(&f->fields, "status");
	int differs;
	kvlist_copy(&merged, &c->hash);
	kvlist_copy(&a, &c->hash);
	{
		size_t i;
		for(i = 0; i < f->fields.count; i++)
			kvlist_set(&merged, f->fields.items[i].name,
				f->fields.items[i].value);
	}
	kvlist_del(&merged, "updated");
	kvlist_del(&a, "updated");
	differs = !kvlist_equal(&merged, &a);
	if(!differs)
		plan->unchanged++;
	else if(is_active(&c->hash) && st && strcmp(st, "revoked") == 0)
		plan_add(plan, PLAN_REVOKE, f->domain, &f->fields,
			f->cancelled ? "listed as cancelled in the feed" :
			"revoked in the feed", &c->hash);
	else
		plan_add(plan, PLAN_UPDATE, f->domain, &f->fields,
			"changed in the feed", &c->hash);
	kvlist_free(&merged);
	kvlist_free(&a);
}

/** qsort comparator: adds, updates, revocations; by domain within. */
static int
item_cmp(const void *a, const void *b)
{
	const struct plan_item *x = a, *y = b;
	if(x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->domain, y->domain);
}

int
sync_plan_compute(const struct feed_entry *feed, size_t nfeed,
	const struct current_filing *cur, size_t ncur, struct sync_plan *plan)
{
	size_t *fi, *ci, i = 0, j = 0;
	struct kvlist revoke = { 0 };
	memset(plan, 0, sizeof(*plan));
	sort_feed = feed;
	sort_cur = cur;
	fi = sorted_index(nfeed, feed_idx_cmp);
	ci = sorted_index(ncur, cur_idx_cmp);
	kvlist_set(&revoke, "status", "revoked");
	/* merge the two sorted lists */
	while(i < nfeed || j < ncur) {
		int cmp = i == nfeed ? 1 : j == ncur ? -1 :
			strcmp(feed[fi[i]].domain, cur[ci[j]].domain);
		if(cmp < 0) {
			plan_add(plan, PLAN_ADD, feed[fi[i]].domain,
				&feed[fi[i]].fields, "new in the feed", NULL);
			i++;
		} else if(cmp > 0) {
			if(is_active(&cur[ci[j]].hash))
				plan_add(plan, PLAN_REVOKE, cur[ci[j]].domain,
					&revoke, "missing from the feed",
					&cur[ci[j]].hash);
			j++;
		} else {
			plan_existing(plan, &feed[fi[i]], &cur[ci[j]]);
			i++;
			j++;
		}
	}
	if(plan->count > 1)
		qsort(plan->items, plan->count, sizeof(struct plan_item),
			item_cmp);
	kvlist_free(&revoke);
	free(fi);
	free(ci);
	return 0;
}

void
sync_plan_free(struct sync_plan *plan)
{
	size_t i;
	for(i = 0; i < plan->count; i++) {
		free(plan->items[i].domain);
		kvlist_free(&plan->items[i].fields);
		kvlist_free(&plan->items[i].seen);
	}
	free(plan->items);
	memset(plan, 0, sizeof(*plan));
}

size_t
sync_plan_count(const struct sync_plan *plan, enum plan_kind kind)
{
	size_t i, n = 0;
	for(i = 0; i < plan->count; i++)
		n += plan->items[i].kind == kind;
	return n;
}

size_t
sync_plan_deactivations(const struct sync_plan *plan)
{
	size_t i, n = 0;
	for(i = 0; i < plan->count; i++) {
		const struct plan_item *it = &plan->items[i];
		struct kvlist after = { 0 };
		size_t k;
		if(it->kind == PLAN_REVOKE) {
			n++;
			continue;
		}
		if(it->kind != PLAN_UPDATE || !is_active(&it->seen))
			continue;
		kvlist_copy(&after, &it->seen);
		for(k = 0; k < it->fields.count; k++)
			kvlist_set_len(&after, it->fields.items[k].name,
				it->fields.items[k].value,
				it->fields.items[k].value_len);
		n += !is_active(&after);
		kvlist_free(&after);
	}
	return n;
}

size_t
sync_plan_count_state(const struct sync_plan *plan, enum plan_state state)
{
	size_t i, n = 0;
	for(i = 0; i < plan->count; i++)
		n += plan->items[i].state == state;
	return n;
}

int
sync_revoke_limit(const char *spec, size_t active, size_t *limit)
{
	char *end;
	unsigned long long v;
	if(spec == NULL) {
		*limit = active / 10 > SYNC_REVOKE_MIN ? active / 10 :
			SYNC_REVOKE_MIN;
		return 0;
	}
	if(*spec < '0' || *spec > '9')
		return -1;
	v = strtoull(spec, &end, 10);
	if(*end == '%' && end[1] == 0 && v <= 100) {
		/* a share of the active filings, rounded down */
		*limit = (size_t)((unsigned long long)active * v / 100);
		return 0;
	}
	if(*end != 0 || v > (unsigned long long)SIZE_MAX)
		return -1;
	*limit = (size_t)v;
	return 0;
}

int
sync_item_still_current(const struct plan_item *item,
	const struct kvlist *now, int exists)
{
	if(!exists || !item->seen_exists)
		return exists == item->seen_exists;
	/* "updated" included: any write since the plan is a change */
	return kvlist_equal(&item->seen, now);
}

/** Free feed entries. */
static void
feed_free(struct feed_entry *feed, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++) {
		free(feed[i].domain);
		kvlist_free(&feed[i].fields);
	}
	free(feed);
}

/**
 * Validate the feed's rows (bad ones added to res).
 * @return the entries.
 */
static struct feed_entry *
feed_entries(struct import_result *res, size_t *n)
{
	struct feed_entry *feed = xmalloc((res->row_count ? res->row_count :
		1) * sizeof(*feed));
	size_t i, k = 0;
	for(i = 0; i < res->row_count; i++) {
		char **v = res->rows[i].values, domain[NAME_TEXT_MAX];
		char err[RULES_ERR_MAX];
		struct filing_input in = filing_input_from_row(v);
		struct feed_entry *e = &feed[k];
		memset(e, 0, sizeof(*e));
		if(filing_build(&in, domain, &e->fields, err) != 0) {
			import_add_error(res, res->rows[i].line, "%s", err);
			kvlist_free(&e->fields);
			continue;
		}
		if(strcmp(kvlist_get(&e->fields, "status"), "cancelled") == 0) {
			/* the feed's cancellations revoke our filing */
			kvlist_set(&e->fields, "status", "revoked");
			e->cancelled = 1;
		}
		e->domain = xstrdup(domain);
		e->line = res->rows[i].line;
		k++;
	}
	*n = k;
	return feed;
}

/** Report domains given twice in the feed (sorted copy). */
static void
feed_duplicates(struct import_result *res, const struct feed_entry *feed,
	size_t n)
{
	size_t *idx, i;
	sort_feed = feed;
	idx = sorted_index(n, feed_idx_cmp);
	for(i = 1; i < n; i++) {
		const struct feed_entry *a = &feed[idx[i - 1]];
		const struct feed_entry *b = &feed[idx[i]];
		if(strcmp(a->domain, b->domain) == 0)
			import_add_error(res, a->line > b->line ? a->line :
				b->line, "domain %s given twice (lines %d and "
				"%d)", a->domain, a->line < b->line ? a->line :
				b->line, a->line > b->line ? a->line : b->line);
	}
	free(idx);
	import_sort_errors(res);
}

/** Read the filings in Redis. @return CLI code. */
static int
current_filings(struct store *s, struct current_filing **out, size_t *n,
	char *err)
{
	struct store_kind all;
	size_t i, k = 0;
	struct current_filing *cur;
	int rc = store_read_kind(s, "filing", &all, err);
	cur = xmalloc((all.n ? all.n : 1) * sizeof(*cur));
	for(i = 0; rc == CLI_OK && i < all.n; i++) {
		if(all.states[i] != KEY_HASH)
			continue;
		cur[k].domain = xstrdup(store_key_name(s, "filing",
			all.keys[i]));
		/* the hash moves into cur: leave an empty list behind */
		cur[k].hash = all.hashes[i];
		memset(&all.hashes[i], 0, sizeof(all.hashes[i]));
		k++;
	}
	store_kind_free(&all);
	*out = cur;
	*n = k;
	return rc;
}

/** Free current filings. */
static void
current_free(struct current_filing *cur, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++) {
		free(cur[i].domain);
		kvlist_free(&cur[i].hash);
	}
	free(cur);
}

/** Name of a plan kind. */
static const char *
kind_name(enum plan_kind k)
{
	return k == PLAN_ADD ? "add" : k == PLAN_UPDATE ? "update" : "revoke";
}

/** Name of a plan state. */
static const char *
state_name(enum plan_state st)
{
	return st == PLAN_APPLIED ? "applied" : st == PLAN_SKIPPED ?
		"skipped" : "pending";
}

/** Print the plan and what was applied of it. */
static void
print_plan(const struct sync_plan *plan, int json, int dry_run,
	size_t transactions)
{
	size_t i, applied = sync_plan_count_state(plan, PLAN_APPLIED);
	size_t skipped = sync_plan_count_state(plan, PLAN_SKIPPED);
	if(json) {
		json_t *obj = json_new_object(), *changes = json_new_array();
		json_put(obj, "applied", json_boolean(!dry_run &&
			applied == plan->count));
		json_put(obj, "applied_changes", json_integer(
			(json_int_t)applied));
		json_put(obj, "skipped_changes", json_integer(
			(json_int_t)skipped));
		json_put(obj, "transactions", json_integer(
			(json_int_t)transactions));
		json_put(obj, "unchanged", json_integer(
			(json_int_t)plan->unchanged));
		for(i = 0; i < plan->count; i++) {
			const struct plan_item *it = &plan->items[i];
			json_t *c = json_new_object();
			json_put(c, "action", json_str_or_null(
				kind_name(it->kind)));
			json_put(c, "domain", json_str_or_null(it->domain));
			json_put(c, "reason", json_str_or_null(it->reason));
			json_put(c, "fields", kvlist_to_json(&it->fields));
			json_put(c, "state", json_str_or_null(
				state_name(it->state)));
			json_push(changes, c);
		}
		json_put(obj, "changes", changes);
		json_print(obj);
		return;
	}
	printf("sync plan: %zu to add, %zu to update, %zu to revoke, %zu "
		"unchanged%s\n", sync_plan_count(plan, PLAN_ADD),
		sync_plan_count(plan, PLAN_UPDATE),
		sync_plan_count(plan, PLAN_REVOKE), plan->unchanged,
		dry_run ? " (dry run: nothing written)" : "");
	if(!dry_run)
		printf("applied %zu of %zu changes in %zu transaction%s%s\n",
			applied, plan->count, transactions,
			transactions == 1 ? "" : "s", skipped ? "; skipped "
			"the ones changed since the plan was made" : "");
	for(i = 0; i < plan->count; i++) {
		const struct plan_item *it = &plan->items[i];
		char *st = kvlist_shown(&it->fields, "status", "");
		printf("  %-6s %-32s %-9s %-8s %s\n", kind_name(it->kind),
			it->domain, st, dry_run ? "" : state_name(it->state),
			it->reason);
		free(st);
	}
}

/** What the re-check of one chunk needs: the chunk's plan items. */
struct chunk_check {
	/** the first item of the chunk */
	struct plan_item *items;
};

/**
 * store_apply's check: skip every operation whose filing changed since
 * the plan was made (read under this chunk's WATCH, so a change after
 * the read aborts the EXEC and the chunk is read and checked again).
 */
static int
chunk_recheck(void *ctx, struct store_op *ops, size_t n, char *const *guards,
	redisReply *const *replies, size_t nguards, char *err)
{
	struct chunk_check *cc = ctx;
	size_t i;
	(void)guards;
	(void)replies;
	(void)nguards;
	(void)err;
	for(i = 0; i < n; i++) {
		ops[i].skip = !sync_item_still_current(&cc->items[i],
			&ops[i].old, ops[i].old_state == KEY_HASH);
		cc->items[i].state = ops[i].skip ? PLAN_SKIPPED :
			PLAN_APPLIED;
	}
	return CLI_OK;
}

/**
 * Apply the plan, chunk changes a transaction.
 * @param transactions: out, the transactions committed (a chunk whose
 *	changes were all skipped commits none).
 * @return CLI code (items' states say what was written).
 */
static int
apply_plan(struct store *s, struct sync_plan *plan, size_t chunk,
	size_t *transactions)
{
	char now[32], err[STORE_ERR_MAX];
	size_t start, i;
	int rc = CLI_OK;
	snprintf(now, sizeof(now), "%lld", s->now);
	*transactions = 0;
	for(start = 0; rc == CLI_OK && start < plan->count; start += chunk) {
		size_t n = plan->count - start < chunk ? plan->count - start :
			chunk;
		struct store_op *ops = xmalloc(n * sizeof(*ops));
		struct chunk_check cc = { &plan->items[start] };
		for(i = 0; i < n; i++) {
			const struct plan_item *it = &plan->items[start + i];
			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].kind = STORE_MERGE;
			ops[i].key = store_key(s, "filing", it->domain);
			ops[i].action = it->kind == PLAN_REVOKE ?
				"sync.revoke" : it->kind == PLAN_ADD ?
				"sync.add" : "sync.update";
			kvlist_copy(&ops[i].fields, &it->fields);
			kvlist_set(&ops[i].fields, "updated", now);
		}
		rc = store_apply(s, ops, n, NULL, 0, chunk_recheck, &cc, err);
		if(rc != CLI_OK) {
			/* this chunk was not written */
			for(i = 0; i < n; i++)
				plan->items[start + i].state = PLAN_PENDING;
			cli_error("%s (after %zu of %zu changes in %zu "
				"transactions)", err, start, plan->count,
				*transactions);
		} else {
			/* a chunk whose changes were all skipped wrote nothing */
			for(i = 0; i < n; i++)
				if(plan->items[start + i].state ==
					PLAN_APPLIED)
					break;
			*transactions += i < n;
		}
		store_ops_free(ops, n);
		free(ops);
	}
	return rc;
}

/** Active filings among the current ones. */
static size_t
count_active(const struct current_filing *cur, size_t n)
{
	size_t i, k = 0;
	for(i = 0; i < n; i++)
		k += is_active(&cur[i].hash);
	return k;
}

/** Read and validate the feed. @return CLI code; entries in *feed. */
static int
load_feed(const char *path, struct feed_entry **feed, size_t *n)
{
	struct import_result res;
	int rc = import_file(path, filing_file_columns, FILING_COL_COUNT,
		&res);
	*feed = NULL;
	*n = 0;
	if(rc != CLI_OK)
		return rc;
	*feed = feed_entries(&res, n);
	feed_duplicates(&res, *feed, *n);
	if(res.error_count > 0) {
		import_report(path, &res);
		cli_error("%s: %zu bad row%s, nothing written", path,
			res.error_count, res.error_count == 1 ? "" : "s");
		rc = CLI_INVALID;
	}
	import_result_free(&res);
	return rc;
}

/** Parse --chunk-size. @return 0 or -1. */
static int
parse_chunk(const char *text, size_t *out)
{
	char *end;
	unsigned long v;
	if(text == NULL) {
		*out = SYNC_CHUNK_DEFAULT;
		return 0;
	}
	if(*text < '0' || *text > '9')
		return -1;
	v = strtoul(text, &end, 10);
	if(*end != 0 || v == 0 || v > 100000)
		return -1;
	*out = v;
	return 0;
}

int
cmd_sync(struct cli *cli, int argc, char **argv)
{
	const char *path = NULL, *max_revoke = NULL, *chunk_text = NULL;
	int dry_run = 0, allow_empty = 0;
	const struct opt_spec specs[] = { { "feed", 1, &path, NULL },
		{ "dry-run", 0, NULL, &dry_run },
		{ "allow-empty", 0, NULL, &allow_empty },
		{ "max-revoke", 1, &max_revoke, NULL },
		{ "chunk-size", 1, &chunk_text, NULL },
		{ NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct feed_entry *feed = NULL;
	struct current_filing *cur = NULL;
	struct sync_plan plan;
	struct store *s;
	size_t nfeed = 0, ncur = 0, limit, chunk, active, revokes;
	size_t transactions = 0;
	char err[STORE_ERR_MAX];
	int rc = opts_parse(cli, argc - 1, argv + 1, specs, &pos, usage_sync);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(path == NULL || pos.count != 0)
		return usage_error(usage_sync, "sync needs --feed FILE");
	if(sync_revoke_limit(max_revoke, 0, &limit) != 0)
		return usage_error(usage_sync, "--max-revoke: a number or a "
			"percentage (N or N%%)");
	if(parse_chunk(chunk_text, &chunk) != 0)
		return usage_error(usage_sync, "--chunk-size: a number from 1 "
			"to 100000");
	if((rc = load_feed(path, &feed, &nfeed)) != CLI_OK) {
		feed_free(feed, nfeed);
		return rc;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK ||
		(rc = current_filings(s, &cur, &ncur, err)) != CLI_OK) {
		if(rc == CLI_REDIS && cli->store != NULL)
			cli_error("%s", err);
		feed_free(feed, nfeed);
		current_free(cur, ncur);
		return rc;
	}
	sync_plan_compute(feed, nfeed, cur, ncur, &plan);
	active = count_active(cur, ncur);
	revokes = sync_plan_deactivations(&plan);
	if(allow_empty && max_revoke == NULL)
		limit = active;
	else
		sync_revoke_limit(max_revoke, active, &limit);
	if(nfeed == 0 && revokes > 0 && !allow_empty) {
		cli_error("%s: the feed has no filings and would revoke all "
			"%zu active ones: refused (use --allow-empty if that "
			"is really meant)", path, revokes);
		rc = CLI_REFUSED;
	} else if(revokes > limit) {
		cli_error("%s: the plan would revoke (or make not active) "
			"%zu of the %zu active filings, more than the limit of %zu (%s): refused, "
			"nothing written; a truncated feed? If the revocations "
			"are meant, allow them with --max-revoke %zu (or a "
			"percentage, N%%)", path, revokes, active, limit,
			max_revoke ? "--max-revoke" : "by default 10% of the "
			"active filings, at least 5", revokes);
		rc = CLI_REFUSED;
	} else if(dry_run) {
		print_plan(&plan, cli->json, 1, 0);
	} else {
		rc = apply_plan(s, &plan, chunk, &transactions);
		print_plan(&plan, cli->json, 0, transactions);
	}
	sync_plan_free(&plan);
	feed_free(feed, nfeed);
	current_free(cur, ncur);
	return rc;
}
