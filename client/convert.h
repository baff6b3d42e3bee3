/* SPDX-License-Identifier: GPL-2.0 */
/*
 * convert.h - raw trace file to Trace-viewer JSON, as one call: what
 * "catctl convert" does and what "catctl start -o" runs at the end.
 */
#ifndef CAT_CONVERT_H
#define CAT_CONVERT_H

#include <stddef.h>
#include <stdint.h>

struct cat_convert_opts {
	const char *binary;		/* DWARF source; NULL: the trace's own */
	uint64_t block_threshold_us;	/* 0: default */
	uint64_t long_poll_us;		/* 0: default */
};

struct cat_convert_summary {
	size_t records;
	size_t tasks;			/* task instances */
	size_t polls;
	size_t blocking_polls;
	size_t threads;
};

/*
 * Convert @raw into @json (opts may be NULL). Returns 0, or a negative
 * errno with a message in @err.
 */
int cat_convert_file(const char *raw, const char *json,
		     const struct cat_convert_opts *opts,
		     struct cat_convert_summary *sum, char *err, size_t errlen);

#endif /* CAT_CONVERT_H */
