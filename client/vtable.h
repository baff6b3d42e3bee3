/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtable.h - the task functions of a binary found through the runtimes'
 * per-task vtables, facts that do not depend on function names.
 *
 * tokio reaches every task through a tokio::runtime::task::raw::Vtable
 * (poll, dealloc, ... one static per future/scheduler pair), async-task
 * through an async_task::raw::TaskVTable (run, destroy, clone_waker, ...)
 * and a core::task::wake::RawWakerVTable whose clone is that task's
 * clone_waker (wake, wake_by_ref); tokio's wakers all use one static,
 * tokio::runtime::task::waker::WAKER_VTABLE. These statics are data in
 * the binary (.data.rel.ro in a PIE, their fields filled by relocations;
 * .rodata otherwise): every instantiation of the poll function that can
 * ever run is the target of one of them, whether the function is named
 * raw::poll<T,S>, RawTask<F,T,S,M>::run or anything a later version
 * calls it, and whether the compiler inlined everything around it.
 *
 * What DWARF tells: the struct type (by its path) and its members (name,
 * offset, which ones are function pointers, and their function types).
 * What the data tells: every aligned record of that size whose
 * function-pointer members all hold the start of a .symtab function,
 * whose usize members are below 1 MiB (offsets inside a task cell) and
 * whose pointer members point into the binary's data; and, because a
 * trait object's vtable followed by a small one can look like that, the
 * functions pointed at must take the member's parameter types and return
 * its return type (by DWARF type name; a target without a DIE is not
 * held against the record, but at least one must match). Named statics
 * (WAKER_VTABLE) are read at their DW_AT_location. Without DWARF nothing
 * is found here: the profiles fall back to names, and say so.
 */
#ifndef CAT_VTABLE_H
#define CAT_VTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "symbols.h"

/* The function sets found. */
enum cat_vt_set {
	CAT_VT_TOKIO_POLL = 0,		/* Vtable.poll */
	CAT_VT_TOKIO_DEALLOC,		/* Vtable.dealloc */
	CAT_VT_TOKIO_WAKE,		/* WAKER_VTABLE .wake and .wake_by_ref */
	CAT_VT_ATASK_RUN,		/* TaskVTable.run */
	CAT_VT_ATASK_DESTROY,		/* TaskVTable.destroy */
	CAT_VT_ATASK_WAKE,		/* RawWakerVTable .wake/.wake_by_ref
					 * of the task wakers */
	CAT_VT_NSETS
};

/* The vtable types looked for. */
enum cat_vt_kind {
	CAT_VT_KIND_TOKIO = 0,		/* tokio::runtime::task::raw::Vtable */
	CAT_VT_KIND_TOKIO_WAKER,	/* tokio::runtime::task::waker::WAKER_VTABLE */
	CAT_VT_KIND_ATASK,		/* async_task::raw::TaskVTable */
	CAT_VT_KIND_ATASK_WAKER,	/* RawWakerVTable with an async-task clone */
	CAT_VT_NKINDS
};

struct cat_vt_kind_info {
	const char *what;	/* the type or static, as written above */
	int described;		/* DWARF has the type (and the members wanted) */
	uint64_t size;		/* its byte size */
	size_t nfields, nfn;	/* members, function-pointer members */
	size_t records;		/* records found in the data */
	size_t from_vars;	/* of which named by a DWARF variable */
	char missing[128];	/* members wanted but absent, "" if none */
};

struct cat_vtables {
	int dwarf;			/* the binary has DWARF that was read */
	struct cat_vt_kind_info kind[CAT_VT_NKINDS];
	uint64_t *set[CAT_VT_NSETS];	/* function addresses, sorted, unique */
	size_t nset[CAT_VT_NSETS];
};

/*
 * Find the vtables of @st's binary. Returns 0 (also when the binary has
 * no DWARF or no vtable: see ->dwarf and ->kind[]), or CAT_SYM_ERR_NOMEM /
 * CAT_SYM_ERR_OPEN. Free with cat_vtables_free().
 */
int cat_vtables_load(const struct cat_symtab *st, struct cat_vtables *vt);
void cat_vtables_free(struct cat_vtables *vt);

/* Is @addr in set @s? */
int cat_vtables_has(const struct cat_vtables *vt, enum cat_vt_set s, uint64_t addr);

/* "Vtable.poll" etc.: the member(s) set @s comes from. */
const char *cat_vt_set_name(enum cat_vt_set s);
/* The kind set @s comes from. */
enum cat_vt_kind cat_vt_set_kind(enum cat_vt_set s);

#endif /* CAT_VTABLE_H */
