/*
 * fuzz_cli_icp.c - fuzz target: cnroutectl's filing number validator and
 * normaliser (UTF-8 decoding, full-width folding, shape matching).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Properties checked: never a crash or overflow; an accepted number is
 * valid UTF-8, fits ICP_MAX, and normalising it again gives itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icp.h"

/** libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], out[ICP_MAX], again[ICP_MAX], err[ICP_ERR_MAX];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;
	memcpy(in, data, n);
	in[n] = 0;
	if(icp_normalise(in, out, err) != ICP_OK)
		return 0;
	if(strlen(out) >= ICP_MAX)
		__builtin_trap();
	if(icp_normalise(out, again, err) != ICP_OK || strcmp(out, again) != 0)
		__builtin_trap();
	return 0;
}
