// SPDX-License-Identifier: GPL-2.0
/*
 * target.c - the set of traced processes (thread group ids).
 *
 * Every probe asks "is this tgid traced?" first, including the
 * sched_switch probe for every context switch on the machine, so the
 * lookup is a lock-free scan of a small fixed array. Writers (start, fork
 * with follow, exit) serialise on a spinlock. A removed entry becomes 0
 * instead of being compacted: moving an entry could make a concurrent
 * scan miss it, and tgid 0 (the idle task) is never traced.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/spinlock.h>

#include "cat.h"

static pid_t cat_targets[CAT_MAX_TARGETS];
static unsigned int cat_nr_targets;	/* high-water mark of used slots */
static DEFINE_SPINLOCK(cat_targets_lock);

bool cat_tgid_traced(pid_t tgid)
{
	/* pairs with smp_store_release() in cat_target_add() */
	unsigned int i, n = smp_load_acquire(&cat_nr_targets);

	if (!tgid)
		return false;
	for (i = 0; i < n; i++)
		if (READ_ONCE(cat_targets[i]) == tgid)
			return true;
	return false;
}

/* Called from the fork tracepoint too: no sleeping, no allocation. */
int cat_target_add(pid_t tgid)
{
	unsigned long flags;
	unsigned int i;
	int ret = 0;

	spin_lock_irqsave(&cat_targets_lock, flags);
	for (i = 0; i < cat_nr_targets; i++) {
		if (cat_targets[i] == tgid)
			goto out;
		if (!cat_targets[i]) {
			WRITE_ONCE(cat_targets[i], tgid);
			goto out;
		}
	}
	if (cat_nr_targets == CAT_MAX_TARGETS) {
		ret = -ENOSPC;
		goto out;
	}
	WRITE_ONCE(cat_targets[cat_nr_targets], tgid);
	smp_store_release(&cat_nr_targets, cat_nr_targets + 1);
out:
	spin_unlock_irqrestore(&cat_targets_lock, flags);
	return ret;
}

void cat_target_remove(pid_t tgid)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&cat_targets_lock, flags);
	for (i = 0; i < cat_nr_targets; i++)
		if (cat_targets[i] == tgid)
			WRITE_ONCE(cat_targets[i], 0);
	spin_unlock_irqrestore(&cat_targets_lock, flags);
}

void cat_targets_clear(void)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&cat_targets_lock, flags);
	WRITE_ONCE(cat_nr_targets, 0);
	for (i = 0; i < CAT_MAX_TARGETS; i++)
		WRITE_ONCE(cat_targets[i], 0);
	spin_unlock_irqrestore(&cat_targets_lock, flags);
}
