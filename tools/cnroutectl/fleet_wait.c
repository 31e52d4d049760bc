/*
 * fleet_wait.c - "cnroutectl fleet wait": ask every resolver real
 * questions until each serves what Redis says (see fleet.h).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * What a resolver must answer is computed once, at the start, as explain
 * computes it: the filing and route keys that decide the names under the
 * domain are read through the module's keyspace into a table of our own
 * (judge.h), and steering_table_decide with explain's region callback
 * gives the answer for the client. Each route is asked for the types its
 * pools hold (A for IPv4 addresses or a CNAME, AAAA for IPv6 addresses);
 * a wildcard rule "*.parent" is asked as "cnroute-fleet-wait.parent".
 * An answer counts when it is exactly the expected pool (the CNAME
 * target for a CNAME pool); when the pool chosen is empty (the name is
 * resolved normally) the answer counts when it is not the other pool.
 * Each resolver is asked by a thread of its own, again every 50 ms, each
 * question it has not answered right yet, until it answered them all
 * right or the time is up: a resolver that does not answer delays
 * nobody else's count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include "cnroute/dname.h"
#include "cnroute/geoip.h"
#include "cnroute/keys.h"
#include "commands.h"
#include "explain.h"
#include "fleet.h"
#include "judge.h"
#include "names.h"
#include "redis_store.h"

/** Usage of "fleet wait". */
static const char usage_wait[] =
	"usage: cnroutectl fleet wait [--resolver ADDR[:PORT] ...] "
	"[--domain D]\n"
	"                  --client ADDR[/LEN] [--timeout S] [--json]\n"
	"Asks every resolver real questions with an ECS option for the client "
	"(like\nprobe) for every route under D (every route without "
	"--domain), A and AAAA\nas the rule's pools hold them, again every "
	"50 ms, until each answers them\nall as explain says it must (a CNAME "
	"pool: the CNAME target). Prints per\nresolver how long it took. The "
	"resolvers are those given by --resolver\n(repeat it, or separate "
	"them by commas), else fleet-resolvers. Exit 0 when\nall converged "
	"within S seconds (default 10) of the start, 5 when not, naming\nthe "
	"resolvers and a name each still answers wrongly.\n";

/** Default of --timeout, seconds. */
#define FLEET_WAIT_DEFAULT_S 10
/** Pause between two rounds of questions, milliseconds. */
#define FLEET_WAIT_ROUND_MS 50
/** Longest wait for one answer, milliseconds. */
#define FLEET_WAIT_QUERY_MS 1000
/** Keys fetched per pipeline. */
#define FLEET_WAIT_BATCH 1000
/** The label a wildcard rule is asked under. */
#define FLEET_WAIT_LABEL "cnroute-fleet-wait"

/** One question and the answer it must get. */
struct fleet_check {
	/** the name asked, text with the trailing dot */
	char name[DNAME_MAX_TEXT];
	/** the same, canonical wire */
	uint8_t wire[DNAME_MAX_WIRE];
	/** its length */
	size_t wire_len;
	/** A or AAAA */
	ldns_rr_type type;
	/** what the module must do */
	enum steering_action action;
	/** the pool it must choose */
	enum steering_pool pool;
	/** the answer expected (STEER_ADDRESSES, STEER_CNAME), as a pool:
	 *  arrays malloced */
	struct pool expected;
	/** STEER_RESOLVE: the pool the answer must not be (NULL: any
	 *  answer); points into the table */
	const struct pool *other;
	/** the expected answer, for people */
	char expected_text[DNAME_MAX_TEXT + 96];
};

/** Everything one wait needs. */
struct fleet_wait {
	/** the configuration and the connection */
	struct cli *cli;
	/** the domain, canonical wire, or NULL for every route */
	const uint8_t *domain;
	/** its length */
	size_t domain_len;
	/** the table read from Redis */
	struct steering_table st;
	/** the region callback's context (client, GeoIP) */
	struct region_ctx region;
	/** the questions */
	struct fleet_check *checks;
	/** their number */
	size_t nchecks;
	/** room in checks */
	size_t cap;
	/** 1 after a failure building the checks */
	int failed;
};

/** Milliseconds on a clock that does not jump. */
static long long
fleet_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/** 1 if a canonical wire name is d or below it. */
static int
fleet_under(const uint8_t *name, const uint8_t *d, size_t dlen)
{
	const uint8_t *p;
	for(p = name; p != NULL; p = dname_parent(p))
		if(dname_length(p) == dlen && memcmp(p, d, dlen) == 0)
			return 1;
	return 0;
}

/**
 * store_keep_fn: the filing and route keys that decide names under the
 * domain (the routes under it; the filings under it and above it), or
 * every filing and route key without a domain.
 */
static int
fleet_keep_key(void *ctx, const char *key, size_t len)
{
	struct fleet_wait *w = ctx;
	struct key_name kn;
	char err[KEY_ERR_MAX];
	if(key_parse(w->cli->store->prefix, key, len, &kn, err) != 0 ||
		kn.kind == KEY_OTHER)
		return 0; /* the module skips it: it decides nothing */
	if(w->domain == NULL)
		return 1;
	if(fleet_under(kn.name, w->domain, w->domain_len))
		return 1;
	return kn.kind == KEY_FILING && fleet_under(w->domain, kn.name,
		kn.name_len);
}

/**
 * Read the keys into the table through the module's keyspace: one SCAN
 * of the names, then HGETALL in pipelines of FLEET_WAIT_BATCH.
 * @return CLI_OK or CLI_REDIS (err set).
 */
static int
fleet_wait_load(struct fleet_wait *w, struct store *s, char *err)
{
	char *pattern = store_prefix_pattern(s);
	const char *k[FLEET_WAIT_BATCH];
	redisReply *rep[FLEET_WAIT_BATCH];
	struct keylist keys;
	struct judge j;
	size_t at, i, n;
	int rc = store_scan_keys(s, pattern, fleet_keep_key, w, &keys, err);
	free(pattern);
	if(rc == CLI_OK && judge_begin(&j, s->prefix, &w->st) != 0) {
		snprintf(err, STORE_ERR_MAX, "out of memory");
		rc = CLI_INVALID;
	} else if(rc == CLI_OK) {
		for(at = 0; at < keys.n && rc == CLI_OK; at += n) {
			n = keys.n - at < FLEET_WAIT_BATCH ? keys.n - at :
				FLEET_WAIT_BATCH;
			for(i = 0; i < n; i++)
				k[i] = keylist_key(&keys, at + i);
			rc = store_fetch_replies(s, k, keys.len + at, n, rep,
				err);
			for(i = 0; rc == CLI_OK && i < n; i++)
				judge_apply_reply(&j, k[i], keys.len[at + i],
					rep[i]);
			store_replies_free(rep, n);
		}
		if(rc == CLI_OK)
			judge_commit(&j);
		judge_free(&j);
	}
	keylist_free(&keys);
	return rc;
}

/** 1 if a pool gives an answer of its own to a type (addresses of that
 *  family, or a CNAME). */
static int
fleet_pool_answers(const struct pool *p, ldns_rr_type type)
{
	if(p->kind == POOL_CNAME)
		return 1;
	if(p->kind != POOL_ADDRESSES)
		return 0;
	return type == LDNS_RR_TYPE_A ? p->v4_count > 0 : p->v6_count > 0;
}

/** Copy len bytes into new memory. */
static uint8_t *
fleet_copy(const uint8_t *data, size_t len)
{
	uint8_t *p = xmalloc(len ? len : 1);
	memcpy(p, data, len);
	return p;
}

/** Fill the expected answer of a check from a decision. */
static void
fleet_expect(struct fleet_check *c, const struct steering_decision *d,
	const struct route *r)
{
	char text[DNAME_MAX_TEXT];
	size_t used = 0;
	uint16_t i;
	const char *tname = c->type == LDNS_RR_TYPE_A ? "A" : "AAAA";
	const char *pool = d->pool == STEER_POOL_CN ? "cn" : "offshore";
	c->action = d->action;
	c->pool = d->pool;
	memset(&c->expected, 0, sizeof(c->expected));
	if(d->action == STEER_CNAME) {
		c->expected.kind = POOL_CNAME;
		c->expected.cname = fleet_copy(d->cname, d->cname_len);
		c->expected.cname_len = d->cname_len;
		dname_to_text(d->cname, text);
		snprintf(c->expected_text, sizeof(c->expected_text),
			"CNAME %s (%s pool)", text, pool);
		return;
	}
	if(d->action == STEER_ADDRESSES) {
		c->expected.kind = POOL_ADDRESSES;
		if(d->addr_len == 4) {
			c->expected.v4 = fleet_copy(d->addrs,
				(size_t)d->addr_count * 4);
			c->expected.v4_count = d->addr_count;
		} else {
			c->expected.v6 = fleet_copy(d->addrs,
				(size_t)d->addr_count * 16);
			c->expected.v6_count = d->addr_count;
		}
		used = (size_t)snprintf(c->expected_text,
			sizeof(c->expected_text), "%s pool:", pool);
		for(i = 0; i < d->addr_count && used <
			sizeof(c->expected_text); i++) {
			addr_format(d->addr_len == 4 ? 4 : 6, d->addrs +
				(size_t)i * d->addr_len, text);
			used += (size_t)snprintf(c->expected_text + used,
				sizeof(c->expected_text) - used, " %s %s",
				tname, text);
		}
		if(d->addr_count == 0 && used < sizeof(c->expected_text))
			snprintf(c->expected_text + used,
				sizeof(c->expected_text) - used, " no %s "
				"records", tname);
		return;
	}
	/* the chosen pool is empty: resolved normally, but never the other
	 * pool */
	c->other = NULL;
	if(r != NULL) {
		const struct pool *o = d->pool == STEER_POOL_CN ?
			&r->offshore : &r->cn;
		if(fleet_pool_answers(o, c->type))
			c->other = o;
	}
	snprintf(c->expected_text, sizeof(c->expected_text), "resolved "
		"normally (empty %s pool)%s", pool, c->other ? ", not the "
		"other pool" : "");
}

/** Add the check of one name and type. */
static void
fleet_add_check(struct fleet_wait *w, const char *name, ldns_rr_type type,
	const struct route *r)
{
	struct steering_decision d;
	struct decision_arena arena = { { 0 }, 0 };
	struct fleet_check *c;
	if(w->nchecks == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct fleet_check *n = realloc(w->checks, cap * sizeof(*n));
		if(n == NULL) {
			w->failed = 1;
			return;
		}
		w->checks = n;
		w->cap = cap;
	}
	c = &w->checks[w->nchecks];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->type = type;
	if(dname_from_text(name, c->wire, &c->wire_len) != 0)
		return; /* a name no question can carry */
	if(steering_table_decide(&w->st, c->wire, c->wire_len,
		type == LDNS_RR_TYPE_A ? STEER_TYPE_A : STEER_TYPE_AAAA,
		w->cli->conf.answer_ttl_max, explain_region, &w->region,
		decision_arena_alloc, &arena, &d) != 0) {
		w->failed = 1;
		decision_arena_free(&arena);
		return;
	}
	if(d.action != STEER_UNMANAGED) {
		fleet_expect(c, &d, r);
		/* resolved normally with no pool to tell apart: any answer
		 * is right, so the question proves nothing */
		if(c->action != STEER_RESOLVE || c->other != NULL)
			w->nchecks++;
	}
	decision_arena_free(&arena);
}

/** name_table_foreach callback: the checks of one route. */
static void
fleet_route_checks(const struct name_slot *slot, void *arg)
{
	struct fleet_wait *w = arg;
	const struct route *r = slot->value;
	char text[DNAME_MAX_TEXT], name[DNAME_MAX_TEXT + 32];
	int a, aaaa;
	if(r == NULL || (w->domain != NULL && !fleet_under(slot->key,
		w->domain, w->domain_len)))
		return;
	dname_to_text(slot->key, text);
	if(dname_is_wildcard(slot->key))
		snprintf(name, sizeof(name), "%s%s", FLEET_WAIT_LABEL,
			text + 1);
	else
		snprintf(name, sizeof(name), "%s", text);
	a = fleet_pool_answers(&r->cn, LDNS_RR_TYPE_A) ||
		fleet_pool_answers(&r->offshore, LDNS_RR_TYPE_A);
	aaaa = (r->cn.kind == POOL_ADDRESSES && r->cn.v6_count > 0) ||
		(r->offshore.kind == POOL_ADDRESSES &&
		r->offshore.v6_count > 0);
	if(a)
		fleet_add_check(w, name, LDNS_RR_TYPE_A, r);
	if(aaaa)
		fleet_add_check(w, name, LDNS_RR_TYPE_AAAA, r);
}

/** Sort checks by name, then type: the same order at every run. */
static int
fleet_check_cmp(const void *a, const void *b)
{
	const struct fleet_check *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (int)x->type - (int)y->type;
}

/** Free the checks. */
static void
fleet_checks_free(struct fleet_wait *w)
{
	size_t i;
	for(i = 0; i < w->nchecks; i++) {
		free(w->checks[i].expected.v4);
		free(w->checks[i].expected.v6);
		free(w->checks[i].expected.cname);
	}
	free(w->checks);
	w->checks = NULL;
	w->nchecks = w->cap = 0;
}

/** A reply for people: "RCODE" and the records of the name. */
static void
fleet_reply_text(ldns_pkt *reply, const struct dns_answer *v, char *out,
	size_t size)
{
	char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));
	char text[DNAME_MAX_TEXT];
	size_t used, i;
	used = (size_t)snprintf(out, size, "%s", rcode ? rcode : "?");
	free(rcode);
	if(v->has_cname && used < size) {
		dname_to_text(v->cname, text);
		used += (size_t)snprintf(out + used, size - used, " CNAME %s",
			text);
	}
	for(i = 0; i < v->count && used < size; i++) {
		addr_format(v->alen == 4 ? 4 : 6, v->addrs[i], text);
		used += (size_t)snprintf(out + used, size - used, " %s %s",
			v->alen == 4 ? "A" : "AAAA", text);
	}
}

/** 1 if a reply is the one a check expects. */
static int
fleet_reply_right(const struct fleet_check *c, ldns_pkt *reply,
	const struct dns_answer *v)
{
	if(c->action == STEER_CNAME)
		return dns_pool_matches(&c->expected, v);
	if(c->action == STEER_ADDRESSES)
		return ldns_pkt_get_rcode(reply) == LDNS_RCODE_NOERROR &&
			dns_pool_matches(&c->expected, v);
	return c->other == NULL || !dns_pool_matches(c->other, v);
}

/** One resolver's progress. */
struct fleet_progress {
	/** the resolver, as text */
	char name[DNS_SERVER_TEXT_MAX];
	/** per check: 1 once answered right */
	unsigned char *done;
	/** how many are done */
	size_t ndone;
	/** milliseconds from the start to the last right answer, -1 until
	 *  all are done */
	long long converged_ms;
	/** the first check still wrong, and what it got */
	size_t wrong;
	/** what the resolver answered to it (or why nothing) */
	char got[DNAME_MAX_TEXT + 96];
};

/**
 * Ask one resolver the questions it has not answered right yet; stop at
 * the first that gets no answer (the next round asks again).
 */
static void
fleet_round(const struct fleet_wait *w, const struct dns_server *sv,
	struct fleet_progress *p, const struct client_subnet *client,
	long long t0, long long deadline)
{
	size_t i;
	char err[DNS_ERR_MAX];
	int noted = 0;
	for(i = 0; i < w->nchecks; i++) {
		const struct fleet_check *c = &w->checks[i];
		struct dns_answer v;
		ldns_pkt *q, *reply;
		long long left = deadline - fleet_now_ms();
		if(p->done[i])
			continue;
		if(left <= 0)
			return;
		q = dns_query_build(c->name, c->type, client);
		if(q == NULL) {
			snprintf(p->got, sizeof(p->got), "cannot build the "
				"question");
			p->wrong = i;
			return;
		}
		reply = dns_query_send(sv, q, (unsigned)(left <
			FLEET_WAIT_QUERY_MS ? left : FLEET_WAIT_QUERY_MS), 1,
			err);
		ldns_pkt_free(q);
		if(reply == NULL) {
			snprintf(p->got, sizeof(p->got), "%s", err);
			p->wrong = i;
			return;
		}
		dns_answer_view(reply, c->wire, c->wire_len, c->type, &v);
		if(fleet_reply_right(c, reply, &v)) {
			p->done[i] = 1;
			if(++p->ndone == w->nchecks)
				p->converged_ms = fleet_now_ms() - t0;
		} else if(!noted) {
			/* the first wrong answer of the round is the one
			 * reported: the same name from round to round */
			fleet_reply_text(reply, &v, p->got, sizeof(p->got));
			p->wrong = i;
			noted = 1;
		}
		ldns_pkt_free(reply);
	}
}

/** Print the outcome of one resolver for people. */
static void
fleet_wait_line(const struct fleet_wait *w, const struct fleet_progress *p,
	FILE *out)
{
	const struct fleet_check *c;
	if(p->converged_ms >= 0) {
		fprintf(out, "%s  ok    converged in %lld ms (%zu answers "
			"right)\n", p->name, p->converged_ms, w->nchecks);
		return;
	}
	c = &w->checks[p->wrong];
	fprintf(out, "%s  FAIL  not converged: %zu of %zu answers right; %s "
		"%s: got %s, must be %s\n", p->name, p->ndone, w->nchecks,
		c->name, c->type == LDNS_RR_TYPE_A ? "A" : "AAAA", p->got,
		c->expected_text);
}

/** The outcome of one resolver as a JSON object. */
static json_t *
fleet_wait_json(const struct fleet_wait *w, const struct fleet_progress *p)
{
	json_t *o = json_object();
	const struct fleet_check *c = &w->checks[p->wrong];
	fleet_json_set(o, "resolver", json_string(p->name));
	fleet_json_set(o, "converged", json_boolean(p->converged_ms >=
		0));
	fleet_json_set(o, "ms", p->converged_ms >= 0 ?
		json_integer(p->converged_ms) : json_null());
	fleet_json_set(o, "checked", json_integer((json_int_t)
		w->nchecks));
	fleet_json_set(o, "right", json_integer((json_int_t)p->ndone));
	if(p->converged_ms >= 0)
		return o;
	/* names are presentation text (escaped), answers built here:
	 * printable ASCII */
	fleet_json_set(o, "name", json_string(c->name));
	fleet_json_set(o, "type", json_string(c->type ==
		LDNS_RR_TYPE_A ? "A" : "AAAA"));
	fleet_json_set(o, "got", json_string(p->got));
	fleet_json_set(o, "expected", json_string(c->expected_text));
	return o;
}

/**
 * Read Redis and build the checks.
 * @return CLI code.
 */
static int
fleet_wait_prepare(struct fleet_wait *w, const struct client_subnet *client)
{
	char err[GEOIP_ERR_MAX > STORE_ERR_MAX ? GEOIP_ERR_MAX :
		STORE_ERR_MAX];
	struct store *s;
	int rc;
	if((rc = cli_load_conf(w->cli)) != CLI_OK)
		return rc;
	w->region.conf = &w->cli->conf;
	w->region.client = *client;
	/* the question carries the subnet: the module locates by it
	 * (unless its configuration says ecs: ignore) */
	w->region.ecs = w->cli->conf.ecs == ECS_USE;
	w->region.geoip = geoip_open(w->cli->conf.geoip_db,
		w->cli->conf.geoip_field, err);
	if(w->region.geoip == NULL) {
		cli_error("%s", err);
		return CLI_INVALID;
	}
	if((rc = cli_store(w->cli, &s)) != CLI_OK)
		return rc;
	if((rc = fleet_wait_load(w, s, err)) != CLI_OK) {
		cli_error("%s", err);
		return rc;
	}
	name_table_foreach(&w->st.routes, fleet_route_checks, w);
	if(w->failed) {
		cli_error("out of memory");
		return CLI_INVALID;
	}
	if(w->nchecks > 1)
		qsort(w->checks, w->nchecks, sizeof(*w->checks),
			fleet_check_cmp);
	return CLI_OK;
}

/** What every resolver's thread shares (read only). */
struct fleet_wait_job {
	/** the checks */
	const struct fleet_wait *w;
	/** the resolvers */
	const struct fleet_list *l;
	/** one progress each (each thread writes its own) */
	struct fleet_progress *p;
	/** the client */
	const struct client_subnet *client;
	/** the start, fleet_now_ms */
	long long t0;
	/** the end, fleet_now_ms */
	long long deadline;
};

/** fleet_parallel body: ask resolver i until it converged or the time
 *  is up. */
static void
fleet_wait_one(void *arg, size_t i)
{
	const struct fleet_wait_job *job = arg;
	struct fleet_progress *p = &job->p[i];
	for(;;) {
		fleet_round(job->w, &job->l->items[i], p, job->client,
			job->t0, job->deadline);
		if(p->converged_ms >= 0 || fleet_now_ms() +
			FLEET_WAIT_ROUND_MS >= job->deadline)
			return;
		nanosleep(&(struct timespec){ 0, FLEET_WAIT_ROUND_MS *
			1000000L }, NULL);
	}
}

/** Print the outcome. @return the number of resolvers not converged. */
static size_t
fleet_wait_report(const struct fleet_wait *w, const struct fleet_list *l,
	const struct fleet_progress *p, int json, FILE *out)
{
	struct strbuf failed = { 0 };
	json_t *all = json ? json_array() : NULL;
	size_t i, n = 0;
	for(i = 0; i < l->count; i++) {
		if(json) {
			if(all == NULL || json_array_append_new(all,
				fleet_wait_json(w, &p[i])) != 0)
				fleet_oom();
		} else {
			fleet_wait_line(w, &p[i], out);
		}
		if(p[i].converged_ms < 0) {
			const struct fleet_check *c = &w->checks[p[i].wrong];
			sb_printf(&failed, "%s%s (%s %s)", n ? ", " : "",
				p[i].name, c->name, c->type == LDNS_RR_TYPE_A ?
				"A" : "AAAA");
			n++;
		}
	}
	if(json) {
		char *text = json_dumps(all, JSON_COMPACT);
		if(text == NULL)
			fleet_oom();
		fprintf(out, "%s\n", text);
		free(text);
		json_decref(all);
	}
	if(n > 0)
		cli_error("fleet wait: %zu of %zu resolvers did not converge: "
			"%s", n, l->count, sb_str(&failed));
	sb_free(&failed);
	return n;
}

int
fleet_wait_run(struct cli *cli, const struct fleet_list *l,
	const char *domain, const struct client_subnet *client,
	unsigned timeout_ms, int json, FILE *out)
{
	struct fleet_wait w;
	struct fleet_wait_job job;
	struct fleet_progress *p;
	uint8_t dwire[DNAME_MAX_WIRE];
	char dname[NAME_TEXT_MAX], err[NAME_ERR_MAX];
	long long t0 = fleet_now_ms();
	size_t i, failed = 0;
	int rc;
	memset(&w, 0, sizeof(w));
	w.cli = cli;
	if(domain != NULL) {
		if(name_normalise(domain, 0, dname, err) != 0 ||
			dname_from_text(dname, dwire, &w.domain_len) != 0) {
			cli_error("--domain '%s': %s", domain, err);
			return CLI_INVALID;
		}
		w.domain = dwire;
	}
	if(steering_table_init(&w.st) != 0)
		return CLI_INVALID;
	rc = fleet_wait_prepare(&w, client);
	if(rc == CLI_OK && w.nchecks == 0) {
		if(!json)
			fprintf(out, "no routes%s%s: nothing to wait for\n",
				domain ? " under " : "", domain ? dname : "");
		else
			fprintf(out, "[]\n");
	} else if(rc == CLI_OK) {
		p = xmalloc(l->count * sizeof(*p));
		memset(p, 0, l->count * sizeof(*p));
		for(i = 0; i < l->count; i++) {
			dns_server_format(&l->items[i], p[i].name);
			p[i].done = xmalloc(w.nchecks);
			memset(p[i].done, 0, w.nchecks);
			p[i].converged_ms = -1;
			snprintf(p[i].got, sizeof(p[i].got), "not asked: "
				"no time left");
		}
		if(!json) {
			char addr[NETADDR_TEXT_MAX];
			addr_format(client->family, client->addr, addr);
			fprintf(out, "fleet wait: %zu questions to each of %zu "
				"resolvers, client %s/%d\n", w.nchecks, l->count,
				addr, client->prefix);
		}
		job.w = &w;
		job.l = l;
		job.p = p;
		job.client = client;
		job.t0 = t0;
		job.deadline = t0 + timeout_ms;
		fleet_parallel(l->count, fleet_wait_one, &job);
		failed = fleet_wait_report(&w, l, p, json, out);
		for(i = 0; i < l->count; i++)
			free(p[i].done);
		free(p);
		rc = failed ? CLI_FLEET : CLI_OK;
	}
	fleet_checks_free(&w);
	if(w.region.geoip != NULL)
		geoip_close((struct geoip *)w.region.geoip);
	steering_table_destroy(&w.st);
	return rc;
}

int
fleet_wait_converged(struct cli *cli, const char *domain, const char *client,
	unsigned timeout_ms)
{
	struct fleet_list l = { NULL, 0 };
	struct client_subnet c;
	char err[NAME_ERR_MAX];
	int rc;
	if(client == NULL || client_subnet_parse(client, &c, err) != 0) {
		cli_error("--client: %s", client ? err : "needed to wait");
		return CLI_INVALID;
	}
	rc = fleet_default_resolvers(cli, &l, usage_wait);
	if(rc == CLI_OK)
		rc = fleet_wait_run(cli, &l, domain, &c, timeout_ms, 0, stderr);
	fleet_list_free(&l);
	return rc;
}

/** Read --timeout: seconds, a decimal fraction allowed. @return 0/-1. */
static int
fleet_timeout(const char *text, unsigned *ms)
{
	char *end;
	double s = strtod(text, &end);
	if(end == text || *end != 0 || !(s > 0) || s > 86400)
		return -1;
	*ms = (unsigned)(s * 1000 + 0.5);
	return 0;
}

int
fleet_cmd_wait(struct cli *cli, int argc, char **argv)
{
	const char *domain = NULL, *client = NULL, *timeout = NULL;
	const struct opt_spec specs[] = { { "domain", 1, &domain, NULL },
		{ "client", 1, &client, NULL }, { "timeout", 1, &timeout, NULL },
		{ NULL, 0, NULL, NULL } };
	struct fleet_list l = { NULL, 0 };
	struct opts_pos pos;
	struct client_subnet c;
	char err[NAME_ERR_MAX];
	unsigned timeout_ms = FLEET_WAIT_DEFAULT_S * 1000;
	int rc = fleet_take_resolvers(&argc, argv, &l, usage_wait);
	if(rc == CLI_OK)
		rc = opts_parse(cli, argc, argv, specs, &pos, usage_wait);
	if(rc == CLI_OK && (pos.count != 0 || client == NULL))
		rc = usage_error(usage_wait, "fleet wait needs --client and "
			"no other arguments");
	if(rc == CLI_OK && timeout != NULL && fleet_timeout(timeout,
		&timeout_ms) != 0)
		rc = usage_error(usage_wait, "--timeout: seconds, more than "
			"0 (got '%s')", timeout);
	if(rc == CLI_OK && client_subnet_parse(client, &c, err) != 0) {
		cli_error("--client: %s", err);
		rc = CLI_INVALID;
	}
	if(rc == CLI_OK)
		rc = fleet_default_resolvers(cli, &l, usage_wait);
	if(rc == CLI_OK)
		rc = fleet_wait_run(cli, &l, domain, &c, timeout_ms, cli->json,
			stdout);
	fleet_list_free(&l);
	return rc == OPTS_HELP ? CLI_OK : rc;
}

int
fleet_write_wait_check(struct cli *cli, const char *client)
{
	struct client_subnet c;
	char err[NAME_ERR_MAX];

	int rc;

	if(client == NULL)
		return CLI_OK;
	if(client_subnet_parse(client, &c, err) != 0) {
		cli_error("--wait: %s", err);
		return CLI_USAGE;
	}
	if((rc = cli_load_conf(cli)) != CLI_OK)
		return rc;
	if(cli->conf.fleet_resolver_count == 0) {
		cli_error("--wait: the configuration lists no fleet-resolvers");
		return CLI_USAGE;
	}
	return CLI_OK;
}

int
fleet_write_wait(struct cli *cli, int rc, const char *domain,
	const char *client)
{
	if(rc != CLI_OK || client == NULL)
		return rc;
	return fleet_wait_converged(cli, domain, client, FLEET_WRITE_WAIT_MS);
}
