// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - the stats file: the session's state and every CPU's counters
 * in "key: value" lines, then their totals. The keys come from
 * CAT_STATS_COUNTERS in cat_abi.h, which catctl parses with the same list.
 *
 * Each counter is read exactly once into a snapshot and the totals are
 * summed from that snapshot, so the printed totals always add up even
 * while CPUs keep writing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "cat.h"

static void cat_stats_print(struct seq_file *m, const char *prefix,
			    const struct cat_counters *s)
{
#define CAT_STATS_PRINT(name) \
	seq_printf(m, "%s." #name ": %llu\n", prefix, READ_ONCE(s->name));
	CAT_STATS_COUNTERS(CAT_STATS_PRINT)
#undef CAT_STATS_PRINT
}

static void cat_stats_add(struct cat_counters *sum,
			  const struct cat_counters *s)
{
#define CAT_STATS_ADD(name) sum->name += s->name;
	CAT_STATS_COUNTERS(CAT_STATS_ADD)
#undef CAT_STATS_ADD
}

static int cat_stats_show(struct seq_file *m, void *v)
{
	struct cat_counters snap, total = {};
	char prefix[16];
	int cpu;

	mutex_lock(&cat_mutex);
	seq_printf(m, "state: %s\n", cat_state_name());
	seq_printf(m, "version: %d\n", CAT_ABI_VERSION);
	seq_printf(m, "mode: %s\n", cat_config.count_only ? "count" : "record");
	seq_printf(m, "probes: %u\n", cat_config.nr_probes);
	seq_printf(m, "target: %d\n", cat_config.target);
	seq_printf(m, "follow: %d\n", cat_config.follow);
	seq_printf(m, "owner: %d\n", READ_ONCE(cat_owner_tgid));
	seq_printf(m, "unfollowed: %u\n", cat_targets_unfollowed());
	seq_printf(m, "subbuf_size: %zu\n", cat_config.subbuf_size);
	seq_printf(m, "n_subbufs: %zu\n", cat_config.n_subbufs);
	seq_printf(m, "cpus: %u\n", nr_cpu_ids);
	for_each_possible_cpu(cpu) {
		/* one racy-but-untorn read per counter (aligned u64) */
		memcpy(&snap, &per_cpu_ptr(&cat_cpu, cpu)->stats, sizeof(snap));
		snprintf(prefix, sizeof(prefix), "cpu%d", cpu);
		cat_stats_print(m, prefix, &snap);
		cat_stats_add(&total, &snap);
	}
	cat_stats_print(m, "total", &total);
	mutex_unlock(&cat_mutex);
	return 0;
}

static int cat_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, cat_stats_show, NULL);
}

const struct file_operations cat_stats_fops = {
	.owner		= THIS_MODULE,
	.open		= cat_stats_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
};
