/*
 * cli.h - what every part of cnroutectl shares: exit codes, the command
 * context, small dynamic strings and field lists, JSON output.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The exit codes are part of the interface (cron jobs and scripts test
 * them), so they are fixed here once and documented in cnroutectl.1.
 */
#ifndef CNROUTECTL_CLI_H
#define CNROUTECTL_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include "cnroute/conf.h"

/** Exit codes of cnroutectl. Stable: scripts depend on them. */
enum cli_exit {
	/** done */
	CLI_OK = 0,
	/** bad command line */
	CLI_USAGE = 1,
	/** invalid input: a bad name, number, file row, configuration */
	CLI_INVALID = 2,
	/** refused by a rule (onboarding gate, empty feed, findings) */
	CLI_REFUSED = 3,
	/** Redis unreachable or failing */
	CLI_REDIS = 4
};

/** A growing NUL-terminated string. */
struct strbuf {
	/** the text, NUL terminated once anything was added; may be NULL */
	char *s;
	/** length without the NUL */
	size_t len;
	/** allocated bytes */
	size_t cap;
};

/** One field of a hash (both strings malloced). */
struct kv {
	/** field name */
	char *name;
	/** field value, NUL added after value_len bytes; it may hold NULs
	 *  (Redis values are binary), so value_len is its length */
	char *value;
	/** length of value */
	size_t value_len;
};

/** A Redis hash as a list of fields, in insertion order. */
struct kvlist {
	/** the fields */
	struct kv *items;
	/** number of fields */
	size_t count;
	/** allocated entries */
	size_t cap;
};

struct store;

/** State of one cnroutectl run, filled lazily by the commands. */
struct cli {
	/** -c FILE, or NULL (then $CNROUTE_CONF, then the default) */
	const char *conf_path;
	/** --json given anywhere on the command line */
	int json;
	/** the configuration, valid when conf_loaded */
	struct cnroute_conf conf;
	/** whether conf holds a parsed configuration */
	int conf_loaded;
	/** the Redis connection, NULL until cli_store() */
	struct store *store;
};

/*
 * Errors and messages. Errors go to stderr, prefixed "cnroutectl: ".
 */

/** Print "cnroutectl: MESSAGE" to stderr. */
void cli_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/** Load the configuration (once). @return CLI_OK or CLI_INVALID. */
int cli_load_conf(struct cli *cli);

/**
 * Connect to Redis as the configuration says (once).
 * @param out: the connection.
 * @return CLI_OK, CLI_INVALID (configuration) or CLI_REDIS.
 */
int cli_store(struct cli *cli, struct store **out);

/** Release what the run holds (connection, configuration). */
void cli_finish(struct cli *cli);

/*
 * struct strbuf: out of memory aborts the program (a CLI has nothing
 * better to do, and every caller stays simple).
 */

/** Append len bytes. */
void sb_add(struct strbuf *sb, const char *text, size_t len);
/** Append a NUL-terminated string. */
void sb_puts(struct strbuf *sb, const char *text);
/** Append printf-style. */
void sb_printf(struct strbuf *sb, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
/** The text ("" when nothing was added); stays owned by sb. */
const char *sb_str(const struct strbuf *sb);
/** Free the text. */
void sb_free(struct strbuf *sb);

/** malloc that aborts when out of memory. */
void *xmalloc(size_t size);
/** strdup that aborts when out of memory. */
char *xstrdup(const char *text);
/** strndup that aborts when out of memory. */
char *xstrndup(const char *text, size_t len);
/** asprintf that aborts when out of memory. */
char *xasprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/*
 * struct kvlist
 */

/** Set a field, replacing the value of an existing one. */
void kvlist_set(struct kvlist *l, const char *name, const char *value);
/** Set a field to len bytes (any bytes, NULs included). */
void kvlist_set_len(struct kvlist *l, const char *name, const char *value,
	size_t len);
/** The value of a field, or NULL (it may hold NULs: kvlist_get_len). */
const char *kvlist_get(const struct kvlist *l, const char *name);
/** The value of a field and its length, or NULL. */
const char *kvlist_get_len(const struct kvlist *l, const char *name,
	size_t *len);
/** Remove a field. @return 1 if it was there. */
int kvlist_del(struct kvlist *l, const char *name);
/** Copy src into dst (dst is freed first). */
void kvlist_copy(struct kvlist *dst, const struct kvlist *src);
/** Sort the fields by name, so output and comparisons are stable. */
void kvlist_sort(struct kvlist *l);
/** 1 if both hold the same fields and values (any order). */
int kvlist_equal(const struct kvlist *a, const struct kvlist *b);
/** Free the fields. */
void kvlist_free(struct kvlist *l);

/*
 * Small text helpers, shared by every command.
 */

/** 1 for a blank inside a line: space, tab, CR. */
int char_is_blank(char c);
/** 1 if a text is NULL, empty or only blanks (space, tab). */
int text_is_blank(const char *text);
/** Trim blanks (space, tab, CR) around [*s, *s + *len). */
void text_trim(const char **s, size_t *len);
/**
 * A text for people: printable ASCII and valid UTF-8 as they are, every
 * other byte (controls, NUL, invalid UTF-8) as \xNN and '\' as "\\".
 * Never cut. @return malloced.
 */
char *text_escape(const char *text, size_t len);

/** A field's value for people (text_escape), or a copy of absent when
 *  the field is missing. @return malloced. */
char *kvlist_shown(const struct kvlist *l, const char *name,
	const char *absent);

/** Read a whole file. @return the bytes (NUL added) or NULL, errno set. */
char *read_file(const char *path, size_t *len);

#endif /* CNROUTECTL_CLI_H */
