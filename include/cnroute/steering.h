/*
 * steering.h - the steering table and the decision every answer follows.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The steering table holds every filing and every route, keyed by
 * canonical name. One writer (the Redis sync thread, or the CLI filling a
 * table of its own) changes it; many readers (the resolver's workers)
 * decide from it. Readers hold a read lock only while they look up and
 * copy the chosen pool out; the writer prepares every entry (parsing,
 * allocation, table growth) outside the lock and takes the write lock only
 * to store pointers. Nothing in here knows about Unbound, so the module
 * and cnroutectl decide with the very same code.
 */
#ifndef CNROUTE_STEERING_H
#define CNROUTE_STEERING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "cnroute/name_table.h"
#include "cnroute/record.h"

/** DNS types the decision cares about. */
#define STEER_TYPE_A 1
#define STEER_TYPE_CNAME 5
#define STEER_TYPE_AAAA 28

/** All filings and routes. */
struct steering_table {
	/** guards the two tables against the writer */
	pthread_rwlock_t lock;
	/** canonical domain -> enum filing_status, stored in the pointer as
	 *  (void *)(uintptr_t)status; FILING_NONE is never stored, so NULL
	 *  means no filing */
	struct name_table filings;
	/** canonical name (possibly "*.parent") -> struct route* */
	struct name_table routes;
	/** changes so far, in the low 32 bits, under an id unique to this
	 *  table in the high 32: a decision remembered at one version holds
	 *  as long as the version has not moved (see steering_cache).
	 *  Written under the write lock after each change. */
	_Atomic uint64_t version;
	/** 1 once a complete load has been committed (see
	 *  steering_table_set_loaded): until then the table holds nothing,
	 *  which is not the same as "no name is managed" */
	atomic_int loaded;
};

/** What to do with a query. */
enum steering_action {
	/** no rule matches: resolve normally */
	STEER_UNMANAGED = 0,
	/** managed name, but this query resolves normally: a type the rule
	 *  does not answer, or an empty pool. The answer must not be cached
	 *  when region_dependent. */
	STEER_RESOLVE,
	/** answer with the addresses in the decision */
	STEER_ADDRESSES,
	/** answer with a CNAME to decision.cname and resolve it */
	STEER_CNAME
};

/** Which pool a decision chose. */
enum steering_pool {
	/** no pool (unmanaged) */
	STEER_POOL_NONE = 0,
	/** the in-China pool */
	STEER_POOL_CN,
	/** the offshore pool */
	STEER_POOL_OFFSHORE
};

/**
 * The outcome of steering_table_decide, with enough detail for
 * "cnroutectl explain". Arrays point into memory from the caller's
 * allocator, so they stay valid after the read lock is released.
 */
struct steering_decision {
	/** what to do */
	enum steering_action action;
	/** the pool chosen */
	enum steering_pool pool;
	/** whether the answer depends on the client's region (CN pool not
	 *  empty and filing active); decides the ECS scope */
	int region_dependent;
	/** region answer given by the callback: 1 mainland, 0 not, -1 not
	 *  asked (the answer did not depend on it) */
	int mainland;
	/** the matched rule's name (canonical wire), or NULL */
	uint8_t *rule_name;
	/** 1 when the rule matched is a wildcard */
	int rule_wildcard;
	/** the covering filing's domain (canonical wire), or NULL */
	uint8_t *filing_name;
	/** the covering filing's status (FILING_NONE without one) */
	enum filing_status filing;
	/** steering_table_answer_alias: the covering filing's status of the
	 *  name the client asked (the alias); FILING_ACTIVE otherwise */
	enum filing_status alias_filing;
	/** TTL to answer with (rule ttl capped, or the cap) */
	uint32_t ttl;
	/** number of addresses of the asked type (STEER_ADDRESSES) */
	uint16_t addr_count;
	/** address length: 4 (A) or 16 (AAAA) */
	uint8_t addr_len;
	/** addr_count addresses of addr_len bytes */
	uint8_t *addrs;
	/** CNAME target, canonical wire (STEER_CNAME) */
	uint8_t *cname;
	/** length of cname */
	size_t cname_len;
	/** STEER_CNAME: 1 when the table the decision was made from has no
	 *  rule for cname (exact or wildcard), so a chain following it need
	 *  not decide it again: it is an unmanaged name */
	int cname_unmanaged;
	/** STEER_CNAME from a decision cache's entry: a word the caller may
	 *  keep there about cname (what it derives from the target alone,
	 *  e.g. a hash of its own), 0 until the caller sets it, cleared
	 *  whenever the entry is refilled. Valid only until the next call
	 *  on that cache. NULL otherwise. */
	uint32_t *cname_memo;
};

/** Allocator used to copy decision data out of the table. */
typedef void *(*steering_alloc_fn)(void *ctx, size_t size);

/**
 * Region callback: called at most once per decision, under the read lock,
 * only when the answer depends on the region. It must not block.
 * @return 1 mainland, 0 not mainland (unknown counts as not mainland).
 */
typedef int (*steering_region_fn)(void *ctx);

/** Set up an empty table. @return 0 or -1. */
int steering_table_init(struct steering_table *st);

/** Free everything in the table. */
void steering_table_destroy(struct steering_table *st);

/**
 * Decide the answer for a query. Takes the read lock.
 * @param st: the table.
 * @param qname: canonical wire name of the query.
 * @param qname_len: its length.
 * @param qtype: the query type.
 * @param ttl_max: cap on the TTL.
 * @param region: region callback (see steering_region_fn); NULL counts
 *	as "not mainland".
 * @param region_ctx: its argument.
 * @param alloc: allocator for the decision's arrays.
 * @param alloc_ctx: its argument.
 * @param d: out.
 * @return 0, or -1 when alloc failed. The decision is then the fail-closed
 *	one: action STEER_RESOLVE, pool STEER_POOL_OFFSHORE, region_dependent
 *	0, mainland -1, no names or arrays; the caller answers by resolving
 *	normally (never with the CN pool) and must not cache the answer.
 *	Unmanaged names (action STEER_UNMANAGED) do not look filings up:
 *	filing and filing_name are only filled for managed names.
 */
int steering_table_decide(struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d);

/**
 * The same decision as steering_table_decide without the rule_name and
 * filing_name copies (left NULL): what the resolver calls per query, since
 * only cnroutectl explain shows those names. Same parameters and return.
 */
int steering_table_answer(struct steering_table *st, const uint8_t *qname,
	size_t qname_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d);

/**
 * The decision for a managed name reached through a CNAME chain from the
 * name the client asked (the alias): the same as steering_table_answer
 * for name, with one more condition for the CN pool: the covering filing
 * of the alias must be active too. A CDN in China serves a host name only
 * if that name itself is filed, so an unfiled alias never gets the CN
 * pool, whatever the name it points at. Both filings are read under one
 * read lock. d->alias_filing tells the alias's filing.
 */
int steering_table_answer_alias(struct steering_table *st,
	const uint8_t *alias, size_t alias_len, const uint8_t *name,
	size_t name_len, uint16_t qtype, uint32_t ttl_max,
	steering_region_fn region, void *region_ctx,
	steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d);

/**
 * Whether a rule (exact, or the wildcard of an ancestor) matches a name:
 * answers for it are cnroute's to decide, never an upstream server's.
 * Takes the read lock.
 */
int steering_table_is_managed(struct steering_table *st,
	const uint8_t *name, size_t name_len);

/** Whether a complete load has been committed (lock-free). */
int steering_table_is_loaded(struct steering_table *st);

/** Record that a complete load has been committed. */
void steering_table_set_loaded(struct steering_table *st);

/** Sets of a decision cache (a power of two); each has two entries. */
#define STEERING_CACHE_SETS 8192
/** Longest query name a cache entry holds. */
#define STEERING_CACHE_NAME_MAX 48
/** Bytes a cache entry holds for the answers of both pools together
 *  (addresses, or a CNAME pool's target), e.g. 8 IPv4 addresses each,
 *  or a target of 40 bytes and 6 addresses. */
#define STEERING_CACHE_DATA_BYTES 64

/**
 * One remembered decision: for a name and type (A or AAAA) at a table
 * version, the answer of each pool, so that it serves mainland and other
 * clients alike. Filled under the read lock by steering_table_answer_cached.
 */
struct steering_cache_entry {
	/** the table's version when filled (0: empty) */
	uint64_t version;
	/** steering_cache_hash of name */
	uint32_t hash;
	/** ttl of the rule, valid when has_ttl */
	uint32_t ttl;
	/** the query type */
	uint16_t qtype;
	/** length of name */
	uint8_t name_len;
	/** whether the rule has a ttl */
	uint8_t has_ttl;
	/** region_dependent of the decision */
	uint8_t region_dependent;
	/** the covering filing's status */
	uint8_t filing;
	/** 1 when a wildcard rule matched */
	uint8_t rule_wildcard;
	/** address length: 4 or 16 */
	uint8_t addr_len;
	/** per pool (0 the CN pool, 1 the offshore pool): enum steering_action */
	uint8_t action[2];
	/** per pool: bytes of its answer in data (addresses, or the CNAME
	 *  target), the CN pool's first */
	uint8_t len[2];
	/** per pool: for a CNAME pool, 1 when the table has no rule for its
	 *  target (steering_decision.cname_unmanaged) */
	uint8_t target_unmanaged[2];
	/** per pool: the caller's word about a CNAME pool's target
	 *  (steering_decision.cname_memo) */
	uint32_t target_memo[2];
	/** the query name, canonical wire */
	uint8_t name[STEERING_CACHE_NAME_MAX];
	/** the pools' answers: len[0] bytes of the CN pool's, then len[1]
	 *  of the offshore pool's */
	uint8_t data[STEERING_CACHE_DATA_BYTES];
};

/**
 * A cache of decisions for one thread (it has no lock), two-way set
 * associative by name hash. A hit answers from memory that thread touched
 * recently, instead of the table's slots, keys and routes, which at 10^5
 * entries and more are each a trip to main memory. Every change to the
 * table moves its version, and an entry is used only at the version it
 * was filled at, so a hit never answers from data the table no longer
 * holds; after a change the entries refill on their next miss. Only
 * A and AAAA queries answered by an address or CNAME pool are remembered
 * (a CNAME pool's with whether its target is managed, which a chain
 * would otherwise decide again); anything else goes to the table every
 * time. Entries are found by a hash of the name's bytes, cheaper than
 * the label-by-label hashes the table needs, which only a miss computes.
 * Zero-initialised memory is an empty cache (about 2.5 MB).
 */
struct steering_cache {
	/** the sets, two entries each, the most recently filled first */
	struct steering_cache_entry sets[STEERING_CACHE_SETS][2];
	/** decisions answered from the cache, and decided from the table
	 *  (the owning thread's; the module publishes them as metrics) */
	uint64_t hits, misses;
};

/**
 * steering_table_answer through a decision cache: the same decision, and
 * the region callback asked in the same cases, from the cache when the
 * name and type were decided at the table's current version.
 */
int steering_table_answer_cached(struct steering_table *st,
	struct steering_cache *cache, const uint8_t *qname, size_t qname_len,
	uint16_t qtype, uint32_t ttl_max, steering_region_fn region,
	void *region_ctx, steering_alloc_fn alloc, void *alloc_ctx,
	struct steering_decision *d);

/*
 * Writer side. Only one thread may call these at a time.
 *
 * A load or a batch of changes is prepared by a steering_writer with no
 * lock held and made visible by steering_writer_commit under one write
 * lock: readers see all of it or none of it, never a sub-filing missing
 * while its parent is present. The single-entry functions further down
 * (steering_set_filing, ...) commit one change each; the CLI and tests
 * use them on tables of their own.
 */

/** One change waiting in a steering_writer. */
struct steering_change {
	/** 'f' for a filing, 'r' for a route */
	char kind;
	/** the canonical wire name, malloced */
	uint8_t *name;
	/** length of name */
	size_t name_len;
	/** a filing's new status (FILING_NONE removes it) */
	enum filing_status status;
	/** a route's new value, owned (NULL removes it) */
	struct route *route;
};

/**
 * Changes to a table, prepared by its single writer. Two modes:
 *  - fresh: a private table is built from nothing and replaces the whole
 *    content of the live one at commit (a first load: no lookups of the
 *    live table, no list of changes);
 *  - incremental: a list of changes to the live table, in order, with an
 *    index of the names changed so the writer sees its own pending
 *    values (steering_writer_filing, steering_writer_route).
 * A full reconciliation marks what it sees with a generation, and
 * steering_writer_sweep adds the removal of every entry not seen.
 */
struct steering_writer {
	/** the table readers use */
	struct steering_table *live;
	/** fresh mode: the table being built, else NULL */
	struct steering_table *fresh;
	/** incremental mode: the changes, in order */
	struct steering_change *changes;
	/** number of changes */
	size_t count;
	/** room in changes */
	size_t capacity;
	/** incremental mode: filing name -> 1 + index of its last change */
	struct name_table pending_filings;
	/** incremental mode: route name -> 1 + index of its last change */
	struct name_table pending_routes;
	/** generation entries are marked with */
	uint32_t seen;
};

/**
 * Start a batch of changes.
 * @param fresh: build a new table instead of changing the live one.
 * @param seen: generation to mark entries with.
 * @return 0 or -1 when out of memory.
 */
int steering_writer_begin(struct steering_writer *w,
	struct steering_table *live, int fresh, uint32_t seen);

/** A filing's status as it will be after commit (writer thread only). */
enum filing_status steering_writer_filing(struct steering_writer *w,
	const uint8_t *name, size_t name_len);

/** A route as it will be after commit, or NULL (writer thread only). */
const struct route *steering_writer_route(struct steering_writer *w,
	const uint8_t *name, size_t name_len);

/**
 * Set a filing's status (FILING_NONE removes it). Setting what it
 * already is changes nothing but the entry's generation.
 * @return 1 if a change was queued, 0 if none was needed, -1 out of memory.
 */
int steering_writer_set_filing(struct steering_writer *w,
	const uint8_t *name, size_t name_len, enum filing_status status);

/**
 * Set a route (NULL removes it); takes ownership of route, which is
 * freed at once when it equals the current one.
 * @return 1 if a change was queued, 0 if none was needed, -1 out of memory.
 */
int steering_writer_set_route(struct steering_writer *w,
	const uint8_t *name, size_t name_len, struct route *route);

/**
 * Queue the removal of every entry of the live table not marked with the
 * writer's generation (their keys vanished from Redis). Incremental mode
 * only; a fresh table holds only what was set.
 * @return the number of removals queued, or -1 when out of memory.
 */
long steering_writer_sweep(struct steering_writer *w);

/** Callback of steering_writer_commit, once, with the names that had no
 *  route and have one after the commit (canonical wire names). */
typedef void (*steering_routes_added_fn)(void *ctx,
	const uint8_t *const *names, const size_t *lens, size_t count);

/**
 * Make every change visible at once and end the batch (the writer may
 * begin another).
 * @param routes_added: called after the commit when names gained a route
 *	(never in fresh mode, which replaces the whole table: the caller
 *	knows a whole load happened), may be NULL.
 * @return the number of changes applied, or -1 when out of memory (the
 *	batch is then dropped and the live table left as it was).
 */
long steering_writer_commit(struct steering_writer *w,
	steering_routes_added_fn routes_added, void *ctx);

/** Drop the batch without applying it. */
void steering_writer_abort(struct steering_writer *w);

/**
 * Insert or replace a filing. FILING_NONE removes the filing instead
 * (same return values as steering_del_filing).
 * @param seen: sync generation (see steering_table_sweep).
 * @return 1 if the table changed, 0 if it held the same, -1 out of memory.
 */
int steering_set_filing(struct steering_table *st, const uint8_t *name,
	size_t name_len, enum filing_status status, uint32_t seen);

/** Remove a filing. @return 1 if it was there, else 0. */
int steering_del_filing(struct steering_table *st, const uint8_t *name,
	size_t name_len);

/**
 * Insert or replace a route. The table takes ownership of route (freed
 * at once when it equals the one in place).
 * @return 1 changed, 0 same, -1 out of memory (route freed).
 */
int steering_set_route(struct steering_table *st, const uint8_t *name,
	size_t name_len, struct route *route, uint32_t seen);

/** Remove a route. @return 1 if it was there, else 0. */
int steering_del_route(struct steering_table *st, const uint8_t *name,
	size_t name_len);

/** Number of filings and routes, read by the writer or under the lock. */
void steering_table_counts(struct steering_table *st, size_t *filings,
	size_t *routes);

#endif /* CNROUTE_STEERING_H */
