/*
 * rules.c - what the CLI checks before it writes: filings, pools, and
 * the onboarding gate.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cnroute/dname.h"
#include "cnroute/public_suffix.h"
#include "icp.h"
#include "names.h"
#include "netaddr.h"
#include "rules.h"

size_t
filing_candidates(const char *route_name, char ***out)
{
	const char *p = name_is_wildcard(route_name) ? route_name + 2 :
		route_name;
	size_t n = 0;
	char **v = xmalloc(128 * sizeof(char *));
	for(; p != NULL && n < 128; p = name_parent(p))
		v[n++] = xstrdup(p);
	*out = v;
	return n;
}

enum gate_outcome
gate_decide(int cn_nonempty, enum filing_status covering, int force)
{
	if(!cn_nonempty || covering == FILING_ACTIVE)
		return GATE_PASS;
	return force ? GATE_FORCED : GATE_REFUSED;
}

/**
 * Canonicalise one pool item into out.
 * @return 0 or -1 with err set.
 */
static int
pool_item(const char *item, size_t len, int single, struct strbuf *out,
	char *err)
{
	char buf[NAME_TEXT_MAX * 4], text[NETADDR_TEXT_MAX];
	char name[NAME_TEXT_MAX], nerr[NAME_ERR_MAX];
	uint8_t addr[16];
	if(len == 0 || len >= sizeof(buf)) {
		snprintf(err, RULES_ERR_MAX, "empty or overlong item");
		return -1;
	}
	memcpy(buf, item, len);
	buf[len] = 0;
	if(inet_pton(AF_INET, buf, addr) == 1) {
		addr_format(4, addr, text);
		sb_puts(out, text);
		return 0;
	}
	if(inet_pton(AF_INET6, buf, addr) == 1) {
		addr_format(6, addr, text);
		sb_puts(out, text);
		return 0;
	}
	if(!single) {
		snprintf(err, RULES_ERR_MAX, "'%.100s' is not an address (a "
			"CNAME target must be the only item)", buf);
		return -1;
	}
	if(buf[len - 1] != '.') {
		snprintf(err, RULES_ERR_MAX, "'%.100s' is neither an address nor "
			"an absolute name (a CNAME target ends in '.')", buf);
		return -1;
	}
	if(name_normalise(buf, 0, name, nerr) != 0) {
		snprintf(err, RULES_ERR_MAX, "CNAME target '%.100s': %.150s", buf,
			nerr);
		return -1;
	}
	sb_printf(out, "%s.", name);
	return 0;
}

int
pool_canonical(const char *in, struct strbuf *out, char *err)
{
	const char *p = in;
	size_t total = strlen(in);
	int single = memchr(in, ',', total) == NULL;
	struct pool pool;
	char perr[RECORD_ERR_MAX];
	sb_free(out);
	sb_add(out, "", 0);
	{
		const char *t = in;
		size_t tl = total;
		text_trim(&t, &tl);
		if(tl == 0)
			return 0; /* an empty pool */
	}
	while(1) {
		const char *comma = strchr(p, ',');
		const char *item = p;
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		text_trim(&item, &len);
		if(out->len > 0)
			sb_puts(out, ",");
		if(pool_item(item, len, single, out, err) != 0)
			return -1;
		if(comma == NULL)
			break;
		p = comma + 1;
	}
	/* the module's parser has the last word */
	if(pool_parse(sb_str(out), out->len, &pool, perr) != 0) {
		snprintf(err, RULES_ERR_MAX, "%s", perr);
		return -1;
	}
	pool_free(&pool);
	return 0;
}

int
route_fields_check(const struct kvlist *fields, int *cn_nonempty, char *err)
{
	struct record_field rf[16];
	struct route route;
	size_t i, n = 0;
	for(i = 0; i < fields->count && n < 16; i++) {
		rf[n].name = fields->items[i].name;
		rf[n].name_len = strlen(fields->items[i].name);
		rf[n].value = fields->items[i].value;
		rf[n].value_len = fields->items[i].value_len;
		n++;
	}
	if(route_parse(rf, n, &route, err) != 0)
		return -1;
	*cn_nonempty = route.cn.kind != POOL_EMPTY;
	pool_free(&route.cn);
	pool_free(&route.offshore);
	return 0;
}

/** 1 if a text holds a control character (would break logs, listings). */
static int
has_control(const char *s)
{
	for(; *s; s++)
		if((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
filing_domain_check(const char *domain, char *err)
{
	uint8_t wire[DNAME_MAX_WIRE];
	size_t len;

	if(dname_from_text(domain, wire, &len) != 0 ||
		!name_is_public_suffix(wire))
		return 0;
	snprintf(err, RULES_ERR_MAX, "domain: %.100s is a public suffix: a "
		"filing on it would cover every domain registered below it, "
		"which no ICP filing can (the module reads it as an invalid "
		"filing); file the registrable domain instead", domain);
	return -1;
}

int
filing_build(const struct filing_input *in, char *domain,
	struct kvlist *fields, char *err)
{
	char nerr[NAME_ERR_MAX], icp[ICP_MAX], ierr[ICP_ERR_MAX];
	enum filing_status status = FILING_ACTIVE;
	if(in->domain == NULL || name_normalise(in->domain, 0, domain,
		nerr) != 0) {
		snprintf(err, RULES_ERR_MAX, "domain: %s",
			in->domain ? nerr : "missing");
		return -1;
	}
	if(filing_domain_check(domain, err) != 0)
		return -1;
	if(in->icp == NULL || icp_normalise(in->icp, icp, ierr) != ICP_OK) {
		snprintf(err, RULES_ERR_MAX, "icp: %s",
			in->icp ? ierr : "missing");
		return -1;
	}
	if(text_is_blank(in->entity) || has_control(in->entity)) {
		snprintf(err, RULES_ERR_MAX, "entity: %s",
			text_is_blank(in->entity) ? "missing" : "control character");
		return -1;
	}
	if(in->registrant != NULL && has_control(in->registrant)) {
		snprintf(err, RULES_ERR_MAX, "registrant: control character");
		return -1;
	}
	if(in->status != NULL && filing_status_parse(in->status,
		strlen(in->status), &status) != 0) {
		snprintf(err, RULES_ERR_MAX, "status: '%s' is not one of "
			"active, revoked, cancelled, pending", in->status);
		return -1;
	}
	kvlist_free(fields);
	kvlist_set(fields, "status", filing_status_name(status));
	kvlist_set(fields, "icp", icp);
	kvlist_set(fields, "entity", in->entity);
	if(!text_is_blank(in->registrant))
		kvlist_set(fields, "registrant", in->registrant);
	return 0;
}

const struct import_column filing_file_columns[FILING_COL_COUNT] = {
	{ "domain", 1, 0 }, { "icp", 1, 0 }, { "entity", 1, 0 },
	{ "registrant", 0, 0 }, { "status", 0, 0 }
};

struct filing_input
filing_input_from_row(char *const *values)
{
	struct filing_input in;
	in.domain = values[FILING_COL_DOMAIN];
	in.icp = values[FILING_COL_ICP];
	in.entity = values[FILING_COL_ENTITY];
	in.registrant = values[FILING_COL_REGISTRANT];
	in.status = values[FILING_COL_STATUS];
	return in;
}
