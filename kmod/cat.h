/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cat.h - what the parts of cat.ko share.
 *
 * Locking, outermost first:
 *   cat_mutex		control commands, state changes, configuration,
 *			the probe list; held while (un)registering uprobes
 *			and tracepoints, so it is never taken in a probe.
 *   cat_targets_lock	(spinlock) writers of the traced-tgid set; the
 *			probes read the set without it (see target.c).
 * The probe paths (uprobe handlers, tracepoints) take no lock at all: they
 * write to the current CPU's relay buffer and counters with IRQs off,
 * which serialises them against each other on that CPU.
 */
#ifndef CAT_H
#define CAT_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/percpu.h>
#include <linux/uprobes.h>

#include "cat_abi.h"
#include "compat.h"

enum cat_state {
	CAT_IDLE,	/* configurable, no buffers */
	CAT_RUNNING,	/* probes armed, recording */
	CAT_STOPPED,	/* probes released, buffers readable */
};

/* One configured uprobe. Immutable while registered. */
struct cat_probe {
	struct list_head node;
	u32 id;
	u8 mode;		/* CAT_PROBE_MODE_* bits */
	u8 nargs;
	u32 stack_size;		/* +stack: bytes of user stack to copy */
	loff_t offset;
	struct path path;	/* pins the inode from "probe" to removal */
	char *pathname;
	struct uprobe_consumer uc;
	cat_uprobe_t handle;
	bool registered;
};

struct cat_config {
	struct list_head probes;
	unsigned int nr_probes;
	pid_t target;		/* 0: none */
	bool follow;
	bool count_only;
	size_t subbuf_size;
	size_t n_subbufs;
};

struct cat_cpu {
	struct cat_counters stats;
	u64 pending_lost;	/* dropped since the last record written */
};

DECLARE_PER_CPU(struct cat_cpu, cat_cpu);

extern struct mutex cat_mutex;
extern enum cat_state cat_state;
extern struct cat_config cat_config;
extern pid_t cat_owner_tgid;
extern struct dentry *cat_dir;

/* control.c */
extern const struct file_operations cat_control_fops;
const char *cat_state_name(void);
int cat_start(void);
void cat_stop(void);
void cat_reset(void);
void cat_clear(void);

/* target.c: the set of traced processes */
int cat_target_add(pid_t tgid);
void cat_target_remove(pid_t tgid);
void cat_targets_clear(void);
unsigned int cat_targets_unfollowed(void);
static inline bool cat_current_traced(void)
{
	return cat_tgid_traced(current->tgid);
}

/* probes.c */
int cat_probe_add(u32 id, u8 mode, u8 nargs, u32 stack_size, loff_t offset,
		  const char *path);
int cat_probe_remove(u32 id);
void cat_probes_free(void);
int cat_probes_register(void);
void cat_probes_unregister(void);

/*
 * stack.c: user stack copies of "+stack" probes. A copy is taken into
 * this CPU's scratch buffer with preemption off (begin), written as a
 * CAT_REC_PROBE_STACK after its entry record with IRQs off (record), and
 * preemption is enabled again (end).
 */
struct cat_stack_copy {
	void *buf;		/* this CPU's scratch buffer */
	u32 size;		/* bytes copied */
	u32 requested;
	u16 flags;		/* CAT_STACK_F_* */
};
int cat_stack_prepare(size_t subbuf_size);
void cat_stack_release(void);
void cat_stack_copy_begin(struct cat_stack_copy *sc, u32 size,
			  struct pt_regs *regs);
void cat_stack_record(struct cat_cpu *c, struct cat_probe *p,
		      struct pt_regs *regs, struct cat_stack_copy *sc,
		      const struct cat_rec_header *entry);
void cat_stack_copy_end(struct cat_stack_copy *sc);

/* sched.c: scheduler and process lifecycle tracepoints */
int cat_sched_init(void);
int cat_sched_register(void);
void cat_sched_unregister(void);
void cat_sched_exit(void);

/* buffer.c: relay channel and record writing */
int cat_buffer_open(size_t subbuf_size, size_t n_subbufs);
void cat_buffer_flush(void);
void cat_buffer_close(void);
bool cat_buffer_is_open(void);
int cat_buffer_consumed(unsigned int cpu, size_t n);
void *cat_record_begin(struct cat_cpu *c, u16 type, size_t size, u16 flags);
void cat_stats_reset(void);

/* stats.c */
extern const struct file_operations cat_stats_fops;

#endif /* CAT_H */
