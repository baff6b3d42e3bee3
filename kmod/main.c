// SPDX-License-Identifier: GPL-2.0
/*
 * cat.ko - context-aware tracing of asynchronous Rust programs.
 *
 * Records uprobe hits in one target process (and optionally the processes
 * it forks), plus the scheduler's view of its threads, into per-CPU relay
 * buffers that catctl maps and drains. Everything lives under
 * /sys/kernel/debug/cat/ (root only):
 *
 *   control	commands in, configuration out (control.c)
 *   stats	state and per-CPU counters (stats.c)
 *   cpuN	one relay buffer per CPU, while a session has buffers
 *
 * See Documentation/design.rst for how the parts fit together.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>

#include "cat.h"

struct dentry *cat_dir;

static int __init cat_init(void)
{
	int ret;

	ret = cat_sched_init();
	if (ret)
		return ret;

	cat_dir = debugfs_create_dir(CAT_DEBUGFS_DIR, NULL);
	if (IS_ERR(cat_dir))
		return PTR_ERR(cat_dir);
	debugfs_create_file(CAT_CONTROL_FILE, 0600, cat_dir, NULL,
			    &cat_control_fops);
	debugfs_create_file(CAT_STATS_FILE, 0400, cat_dir, NULL,
			    &cat_stats_fops);
	pr_info("loaded, ABI version %d\n", CAT_ABI_VERSION);
	return 0;
}

static void __exit cat_exit(void)
{
	mutex_lock(&cat_mutex);
	if (cat_state == CAT_RUNNING)
		cat_stop();
	cat_reset();
	cat_clear();
	mutex_unlock(&cat_mutex);
	/* after the mutex: the owner-exit work takes it */
	cat_sched_exit();
	debugfs_remove_recursive(cat_dir);
	pr_info("unloaded\n");
}

module_init(cat_init);
module_exit(cat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Context-aware tracing of async Rust programs (uprobes + sched_switch into relay buffers)");
MODULE_AUTHOR("The cat developers");
