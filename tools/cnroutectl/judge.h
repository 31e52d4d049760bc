/*
 * judge.h - what Redis holds, judged the way the module judges it.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The module reads every key through its keyspace (cnroute/keyspace.h):
 * a filing that can't be read is an invalid filing (it ends the walk up
 * the name and is never active), a route that can't be read is skipped,
 * and several keys spelling one name are one entry (a filing is active
 * only if every spelling is). cnroutectl's explain, check and onboarding
 * gate hand what they read to the very same keyspace, writing a fresh
 * table of their own, so they see what the module sees instead of
 * judging keys one by one. A judge is one such pass, with the keyspace's
 * reports kept for the command to show.
 */
#ifndef CNROUTECTL_JUDGE_H
#define CNROUTECTL_JUDGE_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include "cnroute/keys.h"
#include "cnroute/keyspace.h"
#include "cnroute/record.h"
#include "cnroute/steering.h"

/** One report of the keyspace, as a judge keeps it. */
struct judge_report {
	/** what it is about */
	enum keyspace_note note;
	/** the key it is about (malloced, NUL added; it may hold any
	 *  bytes, see key_len): the bad key, or for a collision the
	 *  canonical key of the name */
	char *key;
	/** length of key */
	size_t key_len;
	/** the keyspace's message, naming the key(s) (malloced) */
	char *message;
};

/**
 * One pass of the keyspace over keys read from Redis, into a table.
 * A collision (a name written under several keys) is one report, filed
 * under the name's canonical key.
 */
struct judge {
	/** the module's keyspace */
	struct keyspace ks;
	/** the writer, fresh mode, into the caller's table */
	struct steering_writer w;
	/** 1 between judge_begin and judge_commit */
	int open;
	/** the reports, in the order they first came */
	struct judge_report *reports;
	/** number of reports */
	size_t count;
	/** room in reports */
	size_t capacity;
	/** filing names written under several keys: wire name -> 1 + index
	 *  of their report */
	struct name_table filing_spellings;
	/** the same for route names */
	struct name_table route_spellings;
};

/**
 * Start a pass: a fresh keyspace writing into st (which should be empty;
 * the commit replaces its content).
 * @param prefix: the key prefix of the configuration.
 * @return 0 or -1 when out of memory.
 */
int judge_begin(struct judge *j, const char *prefix, struct steering_table *st);

/**
 * Apply one key as the module applies it (keyspace_apply). Keys not
 * under the prefix, or neither filings nor routes, are ignored. Out of
 * memory ends the program, as everywhere in cnroutectl.
 * @param shape: what the key held.
 * @param fields: its fields (shape RECORD_HASH).
 */
void judge_apply(struct judge *j, const char *key, size_t key_len,
	enum record_shape shape, const struct record_field *fields,
	size_t count);

/** Apply one key given the reply Redis sent to HGETALL key (NULL counts
 *  as unreadable), read as the module's sync thread reads it. */
void judge_apply_reply(struct judge *j, const char *key, size_t key_len,
	const redisReply *reply);

/** End the pass: the table now holds what the module's would. */
void judge_commit(struct judge *j);

/**
 * Whether a name was reported as written under several keys.
 * @param kind: KEY_FILING or KEY_ROUTE.
 */
int judge_has_spellings(const struct judge *j, enum key_kind kind,
	const uint8_t *name, size_t name_len);

/** Free the keyspace and the reports (not the table). */
void judge_free(struct judge *j);

/**
 * The filing covering a rule's name in a judged table, as the module
 * walks up the name: the longest suffix with a filing of any status
 * (an invalid one included); a wildcard rule starts at its parent.
 * @param domain: out, DNAME_MAX_TEXT bytes, the filing's domain without
 *	the trailing dot ("" when none).
 * @return its status, FILING_NONE when none.
 */
enum filing_status judge_covering(const struct steering_table *st,
	const uint8_t *wire, size_t len, char *domain);

#endif /* CNROUTECTL_JUDGE_H */
