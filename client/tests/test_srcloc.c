// SPDX-License-Identifier: GPL-2.0
/*
 * test_srcloc - srcloc.c against binutils "addr2line -a -f -i -C" on real
 * Rust binaries: the programs of selftests/rust (debug and release, when
 * built) and a small program compiled here with rustc (generic
 * instantiations, inlined async fns).
 *
 * For ~1000 addresses per binary (start, 1/3 and 2/3 into sampled
 * functions) every inline frame - function name, file and line - must be
 * the same as addr2line's. Addresses where addr2line itself has no line
 * (code without DWARF, e.g. parts of the prebuilt std) must still get the
 * symbol name. Each instantiation of a generic keeps its own name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksft.h"
#include "testutil.h"

#include "srcloc.h"
#include "symbols.h"

/* A Rust program with generics and inlined async code, std only. */
static const char rust_src[] =
	"use std::future::Future;\n"
	"use std::pin::Pin;\n"
	"use std::sync::Arc;\n"
	"use std::task::{Context, Poll, Wake, Waker};\n"
	"struct Noop;\n"
	"impl Wake for Noop { fn wake(self: Arc<Self>) {} }\n"
	"struct YieldOnce(bool);\n"
	"impl Future for YieldOnce {\n"
	"    type Output = ();\n"
	"    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {\n"
	"        if self.0 { Poll::Ready(()) } else {\n"
	"            self.0 = true;\n"
	"            cx.waker().wake_by_ref();\n"
	"            Poll::Pending\n"
	"        }\n"
	"    }\n"
	"}\n"
	"#[inline(never)]\n"
	"fn generic_poll<F: Future>(f: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {\n"
	"    f.poll(cx)\n"
	"}\n"
	"#[inline(always)]\n"
	"fn opaque(x: u64) -> u64 { unsafe { std::ptr::read_volatile(&x) } }\n"
	"#[inline(always)]\n"
	"fn add_one(x: u64) -> u64 { opaque(x) + 1 }\n"
	"async fn fetch_a(n: u64) -> u64 { YieldOnce(false).await; add_one(n) }\n"
	"async fn fetch_b(n: u64) -> u64 { YieldOnce(false).await; add_one(n) * 2 }\n"
	"fn block_on<F: Future>(mut f: F) -> F::Output {\n"
	"    let waker = Waker::from(Arc::new(Noop));\n"
	"    let mut cx = Context::from_waker(&waker);\n"
	"    let mut f = unsafe { Pin::new_unchecked(&mut f) };\n"
	"    loop {\n"
	"        if let Poll::Ready(v) = generic_poll(f.as_mut(), &mut cx) { return v; }\n"
	"    }\n"
	"}\n"
	"fn main() {\n"
	"    let a = block_on(fetch_a(opaque(1)));\n"
	"    let b = block_on(fetch_b(opaque(2)));\n"
	"    println!(\"{}\", a + b);\n"
	"}\n";

static char tmpdir[64];

#define PATHLEN 256

/* Build the Rust program once (-O: inlining), or NULL without rustc. */
static const char *rust_prog(void)
{
	static char path[PATHLEN];
	static int state;	/* 0 untried, 1 built, -1 failed */
	char src[PATHLEN];
	FILE *f;
	char *out;

	if (state)
		return state > 0 ? path : NULL;
	state = -1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_dwarf.%d", getpid());
	snprintf(src, sizeof(src), "%s/t.rs", tmpdir);
	snprintf(path, sizeof(path), "%s/t", tmpdir);
	out = sh("mkdir -p %s && echo ok", tmpdir);
	free(out);
	f = fopen(src, "w");
	if (!f)
		return NULL;
	fputs(rust_src, f);
	fclose(f);
	/* the test bed's rustc (Debian's, as selftests/rust uses), or $RUSTC */
	out = sh("${RUSTC:-$(command -v /usr/bin/rustc || command -v rustc)} -g -O --edition 2021 -o %s %s 2>&1 && echo BUILT",
		 path, src);
	if (out && strstr(out, "BUILT"))
		state = 1;
	free(out);
	return state > 0 ? path : NULL;
}

static char *rust_bin(const char *build, const char *prog)
{
	const char *dir = getenv("CAT_RUST_DIR");
	char *p;

	if (asprintf(&p, "%s/%s/%s", dir ? dir : CAT_TOP "/build/rust",
		     build, prog) < 0)
		return NULL;
	if (access(p, X_OK)) {
		free(p);
		return NULL;
	}
	return p;
}

/* Identical code folding: several symbols at one address; any will do. */
static bool alias_named(const struct cat_symtab *st, uint64_t vaddr,
			const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->syms[i].vaddr == vaddr && !strcmp(st->syms[i].name, name))
			return true;
	return false;
}

struct result {
	int compared, mismatched, nodwarf, nodwarf_named;
};

/* Compare srcloc.c with addr2line on sampled function addresses of @bin. */
static struct result compare(struct __test_metadata *_metadata,
			     const char *bin, size_t want)
{
	struct result res = { 0 };
	struct cat_symtab *st = NULL;
	struct cat_dwarf *d;
	char err[512], *out, *p, list[PATHLEN];
	uint64_t *addrs;
	size_t n = 0, step;
	FILE *f;

	if (cat_symtab_load(bin, &st, err, sizeof(err))) {
		TH_LOG("%s", err);
		return res;
	}
	d = cat_dwarf_open(bin, err, sizeof(err));
	if (!d) {
		TH_LOG("%s", err);
		cat_symtab_free(st);
		return res;
	}
	addrs = calloc(3 * want + 3, sizeof(*addrs));
	step = st->n / want ? st->n / want : 1;
	for (size_t i = 0; i < st->n && n < 3 * want; i += step) {
		addrs[n++] = st->syms[i].vaddr;
		addrs[n++] = st->syms[i].vaddr + st->syms[i].size / 3;
		addrs[n++] = st->syms[i].vaddr + 2 * st->syms[i].size / 3;
	}
	snprintf(list, sizeof(list), "%s/addrs", tmpdir[0] ? tmpdir : "/tmp");
	if (!tmpdir[0])
		snprintf(list, sizeof(list), "/tmp/test_dwarf.%d.addrs", getpid());
	f = fopen(list, "w");
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%#llx\n", (unsigned long long)addrs[i]);
	if (f)
		fclose(f);
	out = sh("addr2line -a -f -i -C -e '%s' < %s", bin, list);
	unlink(list);
	if (!out) {
		TH_LOG("addr2line failed");
		goto done;
	}
	/*
	 * addr2line -a: "0x<addr>" then (function, file:line) per frame,
	 * innermost first; "?" lines and "(discriminator N)" normalised.
	 */
	p = out;
	for (size_t i = 0; i < n && p && *p; i++) {
		const struct cat_src_loc *l = cat_dwarf_lookup(d, addrs[i]);
		char *fn[64], *fl[64];
		unsigned int nf = 0;
		bool nodwarf = false, bad = false;

		if (strncmp(p, "0x", 2))
			break;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
		while (p && *p && strncmp(p, "0x", 2) && nf < 64) {
			char *e1 = strchr(p, '\n'), *e2;

			if (!e1)
				break;
			*e1 = 0;
			e2 = strchr(e1 + 1, '\n');
			if (!e2)
				break;
			*e2 = 0;
			fn[nf] = p;
			fl[nf++] = e1 + 1;
			{
				char *disc = strstr(e1 + 1, " (discriminator");

				if (disc)
					*disc = 0;
			}
			p = e2 + 1;
		}
		if (!nf)
			continue;
		/*
		 * ":?" (no file, no line): binutils found a line table near
		 * code with no DWARF of its own (Debian's prebuilt std has
		 * some); it knows no more than the symbol either.
		 */
		if (!strncmp(fl[0], "??", 2) || strstr(fl[0], "-cgu.") ||
		    !strcmp(fl[0], ":?") || !strcmp(fl[0], ":0"))
			nodwarf = true;
		if (nodwarf) {
			/* no line info: the symbol name must still be there */
			if (strcmp(fn[0], "??")) {
				res.nodwarf++;
				if (l->symbol && (!strcmp(l->symbol, fn[0]) ||
						  strstr(fn[0], l->symbol) ||
						  alias_named(st, addrs[i] - l->sym_offset,
							      fn[0])))
					res.nodwarf_named++;
				else if (res.nodwarf - res.nodwarf_named < 4)
					TH_LOG("%#llx: addr2line: %s, srcloc.c: %s",
					       (unsigned long long)addrs[i],
					       fn[0], l->symbol ? l->symbol : "(none)");
			}
			continue;
		}
		res.compared++;
		if (l->nframes != nf) {
			bad = true;
		} else {
			for (unsigned int k = 0; k < nf; k++) {
				char want_fl[4200];

				snprintf(want_fl, sizeof(want_fl), "%s:%u",
					 l->frames[k].file, l->frames[k].line);
				if (!strncmp(fl[k] + strlen(fl[k]) - 2, ":?", 2))
					strcpy(fl[k] + strlen(fl[k]) - 1, "0");
				if (strcmp(fn[k], l->frames[k].function) ||
				    strcmp(fl[k], want_fl))
					bad = true;
			}
		}
		if (bad && res.mismatched++ < 5)
			TH_LOG("%s %#llx: addr2line says %s at %s (%u frames), srcloc.c %s at %s:%u (%u frames)",
			       bin, (unsigned long long)addrs[i], fn[0], fl[0],
			       nf, l->nframes ? l->frames[0].function : "-",
			       l->nframes ? l->frames[0].file : "-",
			       l->nframes ? l->frames[0].line : 0, l->nframes);
	}
	free(out);
done:
	free(addrs);
	cat_dwarf_close(d);
	cat_symtab_free(st);
	return res;
}

static void check_binary(struct __test_metadata *_metadata, const char *bin)
{
	struct result r = compare(_metadata, bin, 400);

	TH_LOG("%s: %d addresses compared, %d differ; %d without DWARF, %d of them named",
	       bin, r.compared, r.mismatched, r.nodwarf, r.nodwarf_named);
	EXPECT_GT(r.compared, 100);
	EXPECT_EQ(0, r.mismatched);
	EXPECT_EQ(r.nodwarf, r.nodwarf_named);
}

TEST(matches_addr2line_on_rustc_program)
{
	const char *bin = rust_prog();

	if (!bin)
		SKIP(return, "rustc not available");
	check_binary(_metadata, bin);
}

/*
 * One test per program and build, each with its own time limit: with
 * Debian's std (full DWARF) one addr2line run takes several seconds.
 */
FIXTURE(selftest_prog) {
	char *bin;
};

FIXTURE_VARIANT(selftest_prog) {
	const char *build, *prog;
};

FIXTURE_VARIANT_ADD(selftest_prog, debug_tokio_multi) { "debug", "tokio_multi" };
FIXTURE_VARIANT_ADD(selftest_prog, debug_asyncstd_demo) { "debug", "asyncstd_demo" };
FIXTURE_VARIANT_ADD(selftest_prog, debug_tokio_bench) { "debug", "tokio_bench" };
FIXTURE_VARIANT_ADD(selftest_prog, release_tokio_multi) { "release", "tokio_multi" };
FIXTURE_VARIANT_ADD(selftest_prog, release_asyncstd_demo) { "release", "asyncstd_demo" };
FIXTURE_VARIANT_ADD(selftest_prog, release_tokio_bench) { "release", "tokio_bench" };

FIXTURE_SETUP(selftest_prog)
{
	self->bin = rust_bin(variant->build, variant->prog);
}

FIXTURE_TEARDOWN(selftest_prog)
{
	free(self->bin);
}

TEST_F_TIMEOUT(selftest_prog, matches_addr2line, 180)
{
	if (!self->bin)
		SKIP(return, "selftests/rust programs not built");
	check_binary(_metadata, self->bin);
}

/*
 * Inlined async fn: its own line, inside the generic that polls it -
 * t::generic_poll itself, or (rustc < 1.67, where generic_poll is a jump
 * to GenFuture<T>::poll and the body a generator) GenFuture<T>::poll.
 */
TEST(inline_frames_and_generic_instances)
{
	static const char genfuture_poll[] =
		"<core::future::from_generator::GenFuture<T> as core::future::future::Future>::poll";
	const char *bin = rust_prog();
	struct cat_symtab *st;
	struct cat_dwarf *d;
	char err[256];
	const struct cat_src_loc *inst[2] = { NULL, NULL };
	int ninst = 0, inlined = 0;

	if (!bin)
		SKIP(return, "rustc not available");
	ASSERT_EQ(0, cat_symtab_load(bin, &st, err, sizeof(err))) TH_LOG("%s", err);
	d = cat_dwarf_open(bin, err, sizeof(err));
	ASSERT_NE(NULL, d);
	for (size_t i = 0; i < st->n; i++) {
		const struct cat_sym *s = &st->syms[i];

		if (!strcmp(s->name, "t::generic_poll")) {
			if (ninst < 2)
				inst[ninst] = cat_dwarf_lookup(d, s->vaddr);
			ninst++;
		} else if (strcmp(s->name, genfuture_poll)) {
			continue;
		}
		/* somewhere inside, fetch_a/fetch_b's body is inlined */
		for (uint64_t a = s->vaddr; a < s->vaddr + s->size; a++) {
			const struct cat_src_loc *l = cat_dwarf_lookup(d, a);

			if (l->nframes >= 2 &&
			    strstr(l->frames[0].function, "fetch_") &&
			    strstr(l->frames[0].file, "t.rs") &&
			    !strcmp(l->frames[l->nframes - 1].function, s->name)) {
				inlined++;
				break;
			}
		}
	}
	ASSERT_EQ(2, ninst);
	ASSERT_NE(NULL, inst[0]);
	ASSERT_NE(NULL, inst[1]);
	/* same demangled symbol, two names, each with its own parameters */
	EXPECT_STRNE(inst[0]->name, inst[1]->name);
	EXPECT_EQ(0, strncmp(inst[0]->name, "t::generic_poll<", 16));
	EXPECT_NE(NULL, strstr(inst[0]->name, "fetch_"));
	EXPECT_EQ(2, inlined);
	cat_dwarf_close(d);
	cat_symtab_free(st);
}

/* Without DWARF an address still gets its symbol. */
TEST(stripped_debuginfo_falls_back_to_symbols)
{
	const char *bin = rust_prog();
	char stripped[PATHLEN + 16], err[256], *out;
	struct cat_symtab *st;
	struct cat_dwarf *d;
	int found = 0;

	if (!bin)
		SKIP(return, "rustc not available");
	snprintf(stripped, sizeof(stripped), "%s.nodebug", bin);
	out = sh("objcopy --strip-debug %s %s && echo OK", bin, stripped);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, strstr(out, "OK"));
	free(out);
	ASSERT_EQ(0, cat_symtab_load(stripped, &st, err, sizeof(err)));
	d = cat_dwarf_open(stripped, err, sizeof(err));
	ASSERT_NE(NULL, d);
	EXPECT_FALSE(cat_dwarf_has_debuginfo(d));
	for (size_t i = 0; i < st->n; i++) {
		const struct cat_src_loc *l;

		if (strcmp(st->syms[i].name, "t::generic_poll"))
			continue;
		l = cat_dwarf_lookup(d, st->syms[i].vaddr + 1);
		EXPECT_EQ(0, l->nframes);
		EXPECT_STREQ("t::generic_poll+0x1", l->where);
		EXPECT_STREQ("t::generic_poll", l->name);
		found++;
	}
	EXPECT_EQ(2, found);
	/* and an address in nothing at all */
	EXPECT_STREQ("0x1", cat_dwarf_lookup(d, 1)->where);
	EXPECT_STREQ("??", cat_dwarf_lookup(NULL, 1)->where);
	cat_dwarf_close(d);
	cat_symtab_free(st);
	unlink(stripped);
}

TEST(not_elf)
{
	char err[256];

	EXPECT_EQ(NULL, cat_dwarf_open("/nonexistent", err, sizeof(err)));
	EXPECT_EQ(NULL, cat_dwarf_open("/etc/passwd", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not an ELF"));
}

TEST(cleanup)
{
	char *out;

	if (!tmpdir[0])
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_dwarf.%d", getpid());
	out = sh("rm -rf %s", tmpdir);
	free(out);
}

TEST_HARNESS_MAIN
