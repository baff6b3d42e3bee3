// SPDX-License-Identifier: GPL-2.0
/*
 * test_hist - hist.c: bucket bounds, exact extremes, percentiles against
 * a sorted copy of the same samples.
 */
#include <stdlib.h>
#include <string.h>

#include "ksft.h"

#include "hist.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every value lies in its bucket, and buckets are ordered and contiguous. */
TEST(buckets_cover_values_in_order)
{
	static const uint64_t v[] = { 0, 1, 7, 8, 9, 15, 16, 17, 1000, 1023,
				      1024, 123456789, (1ull << 40) - 1 };

	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned int b = cat_hist_bucket(v[i]);

		EXPECT_LE(v[i], cat_hist_upper(b));
		if (b)
			EXPECT_LT(cat_hist_upper(b - 1), v[i]);
	}
	for (unsigned int b = 1; b + 1 < CAT_HIST_BUCKETS; b++) {
		ASSERT_LT(cat_hist_upper(b - 1), cat_hist_upper(b));
		ASSERT_EQ(b, cat_hist_bucket(cat_hist_upper(b)));
		ASSERT_EQ(b, cat_hist_bucket(cat_hist_upper(b - 1) + 1));
	}
	EXPECT_EQ(CAT_HIST_BUCKETS - 1, cat_hist_bucket(1ull << 40));
	EXPECT_EQ(CAT_HIST_BUCKETS - 1, cat_hist_bucket(UINT64_MAX));
}

/*
 * Percentiles: never below the exact nearest-rank value, at most 1/8
 * above it, never above the maximum; min, max, count and sum exact.
 */
TEST(percentiles_within_an_eighth)
{
	enum { N = 5000 };
	uint64_t *v = malloc(N * sizeof(*v)), sum = 0;
	static const double pcts[] = { 1, 50, 90, 99, 99.9, 100 };
	struct cat_hist *h = calloc(1, sizeof(*h));

	ASSERT_NE(NULL, v);
	ASSERT_NE(NULL, h);
	srand(7);
	for (unsigned int i = 0; i < N; i++) {
		/* a spread over six decades, like poll times */
		v[i] = (uint64_t)rand() % 1000 * (1ull << (rand() % 20));
		sum += v[i];
		cat_hist_add(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	EXPECT_EQ(N, h->count);
	EXPECT_EQ(sum, h->sum);
	EXPECT_EQ(v[0], h->min);
	EXPECT_EQ(v[N - 1], h->max);
	for (unsigned int i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		unsigned int rank = (unsigned int)(pcts[i] / 100 * N + 0.999999);
		uint64_t exact = v[rank - 1], got = cat_hist_pct(h, pcts[i]);

		EXPECT_LE(exact, got) TH_LOG("p%g", pcts[i]);
		EXPECT_LE(got, exact + exact / 8) TH_LOG("p%g: %llu vs %llu",
			pcts[i], (unsigned long long)got,
			(unsigned long long)exact);
		EXPECT_LE(got, h->max);
	}
	EXPECT_EQ(v[N - 1], cat_hist_pct(h, 100));
	free(v);
	free(h);
}

TEST(merge_is_adding_both)
{
	struct cat_hist *a = calloc(3, sizeof(*a)), *b = a + 1, *c = a + 2;

	ASSERT_NE(NULL, a);
	EXPECT_EQ(0, cat_hist_pct(a, 50));
	for (uint64_t i = 1; i <= 100; i++) {
		cat_hist_add(i % 2 ? a : b, i * 1000);
		cat_hist_add(c, i * 1000);
	}
	cat_hist_merge(a, b);
	EXPECT_EQ(0, memcmp(a, c, sizeof(*a)));
	EXPECT_EQ(1000, a->min);
	EXPECT_EQ(100000, a->max);
	/* a single sample: every percentile is it */
	memset(b, 0, sizeof(*b));
	cat_hist_add(b, 12345);
	EXPECT_EQ(12345, cat_hist_pct(b, 1));
	EXPECT_EQ(12345, cat_hist_pct(b, 99));
	free(a);
}

TEST_HARNESS_MAIN
