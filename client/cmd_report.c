// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER: replaced by the real implementation before it lands. */
#include <stdio.h>
#include "catctl.h"

static int run(int argc, char **argv)
{
	fprintf(stderr, "catctl report: not implemented yet\n");
	return CATCTL_EXIT_FAILURE;
}

const struct catctl_cmd cmd_report = {
	.name = "report",
	.summary = "(not implemented yet)",
	.run = run,
};
