/*
 * sync_feed.h - reconcile the filings in Redis with a provider's full
 * export ("cnroutectl sync --feed").
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The plan is computed by a pure function (unit-tested) from the feed
 * and the filings currently in Redis:
 *  - a domain in the feed and not in Redis is added;
 *  - a domain in both whose status, number, entity or registrant differ
 *    is updated;
 *  - a feed row with status "cancelled" is written as "revoked";
 *  - an active filing whose domain is missing from the feed is revoked.
 * Revocations are the automated failover: they move mainland clients
 * offshore without anybody typing a command. So a plan that would revoke
 * more than a limit (--max-revoke; by default 10% of the active filings,
 * at least 5) is refused: a truncated export must not revoke the world.
 * The plan is applied in chunks, each one transaction with its own WATCH,
 * and each item is re-checked under that WATCH against the filing the
 * plan was computed from: one changed since is skipped, never overwritten.
 */
#ifndef CNROUTECTL_SYNC_FEED_H
#define CNROUTECTL_SYNC_FEED_H

#include <stddef.h>
#include "cli.h"

/** One filing of the feed, validated. */
struct feed_entry {
	/** canonical domain */
	char *domain;
	/** status, icp, entity[, registrant] (status never "cancelled") */
	struct kvlist fields;
	/** 1 when the feed listed it as cancelled */
	int cancelled;
	/** line in the feed */
	int line;
};

/** A filing in Redis. */
struct current_filing {
	/** canonical domain */
	char *domain;
	/** the hash */
	struct kvlist hash;
};

/** What to do with one domain. */
enum plan_kind {
	/** write a new filing */
	PLAN_ADD,
	/** change an existing filing */
	PLAN_UPDATE,
	/** set an active filing to revoked */
	PLAN_REVOKE
};

/** What became of one change when the plan was applied. */
enum plan_state {
	/** not written (dry run, refused, or an earlier chunk failed) */
	PLAN_PENDING,
	/** written */
	PLAN_APPLIED,
	/** the filing changed after the plan was made: left alone */
	PLAN_SKIPPED
};

/** One change of the plan. */
struct plan_item {
	/** what */
	enum plan_kind kind;
	/** the domain (malloced) */
	char *domain;
	/** fields to set over the current hash (MERGE) */
	struct kvlist fields;
	/** why, for people (static text) */
	const char *reason;
	/** the filing the plan was computed from (empty for an add) */
	struct kvlist seen;
	/** 1 when the filing existed as a hash then */
	int seen_exists;
	/** what happened when applying */
	enum plan_state state;
};

/** The plan. */
struct sync_plan {
	/** the changes, adds first, then updates, then revocations */
	struct plan_item *items;
	/** number of changes */
	size_t count;
	/** feed entries that match Redis already */
	size_t unchanged;
};

/**
 * Compute the plan.
 * @param feed: validated feed entries (domains unique).
 * @param cur: filings in Redis.
 * @return 0.
 */
int sync_plan_compute(const struct feed_entry *feed, size_t nfeed,
	const struct current_filing *cur, size_t ncur, struct sync_plan *plan);

/** Free a plan. */
void sync_plan_free(struct sync_plan *plan);

/** Count the items of a kind. */
size_t sync_plan_count(const struct sync_plan *plan, enum plan_kind kind);

/**
 * The changes that take an active filing out of service: revocations, and
 * updates to another status (a feed saying "pending"). These are what the
 * revocation limit counts.
 */
size_t sync_plan_deactivations(const struct sync_plan *plan);

/** Count the items in a state. */
size_t sync_plan_count_state(const struct sync_plan *plan,
	enum plan_state state);

/** The default revocation limit: 10% of the active filings, at least
 *  this many. */
#define SYNC_REVOKE_MIN 5

/**
 * The most revocations a sync may make.
 * @param spec: --max-revoke as given ("N" or "N%"), or NULL for the
 *	default (10% of active, at least SYNC_REVOKE_MIN).
 * @param active: active filings in Redis now.
 * @param limit: out.
 * @return 0, or -1 when spec is not a number or a percentage (0-100).
 */
int sync_revoke_limit(const char *spec, size_t active, size_t *limit);

/**
 * Whether a plan item may still be written: the filing read now (under
 * WATCH) is the one the plan was computed from.
 * @param now: the hash read now.
 * @param exists: 1 when the key is a hash now.
 * @return 1 if unchanged since the plan, 0 if someone changed it.
 */
int sync_item_still_current(const struct plan_item *item,
	const struct kvlist *now, int exists);

#endif /* CNROUTECTL_SYNC_FEED_H */
