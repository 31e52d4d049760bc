/*
 * icp.c - ICP filing numbers (Bei'An): validation and normalisation.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Two passes: first the input is folded to a canonical character
 * sequence (full-width forms to ASCII, dashes to '-', blanks dropped,
 * "icp" upper-cased), then that sequence is matched against the two
 * accepted shapes. Keeping the folding separate means the shape check
 * only ever sees one spelling of each character.
 */
#include <stdio.h>
#include <string.h>
#include "icp.h"

/** Province abbreviations, alternates included (川/蜀 贵/黔 云/滇 甘/陇). */
static const char *const provinces =
	"京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀贵黔云滇藏陕甘陇青宁新";

/** Most code points handled (longer input is not a filing number). */
#define ICP_MAX_CP 48

/** Code points of 备 (non-commercial), 证 (licence), 号 (number). */
#define CP_BEI 0x5907
#define CP_ZHENG 0x8BC1
#define CP_HAO 0x53F7

size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;
	if(len == 0)
		return 0;
	if(s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if((s[0] & 0xE0) == 0xC0) {
		n = 2;
		c = s[0] & 0x1F;
	} else if((s[0] & 0xF0) == 0xE0) {
		n = 3;
		c = s[0] & 0x0F;
	} else if((s[0] & 0xF8) == 0xF0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if(len < n)
		return 0;
	for(i = 1; i < n; i++) {
		if((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates and values past U+10FFFF are invalid */
	if((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
		(n == 4 && c < 0x10000) || c > 0x10FFFF ||
		(c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

size_t
utf8_encode(uint32_t cp, char *out)
{
	if(cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if(cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	} else if(cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int
icp_is_province(uint32_t cp)
{
	const unsigned char *p = (const unsigned char *)provinces;
	size_t len = strlen(provinces);
	while(len > 0) {
		uint32_t c;
		size_t n = utf8_decode(p, len, &c);
		if(n == 0)
			return 0;
		if(c == cp)
			return 1;
		p += n;
		len -= n;
	}
	return 0;
}

/** 1 for blanks people paste by accident (ASCII, no-break, ideographic). */
static int
is_stray_blank(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' ||
		cp == 0xA0 || cp == 0x3000 || cp == 0x200B || cp == 0xFEFF;
}

/** Fold one code point: full-width ASCII to ASCII, dashes to '-', case. */
static uint32_t
fold(uint32_t cp)
{
	if(cp >= 0xFF01 && cp <= 0xFF5E)
		cp -= 0xFEE0; /* full-width forms of ASCII '!'..'~' */
	if((cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 || cp == 0xFE63 ||
		cp == 0x30FC)
		cp = '-';
	if(cp >= 'a' && cp <= 'z')
		cp -= 'a' - 'A';
	return cp;
}

/**
 * Fold the input into code points.
 * @return the number of code points, or -1 (bad UTF-8, too long).
 */
static int
fold_input(const char *in, uint32_t *cps)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t len = strlen(in);
	int n = 0;
	while(len > 0) {
		uint32_t c;
		size_t used = utf8_decode(p, len, &c);
		if(used == 0)
			return -1;
		p += used;
		len -= used;
		if(is_stray_blank(c))
			continue;
		if(n == ICP_MAX_CP)
			return -1;
		cps[n++] = fold(c);
	}
	return n;
}

/** Count the ASCII digits at cps[i..n). */
static int
count_digits(const uint32_t *cps, int i, int n)
{
	int k = 0;
	while(i + k < n && cps[i + k] >= '0' && cps[i + k] <= '9')
		k++;
	return k;
}

/** 1 if the folded input contains 公网安备 anywhere. */
static int
has_public_security(const uint32_t *cps, int n)
{
	static const uint32_t gwab[4] = { 0x516C, 0x7F51, 0x5B89, 0x5907 };
	int i;
	for(i = 0; i + 4 <= n; i++)
		if(memcmp(cps + i, gwab, sizeof(gwab)) == 0)
			return 1;
	return 0;
}

/**
 * Match the shape after "<province>ICP": 备<8|10 digits>号[-N] or
 * 证<digits>号.
 * @return 0 or -1 with err set.
 */
static int
match_tail(const uint32_t *cps, int i, int n, char *err)
{
	int digits, is_filing;
	if(i >= n || (cps[i] != CP_BEI && cps[i] != CP_ZHENG)) {
		snprintf(err, ICP_ERR_MAX,
			"expected 备 or 证 after 'ICP'");
		return -1;
	}
	is_filing = cps[i] == CP_BEI;
	if(is_filing) {
		digits = count_digits(cps, i + 1, n);
		if(digits != 8 && digits != 10) {
			snprintf(err, ICP_ERR_MAX, "expected 8 or 10 digits "
				"after 'ICP备', found %d", digits);
			return -1;
		}
	} else {
		digits = count_digits(cps, i + 1, n);
		if(digits < 1 || digits > 12) {
			snprintf(err, ICP_ERR_MAX,
				"expected the licence digits after 'ICP证'");
			return -1;
		}
	}
	i += 1 + digits;
	if(i >= n || cps[i] != CP_HAO) {
		snprintf(err, ICP_ERR_MAX, "expected 号 after the digits");
		return -1;
	}
	i++;
	if(i == n)
		return 0;
	if(is_filing && cps[i] == '-') {
		/* the site number: only filings have one */
		digits = count_digits(cps, i + 1, n);
		if(digits >= 1 && digits <= 4 && i + 1 + digits == n &&
			cps[i + 1] != '0')
			return 0;
		snprintf(err, ICP_ERR_MAX, "bad site number after '号-'");
		return -1;
	}
	snprintf(err, ICP_ERR_MAX, "unexpected text after 号");
	return -1;
}

/** Write the folded code points as UTF-8 into out (ICP_MAX bytes). */
static void
write_out(const uint32_t *cps, int n, char *out)
{
	size_t len = 0;
	int i;
	for(i = 0; i < n && len + 4 < ICP_MAX; i++)
		len += utf8_encode(cps[i], out + len);
	out[len] = 0;
}

int
icp_normalise(const char *in, char *out, char *err)
{
	uint32_t cps[ICP_MAX_CP];
	int n = fold_input(in, cps);
	out[0] = 0;
	if(n < 0) {
		snprintf(err, ICP_ERR_MAX, "not an ICP filing number "
			"(invalid UTF-8 or too long)");
		return ICP_MALFORMED;
	}
	if(has_public_security(cps, n)) {
		snprintf(err, ICP_ERR_MAX, "this is a public-security "
			"registration number (公网安备), not an ICP filing "
			"number");
		return ICP_PUBLIC_SECURITY;
	}
	if(n == 0) {
		snprintf(err, ICP_ERR_MAX, "empty filing number");
		return ICP_MALFORMED;
	}
	if(!icp_is_province(cps[0])) {
		snprintf(err, ICP_ERR_MAX, "must start with a province "
			"abbreviation such as 京 or 粤");
		return ICP_MALFORMED;
	}
	if(n < 4 || cps[1] != 'I' || cps[2] != 'C' || cps[3] != 'P') {
		snprintf(err, ICP_ERR_MAX,
			"expected 'ICP' after the province");
		return ICP_MALFORMED;
	}
	if(match_tail(cps, 4, n, err) != 0)
		return ICP_MALFORMED;
	write_out(cps, n, out);
	return ICP_OK;
}
