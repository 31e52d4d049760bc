/*
 * cli.c - the run context: configuration, Redis connection, messages,
 * and the option parser every command uses.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "redis_store.h"

void
cli_error(const char *format, ...)
{
	va_list ap;
	fputs("cnroutectl: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_load_conf(struct cli *cli)
{
	char err[CONF_ERR_MAX];
	if(cli->conf_loaded)
		return CLI_OK;
	if(conf_read(conf_path(cli->conf_path), &cli->conf, err) != 0) {
		cli_error("%s", err);
		return CLI_INVALID;
	}
	cli->conf_loaded = 1;
	return CLI_OK;
}

int
cli_store(struct cli *cli, struct store **out)
{
	char err[STORE_ERR_MAX];
	int rc;
	if(cli->store != NULL) {
		*out = cli->store;
		return CLI_OK;
	}
	rc = cli_load_conf(cli);
	if(rc != CLI_OK)
		return rc;
	rc = store_connect(&cli->store, &cli->conf, err);
	if(rc != CLI_OK) {
		cli_error("%s", err);
		return rc;
	}
	*out = cli->store;
	return CLI_OK;
}

void
cli_finish(struct cli *cli)
{
	store_close(cli->store);
	cli->store = NULL;
	if(cli->conf_loaded)
		conf_free(&cli->conf);
	cli->conf_loaded = 0;
}

int
usage_error(const char *usage, const char *format, ...)
{
	va_list ap;
	fputs("cnroutectl: ", stderr);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return CLI_USAGE;
}

/** Find an option by long name. */
static const struct opt_spec *
find_spec(const struct opt_spec *specs, const char *name, size_t len)
{
	for(; specs->name != NULL; specs++)
		if(strlen(specs->name) == len &&
			strncmp(specs->name, name, len) == 0)
			return specs;
	return NULL;
}

/** common_option: the option was one of the common ones. */
#define COMMON_HANDLED 100
/** common_option: the option is the command's own. */
#define COMMON_NOT_MINE 101

/**
 * Handle the options every command has: -c/--config, --json, -h/--help.
 * @param i: index of the option; advanced past its value.
 * @return COMMON_HANDLED, COMMON_NOT_MINE, OPTS_HELP, or CLI_USAGE.
 */
static int
common_option(struct cli *cli, int argc, char **argv, int *i,
	const char *usage)
{
	const char *a = argv[*i];
	if(strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		fputs(usage, stdout);
		return OPTS_HELP;
	}
	if(strcmp(a, "--json") == 0) {
		cli->json = 1;
		return COMMON_HANDLED;
	}
	if(strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
		if(*i + 1 >= argc)
			return usage_error(usage, "%s needs a file", a);
		cli->conf_path = argv[++*i];
		return COMMON_HANDLED;
	}
	if(strncmp(a, "--config=", 9) == 0) {
		cli->conf_path = a + 9;
		return COMMON_HANDLED;
	}
	return COMMON_NOT_MINE;
}

/** Handle one --name[=value] option of the command. @return CLI code. */
static int
command_option(const struct opt_spec *specs, int argc, char **argv, int *i,
	const char *usage)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct opt_spec *spec = find_spec(specs, a, len);
	if(spec == NULL)
		return usage_error(usage, "unknown option '%s'", argv[*i]);
	if(!spec->has_arg) {
		if(eq != NULL)
			return usage_error(usage, "--%s takes no value",
				spec->name);
		*spec->flag = 1;
		return CLI_OK;
	}
	if(eq != NULL) {
		*spec->value = eq + 1;
	} else {
		if(*i + 1 >= argc)
			return usage_error(usage, "--%s needs a value",
				spec->name);
		*spec->value = argv[++*i];
	}
	return CLI_OK;
}

int
opts_parse(struct cli *cli, int argc, char **argv,
	const struct opt_spec *specs, struct opts_pos *pos, const char *usage)
{
	int i, only_pos = 0;
	memset(pos, 0, sizeof(*pos));
	for(i = 0; i < argc; i++) {
		const char *a = argv[i];
		int r;
		if(!only_pos && strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if(!only_pos && a[0] == '-' && a[1] != 0) {
			r = common_option(cli, argc, argv, &i, usage);
			if(r == OPTS_HELP || r == CLI_USAGE)
				return r;
			if(r == COMMON_HANDLED)
				continue;
			if(a[1] != '-')
				return usage_error(usage, "unknown option "
					"'%s'", a);
			r = command_option(specs, argc, argv, &i, usage);
			if(r != CLI_OK)
				return r;
			continue;
		}
		if(pos->count == OPTS_MAX_POS)
			return usage_error(usage, "too many arguments");
		pos->args[pos->count++] = a;
	}
	return CLI_OK;
}
