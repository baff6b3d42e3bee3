/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session.h - talking to cat.ko through /sys/kernel/debug/cat: control
 * commands and the stats file. Used by catctl and by the selftests.
 */
#ifndef CAT_SESSION_H
#define CAT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cat_abi.h"

#define CAT_DEBUGFS_ROOT	"/sys/kernel/debug"

struct cat_stats {
	char state[16];			/* idle, running, stopped */
	char mode[16];
	unsigned int version;
	unsigned int probes;
	int target;
	int owner;
	bool follow;
	unsigned int unfollowed;	/* forks not followed: target table full */
	size_t subbuf_size;
	size_t n_subbufs;
	unsigned int ncpus;
	struct cat_counters *cpu;	/* ncpus entries */
	struct cat_counters total;
};

/* Path of a file in the cat debugfs directory ("" for the directory). */
const char *cat_path(const char *name);

/*
 * Why the module cannot be used, as a sentence for the user, or NULL when
 * it can: debugfs not mounted, cat.ko not loaded, permission denied.
 * @exit_code gets the matching CATCTL_EXIT_* value.
 */
const char *cat_module_problem(int *exit_code);

/*
 * cat_module_problem() for a command: 0 when the module can be used, else
 * its CATCTL_EXIT_* value, the problem printed on stderr as "@who: ...".
 */
int cat_module_check(const char *who);

/* Write one control command; 0 or -errno (the module's answer). */
int cat_control(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Write @len bytes to the control file as they are, in one write(2):
 * malformed or overlong input included. 0, -errno, -EIO on a short write.
 */
int cat_control_write(const void *buf, size_t len);

/*
 * Read the whole cat debugfs file @name (e.g. CAT_CONTROL_FILE: the
 * configuration as commands) into @buf, NUL-terminated. Returns its
 * length, -EFBIG if it does not fit, or -errno.
 */
ssize_t cat_file_read(const char *name, char *buf, size_t size);

/* Read and parse the stats file; 0 or -errno. Free with cat_stats_free. */
int cat_stats_read(struct cat_stats *st);

/*
 * The same, strictly (the selftests): -EPROTO also when the file is
 * malformed: a line that is not "key: value", a number that is not one,
 * a cpuN not below cpus, a counter missing for a CPU or the total, a
 * total that is not the sum of the CPUs. @err (may be NULL) then says
 * what was wrong. Nothing to free on failure.
 */
int cat_stats_read_checked(struct cat_stats *st, char *err, size_t errlen);
void cat_stats_free(struct cat_stats *st);

/* Print the stats readably: session keys, one line per CPU, totals. */
void cat_stats_print(const struct cat_stats *st, FILE *out);

#endif /* CAT_SESSION_H */
