/*
 * build_match.c - refuse to run inside an Unbound other than the one the
 * module was built against.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * The glue uses Unbound's structures directly (module_env, module_qstate,
 * the caches), and their layout changes between releases and with the
 * configure options. Unbound's dynlib loader checks nothing: a module built
 * for another release loads and then reads the wrong fields. So init
 * first makes sure the daemon is the one whose configured source tree
 * (config.h) built the module.
 *
 * The daemon carries the same config.h strings the module was compiled
 * with: PACKAGE_STRING ("unbound 1.17.1", logged at start) and CONFCMDLINE
 * (printed by unbound -V after "Configure line: "). They are looked for,
 * with their terminating NUL, in the read-only segments of the main
 * program as loaded (the first object dl_iterate_phdr reports). Unbound's
 * testbound, built from the same tree, carries PACKAGE_STRING but prints
 * no configure line; a program without the "Configure line: %s" format
 * is therefore held to the version alone.
 *
 * This runs once, at init; nothing of it is on the query path.
 */
#include "config.h"
#include <link.h>
#include <stdio.h>
#include <string.h>
#include "cnroute_module.h"
#include "util/log.h"

/** The format unbound -V prints its configure line with: a program that
 *  has it records a configure line, which must then be ours. */
static const char configure_line_format[] = "Configure line: %s\n";

/** The longest daemon version named in the refusal ("unbound 1.26.2"). */
#define DAEMON_NAME_MAX 48

/** One read-only segment of the main program as loaded. */
struct loaded_segment {
	/** its first byte */
	const char *start;
	/** its length (the part backed by the file) */
	size_t len;
};

/** At most this many read-only segments are looked at (a program has
 *  two to four: headers, text, rodata, relro). */
#define LOADED_SEGMENTS_MAX 16

/** What the scan of the main program collects. */
struct main_program {
	/** its read-only segments */
	struct loaded_segment seg[LOADED_SEGMENTS_MAX];
	/** how many of seg are used */
	int count;
};

/**
 * dl_iterate_phdr callback: note the read-only PT_LOAD segments of the
 * first object, which is the main program, and stop.
 * @param info the object
 * @param size sizeof(*info)
 * @param arg the struct main_program to fill
 * @return 1, to stop after the first object
 */
static int
collect_main_program(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct main_program *mp = arg;
	int i;
	(void)size;
	for(i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if(ph->p_type != PT_LOAD || !(ph->p_flags & PF_R) ||
			(ph->p_flags & PF_W) || ph->p_filesz == 0)
			continue;
		if(mp->count == LOADED_SEGMENTS_MAX)
			break;
		mp->seg[mp->count].start =
			(const char *)(info->dlpi_addr + ph->p_vaddr);
		mp->seg[mp->count].len = ph->p_filesz;
		mp->count++;
	}
	return 1;
}

/**
 * Whether the main program holds a string, with its terminating NUL.
 * @param mp the main program's segments
 * @param s the string
 * @return 1 if found
 */
static int
program_has(const struct main_program *mp, const char *s)
{
	size_t n = strlen(s) + 1;
	int i;
	for(i = 0; i < mp->count; i++)
		if(memmem(mp->seg[i].start, mp->seg[i].len, s, n))
			return 1;
	return 0;
}

/**
 * Find the name and version the program was built as: a string of its own
 * that is "unbound " and a version ("unbound 1.26.2", PACKAGE_STRING).
 * @param mp the main program's segments
 * @param out where to put it (DAEMON_NAME_MAX bytes)
 * @return 1 if found, else 0 and out says it is unknown
 */
static int
program_package_string(const struct main_program *mp, char *out)
{
	static const char prefix[] = "unbound ";
	const size_t plen = sizeof(prefix) - 1;
	int i;
	for(i = 0; i < mp->count; i++) {
		const char *p = mp->seg[i].start;
		const char *end = p + mp->seg[i].len;
		while((p = memmem(p, (size_t)(end - p), prefix, plen)) != NULL) {
			const char *v = p + plen;
			const char *q = v;
			int at_string_start = p == mp->seg[i].start || p[-1] == 0;
			while(q < end && q - v < DAEMON_NAME_MAX - (int)plen - 1 &&
				((*q >= '0' && *q <= '9') || *q == '.' ||
				(*q >= 'a' && *q <= 'z')))
				q++;
			if(at_string_start && q < end && *q == 0 && q > v &&
				*v >= '0' && *v <= '9' && memchr(v, '.', (size_t)(q - v))) {
				snprintf(out, DAEMON_NAME_MAX, "%.*s",
					(int)(q - p), p);
				return 1;
			}
			p += plen;
		}
	}
	snprintf(out, DAEMON_NAME_MAX, "an Unbound of unknown version");
	return 0;
}

int
cnroute_build_matches_daemon(void)
{
	struct main_program mp;
	char daemon_name[DAEMON_NAME_MAX];

	memset(&mp, 0, sizeof(mp));
	dl_iterate_phdr(collect_main_program, &mp);
	if(mp.count == 0)
		return 1; /* nothing to compare with: do not refuse blindly */
	if(!program_has(&mp, PACKAGE_STRING)) {
		program_package_string(&mp, daemon_name);
		log_err("cnroute: built for %s but loaded into %s; rebuild "
			"cnroute against this Unbound's configured source tree",
			PACKAGE_STRING, daemon_name);
		return 0;
	}
	if(program_has(&mp, configure_line_format) &&
		!program_has(&mp, CONFCMDLINE)) {
		log_err("cnroute: built for %s configured with \"%s\" but "
			"loaded into %s configured otherwise (unbound -V shows "
			"its configure line); rebuild cnroute against this "
			"Unbound's configured source tree", PACKAGE_STRING,
			CONFCMDLINE, PACKAGE_STRING);
		return 0;
	}
	return 1;
}
