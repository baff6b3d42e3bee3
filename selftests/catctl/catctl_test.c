// SPDX-License-Identifier: GPL-2.0
/*
 * catctl_test - trace the bundled tokio and async-std programs end to end
 * with "catctl start", in debug and release builds, launched and attached
 * with --pid, and check that the trace agrees with what each program says
 * it did (its "cat-expect:" lines, see selftests/rust/README.md):
 *
 *  - catctl and the program exit 0, and no record was dropped;
 *  - every probe entry is matched by its return on the same thread;
 *  - one task instance per spawned task, tied to its spawn line, with the
 *    number of polls the program counted; the line comes from the
 *    unwound spawn backtrace (catctl start copies the stack at spawn
 *    probes), not from the spawn call's return address;
 *  - the Trace-viewer JSON parses.
 *
 * The report ("catctl report --format json") is what a script would use,
 * so the test reads the task table from there. Both the program's lines
 * and the report are parsed by expect.h, as in catctl_matrix_test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "kselftest_harness.h"
#include "expect.h"
#include "fixture.h"
#include "json_args.h"
#include "spawn.h"

#include "rawfile.h"
#include "session.h"

#define APP_DIR		"/cat/app"
#define CATCTL		APP_DIR "/catctl"
#define RUN_TIMEOUT_MS	(300 * 1000)

/*
 * Check the raw trace: no drops, and every entry of an entry+return probe
 * matched by its return on the same thread (a per-thread stack of probe
 * ids). A thread that exits inside a call (exit_group() kills the
 * runtime's threads wherever they are when main returns) leaves its open
 * calls unmatched legitimately: those are counted in *@cut_by_exit.
 * Returns the number of other unmatched entries, or -1 on a read error.
 */
#define MAX_THREADS	128
#define MAX_DEPTH	256

struct stack {
	uint32_t tid;
	uint32_t ids[MAX_DEPTH];
	int depth;
};

static long unmatched_entries(const char *raw, uint64_t *dropped,
			      uint64_t *entries, uint64_t *cut_by_exit,
			      char *err, size_t errlen)
{
	static struct stack stacks[MAX_THREADS];
	const struct cat_rec_header *h;
	const struct cat_trace_info *in;
	struct cat_trace_reader *r;
	int nstacks = 0, i, ret;
	long unmatched = 0;

	r = cat_trace_open(raw, err, errlen);
	if (!r)
		return -1;
	in = cat_trace_info(r);
	*dropped = 0;
	*entries = 0;
	*cut_by_exit = 0;
	for (i = 0; in->cpu_stats && i < (int)in->ncpus; i++)
		*dropped += in->cpu_stats[i].dropped;

	while ((ret = cat_trace_next(r, &h)) == 1) {
		const struct cat_probe *p;
		struct stack *s = NULL;
		uint32_t id;

		if (h->type == CAT_REC_THREAD_EXIT) {
			for (i = 0; i < nstacks; i++) {
				if (stacks[i].tid != h->tid)
					continue;
				*cut_by_exit += stacks[i].depth;
				stacks[i].depth = 0;
			}
			continue;
		}
		if (h->type == CAT_REC_PROBE_ENTRY)
			id = ((const struct cat_rec_probe_entry *)h)->probe_id;
		else if (h->type == CAT_REC_PROBE_RETURN)
			id = ((const struct cat_rec_probe_return *)h)->probe_id;
		else
			continue;
		p = cat_trace_probe(r, id);
		if (!p || p->mode != CAT_PROBE_BOTH)
			continue;
		for (i = 0; i < nstacks; i++)
			if (stacks[i].tid == h->tid)
				s = &stacks[i];
		if (!s && nstacks < MAX_THREADS) {
			s = &stacks[nstacks++];
			s->tid = h->tid;
			s->depth = 0;
		}
		if (!s)
			continue;
		if (h->type == CAT_REC_PROBE_ENTRY) {
			(*entries)++;
			if (h->flags & CAT_ENTRY_F_NO_RETURN)
				continue;
			if (s->depth < MAX_DEPTH)
				s->ids[s->depth] = id;
			s->depth++;
		} else if (s->depth > 0 && s->ids[s->depth - 1] == id) {
			s->depth--;
		}
		/* a return with no entry: a call begun before attaching */
	}
	for (i = 0; i < nstacks; i++)
		unmatched += stacks[i].depth;
	if (ret < 0) {
		snprintf(err, errlen, "%s", cat_trace_error(r));
		unmatched = -1;
	}
	cat_trace_close(r);
	return unmatched;
}

/*
 * Does the timeline show a nested future slice of task @task whose name
 * contains @what (a join! branch, say)?
 */
static bool has_future_slice(yajl_val root, long task, const char *what)
{
	static const char *ev_path[] = { "traceEvents", NULL };
	static const char *cat_path_[] = { "cat", NULL };
	static const char *name_path[] = { "name", NULL };
	static const char *task_path[] = { "args", "task", NULL };
	yajl_val evs = yajl_tree_get(root, ev_path, yajl_t_array), v;
	size_t i;

	for (i = 0; evs && i < YAJL_GET_ARRAY(evs)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(evs)->values[i];

		v = yajl_tree_get(e, cat_path_, yajl_t_string);
		if (!v || strcmp(v->u.string, "future"))
			continue;
		v = yajl_tree_get(e, task_path, yajl_t_number);
		if (!v || YAJL_GET_INTEGER(v) != task)
			continue;
		v = yajl_tree_get(e, name_path, yajl_t_string);
		if (v && strstr(v->u.string, what))
			return true;
	}
	return false;
}

/*
 * Compact detail (--detail compact, what long traces get): task @task's
 * poll slices on thread lanes (named "task <id>", cat none or "poll") and
 * its life slice on its task lane (cat "task", args.polls in *@life_polls).
 */
static long compact_polls(yajl_val root, long task, long *nlife,
			  long *life_polls)
{
	static const char *ev_path[] = { "traceEvents", NULL };
	static const char *ph_path[] = { "ph", NULL };
	static const char *cat_path_[] = { "cat", NULL };
	static const char *name_path[] = { "name", NULL };
	static const char *polls_path[] = { "args", "polls", NULL };
	yajl_val evs = yajl_tree_get(root, ev_path, yajl_t_array), v;
	char want[32];
	long n = 0;
	size_t i;

	snprintf(want, sizeof(want), "task %ld", task);
	*nlife = 0;
	*life_polls = -1;
	for (i = 0; evs && i < YAJL_GET_ARRAY(evs)->len; i++) {
		yajl_val e = YAJL_GET_ARRAY(evs)->values[i];
		const char *cat;

		v = yajl_tree_get(e, ph_path, yajl_t_string);
		if (!v || strcmp(v->u.string, "X"))
			continue;
		v = yajl_tree_get(e, name_path, yajl_t_string);
		if (!v || strcmp(v->u.string, want))
			continue;
		v = yajl_tree_get(e, cat_path_, yajl_t_string);
		cat = v ? v->u.string : NULL;
		if (!cat || !strcmp(cat, "poll")) {
			n++;
		} else if (!strcmp(cat, "task")) {
			(*nlife)++;
			v = yajl_tree_get(e, polls_path, yajl_t_number);
			*life_polls = v ? YAJL_GET_INTEGER(v) : -1;
		}
	}
	return n;
}

FIXTURE(trace) {
	struct cf_run run;
	struct exp_program exp;
	struct exp_report rep_data;
	uint64_t dropped, entries, cut_by_exit;
};

FIXTURE_VARIANT(trace) {
	const char *prog;	/* below APP_DIR */
	const char *arg1, *arg2;
	bool attach;
	const char *spawn_stack;	/* --spawn-stack BYTES, NULL: default */
};

/*
 * Two test programs from this file, each within the guest's per-program
 * time limit: catctl_test (tokio and async-std, the default) and, built
 * with -DCAT_LIB_VARIANTS, catctl_libs_test (smol).
 */
#ifndef CAT_LIB_VARIANTS
FIXTURE_VARIANT_ADD(trace, tokio_multi_release) {
	.prog = "release/tokio_multi",
};

FIXTURE_VARIANT_ADD(trace, tokio_multi_debug) {
	.prog = "debug/tokio_multi",
};

FIXTURE_VARIANT_ADD(trace, tokio_multi_release_attach) {
	.prog = "release/tokio_multi",
	.attach = true,
};

FIXTURE_VARIANT_ADD(trace, tokio_bench_release) {
	.prog = "release/tokio_bench",
	.arg1 = "50",
	.arg2 = "19",
};

FIXTURE_VARIANT_ADD(trace, asyncstd_release) {
	.prog = "release/asyncstd_demo",
};

FIXTURE_VARIANT_ADD(trace, asyncstd_debug) {
	.prog = "debug/asyncstd_demo",
};

FIXTURE_VARIANT_ADD(trace, asyncstd_release_attach) {
	.prog = "release/asyncstd_demo",
	.attach = true,
};

#else
/* smol 1.3: smol::spawn, Executor::spawn, LocalExecutor::spawn */
FIXTURE_VARIANT_ADD(trace, smol_release) {
	.prog = "release/smol_demo",
};

FIXTURE_VARIANT_ADD(trace, smol_debug) {
	.prog = "debug/smol_demo",
};
#endif

FIXTURE_SETUP(trace)
{
	ASSERT_EQ(0, cf_run_init(&self->run, "catctl"));
}

/* Keep a failed run's files for the host: /out travels back with TAP. */
FIXTURE_TEARDOWN(trace)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s", variant->prog,
		 variant->attach ? "_attach" : "");
	cf_run_finish(&self->run, !_metadata->passed, "catctl", name);
}

/* catctl start --binary PROG -- ARGS: the program runs under catctl. */
static void run_launched(struct __test_metadata *_metadata,
			 FIXTURE_DATA(trace) *self,
			 const FIXTURE_VARIANT(trace) *variant,
			 const char *prog)
{
	char *argv[16] = { CATCTL, "start", "--binary", (char *)prog,
			   "--raw", self->run.raw, "-o", self->run.json };
	int status, n = 8;

	if (variant->spawn_stack) {
		argv[n++] = "--spawn-stack";
		argv[n++] = (char *)variant->spawn_stack;
	}
	argv[n++] = "--";
	if (variant->arg1) {
		argv[n++] = (char *)variant->arg1;
		argv[n++] = (char *)variant->arg2;
	}
	argv[n] = NULL;
	status = cf_run_cmd(argv, self->run.out, self->run.err, RUN_TIMEOUT_MS);
	ASSERT_EQ(0, status);
}

/*
 * The program runs first, waits on stdin (CAT_WAIT_STDIN) until
 * "catctl start --pid" has armed the module, then does its work.
 */
static void run_attached(struct __test_metadata *_metadata,
			 FIXTURE_DATA(trace) *self, const char *prog)
{
	char pidbuf[16], ready[160], out_catctl[160];
	char *pargv[] = { (char *)prog, NULL };
	char *cargv[] = { CATCTL, "start", "--pid", pidbuf,
			  "--raw", self->run.raw, "-o", self->run.json, NULL };
	pid_t program, catctl;
	struct cat_stats st;
	int in[2], i, status;
	bool running = false;

	ASSERT_EQ(0, pipe(in));
	program = cat_spawn(pargv, self->run.out, self->run.prog_err, in[0],
			    "CAT_WAIT_STDIN=1");
	close(in[0]);
	snprintf(ready, sizeof(ready), "cat-ready: pid=%d", program);
	for (i = 0; i < 600 && !cat_file_has(self->run.out, ready); i++)
		usleep(50000);
	ASSERT_TRUE(cat_file_has(self->run.out, ready));

	snprintf(pidbuf, sizeof(pidbuf), "%d", program);
	snprintf(out_catctl, sizeof(out_catctl), "%s/catctl.out",
		 self->run.dir);
	catctl = cat_spawn(cargv, out_catctl, self->run.err,
			   CAT_SPAWN_STDIN_KEEP, NULL);
	for (i = 0; i < 1200 && !running; i++) {
		if (!cat_stats_read(&st)) {
			running = !strcmp(st.state, "running") &&
				  st.target == program;
			cat_stats_free(&st);
		}
		if (!running)
			usleep(50000);
	}
	if (!running)
		cat_file_show(self->run.err);
	ASSERT_TRUE(running);

	ASSERT_EQ(1, write(in[1], "\n", 1));
	close(in[1]);
	status = cat_spawn_wait(program, RUN_TIMEOUT_MS);
	EXPECT_EQ(0, status);
	status = cat_spawn_wait(catctl, 60 * 1000);
	if (status != 0)
		cat_file_show(self->run.err);
	ASSERT_EQ(0, status);
}

TEST_F_TIMEOUT(trace, agrees_with_program, 900)
{
	char prog[128], errbuf[512];
	char *rargv[] = { CATCTL, "report", "--format", "json", "--backtrace",
			  self->run.raw, NULL };
	long unmatched, own_tasks = 0, total_polls = 0;
	int i, j, status;
	size_t len;
	char *json;
	yajl_val root, timeline;

	if (cf_debug_elsewhere(variant->prog))
		SKIP(return, CF_DEBUG_ELSEWHERE_MSG);
	snprintf(prog, sizeof(prog), "%s/%s", APP_DIR, variant->prog);
	if (variant->attach)
		run_attached(_metadata, self, prog);
	else
		run_launched(_metadata, self, variant, prog);
	ASSERT_EQ(0, exp_parse_program(self->run.out, &self->exp));
	ASSERT_LT(0, self->exp.nsites);

	/* the raw trace: nothing lost, every entry returned */
	unmatched = unmatched_entries(self->run.raw, &self->dropped,
				      &self->entries, &self->cut_by_exit,
				      errbuf, sizeof(errbuf));
	if (unmatched < 0)
		TH_LOG("%s", errbuf);
	if (self->cut_by_exit)
		TH_LOG("%llu calls were open when their thread exited",
		       (unsigned long long)self->cut_by_exit);
	ASSERT_EQ(0, unmatched);
	EXPECT_EQ(0, self->dropped);
	EXPECT_LT(0, self->entries);

	/* the timeline JSON parses */
	json = cat_slurp(self->run.json, &len);
	ASSERT_NE(NULL, json);
	root = yajl_tree_parse(json, errbuf, sizeof(errbuf));
	free(json);
	if (!root)
		TH_LOG("%s: %s", self->run.json, errbuf);
	ASSERT_NE(NULL, root);
	timeline = root;

	/* one task instance per spawned task, at its spawn line */
	status = cf_run_cmd(rargv, self->run.rep, self->run.rep_err,
			    120 * 1000);
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, exp_parse_report(self->run.rep, &self->rep_data, errbuf,
				      sizeof(errbuf)));

	for (i = 0; i < self->exp.nsites; i++) {
		const struct exp_site *s = &self->exp.sites[i];
		long n = 0;

		for (j = 0; j < self->rep_data.ntasks; j++) {
			const struct exp_task *t = &self->rep_data.tasks[j];

			if (!exp_same_site(t->spawned_at, s->where))
				continue;
			n++;
			total_polls += t->polls;
			if (t->site_frame < 0)
				TH_LOG("task %ld at %s: no site in a spawn backtrace",
				       t->id, s->where);
			EXPECT_LE(0, t->site_frame);
			if (s->polls_min >= 0 &&
			    (t->polls < s->polls_min || t->polls > s->polls_max))
				TH_LOG("task at %s: %ld polls, expected %ld..%ld",
				       s->where, t->polls, s->polls_min,
				       s->polls_max);
			EXPECT_TRUE(s->polls_min < 0 ||
				    (t->polls >= s->polls_min &&
				     t->polls <= s->polls_max));
			/* sleeping, or spinning, inside one poll blocks it */
			if (!strcmp(s->name, "blocking_sleep") ||
			    !strcmp(s->name, "cpu_loop")) {
				if (t->blocking_polls < 1)
					TH_LOG("%s (task %ld) not flagged blocking",
					       s->name, t->id);
				EXPECT_LE(1, t->blocking_polls);
			}
			/*
			 * join!: both branches are their own slices. Their
			 * bodies are only out of line in debug builds.
			 */
			if (!strcmp(s->name, "join_two") &&
			    strstr(variant->prog, "debug/")) {
				EXPECT_TRUE(has_future_slice(timeline, t->id,
							     "fetch_a"));
				EXPECT_TRUE(has_future_slice(timeline, t->id,
							     "fetch_b"));
			}
		}
		if (n != s->tasks)
			TH_LOG("spawn site %s: %ld task instances, program spawned %ld",
			       s->where, n, s->tasks);
		EXPECT_EQ(s->tasks, n);
		own_tasks += n;
	}
	if (self->exp.tasks_spawned >= 0)
		EXPECT_EQ(self->exp.tasks_spawned +
			  (self->exp.blocking_tasks > 0 ?
			   self->exp.blocking_tasks : 0), own_tasks);
	if (self->exp.polls >= 0)
		EXPECT_EQ(self->exp.polls, total_polls);

	/* every arg of every poll slice says what the report says */
	{
		struct ja_task jt[EXP_MAX_TASKS];
		char jerr[2048];
		int problems;

		for (j = 0; j < self->rep_data.ntasks; j++) {
			const struct exp_task *t = &self->rep_data.tasks[j];

			jt[j] = (struct ja_task){
				.id = t->id,
				.polls = t->polls,
				.blocking_polls = t->blocking_polls,
				.spawned_at = t->spawned_at,
				.alive = t->alive,
			};
		}
		ASSERT_LT(0, self->rep_data.tgid);
		problems = ja_check_timeline(timeline, self->rep_data.tgid, jt,
					     self->rep_data.ntasks, jerr,
					     sizeof(jerr));
		EXPECT_EQ(0, problems) TH_LOG("%s: %d problems:\n%s",
					       self->run.json, problems, jerr);
	}
	yajl_tree_free(timeline);

	/* compact detail of the same trace: the same polls, once each */
	{
		char cjson[160], cerr[160];
		char *cargv[] = { CATCTL, "convert", "--detail", "compact",
				  self->run.raw, "-o", cjson, NULL };

		snprintf(cjson, sizeof(cjson), "%s/compact.json",
			 self->run.dir);
		snprintf(cerr, sizeof(cerr), "%s/compact.err", self->run.dir);
		status = cf_run_cmd(cargv, "/dev/null", cerr, 120 * 1000);
		ASSERT_EQ(0, status);
		json = cat_slurp(cjson, &len);
		ASSERT_NE(NULL, json);
		root = yajl_tree_parse(json, errbuf, sizeof(errbuf));
		free(json);
		ASSERT_NE(NULL, root) TH_LOG("%s: %s", cjson, errbuf);
		for (j = 0; j < self->rep_data.ntasks; j++) {
			const struct exp_task *t = &self->rep_data.tasks[j];
			long nlife, life_polls;
			long n = compact_polls(root, t->id, &nlife, &life_polls);

			EXPECT_EQ(t->polls, n) TH_LOG("compact: task %ld", t->id);
			EXPECT_EQ(1, nlife) TH_LOG("compact: task %ld", t->id);
			EXPECT_EQ(t->polls, life_polls)
				TH_LOG("compact: task %ld", t->id);
		}
		yajl_tree_free(root);
	}

	/*
	 * catctl top --batch of the same trace (issue 11): a row per task
	 * instance of the report, with the same polls and spawn site.
	 */
	{
		char tout[160], terr[160], *text, *line, *save = NULL;
		char *targv[] = { CATCTL, "top", "--batch", "--replay",
				  self->run.raw, NULL };
		long rows = 0;

		snprintf(tout, sizeof(tout), "%s/top.out", self->run.dir);
		snprintf(terr, sizeof(terr), "%s/top.err", self->run.dir);
		status = cf_run_cmd(targv, tout, terr, 120 * 1000);
		ASSERT_EQ(0, status);
		text = cat_slurp(tout, &len);
		ASSERT_NE(NULL, text);
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			long id, polls;
			char state[16], *site = strrchr(line, ' ');

			if (sscanf(line, "%ld %15s %ld", &id, state, &polls) != 3 ||
			    !site)
				continue;
			rows++;
			for (j = 0; j < self->rep_data.ntasks; j++) {
				const struct exp_task *t = &self->rep_data.tasks[j];

				if (t->id != id)
					continue;
				EXPECT_EQ(t->polls, polls) TH_LOG("top: task %ld", id);
				EXPECT_STREQ(t->spawned_at, site + 1)
					TH_LOG("top: task %ld", id);
			}
		}
		EXPECT_EQ(self->rep_data.task_instances, rows) TH_LOG("%s", tout);
		free(text);
	}
}

/*
 * "catctl start --archive" (issue 13.4): the binary lands next to the
 * trace in the build-id layout, byte for byte, and once the traced
 * binary is gone, "catctl dump --locations" and "catctl report" find it
 * there by the trace's build-id. The trace (not the binary) is kept in
 * /out/catctl-archive/ for the host test that converts VM traces by
 * build-id alone (client/tests/test_debuginfo.c).
 */
TEST_F_TIMEOUT(trace, archive, 300)
{
	char prog[128], hex[129], path[300], cmd[900];
	char *argv[] = { CATCTL, "start", "--archive", "--binary", prog,
			 "--raw", self->run.raw, "-o", "none", "--quiet",
			 NULL };
	struct cat_trace_reader *r;
	int status;

	if (variant->attach || strcmp(variant->prog, "release/tokio_multi"))
		SKIP(return, "one program is enough");
	/* a copy that can be removed after the run */
	snprintf(prog, sizeof(prog), "%s/bin/tokio_multi", self->run.dir);
	snprintf(cmd, sizeof(cmd), "mkdir %s/bin && cp %s/%s %s", self->run.dir,
		 APP_DIR, variant->prog, prog);
	ASSERT_EQ(0, system(cmd));
	status = cf_run_cmd(argv, self->run.out, self->run.err, RUN_TIMEOUT_MS);
	ASSERT_EQ(0, status);
	r = cat_trace_open(self->run.raw, cmd, sizeof(cmd));
	ASSERT_NE(NULL, r) TH_LOG("%s", cmd);
	ASSERT_EQ(20, cat_trace_info(r)->build_id_len);
	for (int i = 0; i < 20; i++)
		sprintf(hex + 2 * i, "%02x", cat_trace_info(r)->build_id[i]);
	cat_trace_close(r);
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s", self->run.dir, hex,
		 hex + 2);
	snprintf(cmd, sizeof(cmd), "cmp %s %s", prog, path);
	EXPECT_EQ(0, system(cmd)) TH_LOG("%s is not a copy of %s", path, prog);
	ASSERT_EQ(0, unlink(prog));
	snprintf(cmd, sizeof(cmd),
		 "%1$s dump -n --locations %2$s > %3$s/dump.out 2>&1 && "
		 "grep -qx '# symbols: %4$s (build-id directory %3$s), dwarf: %4$s' %3$s/dump.out && "
		 "grep -q '^#  loc .*/src/main.rs:[1-9]' %3$s/dump.out && "
		 "%1$s report %2$s > %3$s/report.txt 2>&1 && ! grep -q warning %3$s/report.txt",
		 CATCTL, self->run.raw, self->run.dir, path);
	EXPECT_EQ(0, system(cmd)) TH_LOG("%s", cmd);
	if (!_metadata->passed) {
		cat_file_show(self->run.err);
		snprintf(cmd, sizeof(cmd), "%s/dump.out", self->run.dir);
		cat_file_show(cmd);
	}
	/* a failed run's directory travels back: not with the binary */
	snprintf(cmd, sizeof(cmd), "rm -rf %s/.build-id", self->run.dir);
	EXPECT_EQ(0, system(cmd));
	if (!access("/out", W_OK)) {
		snprintf(cmd, sizeof(cmd),
			 "mkdir -p /out/catctl-archive && cp %s /out/catctl-archive/",
			 self->run.raw);
		EXPECT_EQ(0, system(cmd));
	}
}

TEST_HARNESS_MAIN
