// SPDX-License-Identifier: GPL-2.0
/*
 * srcloc.c - code address -> file:line with inline frames, through libdw
 * (see srcloc.h for why the inline scopes are walked here).
 *
 * For an address: find its CU (from the CUs' own ranges, see
 * load_cu_ranges()), then descend the DIE tree
 * through every DW_TAG_subprogram / DW_TAG_inlined_subroutine /
 * DW_TAG_lexical_block whose ranges contain it, also entering namespaces
 * and types (rustc nests functions inside them). The chain gives the
 * frames: the innermost takes the line table's row for the address, each
 * outer one the DW_AT_call_file/DW_AT_call_line of the scope inlined into
 * it - which is what binutils addr2line -i prints. DIEs with low_pc 0 are
 * functions removed by --gc-sections and are skipped.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "srcloc.h"
#include "rebuild.h"		/* struct cat_map */
#include "sorted.h"
#include "symbols.h"

#define MAX_SCOPES	128

struct cu_range {
	uint64_t lo, hi;		/* [lo, hi) */
	Dwarf_Off die;			/* the CU's DIE */
};

struct cat_dwarf {
	char *exe;			/* the binary (its symbols, its CFI) */
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct cat_symtab *syms;
	struct cat_map cache;		/* vaddr -> struct cat_src_loc */
	struct cu_range *cus;		/* every CU's code ranges, by lo */
	size_t ncus;
};

static int cmp_cu_range(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Every CU's code ranges (DW_AT_low_pc/high_pc or DW_AT_ranges), sorted,
 * to find the CU of an address. Not dwarf_addrdie(): it goes through
 * .debug_aranges, which libdw 0.188 rejects as a whole when a set has a
 * (0, 0) pair before its end - rustc 1.63 writes one for a function
 * removed by --gc-sections (value-bag, in every async-std program) - and
 * then no address of the binary has a location. Ranges starting at 0 are
 * such removed functions.
 */
static void load_cu_ranges(struct cat_dwarf *d)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;

	while (dwarf_nextcu(d->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t it = 0;
		Dwarf_Die cu;

		if (!dwarf_offdie(d->dw, off + hsize, &cu)) {
			off = next;
			continue;
		}
		while ((it = dwarf_ranges(&cu, it, &base, &lo, &hi)) > 0) {
			if (!lo || hi <= lo)
				continue;
			if (d->ncus == cap) {
				size_t ncap = cap ? 2 * cap : 256;
				struct cu_range *n = realloc(d->cus, ncap * sizeof(*n));

				if (!n)
					return;		/* dwarf_addrdie() is tried */
				d->cus = n;
				cap = ncap;
			}
			d->cus[d->ncus++] = (struct cu_range){ lo, hi, off + hsize };
		}
		off = next;
	}
	if (d->ncus)
		qsort(d->cus, d->ncus, sizeof(*d->cus), cmp_cu_range);
}

static bool find_cu(struct cat_dwarf *d, uint64_t vaddr, Dwarf_Die *cudie)
{
	/* the last range starting at or below vaddr */
	size_t lo = cat_sorted_count_le(d->cus, d->ncus, sizeof(*d->cus),
					offsetof(struct cu_range, lo), vaddr);

	if (lo && vaddr < d->cus[lo - 1].hi &&
	    dwarf_offdie(d->dw, d->cus[lo - 1].die, cudie))
		return true;
	return dwarf_addrdie(d->dw, vaddr, cudie) != NULL;
}

struct cat_dwarf *cat_dwarf_open(const char *path, char *err, size_t errlen)
{
	return cat_dwarf_open_split(path, path, err, errlen);
}

struct cat_dwarf *cat_dwarf_open_split(const char *exe, const char *debug,
				       char *err, size_t errlen)
{
	struct cat_dwarf *d = calloc(1, sizeof(*d));
	const char *path = debug ? debug : exe;

	if (!d) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	elf_version(EV_CURRENT);
	d->exe = strdup(exe);
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(d->exe);
		free(d);
		return NULL;
	}
	d->elf = elf_begin(d->fd, ELF_C_READ_MMAP, NULL);
	if (!d->elf || elf_kind(d->elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		cat_dwarf_close(d);
		return NULL;
	}
	d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);	/* may be NULL */
	if (d->dw)
		load_cu_ranges(d);
	if (cat_symtab_load(exe, &d->syms, NULL, 0))
		d->syms = NULL;		/* stripped: addresses only */
	cat_map_init(&d->cache);
	return d;
}

const char *cat_dwarf_exe(const struct cat_dwarf *d)
{
	return d ? d->exe : NULL;
}

bool cat_dwarf_has_debuginfo(const struct cat_dwarf *d)
{
	return d && d->dw;
}

/* Demangled linkage name (hash stripped), else DW_AT_name. */
static char *die_function_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *s = NULL;
	char *dm;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		s = dwarf_formstring(&a);
	if (s) {
		dm = cat_demangle(s);
		if (dm)
			return dm;
		return strdup(s);
	}
	if (dwarf_attr_integrate(die, DW_AT_name, &a))
		s = dwarf_formstring(&a);
	return strdup(s ? s : "??");
}

static const char *die_plain_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	if (dwarf_attr_integrate(die, DW_AT_name, &a))
		return dwarf_formstring(&a);
	return NULL;
}

static bool removed_by_gc(Dwarf_Die *die)
{
	Dwarf_Addr lo;

	return dwarf_lowpc(die, &lo) == 0 && lo == 0;
}

/* Append the scopes containing @pc below @parent to @chain (outer first). */
static bool walk(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *chain,
		 unsigned int *n, int level)
{
	Dwarf_Die child;

	if (level > 64 || dwarf_child(parent, &child) != 0)
		return false;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
		case DW_TAG_inlined_subroutine:
		case DW_TAG_lexical_block:
			if (dwarf_haspc(&child, pc) <= 0 || removed_by_gc(&child))
				break;
			if (dwarf_tag(&child) != DW_TAG_lexical_block &&
			    *n < MAX_SCOPES)
				chain[(*n)++] = child;
			walk(&child, pc, chain, n, level + 1);
			return true;
		case DW_TAG_namespace:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_enumeration_type:
		case DW_TAG_class_type:
			if (walk(&child, pc, chain, n, level + 1))
				return true;
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static const char *file_of(Dwarf_Files *files, size_t nfiles, Dwarf_Word idx)
{
	if (!files || idx >= nfiles)
		return NULL;
	return dwarf_filesrc(files, idx, NULL, NULL);
}

/*
 * rustc's line tables name files relative to the CU's DW_AT_comp_dir
 * ("library/core/src/..." under "/rustc/<hash>"); binutils prints them
 * joined, and so do we, so that locations compare and open as paths.
 */
static char *full_path(Dwarf_Die *cudie, const char *file)
{
	Dwarf_Attribute a;
	const char *dir = NULL;
	char *s;

	if (!file)
		return strdup("??");
	if (file[0] != '/' &&
	    dwarf_attr(cudie, DW_AT_comp_dir, &a))
		dir = dwarf_formstring(&a);
	if (!dir || !*dir)
		return strdup(file);
	if (asprintf(&s, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
		     file) < 0)
		return NULL;
	return s;
}

/*
 * The name of the function at @vaddr, keeping a generic's parameters:
 * the demangled symbol says "tokio::runtime::task::raw::poll" for every
 * instantiation, DW_AT_name says "poll<hello::main::{async_block_env#0},
 * ...>": splice the latter in so each instantiation keeps its own name.
 */
static char *instance_name(const char *path, const char *dwname)
{
	const char *lt, *tail;
	size_t plen, blen;
	char *s;

	if (!path)
		return dwname ? strdup(dwname) : NULL;
	if (!dwname || !(lt = strchr(dwname, '<')))
		return strdup(path);
	blen = lt - dwname;
	plen = strlen(path);
	tail = path + plen - (blen <= plen ? blen : plen);
	if (blen > plen || strncmp(tail, dwname, blen) ||
	    (tail > path && tail[-1] != ':'))
		return strdup(path);
	if (asprintf(&s, "%.*s%s", (int)(tail - path), path, dwname) < 0)
		return NULL;
	return s;
}

/* "dir/src/file.rs" from "/long/path/dir/src/file.rs" */
static const char *short_path(const char *p)
{
	const char *src = strstr(p, "/src/"), *q;

	if (!src)
		return (q = strrchr(p, '/')) ? q + 1 : p;
	for (q = src; q > p && q[-1] != '/'; q--)
		;
	return q;
}

const char *cat_dwarf_frame_where(const struct cat_src_frame *f, char *buf,
				  size_t len)
{
	snprintf(buf, len, "%s:%u", short_path(f->file), f->line);
	return buf;
}

static void resolve(struct cat_dwarf *d, struct cat_src_loc *l)
{
	Dwarf_Die cudie, chain[MAX_SCOPES];
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	unsigned int n = 0, i;
	Dwarf_Line *line;
	char buf[4096];
	int v;

	if (!d->dw || !find_cu(d, l->vaddr, &cudie))
		return;
	walk(&cudie, l->vaddr, chain, &n, 0);
	line = dwarf_getsrc_die(&cudie, l->vaddr);
	if (dwarf_getsrcfiles(&cudie, &files, &nfiles))
		files = NULL;
	l->frames = calloc(n ? n : 1, sizeof(*l->frames));
	if (!l->frames)
		return;
	if (!n) {
		/* line info but no scope: still a location */
		if (!line)
			return;
		n = 0;
		l->frames[0].function = strdup(l->symbol ? l->symbol : "??");
		l->frames[0].file = full_path(&cudie, dwarf_linesrc(line, NULL, NULL));
		if (!dwarf_lineno(line, &v))
			l->frames[0].line = v;
		l->nframes = 1;
		return;
	}
	/* chain[] is outermost first; frames innermost first */
	for (i = 0; i < n; i++) {
		struct cat_src_frame *f = &l->frames[i];
		Dwarf_Die *scope = &chain[n - 1 - i];

		f->function = die_function_name(scope);
		if (i == 0) {
			const char *src = line ? dwarf_linesrc(line, NULL, NULL) : NULL;

			f->file = full_path(&cudie, src);
			if (line && !dwarf_lineno(line, &v))
				f->line = v;
			if (line && !dwarf_linecol(line, &v))
				f->col = v;
		} else {
			/* where the scope inside this one was inlined */
			Dwarf_Die *inner = &chain[n - i];
			Dwarf_Attribute a;
			Dwarf_Word w = 0;
			const char *src = NULL;

			if (dwarf_attr(inner, DW_AT_call_file, &a) &&
			    !dwarf_formudata(&a, &w))
				src = file_of(files, nfiles, w);
			f->file = full_path(&cudie, src);
			if (dwarf_attr(inner, DW_AT_call_line, &a) &&
			    !dwarf_formudata(&a, &w))
				f->line = w;
			if (dwarf_attr(inner, DW_AT_call_column, &a) &&
			    !dwarf_formudata(&a, &w))
				f->col = w;
		}
		if (!f->function || !f->file)
			break;
		l->nframes = i + 1;
	}
	/* the outermost scope is the real function at this address */
	snprintf(buf, sizeof(buf), "%s", l->nframes ?
		 l->frames[l->nframes - 1].function : "??");
	free(l->name);
	l->name = instance_name(l->symbol ? l->symbol : buf,
				die_plain_name(&chain[0]));
}

const struct cat_src_loc *cat_dwarf_lookup(struct cat_dwarf *d, uint64_t vaddr)
{
	static struct cat_src_loc none = { .where = "??", .name = "??" };
	struct cat_src_loc *l;
	char buf[600];

	if (!d)
		return &none;
	l = cat_map_get(&d->cache, vaddr);
	if (l)
		return l;
	l = calloc(1, sizeof(*l));
	if (!l)
		return &none;
	l->vaddr = vaddr;
	if (d->syms) {
		const struct cat_sym *s = cat_symtab_lookup(d->syms, vaddr);

		if (s) {
			l->symbol = s->name;
			l->sym_offset = vaddr - s->vaddr;
		}
	}
	resolve(d, l);
	if (l->nframes)
		cat_dwarf_frame_where(&l->frames[0], buf, sizeof(buf));
	else if (l->symbol)
		snprintf(buf, sizeof(buf), "%s+%#" PRIx64, l->symbol,
			 l->sym_offset);
	else
		snprintf(buf, sizeof(buf), "%#" PRIx64, vaddr);
	l->where = strdup(buf);
	if (!l->name)
		l->name = strdup(l->symbol ? l->symbol : buf);
	if (!l->where || !l->name || cat_map_put(&d->cache, vaddr, l)) {
		/* out of memory: degrade to the static answer */
		free(l->where);
		free(l->name);
		free(l);
		return &none;
	}
	return l;
}

static bool runtime_function(const char *fn)
{
	static const char *const crates[] = {
		"tokio::", "async_std::", "async_task::", "async_executor::",
		"async_global_executor::", "core::", "std::", "alloc::",
		"futures_lite::", "futures_core::",
	};
	const char *p = fn;

	/* "<tokio::x::Y as core::..>::f" belongs to the type's crate */
	if (*p == '<')
		p++;
	for (size_t i = 0; i < sizeof(crates) / sizeof(crates[0]); i++)
		if (!strncmp(p, crates[i], strlen(crates[i])))
			return true;
	return false;
}

const struct cat_src_frame *cat_dwarf_program_frame(const struct cat_src_loc *l)
{
	if (!l || !l->nframes)
		return NULL;
	for (unsigned int i = 0; i < l->nframes; i++)
		if (!runtime_function(l->frames[i].function))
			return &l->frames[i];
	return &l->frames[l->nframes - 1];
}

static void free_loc(void *p)
{
	struct cat_src_loc *l = p;

	for (unsigned int i = 0; i < l->nframes; i++) {
		free(l->frames[i].function);
		free(l->frames[i].file);
	}
	free(l->frames);
	free(l->where);
	free(l->name);
	free(l);
}

void cat_dwarf_close(struct cat_dwarf *d)
{
	if (!d)
		return;
	cat_map_free(&d->cache, free_loc);
	free(d->cus);
	if (d->dw)
		dwarf_end(d->dw);
	if (d->elf)
		elf_end(d->elf);
	if (d->syms)
		cat_symtab_free(d->syms);
	free(d->exe);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}
