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

/** Entries removed per write-lock hold while sweeping. */
#define SWEEP_BATCH 1024

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
	return 0;
}

void
steering_table_destroy(struct steering_table *st)
{
	name_table_clear(&st->filings);
	name_table_clear(&st->routes);
	pthread_rwlock_destroy(&st->lock);
}

/**
 * Find the route of a query name: the exact name, else the wildcard of
 * the closest ancestor. Called under the read lock.
 * @param wild: scratch of DNAME_MAX_WIRE bytes for wildcard names.
 * @param rule: out, the matched key (qname or wild).
 * @param rule_len: out, its length.
 * @return the route or NULL.
 */
static const struct route *
find_route(const struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint8_t *wild, const uint8_t **rule,
	size_t *rule_len)
{
	const struct route *route;
	const uint8_t *p;

	route = name_table_lookup(&st->routes, qname, qname_len);
	if(route != NULL) {
		*rule = qname;
		*rule_len = qname_len;
		return route;
	}
	/* "*.P" for each proper ancestor P, closest first, the root last.
	 * "*.P" is never longer than qname: qname has at least one more
	 * label than P, of at least one byte plus its length byte. */
	wild[0] = 1;
	wild[1] = '*';
	for(p = dname_parent(qname); p != NULL; p = dname_parent(p)) {
		size_t plen = qname_len - (size_t)(p - qname);
		memcpy(wild + 2, p, plen);
		route = name_table_lookup(&st->routes, wild, plen + 2);
		if(route != NULL) {
			*rule = wild;
			*rule_len = plen + 2;
			return route;
		}
	}
	return NULL;
}

/**
 * Find the filing covering a name: the name itself or its closest
 * ancestor with a filing (the longest match). Called under the read lock.
 * @return the status (FILING_NONE without one); *name set when found.
 */
static enum filing_status
find_filing(const struct steering_table *st, const uint8_t *qname,
	size_t qname_len, const uint8_t **name, size_t *name_len)
{
	const uint8_t *p;

	for(p = qname; p != NULL; p = dname_parent(p)) {
		size_t plen = qname_len - (size_t)(p - qname);
		void *value = name_table_lookup(&st->filings, p, plen);
		if(value != NULL) {
			*name = p;
			*name_len = plen;
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

/** The decision once a route is known. Called under the read lock. */
static int
decide_managed(const struct steering_table *st, const struct route *route,
	const uint8_t *qname, size_t qname_len, uint16_t qtype,
	uint32_t ttl_max, steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d)
{
	const uint8_t *filing_name = NULL;
	size_t filing_len = 0;
	const struct pool *chosen;
	int failed = 0;

	d->filing = find_filing(st, qname, qname_len, &filing_name,
		&filing_len);
	/* Only an active filing with a CN pool makes the region matter;
	 * the callback (a GeoIP lookup) is skipped otherwise. */
	d->region_dependent = route->cn.kind != POOL_EMPTY &&
		d->filing == FILING_ACTIVE;
	if(d->region_dependent)
		d->mainland = (region != NULL && region(region_ctx) == 1);
	if(d->region_dependent && d->mainland == 1) {
		d->pool = STEER_POOL_CN;
		chosen = &route->cn;
	} else {
		d->pool = STEER_POOL_OFFSHORE;
		chosen = &route->offshore;
	}
	d->ttl = route->has_ttl ? route->ttl : ttl_max;
	if(d->ttl > ttl_max)
		d->ttl = ttl_max;
	d->filing_name = copy_out(alloc, alloc_ctx, filing_name, filing_len,
		&failed);
	if(failed)
		return -1;
	return answer_from_pool(chosen, qtype, alloc, alloc_ctx, d);
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
}

int
steering_table_decide(struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d)
{
	uint8_t wild[DNAME_MAX_WIRE];
	const uint8_t *rule = NULL;
	size_t rule_len = 0;
	const struct route *route;
	int r = 0, failed = 0;

	memset(d, 0, sizeof(*d));
	d->action = STEER_UNMANAGED;
	d->pool = STEER_POOL_NONE;
	d->mainland = -1;
	if(qname == NULL || !name_len_ok(qname_len))
		return 0;
	pthread_rwlock_rdlock(&st->lock);
	route = find_route(st, qname, qname_len, wild, &rule, &rule_len);
	if(route != NULL) {
		d->rule_wildcard = dname_is_wildcard(rule);
		d->rule_name = copy_out(alloc, alloc_ctx, rule, rule_len,
			&failed);
		if(failed)
			r = -1;
		else
			r = decide_managed(st, route, qname, qname_len, qtype,
				ttl_max, region, region_ctx, alloc, alloc_ctx,
				d);
	}
	pthread_rwlock_unlock(&st->lock);
	if(r != 0)
		decision_fail_closed(d);
	return r;
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
	pthread_rwlock_unlock(&st->lock);
	return r;
}

int
steering_set_filing(struct steering_table *st, const uint8_t *name,
	size_t name_len, enum filing_status status, uint32_t seen)
{
	void *cur, *old;

	if(name == NULL || !name_len_ok(name_len) ||
		(int)status < FILING_NONE || status > FILING_PENDING)
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
	pthread_rwlock_unlock(&st->lock);
	route_free((struct route *)old);
	return removed;
}

/** Keys found stale by a sweep; they point at the table's own keys. */
struct stale_list {
	/** generation entries must carry to stay */
	uint32_t seen;
	/** the stale keys */
	const uint8_t **keys;
	/** their lengths */
	size_t *lens;
	/** number of keys */
	size_t count;
	/** allocated room */
	size_t cap;
	/** set when an allocation failed (the sweep is then partial) */
	int failed;
};

/** name_table_foreach callback: collect the entries of other generations. */
static void
collect_stale(const struct name_slot *slot, void *arg)
{
	struct stale_list *l = arg;

	if(slot->seen == l->seen || l->failed)
		return;
	if(l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		const uint8_t **keys = realloc(l->keys, cap * sizeof(*keys));
		size_t *lens;
		if(keys == NULL) {
			l->failed = 1;
			return;
		}
		l->keys = keys;
		lens = realloc(l->lens, cap * sizeof(*lens));
		if(lens == NULL) {
			l->failed = 1;
			return;
		}
		l->lens = lens;
		l->cap = cap;
	}
	l->keys[l->count] = slot->key;
	l->lens[l->count] = slot->key_len;
	l->count++;
}

/**
 * Remove the stale entries of one table, SWEEP_BATCH per write-lock hold
 * so readers are never held up for long; values are freed after unlock.
 * @return number removed.
 */
static size_t
sweep_table(struct steering_table *st, struct name_table *t, uint32_t seen)
{
	struct stale_list l;
	void *old[SWEEP_BATCH];
	size_t done = 0, removed = 0;

	memset(&l, 0, sizeof(l));
	l.seen = seen;
	/* Single writer: collecting needs no lock. The collected key
	 * pointers stay valid: removing an entry frees only its own key. */
	name_table_foreach(t, collect_stale, &l);
	while(done < l.count) {
		size_t n = 0, i;
		pthread_rwlock_wrlock(&st->lock);
		while(done < l.count && n < SWEEP_BATCH) {
			old[n] = NULL;
			if(name_table_remove(t, l.keys[done], l.lens[done],
				&old[n]))
				n++;
			done++;
		}
		pthread_rwlock_unlock(&st->lock);
		for(i = 0; i < n; i++) {
			if(t->free_value != NULL && old[i] != NULL)
				t->free_value(old[i]);
		}
		removed += n;
	}
	free(l.keys);
	free(l.lens);
	return removed;
}

size_t
steering_table_sweep(struct steering_table *st, uint32_t seen)
{
	return sweep_table(st, &st->filings, seen) +
		sweep_table(st, &st->routes, seen);
}

int
steering_has_route(const struct steering_table *st, const uint8_t *name,
	size_t name_len)
{
	return name_table_lookup(&st->routes, name, name_len) != NULL;
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
