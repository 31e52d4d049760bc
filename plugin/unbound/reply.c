/*
 * reply.c - steered replies built in the query's region.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The layout follows dns64/dns64.c: a packed rrset is one allocation
 * holding struct packed_rrset_data, then rr_len[], rr_data[], rr_ttl[]
 * and the rdata (each with its 2-byte rdlength). Nothing is parsed here:
 * the addresses and names come prepared from the steering table.
 */
#include "config.h"
#include <string.h>
#include "cnroute_module.h"
#include "services/cache/dns.h"
#include "util/data/msgreply.h"
#include "util/data/packed_rrset.h"
#include "util/net_help.h"
#include "util/regional.h"
#include "sldns/rrdef.h"
#include "sldns/sbuffer.h"

/**
 * Allocate an rrset of count records of rdlen bytes each (rdlength not
 * counted), owned by name, with the TTL of the decision. The caller
 * fills the rdata after the 2-byte lengths set here.
 * @param name: the owner; must live in the query's region (or as long).
 */
static struct ub_packed_rrset_key *
reply_rrset_new(struct module_qstate *qstate, uint8_t *name, size_t name_len,
	uint16_t type, size_t count, size_t rdlen, uint32_t ttl)
{
	struct ub_packed_rrset_key *key;
	struct packed_rrset_data *data;
	size_t i;
	/* one allocation: the key, then the data (the key's size keeps the
	 * data aligned); only the structs need zeroing, the arrays after
	 * the data are all written below */
	key = regional_alloc(qstate->region, sizeof(*key) + sizeof(*data) +
		count * (sizeof(size_t) + sizeof(uint8_t *) + sizeof(time_t) +
		2 + rdlen));
	if(!key)
		return NULL;
	_Static_assert(sizeof(*key) % sizeof(void *) == 0,
		"the data after the key must stay aligned");
	data = (struct packed_rrset_data *)(key + 1);
	memset(key, 0, sizeof(*key));
	memset(data, 0, sizeof(*data));
	/* the name lives in the same region as the reply, for as long as
	 * the reply: no copy needed */
	key->rk.dname = name;
	key->rk.dname_len = name_len;
	key->rk.type = htons(type);
	key->rk.rrset_class = htons(qstate->qinfo.qclass);
	key->entry.key = key;
	key->entry.data = data;
	data->ttl = ttl;
	data->count = count;
	data->rrsig_count = 0;
	data->trust = rrset_trust_auth_noAA;
	data->security = sec_status_insecure;
	/* the lengths must be in place before the fixup computes where
	 * each rdata starts */
	data->rr_len = (size_t *)((uint8_t *)data + sizeof(*data));
	for(i = 0; i < count; i++)
		data->rr_len[i] = 2 + rdlen;
	packed_rrset_ptr_fixup(data);
	for(i = 0; i < count; i++) {
		data->rr_ttl[i] = ttl;
		sldns_write_uint16(data->rr_data[i], (uint16_t)rdlen);
	}
	/* entry.hash stays 0: the key of a cache entry, and these RRsets
	 * are never stored (hashing the name cost 5 % of a CNAME pool's
	 * answer) */
	return key;
}

/**
 * A message for the query with room for an answer rrsets, flags of a
 * recursive answer (QR, RA, RD as asked) and the given rcode.
 */
static struct dns_msg *
reply_msg_new(struct module_qstate *qstate, size_t an, uint32_t ttl,
	int rcode)
{
	struct dns_msg *msg = regional_alloc_zero(qstate->region, sizeof(*msg));
	uint16_t flags = BIT_QR | BIT_RA | (qstate->query_flags & BIT_RD);
	if(!msg)
		return NULL;
	msg->qinfo = qstate->qinfo;
	FLAGS_SET_RCODE(flags, rcode);
#if CNROUTE_UB_VERSION >= 12601
	msg->rep = construct_reply_info_base(qstate->region, flags, 1, ttl,
		ttl, ttl, 0, an, 0, 0, an, sec_status_insecure, LDNS_EDE_NONE);
#else
	msg->rep = construct_reply_info_base(qstate->region, flags, 1, ttl,
		ttl, ttl, an, 0, 0, an, sec_status_insecure);
#endif
	if(!msg->rep)
		return NULL;
	/* not authoritative: the answer is a resolver's choice, and AA would
	 * be stripped anyway unless rep->authoritative is set */
	msg->rep->authoritative = 0;
	return msg;
}

struct ub_packed_rrset_key *
cnroute_rrset_addresses(struct module_qstate *qstate, uint8_t *name,
	size_t name_len, const struct steering_decision *d)
{
	uint16_t type = d->addr_len == 16 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A;
	struct ub_packed_rrset_key *rrset;
	struct packed_rrset_data *data;
	size_t i;

	rrset = reply_rrset_new(qstate, name, name_len, type, d->addr_count,
		d->addr_len, d->ttl);
	if(!rrset)
		return NULL;
	data = rrset->entry.data;
	for(i = 0; i < d->addr_count; i++)
		memcpy(data->rr_data[i] + 2, d->addrs + i * d->addr_len,
			d->addr_len);
	return rrset;
}

struct dns_msg *
cnroute_reply_addresses(struct module_qstate *qstate,
	const struct steering_decision *d)
{
	struct dns_msg *msg;
	struct ub_packed_rrset_key *rrset;

	if(d->addr_count == 0)
		return reply_msg_new(qstate, 0, d->ttl, LDNS_RCODE_NOERROR);
	msg = reply_msg_new(qstate, 1, d->ttl, LDNS_RCODE_NOERROR);
	if(!msg)
		return NULL;
	rrset = cnroute_rrset_addresses(qstate, qstate->qinfo.qname,
		qstate->qinfo.qname_len, d);
	if(!rrset)
		return NULL;
	msg->rep->rrsets[0] = rrset;
	return msg;
}

struct ub_packed_rrset_key *
cnroute_rrset_cname(struct module_qstate *qstate, uint8_t *name,
	size_t name_len, const struct steering_decision *d)
{
	struct ub_packed_rrset_key *rrset = reply_rrset_new(qstate, name,
		name_len, LDNS_RR_TYPE_CNAME, 1, d->cname_len, d->ttl);

	if(!rrset)
		return NULL;
	memcpy(((struct packed_rrset_data *)rrset->entry.data)->rr_data[0]
		+ 2, d->cname, d->cname_len);
	return rrset;
}

int
cnroute_answer_add(struct module_qstate *qstate, struct cnroute_qstate *cq,
	struct ub_packed_rrset_key *rrset)
{
	if(!rrset)
		return -1;
	if(cq->answer_count == cq->answer_capacity) {
		size_t cap = cq->answer_capacity ? cq->answer_capacity * 2 : 8;
		struct ub_packed_rrset_key **more = regional_alloc(
			qstate->region, cap * sizeof(*more));
		if(!more)
			return -1;
		if(cq->answer_count)
			memcpy(more, cq->answer, cq->answer_count *
				sizeof(*more));
		cq->answer = more;
		cq->answer_capacity = cap;
	}
	cq->answer[cq->answer_count++] = rrset;
	return 0;
}

/** Cap every TTL of an rrset (a copy in our region) at ttl. */
static void
reply_cap_ttl(struct ub_packed_rrset_key *rrset, uint32_t ttl)
{
	struct packed_rrset_data *data = rrset->entry.data;
	size_t i;
	if(data->ttl > (time_t)ttl)
		data->ttl = ttl;
	for(i = 0; i < data->count + data->rrsig_count; i++)
		if(data->rr_ttl[i] > (time_t)ttl)
			data->rr_ttl[i] = ttl;
}

int
cnroute_answer_own(struct module_qstate *qstate, struct cnroute_qstate *cq)
{
	size_t i;

	if(!cq->answer_shared)
		return 0;
	for(i = 0; i < cq->answer_count; i++) {
		cq->answer[i] = packed_rrset_copy_region(cq->answer[i],
			qstate->region, 0);
		if(!cq->answer[i])
			return -1;
	}
	cq->answer_shared = 0;
	return 0;
}

struct dns_msg *
cnroute_answer_message(struct module_qstate *qstate,
	struct cnroute_qstate *cq)
{
	struct dns_msg *msg;
	size_t i;

	/* rrsets added since the answer was taken over are ours: our own
	 * records, and the target's reply copied by inform_super */
	if(cnroute_answer_own(qstate, cq) != 0)
		return NULL;
	msg = reply_msg_new(qstate, cq->answer_count, cq->ttl, cq->rcode);
	if(!msg)
		return NULL;
	for(i = 0; i < cq->answer_count; i++) {
		reply_cap_ttl(cq->answer[i], cq->ttl);
		msg->rep->rrsets[i] = cq->answer[i];
	}
	return msg;
}

int
cnroute_reply_ecs(struct module_qstate *qstate,
	const struct cnroute_qstate *cq)
{
	uint8_t data[ECS_MAX_DATA];
	size_t len;
	if(!cq->has_ecs)
		return 0;
	len = ecs_write(&cq->ecs, cq->ecs_scope, data);
	if(!edns_opt_list_append(&qstate->edns_opts_front_out,
		ECS_OPTION_CODE, len, data, qstate->region))
		return -1;
	return 0;
}

struct dns_msg *
cnroute_reply_txt(struct module_qstate *qstate, const char *const *strings,
	size_t count)
{
	struct ub_packed_rrset_key *rrset;
	struct dns_msg *msg;
	uint8_t *rd;
	size_t rdlen = 0, i;

	for(i = 0; i < count; i++)
		rdlen += 1 + (strlen(strings[i]) > 255 ? 255 :
			strlen(strings[i]));
	if(rdlen > 65535)
		return NULL;
	msg = reply_msg_new(qstate, 1, 0, LDNS_RCODE_NOERROR);
	rrset = reply_rrset_new(qstate, qstate->qinfo.qname,
		qstate->qinfo.qname_len, LDNS_RR_TYPE_TXT, 1, rdlen, 0);
	if(!msg || !rrset)
		return NULL;
	rd = ((struct packed_rrset_data *)rrset->entry.data)->rr_data[0] + 2;
	for(i = 0; i < count; i++) {
		size_t len = strlen(strings[i]) > 255 ? 255 :
			strlen(strings[i]);
		*rd++ = (uint8_t)len;
		memcpy(rd, strings[i], len);
		rd += len;
	}
	msg->rep->rrsets[0] = rrset;
	return msg;
}
