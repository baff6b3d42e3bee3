// SPDX-License-Identifier: GPL-2.0
/*
 * catctl_matrix_test - trace every test program of one toolchain with
 * "catctl start", debug and release, and hold the report to what each
 * program printed it did (its "cat-expect:" lines, see expect.h):
 *
 *  - catctl and the program exit 0 and no record was dropped, so catctl
 *    recognised the program's runtime;
 *  - at each spawn site, exactly as many task instances as the program
 *    spawned there, each with the program's poll count (exact where the
 *    program makes it so), a spawn_blocking task flagged as one, and a
 *    named task (tokio::task::Builder) under its name;
 *  - each task has exactly the lints (report's "lints") that the program
 *    says its site's tasks trigger, where it says (tokio_lints);
 *  - no task the program spawned is missing: the tasks found at the
 *    program's sites add up to all it spawned, and their polls to the
 *    exact total where the program prints one.
 *
 * Built twice (selftests/catctl/vm.mk), one binary per program set:
 *   catctl_shapes_test   CATCTL_SET_DEBIAN12: the new spawn shapes built
 *                        by Debian 12's rustc 1.63 (tokio 1.24, smol 1.3),
 *                        in /cat/app (catctl_test covers the older ones);
 *   catctl_current_test  CATCTL_SET_CURRENT: every program built by the
 *                        current test bed's rustc 1.97 (v0 names, tokio
 *                        1.53, smol 2, async-std 1.13, hyper 1), in
 *                        /cat/current (scripts/current-stack).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "rawfile.h"
#include "expect.h"
#include "fixture.h"

#define CATCTL		"/cat/app/catctl"
#define RUN_TIMEOUT_MS	(300 * 1000)

/* where the programs are; SET_NAME names a failed run's files in /out */
#if defined(CATCTL_SET_CURRENT)
#define PROG_DIR	"/cat/current"
#define SET_NAME	"current"
#elif defined(CATCTL_SET_DEBIAN12)
#define PROG_DIR	"/cat/app"
#define SET_NAME	"shapes"
#else
#error "define CATCTL_SET_CURRENT or CATCTL_SET_DEBIAN12"
#endif

FIXTURE(prog) {
	struct cf_run run;
	struct exp_program exp;
	struct exp_report rep_data;
};

FIXTURE_VARIANT(prog) {
	const char *prog;	/* below PROG_DIR */
	const char *arg1, *arg2;
};

#define PROG(id, path) \
	FIXTURE_VARIANT_ADD(prog, id) { .prog = path, }

PROG(tokio_local_release, "release/tokio_local");
PROG(tokio_local_debug, "debug/tokio_local");
PROG(tokio_shapes_release, "release/tokio_shapes");
PROG(tokio_shapes_debug, "debug/tokio_shapes");
PROG(smol_executors_release, "release/smol_executors");
PROG(smol_executors_debug, "debug/smol_executors");
PROG(tokio_lints_release, "release/tokio_lints");
PROG(tokio_lints_debug, "debug/tokio_lints");
#ifdef CATCTL_SET_CURRENT
PROG(tokio_multi_release, "release/tokio_multi");
PROG(tokio_multi_debug, "debug/tokio_multi");
PROG(asyncstd_release, "release/asyncstd_demo");
PROG(asyncstd_debug, "debug/asyncstd_demo");
PROG(hyper_loopback_release, "release/hyper_loopback");
PROG(hyper_loopback_debug, "debug/hyper_loopback");
PROG(tokio_named_release, "release/tokio_named");
PROG(tokio_named_debug, "debug/tokio_named");
FIXTURE_VARIANT_ADD(prog, tokio_bench_release) {
	.prog = "release/tokio_bench",
	.arg1 = "50",
	.arg2 = "19",
};
#endif

FIXTURE_SETUP(prog)
{
	ASSERT_EQ(0, cf_run_init(&self->run, "matrix"));
}

/* Keep a failed run's files for the host: /out travels back with TAP. */
FIXTURE_TEARDOWN(prog)
{
	cf_run_finish(&self->run, !_metadata->passed, SET_NAME, variant->prog);
}

static uint64_t dropped_records(const char *raw)
{
	const struct cat_trace_info *in;
	struct cat_trace_reader *r;
	char err[256];
	uint64_t n = 0;
	unsigned int i;

	r = cat_trace_open(raw, err, sizeof(err));
	if (!r)
		return UINT64_MAX;
	in = cat_trace_info(r);
	for (i = 0; in->cpu_stats && i < in->ncpus; i++)
		n += in->cpu_stats[i].dropped;
	cat_trace_close(r);
	return n;
}

/*
 * After catctl failed: does the program itself run here (its loader and
 * libraries are in the guest), and what does it say it did? Only logged,
 * to tell a catctl failure from a broken test bed.
 */
static void run_untraced(struct __test_metadata *_metadata,
			 FIXTURE_DATA(prog) *self, const char *prog)
{
	char out[160], err[160];
	char *argv[] = { (char *)prog, NULL };
	struct exp_program e;
	int status;

	snprintf(out, sizeof(out), "%s/untraced.out", self->run.dir);
	snprintf(err, sizeof(err), "%s/untraced.err", self->run.dir);
	status = cf_run_cmd(argv, out, err, RUN_TIMEOUT_MS);
	exp_parse_program(out, &e);
	TH_LOG("untraced, %s exits with status %d and prints %d spawn sites",
	       prog, status, e.nsites);
}

/* Polls inside which the program blocks its thread on purpose. */
static bool blocks_on_purpose(const char *name)
{
	return !strcmp(name, "blocking_sleep") || !strcmp(name, "cpu_loop") ||
	       !strcmp(name, "block_in_place") ||
	       !strcmp(name, "long_poll") || !strcmp(name, "never_yielded");
}

TEST_F_TIMEOUT(prog, agrees_with_program, 900)
{
	char prog[128], errbuf[512];
	/*
	 * Debug builds of hyper hold their futures by value in deep frames:
	 * the program's frame is 40-50 KiB above hyper-util's spawn, beyond
	 * catctl's default 16 KiB copy.
	 */
	char *stack = strstr(variant->prog, "debug/hyper") ? "49152" : "16384";
	char *argv[] = { CATCTL, "start", "--spawn-stack", stack, "--binary",
			 prog, "--raw", self->run.raw, "-o", self->run.json,
			 "--", (char *)variant->arg1, (char *)variant->arg2,
			 NULL };
	char *rargv[8] = { CATCTL, "report", "--format", "json" };
	long own_tasks = 0, total_polls = 0;
	int i, j, status, rn = 4;

	if (cf_debug_elsewhere(variant->prog))
		SKIP(return, CF_DEBUG_ELSEWHERE_MSG);
	snprintf(prog, sizeof(prog), "%s/%s", PROG_DIR, variant->prog);
	if (!variant->arg1)
		argv[10] = NULL;
	status = cf_run_cmd(argv, self->run.out, self->run.err, RUN_TIMEOUT_MS);
	if (status != 0)
		run_untraced(_metadata, self, prog);
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, exp_parse_program(self->run.out, &self->exp));
	ASSERT_LT(0, self->exp.nsites);
	EXPECT_EQ(0, dropped_records(self->run.raw));

	/*
	 * The long-poll limit a TCG guest can hold to: the first poll of a
	 * debug build's task runs cold, freshly translated code, and the
	 * host may deschedule a vCPU in the middle of any poll. tokio_lints'
	 * quiet task took 12 ms on 6.1 and over 50 ms on 7.3 in CI, where
	 * the default is 10 ms. tokio_lints holds its long poll for 500 ms;
	 * only it gets this limit (the others' cpu_loop polls ~130 ms).
	 */
	if (strstr(variant->prog, "tokio_lints")) {
		rargv[rn++] = "--long-poll-us";
		rargv[rn++] = "200000";
	}
	rargv[rn++] = self->run.raw;
	rargv[rn] = NULL;
	status = cf_run_cmd(rargv, self->run.rep, self->run.rep_err,
			    120 * 1000);
	ASSERT_EQ(0, status);
	ASSERT_EQ(0, exp_parse_report(self->run.rep, &self->rep_data, errbuf,
				      sizeof(errbuf)))
		TH_LOG("%s: %s", self->run.rep, errbuf);

	for (i = 0; i < self->exp.nsites; i++) {
		const struct exp_site *s = &self->exp.sites[i];
		long n = 0;

		for (j = 0; j < self->rep_data.ntasks; j++) {
			const struct exp_task *t = &self->rep_data.tasks[j];

			if (!exp_same_site(t->spawned_at, s->where))
				continue;
			n++;
			total_polls += t->polls;
			EXPECT_TRUE(exp_polls_ok(s, t->polls))
				TH_LOG("%s at %s (task %ld): %ld polls, expected %ld..%ld",
				       s->name, s->where, t->id, t->polls,
				       s->polls_min, s->polls_max);
			EXPECT_EQ(s->blocking, t->spawn_blocking)
				TH_LOG("%s at %s (task %ld): spawn_blocking %d",
				       s->name, s->where, t->id,
				       t->spawn_blocking);
			if (blocks_on_purpose(s->name)) {
				EXPECT_LE(1, t->blocking_polls)
					TH_LOG("%s (task %ld) not flagged blocking",
					       s->name, t->id);
			}
			/*
			 * tokio keeps a Builder's name only with tokio_unstable
			 * and its "tracing" feature (SpawnMeta drops it
			 * otherwise), so a name cannot always be recovered;
			 * one the report gives must be the right one.
			 */
			if (s->lints[0]) {
				EXPECT_TRUE(exp_same_lints(s->lints, t->lints))
					TH_LOG("%s at %s (task %ld): lints \"%s\", expected %s",
					       s->name, s->where, t->id,
					       t->lints, s->lints);
			}
			if (s->task_name[0] && t->has_name) {
				EXPECT_STREQ(s->task_name, t->name)
					TH_LOG("%s at %s (task %ld): wrong name",
					       s->name, s->where, t->id);
			}
		}
		EXPECT_EQ(s->tasks, n)
			TH_LOG("spawn site %s (%s): %ld task instances, the program spawned %ld",
			       s->where, s->name, n, s->tasks);
		own_tasks += n;
	}
	/*
	 * A library's own task spawned inside one of the program's calls
	 * (smol 2's first smol::spawn spawns async-process's driver): it
	 * names that call as where it was spawned inside, and is not
	 * counted at the program's line.
	 */
	for (j = 0; j < self->rep_data.ntasks; j++) {
		const struct exp_task *t = &self->rep_data.tasks[j];
		bool inside_known = false;

		if (!t->spawned_inside[0])
			continue;
		for (i = 0; i < self->exp.nsites; i++) {
			EXPECT_FALSE(exp_same_site(t->spawned_at,
						   self->exp.sites[i].where))
				TH_LOG("task %ld: nested, yet at the program's %s",
				       t->id, t->spawned_at);
			inside_known |= exp_same_site(t->spawned_inside,
						      self->exp.sites[i].where);
		}
		EXPECT_TRUE(inside_known)
			TH_LOG("task %ld at %s: spawned inside %s, not a spawn site of the program",
			       t->id, t->spawned_at, t->spawned_inside);
		TH_LOG("task %ld: a library's, at %s inside %s", t->id,
		       t->spawned_at, t->spawned_inside);
	}
	if (self->exp.tasks_spawned >= 0)
		EXPECT_EQ(self->exp.tasks_spawned +
			  (self->exp.blocking_tasks > 0 ?
			   self->exp.blocking_tasks : 0), own_tasks)
			TH_LOG("%ld of the program's tasks found at its spawn sites (%ld task instances in all)",
			       own_tasks, self->rep_data.task_instances);
	if (self->exp.polls >= 0)
		EXPECT_EQ(self->exp.polls, total_polls);
}

TEST_HARNESS_MAIN
