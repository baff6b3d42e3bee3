// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbols - host unit tests of symbols.c and profiles.c on the real
 * Rust programs of selftests/rust (debug and release builds).
 *
 * Every expected value comes from the binary itself through binutils
 * (nm, c++filt, readelf, strip), never from a hard-coded list, so these
 * tests fail if symbols.c or profiles.c disagree with the toolchain, and
 * keep working when the programs or the compiler change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksft.h"
#include "testutil.h"

#include "profiles.h"
#include "symbols.h"

static const char *const builds[] = { "debug", "release" };

static char *rust_bin(const char *build, const char *prog)
{
	const char *dir = getenv("CAT_RUST_DIR");
	char *p;

	if (asprintf(&p, "%s/%s/%s", dir ? dir : CAT_TOP "/build/rust", build, prog) < 0)
		return NULL;
	return p;
}

static long sh_long(const char *fmt, const char *a, const char *b)
{
	char *out = sh(fmt, a, b);
	long v = out ? strtol(out, NULL, 10) : -1;

	free(out);
	return v;
}

static size_t count_role(const struct cat_probe_table *t, enum cat_probe_role role,
			 enum cat_ctx_type ctx)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->probes[i].role == role && (ctx == CAT_CTX_MAX || t->probes[i].ctx == ctx))
			n++;
	return n;
}

static size_t count_symbol(const struct cat_probe_table *t, const char *sym)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->probes[i].symbol, sym))
			n++;
	return n;
}

static const struct cat_report_item *report_item(const struct cat_profile_report *r,
						 const char *rule)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].rule, rule))
			return &r->items[i];
	return NULL;
}

/* ------------------------------------------------------------------ */

TEST(demangle_known_names)
{
	char *s;

	/* legacy, hash and release ".llvm.N" suffix stripped */
	s = cat_demangle("_ZN5tokio7runtime4task3raw4poll17h1aa34da3df31dd68E.llvm.4883306510815682194");
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("tokio::runtime::task::raw::poll", s);
	free(s);
	/* legacy with escapes: an impl path and {{closure}} */
	s = cat_demangle("_ZN121_$LT$tokio..task..yield_now..yield_now..$u7b$$u7b$closure$u7d$$u7d$..YieldNow$u20$as$u20$core..future..future..Future$GT$4poll17h03ca7c18d16ece85E");
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("<tokio::task::yield_now::yield_now::{{closure}}::YieldNow as core::future::future::Future>::poll", s);
	free(s);
	/* v0 */
	s = cat_demangle("_RINvMNtCsgEmfK2I1SDS_4core3stre18trim_start_matchesReECsgY6Mt91CT9J_14rustc_demangle");
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("<str>::trim_start_matches::<&str>", s);
	free(s);
	/* not mangled */
	EXPECT_EQ(NULL, cat_demangle("main"));
	/* hash stripping alone */
	s = strdup("a::b::h0123456789abcdef");
	EXPECT_STREQ("a::b", cat_strip_hash(s));
	free(s);
	s = strdup("a::b::h0123456789abcdeg");
	EXPECT_STREQ("a::b::h0123456789abcdeg", cat_strip_hash(s));
	free(s);
}

/*
 * Remove v0 crate disambiguators "[<hex>]" (c++filt prints them inside
 * generic arguments; cat drops them like the legacy hashes). At least 8
 * hex digits, so that a slice type such as [f32] stays.
 */
static void strip_v0_hashes(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		/* c++filt also types const generics: "<10: usize>" */
		if (r > s && r[0] == ':' && r[1] == ' ' && r[-1] >= '0' && r[-1] <= '9') {
			size_t n = strspn(r + 2, "iusizebolchar0123456789");

			if (n && (r[2 + n] == '>' || r[2 + n] == ',')) {
				r += 2 + n;
				continue;
			}
		}
		if (*r == '[') {
			size_t n = strspn(r + 1, "0123456789abcdef");

			if (n >= 8 && r[1 + n] == ']') {
				r += n + 2;
				continue;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
}

/*
 * Every Rust symbol of the binary (legacy and v0) demangles as c++filt
 * does, once c++filt's hashes (legacy "::h<hash>", v0 "[<hash>]") are
 * removed.
 */
TEST(demangle_matches_cxxfilt)
{
	size_t b;

	for (b = 0; b < 2; b++) {
		char *bin = rust_bin(builds[b], "tokio_multi");
		char *mangled, *filt, *m, *f, *msave = NULL, *fsave = NULL;
		size_t n = 0, legacy = 0, v0 = 0, bad = 0;

		mangled = sh("nm --defined-only '%s' | awk '$3 ~ /^(_ZN|_R)/ {print $3}' | sort -u | head -n 3000", bin);
		filt = sh("nm --defined-only '%s' | awk '$3 ~ /^(_ZN|_R)/ {print $3}' | sort -u | head -n 3000 | c++filt", bin);
		ASSERT_NE(NULL, mangled);
		ASSERT_NE(NULL, filt);
		for (m = strtok_r(mangled, "\n", &msave), f = strtok_r(filt, "\n", &fsave);
		     m && f; m = strtok_r(NULL, "\n", &msave), f = strtok_r(NULL, "\n", &fsave)) {
			char *ours = cat_demangle(m);
			char *theirs = strdup(f);
			char *dot;

			/* c++filt keeps a ".llvm.N" suffix after the hash */
			dot = strstr(theirs, ".llvm.");
			if (dot)
				*dot = '\0';
			cat_strip_hash(theirs);
			strip_v0_hashes(theirs);
			if (!ours || strcmp(ours, theirs)) {
				if (bad++ < 5)
					TH_LOG("%s: ours '%s' c++filt '%s'", m, ours ? ours : "(null)", theirs);
			}
			if (m[1] == 'R')
				v0++;
			else
				legacy++;
			n++;
			free(ours);
			free(theirs);
		}
		TH_LOG("%s: %zu symbols (%zu legacy, %zu v0), %zu differ", builds[b], n, legacy, v0, bad);
		EXPECT_GT(legacy, 100);
		/*
		 * v0 names come only from a std built with them (rustup's
		 * 1.95 std, rustc >= 1.97 everywhere); Debian 12's 1.63 has
		 * none: then demangle_known_names is the v0 coverage here.
		 */
		if (!v0)
			TH_LOG("%s: no v0 symbol in this toolchain's binary", builds[b]);
		EXPECT_EQ(0, bad);
		free(mangled);
		free(filt);
		free(bin);
	}
}

/* raw::poll / RawTask::run: one probe per distinct address, as nm sees them */
TEST(task_poll_count_matches_nm)
{
	static const struct {
		const char *prog, *nm_re;
	} cases[] = {
		{ "tokio_multi", "_ZN5tokio7runtime4task3raw4poll17h" },
		{ "tokio_bench", "_ZN5tokio7runtime4task3raw4poll17h" },
		{ "asyncstd_demo", "_ZN10async_task3raw[0-9]+RawTask.*3run17h" },
	};
	size_t b, c;

	for (b = 0; b < 2; b++)
		for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			struct cat_probe_table t = { 0 };
			struct cat_profile_report r;
			char *bin = rust_bin(builds[b], cases[c].prog);
			char err[512];
			long expect;

			ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, &r,
							 err, sizeof(err))) TH_LOG("%s", err);
			expect = sh_long("nm --defined-only '%s' | grep -E ' [tT] %s' | awk '{print $1}' | sort -u | wc -l",
					 bin, cases[c].nm_re);
			TH_LOG("%s/%s: %zu task poll probes, nm: %ld", builds[b], cases[c].prog,
			       count_role(&t, CAT_ROLE_TASK_POLL, CAT_CTX_TASK), expect);
			EXPECT_GT(expect, 0);
			EXPECT_EQ((size_t)expect, count_role(&t, CAT_ROLE_TASK_POLL, CAT_CTX_TASK));
			cat_profile_report_free(&r);
			cat_profile_table_free(&t);
			free(bin);
		}
}

/* Each probe's file offset is what the executable PT_LOAD (readelf) implies. */
TEST(file_offsets_match_readelf)
{
	size_t b, i;

	for (b = 0; b < 2; b++) {
		struct cat_probe_table t = { 0 };
		char *bin = rust_bin(builds[b], "tokio_multi");
		char *segs, *line, *save = NULL;
		unsigned long long off[8], va[8], fsz[8];
		size_t nseg = 0, bad = 0;
		struct stat stb;
		uint64_t o = 0;

		ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, NULL, NULL, 0));
		ASSERT_EQ(0, stat(bin, &stb));
		/* LOAD offset vaddr paddr filesz memsz flags align */
		segs = sh("readelf -lW '%s' | awk '$1 == \"LOAD\" && ($7 ~ /E/ || $8 ~ /E/) {print $2, $3, $5}'", bin);
		ASSERT_NE(NULL, segs);
		for (line = strtok_r(segs, "\n", &save); line && nseg < 8;
		     line = strtok_r(NULL, "\n", &save))
			if (sscanf(line, "%llx %llx %llx", &off[nseg], &va[nseg], &fsz[nseg]) == 3)
				nseg++;
		ASSERT_GT(nseg, 0);
		ASSERT_GT(t.n, 0);
		for (i = 0; i < t.n; i++) {
			const struct cat_probe *p = &t.probes[i];
			size_t s;
			int ok = 0;

			if (p->id != i)
				bad++;
			for (s = 0; s < nseg; s++)
				if (p->vaddr >= va[s] && p->vaddr < va[s] + fsz[s])
					ok = p->file_offset == p->vaddr - va[s] + off[s];
			if (!ok || p->file_offset >= (unsigned long long)stb.st_size) {
				bad++;
				if (bad < 5)
					TH_LOG("%s: vaddr 0x%llx offset 0x%llx", p->symbol,
					       (unsigned long long)p->vaddr,
					       (unsigned long long)p->file_offset);
			}
		}
		EXPECT_EQ(0, bad);
		EXPECT_EQ(0, cat_symtab_vaddr_to_offset(bin, t.probes[0].vaddr, &o));
		EXPECT_EQ(t.probes[0].file_offset, o);
		EXPECT_EQ(-1, cat_symtab_vaddr_to_offset(bin, 0x10, &o));
		free(segs);
		cat_profile_table_free(&t);
		free(bin);
	}
}

/* Each probe's vaddr and mangled name are a symbol nm lists, as a function. */
TEST(probes_are_nm_functions)
{
	size_t b, i;

	for (b = 0; b < 2; b++) {
		struct cat_probe_table t = { 0 };
		char *bin = rust_bin(builds[b], "asyncstd_demo");
		char *nm;
		size_t bad = 0;

		ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, NULL, NULL, 0));
		nm = sh("nm --defined-only '%s' | awk '$2 ~ /^[tTwW]$/ {print $1, $3}'", bin);
		ASSERT_NE(NULL, nm);
		for (i = 0; i < t.n; i++) {
			char key[2048];

			snprintf(key, sizeof(key), "%016llx %s\n",
				 (unsigned long long)t.probes[i].vaddr, t.probes[i].mangled);
			if (!strstr(nm, key) && bad++ < 5)
				TH_LOG("not in nm: %s", key);
		}
		EXPECT_EQ(0, bad);
		free(nm);
		cat_profile_table_free(&t);
		free(bin);
	}
}

TEST(runtime_autodetect)
{
	static const struct {
		const char *prog;
		enum cat_runtime rt;
	} cases[] = {
		{ "tokio_multi", CAT_RT_TOKIO },
		{ "tokio_bench", CAT_RT_TOKIO },
		{ "asyncstd_demo", CAT_RT_ASYNC_STD },
	};
	size_t b, c;

	for (b = 0; b < 2; b++)
		for (c = 0; c < 3; c++) {
			struct cat_symtab *st;
			char *bin = rust_bin(builds[b], cases[c].prog);
			char err[512];

			ASSERT_EQ(0, cat_symtab_load(bin, &st, err, sizeof(err))) TH_LOG("%s", err);
			EXPECT_EQ(cases[c].rt, cat_runtime_detect(st));
			cat_symtab_free(st);
			free(bin);
		}
}

/* tokio: the roles the rebuilder needs are found in debug AND release */
TEST(tokio_profile_roles)
{
	size_t b;

	for (b = 0; b < 2; b++) {
		struct cat_probe_table t = { 0 };
		struct cat_profile_report r;
		char *bin = rust_bin(builds[b], "tokio_multi");
		const struct cat_report_item *it;
		long nm_blocking;

		ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, &r, NULL, 0));
		EXPECT_EQ(CAT_RT_TOKIO, r.runtime);
		ASSERT_NE(NULL, r.crate);
		EXPECT_STREQ("tokio_multi", r.crate);
		EXPECT_GT(count_role(&t, CAT_ROLE_TASK_DEALLOC, CAT_CTX_MAX), 0);
		EXPECT_EQ(2, count_role(&t, CAT_ROLE_WAKE, CAT_CTX_MAX));
		EXPECT_GT(count_symbol(&t, "tokio::runtime::task::list::OwnedTasks<S>::bind"), 0);
		EXPECT_GT(count_symbol(&t, "tokio::runtime::blocking::pool::spawn_blocking"), 0);
		/* the user's impl Future (#[inline(never)]) */
		EXPECT_EQ(1, count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_USER));
		/*
		 * The async bodies: probed in debug builds; in release ones
		 * probed where out of line, else reported as inlined (rustc
		 * 1.63 inlines them all).
		 */
		if (b == 0)
			EXPECT_GT(count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER), 0);
		EXPECT_GT(count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER) +
			  r.n_inlined_bodies, 0);
		/* task probes of the spawn role return the task: mode both */
		it = report_item(&r, "tokio.bind");
		ASSERT_NE(NULL, it);
		EXPECT_GT(it->found, 0);

		/* BlockingTask::poll: found exactly when nm has it out of line */
		nm_blocking = sh_long("nm --defined-only '%s' | grep -E ' [tT] %s' | awk '{print $1}' | sort -u | wc -l",
				      bin, "_ZN.*BlockingTask.*Future.*4poll17h");
		it = report_item(&r, "tokio.blocking_poll");
		ASSERT_NE(NULL, it);
		EXPECT_EQ((size_t)nm_blocking, it->found);
		if (!it->found) {
			ASSERT_NE(NULL, it->message);
			EXPECT_NE(NULL, strstr(it->message, "inlined"));
		}
		TH_LOG("%s: %zu probes, %zu warnings, BlockingTask::poll %ld", builds[b],
		       t.n, r.n_warnings, nm_blocking);
		EXPECT_LT(t.n, 4096);
		cat_profile_report_free(&r);
		cat_profile_table_free(&t);
		free(bin);
	}
}

/* In debug builds every async fn of the program is out of line. */
TEST(debug_async_bodies_all_found)
{
	struct cat_probe_table t = { 0 };
	struct cat_profile_report r;
	char *bin = rust_bin("debug", "tokio_multi");
	long nm_closures;

	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, &r, NULL, 0));
	nm_closures = sh_long("nm --defined-only '%s' | grep -E ' [tT] _ZN11tokio_multi.*closure' | awk '{print $1}' | sort -u | wc -l",
			      bin, NULL);
	EXPECT_GT(nm_closures, 5);
	/* every closure symbol is either probed or reported as no future */
	EXPECT_EQ((size_t)nm_closures,
		  count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_COMPILER) +
		  count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_ANON) + r.n_not_futures);
	/* join!'s poll_fn closure is anonymous; spawn_blocking's is no future */
	EXPECT_GE(count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_ANON), 1);
	EXPECT_GE(r.n_not_futures, 1);
	EXPECT_EQ(1, count_symbol(&t, "tokio_multi::yielder::{{closure}}"));
	EXPECT_EQ(0, r.n_inlined_bodies);
	/* Poll<u32> comes back in rax; Poll<[u64; 4]> through a return slot */
	for (size_t i = 0; i < t.n; i++) {
		if (!strcmp(t.probes[i].symbol, "tokio_multi::yielder::{{closure}}"))
			EXPECT_EQ(2, t.probes[i].nargs);
		if (!strcmp(t.probes[i].symbol, "tokio_multi::wide::{{closure}}"))
			EXPECT_EQ(3, t.probes[i].nargs);
	}
	EXPECT_EQ(1, count_symbol(&t, "tokio_multi::wide::{{closure}}"));
	cat_profile_report_free(&r);
	cat_profile_table_free(&t);
	free(bin);
}

/*
 * In debug builds every async fn of the sources (the list comes from the
 * sources, not from the binary) is probed as a compiler future, whatever
 * the compiler makes of it: a body returning Poll<T> (rustc >= 1.67) or a
 * generator resume function returning GeneratorState<(), T> that
 * GenFuture<T>::poll calls (rustc < 1.67, Debian 12's 1.63).
 */
TEST(debug_async_fns_probed_as_futures)
{
	static const char *const progs[] = { "tokio_multi", "asyncstd_demo", "tokio_bench" };
	size_t p;

	for (p = 0; p < 3; p++) {
		struct cat_probe_table t = { 0 };
		struct cat_profile_report r;
		char *bin = rust_bin("debug", progs[p]);
		char *names, *name, *save = NULL, *gen;
		size_t i, nfn = 0;

		ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, &r, NULL, 0));
		names = sh("sed -nE 's/^async fn ([a-z_0-9]+).*/\\1/p' '%s/selftests/rust/%s/src/main.rs'",
			   CAT_TOP, progs[p]);
		ASSERT_NE(NULL, names);
		gen = sh("readelf --debug-dump=info '%s' 2>/dev/null | grep -c 'DW_AT_name.*: GeneratorState<'", bin);
		TH_LOG("%s: async bodies encoded as %s", progs[p],
		       gen && atoi(gen) > 0 ? "generators (GeneratorState<(), T>)" : "Poll<T> functions");
		free(gen);
		for (name = strtok_r(names, "\n", &save); name;
		     name = strtok_r(NULL, "\n", &save)) {
			char sym[256];
			int found = 0;

			if (!strcmp(name, "main"))
				continue;
			nfn++;
			snprintf(sym, sizeof(sym), "%s::%s::{{closure}}", progs[p], name);
			for (i = 0; i < t.n; i++)
				if (!strcmp(t.probes[i].symbol, sym)) {
					found++;
					EXPECT_EQ(CAT_ROLE_FUTURE_POLL, t.probes[i].role);
					EXPECT_EQ(CAT_CTX_COMPILER, t.probes[i].ctx);
					EXPECT_EQ(CAT_PROBE_BOTH, t.probes[i].mode & CAT_PROBE_BOTH);
				}
			if (found != 1)
				TH_LOG("%s: %s probed %d times", progs[p], sym, found);
			EXPECT_EQ(1, found);
		}
		EXPECT_GT(nfn, 0);
		free(names);
		cat_profile_report_free(&r);
		cat_profile_table_free(&t);
		free(bin);
	}
}

TEST(async_std_profile)
{
	size_t b;

	for (b = 0; b < 2; b++) {
		struct cat_probe_table t = { 0 };
		struct cat_profile_report r;
		char *bin = rust_bin(builds[b], "asyncstd_demo");
		long nm_destroy;

		ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_ASYNC_STD, NULL, 0, &t, &r, NULL, 0));
		EXPECT_EQ(CAT_RT_ASYNC_STD, r.runtime);
		nm_destroy = sh_long("nm --defined-only '%s' | grep -E ' [tT] %s' | awk '{print $1}' | sort -u | wc -l",
				     bin, "_ZN10async_task3raw[0-9]+RawTask.*7destroy17h");
		EXPECT_GT(nm_destroy, 0);
		EXPECT_EQ((size_t)nm_destroy, count_role(&t, CAT_ROLE_TASK_DEALLOC, CAT_CTX_MAX));
		EXPECT_GT(count_role(&t, CAT_ROLE_WAKE, CAT_CTX_MAX), 0);
		EXPECT_GT(count_symbol(&t, "async_executor::Executor::spawn"), 0);
		EXPECT_EQ(1, count_role(&t, CAT_ROLE_FUTURE_POLL, CAT_CTX_USER));
		/* no tokio probes in an async-std binary */
		EXPECT_EQ(0, count_symbol(&t, "tokio::runtime::task::raw::poll"));
		cat_profile_report_free(&r);
		cat_profile_table_free(&t);
		free(bin);
	}
}

/* Asking for the wrong runtime finds nothing of it, and says so. */
TEST(wrong_runtime_reported)
{
	struct cat_probe_table t = { 0 };
	struct cat_profile_report r;
	char *bin = rust_bin("release", "asyncstd_demo");
	const struct cat_report_item *it;

	/* the program's own futures are still found */
	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_TOKIO, NULL, 0, &t, &r, NULL, 0));
	EXPECT_EQ(0, count_role(&t, CAT_ROLE_TASK_POLL, CAT_CTX_MAX));
	it = report_item(&r, "runtime");
	ASSERT_NE(NULL, it);
	EXPECT_EQ(CAT_REPORT_WARN, it->level);
	it = report_item(&r, "tokio.raw_poll");
	ASSERT_NE(NULL, it);
	EXPECT_EQ(0, it->found);
	EXPECT_EQ(CAT_REPORT_WARN, it->level);
	cat_profile_report_free(&r);
	cat_profile_table_free(&t);
	free(bin);
}

TEST(probe_patterns)
{
	struct cat_probe_table t = { 0 }, t2 = { 0 };
	struct cat_profile_report r;
	char *bin = rust_bin("release", "tokio_multi");
	const char *glob[] = { "tokio::runtime::task::harness::Harness<T,S>::poll" "*" };
	const char *sub[] = { "Harness<T,S>::poll" };
	const char *none[] = { "no_such_function_anywhere" };
	long nm_harness;
	size_t before;

	ASSERT_EQ(1, cat_pattern_match("*raw::poll", "tokio::runtime::task::raw::poll"));
	ASSERT_EQ(0, cat_pattern_match("raw::poll", "tokio::runtime::task::raw::dealloc"));
	ASSERT_EQ(1, cat_pattern_match("*::raw::poll", "tokio::runtime::task::raw::poll"));
	ASSERT_EQ(1, cat_pattern_match("raw::po", "tokio::runtime::task::raw::poll"));
	ASSERT_EQ(0, cat_pattern_match("raw::poll*x", "tokio::runtime::task::raw::poll"));

	nm_harness = sh_long("nm --defined-only '%s' | grep -E ' [tT] %s' | awk '{print $1}' | sort -u | wc -l",
			     bin, "_ZN5tokio7runtime4task7harness20Harness.*4poll17h");
	EXPECT_GT(nm_harness, 0);

	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, NULL, NULL, 0));
	before = t.n;
	cat_profile_table_free(&t);

	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, glob, 1, &t, &r, NULL, 0));
	EXPECT_EQ(before + nm_harness, t.n);
	EXPECT_EQ((size_t)nm_harness, count_role(&t, CAT_ROLE_OTHER, CAT_CTX_NONE));
	cat_profile_report_free(&r);

	/* substring, appended to the same table: ids continue, no duplicates */
	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, sub, 1, &t2, NULL, NULL, 0));
	EXPECT_EQ(t.n, t2.n);
	EXPECT_EQ(t2.n - 1, t2.probes[t2.n - 1].id);

	/* a pattern that matches nothing is reported */
	cat_profile_table_free(&t);
	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, none, 1, &t, &r, NULL, 0));
	EXPECT_EQ(1, r.n_user_patterns_unmatched);
	EXPECT_EQ(before, t.n);
	cat_profile_report_free(&r);
	cat_profile_table_free(&t);
	cat_profile_table_free(&t2);
	free(bin);
}

TEST(build_id_matches_readelf)
{
	char *bin = rust_bin("release", "tokio_multi");
	char hex[129], *want;
	struct cat_probe_table t = { 0 };
	struct cat_profile_report r;
	int n;

	want = sh("readelf -n '%s' | awk '/Build ID:/ {printf \"%%s\", $3}'", bin);
	ASSERT_NE(NULL, want);
	ASSERT_GT(strlen(want), 0);
	n = cat_build_id(bin, hex, sizeof(hex));
	EXPECT_EQ((int)strlen(want) / 2, n);
	EXPECT_STREQ(want, hex);
	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, &r, NULL, 0));
	EXPECT_STREQ(want, r.build_id);
	cat_profile_report_free(&r);
	cat_profile_table_free(&t);
	free(want);
	free(bin);
}

/*
 * The spawn-site contract, checked statically: for every direct call to a
 * spawn-role probe (objdump), the return address minus one, resolved with
 * inline scopes (binutils addr2line -i), must name each spawn line the
 * program itself prints (cat-expect: spawn_line= / spawn_blocking_line=),
 * in debug and release builds.
 */
static void check_spawn_sites(struct __test_metadata *_metadata,
			      const char *build, const char *prog)
{
	struct cat_probe_table t = { 0 };
	char *bin = rust_bin(build, prog);
	char *dis, *line, *save = NULL, *addrs = NULL, *a2l, *expect;
	size_t nalloc = 0, len = 0, ncalls = 0, i, missing = 0, nexp = 0;
	char src[300];

	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, NULL, NULL, 0));
	dis = sh("objdump -d --no-show-raw-insn '%s' | grep -E '\\scall +[0-9a-f]+ <'", bin);
	ASSERT_NE(NULL, dis);
	for (line = strtok_r(dis, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long at, target;
		char *c = strstr(line, "call");

		if (sscanf(line, " %llx:", &at) != 1 || !c || sscanf(c + 4, " %llx", &target) != 1)
			continue;
		for (i = 0; i < t.n; i++) {
			if (t.probes[i].vaddr != target ||
			    (t.probes[i].role != CAT_ROLE_SPAWN &&
			     t.probes[i].role != CAT_ROLE_SPAWN_BLOCKING))
				continue;
			/* a direct call is 5 bytes: ret_addr - 1 = at + 4 */
			if (len + 32 > nalloc) {
				nalloc = nalloc ? 2 * nalloc : 4096;
				addrs = realloc(addrs, nalloc);
				ASSERT_NE(NULL, addrs);
			}
			len += sprintf(addrs + len, " 0x%llx", at + 4);
			ncalls++;
			break;
		}
	}
	ASSERT_GT(ncalls, 0);
	a2l = sh("addr2line -i -e '%s' %s", bin, addrs);
	ASSERT_NE(NULL, a2l);

	expect = sh("'%s' | sed -n 's/^cat-expect: spawn\\(_blocking\\)\\?_line=\\([^ ]*\\).*/\\2/p'", bin);
	ASSERT_NE(NULL, expect);
	save = NULL;
	for (line = strtok_r(expect, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* addr2line prints absolute paths ending in file!()'s path */
		snprintf(src, sizeof(src), "/%s\n", line);
		nexp++;
		if (!strstr(a2l, src)) {
			missing++;
			TH_LOG("%s/%s: spawn site %s not found at any spawn call", build, prog, line);
		}
	}
	TH_LOG("%s/%s: %zu spawn sites printed, %zu spawn-probe calls, %zu missing",
	       build, prog, nexp, ncalls, missing);
	EXPECT_GT(nexp, 0);
	EXPECT_EQ(0, missing);
	free(expect);
	free(a2l);
	free(addrs);
	free(dis);
	cat_profile_table_free(&t);
	free(bin);
}

TEST(spawn_sites_resolve)
{
	size_t b;

	for (b = 0; b < 2; b++) {
		check_spawn_sites(_metadata, builds[b], "tokio_multi");
		check_spawn_sites(_metadata, builds[b], "asyncstd_demo");
		check_spawn_sites(_metadata, builds[b], "tokio_bench");
	}
}

/* ------------------------------------------------------------------ */
/* Bad inputs                                                          */
/* ------------------------------------------------------------------ */

static void tmpname(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/tmp/cat-test-%s-%d", what, (int)getpid());
}

TEST(stripped_binary)
{
	char *bin = rust_bin("release", "tokio_multi");
	char tmp[256], err[512], *out;
	struct cat_probe_table t = { 0 };
	struct cat_symtab *st = NULL;

	tmpname(tmp, sizeof(tmp), "stripped");
	out = sh("strip -o '%s' '%s' && echo ok", tmp, bin);
	ASSERT_NE(NULL, out);
	ASSERT_STREQ("ok\n", out);
	free(out);
	EXPECT_EQ(CAT_SYM_ERR_NO_SYMBOLS, cat_symtab_load(tmp, &st, err, sizeof(err)));
	EXPECT_EQ(NULL, st);
	EXPECT_NE(NULL, strstr(err, "stripped"));
	EXPECT_NE(NULL, strstr(err, tmp));
	EXPECT_EQ(CAT_SYM_ERR_NO_SYMBOLS,
		  cat_profile_resolve(tmp, CAT_RT_AUTO, NULL, 0, &t, NULL, err, sizeof(err)));
	EXPECT_EQ(0, t.n);
	/* the build-id survives strip */
	EXPECT_GT(cat_build_id(tmp, err, sizeof(err)), 0);
	unlink(tmp);
	free(bin);
}

TEST(not_elf)
{
	char tmp[256], err[512];
	struct cat_symtab *st = NULL;
	FILE *f;

	tmpname(tmp, sizeof(tmp), "notelf");
	f = fopen(tmp, "w");
	ASSERT_NE(NULL, f);
	fputs("#!/bin/sh\necho this is not an ELF file\n", f);
	fclose(f);
	EXPECT_EQ(CAT_SYM_ERR_NOT_ELF, cat_symtab_load(tmp, &st, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not an ELF"));
	unlink(tmp);

	/* empty file */
	f = fopen(tmp, "w");
	ASSERT_NE(NULL, f);
	fclose(f);
	EXPECT_EQ(CAT_SYM_ERR_NOT_ELF, cat_symtab_load(tmp, &st, err, sizeof(err)));
	unlink(tmp);

	EXPECT_EQ(CAT_SYM_ERR_OPEN, cat_symtab_load("/nonexistent/cat/binary", &st, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "No such file"));
	EXPECT_NE(NULL, strstr(cat_sym_strerror(CAT_SYM_ERR_NOT_ELF), "ELF"));
}

/* A minimal, valid ELF32 (i386) header: no gcc -m32 needed. */
TEST(elf32_rejected)
{
	unsigned char h[52] = {
		0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1 /* LSB */, 1 /* EV_CURRENT */,
	};
	char tmp[256], err[512];
	struct cat_symtab *st = NULL;
	struct cat_probe_table t = { 0 };
	FILE *f;

	h[16] = 2;		/* e_type = ET_EXEC */
	h[18] = 3;		/* e_machine = EM_386 */
	h[20] = 1;		/* e_version */
	h[40] = 52;		/* e_ehsize */
	h[42] = 32;		/* e_phentsize */
	h[46] = 40;		/* e_shentsize */
	tmpname(tmp, sizeof(tmp), "elf32");
	f = fopen(tmp, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fwrite(h, sizeof(h), 1, f));
	fclose(f);
	EXPECT_EQ(CAT_SYM_ERR_ELF32, cat_symtab_load(tmp, &st, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "32-bit"));
	EXPECT_EQ(CAT_SYM_ERR_ELF32,
		  cat_profile_resolve(tmp, CAT_RT_AUTO, NULL, 0, &t, NULL, err, sizeof(err)));
	unlink(tmp);
}

/* An ELF without any async runtime: the C compiler's own test binary. */
TEST(no_runtime)
{
	char err[512];
	struct cat_probe_table t = { 0 };
	struct cat_profile_report r;
	const char *pat[] = { "sh" };

	/* /proc/self/exe is this test: an ELF64 with symbols, no runtime */
	EXPECT_EQ(CAT_SYM_ERR_NO_RUNTIME,
		  cat_profile_resolve("/proc/self/exe", CAT_RT_AUTO, NULL, 0, &t, &r,
				      err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "no async runtime"));
	cat_profile_report_free(&r);
	/* with a pattern it is fine to probe a non-async program */
	EXPECT_EQ(0, cat_profile_resolve("/proc/self/exe", CAT_RT_AUTO, pat, 1, &t, NULL,
					 err, sizeof(err)));
	EXPECT_GT(t.n, 0);
	cat_profile_table_free(&t);
}

/* ------------------------------------------------------------------ */
/* Other toolchains and runtime versions                               */
/* ------------------------------------------------------------------ */

/*
 * Distinct addresses of functions whose c++filt name (hashes and all)
 * matches the extended regex @re: binutils' count, not symbols.c's.
 */
static long nm_count(const char *bin, const char *re)
{
	return sh_long("nm --defined-only '%s' | awk '$2 ~ /^[tTwW]$/' | c++filt | "
		       "awk '{a=$1; $1=\"\"; $2=\"\"; sub(/^  /, \"\"); print a, $0}' | "
		       "grep -E '^[0-9a-f]+ %s' | cut -d' ' -f1 | sort -u | wc -l", bin, re);
}

#define NM_POLL "tokio(\\[[0-9a-f]+\\])?::runtime::task::raw::poll(::<.*|::h[0-9a-f]{16})$"
#define NM_RUN "<?async_task(\\[[0-9a-f]+\\])?::raw::RawTask<.*>>?::run(::h[0-9a-f]{16})?$"

/* No warning but about the program's own inlined bodies. */
static size_t runtime_warnings(struct __test_metadata *_metadata,
			       const struct cat_profile_report *r, const char *bin)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		if (r->items[i].level == CAT_REPORT_WARN &&
		    strncmp(r->items[i].rule, "user.", 5)) {
			TH_LOG("%s: %s: %s", bin, r->items[i].rule,
			       r->items[i].message ? r->items[i].message : "");
			n++;
		}
	return n;
}

/*
 * A program's profile, wherever it was built: the runtime is detected,
 * every task poll function binutils sees is probed, there is a task
 * probe on the spawn path and wakers, and nothing else is missing.
 */
static void check_profile(struct __test_metadata *_metadata, const char *bin)
{
	struct cat_probe_table t = { 0 };
	struct cat_profile_report r;
	char err[1024];
	size_t i, task_probes = 0;
	long nm_polls;
	int tokio;

	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t, &r, err, sizeof(err)))
		TH_LOG("%s", err);
	tokio = r.runtime == CAT_RT_TOKIO;
	ASSERT_TRUE(tokio || r.runtime == CAT_RT_ASYNC_STD) TH_LOG("%s: runtime %d", bin, r.runtime);
	nm_polls = nm_count(bin, tokio ? NM_POLL : NM_RUN);
	TH_LOG("%s: %s, %zu probes, %zu task polls (nm %ld)", bin, cat_runtime_name(r.runtime),
	       t.n, count_role(&t, CAT_ROLE_TASK_POLL, CAT_CTX_TASK), nm_polls);
	EXPECT_GT(nm_polls, 0);
	EXPECT_EQ((size_t)nm_polls, count_role(&t, CAT_ROLE_TASK_POLL, CAT_CTX_TASK));
	/* with DWARF, every task poll probe came from a vtable */
	for (i = 0; i < t.n; i++) {
		const struct cat_probe *p = &t.probes[i];

		if (p->role == CAT_ROLE_TASK_POLL)
			EXPECT_NE(NULL, strstr(p->why, "[found via ")) TH_LOG("%s", p->symbol);
		if (p->role == CAT_ROLE_SPAWN && (p->mode & CAT_PROBE_BOTH) == CAT_PROBE_BOTH)
			task_probes++;
	}
	EXPECT_GT(task_probes, 0);
	EXPECT_GT(count_role(&t, CAT_ROLE_TASK_DEALLOC, CAT_CTX_MAX), 0);
	EXPECT_GT(count_role(&t, CAT_ROLE_WAKE, CAT_CTX_MAX), 0);
	EXPECT_EQ(0, runtime_warnings(_metadata, &r, bin));
	cat_profile_report_free(&r);
	cat_profile_table_free(&t);
}

/* The selftests' programs with v0 names (build/rust-v0, rustup's rustc). */
TEST(v0_profiles)
{
	static const char *const progs[] = { "tokio_multi", "tokio_bench", "asyncstd_demo" };
	size_t b, p;

	for (b = 0; b < 2; b++)
		for (p = 0; p < 3; p++) {
			char *bin;

			if (asprintf(&bin, "%s/build/rust-v0/%s/%s", CAT_TOP, builds[b], progs[p]) < 0)
				continue;
			if (access(bin, R_OK)) {
				free(bin);
				SKIP(return, "build/rust-v0 not built (no rustup cargo: make -C client/tests rust-mangling)");
			}
			check_profile(_metadata, bin);
			free(bin);
		}
}

/*
 * Today's stack (rustc 1.97, v0 names; tokio 1.53, smol 2, async-std
 * 1.13, hyper 1), as selftests/current builds it into build/current/rust
 * (CAT_CURRENT_RUST_DIR elsewhere).
 */
TEST(current_stack_profiles)
{
	static const char *const progs[] = {
		"tokio_multi", "tokio_bench", "tokio_local", "tokio_shapes",
		"hyper_loopback", "smol_executors", "asyncstd_demo",
	};
	const char *dir = getenv("CAT_CURRENT_RUST_DIR");
	size_t b, p, n = 0;

	for (b = 0; b < 2; b++)
		for (p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
			char *bin;

			if (asprintf(&bin, "%s/%s/%s", dir ? dir : CAT_TOP "/build/current/rust",
				     builds[b], progs[p]) < 0)
				continue;
			if (!access(bin, R_OK)) {
				check_profile(_metadata, bin);
				n++;
			}
			free(bin);
		}
	if (!n)
		SKIP(return, "no current-stack programs in build/current/rust (built by selftests/current in the rustc 1.97 chroot)");
	TH_LOG("%zu current-stack programs", n);
}

TEST_HARNESS_MAIN
