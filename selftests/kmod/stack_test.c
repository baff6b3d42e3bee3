// SPDX-License-Identifier: GPL-2.0
/*
 * stack_test.c - "+stack" probes: the registers and user stack bytes
 * cat.ko copies at a probed function's entry (CAT_REC_PROBE_STACK), and
 * the control grammar of the "+stack[=N]" modes.
 *
 * cat_target's "stack KIND N FILE" action calls cat_stack_target() on a
 * stack it built itself with known callee-saved registers; the function
 * copies the bytes above its entry sp without writing to the stack, and
 * the file says what it saw. The records must match it byte for byte:
 * a full copy, a copy cut short by the end of the stack's mapping
 * (SHORT), and one cut short by a PROT_NONE page (SHORT | FAULT).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

struct stack_seen {			/* as cat_target.c writes it */
	uint64_t ip, sp;
	uint64_t regs[6];		/* rbx rbp r12 r13 r14 r15 */
	uint64_t len;
	uint64_t ret;			/* the real return address */
};

#define SEEN_FILE "/tmp/cat_stack_seen"
#define REC_STACK(h) ((const struct cat_rec_probe_stack *)(h))

FIXTURE(stack) {
	struct cat_session s;
	uint64_t off;			/* cat_stack_target's file offset */
	struct stack_seen seen;
	unsigned char *bytes;
};

FIXTURE_SETUP(stack)
{
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
	ASSERT_EQ(0, cat_elf_sym_offset(self->s.path, "cat_stack_target",
					&self->off, NULL));
	self->bytes = NULL;
}

FIXTURE_TEARDOWN(stack)
{
	free(self->bytes);
	unlink(SEEN_FILE);
	sess_cleanup(&self->s);
}

static void read_seen(struct __test_metadata *_metadata,
		      FIXTURE_DATA(stack) *self)
{
	int fd = open(SEEN_FILE, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(self->seen), read(fd, &self->seen, sizeof(self->seen)));
	ASSERT_GT(self->seen.len, 24);
	self->bytes = malloc(self->seen.len);
	ASSERT_NE(NULL, self->bytes);
	ASSERT_EQ((ssize_t)self->seen.len, read(fd, self->bytes, self->seen.len));
	close(fd);
}

/* Trace one "stack KIND N" call with probe mode @mode; read what it saw. */
static void run(struct __test_metadata *_metadata, FIXTURE_DATA(stack) *self,
		const char *kind, const char *n, const char *mode)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_spawn(s, "stack", kind, n, SEEN_FILE));
	ASSERT_EQ(0, cat_control("target %d", s->child.pid));
	ASSERT_EQ(0, cat_control("probe 7 %s 0 %llu %s", mode,
				 (unsigned long long)self->off, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0)
		TH_LOG("cat_target failed: wait status %#x", s->status);
	check_stats_consistent(_metadata, s);
	read_seen(_metadata, self);
}

/*
 * The one entry of probe 7, and the record after it on its thread: its
 * stack record. Checks what every stack record must say; returns it.
 */
static const struct cat_rec_probe_stack *
the_stack(struct __test_metadata *_metadata, FIXTURE_DATA(stack) *self,
	  uint32_t requested)
{
	const struct cat_trace *t = &self->s.tr;
	const struct cat_rec_probe_entry *e = NULL;
	const struct cat_rec_probe_stack *k = NULL;
	const struct stack_seen *w = &self->seen;

	for (size_t i = 0; i < t->n; i++) {
		const struct cat_rec_header *h = t->rec[i];

		if (h->type == CAT_REC_PROBE_ENTRY) {
			EXPECT_EQ(NULL, e) TH_LOG("more than one entry");
			e = REC_ENTRY(h);
			for (size_t j = i + 1; j < t->n && !k; j++)
				if (t->rec[j]->tid == h->tid)
					k = REC_STACK(t->rec[j]);
		}
	}
	EXPECT_EQ(1, cat_trace_count(t, CAT_REC_PROBE_STACK, 0));
	if (!e || !k) {
		EXPECT_TRUE(e && k) TH_LOG("no entry, or nothing after it");
		return NULL;
	}
	EXPECT_EQ(CAT_REC_PROBE_STACK, k->h.type);
	if (k->h.type != CAT_REC_PROBE_STACK)
		return NULL;
	EXPECT_EQ(7, k->probe_id);
	EXPECT_EQ(e->h.time_ns, k->h.time_ns);
	EXPECT_EQ(e->h.tgid, k->h.tgid);
	EXPECT_EQ(e->h.cpu, k->h.cpu);
	EXPECT_EQ(requested, k->requested);
	EXPECT_EQ(cat_stack_size(k->size), k->h.size);
	EXPECT_EQ(0, k->reserved);
	/* the registers at cat_stack_target's first instruction */
	EXPECT_EQ(w->ip, k->regs[CAT_STACK_REG_IP]);
	EXPECT_EQ(w->ip, e->ip);
	EXPECT_EQ(w->sp, k->regs[CAT_STACK_REG_SP]);
	EXPECT_EQ(w->regs[0], k->regs[CAT_STACK_REG_BX]);
	EXPECT_EQ(w->regs[1], k->regs[CAT_STACK_REG_BP]);
	EXPECT_EQ(w->regs[2], k->regs[CAT_STACK_REG_R12]);
	EXPECT_EQ(w->regs[3], k->regs[CAT_STACK_REG_R13]);
	EXPECT_EQ(w->regs[4], k->regs[CAT_STACK_REG_R14]);
	EXPECT_EQ(w->regs[5], k->regs[CAT_STACK_REG_R15]);
	/*
	 * The stack bytes, exactly; then zero padding. The first word is
	 * the return address: cat.ko copies it before the kernel swaps in
	 * its uretprobe trampoline ("both"), so it is the real one even
	 * where the function itself sees the trampoline.
	 */
	EXPECT_EQ(w->len, k->size);
	EXPECT_EQ(0, memcmp(k->data, &w->ret, 8));
	if (k->size == w->len) {
		EXPECT_EQ(0, memcmp(k->data + 8, self->bytes + 8, k->size - 8))
			TH_LOG("stack bytes differ");
	}
	if (!(e->h.flags & CAT_ENTRY_F_NO_RETURN) && !count_probe(&self->s.tr,
	    CAT_REC_PROBE_RETURN, 7, 0)) {
		EXPECT_EQ(0, memcmp(self->bytes, &w->ret, 8));
	}
	for (uint32_t i = k->size; i < cat_stack_size(k->size) - sizeof(*k); i++) {
		EXPECT_EQ(0, k->data[i]);
	}
	/* +stack implies +ra: the entry's return address is the first word */
	EXPECT_EQ(CAT_ENTRY_F_RET_ADDR, e->h.flags);
	EXPECT_EQ(0, memcmp(&e->args[e->nargs], k->data, 8));
	/* byte i of the pattern is (offset in the mapping) * 7 + 3: check
	 * the copy really is the stack (24 pushed bytes aside) */
	EXPECT_EQ((unsigned char)(self->bytes[24] + 7), self->bytes[25]);
	EXPECT_EQ(1, self->s.st.total.stacks);
	return k;
}

TEST_F(stack, full_copy_exact)
{
	const struct cat_rec_probe_stack *k;

	run(_metadata, self, "full", "16384", "entry+stack=16384");
	k = the_stack(_metadata, self, 16384);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(0, k->h.flags);
	EXPECT_EQ(16384, k->size);
	EXPECT_EQ(0, self->s.st.total.stack_short);
	EXPECT_EQ(0, self->s.st.total.stack_faults);
	EXPECT_EQ(0, self->s.st.total.dropped);
}

/* "both": the stack follows the entry; the return is unchanged */
TEST_F(stack, both_and_odd_size)
{
	const struct cat_rec_probe_stack *k;

	run(_metadata, self, "full", "4104", "both+stack=4104");
	k = the_stack(_metadata, self, 4104);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(0, k->h.flags);
	EXPECT_EQ(4104, k->size);
	EXPECT_EQ(1, count_probe(&self->s.tr, CAT_REC_PROBE_RETURN, 7, 0));
	/* the function itself saw the kernel's trampoline there instead */
	EXPECT_NE(0, memcmp(self->bytes, &self->seen.ret, 8));
}

/* The stack's mapping ends 1000 bytes above sp: a short copy, no fault. */
TEST_F(stack, short_at_end_of_mapping)
{
	const struct cat_rec_probe_stack *k;

	run(_metadata, self, "end", "16384", "entry+stack=16384");
	k = the_stack(_metadata, self, 16384);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(1000, k->size);
	EXPECT_EQ(CAT_STACK_F_SHORT, k->h.flags);
	EXPECT_EQ(1, self->s.st.total.stack_short);
	EXPECT_EQ(0, self->s.st.total.stack_faults);
}

/* A PROT_NONE page 1000 bytes above sp: short, and flagged a fault. */
TEST_F(stack, fault_at_unreadable_page)
{
	const struct cat_rec_probe_stack *k;

	run(_metadata, self, "guard", "16384", "entry+stack");
	k = the_stack(_metadata, self, CAT_DEFAULT_STACK_COPY);
	ASSERT_NE(NULL, k);
	EXPECT_EQ(1000, k->size);
	EXPECT_EQ(CAT_STACK_F_SHORT | CAT_STACK_F_FAULT, k->h.flags);
	EXPECT_EQ(1, self->s.st.total.stack_short);
	EXPECT_EQ(1, self->s.st.total.stack_faults);
}

/* Count mode copies nothing. */
TEST_F(stack, count_mode_copies_nothing)
{
	struct cat_session *s = &self->s;

	ASSERT_EQ(0, sess_spawn(s, "stack", "full", "4096", SEEN_FILE));
	ASSERT_EQ(0, cat_control("target %d", s->child.pid));
	ASSERT_EQ(0, cat_control("mode count"));
	ASSERT_EQ(0, cat_control("probe 7 entry+stack 0 %llu %s",
				 (unsigned long long)self->off, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	EXPECT_EQ(1, s->st.total.uprobe_hits);
	EXPECT_EQ(0, s->st.total.stacks);
	EXPECT_EQ(0, cat_trace_count(&s->tr, CAT_REC_PROBE_STACK, 0));
}

/*
 * Buffers too small for all of them: every stack record that is written
 * directly follows its entry, and every drop is counted (stats balance).
 */
TEST_F(stack, drops_counted_and_paired)
{
	struct cat_session *s = &self->s;
	const struct cat_trace *t = &s->tr;
	size_t entries = 0, stacks = 0;

	ASSERT_EQ(0, sess_spawn(s, "stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE,
				"stack", "full", "8192", SEEN_FILE));
	ASSERT_EQ(0, cat_control("target %d", s->child.pid));
	ASSERT_EQ(0, cat_control("buffers 16384 2"));
	ASSERT_EQ(0, cat_control("probe 7 entry+stack=8192 0 %llu %s",
				 (unsigned long long)self->off, s->path));
	ASSERT_EQ(0, sess_start(s)) TH_LOG("%s", s->err);
	ASSERT_EQ(0, cat_child_release(&s->child));
	ASSERT_EQ(0, sess_finish(s)) TH_LOG("%s", s->err);
	ASSERT_TRUE(WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0);
	check_stats_consistent(_metadata, s);
	EXPECT_EQ(8, s->st.total.uprobe_hits);
	EXPECT_EQ(8, s->st.total.stacks);
	EXPECT_GT(s->st.total.dropped, 0);
	for (size_t i = 0; i < t->n; i++) {
		const struct cat_rec_header *h = t->rec[i];

		if (h->type == CAT_REC_PROBE_STACK) {
			stacks++;
			ASSERT_GT(i, 0);
			EXPECT_EQ(CAT_REC_PROBE_ENTRY, t->rec[i - 1]->type);
			EXPECT_EQ(h->time_ns, t->rec[i - 1]->time_ns);
			EXPECT_EQ(8192, REC_STACK(h)->size);
		} else if (h->type == CAT_REC_PROBE_ENTRY) {
			entries++;
		}
	}
	EXPECT_GT(stacks, 0);
	EXPECT_LE(stacks, entries);
	EXPECT_EQ(s->st.total.records + s->st.total.dropped,
		  s->st.total.uprobe_hits + s->st.total.stacks +
		  s->st.total.sched_switch + s->st.total.lifecycle);
}

/* ---- grammar ---- */

static char *control_text(void)
{
	static char buf[8192];
	int fd = open(cat_path(CAT_CONTROL_FILE), O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

TEST_F(stack, grammar)
{
	static const char *const bad[] = {
		"entry+stack=0", "entry+stack=56", "entry+stack=65",
		"entry+stack=49160", "entry+stack=", "entry+stack=+64",
		"entry+stack=0x", "entry+stack==64", "entry+stack=64=64",
		"return+stack", "entry+ra=64", "both=64", "entry=64",
		"entry+stack+ra", "stack", "both+stack=1000000000000",
	};
	const char *path = self->s.path;
	char line[256], *txt;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, cat_control("probe 1 %s 0 %llu %s", bad[i],
					      (unsigned long long)self->off, path))
			TH_LOG("mode '%s' accepted", bad[i]);
	}
	ASSERT_EQ(0, cat_control("probe 1 entry+stack 0 %llu %s",
				 (unsigned long long)self->off, path));
	ASSERT_EQ(0, cat_control("probe 2 both+stack=0x40 1 %llu %s",
				 (unsigned long long)self->off, path));
	ASSERT_EQ(0, cat_control("probe 3 both+stack=49152 6 %llu %s",
				 (unsigned long long)self->off, path));
	txt = control_text();
	ASSERT_NE(NULL, txt);
	snprintf(line, sizeof(line), "probe 1 entry+stack=%d 0 0x%llx %s\n",
		 CAT_DEFAULT_STACK_COPY, (unsigned long long)self->off, path);
	EXPECT_NE(NULL, strstr(txt, line)) TH_LOG("'%s' not in:\n%s", line, txt);
	snprintf(line, sizeof(line), "probe 2 both+stack=64 1 0x%llx %s\n",
		 (unsigned long long)self->off, path);
	EXPECT_NE(NULL, strstr(txt, line)) TH_LOG("'%s' not in:\n%s", line, txt);
	snprintf(line, sizeof(line), "probe 3 both+stack=49152 6 0x%llx %s\n",
		 (unsigned long long)self->off, path);
	EXPECT_NE(NULL, strstr(txt, line)) TH_LOG("'%s' not in:\n%s", line, txt);
}

/* A copy that cannot fit a subbuffer: start fails, nothing changes. */
TEST_F(stack, too_big_for_subbuffer)
{
	struct cat_session *s = &self->s;
	char before[8192], *after;

	ASSERT_EQ(0, sess_spawn(s, "stack", "full", "64", SEEN_FILE));
	ASSERT_EQ(0, cat_control("target %d", s->child.pid));
	ASSERT_EQ(0, cat_control("buffers 16384 2"));
	ASSERT_EQ(0, cat_control("probe 7 entry+stack=16384 0 %llu %s",
				 (unsigned long long)self->off, s->path));
	snprintf(before, sizeof(before), "%s", control_text());
	EXPECT_EQ(-EMSGSIZE, cat_control("start"));
	after = control_text();
	ASSERT_NE(NULL, after);
	EXPECT_STREQ(before, after);
	/* the largest copy that fits one 16 KiB subbuffer works */
	ASSERT_EQ(0, cat_control("unprobe 7"));
	ASSERT_EQ(0, cat_control("probe 7 entry+stack=%zu 0 %llu %s",
				 16384 - sizeof(struct cat_subbuf_header) -
				 sizeof(struct cat_rec_lost) -
				 cat_entry_size(CAT_MAX_ARGS, CAT_ENTRY_F_RET_ADDR) -
				 sizeof(struct cat_rec_probe_stack),
				 (unsigned long long)self->off, s->path));
	EXPECT_EQ(0, cat_control("start"));
	EXPECT_EQ(0, cat_control("stop"));
}

TEST_HARNESS_MAIN
