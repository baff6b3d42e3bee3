/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - fixture-level helpers of the cat.ko selftests.
 *
 * Every test traces selftests/kmod/targets/cat_target the same way: fork
 * it blocked before exec, configure the module (target, probes, start),
 * release it, wait for it, stop, read the buffers and the stats. This
 * header does that once; the tests then state what the records must be.
 * It is included after kselftest_harness.h, so helpers taking _metadata
 * may use ASSERT_* / EXPECT_*.
 */
#ifndef _CAT_KMOD_COMMON_H
#define _CAT_KMOD_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catlib.h"

#define TARGET_NAME	"cat_target"
#define WAIT_MS		30000	/* a target run under TCG, generously */

/* Put the module back to idle with the default configuration. */
static inline int cat_test_idle(void)
{
	struct cat_stats st;
	int ret;

	cat_control("stop");
	cat_control("reset");
	cat_control("clear");
	if (cat_stats_read_checked(&st, NULL, 0))
		return -EPROTO;
	ret = strcmp(st.state, "idle") ? -EBUSY : 0;
	cat_stats_free(&st);
	return ret;
}

struct cat_session {
	const char *path;		/* the target binary */
	uint64_t off_add, off_args6, off_pair, off_recurse, off_block;
	uint64_t vaddr_add;
	struct cat_child child;
	struct cat_drain rd;
	bool rd_open;
	struct cat_trace tr;
	struct cat_stats st;
	int status;			/* the target's wait status */
	uint64_t t_begin, t_end;	/* CLOCK_MONOTONIC ns around the run */
	char err[512];
};

static inline uint64_t cat_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline int sess_init(struct cat_session *s)
{
	static char path[4096];
	int ret;

	memset(s, 0, sizeof(*s));
	s->child.pid = -1;
	s->child.in = s->child.out = -1;
	snprintf(path, sizeof(path), "%s", cat_bin_path(TARGET_NAME));
	s->path = path;
	if ((ret = cat_elf_sym_offset(path, "cat_add", &s->off_add, &s->vaddr_add)) ||
	    (ret = cat_elf_sym_offset(path, "cat_args6", &s->off_args6, NULL)) ||
	    (ret = cat_elf_sym_offset(path, "cat_pair", &s->off_pair, NULL)) ||
	    (ret = cat_elf_sym_offset(path, "cat_recurse", &s->off_recurse, NULL)) ||
	    (ret = cat_elf_sym_offset(path, "cat_block", &s->off_block, NULL))) {
		snprintf(s->err, sizeof(s->err), "symbols of %s: %s", path, strerror(-ret));
		return ret;
	}
	return cat_test_idle();
}

/* Fork the target blocked before exec; actions as cat_target's argv. */
static inline int sess_spawn_cpu(struct cat_session *s, struct cat_child *c,
				 int cpu, const char *const actions[])
{
	char *argv[64];
	int n = 0;

	argv[n++] = (char *)s->path;
	while (actions && *actions && n < 63)
		argv[n++] = (char *)*actions++;
	argv[n] = NULL;
	return cat_child_spawn(c, argv, cpu);
}

#define ACTIONS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define sess_spawn(s, ...) sess_spawn_cpu((s), &(s)->child, -1, ACTIONS(__VA_ARGS__))

/* "start" and map the buffers (geometry is fixed from here on). */
static inline int sess_start(struct cat_session *s)
{
	int ret = cat_control("start");

	if (ret) {
		snprintf(s->err, sizeof(s->err), "start: %s", strerror(-ret));
		return ret;
	}
	s->t_begin = cat_mono_ns();
	ret = cat_buffers_open(&s->rd);
	if (ret) {
		snprintf(s->err, sizeof(s->err), "open/mmap the buffers: %s", strerror(-ret));
		return ret;
	}
	s->rd_open = true;
	return 0;
}

/* Wait for the target, stop, read every record and the final stats. */
static inline int sess_finish(struct cat_session *s)
{
	long n;
	int ret;

	if (s->child.pid > 0) {
		s->status = cat_child_wait(&s->child, WAIT_MS);
		if (s->status < 0) {
			snprintf(s->err, sizeof(s->err), "target did not exit: %s",
				 strerror(-s->status));
			return s->status;
		}
	}
	s->t_end = cat_mono_ns();
	ret = cat_control("stop");
	if (ret) {
		snprintf(s->err, sizeof(s->err), "stop: %s", strerror(-ret));
		return ret;
	}
	n = cat_trace_collect(&s->rd, &s->tr, s->err, sizeof(s->err));
	if (n < 0)
		return n;
	cat_trace_sort(&s->tr);
	cat_stats_free(&s->st);
	return cat_stats_read_checked(&s->st, s->err, sizeof(s->err));
}

static inline void sess_cleanup(struct cat_session *s)
{
	cat_child_kill(&s->child);
	if (s->rd_open)
		cat_drain_close(&s->rd);
	s->rd_open = false;
	cat_trace_free(&s->tr);
	cat_stats_free(&s->st);
	cat_test_idle();
}

/* Typed views of a record. */
#define REC_ENTRY(h)	((const struct cat_rec_probe_entry *)(h))
#define REC_RETURN(h)	((const struct cat_rec_probe_return *)(h))
#define REC_SWITCH(h)	((const struct cat_rec_sched_switch *)(h))
#define REC_NEW(h)	((const struct cat_rec_thread_new *)(h))
#define REC_EXIT(h)	((const struct cat_rec_thread_exit *)(h))
#define REC_EXEC(h)	((const struct cat_rec_exec *)(h))
#define REC_LOST(h)	((const struct cat_rec_lost *)(h))

/* Records of one probe id from one process (tgid 0: any). */
static inline size_t count_probe(const struct cat_trace *t, int type, uint32_t id,
				 uint32_t tgid)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct cat_rec_header *h = t->rec[i];

		if (h->type != type || (tgid && h->tgid != tgid))
			continue;
		if (type == CAT_REC_PROBE_ENTRY && REC_ENTRY(h)->probe_id != id)
			continue;
		if (type == CAT_REC_PROBE_RETURN && REC_RETURN(h)->probe_id != id)
			continue;
		n++;
	}
	return n;
}

/*
 * The "add" calls of one process, probe @id of kind "both" or "both+ra"
 * with nargs 2 (with +ra, every entry carries a return address):
 * exactly @n entries with arguments (a, a + 1000) for a = first ..
 * first + n - 1, each once, each followed on its thread by a return of
 * 4a + 1000 from the same function, all inside the traced interval.
 */
static inline void check_add_calls(struct __test_metadata *_metadata,
				   const struct cat_session *s, uint32_t id,
				   uint32_t tgid, long first, long n, bool returns)
{
	char *seen = calloc(n ? n : 1, 1);
	/* one pending entry per thread: cat_add does not nest */
	struct { uint32_t tid; long a; } pend[16];
	int npend = 0;
	long entries = 0, rets = 0;

	ASSERT_NE(NULL, seen);
	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->tgid != tgid)
			continue;
		if (h->type == CAT_REC_PROBE_ENTRY && REC_ENTRY(h)->probe_id == id) {
			const struct cat_rec_probe_entry *e = REC_ENTRY(h);
			long a = (long)e->args[0];
			int k;

			ASSERT_EQ(2, e->nargs);
			ASSERT_EQ(cat_entry_size(2, h->flags), h->size);
			ASSERT_EQ(0, h->flags & CAT_ENTRY_F_RA_FAULT);
			if (h->flags & CAT_ENTRY_F_RET_ADDR)
				ASSERT_NE(0, cat_entry_ret_addr(e));
			ASSERT_TRUE(a >= first && a < first + n) TH_LOG("arg0 %ld", a);
			ASSERT_EQ(a + 1000, (long)e->args[1]);
			ASSERT_EQ(0, seen[a - first]) TH_LOG("call a=%ld recorded twice", a);
			seen[a - first] = 1;
			ASSERT_GE(h->time_ns, s->t_begin);
			if (s->t_end)
				ASSERT_LE(h->time_ns, s->t_end);
			entries++;
			for (k = 0; k < npend && pend[k].tid != h->tid; k++)
				;
			if (k == npend) {
				ASSERT_LT(npend, 16);
				npend++;
			} else if (returns) {
				ASSERT_EQ(-1, pend[k].a)
					TH_LOG("tid %u: entry a=%ld while a=%ld has not returned",
					       h->tid, a, pend[k].a);
			}
			pend[k].tid = h->tid;
			pend[k].a = a;
		} else if (h->type == CAT_REC_PROBE_RETURN &&
			   REC_RETURN(h)->probe_id == id) {
			const struct cat_rec_probe_return *r = REC_RETURN(h);
			int k;

			ASSERT_EQ(sizeof(*r), h->size);
			for (k = 0; k < npend && pend[k].tid != h->tid; k++)
				;
			ASSERT_LT(k, npend) TH_LOG("return without entry on tid %u", h->tid);
			ASSERT_NE(-1, pend[k].a) TH_LOG("two returns in a row on tid %u", h->tid);
			ASSERT_EQ(4 * pend[k].a + 1000, (long)r->ret[0])
				TH_LOG("return of a=%ld", pend[k].a);
			pend[k].a = -1;
			rets++;
		}
	}
	EXPECT_EQ(n, entries);
	for (long a = 0; a < n; a++)
		if (!seen[a]) {
			EXPECT_TRUE(seen[a]) TH_LOG("call a=%ld not recorded", first + a);
			break;
		}
	EXPECT_EQ(returns ? n : 0, rets);
	free(seen);
}

/* Stats sanity every traced run must show, whatever the test. */
static inline void check_stats_consistent(struct __test_metadata *_metadata,
					  const struct cat_session *s)
{
	for (unsigned int cpu = 0; cpu < s->st.ncpus; cpu++) {
		const struct cat_counters *c = &s->st.cpu[cpu];

		EXPECT_TRUE(cat_counters_balanced(c))
			TH_LOG("cpu%u: records %llu + dropped %llu != uprobe %llu + uretprobe %llu + sched %llu + lifecycle %llu + stacks %llu",
			       cpu, (unsigned long long)c->records,
			       (unsigned long long)c->dropped,
			       (unsigned long long)c->uprobe_hits,
			       (unsigned long long)c->uretprobe_hits,
			       (unsigned long long)c->sched_switch,
			       (unsigned long long)c->lifecycle,
			       (unsigned long long)c->stacks);
		/* after "stop" every record is in a committed subbuffer */
		EXPECT_EQ(c->records, s->tr.per_cpu_records[cpu])
			TH_LOG("cpu%u: stats say %llu records, buffers held %llu",
			       cpu, (unsigned long long)c->records,
			       (unsigned long long)s->tr.per_cpu_records[cpu]);
		EXPECT_EQ(c->lost_markers, s->tr.per_cpu_lost_markers[cpu]);
		EXPECT_LE(s->tr.per_cpu_lost_count[cpu], c->dropped);
	}
	EXPECT_TRUE(cat_counters_balanced(&s->st.total));
}

#endif /* _CAT_KMOD_COMMON_H */
