/*
 * cnroute_module.h - shared declarations of the Unbound glue.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The glue is the only part of cnroute that knows Unbound's types. It
 * turns a query into a steering decision (plugin/policy) and the decision
 * into a reply, following ../shared/notes on Unbound's module internals:
 * answers that depend on the client are never cached nor shared.
 */
#ifndef CNROUTE_MODULE_H
#define CNROUTE_MODULE_H

#include <stdatomic.h>
#include "util/module.h"
#include "cnroute/conf.h"
#include "cnroute/ecs.h"
#include "cnroute/geoip.h"
#include "cnroute/redis_sync.h"
#include "cnroute/stats.h"
#include "cnroute/steering.h"

struct dns_msg;
struct reply_info;

/** Module-wide state, reached through dynlibmod_env.dyn_env. Used by
 *  every worker at once: only the steering table changes after init,
 *  and it has its own lock. */
struct cnroute_env {
	/** the configuration read at init */
	struct cnroute_conf conf;
	/** the GeoIP database (read-only, lock-free lookups) */
	struct geoip *geoip;
	/** filings and routes, kept current by sync */
	struct steering_table table;
	/** counters */
	struct cnroute_stats stats;
	/** the Redis sync thread */
	struct redis_sync sync;
	/** whether table was set up (for deinit after a failed init) */
	int table_ready;
	/** the daemon's environment given to init: its message cache is
	 *  shared by all workers (and thread-safe) */
	struct module_env *env;
	/** set when a query was passed on, cacheable, before the first
	 *  load: the cache may then hold answers for names found managed */
	atomic_int cached_before_load;
};

/**
 * Called by the sync thread when a route appears for a name that had
 * none (name NULL: the first load is done). Expires what Unbound's
 * message cache holds for the name (or, for "*.parent", below parent),
 * since the worker answers from that cache before the module is asked.
 */
void cnroute_forget_cached(void *ctx, const uint8_t *name, size_t name_len);

/** Where a query is in the module. */
enum cnroute_query_state {
	/** decided nothing yet */
	CNROUTE_INITIAL = 0,
	/** passed to the next module, waiting for it to finish */
	CNROUTE_PASSED,
	/** answered with a CNAME, waiting for the target's sub-query */
	CNROUTE_WAIT_TARGET
};

/** Per-query state, allocated in the query's region. */
struct cnroute_qstate {
	/** where the query is */
	enum cnroute_query_state state;
	/** the client sent an ECS option (and ecs: use) */
	int has_ecs;
	/** that option */
	struct ecs_option ecs;
	/** scope prefix to send back with it */
	uint8_t ecs_scope;
	/** TTL cap of this answer */
	uint32_t ttl;
	/** the CNAME part of the answer (CNROUTE_WAIT_TARGET) */
	struct dns_msg *cname_msg;
	/** the target's reply copied by inform_super, or NULL */
	struct reply_info *target_rep;
	/** rcode of the target's resolution */
	int target_rcode;
};

/**
 * Build a reply holding the given addresses (A or AAAA) or none.
 * @return the message in qstate->region, or NULL when out of memory.
 */
struct dns_msg *cnroute_reply_addresses(struct module_qstate *qstate,
	const struct steering_decision *d);

/**
 * Build a reply holding the CNAME of the decision.
 * @return the message in qstate->region, or NULL when out of memory.
 */
struct dns_msg *cnroute_reply_cname(struct module_qstate *qstate,
	const struct steering_decision *d);

/**
 * Append the answer section of the target's reply to the CNAME reply,
 * TTLs capped, rcode taken from the target.
 * @return the new message or NULL when out of memory.
 */
struct dns_msg *cnroute_reply_merge_target(struct module_qstate *qstate,
	struct dns_msg *cname_msg, struct reply_info *target, int rcode,
	uint32_t ttl);

/**
 * Attach the ECS option of the query to the reply, with the scope chosen.
 * @return 0 or -1 when out of memory.
 */
int cnroute_reply_ecs(struct module_qstate *qstate,
	const struct cnroute_qstate *cq);

#endif /* CNROUTE_MODULE_H */
