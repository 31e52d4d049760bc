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
#include <string.h>

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

/** Hash state of the empty name, before the root label is mixed in. */
#define DNAME_HASH_SEED 0x6a09e667f3bcc908ull

/** Multiplier of the per-word mix (2^64 / golden ratio, odd). */
#define DNAME_HASH_MUL 0x9e3779b97f4a7c15ull

/** Mix one little-endian word into a hash state (both steps bijective). */
static inline uint64_t
dname_hash_mix(uint64_t state, uint64_t word)
{
	state = (state ^ word) * DNAME_HASH_MUL;
	return state ^ (state >> 29);
}

/**
 * Mix one label (length byte included) into the hash state of its parent,
 * 8 bytes at a time, the rest zero-padded. Names are hashed from the root
 * label towards the first label, so the state of "*.P" is
 * dname_hash_step(state of P, "\1*", 2).
 * @return the state of the longer name.
 */
static inline uint64_t
dname_hash_step(uint64_t state, const uint8_t *label, size_t len)
{
	uint64_t word;
	size_t i;

	for(; len >= 8; label += 8, len -= 8) {
		memcpy(&word, label, 8);
		state = dname_hash_mix(state, word);
	}
	/* always mixed, so the end of a label is part of the hash */
	word = 0;
	for(i = 0; i < len; i++)
		word |= (uint64_t)label[i] << (8 * i);
	return dname_hash_mix(state, word);
}

/**
 * The hash of a name from its hash state (what the name table uses): the
 * murmur3 64-bit finaliser, so that the low bits, which pick a table
 * slot, depend on every byte.
 */
static inline uint32_t
dname_hash_finish(uint64_t state)
{
	state ^= state >> 33;
	state *= 0xff51afd7ed558ccdull;
	state ^= state >> 33;
	state *= 0xc4ceb9fe1a85ec53ull;
	state ^= state >> 33;
	return (uint32_t)state;
}

/**
 * Hash of a name (a table key): dname_hash_finish of the state built
 * from the root label up. Defined for any bytes, a canonical name or not
 * (at most DNAME_MAX_WIRE of them are hashed).
 */
uint32_t dname_hash(const uint8_t *wire, size_t len);

/**
 * Split a canonical name into labels and compute the hash state of every
 * suffix in one pass.
 * @param wire: canonical name of len bytes (1..DNAME_MAX_WIRE).
 * @param starts: out, starts[i] is the offset of label i; the last entry
 *	is the root label's offset (len - 1).
 * @param states: out, states[i] is the state of the suffix at starts[i]:
 *	dname_hash_finish(states[i]) == dname_hash(wire + starts[i], ...).
 * @return the number of entries: the labels plus the root (0 when len is
 *	out of range).
 */
int dname_suffix_hashes(const uint8_t *wire, size_t len,
	uint8_t starts[DNAME_MAX_WIRE], uint64_t states[DNAME_MAX_WIRE]);

/** 1 if the first label of the name is exactly "*". */
int dname_is_wildcard(const uint8_t *wire);

#endif /* CNROUTE_DNAME_H */
