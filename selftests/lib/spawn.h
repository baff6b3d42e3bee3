/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawn.h - run a program as a child with its stdout and stderr in files,
 * wait for it with a timeout, and read those files back.
 *
 * The end-to-end suites (selftests/catctl, selftests/faults) drive the real
 * catctl and the bundled Rust programs this way; the files are what a
 * failed run leaves for the host (/out) and what the tests grep. One copy
 * here, so that every suite starts, reaps and kills its children alike.
 * Unlike cat_child_spawn() (catlib.h) nothing is held before exec.
 */
#ifndef _CAT_SPAWN_H
#define _CAT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* @in_fd of cat_spawn(): a descriptor for the child's stdin, or one of */
#define CAT_SPAWN_STDIN_KEEP	(-1)	/* the caller's stdin */
#define CAT_SPAWN_STDIN_NONE	(-2)	/* closed */

/*
 * Fork and exec @argv[0] (a path, no PATH lookup) with stdout in @out and
 * stderr in @err (both truncated), stdin per @in_fd, and @env ("NAME=value",
 * may be NULL) added to the environment. The child's pid, or -1 if fork()
 * failed; a child that cannot open its files exits 126, one that cannot
 * exec 127.
 */
pid_t cat_spawn(char *const argv[], const char *out, const char *err,
		int in_fd, const char *env);

/*
 * The wait status of @pid, or -1 if it has not ended after @timeout_ms (it
 * is then killed with SIGKILL and reaped) or @pid is not a child.
 */
int cat_spawn_wait(pid_t pid, int timeout_ms);

/*
 * The contents of @path, NUL-terminated, in a malloc()ed buffer (its length
 * in *@len if @len is not NULL); NULL if it cannot be read.
 */
char *cat_slurp(const char *path, size_t *len);
/* Whether @path can be read and contains @what. */
bool cat_file_has(const char *path, const char *what);
/* Copy @path to stderr as a "# --- path ---" block, for a failure's log. */
void cat_file_show(const char *path);

#endif /* _CAT_SPAWN_H */
