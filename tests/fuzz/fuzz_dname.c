/*
 * fuzz_dname.c - fuzz target for name parsing and printing.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Text names (Redis keys) and wire names (queries) come from strangers.
 * Besides memory errors this checks the round trip: a parsed name prints
 * to text that parses back to the same wire bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnroute/dname.h"

/** Stop the fuzzer on a broken invariant (abort is seen as a crash). */
static void
check(int ok)
{
	if(!ok)
		abort();
}

/** Walk a canonical name with the helpers; lengths must agree. */
static void
check_walk(const uint8_t *wire, size_t len)
{
	const uint8_t *p = wire;
	int labels = 0;

	check(dname_length(wire) == len);
	while((p = dname_parent(p)) != NULL)
		labels++;
	check(labels == dname_label_count(wire));
	(void)dname_hash(wire, len);
	(void)dname_is_wildcard(wire);
}

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t wire[DNAME_MAX_WIRE], back[DNAME_MAX_WIRE];
	char text[DNAME_MAX_TEXT];
	size_t len, back_len;

	if(dname_from_text_len((const char *)data, size, wire, &len) == 0) {
		check(len >= 1 && len <= DNAME_MAX_WIRE);
		check_walk(wire, len);
		dname_to_text(wire, text);
		check(strlen(text) < DNAME_MAX_TEXT);
		check(dname_from_text(text, back, &back_len) == 0);
		check(back_len == len && memcmp(back, wire, len) == 0);
	}
	if(dname_canonicalize(data, size, wire, &len) == 0) {
		size_t i;

		check(len >= 1 && len <= DNAME_MAX_WIRE && len <= size);
		check_walk(wire, len);
		/* the input's bytes, only 'A'..'Z' lower-cased */
		for(i = 0; i < len; i++)
			check(wire[i] == (data[i] >= 'A' && data[i] <= 'Z' ?
				data[i] + 32 : data[i]));
		dname_to_text(wire, text);
		check(dname_from_text(text, back, &back_len) == 0);
		check(back_len == len && memcmp(back, wire, len) == 0);
	}
	return 0;
}
