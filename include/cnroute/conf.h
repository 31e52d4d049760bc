/*
 * conf.h - the cnroute.conf file, shared by the module and the CLI.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Format: "key: value" lines, '#' starts a comment, blank lines ignored,
 * values may be double-quoted; the same look as unbound.conf. Any problem
 * (unknown key, bad value, key given twice) is reported as
 * "FILE:LINE: KEY: what is wrong" and the whole file is refused.
 */
#ifndef CNROUTE_CONF_H
#define CNROUTE_CONF_H

#include <stddef.h>
#include <stdint.h>

/** Default path of the configuration file. */
#define CNROUTE_CONF_DEFAULT "/etc/unbound/cnroute.conf"
/** Environment variable that overrides the default path. */
#define CNROUTE_CONF_ENV "CNROUTE_CONF"
/** Size of the error buffer conf_read writes into. */
#define CONF_ERR_MAX 512
/** Most mainland country codes. */
#define CONF_MAX_COUNTRIES 16
/** Most addresses in a list (redis-server, redis-sentinel). */
#define CONF_MAX_SERVERS 16
/** Most resolvers in fleet-resolvers. */
#define CONF_MAX_RESOLVERS 64

/** One address of a list: a host and a port, or a unix socket. */
struct conf_server {
	/** host name or address (IPv6 without brackets), NULL for unix */
	char *host;
	/** TCP (or, for resolvers, UDP/TCP) port */
	int port;
	/** unix socket path, or NULL */
	char *unix_path;
};

/** How EDNS Client Subnet options from clients are treated. */
enum ecs_mode {
	/** locate the client by the ECS address when there is one */
	ECS_USE = 0,
	/** always locate the client by its own address */
	ECS_IGNORE
};

/** The parsed configuration. Strings are malloced (conf_free). */
struct cnroute_conf {
	/** the Redis servers the module reads, in order of preference */
	struct conf_server redis_servers[CONF_MAX_SERVERS];
	/** number of redis_servers, at least 1 */
	int redis_server_count;
	/** where the CLI writes (redis-primary), host NULL: not set */
	struct conf_server redis_primary;
	/** Sentinels the CLI asks for the primary (redis-sentinel) */
	struct conf_server redis_sentinels[CONF_MAX_SERVERS];
	/** number of redis_sentinels, 0: no Sentinel */
	int redis_sentinel_count;
	/** the name Sentinel knows the primary by, or NULL */
	char *redis_sentinel_master;
	/** ACL user name (AUTH user password), or NULL: the default user */
	char *redis_user;
	/** whether the module may set notify-keyspace-events on the
	 *  server when it falls back to keyspace notifications */
	int redis_notify_config;
	/** whether the module answers the fleet status question */
	int fleet_status;
	/** the resolvers of the fleet, for cnroutectl fleet (port 53 by
	 *  default) */
	struct conf_server fleet_resolvers[CONF_MAX_RESOLVERS];
	/** number of fleet_resolvers */
	int fleet_resolver_count;
	/** file holding the Redis password, or NULL */
	char *redis_password_file;
	/** the password read from that file, or NULL */
	char *redis_password;
	/** Redis logical database number */
	int redis_db;
	/** prefix of every key, e.g. "cnroute:" */
	char *key_prefix;
	/** path of the MaxMind-format database */
	char *geoip_db;
	/** line of the geoip-db key, for messages about the database */
	int geoip_db_line;
	/** path of the country code inside a record, e.g. "country.iso_code" */
	char *geoip_field;
	/** mainland country codes, upper case, two letters each */
	char mainland[CONF_MAX_COUNTRIES][3];
	/** number of mainland country codes */
	int mainland_count;
	/** EDNS Client Subnet handling */
	enum ecs_mode ecs;
	/** cap on the TTL of steered answers, seconds */
	uint32_t answer_ttl_max;
	/** full reconciliation with Redis every this many seconds */
	uint32_t resync_interval;
	/** after Redis has been unreachable this many seconds, the table is
	 *  stale and nobody gets the CN pool; 0 keeps the table forever */
	uint32_t max_stale;
	/** deprecated: file the counters are written to every second as
	 *  "name=value" lines (names frozen), or NULL; see metrics_file */
	char *stats_file;
	/** file the table is saved to and started from, or NULL (off) */
	char *snapshot_file;
	/** file the metrics are written to every second in the Prometheus
	 *  text format (node_exporter's textfile collector), or NULL */
	char *metrics_file;
};

/** Fill conf with the defaults (geoip_db stays NULL: it is required). */
int conf_defaults(struct cnroute_conf *conf);

/**
 * Read and check a configuration file.
 * @param path: file to read.
 * @param conf: out; defaults are applied first. Free with conf_free.
 * @param err: out, "FILE:LINE: KEY: message" on failure (CONF_ERR_MAX).
 * @return 0 or -1.
 */
int conf_read(const char *path, struct cnroute_conf *conf, char *err);

/**
 * Read a configuration from a memory buffer (used by conf_read, the unit
 * tests and the fuzz target). name is used in messages in place of a path.
 */
int conf_parse_buffer(const char *name, const char *text, size_t len,
	struct cnroute_conf *conf, char *err);

/** The path to use: explicit if not NULL, else $CNROUTE_CONF, else the default. */
const char *conf_path(const char *explicit_path);

/** Free the strings of a configuration. */
void conf_free(struct cnroute_conf *conf);

/**
 * Parse one address: "unix:/path" (when allow_unix), "[IPv6]:PORT",
 * "HOST:PORT" or "HOST" (default_port).
 * @param out: filled with malloced strings (conf_server_free).
 * @param err: a message without position (at least 200 bytes), on failure.
 * @return 0 or -1.
 */
int conf_server_parse(const char *text, size_t len, int default_port,
	int allow_unix, struct conf_server *out, char *err, size_t err_size);

/** Free the strings of an address (and zero it). */
void conf_server_free(struct conf_server *server);

/**
 * The address written as in the configuration ("host:port", "[v6]:port",
 * "unix:/path") into buf.
 */
void conf_server_format(const struct conf_server *server, char *buf,
	size_t size);

/** 1 if the two-letter code (any case) is a mainland country of conf. */
int conf_is_mainland(const struct cnroute_conf *conf, const char *code,
	size_t len);

#endif /* CNROUTE_CONF_H */
