// SPDX-License-Identifier: GPL-2.0
/*
 * symbols.c - read the function symbols of an x86-64 ELF binary with
 * libelf, demangle them with libiberty, and compute the file offsets
 * that cat.ko's uprobes are placed at.
 *
 * Why file offsets: a uprobe names an inode and an offset in it, not a
 * virtual address, so each symbol's address is mapped back through the
 * executable PT_LOAD segment holding it. This works the same for PIE and
 * non-PIE binaries.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <demangle.h>

#include "sorted.h"
#include "symname.h"
#include "symbols.h"

const char *cat_sym_strerror(int err)
{
	switch (err) {
	case CAT_SYM_OK:		return "success";
	case CAT_SYM_ERR_OPEN:		return "cannot open or read the file";
	case CAT_SYM_ERR_NOT_ELF:	return "not an ELF file";
	case CAT_SYM_ERR_ELF32:		return "32-bit ELF: only x86-64 (ELF64) binaries can be traced";
	case CAT_SYM_ERR_ARCH:		return "not an x86-64 little-endian ELF";
	case CAT_SYM_ERR_NO_SYMBOLS:	return "no symbol table (stripped binary): rebuild without stripping";
	case CAT_SYM_ERR_NO_RUNTIME:	return "no async runtime (tokio, async-std) found in the binary";
	case CAT_SYM_ERR_NO_PROBES:	return "no probe point found";
	case CAT_SYM_ERR_NOMEM:		return "out of memory";
	case CAT_SYM_ERR_ELF:		return "malformed ELF file";
	case CAT_SYM_ERR_TOO_MANY:	return "too many probes for cat.ko (CAT_MAX_PROBES)";
	}
	return "unknown error";
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * An open ELF file, checked to be x86-64 ELF64. The identification bytes
 * are checked by hand first so that a 32-bit ELF gets its own error
 * instead of libelf's generic class mismatch.
 */
struct elf_file {
	int fd;
	Elf *elf;
};

static int elf_file_open(const char *path, struct elf_file *ef,
			 char *err, size_t errlen)
{
	unsigned char ident[EI_NIDENT];
	GElf_Ehdr eh;
	ssize_t n;

	ef->elf = NULL;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return CAT_SYM_ERR_OPEN;
	}
	n = pread(ef->fd, ident, sizeof(ident), 0);
	if (n < 0) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto fail_open;
	}
	if (n < SELFMAG || memcmp(ident, ELFMAG, SELFMAG)) {
		seterr(err, errlen, "%s: %s", path, cat_sym_strerror(CAT_SYM_ERR_NOT_ELF));
		close(ef->fd);
		return CAT_SYM_ERR_NOT_ELF;
	}
	if (n < EI_NIDENT || ident[EI_CLASS] == ELFCLASS32) {
		seterr(err, errlen, "%s: %s", path, cat_sym_strerror(CAT_SYM_ERR_ELF32));
		close(ef->fd);
		return CAT_SYM_ERR_ELF32;
	}
	if (ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB) {
		seterr(err, errlen, "%s: %s", path, cat_sym_strerror(CAT_SYM_ERR_ARCH));
		close(ef->fd);
		return CAT_SYM_ERR_ARCH;
	}

	elf_version(EV_CURRENT);
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF || !gelf_getehdr(ef->elf, &eh)) {
		seterr(err, errlen, "%s: %s (%s)", path,
		       cat_sym_strerror(CAT_SYM_ERR_ELF), elf_errmsg(-1));
		if (ef->elf)
			elf_end(ef->elf);
		close(ef->fd);
		return CAT_SYM_ERR_ELF;
	}
	if (eh.e_machine != EM_X86_64) {
		seterr(err, errlen, "%s: %s (e_machine %u)", path,
		       cat_sym_strerror(CAT_SYM_ERR_ARCH), eh.e_machine);
		elf_end(ef->elf);
		close(ef->fd);
		return CAT_SYM_ERR_ARCH;
	}
	return 0;

fail_open:
	close(ef->fd);
	return CAT_SYM_ERR_OPEN;
}

static void elf_file_close(struct elf_file *ef)
{
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
}

/* The executable PT_LOAD segments: all a uprobe can hit. */
struct xload {
	uint64_t vaddr, memsz, offset, filesz;
};

static int read_xloads(Elf *elf, struct xload **out, size_t *nout)
{
	struct xload *v = NULL;
	size_t phnum, i, n = 0;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum))
		return CAT_SYM_ERR_ELF;
	v = calloc(phnum ? phnum : 1, sizeof(*v));
	if (!v)
		return CAT_SYM_ERR_NOMEM;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &ph))
			continue;
		if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		v[n].vaddr = ph.p_vaddr;
		v[n].memsz = ph.p_memsz;
		v[n].offset = ph.p_offset;
		v[n].filesz = ph.p_filesz;
		n++;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * A function is probeable only if all of it is backed by the file inside
 * an executable segment (a uprobe reads the instruction from the file).
 */
static int xload_offset(const struct xload *v, size_t n, uint64_t vaddr,
			uint64_t size, uint64_t *off)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (vaddr < v[i].vaddr || vaddr - v[i].vaddr >= v[i].filesz)
			continue;
		if (size && vaddr - v[i].vaddr + size > v[i].filesz)
			continue;
		*off = vaddr - v[i].vaddr + v[i].offset;
		return 0;
	}
	return -1;
}

char *cat_strip_hash(char *name)
{
	size_t len = strlen(name);
	size_t i;

	/* "::h" + 16 lowercase hex digits at the end: legacy Rust hash */
	if (len < 19 || memcmp(name + len - 19, "::h", 3))
		return name;
	for (i = len - 16; i < len; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return name;
	name[len - 19] = '\0';
	return name;
}

char *cat_demangle(const char *mangled)
{
	char *copy, *dot, *res;

	if (!mangled)
		return NULL;
	res = cplus_demangle(mangled, DMGL_PARAMS | DMGL_ANSI | DMGL_RUST);
	if (res)
		return cat_strip_hash(res);

	/*
	 * Older libiberty versions refuse suffixes they do not know (e.g.
	 * ".llvm.123" or ".cold"): retry without the first '.'-suffix
	 * after the mangled part.
	 */
	if (strncmp(mangled, "_ZN", 3) && strncmp(mangled, "_R", 2))
		return NULL;
	copy = strdup(mangled);
	if (!copy)
		return NULL;
	dot = strchr(copy, '.');
	if (!dot) {
		free(copy);
		return NULL;
	}
	*dot = '\0';
	res = cplus_demangle(copy, DMGL_PARAMS | DMGL_ANSI | DMGL_RUST);
	free(copy);
	return res ? cat_strip_hash(res) : NULL;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct cat_sym *x = a, *y = b;

	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	return strcmp(x->mangled, y->mangled);
}

/* Read the NT_GNU_BUILD_ID note from any SHT_NOTE section. */
static void read_build_id(Elf *elf, struct cat_symtab *st)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t i;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, noff, doff;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4))
				continue;
			if (nh.n_descsz > sizeof(st->build_id))
				continue;
			memcpy(st->build_id, (char *)d->d_buf + doff, nh.n_descsz);
			st->build_id_len = nh.n_descsz;
			for (i = 0; i < nh.n_descsz; i++)
				sprintf(st->build_id_hex + 2 * i, "%02x", st->build_id[i]);
			return;
		}
	}
}

int cat_symtab_load(const char *path, struct cat_symtab **out,
		    char *err, size_t errlen)
{
	struct cat_symtab *st = NULL;
	struct xload *xl = NULL;
	struct elf_file ef;
	Elf_Scn *scn = NULL, *symscn = NULL;
	size_t nxl = 0, shstrndx, i, nsyms, cap = 0;
	GElf_Shdr sh, symsh = { 0 };
	GElf_Ehdr eh;
	Elf_Data *data;
	int ret;

	*out = NULL;
	ret = elf_file_open(path, &ef, err, errlen);
	if (ret)
		return ret;

	ret = CAT_SYM_ERR_NOMEM;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path)))
		goto fail;
	gelf_getehdr(ef.elf, &eh);
	st->e_type = eh.e_type;

	if (elf_getshdrstrndx(ef.elf, &shstrndx)) {
		ret = CAT_SYM_ERR_ELF;
		seterr(err, errlen, "%s: %s (%s)", path, cat_sym_strerror(ret), elf_errmsg(-1));
		goto fail;
	}
	while ((scn = elf_nextscn(ef.elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(ef.elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			symsh = sh;
		}
		if (name && !strcmp(name, ".debug_info") && sh.sh_type != SHT_NOBITS)
			st->has_debuginfo = 1;
	}
	read_build_id(ef.elf, st);

	/*
	 * .dynsym alone is not enough: a Rust binary exports next to nothing
	 * dynamically, so a binary without .symtab is treated as stripped.
	 */
	if (!symscn || !symsh.sh_entsize) {
		ret = CAT_SYM_ERR_NO_SYMBOLS;
		seterr(err, errlen, "%s: %s", path, cat_sym_strerror(ret));
		goto fail;
	}
	ret = read_xloads(ef.elf, &xl, &nxl);
	if (ret) {
		seterr(err, errlen, "%s: %s", path, cat_sym_strerror(ret));
		goto fail;
	}

	data = elf_getdata(symscn, NULL);
	nsyms = data ? symsh.sh_size / symsh.sh_entsize : 0;
	for (i = 0; i < nsyms; i++) {
		struct cat_sym *s;
		const char *name;
		uint64_t off;
		GElf_Sym sym;

		if (!gelf_getsym(data, i, &sym))
			continue;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || !sym.st_size || !sym.st_value)
			continue;
		if (xload_offset(xl, nxl, sym.st_value, sym.st_size, &off))
			continue;
		name = elf_strptr(ef.elf, symsh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (st->n == cap) {
			struct cat_sym *ns;

			cap = cap ? 2 * cap : 4096;
			ns = realloc(st->syms, cap * sizeof(*ns));
			if (!ns)
				goto nomem;
			st->syms = ns;
		}
		s = &st->syms[st->n];
		s->vaddr = sym.st_value;
		s->size = sym.st_size;
		s->file_offset = off;
		s->bind = GELF_ST_BIND(sym.st_info);
		s->mangled = strdup(name);
		if (!s->mangled)
			goto nomem;
		s->name = cat_demangle(name);
		if (!s->name)
			s->name = strdup(name);
		if (!s->name) {
			free(s->mangled);
			goto nomem;
		}
		s->path = cat_symname_path(s->name);
		if (!s->path) {
			free(s->mangled);
			free(s->name);
			goto nomem;
		}
		st->n++;
	}
	if (!st->n) {
		ret = CAT_SYM_ERR_NO_SYMBOLS;
		seterr(err, errlen, "%s: no function symbols in executable segments", path);
		goto fail;
	}
	qsort(st->syms, st->n, sizeof(*st->syms), sym_cmp);

	/* The same symbol can appear twice (e.g. local aliases): keep one. */
	{
		size_t w = 1;

		for (i = 1; i < st->n; i++) {
			if (st->syms[i].vaddr == st->syms[w - 1].vaddr &&
			    !strcmp(st->syms[i].mangled, st->syms[w - 1].mangled)) {
				free(st->syms[i].mangled);
				free(st->syms[i].name);
				free(st->syms[i].path);
				continue;
			}
			st->syms[w++] = st->syms[i];
		}
		st->n = w;
	}

	free(xl);
	elf_file_close(&ef);
	*out = st;
	return 0;

nomem:
	ret = CAT_SYM_ERR_NOMEM;
	seterr(err, errlen, "%s: %s", path, cat_sym_strerror(ret));
fail:
	free(xl);
	cat_symtab_free(st);
	elf_file_close(&ef);
	return ret;
}

void cat_symtab_free(struct cat_symtab *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->syms[i].mangled);
		free(st->syms[i].name);
		free(st->syms[i].path);
	}
	free(st->syms);
	free(st->path);
	free(st);
}

int cat_symtab_vaddr_to_offset(const char *path, uint64_t vaddr, uint64_t *off)
{
	struct xload *xl = NULL;
	struct elf_file ef;
	size_t nxl = 0;
	int ret;

	if (elf_file_open(path, &ef, NULL, 0))
		return -1;
	ret = read_xloads(ef.elf, &xl, &nxl);
	if (!ret)
		ret = xload_offset(xl, nxl, vaddr, 0, off);
	else
		ret = -1;
	free(xl);
	elf_file_close(&ef);
	return ret;
}

int cat_build_id(const char *path, char *hex, size_t hexlen)
{
	struct cat_symtab tmp;
	struct elf_file ef;
	int ret;

	ret = elf_file_open(path, &ef, NULL, 0);
	if (ret)
		return ret;
	memset(&tmp, 0, sizeof(tmp));
	read_build_id(ef.elf, &tmp);
	elf_file_close(&ef);
	if (hex && hexlen)
		snprintf(hex, hexlen, "%s", tmp.build_id_hex);
	return (int)tmp.build_id_len;
}

const struct cat_sym *cat_symtab_lookup(const struct cat_symtab *st, uint64_t vaddr)
{
	size_t lo = cat_sorted_count_le(st->syms, st->n, sizeof(*st->syms),
					offsetof(struct cat_sym, vaddr), vaddr);

	if (!lo)
		return NULL;
	if (vaddr - st->syms[lo - 1].vaddr < st->syms[lo - 1].size)
		return &st->syms[lo - 1];
	return NULL;
}
