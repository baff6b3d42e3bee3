// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - Trace Event Format writer (yajl), fed by rebuild.c's sink.
 *
 * Layout (Documentation/timeline.rst has the full description):
 *  - process <tgid>: one lane per OS thread ("comm tid"), holding its task
 *    polls ("X" slices, cat "poll"), the nested future polls and other
 *    probed calls under them, and its off-CPU intervals (cat "sched");
 *  - process "tasks" (pid tgid + 2^30): one lane per task instance,
 *    "task <id> <file>:<line>", holding that instance's polls;
 *  - flows: spawn -> first poll, wake -> the poll it caused, and previous
 *    poll -> next poll when a task moves to another thread.
 * Timestamps are µs from the trace start printed with ns precision (the
 * viewer's displayTimeUnit is "ns"); numbers are formatted here, not by
 * yajl's "%.17g", to keep them exact and short.
 *
 * With opts->compact (long traces, see Documentation/timeline.rst) a task
 * poll is one slice on its thread's lane, with args only when it has
 * something to say (blocking, cut short, a worker loop); a task's lane
 * holds one slice for its whole life with its totals; nested slices, wake
 * and migration flows are left out. That keeps a 1,000,000-poll trace
 * near 80 bytes per poll, which viewers load.
 *
 * Colours use the viewer's reserved names ("cname"): a task's colour is a
 * hash of its spawn site and its ordinal among tasks of that site, so the
 * same program gives the same colours run after run; blocking polls are
 * "terrible" (red), idle/parked off-CPU time is "rail_response" (blue).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "spawnnest.h"
#include "spawnsite.h"
#include "srcloc.h"
#include "json.h"
#include "losses.h"
#include "rawfile.h"

#define FLUSH_AT	(256 * 1024)
#define OUT_CAP		(2 * FLUSH_AT)

/* Reserved colour names that are neither red nor blue. */
static const char *const task_colors[] = {
	"thread_state_running", "good", "olive", "yellow", "rail_load",
	"rail_idle", "startup", "cq_build_passed", "cq_build_running",
	"background_memory_dump", "detailed_memory_dump",
	"thread_state_unknown", "generic_work", "cq_build_abandoned",
	"heap_dump_child_node_arrow", "light_memory_dump",
};
#define N_COLORS (sizeof(task_colors) / sizeof(task_colors[0]))

struct json_thread {
	uint32_t tgid;
	char name[CAT_COMM_LEN + 16];
};

struct json_task {
	const char *cname;
	char *site;		/* spawn site: a DWARF lookup, done once */
};

struct cat_json {
	FILE *out;
	yajl_gen g;
	char *buf;			/* output not yet written, OUT_CAP */
	size_t len;
	struct cat_json_opts o;
	struct cat_map threads;		/* tid -> struct json_thread */
	struct cat_map names;		/* probe vaddr -> display name (dwarf) */
	struct cat_map site_count;	/* site hash -> tasks seen (+1) */
	struct cat_map tgids;		/* tgid -> (void *)1: named */
	uint64_t next_flow;
	uint64_t blocking;
	const struct cat_losses *losses;	/* for catStats, or NULL */
	bool io_error;
};

static const unsigned char *U(const char *s)
{
	return (const unsigned char *)s;
}

static void flush(struct cat_json *j, bool force)
{
	if (!force && j->len < FLUSH_AT)
		return;
	if (j->len && fwrite(j->buf, 1, j->len, j->out) != j->len)
		j->io_error = true;
	j->len = 0;
}

/* Both yajl (through its print callback) and compact_poll() write here. */
static void out_append(struct cat_json *j, const char *s, size_t n)
{
	if (j->len + n > OUT_CAP)
		flush(j, true);
	if (n > OUT_CAP) {
		if (fwrite(s, 1, n, j->out) != n)
			j->io_error = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void yajl_print(void *ctx, const char *s, size_t n)
{
	out_append(ctx, s, n);
}

/*
 * Length of the well-formed UTF-8 sequence at @s (@n bytes left): 1 for
 * ASCII, 2 to 4 for a multibyte character; 0 if the bytes there are not
 * one (a stray continuation byte, an overlong form, a surrogate, above
 * U+10FFFF, or cut short).
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(s + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/*
 * Strings come from binaries and traces: every byte that is not part of
 * a well-formed UTF-8 character becomes '?'; well-formed characters,
 * multibyte ones included, are kept as they are (yajl escapes the control
 * characters). Checked here rather than by yajl_gen_validate_utf8, which
 * cost 15% of the conversion time on strings that are nearly always plain
 * ASCII, and which would refuse the whole string.
 */
void cat_json_gen_str(yajl_gen g, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	unsigned char *c;

	if (utf8_valid(u, n)) {
		yajl_gen_string(g, u, n);
		return;
	}
	c = malloc(n + 1);
	if (!c) {
		yajl_gen_string(g, U("?"), 1);
		return;
	}
	while (i < n) {
		k = utf8_seq(u + i, n - i);
		if (k) {
			memcpy(c + i, u + i, k);
			i += k;
		} else {
			c[i++] = '?';
		}
	}
	yajl_gen_string(g, c, n);
	free(c);
}

static void str(struct cat_json *j, const char *s)
{
	cat_json_gen_str(j->g, s);
}

static void key(struct cat_json *j, const char *k)
{
	yajl_gen_string(j->g, U(k), strlen(k));
}

static void kstr(struct cat_json *j, const char *k, const char *v)
{
	key(j, k);
	str(j, v);
}

/* Decimal digits of @v ending at @end; returns the first. (No printf:
 * number formatting was a tenth of the conversion time.) */
static char *utoa(char *end, uint64_t v)
{
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

static void kint(struct cat_json *j, const char *k, long long v)
{
	char buf[24], *p;

	key(j, k);
	if (v < 0) {
		yajl_gen_integer(j->g, v);
		return;
	}
	p = utoa(buf + sizeof(buf), v);
	yajl_gen_number(j->g, p, buf + sizeof(buf) - p);
}

/* ns as µs with 3 decimals, exactly, ending at @end; returns the first */
static char *us_to_a(char *end, int64_t ns)
{
	uint64_t a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	unsigned int frac = a % 1000;
	char *p = end - 3;

	p[0] = '0' + frac / 100;
	p[1] = '0' + frac / 10 % 10;
	p[2] = '0' + frac % 10;
	*--p = '.';
	p = utoa(p, a / 1000);
	if (ns < 0)
		*--p = '-';
	return p;
}

void cat_json_gen_us(yajl_gen g, int64_t ns)
{
	char buf[32], *end = buf + sizeof(buf), *p = us_to_a(end, ns);

	yajl_gen_number(g, p, end - p);
}

static void num_us(struct cat_json *j, int64_t ns)
{
	cat_json_gen_us(j->g, ns);
}

static void kts(struct cat_json *j, const char *k, uint64_t t)
{
	key(j, k);
	num_us(j, (int64_t)(t - j->o.t0_ns));
}

static void kdur(struct cat_json *j, const char *k, uint64_t d)
{
	key(j, k);
	num_us(j, (int64_t)d);
}

static void khex(struct cat_json *j, const char *k, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%#" PRIx64, v);
	kstr(j, k, buf);
}

/* Opens an event map with the common keys. */
static void ev_open(struct cat_json *j, const char *ph, const char *name,
		    const char *cat, uint32_t pid, uint64_t tid)
{
	yajl_gen_map_open(j->g);
	kstr(j, "ph", ph);
	if (name)
		kstr(j, "name", name);
	if (cat)
		kstr(j, "cat", cat);
	kint(j, "pid", pid);
	kint(j, "tid", (long long)tid);
}

static void ev_close(struct cat_json *j)
{
	yajl_gen_map_close(j->g);
	flush(j, false);
}

static void meta_name(struct cat_json *j, const char *what, uint32_t pid,
		      uint64_t tid, const char *name)
{
	ev_open(j, "M", what, NULL, pid, tid);
	key(j, "args");
	yajl_gen_map_open(j->g);
	kstr(j, "name", name);
	yajl_gen_map_close(j->g);
	ev_close(j);
}

static void meta_sort(struct cat_json *j, const char *what, uint32_t pid,
		      uint64_t tid, long long idx)
{
	ev_open(j, "M", what, NULL, pid, tid);
	key(j, "args");
	yajl_gen_map_open(j->g);
	kint(j, "sort_index", idx);
	yajl_gen_map_close(j->g);
	ev_close(j);
}

static void name_process(struct cat_json *j, uint32_t tgid)
{
	char buf[600];
	const char *base;

	if (cat_map_get(&j->tgids, tgid ? tgid : ~0ull))
		return;
	cat_map_put(&j->tgids, tgid ? tgid : ~0ull, (void *)1);
	base = j->o.binary ? strrchr(j->o.binary, '/') : NULL;
	base = base ? base + 1 : (j->o.binary ? j->o.binary : "process");
	snprintf(buf, sizeof(buf), "%s %u", base, tgid);
	meta_name(j, "process_name", tgid, 0, buf);
	meta_sort(j, "process_sort_index", tgid, 0, 0);
	snprintf(buf, sizeof(buf), "tasks of %s %u", base, tgid);
	meta_name(j, "process_name", CAT_JSON_TASKS_PID(tgid), 0, buf);
	meta_sort(j, "process_sort_index", CAT_JSON_TASKS_PID(tgid), 0, 1);
}

static const char *thread_name(struct cat_json *j, uint32_t tid, char *buf,
			       size_t len)
{
	struct json_thread *t = cat_map_get(&j->threads, tid);

	if (t)
		return t->name;
	snprintf(buf, len, "? %u", tid);
	return buf;
}

static uint32_t thread_tgid(struct cat_json *j, uint32_t tid)
{
	struct json_thread *t = cat_map_get(&j->threads, tid);

	return t ? t->tgid : j->o.tgid;
}

/* Display name of a probed function: its instantiation's own name. */
static const char *probe_name(struct cat_json *j, const struct cat_probe *p)
{
	if (!p)
		return "?";
	if (j->o.dwarf && p->vaddr) {
		const struct cat_src_loc *l = cat_dwarf_lookup(j->o.dwarf, p->vaddr);

		if (l->nframes && l->name)
			return l->name;
	}
	return p->symbol && *p->symbol ? p->symbol : "?";
}

/* file:line of @vaddr; without DWARF, @fallback (a symbol) or the address */
static const char *where(struct cat_json *j, uint64_t vaddr,
			 const char *fallback)
{
	if (!vaddr)
		return fallback ? fallback : "?";
	if (!j->o.dwarf && fallback)
		return fallback;
	return cat_dwarf_lookup(j->o.dwarf, vaddr)->where;
}

const char *cat_task_site(struct cat_dwarf *d, const struct cat_rb_task *t,
			  char *buf, size_t len)
{
	/* a library's own task: the library frame that spawned it */
	if (t->spawn_bt && t->spawn_nested_frame)
		return cat_dwarf_frame_where(
			t->spawn_bt->frames[t->spawn_nested_frame].src, buf, len);
	/* from the spawn's backtrace: the first frame of the program's code */
	if (t->spawn_bt && t->spawn_bt->site_where) {
		snprintf(buf, len, "%s", t->spawn_bt->site_where);
		return buf;
	}
	if (t->spawn_call_vaddr && !d) {
		snprintf(buf, len, "%#" PRIx64, t->spawn_call_vaddr - 1);
		return buf;
	}
	if (t->spawn_call_vaddr) {
		/* -1: the call instruction, not the one after it */
		const struct cat_src_loc *l =
			cat_dwarf_lookup(d, t->spawn_call_vaddr - 1);
		const struct cat_src_frame *f = cat_dwarf_program_frame(l);

		if (f)
			return cat_dwarf_frame_where(f, buf, len);
		snprintf(buf, len, "%s", l->where);
		return buf;
	}
	if (t->future_vaddr) {
		snprintf(buf, len, "%s", cat_dwarf_lookup(d, t->future_vaddr)->where);
		return buf;
	}
	snprintf(buf, len, "?");
	return buf;
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

/*
 * The spawn site of @t, looked up once per task instance: either the
 * cached copy or @buf, so callers must use the return value (@buf is left
 * untouched when the site is cached).
 */
static const char *task_site(struct cat_json *j, const struct cat_rb_task *t,
			     char *buf, size_t len)
{
	struct json_task *jt = t->user;

	if (jt && jt->site)
		return jt->site;
	cat_task_site(j->o.dwarf, t, buf, len);
	/*
	 * Not cached before the spawn is seen: an async-task task can be
	 * polled before the spawn call that made it returns (until then the
	 * site is a guess), and its later polls and its lane get the site
	 * once that return is seen.
	 */
	if (jt && t->spawn_ns)
		jt->site = strdup(buf);
	return buf;
}

static const char *task_color(struct cat_json *j, const struct cat_rb_task *t)
{
	struct json_task *jt = t->user;
	char site[512];
	uint64_t h, n;

	if (jt && jt->cname)
		return jt->cname;
	h = fnv(task_site(j, t, site, sizeof(site)));
	/* ordinal among the instances of this site, stored as n + 1 */
	n = (uint64_t)(uintptr_t)cat_map_get(&j->site_count, h);
	cat_map_put(&j->site_count, h, (void *)(uintptr_t)(n ? n + 1 : 2));
	n = n ? n - 1 : 0;
	h ^= n * 0x9e3779b97f4a7c15ull;
	h ^= h >> 31;
	if (!jt)
		return task_colors[h % N_COLORS];
	jt->cname = task_colors[h % N_COLORS];
	return jt->cname;
}

/* ------------------------------------------------------------------ */
/* sink callbacks                                                      */
/* ------------------------------------------------------------------ */

static void on_thread(void *ctx, const struct cat_rb_thread *t)
{
	struct cat_json *j = ctx;
	struct json_thread *jt = cat_map_get(&j->threads, t->tid);

	if (!jt) {
		jt = calloc(1, sizeof(*jt));
		if (!jt || cat_map_put(&j->threads, t->tid, jt)) {
			free(jt);
			return;
		}
	}
	jt->tgid = t->tgid;
	snprintf(jt->name, sizeof(jt->name), "%s %u",
		 t->comm[0] ? t->comm : "thread", t->tid);
	name_process(j, t->tgid);
	/*
	 * Lanes are named at the end, with the thread's last name: a thread
	 * is seen before its first sched_switch tells its name, and renames
	 * itself after clone or exec ("catctl" -> "tokio_multi" ->
	 * "tokio-runtime-w"), and viewers disagree on which of two
	 * thread_name events for one lane wins.
	 */
}

static void on_task_new(void *ctx, struct cat_rb_task *t)
{
	t->user = calloc(1, sizeof(struct json_task));
}

/* A 1 ns slice to anchor a flow where no probed call encloses it. */
static void anchor(struct cat_json *j, const char *name, uint32_t tgid,
		   uint32_t tid, uint64_t ts)
{
	ev_open(j, "X", name, "anchor", tgid, tid);
	kts(j, "ts", ts);
	kdur(j, "dur", 1);
	ev_close(j);
}

static void flow(struct cat_json *j, const char *name, uint32_t pid0,
		 uint64_t tid0, uint64_t ts0, uint32_t pid1, uint64_t tid1,
		 uint64_t ts1)
{
	uint64_t id = ++j->next_flow;

	ev_open(j, "s", name, "flow", pid0, tid0);
	kts(j, "ts", ts0);
	kint(j, "id", (long long)id);
	ev_close(j);
	ev_open(j, "f", name, "flow", pid1, tid1);
	kts(j, "ts", ts1);
	kint(j, "id", (long long)id);
	kstr(j, "bp", "e");
	ev_close(j);
}

static void on_task_spawned(void *ctx, struct cat_rb_task *t)
{
	struct cat_json *j = ctx;
	char name[64];

	snprintf(name, sizeof(name), "spawn task %" PRIu64, t->id);
	anchor(j, name, thread_tgid(j, t->spawn_tid), t->spawn_tid, t->spawn_ns);
}

/* A library's own task (spawnnest.h): look its site and colour up again. */
static void on_task_resited(void *ctx, struct cat_rb_task *t)
{
	struct json_task *jt = t->user;

	(void)ctx;
	if (!jt)
		return;
	free(jt->site);
	jt->site = NULL;
	jt->cname = NULL;
}

/*
 * Where a poll runs the program's code: the first nested future it polled
 * (its async fn), else - release builds inline those - its spawn site,
 * else the task poll function itself.
 */
static const char *poll_location(struct cat_json *j,
				 const struct cat_rb_poll *p,
				 const char *site)
{
	if (p->future_vaddr)
		return where(j, p->future_vaddr, p->future_probe ?
			     p->future_probe->symbol : NULL);
	if (strcmp(site, "?"))
		return site;
	return where(j, p->probe ? p->probe->vaddr : 0,
		     p->probe ? p->probe->symbol : NULL);
}

/*
 * "spawn_backtrace": the spawn call's frames, innermost first, inline
 * frames expanded, as "function (file:line)"; the spawn site is the one
 * at "spawn_site_frame". Only for tasks whose spawn probe copied a stack.
 */
static void spawn_backtrace(struct cat_json *j, const struct cat_rb_task *t)
{
	const struct cat_backtrace *bt = t->spawn_bt;
	char buf[1024];

	if (!bt || !bt->nframes)
		return;
	key(j, "spawn_backtrace");
	yajl_gen_array_open(j->g);
	for (unsigned int i = 0; i < bt->nframes; i++) {
		str(j, cat_bt_frame_str(bt, i, buf, sizeof(buf)));
	}
	yajl_gen_array_close(j->g);
	if (cat_task_site_frame(t) >= 0)
		kint(j, "spawn_site_frame", cat_task_site_frame(t));
	if (cat_task_spawned_inside(t))
		kstr(j, "spawned_inside", cat_task_spawned_inside(t));
}

static void poll_event(struct cat_json *j, const struct cat_rb_poll *p,
		       uint32_t pid, uint64_t tid, const char *name,
		       const char *site, const char *thread, const char *cname)
{
	ev_open(j, "X", name, "poll", pid, tid);
	kts(j, "ts", p->start_ns);
	kdur(j, "dur", p->end_ns - p->start_ns);
	kstr(j, "cname", cname);
	key(j, "args");
	yajl_gen_map_open(j->g);
	kint(j, "task", (long long)p->task->id);
	kint(j, "poll", p->seq);
	kstr(j, "spawned_at", site);
	if (p->seq == 1)
		spawn_backtrace(j, p->task);
	kstr(j, "thread", thread);
	kstr(j, "result", cat_poll_result_name(p->result));
	kdur(j, "off_cpu_us", p->offcpu_ns);
	key(j, "blocking");
	yajl_gen_bool(j->g, p->blocking != 0);
	if (p->blocking)
		kstr(j, "blocking_reason",
		     (p->blocking & CAT_BLOCK_OFFCPU) ?
		     ((p->blocking & CAT_BLOCK_LONG) ? "off-CPU and long" :
		      "off-CPU") : "long poll");
	kstr(j, "context", p->hosts_tasks ? "task (worker loop)" :
	     p->blocking_pool ? "task (spawn_blocking)" :
	     cat_ctx_name(p->probe ? p->probe->ctx : CAT_CTX_TASK));
	kstr(j, "location", poll_location(j, p, site));
	if (p->cut != CAT_CUT_NONE)
		kstr(j, "end", cat_cut_name(p->cut));
	yajl_gen_map_close(j->g);
	ev_close(j);
}

/*
 * A plain poll in compact mode: only numbers and the name "task <id>", so
 * nothing to escape, formatted here in one go (through yajl it is a dozen
 * calls per key). It goes between yajl's events, inside the traceEvents
 * array that yajl has already opened and written elements to (the process
 * metadata come first), so yajl puts its own separator before its next
 * element and this one brings its own.
 */
static void compact_poll(struct cat_json *j, const struct cat_rb_poll *p)
{
	char buf[192], *e = buf, num[32], *n, *end = num + sizeof(num);

#define PUT(lit) (memcpy(e, lit, sizeof(lit) - 1), e += sizeof(lit) - 1)
#define PUTN(first) (memcpy(e, first, end - (first)), e += end - (first))
	PUT(",{\"ph\":\"X\",\"name\":\"task ");
	n = utoa(end, p->task->id);
	PUTN(n);
	PUT("\",\"pid\":");
	n = utoa(end, p->tgid);
	PUTN(n);
	PUT(",\"tid\":");
	n = utoa(end, p->tid);
	PUTN(n);
	PUT(",\"ts\":");
	n = us_to_a(end, (int64_t)(p->start_ns - j->o.t0_ns));
	PUTN(n);
	PUT(",\"dur\":");
	n = us_to_a(end, (int64_t)(p->end_ns - p->start_ns));
	PUTN(n);
	*e++ = '}';
#undef PUT
#undef PUTN
	out_append(j, buf, e - buf);
	flush(j, false);
}

static void on_poll(void *ctx, const struct cat_rb_poll *p)
{
	struct cat_json *j = ctx;
	const char *cname = p->blocking ? "terrible" : task_color(j, p->task);
	uint32_t tpid = CAT_JSON_TASKS_PID(j->o.tgid);
	char sitebuf[512], tb[32], name[48];
	const char *thread, *site;

	if (p->blocking)
		j->blocking++;
	if (j->o.compact) {
		/* the unusual polls keep their args; the task lane has the rest */
		if (p->blocking || p->cut != CAT_CUT_NONE || p->hosts_tasks ||
		    p->blocking_pool) {
			snprintf(name, sizeof(name), "task %" PRIu64,
				 p->task->id);
			poll_event(j, p, p->tgid, p->tid, name,
				   task_site(j, p->task, sitebuf,
					     sizeof(sitebuf)),
				   thread_name(j, p->tid, tb, sizeof(tb)),
				   cname);
		} else {
			compact_poll(j, p);
		}
		if (p->seq == 1 && p->task->spawn_ns)
			flow(j, "spawn", thread_tgid(j, p->task->spawn_tid),
			     p->task->spawn_tid, p->task->spawn_ns, p->tgid,
			     p->tid, p->start_ns);
		return;
	}
	thread = thread_name(j, p->tid, tb, sizeof(tb));
	/* the cached site or @sitebuf: only the return value is the site */
	site = task_site(j, p->task, sitebuf, sizeof(sitebuf));
	snprintf(name, sizeof(name), "task %" PRIu64, p->task->id);
	poll_event(j, p, p->tgid, p->tid, name, site, thread, cname);
	poll_event(j, p, tpid, CAT_JSON_TASK_TID(p->task->id), name, site,
		   thread, cname);

	if (p->seq == 1 && p->task->spawn_ns)
		flow(j, "spawn", thread_tgid(j, p->task->spawn_tid),
		     p->task->spawn_tid, p->task->spawn_ns, tpid,
		     CAT_JSON_TASK_TID(p->task->id), p->start_ns);
	/*
	 * A task that woke itself (yield_now) needs no arrow: it would join
	 * two polls of the same lane; a thread change gets "migrate" below.
	 */
	if (p->wake_ns && !p->wake_self) {
		uint32_t wpid = thread_tgid(j, p->wake_tid);

		if (!p->wake_in_frame) {
			snprintf(name, sizeof(name), "wake task %" PRIu64,
				 p->task->id);
			anchor(j, name, wpid, p->wake_tid, p->wake_ns);
		}
		flow(j, "wake", wpid, p->wake_tid, p->wake_ns, tpid,
		     CAT_JSON_TASK_TID(p->task->id), p->start_ns);
	}
	if (p->prev_start_ns && p->prev_tid != p->tid)
		flow(j, "migrate", thread_tgid(j, p->prev_tid), p->prev_tid,
		     p->prev_start_ns, p->tgid, p->tid, p->start_ns);
}

static const char *slice_cat(const struct cat_probe *p)
{
	switch (p ? p->role : CAT_ROLE_OTHER) {
	case CAT_ROLE_FUTURE_POLL:
	case CAT_ROLE_BLOCKING_POLL:
	case CAT_ROLE_TASK_POLL:
		return "future";
	case CAT_ROLE_SPAWN:
	case CAT_ROLE_SPAWN_BLOCKING:
		return "spawn";
	case CAT_ROLE_WAKE:
		return "wake";
	default:
		return "call";
	}
}

static void on_slice(void *ctx, const struct cat_rb_slice *s)
{
	struct cat_json *j = ctx;

	if (j->o.compact)
		return;

	ev_open(j, "X", probe_name(j, s->probe), slice_cat(s->probe), s->tgid,
		s->tid);
	kts(j, "ts", s->start_ns);
	kdur(j, "dur", s->end_ns - s->start_ns);
	key(j, "args");
	yajl_gen_map_open(j->g);
	if (s->task)
		kint(j, "task", (long long)s->task->id);
	kstr(j, "context", cat_ctx_name(s->probe ? s->probe->ctx : CAT_CTX_NONE));
	khex(j, "self", s->self);
	kstr(j, "location", where(j, s->probe ? s->probe->vaddr : 0,
				  s->probe ? s->probe->symbol : NULL));
	if (s->cut != CAT_CUT_NONE)
		kstr(j, "end", cat_cut_name(s->cut));
	yajl_gen_map_close(j->g);
	ev_close(j);
}

static void on_instant(void *ctx, const struct cat_rb_instant *i)
{
	struct cat_json *j = ctx;
	char name[512];

	/* wakes and deallocs are drawn as flows and lane ends */
	if (!i->no_return || j->o.compact)
		return;
	snprintf(name, sizeof(name), "%s (return not traced)",
		 probe_name(j, i->probe));
	ev_open(j, "i", name, "call", i->tgid, i->tid);
	kts(j, "ts", i->time_ns);
	kstr(j, "s", "t");
	key(j, "args");
	yajl_gen_map_open(j->g);
	if (i->task)
		kint(j, "task", (long long)i->task->id);
	kstr(j, "why", "the kernel skipped the uretprobe (nesting limit)");
	yajl_gen_map_close(j->g);
	ev_close(j);
}

static void on_offcpu(void *ctx, const struct cat_rb_offcpu *o)
{
	struct cat_json *j = ctx;
	const char *cname;
	char name[64];

	if (!o->task)
		cname = o->state == CAT_OFFCPU_PREEMPTED ?
			"thread_state_runnable" : "rail_response";
	else if (o->state == CAT_OFFCPU_PREEMPTED ||
		 o->state == CAT_OFFCPU_YIELDED)
		cname = "thread_state_runnable";
	else if (o->state == CAT_OFFCPU_IOWAIT)
		cname = "thread_state_iowait";
	else if (o->state == CAT_OFFCPU_DISK)
		cname = "thread_state_uninterruptible";
	else
		cname = "bad";
	snprintf(name, sizeof(name), "off-CPU (%s)", o->task ?
		 cat_offcpu_name(o->state) : o->state == CAT_OFFCPU_PREEMPTED ?
		 "preempted" : "idle");
	ev_open(j, "X", name, "sched", o->tgid, o->tid);
	kts(j, "ts", o->start_ns);
	kdur(j, "dur", o->end_ns - o->start_ns);
	kstr(j, "cname", cname);
	key(j, "args");
	yajl_gen_map_open(j->g);
	kstr(j, "state", cat_offcpu_name(o->state));
	if (o->task)
		kint(j, "task", (long long)o->task->id);
	if (o->cut)
		kstr(j, "end", "trace ended");
	yajl_gen_map_close(j->g);
	ev_close(j);
}

static void on_marker(void *ctx, const struct cat_rb_marker *m)
{
	struct cat_json *j = ctx;
	char name[600];
	bool global = false;

	switch (m->kind) {
	case CAT_MARK_LOST:
		snprintf(name, sizeof(name), "LOST %" PRIu64 " records on CPU %u",
			 m->count, m->cpu);
		global = true;
		break;
	case CAT_MARK_UNMATCHED_RETURN:
		snprintf(name, sizeof(name), "return without entry: %s",
			 probe_name(j, m->probe));
		break;
	case CAT_MARK_DEPTH:
		snprintf(name, sizeof(name), "call stack too deep: %s",
			 probe_name(j, m->probe));
		break;
	case CAT_MARK_EXIT:
		snprintf(name, sizeof(name), "thread exit");
		break;
	case CAT_MARK_EXEC:
		snprintf(name, sizeof(name), "exec");
		break;
	}
	ev_open(j, "i", name, "marker", global ? j->o.tgid : m->tgid,
		global ? 0 : m->tid);
	kts(j, "ts", m->time_ns);
	kstr(j, "s", global ? "g" : "t");
	if (global)
		kstr(j, "cname", "terrible");
	ev_close(j);
}

/*
 * Losses the records themselves do not show: drops with no LOST marker
 * (the end of a session) and records cat.ko wrote that are not in the
 * file. Where they happened is unknown, so they go at the end, as global
 * instants like the LOST markers.
 */
void cat_json_losses(struct cat_json *j, const struct cat_losses *l,
		     uint64_t end_ns)
{
	char name[200];

	j->losses = l;
	for (unsigned int c = 0; c < l->ncpus; c++) {
		const struct cat_loss_cpu *x = &l->cpu[c];

		if (x->lost > x->marked) {
			snprintf(name, sizeof(name),
				 "LOST %" PRIu64 " records on CPU %u (no marker: dropped at the end)",
				 x->lost - x->marked, c);
			ev_open(j, "i", name, "marker", j->o.tgid, 0);
			kts(j, "ts", end_ns);
			kstr(j, "s", "g");
			kstr(j, "cname", "terrible");
			ev_close(j);
		}
		if (x->missing) {
			snprintf(name, sizeof(name),
				 "MISSING %" PRIu64 " records of CPU %u (written by cat.ko, not in the file)",
				 x->missing, c);
			ev_open(j, "i", name, "marker", j->o.tgid, 0);
			kts(j, "ts", end_ns);
			kstr(j, "s", "g");
			kstr(j, "cname", "terrible");
			ev_close(j);
		}
	}
}

static void losses_stats(struct cat_json *j, const struct cat_losses *l)
{
	const struct cat_loss_cpu *t = &l->total;

	kint(j, "lost_records", (long long)t->lost);
	kint(j, "lost_markers", (long long)t->markers);
	kint(j, "lost_in_markers", (long long)t->marked);
	key(j, "kernel_counters");
	yajl_gen_bool(j->g, l->have_trailer);
	if (l->have_trailer) {
		kint(j, "kernel_dropped", (long long)t->dropped);
		kint(j, "kernel_records", (long long)t->written);
		kint(j, "missing_records", (long long)t->missing);
	}
	key(j, "losses");
	yajl_gen_array_open(j->g);
	for (unsigned int c = 0; c < l->ncpus; c++) {
		const struct cat_loss_cpu *x = &l->cpu[c];

		if (!x->lost && !x->missing && !x->extra)
			continue;
		yajl_gen_map_open(j->g);
		kint(j, "cpu", c);
		kint(j, "lost", (long long)x->lost);
		kint(j, "in_markers", (long long)x->marked);
		kint(j, "read", (long long)x->read);
		if (l->have_trailer) {
			kint(j, "dropped", (long long)x->dropped);
			kint(j, "written", (long long)x->written);
			kint(j, "missing", (long long)x->missing);
		}
		yajl_gen_map_close(j->g);
	}
	yajl_gen_array_close(j->g);
}

/* Compact mode: the task's whole life as one slice on its lane. */
static void task_life(struct cat_json *j, const struct cat_rb_task *t,
		      const char *site)
{
	uint64_t start = t->spawn_ns ? t->spawn_ns : t->first_seen_ns;
	char name[48];

	snprintf(name, sizeof(name), "task %" PRIu64, t->id);
	ev_open(j, "X", name, "task", CAT_JSON_TASKS_PID(j->o.tgid),
		CAT_JSON_TASK_TID(t->id));
	kts(j, "ts", start);
	kdur(j, "dur", t->end_ns > start ? t->end_ns - start : 0);
	kstr(j, "cname", task_color(j, t));
	key(j, "args");
	yajl_gen_map_open(j->g);
	kint(j, "task", (long long)t->id);
	kstr(j, "spawned_at", site);
	spawn_backtrace(j, t);
	if (t->spawner_task)
		kint(j, "spawned_by_task", (long long)t->spawner_task);
	if (t->future_vaddr && j->o.dwarf)
		kstr(j, "location", where(j, t->future_vaddr, NULL));
	kint(j, "polls", t->npolls);
	kdur(j, "busy_us", t->busy_ns);
	kdur(j, "off_cpu_us", t->offcpu_ns);
	kdur(j, "longest_poll_us", t->longest_poll_ns);
	kint(j, "blocking_polls", t->nblocking);
	kstr(j, "state", cat_task_state_name(t->state));
	yajl_gen_map_close(j->g);
	ev_close(j);
}

static void on_task_end(void *ctx, struct cat_rb_task *t)
{
	struct cat_json *j = ctx;
	uint32_t tpid = CAT_JSON_TASKS_PID(j->o.tgid);
	struct json_task *jt = t->user;
	char site[512], name[600];
	const char *s = task_site(j, t, site, sizeof(site));

	if (j->o.compact)
		task_life(j, t, s);
	snprintf(name, sizeof(name), "task %" PRIu64 " %s", t->id, s);
	meta_name(j, "thread_name", tpid, CAT_JSON_TASK_TID(t->id), name);
	meta_sort(j, "thread_sort_index", tpid, CAT_JSON_TASK_TID(t->id),
		  (long long)t->id);
	if (jt)
		free(jt->site);
	free(jt);
	t->user = NULL;
}

void cat_json_sink(struct cat_json *j, struct cat_rb_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->ctx = j;
	sink->thread = on_thread;
	sink->task_new = on_task_new;
	sink->task_spawned = on_task_spawned;
	sink->task_resited = on_task_resited;
	sink->poll = on_poll;
	sink->slice = on_slice;
	sink->instant = on_instant;
	sink->offcpu = on_offcpu;
	sink->marker = on_marker;
	sink->task_end = on_task_end;
}

struct cat_json *cat_json_new(FILE *out, const struct cat_json_opts *opts)
{
	struct cat_json *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->out = out;
	j->o = *opts;
	j->buf = malloc(OUT_CAP);
	j->g = yajl_gen_alloc(NULL);
	if (!j->g || !j->buf) {
		if (j->g)
			yajl_gen_free(j->g);
		free(j->buf);
		free(j);
		return NULL;
	}
	yajl_gen_config(j->g, yajl_gen_print_callback, yajl_print, j);
	cat_map_init(&j->threads);
	cat_map_init(&j->names);
	cat_map_init(&j->site_count);
	cat_map_init(&j->tgids);

	yajl_gen_map_open(j->g);
	kstr(j, "displayTimeUnit", "ns");
	key(j, "otherData");
	yajl_gen_map_open(j->g);
	kstr(j, "tool", "cat");
	kstr(j, "detail", opts->compact ? "compact" : "full");
	kstr(j, "binary", opts->binary ? opts->binary : "?");
	kstr(j, "build_id", opts->build_id ? opts->build_id : "");
	kint(j, "tgid", opts->tgid);
	kint(j, "start_monotonic_ns", (long long)opts->t0_ns);
	kint(j, "start_realtime_ns",
	     (long long)(opts->t0_ns + opts->realtime_offset_ns));
	yajl_gen_map_close(j->g);
	key(j, "traceEvents");
	yajl_gen_array_open(j->g);
	name_process(j, opts->tgid);
	return j;
}

int cat_json_finish(struct cat_json *j, const struct cat_rb_stats *st)
{
	for (size_t i = 0; i < j->threads.cap; i++) {
		struct json_thread *t = j->threads.vals[i];

		if (t)
			meta_name(j, "thread_name", t->tgid, j->threads.keys[i],
				  t->name);
	}
	yajl_gen_array_close(j->g);
	if (st) {
		key(j, "catStats");
		yajl_gen_map_open(j->g);
		kint(j, "records", (long long)st->records);
		kint(j, "task_instances", (long long)st->tasks);
		kint(j, "polls", (long long)st->polls);
		kint(j, "blocking_polls", (long long)j->blocking);
		kint(j, "slices", (long long)st->slices);
		if (j->losses) {
			losses_stats(j, j->losses);
		} else {
			kint(j, "lost_records", (long long)st->lost_records);
			kint(j, "lost_markers", (long long)st->lost_markers);
		}
		kint(j, "unmatched_returns", (long long)st->unmatched_returns);
		kint(j, "cut_slices", (long long)st->cut_slices);
		kint(j, "nested_spawns", (long long)st->nested_spawns);
		kint(j, "late_orphan_sites", (long long)st->late_orphan_sites);
		kint(j, "orphan_waits_dropped",
		     (long long)st->orphan_waits_dropped);
		yajl_gen_map_close(j->g);
	}
	yajl_gen_map_close(j->g);
	flush(j, true);
	if (fputc('\n', j->out) == EOF || fflush(j->out))
		j->io_error = true;
	return j->io_error || ferror(j->out) ? -EIO : 0;
}

uint64_t cat_json_blocking_polls(const struct cat_json *j)
{
	return j->blocking;
}

uint64_t cat_json_threads(const struct cat_json *j)
{
	return j->threads.n;
}

void cat_json_free(struct cat_json *j)
{
	if (!j)
		return;
	yajl_gen_free(j->g);
	free(j->buf);
	cat_map_free(&j->threads, free);
	cat_map_free(&j->names, NULL);
	cat_map_free(&j->site_count, NULL);
	cat_map_free(&j->tgids, NULL);
	free(j);
}
