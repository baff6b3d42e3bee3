// SPDX-License-Identifier: GPL-2.0
/*
 * test_symname - host unit tests of symname.c: one normalised path for a
 * Rust function, the same under legacy and v0 mangling.
 *
 * The rules are checked on the spellings libiberty prints (taken from
 * real binaries), and the property that matters on real binaries: the
 * same program built by the same rustc with legacy and with v0 names
 * (build/rust-1.95 and build/rust-v0, built by the Makefile with rustup's
 * cargo) has exactly the same set of normalised paths for its tokio and
 * async-task functions. Without those builds the test says SKIP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksft.h"
#include "testutil.h"

#include "symbols.h"
#include "symname.h"

static void expect_path(struct __test_metadata *_metadata, const char *in,
			const char *want)
{
	char *p = cat_symname_path(in);

	ASSERT_NE(NULL, p);
	if (strcmp(p, want))
		TH_LOG("'%s' -> '%s', want '%s'", in, p, want);
	EXPECT_STREQ(want, p);
	free(p);
}

/* The spellings of one function under both manglings meet. */
TEST(legacy_and_v0_spellings)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* a generic function: v0 turbofish */
		{ "tokio::runtime::task::raw::poll", "tokio::runtime::task::raw::poll" },
		{ "tokio::runtime::task::raw::poll::<core::pin::Pin<alloc::boxed::Box<tokio_multi::main::{closure#0}::{closure#0}>>, alloc::sync::Arc<tokio::runtime::scheduler::current_thread::Handle>>",
		  "tokio::runtime::task::raw::poll" },
		/* an inherent impl method: legacy Type<params>::f, v0 <Type<args>>::f */
		{ "async_task::raw::RawTask<F,T,S>::run", "async_task::raw::RawTask::run" },
		{ "<async_task::raw::RawTask<core::pin::Pin<alloc::boxed::Box<F>>, (), S, M>>::run",
		  "async_task::raw::RawTask::run" },
		{ "tokio::runtime::task::harness::Harness<T,S>::complete",
		  "tokio::runtime::task::harness::Harness::complete" },
		{ "<tokio::runtime::task::list::OwnedTasks<alloc::sync::Arc<tokio::runtime::scheduler::current_thread::Handle>>>::bind::<core::pin::Pin<alloc::boxed::Box<tokio_multi::main::{closure#0}::{closure#0}>>>",
		  "tokio::runtime::task::list::OwnedTasks::bind" },
		/* closures: {{closure}} and {closure#N} */
		{ "tokio_multi::yielder::{{closure}}", "tokio_multi::yielder::{closure}" },
		{ "tokio_multi::yielder::{closure#0}", "tokio_multi::yielder::{closure}" },
		{ "<tokio::runtime::task::harness::Harness<F, S>>::poll::{closure#0}",
		  "tokio::runtime::task::harness::Harness::poll::{closure}" },
		/* a trait impl keeps its <A as B>, both sides normalised */
		{ "<tokio::runtime::blocking::task::BlockingTask<T> as core::future::future::Future>::poll",
		  "<tokio::runtime::blocking::task::BlockingTask as core::future::future::Future>::poll" },
		{ "<tokio::runtime::blocking::task::BlockingTask<tokio::fs::read::{closure#0}> as core::future::future::Future>::poll",
		  "<tokio::runtime::blocking::task::BlockingTask as core::future::future::Future>::poll" },
		{ "<alloc::boxed::Box<dyn core::ops::function::FnOnce<(), Output = ()>> as core::ops::function::FnOnce<()>>::call_once",
		  "<alloc::boxed::Box as core::ops::function::FnOnce>::call_once" },
		/* legacy generic glue: drop_in_place<T> */
		{ "core::ptr::drop_in_place<tokio::runtime::task::core::Stage<u8>>", "core::ptr::drop_in_place" },
		{ "core::ptr::drop_in_place::<tokio::runtime::task::core::Stage<u8>>", "core::ptr::drop_in_place" },
		/* an inherent impl on a non-path type stays bracketed */
		{ "<[u8]>::copy_within::<core::ops::range::RangeInclusive<usize>>", "<[u8]>::copy_within" },
		{ "<str>::trim_start_matches::<&str>", "str::trim_start_matches" },
		/* fn types: "->" closes no bracket, "for<'a> " is dropped */
		{ "<for<'a> fn(&'a mut W<'a>) -> core::result::Result<(), E> as x::FormatTime>::format_time",
		  "<fn(&'a mut W) -> core::result::Result as x::FormatTime>::format_time" },
		/* v0 disambiguators (DMGL_VERBOSE, c++filt), shims, const blocks */
		{ "rustc_data_structures[2c167692117eb14d]::outline::<x[ab]::Y>", "rustc_data_structures::outline" },
		{ "<a::B as c::D>::f::{shim:vtable#0}", "<a::B as c::D>::f::{shim:vtable}" },
		{ "a::CTX::{K#0}::{closure#1}::VAL", "a::CTX::{constant}::{closure}::VAL" },
		{ "a::CTX::{{constant}}::{{closure}}::VAL", "a::CTX::{constant}::{closure}::VAL" },
		/* legacy impl segments read like v0 */
		{ "tokio::runtime::scheduler::current_thread::<impl tokio::runtime::task::Schedule for alloc::sync::Arc<tokio::runtime::scheduler::current_thread::Handle>>::schedule",
		  "<alloc::sync::Arc as tokio::runtime::task::Schedule>::schedule" },
		{ "<alloc::sync::Arc<tokio::runtime::scheduler::current_thread::Handle> as tokio::runtime::task::Schedule>::schedule",
		  "<alloc::sync::Arc as tokio::runtime::task::Schedule>::schedule" },
		{ "core::slice::<impl [T]>::len", "<[T]>::len" },
		{ "a::b::<impl a::b::C<T>>::f::{{closure}}", "a::b::C::f::{closure}" },
		{ "a::{impl#3}::b", "a::{impl}::b" },
		/* a slice type after a name is no disambiguator */
		{ "a::f::<[f32]>", "a::f" },
		/* a legacy hash left by the demangler */
		{ "a::b::h0123456789abcdef", "a::b" },
		{ "a::b::h0123456789abcdeg", "a::b::h0123456789abcdeg" },
		/* not Rust, or malformed: kept from the first open bracket */
		{ "main", "main" },
		{ "a::b<c", "a::b<c" },
		{ "", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_path(_metadata, cases[i].in, cases[i].want);
}

/* At most twice as long as its input ({K#0} -> {constant}), and idempotent. */
TEST(idempotent)
{
	static const char *const in[] = {
		"<async_task::raw::RawTask<F, T, S, M>>::run",
		"<tokio::runtime::blocking::task::BlockingTask<T> as core::future::future::Future>::poll",
		"<[u8]>::len", "a::{{closure}}::{closure#3}", "x<y>>z", ">", "<", "{{", "{a#}",
		"{K#0}{K#1}", "a::<impl b::C for d::E<F>>::g", "a::<impl ", "a::<impl >",
	};
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *a = cat_symname_path(in[i]), *b;

		ASSERT_NE(NULL, a);
		EXPECT_LE(strlen(a), 2 * strlen(in[i]));
		b = cat_symname_path(a);
		ASSERT_NE(NULL, b);
		EXPECT_STREQ(a, b);
		free(a);
		free(b);
	}
}

static char *build_bin(const char *dir, const char *build, const char *prog)
{
	char *p;

	if (asprintf(&p, "%s/build/%s/%s/%s", CAT_TOP, dir, build, prog) < 0)
		return NULL;
	return p;
}

static int has_v0(const char *bin)
{
	char *n = sh("nm --defined-only '%s' 2>/dev/null | awk '$3 ~ /^_R/' | grep -c _RNv", bin);
	int ok = n && atoi(n) > 0;

	free(n);
	return ok;
}

/*
 * The sorted set of normalised paths (one per line) of @bin's function
 * symbols under the crates @re matches, from libiberty via symbols.c.
 */
static char *path_set(const char *bin, const char *re)
{
	struct cat_symtab *st;
	char err[512], tmp[64], *out;
	size_t i;
	FILE *f;

	if (cat_symtab_load(bin, &st, err, sizeof(err)))
		return NULL;
	snprintf(tmp, sizeof(tmp), "/tmp/cat-test-paths-%d", (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		cat_symtab_free(st);
		return NULL;
	}
	for (i = 0; i < st->n; i++)
		fprintf(f, "%s\n", st->syms[i].path);
	fclose(f);
	cat_symtab_free(st);
	out = sh("grep -E '%s' '%s' | sort -u; rm -f '%s'", re, tmp, tmp);
	return out;
}

static int in_set(const char *set, const char *line)
{
	char key[4096];
	size_t n = strlen(line);

	snprintf(key, sizeof(key), "\n%s\n", line);
	return strstr(set, key) || (!strncmp(set, line, n) && set[n] == '\n');
}

/*
 * Same rustc, same sources, legacy vs v0 names: the runtimes' plain
 * paths and inherent impls normalise to the same set, and the profiles'
 * paths are in it. The one thing legacy names differently: a trait's
 * provided method (legacy "a::Tr::m", v0 "<Ty as a::Tr>::m"); every
 * legacy-only path must be such a method that v0 has.
 */
TEST(same_paths_legacy_and_v0)
{
	static const char *const progs[] = { "tokio_multi", "asyncstd_demo" };
	static const char re[] = "^<?(tokio|async_task|async_executor|async_std)::[^ ]*$";
	size_t p;

	for (p = 0; p < 2; p++) {
		char *leg = build_bin("rust-1.95", "debug", progs[p]);
		char *v0 = build_bin("rust-v0", "debug", progs[p]);
		char *a, *b, *full, *copy, *line, *save = NULL;
		size_t n = 0, only_v0 = 0, only_leg = 0, provided = 0;

		if (access(leg, R_OK) || access(v0, R_OK)) {
			free(leg);
			free(v0);
			SKIP(return, "build/rust-1.95 and build/rust-v0 not built (no rustup cargo: make -C client/tests rust-mangling)");
		}
		ASSERT_TRUE(has_v0(v0)) TH_LOG("%s has no v0 names", v0);
		a = path_set(leg, re);
		b = path_set(v0, re);
		full = path_set(v0, ".");
		ASSERT_NE(NULL, a);
		ASSERT_NE(NULL, b);
		ASSERT_NE(NULL, full);

		copy = strdup(b);
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			n++;
			if (!in_set(a, line) && only_v0++ < 5)
				TH_LOG("only in v0: %s", line);
		}
		free(copy);
		copy = strdup(a);
		save = NULL;
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *k = strrchr(line, ':'), key[4096];

			if (in_set(b, line))
				continue;
			if (k && k > line + 1 && k[-1] == ':') {
				snprintf(key, sizeof(key), " as %.*s>::%s\n",
					 (int)(k - 1 - line), line, k + 1);
				if (strstr(full, key)) {
					provided++;
					continue;
				}
			}
			if (only_leg++ < 5)
				TH_LOG("only in legacy: %s", line);
		}
		free(copy);
		TH_LOG("%s: %zu distinct runtime paths, %zu legacy-only provided trait methods",
		       progs[p], n, provided);
		EXPECT_GT(n, 100);
		EXPECT_EQ(0, only_v0);
		EXPECT_EQ(0, only_leg);
		if (p == 0) {
			EXPECT_TRUE(in_set(b, "tokio::runtime::task::raw::poll"));
			EXPECT_TRUE(in_set(b, "tokio::runtime::task::harness::Harness::complete"));
			EXPECT_TRUE(in_set(b, "tokio::runtime::task::list::OwnedTasks::bind"));
			EXPECT_TRUE(in_set(full, "<tokio::runtime::blocking::task::BlockingTask as core::future::future::Future>::poll"));
		} else {
			EXPECT_TRUE(in_set(b, "async_task::raw::RawTask::run"));
			EXPECT_TRUE(in_set(b, "async_executor::Executor::spawn"));
		}
		free(a);
		free(b);
		free(full);
		free(leg);
		free(v0);
	}
}

/* No v0 artefact is left in any path of a v0 binary. */
TEST(v0_paths_clean)
{
	char *bin = build_bin("rust-v0", "release", "tokio_multi");
	struct cat_symtab *st;
	char err[512];
	size_t i, bad = 0, v0 = 0;

	if (access(bin, R_OK)) {
		free(bin);
		SKIP(return, "build/rust-v0 not built (no rustup cargo)");
	}
	ASSERT_EQ(0, cat_symtab_load(bin, &st, err, sizeof(err))) TH_LOG("%s", err);
	for (i = 0; i < st->n; i++) {
		const char *p = st->syms[i].path;

		if (strncmp(st->syms[i].mangled, "_R", 2))
			continue;
		v0++;
		if (strchr(p, '#') || strstr(p, "::<") || strstr(p, "{{")) {
			if (bad++ < 5)
				TH_LOG("%s -> %s", st->syms[i].name, p);
		}
	}
	TH_LOG("%zu v0 symbols", v0);
	EXPECT_GT(v0, 1000);
	EXPECT_EQ(0, bad);
	cat_symtab_free(st);
	free(bin);
}

TEST_HARNESS_MAIN
