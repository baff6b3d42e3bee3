// SPDX-License-Identifier: GPL-2.0
/*
 * trace_test.c - what cat.ko records for a traced program.
 *
 * cat_target makes a known number of calls with known arguments and
 * return values; these tests check the records one by one: entry and
 * return counts exactly equal to the calls, arguments, return values
 * (one and two registers), nesting, the uretprobe depth limit, count
 * mode, processes that must not be recorded, threads, exec/exit, and
 * sched_switch records for a program that sleeps.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"
#include "symbols.h"

FIXTURE(trace) {
	struct cat_session s;
	pid_t pid;
};

FIXTURE_SETUP(trace)
{
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
}

/* Write "0" or "1" to CPU @cpu's online file; 0 or -errno. */
static int cpu_set_online(int cpu, bool on)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE_TEARDOWN(trace)
{
	sess_cleanup(&self->s);
	/* cpu_onlined_mid_session takes cpu1 offline: never leave it so */
	cpu_set_online(1, true);
}

/* target the spawned child, add the probe, start, release */
static void go(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self,
	       const char *probe_fmt, ...)
{
	struct cat_session *s = &self->s;
	char probe[512];
	va_list ap;

	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	if (probe_fmt) {
		va_start(ap, probe_fmt);
		vsnprintf(probe, sizeof(probe), probe_fmt, ap);
		va_end(ap);
		ASSERT_EQ(0, cat_control("%s", probe)) TH_LOG("'%s'", probe);
	}
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
}

static void finish(struct __test_metadata *_metadata, FIXTURE_DATA(trace) *self)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0)
		TH_LOG("the traced program failed: wait status %#x", s->status);
	ASSERT_STREQ("stopped", s->st.state);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(0, s->st.total.dropped);
}

#define N_CALLS 200

TEST_F(trace, entry_and_return_exact)
{
	struct cat_session *s = &self->s;
	char line[128];
	unsigned long long addr = 0;

	ASSERT_EQ(0, sess_spawn(s, "addr", "add", "200"));
	go(_metadata, self, "probe 1 both+ra 2 %llu %s", (unsigned long long)s->off_add, s->path);
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_EQ(1, sscanf(line, "cat_add %llx", &addr)) TH_LOG("'%s'", line);
	finish(_metadata, self);

	check_add_calls(_metadata, s, 1, self->pid, 0, N_CALLS, true);
	EXPECT_EQ(N_CALLS, s->st.total.uprobe_hits);
	EXPECT_EQ(N_CALLS, s->st.total.uretprobe_hits);
	EXPECT_EQ(0, s->st.total.uretprobe_skipped);
	/* the entry ip is the run-time address of cat_add */
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_PROBE_ENTRY) {
			const struct cat_rec_probe_entry *e = REC_ENTRY(h);

			ASSERT_EQ(addr, e->ip);
			ASSERT_EQ(self->pid, h->tid);
			ASSERT_EQ(1, e->probe_id);
			/* +ra: the caller's return address, in the program */
			ASSERT_TRUE(h->flags & CAT_ENTRY_F_RET_ADDR);
			ASSERT_EQ(cat_entry_size(2, CAT_ENTRY_F_RET_ADDR), h->size);
			ASSERT_TRUE(cat_entry_ret_addr(e) > addr - (1 << 20) &&
				    cat_entry_ret_addr(e) < addr + (1 << 20))
				TH_LOG("ra %#llx, cat_add at %#llx",
				       (unsigned long long)cat_entry_ret_addr(e), addr);
		}
	}
}

/* Without +ra, entry records do not read the user stack: no address. */
TEST_F(trace, no_return_address_unless_asked)
{
	struct cat_session *s = &self->s;
	long entries = 0;

	ASSERT_EQ(0, sess_spawn(s, "add", "50"));
	go(_metadata, self, "probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);

	check_add_calls(_metadata, s, 1, self->pid, 0, 50, true);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type != CAT_REC_PROBE_ENTRY)
			continue;
		entries++;
		EXPECT_EQ(0, h->flags & (CAT_ENTRY_F_RET_ADDR | CAT_ENTRY_F_RA_FAULT));
		EXPECT_EQ(cat_entry_size(2, 0), h->size);
		EXPECT_EQ(0, cat_entry_ret_addr(REC_ENTRY(h)));
	}
	EXPECT_EQ(50, entries);
}

TEST_F(trace, entry_only)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_spawn(s, "add", "150"));
	go(_metadata, self, "probe 7 entry 2 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);
	check_add_calls(_metadata, s, 7, self->pid, 0, 150, false);
	EXPECT_EQ(0, cat_trace_count(&s->tr, CAT_REC_PROBE_RETURN, 0));
	EXPECT_EQ(150, s->st.total.uprobe_hits);
	EXPECT_EQ(0, s->st.total.uretprobe_hits);
}

TEST_F(trace, return_only)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_spawn(s, "add", "120"));
	go(_metadata, self, "probe 8 return 0 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);
	EXPECT_EQ(0, cat_trace_count(&s->tr, CAT_REC_PROBE_ENTRY, 0));
	EXPECT_EQ(120, cat_trace_count(&s->tr, CAT_REC_PROBE_RETURN, 0));
	/* return values 4a + 1000, a = 0..119, each once, in call order */
	for (size_t i = 0, k = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];
		long a;

		if (h->type != CAT_REC_PROBE_RETURN)
			continue;
		ASSERT_EQ(8, REC_RETURN(h)->probe_id);
		ASSERT_EQ(self->pid, h->tgid);
		a = (long)k;
		ASSERT_EQ(4 * a + 1000, (long)REC_RETURN(h)->ret[0])
			TH_LOG("return #%zu", k);
		k++;
	}
	EXPECT_EQ(0, s->st.total.uprobe_hits);
	EXPECT_EQ(120, s->st.total.uretprobe_hits);
}

/* all six argument registers, and nargs 0 (the record has no args) */
TEST_F(trace, six_args_and_none)
{
	struct cat_session *s = &self->s;
	long k6 = 0, k0 = 0;

	ASSERT_EQ(0, sess_spawn(s, "args6", "60", "add", "40"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("probe 1 both 6 %llu %s", (unsigned long long)s->off_args6, s->path));
	go(_metadata, self, "probe 2 entry 0 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];
		const struct cat_rec_probe_entry *e = REC_ENTRY(h);

		if (h->type == CAT_REC_PROBE_ENTRY && e->probe_id == 1) {
			ASSERT_EQ(6, e->nargs);
			ASSERT_EQ(sizeof(*e) + 6 * 8, h->size);
			for (int j = 0; j < 6; j++) {
				ASSERT_EQ(k6 + j, (long)e->args[j])
					TH_LOG("call %ld arg %d", k6, j);
			}
			k6++;
		} else if (h->type == CAT_REC_PROBE_RETURN && REC_RETURN(h)->probe_id == 1) {
			ASSERT_EQ(6 * (k6 - 1) + 15, (long)REC_RETURN(h)->ret[0]);
		} else if (h->type == CAT_REC_PROBE_ENTRY && e->probe_id == 2) {
			ASSERT_EQ(0, e->nargs);
			ASSERT_EQ(sizeof(*e), h->size);
			k0++;
		}
	}
	EXPECT_EQ(60, k6);
	EXPECT_EQ(40, k0);
	EXPECT_EQ(60, count_probe(&s->tr, CAT_REC_PROBE_RETURN, 1, self->pid));
	EXPECT_EQ(100, s->st.total.uprobe_hits);
	EXPECT_EQ(60, s->st.total.uretprobe_hits);
}

/* a 16-byte struct comes back in rax:rdx */
TEST_F(trace, two_register_return)
{
	struct cat_session *s = &self->s;
	long k = 0;

	ASSERT_EQ(0, sess_spawn(s, "pair", "50"));
	go(_metadata, self, "probe 3 return 1 %llu %s", (unsigned long long)s->off_pair, s->path);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_probe_return *r = REC_RETURN(s->tr.rec[i]);

		if (r->h.type != CAT_REC_PROBE_RETURN)
			continue;
		ASSERT_EQ(k, (long)r->ret[0]);
		ASSERT_EQ(~k, (long)r->ret[1]);
		k++;
	}
	EXPECT_EQ(50, k);
}

/* recursion: entries depth D..1, then returns 1..D, innermost first */
TEST_F(trace, nested_calls)
{
	struct cat_session *s = &self->s;
	long depth = 20, ne = 0, nr = 0;

	ASSERT_EQ(0, sess_spawn(s, "recurse", "20"));
	go(_metadata, self, "probe 4 both 1 %llu %s", (unsigned long long)s->off_recurse, s->path);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_PROBE_ENTRY) {
			ASSERT_EQ(0, nr) TH_LOG("entry after a return");
			ASSERT_EQ(depth - ne, (long)REC_ENTRY(h)->args[0]);
			ASSERT_EQ(0, h->flags & CAT_ENTRY_F_NO_RETURN);
			ne++;
		} else if (h->type == CAT_REC_PROBE_RETURN) {
			nr++;
			ASSERT_EQ(nr, (long)REC_RETURN(h)->ret[0]);
		}
	}
	EXPECT_EQ(depth, ne);
	EXPECT_EQ(depth, nr);
}

/*
 * The kernel keeps at most 64 pending uretprobes per task: in a 70-deep
 * recursion the 6 innermost returns are skipped. The module must say so
 * (CAT_ENTRY_F_NO_RETURN, uretprobe_skipped) and still balance its stats.
 */
TEST_F(trace, uretprobe_depth_limit)
{
	struct cat_session *s = &self->s;
	long ne = 0, nr = 0, flagged = 0;

	ASSERT_EQ(0, sess_spawn(s, "recurse", "70"));
	go(_metadata, self, "probe 4 both 1 %llu %s", (unsigned long long)s->off_recurse, s->path);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_PROBE_ENTRY) {
			ne++;
			if (h->flags & CAT_ENTRY_F_NO_RETURN) {
				flagged++;
				/* only the innermost ones, past depth 64 */
				EXPECT_LE((long)REC_ENTRY(h)->args[0], 6);
			}
		} else if (h->type == CAT_REC_PROBE_RETURN) {
			nr++;
		}
	}
	EXPECT_EQ(70, ne);
	EXPECT_EQ(64, nr);
	EXPECT_EQ(6, flagged);
	EXPECT_EQ(70, s->st.total.uprobe_hits);
	EXPECT_EQ(64, s->st.total.uretprobe_hits);
	EXPECT_EQ(6, s->st.total.uretprobe_skipped);
}

/* two probes at once: each record carries its own probe id */
TEST_F(trace, two_probes)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_spawn(s, "add", "30", "pair", "20", "add", "10"));
	ASSERT_EQ(0, cat_control("probe 11 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	go(_metadata, self, "probe 12 both 1 %llu %s", (unsigned long long)s->off_pair, s->path);
	finish(_metadata, self);
	/* add's a runs 0..29, then pair uses 30..49, then add 50..59 */
	EXPECT_EQ(40, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 11, self->pid));
	EXPECT_EQ(40, count_probe(&s->tr, CAT_REC_PROBE_RETURN, 11, self->pid));
	EXPECT_EQ(20, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 12, self->pid));
	EXPECT_EQ(20, count_probe(&s->tr, CAT_REC_PROBE_RETURN, 12, self->pid));
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_probe_entry *e = REC_ENTRY(s->tr.rec[i]);

		if (e->h.type == CAT_REC_PROBE_ENTRY && e->probe_id == 12) {
			ASSERT_TRUE(e->args[0] >= 30 && e->args[0] < 50);
		}
	}
	EXPECT_EQ(60, s->st.total.uprobe_hits);
}

/* Another process running the same binary is not traced. */
TEST_F(trace, other_process_not_recorded)
{
	struct cat_session *s = &self->s;
	struct cat_child other;
	int st;

	ASSERT_EQ(0, sess_spawn_cpu(s, &other, -1, ACTIONS("add", "100")));
	ASSERT_EQ(0, sess_spawn(s, "add", "100"));
	/* both blocked before exec; only s->child is the target */
	go(_metadata, self, "probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path);
	ASSERT_EQ(0, cat_child_release(&other));
	st = cat_child_wait(&other, WAIT_MS);
	cat_child_kill(&other);
	EXPECT_EQ(0, st);
	finish(_metadata, self);
	check_add_calls(_metadata, s, 1, self->pid, 0, 100, true);
	EXPECT_EQ(2 * 100, cat_trace_count(&s->tr, CAT_REC_PROBE_ENTRY, 0) +
			   cat_trace_count(&s->tr, CAT_REC_PROBE_RETURN, 0));
	EXPECT_EQ(100, s->st.total.uprobe_hits);
	EXPECT_EQ(100, s->st.total.uretprobe_hits);
}

/* mode count: hits are counted, no probe records are written */
TEST_F(trace, count_mode)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, cat_control("mode count"));
	ASSERT_EQ(0, sess_spawn(s, "add", "300"));
	go(_metadata, self, "probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path);
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	EXPECT_STREQ("count", s->st.mode);
	EXPECT_EQ(300, s->st.total.uprobe_hits);
	EXPECT_EQ(300, s->st.total.uretprobe_hits);
	EXPECT_EQ(0, cat_trace_count(&s->tr, CAT_REC_PROBE_ENTRY, 0));
	EXPECT_EQ(0, cat_trace_count(&s->tr, CAT_REC_PROBE_RETURN, 0));
}

/* exec of the released child and its exit are lifecycle records */
TEST_F(trace, exec_and_exit_records)
{
	struct cat_session *s = &self->s;
	const struct cat_rec_exec *ex = NULL;
	const struct cat_rec_thread_exit *xt = NULL;
	size_t nexec = 0, nexit = 0;

	ASSERT_EQ(0, sess_spawn(s, "add", "3", "exit", "5"));
	go(_metadata, self, NULL);
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 5);
	check_stats_consistent(_metadata, s);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_EXEC && h->tgid == self->pid) {
			ex = REC_EXEC(h);
			nexec++;
		}
		if (h->type == CAT_REC_THREAD_EXIT && h->tgid == self->pid) {
			xt = REC_EXIT(h);
			nexit++;
		}
	}
	ASSERT_EQ(1, nexec);
	ASSERT_EQ(1, nexit);
	EXPECT_EQ(sizeof(*ex), ex->h.size);
	EXPECT_EQ(self->pid, ex->old_tid);
	EXPECT_STREQ(s->path, ex->filename);
	EXPECT_EQ(5 << 8, xt->exit_code);
	EXPECT_TRUE(xt->h.flags & CAT_EXIT_F_GROUP_DEAD);
	EXPECT_STREQ(TARGET_NAME, xt->comm);
	EXPECT_LT(ex->h.time_ns, xt->h.time_ns);
	EXPECT_EQ(s->st.total.lifecycle, cat_trace_count(&s->tr, CAT_REC_EXEC, 0) +
		  cat_trace_count(&s->tr, CAT_REC_THREAD_EXIT, 0) +
		  cat_trace_count(&s->tr, CAT_REC_THREAD_NEW, 0));
}

/* threads of the target are traced; their creation is recorded */
TEST_F(trace, thread)
{
	struct cat_session *s = &self->s;
	const struct cat_rec_thread_new *tn = NULL;
	size_t nnew = 0, nthread_entries = 0;

	ASSERT_EQ(0, sess_spawn(s, "add", "10", "thread", "25"));
	go(_metadata, self, "probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_THREAD_NEW) {
			tn = REC_NEW(h);
			nnew++;
		}
	}
	ASSERT_EQ(1, nnew);
	EXPECT_EQ(0, tn->h.flags & CAT_NEW_F_PROCESS);
	EXPECT_EQ(self->pid, tn->h.tgid);
	EXPECT_EQ(self->pid, tn->child_tgid);
	EXPECT_NE(self->pid, tn->child_tid);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_PROBE_ENTRY && h->tid == tn->child_tid)
			nthread_entries++;
	}
	EXPECT_EQ(25, nthread_entries);
	check_add_calls(_metadata, s, 1, self->pid, 0, 35, true);
}

/*
 * A program that sleeps 20 times is switched out voluntarily (in
 * TASK_INTERRUPTIBLE, not preempted) at least 20 times, and in again.
 */
TEST_F(trace, sched_switch_sleeper)
{
	struct cat_session *s = &self->s;
	size_t out = 0, in = 0, all = 0;

	ASSERT_EQ(0, sess_spawn(s, "sleep", "20", "2000"));
	go(_metadata, self, NULL);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_sched_switch *w = REC_SWITCH(s->tr.rec[i]);

		if (w->h.type != CAT_REC_SCHED_SWITCH)
			continue;
		all++;
		ASSERT_EQ(sizeof(*w), w->h.size);
		ASSERT_TRUE(w->prev_tgid == self->pid || w->next_tgid == self->pid)
			TH_LOG("switch %u -> %u involves no target", w->prev_tid, w->next_tid);
		ASSERT_EQ(w->prev_tid, w->h.tid);
		if (w->prev_tid == self->pid && !(w->h.flags & CAT_SWITCH_F_PREEMPT) &&
		    w->prev_state == CAT_TASK_INTERRUPTIBLE &&
		    !strcmp(w->prev_comm, TARGET_NAME))
			out++;
		if (w->next_tid == self->pid)
			in++;
		if (w->prev_tid == self->pid && out == 0 && all < 40)
			TH_LOG("switch-out: state %#x flags %#x comm '%.16s'",
			       w->prev_state, w->h.flags, w->prev_comm);
	}
	EXPECT_GE(out, 20);
	EXPECT_GE(in, 20);
	EXPECT_EQ(s->st.total.sched_switch, all);
}

/* K threads calling at once, on both CPUs: each thread's calls exact. */
TEST_F(trace, threads_concurrent)
{
	struct cat_session *s = &self->s;
	enum { K = 4, N = 200 };
	struct { uint32_t tid; long entries, rets, pending; } th[K] = { { 0 } };
	size_t nnew = 0, nexit = 0, ndead = 0, main_exit = 0;
	bool last_exit_dead = false;

	ASSERT_EQ(0, sess_spawn(s, "threads", "4", "200"));
	go(_metadata, self, "probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];
		int k;

		if (h->type == CAT_REC_THREAD_NEW)
			nnew++;
		if (h->type == CAT_REC_THREAD_EXIT && h->tid != self->pid)
			nexit++;
		if (h->type == CAT_REC_THREAD_EXIT && h->tid == self->pid)
			main_exit++;
		/*
		 * GROUP_DEAD: nobody left running. Joined workers may still
		 * be on their way out after the main thread, so several
		 * exits may carry it, but the last exit record always does.
		 */
		if (h->type == CAT_REC_THREAD_EXIT) {
			last_exit_dead = h->flags & CAT_EXIT_F_GROUP_DEAD;
			if (last_exit_dead)
				ndead++;
		}
		if (h->type != CAT_REC_PROBE_ENTRY && h->type != CAT_REC_PROBE_RETURN)
			continue;
		ASSERT_EQ(self->pid, h->tgid);
		ASSERT_NE(self->pid, h->tid) TH_LOG("the main thread makes no calls");
		for (k = 0; k < K && th[k].tid && th[k].tid != h->tid; k++)
			;
		ASSERT_LT(k, K) TH_LOG("more than %d calling threads", K);
		th[k].tid = h->tid;
		if (h->type == CAT_REC_PROBE_ENTRY) {
			long a = (long)REC_ENTRY(h)->args[0];

			ASSERT_EQ(-0L, th[k].pending ? -1L : 0L) TH_LOG("nested entry on %u", h->tid);
			/* a thread's calls come in order: base + 0, 1, ... */
			if (th[k].entries == 0)
				ASSERT_EQ(0, a % 100000);
			ASSERT_EQ(a + 1000, (long)REC_ENTRY(h)->args[1]);
			th[k].pending = a + 1;	/* 0 means none */
			th[k].entries++;
		} else {
			ASSERT_NE(0, th[k].pending);
			ASSERT_EQ(4 * (th[k].pending - 1) + 1000, (long)REC_RETURN(h)->ret[0]);
			th[k].pending = 0;
			th[k].rets++;
		}
	}
	for (int k = 0; k < K; k++) {
		EXPECT_EQ(N, th[k].entries) TH_LOG("thread %d (tid %u)", k, th[k].tid);
		EXPECT_EQ(N, th[k].rets);
	}
	EXPECT_EQ(K, nnew);
	EXPECT_EQ(K, nexit);
	EXPECT_LE(1, ndead);
	EXPECT_TRUE(last_exit_dead) TH_LOG("the process's last exit is not flagged GROUP_DEAD");
	EXPECT_EQ(1, main_exit) TH_LOG("the main thread's exit is not recorded");
	if (nnew != K || nexit != K || !last_exit_dead || main_exit != 1) {
		for (size_t i = 0; i < s->tr.n; i++) {
			const struct cat_rec_header *h = s->tr.rec[i];

			if (h->type == CAT_REC_THREAD_NEW || h->type == CAT_REC_THREAD_EXIT)
				TH_LOG("%s tid %u flags %#x cpu %u at %llu ns",
				       h->type == CAT_REC_THREAD_NEW ? "new " : "exit",
				       h->type == CAT_REC_THREAD_NEW ? REC_NEW(h)->child_tid : h->tid,
				       h->flags, h->cpu, (unsigned long long)h->time_ns);
		}
	}
	EXPECT_EQ(K * N, s->st.total.uprobe_hits);
	EXPECT_EQ(K * N, s->st.total.uretprobe_hits);
}

/*
 * A probe in libc, which the test itself also calls while tracing: only
 * the target's calls (1 + 100 getppid) may be recorded. libc has no
 * .symtab: the loader gives getppid's vaddr, the client its file offset.
 */
TEST_F(trace, shared_library_probe)
{
	struct cat_session *s = &self->s;
	char libc[4096] = "", line[4352];
	struct link_map *lm = NULL;
	void *fn = dlsym(RTLD_DEFAULT, "getppid");
	Dl_info info;
	uint64_t off;
	FILE *maps = fopen("/proc/self/maps", "r");
	volatile pid_t sink;

	ASSERT_NE(NULL, maps);
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, "/libc.so.6") && sscanf(line, "%*s %*s %*s %*s %*s %4095s", libc) == 1)
			break;
	fclose(maps);
	ASSERT_NE(0, libc[0]) TH_LOG("libc not found in /proc/self/maps");
	ASSERT_NE(NULL, fn);
	ASSERT_NE(0, dladdr1(fn, &info, (void **)&lm, RTLD_DL_LINKMAP));
	ASSERT_EQ(0, cat_symtab_vaddr_to_offset(libc, (uintptr_t)fn - lm->l_addr, &off))
		TH_LOG("%s", libc);
	ASSERT_EQ(0, sess_spawn(s, "getppid", "100"));
	go(_metadata, self, "probe 9 both 0 %llu %s", (unsigned long long)off, libc);
	for (int i = 0; i < 1000; i++)
		sink = getppid();
	(void)sink;
	finish(_metadata, self);
	EXPECT_EQ(101, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 9, self->pid));
	EXPECT_EQ(101, count_probe(&s->tr, CAT_REC_PROBE_RETURN, 9, self->pid));
	EXPECT_EQ(101, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 9, 0));
	EXPECT_EQ(101, s->st.total.uprobe_hits);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_probe_return *r = REC_RETURN(s->tr.rec[i]);

		if (r->h.type == CAT_REC_PROBE_RETURN) {
			ASSERT_EQ(getpid(), (pid_t)r->ret[0]) TH_LOG("getppid() of the target");
		}
	}
}

/* two probes at one offset: both fire, each with its own id */
TEST_F(trace, same_offset_two_probes)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_spawn(s, "add", "50"));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	go(_metadata, self, "probe 2 entry 0 %llu %s", (unsigned long long)s->off_add, s->path);
	finish(_metadata, self);
	check_add_calls(_metadata, s, 1, self->pid, 0, 50, true);
	EXPECT_EQ(50, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 2, self->pid));
	EXPECT_EQ(0, count_probe(&s->tr, CAT_REC_PROBE_RETURN, 2, self->pid));
}

/*
 * "stop" while the target is inside a probed function: its return is
 * pending in the kernel's uretprobe machinery. The target must return
 * normally (cat_block returns 42, which it checks) and nothing more is
 * recorded.
 */
TEST_F(trace, stop_with_return_pending)
{
	struct cat_session *s = &self->s;
	char line[64];
	int status;
	long n;

	ASSERT_EQ(0, sess_spawn(s, "block", "add", "10"));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	go(_metadata, self, "probe 2 both 1 %llu %s", (unsigned long long)s->off_block, s->path);
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_STREQ("wait", line);
	ASSERT_EQ(0, cat_control("stop"));
	ASSERT_EQ(0, cat_child_send(&s->child, 'g'));
	status = cat_child_wait(&s->child, WAIT_MS);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("target after stop: wait status %#x", status);
	n = cat_trace_collect(&s->rd, &s->tr, s->err, sizeof(s->err));
	ASSERT_GE(n, 0) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_stats_read_checked(&s->st, s->err, sizeof(s->err)));
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(1, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 2, self->pid));
	EXPECT_EQ(0, count_probe(&s->tr, CAT_REC_PROBE_RETURN, 2, self->pid));
	EXPECT_EQ(0, count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 1, self->pid));
	EXPECT_EQ(1, s->st.total.uprobe_hits);
	EXPECT_EQ(0, s->st.total.uretprobe_hits);
}

/*
 * A CPU that comes online after "start" gets its relay buffer then; the
 * reader must find it (issue 14.3). cpu1 is offline at start, comes
 * online, and the target, pinned to it, makes every call there: all of
 * them must be read, from cpu1's buffer.
 */
TEST_F(trace, cpu_onlined_mid_session)
{
	struct cat_session *s = &self->s;
	char line[64];
	cpu_set_t set;
	size_t on_cpu1 = 0;
	int ret;

	ret = cpu_set_online(1, false);
	if (ret == -ENOENT || ret == -EACCES || ret == -EPERM)
		SKIP(return, "cpu1 cannot be taken offline: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, sess_spawn(s, "wait", "add", "200"));
	go(_metadata, self, "probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path);
	ret = cpu_set_online(1, true);
	ASSERT_EQ(0, ret) TH_LOG("cpu1 online: %s", strerror(-ret));
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_STREQ("wait", line);
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	ASSERT_EQ(0, sched_setaffinity(self->pid, sizeof(set), &set))
		TH_LOG("pin to cpu1: %s", strerror(errno));
	ASSERT_EQ(0, cat_child_send(&s->child, 'g'));
	finish(_metadata, self);

	check_add_calls(_metadata, s, 1, self->pid, 0, N_CALLS, true);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_PROBE_ENTRY && h->cpu == 1)
			on_cpu1++;
	}
	EXPECT_EQ(N_CALLS, on_cpu1);
	EXPECT_EQ(N_CALLS, s->st.total.uprobe_hits);
}

TEST_HARNESS_MAIN
