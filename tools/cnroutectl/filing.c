/*
 * filing.c - "cnroutectl filing": set, show, list, revoke, restore,
 * cancel and import filings.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "csvjson.h"
#include "json_out.h"
#include "names.h"
#include "redis_store.h"
#include "rules.h"

/** Usage of "filing". */
static const char usage_filing[] =
	"usage: cnroutectl [-c FILE] filing COMMAND ...\n"
	"  filing set DOMAIN --icp NUMBER --entity NAME [--registrant NAME]"
	" [--status S]\n"
	"  filing show DOMAIN [--json]\n"
	"  filing list [--status S] [--json]\n"
	"  filing revoke|restore|cancel DOMAIN\n"
	"  filing import FILE [--skip-invalid]\n"
	"Status S: active (default), revoked, cancelled, pending.\n"
	"Import files: CSV with a header naming domain,icp,entity[,registrant]"
	"[,status]\nin any order, or JSON lines with the same keys.\n";

/** Usage of "filing set". */
static const char usage_set[] =
	"usage: cnroutectl filing set DOMAIN --icp NUMBER --entity NAME "
	"[--registrant NAME] [--status S]\n"
	"Writes the filing of DOMAIN (replacing it). NUMBER is validated: "
	"<province>ICP备<8|10 digits>号[-N]\nor <province>ICP证<digits>号; "
	"full-width digits and stray blanks are normalised.\n";

/** Usage of "filing show". */
static const char usage_show[] =
	"usage: cnroutectl filing show DOMAIN [--json]\n";

/** Usage of "filing list". */
static const char usage_list[] =
	"usage: cnroutectl filing list [--status S] [--json]\n";

/** Usage of "filing revoke|restore|cancel". */
static const char usage_status[] =
	"usage: cnroutectl filing revoke|restore|cancel DOMAIN\n"
	"Sets the status of an existing filing to revoked, active or "
	"cancelled.\n";

/** Usage of "filing import". */
static const char usage_import[] =
	"usage: cnroutectl filing import FILE [--skip-invalid]\n"
	"CSV with a header row naming domain,icp,entity,registrant,status in "
	"any order\n(status optional, active by default), or JSON lines with "
	"the same keys. All or\nnothing: any bad row is reported with its line "
	"number and nothing is written,\nunless --skip-invalid (the good rows "
	"are written, the bad ones listed).\n";

/** Print "updated" as a date too, for people. */
static void
print_updated(const char *value)
{
	char when[64] = "";
	time_t t = (time_t)strtoll(value, NULL, 10);
	struct tm tm;
	if(gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-11s %s (%s)\n", "updated:", value, when);
}

/** Print one filing for people. */
static void
print_filing(const char *domain, const struct kvlist *h)
{
	static const char *const order[] = { "status", "icp", "entity",
		"registrant" };
	char shown[NAME_TEXT_MAX * 4];
	size_t i;
	name_display(domain, shown, sizeof(shown));
	printf("%-11s %s%s%s%s\n", "domain:", domain,
		strcmp(shown, domain) ? " (" : "",
		strcmp(shown, domain) ? shown : "",
		strcmp(shown, domain) ? ")" : "");
	for(i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		char *v = kvlist_shown(h, order[i], "-");
		char label[32];
		snprintf(label, sizeof(label), "%s:", order[i]);
		printf("%-11s %s\n", label, v);
		free(v);
	}
	if(kvlist_get(h, "updated") != NULL)
		print_updated(kvlist_get(h, "updated"));
	for(i = 0; i < h->count; i++) {
		const char *n = h->items[i].name;
		if(strcmp(n, "status") && strcmp(n, "icp") &&
			strcmp(n, "entity") && strcmp(n, "registrant") &&
			strcmp(n, "updated")) {
			char *name = text_escape(n, strlen(n));
			char *v = text_escape(h->items[i].value,
				h->items[i].value_len);
			printf("%s: %s\n", name, v);
			free(name);
			free(v);
		}
	}
}

/** {"domain":...,fields...} as JSON. */
static json_t *
filing_json(const char *domain, const struct kvlist *h)
{
	struct kvlist copy = { 0 };
	json_t *obj;
	kvlist_copy(&copy, h);
	kvlist_set(&copy, "domain", domain);
	obj = kvlist_to_json(&copy);
	kvlist_free(&copy);
	return obj;
}

/** Normalise a DOMAIN argument. @return CLI_OK or CLI_INVALID. */
static int
domain_arg(const char *in, char *domain)
{
	char err[NAME_ERR_MAX];
	if(name_normalise(in, 0, domain, err) != 0) {
		cli_error("domain '%s': %s", in, err);
		return CLI_INVALID;
	}
	return CLI_OK;
}

/** Warn about a registrant that is not the filing entity (2018 rule). */
static void
warn_registrant(const char *domain, const struct kvlist *fields)
{
	const char *e = kvlist_get(fields, "entity");
	const char *r = kvlist_get(fields, "registrant");
	if(r == NULL)
		fprintf(stderr, "cnroutectl: warning: %s: no registrant "
			"given; since 2018 the domain must be registered to "
			"the filing entity\n", domain);
	else if(e != NULL && strcmp(e, r) != 0)
		fprintf(stderr, "cnroutectl: warning: %s: registrant '%s' "
			"differs from the entity '%s' (the 2018 rule)\n",
			domain, r, e);
}

/** "filing set". */
static int
filing_set(struct cli *cli, int argc, char **argv)
{
	const char *icp = NULL, *entity = NULL, *registrant = NULL;
	const char *status = NULL;
	const struct opt_spec specs[] = {
		{ "icp", 1, &icp, NULL }, { "entity", 1, &entity, NULL },
		{ "registrant", 1, &registrant, NULL },
		{ "status", 1, &status, NULL }, { NULL, 0, NULL, NULL }
	};
	struct opts_pos pos;
	struct filing_input in;
	struct store_op op;
	struct store *s;
	char domain[NAME_TEXT_MAX], err[STORE_ERR_MAX], now[32];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_set);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_set, "filing set needs one DOMAIN");
	if(icp == NULL || entity == NULL)
		return usage_error(usage_set, "--icp and --entity are "
			"required");
	memset(&op, 0, sizeof(op));
	in.domain = pos.args[0];
	in.icp = icp;
	in.entity = entity;
	in.registrant = registrant;
	in.status = status;
	if(filing_build(&in, domain, &op.fields, err) != 0) {
		cli_error("%s", err);
		kvlist_free(&op.fields);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK) {
		kvlist_free(&op.fields);
		return rc;
	}
	snprintf(now, sizeof(now), "%lld", s->now);
	kvlist_set(&op.fields, "updated", now);
	op.kind = STORE_REPLACE;
	op.key = store_key(s, "filing", domain);
	op.action = "filing.set";
	rc = store_apply(s, &op, 1, NULL, 0, NULL, NULL, err);
	if(rc != CLI_OK) {
		cli_error("%s", err);
	} else {
		warn_registrant(domain, &op.fields);
		printf("filing %s: %s (%s, %s)\n", domain, op.changed ?
			"written" : "unchanged", kvlist_get(&op.fields,
			"status"), kvlist_get(&op.fields, "icp"));
	}
	store_ops_free(&op, 1);
	return rc;
}

/** "filing show". */
static int
filing_show(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct kvlist h;
	enum key_state st;
	struct store *s;
	char domain[NAME_TEXT_MAX], err[STORE_ERR_MAX], *key;
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_show);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_show, "filing show needs one DOMAIN");
	if((rc = domain_arg(pos.args[0], domain)) != CLI_OK ||
		(rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	key = store_key(s, "filing", domain);
	rc = store_fetch(s, &key, 1, &h, &st, err);
	if(rc != CLI_OK) {
		cli_error("%s", err);
	} else if(st != KEY_HASH) {
		cli_error("%s: %s", domain, st == KEY_MISSING ? "no filing" :
			"the key is not a hash");
		rc = CLI_INVALID;
	} else if(cli->json) {
		json_print(filing_json(domain, &h));
	} else {
		print_filing(domain, &h);
	}
	kvlist_free(&h);
	free(key);
	return rc;
}

/** "filing list". */
static int
filing_list(struct cli *cli, int argc, char **argv)
{
	const char *status = NULL;
	const struct opt_spec specs[] = { { "status", 1, &status, NULL },
		{ NULL, 0, NULL, NULL } };
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
		return usage_error(usage_list, "filing list takes no argument");
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	rc = store_read_kind(s, "filing", &all, err);
	if(rc != CLI_OK)
		cli_error("%s", err);
	list = json_new_array();
	for(i = 0; rc == CLI_OK && i < all.n; i++) {
		const char *domain = store_key_name(s, "filing", all.keys[i]);
		const char *v = kvlist_get(&all.hashes[i], "status");
		if(all.states[i] != KEY_HASH || (status && (!v ||
			strcasecmp(v, status) != 0)))
			continue;
		if(cli->json) {
			json_push(list, filing_json(domain, &all.hashes[i]));
		} else {
			char *st = kvlist_shown(&all.hashes[i], "status", "-");
			char *icp = kvlist_shown(&all.hashes[i], "icp", "-");
			char *ent = kvlist_shown(&all.hashes[i], "entity", "-");
			printf("%-32s %-9s %-24s %s\n", domain, st, icp, ent);
			free(st);
			free(icp);
			free(ent);
		}
	}
	if(cli->json && rc == CLI_OK)
		json_print_lines(list);
	else
		json_decref(list);
	store_kind_free(&all);
	return rc;
}

/** "filing revoke|restore|cancel": change the status of a filing. */
static int
filing_status_cmd(struct cli *cli, int argc, char **argv, const char *sub)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	const char *status = strcmp(sub, "restore") == 0 ? "active" :
		strcmp(sub, "revoke") == 0 ? "revoked" : "cancelled";
	struct opts_pos pos;
	struct store_op op;
	struct store *s;
	char domain[NAME_TEXT_MAX], err[STORE_ERR_MAX], now[32];
	char action[32];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_status);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_status, "filing %s needs one DOMAIN",
			sub);
	if((rc = domain_arg(pos.args[0], domain)) != CLI_OK)
		return rc;
	/* revoking or cancelling one written by hand is cleaning up;
	 * restoring it would write a filing the module reads as invalid */
	if(strcmp(sub, "restore") == 0 && filing_domain_check(domain,
		err) != 0) {
		cli_error("%s", err);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	memset(&op, 0, sizeof(op));
	snprintf(now, sizeof(now), "%lld", s->now);
	snprintf(action, sizeof(action), "filing.%s", sub);
	op.kind = STORE_MERGE;
	op.key = store_key(s, "filing", domain);
	op.action = action;
	op.must_exist = 1;
	kvlist_set(&op.fields, "status", status);
	kvlist_set(&op.fields, "updated", now);
	rc = store_apply(s, &op, 1, NULL, 0, NULL, NULL, err);
	if(rc != CLI_OK) {
		if(op.old_state == KEY_MISSING && rc == CLI_INVALID)
			cli_error("%s: no filing to %s", domain, sub);
		else
			cli_error("%s", err);
	} else if(!op.changed) {
		printf("filing %s: already %s, nothing written\n", domain,
			status);
	} else {
		char *old = kvlist_shown(&op.old, "status", "(none)");
		printf("filing %s: %s -> %s\n", domain, old, status);
		free(old);
	}
	store_ops_free(&op, 1);
	return rc;
}

/**
 * Validate the rows of a filing import into operations.
 * @return the number of operations (rows that are valid).
 */
static size_t
import_ops(struct store *s, struct import_result *res, struct store_op *ops,
	int *op_line)
{
	size_t i, j, n = 0;
	char now[32];
	snprintf(now, sizeof(now), "%lld", s->now);
	for(i = 0; i < res->row_count; i++) {
		char **v = res->rows[i].values, domain[NAME_TEXT_MAX];
		char err[RULES_ERR_MAX];
		struct filing_input in = filing_input_from_row(v);
		struct store_op *op = &ops[n];
		int dup = 0;
		memset(op, 0, sizeof(*op));
		if(filing_build(&in, domain, &op->fields, err) != 0) {
			import_add_error(res, res->rows[i].line, "%s", err);
			kvlist_free(&op->fields);
			continue;
		}
		op->key = store_key(s, "filing", domain);
		for(j = 0; j < n && !dup; j++) {
			if(strcmp(ops[j].key, op->key) == 0) {
				import_add_error(res, res->rows[i].line,
					"domain %s already on line %d", domain,
					op_line[j]);
				dup = 1;
			}
		}
		if(dup) {
			store_ops_free(op, 1);
			continue;
		}
		kvlist_set(&op->fields, "updated", now);
		op->kind = STORE_REPLACE;
		op->action = "filing.import";
		op_line[n++] = res->rows[i].line;
	}
	import_sort_errors(res);
	return n;
}

void
import_summary(const char *what, struct store_op *ops, size_t n,
	size_t skipped)
{
	size_t i, added = 0, updated = 0, same = 0;
	for(i = 0; i < n; i++) {
		if(ops[i].skip)
			skipped++;
		else if(!ops[i].changed)
			same++;
		else if(ops[i].old_state == KEY_HASH)
			updated++;
		else
			added++;
	}
	printf("%s import: %zu added, %zu updated, %zu unchanged, %zu "
		"skipped\n", what, added, updated, same, skipped);
}

/** "filing import". */
static int
filing_import(struct cli *cli, int argc, char **argv)
{
	int skip_invalid = 0;
	const struct opt_spec specs[] = {
		{ "skip-invalid", 0, NULL, &skip_invalid },
		{ NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct import_result res;
	struct store_op *ops;
	struct store *s;
	int *lines;
	size_t n;
	char err[STORE_ERR_MAX];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_import);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 1)
		return usage_error(usage_import, "filing import needs a FILE");
	rc = import_file(pos.args[0], filing_file_columns,
		FILING_COL_COUNT, &res);
	if(rc != CLI_OK)
		return rc;
	if((rc = cli_store(cli, &s)) != CLI_OK) {
		import_result_free(&res);
		return rc;
	}
	ops = xmalloc((res.row_count ? res.row_count : 1) * sizeof(*ops));
	lines = xmalloc((res.row_count ? res.row_count : 1) * sizeof(int));
	n = import_ops(s, &res, ops, lines);
	import_report(pos.args[0], &res);
	if(res.error_count > 0 && !skip_invalid) {
		cli_error("%s: %zu bad row%s, nothing written (fix them, or "
			"use --skip-invalid)", pos.args[0], res.error_count,
			res.error_count == 1 ? "" : "s");
		rc = CLI_INVALID;
	} else {
		rc = store_apply(s, ops, n, NULL, 0, NULL, NULL, err);
		if(rc != CLI_OK)
			cli_error("%s", err);
		else
			import_summary("filing", ops, n, res.error_count);
	}
	store_ops_free(ops, n);
	free(ops);
	free(lines);
	import_result_free(&res);
	return rc;
}

int
cmd_filing(struct cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;
	if(sub == NULL)
		return usage_error(usage_filing, "filing needs a command");
	if(strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
		strcmp(sub, "help") == 0) {
		fputs(usage_filing, stdout);
		return CLI_OK;
	}
	if(strcmp(sub, "set") == 0)
		return filing_set(cli, argc - 2, argv + 2);
	if(strcmp(sub, "show") == 0)
		return filing_show(cli, argc - 2, argv + 2);
	if(strcmp(sub, "list") == 0)
		return filing_list(cli, argc - 2, argv + 2);
	if(strcmp(sub, "revoke") == 0 || strcmp(sub, "restore") == 0 ||
		strcmp(sub, "cancel") == 0)
		return filing_status_cmd(cli, argc - 2, argv + 2, sub);
	if(strcmp(sub, "import") == 0)
		return filing_import(cli, argc - 2, argv + 2);
	return usage_error(usage_filing, "unknown filing command '%s'", sub);
}
