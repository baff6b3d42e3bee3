// SPDX-License-Identifier: GPL-2.0
/*
 * taskstats.c - per task and per spawn site statistics (taskstats.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "taskstats.h"

struct cat_taskstats {
	struct cat_dwarf *dw;
	struct cat_ts_task **tasks;	/* index id - 1 */
	size_t ntasks, cap;
	struct cat_ts_site **sites;
	size_t nsites, capsites;
	struct cat_map site_by_hash;	/* fnv of the site -> first row */
	struct cat_ts_thread **threads;
	size_t nthreads, capthreads;
	struct cat_map thread_by_tid;
	bool keep_hists;
	bool oom;
};

const char *cat_ts_state_name(enum cat_ts_state s)
{
	switch (s) {
	case CAT_TS_RUNNING:	return "running";
	case CAT_TS_SCHEDULED:	return "scheduled";
	case CAT_TS_IDLE:	return "idle";
	case CAT_TS_DONE:	return "done";
	}
	return "?";
}

struct cat_taskstats *cat_taskstats_new(struct cat_dwarf *dw, bool keep_hists)
{
	struct cat_taskstats *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return NULL;
	ts->dw = dw;
	ts->keep_hists = keep_hists;
	cat_map_init(&ts->site_by_hash);
	cat_map_init(&ts->thread_by_tid);
	return ts;
}

void cat_taskstats_free(struct cat_taskstats *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->ntasks; i++) {
		free(ts->tasks[i]->poll_hist);	/* and sched_hist, see task_new */
		free(ts->tasks[i]);
	}
	for (size_t i = 0; i < ts->nsites; i++)
		free(ts->sites[i]);
	for (size_t i = 0; i < ts->nthreads; i++)
		free(ts->threads[i]);
	free(ts->tasks);
	free(ts->sites);
	free(ts->threads);
	cat_map_free(&ts->site_by_hash, NULL);
	cat_map_free(&ts->thread_by_tid, NULL);
	free(ts);
}

bool cat_taskstats_oom(const struct cat_taskstats *ts)
{
	return ts->oom;
}

struct cat_ts_task *cat_taskstats_find(struct cat_taskstats *ts, uint64_t id)
{
	if (!id || id > ts->ntasks)
		return NULL;
	return ts->tasks[id - 1];
}

void cat_taskstats_task_new(struct cat_taskstats *ts,
			    const struct cat_rb_task *t)
{
	struct cat_ts_task *k;

	/* ids are 1, 2, ... in order of first sight: the array's order */
	if (t->id != ts->ntasks + 1) {
		ts->oom = true;		/* a gap: one was not recorded */
		return;
	}
	if (ts->ntasks == ts->cap) {
		size_t nc = ts->cap ? ts->cap * 2 : 64;
		struct cat_ts_task **nt = realloc(ts->tasks, nc * sizeof(*nt));

		if (!nt) {
			ts->oom = true;
			return;
		}
		ts->tasks = nt;
		ts->cap = nc;
	}
	k = calloc(1, sizeof(*k));
	if (k)
		k->poll_hist = calloc(2, sizeof(*k->poll_hist));
	if (!k || !k->poll_hist) {
		free(k);
		ts->oom = true;
		return;
	}
	k->sched_hist = k->poll_hist + 1;
	k->id = t->id;
	k->rb = t;
	k->state = CAT_TS_IDLE;
	ts->tasks[ts->ntasks++] = k;
}

/* The row of thread @tid, made on first sight; NULL if out of memory. */
static struct cat_ts_thread *thread_row(struct cat_taskstats *ts, uint32_t tid)
{
	struct cat_ts_thread *t = cat_map_get(&ts->thread_by_tid, tid);

	if (t)
		return t;
	if (ts->nthreads == ts->capthreads) {
		size_t nc = ts->capthreads ? ts->capthreads * 2 : 16;
		struct cat_ts_thread **n = realloc(ts->threads, nc * sizeof(*n));

		if (!n)
			goto oom;
		ts->threads = n;
		ts->capthreads = nc;
	}
	t = calloc(1, sizeof(*t));
	if (!t || cat_map_put(&ts->thread_by_tid, tid, t)) {
		free(t);
		goto oom;
	}
	t->tid = tid;
	ts->threads[ts->nthreads++] = t;
	return t;
oom:
	ts->oom = true;
	return NULL;
}

void cat_taskstats_thread(struct cat_taskstats *ts,
			  const struct cat_rb_thread *t)
{
	struct cat_ts_thread *r = thread_row(ts, t->tid);

	if (r)
		memcpy(r->comm, t->comm, sizeof(r->comm));
}

void cat_taskstats_offcpu(struct cat_taskstats *ts,
			  const struct cat_rb_offcpu *o)
{
	struct cat_ts_thread *r = thread_row(ts, o->tid);

	if (!r || o->state >= CAT_OFFCPU_MAX)
		return;
	r->off_ns[o->state] += o->end_ns - o->start_ns;
	r->off_count++;
}

struct cat_ts_thread *const *cat_taskstats_threads(struct cat_taskstats *ts,
						   size_t *n)
{
	*n = ts->nthreads;
	return ts->threads;
}

void cat_taskstats_poll(struct cat_taskstats *ts, const struct cat_rb_poll *p)
{
	struct cat_ts_task *k = cat_taskstats_find(ts, p->task->id);
	struct cat_ts_thread *th = thread_row(ts, p->tid);
	uint64_t waited_until = p->start_ns;

	if (th) {
		th->polls++;
		th->poll_ns += p->end_ns - p->start_ns;
	}

	if (!k || !k->poll_hist)
		return;
	cat_hist_add(k->poll_hist, p->end_ns - p->start_ns);
	if (p->wake_ns && p->wake_ns <= p->start_ns) {
		cat_hist_add(k->sched_hist, p->start_ns - p->wake_ns);
		k->sched_ns += p->start_ns - p->wake_ns;
		k->wakes++;
		k->self_wakes += p->wake_self;
		waited_until = p->wake_ns;
	}
	if (p->prev_end_ns && p->prev_end_ns <= waited_until)
		k->idle_ns += waited_until - p->prev_end_ns;
	if (p->blocking)
		k->blocking_polls++;
}

void cat_taskstats_instant(struct cat_taskstats *ts,
			   const struct cat_rb_instant *i)
{
	struct cat_ts_task *k;

	if (!i->target || !i->probe || i->probe->role != CAT_ROLE_WAKE)
		return;
	k = cat_taskstats_find(ts, i->target->id);
	if (!k)
		return;
	k->woken++;
	if (i->task == i->target)
		k->woken_self++;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h ? h : 1;
}

static struct cat_ts_site *site_row(struct cat_taskstats *ts, const char *site)
{
	uint64_t h = fnv(site);
	struct cat_ts_site *r = cat_map_get(&ts->site_by_hash, h);

	/* a hash collision falls back to a scan: sites are few */
	if (r && strcmp(r->site, site)) {
		r = NULL;
		for (size_t i = 0; i < ts->nsites && !r; i++)
			if (!strcmp(ts->sites[i]->site, site))
				r = ts->sites[i];
	}
	if (r)
		return r;
	if (ts->nsites == ts->capsites) {
		size_t nc = ts->capsites ? ts->capsites * 2 : 16;
		struct cat_ts_site **ns = realloc(ts->sites, nc * sizeof(*ns));

		if (!ns)
			return NULL;
		ts->sites = ns;
		ts->capsites = nc;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	snprintf(r->site, sizeof(r->site), "%s", site);
	if (!cat_map_get(&ts->site_by_hash, h) &&
	    cat_map_put(&ts->site_by_hash, h, r)) {
		free(r);
		return NULL;
	}
	ts->sites[ts->nsites++] = r;
	return r;
}

/* What the rebuild knows of @k's task now: totals, parent, site, state. */
static void update(struct cat_taskstats *ts, struct cat_ts_task *k)
{
	const struct cat_rb_task *t = k->rb;

	k->polls = t->npolls;
	k->busy_ns = t->busy_ns;
	k->longest_ns = t->longest_poll_ns;
	k->spawn_blocking = t->spawn_blocking;
	if (t->have_last)
		k->last_tid = t->last_tid;
	if (!k->parent && t->spawner_task) {
		struct cat_ts_task *p = cat_taskstats_find(ts, t->spawner_task);

		k->parent = t->spawner_task;
		if (p)
			p->children++;
	}
	cat_task_site(ts->dw, t, k->site, sizeof(k->site));
	if (t->open_polls)
		k->state = CAT_TS_RUNNING;
	else if (t->wake_pending)
		k->state = CAT_TS_SCHEDULED;
	else
		k->state = CAT_TS_IDLE;
}

void cat_taskstats_task_end(struct cat_taskstats *ts,
			    const struct cat_rb_task *t)
{
	struct cat_ts_task *k = cat_taskstats_find(ts, t->id);
	struct cat_ts_site *s;

	if (!k || !k->rb)
		return;
	update(ts, k);
	if (t->state == CAT_TASK_FREED)
		k->state = CAT_TS_DONE;
	k->rb = NULL;		/* the rebuild frees it after this call */
	s = site_row(ts, k->site);
	if (!s) {
		ts->oom = true;
		return;
	}
	s->tasks++;
	cat_hist_merge(&s->poll_hist, k->poll_hist);
	cat_hist_merge(&s->sched_hist, k->sched_hist);
	if (!ts->keep_hists) {
		free(k->poll_hist);
		k->poll_hist = k->sched_hist = NULL;
	}
}

void cat_taskstats_sync(struct cat_taskstats *ts)
{
	for (size_t i = 0; i < ts->ntasks; i++)
		if (ts->tasks[i]->rb)
			update(ts, ts->tasks[i]);
}

struct cat_ts_task *const *cat_taskstats_tasks(struct cat_taskstats *ts,
					       size_t *n)
{
	*n = ts->ntasks;
	return ts->tasks;
}

struct cat_ts_site *const *cat_taskstats_sites(struct cat_taskstats *ts,
					       size_t *n)
{
	*n = ts->nsites;
	return ts->sites;
}
