/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawnsite.h - a spawn's backtrace and its spawn site, from a stack
 * copy (unwind.h) and DWARF (srcloc.h).
 *
 * The spawn site is the first frame, innermost first and inline frames
 * expanded, whose source file is the program's own: not the Rust
 * standard library (rustc's /rustc/<commit>/library/..., Debian's
 * /usr/src/rustc-<version>/..., a rustup toolchain, std's own
 * dependencies under /rust/deps or /cargo/registry), not a crate from a
 * registry (~/.cargo/registry, ~/.cargo/git, /usr/share/cargo/registry,
 * a vendor/ directory), not a system header. It is decided by the
 * source path DWARF gives, never by crate or function names, so it does
 * not depend on which runtime, library executor or compiler version
 * produced the frames: tokio::spawn inlined into the caller, smol's
 * spawn, hyper's executor and tokio's scheduler internals are all just
 * library frames on the way to the user's line.
 *
 * Backtraces are interned: a spawn call made again from the same place
 * has the same frames and shares one struct cat_backtrace, resolved
 * once. They live as long as the table.
 */
#ifndef CAT_SPAWNSITE_H
#define CAT_SPAWNSITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cat_abi.h"
#include "srcloc.h"
#include "unwind.h"

struct cat_bt_frame {
	uint64_t vaddr;			/* address looked up (call: pc - 1) */
	const struct cat_src_frame *src;	/* NULL: no DWARF there */
	unsigned int physical;		/* index of its machine frame */
	bool inlined;			/* an inline frame inside it */
	bool program;			/* in the program's own source */
};

struct cat_backtrace {
	unsigned int nframes;		/* innermost first, inlines expanded */
	struct cat_bt_frame *frames;
	int site;			/* index of the spawn site, -1: none */
	const char *site_where;		/* "dir/src/file.rs:line", or NULL */
	/* private */
	uint64_t *pcs;
	unsigned int npcs;
	struct cat_backtrace *next;	/* same hash */
};

/* Is @path (a DWARF source path) library code rather than the program's? */
bool cat_src_is_library(const char *path);

struct cat_spawnsites;

/* @dw and @uw are borrowed and must outlive the table. */
struct cat_spawnsites *cat_spawnsites_new(struct cat_dwarf *dw,
					  struct cat_unwinder *uw);

/*
 * The same with an unwinder of its own for @binary (freed with the
 * table); NULL if @binary cannot be unwound (@dw is still borrowed).
 */
struct cat_spawnsites *cat_spawnsites_open(const char *binary,
					   struct cat_dwarf *dw);

/* Unwind @k (load bias @bias) and resolve it; NULL if unusable. */
const struct cat_backtrace *cat_spawnsites_unwind(struct cat_spawnsites *s,
						  uint64_t bias,
						  const struct cat_rec_probe_stack *k);

/* cat_spawnsites_unwind() as a cat_rebuild_opts.spawn_stack hook */
const struct cat_backtrace *cat_spawnsites_hook(void *s,
						const struct cat_rec_probe_stack *k,
						uint64_t bias);

/*
 * The same from machine frames already unwound: @pcs as cat_unwind()
 * gives them (ELF vaddrs, pcs[0] the probed instruction).
 */
const struct cat_backtrace *cat_spawnsites_resolve(struct cat_spawnsites *s,
						   const uint64_t *pcs,
						   unsigned int npcs);

/* "function (file:line)" of frame @i into @buf. */
const char *cat_bt_frame_str(const struct cat_backtrace *bt, unsigned int i,
			     char *buf, size_t len);

/* Counters for benchmarks. */
struct cat_spawnsites_stats {
	uint64_t lookups;		/* records unwound */
	uint64_t unique;		/* distinct backtraces resolved */
};
const struct cat_spawnsites_stats *
cat_spawnsites_stats(const struct cat_spawnsites *s);

void cat_spawnsites_free(struct cat_spawnsites *s);

#endif /* CAT_SPAWNSITE_H */
