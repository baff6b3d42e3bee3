/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe.h - the probe table: what catctl asks cat.ko to probe in one
 * binary, and what each probe means for the reconstruction.
 *
 * Produced by the symbol lookup (symbols.c + runtime profiles), written
 * into the raw trace file, read back by dump/convert/report.
 */
#ifndef CAT_PROBE_H
#define CAT_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "cat_abi.h"

/* The control grammar's modes (cat_abi.h), as an enum for the client. */
enum cat_probe_mode {
	CAT_PROBE_ENTRY		= CAT_PROBE_MODE_ENTRY,
	CAT_PROBE_RETURN	= CAT_PROBE_MODE_RETURN,
	CAT_PROBE_BOTH		= CAT_PROBE_MODE_BOTH,
	/* flag: entry records carry the caller's return address */
	CAT_PROBE_RET_ADDR	= CAT_PROBE_MODE_RET_ADDR,
	/* flag (with RET_ADDR): entry records are followed by a stack copy */
	CAT_PROBE_STACK		= CAT_PROBE_MODE_STACK,
};

/* What the runtime does in the probed function (its "role"). */
enum cat_probe_role {
	CAT_ROLE_OTHER = 0,
	CAT_ROLE_TASK_POLL,		/* tokio raw::poll, async-std RawTask::run: arg0 = task */
	CAT_ROLE_TASK_DEALLOC,		/* task freed: arg0 = task, address may be reused */
	CAT_ROLE_SPAWN,			/* task spawned: ties a task to its spawn site */
	CAT_ROLE_WAKE,			/* waker wake: arg0 = task being woken */
	CAT_ROLE_BLOCKING_POLL,		/* tokio BlockingTask::poll */
	CAT_ROLE_SPAWN_BLOCKING,	/* tokio spawn_blocking */
	CAT_ROLE_FUTURE_POLL,		/* a nested future's poll: arg0 = self */
	CAT_ROLE_MAX
};

/* Context type of a polled future, as the design defines it. */
enum cat_ctx_type {
	CAT_CTX_NONE = 0,		/* not a future poll */
	CAT_CTX_TASK,			/* the task itself (outermost poll) */
	CAT_CTX_COMPILER,		/* compiler-generated: async fn/block */
	CAT_CTX_USER,			/* user-implemented impl Future::poll */
	CAT_CTX_ANON,			/* anonymous: closure-like, no name */
	CAT_CTX_MAX
};

struct cat_probe {
	uint32_t id;			/* copied into every record of it */
	enum cat_probe_mode mode;
	uint16_t nargs;			/* integer argument registers recorded */
	enum cat_probe_role role;
	enum cat_ctx_type ctx;
	uint64_t vaddr;			/* symbol address in the ELF */
	uint64_t file_offset;		/* what the kernel probes */
	char *symbol;			/* demangled, no hash */
	char *mangled;
	char *why;			/* which profile rule chose it */
};

struct cat_probe_table {
	struct cat_probe *probes;
	size_t n;
	size_t cap;
};

#endif /* CAT_PROBE_H */
