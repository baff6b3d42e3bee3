// SPDX-License-Identifier: GPL-2.0
/*
 * test_lints - lints.c: each lint fires just past its threshold and not
 * at it, and the names list in bit order.
 */
#include <string.h>

#include "ksft.h"

#include "lints.h"

static struct cat_lint_opts o;

static unsigned int lints(const struct cat_ts_task *t, bool ended)
{
	cat_lint_defaults(&o);
	return cat_lints_of(t, &o, ended);
}

TEST(long_poll_and_never_yielded)
{
	struct cat_ts_task t = { .polls = 1, .state = CAT_TS_DONE };

	t.longest_ns = 10000000;		/* at the limit: no */
	EXPECT_EQ(0, lints(&t, true));
	t.longest_ns = 10000001;
	EXPECT_EQ(CAT_LINT_LONG_POLL, lints(&t, true));
	t.longest_ns = 1000000001;
	EXPECT_EQ(CAT_LINT_LONG_POLL | CAT_LINT_NEVER_YIELDED, lints(&t, true));
	t.spawn_blocking = true;		/* meant to block */
	EXPECT_EQ(0, lints(&t, true));
}

TEST(self_wakes_over_half)
{
	struct cat_ts_task t = { .polls = 10, .state = CAT_TS_DONE };

	t.woken = 3;
	t.woken_self = 3;			/* too few wakes to tell */
	EXPECT_EQ(0, lints(&t, true));
	t.woken = 10;
	t.woken_self = 5;			/* half: no */
	EXPECT_EQ(0, lints(&t, true));
	t.woken_self = 6;
	EXPECT_EQ(CAT_LINT_SELF_WAKES, lints(&t, true));
}

TEST(wake_storm)
{
	struct cat_ts_task t = { .polls = 25, .state = CAT_TS_DONE };

	t.woken = 100;				/* 4 per poll: no */
	EXPECT_EQ(0, lints(&t, true));
	t.woken = 101;
	EXPECT_EQ(CAT_LINT_WAKE_STORM, lints(&t, true));
	t.polls = 10;
	t.woken = 99;				/* under 100 wakes: no */
	EXPECT_EQ(0, lints(&t, true));
}

TEST(alive_at_exit_only_at_the_end)
{
	struct cat_ts_task t = { .polls = 1, .state = CAT_TS_IDLE };
	char buf[80];

	EXPECT_EQ(0, lints(&t, false));
	EXPECT_EQ(CAT_LINT_ALIVE_AT_EXIT, lints(&t, true));
	EXPECT_STREQ("alive-at-exit", cat_lints_str(lints(&t, true), buf, sizeof(buf)));
	EXPECT_STREQ("-", cat_lints_str(0, buf, sizeof(buf)));
	EXPECT_STREQ("long-poll,self-wakes",
		     cat_lints_str(CAT_LINT_LONG_POLL | CAT_LINT_SELF_WAKES, buf, sizeof(buf)));
	/* a short buffer is cut, still terminated */
	EXPECT_EQ(3, strlen(cat_lints_str(CAT_LINT_LONG_POLL, buf, 4)));
	for (unsigned int i = 0; i < CAT_NLINTS; i++)
		EXPECT_NE(NULL, strchr(cat_lint_name(i), '-'));
}

TEST_HARNESS_MAIN
