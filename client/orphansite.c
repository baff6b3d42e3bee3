// SPDX-License-Identifier: GPL-2.0
/*
 * orphansite.c - spawn sites whose task probe never came (orphansite.h).
 *
 * A ring of the last CAT_ORPHAN_SITES site probes and a short FIFO of
 * tasks waiting for one to settle. Both are small and scanned in order:
 * orphans are rare (one per inlined spawn), and the scan is what keeps
 * the pairing first in, first out.
 */
#include <string.h>

#include "orphansite.h"

void cat_orphans_init(struct cat_orphans *o)
{
	memset(o, 0, sizeof(*o));
}

struct cat_orphan_site *cat_orphans_get(struct cat_orphans *o, uint64_t seq)
{
	struct cat_orphan_site *s = &o->sites[seq % CAT_ORPHAN_SITES];

	return seq && s->seq == seq ? s : NULL;
}

uint64_t cat_orphans_add(struct cat_orphans *o, uint64_t ns, uint64_t ra,
			 uint32_t tid, bool blocking)
{
	uint64_t seq = ++o->last_seq;

	o->sites[seq % CAT_ORPHAN_SITES] = (struct cat_orphan_site){
		.seq = seq, .ns = ns, .ra = ra, .tid = tid,
		.blocking = blocking,
	};
	return seq;
}

void cat_orphans_used(struct cat_orphans *o, uint64_t seq)
{
	struct cat_orphan_site *s = cat_orphans_get(o, seq);

	if (s)
		s->used = true;
}

/* Can @s still be the spawn of a task that first ran at @ns? */
static bool site_fits(const struct cat_orphan_site *s, uint64_t ns)
{
	return !s->used && s->ns <= ns && ns - s->ns <= CAT_ORPHAN_MAX_AGE;
}

static void drop_wait(struct cat_orphans *o, unsigned int i)
{
	memmove(&o->waits[i], &o->waits[i + 1],
		(o->nwaits - i - 1) * sizeof(o->waits[0]));
	o->nwaits--;
}

void cat_orphans_settle(struct cat_orphans *o, uint64_t seq, uint64_t now,
			cat_orphan_take_fn take, void *ctx)
{
	struct cat_orphan_site *s = cat_orphans_get(o, seq);
	unsigned int i = 0;

	if (!s || s->settled)
		return;
	s->settled = true;
	while (i < o->nwaits && !s->used) {
		struct cat_orphan_wait *w = &o->waits[i];

		if (now - w->ns > CAT_ORPHAN_MAX_AGE) {
			drop_wait(o, i);	/* its site never settled */
			continue;
		}
		if (seq > w->max_seq || !site_fits(s, w->ns)) {
			i++;
			continue;
		}
		/* used first: @take may look at the site's thread */
		s->used = true;
		if (take(ctx, w->ptr, w->id, s)) {
			drop_wait(o, i);
			return;
		}
		s->used = false;
		drop_wait(o, i);	/* that task is gone */
	}
}

/*
 * The oldest kept site up to @last that can be the spawn of a task that
 * first ran at @ns, marked used; with @pending, only a settled one, and
 * *@pending tells whether an unsettled one was passed over.
 */
static struct cat_orphan_site *take_oldest(struct cat_orphans *o,
					   uint64_t last, uint64_t ns,
					   bool *pending)
{
	uint64_t first = last >= CAT_ORPHAN_SITES ?
			 last - CAT_ORPHAN_SITES + 1 : 1;

	for (uint64_t seq = first; seq <= last; seq++) {
		struct cat_orphan_site *s = cat_orphans_get(o, seq);

		if (!s || !site_fits(s, ns))
			continue;
		if (pending && !s->settled) {
			*pending = true;	/* its task probe may still come */
			continue;
		}
		s->used = true;
		return s;
	}
	return NULL;
}

const struct cat_orphan_site *cat_orphans_adopt(struct cat_orphans *o,
						uint64_t ptr, uint64_t id,
						uint64_t now)
{
	bool pending = false;
	struct cat_orphan_site *s = take_oldest(o, o->last_seq, now, &pending);

	if (s || !pending)
		return s;
	if (o->nwaits == CAT_ORPHAN_WAITS) {
		o->dropped_waits++;
		return NULL;
	}
	o->waits[o->nwaits++] = (struct cat_orphan_wait){
		.ptr = ptr, .id = id, .ns = now, .max_seq = o->last_seq,
	};
	return NULL;
}

const struct cat_orphan_site *cat_orphans_forsake(struct cat_orphans *o,
						  uint64_t ptr, uint64_t id)
{
	struct cat_orphan_wait w;
	unsigned int i;

	for (i = 0; i < o->nwaits; i++)
		if (o->waits[i].ptr == ptr && o->waits[i].id == id)
			break;
	if (i == o->nwaits)
		return NULL;
	w = o->waits[i];
	drop_wait(o, i);
	return take_oldest(o, w.max_seq, w.ns, NULL);
}
