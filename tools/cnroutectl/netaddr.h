/*
 * netaddr.h - client addresses and subnets given on the command line.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#ifndef CNROUTECTL_NETADDR_H
#define CNROUTECTL_NETADDR_H

#include <stdint.h>

/** Size of a printed address, with "/128" and a NUL. */
#define NETADDR_TEXT_MAX 64

/** ADDR or ADDR/LEN from the command line. */
struct client_subnet {
	/** 4 or 6 */
	int family;
	/** the address, masked to prefix when has_prefix (4 or 16 bytes) */
	uint8_t addr[16];
	/** prefix length (the full length when !has_prefix) */
	int prefix;
	/** 1 when "/LEN" was given: an ECS-style subnet */
	int has_prefix;
};

/**
 * Parse "ADDR" or "ADDR/LEN". The address is masked to LEN, as an ECS
 * option carries it (RFC 7871 sends no bits past the source prefix).
 * @param err: 160 bytes.
 * @return 0 or -1.
 */
int client_subnet_parse(const char *text, struct client_subnet *c, char *err);

/** Zero the bits of addr past prefix. */
void addr_mask(uint8_t *addr, int family, int prefix);

/** Print an address (no prefix) into out (NETADDR_TEXT_MAX). */
void addr_format(int family, const uint8_t *addr, char *out);

#endif /* CNROUTECTL_NETADDR_H */
