/*
 * audit.c - "cnroutectl audit": the change history from <prefix>audit.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Every write made by cnroutectl appends an entry (time, actor, action,
 * key, old, new: old and new are JSON objects of the hash, or empty) in
 * the same transaction as the write itself, so the trail cannot miss a
 * change made through the CLI, nor record one that did not happen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit.h"
#include "commands.h"
#include "json_out.h"
#include "names.h"
#include "redis_store.h"

/** Usage of "audit". */
static const char usage_audit[] =
	"usage: cnroutectl audit [--since TIME] [--domain D] [--json]\n"
	"Every change made through cnroutectl: time, actor, action, key, old "
	"and new\nvalues. TIME: unix seconds, YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]"
	" (UTC), or an age\nsuch as 30m, 12h, 7d. D: the entries about D and "
	"the names below it.\n";

/** Parse an age such as "30m". @return 0 or -1. */
static int
parse_age(const char *text, long long now, long long *out)
{
	char *end;
	long long v = strtoll(text, &end, 10);
	long long unit;
	if(end == text || v < 0 || end[0] == 0 || end[1] != 0)
		return -1;
	switch(end[0]) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -1;
	}
	*out = now - v * unit;
	return 0;
}

int
audit_parse_since(const char *text, long long now, long long *out)
{
	struct tm tm;
	const char *rest;
	char *end;
	long long v;
	if(text == NULL || *text == 0)
		return -1;
	v = strtoll(text, &end, 10);
	if(*end == 0 && end != text && v >= 0) {
		*out = v;
		return 0;
	}
	if(parse_age(text, now, out) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	rest = strptime(text, "%Y-%m-%d", &tm);
	if(rest == NULL)
		return -1;
	if(*rest == 'T' || *rest == ' ') {
		const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
		if(r2 == NULL)
			r2 = strptime(rest + 1, "%H:%M", &tm);
		if(r2 == NULL)
			return -1;
		rest = r2;
	}
	if(*rest == 'Z')
		rest++;
	if(*rest != 0)
		return -1;
	*out = (long long)timegm(&tm);
	return 0;
}

int
audit_key_matches(const char *key_name, const char *domain)
{
	size_t kl = strlen(key_name), dl = strlen(domain);
	if(strcmp(key_name, domain) == 0)
		return 1;
	return kl > dl && key_name[kl - dl - 1] == '.' &&
		strcmp(key_name + kl - dl, domain) == 0;
}

/** One entry, as read from the stream. */
struct audit_entry {
	/** stream id */
	const char *id;
	/** the fields */
	struct kvlist f;
};

/** The name part of an audited key, or the key itself. */
static const char *
key_name(const struct store *s, const char *key)
{
	const char *n = store_key_name(s, "filing", key);
	if(n == NULL)
		n = store_key_name(s, "route", key);
	return n ? n : key;
}

/** Print a field of an entry for people, escaped ("?" when absent). */
static void
print_field(const struct audit_entry *e, const char *name, const char *fmt,
	const char *absent)
{
	size_t len;
	const char *v = kvlist_get_len(&e->f, name, &len);
	char *shown = text_escape(v ? v : absent, v ? len : strlen(absent));
	printf(fmt, v && len ? shown : absent);
	free(shown);
}

/** Print an entry for people. */
static void
print_entry_text(const struct audit_entry *e)
{
	const char *t = kvlist_get(&e->f, "time");
	char when[64] = "?";
	time_t tt = t ? (time_t)strtoll(t, NULL, 10) : 0;
	struct tm tm;
	if(t && gmtime_r(&tt, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s  ", when);
	print_field(e, "actor", "%-12s ", "?");
	print_field(e, "action", "%-14s ", "?");
	print_field(e, "key", "%s\n", "?");
	print_field(e, "old", "    old: %s\n", "(none)");
	print_field(e, "new", "    new: %s\n", "(none)");
}

/** A field of an entry as a JSON string ("" when absent). */
static json_t *
entry_text(const struct audit_entry *e, const char *name)
{
	size_t len = 0;
	const char *v = kvlist_get_len(&e->f, name, &len);
	return json_text(v ? v : "", v ? len : 0);
}

/** A field of an entry holding stored JSON (old, new). */
static json_t *
entry_stored(const struct audit_entry *e, const char *name)
{
	size_t len = 0;
	const char *v = kvlist_get_len(&e->f, name, &len);
	return json_from_stored(v, v ? len : 0);
}

/** An entry as JSON, built by the library: stream values are data. */
static json_t *
entry_json(const struct audit_entry *e)
{
	const char *t = kvlist_get(&e->f, "time");
	json_t *obj = json_new_object();
	json_put(obj, "id", json_text(e->id, strlen(e->id)));
	json_put(obj, "time", json_integer(t ? strtoll(t, NULL, 10) : 0));
	json_put(obj, "actor", entry_text(e, "actor"));
	json_put(obj, "action", entry_text(e, "action"));
	json_put(obj, "key", entry_text(e, "key"));
	json_put(obj, "old", entry_stored(e, "old"));
	json_put(obj, "new", entry_stored(e, "new"));
	return obj;
}

/** Read one stream entry reply into e. @return 0 or -1. */
static int
entry_from_reply(const redisReply *r, struct audit_entry *e)
{
	size_t i;
	const redisReply *fv;
	if(r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		r->element[0]->type != REDIS_REPLY_STRING ||
		r->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	e->id = r->element[0]->str;
	fv = r->element[1];
	for(i = 0; i + 1 < fv->elements; i += 2)
		if(fv->element[i]->type == REDIS_REPLY_STRING &&
			fv->element[i + 1]->type == REDIS_REPLY_STRING)
			kvlist_set_len(&e->f, fv->element[i]->str,
				fv->element[i + 1]->str,
				fv->element[i + 1]->len);
	return 0;
}

/** Walk the stream from start, printing what matches. @return CLI code. */
static int
audit_walk(struct cli *cli, struct store *s, const char *start,
	const char *domain)
{
	char *key = xasprintf("%saudit", s->prefix), from[64];
	json_t *entries = cli->json ? json_new_array() : NULL;
	int rc = CLI_OK, more = 1;
	snprintf(from, sizeof(from), "%s", start);
	while(more && rc == CLI_OK) {
		const char *argv[6] = { "XRANGE", key, from, "+", "COUNT",
			"1000" };
		redisReply *r = redisCommandArgv(s->rc, 6, argv, NULL);
		size_t i;
		if(r == NULL || r->type != REDIS_REPLY_ARRAY) {
			cli_error("redis: XRANGE %s: %s", key, r &&
				r->type == REDIS_REPLY_ERROR ? r->str :
				s->rc->errstr);
			freeReplyObject(r);
			rc = CLI_REDIS;
			break;
		}
		more = r->elements == 1000;
		for(i = 0; i < r->elements; i++) {
			struct audit_entry e = { NULL, { 0 } };
			const char *k;
			if(entry_from_reply(r->element[i], &e) != 0)
				continue;
			/* the next page starts after this id */
			snprintf(from, sizeof(from), "(%s", e.id);
			k = kvlist_get(&e.f, "key");
			if(domain == NULL || (k && audit_key_matches(
				key_name(s, k), domain))) {
				if(cli->json) {
					json_push(entries, entry_json(&e));
				} else {
					print_entry_text(&e);
				}
			}
			kvlist_free(&e.f);
		}
		freeReplyObject(r);
	}
	if(cli->json && rc == CLI_OK)
		json_print_lines(entries);
	else if(entries != NULL)
		json_decref(entries);
	free(key);
	return rc;
}

int
cmd_audit(struct cli *cli, int argc, char **argv)
{
	const char *since = NULL, *domain_arg = NULL;
	const struct opt_spec specs[] = { { "since", 1, &since, NULL },
		{ "domain", 1, &domain_arg, NULL }, { NULL, 0, NULL, NULL } };
	struct opts_pos pos;
	struct store *s;
	char domain[NAME_TEXT_MAX], err[NAME_ERR_MAX], start[32] = "-";
	long long t;
	int rc = opts_parse(cli, argc - 1, argv + 1, specs, &pos, usage_audit);
	if(rc != CLI_OK)
		return rc == OPTS_HELP ? CLI_OK : rc;
	if(pos.count != 0)
		return usage_error(usage_audit, "audit takes no argument");
	if(since != NULL) {
		if(audit_parse_since(since, (long long)time(NULL), &t) != 0) {
			cli_error("--since: cannot read '%s' (unix seconds, "
				"YYYY-MM-DD[THH:MM[:SS]], or an age like 12h)",
				since);
			return CLI_INVALID;
		}
		snprintf(start, sizeof(start), "%lld", t * 1000);
	}
	if(domain_arg != NULL && name_normalise(domain_arg, 1, domain,
		err) != 0) {
		cli_error("--domain '%s': %s", domain_arg, err);
		return CLI_INVALID;
	}
	if((rc = cli_store(cli, &s)) != CLI_OK)
		return rc;
	return audit_walk(cli, s, start, domain_arg ? domain : NULL);
}
