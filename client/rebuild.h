/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rebuild.h - reconstruct threads, task instances and polls from the
 * records of a raw trace, streaming.
 *
 * Records go in one at a time, in time order (cat_trace_next() order);
 * results come out through a sink of callbacks as soon as they are
 * complete, so convert and report never hold the whole trace: memory grows
 * with the number of live threads, call depth and live task instances.
 *
 * The rules (what a poll is, how instances are told apart, when a poll is
 * blocking, what happens on lost records) are described in
 * Documentation/timeline.rst; every rule has a test in
 * client/tests/test_rebuild.c.
 */
#ifndef CAT_REBUILD_H
#define CAT_REBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cat_abi.h"
#include "probe.h"

/* ---------------------------------------------------------------------- *
 * A small u64-keyed hash map (linear probing, backward-shift delete).
 * Values must not be NULL. Used for threads, task instances, probes.
 * ---------------------------------------------------------------------- */
struct cat_map {
	uint64_t *keys;
	void **vals;
	size_t cap, n;
};

void cat_map_init(struct cat_map *m);
int cat_map_put(struct cat_map *m, uint64_t key, void *val);	/* 0/-ENOMEM */
void *cat_map_del(struct cat_map *m, uint64_t key);
void cat_map_free(struct cat_map *m, void (*free_val)(void *));

/*
 * The home slot of @key. Iteration order over keys/vals depends on it and
 * json.c names thread lanes in that order: changing the hash changes the
 * output.
 */
static inline size_t cat_map_home(const struct cat_map *m, uint64_t key)
{
	key ^= key >> 29;
	key *= 0x9e3779b97f4a7c15ull;
	return (key >> 17) & (m->cap - 1);
}

/*
 * Lookups are inline: the rebuild and the JSON writer do several per
 * record, and the call cost more than the probe itself.
 */
static inline void *cat_map_get(const struct cat_map *m, uint64_t key)
{
	size_t i, mask = m->cap - 1;

	if (!m->n)
		return NULL;
	for (i = cat_map_home(m, key); m->vals[i]; i = (i + 1) & mask)
		if (m->keys[i] == key)
			return m->vals[i];
	return NULL;
}

/* ---------------------------------------------------------------------- *
 * Off-CPU states, from a sched_switch's prev_state and flags.
 * ---------------------------------------------------------------------- */
enum cat_offcpu {
	CAT_OFFCPU_PREEMPTED,	/* runnable, involuntary */
	CAT_OFFCPU_YIELDED,	/* runnable, voluntary (sched_yield) */
	CAT_OFFCPU_SLEEPING,	/* S: waiting for an event (epoll, futex) */
	CAT_OFFCPU_IOWAIT,	/* blocked in I/O wait */
	CAT_OFFCPU_DISK,	/* D: uninterruptible, not iowait */
	CAT_OFFCPU_IDLE_WAIT,	/* I: TASK_IDLE, uninterruptible but idle */
	CAT_OFFCPU_OTHER,	/* stopped, traced, parked, dead */
	CAT_OFFCPU_MAX
};

enum cat_offcpu cat_offcpu_state(const struct cat_rec_sched_switch *s);
const char *cat_offcpu_name(enum cat_offcpu st);
/* Did the thread give up the CPU itself (counts toward blocking)? */
bool cat_offcpu_voluntary(enum cat_offcpu st);

/* ---------------------------------------------------------------------- *
 * What comes out.
 * ---------------------------------------------------------------------- */
struct cat_rb_thread {
	uint32_t tid;
	uint32_t tgid;
	char comm[CAT_COMM_LEN + 1];
};

enum cat_task_state {
	CAT_TASK_LIVE,		/* still allocated at the end of the trace */
	CAT_TASK_POLLING,	/* inside a poll at the end of the trace */
	CAT_TASK_FREED,		/* deallocated (completed or cancelled) */
};

struct cat_backtrace;		/* spawnsite.h */

/* One task instance: a task pointer between allocation and dealloc. */
struct cat_rb_task {
	uint64_t id;			/* 1, 2, ... in order of first sight */
	uint64_t ptr;			/* arg0 of its polls (runtime address) */
	uint64_t first_seen_ns;
	uint64_t end_ns;		/* dealloc time, or end of trace */
	enum cat_task_state state;
	/* spawn site, 0 when unknown; addresses are ELF vaddrs */
	uint64_t spawn_ns;
	uint32_t spawn_tid;
	uint64_t spawn_call_vaddr;	/* return address of the spawn call */
	uint64_t spawner_task;		/* id of the task that spawned it */
	bool spawn_blocking;		/* via spawn_blocking */
	bool spawn_guessed;		/* paired with an orphan site probe */
	/* the spawn call's backtrace (a "+stack" spawn probe), or NULL */
	const struct cat_backtrace *spawn_bt;
	/*
	 * 0, or the frame of spawn_bt that is its site: a library spawned
	 * it inside the program's call at spawn_bt's site (spawnnest.h)
	 */
	unsigned int spawn_nested_frame;
	const char *spawn_inside;	/* then: the program's line */
	/* the task probe's own backtrace (may not reach the program) */
	const struct cat_backtrace *spawn_inner_bt;
	uint64_t spawn_sp;		/* its stack pointer, 0: unknown */
	uint64_t future_vaddr;		/* first nested future poll seen */
	/* totals */
	uint32_t npolls;
	uint64_t busy_ns;
	uint64_t offcpu_ns;
	uint64_t longest_poll_ns;
	uint32_t nblocking;
	void *user;			/* for the sink */
	/* private */
	uint32_t open_polls;
	bool dead;
	bool wake_pending;
	bool wake_in_frame;
	bool wake_self;
	uint64_t wake_ns;
	uint32_t wake_tid;
	bool have_last;
	uint64_t last_start_ns, last_end_ns;
	uint32_t last_tid;
	bool held_valid;
	void *held;			/* struct cat_rb_poll awaiting its result */
};

enum cat_poll_result {
	CAT_POLL_UNKNOWN,
	CAT_POLL_PENDING,	/* polled again later: returned Pending */
	CAT_POLL_READY,		/* freed after it without another poll */
};

/* cat_rb_poll.blocking / slice flags */
#define CAT_BLOCK_OFFCPU	0x1	/* went off-CPU voluntarily too long */
#define CAT_BLOCK_LONG		0x2	/* ran longer than the long-poll limit */

/* Why a slice's end is not a real return. */
enum cat_cut {
	CAT_CUT_NONE,
	CAT_CUT_LOST,		/* records lost on its CPU */
	CAT_CUT_END,		/* the trace ended first */
	CAT_CUT_NO_RETURN,	/* the kernel skipped its uretprobe */
	CAT_CUT_MISSING_RET,	/* an outer function returned first */
	CAT_CUT_EXIT,		/* the thread exited or exec'd */
};
const char *cat_cut_name(enum cat_cut c);
const char *cat_poll_result_name(enum cat_poll_result r);
/* "not freed", "polling", "freed": the state at the end, for people */
const char *cat_task_state_name(enum cat_task_state s);

/* One poll of one task instance (the outermost TASK_POLL frame). */
struct cat_rb_poll {
	const struct cat_rb_task *task;
	const struct cat_probe *probe;
	uint32_t tid, tgid, cpu;
	uint32_t seq;			/* 1 for the task's first poll */
	unsigned int depth;
	uint64_t start_ns, end_ns;
	enum cat_poll_result result;
	enum cat_cut cut;
	uint64_t offcpu_ns;		/* all off-CPU time inside the poll */
	uint64_t offcpu_vol_ns;		/* the voluntary part */
	unsigned int blocking;		/* CAT_BLOCK_* */
	bool blocking_pool;		/* a spawn_blocking task: expected */
	bool hosts_tasks;		/* other tasks were polled inside it:
					 * a runtime's worker loop (tokio runs
					 * each multi_thread worker as a
					 * blocking task) */
	uint64_t future_vaddr;		/* first nested future polled */
	const struct cat_probe *future_probe;	/* its probe, or NULL */
	/* the wake that caused it, if seen (wake_ns == 0: none) */
	uint64_t wake_ns;
	uint32_t wake_tid;
	bool wake_in_frame;		/* the waker was inside a probed call */
	bool wake_self;			/* woken from inside its own poll */
	/* the task's previous poll (prev_start_ns == 0: first poll) */
	uint64_t prev_start_ns, prev_end_ns;
	uint32_t prev_tid;
};

/* Any other probed call that returned: nested future polls, spawns... */
struct cat_rb_slice {
	const struct cat_probe *probe;
	uint32_t tid, tgid, cpu;
	unsigned int depth;
	uint64_t start_ns, end_ns;
	uint64_t self;			/* arg0 (future instance for polls) */
	uint64_t call_vaddr;		/* return address (ELF vaddr) */
	const struct cat_rb_task *task;	/* enclosing task poll, or NULL */
	uint64_t ret[2];
	enum cat_cut cut;
};

/* A probe hit with no slice: entry-only probes and skipped returns. */
struct cat_rb_instant {
	const struct cat_probe *probe;
	uint32_t tid, tgid, cpu;
	unsigned int depth;
	uint64_t time_ns;
	uint64_t arg0;
	const struct cat_rb_task *task;	/* enclosing task poll, or NULL */
	const struct cat_rb_task *target;	/* woken/freed task, or NULL */
	bool no_return;			/* CAT_ENTRY_F_NO_RETURN */
};

struct cat_rb_offcpu {
	uint32_t tid, tgid;
	uint64_t start_ns, end_ns;
	enum cat_offcpu state;
	const struct cat_rb_task *task;	/* the poll it interrupted, or NULL
					 * (idle: outside polls, or parked in
					 * a worker loop between polls) */
	bool cut;			/* trace ended while off-CPU */
};

enum cat_marker_kind {
	CAT_MARK_LOST,			/* records lost on a CPU */
	CAT_MARK_UNMATCHED_RETURN,	/* a return with no entry */
	CAT_MARK_DEPTH,			/* call stack deeper than we keep */
	CAT_MARK_EXIT,			/* thread exit */
	CAT_MARK_EXEC,
};

struct cat_rb_marker {
	enum cat_marker_kind kind;
	uint64_t time_ns;
	uint32_t cpu, tid, tgid;
	uint64_t count;			/* LOST: records lost */
	const struct cat_probe *probe;	/* UNMATCHED_RETURN */
};

struct cat_rb_sink {
	void *ctx;
	/* a thread seen for the first time, or renamed */
	void (*thread)(void *ctx, const struct cat_rb_thread *t);
	/* a task instance is born (first sight) */
	void (*task_new)(void *ctx, struct cat_rb_task *t);
	/*
	 * its spawn site became known; after its first polls when it
	 * adopted a site that settled late (orphansite.h), then followed
	 * by task_resited
	 */
	void (*task_spawned)(void *ctx, struct cat_rb_task *t);
	/* its site changed: spawn_nested_frame (spawnnest.h), a late site */
	void (*task_resited)(void *ctx, struct cat_rb_task *t);
	void (*poll)(void *ctx, const struct cat_rb_poll *p);
	void (*slice)(void *ctx, const struct cat_rb_slice *s);
	void (*instant)(void *ctx, const struct cat_rb_instant *i);
	void (*offcpu)(void *ctx, const struct cat_rb_offcpu *o);
	void (*marker)(void *ctx, const struct cat_rb_marker *m);
	/* after the task's last poll: freed, or the trace ended */
	void (*task_end)(void *ctx, struct cat_rb_task *t);
};

struct cat_rebuild_opts {
	uint64_t block_offcpu_ns;	/* voluntary off-CPU in a poll */
	uint64_t long_poll_ns;		/* poll duration */
	/*
	 * The stack record @k of a spawn-role entry (load bias @bias): its
	 * backtrace, kept with the spawned task as spawn_bt. NULL: stack
	 * records are ignored. The result must live as long as the rebuild.
	 */
	const struct cat_backtrace *(*spawn_stack)(void *ctx,
						   const struct cat_rec_probe_stack *k,
						   uint64_t bias);
	void *spawn_stack_ctx;
};

#define CAT_DEFAULT_BLOCK_OFFCPU_NS	1000000ull	/* 1 ms */
#define CAT_DEFAULT_LONG_POLL_NS	10000000ull	/* 10 ms */

struct cat_rb_stats {
	uint64_t records;
	uint64_t polls;
	uint64_t tasks;
	uint64_t slices;
	uint64_t lost_records;
	uint64_t lost_markers;
	uint64_t unmatched_returns;
	uint64_t cut_slices;
	uint64_t unknown_probes;
	uint64_t max_threads;
	uint64_t max_live_tasks;
	uint64_t nested_spawns;		/* spawnnest.h: library's own tasks */
	uint64_t late_orphan_sites;	/* orphansite.h: adopted after a poll */
	uint64_t orphan_waits_dropped;	/* ... could not wait: queue full */
};

struct cat_rebuild;

/*
 * @probes: the probe table (not copied; must outlive the rebuild).
 * @opts may be NULL for the defaults. @sink callbacks may be NULL.
 */
struct cat_rebuild *cat_rebuild_new(const struct cat_probe_table *probes,
				    const struct cat_rebuild_opts *opts,
				    const struct cat_rb_sink *sink);
/* Name a traced process up front (else learnt from probe records). */
void cat_rebuild_add_tgid(struct cat_rebuild *rb, uint32_t tgid);
/* Feed one record. 0, or -ENOMEM. Never fails on odd input. */
int cat_rebuild_record(struct cat_rebuild *rb, const struct cat_rec_header *h);
/* The trace ended at @end_ns: close what is open, flush held polls. */
void cat_rebuild_finish(struct cat_rebuild *rb, uint64_t end_ns);
const struct cat_rb_stats *cat_rebuild_stats(const struct cat_rebuild *rb);
/* ELF vaddr = runtime address - bias (learnt from the first entry). */
uint64_t cat_rebuild_bias(const struct cat_rebuild *rb);
void cat_rebuild_free(struct cat_rebuild *rb);

#endif /* CAT_REBUILD_H */
