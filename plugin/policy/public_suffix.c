/*
 * public_suffix.c - public suffixes through libpsl.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 */
#include "cnroute/public_suffix.h"
#include "cnroute/dname.h"

#include <pthread.h>
#include <stddef.h>
#include <libpsl.h>

/** The list, loaded at the first question and kept until
 *  public_suffix_release (the module releases it when it is unloaded). */
static psl_ctx_t *public_suffix_loaded;
/** Set once a list is in use (the loaded one, or libpsl's built-in). */
static const psl_ctx_t *public_suffix_list;
/** Guards the load and the release. */
static pthread_mutex_t public_suffix_lock = PTHREAD_MUTEX_INITIALIZER;

/** The list, loaded first if need be: the newest available (psl_latest
 *  picks the newer of Debian's file and the built-in list), else the
 *  built-in one. */
static const psl_ctx_t *
public_suffix_get(void)
{
	const psl_ctx_t *list;

	pthread_mutex_lock(&public_suffix_lock);
	if(public_suffix_list == NULL) {
		public_suffix_loaded = psl_latest(NULL);
		public_suffix_list = public_suffix_loaded != NULL ?
			public_suffix_loaded : psl_builtin();
	}
	list = public_suffix_list;
	pthread_mutex_unlock(&public_suffix_lock);
	return list;
}

void
public_suffix_release(void)
{
	pthread_mutex_lock(&public_suffix_lock);
	psl_free(public_suffix_loaded);
	public_suffix_loaded = NULL;
	public_suffix_list = NULL;
	pthread_mutex_unlock(&public_suffix_lock);
}

/**
 * Print a name for libpsl: lower-case labels joined by dots, no trailing
 * dot. libpsl takes A-labels as they are (the list holds both forms).
 * @return 0, or -1 for a name with bytes a host name can't have (no
 *	public suffix has them).
 */
static int
name_for_psl(const uint8_t *wire, char *out)
{
	size_t n = 0;

	while(*wire != 0) {
		uint8_t len = *wire++, i;
		if(n > 0)
			out[n++] = '.';
		for(i = 0; i < len; i++) {
			uint8_t c = *wire++;
			if(c <= 0x20 || c >= 0x7f || c == '.')
				return -1;
			out[n++] = (char)c;
		}
	}
	out[n] = 0;
	return n > 0 ? 0 : -1;
}

int
name_is_public_suffix(const uint8_t *wire)
{
	char text[DNAME_MAX_WIRE + 1];
	const psl_ctx_t *list;

	if(wire == NULL || name_for_psl(wire, text) != 0)
		return 0;
	list = public_suffix_get();
	return list != NULL && psl_is_public_suffix2(list, text,
		PSL_TYPE_ANY) ? 1 : 0;
}
