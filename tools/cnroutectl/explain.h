/*
 * explain.h - a private steering table holding only what decides one
 * name, read from Redis; used by "explain" and "probe".
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The decision for a name depends on its exact rule, the wildcard rules
 * of its ancestors and the filings of the name and its ancestors, and
 * nothing else. Loading just those keys (one pipeline) into a
 * steering_table and calling steering_table_decide gives the answer the
 * module would give with the same data, by the same code.
 */
#ifndef CNROUTECTL_EXPLAIN_H
#define CNROUTECTL_EXPLAIN_H

#include <stddef.h>
#include "cnroute/steering.h"
#include "redis_store.h"

/** The table for one name, and what the module would skip of it. */
struct explain_table {
	/** filings and routes that matter to the name */
	struct steering_table st;
	/** messages about records the module would skip (malloced) */
	char **skipped;
	/** number of messages */
	size_t nskipped;
};

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
 * Load the table of a name from Redis (t set up by explain_table_init).
 * @return CLI_OK or CLI_REDIS (err set).
 */
int explain_table_load(struct store *s, const char *name,
	struct explain_table *t, char *err);

/** Free the table. */
void explain_table_free(struct explain_table *t);

/**
 * Load a table from hashes already read (unit tests, check).
 * @param kinds: 'f' filing or 'r' route per entry.
 */
void explain_table_fill(struct explain_table *t, char *const *names,
	const char *kinds, const struct kvlist *hashes,
	const enum key_state *states, size_t n);

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

#endif /* CNROUTECTL_EXPLAIN_H */
