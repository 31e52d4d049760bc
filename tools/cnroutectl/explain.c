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
#include "commands.h"
#include "explain.h"
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

/** Note a record the module would skip. */
static void
note_skipped(struct explain_table *t, const char *kind, const char *name,
	const char *why)
{
	char **p = realloc(t->skipped, (t->nskipped + 1) * sizeof(char *));
	if(p == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	t->skipped = p;
	t->skipped[t->nskipped++] = xasprintf("%s %s: %s", kind, name, why);
}

/** Turn a list into the module's record_field array (max 32 fields). */
static size_t
to_fields(const struct kvlist *h, struct record_field *rf)
{
	size_t i, n = 0;
	for(i = 0; i < h->count && n < 32; i++, n++) {
		rf[n].name = h->items[i].name;
		rf[n].name_len = strlen(h->items[i].name);
		rf[n].value = h->items[i].value;
		rf[n].value_len = strlen(h->items[i].value);
	}
	return n;
}

/** Put one filing or route into the table, as the sync thread would. */
static void
fill_one(struct explain_table *t, const char *name, char kind,
	const struct kvlist *h, enum key_state state)
{
	struct record_field rf[32];
	uint8_t wire[DNAME_MAX_WIRE];
	size_t wire_len, n;
	char err[RECORD_ERR_MAX];
	const char *what = kind == 'f' ? "filing" : "route";
	if(state == KEY_MISSING)
		return;
	if(state == KEY_WRONGTYPE) {
		note_skipped(t, what, name, "not a hash");
		return;
	}
	if(dname_from_text(name, wire, &wire_len) != 0 || wire_len <= 1) {
		note_skipped(t, what, name, "bad name in the key");
		return;
	}
	n = to_fields(h, rf);
	if(kind == 'f') {
		enum filing_status status;
		if(filing_parse(rf, n, &status, err) != 0)
			note_skipped(t, what, name, err);
		else
			steering_set_filing(&t->st, wire, wire_len, status, 1);
	} else {
		struct route *route = route_parse_new(rf, n, err);
		if(route == NULL) {
			note_skipped(t, what, name, err);
		} else {
			steering_set_route(&t->st, wire, wire_len, route, 1);
		}
	}
}

void
explain_table_fill(struct explain_table *t, char *const *names,
	const char *kinds, const struct kvlist *hashes,
	const enum key_state *states, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++)
		fill_one(t, names[i], kinds[i], &hashes[i], states[i]);
}

int
explain_table_load(struct store *s, const char *name,
	struct explain_table *t, char *err)
{
	char **routes, **filings, **keys, **names, *kinds;
	size_t nr, nf, n, i;
	struct kvlist *h;
	enum key_state *st;
	int rc;
	explain_names(name, &routes, &nr, &filings, &nf);
	n = nr + nf;
	keys = xmalloc(n * sizeof(char *));
	names = xmalloc(n * sizeof(char *));
	kinds = xmalloc(n);
	h = xmalloc(n * sizeof(*h));
	st = xmalloc(n * sizeof(*st));
	memset(h, 0, n * sizeof(*h));
	for(i = 0; i < nr; i++) {
		keys[i] = store_key(s, "route", routes[i]);
		names[i] = routes[i];
		kinds[i] = 'r';
	}
	for(i = 0; i < nf; i++) {
		keys[nr + i] = store_key(s, "filing", filings[i]);
		names[nr + i] = filings[i];
		kinds[nr + i] = 'f';
	}
	rc = store_fetch(s, keys, n, h, st, err);
	if(rc == CLI_OK)
		explain_table_fill(t, names, kinds, h, st, n);
	for(i = 0; i < n; i++)
		kvlist_free(&h[i]);
	strv_free(keys, n);
	strv_free(routes, nr);
	strv_free(filings, nf);
	free(names);
	free(kinds);
	free(h);
	free(st);
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

/** Append the answer records as JSON strings (no brackets). */
static void
records_json(struct strbuf *sb, const struct steering_decision *d)
{
	char text[DNAME_MAX_TEXT];
	uint16_t i;
	if(d->action == STEER_CNAME && d->cname != NULL) {
		dname_to_text(d->cname, text);
		sb_json_str(sb, text);
		return;
	}
	if(d->action != STEER_ADDRESSES)
		return;
	for(i = 0; i < d->addr_count; i++) {
		addr_format(d->addr_len == 4 ? 4 : 6,
			d->addrs + (size_t)i * d->addr_len, text);
		if(i)
			sb_puts(sb, ",");
		sb_json_str(sb, text);
	}
}

/** Print the explanation as one JSON object. */
static void
print_json(const struct explanation *e)
{
	struct strbuf sb = { 0 };
	char text[DNAME_MAX_TEXT], net[NETADDR_TEXT_MAX + 8];
	size_t i;
	int scope = ecs_scope(e);
	sb_puts(&sb, "{\"name\":");
	sb_json_str(&sb, e->name);
	sb_printf(&sb, ",\"type\":\"%s\"", e->qtype == STEER_TYPE_A ? "A" :
		"AAAA");
	sb_puts(&sb, ",\"rule\":");
	if(e->d.rule_name) {
		dname_to_text(e->d.rule_name, text);
		text[strlen(text) - 1] = 0;
		sb_json_str(&sb, text);
	} else {
		sb_puts(&sb, "null");
	}
	sb_printf(&sb, ",\"rule_kind\":\"%s\"", e->d.rule_name == NULL ?
		"none" : e->d.rule_wildcard ? "wildcard" : "exact");
	sb_puts(&sb, ",\"filing\":");
	if(e->d.filing_name) {
		dname_to_text(e->d.filing_name, text);
		text[strlen(text) - 1] = 0;
		sb_json_str(&sb, text);
	} else {
		sb_puts(&sb, "null");
	}
	sb_printf(&sb, ",\"filing_status\":\"%s\"",
		filing_status_name(e->d.filing));
	sb_puts(&sb, ",\"client\":");
	sb_json_str(&sb, e->client_text);
	sb_printf(&sb, ",\"ecs\":%s", e->region.ecs ? "true" : "false");
	client_network(e, net, sizeof(net));
	sb_puts(&sb, ",\"network\":");
	if(e->loc.found)
		sb_json_str(&sb, net);
	else
		sb_puts(&sb, "null");
	sb_puts(&sb, ",\"country\":");
	if(e->loc.country[0])
		sb_json_str(&sb, e->loc.country);
	else
		sb_puts(&sb, "null");
	sb_printf(&sb, ",\"mainland\":%s,\"region_used\":%s",
		e->loc.found && conf_is_mainland(e->region.conf,
		e->loc.country, 2) && !(e->region.ecs &&
		e->region.client.prefix == 0) ? "true" : "false",
		e->d.mainland >= 0 ? "true" : "false");
	sb_printf(&sb, ",\"pool\":\"%s\",\"action\":\"%s\",\"records\":[",
		pool_name(e->d.pool), action_name(e->d.action));
	records_json(&sb, &e->d);
	sb_puts(&sb, "]");
	if(e->d.action == STEER_UNMANAGED)
		sb_puts(&sb, ",\"ttl\":null");
	else
		sb_printf(&sb, ",\"ttl\":%u", e->d.ttl);
	if(scope < 0)
		sb_puts(&sb, ",\"ecs_scope\":null");
	else
		sb_printf(&sb, ",\"ecs_scope\":%d", scope);
	sb_puts(&sb, ",\"skipped\":[");
	for(i = 0; i < e->table->nskipped; i++) {
		if(i)
			sb_puts(&sb, ",");
		sb_json_str(&sb, e->table->skipped[i]);
	}
	sb_puts(&sb, "]}");
	printf("%s\n", sb_str(&sb));
	sb_free(&sb);
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
		printf("  note:      the module skips %s\n",
			e->table->skipped[i]);
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
