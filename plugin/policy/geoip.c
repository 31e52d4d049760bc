/*
 * geoip.c - client location from a MaxMind-format database.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <maxminddb.h>
#include "cnroute/geoip.h"

/** An open database and the parsed field path. */
struct geoip {
	/** the libmaxminddb handle (memory-mapped, read-only after open) */
	MMDB_s mmdb;
	/** copy of the field path with '.' replaced by NULs */
	char *field_buf;
	/** pointers into field_buf, NULL terminated, for MMDB_aget_value */
	const char *path[GEOIP_MAX_PATH + 1];
	/** unique among the databases this process opened (never 0) */
	unsigned long id;
};

/** The id the next opened database gets. */
static atomic_ulong geoip_next_id = 1;

/**
 * Split "country.iso_code" into the component array libmaxminddb takes.
 * @return 0 or -1 for an empty component or too many.
 */
static int
geoip_split_field(struct geoip *g, const char *field)
{
	char *p;
	int n = 0;
	g->field_buf = strdup(field);
	if(!g->field_buf)
		return -1;
	p = g->field_buf;
	while(1) {
		char *dot = strchr(p, '.');
		if(dot)
			*dot = 0;
		if(*p == 0 || n >= GEOIP_MAX_PATH)
			return -1;
		g->path[n++] = p;
		if(!dot)
			break;
		p = dot + 1;
	}
	g->path[n] = NULL;
	return 0;
}

struct geoip *
geoip_open(const char *path, const char *field, char *err)
{
	struct geoip *g = calloc(1, sizeof(*g));
	int status;
	if(!g) {
		snprintf(err, GEOIP_ERR_MAX, "%s: out of memory", path);
		return NULL;
	}
	if(geoip_split_field(g, field) != 0) {
		snprintf(err, GEOIP_ERR_MAX, "geoip-field '%s': bad field path",
			field);
		free(g->field_buf);
		free(g);
		return NULL;
	}
	status = MMDB_open(path, MMDB_MODE_MMAP, &g->mmdb);
	if(status != MMDB_SUCCESS) {
		snprintf(err, GEOIP_ERR_MAX, "%s: cannot open GeoIP database: %s%s%s",
			path, MMDB_strerror(status),
			status == MMDB_IO_ERROR ? ": " : "",
			status == MMDB_IO_ERROR ? strerror(errno) : "");
		free(g->field_buf);
		free(g);
		return NULL;
	}
	g->id = atomic_fetch_add(&geoip_next_id, 1);
	return g;
}

void
geoip_close(struct geoip *g)
{
	if(!g)
		return;
	MMDB_close(&g->mmdb);
	free(g->field_buf);
	free(g);
}

/** Fill loc as "unknown" for an address of the given family. */
static void
geoip_unknown(struct geoip_location *loc, int family)
{
	loc->country[0] = 0;
	loc->found = 0;
	loc->prefix = family == 4 ? 32 : 128;
}

int
geoip_locate(const struct geoip *g, int family, const uint8_t *addr,
	struct geoip_location *loc)
{
	struct sockaddr_storage ss;
	MMDB_lookup_result_s res;
	MMDB_entry_data_s data;
	int mmdb_error = 0;

	geoip_unknown(loc, family);
	memset(&ss, 0, sizeof(ss));
	if(family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
	} else if(family == 6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
	} else {
		return -1;
	}
	/* MMDB_lookup_sockaddr only reads the mapped file: safe from any
	 * thread without a lock. */
	res = MMDB_lookup_sockaddr((MMDB_s *)&g->mmdb,
		(const struct sockaddr *)&ss, &mmdb_error);
	if(mmdb_error != MMDB_SUCCESS)
		return -1;
	/* The netmask counts bits in the database's tree; an IPv4 address in
	 * an IPv6 tree sits below ::/96, so 96 of them are not the
	 * address's own. */
	loc->prefix = res.netmask;
	if(family == 4 && g->mmdb.metadata.ip_version == 6)
		loc->prefix = res.netmask >= 96 ? res.netmask - 96 : 0;
	if(!res.found_entry)
		return 0;
	if(MMDB_aget_value(&res.entry, &data, (const char *const *)g->path)
		!= MMDB_SUCCESS)
		return -1;
	if(!data.has_data || data.type != MMDB_DATA_TYPE_UTF8_STRING ||
		data.data_size != 2)
		return 0;
	loc->country[0] = data.utf8_string[0];
	loc->country[1] = data.utf8_string[1];
	loc->country[2] = 0;
	if(loc->country[0] >= 'a' && loc->country[0] <= 'z')
		loc->country[0] -= 'a' - 'A';
	if(loc->country[1] >= 'a' && loc->country[1] <= 'z')
		loc->country[1] -= 'a' - 'A';
	loc->found = 1;
	return 0;
}

/** Cache slot of an address: a multiplicative hash of its words. */
static size_t
geoip_cache_index(int family, const uint8_t *addr)
{
	uint32_t h = (uint32_t)family, w;
	size_t i, len = family == 4 ? 4 : 16;

	for(i = 0; i < len; i += 4) {
		memcpy(&w, addr + i, 4);
		h = (h ^ w) * 2654435761u;
	}
	return (size_t)(h >> 24) & (GEOIP_CACHE_SIZE - 1);
}

int
geoip_locate_cached(const struct geoip *g, struct geoip_cache *cache,
	int family, const uint8_t *addr, struct geoip_location *loc)
{
	struct geoip_cache_entry *e;
	size_t len = family == 4 ? 4 : 16;
	int r;

	if(family != 4 && family != 6)
		return geoip_locate(g, family, addr, loc);
	e = &cache->entries[geoip_cache_index(family, addr)];
	if(e->db_id == g->id && e->family == family &&
		memcmp(e->addr, addr, len) == 0) {
		cache->hits++;
		*loc = e->loc;
		return 0;
	}
	cache->misses++;
	r = geoip_locate(g, family, addr, loc);
	if(r == 0) {
		e->db_id = g->id;
		e->family = family;
		memcpy(e->addr, addr, len);
		e->loc = *loc;
	}
	return r;
}
