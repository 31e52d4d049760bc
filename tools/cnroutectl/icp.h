/*
 * icp.h - ICP filing numbers (Bei'An): validation and normalisation.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Accepted forms (see shared notes on the domain):
 *   <province>ICP备<8 or 10 digits>号[-<site number>]   non-commercial filing
 *   <province>ICP证<digits>号                          commercial licence
 * where <province> is one of the provincial abbreviations (including the
 * alternates 川/蜀, 贵/黔, 云/滇, 甘/陇). Operators paste these numbers from
 * web pages and spreadsheets, so full-width digits and letters, full-width
 * or Unicode dashes and stray blanks are normalised, not rejected.
 * A public-security number (公网安备) is a different registration and is
 * rejected with a message that says so.
 */
#ifndef CNROUTECTL_ICP_H
#define CNROUTECTL_ICP_H

#include <stddef.h>
#include <stdint.h>

/** Largest normalised number we produce, NUL included. */
#define ICP_MAX 96
/** Size of the error buffer. */
#define ICP_ERR_MAX 160

/** Outcome of icp_normalise. */
enum icp_result {
	/** a well-formed number, normalised into out */
	ICP_OK = 0,
	/** not an ICP number */
	ICP_MALFORMED = -1,
	/** a public-security (公网安备) number, not an ICP filing */
	ICP_PUBLIC_SECURITY = -2
};

/**
 * Validate and normalise a filing number.
 * @param in: the number as typed (UTF-8), NUL terminated.
 * @param out: ICP_MAX bytes; the canonical form, e.g. "京ICP备12345678号-1".
 * @param err: ICP_ERR_MAX bytes; why it was refused.
 * @return an enum icp_result.
 */
int icp_normalise(const char *in, char *out, char *err);

/** 1 if the code point is a province abbreviation of a filing number. */
int icp_is_province(uint32_t cp);

/**
 * Decode one UTF-8 code point (shortest form only, no surrogates).
 * @param s: the bytes.
 * @param len: bytes available.
 * @param cp: out, the code point.
 * @return bytes used (1..4), or 0 when the bytes are not valid UTF-8.
 */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/** Encode a code point as UTF-8 into out (4 bytes). @return bytes written. */
size_t utf8_encode(uint32_t cp, char *out);

#endif /* CNROUTECTL_ICP_H */
