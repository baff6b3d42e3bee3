// SPDX-License-Identifier: GPL-2.0
/*
 * cmdline.c - command-line handling shared by the catctl commands that
 * take no argument at all (status, stop), so that they agree on what
 * "-h" and a stray argument do.
 */
#include <stdio.h>
#include <string.h>

#include "catctl.h"

int catctl_no_args(int argc, char **argv, void (*usage)(FILE *))
{
	if (argc <= 1)
		return -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return CATCTL_EXIT_OK;
	}
	usage(stderr);
	return CATCTL_EXIT_USAGE;
}
