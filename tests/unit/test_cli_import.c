/*
 * test_cli_import.c - unit tests of the import file parser (CSV with a
 * header in any order, JSON lines).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "csvjson.h"

/** The filing columns. */
static const struct import_column cols[] = {
	{ "domain", 1, 0 }, { "icp", 1, 0 }, { "entity", 1, 0 },
	{ "registrant", 0, 0 }, { "status", 0, 1 }
};

/** Parse a NUL-terminated text. */
static int
parse(const char *text, struct import_result *res)
{
	return import_parse(text, strlen(text), cols, 5, res);
}

/** Value of column c of row r, "(null)" when absent. */
static const char *
val(const struct import_result *res, size_t r, size_t c)
{
	const char *v = res->rows[r].values[c];
	return v ? v : "(null)";
}

/** Columns in any order and any case; absent optional columns are NULL. */
static void
test_csv_any_order(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse("Status,ENTITY,icp,domain\n"
		"revoked,E1,京ICP备12345678号,a.example.com\n"
		",E2,京ICP备12345678号,b.example.com\n", &res), 0);
	assert_false(res.json);
	assert_int_equal(res.error_count, 0);
	assert_int_equal(res.row_count, 2);
	assert_string_equal(val(&res, 0, 0), "a.example.com");
	assert_string_equal(val(&res, 0, 2), "E1");
	assert_string_equal(val(&res, 0, 4), "revoked");
	assert_string_equal(val(&res, 0, 3), "(null)");
	assert_string_equal(val(&res, 1, 4), "(null)"); /* empty cell */
	assert_int_equal(res.rows[0].line, 2);
	assert_int_equal(res.rows[1].line, 3);
	import_result_free(&res);
}

/** Quoted fields: commas, doubled quotes, line breaks; CRLF and BOM. */
static void
test_csv_quoting(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse("\xEF\xBB\xBF" "# a comment\r\n"
		"domain,icp,entity\r\n"
		"a.com,\"京ICP备12345678号\",\"A, \"\"the\"\" Co\"\r\n"
		"\r\n"
		"b.com,x,\"two\nlines\"\n"
		"c.com,  y  ,  \" z \"  \n", &res), 0);
	assert_int_equal(res.error_count, 0);
	assert_int_equal(res.row_count, 3);
	assert_string_equal(val(&res, 0, 2), "A, \"the\" Co");
	assert_string_equal(val(&res, 1, 2), "two\nlines");
	assert_int_equal(res.rows[0].line, 3);
	assert_int_equal(res.rows[1].line, 5);
	assert_string_equal(val(&res, 2, 1), "y");
	assert_string_equal(val(&res, 2, 2), " z ");
	assert_int_equal(res.rows[2].line, 7); /* after a 2-line record */
	import_result_free(&res);
}

/** Bad rows are reported with their line; good rows still parse. */
static void
test_csv_bad_rows(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse("domain,icp,entity\n"
		"a.com,1,A\n"
		"b.com,2\n"
		"c.com,3,C,extra\n"
		",4,D\n"
		"e.com,\"5\"x,E\n"
		"f.com,6,F\n"
		"g.com,\"unclosed,G\n", &res), 0);
	assert_int_equal(res.row_count, 2);
	assert_string_equal(val(&res, 0, 0), "a.com");
	assert_string_equal(val(&res, 1, 0), "f.com");
	assert_int_equal(res.error_count, 5);
	assert_int_equal(res.errors[0].line, 3);
	assert_non_null(strstr(res.errors[0].message, "2 fields"));
	assert_int_equal(res.errors[1].line, 4);
	assert_int_equal(res.errors[2].line, 5);
	assert_string_equal(res.errors[2].message, "domain: missing");
	assert_int_equal(res.errors[3].line, 6);
	assert_int_equal(res.errors[4].line, 8);
	assert_non_null(strstr(res.errors[4].message, "not closed"));
	import_result_free(&res);
}

/** Header problems make the whole file unusable. */
static void
test_csv_bad_header(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse("domain,icp,entity,colour\na,b,c,d\n", &res),
		-1);
	assert_true(res.fatal);
	assert_int_equal(res.row_count, 0);
	assert_non_null(strstr(res.errors[0].message, "unknown column"));
	import_result_free(&res);
	assert_int_equal(parse("domain,icp\na,b\n", &res), -1);
	assert_non_null(strstr(res.errors[0].message, "'entity' missing"));
	import_result_free(&res);
	assert_int_equal(parse("domain,icp,entity,Domain\n", &res), -1);
	assert_non_null(strstr(res.errors[0].message, "twice"));
	import_result_free(&res);
	assert_int_equal(parse("", &res), -1);
	import_result_free(&res);
}

/** JSON lines: strings, escapes, numbers, null, blank lines. */
static void
test_jsonl(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse(
		"{\"domain\":\"a.com\",\"icp\":\"\\u4eac ICP\",\"entity\":\"A\"}\n"
		"\n"
		"  {\"entity\": \"B \\\"Co\\\"\", \"icp\": \"12\", \"domain\": "
		"\"b.com\", \"status\": null, \"registrant\": \"\\ud83d\\ude00\"}"
		"  \n", &res), 0);
	assert_true(res.json);
	assert_int_equal(res.error_count, 0);
	assert_int_equal(res.row_count, 2);
	assert_string_equal(val(&res, 0, 1), "京 ICP");
	assert_string_equal(val(&res, 1, 2), "B \"Co\"");
	assert_string_equal(val(&res, 1, 1), "12");
	assert_string_equal(val(&res, 1, 4), "(null)");
	assert_string_equal(val(&res, 1, 3), "\xf0\x9f\x98\x80");
	assert_int_equal(res.rows[1].line, 3);
	import_result_free(&res);
}

/** JSON lines: each bad line reported with its number. */
static void
test_jsonl_bad(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse(
		"{\"domain\":\"a.com\",\"icp\":\"1\",\"entity\":\"A\"}\n"
		"{\"domain\":\"b.com\",\"icp\":\"1\",\"entity\":\"B\",\"x\":1}\n"
		"{\"domain\":\"c.com\",\"icp\":\"1\"}\n"
		"{\"domain\":\"d.com\",\"icp\":[1],\"entity\":\"D\"}\n"
		"{\"domain\":\"e.com\",\"icp\":\"1\",\"entity\":\"E\"} x\n"
		"{\"domain\":\"f.com\",\"icp\":\"\\u0000\",\"entity\":\"F\"}\n"
		"{\"domain\":\"g.com\",\"domain\":\"g\",\"icp\":\"1\",\"entity\":\"G\"}\n"
		"[1]\n"
		"{\"domain\":\"i.com\",\"icp\":\"\\ud800\",\"entity\":\"I\"}\n"
		"{\"domain\":\"j.com\",\"icp\":true,\"entity\":\"J\"}\n", &res), 0);
	assert_int_equal(res.row_count, 1);
	assert_int_equal(res.error_count, 9);
	{
		int lines[9] = { 2, 3, 4, 5, 6, 7, 8, 9, 10 }, i;
		for(i = 0; i < 9; i++)
			assert_int_equal(res.errors[i].line, lines[i]);
	}
	assert_non_null(strstr(res.errors[0].message, "unknown key 'x'"));
	assert_non_null(strstr(res.errors[1].message, "entity: missing"));
	import_result_free(&res);
}

/** After the header, a line starting with '#' is a data row: a '#' in
 *  any field (first, quoted, last) is data, and a row that is not a
 *  valid one is reported with its line, never dropped. */
static void
test_csv_hash_rows(void **state)
{
	struct import_result res;
	(void)state;
	assert_int_equal(parse("# exported by the provider\n"
		"#   second comment line\n"
		"entity,domain,icp\n"
		"#1 Hotel Ltd,hotel.com,1\n"
		"\"#2, Quoted\",quoted.com,#3\n"
		"  #4 Blank,blank.com,4\n"
		"E5,five.com,\"multi\n#line\"\n"
		"# not a comment any more\n"
		"E7,seven.com,#\n", &res), 0);
	assert_int_equal(res.row_count, 5);
	assert_string_equal(val(&res, 0, 2), "#1 Hotel Ltd");
	assert_int_equal(res.rows[0].line, 4);
	assert_string_equal(val(&res, 1, 2), "#2, Quoted");
	assert_string_equal(val(&res, 1, 1), "#3");
	assert_string_equal(val(&res, 2, 2), "#4 Blank");
	assert_string_equal(val(&res, 3, 1), "multi\n#line");
	assert_string_equal(val(&res, 4, 1), "#");
	assert_int_equal(res.rows[4].line, 10);
	/* the stray '#' line is reported, with its line */
	assert_int_equal(res.error_count, 1);
	assert_int_equal(res.errors[0].line, 9);
	assert_non_null(strstr(res.errors[0].message, "1 fields"));
	import_result_free(&res);
}

/** JSON lines through jansson: invalid UTF-8, duplicate keys, numbers,
 *  booleans, arrays and objects where strings are expected, \u0000;
 *  each reported with its line; integers only where a column takes
 *  them. */
static void
test_jsonl_strict(void **state)
{
	struct import_result res;
	static const char text[] =
		"{\"domain\":\"a.com\",\"icp\":\"1\",\"entity\":\"A\",\"status\":7}\n"
		"{\"domain\":\"b.com\",\"icp\":\"1\",\"entity\":\"B\xff\xfe\"}\n"
		"{\"domain\":\"c.com\",\"icp\":12,\"entity\":\"C\"}\n"
		"{\"domain\":\"d.com\",\"domain\":\"d.com\",\"icp\":\"1\",\"entity\":\"D\"}\n"
		"{\"domain\":\"e.com\",\"icp\":\"1\",\"entity\":false}\n"
		"{\"domain\":\"f.com\",\"icp\":\"1\",\"entity\":{\"x\":\"y\"}}\n"
		"{\"domain\":\"g.com\",\"icp\":\"1\",\"entity\":\"G\\u0000\"}\n"
		"{\"domain\":\"h.com\",\"icp\":\"1\",\"entity\":\"\xc0\xaf\"}\n"
		"# comment\n"
		"{\"domain\":\"j.com\",\"icp\":1.5,\"entity\":\"J\"}\n";
	int lines[9] = { 2, 3, 4, 5, 6, 7, 8, 9, 10 }, i;
	(void)state;
	assert_int_equal(import_parse(text, sizeof(text) - 1, cols, 5, &res),
		0);
	assert_true(res.json);
	assert_int_equal(res.row_count, 1);
	assert_string_equal(val(&res, 0, 4), "7"); /* an integer column */
	assert_int_equal(res.error_count, 9);
	for(i = 0; i < 9; i++)
		assert_int_equal(res.errors[i].line, lines[i]);
	assert_non_null(strstr(res.errors[0].message, "UTF-8"));
	assert_non_null(strstr(res.errors[1].message, "icp: a string is "
		"expected, not a number"));
	assert_non_null(strstr(res.errors[2].message, "duplicate"));
	assert_non_null(strstr(res.errors[3].message, "true or false"));
	assert_non_null(strstr(res.errors[4].message, "an object"));
	assert_non_null(strstr(res.errors[6].message, "UTF-8"));
	assert_non_null(strstr(res.errors[8].message, "not a number"));
	import_result_free(&res);
}

/** Bytes that are not text at all never crash and give errors. */
static void
test_garbage(void **state)
{
	struct import_result res;
	static const char junk[] = "domain,icp,entity\n\0\0,\xff\"\n\"";
	(void)state;
	import_parse(junk, sizeof(junk) - 1, cols, 5, &res);
	assert_int_equal(res.row_count, 0);
	assert_true(res.error_count > 0);
	import_result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_any_order),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_bad_rows),
		cmocka_unit_test(test_csv_bad_header),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_jsonl_bad),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_csv_hash_rows),
		cmocka_unit_test(test_jsonl_strict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
