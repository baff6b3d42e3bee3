// SPDX-License-Identifier: GPL-2.0
/*
 * debuginfo.c - find a trace's binary and its DWARF by build-id (see
 * debuginfo.h for the search order and why).
 *
 * Separate debug files are found by libdwfl's dwfl_standard_find_debuginfo
 * (.gnu_debuglink, the build-id layout under its debuginfo path, and
 * debuginfod), not by hand; the binary itself by build-id comes from the
 * .build-id/xx/yyyy layout and elfutils' libdebuginfod client.
 */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debuginfo.h"
#include "rawfile.h"
#include "symbols.h"

#define HEXLEN	(2 * CAT_TRACE_BUILD_ID_MAX + 1)

int cat_debuginfo_getopt(struct cat_debuginfo_opts *o, int c,
			 const char *arg)
{
	switch (c) {
	case CAT_OPT_SYMFS:
		o->symfs = arg;
		return 1;
	case CAT_OPT_BUILD_ID_DIR:
		if (o->ndirs == CAT_DEBUGINFO_MAX_DIRS) {
			fprintf(stderr, "catctl: at most %d --build-id-dir\n",
				CAT_DEBUGINFO_MAX_DIRS);
			return -1;
		}
		o->dirs[o->ndirs++] = arg;
		return 1;
	}
	return 0;
}

/* Does @path carry DWARF of its own (a .debug_info with contents)? */
static bool has_dwarf(const char *path)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && !elf_getshdrstrndx(elf, &shstrndx)) {
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			found = name && (!strcmp(name, ".debug_info") ||
					 !strcmp(name, ".zdebug_info"));
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

struct search {
	const char *want;		/* hex build-id, "" if none */
	char skipped[1024];		/* files with another build-id */
	size_t nskipped;
};

/*
 * 1: @path exists and has the wanted build-id (or the trace has none);
 * 0: it does not exist or is not ELF; -1: another build-id, noted.
 */
static int try_file(struct search *s, const char *path)
{
	char have[HEXLEN];
	size_t len = strlen(s->skipped);
	int n;

	if (access(path, R_OK))
		return 0;
	n = cat_build_id(path, have, sizeof(have));
	if (!*s->want)
		return n >= 0;
	if (n < 0)
		return 0;
	if (n > 0 && !strcmp(have, s->want))
		return 1;
	snprintf(s->skipped + len, sizeof(s->skipped) - len, "%s%s has build-id %s",
		 len ? "; " : "", path, n ? have : "(none)");
	s->nskipped++;
	return -1;
}

/* @dir/.build-id/xx/yyyy@suffix */
static char *build_id_path(const char *dir, const char *hex,
			   const char *suffix)
{
	char *p;

	if (asprintf(&p, "%s/.build-id/%.2s/%s%s", dir, hex, hex + 2,
		     suffix) < 0)
		return NULL;
	return p;
}

/* The build-id directories, in search order; entries are malloc()ed. */
static unsigned int build_id_dirs(const struct cat_debuginfo_opts *o,
				  char **dirs, unsigned int max)
{
	unsigned int n = 0;
	const char *home = getenv("HOME");

	if (o && o->trace) {
		char *t = strdup(o->trace), *slash = t ? strrchr(t, '/') : NULL;

		if (slash) {
			*slash = '\0';
			dirs[n++] = *t ? t : strdup("/");
			if (!*t)
				free(t);
		} else {
			free(t);
			dirs[n++] = strdup(".");
		}
	}
	for (unsigned int i = 0; o && i < o->ndirs && n < max; i++)
		dirs[n++] = strdup(o->dirs[i]);
	if (!(o && o->no_default_dirs)) {
		if (home && *home && n < max &&
		    asprintf(&dirs[n], "%s/.debug", home) >= 0)
			n++;
		if (n < max)
			dirs[n++] = strdup("/usr/lib/debug");
	}
	return n;
}

/*
 * The separate debug file of @exe through libdwfl's standard lookup,
 * with the build-id directories on its debuginfo path; NULL if none.
 */
static char *dwfl_debug_file(const char *exe, char **dirs, unsigned int ndirs)
{
	char *path = NULL, *res = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&path, &len);
	Dwfl_Callbacks cb = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	Dwfl_Module *m;
	Dwarf_Addr bias;
	Dwfl *dwfl;

	if (!f)
		return NULL;
	/* "": next to exe, ".debug": exe's .debug/, then the roots */
	fputs(":.debug", f);
	for (unsigned int i = 0; i < ndirs; i++)
		fprintf(f, ":%s", dirs[i]);
	if (fclose(f))
		return NULL;
	cb.debuginfo_path = &path;
	dwfl = dwfl_begin(&cb);
	if (!dwfl) {
		free(path);
		return NULL;
	}
	m = dwfl_report_offline(dwfl, "", exe, -1);
	dwfl_report_end(dwfl, NULL, NULL);
	if (m && dwfl_module_getdwarf(m, &bias)) {
		const char *debug = NULL;

		dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, &debug);
		if (debug)
			res = strdup(debug);
	}
	dwfl_end(dwfl);
	free(path);
	return res;
}

/*
 * debuginfod, only when the user configured servers. libdebuginfod is
 * opened at run time, as libdwfl itself does: catctl then runs, without
 * this step, where libdebuginfod1 (and the libcurl it pulls in, e.g. in
 * the test VM) is not installed.
 */
static char *from_debuginfod(const uint8_t *bid, size_t bidlen, bool debug)
{
	typedef int find_fn(debuginfod_client *, const unsigned char *, int,
			    char **);
	const char *urls = getenv("DEBUGINFOD_URLS");
	debuginfod_client *(*begin)(void);
	void (*end)(debuginfod_client *);
	find_fn *find;
	debuginfod_client *c;
	char *path = NULL;
	static void *lib;
	int fd;

	if (!urls || !*urls || !bidlen)
		return NULL;
	/* opened once and never closed: libcurl's global state lives in it */
	if (!lib)
		lib = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return NULL;
	begin = (debuginfod_client *(*)(void))dlsym(lib, "debuginfod_begin");
	end = (void (*)(debuginfod_client *))dlsym(lib, "debuginfod_end");
	find = (find_fn *)dlsym(lib, debug ? "debuginfod_find_debuginfo" :
				"debuginfod_find_executable");
	c = begin && end && find ? begin() : NULL;
	if (!c)
		return NULL;
	fd = find(c, bid, bidlen, &path);
	end(c);
	if (fd < 0) {
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

static int set(struct cat_debuginfo *out, char *exe, const char *how,
	       const char *where)
{
	out->exe = exe;
	if (asprintf(&out->how, "%s%s%s", how, where ? " " : "",
		     where ? where : "") < 0)
		out->how = NULL;
	return 1;
}

/* Steps 1-5 of debuginfo.h for the binary: 1 found, 0 not, <0 refused. */
static int find_exe(struct search *s, const char *path, const uint8_t *bid,
		    size_t bidlen, const struct cat_debuginfo_opts *o,
		    char **dirs, unsigned int ndirs, struct cat_debuginfo *out,
		    char *err, size_t errlen)
{
	char *p;
	int r;

	if (o && o->binary) {
		r = try_file(s, o->binary);
		if (r > 0)
			return set(out, strdup(o->binary), "--binary", NULL);
		if (r < 0)
			snprintf(err, errlen, "%s: refused: the trace was taken with build-id %s (%s)",
				 o->binary, s->want, s->skipped);
		else
			snprintf(err, errlen, "%s: %s", o->binary,
				 access(o->binary, R_OK) ? strerror(errno) :
				 "not an ELF file");
		return r < 0 ? -EINVAL : -ENOENT;
	}
	if (o && o->symfs) {
		if (path && *path && asprintf(&p, "%s%s%s", o->symfs,
					     *path == '/' ? "" : "/", path) >= 0) {
			if (try_file(s, p) > 0)
				return set(out, p, "--symfs", o->symfs);
			free(p);
		}
		if (*s->want && (p = build_id_path(o->symfs, s->want, ""))) {
			if (try_file(s, p) > 0)
				return set(out, p, "--symfs", o->symfs);
			free(p);
		}
	}
	if (path && *path && try_file(s, path) > 0)
		return set(out, strdup(path), "the trace's path", NULL);
	if (!*s->want)
		return 0;
	for (unsigned int i = 0; i < ndirs; i++) {
		p = build_id_path(dirs[i], s->want, "");
		if (p && try_file(s, p) > 0)
			return set(out, p, "build-id directory", dirs[i]);
		free(p);
	}
	p = from_debuginfod(bid, bidlen, false);
	if (p && try_file(s, p) > 0)
		return set(out, p, "debuginfod", NULL);
	free(p);
	return 0;
}

int cat_debuginfo_find(const char *path, const uint8_t *bid, size_t bidlen,
		       const struct cat_debuginfo_opts *o,
		       struct cat_debuginfo *out, char *err, size_t errlen)
{
	struct search s = { .want = "" };
	char hex[HEXLEN] = "", *dirs[CAT_DEBUGINFO_MAX_DIRS + 3];
	unsigned int ndirs;
	int r;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < bidlen && i < CAT_TRACE_BUILD_ID_MAX; i++)
		sprintf(hex + 2 * i, "%02x", bid[i]);
	s.want = hex;
	ndirs = build_id_dirs(o, dirs, sizeof(dirs) / sizeof(dirs[0]));
	r = find_exe(&s, path, bid, bidlen, o, dirs, ndirs, out, err, errlen);
	if (r > 0) {
		out->debug = has_dwarf(out->exe) ? strdup(out->exe) : NULL;
		if (!out->debug && *hex) {
			/* a build-id debug file in our directories first */
			for (unsigned int i = 0; !out->debug && i < ndirs; i++) {
				char *p = build_id_path(dirs[i], hex, ".debug");

				if (p && try_file(&s, p) > 0 && has_dwarf(p))
					out->debug = p;
				else
					free(p);
			}
		}
		if (!out->debug)
			out->debug = dwfl_debug_file(out->exe, dirs, ndirs);
		if (out->debug && *hex && try_file(&s, out->debug) <= 0) {
			free(out->debug);	/* never another build's DWARF */
			out->debug = NULL;
		}
		r = 0;
	} else if (r == 0 && *hex) {
		/* no binary, but maybe its debug file alone (it has .symtab) */
		for (unsigned int i = 0; i < ndirs && !out->exe; i++) {
			char *p = build_id_path(dirs[i], hex, ".debug");

			if (p && try_file(&s, p) > 0) {
				set(out, p, "build-id directory", dirs[i]);
				out->debug = strdup(p);
			} else {
				free(p);
			}
		}
		if (!out->exe) {
			char *p = from_debuginfod(bid, bidlen, true);

			if (p && try_file(&s, p) > 0) {
				set(out, p, "debuginfod", NULL);
				out->debug = strdup(p);
			} else {
				free(p);
			}
		}
		r = out->exe ? 0 : -ENOENT;
		if (r)
			snprintf(err, errlen, "no binary with build-id %s for %s%s%s",
				 hex, path && *path ? path : "(no path)",
				 s.nskipped ? ": not used, another build: " : "",
				 s.skipped);
	} else if (r == 0) {
		snprintf(err, errlen, "%s: %s", path && *path ? path : "(no path)",
			 "not found, and the trace has no build-id");
		r = -ENOENT;
	}
	for (unsigned int i = 0; i < ndirs; i++)
		free(dirs[i]);
	if (r)
		cat_debuginfo_free(out);
	return r;
}

void cat_debuginfo_free(struct cat_debuginfo *d)
{
	free(d->exe);
	free(d->debug);
	free(d->how);
	memset(d, 0, sizeof(*d));
}

struct cat_dwarf *cat_debuginfo_open(const char *who, const char *path,
				     const uint8_t *bid, size_t bidlen,
				     const struct cat_debuginfo_opts *o,
				     int *refused)
{
	struct cat_debuginfo di;
	struct cat_dwarf *dw;
	char err[1500];
	int r;

	if (refused)
		*refused = 0;
	r = cat_debuginfo_find(path, bid, bidlen, o, &di, err, sizeof(err));
	if (r) {
		fprintf(stderr, "%s: %s: %s\n", who, r == -EINVAL ?
			"error" : "warning: no source locations", err);
		if (refused)
			*refused = r == -EINVAL;
		return NULL;
	}
	dw = cat_dwarf_open_split(di.exe, di.debug, err, sizeof(err));
	if (!dw)
		fprintf(stderr, "%s: warning: no source locations: %s\n", who,
			err);
	else if (!cat_dwarf_has_debuginfo(dw))
		fprintf(stderr, "%s: warning: %s has no DWARF and no debug file was found: locations are symbol names\n",
			who, di.exe);
	cat_debuginfo_free(&di);
	return dw;
}

static int mkdirs(const char *path, char *err, size_t errlen)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0755) && errno != EEXIST) {
				int e = -errno;

				snprintf(err, errlen, "%s: %s", p, strerror(errno));
				free(p);
				return e;
			}
			if (!c)
				break;
			*s = c;
		}
	}
	free(p);
	return 0;
}

/* Copy @from to @to (via @to.tmp, so a partial copy is never found). */
static int copy_file(const char *from, const char *to, char *err,
		     size_t errlen)
{
	char buf[1 << 16], *tmp;
	int in, out, ret = 0;
	ssize_t n;

	if (asprintf(&tmp, "%s.tmp", to) < 0)
		return -ENOMEM;
	in = open(from, O_RDONLY | O_CLOEXEC);
	out = in < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				 0644);
	if (in < 0 || out < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", in < 0 ? from : tmp,
			 strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n; ) {
			ssize_t w = write(out, buf + off, n - off);

			if (w < 0) {
				ret = -errno;
				snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
				goto out;
			}
			off += w;
		}
	}
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
	}
out:
	if (out >= 0 && close(out) && !ret) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	}
	if (in >= 0)
		close(in);
	if (!ret && rename(tmp, to)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", to, strerror(errno));
	}
	if (ret && out >= 0)
		unlink(tmp);
	free(tmp);
	return ret;
}

int cat_debuginfo_archive(const char *binary, const char *trace, char *err,
			  size_t errlen)
{
	struct cat_debuginfo_opts o = { .trace = trace };
	char hex[HEXLEN], *dirs[CAT_DEBUGINFO_MAX_DIRS + 3], *dst = NULL;
	char *sub = NULL, *debug = NULL;
	unsigned int ndirs;
	int n, ret;

	n = cat_build_id(binary, hex, sizeof(hex));
	if (n <= 0) {
		snprintf(err, errlen, "%s: %s", binary, n ? "not readable as ELF" :
			 "has no build-id: nothing to archive it by");
		return -EINVAL;
	}
	ndirs = build_id_dirs(&o, dirs, 1);	/* the trace's directory */
	ret = -ENOMEM;
	if (ndirs != 1 || asprintf(&sub, "%s/.build-id/%.2s", dirs[0], hex) < 0)
		goto out;
	dst = build_id_path(dirs[0], hex, "");
	if (!dst)
		goto out;
	ret = mkdirs(sub, err, errlen);
	if (!ret)
		ret = copy_file(binary, dst, err, errlen);
	if (!ret && !has_dwarf(binary)) {
		/* its separate debug file travels too */
		char *ddst = NULL;

		debug = dwfl_debug_file(binary, NULL, 0);
		if (debug && asprintf(&ddst, "%s.debug", dst) >= 0)
			ret = copy_file(debug, ddst, err, errlen);
		free(ddst);
	}
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	for (unsigned int i = 0; i < ndirs; i++)
		free(dirs[i]);
	free(sub);
	free(dst);
	free(debug);
	return ret;
}
