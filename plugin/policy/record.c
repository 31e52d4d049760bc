/*
 * record.c - filings and steering rules, parsed from their Redis hashes.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every byte parsed here comes from whoever can write to Redis, so the
 * parsers never read past the lengths they are given (values are not NUL
 * terminated), quote the offending value in their messages only after
 * making it printable, and either build a complete record or nothing.
 */
#include "cnroute/record.h"
#include "cnroute/dname.h"
#include "cnroute/public_suffix.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Longest excerpt of a bad value quoted in an error message. */
#define QUOTE_MAX 64
/** Longest address text inet_pton could accept (IPv6 with IPv4 tail). */
#define ADDR_TEXT_MAX 64

/** 1 for the blanks trimmed around values and list items. */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/** Narrow [*text, *text + *len) to exclude leading and trailing blanks. */
static void
trim(const char **text, size_t *len)
{
	while(*len > 0 && is_blank((*text)[0])) {
		(*text)++;
		(*len)--;
	}
	while(*len > 0 && is_blank((*text)[*len - 1]))
		(*len)--;
}

/**
 * Copy an excerpt of an untrusted value into buf for a log message:
 * truncated to QUOTE_MAX bytes, non-printable bytes replaced by '?', so a
 * hostile value cannot forge log lines.
 */
static const char *
quote(const char *text, size_t len, char *buf)
{
	size_t i, n = len > QUOTE_MAX ? QUOTE_MAX : len;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if(len > QUOTE_MAX) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = 0;
	return buf;
}

/** Write a formatted message into err (RECORD_ERR_MAX bytes), if not NULL. */
static void
set_err(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
set_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if(err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err, RECORD_ERR_MAX, fmt, ap);
	va_end(ap);
}

/** Case-insensitive comparison of a counted string with a C word. */
static int
word_equal(const char *text, size_t len, const char *word)
{
	size_t i;

	if(strlen(word) != len)
		return 0;
	for(i = 0; i < len; i++) {
		char c = text[i];
		if(c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if(c != word[i])
			return 0;
	}
	return 1;
}

/** 1 if a field has exactly this name (field names are case-sensitive). */
static int
field_is(const struct record_field *f, const char *name)
{
	return f->name != NULL && f->name_len == strlen(name) &&
		memcmp(f->name, name, f->name_len) == 0;
}

/** Status words, indexed by enum filing_status. */
static const char *const status_names[] = {
	"none", "active", "revoked", "cancelled", "pending", "invalid"
};

int
filing_status_parse(const char *text, size_t len, enum filing_status *status)
{
	int s;

	if(text == NULL)
		return -1;
	trim(&text, &len);
	/* Start at 1: "none" is not a status Redis may hold. */
	for(s = FILING_ACTIVE; s <= FILING_PENDING; s++) {
		if(word_equal(text, len, status_names[s])) {
			*status = (enum filing_status)s;
			return 0;
		}
	}
	return -1;
}

const char *
filing_status_name(enum filing_status status)
{
	if((int)status < 0 || status > FILING_INVALID)
		return "unknown";
	return status_names[status];
}

/** How strict a status is when spellings disagree (higher wins). */
static int
filing_strictness(enum filing_status status)
{
	switch(status) {
	case FILING_ACTIVE:
		return 1;
	case FILING_PENDING:
		return 2;
	case FILING_CANCELLED:
		return 3;
	case FILING_REVOKED:
		return 4;
	case FILING_INVALID:
		return 5;
	case FILING_NONE:
		break;
	}
	return 0;
}

enum filing_status
filing_merge(enum filing_status a, enum filing_status b)
{
	return filing_strictness(a) >= filing_strictness(b) ? a : b;
}

enum filing_status
filing_judge(const uint8_t *name, enum record_shape shape,
	const struct record_field *fields, size_t count, char *err)
{
	enum filing_status status;

	switch(shape) {
	case RECORD_MISSING:
		return FILING_NONE;
	case RECORD_NOT_HASH:
		set_err(err, "not a hash");
		return FILING_INVALID;
	case RECORD_TOO_MANY_FIELDS:
		set_err(err, "more than %d fields", RECORD_FIELDS_MAX);
		return FILING_INVALID;
	case RECORD_UNREADABLE:
		set_err(err, "unexpected reply from Redis");
		return FILING_INVALID;
	case RECORD_HASH:
		break;
	}
	if(filing_parse(fields, count, &status, err) != 0)
		return FILING_INVALID;
	if(name != NULL && name_is_public_suffix(name)) {
		set_err(err, "a filing on a public suffix covers every "
			"domain below it, which no filing can");
		return FILING_INVALID;
	}
	return status;
}

int
filing_parse(const struct record_field *fields, size_t count,
	enum filing_status *status, char *err)
{
	char q[QUOTE_MAX + 4];
	size_t i;

	for(i = 0; i < count; i++) {
		if(!field_is(&fields[i], "status"))
			continue;
		if(fields[i].value == NULL ||
			filing_status_parse(fields[i].value,
			fields[i].value_len, status) != 0) {
			set_err(err, "status: unknown value '%s'",
				quote(fields[i].value ? fields[i].value : "",
				fields[i].value ? fields[i].value_len : 0, q));
			return -1;
		}
		return 0;
	}
	set_err(err, "status: missing");
	return -1;
}

void
pool_free(struct pool *pool)
{
	if(pool == NULL)
		return;
	free(pool->v4);
	free(pool->v6);
	free(pool->cname);
	memset(pool, 0, sizeof(*pool));
}

/** Growable address array used while a pool is parsed. */
struct addr_list {
	/** addresses, addr_len bytes each */
	uint8_t *data;
	/** number of addresses */
	size_t count;
	/** allocated addresses */
	size_t cap;
};

/** Append one address of addr_len bytes. @return 0 or -1 (memory). */
static int
addr_list_add(struct addr_list *l, const uint8_t *addr, size_t addr_len)
{
	if(l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		uint8_t *data = realloc(l->data, cap * addr_len);
		if(data == NULL)
			return -1;
		l->data = data;
		l->cap = cap;
	}
	memcpy(l->data + l->count * addr_len, addr, addr_len);
	l->count++;
	return 0;
}

/**
 * 1 if a list item is meant as a CNAME target: it ends in a dot, which
 * no IPv4 or IPv6 address does.
 */
static int
item_is_name(const char *item, size_t len)
{
	return len > 0 && item[len - 1] == '.';
}

/** 1 if a counted string holds an ASCII letter (so it looks like a name). */
static int
has_letter(const char *text, size_t len)
{
	size_t i;

	for(i = 0; i < len; i++) {
		if((text[i] >= 'a' && text[i] <= 'z') ||
			(text[i] >= 'A' && text[i] <= 'Z'))
			return 1;
	}
	return 0;
}

/**
 * Parse one address item into the right list.
 * @return 0, or -1 with err set.
 */
static int
parse_address(const char *item, size_t len, struct addr_list *v4,
	struct addr_list *v6, char *err)
{
	char text[ADDR_TEXT_MAX + 1], q[QUOTE_MAX + 4];
	uint8_t addr[16];
	int is_v6 = memchr(item, ':', len) != NULL;

	if(len > ADDR_TEXT_MAX || memchr(item, 0, len) != NULL)
		goto bad;
	memcpy(text, item, len);
	text[len] = 0;
	if(inet_pton(is_v6 ? AF_INET6 : AF_INET, text, addr) != 1)
		goto bad;
	if((is_v6 ? v6->count : v4->count) >= POOL_MAX_ADDRS) {
		set_err(err, "more than %d %s addresses (the most a pool may "
			"hold)", POOL_MAX_ADDRS, is_v6 ? "IPv6" : "IPv4");
		return -1;
	}
	if(addr_list_add(is_v6 ? v6 : v4, addr, is_v6 ? 16 : 4) != 0) {
		set_err(err, "out of memory");
		return -1;
	}
	return 0;
bad:
	/* A name without its final dot is a likely slip: say so. */
	if(!is_v6 && has_letter(item, len))
		set_err(err, "bad address '%s' (a CNAME target must end "
			"in '.')", quote(item, len, q));
	else
		set_err(err, "bad address '%s'", quote(item, len, q));
	return -1;
}

/** Parse a value that is a single CNAME target. @return 0 or -1. */
static int
parse_cname(const char *text, size_t len, struct pool *pool, char *err)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t wire_len;
	char q[QUOTE_MAX + 4];

	if(dname_from_text_len(text, len, wire, &wire_len) != 0) {
		set_err(err, "bad CNAME target '%s'", quote(text, len, q));
		return -1;
	}
	if(wire_len == 1) {
		set_err(err, "CNAME target must not be the root");
		return -1;
	}
	pool->cname = malloc(wire_len);
	if(pool->cname == NULL) {
		set_err(err, "out of memory");
		return -1;
	}
	memcpy(pool->cname, wire, wire_len);
	pool->cname_len = wire_len;
	pool->kind = POOL_CNAME;
	return 0;
}

/**
 * Parse a comma-separated address list (the value is known to be
 * non-empty and not a lone CNAME target).
 */
static int
parse_address_list(const char *text, size_t len, struct pool *pool,
	char *err)
{
	struct addr_list v4 = { NULL, 0, 0 }, v6 = { NULL, 0, 0 };
	size_t pos = 0;

	for(;;) {
		const char *comma = memchr(text + pos, ',', len - pos);
		size_t end = comma ? (size_t)(comma - text) : len;
		const char *item = text + pos;
		size_t item_len = end - pos;

		trim(&item, &item_len);
		if(item_len == 0) {
			set_err(err, "empty item in address list");
			goto fail;
		}
		if(item_is_name(item, item_len)) {
			set_err(err, "CNAME target mixed with addresses");
			goto fail;
		}
		if(parse_address(item, item_len, &v4, &v6, err) != 0)
			goto fail;
		if(comma == NULL)
			break;
		pos = end + 1;
	}
	pool->kind = POOL_ADDRESSES;
	pool->v4 = v4.data;
	pool->v4_count = (uint16_t)v4.count;
	pool->v6 = v6.data;
	pool->v6_count = (uint16_t)v6.count;
	return 0;
fail:
	free(v4.data);
	free(v6.data);
	return -1;
}

int
pool_parse(const char *text, size_t len, struct pool *pool, char *err)
{
	memset(pool, 0, sizeof(*pool));
	if(text == NULL || len == 0)
		return 0; /* POOL_EMPTY */
	trim(&text, &len);
	if(len == 0)
		return 0;
	if(memchr(text, ',', len) == NULL && item_is_name(text, len))
		return parse_cname(text, len, pool, err);
	return parse_address_list(text, len, pool, err);
}

/**
 * Parse a ttl value: decimal seconds 0..2147483647, blanks around allowed.
 * @return 0 or -1.
 */
static int
parse_ttl(const char *text, size_t len, uint32_t *ttl)
{
	uint64_t v = 0;
	size_t i;

	trim(&text, &len);
	if(len == 0 || len > 10)
		return -1;
	for(i = 0; i < len; i++) {
		if(text[i] < '0' || text[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	if(v > 2147483647u)
		return -1;
	*ttl = (uint32_t)v;
	return 0;
}

/**
 * Parse the pool field of a route, prefixing any message with the field
 * name ("offshore: bad address '1.2.3.999'").
 */
static int
route_parse_pool(const struct record_field *f, struct pool *pool, char *err)
{
	char msg[RECORD_ERR_MAX];

	pool_free(pool); /* a repeated field: the last one counts */
	if(pool_parse(f->value, f->value_len, pool, msg) != 0) {
		set_err(err, "%.*s: %s", (int)f->name_len, f->name, msg);
		return -1;
	}
	return 0;
}

int
route_parse(const struct record_field *fields, size_t count,
	struct route *route, char *err)
{
	char q[QUOTE_MAX + 4];
	size_t i;

	memset(route, 0, sizeof(*route));
	for(i = 0; i < count; i++) {
		const struct record_field *f = &fields[i];
		if(field_is(f, "cn")) {
			if(route_parse_pool(f, &route->cn, err) != 0)
				goto fail;
		} else if(field_is(f, "offshore")) {
			if(route_parse_pool(f, &route->offshore, err) != 0)
				goto fail;
		} else if(field_is(f, "ttl")) {
			if(f->value == NULL || parse_ttl(f->value,
				f->value_len, &route->ttl) != 0) {
				set_err(err, "ttl: bad value '%s'", quote(
					f->value ? f->value : "",
					f->value ? f->value_len : 0, q));
				goto fail;
			}
			route->has_ttl = 1;
		}
		/* Other fields are metadata (a note, an owner): ignored. */
	}
	return 0;
fail:
	pool_free(&route->cn);
	pool_free(&route->offshore);
	memset(route, 0, sizeof(*route));
	return -1;
}

/** Bytes of a pool's arrays. */
static size_t
pool_data_size(const struct pool *p)
{
	return (size_t)p->v4_count * 4 + (size_t)p->v6_count * 16 +
		p->cname_len;
}

/**
 * Copy a pool's arrays to *at and point the copy's arrays there.
 * @param dst: the pool in the packed route (a copy of src's fields).
 * @param at: in/out, where the next array goes.
 */
static void
pool_pack(struct pool *dst, const struct pool *src, uint8_t **at)
{
	size_t v4 = (size_t)src->v4_count * 4, v6 = (size_t)src->v6_count * 16;

	dst->v4 = dst->v6 = dst->cname = NULL;
	if(v4 != 0) {
		dst->v4 = memcpy(*at, src->v4, v4);
		*at += v4;
	}
	if(v6 != 0) {
		dst->v6 = memcpy(*at, src->v6, v6);
		*at += v6;
	}
	if(src->cname_len != 0) {
		dst->cname = memcpy(*at, src->cname, src->cname_len);
		*at += src->cname_len;
	}
}

struct route *
route_parse_new(const struct record_field *fields, size_t count, char *err)
{
	struct route parsed, *packed;
	uint8_t *at;

	if(route_parse(fields, count, &parsed, err) != 0)
		return NULL;
	packed = malloc(sizeof(*packed) + pool_data_size(&parsed.cn) +
		pool_data_size(&parsed.offshore));
	if(packed == NULL) {
		set_err(err, "out of memory");
	} else {
		*packed = parsed;
		packed->packed = 1;
		at = (uint8_t *)(packed + 1);
		pool_pack(&packed->cn, &parsed.cn, &at);
		pool_pack(&packed->offshore, &parsed.offshore, &at);
	}
	pool_free(&parsed.cn);
	pool_free(&parsed.offshore);
	return packed;
}

struct route *
route_clone(const struct route *route)
{
	struct route *copy;
	uint8_t *at;

	if(route == NULL)
		return NULL;
	copy = malloc(sizeof(*copy) + pool_data_size(&route->cn) +
		pool_data_size(&route->offshore));
	if(copy == NULL)
		return NULL;
	*copy = *route;
	copy->packed = 1;
	at = (uint8_t *)(copy + 1);
	pool_pack(&copy->cn, &route->cn, &at);
	pool_pack(&copy->offshore, &route->offshore, &at);
	return copy;
}

struct route *
route_new(void)
{
	return calloc(1, sizeof(struct route));
}

void
route_free(struct route *route)
{
	if(route == NULL)
		return;
	if(!route->packed) {
		pool_free(&route->cn);
		pool_free(&route->offshore);
	}
	free(route);
}

/** 1 if two byte arrays of n bytes are equal (either may be NULL if n==0). */
static int
bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

/** 1 if two pools answer identically. */
static int
pool_equal(const struct pool *a, const struct pool *b)
{
	if(a->kind != b->kind)
		return 0;
	switch(a->kind) {
	case POOL_EMPTY:
		return 1;
	case POOL_ADDRESSES:
		return a->v4_count == b->v4_count &&
			a->v6_count == b->v6_count &&
			bytes_equal(a->v4, b->v4, (size_t)a->v4_count * 4) &&
			bytes_equal(a->v6, b->v6, (size_t)a->v6_count * 16);
	case POOL_CNAME:
		return a->cname_len == b->cname_len &&
			bytes_equal(a->cname, b->cname, a->cname_len);
	}
	return 0;
}

int
route_equal(const struct route *a, const struct route *b)
{
	if(a == NULL || b == NULL)
		return a == b;
	if(a->has_ttl != b->has_ttl || (a->has_ttl && a->ttl != b->ttl))
		return 0;
	return pool_equal(&a->cn, &b->cn) &&
		pool_equal(&a->offshore, &b->offshore);
}
