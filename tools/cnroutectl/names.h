/*
 * names.h - domain names typed by operators: validation, IDNA, canonical
 * form.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The CLI writes every name in one canonical text form: lower-case
 * A-labels (IDNA2008 through libidn2, so 例子.中国 becomes
 * xn--fsqu00a.xn--fiqs8s), no trailing dot. The module accepts other
 * spellings in keys too, but one spelling means one key per name, so
 * "route show" and the audit trail never miss a variant.
 */
#ifndef CNROUTECTL_NAMES_H
#define CNROUTECTL_NAMES_H

#include <stddef.h>

/** Size of a canonical name buffer (253 characters, "*." and NUL). */
#define NAME_TEXT_MAX 260
/** Size of the error buffer. */
#define NAME_ERR_MAX 200

/**
 * Validate and canonicalise a name.
 * @param in: the name as typed (UTF-8), with or without a trailing dot.
 * @param allow_wildcard: 1 to accept a leading "*." (route names).
 * @param out: NAME_TEXT_MAX bytes, the canonical form.
 * @param err: NAME_ERR_MAX bytes, why it was refused.
 * @return 0 or -1.
 */
int name_normalise(const char *in, int allow_wildcard, char *out, char *err);

/** 1 if a canonical name starts with "*.". */
int name_is_wildcard(const char *name);

/**
 * The parent of a canonical name ("b.c" for "a.b.c"), NULL for a
 * single label. A pointer into the same string.
 */
const char *name_parent(const char *name);

/**
 * Display form of a canonical name: the Unicode form when it holds
 * A-labels ("例子.中国"), else the name itself.
 * @param out: NAME_TEXT_MAX * 4 bytes.
 */
void name_display(const char *name, char *out, size_t out_size);

#endif /* CNROUTECTL_NAMES_H */
