/*
 * dname.h - domain names in the canonical form cnroute keys its tables by.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every name the policy handles (query names, Redis key names, CLI
 * arguments) is turned into one canonical form first: uncompressed DNS wire
 * format, ASCII letters folded to lower case, ending in the root label.
 * Comparing and hashing that form needs no further case or trailing-dot
 * handling, and walking to the parent is a single skip over one label.
 */
#ifndef CNROUTE_DNAME_H
#define CNROUTE_DNAME_H

#include <stddef.h>
#include <stdint.h>

/** Largest wire-format name, root label included (RFC 1035). */
#define DNAME_MAX_WIRE 255
/** Largest presentation-format name we print, with escapes and a NUL. */
#define DNAME_MAX_TEXT 1025

/**
 * Parse a presentation-format name into canonical wire format.
 * Accepts names with or without the trailing dot, "\." and "\DDD" escapes;
 * "." and "" are the root. Letters are folded to lower case.
 * @param text: the name, NUL terminated.
 * @param wire: out buffer of DNAME_MAX_WIRE bytes.
 * @param wire_len: out, length written (root label included).
 * @return 0 on success, -1 if the name is malformed (empty label, label
 *	over 63 bytes, name over 255 bytes, bad escape).
 */
int dname_from_text(const char *text, uint8_t *wire, size_t *wire_len);

/**
 * Same as dname_from_text for a text that is not NUL terminated
 * (a Redis key suffix, for instance).
 */
int dname_from_text_len(const char *text, size_t text_len, uint8_t *wire,
	size_t *wire_len);

/**
 * Copy a wire-format name (as found in a query, uncompressed) into
 * canonical form: validated and lower-cased.
 * @param in: the name.
 * @param in_max: bytes available at in.
 * @param wire: out buffer of DNAME_MAX_WIRE bytes.
 * @param wire_len: out, length written.
 * @return 0 on success, -1 if malformed or compressed.
 */
int dname_canonicalize(const uint8_t *in, size_t in_max, uint8_t *wire,
	size_t *wire_len);

/**
 * Print a canonical name in presentation format with a trailing dot,
 * escaping bytes that need it ("\." "\\" "\DDD").
 * @param wire: canonical name.
 * @param text: out buffer of at least DNAME_MAX_TEXT bytes.
 */
void dname_to_text(const uint8_t *wire, char *text);

/** Length of a canonical name, root label included. */
size_t dname_length(const uint8_t *wire);

/** Number of labels, root not counted ("www.example.com." is 3). */
int dname_label_count(const uint8_t *wire);

/**
 * The parent of a name: a pointer into the same buffer, one label on.
 * @return NULL when wire is the root.
 */
const uint8_t *dname_parent(const uint8_t *wire);

/** Hash of a canonical name (FNV-1a over the wire bytes). */
uint32_t dname_hash(const uint8_t *wire, size_t len);

/** 1 if the first label of the name is exactly "*". */
int dname_is_wildcard(const uint8_t *wire);

#endif /* CNROUTE_DNAME_H */
