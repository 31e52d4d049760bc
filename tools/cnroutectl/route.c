/*
 * route.c - "cnroutectl route": set, show, list, del and import steering
 * rules, behind the onboarding gate.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "csvjson.h"
#include "names.h"
#include "redis_store.h"
#include "rules.h"

/** Usage of "route". */
static const char usage_route[] =
	"usage: cnroutectl [-c FILE] route COMMAND ...\n"
	"  route set NAME [--cn ITEMS] [--offshore ITEMS] [--ttl N] [--force]\n"
	"  route show NAME [--json]\n"
	"  route list [--json]\n"
	"  route del NAME\n"
	"  route import FILE [--skip-invalid] [--force]\n"
	"ITEMS: comma-separated IPv4/IPv6 addresses, or one absolute name "
	"ending in '.'\n(a CNAME target). NAME may start with '*.' (every "
	"name below).\n";

/** Usage of "route set". */
static const char usage_set[] =
	"usage: cnroutectl route set NAME [--cn ITEMS] [--offshore ITEMS] "
	"[--ttl N] [--force]\n"
	"Writes the rule of NAME (replacing it). A non-empty --cn is refused "
	"(exit 3)\nunless the filing covering NAME is active; --force writes "
	"it anyway, and it is\nserved offshore until the domain is filed.\n";

/** Usage of "route show". */
static const char usage_show[] =
	"usage: cnroutectl route show NAME [--json]\n";

/** Usage of "route list". */
static const char usage_list[] = "usage: cnroutectl route list [--json]\n";

/** Usage of "route del". */
static const char usage_del[] = "usage: cnroutectl route del NAME\n";

/** Usage of "route import". */
static const char usage_import[] =
	"usage: cnroutectl route import FILE [--skip-invalid] [--force]\n"
	"CSV with a header row naming name,cn,offshore,ttl in any order, or "
	"JSON lines\nwith the same keys. All or nothing, like filing import; "
	"rows refused by the\nonboarding gate make it exit 3 unless --force "
	"(or --skip-invalid, which skips them).\n";

/** Columns of a route import file. */
static const struct import_column route_columns[] = {
	{ "name", 1 }, { "cn", 0 }, { "offshore", 0 }, { "ttl", 0 }
};
/** Index of each column in route_columns. */
enum { RC_NAME, RC_CN, RC_OFFSHORE, RC_TTL, RC_COUNT };

/** What the gate check needs to know about a batch of route writes. */
struct gate_ctx {
	/** per operation: 1 when its CN pool is not empty */
	int *cn_nonempty;
	/** per operation: index of its first guard (filing key) */
	size_t *guard_start;
	/** per operation: number of its guards */
	size_t *guard_count;
	/** per guard: the filing's domain, for messages */
	char **guard_domain;
	/** --force */
	int force;
	/** --skip-invalid: drop refused rows instead of refusing the batch */
	int skip_invalid;
	/** import file name, or NULL for "route set" */
	const char *path;
	/** per operation: line in the import file */
	const int *lines;
	/** out: rows refused */
	size_t refused;
	/** out: rows written despite the gate (--force) */
	size_t forced;
	/** out: rows skipped (--skip-invalid) */
	size_t skipped;
};

/** Describe the covering filing for a message. */
static void
describe_covering(const struct gate_ctx *g, long idx, size_t start,
	enum filing_status status, char *out, size_t size)
{
	if(idx < 0)
		snprintf(out, size, "no filing covers it");
	else
		snprintf(out, size, "its covering filing %s is %s",
			g->guard_domain[start + (size_t)idx],
			filing_status_name(status));
}

/** Start a gate message: "cnroutectl: [warning: ][FILE:LINE: ]". */
static void
gate_where(const struct gate_ctx *g, size_t i, int warning)
{
	fprintf(stderr, "cnroutectl: %s", warning ? "warning: " : "");
	if(g->path != NULL)
		fprintf(stderr, "%s:%d: ", g->path, g->lines[i]);
}

/** The onboarding gate, on the filings read under WATCH. */
static int
gate_check(void *ctx, struct store_op *ops, size_t n,
	const struct kvlist *guards, const enum key_state *states,
	size_t nguards, char *err)
{
	struct gate_ctx *g = ctx;
	size_t i;
	(void)nguards;
	g->refused = g->forced = g->skipped = 0;
	for(i = 0; i < n; i++) {
		enum filing_status status;
		long idx;
		char why[NAME_TEXT_MAX + 64];
		const char *name;
		if(!g->cn_nonempty[i])
			continue;
		idx = covering_filing(guards + g->guard_start[i],
			states + g->guard_start[i], g->guard_count[i],
			&status);
		describe_covering(g, idx, g->guard_start[i], status, why,
			sizeof(why));
		name = strrchr(ops[i].key, ':') + 1;
		switch(gate_decide(1, status, g->force)) {
		case GATE_PASS:
			break;
		case GATE_FORCED:
			g->forced++;
			gate_where(g, i, 1);
			fprintf(stderr, "route %s: %s; "
				"staged anyway (--force): it is served "
				"offshore until the domain has an active "
				"filing\n", name, why);
			break;
		case GATE_REFUSED:
			gate_where(g, i, 0);
			fprintf(stderr, "route %s: refused by the "
				"onboarding gate: it has a CN pool but %s; "
				"file the domain first, or use --force to "
				"stage it (served offshore until filed)\n",
				name, why);
			if(g->skip_invalid) {
				ops[i].skip = 1;
				g->skipped++;
			} else {
				g->refused++;
			}
			break;
		}
	}
	if(g->refused > 0) {
		snprintf(err, STORE_ERR_MAX, "%zu route%s refused by the "
			"onboarding gate, nothing written", g->refused,
			g->refused == 1 ? "" : "s");
		return CLI_REFUSED;
	}
	return CLI_OK;
}

/**
 * Build the fields of a route from the given values, canonicalised and
 * checked with the module's parser.
 * @return 0 or -1 with err set.
 */
static int
route_fields(const char *cn, const char *offshore, const char *ttl,
	struct kvlist *fields, int *cn_nonempty, char *err)
{
	struct strbuf pool = { 0 };
	char perr[RULES_ERR_MAX];
	if(cn != NULL) {
		if(pool_canonical(cn, &pool, perr) != 0) {
			snprintf(err, RULES_ERR_MAX, "cn: %.300s", perr);
			sb_free(&pool);
			return -1;
		}
		if(pool.len > 0)
			kvlist_set(fields, "cn", sb_str(&pool));
	}
	if(offshore != NULL) {
		if(pool_canonical(offshore, &pool, perr) != 0) {
			snprintf(err, RULES_ERR_MAX, "offshore: %.300s", perr);
			sb_free(&pool);
			return -1;
		}
		if(pool.len > 0)
			kvlist_set(fields, "offshore", sb_str(&pool));
	}
	sb_free(&pool);
	if(ttl != NULL)
		kvlist_set(fields, "ttl", ttl);
	return route_fields_check(fields, cn_nonempty, err);
}

/**
 * Add the filing keys that may cover a route name to the guards.
 * @return the number added.
 */
static size_t
add_guards(struct store *s, const char *name, char ***keys, char ***domains,
	size_t *n)
{
	char **cands;
	size_t count = filing_candidates(name, &cands), i;
	*keys = realloc(*keys, (*n + count) * sizeof(char *));
	*domains = realloc(*domains, (*n + count) * sizeof(char *));
	if(*keys == NULL || *domains == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	for(i = 0; i < count; i++) {
		(*keys)[*n + i] = store_key(s, "filing", cands[i]);
		(*domains)[*n + i] = cands[i];
	}
	free(cands);
	*n += count;
	return count;
}

/** "route set". */
static int
route_set(struct cli *cli, int argc, char **argv)
{
	const char *cn = NULL, *offshore = NULL, *ttl = NULL;
	int force = 0, cn_nonempty = 0;
	const struct opt_spec specs[] = {
		{ "cn", 1, &cn, NULL }, { "offshore", 1, &offshore, NULL },
		{ "ttl", 1, &ttl, NULL }, { "force", 0, NULL, &force },
		{ NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct store_op op;
	struct store *s;
	struct gate_ctx g;
	char name[NAME_TEXT_MAX], nerr[NAME_ERR_MAX], err[STORE_ERR_MAX];
	char **guards = NULL, **domains = NULL;
	size_t nguards = 0, start = 0;
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_set);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_set, "route set needs one NAME");
	if(cn == NULL && offshore == NULL)
		return usage_error(usage_set, "give --cn, --offshore or both");
	if(name_normalise(pos.args[0], 1, name, nerr) != 0) {
		cli_error("name '%s': %s", pos.args[0], nerr);
		return CLI_INVALID;
	}
	memset(&op, 0, sizeof(op));
	if(route_fields(cn, offshore, ttl, &op.fields, &cn_nonempty,
		err) != 0) {
		cli_error("route %s: %s", name, err);
		kvlist_free(&op.fields);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK) {
		kvlist_free(&op.fields);
		return rc;
	}
	op.kind = STORE_REPLACE;
	op.key = store_key(s, "route", name);
	op.action = "route.set";
	memset(&g, 0, sizeof(g));
	g.cn_nonempty = &cn_nonempty;
	g.guard_start = &start;
	g.guard_count = &nguards;
	if(cn_nonempty)
		add_guards(s, name, &guards, &domains, &nguards);
	g.guard_domain = domains;
	g.force = force;
	rc = store_apply(s, &op, 1, guards, nguards, gate_check, &g, err);
	if(rc != CLI_OK)
		cli_error("%s", err);
	else
		printf("route %s: %s%s\n", name, op.changed ? "written" :
			"unchanged", g.forced ? " (staged: served offshore "
			"until filed)" : "");
	strv_free(guards, nguards);
	strv_free(domains, nguards);
	store_ops_free(&op, 1);
	return rc;
}

/** Append {"name":...,fields...}. */
static void
route_json(struct strbuf *sb, const char *name, const struct kvlist *h)
{
	struct kvlist copy = { 0 };
	kvlist_copy(&copy, h);
	kvlist_set(&copy, "name", name);
	kvlist_json(sb, &copy);
	kvlist_free(&copy);
}

/** "route show". */
static int
route_show(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct kvlist h;
	enum key_state st;
	struct store *s;
	char name[NAME_TEXT_MAX], nerr[NAME_ERR_MAX], err[STORE_ERR_MAX];
	char *key;
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_show);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_show, "route show needs one NAME");
	if(name_normalise(pos.args[0], 1, name, nerr) != 0) {
		cli_error("name '%s': %s", pos.args[0], nerr);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	key = store_key(s, "route", name);
	rc = store_fetch(s, &key, 1, &h, &st, err);
	if(rc != CLI_OK) {
		cli_error("%s", err);
	} else if(st != KEY_HASH) {
		cli_error("%s: %s", name, st == KEY_MISSING ? "no rule" :
			"the key is not a hash");
		rc = CLI_INVALID;
	} else if(cli->json) {
		struct strbuf sb = { 0 };
		route_json(&sb, name, &h);
		printf("%s\n", sb_str(&sb));
		sb_free(&sb);
	} else {
		const char *v;
		printf("%-9s %s\n", "name:", name);
		v = kvlist_get(&h, "cn");
		printf("%-9s %s\n", "cn:", v ? v : "(empty)");
		v = kvlist_get(&h, "offshore");
		printf("%-9s %s\n", "offshore:", v ? v : "(empty)");
		v = kvlist_get(&h, "ttl");
		printf("%-9s %s\n", "ttl:", v ? v : "(answer-ttl-max)");
	}
	kvlist_free(&h);
	free(key);
	return rc;
}

/** "route list". */
static int
route_list(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct store *s;
	struct store_kind all;
	char err[STORE_ERR_MAX];
	size_t i, shown = 0;
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_list);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 0)
		return usage_error(usage_list, "route list takes no argument");
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	rc = store_read_kind(s, "route", &all, err);
	if(rc != CLI_OK)
		cli_error("%s", err);
	if(cli->json && rc == CLI_OK)
		printf("[");
	for(i = 0; rc == CLI_OK && i < all.n; i++) {
		const char *name = store_key_name(s, "route", all.keys[i]);
		const char *cn = kvlist_get(&all.hashes[i], "cn");
		const char *off = kvlist_get(&all.hashes[i], "offshore");
		const char *ttl = kvlist_get(&all.hashes[i], "ttl");
		if(all.states[i] != KEY_HASH)
			continue;
		if(cli->json) {
			struct strbuf sb = { 0 };
			route_json(&sb, name, &all.hashes[i]);
			printf("%s\n%s", shown ? "," : "", sb_str(&sb));
			sb_free(&sb);
		} else {
			printf("%-32s cn=%s offshore=%s ttl=%s\n", name,
				cn ? cn : "", off ? off : "", ttl ? ttl : "-");
		}
		shown++;
	}
	if(cli->json && rc == CLI_OK)
		printf("%s]\n", shown ? "\n" : "");
	store_kind_free(&all);
	return rc;
}

/** "route del". */
static int
route_del(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct store_op op;
	struct store *s;
	char name[NAME_TEXT_MAX], nerr[NAME_ERR_MAX], err[STORE_ERR_MAX];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_del);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_del, "route del needs one NAME");
	if(name_normalise(pos.args[0], 1, name, nerr) != 0) {
		cli_error("name '%s': %s", pos.args[0], nerr);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	memset(&op, 0, sizeof(op));
	op.kind = STORE_DELETE;
	op.key = store_key(s, "route", name);
	op.action = "route.del";
	op.must_exist = 1;
	rc = store_apply(s, &op, 1, NULL, 0, NULL, NULL, err);
	if(rc != CLI_OK) {
		if(op.old_state == KEY_MISSING && rc == CLI_INVALID)
			cli_error("%s: no rule to delete", name);
		else
			cli_error("%s", err);
	} else {
		printf("route %s: deleted\n", name);
	}
	store_ops_free(&op, 1);
	return rc;
}

/** Room for the per-operation arrays of a route import. */
struct route_batch {
	/** the operations */
	struct store_op *ops;
	/** per operation: CN pool not empty */
	int *cn_nonempty;
	/** per operation: first guard */
	size_t *guard_start;
	/** per operation: guard count */
	size_t *guard_count;
	/** per operation: line */
	int *lines;
	/** number of operations */
	size_t n;
	/** guard keys */
	char **guards;
	/** guard domains */
	char **domains;
	/** number of guards */
	size_t nguards;
};

/** Validate one import row into the next operation. @return 0 or -1. */
static int
route_row(struct store *s, struct import_result *res, size_t r,
	struct route_batch *b)
{
	char **v = res->rows[r].values, name[NAME_TEXT_MAX];
	char nerr[NAME_ERR_MAX], err[RULES_ERR_MAX];
	int line = res->rows[r].line;
	struct store_op *op = &b->ops[b->n];
	size_t j;
	memset(op, 0, sizeof(*op));
	if(name_normalise(v[RC_NAME], 1, name, nerr) != 0) {
		import_add_error(res, line, "name: %s", nerr);
		return -1;
	}
	if(v[RC_CN] == NULL && v[RC_OFFSHORE] == NULL) {
		import_add_error(res, line, "%s: neither cn nor offshore "
			"given", name);
		return -1;
	}
	if(route_fields(v[RC_CN], v[RC_OFFSHORE], v[RC_TTL], &op->fields,
		&b->cn_nonempty[b->n], err) != 0) {
		import_add_error(res, line, "%s: %s", name, err);
		kvlist_free(&op->fields);
		return -1;
	}
	op->key = store_key(s, "route", name);
	for(j = 0; j < b->n; j++) {
		if(strcmp(b->ops[j].key, op->key) == 0) {
			import_add_error(res, line, "name %s already on line "
				"%d", name, b->lines[j]);
			store_ops_free(op, 1);
			return -1;
		}
	}
	op->kind = STORE_REPLACE;
	op->action = "route.import";
	b->lines[b->n] = line;
	b->guard_start[b->n] = b->nguards;
	b->guard_count[b->n] = b->cn_nonempty[b->n] ? add_guards(s, name,
		&b->guards, &b->domains, &b->nguards) : 0;
	b->n++;
	return 0;
}

/** Free a route batch. */
static void
route_batch_free(struct route_batch *b)
{
	store_ops_free(b->ops, b->n);
	free(b->ops);
	free(b->cn_nonempty);
	free(b->guard_start);
	free(b->guard_count);
	free(b->lines);
	strv_free(b->guards, b->nguards);
	strv_free(b->domains, b->nguards);
}

/** "route import". */
static int
route_import(struct cli *cli, int argc, char **argv)
{
	int skip_invalid = 0, force = 0;
	const struct opt_spec specs[] = {
		{ "skip-invalid", 0, NULL, &skip_invalid },
		{ "force", 0, NULL, &force }, { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct import_result res;
	struct route_batch b;
	struct gate_ctx g;
	struct store *s;
	size_t rows, r;
	char err[STORE_ERR_MAX];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_import);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_import, "route import needs a FILE");
	rc = import_file(pos.args[0], route_columns, RC_COUNT, &res);
	if(rc != CLI_OK)
		return rc;
	if((rc = cli_store(cli, &s)) != CLI_OK) {
		import_result_free(&res);
		return rc;
	}
	rows = res.row_count ? res.row_count : 1;
	memset(&b, 0, sizeof(b));
	b.ops = xmalloc(rows * sizeof(*b.ops));
	b.cn_nonempty = xmalloc(rows * sizeof(int));
	b.guard_start = xmalloc(rows * sizeof(size_t));
	b.guard_count = xmalloc(rows * sizeof(size_t));
	b.lines = xmalloc(rows * sizeof(int));
	for(r = 0; r < res.row_count; r++)
		route_row(s, &res, r, &b);
	import_sort_errors(&res);
	import_report(pos.args[0], &res);
	if(res.error_count > 0 && !skip_invalid) {
		cli_error("%s: %zu bad row%s, nothing written (fix them, or "
			"use --skip-invalid)", pos.args[0], res.error_count,
			res.error_count == 1 ? "" : "s");
		rc = CLI_INVALID;
	} else {
		memset(&g, 0, sizeof(g));
		g.cn_nonempty = b.cn_nonempty;
		g.guard_start = b.guard_start;
		g.guard_count = b.guard_count;
		g.guard_domain = b.domains;
		g.force = force;
		g.skip_invalid = skip_invalid;
		g.path = pos.args[0];
		g.lines = b.lines;
		rc = store_apply(s, b.ops, b.n, b.guards, b.nguards,
			gate_check, &g, err);
		if(rc != CLI_OK)
			cli_error("%s", err);
		else
			import_summary("route", b.ops, b.n,
				res.error_count);
	}
	route_batch_free(&b);
	import_result_free(&res);
	return rc;
}

int
cmd_route(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	if(sub == NULL)
		return usage_error(usage_route, "route needs a command");
	if(strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
		strcmp(sub, "help") == 0) {
		fputs(usage_route, stdout);
		return CLI_OK;
	}
	if(strcmp(sub, "set") == 0)
		return route_set(cli, argc - 2, argv + 2);
	if(strcmp(sub, "show") == 0)
		return route_show(cli, argc - 2, argv + 2);
	if(strcmp(sub, "list") == 0)
		return route_list(cli, argc - 2, argv + 2);
	if(strcmp(sub, "del") == 0)
		return route_del(cli, argc - 2, argv + 2);
	if(strcmp(sub, "import") == 0)
		return route_import(cli, argc - 2, argv + 2);
	return usage_error(usage_route, "unknown route command '%s'", sub);
}
