/*
 * fuzz_cli_import.c - fuzz target: cnroutectl's import file parser (CSV
 * with a header row, JSON lines) and the filing number validator on the
 * icp column it yields.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Linked with the CLI's sources (all but main) by the Makefile.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csvjson.h"
#include "icp.h"

/** libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct import_column cols[] = {
		{ "domain", 1, 0 }, { "icp", 1, 0 }, { "entity", 1, 0 },
		{ "registrant", 0, 0 }, { "status", 0, 1 }
	};
	struct import_result res;
	size_t i;
	import_parse((const char *)data, size, cols, 5, &res);
	for(i = 0; i < res.row_count; i++) {
		char out[ICP_MAX], err[ICP_ERR_MAX];
		/* every value is a NUL-terminated string */
		size_t c;
		for(c = 0; c < res.column_count; c++)
			if(res.rows[i].values[c] != NULL)
				(void)strlen(res.rows[i].values[c]);
		if(res.rows[i].values[1] != NULL)
			icp_normalise(res.rows[i].values[1], out, err);
		if(res.rows[i].line < 1)
			__builtin_trap();
	}
	for(i = 0; i < res.error_count; i++)
		if(res.errors[i].message == NULL)
			__builtin_trap();
	import_result_free(&res);
	return 0;
}
