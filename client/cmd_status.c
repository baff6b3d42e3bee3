// SPDX-License-Identifier: GPL-2.0
/*
 * catctl status - the module's stats file, readable: session state and
 * every CPU's counters with their totals.
 */
#include <stdio.h>
#include <string.h>

#include "catctl.h"
#include "session.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: catctl status\n"
		"\n"
		"Show the state of cat.ko: the session (idle, running, stopped),\n"
		"its target and probes, and per CPU: records written, bytes,\n"
		"records dropped, lost markers, uprobe and uretprobe hits,\n"
		"uretprobes the kernel skipped, sched_switch and lifecycle events.\n");
}

static int run(int argc, char **argv)
{
	struct cat_stats st;
	int code, err;

	code = catctl_no_args(argc, argv, usage);
	if (code >= 0)
		return code;
	code = cat_module_check("catctl status");
	if (code)
		return code;
	err = cat_stats_read(&st);
	if (err) {
		fprintf(stderr, "catctl status: cannot read %s: %s\n",
			cat_path(CAT_STATS_FILE), strerror(-err));
		return CATCTL_EXIT_FAILURE;
	}
	cat_stats_print(&st, stdout);
	cat_stats_free(&st);
	return CATCTL_EXIT_OK;
}

const struct catctl_cmd cmd_status = {
	.name = "status",
	.summary = "show the module's state and per-CPU counters",
	.run = run,
};
