// SPDX-License-Identifier: GPL-2.0
/*
 * profiles.c - runtime profiles for tokio 1.x and async-std 1.x (on
 * async-task 4), plus the program's own futures, turned into a probe
 * table. The meaning of every probe's registers is the contract written
 * in profiles.h.
 *
 * Why these functions: they are the ones that stay out of line in debug
 * AND release builds (found by reading real tokio 1.24 / 1.53, async-std
 * 1.12 / 1.13 and smol 2 binaries built with rustc 1.63, 1.95 and 1.97,
 * legacy and v0 names): the task vtable entries (tokio raw::poll /
 * raw::dealloc, async-task RawTask::run / destroy / wake), found through
 * the vtables themselves when there is DWARF (vtable.h) and by name
 * otherwise, the waker vtable (tokio waker::wake_by_*), and on the spawn
 * path tokio's OwnedTasks::bind (bind_inner since bind was split) and
 * async-executor's or async-task's spawn functions. Everything else
 * (tokio::spawn itself, BlockingTask poll, SupportTaskLocals poll, async
 * fn bodies) is out of line in debug builds only; those rules add what
 * they find and the report says what they could not find. Names are
 * compared as normalised paths (symname.h), never as one version's
 * spelling.
 *
 * Nested futures are classified with DWARF when the binary has it: Rust
 * names an async fn body {async_fn#N}, an async block {async_block#N}
 * and a closure {closure#N}, while the legacy symbol mangling calls all
 * three {{closure}}.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "cat_abi.h"
#include "profiles.h"
#include "vtable.h"

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

int cat_runtime_parse(const char *s, enum cat_runtime *rt)
{
	if (!strcmp(s, "auto"))
		*rt = CAT_RT_AUTO;
	else if (!strcmp(s, "tokio"))
		*rt = CAT_RT_TOKIO;
	else if (!strcmp(s, "async-std") || !strcmp(s, "async_std") ||
		 !strcmp(s, "smol") || !strcmp(s, "async-task"))
		*rt = CAT_RT_ASYNC_STD;
	else
		return -1;
	return 0;
}

const char *cat_runtime_name(enum cat_runtime rt)
{
	switch ((int)rt) {
	case CAT_RT_AUTO:			return "auto";
	case CAT_RT_TOKIO:			return "tokio";
	case CAT_RT_ASYNC_STD:			return "async-std";
	case CAT_RT_TOKIO | CAT_RT_ASYNC_STD:	return "tokio+async-std";
	}
	return "none";
}

int cat_pattern_match(const char *pattern, const char *demangled)
{
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, demangled, 0) == 0;
	return strstr(demangled, pattern) != NULL;
}

/* ------------------------------------------------------------------------
 * The rules
 * ------------------------------------------------------------------------ */

struct rule {
	const char *name;
	enum cat_runtime rt;
	const char *const *names;	/* normalised paths (symname.h), NULL-ended */
	enum cat_probe_mode mode;
	uint16_t nargs;
	enum cat_probe_role role;
	enum cat_ctx_type ctx;
	const char *why;
	enum cat_report_level missing_level;
	const char *if_missing;
	/*
	 * Facts first: the vtable field (vtable.h) whose targets are this
	 * rule's functions whatever their names (CAT_VT_NSETS: none).
	 */
	enum cat_vt_set vt;
	/*
	 * Another rule that does this one's job in other versions: when
	 * that one found something, this one missing is only a note.
	 */
	const char *alt;
	const char *if_alt;
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_VT CAT_VT_NSETS

static const struct rule rules[] = {
	/* ---- tokio 1.x ---- */
	{ "tokio.raw_poll", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::task::raw::poll"),
	  CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK,
	  "tokio task poll (task vtable entry): arg0 = task header; one probe per instantiation",
	  CAT_REPORT_WARN, "no task poll entry point: the trace will have no tasks",
	  CAT_VT_TOKIO_POLL, NULL, NULL },
	{ "tokio.raw_dealloc", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::task::raw::dealloc"),
	  CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE,
	  "tokio task freed (task vtable entry): arg0 = task header, a reused address starts a new task",
	  CAT_REPORT_WARN, "task deallocation not found: a reused task address cannot be told from the old task",
	  CAT_VT_TOKIO_DEALLOC, NULL, NULL },
	{ "tokio.complete", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::task::harness::Harness::complete"),
	  CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE,
	  "tokio task finished or cancelled (out of line in debug and release): arg0 = task header; tokio frees such a task inside Harness::poll, not through raw::dealloc, once its JoinHandle is gone",
	  CAT_REPORT_WARN, "Harness::complete not found: tasks that finish look alive until their address is reused",
	  NO_VT, NULL, NULL },
	{ "tokio.bind", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::task::list::OwnedTasks::bind",
		"tokio::runtime::task::list::OwnedTasks::bind_local",
		"tokio::runtime::task::list::LocalOwnedTasks::bind"),
	  CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  "every tokio spawn binds its new task (tokio < 1.4x: out of line in debug and release): return rax (or rdx) = task header; spawn site = outermost spawn entry's ret_addr via inline scopes",
	  CAT_REPORT_WARN, "OwnedTasks::bind not found: tasks cannot be tied to their spawn sites",
	  NO_VT, "tokio.bind_inner",
	  "inlined into the callers (release build of a tokio whose bind is split): bind_inner is the task probe" },
	{ "tokio.bind_inner", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::task::list::OwnedTasks::bind_inner",
		"tokio::runtime::task::list::LocalOwnedTasks::bind_inner"),
	  CAT_PROBE_BOTH, 2, CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  "the non-generic part of tokio's OwnedTasks::bind (out of line in debug and release): entry args[1] = the new task's header (bind_inner(&self, task, notified)); spawn site = outermost spawn entry's ret_addr via inline scopes",
	  CAT_REPORT_WARN, "OwnedTasks::bind_inner not found: tasks cannot be tied to their spawn sites",
	  NO_VT, "tokio.bind",
	  "not in this tokio (bind is not split): bind is the task probe" },
	{ "tokio.spawn_site", CAT_RT_TOKIO,
	  NAMES("tokio::task::spawn::spawn",
		"tokio::task::spawn::spawn_inner",
		"tokio::runtime::handle::Handle::spawn",
		"tokio::runtime::runtime::Runtime::spawn",
		"tokio::task::local::spawn_local",
		"tokio::task::local::LocalSet::spawn_local",
		"tokio::task::builder::Builder::spawn",
		"tokio::task::builder::Builder::spawn_local",
		"tokio::task::join_set::JoinSet::spawn",
		"tokio::task::join_set::JoinSet::spawn_local",
		"tokio::runtime::local_runtime::runtime::LocalRuntime::spawn_local"),
	  CAT_PROBE_ENTRY, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  "public tokio spawn API, out of line: entry ret_addr = spawn call site (outermost spawn entry)",
	  CAT_REPORT_INFO, "inlined into the callers (release build): spawn sites come from the inline scopes at the task probe's return address instead",
	  NO_VT, NULL, NULL },
	{ "tokio.spawn_blocking", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::blocking::pool::spawn_blocking"),
	  CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN_BLOCKING, CAT_CTX_NONE,
	  "tokio blocking task spawned (spawn_blocking and multi_thread worker threads): return rax = task header",
	  CAT_REPORT_INFO, "no spawn_blocking in this program (current_thread runtimes have no worker threads)",
	  NO_VT, NULL, NULL },
	{ "tokio.builder_spawn_blocking", CAT_RT_TOKIO,
	  NAMES("tokio::task::builder::Builder::spawn_blocking"),
	  CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN_BLOCKING, CAT_CTX_NONE,
	  "named blocking task spawned (task::Builder, tokio_unstable; not through pool::spawn_blocking): returns io::Result<JoinHandle>, rax = 0 and rdx = task header when it succeeded",
	  CAT_REPORT_INFO, "no task::Builder::spawn_blocking in this program",
	  NO_VT, NULL, NULL },
	{ "tokio.spawn_blocking_site", CAT_RT_TOKIO,
	  NAMES("tokio::task::blocking::spawn_blocking",
		"tokio::runtime::handle::Handle::spawn_blocking",
		"tokio::runtime::runtime::Runtime::spawn_blocking"),
	  CAT_PROBE_ENTRY, 0, CAT_ROLE_SPAWN_BLOCKING, CAT_CTX_NONE,
	  "public tokio spawn_blocking API, out of line: entry ret_addr = call site (outermost spawn entry)",
	  CAT_REPORT_INFO, "inlined (release build) or unused: the site comes from pool::spawn_blocking's return address",
	  NO_VT, NULL, NULL },
	{ "tokio.blocking_poll", CAT_RT_TOKIO,
	  NAMES("<tokio::runtime::blocking::task::BlockingTask as core::future::future::Future>::poll"),
	  CAT_PROBE_BOTH, 1, CAT_ROLE_BLOCKING_POLL, CAT_CTX_TASK,
	  "tokio blocking task's future poll: arg0 = self; the closure runs inside it",
	  CAT_REPORT_INFO, "inlined into Harness::poll (release build): blocking tasks are seen through their raw::poll only",
	  NO_VT, NULL, NULL },
	{ "tokio.wake", CAT_RT_TOKIO,
	  NAMES("tokio::runtime::task::waker::wake_by_val",
		"tokio::runtime::task::waker::wake_by_ref"),
	  CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE,
	  "tokio waker vtable wake: arg0 = header of the task being woken",
	  CAT_REPORT_WARN, "waker functions not found: who woke whom is unknown",
	  CAT_VT_TOKIO_WAKE, NULL, NULL },

	/* ---- async-task 4.x: async-std 1.x, smol 1 and 2 ---- */
	{ "async_std.run", CAT_RT_ASYNC_STD,
	  NAMES("async_task::raw::RawTask::run"),
	  CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK,
	  "async-task task poll (task vtable entry): arg0 = task; return rax&1 = rescheduled; one probe per instantiation",
	  CAT_REPORT_WARN, "no task run entry point: the trace will have no tasks",
	  CAT_VT_ATASK_RUN, NULL, NULL },
	{ "async_std.destroy", CAT_RT_ASYNC_STD,
	  NAMES("async_task::raw::RawTask::destroy"),
	  CAT_PROBE_ENTRY, 1, CAT_ROLE_TASK_DEALLOC, CAT_CTX_NONE,
	  "async-task task freed (task vtable entry): arg0 = task, a reused address starts a new task",
	  CAT_REPORT_WARN, "task deallocation not found: a reused task address cannot be told from the old task",
	  CAT_VT_ATASK_DESTROY, NULL, NULL },
	{ "async_std.executor_spawn", CAT_RT_ASYNC_STD,
	  NAMES("async_executor::Executor::spawn",
		"async_executor::LocalExecutor::spawn",
		"async_executor::Executor::spawn_inner",
		"async_executor::static_executors::StaticExecutor::spawn",
		"async_executor::static_executors::StaticLocalExecutor::spawn",
		"async_global_executor::executor::spawn",
		"async_global_executor::executor::spawn_local"),
	  CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  "executor spawn returning the task (Task<T>) in rax: async-executor's Executor::spawn (out of line in debug and release up to 1.5), spawn_inner (1.8+), StaticExecutor::spawn, and async-global-executor's spawn (async-std 1.13: the one left out of line in release); spawn site = outermost spawn entry's ret_addr",
	  CAT_REPORT_WARN, "no async-executor spawn function out of line: tasks cannot be tied to their spawn sites",
	  NO_VT, "async_std.task_alloc",
	  "inlined: async-task's own spawn function is the task probe" },
	{ "async_std.task_alloc", CAT_RT_ASYNC_STD,
	  NAMES("async_task::runnable::spawn_unchecked",
		"async_task::runnable::Builder::spawn_unchecked",
		"async_task::raw::RawTask::allocate"),
	  CAT_PROBE_BOTH, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  "every async-task spawn, whatever the executor: spawn_unchecked returns (Runnable, Task) = (task, task) in rax:rdx, RawTask::allocate the task in rax; spawn site = outermost spawn entry's ret_addr",
	  CAT_REPORT_WARN, "async-task's spawn functions not found (inlined): tasks cannot be tied to their spawn sites",
	  NO_VT, "async_std.executor_spawn",
	  "inlined (release build): the executor's spawn is the task probe" },
	{ "async_std.spawn_site", CAT_RT_ASYNC_STD,
	  NAMES("async_std::task::spawn::spawn",
		"async_std::task::spawn_local::spawn_local",
		"async_std::task::builder::Builder::spawn",
		"async_std::task::builder::Builder::local",
		"smol::spawn::spawn"),
	  CAT_PROBE_ENTRY, 0, CAT_ROLE_SPAWN, CAT_CTX_NONE,
	  "async-std/smol spawn API, out of line: entry ret_addr = spawn call site (outermost spawn entry)",
	  CAT_REPORT_INFO, "inlined: spawn sites come from the task probe's return address and its inline scopes",
	  NO_VT, NULL, NULL },
	{ "async_std.task_locals", CAT_RT_ASYNC_STD,
	  NAMES("<async_std::task::builder::SupportTaskLocals as core::future::future::Future>::poll"),
	  CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_TASK,
	  "async-std wrapper future of every task: arg0 = self, arg1 = cx",
	  CAT_REPORT_INFO, "inlined into RawTask::run (release build), or no async-std (smol)",
	  NO_VT, NULL, NULL },
	{ "async_std.wake", CAT_RT_ASYNC_STD,
	  NAMES("async_task::raw::RawTask::wake",
		"async_task::raw::RawTask::wake_by_ref"),
	  CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE,
	  "async-task waker vtable wake: arg0 = task being woken",
	  CAT_REPORT_WARN, "waker functions not found: who woke whom is unknown",
	  CAT_VT_ATASK_WAKE, NULL, NULL },
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

/* ------------------------------------------------------------------------
 * Detection
 * ------------------------------------------------------------------------ */

enum cat_runtime cat_runtime_detect(const struct cat_symtab *st)
{
	unsigned int rt = 0;
	size_t i;

	for (i = 0; i < st->n; i++) {
		const char *n = st->syms[i].path;

		if (!strcmp(n, "tokio::runtime::task::raw::poll"))
			rt |= CAT_RT_TOKIO;
		else if (!strcmp(n, "async_task::raw::RawTask::run"))
			rt |= CAT_RT_ASYNC_STD;
	}
	return (enum cat_runtime)rt;
}

static int starts_with(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static int is_library_crate(const char *c, size_t len)
{
	static const char *const libs[] = {
		"std", "core", "alloc", "tokio", "async_std", "async_task",
		"async_executor", "async_global_executor", "async_io",
		"futures_lite", "futures_core", "mio", "blocking", "polling",
		"proc_macro", "panic_unwind", "addr2line", "gimli", "object",
		"miniz_oxide", "rustc_demangle", "hashbrown", "memchr", NULL,
	};
	size_t i;

	for (i = 0; libs[i]; i++)
		if (strlen(libs[i]) == len && !strncmp(c, libs[i], len))
			return 1;
	return 0;
}

/*
 * The program's own crate: the binary's file name (cargo names the
 * binary after the crate, '-' becoming '_'), if symbols carry that
 * prefix; else the crate of a "crate::main" function.
 */
static char *find_crate(const struct cat_symtab *st)
{
	const char *base = strrchr(st->path, '/');
	char prefix[256];
	size_t i, len;
	char *p;

	base = base ? base + 1 : st->path;
	snprintf(prefix, sizeof(prefix) - 2, "%s", base);
	for (p = prefix; *p; p++)
		if (*p == '-' || *p == '.')
			*p = *p == '-' ? '_' : '\0';
	len = strlen(prefix);
	strcat(prefix, "::");
	for (i = 0; i < st->n && len; i++)
		if (starts_with(st->syms[i].path, prefix))
			return strndup(prefix, len);

	for (i = 0; i < st->n; i++) {
		const char *n = st->syms[i].path;
		const char *sep = strstr(n, "::");

		if (!sep || strcmp(sep, "::main") || sep == n)
			continue;
		if (strpbrk(n, "<> ") || is_library_crate(n, sep - n))
			continue;
		return strndup(n, sep - n);
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * DWARF: what kind of function is each of the program's closures
 * ------------------------------------------------------------------------ */

enum fkind { FK_OTHER = 0, FK_ASYNC_FN, FK_ASYNC_BLOCK, FK_CLOSURE };

struct dw_func {
	uint64_t lowpc;
	enum fkind kind;
	int sret;		/* return value in memory */
	int is_poll;		/* returns core::task::Poll<T> */
};

struct dw_inlined {		/* a body with no out-of-line copy */
	char *name;
	enum fkind kind;
};

struct dw_info {
	int ok;			/* DWARF was read */
	struct dw_func *f;
	size_t nf, capf;
	struct dw_inlined *in;
	size_t nin, capin;
	Dwarf_Off *concrete_origins;	/* abstract DIEs that have a concrete copy */
	size_t nco, capco;
};

static enum fkind name_kind(const char *n)
{
	if (!n)
		return FK_OTHER;
	if (starts_with(n, "{async_fn#"))
		return FK_ASYNC_FN;
	if (starts_with(n, "{async_block#"))
		return FK_ASYNC_BLOCK;
	if (starts_with(n, "{closure#"))
		return FK_CLOSURE;
	return FK_OTHER;
}

static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void *np;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	np = realloc(*p, *cap * sz);
	if (!np)
		return -1;
	*p = np;
	return 0;
}

/*
 * Look at the return type: is it core::task::Poll<T> (then the function
 * is a poll function), and is it returned in memory (larger than two
 * registers, so that a hidden return-slot pointer comes first).
 */
static void ret_type(Dwarf_Die *fn, int *is_poll, int *sret)
{
	Dwarf_Attribute a;
	Dwarf_Die t;
	Dwarf_Word sz;
	const char *n;

	*is_poll = *sret = 0;
	if (!dwarf_attr_integrate(fn, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
		return;
	n = dwarf_diename(&t);
	/*
	 * Before rustc 1.67 (Debian 12 has 1.63) an async body is a
	 * generator: its resume function returns GeneratorState<(), T>
	 * and is called by a GenFuture<T>::poll (generic, so unnamed in
	 * legacy symbols) with the same self and cx, so it is the body's
	 * poll. Only the return value's encoding differs; cat does not
	 * decode it.
	 */
	*is_poll = n && (starts_with(n, "Poll<") || starts_with(n, "GeneratorState<"));
	if (!dwarf_aggregate_size(&t, &sz))
		*sret = sz > 16;
}

static void dw_walk(struct dw_info *dw, Dwarf_Die *parent, char *path, size_t plen,
		    size_t pcap)
{
	Dwarf_Die child;

	if (dwarf_child(parent, &child))
		return;
	do {
		int tag = dwarf_tag(&child);
		const char *name;
		Dwarf_Attribute a;
		Dwarf_Addr lowpc;

		if (tag == DW_TAG_namespace || tag == DW_TAG_structure_type ||
		    tag == DW_TAG_enumeration_type || tag == DW_TAG_union_type) {
			/* impl methods live under their type */
			name = dwarf_diename(&child);
			if (name && plen + strlen(name) + 3 < pcap) {
				size_t nl = plen;

				if (plen) {
					memcpy(path + nl, "::", 2);
					nl += 2;
				}
				strcpy(path + nl, name);
				dw_walk(dw, &child, path, nl + strlen(name), pcap);
				path[plen] = '\0';
			}
			continue;
		}
		if (tag != DW_TAG_subprogram)
			continue;

		/* a concrete out-of-line copy of an inlined function */
		if (dwarf_attr(&child, DW_AT_abstract_origin, &a)) {
			Dwarf_Die o;

			if (dwarf_formref_die(&a, &o) &&
			    !grow((void **)&dw->concrete_origins, &dw->capco, dw->nco,
				  sizeof(Dwarf_Off)))
				dw->concrete_origins[dw->nco++] = dwarf_dieoffset(&o);
		}

		a.code = 0;
		name = NULL;
		if (dwarf_attr_integrate(&child, DW_AT_name, &a))
			name = dwarf_formstring(&a);

		if (dwarf_lowpc(&child, &lowpc) == 0 && lowpc) {
			if (grow((void **)&dw->f, &dw->capf, dw->nf, sizeof(*dw->f)))
				continue;
			dw->f[dw->nf].lowpc = lowpc;
			dw->f[dw->nf].kind = name_kind(name);
			ret_type(&child, &dw->f[dw->nf].is_poll, &dw->f[dw->nf].sret);
			dw->nf++;
		} else if (dwarf_hasattr(&child, DW_AT_inline) &&
			   name_kind(name) != FK_OTHER) {
			/* an abstract instance: remember it, checked below */
			if (grow((void **)&dw->in, &dw->capin, dw->nin, sizeof(*dw->in)))
				continue;
			if (asprintf(&dw->in[dw->nin].name, "%s [die 0x%llx]", path,
				     (unsigned long long)dwarf_dieoffset(&child)) < 0)
				continue;
			dw->in[dw->nin].kind = name_kind(name);
			dw->nin++;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

static int cmp_dwf(const void *a, const void *b)
{
	const struct dw_func *x = a, *y = b;

	return x->lowpc < y->lowpc ? -1 : x->lowpc > y->lowpc;
}

static int cmp_off(const void *a, const void *b)
{
	const Dwarf_Off *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/*
 * Read the subprograms of the program's own compile units (Rust names a
 * CU "<source>/@/<crate>.<hash>-cgu.<n>").
 */
static void dw_load(struct dw_info *dw, const char *path, const char *crate)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	char nspath[1024];
	Dwarf *d;
	int fd;

	memset(dw, 0, sizeof(*dw));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = dwarf_begin(fd, DWARF_C_READ);
	if (!d) {
		close(fd);
		return;
	}
	while (dwarf_get_units(d, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
		Dwarf_Die top;

		/* only the program's top-level namespace, in any CU */
		if (dwarf_child(&cudie, &top))
			continue;
		do {
			const char *n;

			if (dwarf_tag(&top) != DW_TAG_namespace)
				continue;
			n = dwarf_diename(&top);
			if (!n || strcmp(n, crate))
				continue;
			snprintf(nspath, sizeof(nspath), "%s", crate);
			dw_walk(dw, &top, nspath, strlen(nspath), sizeof(nspath));
		} while (dwarf_siblingof(&top, &top) == 0);
	}
	dw->ok = 1;
	/* both arrays stay NULL when empty: qsort/bsearch must not see them */
	if (dw->nf)
		qsort(dw->f, dw->nf, sizeof(*dw->f), cmp_dwf);
	if (dw->nco)
		qsort(dw->concrete_origins, dw->nco, sizeof(Dwarf_Off),
		      cmp_off);

	/*
	 * Keep only the program's own abstract bodies that never got a
	 * concrete copy (the crate's CUs also hold generic code of other
	 * crates, instantiated for the program's types), once per name.
	 */
	{
		size_t i, j, w = 0, clen = strlen(crate);

		for (i = 0; i < dw->nin; i++) {
			char *br = strstr(dw->in[i].name, " [die 0x");
			Dwarf_Off off = strtoull(br + 8, NULL, 16);
			int dup = 0;

			*br = '\0';
			for (j = 0; j < w && !dup; j++)
				dup = dw->in[j].kind == dw->in[i].kind &&
				      !strcmp(dw->in[j].name, dw->in[i].name);
			if (dup || strncmp(dw->in[i].name, crate, clen) ||
			    (dw->in[i].name[clen] && dw->in[i].name[clen] != ':') ||
			    (dw->nco && bsearch(&off, dw->concrete_origins,
						dw->nco, sizeof(Dwarf_Off),
						cmp_off))) {
				free(dw->in[i].name);
				continue;
			}
			dw->in[w++] = dw->in[i];
		}
		dw->nin = w;
	}
	dwarf_end(d);
	close(fd);
}

static const struct dw_func *dw_find(const struct dw_info *dw, uint64_t addr)
{
	struct dw_func key = { .lowpc = addr };

	if (!dw->ok || !dw->nf)
		return NULL;
	return bsearch(&key, dw->f, dw->nf, sizeof(*dw->f), cmp_dwf);
}

static void dw_free(struct dw_info *dw)
{
	size_t i;

	for (i = 0; i < dw->nin; i++)
		free(dw->in[i].name);
	free(dw->in);
	free(dw->f);
	free(dw->concrete_origins);
}

/* ------------------------------------------------------------------------
 * Building the table and the report
 * ------------------------------------------------------------------------ */

struct builder {
	struct cat_probe_table *t;
	size_t first;		/* the table's size when we started */
	int nomem;
};

static int have_vaddr(const struct builder *b, uint64_t vaddr)
{
	size_t i;

	for (i = b->first; i < b->t->n; i++)
		if (b->t->probes[i].vaddr == vaddr)
			return 1;
	return 0;
}

static int add_probe(struct builder *b, const struct cat_sym *s,
		     enum cat_probe_mode mode, uint16_t nargs,
		     enum cat_probe_role role, enum cat_ctx_type ctx,
		     const char *why)
{
	struct cat_probe *p;

	if (have_vaddr(b, s->vaddr))
		return 0;
	if (b->t->n == b->t->cap) {
		size_t cap = b->t->cap ? 2 * b->t->cap : 64;
		struct cat_probe *np = realloc(b->t->probes, cap * sizeof(*np));

		if (!np) {
			b->nomem = 1;
			return 0;
		}
		b->t->probes = np;
		b->t->cap = cap;
	}
	p = &b->t->probes[b->t->n];
	memset(p, 0, sizeof(*p));
	p->id = (uint32_t)b->t->n;
	/*
	 * The spawn site is the return address of a spawn call: only those
	 * probes pay for reading the user stack (rebuild.c uses no other).
	 */
	if (role == CAT_ROLE_SPAWN || role == CAT_ROLE_SPAWN_BLOCKING)
		mode |= CAT_PROBE_RET_ADDR;
	p->mode = mode;
	p->nargs = nargs;
	p->role = role;
	p->ctx = ctx;
	p->vaddr = s->vaddr;
	p->file_offset = s->file_offset;
	p->symbol = strdup(s->name);
	p->mangled = strdup(s->mangled);
	p->why = strdup(why);
	if (!p->symbol || !p->mangled || !p->why) {
		free(p->symbol);
		free(p->mangled);
		free(p->why);
		b->nomem = 1;
		return 0;
	}
	b->t->n++;
	return 1;
}

static void report_add(struct cat_profile_report *r, const char *rule,
		       const char *what, size_t found,
		       enum cat_report_level level, const char *msg)
{
	struct cat_report_item *it, *ni;

	if (!r)
		return;
	ni = realloc(r->items, (r->n + 1) * sizeof(*ni));
	if (!ni)
		return;
	r->items = ni;
	it = &r->items[r->n++];
	it->rule = strdup(rule);
	it->what = strdup(what);
	it->found = found;
	it->level = found ? CAT_REPORT_INFO : level;
	it->message = !found && msg ? strdup(msg) : NULL;
	it->detail = 0;
	if (it->level == CAT_REPORT_WARN)
		r->n_warnings++;
}

static int rule_names(const struct rule *ru, const char *path)
{
	size_t j;

	for (j = 0; ru->names[j]; j++)
		if (!strcmp(path, ru->names[j]))
			return 1;
	return 0;
}

/*
 * The symbol at exactly @addr (merged functions share one address: the
 * one the rule names, if any, else the first), or NULL.
 */
static const struct cat_sym *sym_at(const struct cat_symtab *st, uint64_t addr,
				    const struct rule *ru)
{
	const struct cat_sym *s = cat_symtab_lookup(st, addr), *first;

	if (!s || s->vaddr != addr)
		return NULL;
	while (s > st->syms && s[-1].vaddr == addr)
		s--;
	for (first = s; s < st->syms + st->n && s->vaddr == addr; s++)
		if (rule_names(ru, s->path))
			return s;
	return first;
}

static void apply_rule(struct builder *b, const struct cat_symtab *st,
		       const struct cat_vtables *vt, const struct rule *ru,
		       struct cat_profile_report *r)
{
	char what[1024] = "", why[1024], msg[1024];
	size_t i, j, found = 0, by_vt = 0, named = 0, by_name = 0, other = 0, nosym = 0;
	const char *other_name = NULL;
	int use_vt = 0;
	enum cat_vt_kind k = 0;

	for (j = 0; ru->names[j]; j++) {
		if (j)
			strncat(what, " | ", sizeof(what) - strlen(what) - 1);
		strncat(what, ru->names[j], sizeof(what) - strlen(what) - 1);
	}
	if (ru->vt != NO_VT) {
		k = cat_vt_set_kind(ru->vt);
		use_vt = vt->dwarf && vt->kind[k].described;
	}

	/* facts: every function the runtime's vtables point at */
	if (use_vt) {
		snprintf(why, sizeof(why), "%s [found via %s]", ru->why,
			 cat_vt_set_name(ru->vt));
		for (i = 0; i < vt->nset[ru->vt]; i++) {
			const struct cat_sym *s = sym_at(st, vt->set[ru->vt][i], ru);

			if (!s) {
				nosym++;
				continue;
			}
			if (!add_probe(b, s, ru->mode, ru->nargs, ru->role, ru->ctx, why))
				continue;
			found++;
			by_vt++;
			if (rule_names(ru, s->path)) {
				named++;
			} else {
				other++;
				other_name = s->path;
			}
		}
	}
	/* names: what no vtable points at, or everything without DWARF */
	snprintf(why, sizeof(why), "%s [found by name]", ru->why);
	for (i = 0; i < st->n; i++) {
		if (!rule_names(ru, st->syms[i].path))
			continue;
		if (use_vt && cat_vtables_has(vt, ru->vt, st->syms[i].vaddr))
			continue;
		if (add_probe(b, &st->syms[i], ru->mode, ru->nargs, ru->role, ru->ctx, why)) {
			found++;
			by_name++;
		}
	}
	report_add(r, ru->name, what, found, ru->missing_level, ru->if_missing);
	if (!r || ru->vt == NO_VT || !found)
		return;

	/* how they were found: a detail line after the rule */
	if (use_vt) {
		snprintf(msg, sizeof(msg),
			 "%zu via %s of %zu %s records (DWARF layout, %llu bytes%s): %zu of them also have a name looked for%s%s%s; %zu by name only (no vtable points at them)",
			 by_vt, cat_vt_set_name(ru->vt), vt->kind[k].records,
			 vt->kind[k].what, (unsigned long long)vt->kind[k].size,
			 vt->kind[k].from_vars ? ", a DWARF variable" : ", found in the data",
			 named, other ? ", the others are named otherwise, e.g. " : "",
			 other ? other_name : "", nosym ? " (some targets have no symbol)" : "",
			 by_name);
	} else if (!vt->dwarf) {
		snprintf(msg, sizeof(msg),
			 "%zu by name only: no DWARF, so the %s records cannot be read (a renamed or re-typed function would be missed)",
			 by_name, vt->kind[k].what);
	} else {
		snprintf(msg, sizeof(msg),
			 "%zu by name only: the DWARF does not describe %s%s%s%s",
			 by_name, vt->kind[k].what,
			 vt->kind[k].missing[0] ? " (no member " : "",
			 vt->kind[k].missing, vt->kind[k].missing[0] ? ")" : "");
	}
	report_add(r, ru->name, what, 0, CAT_REPORT_INFO, msg);
	r->items[r->n - 1].detail = 1;
	r->items[r->n - 1].found = 0;
}

/* A rule whose alternative found something is missing only as a note. */
static void apply_alts(struct cat_profile_report *r)
{
	size_t i, j, k;

	for (i = 0; r && i < r->n; i++) {
		struct cat_report_item *it = &r->items[i];

		if (it->found || it->detail || it->level != CAT_REPORT_WARN)
			continue;
		for (k = 0; k < N_RULES; k++) {
			if (strcmp(rules[k].name, it->rule) || !rules[k].alt)
				continue;
			for (j = 0; j < r->n; j++)
				if (!strcmp(r->items[j].rule, rules[k].alt) &&
				    r->items[j].found) {
					it->level = CAT_REPORT_INFO;
					free(it->message);
					it->message = strdup(rules[k].if_alt);
					r->n_warnings--;
					break;
				}
		}
	}
}

/* a closure or async body: normalised "crate::a::b::{closure}" (symname.h) */
static int is_closure_name(const char *path)
{
	size_t len = strlen(path);

	return len > 11 && !strcmp(path + len - 11, "::{closure}");
}

static void apply_user_rules(struct builder *b, const struct cat_symtab *st,
			     const char *crate, const struct dw_info *dw,
			     struct cat_profile_report *r)
{
	size_t i, n_async = 0, n_anon = 0, n_user = 0, n_not_future = 0;
	char prefix[300], uprefix[300], what[700], msg[2048];
	static const char fut_poll[] = " as core::future::future::Future>::poll";

	snprintf(prefix, sizeof(prefix), "%s::", crate);
	snprintf(uprefix, sizeof(uprefix), "<%s::", crate);

	for (i = 0; i < st->n; i++) {
		const struct cat_sym *s = &st->syms[i];
		const struct dw_func *f = dw_find(dw, s->vaddr);
		size_t len = strlen(s->path);
		uint16_t nargs = f && f->sret ? 3 : 2;

		if (starts_with(s->path, prefix) && is_closure_name(s->path)) {
			enum cat_ctx_type ctx = CAT_CTX_COMPILER;
			const char *why;

			/*
			 * A closure that does not return Poll<T> is no future
			 * (an iterator adapter, a spawn_blocking body, ...):
			 * probing it would fake a nested future poll.
			 */
			if (f && !f->is_poll) {
				n_not_future++;
				continue;
			}

			if (!f || f->kind == FK_ASYNC_FN || f->kind == FK_OTHER)
				why = f ? "program's async fn body (DWARF {async_fn#N}): arg0 = self (Pin<&mut env>), arg1 = cx"
					: "program's async fn/block body or closure (no DWARF): self = args[nargs-2], cx = args[nargs-1]";
			else if (f->kind == FK_ASYNC_BLOCK)
				why = "program's async block body (DWARF {async_block#N}): self = args[nargs-2], cx = args[nargs-1]";
			else {
				ctx = CAT_CTX_ANON;
				why = "program's closure (DWARF {closure#N}), e.g. a poll_fn body: self = args[nargs-2], cx = args[nargs-1]";
			}
			if (nargs == 3)
				why = ctx == CAT_CTX_ANON ?
				      "program's closure returning in memory: arg0 = return slot, arg1 = self, arg2 = cx" :
				      "program's async body returning Poll<T> in memory: arg0 = return slot, arg1 = self, arg2 = cx";
			if (add_probe(b, s, CAT_PROBE_BOTH, nargs, CAT_ROLE_FUTURE_POLL, ctx, why)) {
				if (ctx == CAT_CTX_ANON)
					n_anon++;
				else
					n_async++;
			}
		} else if (starts_with(s->path, uprefix) && len > sizeof(fut_poll) &&
			   !strcmp(s->path + len - (sizeof(fut_poll) - 1), fut_poll)) {
			n_user += add_probe(b, s, CAT_PROBE_BOTH, nargs,
					    CAT_ROLE_FUTURE_POLL, CAT_CTX_USER,
					    nargs == 3 ?
					    "program's impl Future::poll returning in memory: arg0 = return slot, arg1 = self, arg2 = cx" :
					    "program's impl Future::poll: arg0 = self, arg1 = cx");
		}
	}

	/* Which bodies could not be probed at all: inlined everywhere. */
	msg[0] = '\0';
	if (r)
		r->n_inlined_bodies = dw->nin;
	if (dw->ok && dw->nin) {
		size_t k, shown = 0;

		snprintf(msg, sizeof(msg), "%zu async fn/block bodies or closures of %s are inlined everywhere (not probeable):",
			 dw->nin, crate);
		for (k = 0; k < dw->nin && shown < 12; k++, shown++) {
			size_t l = strlen(msg);

			snprintf(msg + l, sizeof(msg) - l, " %s::%s", dw->in[k].name,
				 dw->in[k].kind == FK_ASYNC_FN ? "{async_fn}" :
				 dw->in[k].kind == FK_ASYNC_BLOCK ? "{async_block}" : "{closure}");
		}
		if (shown < dw->nin) {
			size_t l = strlen(msg);

			snprintf(msg + l, sizeof(msg) - l, " ... (%zu more)", dw->nin - shown);
		}
	}

	snprintf(what, sizeof(what), "%s::...::{{closure}} (async fn / async block)", crate);
	report_add(r, "user.async_bodies", what, n_async, CAT_REPORT_WARN,
		   "no out-of-line async fn/block body of the program (inlined in release builds): nested futures are not traced");
	if (r && n_async && msg[0]) {
		/* found some, but not all: say which ones are missing */
		report_add(r, "user.async_inlined", what, 0, CAT_REPORT_WARN, msg);
		r->items[r->n - 1].detail = 1;
	} else if (r && !n_async && msg[0]) {
		free(r->items[r->n - 1].message);
		r->items[r->n - 1].message = strdup(msg);
	}
	snprintf(what, sizeof(what), "%s::...::{{closure}} (plain closures, DWARF {closure#N})", crate);
	report_add(r, "user.closures", what, n_anon, CAT_REPORT_INFO,
		   dw->ok ? "no out-of-line closure of the program returns Poll<T> (no poll_fn-style anonymous future)" :
		   "no DWARF: closures cannot be told from async bodies (all counted as async bodies)");
	if (r && n_not_future) {
		snprintf(what, sizeof(what), "%s::...::{{closure}} not returning Poll<T>", crate);
		snprintf(msg, sizeof(msg), "%zu out-of-line closures of %s are not futures (they do not return Poll<T>): not probed",
			 n_not_future, crate);
		report_add(r, "user.non_futures", what, 0, CAT_REPORT_INFO, msg);
		r->items[r->n - 1].detail = 1;
		r->n_not_futures = n_not_future;
	}
	snprintf(what, sizeof(what), "<%s::... as core::future::future::Future>::poll", crate);
	report_add(r, "user.future_poll", what, n_user, CAT_REPORT_INFO,
		   "no out-of-line impl Future of the program (none written, or inlined in release builds)");
}

static void apply_patterns(struct builder *b, const struct cat_symtab *st,
			   const char *const *patterns, size_t npatterns,
			   struct cat_profile_report *r)
{
	size_t i, j;

	for (j = 0; j < npatterns; j++) {
		char why[512], rule[32];
		size_t found = 0;

		snprintf(why, sizeof(why), "--probe '%s' (%s): args = first 6 integer registers",
			 patterns[j], strpbrk(patterns[j], "*?[") ? "glob" : "substring");
		for (i = 0; i < st->n; i++)
			if (cat_pattern_match(patterns[j], st->syms[i].name))
				found += add_probe(b, &st->syms[i], CAT_PROBE_BOTH, 6,
						   CAT_ROLE_OTHER, CAT_CTX_NONE, why);
		snprintf(rule, sizeof(rule), "pattern.%zu", j + 1);
		report_add(r, rule, patterns[j], found, CAT_REPORT_WARN,
			   "--probe pattern matched no function (or only functions already probed)");
		if (!found && r)
			r->n_user_patterns_unmatched++;
	}
}

int cat_profile_resolve_symtab(const struct cat_symtab *st, enum cat_runtime rt,
			       const char *const *patterns, size_t npatterns,
			       struct cat_probe_table *out,
			       struct cat_profile_report *report,
			       char *err, size_t errlen)
{
	struct builder b = { .t = out, .first = out->n };
	struct cat_profile_report dummy;
	struct dw_info dw;
	struct cat_vtables vt;
	enum cat_runtime found = cat_runtime_detect(st);
	size_t i;
	char *crate, errtmp[1];

	if (!err) {
		err = errtmp;
		errlen = sizeof(errtmp);
	}
	if (!report)
		report = &dummy;
	memset(report, 0, sizeof(*report));
	snprintf(report->build_id, sizeof(report->build_id), "%s", st->build_id_hex);
	report->has_debuginfo = st->has_debuginfo;
	if (cat_vtables_load(st, &vt)) {
		snprintf(err, errlen, "%s: %s", st->path, cat_sym_strerror(CAT_SYM_ERR_NOMEM));
		if (report == &dummy)
			cat_profile_report_free(report);
		return CAT_SYM_ERR_NOMEM;
	}
	/* the vtables are facts: a runtime is there when its vtables are */
	if (vt.kind[CAT_VT_KIND_TOKIO].records)
		found |= CAT_RT_TOKIO;
	if (vt.kind[CAT_VT_KIND_ATASK].records)
		found |= CAT_RT_ASYNC_STD;

	if (rt == CAT_RT_AUTO) {
		rt = found;
		if (!rt && !npatterns) {
			snprintf(err, errlen, "%s: %s (looked for tokio::runtime::task::raw::Vtable and async_task::raw::TaskVTable records%s, and functions named tokio::runtime::task::raw::poll and async_task::raw::RawTask::run); use --probe PATTERN for other programs",
				 st->path, cat_sym_strerror(CAT_SYM_ERR_NO_RUNTIME),
				 vt.dwarf ? "" : " (no DWARF: not readable)");
			cat_vtables_free(&vt);
			if (report == &dummy)
				cat_profile_report_free(report);
			return CAT_SYM_ERR_NO_RUNTIME;
		}
	} else if (!(found & rt)) {
		/* asked for a runtime that is not there: say so, go on */
		report_add(report, "runtime", cat_runtime_name(rt), 0, CAT_REPORT_WARN,
			   found ? "the requested runtime is not linked into this binary (auto-detection found another one)"
				 : "the requested runtime is not linked into this binary");
	}
	report->runtime = rt;

	for (i = 0; i < N_RULES; i++)
		if (rules[i].rt & rt)
			apply_rule(&b, st, &vt, &rules[i], report);
	apply_alts(report);
	cat_vtables_free(&vt);

	crate = find_crate(st);
	report->crate = crate;
	if (crate) {
		if (st->has_debuginfo)
			dw_load(&dw, st->path, crate);
		else
			memset(&dw, 0, sizeof(dw));
		apply_user_rules(&b, st, crate, &dw, report);
		dw_free(&dw);
	} else if (rt) {
		report_add(report, "user.crate", "the program's crate", 0, CAT_REPORT_WARN,
			   "cannot tell the program's crate (no <binary name>:: or <crate>::main symbol): its own futures are not probed");
	}

	apply_patterns(&b, st, patterns, npatterns, report);
	report->n_probes = out->n - b.first;

	if (b.nomem) {
		snprintf(err, errlen, "%s: %s", st->path, cat_sym_strerror(CAT_SYM_ERR_NOMEM));
		goto fail;
	}
	if (out->n > CAT_MAX_PROBES) {
		snprintf(err, errlen, "%s: %zu probes, more than cat.ko's limit of %d: narrow the --probe patterns",
			 st->path, out->n, CAT_MAX_PROBES);
		if (report == &dummy)
			cat_profile_report_free(report);
		return CAT_SYM_ERR_TOO_MANY;
	}
	if (!report->n_probes) {
		snprintf(err, errlen, "%s: %s", st->path, cat_sym_strerror(CAT_SYM_ERR_NO_PROBES));
		if (report == &dummy)
			cat_profile_report_free(report);
		return CAT_SYM_ERR_NO_PROBES;
	}
	if (report == &dummy)
		cat_profile_report_free(report);
	return 0;

fail:
	if (report == &dummy)
		cat_profile_report_free(report);
	return CAT_SYM_ERR_NOMEM;
}

int cat_profile_resolve(const char *binary, enum cat_runtime rt,
			const char *const *patterns, size_t npatterns,
			struct cat_probe_table *out,
			struct cat_profile_report *report,
			char *err, size_t errlen)
{
	struct cat_symtab *st;
	int ret;

	if (report)
		memset(report, 0, sizeof(*report));
	ret = cat_symtab_load(binary, &st, err, errlen);
	if (ret)
		return ret;
	ret = cat_profile_resolve_symtab(st, rt, patterns, npatterns, out,
					 report, err, errlen);
	cat_symtab_free(st);
	return ret;
}

void cat_profile_report_print(const struct cat_profile_report *r, FILE *f,
			      const char *prefix, int verbose)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct cat_report_item *it = &r->items[i];

		if (!verbose && it->level != CAT_REPORT_WARN)
			continue;
		if (it->found)
			fprintf(f, "%s%-26s found %zu: %s\n", prefix, it->rule,
				it->found, it->what);
		else if (it->detail)
			fprintf(f, "%s%s %s: %s\n", prefix,
				it->level == CAT_REPORT_WARN ? "warning:" : "note:",
				it->rule, it->message ? it->message : "");
		else
			fprintf(f, "%s%s %-22s NOT FOUND: %s\n%s    (looked for: %s)\n",
				prefix,
				it->level == CAT_REPORT_WARN ? "warning:" : "note:",
				it->rule, it->message ? it->message : "", prefix, it->what);
	}
}

void cat_profile_report_free(struct cat_profile_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->items[i].rule);
		free(r->items[i].what);
		free(r->items[i].message);
	}
	free(r->items);
	free(r->crate);
	memset(r, 0, sizeof(*r));
}

void cat_profile_table_free(struct cat_probe_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->probes[i].symbol);
		free(t->probes[i].mangled);
		free(t->probes[i].why);
	}
	free(t->probes);
	t->probes = NULL;
	t->n = t->cap = 0;
}
