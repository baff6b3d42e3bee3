// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - the control file: one text command per write, the
 * configuration read back in the same grammar, and the session state
 * machine (idle -> running -> stopped -> idle). The grammar is specified
 * in include/cat_abi.h and Documentation/control.rst.
 *
 * Every command is parsed and validated completely before anything is
 * changed, so a rejected command leaves state and configuration exactly
 * as they were.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cat.h"

DEFINE_MUTEX(cat_mutex);
enum cat_state cat_state = CAT_IDLE;
pid_t cat_owner_tgid;
struct cat_config cat_config = {
	.probes		= LIST_HEAD_INIT(cat_config.probes),
	.subbuf_size	= CAT_DEFAULT_SUBBUF_SIZE,
	.n_subbufs	= CAT_DEFAULT_N_SUBBUFS,
};

static const char *const cat_state_names[] = {
	[CAT_IDLE]	= "idle",
	[CAT_RUNNING]	= "running",
	[CAT_STOPPED]	= "stopped",
};

static const char *const cat_mode_names[] = CAT_PROBE_MODE_KEYWORDS;

const char *cat_state_name(void)
{
	return cat_state_names[cat_state];
}

static bool cat_process_exists(pid_t tgid)
{
	struct pid *pid;
	bool alive;

	rcu_read_lock();
	pid = find_pid_ns(tgid, &init_pid_ns);
	alive = pid && pid_task(pid, PIDTYPE_TGID);
	rcu_read_unlock();
	return alive;
}

int cat_start(void)
{
	int ret;

	if (!cat_config.target)
		return -EINVAL;
	if (!cat_process_exists(cat_config.target))
		return -ESRCH;

	/* before anything is allocated: a size that cannot fit is EMSGSIZE */
	ret = cat_stack_prepare(cat_config.subbuf_size);
	if (ret)
		return ret;
	ret = cat_buffer_open(cat_config.subbuf_size, cat_config.n_subbufs);
	if (ret) {
		cat_stack_release();
		return ret;
	}
	cat_stats_reset();
	cat_targets_clear();
	ret = cat_target_add(cat_config.target);
	if (ret)
		goto err_buffer;
	WRITE_ONCE(cat_owner_tgid, current->tgid);

	/* threads first, so probe records always have a thread to belong to */
	ret = cat_sched_register();
	if (ret)
		goto err_targets;
	ret = cat_probes_register();
	if (ret)
		goto err_sched;
	cat_state = CAT_RUNNING;
	return 0;

err_sched:
	cat_sched_unregister();
err_targets:
	cat_targets_clear();
	WRITE_ONCE(cat_owner_tgid, 0);
err_buffer:
	cat_buffer_close();
	cat_stats_reset();
	cat_stack_release();
	return ret;
}

/* Release every probe, then finish the subbuffers so readers see all. */
void cat_stop(void)
{
	cat_probes_unregister();
	cat_stack_release();	/* no handler runs any more */
	cat_sched_unregister();
	cat_targets_clear();
	WRITE_ONCE(cat_owner_tgid, 0);
	cat_buffer_flush();
	cat_state = CAT_STOPPED;
}

void cat_reset(void)
{
	cat_buffer_close();
	cat_stats_reset();
	cat_state = CAT_IDLE;
}

void cat_clear(void)
{
	cat_probes_free();
	cat_config.target = 0;
	cat_config.follow = false;
	cat_config.count_only = false;
	cat_config.subbuf_size = CAT_DEFAULT_SUBBUF_SIZE;
	cat_config.n_subbufs = CAT_DEFAULT_N_SUBBUFS;
}

/* ---- parsing ---- */

#define CAT_MAX_WORDS	8

struct cat_cmd {
	char *word[CAT_MAX_WORDS];
	int nwords;
	char *rest[CAT_MAX_WORDS];	/* the line from word i to its end */
};

/* Split on single spaces; any other whitespace or an empty word is bad. */
static int cat_split(char *line, struct cat_cmd *cmd)
{
	char *s = line;

	cmd->nwords = 0;
	while (*s) {
		if (cmd->nwords == CAT_MAX_WORDS)
			break;	/* the rest stays reachable through rest[] */
		if (*s == ' ')
			return -EINVAL;
		cmd->word[cmd->nwords] = s;
		cmd->rest[cmd->nwords] = s;
		cmd->nwords++;
		while (*s && *s != ' ')
			s++;
		if (*s == ' ') {
			if (!s[1])
				return -EINVAL;	/* trailing space */
			s++;
		}
	}
	return cmd->nwords ? 0 : -EINVAL;
}

/* A number in @s[0..@len): decimal or 0x-hex, nothing else. */
static int cat_parse_num(const char *s, size_t len, u64 *v)
{
	char buf[24];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* decimal or 0x-hex; no sign, no octal surprise for "010" */
	/*
	 * kstrtou64(base 16) takes a "0x" prefix of its own, so only hex
	 * digits may follow ours: "0x0x10" is not 0x10.
	 */
	if (buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		if (!buf[2] || strspn(buf + 2, "0123456789abcdefABCDEF") != len - 2)
			return -EINVAL;
		return kstrtou64(buf + 2, 16, v);
	}
	if (buf[0] == '+')
		return -EINVAL;
	return kstrtou64(buf, 10, v);
}

static int cat_parse_u64(struct cat_cmd *cmd, int i, u64 *v)
{
	const char *end = strchrnul(cmd->word[i], ' ');

	return cat_parse_num(cmd->word[i], end - cmd->word[i], v);
}

/*
 * A probe mode: one of cat_mode_names, and for the +stack modes an
 * optional "=N" (the stack bytes to copy, CAT_DEFAULT_STACK_COPY if
 * absent).
 */
static int cat_parse_mode(struct cat_cmd *cmd, int i, u8 *mode, u32 *stack)
{
	const char *w = cmd->word[i];
	size_t len = strchrnul(w, ' ') - w, klen;
	const char *eq = memchr(w, '=', len);
	u64 n;
	int m;

	klen = eq ? eq - w : len;
	*mode = 0;
	for (m = 1; m < ARRAY_SIZE(cat_mode_names); m++)
		if (cat_mode_names[m] && strlen(cat_mode_names[m]) == klen &&
		    !strncmp(w, cat_mode_names[m], klen))
			*mode = m;
	if (!*mode)
		return -EINVAL;
	*stack = 0;
	if (!(*mode & CAT_PROBE_MODE_STACK))
		return eq ? -EINVAL : 0;
	*stack = CAT_DEFAULT_STACK_COPY;
	if (!eq)
		return 0;
	if (cat_parse_num(eq + 1, len - klen - 1, &n) ||
	    n < CAT_MIN_STACK_COPY || n > CAT_MAX_STACK_COPY || n % 8)
		return -EINVAL;
	*stack = n;
	return 0;
}

static bool cat_word_is(struct cat_cmd *cmd, int i, const char *kw)
{
	size_t len = strlen(kw);

	return !strncmp(cmd->word[i], kw, len) &&
	       (cmd->word[i][len] == ' ' || !cmd->word[i][len]);
}

static int cat_need_idle(void)
{
	return cat_state == CAT_IDLE ? 0 : -EBUSY;
}

/* probe <id> <entry|return|both|entry+ra|both+ra|entry+stack[=N]|both+stack[=N]> <nargs> <offset> <path> */
static int cat_cmd_probe(struct cat_cmd *cmd)
{
	u64 id, nargs, offset;
	u32 stack;
	u8 mode;
	char *path;
	int ret;

	if (cmd->nwords < 6)
		return -EINVAL;
	ret = cat_parse_u64(cmd, 1, &id);
	if (ret || id > U32_MAX)
		return -EINVAL;
	if (cat_parse_mode(cmd, 2, &mode, &stack))
		return -EINVAL;
	ret = cat_parse_u64(cmd, 3, &nargs);
	if (ret || nargs > CAT_MAX_ARGS)
		return -EINVAL;
	ret = cat_parse_u64(cmd, 4, &offset);
	if (ret || offset > LLONG_MAX)
		return -EINVAL;
	path = cmd->rest[5];
	if (path[0] != '/')
		return -EINVAL;
	ret = cat_need_idle();
	if (ret)
		return ret;
	return cat_probe_add(id, mode, nargs, stack, offset, path);
}

/* unprobe <id> */
static int cat_cmd_unprobe(struct cat_cmd *cmd)
{
	u64 id;

	if (cmd->nwords != 2 || cat_parse_u64(cmd, 1, &id) || id > U32_MAX)
		return -EINVAL;
	if (cat_need_idle())
		return -EBUSY;
	return cat_probe_remove(id);
}

/* target <tgid> [follow] */
static int cat_cmd_target(struct cat_cmd *cmd)
{
	bool follow = false;
	u64 tgid;

	if (cmd->nwords < 2 || cmd->nwords > 3)
		return -EINVAL;
	if (cat_parse_u64(cmd, 1, &tgid) || tgid == 0 || tgid > PID_MAX_LIMIT)
		return -EINVAL;
	if (cmd->nwords == 3) {
		if (!cat_word_is(cmd, 2, "follow"))
			return -EINVAL;
		follow = true;
	}
	if (cat_need_idle())
		return -EBUSY;
	if (!cat_process_exists(tgid))
		return -ESRCH;
	cat_config.target = tgid;
	cat_config.follow = follow;
	return 0;
}

/* buffers <subbuf_size> <n_subbufs> */
static int cat_cmd_buffers(struct cat_cmd *cmd)
{
	u64 size, n;

	if (cmd->nwords != 3 || cat_parse_u64(cmd, 1, &size) ||
	    cat_parse_u64(cmd, 2, &n))
		return -EINVAL;
	if (size < CAT_MIN_SUBBUF_SIZE || size > CAT_MAX_SUBBUF_SIZE ||
	    !PAGE_ALIGNED(size) || n < CAT_MIN_N_SUBBUFS ||
	    n > CAT_MAX_N_SUBBUFS || size * n > CAT_MAX_BUFFER_BYTES)
		return -EINVAL;
	if (cat_need_idle())
		return -EBUSY;
	cat_config.subbuf_size = size;
	cat_config.n_subbufs = n;
	return 0;
}

/* mode <record|count> */
static int cat_cmd_mode(struct cat_cmd *cmd)
{
	bool count;

	if (cmd->nwords != 2)
		return -EINVAL;
	if (cat_word_is(cmd, 1, "count"))
		count = true;
	else if (cat_word_is(cmd, 1, "record"))
		count = false;
	else
		return -EINVAL;
	if (cat_need_idle())
		return -EBUSY;
	cat_config.count_only = count;
	return 0;
}

static int cat_cmd_start(struct cat_cmd *cmd)
{
	if (cmd->nwords != 1)
		return -EINVAL;
	if (cat_need_idle())
		return -EBUSY;
	return cat_start();
}

static int cat_cmd_stop(struct cat_cmd *cmd)
{
	if (cmd->nwords != 1 || cat_state != CAT_RUNNING)
		return -EINVAL;
	cat_stop();
	return 0;
}

/* consumed <cpu> <n> */
static int cat_cmd_consumed(struct cat_cmd *cmd)
{
	u64 cpu, n;

	if (cmd->nwords != 3 || cat_parse_u64(cmd, 1, &cpu) ||
	    cat_parse_u64(cmd, 2, &n) || cpu >= nr_cpu_ids || n > INT_MAX)
		return -EINVAL;
	return cat_buffer_consumed(cpu, n);
}

static int cat_cmd_reset(struct cat_cmd *cmd)
{
	if (cmd->nwords != 1)
		return -EINVAL;
	if (cat_state == CAT_RUNNING)
		return -EBUSY;
	cat_reset();
	return 0;
}

static int cat_cmd_clear(struct cat_cmd *cmd)
{
	if (cmd->nwords != 1)
		return -EINVAL;
	if (cat_need_idle())
		return -EBUSY;
	cat_clear();
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct cat_cmd *cmd);
} cat_commands[] = {
	{ "probe",	cat_cmd_probe },
	{ "unprobe",	cat_cmd_unprobe },
	{ "target",	cat_cmd_target },
	{ "buffers",	cat_cmd_buffers },
	{ "mode",	cat_cmd_mode },
	{ "start",	cat_cmd_start },
	{ "stop",	cat_cmd_stop },
	{ "consumed",	cat_cmd_consumed },
	{ "reset",	cat_cmd_reset },
	{ "clear",	cat_cmd_clear },
};

static int cat_execute(char *line)
{
	struct cat_cmd cmd;
	int i, ret;

	ret = cat_split(line, &cmd);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(cat_commands); i++) {
		if (cat_word_is(&cmd, 0, cat_commands[i].name)) {
			mutex_lock(&cat_mutex);
			ret = cat_commands[i].run(&cmd);
			mutex_unlock(&cat_mutex);
			return ret;
		}
	}
	return -EINVAL;
}

static ssize_t cat_control_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	size_t i, len = count;
	char *line;
	int ret;

	if (count == 0 || count > CAT_CMD_MAX)
		return -EINVAL;
	line = memdup_user_nul(ubuf, count);
	if (IS_ERR(line))
		return PTR_ERR(line);

	/* one command per write: one optional trailing newline, no NULs */
	if (line[len - 1] == '\n')
		line[--len] = '\0';
	ret = -EINVAL;
	if (len == 0 || strlen(line) != len || strchr(line, '\n'))
		goto out;
	/* no control characters; bytes >= 0x80 are allowed (UTF-8 paths) */
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			goto out;
	ret = cat_execute(line);
out:
	kfree(line);
	return ret ? ret : count;
}

static int cat_control_show(struct seq_file *m, void *v)
{
	struct cat_probe *p;

	mutex_lock(&cat_mutex);
	seq_printf(m, "# cat control, ABI version %d\n", CAT_ABI_VERSION);
	seq_printf(m, "# state %s\n", cat_state_name());
	seq_printf(m, "mode %s\n", cat_config.count_only ? "count" : "record");
	seq_printf(m, "buffers %zu %zu\n", cat_config.subbuf_size,
		   cat_config.n_subbufs);
	if (cat_config.target)
		seq_printf(m, "target %d%s\n", cat_config.target,
			   cat_config.follow ? " follow" : "");
	list_for_each_entry(p, &cat_config.probes, node) {
		seq_printf(m, "probe %u %s", p->id, cat_mode_names[p->mode]);
		if (p->mode & CAT_PROBE_MODE_STACK)
			seq_printf(m, "=%u", p->stack_size);
		seq_printf(m, " %u 0x%llx %s\n", p->nargs, (u64)p->offset,
			   p->pathname);
	}
	mutex_unlock(&cat_mutex);
	return 0;
}

static int cat_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, cat_control_show, NULL);
}

const struct file_operations cat_control_fops = {
	.owner		= THIS_MODULE,
	.open		= cat_control_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.write		= cat_control_write,
	.release	= single_release,
};
