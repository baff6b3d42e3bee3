// SPDX-License-Identifier: GPL-2.0
/*
 * test_rebuild - host unit tests of the reconstruction rules (rebuild.c),
 * one test per rule, on hand-built record streams fed straight into
 * cat_rebuild_record(): nested polls and their results, combinator
 * branches, threads migrating between CPUs, tasks hopping threads, lost
 * records, task address reuse after dealloc, entries with no return at
 * the end, skipped uretprobes, returns without entries, spawn sites,
 * wakes, off-CPU time and blocking polls - and random garbage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksft.h"

#include "rebuild.h"
#include "spawnnest.h"
#include "spawnsite.h"

#define BIAS	0x555555554000ull
#define TGID	100

enum { P_POLL = 1, P_FUT, P_BRANCH, P_WAKE, P_FREE, P_BIND, P_SITE, P_BLK,
       P_OTHER, P_WRAP, P_SITE2, P_BINDI };

static struct cat_probe probes[] = {
	{ P_POLL, CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK, 0x1000, 0, "raw::poll", "", "" },
	{ P_FUT, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER, 0x2000, 0, "app::main::{{closure}}", "", "" },
	{ P_BRANCH, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_USER, 0x3000, 0, "<app::Branch as Future>::poll", "", "" },
	{ P_WAKE, CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE, 0x4000, 0, "waker::wake_by_ref", "", "" },
	{ P_FREE, CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE, 0x5000, 0, "raw::dealloc", "", "" },
	{ P_BIND, CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE, 0x6000, 0, "OwnedTasks::bind", "", "" },
	{ P_SITE, CAT_PROBE_ENTRY, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE, 0x7000, 0, "tokio::spawn", "", "" },
	{ P_BLK, CAT_PROBE_BOTH, 1, CAT_ROLE_BLOCKING_POLL, CAT_CTX_TASK, 0x8000, 0, "BlockingTask::poll", "", "" },
	{ P_OTHER, CAT_PROBE_BOTH, 1, CAT_ROLE_OTHER, CAT_CTX_NONE, 0x9000, 0, "app::helper", "", "" },
	{ P_WRAP, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_TASK, 0xa000, 0, "SupportTaskLocals::poll", "", "" },
	{ P_SITE2, CAT_PROBE_ENTRY, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE, 0xb000, 0, "Builder::spawn", "", "" },
	/* a task probe given the task: tokio 1.53 bind_inner(&self, task, notified) */
	{ P_BINDI, CAT_PROBE_BOTH, 2, CAT_ROLE_SPAWN, CAT_CTX_NONE, 0xc000, 0, "OwnedTasks::bind_inner", "", "" },
};
static const struct cat_probe_table table = { probes, sizeof(probes) / sizeof(probes[0]), 0 };

#define MAXEV 256

/* Everything the sink saw. */
struct seen {
	struct cat_rb_poll polls[MAXEV];
	uint64_t poll_task[MAXEV];
	int npolls;
	struct cat_rb_slice slices[MAXEV];
	uint64_t slice_task[MAXEV];	/* the task may be freed since */
	int nslices;
	struct cat_rb_instant instants[MAXEV];
	int ninstants;
	struct cat_rb_offcpu offcpu[MAXEV];
	uint64_t offcpu_task[MAXEV];
	int noffcpu;
	struct cat_rb_marker markers[MAXEV];
	int nmarkers;
	uint64_t ended[MAXEV];
	enum cat_task_state end_state[MAXEV];
	uint64_t end_spawn_call[MAXEV];
	const struct cat_backtrace *end_bt[MAXEV];
	int nended;
	int nresited;
	int nthreads;
	char comm[MAXEV][CAT_COMM_LEN + 1];
};

static void s_poll(void *c, const struct cat_rb_poll *p)
{
	struct seen *s = c;

	if (s->npolls < MAXEV) {
		s->poll_task[s->npolls] = p->task->id;
		s->polls[s->npolls++] = *p;
	}
}

static void s_slice(void *c, const struct cat_rb_slice *x)
{
	struct seen *s = c;

	if (s->nslices < MAXEV) {
		s->slice_task[s->nslices] = x->task ? x->task->id : 0;
		s->slices[s->nslices++] = *x;
	}
}

static void s_instant(void *c, const struct cat_rb_instant *x)
{
	struct seen *s = c;

	if (s->ninstants < MAXEV)
		s->instants[s->ninstants++] = *x;
}

static void s_offcpu(void *c, const struct cat_rb_offcpu *x)
{
	struct seen *s = c;

	if (s->noffcpu < MAXEV) {
		s->offcpu_task[s->noffcpu] = x->task ? x->task->id : 0;
		s->offcpu[s->noffcpu++] = *x;
	}
}

static void s_marker(void *c, const struct cat_rb_marker *x)
{
	struct seen *s = c;

	if (s->nmarkers < MAXEV)
		s->markers[s->nmarkers++] = *x;
}

static void s_end(void *c, struct cat_rb_task *t)
{
	struct seen *s = c;

	if (s->nended < MAXEV) {
		s->end_state[s->nended] = t->state;
		s->end_spawn_call[s->nended] = t->spawn_call_vaddr;
		s->end_bt[s->nended] = t->spawn_bt;
		s->ended[s->nended++] = t->id;
	}
}

static void s_thread(void *c, const struct cat_rb_thread *t)
{
	struct seen *s = c;

	if (s->nthreads < MAXEV)
		memcpy(s->comm[s->nthreads++], t->comm, CAT_COMM_LEN + 1);
}

/* The poll number @seq of task instance @task, or NULL. */
static const struct cat_rb_poll *find_poll(struct seen *s, uint64_t task,
					   uint32_t seq)
{
	for (int i = 0; i < s->npolls; i++)
		if (s->poll_task[i] == task && s->polls[i].seq == seq)
			return &s->polls[i];
	return NULL;
}

static struct cat_rebuild *new_rb(struct seen *s)
{
	struct cat_rb_sink sink = {
		.ctx = s, .poll = s_poll, .slice = s_slice,
		.instant = s_instant, .offcpu = s_offcpu, .marker = s_marker,
		.task_end = s_end, .thread = s_thread,
	};
	struct cat_rebuild_opts o = {
		.block_offcpu_ns = 1000000, .long_poll_ns = 10000000,
	};
	struct cat_rebuild *rb;

	memset(s, 0, sizeof(*s));
	rb = cat_rebuild_new(&table, &o, &sink);
	if (rb)
		cat_rebuild_add_tgid(rb, TGID);
	return rb;
}

/* record feeders: (cpu, time, tid) then the record's own fields */
static void entry(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
		  unsigned int tid, unsigned int id, uint64_t a0, uint64_t a1)
{
	union {
		struct cat_rec_probe_entry e;
		char b[sizeof(struct cat_rec_probe_entry) + 48];
	} u;
	unsigned int nargs = probes[id - 1].nargs;

	memset(&u, 0, sizeof(u));
	u.e.h.type = CAT_REC_PROBE_ENTRY;
	u.e.h.flags = CAT_ENTRY_F_RET_ADDR;
	u.e.h.size = cat_entry_size(nargs, u.e.h.flags);
	u.e.h.cpu = cpu;
	u.e.h.time_ns = t;
	u.e.h.tid = tid;
	u.e.h.tgid = TGID;
	u.e.probe_id = id;
	u.e.nargs = nargs;
	u.e.ip = BIAS + probes[id - 1].vaddr;
	u.e.args[nargs] = BIAS + 0x10000 + id;
	if (nargs == 1) {
		u.e.args[0] = a0;
	} else if (nargs == 2) {
		u.e.args[0] = a0;	/* self */
		u.e.args[1] = a1;	/* cx */
	}
	cat_rebuild_record(rb, &u.e.h);
}

static void entry_flags(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
			unsigned int tid, unsigned int id, uint64_t a0,
			unsigned int flags, uint64_t ra)
{
	union {
		struct cat_rec_probe_entry e;
		char b[sizeof(struct cat_rec_probe_entry) + 48];
	} u;
	unsigned int nargs = probes[id - 1].nargs;

	memset(&u, 0, sizeof(u));
	u.e.h.type = CAT_REC_PROBE_ENTRY;
	u.e.h.flags = flags | CAT_ENTRY_F_RET_ADDR;
	u.e.h.size = cat_entry_size(nargs, u.e.h.flags);
	u.e.h.cpu = cpu;
	u.e.h.time_ns = t;
	u.e.h.tid = tid;
	u.e.h.tgid = TGID;
	u.e.probe_id = id;
	u.e.nargs = nargs;
	u.e.ip = BIAS + probes[id - 1].vaddr;
	u.e.args[nargs] = ra;
	if (nargs)
		u.e.args[0] = a0;
	cat_rebuild_record(rb, &u.e.h);
}

static void ret2(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
		 unsigned int tid, unsigned int id, uint64_t rax, uint64_t rdx)
{
	struct cat_rec_probe_return r;

	memset(&r, 0, sizeof(r));
	r.h.type = CAT_REC_PROBE_RETURN;
	r.h.size = sizeof(r);
	r.h.cpu = cpu;
	r.h.time_ns = t;
	r.h.tid = tid;
	r.h.tgid = TGID;
	r.probe_id = id;
	r.ret[0] = rax;
	r.ret[1] = rdx;
	cat_rebuild_record(rb, &r.h);
}

static void ret(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
		unsigned int tid, unsigned int id)
{
	ret2(rb, cpu, t, tid, id, 0, 0);
}

static void sw(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
	       unsigned int prev, unsigned int prev_tgid, unsigned int next,
	       unsigned int next_tgid, unsigned int state, unsigned int flags)
{
	struct cat_rec_sched_switch s;

	memset(&s, 0, sizeof(s));
	s.h.type = CAT_REC_SCHED_SWITCH;
	s.h.size = sizeof(s);
	s.h.flags = flags;
	s.h.cpu = cpu;
	s.h.time_ns = t;
	s.h.tid = prev;
	s.h.tgid = prev_tgid;
	s.prev_tid = prev;
	s.prev_tgid = prev_tgid;
	s.next_tid = next;
	s.next_tgid = next_tgid;
	s.prev_state = state;
	snprintf(s.prev_comm, sizeof(s.prev_comm), "%s", prev_tgid == TGID ? "worker" : "swapper");
	snprintf(s.next_comm, sizeof(s.next_comm), "%s", next_tgid == TGID ? "worker" : "swapper");
	cat_rebuild_record(rb, &s.h);
}

static void lost(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
		 uint64_t count)
{
	struct cat_rec_lost l;

	memset(&l, 0, sizeof(l));
	l.h.type = CAT_REC_LOST;
	l.h.size = sizeof(l);
	l.h.cpu = cpu;
	l.h.time_ns = t;
	l.h.tgid = TGID;
	l.count = count;
	cat_rebuild_record(rb, &l.h);
}

#define TASK_A	0x7f0000001000ull
#define TASK_B	0x7f0000002000ull

TEST(nested_polls_results_and_children)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_FUT, TASK_A + 0x40, 0xc0);
	entry(rb, 0, 120, 1, P_BRANCH, TASK_A + 0x80, 0xc0);
	ret(rb, 0, 130, 1, P_BRANCH);
	ret(rb, 0, 140, 1, P_FUT);
	ret(rb, 0, 150, 1, P_POLL);
	/* the first poll's result is known only once it is polled again */
	EXPECT_EQ(0, s->npolls);
	EXPECT_EQ(2, s->nslices);
	entry(rb, 0, 200, 1, P_POLL, TASK_A, 0);
	ret(rb, 0, 250, 1, P_POLL);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_POLL_PENDING, s->polls[0].result);
	entry(rb, 0, 300, 1, P_FREE, TASK_A, 0);
	cat_rebuild_finish(rb, 400);

	ASSERT_EQ(2, s->npolls);
	EXPECT_EQ(CAT_POLL_READY, s->polls[1].result);
	EXPECT_EQ(1, s->polls[0].seq);
	EXPECT_EQ(2, s->polls[1].seq);
	EXPECT_EQ(100, s->polls[0].start_ns);
	EXPECT_EQ(150, s->polls[0].end_ns);
	EXPECT_EQ(0x2000, s->polls[0].future_vaddr);	/* the async fn */
	EXPECT_EQ(0, s->polls[0].depth);
	/* children: innermost first, depths 2 and 1, tied to the task */
	EXPECT_EQ(P_BRANCH, s->slices[0].probe->id);
	EXPECT_EQ(2, s->slices[0].depth);
	EXPECT_EQ(TASK_A + 0x80, s->slices[0].self);
	EXPECT_EQ(1, s->slices[1].depth);
	EXPECT_EQ(1, s->slice_task[1]);
	EXPECT_EQ(CAT_CUT_NONE, s->slices[1].cut);
	ASSERT_EQ(1, s->nended);
	EXPECT_EQ(CAT_TASK_FREED, s->end_state[0]);
	cat_rebuild_free(rb);
	free(s);
}

/* join!/select!: each branch is told apart by its self pointer */
TEST(combinator_branches_are_separate_children)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_FUT, 0xa000, 0xc0);		/* join! */
	entry(rb, 0, 120, 1, P_BRANCH, 0xb001, 0xc0);		/* branch 1 */
	ret(rb, 0, 130, 1, P_BRANCH);
	entry(rb, 0, 140, 1, P_BRANCH, 0xb002, 0xc0);		/* branch 2 */
	ret(rb, 0, 150, 1, P_BRANCH);
	ret(rb, 0, 160, 1, P_FUT);
	ret(rb, 0, 170, 1, P_POLL);
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(3, s->nslices);
	EXPECT_EQ(0xb001, s->slices[0].self);
	EXPECT_EQ(0xb002, s->slices[1].self);
	EXPECT_EQ(2, s->slices[0].depth);
	EXPECT_EQ(2, s->slices[1].depth);
	EXPECT_EQ(120, s->slices[0].start_ns);
	EXPECT_EQ(140, s->slices[1].start_ns);
	EXPECT_EQ(0xa000, s->slices[2].self);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_POLL_UNKNOWN, s->polls[0].result);	/* still alive */
	EXPECT_EQ(CAT_TASK_LIVE, s->end_state[0]);
	cat_rebuild_free(rb);
	free(s);
}

/* A thread moves between CPUs inside a poll; a task moves between threads. */
TEST(migration)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	sw(rb, 0, 110, 1, TGID, 0, 0, CAT_TASK_RUNNING, CAT_SWITCH_F_PREEMPT);
	sw(rb, 1, 130, 0, 0, 1, TGID, 0, 0);		/* back, on CPU 1 */
	ret(rb, 1, 150, 1, P_POLL);
	entry(rb, 0, 200, 2, P_POLL, TASK_A, 0);	/* now on thread 2 */
	ret(rb, 0, 260, 2, P_POLL);
	cat_rebuild_finish(rb, 300);
	ASSERT_EQ(2, s->npolls);
	EXPECT_EQ(1, s->polls[0].tid);
	EXPECT_EQ(1, s->polls[0].cpu);
	EXPECT_EQ(150, s->polls[0].end_ns);
	EXPECT_EQ(20, s->polls[0].offcpu_ns);
	EXPECT_EQ(0, s->polls[0].offcpu_vol_ns);	/* preempted */
	EXPECT_EQ(0, s->polls[0].blocking);
	EXPECT_EQ(2, s->polls[1].tid);
	EXPECT_EQ(1, s->polls[1].prev_tid);
	EXPECT_EQ(100, s->polls[1].prev_start_ns);
	EXPECT_EQ(1, s->poll_task[0]);
	EXPECT_EQ(1, s->poll_task[1]);
	ASSERT_EQ(1, s->noffcpu);
	EXPECT_EQ(CAT_OFFCPU_PREEMPTED, s->offcpu[0].state);
	EXPECT_EQ(1, s->offcpu_task[0]);
	cat_rebuild_free(rb);
	free(s);
}

TEST(lost_records_reset_that_cpu_only)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);	/* thread 1 on CPU 0 */
	entry(rb, 0, 110, 1, P_FUT, 0xa, 0xc);
	entry(rb, 1, 105, 2, P_POLL, TASK_B, 0);	/* thread 2 on CPU 1 */
	lost(rb, 0, 120, 7);
	ret(rb, 0, 130, 1, P_FUT);	/* its entry was reset: unmatched */
	ret(rb, 0, 140, 1, P_POLL);
	ret(rb, 1, 150, 2, P_POLL);
	cat_rebuild_finish(rb, 200);

	ASSERT_EQ(2, s->npolls);
	/* thread 1's poll was cut at the LOST record */
	EXPECT_EQ(1, s->polls[0].tid);
	EXPECT_EQ(CAT_CUT_LOST, s->polls[0].cut);
	EXPECT_EQ(120, s->polls[0].end_ns);
	EXPECT_EQ(CAT_POLL_UNKNOWN, s->polls[0].result);
	/* thread 2's went on untouched */
	EXPECT_EQ(2, s->polls[1].tid);
	EXPECT_EQ(CAT_CUT_NONE, s->polls[1].cut);
	EXPECT_EQ(150, s->polls[1].end_ns);
	ASSERT_EQ(1, s->nslices);
	EXPECT_EQ(CAT_CUT_LOST, s->slices[0].cut);
	ASSERT_EQ(3, s->nmarkers);
	EXPECT_EQ(CAT_MARK_LOST, s->markers[0].kind);
	EXPECT_EQ(7, s->markers[0].count);
	EXPECT_EQ(CAT_MARK_UNMATCHED_RETURN, s->markers[1].kind);
	EXPECT_EQ(CAT_MARK_UNMATCHED_RETURN, s->markers[2].kind);
	EXPECT_EQ(7, cat_rebuild_stats(rb)->lost_records);
	EXPECT_EQ(2, cat_rebuild_stats(rb)->unmatched_returns);
	cat_rebuild_free(rb);
	free(s);
}

TEST(task_address_reuse_after_dealloc)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 120, 1, P_FREE, TASK_A, 0);	/* freed in its poll */
	ret(rb, 0, 130, 1, P_POLL);
	ASSERT_EQ(1, s->npolls);			/* no need to wait */
	EXPECT_EQ(CAT_POLL_READY, s->polls[0].result);
	ASSERT_EQ(1, s->nended);
	entry(rb, 0, 200, 1, P_POLL, TASK_A, 0);	/* same address */
	ret(rb, 0, 230, 1, P_POLL);
	entry(rb, 0, 300, 1, P_POLL, TASK_A, 0);
	ret(rb, 0, 330, 1, P_POLL);
	entry(rb, 0, 400, 2, P_FREE, TASK_A, 0);	/* freed elsewhere */
	cat_rebuild_finish(rb, 500);
	ASSERT_EQ(3, s->npolls);
	EXPECT_EQ(1, s->poll_task[0]);
	EXPECT_EQ(2, s->poll_task[1]);			/* a new instance */
	EXPECT_EQ(2, s->poll_task[2]);
	EXPECT_EQ(1, s->polls[1].seq);
	EXPECT_EQ(0, s->polls[1].prev_start_ns);	/* no history */
	EXPECT_EQ(CAT_POLL_PENDING, s->polls[1].result);
	EXPECT_EQ(CAT_POLL_READY, s->polls[2].result);
	ASSERT_EQ(2, s->nended);
	EXPECT_EQ(2, s->ended[1]);
	EXPECT_EQ(2, cat_rebuild_stats(rb)->tasks);
	cat_rebuild_free(rb);
	free(s);
}

TEST(entries_without_return_at_end_of_trace)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_FUT, 0xa, 0xc);
	cat_rebuild_finish(rb, 500);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_CUT_END, s->polls[0].cut);
	EXPECT_EQ(500, s->polls[0].end_ns);
	ASSERT_EQ(1, s->nslices);
	EXPECT_EQ(CAT_CUT_END, s->slices[0].cut);
	ASSERT_EQ(1, s->nended);
	EXPECT_EQ(CAT_TASK_POLLING, s->end_state[0]);
	cat_rebuild_free(rb);
	free(s);
}

TEST(skipped_uretprobe_keeps_the_stack_right)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry_flags(rb, 0, 110, 1, P_OTHER, 5, CAT_ENTRY_F_NO_RETURN, 0);
	entry(rb, 0, 120, 1, P_FUT, 0xa, 0xc);
	ret(rb, 0, 130, 1, P_FUT);
	ret(rb, 0, 140, 1, P_POLL);
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(1, s->ninstants);
	EXPECT_TRUE(s->instants[0].no_return);
	EXPECT_EQ(1, s->instants[0].depth);
	ASSERT_EQ(1, s->nslices);
	EXPECT_EQ(1, s->slices[0].depth);	/* not nested under it */
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_CUT_NONE, s->polls[0].cut);
	EXPECT_EQ(0, s->nmarkers);
	cat_rebuild_free(rb);
	free(s);
}

TEST(returns_without_entries_and_missing_returns)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	ret(rb, 0, 50, 1, P_FUT);			/* traced mid-call */
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_FUT, 0xa, 0xc);
	ret(rb, 0, 140, 1, P_POLL);			/* P_FUT's return lost */
	ret2(rb, 0, 150, 1, 4242, 0, 0);		/* unknown probe id */
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(1, s->nslices);
	EXPECT_EQ(CAT_CUT_MISSING_RET, s->slices[0].cut);
	EXPECT_EQ(140, s->slices[0].end_ns);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_CUT_NONE, s->polls[0].cut);
	EXPECT_EQ(2, cat_rebuild_stats(rb)->unmatched_returns);
	EXPECT_EQ(1, cat_rebuild_stats(rb)->unknown_probes);
	cat_rebuild_free(rb);
	free(s);
}

TEST(spawn_site_and_task)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	/* the bias is learnt from the first entry */
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);
	ret(rb, 0, 11, 1, P_OTHER);
	/* debug build: tokio::spawn (site probe) -> bind (task probe) */
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1234);
	entry_flags(rb, 0, 110, 1, P_BIND, 0, 0, BIAS + 0x7777);
	ret2(rb, 0, 120, 1, P_BIND, TASK_A, 99);
	/* release build: only bind, task in rdx because rax is 0 */
	entry_flags(rb, 0, 200, 1, P_BIND, 0, 0, BIAS + 0x2345);
	ret2(rb, 0, 210, 1, P_BIND, 0, TASK_B);
	/* a failed spawn: nothing */
	entry_flags(rb, 0, 300, 1, P_BIND, 0, 0, BIAS + 0x3456);
	ret2(rb, 0, 310, 1, P_BIND, 0, 0);
	/* spawned from inside a poll of task A */
	entry(rb, 0, 400, 2, P_POLL, TASK_A, 0);
	entry_flags(rb, 0, 410, 2, P_BIND, 0, 0, BIAS + 0x4567);
	ret2(rb, 0, 420, 2, P_BIND, 0x7f0000003000ull, 0);
	ret(rb, 0, 430, 2, P_POLL);
	cat_rebuild_finish(rb, 500);
	EXPECT_EQ(BIAS, cat_rebuild_bias(rb));
	ASSERT_EQ(3, s->nended);
	EXPECT_EQ(1, s->ended[0]);
	EXPECT_EQ(0x1234, s->end_spawn_call[0]);	/* the site probe's */
	EXPECT_EQ(0x2345, s->end_spawn_call[1]);
	EXPECT_EQ(0x4567, s->end_spawn_call[2]);
	EXPECT_EQ(3, cat_rebuild_stats(rb)->tasks);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * A task probe with arguments takes the task from its last one, never
 * from rdx (bind_inner returns Option<Notified> in rax alone; rdx is
 * whatever was left there, and rax is 0 when the runtime is closed).
 */
TEST(task_probe_given_the_task)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);
	const uint64_t garbage = 0x7f00deadbee0ull, self = 0x7f0000777000ull;

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);		/* learn the bias */
	ret(rb, 0, 11, 1, P_OTHER);
	/* debug: tokio::spawn -> bind -> bind_inner */
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1234);
	entry_flags(rb, 0, 105, 1, P_BIND, 0, 0, BIAS + 0x7777);
	entry(rb, 0, 110, 1, P_BINDI, self, TASK_A);
	ret2(rb, 0, 115, 1, P_BINDI, TASK_A, garbage);
	ret2(rb, 0, 120, 1, P_BIND, TASK_A, TASK_A);
	/* release: bind_inner alone, rdx garbage */
	entry(rb, 0, 200, 1, P_BINDI, self, TASK_B);
	ret2(rb, 0, 210, 1, P_BINDI, TASK_B, garbage);
	/* closed runtime: None in rax, the task it was given is shut down */
	entry(rb, 0, 300, 1, P_BINDI, self, 0x7f0000004000ull);
	ret2(rb, 0, 310, 1, P_BINDI, 0, garbage);
	/* its shutdown poll finds it spawned already */
	entry(rb, 1, 400, 2, P_POLL, 0x7f0000004000ull, 0);
	ret(rb, 1, 410, 2, P_POLL);
	cat_rebuild_finish(rb, 500);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(3, s->poll_task[0]);
	ASSERT_EQ(3, s->nended);
	EXPECT_EQ(0x1234, s->end_spawn_call[0]);	/* the site probe's */
	EXPECT_EQ(0x1000c, s->end_spawn_call[1]);	/* bind_inner's caller */
	EXPECT_EQ(0x1000c, s->end_spawn_call[2]);
	EXPECT_EQ(3, cat_rebuild_stats(rb)->tasks);	/* none at garbage */
	cat_rebuild_free(rb);
	free(s);
}

/* ---- spawn backtraces from stack records ---- */

/*
 * stands in for spawnsite.c: backtrace i for a stack record with sp = i;
 * without frames, so without a site (spawnnest.h leaves them alone)
 */
static struct cat_backtrace fake_bt[8];
static int nhook;

static const struct cat_backtrace *fake_hook(void *ctx,
					     const struct cat_rec_probe_stack *k,
					     uint64_t bias)
{
	nhook++;
	if (bias != BIAS || k->regs[CAT_STACK_REG_SP] >=
	    sizeof(fake_bt) / sizeof(fake_bt[0]))
		return NULL;
	return (const struct cat_backtrace *)&fake_bt[k->regs[CAT_STACK_REG_SP]];
}

static void stack_rec(struct cat_rebuild *rb, unsigned int cpu, uint64_t t,
		      unsigned int tid, unsigned int id, uint64_t sp)
{
	union {
		struct cat_rec_probe_stack k;
		char b[sizeof(struct cat_rec_probe_stack) + 16];
	} u;

	memset(&u, 0, sizeof(u));
	u.k.h.type = CAT_REC_PROBE_STACK;
	u.k.h.size = cat_stack_size(16);
	u.k.h.cpu = cpu;
	u.k.h.time_ns = t;
	u.k.h.tid = tid;
	u.k.h.tgid = TGID;
	u.k.probe_id = id;
	u.k.size = u.k.requested = 16;
	u.k.regs[CAT_STACK_REG_IP] = BIAS + probes[id - 1].vaddr;
	u.k.regs[CAT_STACK_REG_SP] = sp;
	cat_rebuild_record(rb, &u.k.h);
}

/*
 * A stack record gives its entry's spawn a backtrace (the hook's); the
 * task keeps the outermost spawn's, or an inner one's when the outer has
 * none; a stack record that is not right after its entry, or of a probe
 * that is no spawn, is not unwound at all.
 */
TEST(spawn_backtrace_from_stack_records)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rb_sink sink = { .ctx = s, .task_end = s_end };
	struct cat_rebuild_opts o = {
		.block_offcpu_ns = 1000000, .long_poll_ns = 10000000,
		.spawn_stack = fake_hook,
	};
	struct cat_rebuild *rb;

	ASSERT_NE(NULL, s);
	memset(s, 0, sizeof(*s));
	nhook = 0;
	rb = cat_rebuild_new(&table, &o, &sink);
	ASSERT_NE(NULL, rb);
	cat_rebuild_add_tgid(rb, TGID);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);
	stack_rec(rb, 0, 10, 1, P_OTHER, 7);	/* no spawn: not unwound */
	ret(rb, 0, 11, 1, P_OTHER);
	/* site probe and task probe, both with stacks: the site's */
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1111);
	stack_rec(rb, 0, 100, 1, P_SITE, 1);
	entry_flags(rb, 0, 110, 1, P_BIND, 0, 0, BIAS + 0x7777);
	stack_rec(rb, 0, 110, 1, P_BIND, 2);
	ret2(rb, 0, 120, 1, P_BIND, TASK_A, 0);
	/* the task probe alone */
	entry_flags(rb, 0, 200, 1, P_BIND, 0, 0, BIAS + 0x2222);
	stack_rec(rb, 0, 200, 1, P_BIND, 3);
	ret2(rb, 0, 210, 1, P_BIND, TASK_B, 0);
	/* a site without a stack: the task probe's */
	entry_flags(rb, 0, 300, 1, P_SITE, 0, 0, BIAS + 0x3333);
	entry_flags(rb, 0, 310, 1, P_BIND, 0, 0, BIAS + 0x7777);
	stack_rec(rb, 0, 310, 1, P_BIND, 4);
	ret2(rb, 0, 320, 1, P_BIND, 0x7f0000003000ull, 0);
	/* a stack record at another time is not its entry's */
	entry_flags(rb, 0, 400, 1, P_BIND, 0, 0, BIAS + 0x4444);
	stack_rec(rb, 0, 401, 1, P_BIND, 5);
	ret2(rb, 0, 410, 1, P_BIND, 0x7f0000004000ull, 0);
	cat_rebuild_finish(rb, 500);
	EXPECT_EQ(4, nhook);
	ASSERT_EQ(4, s->nended);
	EXPECT_EQ((void *)&fake_bt[1], s->end_bt[0]);
	EXPECT_EQ(0x1111, s->end_spawn_call[0]);
	EXPECT_EQ((void *)&fake_bt[3], s->end_bt[1]);
	EXPECT_EQ((void *)&fake_bt[4], s->end_bt[2]);
	EXPECT_EQ(0x3333, s->end_spawn_call[2]);
	EXPECT_EQ(NULL, s->end_bt[3]);
	EXPECT_EQ(0x4444, s->end_spawn_call[3]);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * Backtraces with frames, for spawnnest.h: the program's call at
 * main.rs:95 reaches the spawn function directly (own), or through
 * library frames (deep: smol 2 spawning async-process's driver); in a
 * debug build the driver's task probe copy stops short of the program
 * (inner) and the site comes from smol::spawn's entry (site).
 */
static struct cat_src_frame src_spawn = {
	"Executor::spawn", "/r/async-executor-1.14.0/src/lib.rs", 10, 1,
};
static struct cat_src_frame src_spawn2 = {
	"Executor::spawn_inner", "/r/async-executor-1.14.0/src/lib.rs", 20, 1,
};
static struct cat_src_frame src_lib = {
	"smol::spawn::global::{closure}", "/r/smol-2.0.2/src/spawn.rs", 58, 1,
};
static struct cat_src_frame src_main = { "main", "/p/src/main.rs", 95, 1 };
static struct cat_bt_frame fr_own[] = {
	{ 0x100, &src_spawn, 0, false, false },
	{ 0x9000, &src_main, 1, false, true },
};
static struct cat_bt_frame fr_deep[] = {
	{ 0x100, &src_spawn, 0, false, false },
	{ 0x180, &src_spawn2, 1, false, false },
	{ 0x8000, &src_lib, 2, true, false },
	{ 0x8000, &src_lib, 2, false, false },
	{ 0x9010, &src_main, 3, false, true },
};
static struct cat_bt_frame fr_inner[] = {
	{ 0x100, &src_spawn, 0, false, false },
	{ 0x8000, &src_lib, 1, false, false },
};
static struct cat_bt_frame fr_site[] = {
	{ 0x7000, &src_lib, 0, false, false },
	{ 0x9020, &src_main, 1, false, true },
};
static struct cat_backtrace bt_own = {
	.nframes = 2, .frames = fr_own, .site = 1, .site_where = "main.rs:95",
};
static struct cat_backtrace bt_deep = {
	.nframes = 5, .frames = fr_deep, .site = 4, .site_where = "main.rs:95",
};
static struct cat_backtrace bt_inner = {
	.nframes = 2, .frames = fr_inner, .site = -1,
};
static struct cat_backtrace bt_site = {
	.nframes = 2, .frames = fr_site, .site = 1, .site_where = "main.rs:95",
};

/* by stack pointer: 100 deep, 200 the program's call, 300 a site probe */
static const struct cat_backtrace *nest_hook(void *ctx,
					     const struct cat_rec_probe_stack *k,
					     uint64_t bias)
{
	switch (k->regs[CAT_STACK_REG_SP]) {
	case 100: return &bt_deep;
	case 101: return &bt_inner;
	case 200: return &bt_own;
	case 300: return &bt_site;
	}
	return NULL;
}

static void s_resited(void *c, struct cat_rb_task *t)
{
	((struct seen *)c)->nresited++;
}

struct nested_seen {
	struct seen s;
	const struct cat_backtrace *bt[8];
	const char *inside[8];
	int site_frame[8];
};

static void s_end_nested(void *c, struct cat_rb_task *t)
{
	struct nested_seen *n = c;

	if (t->id < 8) {
		n->bt[t->id] = t->spawn_bt;
		n->inside[t->id] = cat_task_spawned_inside(t);
		n->site_frame[t->id] = cat_task_site_frame(t);
	}
	s_end(c, t);
}

/*
 * Of consecutive spawns at one program line, those whose task probe ran
 * deeper are the library's own (spawnnest.h): before the call's own spawn
 * (found nested afterwards) or after it; a loop at the same depth is not.
 * A debug build's deep spawn inside a site probe takes the site's line
 * and is re-sited from its own, shorter backtrace.
 */
TEST(library_spawn_inside_program_call_is_nested)
{
	struct nested_seen *n = calloc(1, sizeof(*n));
	struct cat_rb_sink sink = {
		.ctx = n, .task_end = s_end_nested, .task_resited = s_resited,
	};
	struct cat_rebuild_opts o = {
		.block_offcpu_ns = 1000000, .long_poll_ns = 10000000,
		.spawn_stack = nest_hook,
	};
	/* deep, own, own (a loop), deep again */
	static const uint64_t task[] = { TASK_A, TASK_B, 0x7f0000003000ull,
					 0x7f0000004000ull };
	static const unsigned int sp[] = { 100, 200, 200, 100 };
	struct cat_rebuild *rb;

	ASSERT_NE(NULL, n);
	rb = cat_rebuild_new(&table, &o, &sink);
	ASSERT_NE(NULL, rb);
	cat_rebuild_add_tgid(rb, TGID);
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t t = 100 * (i + 1);

		entry_flags(rb, 0, t, 1, P_BIND, 0, 0, BIAS + 0x7777);
		stack_rec(rb, 0, t, 1, P_BIND, sp[i]);
		ret2(rb, 0, t + 10, 1, P_BIND, task[i], 0);
	}
	/* debug: smol::spawn's entry, the driver inside it, then the call's */
	entry_flags(rb, 0, 1000, 2, P_SITE, 0, 0, BIAS + 0x1234);
	stack_rec(rb, 0, 1000, 2, P_SITE, 300);
	entry_flags(rb, 0, 1010, 2, P_BIND, 0, 0, BIAS + 0x7777);
	stack_rec(rb, 0, 1010, 2, P_BIND, 101);
	ret2(rb, 0, 1020, 2, P_BIND, 0x7f0000005000ull, 0);
	entry_flags(rb, 0, 1030, 2, P_BIND, 0, 0, BIAS + 0x7777);
	stack_rec(rb, 0, 1030, 2, P_BIND, 200);
	ret2(rb, 0, 1040, 2, P_BIND, 0x7f0000006000ull, 0);
	cat_rebuild_finish(rb, 2000);
	ASSERT_EQ(6, n->s.nended);
	/* task 1: found nested by task 2; its site the smol frame */
	EXPECT_EQ(&bt_deep, n->bt[1]);
	EXPECT_EQ(2, n->site_frame[1]);
	EXPECT_STREQ("main.rs:95", n->inside[1]);
	for (unsigned int id = 2; id <= 3; id++) {
		EXPECT_EQ(&bt_own, n->bt[id]);
		EXPECT_EQ(1, n->site_frame[id]);
		EXPECT_EQ(NULL, n->inside[id]);
	}
	EXPECT_EQ(2, n->site_frame[4]);		/* nested at once */
	EXPECT_STREQ("main.rs:95", n->inside[4]);
	/* task 5: the site probe's line, then its own backtrace's frame */
	EXPECT_EQ(&bt_inner, n->bt[5]);
	EXPECT_EQ(1, n->site_frame[5]);
	EXPECT_STREQ("main.rs:95", n->inside[5]);
	EXPECT_EQ(&bt_own, n->bt[6]);
	EXPECT_EQ(NULL, n->inside[6]);
	EXPECT_EQ(3, cat_rebuild_stats(rb)->nested_spawns);
	EXPECT_EQ(3, n->s.nresited);
	cat_rebuild_free(rb);
	free(n);
}

/* tokio may free a task without the probed dealloc: a spawn tells. */
TEST(spawn_at_a_known_address_ends_the_old_instance)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry_flags(rb, 0, 100, 1, P_BIND, 0, 0, BIAS + 0x1111);
	ret2(rb, 0, 110, 1, P_BIND, TASK_A, 0);
	entry(rb, 1, 200, 2, P_POLL, TASK_A, 0);
	ret(rb, 1, 210, 2, P_POLL);			/* last poll, no free */
	entry_flags(rb, 0, 300, 1, P_BIND, 0, 0, BIAS + 0x2222);
	ret2(rb, 0, 310, 1, P_BIND, TASK_A, 0);		/* reused */
	entry(rb, 1, 400, 2, P_POLL, TASK_A, 0);
	ret(rb, 1, 410, 2, P_POLL);
	cat_rebuild_finish(rb, 500);
	ASSERT_EQ(2, s->npolls);
	EXPECT_EQ(1, s->poll_task[0]);
	EXPECT_EQ(CAT_POLL_READY, s->polls[0].result);
	EXPECT_EQ(2, s->poll_task[1]);
	ASSERT_EQ(2, s->nended);
	EXPECT_EQ(CAT_TASK_FREED, s->end_state[0]);
	EXPECT_EQ(0x1111, s->end_spawn_call[0]);
	EXPECT_EQ(0x2222, s->end_spawn_call[1]);
	cat_rebuild_free(rb);
	free(s);
}

/* Nested site probes keep the outermost; the same one again is new. */
TEST(site_probes)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	/* debug async-std: task::spawn -> Builder::spawn -> task probe */
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1111);
	entry_flags(rb, 0, 105, 1, P_SITE2, 0, 0, BIAS + 0x9999);
	entry_flags(rb, 0, 110, 1, P_BIND, 0, 0, BIAS + 0x8888);
	ret2(rb, 0, 120, 1, P_BIND, TASK_A, 0);
	/* a site probe whose task probe never comes (inlined) ... */
	entry_flags(rb, 0, 200, 1, P_SITE, 0, 0, BIAS + 0x2222);
	/* ... must not capture the next spawn's site */
	entry_flags(rb, 0, 300, 1, P_SITE, 0, 0, BIAS + 0x3333);
	entry_flags(rb, 0, 310, 1, P_BIND, 0, 0, BIAS + 0x8888);
	ret2(rb, 0, 320, 1, P_BIND, TASK_B, 0);
	cat_rebuild_finish(rb, 400);
	ASSERT_EQ(2, s->nended);
	EXPECT_EQ(0x1111, s->end_spawn_call[0]);
	EXPECT_EQ(0x3333, s->end_spawn_call[1]);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * tokio's spawn_blocking in release: the site probe fires, its task probe
 * is inlined; the blocking task then appears in a poll on another thread
 * and adopts that orphan site. A site whose spawn is still in progress
 * is not adopted.
 */
TEST(orphan_site_adopted_by_unspawned_task)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);		/* learn the bias */
	ret(rb, 0, 11, 1, P_OTHER);
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1229);
	/* thread 3 is inside another spawn: its site is in flight */
	entry_flags(rb, 1, 150, 3, P_SITE2, 0, 0, BIAS + 0x3333);
	entry_flags(rb, 1, 160, 3, P_BIND, 0, 0, BIAS + 0x7777);
	entry(rb, 2, 200, 2, P_POLL, TASK_A, 0);	/* appears unspawned */
	ret(rb, 2, 300, 2, P_POLL);
	entry(rb, 2, 400, 2, P_POLL, TASK_B, 0);	/* no orphan left */
	ret(rb, 2, 500, 2, P_POLL);
	ret2(rb, 1, 600, 3, P_BIND, 0x7f0000009000ull, 0);
	cat_rebuild_finish(rb, 700);
	ASSERT_EQ(3, s->nended);
	EXPECT_EQ(0x1229, s->end_spawn_call[0]);	/* TASK_A, adopted */
	EXPECT_EQ(0, s->end_spawn_call[1]);		/* TASK_B: unknown */
	EXPECT_EQ(0x3333, s->end_spawn_call[2]);	/* its own site */
	cat_rebuild_free(rb);
	free(s);
}

/*
 * A site probe inside a task probe (tokio's pool::spawn_blocking calls
 * Handle::spawn_blocking) belongs to that spawn. Found in a VM run: the
 * next spawn's task was polled on another thread before its task probe
 * returned, and adopted that old site instead of waiting for its own.
 */
TEST(site_inside_a_spawn_is_not_an_orphan)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);		/* learn the bias */
	ret(rb, 0, 11, 1, P_OTHER);
	entry_flags(rb, 0, 100, 1, P_BIND, 0, 0, BIAS + 0x4444);
	entry_flags(rb, 0, 110, 1, P_SITE2, 0, 0, BIAS + 0x5555);
	ret2(rb, 0, 120, 1, P_BIND, TASK_A, 0);
	entry_flags(rb, 0, 200, 1, P_SITE, 0, 0, BIAS + 0x1229);
	entry_flags(rb, 0, 210, 1, P_BIND, 0, 0, BIAS + 0x7777);
	entry(rb, 1, 220, 2, P_POLL, TASK_B, 0);	/* before bind returns */
	ret(rb, 1, 230, 2, P_POLL);
	ret2(rb, 0, 240, 1, P_BIND, TASK_B, 0);
	cat_rebuild_finish(rb, 300);
	ASSERT_EQ(2, s->nended);
	for (int i = 0; i < 2; i++) {
		ASSERT_TRUE(s->ended[i] == 1 || s->ended[i] == 2);
		EXPECT_EQ(s->ended[i] == 1 ? 0x4444 : 0x1229,
			  s->end_spawn_call[i]) TH_LOG("task %llu",
				(unsigned long long)s->ended[i]);
	}
	cat_rebuild_free(rb);
	free(s);
}

/*
 * Found in CI (tokio_shapes, 6.12): between the site probe of a
 * tokio::spawn and its task probe, another thread first polled tokio's
 * own block_in_place task (no spawn seen) and took that site. A site is
 * an orphan only once its thread has moved on.
 */
TEST(site_before_its_task_probe_is_not_an_orphan)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);		/* learn the bias */
	ret(rb, 0, 11, 1, P_OTHER);
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1229);
	entry(rb, 1, 110, 2, P_POLL, TASK_A, 0);	/* no spawn of its own */
	ret(rb, 1, 115, 2, P_POLL);
	entry_flags(rb, 0, 120, 1, P_BIND, 0, 0, BIAS + 0x7777);
	ret2(rb, 0, 130, 1, P_BIND, TASK_B, 0);
	entry(rb, 0, 140, 1, P_OTHER, 0, 0);		/* moves on */
	ret(rb, 0, 141, 1, P_OTHER);
	entry(rb, 1, 150, 2, P_POLL, TASK_B, 0);
	ret(rb, 1, 160, 2, P_POLL);
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(2, s->nended);
	EXPECT_EQ(1, s->ended[0]);
	EXPECT_EQ(0, s->end_spawn_call[0]);		/* TASK_A: unknown */
	EXPECT_EQ(0x1229, s->end_spawn_call[1]);	/* TASK_B: its own */
	EXPECT_EQ(0, cat_rebuild_stats(rb)->late_orphan_sites);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * The blocking pool can poll an inlined spawn_blocking's task before the
 * spawning thread records anything else: the task waits, and takes the
 * site when it settles - but never a site made after its first poll.
 */
TEST(orphan_site_adopted_when_it_settles)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);		/* learn the bias */
	ret(rb, 0, 11, 1, P_OTHER);
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x2222);
	entry(rb, 1, 110, 2, P_POLL, TASK_A, 0);	/* before it settles */
	ret(rb, 1, 120, 2, P_POLL);
	entry(rb, 0, 130, 1, P_OTHER, 0, 0);		/* settles: TASK_A's */
	ret(rb, 0, 131, 1, P_OTHER);
	entry(rb, 1, 140, 2, P_FREE, TASK_A, 0);
	/* a task waiting for an in-flight site ... */
	entry_flags(rb, 0, 200, 1, P_SITE, 0, 0, BIAS + 0x3333);
	entry(rb, 1, 210, 2, P_POLL, TASK_B, 0);
	ret(rb, 1, 220, 2, P_POLL);
	entry_flags(rb, 0, 230, 1, P_BIND, 0, 0, BIAS + 0x7777);
	ret2(rb, 0, 240, 1, P_BIND, 0x7f0000009000ull, 0);
	/* ... does not take one made after its first poll */
	entry_flags(rb, 0, 300, 1, P_SITE, 0, 0, BIAS + 0x4444);
	entry(rb, 0, 310, 1, P_OTHER, 0, 0);
	ret(rb, 0, 311, 1, P_OTHER);
	entry(rb, 1, 400, 2, P_POLL, 0x7f0000009000ull, 0);
	ret(rb, 1, 410, 2, P_POLL);
	entry(rb, 1, 500, 2, P_POLL, 0x7f000000a000ull, 0);
	ret(rb, 1, 510, 2, P_POLL);
	cat_rebuild_finish(rb, 600);
	ASSERT_EQ(4, s->nended);
	EXPECT_EQ(1, s->ended[0]);			/* TASK_A, freed */
	EXPECT_EQ(0x2222, s->end_spawn_call[0]);
	EXPECT_EQ(2, s->ended[1]);			/* TASK_B */
	EXPECT_EQ(0, s->end_spawn_call[1]);
	EXPECT_EQ(3, s->ended[2]);			/* bound at 240 */
	EXPECT_EQ(0x3333, s->end_spawn_call[2]);
	EXPECT_EQ(4, s->ended[3]);			/* the orphan at 300 */
	EXPECT_EQ(0x4444, s->end_spawn_call[3]);
	EXPECT_EQ(1, cat_rebuild_stats(rb)->late_orphan_sites);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * Found in the VM (tokio 1.53 release, tokio_shapes): two spawn_blocking
 * in a loop, then the spawning thread parks without another probe. The
 * second site settles only at the end of the trace, long after its task
 * ran and was freed: the task takes it when it ends.
 */
TEST(waiting_task_takes_its_site_when_it_ends)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 10, 1, P_OTHER, 0, 0);		/* learn the bias */
	ret(rb, 0, 11, 1, P_OTHER);
	entry_flags(rb, 0, 100, 1, P_SITE, 0, 0, BIAS + 0x1229);
	entry_flags(rb, 0, 110, 1, P_SITE, 0, 0, BIAS + 0x122a);
	entry(rb, 1, 120, 2, P_POLL, TASK_A, 0);	/* the first, settled */
	entry(rb, 2, 125, 3, P_POLL, TASK_B, 0);	/* waits for the second */
	ret(rb, 1, 130, 2, P_POLL);
	ret(rb, 2, 135, 3, P_POLL);
	entry(rb, 1, 140, 2, P_FREE, TASK_A, 0);
	ret(rb, 1, 141, 2, P_FREE);
	entry(rb, 2, 150, 3, P_FREE, TASK_B, 0);
	ret(rb, 2, 151, 3, P_FREE);
	cat_rebuild_finish(rb, 600);
	ASSERT_EQ(2, s->nended);
	EXPECT_EQ(1, s->ended[0]);
	EXPECT_EQ(0x1229, s->end_spawn_call[0]);
	EXPECT_EQ(2, s->ended[1]);
	EXPECT_EQ(0x122a, s->end_spawn_call[1]);
	EXPECT_EQ(1, cat_rebuild_stats(rb)->late_orphan_sites);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * Found in CI (async-std release, 6.1): async-task's run() schedules a
 * task woken during its poll before it returns; another thread polled
 * it twice while the first run() was still open (its thread preempted).
 * The first poll was Pending, and the last one stays the held one.
 */
TEST(poll_overtaken_by_a_later_poll_is_pending)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 2, P_POLL, TASK_A, 0);
	entry(rb, 1, 200, 3, P_POLL, TASK_A, 0);	/* rescheduled */
	ret(rb, 1, 250, 3, P_POLL);
	entry(rb, 1, 300, 3, P_POLL, TASK_A, 0);
	ret(rb, 1, 350, 3, P_POLL);
	ret(rb, 0, 400, 2, P_POLL);			/* the first returns */
	entry(rb, 1, 500, 3, P_FREE, TASK_A, 0);
	ret(rb, 1, 501, 3, P_FREE);
	cat_rebuild_finish(rb, 600);
	ASSERT_EQ(3, s->npolls);
	for (int i = 0; i < 3; i++) {
		const struct cat_rb_poll *p = &s->polls[i];

		EXPECT_EQ(p->start_ns == 300 ? CAT_POLL_READY : CAT_POLL_PENDING,
			  p->result) TH_LOG("poll at %llu",
				(unsigned long long)p->start_ns);
	}
	cat_rebuild_free(rb);
	free(s);
}

/* A runtime's wrapper future (ctx TASK) is not the task's location. */
TEST(location_skips_runtime_wrappers)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_WRAP, TASK_A + 0x10, 0xc);
	entry(rb, 0, 120, 1, P_FUT, TASK_A + 0x20, 0xc);
	ret(rb, 0, 130, 1, P_FUT);
	ret(rb, 0, 140, 1, P_WRAP);
	ret(rb, 0, 150, 1, P_POLL);
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(0x2000, s->polls[0].future_vaddr);
	cat_rebuild_free(rb);
	free(s);
}

/* A wake that reaches a finished task does not bring it back. */
TEST(wake_after_end)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_FREE, TASK_A, 0);	/* completes inside */
	ret(rb, 0, 120, 1, P_POLL);
	entry(rb, 1, 130, 2, P_WAKE, TASK_A, 0);	/* stale waker */
	entry(rb, 0, 200, 1, P_POLL, TASK_A, 0);	/* address reused */
	ret(rb, 0, 220, 1, P_POLL);
	cat_rebuild_finish(rb, 300);
	EXPECT_EQ(2, cat_rebuild_stats(rb)->tasks);
	ASSERT_EQ(2, s->npolls);
	EXPECT_EQ(CAT_POLL_READY, s->polls[0].result);
	EXPECT_EQ(0, find_poll(s, 2, 1)->wake_ns);
	cat_rebuild_free(rb);
	free(s);
}

TEST(wakes)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);
	const struct cat_rb_poll *b, *a2;

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	entry(rb, 0, 110, 1, P_WAKE, TASK_A, 0);	/* yield_now */
	entry(rb, 0, 115, 1, P_WAKE, TASK_B, 0);	/* wakes B */
	ret(rb, 0, 120, 1, P_POLL);
	entry(rb, 1, 130, 2, P_WAKE, TASK_B, 0);	/* later wake: ignored */
	entry(rb, 1, 200, 2, P_POLL, TASK_B, 0);
	ret(rb, 1, 220, 2, P_POLL);
	entry(rb, 0, 300, 1, P_POLL, TASK_A, 0);
	ret(rb, 0, 320, 1, P_POLL);
	cat_rebuild_finish(rb, 400);
	ASSERT_EQ(3, s->npolls);
	b = find_poll(s, 2, 1);
	a2 = find_poll(s, 1, 2);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, a2);
	/* B's poll: woken at 115 by thread 1 from inside A's poll */
	EXPECT_EQ(115, b->wake_ns);
	EXPECT_EQ(1, b->wake_tid);
	EXPECT_TRUE(b->wake_in_frame);
	EXPECT_FALSE(b->wake_self);
	/* A's second poll: woke itself */
	EXPECT_EQ(110, a2->wake_ns);
	EXPECT_TRUE(a2->wake_self);
	EXPECT_EQ(0, s->polls[0].wake_ns);
	cat_rebuild_free(rb);
	free(s);
}

TEST(blocking_polls)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);

	ASSERT_NE(NULL, rb);
	/* 1: sleeps 2 ms inside the poll */
	entry(rb, 0, 1000, 1, P_POLL, TASK_A, 0);
	sw(rb, 0, 2000, 1, TGID, 0, 0, CAT_TASK_INTERRUPTIBLE, 0);
	sw(rb, 0, 2002000, 0, 0, 1, TGID, 0, 0);
	ret(rb, 0, 2003000, 1, P_POLL);
	/* 2: runs 20 ms */
	entry(rb, 0, 3000000, 1, P_POLL, TASK_A, 0);
	ret(rb, 0, 23000000, 1, P_POLL);
	/* 3: 0.5 ms in I/O wait: below the threshold */
	entry(rb, 0, 24000000, 1, P_POLL, TASK_A, 0);
	sw(rb, 0, 24000100, 1, TGID, 0, 0, CAT_TASK_UNINTERRUPTIBLE, CAT_SWITCH_F_IOWAIT);
	sw(rb, 0, 24500100, 0, 0, 1, TGID, 0, 0);
	ret(rb, 0, 24600000, 1, P_POLL);
	/* 4: a spawn_blocking task may block: not a finding */
	entry(rb, 0, 30000000, 1, P_POLL, TASK_B, 0);
	entry(rb, 0, 30000100, 1, P_BLK, TASK_B + 8, 0);
	ret(rb, 0, 50000000, 1, P_BLK);
	ret(rb, 0, 50000100, 1, P_POLL);
	/* idle, outside any poll */
	sw(rb, 0, 60000000, 1, TGID, 0, 0, CAT_TASK_INTERRUPTIBLE, 0);
	cat_rebuild_finish(rb, 70000000);
	ASSERT_EQ(4, s->npolls);
	EXPECT_EQ(CAT_BLOCK_OFFCPU, s->polls[0].blocking);
	EXPECT_EQ(2000000, s->polls[0].offcpu_vol_ns);
	EXPECT_EQ(CAT_BLOCK_LONG, s->polls[1].blocking);
	EXPECT_EQ(0, s->polls[2].blocking);
	EXPECT_EQ(500000, s->polls[2].offcpu_ns);
	/* B was finished (trace end) before A: ids order the live ones */
	EXPECT_EQ(0, s->polls[3].blocking);
	EXPECT_TRUE(s->polls[3].blocking_pool);
	ASSERT_EQ(3, s->noffcpu);
	EXPECT_EQ(CAT_OFFCPU_SLEEPING, s->offcpu[0].state);
	EXPECT_EQ(1, s->offcpu_task[0]);
	EXPECT_EQ(CAT_OFFCPU_IOWAIT, s->offcpu[1].state);
	EXPECT_EQ(0, s->offcpu_task[2]);	/* idle */
	EXPECT_TRUE(s->offcpu[2].cut);
	EXPECT_EQ(70000000, s->offcpu[2].end_ns);
	/* first seen without a name, named by its first switch */
	EXPECT_STREQ("", s->comm[0]);
	EXPECT_STREQ("worker", s->comm[1]);
	cat_rebuild_free(rb);
	free(s);
}

/*
 * tokio runs each multi_thread worker as a blocking task: the worker's
 * whole run loop is one long poll that polls the other tasks. It is not
 * a blocking poll, and its parking between polls is idle time.
 */
/*
 * The off-CPU state of every prev_state the module records, by its name
 * (what the JSON and dump print). TASK_IDLE is UNINTERRUPTIBLE | NOLOAD:
 * it once read as "disk", both because the module's mask dropped NOLOAD
 * and because UNINTERRUPTIBLE was tested first.
 */
TEST(offcpu_state_names)
{
	static const struct {
		unsigned int state, flags;
		const char *name;
		bool voluntary;
	} cases[] = {
		{ CAT_TASK_RUNNING, CAT_SWITCH_F_PREEMPT, "preempted", false },
		{ CAT_TASK_INTERRUPTIBLE, CAT_SWITCH_F_PREEMPT, "preempted", false },
		{ CAT_TASK_RUNNING, 0, "yielded", false },
		{ CAT_TASK_INTERRUPTIBLE, 0, "sleeping", true },
		{ CAT_TASK_UNINTERRUPTIBLE, CAT_SWITCH_F_IOWAIT, "iowait", true },
		{ CAT_TASK_UNINTERRUPTIBLE, 0, "disk", true },
		{ CAT_TASK_IDLE, 0, "idle-wait", true },
		{ CAT_TASK_NOLOAD | CAT_TASK_UNINTERRUPTIBLE, 0, "idle-wait", true },
		{ CAT_TASK_STOPPED, 0, "other", false },
		{ CAT_TASK_TRACED, 0, "other", false },
		{ CAT_TASK_PARKED, 0, "other", false },
		{ CAT_TASK_DEAD, 0, "other", false },
	};

	/* the module records prev_state & MASK: TASK_IDLE must survive it */
	EXPECT_EQ(CAT_TASK_IDLE, CAT_TASK_IDLE & CAT_TASK_STATE_MASK);
	EXPECT_EQ(0x402, CAT_TASK_IDLE);	/* the kernel's value */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cat_rec_sched_switch sw = { 0 };
		enum cat_offcpu st;

		sw.h.type = CAT_REC_SCHED_SWITCH;
		sw.h.flags = cases[i].flags;
		sw.prev_state = cases[i].state & CAT_TASK_STATE_MASK;
		st = cat_offcpu_state(&sw);
		EXPECT_STREQ(cases[i].name, cat_offcpu_name(st))
			TH_LOG("state %#x flags %#x", cases[i].state,
			       cases[i].flags);
		EXPECT_EQ(cases[i].voluntary, cat_offcpu_voluntary(st));
	}
	EXPECT_STREQ("unknown", cat_offcpu_name(CAT_OFFCPU_MAX));
}

TEST(worker_loop_hosting_task_polls)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);
	const struct cat_rb_poll *w, *a1, *a2;

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 1000, 1, P_POLL, TASK_B, 0);		/* worker loop */
	entry(rb, 0, 2000, 1, P_POLL, TASK_A, 0);		/* A#1 */
	ret(rb, 0, 3000, 1, P_POLL);
	sw(rb, 0, 4000, 1, TGID, 0, 0, CAT_TASK_INTERRUPTIBLE, 0); /* parks */
	sw(rb, 0, 50000000, 0, 0, 1, TGID, 0, 0);
	entry(rb, 0, 50001000, 1, P_POLL, TASK_A, 0);		/* A#2 */
	sw(rb, 0, 50002000, 1, TGID, 0, 0, CAT_TASK_INTERRUPTIBLE, 0);
	sw(rb, 0, 55002000, 0, 0, 1, TGID, 0, 0);		/* 5 ms */
	entry(rb, 0, 55003000, 1, P_FREE, TASK_A, 0);
	ret(rb, 0, 55004000, 1, P_POLL);
	ret(rb, 0, 60000000, 1, P_POLL);			/* loop ends */
	cat_rebuild_finish(rb, 70000000);

	w = find_poll(s, 1, 1);
	a1 = find_poll(s, 2, 1);
	a2 = find_poll(s, 2, 2);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, a1);
	ASSERT_NE(NULL, a2);
	EXPECT_TRUE(w->hosts_tasks);
	EXPECT_EQ(0, w->blocking);		/* 59 ms, 55 ms asleep */
	EXPECT_EQ(0, w->depth);
	EXPECT_FALSE(a1->hosts_tasks);
	EXPECT_EQ(1, a1->depth);
	EXPECT_EQ(CAT_POLL_PENDING, a1->result);
	EXPECT_EQ(CAT_BLOCK_OFFCPU, a2->blocking);
	EXPECT_EQ(CAT_POLL_READY, a2->result);
	ASSERT_EQ(2, s->noffcpu);
	EXPECT_EQ(0, s->offcpu_task[0]);	/* parked: idle, not task B */
	EXPECT_EQ(2, s->offcpu_task[1]);	/* asleep inside A#2 */
	cat_rebuild_free(rb);
	free(s);
}

TEST(thread_exit_closes_its_frames)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);
	struct cat_rec_thread_exit x;

	ASSERT_NE(NULL, rb);
	entry(rb, 0, 100, 1, P_POLL, TASK_A, 0);
	memset(&x, 0, sizeof(x));
	x.h.type = CAT_REC_THREAD_EXIT;
	x.h.size = sizeof(x);
	x.h.time_ns = 150;
	x.h.tid = 1;
	x.h.tgid = TGID;
	cat_rebuild_record(rb, &x.h);
	sw(rb, 0, 160, 1, TGID, 0, 0, CAT_TASK_DEAD, 0);
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_CUT_EXIT, s->polls[0].cut);
	EXPECT_EQ(150, s->polls[0].end_ns);
	EXPECT_EQ(0, s->noffcpu);	/* a dead thread is not "off-CPU" */
	cat_rebuild_free(rb);
	free(s);
}

/*
 * Found by fuzzing: a poll entered after the thread's exit record, its
 * task freed, then the thread's final switch. Nothing may leak (ASan).
 */
TEST(entry_after_exit_then_final_switch)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);
	struct cat_rec_thread_exit x;

	ASSERT_NE(NULL, rb);
	memset(&x, 0, sizeof(x));
	x.h.type = CAT_REC_THREAD_EXIT;
	x.h.size = sizeof(x);
	x.h.time_ns = 100;
	x.h.tid = 1;
	x.h.tgid = TGID;
	cat_rebuild_record(rb, &x.h);
	entry(rb, 0, 110, 1, P_POLL, TASK_A, 0);
	entry(rb, 1, 120, 2, P_FREE, TASK_A, 0);
	x.h.time_ns = 125;
	cat_rebuild_record(rb, &x.h);
	sw(rb, 0, 130, 1, TGID, 0, 0, CAT_TASK_DEAD, 0);
	cat_rebuild_finish(rb, 200);
	ASSERT_EQ(1, s->npolls);
	EXPECT_EQ(CAT_CUT_EXIT, s->polls[0].cut);
	EXPECT_EQ(1, s->nended);
	cat_rebuild_free(rb);
	free(s);
}

/* Random records of every type: nothing may crash or leak state. */
TEST(garbage_never_crashes)
{
	struct seen *s = malloc(sizeof(*s));
	struct cat_rebuild *rb = new_rb(s);
	unsigned int seed = 12345;

	ASSERT_NE(NULL, rb);
	for (int i = 0; i < 200000; i++) {
		union {
			struct cat_rec_header h;
			struct cat_rec_probe_entry e;
			struct cat_rec_probe_return r;
			uint64_t w[64];
		} u;

		for (int k = 0; k < 64; k++)
			u.w[k] = ((uint64_t)rand_r(&seed) << 32) | rand_r(&seed);
		u.h.type = 1 + rand_r(&seed) % 8;
		u.h.size = 512;
		u.h.tid = rand_r(&seed) % 8;
		u.h.tgid = TGID;
		u.h.cpu = rand_r(&seed) % 4;
		u.h.time_ns = i;
		if (u.h.type == CAT_REC_PROBE_ENTRY) {
			u.e.probe_id = 1 + rand_r(&seed) % 10;
			u.e.nargs = rand_r(&seed) % 8;
			u.w[sizeof(u.e) / 8] = 0x1000 * (rand_r(&seed) % 16);
		} else if (u.h.type == CAT_REC_PROBE_RETURN) {
			u.r.probe_id = 1 + rand_r(&seed) % 10;
		}
		cat_rebuild_record(rb, &u.h);
	}
	cat_rebuild_finish(rb, 0);
	EXPECT_EQ(200000, cat_rebuild_stats(rb)->records);
	cat_rebuild_free(rb);
	free(s);
}

TEST(map_insert_delete)
{
	struct cat_map m;
	int vals[4096];

	cat_map_init(&m);
	for (int i = 0; i < 4096; i++)
		ASSERT_EQ(0, cat_map_put(&m, (uint64_t)i * 4096, &vals[i]));
	for (int i = 0; i < 4096; i += 2)
		ASSERT_EQ(&vals[i], cat_map_del(&m, (uint64_t)i * 4096));
	for (int i = 0; i < 4096; i++)
		EXPECT_EQ(i % 2 ? &vals[i] : NULL,
			  cat_map_get(&m, (uint64_t)i * 4096));
	EXPECT_EQ(2048, m.n);
	cat_map_free(&m, NULL);
}

TEST_HARNESS_MAIN
