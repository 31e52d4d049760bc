/*
 * cnroute_module.c - the dynlib entry points: init, deinit, operate,
 * inform_super, clear, get_mem.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every query of class IN that reaches the module is decided from the
 * steering table (plugin/policy): a new client query, and, as Unbound's
 * own modules do, a state that arrives with module_event_pass and no state
 * of ours (a sub-query, a prefetch, the iterator's and validator's own
 * lookups), since any of them may land on a managed name. Then:
 *  - address pools are answered at once;
 *  - CNAME pools are answered with the CNAME, the chain followed through
 *    managed targets, and the first name cnroute does not answer resolved
 *    by a sub-query (chain.c);
 *  - everything else goes on to the validator and iterator, and when they
 *    are done the answer is looked through for an upstream CNAME chain
 *    into a managed name, which cnroute then answers for (chain.c).
 * A state cnroute answers for is never stored in the caches
 * (no_cache_store, and cache.c keeps upstream answers for managed names
 * out), and one that waits is taken out of mesh aggregation, so no
 * client's answer reaches another.
 */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include "cnroute_module.h"
#include "cnroute/dname.h"
#include "cnroute/log.h"
#include "cnroute/public_suffix.h"
#include "cnroute/snapshot.h"
#include "dynlibmod/dynlibmod.h"
#include "services/cache/dns.h"
#include "services/mesh.h"
#include "util/data/msgreply.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/regional.h"
#include "util/rbtree.h"
#include "sldns/rrdef.h"

/** Mark an entry point as one of the six the dynlib wrapper looks up. */
#define CNROUTE_EXPORT __attribute__((visibility("default")))

CNROUTE_EXPORT int init(struct module_env *env, int id);
CNROUTE_EXPORT void deinit(struct module_env *env, int id);
CNROUTE_EXPORT void operate(struct module_qstate *qstate,
	enum module_ev event, int id, struct outbound_entry *outbound);
CNROUTE_EXPORT void inform_super(struct module_qstate *qstate, int id,
	struct module_qstate *super);
CNROUTE_EXPORT void clear(struct module_qstate *qstate, int id);
CNROUTE_EXPORT size_t get_mem(struct module_env *env, int id);

/** Send the shared code's log lines to Unbound's log. */
static void
cnroute_log_to_unbound(enum cnroute_log_level level, const char *message)
{
	switch(level) {
	case CNROUTE_LOG_ERROR:
		log_err("cnroute: %s", message);
		break;
	case CNROUTE_LOG_WARNING:
		log_warn("cnroute: %s", message);
		break;
	case CNROUTE_LOG_INFO:
		verbose(VERB_OPS, "cnroute: %s", message);
		break;
	default:
		verbose(VERB_ALGO, "cnroute: %s", message);
		break;
	}
}

/** The module-wide state of module id. */
static struct cnroute_env *
cnroute_env_get(struct module_env *env, int id)
{
	struct dynlibmod_env *de = env->modinfo[id];
	return de ? de->dyn_env : NULL;
}

/** Environment variable that hands the table to the next instance of
 *  the module ("<pid>:<fd>" of a memfd holding a snapshot). */
#define CNROUTE_HANDOFF_ENV "CNROUTE_HANDOFF"

/**
 * Load the table the previous instance handed over (a reload), else the
 * snapshot file, before any query is decided.
 * @return the Unix time of the data loaded, or 0 when nothing was.
 */
static int64_t
cnroute_start_from_snapshot(struct cnroute_env *ce, const char *conf_path)
{
	const char *handoff = getenv(CNROUTE_HANDOFF_ENV);
	struct snapshot_info info;
	char err[SNAPSHOT_ERR_MAX];
	const char *from = NULL;
	long pid = 0;
	int fd = -1, r = -1;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	if(handoff && sscanf(handoff, "%ld:%d", &pid, &fd) == 2 &&
		pid == (long)getpid() && fd >= 0) {
		r = snapshot_load_fd(fd, ce->conf.key_prefix, ce->conf.redis_db,
			&ce->table, &info, err);
		close(fd);
		from = "the table handed over by the previous instance";
		if(r != 0)
			log_warn("cnroute: %s not used: %s", from, err);
	}
	if(handoff)
		unsetenv(CNROUTE_HANDOFF_ENV);
	if(r != 0 && ce->conf.snapshot_file) {
		from = ce->conf.snapshot_file;
		r = snapshot_load(ce->conf.snapshot_file, ce->conf.key_prefix,
			ce->conf.redis_db, &ce->table, &info, err);
		if(r != 0)
			log_warn("cnroute: %s: snapshot-file %s not used: %s",
				conf_path, ce->conf.snapshot_file, err);
	}
	if(r != 0)
		return 0;
	steering_table_set_loaded(&ce->table);
	/* answers the worker caches from now on are decided from the
	 * snapshot; the first load from Redis may manage more names */
	atomic_store(&ce->cached_before_load, 1);
	atomic_store(&ce->stats.snapshot_time, info.read_time);
	if(ce->conf.max_stale && (int64_t)time(NULL) - info.read_time >
		(int64_t)ce->conf.max_stale)
		atomic_store(&ce->stats.stale, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	verbose(VERB_OPS, "cnroute: started from %s: %llu filings, %llu "
		"routes, read from Redis %lld s ago, loaded in %lld ms%s", from,
		(unsigned long long)info.filings,
		(unsigned long long)info.routes,
		(long long)((int64_t)time(NULL) - info.read_time),
		(long long)((t1.tv_sec - t0.tv_sec) * 1000 +
		(t1.tv_nsec - t0.tv_nsec) / 1000000),
		atomic_load(&ce->stats.stale) ? " (older than max-stale: "
		"stale until Redis is reached)" : "");
	return info.read_time != 0 ? info.read_time : 1;
}

/**
 * Keep the table for what comes next (the sync thread has stopped, so
 * nothing changes it): the snapshot file, and, without one, a memfd for
 * the next instance of the module (a reload: the new instance starts
 * from it instead of nothing).
 */
static void
cnroute_keep_table(struct cnroute_env *ce)
{
	int64_t data_time = atomic_load(&ce->sync.data_time);
	char err[SNAPSHOT_ERR_MAX], value[64];
	int fd;

	if(!steering_table_is_loaded(&ce->table))
		return;
	if(ce->conf.snapshot_file) {
		/* always: the file then records the last contact with Redis
		 * (staleness after a restart counts from it), and exists
		 * even when this instance started from a hand-over */
		if(snapshot_save(ce->conf.snapshot_file, &ce->table,
			ce->conf.key_prefix, ce->conf.redis_db, data_time,
			err) != 0)
			log_err("cnroute: cannot write snapshot-file %s: %s",
				ce->conf.snapshot_file, err);
		return;
	}
	fd = memfd_create("cnroute-handoff", 0);
	if(fd < 0)
		return;
	if(snapshot_write_fd(fd, &ce->table, ce->conf.key_prefix,
		ce->conf.redis_db, data_time, err) < 0) {
		close(fd);
		return;
	}
	/* a variable of this process only, read (and removed) by the next
	 * init; at exit the fd goes with the process */
	snprintf(value, sizeof(value), "%ld:%d", (long)getpid(), fd);
	setenv(CNROUTE_HANDOFF_ENV, value, 1);
}

/** Free the module-wide state (also after a half-done init). */
static void
cnroute_env_free(struct cnroute_env *ce, struct dynlibmod_env *de, int id)
{
	if(!ce)
		return;
	redis_sync_stop(&ce->sync);
	if(ce->table_ready)
		cnroute_keep_table(ce);
	stats_free_workers(&ce->stats);
	cnroute_doorbell_close(ce);
	pthread_mutex_destroy(&ce->purge_lock);
	/* the callback's argument is ce: take it out before ce goes */
	if(ce->callback_registered)
		de->inplace_cb_delete_wrapped(ce->env, inplace_cb_query_response,
			id);
	if(ce->table_ready)
		steering_table_destroy(&ce->table);
	geoip_close(ce->geoip);
	conf_free(&ce->conf);
	free(ce);
	/* the sync thread, its only other user, has stopped */
	public_suffix_release();
}

/**
 * Whether module-config holds a module cnroute cannot run with; logs one
 * line naming it. dns64 is one: in front of cnroute it stores every answer
 * that passes it on the way back in the shared message cache, cnroute's
 * per-client answers included (it decides that from what the query was
 * when it first saw it, before cnroute marked it no_cache_store), and it
 * asks for the A behind a synthesised AAAA in a query of its own that has
 * no client; behind cnroute it never sees a query's first event, so it
 * does not map its prefix's ip6.arpa names. Either way, one of the two
 * would be wrong, so the resolver does not start.
 * @param env: the module environment (its cfg).
 * @return 1 if the stack is one cnroute refuses.
 */
static int
cnroute_stack_refused(struct module_env *env)
{
	const char *mods = env->cfg->module_conf ? env->cfg->module_conf :
		"validator iterator";
	const char *p = mods;
	size_t len;

	while(*p) {
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if(len == 5 && strncmp(p, "dns64", 5) == 0) {
			log_err("cnroute: module-config \"%s\" has dns64: "
				"cnroute and dns64 cannot run in one Unbound "
				"(in front, dns64 caches cnroute's per-client "
				"answers; behind, it cannot map ip6.arpa names); "
				"run dns64 on another resolver", mods);
			return 1;
		}
		p += len;
	}
	return 0;
}

int
init(struct module_env *env, int id)
{
	struct dynlibmod_env *de;
	struct cnroute_env *ce;
	char err[CONF_ERR_MAX > GEOIP_ERR_MAX ? CONF_ERR_MAX : GEOIP_ERR_MAX];
	const char *path = conf_path(NULL);

	/* before anything of env is read: its layout is that of the
	 * Unbound the module was built for */
	if(!cnroute_build_matches_daemon())
		return 0;
	if(cnroute_stack_refused(env))
		return 0;
	de = env->modinfo[id];
	cnroute_log_set_sink(cnroute_log_to_unbound);
	ce = calloc(1, sizeof(*ce));
	if(!ce) {
		log_err("cnroute: out of memory");
		return 0;
	}
	ce->env = env;
	ce->doorbell_fd = -1;
	pthread_mutex_init(&ce->purge_lock, NULL);
	if(conf_read(path, &ce->conf, err) != 0) {
		log_err("cnroute: %s", err);
		free(ce);
		return 0;
	}
	ce->geoip = geoip_open(ce->conf.geoip_db, ce->conf.geoip_field, err);
	if(!ce->geoip) {
		log_err("cnroute: %s:%d: geoip-db: %s", path,
			ce->conf.geoip_db_line, err);
		cnroute_env_free(ce, de, id);
		return 0;
	}
	if(steering_table_init(&ce->table) != 0) {
		log_err("cnroute: out of memory");
		cnroute_env_free(ce, de, id);
		return 0;
	}
	ce->table_ready = 1;
	/* a counter slot per worker thread: nothing the workers write on
	 * the query path is shared */
	if(stats_init_workers(&ce->stats, (unsigned)env->cfg->num_threads)
		!= 0) {
		log_err("cnroute: out of memory");
		cnroute_env_free(ce, de, id);
		return 0;
	}
	ce->stats.unbound_version = PACKAGE_VERSION;
	if(ce->conf.stats_file)
		log_warn("cnroute: %s: stats-file is deprecated and will go "
			"in a later release; use metrics-file", path);
	/* The ECS option is not registered: registering it with
	 * no_aggregation would keep every ECS query, managed or not, out of
	 * mesh aggregation. Managed states that wait are made unique one by
	 * one (cnroute_make_unique); unmanaged ones aggregate as usual. */
	/* In-place callbacks can only be registered in init. */
	if(!de->inplace_cb_register_wrapped((void *)cnroute_query_response,
		inplace_cb_query_response, ce, env, id)) {
		log_err("cnroute: cannot register the query response callback");
		cnroute_env_free(ce, de, id);
		return 0;
	}
	ce->callback_registered = 1;
	cnroute_doorbell_init(ce, env);
	if(redis_sync_start(&ce->sync, &ce->conf, &ce->table, &ce->stats,
		cnroute_forget_cached, ce, cnroute_start_from_snapshot(ce,
		path)) != 0) {
		cnroute_env_free(ce, de, id);
		return 0;
	}
	de->dyn_env = ce;
	verbose(VERB_OPS, "cnroute: started with %s (GeoIP %s, field %s)",
		path, ce->conf.geoip_db, ce->conf.geoip_field);
	return 1;
}

void
deinit(struct module_env *env, int id)
{
	struct dynlibmod_env *de = env->modinfo[id];
	if(!de)
		return;
	cnroute_env_free(de->dyn_env, de, id);
	de->dyn_env = NULL;
	cnroute_log_set_sink(NULL);
}

void *
cnroute_region_alloc(void *ctx, size_t size)
{
	return regional_alloc(ctx, size);
}

/**
 * This worker thread's GeoIP lookups (each thread its own: the cache has
 * no lock). Entries name the database they came from, so after a reload
 * the old ones are simply misses.
 */
static __thread struct geoip_cache cnroute_geoip_cache;

/**
 * This worker thread's recent decisions (see steering_cache): a managed
 * name asked again before the table changes is answered without reading
 * the table. About 2.5 MB per worker thread, allocated by the dynamic
 * linker at the thread's first query and freed with the thread or when
 * the module is unloaded.
 */
static __thread struct steering_cache cnroute_steering_cache;

/**
 * Copy this thread's GeoIP cache counters into its stats slot (a plain
 * store into the thread's own cache line; the sync thread sums them).
 */
static void
cnroute_publish_geoip_cache(struct cnroute_env *ce,
	struct module_qstate *qstate)
{
	struct stats_worker *slot = cnroute_stats_slot(ce, qstate);

	STATS_WORKER_PUT(slot, geoip_hits, cnroute_geoip_cache.hits);
	STATS_WORKER_PUT(slot, geoip_misses, cnroute_geoip_cache.misses);
}

/** The same for this thread's decision cache. */
static void
cnroute_publish_decision_cache(struct cnroute_env *ce,
	struct module_qstate *qstate)
{
	struct stats_worker *slot = cnroute_stats_slot(ce, qstate);

	STATS_WORKER_PUT(slot, decision_hits, cnroute_steering_cache.hits);
	STATS_WORKER_PUT(slot, decision_misses,
		cnroute_steering_cache.misses);
}

/**
 * Region callback for the policy: locate the client by its ECS subnet or
 * its address and say whether it is mainland. Records the network's
 * prefix as the ECS scope. A query with no client (prefetch, internal)
 * or an address the database does not know is not mainland, and neither
 * is a state several clients wait on (aggregated before the answer was
 * found to depend on the client): one answer goes to all of them, so it
 * must be the one that is right for everybody.
 */
int
cnroute_locate_client(void *arg)
{
	struct cnroute_locate *lc = arg;
	struct geoip_location loc;
	struct mesh_reply *r = lc->qstate->mesh_info ?
		lc->qstate->mesh_info->reply_list : NULL;
	uint8_t addr[16];
	int family;
	if(atomic_load_explicit(&lc->ce->stats.stale, memory_order_relaxed)) {
		/* fail closed: the table may miss a revocation */
		STATS_WORKER_INC(cnroute_stats_slot(lc->ce, lc->qstate),
			fail_closed);
		return 0;
	}
	if(r && r->next) {
		STATS_WORKER_INC(cnroute_stats_slot(lc->ce, lc->qstate),
			fail_closed);
		return 0;
	}
	if(lc->cq->has_ecs) {
		/* source prefix 0 asks that the address not be used */
		if(lc->cq->ecs.source_prefix == 0)
			return 0;
		family = lc->cq->ecs.family == 1 ? 4 : 6;
		memcpy(addr, lc->cq->ecs.addr, 16);
	} else {
		struct sockaddr_storage *ss;
		if(!r)
			return 0;
		ss = &r->query_reply.client_addr;
		if(ss->ss_family == AF_INET) {
			family = 4;
			memcpy(addr, &((struct sockaddr_in *)ss)->sin_addr, 4);
		} else if(ss->ss_family == AF_INET6) {
			const uint8_t *a6 = ((struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
			static const uint8_t mapped[12] =
				{0,0,0,0,0,0,0,0,0,0,0xff,0xff};
			if(memcmp(a6, mapped, 12) == 0) {
				family = 4;
				memcpy(addr, a6 + 12, 4);
			} else {
				family = 6;
				memcpy(addr, a6, 16);
			}
		} else {
			return 0;
		}
	}
	geoip_locate_cached(lc->ce->geoip, &cnroute_geoip_cache, family, addr,
		&loc);
	cnroute_publish_geoip_cache(lc->ce, lc->qstate);
	lc->cq->ecs_scope = (uint8_t)loc.prefix;
	return loc.found && conf_is_mainland(&lc->ce->conf, loc.country, 2);
}

/**
 * Read the ECS option of the query, if any.
 * @return 0, or -1 when it is malformed (the query gets FORMERR).
 */
static int
cnroute_read_ecs(struct module_qstate *qstate, struct cnroute_env *ce,
	struct cnroute_qstate *cq)
{
	struct edns_option *opt;
	if(ce->conf.ecs != ECS_USE)
		return 0;
	opt = edns_opt_list_find(qstate->edns_opts_front_in, ECS_OPTION_CODE);
	if(!opt)
		return 0;
	if(ecs_parse(opt->opt_data, opt->opt_len, &cq->ecs) != 0)
		return -1;
	cq->has_ecs = 1;
	return 0;
}

/**
 * Take this query's mesh state out of aggregation: a later identical
 * question from another client gets a state of its own. The state is in
 * the mesh's tree keyed by its unique pointer, so it is taken out and put
 * back with the new key.
 */
void
cnroute_make_unique(struct module_qstate *qstate)
{
	struct mesh_state *m = qstate->mesh_info;
	struct mesh_area *mesh = qstate->env->mesh;
	if(!m || m->unique)
		return;
	if(rbtree_delete(&mesh->all, m)) {
		mesh_state_make_unique(m);
		(void)rbtree_insert(&mesh->all, &m->node);
	}
}

/** Finish the query with a message. */
static void
cnroute_finish(struct module_qstate *qstate, int id, struct dns_msg *msg)
{
	qstate->return_msg = msg;
	qstate->return_rcode = LDNS_RCODE_NOERROR;
	qstate->ext_state[id] = module_finished;
}

void
cnroute_error(struct module_qstate *qstate, int id, int rcode)
{
	qstate->return_msg = NULL;
	qstate->return_rcode = rcode;
	qstate->ext_state[id] = module_finished;
}

/**
 * The ECS option goes back with an answer cnroute decided, to the one
 * client that asked: with several clients waiting on the state (an
 * upstream chain, aggregated before it reached a managed name), the first
 * client's option would be echoed to all, so none gets it (the answer
 * is then the one right for everybody, see cnroute_locate_client).
 */
static int
cnroute_echo_ecs(struct module_qstate *qstate, struct cnroute_qstate *cq)
{
	struct mesh_reply *r = qstate->mesh_info ?
		qstate->mesh_info->reply_list : NULL;
	if(!cq->has_ecs || (r && r->next))
		return 0;
	if(!cq->region_dependent)
		cq->ecs_scope = 0;
	return cnroute_reply_ecs(qstate, cq);
}

void
cnroute_finish_answer(struct module_qstate *qstate, int id,
	struct cnroute_qstate *cq)
{
	struct dns_msg *msg = cnroute_answer_message(qstate, cq);
	if(!msg || cnroute_echo_ecs(qstate, cq) != 0) {
		log_err("cnroute: out of memory building a reply");
		cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
		return;
	}
	cnroute_finish(qstate, id, msg);
}

/** Pass the query on to the next module. */
static void
cnroute_pass(struct module_qstate *qstate, int id, struct cnroute_qstate *cq)
{
	cq->state = CNROUTE_PASSED;
	qstate->ext_state[id] = module_wait_module;
}

void
cnroute_count(struct cnroute_env *ce, struct module_qstate *qstate,
	const struct steering_decision *d)
{
	struct stats_worker *slot = cnroute_stats_slot(ce, qstate);
	if(d->action == STEER_RESOLVE)
		STATS_WORKER_INC(slot, answers[STATS_POOL_RESOLVED]);
	else if(d->pool == STEER_POOL_CN)
		STATS_WORKER_INC(slot, answers[STATS_POOL_CN]);
	else
		STATS_WORKER_INC(slot, answers[STATS_POOL_OFFSHORE]);
}

/** A new query (or a state that is new to us): decide and answer, wait,
 *  or pass on. */
static void
cnroute_new_query(struct module_qstate *qstate, int id,
	struct cnroute_env *ce)
{
	struct cnroute_qstate *cq;
	struct steering_decision d;
	struct cnroute_locate lc;
	struct dns_msg *msg;
	uint8_t qname[DNAME_MAX_WIRE];
	size_t qname_len;
	uint16_t qtype = qstate->qinfo.qtype;

	cq = regional_alloc_zero(qstate->region, sizeof(*cq));
	if(!cq) {
		cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
		return;
	}
	qstate->minfo[id] = cq;
	if(cnroute_is_doorbell(ce, qstate->qinfo.qname,
		qstate->qinfo.qname_len)) {
		/* the sync thread rang: operate purged on the way in */
		cnroute_error(qstate, id, LDNS_RCODE_REFUSED);
		return;
	}
	if(ce->conf.fleet_status && cnroute_fleet_status_asked(qstate)) {
		cnroute_fleet_status_answer(qstate, id, ce);
		return;
	}
	if(cnroute_read_ecs(qstate, ce, cq) != 0) {
		STATS_WORKER_INC(cnroute_stats_slot(ce, qstate), ecs_formerr);
		cnroute_error(qstate, id, LDNS_RCODE_FORMERR);
		return;
	}
	/* Only class IN is steered: a CHAOS or HESIOD question for a managed
	 * name is nobody's address. */
	if(qstate->qinfo.qclass != LDNS_RR_CLASS_IN ||
		dname_canonicalize(qstate->qinfo.qname, qstate->qinfo.qname_len,
		qname, &qname_len) != 0) {
		cnroute_pass(qstate, id, cq);
		return;
	}
	if(!steering_table_is_loaded(&ce->table)) {
		/* Nothing is known yet, not even which names are managed: the
		 * name is resolved as if unmanaged (never the CN pool), and
		 * what gets cached meanwhile is purged when the first load is
		 * committed. */
		STATS_WORKER_INC(cnroute_stats_slot(ce, qstate), fail_closed);
		atomic_store(&ce->cached_before_load, 1);
		cnroute_pass(qstate, id, cq);
		return;
	}
	lc.ce = ce;
	lc.qstate = qstate;
	lc.cq = cq;
	if(steering_table_answer_cached(&ce->table, &cnroute_steering_cache,
		qname, qname_len, qtype, ce->conf.answer_ttl_max,
		cnroute_locate_client, &lc, cnroute_region_alloc,
		qstate->region, &d) != 0) {
		/* out of memory copying the pool: fail closed */
		STATS_WORKER_INC(cnroute_stats_slot(ce, qstate), fail_closed);
	}
	cnroute_publish_decision_cache(ce, qstate);
	if(d.action == STEER_UNMANAGED) {
		cnroute_pass(qstate, id, cq);
		return;
	}
	cnroute_count(ce, qstate, &d);
	cq->steered = 1;
	cq->region_dependent = d.region_dependent;
	cq->ttl = d.ttl;
	cq->steps = 1;
	/* Never share this state with another client, and never store its
	 * answer: both would hand one region's answer to another. A state
	 * answered here and now (address pools, CNAME pools whose target is
	 * cached) finishes before any other client can join it; one that
	 * waits (resolution by the next modules; a CNAME pool's sub-query,
	 * chain.c) is taken out of aggregation. Other types at a managed
	 * name that do not depend on the client may be cached like any other
	 * answer. */
	if(d.action == STEER_RESOLVE)
		cnroute_make_unique(qstate);
	if(d.region_dependent || d.action != STEER_RESOLVE ||
		qtype == LDNS_RR_TYPE_A || qtype == LDNS_RR_TYPE_AAAA ||
		qtype == LDNS_RR_TYPE_CNAME) {
		qstate->no_cache_store = 1;
	}
	switch(d.action) {
	case STEER_ADDRESSES:
		msg = cnroute_reply_addresses(qstate, &d);
		if(!msg || cnroute_echo_ecs(qstate, cq) != 0) {
			log_err("cnroute: out of memory building a reply");
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return;
		}
		cnroute_finish(qstate, id, msg);
		return;
	case STEER_CNAME:
		/* the query name is in the region for the query's life */
		if(cnroute_answer_add(qstate, cq, cnroute_rrset_cname(qstate,
			qstate->qinfo.qname, qstate->qinfo.qname_len, &d)) != 0) {
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return;
		}
		cq->rcode = LDNS_RCODE_NOERROR;
		cq->chase = d.cname;
		cq->chase_len = d.cname_len;
		cq->chase_unmanaged = d.cname_unmanaged;
		cq->chase_memo = d.cname_memo;
		cnroute_chain_follow(qstate, id, ce, cq);
		return;
	default:
		cnroute_pass(qstate, id, cq);
		return;
	}
}

void
cnroute_target_done(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq)
{
	size_t from = cq->answer_count, i;
	if(cq->target_rcode != LDNS_RCODE_NOERROR &&
		cq->target_rcode != LDNS_RCODE_NXDOMAIN) {
		cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
		return;
	}
	cq->rcode = cq->target_rcode;
	for(i = 0; cq->target_rep && i < cq->target_rep->an_numrrsets; i++) {
		if(cnroute_answer_add(qstate, cq, cq->target_rep->rrsets[i])
			!= 0) {
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return;
		}
	}
	cq->target_rep = NULL;
	if(cnroute_chain_steer(qstate, id, ce, cq, from))
		return;
	cnroute_finish_answer(qstate, id, cq);
}

/** Whether the answer section of a reply has a CNAME (a chain). */
static int
answer_has_cname(const struct reply_info *rep)
{
	size_t i;
	for(i = 0; i < rep->an_numrrsets; i++)
		if(ntohs(rep->rrsets[i]->rk.type) == LDNS_RR_TYPE_CNAME)
			return 1;
	return 0;
}

/**
 * The modules after us resolved the query: if the answer is a chain into
 * a managed name, cnroute answers from there on.
 */
static void
cnroute_resolved(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq)
{
	struct reply_info *rep = qstate->return_msg ?
		qstate->return_msg->rep : NULL;
	size_t i;
	if(rep && qstate->return_rcode == LDNS_RCODE_NOERROR &&
		qstate->qinfo.qclass == LDNS_RR_CLASS_IN &&
		qstate->qinfo.qtype != LDNS_RR_TYPE_CNAME &&
		answer_has_cname(rep) && steering_table_is_loaded(&ce->table)) {
		/* the chain is walked from the name asked; its rrsets are
		 * shared with the returned message until cnroute takes the
		 * answer over (chain.c copies them then) */
		cq->answer_count = 0;
		cq->answer_shared = 1;
		for(i = 0; i < rep->an_numrrsets; i++)
			if(cnroute_answer_add(qstate, cq, rep->rrsets[i]) != 0)
				break;
		cq->chase = qstate->qinfo.qname;
		cq->chase_len = qstate->qinfo.qname_len;
		cq->rcode = (int)FLAGS_GET_RCODE(rep->flags);
		if(!cq->steered)
			cq->ttl = ce->conf.answer_ttl_max;
		if(i == rep->an_numrrsets &&
			cnroute_chain_steer(qstate, id, ce, cq, 0))
			return;
		cq->answer_count = 0;
		cq->answer_shared = 0;
	}
	/* a managed name resolved normally (an empty pool, a type the rule
	 * does not answer) still carries the ECS option back */
	if(cq->steered && qstate->return_msg &&
		cnroute_echo_ecs(qstate, cq) != 0)
		log_err("cnroute: out of memory adding ECS");
	qstate->ext_state[id] = module_finished;
}

void
operate(struct module_qstate *qstate, enum module_ev event, int id,
	struct outbound_entry *outbound)
{
	struct cnroute_env *ce = cnroute_env_get(qstate->env, id);
	struct cnroute_qstate *cq = qstate->minfo[id];
	(void)outbound;
	if(!ce) {
		qstate->ext_state[id] = module_error;
		return;
	}
	cnroute_purge_if_asked(ce, qstate->env);
	switch(event) {
	case module_event_new:
		cnroute_new_query(qstate, id, ce);
		return;
	case module_event_pass:
		/* Pass and no state of ours: a state new to us (a sub-query,
		 * the iterator's or validator's own lookups), which is a new
		 * query like any other (it may be for a managed name). */
		if(!cq) {
			cnroute_new_query(qstate, id, ce);
			return;
		}
		if(cq->state == CNROUTE_WAIT_TARGET) {
			cnroute_target_done(qstate, id, ce, cq);
			return;
		}
		cnroute_pass(qstate, id, cq);
		return;
	case module_event_moddone:
		if(cq) {
			cnroute_resolved(qstate, id, ce, cq);
			return;
		}
		qstate->ext_state[id] = module_finished;
		return;
	default:
		qstate->ext_state[id] = module_finished;
		return;
	}
}

void
inform_super(struct module_qstate *qstate, int id,
	struct module_qstate *super)
{
	struct cnroute_qstate *cq = super->minfo[id];
	if(!cq || cq->state != CNROUTE_WAIT_TARGET)
		return;
	if(!qstate->return_msg || !qstate->return_msg->rep ||
		qstate->return_rcode != LDNS_RCODE_NOERROR) {
		cq->target_rcode = qstate->return_rcode != LDNS_RCODE_NOERROR ?
			qstate->return_rcode : LDNS_RCODE_SERVFAIL;
		return;
	}
	/* the sub-query's region dies with it: copy what we keep */
	cq->target_rep = reply_info_copy(qstate->return_msg->rep, NULL,
		super->region);
	cq->target_rcode = cq->target_rep ?
		(int)FLAGS_GET_RCODE(cq->target_rep->flags) : LDNS_RCODE_SERVFAIL;
}

void
clear(struct module_qstate *qstate, int id)
{
	/* everything of ours lives in the query's region */
	qstate->minfo[id] = NULL;
}

size_t
get_mem(struct module_env *env, int id)
{
	struct cnroute_env *ce = cnroute_env_get(env, id);
	size_t filings = 0, routes = 0;
	if(!ce)
		return 0;
	/* an estimate: the exact figure would need the writer's lock */
	steering_table_counts(&ce->table, &filings, &routes);
	return sizeof(*ce) + filings * 48 + routes * 96;
}
