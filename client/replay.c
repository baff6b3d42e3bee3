// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - a trace played back in trace time (see replay.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rawfile.h"
#include "replay.h"
#include "spawnsite.h"

struct cat_replay {
	struct cat_trace_reader *rd;
	const struct cat_trace_info *in;
	struct cat_dwarf *dw;
	struct cat_spawnsites *ss;
	struct cat_rebuild_opts ro;
	struct cat_rebuild *rb;
	struct cat_taskstats *ts;
	const struct cat_rec_header *pending;	/* read, later than now */
	uint64_t now;
	bool done;
};

static void on_task_new(void *ctx, struct cat_rb_task *t)
{
	cat_taskstats_task_new(ctx, t);
}

static void on_poll(void *ctx, const struct cat_rb_poll *p)
{
	cat_taskstats_poll(ctx, p);
}

static void on_task_end(void *ctx, struct cat_rb_task *t)
{
	cat_taskstats_task_end(ctx, t);
}

static void on_instant(void *ctx, const struct cat_rb_instant *i)
{
	cat_taskstats_instant(ctx, i);
}

static void on_thread(void *ctx, const struct cat_rb_thread *t)
{
	cat_taskstats_thread(ctx, t);
}

static void on_offcpu(void *ctx, const struct cat_rb_offcpu *o)
{
	cat_taskstats_offcpu(ctx, o);
}

/* A fresh rebuild and table, at the first record. */
static int restart(struct cat_replay *r)
{
	struct cat_rb_sink sink = {
		.task_new = on_task_new, .poll = on_poll,
		.task_end = on_task_end, .instant = on_instant,
		.thread = on_thread, .offcpu = on_offcpu,
	};

	cat_rebuild_free(r->rb);
	cat_taskstats_free(r->ts);
	r->rb = NULL;
	r->pending = NULL;
	r->done = false;
	r->now = r->in->start_ns;
	if (cat_trace_rewind(r->rd))
		return -EIO;
	r->ts = cat_taskstats_new(r->dw, true);
	if (!r->ts)
		return -ENOMEM;
	sink.ctx = r->ts;
	r->rb = cat_rebuild_new(&r->in->probes, &r->ro, &sink);
	if (!r->rb)
		return -ENOMEM;
	cat_rebuild_add_tgid(r->rb, r->in->tgid);
	return 0;
}

struct cat_replay *cat_replay_open(const char *path, struct cat_dwarf *dw,
				   struct cat_spawnsites *ss,
				   const struct cat_rebuild_opts *ro,
				   char *err, size_t errlen)
{
	struct cat_replay *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->rd = cat_trace_open(path, err, errlen);
	if (!r->rd) {
		free(r);
		return NULL;
	}
	r->in = cat_trace_info(r->rd);
	r->dw = dw;
	r->ss = ss;
	r->ro = *ro;
	if (ss) {
		r->ro.spawn_stack = cat_spawnsites_hook;
		r->ro.spawn_stack_ctx = ss;
	}
	if (restart(r)) {
		snprintf(err, errlen, "%s: out of memory", path);
		cat_replay_free(r);
		return NULL;
	}
	return r;
}

void cat_replay_free(struct cat_replay *r)
{
	if (!r)
		return;
	cat_rebuild_free(r->rb);
	cat_taskstats_free(r->ts);
	cat_trace_close(r->rd);
	free(r);
}

uint64_t cat_replay_start(const struct cat_replay *r)
{
	return r->in->start_ns;
}

uint64_t cat_replay_end(const struct cat_replay *r)
{
	return r->in->end_ns > r->in->start_ns ? r->in->end_ns : r->in->start_ns;
}

uint64_t cat_replay_now(const struct cat_replay *r)
{
	return r->now;
}

bool cat_replay_done(const struct cat_replay *r)
{
	return r->done;
}

int cat_replay_seek(struct cat_replay *r, uint64_t until, char *err,
		    size_t errlen)
{
	const struct cat_rec_header *h;
	int n;

	if (until < r->now && restart(r)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (!r->done) {
		if (r->pending) {
			h = r->pending;
		} else {
			n = cat_trace_next(r->rd, &h);
			if (n < 0) {
				snprintf(err, errlen, "%s", cat_trace_error(r->rd));
				r->done = true;
				cat_rebuild_finish(r->rb, r->now);
				return -EIO;
			}
			if (!n) {
				r->done = true;
				r->now = cat_replay_end(r);
				cat_rebuild_finish(r->rb, r->now);
				break;
			}
		}
		if (h->time_ns > until) {
			r->pending = h;		/* valid until the next read */
			r->now = until;
			break;
		}
		r->pending = NULL;
		if (cat_rebuild_record(r->rb, h)) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if (h->time_ns > r->now)
			r->now = h->time_ns;
	}
	return 0;
}

struct cat_taskstats *cat_replay_stats(struct cat_replay *r)
{
	cat_taskstats_sync(r->ts);
	return r->ts;
}
