/*
 * util.c - dynamic strings, field lists (binary-safe values), small text
 * helpers, file reading.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "icp.h"

/** Give up: a CLI out of memory cannot do anything useful. */
static void
out_of_memory(void)
{
	fputs("cnroutectl: out of memory\n", stderr);
	exit(CLI_INVALID);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if(p == NULL)
		out_of_memory();
	return p;
}

char *
xstrdup(const char *text)
{
	char *p = strdup(text);
	if(p == NULL)
		out_of_memory();
	return p;
}

char *
xstrndup(const char *text, size_t len)
{
	char *p = xmalloc(len + 1);
	memcpy(p, text, len);
	p[len] = 0;
	return p;
}

char *
xasprintf(const char *format, ...)
{
	va_list ap;
	char *p;
	va_start(ap, format);
	if(vasprintf(&p, format, ap) < 0)
		out_of_memory();
	va_end(ap);
	return p;
}

/** Make room for extra more bytes and the NUL. */
static void
sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	char *p;
	if(need <= sb->cap)
		return;
	if(sb->cap * 2 > need)
		need = sb->cap * 2;
	if(need < 64)
		need = 64;
	p = realloc(sb->s, need);
	if(p == NULL)
		out_of_memory();
	sb->s = p;
	sb->cap = need;
}

void
sb_add(struct strbuf *sb, const char *text, size_t len)
{
	sb_reserve(sb, len);
	memcpy(sb->s + sb->len, text, len);
	sb->len += len;
	sb->s[sb->len] = 0;
}

void
sb_puts(struct strbuf *sb, const char *text)
{
	sb_add(sb, text, strlen(text));
}

void
sb_printf(struct strbuf *sb, const char *format, ...)
{
	va_list ap;
	char *p;
	int n;
	va_start(ap, format);
	n = vasprintf(&p, format, ap);
	va_end(ap);
	if(n < 0)
		out_of_memory();
	sb_add(sb, p, (size_t)n);
	free(p);
}

const char *
sb_str(const struct strbuf *sb)
{
	return sb->s ? sb->s : "";
}

void
sb_free(struct strbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}

/** Index of a field, or -1. */
static long
kvlist_find(const struct kvlist *l, const char *name)
{
	size_t i;
	for(i = 0; i < l->count; i++)
		if(strcmp(l->items[i].name, name) == 0)
			return (long)i;
	return -1;
}

void
kvlist_set(struct kvlist *l, const char *name, const char *value)
{
	kvlist_set_len(l, name, value, strlen(value));
}

void
kvlist_set_len(struct kvlist *l, const char *name, const char *value,
	size_t len)
{
	long i = kvlist_find(l, name);
	char *copy = xstrndup(value, len);
	if(i >= 0) {
		free(l->items[i].value);
		l->items[i].value = copy;
		l->items[i].value_len = len;
		return;
	}
	if(l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct kv *p = realloc(l->items, cap * sizeof(*p));
		if(p == NULL)
			out_of_memory();
		l->items = p;
		l->cap = cap;
	}
	l->items[l->count].name = xstrdup(name);
	l->items[l->count].value = copy;
	l->items[l->count].value_len = len;
	l->count++;
}

const char *
kvlist_get(const struct kvlist *l, const char *name)
{
	long i = kvlist_find(l, name);
	return i >= 0 ? l->items[i].value : NULL;
}

const char *
kvlist_get_len(const struct kvlist *l, const char *name, size_t *len)
{
	long i = kvlist_find(l, name);
	if(i < 0)
		return NULL;
	*len = l->items[i].value_len;
	return l->items[i].value;
}

int
kvlist_del(struct kvlist *l, const char *name)
{
	long i = kvlist_find(l, name);
	if(i < 0)
		return 0;
	free(l->items[i].name);
	free(l->items[i].value);
	memmove(&l->items[i], &l->items[i + 1],
		(l->count - (size_t)i - 1) * sizeof(struct kv));
	l->count--;
	return 1;
}

void
kvlist_copy(struct kvlist *dst, const struct kvlist *src)
{
	size_t i;
	kvlist_free(dst);
	for(i = 0; i < src->count; i++)
		kvlist_set_len(dst, src->items[i].name, src->items[i].value,
			src->items[i].value_len);
}

/** qsort comparator of fields by name. */
static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->name,
		((const struct kv *)b)->name);
}

void
kvlist_sort(struct kvlist *l)
{
	if(l->count > 1)
		qsort(l->items, l->count, sizeof(struct kv), kv_cmp);
}

int
kvlist_equal(const struct kvlist *a, const struct kvlist *b)
{
	size_t i;
	if(a->count != b->count)
		return 0;
	for(i = 0; i < a->count; i++) {
		size_t len;
		const char *v = kvlist_get_len(b, a->items[i].name, &len);
		if(v == NULL || len != a->items[i].value_len ||
			memcmp(v, a->items[i].value, len) != 0)
			return 0;
	}
	return 1;
}

void
kvlist_free(struct kvlist *l)
{
	size_t i;
	for(i = 0; i < l->count; i++) {
		free(l->items[i].name);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

int
char_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
text_is_blank(const char *text)
{
	if(text == NULL)
		return 1;
	for(; *text; text++)
		if(*text != ' ' && *text != '\t')
			return 0;
	return 1;
}

void
text_trim(const char **s, size_t *len)
{
	while(*len > 0 && char_is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while(*len > 0 && char_is_blank((*s)[*len - 1]))
		(*len)--;
}

char *
text_escape(const char *text, size_t len)
{
	struct strbuf sb = { 0 };
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;
	sb_add(&sb, "", 0);
	while(i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if(p[i] == '\\') {
			sb_add(&sb, "\\\\", 2);
			i++;
		} else if(n == 0 || cp < 0x20 || cp == 0x7f ||
			(cp >= 0x80 && cp < 0xa0)) {
			/* not text, or a control: visible, and it cannot
			 * break a line or a terminal */
			sb_printf(&sb, "\\x%02x", p[i]);
			i++;
		} else {
			sb_add(&sb, text + i, n);
			i += n;
		}
	}
	return sb.s;
}

char *
kvlist_shown(const struct kvlist *l, const char *name, const char *absent)
{
	size_t len;
	const char *v = kvlist_get_len(l, name, &len);
	return v ? text_escape(v, len) : xstrdup(absent);
}

char *
read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct strbuf sb = { 0 };
	char buf[65536];
	size_t n;
	int err;
	if(f == NULL)
		return NULL;
	while((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	err = ferror(f) ? (errno ? errno : EIO) : 0;
	if(f != stdin)
		fclose(f);
	if(err) {
		sb_free(&sb);
		errno = err;
		return NULL;
	}
	sb_add(&sb, "", 0);
	*len = sb.len;
	return sb.s;
}
