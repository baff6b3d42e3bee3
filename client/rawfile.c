// SPDX-License-Identifier: GPL-2.0
/*
 * rawfile.c - write and read the raw trace file (see rawfile.h and
 * Documentation/trace-file.rst for the layout).
 *
 * Writer: header + probe table up front, then one "CHNK" block per drained
 * relay subbuffer, then a "TRLR" block with the per-CPU counters. A failed
 * write cuts the file back to the last complete block, so a full disk
 * leaves a readable (truncated) trace rather than a torn one.
 *
 * Reader: one cursor per CPU walks that CPU's chunks in file order through
 * a small pread() buffer, and cat_trace_next() merges the cursors by time
 * with a min-heap of the other CPUs (the CPU of the last record stays out
 * of it while its records keep coming first). Most records take a short
 * inline path (cursor_peek_fast()); the rest, and every error and warning,
 * go through cursor_peek().
 * Memory is O(CPUs), independent of the trace length; nothing is mmapped,
 * so peak RSS does not grow with the file either, and a file cut short
 * while it is read is an error, not a SIGBUS. Every length read from the
 * file is checked before use; errors name the byte offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rawfile.h"

/* ------------------------------------------------------------------ */
/* On-disk structures (little-endian, every block 8-byte aligned).     */
/* ------------------------------------------------------------------ */

struct cat_file_header {
	char magic[8];			/* CAT_TRACE_MAGIC */
	uint32_t version;		/* CAT_TRACE_VERSION */
	uint32_t abi_version;		/* CAT_ABI_VERSION of the records */
	uint32_t header_size;		/* this struct + binary path, padded */
	uint32_t flags;			/* none defined, written as 0 */
	int64_t realtime_offset_ns;
	uint64_t start_ns;
	uint32_t ncpus;
	uint32_t tgid;
	uint32_t build_id_len;
	uint32_t binary_len;		/* path bytes that follow, no NUL */
	uint8_t build_id[CAT_TRACE_BUILD_ID_MAX];
};

/* Every block after the file header starts with this. */
struct cat_file_block {
	uint32_t magic;
	uint32_t arg;			/* PRBT: #probes, CHNK: cpu, TRLR: ncpus */
	uint64_t len;			/* body bytes that follow, multiple of 8 */
};

#define CAT_BLOCK_PROBES	0x54425250	/* "PRBT" */
#define CAT_BLOCK_CHUNK		0x4b4e4843	/* "CHNK" */
#define CAT_BLOCK_TRAILER	0x524c5254	/* "TRLR" */

struct cat_file_probe {
	uint32_t id;
	uint8_t mode;
	uint8_t role;
	uint8_t ctx;
	uint8_t reserved;
	uint16_t nargs;
	uint16_t symbol_len;		/* the three strings follow, no NULs, */
	uint16_t mangled_len;		/* then zero padding to 8 bytes */
	uint16_t why_len;
	uint64_t vaddr;
	uint64_t file_offset;
};

struct cat_file_trailer {
	uint64_t end_ns;
	uint64_t nchunks;
	uint64_t record_bytes;
	uint32_t ncpus;
	uint32_t ncounters;		/* u64 counters per CPU that follow */
};

#define PAD8(x)			(((x) + 7) & ~(uint64_t)7)
#define MAX_BINARY_LEN		4096
#define MAX_PROBE_BLOCK		(64u << 20)
#define MAX_CPUS		8192
#define MAX_COUNTERS		256
#define REC_MAX			65535		/* header.size is a __u16 */
#define CURSOR_BUF		(256 * 1024)	/* > 2 * REC_MAX */
#define MAX_WARNINGS		32
#define BLOCK_RING		64	/* see read_block() */

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *cat_rec_type_name(unsigned int type)
{
	static const char *const names[] = {
		[CAT_REC_PROBE_ENTRY] = "entry",
		[CAT_REC_PROBE_RETURN] = "return",
		[CAT_REC_SCHED_SWITCH] = "switch",
		[CAT_REC_THREAD_NEW] = "thread-new",
		[CAT_REC_THREAD_EXIT] = "thread-exit",
		[CAT_REC_EXEC] = "exec",
		[CAT_REC_LOST] = "lost",
		[CAT_REC_PROBE_STACK] = "stack",
	};

	if (type < CAT_REC_TYPE_MAX && names[type])
		return names[type];
	return "unknown";
}

const char *cat_role_name(enum cat_probe_role role)
{
	static const char *const names[] = {
		[CAT_ROLE_OTHER] = "other",
		[CAT_ROLE_TASK_POLL] = "task-poll",
		[CAT_ROLE_TASK_DEALLOC] = "task-dealloc",
		[CAT_ROLE_SPAWN] = "spawn",
		[CAT_ROLE_WAKE] = "wake",
		[CAT_ROLE_BLOCKING_POLL] = "blocking-poll",
		[CAT_ROLE_SPAWN_BLOCKING] = "spawn-blocking",
		[CAT_ROLE_FUTURE_POLL] = "future-poll",
	};

	if ((unsigned int)role < CAT_ROLE_MAX && names[role])
		return names[role];
	return "unknown";
}

const char *cat_ctx_name(enum cat_ctx_type ctx)
{
	static const char *const names[] = {
		[CAT_CTX_NONE] = "none",
		[CAT_CTX_TASK] = "task",
		[CAT_CTX_COMPILER] = "compiler",
		[CAT_CTX_USER] = "user",
		[CAT_CTX_ANON] = "anonymous",
	};

	if ((unsigned int)ctx < CAT_CTX_MAX && names[ctx])
		return names[ctx];
	return "unknown";
}

/* The control grammar's own keywords, so "probe" commands use them too. */
const char *cat_mode_name(enum cat_probe_mode mode)
{
	static const char *const names[] = CAT_PROBE_MODE_KEYWORDS;

	if ((unsigned int)mode < sizeof(names) / sizeof(names[0]) &&
	    names[mode])
		return names[mode];
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* Writer                                                              */
/* ------------------------------------------------------------------ */

struct cat_trace_writer {
	int fd;
	int err;			/* first error, negative errno */
	uint32_t ncpus;
	uint64_t good_off;		/* end of the last complete block */
	uint64_t nchunks;
	uint64_t record_bytes;
	uint64_t end_ns;
	bool end_set;
};

/* Write all of @iov at the current offset or fail with -errno. */
static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/*
 * Record the first error and cut the file back to the last complete
 * block, so that a reader sees a clean, merely truncated trace.
 */
static int writer_fail(struct cat_trace_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	if (ftruncate(w->fd, w->good_off) == 0)
		lseek(w->fd, w->good_off, SEEK_SET);
	return w->err;
}

static int write_block(struct cat_trace_writer *w, struct iovec *iov, int cnt)
{
	uint64_t total = 0;
	int i, ret;

	if (w->err)
		return w->err;
	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	ret = write_all(w->fd, iov, cnt);
	if (ret)
		return writer_fail(w, ret);
	w->good_off += total;
	return 0;
}

static int write_probes(struct cat_trace_writer *w,
			const struct cat_probe_table *probes)
{
	static const char zero[8];
	struct cat_file_block blk = { .magic = CAT_BLOCK_PROBES };
	size_t n = probes ? probes->n : 0, i, len = 0;
	char *body, *p;
	int ret;

	for (i = 0; i < n; i++) {
		const struct cat_probe *pr = &probes->probes[i];

		len += sizeof(struct cat_file_probe);
		len += PAD8(strnlen(pr->symbol ? pr->symbol : "", 65535) +
			    strnlen(pr->mangled ? pr->mangled : "", 65535) +
			    strnlen(pr->why ? pr->why : "", 65535));
	}
	body = calloc(1, len ? len : 1);
	if (!body)
		return -ENOMEM;
	p = body;
	for (i = 0; i < n; i++) {
		const struct cat_probe *pr = &probes->probes[i];
		const char *sym = pr->symbol ? pr->symbol : "";
		const char *mng = pr->mangled ? pr->mangled : "";
		const char *why = pr->why ? pr->why : "";
		struct cat_file_probe fp = {
			.id = pr->id,
			.mode = pr->mode,
			.role = pr->role,
			.ctx = pr->ctx,
			.nargs = pr->nargs,
			.symbol_len = strnlen(sym, 65535),
			.mangled_len = strnlen(mng, 65535),
			.why_len = strnlen(why, 65535),
			.vaddr = pr->vaddr,
			.file_offset = pr->file_offset,
		};
		size_t s = fp.symbol_len + fp.mangled_len + fp.why_len;

		memcpy(p, &fp, sizeof(fp));
		p += sizeof(fp);
		memcpy(p, sym, fp.symbol_len);
		memcpy(p + fp.symbol_len, mng, fp.mangled_len);
		memcpy(p + fp.symbol_len + fp.mangled_len, why, fp.why_len);
		p += PAD8(s);
	}
	(void)zero;
	blk.arg = n;
	blk.len = len;
	{
		struct iovec iov[2] = {
			{ &blk, sizeof(blk) }, { body, len },
		};
		ret = write_block(w, iov, 2);
	}
	free(body);
	return ret;
}

struct cat_trace_writer *cat_trace_create(const char *path,
					  const struct cat_trace_meta *meta,
					  const struct cat_probe_table *probes)
{
	static const char zero[8];
	struct cat_file_header h;
	struct cat_trace_writer *w;
	const char *bin = meta && meta->binary ? meta->binary : "";
	size_t blen = strnlen(bin, MAX_BINARY_LEN);
	int ret;

	if (!meta || !meta->ncpus || meta->ncpus > MAX_CPUS ||
	    meta->build_id_len > CAT_TRACE_BUILD_ID_MAX ||
	    (probes && probes->n > CAT_MAX_PROBES)) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ncpus = meta->ncpus;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		free(w);
		return NULL;
	}

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CAT_TRACE_MAGIC, 8);
	h.version = CAT_TRACE_VERSION;
	h.abi_version = CAT_ABI_VERSION;
	h.header_size = sizeof(h) + PAD8(blen);
	h.realtime_offset_ns = meta->realtime_offset_ns;
	h.start_ns = meta->start_ns;
	h.ncpus = meta->ncpus;
	h.tgid = meta->tgid;
	h.build_id_len = meta->build_id_len;
	h.binary_len = blen;
	if (meta->build_id && meta->build_id_len)
		memcpy(h.build_id, meta->build_id, meta->build_id_len);
	{
		struct iovec iov[3] = {
			{ &h, sizeof(h) },
			{ (void *)bin, blen },
			{ (void *)zero, PAD8(blen) - blen },
		};
		ret = write_block(w, iov, 3);
	}
	if (!ret)
		ret = write_probes(w, probes);
	if (ret) {
		struct stat st;

		/* remove only a regular file we made, never a device */
		if (!fstat(w->fd, &st) && S_ISREG(st.st_mode))
			unlink(path);
		close(w->fd);
		free(w);
		errno = -ret;
		return NULL;
	}
	return w;
}

int cat_trace_write_chunk(struct cat_trace_writer *w, unsigned int cpu,
			  const void *records, size_t len)
{
	struct cat_file_block blk = {
		.magic = CAT_BLOCK_CHUNK, .arg = cpu, .len = len,
	};
	const unsigned char *p = records;
	size_t off;
	int ret;

	if (!w)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (cpu >= w->ncpus || (len & 7) || (len && !records))
		return -EINVAL;
	if (!len)
		return 0;

	/* The end time defaults to the newest record: walk the headers. */
	for (off = 0; off + sizeof(struct cat_rec_header) <= len;) {
		const struct cat_rec_header *h = (const void *)(p + off);

		if (h->size < sizeof(*h) || (h->size & 7))
			break;
		if (h->time_ns > w->end_ns && !w->end_set)
			w->end_ns = h->time_ns;
		off += h->size;
	}

	{
		struct iovec iov[2] = {
			{ &blk, sizeof(blk) }, { (void *)records, len },
		};
		ret = write_block(w, iov, 2);
	}
	if (ret)
		return ret;
	w->nchunks++;
	w->record_bytes += len;
	return 0;
}

void cat_trace_set_end(struct cat_trace_writer *w, uint64_t end_ns)
{
	if (w) {
		w->end_ns = end_ns;
		w->end_set = true;
	}
}

int cat_trace_finish(struct cat_trace_writer *w,
		     const struct cat_trace_cpu_stats *per_cpu,
		     unsigned int ncpus)
{
	struct cat_file_trailer t;
	struct cat_file_block blk = { .magic = CAT_BLOCK_TRAILER };
	size_t statlen;
	int ret;

	if (!w)
		return -EINVAL;
	if (!per_cpu)
		ncpus = 0;
	if (ncpus > w->ncpus)
		ncpus = w->ncpus;
	memset(&t, 0, sizeof(t));
	t.end_ns = w->end_ns;
	t.nchunks = w->nchunks;
	t.record_bytes = w->record_bytes;
	t.ncpus = w->ncpus;
	/*
	 * No stats at all: no counters (ncounters 0), rather than zeros that
	 * would read as "cat.ko wrote and dropped nothing" (losses.c).
	 */
	t.ncounters = per_cpu ? CAT_TRACE_NCOUNTERS : 0;
	statlen = per_cpu ?
		  (size_t)w->ncpus * sizeof(struct cat_trace_cpu_stats) : 0;
	blk.arg = w->ncpus;
	blk.len = sizeof(t) + statlen;
	{
		/* CPUs the caller has no stats for get zeros. */
		struct cat_trace_cpu_stats *st = calloc(w->ncpus ? w->ncpus : 1,
							sizeof(*st));

		if (!st) {
			ret = writer_fail(w, -ENOMEM);
		} else {
			struct iovec iov[3] = {
				{ &blk, sizeof(blk) }, { &t, sizeof(t) },
				{ st, statlen },
			};

			if (ncpus)
				memcpy(st, per_cpu, ncpus * sizeof(*st));
			ret = write_block(w, iov, 3);
			free(st);
		}
	}
	if (!ret && fsync(w->fd) < 0 && errno != EINVAL && errno != EROFS)
		ret = writer_fail(w, -errno);
	if (close(w->fd) < 0 && !ret)
		ret = -errno;
	if (!ret)
		ret = w->err;
	free(w);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */
/* ------------------------------------------------------------------ */

struct cursor {
	uint32_t cpu;
	bool done;
	bool cut;			/* current chunk ends at EOF */
	uint64_t scan_off;		/* next block header to examine */
	uint64_t scan_seq;		/* its number, 0: the first block */
	uint64_t data_off;		/* file offset of buf[pos] */
	uint64_t data_end;		/* end of the current chunk's records */
	unsigned char *buf;
	size_t pos, fill;
	const struct cat_rec_header *cur;	/* peeked record */
	uint64_t cur_off;
	uint64_t last_time;
	bool warned_time, warned_cpu;
};

/* A block header read lately, see read_block(). */
struct block_ref {
	uint64_t seq, off;
	struct cat_file_block blk;
};

/* A cursor in the merge heap, with its next record's key. */
struct heap_ent {
	uint64_t time;
	uint32_t cpu;
	struct cursor *cu;
};

struct cat_trace_reader {
	int fd;
	char *path;
	uint64_t fsize;
	uint64_t blocks_off;		/* first block after the probe table */
	uint64_t blocks_end;		/* trailer offset, or usable EOF */
	struct cat_trace_info info;
	struct cursor *cur;
	struct heap_ent *heap;		/* other CPUs' next records */
	uint32_t nheap;
	struct cursor *top;		/* returned the previous record */
	struct block_ref ring[BLOCK_RING];
	uint64_t ring_next;		/* 1 + highest block number in it */
	bool started;
	char err[512];
	bool failed;
	unsigned int nwarn;
	char *warn[MAX_WARNINGS];
	uint64_t last_time;
};

static void __attribute__((format(printf, 3, 4)))
rd_error(struct cat_trace_reader *r, uint64_t off, const char *fmt, ...)
{
	int n;
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	n = snprintf(r->err, sizeof(r->err), "%s: offset %" PRIu64 ": ",
		     r->path, off);
	if (n < 0 || (size_t)n >= sizeof(r->err))
		return;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - n, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
rd_warn(struct cat_trace_reader *r, uint64_t off, const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	if (r->nwarn++ >= MAX_WARNINGS)
		return;
	n = snprintf(msg, sizeof(msg), "%s: offset %" PRIu64 ": ", r->path,
		     off);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	r->warn[r->nwarn - 1] = strdup(msg);
}

/* Read exactly @len bytes at @off; short reads are the caller's error. */
static int rd_pread(struct cat_trace_reader *r, void *buf, size_t len,
		    uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(r->fd, (char *)buf + done, len - done,
				  off + done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rd_error(r, off + done, "read error: %s",
				 strerror(errno));
			return -1;
		}
		if (n == 0) {
			rd_error(r, off + done, "unexpected end of file");
			return -1;
		}
		done += n;
	}
	return 0;
}

static int cmp_probe(const void *a, const void *b)
{
	const struct cat_probe *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static char *dup_bytes(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = 0;
	/* Strings are printed and put into JSON: no control bytes. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			s[i] = '?';
	return s;
}

static int read_probes(struct cat_trace_reader *r, uint64_t off)
{
	struct cat_file_block blk;
	struct cat_probe_table *t = &r->info.probes;
	unsigned char *body;
	uint64_t pos = 0, i;

	if (r->fsize - off < sizeof(blk)) {
		rd_error(r, off, "file ends before the probe table");
		return -1;
	}
	if (rd_pread(r, &blk, sizeof(blk), off))
		return -1;
	if (blk.magic != CAT_BLOCK_PROBES) {
		rd_error(r, off, "expected the probe table (magic 0x%08x), found 0x%08x",
			 CAT_BLOCK_PROBES, blk.magic);
		return -1;
	}
	if (blk.arg > CAT_MAX_PROBES) {
		rd_error(r, off + 4, "%u probes, more than the %u allowed",
			 blk.arg, CAT_MAX_PROBES);
		return -1;
	}
	if (blk.len > MAX_PROBE_BLOCK || (blk.len & 7) ||
	    blk.len > r->fsize - off - sizeof(blk)) {
		rd_error(r, off + 8, "probe table length %" PRIu64
			 " is invalid (file has %" PRIu64 " bytes)",
			 blk.len, r->fsize);
		return -1;
	}
	body = malloc(blk.len ? blk.len : 1);
	t->probes = calloc(blk.arg ? blk.arg : 1, sizeof(*t->probes));
	if (!body || !t->probes) {
		free(body);
		rd_error(r, off, "out of memory");
		return -1;
	}
	t->cap = blk.arg;
	off += sizeof(blk);
	if (rd_pread(r, body, blk.len, off)) {
		free(body);
		return -1;
	}
	for (i = 0; i < blk.arg; i++) {
		struct cat_file_probe fp;
		struct cat_probe *p = &t->probes[i];
		uint64_t slen;

		if (blk.len - pos < sizeof(fp)) {
			rd_error(r, off + pos, "probe %" PRIu64 " of %u overruns the probe table",
				 i, blk.arg);
			goto bad;
		}
		memcpy(&fp, body + pos, sizeof(fp));
		slen = (uint64_t)fp.symbol_len + fp.mangled_len + fp.why_len;
		if (blk.len - pos - sizeof(fp) < PAD8(slen)) {
			rd_error(r, off + pos, "strings of probe %u overrun the probe table",
				 fp.id);
			goto bad;
		}
		if (!strcmp(cat_mode_name(fp.mode), "unknown") ||
		    fp.role >= CAT_ROLE_MAX || fp.ctx >= CAT_CTX_MAX ||
		    fp.nargs > CAT_MAX_ARGS) {
			rd_error(r, off + pos, "probe %u: bad mode %u, role %u, ctx %u or nargs %u",
				 fp.id, fp.mode, fp.role, fp.ctx, fp.nargs);
			goto bad;
		}
		p->id = fp.id;
		p->mode = fp.mode;
		p->role = fp.role;
		p->ctx = fp.ctx;
		p->nargs = fp.nargs;
		p->vaddr = fp.vaddr;
		p->file_offset = fp.file_offset;
		pos += sizeof(fp);
		p->symbol = dup_bytes((char *)body + pos, fp.symbol_len);
		p->mangled = dup_bytes((char *)body + pos + fp.symbol_len,
				       fp.mangled_len);
		p->why = dup_bytes((char *)body + pos + fp.symbol_len +
				   fp.mangled_len, fp.why_len);
		t->n++;
		if (!p->symbol || !p->mangled || !p->why) {
			rd_error(r, off + pos, "out of memory");
			goto bad;
		}
		pos += PAD8(slen);
	}
	if (pos != blk.len) {
		rd_error(r, off + pos, "%" PRIu64 " unused bytes at the end of the probe table",
			 blk.len - pos);
		goto bad;
	}
	free(body);
	if (t->n)	/* an empty table may have no array at all */
		qsort(t->probes, t->n, sizeof(*t->probes), cmp_probe);
	for (i = 1; i < t->n; i++)
		if (t->probes[i].id == t->probes[i - 1].id) {
			rd_error(r, off, "probe id %u appears twice",
				 t->probes[i].id);
			return -1;
		}
	r->blocks_off = off + blk.len;
	return 0;
bad:
	free(body);
	return -1;
}

static int read_trailer(struct cat_trace_reader *r, uint64_t off,
			const struct cat_file_block *blk)
{
	struct cat_file_trailer t;
	uint64_t body = off + sizeof(*blk);
	uint64_t *stats;
	uint32_t c, k, n;

	if (blk->len < sizeof(t)) {
		rd_error(r, off + 8, "trailer length %" PRIu64 " is too short",
			 blk->len);
		return -1;
	}
	if (rd_pread(r, &t, sizeof(t), body))
		return -1;
	if (t.ncpus != r->info.ncpus || blk->arg != t.ncpus) {
		rd_error(r, body + 24, "trailer has %u CPUs, header %u",
			 t.ncpus, r->info.ncpus);
		return -1;
	}
	if (t.ncounters > MAX_COUNTERS ||
	    blk->len != sizeof(t) + (uint64_t)t.ncpus * t.ncounters * 8) {
		rd_error(r, body + 28, "trailer length %" PRIu64
			 " does not match %u CPUs x %u counters",
			 blk->len, t.ncpus, t.ncounters);
		return -1;
	}
	if (t.nchunks != r->info.nchunks ||
	    t.record_bytes != r->info.record_bytes) {
		rd_error(r, body + 8, "trailer counts %" PRIu64 " chunks / %" PRIu64
			 " bytes, the file holds %" PRIu64 " / %" PRIu64,
			 t.nchunks, t.record_bytes, r->info.nchunks,
			 r->info.record_bytes);
		return -1;
	}
	r->info.end_ns = t.end_ns;
	r->info.has_trailer = true;
	if (!t.ncounters)
		return 0;	/* the writer had no counters: unknown */
	stats = malloc((size_t)t.ncpus * t.ncounters * 8 + 8);
	r->info.cpu_stats = calloc(t.ncpus, sizeof(*r->info.cpu_stats));
	if (!stats || !r->info.cpu_stats) {
		free(stats);
		rd_error(r, body, "out of memory");
		return -1;
	}
	if (rd_pread(r, stats, (size_t)t.ncpus * t.ncounters * 8,
		     body + sizeof(t))) {
		free(stats);
		return -1;
	}
	/* Older or newer writers may know fewer or more counters. */
	n = t.ncounters < CAT_TRACE_NCOUNTERS ? t.ncounters : CAT_TRACE_NCOUNTERS;
	for (c = 0; c < t.ncpus; c++)
		for (k = 0; k < n; k++)
			((uint64_t *)&r->info.cpu_stats[c])[k] =
				stats[(size_t)c * t.ncounters + k];
	free(stats);
	return 0;
}

/*
 * Walk the block headers once: checks the layout, counts chunks, finds the
 * trailer. Only block headers are read (16 bytes per chunk).
 */
static int scan_blocks(struct cat_trace_reader *r)
{
	uint64_t off = r->blocks_off;
	struct cat_file_block blk;

	r->blocks_end = r->fsize;
	while (off < r->fsize) {
		if (r->fsize - off < sizeof(blk)) {
			rd_warn(r, off, "file ends inside a block header: truncated trace, no trailer");
			r->blocks_end = off;
			return 0;
		}
		if (rd_pread(r, &blk, sizeof(blk), off))
			return -1;
		if (blk.magic == CAT_BLOCK_TRAILER) {
			if (blk.len > r->fsize - off - sizeof(blk)) {
				rd_warn(r, off, "trailer cut short: truncated trace");
				r->blocks_end = off;
				return 0;
			}
			if (off + sizeof(blk) + blk.len != r->fsize) {
				rd_error(r, off + sizeof(blk) + blk.len,
					 "%" PRIu64 " bytes of garbage after the trailer",
					 r->fsize - off - sizeof(blk) - blk.len);
				return -1;
			}
			r->blocks_end = off;
			return read_trailer(r, off, &blk);
		}
		if (blk.magic != CAT_BLOCK_CHUNK) {
			rd_error(r, off, "unknown block magic 0x%08x", blk.magic);
			return -1;
		}
		if (blk.arg >= r->info.ncpus) {
			rd_error(r, off + 4, "chunk for CPU %u, but the trace has %u CPUs",
				 blk.arg, r->info.ncpus);
			return -1;
		}
		if (blk.len & 7) {
			rd_error(r, off + 8, "chunk length %" PRIu64 " is not a multiple of 8",
				 blk.len);
			return -1;
		}
		r->info.nchunks++;
		if (blk.len > r->fsize - off - sizeof(blk)) {
			rd_warn(r, off, "chunk of %" PRIu64 " bytes for CPU %u cut short by the end of the file: truncated trace, no trailer",
				blk.len, blk.arg);
			r->info.record_bytes += r->fsize - off - sizeof(blk);
			return 0;
		}
		r->info.record_bytes += blk.len;
		off += sizeof(blk) + blk.len;
	}
	rd_warn(r, off, "no trailer: truncated trace (per-CPU drop counts unknown)");
	return 0;
}

static void reset_cursors(struct cat_trace_reader *r)
{
	for (uint32_t c = 0; c < r->info.ncpus; c++) {
		struct cursor *cu = &r->cur[c];

		cu->cpu = c;
		cu->done = false;
		cu->cut = false;
		cu->scan_off = r->blocks_off;
		cu->scan_seq = 0;
		cu->data_off = cu->data_end = 0;
		cu->pos = cu->fill = 0;
		cu->cur = NULL;
		cu->last_time = 0;
	}
	r->nheap = 0;
	r->top = NULL;
	r->started = false;
	r->last_time = 0;
}

struct cat_trace_reader *cat_trace_open(const char *path, char *err,
					size_t errlen)
{
	struct cat_trace_reader *r = calloc(1, sizeof(*r));
	struct cat_file_header h;
	struct stat st;

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->path = strdup(path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!r->path || r->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail_nomsg;
	}
	if (fstat(r->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail_nomsg;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail_nomsg;
	}
	r->fsize = st.st_size;
	if (r->fsize < sizeof(h)) {
		rd_error(r, r->fsize, "file too short for a trace header (%zu bytes)",
			 sizeof(h));
		goto fail;
	}
	if (rd_pread(r, &h, sizeof(h), 0))
		goto fail;
	if (memcmp(h.magic, CAT_TRACE_MAGIC, 8)) {
		rd_error(r, 0, "not a cat trace file (bad magic)");
		goto fail;
	}
	if (h.version != CAT_TRACE_VERSION) {
		rd_error(r, 8, "file format version %u, this catctl reads %u",
			 h.version, CAT_TRACE_VERSION);
		goto fail;
	}
	if (h.abi_version < CAT_ABI_VERSION_MIN_READ ||
	    h.abi_version > CAT_ABI_VERSION) {
		rd_error(r, 12, "records use cat ABI version %u, this catctl reads %u to %u",
			 h.abi_version, CAT_ABI_VERSION_MIN_READ,
			 CAT_ABI_VERSION);
		goto fail;
	}
	if (h.binary_len > MAX_BINARY_LEN ||
	    h.header_size != sizeof(h) + PAD8(h.binary_len) ||
	    h.header_size > r->fsize) {
		rd_error(r, 16, "header size %u / binary path length %u are invalid",
			 h.header_size, h.binary_len);
		goto fail;
	}
	if (h.build_id_len > CAT_TRACE_BUILD_ID_MAX) {
		rd_error(r, 48, "build-id length %u is invalid", h.build_id_len);
		goto fail;
	}
	if (!h.ncpus || h.ncpus > MAX_CPUS) {
		rd_error(r, 40, "CPU count %u is invalid", h.ncpus);
		goto fail;
	}
	r->info.version = h.version;
	r->info.abi_version = h.abi_version;
	r->info.realtime_offset_ns = h.realtime_offset_ns;
	r->info.start_ns = h.start_ns;
	r->info.ncpus = h.ncpus;
	r->info.tgid = h.tgid;
	r->info.build_id_len = h.build_id_len;
	memcpy(r->info.build_id, h.build_id, h.build_id_len);
	{
		char pathbuf[MAX_BINARY_LEN];

		if (rd_pread(r, pathbuf, h.binary_len, sizeof(h)))
			goto fail;
		r->info.binary = dup_bytes(pathbuf, h.binary_len);
		if (!r->info.binary) {
			rd_error(r, sizeof(h), "out of memory");
			goto fail;
		}
	}
	if (read_probes(r, h.header_size) || scan_blocks(r))
		goto fail;

	/* buffers come with a CPU's first chunk: CPUs without none */
	r->cur = calloc(r->info.ncpus, sizeof(*r->cur));
	r->heap = calloc(r->info.ncpus, sizeof(*r->heap));
	if (!r->cur || !r->heap) {
		rd_error(r, 0, "out of memory");
		goto fail;
	}
	reset_cursors(r);
	return r;
fail:
	snprintf(err, errlen, "%s", r->err);
fail_nomsg:
	cat_trace_close(r);
	return NULL;
}

/* Move to this CPU's next chunk; false when there is none. */
/*
 * The block header at @off, the @seq-th block after the probe table.
 * Cursors walk the same headers at about the same pace (chunks of all
 * CPUs interleave), so the last BLOCK_RING headers read are kept: each
 * is read once, not once per CPU.
 */
static int read_block(struct cat_trace_reader *r, uint64_t seq, uint64_t off,
		      struct cat_file_block *blk)
{
	struct block_ref *b = &r->ring[seq % BLOCK_RING];

	if (seq < r->ring_next && b->seq == seq && b->off == off) {
		*blk = b->blk;
		return 0;
	}
	if (rd_pread(r, blk, sizeof(*blk), off))
		return -1;
	if (seq >= r->ring_next) {
		b->seq = seq;
		b->off = off;
		b->blk = *blk;
		r->ring_next = seq + 1;
	}
	return 0;
}

static bool cursor_next_chunk(struct cat_trace_reader *r, struct cursor *cu)
{
	struct cat_file_block blk;

	while (cu->scan_off < r->blocks_end) {
		uint64_t off = cu->scan_off;

		if (r->blocks_end - off < sizeof(blk) ||
		    read_block(r, cu->scan_seq, off, &blk))
			return false;
		cu->scan_seq++;
		/* scan_blocks() validated magic, cpu and length alignment. */
		if (blk.len > r->fsize - off - sizeof(blk)) {
			cu->cut = true;
			blk.len = (r->fsize - off - sizeof(blk)) & ~7ull;
		}
		cu->scan_off = off + sizeof(blk) + blk.len;
		if (blk.arg == cu->cpu && blk.len) {
			if (!cu->buf && !(cu->buf = malloc(CURSOR_BUF))) {
				rd_error(r, off, "out of memory");
				return false;
			}
			cu->data_off = off + sizeof(blk);
			cu->data_end = cu->data_off + blk.len;
			cu->pos = cu->fill = 0;
			return true;
		}
	}
	return false;
}

/* Make @need bytes at buf[pos] available (need <= chunk bytes left). */
static int cursor_need(struct cat_trace_reader *r, struct cursor *cu,
		       size_t need)
{
	size_t have = cu->fill - cu->pos;
	uint64_t left, want;

	if (have >= need)
		return 0;
	if (cu->pos) {
		memmove(cu->buf, cu->buf + cu->pos, have);
		cu->pos = 0;
		cu->fill = have;
	}
	left = cu->data_end - (cu->data_off + have);
	want = CURSOR_BUF - have;
	if (want > left)
		want = left;
	if (rd_pread(r, cu->buf + have, want, cu->data_off + have))
		return -1;
	cu->fill += want;
	return 0;
}

static const uint16_t min_size[CAT_REC_TYPE_MAX] = {
	[CAT_REC_PROBE_ENTRY] = sizeof(struct cat_rec_probe_entry),
	[CAT_REC_PROBE_RETURN] = sizeof(struct cat_rec_probe_return),
	[CAT_REC_SCHED_SWITCH] = sizeof(struct cat_rec_sched_switch),
	[CAT_REC_THREAD_NEW] = sizeof(struct cat_rec_thread_new),
	[CAT_REC_THREAD_EXIT] = sizeof(struct cat_rec_thread_exit),
	[CAT_REC_EXEC] = sizeof(struct cat_rec_exec),
	[CAT_REC_LOST] = sizeof(struct cat_rec_lost),
	[CAT_REC_PROBE_STACK] = sizeof(struct cat_rec_probe_stack),
};

/* Peek this CPU's next valid record into cu->cur. 0 ok/done, -1 error. */
static int cursor_peek(struct cat_trace_reader *r, struct cursor *cu)
{
	const struct cat_rec_header *h;
	uint64_t left, off;

	while (!cu->cur && !cu->done) {
		if (cu->data_off >= cu->data_end) {
			if (!cursor_next_chunk(r, cu)) {
				cu->done = true;
				return r->failed ? -1 : 0;
			}
		}
		off = cu->data_off;
		left = cu->data_end - off;
		if (left < sizeof(*h)) {
			if (cu->cut) {
				rd_warn(r, off, "partial record at the end of the file (truncated)");
				cu->data_off = cu->data_end;
				/* nothing left for cursor_peek_fast() */
				cu->pos = cu->fill;
				continue;
			}
			rd_error(r, off, "%" PRIu64 " stray bytes at the end of a chunk",
				 left);
			return -1;
		}
		if (cursor_need(r, cu, sizeof(*h)))
			return -1;
		h = (const void *)(cu->buf + cu->pos);
		if (h->type == 0) {
			rd_error(r, off, "record type 0 is invalid");
			return -1;
		}
		if (h->size & 7) {
			rd_error(r, off + 2, "record size %u is not a multiple of 8",
				 h->size);
			return -1;
		}
		if (h->size < sizeof(*h)) {
			rd_error(r, off + 2, "record size %u is smaller than the %zu-byte header",
				 h->size, sizeof(*h));
			return -1;
		}
		if (h->size > left) {
			if (cu->cut) {
				rd_warn(r, off, "partial record at the end of the file (truncated)");
				cu->data_off = cu->data_end;
				/* nothing left for cursor_peek_fast() */
				cu->pos = cu->fill;
				continue;
			}
			rd_error(r, off + 2, "record size %u overruns its chunk (%" PRIu64 " bytes left)",
				 h->size, left);
			return -1;
		}
		if (h->type < CAT_REC_TYPE_MAX && h->size < min_size[h->type]) {
			rd_error(r, off + 2, "%s record of %u bytes, at least %u expected",
				 cat_rec_type_name(h->type), h->size,
				 min_size[h->type]);
			return -1;
		}
		if (cursor_need(r, cu, h->size))
			return -1;
		h = (const void *)(cu->buf + cu->pos);
		if (h->type == CAT_REC_PROBE_ENTRY) {
			const struct cat_rec_probe_entry *e = (const void *)h;

			if (e->nargs > CAT_MAX_ARGS ||
			    h->size != cat_entry_size(e->nargs, h->flags)) {
				rd_error(r, off + 28, "entry record with %u args%s has size %u",
					 e->nargs, (h->flags & CAT_ENTRY_F_RET_ADDR) ?
					 " and a return address" : "", h->size);
				return -1;
			}
		}
		if (h->type == CAT_REC_PROBE_STACK) {
			const struct cat_rec_probe_stack *k = (const void *)h;

			if (k->size > k->requested ||
			    h->size != cat_stack_size(k->size)) {
				rd_error(r, off + 28, "stack record with %u of %u bytes copied has size %u",
					 k->size, k->requested, h->size);
				return -1;
			}
		}
		if (h->cpu != cu->cpu && !cu->warned_cpu) {
			cu->warned_cpu = true;
			rd_warn(r, off + 4, "record says CPU %u inside a chunk of CPU %u",
				h->cpu, cu->cpu);
		}
		if (h->time_ns < cu->last_time && !cu->warned_time) {
			cu->warned_time = true;
			rd_warn(r, off + 8, "time goes back by %" PRIu64 " ns on CPU %u",
				(uint64_t)(cu->last_time - h->time_ns), cu->cpu);
		}
		cu->last_time = h->time_ns;
		cu->cur_off = off;
		cu->pos += h->size;
		cu->data_off += h->size;
		if (h->type >= CAT_REC_TYPE_MAX)
			continue;	/* a newer record type: skip (ABI rule) */
		cu->cur = h;
	}
	return 0;
}

/*
 * The common case of cursor_peek(): the whole next record is already in
 * the buffer, has a known type, is well formed and raises no warning.
 * It checks exactly what cursor_peek() checks; anything else (a refill,
 * the next chunk, an error, a first warning, a newer record type) returns
 * false and takes cursor_peek(), which starts over from the same state
 * and words every message and offset as before. Most records take only
 * this path: it is where reading spends its time.
 */
static inline bool cursor_peek_fast(struct cursor *cu)
{
	const struct cat_rec_header *h;
	size_t have = cu->fill - cu->pos;	/* never past the chunk end */
	unsigned int type, size;

	if (have < sizeof(*h))
		return false;
	h = (const void *)(cu->buf + cu->pos);
	type = h->type;
	size = h->size;
	if (type - 1u >= CAT_REC_TYPE_MAX - 1u || (size & 7) ||
	    size < sizeof(*h) || size < min_size[type] || size > have)
		return false;
	if (type == CAT_REC_PROBE_ENTRY) {
		const struct cat_rec_probe_entry *e = (const void *)h;

		if (e->nargs > CAT_MAX_ARGS ||
		    size != sizeof(*e) + 8u * e->nargs)
			return false;
	}
	if ((h->cpu != cu->cpu && !cu->warned_cpu) ||
	    (h->time_ns < cu->last_time && !cu->warned_time))
		return false;
	cu->last_time = h->time_ns;
	cu->cur_off = cu->data_off;
	cu->pos += size;
	cu->data_off += size;
	cu->cur = h;
	return true;
}

/*
 * Merge order: time, then CPU (a CPU's own records keep file order). Heap
 * entries carry their cursor's key, so that comparisons do not chase the
 * cursor and record pointers.
 */
static inline bool key_less(uint64_t time, uint32_t cpu,
			    const struct heap_ent *b)
{
	return time < b->time || (time == b->time && cpu < b->cpu);
}

static inline bool ent_less(const struct heap_ent *a, const struct heap_ent *b)
{
	return key_less(a->time, a->cpu, b);
}

static void heap_push(struct cat_trace_reader *r, struct cursor *cu)
{
	struct heap_ent e = { cu->cur->time_ns, cu->cpu, cu };
	uint32_t i = r->nheap++;

	while (i && key_less(e.time, e.cpu, &r->heap[(i - 1) / 2])) {
		r->heap[i] = r->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	r->heap[i] = e;
}

/*
 * Put @cu (next record at @time) at the root and sift it down; returns
 * the cursor of the old root. Scalars, not a struct, as arguments: the
 * struct went through the stack and stalled on store forwarding.
 */
static inline struct cursor *heap_replace_top(struct cat_trace_reader *r,
					      uint64_t time, uint32_t cpu,
					      struct cursor *cu)
{
	struct heap_ent *heap = r->heap;
	struct cursor *top = heap[0].cu;
	uint32_t i = 0, c, n = r->nheap;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && ent_less(&heap[c + 1], &heap[c]))
			c++;
		/* stop unless the child comes before (time, cpu) */
		if (!(heap[c].time < time ||
		      (heap[c].time == time && heap[c].cpu < cpu)))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i].time = time;
	heap[i].cpu = cpu;
	heap[i].cu = cu;
	return top;
}

static struct cursor *heap_pop(struct cat_trace_reader *r)
{
	struct cursor *top = r->heap[0].cu;

	if (--r->nheap) {
		struct heap_ent last = r->heap[r->nheap];

		heap_replace_top(r, last.time, last.cpu, last.cu);
	}
	return top;
}

/*
 * The cursor of the record returned last (r->top) is kept out of the
 * min-heap of the other CPUs' next records: when its next record still
 * comes first - the usual case, a CPU's records come in runs - it is
 * returned after one comparison, without touching the heap; otherwise it
 * trades places with the heap's root (one sift-down). The order is the
 * same as popping every record from one heap of all cursors. The record
 * returned last stays valid in its cursor's buffer until that cursor is
 * peeked again, at the next call.
 */
int cat_trace_next(struct cat_trace_reader *r,
		   const struct cat_rec_header **rec)
{
	struct cursor *cu;

	if (!r || r->failed)
		return -1;
	cu = r->top;
	if (cu) {
		cu->cur = NULL;
		if (!cursor_peek_fast(cu) && cursor_peek(r, cu))
			return -1;
		if (!cu->cur) {
			cu = r->nheap ? heap_pop(r) : NULL;
		} else if (r->nheap &&
			   !key_less(cu->cur->time_ns, cu->cpu, &r->heap[0])) {
			cu = heap_replace_top(r, cu->cur->time_ns, cu->cpu, cu);
		}
		r->top = cu;
	} else if (!r->started) {
		r->started = true;
		for (uint32_t c = 0; c < r->info.ncpus; c++) {
			cu = &r->cur[c];
			if (cursor_peek(r, cu))
				return -1;
			if (cu->cur)
				heap_push(r, cu);
		}
		r->top = cu = r->nheap ? heap_pop(r) : NULL;
	}
	if (!cu) {
		if (!r->info.has_trailer && r->last_time > r->info.end_ns)
			r->info.end_ns = r->last_time;
		return 0;
	}
	*rec = cu->cur;
	if (cu->cur->time_ns > r->last_time)
		r->last_time = cu->cur->time_ns;
	return 1;
}

unsigned int cat_trace_cpu(const struct cat_trace_reader *r)
{
	return r && r->top ? r->top->cpu : 0;
}

int cat_trace_rewind(struct cat_trace_reader *r)
{
	if (!r || r->failed)
		return -1;
	reset_cursors(r);
	return 0;
}

const struct cat_trace_info *cat_trace_info(const struct cat_trace_reader *r)
{
	return &r->info;
}

const char *cat_trace_error(const struct cat_trace_reader *r)
{
	return r->failed ? r->err : "no error";
}

unsigned int cat_trace_nwarnings(const struct cat_trace_reader *r)
{
	return r->nwarn;
}

const char *cat_trace_warning(const struct cat_trace_reader *r,
			      unsigned int i)
{
	if (i >= r->nwarn || i >= MAX_WARNINGS || !r->warn[i])
		return "(warning not kept)";
	return r->warn[i];
}

const struct cat_probe *cat_trace_probe(const struct cat_trace_reader *r,
					uint32_t id)
{
	const struct cat_probe_table *t = &r->info.probes;
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->probes[mid].id == id)
			return &t->probes[mid];
		if (t->probes[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void cat_trace_close(struct cat_trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->cur)
		for (uint32_t c = 0; c < r->info.ncpus; c++)
			free(r->cur[c].buf);
	free(r->cur);
	free(r->heap);
	for (size_t i = 0; i < r->info.probes.n; i++) {
		free(r->info.probes.probes[i].symbol);
		free(r->info.probes.probes[i].mangled);
		free(r->info.probes.probes[i].why);
	}
	free(r->info.probes.probes);
	free(r->info.cpu_stats);
	free(r->info.binary);
	for (unsigned int i = 0; i < r->nwarn && i < MAX_WARNINGS; i++)
		free(r->warn[i]);
	free(r->path);
	free(r);
}
