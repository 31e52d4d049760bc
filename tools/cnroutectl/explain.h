/*
 * explain.h - a private steering table holding only what decides one
 * name, read from Redis; used by "explain" and "probe".
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The decision for a name depends on its exact rule, the wildcard rules
 * of its ancestors and the filings of the name and its ancestors, and
 * nothing else: but each of those may be written under several keys
 * ("Example.com", "example.com.", "例子.中国" beside its A-labels), all of
 * which the module reads. So every key name under the prefix is read once
 * (SCAN, names only), the keys spelling one of those names are fetched
 * (one pipeline), and they go through the module's keyspace into a
 * steering_table (judge.h); steering_table_decide on it gives the answer
 * the module would give with the same data, by the same code.
 */
#ifndef CNROUTECTL_EXPLAIN_H
#define CNROUTECTL_EXPLAIN_H

#include <stddef.h>
#include "cnroute/conf.h"
#include "cnroute/geoip.h"
#include "cnroute/name_table.h"
#include "cnroute/steering.h"
#include "judge.h"
#include "netaddr.h"
#include "redis_store.h"

/** The table for one name, and what the module reports about its keys. */
struct explain_table {
	/** filings and routes that matter to the name */
	struct steering_table st;
	/** the keyspace's reports on those keys (invalid filings, skipped
	 *  routes, names written under several keys), malloced */
	char **skipped;
	/** number of messages */
	size_t nskipped;
};

/** The names whose keys decide one name, as canonical wire names. */
struct explain_want {
	/** the key prefix */
	const char *prefix;
	/** the name and each ancestor (filings) */
	struct name_table filings;
	/** the name, "*." + each proper ancestor, and "*" (routes) */
	struct name_table routes;
};

/**
 * Set up the names that decide a (canonical, not wildcard) name.
 * @return 0 or -1 when out of memory.
 */
int explain_want_init(struct explain_want *w, const char *prefix,
	const char *name);

/**
 * Whether a key, in any spelling, is one of the wanted filings or routes
 * (a store_keep_fn over a struct explain_want).
 */
int explain_want_key(void *want, const char *key, size_t len);

/** Free the names. */
void explain_want_free(struct explain_want *w);

/**
 * The rule names and filing domains that matter to a (canonical, not
 * wildcard) name: the name, "*." + each proper ancestor and "*" for
 * routes; the name and each ancestor for filings.
 * @param routes: out, malloced names (strv_free).
 * @param filings: out, malloced names (strv_free).
 */
void explain_names(const char *name, char ***routes, size_t *nroutes,
	char ***filings, size_t *nfilings);

/** Set up an empty table. @return 0 or -1. */
int explain_table_init(struct explain_table *t);

/**
 * Load the table of a name from Redis (t set up by explain_table_init):
 * SCAN every key name under the prefix, fetch those that spell a wanted
 * name, judge them through the keyspace.
 * @return CLI_OK or CLI_REDIS (err set).
 */
int explain_table_load(struct store *s, const char *name,
	struct explain_table *t, char *err);

/** Free the table. */
void explain_table_free(struct explain_table *t);

/**
 * Keep the reports of a judge that filled t, in order (explain_table_load
 * and the unit tests).
 */
void explain_table_take_reports(struct explain_table *t,
	const struct judge *j);

/** Allocations of one decision (steering_table_decide's copies), freed
 *  together. Start from { { 0 }, 0 }. */
struct decision_arena {
	/** the blocks */
	void *blocks[16];
	/** how many */
	size_t n;
};

/** steering_alloc_fn over a decision_arena (ctx). */
void *decision_arena_alloc(void *ctx, size_t size);

/** Free an arena's blocks. */
void decision_arena_free(struct decision_arena *a);

/** The client, as the region callback sees it. */
struct region_ctx {
	/** the configuration (mainland countries) */
	const struct cnroute_conf *conf;
	/** the GeoIP database */
	const struct geoip *geoip;
	/** the client given */
	struct client_subnet client;
	/** 1 when the client is an ECS subnet the module would use */
	int ecs;
	/** out: 1 when the callback was called */
	int called;
	/** out: the scope the module would send (callback's GeoIP prefix) */
	int scope;
};

/**
 * The region callback (a steering_region_fn over a struct region_ctx):
 * cnroute_locate_client without Unbound. Used by explain and fleet wait.
 */
int explain_region(void *arg);

#endif /* CNROUTECTL_EXPLAIN_H */
