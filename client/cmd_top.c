// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_top.c - "catctl top --replay trace.cat": tokio-console's task view
 * from a recorded trace, without instrumenting the program. One row per
 * task instance (toptable.h), replayed in trace time (replay.h) with
 * play/pause, speed and seek, sortable by any column, filtered by text,
 * with a detail view per task (its poll-time and scheduled-time
 * histograms, hist.h). --batch prints the same table as text: once at
 * the end of the trace, or every --interval of trace time.
 *
 * The terminal UI redraws at a fixed rate (10 per second) whatever the
 * event rate: a frame feeds the records of its slice of trace time, then
 * draws at most a screenful of rows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "catctl.h"
#include "debuginfo.h"
#include "rawfile.h"
#include "replay.h"
#include "spawnsite.h"
#include "srcloc.h"
#include "toptable.h"

#define FRAME_NS	100000000ull	/* 10 redraws per second */

struct top {
	struct cat_replay *rp;
	struct cat_top_view view;
	char filter[128];
	struct cat_ts_task **rows;
	size_t nrows, caprows;
	double speed;		/* trace time per wall time */
	bool paused;
	uint64_t interval_ns;	/* --batch: 0 = once at the end */
	uint64_t detail;	/* task id of the detail view, 0: none */
	bool threads;		/* the thread view (UI), the thread table too (--batch) */
	size_t sel, scroll;
	char err[512];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: catctl top --replay TRACE.cat [options]\n"
		"The task view of a recorded trace, replayed in trace time: one row\n"
		"per task instance (state, polls, busy, scheduled and idle time,\n"
		"longest poll, last thread, parent task, spawn site).\n"
		"\n"
		"      --replay TRACE.cat      the trace to replay (catctl start --raw)\n"
		"  -B, --batch                 print the table as text instead of the\n"
		"                              terminal UI: once at the end of the trace,\n"
		"                              or every --interval of trace time\n"
		"  -i, --interval MS           --batch: a table every MS ms of trace time\n"
		"      --speed X               start at X times real time (1)\n"
		"  -s, --sort COLUMN           id, state, polls, busy, scheduled, idle,\n"
		"                              longest, thread, parent, warnings, site (id)\n"
		"  -r, --reverse               the other order\n"
		"      --filter TEXT           only tasks whose site contains TEXT, or\n"
		"                              whose state is TEXT\n"
		"      --hide-done             leave out tasks that ended\n"
		"      --threads               the thread view first (--batch: the\n"
		"                              thread table after each task table)\n"
		"  -b, --binary PATH           read DWARF from PATH\n"
		CAT_DEBUGINFO_USAGE
		"\n"
		"Keys: space pause/play, + and - speed, left/right seek 1 s (shift: 10 s),\n"
		"home start, end the end, up/down select, enter task details, s next\n"
		"sort column, r reverse, / filter (enter to apply), t threads, esc back,\n"
		"q quit.\n"
		"Live tracing (--binary/--pid) is not in this version: record with\n"
		"\"catctl start --raw\" and replay the file.\n");
}

static int select_rows(struct top *t)
{
	struct cat_taskstats *ts = cat_replay_stats(t->rp);
	size_t n;

	t->view.ended = cat_replay_done(t->rp);
	cat_taskstats_tasks(ts, &n);
	if (n > t->caprows) {
		struct cat_ts_task **nr = realloc(t->rows, n * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		t->rows = nr;
		t->caprows = n;
	}
	t->nrows = cat_top_select(ts, &t->view, t->rows);
	return 0;
}

static const char *trace_time(const struct top *t, char buf[32])
{
	uint64_t ns = cat_replay_now(t->rp) - cat_replay_start(t->rp);

	snprintf(buf, 32, "%" PRIu64 ".%06u s", (uint64_t)(ns / 1000000000ull),
		 (unsigned int)(ns / 1000 % 1000000));
	return buf;
}

/* --batch: one table, headed by the trace time it shows */
static int print_table(struct top *t)
{
	char line[1024], tt[32];

	if (select_rows(t))
		return -ENOMEM;
	printf("# catctl top at %s of %s: %zu tasks\n", trace_time(t, tt),
	       "the trace", t->nrows);
	cat_top_header(line, sizeof(line), 0);
	printf("%s\n", line);
	for (size_t i = 0; i < t->nrows; i++) {
		cat_top_row(&t->view, t->rows[i], line, sizeof(line), 0);
		printf("%s\n", line);
	}
	if (t->threads) {
		struct cat_ts_thread *const *th;
		size_t n;

		th = cat_taskstats_threads(cat_replay_stats(t->rp), &n);
		printf("# threads: off-CPU time by state (us)\n");
		cat_top_thread_header(line, sizeof(line), 0);
		printf("%s\n", line);
		for (size_t i = 0; i < n; i++) {
			cat_top_thread_row(th[i], line, sizeof(line), 0);
			printf("%s\n", line);
		}
	}
	return fflush(stdout) ? -EIO : 0;
}

static int run_batch(struct top *t)
{
	uint64_t at = cat_replay_start(t->rp);
	int ret;

	for (;;) {
		at = t->interval_ns ? at + t->interval_ns : UINT64_MAX;
		ret = cat_replay_seek(t->rp, at, t->err, sizeof(t->err));
		if (ret)
			return ret;
		ret = print_table(t);
		if (ret || cat_replay_done(t->rp))
			return ret;
		printf("\n");
	}
}

/* ---- terminal UI ---- */

/* A histogram's percentiles, one line. */
static void hist_line(int y, const char *what, const struct cat_hist *h)
{
	char b[4][32];

	if (!h || !h->count) {
		mvprintw(y, 2, "%-16s no sample", what);
		return;
	}
	mvprintw(y, 2, "%-16s n %" PRIu64 "  p50 %s  p90 %s  p99 %s  max %s us",
		 what, h->count, cat_top_us(b[0], cat_hist_pct(h, 50)),
		 cat_top_us(b[1], cat_hist_pct(h, 90)),
		 cat_top_us(b[2], cat_hist_pct(h, 99)),
		 cat_top_us(b[3], h->max));
}

/* Bars of a histogram by power of two, from its first to its last. */
static int hist_bars(int y, int rows, const struct cat_hist *h)
{
	uint64_t by2[CAT_HIST_MAX_EXP + 1] = { 0 }, max = 0;
	int lo = -1, hi = -1, w = COLS - 30;
	char b[32];

	if (!h || !h->count || w < 10)
		return y;
	for (unsigned int i = 0; i < CAT_HIST_BUCKETS; i++) {
		uint64_t up = cat_hist_upper(i);
		int e = up >= (1ull << CAT_HIST_MAX_EXP) ? CAT_HIST_MAX_EXP :
			63 - __builtin_clzll(up | 1);

		by2[e] += h->b[i];
	}
	for (int e = 0; e <= CAT_HIST_MAX_EXP; e++) {
		if (!by2[e])
			continue;
		if (lo < 0)
			lo = e;
		hi = e;
		if (by2[e] > max)
			max = by2[e];
	}
	for (int e = lo; e <= hi && rows-- > 0; e++, y++) {
		int n = (int)(by2[e] * (uint64_t)w / max);

		mvprintw(y, 4, "< %12s us %8" PRIu64 " ",
			 cat_top_us(b, e >= 63 ? UINT64_MAX : (2ull << e)), by2[e]);
		for (int i = 0; i < n; i++)
			addch('#');
	}
	return y;
}

static void draw_detail(struct top *t)
{
	struct cat_ts_task *k = cat_taskstats_find(cat_replay_stats(t->rp),
						   t->detail);
	char b[6][32];
	int y = 2;

	if (!k) {
		mvprintw(y, 0, "task %" PRIu64 " is not in the trace yet", t->detail);
		return;
	}
	mvprintw(y++, 0, "task %" PRIu64 "  %s", k->id, cat_ts_state_name(k->state));
	mvprintw(y++, 2, "spawned at  %s", k->site);
	mvprintw(y++, 2, "parent      %s",
		 k->parent ? (snprintf(b[0], 32, "task %" PRIu64, k->parent), b[0]) : "-");
	mvprintw(y++, 2, "spawned     %u tasks", k->children);
	mvprintw(y++, 2, "polls %u  busy %s us  scheduled %s us  idle %s us  longest %s us",
		 k->polls, cat_top_us(b[1], k->busy_ns),
		 cat_top_us(b[2], k->sched_ns), cat_top_us(b[3], k->idle_ns),
		 cat_top_us(b[4], k->longest_ns));
	mvprintw(y++, 2, "woken %u times (%u from its own poll), %u polls after a wake  blocking polls %u  last thread %u",
		 k->woken, k->woken_self, k->wakes, k->blocking_polls, k->last_tid);
	mvprintw(y++, 2, "warnings    %s",
		 cat_lints_str(cat_lints_of(k, &t->view.lints, t->view.ended),
			       b[5], sizeof(b[5])));
	y++;
	hist_line(y++, "poll time", k->poll_hist);
	y = hist_bars(y, (LINES - y) / 2 - 1, k->poll_hist);
	y++;
	hist_line(y++, "scheduled time", k->sched_hist);
	hist_bars(y, LINES - y - 1, k->sched_hist);
}

static void draw_threads(struct top *t)
{
	struct cat_ts_thread *const *th;
	char line[512];
	size_t n;

	th = cat_taskstats_threads(cat_replay_stats(t->rp), &n);
	cat_top_thread_header(line, sizeof(line), COLS);
	attron(A_BOLD);
	mvprintw(1, 0, "%s", line);
	attroff(A_BOLD);
	for (size_t i = 0; i < n && (int)i < LINES - 3; i++) {
		cat_top_thread_row(th[i], line, sizeof(line), COLS);
		mvprintw(2 + i, 0, "%s", line);
	}
}

static void draw_table(struct top *t)
{
	char line[1024];
	int rows = LINES - 3;

	if (t->sel >= t->nrows)
		t->sel = t->nrows ? t->nrows - 1 : 0;
	if (t->sel < t->scroll)
		t->scroll = t->sel;
	if (rows > 0 && t->sel >= t->scroll + (size_t)rows)
		t->scroll = t->sel - rows + 1;
	cat_top_header(line, sizeof(line), COLS);
	attron(A_BOLD);
	mvprintw(1, 0, "%s", line);
	attroff(A_BOLD);
	for (int i = 0; i < rows && t->scroll + i < t->nrows; i++) {
		size_t r = t->scroll + i;

		cat_top_row(&t->view, t->rows[r], line, sizeof(line), COLS);
		if (r == t->sel)
			attron(A_REVERSE);
		mvprintw(2 + i, 0, "%s", line);
		if (r == t->sel)
			attroff(A_REVERSE);
	}
}

static void draw(struct top *t, bool editing)
{
	char tt[32];
	uint64_t len = cat_replay_end(t->rp) - cat_replay_start(t->rp);

	erase();
	select_rows(t);
	attron(A_REVERSE);
	mvprintw(0, 0, " catctl top  %s / %" PRIu64 ".%03u s  %s x%g  %zu tasks  sort %s%s%s%s ",
		 trace_time(t, tt), (uint64_t)(len / 1000000000ull),
		 (unsigned int)(len / 1000000 % 1000),
		 cat_replay_done(t->rp) ? "end" : t->paused ? "paused" : "playing",
		 t->speed, t->nrows, cat_top_col_name(t->view.sort),
		 t->view.reverse ? " (reversed)" : "",
		 t->filter[0] || editing ? "  filter: " : "", t->filter);
	attroff(A_REVERSE);
	if (t->detail)
		draw_detail(t);
	else if (t->threads)
		draw_threads(t);
	else
		draw_table(t);
	if (t->err[0])
		mvprintw(LINES - 1, 0, "%s", t->err);
	refresh();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void seek_by(struct top *t, int64_t d)
{
	uint64_t now = cat_replay_now(t->rp), start = cat_replay_start(t->rp);
	uint64_t to = d < 0 && (uint64_t)-d > now - start ? start : now + d;

	cat_replay_seek(t->rp, to, t->err, sizeof(t->err));
}

/* One key; false to quit. */
static bool key(struct top *t, int c, bool *editing)
{
	size_t n;

	if (*editing) {
		n = strlen(t->filter);
		if (c == '\n' || c == KEY_ENTER || c == 27) {
			*editing = false;
		} else if ((c == KEY_BACKSPACE || c == 127 || c == 8) && n) {
			t->filter[n - 1] = '\0';
		} else if (c >= 32 && c < 127 && n + 1 < sizeof(t->filter)) {
			t->filter[n] = (char)c;
			t->filter[n + 1] = '\0';
		}
		t->view.filter = t->filter;
		return true;
	}
	switch (c) {
	case 'q':
		return false;
	case 27:	/* esc: back (an unknown key sequence must not quit) */
		t->detail = 0;
		break;
	case ' ':
		t->paused = !t->paused;
		break;
	case '+':
		t->speed = t->speed < 1000 ? t->speed * 2 : t->speed;
		break;
	case '-':
		t->speed = t->speed > 0.001 ? t->speed / 2 : t->speed;
		break;
	case KEY_RIGHT:
		seek_by(t, 1000000000ll);
		break;
	case KEY_SRIGHT:
		seek_by(t, 10000000000ll);
		break;
	case KEY_LEFT:
		seek_by(t, -1000000000ll);
		break;
	case KEY_SLEFT:
		seek_by(t, -10000000000ll);
		break;
	case KEY_HOME:
		cat_replay_seek(t->rp, 0, t->err, sizeof(t->err));
		break;
	case KEY_END:
		cat_replay_seek(t->rp, UINT64_MAX, t->err, sizeof(t->err));
		break;
	case KEY_UP:
		if (t->sel)
			t->sel--;
		break;
	case KEY_DOWN:
		t->sel++;
		break;
	case KEY_NPAGE:
		t->sel += LINES > 4 ? LINES - 4 : 1;
		break;
	case KEY_PPAGE:
		t->sel = t->sel > (size_t)LINES ? t->sel - LINES + 4 : 0;
		break;
	case '\n':
	case KEY_ENTER:
		if (!t->detail && t->sel < t->nrows)
			t->detail = t->rows[t->sel]->id;
		break;
	case 's':
		t->view.sort = (t->view.sort + 1) % CAT_TOP_NCOLS;
		t->view.reverse = cat_top_col_descending(t->view.sort);
		break;
	case 'r':
		t->view.reverse = !t->view.reverse;
		break;
	case 't':
		t->threads = !t->threads;
		break;
	case '/':
		*editing = true;
		break;
	}
	return true;
}

static int run_ui(struct top *t)
{
	uint64_t last = now_ns();
	bool editing = false;

	setlocale(LC_ALL, "");
	if (!initscr()) {
		fprintf(stderr, "catctl top: cannot use the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return -EIO;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	timeout(FRAME_NS / 1000000);
	for (;;) {
		uint64_t now = now_ns();
		int c;

		if (!t->paused && !cat_replay_done(t->rp)) {
			uint64_t d = (uint64_t)((double)(now - last) * t->speed);

			cat_replay_seek(t->rp, cat_replay_now(t->rp) + d, t->err,
					sizeof(t->err));
		}
		last = now;
		draw(t, editing);
		c = getch();
		if (c != ERR && !key(t, c, &editing))
			break;
	}
	endwin();
	return 0;
}

static int top_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "replay", required_argument, NULL, 'R' },
		{ "batch", no_argument, NULL, 'B' },
		{ "interval", required_argument, NULL, 'i' },
		{ "speed", required_argument, NULL, 'S' },
		{ "sort", required_argument, NULL, 's' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "filter", required_argument, NULL, 'F' },
		{ "hide-done", no_argument, NULL, 'H' },
		{ "threads", no_argument, NULL, 'T' },
		{ "binary", required_argument, NULL, 'b' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		CAT_DEBUGINFO_LONGOPTS,
		{}
	};
	struct cat_debuginfo_opts so = { 0 };
	struct cat_rebuild_opts ro = {
		.block_offcpu_ns = CAT_DEFAULT_BLOCK_OFFCPU_NS,
		.long_poll_ns = CAT_DEFAULT_LONG_POLL_NS,
	};
	struct top t = { .speed = 1, .view.sort = CAT_TOP_ID };
	const char *replay = NULL, *binary = NULL;
	struct cat_trace_reader *rd;
	const struct cat_trace_info *in;
	struct cat_spawnsites *ss = NULL;
	struct cat_dwarf *dw;
	bool batch = false, reverse = false;
	int c, n, ret;
	char *end;
	double v;

	while ((c = getopt_long(argc, argv, "Bi:s:rb:h", opts, NULL)) != -1) {
		n = cat_debuginfo_getopt(&so, c, optarg);
		if (n < 0)
			return CATCTL_EXIT_USAGE;
		if (n)
			continue;
		switch (c) {
		case 'R':
			replay = optarg;
			break;
		case 'B':
			batch = true;
			break;
		case 'i':
		case 'S':
			errno = 0;
			v = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(v > 0) || v > 1e9) {
				fprintf(stderr, "catctl top: bad number '%s'\n", optarg);
				return CATCTL_EXIT_USAGE;
			}
			if (c == 'i')
				t.interval_ns = (uint64_t)(v * 1e6);
			else
				t.speed = v;
			break;
		case 's':
			n = cat_top_col_parse(optarg);
			if (n < 0) {
				fprintf(stderr, "catctl top: no column '%s' (id, state, polls, busy, scheduled, idle, longest, thread, parent, warnings, site)\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			t.view.sort = n;
			break;
		case 'r':
			reverse = true;
			break;
		case 'F':
			snprintf(t.filter, sizeof(t.filter), "%s", optarg);
			t.view.filter = t.filter;
			break;
		case 'H':
			t.view.hide_done = true;
			break;
		case 'T':
			t.threads = true;
			break;
		case 'b':
			binary = optarg;
			break;
		case 'p':
			fprintf(stderr, "catctl top: live tracing (--pid) is not in this version: record with \"catctl start --raw FILE\" and use --replay FILE\n");
			return CATCTL_EXIT_USAGE;
		case 'h':
			usage(stdout);
			return CATCTL_EXIT_OK;
		default:
			usage(stderr);
			return CATCTL_EXIT_USAGE;
		}
	}
	if (optind < argc || !replay) {
		if (!replay && binary && optind == argc)
			fprintf(stderr, "catctl top: live tracing (--binary) is not in this version: record with \"catctl start --raw FILE\" and use --replay FILE\n");
		else
			usage(stderr);
		return CATCTL_EXIT_USAGE;
	}
	t.view.reverse = cat_top_col_descending(t.view.sort) != reverse;
	cat_lint_defaults(&t.view.lints);
	if (!batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "catctl top: not a terminal: use --batch\n");
		return CATCTL_EXIT_USAGE;
	}

	/* the binary's DWARF, found from the trace's header as report does */
	rd = cat_trace_open(replay, t.err, sizeof(t.err));
	if (!rd) {
		fprintf(stderr, "catctl top: %s\n", t.err);
		return CATCTL_EXIT_BAD_INPUT;
	}
	in = cat_trace_info(rd);
	so.binary = binary;
	so.trace = replay;
	dw = cat_debuginfo_open("catctl top", in->binary, in->build_id,
				in->build_id_len, &so, &n);
	cat_trace_close(rd);
	if (n)
		return CATCTL_EXIT_FAILURE;
	if (dw && cat_dwarf_has_debuginfo(dw))
		ss = cat_spawnsites_open(cat_dwarf_exe(dw), dw);
	t.rp = cat_replay_open(replay, dw, ss, &ro, t.err, sizeof(t.err));
	if (!t.rp) {
		fprintf(stderr, "catctl top: %s\n", t.err);
		ret = CATCTL_EXIT_BAD_INPUT;
		goto out;
	}
	ret = batch ? run_batch(&t) : run_ui(&t);
	if (ret == -EIO && t.err[0])
		fprintf(stderr, "catctl top: %s (showing what came before)\n", t.err);
	else if (ret == -ENOMEM)
		fprintf(stderr, "catctl top: out of memory\n");
	ret = !ret ? CATCTL_EXIT_OK : ret == -EIO ? CATCTL_EXIT_BAD_INPUT :
	      CATCTL_EXIT_FAILURE;
out:
	cat_replay_free(t.rp);
	free(t.rows);
	cat_spawnsites_free(ss);
	cat_dwarf_close(dw);
	return ret;
}

const struct catctl_cmd cmd_top = {
	.name = "top",
	.summary = "tokio-console's task view of a recorded trace (--batch: as text)",
	.run = top_main,
};
