// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_convert.c - libFuzzer target for everything "catctl convert" and
 * "catctl report" do with a trace file: the reader, the rebuild, the loss
 * accounting, the JSON writer (full and compact detail), the source
 * locations (with CAT_FUZZ_BINARY, see below) and the report in both
 * formats, through the real cat_convert_file() and the real report
 * command.
 *
 * fuzz_rawfile.c checks the reader and the rebuild on their own; this
 * checks what users get out of them. Besides "no crash, no leak, no
 * undefined behaviour" (ASan, UBSan, -fno-sanitize-recover), each input
 * must give either a clear refusal or output that is what it claims:
 *  - convert returns 0 or -EINVAL (bad input) and never anything else
 *    for a file it could read; the summary's "written" matches the file;
 *  - a written JSON parses, as UTF-8 (yajl's parser checks it), and has
 *    its traceEvents array and catStats;
 *  - report exits 0 or 5 (bad input) and its --format json output, when
 *    there is one, parses too.
 *
 * CAT_FUZZ_BINARY=PATH gives convert that binary's DWARF for one input
 * in sixteen (the fuzzed addresses then go through srcloc.c);
 * fuzz.mk sets it to a Rust program of selftests/rust when it is built.
 *
 * Build and run: make -C client/tests fuzz FUZZ_TARGET=convert (fuzz.mk).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "catctl.h"
#include "convert.h"
#include "testutil.h"

static char dir[64];

static void setup(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_convert.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		abort();
	}
}

/* @path must be JSON (UTF-8 checked by the parser) with key @must. */
static void check_json(const char *path, const char *must)
{
	const char *key[] = { must, NULL };
	char err[512];
	size_t len;
	char *text = slurp(path, &len);
	yajl_val v;

	if (!text)
		abort();
	if (strlen(text) != len) {
		fprintf(stderr, "%s: NUL byte in the JSON\n", path);
		abort();
	}
	v = yajl_tree_parse(text, err, sizeof(err));
	if (!v) {
		fprintf(stderr, "%s: does not parse: %s\n", path, err);
		abort();
	}
	if (!yajl_tree_get(v, key, yajl_t_any)) {
		fprintf(stderr, "%s: no \"%s\"\n", path, must);
		abort();
	}
	yajl_tree_free(v);
	free(text);
}

/* catctl report [-f json] TRACE > @out: its exit code. */
static int report(const char *trace, bool json, const char *out)
{
	char *argv[8] = { "report" };
	int argc = 1, fd, saved, ret;

	if (json) {
		argv[argc++] = "-f";
		argv[argc++] = "json";
	}
	argv[argc++] = (char *)trace;
	argv[argc] = NULL;
	fflush(stdout);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	saved = dup(1);
	if (fd < 0 || saved < 0 || dup2(fd, 1) < 0)
		abort();
	close(fd);
	optind = 0;	/* getopt starts over */
	ret = cmd_report.run(argc, argv);
	fflush(stdout);
	if (dup2(saved, 1) < 0)
		abort();
	close(saved);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum cat_detail details[] = {
		CAT_DETAIL_AUTO, CAT_DETAIL_FULL, CAT_DETAIL_COMPACT,
	};
	struct cat_convert_opts o = { 0 };
	struct cat_convert_summary sum;
	char path[64], json[128], rep[128], err[700];
	const char *binary = getenv("CAT_FUZZ_BINARY");
	int fd, ret;

	setup();
	fd = memfd_create("fuzz.cat", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
		perror("memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(json, sizeof(json), "%s/out.json", dir);
	snprintf(rep, sizeof(rep), "%s/report.out", dir);

	/*
	 * The detail level and the use of DWARF from the input, so that all
	 * get fuzzed. Opening the DWARF of a real binary costs more than the
	 * rest (19 against 119 inputs/s): one input in 16 pays for it, in
	 * convert only (report looks locations up through the same srcloc.c).
	 */
	o.detail = details[(size ? data[size - 1] : 0) % 3];
	o.auto_max_polls = 8;	/* auto: compact above 8 polls */
	if (binary && *binary && size && (data[size - 1] / 3) % 16 == 0)
		o.binary = binary;
	unlink(json);
	err[0] = '\0';
	ret = cat_convert_file(path, json, &o, &sum, err, sizeof(err));
	/* -EPERM: the input's build-id is not the binary's (refused) */
	if (ret && ret != -EINVAL && ret != -EPERM) {
		fprintf(stderr, "convert: %d: %s\n", ret, err);
		abort();
	}
	if (ret && (!err[0] || !memchr(err, '\0', sizeof(err))))
		abort();	/* an error says what */
	if (sum.written != !access(json, F_OK))
		abort();
	if (sum.written)
		check_json(json, "traceEvents");
	if (sum.written && !ret)
		check_json(json, "catStats");
	unlink(json);

	ret = report(path, true, rep);
	if (ret != CATCTL_EXIT_OK && ret != CATCTL_EXIT_BAD_INPUT) {
		fprintf(stderr, "report -f json: exit %d\n", ret);
		abort();
	}
	{
		size_t len;
		char *text = slurp(rep, &len);

		if (!text)
			abort();
		if (len)
			check_json(rep, "tasks");
		free(text);
	}
	ret = report(path, false, rep);
	if (ret != CATCTL_EXIT_OK && ret != CATCTL_EXIT_BAD_INPUT)
		abort();
	unlink(rep);
	close(fd);
	return 0;
}
