/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rawfile.h - the raw trace file (trace.cat): writer and reader.
 *
 * catctl start drains cat.ko's per-CPU relay subbuffers straight into this
 * file, record bytes untouched, so that nothing is lost or reinterpreted
 * while tracing; everything clever happens later, offline, in dump, convert
 * and report. The layout is documented in Documentation/trace-file.rst.
 *
 * The reader validates every byte it hands out and reports corruption as
 * an error message naming the file offset: trace files come from crashed
 * sessions, full disks and fuzzers, and must never crash catctl.
 */
#ifndef CAT_RAWFILE_H
#define CAT_RAWFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cat_abi.h"
#include "probe.h"

#define CAT_TRACE_MAGIC		"CATTRACE"	/* 8 bytes, no NUL */
#define CAT_TRACE_VERSION	1		/* of the file layout */
#define CAT_TRACE_BUILD_ID_MAX	64

/* What the session knew when it started; copied into the file header. */
struct cat_trace_meta {
	const char *binary;		/* path of the traced binary */
	const uint8_t *build_id;	/* NT_GNU_BUILD_ID bytes, may be NULL */
	size_t build_id_len;		/* at most CAT_TRACE_BUILD_ID_MAX */
	int64_t realtime_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint32_t ncpus;			/* chunks name CPUs 0..ncpus-1 */
	uint32_t tgid;			/* the traced process */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at "start" */
};

/* Per-CPU counters from cat.ko's stats file, in CAT_STATS_COUNTERS order. */
struct cat_trace_cpu_stats {
#define CAT_STATS_FIELD(name) uint64_t name;
	CAT_STATS_COUNTERS(CAT_STATS_FIELD)
#undef CAT_STATS_FIELD
};

#define CAT_TRACE_NCOUNTERS \
	(sizeof(struct cat_trace_cpu_stats) / sizeof(uint64_t))

/* ---------------------------------------------------------------------- *
 * Writer. Every function returns 0 or a negative errno; after the first
 * error the writer is "failed": later calls return that same error, and
 * the file is cut back to the end of the last complete chunk, so it stays
 * readable (as truncated) even when the disk filled up.
 * ---------------------------------------------------------------------- */
struct cat_trace_writer;

/*
 * Create (truncate) @path and write the header and the probe table.
 * Returns NULL with errno set on failure. @meta and @probes are copied.
 */
struct cat_trace_writer *cat_trace_create(const char *path,
					  const struct cat_trace_meta *meta,
					  const struct cat_probe_table *probes);

/*
 * Append @len bytes of records from CPU @cpu, exactly as the module wrote
 * them (one relay subbuffer's payload, in order). @len must be a multiple
 * of 8; len == 0 is a no-op. -EINVAL for a bad cpu or length.
 */
int cat_trace_write_chunk(struct cat_trace_writer *w, unsigned int cpu,
			  const void *records, size_t len);

/* Optional: the CLOCK_MONOTONIC time of "stop" (default: last record). */
void cat_trace_set_end(struct cat_trace_writer *w, uint64_t end_ns);

/*
 * Write the trailer (@per_cpu: @ncpus entries, may be NULL), fsync and
 * close. Always frees @w. Returns 0 or the first error of the session
 * (e.g. -ENOSPC from an earlier chunk): the caller must report it.
 */
int cat_trace_finish(struct cat_trace_writer *w,
		     const struct cat_trace_cpu_stats *per_cpu,
		     unsigned int ncpus);

/* ---------------------------------------------------------------------- *
 * Reader.
 * ---------------------------------------------------------------------- */
struct cat_trace_info {
	uint32_t version;		/* file layout version */
	uint32_t abi_version;		/* CAT_ABI_VERSION of the records */
	char *binary;
	uint8_t build_id[CAT_TRACE_BUILD_ID_MAX];
	uint32_t build_id_len;
	int64_t realtime_offset_ns;
	uint32_t ncpus;
	uint32_t tgid;
	uint64_t start_ns;
	uint64_t end_ns;		/* from the trailer, else last record */
	uint64_t nchunks;
	uint64_t record_bytes;		/* sum of chunk lengths */
	bool has_trailer;		/* false: truncated file */
	/* ncpus entries; NULL: no trailer, or one without counters */
	struct cat_trace_cpu_stats *cpu_stats;
	struct cat_probe_table probes;	/* sorted by id */
};

struct cat_trace_reader;

/*
 * Open and validate the header, the probe table and the chunk layout
 * (records are validated as they are read). On failure returns NULL and
 * writes "PATH: offset N: what" into @err.
 */
struct cat_trace_reader *cat_trace_open(const char *path, char *err,
					size_t errlen);
const struct cat_trace_info *cat_trace_info(const struct cat_trace_reader *r);

/*
 * The next record of all CPUs merged in time order (ties: lower CPU
 * first, then file order). Returns 1 and sets *rec (valid until the next
 * call; 8-byte aligned, its size checked against its type), 0 at the end,
 * -1 on corruption (see cat_trace_error()).
 */
int cat_trace_next(struct cat_trace_reader *r,
		   const struct cat_rec_header **rec);

/*
 * The CPU of the chunk the record returned last came from (its header's
 * cpu field should say the same; the reader warns when it does not).
 */
unsigned int cat_trace_cpu(const struct cat_trace_reader *r);

/* Start over from the first record (for two-pass consumers). */
int cat_trace_rewind(struct cat_trace_reader *r);

const char *cat_trace_error(const struct cat_trace_reader *r);

/* Non-fatal problems (truncation, clock going back): count and text. */
unsigned int cat_trace_nwarnings(const struct cat_trace_reader *r);
const char *cat_trace_warning(const struct cat_trace_reader *r,
			      unsigned int i);

/* The probe of @id, or NULL (binary search in the sorted table). */
const struct cat_probe *cat_trace_probe(const struct cat_trace_reader *r,
					uint32_t id);

void cat_trace_close(struct cat_trace_reader *r);

/* Names for printing; never NULL. */
const char *cat_rec_type_name(unsigned int type);
const char *cat_role_name(enum cat_probe_role role);
const char *cat_ctx_name(enum cat_ctx_type ctx);
const char *cat_mode_name(enum cat_probe_mode mode);

#endif /* CAT_RAWFILE_H */
