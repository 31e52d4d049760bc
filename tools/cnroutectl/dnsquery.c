/*
 * dnsquery.c - real DNS questions to a resolver, and their answers read
 * against the pools of a rule (see dnsquery.h).
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "cnroute/ecs.h"
#include "dnsquery.h"

int
dns_server_parse(const char *text, struct dns_server *sv)
{
	const char *colon = strrchr(text, ':');
	size_t len;
	unsigned char tmp[16];
	sv->port = 53;
	if(text[0] == '[') {
		const char *close = strchr(text, ']');
		if(close == NULL || (close[1] != 0 && close[1] != ':'))
			return -1;
		len = (size_t)(close - text - 1);
		if(close[1] == ':')
			colon = close + 1;
		else
			colon = NULL;
		text++;
	} else if(colon != NULL && strchr(text, ':') != colon) {
		colon = NULL; /* a bare IPv6 address */
		len = strlen(text);
	} else {
		len = colon ? (size_t)(colon - text) : strlen(text);
	}
	if(len == 0 || len >= sizeof(sv->addr))
		return -1;
	memcpy(sv->addr, text, len);
	sv->addr[len] = 0;
	if(colon != NULL) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if(*end != 0 || p < 1 || p > 65535)
			return -1;
		sv->port = (uint16_t)p;
	}
	if(inet_pton(AF_INET, sv->addr, tmp) != 1 &&
		inet_pton(AF_INET6, sv->addr, tmp) != 1)
		return -1;
	return 0;
}

void
dns_server_format(const struct dns_server *sv, char *out)
{
	if(strchr(sv->addr, ':') != NULL)
		snprintf(out, DNS_SERVER_TEXT_MAX, "[%s]:%u", sv->addr,
			(unsigned)sv->port);
	else
		snprintf(out, DNS_SERVER_TEXT_MAX, "%s:%u", sv->addr,
			(unsigned)sv->port);
}

ldns_pkt *
dns_query_build(const char *name, ldns_rr_type type,
	const struct client_subnet *c)
{
	uint8_t opt[4 + ECS_MAX_DATA];
	size_t alen = ((size_t)c->prefix + 7) / 8;
	ldns_rdf *qname = ldns_dname_new_frm_str(name);
	ldns_pkt *q;
	if(qname == NULL)
		return NULL;
	q = ldns_pkt_query_new(qname, type, LDNS_RR_CLASS_IN, LDNS_RD);
	if(q == NULL)
		return NULL;
	/* option code 8, length, family, source prefix, scope 0, address */
	opt[0] = 0;
	opt[1] = ECS_OPTION_CODE;
	opt[2] = 0;
	opt[3] = (uint8_t)(4 + alen);
	opt[4] = 0;
	opt[5] = c->family == 4 ? 1 : 2;
	opt[6] = (uint8_t)c->prefix;
	opt[7] = 0;
	memcpy(opt + 8, c->addr, alen);
	ldns_pkt_set_edns_udp_size(q, 1232);
	ldns_pkt_set_edns_data(q, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
		8 + alen, opt));
	ldns_pkt_set_random_id(q);
	return q;
}

ldns_pkt *
dns_query_send(const struct dns_server *sv, ldns_pkt *q, unsigned timeout_ms,
	unsigned tries, char *err)
{
	ldns_resolver *res = ldns_resolver_new();
	ldns_rdf *ns;
	ldns_pkt *reply = NULL;
	struct timeval tv;
	ldns_status st;
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	if(res == NULL) {
		snprintf(err, DNS_ERR_MAX, "out of memory");
		return NULL;
	}
	ns = ldns_rdf_new_frm_str(strchr(sv->addr, ':') ? LDNS_RDF_TYPE_AAAA :
		LDNS_RDF_TYPE_A, sv->addr);
	if(ns == NULL || ldns_resolver_push_nameserver(res, ns) !=
		LDNS_STATUS_OK) {
		snprintf(err, DNS_ERR_MAX, "bad address %s", sv->addr);
		ldns_rdf_deep_free(ns);
		ldns_resolver_deep_free(res);
		return NULL;
	}
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(res, sv->port);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, (uint8_t)(tries ? tries : 1));
	ldns_resolver_set_fallback(res, true);
	st = ldns_resolver_send_pkt(&reply, res, q);
	if(st != LDNS_STATUS_OK) {
		snprintf(err, DNS_ERR_MAX, "no answer from %s port %u: %s",
			sv->addr, (unsigned)sv->port,
			ldns_get_errorstr_by_id(st));
		reply = NULL;
	}
	ldns_resolver_deep_free(res);
	return reply;
}

int
dns_reply_scope(ldns_pkt *reply)
{
	ldns_rdf *data = ldns_pkt_edns_data(reply);
	const uint8_t *p;
	size_t len, off = 0;
	if(data == NULL)
		return -1;
	p = ldns_rdf_data(data);
	len = ldns_rdf_size(data);
	while(off + 4 <= len) {
		uint16_t code = (uint16_t)(p[off] << 8 | p[off + 1]);
		uint16_t olen = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		if(off + 4 + olen > len)
			break;
		if(code == ECS_OPTION_CODE && olen >= 4)
			return p[off + 4 + 3];
		off += 4 + (size_t)olen;
	}
	return -1;
}

/** 1 if an rdf holds the same name as a canonical wire name. */
static int
rdf_name_is(const ldns_rdf *rdf, const uint8_t *wire, size_t len)
{
	uint8_t canon[DNAME_MAX_WIRE];
	size_t clen;
	if(dname_canonicalize(ldns_rdf_data(rdf), ldns_rdf_size(rdf), canon,
		&clen) != 0)
		return 0;
	return clen == len && memcmp(canon, wire, len) == 0;
}

void
dns_answer_view(ldns_pkt *reply, const uint8_t *qname, size_t qlen,
	ldns_rr_type type, struct dns_answer *v)
{
	ldns_rr_list *ans = ldns_pkt_answer(reply);
	size_t i;
	memset(v, 0, sizeof(*v));
	v->alen = type == LDNS_RR_TYPE_A ? 4 : 16;
	for(i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		if(rd == NULL || !rdf_name_is(ldns_rr_owner(rr), qname, qlen))
			continue;
		if(ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
			size_t l;
			if(dname_canonicalize(ldns_rdf_data(rd),
				ldns_rdf_size(rd), v->cname, &l) == 0)
				v->has_cname = 1;
		} else if(ldns_rr_get_type(rr) == type && v->count < DNS_ANSWER_ADDRS &&
			ldns_rdf_size(rd) == v->alen) {
			memcpy(v->addrs[v->count++], ldns_rdf_data(rd),
				v->alen);
		}
	}
}

int
dns_pool_matches(const struct pool *p, const struct dns_answer *v)
{
	const uint8_t *list;
	size_t n, i, j;
	if(p->kind == POOL_CNAME)
		return v->has_cname && dname_length(v->cname) ==
			p->cname_len && memcmp(v->cname, p->cname,
			p->cname_len) == 0;
	if(p->kind != POOL_ADDRESSES || v->has_cname)
		return 0;
	list = v->alen == 4 ? p->v4 : p->v6;
	n = v->alen == 4 ? p->v4_count : p->v6_count;
	if(n != v->count)
		return 0;
	for(i = 0; i < v->count; i++) {
		int found = 0;
		for(j = 0; j < n && !found; j++)
			found = memcmp(v->addrs[i], list + j * v->alen,
				v->alen) == 0;
		if(!found)
			return 0;
	}
	return 1;
}
