/*
 * sync_feed.c - "cnroutectl sync --feed": reconcile the filings in Redis
 * with a provider's full export, atomically.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/record.h"
#include "commands.h"
#include "csvjson.h"
#include "names.h"
#include "redis_store.h"
#include "rules.h"
#include "sync_feed.h"

/** Usage of "sync". */
static const char usage_sync[] =
	"usage: cnroutectl sync --feed FILE [--dry-run] [--allow-empty] "
	"[--json]\n"
	"Reconciles the filings with a provider's full export (the formats of "
	"filing\nimport): adds and updates filings, and marks revoked every "
	"active filing whose\ndomain is missing from the feed or listed as "
	"cancelled. Prints the plan and,\nunless --dry-run, applies it in one "
	"transaction. Any bad row: nothing is\nwritten (exit 2). An empty feed "
	"would revoke everything: refused (exit 3)\nunless --allow-empty.\n";

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

/** Append an item to the plan. */
static void
plan_add(struct sync_plan *plan, enum plan_kind kind, const char *domain,
	const struct kvlist *fields, const char *reason)
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
	plan->count++;
}

/** 1 if a hash's status is active (as the module reads it). */
static int
is_active(const struct kvlist *h)
{
	const char *s = kvlist_get(h, "status");
	enum filing_status st;
	return s != NULL && filing_status_parse(s, strlen(s), &st) == 0 &&
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
			"revoked in the feed");
	else
		plan_add(plan, PLAN_UPDATE, f->domain, &f->fields,
			"changed in the feed");
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
				&feed[fi[i]].fields, "new in the feed");
			i++;
		} else if(cmp > 0) {
			if(is_active(&cur[ci[j]].hash))
				plan_add(plan, PLAN_REVOKE, cur[ci[j]].domain,
					&revoke, "missing from the feed");
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

/** Print the plan. */
static void
print_plan(const struct sync_plan *plan, int json, int applied)
{
	size_t i;
	if(json) {
		struct strbuf sb = { 0 };
		sb_printf(&sb, "{\"applied\":%s,\"unchanged\":%zu,"
			"\"changes\":[", applied ? "true" : "false",
			plan->unchanged);
		for(i = 0; i < plan->count; i++) {
			const struct plan_item *it = &plan->items[i];
			sb_printf(&sb, "%s\n{\"action\":\"%s\",\"domain\":",
				i ? "," : "", kind_name(it->kind));
			sb_json_str(&sb, it->domain);
			sb_puts(&sb, ",\"reason\":");
			sb_json_str(&sb, it->reason);
			sb_puts(&sb, ",\"fields\":");
			kvlist_json(&sb, &it->fields);
			sb_puts(&sb, "}");
		}
		sb_puts(&sb, plan->count ? "\n]}" : "]}");
		printf("%s\n", sb_str(&sb));
		sb_free(&sb);
		return;
	}
	printf("sync plan: %zu to add, %zu to update, %zu to revoke, %zu "
		"unchanged%s\n", sync_plan_count(plan, PLAN_ADD),
		sync_plan_count(plan, PLAN_UPDATE),
		sync_plan_count(plan, PLAN_REVOKE), plan->unchanged,
		applied ? "" : " (dry run: nothing written)");
	for(i = 0; i < plan->count; i++) {
		const struct plan_item *it = &plan->items[i];
		const char *st = kvlist_get(&it->fields, "status");
		printf("  %-6s %-32s %-9s %s\n", kind_name(it->kind),
			it->domain, st ? st : "", it->reason);
	}
}

/** Apply the plan in one transaction. @return CLI code. */
static int
apply_plan(struct store *s, const struct sync_plan *plan)
{
	struct store_op *ops = xmalloc((plan->count ? plan->count : 1) *
		sizeof(*ops));
	char now[32], err[STORE_ERR_MAX];
	size_t i;
	int rc;
	snprintf(now, sizeof(now), "%lld", s->now);
	for(i = 0; i < plan->count; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].kind = STORE_MERGE;
		ops[i].key = store_key(s, "filing", plan->items[i].domain);
		ops[i].action = plan->items[i].kind == PLAN_REVOKE ?
			"sync.revoke" : plan->items[i].kind == PLAN_ADD ?
			"sync.add" : "sync.update";
		kvlist_copy(&ops[i].fields, &plan->items[i].fields);
		kvlist_set(&ops[i].fields, "updated", now);
	}
	rc = store_apply(s, ops, plan->count, NULL, 0, NULL, NULL, err);
	if(rc != CLI_OK)
		cli_error("%s", err);
	store_ops_free(ops, plan->count);
	free(ops);
	return rc;
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

int
cmd_sync(struct cli *cli, int argc, char **argv)
{
	const char *path = NULL;
	int dry_run = 0, allow_empty = 0;
	const struct opt_spec specs[] = { { "feed", 1, &path, NULL },
		{ "dry-run", 0, NULL, &dry_run },
		{ "allow-empty", 0, NULL, &allow_empty },
		{ NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct feed_entry *feed = NULL;
	struct current_filing *cur = NULL;
	struct sync_plan plan;
	struct store *s;
	size_t nfeed = 0, ncur = 0;
	char err[STORE_ERR_MAX];
	int rc = opts_parse(cli, argc - 1, argv + 1, specs, &pos, usage_sync);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(path == NULL || pos.count != 0)
		return usage_error(usage_sync, "sync needs --feed FILE");
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
	if(nfeed == 0 && sync_plan_count(&plan, PLAN_REVOKE) > 0 &&
		!allow_empty) {
		cli_error("%s: the feed has no filings and would revoke all "
			"%zu active ones: refused (use --allow-empty if that "
			"is really meant)", path,
			sync_plan_count(&plan, PLAN_REVOKE));
		rc = CLI_REFUSED;
	} else if(dry_run) {
		print_plan(&plan, cli->json, 0);
	} else {
		rc = apply_plan(s, &plan);
		if(rc == CLI_OK)
			print_plan(&plan, cli->json, 1);
	}
	sync_plan_free(&plan);
	feed_free(feed, nfeed);
	current_free(cur, ncur);
	return rc;
}
