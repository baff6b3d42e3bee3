// SPDX-License-Identifier: GPL-2.0
/*
 * test_docs.c - the man pages (Documentation/man) and the bash completion
 * (completion/catctl) say what catctl does (issue 13.3).
 *
 * catctl's own "--help" is the reference: its command table and every
 * command's option list. The man pages are hand-written roff, so they
 * are checked against it (a page per command, every option on its page
 * and no option the command does not have) and linted with mandoc. The
 * completion reads --help at run time; here it is run in bash and must
 * offer exactly those commands, options and --runtime values, and
 * catctl must accept every option its --help lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "testutil.h"

#define MAN	CAT_TOP "/Documentation/man"
#define COMPLETION CAT_TOP "/completion/catctl"

/* The commands of "catctl --help", space-separated, with a final space. */
static char *commands(void)
{
	return sh("%s --help | sed -n '/^Commands:/,/^$/s/^  \\([a-z][a-z-]*\\) .*/\\1/p' | tr '\\n' ' '",
		  CAT_CATCTL);
}

/* The long options of "catctl @cmd --help", sorted, one per line. */
static char *help_options(const char *cmd)
{
	return sh("%s %s --help | sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z][a-z0-9-]*).*/\\2/p' | sort -u",
		  CAT_CATCTL, cmd);
}

/* The long options a page documents (its .TP tags), sorted. */
static char *page_options(const char *cmd)
{
	return sh("awk '/^\\.TP/ { getline; print }' %s/catctl-%s.8 | sed 's/\\\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u",
		  MAN, cmd);
}

TEST(eight_commands)
{
	char *c = commands();

	EXPECT_STREQ("start stop status dump symbols convert report top ", c);
	free(c);
}

TEST(a_page_per_command_linted)
{
	char *cmds = commands(), *save = NULL, *cmd, *out;
	int pages = 0;

	ASSERT_EQ(0, access("/usr/bin/mandoc", X_OK))
		TH_LOG("mandoc is needed (scripts/install-deps)");
	out = sh("mandoc -T lint -W warning %s/catctl.8 2>&1", MAN);
	EXPECT_STREQ("", out);
	free(out);
	for (cmd = strtok_r(cmds, " ", &save); cmd;
	     cmd = strtok_r(NULL, " ", &save)) {
		char *see;

		out = sh("mandoc -T lint -W warning %s/catctl-%s.8 2>&1", MAN, cmd);
		EXPECT_STREQ("", out) TH_LOG("catctl-%s.8", cmd);
		free(out);
		/* the overview page points to it */
		see = sh("grep -c '^\\.BR catctl\\\\-%s (8)' %s/catctl.8", cmd, MAN);
		EXPECT_NE(0, atoi(see)) TH_LOG("catctl.8 lacks catctl-%s(8)", cmd);
		free(see);
		/* and man renders it (man -l), with its NAME line */
		out = sh("MANWIDTH=80 man -l %s/catctl-%s.8 2>&1 | grep -c '^ *catctl-%s - '",
			 MAN, cmd, cmd);
		EXPECT_EQ(1, atoi(out)) TH_LOG("man -l catctl-%s.8", cmd);
		free(out);
		pages++;
	}
	EXPECT_EQ(8, pages);
	free(cmds);
}

TEST(every_option_on_its_page)
{
	char *cmds = commands(), *save = NULL, *cmd;

	for (cmd = strtok_r(cmds, " ", &save); cmd;
	     cmd = strtok_r(NULL, " ", &save)) {
		char *h = help_options(cmd), *p = page_options(cmd), *hh;

		/* every page documents --help; not every --help text lists it */
		if (!strstr(h, "--help\n")) {
			hh = sh("(printf '%%s' '%s'; echo --help) | grep . | sort -u", h);
			free(h);
			h = hh;
		}
		EXPECT_STREQ(h, p) TH_LOG("catctl %s --help vs catctl-%s.8", cmd, cmd);
		free(h);
		free(p);
	}
	free(cmds);
}

/* Every option --help lists is one getopt knows (help and table agree). */
TEST(every_listed_option_is_accepted)
{
	char *cmds = commands(), *save = NULL, *cmd;
	int checked = 0;

	for (cmd = strtok_r(cmds, " ", &save); cmd;
	     cmd = strtok_r(NULL, " ", &save)) {
		char *h = help_options(cmd), *s2 = NULL, *opt;

		for (opt = strtok_r(h, "\n", &s2); opt;
		     opt = strtok_r(NULL, "\n", &s2)) {
			char *out, bad[200];

			if (!strcmp(opt, "--help"))
				continue;
			/* an unknown option after it: usage error, no action */
			out = sh("%s %s %s x --no-such-option-zz 2>&1 </dev/null; %s %s %s --no-such-option-zz 2>&1 </dev/null",
				 CAT_CATCTL, cmd, opt, CAT_CATCTL, cmd, opt);
			snprintf(bad, sizeof(bad), "unrecognized option '%s'", opt);
			EXPECT_EQ(NULL, strstr(out, bad))
				TH_LOG("catctl %s %s: %s", cmd, opt, out);
			free(out);
			checked++;
		}
		free(h);
	}
	EXPECT_LT(30, checked);
	free(cmds);
}

/* COMPREPLY of the completion for the words @line, sorted, space-separated. */
static char *complete(const char *line)
{
	return sh("cd /tmp && PATH=%s:$PATH bash -c '. %s; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _catctl; printf \"%%s\\n\" \"${COMPREPLY[@]}\" | sort | tr \"\\n\" \" \"'",
		  CAT_TOP "/build/client-tests/san", COMPLETION, line);
}

TEST(completion_commands_options_runtimes)
{
	char *cmds = commands(), *save = NULL, *cmd, *got, *want, *line;

	/* catctl at CAT_CATCTL is the sanitized build: call it "catctl" */
	ASSERT_EQ(0, access(CAT_TOP "/build/client-tests/san/catctl", X_OK));
	got = complete("catctl \"\"");
	want = sh("(echo --help; echo '%s' | tr ' ' '\\n') | grep . | sort | tr '\\n' ' '",
		  cmds);
	EXPECT_STREQ(want, got);
	free(got);
	free(want);
	for (cmd = strtok_r(cmds, " ", &save); cmd;
	     cmd = strtok_r(NULL, " ", &save)) {
		if (asprintf(&line, "catctl %s -", cmd) < 0)
			abort();
		got = complete(line);
		free(line);
		want = sh("(%s %s --help | sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z][a-z0-9-]*).*/\\2/p'; echo --help) | sort -u | tr '\\n' ' '",
			  CAT_CATCTL, cmd);
		EXPECT_STREQ(want, got) TH_LOG("catctl %s -<TAB>", cmd);
		free(got);
		free(want);
	}
	free(cmds);

	/* --runtime: the values catctl accepts, for start and symbols */
	got = complete("catctl start --runtime \"\"");
	EXPECT_STREQ("async-std auto smol tokio ", got);
	free(got);
	got = complete("catctl start -r a");
	EXPECT_STREQ("async-std auto ", got);
	free(got);
	got = complete("catctl symbols --runtime \"\"");
	EXPECT_STREQ("async-std auto smol tokio ", got);
	{
		char *save2 = NULL, *rt;

		for (rt = strtok_r(got, " ", &save2); rt;
		     rt = strtok_r(NULL, " ", &save2)) {
			char *out = sh("%s symbols --binary /nonexistent --runtime %s 2>&1",
				       CAT_CATCTL, rt);

			EXPECT_EQ(NULL, strstr(out, "unknown runtime")) TH_LOG("%s", out);
			free(out);
		}
	}
	free(got);
	got = complete("catctl report --format \"\"");
	EXPECT_STREQ("json text ", got);
	free(got);
	got = complete("catctl start --detail \"\"");
	EXPECT_STREQ("auto compact full ", got);
	free(got);
	/* a file after an option that takes one */
	got = complete("catctl convert --binary /bin/trunc");
	EXPECT_STREQ("/bin/truncate ", got);
	free(got);
}

TEST_HARNESS_MAIN
