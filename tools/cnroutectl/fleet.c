/*
 * fleet.c - "cnroutectl fleet": the command, the list of resolvers, and
 * "fleet status" (see fleet.h).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The status question goes to every resolver at once (2 s, one retry):
 * the question is answered by the module itself, so a resolver that
 * takes longer is not answering. A resolver that answers without the
 * status (fleet-status off, another resolver) counts as not answering
 * it. Exit CLI_FLEET unless every resolver answered, is loaded and is
 * not stale.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <jansson.h>
#include <ldns/ldns.h>
#include "commands.h"
#include "fleet.h"

/** Usage of "fleet". */
static const char usage_fleet[] =
	"usage: cnroutectl fleet status [--resolver ADDR[:PORT] ...] [--json]\n"
	"       cnroutectl fleet wait [--resolver ADDR[:PORT] ...] "
	"[--domain D]\n"
	"                  --client ADDR[/LEN] [--timeout S] [--json]\n"
	"Each asks every resolver given by --resolver (repeat it, or list "
	"several\nseparated by commas), else the fleet-resolvers of "
	"cnroute.conf (port 53 by\ndefault; [v6]:port for IPv6). Exit 0 when "
	"every resolver is fine, 5 when\nnot (the resolvers are named on "
	"stderr).\n";

/** Usage of "fleet status". */
static const char usage_status[] =
	"usage: cnroutectl fleet status [--resolver ADDR[:PORT] ...] [--json]\n"
	"Asks every resolver the status question (status.cnroute. CH TXT, "
	"answered\nwith fleet-status: yes in its cnroute.conf; 2 s, one retry) "
	"and prints one\nline per resolver: the Redis link and server, how "
	"changes arrive, seconds\nsince Redis last answered, the table's "
	"sizes, the last change applied (time\nand age) and whether the "
	"table is stale. The resolvers are those given by\n--resolver "
	"(repeat it, or separate them by commas), else fleet-resolvers.\n"
	"Exit 0 when every resolver answered, is loaded and is not stale; 5 "
	"when\nnot, naming them on stderr.\n";

/** How long to wait for a status answer, each try. */
#define FLEET_STATUS_TIMEOUT_MS 2000
/** How many times the status question is sent. */
#define FLEET_STATUS_TRIES 2

void
fleet_oom(void)
{
	fputs("cnroutectl: out of memory\n", stderr);
	exit(CLI_INVALID);
}

void
fleet_list_free(struct fleet_list *l)
{
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/** Append a resolver. */
static void
fleet_list_add(struct fleet_list *l, const struct dns_server *sv)
{
	struct dns_server *items = realloc(l->items, (l->count + 1) *
		sizeof(*items));
	if(items == NULL)
		fleet_oom();
	l->items = items;
	l->items[l->count++] = *sv;
}

/** One thread of fleet_parallel. */
struct fleet_job {
	/** the function */
	void (*fn)(void *arg, size_t i);
	/** its argument */
	void *arg;
	/** the index this thread runs */
	size_t i;
};

/** Thread body: run one job. */
static void *
fleet_job_run(void *p)
{
	struct fleet_job *job = p;
	job->fn(job->arg, job->i);
	return NULL;
}

void
fleet_parallel(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
	struct fleet_job jobs[FLEET_THREADS];
	pthread_t threads[FLEET_THREADS];
	int started[FLEET_THREADS];
	size_t at, k, batch;
	for(at = 0; at < n; at += batch) {
		batch = n - at < FLEET_THREADS ? n - at : FLEET_THREADS;
		for(k = 0; k < batch; k++) {
			jobs[k].fn = fn;
			jobs[k].arg = arg;
			jobs[k].i = at + k;
			/* no thread to be had: run it here, in turn */
			started[k] = pthread_create(&threads[k], NULL,
				fleet_job_run, &jobs[k]) == 0;
			if(!started[k])
				fn(arg, at + k);
		}
		for(k = 0; k < batch; k++)
			if(started[k])
				pthread_join(threads[k], NULL);
	}
}

/**
 * Add the addresses of one --resolver value (blanks or commas between
 * them). @return CLI_OK or CLI_INVALID (message printed).
 */
static int
fleet_add_text(struct fleet_list *l, const char *text)
{
	char word[DNS_SERVER_TEXT_MAX + 1];
	const char *p = text;
	size_t len;
	struct dns_server sv;
	int added = 0;
	while(*p != 0) {
		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if(len == 0)
			break;
		if(len >= sizeof(word) || (memcpy(word, p, len), word[len] = 0,
			dns_server_parse(word, &sv) != 0)) {
			cli_error("--resolver: bad address '%.*s' (ADDR, "
				"ADDR:PORT or [V6]:PORT)", (int)(len > 80 ? 80 :
				len), p);
			return CLI_INVALID;
		}
		fleet_list_add(l, &sv);
		added = 1;
		p += len;
	}
	if(!added) {
		cli_error("--resolver: no address given");
		return CLI_INVALID;
	}
	return CLI_OK;
}

int
fleet_take_resolvers(int *argc, char **argv, struct fleet_list *out,
	const char *usage)
{
	int i, kept = 0, rc;
	for(i = 0; i < *argc; i++) {
		const char *value = NULL;
		if(strcmp(argv[i], "--") == 0) {
			/* positional from here on: keep them all */
			while(i < *argc)
				argv[kept++] = argv[i++];
			break;
		}
		if(strcmp(argv[i], "--resolver") == 0) {
			if(i + 1 >= *argc)
				return usage_error(usage, "--resolver needs an "
					"address");
			value = argv[++i];
		} else if(strncmp(argv[i], "--resolver=", 11) == 0) {
			value = argv[i] + 11;
		} else {
			argv[kept++] = argv[i];
			continue;
		}
		if((rc = fleet_add_text(out, value)) != CLI_OK)
			return rc;
	}
	*argc = kept;
	return CLI_OK;
}

/**
 * A resolver of the configuration as an address: a host name is looked
 * up (its first address). @return 0 or -1 (err set).
 */
static int
fleet_conf_resolver(const struct conf_server *cs, struct dns_server *sv,
	char *err)
{
	struct addrinfo hints, *res = NULL;
	int r;
	memset(sv, 0, sizeof(*sv));
	if(cs->host == NULL) {
		snprintf(err, FLEET_ERR_MAX, "a unix socket is not a resolver");
		return -1;
	}
	sv->port = (uint16_t)cs->port;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	r = getaddrinfo(cs->host, NULL, &hints, &res);
	if(r != 0 || res == NULL) {
		snprintf(err, FLEET_ERR_MAX, "fleet-resolvers: cannot find "
			"'%s': %s", cs->host, gai_strerror(r));
		return -1;
	}
	r = getnameinfo(res->ai_addr, res->ai_addrlen, sv->addr,
		sizeof(sv->addr), NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	if(r != 0) {
		snprintf(err, FLEET_ERR_MAX, "fleet-resolvers: '%s': %s",
			cs->host, gai_strerror(r));
		return -1;
	}
	return 0;
}

int
fleet_default_resolvers(struct cli *cli, struct fleet_list *out,
	const char *usage)
{
	char err[FLEET_ERR_MAX];
	struct dns_server sv;
	int i, rc;
	if(out->count > 0)
		return CLI_OK;
	if((rc = cli_load_conf(cli)) != CLI_OK)
		return rc;
	if(cli->conf.fleet_resolver_count == 0)
		return usage_error(usage, "no resolvers: give --resolver, or "
			"fleet-resolvers in cnroute.conf");
	for(i = 0; i < cli->conf.fleet_resolver_count; i++) {
		if(fleet_conf_resolver(&cli->conf.fleet_resolvers[i], &sv,
			err) != 0) {
			cli_error("%s", err);
			return CLI_INVALID;
		}
		fleet_list_add(out, &sv);
	}
	return CLI_OK;
}

/** Read a non-negative decimal number. @return 0 or -1. */
static int
fleet_number(const char *text, long long *out)
{
	char *end;
	long long v;
	if(*text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if(*end != 0 || errno != 0)
		return -1;
	*out = v;
	return 0;
}

/** Read yes/no (or up/down). @return 1, 0, or -1 for anything else. */
static int
fleet_flag(const char *text, const char *yes, const char *no)
{
	if(strcmp(text, yes) == 0)
		return 1;
	if(strcmp(text, no) == 0)
		return 0;
	return -1;
}

/** The numeric keys of the status answer and where they go. */
static long long *
fleet_number_field(struct fleet_status *st, const char *key, size_t len)
{
	static const struct {
		const char *key;
		size_t offset;
	} keys[] = {
		{ "cnroute-status", offsetof(struct fleet_status, format) },
		{ "contact-age", offsetof(struct fleet_status, contact_age) },
		{ "filings", offsetof(struct fleet_status, filings) },
		{ "routes", offsetof(struct fleet_status, routes) },
		{ "last-change", offsetof(struct fleet_status, last_change) },
		{ "last-full-sync", offsetof(struct fleet_status,
			last_full_sync) },
		{ "now", offsetof(struct fleet_status, now) },
	};
	size_t i;
	for(i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if(strlen(keys[i].key) == len && memcmp(keys[i].key, key,
			len) == 0)
			return (long long *)((char *)st + keys[i].offset);
	return NULL;
}

/** A text from the network for a message: bytes other than printable
 *  ASCII become '?', at most 80 are kept (out: 84 bytes). */
static void
fleet_printable(const char *text, char *out)
{
	size_t i;
	for(i = 0; text[i] != 0 && i < 80; i++)
		out[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	out[i] = 0;
}

/** 1 if a value is printable ASCII without blanks and shorter than
 *  size (a host:port, a mode name). */
static int
fleet_word(const char *v, size_t size)
{
	size_t i;
	for(i = 0; v[i] != 0; i++)
		if(v[i] <= 0x20 || v[i] >= 0x7f)
			return 0;
	return i < size;
}

/**
 * Read one "key=value" string into st.
 * @return 0, or -1 (err set) for a known key with a bad value.
 */
static int
fleet_status_string(struct fleet_status *st, const char *s, char *err)
{
	const char *eq = strchr(s, '=');
	const char *v;
	char shown[84];
	size_t klen;
	long long *num;
	int flag = 0;
	fleet_printable(s, shown);
	if(eq == NULL) {
		snprintf(err, FLEET_ERR_MAX, "'%s' is not key=value", shown);
		return -1;
	}
	klen = (size_t)(eq - s);
	v = eq + 1;
	if((num = fleet_number_field(st, s, klen)) != NULL) {
		if(fleet_number(v, num) != 0)
			flag = -1;
	} else if(klen == 5 && memcmp(s, "redis", 5) == 0) {
		flag = st->redis_up = fleet_flag(v, "up", "down");
	} else if(klen == 5 && memcmp(s, "stale", 5) == 0) {
		flag = st->stale = fleet_flag(v, "yes", "no");
	} else if(klen == 6 && memcmp(s, "loaded", 6) == 0) {
		flag = st->loaded = fleet_flag(v, "yes", "no");
	} else if(klen == 6 && memcmp(s, "server", 6) == 0) {
		if(!fleet_word(v, sizeof(st->server)))
			flag = -1;
		else
			snprintf(st->server, sizeof(st->server), "%s", v);
	} else if(klen == 7 && memcmp(s, "changes", 7) == 0) {
		if(!fleet_word(v, sizeof(st->changes)))
			flag = -1;
		else
			snprintf(st->changes, sizeof(st->changes), "%s", v);
	}
	/* any other key: a later format's, skipped */
	if(flag < 0) {
		snprintf(err, FLEET_ERR_MAX, "bad value in '%s'", shown);
		return -1;
	}
	return 0;
}

int
fleet_status_parse(const char *const *strings, size_t n,
	struct fleet_status *st, char *err)
{
	size_t i;
	memset(st, 0, sizeof(*st));
	st->format = st->contact_age = st->filings = st->routes =
		st->last_change = st->last_full_sync = st->now = FLEET_UNKNOWN;
	st->redis_up = st->stale = st->loaded = -1;
	if(n == 0 || strncmp(strings[0], "cnroute-status=", 15) != 0) {
		snprintf(err, FLEET_ERR_MAX, "not a cnroute status answer "
			"(the first string is not cnroute-status=N)");
		return -1;
	}
	for(i = 0; i < n; i++)
		if(fleet_status_string(st, strings[i], err) != 0)
			return -1;
	if(st->format < 1) {
		snprintf(err, FLEET_ERR_MAX, "cnroute-status=%lld: unknown "
			"format", st->format);
		return -1;
	}
	if(st->redis_up < 0 || st->stale < 0) {
		snprintf(err, FLEET_ERR_MAX, "the answer lacks %s",
			st->redis_up < 0 ? "redis=up|down" : "stale=yes|no");
		return -1;
	}
	return 0;
}

/** One resolver's outcome. */
struct fleet_report {
	/** the resolver, as text */
	char name[DNS_SERVER_TEXT_MAX];
	/** 1 when a status answer was read */
	int answered;
	/** why not, or what is wrong ("" when fine) */
	char error[FLEET_ERR_MAX];
	/** the status (answered) */
	struct fleet_status st;
};

/** The strings of the first CH TXT record of status.cnroute. in the
 *  answer. @return how many (malloced, up to max), 0 when none. */
static size_t
fleet_txt_strings(ldns_pkt *reply, char **out, size_t max)
{
	ldns_rr_list *ans = ldns_pkt_answer(reply);
	ldns_rdf *owner = ldns_dname_new_frm_str("status.cnroute.");
	size_t i, j, n = 0;
	for(i = 0; owner && ans && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if(ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
			ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		for(j = 0; j < ldns_rr_rd_count(rr) && n < max; j++) {
			ldns_rdf *rd = ldns_rr_rdf(rr, j);
			const uint8_t *d = ldns_rdf_data(rd);
			size_t size = ldns_rdf_size(rd);
			size_t len = size > 0 ? d[0] : 0;
			if(size == 0 || len + 1 > size)
				continue;
			out[n++] = xstrndup((const char *)d + 1, len);
		}
		break;
	}
	ldns_rdf_deep_free(owner);
	return n;
}

/** Ask one resolver the status question. */
static void
fleet_ask_status(const struct dns_server *sv, struct fleet_report *r)
{
	ldns_rdf *qname = ldns_dname_new_frm_str("status.cnroute.");
	ldns_pkt *q = NULL, *reply = NULL;
	char err[DNS_ERR_MAX], *strings[FLEET_STATUS_STRINGS_MAX];
	size_t n = 0, i;
	memset(r, 0, sizeof(*r));
	dns_server_format(sv, r->name);
	if(qname != NULL)
		q = ldns_pkt_query_new(qname, LDNS_RR_TYPE_TXT,
			LDNS_RR_CLASS_CH, LDNS_RD);
	if(q == NULL) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		return;
	}
	ldns_pkt_set_random_id(q);
	reply = dns_query_send(sv, q, FLEET_STATUS_TIMEOUT_MS,
		FLEET_STATUS_TRIES, err);
	ldns_pkt_free(q);
	if(reply == NULL) {
		snprintf(r->error, sizeof(r->error), "%s", err);
		return;
	}
	if(ldns_pkt_get_rcode(reply) == LDNS_RCODE_NOERROR)
		n = fleet_txt_strings(reply, strings,
			FLEET_STATUS_STRINGS_MAX);
	if(n == 0) {
		char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));
		snprintf(r->error, sizeof(r->error), "no status in the answer "
			"(%s): is fleet-status: yes in its cnroute.conf?",
			rcode ? rcode : "?");
		free(rcode);
	} else if(fleet_status_parse((const char *const *)strings, n, &r->st,
		err) != 0) {
		snprintf(r->error, sizeof(r->error), "%s", err);
	} else {
		r->answered = 1;
		if(r->st.stale)
			snprintf(r->error, sizeof(r->error), "stale");
		else if(r->st.loaded == 0)
			snprintf(r->error, sizeof(r->error), "not loaded");
	}
	for(i = 0; i < n; i++)
		free(strings[i]);
	ldns_pkt_free(reply);
}

/** A Unix time as "YYYY-MM-DD HH:MM:SS UTC" (size >= 32). */
static void
fleet_time_text(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if(gmtime_r(&tt, &tm) == NULL ||
		strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, size, "%lld", t);
}

/** A number for people: "?" when unknown. */
static const char *
fleet_num_text(long long v, char *buf, size_t size)
{
	if(v == FLEET_UNKNOWN)
		return "?";
	snprintf(buf, size, "%lld", v);
	return buf;
}

/** Age of a time on the resolver's clock, FLEET_UNKNOWN when unknown. */
static long long
fleet_age(const struct fleet_status *st, long long t)
{
	if(t <= 0 || st->now == FLEET_UNKNOWN)
		return FLEET_UNKNOWN;
	return st->now > t ? st->now - t : 0;
}

/** Print one resolver's line for people. */
static void
fleet_print_line(const struct fleet_report *r)
{
	const struct fleet_status *st = &r->st;
	char a[32], b[32], c[32], age[32], when[48], last[128];
	if(!r->answered) {
		printf("%s  FAIL  %s\n", r->name, r->error);
		return;
	}
	if(st->last_change > 0) {
		fleet_time_text(st->last_change, when, sizeof(when));
		snprintf(last, sizeof(last), "%s (%s s ago)", when,
			fleet_num_text(fleet_age(st, st->last_change), age,
			sizeof(age)));
	} else {
		snprintf(last, sizeof(last), "none since start");
	}
	printf("%s  %-5s redis %s %s, changes %s, contact %s s ago; filings "
		"%s, routes %s; last change %s; stale %s%s\n", r->name,
		r->error[0] ? "FAIL" : "ok", st->redis_up ? "up" : "down",
		st->server[0] ? st->server : "-", st->changes[0] ?
		st->changes : "?", fleet_num_text(st->contact_age, a,
		sizeof(a)), fleet_num_text(st->filings, b, sizeof(b)),
		fleet_num_text(st->routes, c, sizeof(c)), last, st->stale ?
		"yes" : "no", st->loaded == 0 ? "; not loaded" : "");
}

/** A number as JSON: null when unknown. */
static json_t *
fleet_json_num(long long v)
{
	return v == FLEET_UNKNOWN ? json_null() : json_integer(v);
}

void
fleet_json_set(json_t *obj, const char *key, json_t *value)
{
	if(obj == NULL || value == NULL ||
		json_object_set_new(obj, key, value) != 0)
		fleet_oom();
}

/** One resolver's outcome as a JSON object. */
static json_t *
fleet_report_json(const struct fleet_report *r)
{
	const struct fleet_status *st = &r->st;
	json_t *o = json_object();
	if(o == NULL)
		fleet_oom();
	fleet_json_set(o, "resolver", json_string(r->name));
	fleet_json_set(o, "ok", json_boolean(r->error[0] == 0));
	fleet_json_set(o, "answered", json_boolean(r->answered));
	/* texts from the network are printable ASCII by now
	 * (fleet_printable, fleet_word): valid UTF-8 */
	fleet_json_set(o, "error", r->error[0] ? json_string(r->error) :
		json_null());
	if(!r->answered)
		return o;
	fleet_json_set(o, "format", json_integer(st->format));
	fleet_json_set(o, "redis", json_string(st->redis_up ? "up" : "down"));
	fleet_json_set(o, "server", st->server[0] ? json_string(st->server) :
		json_null());
	fleet_json_set(o, "changes", st->changes[0] ?
		json_string(st->changes) : json_null());
	fleet_json_set(o, "contact_age", fleet_json_num(st->contact_age));
	fleet_json_set(o, "filings", fleet_json_num(st->filings));
	fleet_json_set(o, "routes", fleet_json_num(st->routes));
	fleet_json_set(o, "last_change", fleet_json_num(st->last_change));
	fleet_json_set(o, "last_change_age", fleet_json_num(fleet_age(st,
		st->last_change)));
	fleet_json_set(o, "last_full_sync",
		fleet_json_num(st->last_full_sync));
	fleet_json_set(o, "loaded", st->loaded < 0 ? json_null() :
		json_boolean(st->loaded));
	fleet_json_set(o, "stale", json_boolean(st->stale));
	fleet_json_set(o, "now", fleet_json_num(st->now));
	return o;
}

/** The resolvers asked in parallel, and their outcomes. */
struct fleet_status_job {
	/** the resolvers */
	const struct fleet_list *list;
	/** one report each, in the order of the list */
	struct fleet_report *reports;
};

/** fleet_parallel body: ask resolver i. */
static void
fleet_status_job(void *arg, size_t i)
{
	struct fleet_status_job *job = arg;
	fleet_ask_status(&job->list->items[i], &job->reports[i]);
}

/** "fleet status". */
static int
fleet_cmd_status(struct cli *cli, int argc, char **argv)
{
	const struct opt_spec specs[] = { { NULL, 0, NULL, NULL } };
	struct fleet_list list = { NULL, 0 };
	struct opts_pos pos;
	struct fleet_status_job job;
	struct strbuf failed = { 0 };
	json_t *all = NULL;
	size_t i, nfailed = 0;
	int rc = fleet_take_resolvers(&argc, argv, &list, usage_status);
	if(rc == CLI_OK)
		rc = opts_parse(cli, argc, argv, specs, &pos, usage_status);
	if(rc == CLI_OK && pos.count != 0)
		rc = usage_error(usage_status, "fleet status takes no "
			"arguments");
	if(rc == CLI_OK)
		rc = fleet_default_resolvers(cli, &list, usage_status);
	if(rc != CLI_OK) {
		fleet_list_free(&list);
		return rc == OPTS_HELP ? CLI_OK : rc;
	}
	if(cli->json && (all = json_array()) == NULL)
		fleet_oom();
	job.list = &list;
	job.reports = xmalloc(list.count * sizeof(*job.reports));
	fleet_parallel(list.count, fleet_status_job, &job);
	for(i = 0; i < list.count; i++) {
		const struct fleet_report *r = &job.reports[i];
		if(cli->json) {
			if(json_array_append_new(all, fleet_report_json(r)) !=
				0)
				fleet_oom();
		} else {
			fleet_print_line(r);
		}
		if(r->error[0]) {
			sb_printf(&failed, "%s%s (%s)", nfailed ? ", " : "",
				r->name, r->error);
			nfailed++;
		}
	}
	free(job.reports);
	if(cli->json) {
		char *text = json_dumps(all, JSON_COMPACT);
		if(text == NULL)
			fleet_oom();
		printf("%s\n", text);
		free(text);
		json_decref(all);
	}
	if(nfailed > 0)
		cli_error("fleet status: %zu of %zu resolvers not fine: %s",
			nfailed, list.count, sb_str(&failed));
	sb_free(&failed);
	fleet_list_free(&list);
	return nfailed ? CLI_FLEET : CLI_OK;
}

int
cmd_fleet(struct cli *cli, int argc, char **argv)
{
	if(argc < 2)
		return usage_error(usage_fleet, "fleet needs status or wait");
	if(strcmp(argv[1], "status") == 0)
		return fleet_cmd_status(cli, argc - 2, argv + 2);
	if(strcmp(argv[1], "wait") == 0)
		return fleet_cmd_wait(cli, argc - 2, argv + 2);
	if(strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_fleet, stdout);
		return CLI_OK;
	}
	return usage_error(usage_fleet, "unknown fleet command '%s'", argv[1]);
}
