/*
 * util.c - dynamic strings, field lists, JSON string output, file reading.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

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

void
sb_json_str(struct strbuf *sb, const char *text)
{
	const unsigned char *p;
	sb_add(sb, "\"", 1);
	for(p = (const unsigned char *)text; *p; p++) {
		if(*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };
			sb_add(sb, esc, 2);
		} else if(*p == '\n') {
			sb_add(sb, "\\n", 2);
		} else if(*p == '\t') {
			sb_add(sb, "\\t", 2);
		} else if(*p < 0x20 || *p == 0x7f) {
			/* control bytes stay visible and cannot break lines */
			sb_printf(sb, "\\u%04x", *p);
		} else {
			/* UTF-8 passes through: JSON is UTF-8 */
			sb_add(sb, (const char *)p, 1);
		}
	}
	sb_add(sb, "\"", 1);
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
	long i = kvlist_find(l, name);
	if(i >= 0) {
		free(l->items[i].value);
		l->items[i].value = xstrdup(value);
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
	l->items[l->count].value = xstrdup(value);
	l->count++;
}

const char *
kvlist_get(const struct kvlist *l, const char *name)
{
	long i = kvlist_find(l, name);
	return i >= 0 ? l->items[i].value : NULL;
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
		kvlist_set(dst, src->items[i].name, src->items[i].value);
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
		const char *v = kvlist_get(b, a->items[i].name);
		if(v == NULL || strcmp(v, a->items[i].value) != 0)
			return 0;
	}
	return 1;
}

void
kvlist_json(struct strbuf *sb, const struct kvlist *l)
{
	struct kvlist sorted = { 0 };
	size_t i;
	kvlist_copy(&sorted, l);
	kvlist_sort(&sorted);
	sb_puts(sb, "{");
	for(i = 0; i < sorted.count; i++) {
		if(i)
			sb_puts(sb, ",");
		sb_json_str(sb, sorted.items[i].name);
		sb_puts(sb, ":");
		sb_json_str(sb, sorted.items[i].value);
	}
	sb_puts(sb, "}");
	kvlist_free(&sorted);
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
