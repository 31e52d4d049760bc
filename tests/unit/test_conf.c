/*
 * test_conf.c - unit tests of cnroute.conf parsing.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cnroute/conf.h"

/** Parse a buffer named "t.conf"; conf must be freed by the caller. */
static int
parse(const char *text, struct cnroute_conf *conf, char *err)
{
	return conf_parse_buffer("t.conf", text, strlen(text), conf, err);
}

/** Expect text to be refused with exactly this message. */
static void
expect_error(const char *text, const char *message)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	err[0] = 0;
	assert_int_equal(parse(text, &conf, err), -1);
	assert_string_equal(err, message);
	conf_free(&conf); /* must be harmless after a failure */
	conf_free(&conf);
}

/** Expect text to be refused with a message starting with prefix. */
static void
expect_error_prefix(const char *text, const char *prefix)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	err[0] = 0;
	assert_int_equal(parse(text, &conf, err), -1);
	if(strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	conf_free(&conf);
}

/** Write a temporary file. @return its path (static buffer per slot). */
static const char *
temp_file(const char *content, char *path)
{
	int fd;

	strcpy(path, "/tmp/cnroute-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
		(ssize_t)strlen(content));
	close(fd);
	return path;
}

/** Defaults: only geoip-db given. */
static void
test_defaults(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	(void)state;
	assert_int_equal(parse("geoip-db: /x.mmdb\n", &conf, err), 0);
	assert_string_equal(conf.redis_servers[0].host, "127.0.0.1");
	assert_int_equal(conf.redis_servers[0].port, 6379);
	assert_null(conf.redis_servers[0].unix_path);
	assert_null(conf.redis_password_file);
	assert_null(conf.redis_password);
	assert_int_equal(conf.redis_db, 0);
	assert_string_equal(conf.key_prefix, "cnroute:");
	assert_string_equal(conf.geoip_db, "/x.mmdb");
	assert_string_equal(conf.geoip_field, "country.iso_code");
	assert_int_equal(conf.mainland_count, 1);
	assert_string_equal(conf.mainland[0], "CN");
	assert_int_equal(conf.ecs, ECS_USE);
	assert_int_equal(conf.answer_ttl_max, 60);
	assert_int_equal(conf.resync_interval, 3600);
	assert_int_equal(conf.max_stale, 0);
	assert_null(conf.stats_file);
	assert_true(conf_is_mainland(&conf, "cn", 2));
	assert_true(conf_is_mainland(&conf, "CN", 2));
	assert_false(conf_is_mainland(&conf, "HK", 2));
	assert_false(conf_is_mainland(&conf, "CNX", 3));
	assert_false(conf_is_mainland(&conf, "", 0));
	conf_free(&conf);

	/* conf_free after conf_defaults alone */
	assert_int_equal(conf_defaults(&conf), 0);
	assert_null(conf.geoip_db);
	conf_free(&conf);
	conf_free(&conf);
}

/** Every key, quotes, comments, blanks, CRLF. */
static void
test_all_keys(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];
	const char *text =
		"# cnroute test\n"
		"\n"
		"   redis-server: \"[::1]:6380\"   # local\n"
		"redis-db: 3\r\n"
		"key-prefix: \"beian#1:\"\n"
		"geoip-db: /var/lib/geo.mmdb\n"
		"geoip-field:country_code\n"
		"mainland-countries: cn  Mo\tcn\n"
		"ecs: ignore\n"
		"answer-ttl-max: 0\n"
		"resync-interval: 86400\n"
		"max-stale: 600\n"
		"stats-file: /run/cnroute.stats\n";

	(void)state;
	err[0] = 0;
	if(parse(text, &conf, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(conf.redis_servers[0].host, "::1");
	assert_int_equal(conf.redis_servers[0].port, 6380);
	assert_int_equal(conf.redis_db, 3);
	assert_string_equal(conf.key_prefix, "beian#1:");
	assert_string_equal(conf.geoip_db, "/var/lib/geo.mmdb");
	assert_int_equal(conf.geoip_db_line, 6);
	assert_string_equal(conf.geoip_field, "country_code");
	assert_int_equal(conf.mainland_count, 2);
	assert_string_equal(conf.mainland[0], "CN");
	assert_string_equal(conf.mainland[1], "MO");
	assert_int_equal(conf.ecs, ECS_IGNORE);
	assert_int_equal(conf.answer_ttl_max, 0);
	assert_int_equal(conf.resync_interval, 86400);
	assert_int_equal(conf.max_stale, 600);
	assert_string_equal(conf.stats_file, "/run/cnroute.stats");
	conf_free(&conf);
}

/** redis-server with several servers; redis-sentinel; redis-primary. */
static void
test_server_lists(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX], buf[300];

	(void)state;
	assert_int_equal(parse("geoip-db: g\nredis-server: 127.0.0.1:7001 "
		"[::1]:7002\tunix:/run/r.sock  r3\n", &conf, err), 0);
	assert_int_equal(conf.redis_server_count, 4);
	assert_string_equal(conf.redis_servers[0].host, "127.0.0.1");
	assert_int_equal(conf.redis_servers[0].port, 7001);
	conf_server_format(&conf.redis_servers[1], buf, sizeof(buf));
	assert_string_equal(buf, "[::1]:7002");
	conf_server_format(&conf.redis_servers[2], buf, sizeof(buf));
	assert_string_equal(buf, "unix:/run/r.sock");
	conf_server_format(&conf.redis_servers[3], buf, sizeof(buf));
	assert_string_equal(buf, "r3:6379");
	conf_free(&conf);
	/* the default: one local server */
	assert_int_equal(parse("geoip-db: g\n", &conf, err), 0);
	assert_int_equal(conf.redis_server_count, 1);
	conf_server_format(&conf.redis_servers[0], buf, sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:6379");
	conf_free(&conf);
	expect_error("geoip-db: g\nredis-server: a:1 b:2 a:1\n",
		"t.conf:2: redis-server: 'a:1' listed twice");
	expect_error("geoip-db: g\nredis-server: a:1 b:0\n",
		"t.conf:2: redis-server: bad port in 'b:0' (1..65535)");
	expect_error("geoip-db: g\nredis-server: \n",
		"t.conf:2: redis-server: at least one address needed");
	expect_error_prefix("geoip-db: g\nredis-server: 1:1 2:2 3:3 4:4 5:5 "
		"6:6 7:7 8:8 9:9 10:10 11:11 12:12 13:13 14:14 15:15 16:16 "
		"17:17\n", "t.conf:2: redis-server: more than 16 addresses");
	/* Sentinel: default port 26379, needs the master's name */
	assert_int_equal(parse("geoip-db: g\nredis-sentinel: s1 s2:5000\n"
		"redis-sentinel-master: main\n", &conf, err), 0);
	assert_int_equal(conf.redis_sentinel_count, 2);
	assert_int_equal(conf.redis_sentinels[0].port, 26379);
	assert_int_equal(conf.redis_sentinels[1].port, 5000);
	assert_string_equal(conf.redis_sentinel_master, "main");
	conf_free(&conf);
	expect_error("geoip-db: g\nredis-sentinel: s1\n",
		"t.conf: redis-sentinel: needs redis-sentinel-master (the name "
		"Sentinel knows the primary by)");
	expect_error("geoip-db: g\nredis-sentinel-master: m\n",
		"t.conf: redis-sentinel-master: needs redis-sentinel");
	expect_error("geoip-db: g\nredis-sentinel: unix:/s\n",
		"t.conf:2: redis-sentinel: 'unix:/s': a unix socket is not "
		"allowed here");
	expect_error("geoip-db: g\nredis-primary: p:1\nredis-sentinel: s\n"
		"redis-sentinel-master: m\n", "t.conf: redis-primary: give "
		"either redis-primary or redis-sentinel, not both");
	assert_int_equal(parse("geoip-db: g\nredis-primary: p:6390\n",
		&conf, err), 0);
	assert_string_equal(conf.redis_primary.host, "p");
	assert_int_equal(conf.redis_primary.port, 6390);
	conf_free(&conf);
	expect_error("geoip-db: g\nredis-primary: p:1 q:2\n",
		"t.conf:2: redis-primary: more than 1 addresses");
	expect_error("geoip-db: g\nredis-user: u\n",
		"t.conf: redis-user: needs redis-password-file");
}

/** fleet-status, fleet-resolvers, redis-notify-config. */
static void
test_fleet_keys(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	(void)state;
	assert_int_equal(parse("geoip-db: g\n", &conf, err), 0);
	assert_int_equal(conf.fleet_status, 0);
	assert_int_equal(conf.redis_notify_config, 0);
	assert_int_equal(conf.fleet_resolver_count, 0);
	conf_free(&conf);
	assert_int_equal(parse("geoip-db: g\nfleet-status: yes\n"
		"redis-notify-config: yes\nfleet-resolvers: 127.0.0.1 "
		"127.0.0.2:5353\n", &conf, err), 0);
	assert_int_equal(conf.fleet_status, 1);
	assert_int_equal(conf.redis_notify_config, 1);
	assert_int_equal(conf.fleet_resolver_count, 2);
	assert_int_equal(conf.fleet_resolvers[0].port, 53);
	assert_int_equal(conf.fleet_resolvers[1].port, 5353);
	conf_free(&conf);
	expect_error("geoip-db: g\nfleet-status: on\n",
		"t.conf:2: fleet-status: 'on': expected 'yes' or 'no'");
}

/** The forms of redis-server. */
static void
test_redis_server(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	(void)state;
	assert_int_equal(parse("geoip-db: g\nredis-server: unix:/run/r.sock\n",
		&conf, err), 0);
	assert_string_equal(conf.redis_servers[0].unix_path, "/run/r.sock");
	assert_null(conf.redis_servers[0].host);
	conf_free(&conf);
	assert_int_equal(parse("geoip-db: g\nredis-server: redis.local:7000\n",
		&conf, err), 0);
	assert_string_equal(conf.redis_servers[0].host, "redis.local");
	assert_int_equal(conf.redis_servers[0].port, 7000);
	assert_null(conf.redis_servers[0].unix_path);
	conf_free(&conf);
	assert_int_equal(parse("geoip-db: g\nredis-server: 10.0.0.1\n",
		&conf, err), 0);
	assert_string_equal(conf.redis_servers[0].host, "10.0.0.1");
	assert_int_equal(conf.redis_servers[0].port, 6379);
	conf_free(&conf);
	expect_error_prefix("geoip-db: g\nredis-server: h:0\n",
		"t.conf:2: redis-server: bad port");
	expect_error_prefix("geoip-db: g\nredis-server: h:65536\n",
		"t.conf:2: redis-server: bad port");
	expect_error_prefix("geoip-db: g\nredis-server: h:\n",
		"t.conf:2: redis-server: bad port");
	expect_error_prefix("geoip-db: g\nredis-server: ::1:6379\n",
		"t.conf:2: redis-server: IPv6 addresses go in brackets");
	expect_error_prefix("geoip-db: g\nredis-server: [nope]:1\n",
		"t.conf:2: redis-server: bad IPv6 address");
	expect_error_prefix("geoip-db: g\nredis-server: [::1\n",
		"t.conf:2: redis-server: missing ']'");
	expect_error_prefix("geoip-db: g\nredis-server: unix:\n",
		"t.conf:2: redis-server: empty unix socket path");
	expect_error_prefix("geoip-db: g\nredis-server: :6379\n",
		"t.conf:2: redis-server: bad host");
}

/** Unknown key, duplicate, missing colon, bad values: FILE:LINE: KEY. */
static void
test_errors(void **state)
{
	(void)state;
	expect_error("geoip-db: g\n\nredis-host: x\n",
		"t.conf:3: redis-host: unknown key");
	expect_error("geoip-db: g\ngeoip-db: h\n",
		"t.conf:2: geoip-db: given twice (first on line 1)");
	expect_error("geoip-db: g\necs use\n",
		"t.conf:2: ecs: missing ':' after the key");
	expect_error("geoip-db: g\n: x\n",
		"t.conf:2: -: missing key before ':'");
	expect_error("geoip-db: g\necs: maybe\n",
		"t.conf:2: ecs: 'maybe': expected 'use' or 'ignore'");
	expect_error("geoip-db: g\nanswer-ttl-max: 86401\n",
		"t.conf:2: answer-ttl-max: '86401' is not an integer in "
		"0..86400");
	expect_error("geoip-db: g\nanswer-ttl-max: -1\n",
		"t.conf:2: answer-ttl-max: '-1' is not an integer in 0..86400");
	expect_error("geoip-db: g\nanswer-ttl-max:\n",
		"t.conf:2: answer-ttl-max: '' is not an integer in 0..86400");
	expect_error("geoip-db: g\nmax-stale: -1\n",
		"t.conf:2: max-stale: '-1' is not an integer in 0..31536000");
	expect_error("geoip-db: g\nresync-interval: 0\n",
		"t.conf:2: resync-interval: '0' is not an integer in 1..86400");
	expect_error("geoip-db: g\nredis-db: 99999999999\n",
		"t.conf:2: redis-db: '99999999999' is not an integer in "
		"0..2147483647");
	expect_error("geoip-db: g\nkey-prefix: a b\n",
		"t.conf:2: key-prefix: must be non-empty, without blanks, at "
		"most 256 bytes");
	expect_error("geoip-db: g\nkey-prefix: \"\"\n",
		"t.conf:2: key-prefix: must be non-empty, without blanks, at "
		"most 256 bytes");
	expect_error("geoip-db: g\nmainland-countries: CHN\n",
		"t.conf:2: mainland-countries: 'CHN' is not a two-letter "
		"country code");
	expect_error("geoip-db: g\nmainland-countries: C1\n",
		"t.conf:2: mainland-countries: 'C1' is not a two-letter "
		"country code");
	expect_error("geoip-db: g\nmainland-countries:   # none\n",
		"t.conf:2: mainland-countries: at least one country code "
		"needed");
	expect_error("geoip-db: g\nmainland-countries: AA AB AC AD AE AF AG "
		"AH AI AJ AK AL AM AN AO AP AQ\n",
		"t.conf:2: mainland-countries: more than 16 countries");
	expect_error("geoip-db: g\ngeoip-field: country..iso_code\n",
		"t.conf:2: geoip-field: empty component in "
		"'country..iso_code'");
	expect_error("geoip-db: g\ngeoip-field: .a\n",
		"t.conf:2: geoip-field: empty component in '.a'");
	expect_error("geoip-db: g\ngeoip-field: a.b.c.d.e.f.g.h.i\n",
		"t.conf:2: geoip-field: more than 8 components in "
		"'a.b.c.d.e.f.g.h.i'");
	expect_error("geoip-db: g\nstats-file: \"\"\n",
		"t.conf:2: stats-file: empty path");
	expect_error("geoip-db: \"g\n",
		"t.conf:1: geoip-db: missing closing '\"'");
	expect_error("geoip-db: \"g\" h\n",
		"t.conf:1: geoip-db: text after closing '\"'");
	expect_error("# only a comment\nredis-db: 1\n",
		"t.conf: geoip-db: required");
	expect_error("", "t.conf: geoip-db: required");
}

/** A comment hides a colon; '#' in quotes is not a comment. */
static void
test_comments(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];

	(void)state;
	expect_error("geoip-db: g\nfoo # key: value\n",
		"t.conf:2: foo: missing ':' after the key");
	assert_int_equal(parse("geoip-db: \"/a#b\" # c\n", &conf, err), 0);
	assert_string_equal(conf.geoip_db, "/a#b");
	conf_free(&conf);
	assert_int_equal(parse("geoip-db: /a#b\n", &conf, err), 0);
	assert_string_equal(conf.geoip_db, "/a");
	conf_free(&conf);
	/* no newline at the end of the last line */
	assert_int_equal(parse("geoip-db: /z", &conf, err), 0);
	assert_string_equal(conf.geoip_db, "/z");
	conf_free(&conf);
}

/** The password file is read, its trailing newline stripped. */
static void
test_password_file(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX], pw[64], empty[64], text[256], expect[512];

	(void)state;
	temp_file("s3cret pass\n", pw);
	temp_file("\n", empty);
	snprintf(text, sizeof(text),
		"geoip-db: g\nredis-password-file: %s\n", pw);
	assert_int_equal(parse(text, &conf, err), 0);
	assert_string_equal(conf.redis_password, "s3cret pass");
	assert_string_equal(conf.redis_password_file, pw);
	conf_free(&conf);

	snprintf(text, sizeof(text),
		"geoip-db: g\nredis-password-file: %s\n", empty);
	snprintf(expect, sizeof(expect),
		"t.conf:2: redis-password-file: '%s' is empty", empty);
	expect_error(text, expect);

	expect_error("geoip-db: g\nredis-password-file: /nonexistent/pw\n",
		"t.conf:2: redis-password-file: cannot read '/nonexistent/pw': "
		"No such file or directory");
	expect_error("geoip-db: g\nredis-password-file: /tmp\n",
		"t.conf:2: redis-password-file: '/tmp' is not a regular file");
	unlink(pw);
	unlink(empty);
}

/** conf_read on a real file, and on a missing one. */
static void
test_conf_read(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX], path[64], expect[256];

	(void)state;
	temp_file("geoip-db: /g.mmdb\nanswer-ttl-max: 5\n", path);
	assert_int_equal(conf_read(path, &conf, err), 0);
	assert_int_equal(conf.answer_ttl_max, 5);
	conf_free(&conf);
	unlink(path);
	temp_file("geoip-db: /g.mmdb\nbogus: 5\n", path);
	assert_int_equal(conf_read(path, &conf, err), -1);
	snprintf(expect, sizeof(expect), "%s:2: bogus: unknown key", path);
	assert_string_equal(err, expect);
	conf_free(&conf);
	unlink(path);
	assert_int_equal(conf_read("/nonexistent/cnroute.conf", &conf, err),
		-1);
	assert_string_equal(err, "/nonexistent/cnroute.conf: cannot open: "
		"No such file or directory");
	conf_free(&conf);
}

/** conf_path: explicit, then the environment, then the default. */
static void
test_conf_path(void **state)
{
	(void)state;
	unsetenv(CNROUTE_CONF_ENV);
	assert_string_equal(conf_path(NULL), CNROUTE_CONF_DEFAULT);
	setenv(CNROUTE_CONF_ENV, "/env/cnroute.conf", 1);
	assert_string_equal(conf_path(NULL), "/env/cnroute.conf");
	assert_string_equal(conf_path("/x.conf"), "/x.conf");
	setenv(CNROUTE_CONF_ENV, "", 1);
	assert_string_equal(conf_path(NULL), CNROUTE_CONF_DEFAULT);
	unsetenv(CNROUTE_CONF_ENV);
}

/** A NUL byte inside the buffer is refused, not silently cut. */
static void
test_nul_byte(void **state)
{
	struct cnroute_conf conf;
	char err[CONF_ERR_MAX];
	const char text[] = "geoip-db: /a\0b\n";

	(void)state;
	assert_int_equal(conf_parse_buffer("t.conf", text, sizeof(text) - 1,
		&conf, err), -1);
	assert_string_equal(err, "t.conf:1: -: NUL byte in line");
	conf_free(&conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_redis_server),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_conf_read),
		cmocka_unit_test(test_conf_path),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_server_lists),
		cmocka_unit_test(test_fleet_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
