/* SPDX-License-Identifier: GPL-2.0 */
/*
 * orphansite.h - spawn sites whose task probe never came, and the tasks
 * that appear without a spawn.
 *
 * A spawn is normally seen twice: an entry-only "site probe" on the
 * public spawn function (its return address is the program's line) and,
 * further in, a "task probe" that returns the new task. When the task
 * probe is inlined (tokio's pool::spawn_blocking in release builds) the
 * site is left over - an orphan - and a task appears in a poll without
 * a spawn. The two are paired first in, first out: the only evidence
 * left.
 *
 * A site is an orphan only once its thread has moved on: it recorded a
 * probe that is not part of a spawn, or the function around the site
 * returned, or a new site replaced it. Until then the task probe may
 * still come: the thread can be between the site probe and the task
 * probe (microseconds) while another thread polls an unrelated task
 * that has no spawn of its own (tokio's block_in_place hands its worker
 * to such a task). That task must not take the site, so it waits for a
 * site to settle instead - but only for sites that existed when it
 * first ran: a spawn comes before the first poll.
 */
#ifndef CAT_ORPHANSITE_H
#define CAT_ORPHANSITE_H

#include <stdbool.h>
#include <stdint.h>

struct cat_backtrace;

#define CAT_ORPHAN_SITES	256	/* recent site probes kept */
#define CAT_ORPHAN_WAITS	64	/* tasks waiting for a site to settle */
#define CAT_ORPHAN_MAX_AGE	10000000000ull	/* 10 s: older sites expire */

struct cat_orphan_site {
	uint64_t seq;			/* 1, 2, ...; 0: none */
	uint64_t ns;			/* the site probe's time */
	uint64_t ra;			/* its return address (run-time) */
	const struct cat_backtrace *bt;
	uint32_t tid;
	bool blocking;			/* a spawn_blocking site */
	bool used;			/* its task probe came, or adopted */
	bool settled;			/* its thread moved on: an orphan */
};

struct cat_orphans {
	struct cat_orphan_site sites[CAT_ORPHAN_SITES];
	uint64_t last_seq;
	struct cat_orphan_wait {
		uint64_t ptr, id;	/* the task */
		uint64_t ns;		/* its first poll */
		uint64_t max_seq;	/* the last site when it first ran */
	} waits[CAT_ORPHAN_WAITS];
	unsigned int nwaits;
	uint64_t dropped_waits;		/* tasks that found the queue full */
};

/*
 * Hands site @s to task (@ptr, @id); false if that task is gone or got
 * a spawn meanwhile (the site is then offered to the next one).
 */
typedef bool (*cat_orphan_take_fn)(void *ctx, uint64_t ptr, uint64_t id,
				   const struct cat_orphan_site *s);

void cat_orphans_init(struct cat_orphans *o);

/* A site probe at @ns on @tid: its seq. */
uint64_t cat_orphans_add(struct cat_orphans *o, uint64_t ns, uint64_t ra,
			 uint32_t tid, bool blocking);

/* The site's record, NULL if it is no longer kept. */
struct cat_orphan_site *cat_orphans_get(struct cat_orphans *o, uint64_t seq);

/* Its task probe came: it is nobody's orphan. */
void cat_orphans_used(struct cat_orphans *o, uint64_t seq);

/*
 * Its thread moved on: the site is an orphan, offered to the tasks
 * waiting for one (oldest first) through @take.
 */
void cat_orphans_settle(struct cat_orphans *o, uint64_t seq, uint64_t now,
			cat_orphan_take_fn take, void *ctx);

/*
 * Task (@ptr, @id) first ran at @now without a spawn. Returns the
 * oldest settled orphan, marked used, or NULL; when it returns NULL
 * while younger sites are still unsettled, the task waits for them.
 */
const struct cat_orphan_site *cat_orphans_adopt(struct cat_orphans *o,
						uint64_t ptr, uint64_t id,
						uint64_t now);

/*
 * Task (@ptr, @id) ends while it still waits for a site to settle: the
 * oldest site that existed when it first ran and nobody took, settled or
 * not, marked used; NULL if there is none or the task was not waiting.
 * The site's thread may not have moved on yet, but the task will not be
 * there when it does, and a spawnless task that ends inside the few
 * microseconds between a site probe and its task probe is rarer than one
 * whose site settles only when the program ends (spawn_blocking last in
 * a loop, then the thread parks).
 */
const struct cat_orphan_site *cat_orphans_forsake(struct cat_orphans *o,
						  uint64_t ptr, uint64_t id);

#endif /* CAT_ORPHANSITE_H */
