/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faults.h - helpers of the faults suite: run catctl and the bundled
 * programs as child processes with their output in files, wait with a
 * timeout (both selftests/lib/spawn.h), and read a raw trace back with the
 * client's own reader (client/rawfile.h) to check what it holds.
 *
 * The module side goes through selftests/lib/catlib.h (stats, control),
 * the trace file side through rawfile.h; both only state facts, the tests
 * decide what is expected.
 */
#ifndef _CAT_FAULTS_H
#define _CAT_FAULTS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catlib.h"
#include "rawfile.h"
#include "spawn.h"

#define APP_DIR		"/cat/app"
#define CATCTL		APP_DIR "/catctl"
#define TOKIO_BENCH	APP_DIR "/release/tokio_bench"
#define TOKIO_MULTI	APP_DIR "/release/tokio_multi"
#define HELPER		"/cat/faults-bin/fault_helper"

/* Lowest kernel address on x86-64 (4- and 5-level paging alike). */
#define KERNEL_ADDR_MIN	0xffff800000000000ull

/*
 * Fork and exec @argv with stdout/stderr into files, stdin from @in_fd or,
 * if it is negative, closed: a program that reads stdin sees its end.
 */
static inline pid_t f_spawn(char *const argv[], const char *out,
			    const char *err, int in_fd)
{
	if (in_fd < 0)
		in_fd = CAT_SPAWN_STDIN_NONE;
	return cat_spawn(argv, out, err, in_fd, NULL);
}

/* An exit code from a wait status: 0-255, 128+N for signal N, -1 timeout. */
static inline int f_code(int status)
{
	if (status < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static inline int f_run(char *const argv[], const char *out, const char *err,
			int ms)
{
	return f_code(cat_spawn_wait(f_spawn(argv, out, err, -1), ms));
}

/* Wait until @path contains @what; false after @ms. */
static inline bool f_wait_for_text(const char *path, const char *what, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (cat_file_has(path, what))
			return true;
		usleep(20000);
	}
	return false;
}

/* The first line of @path (no newline), for one-line message checks. */
static inline void f_first_line(const char *path, char *buf, size_t size)
{
	char *t = cat_slurp(path, NULL);

	snprintf(buf, size, "%s", t ? t : "");
	buf[strcspn(buf, "\n")] = '\0';
	free(t);
}

/*
 * Stats of the module: state and totals; false if unreadable. The per-CPU
 * array is not kept (freed here), so callers have nothing to free.
 */
static inline bool f_stats(struct cat_stats *st)
{
	if (cat_stats_read_checked(st, NULL, 0))
		return false;
	cat_stats_free(st);
	st->cpu = NULL;
	return true;
}

/* Wait until the module runs a session with some probe hits. */
static inline bool f_wait_running(int ms, uint64_t min_hits)
{
	struct cat_stats st;

	for (int i = 0; i < ms / 20; i++) {
		if (f_stats(&st) && !strcmp(st.state, "running") &&
		    st.total.uprobe_hits >= min_hits)
			return true;
		usleep(20000);
	}
	return false;
}

/* ---- raw traces ------------------------------------------------------ */

#define F_MAX_CPUS	64
#define F_MAX_TGIDS	16
#define F_MAX_THREADS	256

struct raw_scan {
	bool has_trailer;
	uint32_t ncpus, tgid;
	uint64_t records;			/* data records, LOST excluded */
	uint64_t per_cpu[F_MAX_CPUS];		/* data records by header cpu */
	uint64_t lost_markers[F_MAX_CPUS], lost_count[F_MAX_CPUS];
	uint64_t by_type[CAT_REC_TYPE_MAX + 1];
	uint64_t entries, returns, task_poll_entries;
	uint64_t unmatched;			/* entries of "both" probes never returned */
	uint64_t kernel_values;			/* kernel-looking addresses/values */
	char kernel_example[128];
	uint32_t tgids[F_MAX_TGIDS];		/* tgids with probe entries */
	uint64_t tgid_entries[F_MAX_TGIDS];
	int ntgids;
	uint64_t new_process, new_followed;	/* THREAD_NEW with these flags */
	char exec_file[CAT_EXEC_PATH_LEN];
	struct cat_trace_cpu_stats stats[F_MAX_CPUS];	/* trailer */
	bool have_stats;
	unsigned int nwarnings;
};

/* A code address or stack pointer: user space, strictly. */
static inline bool f_kernel_addr(uint64_t v)
{
	return v >= KERNEL_ADDR_MIN;
}

/*
 * An argument or return value: a kernel address is a leak, but small
 * negative integers (-1, -EAGAIN...) are ordinary values a program passes.
 */
static inline bool f_kernel_value(uint64_t v)
{
	return v >= KERNEL_ADDR_MIN && v < (uint64_t)-4096;
}

static inline void f_note_kernel(struct raw_scan *s, const char *what,
				 uint64_t v)
{
	if (!s->kernel_values++)
		snprintf(s->kernel_example, sizeof(s->kernel_example),
			 "%s = 0x%llx", what, (unsigned long long)v);
}

/*
 * Read every record of @path. 0, or -1 with the reader's message in @err
 * (open failure or corruption).
 */
static inline int f_scan_raw(const char *path, struct raw_scan *s, char *err,
			     size_t errlen)
{
	static struct { uint32_t tid; uint32_t depth; } th[F_MAX_THREADS];
	const struct cat_trace_info *in;
	const struct cat_rec_header *h;
	struct cat_trace_reader *r;
	int nth = 0, ret;

	memset(s, 0, sizeof(*s));
	r = cat_trace_open(path, err, errlen);
	if (!r)
		return -1;
	in = cat_trace_info(r);
	s->ncpus = in->ncpus;
	s->tgid = in->tgid;
	s->has_trailer = in->has_trailer;
	if (in->cpu_stats && in->ncpus <= F_MAX_CPUS) {
		memcpy(s->stats, in->cpu_stats, in->ncpus * sizeof(s->stats[0]));
		s->have_stats = true;
	}
	while ((ret = cat_trace_next(r, &h)) == 1) {
		unsigned int cpu = h->cpu < F_MAX_CPUS ? h->cpu : F_MAX_CPUS - 1;

		if (h->type <= CAT_REC_TYPE_MAX)
			s->by_type[h->type]++;
		if (h->type == CAT_REC_LOST) {
			s->lost_markers[cpu]++;
			s->lost_count[cpu] += ((const struct cat_rec_lost *)h)->count;
			continue;
		}
		s->records++;
		s->per_cpu[cpu]++;
		if (h->type == CAT_REC_PROBE_ENTRY) {
			const struct cat_rec_probe_entry *e = (const void *)h;
			const struct cat_probe *p = cat_trace_probe(r, e->probe_id);
			int i, k;

			s->entries++;
			if (f_kernel_addr(e->ip))
				f_note_kernel(s, "entry ip", e->ip);
			if (f_kernel_addr(cat_entry_ret_addr(e)))
				f_note_kernel(s, "entry ret_addr",
					      cat_entry_ret_addr(e));
			for (i = 0; i < e->nargs && i < CAT_MAX_ARGS; i++)
				if (f_kernel_value(e->args[i]))
					f_note_kernel(s, "entry arg", e->args[i]);
			if (p && p->role == CAT_ROLE_TASK_POLL)
				s->task_poll_entries++;
			for (i = 0; i < s->ntgids && s->tgids[i] != h->tgid; i++)
				;
			if (i == s->ntgids && i < F_MAX_TGIDS)
				s->tgids[s->ntgids++] = h->tgid;
			if (i < F_MAX_TGIDS)
				s->tgid_entries[i]++;
			if (!p || (p->mode & CAT_PROBE_BOTH) != CAT_PROBE_BOTH ||
			    (h->flags & CAT_ENTRY_F_NO_RETURN))
				continue;
			for (k = 0; k < nth && th[k].tid != h->tid; k++)
				;
			if (k == nth && nth < F_MAX_THREADS) {
				th[nth].tid = h->tid;
				th[nth++].depth = 0;
			}
			if (k < nth)
				th[k].depth++;
		} else if (h->type == CAT_REC_PROBE_RETURN) {
			const struct cat_rec_probe_return *x = (const void *)h;
			int k;

			s->returns++;
			if (f_kernel_value(x->ret[0]))
				f_note_kernel(s, "return rax", x->ret[0]);
			if (f_kernel_value(x->ret[1]))
				f_note_kernel(s, "return rdx", x->ret[1]);
			for (k = 0; k < nth && th[k].tid != h->tid; k++)
				;
			if (k < nth && th[k].depth)
				th[k].depth--;
		} else if (h->type == CAT_REC_THREAD_NEW) {
			if (h->flags & CAT_NEW_F_PROCESS)
				s->new_process++;
			if (h->flags & CAT_NEW_F_FOLLOWED)
				s->new_followed++;
		} else if (h->type == CAT_REC_EXEC) {
			const struct cat_rec_exec *x = (const void *)h;

			snprintf(s->exec_file, sizeof(s->exec_file), "%.*s",
				 CAT_EXEC_PATH_LEN, x->filename);
		}
	}
	for (int k = 0; k < nth; k++)
		s->unmatched += th[k].depth;
	s->nwarnings = cat_trace_nwarnings(r);
	if (ret < 0) {
		snprintf(err, errlen, "%s", cat_trace_error(r));
		cat_trace_close(r);
		return -1;
	}
	cat_trace_close(r);
	return 0;
}

/* records + dropped == hits, per CPU of the trailer; -1 if all balance. */
static inline int f_unbalanced_cpu(const struct raw_scan *s)
{
	for (uint32_t c = 0; c < s->ncpus && c < F_MAX_CPUS; c++) {
		const struct cat_trace_cpu_stats *k = &s->stats[c];

		if (k->records + k->dropped != k->uprobe_hits +
		    k->uretprobe_hits + k->sched_switch + k->lifecycle +
		    k->stacks)
			return c;
	}
	return -1;
}

static inline uint64_t f_total(const struct raw_scan *s, size_t field)
{
	uint64_t sum = 0;

	for (uint32_t c = 0; c < s->ncpus && c < F_MAX_CPUS; c++)
		sum += ((const uint64_t *)&s->stats[c])[field];
	return sum;
}

#define F_FIELD(name) (offsetof(struct cat_trace_cpu_stats, name) / sizeof(uint64_t))

/* "catctl dump FILE" exit code (its output goes to @dir/dump.*). */
static inline int f_dump(const char *dir, const char *raw)
{
	char out[256], err[256];
	char *argv[] = { CATCTL, "dump", (char *)raw, NULL };

	snprintf(out, sizeof(out), "%s/dump.out", dir);
	snprintf(err, sizeof(err), "%s/dump.err", dir);
	return f_run(argv, out, err, 60000);
}

#endif /* _CAT_FAULTS_H */
