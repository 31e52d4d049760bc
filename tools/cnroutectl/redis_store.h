/*
 * redis_store.h - cnroutectl's reads and writes of Redis.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every change a command makes goes through store_apply: the keys are
 * WATCHed, read, the new values computed and checked (the onboarding gate
 * runs here, on the values read under WATCH), then everything is written
 * in one MULTI/EXEC together with one audit entry per key (XADD to
 * <prefix>audit). A concurrent change to a watched key makes EXEC fail
 * and the whole thing is redone, so a command never acts on a value that
 * changed under it, and a batch is applied completely or not at all.
 */
#ifndef CNROUTECTL_REDIS_STORE_H
#define CNROUTECTL_REDIS_STORE_H

#include <stddef.h>
#include <hiredis/hiredis.h>
#include "cli.h"
#include "cnroute/conf.h"

/** Size of the error buffer. */
#define STORE_ERR_MAX 512

/** A connection. */
struct store {
	/** the hiredis connection, to the primary */
	redisContext *rc;
	/** the configuration (where the primary is, AUTH, SELECT) */
	const struct cnroute_conf *conf;
	/** the primary connected to, printable ("10.0.0.1:6379") */
	char where[300];
	/** key prefix, e.g. "cnroute:" */
	char *prefix;
	/** who makes the changes, for the audit trail */
	char actor[128];
	/** time of the command, unix seconds (one value for a whole batch) */
	long long now;
};

/** State of a key when read. */
enum key_state {
	/** the key does not exist */
	KEY_MISSING = 0,
	/** a hash */
	KEY_HASH = 1,
	/** something else (the module skips it) */
	KEY_WRONGTYPE = -1
};

/** How an operation computes the new hash from the old one. */
enum store_op_kind {
	/** the new hash is exactly fields */
	STORE_REPLACE,
	/** the old hash with fields set over it */
	STORE_MERGE,
	/** delete the key */
	STORE_DELETE
};

/** One key to change. */
struct store_op {
	/** how */
	enum store_op_kind kind;
	/** the full key (malloced by the caller, freed by store_ops_free) */
	char *key;
	/** audit action, e.g. "filing.set" (static string) */
	const char *action;
	/** fields given by the command */
	struct kvlist fields;
	/** refuse (CLI_INVALID) when the key does not exist */
	int must_exist;
	/** out: the old hash */
	struct kvlist old;
	/** out: state of the key when read */
	enum key_state old_state;
	/** out: the new hash (empty for STORE_DELETE) */
	struct kvlist new;
	/** out: 1 if something other than "updated" changed */
	int changed;
	/** set by a check: leave this key alone (a row skipped) */
	int skip;
};

/**
 * Check run on the values read under WATCH, before anything is written.
 * @param guards: the guard keys, as given to store_apply.
 * @param replies: the HGETALL reply of each guard, untouched, so the
 *	check can judge them exactly as the module reads them (a hash, a
 *	key of another type, a missing key, anything odd).
 * @param err: STORE_ERR_MAX bytes.
 * @return CLI_OK to go on, else the exit code (nothing is written).
 */
typedef int (*store_check_fn)(void *ctx, struct store_op *ops, size_t n,
	char *const *guards, redisReply *const *replies, size_t nguards,
	char *err);

/**
 * Connect, AUTH and SELECT as the configuration says.
 * @return CLI_OK or CLI_REDIS (err set).
 */
int store_connect(struct store **out, const struct cnroute_conf *conf,
	char *err);

/** Close and free. */
void store_close(struct store *s);

/** The full key of a filing ("filing") or route ("route"): malloced. */
char *store_key(const struct store *s, const char *kind, const char *name);

/**
 * The SCAN pattern of every key of a kind ("filing" or "route"), the
 * prefix's glob characters escaped: malloced.
 */
char *store_pattern(const struct store *s, const char *kind);

/**
 * The name in a key of a kind, or NULL when the key is not of that kind.
 * A pointer into key.
 */
const char *store_key_name(const struct store *s, const char *kind,
	const char *key);

/**
 * Read hashes with one pipeline.
 * @param out: n lists (filled).
 * @param states: n states.
 * @return CLI_OK or CLI_REDIS.
 */
int store_fetch(struct store *s, char *const *keys, size_t n,
	struct kvlist *out, enum key_state *states, char *err);

/** Every hash of one kind ("filing" or "route"), as read by store_read_kind. */
struct store_kind {
	/** the keys, sorted */
	char **keys;
	/** number of keys */
	size_t n;
	/** their hashes (empty where the key is not a hash) */
	struct kvlist *hashes;
	/** their states */
	enum key_state *states;
};

/**
 * Read every key of a kind: SCAN, then one pipelined fetch. On failure
 * what was read is still to be freed with store_kind_free.
 * @return CLI_OK or CLI_REDIS (err set).
 */
int store_read_kind(struct store *s, const char *kind, struct store_kind *out,
	char *err);

/** Free what store_read_kind read. */
void store_kind_free(struct store_kind *k);

/**
 * Send HGETALL for n keys in one pipeline and hand back the replies as
 * Redis sent them (an error reply such as WRONGTYPE included).
 * @param lens: the keys' lengths (keys may hold any bytes), or NULL
 *	for NUL-terminated keys.
 * @param replies: out, n replies (freeReplyObject each; NULL where none
 *	was read).
 * @return CLI_OK, or CLI_REDIS when the connection failed (err set).
 */
int store_fetch_replies(struct store *s, const char *const *keys,
	const size_t *lens, size_t n, redisReply **replies, char *err);

/** Free n replies of store_fetch_replies. */
void store_replies_free(redisReply **replies, size_t n);

/** Keys as SCAN returned them (any bytes), held in one buffer. */
struct keylist {
	/** the keys, each followed by a NUL */
	char *buf;
	/** bytes used in buf */
	size_t used;
	/** room in buf */
	size_t room;
	/** offset in buf of each key */
	size_t *off;
	/** length of each key */
	size_t *len;
	/** number of keys */
	size_t n;
	/** room in off and len */
	size_t cap;
};

/** The key i of a list (NUL-terminated; it may hold NULs, see len). */
const char *keylist_key(const struct keylist *l, size_t i);

/** Append a key (any bytes) to a list. */
void keylist_add(struct keylist *l, const char *key, size_t len);

/** Sort a list in byte order (shorter first on a common prefix) and drop
 *  repeats. */
void keylist_sort(struct keylist *l);

/** Free a key list. */
void keylist_free(struct keylist *l);

/** Whether a key SCAN returned is to be kept (1) or not (0). */
typedef int (*store_keep_fn)(void *ctx, const char *key, size_t len);

/**
 * Every key matching a pattern that keep accepts, sorted in byte order
 * without repeats. Only key names cross the wire (SCAN ... MATCH ...
 * COUNT 1000): Redis walks its whole keyspace once, 1000 keys a step, as
 * the module's own reconciliation does.
 * @param keep: the filter, NULL keeps every key.
 * @param out: filled (free with keylist_free, also on failure).
 * @return CLI_OK or CLI_REDIS (err set).
 */
int store_scan_keys(struct store *s, const char *pattern, store_keep_fn keep,
	void *ctx, struct keylist *out, char *err);

/**
 * The SCAN pattern of every key under the prefix ("<prefix>*", the
 * prefix's glob characters escaped; the module's sync reads the same
 * keys): malloced.
 */
char *store_prefix_pattern(const struct store *s);

/**
 * Every key matching a pattern (SCAN, so Redis is not blocked).
 * @param keys: out, malloced array of malloced keys, sorted.
 * @return CLI_OK or CLI_REDIS.
 */
int store_scan(struct store *s, const char *pattern, char ***keys,
	size_t *n, char *err);

/**
 * Apply operations atomically, with their audit entries.
 * @param guards: extra keys to WATCH and read for check (may be NULL);
 *	check gets their replies as Redis sent them.
 * @param check: may be NULL.
 * @return CLI_OK, the check's code, CLI_INVALID (missing key, not a
 *	hash) or CLI_REDIS.
 */
int store_apply(struct store *s, struct store_op *ops, size_t n,
	char *const *guards, size_t nguards, store_check_fn check, void *ctx,
	char *err);

/** Free the keys and lists of n operations (not the array). */
void store_ops_free(struct store_op *ops, size_t n);

/** Free an array of n malloced strings. */
void strv_free(char **v, size_t n);

/** Who is acting: $CNROUTE_ACTOR, the login name, $USER, or "uid N". */
void store_actor(char *out, size_t size);

#endif /* CNROUTECTL_REDIS_STORE_H */
