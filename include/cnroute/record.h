/*
 * record.h - filings and steering rules, parsed from their Redis hashes.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Redis holds text; the resolver answers with wire-format records. All the
 * text parsing happens here, once, when a record changes, so that the
 * query path only copies prepared bytes. The parsers read untrusted input
 * (anyone who can write to Redis) and reject anything malformed with a
 * message naming the field at fault; a rejected record is skipped by the
 * caller, never half-applied.
 */
#ifndef CNROUTE_RECORD_H
#define CNROUTE_RECORD_H

#include <stddef.h>
#include <stdint.h>

/** Size of the error buffer the parsers write into. */
#define RECORD_ERR_MAX 256

/** Status of a filing. Only FILING_ACTIVE lets mainland clients get CN. */
enum filing_status {
	/** no filing covers the name */
	FILING_NONE = 0,
	/** filed and in force */
	FILING_ACTIVE,
	/** revoked by the authority or by our feed */
	FILING_REVOKED,
	/** cancelled (site, entity or access) */
	FILING_CANCELLED,
	/** applied for, not granted yet */
	FILING_PENDING,
	/** a filing key that can't be read (not a hash, a missing or
	 *  unknown status, a public suffix): it ends the walk up the name
	 *  like any filing, and is not active. Never written to Redis. */
	FILING_INVALID
};

/** Most addresses of one family a pool may hold. Longer pools are bad
 *  records: a reply must fit a client's buffer, and the query path copies
 *  the pool under the table's read lock. */
#define POOL_MAX_ADDRS 32

/** What a pool answers with. */
enum pool_kind {
	/** no addresses and no CNAME: the pool is empty */
	POOL_EMPTY = 0,
	/** a list of IPv4 and/or IPv6 addresses */
	POOL_ADDRESSES,
	/** one CNAME target, resolved by the resolver */
	POOL_CNAME
};

/** One pool of a steering rule (the CN pool or the offshore pool). */
struct pool {
	/** what the pool holds */
	enum pool_kind kind;
	/** number of IPv4 addresses */
	uint16_t v4_count;
	/** number of IPv6 addresses */
	uint16_t v6_count;
	/** v4_count addresses of 4 bytes, network order */
	uint8_t *v4;
	/** v6_count addresses of 16 bytes */
	uint8_t *v6;
	/** canonical wire-format CNAME target (POOL_CNAME), else NULL */
	uint8_t *cname;
	/** length of cname */
	size_t cname_len;
};

/** A steering rule, the parsed form of hash <prefix>route:<name>. */
struct route {
	/** pool for mainland clients of a name with an active filing */
	struct pool cn;
	/** pool for everyone else */
	struct pool offshore;
	/** answer TTL from the rule, valid when has_ttl */
	uint32_t ttl;
	/** whether the rule has a ttl field */
	int has_ttl;
	/** 1 when the pools' arrays live in the route's own allocation
	 *  (route_parse_new), 0 when each was malloced (route_parse) */
	int packed;
};

/** Field/value pair of a Redis hash, as read by HGETALL. */
struct record_field {
	/** field name */
	const char *name;
	/** length of name */
	size_t name_len;
	/** value */
	const char *value;
	/** length of value */
	size_t value_len;
};

/**
 * Parse a filing status word ("active", "revoked", "cancelled",
 * "pending"); case-insensitive, surrounding blanks ignored.
 * @return 0 and *status, or -1 for an unknown word.
 */
int filing_status_parse(const char *text, size_t len,
	enum filing_status *status);

/** The lower-case word for a status ("none" for FILING_NONE, "invalid"
 *  for FILING_INVALID). */
const char *filing_status_name(enum filing_status status);

/**
 * The status of a filing name written under several keys (spellings such
 * as "Example.com" beside "example.com"): active only if every spelling is
 * active. FILING_NONE (no key) changes nothing; otherwise the stricter of
 * the two wins: invalid, then revoked, cancelled, pending, active.
 */
enum filing_status filing_merge(enum filing_status a, enum filing_status b);

/** Most fields a filing or route hash may have; a hash with more is a
 *  bad record (they hold a handful: status, icp, entity, ...). */
#define RECORD_FIELDS_MAX 32

/** What a key held when it was read. */
enum record_shape {
	/** no such key (deleted, expired, or an empty hash) */
	RECORD_MISSING = 0,
	/** a hash, given as its fields */
	RECORD_HASH,
	/** a key of another type (a string written with SET, a list...) */
	RECORD_NOT_HASH,
	/** a hash with more than RECORD_FIELDS_MAX fields */
	RECORD_TOO_MANY_FIELDS,
	/** a reply that is not what Redis sends for a hash or an error */
	RECORD_UNREADABLE
};

/**
 * Judge a filing key as the module does; cnroutectl judges with the same
 * function, so explain, check and the onboarding gate agree with it.
 * @param name: the filing's canonical wire name (a public suffix is an
 *	invalid filing).
 * @param shape: what the key held.
 * @param fields: the hash's fields (shape RECORD_HASH).
 * @param count: their number.
 * @param err: out, why the filing is invalid (RECORD_ERR_MAX bytes).
 * @return FILING_NONE for a missing key, FILING_INVALID with err set, or
 *	the status.
 */
enum filing_status filing_judge(const uint8_t *name,
	enum record_shape shape, const struct record_field *fields,
	size_t count, char *err);

/**
 * Parse a filing hash. Only the status matters to the answer; the other
 * fields (icp, entity, registrant, updated) are ignored here.
 * @param fields: the hash's fields.
 * @param count: number of fields.
 * @param status: out.
 * @param err: out, message of at most RECORD_ERR_MAX bytes on failure.
 * @return 0 or -1 (missing or unknown status).
 */
int filing_parse(const struct record_field *fields, size_t count,
	enum filing_status *status, char *err);

/**
 * Parse one pool value: "" (empty), a comma-separated list of IPv4/IPv6
 * addresses (blanks around items allowed), or one absolute name ending in
 * a dot (a CNAME target).
 * @param text: the value.
 * @param len: its length.
 * @param pool: out; on success its arrays are malloced (pool_free).
 * @param err: out, message on failure.
 * @return 0 or -1.
 */
int pool_parse(const char *text, size_t len, struct pool *pool, char *err);

/** Free the arrays of a pool (not the pool itself). */
void pool_free(struct pool *pool);

/**
 * Parse a route hash: fields cn, offshore (both optional, absent means
 * empty) and ttl (optional, decimal seconds 0..2147483647).
 * Unknown fields are ignored (room for metadata such as a note).
 * @param route: out; free with route_free.
 * @return 0 or -1 with err set (naming the field).
 */
int route_parse(const struct record_field *fields, size_t count,
	struct route *route, char *err);

/**
 * Parse a route hash into one allocation: the route followed by its
 * pools' addresses and CNAME targets. The query path reads a route right
 * after finding it; one block means one or two cache lines to load
 * instead of up to five scattered allocations.
 * @return the route (free with route_free), or NULL with err set
 *	(a bad field as for route_parse, or out of memory).
 */
struct route *route_parse_new(const struct record_field *fields,
	size_t count, char *err);

/**
 * Copy a route into one allocation (as route_parse_new builds them).
 * @return the copy (free with route_free), or NULL when out of memory or
 *	route is NULL.
 */
struct route *route_clone(const struct route *route);

/** Allocate an empty route. NULL when out of memory. */
struct route *route_new(void);

/** Free a route from route_new or route_parse_new (and its pools). */
void route_free(struct route *route);

/** 1 if two routes answer identically, else 0. */
int route_equal(const struct route *a, const struct route *b);

#endif /* CNROUTE_RECORD_H */
