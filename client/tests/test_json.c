// SPDX-License-Identifier: GPL-2.0
/*
 * test_json - the Trace Event Format output (json.c, via the whole
 * convert pipeline: rawfile -> rebuild -> json) parses back with yajl's
 * tree parser and has the lanes, args, flows and colours that
 * Documentation/timeline.rst promises.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "ksft.h"

#include "convert.h"
#include "json.h"
#include "rawfile.h"
#include "testutil.h"
#include "tracebuild.h"

#define TGID	TB_TGID
#define TASK_A	0x7f0000001000ull
#define TASK_B	0x7f0000002000ull
/* spawn call sites (the call instruction; no DWARF: shown as addresses) */
#define SITE_A	0x8fffull
#define SITE_B	0x9abcull

enum { P_POLL = 1, P_FUT, P_WAKE, P_FREE, P_BIND };

#define BIND_SYMBOL	"bind\xff\xfe\xc3\xa9\x01\xe2\x82"
/* in the JSON: the reader makes control bytes '?' (rawfile.c), json.c bad UTF-8 */
#define BIND_SHOWN	"bind??\xc3\xa9???"

static struct cat_probe probes[] = {
	{ P_POLL, CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK, 0x1000, 0, "tokio::runtime::task::raw::poll", "", "" },
	{ P_FUT, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER, 0x2000, 0, "app::main::{{closure}}", "", "" },
	{ P_WAKE, CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE, 0x3000, 0, "waker::wake_by_val", "", "" },
	{ P_FREE, CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE, 0x4000, 0, "raw::dealloc", "", "" },
	/*
	 * A symbol that is not UTF-8 must not break the JSON, nor lose its
	 * well-formed characters: two bad bytes, an "é" (c3 a9), a control
	 * character, a 3-byte sequence cut short.
	 */
	{ P_BIND, CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE, 0x5000, 0, BIND_SYMBOL, "", "" },
};
static const struct cat_probe_table table = { probes, 5, 5 };

/*
 * Thread 101 (CPU 0) spawns A and B, polls A (which wakes B), then A
 * sleeps 3 ms inside its second poll (blocking) and is freed; thread 102
 * (CPU 1) polls B twice, the second time after A's poll on thread 101
 * woke it; B then migrates to thread 101. Times in ns from start 1000000.
 */
static char *make_trace(const char *tag)
{
	static struct tb tr;
	struct tb *b = &tr;

	memset(b, 0, sizeof(*b));
	b->table = &table;
	tb_switch(b, 0, 10, 0, 0, 101, TGID, 0, 0);
	tb_entry(b, 0, 100, 101, P_BIND, 0, 0x9000);
	tb_ret(b, 0, 200, 101, P_BIND, TASK_A);
	tb_entry(b, 0, 300, 101, P_BIND, 0, SITE_B + 1);
	tb_ret(b, 0, 400, 101, P_BIND, TASK_B);
	tb_entry(b, 0, 1000, 101, P_POLL, TASK_A, 0x9000);	/* A#1 */
	tb_entry(b, 0, 1100, 101, P_FUT, TASK_A + 0x40, 0x9000);
	tb_entry(b, 0, 1200, 101, P_WAKE, TASK_B, 0x9000);
	tb_ret(b, 0, 1300, 101, P_FUT, 1);
	tb_ret(b, 0, 1400, 101, P_POLL, 0);
	tb_entry(b, 1, 2000, 102, P_POLL, TASK_B, 0x9000);	/* B#1 */
	tb_ret(b, 1, 2500, 102, P_POLL, 0);
	tb_entry(b, 0, 3000, 101, P_POLL, TASK_A, 0x9000);	/* A#2 */
	tb_entry(b, 0, 3100, 101, P_WAKE, TASK_B, 0x9000);
	tb_switch(b, 0, 3200, 101, TGID, 0, 0, CAT_TASK_INTERRUPTIBLE, 0);
	tb_switch(b, 0, 3003200, 0, 0, 101, TGID, 0, 0);
	tb_entry(b, 0, 3003300, 101, P_FREE, TASK_A, 0x9000);
	tb_ret(b, 0, 3003400, 101, P_POLL, 0);
	tb_entry(b, 1, 3004000, 102, P_POLL, TASK_B, 0x9000);	/* B#2 */
	tb_ret(b, 1, 3004500, 102, P_POLL, 0);
	tb_switch(b, 1, 3004600, 102, TGID, 0, 0, CAT_TASK_INTERRUPTIBLE, 0);
	tb_entry(b, 0, 3005000, 101, P_POLL, TASK_B, 0x9000);	/* B#3, migrated */
	tb_ret(b, 0, 3005500, 101, P_POLL, 0);
	/* no trailer: the JSON must not depend on one */
	return tb_write(b, tag, false, 4000000);
}

static yajl_val load(const char *path)
{
	char err[256], *buf = slurp(path, NULL);
	yajl_val v;

	if (!buf)
		return NULL;
	v = yajl_tree_parse(buf, err, sizeof(err));
	if (!v)
		fprintf(stderr, "parse error: %s\n", err);
	free(buf);
	return v;
}

static yajl_val get(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

static const char *gets(yajl_val obj, const char *key)
{
	yajl_val v = get(obj, key);

	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static long long geti(yajl_val obj, const char *key)
{
	yajl_val v = get(obj, key);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

static double getd(yajl_val obj, const char *key)
{
	yajl_val v = get(obj, key);

	return v && YAJL_IS_NUMBER(v) ? YAJL_GET_DOUBLE(v) : -1;
}

static bool is(yajl_val e, const char *ph, const char *name)
{
	const char *p = gets(e, "ph"), *n = gets(e, "name");

	return p && !strcmp(p, ph) && (!name || (n && !strcmp(n, name)));
}

FIXTURE(conv) {
	char *trace;
	char json[256];
	yajl_val doc;
	yajl_val ev;
};

FIXTURE_SETUP(conv)
{
	struct cat_convert_summary sum;
	char err[512];

	self->trace = make_trace("t");
	ASSERT_NE(NULL, self->trace);
	snprintf(self->json, sizeof(self->json), "%s.json", self->trace);
	ASSERT_EQ(0, cat_convert_file(self->trace, self->json, NULL, &sum,
				      err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(2, sum.tasks);
	EXPECT_EQ(5, sum.polls);
	EXPECT_EQ(1, sum.blocking_polls);
	self->doc = load(self->json);
	ASSERT_NE(NULL, self->doc);
	self->ev = get(self->doc, "traceEvents");
	ASSERT_NE(NULL, self->ev);
	ASSERT_TRUE(YAJL_IS_ARRAY(self->ev));
}

FIXTURE_TEARDOWN(conv)
{
	yajl_tree_free(self->doc);
	unlink(self->json);
	unlink(self->trace);
	free(self->trace);
}

TEST_F(conv, top_level)
{
	EXPECT_STREQ("ns", gets(self->doc, "displayTimeUnit"));
	ASSERT_NE(NULL, get(self->doc, "otherData"));
	EXPECT_EQ(TGID, geti(get(self->doc, "otherData"), "tgid"));
	EXPECT_EQ(5, geti(get(self->doc, "catStats"), "polls"));
}

TEST_F(conv, lanes)
{
	bool thread101 = false, tasks_proc = false, task1 = false, task2 = false;

	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i];
		const char *n = is(e, "M", NULL) ? gets(get(e, "args"), "name") : NULL;

		if (!n)
			continue;
		if (is(e, "M", "thread_name") && geti(e, "pid") == TGID &&
		    !strcmp(n, "tokio-runtime-w 101"))
			thread101 = true;
		if (is(e, "M", "process_name") &&
		    geti(e, "pid") == CAT_JSON_TASKS_PID(TGID) &&
		    strstr(n, "tasks"))
			tasks_proc = true;
		if (is(e, "M", "thread_name") &&
		    geti(e, "pid") == CAT_JSON_TASKS_PID(TGID)) {
			/* no DWARF here: the site is the call address */
			if (geti(e, "tid") == CAT_JSON_TASK_TID(1) &&
			    !strncmp(n, "task 1 0x", 9))
				task1 = true;
			if (geti(e, "tid") == CAT_JSON_TASK_TID(2) &&
			    !strncmp(n, "task 2 ", 7))
				task2 = true;
		}
	}
	EXPECT_TRUE(thread101);
	EXPECT_TRUE(tasks_proc);
	EXPECT_TRUE(task1);
	EXPECT_TRUE(task2);
}

TEST_F(conv, poll_slices_and_args)
{
	int on_threads = 0, on_tasks = 0, blocking = 0;
	static const char *const keys[] = { "task", "spawned_at", "thread",
		"result", "off_cpu_us", "blocking", "context", "location" };

	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i], a;
		const char *cat = gets(e, "cat");

		if (!is(e, "X", NULL) || !cat || strcmp(cat, "poll"))
			continue;
		a = get(e, "args");
		ASSERT_NE(NULL, a);
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			EXPECT_NE(NULL, get(a, keys[k])) TH_LOG("no %s", keys[k]);
		}
		if (geti(e, "pid") == TGID)
			on_threads++;
		else if (geti(e, "pid") == CAT_JSON_TASKS_PID(TGID))
			on_tasks++;
		/* A#2: 3 ms asleep inside the poll */
		if (YAJL_IS_TRUE(get(a, "blocking"))) {
			blocking++;
			EXPECT_STREQ("terrible", gets(e, "cname"));
			EXPECT_EQ(1, geti(a, "task"));
			EXPECT_STREQ("Ready", gets(a, "result"));
			EXPECT_EQ(3000.0, getd(a, "off_cpu_us"));
			EXPECT_EQ(3.0, getd(e, "ts"));	/* µs from start */
			EXPECT_EQ(3000.4, getd(e, "dur"));
			EXPECT_STREQ("tokio-runtime-w 101", gets(a, "thread"));
		}
		if (geti(a, "task") == 1 && getd(e, "ts") == 1.0) {
			EXPECT_STREQ("Pending", gets(a, "result"));
			EXPECT_STREQ("task", gets(a, "context"));
			EXPECT_STREQ("app::main::{{closure}}", gets(a, "location"));
		}
	}
	EXPECT_EQ(5, on_threads);
	EXPECT_EQ(5, on_tasks);
	EXPECT_EQ(2, blocking);		/* on both lanes */
}

/*
 * Each poll names its own task's spawn site, on both lanes, in every
 * poll after the first too (the site is looked up once and cached: a
 * cached site once came out as whatever the stack held, usually the
 * previous task's site). Tasks A and B are polled in turn, each spawned
 * from its own call, so a poll showing the other task's site fails here.
 */
static void check_poll_sites(struct __test_metadata *_metadata, yajl_val ev,
			     int want_polls)
{
	char site_a[32], site_b[32];
	int n = 0;

	snprintf(site_a, sizeof(site_a), "%#llx", SITE_A);
	snprintf(site_b, sizeof(site_b), "%#llx", SITE_B);
	for (size_t i = 0; i < YAJL_GET_ARRAY(ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(ev)->values[i], a;
		const char *cat = gets(e, "cat"), *site, *loc, *want;

		if (!is(e, "X", NULL) || !cat || strcmp(cat, "poll"))
			continue;
		a = get(e, "args");
		ASSERT_NE(NULL, a);
		want = geti(a, "task") == 1 ? site_a : site_b;
		site = gets(a, "spawned_at");
		loc = gets(a, "location");
		ASSERT_NE(NULL, site);
		ASSERT_NE(NULL, loc);
		EXPECT_STREQ(want, site) TH_LOG("task %lld poll %lld",
						geti(a, "task"), geti(a, "poll"));
		/* A#1 polled a nested future; the others show their site */
		if (geti(a, "task") == 1 && geti(a, "poll") == 1) {
			EXPECT_STREQ("app::main::{{closure}}", loc);
		} else {
			EXPECT_STREQ(want, loc);
		}
		n++;
	}
	EXPECT_EQ(want_polls, n);
}

TEST_F(conv, every_poll_names_its_own_spawn_site)
{
	check_poll_sites(_metadata, self->ev, 10);	/* 5 polls, 2 lanes */
}

/* Bad bytes become '?', one each; "é" and the rest stay what they were. */
TEST_F(conv, names_keep_their_utf8)
{
	int spawns = 0;

	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i];
		const char *cat = gets(e, "cat");

		if (!is(e, "X", NULL) || !cat || strcmp(cat, "spawn"))
			continue;
		spawns++;
		EXPECT_STREQ(BIND_SHOWN, gets(e, "name"));
	}
	EXPECT_EQ(2, spawns);
}

TEST_F(conv, flows)
{
	int spawn_s = 0, spawn_f = 0, wake_s = 0, migrate = 0, idle = 0;

	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i];

		if (is(e, "s", "spawn"))
			spawn_s++;
		if (is(e, "f", "spawn")) {
			spawn_f++;
			EXPECT_STREQ("e", gets(e, "bp"));
			EXPECT_EQ(CAT_JSON_TASKS_PID(TGID), geti(e, "pid"));
		}
		if (is(e, "s", "wake")) {
			wake_s++;
			EXPECT_EQ(101, geti(e, "tid"));
		}
		if (is(e, "s", "migrate")) {
			migrate++;
			EXPECT_EQ(102, geti(e, "tid"));
		}
		if (is(e, "X", "off-CPU (idle)")) {
			idle++;
			EXPECT_STREQ("rail_response", gets(e, "cname"));
		}
	}
	EXPECT_EQ(2, spawn_s);
	EXPECT_EQ(2, spawn_f);
	EXPECT_EQ(2, wake_s);	/* B#1 and B#2, both woken by A */
	EXPECT_EQ(1, migrate);	/* B#3 on 101 after B#2 on 102 */
	EXPECT_GE(idle, 1);
}

/* Same trace, same colours: they come from spawn site + ordinal. */
TEST_F(conv, colours_are_stable)
{
	char json2[300], err[512];
	yajl_val doc2, ev2;
	size_t n;

	snprintf(json2, sizeof(json2), "%s.2.json", self->trace);
	ASSERT_EQ(0, cat_convert_file(self->trace, json2, NULL, NULL, err,
				      sizeof(err)));
	doc2 = load(json2);
	ASSERT_NE(NULL, doc2);
	ev2 = get(doc2, "traceEvents");
	n = YAJL_GET_ARRAY(self->ev)->len;
	ASSERT_EQ(n, YAJL_GET_ARRAY(ev2)->len);
	for (size_t i = 0; i < n; i++) {
		yajl_val a = YAJL_GET_ARRAY(self->ev)->values[i];
		yajl_val b = YAJL_GET_ARRAY(ev2)->values[i];
		const char *ca = gets(a, "cname"), *cb = gets(b, "cname");

		if (ca || cb) {
			ASSERT_NE(NULL, ca);
			ASSERT_NE(NULL, cb);
			EXPECT_STREQ(ca, cb);
		}
	}
	yajl_tree_free(doc2);
	unlink(json2);
}

/* A small trace gets full detail by default, and says so. */
TEST_F(conv, auto_detail_is_full_for_a_short_trace)
{
	EXPECT_STREQ("full", gets(get(self->doc, "otherData"), "detail"));
}

/*
 * The same trace in compact detail (what --detail auto picks for long
 * traces): one slice per poll on its thread's lane, args only on the
 * blocking one; one slice per task on the task lanes with its totals;
 * spawn flows kept; nested slices, wake and migration flows left out.
 */
FIXTURE(compact) {
	char *trace;
	char json[256];
	yajl_val doc;
	yajl_val ev;
};

FIXTURE_SETUP(compact)
{
	/* auto with a limit of 4 polls: this 5-poll trace is "long" */
	struct cat_convert_opts o = { .auto_max_polls = 4 };
	struct cat_convert_summary sum;
	char err[512];

	self->trace = make_trace("c");
	ASSERT_NE(NULL, self->trace);
	snprintf(self->json, sizeof(self->json), "%s.json", self->trace);
	ASSERT_EQ(0, cat_convert_file(self->trace, self->json, &o, &sum,
				      err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(CAT_DETAIL_COMPACT, sum.detail);
	EXPECT_EQ(5, sum.polls);
	EXPECT_EQ(1, sum.blocking_polls);
	self->doc = load(self->json);
	ASSERT_NE(NULL, self->doc);
	self->ev = get(self->doc, "traceEvents");
	ASSERT_NE(NULL, self->ev);
	ASSERT_TRUE(YAJL_IS_ARRAY(self->ev));
}

FIXTURE_TEARDOWN(compact)
{
	yajl_tree_free(self->doc);
	unlink(self->json);
	unlink(self->trace);
	free(self->trace);
}

TEST_F(compact, one_slice_per_poll_on_its_thread)
{
	int polls[3] = { 0 }, with_args = 0, on_task_lanes = 0;

	EXPECT_STREQ("compact", gets(get(self->doc, "otherData"), "detail"));
	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i], a;
		const char *n = gets(e, "name");
		const char *cat = gets(e, "cat");

		if (!is(e, "X", NULL) || !n || strncmp(n, "task ", 5) ||
		    (cat && strcmp(cat, "poll")))
			continue;
		if (geti(e, "pid") != TGID) {
			on_task_lanes++;
			continue;
		}
		ASSERT_TRUE(n[5] == '1' || n[5] == '2');
		polls[n[5] - '0']++;
		a = get(e, "args");
		if (!a) {
			EXPECT_EQ(NULL, get(e, "cname"));
			continue;
		}
		/* A#2: slept 3 ms inside the poll */
		with_args++;
		EXPECT_STREQ("task 1", n);
		EXPECT_STREQ("terrible", gets(e, "cname"));
		EXPECT_TRUE(YAJL_IS_TRUE(get(a, "blocking")));
		EXPECT_EQ(3000.0, getd(a, "off_cpu_us"));
		EXPECT_EQ(3.0, getd(e, "ts"));
		EXPECT_EQ(3000.4, getd(e, "dur"));
		EXPECT_EQ(101, geti(e, "tid"));
	}
	EXPECT_EQ(2, polls[1]);
	EXPECT_EQ(3, polls[2]);
	EXPECT_EQ(1, with_args);
	EXPECT_EQ(0, on_task_lanes);
}

TEST_F(compact, polls_with_args_name_their_own_site)
{
	check_poll_sites(_metadata, self->ev, 1);	/* only A#2 has args */
}

TEST_F(compact, plain_poll_is_exact)
{
	int found = 0;

	/* B#2 on thread 102: 3004000..3004500 ns after the start */
	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i];

		if (is(e, "X", "task 2") && geti(e, "tid") == 102 &&
		    getd(e, "ts") == 3004.0) {
			found++;
			EXPECT_EQ(0.5, getd(e, "dur"));
			EXPECT_EQ(TGID, geti(e, "pid"));
		}
	}
	EXPECT_EQ(1, found);
}

TEST_F(compact, task_lanes_hold_each_task_life)
{
	int tasks = 0;

	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i], a;
		const char *cat = gets(e, "cat");

		if (!is(e, "X", NULL) || !cat || strcmp(cat, "task"))
			continue;
		tasks++;
		EXPECT_EQ(CAT_JSON_TASKS_PID(TGID), geti(e, "pid"));
		a = get(e, "args");
		ASSERT_NE(NULL, a);
		EXPECT_NE(NULL, gets(a, "spawned_at"));
		EXPECT_NE(NULL, gets(e, "cname"));
		if (geti(a, "task") == 1) {
			EXPECT_EQ(CAT_JSON_TASK_TID(1), geti(e, "tid"));
			EXPECT_EQ(2, geti(a, "polls"));
			EXPECT_EQ(1, geti(a, "blocking_polls"));
			EXPECT_STREQ("freed", gets(a, "state"));
			EXPECT_EQ(0.1, getd(e, "ts"));	/* spawned */
			EXPECT_EQ(3000.0, getd(a, "off_cpu_us"));
		} else {
			EXPECT_EQ(2, geti(a, "task"));
			EXPECT_EQ(3, geti(a, "polls"));
			EXPECT_EQ(0, geti(a, "blocking_polls"));
			EXPECT_STREQ("not freed", gets(a, "state"));
		}
	}
	EXPECT_EQ(2, tasks);
}

TEST_F(compact, only_spawn_flows_no_nested_slices)
{
	int spawn_s = 0, spawn_f = 0, other_flows = 0, nested = 0;

	for (size_t i = 0; i < YAJL_GET_ARRAY(self->ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(self->ev)->values[i];
		const char *cat = gets(e, "cat");

		if (is(e, "s", "spawn"))
			spawn_s++;
		else if (is(e, "f", "spawn")) {
			spawn_f++;
			/* lands on the first poll, on its thread's lane */
			EXPECT_EQ(TGID, geti(e, "pid"));
		} else if (is(e, "s", NULL) || is(e, "f", NULL))
			other_flows++;
		if (cat && !strcmp(cat, "future"))
			nested++;
	}
	EXPECT_EQ(2, spawn_s);
	EXPECT_EQ(2, spawn_f);
	EXPECT_EQ(0, other_flows);
	EXPECT_EQ(0, nested);
}

/*
 * Every byte of a trace flipped: convert must either fail cleanly
 * (-EINVAL, message with an offset) or write JSON that parses.
 */
TEST(corrupted_traces_convert_cleanly)
{
	char *path = make_trace("fuzz"), bad[300], out[300], err[512];
	struct cat_convert_opts o = { 0 };
	struct cat_convert_summary sum;
	unsigned char *b;
	size_t len, ok = 0, rejected = 0;
	FILE *f;

	ASSERT_NE(NULL, path);
	b = (unsigned char *)slurp(path, &len);
	ASSERT_NE(NULL, b);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	snprintf(out, sizeof(out), "%s.json", path);
	for (size_t i = 0; i < len; i++) {
		int ret;

		b[i] ^= 0x5a;
		f = fopen(bad, "w");
		ASSERT_NE(NULL, f);
		fwrite(b, 1, len, f);
		fclose(f);
		b[i] ^= 0x5a;
		/* odd bytes in compact detail: its polls bypass yajl */
		o.detail = i % 2 ? CAT_DETAIL_COMPACT : CAT_DETAIL_AUTO;
		ret = cat_convert_file(bad, out, &o, &sum, err, sizeof(err));
		/* "written" is what catctl convert's summary relies on */
		EXPECT_EQ(!access(out, F_OK), sum.written) TH_LOG("byte %zu", i);
		if (ret) {
			EXPECT_EQ(-EINVAL, ret);
			EXPECT_NE(NULL, strstr(err, "offset")) TH_LOG("%s", err);
			rejected++;
		}
		if (!access(out, F_OK)) {
			yajl_val v = load(out);

			EXPECT_NE(NULL, v) TH_LOG("byte %zu: JSON does not parse", i);
			yajl_tree_free(v);
			unlink(out);
			ok++;
		}
	}
	TH_LOG("%zu corrupted traces: %zu converted, %zu rejected", len, ok,
	       rejected);
	unlink(bad);
	unlink(path);
	free(path);
	free(b);
}

TEST(bad_input_gives_an_error_not_a_file)
{
	struct cat_convert_summary sum = { .written = true };
	char err[512];
	char out[] = "/tmp/test_json.none.json";

	EXPECT_EQ(-EINVAL, cat_convert_file("/nonexistent.cat", out, NULL,
					    &sum, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent.cat"));
	EXPECT_NE(0, access(out, F_OK));
	EXPECT_FALSE(sum.written);
}

TEST_HARNESS_MAIN
