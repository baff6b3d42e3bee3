// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_dump.c - "catctl dump trace.cat": print the raw trace, one line per
 * record in merged time order, in the manner of "uftrace dump".
 *
 * This is the ground truth for debugging the reconstruction: it shows the
 * records as the module wrote them, plus only the little context needed to
 * read them (probe symbol, task pointer, per-thread call depth).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catctl.h"
#include "debuginfo.h"
#include "rawfile.h"
#include "rebuild.h"

/* Per-thread call stack of (probe id, arg0), to show depth and task. */
struct dump_thread {
	unsigned int depth;
	uint32_t ids[64];
	uint64_t task[64];
};

static void print_header(const struct cat_trace_info *in)
{
	size_t i;

	printf("# cat trace: format %u, record ABI %u\n", in->version,
	       in->abi_version);
	printf("# binary: %s\n", in->binary);
	printf("# build-id: ");
	for (i = 0; i < in->build_id_len; i++)
		printf("%02x", in->build_id[i]);
	printf("%s\n", in->build_id_len ? "" : "(none)");
	printf("# tgid: %u, cpus: %u\n", in->tgid, in->ncpus);
	printf("# start: %" PRIu64 " ns (monotonic), realtime offset: %" PRId64 " ns\n",
	       in->start_ns, in->realtime_offset_ns);
	printf("# chunks: %" PRIu64 ", record bytes: %" PRIu64 "\n",
	       in->nchunks, in->record_bytes);
	printf("# probes: %zu\n", in->probes.n);
	for (i = 0; i < in->probes.n; i++) {
		const struct cat_probe *p = &in->probes.probes[i];

		printf("#  %4u %-6s nargs=%u %-14s ctx=%-9s vaddr=%#" PRIx64
		       " off=%#" PRIx64 " %s%s%s\n",
		       p->id, cat_mode_name(p->mode), p->nargs,
		       cat_role_name(p->role), cat_ctx_name(p->ctx), p->vaddr,
		       p->file_offset, p->symbol, *p->why ? "  # " : "",
		       p->why);
	}
	printf("#\n#  %-18s %4s %-15s %-11s %s\n", "TIMESTAMP(s)", "CPU",
	       "TGID/TID", "TYPE", "DATA");
}

static void print_trailer(const struct cat_trace_info *in)
{
	printf("#\n# end: %" PRIu64 " ns (%s)\n", in->end_ns,
	       in->has_trailer ? "trailer" : "no trailer: last record");
	if (!in->cpu_stats) {
		printf("# per-CPU counters: unknown (%s)\n", in->has_trailer ?
		       "the trailer has none" : "truncated trace");
		return;
	}
	for (uint32_t c = 0; c < in->ncpus; c++) {
		const struct cat_trace_cpu_stats *s = &in->cpu_stats[c];

		printf("# cpu%u:", c);
#define PRINT_STAT(name) printf(" " #name "=%" PRIu64, (uint64_t)s->name);
		CAT_STATS_COUNTERS(PRINT_STAT)
#undef PRINT_STAT
		printf("\n");
	}
}

static const char *probe_sym(struct cat_trace_reader *r, uint32_t id,
			     const struct cat_probe **pp)
{
	const struct cat_probe *p = cat_trace_probe(r, id);

	*pp = p;
	return p ? p->symbol : "(unknown probe)";
}

static bool task_role(const struct cat_probe *p)
{
	return p && (p->role == CAT_ROLE_TASK_POLL ||
		     p->role == CAT_ROLE_TASK_DEALLOC ||
		     p->role == CAT_ROLE_WAKE);
}

static void print_record(struct cat_trace_reader *r, struct cat_map *threads,
			 const struct cat_rec_header *h, uint64_t t0)
{
	const struct cat_probe *p;
	struct dump_thread *t = cat_map_get(threads, h->tid);
	uint64_t rel = h->time_ns >= t0 ? h->time_ns - t0 : 0;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t && cat_map_put(threads, h->tid, t)) {
			free(t);
			t = NULL;
		}
	}
	printf("%8" PRIu64 ".%09" PRIu64 " [%2u] %7u/%-7u %-11s ",
	       rel / 1000000000, rel % 1000000000, h->cpu, h->tgid, h->tid,
	       cat_rec_type_name(h->type));

	switch (h->type) {
	case CAT_REC_PROBE_ENTRY: {
		const struct cat_rec_probe_entry *e = (const void *)h;
		const char *sym = probe_sym(r, e->probe_id, &p);
		unsigned int d = t ? t->depth : 0;

		printf("%s", sym);
		if (task_role(p) && e->nargs)
			printf(" task=%#llx", (unsigned long long)e->args[0]);
		else if (e->nargs)
			printf(" self=%#llx", (unsigned long long)e->args[0]);
		printf(" depth=%u", d);
		if (h->flags & CAT_ENTRY_F_RET_ADDR)
			printf(" ra=%#llx",
			       (unsigned long long)cat_entry_ret_addr(e));
		for (unsigned int i = 1; i < e->nargs; i++)
			printf(" arg%u=%#llx", i, (unsigned long long)e->args[i]);
		if (h->flags & CAT_ENTRY_F_NO_RETURN)
			printf(" [no-return]");
		if (h->flags & CAT_ENTRY_F_RA_FAULT)
			printf(" [ra-fault]");
		if (t && !(h->flags & CAT_ENTRY_F_NO_RETURN) &&
		    (!p || (p->mode & CAT_PROBE_RETURN))) {
			if (t->depth < 64) {
				t->ids[t->depth] = e->probe_id;
				t->task[t->depth] = e->nargs ? e->args[0] : 0;
			}
			t->depth++;
		}
		break;
	}
	case CAT_REC_PROBE_RETURN: {
		const struct cat_rec_probe_return *x = (const void *)h;
		const char *sym = probe_sym(r, x->probe_id, &p);

		printf("%s", sym);
		if (t && t->depth) {
			t->depth--;
			if (t->depth < 64 && t->ids[t->depth] == x->probe_id &&
			    task_role(p))
				printf(" task=%#llx",
				       (unsigned long long)t->task[t->depth]);
			else if (t->depth < 64 && t->ids[t->depth] != x->probe_id)
				printf(" [unmatched]");
		} else {
			printf(" [no entry]");
		}
		printf(" depth=%u rax=%#llx rdx=%#llx", t ? t->depth : 0,
		       (unsigned long long)x->ret[0],
		       (unsigned long long)x->ret[1]);
		break;
	}
	case CAT_REC_SCHED_SWITCH: {
		const struct cat_rec_sched_switch *s = (const void *)h;

		printf("%.16s/%u => %.16s/%u state=%s%s%s", s->prev_comm,
		       s->prev_tid, s->next_comm, s->next_tid,
		       cat_offcpu_name(cat_offcpu_state(s)),
		       h->flags & CAT_SWITCH_F_PREEMPT ? " [preempt]" : "",
		       h->flags & CAT_SWITCH_F_IOWAIT ? " [iowait]" : "");
		break;
	}
	case CAT_REC_THREAD_NEW: {
		const struct cat_rec_thread_new *n = (const void *)h;

		printf("child=%u/%u comm=%.16s%s%s", n->child_tgid, n->child_tid,
		       n->comm, h->flags & CAT_NEW_F_PROCESS ? " [process]" : "",
		       h->flags & CAT_NEW_F_FOLLOWED ? " [followed]" : "");
		break;
	}
	case CAT_REC_THREAD_EXIT: {
		const struct cat_rec_thread_exit *x = (const void *)h;

		printf("comm=%.16s code=%d%s", x->comm, x->exit_code,
		       h->flags & CAT_EXIT_F_GROUP_DEAD ? " [group-dead]" : "");
		if (t)
			t->depth = 0;
		break;
	}
	case CAT_REC_EXEC: {
		const struct cat_rec_exec *x = (const void *)h;

		printf("old_tid=%u file=%.256s", x->old_tid, x->filename);
		break;
	}
	case CAT_REC_PROBE_STACK: {
		const struct cat_rec_probe_stack *k = (const void *)h;

		printf("%s ip=%#llx sp=%#llx bytes=%u/%u%s%s",
		       probe_sym(r, k->probe_id, &p),
		       (unsigned long long)k->regs[CAT_STACK_REG_IP],
		       (unsigned long long)k->regs[CAT_STACK_REG_SP],
		       k->size, k->requested,
		       h->flags & CAT_STACK_F_SHORT ? " [short]" : "",
		       h->flags & CAT_STACK_F_FAULT ? " [fault]" : "");
		break;
	}
	case CAT_REC_LOST: {
		const struct cat_rec_lost *l = (const void *)h;

		printf("%llu records lost on CPU %u",
		       (unsigned long long)l->count, h->cpu);
		break;
	}
	}
	putchar('\n');
}

/*
 * --locations: where the binary was found (by build-id, debuginfo.h) and
 * each probe's source location, innermost frame, as addr2line prints it.
 */
static int print_locations(const char *trace, const struct cat_trace_info *in,
			   struct cat_debuginfo_opts *so)
{
	struct cat_debuginfo di;
	struct cat_dwarf *dw;
	char err[1500];
	int r;

	if (!so->trace)
		so->trace = trace;
	r = cat_debuginfo_find(in->binary, in->build_id, in->build_id_len, so,
			       &di, err, sizeof(err));
	if (r) {
		fprintf(stderr, "catctl dump: %s\n", err);
		return -1;
	}
	printf("# symbols: %s (%s), dwarf: %s\n", di.exe, di.how ? di.how : "",
	       di.debug ? di.debug : "(none)");
	dw = cat_dwarf_open_split(di.exe, di.debug, err, sizeof(err));
	cat_debuginfo_free(&di);
	if (!dw) {
		fprintf(stderr, "catctl dump: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < in->probes.n; i++) {
		const struct cat_probe *p = &in->probes.probes[i];
		const struct cat_src_loc *l = cat_dwarf_lookup(dw, p->vaddr);

		if (l->nframes)
			printf("#  loc %4u %s:%u %s\n", p->id, l->frames[0].file,
			       l->frames[0].line, l->frames[0].function);
		else
			printf("#  loc %4u %s\n", p->id, l->where);
	}
	cat_dwarf_close(dw);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: catctl dump [--no-records] [--locations] TRACE.cat\n"
		"Print the header, probe table, every record (merged in time\n"
		"order; times in seconds from the start) and the trailer.\n"
		"\n"
		"  -n, --no-records            header, probes and trailer only\n"
		"  -l, --locations             find the binary by build-id and\n"
		"                              print each probe's source location\n"
		"  -b, --binary PATH           the binary (its build-id must match)\n"
		CAT_DEBUGINFO_USAGE);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-records", no_argument, NULL, 'n' },
		{ "locations", no_argument, NULL, 'l' },
		{ "binary", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		CAT_DEBUGINFO_LONGOPTS,
		{}
	};
	struct cat_debuginfo_opts so = { 0 };
	bool locations = false;
	struct cat_trace_reader *r;
	const struct cat_rec_header *h;
	struct cat_map threads;
	char err[600];
	bool records = true;
	int c, ret;

	while ((c = getopt_long(argc, argv, "nlb:h", opts, NULL)) != -1) {
		ret = cat_debuginfo_getopt(&so, c, optarg);
		if (ret < 0)
			return CATCTL_EXIT_USAGE;
		if (ret) {
			locations = true;
			continue;
		}
		switch (c) {
		case 'n':
			records = false;
			break;
		case 'l':
			locations = true;
			break;
		case 'b':
			so.binary = optarg;
			locations = true;
			break;
		case 'h':
			usage(stdout);
			return CATCTL_EXIT_OK;
		default:
			usage(stderr);
			return CATCTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return CATCTL_EXIT_USAGE;
	}
	r = cat_trace_open(argv[optind], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "catctl dump: %s\n", err);
		return CATCTL_EXIT_BAD_INPUT;
	}
	cat_map_init(&threads);
	print_header(cat_trace_info(r));
	if (locations &&
	    print_locations(argv[optind], cat_trace_info(r), &so)) {
		cat_map_free(&threads, free);
		cat_trace_close(r);
		return CATCTL_EXIT_FAILURE;
	}
	while (records && (ret = cat_trace_next(r, &h)) > 0)
		print_record(r, &threads, h, cat_trace_info(r)->start_ns);
	if (!records)
		ret = 0;
	print_trailer(cat_trace_info(r));
	for (unsigned int i = 0; i < cat_trace_nwarnings(r); i++)
		fprintf(stderr, "catctl dump: warning: %s\n",
			cat_trace_warning(r, i));
	if (ret < 0)
		fprintf(stderr, "catctl dump: %s\n", cat_trace_error(r));
	cat_map_free(&threads, free);
	cat_trace_close(r);
	fflush(stdout);
	return ret < 0 ? CATCTL_EXIT_BAD_INPUT : CATCTL_EXIT_OK;
}

const struct catctl_cmd cmd_dump = {
	.name = "dump",
	.summary = "print a raw trace file record by record",
	.run = run,
};
