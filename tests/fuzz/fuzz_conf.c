/*
 * fuzz_conf.c - fuzz target for cnroute.conf parsing.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The buffer is parsed as a whole configuration file. Success or failure,
 * conf_free must leave nothing behind (LeakSanitizer) and the error
 * message must be NUL terminated within CONF_ERR_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnroute/conf.h"

/** libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	memset(err, 'x', sizeof(err));
	if(conf_parse_buffer("fuzz.conf", (const char *)data, size, &conf,
		err) != 0) {
		if(memchr(err, 0, sizeof(err)) == NULL)
			abort();
	} else {
		if(conf.geoip_db == NULL || conf.mainland_count < 1 ||
			conf.mainland_count > CONF_MAX_COUNTRIES)
			abort();
	}
	conf_free(&conf);
	return 0;
}
