/*
 * json_out.h - cnroutectl's JSON, built and written by jansson.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every --json output is a jansson value dumped by the library: no text
 * read from Redis, a file or the command line is ever pasted into the
 * output, so no value can end a string early or add a field. Values that
 * are not valid UTF-8 (JSON strings must be) are shown escaped as
 * text_escape does, never cut.
 */
#ifndef CNROUTECTL_JSON_OUT_H
#define CNROUTECTL_JSON_OUT_H

#include <stddef.h>
#include <jansson.h>
#include "cli.h"

/** A JSON string of len bytes: as they are when valid UTF-8 (NULs kept),
 *  else text_escape'd. Never NULL. */
json_t *json_text(const char *text, size_t len);

/** json_text of a NUL-terminated text, or JSON null for NULL. */
json_t *json_str_or_null(const char *text);

/** Set obj[key] = value (the reference is taken over); out of memory
 *  ends the program. */
void json_put(json_t *obj, const char *key, json_t *value);

/** Append value to an array (the reference is taken over). */
void json_push(json_t *array, json_t *value);

/** A new object or array, never NULL. */
json_t *json_new_object(void);
/** A new array, never NULL. */
json_t *json_new_array(void);

/** The fields of a hash as a JSON object of strings, sorted by name. */
json_t *kvlist_to_json(const struct kvlist *l);

/**
 * A value stored as JSON text (the audit stream's old and new): empty is
 * null; valid JSON is that value, re-encoded by the library; anything
 * else is a string of the text (json_text).
 */
json_t *json_from_stored(const char *text, size_t len);

/** The compact encoding of a value (malloced, NUL-terminated). */
char *json_encode(const json_t *value);

/** Print a value compactly on one line to stdout and release it. */
void json_print(json_t *value);

/**
 * Print an array one element a line ("[", elements joined by ",", "]";
 * "[]" when empty), so line tools can pick entries, and release it.
 */
void json_print_lines(json_t *array);

#endif /* CNROUTECTL_JSON_OUT_H */
