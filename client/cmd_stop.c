// SPDX-License-Identifier: GPL-2.0
/*
 * catctl stop - end the running session. The "catctl start" that owns it
 * sees the state change, drains what is left and writes its files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catctl.h"
#include "session.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: catctl stop\n"
		"\n"
		"Stop the running tracing session. The 'catctl start' that began it\n"
		"drains the buffers, writes the trace file and exits.\n");
}

static int run(int argc, char **argv)
{
	int code, err;

	code = catctl_no_args(argc, argv, usage);
	if (code >= 0)
		return code;
	code = cat_module_check("catctl stop");
	if (code)
		return code;
	err = cat_control("stop");
	if (err == -EINVAL) {
		fprintf(stderr, "catctl stop: no session is running\n");
		return CATCTL_EXIT_FAILURE;
	}
	if (err) {
		fprintf(stderr, "catctl stop: %s\n", strerror(-err));
		return CATCTL_EXIT_FAILURE;
	}
	return CATCTL_EXIT_OK;
}

const struct catctl_cmd cmd_stop = {
	.name = "stop",
	.summary = "stop the running tracing session",
	.run = run,
};
