// SPDX-License-Identifier: GPL-2.0
/*
 * sched.c - scheduler and process-lifecycle tracepoints: sched_switch,
 * sched_process_fork, sched_process_exit, sched_process_exec.
 *
 * Their __tracepoint_* symbols are not exported to modules, so they are
 * looked up by name once at load with for_each_kernel_tracepoint() and
 * attached with tracepoint_probe_register() (as the kernel's
 * samples/trace_events/trace_custom_sched.c does). They are attached only
 * while a session runs: the sched_switch probe sits on every context
 * switch of the machine.
 *
 * sched_switch runs with IRQs off under the runqueue lock: nothing here
 * sleeps, allocates, wakes anybody or prints.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/binfmts.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/workqueue.h>

#include "cat.h"

static void cat_probe_switch(void *data, bool preempt,
			     struct task_struct *prev,
			     struct task_struct *next,
			     unsigned int prev_state)
{
	struct cat_rec_sched_switch *rec;
	unsigned long flags;
	struct cat_cpu *c;
	u16 rflags = 0;

	if (!cat_tgid_traced(prev->tgid) && !cat_tgid_traced(next->tgid))
		return;

	if (preempt)
		rflags |= CAT_SWITCH_F_PREEMPT;
	if (prev->in_iowait)
		rflags |= CAT_SWITCH_F_IOWAIT;

	/* IRQs are already off here; saving keeps one rule for all probes */
	local_irq_save(flags);
	c = this_cpu_ptr(&cat_cpu);
	c->stats.sched_switch++;
	rec = cat_record_begin(c, CAT_REC_SCHED_SWITCH, sizeof(*rec), rflags);
	if (rec) {
		rec->prev_tid = prev->pid;
		rec->prev_tgid = prev->tgid;
		rec->next_tid = next->pid;
		rec->next_tgid = next->tgid;
		/* reportable bits only: not TASK_FREEZABLE and friends */
		rec->prev_state = prev_state & CAT_TASK_STATE_MASK;
		rec->reserved = 0;
		memcpy(rec->prev_comm, prev->comm, CAT_COMM_LEN);
		memcpy(rec->next_comm, next->comm, CAT_COMM_LEN);
	}
	local_irq_restore(flags);
}

static void cat_probe_fork(void *data, struct task_struct *parent,
			   struct task_struct *child)
{
	struct cat_rec_thread_new *rec;
	unsigned long flags;
	struct cat_cpu *c;
	u16 rflags = 0;

	/*
	 * A traced process's tgid stays in the set after it dies, because its
	 * threads' exit records may still be on their way. The only way the
	 * number can come back is as a new process, created right here: that
	 * one is not ours, unless we follow its parent (below).
	 */
	if (child->tgid != parent->tgid && cat_tgid_traced(child->tgid))
		cat_target_remove(child->tgid);

	if (!cat_tgid_traced(parent->tgid))
		return;
	if (child->tgid != parent->tgid) {
		rflags |= CAT_NEW_F_PROCESS;
		if (cat_config.follow && !cat_target_add(child->tgid))
			rflags |= CAT_NEW_F_FOLLOWED;
	}

	local_irq_save(flags);
	c = this_cpu_ptr(&cat_cpu);
	c->stats.lifecycle++;
	rec = cat_record_begin(c, CAT_REC_THREAD_NEW, sizeof(*rec), rflags);
	if (rec) {
		rec->child_tid = child->pid;
		rec->child_tgid = child->tgid;
		memcpy(rec->comm, child->comm, CAT_COMM_LEN);
	}
	local_irq_restore(flags);
}

/*
 * The tgid of the owner whose exit queued the work. The work may run after
 * that session was stopped and a new one started by another process: it
 * stops a session only if that session's owner is the one that exited.
 * (A second exit while the work is pending overwrites this and is handled
 * by the same run.)
 */
static pid_t cat_exited_owner;

/* The session's owner exited without "stop": stop from process context. */
static void cat_owner_exit_fn(struct work_struct *work)
{
	mutex_lock(&cat_mutex);
	if (cat_state == CAT_RUNNING &&
	    READ_ONCE(cat_owner_tgid) == READ_ONCE(cat_exited_owner)) {
		pr_info("controlling process %d exited: stopping\n",
			cat_owner_tgid);
		cat_stop();
	}
	mutex_unlock(&cat_mutex);
}

static DECLARE_WORK(cat_owner_exit_work, cat_owner_exit_fn);

static void cat_probe_exit(void *data, struct task_struct *p)
{
	struct cat_rec_thread_exit *rec;
	unsigned long flags;
	struct cat_cpu *c;
	bool group_dead;

	/*
	 * do_exit() drops each thread from signal->live before it gets here,
	 * so 0 means no thread of the process is left running. Threads of a
	 * dying process race to this point, so several of them may see 0;
	 * the one that gets here last always does.
	 */
	group_dead = atomic_read(&p->signal->live) == 0;
	if (group_dead && p->tgid == READ_ONCE(cat_owner_tgid)) {
		WRITE_ONCE(cat_exited_owner, p->tgid);
		schedule_work(&cat_owner_exit_work);
	}

	if (!cat_tgid_traced(p->tgid))
		return;

	local_irq_save(flags);
	c = this_cpu_ptr(&cat_cpu);
	c->stats.lifecycle++;
	rec = cat_record_begin(c, CAT_REC_THREAD_EXIT, sizeof(*rec),
			       group_dead ? CAT_EXIT_F_GROUP_DEAD : 0);
	if (rec) {
		rec->exit_code = p->exit_code;
		rec->reserved = 0;
		memcpy(rec->comm, p->comm, CAT_COMM_LEN);
	}
	local_irq_restore(flags);
}

static void cat_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
			   struct linux_binprm *bprm)
{
	struct cat_rec_exec *rec;
	unsigned long flags;
	struct cat_cpu *c;

	if (!cat_tgid_traced(p->tgid))
		return;

	local_irq_save(flags);
	c = this_cpu_ptr(&cat_cpu);
	c->stats.lifecycle++;
	rec = cat_record_begin(c, CAT_REC_EXEC, sizeof(*rec), 0);
	if (rec) {
		rec->old_tid = old_pid;
		rec->reserved = 0;
		strscpy_pad(rec->filename, bprm->filename,
			    sizeof(rec->filename));
	}
	local_irq_restore(flags);
}

static struct cat_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
} cat_tracepoints[] = {
	{ .name = "sched_switch",	.probe = cat_probe_switch },
	{ .name = "sched_process_fork",	.probe = cat_probe_fork },
	{ .name = "sched_process_exit",	.probe = cat_probe_exit },
	{ .name = "sched_process_exec",	.probe = cat_probe_exec },
};

static void cat_lookup_tracepoint(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(cat_tracepoints); i++)
		if (!strcmp(tp->name, cat_tracepoints[i].name))
			cat_tracepoints[i].tp = tp;
}

int cat_sched_init(void)
{
	int i;

	/* the record's prev_state bits are the kernel's (cat_abi.h) */
	BUILD_BUG_ON(CAT_TASK_INTERRUPTIBLE != TASK_INTERRUPTIBLE);
	BUILD_BUG_ON(CAT_TASK_UNINTERRUPTIBLE != TASK_UNINTERRUPTIBLE);
	BUILD_BUG_ON(CAT_TASK_STOPPED != __TASK_STOPPED);
	BUILD_BUG_ON(CAT_TASK_TRACED != __TASK_TRACED);
	BUILD_BUG_ON(CAT_TASK_PARKED != TASK_PARKED);
	BUILD_BUG_ON(CAT_TASK_DEAD != TASK_DEAD);
	BUILD_BUG_ON(CAT_TASK_NOLOAD != TASK_NOLOAD);
	/* TASK_IDLE must survive the mask, or idle waits read as D */
	BUILD_BUG_ON((TASK_IDLE & CAT_TASK_STATE_MASK) != TASK_IDLE);

	for_each_kernel_tracepoint(cat_lookup_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(cat_tracepoints); i++) {
		if (!cat_tracepoints[i].tp) {
			pr_err("tracepoint %s not found\n",
			       cat_tracepoints[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

void cat_sched_unregister(void)
{
	struct cat_tracepoint *t;
	int i;

	for (i = 0; i < ARRAY_SIZE(cat_tracepoints); i++) {
		t = &cat_tracepoints[i];
		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
		t->registered = false;
	}
	/* no probe of ours is running once this returns */
	tracepoint_synchronize_unregister();
}

int cat_sched_register(void)
{
	struct cat_tracepoint *t;
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(cat_tracepoints); i++) {
		t = &cat_tracepoints[i];
		ret = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (ret) {
			pr_err("cannot attach to %s: %d\n", t->name, ret);
			cat_sched_unregister();
			return ret;
		}
		t->registered = true;
	}
	return 0;
}

/* Module unload: no owner-exit work may run after this. */
void cat_sched_exit(void)
{
	cancel_work_sync(&cat_owner_exit_work);
}
