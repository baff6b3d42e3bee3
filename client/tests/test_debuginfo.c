// SPDX-License-Identifier: GPL-2.0
/*
 * test_debuginfo.c - a trace converts on another machine by build-id
 * alone (debuginfo.c, issue 13.4).
 *
 * The traces here are what a VM run writes: they name the binary by its
 * guest path, /cat/app/release/tokio_multi, which does not exist on the
 * host, and carry the build-id of the real selftests/rust program. The
 * binary is then put where debuginfo.c must find it by that build-id
 * (a build-id directory, --symfs, the trace's own directory as "catctl
 * start --archive" leaves it, a stripped binary with its .gnu_debuglink
 * debug file, a debuginfod server) and the source lines catctl prints
 * must be exactly binutils addr2line's on the original binary, and the
 * JSON exactly the JSON converted next to the binary at its own path. A
 * binary of another build must be refused, naming both build-ids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "catctl.h"
#include "debuginfo.h"
#include "profiles.h"
#include "symbols.h"
#include "testutil.h"
#include "tracebuild.h"

#define GUEST_PATH	"/cat/app/release/tokio_multi"

static char *rust_bin(const char *build, const char *prog)
{
	const char *dir = getenv("CAT_RUST_DIR");
	char *p;

	if (asprintf(&p, "%s/%s/%s", dir ? dir : CAT_TOP "/build/rust",
		     build, prog) < 0)
		return NULL;
	if (access(p, X_OK)) {
		free(p);
		return NULL;
	}
	return p;
}

FIXTURE(di) {
	char dir[64];		/* the scratch directory */
	char *bin;		/* the real program */
	char hex[129];		/* its build-id */
	uint8_t bid[64];
	size_t bidlen;
	struct cat_probe probes[4];
	struct cat_probe_table table;
	char *trace;		/* in dir/trace/, binary GUEST_PATH */
};

/* The real program's probes in tracebuild.h's four roles. */
static int real_probes(FIXTURE_DATA(di) *self)
{
	struct cat_probe_table t = { 0 };
	char err[600];
	const struct cat_probe *poll = NULL, *site = NULL;

	if (cat_profile_resolve(self->bin, CAT_RT_AUTO, NULL, 0, &t, NULL,
				err, sizeof(err)))
		return -1;
	for (size_t i = 0; i < t.n; i++) {
		if (!poll && t.probes[i].role == CAT_ROLE_TASK_POLL)
			poll = &t.probes[i];
		if (!site && (t.probes[i].ctx == CAT_CTX_COMPILER ||
			      t.probes[i].ctx == CAT_CTX_USER))
			site = &t.probes[i];
	}
	if (!poll || !site) {
		cat_profile_table_free(&t);
		return -1;
	}
	memcpy(self->probes, tb_probes, sizeof(tb_probes));
	self->probes[TB_POLL - 1].vaddr = poll->vaddr;
	self->probes[TB_BIND - 1].vaddr = site->vaddr;
	/* wake, dealloc: any other code address of the program */
	self->probes[TB_WAKE - 1].vaddr = site->vaddr + 0x10;
	self->probes[TB_FREE - 1].vaddr = poll->vaddr + 0x10;
	self->table = (struct cat_probe_table){ self->probes, 4, 4 };
	cat_profile_table_free(&t);
	return 0;
}

FIXTURE_SETUP(di)
{
	struct tb *b;
	int n;

	self->bin = rust_bin("release", "tokio_multi");
	if (!self->bin)
		SKIP(return, "selftests/rust programs not built");
	snprintf(self->dir, sizeof(self->dir), "/tmp/cat-di.%d", getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	n = cat_build_id(self->bin, self->hex, sizeof(self->hex));
	ASSERT_EQ(20, n);
	for (int i = 0; i < n; i++)
		sscanf(self->hex + 2 * i, "%2hhx", &self->bid[i]);
	self->bidlen = n;
	ASSERT_EQ(0, real_probes(self));

	/* two tasks spawned from the program, polled twice each */
	b = calloc(1, sizeof(*b));
	ASSERT_NE(NULL, b);
	b->table = &self->table;
	tb_spawn(b, 0, 100, 101, 0x7000, self->probes[TB_BIND - 1].vaddr + 4);
	tb_spawn(b, 0, 200, 101, 0x8000, self->probes[TB_BIND - 1].vaddr + 8);
	tb_poll(b, 0, 1000, 500, 101, 0x7000);
	tb_poll(b, 1, 1100, 700, 102, 0x8000);
	tb_poll(b, 0, 3000, 500, 101, 0x7000);
	tb_poll(b, 1, 3100, 700, 102, 0x8000);
	{
		char *tmp = tb_write_as(b, "di", true, 10000, GUEST_PATH,
					self->bid, self->bidlen);
		char *cmd = NULL;

		ASSERT_NE(NULL, tmp);
		ASSERT_LT(0, asprintf(&self->trace, "%s/trace/t.cat", self->dir));
		ASSERT_LT(0, asprintf(&cmd, "mkdir %s/trace && mv %s %s",
				      self->dir, tmp, self->trace));
		ASSERT_EQ(0, system(cmd));
		free(cmd);
		free(tmp);
	}
	free(b);
	ASSERT_NE(0, access(GUEST_PATH, F_OK));
}

FIXTURE_TEARDOWN(di)
{
	char *cmd;

	if (self->dir[0] && asprintf(&cmd, "rm -rf %s", self->dir) >= 0) {
		system(cmd);
		free(cmd);
	}
	free(self->trace);
	free(self->bin);
}

/* Copy the real binary to @rel under the scratch directory. */
static void place(FIXTURE_DATA(di) *self, const char *rel, const char *from)
{
	char *cmd;

	if (asprintf(&cmd, "mkdir -p $(dirname %s/%s) && cp %s %s/%s",
		     self->dir, rel, from ? from : self->bin, self->dir,
		     rel) < 0)
		abort();
	if (system(cmd))
		abort();
	free(cmd);
}

/* "catctl @args" with stderr; its exit status in *@rc. */
static char *catctl(int *rc, const char *fmt, ...)
{
	char *args, *out, *mark;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		abort();
	va_end(ap);
	out = sh("HOME=/nonexistent DEBUGINFOD_URLS= %s %s 2>&1; echo \"rc=$?\"",
		 CAT_CATCTL, args);
	free(args);
	mark = strrchr(out, 'r');
	*rc = mark && !strncmp(mark, "rc=", 3) ? atoi(mark + 3) : -1;
	if (mark)
		*mark = '\0';
	return out;
}

/*
 * binutils addr2line's innermost file:line for every probe, in the
 * format of "catctl dump --locations" ("#  loc ID file:line ...").
 */
static int check_locations(struct __test_metadata *_metadata,
			   FIXTURE_DATA(di) *self, const char *dump)
{
	char cmd[4096];
	int at = 0, checked = 0;
	char *want, *line, *save = NULL;

	at = snprintf(cmd, sizeof(cmd), "addr2line -e %s", self->bin);
	for (int i = 0; i < 4; i++)
		at += snprintf(cmd + at, sizeof(cmd) - at, " %#llx",
			       (unsigned long long)self->probes[i].vaddr);
	want = sh("%s | sed 's/ (discriminator [0-9]*)//'", cmd);
	for (line = strtok_r(want, "\n", &save); line && checked < 4;
	     line = strtok_r(NULL, "\n", &save), checked++) {
		char exp[2048];

		ASSERT_EQ(NULL, strstr(line, "??"));
		snprintf(exp, sizeof(exp), "#  loc %4u %s ", checked + 1, line);
		if (!strstr(dump, exp))
			TH_LOG("want '%s' in:\n%s", exp, dump);
		EXPECT_NE(NULL, strstr(dump, exp));
	}
	free(want);
	return checked;
}

TEST_F(di, dump_by_build_id_directory)
{
	char rel[300], want[1200];
	char *out;
	int rc;

	snprintf(rel, sizeof(rel), "cache/.build-id/%.2s/%s", self->hex,
		 self->hex + 2);
	place(self, rel, NULL);
	/* without a place to look: the message names the path and build-id */
	out = catctl(&rc, "dump -n --locations %s", self->trace);
	EXPECT_EQ(CATCTL_EXIT_FAILURE, rc);
	snprintf(want, sizeof(want), "catctl dump: no binary with build-id %s for " GUEST_PATH "\n",
		 self->hex);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	free(out);

	out = catctl(&rc, "dump -n --build-id-dir %s/cache %s", self->dir,
		     self->trace);
	EXPECT_EQ(0, rc);
	snprintf(want, sizeof(want), "# symbols: %s/%s (build-id directory %s/cache), dwarf: %s/%s\n",
		 self->dir, rel, self->dir, self->dir, rel);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(4, check_locations(_metadata, self, out));
	free(out);
}

TEST_F(di, symfs_guest_path)
{
	char *out;
	int rc;

	place(self, "root" GUEST_PATH, NULL);
	out = catctl(&rc, "dump -n --symfs %s/root %s", self->dir, self->trace);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(4, check_locations(_metadata, self, out));
	EXPECT_NE(NULL, strstr(out, "(--symfs ")) TH_LOG("%s", out);
	free(out);
}

/* The JSON by build-id equals the JSON next to the binary, with lines. */
TEST_F(di, convert_and_report_like_next_to_the_binary)
{
	char *a, *b, *cmd, *out, *ra, *rb;
	int rc;

	/* the reference: the binary at the trace's path, via --symfs / */
	place(self, "root" GUEST_PATH, NULL);
	out = catctl(&rc, "convert --symfs %s/root %s -o %s/a.json",
		     self->dir, self->trace, self->dir);
	EXPECT_EQ(0, rc) TH_LOG("%s", out);
	free(out);
	ra = catctl(&rc, "report -f json --symfs %s/root %s", self->dir,
		    self->trace);
	EXPECT_EQ(0, rc);

	/* archive it next to the trace, remove every other copy */
	{
		char err[600];

		ASSERT_EQ(0, cat_debuginfo_archive(self->bin, self->trace, err,
						   sizeof(err)));
	}
	ASSERT_LT(0, asprintf(&cmd, "rm -rf %s/root", self->dir));
	ASSERT_EQ(0, system(cmd));
	free(cmd);
	out = catctl(&rc, "convert %s -o %s/b.json", self->trace, self->dir);
	EXPECT_EQ(0, rc) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "warning")) TH_LOG("%s", out);
	free(out);
	rb = catctl(&rc, "report -f json %s", self->trace);
	EXPECT_EQ(0, rc);
	EXPECT_STREQ(ra, rb);

	ASSERT_LT(0, asprintf(&cmd, "%s/a.json", self->dir));
	a = slurp(cmd, NULL);
	free(cmd);
	ASSERT_LT(0, asprintf(&cmd, "%s/b.json", self->dir));
	b = slurp(cmd, NULL);
	free(cmd);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_STREQ(a, b);
	/* source lines of the program, not bare addresses */
	EXPECT_NE(NULL, strstr(a, "\"location\":\"tokio_multi/src/"))
		TH_LOG("%.2000s", a);
	EXPECT_NE(NULL, strstr(ra, "tokio_multi/src/")) TH_LOG("%s", ra);
	free(a);
	free(b);
	free(ra);
	free(rb);
}

TEST_F(di, other_build_is_refused)
{
	char *other = rust_bin("release", "tokio_bench"), ohex[129], want[700];
	char *out, *p;
	int rc;

	ASSERT_NE(NULL, other);
	ASSERT_EQ(20, cat_build_id(other, ohex, sizeof(ohex)));
	/* explicit: an error, nothing written */
	out = catctl(&rc, "convert --binary %s %s -o %s/x.json", other,
		     self->trace, self->dir);
	EXPECT_EQ(CATCTL_EXIT_FAILURE, rc);
	snprintf(want, sizeof(want), "catctl: error: %s: refused: the trace was taken with build-id %s (%s has build-id %s)\n",
		 other, self->hex, other, ohex);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	free(out);
	ASSERT_LT(0, asprintf(&p, "%s/x.json", self->dir));
	EXPECT_NE(0, access(p, F_OK));
	free(p);
	out = catctl(&rc, "report --binary %s %s", other, self->trace);
	EXPECT_EQ(CATCTL_EXIT_FAILURE, rc);
	EXPECT_NE(NULL, strstr(out, "refused")) TH_LOG("%s", out);
	free(out);

	/* found: skipped, said so, and the right one still found */
	place(self, "root" GUEST_PATH, other);
	out = catctl(&rc, "dump -n --symfs %s/root %s", self->dir, self->trace);
	EXPECT_EQ(CATCTL_EXIT_FAILURE, rc);
	snprintf(want, sizeof(want), "not used, another build: %s/root" GUEST_PATH " has build-id %s\n",
		 self->dir, ohex);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	free(out);
	{
		char rel[300];

		snprintf(rel, sizeof(rel), "c/.build-id/%.2s/%s", self->hex,
			 self->hex + 2);
		place(self, rel, NULL);
	}
	out = catctl(&rc, "dump -n --symfs %s/root --build-id-dir %s/c %s",
		     self->dir, self->dir, self->trace);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(4, check_locations(_metadata, self, out));
	free(out);
	free(other);
}

/* A stripped binary and its separate debug file (.gnu_debuglink). */
TEST_F(di, separate_debug_file)
{
	char *cmd, *out, want[900];
	int rc;

	ASSERT_LT(0, asprintf(&cmd,
		"set -e; mkdir -p %1$s/root/cat/app/release; cd %1$s/root/cat/app/release; "
		"objcopy --only-keep-debug %2$s tokio_multi.debug; "
		"objcopy --strip-debug --add-gnu-debuglink=tokio_multi.debug %2$s tokio_multi",
		self->dir, self->bin));
	ASSERT_EQ(0, system(cmd));
	free(cmd);
	out = catctl(&rc, "dump -n --symfs %s/root %s", self->dir, self->trace);
	EXPECT_EQ(0, rc);
	snprintf(want, sizeof(want), "# symbols: %1$s/root" GUEST_PATH " (--symfs %1$s/root), dwarf: %1$s/root" GUEST_PATH ".debug\n",
		 self->dir);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(4, check_locations(_metadata, self, out));
	free(out);

	/* only the debug file, in the build-id layout: it has .symtab too */
	ASSERT_LT(0, asprintf(&cmd,
		"set -e; mkdir -p %1$s/c/.build-id/%2$.2s; mv %1$s/root" GUEST_PATH ".debug %1$s/c/.build-id/%2$.2s/%3$s.debug; rm -r %1$s/root",
		self->dir, self->hex, self->hex + 2));
	ASSERT_EQ(0, system(cmd));
	free(cmd);
	out = catctl(&rc, "dump -n --build-id-dir %s/c %s", self->dir,
		     self->trace);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(4, check_locations(_metadata, self, out));
	free(out);
}

/*
 * debuginfod, through elfutils' client: a static HTTP server with the
 * server's URL layout (buildid/HEX/executable) stands in for one.
 */
TEST_F(di, debuginfod)
{
	char *cmd, *out, want[900];
	int rc, port = 20000 + getpid() % 20000;

	if (access("/usr/lib/x86_64-linux-gnu/libdebuginfod.so.1", R_OK))
		SKIP(return, "libdebuginfod1 not installed");
	ASSERT_LT(0, asprintf(&cmd,
		"set -e; mkdir -p %1$s/srv/buildid/%2$s; cp %3$s %1$s/srv/buildid/%2$s/executable; "
		"cd %1$s/srv; setsid python3 -m http.server %4$d --bind 127.0.0.1 >/dev/null 2>&1 & echo $! > %1$s/srv.pid; "
		"for i in $(seq 50); do python3 -c 'import urllib.request,sys; urllib.request.urlopen(sys.argv[1])' http://127.0.0.1:%4$d/ 2>/dev/null && exit 0; sleep 0.1; done; exit 1",
		self->dir, self->hex, self->bin, port));
	rc = system(cmd);
	free(cmd);
	ASSERT_EQ(0, rc);
	/* not asked for: no network */
	out = catctl(&rc, "dump -n %s", self->trace);
	free(out);
	out = sh("HOME=/nonexistent DEBUGINFOD_URLS=http://127.0.0.1:%d DEBUGINFOD_CACHE_PATH=%s/dcache %s dump -n -l %s 2>&1",
		 port, self->dir, CAT_CATCTL, self->trace);
	snprintf(want, sizeof(want), "# symbols: %s/dcache/%s/executable (debuginfod), dwarf: %s/dcache/%s/executable\n",
		 self->dir, self->hex, self->dir, self->hex);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	EXPECT_EQ(4, check_locations(_metadata, self, out));
	free(out);
	ASSERT_LT(0, asprintf(&cmd, "kill $(cat %s/srv.pid)", self->dir));
	system(cmd);
	free(cmd);
}

/*
 * The traces the catctl_test VM suite left in build/vm/results-KVER/out/
 * (from an earlier "make check"): each converts here by build-id alone,
 * to exactly what --binary with the host's copy of the program gives,
 * with the program's own source lines.
 */
TEST(vm_traces_by_build_id)
{
	char *list, *save = NULL, *trace;
	int done = 0;

	list = sh("ls %s/build/vm/results-*/out/catctl-*/trace.cat 2>/dev/null",
		  CAT_TOP);
	for (trace = strtok_r(list, "\n", &save); trace;
	     trace = strtok_r(NULL, "\n", &save)) {
		char err[600], hex[129] = "", *prog = NULL, *cmd, *a, *b, dir[64];
		struct cat_trace_reader *r = cat_trace_open(trace, err, sizeof(err));
		const struct cat_trace_info *in;
		char name[256];
		int rc;

		ASSERT_NE(NULL, r) TH_LOG("%s", err);
		in = cat_trace_info(r);
		snprintf(name, sizeof(name), "%s", strrchr(in->binary, '/') ?
			 strrchr(in->binary, '/') + 1 : in->binary);
		prog = rust_bin("release", name);
		for (unsigned int i = 0; i < in->build_id_len; i++)
			sprintf(hex + 2 * i, "%02x", in->build_id[i]);
		/* only traces of the programs built here now */
		if (!prog || cat_build_id(prog, err, sizeof(err)) <= 0 ||
		    strcmp(err, hex) || !access(in->binary, F_OK)) {
			cat_trace_close(r);
			free(prog);
			continue;
		}
		cat_trace_close(r);
		snprintf(dir, sizeof(dir), "/tmp/cat-div.%d", getpid());
		ASSERT_LT(0, asprintf(&cmd,
			"set -e; rm -rf %1$s; mkdir -p %1$s/c/.build-id/%2$.2s; cp %3$s %1$s/c/.build-id/%2$.2s/%4$s; "
			"%5$s convert --build-id-dir %1$s/c %6$s -o %1$s/a.json 2>%1$s/a.err; "
			"%5$s convert --binary %3$s %6$s -o %1$s/b.json 2>%1$s/b.err; "
			"! grep warning %1$s/a.err",
			dir, hex, prog, hex + 2, CAT_CATCTL, trace));
		rc = system(cmd);
		free(cmd);
		EXPECT_EQ(0, rc) TH_LOG("%s", trace);
		ASSERT_LT(0, asprintf(&cmd, "%s/a.json", dir));
		a = slurp(cmd, NULL);
		free(cmd);
		ASSERT_LT(0, asprintf(&cmd, "%s/b.json", dir));
		b = slurp(cmd, NULL);
		free(cmd);
		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, b);
		EXPECT_STREQ(a, b);
		ASSERT_LT(0, asprintf(&cmd, "\"location\":\"%s/src/main.rs:",
				      name));
		EXPECT_NE(NULL, strstr(a, cmd)) TH_LOG("%s: no %s", trace, cmd);
		free(cmd);
		free(a);
		free(b);
		free(prog);
		ASSERT_LT(0, asprintf(&cmd, "rm -rf %s", dir));
		system(cmd);
		free(cmd);
		done++;
	}
	free(list);
	if (!done)
		SKIP(return, "no VM trace of the programs built now (make -C selftests check TESTS=catctl_test)");
}

TEST_HARNESS_MAIN
