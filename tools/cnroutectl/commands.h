/*
 * commands.h - the commands of cnroutectl and their option parser.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Each command gets argv starting at its own name ("filing", "route",
 * ...) and returns an exit code (enum cli_exit). Options may come
 * anywhere after the command; -c FILE, --json and --help are understood
 * by every command.
 */
#ifndef CNROUTECTL_COMMANDS_H
#define CNROUTECTL_COMMANDS_H

#include <stddef.h>
#include "cli.h"

/** Returned by opts_parse when --help was given (help already printed). */
#define OPTS_HELP (-1)
/** Most positional arguments a command takes. */
#define OPTS_MAX_POS 4

/** One option of a command. */
struct opt_spec {
	/** long name without the dashes, e.g. "icp" */
	const char *name;
	/** 1 if it takes a value */
	int has_arg;
	/** where the value goes (has_arg) */
	const char **value;
	/** set to 1 when given (!has_arg) */
	int *flag;
};

/** Positional arguments left after the options. */
struct opts_pos {
	/** the arguments */
	const char *args[OPTS_MAX_POS];
	/** how many */
	size_t count;
};

/**
 * Parse the options of a command.
 * @param argv: starts after the command words (argv[0] is the first
 *	argument to look at).
 * @param specs: the command's options, ended by a {NULL} entry.
 * @param usage: printed for --help (stdout) and after usage errors (stderr).
 * @return CLI_OK, CLI_USAGE (message printed) or OPTS_HELP.
 */
int opts_parse(struct cli *cli, int argc, char **argv,
	const struct opt_spec *specs, struct opts_pos *pos, const char *usage);

/** Print a usage error and the usage text to stderr. @return CLI_USAGE. */
int usage_error(const char *usage, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

struct store_op;

/** Print "WHAT import: N added, N updated, N unchanged, N skipped". */
void import_summary(const char *what, struct store_op *ops, size_t n,
	size_t skipped);

/** filing set|show|list|revoke|restore|cancel|import */
int cmd_filing(struct cli *cli, int argc, char **argv);
/** route set|show|list|del|import */
int cmd_route(struct cli *cli, int argc, char **argv);
/** explain NAME --client ADDR[/LEN] [--type A|AAAA] */
int cmd_explain(struct cli *cli, int argc, char **argv);
/** check */
int cmd_check(struct cli *cli, int argc, char **argv);
/** sync --feed FILE [--dry-run] */
int cmd_sync(struct cli *cli, int argc, char **argv);
/** audit [--since TIME] [--domain D] */
int cmd_audit(struct cli *cli, int argc, char **argv);
/** probe NAME --server ADDR[:PORT] --client ADDR[/LEN] */
int cmd_probe(struct cli *cli, int argc, char **argv);
/** fleet status|wait [--resolver ADDR[:PORT] ...] */
int cmd_fleet(struct cli *cli, int argc, char **argv);
/** stats [--json] */
int cmd_stats(struct cli *cli, int argc, char **argv);

#endif /* CNROUTECTL_COMMANDS_H */
