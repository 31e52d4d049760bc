/*
 * steering.c - the steering table and the decision every answer follows.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Locking: one writer, many readers. Readers hold the read lock for a
 * whole decision (lookups and the copy of the chosen pool), so a decision
 * is always made from one consistent state. The writer does everything
 * that can be slow (parsing, allocation, growing a table, freeing) with
 * no lock held and takes the write lock only to store pointers. Since the
 * writer is the only thread that changes the tables, it may read them
 * without any lock.
 *
 * Filings are stored as the enum filing_status value cast into the value
 * pointer. FILING_NONE (0) is never stored, so a NULL lookup result means
 * "no filing"; setting FILING_NONE removes the filing.
 */
#include "cnroute/steering.h"
#include "cnroute/dname.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/** The id the next table gets (the high half of its version). */
static atomic_uint_least32_t steering_next_table_id = 1;

/** Encode a filing status as a table value (never NULL for a real one). */
static void *
filing_to_value(enum filing_status status)
{
	return (void *)(uintptr_t)status;
}

/** Decode a table value into a filing status (NULL is FILING_NONE). */
static enum filing_status
filing_from_value(const void *value)
{
	return (enum filing_status)(uintptr_t)value;
}

/** free_value of the routes table. */
static void
route_free_value(void *value)
{
	route_free((struct route *)value);
}

/** 1 if a name length is possible for a canonical name. */
static int
name_len_ok(size_t len)
{
	return len >= 1 && len <= DNAME_MAX_WIRE;
}

int
steering_table_init(struct steering_table *st)
{
	pthread_rwlockattr_t attr;
	int r;

	memset(st, 0, sizeof(*st));
	if(pthread_rwlockattr_init(&attr) != 0)
		return -1;
	/* glibc prefers readers by default: with a steady stream of
	 * queries the sync thread could wait forever, and a revoked filing
	 * would keep steering mainland clients to CN. */
	pthread_rwlockattr_setkind_np(&attr,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	r = pthread_rwlock_init(&st->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if(r != 0)
		return -1;
	if(name_table_init(&st->filings, 0, NULL) != 0) {
		pthread_rwlock_destroy(&st->lock);
		return -1;
	}
	if(name_table_init(&st->routes, 0, route_free_value) != 0) {
		name_table_clear(&st->filings);
		pthread_rwlock_destroy(&st->lock);
		return -1;
	}
	/* A route is read right after its key matches: fetch both at once. */
	st->routes.prefetch_values = 1;
	/* Unique per table, so a decision cache never takes an entry of an
	 * older table (before a reload) for one of this table. */
	atomic_init(&st->version, (uint64_t)atomic_fetch_add(
		&steering_next_table_id, 1) << 32);
	return 0;
}

void
steering_table_destroy(struct steering_table *st)
{
	name_table_clear(&st->filings);
	name_table_clear(&st->routes);
	pthread_rwlock_destroy(&st->lock);
}

/** The wildcard label, as it starts a wildcard rule's name. */
static const uint8_t wildcard_label[2] = { 1, '*' };

/**
 * Every table key a decision may look up for one query name, hashed in
 * one pass over the name (see dname_suffix_hashes): the suffixes of the
 * name (the exact route, and the filings from the name up to the root)
 * and "*." + each proper suffix (the wildcard routes).
 */
struct name_candidates {
	/** number of suffixes: the labels plus the root */
	int count;
	/** offset of suffix i in the query name (0: the name itself) */
	uint8_t starts[DNAME_MAX_WIRE];
	/** hash state of suffix i (see dname_hash_step) */
	uint64_t states[DNAME_MAX_WIRE];
	/** dname_hash of suffix i */
	uint32_t hash[DNAME_MAX_WIRE];
	/** dname_hash of "*." + suffix i, for i >= 1 (candidates_wild) */
	uint32_t wild_hash[DNAME_MAX_WIRE];
};

/** The name a client asked, when the decision is for a name its CNAME
 *  chain led to (steering_table_answer_alias). */
struct alias_name {
	/** the alias, canonical wire */
	const uint8_t *name;
	/** its length */
	size_t len;
	/** its candidates (only the filings are looked up), hashed only
	 *  when the name it led to is managed: most chains (a CNAME pool's
	 *  CDN host name) lead to unmanaged names */
	struct name_candidates c;
};

/**
 * Hash every candidate key of a query name.
 * @return 0, or -1 for a name that is missing or not canonical (it is
 *	then unmanaged).
 */
static int
candidates_hash(struct name_candidates *c, const uint8_t *qname,
	size_t qname_len)
{
	int i;

	if(qname == NULL || !name_len_ok(qname_len))
		return -1;
	c->count = dname_suffix_hashes(qname, qname_len, c->starts,
		c->states);
	/* A canonical name's last piece is the root label, at its end. */
	if(c->count == 0 || c->starts[c->count - 1] != qname_len - 1 ||
		qname[qname_len - 1] != 0)
		return -1;
	for(i = 0; i < c->count; i++)
		c->hash[i] = dname_hash_finish(c->states[i]);
	return 0;
}

/**
 * Hash every wildcard candidate "*.P" (P a proper suffix) and start
 * loading their slots. Done only when the exact name has no route: most
 * managed queries match exactly and never need these.
 */
static void
candidates_wild(const struct steering_table *st, struct name_candidates *c)
{
	int i;

	for(i = 1; i < c->count; i++) {
		c->wild_hash[i] = dname_hash_finish(dname_hash_step(
			c->states[i], wildcard_label, sizeof(wildcard_label)));
		name_table_prefetch(&st->routes, c->wild_hash[i]);
	}
}

/**
 * Start loading the slots of the exact route and of every filing the
 * walk may probe, then the keys those slots point at: a table of 10^5
 * entries and more does not fit in the CPU caches, and these misses then
 * overlap (two rounds) instead of following each other (up to six).
 * Called under the read lock (the slot arrays can't move then).
 */
static void
candidates_prefetch(const struct steering_table *st,
	const struct name_candidates *c)
{
	int i;

	name_table_prefetch(&st->routes, c->hash[0]);
	for(i = 0; i < c->count; i++)
		name_table_prefetch(&st->filings, c->hash[i]);
	/* Second round: the keys (and the route) of the slots that match. */
	name_table_prefetch_entry(&st->routes, c->hash[0]);
	for(i = 0; i < c->count; i++)
		name_table_prefetch_entry(&st->filings, c->hash[i]);
}

/**
 * Find the route of a query name: the exact name, else the wildcard of
 * the closest ancestor. Called under the read lock.
 * @param wild_at: out, the suffix whose wildcard matched, or 0 when the
 *	exact name did.
 * @return the route or NULL.
 */
static const struct route *
find_route(const struct steering_table *st, struct name_candidates *c,
	const uint8_t *qname, size_t qname_len, int *wild_at)
{
	const struct route *route;
	int i;

	*wild_at = 0;
	route = name_table_lookup_hashed(&st->routes, c->hash[0], NULL, 0,
		qname, qname_len);
	if(route != NULL)
		return route;
	candidates_wild(st, c);
	/* "*.P" for each proper ancestor P, closest first, the root last. */
	for(i = 1; i < c->count; i++) {
		route = name_table_lookup_hashed(&st->routes, c->wild_hash[i],
			wildcard_label, sizeof(wildcard_label),
			qname + c->starts[i], qname_len - c->starts[i]);
		if(route != NULL) {
			*wild_at = i;
			return route;
		}
	}
	return NULL;
}

/**
 * Find the filing covering a name: the name itself or its closest
 * ancestor with a filing (the longest match). Called under the read lock.
 * @param at: out, the suffix of the filing when there is one.
 * @return the status (FILING_NONE without one).
 */
static enum filing_status
find_filing(const struct steering_table *st, const struct name_candidates *c,
	const uint8_t *qname, size_t qname_len, int *at)
{
	int i;

	for(i = 0; i < c->count; i++) {
		void *value = name_table_lookup_hashed(&st->filings,
			c->hash[i], NULL, 0, qname + c->starts[i],
			qname_len - c->starts[i]);
		if(value != NULL) {
			*at = i;
			return filing_from_value(value);
		}
	}
	return FILING_NONE;
}

/**
 * Copy bytes with the caller's allocator.
 * @return the copy, or NULL when len is 0 or the allocator failed
 *	(*failed is set then).
 */
static uint8_t *
copy_out(steering_alloc_fn alloc, void *ctx, const uint8_t *src,
	size_t len, int *failed)
{
	uint8_t *copy;

	if(len == 0 || src == NULL)
		return NULL;
	copy = alloc(ctx, len);
	if(copy == NULL) {
		*failed = 1;
		return NULL;
	}
	memcpy(copy, src, len);
	return copy;
}

/**
 * Fill the answer part of a decision (action, addresses or CNAME) from
 * the chosen pool. Called under the read lock.
 * @return 0 or -1 when the allocator failed.
 */
static int
answer_from_pool(const struct pool *p, uint16_t qtype,
	steering_alloc_fn alloc, void *alloc_ctx, struct steering_decision *d)
{
	int failed = 0;

	switch(p->kind) {
	case POOL_EMPTY:
		/* Nothing to steer to: the name resolves normally. */
		d->action = STEER_RESOLVE;
		return 0;
	case POOL_CNAME:
		d->action = STEER_CNAME;
		d->cname = copy_out(alloc, alloc_ctx, p->cname, p->cname_len,
			&failed);
		d->cname_len = p->cname_len;
		return failed ? -1 : 0;
	case POOL_ADDRESSES:
		break;
	}
	if(qtype == STEER_TYPE_A) {
		d->action = STEER_ADDRESSES;
		d->addr_len = 4;
		d->addr_count = p->v4_count;
		d->addrs = copy_out(alloc, alloc_ctx, p->v4,
			(size_t)p->v4_count * 4, &failed);
	} else if(qtype == STEER_TYPE_AAAA) {
		d->action = STEER_ADDRESSES;
		d->addr_len = 16;
		d->addr_count = p->v6_count;
		d->addrs = copy_out(alloc, alloc_ctx, p->v6,
			(size_t)p->v6_count * 16, &failed);
	} else if(qtype == STEER_TYPE_CNAME) {
		/* An address pool has no CNAME: NOERROR without data. */
		d->action = STEER_ADDRESSES;
		d->addr_count = 0;
	} else {
		/* MX, TXT, ...: the rule does not answer those. */
		d->action = STEER_RESOLVE;
	}
	return failed ? -1 : 0;
}

/**
 * Copy "*." + name with the caller's allocator (a wildcard rule's name).
 * @return the copy, or NULL with *failed set.
 */
static uint8_t *
copy_wildcard(steering_alloc_fn alloc, void *ctx, const uint8_t *name,
	size_t len, int *failed)
{
	uint8_t *copy = alloc(ctx, sizeof(wildcard_label) + len);

	if(copy == NULL) {
		*failed = 1;
		return NULL;
	}
	memcpy(copy, wildcard_label, sizeof(wildcard_label));
	memcpy(copy + sizeof(wildcard_label), name, len);
	return copy;
}

/**
 * Copy the matched rule's and filing's names into the decision (for
 * cnroutectl explain; the resolver does not need them).
 * @return 0 or -1 when the allocator failed.
 */
static int
copy_names(const struct name_candidates *c, const uint8_t *qname,
	size_t qname_len, int wild_at, int filing_at,
	steering_alloc_fn alloc, void *alloc_ctx, struct steering_decision *d)
{
	int failed = 0;

	if(wild_at > 0)
		d->rule_name = copy_wildcard(alloc, alloc_ctx,
			qname + c->starts[wild_at],
			qname_len - c->starts[wild_at], &failed);
	else
		d->rule_name = copy_out(alloc, alloc_ctx, qname, qname_len,
			&failed);
	if(!failed && filing_at >= 0)
		d->filing_name = copy_out(alloc, alloc_ctx,
			qname + c->starts[filing_at],
			qname_len - c->starts[filing_at], &failed);
	return failed ? -1 : 0;
}

/**
 * Choose the pool, from d->region_dependent, asking the region only when
 * the answer depends on it. Sets d->mainland and d->pool; the table's
 * decision and the decision cache both choose here.
 * @return 1 for the CN pool, 0 for the offshore pool.
 */
static int
choose_pool(steering_region_fn region, void *region_ctx,
	struct steering_decision *d)
{
	if(d->region_dependent)
		d->mainland = (region != NULL && region(region_ctx) == 1);
	if(d->region_dependent && d->mainland == 1) {
		d->pool = STEER_POOL_CN;
		return 1;
	}
	d->pool = STEER_POOL_OFFSHORE;
	return 0;
}

/** The answer's TTL: the rule's, if it has one, capped by ttl_max. */
static uint32_t
capped_ttl(int has_ttl, uint32_t ttl, uint32_t ttl_max)
{
	return has_ttl && ttl < ttl_max ? ttl : ttl_max;
}

/**
 * Whether the table has no route for a name (exact or wildcard): a
 * CNAME pool's target that a chain need not decide again. Called under
 * the read lock. A name that is not canonical has no route either (a
 * decision for it is "unmanaged").
 */
static int
name_unmanaged(const struct steering_table *st, const uint8_t *name,
	size_t name_len)
{
	struct name_candidates c;
	int wild_at;

	if(candidates_hash(&c, name, name_len) != 0)
		return 1;
	return find_route(st, &c, name, name_len, &wild_at) == NULL;
}

/**
 * The decision once a route is known. Called under the read lock.
 * @param filing_at: out, the suffix of the covering filing, or -1.
 */
static int
decide_managed(const struct steering_table *st,
	const struct name_candidates *c, const struct route *route,
	const uint8_t *qname, size_t qname_len, uint16_t qtype,
	uint32_t ttl_max, steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx, int *filing_at,
	struct steering_decision *d)
{
	const struct pool *p;

	*filing_at = -1;
	d->filing = find_filing(st, c, qname, qname_len, filing_at);
	/* Only an active filing (and an active one for the alias asked,
	 * when the name was reached through a CNAME chain) with a CN pool
	 * makes the region matter; the callback (a GeoIP lookup) is skipped
	 * otherwise. */
	d->region_dependent = route->cn.kind != POOL_EMPTY &&
		d->filing == FILING_ACTIVE && d->alias_filing == FILING_ACTIVE;
	d->ttl = capped_ttl(route->has_ttl, route->ttl, ttl_max);
	p = choose_pool(region, region_ctx, d) ? &route->cn : &route->offshore;
	if(p->kind == POOL_CNAME)
		d->cname_unmanaged = name_unmanaged(st, p->cname,
			p->cname_len);
	return answer_from_pool(p, qtype, alloc, alloc_ctx, d);
}

/**
 * Reset a decision to the fail-closed outcome: resolve normally, offshore,
 * not region dependent (so the ECS scope is 0 and nothing leaks).
 */
static void
decision_fail_closed(struct steering_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->action = STEER_RESOLVE;
	d->pool = STEER_POOL_OFFSHORE;
	d->mainland = -1;
	d->alias_filing = FILING_ACTIVE;
}

/**
 * The key of a name in a decision cache: a hash of its bytes as one
 * piece (a few multiplications for a typical name), not the
 * label-by-label hashes of the table's candidates.
 */
static uint32_t
steering_cache_hash(const uint8_t *qname, size_t qname_len)
{
	return dname_hash_finish(dname_hash_step(DNAME_HASH_SEED, qname,
		qname_len));
}

/**
 * Remember a decision in a cache entry, with both pools' answers for the
 * query type. Called under the read lock, so the version read is the one
 * of the data the decision came from.
 * @return 1 when filled, 0 when the decision can't be remembered (a type
 *	other than A/AAAA, a long name, more answer bytes than the entry
 *	holds).
 */
static int
cache_fill(const struct steering_table *st, struct steering_cache_entry *e,
	const struct route *route, const uint8_t *qname, size_t qname_len,
	uint16_t qtype, uint32_t hash, const struct steering_decision *d)
{
	const struct pool *pools[2] = { &route->cn, &route->offshore };
	size_t alen = qtype == STEER_TYPE_A ? 4 : 16, used = 0;
	int i;

	if((qtype != STEER_TYPE_A && qtype != STEER_TYPE_AAAA) ||
		qname_len > STEERING_CACHE_NAME_MAX)
		return 0;
	for(i = 0; i < 2; i++) {
		const struct pool *p = pools[i];
		const uint8_t *bytes = NULL;
		size_t n = 0;

		e->target_unmanaged[i] = 0;
		e->target_memo[i] = 0;
		switch(p->kind) {
		case POOL_EMPTY:
			e->action[i] = STEER_RESOLVE;
			break;
		case POOL_CNAME:
			e->action[i] = STEER_CNAME;
			bytes = p->cname;
			n = p->cname_len;
			e->target_unmanaged[i] = (uint8_t)name_unmanaged(st,
				p->cname, p->cname_len);
			break;
		case POOL_ADDRESSES:
			e->action[i] = STEER_ADDRESSES;
			bytes = alen == 4 ? p->v4 : p->v6;
			n = (alen == 4 ? p->v4_count : p->v6_count) * alen;
			break;
		}
		if(n > STEERING_CACHE_DATA_BYTES - used)
			return 0;
		e->len[i] = (uint8_t)n;
		if(n != 0)
			memcpy(e->data + used, bytes, n);
		used += n;
	}
	e->hash = hash;
	e->ttl = route->ttl;
	e->has_ttl = (uint8_t)(route->has_ttl != 0);
	e->qtype = qtype;
	e->name_len = (uint8_t)qname_len;
	memcpy(e->name, qname, qname_len);
	e->region_dependent = (uint8_t)d->region_dependent;
	e->filing = (uint8_t)d->filing;
	e->rule_wildcard = (uint8_t)d->rule_wildcard;
	e->addr_len = (uint8_t)alen;
	e->version = atomic_load_explicit(&st->version, memory_order_relaxed);
	return 1;
}

/** Start a decision as "unmanaged": what a name without a rule gets. */
static void
decision_unmanaged(struct steering_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->action = STEER_UNMANAGED;
	d->pool = STEER_POOL_NONE;
	d->mainland = -1;
	d->alias_filing = FILING_ACTIVE;
}

/**
 * The decision from the table, for a name whose candidates are hashed
 * (candidates_hash) and a decision started by decision_unmanaged. Shared by
 * steering_table_decide, steering_table_answer and the decision cache's
 * misses, which differ only in want_names (whether the rule's and
 * filing's names are copied out too) and fill.
 * @param fill: NULL, or a cache entry to remember the decision in (its
 *	version stays 0 when the decision can't be remembered).
 */
static int
decide(struct steering_table *st, struct name_candidates *c,
	const uint8_t *qname, size_t qname_len, uint16_t qtype,
	uint32_t ttl_max, steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx, int want_names,
	struct alias_name *alias,
	struct steering_cache_entry *fill, struct steering_decision *d)
{
	const struct route *route;
	int r = 0, wild_at = 0, filing_at = -1, alias_at;

	pthread_rwlock_rdlock(&st->lock);
	candidates_prefetch(st, c);
	route = find_route(st, c, qname, qname_len, &wild_at);
	if(route != NULL && alias != NULL) {
		/* an alias we can't read has no filing */
		d->alias_filing = FILING_NONE;
		if(candidates_hash(&alias->c, alias->name, alias->len) == 0)
			d->alias_filing = find_filing(st, &alias->c,
				alias->name, alias->len, &alias_at);
	}
	if(route != NULL) {
		/* a wildcard rule matched, or the name asked is one ("*.x"
		 * asked literally matches the rule "*.x" exactly) */
		d->rule_wildcard = wild_at > 0 || dname_is_wildcard(qname);
		r = decide_managed(st, c, route, qname, qname_len, qtype,
			ttl_max, region, region_ctx, alloc, alloc_ctx,
			&filing_at, d);
		if(r == 0 && fill != NULL)
			(void)cache_fill(st, fill, route, qname, qname_len,
				qtype, steering_cache_hash(qname, qname_len),
				d);
	}
	pthread_rwlock_unlock(&st->lock);
	/* The names come from the query name, not the table: no lock. */
	if(r == 0 && route != NULL && want_names)
		r = copy_names(c, qname, qname_len, wild_at, filing_at,
			alloc, alloc_ctx, d);
	if(r != 0)
		decision_fail_closed(d);
	return r;
}

/** decide() for a name not hashed yet, without a cache. */
static int
decide_name(struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx, steering_alloc_fn alloc,
	void *alloc_ctx, int want_names, struct steering_decision *d)
{
	struct name_candidates c;

	decision_unmanaged(d);
	if(candidates_hash(&c, qname, qname_len) != 0)
		return 0;
	return decide(st, &c, qname, qname_len, qtype, ttl_max, region,
		region_ctx, alloc, alloc_ctx, want_names, NULL, NULL, d);
}

int
steering_table_decide(struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d)
{
	return decide_name(st, qname, qname_len, qtype, ttl_max, region,
		region_ctx, alloc, alloc_ctx, 1, d);
}

int
steering_table_answer(struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d)
{
	return decide_name(st, qname, qname_len, qtype, ttl_max, region,
		region_ctx, alloc, alloc_ctx, 0, d);
}

int
steering_table_answer_alias(struct steering_table *st,
	const uint8_t *alias, size_t alias_len, const uint8_t *name,
	size_t name_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d)
{
	struct name_candidates c;
	struct alias_name a;

	decision_unmanaged(d);
	if(candidates_hash(&c, name, name_len) != 0)
		return 0;
	a.name = alias;
	a.len = alias_len;
	return decide(st, &c, name, name_len, qtype, ttl_max, region,
		region_ctx, alloc, alloc_ctx, 0, &a, NULL, d);
}

int
steering_table_is_managed(struct steering_table *st, const uint8_t *name,
	size_t name_len)
{
	struct name_candidates c;
	int wild_at, managed;

	if(candidates_hash(&c, name, name_len) != 0)
		return 0;
	pthread_rwlock_rdlock(&st->lock);
	managed = find_route(st, &c, name, name_len, &wild_at) != NULL;
	pthread_rwlock_unlock(&st->lock);
	return managed;
}

int
steering_table_is_loaded(struct steering_table *st)
{
	return atomic_load_explicit(&st->loaded, memory_order_acquire);
}

void
steering_table_set_loaded(struct steering_table *st)
{
	atomic_store_explicit(&st->loaded, 1, memory_order_release);
}

/**
 * The decision from a cache entry: what decide() gave when it filled the
 * entry, the region asked again (it is the client's, not the name's).
 */
static int
answer_from_entry(struct steering_cache_entry *e, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx, steering_alloc_fn alloc,
	void *alloc_ctx, struct steering_decision *d)
{
	const uint8_t *bytes;
	int pool, failed = 0;

	memset(d, 0, sizeof(*d));
	d->mainland = -1;
	d->alias_filing = FILING_ACTIVE;
	d->filing = (enum filing_status)e->filing;
	d->rule_wildcard = e->rule_wildcard;
	d->region_dependent = e->region_dependent;
	/* entries keep the CN pool at 0, the offshore pool at 1 */
	pool = choose_pool(region, region_ctx, d) ? 0 : 1;
	d->ttl = capped_ttl(e->has_ttl, e->ttl, ttl_max);
	d->action = (enum steering_action)e->action[pool];
	bytes = e->data + (pool == 0 ? 0 : e->len[0]);
	if(d->action == STEER_ADDRESSES) {
		d->addr_len = e->addr_len;
		d->addr_count = (uint16_t)(e->len[pool] / e->addr_len);
		d->addrs = copy_out(alloc, alloc_ctx, bytes, e->len[pool],
			&failed);
	} else if(d->action == STEER_CNAME) {
		d->cname = copy_out(alloc, alloc_ctx, bytes, e->len[pool],
			&failed);
		d->cname_len = e->len[pool];
		d->cname_unmanaged = e->target_unmanaged[pool];
		d->cname_memo = &e->target_memo[pool];
	}
	if(failed) {
		decision_fail_closed(d);
		return -1;
	}
	return 0;
}

int
steering_table_answer_cached(struct steering_table *st,
	struct steering_cache *cache, const uint8_t *qname, size_t qname_len,
	uint16_t qtype, uint32_t ttl_max, steering_region_fn region,
	void *region_ctx, steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d)
{
	struct name_candidates c;
	struct steering_cache_entry *set, fresh;
	uint64_t version;
	uint32_t hash;
	int i, r;

	if(qname == NULL || qname_len == 0 ||
		qname_len > STEERING_CACHE_NAME_MAX ||
		(qtype != STEER_TYPE_A && qtype != STEER_TYPE_AAAA)) {
		decision_unmanaged(d);
		if(candidates_hash(&c, qname, qname_len) != 0)
			return 0;
		cache->misses++;
		return decide(st, &c, qname, qname_len, qtype, ttl_max,
			region, region_ctx, alloc, alloc_ctx, 0, NULL, NULL, d);
	}
	/* A hit needs only this hash and one compare; the table's
	 * candidate hashes are computed on a miss. An entry was filled
	 * from a name that hashed as a canonical one, so the same bytes
	 * need no check again. */
	hash = steering_cache_hash(qname, qname_len);
	set = cache->sets[hash & (STEERING_CACHE_SETS - 1)];
	/* Acquire: pairs with table_changed; an entry of this version was
	 * filled from the table as it still is. */
	version = atomic_load_explicit(&st->version, memory_order_acquire);
	for(i = 0; i < 2; i++) {
		struct steering_cache_entry *e = &set[i];
		if(e->version == version && e->hash == hash &&
			e->qtype == qtype && e->name_len == qname_len &&
			memcmp(e->name, qname, qname_len) == 0) {
			cache->hits++;
			return answer_from_entry(e, ttl_max, region,
				region_ctx, alloc, alloc_ctx, d);
		}
	}
	decision_unmanaged(d);
	if(candidates_hash(&c, qname, qname_len) != 0)
		return 0;
	cache->misses++;
	fresh.version = 0;
	r = decide(st, &c, qname, qname_len, qtype, ttl_max, region,
		region_ctx, alloc, alloc_ctx, 0, NULL, &fresh, d);
	if(fresh.version != 0) {
		/* the older entry of the set makes room */
		set[1] = set[0];
		set[0] = fresh;
	}
	return r;
}

/**
 * Record a change of the table's content. Called under the write lock,
 * after the change: a reader that sees the new version also sees the
 * change (decision caches compare versions without the lock).
 */
static void
table_changed(struct steering_table *st)
{
	atomic_fetch_add_explicit(&st->version, 1, memory_order_release);
}

/**
 * Make room for one more entry in a table: the larger array is built with
 * no lock held, only the swap happens under the write lock.
 * @return 0 or -1 when out of memory.
 */
static int
ensure_room(struct steering_table *st, struct name_table *t)
{
	if(!name_table_needs_grow(t))
		return 0;
	if(name_table_grow_prepare(t) != 0)
		return -1;
	pthread_rwlock_wrlock(&st->lock);
	name_table_grow_commit(t);
	pthread_rwlock_unlock(&st->lock);
	return 0;
}

/**
 * Store a value under the write lock, growing first when the key is new.
 * @param old_value: out, the replaced value (to free after the unlock).
 * @return 0 or -1 when out of memory.
 */
static int
store_value(struct steering_table *st, struct name_table *t,
	const uint8_t *name, size_t name_len, void *value, uint32_t seen,
	int is_new, void **old_value)
{
	int r;

	*old_value = NULL;
	if(is_new && ensure_room(st, t) != 0)
		return -1;
	pthread_rwlock_wrlock(&st->lock);
	r = name_table_put(t, name, name_len, value, seen, old_value);
	table_changed(st);
	pthread_rwlock_unlock(&st->lock);
	return r;
}

int
steering_set_filing(struct steering_table *st, const uint8_t *name,
	size_t name_len, enum filing_status status, uint32_t seen)
{
	void *cur, *old;

	if(name == NULL || !name_len_ok(name_len) ||
		(int)status < FILING_NONE || status > FILING_INVALID)
		return -1;
	if(status == FILING_NONE)
		return steering_del_filing(st, name, name_len);
	/* The writer may read without the lock: nobody else writes. */
	cur = name_table_lookup(&st->filings, name, name_len);
	if(cur == filing_to_value(status)) {
		name_table_touch(&st->filings, name, name_len, seen);
		return 0;
	}
	if(store_value(st, &st->filings, name, name_len,
		filing_to_value(status), seen, cur == NULL, &old) != 0)
		return -1;
	return 1;
}

int
steering_del_filing(struct steering_table *st, const uint8_t *name,
	size_t name_len)
{
	void *old;
	int removed;

	if(name == NULL || !name_len_ok(name_len) ||
		name_table_lookup(&st->filings, name, name_len) == NULL)
		return 0;
	pthread_rwlock_wrlock(&st->lock);
	removed = name_table_remove(&st->filings, name, name_len, &old);
	table_changed(st);
	pthread_rwlock_unlock(&st->lock);
	return removed;
}

int
steering_set_route(struct steering_table *st, const uint8_t *name,
	size_t name_len, struct route *route, uint32_t seen)
{
	struct route *cur;
	void *old = NULL;

	if(route == NULL)
		return -1;
	if(name == NULL || !name_len_ok(name_len)) {
		route_free(route);
		return -1;
	}
	cur = name_table_lookup(&st->routes, name, name_len);
	if(cur != NULL && route_equal(cur, route)) {
		name_table_touch(&st->routes, name, name_len, seen);
		route_free(route);
		return 0;
	}
	if(store_value(st, &st->routes, name, name_len, route, seen,
		cur == NULL, &old) != 0) {
		route_free(route);
		return -1;
	}
	/* Readers that saw the old route released the lock before the
	 * store above could take it: nobody uses it any more. */
	route_free((struct route *)old);
	return 1;
}

int
steering_del_route(struct steering_table *st, const uint8_t *name,
	size_t name_len)
{
	void *old = NULL;
	int removed;

	if(name == NULL || !name_len_ok(name_len) ||
		name_table_lookup(&st->routes, name, name_len) == NULL)
		return 0;
	pthread_rwlock_wrlock(&st->lock);
	removed = name_table_remove(&st->routes, name, name_len, &old);
	table_changed(st);
	pthread_rwlock_unlock(&st->lock);
	route_free((struct route *)old);
	return removed;
}

void
steering_table_counts(struct steering_table *st, size_t *filings,
	size_t *routes)
{
	pthread_rwlock_rdlock(&st->lock);
	if(filings != NULL)
		*filings = st->filings.count;
	if(routes != NULL)
		*routes = st->routes.count;
	pthread_rwlock_unlock(&st->lock);
}

/*
 * The writer. Everything here runs on the single writer thread; it reads
 * the live table without the lock (nobody else changes it) and takes the
 * write lock once per commit.
 */

/** The pending index of a kind of entry. */
static struct name_table *
writer_index(struct steering_writer *w, char kind)
{
	return kind == 'f' ? &w->pending_filings : &w->pending_routes;
}

/** The pending change of a name, or NULL. */
static struct steering_change *
writer_pending(struct steering_writer *w, char kind, const uint8_t *name,
	size_t name_len)
{
	void *at = name_table_lookup(writer_index(w, kind), name, name_len);

	return at != NULL ? &w->changes[(uintptr_t)at - 1] : NULL;
}

/** Free the names and routes of the changes, and the index. */
static void
writer_release(struct steering_writer *w)
{
	size_t i;

	for(i = 0; i < w->count; i++) {
		free(w->changes[i].name);
		route_free(w->changes[i].route);
	}
	free(w->changes);
	w->changes = NULL;
	w->count = w->capacity = 0;
	if(w->fresh == NULL) {
		name_table_clear(&w->pending_filings);
		name_table_clear(&w->pending_routes);
	}
}

int
steering_writer_begin(struct steering_writer *w,
	struct steering_table *live, int fresh, uint32_t seen)
{
	memset(w, 0, sizeof(*w));
	w->live = live;
	w->seen = seen;
	if(fresh) {
		w->fresh = malloc(sizeof(*w->fresh));
		if(w->fresh == NULL)
			return -1;
		if(steering_table_init(w->fresh) != 0) {
			free(w->fresh);
			w->fresh = NULL;
			return -1;
		}
		return 0;
	}
	if(name_table_init(&w->pending_filings, 0, NULL) != 0)
		return -1;
	if(name_table_init(&w->pending_routes, 0, NULL) != 0) {
		name_table_clear(&w->pending_filings);
		return -1;
	}
	return 0;
}

enum filing_status
steering_writer_filing(struct steering_writer *w, const uint8_t *name,
	size_t name_len)
{
	const struct steering_change *c;

	if(name == NULL || !name_len_ok(name_len))
		return FILING_NONE;
	if(w->fresh != NULL)
		return filing_from_value(name_table_lookup(&w->fresh->filings,
			name, name_len));
	c = writer_pending(w, 'f', name, name_len);
	if(c != NULL)
		return c->status;
	return filing_from_value(name_table_lookup(&w->live->filings, name,
		name_len));
}

const struct route *
steering_writer_route(struct steering_writer *w, const uint8_t *name,
	size_t name_len)
{
	const struct steering_change *c;

	if(name == NULL || !name_len_ok(name_len))
		return NULL;
	if(w->fresh != NULL)
		return name_table_lookup(&w->fresh->routes, name, name_len);
	c = writer_pending(w, 'r', name, name_len);
	if(c != NULL)
		return c->route;
	return name_table_lookup(&w->live->routes, name, name_len);
}

/**
 * Queue a change, or update the pending change of the same name (all of
 * a batch is committed at once, so only a name's last value matters).
 * Takes ownership of route.
 * @return 1, or -1 when out of memory (route freed).
 */
static int
writer_queue(struct steering_writer *w, char kind, const uint8_t *name,
	size_t name_len, enum filing_status status, struct route *route)
{
	struct steering_change *c = writer_pending(w, kind, name, name_len);

	if(c != NULL) {
		route_free(c->route);
		c->status = status;
		c->route = route;
		return 1;
	}
	if(w->count == w->capacity) {
		size_t cap = w->capacity ? w->capacity * 2 : 64;
		struct steering_change *more = realloc(w->changes,
			cap * sizeof(*more));
		if(more == NULL)
			goto fail;
		w->changes = more;
		w->capacity = cap;
	}
	c = &w->changes[w->count];
	c->name = malloc(name_len);
	if(c->name == NULL)
		goto fail;
	memcpy(c->name, name, name_len);
	c->name_len = name_len;
	c->kind = kind;
	c->status = status;
	c->route = route;
	if(name_table_put(writer_index(w, kind), name, name_len,
		(void *)(uintptr_t)(w->count + 1), 0, NULL) != 0) {
		free(c->name);
		goto fail;
	}
	w->count++;
	return 1;
fail:
	route_free(route);
	return -1;
}

int
steering_writer_set_filing(struct steering_writer *w, const uint8_t *name,
	size_t name_len, enum filing_status status)
{
	if(name == NULL || !name_len_ok(name_len) ||
		(int)status < FILING_NONE || status > FILING_INVALID)
		return -1;
	if(w->fresh != NULL)
		return steering_set_filing(w->fresh, name, name_len, status,
			w->seen);
	/* Seen in this generation, changed or not: the sweep keeps it. */
	name_table_touch(&w->live->filings, name, name_len, w->seen);
	if(steering_writer_filing(w, name, name_len) == status)
		return 0;
	return writer_queue(w, 'f', name, name_len, status, NULL);
}

int
steering_writer_set_route(struct steering_writer *w, const uint8_t *name,
	size_t name_len, struct route *route)
{
	if(name == NULL || !name_len_ok(name_len)) {
		route_free(route);
		return -1;
	}
	if(w->fresh != NULL) {
		if(route == NULL)
			return steering_del_route(w->fresh, name, name_len);
		return steering_set_route(w->fresh, name, name_len, route,
			w->seen);
	}
	name_table_touch(&w->live->routes, name, name_len, w->seen);
	if(route_equal(steering_writer_route(w, name, name_len), route)) {
		route_free(route);
		return 0;
	}
	return writer_queue(w, 'r', name, name_len, FILING_NONE, route);
}

/** What the sweep's callback needs. */
struct writer_sweep {
	/** the writer */
	struct steering_writer *w;
	/** the kind of entries swept */
	char kind;
	/** removals queued */
	long queued;
	/** set when a queue failed */
	int failed;
};

/** name_table_foreach callback: queue the removal of an unseen entry. */
static void
writer_sweep_slot(const struct name_slot *slot, void *arg)
{
	struct writer_sweep *ws = arg;

	if(slot->seen == ws->w->seen || ws->failed ||
		writer_pending(ws->w, ws->kind, slot->key, slot->key_len))
		return;
	if(writer_queue(ws->w, ws->kind, slot->key, slot->key_len,
		FILING_NONE, NULL) < 0)
		ws->failed = 1;
	else
		ws->queued++;
}

long
steering_writer_sweep(struct steering_writer *w)
{
	struct writer_sweep ws;

	if(w->fresh != NULL)
		return 0;
	ws.w = w;
	ws.queued = 0;
	ws.failed = 0;
	/* The live table is only read here (the writer is its only writer);
	 * queueing touches the writer's own arrays. */
	ws.kind = 'f';
	name_table_foreach(&w->live->filings, writer_sweep_slot, &ws);
	ws.kind = 'r';
	name_table_foreach(&w->live->routes, writer_sweep_slot, &ws);
	return ws.failed ? -1 : ws.queued;
}

/** Swap the content of the live table with the fresh one, at once. */
static long
writer_commit_fresh(struct steering_writer *w)
{
	struct steering_table *live = w->live, *fresh = w->fresh;
	struct name_table held;
	long count = (long)(fresh->filings.count + fresh->routes.count);

	pthread_rwlock_wrlock(&live->lock);
	held = live->filings;
	live->filings = fresh->filings;
	fresh->filings = held;
	held = live->routes;
	live->routes = fresh->routes;
	fresh->routes = held;
	table_changed(live);
	pthread_rwlock_unlock(&live->lock);
	/* The old content is freed with no lock held: readers that saw it
	 * released the read lock before the swap could take the write lock. */
	steering_table_destroy(fresh);
	free(fresh);
	w->fresh = NULL;
	return count;
}

/** What a commit prepares before it takes the write lock. */
struct commit_prep {
	/** per change: 1 when it gives a name its first route */
	uint8_t *added;
	/** per change: the value it replaces or removes, freed after */
	void **old;
	/** the names that gained a route, for the callback */
	const uint8_t **names;
	/** their lengths */
	size_t *lens;
};

/** Free what commit_prepare allocated. */
static void
commit_prep_free(struct commit_prep *p)
{
	free(p->added);
	free(p->old);
	free(p->names);
	free(p->lens);
}

/**
 * Everything a commit needs that can fail, done before the write lock:
 * the arrays of the commit and the room for the new entries. Under the
 * lock nothing is allocated (a new entry takes its change's own copy of
 * the name), so a batch is applied whole or not at all.
 * @return 0 or -1 when out of memory (nothing changed).
 */
static int
commit_prepare(struct steering_writer *w, struct commit_prep *p)
{
	struct steering_table *live = w->live;
	size_t i, new_filings = 0, new_routes = 0;

	memset(p, 0, sizeof(*p));
	p->added = calloc(w->count, sizeof(*p->added));
	p->old = calloc(w->count, sizeof(*p->old));
	p->names = calloc(w->count, sizeof(*p->names));
	p->lens = calloc(w->count, sizeof(*p->lens));
	if(!p->added || !p->old || !p->names || !p->lens)
		return -1;
	for(i = 0; i < w->count; i++) {
		const struct steering_change *c = &w->changes[i];
		if(c->kind == 'f')
			new_filings += c->status != FILING_NONE &&
				name_table_lookup(&live->filings, c->name,
				c->name_len) == NULL;
		else if(c->route != NULL && name_table_lookup(&live->routes,
			c->name, c->name_len) == NULL) {
			p->added[i] = 1;
			new_routes++;
		}
	}
	if(name_table_needs_grow_for(&live->filings, new_filings) &&
		name_table_grow_prepare_for(&live->filings, new_filings) != 0)
		return -1;
	if(name_table_needs_grow_for(&live->routes, new_routes) &&
		name_table_grow_prepare_for(&live->routes, new_routes) != 0)
		return -1;
	return 0;
}

/**
 * Apply one change under the write lock. A new entry takes the change's
 * name (the change no longer owns it), a route its route.
 */
static void
commit_one(struct steering_writer *w, struct steering_change *c,
	void **old)
{
	struct steering_table *live = w->live;
	struct name_table *t = c->kind == 'f' ? &live->filings : &live->routes;
	void *value;
	int r;

	if(c->kind == 'f' ? c->status == FILING_NONE : c->route == NULL) {
		/* a filing's value is its status, not an allocation */
		(void)name_table_remove(t, c->name, c->name_len,
			c->kind == 'f' ? NULL : old);
		return;
	}
	value = c->kind == 'f' ? filing_to_value(c->status) :
		(void *)c->route;
	r = name_table_put_owned(t, c->name, c->name_len, value, w->seen, old);
	if(r < 0)
		return; /* no room: commit_prepare made it, so never */
	if(r == 1)
		c->name = NULL; /* the table's key now */
	if(c->kind == 'f')
		*old = NULL; /* filings are not allocated */
	else
		c->route = NULL; /* the table's value now */
}

long
steering_writer_commit(struct steering_writer *w,
	steering_routes_added_fn routes_added, void *ctx)
{
	struct commit_prep p;
	size_t i, n = 0;
	long count = (long)w->count;

	if(w->fresh != NULL)
		return writer_commit_fresh(w);
	if(w->count == 0) {
		writer_release(w);
		return 0;
	}
	if(commit_prepare(w, &p) != 0) {
		commit_prep_free(&p);
		writer_release(w);
		return -1;
	}
	/* the callback's list, before the names go to the table */
	for(i = 0; i < w->count; i++) {
		if(!p.added[i])
			continue;
		p.names[n] = w->changes[i].name;
		p.lens[n++] = w->changes[i].name_len;
	}
	pthread_rwlock_wrlock(&w->live->lock);
	name_table_grow_commit(&w->live->filings);
	name_table_grow_commit(&w->live->routes);
	for(i = 0; i < w->count; i++)
		commit_one(w, &w->changes[i], &p.old[i]);
	table_changed(w->live);
	pthread_rwlock_unlock(&w->live->lock);
	/* Readers that saw the old values released the read lock before the
	 * commit could take the write lock: nobody uses them any more. */
	for(i = 0; i < w->count; i++)
		route_free((struct route *)p.old[i]);
	/* The names listed are keys of the table now; the table does not
	 * change until the writer (this thread) changes it. */
	if(n > 0 && routes_added != NULL)
		routes_added(ctx, p.names, p.lens, n);
	commit_prep_free(&p);
	writer_release(w);
	return count;
}

void
steering_writer_abort(struct steering_writer *w)
{
	if(w->fresh != NULL) {
		steering_table_destroy(w->fresh);
		free(w->fresh);
		w->fresh = NULL;
	}
	writer_release(w);
}
