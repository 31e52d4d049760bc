/*
 * netaddr.c - client addresses and subnets given on the command line.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netaddr.h"

void
addr_mask(uint8_t *addr, int family, int prefix)
{
	int bytes = family == 4 ? 4 : 16, i;
	for(i = 0; i < bytes; i++) {
		int keep = prefix - i * 8;
		if(keep >= 8)
			continue;
		addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));
	}
}

void
addr_format(int family, const uint8_t *addr, char *out)
{
	if(inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out,
		NETADDR_TEXT_MAX) == NULL)
		snprintf(out, NETADDR_TEXT_MAX, "?");
}

int
client_subnet_parse(const char *text, struct client_subnet *c, char *err)
{
	char buf[NETADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	memset(c, 0, sizeof(*c));
	if(alen == 0 || alen >= sizeof(buf)) {
		snprintf(err, 160, "bad address '%s'", text);
		return -1;
	}
	memcpy(buf, text, alen);
	buf[alen] = 0;
	if(inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = 4;
	} else if(inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = 6;
	} else {
		snprintf(err, 160, "bad address '%s'", buf);
		return -1;
	}
	c->prefix = c->family == 4 ? 32 : 128;
	if(slash != NULL) {
		char *end;
		long len = strtol(slash + 1, &end, 10);
		if(slash[1] < '0' || slash[1] > '9' || *end != 0 || len < 0 ||
			len > c->prefix) {
			snprintf(err, 160, "bad prefix length in '%s' "
				"(0..%d)", text, c->prefix);
			return -1;
		}
		c->prefix = (int)len;
		c->has_prefix = 1;
		addr_mask(c->addr, c->family, c->prefix);
	}
	return 0;
}
