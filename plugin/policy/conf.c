/*
 * conf.c - the cnroute.conf file, shared by the module and the CLI.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A configuration mistake must stop the resolver from starting rather
 * than let it steer with a half-understood setting, so every problem is
 * fatal and reported as "FILE:LINE: KEY: what is wrong".
 */
#include "cnroute/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/** Largest configuration file read. */
#define CONF_FILE_MAX (1024 * 1024)
/** Largest password file read. */
#define PASSWORD_FILE_MAX 4096
/** Most components of geoip-field ("country.iso_code" has two). */
#define GEOIP_FIELD_MAX_COMPONENTS 8
/** Longest key-prefix. */
#define KEY_PREFIX_MAX 256

/** Where a key's value is being parsed, for messages. */
struct conf_ctx {
	/** file name used in messages */
	const char *name;
	/** line number, from 1 */
	int line;
	/** the key, NUL terminated */
	const char *key;
	/** out, error message buffer (CONF_ERR_MAX) */
	char *err;
};

/** Write "FILE:LINE: KEY: message" into ctx->err. @return -1. */
static int
conf_error(const struct conf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
conf_error(const struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	int n;

	if(ctx->err == NULL)
		return -1;
	/* Long messages are cut at CONF_ERR_MAX; the prefix comes first. */
	n = snprintf(ctx->err, CONF_ERR_MAX, "%s:%d: %s: ", ctx->name,
		ctx->line, ctx->key);
	if(n < 0 || n >= CONF_ERR_MAX)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, CONF_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/** 1 for blanks inside a line. */
static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/**
 * The next blank-separated word of a list value: its start, with *p
 * moved to its end; NULL when none is left.
 */
static const char *
next_word(const char **p)
{
	const char *start;

	while(is_blank(**p))
		(*p)++;
	if(**p == 0)
		return NULL;
	start = *p;
	while(**p && !is_blank(**p))
		(*p)++;
	return start;
}

/** Replace *slot with a copy of value. @return 0 or -1 (memory). */
static int
set_string(char **slot, const char *value)
{
	char *copy = strdup(value);

	if(copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

/**
 * Parse a decimal integer in [min, max]; digits only, no sign.
 * @return 0 or -1.
 */
static int
parse_uint(const char *value, long long min, long long max, long long *out)
{
	long long v = 0;
	const char *p;

	if(*value == 0)
		return -1;
	for(p = value; *p; p++) {
		if(*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if(v > max)
			return -1; /* also stops overflow */
	}
	if(v < min)
		return -1;
	*out = v;
	return 0;
}

/** 1 if the string contains a blank or a control byte. */
static int
has_space(const char *s)
{
	for(; *s; s++) {
		if((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

/** 1 if s is a plausible host name (letters, digits, '-', '.', '_'). */
static int
valid_host_name(const char *s, size_t len)
{
	size_t i;

	if(len == 0)
		return 0;
	for(i = 0; i < len; i++) {
		char c = s[i];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' ||
			c == '_'))
			return 0;
	}
	return 1;
}

/** Parse a TCP port 1..65535. @return the port or -1. */
static int
parse_port(const char *s)
{
	long long port;

	if(parse_uint(s, 1, 65535, &port) != 0)
		return -1;
	return (int)port;
}

int
conf_server_parse(const char *text, size_t len, int default_port,
	int allow_unix, struct conf_server *out, char *err, size_t err_size)
{
	char value[512];
	const char *host = value, *colon;
	size_t host_len;
	int port = default_port;

	memset(out, 0, sizeof(*out));
	if(len == 0 || len >= sizeof(value)) {
		snprintf(err, err_size, "bad address '%.*s'", (int)(len > 80 ?
			80 : len), text);
		return -1;
	}
	memcpy(value, text, len);
	value[len] = 0;
	if(strncmp(value, "unix:", 5) == 0) {
		if(!allow_unix) {
			snprintf(err, err_size, "'%s': a unix socket is not "
				"allowed here", value);
			return -1;
		}
		if(value[5] == 0) {
			snprintf(err, err_size, "empty unix socket path");
			return -1;
		}
		out->unix_path = strdup(value + 5);
		if(out->unix_path == NULL) {
			snprintf(err, err_size, "out of memory");
			return -1;
		}
		return 0;
	}
	if(value[0] == '[') {
		const char *close = strchr(value, ']');
		char addr[INET6_ADDRSTRLEN + 1];
		uint8_t bin[16];
		if(close == NULL) {
			snprintf(err, err_size, "missing ']' in '%s'", value);
			return -1;
		}
		host = value + 1;
		host_len = (size_t)(close - host);
		if(host_len == 0 || host_len > INET6_ADDRSTRLEN) {
			snprintf(err, err_size, "bad IPv6 address in '%s'",
				value);
			return -1;
		}
		memcpy(addr, host, host_len);
		addr[host_len] = 0;
		if(inet_pton(AF_INET6, addr, bin) != 1) {
			snprintf(err, err_size, "bad IPv6 address in '%s'",
				value);
			return -1;
		}
		if(close[1] == ':')
			port = parse_port(close + 2);
		else if(close[1] != 0) {
			snprintf(err, err_size, "expected ':PORT' after ']' in "
				"'%s'", value);
			return -1;
		}
	} else {
		colon = strchr(value, ':');
		host_len = colon ? (size_t)(colon - value) : strlen(value);
		if(colon != NULL && strchr(colon + 1, ':') != NULL) {
			snprintf(err, err_size, "IPv6 addresses go in "
				"brackets: '[ADDRESS]:PORT'");
			return -1;
		}
		if(!valid_host_name(host, host_len)) {
			snprintf(err, err_size, "bad host in '%s'", value);
			return -1;
		}
		if(colon != NULL)
			port = parse_port(colon + 1);
	}
	if(port < 0) {
		snprintf(err, err_size, "bad port in '%s' (1..65535)", value);
		return -1;
	}
	out->host = strndup(host, host_len);
	if(out->host == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	out->port = port;
	return 0;
}

void
conf_server_free(struct conf_server *server)
{
	free(server->host);
	free(server->unix_path);
	memset(server, 0, sizeof(*server));
}

void
conf_server_format(const struct conf_server *server, char *buf, size_t size)
{
	if(server->unix_path != NULL)
		snprintf(buf, size, "unix:%s", server->unix_path);
	else if(server->host != NULL && strchr(server->host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", server->host, server->port);
	else
		snprintf(buf, size, "%s:%d", server->host ? server->host : "",
			server->port);
}

/**
 * A blank-separated list of addresses into list[0..*count): none given
 * twice, at least one, at most max. The old list is freed first.
 */
static int
parse_server_list(const struct conf_ctx *ctx, const char *value,
	int default_port, int allow_unix, struct conf_server *list, int max,
	int *count)
{
	struct conf_server parsed[CONF_MAX_RESOLVERS];
	char msg[300], a[300], b[300];
	const char *p = value;
	int n = 0, i, j;

	for(;;) {
		const char *start = next_word(&p);
		if(start == NULL)
			break;
		if(n == max) {
			for(i = 0; i < n; i++)
				conf_server_free(&parsed[i]);
			return conf_error(ctx, "more than %d addresses", max);
		}
		if(conf_server_parse(start, (size_t)(p - start), default_port,
			allow_unix, &parsed[n], msg, sizeof(msg)) != 0) {
			for(i = 0; i < n; i++)
				conf_server_free(&parsed[i]);
			return conf_error(ctx, "%s", msg);
		}
		n++;
	}
	if(n == 0)
		return conf_error(ctx, "at least one address needed");
	for(i = 0; i < n; i++) {
		conf_server_format(&parsed[i], a, sizeof(a));
		for(j = 0; j < i; j++) {
			conf_server_format(&parsed[j], b, sizeof(b));
			if(strcmp(a, b) == 0) {
				for(j = 0; j < n; j++)
					conf_server_free(&parsed[j]);
				return conf_error(ctx, "'%s' listed twice", a);
			}
		}
	}
	for(i = 0; i < *count; i++)
		conf_server_free(&list[i]);
	memcpy(list, parsed, (size_t)n * sizeof(*list));
	*count = n;
	return 0;
}

/** A yes/no value. */
static int
parse_yes_no(const struct conf_ctx *ctx, const char *value, int *out)
{
	if(strcmp(value, "yes") == 0)
		*out = 1;
	else if(strcmp(value, "no") == 0)
		*out = 0;
	else
		return conf_error(ctx, "'%s': expected 'yes' or 'no'", value);
	return 0;
}

/**
 * Read up to max bytes of a regular file into buf.
 * Opened non-blocking and checked to be a regular file, so a FIFO or a
 * terminal named by mistake fails at once instead of hanging the start.
 * @return bytes read, or -1 with errno set (EINVAL: not a regular file).
 */
static ssize_t
read_small_file(const char *path, char *buf, size_t max)
{
	struct stat st;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if(fd < 0)
		return -1;
	if(fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	while(len < max) {
		ssize_t n = read(fd, buf + len, max - len);
		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if(n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

/**
 * Read the Redis password from a file, dropping the trailing newline,
 * so the password itself never sits in the world-readable config.
 */
static int
read_password_file(const struct conf_ctx *ctx, const char *path,
	struct cnroute_conf *conf)
{
	char buf[PASSWORD_FILE_MAX + 1];
	ssize_t got = read_small_file(path, buf, sizeof(buf));
	size_t len;
	int r = 0;

	if(got < 0) {
		if(errno == EINVAL)
			return conf_error(ctx, "'%s' is not a regular file",
				path);
		return conf_error(ctx, "cannot read '%s': %s", path,
			strerror(errno));
	}
	len = (size_t)got;
	if(len > PASSWORD_FILE_MAX) {
		r = conf_error(ctx, "'%s' is too large", path);
		goto done;
	}
	while(len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = 0;
	if(len == 0)
		r = conf_error(ctx, "'%s' is empty", path);
	else if(strlen(buf) != len)
		r = conf_error(ctx, "'%s' holds a NUL byte", path);
	else if(set_string(&conf->redis_password_file, path) != 0 ||
		set_string(&conf->redis_password, buf) != 0)
		r = conf_error(ctx, "out of memory");
done:
	/* Do not leave the secret on the stack. */
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/** geoip-field: dot-separated components, none empty, at most 8. */
static int
parse_geoip_field(const struct conf_ctx *ctx, const char *value,
	struct cnroute_conf *conf)
{
	int components = 1;
	const char *p;

	if(*value == 0 || has_space(value))
		return conf_error(ctx, "bad field path '%s'", value);
	for(p = value; *p; p++) {
		if(*p != '.')
			continue;
		if(p == value || p[1] == 0 || p[1] == '.')
			return conf_error(ctx, "empty component in '%s'", value);
		components++;
	}
	if(components > GEOIP_FIELD_MAX_COMPONENTS)
		return conf_error(ctx, "more than %d components in '%s'",
			GEOIP_FIELD_MAX_COMPONENTS, value);
	if(set_string(&conf->geoip_field, value) != 0)
		return conf_error(ctx, "out of memory");
	return 0;
}

/** 1 if c is an ASCII letter. */
static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/** mainland-countries: blank-separated two-letter codes. */
static int
parse_countries(const struct conf_ctx *ctx, const char *value,
	struct cnroute_conf *conf)
{
	char codes[CONF_MAX_COUNTRIES][3];
	int count = 0, i;
	const char *p = value;

	for(;;) {
		const char *start = next_word(&p);
		if(start == NULL)
			break;
		if(p - start != 2 || !is_letter(start[0]) ||
			!is_letter(start[1]))
			return conf_error(ctx, "'%.*s' is not a two-letter "
				"country code", (int)(p - start), start);
		for(i = 0; i < count; i++) {
			if((codes[i][0] | 0x20) == (start[0] | 0x20) &&
				(codes[i][1] | 0x20) == (start[1] | 0x20))
				break;
		}
		if(i < count)
			continue; /* listed twice: harmless */
		if(count == CONF_MAX_COUNTRIES)
			return conf_error(ctx, "more than %d countries",
				CONF_MAX_COUNTRIES);
		codes[count][0] = (char)(start[0] & ~0x20);
		codes[count][1] = (char)(start[1] & ~0x20);
		codes[count][2] = 0;
		count++;
	}
	if(count == 0)
		return conf_error(ctx, "at least one country code needed");
	memcpy(conf->mainland, codes, sizeof(codes));
	conf->mainland_count = count;
	return 0;
}

/** A path value: non-empty. */
static int
parse_path(const struct conf_ctx *ctx, const char *value, char **slot)
{
	if(*value == 0)
		return conf_error(ctx, "empty path");
	if(set_string(slot, value) != 0)
		return conf_error(ctx, "out of memory");
	return 0;
}

/** An integer value in [min, max] stored in *out. */
static int
parse_number(const struct conf_ctx *ctx, const char *value, long long min,
	long long max, long long *out)
{
	if(parse_uint(value, min, max, out) != 0)
		return conf_error(ctx, "'%s' is not an integer in %lld..%lld",
			value, min, max);
	return 0;
}

/** The keys of cnroute.conf, in the order of the table in the README. */
enum conf_key {
	KEY_REDIS_SERVER,
	KEY_REDIS_PASSWORD_FILE,
	KEY_REDIS_DB,
	KEY_KEY_PREFIX,
	KEY_GEOIP_DB,
	KEY_GEOIP_FIELD,
	KEY_MAINLAND_COUNTRIES,
	KEY_ECS,
	KEY_ANSWER_TTL_MAX,
	KEY_RESYNC_INTERVAL,
	KEY_MAX_STALE,
	KEY_STATS_FILE,
	KEY_SNAPSHOT_FILE,
	KEY_REDIS_USER,
	KEY_REDIS_NOTIFY_CONFIG,
	KEY_REDIS_PRIMARY,
	KEY_REDIS_SENTINEL,
	KEY_REDIS_SENTINEL_MASTER,
	KEY_FLEET_STATUS,
	KEY_FLEET_RESOLVERS,
	KEY_METRICS_FILE,
	KEY_COUNT
};

/** Key names, indexed by enum conf_key. */
static const char *const key_names[KEY_COUNT] = {
	"redis-server", "redis-password-file", "redis-db", "key-prefix",
	"geoip-db", "geoip-field", "mainland-countries", "ecs",
	"answer-ttl-max", "resync-interval", "max-stale", "stats-file",
	"snapshot-file", "redis-user", "redis-notify-config",
	"redis-primary", "redis-sentinel", "redis-sentinel-master",
	"fleet-status", "fleet-resolvers", "metrics-file"
};

/** Apply one key's value to conf. @return 0 or -1 with ctx->err set. */
static int
apply_key(const struct conf_ctx *ctx, enum conf_key key, const char *value,
	struct cnroute_conf *conf)
{
	long long n;

	switch(key) {
	case KEY_REDIS_SERVER:
		/* one or more addresses, the module reads the first that
		 * answers */
		return parse_server_list(ctx, value, 6379, 1,
			conf->redis_servers, CONF_MAX_SERVERS,
			&conf->redis_server_count);
	case KEY_REDIS_PASSWORD_FILE:
		if(*value == 0)
			return conf_error(ctx, "empty path");
		return read_password_file(ctx, value, conf);
	case KEY_REDIS_DB:
		if(parse_number(ctx, value, 0, 2147483647, &n) != 0)
			return -1;
		conf->redis_db = (int)n;
		return 0;
	case KEY_KEY_PREFIX:
		if(*value == 0 || has_space(value) ||
			strlen(value) > KEY_PREFIX_MAX)
			return conf_error(ctx, "must be non-empty, without "
				"blanks, at most %d bytes", KEY_PREFIX_MAX);
		if(set_string(&conf->key_prefix, value) != 0)
			return conf_error(ctx, "out of memory");
		return 0;
	case KEY_GEOIP_DB:
		conf->geoip_db_line = ctx->line;
		return parse_path(ctx, value, &conf->geoip_db);
	case KEY_GEOIP_FIELD:
		return parse_geoip_field(ctx, value, conf);
	case KEY_MAINLAND_COUNTRIES:
		return parse_countries(ctx, value, conf);
	case KEY_ECS:
		if(strcmp(value, "use") == 0)
			conf->ecs = ECS_USE;
		else if(strcmp(value, "ignore") == 0)
			conf->ecs = ECS_IGNORE;
		else
			return conf_error(ctx, "'%s': expected 'use' or "
				"'ignore'", value);
		return 0;
	case KEY_ANSWER_TTL_MAX:
		if(parse_number(ctx, value, 0, 86400, &n) != 0)
			return -1;
		conf->answer_ttl_max = (uint32_t)n;
		return 0;
	case KEY_RESYNC_INTERVAL:
		if(parse_number(ctx, value, 1, 86400, &n) != 0)
			return -1;
		conf->resync_interval = (uint32_t)n;
		return 0;
	case KEY_MAX_STALE:
		if(parse_number(ctx, value, 0, 31536000, &n) != 0)
			return -1;
		conf->max_stale = (uint32_t)n;
		return 0;
	case KEY_STATS_FILE:
		return parse_path(ctx, value, &conf->stats_file);
	case KEY_SNAPSHOT_FILE:
		return parse_path(ctx, value, &conf->snapshot_file);
	case KEY_REDIS_USER:
		if(*value == 0 || has_space(value))
			return conf_error(ctx, "must be non-empty, without "
				"blanks");
		if(set_string(&conf->redis_user, value) != 0)
			return conf_error(ctx, "out of memory");
		return 0;
	case KEY_REDIS_NOTIFY_CONFIG:
		return parse_yes_no(ctx, value, &conf->redis_notify_config);
	case KEY_REDIS_PRIMARY: {
		int one = 0;
		return parse_server_list(ctx, value, 6379, 1,
			&conf->redis_primary, 1, &one);
	}
	case KEY_REDIS_SENTINEL:
		return parse_server_list(ctx, value, 26379, 0,
			conf->redis_sentinels, CONF_MAX_SERVERS,
			&conf->redis_sentinel_count);
	case KEY_REDIS_SENTINEL_MASTER:
		if(*value == 0 || has_space(value))
			return conf_error(ctx, "must be non-empty, without "
				"blanks");
		if(set_string(&conf->redis_sentinel_master, value) != 0)
			return conf_error(ctx, "out of memory");
		return 0;
	case KEY_FLEET_STATUS:
		return parse_yes_no(ctx, value, &conf->fleet_status);
	case KEY_FLEET_RESOLVERS:
		return parse_server_list(ctx, value, 53, 0,
			conf->fleet_resolvers, CONF_MAX_RESOLVERS,
			&conf->fleet_resolver_count);
	case KEY_METRICS_FILE:
		return parse_path(ctx, value, &conf->metrics_file);
	case KEY_COUNT:
		break;
	}
	return conf_error(ctx, "unknown key");
}

int
conf_defaults(struct cnroute_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->redis_db = 0;
	conf->ecs = ECS_USE;
	conf->answer_ttl_max = 60;
	/* Notifications carry every change; a full reconciliation is the
	 * safety net, and costs seconds of CPU in this thread and in Redis
	 * at millions of keys (README, Benchmarks). */
	conf->resync_interval = 3600;
	memcpy(conf->mainland[0], "CN", 3);
	conf->mainland_count = 1;
	conf->redis_servers[0].host = strdup("127.0.0.1");
	conf->redis_servers[0].port = 6379;
	conf->redis_server_count = 1;
	conf->key_prefix = strdup("cnroute:");
	conf->geoip_field = strdup("country.iso_code");
	if(conf->key_prefix == NULL ||
		conf->geoip_field == NULL || conf->redis_servers[0].host ==
		NULL) {
		conf_free(conf);
		return -1;
	}
	return 0;
}

void
conf_free(struct cnroute_conf *conf)
{
	int i;

	if(conf == NULL)
		return;
	for(i = 0; i < conf->redis_server_count; i++)
		conf_server_free(&conf->redis_servers[i]);
	for(i = 0; i < conf->redis_sentinel_count; i++)
		conf_server_free(&conf->redis_sentinels[i]);
	for(i = 0; i < conf->fleet_resolver_count; i++)
		conf_server_free(&conf->fleet_resolvers[i]);
	conf_server_free(&conf->redis_primary);
	conf->redis_server_count = 0;
	conf->redis_sentinel_count = 0;
	conf->fleet_resolver_count = 0;
	free(conf->redis_user);
	free(conf->redis_sentinel_master);
	conf->redis_user = NULL;
	conf->redis_sentinel_master = NULL;
	free(conf->redis_password_file);
	/* Do not leave the secret in freed heap memory. */
	if(conf->redis_password != NULL)
		explicit_bzero(conf->redis_password,
			strlen(conf->redis_password));
	free(conf->redis_password);
	free(conf->key_prefix);
	free(conf->geoip_db);
	free(conf->geoip_field);
	free(conf->stats_file);
	free(conf->snapshot_file);
	free(conf->metrics_file);
	conf->redis_password_file = NULL;
	conf->redis_password = NULL;
	conf->key_prefix = NULL;
	conf->geoip_db = NULL;
	conf->geoip_field = NULL;
	conf->stats_file = NULL;
	conf->snapshot_file = NULL;
	conf->metrics_file = NULL;
}

/**
 * Split the value part of a line (after the colon) into buf: blanks
 * trimmed, the comment dropped, one pair of double quotes removed.
 * @return 0 or -1 with ctx->err set.
 */
static int
extract_value(const struct conf_ctx *ctx, const char *text, size_t len,
	char *buf)
{
	size_t pos = 0, out = 0;

	while(pos < len && is_blank(text[pos]))
		pos++;
	if(pos < len && text[pos] == '"') {
		const char *close = memchr(text + pos + 1, '"', len - pos - 1);
		if(close == NULL)
			return conf_error(ctx, "missing closing '\"'");
		out = (size_t)(close - (text + pos + 1));
		memcpy(buf, text + pos + 1, out);
		pos = (size_t)(close - text) + 1;
		while(pos < len && is_blank(text[pos]))
			pos++;
		if(pos < len && text[pos] != '#')
			return conf_error(ctx, "text after closing '\"'");
		buf[out] = 0;
		return 0;
	}
	while(pos < len && text[pos] != '#')
		buf[out++] = text[pos++];
	while(out > 0 && is_blank(buf[out - 1]))
		out--;
	buf[out] = 0;
	return 0;
}

/** Find a key by name. @return the key or KEY_COUNT when unknown. */
static enum conf_key
lookup_key(const char *name)
{
	int k;

	for(k = 0; k < KEY_COUNT; k++) {
		if(strcmp(name, key_names[k]) == 0)
			return (enum conf_key)k;
	}
	return KEY_COUNT;
}

/**
 * Parse one line (without its newline).
 * @param seen: per key, the line it was set on (0 if not yet).
 * @param buf: scratch of at least len + 1 bytes.
 * @return 0 or -1 with err set.
 */
static int
parse_line(struct conf_ctx *ctx, const char *line, size_t len,
	struct cnroute_conf *conf, int *seen, char *buf)
{
	size_t pos = 0, key_len;
	const char *key_start, *colon, *hash;
	enum conf_key key;

	if(memchr(line, 0, len) != NULL) {
		ctx->key = "-";
		return conf_error(ctx, "NUL byte in line");
	}
	while(pos < len && is_blank(line[pos]))
		pos++;
	if(pos == len || line[pos] == '#')
		return 0; /* blank line or comment */
	key_start = line + pos;
	colon = memchr(key_start, ':', len - pos);
	hash = memchr(key_start, '#', len - pos);
	if(colon != NULL && hash != NULL && hash < colon)
		colon = NULL; /* the colon is inside a comment */
	if(colon != NULL) {
		key_len = (size_t)(colon - key_start);
		while(key_len > 0 && is_blank(key_start[key_len - 1]))
			key_len--;
	} else {
		/* No colon: name the first word in the message. */
		key_len = 0;
		while(key_len < len - pos && !is_blank(key_start[key_len]) &&
			key_start[key_len] != '#')
			key_len++;
	}
	memcpy(buf, key_start, key_len);
	buf[key_len] = 0;
	ctx->key = buf;
	if(colon == NULL)
		return conf_error(ctx, "missing ':' after the key");
	if(key_len == 0) {
		ctx->key = "-";
		return conf_error(ctx, "missing key before ':'");
	}
	key = lookup_key(buf);
	if(key == KEY_COUNT)
		return conf_error(ctx, "unknown key");
	ctx->key = key_names[key];
	if(seen[key] != 0)
		return conf_error(ctx, "given twice (first on line %d)",
			seen[key]);
	seen[key] = ctx->line;
	if(extract_value(ctx, colon + 1, len - (size_t)(colon + 1 - line),
		buf) != 0)
		return -1;
	return apply_key(ctx, key, buf, conf);
}

/** Checks that need the whole file: required keys, keys that go
 *  together. */
static int
check_required(const char *name, const struct cnroute_conf *conf, char *err)
{
	const char *msg = NULL;

	if(conf->geoip_db == NULL)
		msg = "geoip-db: required";
	else if(conf->redis_sentinel_count > 0 &&
		conf->redis_sentinel_master == NULL)
		msg = "redis-sentinel: needs redis-sentinel-master (the name "
			"Sentinel knows the primary by)";
	else if(conf->redis_sentinel_master != NULL &&
		conf->redis_sentinel_count == 0)
		msg = "redis-sentinel-master: needs redis-sentinel";
	else if(conf->redis_user != NULL && conf->redis_password == NULL)
		msg = "redis-user: needs redis-password-file";
	else if(conf->redis_sentinel_count > 0 &&
		(conf->redis_primary.host || conf->redis_primary.unix_path))
		msg = "redis-primary: give either redis-primary or "
			"redis-sentinel, not both";
	if(msg != NULL) {
		if(err != NULL)
			snprintf(err, CONF_ERR_MAX, "%s: %s", name, msg);
		return -1;
	}
	return 0;
}

int
conf_parse_buffer(const char *name, const char *text, size_t len,
	struct cnroute_conf *conf, char *err)
{
	int seen[KEY_COUNT] = { 0 };
	struct conf_ctx ctx;
	size_t pos = 0;
	char *buf;

	if(conf_defaults(conf) != 0) {
		if(err != NULL)
			snprintf(err, CONF_ERR_MAX, "%s: out of memory", name);
		return -1;
	}
	buf = malloc(len + 1);
	if(buf == NULL) {
		if(err != NULL)
			snprintf(err, CONF_ERR_MAX, "%s: out of memory", name);
		conf_free(conf);
		return -1;
	}
	ctx.name = name;
	ctx.line = 0;
	ctx.key = "";
	ctx.err = err;
	while(pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		ctx.line++;
		if(parse_line(&ctx, text + pos, end - pos, conf, seen,
			buf) != 0)
			goto fail;
		pos = end + 1;
	}
	free(buf);
	if(check_required(name, conf, err) != 0) {
		conf_free(conf);
		return -1;
	}
	return 0;
fail:
	free(buf);
	/* Leave nothing allocated: conf_free on this conf stays harmless. */
	conf_free(conf);
	return -1;
}

int
conf_read(const char *path, struct cnroute_conf *conf, char *err)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t len;
	int r;

	memset(conf, 0, sizeof(*conf));
	if(f == NULL) {
		if(err != NULL)
			snprintf(err, CONF_ERR_MAX, "%s: cannot open: %s", path,
				strerror(errno));
		return -1;
	}
	text = malloc(CONF_FILE_MAX + 1);
	if(text == NULL) {
		fclose(f);
		if(err != NULL)
			snprintf(err, CONF_ERR_MAX, "%s: out of memory", path);
		return -1;
	}
	len = fread(text, 1, CONF_FILE_MAX + 1, f);
	if(ferror(f) || len > CONF_FILE_MAX) {
		int e = ferror(f) ? errno : EFBIG;
		fclose(f);
		free(text);
		if(err != NULL)
			snprintf(err, CONF_ERR_MAX, "%s: cannot read: %s", path,
				strerror(e));
		return -1;
	}
	fclose(f);
	r = conf_parse_buffer(path, text, len, conf, err);
	free(text);
	return r;
}

const char *
conf_path(const char *explicit_path)
{
	const char *env;

	if(explicit_path != NULL && *explicit_path != 0)
		return explicit_path;
	env = getenv(CNROUTE_CONF_ENV);
	if(env != NULL && *env != 0)
		return env;
	return CNROUTE_CONF_DEFAULT;
}

int
conf_is_mainland(const struct cnroute_conf *conf, const char *code,
	size_t len)
{
	int i;

	if(code == NULL || len != 2)
		return 0;
	for(i = 0; i < conf->mainland_count; i++) {
		if((conf->mainland[i][0] | 0x20) == (code[0] | 0x20) &&
			(conf->mainland[i][1] | 0x20) == (code[1] | 0x20) &&
			is_letter(code[0]) && is_letter(code[1]))
			return 1;
	}
	return 0;
}
