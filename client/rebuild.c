// SPDX-License-Identifier: GPL-2.0
/*
 * rebuild.c - turn the merged record stream into threads, off-CPU
 * intervals, task instances, polls and nested slices (see rebuild.h and
 * Documentation/timeline.rst for the rules).
 *
 * State is per thread (a stack of open probe frames, its on/off-CPU state)
 * and per live task instance (keyed by task pointer until its dealloc).
 * Everything is emitted through the sink as soon as it is complete, except
 * each instance's most recent poll: it is held until the instance is
 * polled again (so it returned Pending) or freed (so it returned Ready),
 * because neither tokio's raw::poll (returns ()) nor async-task's
 * RawTask::run (returns "woken while running", not readiness) say so in a
 * register. That costs one held poll per live task, not per poll.
 *
 * Odd input never stops the rebuild: returns without entries, lost
 * records, skipped uretprobes and thread exits close or mark what they
 * affect and the rest goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orphansite.h"
#include "rebuild.h"
#include "spawnnest.h"
#include "spawnsite.h"

#define MAX_DEPTH	1024	/* frames kept per thread */
#define MAX_TGIDS	CAT_MAX_TARGETS

/* ------------------------------------------------------------------ */
/* u64 map                                                             */
/* ------------------------------------------------------------------ */

void cat_map_init(struct cat_map *m)
{
	memset(m, 0, sizeof(*m));
}

static int map_grow(struct cat_map *m)
{
	struct cat_map nm;
	size_t i;

	nm.cap = m->cap ? m->cap * 2 : 64;
	nm.n = 0;
	nm.keys = calloc(nm.cap, sizeof(*nm.keys));
	nm.vals = calloc(nm.cap, sizeof(*nm.vals));
	if (!nm.keys || !nm.vals) {
		free(nm.keys);
		free(nm.vals);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++)
		if (m->vals[i])
			cat_map_put(&nm, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = nm;
	return 0;
}

int cat_map_put(struct cat_map *m, uint64_t key, void *val)
{
	size_t i;

	if (!val)
		return -EINVAL;
	if ((m->n + 1) * 4 > m->cap * 3 && map_grow(m))
		return -ENOMEM;
	for (i = cat_map_home(m, key); m->vals[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

void *cat_map_del(struct cat_map *m, uint64_t key)
{
	size_t i, j, k, mask = m->cap - 1;
	void *val;

	if (!m->n)
		return NULL;
	for (i = cat_map_home(m, key); m->vals[i]; i = (i + 1) & mask)
		if (m->keys[i] == key)
			break;
	if (!m->vals[i])
		return NULL;
	val = m->vals[i];
	m->vals[i] = NULL;
	m->n--;
	/* Backward-shift the run after i so lookups never stop early. */
	for (j = (i + 1) & mask; m->vals[j]; j = (j + 1) & mask) {
		k = cat_map_home(m, m->keys[j]);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			m->vals[j] = NULL;
			i = j;
		}
	}
	return val;
}

void cat_map_free(struct cat_map *m, void (*free_val)(void *))
{
	if (free_val)
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i])
				free_val(m->vals[i]);
	free(m->keys);
	free(m->vals);
	cat_map_init(m);
}

/* ------------------------------------------------------------------ */
/* Off-CPU states                                                      */
/* ------------------------------------------------------------------ */

enum cat_offcpu cat_offcpu_state(const struct cat_rec_sched_switch *s)
{
	uint32_t st = s->prev_state;

	if (s->h.flags & CAT_SWITCH_F_PREEMPT)
		return CAT_OFFCPU_PREEMPTED;
	if (s->h.flags & CAT_SWITCH_F_IOWAIT)
		return CAT_OFFCPU_IOWAIT;
	if (st == CAT_TASK_RUNNING)
		return CAT_OFFCPU_YIELDED;
	/* TASK_IDLE is UNINTERRUPTIBLE | NOLOAD: test it first */
	if ((st & CAT_TASK_IDLE) == CAT_TASK_IDLE)
		return CAT_OFFCPU_IDLE_WAIT;
	if (st & CAT_TASK_UNINTERRUPTIBLE)
		return CAT_OFFCPU_DISK;
	if (st & CAT_TASK_INTERRUPTIBLE)
		return CAT_OFFCPU_SLEEPING;
	return CAT_OFFCPU_OTHER;
}

const char *cat_offcpu_name(enum cat_offcpu st)
{
	static const char *const names[] = {
		[CAT_OFFCPU_PREEMPTED] = "preempted",
		[CAT_OFFCPU_YIELDED] = "yielded",
		[CAT_OFFCPU_SLEEPING] = "sleeping",
		[CAT_OFFCPU_IOWAIT] = "iowait",
		[CAT_OFFCPU_DISK] = "disk",
		[CAT_OFFCPU_IDLE_WAIT] = "idle-wait",
		[CAT_OFFCPU_OTHER] = "other",
	};

	return (unsigned int)st < CAT_OFFCPU_MAX ? names[st] : "unknown";
}

bool cat_offcpu_voluntary(enum cat_offcpu st)
{
	return st == CAT_OFFCPU_SLEEPING || st == CAT_OFFCPU_IOWAIT ||
	       st == CAT_OFFCPU_DISK || st == CAT_OFFCPU_IDLE_WAIT;
}

const char *cat_cut_name(enum cat_cut c)
{
	switch (c) {
	case CAT_CUT_NONE:		return "returned";
	case CAT_CUT_LOST:		return "records lost";
	case CAT_CUT_END:		return "trace ended";
	case CAT_CUT_NO_RETURN:		return "uretprobe skipped";
	case CAT_CUT_MISSING_RET:	return "return missing";
	case CAT_CUT_EXIT:		return "thread exited";
	}
	return "unknown";
}

const char *cat_poll_result_name(enum cat_poll_result r)
{
	switch (r) {
	case CAT_POLL_PENDING:	return "Pending";
	case CAT_POLL_READY:	return "Ready";
	default:		return "unknown";
	}
}

const char *cat_task_state_name(enum cat_task_state s)
{
	switch (s) {
	case CAT_TASK_LIVE:	return "not freed";
	case CAT_TASK_POLLING:	return "polling";
	case CAT_TASK_FREED:	return "freed";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* State                                                               */
/* ------------------------------------------------------------------ */

struct frame {
	const struct cat_probe *probe;
	uint32_t probe_id;
	uint16_t nargs;
	uint64_t start_ns;
	uint64_t ret_addr;
	const struct cat_backtrace *bt;	/* spawn frames with a stack record */
	uint64_t sp;			/* its stack pointer */
	uint64_t args[CAT_MAX_ARGS];
	/* task poll frames only */
	struct cat_rb_task *task;
	bool is_poll;
	bool blocking_pool;
	bool hosts_tasks;
	unsigned int outer_poll;	/* rb_thread.poll_top below it */
	uint32_t seq;
	uint64_t offcpu_ns, offcpu_vol_ns;
	uint64_t future_vaddr;
	const struct cat_probe *future_probe;
	uint64_t wake_ns;
	uint32_t wake_tid;
	bool wake_in_frame;
	bool wake_self;
	uint64_t prev_start_ns, prev_end_ns;
	uint32_t prev_tid;
};

struct rb_thread {
	struct cat_rb_thread pub;
	struct frame *frames;
	unsigned int depth, cap;
	/*
	 * 1 + index of the innermost is_poll frame, 0 if none: asked for
	 * several times per record, so kept rather than searched for.
	 */
	unsigned int poll_top;
	unsigned int overflow;		/* entries beyond MAX_DEPTH */
	bool off;
	bool exited;
	enum cat_offcpu off_state;
	uint64_t off_since;
	uint32_t cpu;
	/* the last entry-only spawn "site probe", until a task probe uses it */
	bool site_valid;
	bool site_blocking;
	const struct cat_probe *site_probe;
	uint64_t site_seq;		/* its entry in cat_rebuild.sites */
	unsigned int site_depth;
	uint64_t site_ret;
	uint64_t site_ns;
	const struct cat_backtrace *site_bt;
	uint64_t site_sp;
	struct cat_spawn_nest nest;	/* spawnnest.h */
};

struct cat_rebuild {
	struct cat_rebuild_opts opts;
	struct cat_rb_sink sink;
	struct cat_map probes;		/* id -> const struct cat_probe * */
	/*
	 * The same, as an array indexed by id when the ids are dense enough
	 * (catctl numbers probes from 0): one load per record instead of a
	 * hash lookup. NULL: use the map.
	 */
	const struct cat_probe **probe_by_id;
	uint32_t nprobe_ids;
	struct cat_map threads;		/* tid -> struct rb_thread */
	struct rb_thread *last_thread;	/* of the last probe record */
	struct cat_map tasks;		/* task pointer -> struct cat_rb_task */
	struct cat_map ended;		/* pointers of ended instances: a
					 * wake there is not a new task */
	uint32_t tgids[MAX_TGIDS];
	unsigned int ntgids;
	uint32_t last_tgid;		/* passed to add_tgid() last */
	uint64_t next_task_id;
	uint64_t bias;
	bool bias_known;
	uint64_t now;
	struct cat_rb_stats stats;
	struct cat_orphans orphans;	/* orphansite.h */
	struct cat_probe unknown;	/* stands in for ids not in the table */
};

/*
 * Spawn adapter: which registers carry the spawned task. Kept in one place
 * so that it follows the contract in profiles.h: a "task probe" (spawn
 * role, mode both) with nargs N > 0 was given the task as its last entry
 * argument (args[N - 1]: tokio's bind_inner); with nargs 0 it returns the
 * task in rax, or in rdx when rax is 0; both 0 means the spawn failed.
 */
static uint64_t spawn_task_of(const struct frame *f, const uint64_t ret[2])
{
	if (f->nargs)
		return f->args[f->nargs - 1];
	return ret[0] ? ret[0] : ret[1];
}

static bool is_spawn_role(const struct cat_probe *p)
{
	return p && (p->role == CAT_ROLE_SPAWN ||
		     p->role == CAT_ROLE_SPAWN_BLOCKING);
}

static void emit_poll(struct cat_rebuild *rb, struct cat_rb_poll *p)
{
	rb->stats.polls++;
	if (rb->sink.poll)
		rb->sink.poll(rb->sink.ctx, p);
}

static bool traced_tgid(struct cat_rebuild *rb, uint32_t tgid)
{
	for (unsigned int i = 0; i < rb->ntgids; i++)
		if (rb->tgids[i] == tgid)
			return true;
	return false;
}

static void add_tgid(struct cat_rebuild *rb, uint32_t tgid)
{
	if (tgid && !traced_tgid(rb, tgid) && rb->ntgids < MAX_TGIDS)
		rb->tgids[rb->ntgids++] = tgid;
}

static struct rb_thread *get_thread_slow(struct cat_rebuild *rb,
					 struct rb_thread *t, uint32_t tid,
					 uint32_t tgid, const char *comm)
{
	bool announce = false;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || cat_map_put(&rb->threads, tid, t)) {
			free(t);
			return NULL;
		}
		t->pub.tid = tid;
		t->pub.tgid = tgid;
		if (rb->threads.n > rb->stats.max_threads)
			rb->stats.max_threads = rb->threads.n;
		announce = true;
	}
	if (comm && comm[0] && strncmp(t->pub.comm, comm, CAT_COMM_LEN)) {
		memcpy(t->pub.comm, comm, CAT_COMM_LEN);
		t->pub.comm[CAT_COMM_LEN] = 0;
		/* comm comes from the kernel but the file may be corrupt */
		for (char *c = t->pub.comm; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = '?';
		announce = true;
	}
	if (announce && rb->sink.thread)
		rb->sink.thread(rb->sink.ctx, &t->pub);
	return t;
}

/* Probe records (no @comm) of known threads: inline, one lookup. */
static inline struct rb_thread *get_thread(struct cat_rebuild *rb,
					   uint32_t tid, uint32_t tgid,
					   const char *comm)
{
	struct rb_thread *t = rb->last_thread;

	/* a CPU's records come in runs of one thread: skip the hash */
	if (!t || t->pub.tid != tid)
		t = cat_map_get(&rb->threads, tid);
	if (t && !comm) {
		rb->last_thread = t;
		return t;
	}
	return get_thread_slow(rb, t, tid, tgid, comm);
}

/*
 * A task instance and the storage of its held poll, in one allocation:
 * every poll writes the held poll, and a separate block would be one more
 * cache miss per poll. k->held points into it and is never freed alone.
 */
struct rb_task {
	struct cat_rb_task pub;
	struct cat_rb_poll held;
};

static struct cat_rb_task *get_task(struct cat_rebuild *rb, uint64_t ptr)
{
	struct cat_rb_task *k = cat_map_get(&rb->tasks, ptr);
	struct rb_task *x;

	if (k)
		return k;
	cat_map_del(&rb->ended, ptr);	/* polled or spawned: a new instance */
	x = calloc(1, sizeof(*x));
	if (!x || cat_map_put(&rb->tasks, ptr, &x->pub)) {
		free(x);
		return NULL;
	}
	k = &x->pub;
	k->held = &x->held;
	k->id = ++rb->next_task_id;
	k->ptr = ptr;
	k->first_seen_ns = rb->now;
	rb->stats.tasks++;
	if (rb->tasks.n > rb->stats.max_live_tasks)
		rb->stats.max_live_tasks = rb->tasks.n;
	if (rb->sink.task_new)
		rb->sink.task_new(rb->sink.ctx, k);
	return k;
}

/* Emit the held poll of @k, now that its result is known. */
static void flush_held(struct cat_rebuild *rb, struct cat_rb_task *k,
		       enum cat_poll_result res)
{
	struct cat_rb_poll *p = k->held;

	if (!k->held_valid)
		return;
	k->held_valid = false;
	p->result = res;
	emit_poll(rb, p);
}

static void take_site_late(struct cat_rebuild *rb, struct cat_rb_task *k,
			   const struct cat_orphan_site *s);

/* The instance is over: last poll out, task_end, free (unless polling). */
static void release_task(struct cat_rebuild *rb, struct cat_rb_task *k,
			 enum cat_poll_result res)
{
	const struct cat_orphan_site *s;

	flush_held(rb, k, res);
	if (k->open_polls)
		return;		/* freed when its last poll frame closes */
	/* still waiting for a site that has not settled: now or never */
	s = k->spawn_ns ? NULL :
			  cat_orphans_forsake(&rb->orphans, k->ptr, k->id);
	if (s)
		take_site_late(rb, k, s);
	if (rb->sink.task_end)
		rb->sink.task_end(rb->sink.ctx, k);
	free(k);	/* and its held poll, see struct rb_task */
}

/* The innermost open task poll frame of @t, or NULL. */
static struct frame *enclosing_poll(struct rb_thread *t)
{
	return t->poll_top ? &t->frames[t->poll_top - 1] : NULL;
}

static const struct cat_rb_task *enclosing_task(struct rb_thread *t)
{
	struct frame *f = enclosing_poll(t);

	return f ? f->task : NULL;
}

/* The task whose own code is running, NULL in a worker loop's gaps. */
static const struct cat_rb_task *running_task(struct rb_thread *t)
{
	struct frame *f = enclosing_poll(t);

	return f && !f->hosts_tasks ? f->task : NULL;
}

static void site_used(struct cat_rebuild *rb, uint64_t seq)
{
	cat_orphans_used(&rb->orphans, seq);
}

static void site_new(struct cat_rebuild *rb, struct rb_thread *t)
{
	t->site_seq = cat_orphans_add(&rb->orphans, t->site_ns, t->site_ret,
				      t->pub.tid, t->site_blocking);
}

static bool in_spawn_call(struct rb_thread *t)
{
	for (unsigned int i = 0; i < t->depth; i++)
		if (is_spawn_role(t->frames[i].probe))
			return true;
	return false;
}

/* Give @k the orphan site @s (orphansite.h). */
static void take_site(struct cat_rebuild *rb, struct cat_rb_task *k,
		      const struct cat_orphan_site *s)
{
	struct rb_thread *st = cat_map_get(&rb->threads, s->tid);

	if (st && st->site_valid && st->site_seq == s->seq)
		st->site_valid = false;
	k->spawn_ns = s->ns;
	k->spawn_tid = s->tid;
	k->spawn_call_vaddr = s->ra ? s->ra - rb->bias : 0;
	k->spawn_bt = s->bt;
	k->spawn_blocking = s->blocking;
	k->spawn_guessed = true;
	if (rb->sink.task_spawned)
		rb->sink.task_spawned(rb->sink.ctx, k);
}

/* @k takes @s after its first poll: a late adoption. */
static void take_site_late(struct cat_rebuild *rb, struct cat_rb_task *k,
			   const struct cat_orphan_site *s)
{
	take_site(rb, k, s);
	rb->stats.late_orphan_sites++;
	/* a sink may have looked its site up already */
	if (rb->sink.task_resited)
		rb->sink.task_resited(rb->sink.ctx, k);
}

/* A site settled after task (@ptr, @id) first ran. */
static bool take_late(void *ctx, uint64_t ptr, uint64_t id,
		      const struct cat_orphan_site *s)
{
	struct cat_rebuild *rb = ctx;
	struct cat_rb_task *k = cat_map_get(&rb->tasks, ptr);

	if (!k || k->id != id || k->spawn_ns)
		return false;
	take_site_late(rb, k, s);
	return true;
}

/*
 * @t moved on from its site: without its task probe by now, the site is
 * an orphan for a task that appears without a spawn.
 */
static bool site_settled(struct cat_rebuild *rb, const struct rb_thread *t)
{
	const struct cat_orphan_site *s = cat_orphans_get(&rb->orphans,
							  t->site_seq);

	return !s || s->settled;
}

static void site_settle(struct cat_rebuild *rb, struct rb_thread *t)
{
	if (t->site_valid)
		cat_orphans_settle(&rb->orphans, t->site_seq, rb->now,
				   take_late, rb);
}

/* @k appeared in a poll without a spawn: an orphan site, now or later. */
static void adopt_orphan_site(struct cat_rebuild *rb, struct cat_rb_task *k)
{
	const struct cat_orphan_site *s;

	s = cat_orphans_adopt(&rb->orphans, k->ptr, k->id, rb->now);
	rb->stats.orphan_waits_dropped = rb->orphans.dropped_waits;
	if (s)
		take_site(rb, k, s);
}

/*
 * spawnnest.h found task @id, spawned by library code inside the
 * program's call: its site is the library frame that made it.
 */
static void spawn_nested(void *ctx, uint64_t ptr, uint64_t id)
{
	struct cat_rebuild *rb = ctx;
	struct cat_rb_task *k = cat_map_get(&rb->tasks, ptr);
	unsigned int f;

	if (!k || k->id != id)
		return;		/* gone: it keeps the program's line */
	f = cat_bt_nested_site(k->spawn_inner_bt);
	if (!f || k->spawn_nested_frame)
		return;
	k->spawn_inside = k->spawn_bt ? k->spawn_bt->site_where : NULL;
	k->spawn_bt = k->spawn_inner_bt;
	k->spawn_nested_frame = f;
	rb->stats.nested_spawns++;
	if (rb->sink.task_resited)
		rb->sink.task_resited(rb->sink.ctx, k);
}

/*
 * The spawn call's own backtrace, for spawnnest.h (the site may come
 * from an entry-only site probe further out): of the open spawn frames
 * @from..@idx with a stack copy, the outermost that reaches the
 * program's frame, else the outermost. NULL: none has a copy.
 */
static const struct frame *inner_spawn_frame(const struct rb_thread *t,
					     unsigned int from,
					     unsigned int idx)
{
	const struct frame *any = NULL;

	for (unsigned int j = from; j <= idx; j++) {
		const struct frame *f = &t->frames[j];

		if (!f->bt || !is_spawn_role(f->probe))
			continue;
		if (f->bt->site >= 0)
			return f;
		if (!any)
			any = f;
	}
	return any;
}

/*
 * A spawn "task probe" (spawn role, mode both) at stack index @idx
 * returned the task in @ret. Its spawn site is the return address of the
 * outermost spawn-role call still open on this thread: an open spawn
 * frame below it, or an earlier entry-only "site probe" (tokio::spawn in
 * debug builds) entered at that depth or above.
 */
static void spawn_returned(struct cat_rebuild *rb, struct rb_thread *t,
			   unsigned int idx, const uint64_t ret[2])
{
	uint64_t ptr = spawn_task_of(&t->frames[idx], ret), ra = t->frames[idx].ret_addr;
	uint64_t start = t->frames[idx].start_ns;
	const struct cat_backtrace *bt = t->frames[idx].bt;
	bool blocking = t->frames[idx].probe->role == CAT_ROLE_SPAWN_BLOCKING;
	const struct cat_rb_task *parent;
	const struct frame *inner;
	struct cat_rb_task *k;
	unsigned int i;

	for (i = 0; i < idx; i++)
		if (is_spawn_role(t->frames[i].probe))
			break;
	/*
	 * The outermost spawn's backtrace; an inner one (the task probe's)
	 * holds the same frames and more when the outer has none.
	 */
	if (t->site_valid && t->site_depth <= i) {
		ra = t->site_ret;
		start = t->site_ns;
		blocking |= t->site_blocking;
		if (t->site_bt)
			bt = t->site_bt;
	} else if (i < idx) {
		ra = t->frames[i].ret_addr;
		start = t->frames[i].start_ns;
		if (t->frames[i].bt)
			bt = t->frames[i].bt;
		blocking |= t->frames[i].probe->role == CAT_ROLE_SPAWN_BLOCKING;
	}
	if (t->site_valid)
		site_used(rb, t->site_seq);
	t->site_valid = false;
	if (!ptr)
		return;		/* the spawn failed */
	k = cat_map_get(&rb->tasks, ptr);
	if (k && k->first_seen_ns < t->frames[idx].start_ns) {
		/*
		 * A spawn returns new memory: an instance known at this
		 * address from before was freed without a dealloc we could
		 * see (tokio frees a task from inside Harness::poll when its
		 * JoinHandle is gone, not through the probed vtable entry).
		 */
		cat_map_del(&rb->tasks, ptr);
		k->dead = true;
		k->state = CAT_TASK_FREED;
		k->end_ns = t->frames[idx].start_ns;
		release_task(rb, k, CAT_POLL_READY);
	}
	k = get_task(rb, ptr);
	if (!k || k->spawn_ns)
		return;
	parent = enclosing_task(t);
	k->spawn_ns = start;
	k->spawn_tid = t->pub.tid;
	k->spawn_call_vaddr = ra ? ra - rb->bias : 0;
	k->spawn_bt = bt;
	k->spawner_task = parent ? parent->id : 0;
	k->spawn_blocking = blocking;
	if (rb->sink.task_spawned)
		rb->sink.task_spawned(rb->sink.ctx, k);
	inner = inner_spawn_frame(t, i < idx ? i : idx, idx);
	k->spawn_inner_bt = inner ? inner->bt : bt;
	k->spawn_sp = inner ? inner->sp : bt && bt == t->site_bt ? t->site_sp : 0;
	cat_spawn_nest_add(&t->nest, ptr, k->id, bt ? bt->site_where : NULL,
			   k->spawn_sp, spawn_nested, rb);
}

/* profiles.h: a future poll's self is args[nargs - 2] (sret first). */
static uint64_t future_self(const struct frame *f)
{
	if (f->probe && f->probe->role == CAT_ROLE_FUTURE_POLL && f->nargs >= 2)
		return f->args[f->nargs - 2];
	return f->nargs ? f->args[0] : 0;
}

/* Close the top frame of @t at @end. */
static void close_top(struct cat_rebuild *rb, struct rb_thread *t,
		      uint64_t end, enum cat_cut cut, const uint64_t *ret)
{
	struct frame *f = &t->frames[t->depth - 1];
	unsigned int depth = t->depth - 1;

	if (end < f->start_ns)
		end = f->start_ns;	/* clocks of two CPUs may disagree */
	if (t->site_valid && depth < t->site_depth) {
		/*
		 * The site probe's caller returned. Inside a spawn call (tokio's
		 * pool::spawn_blocking calls Handle::spawn_blocking) the site
		 * was part of that spawn, not an orphan for a later task to
		 * adopt.
		 */
		if (is_spawn_role(f->probe))
			site_used(rb, t->site_seq);
		else
			site_settle(rb, t);
		t->site_valid = false;
	}
	if (cut != CAT_CUT_NONE)
		rb->stats.cut_slices++;

	if (f->is_poll) {
		struct cat_rb_task *k = f->task;
		struct cat_rb_poll *p, tmp;
		uint64_t dur = end - f->start_ns;
		unsigned int blocking = 0;
		bool pool = f->blocking_pool || k->spawn_blocking;
		/*
		 * A later poll of the task already ended while this frame was
		 * open: the runtime rescheduled the task from the tail of
		 * this call (async-task's run() schedules a task woken during
		 * its poll before it returns) and another thread ran it. This
		 * poll was Pending; the later one stays the held one.
		 */
		const struct cat_rb_poll *held = k->held;
		bool older = k->held_valid && held->start_ns > f->start_ns;

		if (f->offcpu_vol_ns > rb->opts.block_offcpu_ns)
			blocking |= CAT_BLOCK_OFFCPU;
		if (dur > rb->opts.long_poll_ns)
			blocking |= CAT_BLOCK_LONG;
		/*
		 * spawn_blocking work is meant to block, and a worker loop
		 * parks between the polls it runs: neither is a finding.
		 */
		if (pool || f->hosts_tasks)
			blocking = 0;
		k->open_polls--;
		k->busy_ns += dur - (f->offcpu_ns < dur ? f->offcpu_ns : dur);
		k->offcpu_ns += f->offcpu_ns;
		if (dur > k->longest_poll_ns)
			k->longest_poll_ns = dur;
		if (blocking)
			k->nblocking++;
		if (!k->future_vaddr)
			k->future_vaddr = f->future_vaddr;
		if (!older) {
			k->have_last = true;
			k->last_start_ns = f->start_ns;
			k->last_end_ns = end;
			k->last_tid = t->pub.tid;
		}
		if (cut == CAT_CUT_END)
			k->state = CAT_TASK_POLLING;

		/*
		 * The poll usually becomes the task's held poll: written in
		 * place (after the previous one is out), not built and copied.
		 */
		p = &tmp;
		if (cut == CAT_CUT_NONE && !k->dead && !older) {
			flush_held(rb, k, CAT_POLL_PENDING);
			p = k->held;
		}
		/*
		 * Every field, one by one: a compound literal is compiled to
		 * a zeroing "rep stos" first, a third of this function.
		 */
		p->task = k;
		p->probe = f->probe;
		p->tid = t->pub.tid;
		p->tgid = t->pub.tgid;
		p->cpu = t->cpu;
		p->seq = f->seq;
		p->depth = depth;
		p->start_ns = f->start_ns;
		p->end_ns = end;
		p->result = CAT_POLL_UNKNOWN;
		p->cut = cut;
		p->offcpu_ns = f->offcpu_ns;
		p->offcpu_vol_ns = f->offcpu_vol_ns;
		p->blocking = blocking;
		p->blocking_pool = pool;
		p->hosts_tasks = f->hosts_tasks;
		p->future_vaddr = f->future_vaddr;
		p->future_probe = f->future_probe;
		p->wake_ns = f->wake_ns;
		p->wake_tid = f->wake_tid;
		p->wake_in_frame = f->wake_in_frame;
		p->wake_self = f->wake_self;
		p->prev_start_ns = f->prev_start_ns;
		p->prev_end_ns = f->prev_end_ns;
		p->prev_tid = f->prev_tid;
		if (cut != CAT_CUT_NONE) {
			p->result = CAT_POLL_UNKNOWN;
			emit_poll(rb, p);
		} else if (older) {
			p->result = CAT_POLL_PENDING;
			emit_poll(rb, p);
		} else if (k->dead) {
			/* freed inside its own poll: that poll completed it */
			p->result = CAT_POLL_READY;
			emit_poll(rb, p);
		} else {
			k->held_valid = true;
		}
		t->poll_top = f->outer_poll;
		t->depth--;
		if (k->dead && !k->open_polls)
			release_task(rb, k, CAT_POLL_READY);
		return;
	}

	if (cut == CAT_CUT_NONE && ret && is_spawn_role(f->probe))
		spawn_returned(rb, t, depth, ret);

	t->depth--;
	{
		struct cat_rb_slice s = {
			.probe = f->probe,
			.tid = t->pub.tid, .tgid = t->pub.tgid, .cpu = t->cpu,
			.depth = depth,
			.start_ns = f->start_ns, .end_ns = end,
			.self = future_self(f),
			.call_vaddr = f->ret_addr ? f->ret_addr - rb->bias : 0,
			.task = enclosing_task(t),
			.cut = cut,
		};

		if (ret) {
			s.ret[0] = ret[0];
			s.ret[1] = ret[1];
		}
		rb->stats.slices++;
		if (rb->sink.slice)
			rb->sink.slice(rb->sink.ctx, &s);
	}
}

static void close_all(struct cat_rebuild *rb, struct rb_thread *t,
		      uint64_t end, enum cat_cut cut)
{
	while (t->depth)
		close_top(rb, t, end, cut, NULL);
	t->overflow = 0;
}

/* The thread runs again: close its off-CPU interval, charge the polls. */
static void thread_on(struct cat_rebuild *rb, struct rb_thread *t,
		      uint64_t now, bool cut)
{
	struct cat_rb_offcpu o;
	uint64_t d;

	if (!t->off)
		return;
	t->off = false;
	d = now > t->off_since ? now - t->off_since : 0;
	for (unsigned int i = 0; i < t->depth; i++) {
		struct frame *f = &t->frames[i];

		if (!f->is_poll)
			continue;
		f->offcpu_ns += d;
		if (cat_offcpu_voluntary(t->off_state))
			f->offcpu_vol_ns += d;
	}
	o = (struct cat_rb_offcpu){
		.tid = t->pub.tid, .tgid = t->pub.tgid,
		.start_ns = t->off_since, .end_ns = now > t->off_since ? now : t->off_since,
		.state = t->off_state, .task = running_task(t), .cut = cut,
	};
	if (rb->sink.offcpu)
		rb->sink.offcpu(rb->sink.ctx, &o);
}

static void emit_instant(struct cat_rebuild *rb, struct rb_thread *t,
			 const struct cat_rec_probe_entry *e,
			 const struct cat_probe *p,
			 const struct cat_rb_task *target)
{
	struct cat_rb_instant in = {
		.probe = p, .tid = t->pub.tid, .tgid = t->pub.tgid,
		.cpu = e->h.cpu, .depth = t->depth, .time_ns = e->h.time_ns,
		.arg0 = e->nargs ? e->args[0] : 0,
		.task = enclosing_task(t), .target = target,
		.no_return = e->h.flags & CAT_ENTRY_F_NO_RETURN,
	};

	if (rb->sink.instant)
		rb->sink.instant(rb->sink.ctx, &in);
}

static const struct cat_probe *probe_of(struct cat_rebuild *rb, uint32_t id)
{
	const struct cat_probe *p;

	if (rb->probe_by_id)
		p = id < rb->nprobe_ids ? rb->probe_by_id[id] : NULL;
	else
		p = cat_map_get(&rb->probes, id);

	if (!p) {
		rb->stats.unknown_probes++;
		p = &rb->unknown;
	}
	return p;
}

static int on_entry(struct cat_rebuild *rb, const struct cat_rec_probe_entry *e)
{
	const struct cat_probe *p = probe_of(rb, e->probe_id);
	struct rb_thread *t = get_thread(rb, e->h.tid, e->h.tgid, NULL);
	uint64_t arg0 = e->nargs ? e->args[0] : 0;
	struct cat_rb_task *target = NULL;
	struct frame *f, *pf;

	if (!t)
		return -ENOMEM;
	t->cpu = e->h.cpu;
	t->exited = false;	/* running after all: the tid was reused */
	thread_on(rb, t, e->h.time_ns, false);	/* missed a switch-in */
	if (t->site_valid && !is_spawn_role(p) && !in_spawn_call(t))
		site_settle(rb, t);	/* the thread moved on */
	if (!rb->bias_known && p != &rb->unknown && p->vaddr && e->ip) {
		rb->bias = e->ip - p->vaddr;
		rb->bias_known = true;
	}

	switch (p->role) {
	case CAT_ROLE_WAKE:
		/*
		 * A wake may reach a task that already completed: it must not
		 * bring it back as a new instance.
		 */
		target = arg0 ? cat_map_get(&rb->tasks, arg0) : NULL;
		if (!target && arg0 && !cat_map_get(&rb->ended, arg0))
			target = get_task(rb, arg0);
		if (target && !target->wake_pending) {
			target->wake_pending = true;
			target->wake_ns = e->h.time_ns;
			target->wake_tid = t->pub.tid;
			target->wake_in_frame = t->depth > 0 ||
						(p->mode & CAT_PROBE_RETURN);
			target->wake_self = enclosing_task(t) == target;
		}
		break;
	case CAT_ROLE_TASK_DEALLOC:
		target = cat_map_del(&rb->tasks, arg0);
		if (target) {
			/*
			 * Remembered until the address is polled or spawned
			 * again (without memory, a late wake may show up as a
			 * new instance: harmless).
			 */
			(void)cat_map_put(&rb->ended, arg0, rb);
			target->dead = true;
			target->state = CAT_TASK_FREED;
			target->end_ns = e->h.time_ns;
			emit_instant(rb, t, e, p, target);
			release_task(rb, target, CAT_POLL_READY);
			target = NULL;
			if (!(p->mode & CAT_PROBE_RETURN))
				return 0;
			goto push;
		}
		break;
	case CAT_ROLE_SPAWN:
	case CAT_ROLE_SPAWN_BLOCKING:
		/*
		 * site probe: nested ones keep the outermost (first); the
		 * same function again is a new spawn whose task probe was
		 * not seen (e.g. inlined), so it replaces the stale site.
		 */
		if (!(p->mode & CAT_PROBE_RETURN) &&
		    !(t->site_valid && t->site_depth <= t->depth &&
		      t->site_probe != p && !site_settled(rb, t))) {
			site_settle(rb, t);	/* replaced */
			t->site_probe = p;
			t->site_valid = true;
			t->site_depth = t->depth;
			t->site_ret = cat_entry_ret_addr(e);
			t->site_ns = e->h.time_ns;
			t->site_bt = NULL;	/* its stack record comes next */
			t->site_blocking = p->role == CAT_ROLE_SPAWN_BLOCKING;
			site_new(rb, t);
		}
		break;
	default:
		break;
	}

	if ((e->h.flags & CAT_ENTRY_F_NO_RETURN) ||
	    !(p->mode & CAT_PROBE_RETURN)) {
		emit_instant(rb, t, e, p, target);
		return 0;
	}
push:
	if (t->depth >= MAX_DEPTH) {
		if (!t->overflow++) {
			struct cat_rb_marker m = {
				.kind = CAT_MARK_DEPTH, .time_ns = e->h.time_ns,
				.cpu = e->h.cpu, .tid = t->pub.tid,
				.tgid = t->pub.tgid, .probe = p,
			};
			if (rb->sink.marker)
				rb->sink.marker(rb->sink.ctx, &m);
		}
		return 0;
	}
	if (t->depth == t->cap) {
		unsigned int ncap = t->cap ? t->cap * 2 : 16;
		struct frame *nf = realloc(t->frames, ncap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		t->frames = nf;
		t->cap = ncap;
	}
	pf = enclosing_poll(t);
	f = &t->frames[t->depth++];
	/*
	 * Only the fields every frame uses are set here; the task poll
	 * fields are set below for poll frames alone and never read for
	 * others (a memset of the whole frame was a third of the time spent
	 * per entry record).
	 */
	f->probe = p;
	f->probe_id = e->probe_id;
	f->nargs = e->nargs;
	f->is_poll = false;
	f->start_ns = e->h.time_ns;
	f->ret_addr = cat_entry_ret_addr(e);
	f->bt = NULL;
	for (unsigned int i = 0; i < e->nargs; i++)
		f->args[i] = e->args[i];

	if (p->role == CAT_ROLE_TASK_POLL && !(pf && pf->task->ptr == arg0)) {
		/* the outermost poll of this task: a poll of an instance */
		struct cat_rb_task *k = get_task(rb, arg0);

		if (!k) {
			t->depth--;
			return -ENOMEM;
		}
		if (pf)
			pf->hosts_tasks = true;	/* a worker loop */
		if (!k->npolls && !k->spawn_ns && k->first_seen_ns == rb->now)
			adopt_orphan_site(rb, k);
		flush_held(rb, k, CAT_POLL_PENDING);
		f->is_poll = true;
		f->outer_poll = t->poll_top;
		t->poll_top = t->depth;	/* this frame's index + 1 */
		f->task = k;
		f->blocking_pool = false;
		f->hosts_tasks = false;
		f->seq = ++k->npolls;
		f->offcpu_ns = 0;
		f->offcpu_vol_ns = 0;
		f->future_vaddr = 0;
		f->future_probe = NULL;
		f->wake_ns = 0;
		f->wake_tid = 0;
		f->wake_in_frame = false;
		f->wake_self = false;
		f->prev_start_ns = 0;
		f->prev_end_ns = 0;
		f->prev_tid = 0;
		k->open_polls++;
		if (k->wake_pending) {
			k->wake_pending = false;
			f->wake_ns = k->wake_ns;
			f->wake_tid = k->wake_tid;
			f->wake_in_frame = k->wake_in_frame;
			f->wake_self = k->wake_self;
		}
		if (k->have_last) {
			f->prev_start_ns = k->last_start_ns;
			f->prev_end_ns = k->last_end_ns;
			f->prev_tid = k->last_tid;
		}
	} else if (pf && p->role == CAT_ROLE_FUTURE_POLL && !pf->future_vaddr &&
		   p->ctx != CAT_CTX_TASK) {
		/* the task's own future, not a runtime wrapper around it */
		pf->future_vaddr = p->vaddr;
		pf->future_probe = p;
	} else if (pf && p->role == CAT_ROLE_BLOCKING_POLL) {
		pf->blocking_pool = true;
	}
	return 0;
}

static void on_return(struct cat_rebuild *rb,
		      const struct cat_rec_probe_return *x)
{
	const struct cat_probe *p = probe_of(rb, x->probe_id);
	struct rb_thread *t = get_thread(rb, x->h.tid, x->h.tgid, NULL);
	unsigned int k;

	if (!t)
		return;
	t->cpu = x->h.cpu;
	thread_on(rb, t, x->h.time_ns, false);
	for (k = t->depth; k-- > 0;)
		if (t->frames[k].probe_id == x->probe_id)
			break;
	if (k == (unsigned int)-1) {
		struct cat_rb_marker m = {
			.kind = CAT_MARK_UNMATCHED_RETURN,
			.time_ns = x->h.time_ns, .cpu = x->h.cpu,
			.tid = t->pub.tid, .tgid = t->pub.tgid, .probe = p,
		};

		if (t->overflow) {
			t->overflow--;	/* the return of a frame not kept */
			return;
		}
		if (p->mode == CAT_PROBE_RETURN)
			return;		/* return-only probe: nothing to match */
		rb->stats.unmatched_returns++;
		if (rb->sink.marker)
			rb->sink.marker(rb->sink.ctx, &m);
		return;
	}
	while (t->depth > k + 1)
		close_top(rb, t, x->h.time_ns, CAT_CUT_MISSING_RET, NULL);
	{
		uint64_t ret[2] = { x->ret[0], x->ret[1] };

		close_top(rb, t, x->h.time_ns, CAT_CUT_NONE, ret);
	}
}

static void on_switch(struct cat_rebuild *rb,
		      const struct cat_rec_sched_switch *s)
{
	struct rb_thread *t;

	if (traced_tgid(rb, s->prev_tgid)) {
		t = cat_map_get(&rb->threads, s->prev_tid);
		if (t && t->exited) {
			/* its final switch: forget the thread */
			close_all(rb, t, s->h.time_ns, CAT_CUT_EXIT);
			cat_map_del(&rb->threads, s->prev_tid);
			if (rb->last_thread == t)
				rb->last_thread = NULL;
			free(t->frames);
			free(t);
		} else if ((t = get_thread(rb, s->prev_tid, s->prev_tgid,
					   s->prev_comm))) {
			thread_on(rb, t, s->h.time_ns, false);
			t->off = true;
			t->off_since = s->h.time_ns;
			t->off_state = cat_offcpu_state(s);
			t->cpu = s->h.cpu;
		}
	}
	if (traced_tgid(rb, s->next_tgid)) {
		t = get_thread(rb, s->next_tid, s->next_tgid, s->next_comm);
		if (t) {
			thread_on(rb, t, s->h.time_ns, false);
			t->cpu = s->h.cpu;
		}
	}
}

static void on_lost(struct cat_rebuild *rb, const struct cat_rec_lost *l)
{
	struct cat_rb_marker m = {
		.kind = CAT_MARK_LOST, .time_ns = l->h.time_ns,
		.cpu = l->h.cpu, .tid = l->h.tid, .tgid = l->h.tgid,
		.count = l->count,
	};

	rb->stats.lost_markers++;
	rb->stats.lost_records += l->count;
	/*
	 * Entries and returns of the threads that ran on this CPU may be
	 * among the lost: their stacks cannot be trusted any more.
	 */
	for (size_t i = 0; i < rb->threads.cap; i++) {
		struct rb_thread *t = rb->threads.vals[i];

		if (t && t->cpu == l->h.cpu)
			close_all(rb, t, l->h.time_ns, CAT_CUT_LOST);
	}
	if (rb->sink.marker)
		rb->sink.marker(rb->sink.ctx, &m);
}

static void on_lifecycle(struct cat_rebuild *rb, const struct cat_rec_header *h)
{
	struct cat_rb_marker m = {
		.time_ns = h->time_ns, .cpu = h->cpu, .tid = h->tid,
		.tgid = h->tgid,
	};
	struct rb_thread *t;

	switch (h->type) {
	case CAT_REC_THREAD_NEW: {
		const struct cat_rec_thread_new *n = (const void *)h;

		if (!(h->flags & CAT_NEW_F_PROCESS) ||
		    (h->flags & CAT_NEW_F_FOLLOWED)) {
			add_tgid(rb, n->child_tgid);
			get_thread(rb, n->child_tid, n->child_tgid, n->comm);
		}
		return;
	}
	case CAT_REC_THREAD_EXIT: {
		const struct cat_rec_thread_exit *x = (const void *)h;

		t = get_thread(rb, h->tid, h->tgid, x->comm);
		if (!t)
			return;
		close_all(rb, t, h->time_ns, CAT_CUT_EXIT);
		t->exited = true;
		m.kind = CAT_MARK_EXIT;
		break;
	}
	case CAT_REC_EXEC: {
		const struct cat_rec_exec *e = (const void *)h;
		char comm[CAT_COMM_LEN + 1] = "";
		const char *base;

		/*
		 * exec renames the thread to the file's base name (the
		 * kernel's comm, truncated the same way): the polls that run
		 * before the thread's next sched_switch are already the new
		 * program's.
		 */
		if (h->size >= sizeof(*e)) {
			base = memchr(e->filename, '\0', sizeof(e->filename)) ?
			       strrchr(e->filename, '/') : NULL;
			base = base ? base + 1 : NULL;
			if (base)
				snprintf(comm, sizeof(comm), "%.*s",
					 CAT_COMM_LEN - 1, base);
		}
		t = get_thread(rb, h->tid, h->tgid, comm[0] ? comm : NULL);
		if (!t)
			return;
		close_all(rb, t, h->time_ns, CAT_CUT_EXIT);
		m.kind = CAT_MARK_EXEC;
		break;
	}
	default:
		return;
	}
	if (rb->sink.marker)
		rb->sink.marker(rb->sink.ctx, &m);
}

/*
 * A stack record follows its entry record on the same thread with the
 * same time (cat_abi.h): give its backtrace to that spawn's open frame
 * or to the site probe it made, whichever the entry was.
 */
static void on_stack(struct cat_rebuild *rb, const struct cat_rec_probe_stack *k)
{
	struct rb_thread *t = cat_map_get(&rb->threads, k->h.tid);
	const struct cat_probe *p = probe_of(rb, k->probe_id);
	struct frame *f;

	if (!t || !rb->opts.spawn_stack || !is_spawn_role(p) ||
	    !rb->bias_known)
		return;
	f = t->depth ? &t->frames[t->depth - 1] : NULL;
	if (f && f->probe == p && f->start_ns == k->h.time_ns && !f->bt) {
		f->bt = rb->opts.spawn_stack(rb->opts.spawn_stack_ctx, k, rb->bias);
		f->sp = k->regs[CAT_STACK_REG_SP];
	} else if (t->site_valid && t->site_probe == p &&
		   t->site_ns == k->h.time_ns && !t->site_bt) {
		struct cat_orphan_site *r = cat_orphans_get(&rb->orphans,
							    t->site_seq);

		t->site_bt = rb->opts.spawn_stack(rb->opts.spawn_stack_ctx, k,
						  rb->bias);
		t->site_sp = k->regs[CAT_STACK_REG_SP];
		if (r)
			r->bt = t->site_bt;
	}
}

int cat_rebuild_record(struct cat_rebuild *rb, const struct cat_rec_header *h)
{
	unsigned int type = h->type;

	rb->stats.records++;
	if (h->time_ns > rb->now)
		rb->now = h->time_ns;
	/* add_tgid() is a no-op for the tgid it saw last: skip its search */
	if (type != CAT_REC_SCHED_SWITCH && type != CAT_REC_LOST &&
	    h->tgid != rb->last_tgid) {
		add_tgid(rb, h->tgid);
		rb->last_tgid = h->tgid;
	}

	/* probe records first, without a jump table: most records */
	if (type == CAT_REC_PROBE_ENTRY) {
		if (h->size < sizeof(struct cat_rec_probe_entry) ||
		    ((const struct cat_rec_probe_entry *)h)->nargs > CAT_MAX_ARGS)
			return 0;
		return on_entry(rb, (const void *)h);
	}
	if (type == CAT_REC_PROBE_RETURN) {
		if (h->size >= sizeof(struct cat_rec_probe_return))
			on_return(rb, (const void *)h);
		return 0;
	}
	switch (type) {
	case CAT_REC_SCHED_SWITCH:
		if (h->size >= sizeof(struct cat_rec_sched_switch))
			on_switch(rb, (const void *)h);
		return 0;
	case CAT_REC_LOST:
		if (h->size >= sizeof(struct cat_rec_lost))
			on_lost(rb, (const void *)h);
		return 0;
	case CAT_REC_THREAD_NEW:
	case CAT_REC_THREAD_EXIT:
	case CAT_REC_EXEC:
		if (h->size >= sizeof(struct cat_rec_thread_new))
			on_lifecycle(rb, h);
		return 0;
	case CAT_REC_PROBE_STACK:
		if (h->size >= sizeof(struct cat_rec_probe_stack) &&
		    h->size >= cat_stack_size(((const struct cat_rec_probe_stack *)h)->size))
			on_stack(rb, (const void *)h);
		return 0;
	}
	return 0;
}

struct cat_rebuild *cat_rebuild_new(const struct cat_probe_table *probes,
				    const struct cat_rebuild_opts *opts,
				    const struct cat_rb_sink *sink)
{
	struct cat_rebuild *rb = calloc(1, sizeof(*rb));
	uint32_t max_id = 0;

	if (!rb)
		return NULL;
	rb->opts.block_offcpu_ns = CAT_DEFAULT_BLOCK_OFFCPU_NS;
	rb->opts.long_poll_ns = CAT_DEFAULT_LONG_POLL_NS;
	if (opts)
		rb->opts = *opts;
	if (sink)
		rb->sink = *sink;
	rb->unknown.mode = CAT_PROBE_BOTH;
	rb->unknown.symbol = "(unknown probe)";
	rb->unknown.mangled = "";
	rb->unknown.why = "";
	for (size_t i = 0; probes && i < probes->n; i++) {
		if (cat_map_put(&rb->probes, probes->probes[i].id,
				(void *)&probes->probes[i])) {
			cat_rebuild_free(rb);
			return NULL;
		}
		if (probes->probes[i].id >= max_id)
			max_id = probes->probes[i].id;
	}
	/* a sparse table (ids from a file, any u32) stays in the map only */
	if (probes && probes->n && max_id < 4 * probes->n + 256) {
		rb->nprobe_ids = max_id + 1;
		rb->probe_by_id = calloc(rb->nprobe_ids,
					 sizeof(*rb->probe_by_id));
		/* in table order, so that a repeated id ends as in the map */
		for (size_t i = 0; rb->probe_by_id && i < probes->n; i++)
			rb->probe_by_id[probes->probes[i].id] =
				&probes->probes[i];
	}
	return rb;
}

void cat_rebuild_add_tgid(struct cat_rebuild *rb, uint32_t tgid)
{
	add_tgid(rb, tgid);
}

static int cmp_task_id(const void *a, const void *b)
{
	const struct cat_rb_task *x = *(void *const *)a, *y = *(void *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void cat_rebuild_finish(struct cat_rebuild *rb, uint64_t end_ns)
{
	struct cat_rb_task **live;
	size_t n = 0;

	if (end_ns < rb->now)
		end_ns = rb->now;
	/* the trace ended: a task probe no longer comes */
	for (size_t i = 0; i < rb->threads.cap; i++)
		if (rb->threads.vals[i])
			site_settle(rb, rb->threads.vals[i]);
	for (size_t i = 0; i < rb->threads.cap; i++) {
		struct rb_thread *t = rb->threads.vals[i];

		if (!t)
			continue;
		close_all(rb, t, end_ns, CAT_CUT_END);
		if (t->off && !t->exited)
			thread_on(rb, t, end_ns, true);
	}
	live = malloc((rb->tasks.n + 1) * sizeof(*live));
	for (size_t i = 0; i < rb->tasks.cap; i++) {
		struct cat_rb_task *k = rb->tasks.vals[i];

		if (!k)
			continue;
		if (live)
			live[n++] = k;
	}
	/* in id order, so that output does not depend on hashing */
	if (n)
		qsort(live, n, sizeof(*live), cmp_task_id);
	for (size_t i = 0; i < n; i++) {
		cat_map_del(&rb->tasks, live[i]->ptr);
		live[i]->end_ns = end_ns;
		release_task(rb, live[i], CAT_POLL_UNKNOWN);
	}
	free(live);
}

const struct cat_rb_stats *cat_rebuild_stats(const struct cat_rebuild *rb)
{
	return &rb->stats;
}

uint64_t cat_rebuild_bias(const struct cat_rebuild *rb)
{
	return rb->bias;
}

static void free_thread(void *p)
{
	struct rb_thread *t = p;

	free(t->frames);
	free(t);
}

static void free_task(void *p)
{
	free(p);	/* a struct rb_task */
}

void cat_rebuild_free(struct cat_rebuild *rb)
{
	if (!rb)
		return;
	/*
	 * Without cat_rebuild_finish(), freed instances may still be held
	 * by open poll frames only (not by the task map): drop them here.
	 */
	for (size_t i = 0; i < rb->threads.cap; i++) {
		struct rb_thread *t = rb->threads.vals[i];

		for (unsigned int d = 0; t && d < t->depth; d++) {
			struct cat_rb_task *k;

			/* .task is only set in poll frames */
			if (!t->frames[d].is_poll)
				continue;
			k = t->frames[d].task;
			if (k->dead && !--k->open_polls)
				free_task(k);
		}
	}
	cat_map_free(&rb->probes, NULL);
	free(rb->probe_by_id);
	cat_map_free(&rb->threads, free_thread);
	cat_map_free(&rb->tasks, free_task);
	cat_map_free(&rb->ended, NULL);
	free(rb);
}
