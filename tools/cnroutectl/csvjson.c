/*
 * csvjson.c - the import file formats: CSV with a header row, or JSON
 * lines.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Both parsers walk the bytes once with explicit bounds (the input is not
 * NUL terminated and may hold anything), collect every problem with its
 * line number instead of stopping at the first one, and never let a bad
 * row make a good one fail: an operator fixing a file wants the whole
 * list at once.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include <jansson.h>
#include "csvjson.h"
#include "icp.h"

/** Most fields in a CSV record (more is not an import file). */
#define CSV_MAX_FIELDS 64

/** A cursor over the input. */
struct cursor {
	/** the input */
	const char *text;
	/** its length */
	size_t len;
	/** current offset */
	size_t pos;
	/** line of the current offset (1-based) */
	int line;
};

/** A CSV record being read. */
struct csv_record {
	/** field texts (malloced) */
	char *fields[CSV_MAX_FIELDS];
	/** number of fields */
	size_t count;
	/** line the record starts on */
	int line;
	/** first problem found in it (malloced), or NULL */
	char *problem;
};

void
import_add_error(struct import_result *res, int line, const char *format, ...)
{
	va_list ap;
	char *msg;
	struct import_error *p;
	va_start(ap, format);
	if(vasprintf(&msg, format, ap) < 0)
		msg = NULL;
	va_end(ap);
	p = realloc(res->errors, (res->error_count + 1) * sizeof(*p));
	if(p == NULL || msg == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	res->errors = p;
	p[res->error_count].line = line;
	p[res->error_count].message = msg;
	res->error_count++;
}

/** qsort comparator: problems by line (stable enough: messages differ). */
static int
error_cmp(const void *a, const void *b)
{
	const struct import_error *x = a, *y = b;
	if(x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
}

void
import_sort_errors(struct import_result *res)
{
	/* insertion sort keeps equal lines in the order they were added */
	size_t i, j;
	for(i = 1; i < res->error_count; i++) {
		struct import_error e = res->errors[i];
		for(j = i; j > 0 && error_cmp(&res->errors[j - 1], &e) > 0; j--)
			res->errors[j] = res->errors[j - 1];
		res->errors[j] = e;
	}
}

/** Append a row of column_count values (taken over). */
static void
add_row(struct import_result *res, int line, char **values)
{
	struct import_row *p = realloc(res->rows,
		(res->row_count + 1) * sizeof(*p));
	if(p == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	res->rows = p;
	p[res->row_count].line = line;
	p[res->row_count].values = values;
	res->row_count++;
}

/** Free a values array of n entries. */
static void
free_values(char **values, size_t n)
{
	size_t i;
	if(values == NULL)
		return;
	for(i = 0; i < n; i++)
		free(values[i]);
	free(values);
}

void
import_result_free(struct import_result *res)
{
	size_t i;
	for(i = 0; i < res->row_count; i++)
		free_values(res->rows[i].values, res->column_count);
	free(res->rows);
	for(i = 0; i < res->error_count; i++)
		free(res->errors[i].message);
	free(res->errors);
	memset(res, 0, sizeof(*res));
}

/** Index of a column by name (ASCII case-insensitive), or -1. */
static long
column_index(const struct import_column *columns, size_t count,
	const char *name)
{
	size_t i;
	for(i = 0; i < count; i++)
		if(strcasecmp(columns[i].name, name) == 0)
			return (long)i;
	return -1;
}

/**
 * Check that every required column has a value; report the missing ones.
 * @return 0 or -1.
 */
static int
check_required(struct import_result *res, const struct import_column *cols,
	size_t ncols, char **values, int line)
{
	size_t i;
	int r = 0;
	for(i = 0; i < ncols; i++) {
		if(cols[i].required && values[i] == NULL) {
			import_add_error(res, line, "%s: missing",
				cols[i].name);
			r = -1;
		}
	}
	return r;
}

/* ------------------------------------------------------------ CSV */

/** Record a record's first problem. */
static void
record_problem(struct csv_record *rec, const char *msg)
{
	if(rec->problem == NULL)
		rec->problem = xstrdup(msg);
}

/** Free the fields of a record. */
static void
record_clear(struct csv_record *rec)
{
	size_t i;
	for(i = 0; i < rec->count; i++)
		free(rec->fields[i]);
	free(rec->problem);
	memset(rec, 0, sizeof(*rec));
}

/** Store a field into the record (taken over), checking limits. */
static void
record_add(struct csv_record *rec, struct strbuf *field, int quoted)
{
	const char *s = sb_str(field);
	size_t len = field->len;
	if(!quoted) {
		/* unquoted fields lose surrounding blanks */
		while(len > 0 && char_is_blank(s[len - 1]))
			len--;
		while(len > 0 && char_is_blank(*s)) {
			s++;
			len--;
		}
	}
	if(memchr(s, 0, len) != NULL)
		record_problem(rec, "NUL byte in a field");
	if(rec->count == CSV_MAX_FIELDS) {
		record_problem(rec, "too many fields");
	} else {
		rec->fields[rec->count++] = xstrndup(s, len);
	}
	sb_free(field);
}

/**
 * Read a quoted field's contents; the cursor is past the opening quote.
 * Ends after the closing quote.
 */
static void
csv_quoted(struct cursor *c, struct csv_record *rec, struct strbuf *field)
{
	while(c->pos < c->len) {
		char ch = c->text[c->pos++];
		if(ch == '"') {
			if(c->pos < c->len && c->text[c->pos] == '"') {
				sb_add(field, "\"", 1);
				c->pos++;
				continue;
			}
			return;
		}
		if(ch == '\n')
			c->line++;
		sb_add(field, &ch, 1);
	}
	record_problem(rec, "quoted field not closed");
}

/**
 * Read one record (one line, or more with quoted line breaks).
 * The cursor ends at the start of the next line.
 */
static void
csv_record_read(struct cursor *c, struct csv_record *rec)
{
	struct strbuf field = { 0 };
	int quoted = 0, after_quote = 0;
	rec->line = c->line;
	while(c->pos < c->len) {
		char ch = c->text[c->pos];
		if(ch == '\n' || ch == ',') {
			c->pos++;
			record_add(rec, &field, quoted);
			quoted = after_quote = 0;
			if(ch == '\n') {
				c->line++;
				return;
			}
			continue;
		}
		c->pos++;
		if(after_quote) {
			if(!char_is_blank(ch))
				record_problem(rec, "text after a closing "
					"quote");
			continue;
		}
		if(ch == '"' && field.len == 0 && !quoted) {
			quoted = 1;
			csv_quoted(c, rec, &field);
			after_quote = 1;
			continue;
		}
		if(ch == '"' && !quoted) {
			/* a quote inside an unquoted field: allowed only
			 * leading (after blanks), which is a quoted field */
			size_t k;
			int blanks_only = 1;
			for(k = 0; k < field.len; k++)
				if(!char_is_blank(field.s[k]))
					blanks_only = 0;
			if(blanks_only) {
				sb_free(&field);
				quoted = 1;
				csv_quoted(c, rec, &field);
				after_quote = 1;
				continue;
			}
			record_problem(rec, "quote inside an unquoted field");
		}
		sb_add(&field, &ch, 1);
	}
	record_add(rec, &field, quoted);
}

/**
 * 1 if the line at the cursor is to be skipped: blank, or (when comments
 * is set) starting with '#'; the cursor moves past it then.
 */
static int
skip_line(struct cursor *c, int comments)
{
	size_t p = c->pos;
	while(p < c->len && char_is_blank(c->text[p]))
		p++;
	if(p < c->len && c->text[p] != '\n' &&
		!(comments && c->text[p] == '#'))
		return 0;
	while(p < c->len && c->text[p] != '\n')
		p++;
	if(p < c->len)
		p++;
	c->pos = p;
	c->line++;
	return 1;
}

/** 1 if the line at the cursor is blank; skips it then. */
static int
skip_blank_line(struct cursor *c)
{
	return skip_line(c, 0);
}

/**
 * Map the header record to column indexes.
 * @param map: out, for each header field the column index.
 * @return 0 or -1 (fatal problems added).
 */
static int
csv_header(struct import_result *res, const struct import_column *cols,
	size_t ncols, struct csv_record *hdr, long *map)
{
	size_t i, j;
	int r = 0;
	if(hdr->problem != NULL) {
		import_add_error(res, hdr->line, "header: %s", hdr->problem);
		return -1;
	}
	for(i = 0; i < hdr->count; i++) {
		char *shown = text_escape(hdr->fields[i],
			strlen(hdr->fields[i]));
		map[i] = column_index(cols, ncols, hdr->fields[i]);
		if(hdr->fields[i][0] == 0) {
			import_add_error(res, hdr->line, "header: empty "
				"column name (column %zu)", i + 1);
			r = -1;
		} else if(map[i] < 0) {
			import_add_error(res, hdr->line, "header: unknown "
				"column '%s'", shown);
			r = -1;
		}
		for(j = 0; j < i && map[i] >= 0; j++) {
			if(map[j] == map[i]) {
				import_add_error(res, hdr->line, "header: "
					"column '%s' given twice", shown);
				r = -1;
			}
		}
		free(shown);
	}
	for(i = 0; i < ncols; i++) {
		int found = 0;
		for(j = 0; j < hdr->count; j++)
			if(map[j] == (long)i)
				found = 1;
		if(cols[i].required && !found) {
			import_add_error(res, hdr->line, "header: required "
				"column '%s' missing", cols[i].name);
			r = -1;
		}
	}
	return r;
}

/** Turn a data record into a row, or report why not. */
static void
csv_row(struct import_result *res, const struct import_column *cols,
	size_t ncols, const struct csv_record *hdr, const long *map,
	struct csv_record *rec)
{
	char **values;
	size_t i;
	if(rec->problem != NULL) {
		import_add_error(res, rec->line, "%s", rec->problem);
		return;
	}
	if(rec->count != hdr->count) {
		import_add_error(res, rec->line, "%zu fields, the header "
			"has %zu", rec->count, hdr->count);
		return;
	}
	values = xmalloc(ncols * sizeof(char *));
	memset(values, 0, ncols * sizeof(char *));
	for(i = 0; i < rec->count; i++) {
		if(rec->fields[i][0] == 0)
			continue; /* empty cell: absent */
		values[map[i]] = rec->fields[i];
		rec->fields[i] = NULL;
	}
	if(check_required(res, cols, ncols, values, rec->line) != 0) {
		free_values(values, ncols);
		return;
	}
	add_row(res, rec->line, values);
}

/** Parse CSV. @return 0 or -1 when the header is unusable. */
static int
csv_parse(struct cursor *c, const struct import_column *cols, size_t ncols,
	struct import_result *res)
{
	struct csv_record hdr, rec;
	long map[CSV_MAX_FIELDS];
	int have_header = 0, r = 0;
	memset(&hdr, 0, sizeof(hdr));
	while(c->pos < c->len) {
		/* comments only before the header: after it, a line starting
		 * with '#' is a data row (an entity "#1 Hotel Ltd" in the
		 * first column), imported or reported, never dropped */
		if(skip_line(c, !have_header))
			continue;
		if(!have_header) {
			csv_record_read(c, &hdr);
			have_header = 1;
			if(csv_header(res, cols, ncols, &hdr, map) != 0) {
				r = -1;
				break;
			}
			continue;
		}
		memset(&rec, 0, sizeof(rec));
		csv_record_read(c, &rec);
		csv_row(res, cols, ncols, &hdr, map, &rec);
		record_clear(&rec);
	}
	if(!have_header) {
		import_add_error(res, 0, "no header row (an empty file?)");
		r = -1;
	}
	record_clear(&hdr);
	return r;
}

/* ------------------------------------------------------------ JSON lines */

/** Offset of the first byte that is not valid UTF-8, or len. */
static size_t
utf8_invalid_at(const char *s, size_t len)
{
	size_t i = 0;
	while(i < len) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)s + i, len - i,
			&cp);
		if(n == 0)
			return i;
		i += n;
	}
	return len;
}

/**
 * Store one key/value of a JSON line into values: strings (an empty one
 * is absent), null (absent), and integers where the column takes them.
 * @return 0, or -1 with a problem reported.
 */
static int
j_store(struct import_result *res, const struct import_column *cols,
	size_t ncols, char **values, int line, const char *key,
	const json_t *value)
{
	char *shown = text_escape(key, strlen(key));
	long idx = column_index(cols, ncols, key);
	int r = -1;
	if(idx < 0) {
		import_add_error(res, line, "unknown key '%s'", shown);
	} else if(values[idx] != NULL) {
		import_add_error(res, line, "key '%s' given twice", shown);
	} else if(json_is_string(value)) {
		if(json_string_length(value) > 0)
			values[idx] = xstrndup(json_string_value(value),
				json_string_length(value));
		r = 0;
	} else if(json_is_null(value)) {
		r = 0;
	} else if(json_is_integer(value) && cols[idx].integer) {
		values[idx] = xasprintf("%" JSON_INTEGER_FORMAT,
			json_integer_value(value));
		r = 0;
	} else {
		import_add_error(res, line, "%s: a string is expected%s, not "
			"%s", shown, cols[idx].integer ? " (or an integer)" : "",
			json_is_number(value) ? "a number" :
			json_is_boolean(value) ? "true or false" :
			json_is_array(value) ? "an array" : "an object");
	}
	free(shown);
	return r;
}

/** Parse one JSON line (with jansson) into a row, or report why not. */
static void
jsonl_line(struct import_result *res, const struct import_column *cols,
	size_t ncols, const char *s, size_t len, int line)
{
	json_error_t jerr;
	json_t *obj, *value;
	const char *key;
	char **values;
	size_t bad_at = utf8_invalid_at(s, len);
	int bad = 0;
	if(bad_at < len) {
		import_add_error(res, line, "JSON: not valid UTF-8 (byte %zu "
			"of the line, 0x%02x)", bad_at + 1,
			(unsigned char)s[bad_at]);
		return;
	}
	/* no \u0000: a NUL cannot be part of a filing's text */
	obj = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
	if(obj == NULL) {
		char *shown = text_escape(jerr.text, strlen(jerr.text));
		import_add_error(res, line, "JSON: %s (column %d)", shown,
			jerr.column);
		free(shown);
		return;
	}
	if(!json_is_object(obj)) {
		import_add_error(res, line, "JSON: not a JSON object");
		json_decref(obj);
		return;
	}
	values = xmalloc(ncols * sizeof(char *));
	memset(values, 0, ncols * sizeof(char *));
	json_object_foreach(obj, key, value)
		if(j_store(res, cols, ncols, values, line, key, value) != 0)
			bad = 1;
	json_decref(obj);
	if(bad || check_required(res, cols, ncols, values, line) != 0) {
		free_values(values, ncols);
		return;
	}
	add_row(res, line, values);
}

/** Parse JSON lines (blank lines skipped). @return 0. */
static int
jsonl_parse(struct cursor *c, const struct import_column *cols, size_t ncols,
	struct import_result *res)
{
	while(c->pos < c->len) {
		const char *start = c->text + c->pos;
		const char *nl = memchr(start, '\n', c->len - c->pos);
		size_t len = nl ? (size_t)(nl - start) : c->len - c->pos;
		if(!skip_blank_line(c)) {
			jsonl_line(res, cols, ncols, start, len, c->line);
			c->pos += len + (nl ? 1 : 0);
			c->line++;
		}
	}
	return 0;
}

/** 1 if the first meaningful character is '{' (JSON lines). */
static int
looks_like_json(const struct cursor *c)
{
	size_t p = c->pos;
	while(p < c->len && (char_is_blank(c->text[p]) || c->text[p] == '\n'))
		p++;
	return p < c->len && c->text[p] == '{';
}

int
import_parse(const char *text, size_t len,
	const struct import_column *columns, size_t column_count,
	struct import_result *res)
{
	struct cursor c = { text, len, 0, 1 };
	int r;
	memset(res, 0, sizeof(*res));
	res->column_count = column_count;
	if(len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		c.pos = 3; /* spreadsheets like to start with a BOM */
	res->json = looks_like_json(&c);
	if(res->json)
		r = jsonl_parse(&c, columns, column_count, res);
	else
		r = csv_parse(&c, columns, column_count, res);
	if(r != 0) {
		size_t i;
		res->fatal = 1;
		for(i = 0; i < res->row_count; i++)
			free_values(res->rows[i].values, column_count);
		free(res->rows);
		res->rows = NULL;
		res->row_count = 0;
	}
	import_sort_errors(res);
	return r;
}

int
import_file(const char *path, const struct import_column *columns,
	size_t column_count, struct import_result *res)
{
	size_t len;
	char *text = read_file(path, &len);
	memset(res, 0, sizeof(*res));
	if(text == NULL) {
		fprintf(stderr, "cnroutectl: %s: cannot read: %s\n", path,
			strerror(errno));
		return CLI_INVALID;
	}
	if(import_parse(text, len, columns, column_count, res) != 0) {
		free(text);
		import_report(path, res);
		return CLI_INVALID;
	}
	free(text);
	return CLI_OK;
}

void
import_report(const char *path, const struct import_result *res)
{
	size_t i;
	for(i = 0; i < res->error_count; i++) {
		if(res->errors[i].line > 0)
			fprintf(stderr, "%s:%d: %s\n", path,
				res->errors[i].line, res->errors[i].message);
		else
			fprintf(stderr, "%s: %s\n", path,
				res->errors[i].message);
	}
}
