// SPDX-License-Identifier: GPL-2.0
/*
 * catctl start - trace an async Rust program from its first instruction
 * (or attach to a running one), drain cat.ko's buffers while it runs, and
 * leave a raw trace file plus, by default, the Trace-viewer JSON.
 *
 * A launched program is forked first and held on a pipe before exec(), so
 * that the module is armed (target = the child, probes registered, start)
 * before the program runs a single instruction of its own. The session
 * belongs to this process: if catctl dies, cat.ko stops by itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catctl.h"
#include "convert.h"
#include "debuginfo.h"
#include "drain.h"
#include "profiles.h"
#include "rawfile.h"
#include "session.h"

#define MAX_PATTERNS	64

/*
 * catctl's default geometry: fewer, larger subbuffers than the module's
 * own default. Each subbuffer handed to the reader costs the traced
 * program time (the reader runs beside it), so 1 MiB x 16 per CPU halves
 * that cost at the same memory as a 16 MiB buffer would.
 */
#define START_SUBBUF_SIZE	(1024 * 1024)
#define START_N_SUBBUFS		16

struct start_opts {
	const char *binary;
	pid_t pid;
	enum cat_runtime runtime;
	const char *patterns[MAX_PATTERNS];
	size_t npatterns;
	const char *json;
	const char *raw;
	bool follow;
	bool count_only;
	bool quiet;
	bool archive;
	enum cat_detail detail;
	size_t subbuf_size;
	size_t n_subbufs;
	unsigned int spawn_stack;	/* bytes per spawn probe, 0: none */
	char **argv;			/* the program's arguments */
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: catctl start --binary PROGRAM [options] [-- ARGS...]\n"
"       catctl start --pid PID [options]\n"
"\n"
"Trace an unmodified async Rust program (tokio or async-std) with cat.ko:\n"
"every task instance, every poll, on which thread, and when that thread\n"
"was off the CPU. With --binary the program is started by catctl and\n"
"traced from its first instruction; with --pid a running program is\n"
"attached to until it exits, Ctrl-C, or 'catctl stop'.\n"
"\n"
"Options:\n"
"  -b, --binary PATH        the program to run (or, with --pid, the binary\n"
"                           to probe; default /proc/PID/exe)\n"
"  -p, --pid PID            attach to a running process\n"
"  -r, --runtime NAME       tokio, async-std, smol or auto (default: auto)\n"
"  -P, --probe PATTERN      also probe functions whose demangled name\n"
"                           matches (glob if it has * ? [, else substring);\n"
"                           repeatable\n"
"  -o, --output FILE        Trace-viewer JSON (default: trace.json;\n"
"                           '-o none' writes no JSON)\n"
"      --raw FILE           raw trace file (default: trace.cat)\n"
"      --archive            copy the binary (symbols, DWARF) next to the\n"
"                           raw trace, in .build-id/xx/yyyy, so the trace\n"
"                           converts on another machine\n"
"      --detail LEVEL       JSON detail: full, compact or auto (default:\n"
"                           full up to %d polls; see 'catctl convert -h')\n"
"  -f, --follow-children    also trace processes the program forks\n"
"      --buffers SIZE:N     per-CPU relay geometry, SIZE bytes x N\n"
"                           subbuffers (default %d:%d)\n"
"      --count-only         only count probe hits (benchmark floor)\n"
"      --spawn-stack BYTES  user stack copied at each spawn probe, unwound\n"
"                           offline for spawn sites and backtraces (default\n"
"                           %d; %d to %d, a multiple of 8)\n"
"      --no-spawn-stack     no stack copies: spawn sites from the return\n"
"                           address of the spawn call only\n"
"  -q, --quiet              no summary\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 on success; 2 usage; 3 cat.ko not loaded or debugfs not\n"
"mounted; 4 permission denied; 5 unusable binary; 6 no probe point;\n"
"7 another session is running; 1 anything else.\n",
		CAT_DETAIL_AUTO_MAX_POLLS, START_SUBBUF_SIZE, START_N_SUBBUFS,
		CAT_DEFAULT_STACK_COPY, CAT_MIN_STACK_COPY, CAT_MAX_STACK_COPY);
}

static int parse_opts(int argc, char **argv, struct start_opts *o)
{
	static const struct option longopts[] = {
		{ "binary",		required_argument, NULL, 'b' },
		{ "pid",		required_argument, NULL, 'p' },
		{ "runtime",		required_argument, NULL, 'r' },
		{ "probe",		required_argument, NULL, 'P' },
		{ "output",		required_argument, NULL, 'o' },
		{ "raw",		required_argument, NULL, 'R' },
		{ "follow-children",	no_argument,	   NULL, 'f' },
		{ "buffers",		required_argument, NULL, 'B' },
		{ "count-only",		no_argument,	   NULL, 'C' },
		{ "spawn-stack",	required_argument, NULL, 'S' },
		{ "no-spawn-stack",	no_argument,	   NULL, 'N' },
		{ "detail",		required_argument, NULL, 'D' },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "archive",		no_argument,	   NULL, 'A' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ }
	};
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->json = "trace.json";
	o->raw = "trace.cat";
	o->subbuf_size = START_SUBBUF_SIZE;
	o->n_subbufs = START_N_SUBBUFS;
	o->spawn_stack = CAT_DEFAULT_STACK_COPY;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:p:r:P:o:fqh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'b':
			o->binary = optarg;
			break;
		case 'p':
			errno = 0;
			o->pid = strtol(optarg, &end, 10);
			if (errno || *end || o->pid <= 0) {
				fprintf(stderr, "catctl start: bad --pid '%s'\n", optarg);
				return -1;
			}
			break;
		case 'r':
			if (cat_runtime_parse(optarg, &o->runtime)) {
				fprintf(stderr, "catctl start: unknown runtime '%s' (tokio, async-std, smol, auto)\n",
					optarg);
				return -1;
			}
			break;
		case 'P':
			if (o->npatterns == MAX_PATTERNS) {
				fprintf(stderr, "catctl start: at most %d --probe patterns\n",
					MAX_PATTERNS);
				return -1;
			}
			o->patterns[o->npatterns++] = optarg;
			break;
		case 'o':
			o->json = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'R':
			o->raw = optarg;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'B':
			errno = 0;
			o->subbuf_size = strtoul(optarg, &end, 0);
			if (errno || *end != ':') {
				fprintf(stderr, "catctl start: --buffers wants SIZE:N, got '%s'\n",
					optarg);
				return -1;
			}
			o->n_subbufs = strtoul(end + 1, &end, 0);
			if (errno || *end) {
				fprintf(stderr, "catctl start: --buffers wants SIZE:N, got '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'C':
			o->count_only = true;
			break;
		case 'S': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg || v < CAT_MIN_STACK_COPY ||
			    v > CAT_MAX_STACK_COPY || v % 8) {
				fprintf(stderr, "catctl start: --spawn-stack wants a multiple of 8 from %d to %d, got '%s'\n",
					CAT_MIN_STACK_COPY, CAT_MAX_STACK_COPY, optarg);
				return -1;
			}
			o->spawn_stack = v;
			break;
		}
		case 'N':
			o->spawn_stack = 0;
			break;
		case 'D': {
			int d = cat_detail_parse(optarg);

			if (d < 0) {
				fprintf(stderr, "catctl start: bad --detail '%s' (auto, full or compact)\n",
					optarg);
				return -1;
			}
			o->detail = d;
			break;
		}
		case 'A':
			o->archive = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -1;
		}
	}
	/* what cat.ko's "start" would refuse with EMSGSIZE, said plainly */
	if (o->spawn_stack &&
	    sizeof(struct cat_subbuf_header) + sizeof(struct cat_rec_lost) +
	    cat_entry_size(CAT_MAX_ARGS, CAT_ENTRY_F_RET_ADDR) +
	    cat_stack_size(o->spawn_stack) > o->subbuf_size) {
		fprintf(stderr, "catctl start: a %u-byte spawn stack copy does not fit %zu-byte subbuffers (--buffers, --spawn-stack)\n",
			o->spawn_stack, o->subbuf_size);
		return -1;
	}
	o->argv = argv + optind;
	if (!o->binary && !o->pid) {
		fprintf(stderr, "catctl start: give --binary PROGRAM or --pid PID\n");
		return -1;
	}
	if (o->pid && *o->argv) {
		fprintf(stderr, "catctl start: program arguments make no sense with --pid\n");
		return -1;
	}
	return 0;
}

/*
 * One catctl session at a time. The module takes one command per write,
 * so two catctl configuring it at once would interleave (one's "clear"
 * between the other's "probe" and "start"), and one's final "reset" could
 * drop the other's new buffers. The control file itself cannot be held
 * open as the lock: an open control file pins the module, and rmmod must
 * work while tracing. So the lock is a file of its own, held (flock) for
 * the whole session and released by the kernel if catctl dies.
 */
static int session_lock(void)
{
	struct stat sb;
	const char *path = !stat("/run/lock", &sb) && S_ISDIR(sb.st_mode) ?
			   "/run/lock/catctl.lock" : "/tmp/catctl.lock";
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Write the configuration; the module rejects it whole if busy. */
static int arm(const struct start_opts *o, const char *path,
	       const struct cat_probe_table *t)
{
	struct cat_stats st;
	size_t i;
	int err;

	/*
	 * With the session lock held, a stopped session was left by a catctl
	 * that died (or by hand): its buffers go. A running one is not ours.
	 */
	if (!cat_stats_read(&st)) {
		bool running = !strcmp(st.state, "running");

		if (!strcmp(st.state, "stopped"))
			cat_control("reset");
		cat_stats_free(&st);
		if (running)
			return -EBUSY;
	}
	err = cat_control("clear");
	if (err)
		return err;
	err = cat_control("buffers %zu %zu", o->subbuf_size, o->n_subbufs);
	if (err) {
		fprintf(stderr, "catctl start: buffers %zu:%zu rejected by cat.ko: %s\n",
			o->subbuf_size, o->n_subbufs, strerror(-err));
		return err;
	}
	err = cat_control("mode %s", o->count_only ? "count" : "record");
	for (i = 0; !err && i < t->n; i++) {
		const struct cat_probe *p = &t->probes[i];

		char mode[32];

		if (p->mode & CAT_PROBE_STACK)
			snprintf(mode, sizeof(mode), "%s=%u",
				 cat_mode_name(p->mode), o->spawn_stack);
		else
			snprintf(mode, sizeof(mode), "%s", cat_mode_name(p->mode));
		err = cat_control("probe %u %s %u 0x%llx %s", p->id, mode,
				  p->nargs, (unsigned long long)p->file_offset,
				  path);
		if (err)
			fprintf(stderr, "catctl start: probe %s at 0x%llx rejected by cat.ko: %s\n",
				p->symbol, (unsigned long long)p->file_offset,
				strerror(-err));
	}
	return err;
}

/*
 * Fork the program, stopped on a pipe before exec(). Returns the child's
 * pid and the write end of the pipe in *@go.
 */
static pid_t spawn_held(const char *path, char **args, int *go)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(fds[1]);
		/* EOF without a byte: catctl gave up, do not run */
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execv(path, args);
		fprintf(stderr, "catctl start: cannot run %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	*go = fds[1];
	return pid;
}

struct drain_ctx {
	struct cat_trace_writer *w;
	int err;
};

static int to_file(void *arg, unsigned int cpu, const void *records, size_t len)
{
	struct drain_ctx *ctx = arg;
	int err = cat_trace_write_chunk(ctx->w, cpu, records, len);

	if (err && !ctx->err)
		ctx->err = err;
	/* keep draining so the module is not left full; report at the end */
	return 0;
}

static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t max)
{
	unsigned int byte;
	size_t n = 0;

	while (n < max && hex[0] && hex[1] && sscanf(hex, "%2x", &byte) == 1) {
		out[n++] = byte;
		hex += 2;
	}
	return n;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void copy_stats(const struct cat_stats *st,
		       struct cat_trace_cpu_stats *out)
{
	unsigned int i;

	for (i = 0; i < st->ncpus; i++) {
#define COPY(name) out[i].name = st->cpu[i].name;
		CAT_STATS_COUNTERS(COPY)
#undef COPY
	}
}

struct session_result {
	int status;		/* the program's wait status, -1 if unknown */
	bool program_exited;
	uint64_t records_bytes;
	double seconds;
	struct cat_stats st;
};

/*
 * Drain until the program exits, a signal arrives, someone else stops
 * the session, or the module goes away; then stop and drain the rest.
 */
static int trace_loop(const struct start_opts *o, pid_t child, pid_t target,
		      struct cat_drain *d, struct drain_ctx *ctx,
		      struct session_result *res)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), last_check = 0;
	bool forwarded = false, stopping = false;
	struct cat_stats st;
	long n;
	int err = 0;

	res->status = -1;
	while (!stopping) {
		cat_drain_wait(d, 100);
		n = cat_drain_once(d, to_file, ctx);
		if (n < 0) {
			fprintf(stderr, "catctl start: reading the buffers: %s\n",
				strerror((int)-n));
			err = (int)n;
			break;
		}
		if (child > 0) {
			int status;

			if (waitpid(child, &status, WNOHANG) == child) {
				res->status = status;
				res->program_exited = true;
				stopping = true;
			}
		} else if (kill(target, 0) && errno == ESRCH) {
			res->program_exited = true;
			stopping = true;
		}
		if (got_signal) {
			if (child > 0 && !forwarded) {
				/* let the program see it and exit cleanly */
				kill(child, got_signal);
				forwarded = true;
				got_signal = 0;
			} else {
				stopping = true;
			}
		}
		/* the stats file is only for noticing an outside stop */
		if (now_ns(CLOCK_MONOTONIC) - last_check > 1000000000ull) {
			last_check = now_ns(CLOCK_MONOTONIC);
			if (cat_stats_read(&st)) {
				fprintf(stderr, "catctl start: cat.ko went away mid-trace; keeping what was drained\n");
				err = -ENODEV;
				break;
			}
			if (strcmp(st.state, "running")) {
				if (!o->quiet)
					fprintf(stderr, "catctl start: session stopped from outside\n");
				stopping = true;
			}
			cat_stats_free(&st);
		}
	}

	cat_control("stop");	/* -EINVAL if already stopped: fine */
	if (!err) {
		/* the module flushed at stop: everything is committed now */
		do {
			n = cat_drain_once(d, to_file, ctx);
		} while (n > 0);
		if (n < 0)
			err = (int)n;
	}
	res->seconds = (now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	res->records_bytes = d->bytes;
	if (cat_stats_read(&res->st))
		memset(&res->st, 0, sizeof(res->st));
	if (child > 0 && !res->program_exited) {
		if (waitpid(child, &res->status, 0) == child)
			res->program_exited = true;
	}
	return err;
}

static void print_summary(const struct start_opts *o,
			  const struct session_result *res,
			  const struct cat_convert_summary *cs)
{
	const struct cat_counters *t = &res->st.total;

	if (res->program_exited && res->status >= 0) {
		if (WIFEXITED(res->status))
			fprintf(stderr, "catctl: program exited with status %d\n",
				WEXITSTATUS(res->status));
		else if (WIFSIGNALED(res->status))
			fprintf(stderr, "catctl: program killed by signal %d\n",
				WTERMSIG(res->status));
	}
	fprintf(stderr, "catctl: %llu events recorded (%llu probe hits, %llu returns, %llu context switches), %llu dropped",
		(unsigned long long)t->records,
		(unsigned long long)t->uprobe_hits,
		(unsigned long long)t->uretprobe_hits,
		(unsigned long long)t->sched_switch,
		(unsigned long long)t->dropped);
	if (t->uretprobe_skipped)
		fprintf(stderr, ", %llu returns not traced (kernel nesting limit)",
			(unsigned long long)t->uretprobe_skipped);
	fprintf(stderr, "\n");
	if (res->st.unfollowed)
		fprintf(stderr, "catctl: WARNING: %u new processes were not followed: more than %d traced processes were alive at once\n",
			res->st.unfollowed, CAT_MAX_TARGETS);
	if (t->dropped)
		fprintf(stderr, "catctl: WARNING: %llu records were dropped because a buffer was full; try --buffers with more or larger subbuffers\n",
			(unsigned long long)t->dropped);
	fprintf(stderr, "catctl: drained %.1f MiB in %.2f s (%.0f events/s)\n",
		res->records_bytes / 1048576.0, res->seconds,
		res->seconds > 0 ? t->records / res->seconds : 0.0);
	if (cs)
		fprintf(stderr, "catctl: %zu task instances seen, %zu polls, %zu blocking\n",
			cs->tasks, cs->polls, cs->blocking_polls);
	fprintf(stderr, "catctl: raw trace: %s\n", o->raw);
	if (o->json && cs)
		fprintf(stderr, "catctl: timeline: %s (open in https://ui.perfetto.dev or chrome://tracing)\n",
			o->json);
	if (o->json && cs && cs->detail == CAT_DETAIL_COMPACT &&
	    o->detail == CAT_DETAIL_AUTO)
		fprintf(stderr, "catctl: over %d polls: compact JSON (one slice per poll, task totals on the task lanes); 'catctl convert --detail full %s' for every arg, nested future and flow\n",
			CAT_DETAIL_AUTO_MAX_POLLS, o->raw);
}

static int run(int argc, char **argv)
{
	struct cat_probe_table table = { 0 };
	struct cat_profile_report report = { 0 };
	struct cat_trace_cpu_stats *cpu_stats = NULL;
	struct cat_convert_summary cs = { 0 };
	struct session_result res = { 0 };
	struct cat_trace_meta meta = { 0 };
	struct drain_ctx ctx = { 0 };
	struct cat_drain drain = { 0 };
	struct start_opts o;
	struct cat_stats st;
	char path[PATH_MAX], exe[64], errbuf[512];
	uint8_t build_id[CAT_TRACE_BUILD_ID_MAX];
	pid_t child = -1, target;
	int go = -1, lock = -1, code, err, ret = CATCTL_EXIT_FAILURE;
	bool converted = false;
	char **args;

	err = parse_opts(argc, argv, &o);
	if (err) {
		if (err < 0)
			usage(stderr);
		return err < 0 ? CATCTL_EXIT_USAGE : CATCTL_EXIT_OK;
	}

	/* the binary the kernel probes: an absolute, resolved path */
	if (!o.binary) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", o.pid);
		o.binary = exe;
	}
	if (!realpath(o.binary, path)) {
		fprintf(stderr, "catctl start: %s: %s\n", o.binary, strerror(errno));
		return errno == EACCES ? CATCTL_EXIT_PERM : CATCTL_EXIT_BAD_INPUT;
	}

	err = cat_profile_resolve(path, o.runtime, o.patterns, o.npatterns,
				  &table, &report, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "catctl start: %s\n", errbuf);
		cat_profile_report_free(&report);
		return catctl_sym_exit_code(err);
	}
	if (!o.quiet)
		cat_profile_report_print(&report, stderr, "catctl: ", 0);
	/*
	 * Spawn probes copy the user stack: catctl unwinds it offline to the
	 * first frame of the program's own code (spawnsite.h), whatever
	 * runtime or library the spawn went through.
	 */
	for (size_t i = 0; o.spawn_stack && !o.count_only && i < table.n; i++) {
		struct cat_probe *p = &table.probes[i];

		if ((p->role == CAT_ROLE_SPAWN ||
		     p->role == CAT_ROLE_SPAWN_BLOCKING) &&
		    (p->mode & CAT_PROBE_ENTRY))
			p->mode |= CAT_PROBE_RET_ADDR | CAT_PROBE_STACK;
	}

	code = cat_module_check("catctl start");
	if (code) {
		ret = code;
		goto out;
	}

	lock = session_lock();
	if (lock == -EBUSY) {
		fprintf(stderr, "catctl start: busy: another catctl session is running (see 'catctl status'; 'catctl stop' ends it)\n");
		ret = CATCTL_EXIT_BUSY;
		goto out;
	}
	if (lock < 0) {
		fprintf(stderr, "catctl start: cannot take the session lock: %s\n",
			strerror(-lock));
		goto out;
	}

	err = arm(&o, path, &table);
	if (err == -EBUSY) {
		fprintf(stderr, "catctl start: busy: another tracing session is running (see 'catctl status'; 'catctl stop' ends it)\n");
		ret = CATCTL_EXIT_BUSY;
		goto out;
	}
	if (err) {
		fprintf(stderr, "catctl start: configuring cat.ko failed: %s\n",
			strerror(-err));
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (o.pid) {
		target = o.pid;
	} else {
		args = o.argv;
		/* execv wants argv[0]: the program as the user named it */
		args = calloc(argc + 2, sizeof(*args));
		if (!args)
			goto out;
		args[0] = (char *)o.binary;
		memcpy(args + 1, o.argv, sizeof(char *) * (argc - (o.argv - argv)));
		child = spawn_held(path, args, &go);
		free(args);
		if (child < 0) {
			fprintf(stderr, "catctl start: fork: %s\n", strerror(errno));
			goto out;
		}
		target = child;
	}

	err = cat_control("target %d%s", target, o.follow ? " follow" : "");
	if (!err)
		err = cat_control("start");
	if (err == -EBUSY) {
		/* someone configured the module by hand meanwhile */
		fprintf(stderr, "catctl start: busy: the module was taken by another session\n");
		ret = CATCTL_EXIT_BUSY;
		goto out_child;
	}
	if (err) {
		fprintf(stderr, "catctl start: starting the session failed: %s%s\n",
			strerror(-err), err == -ESRCH ? " (no such process)" : "");
		goto out_child;
	}
	if (cat_stats_read(&st)) {
		fprintf(stderr, "catctl start: cannot read the stats file\n");
		goto out_stop;
	}
	err = cat_drain_open(&drain, st.ncpus, st.subbuf_size, st.n_subbufs);
	meta.ncpus = st.ncpus;
	cat_stats_free(&st);
	if (err) {
		fprintf(stderr, "catctl start: cannot map the buffers: %s\n",
			strerror(-err));
		goto out_stop;
	}

	meta.binary = path;
	meta.build_id_len = hex_to_bytes(report.build_id, build_id,
					 sizeof(build_id));
	meta.build_id = meta.build_id_len ? build_id : NULL;
	meta.start_ns = now_ns(CLOCK_MONOTONIC);
	meta.realtime_offset_ns = now_ns(CLOCK_REALTIME) - meta.start_ns;
	meta.tgid = target;
	ctx.w = cat_trace_create(o.raw, &meta, &table);
	if (!ctx.w) {
		fprintf(stderr, "catctl start: cannot create %s: %s\n", o.raw,
			strerror(errno));
		goto out_drain;
	}

	/* armed: let the program run */
	if (go >= 0) {
		if (write(go, "g", 1) != 1)
			goto out_drain;
		close(go);
		go = -1;
	}

	err = trace_loop(&o, child, target, &drain, &ctx, &res);
	cpu_stats = calloc(res.st.ncpus ? res.st.ncpus : 1, sizeof(*cpu_stats));
	if (cpu_stats && res.st.cpu)
		copy_stats(&res.st, cpu_stats);
	cat_trace_set_end(ctx.w, now_ns(CLOCK_MONOTONIC));
	code = cat_trace_finish(ctx.w, res.st.cpu ? cpu_stats : NULL,
				res.st.ncpus);
	ctx.w = NULL;
	if (!code)
		code = ctx.err;
	if (code) {
		fprintf(stderr, "catctl start: writing %s: %s; what was written before stays readable\n",
			o.raw, strerror(-code));
	}
	if (!code && o.archive &&
	    cat_debuginfo_archive(path, o.raw, errbuf, sizeof(errbuf)))
		fprintf(stderr, "catctl start: warning: --archive: %s\n", errbuf);
	if (!code && o.json && !o.count_only) {
		struct cat_convert_opts co = { .detail = o.detail };

		err = cat_convert_file(o.raw, o.json, &co, &cs, errbuf,
				       sizeof(errbuf));
		if (err)
			fprintf(stderr, "catctl start: converting to %s: %s\n",
				o.json, errbuf);
		else
			converted = true;
	}
	if (!o.quiet)
		print_summary(&o, &res, converted ? &cs : NULL);
	ret = code ? CATCTL_EXIT_FAILURE : CATCTL_EXIT_OK;
	cat_control("reset");

out_drain:
	if (ctx.w)
		cat_trace_finish(ctx.w, NULL, 0);
	cat_drain_close(&drain);
out_stop:
	cat_control("stop");
	cat_control("reset");
out_child:
	if (go >= 0)
		close(go);	/* EOF: the held child exits without running */
	if (child > 0 && !res.program_exited)
		waitpid(child, NULL, 0);
out:
	if (lock >= 0)
		close(lock);	/* releases the session lock */
	free(cpu_stats);
	cat_stats_free(&res.st);
	cat_profile_report_free(&report);
	cat_profile_table_free(&table);
	return ret;
}

const struct catctl_cmd cmd_start = {
	.name = "start",
	.summary = "trace a program (run it, or attach with --pid)",
	.run = run,
};
