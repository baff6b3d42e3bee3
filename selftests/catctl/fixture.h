/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fixture.h - the files of one traced run of the catctl VM tests, and
 * running catctl with its output in them.
 *
 * catctl_test and catctl_matrix_test each trace a program per test into a
 * fresh directory below /tmp: the program's stdout (its cat-expect lines),
 * catctl's stderr, the raw trace, the timeline JSON and the report. A
 * failed test's directory is copied to /out, which travels back to the
 * host with the TAP output; every directory is removed at the end. The
 * fixtures of both tests hold a struct cf_run and call these from their
 * FIXTURE_SETUP and FIXTURE_TEARDOWN, so both keep and name their files
 * alike.
 */
#ifndef CATCTL_FIXTURE_H
#define CATCTL_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

struct cf_run {
	char dir[64];		/* /tmp/<tag>.XXXXXX */
	char out[128];		/* program.out: the program's stdout */
	char err[128];		/* catctl.err: catctl start's stderr */
	char raw[128];		/* trace.cat: the raw trace (--raw) */
	char json[128];		/* trace.json: the timeline (-o) */
	char rep[128];		/* report.json: catctl report --format json */
	char rep_err[128];	/* report.err: its stderr */
	char prog_err[128];	/* program.err: a program started on its own */
};

/* Make @r's directory, /tmp/@tag.XXXXXX, and its file names; 0 or -1. */
static inline int cf_run_init(struct cf_run *r, const char *tag)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/%s.XXXXXX", tag);
	if (!mkdtemp(r->dir))
		return -1;
	snprintf(r->out, sizeof(r->out), "%s/program.out", r->dir);
	snprintf(r->err, sizeof(r->err), "%s/catctl.err", r->dir);
	snprintf(r->raw, sizeof(r->raw), "%s/trace.cat", r->dir);
	snprintf(r->json, sizeof(r->json), "%s/trace.json", r->dir);
	snprintf(r->rep, sizeof(r->rep), "%s/report.json", r->dir);
	snprintf(r->rep_err, sizeof(r->rep_err), "%s/report.err", r->dir);
	snprintf(r->prog_err, sizeof(r->prog_err), "%s/program.err", r->dir);
	return 0;
}

/*
 * Remove @r's directory; first, if @keep and there is a writable /out,
 * copy it to /out/@prefix-@name with the slashes of @name ("release/x")
 * turned into underscores.
 */
static inline void cf_run_finish(struct cf_run *r, bool keep,
				 const char *prefix, const char *name)
{
	char cmd[256], flat[64];
	char *c;

	if (keep && !access("/out", W_OK)) {
		snprintf(flat, sizeof(flat), "%s", name);
		for (c = flat; *c; c++)
			if (*c == '/')
				*c = '_';
		snprintf(cmd, sizeof(cmd), "cp -r %s /out/%s-%s", r->dir, prefix,
			 flat);
		if (system(cmd))
			fprintf(stderr, "# cannot keep %s\n", r->dir);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	if (system(cmd))
		fprintf(stderr, "# cannot remove %s\n", r->dir);
}

/*
 * Is @prog ("debug/x", "release/x") a debug build that this boot leaves
 * to another kernel? A debug build differs from its release build only in
 * what catctl reads from the binary (inlining, DWARF, symbols), never in
 * what the kernel does, so vm/check traces debug builds on one kernel of
 * the matrix (DEBUG_KVERS, the newest by default) and release builds on
 * all of them: the guest gets CAT_VARIANTS=release on the others (the
 * kernel command line's cat_variants=, see vm/init).
 */
static inline bool cf_debug_elsewhere(const char *prog)
{
	const char *v = getenv("CAT_VARIANTS");

	return v && !strcmp(v, "release") && !strncmp(prog, "debug/", 6);
}

#define CF_DEBUG_ELSEWHERE_MSG \
	"debug build: traced on the DEBUG_KVERS kernel only (Documentation/testing.rst)"

/*
 * Run @argv (catctl, a program) with stdout in @out and stderr in @err and
 * the caller's stdin; its wait status, -1 if killed after @timeout_ms.
 * @err is copied to the test's log unless the status is 0.
 */
static inline int cf_run_cmd(char *const argv[], const char *out,
			     const char *err, int timeout_ms)
{
	int status = cat_spawn_wait(cat_spawn(argv, out, err,
					      CAT_SPAWN_STDIN_KEEP, NULL),
				    timeout_ms);

	if (status != 0)
		cat_file_show(err);
	return status;
}

#endif /* CATCTL_FIXTURE_H */
