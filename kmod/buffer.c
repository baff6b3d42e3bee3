// SPDX-License-Identifier: GPL-2.0
/*
 * buffer.c - per-CPU relay buffers and the one function that reserves a
 * record in them.
 *
 * Every subbuffer starts with a struct cat_subbuf_header (cat_abi.h) so an
 * mmap reader can tell, without any read() call, which subbuffers are
 * complete and how much of each is padding. The buffers never overwrite:
 * when a CPU's buffer is full its records are dropped and counted, and the
 * next record that fits is preceded by a CAT_REC_LOST saying how many.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/relay.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>

#include "cat.h"

DEFINE_PER_CPU(struct cat_cpu, cat_cpu);

/* Written under cat_mutex; read by the probes, which run only while open. */
static struct rchan *cat_chan;

/*
 * Called by relay with IRQs off on the writing CPU when it moves to a new
 * subbuffer (and once per subbuffer at open/reset with prev_subbuf NULL).
 * It is called again on every write attempt while the buffer is full, with
 * the same prev_subbuf and padding, so finishing prev_subbuf is idempotent.
 */
static int cat_subbuf_start(CAT_SUBBUF_START_ARGS)
{
	struct cat_subbuf_header *hdr;

	if (prev_subbuf) {
		hdr = prev_subbuf;
		hdr->padding = CAT_PREV_PADDING;
		/* records and padding before the reader may see "committed" */
		smp_wmb();
		WRITE_ONCE(hdr->committed, 1);
	}

	if (relay_buf_full(buf))
		return 0;	/* no-overwrite: the caller drops the record */

	hdr = subbuf;
	WRITE_ONCE(hdr->committed, 0);
	/* a reader that sees the new seq must not see the old committed */
	smp_wmb();
	hdr->magic = CAT_SUBBUF_MAGIC;
	hdr->seq = buf->subbufs_produced;
	hdr->padding = 0;
	hdr->cpu = buf->cpu;
	subbuf_start_reserve(buf, sizeof(*hdr));
	return 1;
}

/*
 * The buffer files are created "unsafe" (no debugfs proxy) because the
 * proxy has no mmap; relay's own refcounting keeps a mapped buffer alive
 * after the file is removed, and relay_file_operations belongs to the core
 * kernel, so an open buffer file does not pin this module.
 */
static struct dentry *cat_create_buf_file(const char *filename,
					  struct dentry *parent, umode_t mode,
					  struct rchan_buf *buf, int *is_global)
{
	*is_global = 0;
	return debugfs_create_file_unsafe(filename, 0400, parent, buf,
					  &relay_file_operations);
}

static int cat_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks cat_relay_callbacks = {
	.subbuf_start		= cat_subbuf_start,
	.create_buf_file	= cat_create_buf_file,
	.remove_buf_file	= cat_remove_buf_file,
};

int cat_buffer_open(size_t subbuf_size, size_t n_subbufs)
{
	struct rchan *chan;

	chan = relay_open(CAT_BUFFER_BASE, cat_dir, subbuf_size, n_subbufs,
			  &cat_relay_callbacks, NULL);
	if (!chan)
		return -ENOMEM;
	WRITE_ONCE(cat_chan, chan);
	return 0;
}

bool cat_buffer_is_open(void)
{
	return cat_chan != NULL;
}

void cat_buffer_close(void)
{
	struct rchan *chan = cat_chan;

	WRITE_ONCE(cat_chan, NULL);
	if (chan)
		relay_close(chan);
}

int cat_buffer_consumed(unsigned int cpu, size_t n)
{
	if (!cat_chan)
		return -EINVAL;
	if (cpu >= nr_cpu_ids || !cpu_possible(cpu) ||
	    !*per_cpu_ptr(cat_chan->buf, cpu))
		return -EINVAL;
	if (n < 1 || n > cat_chan->n_subbufs)
		return -EINVAL;
	relay_subbufs_consumed(cat_chan, cpu, n);
	return 0;
}

static void cat_fill_header(struct cat_rec_header *h, u16 type, size_t size,
			    u16 flags)
{
	h->type = type;
	h->size = size;
	h->cpu = smp_processor_id();
	h->flags = flags;
	h->time_ns = ktime_get_mono_fast_ns();
	h->tid = current->pid;
	h->tgid = current->tgid;
}

/*
 * Reserve a record of @size bytes on this CPU and fill in its header; the
 * caller fills in the rest. Must be called with IRQs off (the reservation
 * and the counters are per CPU and not otherwise protected); @c is
 * this_cpu_ptr(&cat_cpu) taken with IRQs already off. Returns NULL and
 * counts a drop when the buffer is full.
 */
/*
 * Write this CPU's pending CAT_REC_LOST marker. IRQs off, @c this CPU's.
 * Returns false if there is no room for it (the marker stays pending).
 */
static bool cat_write_lost(struct rchan *chan, struct cat_cpu *c)
{
	struct cat_rec_lost *lost;

	lost = relay_reserve(chan, sizeof(*lost));
	if (!lost)
		return false;
	cat_fill_header(&lost->h, CAT_REC_LOST, sizeof(*lost), 0);
	lost->count = c->pending_lost;
	c->pending_lost = 0;
	c->stats.lost_markers++;
	c->stats.bytes += sizeof(*lost);
	return true;
}

void *cat_record_begin(struct cat_cpu *c, u16 type, size_t size, u16 flags)
{
	struct rchan *chan = READ_ONCE(cat_chan);
	void *rec;

	lockdep_assert_irqs_disabled();
	if (unlikely(!chan))
		return NULL;

	if (unlikely(c->pending_lost) && !cat_write_lost(chan, c))
		goto drop;

	rec = relay_reserve(chan, size);
	if (!rec)
		goto drop;
	cat_fill_header(rec, type, size, flags);
	c->stats.records++;
	c->stats.bytes += size;
	return rec;

drop:
	c->stats.dropped++;
	c->pending_lost++;
	return NULL;
}

/* IPI callback: IRQs are off and we run on the CPU whose marker it is. */
static void cat_flush_lost_cpu(void *info)
{
	struct cat_cpu *c = this_cpu_ptr(&cat_cpu);

	if (c->pending_lost)
		cat_write_lost(info, c);
}

/*
 * Finish every CPU's current subbuffer. Only with all writers stopped.
 * Drops since a CPU's last record are only counted so far: write their
 * LOST marker first (on that CPU, as relay reservations are per CPU), so
 * the end of a session loses nothing silently. If a CPU's buffer is still
 * full the marker cannot be written; the per-CPU "dropped" counter in the
 * stats (and the trace's trailer) still has the number.
 */
void cat_buffer_flush(void)
{
	int cpu;

	if (!cat_chan)
		return;
	cpus_read_lock();
	for_each_online_cpu(cpu)
		if (READ_ONCE(per_cpu_ptr(&cat_cpu, cpu)->pending_lost))
			smp_call_function_single(cpu, cat_flush_lost_cpu,
						 cat_chan, 1);
	cpus_read_unlock();
	relay_flush(cat_chan);
}

/* Zero every CPU's counters. Only while nothing can write (not running). */
void cat_stats_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&cat_cpu, cpu), 0, sizeof(struct cat_cpu));
}
