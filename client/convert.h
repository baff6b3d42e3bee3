/* SPDX-License-Identifier: GPL-2.0 */
/*
 * convert.h - raw trace file to Trace-viewer JSON, as one call: what
 * "catctl convert" does and what "catctl start -o" runs at the end.
 */
#ifndef CAT_CONVERT_H
#define CAT_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * How much of the reconstruction goes into the JSON. Full detail costs
 * about 1.3 KB per poll (each poll on its thread's and its task's lane
 * with args, its nested future polls, wake and migration flows); compact
 * about 80 bytes (one slice per poll, per-task totals on the task lane).
 * Auto picks full up to CAT_DETAIL_AUTO_MAX_POLLS task polls, where the
 * full JSON is still a size viewers load (~250 MB), compact above.
 */
enum cat_detail {
	CAT_DETAIL_AUTO,
	CAT_DETAIL_FULL,
	CAT_DETAIL_COMPACT,
};

#define CAT_DETAIL_AUTO_MAX_POLLS	200000

/* "auto", "full", "compact" -> enum; -1 if none of them */
int cat_detail_parse(const char *s);
const char *cat_detail_name(enum cat_detail d);

struct cat_debuginfo_opts;

struct cat_convert_opts {
	const char *binary;		/* DWARF source; NULL: the trace's own */
	const struct cat_debuginfo_opts *sym;	/* where else to look, or NULL */
	enum cat_detail detail;		/* 0: auto */
	uint64_t auto_max_polls;	/* 0: CAT_DETAIL_AUTO_MAX_POLLS */
	uint64_t block_threshold_us;	/* 0: default */
	uint64_t long_poll_us;		/* 0: default */
};

struct cat_convert_summary {
	size_t records;
	size_t tasks;			/* task instances */
	size_t polls;
	size_t blocking_polls;
	size_t threads;
	enum cat_detail detail;		/* what was written: full or compact */
	bool written;			/* @json holds this conversion */
	uint64_t lost_records;		/* losses.c: max(markers, trailer) */
	uint64_t missing_records;	/* written by cat.ko, not in the file */
};

/*
 * Convert @raw into @json (opts may be NULL). Returns 0, or a negative
 * errno with a message in @err. -EINVAL is bad input: either @raw could
 * not be opened as a trace (sum->written false: @json was not touched,
 * an older file of that name is left as it was) or it is damaged after a
 * readable part, which was converted (sum->written true).
 */
int cat_convert_file(const char *raw, const char *json,
		     const struct cat_convert_opts *opts,
		     struct cat_convert_summary *sum, char *err, size_t errlen);

#endif /* CAT_CONVERT_H */
