/*
 * fuzz_cli_jsonl.c - fuzz target: cnroutectl's JSON-lines import (read
 * with jansson): every row it yields holds valid UTF-8 without NULs, rows
 * and problems carry the line they came from.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Linked with the CLI's sources (all but main) by the Makefile. The input
 * follows one valid first line, so the file is always read as JSON lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvjson.h"
#include "icp.h"

/** libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** The line that makes the input JSON lines. */
static const char first[] =
	"{\"domain\":\"a.example.com\",\"icp\":\"1\",\"entity\":\"A\"}\n";

/** Trap unless text is valid UTF-8. */
static void
check_utf8(const char *text)
{
	size_t len = strlen(text), i = 0;
	while(i < len) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)text + i,
			len - i, &cp);
		if(n == 0)
			__builtin_trap();
		i += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct import_column cols[] = {
		{ "domain", 1, 0 }, { "icp", 1, 0 }, { "entity", 1, 0 },
		{ "registrant", 0, 0 }, { "status", 0, 1 }
	};
	struct import_result res;
	char *text = malloc(sizeof(first) - 1 + size + 1);
	size_t i, c, lines = 1;
	int last = 0;
	if(text == NULL)
		return 0;
	memcpy(text, first, sizeof(first) - 1);
	memcpy(text + sizeof(first) - 1, data, size);
	for(i = 0; i < size; i++)
		lines += data[i] == '\n';
	import_parse(text, sizeof(first) - 1 + size, cols, 5, &res);
	if(!res.json || res.row_count < 1)
		__builtin_trap();
	for(i = 0; i < res.row_count; i++) {
		if(res.rows[i].line <= last || (size_t)res.rows[i].line > lines)
			__builtin_trap();
		last = res.rows[i].line;
		for(c = 0; c < res.column_count; c++)
			if(res.rows[i].values[c] != NULL)
				check_utf8(res.rows[i].values[c]);
	}
	for(i = 0; i < res.error_count; i++)
		if(res.errors[i].message == NULL || res.errors[i].line < 2 ||
			(size_t)res.errors[i].line > lines + 1)
			__builtin_trap();
	import_result_free(&res);
	free(text);
	return 0;
}
