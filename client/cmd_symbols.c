// SPDX-License-Identifier: GPL-2.0
/*
 * catctl symbols - show what "catctl start" would probe in a binary,
 * without the module: one line per probe (id, mode, nargs, role, context
 * type, file offset, vaddr, demangled name, and the rule that chose it),
 * then what each profile rule could not find in this binary.
 *
 * It is the way to check a binary before tracing it, e.g. to see that a
 * release build has its async fn bodies inlined.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catctl.h"
#include "profiles.h"
#include "rawfile.h"

#define MAX_PATTERNS	64

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: catctl symbols --binary PATH [--runtime tokio|async-std|smol|auto]\n"
		"                      [--probe PATTERN]... [--mangled] [--quiet]\n"
		"\n"
		"List the probes catctl start would place in PATH and what the runtime\n"
		"profile could not find there (e.g. functions inlined in release builds).\n"
		"\n"
		"  -b, --binary PATH     the ELF binary (x86-64, not stripped)\n"
		"  -r, --runtime NAME    tokio, async-std, smol or auto (default:\n"
		"                        auto-detect; smol is async-std's profile)\n"
		"  -p, --probe PATTERN   also probe functions whose demangled name matches:\n"
		"                        a glob (fnmatch) if PATTERN has * ? or [, else a\n"
		"                        substring; repeatable\n"
		"  -m, --mangled         print the mangled name too\n"
		"  -q, --quiet           probes only, no report\n");
}

static int run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "binary",	required_argument,	NULL, 'b' },
		{ "runtime",	required_argument,	NULL, 'r' },
		{ "probe",	required_argument,	NULL, 'p' },
		{ "mangled",	no_argument,		NULL, 'm' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *patterns[MAX_PATTERNS];
	struct cat_probe_table t = { 0 };
	struct cat_profile_report rep;
	enum cat_runtime rt = CAT_RT_AUTO;
	const char *binary = NULL;
	size_t np = 0, i;
	int c, err, mangled = 0, quiet = 0;
	char errbuf[1024];

	optind = 1;
	while ((c = getopt_long(argc, argv, "b:r:p:mqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			binary = optarg;
			break;
		case 'r':
			if (cat_runtime_parse(optarg, &rt)) {
				fprintf(stderr, "catctl symbols: unknown runtime '%s' (tokio, async-std, smol, auto)\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			break;
		case 'p':
			if (np == MAX_PATTERNS) {
				fprintf(stderr, "catctl symbols: at most %d --probe patterns\n",
					MAX_PATTERNS);
				return CATCTL_EXIT_USAGE;
			}
			patterns[np++] = optarg;
			break;
		case 'm':
			mangled = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return CATCTL_EXIT_OK;
		default:
			usage(stderr);
			return CATCTL_EXIT_USAGE;
		}
	}
	if (!binary && optind < argc)
		binary = argv[optind++];
	if (!binary || optind < argc) {
		usage(stderr);
		return CATCTL_EXIT_USAGE;
	}

	err = cat_profile_resolve(binary, rt, patterns, np, &t, &rep,
				  errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "catctl symbols: %s\n", errbuf);
		if (!quiet && rep.n)
			cat_profile_report_print(&rep, stderr, "catctl symbols: ", 1);
		cat_profile_report_free(&rep);
		cat_profile_table_free(&t);
		return catctl_sym_exit_code(err);
	}

	printf("# binary: %s\n# runtime: %s  crate: %s  build-id: %s  debuginfo: %s\n",
	       binary, cat_runtime_name(rep.runtime), rep.crate ? rep.crate : "?",
	       rep.build_id[0] ? rep.build_id : "none",
	       rep.has_debuginfo ? "yes" : "no");
	printf("# %-4s %-6s %-5s %-14s %-8s %-10s %-10s %s\n", "id", "mode",
	       "nargs", "role", "ctx", "offset", "vaddr", "symbol  [why]");
	for (i = 0; i < t.n; i++) {
		const struct cat_probe *p = &t.probes[i];

		printf("%-6u %-6s %-5u %-14s %-8s 0x%08llx 0x%08llx %s  [%s]\n",
		       p->id, cat_mode_name(p->mode), p->nargs, cat_role_name(p->role),
		       cat_ctx_name(p->ctx), (unsigned long long)p->file_offset,
		       (unsigned long long)p->vaddr, p->symbol, p->why);
		if (mangled)
			printf("       mangled: %s\n", p->mangled);
	}

	if (!quiet) {
		size_t per_role[CAT_ROLE_MAX] = { 0 };

		for (i = 0; i < t.n; i++)
			if ((unsigned)t.probes[i].role < CAT_ROLE_MAX)
				per_role[t.probes[i].role]++;
		printf("# %zu probes:", t.n);
		for (i = 0; i < CAT_ROLE_MAX; i++)
			if (per_role[i])
				printf(" %s=%zu", cat_role_name(i), per_role[i]);
		printf("\n# profile rules (found / not found in this binary):\n");
		cat_profile_report_print(&rep, stdout, "#   ", 1);
		if (rep.n_warnings)
			printf("# %zu warning(s): the trace of this binary will lack what is listed above\n",
			       rep.n_warnings);
	}
	cat_profile_report_free(&rep);
	cat_profile_table_free(&t);
	return CATCTL_EXIT_OK;
}

const struct catctl_cmd cmd_symbols = {
	.name = "symbols",
	.summary = "list the probe points of a binary and what is missing",
	.run = run,
};
