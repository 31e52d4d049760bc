/*
 * fuzz_record.c - fuzz target for filing and route parsing.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The input is split into Redis hash fields: lines of "name=value"
 * (a line without '=' is a field with an empty value). Each field is a
 * separate heap copy of exactly its bytes, so ASan catches a parser that
 * reads past a value's length (values are not NUL terminated).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnroute/record.h"

/** Most fields taken from one input. */
#define MAX_FIELDS 16

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

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_field f[MAX_FIELDS];
	size_t count = split_fields(data, size, f), i;
	enum filing_status status;
	char err[RECORD_ERR_MAX];
	struct route *r = route_new(), *again = route_new();
	struct pool p;

	if(filing_parse(f, count, &status, err) == 0 &&
		(status < FILING_ACTIVE || status > FILING_PENDING))
		abort();
	if(r != NULL && again != NULL &&
		route_parse(f, count, r, err) == 0) {
		/* parsing is deterministic and route_equal reflexive */
		if(route_parse(f, count, again, err) != 0 ||
			!route_equal(r, again) || !route_equal(r, r))
			abort();
	}
	route_free(r);
	route_free(again);
	{
		char *whole = exact_copy(data, size);
		if(whole != NULL && pool_parse(whole, size, &p, err) == 0)
			pool_free(&p);
		free(whole);
	}
	for(i = 0; i < count; i++) {
		free((char *)f[i].name);
		free((char *)f[i].value);
	}
	return 0;
}
