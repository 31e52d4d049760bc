/*
 * fuzz_record.c - fuzz target for filing and route parsing.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The input is split into Redis hash fields: lines of "name=value"
 * (a line without '=' is a field with an empty value). Each field is a
 * separate heap copy of exactly its bytes, so ASan catches a parser that
 * reads past a value's length (values are not NUL terminated).
 *
 * Besides memory errors it checks what the module relies on: the parser
 * the module uses (route_parse_new) agrees with route_parse, its result
 * and route_clone's copy of it are self-contained (each is freed before
 * the other is read), no pool holds more than POOL_MAX_ADDRS addresses of
 * a family, filing_judge judges every record shape as documented, and no
 * error message carries a control byte (a forged log line).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnroute/dname.h"
#include "cnroute/public_suffix.h"
#include "cnroute/record.h"

/** Most fields taken from one input. */
#define MAX_FIELDS 16

/** libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Stop the fuzzer on a broken invariant (abort is seen as a crash). */
static void
check(int ok)
{
	if(!ok)
		abort();
}

/** Copy n bytes into a fresh allocation of exactly n bytes (1 if 0). */
static char *
exact_copy(const uint8_t *src, size_t n)
{
	char *p = malloc(n ? n : 1);

	if(p != NULL && n > 0)
		memcpy(p, src, n);
	return p;
}

/** Split data into fields; @return the number of fields. */
static size_t
split_fields(const uint8_t *data, size_t size, struct record_field *f)
{
	size_t count = 0, pos = 0;

	while(pos < size && count < MAX_FIELDS) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;
		const uint8_t *eq = memchr(data + pos, '=', end - pos);
		size_t name_end = eq ? (size_t)(eq - data) : end;
		size_t value_start = eq ? name_end + 1 : end;

		f[count].name_len = name_end - pos;
		f[count].name = exact_copy(data + pos, f[count].name_len);
		f[count].value_len = end - value_start;
		f[count].value = exact_copy(data + value_start,
			f[count].value_len);
		count++;
		pos = end + 1;
	}
	return count;
}

/** An error message is a NUL-terminated line of printable bytes. */
static void
check_message(const char *err)
{
	size_t i, n = strnlen(err, RECORD_ERR_MAX);

	check(n > 0 && n < RECORD_ERR_MAX);
	for(i = 0; i < n; i++)
		check((unsigned char)err[i] >= 0x20 &&
			(unsigned char)err[i] != 0x7f);
}

/** A parsed pool respects its kind and the per-family cap. */
static void
check_pool(const struct pool *p)
{
	check(p->v4_count <= POOL_MAX_ADDRS && p->v6_count <= POOL_MAX_ADDRS);
	switch(p->kind) {
	case POOL_EMPTY:
		check(p->v4_count == 0 && p->v6_count == 0 &&
			p->cname_len == 0);
		break;
	case POOL_ADDRESSES:
		check(p->v4_count + p->v6_count > 0 && p->cname_len == 0);
		check((p->v4_count == 0) == (p->v4 == NULL));
		check((p->v6_count == 0) == (p->v6 == NULL));
		break;
	case POOL_CNAME:
		check(p->cname != NULL && p->cname_len > 1 &&
			p->cname_len <= DNAME_MAX_WIRE &&
			dname_length(p->cname) == p->cname_len);
		check(p->v4_count == 0 && p->v6_count == 0);
		break;
	default:
		check(0);
	}
}

/** Read every byte of a route's arrays (ASan: still allocated). */
static unsigned
touch_route(const struct route *r)
{
	const struct pool *pools[2] = { &r->cn, &r->offshore };
	unsigned sum = 0;
	size_t i, j;

	for(i = 0; i < 2; i++) {
		for(j = 0; j < (size_t)pools[i]->v4_count * 4; j++)
			sum += pools[i]->v4[j];
		for(j = 0; j < (size_t)pools[i]->v6_count * 16; j++)
			sum += pools[i]->v6[j];
		for(j = 0; j < pools[i]->cname_len; j++)
			sum += pools[i]->cname[j];
	}
	return sum;
}

/**
 * route_parse_new agrees with route_parse (loose, parsed with it), and a
 * clone of its result equals it and outlives it.
 */
static void
check_packed(const struct record_field *f, size_t count,
	const struct route *loose)
{
	char err[RECORD_ERR_MAX];
	struct route *packed, *clone, *clone2;
	unsigned sum;

	err[0] = 0;
	packed = route_parse_new(f, count, err);
	if(loose == NULL) {
		/* route_parse refused: so must the module's parser */
		check(packed == NULL);
		check_message(err);
		return;
	}
	if(packed == NULL)
		return; /* out of memory */
	check(packed->packed == 1);
	check(route_equal(packed, loose) && route_equal(loose, packed));
	check_pool(&packed->cn);
	check_pool(&packed->offshore);
	clone = route_clone(packed);
	clone2 = route_clone(loose);
	check(route_clone(NULL) == NULL);
	if(clone != NULL) {
		check(clone->packed == 1 && route_equal(clone, packed));
		sum = touch_route(packed);
		/* independent: the source freed, the clone reads the same */
		route_free(packed);
		packed = NULL;
		check(touch_route(clone) == sum);
		check(route_equal(clone, loose));
		route_free(clone);
	}
	if(clone2 != NULL) {
		check(route_equal(clone2, loose));
		route_free(clone2);
	}
	route_free(packed);
}

/**
 * filing_judge on every shape, for a name spelt by the first field's name
 * (when it is a name), against filing_parse and name_is_public_suffix.
 */
static void
check_judge(const struct record_field *f, size_t count)
{
	static const enum record_shape bad[] = { RECORD_NOT_HASH,
		RECORD_TOO_MANY_FIELDS, RECORD_UNREADABLE };
	char err[RECORD_ERR_MAX];
	uint8_t wire[DNAME_MAX_WIRE];
	const uint8_t *name = NULL;
	size_t wire_len, i;
	enum filing_status parsed = FILING_NONE, judged;
	int parse_ok;

	if(count > 0 && f[0].name_len > 0 && dname_from_text_len(f[0].name,
		f[0].name_len, wire, &wire_len) == 0)
		name = wire;
	check(filing_judge(name, RECORD_MISSING, f, count, err) ==
		FILING_NONE);
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		check(filing_judge(name, bad[i], f, count, err) ==
			FILING_INVALID);
		check_message(err);
	}
	err[0] = 0;
	parse_ok = filing_parse(f, count, &parsed, err) == 0;
	if(!parse_ok)
		check_message(err);
	err[0] = 0;
	judged = filing_judge(name, RECORD_HASH, f, count, err);
	if(!parse_ok || (name != NULL && name_is_public_suffix(name))) {
		check(judged == FILING_INVALID);
		check_message(err);
	} else {
		check(judged == parsed);
		check(judged >= FILING_ACTIVE && judged <= FILING_PENDING);
	}
	/* a NULL name is never a public suffix: the status alone */
	judged = filing_judge(NULL, RECORD_HASH, f, count, NULL);
	check(judged == (parse_ok ? parsed : FILING_INVALID));
	/* merging is symmetric, and never looser than either side */
	check(filing_merge(judged, parsed) == filing_merge(parsed, judged));
}

/** libFuzzer entry point: one input, split into fields. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_field f[MAX_FIELDS];
	size_t count = split_fields(data, size, f), i;
	enum filing_status status;
	char err[RECORD_ERR_MAX];
	struct route *r = route_new(), *again = route_new();
	struct pool p;
	int route_ok = 0;

	if(filing_parse(f, count, &status, err) == 0 &&
		(status < FILING_ACTIVE || status > FILING_PENDING))
		abort();
	if(r != NULL && again != NULL) {
		err[0] = 0;
		route_ok = route_parse(f, count, r, err) == 0;
		if(route_ok) {
			/* parsing is deterministic and route_equal
			 * reflexive */
			if(route_parse(f, count, again, err) != 0 ||
				!route_equal(r, again) || !route_equal(r, r))
				abort();
			check_pool(&r->cn);
			check_pool(&r->offshore);
		} else {
			check_message(err);
		}
		check_packed(f, count, route_ok ? r : NULL);
	}
	route_free(r);
	route_free(again);
	check_judge(f, count);
	{
		char *whole = exact_copy(data, size);
		err[0] = 0;
		if(whole != NULL && pool_parse(whole, size, &p, err) == 0) {
			check_pool(&p);
			pool_free(&p);
		} else if(whole != NULL) {
			check_message(err);
		}
		free(whole);
	}
	for(i = 0; i < count; i++) {
		free((char *)f[i].name);
		free((char *)f[i].value);
	}
	return 0;
}
