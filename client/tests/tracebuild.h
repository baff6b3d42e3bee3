/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracebuild.h - hand-made raw traces for the host tests of report,
 * convert and the loss accounting: records appended per CPU, then written
 * through the real writer (rawfile.c) with or without trailer counters.
 *
 * The default probe table is a minimal tokio profile: a task poll
 * (raw::poll, arg0 = task), a spawn that returns the task
 * (OwnedTasks::bind, with the caller's return address), a wake and a
 * dealloc. A test with probes of its own sets struct tb's table.
 */
#ifndef CAT_TRACEBUILD_H
#define CAT_TRACEBUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rawfile.h"

#define TB_BIAS		0x555555554000ull
#define TB_TGID		100
#define TB_T0		1000000ull
#define TB_CPUS		2
#define TB_BUF		65536

enum { TB_POLL = 1, TB_BIND, TB_WAKE, TB_FREE };

static struct cat_probe tb_probes[] = {
	{ TB_POLL, CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK, 0x1000, 0, "tokio::runtime::task::raw::poll", "", "" },
	{ TB_BIND, CAT_PROBE_BOTH | CAT_PROBE_RET_ADDR, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE, 0x2000, 0, "OwnedTasks::bind", "", "" },
	{ TB_WAKE, CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE, 0x3000, 0, "waker::wake_by_val", "", "" },
	{ TB_FREE, CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE, 0x4000, 0, "raw::dealloc", "", "" },
};
static const struct cat_probe_table tb_table = { tb_probes, 4, 4 };

struct tb {
	unsigned char buf[TB_CPUS][TB_BUF];
	size_t len[TB_CPUS];
	/* what cat.ko's counters would say (the trailer) */
	struct cat_trace_cpu_stats st[TB_CPUS];
	/* the trace's probes; NULL (a zeroed struct tb): tb_table */
	const struct cat_probe_table *table;
};

static inline const struct cat_probe_table *tb_probe_table(const struct tb *b)
{
	return b->table ? b->table : &tb_table;
}

static inline const struct cat_probe *tb_probe(const struct tb *b,
					       unsigned int id)
{
	return &tb_probe_table(b)->probes[id - 1];
}

static inline void *tb_add(struct tb *b, unsigned int c, unsigned int type,
			   size_t size, uint64_t t, unsigned int tid)
{
	struct cat_rec_header *h = (void *)(b->buf[c] + b->len[c]);

	if (b->len[c] + size > TB_BUF)
		abort();
	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->cpu = c;
	h->time_ns = TB_T0 + t;
	h->tid = tid;
	h->tgid = TB_TGID;
	b->len[c] += size;
	if (type == CAT_REC_LOST) {
		b->st[c].lost_markers++;
	} else {
		b->st[c].records++;
		b->st[c].bytes += size;
	}
	return h;
}

/* probe @id's entry; @ra: the caller's return address (ELF vaddr) */
static inline void tb_entry(struct tb *b, unsigned int c, uint64_t t,
			    unsigned int tid, unsigned int id, uint64_t a0,
			    uint64_t ra)
{
	const struct cat_probe *p = tb_probe(b, id);
	unsigned int n = p->nargs;
	struct cat_rec_probe_entry *e =
		tb_add(b, c, CAT_REC_PROBE_ENTRY,
		       cat_entry_size(n, CAT_ENTRY_F_RET_ADDR), t, tid);

	e->h.flags = CAT_ENTRY_F_RET_ADDR;
	e->probe_id = id;
	e->nargs = n;
	e->ip = TB_BIAS + p->vaddr;
	e->args[n] = TB_BIAS + ra;
	if (n)
		e->args[0] = a0;
	b->st[c].uprobe_hits++;
}

static inline void tb_ret(struct tb *b, unsigned int c, uint64_t t,
			  unsigned int tid, unsigned int id, uint64_t rax)
{
	struct cat_rec_probe_return *r =
		tb_add(b, c, CAT_REC_PROBE_RETURN, sizeof(*r), t, tid);

	r->probe_id = id;
	r->ret[0] = rax;
	b->st[c].uretprobe_hits++;
}

/* thread @prev (of process @pg) switches to @next (of @ng) on CPU @c */
static inline void tb_switch(struct tb *b, unsigned int c, uint64_t t,
			     unsigned int prev, unsigned int pg,
			     unsigned int next, unsigned int ng,
			     unsigned int state, unsigned int flags)
{
	struct cat_rec_sched_switch *s =
		tb_add(b, c, CAT_REC_SCHED_SWITCH, sizeof(*s), t, prev);

	s->h.tgid = pg;
	s->h.flags = flags;
	s->prev_tid = prev;
	s->prev_tgid = pg;
	s->next_tid = next;
	s->next_tgid = ng;
	s->prev_state = state;
	strcpy(s->prev_comm, pg == TB_TGID ? "tokio-runtime-w" : "swapper/0");
	strcpy(s->next_comm, ng == TB_TGID ? "tokio-runtime-w" : "swapper/0");
	b->st[c].sched_switch++;
}

/* a LOST marker: @count records were dropped on CPU @c before it */
static inline void tb_lost(struct tb *b, unsigned int c, uint64_t t,
			   uint64_t count)
{
	struct cat_rec_lost *l = tb_add(b, c, CAT_REC_LOST, sizeof(*l), t, 0);

	l->count = count;
	b->st[c].dropped += count;
}

/* spawn task @task from call site @site (+1: the return address) */
static inline void tb_spawn(struct tb *b, unsigned int c, uint64_t t,
			    unsigned int tid, uint64_t task, uint64_t site)
{
	tb_entry(b, c, t, tid, TB_BIND, 0, site + 1);
	tb_ret(b, c, t + 10, tid, TB_BIND, task);
}

static inline void tb_poll(struct tb *b, unsigned int c, uint64_t t,
			   uint64_t dur, unsigned int tid, uint64_t task)
{
	tb_entry(b, c, t, tid, TB_POLL, task, 0x9000);
	tb_ret(b, c, t + dur, tid, TB_POLL, 0);
}

/*
 * Write @b to a new file named after @tag; @counters: write the trailer
 * with b->st (else with none). Returns the path (malloc()ed) or NULL.
 */
static inline char *tb_write_as(struct tb *b, const char *tag, bool counters,
				uint64_t end, const char *binary,
				const uint8_t *bid, size_t bidlen);

static inline char *tb_write(struct tb *b, const char *tag, bool counters,
			     uint64_t end)
{
	return tb_write_as(b, tag, counters, end, "/nonexistent/app", NULL, 0);
}

/* The same, for a trace of @binary with build-id @bid (@bidlen bytes). */
static inline char *tb_write_as(struct tb *b, const char *tag, bool counters,
				uint64_t end, const char *binary,
				const uint8_t *bid, size_t bidlen)
{
	struct cat_trace_meta m = {
		.binary = binary, .ncpus = TB_CPUS,
		.tgid = TB_TGID, .start_ns = TB_T0,
		.build_id = bid, .build_id_len = bidlen,
	};
	struct cat_trace_writer *w;
	char *path;
	int err = 0;

	if (asprintf(&path, "/tmp/cat-tb.%d.%s.cat", getpid(), tag) < 0)
		return NULL;

	w = cat_trace_create(path, &m, tb_probe_table(b));
	if (!w) {
		free(path);
		return NULL;
	}
	for (unsigned int c = 0; c < TB_CPUS && !err; c++)
		err = cat_trace_write_chunk(w, c, b->buf[c], b->len[c]);
	cat_trace_set_end(w, TB_T0 + end);
	/* always finishes (frees) the writer; the first error wins */
	if (cat_trace_finish(w, counters ? b->st : NULL, TB_CPUS) || err) {
		free(path);
		return NULL;
	}
	return path;
}

#endif /* CAT_TRACEBUILD_H */
