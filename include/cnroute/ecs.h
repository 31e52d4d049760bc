/*
 * ecs.h - EDNS Client Subnet option (RFC 7871), option code 8.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Parses the option data a client sent and writes the one we send back.
 * Plain bytes in, plain bytes out: no resolver types, so it can be fuzzed.
 */
#ifndef CNROUTE_ECS_H
#define CNROUTE_ECS_H

#include <stddef.h>
#include <stdint.h>

/** EDNS option code of Client Subnet. */
#define ECS_OPTION_CODE 8
/** Largest option data: 4 bytes of header and an IPv6 address. */
#define ECS_MAX_DATA 20

/** A parsed ECS option. */
struct ecs_option {
	/** address family: 1 IPv4, 2 IPv6 */
	uint16_t family;
	/** source prefix length */
	uint8_t source_prefix;
	/** scope prefix length */
	uint8_t scope_prefix;
	/** the address, zero-filled past source_prefix (4 or 16 bytes used) */
	uint8_t addr[16];
};

/**
 * Parse option data from a query. Rejects, as RFC 7871 section 7.1.1
 * asks (FORMERR): unknown family, source prefix longer than the family's
 * address, non-zero scope prefix, an address length other than
 * ceil(source/8), and address bits set beyond the source prefix.
 * @param data: option data (after code and length).
 * @param len: its length.
 * @param ecs: out.
 * @return 0 or -1 when malformed.
 */
int ecs_parse(const uint8_t *data, size_t len, struct ecs_option *ecs);

/**
 * Write option data for a reply: the query's family, source prefix and
 * address with the given scope prefix.
 * @param ecs: the option from the query.
 * @param scope: scope prefix length to send.
 * @param out: buffer of ECS_MAX_DATA bytes.
 * @return length written.
 */
size_t ecs_write(const struct ecs_option *ecs, uint8_t scope, uint8_t *out);

#endif /* CNROUTE_ECS_H */
