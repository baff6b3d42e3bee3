// SPDX-License-Identifier: GPL-2.0
/*
 * lints.c - the task lints of lints.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lints.h"

static const char *const names[CAT_NLINTS] = {
	"long-poll", "never-yielded", "self-wakes", "wake-storm",
	"alive-at-exit",
};

void cat_lint_defaults(struct cat_lint_opts *o)
{
	*o = (struct cat_lint_opts){
		.long_poll_ns = CAT_DEFAULT_LONG_POLL_NS,
		.never_yield_ns = 1000000000ull,
		.self_wake_pct = 50, .self_wake_min = 4,
		.wake_storm_ratio = 4, .wake_storm_min = 100,
	};
}

unsigned int cat_lints_of(const struct cat_ts_task *t,
			  const struct cat_lint_opts *o, bool trace_ended)
{
	unsigned int l = 0;

	/* spawn_blocking work is meant to block (as report's "blocking") */
	if (t->longest_ns > o->long_poll_ns && !t->spawn_blocking)
		l |= CAT_LINT_LONG_POLL;
	if (t->longest_ns > o->never_yield_ns && !t->spawn_blocking)
		l |= CAT_LINT_NEVER_YIELDED;
	if (t->woken >= o->self_wake_min &&
	    (uint64_t)t->woken_self * 100 > (uint64_t)t->woken * o->self_wake_pct)
		l |= CAT_LINT_SELF_WAKES;
	if (t->woken >= o->wake_storm_min &&
	    t->woken > (uint64_t)o->wake_storm_ratio * (t->polls ? t->polls : 1))
		l |= CAT_LINT_WAKE_STORM;
	if (trace_ended && t->state != CAT_TS_DONE)
		l |= CAT_LINT_ALIVE_AT_EXIT;
	return l;
}

const char *cat_lint_name(unsigned int i)
{
	return i < CAT_NLINTS ? names[i] : "?";
}

const char *cat_lints_str(unsigned int lints, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < CAT_NLINTS; i++) {
		if (!(lints & (1u << i)))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			      n ? "," : "", names[i]);
		if (n >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}
