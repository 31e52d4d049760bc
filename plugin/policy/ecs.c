/*
 * ecs.c - EDNS Client Subnet option (RFC 7871), option code 8.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The option decides which pool a client gets, so a malformed one is
 * refused (FORMERR) rather than guessed at: RFC 7871 section 7.1.1.
 */
#include "cnroute/ecs.h"

#include <string.h>

/** Address family numbers (IANA) used by ECS. */
#define ECS_FAMILY_IPV4 1
#define ECS_FAMILY_IPV6 2
/** Bytes of family, source prefix and scope prefix before the address. */
#define ECS_HEADER_LEN 4

/** Address bytes of a family, or 0 for an unknown family. */
static size_t
family_addr_len(uint16_t family)
{
	switch(family) {
	case ECS_FAMILY_IPV4:
		return 4;
	case ECS_FAMILY_IPV6:
		return 16;
	default:
		return 0;
	}
}

/** Bytes needed for a prefix of the given length: ceil(prefix / 8). */
static size_t
prefix_bytes(unsigned prefix)
{
	return (prefix + 7) / 8;
}

int
ecs_parse(const uint8_t *data, size_t len, struct ecs_option *ecs)
{
	size_t addr_max, addr_len;

	if(data == NULL || len < ECS_HEADER_LEN)
		return -1;
	memset(ecs, 0, sizeof(*ecs));
	ecs->family = (uint16_t)((data[0] << 8) | data[1]);
	ecs->source_prefix = data[2];
	ecs->scope_prefix = data[3];
	addr_max = family_addr_len(ecs->family);
	if(addr_max == 0)
		return -1; /* unknown family */
	if(ecs->source_prefix > addr_max * 8)
		return -1;
	if(ecs->scope_prefix != 0)
		return -1; /* a query must send scope 0 */
	addr_len = prefix_bytes(ecs->source_prefix);
	if(len - ECS_HEADER_LEN != addr_len)
		return -1;
	memcpy(ecs->addr, data + ECS_HEADER_LEN, addr_len);
	if(ecs->source_prefix % 8 != 0) {
		/* Bits past the source prefix must be zero: a client that
		 * sets them is hiding more of its address than it claims. */
		uint8_t mask = (uint8_t)(0xff >> (ecs->source_prefix % 8));
		if(ecs->addr[addr_len - 1] & mask)
			return -1;
	}
	return 0;
}

size_t
ecs_write(const struct ecs_option *ecs, uint8_t scope, uint8_t *out)
{
	size_t addr_max = family_addr_len(ecs->family);
	unsigned source = ecs->source_prefix;
	size_t addr_len;

	/* Defensive: never write past ECS_MAX_DATA for an option that did
	 * not come from ecs_parse. */
	if(addr_max == 0)
		addr_max = 16;
	if(source > addr_max * 8)
		source = (unsigned)(addr_max * 8);
	/* A scope longer than the address means nothing; cap it. */
	if(scope > addr_max * 8)
		scope = (uint8_t)(addr_max * 8);
	addr_len = prefix_bytes(source);
	out[0] = (uint8_t)(ecs->family >> 8);
	out[1] = (uint8_t)(ecs->family & 0xff);
	out[2] = (uint8_t)source;
	out[3] = scope;
	memcpy(out + ECS_HEADER_LEN, ecs->addr, addr_len);
	if(source % 8 != 0)
		out[ECS_HEADER_LEN + addr_len - 1] &=
			(uint8_t)(0xff << (8 - source % 8));
	return ECS_HEADER_LEN + addr_len;
}
