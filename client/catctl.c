// SPDX-License-Identifier: GPL-2.0
/*
 * catctl - user-space side of cat: find probe points in an async Rust
 * binary, arm cat.ko, drain its per-CPU buffers, and turn the records into
 * task-level timelines.
 *
 * This file only dispatches to the subcommands (one file each, see
 * catctl.h), in the manner of bpftool.
 */
#include <stdio.h>
#include <string.h>

#include "catctl.h"

static const struct catctl_cmd *const commands[] = {
	&cmd_start,
	&cmd_stop,
	&cmd_status,
	&cmd_dump,
	&cmd_symbols,
	&cmd_convert,
	&cmd_report,
	&cmd_top,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: catctl <command> [options]\n"
		"\n"
		"Trace asynchronous Rust programs (tokio, async-std) with cat.ko.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\n'catctl <command> --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CATCTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return CATCTL_EXIT_OK;
	}
	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->run(argc - 1, argv + 1);

	fprintf(stderr, "catctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CATCTL_EXIT_USAGE;
}
