/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drain.h - reading cat.ko's per-CPU relay buffers through mmap, with the
 * subbuffer protocol of cat_abi.h. Used by catctl start and the selftests.
 */
#ifndef CAT_DRAIN_H
#define CAT_DRAIN_H

#include <stddef.h>
#include <stdint.h>

/* Called with the records of one committed subbuffer, in order. */
typedef int (*cat_drain_fn)(void *ctx, unsigned int cpu, const void *records,
			    size_t len);

struct cat_drain_cpu {
	int fd;				/* -1: no buffer for this CPU */
	uint8_t *map;
	uint64_t consumed;		/* subbuffers given back so far */
};

struct cat_drain {
	unsigned int ncpus;
	size_t subbuf_size;
	size_t n_subbufs;
	struct cat_drain_cpu *cpu;
	uint64_t subbufs;		/* committed subbuffers read */
	uint64_t bytes;			/* record bytes handed out */
};

/*
 * Map every CPU's buffer; 0 or -errno. A CPU that has no buffer yet (it was
 * offline at "start") is looked for again by every cat_drain_once().
 */
int cat_drain_open(struct cat_drain *d, unsigned int ncpus,
		   size_t subbuf_size, size_t n_subbufs);

/*
 * Hand every committed subbuffer to @fn and give it back to the module.
 * Returns the number of subbuffers read, or a negative errno (from the
 * module, or @fn's own negative return, which stops the drain).
 */
long cat_drain_once(struct cat_drain *d, cat_drain_fn fn, void *ctx);

/* Wait up to @timeout_ms for a subbuffer to complete on any CPU. */
int cat_drain_wait(struct cat_drain *d, int timeout_ms);

void cat_drain_close(struct cat_drain *d);

#endif /* CAT_DRAIN_H */
