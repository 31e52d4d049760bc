/*
 * keyspace.h - from Redis keys to the steering table.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Whoever reads Redis (the module's sync thread, cnroutectl's explain and
 * check) hands every key it read here, with what the key held. The
 * keyspace judges it by the rules the module answers by, and writes the
 * result through a steering_writer:
 *  - a filing key that can't be read (not a hash, no status or an unknown
 *    one, too many fields, a public suffix) is an invalid filing: stored,
 *    so it ends the walk up the name, and never active;
 *  - a route key that can't be read is skipped: the name is not managed;
 *  - a key whose name can't be read is skipped;
 *  - several keys that spell one name ("example.com", "Example.com",
 *    "example.com.", "例子.中国" beside its A-labels) are one entry: a
 *    filing is active only if every spelling says active; of several
 *    routes the canonically spelt one is used, else the first key in
 *    byte order.
 * Each of those is reported once per change of the key (a full
 * reconciliation that reads an unchanged bad key again says nothing).
 *
 * Names with a single, canonically spelt key (nearly all) cost nothing
 * here: their value goes straight to the writer. The keyspace remembers
 * only the names that have another spelling, and the keys it reported.
 */
#ifndef CNROUTE_KEYSPACE_H
#define CNROUTE_KEYSPACE_H

#include <stddef.h>
#include <stdint.h>
#include "cnroute/keys.h"
#include "cnroute/name_table.h"
#include "cnroute/record.h"
#include "cnroute/steering.h"

/** What a report is about. */
enum keyspace_note {
	/** a key under the prefix whose name can't be read: skipped */
	KEYSPACE_BAD_NAME = 0,
	/** a filing key that can't be read: an invalid filing */
	KEYSPACE_BAD_FILING,
	/** a route key that can't be read: skipped, the name unmanaged */
	KEYSPACE_BAD_ROUTE,
	/** several keys for one name */
	KEYSPACE_SPELLINGS
};

/** A report of the keyspace. */
struct keyspace_report {
	/** what it is about */
	enum keyspace_note note;
	/** the bad key (not for KEYSPACE_SPELLINGS), any bytes */
	const char *key;
	/** its length */
	size_t key_len;
	/** the kind of the name (KEY_OTHER when the name can't be read) */
	enum key_kind kind;
	/** the canonical name the key(s) spell, or NULL */
	const uint8_t *name;
	/** its length */
	size_t name_len;
	/** the message, naming the key(s) and the reason */
	const char *message;
};

/** Receives a report. */
typedef void (*keyspace_report_fn)(void *ctx,
	const struct keyspace_report *report);

/** Keys reported as bad, so that an unchanged one is not reported again. */
struct key_memo {
	/** slots (open addressing), NULL until the first key */
	struct key_memo_entry *slots;
	/** capacity - 1 */
	size_t mask;
	/** entries */
	size_t count;
};

/** The keyspace: what is remembered between keys. */
struct keyspace {
	/** the key prefix */
	char *prefix;
	/** where reports go */
	keyspace_report_fn report;
	/** its argument */
	void *report_ctx;
	/** filing names with a non-canonical key: name -> spelling set */
	struct name_table filing_sets;
	/** route names with a non-canonical key: name -> spelling set */
	struct name_table route_sets;
	/** keys reported bad, with a fingerprint of what was reported */
	struct key_memo reported;
	/** generation of the running or last full reconciliation */
	uint32_t generation;
	/** 1 during a full reconciliation: collisions are reported at its
	 *  end, once all the keys of a name have been read */
	int in_full;
};

/**
 * Set up a keyspace.
 * @param prefix: the key prefix (copied).
 * @param report: where reports go (NULL: nowhere).
 * @return 0 or -1 when out of memory.
 */
int keyspace_init(struct keyspace *ks, const char *prefix,
	keyspace_report_fn report, void *report_ctx);

/** Free everything the keyspace remembers. */
void keyspace_free(struct keyspace *ks);

/**
 * Apply what one key held. Keys not under the prefix, and keys under it
 * that are neither filings nor routes, are ignored.
 * @param w: the writer, begun with the keyspace's generation as its
 *	seen mark (keyspace_full_begin gives it).
 * @param key: the key, any bytes.
 * @param shape: what the key held.
 * @param fields: its fields (shape RECORD_HASH), at most
 *	RECORD_FIELDS_MAX.
 * @return 0, or -1 when out of memory (logged by the caller).
 */
int keyspace_apply(struct keyspace *ks, struct steering_writer *w,
	const char *key, size_t key_len, enum record_shape shape,
	const struct record_field *fields, size_t count);

/**
 * A full reconciliation starts: every key will be applied again.
 * @param fresh: the writer builds a fresh table (the spellings are then
 *	learnt again from nothing).
 * @return the generation to begin the writer with.
 */
uint32_t keyspace_full_begin(struct keyspace *ks, int fresh);

/**
 * A full reconciliation read every key: forget the spellings and the
 * reports of keys it did not see (they vanished), updating the names they
 * belonged to through the writer.
 * @return 0 or -1 when out of memory.
 */
int keyspace_full_end(struct keyspace *ks, struct steering_writer *w);

/**
 * A full reconciliation failed half-way: its marks mean nothing (the
 * next one starts over). Spellings learnt meanwhile are kept only when
 * the writer was not fresh.
 */
void keyspace_full_abort(struct keyspace *ks, int fresh);

#endif /* CNROUTE_KEYSPACE_H */
