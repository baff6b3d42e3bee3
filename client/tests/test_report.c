// SPDX-License-Identifier: GPL-2.0
/*
 * test_report - "catctl report" on hand-made traces: the text and the
 * --format json output show the same numbers, every time is microseconds
 * with exactly three decimals (the JSON once printed binary doubles such
 * as 29977.419999999998254), and a time that does not exist (the
 * wake-to-poll delay of a task nobody woke) is "-" in the text and null
 * in the JSON, not 0.0.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "ksft.h"

#include "testutil.h"
#include "tracebuild.h"

/* the sanitized catctl built for the tests (Makefile) */
#define CATCTL	CAT_CATCTL
#define TASK_A	0x7f0000001000ull
#define TASK_B	0x7f0000002000ull

/*
 * Task 1 (A): one poll of 29977420 ns, never woken. Task 2 (B): a poll of
 * 1001 ns, a wake, and 1234567 ns later its second poll (250 ns).
 */
static char *make_trace(void)
{
	static struct tb b;

	memset(&b, 0, sizeof(b));
	tb_spawn(&b, 0, 100, 101, TASK_A, 0x8000);
	tb_spawn(&b, 0, 200, 101, TASK_B, 0x8100);
	tb_poll(&b, 0, 1000, 29977420, 101, TASK_A);
	tb_poll(&b, 1, 2000, 1001, 102, TASK_B);
	tb_entry(&b, 1, 5000, 102, TB_WAKE, TASK_B, 0x9100);
	tb_poll(&b, 1, 5000 + 1234567, 250, 102, TASK_B);
	return tb_write(&b, "report", true, 40000000);
}

FIXTURE(report) {
	char *trace;
	char *text;
	char *json;
	yajl_val doc;
};

FIXTURE_SETUP(report)
{
	char err[256];

	self->trace = make_trace();
	ASSERT_NE(NULL, self->trace);
	self->text = sh("%s report %s 2>/dev/null", CATCTL, self->trace);
	self->json = sh("%s report -f json %s 2>/dev/null", CATCTL,
			self->trace);
	ASSERT_NE(NULL, self->text);
	ASSERT_NE(NULL, self->json);
	self->doc = yajl_tree_parse(self->json, err, sizeof(err));
	ASSERT_NE(NULL, self->doc) TH_LOG("%s\n%s", err, self->json);
}

FIXTURE_TEARDOWN(report)
{
	yajl_tree_free(self->doc);
	free(self->text);
	free(self->json);
	unlink(self->trace);
	free(self->trace);
}

static yajl_val task(yajl_val doc, long long id)
{
	const char *tp[] = { "tasks", NULL }, *ip[] = { "id", NULL };
	yajl_val a = yajl_tree_get(doc, tp, yajl_t_array);

	for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++) {
		yajl_val t = YAJL_GET_ARRAY(a)->values[i];
		yajl_val v = yajl_tree_get(t, ip, yajl_t_number);

		if (v && YAJL_GET_INTEGER(v) == id)
			return t;
	}
	return NULL;
}

/* The number's text as the report wrote it ("" if not a number). */
static const char *raw(yajl_val obj, const char *key)
{
	const char *p[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, p, yajl_t_number);

	return v ? v->u.number.r : "";
}

static bool is_null(yajl_val obj, const char *key)
{
	const char *p[] = { key, NULL };
	yajl_val v = yajl_tree_get(obj, p, yajl_t_any);

	return v && YAJL_IS_NULL(v);
}

/* The text row of task @id, split into columns (static storage). */
static int row(const char *text, long long id, char cols[16][64])
{
	char want[32], line[512];
	const char *p = text;
	int n = 0;

	snprintf(want, sizeof(want), "%lld", id);
	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *tok, *save;

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = '\0';
		p = e ? e + 1 : NULL;
		if (line[0] == '#')
			continue;
		tok = strtok_r(line, " ", &save);
		if (!tok || strcmp(tok, want))
			continue;
		while (tok && n < 16) {
			snprintf(cols[n++], 64, "%s", tok);
			tok = strtok_r(NULL, " ", &save);
		}
		return n;
	}
	return 0;
}

TEST_F(report, times_have_exactly_three_decimals)
{
	yajl_val a = task(self->doc, 1), b = task(self->doc, 2);

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_STREQ("29977.420", raw(a, "busy_us"));
	EXPECT_STREQ("29977.420", raw(a, "longest_poll_us"));
	EXPECT_STREQ("0.000", raw(a, "off_cpu_us"));
	EXPECT_STREQ("1.251", raw(b, "busy_us"));
	EXPECT_STREQ("1.001", raw(b, "longest_poll_us"));
	EXPECT_STREQ("1234.567", raw(b, "wake_to_poll_median_us"));
	EXPECT_STREQ("1234.567", raw(b, "wake_to_poll_max_us"));
}

/* Every number in the JSON text: an integer or N.DDD, nothing else. */
TEST_F(report, no_number_is_a_binary_double)
{
	bool in_str = false;
	int numbers = 0;

	for (const char *p = self->json; *p; p++) {
		const char *s;
		int dec = -1;

		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"') {
			in_str = true;
			continue;
		}
		if (!isdigit((unsigned char)*p) && *p != '-')
			continue;
		s = p;
		if (*p == '-')
			p++;
		while (isdigit((unsigned char)*p) || *p == '.' || *p == 'e' ||
		       *p == 'E' || *p == '+') {
			if (*p == '.')
				dec = 0;
			else if (dec >= 0 && isdigit((unsigned char)*p))
				dec++;
			else if (!isdigit((unsigned char)*p))
				dec = 99;	/* exponent */
			p++;
		}
		numbers++;
		EXPECT_TRUE(dec == -1 || dec == 3)
			TH_LOG("number '%.*s'", (int)(p - s), s);
		p--;
	}
	EXPECT_LT(20, numbers);
}

/* No wake: "-" in the text, null in the JSON, and no "wakes". */
TEST_F(report, a_missing_time_is_null_not_zero)
{
	yajl_val a = task(self->doc, 1), b = task(self->doc, 2);
	char cols[16][64];

	ASSERT_NE(NULL, a);
	EXPECT_TRUE(is_null(a, "wake_to_poll_median_us"));
	EXPECT_TRUE(is_null(a, "wake_to_poll_max_us"));
	EXPECT_STREQ("0", raw(a, "wakes"));
	EXPECT_FALSE(is_null(b, "wake_to_poll_median_us"));
	/* TASK SITE POLLS BUSY OFF-CPU LONGEST WAKE-MED WAKE-MAX BLOCK STATE */
	ASSERT_LE(10, row(self->text, 1, cols)) TH_LOG("%s", self->text);
	EXPECT_STREQ("-", cols[6]);
	EXPECT_STREQ("-", cols[7]);
}

/* The text shows the JSON's digits, column for column. */
TEST_F(report, text_and_json_agree)
{
	static const char *const keys[] = { "busy_us", "off_cpu_us",
		"longest_poll_us", "wake_to_poll_median_us",
		"wake_to_poll_max_us" };
	const char *wp[] = { "worst_polls", NULL };
	char cols[16][64];
	yajl_val w;

	for (long long id = 1; id <= 2; id++) {
		yajl_val t = task(self->doc, id);

		ASSERT_NE(NULL, t);
		ASSERT_LE(10, row(self->text, id, cols)) {
			TH_LOG("%s", self->text);
		}
		EXPECT_STREQ(raw(t, "polls"), cols[2]);
		for (int k = 0; k < 5; k++) {
			if (is_null(t, keys[k])) {
				EXPECT_STREQ("-", cols[3 + k]);
			} else {
				EXPECT_STREQ(raw(t, keys[k]), cols[3 + k])
					TH_LOG("task %lld %s", id, keys[k]);
			}
		}
	}
	/* the worst poll: task 1's, 29977.420 us */
	EXPECT_NE(NULL, strstr(self->text, "29977.420"));
	w = yajl_tree_get(self->doc, wp, yajl_t_array);
	ASSERT_NE(NULL, w);
	ASSERT_LT(0, YAJL_GET_ARRAY(w)->len);
	EXPECT_STREQ("29977.420", raw(YAJL_GET_ARRAY(w)->values[0], "duration_us"));
	EXPECT_STREQ("1.000", raw(YAJL_GET_ARRAY(w)->values[0], "start_us"));
}

/* the names in task @id's "lints" array, comma-separated */
static void lint_names(yajl_val doc, long long id, char *buf, size_t len)
{
	const char *lp[] = { "lints", NULL };
	yajl_val a = yajl_tree_get(task(doc, id), lp, yajl_t_array);

	buf[0] = '\0';
	for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "",
			 YAJL_GET_STRING(YAJL_GET_ARRAY(a)->values[i]));
}

/*
 * Lints (lints.h): task 1's 29977 us poll is over the 10 ms long-poll
 * limit; neither task was freed before the trace ended. The text lists
 * the tasks per lint, the JSON each task's lints.
 */
TEST_F(report, lints_in_json_and_text)
{
	char l[128];

	lint_names(self->doc, 1, l, sizeof(l));
	EXPECT_STREQ("long-poll,alive-at-exit", l);
	lint_names(self->doc, 2, l, sizeof(l));
	EXPECT_STREQ("alive-at-exit", l);
	EXPECT_NE(NULL, strstr(self->text, "\nlong-poll (a poll longer than the long-poll limit): task 1\n"))
		TH_LOG("%s", self->text);
	EXPECT_NE(NULL, strstr(self->text, "\nalive-at-exit (not freed when the trace ended): task 1 2\n"));
	EXPECT_EQ(NULL, strstr(self->text, "self-wakes ("));
}

/* the "sites" entry of spawn site @site (as report prints an address) */
static yajl_val site_of(yajl_val doc, const char *site)
{
	const char *sp[] = { "sites", NULL };
	yajl_val a = yajl_tree_get(doc, sp, yajl_t_array);

	for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++) {
		yajl_val v = YAJL_GET_ARRAY(a)->values[i];
		const char *k[] = { "spawned_at", NULL };
		yajl_val s = yajl_tree_get(v, k, yajl_t_string);

		if (s && !strcmp(YAJL_GET_STRING(s), site))
			return v;
	}
	return NULL;
}

static const char *pct(yajl_val site, const char *hist, const char *p)
{
	const char *k[] = { hist, p, NULL };
	yajl_val v = yajl_tree_get(site, k, yajl_t_number);

	return v ? YAJL_GET_NUMBER(v) : "(none)";
}

/*
 * Per site: task count, polls, poll-time and scheduled-time percentiles
 * as hist.h defines them (the upper bound of the rank's bucket, never
 * above the exact maximum): 250 ns lies in [240, 255], 1001 in [960,
 * 1023] (so its p99 is the maximum, 1001), a single sample is itself.
 */
TEST_F(report, per_site_histograms)
{
	yajl_val a = site_of(self->doc, "0x8000"), b = site_of(self->doc, "0x8100");
	const char *k[] = { "scheduled_us", NULL };

	ASSERT_NE(NULL, a) TH_LOG("%s", self->json);
	ASSERT_NE(NULL, b);
	EXPECT_STREQ("1", raw(a, "tasks"));
	EXPECT_STREQ("1", raw(a, "polls"));
	EXPECT_STREQ("29977.420", pct(a, "poll_us", "p50"));
	EXPECT_STREQ("29977.420", pct(a, "poll_us", "max"));
	EXPECT_STREQ("0", raw(a, "wakes"));
	EXPECT_NE(NULL, yajl_tree_get(a, k, yajl_t_null));
	EXPECT_STREQ("2", raw(b, "polls"));
	EXPECT_STREQ("0.255", pct(b, "poll_us", "p50"));
	EXPECT_STREQ("1.001", pct(b, "poll_us", "p90"));
	EXPECT_STREQ("1.001", pct(b, "poll_us", "p99"));
	EXPECT_STREQ("1.001", pct(b, "poll_us", "max"));
	EXPECT_STREQ("1", raw(b, "wakes"));
	EXPECT_STREQ("1234.567", pct(b, "scheduled_us", "p50"));
	EXPECT_STREQ("1234.567", pct(b, "scheduled_us", "max"));
	/* the text table: the same numbers */
	EXPECT_NE(NULL, strstr(self->text, "# spawn sites"));
	EXPECT_NE(NULL, strstr(self->text, "     0.255      1.001      1.001      1.001        1   1234.567"))
		TH_LOG("%s", self->text);
}

/*
 * The task tree: a task spawned inside another task's poll names it
 * (spawned_by_task) and is listed under it; tasks spawned outside any
 * poll have no parent and are not in the tree.
 */
TEST(task_tree)
{
	static struct tb b;
	char *trace, *text, *json, err[256];
	yajl_val doc, t;

	memset(&b, 0, sizeof(b));
	tb_spawn(&b, 0, 100, 101, TASK_A, 0x8000);
	tb_entry(&b, 0, 1000, 101, TB_POLL, TASK_A, 0x9000);
	tb_spawn(&b, 0, 1100, 101, TASK_B, 0x8100);
	tb_ret(&b, 0, 2000, 101, TB_POLL, 0);
	tb_poll(&b, 0, 3000, 500, 101, TASK_B);
	trace = tb_write(&b, "tree", true, 40000000);
	ASSERT_NE(NULL, trace);
	text = sh("%s report %s 2>/dev/null", CATCTL, trace);
	json = sh("%s report -f json %s 2>/dev/null", CATCTL, trace);
	ASSERT_NE(NULL, text);
	ASSERT_NE(NULL, json);
	doc = yajl_tree_parse(json, err, sizeof(err));
	ASSERT_NE(NULL, doc) TH_LOG("%s", err);
	t = task(doc, 2);
	ASSERT_NE(NULL, t);
	EXPECT_STREQ("1", raw(t, "spawned_by_task"));
	ASSERT_NE(NULL, task(doc, 1));
	EXPECT_STREQ("", raw(task(doc, 1), "spawned_by_task"));
	EXPECT_NE(NULL, strstr(text, "# task tree"));
	EXPECT_NE(NULL, strstr(text, "\ntask 1 0x8000 (idle)\n  task 2 0x8100 (idle)\n"))
		TH_LOG("%s", text);
	yajl_tree_free(doc);
	free(text);
	free(json);
	unlink(trace);
	free(trace);
}

TEST_HARNESS_MAIN
