/*
 * revoke_probe.c - revocation-to-effect: how long after a filing is
 * revoked in Redis (with redis-cli HSET) the resolver stops giving a
 * mainland client the CN pool.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 *   revoke_probe DNS_PORT REDIS_PORT PREFIX FIRST COUNT
 *
 * For i = FIRST .. FIRST+COUNT-1 (the data of gen_redis.c: filing
 * d<i>.sites.bench, route www.d<i>.sites.bench with the CN pool in 10/8
 * and the offshore pool in 172/8):
 *  1. wait until www.d<i>.sites.bench A, asked with the ECS option of a
 *     mainland client (1.0.1.0/24), answers from 10/8 (CN);
 *  2. t0; start `redis-cli -p REDIS_PORT HSET PREFIXfiling:d<i>.sites.bench
 *     status revoked` and, without waiting for it, query back to back
 *     (one query in flight, the next sent as soon as the reply is in)
 *     until the answer is from 172/8 (offshore): t1. t1 - t0 is the
 *     revocation-to-effect time; it includes redis-cli's own start-up
 *     (reported separately as the time redis-cli took to exit);
 *  3. restore: HSET ... status active, and wait for CN again (measured
 *     the same way and reported as restore-to-effect).
 * DNS_PORT may list several resolvers, "PORT,PORT,...": a change then
 * takes effect when the last of them answers it (each is asked in turn
 * until it does; one query in flight per resolver).
 *
 * With REVOKE_PROBE_WRITE=ack in the environment, the change is written
 * the way cnroutectl writes one (MULTI, HSET, XADD to PREFIXaudit, EXEC
 * over one hiredis connection made before the rounds) and the clock
 * starts at the EXEC reply, the write's acknowledgement, so no process
 * start is counted (redis_cli_ms is then the write's round trip).
 *
 * Prints one line per round and a summary line:
 *   SUMMARY n=.. revoke_p50_ms=.. revoke_p99_ms=.. revoke_max_ms=..
 *           restore_p50_ms=.. restore_p99_ms=.. cli_p50_ms=.. queries=..
 * Exits 1 if a round did not reach its state within 10 s.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

extern char **environ;

/** Most resolvers asked at once. */
#define MAX_RESOLVERS 8

enum answer { ANS_NONE, ANS_CN, ANS_OFFSHORE, ANS_OTHER };

static int socks[MAX_RESOLVERS];
static int nsocks;
static redisContext *writer;
static uint16_t next_id = 1;
static unsigned long queries;

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/** Build a query for name, type A, RD, with an ECS option 1.0.1.0/24. */
static size_t
build_query(uint8_t *buf, const char *name, uint16_t id)
{
	size_t n = 0;
	const char *p = name;
	static const uint8_t opt[] = {
		0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 11, /* OPT, 4096, len 11 */
		0, 8, 0, 7, 0, 1, 24, 0, 1, 0, 1 };  /* ECS 1.0.1.0/24 */
	buf[n++] = id >> 8; buf[n++] = id & 0xff;
	buf[n++] = 0x01; buf[n++] = 0x00;           /* RD */
	buf[n++] = 0; buf[n++] = 1;                 /* QDCOUNT */
	buf[n++] = 0; buf[n++] = 0; buf[n++] = 0; buf[n++] = 0;
	buf[n++] = 0; buf[n++] = 1;                 /* ARCOUNT */
	while(*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, p, len);
		n += len;
		p += len;
		if(*p == '.')
			p++;
	}
	buf[n++] = 0;
	buf[n++] = 0; buf[n++] = 1; buf[n++] = 0; buf[n++] = 1; /* A IN */
	memcpy(buf + n, opt, sizeof(opt));
	return n + sizeof(opt);
}

/** Skip a (possibly compressed) name. @return new offset or 0. */
static size_t
skip_name(const uint8_t *m, size_t len, size_t o)
{
	while(o < len) {
		if(m[o] == 0)
			return o + 1;
		if((m[o] & 0xc0) == 0xc0)
			return o + 2 <= len ? o + 2 : 0;
		o += (size_t)m[o] + 1;
	}
	return 0;
}

/** Classify a reply by its A records. */
static enum answer
classify(const uint8_t *m, size_t len)
{
	size_t o = 12;
	int an, i, cn = 0, off = 0;
	if(len < 12)
		return ANS_OTHER;
	an = m[6] << 8 | m[7];
	o = skip_name(m, len, o);
	if(!o || o + 4 > len)
		return ANS_OTHER;
	o += 4;
	for(i = 0; i < an; i++) {
		uint16_t type, rdlen;
		o = skip_name(m, len, o);
		if(!o || o + 10 > len)
			return ANS_OTHER;
		type = (uint16_t)(m[o] << 8 | m[o + 1]);
		rdlen = (uint16_t)(m[o + 8] << 8 | m[o + 9]);
		o += 10;
		if(o + rdlen > len)
			return ANS_OTHER;
		if(type == 1 && rdlen == 4) {
			if(m[o] == 10)
				cn = 1;
			else if(m[o] == 172)
				off = 1;
		}
		o += rdlen;
	}
	if(cn && !off)
		return ANS_CN;
	if(off && !cn)
		return ANS_OFFSHORE;
	return ANS_OTHER;
}

/** One query to resolver r, one reply (resent after 200 ms without one). */
static enum answer
ask_one(int r_index, const char *name)
{
	int sock = socks[r_index];
	uint8_t q[512], r[4096];
	for(;;) {
		uint16_t id = next_id++;
		size_t qlen = build_query(q, name, id);
		double deadline;
		if(send(sock, q, qlen, 0) < 0) {
			perror("send");
			exit(2);
		}
		queries++;
		deadline = now_ms() + 200;
		for(;;) {
			struct pollfd p = {sock, POLLIN, 0};
			int left = (int)(deadline - now_ms());
			ssize_t n;
			if(left <= 0 || poll(&p, 1, left) <= 0)
				break;
			n = recv(sock, r, sizeof(r), 0);
			if(n < 12 || (r[0] << 8 | r[1]) != id)
				continue;
			return classify(r, (size_t)n);
		}
	}
}

/**
 * Ask every resolver not yet done (want reached) once, in turn.
 * @return 1 when all are done.
 */
static int
ask_all(const char *name, enum answer want, int *done)
{
	int i, all = 1;
	for(i = 0; i < nsocks; i++) {
		if(!done[i] && ask_one(i, name) == want)
			done[i] = 1;
		all &= done[i];
	}
	return all;
}

/** Write the change as cnroutectl does and wait for EXEC's reply. */
static void
write_acked(const char *prefix, const char *key, const char *value)
{
	redisReply *r;
	char audit[256], now[32];
	snprintf(audit, sizeof(audit), "%saudit", prefix);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	redisAppendCommand(writer, "MULTI");
	redisAppendCommand(writer, "HSET %s status %s", key, value);
	redisAppendCommand(writer, "XADD %s * time %s actor bench action %s "
		"key %s", audit, now, value, key);
	redisAppendCommand(writer, "EXEC");
	for(int i = 0; i < 4; i++) {
		if(redisGetReply(writer, (void **)&r) != REDIS_OK || !r ||
			r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "write %s: %s\n", key, r ? r->str :
				writer->errstr);
			exit(2);
		}
		freeReplyObject(r);
	}
}

/** Start redis-cli HSET key status value. */
static pid_t
spawn_hset(const char *port, const char *key, const char *value)
{
	char *argv[] = {"redis-cli", "-p", (char *)port, "HSET", (char *)key,
		"status", (char *)value, NULL};
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if(posix_spawnp(&pid, "redis-cli", &fa, NULL, argv, environ) != 0) {
		perror("posix_spawnp redis-cli");
		exit(2);
	}
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/**
 * Change the filing and query until the answer is want.
 * @return ms from just before the spawn to the first such answer, or -1;
 *	*cli_ms: when redis-cli exited (it is reaped while polling).
 */
static double
change_and_wait(const char *port, const char *prefix, const char *key,
	const char *status, const char *name, enum answer want, double *cli_ms)
{
	double t0 = now_ms(), t;
	pid_t pid = 0;
	int reaped = 0, st, done[MAX_RESOLVERS] = { 0 };
	*cli_ms = -1;
	if(writer != NULL) {
		write_acked(prefix, key, status);
		t = now_ms();
		*cli_ms = t - t0;
		t0 = t;
		reaped = 1;
	} else {
		pid = spawn_hset(port, key, status);
	}
	for(;;) {
		int all = ask_all(name, want, done);
		t = now_ms();
		if(!reaped && waitpid(pid, &st, WNOHANG) == pid) {
			reaped = 1;
			*cli_ms = t - t0;
		}
		if(all)
			break;
		if(t - t0 > 10000) {
			if(!reaped)
				waitpid(pid, &st, 0);
			return -1;
		}
	}
	if(!reaped) {
		waitpid(pid, &st, 0);
		*cli_ms = now_ms() - t0;
	}
	return t - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/** Nearest-rank percentile of a sorted array. */
static double
pct(const double *v, int n, double p)
{
	int k = (int)(p / 100.0 * n + 0.999999);
	if(k < 1)
		k = 1;
	if(k > n)
		k = n;
	return v[k - 1];
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	double *rev, *res, *cli;
	int first, count, k, ok = 0;
	const char *rport, *prefix, *mode = getenv("REVOKE_PROBE_WRITE");
	char *ports, *tok, *save = NULL;
	if(argc != 6) {
		fprintf(stderr, "usage: %s DNS_PORT[,DNS_PORT...] REDIS_PORT "
			"PREFIX FIRST COUNT\n",
			argv[0]);
		return 2;
	}
	rport = argv[2];
	prefix = argv[3];
	first = atoi(argv[4]);
	count = atoi(argv[5]);
	rev = calloc((size_t)count, sizeof(double));
	res = calloc((size_t)count, sizeof(double));
	cli = calloc((size_t)count, sizeof(double));
	if(!rev || !res || !cli || (ports = strdup(argv[1])) == NULL) {
		perror("setup");
		return 2;
	}
	for(tok = strtok_r(ports, ",", &save); tok != NULL;
		tok = strtok_r(NULL, ",", &save)) {
		int sock = socket(AF_INET, SOCK_DGRAM, 0);
		if(nsocks == MAX_RESOLVERS) {
			fprintf(stderr, "at most %d resolvers\n", MAX_RESOLVERS);
			return 2;
		}
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)atoi(tok));
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if(sock < 0 || connect(sock, (struct sockaddr *)&sa,
			sizeof(sa)) != 0) {
			perror("socket");
			return 2;
		}
		socks[nsocks++] = sock;
	}
	free(ports);
	if(mode != NULL && strcmp(mode, "ack") == 0) {
		writer = redisConnect("127.0.0.1", atoi(rport));
		if(writer == NULL || writer->err) {
			fprintf(stderr, "redis at %s: %s\n", rport, writer ?
				writer->errstr : "out of memory");
			return 2;
		}
	}
	for(k = 0; k < count; k++) {
		char name[128], key[256];
		double c2;
		int i = first + k;
		snprintf(name, sizeof(name), "www.d%d.sites.bench", i);
		snprintf(key, sizeof(key), "%sfiling:d%d.sites.bench", prefix, i);
		/* the starting state: CN */
		{
			double t0 = now_ms();
			int done[MAX_RESOLVERS] = { 0 };
			while(!ask_all(name, ANS_CN, done)) {
				if(now_ms() - t0 > 10000) {
					fprintf(stderr, "%s: never CN\n", name);
					return 1;
				}
				usleep(1000);
			}
		}
		rev[ok] = change_and_wait(rport, prefix, key, "revoked", name,
			ANS_OFFSHORE, &cli[ok]);
		res[ok] = change_and_wait(rport, prefix, key, "active", name,
			ANS_CN, &c2);
		if(rev[ok] < 0 || res[ok] < 0) {
			fprintf(stderr, "%s: no effect within 10 s\n", name);
			return 1;
		}
		printf("round %d %s revoke_ms=%.3f redis_cli_ms=%.3f "
			"restore_ms=%.3f\n", k, name, rev[ok], cli[ok], res[ok]);
		ok++;
	}
	qsort(rev, (size_t)ok, sizeof(double), cmp_double);
	qsort(res, (size_t)ok, sizeof(double), cmp_double);
	qsort(cli, (size_t)ok, sizeof(double), cmp_double);
	printf("SUMMARY n=%d revoke_p50_ms=%.2f revoke_p99_ms=%.2f "
		"revoke_max_ms=%.2f restore_p50_ms=%.2f restore_p99_ms=%.2f "
		"restore_max_ms=%.2f cli_p50_ms=%.2f queries=%lu\n", ok,
		pct(rev, ok, 50), pct(rev, ok, 99), rev[ok - 1],
		pct(res, ok, 50), pct(res, ok, 99), res[ok - 1],
		pct(cli, ok, 50), queries);
	return 0;
}
