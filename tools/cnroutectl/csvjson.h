/*
 * csvjson.h - the import file formats: CSV with a header row, or JSON
 * lines, both mapping column names to text values.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Import files come from providers' exports and spreadsheets: untrusted,
 * often messy. The parser only splits rows into named values and reports
 * structural problems with the line they start on; what the values mean
 * (names, filing numbers, pools) is checked by the command that imports
 * them, which reports with the same line numbers.
 *
 * CSV: RFC 4180 (quoted fields, "" inside quotes, quoted line breaks,
 * CRLF), an optional UTF-8 BOM, blank lines skipped; lines starting with
 * '#' are comments only before the header: after it every line is a data
 * row, imported or reported. The first row names the columns, in any
 * order, any case.
 * JSON lines (read with jansson): one flat object per line, valid UTF-8,
 * no key twice; values are strings or null (absent), integers only where
 * a column says so (kept as their text). The format is JSON lines when
 * the first non-blank character is '{'.
 */
#ifndef CNROUTECTL_CSVJSON_H
#define CNROUTECTL_CSVJSON_H

#include <stddef.h>

/** A column the importer knows. */
struct import_column {
	/** its name in the header or JSON key, lower case */
	const char *name;
	/** 1 if every row must have it */
	int required;
	/** 1 if a JSON line may give it as an integer (kept as its text) */
	int integer;
};

/** One data row. */
struct import_row {
	/** line the row starts on (1-based) */
	int line;
	/** one value per known column (same order), NULL when absent */
	char **values;
};

/** A problem found in the file. */
struct import_error {
	/** line (1-based); 0 for the file as a whole */
	int line;
	/** the message (malloced) */
	char *message;
};

/** Everything parsed from a file. */
struct import_result {
	/** the rows without structural problems */
	struct import_row *rows;
	/** number of rows */
	size_t row_count;
	/** problems, in line order */
	struct import_error *errors;
	/** number of problems */
	size_t error_count;
	/** 1 when the file could not be read at all (bad header): no rows */
	int fatal;
	/** number of known columns (length of each row's values) */
	size_t column_count;
	/** 1 when the file was JSON lines */
	int json;
};

/**
 * Parse an import file.
 * @param text: the contents (need not be NUL terminated).
 * @param len: its length.
 * @param columns: the known columns.
 * @param column_count: their number.
 * @param res: out; free with import_result_free.
 * @return 0 when the file was parsed (rows may still have errors), -1
 *	when it was unusable (res->fatal set, errors say why).
 */
int import_parse(const char *text, size_t len,
	const struct import_column *columns, size_t column_count,
	struct import_result *res);

/**
 * Read and parse an import file ("-" is standard input).
 * @return CLI_OK (rows may still have errors), CLI_INVALID when the file
 *	cannot be read or is unusable (reported on stderr).
 */
int import_file(const char *path, const struct import_column *columns,
	size_t column_count, struct import_result *res);

/** Print every problem as "PATH:LINE: message" to stderr. */
void import_report(const char *path, const struct import_result *res);

/** Add a problem (printf-style message) to a result. */
void import_add_error(struct import_result *res, int line,
	const char *format, ...) __attribute__((format(printf, 3, 4)));

/** Sort the problems by line, so reports read top to bottom. */
void import_sort_errors(struct import_result *res);

/** Free a result. */
void import_result_free(struct import_result *res);

#endif /* CNROUTECTL_CSVJSON_H */
