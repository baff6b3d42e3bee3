// SPDX-License-Identifier: GPL-2.0
/*
 * catlib.c - helpers shared by the tests of cat.ko and catctl: control
 * commands, the stats file, ELF symbol offsets, the relay buffer reader
 * and blocked-before-exec target processes. See catlib.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* vasprintf, pipe2, sched_setaffinity */
#endif
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "catlib.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint64_t cat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *cat_debugfs(void)
{
	const char *d = getenv("CAT_DEBUGFS");

	return d && *d ? d : "/sys/kernel/debug/" CAT_DEBUGFS_DIR;
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

static int debugfs_path(char *buf, size_t size, const char *file)
{
	int n = snprintf(buf, size, "%s/%s", cat_debugfs(), file);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- control ------------------------------------------------------- */

int cat_ctl_raw(const void *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, ret = 0;

	if (debugfs_path(path, sizeof(path), CAT_CONTROL_FILE))
		return -ENAMETOOLONG;
	/* A fresh open per command: no test keeps the module pinned. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

int cat_ctl(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ret = cat_ctl_raw(cmd, n);
	free(cmd);
	return ret;
}

static ssize_t read_file(const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (debugfs_path(path, sizeof(path), file))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return len + 1 >= size ? -EFBIG : (ssize_t)len;
}

ssize_t cat_ctl_read(char *buf, size_t size)
{
	return read_file(CAT_CONTROL_FILE, buf, size);
}

/* ---- stats --------------------------------------------------------- */

static const char *const counter_names[] = {
#define CAT_LIB_NAME(name) #name,
	CAT_STATS_COUNTERS(CAT_LIB_NAME)
#undef CAT_LIB_NAME
};
#define N_COUNTERS (sizeof(counter_names) / sizeof(counter_names[0]))

static uint64_t *counter_slot(struct cat_counters *c, size_t i)
{
	/* struct cat_counters is N_COUNTERS uint64_t in X-macro order. */
	return (uint64_t *)c + i;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int cat_stats_read(struct cat_stats *st, char *err, size_t errlen)
{
	static char buf[256 * 1024];
	/* bit i of seen[cpu] (cpu == CAT_LIB_MAX_CPUS: total) */
	uint32_t seen[CAT_LIB_MAX_CPUS + 1] = { 0 };
	char *line, *save, *colon, *val;
	ssize_t len;
	size_t i;
	int cpu;

	memset(st, 0, sizeof(*st));
	len = read_file(CAT_STATS_FILE, buf, sizeof(buf));
	if (len < 0) {
		seterr(err, errlen, "read stats: %s", strerror(-len));
		return len;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct cat_counters *c;
		char *dot, *name;
		uint64_t v;

		colon = strstr(line, ": ");
		if (!colon) {
			seterr(err, errlen, "stats line without ': ': '%s'", line);
			return -EPROTO;
		}
		*colon = '\0';
		val = colon + 2;
#define STR_KEY(k)							\
		if (!strcmp(line, #k)) {				\
			snprintf(st->k, sizeof(st->k), "%s", val);	\
			continue;					\
		}
#define NUM_KEY(k)							\
		if (!strcmp(line, #k)) {				\
			if (parse_u64(val, &st->k)) {			\
				seterr(err, errlen, "stats %s: bad number '%s'", #k, val); \
				return -EPROTO;				\
			}						\
			continue;					\
		}
		STR_KEY(state) STR_KEY(mode) STR_KEY(target) STR_KEY(follow)
		NUM_KEY(version) NUM_KEY(probes) NUM_KEY(subbuf_size)
		NUM_KEY(n_subbufs) NUM_KEY(cpus)
#undef STR_KEY
#undef NUM_KEY
		dot = strchr(line, '.');
		if (!dot)
			continue;	/* a session key this reader does not know */
		*dot = '\0';
		name = dot + 1;
		if (!strcmp(line, "total")) {
			c = &st->total;
			cpu = CAT_LIB_MAX_CPUS;
		} else if (!strncmp(line, "cpu", 3) && line[3]) {
			uint64_t n;

			if (parse_u64(line + 3, &n) || n >= CAT_LIB_MAX_CPUS) {
				seterr(err, errlen, "stats: bad cpu '%s'", line);
				return -EPROTO;
			}
			cpu = n;
			c = &st->cpu[cpu];
			if (cpu + 1 > st->ncpu)
				st->ncpu = cpu + 1;
		} else {
			continue;
		}
		for (i = 0; i < N_COUNTERS; i++)
			if (!strcmp(name, counter_names[i]))
				break;
		if (i == N_COUNTERS)
			continue;	/* a counter newer than this reader */
		if (parse_u64(val, &v)) {
			seterr(err, errlen, "stats %s.%s: bad number '%s'", line, name, val);
			return -EPROTO;
		}
		*counter_slot(c, i) = v;
		seen[cpu] |= 1u << i;
	}
	if (!st->state[0]) {
		seterr(err, errlen, "stats: no state line");
		return -EPROTO;
	}
	if (st->ncpu == 0) {
		seterr(err, errlen, "stats: no cpuN lines");
		return -EPROTO;
	}
	for (cpu = 0; cpu <= CAT_LIB_MAX_CPUS; cpu++) {
		if (cpu >= st->ncpu && cpu < CAT_LIB_MAX_CPUS)
			continue;
		if (seen[cpu] != (1u << N_COUNTERS) - 1) {
			seterr(err, errlen, "stats: counters missing for %s%d",
			       cpu == CAT_LIB_MAX_CPUS ? "total" : "cpu",
			       cpu == CAT_LIB_MAX_CPUS ? -1 : cpu);
			return -EPROTO;
		}
	}
	for (i = 0; i < N_COUNTERS; i++) {
		uint64_t sum = 0;

		for (cpu = 0; cpu < st->ncpu; cpu++)
			sum += *counter_slot(&st->cpu[cpu], i);
		if (sum != *counter_slot(&st->total, i)) {
			seterr(err, errlen, "stats: total.%s = %llu but the cpus sum to %llu",
			       counter_names[i],
			       (unsigned long long)*counter_slot(&st->total, i),
			       (unsigned long long)sum);
			return -EPROTO;
		}
	}
	return 0;
}

bool cat_counters_balanced(const struct cat_counters *c)
{
	return c->records + c->dropped ==
	       c->uprobe_hits + c->uretprobe_hits + c->sched_switch + c->lifecycle;
}

int cat_wait_state(const char *state, int timeout_ms)
{
	uint64_t end = cat_now_ms() + timeout_ms;
	struct cat_stats st;

	for (;;) {
		if (cat_stats_read(&st, NULL, 0) == 0 && !strcmp(st.state, state))
			return 0;
		if (cat_now_ms() > end)
			return -ETIMEDOUT;
		usleep(10000);
	}
}

/* ---- ELF ----------------------------------------------------------- */

int cat_elf_sym_offset(const char *path, const char *sym, uint64_t *offset,
		       uint64_t *vaddr)
{
	Elf_Scn *scn = NULL;
	uint64_t value = 0;
	bool found = false;
	size_t i, nphdr;
	Elf *elf;
	int fd, ret = -ENOENT;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		close(fd);
		return -ENOEXEC;
	}
	/* .symtab first (static functions too), .dynsym if stripped. */
	for (int pass = 0; pass < 2 && !found; pass++) {
		scn = NULL;
		while (!found && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *data;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB))
				continue;
			data = elf_getdata(scn, NULL);
			for (i = 0; data && sh.sh_entsize &&
				    i < sh.sh_size / sh.sh_entsize; i++) {
				GElf_Sym s;
				const char *name;

				if (!gelf_getsym(data, i, &s) ||
				    GELF_ST_TYPE(s.st_info) != STT_FUNC ||
				    s.st_shndx == SHN_UNDEF)
					continue;
				name = elf_strptr(elf, sh.sh_link, s.st_name);
				if (name && !strcmp(name, sym)) {
					value = s.st_value;
					found = true;
					break;
				}
			}
		}
	}
	if (found && elf_getphdrnum(elf, &nphdr) == 0) {
		ret = -ENOEXEC;
		for (i = 0; i < nphdr; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (value >= ph.p_vaddr && value < ph.p_vaddr + ph.p_filesz) {
				*offset = value - ph.p_vaddr + ph.p_offset;
				if (vaddr)
					*vaddr = value;
				ret = 0;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return ret;
}

/* ---- relay reader --------------------------------------------------- */

int cat_reader_open(struct cat_reader *r)
{
	struct cat_stats st;
	char path[PATH_MAX];
	long page = sysconf(_SC_PAGESIZE);
	int cpu, ret;

	memset(r, 0, sizeof(*r));
	ret = cat_stats_read(&st, NULL, 0);
	if (ret)
		return ret;
	if (!st.subbuf_size || !st.n_subbufs)
		return -EPROTO;
	r->subbuf_size = st.subbuf_size;
	r->n_subbufs = st.n_subbufs;
	/* relay's mmap wants exactly the buffer's page-rounded size */
	r->map_len = (r->subbuf_size * r->n_subbufs + page - 1) / page * page;
	for (cpu = 0; cpu < CAT_LIB_MAX_CPUS; cpu++) {
		char name[32];

		r->cpu[cpu].fd = -1;
		snprintf(name, sizeof(name), CAT_BUFFER_BASE "%d", cpu);
		if (debugfs_path(path, sizeof(path), name))
			return -ENAMETOOLONG;
		if (access(path, F_OK))
			break;
		r->cpu[cpu].fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->cpu[cpu].fd < 0) {
			ret = -errno;
			goto fail;
		}
		r->cpu[cpu].map = mmap(NULL, r->map_len, PROT_READ, MAP_SHARED,
				       r->cpu[cpu].fd, 0);
		if (r->cpu[cpu].map == MAP_FAILED) {
			ret = -errno;
			r->cpu[cpu].map = NULL;
			close(r->cpu[cpu].fd);
			r->cpu[cpu].fd = -1;
			goto fail;
		}
		r->ncpu = cpu + 1;
	}
	return r->ncpu ? 0 : -ENOENT;
fail:
	cat_reader_close(r);
	return ret;
}

void cat_reader_close(struct cat_reader *r)
{
	for (int cpu = 0; cpu < r->ncpu; cpu++) {
		if (r->cpu[cpu].map)
			munmap(r->cpu[cpu].map, r->map_len);
		if (r->cpu[cpu].fd >= 0)
			close(r->cpu[cpu].fd);
	}
	r->ncpu = 0;
}

long cat_reader_drain(struct cat_reader *r, cat_record_fn fn, void *ctx,
		      char *err, size_t errlen)
{
	const size_t hsz = sizeof(struct cat_subbuf_header);
	long total = 0;

	for (int cpu = 0; cpu < r->ncpu; cpu++) {
		for (;;) {
			uint64_t idx = r->cpu[cpu].consumed % r->n_subbufs;
			const char *sb = (const char *)r->cpu[cpu].map + idx * r->subbuf_size;
			const struct cat_subbuf_header *sh = (const void *)sb;
			size_t off, end;
			int ret;

			uint64_t seq;

			/*
			 * A subbuffer given back keeps committed == 1 and its
			 * old seq until the writer starts it again (clearing
			 * committed before it writes the new seq), so it is
			 * ours only when it carries seq == consumed and is
			 * committed, read in that order.
			 */
			seq = __atomic_load_n(&sh->seq, __ATOMIC_ACQUIRE);
			if (seq < r->cpu[cpu].consumed)
				break;
			if (__atomic_load_n(&sh->committed, __ATOMIC_ACQUIRE) != 1)
				break;
			if (sh->magic != CAT_SUBBUF_MAGIC) {
				seterr(err, errlen, "cpu%d subbuf %llu: magic %#x", cpu,
				       (unsigned long long)idx, sh->magic);
				return -EPROTO;
			}
			if (sh->seq != r->cpu[cpu].consumed) {
				seterr(err, errlen, "cpu%d subbuf %llu: seq %llu, expected %llu",
				       cpu, (unsigned long long)idx,
				       (unsigned long long)sh->seq,
				       (unsigned long long)r->cpu[cpu].consumed);
				return -EPROTO;
			}
			if (sh->cpu != (uint32_t)cpu) {
				seterr(err, errlen, "cpu%d subbuf seq %llu says cpu %u", cpu,
				       (unsigned long long)sh->seq, sh->cpu);
				return -EPROTO;
			}
			if (sh->padding > r->subbuf_size - hsz) {
				seterr(err, errlen, "cpu%d subbuf seq %llu: padding %u",
				       cpu, (unsigned long long)sh->seq, sh->padding);
				return -EPROTO;
			}
			end = r->subbuf_size - sh->padding;
			for (off = hsz; off < end;) {
				const struct cat_rec_header *h = (const void *)(sb + off);

				if (end - off < sizeof(*h) || h->size < sizeof(*h) ||
				    h->size % 8 || h->size > end - off) {
					seterr(err, errlen,
					       "cpu%d subbuf seq %llu offset %zu: bad record size %u (type %u, %zu bytes left)",
					       cpu, (unsigned long long)sh->seq, off,
					       end - off >= sizeof(*h) ? h->size : 0,
					       end - off >= sizeof(*h) ? h->type : 0,
					       end - off);
					return -EPROTO;
				}
				if (h->cpu != cpu) {
					seterr(err, errlen, "cpu%d: record of type %u says cpu %u",
					       cpu, h->type, h->cpu);
					return -EPROTO;
				}
				if (fn) {
					ret = fn(h, cpu, ctx);
					if (ret)
						return ret;
				}
				total++;
				off += h->size;
			}
			r->cpu[cpu].consumed++;
			ret = cat_ctl("consumed %d 1", cpu);
			if (ret) {
				seterr(err, errlen, "consumed %d 1: %s", cpu, strerror(-ret));
				return ret;
			}
		}
	}
	return total;
}

static int collect_one(const struct cat_rec_header *h, int cpu, void *ctx)
{
	struct cat_trace *t = ctx;
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

long cat_trace_collect(struct cat_reader *r, struct cat_trace *t,
		       char *err, size_t errlen)
{
	return cat_reader_drain(r, collect_one, t, err, errlen);
}

static int cmp_time(const void *a, const void *b)
{
	const struct cat_rec_header *x = *(const struct cat_rec_header *const *)a;
	const struct cat_rec_header *y = *(const struct cat_rec_header *const *)b;

	return x->time_ns < y->time_ns ? -1 : x->time_ns > y->time_ns;
}

void cat_trace_sort(struct cat_trace *t)
{
	/* Stable enough: per CPU the buffer order is already time order. */
	qsort(t->rec, t->n, sizeof(*t->rec), cmp_time);
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
