/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debuginfo.h - find the symbols and DWARF of a trace's binary by its
 * build-id, on a machine other than the one the trace was taken on.
 *
 * A trace names the traced binary by the path it had on the traced
 * machine ("/cat/app/release/tokio_multi") and by its GNU build-id. On
 * another machine that path usually does not exist, or holds another
 * build. convert, report and dump all go through this one lookup, which
 * tries, in order:
 *
 *  1. --binary PATH (explicit; refused if its build-id differs),
 *  2. --symfs DIR: DIR/<path in the trace>, DIR/.build-id/xx/yyyy,
 *  3. the path in the trace,
 *  4. build-id directories: the trace's own directory (what
 *     "catctl start --archive" writes), every --build-id-dir DIR,
 *     ~/.debug and /usr/lib/debug, each as DIR/.build-id/xx/yyyy
 *     (the binary) and DIR/.build-id/xx/yyyy.debug (its debug file),
 *  5. debuginfod (elfutils' libdebuginfod), only when DEBUGINFOD_URLS
 *     is set.
 *
 * A file whose build-id is not the trace's is never used: an explicit
 * one is an error, a found one is skipped, and either way the message
 * names both build-ids. When the binary has no DWARF of its own, its
 * separate debug file is looked for with libdwfl's standard
 * find_debuginfo (.gnu_debuglink next to it, in .debug/ and under the
 * build-id directories; debuginfod when DEBUGINFOD_URLS is set).
 */
#ifndef CAT_DEBUGINFO_H
#define CAT_DEBUGINFO_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "srcloc.h"

#define CAT_DEBUGINFO_MAX_DIRS	16

struct cat_debuginfo_opts {
	const char *binary;		/* --binary PATH, or NULL */
	const char *symfs;		/* --symfs DIR, or NULL */
	const char *trace;		/* the trace file: its directory is
					 * searched first (--archive) */
	const char *dirs[CAT_DEBUGINFO_MAX_DIRS];	/* --build-id-dir */
	unsigned int ndirs;
	int no_default_dirs;		/* tests: not ~/.debug, /usr/lib/debug */
};

struct cat_debuginfo {
	char *exe;		/* file with the symbol table */
	char *debug;		/* file with the DWARF (may be exe), or NULL */
	char *how;		/* where exe was found, for messages */
};

/* getopt_long values of the shared options (above any short option). */
enum {
	CAT_OPT_SYMFS = 0x1000,
	CAT_OPT_BUILD_ID_DIR,
};

#define CAT_DEBUGINFO_LONGOPTS						\
	{ "symfs", required_argument, NULL, CAT_OPT_SYMFS },		\
	{ "build-id-dir", required_argument, NULL, CAT_OPT_BUILD_ID_DIR }

#define CAT_DEBUGINFO_USAGE						\
	"      --symfs DIR             look for the binary under DIR (its\n" \
	"                              path in the trace, or by build-id)\n" \
	"      --build-id-dir DIR      a build-id cache: DIR/.build-id/xx/\n" \
	"                              yyyy[.debug] (repeatable)\n"

/*
 * Take a CAT_OPT_* option into @o. Returns 1 if @c was one, 0 if not,
 * -1 (message printed) on a bad value.
 */
int cat_debuginfo_getopt(struct cat_debuginfo_opts *o, int c,
			 const char *arg);

/*
 * Find the binary with build-id @bid (@bidlen bytes; 0: the trace has
 * none, then only the given paths are tried, unchecked) that was at
 * @path when traced. Returns 0 and fills @out (free with
 * cat_debuginfo_free()), or -ENOENT/-EINVAL with a message in @err
 * (-EINVAL: an explicit --binary with another build-id).
 */
int cat_debuginfo_find(const char *path, const uint8_t *bid, size_t bidlen,
		       const struct cat_debuginfo_opts *o,
		       struct cat_debuginfo *out, char *err, size_t errlen);
void cat_debuginfo_free(struct cat_debuginfo *d);

/*
 * cat_debuginfo_find() then cat_dwarf_open(), with the warnings convert
 * and report print (prefixed by @who) on stderr. NULL when there are
 * no symbols; *@refused set when that is because of a build-id mismatch
 * of an explicit --binary.
 */
struct cat_dwarf *cat_debuginfo_open(const char *who, const char *path,
				     const uint8_t *bid, size_t bidlen,
				     const struct cat_debuginfo_opts *o,
				     int *refused);

/*
 * "catctl start --archive": copy @binary into the build-id layout in the
 * directory of @trace (DIR/.build-id/xx/yyyy), and its separate debug
 * file, if it has one, as yyyy.debug, so that the trace and its symbols
 * travel together. Returns 0, or -errno with a message in @err.
 */
int cat_debuginfo_archive(const char *binary, const char *trace, char *err,
			  size_t errlen);

#endif /* CAT_DEBUGINFO_H */
