/*
 * audit.h - reading the audit trail back ("cnroutectl audit").
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#ifndef CNROUTECTL_AUDIT_H
#define CNROUTECTL_AUDIT_H

/**
 * Parse a --since value: unix seconds, "YYYY-MM-DD",
 * "YYYY-MM-DD[T ]HH:MM[:SS][Z]" (UTC), or an age "N" + s/m/h/d.
 * @param now: the current time, for ages.
 * @param out: unix seconds.
 * @return 0 or -1.
 */
int audit_parse_since(const char *text, long long now, long long *out);

/**
 * Whether an audit entry's key is about a domain: the name in the key
 * (after "filing:" or "route:") is the domain or below it.
 * @param key_name: the name part of the key.
 * @param domain: canonical domain.
 */
int audit_key_matches(const char *key_name, const char *domain);

#endif /* CNROUTECTL_AUDIT_H */
