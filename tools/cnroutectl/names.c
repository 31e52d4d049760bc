/*
 * names.c - domain names typed by operators: validation, IDNA, canonical
 * form.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <idn2.h>
#include "cnroute/dname.h"
#include "cli.h"
#include "names.h"

/** Longest name in text form without the trailing dot (RFC 1035). */
#define NAME_MAX_LEN 253

/** 1 if the text has a byte outside ASCII. */
static int
has_non_ascii(const char *s)
{
	for(; *s; s++)
		if((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/**
 * Check an ASCII label: letters, digits, '-' and '_' (service labels),
 * 1..63 characters, no '-' at either end; an "xn--" label must decode.
 * @return 0 or -1 with err set.
 */
static int
check_label(const char *label, size_t len, char *err)
{
	size_t i;
	if(len == 0) {
		snprintf(err, NAME_ERR_MAX, "empty label");
		return -1;
	}
	if(len > 63) {
		snprintf(err, NAME_ERR_MAX, "label longer than 63 characters");
		return -1;
	}
	for(i = 0; i < len; i++) {
		char c = label[i];
		if(!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_')) {
			snprintf(err, NAME_ERR_MAX, "character '%c' not "
				"allowed in a name", c >= 0x20 && c < 0x7f ?
				c : '?');
			return -1;
		}
	}
	if(label[0] == '-' || label[len - 1] == '-') {
		snprintf(err, NAME_ERR_MAX, "label '%.*s' starts or ends "
			"with '-'", (int)len, label);
		return -1;
	}
	if(len > 4 && strncmp(label, "xn--", 4) == 0) {
		char a[64], *u = NULL;
		memcpy(a, label, len);
		a[len] = 0;
		if(idn2_to_unicode_8z8z(a, &u, 0) != IDN2_OK) {
			snprintf(err, NAME_ERR_MAX, "label '%s' is not a "
				"valid A-label", a);
			return -1;
		}
		free(u);
	}
	return 0;
}

/** Lower-case ASCII in place. */
static void
ascii_lower(char *s)
{
	for(; *s; s++)
		if(*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/**
 * Convert a Unicode name to A-labels (IDNA2008 with the UTS #46
 * non-transitional mapping, which also folds case and full-width forms).
 * @param out: NAME_TEXT_MAX bytes.
 * @return 0 or -1 with err set.
 */
static int
to_alabels(const char *in, char *out, char *err)
{
	char *ascii = NULL;
	int rc = idn2_to_ascii_8z(in, &ascii,
		IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if(rc != IDN2_OK) {
		snprintf(err, NAME_ERR_MAX, "not a valid internationalised "
			"name: %s", idn2_strerror(rc));
		return -1;
	}
	if(strlen(ascii) >= NAME_TEXT_MAX - 2) {
		idn2_free(ascii);
		snprintf(err, NAME_ERR_MAX, "name too long");
		return -1;
	}
	strcpy(out, ascii);
	idn2_free(ascii);
	return 0;
}

/** Check every label of an ASCII name. @return 0 or -1. */
static int
check_labels(const char *name, char *err)
{
	const char *p = name;
	while(1) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if(check_label(p, len, err) != 0)
			return -1;
		if(dot == NULL)
			return 0;
		p = dot + 1;
	}
}

/** Copy in without surrounding ASCII blanks into buf (size NAME_TEXT_MAX*4). */
static int
trim_copy(const char *in, char *buf, size_t size)
{
	size_t len = strlen(in);
	text_trim(&in, &len);
	/* a name pasted with its line break */
	while(len > 0 && in[len - 1] == '\n') {
		len--;
		text_trim(&in, &len);
	}
	if(len >= size)
		return -1;
	memcpy(buf, in, len);
	buf[len] = 0;
	return 0;
}

int
name_normalise(const char *in, int allow_wildcard, char *out, char *err)
{
	char buf[NAME_TEXT_MAX * 4], ascii[NAME_TEXT_MAX];
	const char *body;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len, wire_len;
	int wildcard = 0;

	if(trim_copy(in, buf, sizeof(buf)) != 0) {
		snprintf(err, NAME_ERR_MAX, "name too long");
		return -1;
	}
	len = strlen(buf);
	if(len > 1 && buf[len - 1] == '.')
		buf[--len] = 0;
	body = buf;
	if(strncmp(buf, "*.", 2) == 0) {
		if(!allow_wildcard) {
			snprintf(err, NAME_ERR_MAX, "a wildcard is not "
				"allowed here");
			return -1;
		}
		wildcard = 1;
		body = buf + 2;
	}
	if(*body == 0 || strcmp(body, ".") == 0) {
		snprintf(err, NAME_ERR_MAX, "empty name");
		return -1;
	}
	if(has_non_ascii(body)) {
		if(to_alabels(body, ascii, err) != 0)
			return -1;
	} else {
		if(strlen(body) >= sizeof(ascii)) {
			snprintf(err, NAME_ERR_MAX, "name too long");
			return -1;
		}
		strcpy(ascii, body);
		ascii_lower(ascii);
	}
	if(check_labels(ascii, err) != 0)
		return -1;
	if(strlen(ascii) + (wildcard ? 2 : 0) > NAME_MAX_LEN ||
		dname_from_text(ascii, wire, &wire_len) != 0 ||
		(wildcard && wire_len + 2 > DNAME_MAX_WIRE)) {
		snprintf(err, NAME_ERR_MAX, "name too long");
		return -1;
	}
	/* lengths checked above: at most 2 + 253 bytes and the NUL */
	if(wildcard)
		memcpy(out, "*.", 2);
	memcpy(out + (wildcard ? 2 : 0), ascii, strlen(ascii) + 1);
	return 0;
}

int
name_is_wildcard(const char *name)
{
	return strncmp(name, "*.", 2) == 0;
}

const char *
name_parent(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot && dot[1] ? dot + 1 : NULL;
}

void
name_display(const char *name, char *out, size_t out_size)
{
	char *u = NULL;
	if(strstr(name, "xn--") != NULL &&
		idn2_to_unicode_8z8z(name, &u, 0) == IDN2_OK) {
		snprintf(out, out_size, "%s", u);
		free(u);
		return;
	}
	snprintf(out, out_size, "%s", name);
}
