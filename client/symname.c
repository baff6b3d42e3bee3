// SPDX-License-Identifier: GPL-2.0
/*
 * symname.c - normalise demangled Rust names to a path without generic
 * arguments, the same for legacy and v0 mangling (rules in symname.h).
 *
 * Why: runtime profiles must find tokio's raw::poll or async-task's
 * RawTask::run in binaries of any rustc (legacy names up to 1.96, v0 from
 * 1.97) and any runtime version (a new type parameter must not hide a
 * function). Only the demangler's output is read here: the demangling
 * itself is libiberty's.
 *
 * Every rule shortens its input but one ("{K#N}", 5 bytes or more,
 * becomes "{constant}", 10), so a buffer twice the input's size holds
 * the output, and every rule rewrites in one pass.
 */
#include <stdlib.h>
#include <string.h>

#include "symname.h"

struct ob {
	char *buf;
	size_t len;
};

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void put(struct ob *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static int ends_with(const struct ob *o, size_t from, const char *s)
{
	size_t n = strlen(s);

	return o->len - from >= n && !memcmp(o->buf + o->len - n, s, n);
}

/*
 * The '>' that closes the '<' at @p, or NULL. A '>' of "->" (a function
 * type's return) closes nothing.
 */
static const char *match_close(const char *p, const char *end)
{
	int depth = 0;
	const char *q;

	for (q = p; q < end; q++) {
		if (*q == '<')
			depth++;
		else if (*q == '>' && !(q > p && q[-1] == '-') && !--depth)
			return q;
	}
	return NULL;
}

/* @kw (" as ", " for ") at bracket depth 0 in [@s, @end), or NULL. */
static const char *find_kw(const char *s, const char *end, const char *kw)
{
	size_t n = strlen(kw);
	int depth = 0;
	const char *q;

	for (q = s; q + n <= end; q++) {
		if (*q == '<' || *q == '(' || *q == '[')
			depth++;
		else if ((*q == '>' && !(q > s && q[-1] == '-')) || *q == ')' || *q == ']')
			depth--;
		else if (!depth && !memcmp(q, kw, n))
			return q;
	}
	return NULL;
}

/* [@s, @s + @n) is a plain path: a::b::C, {closure} segments allowed. */
static int is_path(const char *s, size_t n)
{
	size_t i;

	if (!n || !is_ident(s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!is_ident(s[i]) && !strchr(":{}", s[i]))
			return 0;
	return 1;
}

/*
 * "{name}": legacy and v0 name the namespace of a const item's body
 * differently ({{constant}}, v0 tag K that libiberty prints {K#N}).
 */
static void put_ns(struct ob *o, const char *name, size_t n)
{
	put(o, "{", 1);
	if (n == 1 && name[0] == 'K')
		put(o, "constant", 8);
	else
		put(o, name, n);
	put(o, "}", 1);
}

/*
 * "{{name}}" or "{name#N}" at @p: write "{name}" and return what follows,
 * or NULL when @p starts neither.
 */
static const char *brace(struct ob *o, const char *p, const char *end)
{
	const char *q, *hash = NULL;

	if (p + 1 < end && p[1] == '{') {
		for (q = p + 2; q + 1 < end && *q != '}' && *q != '{'; q++)
			;
		if (q + 1 >= end || q[0] != '}' || q[1] != '}' || q == p + 2)
			return NULL;
		put_ns(o, p + 2, q - p - 2);
		return q + 2;
	}
	for (q = p + 1; q < end && *q != '}' && *q != '{'; q++)
		if (*q == '#' && !hash)
			hash = q;
	if (q >= end || *q != '}' || !hash)
		return NULL;
	{
		const char *d;

		for (d = hash + 1; d < q; d++)
			if (*d < '0' || *d > '9')
				return NULL;
	}
	put_ns(o, p + 1, hash - p - 1);
	return q + 1;
}

static void norm(struct ob *o, const char *s, const char *end);

/*
 * A qualified path: <@ty as @tr> (@tr NULL: <@ty>, an inherent impl),
 * followed by what is at @after.
 */
static void qualified(struct ob *o, const char *ty, const char *ty_end,
		      const char *tr, const char *tr_end,
		      const char *after, const char *end)
{
	size_t at = o->len;

	put(o, "<", 1);
	norm(o, ty, ty_end);
	if (tr) {
		put(o, " as ", 4);
		norm(o, tr, tr_end);
		put(o, ">", 1);
		return;
	}
	if (after + 1 < end && after[0] == ':' && after[1] == ':' &&
	    is_path(o->buf + at + 1, o->len - at - 1)) {
		memmove(o->buf + at, o->buf + at + 1, o->len - at - 1);
		o->len--;
		return;
	}
	put(o, ">", 1);
}

static void norm(struct ob *o, const char *s, const char *end)
{
	size_t from = o->len;
	const char *p = s;

	while (p < end) {
		char last = o->len > from ? o->buf[o->len - 1] : '\0';
		const char *q;

		if (*p == '<') {
			const char *close = match_close(p, end);

			if (!close) {
				put(o, p, end - p);	/* malformed: keep it */
				return;
			}
			if (ends_with(o, from, "::") && close - p > 6 &&
			    !memcmp(p + 1, "impl ", 5)) {
				/*
				 * legacy "a::b::<impl Tr for Ty>::f" is v0's
				 * "<Ty as Tr>::f" ("<impl Ty>": "<Ty>")
				 */
				const char *fo = find_kw(p + 6, close, " for ");

				o->len = from;
				if (fo)
					qualified(o, fo + 5, close, p + 6, fo, close + 1, end);
				else
					qualified(o, p + 6, close, NULL, NULL, close + 1, end);
			} else if (ends_with(o, from, "::")) {
				o->len -= 2;		/* v0 turbofish ::<...> */
			} else if (is_ident(last)) {
				/* a generic list, or a "for<'a> " binder */
				if (ends_with(o, from, "for") &&
				    (o->len - from == 3 || !is_ident(o->buf[o->len - 4]))) {
					o->len -= 3;
					if (close + 1 < end && close[1] == ' ')
						close++;
				}
			} else {
				const char *as = find_kw(p + 1, close, " as ");

				if (as)
					qualified(o, p + 1, as, as + 4, close, close + 1, end);
				else
					qualified(o, p + 1, close, NULL, NULL, close + 1, end);
			}
			p = close + 1;
			continue;
		}
		if (*p == '{' && (q = brace(o, p, end))) {
			p = q;
			continue;
		}
		if (*p == '[' && is_ident(last)) {
			/* v0 crate disambiguator: name[1a2b3c] */
			for (q = p + 1; q < end && is_hex(*q); q++)
				;
			if (q > p + 1 && q < end && *q == ']') {
				p = q + 1;
				continue;
			}
		}
		put(o, p, 1);
		p++;
	}
}

char *cat_symname_path(const char *demangled)
{
	size_t n = strlen(demangled), i;
	struct ob o;

	o.buf = malloc(2 * n + 1);
	if (!o.buf)
		return NULL;
	o.len = 0;
	norm(&o, demangled, demangled + n);
	o.buf[o.len] = '\0';

	/* a legacy hash the demangler left: "::h" + 16 hex digits */
	if (o.len >= 19 && !memcmp(o.buf + o.len - 19, "::h", 3)) {
		for (i = o.len - 16; i < o.len && is_hex(o.buf[i]); i++)
			;
		if (i == o.len)
			o.buf[o.len - 19] = '\0';
	}
	return o.buf;
}
