// SPDX-License-Identifier: GPL-2.0
/*
 * losses.c - per-CPU record losses of a trace: LOST markers against the
 * trailer's counters (see losses.h for why both are needed).
 *
 * Rules (Documentation/trace-file.rst, "Losses"):
 *  - lost = max(sum of the LOST markers' counts, trailer dropped): the
 *    markers can only under-count (the last drops of a session have no
 *    marker), a trailer of another session could only be wrong, and the
 *    larger of the two is never an invention;
 *  - missing = trailer records - data records read: written by cat.ko
 *    but not in the file (a CPU's buffer that was not drained);
 *  - without a trailer (a truncated trace) only the markers are known.
 * Records of types newer than this reader are skipped by rawfile.c and
 * would count as missing: the trace's ABI version tells (a newer one is
 * warned about when the file is opened).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "losses.h"

int cat_losses_init(struct cat_losses *l, const struct cat_trace_info *in)
{
	memset(l, 0, sizeof(*l));
	l->ncpus = in->ncpus;
	l->cpu = calloc(in->ncpus ? in->ncpus : 1, sizeof(*l->cpu));
	if (!l->cpu)
		return -ENOMEM;
	l->have_trailer = in->has_trailer && in->cpu_stats;
	for (unsigned int i = 0; l->have_trailer && i < l->ncpus; i++) {
		l->cpu[i].dropped = in->cpu_stats[i].dropped;
		l->cpu[i].written = in->cpu_stats[i].records;
	}
	return 0;
}

void cat_losses_finish(struct cat_losses *l)
{
	struct cat_loss_cpu *t = &l->total;

	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < l->ncpus; i++) {
		struct cat_loss_cpu *c = &l->cpu[i];

		c->lost = c->marked > c->dropped ? c->marked : c->dropped;
		c->missing = c->extra = 0;
		if (l->have_trailer && c->written > c->read)
			c->missing = c->written - c->read;
		else if (l->have_trailer)
			c->extra = c->read - c->written;
		t->read += c->read;
		t->markers += c->markers;
		t->marked += c->marked;
		t->dropped += c->dropped;
		t->written += c->written;
		t->lost += c->lost;
		t->missing += c->missing;
		t->extra += c->extra;
	}
}

bool cat_losses_describe(const struct cat_losses *l, unsigned int cpu,
			 char *buf, size_t len)
{
	const struct cat_loss_cpu *c;
	size_t n = 0;

#define ADD(...) do {							\
	int k_ = snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__);	\
	if (k_ > 0)							\
		n += k_;						\
} while (0)
	if (len)
		buf[0] = '\0';
	if (cpu >= l->ncpus)
		return false;
	c = &l->cpu[cpu];
	if (c->lost) {
		ADD("CPU %u: %" PRIu64 " records lost (buffer full)", cpu,
		    c->lost);
		if (l->have_trailer && c->dropped > c->marked)
			ADD(", %" PRIu64 " of them with no LOST marker in the trace (dropped at the end of the session)",
			    c->dropped - c->marked);
		else if (l->have_trailer && c->marked > c->dropped)
			ADD(", %" PRIu64 " more in LOST markers than the trailer counts",
			    c->marked - c->dropped);
	}
	if (c->missing)
		ADD("%sCPU %u: %" PRIu64 " records written by cat.ko are not in the file (%" PRIu64
		    " written, %" PRIu64 " read: the buffer was not drained)",
		    n ? "; " : "", cpu, c->missing, c->written, c->read);
	if (c->extra)
		ADD("%sCPU %u: the file has %" PRIu64 " more records than the trailer says cat.ko wrote (%" PRIu64
		    " written, %" PRIu64 " read)",
		    n ? "; " : "", cpu, c->extra, c->written, c->read);
#undef ADD
	return n > 0;
}

void cat_losses_free(struct cat_losses *l)
{
	free(l->cpu);
	l->cpu = NULL;
	l->ncpus = 0;
}
