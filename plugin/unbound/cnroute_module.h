/*
 * cnroute_module.h - shared declarations of the Unbound glue.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The glue is the only part of cnroute that knows Unbound's types. It
 * turns a query into a steering decision (plugin/policy) and the decision
 * into a reply, following ../shared/notes on Unbound's module internals:
 * answers that depend on the client are never cached nor shared.
 *
 * Files: cnroute_module.c the entry points and the per-query states,
 * chain.c CNAME chains (cnroute's own and upstream ones) into managed
 * names, cache.c what Unbound's caches may hold, reply.c reply building,
 * build_match.c the check that the daemon is the Unbound the module was
 * built for.
 *
 * Unbound releases: the glue is built and tested against 1.17.1 (Debian
 * 12's source package) and 1.26.1 (Debian's 1.26 source package, the
 * series of Debian 13). Where their APIs differ, the difference is handled
 * here in plugin/unbound/ only, by #if on CNROUTE_UB_VERSION (below, from
 * config.h) or on feature macros, and listed here:
 *  - chain.c: env->attach_sub takes the sub-query's client info
 *    (struct respip_client_info *) since 1.24.1; cnroute passes NULL, as
 *    the iterator does, so the sub-query is shared as before.
 *  - reply.c: construct_reply_info_base takes serve-expired's norec TTL
 *    and the EDE reason of a bogus answer (1.26.1 has both; 0 and
 *    LDNS_EDE_NONE, as Unbound's own synthesized replies pass).
 *  - cache.c: if_is_pp2 takes the interface's port as an int, not a
 *    string.
 * The thresholds of the last two are the release tested (1.26.1): when
 * exactly they changed between 1.17.1 and 1.26.1 was not pinned down, and
 * releases in between are neither built nor tested. A wrong threshold
 * does not build (the prototypes are checked), it cannot misbehave. A
 * module always runs only in the very Unbound build whose configured tree
 * it was compiled with (build_match.c).
 */
#ifndef CNROUTE_MODULE_H
#define CNROUTE_MODULE_H

/** Turns config.h's RSRC_PACKAGE_VERSION ("1,26,1,0") into a number. */
#define CNROUTE_UB_VERSION_OF_(major, minor, patch, build) \
	((major) * 10000 + (minor) * 100 + (patch))
/** Expands its argument first, so that the four numbers become four
 *  arguments of CNROUTE_UB_VERSION_OF_. */
#define CNROUTE_UB_VERSION_OF(...) CNROUTE_UB_VERSION_OF_(__VA_ARGS__)
/** The Unbound release built against, e.g. 12601 for 1.26.1; config.h has
 *  no numeric version of its own but the Windows resource one. */
#define CNROUTE_UB_VERSION CNROUTE_UB_VERSION_OF(RSRC_PACKAGE_VERSION)

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include "daemon/worker.h"
#include "util/module.h"
#include "cnroute/conf.h"
#include "cnroute/ecs.h"
#include "cnroute/geoip.h"
#include "cnroute/redis_sync.h"
#include "cnroute/stats.h"
#include "cnroute/steering.h"

struct dns_msg;
struct reply_info;
struct ub_packed_rrset_key;

/** Most names of one CNAME chain cnroute decides (its own CNAME pools
 *  and the managed names an upstream chain leads to); beyond, the answer
 *  is SERVFAIL, as for a loop. */
#define CNROUTE_CHAIN_MAX 8

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
	/** whether the query-response callback was registered */
	int callback_registered;
	/** the daemon's environment given to init: its message cache is
	 *  shared by all workers (and thread-safe) */
	struct module_env *env;
	/** set when a query went on, cacheable, before the first load: the
	 *  caches may then hold answers for names found managed */
	atomic_int cached_before_load;
	/** purges of the caches asked for by the sync thread (see cache.c) */
	atomic_uint purge_requested;
	/** purges done by a worker: a worker purges while done != requested */
	atomic_uint purge_done;
	/** held by the one worker purging */
	pthread_mutex_t purge_lock;
	/** the doorbell: a UDP socket the sync thread sends a query from to
	 *  the resolver itself, so that a worker runs the module (and the
	 *  purge) at once even when every query is a cache hit; -1 if none */
	int doorbell_fd;
	/** where the resolver listens (the first plain DNS interface) */
	struct sockaddr_storage doorbell_to;
	/** its length */
	socklen_t doorbell_to_len;
	/** the doorbell's query (wire format) */
	uint8_t doorbell_query[64];
	/** its length */
	size_t doorbell_query_len;
	/** the name it asks for: never resolved, answered REFUSED */
	uint8_t doorbell_name[32];
	/** its length */
	size_t doorbell_name_len;
};

/** Where a query is in the module. */
enum cnroute_query_state {
	/** decided nothing yet */
	CNROUTE_INITIAL = 0,
	/** passed to the next module, waiting for it to finish */
	CNROUTE_PASSED,
	/** part of the answer built, waiting for the sub-query that
	 *  resolves the last name of its chain (cnroute_qstate.chase) */
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
	/** scope prefix to send back with it: the GeoIP network's prefix
	 *  of the last region lookup */
	uint8_t ecs_scope;
	/** cnroute decided (part of) the answer: it carries the ECS option
	 *  back, is never cached, and its TTLs are capped at ttl */
	int steered;
	/** a decision of the answer depended on the client's region */
	int region_dependent;
	/** TTL cap of the answer (the smallest of its decisions') */
	uint32_t ttl;
	/** the answer built so far: rrsets of the answer section, in order,
	 *  in the query's region */
	struct ub_packed_rrset_key **answer;
	/** number of rrsets in answer */
	size_t answer_count;
	/** room in answer */
	size_t answer_capacity;
	/** the rrsets in answer are those of the message the modules after
	 *  us returned, not copies of our own yet */
	int answer_shared;
	/** the rcode of the answer */
	int rcode;
	/** the name at the end of the chain being built (canonical wire, in
	 *  the region) */
	uint8_t *chase;
	/** length of chase */
	size_t chase_len;
	/** the decision that led to chase found no rule for it (at the
	 *  same table version): it need not be decided again */
	int chase_unmanaged;
	/** with chase_unmanaged, from the decision cache: where the RRset
	 *  cache's hash of chase is kept (steering_decision.cname_memo);
	 *  valid only in the same call of the module */
	uint32_t *chase_memo;
	/** names of the chain decided so far (bounded by CNROUTE_CHAIN_MAX) */
	int steps;
	/** the target's reply copied by inform_super, or NULL */
	struct reply_info *target_rep;
	/** rcode of the target's resolution */
	int target_rcode;
};

/*
 * cnroute_module.c
 */

/**
 * Say whether the client of a query is mainland, as the steering
 * decision asks (a steering_region_fn). Records the ECS scope in cq.
 */
int cnroute_locate_client(void *arg);

/** What cnroute_locate_client needs. */
struct cnroute_locate {
	/** module-wide state */
	struct cnroute_env *ce;
	/** the query */
	struct module_qstate *qstate;
	/** its module state (ECS in, scope out) */
	struct cnroute_qstate *cq;
};

/** Allocator handed to the policy: the query's region. */
void *cnroute_region_alloc(void *ctx, size_t size);

/** Count an answer by the pool of its first decision, in the worker's
 *  own slot. */
void cnroute_count(struct cnroute_env *ce, struct module_qstate *qstate,
	const struct steering_decision *d);

/** The counter slot of the worker thread running qstate (each worker
 *  has its own module_env, whose worker knows its thread number). */
#define cnroute_stats_slot(ce, qstate) stats_worker_slot(&(ce)->stats, \
	(unsigned)((struct worker *)(qstate)->env->worker)->thread_num)

/** Take this query's mesh state out of aggregation (see the .c). */
void cnroute_make_unique(struct module_qstate *qstate);

/** Finish the query with the answer built in cq (ECS, TTL cap). */
void cnroute_finish_answer(struct module_qstate *qstate, int id,
	struct cnroute_qstate *cq);

/** Finish the query with a bare error rcode. */
void cnroute_error(struct module_qstate *qstate, int id, int rcode);

/**
 * The answer for the end of the chain is in (cq->target_rep and
 * cq->target_rcode: from the sub-query, or from the cache): it joins the
 * chain, and is looked through for upstream CNAMEs into managed names.
 */
void cnroute_target_done(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq);

/*
 * chain.c
 */

/**
 * Go on from cq->chase, the name the answer's chain has reached: decide
 * it (with the Host rule: the CN pool only if the filing of the name the
 * client asked is active too), append cnroute's answer for it, follow
 * CNAME pools, and start a sub-query for a name cnroute does not answer.
 * Finishes the query or leaves it waiting (CNROUTE_WAIT_TARGET).
 */
void cnroute_chain_follow(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq);

/**
 * Look through an answer the modules after cnroute (or a sub-query)
 * resolved for an upstream CNAME chain into a managed name; from the
 * first such name on, the answer is cnroute's (cnroute_chain_follow).
 * @param from: index in cq->answer where the upstream part starts; the
 *	chain is walked from cq->chase.
 * @return 1 when cnroute took the answer over (the query is finished or
 *	waiting), 0 when no managed name is in it (the answer is left as
 *	it is).
 */
int cnroute_chain_steer(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq, size_t from);

/*
 * cache.c
 */

/**
 * Called by the sync thread after a commit: names gained a route (or,
 * names NULL, the first load was committed). Asks the worker threads to
 * remove from Unbound's message and RRset caches every entry that holds
 * data of a name now managed (the worker answers from the message cache
 * before the module is asked), and rings the doorbell so one of them
 * does it at once. The sync thread itself never touches the caches: a
 * reload may delete them under it.
 */
void cnroute_forget_cached(void *ctx, const uint8_t *const *names,
	const size_t *lens, size_t count);

/**
 * In a worker, at each entry into the module: do the purge the sync
 * thread asked for, if any (one worker at a time).
 */
void cnroute_purge_if_asked(struct cnroute_env *ce, struct module_env *env);

/**
 * Set up the doorbell from Unbound's configuration (init only): a UDP
 * socket and the first interface that takes plain DNS over UDP.
 * Without one (no such interface), purges wait for the next query that
 * reaches the module.
 */
void cnroute_doorbell_init(struct cnroute_env *ce, struct module_env *env);

/** Close the doorbell. */
void cnroute_doorbell_close(struct cnroute_env *ce);

/** Whether a query is the doorbell's (canonical wire name given). */
int cnroute_is_doorbell(const struct cnroute_env *ce, const uint8_t *qname,
	size_t qname_len);

/**
 * Remove the message cache entry of a name and type (the iterator may
 * have stored a chain through a managed name just before cnroute saw it).
 */
void cnroute_cache_remove_msg(struct module_qstate *qstate,
	const uint8_t *name, size_t name_len, uint16_t qtype);

/**
 * The RRset a sub-query for another name (the end of a CNAME pool's
 * chain) would answer the question qstate asks with, when Unbound's RRset
 * cache holds it fresh: the name's RRset of the asked type, answer data
 * (not glue), never bogus, validated when a validator runs, unsigned (a
 * signed one would need its wildcard proof: left to the message cache).
 * The cheapest lookup (one hash, one copy), and what most targets are (a
 * CDN host name's addresses).
 * @param memo: NULL, or where the caller keeps the RRset cache's hash of
 *	the name and the asked type and class (0: not known yet, set here).
 * @return the RRset copied into qstate's region (TTLs relative), or NULL
 *	(not cached, not fresh, not usable).
 */
struct ub_packed_rrset_key *cnroute_cache_rrset(struct module_qstate *qstate,
	uint8_t *name, size_t name_len, uint32_t *memo);

/**
 * The answer to the question qstate asks, for another name (the end of a
 * CNAME pool's chain), from the message cache as the iterator would find
 * it (NOERROR or NXDOMAIN, every RRset still current). Never bogus, and
 * validated when a validator runs. What a sub-query would get, at the
 * cost of a cache lookup (after cnroute_cache_rrset found nothing).
 * @return the reply, its RRsets copied into qstate's region, or NULL
 *	(not cached, not fresh, not usable: resolve it).
 */
struct reply_info *cnroute_cache_message(struct module_qstate *qstate,
	uint8_t *name, size_t name_len);

/**
 * The inplace callback on every response from an authoritative server,
 * before the iterator stores it: a response that holds a managed name's
 * records, or a CNAME to one, must not be cached (no_cache_store).
 */
int cnroute_query_response(struct module_qstate *qstate,
	struct dns_msg *response, int id, void *cb_args);

/*
 * reply.c
 */

/**
 * Build a reply holding the given addresses (A or AAAA) or none.
 * @return the message in qstate->region, or NULL when out of memory.
 */
struct dns_msg *cnroute_reply_addresses(struct module_qstate *qstate,
	const struct steering_decision *d);

/**
 * An rrset of the addresses of a decision, owned by name (in the region).
 * @return it, or NULL when out of memory.
 */
struct ub_packed_rrset_key *cnroute_rrset_addresses(
	struct module_qstate *qstate, uint8_t *name, size_t name_len,
	const struct steering_decision *d);

/**
 * A CNAME rrset from name (in the region) to the decision's target.
 * @return it, or NULL when out of memory.
 */
struct ub_packed_rrset_key *cnroute_rrset_cname(struct module_qstate *qstate,
	uint8_t *name, size_t name_len, const struct steering_decision *d);

/**
 * Append an rrset to the answer being built.
 * @return 0 or -1 when out of memory.
 */
int cnroute_answer_add(struct module_qstate *qstate,
	struct cnroute_qstate *cq, struct ub_packed_rrset_key *rrset);

/**
 * Make the rrsets of the answer copies of our own (they were the returned
 * message's), so their TTLs can be capped.
 * @return 0 or -1 when out of memory.
 */
int cnroute_answer_own(struct module_qstate *qstate,
	struct cnroute_qstate *cq);

/**
 * The answer built in cq as a message, every TTL capped at cq->ttl (the
 * rrsets are changed in place: they are copies of our own), the rcode
 * cq->rcode.
 * @return the message, or NULL when out of memory.
 */
struct dns_msg *cnroute_answer_message(struct module_qstate *qstate,
	struct cnroute_qstate *cq);

/**
 * A reply of one TXT record, TTL 0, for the question: one
 * character-string per string (each cut at 255 bytes), in this order.
 * @return the message in the query's region, or NULL (out of memory).
 */
struct dns_msg *cnroute_reply_txt(struct module_qstate *qstate,
	const char *const *strings, size_t count);

/**
 * Whether the question is the fleet status question (CH TXT
 * status.cnroute., see fleet_status.c).
 */
int cnroute_fleet_status_asked(const struct module_qstate *qstate);

/**
 * Answer the fleet status question: the state of this resolver's link
 * to Redis and of its table, never cached.
 */
void cnroute_fleet_status_answer(struct module_qstate *qstate, int id,
	struct cnroute_env *ce);

/**
 * Attach the ECS option of the query to the reply, with the scope chosen.
 * @return 0 or -1 when out of memory.
 */
int cnroute_reply_ecs(struct module_qstate *qstate,
	const struct cnroute_qstate *cq);

/**
 * Whether the program the module is loaded into is the Unbound it was
 * built for: the same release (PACKAGE_STRING) and, where the program
 * records one, the same configure line (build_match.c). Logs one line
 * naming both when not.
 * @return 1 if it is, 0 if init must fail
 */
int cnroute_build_matches_daemon(void);

#endif /* CNROUTE_MODULE_H */
