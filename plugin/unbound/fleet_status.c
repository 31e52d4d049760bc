/*
 * fleet_status.c - a resolver tells its own state over DNS.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * With fleet-status: yes, the question
 *
 *	status.cnroute. CH TXT
 *
 * is answered by the module itself with one TXT record of "key=value"
 * strings (README, "Running a fleet"): whether the link to Redis is up,
 * to which server, how changes arrive, how long ago Redis last answered,
 * the table's sizes, the time of the last change applied and of the
 * last full reconciliation, and whether the table is stale.
 *
 * Why a CHAOS-class TXT question: it is how resolvers and authoritative
 * servers have long answered questions about themselves (version.bind,
 * id.server, hostname.bind), every DNS client can ask it (dig, kdig,
 * the CLI's fleet commands) through the same port and the same path as
 * real queries, and no class-IN name of anybody's zone is taken. The
 * question reaches the module only after Unbound's access-control let
 * the client in: refused and denied clients never get here, so the
 * status is shown to exactly the clients allowed to use the resolver.
 * The answer changes every second and is never cached (no_cache_store).
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cnroute_module.h"
#include "services/cache/dns.h"
#include "util/data/dname.h"
#include "util/module.h"
#include "util/regional.h"
#include "sldns/rrdef.h"
#include "cnroute/redis_sync.h"

/** The question's name in wire format: status.cnroute. */
static const uint8_t fleet_status_name[] = "\006status\007cnroute";

/** The version of the answer's format (the first string). */
#define FLEET_STATUS_FORMAT 1

/** Strings in the answer. */
#define FLEET_STATUS_STRINGS 12

int
cnroute_fleet_status_asked(const struct module_qstate *qstate)
{
	return qstate->qinfo.qclass == LDNS_RR_CLASS_CH &&
		qstate->qinfo.qtype == LDNS_RR_TYPE_TXT &&
		qstate->qinfo.qname_len == sizeof(fleet_status_name) &&
		query_dname_compare(qstate->qinfo.qname,
		(uint8_t *)fleet_status_name) == 0;
}

/** printf into a string of the query's region. */
static char *
fleet_printf(struct module_qstate *qstate, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *
fleet_printf(struct module_qstate *qstate, const char *fmt, ...)
{
	char buf[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return regional_strdup(qstate->region, buf);
}

void
cnroute_fleet_status_answer(struct module_qstate *qstate, int id,
	struct cnroute_env *ce)
{
	const char *strings[FLEET_STATUS_STRINGS];
	struct redis_sync *sync = &ce->sync;
	char server[300] = "-";
	size_t filings = 0, routes = 0, n = 0, i;
	int64_t now = (int64_t)time(NULL);
	int64_t contact = atomic_load(&sync->data_time);
	int up = atomic_load(&ce->stats.redis_connected);
	int index = atomic_load(&sync->server);
	struct dns_msg *msg;

	/* changes with every call: not for any cache */
	qstate->no_cache_store = 1;
	if(up && index >= 0 && index < ce->conf.redis_server_count)
		conf_server_format(&ce->conf.redis_servers[index], server,
			sizeof(server));
	steering_table_counts(&ce->table, &filings, &routes);
	strings[n++] = fleet_printf(qstate, "cnroute-status=%d",
		FLEET_STATUS_FORMAT);
	strings[n++] = fleet_printf(qstate, "redis=%s", up ? "up" : "down");
	strings[n++] = fleet_printf(qstate, "server=%s", server);
	strings[n++] = fleet_printf(qstate, "changes=%s",
		redis_change_mode_name(atomic_load(&sync->change_mode)));
	strings[n++] = fleet_printf(qstate, "contact-age=%lld",
		(long long)(contact > 0 && now > contact ? now - contact : 0));
	strings[n++] = fleet_printf(qstate, "filings=%zu", filings);
	strings[n++] = fleet_printf(qstate, "routes=%zu", routes);
	strings[n++] = fleet_printf(qstate, "last-change=%lld",
		(long long)atomic_load(&sync->last_change));
	strings[n++] = fleet_printf(qstate, "last-full-sync=%lld",
		(long long)atomic_load(&ce->stats.last_full_sync));
	strings[n++] = fleet_printf(qstate, "loaded=%s",
		steering_table_is_loaded(&ce->table) ? "yes" : "no");
	strings[n++] = fleet_printf(qstate, "stale=%s",
		atomic_load(&ce->stats.stale) ? "yes" : "no");
	strings[n++] = fleet_printf(qstate, "now=%lld", (long long)now);
	for(i = 0; i < n; i++) {
		if(strings[i] == NULL) {
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return;
		}
	}
	msg = cnroute_reply_txt(qstate, strings, n);
	if(!msg) {
		cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
		return;
	}
	qstate->return_msg = msg;
	qstate->return_rcode = LDNS_RCODE_NOERROR;
	qstate->ext_state[id] = module_finished;
}
