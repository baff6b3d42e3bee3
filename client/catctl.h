/* SPDX-License-Identifier: GPL-2.0 */
/*
 * catctl.h - the subcommand table of catctl.
 *
 * Each subcommand lives in its own cmd_<name>.c and exports one
 * struct catctl_cmd; catctl.c dispatches argv[1] through the table.
 */
#ifndef CATCTL_H
#define CATCTL_H

#include <stdio.h>

struct catctl_cmd {
	const char *name;
	const char *summary;		/* one line for "catctl --help" */
	int (*run)(int argc, char **argv);	/* argv[0] is the subcommand */
};

/*
 * Exit codes shared by all subcommands, so scripts can tell failures
 * apart. 0 is success.
 */
enum catctl_exit {
	CATCTL_EXIT_OK		= 0,
	CATCTL_EXIT_FAILURE	= 1,	/* anything not listed below */
	CATCTL_EXIT_USAGE	= 2,	/* bad command line */
	CATCTL_EXIT_NO_MODULE	= 3,	/* cat.ko not loaded / debugfs missing */
	CATCTL_EXIT_PERM	= 4,	/* permission denied */
	CATCTL_EXIT_BAD_INPUT	= 5,	/* unusable binary or trace file */
	CATCTL_EXIT_NO_PROBES	= 6,	/* nothing to probe in the binary */
	CATCTL_EXIT_BUSY	= 7,	/* another session is running */
};

/* The exit code of a CAT_SYM_ERR_* (symbols.h) from the probe lookup. */
int catctl_sym_exit_code(int err);

/*
 * The command line of a command that takes no argument (argv[0] is the
 * command): -1 when there is none and the command should run, else the
 * exit code to end it with: CATCTL_EXIT_OK after -h/--help (@usage on
 * stdout), CATCTL_EXIT_USAGE for anything else (@usage on stderr).
 */
int catctl_no_args(int argc, char **argv, void (*usage)(FILE *));

extern const struct catctl_cmd cmd_start;
extern const struct catctl_cmd cmd_stop;
extern const struct catctl_cmd cmd_status;
extern const struct catctl_cmd cmd_dump;
extern const struct catctl_cmd cmd_symbols;
extern const struct catctl_cmd cmd_convert;
extern const struct catctl_cmd cmd_report;
extern const struct catctl_cmd cmd_top;

#endif /* CATCTL_H */
