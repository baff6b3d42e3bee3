/* SPDX-License-Identifier: GPL-2.0 */
/*
 * catlib.h - what the tests of cat.ko need beyond the client library.
 *
 * The module is driven with the client's own code (client/session.h:
 * cat_control(), cat_control_write(), cat_file_read(),
 * cat_stats_read_checked(); client/drain.h: the relay buffer reader;
 * client/symbols.h: symbol file offsets), so the format is written once.
 * What stays here is test-only: the records of a run collected into one
 * sorted array for assertions, targets held before exec, small helpers.
 */
#ifndef _CATLIB_H
#define _CATLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cat_abi.h"
#include "drain.h"
#include "session.h"

#define CAT_LIB_MAX_CPUS	64

/* Path of a file next to the running test: $CAT_DIR/bin/<name>, else
 * <dir of /proc/self/exe>/../bin/<name>. Returns a static buffer. */
const char *cat_bin_path(const char *name);

/*
 * Loading and unloading cat.ko: the file is $CAT_KO, else the guest's
 * /lib/modules/cat.ko. 0 or -errno; the unload does not wait, so a module
 * still in use gives -EBUSY or -EAGAIN.
 */
int cat_module_load(void);
int cat_module_unload(void);
/* Whether the module's debugfs files are there. */
bool cat_module_loaded(void);

/* records + dropped == uprobe_hits + uretprobe_hits + sched_switch + lifecycle + stacks */
bool cat_counters_balanced(const struct cat_counters *c);
/* Poll the stats until state equals @state or @timeout_ms passes; 0 or -ETIMEDOUT. */
int cat_wait_state(const char *state, int timeout_ms);

/*
 * File offset (for a uprobe) and link-time vaddr (may be NULL) of function
 * @sym of @path, from the client's symbol table (.symtab). 0 or -errno
 * (-ENOENT: no such file or function, -ENOEXEC: no usable symbol table).
 */
int cat_elf_sym_offset(const char *path, const char *sym, uint64_t *offset,
		       uint64_t *vaddr);

/* Map the buffers of the current session, geometry from the stats file;
 * call after "start". 0 or -errno. Unmap with cat_drain_close(). */
int cat_buffers_open(struct cat_drain *d);

/* All records of a trace, copied out of the buffers and sorted by time. */
struct cat_trace {
	size_t n, cap;
	struct cat_rec_header **rec;
	uint64_t per_cpu_records[CAT_LIB_MAX_CPUS];	/* data records, LOST excluded */
	uint64_t per_cpu_lost_markers[CAT_LIB_MAX_CPUS];
	uint64_t per_cpu_lost_count[CAT_LIB_MAX_CPUS];	/* sum of cat_rec_lost.count */
};

/*
 * Drain every committed subbuffer with cat_drain_once() and append its
 * records to @t, checking each subbuffer's cpu and each record's size and
 * cpu. Number of new records, or -EPROTO (@err says what) or -errno.
 */
long cat_trace_collect(struct cat_drain *d, struct cat_trace *t,
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
