/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testutil.h - small helpers the host unit tests share.
 */
#ifndef CAT_TESTUTIL_H
#define CAT_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Run a shell command, return its whole stdout (malloc()ed). */
static inline char *sh(const char *fmt, ...)
{
	char *cmd, *buf = NULL;
	size_t len = 0, cap = 0;
	va_list ap;
	FILE *f;
	int c;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		cmd = NULL;
	va_end(ap);
	if (!cmd)
		return NULL;
	f = popen(cmd, "r");
	free(cmd);
	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				break;
		}
		buf[len++] = (char)c;
	}
	pclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = '\0';
	return buf;
}

/*
 * A whole file, NUL-terminated (malloc()ed), its size in *@len (may be
 * NULL); NULL if it cannot be read.
 */
static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
out:
	fclose(f);
	return buf;
}

#endif /* CAT_TESTUTIL_H */
