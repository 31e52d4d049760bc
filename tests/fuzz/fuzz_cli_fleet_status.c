/*
 * fuzz_cli_fleet_status.c - fuzz target: cnroutectl fleet's reading of
 * the status answer, whose strings come from the network.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The input is TXT rdata: strings of one length byte and that many
 * bytes, cut at a NUL as the CLI cuts them. Properties checked: never a
 * crash or overflow; an accepted answer has a format of 1 or more,
 * redis and stale each 0 or 1, and a server and changes of printable
 * ASCII without blanks (they go into JSON and onto terminals as they
 * are).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

/** libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** 1 if a text is printable ASCII without blanks. */
static int
word(const char *s)
{
	for(; *s; s++)
		if(*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char bufs[FLEET_STATUS_STRINGS_MAX][256];
	const char *strings[FLEET_STATUS_STRINGS_MAX];
	struct fleet_status st;
	char err[FLEET_ERR_MAX];
	size_t n = 0, at = 0;
	while(at < size && n < FLEET_STATUS_STRINGS_MAX) {
		size_t len = data[at++];
		if(len > size - at)
			len = size - at;
		memcpy(bufs[n], data + at, len);
		bufs[n][len] = 0;
		strings[n] = bufs[n];
		n++;
		at += len;
	}
	if(fleet_status_parse(strings, n, &st, err) != 0) {
		if(strlen(err) >= FLEET_ERR_MAX)
			__builtin_trap();
		return 0;
	}
	if(st.format < 1 || (st.redis_up != 0 && st.redis_up != 1) ||
		(st.stale != 0 && st.stale != 1) || !word(st.server) ||
		!word(st.changes))
		__builtin_trap();
	return 0;
}
