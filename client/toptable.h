/* SPDX-License-Identifier: GPL-2.0 */
/*
 * toptable.h - catctl top's task table: which tasks (filter), in which
 * order (any column, either way), and each row as text - the same for
 * the terminal UI and --batch, so both print the same numbers. Times
 * are microseconds with three decimals, as in catctl report.
 */
#ifndef CAT_TOPTABLE_H
#define CAT_TOPTABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "lints.h"
#include "taskstats.h"

enum cat_top_col {
	CAT_TOP_ID,
	CAT_TOP_STATE,
	CAT_TOP_POLLS,
	CAT_TOP_BUSY,		/* poll time minus off-CPU time */
	CAT_TOP_SCHED,		/* wake to poll, summed */
	CAT_TOP_IDLE,		/* poll end to wake, summed */
	CAT_TOP_LONGEST,
	CAT_TOP_THREAD,		/* that ran its last poll */
	CAT_TOP_PARENT,
	CAT_TOP_WARNINGS,	/* lints.h */
	CAT_TOP_SITE,
	CAT_TOP_NCOLS
};

/* "id", "state", ...: the names --sort takes (-1: unknown) */
const char *cat_top_col_name(enum cat_top_col c);
int cat_top_col_parse(const char *name);

struct cat_top_view {
	enum cat_top_col sort;
	bool reverse;		/* largest first (the default for times) */
	bool hide_done;
	const char *filter;	/* substring of site or state; NULL: all */
	struct cat_lint_opts lints;
	bool ended;		/* the trace has ended: alive-at-exit applies */
};

/* The default order of a column: times and counts largest first. */
bool cat_top_col_descending(enum cat_top_col c);

/*
 * The tasks of @ts that @v shows, in its order, into @out (room for
 * every task of @ts); returns how many.
 */
size_t cat_top_select(struct cat_taskstats *ts, const struct cat_top_view *v,
		      struct cat_ts_task **out);

/* The header line and one row, @width columns at most (0: no limit). */
void cat_top_header(char *buf, size_t len, unsigned int width);
void cat_top_row(const struct cat_top_view *v, const struct cat_ts_task *t,
		 char *buf, size_t len, unsigned int width);

/*
 * The thread table: per thread its polls, their time, and its off-CPU
 * time by state: runnable (preempted or yielded), sleeping, I/O (iowait
 * or D) and other (idle wait, stopped, ...).
 */
void cat_top_thread_header(char *buf, size_t len, unsigned int width);
void cat_top_thread_row(const struct cat_ts_thread *t, char *buf, size_t len,
			unsigned int width);

/* "12.345" microseconds, exact, as report prints them */
const char *cat_top_us(char buf[32], uint64_t ns);

#endif /* CAT_TOPTABLE_H */
