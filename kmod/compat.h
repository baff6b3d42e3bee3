/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every kernel-version difference cat.ko cares about, in one
 * place, so the rest of the module reads like code for one kernel.
 *
 *  - 6.12: uprobe_register() returns a struct uprobe * and takes a
 *    ref_ctr_offset; unregistering is split into uprobe_unregister_nosync()
 *    plus one uprobe_unregister_sync(); the consumer's filter() lost its
 *    uprobe_filter_ctx argument.
 *  - 6.13: uprobe handlers and return handlers gain a trailing __u64 *data.
 *  - 6.17: relay's subbuf_start() callback lost its prev_padding argument;
 *    the padding of the previous subbuffer is only in the per-subbuffer
 *    buf->padding[] (7.3 has no buf->prev_padding any more), which relay
 *    fills in before it calls subbuf_start().
 *
 * Plus two things the kernel keeps private that cat has to mirror:
 * MAX_URETPROBE_DEPTH (kernel/events/uprobes.c) and how to tell which
 * process owns an mm from the uprobe filter.
 */
#ifndef CAT_COMPAT_H
#define CAT_COMPAT_H

#include <linux/version.h>
#include <linux/uprobes.h>
#include <linux/relay.h>
#include <linux/mm_types.h>
#include <linux/sched.h>
#include <linux/rcupdate.h>

#ifndef CONFIG_X86_64
#error "cat.ko records x86-64 registers; other architectures are not supported yet"
#endif

/* kernel/events/uprobes.c: deeper pending returns are skipped, not probed */
#define CAT_MAX_URETPROBE_DEPTH	64

/* ---- uprobe registration ---- */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
typedef struct uprobe *cat_uprobe_t;

static inline int cat_uprobe_register(struct inode *inode, loff_t offset,
				      struct uprobe_consumer *uc,
				      cat_uprobe_t *handle)
{
	struct uprobe *u = uprobe_register(inode, offset, 0, uc);

	if (IS_ERR(u))
		return PTR_ERR(u);
	*handle = u;
	return 0;
}

/* Call cat_uprobe_unregister_sync() once after a batch of these. */
static inline void cat_uprobe_unregister(struct inode *inode, loff_t offset,
					 struct uprobe_consumer *uc,
					 cat_uprobe_t handle)
{
	uprobe_unregister_nosync(handle, uc);
}

static inline void cat_uprobe_unregister_sync(void)
{
	uprobe_unregister_sync();
}

#define CAT_UPROBE_FILTER_ARGS	struct uprobe_consumer *uc, struct mm_struct *mm
#else
typedef void *cat_uprobe_t;	/* 6.1 names a uprobe by inode + offset */

static inline int cat_uprobe_register(struct inode *inode, loff_t offset,
				      struct uprobe_consumer *uc,
				      cat_uprobe_t *handle)
{
	*handle = NULL;
	return uprobe_register(inode, offset, uc);
}

/* Synchronous on 6.1: waits for running handlers (register_rwsem). */
static inline void cat_uprobe_unregister(struct inode *inode, loff_t offset,
					 struct uprobe_consumer *uc,
					 cat_uprobe_t handle)
{
	uprobe_unregister(inode, offset, uc);
}

static inline void cat_uprobe_unregister_sync(void)
{
}

#define CAT_UPROBE_FILTER_ARGS	struct uprobe_consumer *uc,		\
				enum uprobe_filter_ctx ctx,		\
				struct mm_struct *mm
#endif

/* ---- uprobe handler prototypes ---- */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define CAT_UPROBE_HANDLER_ARGS	struct uprobe_consumer *uc,		\
				struct pt_regs *regs, __u64 *data
#define CAT_URETPROBE_HANDLER_ARGS struct uprobe_consumer *uc,		\
				unsigned long func, struct pt_regs *regs, \
				__u64 *data
#else
#define CAT_UPROBE_HANDLER_ARGS	struct uprobe_consumer *uc,		\
				struct pt_regs *regs
#define CAT_URETPROBE_HANDLER_ARGS struct uprobe_consumer *uc,		\
				unsigned long func, struct pt_regs *regs
#endif

/*
 * Will the kernel skip the uretprobe of the probe being hit right now?
 * Handlers run before prepare_uretprobe(), which refuses to nest deeper
 * than MAX_URETPROBE_DEPTH and only says so in a ratelimited printk.
 */
static inline bool cat_uretprobe_will_skip(void)
{
	struct uprobe_task *utask = current->utask;

	return utask && utask->depth >= CAT_MAX_URETPROBE_DEPTH;
}

/* ---- which process does an mm belong to ---- */
bool cat_tgid_traced(pid_t tgid);

#ifdef CONFIG_MEMCG
/*
 * mm->owner is the task that created the mm (exec sets it before mapping
 * the binary), so this answers correctly in every filter context: at
 * register time (called from the controlling process), at mmap time
 * during exec, and in the breakpoint handler.
 */
static inline bool cat_mm_traced(struct mm_struct *mm)
{
	struct task_struct *owner;
	bool traced;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	traced = owner && cat_tgid_traced(owner->tgid);
	rcu_read_unlock();
	return traced;
}
#else
/* Without mm->owner only the current process can be recognised. */
static inline bool cat_mm_traced(struct mm_struct *mm)
{
	return mm == current->mm && cat_tgid_traced(current->tgid);
}
#endif

/* ---- relay ---- */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define CAT_SUBBUF_START_ARGS	struct rchan_buf *buf, void *subbuf,	\
				void *prev_subbuf
/* the subbuffer index of @prev_subbuf, which lies in @buf */
#define CAT_PREV_PADDING						\
	(buf->padding[((char *)prev_subbuf - (char *)buf->start) /	\
		      buf->chan->subbuf_size])
#else
#define CAT_SUBBUF_START_ARGS	struct rchan_buf *buf, void *subbuf,	\
				void *prev_subbuf, size_t prev_padding
#define CAT_PREV_PADDING	(prev_padding)
#endif

#endif /* CAT_COMPAT_H */
