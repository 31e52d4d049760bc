/*
 * log.h - one logging call for code shared by the module and the CLI.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The policy and sync code must not call Unbound's log functions (the CLI
 * links it too), so it logs through a sink: the module points it at
 * Unbound's log_err/log_warn/log_info, the CLI leaves the default, stderr.
 */
#ifndef CNROUTE_LOG_H
#define CNROUTE_LOG_H

/** Severity of a message. */
enum cnroute_log_level {
	/** something is broken and needs an operator */
	CNROUTE_LOG_ERROR = 0,
	/** bad data skipped, a connection lost: the service goes on */
	CNROUTE_LOG_WARNING,
	/** state changes worth a line (connected, loaded N records) */
	CNROUTE_LOG_INFO,
	/** detail for debugging */
	CNROUTE_LOG_DEBUG
};

/** A log sink: receives the formatted message without a newline. */
typedef void (*cnroute_log_sink)(enum cnroute_log_level level,
	const char *message);

/** Send messages to sink (NULL restores the stderr default). */
void cnroute_log_set_sink(cnroute_log_sink sink);

/** Log a printf-style message, prefixed "cnroute: ". */
void cnroute_log(enum cnroute_log_level level, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* CNROUTE_LOG_H */
