/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_args.h - check every arg of catctl's full-detail timeline JSON
 * against what the test already knows is true (issue 14.12).
 *
 * The caller gives the tasks of the same trace as "catctl report" counted
 * them, and checks those against the traced program's own expectations;
 * this file checks that each poll slice of the JSON says the same:
 *
 *  - per task, its poll slices on thread lanes are exactly polls 1..N
 *    (N = the report's count), once each, numbered in start order, and
 *    the task lane has the same N slices at the same times (its twins);
 *  - each slice's name is "task <args.task>", args.spawned_at is the
 *    task's spawn site (before its spawn call returned: a guess),
 *    args.thread ends in the tid of its thread lane, args.result is
 *    Pending or Ready ("unknown" only on a cut poll, or on the last
 *    poll of a task still alive at the end: whether that poll completed
 *    it, only its free would have told) and only the last poll may be
 *    Ready,
 *    args.blocking agrees with blocking_reason and the report's count of
 *    blocking polls, 0 <= args.off_cpu_us <= dur, args.location is a
 *    source line ("file:line") or "?";
 *  - each task lane is named "task <id> <spawned_at>".
 *
 * Included by one test; the functions are static.
 */
#ifndef CAT_SELFTEST_JSON_ARGS_H
#define CAT_SELFTEST_JSON_ARGS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "json.h"	/* CAT_JSON_TASKS_PID, CAT_JSON_TASK_TID */

/* What the report says about one task. */
struct ja_task {
	long id;
	long polls;
	long blocking_polls;
	const char *spawned_at;
	bool alive;		/* not freed when the trace ended */
};

struct ja_poll {
	long seq;
	double ts, dur;
	bool ready;
};

struct ja_lane {
	long long pid, tid;
	const char *name;
};

struct ja_ctx {
	struct ja_lane *lanes;
	size_t nlanes, lanes_cap;
	char *err;
	size_t errlen;
	int problems;
};

static void ja_fail(struct ja_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ja_fail(struct ja_ctx *c, const char *fmt, ...)
{
	size_t used = strlen(c->err);
	va_list ap;

	/* the first few problems, one per line */
	if (c->problems++ < 8 && used + 2 < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + used, c->errlen - used, fmt, ap);
		va_end(ap);
		used = strlen(c->err);
		if (used + 1 < c->errlen)
			strcat(c->err, "\n");
	}
}

static yajl_val ja_get(yajl_val e, const char *k1, const char *k2,
		       yajl_type type)
{
	const char *path[] = { k1, k2, NULL };

	return yajl_tree_get(e, path, type);
}

static const char *ja_str(yajl_val e, const char *k1, const char *k2)
{
	yajl_val v = ja_get(e, k1, k2, yajl_t_string);

	return v ? YAJL_GET_STRING(v) : NULL;
}

static bool ja_num(yajl_val e, const char *k1, const char *k2, double *out)
{
	yajl_val v = ja_get(e, k1, k2, yajl_t_number);

	if (!v)
		return false;
	*out = YAJL_GET_DOUBLE(v);
	return true;
}

/* "file.rs:123" (any path before it), or "?" */
static bool ja_is_location(const char *s)
{
	const char *colon = strrchr(s, ':');

	if (!strcmp(s, "?"))
		return true;
	if (!colon || colon == s || !colon[1])
		return false;
	return strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

/* Every thread_name metadata event, collected once. */
static void ja_collect_lanes(struct ja_ctx *c, yajl_val evs)
{
	for (size_t i = 0; i < YAJL_GET_ARRAY(evs)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(evs)->values[i];
		const char *ph = ja_str(e, "ph", NULL);
		const char *name = ja_str(e, "name", NULL);
		struct ja_lane *l;
		double p, t;

		if (!ph || strcmp(ph, "M") || !name ||
		    strcmp(name, "thread_name") || !ja_num(e, "pid", NULL, &p) ||
		    !ja_num(e, "tid", NULL, &t))
			continue;
		if (c->nlanes == c->lanes_cap) {
			size_t cap = c->lanes_cap ? 2 * c->lanes_cap : 64;
			void *m = realloc(c->lanes, cap * sizeof(*c->lanes));

			if (!m)
				return;
			c->lanes = m;
			c->lanes_cap = cap;
		}
		l = &c->lanes[c->nlanes++];
		l->pid = (long long)p;
		l->tid = (long long)t;
		l->name = ja_str(e, "args", "name");
	}
}

/* The name the thread_name metadata gives (pid, tid), or NULL. */
static const char *ja_lane_name(const struct ja_ctx *c, long long pid,
				long long tid)
{
	for (size_t i = 0; i < c->nlanes; i++)
		if (c->lanes[i].pid == pid && c->lanes[i].tid == tid)
			return c->lanes[i].name;
	return NULL;
}

static int ja_by_seq(const void *a, const void *b)
{
	const struct ja_poll *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One poll slice's own args; fills @p. */
static void ja_check_slice(struct ja_ctx *c, yajl_val e,
			   const struct ja_task *t, bool task_lane,
			   struct ja_poll *p, long *blocking, bool twin)
{
	const char *name = ja_str(e, "name", NULL);
	const char *s, *thread, *lane;
	yajl_val b;
	double pid, tid, v, off = -1;
	char want[48];

	snprintf(want, sizeof(want), "task %ld", t->id);
	if (!name || strcmp(name, want))
		ja_fail(c, "task %ld: slice named '%s'", t->id, name ? name : "");
	if (!ja_num(e, "args", "poll", &v) || v < 1) {
		ja_fail(c, "task %ld: slice without a poll number", t->id);
		v = 0;
	}
	p->seq = (long)v;
	if (!ja_num(e, "ts", NULL, &p->ts) || !ja_num(e, "dur", NULL, &p->dur) ||
	    p->dur < 0)
		ja_fail(c, "task %ld poll %ld: no ts/dur", t->id, p->seq);
	/*
	 * Another location (or "?") is allowed: an async-task task can be
	 * polled before the spawn call that made it returns, and the
	 * timeline is written as it goes; its task lane, named at its end,
	 * must have the report's site.
	 */
	s = ja_str(e, "args", "spawned_at");
	if (!s || (strcmp(s, t->spawned_at) && !ja_is_location(s)))
		ja_fail(c, "task %ld poll %ld: spawned_at '%s', the report says '%s'",
			t->id, p->seq, s ? s : "(none)", t->spawned_at);
	thread = ja_str(e, "args", "thread");
	if (!thread) {
		ja_fail(c, "task %ld poll %ld: no thread", t->id, p->seq);
	} else if (!task_lane && ja_num(e, "pid", NULL, &pid) &&
		   ja_num(e, "tid", NULL, &tid)) {
		/*
		 * The same thread: a thread's comm is known from its records,
		 * so a poll before the first sched_switch after a rename
		 * (pthread_setname_np) has the older one; the lane has the
		 * last. The tid after the name must be the lane's.
		 */
		const char *ts = strrchr(thread, ' ');

		lane = ja_lane_name(c, (long long)pid, (long long)tid);
		if (!lane || !ts || !strrchr(lane, ' ') ||
		    strcmp(ts, strrchr(lane, ' ')))
			ja_fail(c, "task %ld poll %ld: thread '%s' on the lane named '%s'",
				t->id, p->seq, thread, lane ? lane : "(none)");
	}
	/*
	 * "unknown" only for a poll cut by the trace's start or end, or the
	 * last poll of a task never freed
	 */
	s = ja_str(e, "args", "result");
	if (!s || (strcmp(s, "Pending") && strcmp(s, "Ready") &&
		   (strcmp(s, "unknown") ||
		    (!ja_str(e, "args", "end") &&
		     !(t->alive && p->seq == t->polls)))))
		ja_fail(c, "task %ld poll %ld: result '%s'", t->id, p->seq,
			s ? s : "(none)");
	p->ready = s && !strcmp(s, "Ready");
	b = ja_get(e, "args", "blocking", yajl_t_any);
	if (!b || !(YAJL_IS_TRUE(b) || YAJL_IS_FALSE(b))) {
		ja_fail(c, "task %ld poll %ld: blocking is not a boolean", t->id,
			p->seq);
	} else {
		bool reason = ja_str(e, "args", "blocking_reason") != NULL;

		if (YAJL_IS_TRUE(b) != reason)
			ja_fail(c, "task %ld poll %ld: blocking %d with%s a reason",
				t->id, p->seq, YAJL_IS_TRUE(b), reason ? "" : "out");
		if (!twin)
			*blocking += YAJL_IS_TRUE(b);
	}
	/* both are printed in microseconds, rounded to 3 decimals */
	if (!ja_num(e, "args", "off_cpu_us", &off) || off < 0 ||
	    off > p->dur + 0.002)
		ja_fail(c, "task %ld poll %ld: off_cpu_us %g of a %g us poll",
			t->id, p->seq, off, p->dur);
	s = ja_str(e, "args", "location");
	if (!s || !ja_is_location(s))
		ja_fail(c, "task %ld poll %ld: location '%s'", t->id, p->seq,
			s ? s : "(none)");
}

/* A task's slices as they are found: [0] on thread lanes, [1] its lane. */
struct ja_seen {
	struct ja_poll *p[2];
	size_t n[2], cap[2];
	long blocking;
};

static bool ja_push(struct ja_seen *s, int lane, const struct ja_poll *p)
{
	if (s->n[lane] == s->cap[lane]) {
		size_t cap = s->cap[lane] ? 2 * s->cap[lane] : 16;
		void *m = realloc(s->p[lane], cap * sizeof(*p));

		if (!m)
			return false;
		s->p[lane] = m;
		s->cap[lane] = cap;
	}
	s->p[lane][s->n[lane]++] = *p;
	return true;
}

/* The per-task checks once every slice is seen. */
static void ja_check_task(struct ja_ctx *c, const struct ja_task *t,
			  struct ja_seen *s, long long tpid)
{
	long long ttid = CAT_JSON_TASK_TID((unsigned long long)t->id);
	size_t n = s->n[0];
	const char *lane;
	char want[512];

	if ((long)n != t->polls || (long)s->n[1] != t->polls) {
		ja_fail(c, "task %ld: %zu poll slices on thread lanes, %zu on its task lane, the report counts %ld",
			t->id, n, s->n[1], t->polls);
	} else if (n) {
		struct ja_poll *th = s->p[0], *tl = s->p[1];

		qsort(th, n, sizeof(*th), ja_by_seq);
		qsort(tl, n, sizeof(*tl), ja_by_seq);
		for (size_t i = 0; i < n; i++) {
			if (th[i].seq != (long)i + 1)
				ja_fail(c, "task %ld: poll numbers are not 1..%zu (%zu-th is %ld)",
					t->id, n, i + 1, th[i].seq);
			/*
			 * Only the last poll is Ready, or one that overlaps
			 * the next (async-task, see below): which of the two
			 * completed the task is not told by their bounds.
			 */
			if (th[i].ready && i + 1 != n &&
			    th[i].ts + th[i].dur <= th[i + 1].ts)
				ja_fail(c, "task %ld: poll %ld is Ready but not its last",
					t->id, th[i].seq);
			/*
			 * Numbered in start order. They may overlap by a
			 * little: async-task reschedules a task woken during
			 * its run before RawTask::run returns, so another
			 * worker can start the next poll first.
			 */
			if (i && th[i].ts < th[i - 1].ts)
				ja_fail(c, "task %ld: poll %ld starts before poll %ld",
					t->id, th[i].seq, th[i].seq - 1);
			if (tl[i].seq != th[i].seq || tl[i].ts != th[i].ts ||
			    tl[i].dur != th[i].dur)
				ja_fail(c, "task %ld poll %ld: its task lane twin differs",
					t->id, th[i].seq);
		}
	}
	if (t->blocking_polls >= 0 && s->blocking != t->blocking_polls)
		ja_fail(c, "task %ld: %ld blocking polls in the JSON, %ld in the report",
			t->id, s->blocking, t->blocking_polls);
	snprintf(want, sizeof(want), "task %ld %s", t->id, t->spawned_at);
	lane = ja_lane_name(c, tpid, ttid);
	if (t->polls > 0 && (!lane || strcmp(lane, want)))
		ja_fail(c, "task %ld: task lane named '%s', not '%s'", t->id,
			lane ? lane : "(none)", want);
}

/*
 * Check the poll slices of @tasks (the report's view of the same trace)
 * in the full-detail timeline @root of process @tgid. Returns the number
 * of problems, the first of them in @err.
 */
static int ja_check_timeline(yajl_val root, long long tgid,
			     const struct ja_task *tasks, int ntasks,
			     char *err, size_t errlen)
{
	struct ja_ctx c = { .err = err, .errlen = errlen };
	yajl_val evs = ja_get(root, "traceEvents", NULL, yajl_t_array);
	long long tpid = CAT_JSON_TASKS_PID((unsigned long long)tgid);
	struct ja_seen *seen;

	err[0] = '\0';
	if (!evs) {
		ja_fail(&c, "no traceEvents array");
		return c.problems;
	}
	seen = calloc(ntasks ? ntasks : 1, sizeof(*seen));
	if (!seen) {
		ja_fail(&c, "out of memory");
		return c.problems;
	}
	ja_collect_lanes(&c, evs);
	for (size_t i = 0; i < YAJL_GET_ARRAY(evs)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(evs)->values[i];
		const char *ph = ja_str(e, "ph", NULL);
		const char *cat = ja_str(e, "cat", NULL);
		double task, pid, tid;
		struct ja_poll p;
		int k, lane;

		if (!ph || strcmp(ph, "X") || !cat || strcmp(cat, "poll"))
			continue;
		if (!ja_num(e, "args", "task", &task)) {
			ja_fail(&c, "event %zu: a poll slice without args.task", i);
			continue;
		}
		for (k = 0; k < ntasks && tasks[k].id != (long)task; k++)
			;
		if (k == ntasks) {
			ja_fail(&c, "event %zu: poll slice of task %ld, which the report does not have",
				i, (long)task);
			continue;
		}
		if (!ja_num(e, "pid", NULL, &pid) || !ja_num(e, "tid", NULL, &tid)) {
			ja_fail(&c, "task %ld: slice without pid/tid", tasks[k].id);
			continue;
		}
		lane = (long long)pid == tpid;
		if (lane && (long long)tid !=
		    (long long)CAT_JSON_TASK_TID((unsigned long long)tasks[k].id))
			ja_fail(&c, "task %ld: poll on task lane %lld", tasks[k].id,
				(long long)tid);
		if (!lane && (long long)pid != tgid)
			ja_fail(&c, "task %ld: poll in process %lld", tasks[k].id,
				(long long)pid);
		ja_check_slice(&c, e, &tasks[k], lane, &p,
			       &seen[k].blocking, lane);
		if (!ja_push(&seen[k], lane, &p))
			ja_fail(&c, "out of memory");
	}
	for (int k = 0; k < ntasks; k++) {
		ja_check_task(&c, &tasks[k], &seen[k], tpid);
		free(seen[k].p[0]);
		free(seen[k].p[1]);
	}
	free(seen);
	free(c.lanes);
	return c.problems;
}

#endif /* CAT_SELFTEST_JSON_ARGS_H */
