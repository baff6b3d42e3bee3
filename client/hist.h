/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hist.h - a log-linear histogram of durations in ns, for percentiles of
 * poll and scheduling times (report's per-site table, catctl top).
 *
 * Values below 8 have a bucket each; above, every power of two is split
 * into 8 buckets, so a bucket's width is at most 1/8 of its lower bound.
 * A percentile is the upper bound of the bucket holding its rank (never
 * more than the exact maximum): at most 12.5% above the exact value, and
 * the same number wherever the same samples were added. Count, sum, min
 * and max are exact. Values of 2^40 ns (18 minutes) and more share the
 * last bucket. 1.3 KiB, no allocation: one per task is affordable.
 */
#ifndef CAT_HIST_H
#define CAT_HIST_H

#include <stdint.h>

#define CAT_HIST_SUB_BITS	3
#define CAT_HIST_SUB		(1u << CAT_HIST_SUB_BITS)
#define CAT_HIST_MAX_EXP	40
#define CAT_HIST_BUCKETS	(CAT_HIST_SUB + \
				 (CAT_HIST_MAX_EXP - CAT_HIST_SUB_BITS) * CAT_HIST_SUB)

struct cat_hist {
	uint64_t count, sum, min, max;
	uint32_t b[CAT_HIST_BUCKETS];
};

void cat_hist_add(struct cat_hist *h, uint64_t v);
void cat_hist_merge(struct cat_hist *dst, const struct cat_hist *src);
/* The @pct-th percentile (0 < pct <= 100), 0 if empty. */
uint64_t cat_hist_pct(const struct cat_hist *h, double pct);

/* bucket of @v, and the largest value in bucket @i (for tests) */
unsigned int cat_hist_bucket(uint64_t v);
uint64_t cat_hist_upper(unsigned int i);

#endif /* CAT_HIST_H */
