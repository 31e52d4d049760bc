/*
 * redis_store.c - cnroutectl's reads and writes of Redis.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "json_out.h"
#include "redis_store.h"

/** Seconds to wait for the connection and for each reply. */
#define STORE_TIMEOUT_S 5
/** Times store_apply redoes a batch whose watched keys changed. */
#define STORE_RETRIES 5
/** Keys fetched per SCAN step. */
#define SCAN_COUNT "1000"

void
store_actor(char *out, size_t size)
{
	const char *who = getenv("CNROUTE_ACTOR");
	if(who == NULL || *who == 0)
		who = getlogin();
	if(who == NULL || *who == 0)
		who = getenv("USER");
	if(who == NULL || *who == 0) {
		struct passwd *pw = getpwuid(getuid());
		if(pw != NULL && pw->pw_name != NULL && *pw->pw_name) {
			snprintf(out, size, "%s", pw->pw_name);
			return;
		}
		snprintf(out, size, "uid %u", (unsigned)getuid());
		return;
	}
	snprintf(out, size, "%s", who);
}

/** Run one command given as an argument vector. @return reply or NULL. */
static redisReply *
command_argv(struct store *s, int argc, const char **argv)
{
	return redisCommandArgv(s->rc, argc, argv, NULL);
}

/** Set err from a failed connection or reply. */
static void
redis_err(struct store *s, redisReply *r, const char *what, char *err)
{
	if(r != NULL && r->type == REDIS_REPLY_ERROR)
		snprintf(err, STORE_ERR_MAX, "redis: %s: %s", what, r->str);
	else if(s->rc != NULL && s->rc->err)
		snprintf(err, STORE_ERR_MAX, "redis unreachable: %s: %s",
			what, s->rc->errstr);
	else
		snprintf(err, STORE_ERR_MAX, "redis: %s: unexpected reply",
			what);
}

/** AUTH and SELECT after connecting. @return CLI_OK or CLI_REDIS. */
static int
store_login(struct store *s, const struct cnroute_conf *conf, char *err)
{
	redisReply *r;
	if(conf->redis_password != NULL) {
		const char *argv[2] = { "AUTH", conf->redis_password };
		r = command_argv(s, 2, argv);
		if(r == NULL || r->type == REDIS_REPLY_ERROR) {
			redis_err(s, r, "AUTH", err);
			freeReplyObject(r);
			return CLI_REDIS;
		}
		freeReplyObject(r);
	}
	r = redisCommand(s->rc, "SELECT %d", conf->redis_db);
	if(r == NULL || r->type == REDIS_REPLY_ERROR) {
		redis_err(s, r, "SELECT", err);
		freeReplyObject(r);
		return CLI_REDIS;
	}
	freeReplyObject(r);
	return CLI_OK;
}

int
store_connect(struct store **out, const struct cnroute_conf *conf, char *err)
{
	struct timeval tv = { STORE_TIMEOUT_S, 0 };
	struct store *s = xmalloc(sizeof(*s));
	memset(s, 0, sizeof(*s));
	*out = NULL;
	if(conf->redis_unix != NULL)
		s->rc = redisConnectUnixWithTimeout(conf->redis_unix, tv);
	else
		s->rc = redisConnectWithTimeout(conf->redis_host,
			conf->redis_port, tv);
	if(s->rc == NULL || s->rc->err) {
		snprintf(err, STORE_ERR_MAX, "redis unreachable at %s%s%d: %s",
			conf->redis_unix ? conf->redis_unix :
			conf->redis_host, conf->redis_unix ? "" : ":",
			conf->redis_unix ? 0 : conf->redis_port,
			s->rc ? s->rc->errstr : "out of memory");
		store_close(s);
		return CLI_REDIS;
	}
	redisSetTimeout(s->rc, tv);
	if(store_login(s, conf, err) != CLI_OK) {
		store_close(s);
		return CLI_REDIS;
	}
	s->prefix = xstrdup(conf->key_prefix);
	store_actor(s->actor, sizeof(s->actor));
	s->now = (long long)time(NULL);
	*out = s;
	return CLI_OK;
}

void
store_close(struct store *s)
{
	if(s == NULL)
		return;
	if(s->rc != NULL)
		redisFree(s->rc);
	free(s->prefix);
	free(s);
}

char *
store_key(const struct store *s, const char *kind, const char *name)
{
	return xasprintf("%s%s:%s", s->prefix, kind, name);
}

char *
store_pattern(const struct store *s, const char *kind)
{
	struct strbuf sb = { 0 };
	const char *p;
	for(p = s->prefix; *p; p++) {
		if(strchr("*?[]\\", *p) != NULL)
			sb_add(&sb, "\\", 1);
		sb_add(&sb, p, 1);
	}
	sb_printf(&sb, "%s:*", kind);
	return sb.s;
}

char *
store_prefix_pattern(const struct store *s)
{
	struct strbuf sb = { 0 };
	const char *p;
	for(p = s->prefix; *p; p++) {
		if(strchr("*?[]\\", *p) != NULL)
			sb_add(&sb, "\\", 1);
		sb_add(&sb, p, 1);
	}
	sb_puts(&sb, "*");
	return sb.s;
}

const char *
store_key_name(const struct store *s, const char *kind, const char *key)
{
	size_t plen = strlen(s->prefix), klen = strlen(kind);
	if(strncmp(key, s->prefix, plen) != 0 ||
		strncmp(key + plen, kind, klen) != 0 || key[plen + klen] != ':')
		return NULL;
	return key + plen + klen + 1;
}

void
strv_free(char **v, size_t n)
{
	size_t i;
	if(v == NULL)
		return;
	for(i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/** Fill a list from an HGETALL reply. */
static void
hash_from_reply(const redisReply *r, struct kvlist *out)
{
	size_t i;
	for(i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		/* values are binary (lengths, not NULs, end them); a field
		 * name with a NUL is not one the module reads */
		if(f->type == REDIS_REPLY_STRING &&
			v->type == REDIS_REPLY_STRING &&
			memchr(f->str, 0, f->len) == NULL)
			kvlist_set_len(out, f->str, v->str, v->len);
	}
}

int
store_fetch(struct store *s, char *const *keys, size_t n, struct kvlist *out,
	enum key_state *states, char *err)
{
	size_t i;
	int rc = CLI_OK;
	for(i = 0; i < n; i++) {
		const char *argv[2] = { "HGETALL", keys[i] };
		redisAppendCommandArgv(s->rc, 2, argv, NULL);
	}
	for(i = 0; i < n; i++) {
		redisReply *r = NULL;
		memset(&out[i], 0, sizeof(out[i]));
		states[i] = KEY_MISSING;
		if(redisGetReply(s->rc, (void **)&r) != REDIS_OK || r == NULL) {
			redis_err(s, NULL, "HGETALL", err);
			return CLI_REDIS; /* the connection is gone */
		}
		if(r->type == REDIS_REPLY_ERROR &&
			strncmp(r->str, "WRONGTYPE", 9) == 0) {
			states[i] = KEY_WRONGTYPE;
		} else if(r->type == REDIS_REPLY_ARRAY) {
			hash_from_reply(r, &out[i]);
			states[i] = r->elements ? KEY_HASH : KEY_MISSING;
		} else {
			redis_err(s, r, "HGETALL", err);
			rc = CLI_REDIS;
		}
		freeReplyObject(r);
	}
	return rc;
}

/** qsort comparator of strings. */
static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
store_read_kind(struct store *s, const char *kind, struct store_kind *out,
	char *err)
{
	char *pattern = store_pattern(s, kind);
	size_t slots;
	int rc;
	memset(out, 0, sizeof(*out));
	rc = store_scan(s, pattern, &out->keys, &out->n, err);
	free(pattern);
	if(rc != CLI_OK)
		return rc;
	/* at least one slot, so an empty kind still has arrays to free */
	slots = out->n ? out->n : 1;
	out->hashes = xmalloc(slots * sizeof(*out->hashes));
	memset(out->hashes, 0, slots * sizeof(*out->hashes));
	out->states = xmalloc(slots * sizeof(*out->states));
	return store_fetch(s, out->keys, out->n, out->hashes, out->states, err);
}

void
store_kind_free(struct store_kind *k)
{
	size_t i;
	for(i = 0; k->hashes && i < k->n; i++)
		kvlist_free(&k->hashes[i]);
	free(k->hashes);
	free(k->states);
	strv_free(k->keys, k->n);
	memset(k, 0, sizeof(*k));
}

int
store_scan(struct store *s, const char *pattern, char ***keys, size_t *n,
	char *err)
{
	char cursor[32] = "0";
	size_t count = 0, cap = 0;
	char **v = NULL;
	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", pattern,
			"COUNT", SCAN_COUNT };
		redisReply *r = command_argv(s, 6, argv), *ks;
		size_t i;
		if(r == NULL || r->type != REDIS_REPLY_ARRAY ||
			r->elements != 2 ||
			r->element[0]->type != REDIS_REPLY_STRING ||
			r->element[1]->type != REDIS_REPLY_ARRAY) {
			redis_err(s, r, "SCAN", err);
			freeReplyObject(r);
			strv_free(v, count);
			return CLI_REDIS;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		ks = r->element[1];
		for(i = 0; i < ks->elements; i++) {
			if(ks->element[i]->type != REDIS_REPLY_STRING)
				continue;
			if(count == cap) {
				cap = cap ? cap * 2 : 64;
				v = realloc(v, cap * sizeof(char *));
				if(v == NULL) {
					fputs("cnroutectl: out of memory\n",
						stderr);
					exit(CLI_INVALID);
				}
			}
			v[count++] = xstrdup(ks->element[i]->str);
		}
		freeReplyObject(r);
	} while(strcmp(cursor, "0") != 0);
	/* SCAN may return a key twice: sort, then drop repeats */
	if(count > 1)
		qsort(v, count, sizeof(char *), str_cmp);
	if(count > 1) {
		size_t i, w = 1;
		for(i = 1; i < count; i++) {
			if(strcmp(v[i], v[w - 1]) == 0)
				free(v[i]);
			else
				v[w++] = v[i];
		}
		count = w;
	}
	*keys = v;
	*n = count;
	return CLI_OK;
}

int
store_fetch_replies(struct store *s, const char *const *keys,
	const size_t *lens, size_t n, redisReply **replies, char *err)
{
	size_t i;
	for(i = 0; i < n; i++) {
		const char *argv[2] = { "HGETALL", keys[i] };
		size_t argvlen[2] = { 7, lens ? lens[i] : strlen(keys[i]) };
		replies[i] = NULL;
		redisAppendCommandArgv(s->rc, 2, argv, argvlen);
	}
	for(i = 0; i < n; i++) {
		redisReply *r = NULL;
		if(redisGetReply(s->rc, (void **)&r) != REDIS_OK || r == NULL) {
			redis_err(s, NULL, "HGETALL", err);
			return CLI_REDIS; /* the connection is gone */
		}
		replies[i] = r;
	}
	return CLI_OK;
}

void
store_replies_free(redisReply **replies, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++) {
		freeReplyObject(replies[i]);
		replies[i] = NULL;
	}
}

const char *
keylist_key(const struct keylist *l, size_t i)
{
	return l->buf + l->off[i];
}

void
keylist_free(struct keylist *l)
{
	free(l->buf);
	free(l->off);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

/** realloc that aborts when out of memory. */
static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if(p == NULL) {
		fputs("cnroutectl: out of memory\n", stderr);
		exit(CLI_INVALID);
	}
	return p;
}

void
keylist_add(struct keylist *l, const char *key, size_t len)
{
	if(l->used + len + 1 > l->room) {
		size_t room = l->room ? l->room * 2 : 4096;
		while(room < l->used + len + 1)
			room *= 2;
		l->buf = xrealloc(l->buf, room);
		l->room = room;
	}
	if(l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->off = xrealloc(l->off, l->cap * sizeof(*l->off));
		l->len = xrealloc(l->len, l->cap * sizeof(*l->len));
	}
	memcpy(l->buf + l->used, key, len);
	l->buf[l->used + len] = 0;
	l->off[l->n] = l->used;
	l->len[l->n++] = len;
	l->used += len + 1;
}

/** Order of two keys of a list (qsort_r over indexes): bytes, then length. */
static int
keylist_cmp(const void *a, const void *b, void *arg)
{
	const struct keylist *l = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t n = l->len[i] < l->len[j] ? l->len[i] : l->len[j];
	int c = memcmp(l->buf + l->off[i], l->buf + l->off[j], n);
	if(c != 0)
		return c;
	return l->len[i] < l->len[j] ? -1 : l->len[i] > l->len[j];
}

void
keylist_sort(struct keylist *l)
{
	size_t *idx, *off, *len, i, w = 0;
	if(l->n < 2)
		return;
	idx = xmalloc(l->n * sizeof(*idx));
	off = xmalloc(l->n * sizeof(*off));
	len = xmalloc(l->n * sizeof(*len));
	for(i = 0; i < l->n; i++)
		idx[i] = i;
	qsort_r(idx, l->n, sizeof(*idx), keylist_cmp, l);
	for(i = 0; i < l->n; i++) {
		if(w > 0 && keylist_cmp(&idx[i], &idx[i - 1], l) == 0)
			continue;
		off[w] = l->off[idx[i]];
		len[w++] = l->len[idx[i]];
	}
	free(l->off);
	free(l->len);
	free(idx);
	l->off = off;
	l->len = len;
	l->n = l->cap = w;
}

int
store_scan_keys(struct store *s, const char *pattern, store_keep_fn keep,
	void *ctx, struct keylist *out, char *err)
{
	char cursor[32] = "0";
	memset(out, 0, sizeof(*out));
	do {
		const char *argv[6] = { "SCAN", cursor, "MATCH", pattern,
			"COUNT", SCAN_COUNT };
		redisReply *r = command_argv(s, 6, argv), *ks;
		size_t i;
		if(r == NULL || r->type != REDIS_REPLY_ARRAY ||
			r->elements != 2 ||
			r->element[0]->type != REDIS_REPLY_STRING ||
			r->element[1]->type != REDIS_REPLY_ARRAY) {
			redis_err(s, r, "SCAN", err);
			freeReplyObject(r);
			return CLI_REDIS;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		ks = r->element[1];
		for(i = 0; i < ks->elements; i++) {
			const redisReply *k = ks->element[i];
			if(k->type != REDIS_REPLY_STRING || (keep != NULL &&
				!keep(ctx, k->str, k->len)))
				continue;
			keylist_add(out, k->str, k->len);
		}
		freeReplyObject(r);
	} while(strcmp(cursor, "0") != 0);
	keylist_sort(out);
	return CLI_OK;
}

void
store_ops_free(struct store_op *ops, size_t n)
{
	size_t i;
	for(i = 0; i < n; i++) {
		free(ops[i].key);
		kvlist_free(&ops[i].fields);
		kvlist_free(&ops[i].old);
		kvlist_free(&ops[i].new);
	}
}

/** 1 if two hashes differ in a field other than "updated". */
static int
differs_ignoring_updated(const struct kvlist *a, const struct kvlist *b)
{
	struct kvlist x = { 0 }, y = { 0 };
	int eq;
	kvlist_copy(&x, a);
	kvlist_copy(&y, b);
	kvlist_del(&x, "updated");
	kvlist_del(&y, "updated");
	eq = kvlist_equal(&x, &y);
	kvlist_free(&x);
	kvlist_free(&y);
	return !eq;
}

/**
 * Compute an operation's new hash from the old one just read.
 * @return CLI_OK or CLI_INVALID (err set).
 */
static int
op_compute(struct store_op *op, char *err)
{
	size_t i;
	kvlist_free(&op->new);
	if(op->old_state == KEY_WRONGTYPE) {
		snprintf(err, STORE_ERR_MAX, "%s: not a hash (the module "
			"skips it); remove it with redis-cli first", op->key);
		return CLI_INVALID;
	}
	if(op->must_exist && op->old_state == KEY_MISSING) {
		snprintf(err, STORE_ERR_MAX, "%s: no such key", op->key);
		return CLI_INVALID;
	}
	if(op->kind == STORE_MERGE)
		kvlist_copy(&op->new, &op->old);
	if(op->kind != STORE_DELETE)
		for(i = 0; i < op->fields.count; i++)
			kvlist_set(&op->new, op->fields.items[i].name,
				op->fields.items[i].value);
	if(op->kind == STORE_DELETE)
		op->changed = op->old_state == KEY_HASH;
	else
		op->changed = op->old_state != KEY_HASH ||
			differs_ignoring_updated(&op->old, &op->new);
	return CLI_OK;
}

/** WATCH the keys of the operations and the guards. @return CLI code. */
static int
watch_keys(struct store *s, struct store_op *ops, size_t n,
	char *const *guards, size_t nguards, char *err)
{
	size_t argc = 1 + n + nguards, i, k = 0;
	const char **argv = xmalloc(argc * sizeof(char *));
	redisReply *r;
	argv[k++] = "WATCH";
	for(i = 0; i < n; i++)
		argv[k++] = ops[i].key;
	for(i = 0; i < nguards; i++)
		argv[k++] = guards[i];
	r = command_argv(s, (int)argc, argv);
	free(argv);
	if(r == NULL || r->type == REDIS_REPLY_ERROR) {
		redis_err(s, r, "WATCH", err);
		freeReplyObject(r);
		return CLI_REDIS;
	}
	freeReplyObject(r);
	return CLI_OK;
}

/** The audit text of a hash: a JSON object built by the library. */
static char *
audit_json(const struct kvlist *h)
{
	json_t *obj = kvlist_to_json(h);
	char *text = json_encode(obj);
	json_decref(obj);
	return text;
}

/** Queue the writes of one operation (HDEL/HSET or DEL) and its XADD. */
static void
queue_op(struct store *s, const struct store_op *op, size_t *queued)
{
	char *oldj = NULL, *newj = NULL;
	char now[32];
	size_t i;
	if(op->kind == STORE_DELETE) {
		const char *argv[2] = { "DEL", op->key };
		redisAppendCommandArgv(s->rc, 2, argv, NULL);
		(*queued)++;
	} else {
		size_t k = 0, cap = 2 + op->old.count + 2 * op->new.count;
		const char **argv = xmalloc(cap * sizeof(char *));
		size_t *lens = xmalloc(cap * sizeof(size_t));
		/* fields the new hash no longer has */
		argv[k++] = "HDEL";
		argv[k++] = op->key;
		for(i = 0; i < op->old.count; i++)
			if(kvlist_get(&op->new, op->old.items[i].name) == NULL)
				argv[k++] = op->old.items[i].name;
		if(k > 2) {
			redisAppendCommandArgv(s->rc, (int)k, argv, NULL);
			(*queued)++;
		}
		/* values go with their lengths: a NUL inside one is data */
		k = 0;
		argv[k] = "HSET";
		lens[k++] = 4;
		argv[k] = op->key;
		lens[k++] = strlen(op->key);
		for(i = 0; i < op->new.count; i++) {
			argv[k] = op->new.items[i].name;
			lens[k++] = strlen(op->new.items[i].name);
			argv[k] = op->new.items[i].value;
			lens[k++] = op->new.items[i].value_len;
		}
		redisAppendCommandArgv(s->rc, (int)k, argv, lens);
		(*queued)++;
		free(argv);
		free(lens);
	}
	if(op->old_state == KEY_HASH)
		oldj = audit_json(&op->old);
	if(op->kind != STORE_DELETE)
		newj = audit_json(&op->new);
	snprintf(now, sizeof(now), "%lld", s->now);
	{
		char *audit = xasprintf("%saudit", s->prefix);
		const char *argv[15] = { "XADD", audit, "*", "time", now,
			"actor", s->actor, "action", op->action, "key",
			op->key, "old", oldj ? oldj : "", "new",
			newj ? newj : "" };
		redisAppendCommandArgv(s->rc, 15, argv, NULL);
		(*queued)++;
		free(audit);
	}
	free(oldj);
	free(newj);
}

/**
 * Read the replies of MULTI, the queued commands and EXEC.
 * @return CLI_OK, 1 when EXEC was aborted by WATCH (redo), or CLI_REDIS.
 */
static int
read_exec(struct store *s, size_t queued, char *err)
{
	size_t i;
	int rc = CLI_OK;
	redisReply *r = NULL;
	for(i = 0; i < queued + 1; i++) {
		if(redisGetReply(s->rc, (void **)&r) != REDIS_OK || !r) {
			redis_err(s, NULL, "MULTI", err);
			return CLI_REDIS;
		}
		if(r->type == REDIS_REPLY_ERROR && rc == CLI_OK) {
			redis_err(s, r, "queueing a write", err);
			rc = CLI_REDIS;
		}
		freeReplyObject(r);
	}
	if(redisGetReply(s->rc, (void **)&r) != REDIS_OK || !r) {
		redis_err(s, NULL, "EXEC", err);
		return CLI_REDIS;
	}
	if(rc == CLI_OK && r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 1;
	}
	if(rc == CLI_OK && r->type != REDIS_REPLY_ARRAY) {
		redis_err(s, r, "EXEC", err);
		rc = CLI_REDIS;
	}
	for(i = 0; rc == CLI_OK && i < r->elements; i++) {
		if(r->element[i]->type == REDIS_REPLY_ERROR) {
			redis_err(s, r->element[i], "EXEC", err);
			rc = CLI_REDIS;
		}
	}
	freeReplyObject(r);
	return rc;
}

/** UNWATCH, ignoring the reply (used when giving up). */
static void
unwatch(struct store *s)
{
	redisReply *r = redisCommand(s->rc, "UNWATCH");
	freeReplyObject(r);
}

/**
 * One attempt of store_apply.
 * @return CLI code, or 1 to redo.
 */
static int
apply_once(struct store *s, struct store_op *ops, size_t n,
	char *const *guards, size_t nguards, store_check_fn check, void *ctx,
	char *err)
{
	char **keys = xmalloc((n ? n : 1) * sizeof(char *));
	struct kvlist *olds = xmalloc((n ? n : 1) * sizeof(struct kvlist));
	enum key_state *states = xmalloc((n ? n : 1) * sizeof(*states));
	redisReply **gv = xmalloc((nguards ? nguards : 1) * sizeof(*gv));
	size_t i, queued = 0, changed = 0;
	int rc;

	memset(gv, 0, (nguards ? nguards : 1) * sizeof(*gv));
	memset(olds, 0, (n ? n : 1) * sizeof(*olds));
	rc = watch_keys(s, ops, n, guards, nguards, err);
	for(i = 0; i < n; i++)
		keys[i] = ops[i].key;
	if(rc == CLI_OK)
		rc = store_fetch(s, keys, n, olds, states, err);
	if(rc == CLI_OK)
		rc = store_fetch_replies(s, (const char *const *)guards, NULL,
			nguards, gv, err);
	for(i = 0; rc == CLI_OK && i < n; i++) {
		ops[i].skip = 0;
		kvlist_free(&ops[i].old);
		ops[i].old = olds[i];
		memset(&olds[i], 0, sizeof(olds[i]));
		ops[i].old_state = states[i];
		rc = op_compute(&ops[i], err);
		changed += ops[i].changed ? 1 : 0;
	}
	if(rc == CLI_OK && check != NULL)
		rc = check(ctx, ops, n, guards, gv, nguards, err);
	for(i = 0; rc == CLI_OK && i < n; i++)
		if(ops[i].skip && ops[i].changed)
			changed--;
	if(rc == CLI_OK && changed > 0) {
		redisAppendCommand(s->rc, "MULTI");
		for(i = 0; i < n; i++)
			if(ops[i].changed && !ops[i].skip)
				queue_op(s, &ops[i], &queued);
		redisAppendCommand(s->rc, "EXEC");
		rc = read_exec(s, queued, err);
	} else if(rc != CLI_REDIS) {
		unwatch(s);
	}
	store_replies_free(gv, nguards);
	for(i = 0; i < n; i++)
		kvlist_free(&olds[i]);
	free(keys);
	free(olds);
	free(states);
	free(gv);
	return rc;
}

int
store_apply(struct store *s, struct store_op *ops, size_t n,
	char *const *guards, size_t nguards, store_check_fn check, void *ctx,
	char *err)
{
	int attempt, rc = CLI_REDIS;
	if(n == 0 && nguards == 0)
		return check ? check(ctx, ops, 0, NULL, NULL, 0, err) : CLI_OK;
	for(attempt = 0; attempt < STORE_RETRIES; attempt++) {
		rc = apply_once(s, ops, n, guards, nguards, check, ctx, err);
		if(rc != 1)
			return rc;
	}
	snprintf(err, STORE_ERR_MAX, "the keys kept changing under us "
		"(%d attempts); nothing written", STORE_RETRIES);
	return CLI_REDIS;
}
