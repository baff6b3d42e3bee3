// SPDX-License-Identifier: GPL-2.0
/*
 * test_losses - lost and missing records (losses.c) as report and
 * convert show them: per CPU, lost = max(LOST markers, trailer dropped),
 * and the trailer's records against the records the file holds.
 *
 * These once came from the LOST markers alone, so a trace whose trailer
 * said dropped=7 (drops at the end of a session, which get no marker)
 * reported "0 records lost", and records cat.ko wrote that never reached
 * the file were not noticed at all. Each case is checked in the library,
 * in "catctl report" (text and --format json) and in the convert JSON
 * (catStats and the instants at the end), so all of them agree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "ksft.h"

#include "convert.h"
#include "losses.h"
#include "rawfile.h"
#include "testutil.h"
#include "tracebuild.h"

/* the sanitized catctl built for the tests (Makefile) */
#define CATCTL	CAT_CATCTL
#define TASK_A	0x7f0000001000ull
#define TASK_B	0x7f0000002000ull

/* Two tasks, one per CPU, two polls each: 12 records. */
static void base_trace(struct tb *b)
{
	memset(b, 0, sizeof(*b));
	tb_spawn(b, 0, 100, 101, TASK_A, 0x8000);
	tb_spawn(b, 0, 200, 101, TASK_B, 0x8100);
	tb_poll(b, 0, 1000, 100, 101, TASK_A);
	tb_poll(b, 1, 1500, 100, 102, TASK_B);
	tb_poll(b, 0, 3000, 100, 101, TASK_A);
	tb_poll(b, 1, 3500, 100, 102, TASK_B);
}

/* The library's own count over @path. */
static int count(const char *path, struct cat_losses *l)
{
	const struct cat_rec_header *h;
	struct cat_trace_reader *r;
	char err[512];
	int n;

	r = cat_trace_open(path, err, sizeof(err));
	if (!r)
		return -1;
	if (cat_losses_init(l, cat_trace_info(r))) {
		cat_trace_close(r);
		return -1;
	}
	while ((n = cat_trace_next(r, &h)) > 0)
		cat_losses_record(l, cat_trace_cpu(r), h);
	cat_losses_finish(l);
	cat_trace_close(r);
	return n;
}

static yajl_val parse(const char *text)
{
	char err[256];
	yajl_val v = text ? yajl_tree_parse(text, err, sizeof(err)) : NULL;

	if (text && !v)
		fprintf(stderr, "# parse error: %s\n", err);
	return v;
}

static long long num(yajl_val obj, const char *k1, const char *k2)
{
	const char *path[] = { k1, k2, NULL };
	yajl_val v = yajl_tree_get(obj, path, yajl_t_number);

	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

struct views {
	struct cat_losses lib;
	char *text;		/* catctl report */
	yajl_val rep;		/* catctl report -f json */
	yajl_val conv;		/* cat_convert_file()'s JSON */
	char *conv_err;		/* catctl convert's stderr */
	struct cat_convert_summary sum;
};

static void views_load(struct __test_metadata *_metadata, const char *path,
		       struct views *v)
{
	char json[300], err[512];
	char *text;

	memset(v, 0, sizeof(*v));
	ASSERT_EQ(0, count(path, &v->lib));
	v->text = sh("%s report %s 2>&1", CATCTL, path);
	ASSERT_NE(NULL, v->text);
	text = sh("%s report -f json %s 2>/dev/null", CATCTL, path);
	v->rep = parse(text);
	free(text);
	ASSERT_NE(NULL, v->rep);
	snprintf(json, sizeof(json), "%s.json", path);
	ASSERT_EQ(0, cat_convert_file(path, json, NULL, &v->sum, err,
				      sizeof(err))) TH_LOG("%s", err);
	text = sh("cat %s", json);
	v->conv = parse(text);
	free(text);
	ASSERT_NE(NULL, v->conv);
	v->conv_err = sh("%s convert %s -o %s 2>&1 >/dev/null", CATCTL, path,
			 json);
	unlink(json);
}

static void views_free(struct views *v)
{
	cat_losses_free(&v->lib);
	free(v->text);
	free(v->conv_err);
	yajl_tree_free(v->rep);
	yajl_tree_free(v->conv);
}

/* The global instants whose name starts with @prefix. */
static int instants(yajl_val doc, const char *prefix)
{
	const char *path[] = { "traceEvents", NULL };
	const char *ph[] = { "ph", NULL }, *name[] = { "name", NULL };
	yajl_val ev = yajl_tree_get(doc, path, yajl_t_array);
	int n = 0;

	for (size_t i = 0; ev && i < YAJL_GET_ARRAY(ev)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(ev)->values[i];
		yajl_val p = yajl_tree_get(e, ph, yajl_t_string);
		yajl_val s = yajl_tree_get(e, name, yajl_t_string);

		if (p && s && !strcmp(p->u.string, "i") &&
		    !strncmp(s->u.string, prefix, strlen(prefix)))
			n++;
	}
	return n;
}

/* Every view says @lost lost and @missing missing in total. */
static void check_totals(struct __test_metadata *_metadata,
			 const struct views *v, long long lost,
			 long long missing)
{
	char line[128];

	EXPECT_EQ(lost, v->lib.total.lost);
	EXPECT_EQ(missing, v->lib.total.missing);
	snprintf(line, sizeof(line), " blocking, %lld records lost", lost);
	EXPECT_NE(NULL, strstr(v->text, line)) TH_LOG("%s", v->text);
	if (missing) {
		snprintf(line, sizeof(line), "records lost, %lld missing",
			 missing);
		EXPECT_NE(NULL, strstr(v->text, line)) TH_LOG("%s", v->text);
	}
	EXPECT_EQ(lost, num(v->rep, "lost_records", NULL));
	EXPECT_EQ(lost, num(v->conv, "catStats", "lost_records"));
	EXPECT_EQ(lost, v->sum.lost_records);
	EXPECT_EQ(missing, v->sum.missing_records);
	if (v->lib.have_trailer) {
		EXPECT_EQ(missing, num(v->rep, "missing_records", NULL));
		EXPECT_EQ(missing, num(v->conv, "catStats", "missing_records"));
	}
	snprintf(line, sizeof(line), "(%lld lost, %lld missing)", lost,
		 missing);
	EXPECT_NE(NULL, strstr(v->conv_err, line)) TH_LOG("%s", v->conv_err);
}

/* The case: dropped=7 in the trailer, no LOST marker. */
TEST(trailer_drops_without_a_marker_are_lost)
{
	struct views v;
	struct tb b;
	char *path;

	base_trace(&b);
	b.st[0].dropped += 7;	/* dropped after the last record */
	path = tb_write(&b, "nomarker", true, 10000);
	ASSERT_NE(NULL, path);
	views_load(_metadata, path, &v);

	EXPECT_EQ(7, v.lib.cpu[0].lost);
	EXPECT_EQ(0, v.lib.cpu[0].marked);
	EXPECT_EQ(0, v.lib.cpu[1].lost);
	check_totals(_metadata, &v, 7, 0);
	EXPECT_NE(NULL, strstr(v.text, "CPU 0: 7 records lost (buffer full), 7 of them with no LOST marker"))
		TH_LOG("%s", v.text);
	EXPECT_NE(NULL, strstr(v.conv_err, "warning: CPU 0: 7 records lost"));
	EXPECT_EQ(1, instants(v.conv, "LOST 7 records on CPU 0 (no marker"));
	EXPECT_EQ(7, num(v.conv, "catStats", "kernel_dropped"));
	views_free(&v);
	unlink(path);
	free(path);
}

/*
 * max() per CPU, not of the totals: CPU 0 has a marker of 5 and 3 more
 * drops at the end (trailer 8), CPU 1 markers of 4 and a trailer that
 * says 2. Lost: 8 + 4 = 12 (the totals' max would be 10).
 */
TEST(max_of_markers_and_trailer_per_cpu)
{
	struct views v;
	struct tb b;
	char *path;

	base_trace(&b);
	tb_lost(&b, 0, 2000, 5);
	tb_poll(&b, 0, 2100, 100, 101, TASK_A);
	b.st[0].dropped += 3;
	tb_lost(&b, 1, 2600, 4);
	tb_poll(&b, 1, 2700, 100, 102, TASK_B);
	b.st[1].dropped = 2;
	path = tb_write(&b, "max", true, 10000);
	ASSERT_NE(NULL, path);
	views_load(_metadata, path, &v);

	EXPECT_EQ(8, v.lib.cpu[0].lost);
	EXPECT_EQ(4, v.lib.cpu[1].lost);
	EXPECT_EQ(9, v.lib.total.marked);
	EXPECT_EQ(10, v.lib.total.dropped);
	check_totals(_metadata, &v, 12, 0);
	EXPECT_EQ(2, num(v.conv, "catStats", "lost_markers"));
	EXPECT_EQ(9, num(v.conv, "catStats", "lost_in_markers"));
	EXPECT_EQ(1, instants(v.conv, "LOST 3 records on CPU 0 (no marker"));
	EXPECT_EQ(1, instants(v.conv, "LOST 5 records on CPU 0"));
	EXPECT_EQ(1, instants(v.conv, "LOST 4 records on CPU 1"));
	EXPECT_NE(NULL, strstr(v.text, "CPU 1: 4 records lost (buffer full), 2 more in LOST markers than the trailer counts"))
		TH_LOG("%s", v.text);
	views_free(&v);
	unlink(path);
	free(path);
}

/* cat.ko wrote 5 records on CPU 1 that are not in the file. */
TEST(records_written_but_not_in_the_file)
{
	struct views v;
	struct tb b;
	char *path;

	base_trace(&b);
	b.st[1].records += 5;
	path = tb_write(&b, "missing", true, 10000);
	ASSERT_NE(NULL, path);
	views_load(_metadata, path, &v);

	EXPECT_EQ(5, v.lib.cpu[1].missing);
	EXPECT_EQ(v.lib.cpu[1].written - 5, v.lib.cpu[1].read);
	check_totals(_metadata, &v, 0, 5);
	EXPECT_NE(NULL, strstr(v.text, "CPU 1: 5 records written by cat.ko are not in the file"))
		TH_LOG("%s", v.text);
	EXPECT_NE(NULL, strstr(v.conv_err, "warning: CPU 1: 5 records written"));
	EXPECT_EQ(1, instants(v.conv, "MISSING 5 records of CPU 1"));
	views_free(&v);
	unlink(path);
	free(path);
}

/* The other way round: the counters and the file disagree. */
TEST(more_records_than_the_trailer_counts)
{
	struct cat_losses l;
	char what[600];
	struct tb b;
	char *path;

	base_trace(&b);
	b.st[0].records -= 2;
	path = tb_write(&b, "extra", true, 10000);
	ASSERT_NE(NULL, path);
	ASSERT_EQ(0, count(path, &l));
	EXPECT_EQ(2, l.cpu[0].extra);
	EXPECT_EQ(0, l.total.missing);
	EXPECT_TRUE(cat_losses_describe(&l, 0, what, sizeof(what)));
	EXPECT_NE(NULL, strstr(what, "2 more records than the trailer says"));
	EXPECT_FALSE(cat_losses_describe(&l, 1, what, sizeof(what)));
	EXPECT_STREQ("", what);
	cat_losses_free(&l);
	unlink(path);
	free(path);
}

/* Nothing lost: nothing said, and zeros everywhere. */
TEST(a_complete_trace_reports_no_loss)
{
	struct views v;
	struct tb b;
	char *path, what[600];

	base_trace(&b);
	path = tb_write(&b, "clean", true, 10000);
	ASSERT_NE(NULL, path);
	views_load(_metadata, path, &v);
	check_totals(_metadata, &v, 0, 0);
	EXPECT_EQ(12, v.lib.total.read);
	EXPECT_EQ(12, v.lib.total.written);
	for (unsigned int c = 0; c < TB_CPUS; c++) {
		EXPECT_FALSE(cat_losses_describe(&v.lib, c, what, sizeof(what)));
	}
	EXPECT_EQ(NULL, strstr(v.conv_err, "records lost"));
	EXPECT_EQ(NULL, strstr(v.conv_err, "not in the file"));
	EXPECT_EQ(0, instants(v.conv, "LOST"));
	EXPECT_EQ(0, instants(v.conv, "MISSING"));
	views_free(&v);
	unlink(path);
	free(path);
}

/*
 * Without counters (a writer that had none: ncounters 0, or a file cut
 * before its trailer) only the markers are known, and nothing is
 * "missing": zeros would have read as "cat.ko wrote nothing".
 */
TEST(without_counters_only_markers_count)
{
	const char *kc[] = { "catStats", "kernel_counters", NULL };
	const char *kr[] = { "kernel_counters", NULL };
	struct views v;
	struct tb b;
	char *path;

	base_trace(&b);
	tb_lost(&b, 0, 2000, 5);
	tb_poll(&b, 0, 2100, 100, 101, TASK_A);
	path = tb_write(&b, "nocounters", false, 10000);
	ASSERT_NE(NULL, path);
	views_load(_metadata, path, &v);
	EXPECT_FALSE(v.lib.have_trailer);
	check_totals(_metadata, &v, 5, 0);
	EXPECT_NE(NULL, strstr(v.text, "LOST markers only"));
	EXPECT_NE(NULL, yajl_tree_get(v.conv, kc, yajl_t_false));
	EXPECT_NE(NULL, yajl_tree_get(v.rep, kr, yajl_t_false));
	views_free(&v);
	unlink(path);
	free(path);
}

TEST(truncated_trace_counts_its_markers)
{
	struct cat_losses l;
	struct tb b;
	char *path, *out;
	struct stat sb;
	off_t size;

	base_trace(&b);
	tb_lost(&b, 1, 2000, 3);
	tb_poll(&b, 1, 2100, 100, 102, TASK_B);
	b.st[1].dropped += 50;	/* in the trailer, which is cut off */
	path = tb_write(&b, "cut", true, 10000);
	ASSERT_NE(NULL, path);
	ASSERT_EQ(0, stat(path, &sb));
	size = sb.st_size;
	/* the trailer: 16-byte block header, 32 bytes, 2 x 9 counters */
	ASSERT_EQ(0, truncate(path, size - 16 - 32 - 2 * 9 * 8));
	ASSERT_EQ(0, count(path, &l));
	EXPECT_FALSE(l.have_trailer);
	EXPECT_EQ(3, l.total.lost);
	EXPECT_EQ(0, l.total.missing);
	cat_losses_free(&l);
	out = sh("%s report %s 2>&1", CATCTL, path);
	EXPECT_NE(NULL, strstr(out, "3 records lost (LOST markers only"))
		TH_LOG("%s", out);
	free(out);
	unlink(path);
	free(path);
}

TEST_HARNESS_MAIN
