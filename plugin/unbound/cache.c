/*
 * cache.c - dropping answers Unbound cached for names that became managed.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Unbound's worker answers from the message cache before any module runs
 * (daemon/worker.c). Steered answers are never stored, but a name resolved
 * normally before its route existed may be: that answer would be served,
 * unsteered, until its TTL ran out. When a route appears, the entries for
 * the name are marked expired, the way "unbound-control flush_zone" does,
 * so the next query reaches the module. Called from the sync thread; the
 * message cache has its own locks.
 */
#include "config.h"
#include <time.h>
#include "cnroute_module.h"
#include "cnroute/dname.h"
#include "cnroute/log.h"
#include "services/cache/dns.h"
#include "util/data/dname.h"
#include "util/data/msgreply.h"
#include "util/net_help.h"
#include "util/storage/slabhash.h"
#include "sldns/rrdef.h"

/** Mark a cached reply expired (the entry is write-locked). */
static void
cache_expire(struct reply_info *rep, time_t expired)
{
	if(rep->ttl > expired) {
		rep->ttl = expired;
		rep->prefetch_ttl = expired;
		rep->serve_expired_ttl = expired;
	}
}

/** What the traversal for a wildcard looks for. */
struct cache_below {
	/** the wildcard's parent: entries strictly below it are expired */
	uint8_t *parent;
	/** a time in the past */
	time_t expired;
	/** entries expired */
	size_t count;
};

/** Traversal callback: expire an entry below the wildcard's parent. */
static void
cache_expire_below(struct lruhash_entry *e, void *arg)
{
	struct cache_below *below = arg;
	struct msgreply_entry *k = e->key;
	if(dname_strict_subdomain_c(k->key.qname, below->parent)) {
		cache_expire(e->data, below->expired);
		below->count++;
	}
}

/** Expire the answers of the types a route steers, for one name. */
static size_t
cache_expire_name(struct module_env *env, const uint8_t *name,
	size_t name_len, time_t now)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
		LDNS_RR_TYPE_CNAME};
	static const uint16_t flags[] = {0, BIT_CD};
	size_t t, f, count = 0;
	for(t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for(f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			struct msgreply_entry *e = msg_cache_lookup(env,
				(uint8_t *)name, name_len, types[t],
				LDNS_RR_CLASS_IN, flags[f], now, 1);
			if(!e)
				continue;
			cache_expire(e->entry.data, now - 3);
			lock_rw_unlock(&e->entry.lock);
			count++;
		}
	}
	return count;
}

void
cnroute_forget_cached(void *ctx, const uint8_t *name, size_t name_len)
{
	struct cnroute_env *ce = ctx;
	time_t now = time(NULL);
	size_t count;
	char text[DNAME_MAX_TEXT];
	if(!ce->env || !ce->env->msg_cache)
		return;
	if(!name) {
		/* first load done: anything cached before may be for a
		 * managed name; there is no telling which */
		if(atomic_exchange(&ce->cached_before_load, 0)) {
			slabhash_clear(ce->env->msg_cache);
			cnroute_log(CNROUTE_LOG_INFO, "message cache cleared: "
				"answers were cached before the first load");
		}
		return;
	}
	if(dname_is_wildcard(name)) {
		struct cache_below below;
		below.parent = (uint8_t *)dname_parent(name);
		below.expired = now - 3;
		below.count = 0;
		slabhash_traverse(ce->env->msg_cache, 1, cache_expire_below,
			&below);
		count = below.count;
	} else {
		count = cache_expire_name(ce->env, name, name_len, now);
	}
	if(count) {
		dname_to_text(name, text);
		cnroute_log(CNROUTE_LOG_INFO, "new route %s: %zu cached "
			"answers expired", text, count);
	}
}
