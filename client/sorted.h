/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sorted.h - look-ups in arrays sorted by a uint64_t start address: the
 * symbol table (symbols.c) and the DWARF CU ranges (srcloc.c) both ask
 * "which element starts at or below this address".
 */
#ifndef CAT_SORTED_H
#define CAT_SORTED_H

#include <stddef.h>
#include <stdint.h>

/*
 * Elements of @base (@n of @size bytes, ascending by the uint64_t at
 * @key_off) whose key is <= @key; the last of them, if any, is at the
 * returned value minus one.
 */
static inline size_t cat_sorted_count_le(const void *base, size_t n,
					 size_t size, size_t key_off,
					 uint64_t key)
{
	const unsigned char *b = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint64_t *k = (const void *)(b + mid * size + key_off);

		if (*k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

#endif /* CAT_SORTED_H */
