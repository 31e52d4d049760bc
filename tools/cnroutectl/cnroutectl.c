/*
 * cnroutectl.c - the operators' command line tool of cnroute: main() and
 * the command dispatch.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * cnroutectl reads the module's own cnroute.conf (-c FILE, else
 * $CNROUTE_CONF, else /etc/unbound/cnroute.conf) and links the module's
 * policy code, so what it writes, checks and explains is judged by the
 * very parsers and decision the resolver uses.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "cnroute/version.h"

/** Top-level usage. */
static const char usage_main[] =
	"usage: cnroutectl [-c FILE] [--json] COMMAND [ARGS...]\n"
	"\n"
	"Commands (each has --help):\n"
	"  filing set|show|list|revoke|restore|cancel|import   ICP filings\n"
	"  route set|show|list|del|import                      steering rules\n"
	"  explain NAME --client ADDR[/LEN] [--type A|AAAA]    why an answer\n"
	"  check                                   inconsistent or risky data\n"
	"  sync --feed FILE [--dry-run]        reconcile with a provider feed\n"
	"  audit [--since TIME] [--domain D]           the change history\n"
	"  probe NAME --server ADDR[:PORT] --client ADDR[/LEN]  ask a resolver\n"
	"  fleet status|wait [--resolver ADDR[:PORT] ...]    every resolver\n"
	"  stats                     the module's metrics-file, for a person\n"
	"\n"
	"Options: --version\n"
	"         -c FILE (cnroute.conf; default $CNROUTE_CONF, else "
	CNROUTE_CONF_DEFAULT ")\n"
	"         --json (machine-readable output of list, show, explain, "
	"check, audit,\n         sync --dry-run, probe, fleet, stats)\n"
	"Exit codes: 0 ok, 1 usage, 2 invalid input, 3 refused by a rule, "
	"4 Redis unreachable,\n            5 a resolver of the fleet not fine.\n";

/** A command and its handler. */
struct command {
	/** its name */
	const char *name;
	/** the handler, given argv from the command name on */
	int (*run)(struct cli *cli, int argc, char **argv);
};

/** Every command. */
static const struct command commands[] = {
	{ "filing", cmd_filing }, { "route", cmd_route },
	{ "explain", cmd_explain }, { "check", cmd_check },
	{ "sync", cmd_sync }, { "audit", cmd_audit }, { "probe", cmd_probe },
	{ "fleet", cmd_fleet }, { "stats", cmd_stats },
	{ NULL, NULL }
};

/**
 * Read the options before the command (-c FILE, --json, --help).
 * @param i: out, index of the command word.
 * @return CLI_OK, CLI_USAGE, or OPTS_HELP.
 */
static int
global_options(struct cli *cli, int argc, char **argv, int *i)
{
	for(*i = 1; *i < argc && argv[*i][0] == '-'; (*i)++) {
		const char *a = argv[*i];
		if(strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage_main, stdout);
			return OPTS_HELP;
		} else if(strcmp(a, "--version") == 0) {
			printf("cnroutectl %s\n", CNROUTE_VERSION);
			return OPTS_HELP;
		} else if(strcmp(a, "--json") == 0) {
			cli->json = 1;
		} else if(strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if(*i + 1 >= argc)
				return usage_error(usage_main, "%s needs a "
					"file", a);
			cli->conf_path = argv[++*i];
		} else if(strncmp(a, "--config=", 9) == 0) {
			cli->conf_path = a + 9;
		} else {
			return usage_error(usage_main, "unknown option '%s'",
				a);
		}
	}
	return CLI_OK;
}

/** Entry point. */
int
main(int argc, char **argv)
{
	struct cli cli;
	const struct command *c;
	int i, rc;
	memset(&cli, 0, sizeof(cli));
	rc = global_options(&cli, argc, argv, &i);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(i >= argc)
		return usage_error(usage_main, "no command given");
	if(strcmp(argv[i], "help") == 0) {
		fputs(usage_main, stdout);
		return CLI_OK;
	}
	for(c = commands; c->name != NULL; c++)
		if(strcmp(c->name, argv[i]) == 0)
			break;
	if(c->name == NULL)
		return usage_error(usage_main, "unknown command '%s'", argv[i]);
	rc = c->run(&cli, argc - i, argv + i);
	cli_finish(&cli);
	fflush(stdout);
	return rc;
}
