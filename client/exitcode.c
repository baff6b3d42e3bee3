// SPDX-License-Identifier: GPL-2.0
/*
 * exitcode.c - the catctl exit code of a failed symbol lookup.
 *
 * "catctl start" and "catctl symbols" both resolve a binary's probes with
 * cat_profile_resolve() and must fail with the same exit code for the
 * same reason, so that a script can check a binary with "symbols" and
 * expect what "start" would say.
 */
#include "catctl.h"
#include "symbols.h"

int catctl_sym_exit_code(int err)
{
	switch (err) {
	case CAT_SYM_ERR_NO_RUNTIME:
	case CAT_SYM_ERR_NO_PROBES:
		return CATCTL_EXIT_NO_PROBES;
	case CAT_SYM_ERR_NOMEM:
		return CATCTL_EXIT_FAILURE;
	default:
		return CATCTL_EXIT_BAD_INPUT;
	}
}
