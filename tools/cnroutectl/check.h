/*
 * check.h - "cnroutectl check" over keys already read, so that its
 * findings can be tested without Redis.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * cmd_check SCANs the key names into run.keys, then fetches them in
 * batches and hands each to check_run_key; check_run_finish adds the
 * findings that need every key (the keyspace's reports, non-canonical
 * keys, routes against their covering filing) and sorts them by key.
 */
#ifndef CNROUTECTL_CHECK_H
#define CNROUTECTL_CHECK_H

#include <stddef.h>
#include "cnroute/record.h"
#include "cnroute/steering.h"
#include "judge.h"
#include "redis_store.h"

/** One finding. */
struct finding {
	/** "error" or "warning" (static) */
	const char *severity;
	/** what kind of finding (static): skipped, invalid-filing,
	 *  spellings, not-canonical, name, icp, registrant,
	 *  served-offshore */
	const char *kind;
	/** the key it is about, printable (malloced) */
	char *key;
	/** the message (malloced) */
	char *message;
	/** order of arrival, so sorting keeps it within a key */
	size_t seq;
};

/** One run of check: what it read and what it found. */
struct check_run {
	/** the key prefix (not owned) */
	const char *prefix;
	/** every filing and route key, byte order (filled by the caller,
	 *  freed by check_run_free) */
	struct keylist keys;
	/** per key: 1 when it held something when fetched */
	unsigned char *present;
	/** the table the keyspace builds */
	struct steering_table st;
	/** the keyspace pass */
	struct judge j;
	/** the findings */
	struct finding *f;
	/** number of findings */
	size_t nf;
	/** room in f */
	size_t cap;
	/** filing keys present */
	size_t filings;
	/** route keys present */
	size_t routes;
};

/**
 * Set up a run (keys empty).
 * @return 0 or -1 when out of memory.
 */
int check_run_init(struct check_run *r, const char *prefix);

/**
 * Judge key i of r->keys (every key is in r->keys already; call in
 * byte order, i = 0, 1, ...)
 * through the keyspace, and check what only check looks at (filing
 * numbers, registrants, names cnroutectl would not write).
 * @param shape: what the key held.
 * @param fields: its fields (shape RECORD_HASH).
 */
void check_run_key(struct check_run *r, size_t i, enum record_shape shape,
	const struct record_field *fields, size_t count);

/** Every key was given: add the findings that need them all, sort. */
void check_run_finish(struct check_run *r);

/** Free what a run holds (its keys included). */
void check_run_free(struct check_run *r);

/**
 * A key as findings name it: control bytes as '?'.
 * @param out: size bytes, NUL-terminated (longer keys are cut).
 */
void check_key_printable(const char *key, size_t len, char *out,
	size_t size);

#endif /* CNROUTECTL_CHECK_H */
