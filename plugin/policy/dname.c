/*
 * dname.c - domain names in the canonical form cnroute keys its tables by.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Text and wire names from untrusted sources (Redis keys, queries, the
 * command line) are validated here once, so every other part of the policy
 * can walk a canonical name without bounds checks of its own.
 */
#include "cnroute/dname.h"

#include <string.h>

/** Longest label (RFC 1035 section 2.3.4). */
#define DNAME_MAX_LABEL 63

/** Fold an ASCII upper-case letter to lower case; other bytes unchanged. */
static uint8_t
fold_byte(uint8_t c)
{
	/* Not tolower(): that depends on the locale, the DNS does not. */
	if(c >= 'A' && c <= 'Z')
		return (uint8_t)(c - 'A' + 'a');
	return c;
}

/** 1 if c is an ASCII decimal digit. */
static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/**
 * Decode one escape sequence; text[*pos] is the byte after the backslash.
 * @param text: the name text.
 * @param len: its length.
 * @param pos: in/out, position in text; left after the escape.
 * @param out: the byte the escape stands for.
 * @return 0 or -1 for a truncated or out-of-range escape.
 */
static int
decode_escape(const char *text, size_t len, size_t *pos, uint8_t *out)
{
	size_t p = *pos;
	unsigned value;

	if(p >= len)
		return -1; /* trailing backslash */
	if(!is_digit(text[p])) {
		/* "\X" stands for X itself, as in zone files. */
		*out = (uint8_t)text[p];
		*pos = p + 1;
		return 0;
	}
	/* "\DDD": exactly three decimal digits, at most 255. */
	if(p + 3 > len || !is_digit(text[p + 1]) || !is_digit(text[p + 2]))
		return -1;
	value = (unsigned)(text[p] - '0') * 100 +
		(unsigned)(text[p + 1] - '0') * 10 +
		(unsigned)(text[p + 2] - '0');
	if(value > 255)
		return -1;
	*out = (uint8_t)value;
	*pos = p + 3;
	return 0;
}

/**
 * 1 if an unescaped byte may appear in a name's text. Blanks and control
 * bytes are refused: in a Redis key they are a typo, never a real name.
 */
static int
text_byte_allowed(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

int
dname_from_text_len(const char *text, size_t text_len, uint8_t *wire,
	size_t *wire_len)
{
	size_t pos = 0, out = 0, label_start;
	int closed = 0; /* the last label was ended by a dot */
	uint8_t c;

	if(text == NULL)
		return -1;
	/* "" and "." are the root. */
	if(text_len == 0 || (text_len == 1 && text[0] == '.')) {
		wire[0] = 0;
		*wire_len = 1;
		return 0;
	}
	/* Invariant: before a byte is stored at wire[out], out is at most
	 * DNAME_MAX_WIRE - 2, so the root label still fits. */
	label_start = out++;
	while(pos < text_len) {
		c = (uint8_t)text[pos++];
		if(c == '.') {
			size_t label_len = out - label_start - 1;
			if(label_len == 0)
				return -1; /* empty label: ".a", "a..b" */
			wire[label_start] = (uint8_t)label_len;
			if(pos == text_len) {
				closed = 1;
				break;
			}
			if(out > DNAME_MAX_WIRE - 2)
				return -1;
			label_start = out++;
			continue;
		}
		if(c == '\\') {
			if(decode_escape(text, text_len, &pos, &c) != 0)
				return -1;
		} else if(!text_byte_allowed(c)) {
			return -1;
		}
		if(out - label_start - 1 >= DNAME_MAX_LABEL ||
			out > DNAME_MAX_WIRE - 2)
			return -1;
		wire[out++] = fold_byte(c);
	}
	if(!closed) {
		size_t label_len = out - label_start - 1;
		if(label_len == 0)
			return -1;
		wire[label_start] = (uint8_t)label_len;
	}
	wire[out++] = 0;
	*wire_len = out;
	return 0;
}

int
dname_from_text(const char *text, uint8_t *wire, size_t *wire_len)
{
	if(text == NULL)
		return -1;
	return dname_from_text_len(text, strlen(text), wire, wire_len);
}

/**
 * fold_byte on 8 bytes at once: each byte from 'A' to 'Z' gains 0x20,
 * every other one (label lengths, which are below 64, and bytes with the
 * top bit set) stays as it is. No carry crosses a byte: the sums below
 * stay under 0x100 per byte.
 */
static uint64_t
fold_word(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t low7 = x & (0x7f * ones);
	/* top bit of each byte: byte >= 'A', and byte > 'Z' */
	uint64_t from_a = low7 + (0x80 - 'A') * ones;
	uint64_t past_z = low7 + (0x7f - 'Z') * ones;

	return x | (((from_a ^ past_z) & ~x & (0x80 * ones)) >> 2);
}

int
dname_canonicalize(const uint8_t *in, size_t in_max, uint8_t *wire,
	size_t *wire_len)
{
	size_t pos = 0, i;
	uint64_t word;

	if(in == NULL)
		return -1;
	/* the labels' structure first, then the bytes folded 8 at a time
	 * (a query name is canonicalized on every query) */
	for(;;) {
		uint8_t label_len;

		if(pos >= in_max || pos >= DNAME_MAX_WIRE)
			return -1;
		label_len = in[pos];
		/* Top bits set: a compression pointer (0xC0) or an obsolete
		 * extended label type; neither is a plain label. */
		if(label_len & 0xC0)
			return -1;
		if(label_len == 0)
			break;
		if(pos + 1 + label_len >= DNAME_MAX_WIRE ||
			pos + 1 + label_len > in_max)
			return -1;
		pos += 1 + (size_t)label_len;
	}
	*wire_len = pos + 1;
	for(i = 0; i + 8 <= *wire_len; i += 8) {
		memcpy(&word, in + i, 8);
		word = fold_word(word);
		memcpy(wire + i, &word, 8);
	}
	for(; i < *wire_len; i++)
		wire[i] = fold_byte(in[i]);
	return 0;
}

/** 1 if a byte of a label must be escaped when printed. */
static int
needs_escape(uint8_t c)
{
	return c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' ||
		c == ')' || c == '$' || c == '@';
}

void
dname_to_text(const uint8_t *wire, char *text)
{
	size_t out = 0;
	static const char digits[] = "0123456789";

	if(*wire == 0) {
		text[out++] = '.';
		text[out] = 0;
		return;
	}
	while(*wire != 0) {
		uint8_t label_len = *wire++, i;
		for(i = 0; i < label_len; i++) {
			uint8_t c = *wire++;
			if(c <= 0x20 || c >= 0x7f) {
				text[out++] = '\\';
				text[out++] = digits[c / 100];
				text[out++] = digits[(c / 10) % 10];
				text[out++] = digits[c % 10];
			} else {
				if(needs_escape(c))
					text[out++] = '\\';
				text[out++] = (char)c;
			}
		}
		text[out++] = '.';
	}
	text[out] = 0;
}

size_t
dname_length(const uint8_t *wire)
{
	size_t len = 0;

	while(wire[len] != 0)
		len += 1 + (size_t)wire[len];
	return len + 1;
}

int
dname_label_count(const uint8_t *wire)
{
	int count = 0;

	while(*wire != 0) {
		wire += 1 + (size_t)*wire;
		count++;
	}
	return count;
}

const uint8_t *
dname_parent(const uint8_t *wire)
{
	if(*wire == 0)
		return NULL;
	return wire + 1 + (size_t)*wire;
}

/*
 * Name hashing. A name is hashed label by label from the root towards its
 * first label, so the hash state of a name is a function of its parent's
 * state and its first label. That lets the steering decision hash every
 * suffix of a query name (the candidate filings and wildcard parents) and
 * every wildcard "*.P" in one pass over the name, instead of re-hashing
 * each candidate from scratch. The step and the finish are inline
 * functions of dname.h: the decision calls them a dozen times per query.
 */

/**
 * Split bytes into labels: starts[i] is where label i begins. Works on any
 * bytes, not only canonical names (a table key could be anything): a
 * length byte running past the end makes the rest one last piece.
 * @return the number of pieces; for a canonical name that is its labels
 *	plus the root label.
 */
static int
split_labels(const uint8_t *wire, size_t len, uint8_t starts[DNAME_MAX_WIRE])
{
	size_t pos = 0;
	int count = 0;

	while(pos < len) {
		starts[count++] = (uint8_t)pos;
		pos += 1 + (size_t)wire[pos];
	}
	return count;
}

/**
 * Hash the pieces of a name from the last one to the first.
 * @param states: out, the state of the suffix at each piece; may be NULL.
 * @return the state of the whole name.
 */
static uint64_t
hash_pieces(const uint8_t *wire, size_t len, const uint8_t *starts,
	int count, uint64_t *states)
{
	uint64_t state = DNAME_HASH_SEED;
	size_t end = len;
	int i;

	for(i = count - 1; i >= 0; i--) {
		state = dname_hash_step(state, wire + starts[i],
			end - starts[i]);
		if(states != NULL)
			states[i] = state;
		end = starts[i];
	}
	return state;
}

uint32_t
dname_hash(const uint8_t *wire, size_t len)
{
	uint8_t starts[DNAME_MAX_WIRE];

	if(len > DNAME_MAX_WIRE)
		len = DNAME_MAX_WIRE;
	return dname_hash_finish(hash_pieces(wire, len, starts,
		split_labels(wire, len, starts), NULL));
}

int
dname_suffix_hashes(const uint8_t *wire, size_t len,
	uint8_t starts[DNAME_MAX_WIRE], uint64_t states[DNAME_MAX_WIRE])
{
	int count;

	if(len == 0 || len > DNAME_MAX_WIRE)
		return 0;
	count = split_labels(wire, len, starts);
	hash_pieces(wire, len, starts, count, states);
	return count;
}

int
dname_is_wildcard(const uint8_t *wire)
{
	return wire[0] == 1 && wire[1] == '*';
}
