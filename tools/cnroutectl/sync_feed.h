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
 * offshore without anybody typing a command.
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

#endif /* CNROUTECTL_SYNC_FEED_H */
