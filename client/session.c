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

int cat_control(const char *fmt, ...)
{
	char cmd[CAT_CMD_MAX + 2];
	va_list ap;
	ssize_t n;
	int fd, len, err = 0;

	va_start(ap, fmt);
	len = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(cmd))
		return -E2BIG;

	fd = open(cat_path(CAT_CONTROL_FILE), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, cmd, len);
	if (n < 0)
		err = -errno;
	else if (n != len)
		err = -EIO;
	close(fd);
	return err;
}

static int parse_counter(struct cat_counters *c, const char *key,
			 unsigned long long v)
{
#define CAT_COUNTER_PARSE(name) \
	if (!strcmp(key, #name)) { c->name = v; return 0; }
	CAT_STATS_COUNTERS(CAT_COUNTER_PARSE)
#undef CAT_COUNTER_PARSE
	return -1;	/* a counter this catctl does not know: ignore */
}

static void parse_line(struct cat_stats *st, char *key, char *val)
{
	unsigned long long v = strtoull(val, NULL, 10);
	char *dot = strchr(key, '.');

	if (dot) {
		*dot = '\0';
		if (!strcmp(key, "total")) {
			parse_counter(&st->total, dot + 1, v);
		} else if (!strncmp(key, "cpu", 3)) {
			unsigned long cpu = strtoul(key + 3, NULL, 10);

			if (cpu < st->ncpus)
				parse_counter(&st->cpu[cpu], dot + 1, v);
		}
		return;
	}
	if (!strcmp(key, "state"))
		snprintf(st->state, sizeof(st->state), "%s", val);
	else if (!strcmp(key, "mode"))
		snprintf(st->mode, sizeof(st->mode), "%s", val);
	else if (!strcmp(key, "version"))
		st->version = v;
	else if (!strcmp(key, "probes"))
		st->probes = v;
	else if (!strcmp(key, "target"))
		st->target = v;
	else if (!strcmp(key, "owner"))
		st->owner = v;
	else if (!strcmp(key, "follow"))
		st->follow = v;
	else if (!strcmp(key, "subbuf_size"))
		st->subbuf_size = v;
	else if (!strcmp(key, "n_subbufs"))
		st->n_subbufs = v;
	else if (!strcmp(key, "cpus") && !st->cpu && v > 0 && v <= 8192) {
		st->ncpus = v;
		st->cpu = calloc(v, sizeof(*st->cpu));
	}
}

int cat_stats_read(struct cat_stats *st)
{
	char line[256];
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(cat_path(CAT_STATS_FILE), "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, ": ");

		if (!sep)
			continue;
		*sep = '\0';
		line[strcspn(line, "\n")] = '\0';
		sep[2 + strcspn(sep + 2, "\n")] = '\0';
		parse_line(st, line, sep + 2);
	}
	fclose(f);
	if (!st->cpu) {
		cat_stats_free(st);
		return -EPROTO;
	}
	return 0;
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
