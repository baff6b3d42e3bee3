/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - write the reconstruction as Trace Event Format JSON (the format
 * of chrome://tracing, Perfetto UI and Trace-viewer), streamed.
 *
 * json.c is a struct cat_rb_sink: every event is written when rebuild.c
 * reports it complete, so output memory is one yajl buffer regardless of
 * the trace length. The lanes, args, flows and colours are described in
 * Documentation/timeline.rst.
 */
#ifndef CAT_JSON_H
#define CAT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "rebuild.h"

struct cat_dwarf;
struct cat_losses;

struct cat_json_opts {
	const char *binary;		/* for the metadata */
	const char *build_id;		/* hex, may be NULL */
	uint32_t tgid;			/* the traced process */
	uint64_t t0_ns;			/* timestamps are relative to this */
	int64_t realtime_offset_ns;
	struct cat_dwarf *dwarf;	/* locations; NULL: probe symbols only */
	bool compact;			/* one slice per poll, no nested ones */
};

/*
 * pid of the "tasks" process group that holds one lane per task, and the
 * tid of task <id>'s lane: above any Linux pid (pid_max <= 2^22) so that
 * viewers keying threads by tid alone never merge a task with a thread.
 */
#define CAT_JSON_TASKS_PID(tgid)	((tgid) + 0x40000000u)
#define CAT_JSON_TASK_TID(id)		((id) + 0x40000000ull)

struct cat_json;

/* Start the document on @out (left open on return). NULL on ENOMEM. */
struct cat_json *cat_json_new(FILE *out, const struct cat_json_opts *opts);
/* Fill @sink so that rebuild.c writes into @j. */
void cat_json_sink(struct cat_json *j, struct cat_rb_sink *sink);
/*
 * The trace's losses (losses.c, finished): instants at @end_ns for what
 * no LOST marker shows, and the totals in catStats. @l must stay valid
 * until cat_json_finish().
 */
void cat_json_losses(struct cat_json *j, const struct cat_losses *l,
		     uint64_t end_ns);
/* Close the document (stats may be NULL). 0, or -EIO on a write error. */
int cat_json_finish(struct cat_json *j, const struct cat_rb_stats *stats);
void cat_json_free(struct cat_json *j);

/* Counters for the convert summary. */
uint64_t cat_json_blocking_polls(const struct cat_json *j);
uint64_t cat_json_threads(const struct cat_json *j);

/*
 * For other yajl documents (report): @s as a JSON string, every byte
 * that is not part of well-formed UTF-8 as '?'; @ns as microseconds with
 * exactly three decimals (no binary floating point).
 */
void cat_json_gen_str(yajl_gen g, const char *s);
void cat_json_gen_us(yajl_gen g, int64_t ns);

/*
 * The spawn site of @t as "file:line" (the program's frame of the spawn
 * call), the first future it polls, or "?" - in @buf. Shared with report.
 */
const char *cat_task_site(struct cat_dwarf *d, const struct cat_rb_task *t,
			  char *buf, size_t len);

#endif /* CAT_JSON_H */
