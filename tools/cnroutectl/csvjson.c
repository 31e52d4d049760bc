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

/** 1 for a blank inside a line. */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
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

/** A printable copy of a short text for messages ('?' for control bytes). */
static void
printable(const char *s, char *out, size_t size)
{
	size_t i;
	for(i = 0; s[i] && i + 1 < size; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
			'?' : s[i];
	out[i] = 0;
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
		while(len > 0 && is_blank(s[len - 1]))
			len--;
		while(len > 0 && is_blank(*s)) {
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
			if(!is_blank(ch))
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
				if(!is_blank(field.s[k]))
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

/** 1 if the line at the cursor is blank or a '#' comment; skips it then. */
static int
skip_ignorable_line(struct cursor *c)
{
	size_t p = c->pos;
	while(p < c->len && is_blank(c->text[p]))
		p++;
	if(p < c->len && c->text[p] != '\n' && c->text[p] != '#')
		return 0;
	while(p < c->len && c->text[p] != '\n')
		p++;
	if(p < c->len)
		p++;
	c->pos = p;
	c->line++;
	return 1;
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
	char shown[80];
	if(hdr->problem != NULL) {
		import_add_error(res, hdr->line, "header: %s", hdr->problem);
		return -1;
	}
	for(i = 0; i < hdr->count; i++) {
		printable(hdr->fields[i], shown, sizeof(shown));
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
		if(skip_ignorable_line(c))
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

/** A cursor over one JSON line. */
struct jline {
	/** the line */
	const char *s;
	/** its length */
	size_t len;
	/** current offset */
	size_t pos;
	/** why parsing failed (static text) */
	const char *problem;
};

/** Skip JSON white space. */
static void
j_ws(struct jline *j)
{
	while(j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t'
		|| j->s[j->pos] == '\r'))
		j->pos++;
}

/** Read 4 hex digits. @return the value or -1. */
static long
j_hex4(struct jline *j)
{
	long v = 0;
	int i;
	if(j->len - j->pos < 4)
		return -1;
	for(i = 0; i < 4; i++) {
		char ch = j->s[j->pos++];
		v <<= 4;
		if(ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if(ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if(ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/** Decode a \u escape (surrogate pairs included) into out. @return 0/-1. */
static int
j_unicode_escape(struct jline *j, struct strbuf *out)
{
	char buf[4];
	long cp = j_hex4(j), lo;
	if(cp < 0)
		return -1;
	if(cp >= 0xD800 && cp <= 0xDBFF) {
		if(j->len - j->pos < 6 || j->s[j->pos] != '\\' ||
			j->s[j->pos + 1] != 'u')
			return -1;
		j->pos += 2;
		lo = j_hex4(j);
		if(lo < 0xDC00 || lo > 0xDFFF)
			return -1;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	} else if(cp >= 0xDC00 && cp <= 0xDFFF) {
		return -1;
	}
	if(cp == 0)
		return -1; /* a NUL cannot be part of a C string value */
	sb_add(out, buf, utf8_encode((uint32_t)cp, buf));
	return 0;
}

/** Read a string; the cursor is at the opening quote. @return 0/-1. */
static int
j_string(struct jline *j, struct strbuf *out)
{
	j->pos++;
	while(j->pos < j->len) {
		unsigned char ch = (unsigned char)j->s[j->pos++];
		if(ch == '"') {
			sb_add(out, "", 0);
			return 0;
		}
		if(ch < 0x20) {
			j->problem = "control character in a string";
			return -1;
		}
		if(ch != '\\') {
			sb_add(out, (const char *)&ch, 1);
			continue;
		}
		if(j->pos >= j->len)
			break;
		ch = (unsigned char)j->s[j->pos++];
		switch(ch) {
		case '"': sb_add(out, "\"", 1); break;
		case '\\': sb_add(out, "\\", 1); break;
		case '/': sb_add(out, "/", 1); break;
		case 'b': sb_add(out, "\b", 1); break;
		case 'f': sb_add(out, "\f", 1); break;
		case 'n': sb_add(out, "\n", 1); break;
		case 'r': sb_add(out, "\r", 1); break;
		case 't': sb_add(out, "\t", 1); break;
		case 'u':
			if(j_unicode_escape(j, out) != 0) {
				j->problem = "bad \\u escape";
				return -1;
			}
			break;
		default:
			j->problem = "bad escape in a string";
			return -1;
		}
	}
	j->problem = "string not closed";
	return -1;
}

/** Read a number's text (JSON grammar). @return 0/-1. */
static int
j_number(struct jline *j, struct strbuf *out)
{
	size_t start = j->pos, digits = 0;
	if(j->pos < j->len && j->s[j->pos] == '-')
		j->pos++;
	while(j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9') {
		j->pos++;
		digits++;
	}
	if(digits == 0) {
		j->problem = "bad value (strings, numbers or null only)";
		return -1;
	}
	if(j->pos < j->len && j->s[j->pos] == '.') {
		j->pos++;
		while(j->pos < j->len && j->s[j->pos] >= '0' &&
			j->s[j->pos] <= '9')
			j->pos++;
	}
	if(j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
		j->pos++;
		if(j->pos < j->len && (j->s[j->pos] == '+' ||
			j->s[j->pos] == '-'))
			j->pos++;
		while(j->pos < j->len && j->s[j->pos] >= '0' &&
			j->s[j->pos] <= '9')
			j->pos++;
	}
	sb_add(out, j->s + start, j->pos - start);
	return 0;
}

/**
 * Read a value: string, number or null.
 * @param is_null: out.
 * @return 0/-1.
 */
static int
j_value(struct jline *j, struct strbuf *out, int *is_null)
{
	*is_null = 0;
	if(j->pos >= j->len) {
		j->problem = "value missing";
		return -1;
	}
	if(j->s[j->pos] == '"')
		return j_string(j, out);
	if(j->len - j->pos >= 4 && memcmp(j->s + j->pos, "null", 4) == 0) {
		j->pos += 4;
		*is_null = 1;
		return 0;
	}
	if(j->s[j->pos] == '{' || j->s[j->pos] == '[') {
		j->problem = "nested objects and arrays are not allowed";
		return -1;
	}
	return j_number(j, out);
}

/**
 * Store one key/value of a JSON line into values.
 * @return 0, or -1 with a problem reported.
 */
static int
j_store(struct import_result *res, const struct import_column *cols,
	size_t ncols, char **values, int line, const char *key,
	struct strbuf *value, int is_null)
{
	char shown[80];
	long idx = column_index(cols, ncols, key);
	printable(key, shown, sizeof(shown));
	if(idx < 0) {
		import_add_error(res, line, "unknown key '%s'", shown);
		return -1;
	}
	if(values[idx] != NULL) {
		import_add_error(res, line, "key '%s' given twice", shown);
		return -1;
	}
	if(!is_null && value->len > 0) {
		values[idx] = value->s;
		value->s = NULL;
	}
	sb_free(value);
	return 0;
}

/** Parse one JSON line into a row, or report why not. */
static void
jsonl_line(struct import_result *res, const struct import_column *cols,
	size_t ncols, const char *s, size_t len, int line)
{
	struct jline j = { s, len, 0, NULL };
	char **values = xmalloc(ncols * sizeof(char *));
	int bad = 0;
	memset(values, 0, ncols * sizeof(char *));
	j_ws(&j);
	if(j.pos >= j.len || s[j.pos] != '{') {
		j.problem = "not a JSON object";
		goto fail;
	}
	j.pos++;
	j_ws(&j);
	if(j.pos < j.len && s[j.pos] == '}') {
		j.pos++;
	} else {
		while(1) {
			struct strbuf key = { 0 }, value = { 0 };
			int is_null;
			j_ws(&j);
			if(j.pos >= j.len || s[j.pos] != '"') {
				j.problem = "expected a key";
				goto fail;
			}
			if(j_string(&j, &key) != 0) {
				sb_free(&key);
				goto fail;
			}
			j_ws(&j);
			if(j.pos >= j.len || s[j.pos] != ':') {
				sb_free(&key);
				j.problem = "expected ':'";
				goto fail;
			}
			j.pos++;
			j_ws(&j);
			if(j_value(&j, &value, &is_null) != 0) {
				sb_free(&key);
				sb_free(&value);
				goto fail;
			}
			if(memchr(sb_str(&key), 0, key.len) != NULL ||
				(value.len && memchr(sb_str(&value), 0,
				value.len) != NULL)) {
				sb_free(&key);
				sb_free(&value);
				j.problem = "NUL character";
				goto fail;
			}
			if(j_store(res, cols, ncols, values, line,
				sb_str(&key), &value, is_null) != 0)
				bad = 1;
			sb_free(&key);
			sb_free(&value);
			j_ws(&j);
			if(j.pos < j.len && s[j.pos] == ',') {
				j.pos++;
				continue;
			}
			if(j.pos < j.len && s[j.pos] == '}') {
				j.pos++;
				break;
			}
			j.problem = "expected ',' or '}'";
			goto fail;
		}
	}
	j_ws(&j);
	if(j.pos != j.len) {
		j.problem = "text after the object";
		goto fail;
	}
	if(bad || check_required(res, cols, ncols, values, line) != 0) {
		free_values(values, ncols);
		return;
	}
	add_row(res, line, values);
	return;
fail:
	import_add_error(res, line, "JSON: %s", j.problem);
	free_values(values, ncols);
}

/** Parse JSON lines. @return 0. */
static int
jsonl_parse(struct cursor *c, const struct import_column *cols, size_t ncols,
	struct import_result *res)
{
	while(c->pos < c->len) {
		const char *start = c->text + c->pos;
		const char *nl = memchr(start, '\n', c->len - c->pos);
		size_t len = nl ? (size_t)(nl - start) : c->len - c->pos;
		if(!skip_ignorable_line(c)) {
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
	while(p < c->len && (is_blank(c->text[p]) || c->text[p] == '\n'))
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
