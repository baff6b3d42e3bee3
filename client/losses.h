/* SPDX-License-Identifier: GPL-2.0 */
/*
 * losses.h - how many records a trace lost, per CPU, from every source
 * that can tell: the LOST markers among the records, and the trailer's
 * per-CPU counters that cat.ko kept (Documentation/trace-file.rst).
 *
 * Why both: a LOST marker is only written before the next record a CPU
 * manages to write, so drops at the very end of a session have none,
 * while the trailer's "dropped" counts every drop. The trailer's
 * "records" counts what the module wrote; fewer records in the file means
 * some never reached it (a buffer that was not drained). report and
 * convert both count through here, so they always agree.
 */
#ifndef CAT_LOSSES_H
#define CAT_LOSSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cat_abi.h"
#include "rawfile.h"

struct cat_loss_cpu {
	uint64_t read;		/* data records read (LOST markers apart) */
	uint64_t markers;	/* LOST markers read */
	uint64_t marked;	/* the sum of their counts */
	uint64_t dropped;	/* trailer: records dropped (0: no trailer) */
	uint64_t written;	/* trailer: records written by the module */
	uint64_t lost;		/* max(marked, dropped) */
	uint64_t missing;	/* written - read, when the file has fewer */
	uint64_t extra;		/* read - written, when it has more */
};

struct cat_losses {
	unsigned int ncpus;
	bool have_trailer;	/* else dropped/written are unknown */
	struct cat_loss_cpu *cpu;	/* ncpus entries */
	struct cat_loss_cpu total;	/* sums over the CPUs */
};

/* Start counting for the trace @in. 0 or -ENOMEM. */
int cat_losses_init(struct cat_losses *l, const struct cat_trace_info *in);

/* Count record @h, read from CPU @cpu's chunk (cat_trace_cpu()). */
static inline void cat_losses_record(struct cat_losses *l, unsigned int cpu,
				     const struct cat_rec_header *h)
{
	struct cat_loss_cpu *c;

	if (cpu >= l->ncpus)
		return;
	c = &l->cpu[cpu];
	if (h->type == CAT_REC_LOST && h->size >= sizeof(struct cat_rec_lost)) {
		c->markers++;
		c->marked += ((const struct cat_rec_lost *)h)->count;
	} else {
		c->read++;
	}
}

/* After the last record: fills in lost, missing, extra and the total. */
void cat_losses_finish(struct cat_losses *l);

/*
 * What went wrong on CPU @cpu, as one sentence for people (no newline)
 * in @buf; returns false (and leaves @buf empty) when nothing did.
 */
bool cat_losses_describe(const struct cat_losses *l, unsigned int cpu,
			 char *buf, size_t len);

void cat_losses_free(struct cat_losses *l);

#endif /* CAT_LOSSES_H */
