/*
 * json_out.c - cnroutectl's JSON, built and written by jansson.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_out.h"

/** Flags of every dump: one line, no spaces, non-ASCII as UTF-8. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/** Out of memory in the library: a CLI can only stop. */
static json_t *
must(json_t *value)
{
	if(value == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	return value;
}

json_t *
json_text(const char *text, size_t len)
{
	json_t *v = json_stringn(text, len);
	char *shown;
	if(v != NULL)
		return v;
	/* not UTF-8: JSON cannot carry the bytes, so show them escaped */
	shown = text_escape(text, len);
	v = must(json_string(shown));
	free(shown);
	return v;
}

json_t *
json_str_or_null(const char *text)
{
	return text ? json_text(text, strlen(text)) : must(json_null());
}

void
json_put(json_t *obj, const char *key, json_t *value)
{
	if(json_object_set_new(obj, key, must(value)) != 0)
		must(NULL);
}

void
json_push(json_t *array, json_t *value)
{
	if(json_array_append_new(array, must(value)) != 0)
		must(NULL);
}

json_t *
json_new_object(void)
{
	return must(json_object());
}

json_t *
json_new_array(void)
{
	return must(json_array());
}

json_t *
kvlist_to_json(const struct kvlist *l)
{
	struct kvlist sorted = { 0 };
	json_t *obj = json_new_object();
	size_t i;
	kvlist_copy(&sorted, l);
	kvlist_sort(&sorted);
	for(i = 0; i < sorted.count; i++)
		json_put(obj, sorted.items[i].name, json_text(
			sorted.items[i].value, sorted.items[i].value_len));
	kvlist_free(&sorted);
	return obj;
}

json_t *
json_from_stored(const char *text, size_t len)
{
	json_t *v;
	if(text == NULL || len == 0)
		return must(json_null());
	v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
		JSON_ALLOW_NUL, NULL);
	return v ? v : json_text(text, len);
}

char *
json_encode(const json_t *value)
{
	char *s = json_dumps(value, DUMP_FLAGS);
	if(s == NULL)
		must(NULL);
	return s;
}

void
json_print(json_t *value)
{
	char *s = json_encode(value);
	printf("%s\n", s);
	free(s);
	json_decref(value);
}

void
json_print_lines(json_t *array)
{
	size_t i, n = json_array_size(array);
	fputs("[", stdout);
	for(i = 0; i < n; i++) {
		char *s = json_encode(json_array_get(array, i));
		printf("%s\n%s", i ? "," : "", s);
		free(s);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
	json_decref(array);
}
