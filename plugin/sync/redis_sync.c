/*
 * redis_sync.c - the thread that keeps the steering table equal to Redis.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Two connections: "cmd" for SCAN and HGETALL, "sub" subscribed to the
 * keyspace notifications of the prefix. A notification only says which key
 * changed; the key is then read again on "cmd", so whatever order or number
 * of notifications arrives, the table ends equal to the key's current
 * value. Nothing here is on the query path: workers only read the table.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include "cnroute/dname.h"
#include "cnroute/keyspace.h"
#include "cnroute/log.h"
#include "cnroute/record.h"
#include "cnroute/redis_sync.h"
#include "reply_arena.h"
#include "sync_apply.h"

/** Keys fetched per pipelined batch. */
#define SYNC_BATCH 1000
/** Batches of a full reconciliation in memory at once: one being applied
 *  while Redis answers the others. */
#define SYNC_IN_FLIGHT 3
/** First and largest delay between connection attempts, milliseconds. */
#define SYNC_BACKOFF_MIN_MS 100
#define SYNC_BACKOFF_MAX_MS 5000
/** Connect and command timeout, milliseconds. */
#define SYNC_CONNECT_TIMEOUT_MS 1000
#define SYNC_COMMAND_TIMEOUT_MS 5000
/** How often the stats file is written, milliseconds. */
#define SYNC_STATS_INTERVAL_MS 1000

/** Connection state; a line is logged when it changes. */
enum sync_state {
	/** never connected yet */
	SYNC_STARTING = 0,
	/** both connections up, notifications subscribed */
	SYNC_CONNECTED,
	/** Redis unreachable; retrying */
	SYNC_DISCONNECTED
};

/** Keys named by notifications, waiting to be read again. */
struct pending_keys {
	/** key strings, malloced */
	char **keys;
	/** their lengths */
	size_t *lens;
	/** number of keys */
	size_t count;
	/** allocated slots */
	size_t capacity;
};

/** Everything the thread owns. */
struct sync_run {
	/** the handle given to redis_sync_start */
	struct redis_sync *sync;
	/** command connection */
	redisContext *cmd;
	/** subscriber connection */
	redisContext *sub;
	/** connection state */
	enum sync_state state;
	/** keys to fetch again */
	struct pending_keys pending;
	/** the notification channel prefix, "__keyspace@0__:" */
	char channel_prefix[64];
	/** its length */
	size_t channel_prefix_len;
	/** a printable Redis address for log lines */
	char where[300];
	/** when the table was last known equal to Redis (monotonic ms) */
	uint64_t last_in_sync;
	/** the keys read so far: spellings, bad keys reported */
	struct keyspace ks;
	/** the changes being prepared (a reconciliation, or the keys named
	 *  by a batch of notifications), committed all at once */
	struct steering_writer w;
	/** whether w was begun and not yet committed or aborted */
	int w_active;
	/** whether w builds a fresh table */
	int w_fresh;
};

/** Milliseconds on the monotonic clock. */
static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/** A struct timeval of ms milliseconds. */
static struct timeval
timeval_ms(int ms)
{
	struct timeval tv;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/** Forget the pending keys. */
static void
pending_clear(struct pending_keys *p)
{
	size_t i;
	for(i = 0; i < p->count; i++)
		free(p->keys[i]);
	p->count = 0;
}

/** Add a key to fetch again; a repeat of the last one is dropped. */
static int
pending_add(struct pending_keys *p, const char *key, size_t len)
{
	if(p->count > 0 && p->lens[p->count - 1] == len &&
		memcmp(p->keys[p->count - 1], key, len) == 0)
		return 0;
	if(p->count == p->capacity) {
		size_t cap = p->capacity ? p->capacity * 2 : 64;
		char **keys = realloc(p->keys, cap * sizeof(*keys));
		size_t *lens;
		if(!keys)
			return -1;
		p->keys = keys;
		lens = realloc(p->lens, cap * sizeof(*lens));
		if(!lens)
			return -1;
		p->lens = lens;
		p->capacity = cap;
	}
	p->keys[p->count] = malloc(len + 1);
	if(!p->keys[p->count])
		return -1;
	memcpy(p->keys[p->count], key, len);
	p->keys[p->count][len] = 0;
	p->lens[p->count] = len;
	p->count++;
	return 0;
}

/** Close both connections. */
static void
sync_disconnect(struct sync_run *run)
{
	if(run->cmd)
		redisFree(run->cmd);
	if(run->sub)
		redisFree(run->sub);
	run->cmd = NULL;
	run->sub = NULL;
	atomic_store(&run->sync->stats->redis_connected, 0);
}

/**
 * Run a command expecting a status or plain reply.
 * @return the reply (caller frees) or NULL with err set.
 */
static redisReply *
sync_command(redisContext *c, char *err, size_t err_size, const char *fmt,
	...)
{
	redisReply *reply;
	va_list args;
	va_start(args, fmt);
	reply = redisvCommand(c, fmt, args);
	va_end(args);
	if(!reply) {
		snprintf(err, err_size, "%s", c->errstr[0] ? c->errstr :
			"connection lost");
		return NULL;
	}
	if(reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, err_size, "%s", reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/**
 * Open one connection, authenticate and select the database.
 * @return the context or NULL with err set.
 */
static redisContext *
sync_open(const struct cnroute_conf *conf, char *err, size_t err_size)
{
	struct timeval tv = timeval_ms(SYNC_CONNECT_TIMEOUT_MS);
	redisContext *c;
	redisReply *reply;
	if(conf->redis_unix)
		c = redisConnectUnixWithTimeout(conf->redis_unix, tv);
	else
		c = redisConnectWithTimeout(conf->redis_host, conf->redis_port, tv);
	if(!c) {
		snprintf(err, err_size, "out of memory");
		return NULL;
	}
	if(c->err) {
		snprintf(err, err_size, "%s", c->errstr);
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, timeval_ms(SYNC_COMMAND_TIMEOUT_MS));
	/* TCP keepalive notices a peer that vanished silently; on a unix
	 * socket the option does not exist and hiredis would mark the
	 * context as failed */
	if(!conf->redis_unix && redisEnableKeepAlive(c) != REDIS_OK) {
		snprintf(err, err_size, "%s", c->errstr);
		redisFree(c);
		return NULL;
	}
	if(conf->redis_password) {
		reply = sync_command(c, err, err_size, "AUTH %s",
			conf->redis_password);
		if(!reply) {
			redisFree(c);
			return NULL;
		}
		freeReplyObject(reply);
	}
	if(conf->redis_db != 0) {
		reply = sync_command(c, err, err_size, "SELECT %d",
			conf->redis_db);
		if(!reply) {
			redisFree(c);
			return NULL;
		}
		freeReplyObject(reply);
	}
	return c;
}

/**
 * Make sure Redis sends keyspace notifications for hash and generic
 * events (K plus A). The flags already set are kept. Failing (CONFIG
 * renamed away, a managed Redis) is not fatal: changes then arrive with
 * the periodic reconciliation, which is said once in the log.
 */
static void
sync_enable_notifications(struct sync_run *run)
{
	char err[256], flags[64];
	redisReply *reply;
	size_t n;
	int need_k, need_a;
	reply = sync_command(run->cmd, err, sizeof(err),
		"CONFIG GET notify-keyspace-events");
	if(!reply || reply->type != REDIS_REPLY_ARRAY ||
		reply->elements != 2 || reply->element[1]->type !=
		REDIS_REPLY_STRING) {
		if(reply)
			freeReplyObject(reply);
		cnroute_log(CNROUTE_LOG_WARNING, "cannot read Redis "
			"notify-keyspace-events (%s): changes will take effect "
			"at the next reconciliation (every %u s) unless "
			"notifications are enabled (KA)",
			reply ? "unexpected reply" : err,
			(unsigned)run->sync->conf->resync_interval);
		return;
	}
	n = reply->element[1]->len < sizeof(flags) - 3 ?
		reply->element[1]->len : sizeof(flags) - 3;
	memcpy(flags, reply->element[1]->str, n);
	flags[n] = 0;
	freeReplyObject(reply);
	need_k = strchr(flags, 'K') == NULL;
	need_a = strchr(flags, 'A') == NULL;
	if(!need_k && !need_a)
		return;
	if(need_k)
		flags[n++] = 'K';
	if(need_a)
		flags[n++] = 'A';
	flags[n] = 0;
	reply = sync_command(run->cmd, err, sizeof(err),
		"CONFIG SET notify-keyspace-events %s", flags);
	if(!reply) {
		cnroute_log(CNROUTE_LOG_WARNING, "cannot enable Redis keyspace "
			"notifications (%s): changes will take effect at the "
			"next reconciliation (every %u s)", err,
			(unsigned)run->sync->conf->resync_interval);
		return;
	}
	freeReplyObject(reply);
	cnroute_log(CNROUTE_LOG_INFO, "enabled Redis keyspace notifications "
		"(notify-keyspace-events %s)", flags);
}

/**
 * A glob pattern matching every key under the prefix: "<before><prefix>*",
 * with glob characters of the prefix escaped so they match literally.
 * The key prefix is at most a few hundred bytes (conf.c bounds it).
 */
static void
prefix_pattern(const char *before, const char *prefix, char *out,
	size_t out_size)
{
	size_t n = (size_t)snprintf(out, out_size, "%s", before), i;
	for(i = 0; prefix[i] && n + 3 < out_size; i++) {
		if(strchr("*?[]\\", prefix[i]))
			out[n++] = '\\';
		out[n++] = prefix[i];
	}
	out[n++] = '*';
	out[n] = 0;
}

/**
 * Subscribe "sub" to the keyspace channels of every key under the prefix.
 * Glob characters in the prefix are escaped so they match literally.
 * @return 0 or -1 with err set.
 */
static int
sync_subscribe(struct sync_run *run, char *err, size_t err_size)
{
	char pattern[600];
	redisReply *reply;
	prefix_pattern(run->channel_prefix, run->sync->conf->key_prefix,
		pattern, sizeof(pattern));
	reply = redisCommand(run->sub, "PSUBSCRIBE %s", pattern);
	if(!reply) {
		snprintf(err, err_size, "%s", run->sub->errstr);
		return -1;
	}
	if(reply->type != REDIS_REPLY_ARRAY) {
		snprintf(err, err_size, "PSUBSCRIBE: %s", reply->type ==
			REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		freeReplyObject(reply);
		return -1;
	}
	freeReplyObject(reply);
	return 0;
}

/** Open both connections and subscribe. @return 0 or -1 with err set. */
static int
sync_connect(struct sync_run *run, char *err, size_t err_size)
{
	run->cmd = sync_open(run->sync->conf, err, err_size);
	if(!run->cmd)
		return -1;
	run->sub = sync_open(run->sync->conf, err, err_size);
	if(!run->sub) {
		sync_disconnect(run);
		return -1;
	}
	sync_enable_notifications(run);
	if(sync_subscribe(run, err, err_size) != 0) {
		sync_disconnect(run);
		return -1;
	}
	return 0;
}

/** The keyspace's reports: one log line per change of a bad key, counted. */
static void
sync_report(void *ctx, const struct keyspace_report *report)
{
	struct sync_run *run = ctx;

	STATS_INC(run->sync->stats, records_skipped);
	cnroute_log(CNROUTE_LOG_WARNING, "%s", report->message);
}

/**
 * Begin a batch of changes.
 * @param fresh: build a fresh table (a first load).
 * @param seen: the generation to mark entries with.
 * @return 0 or -1 out of memory.
 */
static int
sync_changes_begin(struct sync_run *run, int fresh, uint32_t seen)
{
	if(steering_writer_begin(&run->w, run->sync->table, fresh, seen) != 0)
		return -1;
	run->w_active = 1;
	run->w_fresh = fresh;
	return 0;
}

/** Called by the commit with the names that gained a route. */
static void
sync_routes_added(void *ctx, const uint8_t *const *names,
	const size_t *lens, size_t count)
{
	struct sync_run *run = ctx;

	if(run->sync->routes_added != NULL)
		run->sync->routes_added(run->sync->routes_added_ctx, names,
			lens, count);
}

/**
 * Make the batch visible to queries, all at once.
 * @return the number of changes, or -1 out of memory (the batch is lost;
 *	the next full reconciliation brings it again).
 */
static long
sync_changes_commit(struct sync_run *run)
{
	long n;

	if(!run->w_active)
		return 0;
	run->w_active = 0;
	n = steering_writer_commit(&run->w, sync_routes_added, run);
	if(n < 0)
		cnroute_log(CNROUTE_LOG_ERROR, "out of memory applying "
			"changes from Redis");
	return n;
}

/** Drop the batch (the connection failed half-way). */
static void
sync_changes_abort(struct sync_run *run)
{
	if(!run->w_active)
		return;
	run->w_active = 0;
	steering_writer_abort(&run->w);
}

/** Apply one key's HGETALL reply to the batch. */
static void
sync_apply(struct sync_run *run, const char *key, size_t key_len,
	const redisReply *reply)
{
	if(sync_apply_reply(&run->ks, &run->w, key, key_len, reply) != 0)
		cnroute_log(CNROUTE_LOG_ERROR, "out of memory applying a "
			"record from Redis");
}

/**
 * One batch of a full reconciliation: the keys of one SCAN reply and,
 * once read, their HGETALL replies, all built in the batch's arena.
 */
struct scan_batch {
	/** where the batch's replies live */
	struct reply_arena arena;
	/** the SCAN reply, which holds the key strings */
	redisReply *scan;
	/** keys (pointers into scan) */
	char *keys[SYNC_BATCH * 2];
	/** their lengths */
	size_t lens[SYNC_BATCH * 2];
	/** HGETALL replies, one per key, once read */
	redisReply *values[SYNC_BATCH * 2];
	/** number of keys */
	size_t count;
	/** number of values read */
	size_t read;
};

/** Empty a batch (its arena's memory is kept for the next one). */
static void
scan_batch_clear(struct scan_batch *b)
{
	reply_arena_reset(&b->arena);
	b->scan = NULL;
	b->count = b->read = 0;
}

/**
 * Take the keys of a SCAN reply (read into the batch's arena) into the
 * batch, and the cursor to continue from.
 * @return 0, or -1 when it is not a SCAN reply.
 */
static int
scan_batch_take(struct scan_batch *b, redisReply *reply, char *cursor,
	size_t cursor_size, char *err, size_t err_size)
{
	size_t i;

	if(reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, err_size, "SCAN: %s", reply->str);
		return -1;
	}
	if(reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		reply->element[0]->type != REDIS_REPLY_STRING ||
		reply->element[1]->type != REDIS_REPLY_ARRAY) {
		snprintf(err, err_size, "unexpected SCAN reply");
		return -1;
	}
	b->scan = reply;
	b->count = b->read = 0;
	snprintf(cursor, cursor_size, "%s", reply->element[0]->str);
	for(i = 0; i < reply->element[1]->elements &&
		b->count < SYNC_BATCH * 2; i++) {
		redisReply *k = reply->element[1]->element[i];
		if(k->type != REDIS_REPLY_STRING)
			continue;
		b->keys[b->count] = k->str;
		b->lens[b->count] = k->len;
		b->count++;
	}
	return 0;
}

/** Set err from a context's error (or "connection lost"). */
static void
sync_context_err(redisContext *c, char *err, size_t err_size)
{
	snprintf(err, err_size, "%s", c->errstr[0] ? c->errstr :
		"connection lost");
}

/**
 * Queue an HGETALL for each key on the command connection (sent with the
 * next write).
 * @return 0 or -1 when the connection failed.
 */
static int
sync_append_hgetall(struct sync_run *run, char *const *keys,
	const size_t *lens, size_t count, char *err, size_t err_size)
{
	static const char hgetall[] = "HGETALL";
	size_t i;

	for(i = 0; i < count; i++) {
		/* argv, not a format string: at 10^6 keys the printf-style
		 * formatting was a sixth of this thread's time */
		const char *argv[2] = {hgetall, keys[i]};
		size_t argvlen[2] = {sizeof(hgetall) - 1, lens[i]};
		if(redisAppendCommandArgv(run->cmd, 2, argv, argvlen)
			!= REDIS_OK) {
			sync_context_err(run->cmd, err, err_size);
			return -1;
		}
	}
	return 0;
}

/**
 * Send, unless the scan is over, the next SCAN and then a batch's
 * HGETALLs, and flush them to Redis at once. The SCAN goes first so that
 * its reply, the keys of the batch after this one, arrives before this
 * batch's replies: the thread can send that batch as soon as it has read
 * the batch before, keeping Redis two batches ahead of it.
 * @return 0 or -1 when the connection failed.
 */
static int
sync_send_batch(struct sync_run *run, const struct scan_batch *b,
	const char *cursor, const char *match, char *err, size_t err_size)
{
	int done = 0;

	if(strcmp(cursor, "0") != 0 && redisAppendCommand(run->cmd,
		"SCAN %s MATCH %s COUNT %d", cursor, match, SYNC_BATCH)
		!= REDIS_OK) {
		sync_context_err(run->cmd, err, err_size);
		return -1;
	}
	if(sync_append_hgetall(run, b->keys, b->lens, b->count, err,
		err_size) != 0)
		return -1;
	while(!done) {
		if(redisBufferWrite(run->cmd, &done) != REDIS_OK) {
			sync_context_err(run->cmd, err, err_size);
			return -1;
		}
	}
	return 0;
}

/** Read one reply of the command connection. @return it, or NULL. */
static redisReply *
sync_read_reply(struct sync_run *run, char *err, size_t err_size)
{
	void *r = NULL;

	if(redisGetReply(run->cmd, &r) != REDIS_OK || !r) {
		sync_context_err(run->cmd, err, err_size);
		return NULL;
	}
	return r;
}

/**
 * Read the reply to a SCAN into the arena of the batch it fills and take
 * its keys.
 * @return 0 or -1.
 */
static int
sync_read_scan(struct sync_run *run, struct scan_batch *b, char *cursor,
	size_t cursor_size, char *err, size_t err_size)
{
	redisReply *r;

	reply_arena_use(run->cmd, &b->arena);
	if((r = sync_read_reply(run, err, err_size)) == NULL)
		return -1;
	return scan_batch_take(b, r, cursor, cursor_size, err, err_size);
}

/**
 * Read the keys of the next batch (the reply to the SCAN sent last) and
 * send that batch, with the SCAN for the one after it in front.
 * @param cursor: in, unused; out, the cursor to continue from ("0": the
 *	scan is over and no SCAN was sent).
 * @return 0 or -1.
 */
static int
sync_next_batch(struct sync_run *run, struct scan_batch *b, char *cursor,
	size_t cursor_size, const char *match, char *err, size_t err_size)
{
	if(sync_read_scan(run, b, cursor, cursor_size, err, err_size) != 0)
		return -1;
	return sync_send_batch(run, b, cursor, match, err, err_size);
}

/**
 * Read the HGETALL replies of a batch (not applied yet).
 * @return 0 or -1 when the connection failed.
 */
static int
sync_read_batch(struct sync_run *run, struct scan_batch *b, char *err,
	size_t err_size)
{
	reply_arena_use(run->cmd, &b->arena);
	while(b->read < b->count) {
		redisReply *r = sync_read_reply(run, err, err_size);
		if(!r)
			return -1;
		b->values[b->read++] = r;
	}
	return 0;
}

/**
 * Fetch the keys named by notifications with pipelined HGETALLs and
 * apply each to the batch of changes.
 * @return 0 or -1 when the connection failed.
 */
static int
sync_fetch(struct sync_run *run, char **keys, const size_t *lens,
	size_t count, char *err, size_t err_size)
{
	size_t i;

	if(sync_append_hgetall(run, keys, lens, count, err, err_size) != 0)
		return -1;
	for(i = 0; i < count; i++) {
		redisReply *r = sync_read_reply(run, err, err_size);
		if(!r)
			return -1;
		sync_apply(run, keys[i], lens[i], r);
		freeReplyObject(r);
	}
	return 0;
}

/** Apply the replies of a batch to the table, then empty the batch. */
static void
sync_apply_batch(struct sync_run *run, struct scan_batch *b)
{
	size_t i;

	for(i = 0; i < b->read; i++)
		sync_apply(run, b->keys[i], b->lens[i], b->values[i]);
	scan_batch_clear(b);
}

/**
 * Take every notification already received on "sub" (no waiting) and
 * queue its key.
 * @param read_socket: read the socket first (it polled readable).
 * @return 0 or -1 when the connection failed.
 */
static int
sync_drain_notifications(struct sync_run *run, int read_socket, char *err,
	size_t err_size)
{
	void *r;
	if(read_socket && redisBufferRead(run->sub) != REDIS_OK) {
		snprintf(err, err_size, "%s", run->sub->errstr[0] ?
			run->sub->errstr : "connection lost");
		return -1;
	}
	while(1) {
		redisReply *reply;
		r = NULL;
		if(redisGetReplyFromReader(run->sub, &r) != REDIS_OK) {
			snprintf(err, err_size, "%s", run->sub->errstr);
			return -1;
		}
		if(!r)
			return 0;
		reply = r;
		/* ["pmessage", pattern, channel, event] */
		if(reply->type == REDIS_REPLY_ARRAY && reply->elements == 4 &&
			reply->element[2]->type == REDIS_REPLY_STRING &&
			reply->element[2]->len > run->channel_prefix_len &&
			memcmp(reply->element[2]->str, run->channel_prefix,
			run->channel_prefix_len) == 0) {
			STATS_INC(run->sync->stats, notifications);
			if(pending_add(&run->pending, reply->element[2]->str +
				run->channel_prefix_len, reply->element[2]->len -
				run->channel_prefix_len) != 0)
				cnroute_log(CNROUTE_LOG_ERROR, "out of memory "
					"queueing a notification");
		}
		freeReplyObject(reply);
	}
}

/**
 * Whether "sub" has bytes to read right now.
 */
static int
sub_readable(struct sync_run *run)
{
	struct pollfd p;
	p.fd = run->sub->fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) > 0;
}

/**
 * Fetch again every key named by a notification and make all of them
 * visible at once: keys written together (a MULTI, an import) reach the
 * table together, so no state in between is ever answered from.
 * @return 0 or -1 when the connection failed.
 */
static int
sync_apply_pending(struct sync_run *run, char *err, size_t err_size)
{
	size_t done = 0;

	if(run->pending.count == 0)
		return 0;
	if(sync_changes_begin(run, 0, run->ks.generation) != 0) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	while(done < run->pending.count) {
		size_t n = run->pending.count - done;
		if(n > SYNC_BATCH)
			n = SYNC_BATCH;
		if(sync_fetch(run, run->pending.keys + done,
			run->pending.lens + done, n, err, err_size) != 0) {
			sync_changes_abort(run);
			return -1;
		}
		done += n;
	}
	pending_clear(&run->pending);
	(void)sync_changes_commit(run);
	return 0;
}

/** Fail a full reconciliation half-way: nothing of it is applied. */
static void
sync_full_abort(struct sync_run *run)
{
	int fresh = run->w_fresh;

	sync_changes_abort(run);
	keyspace_full_abort(&run->ks, fresh);
}

/**
 * Read every key under the prefix into the batch, pipelined (see the
 * comment inside).
 * @return 0 or -1 when the connection failed.
 */
static int
sync_scan_all(struct sync_run *run, char *err, size_t err_size)
{
	char cursor[32] = "0", match[600];
	struct scan_batch *batch = calloc(SYNC_IN_FLIGHT, sizeof(*batch));
	redisReplyObjectFunctions *own_functions;
	size_t oldest = 0, known = 0, i;
	int scan_pending = 1;

	prefix_pattern("", run->sync->conf->key_prefix, match, sizeof(match));
	if(!batch) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	own_functions = reply_arena_attach(run->cmd, &batch[0].arena);
	/* A pipeline: while this thread applies batch k, Redis answers
	 * batches k+1 and k+2. On the wire, per batch j: [SCAN for batch
	 * j+1][HGETALLs of batch j], so the replies come as [keys of j+1]
	 * [values of j], and the keys of a batch are in hand as soon as the
	 * values of the batch two before it have been read. One batch at a
	 * time, Redis and this thread took turns, each idle half the time. */
	if(redisAppendCommand(run->cmd, "SCAN %s MATCH %s COUNT %d", cursor,
		match, SYNC_BATCH) != REDIS_OK) {
		sync_context_err(run->cmd, err, err_size);
		goto fail;
	}
	/* Fill the pipeline: the first batches, up to all but one slot. */
	while(scan_pending && known < SYNC_IN_FLIGHT - 1) {
		if(sync_next_batch(run, &batch[known % SYNC_IN_FLIGHT], cursor,
			sizeof(cursor), match, err, err_size) != 0)
			goto fail;
		known++;
		scan_pending = strcmp(cursor, "0") != 0;
	}
	while(oldest < known) {
		if(sync_read_batch(run, &batch[oldest % SYNC_IN_FLIGHT], err,
			err_size) != 0)
			goto fail;
		if(scan_pending) {
			/* next in the stream: the keys of the next batch */
			if(sync_next_batch(run, &batch[known % SYNC_IN_FLIGHT],
				cursor, sizeof(cursor), match, err,
				err_size) != 0)
				goto fail;
			known++;
			scan_pending = strcmp(cursor, "0") != 0;
		}
		sync_apply_batch(run, &batch[oldest % SYNC_IN_FLIGHT]);
		oldest++;
		if(sub_readable(run) && sync_drain_notifications(run, 1, err,
			err_size) != 0)
			goto fail;
	}
	reply_arena_detach(run->cmd, own_functions);
	for(i = 0; i < SYNC_IN_FLIGHT; i++)
		reply_arena_free(&batch[i].arena);
	free(batch);
	return 0;
fail:
	/* The reader keeps the arena functions: it may hold a reply half
	 * built in an arena, which only their no-op free may be given. The
	 * caller drops the connection. */
	for(i = 0; i < SYNC_IN_FLIGHT; i++)
		reply_arena_free(&batch[i].arena);
	free(batch);
	return -1;
}

/**
 * Full reconciliation: every key under the prefix is read, the entries
 * whose keys are gone are removed, and all of it becomes visible to
 * queries at once, in one commit. The first load builds a fresh table
 * (nothing to compare with); later ones change only what differs.
 * Notifications arriving meanwhile are queued (so the subscriber's output
 * buffer in Redis does not overflow) and applied after the commit, when
 * they can only bring news.
 * @return 0 or -1 when the connection failed.
 */
static int
sync_full(struct sync_run *run, char *err, size_t err_size)
{
	uint64_t start = now_ms();
	size_t filings, routes;
	unsigned long long skipped_before = atomic_load(
		&run->sync->stats->records_skipped);
	int fresh, first = !steering_table_is_loaded(run->sync->table);
	long removed = 0, changed;
	uint32_t seen;

	steering_table_counts(run->sync->table, &filings, &routes);
	fresh = filings + routes == 0;
	seen = keyspace_full_begin(&run->ks, fresh);
	if(sync_changes_begin(run, fresh, seen) != 0) {
		keyspace_full_abort(&run->ks, fresh);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	if(sync_scan_all(run, err, err_size) != 0) {
		sync_full_abort(run);
		return -1;
	}
	if(keyspace_full_end(&run->ks, &run->w) != 0 ||
		(removed = steering_writer_sweep(&run->w)) < 0) {
		sync_full_abort(run);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	changed = sync_changes_commit(run);
	steering_table_set_loaded(run->sync->table);
	steering_table_counts(run->sync->table, &filings, &routes);
	STATS_INC(run->sync->stats, full_syncs);
	atomic_store(&run->sync->stats->last_full_sync, (long long)time(NULL));
	if(first && run->sync->routes_added)
		run->sync->routes_added(run->sync->routes_added_ctx, NULL, NULL,
			0);
	cnroute_log(CNROUTE_LOG_INFO, "reconciled with Redis at %s: %zu "
		"filings, %zu routes, %ld changes (%ld removals), %llu records "
		"reported, in %llu ms", run->where, filings, routes, changed,
		removed, (unsigned long long)atomic_load(
		&run->sync->stats->records_skipped) - skipped_before,
		(unsigned long long)(now_ms() - start));
	return sync_apply_pending(run, err, err_size);
}

/** Write the stats file, if one is configured. */
static void
sync_write_stats(struct sync_run *run)
{
	size_t filings, routes;
	const char *path = run->sync->conf->stats_file;
	static int warned;
	if(!path)
		return;
	steering_table_counts(run->sync->table, &filings, &routes);
	if(stats_write(run->sync->stats, filings, routes, path) != 0) {
		if(!warned)
			cnroute_log(CNROUTE_LOG_WARNING, "cannot write "
				"stats-file %s: %s", path, strerror(errno));
		warned = 1;
	}
}

/**
 * Wait for the wake pipe, "sub" (when connected) or a timeout.
 * @return 1 when asked to stop, 0 otherwise; *readable tells about sub.
 */
static int
sync_wait(struct sync_run *run, int timeout_ms, int *readable)
{
	struct pollfd p[2];
	int n = 1;
	p[0].fd = run->sync->wake_pipe[0];
	p[0].events = POLLIN;
	p[0].revents = 0;
	if(run->sub) {
		p[1].fd = run->sub->fd;
		p[1].events = POLLIN;
		p[1].revents = 0;
		n = 2;
	}
	*readable = 0;
	if(poll(p, (nfds_t)n, timeout_ms) < 0)
		return 0;
	if(p[0].revents)
		return 1;
	if(n == 2 && p[1].revents)
		*readable = 1;
	return 0;
}

/** Note a lost or refused connection: one log line per state change. */
static void
sync_lost(struct sync_run *run, const char *err)
{
	size_t filings, routes;
	sync_disconnect(run);
	pending_clear(&run->pending);
	STATS_INC(run->sync->stats, redis_errors);
	if(run->state == SYNC_DISCONNECTED)
		return;
	steering_table_counts(run->sync->table, &filings, &routes);
	cnroute_log(CNROUTE_LOG_WARNING, "Redis at %s unreachable: %s; "
		"answering from the table held (%zu filings, %zu routes), "
		"retrying", run->where, err, filings, routes);
	run->state = SYNC_DISCONNECTED;
}

/**
 * While Redis is unreachable: once the table has been out of touch for
 * longer than max-stale, mark it stale so nobody gets the CN pool (a
 * revocation made meanwhile could not have reached us).
 */
static void
sync_check_stale(struct sync_run *run)
{
	uint32_t max_stale = run->sync->conf->max_stale;
	if(max_stale == 0 || atomic_load(&run->sync->stats->stale))
		return;
	if(now_ms() - run->last_in_sync < (uint64_t)max_stale * 1000)
		return;
	atomic_store(&run->sync->stats->stale, 1);
	cnroute_log(CNROUTE_LOG_WARNING, "no contact with Redis for %u s "
		"(max-stale): the table is stale, mainland clients get the "
		"offshore pool until Redis is back", (unsigned)max_stale);
}

/** The thread's body. */
static void *
sync_main(void *arg)
{
	struct sync_run run;
	struct redis_sync *sync = arg;
	char err[512];
	int backoff = SYNC_BACKOFF_MIN_MS, readable;
	uint64_t next_stats = 0, next_full = 0, next_connect = 0;
	sigset_t all_signals;

	/* signals are Unbound's business: let its own threads take them */
	sigfillset(&all_signals);
	pthread_sigmask(SIG_BLOCK, &all_signals, NULL);
	memset(&run, 0, sizeof(run));
	run.sync = sync;
	run.last_in_sync = now_ms();
	run.channel_prefix_len = (size_t)snprintf(run.channel_prefix,
		sizeof(run.channel_prefix), "__keyspace@%d__:",
		sync->conf->redis_db);
	if(sync->conf->redis_unix)
		snprintf(run.where, sizeof(run.where), "unix:%s",
			sync->conf->redis_unix);
	else
		snprintf(run.where, sizeof(run.where), "%s:%d",
			sync->conf->redis_host, sync->conf->redis_port);
	if(keyspace_init(&run.ks, sync->conf->key_prefix, sync_report,
		&run) != 0) {
		/* the table stays unloaded: nobody gets the CN pool */
		cnroute_log(CNROUTE_LOG_ERROR, "out of memory starting the "
			"Redis sync thread");
		return NULL;
	}

	while(1) {
		uint64_t now = now_ms(), next;
		int timeout;
		if(now >= next_stats) {
			sync_write_stats(&run);
			next_stats = now + SYNC_STATS_INTERVAL_MS;
		}
		if(!run.cmd && now < next_connect) {
			/* waiting to retry; wake for the stats file meanwhile,
			 * so it keeps telling the state of things */
			sync_check_stale(&run);
			next = next_stats < next_connect ? next_stats : next_connect;
			if(sync_wait(&run, (int)(next - now), &readable))
				break;
			continue;
		}
		if(!run.cmd) {
			if(sync_connect(&run, err, sizeof(err)) != 0 ||
				sync_full(&run, err, sizeof(err)) != 0) {
				sync_lost(&run, err);
				sync_check_stale(&run);
				next_connect = now_ms() + (uint64_t)backoff;
				backoff = backoff * 2 > SYNC_BACKOFF_MAX_MS ?
					SYNC_BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			if(run.state == SYNC_DISCONNECTED)
				cnroute_log(CNROUTE_LOG_WARNING, "Redis at %s "
					"reachable again; table resynchronised",
					run.where);
			run.state = SYNC_CONNECTED;
			run.last_in_sync = now_ms();
			if(atomic_exchange(&sync->stats->stale, 0))
				cnroute_log(CNROUTE_LOG_WARNING, "the table is "
					"current again: mainland clients get the "
					"CN pool where filed");
			atomic_store(&sync->stats->redis_connected, 1);
			backoff = SYNC_BACKOFF_MIN_MS;
			next_full = now_ms() + (uint64_t)sync->conf->resync_interval
				* 1000;
			continue;
		}
		now = now_ms();
		next = next_stats < next_full ? next_stats : next_full;
		timeout = next > now ? (int)(next - now) : 0;
		if(sync_wait(&run, timeout, &readable))
			break;
		run.last_in_sync = now_ms();
		if(readable && (sync_drain_notifications(&run, 1, err,
			sizeof(err)) != 0 || sync_apply_pending(&run, err,
			sizeof(err)) != 0)) {
			sync_lost(&run, err);
			continue;
		}
		if(now_ms() >= next_full) {
			if(sync_full(&run, err, sizeof(err)) != 0) {
				sync_lost(&run, err);
				continue;
			}
			next_full = now_ms() + (uint64_t)sync->conf->resync_interval
				* 1000;
		}
	}
	sync_changes_abort(&run);
	sync_disconnect(&run);
	pending_clear(&run.pending);
	free(run.pending.keys);
	free(run.pending.lens);
	keyspace_free(&run.ks);
	return NULL;
}

int
redis_sync_start(struct redis_sync *sync, const struct cnroute_conf *conf,
	struct steering_table *table, struct cnroute_stats *stats,
	steering_routes_added_fn routes_added, void *routes_added_ctx)
{
	int rc;
	memset(sync, 0, sizeof(*sync));
	sync->routes_added = routes_added;
	sync->routes_added_ctx = routes_added_ctx;
	sync->conf = conf;
	sync->table = table;
	sync->stats = stats;
	if(pipe(sync->wake_pipe) != 0) {
		cnroute_log(CNROUTE_LOG_ERROR, "pipe: %s", strerror(errno));
		return -1;
	}
	rc = pthread_create(&sync->thread, NULL, sync_main, sync);
	if(rc != 0) {
		cnroute_log(CNROUTE_LOG_ERROR, "cannot start the Redis sync "
			"thread: %s", strerror(rc));
		close(sync->wake_pipe[0]);
		close(sync->wake_pipe[1]);
		return -1;
	}
	sync->running = 1;
	return 0;
}

void
redis_sync_stop(struct redis_sync *sync)
{
	if(!sync->running)
		return;
	if(write(sync->wake_pipe[1], "x", 1) < 0)
		cnroute_log(CNROUTE_LOG_WARNING, "waking the sync thread: %s",
			strerror(errno));
	pthread_join(sync->thread, NULL);
	close(sync->wake_pipe[0]);
	close(sync->wake_pipe[1]);
	sync->running = 0;
}
