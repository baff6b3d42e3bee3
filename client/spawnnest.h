/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawnnest.h - tasks a library spawns inside the program's spawn call.
 *
 * The spawn site rule (spawnsite.h) gives a task the first frame of the
 * program's own code on its spawn's stack. A library can spawn a task of
 * its own while it carries out the program's call: smol 2's first
 * smol::spawn builds the global executor, and that spawns async-process's
 * driver task before it spawns the program's future. Both spawns then
 * share the program's frame, and both would get the program's line,
 * although that line made one task: the one its call returns.
 *
 * The sibling rule tells them apart without knowing any runtime: of the
 * consecutive spawns on one thread whose site is the same program line,
 * the one(s) whose task probe ran highest on the stack (the largest
 * stack pointer) are the call's own - the API the program called,
 * straight down to the spawn function. A spawn made deeper went through
 * library code the others did not (a lazy initialiser, a helper the
 * library runs first): it is "nested". Its site becomes the library
 * frame that made it - in its task probe's own backtrace, the innermost
 * frame outside the spawn function's crate (source tree up to its last
 * "/src/") - and the program's line is kept as where it was spawned
 * inside. Spawns repeated in a loop run at the same depth and are all
 * the call's own.
 *
 * The rule needs backtraces (a "+stack" spawn probe, catctl start's
 * default); without them every spawn keeps the program's line.
 */
#ifndef CAT_SPAWNNEST_H
#define CAT_SPAWNNEST_H

#include <stdint.h>

struct cat_backtrace;

/* spawns of one group that can still turn out nested */
#define CAT_SPAWN_NEST_MAX	16

/* One thread's current group, zero-initialised. */
struct cat_spawn_nest {
	const char *site;	/* the program line (site_where), NULL: none */
	uint64_t top_sp;	/* the highest task probe so far */
	unsigned int n;
	struct cat_spawn_nest_member {
		uint64_t ptr, id;	/* the task, as the caller knows it */
		uint64_t sp;
	} m[CAT_SPAWN_NEST_MAX];
};

/*
 * The site of a nested spawn in the backtrace of its own spawn call @bt:
 * the index of the innermost frame whose source is outside the crate of
 * frame 0 (the spawn function), else frame 1; searched up to the
 * program's frame, or to the first frame without DWARF (an unwind that
 * went astray). 0 if there is none (frame 0 is never a site).
 */
unsigned int cat_bt_nested_site(const struct cat_backtrace *bt);

/* Called for each spawn found nested. */
typedef void (*cat_spawn_nested_fn)(void *ctx, uint64_t ptr, uint64_t id);

/*
 * Task @id (@ptr) was spawned on @g's thread at program line @site (a
 * backtrace's site_where) by a task probe entered with stack pointer
 * @sp: add it to the group (a new group if @site differs) and call @fn
 * for it and for every earlier member it shows to be nested. A NULL
 * @site or a 0 @sp ends the group.
 */
void cat_spawn_nest_add(struct cat_spawn_nest *g, uint64_t ptr, uint64_t id,
			const char *site, uint64_t sp,
			cat_spawn_nested_fn fn, void *ctx);

struct cat_rb_task;

/* The index of @t's site in its spawn backtrace, -1: none. */
int cat_task_site_frame(const struct cat_rb_task *t);

/*
 * For a task a library spawned inside the program's call: that call's
 * "file:line" (the site its backtrace alone would give); else NULL.
 */
const char *cat_task_spawned_inside(const struct cat_rb_task *t);

#endif /* CAT_SPAWNNEST_H */
