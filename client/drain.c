// SPDX-License-Identifier: GPL-2.0
/*
 * drain.c - the mmap reader of cat.ko's relay buffers.
 *
 * The module starts each subbuffer with a struct cat_subbuf_header. The
 * reader's next subbuffer on a CPU is index consumed % n_subbufs; it is
 * ready when its seq equals consumed (it is not an older lap) and then
 * committed reads 1. seq is read before committed: the writer clears
 * committed before it publishes a new seq, so a new seq seen here implies
 * the old committed flag is gone. Both loads are acquire loads, so the
 * records read afterwards are the finished ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cat_abi.h"
#include "drain.h"
#include "session.h"

/*
 * Open and map CPU @i's buffer: 0, -ENOENT when the CPU has none (it was
 * offline when the session started and has not come online since), or
 * another -errno.
 */
static int attach_cpu(struct cat_drain *d, unsigned int i)
{
	struct cat_drain_cpu *c = &d->cpu[i];
	char name[32];
	int err;

	snprintf(name, sizeof(name), "%s%u", CAT_BUFFER_BASE, i);
	c->fd = open(cat_path(name), O_RDONLY | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	/*
	 * Populate now: faulting the ring in later, page by page while the
	 * program runs, would be charged to the trace.
	 */
	c->map = mmap(NULL, d->subbuf_size * d->n_subbufs, PROT_READ,
		      MAP_SHARED | MAP_POPULATE, c->fd, 0);
	if (c->map == MAP_FAILED) {
		err = -errno;
		c->map = NULL;
		close(c->fd);
		c->fd = -1;
		return err;
	}
	return 0;
}

int cat_drain_open(struct cat_drain *d, unsigned int ncpus,
		   size_t subbuf_size, size_t n_subbufs)
{
	unsigned int i, mapped = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	d->cpu = calloc(ncpus, sizeof(*d->cpu));
	if (!d->cpu)
		return -ENOMEM;
	d->ncpus = ncpus;
	d->subbuf_size = subbuf_size;
	d->n_subbufs = n_subbufs;
	for (i = 0; i < ncpus; i++)
		d->cpu[i].fd = -1;

	for (i = 0; i < ncpus; i++) {
		ret = attach_cpu(d, i);
		if (ret == -ENOENT)
			continue;	/* CPU offline: no buffer (yet) */
		if (ret)
			goto err;
		mapped++;
	}
	if (!mapped) {
		ret = -ENOENT;
		goto err;
	}
	return 0;
err:
	cat_drain_close(d);
	return ret;
}

static const struct cat_subbuf_header *ready(struct cat_drain *d,
					     struct cat_drain_cpu *c)
{
	const struct cat_subbuf_header *h;

	h = (const void *)(c->map + (c->consumed % d->n_subbufs) * d->subbuf_size);
	if (__atomic_load_n(&h->seq, __ATOMIC_ACQUIRE) != c->consumed)
		return NULL;
	if (__atomic_load_n(&h->committed, __ATOMIC_ACQUIRE) != 1)
		return NULL;
	return h;
}

long cat_drain_once(struct cat_drain *d, cat_drain_fn fn, void *ctx)
{
	const struct cat_subbuf_header *h;
	unsigned int i;
	long total = 0;
	int ret;

	for (i = 0; i < d->ncpus; i++) {
		struct cat_drain_cpu *c = &d->cpu[i];
		unsigned int n = 0;

		/*
		 * relay creates a buffer (and its file) for a CPU that comes
		 * online after the session started: look for it on every
		 * pass, or that CPU's records would never be read.
		 */
		if (!c->map && attach_cpu(d, i))
			continue;
		while ((h = ready(d, c))) {
			size_t end = d->subbuf_size - h->padding;

			if (h->magic != CAT_SUBBUF_MAGIC || h->padding >
			    d->subbuf_size - sizeof(*h))
				return -EPROTO;
			if (end > sizeof(*h)) {
				ret = fn(ctx, i, (const uint8_t *)h + sizeof(*h),
					 end - sizeof(*h));
				if (ret < 0)
					return ret;
				d->bytes += end - sizeof(*h);
			}
			c->consumed++;
			n++;
			/* give back in batches so the writer never starves */
			if (n == d->n_subbufs / 2 || !ready(d, c)) {
				ret = cat_control("consumed %u %u", i, n);
				if (ret)
					return ret;
				total += n;
				n = 0;
			}
		}
	}
	d->subbufs += total;
	return total;
}

int cat_drain_wait(struct cat_drain *d, int timeout_ms)
{
	struct pollfd *fds = calloc(d->ncpus, sizeof(*fds));
	unsigned int i, n = 0;
	int ret;

	if (!fds)
		return -ENOMEM;
	for (i = 0; i < d->ncpus; i++) {
		if (d->cpu[i].fd < 0)
			continue;
		fds[n].fd = d->cpu[i].fd;
		fds[n].events = POLLIN;
		n++;
	}
	ret = poll(fds, n, timeout_ms);
	free(fds);
	return ret < 0 ? -errno : ret;
}

void cat_drain_close(struct cat_drain *d)
{
	unsigned int i;

	for (i = 0; d->cpu && i < d->ncpus; i++) {
		if (d->cpu[i].map)
			munmap(d->cpu[i].map, d->subbuf_size * d->n_subbufs);
		if (d->cpu[i].fd >= 0)
			close(d->cpu[i].fd);
	}
	free(d->cpu);
	d->cpu = NULL;
}
