// SPDX-License-Identifier: GPL-2.0
/*
 * probes.c - the configured uprobes: adding and removing them (control
 * path, under cat_mutex) and their handlers (probe path).
 *
 * The handlers run in the traced thread's process context with IRQs on.
 * For a "+ra" probe the entry handler reads the return address from the
 * user stack before disabling IRQs (with a non-faulting copy, so it never
 * sleeps); a "+stack" probe copies the user stack into this CPU's scratch
 * buffer instead (stack.c), with preemption off until its record is
 * written. Then both reserve and fill their records on the current CPU
 * with IRQs off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/ptrace.h>

#include "cat.h"

/*
 * Breakpoints are only installed in the traced processes' address spaces:
 * another process running the same binary is neither slowed nor recorded.
 */
static bool cat_uprobe_filter(CAT_UPROBE_FILTER_ARGS)
{
	return cat_mm_traced(mm);
}

static int cat_uprobe_handler(CAT_UPROBE_HANDLER_ARGS)
{
	struct cat_probe *p = container_of(uc, struct cat_probe, uc);
	struct cat_rec_probe_entry *rec = NULL;
	bool skip_ret = false, want_ra, want_stack;
	struct cat_stack_copy sc;
	unsigned long flags;
	struct cat_cpu *c;
	u16 rflags = 0;
	u64 ra = 0;
	int i;

	/*
	 * A breakpoint inherited by a child we do not follow: ask the kernel
	 * to remove it from this mm (it checks our filter first).
	 */
	if (!cat_current_traced())
		return UPROBE_HANDLER_REMOVE;

	if (p->mode & CAT_PROBE_MODE_RETURN)
		skip_ret = cat_uretprobe_will_skip();
	want_ra = !cat_config.count_only && (p->mode & CAT_PROBE_MODE_RET_ADDR);
	want_stack = want_ra && (p->mode & CAT_PROBE_MODE_STACK) &&
		     (p->mode & CAT_PROBE_MODE_ENTRY);
	if (want_stack) {
		/* preemption stays off until the record is written */
		cat_stack_copy_begin(&sc, p->stack_size, regs);
		rflags |= CAT_ENTRY_F_RET_ADDR;
		if (sc.size >= sizeof(ra))
			memcpy(&ra, sc.buf, sizeof(ra));
		else
			rflags |= CAT_ENTRY_F_RA_FAULT;
	} else if (want_ra) {
		rflags |= CAT_ENTRY_F_RET_ADDR;
		if (copy_from_user_nofault(&ra, (void __user *)regs->sp,
					   sizeof(ra)))
			rflags |= CAT_ENTRY_F_RA_FAULT;
	}
	if (skip_ret)
		rflags |= CAT_ENTRY_F_NO_RETURN;

	local_irq_save(flags);
	c = this_cpu_ptr(&cat_cpu);
	if (skip_ret)
		c->stats.uretprobe_skipped++;
	if (!(p->mode & CAT_PROBE_MODE_ENTRY))
		goto out;
	c->stats.uprobe_hits++;
	if (cat_config.count_only)
		goto out;
	rec = cat_record_begin(c, CAT_REC_PROBE_ENTRY,
			       cat_entry_size(p->nargs, rflags), rflags);
	if (!rec)
		goto out;
	rec->probe_id = p->id;
	rec->nargs = p->nargs;
	rec->reserved = 0;
	rec->ip = instruction_pointer(regs);
	/* user-mode registers, same order as the kernel's own ABI on x86-64 */
	for (i = 0; i < p->nargs; i++)
		rec->args[i] = regs_get_kernel_argument(regs, i);
	if (want_ra)
		rec->args[i] = ra;
out:
	if (want_stack)
		cat_stack_record(c, p, regs, &sc, rec ? &rec->h : NULL);
	local_irq_restore(flags);
	if (want_stack)
		cat_stack_copy_end(&sc);
	return 0;
}

static int cat_uretprobe_handler(CAT_URETPROBE_HANDLER_ARGS)
{
	struct cat_probe *p = container_of(uc, struct cat_probe, uc);
	struct cat_rec_probe_return *rec;
	unsigned long flags;
	struct cat_cpu *c;

	if (!cat_current_traced())
		return 0;

	local_irq_save(flags);
	c = this_cpu_ptr(&cat_cpu);
	c->stats.uretprobe_hits++;
	if (cat_config.count_only)
		goto out;
	rec = cat_record_begin(c, CAT_REC_PROBE_RETURN, sizeof(*rec), 0);
	if (!rec)
		goto out;
	rec->probe_id = p->id;
	rec->reserved = 0;
	rec->ret[0] = regs->ax;
	rec->ret[1] = regs->dx;
out:
	local_irq_restore(flags);
	return 0;
}

static struct cat_probe *cat_probe_find(u32 id)
{
	struct cat_probe *p;

	list_for_each_entry(p, &cat_config.probes, node)
		if (p->id == id)
			return p;
	return NULL;
}

static void cat_probe_free(struct cat_probe *p)
{
	path_put(&p->path);
	kfree(p->pathname);
	kfree(p);
}

/*
 * Validate everything before touching the list, so a failing "probe"
 * command leaves the configuration as it was. Caller holds cat_mutex.
 */
int cat_probe_add(u32 id, u8 mode, u8 nargs, u32 stack_size, loff_t offset,
		  const char *path)
{
	struct cat_probe *p;
	struct inode *inode;
	int ret;

	if (cat_probe_find(id))
		return -EEXIST;
	if (cat_config.nr_probes >= CAT_MAX_PROBES)
		return -ENOSPC;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->pathname = kstrdup(path, GFP_KERNEL);
	if (!p->pathname) {
		kfree(p);
		return -ENOMEM;
	}
	ret = kern_path(path, LOOKUP_FOLLOW, &p->path);
	if (ret) {
		kfree(p->pathname);
		kfree(p);
		return ret;
	}
	ret = -EINVAL;
	if (!d_is_reg(p->path.dentry))
		goto err;
	inode = d_real_inode(p->path.dentry);
	if (offset < 0 || offset >= i_size_read(inode))
		goto err;

	p->id = id;
	p->mode = mode;
	p->nargs = nargs;
	p->stack_size = stack_size;
	p->offset = offset;
	p->uc.filter = cat_uprobe_filter;
	p->uc.handler = cat_uprobe_handler;
	if (mode & CAT_PROBE_MODE_RETURN)
		p->uc.ret_handler = cat_uretprobe_handler;
	list_add_tail(&p->node, &cat_config.probes);
	cat_config.nr_probes++;
	return 0;
err:
	cat_probe_free(p);
	return ret;
}

int cat_probe_remove(u32 id)
{
	struct cat_probe *p = cat_probe_find(id);

	if (!p)
		return -ENOENT;
	list_del(&p->node);
	cat_config.nr_probes--;
	cat_probe_free(p);
	return 0;
}

void cat_probes_free(void)
{
	struct cat_probe *p, *tmp;

	list_for_each_entry_safe(p, tmp, &cat_config.probes, node)
		cat_probe_free(p);
	INIT_LIST_HEAD(&cat_config.probes);
	cat_config.nr_probes = 0;
}

void cat_probes_unregister(void)
{
	struct cat_probe *p;

	list_for_each_entry(p, &cat_config.probes, node) {
		if (!p->registered)
			continue;
		cat_uprobe_unregister(d_real_inode(p->path.dentry), p->offset,
				      &p->uc, p->handle);
		p->registered = false;
	}
	/* no handler of ours runs, or will run, after this */
	cat_uprobe_unregister_sync();
}

/* All or nothing: on failure every probe registered so far is released. */
int cat_probes_register(void)
{
	struct cat_probe *p;
	int ret;

	list_for_each_entry(p, &cat_config.probes, node) {
		ret = cat_uprobe_register(d_real_inode(p->path.dentry),
					  p->offset, &p->uc, &p->handle);
		if (ret) {
			pr_info("probe %u (%s+0x%llx): register failed: %d\n",
				p->id, p->pathname, (u64)p->offset, ret);
			cat_probes_unregister();
			return ret;
		}
		p->registered = true;
	}
	return 0;
}
