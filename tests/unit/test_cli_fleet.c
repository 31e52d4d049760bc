/*
 * test_cli_fleet.c - unit tests of cnroutectl fleet: reading the status
 * answer's strings, and taking --resolver out of the command line.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fleet.h"

/** The strings the module sends (README, "Running a fleet"). */
static const char *const full[] = {
	"cnroute-status=1", "redis=up", "server=10.1.0.7:6379",
	"changes=tracking", "contact-age=0", "filings=1000000",
	"routes=999999", "last-change=1796210000", "last-full-sync=1796209000",
	"loaded=yes", "stale=no", "now=1796210003"
};

/** Parse and expect success. */
static void
parse_ok(const char *const *s, size_t n, struct fleet_status *st)
{
	char err[FLEET_ERR_MAX];
	if(fleet_status_parse(s, n, st, err) != 0)
		fail_msg("refused: %s", err);
}

/** Parse and expect a refusal whose message holds want. */
static void
parse_refused(const char *const *s, size_t n, const char *want)
{
	struct fleet_status st;
	char err[FLEET_ERR_MAX];
	if(fleet_status_parse(s, n, &st, err) == 0)
		fail_msg("accepted, expected an error with '%s'", want);
	if(strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

/** Every documented key lands in its field. */
static void
test_full_answer(void **state)
{
	struct fleet_status st;
	(void)state;
	parse_ok(full, sizeof(full) / sizeof(full[0]), &st);
	assert_int_equal(st.format, 1);
	assert_int_equal(st.redis_up, 1);
	assert_string_equal(st.server, "10.1.0.7:6379");
	assert_string_equal(st.changes, "tracking");
	assert_int_equal(st.contact_age, 0);
	assert_int_equal(st.filings, 1000000);
	assert_int_equal(st.routes, 999999);
	assert_int_equal(st.last_change, 1796210000LL);
	assert_int_equal(st.last_full_sync, 1796209000LL);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.stale, 0);
	assert_int_equal(st.now, 1796210003LL);
}

/** A resolver cut off: down, stale, not loaded. */
static void
test_down_stale(void **state)
{
	static const char *const s[] = { "cnroute-status=1", "redis=down",
		"server=-", "stale=yes", "loaded=no" };
	struct fleet_status st;
	(void)state;
	parse_ok(s, 5, &st);
	assert_int_equal(st.redis_up, 0);
	assert_int_equal(st.stale, 1);
	assert_int_equal(st.loaded, 0);
	assert_string_equal(st.server, "-");
	/* numbers not given are unknown, not 0 */
	assert_int_equal(st.contact_age, FLEET_UNKNOWN);
	assert_int_equal(st.last_change, FLEET_UNKNOWN);
}

/** A later format's keys are skipped; the version is read. */
static void
test_later_format(void **state)
{
	static const char *const s[] = { "cnroute-status=2", "redis=up",
		"stale=no", "replica-lag=3", "colour=blue=green" };
	struct fleet_status st;
	(void)state;
	parse_ok(s, 5, &st);
	assert_int_equal(st.format, 2);
	assert_int_equal(st.loaded, -1);
}

/** What is not a status answer, or a bad value, is refused, named. */
static void
test_refused(void **state)
{
	static const char *const version_bind[] = { "unbound 1.17.1" };
	static const char *const not_first[] = { "redis=up",
		"cnroute-status=1", "stale=no" };
	static const char *const no_stale[] = { "cnroute-status=1",
		"redis=up" };
	static const char *const no_redis[] = { "cnroute-status=1",
		"stale=no" };
	static const char *const bad_flag[] = { "cnroute-status=1",
		"redis=maybe", "stale=no" };
	static const char *const bad_number[] = { "cnroute-status=1",
		"redis=up", "stale=no", "routes=-1" };
	static const char *const junk_number[] = { "cnroute-status=1",
		"redis=up", "stale=no", "contact-age=3s" };
	static const char *const huge[] = { "cnroute-status=1",
		"redis=up", "stale=no", "filings=99999999999999999999999" };
	static const char *const zero[] = { "cnroute-status=0", "redis=up",
		"stale=no" };
	static const char *const no_eq[] = { "cnroute-status=1", "redis=up",
		"stale=no", "garbage" };
	static const char *const blank_server[] = { "cnroute-status=1",
		"redis=up", "stale=no", "server=a b" };
	static const char *const ctl_server[] = { "cnroute-status=1",
		"redis=up", "stale=no", "server=a\x01" };
	(void)state;
	parse_refused(NULL, 0, "not a cnroute status answer");
	parse_refused(version_bind, 1, "not a cnroute status answer");
	parse_refused(not_first, 3, "not a cnroute status answer");
	parse_refused(no_stale, 2, "stale=yes|no");
	parse_refused(no_redis, 2, "redis=up|down");
	parse_refused(bad_flag, 3, "redis=maybe");
	parse_refused(bad_number, 4, "routes=-1");
	parse_refused(junk_number, 4, "contact-age=3s");
	parse_refused(huge, 4, "filings=");
	parse_refused(zero, 3, "unknown format");
	parse_refused(no_eq, 4, "'garbage' is not key=value");
	parse_refused(blank_server, 4, "server=a b");
	/* bytes from the network are shown printable */
	parse_refused(ctl_server, 4, "server=a?");
}

/** --resolver, repeated or listed, is taken out; the rest stays. */
static void
test_take_resolvers(void **state)
{
	char *argv[] = { "--resolver", "127.0.0.1:5301", "--client",
		"1.0.1.0/24", "--resolver=[::1]:53,192.0.2.53", "--json",
		"--resolver", " 10.0.0.1  10.0.0.2:54 ", NULL };
	int argc = 8;
	struct fleet_list l = { NULL, 0 };
	char text[DNS_SERVER_TEXT_MAX];
	(void)state;
	assert_int_equal(fleet_take_resolvers(&argc, argv, &l, "usage\n"),
		CLI_OK);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "--client");
	assert_string_equal(argv[1], "1.0.1.0/24");
	assert_string_equal(argv[2], "--json");
	assert_int_equal(l.count, 5);
	dns_server_format(&l.items[0], text);
	assert_string_equal(text, "127.0.0.1:5301");
	dns_server_format(&l.items[1], text);
	assert_string_equal(text, "[::1]:53");
	dns_server_format(&l.items[2], text);
	assert_string_equal(text, "192.0.2.53:53");
	dns_server_format(&l.items[4], text);
	assert_string_equal(text, "10.0.0.2:54");
	fleet_list_free(&l);
}

/** A bad address, or --resolver without one, is refused. */
static void
test_take_resolvers_bad(void **state)
{
	char *bad[] = { "--resolver", "resolver.example:53", NULL };
	char *empty[] = { "--resolver=,", NULL };
	char *missing[] = { "--resolver", NULL };
	int argc;
	struct fleet_list l = { NULL, 0 };
	(void)state;
	argc = 2;
	assert_int_equal(fleet_take_resolvers(&argc, bad, &l, "usage\n"),
		CLI_INVALID);
	fleet_list_free(&l);
	argc = 1;
	assert_int_equal(fleet_take_resolvers(&argc, empty, &l, "usage\n"),
		CLI_INVALID);
	fleet_list_free(&l);
	argc = 1;
	assert_int_equal(fleet_take_resolvers(&argc, missing, &l, "usage\n"),
		CLI_USAGE);
	fleet_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_answer),
		cmocka_unit_test(test_down_stale),
		cmocka_unit_test(test_later_format),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_take_resolvers),
		cmocka_unit_test(test_take_resolvers_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
