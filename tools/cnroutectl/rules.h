/*
 * rules.h - what the CLI checks before it writes: filings, pools, and
 * the onboarding gate.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Pools and routes are validated with the module's own parsers
 * (record.c), so the CLI refuses exactly what the module would skip, and
 * a filing on a public suffix, which the module would read as invalid, is
 * never written. The onboarding gate lets a CN pool be written only when
 * the covering filing, as the module's keyspace judges it (route.c,
 * judge.h: the longest suffix of the name with a filing key of any kind,
 * an unreadable one being an invalid filing; every spelling of it
 * counted), is active.
 */
#ifndef CNROUTECTL_RULES_H
#define CNROUTECTL_RULES_H

#include <stddef.h>
#include "cli.h"
#include "csvjson.h"
#include "cnroute/record.h"
#include "redis_store.h"

/** Size of the error buffers. */
#define RULES_ERR_MAX 320

/** What the onboarding gate says. */
enum gate_outcome {
	/** no CN pool, or an active filing: write */
	GATE_PASS = 0,
	/** CN pool without an active filing: refuse (exit 3) */
	GATE_REFUSED,
	/** refused, but --force: write, and say it is served offshore */
	GATE_FORCED
};

/**
 * The domains that could hold the filing covering a route name, longest
 * first: "www.example.com" gives www.example.com, example.com, com;
 * "*.img.example.com" starts at img.example.com.
 * @param out: malloced array of malloced names (strv_free).
 * @return the count.
 */
size_t filing_candidates(const char *route_name, char ***out);

/** The onboarding gate. */
enum gate_outcome gate_decide(int cn_nonempty, enum filing_status covering,
	int force);

/**
 * Canonicalise a pool value: items trimmed, addresses in their standard
 * text form, a CNAME target validated (IDNA too) and written lower-case
 * with its trailing dot. The result is then checked with pool_parse.
 * @param out: the canonical value ("" for an empty pool).
 * @return 0 or -1 with err set.
 */
int pool_canonical(const char *in, struct strbuf *out, char *err);

/**
 * Check route fields (cn, offshore, ttl) with route_parse.
 * @param cn_nonempty: out, 1 when the CN pool is not empty.
 * @return 0 or -1 with err set.
 */
int route_fields_check(const struct kvlist *fields, int *cn_nonempty,
	char *err);

/** A filing as given on the command line or in an import row. */
struct filing_input {
	/** the domain as typed */
	const char *domain;
	/** the filing number as typed */
	const char *icp;
	/** the filing entity */
	const char *entity;
	/** the registrant, or NULL */
	const char *registrant;
	/** the status word, or NULL for active */
	const char *status;
};

/** Columns of a filing file ("filing import" and "sync --feed" read the
 *  same format), in the order of enum filing_column. */
extern const struct import_column filing_file_columns[];

/** Index of each column in filing_file_columns and in a row's values. */
enum filing_column {
	FILING_COL_DOMAIN,
	FILING_COL_ICP,
	FILING_COL_ENTITY,
	FILING_COL_REGISTRANT,
	FILING_COL_STATUS,
	FILING_COL_COUNT
};

/** The filing of one row of a filing file (pointers into values). */
struct filing_input filing_input_from_row(char *const *values);

/**
 * Refuse a domain that is a public suffix (com, com.cn, github.io: the
 * Public Suffix List through the module's own check): a filing there
 * would cover every registrable domain below it, and the module reads it
 * as an invalid filing.
 * @param domain: canonical text.
 * @return 0, or -1 with err set (it says "public suffix").
 */
int filing_domain_check(const char *domain, char *err);

/**
 * Validate and normalise a filing (filing_domain_check included).
 * @param domain: out, NAME_TEXT_MAX bytes, the canonical domain.
 * @param fields: out, status/icp/entity[/registrant].
 * @return 0 or -1 with err set.
 */
int filing_build(const struct filing_input *in, char *domain,
	struct kvlist *fields, char *err);

#endif /* CNROUTECTL_RULES_H */
