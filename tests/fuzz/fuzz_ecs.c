/*
 * fuzz_ecs.c - fuzz target for the EDNS Client Subnet option.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Any option a client sends is parsed; a valid one written back (with an
 * arbitrary scope) must parse again to the same family, source and
 * address, and never exceed ECS_MAX_DATA.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnroute/ecs.h"

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecs_option e, again;
	uint8_t out[ECS_MAX_DATA];
	size_t n;

	if(ecs_parse(data, size, &e) != 0)
		return 0;
	/* with scope 0 the reply is a valid query option again */
	n = ecs_write(&e, 0, out);
	if(n > ECS_MAX_DATA || n != size || memcmp(out, data, n) != 0)
		abort();
	if(ecs_parse(out, n, &again) != 0 || again.family != e.family ||
		again.source_prefix != e.source_prefix ||
		memcmp(again.addr, e.addr, sizeof(e.addr)) != 0)
		abort();
	n = ecs_write(&e, size > 0 ? data[size - 1] : 0, out);
	if(n > ECS_MAX_DATA)
		abort();
	return 0;
}
