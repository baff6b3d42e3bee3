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

/* Write one control command; 0 or -errno (the module's answer). */
int cat_control(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read and parse the stats file; 0 or -errno. Free with cat_stats_free. */
int cat_stats_read(struct cat_stats *st);
void cat_stats_free(struct cat_stats *st);

/* Print the stats readably: session keys, one line per CPU, totals. */
void cat_stats_print(const struct cat_stats *st, FILE *out);

#endif /* CAT_SESSION_H */
