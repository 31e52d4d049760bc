/*
 * redis_sync.c - the thread that keeps the steering table equal to Redis.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Three connections: "cmd" for the full reconciliation's SCAN and HGETALL
 * pipeline and the heartbeat, "sub" subscribed to the keyspace
 * notifications of the prefix, and "fetch" for reading again the keys
 * notifications name, so a change never waits behind a reconciliation.
 * A notification only says which key changed; the key is then read again,
 * so whatever order or number of notifications arrives, the table ends
 * equal to the key's current value. Nothing here is on the query path:
 * workers only read the table.
 *
 * The thread never calls into Unbound, with one exception, its log lines
 * (cnroute_log, whose sink is Unbound's log_err and verbose). Those are
 * safe whatever Unbound's main thread is doing, reloads included:
 * util/log.c writes under its log_lock, and log_init (which a reload
 * calls) swaps the log file under that lock, setting it to NULL before it
 * closes the old one "so that other threads have a valid logfile or
 * NULL"; nothing a log line reads is freed by a reload. Everything else
 * Unbound owns (the caches, the configuration, the mesh) is only touched
 * by the worker threads, in the module's entry points: the thread asks
 * them to remove cached answers through the routes_added callback, which
 * only records the request and rings the resolver (cache.c).
 *
 * Every wait is a poll() on the wake pipe as well (redis_conn.c), so a
 * stop or a reload never waits for a slow Redis.
 */
#include <errno.h>
#include <netdb.h>
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
#include "cnroute/snapshot.h"
#include "redis_conn.h"
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
/** Time to connect (and authenticate), milliseconds. */
#define SYNC_CONNECT_TIMEOUT_MS 1000
/** Longest wait for a reply: a Redis that takes longer is hung (or the
 *  path to it is), and the connection is dropped. */
#define SYNC_REPLY_TIMEOUT_MS 3000
/** The heartbeat: a PING when nothing was heard for this long (less
 *  with a small max-stale: see sync_heartbeat_ms). */
#define SYNC_HEARTBEAT_MS 1000
/** How often the stats file is written, milliseconds. */
#define SYNC_STATS_INTERVAL_MS 1000
/** Snapshots after changes are written at most this often. */
#define SYNC_SNAPSHOT_DELAY_MS 2000
/** ... and rewritten this often anyway, so the time it records (which
 *  staleness counts from after a restart) stays recent. */
#define SYNC_SNAPSHOT_REFRESH_MS 300000

/** Connection state; a line is logged when it changes. */
enum sync_state {
	/** never connected yet */
	SYNC_STARTING = 0,
	/** all connections up, notifications subscribed */
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

/**
 * The keys read again because of a notification while a full
 * reconciliation runs: their value is newer than what the
 * reconciliation's own batches read, which are skipped for them. Open
 * addressing over byte strings; emptied at each reconciliation.
 */
struct key_set {
	/** the keys (malloced), NULL for an empty slot */
	char **keys;
	/** their lengths */
	size_t *lens;
	/** capacity - 1 (a power of two minus one), 0 when not allocated */
	size_t mask;
	/** keys in the set */
	size_t count;
};

/** A host name lookup running in the background. */
struct lookup {
	/** glibc's request */
	struct gaicb req;
	/** its service (the port) */
	char service[16];
	/** hints */
	struct addrinfo hints;
	/** whether a lookup was started */
	int started;
};

/** Everything the thread owns. */
struct sync_run {
	/** the handle given to redis_sync_start */
	struct redis_sync *sync;
	/** the server connected to or tried next (an index in
	 *  conf->redis_servers and sync->addrs) */
	int current;
	/** servers that failed in a row since the last success: once all
	 *  have, the thread backs off before it tries again */
	int failed_in_row;
	/** per server, the background lookup of its host name while its
	 *  address is not known (NULL: none) */
	struct lookup **lookups;
	/** what the connections need of the thread */
	struct conn_ctx cx;
	/** command connection: reconciliations, heartbeat */
	redisContext *cmd;
	/** subscriber connection */
	redisContext *sub;
	/** connection for keys named by notifications */
	redisContext *fetch;
	/** connection state */
	enum sync_state state;
	/** keys to fetch again */
	struct pending_keys pending;
	/** keys read because of a notification during a reconciliation */
	struct key_set notified;
	/** the fall back to keyspace notifications was said in the log
	 *  (once until tracking works again) */
	int fallback_logged;
	/** a full reconciliation is needed at once (Redis said its keys
	 *  may all have changed: FLUSHALL, a tracking redirect lost) */
	int need_full;
	/** the notification channel prefix, "__keyspace@0__:" */
	char channel_prefix[64];
	/** its length */
	size_t channel_prefix_len;
	/** when Redis last answered (monotonic ms) */
	uint64_t last_contact;
	/** when the PING on fetch awaiting its reply was sent, 0: none */
	uint64_t ping_sent;
	/** the same for sub */
	uint64_t sub_ping_sent;
	/** the keys read so far: spellings, bad keys reported */
	struct keyspace ks;
	/** the changes of a full reconciliation, committed at its end */
	struct steering_writer w;
	/** whether w was begun and not yet committed or aborted */
	int w_active;
	/** whether w builds a fresh table */
	int w_fresh;
	/** a full reconciliation is running */
	int in_full;
	/** the table holds what a snapshot or a handover gave, not yet
	 *  what Redis says */
	int from_snapshot;
	/** when the first change the snapshot file lacks was made
	 *  (monotonic ms), 0: none */
	uint64_t snapshot_dirty_since;
	/** when the snapshot file was last written (monotonic ms) */
	uint64_t snapshot_written;
	/** a snapshot write failed (logged once until one succeeds) */
	int snapshot_failing;
	/** when the stats file is due (monotonic ms) */
	uint64_t next_stats;
	/** when the oldest notice in pending reached the thread (monotonic
	 *  ns): the change-apply histogram counts from it */
	uint64_t pending_since_ns;
};

static void sync_write_stats(struct sync_run *run);

/** Nanoseconds on the monotonic clock. */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/** Milliseconds on the monotonic clock. */
static uint64_t
now_ms(void)
{
	return conn_now_ms();
}

/** Record that Redis answered: the heartbeat and the data's time. */
static void
sync_heard(void *arg)
{
	struct sync_run *run = arg;

	run->last_contact = now_ms();
	atomic_store(&run->sync->data_time, (int64_t)time(NULL));
}

/**
 * Once the data has been out of touch with Redis for longer than
 * max-stale, mark the table stale so nobody gets the CN pool (a
 * revocation made meanwhile could not have reached us).
 */
static void
sync_check_stale(struct sync_run *run)
{
	uint32_t max_stale = run->sync->conf->max_stale;

	if(max_stale == 0 || atomic_load(&run->sync->stats->stale))
		return;
	if(now_ms() - run->last_contact < (uint64_t)max_stale * 1000)
		return;
	atomic_store(&run->sync->stats->stale, 1);
	cnroute_log(CNROUTE_LOG_WARNING, "no answer from Redis for %u s "
		"(max-stale): the table is stale, mainland clients get the "
		"offshore pool until Redis is back", (unsigned)max_stale);
}

/**
 * What the thread does whatever else it is doing, at least every 250 ms,
 * also while it waits for a reply or a connection: notice staleness, and
 * keep the stats file telling the state of things.
 */
static void
sync_tick(void *arg)
{
	struct sync_run *run = arg;
	uint64_t now = now_ms();

	sync_check_stale(run);
	if(now >= run->next_stats) {
		sync_write_stats(run);
		run->next_stats = now + SYNC_STATS_INTERVAL_MS;
	}
}

/**
 * How long the heartbeat lets pass without a reply before it PINGs: a
 * second, or a third of max-stale when that is shorter, so a Redis that
 * is merely quiet is never taken for a stale one.
 */
static uint64_t
sync_heartbeat_ms(const struct sync_run *run)
{
	uint64_t ms = SYNC_HEARTBEAT_MS;
	uint32_t max_stale = run->sync->conf->max_stale;

	if(max_stale > 0 && (uint64_t)max_stale * 1000 / 3 < ms)
		ms = (uint64_t)max_stale * 1000 / 3;
	return ms < 100 ? 100 : ms;
}

/** The deadline of a reply expected now. */
static uint64_t
reply_deadline(void)
{
	return now_ms() + SYNC_REPLY_TIMEOUT_MS;
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

/** 64-bit FNV-1a of a key. */
static uint64_t
key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for(i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/** The slot of a key in the set, or the empty slot where it would go. */
static size_t
key_set_slot(const struct key_set *s, const char *key, size_t len)
{
	size_t i = (size_t)key_hash(key, len) & s->mask;

	while(s->keys[i] != NULL && (s->lens[i] != len ||
		memcmp(s->keys[i], key, len) != 0))
		i = (i + 1) & s->mask;
	return i;
}

/** Whether a key is in the set. */
static int
key_set_has(const struct key_set *s, const char *key, size_t len)
{
	return s->count > 0 && s->keys[key_set_slot(s, key, len)] != NULL;
}

/** Empty the set (its memory is freed). */
static void
key_set_clear(struct key_set *s)
{
	size_t i;

	for(i = 0; s->keys && i <= s->mask; i++)
		free(s->keys[i]);
	free(s->keys);
	free(s->lens);
	memset(s, 0, sizeof(*s));
}

/** Add a key. @return 0 or -1 (out of memory). */
static int
key_set_add(struct key_set *s, const char *key, size_t len)
{
	size_t i;

	if(s->keys == NULL || (s->count + 1) * 2 > s->mask + 1) {
		struct key_set bigger;
		size_t cap = s->keys ? (s->mask + 1) * 2 : 64;
		memset(&bigger, 0, sizeof(bigger));
		bigger.keys = calloc(cap, sizeof(*bigger.keys));
		bigger.lens = calloc(cap, sizeof(*bigger.lens));
		if(!bigger.keys || !bigger.lens) {
			free(bigger.keys);
			free(bigger.lens);
			return -1;
		}
		bigger.mask = cap - 1;
		for(i = 0; s->keys && i <= s->mask; i++) {
			size_t j;
			if(s->keys[i] == NULL)
				continue;
			j = key_set_slot(&bigger, s->keys[i], s->lens[i]);
			bigger.keys[j] = s->keys[i];
			bigger.lens[j] = s->lens[i];
			bigger.count++;
		}
		free(s->keys);
		free(s->lens);
		*s = bigger;
	}
	i = key_set_slot(s, key, len);
	if(s->keys[i] != NULL)
		return 0;
	s->keys[i] = malloc(len ? len : 1);
	if(s->keys[i] == NULL)
		return -1;
	memcpy(s->keys[i], key, len);
	s->lens[i] = len;
	s->count++;
	return 0;
}

/** The address of the server tried now. */
static struct redis_addr *
sync_addr(struct sync_run *run)
{
	return &run->sync->addrs[run->current];
}

/** Close every connection. */
static void
sync_disconnect(struct sync_run *run)
{
	if(run->cmd)
		redisFree(run->cmd);
	if(run->sub)
		redisFree(run->sub);
	if(run->fetch)
		redisFree(run->fetch);
	run->cmd = run->sub = run->fetch = NULL;
	run->ping_sent = run->sub_ping_sent = 0;
	atomic_store(&run->sync->stats->redis_connected, 0);
}

/**
 * The fallback: keyspace notifications for hash and generic events (K
 * plus A). notify-keyspace-events is a server-wide setting that belongs
 * to the server's owners, so it is only changed when redis-notify-config
 * says so (the flags already set are kept); otherwise it is read, and a
 * setting without them is said in the log (once while the fallback
 * lasts, not at every reconnection). A refusal (CONFIG
 * renamed away, a managed Redis) is not fatal: changes then arrive with
 * the periodic reconciliation.
 * @return CONN_OK (whatever Redis said of the setting), CONN_ERROR (no
 *	answer: the connection is lost, err set) or CONN_STOP.
 */
static enum conn_status
sync_enable_notifications(struct sync_run *run, char *err, size_t err_size)
{
	const struct cnroute_conf *conf = run->sync->conf;
	char flags[64];
	redisReply *reply;
	enum conn_status st;
	size_t n;
	int need_k, need_a;

	st = conn_command(&run->cx, run->cmd, reply_deadline(), &reply, err,
		err_size, "CONFIG GET notify-keyspace-events");
	/* no answer is a connection that failed, not a CONFIG refused */
	if(st == CONN_STOP || st == CONN_ERROR)
		return st;
	if(st != CONN_OK || reply->type != REDIS_REPLY_ARRAY ||
		reply->elements != 2 || reply->element[1]->type !=
		REDIS_REPLY_STRING) {
		if(st == CONN_OK)
			freeReplyObject(reply);
		if(!run->fallback_logged)
			cnroute_log(CNROUTE_LOG_WARNING, "cannot read Redis "
				"notify-keyspace-events (%s): unless it holds K and A, "
				"changes take effect at the next reconciliation (every "
				"%u s)", st == CONN_OK ? "unexpected reply" : err,
				(unsigned)conf->resync_interval);
		return CONN_OK;
	}
	n = reply->element[1]->len < sizeof(flags) - 3 ?
		reply->element[1]->len : sizeof(flags) - 3;
	memcpy(flags, reply->element[1]->str, n);
	flags[n] = 0;
	freeReplyObject(reply);
	need_k = strchr(flags, 'K') == NULL;
	need_a = strchr(flags, 'A') == NULL;
	if(!need_k && !need_a)
		return CONN_OK;
	if(!conf->redis_notify_config) {
		if(!run->fallback_logged)
			cnroute_log(CNROUTE_LOG_WARNING, "Redis at %s has neither "
				"client tracking nor keyspace notifications "
				"(notify-keyspace-events '%s', K and A needed; "
				"redis-notify-config: yes lets the module set it): "
				"changes take effect at the next reconciliation (every "
				"%u s)", sync_addr(run)->where, flags,
				(unsigned)conf->resync_interval);
		return CONN_OK;
	}
	if(need_k)
		flags[n++] = 'K';
	if(need_a)
		flags[n++] = 'A';
	flags[n] = 0;
	st = conn_command(&run->cx, run->cmd, reply_deadline(), &reply, err,
		err_size, "CONFIG SET notify-keyspace-events %s", flags);
	if(st == CONN_STOP || st == CONN_ERROR)
		return st;
	if(st != CONN_OK) {
		if(!run->fallback_logged)
			cnroute_log(CNROUTE_LOG_WARNING, "cannot enable Redis keyspace "
				"notifications (%s): changes will take effect at the "
				"next reconciliation (every %u s)", err,
				(unsigned)conf->resync_interval);
		return CONN_OK;
	}
	freeReplyObject(reply);
	cnroute_log(CNROUTE_LOG_INFO, "enabled Redis keyspace notifications "
		"(notify-keyspace-events %s)", flags);
	return CONN_OK;
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
 * Subscribe "sub" to a channel or a pattern (cmd "SUBSCRIBE %s" or
 * "PSUBSCRIBE %s") and wait for Redis to confirm.
 * @return CONN_OK, CONN_ERROR with err set, or CONN_STOP.
 */
static enum conn_status
sync_subscribe_channel(struct sync_run *run, const char *cmd,
	const char *channel, char *err, size_t err_size)
{
	void *r = NULL;
	redisReply *reply;
	enum conn_status st;

	if(redisAppendCommand(run->sub, cmd, channel) != REDIS_OK) {
		snprintf(err, err_size, "%s", run->sub->errstr);
		return CONN_ERROR;
	}
	st = conn_reply(&run->cx, run->sub, reply_deadline(), &r, err,
		err_size);
	if(st != CONN_OK)
		return st;
	reply = r;
	if(reply->type != REDIS_REPLY_ARRAY) {
		snprintf(err, err_size, "%.*s %s: %s", (int)strcspn(cmd, " "),
			cmd, channel, reply->type == REDIS_REPLY_ERROR ?
			reply->str : "unexpected reply");
		freeReplyObject(reply);
		return CONN_ERROR;
	}
	freeReplyObject(reply);
	return CONN_OK;
}

/**
 * Look the current server's host name up in the background
 * (getaddrinfo_a): the thread never blocks on a lookup, so it stops at
 * once whatever the resolver does. Called at each connection attempt
 * until the address is known.
 * @return 1 when the address is known, 0 while the lookup runs or failed
 *	(err set then, and a new one starts next time).
 */
static int
sync_lookup(struct sync_run *run, char *err, size_t err_size)
{
	const struct conf_server *server =
		&run->sync->conf->redis_servers[run->current];
	struct lookup *l = run->lookups[run->current];
	struct gaicb *list[1];
	int rc;

	if(sync_addr(run)->known)
		return 1;
	if(l == NULL) {
		l = run->lookups[run->current] = calloc(1, sizeof(*l));
		if(l == NULL) {
			snprintf(err, err_size, "out of memory");
			return 0;
		}
	}
	if(!l->started) {
		memset(&l->req, 0, sizeof(l->req));
		l->hints.ai_family = AF_UNSPEC;
		l->hints.ai_socktype = SOCK_STREAM;
		snprintf(l->service, sizeof(l->service), "%d", server->port);
		l->req.ar_name = server->host;
		l->req.ar_service = l->service;
		l->req.ar_request = &l->hints;
		list[0] = &l->req;
		if(getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
			snprintf(err, err_size, "cannot resolve %s",
				server->host);
			return 0;
		}
		l->started = 1;
	}
	rc = gai_error(&l->req);
	if(rc == EAI_INPROGRESS) {
		snprintf(err, err_size, "resolving %s", server->host);
		return 0;
	}
	l->started = 0;
	if(rc != 0 || l->req.ar_result == NULL) {
		snprintf(err, err_size, "cannot resolve %s: %s", server->host,
			rc ? gai_strerror(rc) : "no address");
		if(l->req.ar_result)
			freeaddrinfo(l->req.ar_result);
		return 0;
	}
	/* the same conversion redis_addr_resolve makes */
	if(redis_addr_from_ai(server, l->req.ar_result, sync_addr(run)) !=
		0) {
		freeaddrinfo(l->req.ar_result);
		snprintf(err, err_size, "cannot resolve %s: unusable address",
			server->host);
		return 0;
	}
	freeaddrinfo(l->req.ar_result);
	return 1;
}

/**
 * Ask Redis to name the keys that change under the prefix, on "sub":
 * server-assisted client-side caching in broadcast mode where the
 * server has it (CLIENT TRACKING on "fetch", redirected to "sub", which
 * is subscribed to __redis__:invalidate first, or the first
 * invalidations would be lost). It needs no CONFIG and no admin rights,
 * only +client|id +client|tracking +subscribe and the channel, and a
 * replica sends it for the writes it receives by replication. Where
 * CLIENT TRACKING is refused (Redis < 6, a proxy, an ACL without it),
 * keyspace notifications: the server's notify-keyspace-events is set
 * only when redis-notify-config says so.
 * @return CONN_OK, CONN_ERROR with err set, or CONN_STOP.
 */
static enum conn_status
sync_subscribe(struct sync_run *run, char *err, size_t err_size)
{
	const struct cnroute_conf *conf = run->sync->conf;
	redisReply *reply;
	enum conn_status st;
	long long sub_id;
	int mode;

	st = conn_command(&run->cx, run->sub, reply_deadline(), &reply, err,
		err_size, "CLIENT ID");
	if(st == CONN_OK && reply->type == REDIS_REPLY_INTEGER) {
		sub_id = reply->integer;
		freeReplyObject(reply);
		st = sync_subscribe_channel(run, "SUBSCRIBE %s",
			"__redis__:invalidate", err, err_size);
		if(st != CONN_OK)
			return st;
		st = conn_command(&run->cx, run->fetch, reply_deadline(),
			&reply, err, err_size, "CLIENT TRACKING on REDIRECT "
			"%lld BCAST PREFIX %s", sub_id, conf->key_prefix);
	} else if(st == CONN_OK) {
		freeReplyObject(reply);
		st = CONN_REFUSED;
		snprintf(err, err_size, "CLIENT ID: unexpected reply");
	}
	if(st == CONN_STOP || st == CONN_ERROR)
		return st;
	if(st == CONN_OK) {
		freeReplyObject(reply);
		mode = REDIS_CHANGES_TRACKING;
		run->fallback_logged = 0;
	} else {
		char pattern[600];
		if(!run->fallback_logged)
			cnroute_log(CNROUTE_LOG_WARNING, "Redis at %s refused "
					"client tracking (%s): falling back to keyspace "
					"notifications", sync_addr(run)->where, err);
		st = sync_enable_notifications(run, err, err_size);
		run->fallback_logged = 1;
		if(st != CONN_OK)
			return st;
		prefix_pattern(run->channel_prefix, conf->key_prefix,
			pattern, sizeof(pattern));
		st = sync_subscribe_channel(run, "PSUBSCRIBE %s", pattern, err,
			err_size);
		if(st != CONN_OK)
			return st;
		mode = REDIS_CHANGES_KEYSPACE;
	}
	if(atomic_exchange(&run->sync->change_mode, mode) != mode)
		cnroute_log(CNROUTE_LOG_INFO, "changes under '%s' reach the "
			"module by %s", conf->key_prefix, mode ==
			REDIS_CHANGES_TRACKING ? "client tracking (BCAST)" :
			"keyspace notifications");
	return CONN_OK;
}

/**
 * Open the three connections and subscribe.
 * @return CONN_OK, CONN_ERROR with err set, or CONN_STOP.
 */
static enum conn_status
sync_connect(struct sync_run *run, char *err, size_t err_size)
{
	const struct cnroute_conf *conf = run->sync->conf;
	enum conn_status st;

	if(!sync_lookup(run, err, err_size))
		return CONN_ERROR;
	st = conn_open(&run->cx, sync_addr(run), conf, now_ms() +
		SYNC_CONNECT_TIMEOUT_MS, &run->cmd, err, err_size);
	if(st == CONN_OK)
		st = conn_open(&run->cx, sync_addr(run), conf, now_ms() +
			SYNC_CONNECT_TIMEOUT_MS, &run->sub, err, err_size);
	if(st == CONN_OK)
		st = conn_open(&run->cx, sync_addr(run), conf, now_ms() +
			SYNC_CONNECT_TIMEOUT_MS, &run->fetch, err, err_size);
	if(st == CONN_OK)
		st = sync_subscribe(run, err, err_size);
	if(st != CONN_OK)
		sync_disconnect(run);
	return st;
}

/** The keyspace's reports: one log line per change of a bad key, counted. */
static void
sync_report(void *ctx, const struct keyspace_report *report)
{
	struct sync_run *run = ctx;

	STATS_INC(run->sync->stats, records_skipped);
	cnroute_log(CNROUTE_LOG_WARNING, "%s", report->message);
}

/** Called by a commit with the names that gained a route. */
static void
sync_routes_added(void *ctx, const uint8_t *const *names,
	const size_t *lens, size_t count)
{
	struct sync_run *run = ctx;

	if(run->sync->routes_added != NULL)
		run->sync->routes_added(run->sync->routes_added_ctx, names,
			lens, count);
}

/** Note that the table has changes the snapshot file lacks. */
static void
sync_changed(struct sync_run *run)
{
	atomic_store(&run->sync->last_change, (int64_t)time(NULL));
	if(run->snapshot_dirty_since == 0)
		run->snapshot_dirty_since = now_ms();
	atomic_store(&run->sync->snapshot_dirty, 1);
}

/**
 * Commit a writer.
 * @return the number of changes, or -1 out of memory (the batch is lost;
 *	the next full reconciliation brings it again).
 */
static long
sync_commit(struct sync_run *run, struct steering_writer *w)
{
	long n = steering_writer_commit(w, sync_routes_added, run);

	if(n < 0)
		cnroute_log(CNROUTE_LOG_ERROR, "out of memory applying "
			"changes from Redis");
	else if(n > 0)
		sync_changed(run);
	return n;
}

/** Drop the reconciliation's batch (the connection failed half-way). */
static void
sync_full_abort(struct sync_run *run)
{
	if(run->w_active) {
		run->w_active = 0;
		steering_writer_abort(&run->w);
	}
	keyspace_full_abort(&run->ks, run->w_fresh);
	key_set_clear(&run->notified);
	run->in_full = 0;
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

/**
 * Queue an HGETALL for each key on a connection (sent with its next
 * flush).
 * @return 0 or -1 when the connection failed.
 */
static int
sync_append_hgetall(redisContext *c, char *const *keys, const size_t *lens,
	size_t count, char *err, size_t err_size)
{
	static const char hgetall[] = "HGETALL";
	size_t i;

	for(i = 0; i < count; i++) {
		/* argv, not a format string: at 10^6 keys the printf-style
		 * formatting was a sixth of this thread's time */
		const char *argv[2] = {hgetall, keys[i]};
		size_t argvlen[2] = {sizeof(hgetall) - 1, lens[i]};
		if(redisAppendCommandArgv(c, 2, argv, argvlen) != REDIS_OK) {
			snprintf(err, err_size, "%s", c->errstr);
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
 */
static enum conn_status
sync_send_batch(struct sync_run *run, const struct scan_batch *b,
	const char *cursor, const char *match, char *err, size_t err_size)
{
	if(strcmp(cursor, "0") != 0 && redisAppendCommand(run->cmd,
		"SCAN %s MATCH %s COUNT %d", cursor, match, SYNC_BATCH)
		!= REDIS_OK) {
		snprintf(err, err_size, "%s", run->cmd->errstr);
		return CONN_ERROR;
	}
	if(sync_append_hgetall(run->cmd, b->keys, b->lens, b->count, err,
		err_size) != 0)
		return CONN_ERROR;
	return conn_flush(&run->cx, run->cmd, reply_deadline(), err,
		err_size);
}

/** Read one reply of the command connection. */
static enum conn_status
sync_read_reply(struct sync_run *run, redisReply **reply, char *err,
	size_t err_size)
{
	void *r = NULL;
	enum conn_status st = conn_reply(&run->cx, run->cmd, reply_deadline(),
		&r, err, err_size);

	*reply = r;
	return st;
}

/**
 * Read the keys of the next batch (the reply to the SCAN sent last) and
 * send that batch, with the SCAN for the one after it in front.
 * @param cursor: out, the cursor to continue from ("0": the scan is over
 *	and no SCAN was sent).
 */
static enum conn_status
sync_next_batch(struct sync_run *run, struct scan_batch *b, char *cursor,
	size_t cursor_size, const char *match, char *err, size_t err_size)
{
	redisReply *r;
	enum conn_status st;

	reply_arena_use(run->cmd, &b->arena);
	if((st = sync_read_reply(run, &r, err, err_size)) != CONN_OK)
		return st;
	if(scan_batch_take(b, r, cursor, cursor_size, err, err_size) != 0)
		return CONN_ERROR;
	return sync_send_batch(run, b, cursor, match, err, err_size);
}

/** Read the HGETALL replies of a batch (not applied yet). */
static enum conn_status
sync_read_batch(struct sync_run *run, struct scan_batch *b, char *err,
	size_t err_size)
{
	reply_arena_use(run->cmd, &b->arena);
	while(b->read < b->count) {
		redisReply *r;
		enum conn_status st = sync_read_reply(run, &r, err, err_size);
		if(st != CONN_OK)
			return st;
		b->values[b->read++] = r;
	}
	return CONN_OK;
}

/**
 * Apply the replies of a batch to the reconciliation, then empty the
 * batch. A key read again because of a notification meanwhile is skipped:
 * its value from the notification is newer.
 */
static void
sync_apply_batch(struct sync_run *run, struct scan_batch *b)
{
	size_t i;

	for(i = 0; i < b->read; i++) {
		if(key_set_has(&run->notified, b->keys[i], b->lens[i]))
			continue;
		if(sync_apply_reply(&run->ks, &run->w, b->keys[i], b->lens[i],
			b->values[i]) != 0)
			cnroute_log(CNROUTE_LOG_ERROR, "out of memory applying "
				"a record from Redis");
	}
	scan_batch_clear(b);
}

/**
 * If reply is a tracking invalidation, ["message", "__redis__:invalidate",
 * [key, ...]], queue its keys; a nil list means every key may have
 * changed (FLUSHDB, FLUSHALL): reconcile in full.
 * @return 1 if it was one, 0 if not.
 */
static int
sync_take_invalidation(struct sync_run *run, const redisReply *reply)
{
	static const char channel[] = "__redis__:invalidate";
	const redisReply *keys;
	size_t i;

	if(reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
		reply->element[0]->type != REDIS_REPLY_STRING ||
		strcmp(reply->element[0]->str, "message") != 0 ||
		reply->element[1]->type != REDIS_REPLY_STRING ||
		reply->element[1]->len != sizeof(channel) - 1 ||
		memcmp(reply->element[1]->str, channel, sizeof(channel) - 1)
		!= 0)
		return 0;
	keys = reply->element[2];
	if(keys->type != REDIS_REPLY_ARRAY) {
		/* a nil: the whole keyspace was flushed */
		run->need_full = 1;
		return 1;
	}
	for(i = 0; i < keys->elements; i++) {
		if(keys->element[i]->type != REDIS_REPLY_STRING)
			continue;
		STATS_INC(run->sync->stats, notifications);
		if(pending_add(&run->pending, keys->element[i]->str,
			keys->element[i]->len) != 0)
			cnroute_log(CNROUTE_LOG_ERROR, "out of memory queueing "
				"a change");
	}
	return 1;
}

/**
 * Take every message already received on "sub" (no waiting): queue the
 * key of each notification; a PONG is the heartbeat's.
 * @param read_socket: read the socket first (it polled readable).
 * @return 0 or -1 when the connection failed.
 */
static int
sync_drain_notifications(struct sync_run *run, int read_socket, char *err,
	size_t err_size)
{
	void *r;

	if(read_socket && conn_read_ready(run->sub, err, err_size) != 0)
		return -1;
	for(;;) {
		redisReply *reply;
		int got = conn_take(run->sub, &r);
		if(got < 0) {
			snprintf(err, err_size, "%s", run->sub->errstr);
			return -1;
		}
		if(!got)
			return 0;
		sync_heard(run);
		reply = r;
		/* a change notice (tracking or keyspace) reached us: the
		 * change-apply histogram counts from the first one queued */
		if(run->pending.count == 0)
			run->pending_since_ns = now_ns();
		if(sync_take_invalidation(run, reply)) {
			freeReplyObject(reply);
			continue;
		}
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
		} else if(reply->type == REDIS_REPLY_ARRAY &&
			reply->elements >= 1 &&
			reply->element[0]->type == REDIS_REPLY_STRING &&
			strcmp(reply->element[0]->str, "pong") == 0) {
			run->sub_ping_sent = 0;
		}
		freeReplyObject(reply);
	}
}

/** Whether a connection has bytes to read right now. */
static int
conn_readable(redisContext *c)
{
	struct pollfd p;

	p.fd = c->fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) > 0;
}

/**
 * Fetch the keys named by notifications with pipelined HGETALLs on the
 * fetch connection and apply each to w, and (while a full reconciliation
 * runs) to the reconciliation's batch as well.
 */
static enum conn_status
sync_fetch(struct sync_run *run, struct steering_writer *w, char **keys,
	const size_t *lens, size_t count, char *err, size_t err_size)
{
	size_t i;

	/* the heartbeat's PONG, if one is on its way, comes first */
	if(run->ping_sent) {
		void *pong = NULL;
		enum conn_status st = conn_reply(&run->cx, run->fetch,
			reply_deadline(), &pong, err, err_size);
		if(st != CONN_OK)
			return st;
		freeReplyObject(pong);
		run->ping_sent = 0;
	}
	if(sync_append_hgetall(run->fetch, keys, lens, count, err,
		err_size) != 0)
		return CONN_ERROR;
	for(i = 0; i < count; i++) {
		void *r = NULL;
		enum conn_status st = conn_reply(&run->cx, run->fetch,
			reply_deadline(), &r, err, err_size);
		if(st != CONN_OK)
			return st;
		if(sync_apply_reply(&run->ks, w, keys[i], lens[i], r) != 0 ||
			(run->in_full && (sync_apply_reply(&run->ks, &run->w,
			keys[i], lens[i], r) != 0 || key_set_add(&run->notified,
			keys[i], lens[i]) != 0)))
			cnroute_log(CNROUTE_LOG_ERROR, "out of memory applying "
				"a notified key");
		freeReplyObject(r);
	}
	return CONN_OK;
}

/**
 * Fetch again every key named by a notification and make all of them
 * visible at once: keys written together (a MULTI, an import) reach the
 * table together, so no state in between is ever answered from. During
 * a full reconciliation too, so a change never waits for its end.
 */
static enum conn_status
sync_apply_pending(struct sync_run *run, char *err, size_t err_size)
{
	struct steering_writer nw;
	size_t done = 0;
	long changed;

	if(run->pending.count == 0)
		return CONN_OK;
	if(steering_writer_begin(&nw, run->sync->table, 0,
		run->ks.generation) != 0) {
		snprintf(err, err_size, "out of memory");
		return CONN_ERROR;
	}
	while(done < run->pending.count) {
		size_t n = run->pending.count - done;
		enum conn_status st;
		if(n > SYNC_BATCH)
			n = SYNC_BATCH;
		st = sync_fetch(run, &nw, run->pending.keys + done,
			run->pending.lens + done, n, err, err_size);
		if(st != CONN_OK) {
			steering_writer_abort(&nw);
			return st;
		}
		done += n;
	}
	changed = sync_commit(run, &nw);
	/* from here on the table serves every key of the batch */
	if(changed > 0)
		atomic_fetch_add(&run->sync->stats->changes, (uint64_t)changed);
	stats_observe_apply(run->sync->stats, (double)(now_ns() -
		run->pending_since_ns) / 1e9, run->pending.count);
	pending_clear(&run->pending);
	return CONN_OK;
}

/** Notifications that arrived while a reconciliation runs: in effect now. */
static enum conn_status
sync_notified_during_full(struct sync_run *run, char *err, size_t err_size)
{
	if(!conn_readable(run->sub))
		return CONN_OK;
	if(sync_drain_notifications(run, 1, err, err_size) != 0)
		return CONN_ERROR;
	return sync_apply_pending(run, err, err_size);
}

/**
 * Read every key under the prefix into the reconciliation's batch,
 * pipelined (see the comment inside).
 */
static enum conn_status
sync_scan_all(struct sync_run *run, char *err, size_t err_size)
{
	char cursor[32] = "0", match[600];
	struct scan_batch *batch = calloc(SYNC_IN_FLIGHT, sizeof(*batch));
	redisReplyObjectFunctions *own_functions;
	size_t oldest = 0, known = 0, i;
	int scan_pending = 1;
	enum conn_status st = CONN_OK;

	prefix_pattern("", run->sync->conf->key_prefix, match, sizeof(match));
	if(!batch) {
		snprintf(err, err_size, "out of memory");
		return CONN_ERROR;
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
		snprintf(err, err_size, "%s", run->cmd->errstr);
		st = CONN_ERROR;
		goto out;
	}
	/* Fill the pipeline: the first batches, up to all but one slot. */
	while(scan_pending && known < SYNC_IN_FLIGHT - 1) {
		st = sync_next_batch(run, &batch[known % SYNC_IN_FLIGHT],
			cursor, sizeof(cursor), match, err, err_size);
		if(st != CONN_OK)
			goto out;
		known++;
		scan_pending = strcmp(cursor, "0") != 0;
	}
	while(oldest < known) {
		st = sync_read_batch(run, &batch[oldest % SYNC_IN_FLIGHT], err,
			err_size);
		if(st != CONN_OK)
			goto out;
		if(scan_pending) {
			/* next in the stream: the keys of the next batch */
			st = sync_next_batch(run, &batch[known % SYNC_IN_FLIGHT],
				cursor, sizeof(cursor), match, err, err_size);
			if(st != CONN_OK)
				goto out;
			known++;
			scan_pending = strcmp(cursor, "0") != 0;
		}
		sync_apply_batch(run, &batch[oldest % SYNC_IN_FLIGHT]);
		oldest++;
		st = sync_notified_during_full(run, err, err_size);
		if(st != CONN_OK)
			goto out;
	}
	reply_arena_detach(run->cmd, own_functions);
out:
	/* After a failure the reader keeps the arena functions: it may hold
	 * a reply half built in an arena, which only their no-op free may be
	 * given. The caller drops the connection. */
	for(i = 0; i < SYNC_IN_FLIGHT; i++)
		reply_arena_free(&batch[i].arena);
	free(batch);
	return st;
}

/**
 * Write the snapshot file, if one is configured (the thread is the
 * table's only writer: it reads the table without the lock).
 */
static void
sync_write_snapshot(struct sync_run *run)
{
	const struct cnroute_conf *conf = run->sync->conf;
	char err[SNAPSHOT_ERR_MAX];
	uint64_t start = now_ms();

	if(!conf->snapshot_file || !steering_table_is_loaded(run->sync->table))
		return;
	run->snapshot_dirty_since = 0;
	atomic_store(&run->sync->snapshot_dirty, 0);
	if(snapshot_save(conf->snapshot_file, run->sync->table,
		conf->key_prefix, conf->redis_db,
		atomic_load(&run->sync->data_time), err) != 0) {
		atomic_store(&run->sync->snapshot_dirty, 1);
		if(!run->snapshot_failing)
			cnroute_log(CNROUTE_LOG_ERROR, "cannot write "
				"snapshot-file %s: %s", conf->snapshot_file, err);
		run->snapshot_failing = 1;
		run->snapshot_written = now_ms();
		return;
	}
	if(run->snapshot_failing)
		cnroute_log(CNROUTE_LOG_WARNING, "snapshot-file %s written "
			"again", conf->snapshot_file);
	run->snapshot_failing = 0;
	run->snapshot_written = now_ms();
	atomic_store(&run->sync->stats->snapshot_time,
		atomic_load(&run->sync->data_time));
	cnroute_log(CNROUTE_LOG_DEBUG, "snapshot-file %s written in %llu ms",
		conf->snapshot_file, (unsigned long long)(now_ms() - start));
}

/** Write the snapshot when it is due (changes, or time to refresh). */
static void
sync_snapshot_if_due(struct sync_run *run)
{
	uint64_t now = now_ms();

	if(!run->sync->conf->snapshot_file)
		return;
	/* Changes are written at once, at most once per
	 * SYNC_SNAPSHOT_DELAY_MS (a burst of changes, one write); a refresh
	 * records the time of the last contact: only worth it while there
	 * is contact. */
	if((run->snapshot_dirty_since != 0 && now - run->snapshot_written >=
		SYNC_SNAPSHOT_DELAY_MS) || (run->cmd != NULL &&
		now - run->snapshot_written >= SYNC_SNAPSHOT_REFRESH_MS))
		sync_write_snapshot(run);
}

/**
 * Full reconciliation: every key under the prefix is read, the entries
 * whose keys are gone are removed, and all of it becomes visible to
 * queries at once, in one commit. A table that is empty, or holds what a
 * snapshot gave, is replaced by a fresh one; otherwise only what differs
 * changes. Keys named by notifications meanwhile are read again at once
 * on the fetch connection and committed on their own, so a revocation
 * never waits for a reconciliation to end.
 */
static enum conn_status
sync_full(struct sync_run *run, char *err, size_t err_size)
{
	uint64_t start = now_ms();
	int64_t read_time = (int64_t)time(NULL);
	size_t filings, routes;
	unsigned long long skipped_before = atomic_load(
		&run->sync->stats->records_skipped);
	int fresh, first = !steering_table_is_loaded(run->sync->table) ||
		run->from_snapshot;
	long removed = 0, changed;
	uint32_t seen;
	enum conn_status st;

	steering_table_counts(run->sync->table, &filings, &routes);
	fresh = filings + routes == 0 || run->from_snapshot;
	seen = keyspace_full_begin(&run->ks, fresh);
	if(steering_writer_begin(&run->w, run->sync->table, fresh, seen) != 0) {
		keyspace_full_abort(&run->ks, fresh);
		snprintf(err, err_size, "out of memory");
		return CONN_ERROR;
	}
	run->w_active = 1;
	run->w_fresh = fresh;
	run->in_full = 1;
	key_set_clear(&run->notified);
	st = sync_scan_all(run, err, err_size);
	if(st != CONN_OK) {
		sync_full_abort(run);
		return st;
	}
	if(keyspace_full_end(&run->ks, &run->w) != 0 ||
		(removed = steering_writer_sweep(&run->w)) < 0) {
		sync_full_abort(run);
		snprintf(err, err_size, "out of memory");
		return CONN_ERROR;
	}
	run->w_active = 0;
	run->in_full = 0;
	key_set_clear(&run->notified);
	changed = sync_commit(run, &run->w);
	steering_table_set_loaded(run->sync->table);
	run->from_snapshot = 0;
	atomic_store(&run->sync->data_time, read_time);
	steering_table_counts(run->sync->table, &filings, &routes);
	STATS_INC(run->sync->stats, full_syncs);
	atomic_store(&run->sync->stats->last_full_sync, (long long)time(NULL));
	if(first && run->sync->routes_added)
		run->sync->routes_added(run->sync->routes_added_ctx, NULL, NULL,
			0);
	cnroute_log(CNROUTE_LOG_INFO, "reconciled with Redis at %s: %zu "
		"filings, %zu routes, %ld changes (%ld removals), %llu records "
		"reported, in %llu ms", sync_addr(run)->where, filings, routes,
		changed, removed, (unsigned long long)atomic_load(
		&run->sync->stats->records_skipped) - skipped_before,
		(unsigned long long)(now_ms() - start));
	sync_write_snapshot(run);
	return sync_apply_pending(run, err, err_size);
}

/** Write the metrics file and the stats file, those configured. */
static void
sync_write_stats(struct sync_run *run)
{
	size_t filings, routes;
	struct stats_totals t;
	const char *path = run->sync->conf->stats_file;
	const char *metrics = run->sync->conf->metrics_file;
	static int warned, metrics_warned;
	if(!path && !metrics)
		return;
	steering_table_counts(run->sync->table, &filings, &routes);
	stats_sum(run->sync->stats, filings, routes, &t);
	if(metrics && stats_write_metrics(run->sync->stats, &t, metrics) != 0) {
		if(!metrics_warned)
			cnroute_log(CNROUTE_LOG_WARNING, "cannot write "
				"metrics-file %s: %s", metrics, strerror(errno));
		metrics_warned = 1;
	}
	if(path && stats_write(&t, path) != 0) {
		if(!warned)
			cnroute_log(CNROUTE_LOG_WARNING, "cannot write "
				"stats-file %s: %s", path, strerror(errno));
		warned = 1;
	}
}

/**
 * Note a lost or refused connection, and move on to the next server of
 * redis-server: one log line per state change.
 */
static void
sync_lost(struct sync_run *run, const char *err)
{
	const struct cnroute_conf *conf = run->sync->conf;
	size_t filings, routes;
	char where[300];

	sync_disconnect(run);
	pending_clear(&run->pending);
	STATS_INC(run->sync->stats, redis_errors);
	atomic_store(&run->sync->server, -1);
	if(run->state != SYNC_DISCONNECTED) {
		conf_server_format(&conf->redis_servers[run->current], where,
			sizeof(where));
		steering_table_counts(run->sync->table, &filings, &routes);
		cnroute_log(CNROUTE_LOG_WARNING, "Redis at %s unreachable: "
			"%s; answering from the table held (%zu filings, %zu "
			"routes), %s", where, err, filings, routes,
			conf->redis_server_count > 1 ? "trying the next server" :
			"retrying");
		run->state = SYNC_DISCONNECTED;
	}
	run->failed_in_row++;
	run->current = (run->current + 1) % conf->redis_server_count;
}

/**
 * The heartbeat: a PING on fetch and on sub when nothing was heard for a
 * while (sync_heartbeat_ms), and a connection whose PING went unanswered
 * too long is lost. Not on cmd: its reader must start each
 * reconciliation clean (the reply arena is attached to it then).
 * @return 0, or -1 when a connection is lost (err set).
 */
static int
sync_heartbeat(struct sync_run *run, char *err, size_t err_size)
{
	uint64_t now = now_ms();
	enum conn_status st;

	if((run->ping_sent && now - run->ping_sent > SYNC_REPLY_TIMEOUT_MS) ||
		(run->sub_ping_sent && now - run->sub_ping_sent >
		SYNC_REPLY_TIMEOUT_MS)) {
		snprintf(err, err_size, "no answer to PING for %d s",
			SYNC_REPLY_TIMEOUT_MS / 1000);
		return -1;
	}
	if(now - run->last_contact < sync_heartbeat_ms(run))
		return 0;
	if(!run->ping_sent) {
		if(redisAppendCommand(run->fetch, "PING") != REDIS_OK)
			goto lost;
		st = conn_flush(&run->cx, run->fetch, reply_deadline(), err,
			err_size);
		if(st != CONN_OK)
			return -1;
		run->ping_sent = now;
	}
	if(!run->sub_ping_sent) {
		if(redisAppendCommand(run->sub, "PING") != REDIS_OK)
			goto lost;
		st = conn_flush(&run->cx, run->sub, reply_deadline(), err,
			err_size);
		if(st != CONN_OK)
			return -1;
		run->sub_ping_sent = now;
	}
	return 0;
lost:
	snprintf(err, err_size, "connection lost");
	return -1;
}

/**
 * Read the replies waiting on fetch (the heartbeat's PONGs).
 * @return 0 or -1 when the connection is lost (err set).
 */
static int
sync_read_fetch(struct sync_run *run, char *err, size_t err_size)
{
	void *r;
	int got;

	if(conn_read_ready(run->fetch, err, err_size) != 0)
		return -1;
	while((got = conn_take(run->fetch, &r)) > 0) {
		sync_heard(run);
		run->ping_sent = 0;
		freeReplyObject(r);
	}
	if(got < 0) {
		snprintf(err, err_size, "%s", run->fetch->errstr);
		return -1;
	}
	return 0;
}

/**
 * Wait, connected, for the wake pipe, a connection, or a timeout.
 * @return 1 when asked to stop, 0 otherwise; the flags tell who spoke.
 */
static int
sync_wait_connected(struct sync_run *run, int timeout_ms, int *sub_ready,
	int *fetch_ready)
{
	struct pollfd p[3];

	p[0].fd = run->sync->wake_pipe[0];
	p[1].fd = run->sub->fd;
	p[2].fd = run->fetch->fd;
	p[0].events = p[1].events = p[2].events = POLLIN;
	p[0].revents = p[1].revents = p[2].revents = 0;
	*sub_ready = *fetch_ready = 0;
	if(poll(p, 3, timeout_ms) < 0)
		return 0;
	if(p[0].revents)
		return 1;
	*sub_ready = p[1].revents != 0;
	*fetch_ready = p[2].revents != 0;
	return 0;
}

/** Wait for the wake pipe or a timeout. @return 1 when asked to stop. */
static int
sync_wait_idle(struct sync_run *run, int timeout_ms)
{
	struct pollfd p;

	p.fd = run->sync->wake_pipe[0];
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, timeout_ms) > 0;
}

/** Set up the thread's state. @return 0 or -1. */
static int
sync_run_init(struct sync_run *run, struct redis_sync *sync)
{
	int64_t age;

	memset(run, 0, sizeof(*run));
	run->sync = sync;
	run->cx.wake_fd = sync->wake_pipe[0];
	run->cx.heard = sync_heard;
	run->cx.heard_arg = run;
	run->cx.tick = sync_tick;
	run->cx.tick_arg = run;
	run->from_snapshot = sync->from_snapshot;
	run->snapshot_written = now_ms();
	run->lookups = calloc((size_t)sync->conf->redis_server_count,
		sizeof(*run->lookups));
	if(run->lookups == NULL)
		return -1;
	/* Staleness counts from the time of the data: a snapshot's age
	 * counts already. */
	age = (int64_t)time(NULL) - atomic_load(&sync->data_time);
	run->last_contact = now_ms();
	if(age > 0 && (uint64_t)age * 1000 < run->last_contact)
		run->last_contact -= (uint64_t)age * 1000;
	else if(age > 0)
		run->last_contact = 0;
	run->channel_prefix_len = (size_t)snprintf(run->channel_prefix,
		sizeof(run->channel_prefix), "__keyspace@%d__:",
		sync->conf->redis_db);
	return keyspace_init(&run->ks, sync->conf->key_prefix, sync_report,
		run);
}

/** Free the thread's state. */
static void
sync_run_free(struct sync_run *run)
{
	int i;

	sync_full_abort(run);
	sync_disconnect(run);
	pending_clear(&run->pending);
	free(run->pending.keys);
	free(run->pending.lens);
	keyspace_free(&run->ks);
	for(i = 0; run->lookups && i < run->sync->conf->redis_server_count;
		i++) {
		struct lookup *l = run->lookups[i];
		if(l == NULL)
			continue;
		/* a lookup still running owns its request: leave it */
		if(l->started && gai_cancel(&l->req) != EAI_CANCELED &&
			gai_error(&l->req) == EAI_INPROGRESS)
			continue;
		if(l->started && l->req.ar_result)
			freeaddrinfo(l->req.ar_result);
		free(l);
	}
	free(run->lookups);
	run->lookups = NULL;
}

/**
 * Connect and reconcile.
 * @return CONN_OK, CONN_ERROR (err set), or CONN_STOP.
 */
static enum conn_status
sync_connect_and_load(struct sync_run *run, char *err, size_t err_size)
{
	enum conn_status st = sync_connect(run, err, err_size);

	if(st != CONN_OK)
		return st;
	st = sync_full(run, err, err_size);
	if(st != CONN_OK)
		sync_disconnect(run);
	return st;
}

/** A full reconciliation done: clear a stale table. */
static void
sync_current_again(struct sync_run *run)
{
	if(atomic_exchange(&run->sync->stats->stale, 0))
		cnroute_log(CNROUTE_LOG_WARNING, "the table is current again: "
			"mainland clients get the CN pool where filed");
}

/** The thread's body. */
static void *
sync_main(void *arg)
{
	struct sync_run run;
	struct redis_sync *sync = arg;
	char err[512];
	int backoff = SYNC_BACKOFF_MIN_MS, sub_ready, fetch_ready;
	uint64_t next_full = 0, next_connect = 0;
	sigset_t all_signals;
	enum conn_status st;

	/* signals are Unbound's business: let its own threads take them */
	sigfillset(&all_signals);
	pthread_sigmask(SIG_BLOCK, &all_signals, NULL);
	if(sync_run_init(&run, sync) != 0) {
		/* the table stays as it is; if it was not loaded, nobody
		 * gets the CN pool */
		cnroute_log(CNROUTE_LOG_ERROR, "out of memory starting the "
			"Redis sync thread");
		keyspace_free(&run.ks);
		return NULL;
	}

	for(;;) {
		uint64_t now = now_ms();
		int timeout;
		sync_tick(&run);
		sync_snapshot_if_due(&run);
		if(!run.cmd && now < next_connect) {
			/* waiting to retry; tick meanwhile, so the stats file
			 * keeps telling the state of things */
			timeout = (int)(next_connect - now);
			if(timeout > 250)
				timeout = 250;
			if(sync_wait_idle(&run, timeout))
				break;
			continue;
		}
		if(!run.cmd) {
			st = sync_connect_and_load(&run, err, sizeof(err));
			if(st == CONN_STOP)
				break;
			if(st != CONN_OK) {
				sync_lost(&run, err);
				/* the next server at once; once every one
				 * failed, wait longer each round */
				if(run.failed_in_row <
					sync->conf->redis_server_count)
					continue;
				run.failed_in_row = 0;
				next_connect = now_ms() + (uint64_t)backoff;
				backoff = backoff * 2 > SYNC_BACKOFF_MAX_MS ?
					SYNC_BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			if(run.state == SYNC_DISCONNECTED)
				cnroute_log(CNROUTE_LOG_WARNING, "Redis at %s "
					"reachable; table resynchronised",
					sync_addr(&run)->where);
			run.state = SYNC_CONNECTED;
			run.failed_in_row = 0;
			atomic_store(&sync->server, run.current);
			sync_current_again(&run);
			atomic_store(&sync->stats->redis_connected, 1);
			backoff = SYNC_BACKOFF_MIN_MS;
			next_full = now_ms() + (uint64_t)sync->conf->resync_interval
				* 1000;
			continue;
		}
		/* Stale while connected (Redis hung, then answered again):
		 * reconcile before trusting the table again. */
		if(atomic_load(&sync->stats->stale) &&
			now_ms() - run.last_contact < sync_heartbeat_ms(&run))
			next_full = 0;
		if(run.need_full) {
			run.need_full = 0;
			next_full = 0;
		}
		now = now_ms();
		timeout = next_full > now ? (int)(next_full - now) : 0;
		if(timeout > 250)
			timeout = 250;
		if(sync_wait_connected(&run, timeout, &sub_ready, &fetch_ready))
			break;
		if((fetch_ready && sync_read_fetch(&run, err,
			sizeof(err)) != 0) || sync_heartbeat(&run, err,
			sizeof(err)) != 0) {
			sync_lost(&run, err);
			continue;
		}
		if(sub_ready) {
			if(sync_drain_notifications(&run, 1, err,
				sizeof(err)) != 0) {
				sync_lost(&run, err);
				continue;
			}
			st = sync_apply_pending(&run, err, sizeof(err));
			if(st == CONN_STOP)
				break;
			if(st != CONN_OK) {
				sync_lost(&run, err);
				continue;
			}
		}
		if(now_ms() >= next_full) {
			st = sync_full(&run, err, sizeof(err));
			if(st == CONN_STOP)
				break;
			if(st != CONN_OK) {
				sync_lost(&run, err);
				continue;
			}
			sync_current_again(&run);
			next_full = now_ms() + (uint64_t)sync->conf->resync_interval
				* 1000;
		}
	}
	sync_run_free(&run);
	return NULL;
}

int
redis_sync_start(struct redis_sync *sync, const struct cnroute_conf *conf,
	struct steering_table *table, struct cnroute_stats *stats,
	steering_routes_added_fn routes_added, void *routes_added_ctx,
	int64_t snapshot_time)
{
	char err[300];
	int rc, i;

	memset(sync, 0, sizeof(*sync));
	sync->routes_added = routes_added;
	sync->routes_added_ctx = routes_added_ctx;
	sync->conf = conf;
	sync->table = table;
	sync->stats = stats;
	sync->from_snapshot = snapshot_time != 0;
	atomic_init(&sync->data_time, snapshot_time ? snapshot_time :
		(int64_t)time(NULL));
	atomic_init(&sync->snapshot_dirty, 0);
	atomic_init(&sync->server, -1);
	atomic_init(&sync->change_mode, REDIS_CHANGES_NONE);
	atomic_init(&sync->last_change, 0);
	/* the only lookups that may block, before the thread exists */
	sync->addrs = calloc((size_t)conf->redis_server_count,
		sizeof(*sync->addrs));
	if(!sync->addrs) {
		cnroute_log(CNROUTE_LOG_ERROR, "out of memory");
		return -1;
	}
	for(i = 0; i < conf->redis_server_count; i++) {
		if(redis_addr_resolve(&conf->redis_servers[i], &sync->addrs[i],
			err, sizeof(err)) != 0)
			cnroute_log(CNROUTE_LOG_WARNING, "redis-server: %s; "
				"trying again in the background", err);
	}
	if(pipe(sync->wake_pipe) != 0) {
		cnroute_log(CNROUTE_LOG_ERROR, "pipe: %s", strerror(errno));
		free(sync->addrs);
		sync->addrs = NULL;
		return -1;
	}
	rc = pthread_create(&sync->thread, NULL, sync_main, sync);
	if(rc != 0) {
		cnroute_log(CNROUTE_LOG_ERROR, "cannot start the Redis sync "
			"thread: %s", strerror(rc));
		close(sync->wake_pipe[0]);
		close(sync->wake_pipe[1]);
		free(sync->addrs);
		sync->addrs = NULL;
		return -1;
	}
	/* named, so that its CPU time can be told apart (top -H, /proc) */
	(void)pthread_setname_np(sync->thread, "cnroute-sync");
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
	free(sync->addrs);
	sync->addrs = NULL;
	sync->running = 0;
}

const char *
redis_change_mode_name(int mode)
{
	switch(mode) {
	case REDIS_CHANGES_TRACKING:
		return "tracking";
	case REDIS_CHANGES_KEYSPACE:
		return "keyspace";
	default:
		return "none";
	}
}
