// SPDX-License-Identifier: GPL-2.0
/*
 * test_unwind - unwind.c and spawnsite.c on a real program built here.
 *
 * The program plays cat.ko's part itself: its "runtime" (under vendor/,
 * library code by the spawn-site rule) has a spawn function that inlines
 * a helper and calls a bind function, which calls an assembler stub
 * rt_probe(). The stub records, at its first instruction, what cat.ko's
 * "+stack" probe records (ip, sp, rbp, rbx, r12-r15 and the stack bytes
 * above sp, read without writing the stack) and the program writes each
 * capture as a CAT_REC_PROBE_STACK, with what it knows itself: the
 * return addresses of bind and spawn (__builtin_return_address) and the
 * __FILE__:__LINE__ of each spawn call in the program's own code (one
 * from main, one from an always_inline helper of the program's, whose
 * inline frame is the site). Built -O0 and -O2 (inlining, no frame
 * pointers: only the CFI can unwind it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksft.h"
#include "testutil.h"

#include "spawnsite.h"
#include "srcloc.h"
#include "symbols.h"
#include "unwind.h"

static const char rt_h[] =
	"void rt_spawn(int k);\n"
	"extern void *cap_ra_bind, *cap_ra_spawn;\n"
	"extern unsigned long cap_regs[8], cap_len;\n"
	"extern unsigned char cap_stack[];\n";

static const char rt_c[] =
	"#include \"rt.h\"\n"
	"void rt_probe(void);\n"
	"void *cap_ra_bind, *cap_ra_spawn;\n"
	"volatile int rt_sink;\n"
	"__attribute__((noinline)) void rt_bind(int x)\n"
	"{\n"
	"	cap_ra_bind = __builtin_return_address(0);\n"
	"	rt_probe();\n"
	"	rt_sink += x;\n"
	"}\n"
	"static inline __attribute__((always_inline)) void rt_spawn_inner(int k)\n"
	"{\n"
	"	rt_bind(k * 3);\n"
	"	rt_sink++;\n"
	"}\n"
	"__attribute__((noinline)) void rt_spawn(int k)\n"
	"{\n"
	"	cap_ra_spawn = __builtin_return_address(0);\n"
	"	rt_spawn_inner(k);\n"
	"	rt_sink++;\n"
	"}\n";

/* rt_probe: regs at entry, then cap_len bytes from sp, nothing written above sp */
static const char cap_s[] =
	"	.text\n"
	"	.globl rt_probe\n"
	"	.type rt_probe, @function\n"
	"rt_probe:\n"
	"	.cfi_startproc\n"
	"	mov %rsp, cap_regs+8(%rip)\n"
	"	mov %rbp, cap_regs+16(%rip)\n"
	"	mov %rbx, cap_regs+24(%rip)\n"
	"	mov %r12, cap_regs+32(%rip)\n"
	"	mov %r13, cap_regs+40(%rip)\n"
	"	mov %r14, cap_regs+48(%rip)\n"
	"	mov %r15, cap_regs+56(%rip)\n"
	"	lea rt_probe(%rip), %rax\n"
	"	mov %rax, cap_regs(%rip)\n"
	"	mov %rsp, %rsi\n"
	"	lea cap_stack(%rip), %rdi\n"
	"	mov cap_len(%rip), %rcx\n"
	"	cld\n"
	"	rep movsb\n"
	"	ret\n"
	"	.cfi_endproc\n"
	"	.size rt_probe, .-rt_probe\n"
	"	.bss\n"
	"	.globl cap_regs, cap_len, cap_stack\n"
	"	.balign 8\n"
	"cap_regs: .zero 64\n"
	"cap_len: .zero 8\n"
	"cap_stack: .zero 16384\n"
	"	.section .note.GNU-stack,\"\",@progbits\n";

static const char main_c[] =
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include \"../../vendor/rt/src/rt.h\"\n"
	"static FILE *out;\n"
	"static unsigned long stack_end;\n"
	"/* one capture: regs[8], ra_bind, ra_spawn, len, line, file[64], bytes */\n"
	"static void expect(int line)\n"
	"{\n"
	"	unsigned long w[12] = { 0 };\n"
	"	char file[64] = { 0 };\n"
	"	memcpy(w, cap_regs, sizeof(cap_regs));\n"
	"	w[8] = (unsigned long)cap_ra_bind;\n"
	"	w[9] = (unsigned long)cap_ra_spawn;\n"
	"	w[10] = cap_len;\n"
	"	w[11] = line;\n"
	"	snprintf(file, sizeof(file), \"%s\", __FILE__);\n"
	"	fwrite(w, sizeof(w), 1, out);\n"
	"	fwrite(file, sizeof(file), 1, out);\n"
	"	fwrite(cap_stack, 1, cap_len, out);\n"
	"}\n"
	"static inline __attribute__((always_inline)) void helper(int k)\n"
	"{\n"
	"	rt_spawn(k); expect(__LINE__);\n"
	"}\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	char line[512];\n"
	"	unsigned long here = (unsigned long)&line, lo, hi;\n"
	"	FILE *maps = fopen(\"/proc/self/maps\", \"r\");\n"
	"	while (maps && fgets(line, sizeof(line), maps))\n"
	"		if (sscanf(line, \"%lx-%lx\", &lo, &hi) == 2 && lo <= here && here < hi)\n"
	"			stack_end = hi;\n"
	"	/* the probe's sp is below &line: this much is always mapped */\n"
	"	cap_len = stack_end - here < 16384 ? (stack_end - here) & ~7ul : 16384;\n"
	"	out = fopen(argv[1], \"w\");\n"
	"	if (!out)\n"
	"		return 1;\n"
	"	rt_spawn(1); expect(__LINE__);\n"
	"	helper(2);\n"
	"	return fclose(out) ? 1 : 0;\n"
	"}\n";

struct capture {
	struct cat_rec_probe_stack *k;
	uint64_t ra_bind, ra_spawn;
	char site[128];			/* __FILE__:__LINE__ of the call */
};

struct prog {
	char dir[64], bin[128];
	struct capture cap[2];
	int ncap;
	uint64_t bias;
	uint64_t vaddr_probe;
};

static int put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Build with @cflags, run, read the captures. 0 or -1. */
static int build_run(struct prog *p, const char *cflags)
{
	char *out, path[256];
	struct cat_symtab *st;
	size_t len, off = 0;
	char *data;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/test_unwind.XXXXXX");
	if (!mkdtemp(p->dir))
		return -1;
	out = sh("mkdir -p %s/app/src %s/vendor/rt/src && echo ok", p->dir, p->dir);
	free(out);
	if (put(p->dir, "vendor/rt/src/rt.h", rt_h) ||
	    put(p->dir, "vendor/rt/src/rt.c", rt_c) ||
	    put(p->dir, "vendor/rt/src/cap.S", cap_s) ||
	    put(p->dir, "app/src/main.c", main_c))
		return -1;
	snprintf(p->bin, sizeof(p->bin), "%s/prog", p->dir);
	out = sh("cd %s && gcc -g %s -o prog app/src/main.c vendor/rt/src/rt.c vendor/rt/src/cap.S 2>&1 && ./prog caps && echo RAN",
		 p->dir, cflags);
	if (!out || !strstr(out, "RAN")) {
		fprintf(stderr, "# build/run failed: %s\n", out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	snprintf(path, sizeof(path), "%s/caps", p->dir);
	data = slurp(path, &len);
	if (!data)
		return -1;
	while (p->ncap < 2 && off + 96 + 64 <= len) {
		uint64_t w[12];
		struct capture *c = &p->cap[p->ncap];
		struct cat_rec_probe_stack *k;

		memcpy(w, data + off, sizeof(w));
		off += sizeof(w);
		if (off + 64 + w[10] > len)
			break;
		k = calloc(1, cat_stack_size(w[10]));
		if (!k)
			break;
		k->h.type = CAT_REC_PROBE_STACK;
		k->h.size = cat_stack_size(w[10]);
		k->h.tid = 1;
		k->size = k->requested = w[10];
		memcpy(k->regs, w, 8 * sizeof(uint64_t));
		snprintf(c->site, sizeof(c->site), "%.64s:%llu", data + off,
			 (unsigned long long)w[11]);
		off += 64;
		memcpy(k->data, data + off, w[10]);
		off += w[10];
		c->k = k;
		c->ra_bind = w[8];
		c->ra_spawn = w[9];
		p->ncap++;
	}
	free(data);
	if (cat_symtab_load(p->bin, &st, NULL, 0))
		return -1;
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->syms[i].name, "rt_probe"))
			p->vaddr_probe = st->syms[i].vaddr;
	cat_symtab_free(st);
	if (p->ncap != 2 || !p->vaddr_probe)
		return -1;
	p->bias = p->cap[0].k->regs[CAT_STACK_REG_IP] - p->vaddr_probe;
	return 0;
}

static void prog_free(struct prog *p)
{
	char *out;

	for (int i = 0; i < p->ncap; i++)
		free(p->cap[i].k);
	if (p->dir[0] == '/') {
		out = sh("rm -rf %s", p->dir);
		free(out);
	}
}

FIXTURE(unwind) {
	struct prog p;
};

FIXTURE_VARIANT(unwind) {
	const char *cflags;
};

FIXTURE_VARIANT_ADD(unwind, O0) { .cflags = "-O0" };
FIXTURE_VARIANT_ADD(unwind, O2) { .cflags = "-O2 -fomit-frame-pointer" };

FIXTURE_SETUP(unwind)
{
	ASSERT_EQ(0, build_run(&self->p, variant->cflags));
}

FIXTURE_TEARDOWN(unwind)
{
	prog_free(&self->p);
}

/* The machine frames are exactly the return addresses the program saw. */
TEST_F(unwind, frames_are_the_real_return_addresses)
{
	struct prog *p = &self->p;
	char err[256];
	struct cat_unwinder *u = cat_unwind_open(p->bin, err, sizeof(err));

	ASSERT_NE(NULL, u) TH_LOG("%s", err);
	for (int i = 0; i < 2; i++) {
		const struct capture *c = &p->cap[i];
		uint64_t pcs[CAT_UNWIND_MAX_FRAMES], ra0;
		int n = cat_unwind(u, p->bias, c->k, pcs, CAT_UNWIND_MAX_FRAMES);

		memcpy(&ra0, c->k->data, 8);
		ASSERT_GE(n, 4) TH_LOG("capture %d: %d frames", i, n);
		EXPECT_EQ(p->vaddr_probe, pcs[0]);
		EXPECT_EQ(ra0 - p->bias, pcs[1]);		/* into rt_bind */
		EXPECT_EQ(c->ra_bind - p->bias, pcs[2]);	/* into rt_spawn */
		EXPECT_EQ(c->ra_spawn - p->bias, pcs[3]);	/* into main */
	}
	/* one module report for every record at one bias */
	EXPECT_EQ(1, cat_unwind_stats(u)->reports);
	EXPECT_EQ(2, cat_unwind_stats(u)->records);
	cat_unwind_close(u);
}

/* A copy cut above the first return address gives the first frame only. */
TEST_F(unwind, short_copy_ends_the_chain)
{
	struct prog *p = &self->p;
	char err[256];
	struct cat_unwinder *u = cat_unwind_open(p->bin, err, sizeof(err));
	struct cat_rec_probe_stack *k = p->cap[0].k;
	uint64_t pcs[8];
	uint32_t full = k->size;

	ASSERT_NE(NULL, u);
	k->size = 4;
	EXPECT_EQ(1, cat_unwind(u, p->bias, k, pcs, 8));
	EXPECT_EQ(p->vaddr_probe, pcs[0]);
	k->size = full;
	/* at most @max frames */
	EXPECT_EQ(2, cat_unwind(u, p->bias, k, pcs, 2));
	cat_unwind_close(u);
}

/* The site is the program's line, inline helper included; the rest is kept. */
TEST_F(unwind, spawn_site_is_the_programs_line)
{
	struct prog *p = &self->p;
	char err[256], buf[512];
	struct cat_unwinder *u = cat_unwind_open(p->bin, err, sizeof(err));
	struct cat_dwarf *d = cat_dwarf_open(p->bin, err, sizeof(err));
	struct cat_spawnsites *s;

	ASSERT_NE(NULL, u);
	ASSERT_NE(NULL, d);
	s = cat_spawnsites_new(d, u);
	ASSERT_NE(NULL, s);
	for (int i = 0; i < 2; i++) {
		const struct cat_backtrace *bt =
			cat_spawnsites_unwind(s, p->bias, p->cap[i].k);
		bool seen_main = false, seen_inner = false, seen_helper = false;

		ASSERT_NE(NULL, bt);
		ASSERT_LE(0, bt->site);
		EXPECT_STREQ(p->cap[i].site, bt->site_where);
		/* everything inside the site is the runtime's (vendor/) */
		for (int j = 0; j < bt->site; j++) {
			EXPECT_FALSE(bt->frames[j].program);
			if (bt->frames[j].src &&
			    !strcmp(bt->frames[j].src->function, "rt_spawn_inner"))
				seen_inner = true;
		}
		EXPECT_TRUE(seen_inner) TH_LOG("no inline frame rt_spawn_inner");
		for (unsigned int j = bt->site; j < bt->nframes; j++) {
			if (bt->frames[j].src &&
			    !strcmp(bt->frames[j].src->function, "main"))
				seen_main = true;
			if (bt->frames[j].src &&
			    !strcmp(bt->frames[j].src->function, "helper"))
				seen_helper = true;
		}
		EXPECT_TRUE(seen_main);
		/* the second spawn's site is the inlined helper's line */
		EXPECT_EQ(i == 1, seen_helper);
		if (i == 1) {
			EXPECT_STREQ("helper", bt->frames[bt->site].src->function);
		}
		EXPECT_NE(NULL, strstr(cat_bt_frame_str(bt, bt->site, buf, sizeof(buf)),
				       p->cap[i].site));
		/* the same stack again is the same backtrace, not a new one */
		EXPECT_EQ(bt, cat_spawnsites_unwind(s, p->bias, p->cap[i].k));
	}
	EXPECT_EQ(2, cat_spawnsites_stats(s)->unique);
	EXPECT_EQ(4, cat_spawnsites_stats(s)->lookups);
	cat_spawnsites_free(s);
	cat_dwarf_close(d);
	cat_unwind_close(u);
}

/* Library code by source path: sysroots, registries, vendor trees. */
TEST(library_paths)
{
	static const struct { const char *path; bool lib; } cases[] = {
		{ "/rustc/897e37553bba8b42751c67658967889d11ecd120/library/core/src/ops/function.rs", true },
		{ "/usr/src/rustc-1.63.0/library/std/src/thread/mod.rs", true },
		{ "/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.53.0/src/task/spawn.rs", true },
		{ "/usr/share/cargo/registry/smol-1.3.0/src/spawn.rs", true },
		{ "/work/app/vendor/hyper/src/common/exec.rs", true },
		{ "vendor/rt/src/rt.c", true },
		{ "/root/.cargo/git/checkouts/tokio-abc/src/lib.rs", true },
		{ "/root/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/src/rust/library/std/src/rt.rs", true },
		{ "/usr/include/x86_64-linux-gnu/bits/stdio2.h", true },
		{ "/rust/deps/hashbrown-0.17.1/src/raw.rs", true },
		{ "/cargo/registry/src/index.crates.io-6f17d22bba15001f/hashbrown-0.14.5/src/raw/mod.rs", true },
		{ "/src/build/current/ws/rust/tokio_multi/src/main.rs", false },
		{ "??", true },
		{ "", true },
		{ "/work/main/selftests/rust/tokio_multi/src/main.rs", false },
		{ "tokio_multi/src/main.rs", false },
		{ "/home/u/vendorless/src/main.rs", false },
		{ "/home/u/my_registry/src/lib.rs", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EXPECT_EQ(cases[i].lib, cat_src_is_library(cases[i].path))
			TH_LOG("%s", cases[i].path);
	}
}

TEST(not_elf)
{
	char err[256];

	EXPECT_EQ(NULL, cat_unwind_open("/etc/passwd", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/etc/passwd"));
}

TEST_HARNESS_MAIN
