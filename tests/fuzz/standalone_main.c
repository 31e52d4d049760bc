/*
 * standalone_main.c - run a libFuzzer target over files, without libFuzzer.
 *
 * Copyright (c) 2026, the cnroute authors. BSD-3-Clause, see LICENSE.
 *
 * Lets the fuzz targets be built with plain gcc (plus sanitizers) and run
 * over their seed corpus in the normal test suite: every file named on
 * the command line, or every regular file in a directory named there, is
 * passed once to LLVMFuzzerTestOneInput.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/** The fuzz target linked with this file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Largest input read. */
#define FUZZ_INPUT_MAX (1024 * 1024)

/**
 * Run the target on one file.
 * @return 0 or -1 if the file could not be read.
 */
static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf, *exact;
	size_t len;

	if(f == NULL) {
		perror(path);
		return -1;
	}
	buf = malloc(FUZZ_INPUT_MAX);
	if(buf == NULL) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, FUZZ_INPUT_MAX, f);
	fclose(f);
	/* Hand over a copy of exactly len bytes, so that ASan catches a
	 * target reading past the end, as libFuzzer would. */
	exact = malloc(len ? len : 1);
	if(exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

/** Run the target on every regular file of a directory. */
static int
run_dir(const char *path, int *count)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int r = 0;

	if(d == NULL) {
		perror(path);
		return -1;
	}
	while((e = readdir(d)) != NULL) {
		char child[4096];
		struct stat st;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		if(stat(child, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if(run_file(child) != 0)
			r = -1;
		(*count)++;
	}
	closedir(d);
	return r;
}

/** Run every file or directory given; exit status 1 on unreadable input. */
int
main(int argc, char **argv)
{
	int i, r = 0, count = 0;

	for(i = 1; i < argc; i++) {
		struct stat st;
		if(stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if(run_dir(argv[i], &count) != 0)
				r = 1;
		} else {
			if(run_file(argv[i]) != 0)
				r = 1;
			count++;
		}
	}
	printf("%s: %d inputs run\n", argv[0], count);
	return r;
}
