// SPDX-License-Identifier: GPL-2.0
/*
 * unwind.c - unwind a CAT_REC_PROBE_STACK copy with libdwfl (unwind.h).
 *
 * libdwfl's unwinder works on a "process state" whose memory and initial
 * registers come from callbacks (Dwfl_Thread_Callbacks): here every
 * thread is the record being unwound, its registers those cat.ko
 * recorded, and its memory the stack copy. The binary is reported once
 * as the only module, at the trace's load bias; CFI lookups are then
 * cached by libdw across records, so a record costs one walk of its
 * frames and nothing else.
 */
#include <elfutils/libdwfl.h>
#include <dwarf.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind.h"

/* x86-64 DWARF register numbers (System V psABI, table 3.36) */
#define DW_X86_64_RBX	3
#define DW_X86_64_RBP	6
#define DW_X86_64_RSP	7
#define DW_X86_64_R12	12

struct cat_unwinder {
	char *path;
	Dwfl *dwfl;
	bool have_bias;
	uint64_t bias;
	/* the record being unwound */
	const struct cat_rec_probe_stack *cur;
	uint64_t *pcs;
	unsigned int n, max;
	struct cat_unwind_stats stats;
};

static char *debuginfo_path;

static const Dwfl_Callbacks dwfl_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	return 0;	/* threads are only ever asked for by tid */
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

/* Only the stack copy is memory: anything else ends the chain. */
static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			   void *arg)
{
	struct cat_unwinder *u = arg;
	const struct cat_rec_probe_stack *k = u->cur;
	uint64_t sp = k->regs[CAT_STACK_REG_SP];

	if (addr < sp || addr - sp > k->size || k->size - (addr - sp) < 8)
		return false;
	memcpy(result, k->data + (addr - sp), 8);
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct cat_unwinder *u = arg;
	const __u64 *r = u->cur->regs;
	Dwarf_Word bx = r[CAT_STACK_REG_BX];
	Dwarf_Word bp_sp[2] = { r[CAT_STACK_REG_BP], r[CAT_STACK_REG_SP] };
	Dwarf_Word hi[4] = {
		r[CAT_STACK_REG_R12], r[CAT_STACK_REG_R13],
		r[CAT_STACK_REG_R14], r[CAT_STACK_REG_R15],
	};

	if (!dwfl_thread_state_registers(thread, DW_X86_64_RBX, 1, &bx) ||
	    !dwfl_thread_state_registers(thread, DW_X86_64_RBP, 2, bp_sp) ||
	    !dwfl_thread_state_registers(thread, DW_X86_64_R12, 4, hi))
		return false;
	dwfl_thread_state_register_pc(thread, r[CAT_STACK_REG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

/* The lowest PT_LOAD vaddr of the binary (page aligned), -1 if none. */
static int64_t first_load_vaddr(const char *path)
{
	Dwfl *d = dwfl_begin(&dwfl_callbacks);
	Dwfl_Module *m;
	GElf_Addr bias;
	Elf *elf;
	size_t n;
	int64_t lo = -1;

	if (!d)
		return -1;
	m = dwfl_report_offline(d, "", path, -1);
	dwfl_report_end(d, NULL, NULL);
	elf = m ? dwfl_module_getelf(m, &bias) : NULL;
	if (elf && !elf_getphdrnum(elf, &n)) {
		for (size_t i = 0; i < n; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD &&
			    (lo < 0 || (int64_t)(ph.p_vaddr & ~0xfffull) < lo))
				lo = ph.p_vaddr & ~0xfffull;
		}
	}
	dwfl_end(d);
	return lo;
}

/* (Re)build the Dwfl with the binary at @bias. */
static int report(struct cat_unwinder *u, uint64_t bias)
{
	int64_t lo = first_load_vaddr(u->path);
	Dwfl_Module *m;
	GElf_Addr got;

	if (u->dwfl)
		dwfl_end(u->dwfl);
	u->dwfl = NULL;
	u->have_bias = false;
	if (lo < 0)
		return -1;
	u->dwfl = dwfl_begin(&dwfl_callbacks);
	if (!u->dwfl)
		return -1;
	dwfl_report_begin(u->dwfl);
	m = dwfl_report_elf(u->dwfl, "main", u->path, -1, bias + lo, false);
	dwfl_report_end(u->dwfl, NULL, NULL);
	if (!m || !dwfl_module_getelf(m, &got) || got != bias ||
	    !dwfl_attach_state(u->dwfl, NULL, 1, &thread_callbacks, u)) {
		dwfl_end(u->dwfl);
		u->dwfl = NULL;
		return -1;
	}
	u->bias = bias;
	u->have_bias = true;
	u->stats.reports++;
	return 0;
}

struct cat_unwinder *cat_unwind_open(const char *binary, char *err,
				     size_t errlen)
{
	struct cat_unwinder *u = calloc(1, sizeof(*u));

	if (!u || !(u->path = strdup(binary))) {
		free(u);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (first_load_vaddr(binary) < 0) {
		snprintf(err, errlen, "%s: not an ELF program with loadable segments",
			 binary);
		cat_unwind_close(u);
		return NULL;
	}
	return u;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct cat_unwinder *u = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(state, &pc, NULL))
		return DWARF_CB_ABORT;
	u->pcs[u->n++] = pc - u->bias;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int cat_unwind(struct cat_unwinder *u, uint64_t bias,
	       const struct cat_rec_probe_stack *k, uint64_t *pcs,
	       unsigned int max)
{
	if (!max || k->h.size < sizeof(*k) || k->h.size < cat_stack_size(k->size))
		return -1;
	if ((!u->have_bias || u->bias != bias) && report(u, bias))
		return -1;
	u->cur = k;
	u->pcs = pcs;
	u->n = 0;
	u->max = max;
	/* the tid is only a name here: every thread is the current record */
	dwfl_getthread_frames(u->dwfl, k->h.tid ? k->h.tid : 1, frame_cb, u);
	if (!u->n)
		pcs[u->n++] = k->regs[CAT_STACK_REG_IP] - bias;
	u->cur = NULL;
	u->stats.records++;
	u->stats.frames += u->n;
	return u->n;
}

const struct cat_unwind_stats *cat_unwind_stats(const struct cat_unwinder *u)
{
	return &u->stats;
}

void cat_unwind_close(struct cat_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u->path);
	free(u);
}
