/*
 * probe.c - "cnroutectl probe": ask a real resolver, with an ECS option
 * for a client subnet, and say which pool of the rule the answer is.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Where explain computes what the resolver should answer, probe asks it
 * (ldns): the two side by side tell whether the running resolver has the
 * data in Redis, e.g. after a revocation.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "cnroute/dname.h"
#include "cnroute/ecs.h"
#include "commands.h"
#include "explain.h"
#include "json_out.h"
#include "names.h"
#include "netaddr.h"

/** Usage of "probe". */
static const char usage_probe[] =
	"usage: cnroutectl probe NAME --server ADDR[:PORT] --client ADDR[/LEN]"
	" [--type A|AAAA]\n                        [--json]\n"
	"Sends a real query for NAME to the resolver at ADDR (port 53 by "
	"default;\n[v6]:port for IPv6) with an ECS option for the client "
	"subnet (a bare ADDR is\nsent as a full-length subnet), prints the "
	"answer, the ECS scope returned,\nand which pool of the rule in Redis "
	"the answer matches.\n";

/** A parsed --server. */
struct server {
	/** address text */
	char addr[NETADDR_TEXT_MAX];
	/** port */
	uint16_t port;
};

/** Parse ADDR, ADDR:PORT, [V6]:PORT or V6. @return 0 or -1. */
static int
server_parse(const char *text, struct server *sv)
{
	const char *colon = strrchr(text, ':');
	size_t len;
	unsigned char tmp[16];
	sv->port = 53;
	if(text[0] == '[') {
		const char *close = strchr(text, ']');
		if(close == NULL || (close[1] != 0 && close[1] != ':'))
			return -1;
		len = (size_t)(close - text - 1);
		if(close[1] == ':')
			colon = close + 1;
		else
			colon = NULL;
		text++;
	} else if(colon != NULL && strchr(text, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
		len = strlen(text);
	} else {
		len = colon ? (size_t)(colon - text) : strlen(text);
	}
	if(len == 0 || len >= sizeof(sv->addr))
		return -1;
	memcpy(sv->addr, text, len);
	sv->addr[len] = 0;
	if(colon != NULL) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if(*end != 0 || p < 1 || p > 65535)
			return -1;
		sv->port = (uint16_t)p;
	}
	if(inet_pton(AF_INET, sv->addr, tmp) != 1 &&
		inet_pton(AF_INET6, sv->addr, tmp) != 1)
		return -1;
	return 0;
}

/** Build the query with the ECS option. @return the packet or NULL. */
static ldns_pkt *
build_query(const char *name, ldns_rr_type type,
	const struct client_subnet *c)
{
	uint8_t opt[4 + ECS_MAX_DATA];
	size_t alen = ((size_t)c->prefix + 7) / 8;
	ldns_rdf *qname = ldns_dname_new_frm_str(name);
	ldns_pkt *q;
	if(qname == NULL)
		return NULL;
	q = ldns_pkt_query_new(qname, type, LDNS_RR_CLASS_IN, LDNS_RD);
	if(q == NULL)
		return NULL;
	/* option code 8, length, family, source prefix, scope 0, address */
	opt[0] = 0;
	opt[1] = ECS_OPTION_CODE;
	opt[2] = 0;
	opt[3] = (uint8_t)(4 + alen);
	opt[4] = 0;
	opt[5] = c->family == 4 ? 1 : 2;
	opt[6] = (uint8_t)c->prefix;
	opt[7] = 0;
	memcpy(opt + 8, c->addr, alen);
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
		8 + alen, opt));
	ldns_pkt_set_random_id(q);
	return q;
}

/** Send the query. @return the reply or NULL (message printed). */
static ldns_pkt *
send_query(const struct server *sv, ldns_pkt *q)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *ns;
	ldns_pkt *reply = NULL;
	struct timeval tv = { 3, 0 };
	ldns_status st;
	if(res == NULL)
		return NULL;
	ns = ldns_rdf_new_frm_str(strchr(sv->addr, ':') ? LDNS_RDF_TYPE_AAAA :
		LDNS_RDF_TYPE_A, sv->addr);
	if(ns == NULL || ldns_resolver_push_nameserver(res, ns) !=
		LDNS_STATUS_OK) {
		ldns_rdf_deep_free(ns);
		ldns_resolver_deep_free(res);
		return NULL;
	}
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(res, sv->port);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_fallback(res, true);
	st = ldns_resolver_send_pkt(&reply, res, q);
	if(st != LDNS_STATUS_OK) {
		cli_error("no answer from %s port %u: %s", sv->addr,
			(unsigned)sv->port, ldns_get_errorstr_by_id(st));
		reply = NULL;
	}
	ldns_resolver_deep_free(res);
	return reply;
}

/** The scope of the ECS option in a reply, or -1 without one. */
static int
reply_scope(ldns_pkt *reply)
{
	ldns_rdf *data = ldns_pkt_edns_data(reply);
	const uint8_t *p;
	size_t len, off = 0;
	if(data == NULL)
		return -1;
	p = ldns_rdf_data(data);
	len = ldns_rdf_size(data);
	while(off + 4 <= len) {
		uint16_t code = (uint16_t)(p[off] << 8 | p[off + 1]);
		uint16_t olen = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		if(off + 4 + olen > len)
			break;
		if(code == ECS_OPTION_CODE && olen >= 4)
			return p[off + 4 + 3];
		off += 4 + (size_t)olen;
	}
	return -1;
}

/** What the answer holds for the query name. */
struct answer_view {
	/** CNAME target (wire), when the name's answer is a CNAME */
	uint8_t cname[DNAME_MAX_WIRE];
	/** whether there is one */
	int has_cname;
	/** addresses of the asked type owned by the name */
	uint8_t addrs[64][16];
	/** their number */
	size_t count;
	/** address length (4 or 16) */
	size_t alen;
};

/** 1 if an rdf holds the same name as a canonical wire name. */
static int
rdf_name_is(const ldns_rdf *rdf, const uint8_t *wire, size_t len)
{
	uint8_t canon[DNAME_MAX_WIRE];
	size_t clen;
	if(dname_canonicalize(ldns_rdf_data(rdf), ldns_rdf_size(rdf), canon,
		&clen) != 0)
		return 0;
	return clen == len && memcmp(canon, wire, len) == 0;
}

/** Collect the answer for the query name. */
static void
answer_view(ldns_pkt *reply, const uint8_t *qname, size_t qlen,
	ldns_rr_type type, struct answer_view *v)
{
	ldns_rr_list *ans = ldns_pkt_answer(reply);
	size_t i;
	memset(v, 0, sizeof(*v));
	v->alen = type == LDNS_RR_TYPE_A ? 4 : 16;
	for(i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		if(rd == NULL || !rdf_name_is(ldns_rr_owner(rr), qname, qlen))
			continue;
		if(ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
			size_t l;
			if(dname_canonicalize(ldns_rdf_data(rd),
				ldns_rdf_size(rd), v->cname, &l) == 0)
				v->has_cname = 1;
		} else if(ldns_rr_get_type(rr) == type && v->count < 64 &&
			ldns_rdf_size(rd) == v->alen) {
			memcpy(v->addrs[v->count++], ldns_rdf_data(rd),
				v->alen);
		}
	}
}

/** 1 if the answer is exactly what a pool would give. */
static int
pool_matches(const struct pool *p, const struct answer_view *v)
{
	const uint8_t *list;
	size_t n, i, j;
	if(p->kind == POOL_CNAME)
		return v->has_cname && dname_length(v->cname) ==
			p->cname_len && memcmp(v->cname, p->cname,
			p->cname_len) == 0;
	if(p->kind != POOL_ADDRESSES || v->has_cname)
		return 0;
	list = v->alen == 4 ? p->v4 : p->v6;
	n = v->alen == 4 ? p->v4_count : p->v6_count;
	if(n != v->count)
		return 0;
	for(i = 0; i < v->count; i++) {
		int found = 0;
		for(j = 0; j < n && !found; j++)
			found = memcmp(v->addrs[i], list + j * v->alen,
				v->alen) == 0;
		if(!found)
			return 0;
	}
	return 1;
}

/** Which pool of the rule an answer is: cn, offshore, both, neither. */
static const char *
which_pool(const struct route *r, const struct answer_view *v)
{
	int cn, off;
	if(r == NULL)
		return "unmanaged";
	cn = pool_matches(&r->cn, v);
	off = pool_matches(&r->offshore, v);
	return cn && off ? "both" : cn ? "cn" : off ? "offshore" : "neither";
}

/**
 * Find the route the module would use for the name (exact, else the
 * closest wildcard), with the module's own lookup.
 * @param rule_text: out, DNAME_MAX_TEXT bytes ("" when none).
 */
static const struct route *
find_rule(struct explain_table *t, const uint8_t *qname, size_t qlen,
	char *rule_text)
{
	struct steering_decision d;
	struct decision_arena b = { { 0 }, 0 };
	const struct route *r = NULL;
	rule_text[0] = 0;
	if(steering_table_decide(&t->st, qname, qlen, STEER_TYPE_A, 60, NULL,
		NULL, decision_arena_alloc, &b, &d) == 0 && d.rule_name != NULL) {
		dname_to_text(d.rule_name, rule_text);
		/* single-threaded here: no writer, no lock needed */
		r = name_table_lookup(&t->st.routes, d.rule_name,
			dname_length(d.rule_name));
	}
	decision_arena_free(&b);
	return r;
}

/** Print the probe's result. */
static void
print_probe(struct cli *cli, const char *name, ldns_rr_type type,
	ldns_pkt *reply, int scope, const char *rule, const char *pool)
{
	ldns_rr_list *ans = ldns_pkt_answer(reply);
	char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));
	json_t *obj = NULL, *answers = NULL;
	size_t i;
	if(cli->json) {
		obj = json_new_object();
		answers = json_new_array();
		json_put(obj, "name", json_str_or_null(name));
		json_put(obj, "type", json_str_or_null(
			type == LDNS_RR_TYPE_A ? "A" : "AAAA"));
		json_put(obj, "rcode", json_str_or_null(rcode ? rcode : "?"));
	} else {
		printf("%s %s: %s\n", name, type == LDNS_RR_TYPE_A ? "A" :
			"AAAA", rcode ? rcode : "?");
	}
	for(i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(ans, i));
		size_t l = s ? strlen(s) : 0;
		if(l && s[l - 1] == '\n')
			s[l - 1] = 0;
		if(cli->json)
			json_push(answers, json_str_or_null(s ? s : ""));
		else
			printf("  answer:    %s\n", s ? s : "?");
		free(s);
	}
	if(cli->json) {
		json_put(obj, "answer", answers);
		json_put(obj, "ecs_scope", scope >= 0 ? json_integer(scope) :
			json_null());
		json_put(obj, "rule", json_str_or_null(*rule ? rule : NULL));
		json_put(obj, "pool", json_str_or_null(pool));
		json_print(obj);
	} else {
		if(scope >= 0)
			printf("  ecs scope: %d\n", scope);
		else
			printf("  ecs scope: none (no ECS option in the "
				"reply)\n");
		printf("  rule:      %s\n", *rule ? rule : "none in Redis");
		printf("  matches:   %s%s\n", pool, strcmp(pool, "unmanaged") ?
			" pool" : "");
	}
	free(rcode);
}

/** Parse the command line. @return CLI code. */
static int
probe_args(struct cli *cli, int argc, char **argv, char *name,
	struct server *sv, struct client_subnet *c, ldns_rr_type *type)
{
	const char *server = NULL, *client = NULL, *t = "A";
	const struct opt_spec specs[] = { { "server", 1, &server, NULL },
		{ "client", 1, &client, NULL }, { "type", 1, &t, NULL },
		{ NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	char err[NAME_ERR_MAX];
	int rc = opts_parse(cli, argc, argv, specs, &pos, usage_probe);
	if(rc != CLI_OK)
		return rc;
	if(pos.count != 1 || server == NULL || client == NULL)
		return usage_error(usage_probe, "probe needs NAME, --server "
			"and --client");
	if(strcasecmp(t, "A") == 0)
		*type = LDNS_RR_TYPE_A;
	else if(strcasecmp(t, "AAAA") == 0)
		*type = LDNS_RR_TYPE_AAAA;
	else
		return usage_error(usage_probe, "--type is A or AAAA");
	if(name_normalise(pos.args[0], 0, name, err) != 0) {
		cli_error("name '%s': %s", pos.args[0], err);
		return CLI_INVALID;
	}
	if(server_parse(server, sv) != 0) {
		cli_error("--server: bad address '%s'", server);
		return CLI_INVALID;
	}
	if(client_subnet_parse(client, c, err) != 0) {
		cli_error("--client: %s", err);
		return CLI_INVALID;
	}
	return CLI_OK;
}

int
cmd_probe(struct cli *cli, int argc, char **argv)
{
	char name[NAME_TEXT_MAX], rule[DNAME_MAX_TEXT], err[STORE_ERR_MAX];
	struct server sv;
	struct client_subnet c;
	ldns_rr_type type = LDNS_RR_TYPE_A;
	struct explain_table t;
	struct store *s;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t wlen;
	ldns_pkt *q, *reply;
	struct answer_view v;
	const struct route *r;
	int rc = probe_args(cli, argc - 1, argv + 1, name, &sv, &c, &type);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(dname_from_text(name, wire, &wlen) != 0)
		return CLI_INVALID;
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	if(explain_table_init(&t) != 0)
		return CLI_INVALID;
	if((rc = explain_table_load(s, name, &t, err)) != CLI_OK) {
		cli_error("%s", err);
		explain_table_free(&t);
		return rc;
	}
	q = build_query(name, type, &c);
	reply = q ? send_query(&sv, q) : NULL;
	ldns_pkt_free(q);
	if(reply == NULL) {
		explain_table_free(&t);
		return CLI_INVALID;
	}
	r = find_rule(&t, wire, wlen, rule);
	answer_view(reply, wire, wlen, type, &v);
	print_probe(cli, name, type, reply, reply_scope(reply), rule,
		which_pool(r, &v));
	ldns_pkt_free(reply);
	explain_table_free(&t);
	return CLI_OK;
}
