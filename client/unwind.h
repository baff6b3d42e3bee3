/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unwind.h - the call chain of a CAT_REC_PROBE_STACK record, offline.
 *
 * cat.ko copies the registers and the top of the user stack at a spawn
 * probe (see cat_abi.h); this unwinds that copy with elfutils' libdwfl
 * and the binary's CFI (.eh_frame, else .debug_frame), as perf does for
 * its DWARF call graphs. Memory reads are served from the stack copy
 * only: a frame whose return address lies outside it ends the chain.
 *
 * One unwinder per binary, for a whole conversion: the Dwfl, its module
 * and the CFI tables are set up once and reused by every record (setting
 * them up per record is what made a first attempt ten times slower).
 * Only the binary itself is reported, so the chain also ends at the
 * first frame in a shared library (libc's thread start, typically):
 * spawn sites are never there.
 */
#ifndef CAT_UNWIND_H
#define CAT_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "cat_abi.h"

#define CAT_UNWIND_MAX_FRAMES	128

struct cat_unwinder;

/* NULL with @err set if @binary cannot be opened as ELF. */
struct cat_unwinder *cat_unwind_open(const char *binary, char *err,
				     size_t errlen);

/*
 * Unwind @k, taken in a process where the binary's load bias (run-time
 * address - ELF vaddr) is @bias. Writes up to @max frame addresses as
 * ELF vaddrs to @pcs: pcs[0] is the probed instruction itself, each
 * later one a return address (the call is at pcs[i] - 1). Returns the
 * number of frames (at least 1: pcs[0]), or -1 if @k is unusable.
 */
int cat_unwind(struct cat_unwinder *u, uint64_t bias,
	       const struct cat_rec_probe_stack *k, uint64_t *pcs,
	       unsigned int max);

/* Counters, for benchmarks: records unwound, frames found in total. */
struct cat_unwind_stats {
	uint64_t records;
	uint64_t frames;
	uint64_t reports;	/* module (re)reports: one per bias */
};
const struct cat_unwind_stats *cat_unwind_stats(const struct cat_unwinder *u);

void cat_unwind_close(struct cat_unwinder *u);

#endif /* CAT_UNWIND_H */
