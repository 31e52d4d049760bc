/*
 * keys.c - the Redis keys of cnroute and the names they spell.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Keys are untrusted bytes: anything not a valid name is reported, never
 * guessed at. ASCII keys need no library; only a key with a byte over 0x7f
 * goes through libidn2.
 */
#include "cnroute/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <idn2.h>

/** Longest key name converted through IDNA (a name is at most 253
 *  characters in A-labels; UTF-8 may take up to four bytes for one). */
#define KEY_NAME_TEXT_MAX 1024

/** 1 if a counted string has a byte outside ASCII. */
static int
has_non_ascii(const char *text, size_t len)
{
	size_t i;

	for(i = 0; i < len; i++)
		if((unsigned char)text[i] >= 0x80)
			return 1;
	return 0;
}

int
key_name_to_ascii(const char *text, size_t len, char *out, size_t out_size)
{
	char in[KEY_NAME_TEXT_MAX + 1], *ascii = NULL;
	size_t n;

	if(len > KEY_NAME_TEXT_MAX || memchr(text, 0, len) != NULL)
		return -1;
	if(!has_non_ascii(text, len)) {
		if(len >= out_size)
			return -1;
		memcpy(out, text, len);
		out[len] = 0;
		return 0;
	}
	memcpy(in, text, len);
	in[len] = 0;
	/* UTS #46 non-transitional, as cnroutectl maps names typed by
	 * operators: one mapping, so both find the same key name. */
	if(idn2_to_ascii_8z(in, &ascii, IDN2_NFC_INPUT |
		IDN2_NONTRANSITIONAL) != IDN2_OK)
		return -1;
	n = strlen(ascii);
	if(n >= out_size) {
		idn2_free(ascii);
		return -1;
	}
	memcpy(out, ascii, n + 1);
	idn2_free(ascii);
	return 0;
}

/** 1 if a label byte can be written as it is in a key's name. A dot or a
 *  backslash would read as a label end or an escape, and blanks and
 *  control bytes are not text: such bytes only have escaped spellings,
 *  none of them canonical. */
static int
byte_spells_itself(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

/**
 * The canonical text of a name: lower case (a canonical wire name is),
 * labels joined by dots, no trailing dot, nothing escaped.
 * @return its length, or -1 (a byte without a canonical spelling, or
 *	out_size too small).
 */
static int
canonical_text(const uint8_t *wire, char *out, size_t out_size)
{
	size_t at = 0;

	while(*wire != 0) {
		uint8_t label = *wire++, i;
		if(at > 0) {
			if(at + 1 >= out_size)
				return -1;
			out[at++] = '.';
		}
		for(i = 0; i < label; i++, wire++) {
			if(!byte_spells_itself(*wire) || at + 1 >= out_size)
				return -1;
			out[at++] = (char)*wire;
		}
	}
	if(at >= out_size)
		return -1;
	out[at] = 0;
	return (int)at;
}

/**
 * Whether the key text of a name is the canonical spelling of wire: the
 * name printed in lower case without the trailing dot, nothing escaped
 * (the very text key_canonical writes).
 */
static int
spelt_canonically(const char *text, size_t len, const uint8_t *wire)
{
	char canon[DNAME_MAX_WIRE + 1];
	int n = canonical_text(wire, canon, sizeof(canon));

	return n >= 0 && (size_t)n == len && memcmp(canon, text, len) == 0;
}

int
key_canonical(const char *prefix, enum key_kind kind, const uint8_t *name,
	char *out, size_t out_size)
{
	char text[DNAME_MAX_WIRE + 1];
	int len;

	if(canonical_text(name, text, sizeof(text)) < 0)
		return -1;
	len = snprintf(out, out_size, "%s%s:%s", prefix,
		kind == KEY_FILING ? "filing" : "route", text);
	return len > 0 && (size_t)len < out_size ? len : -1;
}

/**
 * Read the name part of a key into out->name.
 * @return 0 or -1 with err set.
 */
static int
key_read_name(const char *text, size_t len, struct key_name *out, char *err)
{
	static const char wild[] = "*.";
	char ascii[KEY_NAME_TEXT_MAX + 3];
	const char *body = text;
	size_t body_len = len, n = 0;

	if(out->kind == KEY_ROUTE && len > 2 && memcmp(text, wild, 2) == 0) {
		memcpy(ascii, wild, 2);
		n = 2;
		body += 2;
		body_len -= 2;
	}
	if(has_non_ascii(body, body_len)) {
		/* the trailing dot is not part of what IDNA maps */
		size_t unicode_len = body_len;
		if(unicode_len > 0 && body[unicode_len - 1] == '.')
			unicode_len--;
		if(key_name_to_ascii(body, unicode_len, ascii + n,
			sizeof(ascii) - n) != 0) {
			snprintf(err, KEY_ERR_MAX, "name is not valid UTF-8 "
				"IDNA (IDNA2008, UTS #46)");
			return -1;
		}
		n = strlen(ascii);
	} else {
		if(body_len > KEY_NAME_TEXT_MAX) {
			snprintf(err, KEY_ERR_MAX, "name too long");
			return -1;
		}
		memcpy(ascii + n, body, body_len);
		n += body_len;
	}
	if(dname_from_text_len(ascii, n, out->name, &out->name_len) != 0) {
		snprintf(err, KEY_ERR_MAX, "malformed domain name");
		return -1;
	}
	if(out->name_len <= 1) {
		/* the root is never a filing or a managed name */
		snprintf(err, KEY_ERR_MAX, "the root is not a domain");
		return -1;
	}
	out->canonical = spelt_canonically(text, len, out->name);
	return 0;
}

int
key_parse(const char *prefix, const char *key, size_t key_len,
	struct key_name *out, char *err)
{
	static const char filing[] = "filing:", route[] = "route:";
	size_t plen = strlen(prefix);
	const char *rest;
	size_t rest_len;

	memset(out, 0, sizeof(*out));
	out->kind = KEY_OTHER;
	if(key == NULL || key_len < plen || memcmp(key, prefix, plen) != 0)
		return 0;
	rest = key + plen;
	rest_len = key_len - plen;
	if(rest_len >= sizeof(filing) - 1 &&
		memcmp(rest, filing, sizeof(filing) - 1) == 0) {
		out->kind = KEY_FILING;
		rest += sizeof(filing) - 1;
		rest_len -= sizeof(filing) - 1;
	} else if(rest_len >= sizeof(route) - 1 &&
		memcmp(rest, route, sizeof(route) - 1) == 0) {
		out->kind = KEY_ROUTE;
		rest += sizeof(route) - 1;
		rest_len -= sizeof(route) - 1;
	} else {
		return 0;
	}
	return key_read_name(rest, rest_len, out, err);
}
