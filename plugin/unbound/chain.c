/*
 * chain.c - CNAME chains into managed names.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * A chain reaches a managed name two ways: through cnroute's own CNAME
 * pools (the target of a pool may itself be managed), and through an
 * upstream zone cnroute does not control ("alias.other. CNAME
 * www.managed."), which the iterator follows by itself. Either way, from
 * the first managed name on, the answer is cnroute's, decided as for a
 * direct query of that name with one more condition, the Host rule: the
 * CN pool only if the covering filing of the name the client asked is
 * active too. A CDN in China serves a host name only if that name itself
 * is filed, so an unfiled alias never leads a mainland client to the CN
 * pool. The part of the chain before the managed name is kept as the
 * upstream servers gave it; every TTL of the answer is capped, the answer
 * is not cached, and its ECS scope is that of a direct answer.
 *
 * The answer is built in cnroute_qstate.answer, one rrset after the
 * other; cnroute_qstate.chase is the name the chain has reached. A name
 * cnroute does not answer for (unmanaged, or a managed name resolved
 * normally) is resolved by a sub-query, whose answer joins the chain and
 * is looked through again (it may go on into another managed name).
 */
#include "config.h"
#include <string.h>
#include "cnroute_module.h"
#include "cnroute/dname.h"
#include "services/mesh.h"
#include "util/data/dname.h"
#include "util/data/msgreply.h"
#include "util/data/packed_rrset.h"
#include "util/log.h"
#include "util/net_help.h"
#include "util/regional.h"
#include "sldns/rrdef.h"

/**
 * Decide a name of the chain for this query's client, with the Host rule
 * (the name the client asked is the alias).
 */
static void
chain_decide(struct module_qstate *qstate, struct cnroute_env *ce,
	struct cnroute_qstate *cq, struct steering_decision *d)
{
	uint8_t alias[DNAME_MAX_WIRE];
	size_t alias_len = 0;
	struct cnroute_locate lc;

	lc.ce = ce;
	lc.qstate = qstate;
	lc.cq = cq;
	if(dname_canonicalize(qstate->qinfo.qname, qstate->qinfo.qname_len,
		alias, &alias_len) != 0)
		alias_len = 0; /* no filing can cover it: never the CN pool */
	if(steering_table_answer_alias(&ce->table, alias, alias_len,
		cq->chase, cq->chase_len, qstate->qinfo.qtype,
		ce->conf.answer_ttl_max, cnroute_locate_client, &lc,
		cnroute_region_alloc, qstate->region, d) != 0)
		STATS_WORKER_INC(cnroute_stats_slot(ce, qstate), fail_closed);
}

/** Account for a managed name's decision in the answer. */
static void
chain_note(struct module_qstate *qstate, struct cnroute_env *ce,
	struct cnroute_qstate *cq, const struct steering_decision *d)
{
	if(!cq->steered)
		cnroute_count(ce, qstate, d); /* the answer's first decision */
	cq->steps++;
	if(!cq->steered || d->ttl < cq->ttl)
		cq->ttl = d->ttl;
	cq->steered = 1;
	cq->region_dependent |= d->region_dependent;
	qstate->no_cache_store = 1;
}

/**
 * Resolve cq->chase with a sub-query; its answer comes back through
 * inform_super and module_event_pass (cnroute_target_done).
 * @param unmanaged: the name was just decided unmanaged.
 * @return 1 when waiting, 0 when it could not be started.
 */
static int
chain_resolve(struct module_qstate *qstate, int id, struct cnroute_qstate *cq,
	int unmanaged)
{
	struct query_info target;
	struct module_qstate *sub = NULL;

	memset(&target, 0, sizeof(target));
	target.qname = cq->chase;
	target.qname_len = cq->chase_len;
	target.qtype = qstate->qinfo.qtype;
	target.qclass = qstate->qinfo.qclass;
#if CNROUTE_UB_VERSION >= 12401
	if(!(*qstate->env->attach_sub)(qstate, &target, NULL, BIT_RD, 0, 0,
		&sub))
		return 0;
#else
	if(!(*qstate->env->attach_sub)(qstate, &target, BIT_RD, 0, 0, &sub))
		return 0;
#endif
	if(sub && unmanaged) {
		/* A new state for a name this query just found unmanaged:
		 * it enters cnroute with module_event_pass and a state of
		 * ours already, so it is not decided a second time. (An
		 * upstream chain from it into a managed name is still
		 * looked through when it is resolved.) A managed name
		 * resolved normally is decided by its own state, which keeps
		 * clients asking it directly out of it. */
		struct cnroute_qstate *sq = regional_alloc_zero(sub->region,
			sizeof(*sq));
		if(sq) {
			sq->state = CNROUTE_PASSED;
			sub->minfo[id] = sq;
		}
	}
	/* from now on the answer depends on this client: nobody joins */
	cnroute_make_unique(qstate);
	qstate->no_cache_store = 1;
	cq->state = CNROUTE_WAIT_TARGET;
	cq->target_rep = NULL;
	cq->target_rcode = LDNS_RCODE_SERVFAIL;
	qstate->ext_state[id] = module_wait_subquery;
	return 1;
}

/**
 * Apply the decision for cq->chase to the answer.
 * @return 1 to go on with the new cq->chase (a CNAME pool), 0 when the
 *	query is finished or waiting.
 */
static int
chain_take(struct module_qstate *qstate, int id, struct cnroute_env *ce,
	struct cnroute_qstate *cq, const struct steering_decision *d)
{
	switch(d->action) {
	case STEER_ADDRESSES:
		chain_note(qstate, ce, cq, d);
		cq->rcode = LDNS_RCODE_NOERROR;
		if(d->addr_count > 0 && cnroute_answer_add(qstate, cq,
			cnroute_rrset_addresses(qstate, cq->chase,
			cq->chase_len, d)) != 0) {
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return 0;
		}
		cnroute_finish_answer(qstate, id, cq);
		return 0;
	case STEER_CNAME:
		chain_note(qstate, ce, cq, d);
		cq->rcode = LDNS_RCODE_NOERROR;
		if(cnroute_answer_add(qstate, cq, cnroute_rrset_cname(qstate,
			cq->chase, cq->chase_len, d)) != 0) {
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return 0;
		}
		/* the decision's arrays are in the region */
		cq->chase = d->cname;
		cq->chase_len = d->cname_len;
		cq->chase_unmanaged = d->cname_unmanaged;
		cq->chase_memo = d->cname_memo;
		return 1;
	case STEER_RESOLVE:
		chain_note(qstate, ce, cq, d);
		/* fallthrough */
	case STEER_UNMANAGED:
		break;
	}
	/* An unmanaged name whose answer is fresh in Unbound's cache: taken
	 * from there, as the sub-query would (the iterator's first step is
	 * that lookup), without a second mesh state. A managed name resolved
	 * normally keeps its sub-query: its own state decides it. */
	if(d->action == STEER_UNMANAGED) {
		struct ub_packed_rrset_key *rrset = cnroute_cache_rrset(qstate,
			cq->chase, cq->chase_len, cq->chase_memo);
		cq->chase_memo = NULL;
		if(rrset) {
			/* the records of the asked type (not a CNAME: that
			 * question ends at the chain's CNAME): the chain
			 * ends here */
			cq->rcode = LDNS_RCODE_NOERROR;
			if(cnroute_answer_add(qstate, cq, rrset) != 0) {
				cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
				return 0;
			}
			cnroute_finish_answer(qstate, id, cq);
			return 0;
		}
		if((cq->target_rep = cnroute_cache_message(qstate, cq->chase,
			cq->chase_len))) {
			cq->target_rcode = (int)FLAGS_GET_RCODE(
				cq->target_rep->flags);
			cnroute_target_done(qstate, id, ce, cq);
			return 0;
		}
	}
	cq->chase_memo = NULL;
	if(chain_resolve(qstate, id, cq, d->action == STEER_UNMANAGED))
		return 0;
	/* no sub-query: the chain so far, which the client's resolver can
	 * follow itself */
	cnroute_finish_answer(qstate, id, cq);
	return 0;
}

void
cnroute_chain_follow(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq)
{
	struct steering_decision d;

	for(;;) {
		/* a CNAME question is answered by the CNAME itself */
		if(qstate->qinfo.qtype == LDNS_RR_TYPE_CNAME) {
			cnroute_finish_answer(qstate, id, cq);
			return;
		}
		if(cq->steps >= CNROUTE_CHAIN_MAX) {
			verbose(VERB_QUERY, "cnroute: CNAME chain longer than "
				"%d names", CNROUTE_CHAIN_MAX);
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return;
		}
		if(cq->chase_unmanaged) {
			/* the CNAME pool's decision found no rule for its
			 * target, in the same table: what deciding it again
			 * would give */
			memset(&d, 0, sizeof(d));
			d.action = STEER_UNMANAGED;
			cq->chase_unmanaged = 0;
		} else {
			cq->chase_memo = NULL;
			chain_decide(qstate, ce, cq, &d);
		}
		if(!chain_take(qstate, id, ce, cq, &d))
			return;
	}
}

/**
 * The target of a CNAME rrset, canonical, copied into the region.
 * @return 0 or -1 (malformed, out of memory).
 */
static int
cname_target(struct module_qstate *qstate, struct ub_packed_rrset_key *rrset,
	uint8_t **name, size_t *name_len)
{
	struct packed_rrset_data *data = rrset->entry.data;
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	if(!data || data->count < 1 || data->rr_len[0] < 3)
		return -1;
	if(dname_canonicalize(data->rr_data[0] + 2, data->rr_len[0] - 2, wire,
		&len) != 0)
		return -1;
	*name = regional_alloc_init(qstate->region, wire, len);
	if(!*name)
		return -1;
	*name_len = len;
	return 0;
}

/** The index of the CNAME rrset owned by name, from index from, or -1. */
static long
find_cname(const struct cnroute_qstate *cq, size_t from, uint8_t *name)
{
	size_t i;

	for(i = from; i < cq->answer_count; i++) {
		struct ub_packed_rrset_key *k = cq->answer[i];
		if(ntohs(k->rk.type) == LDNS_RR_TYPE_CNAME &&
			query_dname_compare(k->rk.dname, name) == 0)
			return (long)i;
	}
	return -1;
}

int
cnroute_chain_steer(struct module_qstate *qstate, int id,
	struct cnroute_env *ce, struct cnroute_qstate *cq, size_t from)
{
	struct steering_decision d;
	int took = 0;
	long at;

	while((at = find_cname(cq, from, cq->chase)) >= 0) {
		uint8_t *next;
		size_t next_len;
		if(cname_target(qstate, cq->answer[at], &next, &next_len) != 0)
			break;
		cq->chase = next;
		cq->chase_len = next_len;
		from = (size_t)at + 1;
		chain_decide(qstate, ce, cq, &d);
		if(d.action == STEER_UNMANAGED)
			continue;
		if(!took) {
			/* the modules after us may have stored this answer
			 * (the iterator stores a chain under the name asked)
			 * before cnroute saw it: it must not be served */
			cnroute_cache_remove_msg(qstate, qstate->qinfo.qname,
				qstate->qinfo.qname_len, qstate->qinfo.qtype);
			took = 1;
			if(cnroute_answer_own(qstate, cq) != 0) {
				cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
				return 1;
			}
		}
		cnroute_cache_remove_msg(qstate, next, next_len,
			qstate->qinfo.qtype);
		if(d.action == STEER_RESOLVE) {
			/* resolved normally: the upstream part stays */
			chain_note(qstate, ce, cq, &d);
			continue;
		}
		if(cq->steps >= CNROUTE_CHAIN_MAX) {
			cnroute_error(qstate, id, LDNS_RCODE_SERVFAIL);
			return 1;
		}
		/* from here the answer is cnroute's */
		cq->answer_count = (size_t)at + 1;
		if(chain_take(qstate, id, ce, cq, &d))
			cnroute_chain_follow(qstate, id, ce, cq);
		return 1;
	}
	if(!took)
		return 0;
	cnroute_finish_answer(qstate, id, cq);
	return 1;
}
