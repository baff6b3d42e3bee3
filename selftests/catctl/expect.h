/* SPDX-License-Identifier: GPL-2.0 */
/*
 * expect.h - what a traced test program said it did, and what catctl's
 * report says it saw, for the catctl VM tests.
 *
 * The programs of selftests/rust* print "cat-expect:" lines (see
 * selftests/rust/README.md): one per spawn site with the number of tasks
 * spawned there, their polls (exact, or a range; a range without an upper
 * bound for tasks that wait on sockets) and, for named tasks, the name.
 * "catctl report --format json" gives one row per task instance. This
 * header parses both; running the commands and reading their files is
 * selftests/lib/spawn.h's.
 */
#ifndef CATCTL_EXPECT_H
#define CATCTL_EXPECT_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "spawn.h"

#define EXP_MAX_SITES	32
#define EXP_MAX_TASKS	512

/* One "cat-expect: spawn_line=..." (or spawn_blocking_line=) line. */
struct exp_site {
	char where[256];	/* FILE:LINE as the program printed it */
	char name[64];		/* name=...: what the test calls the site */
	char task_name[64];	/* task_name=...: the task's own name, or "" */
	long tasks;
	long polls_min;		/* -1: not printed */
	long polls_max;		/* -1: no upper bound */
	bool blocking;		/* spawn_blocking_line= */
	char lints[128];	/* lints=a,b or "none"; "": not printed */
};

struct exp_program {
	struct exp_site sites[EXP_MAX_SITES];
	int nsites;
	char runtime[32];
	long tasks_spawned, blocking_tasks, polls;	/* -1: not printed */
};

struct exp_task {
	char spawned_at[256];
	char name[64];		/* the report's "name", "" if it has none */
	bool has_name;
	long id, polls, blocking_polls;
	bool spawn_blocking;
	long site_frame;	/* spawn_site_frame, -1: no backtrace site */
	char spawned_inside[256];	/* a library's own task: "" if not */
	char lints[128];	/* the report's lints, comma-separated */
	bool alive;		/* state "not freed": alive at the end */
};

struct exp_report {
	struct exp_task tasks[EXP_MAX_TASKS];
	int ntasks;
	long task_instances;
	long tgid;		/* the traced process, -1: not in the report */
};

/* The value of " key=" in @line (or at its start), -1 if absent. */
static inline long exp_kv_long(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p && !strncmp(line, pat + 1, strlen(pat + 1)))
		p = line - 1;
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

static inline void exp_kv_str(const char *line, const char *key, char *buf,
			      size_t len)
{
	char pat[64], fmt[16];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	snprintf(fmt, sizeof(fmt), "%%%zus", len - 1);
	buf[0] = '\0';
	p = strstr(line, pat);
	if (p)
		sscanf(p + strlen(pat), fmt, buf);
}

/* Parse the program's "cat-expect:" lines from its captured stdout. */
static inline int exp_parse_program(const char *path, struct exp_program *e)
{
	char line[512], *s;
	FILE *f = fopen(path, "r");

	memset(e, 0, sizeof(*e));
	e->tasks_spawned = e->blocking_tasks = e->polls = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "cat-expect: ", 12))
			continue;
		s = line + 12;
		s[strcspn(s, "\n")] = '\0';
		if (!strncmp(s, "spawn_line=", 11) ||
		    !strncmp(s, "spawn_blocking_line=", 20)) {
			struct exp_site *st = &e->sites[e->nsites];

			if (e->nsites == EXP_MAX_SITES)
				continue;
			st->blocking = s[6] == 'b';
			sscanf(strchr(s, '=') + 1, "%255s", st->where);
			exp_kv_str(s, "name", st->name, sizeof(st->name));
			exp_kv_str(s, "task_name", st->task_name,
				   sizeof(st->task_name));
			exp_kv_str(s, "lints", st->lints, sizeof(st->lints));
			st->tasks = exp_kv_long(s, "tasks");
			st->polls_min = exp_kv_long(s, "polls");
			st->polls_max = st->polls_min;
			if (st->polls_min < 0) {
				st->polls_min = exp_kv_long(s, "polls_min");
				st->polls_max = exp_kv_long(s, "polls_max");
			}
			e->nsites++;
		} else if (!strncmp(s, "runtime=", 8)) {
			snprintf(e->runtime, sizeof(e->runtime), "%s", s + 8);
		} else if (!strncmp(s, "tasks_spawned=", 14)) {
			e->tasks_spawned = atol(s + 14);
		} else if (!strncmp(s, "blocking_tasks=", 15)) {
			e->blocking_tasks = atol(s + 15);
		} else if (!strncmp(s, "polls=", 6)) {
			e->polls = atol(s + 6);
		}
	}
	fclose(f);
	return 0;
}

/* Does a DWARF path:line end with the program's file!():line!()? */
static inline bool exp_same_site(const char *dwarf, const char *prog)
{
	size_t ld = strlen(dwarf), lp = strlen(prog);

	if (ld < lp || strcmp(dwarf + ld - lp, prog))
		return false;
	return ld == lp || dwarf[ld - lp - 1] == '/';
}

static inline bool exp_polls_ok(const struct exp_site *s, long polls)
{
	if (s->polls_min >= 0 && polls < s->polls_min)
		return false;
	return s->polls_max < 0 || polls <= s->polls_max;
}

/*
 * Does the report's comma-separated lint list @got hold exactly the
 * lints of @want ("none": no lint), in any order?
 */
static inline bool exp_same_lints(const char *want, const char *got)
{
	char w[128], *save = NULL, *name;
	size_t n = 0, ngot = 0;

	if (!strcmp(want, "none"))
		return !got[0];
	snprintf(w, sizeof(w), "%s", want);
	for (name = strtok_r(w, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(name);
		const char *p = got;
		bool found = false;

		while (!found && (p = strstr(p, name))) {
			found = (p == got || p[-1] == ',') &&
				(p[len] == ',' || !p[len]);
			p += len;
		}
		if (!found)
			return false;
		n++;
	}
	for (const char *p = got; *p; p++)
		ngot += *p == ',';
	return got[0] && ngot + 1 == n;
}

/* The task table of "catctl report --format json". */
static inline int exp_parse_report(const char *path, struct exp_report *r,
				   char *err, size_t errlen)
{
	static const char *tasks_path[] = { "tasks", NULL };
	static const char *ti_path[] = { "task_instances", NULL };
	static const char *tgid_path[] = { "tgid", NULL };
	static const char *at_path[] = { "spawned_at", NULL };
	static const char *name_path[] = { "name", NULL };
	static const char *state_path[] = { "state", NULL };
	static const char *polls_path[] = { "polls", NULL };
	static const char *sb_path[] = { "spawn_blocking", NULL };
	static const char *id_path[] = { "id", NULL };
	static const char *bp_path[] = { "blocking_polls", NULL };
	static const char *sf_path[] = { "spawn_site_frame", NULL };
	static const char *in_path[] = { "spawned_inside", NULL };
	static const char *lints_path[] = { "lints", NULL };
	yajl_val root, tasks, v;
	size_t len, i;
	char *text = cat_slurp(path, &len);

	memset(r, 0, sizeof(*r));
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	root = yajl_tree_parse(text, err, errlen);
	free(text);
	if (!root)
		return -1;
	v = yajl_tree_get(root, ti_path, yajl_t_number);
	r->task_instances = v ? YAJL_GET_INTEGER(v) : -1;
	v = yajl_tree_get(root, tgid_path, yajl_t_number);
	r->tgid = v ? YAJL_GET_INTEGER(v) : -1;
	tasks = yajl_tree_get(root, tasks_path, yajl_t_array);
	for (i = 0; tasks && i < YAJL_GET_ARRAY(tasks)->len &&
		    r->ntasks < EXP_MAX_TASKS; i++) {
		yajl_val t = YAJL_GET_ARRAY(tasks)->values[i];
		struct exp_task *tk = &r->tasks[r->ntasks++];
		const char *st;

		v = yajl_tree_get(t, at_path, yajl_t_string);
		snprintf(tk->spawned_at, sizeof(tk->spawned_at), "%s",
			 v ? YAJL_GET_STRING(v) : "");
		v = yajl_tree_get(t, name_path, yajl_t_string);
		tk->has_name = v != NULL;
		snprintf(tk->name, sizeof(tk->name), "%s",
			 v ? YAJL_GET_STRING(v) : "");
		v = yajl_tree_get(t, polls_path, yajl_t_number);
		tk->polls = v ? YAJL_GET_INTEGER(v) : -1;
		v = yajl_tree_get(t, sb_path, yajl_t_any);
		tk->spawn_blocking = v && YAJL_IS_TRUE(v);
		v = yajl_tree_get(t, id_path, yajl_t_number);
		tk->id = v ? YAJL_GET_INTEGER(v) : -1;
		v = yajl_tree_get(t, bp_path, yajl_t_number);
		tk->blocking_polls = v ? YAJL_GET_INTEGER(v) : -1;
		v = yajl_tree_get(t, sf_path, yajl_t_number);
		tk->site_frame = v ? YAJL_GET_INTEGER(v) : -1;
		v = yajl_tree_get(t, in_path, yajl_t_string);
		snprintf(tk->spawned_inside, sizeof(tk->spawned_inside), "%s",
			 v ? YAJL_GET_STRING(v) : "");
		v = yajl_tree_get(t, state_path, yajl_t_string);
		st = v ? YAJL_GET_STRING(v) : NULL;
		tk->alive = st && !strcmp(st, "not freed");
		v = yajl_tree_get(t, lints_path, yajl_t_array);
		for (size_t l = 0; v && l < YAJL_GET_ARRAY(v)->len; l++) {
			yajl_val n = YAJL_GET_ARRAY(v)->values[l];
			size_t o = strlen(tk->lints);

			if (YAJL_IS_STRING(n))
				snprintf(tk->lints + o, sizeof(tk->lints) - o,
					 "%s%s", o ? "," : "",
					 YAJL_GET_STRING(n));
		}
	}
	yajl_tree_free(root);
	return 0;
}

#endif /* CATCTL_EXPECT_H */
