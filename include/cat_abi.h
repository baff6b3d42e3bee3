/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cat_abi.h - the kernel/user ABI of cat: record layout and control grammar.
 *
 * This is the only place the format is written down in code. cat.ko writes
 * these records into per-CPU relay buffers; catctl reads them back through
 * mmap and copies them verbatim into its raw trace file. See
 * Documentation/record-format.rst and Documentation/control.rst.
 *
 * Version rule: CAT_ABI_VERSION changes whenever a record, the subbuffer
 * header or the control grammar changes in a way an older reader would
 * misread. Adding a new record type does not change the version: readers
 * skip types they do not know, using the size field of the common header.
 *
 * All fields are in the byte order of the traced machine (little-endian on
 * x86-64, the only architecture cat supports today). Every record is padded
 * to a multiple of 8 bytes, and every 64-bit field is naturally aligned.
 */
#ifndef _CAT_ABI_H
#define _CAT_ABI_H

#include <linux/types.h>

#define CAT_ABI_VERSION		3
#define CAT_ABI_VERSION_MIN_READ 2	/* v3 only added: readers take v2 records */

/* debugfs layout, below the debugfs mount point */
#define CAT_DEBUGFS_DIR		"cat"
#define CAT_CONTROL_FILE	"control"
#define CAT_STATS_FILE		"stats"
#define CAT_BUFFER_BASE		"cpu"	/* one relay file per CPU: cpu0, cpu1, ... */

/* ------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------ */

enum cat_record_type {
	CAT_REC_PROBE_ENTRY	= 1,	/* struct cat_rec_probe_entry */
	CAT_REC_PROBE_RETURN	= 2,	/* struct cat_rec_probe_return */
	CAT_REC_SCHED_SWITCH	= 3,	/* struct cat_rec_sched_switch */
	CAT_REC_THREAD_NEW	= 4,	/* struct cat_rec_thread_new */
	CAT_REC_THREAD_EXIT	= 5,	/* struct cat_rec_thread_exit */
	CAT_REC_EXEC		= 6,	/* struct cat_rec_exec */
	CAT_REC_LOST		= 7,	/* struct cat_rec_lost */
	CAT_REC_PROBE_STACK	= 8,	/* struct cat_rec_probe_stack */
	CAT_REC_TYPE_MAX
};

/*
 * Common header of every record. @size is the size of the whole record in
 * bytes, header included, always a multiple of 8. @time_ns is
 * CLOCK_MONOTONIC (ktime_get_mono_fast_ns()), so it lines up with
 * clock_gettime(CLOCK_MONOTONIC) in user space. @tid and @tgid are those of
 * the task that was current when the record was written, as seen from the
 * initial PID namespace.
 */
struct cat_rec_header {
	__u16 type;		/* enum cat_record_type */
	__u16 size;
	__u16 cpu;
	__u16 flags;		/* per-type CAT_*_F_* bits */
	__u64 time_ns;
	__u32 tid;
	__u32 tgid;
};

#define CAT_MAX_ARGS		6	/* x86-64: rdi rsi rdx rcx r8 r9 */

/* cat_rec_probe_entry.header.flags */
#define CAT_ENTRY_F_NO_RETURN	0x1	/* the kernel will skip this uretprobe
					 * (return-instance nesting limit) */
#define CAT_ENTRY_F_RA_FAULT	0x2	/* return address could not be read */
#define CAT_ENTRY_F_RET_ADDR	0x4	/* args[nargs] is the return address */

/*
 * A uprobe hit at a function's first instruction @ip (a run-time address:
 * the reader learns the load bias from it). @args holds @nargs integer
 * argument registers in calling-convention order; @nargs is what the probe
 * was configured with. A probe added with a "+ra" mode also records the
 * caller's return address (the word at the user stack pointer) after the
 * arguments and sets CAT_ENTRY_F_RET_ADDR. Reading the user stack is
 * opt-in: it is the dearest part of an entry record, and only spawn calls
 * need it. The record is cat_entry_size(@nargs, flags) bytes long.
 */
struct cat_rec_probe_entry {
	struct cat_rec_header h;
	__u32 probe_id;
	__u16 nargs;
	__u16 reserved;
	__u64 ip;
	__u64 args[];
};

/* Size of an entry record with @nargs arguments and header @flags. */
static inline __u32 cat_entry_size(unsigned int nargs, unsigned int flags)
{
	return sizeof(struct cat_rec_probe_entry) +
	       8 * (nargs + !!(flags & CAT_ENTRY_F_RET_ADDR));
}

/* The caller's return address in @e; 0 if not recorded or unreadable. */
static inline __u64 cat_entry_ret_addr(const struct cat_rec_probe_entry *e)
{
	if ((e->h.flags & (CAT_ENTRY_F_RET_ADDR | CAT_ENTRY_F_RA_FAULT)) !=
	    CAT_ENTRY_F_RET_ADDR)
		return 0;
	return e->args[e->nargs];
}

/*
 * Registers of a CAT_REC_PROBE_STACK record, in this order: what a DWARF
 * (CFI) unwinder needs at a function's first instruction. The CFA there
 * is sp + 8; the callee-saved registers are what the callers' CFI may
 * say were saved or kept.
 */
enum cat_stack_reg {
	CAT_STACK_REG_IP,
	CAT_STACK_REG_SP,
	CAT_STACK_REG_BP,
	CAT_STACK_REG_BX,
	CAT_STACK_REG_R12,
	CAT_STACK_REG_R13,
	CAT_STACK_REG_R14,
	CAT_STACK_REG_R15,
	CAT_STACK_NREGS
};

/* cat_rec_probe_stack.header.flags */
#define CAT_STACK_F_SHORT	0x1	/* @size < @requested: the copy stopped
					 * at the first page it could not read */
#define CAT_STACK_F_FAULT	0x2	/* with SHORT: that page belongs to a
					 * mapping (not resident, or not
					 * readable) or it could not be told;
					 * without FAULT the stack's mapping
					 * simply ended there */

/*
 * Written right after the CAT_REC_PROBE_ENTRY of a "+stack" probe, on the
 * same CPU with the same header (time, tid, tgid): the user registers
 * at the probed function's first instruction and a copy of the user
 * stack from regs[CAT_STACK_REG_SP] upwards, @size bytes of the
 * @requested. @data is padded with zeros to a multiple of 8; the record
 * is cat_stack_size(@size) bytes. If the entry record was dropped this
 * one is dropped (and counted) too, so a stack record always follows its
 * entry.
 */
struct cat_rec_probe_stack {
	struct cat_rec_header h;
	__u32 probe_id;
	__u32 size;		/* stack bytes copied */
	__u32 requested;	/* stack bytes the probe asked for */
	__u32 reserved;
	__u64 regs[CAT_STACK_NREGS];	/* enum cat_stack_reg */
	__u8 data[];
};

static inline __u32 cat_stack_size(__u32 size)
{
	return sizeof(struct cat_rec_probe_stack) + ((size + 7) & ~7u);
}

/*
 * A uretprobe hit: probe @probe_id's function returned. @ret holds rax and
 * rdx (a two-register return value, such as Poll<Result<..>> or a 16-byte
 * struct, uses both).
 */
struct cat_rec_probe_return {
	struct cat_rec_header h;
	__u32 probe_id;
	__u32 reserved;
	__u64 ret[2];
};

/* cat_rec_sched_switch.header.flags */
#define CAT_SWITCH_F_PREEMPT	0x1	/* prev was preempted (involuntary) */
#define CAT_SWITCH_F_IOWAIT	0x2	/* prev blocked in I/O wait (in_iowait) */

/*
 * Values of @prev_state: the kernel's task state bits at the switch
 * (prev->__state), masked to CAT_TASK_STATE_MASK (modifier bits such as
 * TASK_FREEZABLE are dropped). 0 is runnable; with CAT_SWITCH_F_PREEMPT
 * the task was preempted while runnable. The values are the kernel's
 * (6.1 to 7.x; cat.ko checks them at build time).
 *
 * The mask keeps TASK_NOLOAD, so TASK_IDLE (UNINTERRUPTIBLE | NOLOAD, the
 * kernel's "I": an idle wait) is told apart from a "D" sleep. The bit was
 * added without a version change: the layout is the same, an older
 * reader still sees TASK_IDLE as uninterruptible, and traces from older
 * modules record TASK_IDLE as plain UNINTERRUPTIBLE.
 */
#define CAT_TASK_RUNNING		0x0000
#define CAT_TASK_INTERRUPTIBLE		0x0001	/* S: sleeping, woken by events */
#define CAT_TASK_UNINTERRUPTIBLE	0x0002	/* D: disk/uninterruptible */
#define CAT_TASK_STOPPED		0x0004	/* T */
#define CAT_TASK_TRACED			0x0008	/* t */
#define CAT_TASK_DEAD			0x0080
#define CAT_TASK_PARKED			0x0040
#define CAT_TASK_NOLOAD			0x0400	/* with UNINTERRUPTIBLE: I */
#define CAT_TASK_IDLE			(CAT_TASK_UNINTERRUPTIBLE | CAT_TASK_NOLOAD)
#define CAT_TASK_STATE_MASK		0x04cf

#define CAT_COMM_LEN		16

/*
 * sched_switch, recorded when prev or next belongs to a traced process.
 * The header's tid/tgid are prev's (the task that was current).
 */
struct cat_rec_sched_switch {
	struct cat_rec_header h;
	__u32 prev_tid;
	__u32 prev_tgid;
	__u32 next_tid;
	__u32 next_tgid;
	__u32 prev_state;
	__u32 reserved;
	char prev_comm[CAT_COMM_LEN];
	char next_comm[CAT_COMM_LEN];
};

/* cat_rec_thread_new.header.flags */
#define CAT_NEW_F_PROCESS	0x1	/* a new process (fork), not a thread */
#define CAT_NEW_F_FOLLOWED	0x2	/* the new process is traced too */

/* A traced thread created a thread or process. The header is the parent's. */
struct cat_rec_thread_new {
	struct cat_rec_header h;
	__u32 child_tid;
	__u32 child_tgid;
	char comm[CAT_COMM_LEN];
};

/*
 * cat_rec_thread_exit.header.flags. GROUP_DEAD: no thread of the process
 * was left running when this one exited. Threads of a dying process race
 * to their exit, so more than one may carry it; the process's last exit
 * record always does.
 */
#define CAT_EXIT_F_GROUP_DEAD	0x1

/* A traced thread exited. The header is the exiting thread's. */
struct cat_rec_thread_exit {
	struct cat_rec_header h;
	__s32 exit_code;	/* task->exit_code, wait(2) encoding */
	__u32 reserved;
	char comm[CAT_COMM_LEN];
};

#define CAT_EXEC_PATH_LEN	256

/* A traced thread called execve() successfully. */
struct cat_rec_exec {
	struct cat_rec_header h;
	__u32 old_tid;		/* tid before exec (a non-leader becomes leader) */
	__u32 reserved;
	char filename[CAT_EXEC_PATH_LEN];	/* NUL-terminated, truncated */
};

/*
 * Written before the first record a CPU manages to write after it had to
 * drop some because its buffer was full: @count records were lost on this
 * CPU between the previous record and this one.
 */
struct cat_rec_lost {
	struct cat_rec_header h;
	__u64 count;
};

/* ------------------------------------------------------------------------
 * Relay buffers
 * ------------------------------------------------------------------------
 * Each CPU's buffer file is n_subbufs subbuffers of subbuf_size bytes;
 * a reader maps the whole file (subbuf_size * n_subbufs bytes). Every
 * subbuffer starts with this header, followed by records. The writer
 * fills in @magic, @seq and @cpu when it starts a subbuffer and sets
 * @padding and then @committed (with a write barrier in between) when it
 * moves on, so a reader that sees @committed == 1 (read with acquire
 * semantics) may read the records in
 * [sizeof(header), subbuf_size - padding). A subbuffer keeps its old seq
 * and committed == 1 after it was consumed, until the writer reuses it, so
 * a reader must read @seq first and require seq == consumed before it
 * looks at @committed. After reading, the reader
 * writes "consumed <cpu> <n>" to the control file to give the subbuffers
 * back. @seq counts subbuffers on that CPU from 0: the reader's
 * next subbuffer is index (consumed % n_subbufs) and must carry
 * seq == consumed.
 */
#define CAT_SUBBUF_MAGIC	0x43415431	/* "CAT1" */

struct cat_subbuf_header {
	__u32 magic;
	__u32 committed;
	__u64 seq;
	__u32 padding;
	__u32 cpu;
};

/* ------------------------------------------------------------------------
 * Control grammar: one command per write(2) to the control file, a
 * trailing newline optional. Numbers are decimal or 0x-prefixed hex.
 *
 *   probe <id> <mode> <nargs> <offset> <path>
 *			add a uprobe on the file at <path> (rest of the line,
 *			may contain spaces) at file <offset>; <id> is the
 *			caller's name for it, unique, copied into records;
 *			<mode> is entry, return or both (which records), or
 *			entry+ra, both+ra (entry records also carry the
 *			caller's return address), or entry+stack[=N],
 *			both+stack[=N] (as +ra, and each entry record is
 *			followed by a CAT_REC_PROBE_STACK with the
 *			registers and N bytes of user stack; N a multiple
 *			of 8 in [CAT_MIN_STACK_COPY, CAT_MAX_STACK_COPY],
 *			default CAT_DEFAULT_STACK_COPY)
 *   unprobe <id>	remove probe <id>
 *   target <tgid> [follow]
 *			trace process <tgid>; with "follow", also the
 *			processes it forks from now on
 *   buffers <subbuf_size> <n_subbufs>
 *			relay geometry per CPU (takes effect at start)
 *   mode <record|count>
 *			record: write records; count: only count probe
 *			hits (the floor cost of a probe, for benchmarks)
 *   start		register the probes and start recording (-EMSGSIZE
 *			if a +stack probe's records cannot fit in a
 *			subbuffer)
 *   stop		stop recording; the buffers stay readable
 *   consumed <cpu> <n>	the reader is done with n more subbuffers of <cpu>
 *   reset		drop the buffers and counters (configuration kept)
 *   clear		forget probes and target (configuration to defaults)
 *
 * States: idle --start--> running --stop--> stopped --reset--> idle.
 * Configuration commands are accepted in idle only (-EBUSY otherwise);
 * a malformed command returns -EINVAL (also "start" without a target), an
 * unknown probe id -ENOENT, a duplicate id -EEXIST, a target process that
 * does not exist (any more) -ESRCH; in every error case the
 * state and configuration are unchanged. Reading the control file returns
 * the configuration in this same grammar, preceded by comment lines
 * starting with '#'.
 *
 * A session belongs to the process that wrote "start": when that process
 * exits without writing "stop", the module stops tracing and releases the
 * probes by itself.
 * ------------------------------------------------------------------------ */
#define CAT_CMD_MAX		4352	/* longest accepted command line */

/*
 * "probe" modes: bits, and their keywords in the grammar. A mode is valid
 * iff it has a keyword (RET_ADDR needs ENTRY).
 */
#define CAT_PROBE_MODE_ENTRY	0x1
#define CAT_PROBE_MODE_RETURN	0x2
#define CAT_PROBE_MODE_BOTH	(CAT_PROBE_MODE_ENTRY | CAT_PROBE_MODE_RETURN)
#define CAT_PROBE_MODE_RET_ADDR	0x4	/* entry records carry the caller */
#define CAT_PROBE_MODE_STACK	0x8	/* and are followed by a stack copy
					 * (needs RET_ADDR: the copy has it) */
#define CAT_PROBE_MODE_ENTRY_STACK					\
	(CAT_PROBE_MODE_ENTRY | CAT_PROBE_MODE_RET_ADDR | CAT_PROBE_MODE_STACK)
#define CAT_PROBE_MODE_BOTH_STACK					\
	(CAT_PROBE_MODE_BOTH | CAT_PROBE_MODE_RET_ADDR | CAT_PROBE_MODE_STACK)
#define CAT_PROBE_MODE_KEYWORDS {					\
	[CAT_PROBE_MODE_ENTRY]	= "entry",				\
	[CAT_PROBE_MODE_RETURN]	= "return",				\
	[CAT_PROBE_MODE_BOTH]	= "both",				\
	[CAT_PROBE_MODE_ENTRY | CAT_PROBE_MODE_RET_ADDR] = "entry+ra",	\
	[CAT_PROBE_MODE_BOTH | CAT_PROBE_MODE_RET_ADDR] = "both+ra",	\
	[CAT_PROBE_MODE_ENTRY_STACK] = "entry+stack",			\
	[CAT_PROBE_MODE_BOTH_STACK] = "both+stack",			\
}
/*
 * Stack copy sizes of "+stack[=N]" modes. The record's size field is
 * 16 bits, so the copy stays well below 64 KiB; 16 KiB reaches the
 * program's frame from inside the spawn functions of tokio, async-std and
 * smol debug builds (their frames hold the future by value).
 */
#define CAT_MIN_STACK_COPY	64
#define CAT_DEFAULT_STACK_COPY	(16 * 1024)
#define CAT_MAX_STACK_COPY	(48 * 1024)
#define CAT_MAX_PROBES		4096
#define CAT_MAX_TARGETS		64	/* traced processes, children included */

#define CAT_DEFAULT_SUBBUF_SIZE	(256 * 1024)
#define CAT_DEFAULT_N_SUBBUFS	16
#define CAT_MIN_SUBBUF_SIZE	4096
#define CAT_MAX_SUBBUF_SIZE	(16 * 1024 * 1024)
#define CAT_MIN_N_SUBBUFS	2
#define CAT_MAX_N_SUBBUFS	1024
#define CAT_MAX_BUFFER_BYTES	(256UL * 1024 * 1024)	/* per CPU */

/* ------------------------------------------------------------------------
 * The stats file: "key: value" lines. First the session's keys (state,
 * version, mode, probes, target, follow, subbuf_size, n_subbufs, cpus),
 * then for each possible CPU N one "cpuN.<counter>: <value>" line per
 * counter below, then "total.<counter>: <value>" lines that are the exact
 * sums. In record mode, for every CPU and in total:
 *   records + dropped == uprobe_hits + uretprobe_hits + sched_switch
 *                        + lifecycle + stacks
 * (lost markers are counted apart, in lost_markers).
 * ------------------------------------------------------------------------ */
#define CAT_STATS_COUNTERS(X)						\
	X(records)		/* data records written */		\
	X(bytes)		/* bytes of all records written */	\
	X(dropped)		/* records dropped: buffer full */	\
	X(lost_markers)		/* CAT_REC_LOST records written */	\
	X(uprobe_hits)		/* entry handler ran for a target */	\
	X(uretprobe_hits)	/* return handler ran for a target */	\
	X(uretprobe_skipped)	/* entries whose return the kernel skips */ \
	X(sched_switch)		/* switches involving a target */	\
	X(lifecycle)		/* thread new/exit and exec events */	\
	X(stacks)		/* stack records attempted (+stack entries) */ \
	X(stack_short)		/* of them written with CAT_STACK_F_SHORT */ \
	X(stack_faults)		/* of them written with CAT_STACK_F_FAULT */

/* One CPU's (or the total's) counters: per-CPU in cat.ko, parsed by catctl. */
struct cat_counters {
#define CAT_COUNTER_FIELD(name) __u64 name;
	CAT_STATS_COUNTERS(CAT_COUNTER_FIELD)
#undef CAT_COUNTER_FIELD
};

#endif /* _CAT_ABI_H */
