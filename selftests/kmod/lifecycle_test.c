// SPDX-License-Identifier: GPL-2.0
/*
 * lifecycle_test.c - processes coming and going around a cat.ko session.
 *
 * A target that forks: the fork is recorded (CAT_NEW_F_PROCESS), with
 * "follow" the child's probe hits and exit are recorded too, without it
 * they are not. And the session's owner: when the process that wrote
 * "start" dies without "stop" (SIGKILL, or a plain exit), the module must
 * stop by itself and release the probes, so the target runs on untraced.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

FIXTURE(lifecycle) {
	struct cat_session s;
	pid_t pid;
};

FIXTURE_SETUP(lifecycle)
{
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
}

FIXTURE_TEARDOWN(lifecycle)
{
	sess_cleanup(&self->s);
}

/* "add 10 fork 20 add 30": parent a = 0..39, child a = 1000000.. (exit 7) */
static void fork_run(struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) *self,
		     bool follow)
{
	struct cat_session *s = &self->s;
	const struct cat_rec_thread_new *tn = NULL;
	size_t nnew = 0, child_exits = 0, parent_exits = 0;
	char line[64];
	int child = 0;

	ASSERT_EQ(0, sess_spawn(s, "add", "10", "fork", "20", "add", "30"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d%s", self->pid, follow ? " follow" : ""));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_EQ(1, sscanf(line, "child %d", &child)) TH_LOG("'%s'", line);
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0)
		TH_LOG("wait status %#x", s->status);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(0, s->st.total.dropped);

	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_THREAD_NEW && h->tgid == self->pid) {
			tn = REC_NEW(h);
			nnew++;
		}
		if (h->type == CAT_REC_THREAD_EXIT) {
			const struct cat_rec_thread_exit *x = REC_EXIT(h);

			if (h->tgid == (uint32_t)child) {
				child_exits++;
				EXPECT_EQ(7 << 8, x->exit_code);
				EXPECT_TRUE(h->flags & CAT_EXIT_F_GROUP_DEAD);
			} else if (h->tgid == self->pid) {
				parent_exits++;
				EXPECT_EQ(0, x->exit_code);
			}
		}
	}
	ASSERT_EQ(1, nnew);
	EXPECT_EQ(CAT_NEW_F_PROCESS | (follow ? CAT_NEW_F_FOLLOWED : 0), tn->h.flags);
	EXPECT_EQ(child, tn->child_tgid);
	EXPECT_EQ(child, tn->child_tid);
	EXPECT_EQ(self->pid, tn->h.tid);
	EXPECT_EQ(1, parent_exits);
	check_add_calls(_metadata, s, 1, self->pid, 0, 40, true);
	if (follow) {
		EXPECT_EQ(1, child_exits);
		check_add_calls(_metadata, s, 1, child, 1000000, 20, true);
		EXPECT_EQ(60, s->st.total.uprobe_hits);
		EXPECT_EQ(60, s->st.total.uretprobe_hits);
	} else {
		/* nothing from the child but switches next to the parent */
		EXPECT_EQ(0, child_exits);
		EXPECT_EQ(0, cat_trace_count(&s->tr, 0, child) -
			     cat_trace_count(&s->tr, CAT_REC_SCHED_SWITCH, child));
		EXPECT_EQ(40, s->st.total.uprobe_hits);
		EXPECT_EQ(40, s->st.total.uretprobe_hits);
	}
}

TEST_F(lifecycle, fork_follow)
{
	fork_run(_metadata, self, true);
}

TEST_F(lifecycle, fork_no_follow)
{
	fork_run(_metadata, self, false);
}

/*
 * More processes over a session's life than the target table has slots
 * (one alive at a time): every one of them must be followed, because the
 * slots of reaped processes are reused.
 */
TEST_F(lifecycle, fork_follow_many)
{
	const int k = CAT_MAX_TARGETS + 16;
	struct cat_session *s = &self->s;
	size_t followed = 0, news = 0, exits = 0;
	char ks[16];

	snprintf(ks, sizeof(ks), "%d", k);
	ASSERT_EQ(0, sess_spawn(s, "forks", ks, "1"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d follow", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0)
		TH_LOG("wait status %#x", s->status);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(0, s->st.total.dropped);
	EXPECT_EQ(0, s->st.unfollowed);

	for (size_t i = 0; i < s->tr.n; i++) {
		const struct cat_rec_header *h = s->tr.rec[i];

		if (h->type == CAT_REC_THREAD_NEW && h->tgid == self->pid &&
		    (h->flags & CAT_NEW_F_PROCESS)) {
			news++;
			followed += !!(h->flags & CAT_NEW_F_FOLLOWED);
		}
		if (h->type == CAT_REC_THREAD_EXIT && h->tgid != self->pid &&
		    (h->flags & CAT_EXIT_F_GROUP_DEAD))
			exits++;
	}
	EXPECT_EQ(k, news);
	EXPECT_EQ(k, followed);
	EXPECT_EQ(k, exits);
	EXPECT_EQ(k, s->st.total.uprobe_hits);
	EXPECT_EQ(k, s->st.total.uretprobe_hits);
}

/*
 * The controller is a child that writes "start" and then either is
 * SIGKILLed or exits. The target does 50 calls while the session runs,
 * waits, and 50 more after the controller is gone: those must not be
 * hit, and the module must report "stopped" on its own.
 */
static void owner_gone(struct __test_metadata *_metadata, FIXTURE_DATA(lifecycle) *self,
		       bool kill_it)
{
	struct cat_session *s = &self->s;
	struct cat_stats st;
	char line[64];
	int sync[2], hold[2], wstatus;
	pid_t ctl;
	char c;
	long n;

	ASSERT_EQ(0, sess_spawn(s, "add", "50", "wait", "add", "50"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, pipe(sync));
	ASSERT_EQ(0, pipe(hold));
	ctl = fork();
	ASSERT_GE(ctl, 0);
	if (ctl == 0) {
		close(hold[1]);
		c = cat_control("start") ? 'E' : 'S';
		if (write(sync[1], &c, 1) != 1)
			_exit(1);
		/* owns the session until killed here or told to exit */
		if (read(hold[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(hold[0]);
	close(sync[1]);
	ASSERT_EQ(1, read(sync[0], &c, 1));
	close(sync[0]);
	ASSERT_EQ('S', c) TH_LOG("the controller's start failed");
	s->t_begin = cat_mono_ns();
	ASSERT_EQ(0, cat_buffers_open(&s->rd));
	s->rd_open = true;

	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_STREQ("wait", line);
	ASSERT_EQ(0, cat_stats_read_checked(&st, s->err, sizeof(s->err))) TH_LOG("%s", s->err);
	EXPECT_EQ(50, st.total.uprobe_hits) TH_LOG("tracing works before the owner goes");

	if (kill_it) {
		ASSERT_EQ(0, kill(ctl, SIGKILL));
	} else {
		ASSERT_EQ(1, write(hold[1], "x", 1));
	}
	ASSERT_EQ(ctl, waitpid(ctl, &wstatus, 0));
	close(hold[1]);
	if (kill_it) {
		ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
	} else {
		ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
	}
	/* the module stops by itself, promptly */
	EXPECT_EQ(0, cat_wait_state("stopped", 5000)) {
		cat_stats_read_checked(&st, NULL, 0);
		TH_LOG("state is still '%s' 5 s after the owner died", st.state);
	}
	ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
	EXPECT_EQ(50, st.total.uprobe_hits);

	/* the probes are gone: 50 more calls, no more hits */
	ASSERT_EQ(0, cat_child_send(&s->child, 'g'));
	s->status = cat_child_wait(&s->child, WAIT_MS);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0)
		TH_LOG("target wait status %#x", s->status);
	ASSERT_EQ(0, cat_stats_read_checked(&s->st, s->err, sizeof(s->err))) TH_LOG("%s", s->err);
	EXPECT_STREQ("stopped", s->st.state);
	EXPECT_EQ(50, s->st.total.uprobe_hits);
	EXPECT_EQ(50, s->st.total.uretprobe_hits);

	/* the buffers stay readable after the automatic stop */
	n = cat_trace_collect(&s->rd, &s->tr, s->err, sizeof(s->err));
	ASSERT_GE(n, 0) TH_LOG("%s", s->err);
	cat_trace_sort(&s->tr);
	check_stats_consistent(_metadata, s);
	check_add_calls(_metadata, s, 1, self->pid, 0, 50, true);

	/* and the module is usable again */
	cat_drain_close(&s->rd);
	s->rd_open = false;
	cat_trace_free(&s->tr);
	EXPECT_EQ(0, cat_control("reset"));
	ASSERT_EQ(0, sess_spawn(s, "add", "10"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	check_add_calls(_metadata, s, 1, self->pid, 0, 10, true);
}

TEST_F(lifecycle, owner_killed)
{
	owner_gone(_metadata, self, true);
}

TEST_F(lifecycle, owner_exits_without_stop)
{
	owner_gone(_metadata, self, false);
}

/*
 * The owner-exit work runs some time after the owner is gone. By then
 * that session may have been stopped and another started by another
 * process, and the work must leave the new one alone (issue 14.7). The
 * window is held open on purpose: the test and the short-lived owner run
 * SCHED_FIFO on cpu0, where the work's kworker (SCHED_OTHER) cannot run
 * until the test sleeps. If the work still ran first (the owner slept on
 * its way out), the try is repeated; never getting the window is a SKIP.
 */
TEST_F(lifecycle, owner_exit_work_spares_next_session)
{
	struct cat_session *s = &self->s;
	struct sched_param fifo = { .sched_priority = 1 }, other = { 0 };
	struct cat_stats st;
	bool raced = false;
	cpu_set_t set;
	int tries;

	ASSERT_EQ(0, sess_spawn(s, "wait"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));

	for (tries = 0; tries < 10 && !raced; tries++) {
		int wstatus = 0;
		pid_t owner, w;

		ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &fifo))
			TH_LOG("SCHED_FIFO: %s", strerror(errno));
		owner = fork();
		ASSERT_LE(0, owner);
		if (!owner)
			_exit(cat_control("start") ? 1 : 0);
		/* yield to the owner (same priority) until it is a zombie */
		while (!(w = waitpid(owner, &wstatus, WNOHANG)))
			sched_yield();
		ASSERT_EQ(owner, w);
		ASSERT_TRUE(WIFEXITED(wstatus) && !WEXITSTATUS(wstatus))
			TH_LOG("the owner's start failed: %#x", wstatus);
		ASSERT_EQ(0, cat_stats_read(&st));
		/* still running: the work is queued behind us, not yet run */
		raced = !strcmp(st.state, "running");
		cat_stats_free(&st);
		if (raced)
			ASSERT_EQ(0, cat_control("stop"));
		ASSERT_EQ(0, cat_control("reset"));
		if (raced)
			ASSERT_EQ(0, cat_control("start"));
		/* now the work runs, with our session in place */
		ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &other));
		usleep(300 * 1000);
	}
	if (!raced)
		SKIP(return, "the owner-exit work ran before the window in %d tries",
		     tries);
	ASSERT_EQ(0, cat_stats_read(&st));
	EXPECT_STREQ("running", st.state)
		TH_LOG("the work of owner that exited stopped the next session");
	cat_stats_free(&st);
	EXPECT_EQ(0, cat_control("stop"));
	TH_LOG("window held on try %d", tries);
}

TEST_HARNESS_MAIN
