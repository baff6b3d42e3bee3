// SPDX-License-Identifier: GPL-2.0
/*
 * test_badinput - catctl's command line on binaries it cannot trace, and
 * without root, on the host (no cat.ko needed).
 *
 * test_symbols checks the library's error codes for stripped, non-ELF,
 * 32-bit and runtime-less files; this checks what a user sees: for each
 * bad --binary, "catctl start" and "catctl symbols" print one clear line
 * on stderr naming the file and exit with the documented code
 * (client/catctl.h: 5 unusable binary, 6 nothing to probe). "catctl start"
 * checks the binary before it looks for the module, so the answer must be
 * about the binary even on a machine without cat.ko, and the program must
 * not have been run. "catctl convert" and "catctl report" of a file that
 * is no trace (missing, a directory, empty, not a trace, cut inside its
 * header) exit 5 with one line naming it, and convert neither writes nor
 * touches the output, nor claims it did. Last, "catctl status" as a
 * non-root user says "permission denied ... root" with exit code 4.
 *
 * The files are made on the fly from the Rust programs of selftests/rust
 * (strip, truncation) and from bytes written here (ELF headers).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ksft.h"

#include "catctl.h"

/* the sanitized catctl built for the tests (Makefile) */
#define CATCTL	CAT_CATCTL

static char *rust_bin(const char *build, const char *prog)
{
	const char *dir = getenv("CAT_RUST_DIR");
	char *p;

	if (asprintf(&p, "%s/%s/%s", dir ? dir : CAT_TOP "/build/rust", build,
		     prog) < 0)
		return NULL;
	return p;
}

struct result {
	int code;		/* exit code, 128+N for signal N */
	char err[4096];		/* stderr */
	int err_lines;
	char out[4096];		/* stdout */
};

static void read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < size && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
}

/* Run catctl with @argv (argv[0] ignored); uid >= 0: as that user. */
static int run_catctl(char *const argv[], struct result *res, int uid)
{
	char errf[] = "/tmp/cat-badinput-err.XXXXXX";
	char outf[] = "/tmp/cat-badinput-out.XXXXXX";
	int efd = mkstemp(errf), ofd = mkstemp(outf), status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (efd < 0 || ofd < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) ||
				 setuid(uid)))
			_exit(125);
		execv(CATCTL, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	res->code = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	lseek(efd, 0, SEEK_SET);
	lseek(ofd, 0, SEEK_SET);
	read_all(efd, res->err, sizeof(res->err));
	read_all(ofd, res->out, sizeof(res->out));
	for (char *p = res->err; *p; p++)
		res->err_lines += *p == '\n';
	if (res->err[0] && res->err[strlen(res->err) - 1] != '\n')
		res->err_lines++;
	close(efd);
	close(ofd);
	unlink(errf);
	unlink(outf);
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len,
		      mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* A minimal ELF header of the given class and machine. */
static int write_elf_header(const char *path, int class64, int machine)
{
	unsigned char h[64] = { 0x7f, 'E', 'L', 'F' };

	h[4] = class64 ? 2 : 1;		/* EI_CLASS */
	h[5] = 1;			/* little-endian */
	h[6] = 1;			/* EV_CURRENT */
	h[16] = 2;			/* ET_EXEC */
	h[18] = machine;		/* e_machine, low byte */
	h[20] = 1;			/* e_version */
	if (class64) {
		h[52] = 64;		/* e_ehsize */
		h[54] = 56;		/* e_phentsize */
		h[58] = 64;		/* e_shentsize */
	} else {
		h[40] = 52;
		h[42] = 32;
		h[46] = 40;
	}
	return write_file(path, h, class64 ? 64 : 52, 0755);
}

/* Copy the first @len bytes of @src: an ELF cut short. */
static int write_prefix(const char *path, const char *src, size_t len)
{
	char *buf = malloc(len);
	int fd = open(src, O_RDONLY), ret = -1;

	if (buf && fd >= 0 && read(fd, buf, len) == (ssize_t)len)
		ret = write_file(path, buf, len, 0755);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

FIXTURE(bad) {
	char dir[64];
	char path[256];
};

enum kind {
	K_STRIPPED, K_NO_RUNTIME, K_SCRIPT, K_EMPTY, K_ELF32, K_ARM64,
	K_TRUNCATED, K_DIR, K_MISSING, K_DANGLING,
};

FIXTURE_VARIANT(bad) {
	enum kind kind;
	int code;		/* expected exit code of start and symbols */
	const char *says;	/* a word the message must contain, or NULL */
};

FIXTURE_VARIANT_ADD(bad, stripped) {
	.kind = K_STRIPPED, .code = CATCTL_EXIT_BAD_INPUT, .says = "strip",
};
FIXTURE_VARIANT_ADD(bad, no_runtime) {
	.kind = K_NO_RUNTIME, .code = CATCTL_EXIT_NO_PROBES, .says = "runtime",
};
FIXTURE_VARIANT_ADD(bad, not_elf_script) {
	.kind = K_SCRIPT, .code = CATCTL_EXIT_BAD_INPUT, .says = "ELF",
};
FIXTURE_VARIANT_ADD(bad, empty_file) {
	.kind = K_EMPTY, .code = CATCTL_EXIT_BAD_INPUT, .says = "ELF",
};
FIXTURE_VARIANT_ADD(bad, elf32) {
	.kind = K_ELF32, .code = CATCTL_EXIT_BAD_INPUT, .says = "32-bit",
};
FIXTURE_VARIANT_ADD(bad, elf64_arm64) {
	.kind = K_ARM64, .code = CATCTL_EXIT_BAD_INPUT, .says = NULL,
};
FIXTURE_VARIANT_ADD(bad, truncated_elf) {
	.kind = K_TRUNCATED, .code = CATCTL_EXIT_BAD_INPUT, .says = NULL,
};
FIXTURE_VARIANT_ADD(bad, directory) {
	.kind = K_DIR, .code = CATCTL_EXIT_BAD_INPUT, .says = NULL,
};
FIXTURE_VARIANT_ADD(bad, missing_file) {
	.kind = K_MISSING, .code = CATCTL_EXIT_BAD_INPUT, .says = "No such file",
};
FIXTURE_VARIANT_ADD(bad, dangling_symlink) {
	.kind = K_DANGLING, .code = CATCTL_EXIT_BAD_INPUT, .says = "No such file",
};

FIXTURE_SETUP(bad)
{
	char *multi = rust_bin("release", "tokio_multi");
	char cmd[1024];

	ASSERT_EQ(0, access(CATCTL, X_OK)) TH_LOG("%s not built (make -C client)", CATCTL);
	ASSERT_NE(NULL, multi);
	snprintf(self->dir, sizeof(self->dir), "/tmp/cat-badinput.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/prog", self->dir);

	switch (variant->kind) {
	case K_STRIPPED:
		snprintf(cmd, sizeof(cmd), "strip -o '%s' '%s'", self->path, multi);
		ASSERT_EQ(0, system(cmd));
		break;
	case K_NO_RUNTIME:
		/* this test program: ELF64 x86-64 with symbols, no runtime */
		ASSERT_LT(0, readlink("/proc/self/exe", self->path,
				      sizeof(self->path) - 1));
		break;
	case K_SCRIPT:
		ASSERT_EQ(0, write_file(self->path, "#!/bin/sh\necho hi\n", 18, 0755));
		break;
	case K_EMPTY:
		ASSERT_EQ(0, write_file(self->path, "", 0, 0755));
		break;
	case K_ELF32:
		ASSERT_EQ(0, write_elf_header(self->path, 0, 3 /* EM_386 */));
		break;
	case K_ARM64:
		ASSERT_EQ(0, write_elf_header(self->path, 1, 183 /* EM_AARCH64 */));
		break;
	case K_TRUNCATED:
		ASSERT_EQ(0, write_prefix(self->path, multi, 4096));
		break;
	case K_DIR:
		snprintf(self->path, sizeof(self->path), "%s", self->dir);
		break;
	case K_MISSING:
		snprintf(self->path, sizeof(self->path), "%s/nonexistent", self->dir);
		break;
	case K_DANGLING:
		ASSERT_EQ(0, symlink("/nonexistent/cat/binary", self->path));
		break;
	}
	free(multi);
}

FIXTURE_TEARDOWN(bad)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		fprintf(stderr, "# cannot remove %s\n", self->dir);
}

/* One line, naming the file, saying what is wrong, the documented code. */
static void check_answer(struct __test_metadata *_metadata,
			 const FIXTURE_VARIANT(bad) *variant,
			 const char *path, const char *what,
			 const struct result *r)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	TH_LOG("%s: exit %d: %s", what, r->code, r->err);
	EXPECT_EQ(variant->code, r->code);
	EXPECT_EQ(1, r->err_lines);
	EXPECT_NE(NULL, strstr(r->err, base)) TH_LOG("the message does not name %s", path);
	if (variant->says)
		EXPECT_NE(NULL, strstr(r->err, variant->says))
			TH_LOG("the message does not say '%s'", variant->says);
	/* the binary is the problem, not the (absent) module */
	EXPECT_EQ(NULL, strstr(r->err, "cat.ko"));
	EXPECT_EQ(NULL, strstr(r->err, "debugfs"));
}

TEST_F(bad, start)
{
	char raw[128];
	char *argv[] = { "catctl", "start", "--binary", self->path, "--raw",
			 raw, "-o", "none", "--", "arg", NULL };
	struct result r;

	snprintf(raw, sizeof(raw), "%s/trace.cat", self->dir);
	ASSERT_EQ(0, run_catctl(argv, &r, -1));
	check_answer(_metadata, variant, self->path, "start", &r);
	/* nothing ran, nothing was written */
	EXPECT_STREQ("", r.out);
	EXPECT_NE(0, access(raw, F_OK));
}

TEST_F(bad, symbols)
{
	char *argv[] = { "catctl", "symbols", "--binary", self->path, NULL };
	struct result r;

	ASSERT_EQ(0, run_catctl(argv, &r, -1));
	check_answer(_metadata, variant, self->path, "symbols", &r);
}

/*
 * Traces that cannot be opened at all. convert used to print its success
 * summary ("0 records ... -> x.json") after the error, while an older
 * x.json stayed in place looking like the result.
 */
FIXTURE(notrace) {
	char dir[64];
	char in[128];
	char out[128];
};

FIXTURE_VARIANT(notrace) {
	const char *what;
	const void *bytes;	/* file content; NULL: see what */
	size_t len;
};

FIXTURE_VARIANT_ADD(notrace, missing) { .what = "missing" };
FIXTURE_VARIANT_ADD(notrace, directory) { .what = "directory" };
FIXTURE_VARIANT_ADD(notrace, empty) { .what = "empty", .bytes = "", .len = 0 };
FIXTURE_VARIANT_ADD(notrace, not_a_trace) {
	.what = "text", .bytes = "{\"traceEvents\": []}\n", .len = 20,
};
FIXTURE_VARIANT_ADD(notrace, cut_header) {
	.what = "cut header", .bytes = "CATTRACE\1\0\0\0", .len = 12,
};

FIXTURE_SETUP(notrace)
{
	snprintf(self->dir, sizeof(self->dir), "/tmp/cat-notrace.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->in, sizeof(self->in), "%s/in.cat", self->dir);
	snprintf(self->out, sizeof(self->out), "%s/in.json", self->dir);
	if (!strcmp(variant->what, "directory")) {
		ASSERT_EQ(0, mkdir(self->in, 0755));
	} else if (variant->bytes) {
		ASSERT_EQ(0, write_file(self->in, variant->bytes, variant->len,
					0644));
	}
	/* an older conversion under the output name */
	ASSERT_EQ(0, write_file(self->out, "stale\n", 6, 0644));
}

FIXTURE_TEARDOWN(notrace)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("cannot remove %s", self->dir);
}

static void check_no_trace(struct __test_metadata *_metadata,
			   const char *in, const struct result *r)
{
	TH_LOG("exit %d: %s", r->code, r->err);
	EXPECT_EQ(CATCTL_EXIT_BAD_INPUT, r->code);
	EXPECT_EQ(1, r->err_lines);
	EXPECT_NE(NULL, strstr(r->err, in));
	/* no summary of a conversion that did not happen */
	EXPECT_EQ(NULL, strstr(r->err, " records, "));
	EXPECT_EQ(NULL, strstr(r->err, "->"));
}

TEST_F(notrace, convert)
{
	char tmp[160], buf[16] = "";
	char *argv[] = { "catctl", "convert", self->in, "-o", self->out, NULL };
	struct result r;
	FILE *f;

	ASSERT_EQ(0, run_catctl(argv, &r, -1));
	check_no_trace(_metadata, self->in, &r);
	EXPECT_NE(NULL, strstr(r.err, "not written"));
	/* the older file is neither replaced nor removed */
	f = fopen(self->out, "r");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(6, fread(buf, 1, sizeof(buf) - 1, f));
	fclose(f);
	EXPECT_STREQ("stale\n", buf);
	snprintf(tmp, sizeof(tmp), "%s.tmp", self->out);
	EXPECT_NE(0, access(tmp, F_OK));
	EXPECT_STREQ("", r.out);
}

/* The default output name (in.json) is not touched either. */
TEST_F(notrace, convert_default_output)
{
	char *argv[] = { "catctl", "convert", self->in, NULL };
	struct stat before, after;
	struct result r;

	ASSERT_EQ(0, stat(self->out, &before));
	ASSERT_EQ(0, run_catctl(argv, &r, -1));
	check_no_trace(_metadata, self->in, &r);
	ASSERT_EQ(0, stat(self->out, &after));
	EXPECT_EQ(before.st_ino, after.st_ino);
	EXPECT_EQ(6, after.st_size);
}

TEST_F(notrace, report)
{
	char *argv[] = { "catctl", "report", self->in, NULL };
	char *jargv[] = { "catctl", "report", "-f", "json", self->in, NULL };
	struct result r;

	ASSERT_EQ(0, run_catctl(argv, &r, -1));
	check_no_trace(_metadata, self->in, &r);
	EXPECT_STREQ("", r.out);
	ASSERT_EQ(0, run_catctl(jargv, &r, -1));
	check_no_trace(_metadata, self->in, &r);
	EXPECT_STREQ("", r.out);
}

/* catctl status without root: a plain sentence and exit code 4. */
TEST(status_not_root)
{
	char *argv[] = { "catctl", "status", NULL };
	struct result r;
	int uid = geteuid() == 0 ? 65534 : -1;	/* nobody, or already not root */

	ASSERT_EQ(0, run_catctl(argv, &r, uid));
	TH_LOG("exit %d: %s", r.code, r.err);
	ASSERT_NE(125, r.code) TH_LOG("cannot become uid 65534");
	EXPECT_EQ(CATCTL_EXIT_PERM, r.code);
	EXPECT_EQ(1, r.err_lines);
	EXPECT_NE(NULL, strcasestr(r.err, "permission denied"));
	EXPECT_NE(NULL, strstr(r.err, "root"));
}

TEST_HARNESS_MAIN
