// SPDX-License-Identifier: GPL-2.0
/*
 * spawnsite.c - backtraces of spawn calls and the first frame of the
 * program's own code in them (see spawnsite.h for the rule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawnsite.h"
#include "rebuild.h"		/* struct cat_map */

struct cat_spawnsites {
	struct cat_dwarf *dw;
	struct cat_unwinder *uw;
	bool own_uw;
	struct cat_map by_hash;		/* hash of pcs -> struct cat_backtrace */
	struct cat_spawnsites_stats stats;
};

bool cat_src_is_library(const char *path)
{
	static const char *const prefixes[] = {
		"/rustc/",		/* rustc's std, core, alloc (remapped) */
		"/usr/src/rustc-",	/* Debian's rust-src */
		"/usr/include/",	/* C system headers */
		"/rust/deps/",		/* std's own dependencies (rustc >= 1.8x) */
		"/cargo/registry/",	/* the same in official rustup builds */
		"/cargo/git/",
	};
	static const char *const parts[] = {
		"/.cargo/registry/", "/.cargo/git/",
		"/usr/share/cargo/registry/",
		"/vendor/",
		"/.rustup/toolchains/",
		"/lib/rustlib/src/",	/* a sysroot's rust-src */
	};

	if (!path || !*path || !strcmp(path, "??"))
		return true;		/* unknown is nobody's line */
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			return true;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(path, parts[i]))
			return true;
	/* a relative "vendor/..." path (no directory before it) */
	return !strncmp(path, "vendor/", 7);
}

struct cat_spawnsites *cat_spawnsites_new(struct cat_dwarf *dw,
					  struct cat_unwinder *uw)
{
	struct cat_spawnsites *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dw = dw;
	s->uw = uw;
	cat_map_init(&s->by_hash);
	return s;
}

struct cat_spawnsites *cat_spawnsites_open(const char *binary,
					   struct cat_dwarf *dw)
{
	char err[600];
	struct cat_unwinder *uw = cat_unwind_open(binary, err, sizeof(err));
	struct cat_spawnsites *s;

	if (!uw)
		return NULL;
	s = cat_spawnsites_new(dw, uw);
	if (!s) {
		cat_unwind_close(uw);
		return NULL;
	}
	s->own_uw = true;
	return s;
}

const struct cat_backtrace *cat_spawnsites_hook(void *s,
						const struct cat_rec_probe_stack *k,
						uint64_t bias)
{
	return cat_spawnsites_unwind(s, bias, k);
}

static uint64_t hash_pcs(const uint64_t *pcs, unsigned int n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n;

	for (unsigned int i = 0; i < n; i++) {
		h ^= pcs[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h ? h : 1;
}

static struct cat_backtrace *build(struct cat_spawnsites *s,
				   const uint64_t *pcs, unsigned int n)
{
	struct cat_backtrace *bt = calloc(1, sizeof(*bt));
	unsigned int cap = 0;

	if (!bt)
		return NULL;
	bt->pcs = malloc(n * sizeof(*pcs));
	if (!bt->pcs) {
		free(bt);
		return NULL;
	}
	memcpy(bt->pcs, pcs, n * sizeof(*pcs));
	bt->npcs = n;
	bt->site = -1;
	for (unsigned int i = 0; i < n; i++) {
		/* a return address: the call is the instruction before it */
		uint64_t va = i ? pcs[i] - 1 : pcs[i];
		const struct cat_src_loc *l = cat_dwarf_lookup(s->dw, va);
		unsigned int nf = l->nframes ? l->nframes : 1;

		if (bt->nframes + nf > cap) {
			unsigned int ncap = (bt->nframes + nf) * 2;
			struct cat_bt_frame *f = realloc(bt->frames, ncap * sizeof(*f));

			if (!f)
				break;
			bt->frames = f;
			cap = ncap;
		}
		for (unsigned int j = 0; j < nf; j++) {
			struct cat_bt_frame *f = &bt->frames[bt->nframes++];

			f->vaddr = va;
			f->src = l->nframes ? &l->frames[j] : NULL;
			f->physical = i;
			f->inlined = j + 1 < nf;
			f->program = f->src && !cat_src_is_library(f->src->file);
			if (f->program && bt->site < 0)
				bt->site = bt->nframes - 1;
		}
	}
	if (bt->site >= 0) {
		char buf[600];

		cat_dwarf_frame_where(bt->frames[bt->site].src, buf, sizeof(buf));
		bt->site_where = strdup(buf);
	}
	return bt;
}

const struct cat_backtrace *cat_spawnsites_resolve(struct cat_spawnsites *s,
						   const uint64_t *pcs,
						   unsigned int npcs)
{
	uint64_t h;
	struct cat_backtrace *bt, *first;

	if (!npcs)
		return NULL;
	s->stats.lookups++;
	h = hash_pcs(pcs, npcs);
	first = cat_map_get(&s->by_hash, h);
	for (bt = first; bt; bt = bt->next)
		if (bt->npcs == npcs && !memcmp(bt->pcs, pcs, npcs * sizeof(*pcs)))
			return bt;
	bt = build(s, pcs, npcs);
	if (!bt)
		return NULL;
	s->stats.unique++;
	if (first) {
		bt->next = first->next;
		first->next = bt;
	} else if (cat_map_put(&s->by_hash, h, bt)) {
		free((char *)bt->site_where);
		free(bt->frames);
		free(bt->pcs);
		free(bt);
		return NULL;
	}
	return bt;
}

const struct cat_backtrace *cat_spawnsites_unwind(struct cat_spawnsites *s,
						  uint64_t bias,
						  const struct cat_rec_probe_stack *k)
{
	uint64_t pcs[CAT_UNWIND_MAX_FRAMES];
	int n;

	if (!s->uw)
		return NULL;
	n = cat_unwind(s->uw, bias, k, pcs, CAT_UNWIND_MAX_FRAMES);
	if (n <= 0)
		return NULL;
	return cat_spawnsites_resolve(s, pcs, n);
}

const char *cat_bt_frame_str(const struct cat_backtrace *bt, unsigned int i,
			     char *buf, size_t len)
{
	const struct cat_bt_frame *f = &bt->frames[i];
	char where[600];

	if (!f->src) {
		snprintf(buf, len, "%#llx", (unsigned long long)f->vaddr);
		return buf;
	}
	snprintf(buf, len, "%s (%s)", f->src->function,
		 cat_dwarf_frame_where(f->src, where, sizeof(where)));
	return buf;
}

const struct cat_spawnsites_stats *
cat_spawnsites_stats(const struct cat_spawnsites *s)
{
	return &s->stats;
}

static void free_chain(void *p)
{
	struct cat_backtrace *bt = p, *next;

	for (; bt; bt = next) {
		next = bt->next;
		free((char *)bt->site_where);
		free(bt->frames);
		free(bt->pcs);
		free(bt);
	}
}

void cat_spawnsites_free(struct cat_spawnsites *s)
{
	if (!s)
		return;
	cat_map_free(&s->by_hash, free_chain);
	if (s->own_uw)
		cat_unwind_close(s->uw);
	free(s);
}
