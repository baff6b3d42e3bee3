// SPDX-License-Identifier: GPL-2.0
/*
 * test_orphansite - orphansite.c: which site a task without a spawn
 * gets, and when.
 */
#include <string.h>

#include "ksft.h"

#include "orphansite.h"

struct took {
	uint64_t ptr[8], seq[8];
	int n;
	uint64_t refuse;	/* a task that is gone */
};

static bool take(void *ctx, uint64_t ptr, uint64_t id,
		 const struct cat_orphan_site *s)
{
	struct took *t = ctx;

	if (ptr == t->refuse)
		return false;
	t->ptr[t->n] = ptr;
	t->seq[t->n++] = s->seq;
	return true;
}

/* Settled sites go first in, first out; unsettled ones are skipped. */
TEST(settled_sites_in_order)
{
	static struct cat_orphans o;
	struct took t = { 0 };
	uint64_t a, b, c;

	cat_orphans_init(&o);
	a = cat_orphans_add(&o, 100, 0x1000, 1, false);
	b = cat_orphans_add(&o, 110, 0x2000, 2, true);
	c = cat_orphans_add(&o, 120, 0x3000, 3, false);
	cat_orphans_settle(&o, c, 130, take, &t);
	cat_orphans_settle(&o, b, 130, take, &t);
	EXPECT_EQ(0, t.n);			/* nobody was waiting */
	EXPECT_EQ(b, cat_orphans_adopt(&o, 0xa, 1, 140)->seq);
	EXPECT_TRUE(cat_orphans_get(&o, b)->used);
	EXPECT_FALSE(cat_orphans_get(&o, c)->used);
	EXPECT_EQ(c, cat_orphans_adopt(&o, 0xb, 2, 150)->seq);
	/* a is still in flight: the next task waits */
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0xc, 3, 160));
	EXPECT_EQ(1, o.nwaits);
	cat_orphans_used(&o, a);		/* its task probe came */
	cat_orphans_settle(&o, a, 170, take, &t);
	EXPECT_EQ(0, t.n);
	EXPECT_EQ(1, o.nwaits);			/* waits until it expires */
}

/*
 * A waiting task takes only a site that existed when it first ran, the
 * oldest waiting task first; one that is gone passes its turn on.
 */
TEST(waiting_tasks)
{
	static struct cat_orphans o;
	struct took t = { .refuse = 0xb };
	uint64_t a, b;

	cat_orphans_init(&o);
	a = cat_orphans_add(&o, 100, 0x1000, 1, false);
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0xa, 1, 110));
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0xb, 2, 120));
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0xc, 3, 130));
	b = cat_orphans_add(&o, 140, 0x2000, 1, false);
	cat_orphans_settle(&o, b, 150, take, &t);	/* too new for all */
	EXPECT_EQ(0, t.n);
	EXPECT_FALSE(cat_orphans_get(&o, b)->used);
	cat_orphans_settle(&o, a, 160, take, &t);
	ASSERT_EQ(1, t.n);
	EXPECT_EQ(0xa, t.ptr[0]);
	EXPECT_EQ(a, t.seq[0]);
	EXPECT_EQ(2, o.nwaits);
	/* b is settled and unused: the next task gets it at once */
	EXPECT_EQ(b, cat_orphans_adopt(&o, 0xd, 4, 170)->seq);
}

/* Old sites and old waits expire; a full queue is counted. */
TEST(expiry_and_full_queue)
{
	static struct cat_orphans o;
	struct took t = { 0 };
	uint64_t a, late = 200 + CAT_ORPHAN_MAX_AGE + 1;

	cat_orphans_init(&o);
	a = cat_orphans_add(&o, 100, 0x1000, 1, false);
	for (unsigned int i = 0; i < CAT_ORPHAN_WAITS; i++)
		EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0x100 + i, i, 200));
	EXPECT_EQ(0, o.dropped_waits);
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0x999, 99, 200));
	EXPECT_EQ(1, o.dropped_waits);
	cat_orphans_settle(&o, a, late, take, &t);
	EXPECT_EQ(0, t.n);			/* every wait expired */
	EXPECT_EQ(0, o.nwaits);
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0x5, 5, late));
	EXPECT_EQ(0, o.nwaits);			/* nothing to wait for */
	/* the ring keeps the last CAT_ORPHAN_SITES sites */
	for (unsigned int i = 0; i < CAT_ORPHAN_SITES; i++)
		cat_orphans_add(&o, late, 0, 1, false);
	EXPECT_EQ(NULL, cat_orphans_get(&o, a));
	EXPECT_NE(NULL, cat_orphans_get(&o, o.last_seq));
	EXPECT_EQ(NULL, cat_orphans_get(&o, 0));
}

/*
 * A waiting task that ends takes the oldest site that existed when it
 * first ran, settled or not (two spawn_blocking in a loop: the second
 * settles only when the spawning thread next records a probe, long after
 * its task ended); one that never waited, or whose sites were all taken,
 * gets none.
 */
TEST(forsaken_wait)
{
	static struct cat_orphans o;
	struct took t = { 0 };
	uint64_t a, b, c;

	cat_orphans_init(&o);
	a = cat_orphans_add(&o, 100, 0x1000, 1, true);
	b = cat_orphans_add(&o, 110, 0x1000, 1, true);
	cat_orphans_settle(&o, a, 110, take, &t);	/* replaced by b */
	EXPECT_EQ(a, cat_orphans_adopt(&o, 0xa, 1, 120)->seq);
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0xb, 2, 125));
	c = cat_orphans_add(&o, 130, 0x2000, 2, false);	/* too new for 0xb */
	EXPECT_EQ(NULL, cat_orphans_forsake(&o, 0xa, 1));	/* not waiting */
	EXPECT_EQ(b, cat_orphans_forsake(&o, 0xb, 2)->seq);
	EXPECT_TRUE(cat_orphans_get(&o, b)->used);
	EXPECT_FALSE(cat_orphans_get(&o, c)->used);
	EXPECT_EQ(0, o.nwaits);
	EXPECT_EQ(NULL, cat_orphans_forsake(&o, 0xb, 2));	/* once */
	cat_orphans_settle(&o, b, 200, take, &t);
	EXPECT_EQ(0, t.n);				/* already taken */
	/* the only site it could have had went to its own task probe */
	EXPECT_EQ(NULL, cat_orphans_adopt(&o, 0xc, 3, 140));
	cat_orphans_used(&o, c);
	EXPECT_EQ(NULL, cat_orphans_forsake(&o, 0xc, 3));
	EXPECT_EQ(0, o.nwaits);
}

TEST_HARNESS_MAIN
