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
 * The output is never longer than the input, so one buffer of the
 * input's size holds it, and every rule rewrites in one pass.
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

/* A " as " at bracket depth 0 in [@s, @end), or NULL. */
static const char *find_as(const char *s, const char *end)
{
	int depth = 0;
	const char *q;

	for (q = s; q + 4 <= end; q++) {
		if (*q == '<' || *q == '(' || *q == '[')
			depth++;
		else if ((*q == '>' && !(q > s && q[-1] == '-')) || *q == ')' || *q == ']')
			depth--;
		else if (!depth && !memcmp(q, " as ", 4))
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
		put(o, p + 1, q - p - 1);	/* "{name" */
		put(o, "}", 1);
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
	put(o, p, hash - p);			/* "{name" */
	put(o, "}", 1);
	return q + 1;
}

static void norm(struct ob *o, const char *s, const char *end);

/* A '<' at @p that opens a qualified path (<A as B>) or a v0 inherent impl (<A>). */
static void qualified(struct ob *o, const char *p, const char *close,
		      const char *end)
{
	const char *as = find_as(p + 1, close);
	size_t at = o->len;

	put(o, "<", 1);
	if (as) {
		norm(o, p + 1, as);
		put(o, " as ", 4);
		norm(o, as + 4, close);
		put(o, ">", 1);
		return;
	}
	norm(o, p + 1, close);
	if (close + 2 < end && close[1] == ':' && close[2] == ':' &&
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
			if (ends_with(o, from, "::")) {
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
				qualified(o, p, close, end);
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

	o.buf = malloc(n + 1);
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
