/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lints.h - warnings about a task, each a documented rule over the
 * numbers of taskstats.h with a default threshold (timeline.rst, "Lints"):
 *
 *   long-poll      a poll longer than long_poll_ns (10 ms): it held its
 *                  worker thread that long (report's "blocking" also
 *                  counts polls that slept off-CPU); not for
 *                  spawn_blocking tasks, which are meant to block, nor
 *                  the next one;
 *   never-yielded  a poll longer than never_yield_ns (1 s): as
 *                  tokio-console's lint, a task that keeps its thread;
 *   self-wakes     more than self_wake_pct (50) percent of its wakes came
 *                  from inside its own poll (at least self_wake_min, 4):
 *                  a busy loop of yield_now or a wake-before-return;
 *   wake-storm     woken more than wake_storm_ratio (4) times per poll,
 *                  with at least wake_storm_min (100) wakes: wakes that
 *                  coalesce into one poll are wasted work;
 *   alive-at-exit  not freed when the trace ended (tokio also frees a
 *                  task whose JoinHandle was dropped without the probed
 *                  dealloc, timeline.rst: such tasks show here too).
 *
 * Not here: the "lost waker" lint (a pending task whose wakers were all
 * dropped) needs probes on the waker vtable's clone and drop, which cat
 * does not place yet.
 */
#ifndef CAT_LINTS_H
#define CAT_LINTS_H

#include <stddef.h>
#include <stdint.h>

#include "taskstats.h"

enum cat_lint {
	CAT_LINT_LONG_POLL	= 1u << 0,
	CAT_LINT_NEVER_YIELDED	= 1u << 1,
	CAT_LINT_SELF_WAKES	= 1u << 2,
	CAT_LINT_WAKE_STORM	= 1u << 3,
	CAT_LINT_ALIVE_AT_EXIT	= 1u << 4,
};
#define CAT_NLINTS	5

struct cat_lint_opts {
	uint64_t long_poll_ns;
	uint64_t never_yield_ns;
	unsigned int self_wake_pct, self_wake_min;
	unsigned int wake_storm_ratio, wake_storm_min;
};

/* The defaults above. */
void cat_lint_defaults(struct cat_lint_opts *o);

/* The lints @t triggers; alive-at-exit only once the trace has ended. */
unsigned int cat_lints_of(const struct cat_ts_task *t,
			  const struct cat_lint_opts *o, bool trace_ended);

/* "long-poll", ...: the name of lint bit @i (0..CAT_NLINTS-1) */
const char *cat_lint_name(unsigned int i);

/* "long-poll,self-wakes", or "-" for none, into @buf */
const char *cat_lints_str(unsigned int lints, char *buf, size_t len);

#endif /* CAT_LINTS_H */
