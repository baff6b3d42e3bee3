// SPDX-License-Identifier: GPL-2.0
/*
 * spawnnest.c - the sibling rule for spawns a library makes inside the
 * program's spawn call (see spawnnest.h).
 */
#include <string.h>

#include "rebuild.h"
#include "spawnnest.h"
#include "spawnsite.h"

/* Length of @path's crate directory: up to its last "/src/", or 0. */
static size_t crate_dir(const char *path)
{
	const char *last = NULL;

	for (const char *p = path; (p = strstr(p, "/src/")); p++)
		last = p;
	return last ? (size_t)(last - path) + 5 : 0;
}

unsigned int cat_bt_nested_site(const struct cat_backtrace *bt)
{
	unsigned int end = 0, first = 0;
	const char *own;
	size_t n;

	if (!bt || !bt->nframes || !bt->frames[0].src)
		return 0;
	/* up to the program's frame, or to the first frame without DWARF */
	while (++end < bt->nframes && bt->frames[end].src &&
	       (bt->site < 0 || end < (unsigned int)bt->site))
		;
	own = bt->frames[0].src->file;
	n = crate_dir(own);
	for (unsigned int i = 1; i < end; i++) {
		if (!n || strncmp(bt->frames[i].src->file, own, n))
			return i;
		if (!first)
			first = i;
	}
	return first;
}

int cat_task_site_frame(const struct cat_rb_task *t)
{
	if (!t->spawn_bt)
		return -1;
	if (t->spawn_nested_frame)
		return (int)t->spawn_nested_frame;
	return t->spawn_bt->site;
}

const char *cat_task_spawned_inside(const struct cat_rb_task *t)
{
	return t->spawn_nested_frame ? t->spawn_inside : NULL;
}

void cat_spawn_nest_add(struct cat_spawn_nest *g, uint64_t ptr, uint64_t id,
			const char *site, uint64_t sp,
			cat_spawn_nested_fn fn, void *ctx)
{
	if (!site || !sp) {
		/* nothing to compare with: it ends the group */
		memset(g, 0, sizeof(*g));
		return;
	}
	if (!g->n || !g->site || strcmp(g->site, site)) {
		g->site = site;
		g->top_sp = sp;
		g->n = 0;
	}
	if (sp < g->top_sp) {
		/* deeper than the call's own spawn, which came first */
		fn(ctx, ptr, id);
		return;
	}
	if (sp > g->top_sp) {
		/* the call's own spawn: the earlier, deeper ones were not */
		for (unsigned int i = 0; i < g->n; i++)
			fn(ctx, g->m[i].ptr, g->m[i].id);
		g->n = 0;
		g->top_sp = sp;
	}
	/*
	 * Only members at the top are kept: a deeper one is already
	 * nested. A loop of more spawns than fit keeps the latest.
	 */
	if (g->n == CAT_SPAWN_NEST_MAX) {
		memmove(g->m, g->m + 1, (CAT_SPAWN_NEST_MAX - 1) * sizeof(g->m[0]));
		g->n--;
	}
	g->m[g->n++] = (struct cat_spawn_nest_member){
		.ptr = ptr, .id = id, .sp = sp,
	};
}
