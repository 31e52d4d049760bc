/*
 * dnsquery.h - real DNS questions to a resolver (ldns), with an ECS
 * option for a client subnet, and the reading of their answers; shared
 * by "probe" and "fleet".
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * probe asks one resolver once; fleet asks many, again and again, and
 * must tell an answer from the pool of a rule the same way probe does,
 * so both use these.
 */
#ifndef CNROUTECTL_DNSQUERY_H
#define CNROUTECTL_DNSQUERY_H

#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>
#include "cnroute/dname.h"
#include "cnroute/record.h"
#include "netaddr.h"

/** A resolver to ask: an address (text) and a port. */
struct dns_server {
	/** address text, IPv6 without brackets */
	char addr[NETADDR_TEXT_MAX];
	/** port */
	uint16_t port;
};

/** Size of the text of a dns_server ("[v6]:port"). */
#define DNS_SERVER_TEXT_MAX (NETADDR_TEXT_MAX + 8)

/** Size of a dns_query_send error message. */
#define DNS_ERR_MAX 256

/**
 * Parse ADDR, ADDR:PORT, [V6]:PORT or V6 (port 53 by default).
 * @return 0 or -1.
 */
int dns_server_parse(const char *text, struct dns_server *sv);

/** The server as "ADDR:PORT" or "[V6]:PORT" (DNS_SERVER_TEXT_MAX). */
void dns_server_format(const struct dns_server *sv, char *out);

/**
 * Build a class IN query with RD and an ECS option for the client subnet
 * (a bare address is sent as a full-length subnet).
 * @return the packet or NULL.
 */
ldns_pkt *dns_query_build(const char *name, ldns_rr_type type,
	const struct client_subnet *c);

/**
 * Send a query over UDP (TCP when the reply is truncated).
 * @param timeout_ms: how long to wait for each try.
 * @param tries: how many times to send it (1: no retry).
 * @param err: DNS_ERR_MAX bytes, why there is no reply.
 * @return the reply or NULL.
 */
ldns_pkt *dns_query_send(const struct dns_server *sv, ldns_pkt *q,
	unsigned timeout_ms, unsigned tries, char *err);

/** The scope of the ECS option in a reply, or -1 without one. */
int dns_reply_scope(ldns_pkt *reply);

/** Most addresses of one answer kept by dns_answer_view. */
#define DNS_ANSWER_ADDRS 64

/** What the answer holds for the query name. */
struct dns_answer {
	/** CNAME target (canonical wire), when the name's answer is a
	 *  CNAME */
	uint8_t cname[DNAME_MAX_WIRE];
	/** whether there is one */
	int has_cname;
	/** addresses of the asked type owned by the name */
	uint8_t addrs[DNS_ANSWER_ADDRS][16];
	/** their number */
	size_t count;
	/** address length (4 or 16) */
	size_t alen;
};

/** Collect the answer for the query name (canonical wire). */
void dns_answer_view(ldns_pkt *reply, const uint8_t *qname, size_t qlen,
	ldns_rr_type type, struct dns_answer *v);

/** 1 if the answer is exactly what a pool would give. */
int dns_pool_matches(const struct pool *p, const struct dns_answer *v);

#endif /* CNROUTECTL_DNSQUERY_H */
