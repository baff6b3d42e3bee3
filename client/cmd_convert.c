// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_convert.c - "catctl convert trace.cat -o trace.json": raw trace ->
 * Trace Event Format JSON, and cat_convert_file() for "catctl start -o".
 *
 * The pipeline is streaming end to end: rawfile.c merges the per-CPU
 * records, rebuild.c turns them into polls and slices, json.c writes each
 * one as it completes. The JSON is written to "<out>.tmp" and renamed at
 * the end, so a failed conversion never leaves a half file under the
 * requested name.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catctl.h"
#include "convert.h"
#include "spawnsite.h"
#include "debuginfo.h"
#include "srcloc.h"
#include "json.h"
#include "losses.h"
#include "rawfile.h"
#include "rebuild.h"
#include "symbols.h"

int cat_detail_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return CAT_DETAIL_AUTO;
	if (!strcmp(s, "full"))
		return CAT_DETAIL_FULL;
	if (!strcmp(s, "compact"))
		return CAT_DETAIL_COMPACT;
	return -1;
}

const char *cat_detail_name(enum cat_detail d)
{
	switch (d) {
	case CAT_DETAIL_AUTO:		return "auto";
	case CAT_DETAIL_FULL:		return "full";
	case CAT_DETAIL_COMPACT:	return "compact";
	}
	return "?";
}

/*
 * --detail auto: does the trace hold more than @limit task polls? Counts
 * task-poll entries (an upper bound of the polls: nested polls of the same
 * task count too) and stops at the limit, so a long trace costs a read of
 * its first part only. Leaves @r rewound.
 */
static bool more_polls_than(struct cat_trace_reader *r, uint64_t limit)
{
	const struct cat_rec_header *h;
	uint64_t n = 0;
	uint32_t id = UINT32_MAX;
	bool poll = false;

	while (n <= limit && cat_trace_next(r, &h) > 0) {
		const struct cat_rec_probe_entry *e = (const void *)h;
		const struct cat_probe *p;

		if (h->type != CAT_REC_PROBE_ENTRY)
			continue;
		if (e->probe_id != id) {	/* runs of one probe are common */
			id = e->probe_id;
			p = cat_trace_probe(r, id);
			poll = p && p->role == CAT_ROLE_TASK_POLL;
		}
		n += poll;
	}
	cat_trace_rewind(r);
	return n > limit;
}

int cat_convert_file(const char *raw, const char *json,
		     const struct cat_convert_opts *opts,
		     struct cat_convert_summary *sum, char *err, size_t errlen)
{
	struct cat_rebuild_opts ro = {
		.block_offcpu_ns = CAT_DEFAULT_BLOCK_OFFCPU_NS,
		.long_poll_ns = CAT_DEFAULT_LONG_POLL_NS,
	};
	const struct cat_trace_info *in;
	struct cat_trace_reader *r;
	struct cat_dwarf *dw = NULL;
	struct cat_spawnsites *ss = NULL;
	struct cat_rebuild *rb = NULL;
	struct cat_json *j = NULL;
	struct cat_rb_sink sink;
	struct cat_losses losses = { 0 };
	const struct cat_rec_header *h;
	char build_id[2 * CAT_TRACE_BUILD_ID_MAX + 1] = "";
	char *tmp = NULL;
	enum cat_detail detail = opts ? opts->detail : CAT_DETAIL_AUTO;
	FILE *out = NULL;
	bool to_stdout = !strcmp(json, "-");
	int ret = 0, n;

	if (opts && opts->block_threshold_us)
		ro.block_offcpu_ns = opts->block_threshold_us * 1000;
	if (opts && opts->long_poll_us)
		ro.long_poll_ns = opts->long_poll_us * 1000;
	if (sum)
		memset(sum, 0, sizeof(*sum));

	r = cat_trace_open(raw, err, errlen);
	if (!r)
		return -EINVAL;
	in = cat_trace_info(r);
	for (unsigned int i = 0; i < cat_trace_nwarnings(r); i++)
		fprintf(stderr, "catctl: warning: %s\n", cat_trace_warning(r, i));
	for (unsigned int i = 0; i < in->build_id_len; i++)
		sprintf(build_id + 2 * i, "%02x", in->build_id[i]);

	if (detail == CAT_DETAIL_AUTO)
		detail = more_polls_than(r, opts && opts->auto_max_polls ?
					 opts->auto_max_polls :
					 CAT_DETAIL_AUTO_MAX_POLLS) ?
			 CAT_DETAIL_COMPACT : CAT_DETAIL_FULL;

	{
		struct cat_debuginfo_opts so = { 0 };
		int refused;

		if (opts && opts->sym)
			so = *opts->sym;
		if (opts && opts->binary)
			so.binary = opts->binary;
		if (!so.trace)
			so.trace = raw;
		dw = cat_debuginfo_open("catctl", in->binary, in->build_id,
					in->build_id_len, &so, &refused);
		if (refused) {
			ret = -EPERM;
			snprintf(err, errlen, "not converted: the binary is another build");
			goto out;
		}
		/* spawn backtraces from the stack copies of spawn probes */
		if (dw && cat_dwarf_has_debuginfo(dw))
			ss = cat_spawnsites_open(cat_dwarf_exe(dw), dw);
		ro.spawn_stack = ss ? cat_spawnsites_hook : NULL;
		ro.spawn_stack_ctx = ss;
	}

	if (to_stdout) {
		out = stdout;
	} else {
		if (asprintf(&tmp, "%s.tmp", json) < 0) {
			tmp = NULL;
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		out = fopen(tmp, "w");
		if (!out) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	{
		struct cat_json_opts jo = {
			.binary = in->binary, .build_id = build_id,
			.tgid = in->tgid, .t0_ns = in->start_ns,
			.realtime_offset_ns = in->realtime_offset_ns,
			.dwarf = dw,
			.compact = detail == CAT_DETAIL_COMPACT,
		};

		j = cat_json_new(out, &jo);
	}
	if (!j) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cat_json_sink(j, &sink);
	rb = cat_rebuild_new(&in->probes, &ro, &sink);
	if (!rb) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (cat_losses_init(&losses, in)) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cat_rebuild_add_tgid(rb, in->tgid);
	while ((n = cat_trace_next(r, &h)) > 0) {
		cat_losses_record(&losses, cat_trace_cpu(r), h);
		if (cat_rebuild_record(rb, h)) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (n < 0) {
		/* keep what was rebuilt before the damage, but say so */
		snprintf(err, errlen, "%s", cat_trace_error(r));
		ret = -EINVAL;
	}
	cat_rebuild_finish(rb, in->end_ns);
	cat_losses_finish(&losses);
	for (unsigned int c = 0; c < losses.ncpus; c++) {
		char what[600];

		if (cat_losses_describe(&losses, c, what, sizeof(what)))
			fprintf(stderr, "catctl: warning: %s\n", what);
	}
	cat_json_losses(j, &losses, in->end_ns);
	if (cat_json_finish(j, cat_rebuild_stats(rb)) && !ret) {
		ret = -EIO;
		snprintf(err, errlen, "%s: write error", json);
	}
	if (sum) {
		const struct cat_rb_stats *st = cat_rebuild_stats(rb);

		sum->records = st->records;
		sum->tasks = st->tasks;
		sum->polls = st->polls;
		sum->blocking_polls = cat_json_blocking_polls(j);
		sum->threads = st->max_threads;
		sum->detail = detail;
		sum->lost_records = losses.total.lost;
		sum->missing_records = losses.total.missing;
	}
out:
	if (out && !to_stdout) {
		if (fclose(out) && !ret) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		}
		/* a damaged trace still gives its readable part */
		if ((!ret || ret == -EINVAL) && j) {
			if (rename(tmp, json)) {
				ret = -errno;
				snprintf(err, errlen, "%s: %s", json,
					 strerror(errno));
			} else if (sum) {
				sum->written = true;
			}
		}
		unlink(tmp);
	} else if (out && sum && (!ret || ret == -EINVAL)) {
		sum->written = true;	/* stdout */
	}
	free(tmp);
	cat_rebuild_free(rb);
	cat_json_free(j);
	cat_spawnsites_free(ss);
	cat_losses_free(&losses);
	cat_dwarf_close(dw);
	cat_trace_close(r);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: catctl convert TRACE.cat -o TRACE.json [options]\n"
		"Rebuild task instances and polls and write Trace Event Format\n"
		"JSON (chrome://tracing, ui.perfetto.dev). '-o -' is stdout.\n"
		"\n"
		"  -o, --output FILE           the JSON file (default: TRACE.json)\n"
		"  -b, --binary PATH           read DWARF from PATH instead of the\n"
		"                              binary named in the trace\n"
		CAT_DEBUGINFO_USAGE
		"      --block-threshold-us N  a poll that is off-CPU voluntarily\n"
		"                              longer than N us is blocking (1000)\n"
		"      --long-poll-us N        a poll longer than N us is blocking\n"
		"                              (10000)\n"
		"      --detail LEVEL          full: every poll on its thread's and\n"
		"                              its task's lane with args, nested\n"
		"                              future polls, wake/migration flows\n"
		"                              (~1.3 KB per poll); compact: one\n"
		"                              slice per poll, args only on unusual\n"
		"                              ones, per-task totals on the task\n"
		"                              lanes (~80 bytes per poll); auto\n"
		"                              (default): full up to %d polls\n",
		CAT_DETAIL_AUTO_MAX_POLLS);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "binary", required_argument, NULL, 'b' },
		{ "block-threshold-us", required_argument, NULL, 'B' },
		{ "long-poll-us", required_argument, NULL, 'L' },
		{ "detail", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		CAT_DEBUGINFO_LONGOPTS,
		{}
	};
	struct cat_debuginfo_opts so = { 0 };
	struct cat_convert_opts co = { .sym = &so };
	struct cat_convert_summary sum = { 0 };
	const char *output = NULL;
	char *defout = NULL, err[700];
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:b:h", opts, NULL)) != -1) {
		ret = cat_debuginfo_getopt(&so, c, optarg);
		if (ret < 0)
			return CATCTL_EXIT_USAGE;
		if (ret)
			continue;
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'b':
			co.binary = optarg;
			break;
		case 'B':
			if (parse_u64(optarg, &co.block_threshold_us) ||
			    !co.block_threshold_us) {
				fprintf(stderr, "catctl convert: bad --block-threshold-us '%s'\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			break;
		case 'L':
			if (parse_u64(optarg, &co.long_poll_us) ||
			    !co.long_poll_us) {
				fprintf(stderr, "catctl convert: bad --long-poll-us '%s'\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			break;
		case 'D':
			ret = cat_detail_parse(optarg);
			if (ret < 0) {
				fprintf(stderr, "catctl convert: bad --detail '%s' (auto, full or compact)\n",
					optarg);
				return CATCTL_EXIT_USAGE;
			}
			co.detail = ret;
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
	if (!output) {
		const char *in = argv[optind];
		size_t n = strlen(in);

		if (n > 4 && !strcmp(in + n - 4, ".cat"))
			n -= 4;
		if (asprintf(&defout, "%.*s.json", (int)n, in) < 0)
			return CATCTL_EXIT_FAILURE;
		output = defout;
	}
	ret = cat_convert_file(argv[optind], output, &co, &sum, err,
			       sizeof(err));
	/*
	 * The summary only for a file this run wrote: a trace that could not
	 * be opened leaves any older output as it was, and saying "-> x.json"
	 * then made the stale file look like the result.
	 */
	if (ret && !sum.written)
		fprintf(stderr, "catctl convert: %s (%s not written)\n", err,
			output);
	else if (ret)
		fprintf(stderr, "catctl convert: %s (converted what came before)\n",
			err);
	if (sum.written)
		fprintf(stderr, "catctl convert: %zu records (%" PRIu64 " lost, %" PRIu64 " missing), %zu threads, %zu task instances, %zu polls (%zu blocking) -> %s (%s detail)\n",
			sum.records, sum.lost_records, sum.missing_records,
			sum.threads, sum.tasks, sum.polls,
			sum.blocking_polls, output, cat_detail_name(sum.detail));
	if (sum.written && co.detail == CAT_DETAIL_AUTO &&
	    sum.detail == CAT_DETAIL_COMPACT)
		fprintf(stderr, "catctl convert: over %d polls, so compact detail (one slice per poll, task totals on the task lanes); --detail full keeps every arg, nested future poll and flow\n",
			CAT_DETAIL_AUTO_MAX_POLLS);
	free(defout);
	if (ret == -EINVAL)
		return CATCTL_EXIT_BAD_INPUT;
	return ret ? CATCTL_EXIT_FAILURE : CATCTL_EXIT_OK;
}

const struct catctl_cmd cmd_convert = {
	.name = "convert",
	.summary = "rebuild tasks and polls, write Trace Event Format JSON",
	.run = run,
};
