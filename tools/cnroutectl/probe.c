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
#include "dnsquery.h"
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

/** Which pool of the rule an answer is: cn, offshore, both, neither. */
static const char *
which_pool(const struct route *r, const struct dns_answer *v)
{
	int cn, off;
	if(r == NULL)
		return "unmanaged";
	cn = dns_pool_matches(&r->cn, v);
	off = dns_pool_matches(&r->offshore, v);
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
	struct dns_server *sv, struct client_subnet *c, ldns_rr_type *type)
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
	if(dns_server_parse(server, sv) != 0) {
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
	char qerr[DNS_ERR_MAX] = "cannot build the query";
	struct dns_server sv;
	struct client_subnet c;
	ldns_rr_type type = LDNS_RR_TYPE_A;
	struct explain_table t;
	struct store *s;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t wlen;
	ldns_pkt *q, *reply;
	struct dns_answer v;
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
	q = dns_query_build(name, type, &c);
	reply = q ? dns_query_send(&sv, q, 3000, 2, qerr) : NULL;
	ldns_pkt_free(q);
	if(reply == NULL) {
		cli_error("%s", qerr);
		explain_table_free(&t);
		return CLI_INVALID;
	}
	r = find_rule(&t, wire, wlen, rule);
	dns_answer_view(reply, wire, wlen, type, &v);
	print_probe(cli, name, type, reply, dns_reply_scope(reply), rule,
		which_pool(r, &v));
	ldns_pkt_free(reply);
	explain_table_free(&t);
	return CLI_OK;
}
