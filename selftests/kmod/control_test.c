// SPDX-License-Identifier: GPL-2.0
/*
 * control_test.c - every control command of cat.ko, good and malformed.
 *
 * The control grammar (include/cat_abi.h) promises that a rejected
 * command returns a specific errno and changes nothing. So each malformed
 * command here is checked three ways: the errno, the configuration read
 * back from the control file (byte-identical before and after) and the
 * state in the stats file. Good commands must show up in the read-back
 * configuration, which must itself replay to the same configuration.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

#define CFG_MAX 65536

FIXTURE(control) {
	struct cat_session s;
	char before[CFG_MAX], after[CFG_MAX];
};

FIXTURE_SETUP(control)
{
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
}

FIXTURE_TEARDOWN(control)
{
	sess_cleanup(&self->s);
}

/* Does the configuration contain this exact (non-comment) line? */
static bool cfg_has_line(const char *cfg, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = cfg; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, line, n) && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

/* Find the "probe <id> ..." line and parse it; numbers may be hex. */
static bool cfg_probe(const char *cfg, unsigned long id, char *kind,
		      unsigned long *nargs, unsigned long long *off, char *path)
{
	for (const char *p = cfg; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char idbuf[32], nbuf[32], obuf[32];
		int len = 0;

		if (sscanf(p, "probe %31s %15s %31s %31s %n", idbuf, kind, nbuf, obuf,
			   &len) != 4 || !len)
			continue;
		if (strtoul(idbuf, NULL, 0) != id)
			continue;
		*nargs = strtoul(nbuf, NULL, 0);
		*off = strtoull(obuf, NULL, 0);
		sscanf(p + len, "%4095[^\n]", path);
		return true;
	}
	return false;
}

TEST_F(control, config_readable)
{
	ssize_t n = cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX);
	static const char *const cmds[] = {
		"probe", "target", "buffers", "mode", NULL
	};

	ASSERT_GE(n, 0) TH_LOG("read control: %s", strerror(-n));
	/* Every line is a comment or a configuration command. */
	for (char *l = strtok(self->before, "\n"); l; l = strtok(NULL, "\n")) {
		bool ok = l[0] == '#';

		for (int i = 0; !ok && cmds[i]; i++)
			ok = !strncmp(l, cmds[i], strlen(cmds[i])) &&
			     l[strlen(cmds[i])] == ' ';
		EXPECT_TRUE(ok) TH_LOG("unexpected line in the configuration: '%s'", l);
	}
}

TEST_F(control, good_commands)
{
	struct cat_session *s = &self->s;
	char kind[16], path[4096], line[128];
	unsigned long nargs;
	unsigned long long off;
	pid_t me = getpid();

	/* decimal, hex, with and without newline, path given once each */
	ASSERT_EQ(0, cat_control("probe 1 entry 0 %llu %s\n",
			     (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, cat_control("probe 0x2 return 2 0x%llx %s",
			     (unsigned long long)s->off_pair, s->path));
	ASSERT_EQ(0, cat_control("probe 3 both 6 %llu %s",
			     (unsigned long long)s->off_args6, s->path));
	ASSERT_EQ(0, cat_control("probe 4 entry+ra 1 %llu %s",
			     (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, cat_control("probe 5 both+ra 0 %llu %s",
			     (unsigned long long)s->off_pair, s->path));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	ASSERT_TRUE(cfg_probe(self->before, 1, kind, &nargs, &off, path))
		TH_LOG("no probe 1 in:\n%s", self->before);
	EXPECT_STREQ("entry", kind);
	EXPECT_EQ(0, nargs);
	EXPECT_EQ(s->off_add, off);
	EXPECT_STREQ(s->path, path);
	ASSERT_TRUE(cfg_probe(self->before, 2, kind, &nargs, &off, path));
	EXPECT_STREQ("return", kind);
	EXPECT_EQ(2, nargs);
	EXPECT_EQ(s->off_pair, off);
	ASSERT_TRUE(cfg_probe(self->before, 3, kind, &nargs, &off, path));
	EXPECT_STREQ("both", kind);
	EXPECT_EQ(6, nargs);
	ASSERT_TRUE(cfg_probe(self->before, 4, kind, &nargs, &off, path));
	EXPECT_STREQ("entry+ra", kind);
	EXPECT_EQ(1, nargs);
	ASSERT_TRUE(cfg_probe(self->before, 5, kind, &nargs, &off, path));
	EXPECT_STREQ("both+ra", kind);
	EXPECT_EQ(s->off_pair, off);

	ASSERT_EQ(0, cat_control("unprobe 2\n"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	EXPECT_FALSE(cfg_probe(self->before, 2, kind, &nargs, &off, path));
	EXPECT_TRUE(cfg_probe(self->before, 1, kind, &nargs, &off, path));

	ASSERT_EQ(0, cat_control("target %d", me));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	snprintf(line, sizeof(line), "target %d", me);
	EXPECT_TRUE(cfg_has_line(self->before, line)) TH_LOG("%s", self->before);
	ASSERT_EQ(0, cat_control("target %d follow\n", me));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	snprintf(line, sizeof(line), "target %d follow", me);
	EXPECT_TRUE(cfg_has_line(self->before, line)) TH_LOG("%s", self->before);

	ASSERT_EQ(0, cat_control("buffers 8192 0x4"));
	ASSERT_EQ(0, cat_control("mode count"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	EXPECT_TRUE(cfg_has_line(self->before, "buffers 8192 4")) TH_LOG("%s", self->before);
	EXPECT_TRUE(cfg_has_line(self->before, "mode count")) TH_LOG("%s", self->before);
	ASSERT_EQ(0, cat_control("mode record\n"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	EXPECT_FALSE(cfg_has_line(self->before, "mode count"));

	/* the stats file's session keys follow the configuration */
	ASSERT_EQ(0, cat_stats_read_checked(&s->st, s->err, sizeof(s->err))) TH_LOG("%s", s->err);
	EXPECT_STREQ("idle", s->st.state);
	EXPECT_STREQ("record", s->st.mode);
	EXPECT_EQ(4, s->st.probes);	/* 1, 3, 4 and 5 */
	EXPECT_EQ(8192, s->st.subbuf_size);
	EXPECT_EQ(4, s->st.n_subbufs);
	EXPECT_EQ(CAT_ABI_VERSION, s->st.version);
	EXPECT_EQ(me, s->st.target);

	/* reset keeps the configuration, clear forgets it */
	ASSERT_EQ(0, cat_control("reset"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
	EXPECT_STREQ(self->before, self->after);
	ASSERT_EQ(0, cat_control("clear\n"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
	EXPECT_FALSE(cfg_probe(self->after, 1, kind, &nargs, &off, path));
	EXPECT_FALSE(cfg_has_line(self->after, line));
	ASSERT_EQ(0, cat_stats_read_checked(&s->st, s->err, sizeof(s->err)));
	EXPECT_EQ(0, s->st.probes);
	EXPECT_EQ(CAT_DEFAULT_SUBBUF_SIZE, s->st.subbuf_size);
	EXPECT_EQ(CAT_DEFAULT_N_SUBBUFS, s->st.n_subbufs);
}

/* The configuration read back is in the command grammar: replaying it
 * after "clear" gives the same configuration, byte for byte. */
TEST_F(control, config_replays)
{
	struct cat_session *s = &self->s;
	char *line, *save;

	ASSERT_EQ(0, cat_control("probe 5 both 3 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, cat_control("probe 6 return 0 %llu %s", (unsigned long long)s->off_pair, s->path));
	ASSERT_EQ(0, cat_control("target %d follow", getpid()));
	ASSERT_EQ(0, cat_control("buffers 65536 8"));
	ASSERT_EQ(0, cat_control("mode count"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	ASSERT_EQ(0, cat_control("clear"));
	memcpy(self->after, self->before, CFG_MAX);
	for (line = strtok_r(self->after, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		EXPECT_EQ(0, cat_control("%s", line)) TH_LOG("replaying '%s'", line);
	}
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
	EXPECT_STREQ(self->before, self->after);
}

struct bad_cmd {
	const char *fmt;	/* %1$s: target path, %2$d: a live pid */
	int err;
};

/*
 * Run each bad command against a non-trivial configuration: it must fail
 * with its errno and leave configuration and state exactly as they were.
 */
static void check_bad(struct __test_metadata *_metadata, FIXTURE_DATA(control) *self,
		      const struct bad_cmd *cmds, size_t n, const char *state)
{
	struct cat_stats st;

	for (size_t i = 0; i < n; i++) {
		char cmd[512];
		int ret;

		snprintf(cmd, sizeof(cmd), cmds[i].fmt, self->s.path, (int)getpid());
		ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
		ret = cat_control_write(cmd, strlen(cmd));
		EXPECT_EQ(-cmds[i].err, ret)
			TH_LOG("'%s': expected %s, got %s", cmd, strerror(cmds[i].err),
			       ret ? strerror(-ret) : "success");
		ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
		EXPECT_STREQ(self->before, self->after) TH_LOG("'%s' changed the configuration", cmd);
		ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
		EXPECT_STREQ(state, st.state) TH_LOG("'%s' changed the state", cmd);
		if (ret == 0 && !strcmp(state, "idle")) {
			/* it was accepted: start over from a known config */
			cat_control("clear");
			cat_control("probe 1 both 2 %llu %s",
				(unsigned long long)self->s.off_add, self->s.path);
			cat_control("target %d", getpid());
		}
	}
}

static const struct bad_cmd malformed[] = {
	{ "frobnicate", EINVAL },
	{ "PROBE 9 entry 0 4096 %1$s", EINVAL },
	{ "probe", EINVAL },
	{ "probe 9", EINVAL },
	{ "probe 9 entry", EINVAL },
	{ "probe 9 entry 0", EINVAL },
	{ "probe 9 entry 0 4096", EINVAL },
	{ "probe 9 entry 0 4096 ", EINVAL },
	{ "probe x entry 0 4096 %1$s", EINVAL },
	{ "probe -9 entry 0 4096 %1$s", EINVAL },
	{ "probe 99999999999999999999999 entry 0 4096 %1$s", EINVAL },
	{ "probe 9 sideways 0 4096 %1$s", EINVAL },
	{ "probe 9 return+ra 0 4096 %1$s", EINVAL },	/* ra is read at entry */
	{ "probe 9 +ra 0 4096 %1$s", EINVAL },
	{ "probe 9 ra 0 4096 %1$s", EINVAL },
	{ "probe 9 entry+ 0 4096 %1$s", EINVAL },
	{ "probe 9 both+ra+ra 0 4096 %1$s", EINVAL },
	{ "probe 9 entry 7 4096 %1$s", EINVAL },
	{ "probe 9 entry -1 4096 %1$s", EINVAL },
	{ "probe 9 entry x 4096 %1$s", EINVAL },
	{ "probe 9 entry 0 12abc %1$s", EINVAL },
	{ "probe 9 entry 0 0x %1$s", EINVAL },
	{ "probe 9 entry 0 0x0x1000 %1$s", EINVAL },	/* kstrtou64 base 16 takes 0x */
	{ "probe 9 entry 0 0x+1000 %1$s", EINVAL },
	{ "probe 9 entry 0 -4096 %1$s", EINVAL },
	{ "probe 1 both 2 4096 %1$s", EEXIST },		/* id 1 exists */
	{ "unprobe", EINVAL },
	{ "unprobe x", EINVAL },
	{ "unprobe 1 2", EINVAL },
	{ "unprobe 77", ENOENT },
	{ "target", EINVAL },
	{ "target x", EINVAL },
	{ "target -5", EINVAL },
	{ "target %2$d fllow", EINVAL },
	{ "target %2$d follow x", EINVAL },
	{ "target 4000000", ESRCH },			/* > any pid_max */
	{ "buffers", EINVAL },
	{ "buffers 4096", EINVAL },
	{ "buffers x 2", EINVAL },
	{ "buffers 4096 2 2", EINVAL },
	{ "buffers 4095 2", EINVAL },			/* < CAT_MIN_SUBBUF_SIZE */
	{ "buffers 33554432 2", EINVAL },		/* > CAT_MAX_SUBBUF_SIZE */
	{ "buffers 4096 1", EINVAL },			/* < CAT_MIN_N_SUBBUFS */
	{ "buffers 4096 1025", EINVAL },		/* > CAT_MAX_N_SUBBUFS */
	{ "buffers 16777216 32", EINVAL },		/* > CAT_MAX_BUFFER_BYTES */
	{ "buffers 4096 0x", EINVAL },
	{ "mode", EINVAL },
	{ "mode fast", EINVAL },
	{ "mode record count", EINVAL },
	{ "mode count\nmode record", EINVAL },		/* one command per write */
	{ "consumed", EINVAL },
	{ "consumed 0", EINVAL },
	{ "consumed x 1", EINVAL },
	{ "consumed 0 x", EINVAL },
	{ "consumed 4096 1", EINVAL },			/* no such cpu */
	{ "stop", EINVAL },				/* not running */
	{ "mode  record", EINVAL },			/* one space only */
	{ " mode record", EINVAL },
	{ "mode record ", EINVAL },
	{ "mode record\n\n", EINVAL },			/* one newline only */
	{ "mode record\r", EINVAL },			/* control character */
	{ "probe 9 entry 0 4096 relative/cat_target", EINVAL },
	{ "probe 9 entry 0 0x7fffffff %1$s", EINVAL },	/* past the end */
	{ "probe 4294967296 entry 0 4096 %1$s", EINVAL },	/* id > 2^32-1 */
	{ "buffers 6000 2", EINVAL },			/* not page-sized */
	{ "start now", EINVAL },
	{ "stop now", EINVAL },
	{ "reset all", EINVAL },
	{ "clear all", EINVAL },
};

TEST_F(control, malformed_commands)
{
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s",
			     (unsigned long long)self->s.off_add, self->s.path));
	ASSERT_EQ(0, cat_control("target %d", getpid()));
	ASSERT_EQ(0, cat_control("buffers 8192 4"));
	check_bad(_metadata, self, malformed, sizeof(malformed) / sizeof(malformed[0]), "idle");
}

TEST_F(control, overlong_command)
{
	size_t len = CAT_CMD_MAX + 64;
	char *cmd = malloc(len + 1);
	int ret;

	ASSERT_NE(NULL, cmd);
	ASSERT_EQ(0, cat_control("mode record"));
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	/* "probe 1 entry 0 0 /aaaa...": well-formed but longer than the max */
	memset(cmd, 'a', len);
	memcpy(cmd, "probe 1 entry 0 0 /", 19);
	cmd[len] = '\0';
	ret = cat_control_write(cmd, len);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("got %s", ret ? strerror(-ret) : "success");
	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
	EXPECT_STREQ(self->before, self->after);
	free(cmd);
}

/* A probe path must name a regular file that exists (Documentation/
 * control.rst: EINVAL, or the lookup's own error). */
TEST_F(control, probe_bad_path)
{
	static const struct { const char *path; int err; } bad[] = {
		{ "/nonexistent/cat_target", ENOENT },
		{ "/tmp", EINVAL },
		{ "/dev/null", EINVAL },
	};

	ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = cat_control("probe 9 entry 0 0 %s", bad[i].path);

		EXPECT_EQ(-bad[i].err, ret) TH_LOG("probe on %s: %s", bad[i].path,
						   ret ? strerror(-ret) : "accepted");
		if (!ret)
			cat_control("unprobe 9");
		ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
		EXPECT_STREQ(self->before, self->after);
	}
}

/*
 * start with no target: EINVAL (Documentation/control.rst; cat_abi.h's
 * "a missing target -ESRCH" is the next case), with a target that is
 * gone: ESRCH. Either way still idle.
 */
TEST_F(control, start_without_target)
{
	struct cat_stats st;
	pid_t pid;

	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s",
			     (unsigned long long)self->s.off_add, self->s.path));
	EXPECT_EQ(-EINVAL, cat_control("start"));
	ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
	EXPECT_STREQ("idle", st.state);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(0, cat_control("target %d", pid));
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	EXPECT_EQ(-ESRCH, cat_control("start"));
	ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
	EXPECT_STREQ("idle", st.state);
}

static const struct bad_cmd busy_running[] = {
	{ "probe 9 entry 0 4096 %1$s", EBUSY },
	{ "unprobe 1", EBUSY },
	{ "target %2$d", EBUSY },
	{ "buffers 4096 2", EBUSY },
	{ "mode count", EBUSY },
	{ "clear", EBUSY },
	{ "start", EBUSY },
	{ "reset", EBUSY },
};

static const struct bad_cmd busy_stopped[] = {
	{ "probe 9 entry 0 4096 %1$s", EBUSY },
	{ "unprobe 1", EBUSY },
	{ "target %2$d", EBUSY },
	{ "buffers 4096 2", EBUSY },
	{ "mode count", EBUSY },
	{ "clear", EBUSY },
	{ "start", EBUSY },
	{ "stop", EINVAL },
};

/* Configuration commands are refused outside idle, and change nothing. */
TEST_F(control, busy_when_not_idle)
{
	struct cat_session *s = &self->s;
	pid_t pid;

	ASSERT_EQ(0, sess_spawn(s, "add", "10"));
	pid = s->child.pid;
	ASSERT_EQ(0, cat_control("target %d", s->child.pid));
	ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s", (unsigned long long)s->off_add, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_stats_read_checked(&s->st, NULL, 0));
	ASSERT_STREQ("running", s->st.state);
	check_bad(_metadata, self, busy_running,
		  sizeof(busy_running) / sizeof(busy_running[0]), "running");
	check_bad(_metadata, self, malformed, 2, "running");
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_STREQ("stopped", s->st.state);
	check_bad(_metadata, self, busy_stopped,
		  sizeof(busy_stopped) / sizeof(busy_stopped[0]), "stopped");
	check_add_calls(_metadata, s, 1, pid, 0, 10, true);
}

/* idle -> running -> stopped -> idle, as the stats file reports it */
TEST_F(control, state_machine)
{
	struct cat_session *s = &self->s;
	struct cat_stats st;

	ASSERT_EQ(0, cat_stats_read_checked(&st, s->err, sizeof(s->err))) TH_LOG("%s", s->err);
	EXPECT_STREQ("idle", st.state);
	ASSERT_EQ(0, sess_spawn(s, "add", "5"));
	ASSERT_EQ(0, cat_control("target %d", s->child.pid));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
	EXPECT_STREQ("running", st.state);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	EXPECT_STREQ("stopped", s->st.state);
	check_stats_consistent(_metadata, s);
	ASSERT_EQ(0, cat_control("reset"));
	ASSERT_EQ(0, cat_stats_read_checked(&st, NULL, 0));
	EXPECT_STREQ("idle", st.state);
	/* reset drops the counters */
	EXPECT_EQ(0, st.total.records);
	EXPECT_EQ(0, st.total.sched_switch);
	EXPECT_EQ(0, st.total.lifecycle);
	EXPECT_EQ(0, st.total.bytes);
}

/* The stats file parses strictly, totals are sums, one cpuN per buffer. */
TEST_F(control, stats_format)
{
	struct cat_stats st;
	char err[256] = "";

	ASSERT_EQ(0, cat_stats_read_checked(&st, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(CAT_ABI_VERSION, st.version);
	/* the checked read fails unless exactly cpu0 .. cpu<cpus - 1> are there */
	EXPECT_GE(st.ncpus, 1);
	EXPECT_GE((long)st.ncpus, sysconf(_SC_NPROCESSORS_ONLN));
	cat_stats_free(&st);
}

TEST_HARNESS_MAIN
