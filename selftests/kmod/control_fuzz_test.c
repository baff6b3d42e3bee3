// SPDX-License-Identifier: GPL-2.0
/*
 * control_fuzz_test.c - thousands of random and malformed lines written to
 * cat.ko's control file, in every state.
 *
 * control_test checks ~60 hand-picked bad commands; this one throws a
 * seeded stream of generated lines at the parser: random bytes (NUL,
 * control characters, bytes >= 0x80), over-long lines, valid commands
 * with bytes flipped, inserted or cut, words shuffled between commands,
 * numbers at and past every limit (2^32, 2^64, "-1", "+1", "0x", octal),
 * probe offsets past the end of the file, paths to directories, devices,
 * fifos, empty files, symlinks to nowhere and symlink loops, and valid
 * commands sent in the wrong state (idle, running, stopped).
 *
 * The contract (Documentation/control.rst) checked for every line:
 *  - a rejected line returns one of the documented errnos and leaves the
 *    configuration and state read back from the control file
 *    byte-identical;
 *  - an accepted line must be a well-formed command (printable, single
 *    spaces, a known command word), and configuration commands are never
 *    accepted outside idle; it is then undone (back to the phase's
 *    baseline, which must read back byte-identical again).
 *
 * The seed is printed; CAT_FUZZ_SEED=N replays a run, CAT_FUZZ_LINES=N
 * changes the number of lines per state. The run is also bounded in time
 * so that it stays well under 30 s under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "common.h"

#define CFG_MAX		65536
#define LINE_MAX_LEN	(CAT_CMD_MAX + 4096)
#define DEFAULT_LINES	4000	/* per state: idle, running, stopped */
#define TIME_BUDGET_MS	20000	/* all three phases together */
#define MAX_REPORTS	5	/* failing lines logged before giving up */

/* ---- a small seeded PRNG (xorshift64*) -------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned int rndn(unsigned int n)
{
	return n ? rnd() % n : 0;
}

#define PICK(a) ((a)[rndn(sizeof(a) / sizeof((a)[0]))])

/* ---- the files probe paths point at ----------------------------------- */

struct paths {
	char dir[64];
	char target[4096];		/* cat_target: a valid probe file */
	char empty[96], fifo[96], dangling[96], loop[96], subdir[96];
	char spaced[128];		/* symlink to cat_target, with spaces */
	char selfpid[32], childpid[32];
	uint64_t target_size;
};

static struct paths P;

static int make_paths(const char *target, pid_t child)
{
	struct stat st;
	char loop2[128];
	int fd;

	snprintf(P.dir, sizeof(P.dir), "/tmp/cfuzz.XXXXXX");
	if (!mkdtemp(P.dir))
		return -errno;
	snprintf(P.target, sizeof(P.target), "%s", target);
	if (stat(target, &st))
		return -errno;
	P.target_size = st.st_size;
	snprintf(P.empty, sizeof(P.empty), "%s/empty", P.dir);
	snprintf(P.fifo, sizeof(P.fifo), "%s/fifo", P.dir);
	snprintf(P.dangling, sizeof(P.dangling), "%s/dangling", P.dir);
	snprintf(P.loop, sizeof(P.loop), "%s/loop1", P.dir);
	snprintf(loop2, sizeof(loop2), "%s/loop2", P.dir);
	snprintf(P.subdir, sizeof(P.subdir), "%s/sub", P.dir);
	snprintf(P.spaced, sizeof(P.spaced), "%s/a b c", P.dir);
	fd = open(P.empty, O_CREAT | O_WRONLY, 0755);
	if (fd < 0)
		return -errno;
	close(fd);
	if (mkfifo(P.fifo, 0600) || symlink("/nonexistent/nowhere", P.dangling) ||
	    symlink(loop2, P.loop) || symlink(P.loop, loop2) ||
	    mkdir(P.subdir, 0755) || symlink(target, P.spaced))
		return -errno;
	snprintf(P.selfpid, sizeof(P.selfpid), "%d", getpid());
	snprintf(P.childpid, sizeof(P.childpid), "%d", child);
	return 0;
}

static void remove_paths(void)
{
	char cmd[128];

	if (!P.dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", P.dir);
	if (system(cmd))
		fprintf(stderr, "# cannot remove %s\n", P.dir);
}

/* ---- line generators ---------------------------------------------------- */

static const char *const cmd_words[] = {
	"probe", "unprobe", "target", "buffers", "mode", "start", "stop",
	"consumed", "reset", "clear",
};

static const char *const odd_words[] = {
	"PROBE", "Probe", "probes", "prob", "st", "startt", "stop\t", "#",
	"entry", "return", "both", "record", "count", "follow", "", "x",
	"entry+ra", "both+ra", "return+ra", "+ra",
	"entry\x01", "b\xc3\xb6th", "\xff\xfe", "\x7f",
};

static const char *num_word(char *buf, size_t size)
{
	static const char *const fixed[] = {
		"0", "1", "2", "6", "7", "8", "63", "64", "4095", "4096", "4097",
		"8192", "65536", "262144", "16777216", "16777217", "1023", "1024",
		"1025", "2147483647", "2147483648", "4294967295", "4294967296",
		"9223372036854775807", "9223372036854775808",
		"18446744073709551615", "18446744073709551616",
		"99999999999999999999999999", "-1", "-0", "+1", "0x", "0x+1",
		"0X10", "0x1000", "0xffffffff", "0x100000000",
		"0xffffffffffffffff", "0x10000000000000000", "010", "1e3",
		"1.5", "0b101", "12a", "a12", "4194304", "4194305", "1 ",
	};

	switch (rndn(4)) {
	case 0:
		snprintf(buf, size, "%llu", (unsigned long long)rnd());
		return buf;
	case 1:
		snprintf(buf, size, "0x%llx",
			 (unsigned long long)(rnd() >> rndn(64)));
		return buf;
	case 2:
		/* an offset near the end of the target file */
		snprintf(buf, size, "%llu",
			 (unsigned long long)(P.target_size - 2 + rndn(5)));
		return buf;
	default:
		return PICK(fixed);
	}
}

static const char *path_word(void)
{
	const char *const paths[] = {
		P.target, P.empty, P.fifo, P.dangling, P.loop, P.subdir,
		P.spaced, P.dir, "/", "/dev/null", "/dev/zero", "/proc/self/exe",
		"/proc/1/maps", "/sys/kernel/debug/cat/control",
		"/nonexistent/cat_target", "relative/path", "cat_target",
		"//", "/tmp/", "/tmp/../tmp", "/\x01bin", "",
	};

	return PICK(paths);
}

static const char *any_word(char *buf, size_t size)
{
	switch (rndn(6)) {
	case 0: return PICK(cmd_words);
	case 1: return PICK(odd_words);
	case 2: return path_word();
	case 3: return rndn(2) ? P.selfpid : P.childpid;
	default: return num_word(buf, size);
	}
}

static const char *const seps[] = { " ", " ", " ", " ", " ", " ", "  ", "\t",
				    "\n", "\0", "\r", " \n" };

/* Append @s (may contain NULs when @n says so) to line[*len]. */
static void put(char *line, size_t *len, const char *s, size_t n)
{
	if (*len + n > LINE_MAX_LEN)
		n = LINE_MAX_LEN - *len;
	memcpy(line + *len, s, n);
	*len += n;
}

static void puts_(char *line, size_t *len, const char *s)
{
	put(line, len, s, strlen(s));
}

static void put_sep(char *line, size_t *len)
{
	const char *s = PICK(seps);

	put(line, len, s, *s ? strlen(s) : 1);
}

/* A command word followed by random words: grammar-shaped garbage. */
static size_t gen_words(char *line)
{
	char nb[4][40];
	size_t len = 0;
	int n = rndn(8);

	puts_(line, &len, rndn(8) ? PICK(cmd_words) : PICK(odd_words));
	for (int i = 0; i < n; i++) {
		if (rndn(10))
			puts_(line, &len, " ");
		else
			put_sep(line, &len);
		puts_(line, &len, any_word(nb[i % 4], sizeof(nb[0])));
	}
	if (rndn(2))
		puts_(line, &len, "\n");
	return len;
}

/* A structurally correct command with one or two fields off. */
static size_t gen_command(char *line)
{
	static const char *const kinds[] = { "entry", "return", "both",
					     "entry+ra", "both+ra", "return+ra",
					     "Both", "none" };
	char a[40], b[40], c[40], d[40];
	size_t len;

	switch (rndn(9)) {
	case 0: case 1: case 2:
		len = snprintf(line, LINE_MAX_LEN, "probe %s %s %s %s %s",
			       rndn(3) ? "7" : num_word(a, sizeof(a)),
			       rndn(3) ? "both" : PICK(kinds),
			       rndn(3) ? "1" : num_word(b, sizeof(b)),
			       num_word(c, sizeof(c)), path_word());
		break;
	case 3:
		len = snprintf(line, LINE_MAX_LEN, "unprobe %s",
			       num_word(a, sizeof(a)));
		break;
	case 4:
		len = snprintf(line, LINE_MAX_LEN, "target %s%s",
			       rndn(2) ? num_word(a, sizeof(a)) :
			       (rndn(2) ? P.selfpid : P.childpid),
			       rndn(2) ? "" : (rndn(2) ? " follow" : " folow"));
		break;
	case 5:
		len = snprintf(line, LINE_MAX_LEN, "buffers %s %s",
			       num_word(a, sizeof(a)), num_word(b, sizeof(b)));
		break;
	case 6:
		len = snprintf(line, LINE_MAX_LEN, "consumed %s %s",
			       num_word(a, sizeof(a)), num_word(b, sizeof(b)));
		break;
	case 7:
		len = snprintf(line, LINE_MAX_LEN, "mode %s",
			       rndn(2) ? (rndn(2) ? "count" : "record") :
			       num_word(a, sizeof(a)));
		break;
	default:
		len = snprintf(line, LINE_MAX_LEN, "%s%s%s", PICK(cmd_words),
			       rndn(3) ? "" : " ", rndn(3) ? "" :
			       num_word(d, sizeof(d)));
		break;
	}
	if (rndn(2))
		line[len++] = '\n';
	return len;
}

/* Random bytes, biased to short lines; sometimes far past CAT_CMD_MAX. */
static size_t gen_bytes(char *line)
{
	size_t len;

	switch (rndn(6)) {
	case 0:
		len = CAT_CMD_MAX - 2 + rndn(5);
		break;
	case 1:
		len = CAT_CMD_MAX + rndn(4096);
		break;
	default:
		len = 1 + rndn(64);
	}
	for (size_t i = 0; i < len; i++)
		line[i] = rndn(3) ? 0x20 + rndn(95) : (char)rndn(256);
	return len;
}

/* A long but otherwise plausible line: "probe 1 both 0 0 /aaaa...". */
static size_t gen_long(char *line)
{
	size_t len = CAT_CMD_MAX - 8 + rndn(32);

	memset(line, 'a', len);
	memcpy(line, "probe 9 both 0 0 /", 18);
	if (rndn(2))
		line[len - 1] = '\n';
	return len;
}

/* Mutate a valid command: flip, insert, delete or duplicate bytes. */
static size_t gen_mutant(char *line)
{
	size_t len = gen_command(line);
	int n = 1 + rndn(3);

	for (int i = 0; i < n && len; i++) {
		size_t at = rndn(len);

		switch (rndn(4)) {
		case 0:
			line[at] ^= 1 << rndn(8);
			break;
		case 1:
			if (len < LINE_MAX_LEN) {
				memmove(line + at + 1, line + at, len - at);
				line[at] = (char)rndn(256);
				len++;
			}
			break;
		case 2:
			memmove(line + at, line + at + 1, len - at - 1);
			len--;
			break;
		default:
			len = at + 1;	/* cut */
		}
	}
	return len;
}

static size_t gen_line(char *line)
{
	switch (rndn(10)) {
	case 0: case 1: return gen_bytes(line);
	case 2: return gen_long(line);
	case 3: case 4: return gen_words(line);
	case 5: case 6: return gen_mutant(line);
	default: return gen_command(line);
	}
}

/* ---- the oracle --------------------------------------------------------- */

/*
 * Could the module legitimately accept these bytes? Printable ASCII, one
 * optional trailing newline, words separated by exactly one space, and a
 * known command word first. (A necessary condition, not a parser.)
 */
static bool well_formed(const char *line, size_t len, char *word, size_t wsize)
{
	size_t n = len, w;

	if (n && line[n - 1] == '\n')
		n--;
	if (!n || line[0] == ' ' || line[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
			return false;
		if (line[i] == ' ' && line[i + 1] == ' ')
			return false;
	}
	for (w = 0; w < n && line[w] != ' '; w++)
		;
	if (w >= wsize)
		return false;
	memcpy(word, line, w);
	word[w] = '\0';
	for (size_t i = 0; i < sizeof(cmd_words) / sizeof(cmd_words[0]); i++)
		if (!strcmp(word, cmd_words[i]))
			return true;
	return false;
}

static bool config_word(const char *w)
{
	return !strcmp(w, "probe") || !strcmp(w, "unprobe") ||
	       !strcmp(w, "target") || !strcmp(w, "buffers") ||
	       !strcmp(w, "mode") || !strcmp(w, "clear");
}

/* Documentation/control.rst's errors, plus path lookup's own. */
static bool documented_errno(int e)
{
	switch (e) {
	case EINVAL: case EBUSY: case ENOENT: case EEXIST: case ESRCH:
	case ENOSPC: case ENOMEM: case ENOTDIR: case ELOOP: case ENAMETOOLONG:
	case EACCES:
		return true;
	}
	return false;
}

static const char *shown(const char *line, size_t len)
{
	static char out[400];
	size_t o = 0;

	for (size_t i = 0; i < len && o < sizeof(out) - 8; i++) {
		unsigned char c = line[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = c;
		else
			o += snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
	}
	if (o >= sizeof(out) - 8)
		o += snprintf(out + o, sizeof(out) - o, "...");
	out[o] = '\0';
	return out;
}

/* ---- the test ----------------------------------------------------------- */

enum phase { PH_IDLE, PH_RUNNING, PH_STOPPED };
static const char *const phase_name[] = { "idle", "running", "stopped" };

FIXTURE(cfuzz) {
	struct cat_session s;
	struct cat_child sleeper;
	char baseline[CFG_MAX], before[CFG_MAX], after[CFG_MAX];
	char *line;
	unsigned int seed, lines;
	unsigned int stats[3][3];	/* phase x (rejected, accepted, no-op) */
};

FIXTURE_SETUP(cfuzz)
{
	char *argv[] = { "/bin/sleep", "1000", NULL };
	const char *e;

	self->sleeper.pid = -1;
	ASSERT_EQ(0, sess_init(&self->s)) TH_LOG("%s", self->s.err);
	/* a live process to target; blocked before exec, never released */
	ASSERT_EQ(0, cat_child_spawn(&self->sleeper, argv, -1));
	ASSERT_EQ(0, make_paths(self->s.path, self->sleeper.pid));
	self->line = malloc(LINE_MAX_LEN + 16);
	ASSERT_NE(NULL, self->line);
	e = getenv("CAT_FUZZ_SEED");
	self->seed = e ? strtoul(e, NULL, 0) : (unsigned int)(time(NULL) ^ getpid());
	e = getenv("CAT_FUZZ_LINES");
	self->lines = e ? strtoul(e, NULL, 0) : DEFAULT_LINES;
	printf("# control_fuzz: seed %u, %u lines per state (replay: CAT_FUZZ_SEED=%u)\n",
	       self->seed, self->lines, self->seed);
	fflush(stdout);
	rng_state = self->seed * 0x9e3779b97f4a7c15ull + 1;
}

FIXTURE_TEARDOWN(cfuzz)
{
	cat_child_kill(&self->sleeper);
	sess_cleanup(&self->s);
	remove_paths();
	free(self->line);
}

/* The configuration each phase starts from and is restored to. */
static int set_baseline(FIXTURE_DATA(cfuzz) *self, enum phase ph)
{
	int ret;

	cat_test_idle();
	if ((ret = cat_control("buffers 8192 2")) ||
	    (ret = cat_control("probe 1 both 2 %llu %s",
			   (unsigned long long)self->s.off_add, self->s.path)) ||
	    (ret = cat_control("probe 0x10 entry 0 %llu %s",
			   (unsigned long long)self->s.off_pair, self->s.path)) ||
	    (ret = cat_control("target %d", self->sleeper.pid)))
		return ret;
	if (ph >= PH_RUNNING && (ret = cat_control("start")))
		return ret;
	if (ph == PH_STOPPED && (ret = cat_control("stop")))
		return ret;
	return 0;
}

static bool over_budget(uint64_t t0)
{
	return cat_now_ms() - t0 > TIME_BUDGET_MS;
}

TEST_F_TIMEOUT(cfuzz, random_lines_change_nothing, 120)
{
	uint64_t t0 = cat_now_ms();
	int reports = 0;
	bool cut = false;

	for (int ph = PH_IDLE; ph <= PH_STOPPED && !cut; ph++) {
		ssize_t n;
		int ret = set_baseline(self, ph);

		ASSERT_EQ(0, ret) TH_LOG("%s baseline: %s", phase_name[ph],
					 strerror(-ret));
		n = cat_file_read(CAT_CONTROL_FILE, self->baseline, CFG_MAX);
		ASSERT_GE(n, 0);

		for (unsigned int i = 0; i < self->lines; i++) {
			char word[16];
			size_t len;
			bool wf;

			if (over_budget(t0)) {
				cut = true;
				break;
			}
			len = gen_line(self->line);
			ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->before, CFG_MAX), 0);
			ret = len ? cat_control_write(self->line, len) : 0;
			ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);

			if (!len) {
				self->stats[ph][2]++;
				EXPECT_STREQ(self->before, self->after);
				continue;
			}
			if (ret) {
				self->stats[ph][0]++;
				if (!documented_errno(-ret) ||
				    strcmp(self->before, self->after)) {
					EXPECT_TRUE(documented_errno(-ret))
						TH_LOG("%s: '%s' -> %s (not a documented error)",
						       phase_name[ph],
						       shown(self->line, len),
						       strerror(-ret));
					EXPECT_STREQ(self->before, self->after)
						TH_LOG("%s: rejected '%s' (%s) changed the configuration",
						       phase_name[ph],
						       shown(self->line, len),
						       strerror(-ret));
					ASSERT_LT(++reports, MAX_REPORTS);
				}
				continue;
			}

			/* accepted: it must have been a command, in its state */
			self->stats[ph][1]++;
			wf = well_formed(self->line, len, word, sizeof(word));
			if (!wf || (ph != PH_IDLE && config_word(word)) ||
			    (ph != PH_IDLE && !strcmp(word, "start"))) {
				EXPECT_TRUE(false)
					TH_LOG("%s: '%s' was accepted",
					       phase_name[ph],
					       shown(self->line, len));
				ASSERT_LT(++reports, MAX_REPORTS);
			}
			/* undo it: back to this phase's baseline */
			ret = set_baseline(self, ph);
			ASSERT_EQ(0, ret) TH_LOG("restore after '%s': %s",
						 shown(self->line, len),
						 strerror(-ret));
			ASSERT_GE(cat_file_read(CAT_CONTROL_FILE, self->after, CFG_MAX), 0);
			ASSERT_STREQ(self->baseline, self->after)
				TH_LOG("restore after '%s'", shown(self->line, len));
		}
	}
	for (int ph = PH_IDLE; ph <= PH_STOPPED; ph++)
		printf("# %s: %u rejected, %u accepted and undone, %u empty\n",
		       phase_name[ph], self->stats[ph][0], self->stats[ph][1],
		       self->stats[ph][2]);
	printf("# %.1f s%s\n", (cat_now_ms() - t0) / 1000.0,
	       cut ? " (time budget reached, stopped early)" : "");
	fflush(stdout);	/* the harness ends a test with _exit() */
	/* at least one full phase and a good share of the next */
	EXPECT_GT(self->stats[PH_IDLE][0] + self->stats[PH_IDLE][1], 500);
	EXPECT_FALSE(cut && self->stats[PH_RUNNING][0] == 0);
}

TEST_HARNESS_MAIN
