/*
 * gen_redis.c - benchmark data for Redis, as RESP for `redis-cli --pipe`.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 *   gen_redis PREFIX FILINGS ROUTES CNAME_ROUTES | redis-cli -p PORT --pipe
 *
 * Writes, for i = 0 .. FILINGS-1, a filing (all active)
 *   HSET PREFIXfiling:d<i>.sites.bench status active icp ... entity ...
 *        registrant ... updated ...
 * and for i = 0 .. ROUTES-1 a route of the managed name www.d<i>.sites.bench:
 *   i <  CNAME_ROUTES: cn t<i>.cn.cdn.bench.  offshore t<i>.gl.cdn.bench.
 *   i >= CNAME_ROUTES: cn 10.<a>.<b>.<c>,10.<a>.<b>.<c+1>   (two addresses)
 *                      offshore 172.<a>.<b>.<c>,172.<a>.<b>.<c+1>
 *   with <a>.<b>.<c> derived from i, and ttl 300 (capped to 60 by cnroute).
 * tests/bench/run.sh builds the Unbound views of configuration (4) with the
 * same formulas (see addr_of below and views_conf in run.sh).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Append a decimal number. */
static void
put_num(FILE *out, size_t n)
{
	char d[24];
	int k = 0;
	do {
		d[k++] = (char)('0' + n % 10);
		n /= 10;
	} while(n);
	while(k)
		putc_unlocked(d[--k], out);
}

/** One RESP command from argc strings. */
static void
resp(FILE *out, int argc, const char **argv)
{
	int i;
	putc_unlocked('*', out);
	put_num(out, (size_t)argc);
	fwrite_unlocked("\r\n", 1, 2, out);
	for(i = 0; i < argc; i++) {
		size_t len = strlen(argv[i]);
		putc_unlocked('$', out);
		put_num(out, len);
		fwrite_unlocked("\r\n", 1, 2, out);
		fwrite_unlocked(argv[i], 1, len, out);
		fwrite_unlocked("\r\n", 1, 2, out);
	}
}

/** The two addresses of pool base (10 or 172) for route i. */
static void
addr_of(char *buf, size_t size, int base, long i)
{
	/* 2 addresses per route, 64 routes per /24: c = 2*(i%64)+1 */
	long a = (i >> 14) & 255, b = (i >> 6) & 255, c = 2 * (i & 63) + 1;
	snprintf(buf, size, "%d.%ld.%ld.%ld,%d.%ld.%ld.%ld", base, a, b, c,
		base, a, b, c + 1);
}

int
main(int argc, char **argv)
{
	char key[256], cn[64], off[64], upd[32];
	long filings, routes, cnames, i;
	const char *prefix;
	static char obuf[1 << 20];

	if(argc != 5) {
		fprintf(stderr, "usage: %s PREFIX FILINGS ROUTES CNAME_ROUTES\n",
			argv[0]);
		return 2;
	}
	prefix = argv[1];
	filings = atol(argv[2]);
	routes = atol(argv[3]);
	cnames = atol(argv[4]);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	snprintf(upd, sizeof(upd), "%d", 1764201600);
	for(i = 0; i < filings; i++) {
		const char *cmd[] = {"HSET", key, "status", "active", "icp",
			"\xe4\xba\xac" "ICP" "\xe5\xa4\x87" "12345678"
			"\xe5\x8f\xb7" "-1", "entity", "Bench Entity Co., Ltd.",
			"registrant", "Bench Entity Co., Ltd.", "updated", upd};
		snprintf(key, sizeof(key), "%sfiling:d%ld.sites.bench", prefix,
			i);
		resp(stdout, 12, cmd);
	}
	for(i = 0; i < routes; i++) {
		const char *cmd[] = {"HSET", key, "cn", cn, "offshore", off,
			"ttl", "300"};
		snprintf(key, sizeof(key), "%sroute:www.d%ld.sites.bench",
			prefix, i);
		if(i < cnames) {
			snprintf(cn, sizeof(cn), "t%ld.cn.cdn.bench.", i);
			snprintf(off, sizeof(off), "t%ld.gl.cdn.bench.", i);
		} else {
			addr_of(cn, sizeof(cn), 10, i);
			addr_of(off, sizeof(off), 172, i);
		}
		resp(stdout, 8, cmd);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
