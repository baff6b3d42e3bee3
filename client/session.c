// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - the control and stats files of cat.ko, from user space.
 *
 * Every command is its own open/write/close: the module takes one command
 * per write(2), and an open control file would pin the module, which must
 * stay unloadable while a session runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "catctl.h"
#include "session.h"

#define DEBUGFS_MAGIC	0x64626720

const char *cat_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", CAT_DEBUGFS_ROOT,
		 CAT_DEBUGFS_DIR, name);
	return path;
}

const char *cat_module_problem(int *exit_code)
{
	struct statfs sfs;

	*exit_code = CATCTL_EXIT_NO_MODULE;
	if (geteuid() != 0) {
		*exit_code = CATCTL_EXIT_PERM;
		return "permission denied: /sys/kernel/debug/cat is root-only; run catctl as root";
	}
	if (statfs(CAT_DEBUGFS_ROOT, &sfs) || sfs.f_type != DEBUGFS_MAGIC)
		return "debugfs is not mounted: mount -t debugfs none /sys/kernel/debug";
	if (access(cat_path(CAT_CONTROL_FILE), F_OK))
		return "cat.ko is not loaded: insmod kmod/cat.ko";
	if (access(cat_path(CAT_CONTROL_FILE), W_OK)) {
		*exit_code = CATCTL_EXIT_PERM;
		return "permission denied on /sys/kernel/debug/cat/control";
	}
	*exit_code = 0;
	return NULL;
}

int cat_module_check(const char *who)
{
	const char *problem;
	int code;

	problem = cat_module_problem(&code);
	if (problem)
		fprintf(stderr, "%s: %s\n", who, problem);
	return code;
}

int cat_control_write(const void *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(cat_path(CAT_CONTROL_FILE), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

int cat_control(const char *fmt, ...)
{
	char cmd[CAT_CMD_MAX + 2];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(cmd))
		return -E2BIG;
	return cat_control_write(cmd, len);
}

ssize_t cat_file_read(const char *name, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if (!size)
		return -EINVAL;
	fd = open(cat_path(name), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			n = -errno;
			close(fd);
			buf[len] = '\0';
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

/*
 * One parser serves catctl, which skips what it does not understand, and
 * the selftests, which want every oddity reported (cat_stats_read_checked).
 * Problems are always noted; only the checked reader fails on them.
 */
enum {
#define CAT_COUNTER_ENUM(name) STATS_CTR_##name,
	CAT_STATS_COUNTERS(CAT_COUNTER_ENUM)
#undef CAT_COUNTER_ENUM
	STATS_N_COUNTERS
};
_Static_assert(STATS_N_COUNTERS < 32, "struct stats_parse's seen masks are 32 bits");

struct stats_parse {
	char *err;		/* may be NULL */
	size_t errlen;
	int ret;		/* 0, or -EPROTO after the first problem */
	uint32_t *seen;		/* ncpus + 1 masks of counters read, total last */
};

static void __attribute__((format(printf, 2, 3)))
stats_problem(struct stats_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->ret)
		return;
	p->ret = -EPROTO;
	if (!p->err || !p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

/* Index of the counter @key (after setting it), or -1: unknown to catctl. */
static int parse_counter(struct cat_counters *c, const char *key,
			 unsigned long long v)
{
#define CAT_COUNTER_PARSE(name) \
	if (!strcmp(key, #name)) { c->name = v; return STATS_CTR_##name; }
	CAT_STATS_COUNTERS(CAT_COUNTER_PARSE)
#undef CAT_COUNTER_PARSE
	return -1;	/* a counter this catctl does not know: ignore */
}

static void parse_line(struct stats_parse *p, struct cat_stats *st,
		       char *key, char *val)
{
	char *end;
	unsigned long long v = strtoull(val, &end, 10);
	bool number = end != val && !*end;
	char *dot = strchr(key, '.');
	int i;

	if (dot) {
		unsigned int slot;

		*dot = '\0';
		if (!strcmp(key, "total")) {
			slot = st->ncpus;
			i = parse_counter(&st->total, dot + 1, v);
		} else if (!strncmp(key, "cpu", 3)) {
			unsigned long cpu = strtoul(key + 3, &end, 10);

			if (end == key + 3 || *end || cpu >= st->ncpus)
				stats_problem(p, "stats: bad cpu '%s' (cpus: %u)",
					      key, st->ncpus);
			if (cpu >= st->ncpus)
				return;
			slot = cpu;
			i = parse_counter(&st->cpu[cpu], dot + 1, v);
		} else {
			return;
		}
		if (i < 0)
			return;
		if (!number)
			stats_problem(p, "stats %s.%s: bad number '%s'", key,
				      dot + 1, val);
		if (!st->cpu)
			stats_problem(p, "stats: %s.%s before the cpus line",
				      key, dot + 1);
		else if (p->seen)
			p->seen[slot] |= 1u << i;
		return;
	}
	if (!strcmp(key, "state")) {
		snprintf(st->state, sizeof(st->state), "%s", val);
		return;
	}
	if (!strcmp(key, "mode")) {
		snprintf(st->mode, sizeof(st->mode), "%s", val);
		return;
	}
	if (!strcmp(key, "version"))
		st->version = v;
	else if (!strcmp(key, "probes"))
		st->probes = v;
	else if (!strcmp(key, "target"))
		st->target = v;
	else if (!strcmp(key, "owner"))
		st->owner = v;
	else if (!strcmp(key, "follow"))
		st->follow = v;
	else if (!strcmp(key, "unfollowed"))
		st->unfollowed = v;
	else if (!strcmp(key, "subbuf_size"))
		st->subbuf_size = v;
	else if (!strcmp(key, "n_subbufs"))
		st->n_subbufs = v;
	else if (!strcmp(key, "cpus") && !st->cpu && v > 0 && v <= 8192) {
		st->ncpus = v;
		st->cpu = calloc(v, sizeof(*st->cpu));
		p->seen = calloc(v + 1, sizeof(*p->seen));
	} else {
		return;		/* a session key this catctl does not know */
	}
	/* "target: -1" is a number too: strtoull takes the sign */
	if (!number)
		stats_problem(p, "stats %s: bad number '%s'", key, val);
}

static int stats_parse(struct stats_parse *p, struct cat_stats *st)
{
	char line[256];
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(cat_path(CAT_STATS_FILE), "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, ": ");

		line[strcspn(line, "\n")] = '\0';
		if (!sep) {
			stats_problem(p, "stats line without ': ': '%s'", line);
			continue;
		}
		*sep = '\0';
		parse_line(p, st, line, sep + 2);
	}
	fclose(f);
	if (!st->cpu) {
		stats_problem(p, "stats: no usable cpus line");
		cat_stats_free(st);
		return -EPROTO;
	}
	return 0;
}

int cat_stats_read(struct cat_stats *st)
{
	struct stats_parse p = { 0 };
	int ret = stats_parse(&p, st);

	free(p.seen);
	return ret;
}

/* Every counter of every CPU and the total read, and the total the sum. */
static void stats_check(struct stats_parse *p, const struct cat_stats *st)
{
	const uint32_t all = (1u << STATS_N_COUNTERS) - 1;
	struct cat_counters sum = { 0 };
	unsigned int i;

	if (!st->state[0])
		stats_problem(p, "stats: no state line");
	if (!p->seen) {
		stats_problem(p, "stats: %s", strerror(ENOMEM));
		return;
	}
	for (i = 0; i <= st->ncpus; i++) {
		if (p->seen[i] == all)
			continue;
		if (i == st->ncpus)
			stats_problem(p, "stats: counters missing for the total");
		else
			stats_problem(p, "stats: counters missing for cpu%u", i);
	}
	for (i = 0; i < st->ncpus; i++) {
#define CAT_COUNTER_SUM(name) sum.name += st->cpu[i].name;
		CAT_STATS_COUNTERS(CAT_COUNTER_SUM)
#undef CAT_COUNTER_SUM
	}
#define CAT_COUNTER_CHECK(name)						\
	if (sum.name != st->total.name)					\
		stats_problem(p, "stats: total." #name " = %llu but the cpus sum to %llu", \
			      (unsigned long long)st->total.name,	\
			      (unsigned long long)sum.name);
	CAT_STATS_COUNTERS(CAT_COUNTER_CHECK)
#undef CAT_COUNTER_CHECK
}

int cat_stats_read_checked(struct cat_stats *st, char *err, size_t errlen)
{
	struct stats_parse p = { .err = err, .errlen = errlen };
	int ret = stats_parse(&p, st);

	if (ret == 0) {
		stats_check(&p, st);
		ret = p.ret;
		if (ret)
			cat_stats_free(st);
	} else if (!p.ret && err && errlen) {
		snprintf(err, errlen, "read stats: %s", strerror(-ret));
	}
	free(p.seen);
	return ret;
}

void cat_stats_free(struct cat_stats *st)
{
	free(st->cpu);
	st->cpu = NULL;
}

static void print_row(FILE *out, const char *name, const struct cat_counters *c)
{
	fprintf(out, "%-6s", name);
#define CAT_COUNTER_PRINT(n) fprintf(out, " %14llu", (unsigned long long)c->n);
	CAT_STATS_COUNTERS(CAT_COUNTER_PRINT)
#undef CAT_COUNTER_PRINT
	fputc('\n', out);
}

void cat_stats_print(const struct cat_stats *st, FILE *out)
{
	char name[16];
	unsigned int i;

	fprintf(out, "state %s, mode %s, ABI v%u, %u probes, target %d%s, owner %d\n",
		st->state, st->mode, st->version, st->probes, st->target,
		st->follow ? " (following children)" : "", st->owner);
	fprintf(out, "buffers: %zu x %zu bytes per CPU\n\n", st->n_subbufs,
		st->subbuf_size);
	fprintf(out, "%-6s", "cpu");
#define CAT_COUNTER_HEAD(n) fprintf(out, " %14.14s", #n);
	CAT_STATS_COUNTERS(CAT_COUNTER_HEAD)
#undef CAT_COUNTER_HEAD
	fputc('\n', out);
	for (i = 0; i < st->ncpus; i++) {
		snprintf(name, sizeof(name), "%u", i);
		print_row(out, name, &st->cpu[i]);
	}
	print_row(out, "total", &st->total);
}
