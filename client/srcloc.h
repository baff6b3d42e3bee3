/* SPDX-License-Identifier: GPL-2.0 */
/*
 * srcloc.h - source locations of code addresses, inline frames included.
 *
 * In release builds of async Rust almost everything interesting (async fn
 * bodies, spawn calls, BlockingTask::poll) is inlined, so "the function
 * containing this address" is the wrong answer: the location must come
 * from the DWARF inline scopes, like binutils "addr2line -f -i". libdw's
 * own helpers (eu-addr2line) print no inline frames on Rust binaries, so
 * srcloc.c walks DW_TAG_inlined_subroutine scopes itself and the tests
 * compare it against binutils addr2line.
 *
 * All addresses are ELF virtual addresses of the binary (runtime address
 * minus load bias). Results are cached for the life of the handle.
 */
#ifndef CAT_SRCLOC_H
#define CAT_SRCLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cat_src_frame {
	char *function;		/* demangled, no hash; "??" if unknown */
	char *file;		/* as in the line table; "??" if unknown */
	unsigned int line;	/* 0 if unknown */
	unsigned int col;
};

struct cat_src_loc {
	uint64_t vaddr;
	const char *symbol;	/* ELF symbol containing vaddr, or NULL */
	uint64_t sym_offset;
	unsigned int nframes;	/* 0: no DWARF for this address */
	struct cat_src_frame *frames;	/* innermost first, as addr2line -i */
	char *where;		/* short "dir/src/file.rs:line", "sym+0x12"
				 * or "0x1234": never NULL */
	char *name;		/* function name at vaddr; for a generic,
				 * with its instantiation's parameters */
};

struct cat_dwarf;

/*
 * Open @path for lookups. A binary without DWARF still opens (locations
 * then fall back to symbol names). NULL with @err set if the file cannot
 * be read as ELF at all.
 */
struct cat_dwarf *cat_dwarf_open(const char *path, char *err, size_t errlen);
/*
 * The same with the symbol table from @exe and the DWARF from @debug (a
 * separate debug file; NULL: none, symbol names only).
 */
struct cat_dwarf *cat_dwarf_open_split(const char *exe, const char *debug,
				       char *err, size_t errlen);
bool cat_dwarf_has_debuginfo(const struct cat_dwarf *d);
/* The binary it was opened for (@exe of cat_dwarf_open_split). */
const char *cat_dwarf_exe(const struct cat_dwarf *d);

/* Resolve @vaddr (cached). Never NULL; @d NULL gives a bare address. */
const struct cat_src_loc *cat_dwarf_lookup(struct cat_dwarf *d, uint64_t vaddr);

/*
 * The first frame, innermost first, whose function is the program's own
 * rather than the runtime's or the standard library's (tokio::,
 * async_std::, async_task::, async_executor::, async_global_executor::,
 * core::, std::, alloc::); the outermost frame if all are; NULL if none.
 * Used for spawn sites: in release builds tokio::spawn is inlined into
 * the caller and the probed call sits inside that inline chain.
 */
const struct cat_src_frame *cat_dwarf_program_frame(const struct cat_src_loc *l);

/* "file:line" of a frame with a shortened path, into @buf. */
const char *cat_dwarf_frame_where(const struct cat_src_frame *f, char *buf,
				  size_t len);

void cat_dwarf_close(struct cat_dwarf *d);

#endif /* CAT_SRCLOC_H */
