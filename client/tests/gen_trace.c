// SPDX-License-Identifier: GPL-2.0
/*
 * gen_trace.c - write a synthetic but realistic raw trace (trace.cat) for
 * benchmarks and for tests of dump/convert/report without cat.ko.
 *
 * It plays a tokio multi-thread runtime: W worker threads, one per CPU,
 * run T tasks that each yield P times (the "1000 tasks x 1000 yield_now"
 * workload uftrace was measured on, see the notes). Every poll is what
 * cat.ko would record with the tokio profile: raw::poll entry/return
 * around an async fn body ({{closure}}) around a user future
 * (YieldNow::poll), whose wake_by_ref wakes the task from inside the poll.
 * On top of that:
 *  - tasks are spawned through a site probe (tokio::spawn, entry only)
 *    and a task probe (OwnedTasks::bind, returns the task in rax);
 *  - half the tasks are spawned by the main thread, half from inside the
 *    last poll of an earlier task, at that task's freed address (so task
 *    addresses are reused after raw::dealloc);
 *  - a task is picked up by whichever worker is free, so consecutive polls
 *    hop between threads;
 *  - every 1000th poll blocks (off-CPU sleeping 2 ms inside the poll),
 *    every 250th is preempted for 50 us, workers park for 20 us every 100
 *    polls; with -l N, a LOST record every N polls.
 * Output is written through the real writer (rawfile.c), in 256 KiB
 * chunks per CPU, like catctl start's drain.
 *
 * With -s current it plays selftests/rust/tokio_bench instead (a tokio
 * current_thread runtime: T tasks x (P - 1) yield_now, all on the main
 * thread), record for record as cat.ko traced it in the VM: the main
 * thread spawns every task (tokio::spawn, OwnedTasks::bind), then each
 * round polls every task once (raw::poll around its async fn body,
 * Harness::complete inside the last one) and wakes them all after the
 * round (yield_now defers its wake: wake_by_val outside any poll). This
 * is the trace the benchmark converts against uftrace's recording of the
 * same program.
 *
 * Build and run (from client/, after "make libcatctl.a"):
 *   cc -O2 -I. -I../include -o tests/gen_trace tests/gen_trace.c \
 *	libcatctl.a -ldw -lelf -lyajl -liberty -lz
 *   tests/gen_trace -o /tmp/1m.cat            # 1000 tasks x 1000 polls
 *   tests/gen_trace -t 10 -p 5 -o small.cat   # a small one
 *   tests/gen_trace -b BIN -o real.cat        # BIN's real probe table,
 *					       # so locations resolve
 *   tests/gen_trace -s current -b build/rust/release/tokio_bench -o b.cat
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles.h"
#include "rawfile.h"

#define BIAS		0x555555554000ull
#define CHUNK		(256 * 1024)
#define TGID		4242
#define MAX_WORKERS	64

enum {
	P_RAW_POLL = 1, P_CLOSURE, P_YIELD, P_WAKE, P_DEALLOC, P_BIND,
	P_SPAWN_SITE,
};

static struct cat_probe probes[] = {
	{ P_RAW_POLL, CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK,
	  0x41000, 0x40000, "tokio::runtime::task::raw::poll",
	  "_ZN5tokio7runtime4task3raw4poll17h0123456789abcdefE", "tokio.raw_poll" },
	{ P_CLOSURE, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER,
	  0x42000, 0x41000, "bench::worker::{{closure}}",
	  "_ZN5bench6worker28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE",
	  "program async fn" },
	{ P_YIELD, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_USER,
	  0x43000, 0x42000,
	  "<bench::YieldNow as core::future::future::Future>::poll",
	  "_ZN69_$LT$bench..YieldNow$u20$as$u20$core..future..future..Future$GT$4poll17h0123456789abcdefE",
	  "program impl Future" },
	{ P_WAKE, CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE, 0x44000,
	  0x43000, "tokio::runtime::task::waker::wake_by_ref", "", "tokio.wake" },
	{ P_DEALLOC, CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE,
	  0x45000, 0x44000, "tokio::runtime::task::raw::dealloc", "",
	  "tokio.dealloc" },
	{ P_BIND, CAT_PROBE_BOTH | CAT_PROBE_RET_ADDR, 0, CAT_ROLE_SPAWN,
	  CAT_CTX_NONE, 0x46000,
	  0x45000, "tokio::runtime::task::list::OwnedTasks<S>::bind", "",
	  "tokio.bind" },
	{ P_SPAWN_SITE, CAT_PROBE_ENTRY | CAT_PROBE_RET_ADDR, 0,
	  CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  0x47000, 0x46000, "tokio::task::spawn::spawn", "", "tokio.spawn" },
};

/*
 * The probes in use: the built-in table above, or (-b BINARY) the real
 * table catctl start would use for that binary, so that convert and
 * report resolve real DWARF locations and instantiation names.
 */
static struct cat_probe *tab = probes;
static size_t ntab = sizeof(probes) / sizeof(probes[0]);
static const struct cat_probe *use[P_SPAWN_SITE + 1];
static unsigned long long site_main = BIAS + 0x50123, site_task = BIAS + 0x41300;

static const struct cat_probe *pick(enum cat_probe_role role, int nth,
				    int mode)
{
	for (size_t i = 0; i < ntab; i++)
		if (tab[i].role == role &&
		    (!mode || (tab[i].mode & CAT_PROBE_BOTH) == mode) &&
		    nth-- == 0)
			return &tab[i];
	return NULL;
}

static void use_binary(const char *bin, struct cat_trace_meta *m,
		       uint8_t *bid, bool current)
{
	static struct cat_probe_table t;
	char err[512], hex[129];
	int n;

	if (cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, NULL, err,
				sizeof(err))) {
		fprintf(stderr, "gen_trace: %s\n", err);
		exit(1);
	}
	tab = t.probes;
	ntab = t.n;
	use[P_RAW_POLL] = pick(CAT_ROLE_TASK_POLL, 0, 0);
	use[P_CLOSURE] = pick(CAT_ROLE_FUTURE_POLL, 0, 0);
	use[P_YIELD] = pick(CAT_ROLE_FUTURE_POLL, 1, 0);
	use[P_WAKE] = pick(CAT_ROLE_WAKE, 0, 0);
	use[P_DEALLOC] = pick(CAT_ROLE_TASK_DEALLOC, 0, 0);
	use[P_BIND] = pick(CAT_ROLE_SPAWN, 0, CAT_PROBE_BOTH);
	use[P_SPAWN_SITE] = pick(CAT_ROLE_SPAWN, 0, CAT_PROBE_ENTRY);
	for (int i = P_RAW_POLL; i <= P_BIND; i++)
		if (!use[i] && !(current && i == P_YIELD)) {
			fprintf(stderr, "gen_trace: %s lacks a probe of kind %d\n",
				bin, i);
			exit(1);
		}
	/* spawn calls "from" the program's async fns */
	site_main = BIAS + use[P_CLOSURE]->vaddr + 0x10;
	if (use[P_YIELD])
		site_task = BIAS + use[P_YIELD]->vaddr + 0x10;
	m->binary = bin;
	n = cat_build_id(bin, hex, sizeof(hex));
	m->build_id_len = 0;
	for (int i = 0; i < n && i < CAT_TRACE_BUILD_ID_MAX; i++)
		sscanf(hex + 2 * i, "%2hhx", &bid[m->build_id_len++]);
	m->build_id = bid;
}

struct cpu_buf {
	unsigned char *data;
	size_t len;
};

static struct cat_trace_writer *w;
static struct cpu_buf bufs[MAX_WORKERS];
static unsigned long long nrec;
/* the trailer's counters, as cat.ko would have kept them */
static struct cat_trace_cpu_stats stats[MAX_WORKERS];

static void put(unsigned int cpu, const void *rec, size_t len)
{
	struct cpu_buf *b = &bufs[cpu];

	if (b->len + len > CHUNK) {
		int err = cat_trace_write_chunk(w, cpu, b->data, b->len);

		if (err) {
			fprintf(stderr, "gen_trace: %s\n", strerror(-err));
			exit(1);
		}
		b->len = 0;
	}
	memcpy(b->data + b->len, rec, len);
	b->len += len;
	nrec++;
	stats[cpu].bytes += len;
	if (((const struct cat_rec_header *)rec)->type == CAT_REC_LOST) {
		stats[cpu].lost_markers++;
		stats[cpu].dropped += ((const struct cat_rec_lost *)rec)->count;
	} else {
		stats[cpu].records++;
	}
}

static void hdr(struct cat_rec_header *h, unsigned int type, size_t size,
		unsigned int cpu, unsigned long long t, unsigned int tid,
		unsigned int tgid)
{
	h->type = type;
	h->size = size;
	h->cpu = cpu;
	h->flags = 0;
	h->time_ns = t;
	h->tid = tid;
	h->tgid = tgid;
}

static void entry(unsigned int cpu, unsigned long long t, unsigned int tid,
		  unsigned int id, unsigned long long a0, unsigned long long a1,
		  unsigned long long ra)
{
	const struct cat_probe *p = use[id];
	union {
		struct cat_rec_probe_entry e;
		unsigned char b[sizeof(struct cat_rec_probe_entry) + 56];
	} u;
	/* as cat.ko: the return address only for "+ra" probes */
	unsigned int flags = (p->mode & CAT_PROBE_RET_ADDR) ?
			     CAT_ENTRY_F_RET_ADDR : 0;
	size_t size = cat_entry_size(p->nargs, flags);

	memset(&u, 0, sizeof(u));
	hdr(&u.e.h, CAT_REC_PROBE_ENTRY, size, cpu, t, tid, TGID);
	u.e.h.flags = flags;
	u.e.probe_id = p->id;
	u.e.nargs = p->nargs;
	u.e.ip = p->vaddr + BIAS;
	if (flags)
		u.e.args[p->nargs] = ra;
	/* self, cx last (profiles.h: args[nargs-2], args[nargs-1]) */
	if (p->nargs == 1)
		u.e.args[0] = a0;
	else if (p->nargs >= 2) {
		u.e.args[p->nargs - 2] = a0;
		u.e.args[p->nargs - 1] = a1;
	}
	put(cpu, &u, size);
}

static void ret(unsigned int cpu, unsigned long long t, unsigned int tid,
		unsigned int id, unsigned long long rax)
{
	struct cat_rec_probe_return r;

	memset(&r, 0, sizeof(r));
	hdr(&r.h, CAT_REC_PROBE_RETURN, sizeof(r), cpu, t, tid, TGID);
	r.probe_id = use[id]->id;
	r.ret[0] = rax;
	put(cpu, &r, sizeof(r));
}

static void sw(unsigned int cpu, unsigned long long t, unsigned int prev,
	       unsigned int prev_tgid, unsigned int next, unsigned int next_tgid,
	       unsigned int state, unsigned int flags, const char *pc,
	       const char *nc)
{
	struct cat_rec_sched_switch s;

	memset(&s, 0, sizeof(s));
	hdr(&s.h, CAT_REC_SCHED_SWITCH, sizeof(s), cpu, t, prev, prev_tgid);
	s.h.flags = flags;
	s.prev_tid = prev;
	s.prev_tgid = prev_tgid;
	s.next_tid = next;
	s.next_tgid = next_tgid;
	s.prev_state = state;
	memcpy(s.prev_comm, pc, strnlen(pc, sizeof(s.prev_comm)));
	memcpy(s.next_comm, nc, strnlen(nc, sizeof(s.next_comm)));
	put(cpu, &s, sizeof(s));
}

/*
 * tokio::spawn at @t from @site (when the binary has that site probe),
 * OwnedTasks::bind @bind_dt later, returning @task @ret_dt after @t.
 */
static void spawn(unsigned int cpu, unsigned long long t, unsigned int tid,
		  unsigned long long site, unsigned long long task,
		  unsigned int bind_dt, unsigned int ret_dt)
{
	if (use[P_SPAWN_SITE])
		entry(cpu, t, tid, P_SPAWN_SITE, 0, 0, site);
	entry(cpu, t + bind_dt, tid, P_BIND, 0, 0,
	      use[P_SPAWN_SITE] ? BIAS + 0x47321 : site);
	ret(cpu, t + ret_dt, tid, P_BIND, task);
}

/* worker @tid on @cpu leaves the CPU in @state for @d ns and returns */
static unsigned long long off(unsigned int cpu, unsigned long long t,
			      unsigned int tid, unsigned int state,
			      unsigned int flags, unsigned long long d)
{
	sw(cpu, t, tid, TGID, 0, 0, state, flags, "tokio-runtime-w", "swapper");
	sw(cpu, t + d, 0, 0, tid, TGID, 0, 0, "swapper", "tokio-runtime-w");
	return t + d + 100;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_trace [-s multi|current] [-t tasks] [-p polls] [-w workers] [-l lost_every] [-b BINARY] -o FILE\n");
	exit(2);
}

/*
 * tokio_bench on a current_thread runtime: one thread, one CPU, T tasks
 * polled round-robin P times each. Times are spaced like the VM trace's
 * proportions (a poll of ~2.5 us, its body ~0.8 us of it).
 */
static unsigned long long gen_current(unsigned long tasks, unsigned long polls,
				      unsigned long long t,
				      unsigned long long *end)
{
	unsigned long long *ptr = calloc(tasks, sizeof(*ptr)), total = 0;
	const unsigned int tid = TGID;

	sw(0, t, 0, 0, tid, TGID, 0, 0, "swapper/0", "tokio_bench");
	t += 500;
	for (unsigned long i = 0; i < tasks; i++) {
		ptr[i] = 0x7f0000100000ull + i * 0x90;
		spawn(0, t, tid, site_main, ptr[i], 60, 200);
		t += 250;
	}
	for (unsigned long r = 0; r < polls; r++) {
		bool last = r == polls - 1;

		for (unsigned long i = 0; i < tasks; i++) {
			entry(0, t, tid, P_RAW_POLL, ptr[i], 0, BIAS + 0x48100);
			entry(0, t + 300, tid, P_CLOSURE, ptr[i] + 0x38,
			      0x7ffff0001000ull, BIAS + 0x41234);
			ret(0, t + 1100, tid, P_CLOSURE, !last);
			if (last)
				entry(0, t + 1800, tid, P_DEALLOC, ptr[i], 0,
				      BIAS + 0x48200);
			ret(0, t + 2500, tid, P_RAW_POLL, 0);
			t += 2800;
			total++;
		}
		if (last)
			break;
		for (unsigned long i = 0; i < tasks; i++) {
			entry(0, t, tid, P_WAKE, ptr[i], 0, BIAS + 0x42400);
			t += 250;
		}
		/* the timer tick preempts it now and then */
		if (r % 50 == 49)
			t = off(0, t, tid, CAT_TASK_RUNNING,
				CAT_SWITCH_F_PREEMPT, 30000);
	}
	free(ptr);
	*end = t;
	return total;
}

int main(int argc, char **argv)
{
	unsigned long tasks = 1000, polls = 1000, workers = 4, lost_every = 0;
	const char *out = NULL, *bin = NULL, *shape = "multi";
	static uint8_t realbid[CAT_TRACE_BUILD_ID_MAX];
	unsigned long long *clock, *ptr, *ready, t;
	unsigned long *left, *queue, qh = 0, qt = 0, nq, spawned = 0;
	unsigned long long total = 0;
	struct cat_probe_table table = { probes, sizeof(probes) / sizeof(probes[0]), 0 };
	struct cat_trace_meta meta = { 0 };
	static const uint8_t bid[20] = { 0xca, 0x7f, 0x00, 0x0d };
	int c, err;

	while ((c = getopt(argc, argv, "s:t:p:w:l:o:b:")) != -1) {
		switch (c) {
		case 's': shape = optarg; break;
		case 't': tasks = strtoul(optarg, NULL, 0); break;
		case 'p': polls = strtoul(optarg, NULL, 0); break;
		case 'w': workers = strtoul(optarg, NULL, 0); break;
		case 'l': lost_every = strtoul(optarg, NULL, 0); break;
		case 'o': out = optarg; break;
		case 'b': bin = optarg; break;
		default: usage();
		}
	}
	if (!out || !tasks || !polls || !workers || workers > MAX_WORKERS)
		usage();
	if (strcmp(shape, "multi") && strcmp(shape, "current"))
		usage();
	if (!strcmp(shape, "current"))
		workers = 1;

	meta.binary = "/usr/local/bin/bench";
	meta.build_id = bid;
	meta.build_id_len = sizeof(bid);
	meta.realtime_offset_ns = 1700000000000000000ll;
	meta.ncpus = workers;
	meta.tgid = TGID;
	meta.start_ns = 1000000000ull;
	for (int i = P_RAW_POLL; i <= P_SPAWN_SITE; i++)
		use[i] = &probes[i - 1];
	if (bin) {
		use_binary(bin, &meta, realbid, !strcmp(shape, "current"));
		table.probes = tab;
		table.n = ntab;
	}
	w = cat_trace_create(out, &meta, &table);
	if (!w) {
		perror(out);
		return 1;
	}
	for (unsigned long i = 0; i < workers; i++)
		bufs[i].data = malloc(CHUNK);
	clock = calloc(workers, sizeof(*clock));
	ptr = calloc(tasks, sizeof(*ptr));
	left = calloc(tasks, sizeof(*left));
	ready = calloc(tasks, sizeof(*ready));
	nq = tasks + 1;
	queue = calloc(nq, sizeof(*queue));

	if (!strcmp(shape, "current")) {
		total = gen_current(tasks, polls, meta.start_ns + 1000, &t);
		clock[0] = t;
		goto finish;
	}

	/* main thread (on CPU 0) spawns the first half */
	t = meta.start_ns + 1000;
	for (unsigned long i = 0; i < (tasks + 1) / 2; i++, spawned++) {
		ptr[i] = 0x7f0000100000ull + i * 0x200;
		left[i] = polls;
		spawn(0, t, TGID, site_main, ptr[i], 50, 200);
		t += 300;
		queue[qt++ % nq] = i;
	}
	for (unsigned long i = 0; i < workers; i++)
		clock[i] = t + 1000 + i * 37;

	while (qh != qt) {
		unsigned long k = queue[qh++ % nq], cw = 0;
		unsigned int cpu, tid;
		unsigned long long fut;

		for (unsigned long i = 1; i < workers; i++)
			if (clock[i] < clock[cw])
				cw = i;
		cpu = cw;
		tid = TGID + 1 + cw;
		/* a task is polled by one thread at a time */
		t = clock[cw] > ready[k] ? clock[cw] : ready[k] + 50;
		fut = ptr[k] + 0x80;

		if (lost_every && total && total % lost_every == 0) {
			struct cat_rec_lost l;

			memset(&l, 0, sizeof(l));
			hdr(&l.h, CAT_REC_LOST, sizeof(l), cpu, t, tid, TGID);
			l.count = 17;
			put(cpu, &l, sizeof(l));
			t += 10;
		}
		entry(cpu, t, tid, P_RAW_POLL, ptr[k], 0, BIAS + 0x48100);
		entry(cpu, t + 40, tid, P_CLOSURE, fut, 0x7ffff0001000ull,
		      BIAS + 0x41234);
		entry(cpu, t + 80, tid, P_YIELD, fut + 0x10, 0x7ffff0001000ull,
		      BIAS + 0x42345);
		t += 120;
		if (total % 1000 == 999)
			t = off(cpu, t, tid, CAT_TASK_INTERRUPTIBLE, 0, 2000000);
		else if (total % 250 == 249)
			t = off(cpu, t, tid, CAT_TASK_RUNNING,
				CAT_SWITCH_F_PREEMPT, 50000);
		if (left[k] > 1)
			entry(cpu, t + 20, tid, P_WAKE, ptr[k], 0, BIAS + 0x42400);
		ret(cpu, t + 60, tid, P_YIELD, left[k] > 1);
		ret(cpu, t + 100, tid, P_CLOSURE, left[k] > 1);
		t += 100;
		if (--left[k] == 0) {
			/* completed: freed inside its last poll */
			entry(cpu, t + 20, tid, P_DEALLOC, ptr[k], 0,
			      BIAS + 0x48200);
			t += 100;
			if (spawned < tasks) {
				/* spawn a successor at the freed address */
				unsigned long n = spawned++;

				ptr[n] = ptr[k];
				left[n] = polls;
				spawn(cpu, t, tid, site_task, ptr[n], 50, 150);
				t += 200;
				ready[n] = t;
				queue[qt++ % nq] = n;
			}
		} else {
			queue[qt++ % nq] = k;
		}
		ret(cpu, t + 30, tid, P_RAW_POLL, 0);
		t += 60;
		ready[k] = t;
		total++;
		if (total % 100 == 0)
			t = off(cpu, t, tid, CAT_TASK_INTERRUPTIBLE, 0, 20000);
		clock[cw] = t;
	}
finish:
	t = 0;
	for (unsigned long i = 0; i < workers; i++) {
		if (bufs[i].len)
			cat_trace_write_chunk(w, i, bufs[i].data, bufs[i].len);
		if (clock[i] > t)
			t = clock[i];
	}
	cat_trace_set_end(w, t + 1000);
	err = cat_trace_finish(w, stats, workers);
	if (err) {
		fprintf(stderr, "gen_trace: %s: %s\n", out, strerror(-err));
		return 1;
	}
	fprintf(stderr, "gen_trace: %s: %llu polls, %lu tasks, %llu records\n",
		out, total, tasks, nrec);
	return 0;
}
