/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profiles.h - runtime profiles: which functions of a tokio or async-std
 * binary cat probes, and what each probe's registers mean.
 *
 * A profile is a list of rules. Facts first: where the binary has DWARF,
 * the task functions (poll, dealloc, wake) are the targets of the
 * runtime's per-task vtables in its data (vtable.h), whatever they are
 * named. Then names: each rule's functions are matched by their
 * normalised path (symname.h: generic arguments stripped, the same for
 * legacy and v0 mangling), e.g. async_task::raw::RawTask::run for
 * RawTask<F,T,S>::run (async-task 4.3) and <RawTask<F, T, S, M>>::run
 * (4.7, v0). Every instantiation of a generic is a probe of its own (same
 * path, different address); nothing is merged. What a rule cannot find
 * (typically: inlined in a release build) is recorded in a struct
 * cat_profile_report, never silently dropped, and every rule with a
 * vtable says how many functions each way found (report detail lines).
 *
 * ========================================================================
 * CONTRACT FOR THE TRACE REBUILDER (what each role's registers mean)
 * ========================================================================
 * Records: see cat_abi.h. "entry" is a struct cat_rec_probe_entry
 * (args[], ret_addr = return address at entry), "return" a
 * struct cat_rec_probe_return (ret[0] = rax, ret[1] = rdx). A "task" is
 * the address of the task's heap cell, header first; it is the same value
 * for all roles of one runtime, and it names one task INSTANCE from its
 * spawn (or first poll) up to its TASK_DEALLOC: the allocator may reuse
 * the address for a later task.
 *
 * CAT_ROLE_TASK_POLL (ctx TASK, mode both, nargs 1)
 *	entry args[0] = task. The return marks the end of that poll.
 *	tokio: every Vtable.poll target, i.e. tokio::runtime::task::raw::
 *	poll<T,S> (a vtable entry, so out of line in release too, as a 5-byte
 *	jmp into Harness::poll). async-task (async-std, smol): every
 *	TaskVTable.run target, async_task::raw::RawTask<F,T,S[,M]>::run
 *	(returns bool: rax & 1 = the task was woken while running and was
 *	rescheduled).
 *	The value of tokio's return is meaningless (raw::poll returns ()).
 *	Polls nest only when a task polls another runtime's task (never
 *	within one runtime); a blocking task's poll (tokio spawn_blocking and
 *	each multi_thread worker thread!) lasts as long as the closure runs.
 *
 * CAT_ROLE_TASK_DEALLOC (mode entry, nargs 1)
 *	entry args[0] = task that is finished or freed; the task instance
 *	ends here (a later dealloc of the same address is ignored).
 *	tokio: Harness<T,S>::complete (the future returned Ready or was
 *	cancelled; tokio may free the cell inside Harness::poll without
 *	going through the vtable) and raw::dealloc<T,S> (Vtable.dealloc);
 *	async-task: RawTask::destroy (TaskVTable.destroy).
 *
 * CAT_ROLE_SPAWN and CAT_ROLE_SPAWN_BLOCKING (nargs 0)
 *	Two kinds, told apart by the mode:
 *	- mode ENTRY, "site probe": public spawn functions (tokio::spawn,
 *	  async_std::task::spawn, Builder::spawn, ...) when they are out of
 *	  line (debug builds). Only entry ret_addr matters.
 *	- mode BOTH, "task probe": an out-of-line function every spawn goes
 *	  through, in debug and release builds. Where the task is:
 *	  nargs N > 0: entry args[N - 1], the new task passed in (tokio >=
 *	  1.4x OwnedTasks::bind_inner(&self, task, notified), nargs 2,
 *	  returns Option<Notified> only: rax = task or 0 when the runtime is
 *	  closed, rdx = garbage; the task it was given is shut down then).
 *	  nargs 0: on its return, the task is rax, or rdx when rax is 0
 *	  (tokio OwnedTasks::bind returns (JoinHandle, Option<Notified>):
 *	  both are the task when the spawn succeeded; async-executor
 *	  Executor::spawn / spawn_inner / StaticExecutor::spawn return
 *	  Task<T> in rax; async-task runnable::spawn_unchecked returns
 *	  (Runnable, Task) = (task, task), RawTask::allocate the task;
 *	  tokio blocking::pool::spawn_blocking returns the JoinHandle in
 *	  rax). A 0 in both means the spawn failed (runtime shutting down).
 *	  Task probes nest too (debug: bind -> bind_inner, spawn_unchecked ->
 *	  allocate): the first to return ties the task, the others find it
 *	  tied already.
 *	Spawn probes NEST on the spawning thread (debug: tokio::spawn ->
 *	... -> OwnedTasks::bind). The spawn site of the task returned by a
 *	task probe is the ret_addr of the OUTERMOST spawn-role entry still
 *	open on that thread (the task probe's own entry if none is).
 *	Resolve that ret_addr - 1 with DWARF inline scopes and walk outward
 *	past frames whose function belongs to the runtime's crates (tokio::,
 *	async_std::, async_task::, async_executor::, async_global_executor::,
 *	core::, std::, alloc::) to the first frame of the program: in release
 *	builds tokio::spawn is inlined into the caller, and the call to
 *	bind sits inside that inline chain. (The #[track_caller]
 *	&'static Location argument of tokio::spawn is not used: it lives in
 *	no register that survives inlining.)
 *
 * CAT_ROLE_WAKE (mode entry, nargs 1)
 *	entry args[0] = task being woken; the waking thread is the record's
 *	tid, and the waker is the task currently polled on that thread (if
 *	any). tokio: task::waker::wake_by_val / wake_by_ref (the .wake and
 *	.wake_by_ref of the RawWakerVTable static WAKER_VTABLE). async-task:
 *	RawTask::wake / wake_by_ref (the RawWakerVTables whose clone is a
 *	TaskVTable's clone_waker).
 *
 * CAT_ROLE_BLOCKING_POLL (ctx TASK, mode both, nargs 1)
 *	tokio <BlockingTask<T> as Future>::poll: args[0] = self (the
 *	BlockingTask inside the task cell); nested inside a TASK_POLL whose
 *	task it belongs to. Inlined in release builds (then the TASK_POLL of
 *	the blocking task is all there is).
 *
 * CAT_ROLE_FUTURE_POLL (mode both, nargs 2 or 3)
 *	A future's poll(self: Pin<&mut Self>, cx: &mut Context) nested in a
 *	task poll. self = args[nargs - 2], cx = args[nargs - 1]: nargs is 3
 *	when the function returns its Poll<T> in memory (DWARF return type
 *	larger than 16 bytes: args[0] is then the hidden return slot), 2
 *	otherwise. On return, for a Poll<T> returned in registers, rax holds
 *	the discriminant or value (Pending/Ready is type dependent; cat does
 *	not decode it). ctx says what the future is:
 *	- CAT_CTX_COMPILER: the program's async fn / async block bodies
 *	  (symbols crate::path::{{closure}}; DWARF {async_fn#N} /
 *	  {async_block#N});
 *	- CAT_CTX_USER: the program's own impl Future::poll;
 *	- CAT_CTX_ANON: the program's closures that return Poll<T>
 *	  ({closure#N} in DWARF, e.g. the poll_fn closure of tokio::join!);
 *	  closures returning anything else are no futures and are not
 *	  probed (report->n_not_futures counts them);
 *	- CAT_CTX_TASK: the runtime's wrapper future around the task's
 *	  future (async-std SupportTaskLocals<F>::poll).
 *	Without DWARF every {{closure}} counts as COMPILER, with nargs 2.
 *	All of these are inlined into their caller in release builds, so
 *	only the ones that stayed out of line are found there.
 *
 * CAT_ROLE_OTHER (mode both, nargs 6): --probe PATTERN additions.
 * ========================================================================
 */
#ifndef CAT_PROFILES_H
#define CAT_PROFILES_H

#include <stdio.h>

#include "probe.h"
#include "symbols.h"

/* Runtimes, as bits: a binary may link more than one. */
enum cat_runtime {
	CAT_RT_AUTO		= 0,	/* detect from the vtables and symbols */
	CAT_RT_TOKIO		= 1 << 0,
	CAT_RT_ASYNC_STD	= 1 << 1,	/* async-task: async-std, smol */
};

/*
 * Parse "tokio", "async-std" (or "async_std", "smol", "async-task": all
 * run their tasks on async-task), "auto". Returns 0 and sets
 * *@rt, or -1 for an unknown name.
 */
int cat_runtime_parse(const char *s, enum cat_runtime *rt);
/* "tokio", "async-std", "tokio+async-std", "auto" or "none" */
const char *cat_runtime_name(enum cat_runtime rt);

/* Detect the runtimes linked into @st (0: none). */
enum cat_runtime cat_runtime_detect(const struct cat_symtab *st);

enum cat_report_level {
	CAT_REPORT_INFO = 0,	/* found, or absent as expected */
	CAT_REPORT_WARN,	/* absent: the trace will lack something */
};

/* One line per profile rule: what it found, or why it found nothing. */
struct cat_report_item {
	char *rule;		/* short rule name, e.g. "tokio.raw_poll" */
	char *what;		/* the symbol pattern the rule looks for */
	size_t found;		/* probes it produced */
	enum cat_report_level level;
	char *message;		/* NULL when found > 0 */
	int detail;		/* not a rule: a detail about the rule
				 * before it (message always set) */
};

struct cat_profile_report {
	enum cat_runtime runtime;	/* the runtimes actually profiled */
	char *crate;			/* the program's crate, NULL if unknown */
	int has_debuginfo;
	char build_id[129];		/* hex, "" when none */
	struct cat_report_item *items;
	size_t n;
	size_t n_warnings;
	size_t n_probes;		/* probes added to the table */
	size_t n_user_patterns_unmatched;
	size_t n_inlined_bodies;	/* program's async bodies/closures with
					 * no out-of-line copy (DWARF) */
	size_t n_not_futures;		/* program's closures not returning
					 * Poll<T>: not probed */
};

/*
 * Resolve the probes of @binary for @rt (CAT_RT_AUTO: detect) plus the
 * user's @patterns (see cat_pattern_match()), appending them to @out
 * (ids continue from out->n, so several binaries can share one table).
 * @report (may be NULL) is filled in either way and must be released
 * with cat_profile_report_free().
 *
 * Returns 0, or an enum cat_sym_error: NOT_ELF / ELF32 / ARCH / OPEN /
 * NO_SYMBOLS (stripped) / NO_RUNTIME (auto found neither runtime and no
 * pattern matched) / NO_PROBES (nothing at all to probe) / TOO_MANY.
 * @err gets a one-line message naming the binary.
 */
int cat_profile_resolve(const char *binary, enum cat_runtime rt,
			const char *const *patterns, size_t npatterns,
			struct cat_probe_table *out,
			struct cat_profile_report *report,
			char *err, size_t errlen);

/* The same, on an already loaded symbol table. */
int cat_profile_resolve_symtab(const struct cat_symtab *st, enum cat_runtime rt,
			       const char *const *patterns, size_t npatterns,
			       struct cat_probe_table *out,
			       struct cat_profile_report *report,
			       char *err, size_t errlen);

/*
 * Print the report's warnings (level WARN; with @verbose, every rule) to
 * @f, each line starting with @prefix (e.g. "catctl: "). The start
 * command calls this so nothing missing goes unnoticed.
 */
void cat_profile_report_print(const struct cat_profile_report *r, FILE *f,
			      const char *prefix, int verbose);
void cat_profile_report_free(struct cat_profile_report *r);

/* Free every probe of @t and the array; @t itself is left empty. */
void cat_profile_table_free(struct cat_probe_table *t);

/*
 * --probe PATTERN matching: a pattern with any of '*', '?', '[' is a
 * shell glob (fnmatch(3), no flags) over the whole demangled name;
 * otherwise a plain substring of the demangled name. Returns 1 on match.
 */
int cat_pattern_match(const char *pattern, const char *demangled);

/* cat_role_name(), cat_ctx_name(), cat_mode_name(): see rawfile.h */

#endif /* CAT_PROFILES_H */
