/*
 * check.c - "cnroutectl check": everything in Redis that is inconsistent
 * or risky.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every key under the prefix goes through the module's keyspace (judge.h)
 * into a table of check's own, so the findings are the module's view:
 * each report of the keyspace is a finding (invalid filings, public
 * suffixes included; skipped routes; keys whose name can't be read; a
 * name written under several keys, once, naming all of them), and routes
 * with a CN pool are judged against the covering filing of that table
 * (an invalid or merged filing counts as the module counts it). Besides:
 * filings whose registrant is not the filing entity (the 2018 rule),
 * malformed filing numbers, and keys not in the canonical form the CLI
 * writes.
 *
 * Keys are read in batches (one SCAN of the key names, then pipelined
 * HGETALLs of 1000 keys), so only the key names are held for the whole
 * run; findings are sorted by key before they are printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/dname.h"
#include "cnroute/keys.h"
#include "check.h"
#include "commands.h"
#include "icp.h"
#include "json_out.h"
#include "judge.h"
#include "sync_apply.h"
#include "names.h"
#include "redis_store.h"

/** Usage of "check". */
static const char usage_check[] =
	"usage: cnroutectl check [--json]\n"
	"Lists what is inconsistent or risky, as the module reads it: "
	"invalid filings\n(not a hash, no or an unknown status, a public "
	"suffix), routes the module skips,\nkeys whose name can't be read, "
	"names written under several keys, routes with\na CN pool whose "
	"covering filing is not active (served offshore), filings whose\n"
	"registrant differs from the entity, malformed filing numbers, keys "
	"not in\ncanonical form. Exit 0 when nothing is found, 2 when "
	"something is.\n";

/** Keys fetched per pipeline. */
#define CHECK_BATCH 1000

/** Out of memory: a partial list of findings would read as "all clear"
 *  for what is missing, so stop. */
static void
check_oom(void)
{
	fputs("cnroutectl: out of memory\n", stderr);
	exit(CLI_INVALID);
}

void
check_key_printable(const char *key, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	for(i = 0; i < len && n + 1 < size; i++) {
		unsigned char c = (unsigned char)key[i];
		out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[n] = 0;
}

/** Record one finding. */
static void
finding(struct check_run *r, const char *severity, const char *kind,
	const char *key, const char *format, ...)
	__attribute__((format(printf, 5, 6)));

static void
finding(struct check_run *r, const char *severity, const char *kind,
	const char *key, const char *format, ...)
{
	struct finding *f;
	va_list ap;
	char *msg;

	va_start(ap, format);
	if(vasprintf(&msg, format, ap) < 0)
		msg = NULL;
	va_end(ap);
	if(msg == NULL)
		check_oom();
	if(r->nf == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		f = realloc(r->f, cap * sizeof(*f));
		if(f == NULL)
			check_oom();
		r->f = f;
		r->cap = cap;
	}
	f = &r->f[r->nf];
	f->severity = severity;
	f->kind = kind;
	f->key = xstrdup(key);
	f->message = msg;
	f->seq = r->nf++;
}

/** The printable form of key i. */
static void
key_text(const struct check_run *r, size_t i, char *out, size_t size)
{
	check_key_printable(keylist_key(&r->keys, i), r->keys.len[i], out,
		size);
}

/** store_keep_fn: filing and route keys (readable names or not). */
static int
keep_cnroute_key(void *prefix, const char *key, size_t len)
{
	struct key_name kn;
	char err[KEY_ERR_MAX];

	(void)key_parse(prefix, key, len, &kn, err);
	return kn.kind != KEY_OTHER;
}

/** Check one filing's number and registrant. */
static void
check_filing_fields(struct check_run *r, const char *key,
	const struct record_field *fields, size_t count)
{
	char *icp = NULL, *entity = NULL, *reg = NULL;
	char norm[ICP_MAX], err[ICP_ERR_MAX];
	size_t i;

	for(i = 0; i < count; i++) {
		char **to = NULL;
		if(fields[i].name_len == 3 && memcmp(fields[i].name, "icp",
			3) == 0)
			to = &icp;
		else if(fields[i].name_len == 6 && memcmp(fields[i].name,
			"entity", 6) == 0)
			to = &entity;
		else if(fields[i].name_len == 10 && memcmp(fields[i].name,
			"registrant", 10) == 0)
			to = &reg;
		if(to != NULL && *to == NULL)
			*to = xstrndup(fields[i].value, fields[i].value_len);
	}
	if(icp == NULL)
		finding(r, "error", "icp", key, "no filing number");
	else if(icp_normalise(icp, norm, err) != ICP_OK)
		finding(r, "error", "icp", key, "malformed filing number "
			"'%s': %s", icp, err);
	if(reg == NULL)
		finding(r, "warning", "registrant", key, "no registrant "
			"recorded (the 2018 rule: the domain must be "
			"registered to the filing entity)");
	else if(entity == NULL || strcmp(reg, entity) != 0)
		finding(r, "warning", "registrant", key, "registrant '%s' "
			"differs from the entity '%s' (the 2018 rule)", reg,
			entity ? entity : "");
	free(icp);
	free(entity);
	free(reg);
}

/**
 * Whether cnroutectl can write a readable name (not a wildcard filing,
 * no character it refuses).
 * @param err: out, why not (NAME_ERR_MAX bytes).
 */
static int
name_for_cli(const struct key_name *kn, char *err)
{
	char text[DNAME_MAX_TEXT], canon[NAME_TEXT_MAX];

	dname_to_text(kn->name, text);
	return name_normalise(text, kn->kind == KEY_ROUTE, canon, err) == 0;
}

/** A readable name cnroutectl would not write: the module reads it, the
 *  CLI can't manage it. */
static void
check_name_for_cli(struct check_run *r, const char *key,
	const struct key_name *kn)
{
	char err[NAME_ERR_MAX];

	if(!name_for_cli(kn, err))
		finding(r, "warning", "name", key, "name not valid for "
			"cnroutectl: %s", err);
}

void
check_run_key(struct check_run *r, size_t i, enum record_shape shape,
	const struct record_field *fields, size_t count)
{
	struct key_name kn;
	char err[RECORD_ERR_MAX], key[STORE_ERR_MAX];
	const char *k = keylist_key(&r->keys, i);
	size_t len = r->keys.len[i];

	if(r->present == NULL) {
		r->present = xmalloc(r->keys.n);
		memset(r->present, 0, r->keys.n);
	}
	judge_apply(&r->j, k, len, shape, fields, count);
	if(shape == RECORD_MISSING)
		return; /* deleted since the SCAN */
	r->present[i] = 1;
	if(key_parse(r->prefix, k, len, &kn, err) != 0) {
		/* the keyspace reported it */
		if(kn.kind == KEY_FILING)
			r->filings++;
		else
			r->routes++;
		return;
	}
	if(kn.kind == KEY_ROUTE)
		r->routes++;
	else if(kn.kind == KEY_FILING)
		r->filings++;
	else
		return;
	key_text(r, i, key, sizeof(key));
	check_name_for_cli(r, key, &kn);
	if(kn.kind == KEY_FILING && shape == RECORD_HASH &&
		filing_judge(kn.name, shape, fields, count, err) !=
		FILING_INVALID)
		check_filing_fields(r, key, fields, count);
}

/**
 * Read every filing and route key through the keyspace: one SCAN of the
 * key names, then HGETALL in pipelines of CHECK_BATCH keys.
 * @return CLI code.
 */
static int
check_read(struct store *s, struct check_run *r, char *err)
{
	char *pattern = store_prefix_pattern(s);
	const char *k[CHECK_BATCH];
	redisReply *rep[CHECK_BATCH];
	size_t at, i, n;
	int rc = store_scan_keys(s, pattern, keep_cnroute_key, s->prefix,
		&r->keys, err);

	free(pattern);
	if(rc != CLI_OK)
		return rc;
	for(at = 0; at < r->keys.n && rc == CLI_OK; at += n) {
		n = r->keys.n - at < CHECK_BATCH ? r->keys.n - at :
			CHECK_BATCH;
		for(i = 0; i < n; i++)
			k[i] = keylist_key(&r->keys, at + i);
		rc = store_fetch_replies(s, k, r->keys.len + at, n, rep, err);
		for(i = 0; rc == CLI_OK && i < n; i++) {
			struct record_field fields[RECORD_FIELDS_MAX];
			size_t count;
			enum record_shape shape = sync_reply_shape(rep[i],
				fields, &count);
			check_run_key(r, at + i, shape, fields, count);
		}
		store_replies_free(rep, n);
	}
	return rc;
}

/** The keyspace's reports, as findings. */
static void
check_reports(struct check_run *r)
{
	char key[STORE_ERR_MAX];
	size_t i;

	for(i = 0; i < r->j.count; i++) {
		const struct judge_report *rep = &r->j.reports[i];
		check_key_printable(rep->key, rep->key_len, key, sizeof(key));
		switch(rep->note) {
		case KEYSPACE_BAD_NAME:
			finding(r, "error", "skipped", key, "%s",
				rep->message);
			break;
		case KEYSPACE_BAD_FILING:
			finding(r, "error", "invalid-filing", key, "%s (an "
				"invalid filing covers the names below it and "
				"is never active: they get offshore)",
				rep->message);
			break;
		case KEYSPACE_BAD_ROUTE:
			finding(r, "error", "skipped", key, "%s (the module "
				"does not use this rule)", rep->message);
			break;
		case KEYSPACE_SPELLINGS:
			/* about the name, filed under its canonical key */
			finding(r, "warning", "spellings", key, "%s",
				rep->message);
			break;
		}
	}
}

/**
 * Keys not spelt canonically. A key of a name written under several
 * keys is named by that name's "spellings" finding already, and a name
 * cnroutectl can't write has its "name" finding instead.
 */
static void
check_spelling(struct check_run *r)
{
	char key[STORE_ERR_MAX], canon[DNAME_MAX_TEXT + 300];
	char nerr[NAME_ERR_MAX];
	size_t i;

	for(i = 0; i < r->keys.n; i++) {
		struct key_name kn;
		char err[KEY_ERR_MAX];
		if(r->present == NULL || !r->present[i] || key_parse(r->prefix,
			keylist_key(&r->keys, i), r->keys.len[i], &kn,
			err) != 0 || kn.canonical)
			continue;
		if(judge_has_spellings(&r->j, kn.kind, kn.name, kn.name_len) ||
			!name_for_cli(&kn, nerr))
			continue;
		if(key_canonical(r->prefix, kn.kind, kn.name, canon,
			sizeof(canon)) < 0)
			continue;
		key_text(r, i, key, sizeof(key));
		finding(r, "warning", "not-canonical", key, "key not in "
			"canonical form (cnroutectl writes '%s'); the module "
			"reads it, but tools that look the canonical key up "
			"will miss it", canon);
	}
}

/**
 * A route with a CN pool whose covering filing, in the judged table, is
 * not active: everyone gets offshore.
 * @param key: the key the finding names.
 */
static void
check_served_offshore(struct check_run *r, const char *key,
	const struct key_name *kn)
{
	const struct route *route = name_table_lookup(&r->st.routes,
		kn->name, kn->name_len);
	char domain[DNAME_MAX_TEXT];
	enum filing_status st;

	if(route == NULL || route->cn.kind == POOL_EMPTY)
		return;
	st = judge_covering(&r->st, kn->name, kn->name_len, domain);
	if(st == FILING_ACTIVE)
		return;
	if(st == FILING_NONE)
		finding(r, "warning", "served-offshore", key, "CN pool but no "
			"filing covers the name: everyone gets offshore");
	else
		finding(r, "warning", "served-offshore", key, "CN pool but the "
			"covering filing %s is %s: everyone gets offshore",
			domain, filing_status_name(st));
}

/** Every managed name's route, against its covering filing. A name with
 *  several keys is looked at once, under its canonical key. */
static void
check_routes(struct check_run *r)
{
	char key[STORE_ERR_MAX], canon[DNAME_MAX_TEXT + 300];
	struct name_table done;
	size_t i;

	if(name_table_init(&done, 0, NULL) != 0)
		check_oom();
	for(i = 0; i < r->keys.n; i++) {
		struct key_name kn;
		char err[KEY_ERR_MAX];
		if(r->present == NULL || !r->present[i] || key_parse(r->prefix,
			keylist_key(&r->keys, i), r->keys.len[i], &kn,
			err) != 0 || kn.kind != KEY_ROUTE)
			continue;
		if(judge_has_spellings(&r->j, KEY_ROUTE, kn.name,
			kn.name_len)) {
			if(name_table_lookup(&done, kn.name, kn.name_len) !=
				NULL || key_canonical(r->prefix, KEY_ROUTE,
				kn.name, canon, sizeof(canon)) < 0)
				continue;
			if(name_table_put(&done, kn.name, kn.name_len,
				(void *)1, 0, NULL) != 0)
				check_oom();
			check_key_printable(canon, strlen(canon), key,
				sizeof(key));
		} else {
			key_text(r, i, key, sizeof(key));
		}
		check_served_offshore(r, key, &kn);
	}
	name_table_clear(&done);
}

/** qsort comparator of findings: by key, then in order of arrival. */
static int
finding_cmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if(c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/** Print the findings, sorted by key. */
static void
check_print(struct check_run *r, int json)
{
	json_t *list = json_new_array();
	size_t i;

	for(i = 0; i < r->nf; i++) {
		const struct finding *f = &r->f[i];
		json_t *obj;
		if(!json) {
			printf("%-7s %-16s %s: %s\n", f->severity, f->kind,
				f->key, f->message);
			continue;
		}
		obj = json_new_object();
		json_put(obj, "severity", json_str_or_null(f->severity));
		json_put(obj, "kind", json_str_or_null(f->kind));
		json_put(obj, "key", json_str_or_null(f->key));
		json_put(obj, "message", json_str_or_null(f->message));
		json_push(list, obj);
	}
	if(json) {
		json_print_lines(list);
		return;
	}
	json_decref(list);
	printf("%zu finding%s in %zu filings and %zu routes\n", r->nf,
		r->nf == 1 ? "" : "s", r->filings, r->routes);
}

int
check_run_init(struct check_run *r, const char *prefix)
{
	memset(r, 0, sizeof(*r));
	r->prefix = prefix;
	if(steering_table_init(&r->st) != 0)
		return -1;
	if(judge_begin(&r->j, prefix, &r->st) != 0) {
		steering_table_destroy(&r->st);
		return -1;
	}
	return 0;
}

void
check_run_finish(struct check_run *r)
{
	judge_commit(&r->j);
	check_reports(r);
	check_spelling(r);
	check_routes(r);
	if(r->nf > 1)
		qsort(r->f, r->nf, sizeof(*r->f), finding_cmp);
}

void
check_run_free(struct check_run *r)
{
	size_t i;

	for(i = 0; i < r->nf; i++) {
		free(r->f[i].key);
		free(r->f[i].message);
	}
	free(r->f);
	judge_free(&r->j);
	steering_table_destroy(&r->st);
	keylist_free(&r->keys);
	free(r->present);
	memset(r, 0, sizeof(*r));
}

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct check_run r;
	struct store *s;
	char err[STORE_ERR_MAX];
	int rc = opts_parse(cli, argc - 1, argv + 1, specs, &pos,
		usage_check);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 0)
		return usage_error(usage_check, "check takes no argument");
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	if(check_run_init(&r, s->prefix) != 0) {
		cli_error("out of memory");
		return CLI_INVALID;
	}
	rc = check_read(s, &r, err);
	if(rc != CLI_OK) {
		cli_error("%s", err);
		check_run_free(&r);
		return rc;
	}
	check_run_finish(&r);
	check_print(&r, cli->json);
	rc = r.nf ? CLI_INVALID : CLI_OK;
	check_run_free(&r);
	return rc;
}
