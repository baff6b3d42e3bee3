/* SPDX-License-Identifier: GPL-2.0 */
/*
 * taskstats.h - statistics per task instance and per spawn site, kept
 * while a trace is rebuilt: the numbers of report's per-site table and
 * of "catctl top", computed once so that both always agree.
 *
 * Per poll (a cat_rb_poll, as the rebuild emits it):
 *   poll time       its duration (end - start), off-CPU time included;
 *   scheduled time  from the wake that caused it to its start, when that
 *                   wake was seen (a wake-to-poll delay);
 *   idle time       from the end of the previous poll to that wake (to
 *                   the start when no wake was seen): the task waited.
 * Per task: count, sums, the longest poll, histograms of poll and
 * scheduled time (hist.h), its parent task (the task whose poll spawned
 * it, 0: none) and how many tasks it spawned. Per spawn
 * site (the "file:line" of json.h's cat_task_site): the same histograms
 * over its task instances that ended (at the end of a trace: all of
 * them), and how many there were.
 *
 * Tasks are fed through the cat_taskstats_* calls from a rebuild sink's
 * callbacks, so a command can keep its own sink (report does). Memory:
 * about 300 bytes per task instance, kept until the table is freed, plus
 * its two histograms (2.5 KiB) while it lives - or for good with
 * @keep_hists (a task's detail view) - and one row per site.
 */
#ifndef CAT_TASKSTATS_H
#define CAT_TASKSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "rebuild.h"

struct cat_dwarf;

enum cat_ts_state {
	CAT_TS_RUNNING,		/* inside a poll */
	CAT_TS_SCHEDULED,	/* woken, not polled since */
	CAT_TS_IDLE,		/* waiting for a wake */
	CAT_TS_DONE,		/* freed */
};
const char *cat_ts_state_name(enum cat_ts_state s);

struct cat_ts_task {
	uint64_t id;
	uint64_t parent;		/* spawning task's id, 0: none */
	uint32_t children;
	char site[160];			/* json.h cat_task_site() */
	enum cat_ts_state state;
	uint32_t polls, wakes, self_wakes, blocking_polls;
	/* wake calls on it (wake probe hits), from inside its own poll */
	uint32_t woken, woken_self;
	uint64_t busy_ns;		/* poll time minus off-CPU time */
	uint64_t sched_ns, idle_ns, longest_ns;
	uint32_t last_tid;
	bool spawn_blocking;		/* meant to block: no poll lints */
	/* NULL after the task ended, unless the table keeps them */
	struct cat_hist *poll_hist, *sched_hist;
	/* private */
	const struct cat_rb_task *rb;	/* while the rebuild has it */
};

struct cat_ts_site {
	char site[160];
	uint32_t tasks;
	struct cat_hist poll_hist, sched_hist;
};

/* One thread of the traced process: its polls and its off-CPU time. */
struct cat_ts_thread {
	uint32_t tid;
	char comm[CAT_COMM_LEN + 1];
	uint32_t polls;
	uint64_t poll_ns;
	uint64_t off_ns[CAT_OFFCPU_MAX];	/* by state (rebuild.h) */
	uint32_t off_count;
};

struct cat_taskstats;

/* @dw (may be NULL: addresses) is borrowed. NULL if out of memory. */
struct cat_taskstats *cat_taskstats_new(struct cat_dwarf *dw, bool keep_hists);
void cat_taskstats_free(struct cat_taskstats *ts);

/* From the rebuild sink's callbacks of the same names. */
void cat_taskstats_task_new(struct cat_taskstats *ts,
			    const struct cat_rb_task *t);
void cat_taskstats_poll(struct cat_taskstats *ts, const struct cat_rb_poll *p);
void cat_taskstats_task_end(struct cat_taskstats *ts,
			    const struct cat_rb_task *t);
/* a thread seen or renamed, and its off-CPU intervals */
void cat_taskstats_thread(struct cat_taskstats *ts,
			  const struct cat_rb_thread *t);
void cat_taskstats_offcpu(struct cat_taskstats *ts,
			  const struct cat_rb_offcpu *o);
/* a wake probe's instant: counted for the task it wakes */
void cat_taskstats_instant(struct cat_taskstats *ts,
			   const struct cat_rb_instant *i);
/* true if memory ran out at some point (the numbers are incomplete) */
bool cat_taskstats_oom(const struct cat_taskstats *ts);

/*
 * Bring the live tasks' totals and states up to now (the rebuild's
 * counters run ahead of the polls it has emitted). Before reading.
 */
void cat_taskstats_sync(struct cat_taskstats *ts);

/* Every task instance seen, in order of id; valid until the next call. */
struct cat_ts_task *const *cat_taskstats_tasks(struct cat_taskstats *ts,
					       size_t *n);
/* Every spawn site, in order of first task; same validity. */
struct cat_ts_site *const *cat_taskstats_sites(struct cat_taskstats *ts,
					       size_t *n);
/* Every thread, in order of first sight; same validity. */
struct cat_ts_thread *const *cat_taskstats_threads(struct cat_taskstats *ts,
						   size_t *n);
/* The task with id @id, or NULL. */
struct cat_ts_task *cat_taskstats_find(struct cat_taskstats *ts, uint64_t id);

#endif /* CAT_TASKSTATS_H */
