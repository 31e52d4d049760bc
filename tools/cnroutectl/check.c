/*
 * check.c - "cnroutectl check": everything in Redis that is inconsistent
 * or risky.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Findings: records the module would skip (judged by the module's own
 * parsers), routes with a CN pool whose covering filing is not active
 * (served offshore), filings whose registrant is not the filing entity
 * (the 2018 rule), malformed filing numbers, and keys not in the
 * canonical form the CLI writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/dname.h"
#include "commands.h"
#include "explain.h"
#include "icp.h"
#include "names.h"
#include "redis_store.h"

/** Usage of "check". */
static const char usage_check[] =
	"usage: cnroutectl check [--json]\n"
	"Lists what is inconsistent or risky: records the module skips, "
	"routes with a CN\npool whose domain has no active filing (served "
	"offshore), filings whose\nregistrant differs from the entity, "
	"malformed filing numbers, keys not in\ncanonical form. Exit 0 when "
	"nothing is found, 2 when something is.\n";

/** Everything check read. */
struct check_data {
	/** every filing key and hash */
	struct store_kind filings;
	/** every route key and hash */
	struct store_kind routes;
};

/** Findings, printed as they come (text) or collected (JSON). */
struct findings {
	/** --json */
	int json;
	/** the JSON array being built */
	struct strbuf sb;
	/** number of findings */
	size_t count;
};

/** Report one finding. */
static void
finding(struct findings *f, const char *severity, const char *kind,
	const char *key, const char *format, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, format);
	if(vasprintf(&msg, format, ap) < 0)
		msg = NULL;
	va_end(ap);
	if(msg == NULL)
		return;
	if(f->json) {
		sb_puts(&f->sb, f->count ? ",\n" : "\n");
		sb_puts(&f->sb, "{\"severity\":");
		sb_json_str(&f->sb, severity);
		sb_puts(&f->sb, ",\"kind\":");
		sb_json_str(&f->sb, kind);
		sb_puts(&f->sb, ",\"key\":");
		sb_json_str(&f->sb, key);
		sb_puts(&f->sb, ",\"message\":");
		sb_json_str(&f->sb, msg);
		sb_puts(&f->sb, "}");
	} else {
		printf("%-7s %-16s %s: %s\n", severity, kind, key, msg);
	}
	f->count++;
	free(msg);
}

/** Read every filing and route. @return CLI code. */
static int
check_read(struct store *s, struct check_data *d, char *err)
{
	int rc = store_read_kind(s, "filing", &d->filings, err);
	if(rc == CLI_OK)
		rc = store_read_kind(s, "route", &d->routes, err);
	return rc;
}

/** Free what check read. */
static void
check_data_free(struct check_data *d)
{
	store_kind_free(&d->filings);
	store_kind_free(&d->routes);
}

/**
 * Check the name in a key: one the module can read, in canonical form.
 * @return 0 when the module can read it.
 */
static int
check_key_name(struct findings *f, const char *key, const char *name,
	int wildcard_ok)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	char canon[NAME_TEXT_MAX], err[NAME_ERR_MAX];
	if(dname_from_text(name, wire, &len) != 0 || len <= 1) {
		finding(f, "error", "skipped", key, "the module skips it: "
			"bad name in the key");
		return -1;
	}
	if(name_normalise(name, wildcard_ok, canon, err) != 0)
		finding(f, "warning", "name", key, "name not valid for "
			"cnroutectl: %s", err);
	else if(strcmp(canon, name) != 0)
		finding(f, "warning", "not-canonical", key, "key not in "
			"canonical form (cnroutectl writes '%s'); tools that "
			"look the canonical key up will miss it", canon);
	return 0;
}

/** Check one filing's number and registrant. */
static void
check_filing_fields(struct findings *f, const char *key,
	const struct kvlist *h)
{
	const char *icp = kvlist_get(h, "icp");
	const char *entity = kvlist_get(h, "entity");
	const char *reg = kvlist_get(h, "registrant");
	char norm[ICP_MAX], err[ICP_ERR_MAX];
	if(icp == NULL)
		finding(f, "error", "icp", key, "no filing number");
	else if(icp_normalise(icp, norm, err) != ICP_OK)
		finding(f, "error", "icp", key, "malformed filing number "
			"'%s': %s", icp, err);
	if(reg == NULL)
		finding(f, "warning", "registrant", key, "no registrant "
			"recorded (the 2018 rule: the domain must be "
			"registered to the filing entity)");
	else if(entity == NULL || strcmp(reg, entity) != 0)
		finding(f, "warning", "registrant", key, "registrant '%s' "
			"differs from the entity '%s' (the 2018 rule)", reg,
			entity ? entity : "");
}

/** Check every filing; fill the table with the valid ones. */
static void
check_filings(struct store *s, struct findings *f, struct check_data *d,
	struct explain_table *t)
{
	size_t i;
	for(i = 0; i < d->filings.n; i++) {
		const char *key = d->filings.keys[i];
		const char *name = store_key_name(s, "filing", key);
		char kind = 'f';
		size_t before = t->nskipped;
		if(check_key_name(f, key, name, 0) != 0)
			continue;
		explain_table_fill(t, (char *const *)&name, &kind, &d->filings.hashes[i],
			&d->filings.states[i], 1);
		if(t->nskipped > before) {
			finding(f, "error", "skipped", key, "the module skips "
				"it: %s", strchr(t->skipped[before], ':') + 2);
			continue;
		}
		if(d->filings.states[i] == KEY_HASH)
			check_filing_fields(f, key, &d->filings.hashes[i]);
	}
}

/**
 * The covering filing of a route name, as the module finds it.
 * @param domain: out, DNAME_MAX_TEXT bytes ("" when none).
 */
static enum filing_status
covering(const struct explain_table *t, const uint8_t *wire, size_t len,
	char *domain)
{
	const uint8_t *p = dname_is_wildcard(wire) ? dname_parent(wire) :
		wire;
	domain[0] = 0;
	for(; p != NULL; p = dname_parent(p)) {
		size_t plen = len - (size_t)(p - wire);
		void *v = name_table_lookup(&t->st.filings, p, plen);
		if(v != NULL) {
			dname_to_text(p, domain);
			return (enum filing_status)(uintptr_t)v;
		}
	}
	return FILING_NONE;
}

/** Check one valid route for a CN pool without an active filing. */
static void
check_route_gate(struct findings *f, const struct explain_table *t,
	const char *key, const char *name, const struct kvlist *h)
{
	const char *cn = kvlist_get(h, "cn");
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;
	char domain[DNAME_MAX_TEXT];
	enum filing_status st;
	struct pool pool;
	char err[RECORD_ERR_MAX];
	if(cn == NULL || pool_parse(cn, strlen(cn), &pool, err) != 0)
		return;
	if(pool.kind == POOL_EMPTY)
		return;
	pool_free(&pool);
	if(dname_from_text(name, wire, &len) != 0)
		return;
	st = covering(t, wire, len, domain);
	if(st == FILING_ACTIVE)
		return;
	if(st == FILING_NONE)
		finding(f, "warning", "served-offshore", key, "CN pool but no "
			"filing covers the name: everyone gets offshore");
	else
		finding(f, "warning", "served-offshore", key, "CN pool but the "
			"covering filing %s is %s: everyone gets offshore",
			domain, filing_status_name(st));
}

/** Check every route. */
static void
check_routes(struct store *s, struct findings *f, struct check_data *d,
	struct explain_table *t)
{
	struct explain_table scratch;
	size_t i;
	if(explain_table_init(&scratch) != 0)
		return;
	for(i = 0; i < d->routes.n; i++) {
		const char *key = d->routes.keys[i];
		const char *name = store_key_name(s, "route", key);
		char kind = 'r';
		size_t before = scratch.nskipped;
		if(check_key_name(f, key, name, 1) != 0)
			continue;
		/* parse through the module's path, in a scratch table */
		explain_table_fill(&scratch, (char *const *)&name, &kind,
			&d->routes.hashes[i], &d->routes.states[i], 1);
		if(scratch.nskipped > before) {
			finding(f, "error", "skipped", key, "the module skips "
				"it: %s", strchr(scratch.skipped[before],
				':') + 2);
			continue;
		}
		if(d->routes.states[i] == KEY_HASH)
			check_route_gate(f, t, key, name, &d->routes.hashes[i]);
	}
	explain_table_free(&scratch);
}

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct check_data d;
	struct findings f;
	struct explain_table t;
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
	memset(&d, 0, sizeof(d));
	memset(&f, 0, sizeof(f));
	f.json = cli->json;
	rc = check_read(s, &d, err);
	if(rc != CLI_OK) {
		cli_error("%s", err);
		check_data_free(&d);
		return rc;
	}
	if(explain_table_init(&t) != 0) {
		check_data_free(&d);
		return CLI_INVALID;
	}
	check_filings(s, &f, &d, &t);
	check_routes(s, &f, &d, &t);
	if(f.json)
		printf("[%s%s]\n", sb_str(&f.sb), f.count ? "\n" : "");
	else
		printf("%zu finding%s in %zu filings and %zu routes\n",
			f.count, f.count == 1 ? "" : "s", d.filings.n, d.routes.n);
	sb_free(&f.sb);
	explain_table_free(&t);
	check_data_free(&d);
	return f.count ? CLI_INVALID : CLI_OK;
}
