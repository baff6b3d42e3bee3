// SPDX-License-Identifier: GPL-2.0
/*
 * buffer_test.c - relay buffer accounting and session cycles of cat.ko.
 *
 * With a deliberately tiny buffer ("buffers 4096 2") most records are
 * dropped; the stats must still account for every probe hit exactly
 * (records + dropped == hits, per CPU), the records read from the buffers
 * must be exactly the ones the stats say were written, and the LOST
 * markers must carry exactly the dropped counts. Then several
 * start/stop/reset cycles, each traced exactly, and a reader that drains
 * while the target runs (the consumed protocol under load).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

FIXTURE(buffer) {
	struct cat_session s;
	pid_t pid;
};

FIXTURE_SETUP(buffer)
{
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
}

FIXTURE_TEARDOWN(buffer)
{
	sess_cleanup(&self->s);
}

static void log_cpu(struct __test_metadata *_metadata, const struct cat_session *s,
		    unsigned int cpu)
{
	const struct cat_counters *c = &s->st.cpu[cpu];

	TH_LOG("cpu%u: records %llu dropped %llu lost_markers %llu uprobe %llu uretprobe %llu sched %llu lifecycle %llu; read: records %llu markers %llu lost %llu",
	       cpu, (unsigned long long)c->records, (unsigned long long)c->dropped,
	       (unsigned long long)c->lost_markers, (unsigned long long)c->uprobe_hits,
	       (unsigned long long)c->uretprobe_hits, (unsigned long long)c->sched_switch,
	       (unsigned long long)c->lifecycle,
	       (unsigned long long)s->tr.per_cpu_records[cpu],
	       (unsigned long long)s->tr.per_cpu_lost_markers[cpu],
	       (unsigned long long)s->tr.per_cpu_lost_count[cpu]);
}

/*
 * Tiny buffer, target pinned to CPU 0 so all its records go to one
 * buffer. Phase 1 (3000 calls) overflows it; while the target waits the
 * test drains it; phase 2 (5 calls, exit) fits. So every drop on CPU 0 is
 * followed by a record written after it, and the LOST markers must add
 * up to exactly the dropped count.
 */
TEST_F(buffer, tiny_buffer_exact_accounting)
{
	struct cat_session *s = &self->s;
	struct cat_stats mid;
	char line[64];
	long n;

	ASSERT_EQ(0, cat_control("buffers 4096 2"));
	ASSERT_EQ(0, sess_spawn_cpu(s, &s->child, 0, ACTIONS("add", "3000", "wait", "add", "5")));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(4096, s->rd.subbuf_size);
	ASSERT_EQ(2, s->rd.n_subbufs);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_STREQ("wait", line);
	usleep(100000);	/* let it block in read() */
	ASSERT_EQ(0, cat_stats_read_checked(&mid, s->err, sizeof(s->err))) TH_LOG("%s", s->err);
	EXPECT_GT(mid.cpu[0].dropped, 0) TH_LOG("3000 calls fit in 8 KiB?");
	EXPECT_EQ(3000, mid.cpu[0].uprobe_hits);
	n = cat_trace_collect(&s->rd, &s->tr, s->err, sizeof(s->err));
	ASSERT_GE(n, 0) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_send(&s->child, 'g'));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);

	for (unsigned int cpu = 0; cpu < s->st.ncpus; cpu++) {
		const struct cat_counters *c = &s->st.cpu[cpu];

		log_cpu(_metadata, s, cpu);
		EXPECT_TRUE(cat_counters_balanced(c));
		EXPECT_EQ(c->records, s->tr.per_cpu_records[cpu]);
		EXPECT_EQ(c->lost_markers, s->tr.per_cpu_lost_markers[cpu]);
		EXPECT_EQ(c->dropped, s->tr.per_cpu_lost_count[cpu]);
	}
	EXPECT_EQ(3005, s->st.total.uprobe_hits);
	EXPECT_EQ(3005, s->st.total.uretprobe_hits);
	EXPECT_GE(s->st.cpu[0].lost_markers, 1);
	/* phase 2 fits: its five calls are all there, after a LOST marker */
	check_stats_consistent(_metadata, s);
	{
		size_t last_lost = 0, found = 0;

		for (size_t i = 0; i < s->tr.n; i++)
			if (s->tr.rec[i]->type == CAT_REC_LOST)
				last_lost = i;
		for (size_t i = last_lost; i < s->tr.n; i++) {
			const struct cat_rec_probe_entry *e = REC_ENTRY(s->tr.rec[i]);

			if (e->h.type == CAT_REC_PROBE_ENTRY && e->args[0] >= 3000)
				found++;
		}
		EXPECT_EQ(5, found);
	}
}

/* Tiny buffer, never drained while tracing, target free to migrate. */
TEST_F(buffer, tiny_buffer_undrained)
{
	struct cat_session *s = &self->s;
	uint64_t bytes = 0;

	ASSERT_EQ(0, cat_control("buffers 4096 2"));
	ASSERT_EQ(0, sess_spawn(s, "add", "2000", "sleep", "5", "1000", "add", "500"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	for (unsigned int cpu = 0; cpu < s->st.ncpus; cpu++)
		log_cpu(_metadata, s, cpu);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(2500, s->st.total.uprobe_hits);
	EXPECT_EQ(2500, s->st.total.uretprobe_hits);
	EXPECT_GT(s->st.total.dropped, 0);
	/* at most 2 subbuffers per CPU were ever filled */
	for (size_t i = 0; i < s->tr.n; i++)
		bytes += s->tr.rec[i]->size;
	EXPECT_LE(bytes, (uint64_t)s->st.ncpus * 2 * (4096 - sizeof(struct cat_subbuf_header)));
	/* "bytes" counts what was written: with or without the markers */
	EXPECT_TRUE(s->st.total.bytes == bytes ||
		    s->st.total.bytes == bytes - s->st.total.lost_markers * sizeof(struct cat_rec_lost))
		TH_LOG("stats bytes %llu, read %llu", (unsigned long long)s->st.total.bytes,
		       (unsigned long long)bytes);
}

/* A reader draining while the target runs: nothing lost or seen twice. */
TEST_F(buffer, concurrent_reader)
{
	struct cat_session *s = &self->s;
	long n;
	int rounds = 0;

	ASSERT_EQ(0, cat_control("buffers 4096 4"));
	ASSERT_EQ(0, sess_spawn(s, "add", "1500"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	while (waitpid(s->child.pid, &s->status, WNOHANG) == 0) {
		n = cat_trace_collect(&s->rd, &s->tr, s->err, sizeof(s->err));
		ASSERT_GE(n, 0) TH_LOG("%s", s->err);
		rounds++;
		usleep(2000);
	}
	s->child.pid = -1;
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	TH_LOG("%d drain rounds, %llu dropped", rounds, (unsigned long long)s->st.total.dropped);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(1500, s->st.total.uprobe_hits);
	EXPECT_EQ(1500, s->st.total.uretprobe_hits);
	/* what was not dropped must be exactly the calls, each once */
	if (s->st.total.dropped == 0)
		check_add_calls(_metadata, s, 1, self->pid, 0, 1500, true);
	EXPECT_EQ(count_probe(&s->tr, CAT_REC_PROBE_ENTRY, 1, self->pid) +
		  count_probe(&s->tr, CAT_REC_PROBE_RETURN, 1, self->pid) +
		  cat_trace_count(&s->tr, CAT_REC_SCHED_SWITCH, 0) +
		  cat_trace_count(&s->tr, CAT_REC_THREAD_EXIT, 0) +
		  cat_trace_count(&s->tr, CAT_REC_THREAD_NEW, 0) +
		  cat_trace_count(&s->tr, CAT_REC_EXEC, 0),
		  s->st.total.records);
}

/*
 * start/stop/reset, three times, with different call counts: each cycle
 * sees exactly its own calls (nothing left over from the last one), the
 * counters restart from zero, and reset keeps the probes.
 */
TEST_F(buffer, start_stop_reset_cycles)
{
	struct cat_session *s = &self->s;
	static const char *const counts[] = { "50", "80", "110" };
	char cfg1[8192], cfg2[8192];

	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	for (int cycle = 0; cycle < 3; cycle++) {
		struct cat_stats st;

		ASSERT_EQ(0, sess_spawn(s, "add", counts[cycle]));
		self->pid = s->child.pid;
		ASSERT_EQ(0, cat_control("target %d", self->pid));
		ASSERT_EQ(0, sess_start(s)) TH_LOG("cycle %d: %s", cycle, s->err);
		ASSERT_EQ(0, cat_child_release(&s->child));
		ASSERT_EQ(0, sess_finish(s)) TH_LOG("cycle %d: %s", cycle, s->err);
		ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
		check_stats_consistent(_metadata, s);
		check_add_calls(_metadata, s, 1, self->pid, 0, atol(counts[cycle]), true);
		EXPECT_EQ(atol(counts[cycle]), s->st.total.uprobe_hits) TH_LOG("cycle %d", cycle);
		EXPECT_EQ(atol(counts[cycle]), s->st.total.uretprobe_hits);
		/* no record from an earlier cycle's process */
		EXPECT_EQ(cat_trace_count(&s->tr, 0, 0) - cat_trace_count(&s->tr, CAT_REC_SCHED_SWITCH, 0),
			  cat_trace_count(&s->tr, 0, self->pid) -
			  cat_trace_count(&s->tr, CAT_REC_SCHED_SWITCH, self->pid));

		ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, cfg1, sizeof(cfg1)), 0);
		cat_drain_close(&s->rd);
		s->rd_open = false;
		cat_trace_free(&s->tr);
		ASSERT_EQ(0, cat_control("reset"));
		ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, cfg2, sizeof(cfg2)), 0);
		/* same configuration; only the "# state" comment may differ */
		{
			char *a = strstr(cfg1, "\nprobe "), *b = strstr(cfg2, "\nprobe ");

			ASSERT_TRUE(a && b) TH_LOG("probe gone after reset:\n%s", cfg2);
			EXPECT_STREQ(a, b);
		}
		ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
		EXPECT_STREQ("idle", st.state);
		EXPECT_EQ(0, st.total.records);
		EXPECT_EQ(0, st.total.uprobe_hits);
		EXPECT_EQ(0, st.total.dropped);
		EXPECT_EQ(1, st.probes);
	}
}

/* Tiny buffer, four threads on both CPUs: still exact per CPU. */
TEST_F(buffer, tiny_buffer_threads)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, cat_control("buffers 4096 2"));
	ASSERT_EQ(0, sess_spawn(s, "threads", "4", "500"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	for (unsigned int cpu = 0; cpu < s->st.ncpus; cpu++)
		log_cpu(_metadata, s, cpu);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(2000, s->st.total.uprobe_hits);
	EXPECT_EQ(2000, s->st.total.uretprobe_hits);
	EXPECT_GT(s->st.total.dropped, 0);
}

/*
 * "reset" frees the buffers while a reader still has them mapped: the
 * mapping must stay readable until it is unmapped (control.rst), and the
 * next session must work.
 */
TEST_F(buffer, reset_while_mapped)
{
	struct cat_session *s = &self->s;
	volatile const uint64_t *p;
	uint64_t sum = 0;

	ASSERT_EQ(0, sess_spawn(s, "add", "30"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	check_add_calls(_metadata, s, 1, self->pid, 0, 30, true);
	ASSERT_EQ(0, cat_control("reset"));
	for (unsigned int cpu = 0; cpu < s->rd.ncpus; cpu++) {
		p = (const uint64_t *)s->rd.cpu[cpu].map;
		for (size_t i = 0; p && i < s->rd.subbuf_size * s->rd.n_subbufs / 8; i++)
			sum += p[i];
	}
	TH_LOG("old mapping still readable (checksum %llx)", (unsigned long long)sum);
	cat_drain_close(&s->rd);
	s->rd_open = false;
	cat_trace_free(&s->tr);

	ASSERT_EQ(0, sess_spawn(s, "add", "20"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	check_stats_consistent(_metadata, s);
	check_add_calls(_metadata, s, 1, self->pid, 0, 20, true);
}

TEST_HARNESS_MAIN
