// SPDX-License-Identifier: GPL-2.0
/*
 * zz_rmmod_test.c - unloading cat.ko in the middle of a trace.
 *
 * rmmod must work while tracing (Documentation/control.rst): the module
 * stops the session, unregisters its uprobes and tracepoint and frees
 * everything. The traced program must run on unharmed (a uprobe left
 * behind would trap into freed code), the kernel log must stay clean
 * (vm/run checks it), and after insmod the module must trace correctly
 * again. A second case unloads while a reader still has the buffers
 * mapped. This program unloads the module, so its name sorts it after
 * every other test; it loads the module back before it ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

FIXTURE(rmmod) {
	struct cat_session s;
	pid_t pid;
};

FIXTURE_SETUP(rmmod)
{
	if (!cat_module_loaded()) {
		ASSERT_EQ(0, cat_module_load());
	}
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
}

FIXTURE_TEARDOWN(rmmod)
{
	sess_cleanup(&self->s);
	if (!cat_module_loaded())
		cat_module_load();
}

/* Load the module again and check a plain trace is exact. */
static void trace_again(struct __test_metadata *_metadata, FIXTURE_DATA(rmmod) *self)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, cat_module_load());
	ASSERT_TRUE(cat_module_loaded());
	ASSERT_EQ(0, cat_test_idle());
	ASSERT_EQ(0, sess_spawn(s, "add", "100"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	check_stats_consistent(_metadata, s);
	check_add_calls(_metadata, s, 1, self->pid, 0, 100, true);
	EXPECT_EQ(100, s->st.total.uprobe_hits);
}

/* Start the target (50 calls traced), leave it waiting for phase 2. */
static void start_mid_trace(struct __test_metadata *_metadata, FIXTURE_DATA(rmmod) *self)
{
	struct cat_session *s = &self->s;
	struct cat_stats st;
	char line[64];

	ASSERT_EQ(0, sess_spawn(s, "add", "50", "wait", "add", "50"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, cat_control("start"));
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_STREQ("wait", line);
	ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
	ASSERT_STREQ("running", st.state);
	ASSERT_EQ(50, st.total.uprobe_hits);
}

/* The target finishes phase 2 untraced and with the right results. */
static void target_survives(struct __test_metadata *_metadata, FIXTURE_DATA(rmmod) *self)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, cat_child_send(&s->child, 'g'));
	s->status = cat_child_wait(&s->child, WAIT_MS);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0)
		TH_LOG("the traced program died after rmmod: wait status %#x", s->status);
}

TEST_F(rmmod, rmmod_while_tracing)
{
	int ret;

	start_mid_trace(_metadata, self);
	ret = cat_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("rmmod while tracing: %s", strerror(-ret));
	ASSERT_FALSE(cat_module_loaded());
	target_survives(_metadata, self);
	trace_again(_metadata, self);
}

/*
 * A reader has every buffer mapped when the module goes. Either rmmod
 * refuses (EBUSY/EAGAIN) until the mapping is gone, or it succeeds and the
 * mapping stays harmless; both are fine, a crash or a warning is not.
 */
TEST_F(rmmod, rmmod_with_buffers_mapped)
{
	struct cat_session *s = &self->s;
	int ret;

	start_mid_trace(_metadata, self);
	ASSERT_EQ(0, cat_buffers_open(&s->rd));
	s->rd_open = true;
	ret = cat_module_unload();
	TH_LOG("rmmod with mapped buffers: %s", ret ? strerror(-ret) : "unloaded");
	ASSERT_TRUE(ret == 0 || ret == -EBUSY || ret == -EAGAIN);
	target_survives(_metadata, self);
	cat_drain_close(&s->rd);
	s->rd_open = false;
	if (ret) {
		ret = cat_module_unload();
		ASSERT_EQ(0, ret) TH_LOG("rmmod after unmapping: %s", strerror(-ret));
	}
	ASSERT_FALSE(cat_module_loaded());
	trace_again(_metadata, self);
}

/* Load/unload cycles with nothing running leave nothing behind. */
TEST_F(rmmod, reload_idle)
{
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, cat_module_unload());
		ASSERT_FALSE(cat_module_loaded());
		ASSERT_EQ(0, cat_module_load());
		ASSERT_TRUE(cat_module_loaded());
	}
	ASSERT_EQ(0, cat_module_unload());
	trace_again(_metadata, self);
}

/* rmmod while the target is inside a probed function (return pending). */
TEST_F(rmmod, rmmod_with_return_pending)
{
	struct cat_session *s = &self->s;
	char line[64];
	int ret;

	ASSERT_EQ(0, sess_spawn(s, "block", "add", "10"));
	self->pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", self->pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, cat_control("probe 2 both 1 %llu %s", (unsigned long long)s->off_block, s->path));
	ASSERT_EQ(0, cat_control("start"));
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, cat_child_readline(&s->child, line, sizeof(line), WAIT_MS));
	ASSERT_STREQ("wait", line);
	ret = cat_module_unload();
	ASSERT_EQ(0, ret) TH_LOG("rmmod: %s", strerror(-ret));
	target_survives(_metadata, self);
	trace_again(_metadata, self);
}

TEST_HARNESS_MAIN
