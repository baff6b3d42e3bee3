// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_report.c - "catctl report trace.cat": one row per task instance
 * (spawn site, polls, busy time, off-CPU time inside polls, longest poll,
 * wake-to-poll delay, state at the end), then the worst polls with their
 * location. Text for people, --format json for scripts. With --backtrace,
 * each task's spawn backtrace too (from the stack copies of "+stack"
 * spawn probes, see spawnsite.h).
 *
 * It runs the same streaming rebuild as convert; per task it keeps the
 * wake-to-poll delays only while the task is alive (for the median), so
 * memory is one summary row per task instance plus the live tasks.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "catctl.h"
#include "spawnnest.h"
#include "spawnsite.h"
#include "lints.h"
#include "taskstats.h"
#include "debuginfo.h"
#include "srcloc.h"
#include "json.h"
#include "losses.h"
#include "rawfile.h"
#include "rebuild.h"

struct row {
	uint64_t id;
	char site[160];
	uint32_t polls;
	uint32_t blocking;
	uint64_t busy_ns, offcpu_ns, longest_ns;
	uint64_t wake_med_ns, wake_max_ns;
	uint32_t nwakes;
	enum cat_task_state state;
	bool spawn_blocking;
	const struct cat_backtrace *bt;	/* lives as long as report.ss */
	int site_frame;			/* the site's index in bt */
	uint64_t parent;		/* spawned_by_task, 0: none */
	char inside[160];		/* spawnnest.h, "" if not nested */
};

struct worst {
	uint64_t task, dur_ns, start_ns, offcpu_ns;
	uint32_t tid, seq;
	unsigned int blocking;
	char where[160];
};

struct live {
	uint64_t *delays;
	size_t n, cap;
};

struct report {
	struct cat_dwarf *dw;
	struct cat_spawnsites *ss;
	bool backtraces;
	uint64_t t0;
	struct cat_losses losses;
	struct row *rows;
	size_t nrows, caprows;
	struct worst *worst;
	size_t nworst, top;
	uint64_t blocking;
	struct cat_taskstats *ts;	/* per site histograms, task tree */
	struct cat_lint_opts lints;
	bool oom;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void on_task_new(void *ctx, struct cat_rb_task *t)
{
	struct report *r = ctx;

	cat_taskstats_task_new(r->ts, t);
	t->user = calloc(1, sizeof(struct live));
}

static void on_poll(void *ctx, const struct cat_rb_poll *p)
{
	struct report *r = ctx;
	struct live *l = p->task->user;
	uint64_t dur = p->end_ns - p->start_ns;
	size_t i, min = 0;

	cat_taskstats_poll(r->ts, p);
	if (p->blocking)
		r->blocking++;
	if (l && p->wake_ns && p->start_ns >= p->wake_ns) {
		if (l->n == l->cap) {
			size_t nc = l->cap ? l->cap * 2 : 16;
			uint64_t *nd = realloc(l->delays, nc * sizeof(*nd));

			if (!nd) {
				r->oom = true;
				return;
			}
			l->delays = nd;
			l->cap = nc;
		}
		l->delays[l->n++] = p->start_ns - p->wake_ns;
	}

	/* top-N by duration: replace the shortest kept */
	if (r->nworst == r->top) {
		for (i = 1; i < r->nworst; i++)
			if (r->worst[i].dur_ns < r->worst[min].dur_ns)
				min = i;
		if (!r->nworst || r->worst[min].dur_ns >= dur)
			return;
	} else {
		min = r->nworst++;
	}
	r->worst[min] = (struct worst){
		.task = p->task->id, .dur_ns = dur, .start_ns = p->start_ns,
		.offcpu_ns = p->offcpu_ns, .tid = p->tid, .seq = p->seq,
		.blocking = p->blocking,
	};
	/* as json.c: the first nested future, else the spawn site */
	if (p->future_vaddr && r->dw)
		snprintf(r->worst[min].where, sizeof(r->worst[min].where),
			 "%s", cat_dwarf_lookup(r->dw, p->future_vaddr)->where);
	else if (p->future_probe)
		snprintf(r->worst[min].where, sizeof(r->worst[min].where),
			 "%s", p->future_probe->symbol);
	else
		cat_task_site(r->dw, p->task, r->worst[min].where,
			      sizeof(r->worst[min].where));
}

static void on_instant(void *ctx, const struct cat_rb_instant *i)
{
	struct report *r = ctx;

	cat_taskstats_instant(r->ts, i);
}

static void on_task_end(void *ctx, struct cat_rb_task *t)
{
	struct report *r = ctx;
	struct live *l = t->user;
	struct row *w;

	cat_taskstats_task_end(r->ts, t);
	if (r->nrows == r->caprows) {
		size_t nc = r->caprows ? r->caprows * 2 : 256;
		struct row *nr = realloc(r->rows, nc * sizeof(*nr));

		if (!nr) {
			r->oom = true;
			goto out;
		}
		r->rows = nr;
		r->caprows = nc;
	}
	w = &r->rows[r->nrows++];
	memset(w, 0, sizeof(*w));
	w->id = t->id;
	cat_task_site(r->dw, t, w->site, sizeof(w->site));
	w->polls = t->npolls;
	w->blocking = t->nblocking;
	w->busy_ns = t->busy_ns;
	w->offcpu_ns = t->offcpu_ns;
	w->longest_ns = t->longest_poll_ns;
	w->state = t->state;
	w->spawn_blocking = t->spawn_blocking;
	w->bt = t->spawn_bt;
	w->site_frame = cat_task_site_frame(t);
	w->parent = t->spawner_task;
	if (cat_task_spawned_inside(t))
		snprintf(w->inside, sizeof(w->inside), "%s",
			 cat_task_spawned_inside(t));
	if (l && l->n) {
		qsort(l->delays, l->n, sizeof(*l->delays), cmp_u64);
		w->wake_med_ns = l->delays[l->n / 2];
		w->wake_max_ns = l->delays[l->n - 1];
		w->nwakes = l->n;
	}
out:
	if (l)
		free(l->delays);
	free(l);
	t->user = NULL;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_worst(const void *a, const void *b)
{
	const struct worst *x = a, *y = b;

	return x->dur_ns > y->dur_ns ? -1 : x->dur_ns < y->dur_ns;
}

/*
 * ns as µs with exactly three decimals, in integers: the text and the
 * JSON show the same digits, and the JSON no "29977.419999999998".
 */
static const char *us(char buf[32], int64_t ns)
{
	uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	snprintf(buf, 32, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", a / 1000,
		 (unsigned int)(a % 1000));
	return buf;
}

/*
 * Per spawn site: poll time and scheduled time (wake to poll), as
 * percentiles of taskstats' histograms.
 */
static void print_sites_text(struct report *r)
{
	struct cat_ts_site *const *sites;
	size_t n;
	int w = 10;
	char b[8][32];

	sites = cat_taskstats_sites(r->ts, &n);
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(sites[i]->site) > w)
			w = strlen(sites[i]->site) > 120 ? 120 : (int)strlen(sites[i]->site);
	printf("\n# spawn sites: poll time and scheduled time (wake to poll); percentiles are\n"
	       "# histogram bounds, at most 12.5%% above the exact value; max is exact\n");
	printf("%-*s %6s %8s %10s %10s %10s %10s %8s %10s %10s %10s\n", w,
	       "SPAWNED AT", "TASKS", "POLLS", "POLL-P50", "POLL-P90",
	       "POLL-P99", "POLL-MAX", "WAKES", "SCHED-P50", "SCHED-P99",
	       "SCHED-MAX");
	for (size_t i = 0; i < n; i++) {
		const struct cat_ts_site *s = sites[i];
		const struct cat_hist *ph = &s->poll_hist, *sh = &s->sched_hist;
		bool sched = sh->count > 0;

		printf("%-*.120s %6u %8" PRIu64 " %10s %10s %10s %10s %8" PRIu64 " %10s %10s %10s\n",
		       w, s->site, s->tasks, ph->count,
		       us(b[0], cat_hist_pct(ph, 50)), us(b[1], cat_hist_pct(ph, 90)),
		       us(b[2], cat_hist_pct(ph, 99)), us(b[3], ph->max), sh->count,
		       sched ? us(b[4], cat_hist_pct(sh, 50)) : "-",
		       sched ? us(b[5], cat_hist_pct(sh, 99)) : "-",
		       sched ? us(b[6], sh->max) : "-");
	}
}

/* @id and the tasks it spawned, indented by @depth. */
static void print_subtree(struct report *r, struct cat_ts_task *const *t,
			  size_t n, const uint64_t *first, const uint64_t *next,
			  uint64_t id, unsigned int depth)
{
	const struct cat_ts_task *k = t[id - 1];

	printf("%*stask %" PRIu64 " %s (%s)\n", (int)depth * 2, "", k->id,
	       k->site, cat_ts_state_name(k->state));
	if (depth >= 32)
		return;		/* a cycle cannot happen; a deep chain is cut */
	for (uint64_t c = first[id - 1]; c; c = next[c - 1])
		print_subtree(r, t, n, first, next, c, depth + 1);
}

/*
 * The task tree: each task under the task whose poll spawned it; only
 * the tasks that spawned or were spawned by another task.
 */
static void print_tree_text(struct report *r)
{
	struct cat_ts_task *const *t;
	uint64_t *first, *next, *last;
	size_t n, linked = 0;

	t = cat_taskstats_tasks(r->ts, &n);
	first = calloc(n ? n : 1, sizeof(*first));
	next = calloc(n ? n : 1, sizeof(*next));
	last = calloc(n ? n : 1, sizeof(*last));
	if (!first || !next || !last)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint64_t p = t[i]->parent;

		if (!p || p > n || p >= t[i]->id)
			continue;	/* a parent is older than its child */
		if (last[p - 1])
			next[last[p - 1] - 1] = t[i]->id;
		else
			first[p - 1] = t[i]->id;
		last[p - 1] = t[i]->id;
		linked++;
	}
	if (!linked)
		goto out;
	printf("\n# task tree: each task under the task whose poll spawned it\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t p = t[i]->parent;

		if (first[i] && (!p || p > n || p >= t[i]->id))
			print_subtree(r, t, n, first, next, t[i]->id, 0);
	}
out:
	free(first);
	free(next);
	free(last);
}

static unsigned int lints_of(struct report *r, uint64_t id)
{
	const struct cat_ts_task *k = cat_taskstats_find(r->ts, id);

	return k ? cat_lints_of(k, &r->lints, true) : 0;
}

/* Per lint: its rule, then the tasks that trigger it. */
static void print_lints_text(struct report *r)
{
	static const char *const rules[CAT_NLINTS] = {
		"a poll longer than the long-poll limit",
		"a poll longer than 1 s",
		"over half of its wakes from inside its own poll",
		"woken over 4 times per poll (100 wakes or more)",
		"not freed when the trace ended",
	};
	bool header = false;

	for (unsigned int i = 0; i < CAT_NLINTS; i++) {
		unsigned int n = 0;

		for (size_t k = 0; k < r->nrows; k++) {
			if (!(lints_of(r, r->rows[k].id) & (1u << i)))
				continue;
			if (!header)
				printf("\n# lints (Documentation/timeline.rst)\n");
			header = true;
			if (!n++)
				printf("%s (%s): task", cat_lint_name(i), rules[i]);
			printf(" %" PRIu64, r->rows[k].id);
		}
		if (n)
			printf("\n");
	}
}

static void print_text(struct report *r, const char *path,
		       const struct cat_trace_info *in,
		       const struct cat_rb_stats *st)
{
	printf("# cat report: %s (binary %s, tgid %u)\n", path, in->binary,
	       in->tgid);
	const struct cat_losses *l = &r->losses;
	char b[5][32], what[600];
	int sitew = 10;

	printf("# %" PRIu64 " task instances, %" PRIu64 " polls, %" PRIu64
	       " blocking, %" PRIu64 " records lost", st->tasks, st->polls,
	       r->blocking, l->total.lost);
	if (l->total.missing)
		printf(", %" PRIu64 " missing", l->total.missing);
	printf("%s\n", l->have_trailer ? "" :
	       " (LOST markers only: no counters in the trace)");
	for (unsigned int c = 0; c < l->ncpus; c++)
		if (cat_losses_describe(l, c, what, sizeof(what)))
			printf("# %s\n", what);

	printf("# times in microseconds; off-CPU = inside polls; wake = wake-to-poll delay\n");
	/* the site column is as wide as the longest site (up to 160) */
	for (size_t i = 0; i < r->nrows; i++)
		if (strlen(r->rows[i].site) > (size_t)sitew)
			sitew = strlen(r->rows[i].site) > 160 ?
				160 : strlen(r->rows[i].site);
	printf("%6s  %-*s %8s %12s %12s %11s %10s %10s %5s  %s\n", "TASK",
	       sitew, "SPAWNED AT", "POLLS", "BUSY", "OFF-CPU", "LONGEST", "WAKE-MED",
	       "WAKE-MAX", "BLOCK", "STATE");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];
		char med[32] = "-", max[32] = "-";

		if (w->nwakes) {
			us(med, w->wake_med_ns);
			us(max, w->wake_max_ns);
		}
		printf("%6" PRIu64 "  %-*.160s %8u %12s %12s %11s %10s %10s %5u  %s%s%s%s%s\n",
		       w->id, sitew, w->site, w->polls, us(b[0], w->busy_ns),
		       us(b[1], w->offcpu_ns), us(b[2], w->longest_ns), med, max,
		       w->blocking, cat_task_state_name(w->state),
		       w->spawn_blocking ? " (spawn_blocking)" : "",
		       w->inside[0] ? " (spawned inside " : "", w->inside,
		       w->inside[0] ? ")" : "");
	}
	if (r->backtraces) {
		printf("\n# spawn backtraces, innermost first; '*' marks the spawn site\n");
		for (size_t i = 0; i < r->nrows; i++) {
			const struct row *w = &r->rows[i];

			if (!w->bt)
				continue;
			printf("task %" PRIu64 " spawned at %s\n", w->id, w->site);
			for (unsigned int k = 0; k < w->bt->nframes; k++)
				printf("  %c #%-2u %s%s\n",
				       (int)k == w->site_frame ? '*' : ' ',
				       w->bt->frames[k].physical,
				       cat_bt_frame_str(w->bt, k, what, sizeof(what)),
				       w->bt->frames[k].inlined ? " [inlined]" : "");
		}
	}
	print_sites_text(r);
	print_tree_text(r);
	print_lints_text(r);
	printf("\n# worst polls\n%12s %6s %6s %8s %12s %12s  %-8s %s\n",
	       "START", "TASK", "POLL", "THREAD", "DURATION", "OFF-CPU",
	       "BLOCKING", "LOCATION");
	for (size_t i = 0; i < r->nworst; i++) {
		const struct worst *w = &r->worst[i];

		printf("%12s %6" PRIu64 " %6u %8u %12s %12s  %-8s %s\n",
		       us(b[0], (int64_t)(w->start_ns - r->t0)), w->task,
		       w->seq, w->tid, us(b[1], w->dur_ns),
		       us(b[2], w->offcpu_ns),
		       w->blocking ? "yes" : "no", w->where);
	}
}

static void gstr(yajl_gen g, const char *s)
{
	cat_json_gen_str(g, s);
}

/* microseconds, three exact decimals */
static void gus(yajl_gen g, const char *k, int64_t ns)
{
	gstr(g, k);
	cat_json_gen_us(g, ns);
}

/* ... or null when there is no such time (the text says "-") */
static void gus_or_null(yajl_gen g, const char *k, bool have, int64_t ns)
{
	gstr(g, k);
	if (have)
		cat_json_gen_us(g, ns);
	else
		yajl_gen_null(g);
}

static void gint(yajl_gen g, const char *k, long long v)
{
	gstr(g, k);
	yajl_gen_integer(g, v);
}

static void print_losses_json(yajl_gen g, const struct cat_losses *l)
{
	gint(g, "lost_records", l->total.lost);
	gint(g, "lost_markers", l->total.markers);
	gint(g, "lost_in_markers", l->total.marked);
	gstr(g, "kernel_counters");
	yajl_gen_bool(g, l->have_trailer);
	if (l->have_trailer) {
		gint(g, "kernel_dropped", l->total.dropped);
		gint(g, "kernel_records", l->total.written);
		gint(g, "missing_records", l->total.missing);
	}
	gstr(g, "losses");
	yajl_gen_array_open(g);
	for (unsigned int c = 0; c < l->ncpus; c++) {
		const struct cat_loss_cpu *x = &l->cpu[c];

		if (!x->lost && !x->missing && !x->extra)
			continue;
		yajl_gen_map_open(g);
		gint(g, "cpu", c);
		gint(g, "lost", x->lost);
		gint(g, "in_markers", x->marked);
		gint(g, "read", x->read);
		if (l->have_trailer) {
			gint(g, "dropped", x->dropped);
			gint(g, "written", x->written);
			gint(g, "missing", x->missing);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* "lints": the names of the task's lints (lints.h), [] for none */
static void lints_json(yajl_gen g, struct report *r, uint64_t id)
{
	unsigned int l = lints_of(r, id);

	gstr(g, "lints");
	yajl_gen_array_open(g);
	for (unsigned int i = 0; i < CAT_NLINTS; i++)
		if (l & (1u << i))
			gstr(g, cat_lint_name(i));
	yajl_gen_array_close(g);
}

/* {"p50", "p90", "p99", "max"} in µs, or null for no sample */
static void hist_json(yajl_gen g, const char *k, const struct cat_hist *h)
{
	gstr(g, k);
	if (!h->count) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	gus(g, "p50", cat_hist_pct(h, 50));
	gus(g, "p90", cat_hist_pct(h, 90));
	gus(g, "p99", cat_hist_pct(h, 99));
	gus(g, "max", h->max);
	yajl_gen_map_close(g);
}

static void sites_json(yajl_gen g, struct report *r)
{
	struct cat_ts_site *const *sites;
	size_t n;

	sites = cat_taskstats_sites(r->ts, &n);
	gstr(g, "sites");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		gstr(g, "spawned_at");
		gstr(g, sites[i]->site);
		gint(g, "tasks", sites[i]->tasks);
		gint(g, "polls", (long long)sites[i]->poll_hist.count);
		hist_json(g, "poll_us", &sites[i]->poll_hist);
		gint(g, "wakes", (long long)sites[i]->sched_hist.count);
		hist_json(g, "scheduled_us", &sites[i]->sched_hist);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void print_json(struct report *r, const char *path,
		       const struct cat_trace_info *in,
		       const struct cat_rb_stats *st)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return;
	/* strings are made valid UTF-8 by cat_json_gen_str() */
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_map_open(g);
	gstr(g, "trace");
	gstr(g, path);
	gstr(g, "binary");
	gstr(g, in->binary);
	gint(g, "tgid", in->tgid);
	gint(g, "task_instances", st->tasks);
	gint(g, "polls", st->polls);
	gint(g, "blocking_polls", r->blocking);
	print_losses_json(g, &r->losses);
	gstr(g, "tasks");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct row *w = &r->rows[i];

		yajl_gen_map_open(g);
		gint(g, "id", w->id);
		gstr(g, "spawned_at");
		gstr(g, w->site);
		gint(g, "polls", w->polls);
		gus(g, "busy_us", w->busy_ns);
		gus(g, "off_cpu_us", w->offcpu_ns);
		gus(g, "longest_poll_us", w->longest_ns);
		gint(g, "wakes", w->nwakes);
		gus_or_null(g, "wake_to_poll_median_us", w->nwakes,
			    w->wake_med_ns);
		gus_or_null(g, "wake_to_poll_max_us", w->nwakes,
			    w->wake_max_ns);
		gint(g, "blocking_polls", w->blocking);
		gstr(g, "state");
		gstr(g, cat_task_state_name(w->state));
		gstr(g, "spawn_blocking");
		yajl_gen_bool(g, w->spawn_blocking);
		if (r->backtraces && w->bt) {
			char fb[1024];

			gstr(g, "spawn_backtrace");
			yajl_gen_array_open(g);
			for (unsigned int k = 0; k < w->bt->nframes; k++)
				gstr(g, cat_bt_frame_str(w->bt, k, fb, sizeof(fb)));
			yajl_gen_array_close(g);
			gint(g, "spawn_site_frame", w->site_frame);
		}
		if (w->inside[0]) {
			gstr(g, "spawned_inside");
			gstr(g, w->inside);
		}
		if (w->parent)
			gint(g, "spawned_by_task", (long long)w->parent);
		lints_json(g, r, w->id);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	sites_json(g, r);
	gstr(g, "worst_polls");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < r->nworst; i++) {
		const struct worst *w = &r->worst[i];

		yajl_gen_map_open(g);
		gint(g, "task", w->task);
		gint(g, "poll", w->seq);
		gint(g, "thread", w->tid);
		gus(g, "start_us", (int64_t)(w->start_ns - r->t0));
		gus(g, "duration_us", w->dur_ns);
		gus(g, "off_cpu_us", w->offcpu_ns);
		gstr(g, "blocking");
		yajl_gen_bool(g, w->blocking != 0);
		gstr(g, "location");
		gstr(g, w->where);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
		fwrite(buf, 1, len, stdout);
	yajl_gen_free(g);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: catctl report TRACE.cat [options]\n"
		"One row per task instance, per-site percentiles, the task\n"
		"tree, lints (long-poll, never-yielded, self-wakes,\n"
		"wake-storm, alive-at-exit), then the worst polls.\n"
		"\n"
		"  -f, --format text|json      output format (text)\n"
		"  -n, --top N                 worst polls to list (10)\n"
		"  -b, --binary PATH           read DWARF from PATH\n"
		"      --backtrace             each task's spawn backtrace (when\n"
		"                              its spawn probe copied the stack)\n"
		CAT_DEBUGINFO_USAGE
		"      --block-threshold-us N  off-CPU limit inside a poll (1000)\n"
		"      --long-poll-us N        poll duration limit (10000)\n");
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 'n' },
		{ "binary", required_argument, NULL, 'b' },
		{ "block-threshold-us", required_argument, NULL, 'B' },
		{ "long-poll-us", required_argument, NULL, 'L' },
		{ "backtrace", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		CAT_DEBUGINFO_LONGOPTS,
		{}
	};
	struct cat_debuginfo_opts so = { 0 };
	struct cat_rebuild_opts ro = {
		.block_offcpu_ns = CAT_DEFAULT_BLOCK_OFFCPU_NS,
		.long_poll_ns = CAT_DEFAULT_LONG_POLL_NS,
	};
	struct report rep = { .top = 10 };
	const struct cat_trace_info *in;
	const struct cat_rec_header *h;
	struct cat_trace_reader *r;
	struct cat_rebuild *rb;
	struct cat_rb_sink sink = { 0 };
	const char *binary = NULL;
	bool json = false;
	char err[700];
	int c, n, ret = CATCTL_EXIT_OK;
	unsigned long long v;
	char *end;

	while ((c = getopt_long(argc, argv, "f:n:b:h", opts, NULL)) != -1) {
		n = cat_debuginfo_getopt(&so, c, optarg);
		if (n < 0)
			return CATCTL_EXIT_USAGE;
		if (n)
			continue;
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "json")) {
				json = true;
			} else if (strcmp(optarg, "text")) {
				fprintf(stderr, "catctl report: unknown format '%s'\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			break;
		case 'b':
			binary = optarg;
			break;
		case 'T':
			rep.backtraces = true;
			break;
		case 'n':
		case 'B':
		case 'L':
			errno = 0;
			v = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || *optarg == '-' ||
			    !v || v > (1ull << 40)) {
				fprintf(stderr, "catctl report: bad number '%s'\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			if (c == 'n')
				rep.top = v > 10000 ? 10000 : v;
			else if (c == 'B')
				ro.block_offcpu_ns = v * 1000;
			else
				ro.long_poll_ns = v * 1000;
			break;
		case 'h':
			usage(stdout);
			return CATCTL_EXIT_OK;
		default:
			usage(stderr);
			return CATCTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CATCTL_EXIT_USAGE;
	}
	r = cat_trace_open(argv[optind], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "catctl report: %s\n", err);
		return CATCTL_EXIT_BAD_INPUT;
	}
	in = cat_trace_info(r);
	for (unsigned int i = 0; i < cat_trace_nwarnings(r); i++)
		fprintf(stderr, "catctl report: warning: %s\n",
			cat_trace_warning(r, i));
	so.binary = binary;
	so.trace = argv[optind];
	rep.dw = cat_debuginfo_open("catctl report", in->binary, in->build_id,
				    in->build_id_len, &so, &n);
	if (n) {
		cat_trace_close(r);
		return CATCTL_EXIT_FAILURE;
	}
	if (rep.dw && cat_dwarf_has_debuginfo(rep.dw))
		rep.ss = cat_spawnsites_open(cat_dwarf_exe(rep.dw), rep.dw);
	ro.spawn_stack = rep.ss ? cat_spawnsites_hook : NULL;
	ro.spawn_stack_ctx = rep.ss;
	rep.t0 = in->start_ns;
	rep.worst = calloc(rep.top, sizeof(*rep.worst));
	if (cat_losses_init(&rep.losses, in)) {
		fprintf(stderr, "catctl report: out of memory\n");
		ret = CATCTL_EXIT_FAILURE;
		rb = NULL;
		goto out;
	}
	rep.ts = cat_taskstats_new(rep.dw, false);
	cat_lint_defaults(&rep.lints);
	rep.lints.long_poll_ns = ro.long_poll_ns;
	if (!rep.ts) {
		fprintf(stderr, "catctl report: out of memory\n");
		ret = CATCTL_EXIT_FAILURE;
		rb = NULL;
		goto out;
	}
	sink.ctx = &rep;
	sink.task_new = on_task_new;
	sink.poll = on_poll;
	sink.task_end = on_task_end;
	sink.instant = on_instant;
	rb = cat_rebuild_new(&in->probes, &ro, &sink);
	if (!rb || !rep.worst) {
		fprintf(stderr, "catctl report: out of memory\n");
		ret = CATCTL_EXIT_FAILURE;
		goto out;
	}
	cat_rebuild_add_tgid(rb, in->tgid);
	while ((n = cat_trace_next(r, &h)) > 0) {
		cat_losses_record(&rep.losses, cat_trace_cpu(r), h);
		if (cat_rebuild_record(rb, h))
			rep.oom = true;
	}
	if (n < 0) {
		fprintf(stderr, "catctl report: %s (reporting what came before)\n",
			cat_trace_error(r));
		ret = CATCTL_EXIT_BAD_INPUT;
	}
	cat_rebuild_finish(rb, in->end_ns);
	cat_losses_finish(&rep.losses);
	if (rep.oom || cat_taskstats_oom(rep.ts)) {
		fprintf(stderr, "catctl report: out of memory\n");
		ret = CATCTL_EXIT_FAILURE;
	}
	/* qsort's array must not be NULL, even empty (a trace with no task) */
	if (rep.nrows)
		qsort(rep.rows, rep.nrows, sizeof(*rep.rows), cmp_row);
	if (rep.nworst)
		qsort(rep.worst, rep.nworst, sizeof(*rep.worst), cmp_worst);
	if (json)
		print_json(&rep, argv[optind], in, cat_rebuild_stats(rb));
	else
		print_text(&rep, argv[optind], in, cat_rebuild_stats(rb));
	if (fflush(stdout))
		ret = CATCTL_EXIT_FAILURE;
out:
	cat_rebuild_free(rb);
	cat_taskstats_free(rep.ts);
	cat_losses_free(&rep.losses);
	free(rep.rows);
	free(rep.worst);
	cat_spawnsites_free(rep.ss);
	cat_dwarf_close(rep.dw);
	cat_trace_close(r);
	return ret;
}

const struct catctl_cmd cmd_report = {
	.name = "report",
	.summary = "per-task statistics and the worst polls",
	.run = run,
};
