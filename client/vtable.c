// SPDX-License-Identifier: GPL-2.0
/*
 * vtable.c - find tokio's and async-task's per-task vtables in a binary's
 * data with the layout DWARF gives, and collect the functions they point
 * at (see vtable.h for what is looked for and why).
 *
 * Three steps: (1) libdw: the struct types (and the WAKER_VTABLE static)
 * by their path, walking only the namespaces on that path in each CU;
 * (2) libelf: the binary's non-executable allocated data, with the
 * dynamic relocations applied (a PIE's .data.rel.ro holds zeros or
 * addends where the function pointers go; RELR leaves the value in
 * place); (3) every aligned record there that has the layout.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "sorted.h"
#include "vtable.h"

#define MAX_MEMBERS	24
#define MAX_USIZE	(1u << 20)	/* an offset inside a task cell */

enum mkind { M_OTHER = 0, M_FN, M_PTR, M_USIZE };

struct member {
	const char *name;	/* in the DWARF (valid while it is open) */
	uint64_t off, size;
	enum mkind kind;
	Dwarf_Off sub;		/* M_FN: its DW_TAG_subroutine_type */
};

struct stype {
	int found;
	uint64_t size;
	struct member m[MAX_MEMBERS];
	size_t n;
};

/* What is looked for in the DWARF: a path, and what is at its end. */
static const char *const p_tokio[] = { "tokio", "runtime", "task", "raw", "Vtable", NULL };
static const char *const p_tokio_waker[] = { "tokio", "runtime", "task", "waker", "WAKER_VTABLE", NULL };
static const char *const p_atask[] = { "async_task", "raw", "TaskVTable", NULL };
static const char *const p_rawwaker[] = { "core", "task", "wake", "RawWakerVTable", NULL };

enum { T_TOKIO, T_TOKIO_WAKER_VAR, T_ATASK, T_RAWWAKER, T_N };

static const struct {
	const char *const *path;
	int tag;
} targets[T_N] = {
	[T_TOKIO] = { p_tokio, DW_TAG_structure_type },
	[T_TOKIO_WAKER_VAR] = { p_tokio_waker, DW_TAG_variable },
	[T_ATASK] = { p_atask, DW_TAG_structure_type },
	[T_RAWWAKER] = { p_rawwaker, DW_TAG_structure_type },
};

static const char *const want_tokio[] = { "poll", "dealloc", NULL };
static const char *const want_atask[] = { "run", "destroy", "clone_waker", NULL };
static const char *const want_rawwaker[] = { "clone", "wake", "wake_by_ref", NULL };

struct dwscan {
	struct stype t[T_N];
	uint64_t *vars;		/* WAKER_VTABLE addresses */
	size_t nvars;
	int nomem;
};

/* The binary's data, relocated. */
struct dsec {
	uint64_t vaddr, size;
	unsigned char *buf;	/* NULL: NOBITS (all zero) */
};

struct data {
	struct dsec *s;
	size_t n;
};

/* ------------------------------------------------------------------ */
/* DWARF                                                               */
/* ------------------------------------------------------------------ */

static int peel(Dwarf_Die *t)
{
	Dwarf_Attribute a;

	for (;;) {
		int tag = dwarf_tag(t);

		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type)
			return tag;
		if (!dwarf_attr_integrate(t, DW_AT_type, &a) || !dwarf_formref_die(&a, t))
			return -1;
	}
}

static enum mkind member_kind(Dwarf_Die *m, uint64_t *size, Dwarf_Off *sub)
{
	Dwarf_Attribute a;
	Dwarf_Die t, to;
	Dwarf_Word sz;
	const char *n;
	int tag;

	*size = 0;
	if (!dwarf_attr_integrate(m, DW_AT_type, &a) || !dwarf_formref_die(&a, &t))
		return M_OTHER;
	tag = peel(&t);
	if (!dwarf_aggregate_size(&t, &sz))
		*size = sz;
	if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type) {
		if (!*size)
			*size = 8;
		if (dwarf_attr_integrate(&t, DW_AT_type, &a) && dwarf_formref_die(&a, &to) &&
		    peel(&to) == DW_TAG_subroutine_type) {
			*sub = dwarf_dieoffset(&to);
			return M_FN;
		}
		return M_PTR;
	}
	n = dwarf_diename(&t);
	if (tag == DW_TAG_base_type && n && !strcmp(n, "usize"))
		return M_USIZE;
	return M_OTHER;
}

static void read_struct(Dwarf_Die *die, struct stype *st)
{
	Dwarf_Attribute a;
	Dwarf_Word sz;
	Dwarf_Die c;

	if (st->found || dwarf_hasattr(die, DW_AT_declaration) ||
	    dwarf_aggregate_size(die, &sz))
		return;
	st->size = sz;
	st->n = 0;
	if (dwarf_child(die, &c) == 0)
		do {
			Dwarf_Word off;
			struct member *m;

			if (dwarf_tag(&c) != DW_TAG_member || st->n == MAX_MEMBERS)
				continue;
			if (!dwarf_attr(&c, DW_AT_data_member_location, &a) ||
			    dwarf_formudata(&a, &off))
				continue;
			m = &st->m[st->n++];
			m->name = dwarf_diename(&c);
			m->off = off;
			m->sub = 0;
			m->kind = member_kind(&c, &m->size, &m->sub);
		} while (dwarf_siblingof(&c, &c) == 0);
	st->found = 1;
}

static void read_var(Dwarf_Die *die, struct dwscan *s)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t nops;
	uint64_t *nv;

	if (!dwarf_attr(die, DW_AT_location, &a) ||
	    dwarf_getlocation(&a, &ops, &nops) || nops != 1 || ops[0].atom != DW_OP_addr)
		return;
	nv = realloc(s->vars, (s->nvars + 1) * sizeof(*nv));
	if (!nv) {
		s->nomem = 1;
		return;
	}
	s->vars = nv;
	s->vars[s->nvars++] = ops[0].number;
}

/* Walk the children of @parent at path depth @depth for the targets in @mask. */
static void walk(Dwarf_Die *parent, unsigned int depth, unsigned int mask,
		 struct dwscan *s)
{
	Dwarf_Die c;

	if (dwarf_child(parent, &c))
		return;
	do {
		int tag = dwarf_tag(&c);
		const char *n;
		unsigned int sub = 0, i;

		if (tag != DW_TAG_namespace && tag != DW_TAG_structure_type &&
		    tag != DW_TAG_variable)
			continue;
		n = dwarf_diename(&c);
		if (!n)
			continue;
		for (i = 0; i < T_N; i++) {
			const char *const *p = targets[i].path;

			if (!(mask & (1u << i)) || strcmp(p[depth], n))
				continue;
			if (p[depth + 1] && tag == DW_TAG_namespace)
				sub |= 1u << i;
			else if (!p[depth + 1] && tag == targets[i].tag) {
				if (tag == DW_TAG_variable)
					read_var(&c, s);
				else
					read_struct(&c, &s->t[i]);
			}
		}
		if (sub)
			walk(&c, depth + 1, sub, s);
	} while (dwarf_siblingof(&c, &c) == 0);
}

static int dw_scan(const char *path, struct dwscan *s, Dwarf **out, int *fdout)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	Dwarf *d;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = dwarf_begin(fd, DWARF_C_READ);
	if (!d) {
		close(fd);
		return -1;
	}
	while (dwarf_get_units(d, cu, &cu, NULL, NULL, &cudie, NULL) == 0)
		walk(&cudie, 0, (1u << T_N) - 1, s);
	*out = d;
	*fdout = fd;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Data                                                                */
/* ------------------------------------------------------------------ */

static struct dsec *data_find(const struct data *d, uint64_t va, uint64_t len)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (va >= d->s[i].vaddr && va - d->s[i].vaddr + len <= d->s[i].size)
			return &d->s[i];
	return NULL;
}

static int read_u64(const struct data *d, uint64_t va, uint64_t *v)
{
	struct dsec *s = data_find(d, va, 8);

	if (!s)
		return -1;
	if (!s->buf)
		*v = 0;
	else
		memcpy(v, s->buf + (va - s->vaddr), 8);
	return 0;
}

static void data_free(struct data *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->s[i].buf);
	free(d->s);
	memset(d, 0, sizeof(*d));
}

static int data_load(Elf *elf, struct data *d)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	memset(d, 0, sizeof(*d));
	while ((scn = elf_nextscn(elf, scn))) {
		struct dsec *ns;
		Elf_Data *ed;

		/* TLS sections' addresses overlap the sections after them */
		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    (sh.sh_flags & (SHF_EXECINSTR | SHF_TLS)) || !sh.sh_size ||
		    (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_NOBITS))
			continue;
		ns = realloc(d->s, (d->n + 1) * sizeof(*ns));
		if (!ns)
			return -1;
		d->s = ns;
		ns = &d->s[d->n];
		ns->vaddr = sh.sh_addr;
		ns->size = sh.sh_size;
		ns->buf = NULL;
		if (sh.sh_type == SHT_PROGBITS) {
			ed = elf_getdata(scn, NULL);
			ns->buf = calloc(1, sh.sh_size);
			if (!ns->buf)
				return -1;
			if (ed && ed->d_buf)
				memcpy(ns->buf, ed->d_buf,
				       ed->d_size < sh.sh_size ? ed->d_size : sh.sh_size);
		}
		d->n++;
	}

	/* dynamic relocations: the values a PIE's loader writes */
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *ed, *symd = NULL;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA ||
		    !(sh.sh_flags & SHF_ALLOC) || !sh.sh_entsize)
			continue;
		ed = elf_getdata(scn, NULL);
		if (!ed)
			continue;
		if (sh.sh_link) {
			Elf_Scn *ss = elf_getscn(elf, sh.sh_link);

			symd = ss ? elf_getdata(ss, NULL) : NULL;
		}
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			struct dsec *s;
			uint64_t v;

			if (!gelf_getrela(ed, i, &r))
				continue;
			switch (GELF_R_TYPE(r.r_info)) {
			case R_X86_64_RELATIVE:
				v = r.r_addend;
				break;
			case R_X86_64_64:
				if (!symd || !gelf_getsym(symd, GELF_R_SYM(r.r_info), &sym) ||
				    sym.st_shndx == SHN_UNDEF)
					continue;
				v = sym.st_value + r.r_addend;
				break;
			default:
				continue;
			}
			s = data_find(d, r.r_offset, 8);
			if (s && s->buf)
				memcpy(s->buf + (r.r_offset - s->vaddr), &v, 8);
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/*
 * The subprograms of the CUs looked at so far, by entry address: the
 * signature check below needs the DIE of a record's targets.
 */
struct fnmap {
	struct fnent {
		uint64_t pc;
		Dwarf_Off die;
	} *e;
	size_t n, cap;
	int sorted;
	Dwarf_Off *cus;		/* CUs already read */
	size_t ncus;
	struct curange {	/* every CU's address ranges, by start */
		uint64_t lo, hi;
		Dwarf_Off cu;
	} *cr;
	size_t ncr;
	int cr_done;
};

struct ctx {
	const struct cat_symtab *st;
	const struct data *d;
	Dwarf *dw;
	struct fnmap fm;
	int nomem;
};

static int cmp_fnent(const void *a, const void *b)
{
	const struct fnent *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

static void fm_walk(struct ctx *x, Dwarf_Die *parent)
{
	Dwarf_Die c;

	if (dwarf_child(parent, &c))
		return;
	do {
		int tag = dwarf_tag(&c);
		Dwarf_Addr pc;

		if (tag == DW_TAG_namespace || tag == DW_TAG_structure_type ||
		    tag == DW_TAG_enumeration_type || tag == DW_TAG_union_type) {
			fm_walk(x, &c);
			continue;
		}
		if (tag != DW_TAG_subprogram || dwarf_lowpc(&c, &pc) || !pc)
			continue;
		if (x->fm.n == x->fm.cap) {
			size_t cap = x->fm.cap ? 2 * x->fm.cap : 1024;
			struct fnent *ne = realloc(x->fm.e, cap * sizeof(*ne));

			if (!ne) {
				x->nomem = 1;
				return;
			}
			x->fm.e = ne;
			x->fm.cap = cap;
		}
		x->fm.e[x->fm.n].pc = pc;
		x->fm.e[x->fm.n].die = dwarf_dieoffset(&c);
		x->fm.n++;
		x->fm.sorted = 0;
	} while (dwarf_siblingof(&c, &c) == 0);
}

static int cmp_cr(const void *a, const void *b)
{
	const struct curange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * The CU ranges, from each CU's own DW_AT_low_pc/high_pc/ranges
 * (.debug_aranges of rustc 1.63 binaries misses CUs).
 */
static void cr_load(struct ctx *x)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	size_t cap = 0;

	x->fm.cr_done = 1;
	while (dwarf_get_units(x->dw, cu, &cu, NULL, NULL, &cudie, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t it = 0;

		while ((it = dwarf_ranges(&cudie, it, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (x->fm.ncr == cap) {
				struct curange *n;

				cap = cap ? 2 * cap : 256;
				n = realloc(x->fm.cr, cap * sizeof(*n));
				if (!n) {
					x->nomem = 1;
					return;
				}
				x->fm.cr = n;
			}
			x->fm.cr[x->fm.ncr].lo = lo;
			x->fm.cr[x->fm.ncr].hi = hi;
			x->fm.cr[x->fm.ncr].cu = dwarf_dieoffset(&cudie);
			x->fm.ncr++;
		}
	}
	if (x->fm.ncr)
		qsort(x->fm.cr, x->fm.ncr, sizeof(*x->fm.cr), cmp_cr);
}

/* The subprogram DIE whose entry is @pc, or -1. */
static int fn_die(struct ctx *x, uint64_t pc, Dwarf_Die *out)
{
	struct fnent key = { .pc = pc }, *hit;
	Dwarf_Die cu;
	Dwarf_Off cuoff = 0;
	size_t i, k;

	if (!x->fm.cr_done)
		cr_load(x);
	k = cat_sorted_count_le(x->fm.cr, x->fm.ncr, sizeof(*x->fm.cr),
				offsetof(struct curange, lo), pc);
	/* ranges of different CUs do not overlap: the last start <= pc */
	if (k && pc < x->fm.cr[k - 1].hi)
		cuoff = x->fm.cr[k - 1].cu;
	if (cuoff && dwarf_offdie(x->dw, cuoff, &cu)) {
		for (i = 0; i < x->fm.ncus && x->fm.cus[i] != cuoff; i++)
			;
		if (i == x->fm.ncus) {
			Dwarf_Off *nc = realloc(x->fm.cus, (i + 1) * sizeof(*nc));

			if (!nc) {
				x->nomem = 1;
				return -1;
			}
			x->fm.cus = nc;
			nc[x->fm.ncus++] = cuoff;
			fm_walk(x, &cu);
		}
	}
	if (!x->fm.n)
		return -1;
	if (!x->fm.sorted) {
		qsort(x->fm.e, x->fm.n, sizeof(*x->fm.e), cmp_fnent);
		x->fm.sorted = 1;
	}
	hit = bsearch(&key, x->fm.e, x->fm.n, sizeof(*x->fm.e), cmp_fnent);
	return hit && dwarf_offdie(x->dw, hit->die, out) ? 0 : -1;
}

#define MAX_PARAMS 8

/* The parameter types of a subprogram or subroutine type, by name. */
static int params(Dwarf_Die *f, const char **names, int *tags)
{
	Dwarf_Attribute a;
	Dwarf_Die c, t, origin;
	int n = 0;

	if (dwarf_child(f, &c)) {
		/* an out-of-line copy may keep its parameters in the origin */
		if (!dwarf_attr(f, DW_AT_abstract_origin, &a) ||
		    !dwarf_formref_die(&a, &origin) || dwarf_child(&origin, &c))
			return 0;
	}
	do {
		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		if (n == MAX_PARAMS)
			return -1;
		names[n] = NULL;
		tags[n] = 0;
		if (dwarf_attr_integrate(&c, DW_AT_type, &a) && dwarf_formref_die(&a, &t)) {
			tags[n] = peel(&t);
			names[n] = dwarf_diename(&t);
		}
		n++;
	} while (dwarf_siblingof(&c, &c) == 0);
	return n;
}

/* The same return type (by tag and name; none for both means ()). */
static int same_ret(Dwarf_Die *a, Dwarf_Die *b)
{
	Dwarf_Attribute at;
	Dwarf_Die ta, tb;
	int ha, hb;
	const char *na, *nb;

	ha = dwarf_attr_integrate(a, DW_AT_type, &at) && dwarf_formref_die(&at, &ta);
	hb = dwarf_attr_integrate(b, DW_AT_type, &at) && dwarf_formref_die(&at, &tb);
	if (!ha || !hb)
		return ha == hb;
	if (peel(&ta) != peel(&tb))
		return 0;
	na = dwarf_diename(&ta);
	nb = dwarf_diename(&tb);
	return !na == !nb && (!na || !strcmp(na, nb));
}

/*
 * 1: the function at @pc takes the parameters of member @m's function
 * pointer type; 0: it does not; -1: cannot tell (no DIE for it).
 */
static int sig_ok(struct ctx *x, const struct member *m, uint64_t pc)
{
	const char *mn[MAX_PARAMS], *fn[MAX_PARAMS];
	int mt[MAX_PARAMS], ft[MAX_PARAMS], nm, nf, i;
	Dwarf_Die sub, f;

	if (!m->sub || !dwarf_offdie(x->dw, m->sub, &sub) || fn_die(x, pc, &f)) {
			return -1;
	}
	nm = params(&sub, mn, mt);
	nf = params(&f, fn, ft);
	if (nm < 0 || nf < 0)
		return -1;
	if (nm != nf || !same_ret(&sub, &f))
		return 0;
	for (i = 0; i < nm; i++)
		if (mt[i] != ft[i] || !mn[i] != !fn[i] ||
		    (mn[i] && strcmp(mn[i], fn[i])))
			return 0;
	return 1;
}

static int is_func(const struct cat_symtab *st, uint64_t a)
{
	const struct cat_sym *s = cat_symtab_lookup(st, a);

	return s && s->vaddr == a;
}

static const struct member *member(const struct stype *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->m[i].name && !strcmp(t->m[i].name, name))
			return &t->m[i];
	return NULL;
}

/*
 * Does the record at @va have layout @t? Its function pointers point at
 * functions that take the member types' parameters (those that DWARF
 * describes; at least one must be), its usize members are small and its
 * pointers point into data.
 */
static int record_ok(const struct stype *t, struct ctx *x, uint64_t va)
{
	size_t i, nfn = 0, nsig = 0;

	for (i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		uint64_t v;

		if (m->kind == M_OTHER || m->size != 8)
			continue;
		if (read_u64(x->d, va + m->off, &v))
			return 0;
		switch (m->kind) {
		case M_FN:
			if (!is_func(x->st, v))
				return 0;
			nfn++;
			break;
		case M_PTR:
			if (!data_find(x->d, v, 1))
				return 0;
			break;
		case M_USIZE:
			if (v >= MAX_USIZE)
				return 0;
			break;
		default:
			break;
		}
	}
	if (!nfn)
		return 0;
	/* the cheap checks passed: now the signatures */
	for (i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		uint64_t v;
		int r;

		if (m->kind != M_FN || m->size != 8 || read_u64(x->d, va + m->off, &v))
			continue;
		r = sig_ok(x, m, v);
		if (!r)
			return 0;
		nsig += r > 0;
	}
	return nsig > 0;
}

static int set_add(struct cat_vtables *vt, enum cat_vt_set s, uint64_t a)
{
	uint64_t *n;

	n = realloc(vt->set[s], (vt->nset[s] + 1) * sizeof(*n));
	if (!n)
		return -1;
	vt->set[s] = n;
	n[vt->nset[s]++] = a;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static void set_sort(struct cat_vtables *vt, enum cat_vt_set s)
{
	size_t i, w = 0;

	if (!vt->nset[s])
		return;
	qsort(vt->set[s], vt->nset[s], sizeof(uint64_t), cmp_u64);
	for (i = 0; i < vt->nset[s]; i++)
		if (!w || vt->set[s][i] != vt->set[s][w - 1])
			vt->set[s][w++] = vt->set[s][i];
	vt->nset[s] = w;
}

int cat_vtables_has(const struct cat_vtables *vt, enum cat_vt_set s, uint64_t addr)
{
	return vt->nset[s] && bsearch(&addr, vt->set[s], vt->nset[s],
				      sizeof(uint64_t), cmp_u64) != NULL;
}

/* The record's members @names into the sets @sets; -1 out of memory. */
static int take(struct cat_vtables *vt, const struct stype *t, const struct data *d,
		uint64_t va, const char *const *names, const enum cat_vt_set *sets)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		const struct member *m = member(t, names[i]);
		uint64_t v;

		if (m && !read_u64(d, va + m->off, &v) && set_add(vt, sets[i], v))
			return -1;
	}
	return 0;
}

static void describe(struct cat_vt_kind_info *k, const struct stype *t,
		     const char *const *want)
{
	size_t i;

	k->described = t->found;
	if (!t->found)
		return;
	k->size = t->size;
	k->nfields = t->n;
	for (i = 0; i < t->n; i++)
		k->nfn += t->m[i].kind == M_FN;
	for (i = 0; want[i]; i++) {
		const struct member *m = member(t, want[i]);

		if (m && m->kind == M_FN && m->size == 8)
			continue;
		k->described = 0;
		snprintf(k->missing + strlen(k->missing),
			 sizeof(k->missing) - strlen(k->missing), "%s%s",
			 k->missing[0] ? ", " : "", want[i]);
	}
}

/* Every record of layout @t in @d: callback per record. */
static int scan(const struct stype *t, struct ctx *x,
		int (*fn)(void *, uint64_t), void *ctx)
{
	const struct data *d = x->d;
	size_t i;

	if (t->size < 8 || t->size > 4096)
		return 0;
	for (i = 0; i < d->n; i++) {
		const struct dsec *s = &d->s[i];
		uint64_t va = (s->vaddr + 7) & ~7ull;

		if (!s->buf)
			continue;
		while (va + t->size <= s->vaddr + s->size) {
			if (x->nomem)
				return -1;
			if (record_ok(t, x, va)) {
				int r = fn(ctx, va);

				if (r < 0)
					return -1;
				va += t->size;
			} else {
				va += 8;
			}
		}
	}
	return 0;
}

struct scanctx {
	struct cat_vtables *vt;
	const struct stype *t;
	const struct data *d;
	enum cat_vt_kind kind;
};

static const enum cat_vt_set sets_tokio[] = { CAT_VT_TOKIO_POLL, CAT_VT_TOKIO_DEALLOC };
static const enum cat_vt_set sets_atask[] = { CAT_VT_ATASK_RUN, CAT_VT_ATASK_DESTROY };
static const char *const take_atask[] = { "run", "destroy", NULL };
static const enum cat_vt_set sets_wake_tokio[] = { CAT_VT_TOKIO_WAKE, CAT_VT_TOKIO_WAKE };
static const enum cat_vt_set sets_wake_atask[] = { CAT_VT_ATASK_WAKE, CAT_VT_ATASK_WAKE };
static const char *const take_wake[] = { "wake", "wake_by_ref", NULL };

/* async-task clone_waker functions, gathered while scanning TaskVTables */
struct clones {
	uint64_t *a;
	size_t n;
};

struct atask_ctx {
	struct scanctx sc;
	struct clones *cl;
};

static int on_tokio(void *p, uint64_t va)
{
	struct scanctx *c = p;

	c->vt->kind[c->kind].records++;
	return take(c->vt, c->t, c->d, va, want_tokio, sets_tokio);
}

static int on_atask(void *p, uint64_t va)
{
	struct atask_ctx *c = p;
	const struct member *m = member(c->sc.t, "clone_waker");
	uint64_t v, *na;

	c->sc.vt->kind[c->sc.kind].records++;
	if (take(c->sc.vt, c->sc.t, c->sc.d, va, take_atask, sets_atask))
		return -1;
	if (m && !read_u64(c->sc.d, va + m->off, &v)) {
		na = realloc(c->cl->a, (c->cl->n + 1) * sizeof(*na));
		if (!na)
			return -1;
		c->cl->a = na;
		na[c->cl->n++] = v;
	}
	return 0;
}

static int on_rawwaker(void *p, uint64_t va)
{
	struct atask_ctx *c = p;
	const struct member *m = member(c->sc.t, "clone");
	uint64_t v;
	size_t i;

	if (!m || read_u64(c->sc.d, va + m->off, &v))
		return 0;
	for (i = 0; i < c->cl->n; i++)
		if (c->cl->a[i] == v) {
			c->sc.vt->kind[c->sc.kind].records++;
			return take(c->sc.vt, c->sc.t, c->sc.d, va, take_wake, sets_wake_atask);
		}
	return 0;
}

int cat_vtables_load(const struct cat_symtab *st, struct cat_vtables *vt)
{
	struct dwscan s;
	struct data d;
	struct clones cl = { 0 };
	Dwarf *dw = NULL;
	Elf *elf;
	size_t i;
	int fd = -1, ret = 0;

	struct ctx x;

	memset(vt, 0, sizeof(*vt));
	memset(&s, 0, sizeof(s));
	memset(&x, 0, sizeof(x));
	vt->kind[CAT_VT_KIND_TOKIO].what = "tokio::runtime::task::raw::Vtable";
	vt->kind[CAT_VT_KIND_TOKIO_WAKER].what = "tokio::runtime::task::waker::WAKER_VTABLE";
	vt->kind[CAT_VT_KIND_ATASK].what = "async_task::raw::TaskVTable";
	vt->kind[CAT_VT_KIND_ATASK_WAKER].what = "core::task::wake::RawWakerVTable (clone = a TaskVTable.clone_waker)";
	if (!st->has_debuginfo)
		return 0;
	if (dw_scan(st->path, &s, &dw, &fd))
		return 0;	/* unreadable DWARF: as without */
	vt->dwarf = 1;
	if (s.nomem) {
		ret = CAT_SYM_ERR_NOMEM;
		goto out;
	}

	elf = dwarf_getelf(dw);
	if (!elf || data_load(elf, &d)) {
		ret = elf ? CAT_SYM_ERR_NOMEM : CAT_SYM_ERR_OPEN;
		data_free(&d);
		goto out;
	}

	x.st = st;
	x.d = &d;
	x.dw = dw;
	describe(&vt->kind[CAT_VT_KIND_TOKIO], &s.t[T_TOKIO], want_tokio);
	describe(&vt->kind[CAT_VT_KIND_ATASK], &s.t[T_ATASK], want_atask);
	describe(&vt->kind[CAT_VT_KIND_TOKIO_WAKER], &s.t[T_RAWWAKER], want_rawwaker);
	describe(&vt->kind[CAT_VT_KIND_ATASK_WAKER], &s.t[T_RAWWAKER], want_rawwaker);
	if (!s.nvars)
		vt->kind[CAT_VT_KIND_TOKIO_WAKER].described = 0;

	if (vt->kind[CAT_VT_KIND_TOKIO].described) {
		struct scanctx c = { vt, &s.t[T_TOKIO], &d, CAT_VT_KIND_TOKIO };

		if (scan(c.t, &x, on_tokio, &c))
			ret = CAT_SYM_ERR_NOMEM;
	}
	if (!ret && vt->kind[CAT_VT_KIND_TOKIO_WAKER].described)
		for (i = 0; i < s.nvars && !ret; i++) {
			if (!record_ok(&s.t[T_RAWWAKER], &x, s.vars[i]))
				continue;
			vt->kind[CAT_VT_KIND_TOKIO_WAKER].records++;
			vt->kind[CAT_VT_KIND_TOKIO_WAKER].from_vars++;
			if (take(vt, &s.t[T_RAWWAKER], &d, s.vars[i], take_wake, sets_wake_tokio))
				ret = CAT_SYM_ERR_NOMEM;
		}
	if (!ret && vt->kind[CAT_VT_KIND_ATASK].described) {
		struct atask_ctx c = { { vt, &s.t[T_ATASK], &d, CAT_VT_KIND_ATASK }, &cl };

		if (scan(c.sc.t, &x, on_atask, &c))
			ret = CAT_SYM_ERR_NOMEM;
		if (!ret && cl.n && vt->kind[CAT_VT_KIND_ATASK_WAKER].described) {
			struct atask_ctx w = { { vt, &s.t[T_RAWWAKER], &d, CAT_VT_KIND_ATASK_WAKER }, &cl };

			if (scan(w.sc.t, &x, on_rawwaker, &w))
				ret = CAT_SYM_ERR_NOMEM;
		}
	}
	for (i = 0; i < CAT_VT_NSETS; i++)
		set_sort(vt, i);
	if (x.nomem)
		ret = CAT_SYM_ERR_NOMEM;
	free(cl.a);
	free(x.fm.e);
	free(x.fm.cus);
	free(x.fm.cr);
	data_free(&d);
out:
	free(s.vars);
	dwarf_end(dw);
	close(fd);
	if (ret)
		cat_vtables_free(vt);
	return ret;
}

void cat_vtables_free(struct cat_vtables *vt)
{
	size_t i;

	for (i = 0; i < CAT_VT_NSETS; i++)
		free(vt->set[i]);
	memset(vt->set, 0, sizeof(vt->set));
	memset(vt->nset, 0, sizeof(vt->nset));
}

const char *cat_vt_set_name(enum cat_vt_set s)
{
	switch (s) {
	case CAT_VT_TOKIO_POLL:		return "Vtable.poll";
	case CAT_VT_TOKIO_DEALLOC:	return "Vtable.dealloc";
	case CAT_VT_TOKIO_WAKE:		return "WAKER_VTABLE.wake/wake_by_ref";
	case CAT_VT_ATASK_RUN:		return "TaskVTable.run";
	case CAT_VT_ATASK_DESTROY:	return "TaskVTable.destroy";
	case CAT_VT_ATASK_WAKE:		return "RawWakerVTable.wake/wake_by_ref";
	case CAT_VT_NSETS:		break;
	}
	return "?";
}

enum cat_vt_kind cat_vt_set_kind(enum cat_vt_set s)
{
	switch (s) {
	case CAT_VT_TOKIO_POLL:
	case CAT_VT_TOKIO_DEALLOC:	return CAT_VT_KIND_TOKIO;
	case CAT_VT_TOKIO_WAKE:		return CAT_VT_KIND_TOKIO_WAKER;
	case CAT_VT_ATASK_RUN:
	case CAT_VT_ATASK_DESTROY:	return CAT_VT_KIND_ATASK;
	default:			return CAT_VT_KIND_ATASK_WAKER;
	}
}
