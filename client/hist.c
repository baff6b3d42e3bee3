// SPDX-License-Identifier: GPL-2.0
/*
 * hist.c - log-linear duration histograms (see hist.h).
 */
#include <string.h>

#include "hist.h"

unsigned int cat_hist_bucket(uint64_t v)
{
	unsigned int e;

	if (v < CAT_HIST_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);
	if (e >= CAT_HIST_MAX_EXP)
		return CAT_HIST_BUCKETS - 1;
	return CAT_HIST_SUB + (e - CAT_HIST_SUB_BITS) * CAT_HIST_SUB +
	       (unsigned int)((v >> (e - CAT_HIST_SUB_BITS)) & (CAT_HIST_SUB - 1));
}

uint64_t cat_hist_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i < CAT_HIST_SUB)
		return i;
	if (i >= CAT_HIST_BUCKETS - 1)
		return UINT64_MAX;
	e = (i - CAT_HIST_SUB) / CAT_HIST_SUB + CAT_HIST_SUB_BITS;
	sub = (i - CAT_HIST_SUB) % CAT_HIST_SUB;
	return ((uint64_t)(CAT_HIST_SUB + sub + 1) << (e - CAT_HIST_SUB_BITS)) - 1;
}

void cat_hist_add(struct cat_hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->b[cat_hist_bucket(v)]++;
}

void cat_hist_merge(struct cat_hist *dst, const struct cat_hist *src)
{
	if (!src->count)
		return;
	if (!dst->count || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (unsigned int i = 0; i < CAT_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t cat_hist_pct(const struct cat_hist *h, double pct)
{
	double want;
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	/* the nearest-rank definition: the smallest value with >= pct% at or below */
	want = pct / 100.0 * (double)h->count;
	rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;		/* ceil, without libm */
	if (rank < 1)
		rank = 1;
	for (unsigned int i = 0; i < CAT_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t up = cat_hist_upper(i);

			if (up > h->max)
				up = h->max;
			return up < h->min ? h->min : up;
		}
	}
	return h->max;
}
