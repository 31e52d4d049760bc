/*
 * route.c - "cnroutectl route": set, show, list, del and import steering
 * rules, behind the onboarding gate.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/dname.h"
#include "cnroute/keys.h"
#include "commands.h"
#include "csvjson.h"
#include "json_out.h"
#include "judge.h"
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
	{ "name", 1, 0 }, { "cn", 0, 0 }, { "offshore", 0, 0 },
	{ "ttl", 0, 1 }
};
/** Index of each column in route_columns. */
enum { RC_NAME, RC_CN, RC_OFFSHORE, RC_TTL, RC_COUNT };

/** What the gate check needs to know about a batch of route writes. */
struct gate_ctx {
	/** the key prefix */
	const char *prefix;
	/** per operation: 1 when its CN pool is not empty */
	int *cn_nonempty;
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
describe_covering(const struct judge *j, const char *domain,
	enum filing_status status, char *out, size_t size)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	if(status == FILING_NONE) {
		snprintf(out, size, "no filing covers it");
		return;
	}
	snprintf(out, size, "its covering filing %s is %s%s%s", domain,
		filing_status_name(status), status == FILING_INVALID ?
		" (the module can't read it)" : "",
		dname_from_text(domain, wire, &len) == 0 &&
		judge_has_spellings(j, KEY_FILING, wire, len) ? " (it is "
		"written under several keys, and is active only if every "
		"one says active)" : "");
}

/** Start a gate message: "cnroutectl: [warning: ][FILE:LINE: ]". */
static void
gate_where(const struct gate_ctx *g, size_t i, int warning)
{
	fprintf(stderr, "cnroutectl: %s", warning ? "warning: " : "");
	if(g->path != NULL)
		fprintf(stderr, "%s:%d: ", g->path, g->lines[i]);
}

/**
 * The covering filing of an operation's route name in the judged table.
 * @param domain: out, DNAME_MAX_TEXT bytes.
 */
static enum filing_status
op_covering(const struct steering_table *st, const struct store_op *op,
	char *domain)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	domain[0] = 0;
	/* the key was built from a normalised name: "<prefix>route:NAME" */
	if(dname_from_text(strrchr(op->key, ':') + 1, wire, &len) != 0)
		return FILING_NONE;
	return judge_covering(st, wire, len, domain);
}

/**
 * Apply the gate to one operation.
 * @param told: the covering filings of the rules refused or forced so
 *	far (their reports are shown); this one's is added.
 */
static void
gate_one(struct gate_ctx *g, const struct judge *j,
	const struct steering_table *st, struct store_op *op, size_t i,
	struct name_table *told)
{
	char domain[DNAME_MAX_TEXT], why[DNAME_MAX_TEXT + 160];
	enum filing_status status = op_covering(st, op, domain);
	const char *name = strrchr(op->key, ':') + 1;
	enum gate_outcome outcome = gate_decide(1, status, g->force);
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	describe_covering(j, domain, status, why, sizeof(why));
	/* out of memory here only loses a note, never changes the answer */
	if(outcome != GATE_PASS && status != FILING_NONE &&
		dname_from_text(domain, wire, &len) == 0)
		(void)name_table_put(told, wire, len, (void *)1, 0, NULL);
	switch(outcome) {
	case GATE_PASS:
		break;
	case GATE_FORCED:
		g->forced++;
		gate_where(g, i, 1);
		fprintf(stderr, "route %s: %s; staged anyway (--force): it is "
			"served offshore until the domain has an active "
			"filing\n", name, why);
		break;
	case GATE_REFUSED:
		gate_where(g, i, 0);
		fprintf(stderr, "route %s: refused by the onboarding gate: it "
			"has a CN pool but %s; file the domain first, or use "
			"--force to stage it (served offshore until filed)\n",
			name, why);
		if(g->skip_invalid) {
			op->skip = 1;
			g->skipped++;
		} else {
			g->refused++;
		}
		break;
	}
}

/**
 * Show what the module reports about the covering filings of the rules
 * refused or forced (an invalid filing, several spellings): why the
 * filing is not active.
 */
static void
gate_notes(const struct judge *j, const struct name_table *told)
{
	size_t i;

	for(i = 0; told->count > 0 && i < j->count; i++) {
		const struct judge_report *r = &j->reports[i];
		struct key_name kn;
		char err[KEY_ERR_MAX];
		if(key_parse(j->ks.prefix, r->key, r->key_len, &kn, err) == 0 &&
			name_table_lookup(told, kn.name, kn.name_len) != NULL)
			fprintf(stderr, "cnroutectl: note: %s\n", r->message);
	}
}

/**
 * The onboarding gate, on the filings read under WATCH (every spelling
 * of every candidate domain), judged through the module's keyspace: the
 * covering filing is the one the module would find, an invalid or
 * partly revoked one included.
 */
static int
gate_check(void *ctx, struct store_op *ops, size_t n, char *const *guards,
	redisReply *const *replies, size_t nguards, char *err)
{
	struct gate_ctx *g = ctx;
	struct steering_table st;
	struct name_table told;
	struct judge j;
	size_t i;

	g->refused = g->forced = g->skipped = 0;
	snprintf(err, STORE_ERR_MAX, "out of memory");
	if(steering_table_init(&st) != 0)
		return CLI_INVALID;
	if(name_table_init(&told, 0, NULL) != 0) {
		steering_table_destroy(&st);
		return CLI_INVALID;
	}
	if(judge_begin(&j, g->prefix, &st) != 0) {
		name_table_clear(&told);
		steering_table_destroy(&st);
		return CLI_INVALID;
	}
	for(i = 0; i < nguards; i++)
		judge_apply_reply(&j, guards[i], strlen(guards[i]),
			replies[i]);
	judge_commit(&j);
	for(i = 0; i < n; i++)
		if(g->cn_nonempty[i])
			gate_one(g, &j, &st, &ops[i], i, &told);
	gate_notes(&j, &told);
	name_table_clear(&told);
	judge_free(&j);
	steering_table_destroy(&st);
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

/** The candidate domains of a batch, for gate_spelling. */
struct gate_names {
	/** the key prefix */
	const char *prefix;
	/** candidate domains (canonical wire names) */
	struct name_table domains;
};

/** store_keep_fn: a filing key spelling one of the candidate domains. */
static int
gate_spelling(void *ctx, const char *key, size_t len)
{
	const struct gate_names *gn = ctx;
	struct key_name kn;
	char err[KEY_ERR_MAX];

	return key_parse(gn->prefix, key, len, &kn, err) == 0 &&
		kn.kind == KEY_FILING && name_table_lookup(&gn->domains,
		kn.name, kn.name_len) != NULL;
}

/** Add the candidate domains of a route name (canonical keys to keys). */
static void
gate_candidates(struct store *s, const char *name, struct gate_names *gn,
	struct keylist *keys)
{
	char **cands;
	size_t count = filing_candidates(name, &cands), i;

	for(i = 0; i < count; i++) {
		uint8_t wire[DNAME_MAX_WIRE];
		size_t len;
		char *key = store_key(s, "filing", cands[i]);
		keylist_add(keys, key, strlen(key));
		free(key);
		if(dname_from_text(cands[i], wire, &len) == 0 &&
			name_table_put(&gn->domains, wire, len, (void *)1, 0,
			NULL) != 0) {
			fputs("cnroutectl: out of memory\n", stderr);
			exit(CLI_INVALID);
		}
	}
	strv_free(cands, count);
}

/**
 * The filing keys the gate reads for route names with a CN pool: the
 * canonical key of every domain that could cover one (WATCHed even when
 * missing, so a filing written meanwhile restarts the command), and every
 * other spelling of those domains found in Redis (one SCAN of the filing
 * key names), since the module reads them all.
 * @param guards: out, malloced keys (strv_free).
 * @return CLI_OK or CLI_REDIS (err set).
 */
static int
gate_guards(struct store *s, char *const *names, size_t n, char ***guards,
	size_t *nguards, char *err)
{
	struct gate_names gn;
	struct keylist keys, found;
	char *pattern;
	size_t i;
	int rc;

	*guards = NULL;
	*nguards = 0;
	memset(&keys, 0, sizeof(keys));
	gn.prefix = s->prefix;
	if(name_table_init(&gn.domains, 0, NULL) != 0) {
		snprintf(err, STORE_ERR_MAX, "out of memory");
		return CLI_INVALID;
	}
	for(i = 0; i < n; i++)
		gate_candidates(s, names[i], &gn, &keys);
	pattern = store_pattern(s, "filing");
	rc = store_scan_keys(s, pattern, gate_spelling, &gn, &found, err);
	free(pattern);
	for(i = 0; rc == CLI_OK && i < found.n; i++)
		keylist_add(&keys, keylist_key(&found, i), found.len[i]);
	keylist_sort(&keys);
	if(rc == CLI_OK) {
		*guards = xmalloc((keys.n ? keys.n : 1) * sizeof(char *));
		for(i = 0; i < keys.n; i++)
			(*guards)[i] = xstrdup(keylist_key(&keys, i));
		*nguards = keys.n;
	}
	keylist_free(&found);
	keylist_free(&keys);
	name_table_clear(&gn.domains);
	return rc;
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
	char **guards = NULL, *names[1];
	size_t nguards = 0;
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
	g.prefix = s->prefix;
	g.cn_nonempty = &cn_nonempty;
	g.force = force;
	names[0] = name;
	if(cn_nonempty)
		rc = gate_guards(s, names, 1, &guards, &nguards, err);
	if(rc == CLI_OK)
		rc = store_apply(s, &op, 1, guards, nguards, gate_check, &g,
			err);
	if(rc != CLI_OK)
		cli_error("%s", err);
	else
		printf("route %s: %s%s\n", name, op.changed ? "written" :
			"unchanged", g.forced ? " (staged: served offshore "
			"until filed)" : "");
	strv_free(guards, nguards);
	store_ops_free(&op, 1);
	return rc;
}

/** {"name":...,fields...} as JSON. */
static json_t *
route_json(const char *name, const struct kvlist *h)
{
	struct kvlist copy = { 0 };
	json_t *obj;
	kvlist_copy(&copy, h);
	kvlist_set(&copy, "name", name);
	obj = kvlist_to_json(&copy);
	kvlist_free(&copy);
	return obj;
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
		json_print(route_json(name, &h));
	} else {
		char *cn = kvlist_shown(&h, "cn", "(empty)");
		char *off = kvlist_shown(&h, "offshore", "(empty)");
		char *ttl = kvlist_shown(&h, "ttl", "(answer-ttl-max)");
		printf("%-9s %s\n", "name:", name);
		printf("%-9s %s\n", "cn:", cn);
		printf("%-9s %s\n", "offshore:", off);
		printf("%-9s %s\n", "ttl:", ttl);
		free(cn);
		free(off);
		free(ttl);
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
	size_t i;
	json_t *list;
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
	list = json_new_array();
	for(i = 0; rc == CLI_OK && i < all.n; i++) {
		const char *name = store_key_name(s, "route", all.keys[i]);
		if(all.states[i] != KEY_HASH)
			continue;
		if(cli->json) {
			json_push(list, route_json(name, &all.hashes[i]));
		} else {
			char *cn = kvlist_shown(&all.hashes[i], "cn", "");
			char *off = kvlist_shown(&all.hashes[i], "offshore", "");
			char *ttl = kvlist_shown(&all.hashes[i], "ttl", "-");
			printf("%-32s cn=%s offshore=%s ttl=%s\n", name, cn,
				off, ttl);
			free(cn);
			free(off);
			free(ttl);
		}
	}
	if(cli->json && rc == CLI_OK)
		json_print_lines(list);
	else
		json_decref(list);
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
	/** per operation: line */
	int *lines;
	/** number of operations */
	size_t n;
	/** guard keys (gate_guards) */
	char **guards;
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
	free(b->lines);
	strv_free(b->guards, b->nguards);
}

/**
 * The guards of a batch: the filings that may cover its rules with a CN
 * pool, in every spelling. @return CLI code (err set).
 */
static int
route_batch_guards(struct store *s, struct route_batch *b, char *err)
{
	char **names = xmalloc((b->n ? b->n : 1) * sizeof(char *));
	size_t i, n = 0;
	int rc;

	for(i = 0; i < b->n; i++)
		if(b->cn_nonempty[i])
			names[n++] = strrchr(b->ops[i].key, ':') + 1;
	rc = n ? gate_guards(s, names, n, &b->guards, &b->nguards, err) :
		CLI_OK;
	free(names);
	return rc;
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
		g.prefix = s->prefix;
		g.cn_nonempty = b.cn_nonempty;
		g.force = force;
		g.skip_invalid = skip_invalid;
		g.path = pos.args[0];
		g.lines = b.lines;
		rc = route_batch_guards(s, &b, err);
		if(rc == CLI_OK)
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
