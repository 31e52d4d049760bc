/*
 * fleet.h - "cnroutectl fleet status|wait": is every resolver of the
 * fleet following Redis, and does each serve what Redis says.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * status asks each resolver the fleet status question (status.cnroute.
 * CH TXT, answered by the module with fleet-status: yes) and reads its
 * key=value strings; wait asks each resolver real questions with an ECS
 * option, like probe, until every answer is the one explain computes
 * from Redis. The resolvers are the --resolver options, else the
 * fleet-resolvers of cnroute.conf.
 */
#ifndef CNROUTECTL_FLEET_H
#define CNROUTECTL_FLEET_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include "cli.h"
#include "dnsquery.h"
#include "netaddr.h"

/** Size of a fleet error message. */
#define FLEET_ERR_MAX 320

/** Most strings of a status answer that are read. */
#define FLEET_STATUS_STRINGS_MAX 64

/** Value of a number the answer did not hold. */
#define FLEET_UNKNOWN (-1LL)

/** One resolver's status answer, read (README, "Running a fleet"). */
struct fleet_status {
	/** cnroute-status: the format's version (1 and up) */
	long long format;
	/** redis: 1 up, 0 down */
	int redis_up;
	/** server: the Redis server read now ("-" when down) */
	char server[300];
	/** changes: tracking, keyspace or none ("" when not given) */
	char changes[16];
	/** contact-age: seconds since Redis last answered */
	long long contact_age;
	/** filings: the table's filings */
	long long filings;
	/** routes: the table's routes */
	long long routes;
	/** last-change: Unix time of the last change applied (0: none) */
	long long last_change;
	/** last-full-sync: Unix time of the last full reconciliation */
	long long last_full_sync;
	/** loaded: 1 yes, 0 no, -1 not given */
	int loaded;
	/** stale: 1 yes, 0 no */
	int stale;
	/** now: the resolver's clock, Unix time */
	long long now;
};

/**
 * Read the strings of a status TXT record ("key=value" each). The first
 * must be cnroute-status=N (N >= 1); redis and stale must be there; keys
 * not known here are skipped (a later format may add some); numbers
 * missing are FLEET_UNKNOWN.
 * @param err: FLEET_ERR_MAX bytes, naming the string at fault.
 * @return 0, or -1 when the strings are not a status answer.
 */
int fleet_status_parse(const char *const *strings, size_t n,
	struct fleet_status *st, char *err);

/** The resolvers a fleet command asks. */
struct fleet_list {
	/** the resolvers */
	struct dns_server *items;
	/** their number */
	size_t count;
};

/**
 * Take every "--resolver LIST" (or --resolver=LIST; LIST is one address
 * or several separated by blanks or commas) out of argv; the other
 * arguments are left in argv, in order.
 * @param argc: in and out.
 * @param usage: printed after a usage error.
 * @return CLI_OK, CLI_USAGE or CLI_INVALID (message printed).
 */
int fleet_take_resolvers(int *argc, char **argv, struct fleet_list *out,
	const char *usage);

/**
 * The resolvers of the configuration (fleet-resolvers) when out is
 * still empty (no --resolver given).
 * @return CLI_OK, CLI_INVALID (configuration) or CLI_USAGE (none at all).
 */
int fleet_default_resolvers(struct cli *cli, struct fleet_list *out,
	const char *usage);

/** Free a list. */
void fleet_list_free(struct fleet_list *l);

/**
 * Call fn(arg, i) for every i < n, each in a thread of its own (at most
 * FLEET_THREADS at once), and return when all are done: a resolver that
 * does not answer holds up only its own questions.
 */
void fleet_parallel(size_t n, void (*fn)(void *arg, size_t i), void *arg);

/** Most threads fleet_parallel runs at once. */
#define FLEET_THREADS 64

/** Out of memory: a partial report would read as "all fine" for what
 *  is missing, so print it and exit CLI_INVALID. */
void fleet_oom(void) __attribute__((noreturn));

/** Set obj[key] = value (the reference is taken over); obj or value
 *  NULL (out of memory) ends the program. */
void fleet_json_set(json_t *obj, const char *key, json_t *value);

/**
 * Ask every resolver of the list, until timeout_ms has passed, the
 * questions for every route under domain (every route when NULL) for
 * the client, until each answers them all as explain says it must.
 * Prints one line per resolver to out (how long it took, or what it
 * still answers wrongly); with json one JSON array instead.
 * @return CLI_OK when all converged, CLI_FLEET when some did not (named
 *	on stderr), CLI_INVALID or CLI_REDIS.
 */
int fleet_wait_run(struct cli *cli, const struct fleet_list *l,
	const char *domain, const struct client_subnet *client,
	unsigned timeout_ms, int json, FILE *out);

/**
 * For the write commands' --wait: fleet_wait_run over the
 * fleet-resolvers of the configuration, with the client given as on the
 * command line (ADDR or ADDR/LEN). The lines go to stderr, so a
 * command's own output (--json included) is left as it is.
 * @param domain: the names written (their routes and those below), or
 *	NULL for every route.
 * @return as fleet_wait_run; CLI_USAGE when the configuration lists no
 *	fleet-resolvers, CLI_INVALID for a bad client.
 */
int fleet_wait_converged(struct cli *cli, const char *domain,
	const char *client, unsigned timeout_ms);

/** How long a write's --wait waits for the fleet, milliseconds. */
#define FLEET_WRITE_WAIT_MS 10000

/**
 * Before a write with --wait CLIENT: check the client and that the
 * configuration lists fleet-resolvers, so a write is never made and then
 * refused for its --wait. client NULL (no --wait) is fine.
 * @return CLI_OK or CLI_USAGE (message printed).
 */
int fleet_write_wait_check(struct cli *cli, const char *client);

/**
 * After a write with --wait CLIENT: when it succeeded, wait (at most
 * FLEET_WRITE_WAIT_MS) until every resolver of fleet-resolvers serves
 * the client what explain says for the routes under domain (every route
 * when NULL). Lines go to stderr.
 * @return rc when the write failed or there is no --wait, else as
 *	fleet_wait_converged (CLI_FLEET: written, but not yet served by all).
 */
int fleet_write_wait(struct cli *cli, int rc, const char *domain,
	const char *client);

/** "fleet wait" (fleet_wait.c). */
int fleet_cmd_wait(struct cli *cli, int argc, char **argv);

#endif /* CNROUTECTL_FLEET_H */
