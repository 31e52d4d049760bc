/*
 * explain.c - "cnroutectl explain": the module's decision for one name and
 * one client, step by step, computed by the module's own code.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The region callback mirrors cnroute_locate_client in the module: an
 * ADDR/LEN is an ECS subnet (address masked to LEN; a source prefix of 0
 * means "unknown"), a bare ADDR is a client address without ECS; the
 * GeoIP network's prefix length becomes the ECS scope when the answer
 * depends on the region, 0 when it does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/dname.h"
#include "cnroute/geoip.h"
#include "cnroute/keys.h"
#include "commands.h"
#include "explain.h"
#include "json_out.h"
#include "names.h"
#include "netaddr.h"

/** Usage of "explain". */
static const char usage_explain[] =
	"usage: cnroutectl explain NAME --client ADDR[/LEN] [--type A|AAAA] "
	"[--json]\n"
	"The resolver's decision for NAME asked by a client, step by step: "
	"the matched\nrule, the covering filing, the client's GeoIP network "
	"and country, the pool,\nthe records, the TTL and the ECS scope. "
	"ADDR/LEN is taken as an ECS subnet,\na bare ADDR as the address of a "
	"client sending no ECS.\n";

void
explain_names(const char *name, char ***routes, size_t *nroutes,
	char ***filings, size_t *nfilings)
{
	const char *p;
	size_t nr = 0, nf = 0;
	char **r = xmalloc(130 * sizeof(char *));
	char **f = xmalloc(130 * sizeof(char *));
	r[nr++] = xstrdup(name);
	for(p = name; p != NULL && nf < 128; p = name_parent(p)) {
		f[nf++] = xstrdup(p);
		if(p != name)
			r[nr++] = xasprintf("*.%s", p);
	}
	/* the wildcard of the root: "*" */
	r[nr++] = xstrdup("*");
	*routes = r;
	*nroutes = nr;
	*filings = f;
	*nfilings = nf;
}

int
explain_table_init(struct explain_table *t)
{
	memset(t, 0, sizeof(*t));
	return steering_table_init(&t->st);
}

/** Put a name (text) into a table of wanted names. @return 0 or -1. */
static int
want_put(struct name_table *t, const char *name)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	if(dname_from_text(name, wire, &len) != 0 || len <= 1)
		return 0; /* no key can spell it: nothing to want */
	return name_table_put(t, wire, len, (void *)1, 0, NULL);
}

int
explain_want_init(struct explain_want *w, const char *prefix,
	const char *name)
{
	char **routes, **filings;
	size_t nr, nf, i;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->prefix = prefix;
	if(name_table_init(&w->filings, 0, NULL) != 0)
		return -1;
	if(name_table_init(&w->routes, 0, NULL) != 0) {
		name_table_clear(&w->filings);
		return -1;
	}
	explain_names(name, &routes, &nr, &filings, &nf);
	for(i = 0; i < nr && rc == 0; i++)
		rc = want_put(&w->routes, routes[i]);
	for(i = 0; i < nf && rc == 0; i++)
		rc = want_put(&w->filings, filings[i]);
	strv_free(routes, nr);
	strv_free(filings, nf);
	if(rc != 0)
		explain_want_free(w);
	return rc;
}

int
explain_want_key(void *want, const char *key, size_t len)
{
	const struct explain_want *w = want;
	struct key_name kn;
	char err[KEY_ERR_MAX];

	if(key_parse(w->prefix, key, len, &kn, err) != 0)
		return 0; /* the module skips it: it decides nothing */
	if(kn.kind == KEY_FILING)
		return name_table_lookup(&w->filings, kn.name,
			kn.name_len) != NULL;
	if(kn.kind == KEY_ROUTE)
		return name_table_lookup(&w->routes, kn.name,
			kn.name_len) != NULL;
	return 0;
}

void
explain_want_free(struct explain_want *w)
{
	name_table_clear(&w->filings);
	name_table_clear(&w->routes);
}

void
explain_table_take_reports(struct explain_table *t, const struct judge *j)
{
	size_t i;

	if(j->count == 0)
		return;
	t->skipped = xmalloc(j->count * sizeof(char *));
	for(i = 0; i < j->count; i++)
		t->skipped[i] = xstrdup(j->reports[i].message);
	t->nskipped = j->count;
}

/**
 * Fetch the keys (one pipeline) and judge them into the table.
 * @return CLI_OK or CLI_REDIS (err set).
 */
static int
explain_table_judge(struct store *s, const struct keylist *keys,
	struct explain_table *t, char *err)
{
	const char **k = xmalloc((keys->n ? keys->n : 1) * sizeof(*k));
	redisReply **r = xmalloc((keys->n ? keys->n : 1) * sizeof(*r));
	struct judge j;
	size_t i;
	int rc;

	for(i = 0; i < keys->n; i++)
		k[i] = keylist_key(keys, i);
	rc = store_fetch_replies(s, k, keys->len, keys->n, r, err);
	if(rc == CLI_OK && judge_begin(&j, s->prefix, &t->st) != 0) {
		snprintf(err, STORE_ERR_MAX, "out of memory");
		rc = CLI_INVALID;
	} else if(rc == CLI_OK) {
		/* byte order, as SCAN sorted them: the reports list the keys
		 * of a name the same way at every run */
		for(i = 0; i < keys->n; i++)
			judge_apply_reply(&j, k[i], keys->len[i], r[i]);
		judge_commit(&j);
		explain_table_take_reports(t, &j);
		judge_free(&j);
	}
	store_replies_free(r, keys->n);
	free(r);
	free(k);
	return rc;
}

int
explain_table_load(struct store *s, const char *name,
	struct explain_table *t, char *err)
{
	struct explain_want want;
	struct keylist keys;
	char *pattern;
	int rc;

	if(explain_want_init(&want, s->prefix, name) != 0) {
		snprintf(err, STORE_ERR_MAX, "out of memory");
		return CLI_INVALID;
	}
	pattern = store_prefix_pattern(s);
	rc = store_scan_keys(s, pattern, explain_want_key, &want, &keys, err);
	if(rc == CLI_OK)
		rc = explain_table_judge(s, &keys, t, err);
	keylist_free(&keys);
	free(pattern);
	explain_want_free(&want);
	return rc;
}

void
explain_table_free(struct explain_table *t)
{
	steering_table_destroy(&t->st);
	strv_free(t->skipped, t->nskipped);
	t->skipped = NULL;
	t->nskipped = 0;
}

void *
decision_arena_alloc(void *ctx, size_t size)
{
	struct decision_arena *a = ctx;
	if(a->n == sizeof(a->blocks) / sizeof(a->blocks[0]))
		return NULL;
	a->blocks[a->n] = xmalloc(size);
	return a->blocks[a->n++];
}

void
decision_arena_free(struct decision_arena *a)
{
	size_t i;
	for(i = 0; i < a->n; i++)
		free(a->blocks[i]);
	a->n = 0;
}

/** The client, as the region callback sees it. */
struct region_ctx {
	/** the configuration (mainland countries) */
	const struct cnroute_conf *conf;
	/** the GeoIP database */
	const struct geoip *geoip;
	/** the client given */
	struct client_subnet client;
	/** 1 when the client is an ECS subnet the module would use */
	int ecs;
	/** out: 1 when the callback was called */
	int called;
	/** out: the scope the module would send (callback's GeoIP prefix) */
	int scope;
};

/** The region callback: cnroute_locate_client without Unbound. */
static int
explain_region(void *arg)
{
	struct region_ctx *r = arg;
	struct geoip_location loc;
	r->called = 1;
	/* source prefix 0 asks that the address not be used */
	if(r->ecs && r->client.prefix == 0)
		return 0;
	geoip_locate(r->geoip, r->client.family, r->client.addr, &loc);
	r->scope = loc.prefix;
	return loc.found && conf_is_mainland(r->conf, loc.country, 2);
}

/** Everything explain shows. */
struct explanation {
	/** the query name, canonical text */
	char name[NAME_TEXT_MAX];
	/** the query type */
	uint16_t qtype;
	/** the client as given */
	const char *client_text;
	/** the region context (client, ECS, scope) */
	struct region_ctx region;
	/** the client's GeoIP location, for display */
	struct geoip_location loc;
	/** the decision */
	struct steering_decision d;
	/** the table (for the skipped records) */
	struct explain_table *table;
};

/** Name of a pool. */
static const char *
pool_name(enum steering_pool p)
{
	return p == STEER_POOL_CN ? "cn" : p == STEER_POOL_OFFSHORE ?
		"offshore" : "none";
}

/** Name of an action. */
static const char *
action_name(enum steering_action a)
{
	switch(a) {
	case STEER_ADDRESSES: return "addresses";
	case STEER_CNAME: return "cname";
	case STEER_RESOLVE: return "resolve";
	default: return "unmanaged";
	}
}

/** Why the pool was chosen, in words. */
static const char *
pool_reason(const struct steering_decision *d)
{
	if(d->action == STEER_UNMANAGED)
		return "no rule matches: Unbound resolves the name as usual";
	if(d->pool == STEER_POOL_CN)
		return "mainland client, active filing, CN pool not empty";
	if(d->filing == FILING_INVALID)
		return "no active filing (the covering filing is invalid: "
			"the module can't read it): never the CN pool";
	if(d->filing != FILING_ACTIVE)
		return "no active filing: never the CN pool";
	if(!d->region_dependent)
		return "the rule has no CN pool";
	return "the client is not mainland";
}

/** The ECS scope the reply would carry, or -1 for no ECS option. */
static int
ecs_scope(const struct explanation *e)
{
	if(!e->region.ecs || e->d.action == STEER_UNMANAGED)
		return -1;
	return e->d.region_dependent ? e->region.scope : 0;
}

/** The GeoIP network of the client, "ADDR/PREFIX". */
static void
client_network(const struct explanation *e, char *out, size_t size)
{
	uint8_t net[16];
	char text[NETADDR_TEXT_MAX];
	memcpy(net, e->region.client.addr, 16);
	addr_mask(net, e->region.client.family, e->loc.prefix);
	addr_format(e->region.client.family, net, text);
	snprintf(out, size, "%s/%d", text, e->loc.prefix);
}

/** The answer records as a JSON array of strings. */
static json_t *
records_json(const struct steering_decision *d)
{
	json_t *list = json_new_array();
	char text[DNAME_MAX_TEXT];
	uint16_t i;
	if(d->action == STEER_CNAME && d->cname != NULL) {
		dname_to_text(d->cname, text);
		json_push(list, json_str_or_null(text));
		return list;
	}
	if(d->action != STEER_ADDRESSES)
		return list;
	for(i = 0; i < d->addr_count; i++) {
		addr_format(d->addr_len == 4 ? 4 : 6,
			d->addrs + (size_t)i * d->addr_len, text);
		json_push(list, json_str_or_null(text));
	}
	return list;
}

/** A name of the decision without its trailing dot, or JSON null. */
static json_t *
decision_name_json(const uint8_t *wire)
{
	char text[DNAME_MAX_TEXT];
	if(wire == NULL)
		return json_null();
	dname_to_text(wire, text);
	text[strlen(text) - 1] = 0;
	return json_str_or_null(text);
}

/** Print the explanation as one JSON object. */
static void
print_json(const struct explanation *e)
{
	json_t *obj = json_new_object(), *skipped = json_new_array();
	char net[NETADDR_TEXT_MAX + 8];
	size_t i;
	int scope = ecs_scope(e);
	json_put(obj, "name", json_str_or_null(e->name));
	json_put(obj, "type", json_str_or_null(e->qtype == STEER_TYPE_A ?
		"A" : "AAAA"));
	json_put(obj, "rule", decision_name_json(e->d.rule_name));
	json_put(obj, "rule_kind", json_str_or_null(e->d.rule_name == NULL ?
		"none" : e->d.rule_wildcard ? "wildcard" : "exact"));
	json_put(obj, "filing", decision_name_json(e->d.filing_name));
	json_put(obj, "filing_status", json_str_or_null(
		filing_status_name(e->d.filing)));
	json_put(obj, "client", json_str_or_null(e->client_text));
	json_put(obj, "ecs", json_boolean(e->region.ecs));
	client_network(e, net, sizeof(net));
	json_put(obj, "network", json_str_or_null(e->loc.found ? net :
		NULL));
	json_put(obj, "country", json_str_or_null(e->loc.country[0] ?
		e->loc.country : NULL));
	json_put(obj, "mainland", json_boolean(e->loc.found &&
		conf_is_mainland(e->region.conf, e->loc.country, 2) &&
		!(e->region.ecs && e->region.client.prefix == 0)));
	json_put(obj, "region_used", json_boolean(e->d.mainland >= 0));
	json_put(obj, "pool", json_str_or_null(pool_name(e->d.pool)));
	json_put(obj, "action", json_str_or_null(action_name(e->d.action)));
	json_put(obj, "records", records_json(&e->d));
	json_put(obj, "ttl", e->d.action == STEER_UNMANAGED ? json_null() :
		json_integer(e->d.ttl));
	json_put(obj, "ecs_scope", scope < 0 ? json_null() :
		json_integer(scope));
	for(i = 0; i < e->table->nskipped; i++)
		json_push(skipped, json_str_or_null(e->table->skipped[i]));
	json_put(obj, "skipped", skipped);
	json_print(obj);
}

/** Print the rule and filing steps. */
static void
print_rule_filing(const struct explanation *e)
{
	char text[DNAME_MAX_TEXT];
	if(e->d.rule_name == NULL) {
		printf("  rule:      none (unmanaged name)\n");
		return;
	}
	dname_to_text(e->d.rule_name, text);
	printf("  rule:      %s (%s)\n", text, e->d.rule_wildcard ?
		"wildcard" : "exact");
	if(e->d.filing_name != NULL) {
		dname_to_text(e->d.filing_name, text);
		printf("  filing:    %s, %s\n", text,
			filing_status_name(e->d.filing));
	} else {
		printf("  filing:    none covers the name\n");
	}
}

/** Print the client step. */
static void
print_client(const struct explanation *e)
{
	char net[NETADDR_TEXT_MAX + 8];
	int mainland = e->loc.found && conf_is_mainland(e->region.conf,
		e->loc.country, 2);
	client_network(e, net, sizeof(net));
	printf("  client:    %s (%s)\n", e->client_text, e->region.ecs ?
		"ECS subnet" : "client address, no ECS");
	if(e->region.ecs && e->region.client.prefix == 0)
		printf("  location:  ECS source prefix 0: unknown, not "
			"mainland\n");
	else if(e->loc.found)
		printf("  location:  GeoIP network %s, country %s: %s\n", net,
			e->loc.country[0] ? e->loc.country : "(none)",
			mainland ? "mainland" : "not mainland");
	else
		printf("  location:  not in the GeoIP database: unknown, not "
			"mainland\n");
	if(e->d.action != STEER_UNMANAGED && e->d.mainland < 0)
		printf("             (the region does not matter here)\n");
}

/** Print the answer steps. */
static void
print_answer(const struct explanation *e)
{
	char text[DNAME_MAX_TEXT];
	uint16_t i;
	int scope = ecs_scope(e);
	printf("  pool:      %s (%s)\n", pool_name(e->d.pool),
		pool_reason(&e->d));
	if(e->d.action == STEER_ADDRESSES) {
		printf("  answer:   ");
		if(e->d.addr_count == 0)
			printf(" NOERROR, no %s records in the pool",
				e->qtype == STEER_TYPE_A ? "A" : "AAAA");
		for(i = 0; i < e->d.addr_count; i++) {
			addr_format(e->d.addr_len == 4 ? 4 : 6,
				e->d.addrs + (size_t)i * e->d.addr_len, text);
			printf(" %s %s", e->qtype == STEER_TYPE_A ? "A" :
				"AAAA", text);
		}
		printf("\n");
	} else if(e->d.action == STEER_CNAME) {
		dname_to_text(e->d.cname, text);
		printf("  answer:    CNAME %s (target resolved by Unbound)\n",
			text);
	} else if(e->d.action == STEER_RESOLVE) {
		printf("  answer:    resolved normally (empty pool)\n");
	}
	if(e->d.action != STEER_UNMANAGED)
		printf("  ttl:       %u\n", e->d.ttl);
	if(scope >= 0)
		printf("  ecs scope: %d\n", scope);
	else
		printf("  ecs scope: none (no ECS option in the reply)\n");
}

/** Print the explanation for people. */
static void
print_text(const struct explanation *e)
{
	size_t i;
	printf("%s %s for client %s\n", e->name, e->qtype == STEER_TYPE_A ?
		"A" : "AAAA", e->client_text);
	print_rule_filing(e);
	print_client(e);
	print_answer(e);
	for(i = 0; i < e->table->nskipped; i++)
		printf("  note:      %s\n", e->table->skipped[i]);
}

/** Parse the command line of explain into e. @return CLI code. */
static int
explain_args(struct cli *cli, int argc, char **argv, struct explanation *e)
{
	const char *client = NULL, *type = "A";
	const struct opt_spec specs[] = { { "client", 1, &client, NULL },
		{ "type", 1, &type, NULL }, { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	char err[NAME_ERR_MAX];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_explain);
	if(rc != CLI_OK)
		return rc;
	if(pos.count != 1 || client == NULL)
		return usage_error(usage_explain, "explain needs NAME and "
			"--client");
	if(strcasecmp(type, "A") == 0)
		e->qtype = STEER_TYPE_A;
	else if(strcasecmp(type, "AAAA") == 0)
		e->qtype = STEER_TYPE_AAAA;
	else
		return usage_error(usage_explain, "--type is A or AAAA");
	if(name_normalise(pos.args[0], 0, e->name, err) != 0) {
		cli_error("name '%s': %s", pos.args[0], err);
		return CLI_INVALID;
	}
	if(client_subnet_parse(client, &e->region.client, err) != 0) {
		cli_error("--client: %s", err);
		return CLI_INVALID;
	}
	e->client_text = client;
	return CLI_OK;
}

/** Decide and print, with the table loaded. @return CLI code. */
static int
explain_decide(struct cli *cli, struct explanation *e, struct geoip *g)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t wire_len;
	struct decision_arena arena = { { 0 }, 0 };
	if(dname_from_text(e->name, wire, &wire_len) != 0) {
		cli_error("name '%s': malformed", e->name);
		return CLI_INVALID;
	}
	e->region.conf = &cli->conf;
	e->region.geoip = g;
	/* with "ecs: ignore" the module locates by the client's address */
	e->region.ecs = e->region.client.has_prefix &&
		cli->conf.ecs == ECS_USE;
	geoip_locate(g, e->region.client.family, e->region.client.addr,
		&e->loc);
	if(steering_table_decide(&e->table->st, wire, wire_len, e->qtype,
		cli->conf.answer_ttl_max, explain_region, &e->region,
		decision_arena_alloc, &arena, &e->d) != 0) {
		cli_error("out of memory deciding");
		decision_arena_free(&arena);
		return CLI_INVALID;
	}
	if(cli->json)
		print_json(e);
	else
		print_text(e);
	if(e->region.client.has_prefix && cli->conf.ecs != ECS_USE &&
		!cli->json)
		printf("  note:      ecs: ignore in the configuration: the "
			"subnet is taken as the client's address\n");
	decision_arena_free(&arena);
	return CLI_OK;
}

int
cmd_explain(struct cli *cli, int argc, char **argv)
{
	struct explanation e;
	struct explain_table table;
	struct store *s;
	struct geoip *g;
	char err[GEOIP_ERR_MAX > STORE_ERR_MAX ? GEOIP_ERR_MAX :
		STORE_ERR_MAX];
	int rc;
	memset(&e, 0, sizeof(e));
	rc = explain_args(cli, argc - 1, argv + 1, &e);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if((rc = cli_load_conf(cli)) != CLI_OK)
		return rc;
	g = geoip_open(cli->conf.geoip_db, cli->conf.geoip_field, err);
	if(g == NULL) {
		cli_error("%s", err);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK) {
		geoip_close(g);
		return rc;
	}
	if(explain_table_init(&table) != 0) {
		geoip_close(g);
		return CLI_INVALID;
	}
	rc = explain_table_load(s, e.name, &table, err);
	if(rc != CLI_OK)
		cli_error("%s", err);
	e.table = &table;
	if(rc == CLI_OK)
		rc = explain_decide(cli, &e, g);
	explain_table_free(&table);
	geoip_close(g);
	return rc;
}
