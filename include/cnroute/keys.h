/*
 * keys.h - the Redis keys of cnroute and the names they spell.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A filing is the hash <prefix>filing:<domain>, a route the hash
 * <prefix>route:<name>. People write keys by hand, so one name may be
 * spelt several ways: "Example.com", "example.com.", "\069xample.com",
 * "例子.中国". Every key maps to one canonical name: lower case, no
 * trailing dot, Unicode labels through IDNA2008 with the UTS #46
 * non-transitional mapping (the mapping cnroutectl applies to what
 * operators type). The canonical spelling of a key is the one cnroutectl
 * writes; the others still count (see filing_merge), and are reported.
 */
#ifndef CNROUTE_KEYS_H
#define CNROUTE_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "cnroute/dname.h"

/** What a key under the prefix is. */
enum key_kind {
	/** not a filing or a route (the audit stream, anything else) */
	KEY_OTHER = 0,
	/** <prefix>filing:<domain> */
	KEY_FILING,
	/** <prefix>route:<name> */
	KEY_ROUTE
};

/** Size of the error buffer key_parse writes into. */
#define KEY_ERR_MAX 128

/** A key read by key_parse. */
struct key_name {
	/** the kind */
	enum key_kind kind;
	/** the canonical wire name it spells */
	uint8_t name[DNAME_MAX_WIRE];
	/** length of name */
	size_t name_len;
	/** 1 when the key is spelt canonically (lower-case A-labels, no
	 *  trailing dot, no escapes) */
	int canonical;
};

/**
 * Read a key.
 * @param prefix: the key prefix ("cnroute:").
 * @param key: the key, any bytes.
 * @param key_len: its length.
 * @param out: the kind, and for a filing or route the name.
 * @param err: out, why the name can't be read (KEY_ERR_MAX bytes).
 * @return 0 (out->kind may be KEY_OTHER), or -1 for a filing or route key
 *	whose name can't be read (out->kind tells which), err set.
 */
int key_parse(const char *prefix, const char *key, size_t key_len,
	struct key_name *out, char *err);

/**
 * The canonical key of a name: prefix, "filing:" or "route:", the name in
 * lower case without the trailing dot. key_parse says exactly this key is
 * spelt canonically.
 * @param kind: KEY_FILING or KEY_ROUTE.
 * @param name: canonical wire name.
 * @param out: the key, NUL terminated.
 * @return its length, or -1 when it does not fit in out_size bytes or the
 *	name has a byte no key can spell canonically (a dot or a backslash
 *	inside a label, a blank or a control byte: such a name has only
 *	escaped, non-canonical spellings).
 */
int key_canonical(const char *prefix, enum key_kind kind,
	const uint8_t *name, char *out, size_t out_size);

/**
 * Convert a name written in Unicode (UTF-8) to A-labels, the way
 * cnroutectl converts what operators type; ASCII is copied as it is.
 * @param text: the name (not NUL terminated), without a "*." prefix.
 * @param len: its length.
 * @param out: NUL-terminated result, of out_size bytes.
 * @return 0, or -1 (not valid UTF-8, not a valid IDNA name, too long).
 */
int key_name_to_ascii(const char *text, size_t len, char *out,
	size_t out_size);

#endif /* CNROUTE_KEYS_H */
