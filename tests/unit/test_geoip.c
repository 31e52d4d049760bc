/*
 * test_geoip.c - GeoIP lookups and the per-thread lookup cache.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Uses the two databases make fetches into build/geoip/ (the directory
 * can be set with CNROUTE_TEST_GEOIP_DIR); a missing database fails the
 * test rather than skipping it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "cnroute/geoip.h"

/** Open one of the test databases. */
static struct geoip *
open_db(const char *file, const char *field)
{
	const char *dir = getenv("CNROUTE_TEST_GEOIP_DIR");
	char path[512], err[GEOIP_ERR_MAX];
	struct geoip *g;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/geoip",
		file);
	g = geoip_open(path, field, err);
	if(g == NULL)
		fail_msg("%s", err);
	return g;
}

/** Parse an address; @return its family (4 or 6). */
static int
addr(const char *text, uint8_t out[16])
{
	if(inet_pton(AF_INET, text, out) == 1)
		return 4;
	assert_int_equal(inet_pton(AF_INET6, text, out), 1);
	return 6;
}

/** Assert two lookup results are the same. */
static void
assert_same(const struct geoip_location *a, const struct geoip_location *b)
{
	assert_string_equal(a->country, b->country);
	assert_int_equal(a->prefix, b->prefix);
	assert_int_equal(a->found, b->found);
}

/** Known answers, straight and through the cache (miss, then hit). */
static void
test_known(void **state)
{
	static struct geoip_cache cache;
	struct geoip *g = open_db("geo-whois-asn-country.mmdb",
		"country_code");
	struct geoip_location direct, first, again;
	const struct { const char *ip, *cc; } cases[] = {
		{ "1.0.1.1", "CN" }, { "8.8.8.8", "US" }, { "10.0.0.1", "" },
		{ "240e::1", "CN" }, { "2001:4860::8888", "US" },
	};
	uint8_t a[16];
	size_t i;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int family = addr(cases[i].ip, a);
		assert_int_equal(geoip_locate(g, family, a, &direct), 0);
		assert_string_equal(direct.country, cases[i].cc);
		assert_int_equal(geoip_locate_cached(g, &cache, family, a,
			&first), 0);
		assert_int_equal(geoip_locate_cached(g, &cache, family, a,
			&again), 0);
		assert_same(&direct, &first);
		assert_same(&direct, &again);
	}
	/* the first lookup of each address missed, the second hit */
	assert_int_equal(cache.misses, sizeof(cases) / sizeof(cases[0]));
	assert_int_equal(cache.hits, sizeof(cases) / sizeof(cases[0]));
	geoip_close(g);
}

/**
 * Many addresses through one cache (so slots are shared and replaced):
 * every result equals the uncached one, in two passes.
 */
static void
test_collisions(void **state)
{
	static struct geoip_cache cache;
	struct geoip *g = open_db("geo-whois-asn-country.mmdb",
		"country_code");
	struct geoip_location direct, cached;
	uint8_t a[16];
	int pass, i, hits_cn = 0;

	(void)state;
	memset(&cache, 0, sizeof(cache));
	for(pass = 0; pass < 2; pass++) {
		for(i = 0; i < 4096; i++) {
			/* spread over the whole IPv4 space */
			uint32_t v = htonl((uint32_t)i * 1048583u);
			memcpy(a, &v, 4);
			assert_int_equal(geoip_locate(g, 4, a, &direct), 0);
			assert_int_equal(geoip_locate_cached(g, &cache, 4, a,
				&cached), 0);
			assert_same(&direct, &cached);
			hits_cn += strcmp(cached.country, "CN") == 0;
		}
	}
	assert_true(hits_cn > 0); /* the sample does reach CN networks */
	geoip_close(g);
}

/**
 * A cache filled from one database never answers for another (as after
 * a reload): the other database's own result comes back.
 */
static void
test_other_database(void **state)
{
	static struct geoip_cache cache;
	struct geoip *whois = open_db("geo-whois-asn-country.mmdb",
		"country_code");
	struct geoip *test_db = open_db("GeoIP2-Country-Test.mmdb",
		"country.iso_code");
	struct geoip_location a1, a2, direct;
	uint8_t a[16];
	int family = addr("2.125.160.216", a);

	(void)state;
	memset(&cache, 0, sizeof(cache));
	assert_int_equal(geoip_locate_cached(whois, &cache, family, a, &a1),
		0);
	assert_int_equal(geoip_locate_cached(test_db, &cache, family, a,
		&a2), 0);
	assert_int_equal(geoip_locate(test_db, family, a, &direct), 0);
	assert_same(&direct, &a2);
	assert_string_equal(a2.country, "GB");
	/* and the first database is asked again, not answered by the test
	 * database's entry */
	assert_int_equal(geoip_locate(whois, family, a, &direct), 0);
	assert_int_equal(geoip_locate_cached(whois, &cache, family, a, &a1),
		0);
	assert_same(&direct, &a1);
	geoip_close(whois);
	geoip_close(test_db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_other_database),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
