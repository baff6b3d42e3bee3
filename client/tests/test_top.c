// SPDX-License-Identifier: GPL-2.0
/*
 * test_top - "catctl top" on a hand-made trace: --batch prints what the
 * trace says (states, polls, busy, scheduled and idle time, parent task)
 * and the same polls, busy and longest times as "catctl report"; with
 * --interval, one table per slice of trace time, each up to its moment;
 * sorting and filtering; bad arguments; and the terminal UI driven
 * through tmux (sort, filter, a task's detail view, quit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "ksft.h"

#include "testutil.h"
#include "tracebuild.h"

#define CATCTL	CAT_CATCTL
#define TASK_A	0x7f0000001000ull
#define TASK_B	0x7f0000002000ull

/*
 * Task 1 (A, site 0x8000): one poll, 1000..3000 on thread 101, inside
 * which it spawns task 2 (B, site 0x8100). B: woken at 4000, polled
 * 6000..6500 on 102; woken at 10000, polled 12000..12300, freed at 13000.
 * Thread 101 sleeps from 3400 to 3800. The trace ends at 20000.
 */
static char *make_trace(void)
{
	static struct tb b;

	memset(&b, 0, sizeof(b));
	tb_spawn(&b, 0, 100, 101, TASK_A, 0x8000);
	tb_entry(&b, 0, 1000, 101, TB_POLL, TASK_A, 0x9000);
	tb_spawn(&b, 0, 1500, 101, TASK_B, 0x8100);
	tb_ret(&b, 0, 3000, 101, TB_POLL, 0);
	/* thread 101 sleeps 3400..3800 (off-CPU in S state) */
	tb_switch(&b, 0, 3400, 101, TB_TGID, 0, 0, 1, 0);
	tb_switch(&b, 0, 3800, 0, 0, 101, TB_TGID, 0, 0);
	tb_entry(&b, 0, 4000, 101, TB_WAKE, TASK_B, 0x9100);
	tb_poll(&b, 1, 6000, 500, 102, TASK_B);
	tb_entry(&b, 0, 10000, 101, TB_WAKE, TASK_B, 0x9100);
	tb_poll(&b, 1, 12000, 300, 102, TASK_B);
	tb_entry(&b, 1, 13000, 102, TB_FREE, TASK_B, 0x9200);
	return tb_write(&b, "top", true, 20000);
}

/* The row of task @id in the last table of @text, split in columns. */
static int row(const char *text, long id, char cols[12][64])
{
	const char *last = text, *p, *line;
	int n = 0;

	while ((p = strstr(last + 1, "# catctl top at ")))
		last = p;
	for (line = last; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char buf[512];
		long v;

		if (sscanf(line, "%ld", &v) != 1 || v != id)
			continue;
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(line, "\n"), line);
		for (char *s = strtok(buf, " "); s && n < 12; s = strtok(NULL, " "))
			snprintf(cols[n++], 64, "%s", s);
		return n;
	}
	return 0;
}

FIXTURE(top) {
	char *trace;
};

FIXTURE_SETUP(top)
{
	self->trace = make_trace();
	ASSERT_NE(NULL, self->trace);
}

FIXTURE_TEARDOWN(top)
{
	unlink(self->trace);
	free(self->trace);
}

/*
 * columns: TASK STATE POLLS BUSY SCHEDULED IDLE LONGEST THREAD PARENT
 * WARNINGS SITE
 */
TEST_F(top, batch_says_what_the_trace_did)
{
	char *out = sh("%s top --batch --replay %s 2>&1", CATCTL, self->trace);
	char c[12][64];

	ASSERT_NE(NULL, out);
	ASSERT_EQ(11, row(out, 1, c)) TH_LOG("%s", out);
	EXPECT_STREQ("idle", c[1]);		/* never freed */
	EXPECT_STREQ("1", c[2]);
	EXPECT_STREQ("2.000", c[3]);
	EXPECT_STREQ("0.000", c[4]);		/* never woken */
	EXPECT_STREQ("0.000", c[5]);
	EXPECT_STREQ("2.000", c[6]);
	EXPECT_STREQ("101", c[7]);
	EXPECT_STREQ("-", c[8]);
	EXPECT_STREQ("alive-at-exit", c[9]);
	EXPECT_STREQ("0x8000", c[10]);
	ASSERT_EQ(11, row(out, 2, c)) TH_LOG("%s", out);
	EXPECT_STREQ("done", c[1]);
	EXPECT_STREQ("2", c[2]);
	EXPECT_STREQ("0.800", c[3]);
	EXPECT_STREQ("4.000", c[4]);		/* 2000 + 2000 wake to poll */
	EXPECT_STREQ("3.500", c[5]);		/* 6500 .. 10000 */
	EXPECT_STREQ("0.500", c[6]);
	EXPECT_STREQ("102", c[7]);
	EXPECT_STREQ("1", c[8]);		/* spawned in task 1's poll */
	EXPECT_STREQ("-", c[9]);
	EXPECT_STREQ("0x8100", c[10]);
	free(out);
}

/* The numbers both commands show are the same numbers. */
TEST_F(top, batch_agrees_with_report)
{
	char *out = sh("%s top --batch --replay %s 2>/dev/null", CATCTL,
		       self->trace);
	char *json = sh("%s report -f json %s 2>/dev/null", CATCTL, self->trace);
	const char *tp[] = { "tasks", NULL };
	char err[256], c[12][64];
	yajl_val doc, a;

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, json);
	doc = yajl_tree_parse(json, err, sizeof(err));
	ASSERT_NE(NULL, doc) TH_LOG("%s", err);
	a = yajl_tree_get(doc, tp, yajl_t_array);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(2, YAJL_GET_ARRAY(a)->len);
	for (size_t i = 0; i < YAJL_GET_ARRAY(a)->len; i++) {
		yajl_val t = YAJL_GET_ARRAY(a)->values[i];
		const char *ip[] = { "id", NULL }, *pp[] = { "polls", NULL };
		const char *bp[] = { "busy_us", NULL };
		const char *lp[] = { "longest_poll_us", NULL };
		const char *sp[] = { "spawned_at", NULL };
		long id = YAJL_GET_INTEGER(yajl_tree_get(t, ip, yajl_t_number));

		ASSERT_EQ(11, row(out, id, c));
		EXPECT_STREQ(YAJL_GET_NUMBER(yajl_tree_get(t, pp, yajl_t_number)), c[2]);
		EXPECT_STREQ(YAJL_GET_NUMBER(yajl_tree_get(t, bp, yajl_t_number)), c[3]);
		EXPECT_STREQ(YAJL_GET_NUMBER(yajl_tree_get(t, lp, yajl_t_number)), c[6]);
		EXPECT_STREQ(YAJL_GET_STRING(yajl_tree_get(t, sp, yajl_t_string)), c[10]);
	}
	yajl_tree_free(doc);
	free(json);
	free(out);
}

/*
 * --interval 0.005 (5 us of trace time): tables at 5 and 10 us, and at
 * the end (the last record is at 13 us, so the 15 us step finds the end
 * of the trace, 20 us); at 5 us task 2 is woken and not polled yet, at
 * 10 us polled once and woken again, at the end done after two polls.
 */
TEST_F(top, interval_tables_move_with_trace_time)
{
	char *out = sh("%s top --batch --interval 0.005 --replay %s 2>/dev/null",
		       CATCTL, self->trace);
	const char *p;
	int tables = 0;

	ASSERT_NE(NULL, out);
	for (p = out; (p = strstr(p, "# catctl top at ")); p++)
		tables++;
	EXPECT_EQ(3, tables) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "# catctl top at 0.000005 s of the trace: 2 tasks\n"));
	EXPECT_NE(NULL, strstr(out, "# catctl top at 0.000010 s of the trace: 2 tasks\n"));
	EXPECT_NE(NULL, strstr(out, "# catctl top at 0.000020 s of the trace: 2 tasks\n"));
	p = strstr(out, "\n     2 scheduled       0 ");
	EXPECT_NE(NULL, p) TH_LOG("at 5 us task 2 is woken, not polled:\n%s", out);
	p = strstr(out, "\n     2 scheduled       1        0.500 ");
	EXPECT_NE(NULL, p) TH_LOG("at 10 us, polled once, woken again:\n%s", out);
	p = strstr(out, "\n     2 done            2 ");
	EXPECT_NE(NULL, p) TH_LOG("%s", out);
	free(out);
}

TEST_F(top, sort_and_filter)
{
	char *out = sh("%s top --batch --sort polls --replay %s 2>/dev/null",
		       CATCTL, self->trace);
	char *f = sh("%s top --batch --filter 0x8100 --replay %s 2>/dev/null",
		     CATCTL, self->trace);
	char *d = sh("%s top --batch --hide-done --replay %s 2>/dev/null",
		     CATCTL, self->trace);

	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, d);
	/* polls: largest first, task 2 (2 polls) above task 1 */
	ASSERT_NE(NULL, strstr(out, "\n     2 "));
	EXPECT_LT(strstr(out, "\n     2 "), strstr(out, "\n     1 ")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(f, ": 1 tasks\n"));
	EXPECT_EQ(NULL, strstr(f, "0x8000"));
	EXPECT_NE(NULL, strstr(d, ": 1 tasks\n"));
	EXPECT_EQ(NULL, strstr(d, " done "));
	free(out);
	free(f);
	free(d);
}

/* --threads: per thread its polls, their time, its off-CPU time by state */
TEST_F(top, thread_table)
{
	char *out = sh("%s top --batch --threads --replay %s 2>/dev/null",
		       CATCTL, self->trace);

	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "\n# threads: off-CPU time by state (us)\n"
				    "  THREAD COMM               POLLS    POLL-TIME     RUNNABLE     SLEEPING           IO        OTHER\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\n     101 tokio-runtime-w        1        2.000        0.000        0.400        0.000        0.000\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\n     102 "));
	EXPECT_NE(NULL, strstr(out, "        2        0.800        0.000        0.000        0.000        0.000\n"))
		TH_LOG("%s", out);
	free(out);
}

TEST(bad_arguments)
{
	char *s;

	s = sh("%s top --batch 2>&1; echo rc=$?", CATCTL);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "Usage: catctl top")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "rc=2"));
	free(s);
	s = sh("%s top --batch --sort nope --replay x 2>&1; echo rc=$?", CATCTL);
	EXPECT_NE(NULL, strstr(s, "no column 'nope'")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "rc=2"));
	free(s);
	s = sh("%s top --pid 1 2>&1; echo rc=$?", CATCTL);
	EXPECT_NE(NULL, strstr(s, "not in this version")) TH_LOG("%s", s);
	free(s);
	s = sh("%s top --replay /nonexistent.cat < /dev/null 2>&1; echo rc=$?", CATCTL);
	EXPECT_NE(NULL, strstr(s, "not a terminal: use --batch")) TH_LOG("%s", s);
	free(s);
	s = sh("%s top --batch --replay /nonexistent.cat 2>&1; echo rc=$?", CATCTL);
	EXPECT_NE(NULL, strstr(s, "/nonexistent.cat")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "rc=5")) TH_LOG("%s", s);
	free(s);
}

/* tmux: run @keys in session @name, then the screen's text */
static char *screen_after(const char *name, const char *keys)
{
	char *s;

	s = sh("tmux send-keys -t %s %s; sleep 1; tmux capture-pane -p -t %s",
	       name, keys, name);
	return s;
}

/*
 * The terminal UI, in a detached tmux session of 120x30: it starts
 * playing, 's' sorts by the next column, '/' filters, Enter opens the
 * selected task's details with its histograms, Esc goes back, 't' shows
 * the threads and the tasks again, 'q' quits.
 */
TEST_F(top, terminal_ui_under_tmux)
{
	char name[64], *s;

	if (system("tmux -V >/dev/null 2>&1"))
		SKIP(return, "tmux is not installed (scripts/install-deps installs it)");
	snprintf(name, sizeof(name), "cattop%d", getpid());
	s = sh("tmux -f /dev/null new-session -d -s %s -x 120 -y 30 "
	       "'%s top --speed 0.001 --replay %s; sleep 30' 2>&1; "
	       "sleep 2; tmux capture-pane -p -t %s", name, CATCTL,
	       self->trace, name);
	ASSERT_NE(NULL, s);
	EXPECT_NE(NULL, strstr(s, "catctl top")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "TASK STATE")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "sort id")) TH_LOG("%s", s);
	free(s);
	/* to the end of the trace, sorted by state: both tasks, done last */
	s = screen_after(name, "End s");
	EXPECT_NE(NULL, strstr(s, "sort state")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, " end ")) TH_LOG("%s", s);
	EXPECT_LT(strstr(s, "     1 idle"), strstr(s, "     2 done")) TH_LOG("%s", s);
	free(s);
	s = screen_after(name, "/ 0 x 8 1 Enter");
	EXPECT_NE(NULL, strstr(s, "filter: 0x81")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "1 tasks")) TH_LOG("%s", s);
	EXPECT_EQ(NULL, strstr(s, "0x8000")) TH_LOG("%s", s);
	free(s);
	s = screen_after(name, "Enter");
	EXPECT_NE(NULL, strstr(s, "task 2  done")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "parent      task 1")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "poll time        n 2  p50 0.319  p90 0.500  p99 0.500  max 0.500 us"))
		TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "scheduled time   n 2")) TH_LOG("%s", s);
	free(s);
	s = screen_after(name, "Escape");
	EXPECT_NE(NULL, strstr(s, "TASK STATE")) TH_LOG("%s", s);
	free(s);
	s = screen_after(name, "t");
	EXPECT_NE(NULL, strstr(s, "THREAD COMM")) TH_LOG("%s", s);
	EXPECT_NE(NULL, strstr(s, "     101 tokio-runtime-w")) TH_LOG("%s", s);
	free(s);
	s = screen_after(name, "t");
	EXPECT_NE(NULL, strstr(s, "TASK STATE")) TH_LOG("%s", s);
	free(s);
	s = screen_after(name, "q");
	EXPECT_EQ(NULL, strstr(s, "TASK STATE")) TH_LOG("still running:\n%s", s);
	free(s);
	free(sh("tmux kill-session -t %s 2>/dev/null", name));
}

TEST_HARNESS_MAIN
