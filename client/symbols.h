/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbols.h - the function symbols of one ELF binary, demangled, with the
 * file offsets uprobes need.
 *
 * Rust binaries mix two manglings: the program and its crates use the
 * legacy scheme (_ZN...17h<hash>E, with ".llvm.<digits>" suffixes in
 * release builds) and the prebuilt std uses v0 (_R...). Both are demangled
 * with libiberty (DMGL_RUST), hashes stripped, and each name also gets a
 * normalised path (symname.h) that reads the same under both manglings
 * and without generic arguments. Generic functions have one
 * symbol per instantiation, all with the same demangled name: every one
 * is kept, told apart by its address.
 *
 * Only what a uprobe can hit is kept: defined STT_FUNC symbols of
 * non-zero size that lie inside an executable PT_LOAD segment.
 */
#ifndef CAT_SYMBOLS_H
#define CAT_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* Errors of symbols.c and profiles.c (negative return values). */
enum cat_sym_error {
	CAT_SYM_OK		= 0,
	CAT_SYM_ERR_OPEN	= -1,	/* cannot open or read the file (errno kept) */
	CAT_SYM_ERR_NOT_ELF	= -2,	/* not an ELF file */
	CAT_SYM_ERR_ELF32	= -3,	/* a 32-bit ELF: only x86-64 is supported */
	CAT_SYM_ERR_ARCH	= -4,	/* a 64-bit ELF, but not x86-64 / not little-endian */
	CAT_SYM_ERR_NO_SYMBOLS	= -5,	/* no .symtab: stripped binary */
	CAT_SYM_ERR_NO_RUNTIME	= -6,	/* neither tokio nor async-std found */
	CAT_SYM_ERR_NO_PROBES	= -7,	/* nothing to probe */
	CAT_SYM_ERR_NOMEM	= -8,
	CAT_SYM_ERR_ELF		= -9,	/* libelf failed on a malformed file */
	CAT_SYM_ERR_TOO_MANY	= -10,	/* more than CAT_MAX_PROBES probes */
};

/* A short, user-facing description of an enum cat_sym_error. */
const char *cat_sym_strerror(int err);

struct cat_sym {
	uint64_t vaddr;		/* st_value */
	uint64_t size;		/* st_size, never 0 */
	uint64_t file_offset;	/* vaddr - p_vaddr + p_offset of its PT_LOAD */
	char *mangled;		/* as in .symtab */
	char *name;		/* demangled, hash stripped (== a copy of
				 * mangled when it is not a mangled name) */
	char *path;		/* name normalised by cat_symname_path():
				 * generic arguments stripped, the same for
				 * legacy and v0 names; profiles match this */
	unsigned char bind;	/* STB_LOCAL / STB_GLOBAL / STB_WEAK */
};

struct cat_symtab {
	char *path;
	struct cat_sym *syms;	/* sorted by vaddr, then name */
	size_t n;
	uint16_t e_type;	/* ET_EXEC or ET_DYN (PIE) */
	unsigned char build_id[64];
	size_t build_id_len;	/* 0: the binary has no build-id note */
	char build_id_hex[129];	/* "" when none */
	int has_debuginfo;	/* a .debug_info section is present */
};

/*
 * Read the function symbols of @path. On success returns 0 and stores a
 * table to free with cat_symtab_free() in *@out. On failure returns an
 * enum cat_sym_error and writes a one-line explanation naming the file
 * into @err (when @err is not NULL).
 */
int cat_symtab_load(const char *path, struct cat_symtab **out,
		    char *err, size_t errlen);
void cat_symtab_free(struct cat_symtab *st);

/*
 * Demangle a Rust (legacy or v0) or C++ symbol, hash and ".llvm.N"
 * suffixes stripped. Returns a malloc()ed string, or NULL when @mangled
 * is not a mangled name (or on allocation failure).
 */
char *cat_demangle(const char *mangled);

/*
 * Strip a trailing "::h<16 hex digits>" (legacy Rust hash) from a
 * demangled name, in place. Returns @name.
 */
char *cat_strip_hash(char *name);

/*
 * Map a virtual address of @path to its file offset through the
 * executable PT_LOAD segments. Returns 0 and sets *@off, or -1 when
 * @vaddr is in no executable PT_LOAD.
 */
int cat_symtab_vaddr_to_offset(const char *path, uint64_t vaddr, uint64_t *off);

/*
 * Read the GNU build-id of @path as lowercase hex into @hex (at least
 * 129 bytes). Returns its length in bytes (0: no build-id note), or an
 * enum cat_sym_error.
 */
int cat_build_id(const char *path, char *hex, size_t hexlen);

/* Find the symbol containing @vaddr (binary search), or NULL. */
const struct cat_sym *cat_symtab_lookup(const struct cat_symtab *st, uint64_t vaddr);

#endif /* CAT_SYMBOLS_H */
