/*
 * cache.c - what Unbound's caches may hold of managed names.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Unbound's worker answers from the message cache before any module runs
 * (daemon/worker.c), and the iterator builds answers from the RRset cache.
 * So nothing cnroute did not decide may be stored under a managed name,
 * and nothing stored before a name became managed may stay:
 *  - cnroute's own answers are never stored (no_cache_store);
 *  - cnroute_query_response, an inplace callback the iterator calls on
 *    every response from an authoritative server before it stores it,
 *    sets no_cache_store on the query when the response holds records of
 *    a managed name, or a CNAME to one (an upstream chain into it);
 *  - when names become managed, every cached message whose answer touches
 *    them, and their RRsets, are removed. Removed, not expired: with
 *    serve-expired an expired entry is still served, and its refresh goes
 *    through cnroute, which stores nothing, so it would never be replaced;
 *  - answers that went through an upstream chain into a managed name are
 *    removed once more by the query that found it (chain.c), in case the
 *    iterator stored one from parts it had cached before.
 *
 * Who removes. The caches belong to Unbound: a reload clears them, and
 * one that changes their size deletes and recreates them, while the
 * module's sync thread is still running (the old instance is stopped only
 * after). So the sync thread only asks (purge_requested), and a worker
 * thread removes, in the module's entry point, where the caches are
 * alive for sure. To have a worker enter the module at once, even on a
 * resolver whose every query is a cache hit, the sync thread rings a
 * doorbell: it sends the resolver a query for a name of its own (a random
 * label under "cnroute-internal."), which no cache holds, so a worker
 * takes it to the module, which purges and answers it REFUSED. The
 * purge walks both caches once, whatever the number of new names: the
 * table says which names are managed.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "cnroute_module.h"
#include "cnroute/dname.h"
#include "cnroute/log.h"
#include "services/cache/dns.h"
#include "services/cache/rrset.h"
#include "util/data/dname.h"
#include "util/data/msgreply.h"
#include "util/data/packed_rrset.h"
#include "util/config_file.h"
#include "util/net_help.h"
#include "util/regional.h"
#include "util/storage/slabhash.h"
#include "sldns/rrdef.h"

/** Whether a name (uncompressed wire, any case, at most max bytes) is
 *  managed. */
static int
name_is_managed(struct cnroute_env *ce, const uint8_t *name, size_t max)
{
	uint8_t canon[DNAME_MAX_WIRE];
	size_t len;

	if(dname_canonicalize(name, max, canon, &len) != 0)
		return 0;
	return steering_table_is_managed(&ce->table, canon, len);
}

/** Whether an rrset (owned by the caller, or locked) is of a managed name
 *  or, for a CNAME, points at one. */
static int
rrset_is_managed(struct cnroute_env *ce, struct ub_packed_rrset_key *k)
{
	struct packed_rrset_data *data = k->entry.data;

	if(name_is_managed(ce, k->rk.dname, k->rk.dname_len))
		return 1;
	if(ntohs(k->rk.type) == LDNS_RR_TYPE_CNAME && data &&
		data->count > 0 && data->rr_len[0] > 2 &&
		name_is_managed(ce, data->rr_data[0] + 2, data->rr_len[0] - 2))
		return 1;
	return 0;
}

int
cnroute_query_response(struct module_qstate *qstate,
	struct dns_msg *response, int id, void *cb_args)
{
	struct cnroute_env *ce = cb_args;
	struct reply_info *rep = response ? response->rep : NULL;
	size_t i;

	(void)id;
	/* Before the first load nothing is known to be managed; what is
	 * stored meanwhile is removed when the load is committed. */
	if(!rep || qstate->no_cache_store ||
		!steering_table_is_loaded(&ce->table))
		return 1;
	for(i = 0; i < rep->rrset_count; i++) {
		if(rrset_is_managed(ce, rep->rrsets[i])) {
			qstate->no_cache_store = 1;
			break;
		}
	}
	return 1;
}

void
cnroute_cache_remove_msg(struct module_qstate *qstate, const uint8_t *name,
	size_t name_len, uint16_t qtype)
{
	/* The key hashes the CD flag for AAAA only; remove both forms. */
	msg_cache_remove(qstate->env, (uint8_t *)name, name_len, qtype,
		qstate->qinfo.qclass, 0);
	msg_cache_remove(qstate->env, (uint8_t *)name, name_len, qtype,
		qstate->qinfo.qclass, BIT_CD);
}

struct ub_packed_rrset_key *
cnroute_cache_rrset(struct module_qstate *qstate, uint8_t *name,
	size_t name_len, uint32_t *memo)
{
	struct module_env *env = qstate->env;
	struct ub_packed_rrset_key key, *k, *copy = NULL;
	struct packed_rrset_data *data;
	struct lruhash_entry *e;
	time_t now = *env->now;

	if(qstate->no_cache_lookup || !env->rrset_cache || !env->msg_cache)
		return NULL;
	/* rrset_cache_lookup, with the key's hash (a pure function of the
	 * name, type and class) remembered by the caller: it is a third of
	 * the lookup. The caller keeps one per name and type: class IN, the
	 * only one steered. */
	if(qstate->qinfo.qclass != LDNS_RR_CLASS_IN)
		memo = NULL;
	memset(&key, 0, sizeof(key));
	key.entry.key = &key;
	key.rk.dname = name;
	key.rk.dname_len = name_len;
	key.rk.type = htons(qstate->qinfo.qtype);
	key.rk.rrset_class = htons(qstate->qinfo.qclass);
	if(memo && *memo)
		key.entry.hash = *memo;
	else {
		key.entry.hash = rrset_key_hash(&key.rk);
		if(memo)
			*memo = key.entry.hash;
	}
	/* locked (read) when found */
	e = slabhash_lookup(&env->rrset_cache->table, key.entry.hash, &key, 0);
	if(!e)
		return NULL;
	k = e->key;
	data = e->data;
	if(now <= data->ttl && (data->trust == rrset_trust_ans_noAA ||
		data->trust == rrset_trust_ans_AA ||
		data->trust >= rrset_trust_sec_noglue) &&
		data->rrsig_count == 0 && data->security != sec_status_bogus &&
		!(data->security == sec_status_unchecked &&
		env->need_to_validate))
		copy = packed_rrset_copy_region(k, qstate->region, now);
	lock_rw_unlock(&e->lock);
	return copy;
}

/**
 * The target's answer from the message cache, as the iterator's first
 * step (dns_cache_lookup) finds it: NOERROR or NXDOMAIN, not bogus,
 * validated when a validator runs.
 * @return the reply, its RRsets copied into the region, or NULL.
 */
static struct reply_info *
cache_answer_msg(struct module_qstate *qstate, uint8_t *name,
	size_t name_len)
{
	struct module_env *env = qstate->env;
	struct query_info k;
	struct lruhash_entry *e;
	struct dns_msg *msg;
	struct reply_info *rep;
	int rcode;

	memset(&k, 0, sizeof(k));
	k.qname = name;
	k.qname_len = name_len;
	k.qtype = qstate->qinfo.qtype;
	k.qclass = qstate->qinfo.qclass;
	/* flags as the sub-query's (BIT_RD, no CD): the key it is stored
	 * under */
	e = slabhash_lookup(env->msg_cache, query_info_hash(&k, 0), &k, 0);
	if(!e)
		return NULL;
	/* NULL when the message or one of its RRsets expired or was
	 * replaced (ids and TTLs checked under the RRsets' read locks) or
	 * the chain in it broke; else every RRset copied before the locks
	 * go */
	msg = tomsg(env, &((struct msgreply_entry *)e->key)->key, e->data,
		qstate->region, *env->now, 0, env->scratch);
	lock_rw_unlock(&e->lock);
	if(!msg)
		return NULL;
	rep = msg->rep;
	rcode = (int)FLAGS_GET_RCODE(rep->flags);
	if((rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) ||
		rep->security == sec_status_bogus ||
		rep->security == sec_status_secure_sentinel_fail ||
		(rep->security == sec_status_unchecked &&
		env->need_to_validate))
		return NULL;
	return rep;
}

struct reply_info *
cnroute_cache_message(struct module_qstate *qstate, uint8_t *name,
	size_t name_len)
{
	if(qstate->no_cache_lookup || !qstate->env->rrset_cache ||
		!qstate->env->msg_cache)
		return NULL;
	return cache_answer_msg(qstate, name, name_len);
}

/** A message or RRset cache entry to remove, copied out of the entry. */
struct doomed {
	/** the entry's hash */
	hashvalue_type hash;
	/** the name (malloced) */
	uint8_t *name;
	/** its length */
	size_t name_len;
	/** type, class (host order) */
	uint16_t type, dclass;
	/** RRset key flags */
	uint32_t flags;
};

/** What a traversal collects. */
struct purge {
	/** module-wide state */
	struct cnroute_env *ce;
	/** entries to remove */
	struct doomed *list;
	/** number */
	size_t count;
	/** room */
	size_t capacity;
	/** set when an allocation failed (the purge is then partial) */
	int failed;
};

/** Note an entry to remove. */
static void
purge_add(struct purge *p, hashvalue_type hash, const uint8_t *name,
	size_t name_len, uint16_t type, uint16_t dclass, uint32_t flags)
{
	struct doomed *d;

	if(p->failed)
		return;
	if(p->count == p->capacity) {
		size_t cap = p->capacity ? p->capacity * 2 : 64;
		struct doomed *more = realloc(p->list, cap * sizeof(*more));
		if(!more) {
			p->failed = 1;
			return;
		}
		p->list = more;
		p->capacity = cap;
	}
	d = &p->list[p->count];
	d->name = malloc(name_len);
	if(!d->name) {
		p->failed = 1;
		return;
	}
	memcpy(d->name, name, name_len);
	d->name_len = name_len;
	d->hash = hash;
	d->type = type;
	d->dclass = dclass;
	d->flags = flags;
	p->count++;
}

/**
 * Whether a cached reply holds data of a managed name. Its RRsets are
 * read under their own locks, and only while they are still the ones the
 * reply refers to (their id unchanged).
 */
static int
reply_touches_managed(struct cnroute_env *ce, struct reply_info *rep)
{
	size_t i;
	int managed = 0;

	for(i = 0; i < rep->rrset_count && !managed; i++) {
		struct ub_packed_rrset_key *k = rep->ref[i].key;
		if(!k)
			continue;
		lock_rw_rdlock(&k->entry.lock);
		if(k->id == rep->ref[i].id && k->id != 0)
			managed = rrset_is_managed(ce, k);
		lock_rw_unlock(&k->entry.lock);
	}
	return managed;
}

/** Traversal of the message cache (entry locked): note doomed entries. */
static void
purge_msg(struct lruhash_entry *e, void *arg)
{
	struct purge *p = arg;
	struct msgreply_entry *k = e->key;

	if(name_is_managed(p->ce, k->key.qname, k->key.qname_len) ||
		reply_touches_managed(p->ce, e->data))
		purge_add(p, e->hash, k->key.qname, k->key.qname_len,
			k->key.qtype, k->key.qclass, 0);
}

/** Traversal of the RRset cache (entry locked): note doomed RRsets. */
static void
purge_rrset(struct lruhash_entry *e, void *arg)
{
	struct purge *p = arg;
	struct ub_packed_rrset_key *k = e->key;

	if(k->id != 0 && e->data && rrset_is_managed(p->ce, k))
		purge_add(p, e->hash, k->rk.dname, k->rk.dname_len,
			ntohs(k->rk.type), ntohs(k->rk.rrset_class),
			k->rk.flags);
}

/** Remove the noted message entries. */
static void
purge_remove_msgs(struct module_env *env, struct purge *p)
{
	size_t i;

	for(i = 0; i < p->count; i++) {
		struct query_info q;
		memset(&q, 0, sizeof(q));
		q.qname = p->list[i].name;
		q.qname_len = p->list[i].name_len;
		q.qtype = p->list[i].type;
		q.qclass = p->list[i].dclass;
		/* the key of a message entry starts with its query_info */
		slabhash_remove(env->msg_cache, p->list[i].hash, &q);
	}
}

/** Remove the noted RRsets. */
static void
purge_remove_rrsets(struct module_env *env, struct purge *p)
{
	size_t i;

	for(i = 0; i < p->count; i++)
		rrset_cache_remove(env->rrset_cache, p->list[i].name,
			p->list[i].name_len, p->list[i].type,
			p->list[i].dclass, p->list[i].flags);
}

/** Free what a traversal noted. */
static void
purge_clear(struct purge *p)
{
	size_t i;

	for(i = 0; i < p->count; i++)
		free(p->list[i].name);
	free(p->list);
	p->list = NULL;
	p->count = p->capacity = 0;
}

/**
 * Remove every cached message and RRset that holds data of a name the
 * table manages (entries are collected during a traversal, then removed:
 * an entry can't be removed while the traversal holds its lock). Runs in
 * a worker thread.
 * @return entries removed.
 */
static size_t
cache_purge_managed(struct cnroute_env *ce, struct module_env *env)
{
	struct purge p;
	size_t removed = 0;
	int failed;

	memset(&p, 0, sizeof(p));
	p.ce = ce;
	if(env->msg_cache) {
		slabhash_traverse(env->msg_cache, 0, purge_msg, &p);
		purge_remove_msgs(env, &p);
		removed += p.count;
		purge_clear(&p);
	}
	failed = p.failed;
	if(env->rrset_cache) {
		p.failed = 0;
		slabhash_traverse(&env->rrset_cache->table, 0, purge_rrset, &p);
		purge_remove_rrsets(env, &p);
		removed += p.count;
		purge_clear(&p);
	}
	if(failed || p.failed) {
		log_err("cnroute: out of memory removing cached answers of "
			"managed names: clearing the caches");
		if(env->msg_cache)
			slabhash_clear(env->msg_cache);
		if(env->rrset_cache)
			slabhash_clear(&env->rrset_cache->table);
	}
	return removed;
}

void
cnroute_purge_if_asked(struct cnroute_env *ce, struct module_env *env)
{
	unsigned asked = atomic_load_explicit(&ce->purge_requested,
		memory_order_acquire);
	size_t removed;

	if(asked == atomic_load_explicit(&ce->purge_done,
		memory_order_relaxed))
		return;
	/* one worker purges; the others go on (the purge is for all) */
	if(pthread_mutex_trylock(&ce->purge_lock) != 0)
		return;
	asked = atomic_load_explicit(&ce->purge_requested,
		memory_order_acquire);
	if(asked != atomic_load(&ce->purge_done)) {
		removed = cache_purge_managed(ce, env);
		atomic_store_explicit(&ce->purge_done, asked,
			memory_order_release);
		if(removed > 0)
			verbose(VERB_OPS, "cnroute: %zu cached entries of "
				"managed names removed", removed);
	}
	pthread_mutex_unlock(&ce->purge_lock);
}

/** Send the doorbell's query (from the sync thread: a plain syscall). */
static void
doorbell_ring(struct cnroute_env *ce)
{
	uint8_t drain[512];

	if(ce->doorbell_fd < 0)
		return;
	/* the answers of earlier rings, unread: drop them */
	while(recv(ce->doorbell_fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
		;
	(void)sendto(ce->doorbell_fd, ce->doorbell_query,
		ce->doorbell_query_len, MSG_DONTWAIT,
		(struct sockaddr *)&ce->doorbell_to, ce->doorbell_to_len);
}

void
cnroute_forget_cached(void *ctx, const uint8_t *const *names,
	const size_t *lens, size_t count)
{
	struct cnroute_env *ce = ctx;

	(void)lens;
	(void)count;
	/* The first load: only answers cached before it may be of names
	 * now managed. */
	if(!names && !atomic_exchange(&ce->cached_before_load, 0))
		return;
	atomic_fetch_add_explicit(&ce->purge_requested, 1,
		memory_order_release);
	doorbell_ring(ce);
}

/**
 * Pick where the resolver listens for plain DNS over UDP: the first
 * interface that is not a PROXYv2, TLS or HTTPS port (a wildcard address
 * becomes the loopback address of its family).
 * @return 0 or -1 (none).
 */
static int
doorbell_target(struct config_file *cfg, struct sockaddr_storage *to,
	socklen_t *len)
{
	char port[16];
	int i;

	if(!cfg->do_udp)
		return -1;
	snprintf(port, sizeof(port), "%d", cfg->port);
	for(i = 0; i < cfg->num_ifs || (i == 0 && cfg->num_ifs == 0); i++) {
		const char *ifname = cfg->num_ifs ? cfg->ifs[i] : "127.0.0.1";
#if CNROUTE_UB_VERSION >= 12601
		if(if_is_pp2(ifname, cfg->port, cfg->proxy_protocol_port) ||
#else
		if(if_is_pp2(ifname, port, cfg->proxy_protocol_port) ||
#endif
			!extstrtoaddr(ifname, to, len, cfg->port))
			continue;
		if(ntohs(((struct sockaddr_in *)to)->sin_port) ==
			cfg->ssl_port || ntohs(((struct sockaddr_in *)to)->
			sin_port) == cfg->https_port)
			continue;
		if(to->ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)to;
			if(a->sin_addr.s_addr == htonl(INADDR_ANY))
				a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		} else if(to->ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)to;
			if(IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr))
				a->sin6_addr = in6addr_loopback;
		}
		return 0;
	}
	return -1;
}

void
cnroute_doorbell_init(struct cnroute_env *ce, struct module_env *env)
{
	static const char hex[] = "0123456789abcdef";
	static const uint8_t tail[] = { 16, 'c', 'n', 'r', 'o', 'u', 't', 'e',
		'-', 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0 };
	uint8_t rnd[8], *q = ce->doorbell_query;
	size_t i;

	ce->doorbell_fd = -1;
	if(!env->cfg || doorbell_target(env->cfg, &ce->doorbell_to,
		&ce->doorbell_to_len) != 0) {
		log_warn("cnroute: no plain DNS interface for the doorbell; "
			"cached answers of new routes are removed at the next "
			"query that reaches the module");
		return;
	}
	if(getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	/* <16 hex digits>.cnroute-internal. */
	ce->doorbell_name[0] = 16;
	for(i = 0; i < 8; i++) {
		ce->doorbell_name[1 + 2 * i] = (uint8_t)hex[rnd[i] >> 4];
		ce->doorbell_name[2 + 2 * i] = (uint8_t)hex[rnd[i] & 15];
	}
	memcpy(ce->doorbell_name + 17, tail, sizeof(tail));
	ce->doorbell_name_len = 17 + sizeof(tail);
	/* header: id, RD, one question */
	memset(q, 0, 12);
	q[0] = rnd[0];
	q[1] = rnd[1];
	q[2] = 0x01;
	q[5] = 1;
	memcpy(q + 12, ce->doorbell_name, ce->doorbell_name_len);
	q += 12 + ce->doorbell_name_len;
	q[0] = 0;
	q[1] = LDNS_RR_TYPE_TXT;
	q[2] = 0;
	q[3] = LDNS_RR_CLASS_IN;
	ce->doorbell_query_len = 12 + ce->doorbell_name_len + 4;
	ce->doorbell_fd = socket(ce->doorbell_to.ss_family, SOCK_DGRAM |
		SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if(ce->doorbell_fd < 0)
		log_warn("cnroute: doorbell socket: %s", strerror(errno));
}

void
cnroute_doorbell_close(struct cnroute_env *ce)
{
	if(ce->doorbell_fd >= 0)
		close(ce->doorbell_fd);
	ce->doorbell_fd = -1;
}

int
cnroute_is_doorbell(const struct cnroute_env *ce, const uint8_t *qname,
	size_t qname_len)
{
	return ce->doorbell_name_len != 0 && qname_len ==
		ce->doorbell_name_len && memcmp(qname, ce->doorbell_name,
		qname_len) == 0;
}
