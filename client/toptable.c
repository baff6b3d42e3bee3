// SPDX-License-Identifier: GPL-2.0
/*
 * toptable.c - catctl top's task table (see toptable.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toptable.h"

static const char *const col_names[CAT_TOP_NCOLS] = {
	[CAT_TOP_ID] = "id",
	[CAT_TOP_STATE] = "state",
	[CAT_TOP_POLLS] = "polls",
	[CAT_TOP_BUSY] = "busy",
	[CAT_TOP_SCHED] = "scheduled",
	[CAT_TOP_IDLE] = "idle",
	[CAT_TOP_LONGEST] = "longest",
	[CAT_TOP_THREAD] = "thread",
	[CAT_TOP_PARENT] = "parent",
	[CAT_TOP_WARNINGS] = "warnings",
	[CAT_TOP_SITE] = "site",
};

const char *cat_top_col_name(enum cat_top_col c)
{
	return c < CAT_TOP_NCOLS ? col_names[c] : "?";
}

int cat_top_col_parse(const char *name)
{
	for (int i = 0; i < CAT_TOP_NCOLS; i++)
		if (!strcmp(name, col_names[i]))
			return i;
	return -1;
}

bool cat_top_col_descending(enum cat_top_col c)
{
	return c == CAT_TOP_POLLS || c == CAT_TOP_BUSY || c == CAT_TOP_SCHED ||
	       c == CAT_TOP_IDLE || c == CAT_TOP_LONGEST || c == CAT_TOP_WARNINGS;
}

const char *cat_top_us(char buf[32], uint64_t ns)
{
	snprintf(buf, 32, "%" PRIu64 ".%03u", ns / 1000,
		 (unsigned int)(ns % 1000));
	return buf;
}

static uint64_t key(const struct cat_top_view *v, const struct cat_ts_task *t,
		    enum cat_top_col c)
{
	switch (c) {
	case CAT_TOP_WARNINGS:
		return __builtin_popcount(cat_lints_of(t, &v->lints, v->ended));
	case CAT_TOP_ID:	return t->id;
	case CAT_TOP_STATE:	return t->state;
	case CAT_TOP_POLLS:	return t->polls;
	case CAT_TOP_BUSY:	return t->busy_ns;
	case CAT_TOP_SCHED:	return t->sched_ns;
	case CAT_TOP_IDLE:	return t->idle_ns;
	case CAT_TOP_LONGEST:	return t->longest_ns;
	case CAT_TOP_THREAD:	return t->last_tid;
	case CAT_TOP_PARENT:	return t->parent;
	default:		return 0;
	}
}

/* qsort has no context argument: the view of the current sort */
static const struct cat_top_view *sort_view;

static int cmp(const void *a, const void *b)
{
	const struct cat_ts_task *x = *(struct cat_ts_task *const *)a;
	const struct cat_ts_task *y = *(struct cat_ts_task *const *)b;
	int r;

	if (sort_view->sort == CAT_TOP_SITE) {
		r = strcmp(x->site, y->site);
	} else {
		uint64_t kx = key(sort_view, x, sort_view->sort);
		uint64_t ky = key(sort_view, y, sort_view->sort);

		r = kx < ky ? -1 : kx > ky;
	}
	if (sort_view->reverse)
		r = -r;
	/* ties: by id, so the order is stable from one redraw to the next */
	return r ? r : (x->id < y->id ? -1 : x->id > y->id);
}

size_t cat_top_select(struct cat_taskstats *ts, const struct cat_top_view *v,
		      struct cat_ts_task **out)
{
	struct cat_ts_task *const *t;
	size_t n, k = 0;

	t = cat_taskstats_tasks(ts, &n);
	for (size_t i = 0; i < n; i++) {
		if (v->hide_done && t[i]->state == CAT_TS_DONE)
			continue;
		if (v->filter && *v->filter && !strstr(t[i]->site, v->filter) &&
		    strcmp(cat_ts_state_name(t[i]->state), v->filter))
			continue;
		out[k++] = t[i];
	}
	sort_view = v;
	if (k)
		qsort(out, k, sizeof(*out), cmp);
	return k;
}

#define ROW_FMT "%6s %-9s %7s %12s %12s %12s %12s %7s %6s %-14s %s"

static void fit(char *buf, size_t len, unsigned int width)
{
	if (width && width < len)
		buf[width] = '\0';
}

#define THREAD_FMT "%8s %-16s %7s %12s %12s %12s %12s %12s"

void cat_top_thread_header(char *buf, size_t len, unsigned int width)
{
	snprintf(buf, len, THREAD_FMT, "THREAD", "COMM", "POLLS", "POLL-TIME",
		 "RUNNABLE", "SLEEPING", "IO", "OTHER");
	fit(buf, len, width);
}

void cat_top_thread_row(const struct cat_ts_thread *t, char *buf, size_t len,
			unsigned int width)
{
	const uint64_t *o = t->off_ns;
	char tid[16], polls[16], b[5][32];

	snprintf(tid, sizeof(tid), "%u", t->tid);
	snprintf(polls, sizeof(polls), "%u", t->polls);
	snprintf(buf, len, THREAD_FMT, tid, t->comm[0] ? t->comm : "?", polls,
		 cat_top_us(b[0], t->poll_ns),
		 cat_top_us(b[1], o[CAT_OFFCPU_PREEMPTED] + o[CAT_OFFCPU_YIELDED]),
		 cat_top_us(b[2], o[CAT_OFFCPU_SLEEPING]),
		 cat_top_us(b[3], o[CAT_OFFCPU_IOWAIT] + o[CAT_OFFCPU_DISK]),
		 cat_top_us(b[4], o[CAT_OFFCPU_IDLE_WAIT] + o[CAT_OFFCPU_OTHER]));
	fit(buf, len, width);
}

void cat_top_header(char *buf, size_t len, unsigned int width)
{
	snprintf(buf, len, ROW_FMT, "TASK", "STATE", "POLLS", "BUSY",
		 "SCHEDULED", "IDLE", "LONGEST", "THREAD", "PARENT",
		 "WARNINGS", "SPAWNED AT");
	fit(buf, len, width);
}

void cat_top_row(const struct cat_top_view *v, const struct cat_ts_task *t,
		 char *buf, size_t len, unsigned int width)
{
	char id[24], polls[16], tid[16], parent[24], b[4][32], w[80];

	snprintf(id, sizeof(id), "%" PRIu64, t->id);
	snprintf(polls, sizeof(polls), "%u", t->polls);
	snprintf(tid, sizeof(tid), "%u", t->last_tid);
	if (t->parent)
		snprintf(parent, sizeof(parent), "%" PRIu64, t->parent);
	else
		snprintf(parent, sizeof(parent), "-");
	snprintf(buf, len, ROW_FMT, id, cat_ts_state_name(t->state), polls,
		 cat_top_us(b[0], t->busy_ns), cat_top_us(b[1], t->sched_ns),
		 cat_top_us(b[2], t->idle_ns), cat_top_us(b[3], t->longest_ns),
		 t->last_tid ? tid : "-", parent,
		 cat_lints_str(cat_lints_of(t, &v->lints, v->ended), w, sizeof(w)),
		 t->site);
	fit(buf, len, width);
}
