// SPDX-License-Identifier: GPL-2.0
/*
 * test_vtable - host unit tests of vtable.c on the real Rust programs of
 * selftests/rust, as built by Debian's rustc (build/rust, legacy names,
 * ld.bfd) and by rustup's with v0 names (build/rust-v0, lld).
 *
 * The expectations come from binutils, not from vtable.c's own view:
 * the task vtables are the records of .data.rel.ro that the dynamic
 * relocations (readelf -r) fill with the address of a function c++filt
 * calls tokio::runtime::task::raw::poll (async-task: RawTask<..>::run);
 * every such function must be found, every found one must be such a
 * function, and the number of records is the number of those
 * relocations. Then the point of it: a renamed function (objcopy
 * --redefine-sym) is still found through its vtable, and without DWARF
 * (objcopy --strip-debug) the profile falls back to names and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksft.h"
#include "testutil.h"

#include "profiles.h"
#include "symbols.h"
#include "vtable.h"

static const char *const dirs[] = { "rust", "rust-v0" };
static const char *const builds[] = { "debug", "release" };

#define RE_POLL "^tokio(\\[[0-9a-f]+\\])?::runtime::task::raw::poll(::<.*|::h[0-9a-f]{16})$"
#define RE_DEALLOC "^tokio(\\[[0-9a-f]+\\])?::runtime::task::raw::dealloc(::<.*|::h[0-9a-f]{16})$"
#define RE_RUN "^<?async_task(\\[[0-9a-f]+\\])?::raw::RawTask<.*>>?::run(::h[0-9a-f]{16})?$"
#define RE_DESTROY "^<?async_task(\\[[0-9a-f]+\\])?::raw::RawTask<.*>>?::destroy(::h[0-9a-f]{16})?$"

static char *bin_path(const char *dir, const char *build, const char *prog)
{
	char *p;

	if (asprintf(&p, "%s/build/%s/%s/%s", CAT_TOP, dir, build, prog) < 0)
		return NULL;
	return p;
}

/*
 * binutils' view: the addresses (hex, sorted, unique, one a line) of
 * functions whose c++filt name matches @re, and how many relocations
 * of the binary's data point at one of them.
 */
static char *binutils_targets(const char *bin, const char *re, long *nrel)
{
	char tmp[64], *funcs, *cnt;

	snprintf(tmp, sizeof(tmp), "/tmp/cat-test-vt-%d", (int)getpid());
	funcs = sh("nm --defined-only '%s' | awk '$2 ~ /^[tTwW]$/' | c++filt | "
		   "awk '{a=$1; $1=\"\"; $2=\"\"; sub(/^  /, \"\"); print a, $0}' | "
		   "grep -E '^[0-9a-f]+ %s' | cut -d' ' -f1 | sed -E 's/^0+//' | LC_ALL=C sort -u | tee '%s'",
		   bin, re + 1, tmp);
	cnt = sh("readelf -rW '%s' | awk '$3 == \"R_X86_64_RELATIVE\" {print $4}' | "
		 "grep -cxF -f '%s'; rm -f '%s'", bin, tmp, tmp);
	*nrel = cnt ? strtol(cnt, NULL, 10) : -1;
	free(cnt);
	return funcs;
}

static char *set_text(const struct cat_vtables *vt, enum cat_vt_set s)
{
	char *buf = calloc(1, vt->nset[s] * 20 + 1);
	size_t i, len = 0;

	for (i = 0; buf && i < vt->nset[s]; i++)
		len += sprintf(buf + len, "%llx\n", (unsigned long long)vt->set[s][i]);
	return buf;
}

static void check_set(struct __test_metadata *_metadata, const char *bin,
		      const struct cat_vtables *vt, enum cat_vt_set s,
		      const char *re, size_t records)
{
	long nrel = -1;
	char *want = binutils_targets(bin, re, &nrel);
	char *mine = set_text(vt, s);
	char *got = mine ? sh("printf '%s' | LC_ALL=C sort -u", mine) : NULL;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	TH_LOG("%s: %s: %zu functions, %zu records; binutils: %ld relocations",
	       bin, cat_vt_set_name(s), vt->nset[s], records, nrel);
	EXPECT_GT(vt->nset[s], 0);
	EXPECT_STREQ(want, got);
	EXPECT_EQ(nrel, (long)records);
	free(want);
	free(got);
	free(mine);
}

TEST(task_functions_match_binutils)
{
	size_t d, b, tested = 0;

	for (d = 0; d < 2; d++)
		for (b = 0; b < 2; b++) {
			struct cat_symtab *st;
			struct cat_vtables vt;
			char *bin = bin_path(dirs[d], builds[b], "tokio_multi");
			char err[512];

			if (access(bin, R_OK)) {
				TH_LOG("%s not built: skipped", bin);
				free(bin);
				continue;
			}
			ASSERT_EQ(0, cat_symtab_load(bin, &st, err, sizeof(err))) TH_LOG("%s", err);
			ASSERT_EQ(0, cat_vtables_load(st, &vt));
			EXPECT_EQ(1, vt.dwarf);
			EXPECT_EQ(1, vt.kind[CAT_VT_KIND_TOKIO].described);
			EXPECT_EQ(80, vt.kind[CAT_VT_KIND_TOKIO].size);
			EXPECT_EQ(0, vt.kind[CAT_VT_KIND_ATASK].records);
			check_set(_metadata, bin, &vt, CAT_VT_TOKIO_POLL, RE_POLL,
				  vt.kind[CAT_VT_KIND_TOKIO].records);
			check_set(_metadata, bin, &vt, CAT_VT_TOKIO_DEALLOC, RE_DEALLOC,
				  vt.kind[CAT_VT_KIND_TOKIO].records);
			/* one WAKER_VTABLE, a DWARF variable: wake_by_val and wake_by_ref */
			EXPECT_EQ(1, vt.kind[CAT_VT_KIND_TOKIO_WAKER].from_vars);
			EXPECT_EQ(2, vt.nset[CAT_VT_TOKIO_WAKE]);
			cat_vtables_free(&vt);
			cat_symtab_free(st);
			free(bin);

			bin = bin_path(dirs[d], builds[b], "asyncstd_demo");
			ASSERT_EQ(0, cat_symtab_load(bin, &st, err, sizeof(err))) TH_LOG("%s", err);
			ASSERT_EQ(0, cat_vtables_load(st, &vt));
			EXPECT_EQ(1, vt.kind[CAT_VT_KIND_ATASK].described);
			EXPECT_EQ(0, vt.kind[CAT_VT_KIND_TOKIO].records);
			check_set(_metadata, bin, &vt, CAT_VT_ATASK_RUN, RE_RUN,
				  vt.kind[CAT_VT_KIND_ATASK].records);
			check_set(_metadata, bin, &vt, CAT_VT_ATASK_DESTROY, RE_DESTROY,
				  vt.kind[CAT_VT_KIND_ATASK].records);
			/* one task waker vtable per TaskVTable */
			EXPECT_EQ(vt.kind[CAT_VT_KIND_ATASK].records,
				  vt.kind[CAT_VT_KIND_ATASK_WAKER].records);
			EXPECT_GT(vt.nset[CAT_VT_ATASK_WAKE], 0);
			cat_vtables_free(&vt);
			cat_symtab_free(st);
			free(bin);
			tested++;
		}
	ASSERT_GT(tested, 0);
	if (tested < 4)
		TH_LOG("only %zu of 4 builds present (build/rust-v0 needs rustup's cargo)", tested);
}

static const struct cat_report_item *detail_of(const struct cat_profile_report *r,
					       const char *rule)
{
	size_t i;

	for (i = 0; i + 1 < r->n; i++)
		if (!strcmp(r->items[i].rule, rule) && !r->items[i].detail &&
		    r->items[i + 1].detail && !strcmp(r->items[i + 1].rule, rule))
			return &r->items[i + 1];
	return NULL;
}

static size_t count_role(const struct cat_probe_table *t, enum cat_probe_role role)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->probes[i].role == role;
	return n;
}

/*
 * Facts beat names: rename one raw::poll instantiation and strip the
 * DWARF of another copy; the vtable finds the renamed one, names alone
 * do not, and the report says which way each was found.
 */
TEST(renamed_and_stripped)
{
	char *bin = bin_path("rust", "release", "tokio_multi");
	char ren[256], nodw[256], err[512], *sym;
	struct cat_probe_table t0 = { 0 }, t1 = { 0 }, t2 = { 0 };
	struct cat_profile_report r0, r1, r2;
	const struct cat_report_item *it;
	size_t i, renamed = 0;

	snprintf(ren, sizeof(ren), "/tmp/cat-test-renamed-%d", (int)getpid());
	snprintf(nodw, sizeof(nodw), "/tmp/cat-test-nodwarf-%d", (int)getpid());
	sym = sh("nm --defined-only '%s' | awk '$3 ~ /^_ZN5tokio7runtime4task3raw4poll17h/ {print $3; exit}'", bin);
	ASSERT_NE(NULL, sym);
	sym[strcspn(sym, "\n")] = '\0';
	ASSERT_GT(strlen(sym), 0);
	free(sh("objcopy --redefine-sym '%s=renamed_poll_%d' '%s' '%s'", sym, (int)getpid(), bin, ren));
	free(sh("objcopy --strip-debug '%s' '%s'", bin, nodw));

	ASSERT_EQ(0, cat_profile_resolve(bin, CAT_RT_AUTO, NULL, 0, &t0, &r0, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, cat_profile_resolve(ren, CAT_RT_AUTO, NULL, 0, &t1, &r1, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, cat_profile_resolve(nodw, CAT_RT_AUTO, NULL, 0, &t2, &r2, err, sizeof(err))) TH_LOG("%s", err);

	/* the renamed function is still a task poll probe */
	EXPECT_EQ(count_role(&t0, CAT_ROLE_TASK_POLL), count_role(&t1, CAT_ROLE_TASK_POLL));
	for (i = 0; i < t1.n; i++)
		if (t1.probes[i].role == CAT_ROLE_TASK_POLL &&
		    !strncmp(t1.probes[i].symbol, "renamed_poll_", 13)) {
			renamed++;
			EXPECT_NE(NULL, strstr(t1.probes[i].why, "found via Vtable.poll"));
		}
	EXPECT_EQ(1, renamed);
	it = detail_of(&r1, "tokio.raw_poll");
	ASSERT_NE(NULL, it);
	TH_LOG("renamed: %s", it->message);
	EXPECT_NE(NULL, strstr(it->message, "named otherwise, e.g. renamed_poll_"));

	/* no DWARF: the same functions, found by name only */
	EXPECT_EQ(count_role(&t0, CAT_ROLE_TASK_POLL), count_role(&t2, CAT_ROLE_TASK_POLL));
	EXPECT_EQ(0, r2.has_debuginfo);
	it = detail_of(&r2, "tokio.raw_poll");
	ASSERT_NE(NULL, it);
	TH_LOG("no DWARF: %s", it->message);
	EXPECT_NE(NULL, strstr(it->message, "by name only: no DWARF"));
	for (i = 0; i < t2.n; i++)
		if (t2.probes[i].role == CAT_ROLE_TASK_POLL)
			EXPECT_NE(NULL, strstr(t2.probes[i].why, "found by name"));

	cat_profile_report_free(&r0);
	cat_profile_report_free(&r1);
	cat_profile_report_free(&r2);
	cat_profile_table_free(&t0);
	cat_profile_table_free(&t1);
	cat_profile_table_free(&t2);
	unlink(ren);
	unlink(nodw);
	free(sym);
	free(bin);
}

/* A C binary with DWARF (this test): DWARF read, no runtime vtable. */
TEST(no_runtime)
{
	struct cat_symtab *st;
	struct cat_vtables vt;
	char err[512], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t k;

	ASSERT_GT(n, 0);
	self[n] = '\0';
	ASSERT_EQ(0, cat_symtab_load(self, &st, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, cat_vtables_load(st, &vt));
	EXPECT_EQ(1, vt.dwarf);
	for (k = 0; k < CAT_VT_NKINDS; k++) {
		EXPECT_EQ(0, vt.kind[k].described);
		EXPECT_EQ(0, vt.kind[k].records);
	}
	for (k = 0; k < CAT_VT_NSETS; k++)
		EXPECT_EQ(0, vt.nset[k]);
	cat_vtables_free(&vt);
	cat_symtab_free(st);
}

TEST_HARNESS_MAIN
