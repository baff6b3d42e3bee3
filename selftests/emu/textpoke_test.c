// SPDX-License-Identifier: GPL-2.0
/*
 * textpoke_test.c - is the emulator sound when the kernel patches its own
 * text while other CPUs run it? (issue 14.10)
 *
 * Enabling a tracepoint or placing a uprobe rewrites code that other CPUs
 * may be executing: the kernel's text_poke_bp() first writes an int3, then
 * the new bytes, then removes the int3, with IPIs in between, and an int3
 * hit on a CPU that no longer expects it is an "Oops: int3". Guests under
 * QEMU 7.2's multi-threaded TCG were seen to die that way in __schedule
 * while cat traced. These are the control experiments, each run while
 * threads on every CPU switch as fast as they can (through __schedule):
 *
 *   emu.sched_switch_toggle  the sched_switch tracepoint enabled and
 *                            disabled through tracefs (N times, see
 *                            rounds()), cat.ko unloaded
 *   emu.uprobe_toggle        a uprobe placed and removed through tracefs
 *                            on a function a process calls in a loop,
 *                            cat.ko unloaded
 *   emu.cat_sessions         cat.ko sessions (sched_switch + that uprobe)
 *                            started and stopped; leaves cat.ko loaded
 *
 * The guest dying is the failure (the host sees no results); a test that
 * returns also checks that the kernel did not taint itself with a "die"
 * (TAINT_DIE: an oops it survived). Under single-threaded TCG these only
 * exercise the code paths; run them under MTTCG to test the emulator
 * (selftests/emu/run, Documentation/testing.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "catlib.h"

/*
 * Toggles per experiment: cat_emu_rounds=N on the kernel command line
 * (selftests/emu/run passes 100), else a few, enough to run the paths in
 * every VM run: each toggle waits for RCU grace periods and IPIs, about a
 * second under a loaded TCG host.
 */
#define ROUNDS_DEFAULT	10
#define TIMEOUT_S	600	/* a toggle waits for RCU and IPIs: slow under TCG */
#define TRACEFS		"/sys/kernel/tracing"
#define TAINT_DIE	(1u << 7)

static atomic_bool stop_load;

static int rounds(void)
{
	static int n;
	char line[4096], *p;
	FILE *f;

	if (n)
		return n;
	n = ROUNDS_DEFAULT;
	f = fopen("/proc/cmdline", "r");
	if (f && fgets(line, sizeof(line), f) &&
	    (p = strstr(line, "cat_emu_rounds=")) && atoi(p + 15) > 0)
		n = atoi(p + 15);
	if (f)
		fclose(f);
	return n;
}

/* Switch as often as possible, pinned to one CPU. */
static void *switcher(void *arg)
{
	long cpu = (long)arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load(&stop_load)) {
		sched_yield();
		usleep(0);
	}
	return NULL;
}

/* Two switchers per online CPU; returns how many were started. */
static int load_start(pthread_t *t, int max)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = 0;

	atomic_store(&stop_load, false);
	for (long i = 0; i < 2 * ncpu && n < max; i++)
		if (!pthread_create(&t[n], NULL, switcher, (void *)(i % ncpu)))
			n++;
	return n;
}

static void load_stop(pthread_t *t, int n)
{
	atomic_store(&stop_load, true);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static int write_file(const char *path, const char *text, bool append)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_TRUNC));
	ssize_t len = strlen(text);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

static unsigned long tainted(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static bool tracefs_ready(void)
{
	struct stat st;

	if (!stat(TRACEFS "/events", &st))
		return true;
	return !mount("tracefs", TRACEFS, "tracefs", 0, NULL) &&
	       !stat(TRACEFS "/events", &st);
}

/* cat_target "add N" with a huge N: a thread that calls cat_add forever. */
static pid_t start_caller(const char *path)
{
	pid_t pid = fork();

	if (!pid) {
		execl(path, path, "add", "2000000000", (char *)NULL);
		_exit(127);
	}
	return pid;
}

FIXTURE(emu) {
	pthread_t load[64];
	int nload;
	unsigned long taint0;
	char target[4096];
	uint64_t off_add;
	pid_t caller;
	uint64_t t0;
};

FIXTURE_SETUP(emu)
{
	/*
	 * The tracefs experiments run with cat.ko unloaded, so that nothing
	 * of cat is in the kernel when they patch it; cat_sessions loads it.
	 */
	bool with_cat = !strcmp(_metadata->name, "cat_sessions");

	if (with_cat && !cat_module_loaded())
		ASSERT_EQ(0, cat_module_load());
	if (!with_cat && cat_module_loaded())
		ASSERT_EQ(0, cat_module_unload());
	snprintf(self->target, sizeof(self->target), "%s",
		 cat_bin_path("cat_target"));
	ASSERT_EQ(0, cat_elf_sym_offset(self->target, "cat_add",
					&self->off_add, NULL));
	self->caller = -1;
	self->taint0 = tainted();
	self->t0 = cat_now_ms();
	self->nload = load_start(self->load, 64);
	ASSERT_LT(0, self->nload);
}

FIXTURE_TEARDOWN(emu)
{
	load_stop(self->load, self->nload);
	if (self->caller > 0) {
		kill(self->caller, SIGKILL);
		waitpid(self->caller, NULL, 0);
	}
	TH_LOG("%d rounds, %.1f s", rounds(), (cat_now_ms() - self->t0) / 1000.0);
	/* whatever a test did, the kernel must not have oopsed */
	EXPECT_EQ(0, (tainted() & ~self->taint0) & TAINT_DIE)
		TH_LOG("the kernel oopsed during the test (taint %#lx)", tainted());
}

TEST_F_TIMEOUT(emu, sched_switch_toggle, TIMEOUT_S)
{
	const char *en = TRACEFS "/events/sched/sched_switch/enable";

	if (!tracefs_ready())
		SKIP(return, "no tracefs");
	for (int i = 0; i < rounds(); i++) {
		ASSERT_EQ(0, write_file(en, "1", false)) TH_LOG("round %d", i);
		usleep(1000);
		ASSERT_EQ(0, write_file(en, "0", false)) TH_LOG("round %d", i);
	}
	ASSERT_EQ(0, write_file(TRACEFS "/trace", "", false));
}

TEST_F_TIMEOUT(emu, uprobe_toggle, TIMEOUT_S)
{
	const char *en = TRACEFS "/events/cat_emu/add/enable";
	char def[4200];

	if (!tracefs_ready())
		SKIP(return, "no tracefs");
	snprintf(def, sizeof(def), "p:cat_emu/add %s:%#llx\n", self->target,
		 (unsigned long long)self->off_add);
	write_file(TRACEFS "/uprobe_events", "-:cat_emu/add\n", true);
	ASSERT_EQ(0, write_file(TRACEFS "/uprobe_events", def, true));
	self->caller = start_caller(self->target);
	ASSERT_LT(0, self->caller);
	for (int i = 0; i < rounds(); i++) {
		ASSERT_EQ(0, write_file(en, "1", false)) TH_LOG("round %d", i);
		usleep(1000);
		ASSERT_EQ(0, write_file(en, "0", false)) TH_LOG("round %d", i);
	}
	/* the caller survived every placement and removal */
	EXPECT_EQ(0, waitpid(self->caller, NULL, WNOHANG));
	ASSERT_EQ(0, write_file(TRACEFS "/uprobe_events", "-:cat_emu/add\n", true));
	ASSERT_EQ(0, write_file(TRACEFS "/trace", "", false));
}

TEST_F_TIMEOUT(emu, cat_sessions, TIMEOUT_S)
{
	int ret;

	self->caller = start_caller(self->target);
	ASSERT_LT(0, self->caller);
	for (int i = 0; i < (rounds() + 3) / 4; i++) {
		cat_control("stop");
		cat_control("reset");
		cat_control("clear");
		ASSERT_EQ(0, cat_control("target %d", self->caller));
		ASSERT_EQ(0, cat_control("probe 1 both 2 %llu %s",
					 (unsigned long long)self->off_add,
					 self->target));
		ret = cat_control("start");
		ASSERT_EQ(0, ret) TH_LOG("round %d: start: %s", i, strerror(-ret));
		usleep(5000);
		ASSERT_EQ(0, cat_control("stop")) TH_LOG("round %d", i);
	}
	cat_control("reset");
	cat_control("clear");
	EXPECT_EQ(0, waitpid(self->caller, NULL, WNOHANG));
}

TEST_HARNESS_MAIN
