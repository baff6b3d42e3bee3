// SPDX-License-Identifier: GPL-2.0
/*
 * test_rawfile - host unit tests of the raw trace file (rawfile.c).
 *
 * Round trip of every field and record type, the time merge of chunks
 * from several CPUs, and robustness: the file cut at every offset and
 * every byte flipped must give either a clean error naming an offset or
 * a readable (possibly truncated) trace - never a crash, which the
 * harness (one forked child per test) and ASan/UBSan builds catch. A full
 * disk (RLIMIT_FSIZE, /dev/full) must be reported and leave a readable
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ksft.h"

#include "rawfile.h"

static struct cat_probe probes[] = {
	{ 7, CAT_PROBE_BOTH, 1, CAT_ROLE_TASK_POLL, CAT_CTX_TASK, 0x1000, 0x900,
	  "tokio::runtime::task::raw::poll", "_ZN5tokio4poll17h0123456789abcdefE",
	  "tokio.raw_poll" },
	{ 3, CAT_PROBE_ENTRY, 1, CAT_ROLE_WAKE, CAT_CTX_NONE, 0x2000, 0x1900,
	  "tokio::runtime::task::waker::wake_by_val", "", "" },
	{ 5, CAT_PROBE_BOTH, 2, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER, 0x3000,
	  0x2900, "app::main::{{closure}}", "_ZN3app4main28_$u7b$$u7b$closure$u7d$$u7d$E",
	  "program async fn" },
};
static const struct cat_probe_table table = { probes, 3, 3 };

#define RET_SIZE	((long)sizeof(struct cat_rec_probe_return))

/* A little record stream builder: records appended to a byte buffer. */
struct stream {
	unsigned char buf[65536];
	size_t len;
};

static void *add(struct stream *s, unsigned int type, size_t size,
		 unsigned int cpu, unsigned long long t, unsigned int tid)
{
	struct cat_rec_header *h = (void *)(s->buf + s->len);

	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->cpu = cpu;
	h->time_ns = t;
	h->tid = tid;
	h->tgid = 100;
	s->len += size;
	return h;
}

static void add_entry(struct stream *s, unsigned int cpu, unsigned long long t,
		      unsigned int tid, unsigned int id, unsigned int nargs,
		      unsigned long long a0)
{
	struct cat_rec_probe_entry *e =
		add(s, CAT_REC_PROBE_ENTRY,
		    cat_entry_size(nargs, CAT_ENTRY_F_RET_ADDR), cpu, t, tid);

	e->h.flags = CAT_ENTRY_F_RET_ADDR;
	e->probe_id = id;
	e->nargs = nargs;
	e->ip = 0x555555554000ull + 0x1000;
	e->args[nargs] = 0x555555558000ull;
	for (unsigned int i = 0; i < nargs; i++)
		e->args[i] = a0 + i;
}

static void add_return(struct stream *s, unsigned int cpu,
		       unsigned long long t, unsigned int tid, unsigned int id)
{
	struct cat_rec_probe_return *r =
		add(s, CAT_REC_PROBE_RETURN, sizeof(*r), cpu, t, tid);

	r->probe_id = id;
	r->ret[0] = 1;
}

/* All record types on one CPU, times t0, t0+step, ... */
static void fill_all_types(struct stream *s, unsigned int cpu,
			   unsigned long long t0, unsigned long long step)
{
	struct cat_rec_sched_switch *sw;
	struct cat_rec_thread_new *tn;
	struct cat_rec_thread_exit *te;
	struct cat_rec_exec *ex;
	struct cat_rec_lost *l;
	unsigned long long t = t0;

	add_entry(s, cpu, t, 101, 7, 1, 0xabc0);
	t += step;
	add_entry(s, cpu, t, 101, 5, 2, 0xdef0);
	t += step;
	add_return(s, cpu, t, 101, 5);
	t += step;
	add_return(s, cpu, t, 101, 7);
	t += step;
	sw = add(s, CAT_REC_SCHED_SWITCH, sizeof(*sw), cpu, t, 101);
	sw->prev_tid = 101;
	sw->prev_tgid = 100;
	sw->prev_state = CAT_TASK_INTERRUPTIBLE;
	strcpy(sw->prev_comm, "worker");
	strcpy(sw->next_comm, "swapper/0");
	t += step;
	tn = add(s, CAT_REC_THREAD_NEW, sizeof(*tn), cpu, t, 101);
	tn->child_tid = 102;
	tn->child_tgid = 100;
	strcpy(tn->comm, "child");
	t += step;
	te = add(s, CAT_REC_THREAD_EXIT, sizeof(*te), cpu, t, 102);
	strcpy(te->comm, "child");
	t += step;
	ex = add(s, CAT_REC_EXEC, sizeof(*ex), cpu, t, 101);
	strcpy(ex->filename, "/bin/true");
	t += step;
	l = add(s, CAT_REC_LOST, sizeof(*l), cpu, t, 101);
	l->count = 42;
}

static char *tmpname(const char *tag)
{
	char *p;

	if (asprintf(&p, "/tmp/test_rawfile.%d.%s.cat", getpid(), tag) < 0)
		return NULL;
	return p;
}

static const uint8_t build_id[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static struct cat_trace_meta meta(unsigned int ncpus)
{
	struct cat_trace_meta m = {
		.binary = "/opt/app/bin/app",
		.build_id = build_id,
		.build_id_len = sizeof(build_id),
		.realtime_offset_ns = 1700000000123456789ll,
		.ncpus = ncpus,
		.tgid = 100,
		.start_ns = 1000,
	};
	return m;
}

/* Write a 2-CPU trace with interleaved chunks; returns records written. */
static int write_sample(const char *path, bool finish)
{
	struct cat_trace_meta m = meta(2);
	struct cat_trace_writer *w = cat_trace_create(path, &m, &table);
	struct cat_trace_cpu_stats st[2] = { { .records = 9, .dropped = 1 },
					     { .records = 9, .dropped = 2 } };
	struct stream a = { .len = 0 }, b = { .len = 0 };
	size_t first4 = cat_entry_size(1, CAT_ENTRY_F_RET_ADDR) +
			cat_entry_size(2, CAT_ENTRY_F_RET_ADDR) +
			2 * sizeof(struct cat_rec_probe_return);

	if (!w)
		return -1;
	fill_all_types(&a, 0, 2000, 10);	/* cpu0: 2000, 2010, ... */
	fill_all_types(&b, 1, 2005, 10);	/* cpu1: 2005, 2015, ... */
	/* cpu1's second half is drained before cpu0's first */
	/* 4 records: entry(1 arg), entry(2 args), 2 returns */
	if (cat_trace_write_chunk(w, 1, b.buf, first4) ||
	    cat_trace_write_chunk(w, 0, a.buf, a.len) ||
	    cat_trace_write_chunk(w, 1, b.buf + first4, b.len - first4))
		return -1;
	if (!finish)
		kill(getpid(), SIGKILL);	/* a crashed writer */
	if (cat_trace_finish(w, st, 2))
		return -1;
	return 18;
}

/* Read everything; returns records or -1; checks per-CPU ordering. */
static long read_all(const char *path, char *err, size_t errlen,
		     unsigned long long *last)
{
	struct cat_trace_reader *r = cat_trace_open(path, err, errlen);
	const struct cat_rec_header *h;
	long n = 0;
	int ret;

	if (!r)
		return -1;
	*last = 0;
	while ((ret = cat_trace_next(r, &h)) > 0) {
		n++;
		*last = h->time_ns;
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s", cat_trace_error(r));
		n = -1;
	}
	cat_trace_close(r);
	return n;
}

TEST(round_trip)
{
	char *path = tmpname("rt"), err[512];
	struct cat_trace_reader *r;
	const struct cat_trace_info *in;
	const struct cat_rec_header *h;
	unsigned long long prev = 0;
	int n = 0, types[CAT_REC_TYPE_MAX] = { 0 };

	ASSERT_EQ(18, write_sample(path, true));
	r = cat_trace_open(path, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	in = cat_trace_info(r);
	EXPECT_EQ(CAT_TRACE_VERSION, in->version);
	EXPECT_EQ(CAT_ABI_VERSION, in->abi_version);
	EXPECT_STREQ("/opt/app/bin/app", in->binary);
	EXPECT_EQ(20, in->build_id_len);
	EXPECT_EQ(0, memcmp(in->build_id, build_id, 20));
	EXPECT_EQ(1700000000123456789ll, in->realtime_offset_ns);
	EXPECT_EQ(2, in->ncpus);
	EXPECT_EQ(100, in->tgid);
	EXPECT_EQ(1000, in->start_ns);
	EXPECT_EQ(2085, in->end_ns);	/* newest record */
	EXPECT_EQ(3, in->nchunks);
	EXPECT_TRUE(in->has_trailer);
	EXPECT_EQ(0, cat_trace_nwarnings(r));
	ASSERT_NE(NULL, in->cpu_stats);
	EXPECT_EQ(2, in->cpu_stats[1].dropped);
	EXPECT_EQ(9, in->cpu_stats[0].records);
	/* probes come back sorted by id, strings intact */
	ASSERT_EQ(3, in->probes.n);
	EXPECT_EQ(3, in->probes.probes[0].id);
	EXPECT_EQ(7, in->probes.probes[2].id);
	EXPECT_STREQ("app::main::{{closure}}", cat_trace_probe(r, 5)->symbol);
	EXPECT_STREQ("program async fn", cat_trace_probe(r, 5)->why);
	EXPECT_EQ(CAT_ROLE_FUTURE_POLL, cat_trace_probe(r, 5)->role);
	EXPECT_EQ(CAT_CTX_COMPILER, cat_trace_probe(r, 5)->ctx);
	EXPECT_EQ(0x2900, cat_trace_probe(r, 5)->file_offset);
	EXPECT_EQ(NULL, cat_trace_probe(r, 4));

	while (cat_trace_next(r, &h) > 0) {
		EXPECT_GE(h->time_ns, prev);
		EXPECT_EQ(0, (uintptr_t)h & 7);
		prev = h->time_ns;
		types[h->type]++;
		if (h->type == CAT_REC_PROBE_ENTRY &&
		    ((const struct cat_rec_probe_entry *)h)->probe_id == 5)
			EXPECT_EQ(0xdef1, ((const struct cat_rec_probe_entry *)h)->args[1]);
		if (h->type == CAT_REC_LOST)
			EXPECT_EQ(42, ((const struct cat_rec_lost *)h)->count);
		n++;
	}
	EXPECT_EQ(18, n);
	EXPECT_EQ(4, types[CAT_REC_PROBE_ENTRY]);
	EXPECT_EQ(2, types[CAT_REC_EXEC]);
	/* and again after a rewind */
	ASSERT_EQ(0, cat_trace_rewind(r));
	n = 0;
	while (cat_trace_next(r, &h) > 0)
		n++;
	EXPECT_EQ(18, n);
	cat_trace_close(r);
	unlink(path);
	free(path);
}

TEST(merge_is_time_ordered_with_ties_by_cpu)
{
	char *path = tmpname("merge"), err[512];
	struct cat_trace_meta m = meta(3);
	struct cat_trace_writer *w = cat_trace_create(path, &m, &table);
	struct stream s[3] = { { .len = 0 }, { .len = 0 }, { .len = 0 } };
	struct cat_trace_reader *r;
	const struct cat_rec_header *h;
	unsigned int cpus[64], n = 0;
	unsigned long long times[64];
	static const unsigned long long et[] = { 1, 2, 3, 4, 5, 5, 5, 6, 9 };
	static const unsigned int ec[] = { 2, 0, 1, 1, 0, 1, 2, 0, 2 };

	ASSERT_NE(NULL, w);
	/* cpu2: 1 5 9, cpu0: 2 5 6, cpu1: 3 4 5 -- in one chunk each */
	add_return(&s[2], 2, 1, 1, 7);
	add_return(&s[2], 2, 5, 1, 7);
	add_return(&s[2], 2, 9, 1, 7);
	add_return(&s[0], 0, 2, 2, 7);
	add_return(&s[0], 0, 5, 2, 7);
	add_return(&s[0], 0, 6, 2, 7);
	add_return(&s[1], 1, 3, 3, 7);
	add_return(&s[1], 1, 4, 3, 7);
	add_return(&s[1], 1, 5, 3, 7);
	for (int c = 2; c >= 0; c--)
		ASSERT_EQ(0, cat_trace_write_chunk(w, c, s[c].buf, s[c].len));
	ASSERT_EQ(0, cat_trace_finish(w, NULL, 0));
	r = cat_trace_open(path, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	while (n < 64 && cat_trace_next(r, &h) > 0) {
		times[n] = h->time_ns;
		cpus[n++] = h->cpu;
	}
	ASSERT_EQ(9, n);
	for (unsigned int i = 0; i < 9; i++) {
		EXPECT_EQ(et[i], times[i]);
		EXPECT_EQ(ec[i], cpus[i]);
	}
	/* no stats given: zeros, but a trailer */
	EXPECT_TRUE(cat_trace_info(r)->has_trailer);
	cat_trace_close(r);
	unlink(path);
	free(path);
}

TEST(writer_rejects_bad_arguments)
{
	char *path = tmpname("args");
	struct cat_trace_meta m = meta(2);
	struct cat_trace_writer *w = cat_trace_create(path, &m, &table);
	char rec[24] = { 0 };

	ASSERT_NE(NULL, w);
	EXPECT_EQ(-EINVAL, cat_trace_write_chunk(w, 2, rec, 24));
	EXPECT_EQ(-EINVAL, cat_trace_write_chunk(w, 0, rec, 12));
	EXPECT_EQ(0, cat_trace_write_chunk(w, 0, rec, 0));
	EXPECT_EQ(0, cat_trace_finish(w, NULL, 0));
	m.ncpus = 0;
	errno = 0;
	EXPECT_EQ(NULL, cat_trace_create(path, &m, &table));
	EXPECT_EQ(EINVAL, errno);
	unlink(path);
	free(path);
}

TEST(missing_trailer_reads_as_truncated)
{
	char *path = tmpname("notrailer"), err[512];
	struct cat_trace_reader *r;
	const struct cat_rec_header *h;
	int n = 0, status;
	pid_t pid;

	/* the writer dies before its trailer (killed, not leaked) */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(write_sample(path, false) == 18 ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	r = cat_trace_open(path, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	EXPECT_FALSE(cat_trace_info(r)->has_trailer);
	EXPECT_EQ(NULL, cat_trace_info(r)->cpu_stats);
	EXPECT_GE(cat_trace_nwarnings(r), 1);
	EXPECT_NE(NULL, strstr(cat_trace_warning(r, 0), "truncated"));
	while (cat_trace_next(r, &h) > 0)
		n++;
	EXPECT_EQ(18, n);
	EXPECT_EQ(2085, cat_trace_info(r)->end_ns);
	cat_trace_close(r);
	unlink(path);
	free(path);
}

TEST(error_names_the_offset)
{
	char *path = tmpname("size3"), err[512];
	struct cat_trace_meta m = meta(1);
	struct cat_trace_writer *w = cat_trace_create(path, &m, &table);
	struct stream s = { .len = 0 };
	struct cat_trace_reader *r;
	const struct cat_rec_header *h;
	struct stat st;
	char want[128];
	long rec2;

	ASSERT_NE(NULL, w);
	add_return(&s, 0, 10, 1, 7);
	add_return(&s, 0, 20, 1, 7);
	((struct cat_rec_header *)(s.buf + RET_SIZE))->size = 3;
	ASSERT_EQ(0, cat_trace_write_chunk(w, 0, s.buf, s.len));
	ASSERT_EQ(0, cat_trace_finish(w, NULL, 0));
	ASSERT_EQ(0, stat(path, &st));
	r = cat_trace_open(path, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	ASSERT_EQ(1, cat_trace_next(r, &h));
	ASSERT_EQ(-1, cat_trace_next(r, &h));
	/*
	 * The second record is the last RET_SIZE bytes before the trailer
	 * (a 16-byte block header, a 32-byte body, no counters: finished
	 * without stats); its size field is 2 bytes in.
	 */
	rec2 = st.st_size - (16 + 32) - RET_SIZE;
	snprintf(want, sizeof(want),
		 "%s: offset %ld: record size 3 is not a multiple of 8",
		 path, rec2 + 2);
	EXPECT_STREQ(want, cat_trace_error(r));
	cat_trace_close(r);
	unlink(path);
	free(path);
}

TEST(unknown_record_types_are_skipped)
{
	char *path = tmpname("unknown"), err[512];
	struct cat_trace_meta m = meta(1);
	struct cat_trace_writer *w = cat_trace_create(path, &m, &table);
	struct stream s = { .len = 0 };
	unsigned long long last;

	ASSERT_NE(NULL, w);
	add_return(&s, 0, 10, 1, 7);
	add(&s, 99, 40, 0, 11, 1);	/* a future record type */
	add_return(&s, 0, 20, 1, 7);
	ASSERT_EQ(0, cat_trace_write_chunk(w, 0, s.buf, s.len));
	ASSERT_EQ(0, cat_trace_finish(w, NULL, 0));
	EXPECT_EQ(2, read_all(path, err, sizeof(err), &last)) TH_LOG("%s", err);
	EXPECT_EQ(20, last);
	unlink(path);
	free(path);
}

TEST(not_a_trace)
{
	char *path = tmpname("junk"), err[512];
	FILE *f = fopen(path, "w");
	unsigned long long last;

	ASSERT_NE(NULL, f);
	fprintf(f, "this is not a trace file, but it is long enough to hold a header of one...........................................................\n");
	fclose(f);
	EXPECT_EQ(-1, read_all(path, err, sizeof(err), &last));
	EXPECT_NE(NULL, strstr(err, "offset 0: not a cat trace file"));
	EXPECT_EQ(-1, read_all("/nonexistent/x.cat", err, sizeof(err), &last));
	EXPECT_EQ(-1, read_all("/tmp", err, sizeof(err), &last));
	unlink(path);
	free(path);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	b = malloc(st.st_size);
	if (b && read(fd, b, st.st_size) != st.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*len = st.st_size;
	return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, b, len) != (ssize_t)len)
			perror(path);
		close(fd);
	}
}

/* Open and read all of @path: a clean error or records, never a crash. */
static int check_clean(struct __test_metadata *_metadata, const char *path,
		       long *records)
{
	char err[512];
	unsigned long long last;
	long n = read_all(path, err, sizeof(err), &last);

	*records = n;
	if (n < 0) {
		/* every error names the file and, past open(2), an offset */
		EXPECT_EQ(0, strncmp(err, path, strlen(path))) TH_LOG("%s", err);
		EXPECT_NE(NULL, strstr(err, ": offset ")) TH_LOG("%s", err);
		return -1;
	}
	return 0;
}

TEST(truncated_at_every_offset)
{
	char *path = tmpname("trunc"), *cut = tmpname("cut");
	unsigned char *b;
	size_t len, ok = 0, bad = 0;
	long n, prev = 0;

	ASSERT_EQ(18, write_sample(path, true));
	b = slurp(path, &len);
	ASSERT_NE(NULL, b);
	for (size_t l = 0; l < len; l++) {
		spit(cut, b, l);
		if (check_clean(_metadata, cut, &n)) {
			bad++;
			continue;
		}
		ok++;
		/* more file never means fewer records */
		EXPECT_GE(n, prev);
		prev = n;
	}
	TH_LOG("%zu cut files: %zu readable as truncated, %zu rejected", len,
	       ok, bad);
	EXPECT_GT(ok, 0);
	EXPECT_GT(bad, 0);
	EXPECT_EQ(18, prev);
	unlink(cut);
	unlink(path);
	free(b);
	free(cut);
	free(path);
}

TEST(every_byte_flipped)
{
	char *path = tmpname("flip"), *bad = tmpname("flipped");
	static const unsigned char masks[] = { 0xff, 0x01, 0x80, 0x10 };
	unsigned char *b;
	size_t len, errors = 0;
	long n;

	ASSERT_EQ(18, write_sample(path, true));
	b = slurp(path, &len);
	ASSERT_NE(NULL, b);
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof(masks); m++) {
			b[i] ^= masks[m];
			spit(bad, b, len);
			if (check_clean(_metadata, bad, &n))
				errors++;
			b[i] ^= masks[m];
		}
	}
	TH_LOG("%zu of %zu corrupted files rejected", errors, len * 4);
	EXPECT_GT(errors, 0);
	unlink(bad);
	unlink(path);
	free(b);
	free(bad);
	free(path);
}

/*
 * A disk that fills up: RLIMIT_FSIZE makes write(2) fail with EFBIG
 * (SIGXFSZ ignored), like ENOSPC. The writer must say so, keep saying
 * so, and leave a file that reads as truncated.
 */
TEST(disk_full_is_reported_and_file_stays_readable)
{
	char *path = tmpname("full"), err[512];
	unsigned long long last;
	int status, written = 0;
	pid_t pid;
	long n;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		struct cat_trace_meta m = meta(1);
		struct cat_trace_writer *w;
		struct stream s = { .len = 0 };
		int err = 0, i, e2;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		w = cat_trace_create(path, &m, &table);
		if (!w)
			_exit(10);
		for (i = 0; i < 10; i++)
			add_return(&s, 0, 100 + i, 1, 7);
		for (i = 0; i < 100 && !err; i++)
			err = cat_trace_write_chunk(w, 0, s.buf, s.len);
		if (err != -EFBIG)
			_exit(11);
		/* the error sticks */
		if (cat_trace_write_chunk(w, 0, s.buf, s.len) != -EFBIG)
			_exit(12);
		e2 = cat_trace_finish(w, NULL, 0);
		if (e2 != -EFBIG)
			_exit(13);
		_exit(i - 1 > 0 ? i - 1 : 0);	/* chunks fully written */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	written = WEXITSTATUS(status);
	ASSERT_LT(written, 10) TH_LOG("child failed with code %d", written);
	ASSERT_GT(written, 0);
	n = read_all(path, err, sizeof(err), &last);
	EXPECT_EQ(written * 10, n) TH_LOG("%s", err);
	unlink(path);
	free(path);
}

TEST(dev_full_fails_at_create)
{
	struct cat_trace_meta m = meta(1);
	char *link = tmpname("devfull");
	struct stat st;

	/* through a symlink, so a buggy cleanup could only remove that */
	unlink(link);
	ASSERT_EQ(0, symlink("/dev/full", link));
	errno = 0;
	EXPECT_EQ(NULL, cat_trace_create(link, &m, &table));
	EXPECT_EQ(ENOSPC, errno);
	ASSERT_EQ(0, stat("/dev/full", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	unlink(link);
	free(link);
}

TEST(names)
{
	EXPECT_STREQ("entry", cat_rec_type_name(CAT_REC_PROBE_ENTRY));
	EXPECT_STREQ("unknown", cat_rec_type_name(0));
	EXPECT_STREQ("unknown", cat_rec_type_name(1000));
	EXPECT_STREQ("task-poll", cat_role_name(CAT_ROLE_TASK_POLL));
	EXPECT_STREQ("unknown", cat_role_name(CAT_ROLE_MAX));
	EXPECT_STREQ("compiler", cat_ctx_name(CAT_CTX_COMPILER));
	EXPECT_STREQ("both", cat_mode_name(CAT_PROBE_BOTH));
}

TEST_HARNESS_MAIN
