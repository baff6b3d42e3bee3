// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_rawfile.c - libFuzzer target for the raw trace reader (rawfile.c)
 * and the timeline reconstruction fed from it (rebuild.c).
 *
 * Trace files come from crashed sessions, full disks and other people's
 * machines; rawfile.h promises that cat_trace_open/next/close never crash
 * on any input, and rebuild.h that cat_rebuild_record() "never fails on
 * odd input". This target holds them to it: each input is written to a
 * memfd and opened through /proc/self/fd/N exactly like a file on disk,
 * every record is read (merged order), looked up in the probe table and
 * fed into a rebuild whose sink touches every field it is handed, then
 * the reader is rewound and read again (the two passes must agree), and
 * everything is closed. AddressSanitizer and UBSan turn any out-of-bounds
 * access, use after free, leak or undefined arithmetic into a crash.
 *
 * Build and run: make -C client/tests fuzz FUZZ_SECONDS=60 (see fuzz.mk
 * and Documentation/robustness.rst). Seeds come from gen_trace; crashes
 * found are kept in client/tests/fuzz-crashes/ and replayed by
 * "make -C client/tests fuzz-regress".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rawfile.h"
#include "rebuild.h"

/* Keep the compiler from dropping reads of what the sink is given. */
static volatile uint64_t sink_acc;

static void touch_probe(const struct cat_probe *p)
{
	if (!p)
		return;
	sink_acc += p->id + p->mode + p->nargs + p->role + p->ctx +
		    p->vaddr + p->file_offset;
	sink_acc += strlen(p->symbol ? p->symbol : "") +
		    strlen(p->mangled ? p->mangled : "") +
		    strlen(p->why ? p->why : "");
	sink_acc += strlen(cat_role_name(p->role)) +
		    strlen(cat_ctx_name(p->ctx)) + strlen(cat_mode_name(p->mode));
}

static void touch_task(const struct cat_rb_task *t)
{
	if (!t)
		return;
	sink_acc += t->id + t->ptr + t->first_seen_ns + t->end_ns + t->state +
		    t->spawn_ns + t->spawn_tid + t->spawn_call_vaddr +
		    t->spawner_task + t->spawn_blocking + t->future_vaddr +
		    t->npolls + t->busy_ns + t->offcpu_ns +
		    t->longest_poll_ns + t->nblocking;
}

static void s_thread(void *ctx, const struct cat_rb_thread *t)
{
	sink_acc += t->tid + t->tgid + strlen(t->comm);
}

static void s_task(void *ctx, struct cat_rb_task *t)
{
	touch_task(t);
}

static void s_poll(void *ctx, const struct cat_rb_poll *p)
{
	touch_task(p->task);
	touch_probe(p->probe);
	touch_probe(p->future_probe);
	sink_acc += p->tid + p->tgid + p->cpu + p->seq + p->depth +
		    p->start_ns + p->end_ns + p->offcpu_ns + p->offcpu_vol_ns +
		    p->blocking + p->wake_ns + p->prev_start_ns;
	sink_acc += strlen(cat_poll_result_name(p->result)) +
		    strlen(cat_cut_name(p->cut));
}

static void s_slice(void *ctx, const struct cat_rb_slice *s)
{
	touch_probe(s->probe);
	touch_task(s->task);
	sink_acc += s->tid + s->depth + s->start_ns + s->end_ns + s->self +
		    s->call_vaddr + s->ret[0] + s->ret[1];
	sink_acc += strlen(cat_cut_name(s->cut));
}

static void s_instant(void *ctx, const struct cat_rb_instant *i)
{
	touch_probe(i->probe);
	touch_task(i->task);
	touch_task(i->target);
	sink_acc += i->tid + i->depth + i->time_ns + i->arg0 + i->no_return;
}

static void s_offcpu(void *ctx, const struct cat_rb_offcpu *o)
{
	touch_task(o->task);
	sink_acc += o->tid + o->start_ns + o->end_ns + o->cut;
	sink_acc += strlen(cat_offcpu_name(o->state));
}

static void s_marker(void *ctx, const struct cat_rb_marker *m)
{
	touch_probe(m->probe);
	sink_acc += m->kind + m->time_ns + m->cpu + m->tid + m->count;
}

static const struct cat_rb_sink sink = {
	.thread = s_thread,
	.task_new = s_task,
	.task_spawned = s_task,
	.poll = s_poll,
	.slice = s_slice,
	.instant = s_instant,
	.offcpu = s_offcpu,
	.marker = s_marker,
	.task_end = s_task,
};

/* Every byte of a record the reader hands out must be readable. */
static uint64_t sum_record(const struct cat_rec_header *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t s = 0;

	if ((uintptr_t)h % 8)
		abort();	/* rawfile.h: records are 8-byte aligned */
	if (h->size < sizeof(*h) || h->size % 8)
		abort();	/* ... and their size is checked */
	for (size_t i = 0; i < h->size; i++)
		s = s * 31 + p[i];
	return s;
}

static void touch_info(const struct cat_trace_reader *r)
{
	const struct cat_trace_info *in = cat_trace_info(r);

	sink_acc += strlen(in->binary ? in->binary : "");
	sink_acc += in->build_id_len + in->ncpus + in->tgid + in->start_ns +
		    in->end_ns + in->nchunks + in->record_bytes;
	if (in->build_id_len > CAT_TRACE_BUILD_ID_MAX)
		abort();
	for (uint32_t i = 0; i < in->build_id_len; i++)
		sink_acc += in->build_id[i];
	for (uint32_t c = 0; in->cpu_stats && c < in->ncpus; c++)
		sink_acc += in->cpu_stats[c].records + in->cpu_stats[c].dropped;
	for (size_t i = 0; i < in->probes.n; i++) {
		touch_probe(&in->probes.probes[i]);
		/* the table is sorted by id, and lookups find every entry */
		if (cat_trace_probe(r, in->probes.probes[i].id) == NULL)
			abort();
	}
	for (unsigned int i = 0; i < cat_trace_nwarnings(r); i++)
		sink_acc += strlen(cat_trace_warning(r, i));
}

/* Read every record; feed them to @rb if not NULL. Count and hash. */
static int read_all(struct cat_trace_reader *r, struct cat_rebuild *rb,
		    uint64_t *n, uint64_t *hash, uint64_t *last_ns)
{
	const struct cat_rec_header *h;
	int ret;

	*n = 0;
	*hash = 0;
	while ((ret = cat_trace_next(r, &h)) == 1) {
		(*n)++;
		*hash = *hash * 1000003 + sum_record(h);
		*last_ns = h->time_ns;
		sink_acc += strlen(cat_rec_type_name(h->type));
		if (h->type == CAT_REC_PROBE_ENTRY &&
		    h->size >= sizeof(struct cat_rec_probe_entry))
			touch_probe(cat_trace_probe(r,
				((const struct cat_rec_probe_entry *)h)->probe_id));
		if (rb && cat_rebuild_record(rb, h) == -ENOMEM)
			abort();	/* no allocation should fail here */
	}
	if (ret < 0)
		sink_acc += strlen(cat_trace_error(r));
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cat_trace_reader *r;
	struct cat_rebuild *rb;
	uint64_t n1, n2, h1, h2, last = 0;
	char path[64], err[512];
	int fd, ret1, ret2;

	fd = memfd_create("fuzz.cat", MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	if (size && write(fd, data, size) != (ssize_t)size) {
		perror("write");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	err[0] = '\0';
	r = cat_trace_open(path, err, sizeof(err));
	if (!r) {
		/* an error message, always */
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort();
		close(fd);
		return 0;
	}
	touch_info(r);

	rb = cat_rebuild_new(&cat_trace_info(r)->probes, NULL, &sink);
	if (!rb)
		abort();
	cat_rebuild_add_tgid(rb, cat_trace_info(r)->tgid);
	ret1 = read_all(r, rb, &n1, &h1, &last);
	if (ret1 == 1 || ret1 < -1)
		abort();
	cat_rebuild_finish(rb, cat_trace_info(r)->end_ns > last ?
			   cat_trace_info(r)->end_ns : last);
	sink_acc += cat_rebuild_stats(rb)->records + cat_rebuild_bias(rb);
	cat_rebuild_free(rb);

	/* a second pass (convert and report read twice) sees the same */
	if (cat_trace_rewind(r) == 0) {
		ret2 = read_all(r, NULL, &n2, &h2, &last);
		if (ret2 != ret1 || n2 != n1 || h2 != h1) {
			fprintf(stderr, "rewind: pass 1 %d/%llu records, pass 2 %d/%llu\n",
				ret1, (unsigned long long)n1, ret2,
				(unsigned long long)n2);
			abort();
		}
	}
	touch_info(r);
	cat_trace_close(r);
	close(fd);
	return 0;
}
