/*
 * geoip.h - where a client is: country and network from a MaxMind-format
 * database (libmaxminddb).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The database is memory-mapped once and only read afterwards, so lookups
 * from any number of threads need no lock. Databases differ in where the
 * country code sits ("country.iso_code" in MaxMind's, "country_code" in
 * ip-location-db's), so the field path is configuration.
 */
#ifndef CNROUTE_GEOIP_H
#define CNROUTE_GEOIP_H

#include <stddef.h>
#include <stdint.h>

/** Size of the error buffer geoip_open writes into. */
#define GEOIP_ERR_MAX 512
/** Most components in a field path. */
#define GEOIP_MAX_PATH 8

struct geoip;

/** Result of a lookup. */
struct geoip_location {
	/** two-letter code, upper case, NUL terminated; "" when unknown */
	char country[3];
	/** prefix length of the database network the address fell in, in
	 *  the address's own family (0..32 or 0..128) */
	int prefix;
	/** 1 when the database had a record for the address */
	int found;
};

/**
 * Open a database.
 * @param path: the .mmdb file.
 * @param field: field path, components separated by '.'.
 * @param err: out, message naming the file on failure.
 * @return the handle or NULL.
 */
struct geoip *geoip_open(const char *path, const char *field, char *err);

/** Close a database. */
void geoip_close(struct geoip *g);

/**
 * Look an address up.
 * @param g: the database.
 * @param family: 4 or 6.
 * @param addr: 4 or 16 bytes, network order.
 * @param loc: out. On any error loc is "unknown" (country "", found 0)
 *	and prefix is the full address length.
 * @return 0, or -1 on a database error (loc still filled as unknown).
 */
int geoip_locate(const struct geoip *g, int family, const uint8_t *addr,
	struct geoip_location *loc);

/** Entries of a lookup cache (a power of two). */
#define GEOIP_CACHE_SIZE 256

/** One remembered lookup. */
struct geoip_cache_entry {
	/** id of the database it came from (0: empty) */
	unsigned long db_id;
	/** 4 or 6 */
	int family;
	/** the address looked up (4 or 16 bytes used) */
	uint8_t addr[16];
	/** its result */
	struct geoip_location loc;
};

/**
 * A small cache of lookups, direct-mapped by address, for one thread
 * (it has no lock). Queries come in runs from the same addresses: the
 * resolvers that forward to us, or the same client subnet in their ECS
 * option. A hit saves the tree walk and the record decoding. Entries
 * carry the id of the database they came from, so a cache that outlives
 * a database (a reload) never answers for the new one. Zero-initialised
 * memory is an empty cache.
 */
struct geoip_cache {
	/** the entries */
	struct geoip_cache_entry entries[GEOIP_CACHE_SIZE];
	/** lookups answered from the cache, and from the database (the
	 *  owning thread's; the module publishes them as metrics) */
	uint64_t hits, misses;
};

/**
 * geoip_locate through a cache: the same result, from the cache when the
 * address was looked up in the same database before. Database errors are
 * not remembered.
 */
int geoip_locate_cached(const struct geoip *g, struct geoip_cache *cache,
	int family, const uint8_t *addr, struct geoip_location *loc);

#endif /* CNROUTE_GEOIP_H */
