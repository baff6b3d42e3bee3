/* SPDX-License-Identifier: GPL-2.0 */
/*
 * catlib.h - helpers shared by the tests of cat.ko and catctl.
 *
 * The tests talk to the module the way catctl does: one command per write
 * to the control file, "key: value" lines from the stats file, records
 * from the mmap'ed relay buffers. These helpers do that once, strictly
 * (anything unexpected is an error the test can report), so that each
 * test only states what it expects. The record layout comes from
 * include/cat_abi.h and is not repeated here.
 */
#ifndef _CATLIB_H
#define _CATLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cat_abi.h"

#define CAT_LIB_MAX_CPUS	64

/* Directory of the module's debugfs files: $CAT_DEBUGFS or the default. */
const char *cat_debugfs(void);
/* Path of a file next to the running test: $CAT_DIR/bin/<name>, else
 * <dir of /proc/self/exe>/../bin/<name>. Returns a static buffer. */
const char *cat_bin_path(const char *name);

/*
 * Control file. cat_ctl() formats one command and writes it with a single
 * write(2), as the grammar requires; cat_ctl_raw() writes bytes as given.
 * Both return 0 or -errno (a short write is -EIO).
 */
int cat_ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cat_ctl_raw(const void *buf, size_t len);
/* Read the whole control file into buf (NUL-terminated); length or -errno. */
ssize_t cat_ctl_read(char *buf, size_t size);

/* The stats file, parsed; struct cat_counters (cat_abi.h) is built from
 * the CAT_STATS_COUNTERS X-macro, so a new counter needs no change here. */

struct cat_stats {
	char state[32];		/* idle, running, stopped */
	char mode[16];
	char target[32];	/* as printed */
	char follow[16];
	uint64_t version, probes, subbuf_size, n_subbufs, cpus;
	int ncpu;		/* cpuN sections seen: N < ncpu */
	struct cat_counters cpu[CAT_LIB_MAX_CPUS];
	struct cat_counters total;
};

/*
 * Parse the stats file. Returns 0, -errno if it cannot be read, or
 * -EPROTO if it is malformed: a line that is not "key: number" where a
 * number is due, a counter missing for a CPU or the total, or a total
 * that is not the sum of the per-CPU values. @err (may be NULL) gets a
 * description of what was wrong.
 */
int cat_stats_read(struct cat_stats *st, char *err, size_t errlen);
/* records + dropped == uprobe_hits + uretprobe_hits + sched_switch + lifecycle */
bool cat_counters_balanced(const struct cat_counters *c);
/* Poll the stats until state equals @state or @timeout_ms passes; 0 or -ETIMEDOUT. */
int cat_wait_state(const char *state, int timeout_ms);

/*
 * ELF symbol lookup with libelf: the file offset a uprobe needs for
 * function @sym of @path (symbol vaddr - p_vaddr + p_offset of the PT_LOAD
 * holding it), and optionally its link-time vaddr. 0 or -errno (-ENOENT:
 * no such function symbol).
 */
int cat_elf_sym_offset(const char *path, const char *sym, uint64_t *offset,
		       uint64_t *vaddr);

/*
 * Relay buffer reader: maps every cpuN file and follows the subbuffer
 * protocol of cat_abi.h (committed flag, seq, padding, "consumed"). The
 * next subbuffer is ready when its seq equals the count consumed so far
 * and then committed is 1; a lower seq is an old subbuffer not yet
 * rewritten, a higher one is a protocol error.
 */
struct cat_reader {
	int ncpu;
	size_t subbuf_size, n_subbufs, map_len;
	struct {
		int fd;
		void *map;
		uint64_t consumed;
	} cpu[CAT_LIB_MAX_CPUS];
};

/* Geometry from the stats file; call after "start". 0 or -errno. */
int cat_reader_open(struct cat_reader *r);
void cat_reader_close(struct cat_reader *r);

/* Called for each record, in buffer order per CPU; non-zero stops. */
typedef int (*cat_record_fn)(const struct cat_rec_header *h, int cpu, void *ctx);
/*
 * Read every committed subbuffer of every CPU, give each back with
 * "consumed <cpu> 1", call @fn on each record. Returns the number of
 * records read, or -EPROTO (bad magic, seq, cpu, padding or record size;
 * @err says which) or -errno.
 */
long cat_reader_drain(struct cat_reader *r, cat_record_fn fn, void *ctx,
		      char *err, size_t errlen);

/* All records of a trace, copied out of the buffers and sorted by time. */
struct cat_trace {
	size_t n, cap;
	struct cat_rec_header **rec;
	uint64_t per_cpu_records[CAT_LIB_MAX_CPUS];	/* data records, LOST excluded */
	uint64_t per_cpu_lost_markers[CAT_LIB_MAX_CPUS];
	uint64_t per_cpu_lost_count[CAT_LIB_MAX_CPUS];	/* sum of cat_rec_lost.count */
};

/* Drain the reader into @t (appending). Number of new records or -errno. */
long cat_trace_collect(struct cat_reader *r, struct cat_trace *t,
		       char *err, size_t errlen);
void cat_trace_sort(struct cat_trace *t);
void cat_trace_free(struct cat_trace *t);
/* Number of records of @type (0: all) from thread-group @tgid (0: any). */
size_t cat_trace_count(const struct cat_trace *t, int type, uint32_t tgid);

/*
 * Starting a target with nothing run before tracing: the child is forked
 * with its stdin and stdout on pipes and blocks reading one byte from
 * stdin before it execs @argv. The test configures and starts tracing,
 * then calls cat_child_release(). Later bytes on stdin and lines on stdout
 * are the target's own protocol (see selftests/kmod/targets/cat_target.c).
 * @cpu >= 0 pins the child to that CPU first.
 */
struct cat_child {
	pid_t pid;
	int in;		/* write end of the child's stdin */
	int out;	/* read end of the child's stdout */
};

int cat_child_spawn(struct cat_child *c, char *const argv[], int cpu);
int cat_child_release(struct cat_child *c);
/* Send one byte: lets a target blocked in "wait" go on. */
int cat_child_send(struct cat_child *c, char byte);
/* Read one line from the child's stdout (no newline), with a timeout. 0/-errno. */
int cat_child_readline(struct cat_child *c, char *buf, size_t size, int timeout_ms);
/* waitpid() with a timeout (the child is killed after it); wait status or -errno. */
int cat_child_wait(struct cat_child *c, int timeout_ms);
void cat_child_kill(struct cat_child *c);

/* Monotonic milliseconds, for polls with a timeout. */
uint64_t cat_now_ms(void);

#endif /* _CATLIB_H */
