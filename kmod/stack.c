// SPDX-License-Identifier: GPL-2.0
/*
 * stack.c - user stack copies for "+stack" probes (CAT_REC_PROBE_STACK).
 *
 * catctl finds a task's spawn site by unwinding the user stack offline,
 * the way perf's DWARF call graphs do: at the probed function's first
 * instruction cat.ko records the registers a CFI unwinder needs and a
 * bounded copy of the stack from sp upwards.
 *
 * The copy is taken page by page with copy_from_user_nofault(), which
 * never sleeps and never takes a page fault (it is legal in the uprobe
 * handlers of 6.1, 6.12 and 7.x, IRQs on or off): it stops at the first
 * page it cannot read, which is normally the end of the stack's mapping.
 * It goes into a per-CPU scratch buffer with preemption off rather than
 * straight into the relay buffer, so that the record has the exact size
 * of what was copied (a relay reservation cannot shrink) and the copy
 * itself runs with IRQs on. Nothing else uses the scratch buffer: uprobe
 * handlers run on the traced thread's return to user mode, never nested
 * in one another or in interrupts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include "cat.h"

/* nr_cpu_ids buffers of cat_stack_max bytes; NULL when no probe copies */
static void **cat_scratch;
static u32 cat_stack_max;

/*
 * Called by cat_start() (cat_mutex held, not running): allocate a
 * scratch buffer per possible CPU for the largest "+stack" probe, after
 * checking that its two records fit in a subbuffer (else they would be
 * dropped, every one of them: EMSGSIZE).
 */
int cat_stack_prepare(size_t subbuf_size)
{
	size_t most = sizeof(struct cat_rec_lost) +
		      cat_entry_size(CAT_MAX_ARGS, CAT_ENTRY_F_RET_ADDR);
	struct cat_probe *p;
	u32 max = 0;
	int cpu;

	list_for_each_entry(p, &cat_config.probes, node)
		if ((p->mode & CAT_PROBE_MODE_STACK) && p->stack_size > max)
			max = p->stack_size;
	if (!max)
		return 0;
	if (most + cat_stack_size(max) >
	    subbuf_size - sizeof(struct cat_subbuf_header))
		return -EMSGSIZE;

	cat_scratch = kcalloc(nr_cpu_ids, sizeof(*cat_scratch), GFP_KERNEL);
	if (!cat_scratch)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		cat_scratch[cpu] = kvmalloc_node(max, GFP_KERNEL,
						 cpu_to_node(cpu));
		if (!cat_scratch[cpu]) {
			cat_stack_release();
			return -ENOMEM;
		}
	}
	cat_stack_max = max;
	return 0;
}

/* Only when no handler can run (probes unregistered and synced). */
void cat_stack_release(void)
{
	int cpu;

	if (!cat_scratch)
		return;
	for_each_possible_cpu(cpu)
		kvfree(cat_scratch[cpu]);
	kfree(cat_scratch);
	cat_scratch = NULL;
	cat_stack_max = 0;
}

/*
 * Does @addr belong to a mapping of the current process? Tells a copy
 * that ran off the end of the stack (no) from one stopped by a page that
 * is there but not readable without a fault (yes). A trylock only, as
 * preemption is off: when the lock is contended the answer is "yes"
 * (cannot tell, so the copy is flagged as a fault).
 */
static bool cat_addr_mapped(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	bool mapped;

	if (!mm || !mmap_read_trylock(mm))
		return true;
	mapped = vma_lookup(mm, addr) != NULL;
	mmap_read_unlock(mm);
	return mapped;
}

/* Disables preemption; cat_stack_copy_end() enables it again. */
void cat_stack_copy_begin(struct cat_stack_copy *sc, u32 size,
			  struct pt_regs *regs)
{
	unsigned long sp = user_stack_pointer(regs);
	u32 done = 0;

	preempt_disable();
	sc->flags = 0;
	sc->requested = size;
	sc->buf = cat_scratch ? cat_scratch[smp_processor_id()] : NULL;
	if (!sc->buf || size > cat_stack_max)
		size = 0;	/* not prepared: cannot happen while running */
	while (done < size) {
		unsigned long a = sp + done;
		u32 n = min_t(u32, size - done, PAGE_SIZE - offset_in_page(a));

		if (copy_from_user_nofault(sc->buf + done,
					   (const void __user *)a, n))
			break;
		done += n;
	}
	sc->size = done;
	if (done < sc->requested) {
		sc->flags |= CAT_STACK_F_SHORT;
		if (!sc->buf || cat_addr_mapped(sp + done))
			sc->flags |= CAT_STACK_F_FAULT;
	}
}

void cat_stack_copy_end(struct cat_stack_copy *sc)
{
	preempt_enable();
}

/*
 * Write the stack record right after its entry record @entry (NULL: the
 * entry was dropped, so this one is dropped and counted too). IRQs off,
 * @c this CPU's.
 */
void cat_stack_record(struct cat_cpu *c, struct cat_probe *p,
		      struct pt_regs *regs, struct cat_stack_copy *sc,
		      const struct cat_rec_header *entry)
{
	struct cat_rec_probe_stack *rec;
	u32 pad = cat_stack_size(sc->size) - sizeof(*rec) - sc->size;

	lockdep_assert_irqs_disabled();
	c->stats.stacks++;
	if (!entry) {
		c->stats.dropped++;
		c->pending_lost++;
		return;
	}
	rec = cat_record_begin(c, CAT_REC_PROBE_STACK, cat_stack_size(sc->size),
			       sc->flags);
	if (!rec)
		return;
	/* the entry's own time: the reader pairs them by thread and time */
	rec->h.time_ns = entry->time_ns;
	rec->probe_id = p->id;
	rec->size = sc->size;
	rec->requested = sc->requested;
	rec->reserved = 0;
	rec->regs[CAT_STACK_REG_IP] = instruction_pointer(regs);
	rec->regs[CAT_STACK_REG_SP] = user_stack_pointer(regs);
	rec->regs[CAT_STACK_REG_BP] = regs->bp;
	rec->regs[CAT_STACK_REG_BX] = regs->bx;
	rec->regs[CAT_STACK_REG_R12] = regs->r12;
	rec->regs[CAT_STACK_REG_R13] = regs->r13;
	rec->regs[CAT_STACK_REG_R14] = regs->r14;
	rec->regs[CAT_STACK_REG_R15] = regs->r15;
	memcpy(rec->data, sc->buf, sc->size);
	memset(rec->data + sc->size, 0, pad);
	if (sc->flags & CAT_STACK_F_SHORT)
		c->stats.stack_short++;
	if (sc->flags & CAT_STACK_F_FAULT)
		c->stats.stack_faults++;
}
