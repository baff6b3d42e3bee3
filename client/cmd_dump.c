// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER: replaced by the real implementation before it lands. */
#include <stdio.h>
#include "catctl.h"

static int run(int argc, char **argv)
{
	fprintf(stderr, "catctl dump: not implemented yet\n");
	return CATCTL_EXIT_FAILURE;
}

const struct catctl_cmd cmd_dump = {
	.name = "dump",
	.summary = "(not implemented yet)",
	.run = run,
};
