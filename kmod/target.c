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

#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#include "cat.h"

static pid_t cat_targets[CAT_MAX_TARGETS];
static unsigned int cat_nr_targets;	/* high-water mark of used slots */
static DEFINE_SPINLOCK(cat_targets_lock);
/* forks of followed processes that found the table full (stats file) */
static atomic_t cat_unfollowed = ATOMIC_INIT(0);

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

/*
 * A traced process whose thread group is gone: its leader has been
 * released, so every one of its threads has passed the exit tracepoint
 * and written its last record. Only then may its slot be reused (at
 * do_exit() time a sibling thread's exit record may still be on its way).
 * Called under cat_targets_lock, from any context.
 */
static bool cat_tgid_reaped(pid_t tgid)
{
	struct pid *pid;
	bool gone;

	rcu_read_lock();
	pid = find_pid_ns(tgid, &init_pid_ns);
	gone = !pid || !pid_task(pid, PIDTYPE_TGID);
	rcu_read_unlock();
	return gone;
}

/*
 * Called from the fork tracepoint too: no sleeping, no allocation.
 * The whole used range is searched for @tgid before a free slot is taken,
 * so a freed slot in front of an existing entry never makes a duplicate.
 * When no slot is free, slots of reaped processes are reclaimed first, so
 * following works for any number of processes over a session as long as
 * at most CAT_MAX_TARGETS are alive at once.
 */
int cat_target_add(pid_t tgid)
{
	unsigned long flags;
	unsigned int i;
	int free = -1, ret = 0;

	spin_lock_irqsave(&cat_targets_lock, flags);
	for (i = 0; i < cat_nr_targets; i++) {
		if (cat_targets[i] == tgid)
			goto out;
		if (!cat_targets[i] && free < 0)
			free = i;
	}
	if (free < 0 && cat_nr_targets == CAT_MAX_TARGETS) {
		for (i = 0; i < cat_nr_targets; i++) {
			if (cat_targets[i] && cat_tgid_reaped(cat_targets[i])) {
				WRITE_ONCE(cat_targets[i], 0);
				if (free < 0)
					free = i;
			}
		}
	}
	if (free >= 0) {
		WRITE_ONCE(cat_targets[free], tgid);
		goto out;
	}
	if (cat_nr_targets == CAT_MAX_TARGETS) {
		atomic_inc(&cat_unfollowed);
		ret = -ENOSPC;
		goto out;
	}
	WRITE_ONCE(cat_targets[cat_nr_targets], tgid);
	smp_store_release(&cat_nr_targets, cat_nr_targets + 1);
out:
	spin_unlock_irqrestore(&cat_targets_lock, flags);
	return ret;
}

unsigned int cat_targets_unfollowed(void)
{
	return atomic_read(&cat_unfollowed);
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
	atomic_set(&cat_unfollowed, 0);
	for (i = 0; i < CAT_MAX_TARGETS; i++)
		WRITE_ONCE(cat_targets[i], 0);
	spin_unlock_irqrestore(&cat_targets_lock, flags);
}
