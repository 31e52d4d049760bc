/*
 * const_module.c - the floor of any module answer: a trivial Unbound
 * dynlib module that answers every new query with one constant A record
 * (192.0.2.1, TTL 60), built in the query's region from memory.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Benchmark configuration (6) of tests/bench/run.sh. It does no lookup, no
 * locking, no EDNS work: it shows what Unbound's module path itself costs
 * (mesh state, module call, reply encoding), so cnroute's managed-name
 * answers can be judged against the limit. Built by run.sh against the
 * configured Unbound tree:
 *   cc -O2 -shared -fPIC -fvisibility=hidden -isystem build/unbound-src \
 *      tests/bench/const_module.c -o build/bench/const_module.so
 * Sub-queries (event pass without state) are passed on, like cnroute does.
 */
#include "config.h"
#include <string.h>
#include "dynlibmod/dynlibmod.h"
#include "services/cache/dns.h"
#include "util/data/msgreply.h"
#include "util/data/packed_rrset.h"
#include "util/module.h"
#include "util/net_help.h"
#include "util/regional.h"
#include "sldns/rrdef.h"
#include "sldns/sbuffer.h"

/** The Unbound release built against, as cnroute_module.h derives it from
 *  config.h's RSRC_PACKAGE_VERSION ("1,26,1,0" gives 12601). */
#define CNROUTE_UB_VERSION_OF_(major, minor, patch, build) \
	((major) * 10000 + (minor) * 100 + (patch))
/** Expands its argument first, so that the four numbers become four
 *  arguments of CNROUTE_UB_VERSION_OF_. */
#define CNROUTE_UB_VERSION_OF(...) CNROUTE_UB_VERSION_OF_(__VA_ARGS__)
/** The Unbound release built against, e.g. 12601 for 1.26.1. */
#define CNROUTE_UB_VERSION CNROUTE_UB_VERSION_OF(RSRC_PACKAGE_VERSION)

#define EXPORT __attribute__((visibility("default")))

EXPORT int init(struct module_env *env, int id);
EXPORT void deinit(struct module_env *env, int id);
EXPORT void operate(struct module_qstate *qstate, enum module_ev event,
	int id, struct outbound_entry *outbound);
EXPORT void inform_super(struct module_qstate *qstate, int id,
	struct module_qstate *super);
EXPORT void clear(struct module_qstate *qstate, int id);
EXPORT size_t get_mem(struct module_env *env, int id);

/** The constant answer: 192.0.2.1, TTL 60. */
static const uint8_t const_addr[4] = {192, 0, 2, 1};
#define CONST_TTL 60

int
init(struct module_env *env, int id)
{
	(void)env; (void)id;
	return 1;
}

void
deinit(struct module_env *env, int id)
{
	(void)env; (void)id;
}

/** The reply: one A rrset of one record for the query name. */
static struct dns_msg *
const_reply(struct module_qstate *qstate)
{
	struct regional *region = qstate->region;
	struct dns_msg *msg;
	struct ub_packed_rrset_key *key;
	struct packed_rrset_data *data;
	uint16_t flags = BIT_QR | BIT_RA | (qstate->query_flags & BIT_RD);

	msg = regional_alloc_zero(region, sizeof(*msg));
	if(!msg)
		return NULL;
	msg->qinfo = qstate->qinfo;
	/* as plugin/unbound/reply.c builds it (cnroute_module.h lists the
	 * Unbound release differences) */
#if CNROUTE_UB_VERSION >= 12601
	msg->rep = construct_reply_info_base(region, flags, 1, CONST_TTL,
		CONST_TTL, CONST_TTL, 0, 1, 0, 0, 1, sec_status_insecure,
		LDNS_EDE_NONE);
#else
	msg->rep = construct_reply_info_base(region, flags, 1, CONST_TTL,
		CONST_TTL, CONST_TTL, 1, 0, 0, 1, sec_status_insecure);
#endif
	if(!msg->rep)
		return NULL;
	msg->rep->authoritative = 0;
	key = regional_alloc_zero(region, sizeof(*key));
	/* data, rr_len[1], rr_data[1], rr_ttl[1], rdata (2 + 4 bytes) */
	data = regional_alloc_zero(region, sizeof(*data) + sizeof(size_t) +
		sizeof(uint8_t *) + sizeof(time_t) + 2 + 4);
	if(!key || !data)
		return NULL;
	key->rk.dname = qstate->qinfo.qname;
	key->rk.dname_len = qstate->qinfo.qname_len;
	key->rk.type = htons(LDNS_RR_TYPE_A);
	key->rk.rrset_class = htons(qstate->qinfo.qclass);
	key->entry.key = key;
	key->entry.data = data;
	data->ttl = CONST_TTL;
	data->count = 1;
	data->trust = rrset_trust_auth_noAA;
	data->security = sec_status_insecure;
	data->rr_len = (size_t *)((uint8_t *)data + sizeof(*data));
	data->rr_len[0] = 2 + 4;
	packed_rrset_ptr_fixup(data);
	data->rr_ttl[0] = CONST_TTL;
	sldns_write_uint16(data->rr_data[0], 4);
	memcpy(data->rr_data[0] + 2, const_addr, 4);
	key->entry.hash = rrset_key_hash(&key->rk);
	msg->rep->rrsets[0] = key;
	return msg;
}

void
operate(struct module_qstate *qstate, enum module_ev event, int id,
	struct outbound_entry *outbound)
{
	(void)outbound;
	if(event == module_event_new) {
		struct dns_msg *msg = const_reply(qstate);
		if(!msg) {
			qstate->return_rcode = LDNS_RCODE_SERVFAIL;
			qstate->return_msg = NULL;
		} else {
			qstate->return_rcode = LDNS_RCODE_NOERROR;
			qstate->return_msg = msg;
		}
		qstate->ext_state[id] = module_finished;
		return;
	}
	if(event == module_event_pass) {
		qstate->ext_state[id] = module_wait_module;
		return;
	}
	qstate->ext_state[id] = module_finished;
}

void
inform_super(struct module_qstate *qstate, int id,
	struct module_qstate *super)
{
	(void)qstate; (void)id; (void)super;
}

void
clear(struct module_qstate *qstate, int id)
{
	qstate->minfo[id] = NULL;
}

size_t
get_mem(struct module_env *env, int id)
{
	(void)env; (void)id;
	return 0;
}
