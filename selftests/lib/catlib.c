// SPDX-License-Identifier: GPL-2.0
/*
 * catlib.c - test-only helpers of the cat.ko selftests: records collected
 * into a sorted array, blocked-before-exec targets, small utilities. The
 * control and stats files, the buffer protocol and the ELF symbols are the
 * client library's (client/session.c, drain.c, symbols.c). See catlib.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2, sched_setaffinity */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catlib.h"
#include "symbols.h"

uint64_t cat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *cat_bin_path(const char *name)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX - 64];
	const char *d = getenv("CAT_DIR");
	ssize_t n;
	char *slash;

	if (d && *d) {
		snprintf(path, sizeof(path), "%s/bin/%s", d, name);
		if (access(path, X_OK) == 0)
			return path;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../bin/%s", exe, name);
		if (access(path, X_OK) == 0)
			return path;
	}
	snprintf(path, sizeof(path), "%s", name);
	return path;
}

int cat_module_load(void)
{
	const char *ko = getenv("CAT_KO");
	int fd, ret = 0;

	if (!ko)
		ko = "/lib/modules/cat.ko";
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = -errno;
	close(fd);
	return ret;
}

int cat_module_unload(void)
{
	return syscall(SYS_delete_module, "cat", O_NONBLOCK) ? -errno : 0;
}

bool cat_module_loaded(void)
{
	return access(cat_path(CAT_CONTROL_FILE), F_OK) == 0;
}

bool cat_counters_balanced(const struct cat_counters *c)
{
	return c->records + c->dropped ==
	       c->uprobe_hits + c->uretprobe_hits + c->sched_switch + c->lifecycle +
	       c->stacks;
}

int cat_wait_state(const char *state, int timeout_ms)
{
	uint64_t end = cat_now_ms() + timeout_ms;
	struct cat_stats st;

	for (;;) {
		if (cat_stats_read_checked(&st, NULL, 0) == 0) {
			bool done = !strcmp(st.state, state);

			cat_stats_free(&st);
			if (done)
				return 0;
		}
		if (cat_now_ms() > end)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

int cat_elf_sym_offset(const char *path, const char *sym, uint64_t *offset,
		       uint64_t *vaddr)
{
	struct cat_symtab *st;
	size_t i;
	int ret;

	ret = cat_symtab_load(path, &st, NULL, 0);
	if (ret)
		return ret == CAT_SYM_ERR_OPEN ? -ENOENT : -ENOEXEC;
	ret = -ENOENT;
	for (i = 0; i < st->n; i++) {
		if (strcmp(st->syms[i].mangled, sym))
			continue;
		*offset = st->syms[i].file_offset;
		if (vaddr)
			*vaddr = st->syms[i].vaddr;
		ret = 0;
		break;
	}
	cat_symtab_free(st);
	return ret;
}

int cat_buffers_open(struct cat_drain *d)
{
	struct cat_stats st;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = cat_stats_read(&st);
	if (ret)
		return ret;
	if (st.subbuf_size && st.n_subbufs)
		ret = cat_drain_open(d, st.ncpus, st.subbuf_size, st.n_subbufs);
	else
		ret = -EPROTO;
	cat_stats_free(&st);
	return ret;
}

/* ---- collected records ---------------------------------------------- */

struct collect {
	struct cat_trace *t;
	char *err;
	size_t errlen;
};

static int collect_one(struct cat_trace *t, const struct cat_rec_header *h,
		       unsigned int cpu)
{
	struct cat_rec_header *copy;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;
		void *p = realloc(t->rec, cap * sizeof(*t->rec));

		if (!p)
			return -ENOMEM;
		t->rec = p;
		t->cap = cap;
	}
	copy = malloc(h->size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, h, h->size);
	t->rec[t->n++] = copy;
	if (h->type == CAT_REC_LOST) {
		t->per_cpu_lost_markers[cpu]++;
		if (h->size >= sizeof(struct cat_rec_lost))
			t->per_cpu_lost_count[cpu] +=
				((const struct cat_rec_lost *)h)->count;
	} else {
		t->per_cpu_records[cpu]++;
	}
	return 0;
}

/* cat_drain_fn: the records of one committed subbuffer of @cpu. */
static int collect_subbuf(void *ctx, unsigned int cpu, const void *records,
			  size_t len)
{
	/* the records follow their subbuffer's header (cat_abi.h) */
	const struct cat_subbuf_header *sh =
		(const void *)((const char *)records - sizeof(*sh));
	struct collect *c = ctx;
	size_t off;
	int ret;

	if (cpu >= CAT_LIB_MAX_CPUS) {
		snprintf(c->err, c->errlen, "cpu%u: more CPUs than catlib counts", cpu);
		return -EPROTO;
	}
	if (sh->cpu != cpu) {
		snprintf(c->err, c->errlen, "cpu%u subbuf seq %llu says cpu %u", cpu,
			 (unsigned long long)sh->seq, sh->cpu);
		return -EPROTO;
	}
	for (off = 0; off < len;) {
		const struct cat_rec_header *h = (const void *)((const char *)records + off);

		if (len - off < sizeof(*h) || h->size < sizeof(*h) ||
		    h->size % 8 || h->size > len - off) {
			snprintf(c->err, c->errlen,
				 "cpu%u subbuf seq %llu offset %zu: bad record size %u (type %u, %zu bytes left)",
				 cpu, (unsigned long long)sh->seq, off + sizeof(*sh),
				 len - off >= sizeof(*h) ? h->size : 0,
				 len - off >= sizeof(*h) ? h->type : 0, len - off);
			return -EPROTO;
		}
		if (h->cpu != cpu) {
			snprintf(c->err, c->errlen, "cpu%u: record of type %u says cpu %u",
				 cpu, h->type, h->cpu);
			return -EPROTO;
		}
		ret = collect_one(c->t, h, cpu);
		if (ret)
			return ret;
		off += h->size;
	}
	return 0;
}

long cat_trace_collect(struct cat_drain *d, struct cat_trace *t,
		       char *err, size_t errlen)
{
	char buf[256] = "";
	struct collect c = { .t = t, .err = buf, .errlen = sizeof(buf) };
	size_t before = t->n;
	long ret;

	ret = cat_drain_once(d, collect_subbuf, &c);
	if (ret >= 0)
		return t->n - before;
	if (err && errlen)
		snprintf(err, errlen, "drain: %s", buf[0] ? buf :
			 ret == -EPROTO ? "bad subbuffer header (magic or padding)" :
			 strerror(-ret));
	return ret;
}

struct rec_at {
	struct cat_rec_header *h;
	size_t i;		/* collection order */
};

static int cmp_time(const void *a, const void *b)
{
	const struct rec_at *x = a, *y = b;

	if (x->h->time_ns != y->h->time_ns)
		return x->h->time_ns < y->h->time_ns ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Time order, stable: records of one time keep their collection order
 * (per CPU the buffer order), so a stack record stays right after the
 * entry record it belongs to, which has the same time.
 */
void cat_trace_sort(struct cat_trace *t)
{
	struct rec_at *v = malloc((t->n ? t->n : 1) * sizeof(*v));

	if (!v)
		return;		/* left in collection order */
	for (size_t i = 0; i < t->n; i++)
		v[i] = (struct rec_at){ t->rec[i], i };
	qsort(v, t->n, sizeof(*v), cmp_time);
	for (size_t i = 0; i < t->n; i++)
		t->rec[i] = v[i].h;
	free(v);
}

void cat_trace_free(struct cat_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->rec[i]);
	free(t->rec);
	memset(t, 0, sizeof(*t));
}

size_t cat_trace_count(const struct cat_trace *t, int type, uint32_t tgid)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		if ((!type || t->rec[i]->type == type) &&
		    (!tgid || t->rec[i]->tgid == tgid))
			n++;
	return n;
}

/* ---- target processes ---------------------------------------------- */

int cat_child_spawn(struct cat_child *c, char *const argv[], int cpu)
{
	int in[2], out[2];
	pid_t pid;

	c->pid = -1;
	c->in = c->out = -1;
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		return e;
	}
	if (pid == 0) {
		char go;

		dup2(in[0], 0);
		dup2(out[1], 1);
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set))
				_exit(126);
		}
		/* Blocked here until the test has started tracing. */
		if (read(0, &go, 1) != 1)
			_exit(125);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->pid = pid;
	c->in = in[1];
	c->out = out[0];
	return 0;
}

int cat_child_send(struct cat_child *c, char byte)
{
	return write(c->in, &byte, 1) == 1 ? 0 : -errno;
}

int cat_child_release(struct cat_child *c)
{
	return cat_child_send(c, 'g');
}

int cat_child_readline(struct cat_child *c, char *buf, size_t size, int timeout_ms)
{
	uint64_t end = cat_now_ms() + timeout_ms;
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { .fd = c->out, .events = POLLIN };
		int64_t left = (int64_t)(end - cat_now_ms());
		char ch;
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) <= 0)
			continue;
		n = read(c->out, &ch, 1);
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if (ch == '\n')
			break;
		buf[len++] = ch;
	}
	buf[len] = '\0';
	return 0;
}

int cat_child_wait(struct cat_child *c, int timeout_ms)
{
	uint64_t end = cat_now_ms() + timeout_ms;
	int status;

	if (c->pid <= 0)
		return -ECHILD;
	for (;;) {
		pid_t p = waitpid(c->pid, &status, WNOHANG);

		if (p == c->pid) {
			c->pid = -1;
			return status;
		}
		if (p < 0)
			return -errno;
		if (cat_now_ms() > end) {
			cat_child_kill(c);
			return -ETIMEDOUT;
		}
		usleep(5000);
	}
}

void cat_child_kill(struct cat_child *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = -1;
	}
	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0)
		close(c->out);
	c->in = c->out = -1;
}
