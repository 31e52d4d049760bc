/*
 * log.c - logging sink for code shared by the module and the CLI.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stdio.h>
#include "cnroute/log.h"

/** Where messages go; NULL means stderr. Set once at start-up. */
static cnroute_log_sink log_sink;

void
cnroute_log_set_sink(cnroute_log_sink sink)
{
	log_sink = sink;
}

void
cnroute_log(enum cnroute_log_level level, const char *format, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char message[1024];
	va_list args;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	if(log_sink) {
		log_sink(level, message);
		return;
	}
	if(level == CNROUTE_LOG_DEBUG)
		return;
	fprintf(stderr, "cnroute: %s: %s\n", names[level], message);
}
