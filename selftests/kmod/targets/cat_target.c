// SPDX-License-Identifier: GPL-2.0
/*
 * cat_target.c - the program the module tests trace.
 *
 * It calls a few small functions a known number of times with arguments
 * and return values a test can predict, so the tests can check the probe
 * records one by one. Argv is a list of actions run in order:
 *
 *   add N        N calls cat_add(a, a + 1000) with a = 0, 1, 2, ... counted
 *                across the whole run (a fork child starts at 1000000), so
 *                every call has distinct arguments; returns 4a + 1000
 *   args6 N      N calls cat_args6(a, a+1, ..., a+5); returns their sum
 *   pair N       N calls cat_pair(a); returns the 16-byte {a, ~a} in rax:rdx
 *   recurse D    one call cat_recurse(D): D nested calls, each returns its depth
 *   sleep N US   N times usleep(US)
 *   wait         print "wait" on stdout and block until a byte arrives on stdin
 *   fork N       fork; the child prints nothing, does "add N" and exits 7;
 *                the parent prints "child <pid>" and waits for it
 *   forks K N    K times in a row "fork N" (each child reaped before the next)
 *   thread N     start a thread that does "add N", join it
 *   threads K N  K threads at once, thread i (0..K-1) doing N calls
 *                cat_add(a, a + 1000) with a = (i + 1) * 100000 + j
 *   getppid N    N calls of libc's getppid() (a probe in a shared library)
 *   block        one call cat_block(21): inside it, print "wait" and block
 *                until a byte arrives on stdin; returns 42
 *   addr         print "cat_add <address>" (its run-time address)
 *   stack KIND N FILE
 *                one call of cat_stack_target() on a stack of our own
 *                (see stack_run()), with rbx rbp r12-r15 set to
 *                CAT_STACK_MAGIC + 1..6; the function copies the N bytes
 *                above its entry sp (fewer when the stack ends first) and
 *                FILE gets struct stack_seen followed by them (with a
 *                uretprobe on it, the first word it sees is the kernel's
 *                trampoline: stack_seen.ret is the real return address).
 *                KIND: "full"
 *                (64 KiB of stack above sp), "end" (1000 bytes above sp,
 *                then an unmapped page), "guard" (1000 bytes, then a
 *                PROT_NONE page)
 *   exit CODE    exit now with CODE
 *
 * Exits 0 when every call returned what it should (so a probe that breaks
 * the traced program is caught too), 1 otherwise, 2 on bad usage.
 *
 * Built with -O1 -g; the functions are global, noinline and noclone and
 * contain an empty asm so the compiler can neither inline, clone, nor
 * fold the calls: the symbol in the ELF file is the code that runs.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBED __attribute__((noinline, noclone, used))

struct cat_pair_ret {
	long a, b;
};

PROBED long cat_add(long a, long b)
{
	asm volatile("" ::: "memory");
	return 3 * a + b;
}

PROBED long cat_args6(long a, long b, long c, long d, long e, long f)
{
	asm volatile("" ::: "memory");
	return a + b + c + d + e + f;
}

PROBED struct cat_pair_ret cat_pair(long a)
{
	struct cat_pair_ret r = { a, ~a };

	asm volatile("" ::: "memory");
	return r;
}

PROBED long cat_recurse(long depth)
{
	asm volatile("" ::: "memory");
	if (depth <= 1)
		return depth;
	return cat_recurse(depth - 1) + 1;
}

PROBED long cat_block(long x)
{
	char c;

	asm volatile("" ::: "memory");
	printf("wait\n");
	if (read(0, &c, 1) != 1)
		return -1;
	return 2 * x;
}

/*
 * stack: cat_stack_call(sp, regs) switches to stack @sp, loads rbx, rbp,
 * r12..r15 from regs[0..5] and calls cat_stack_target(), whose first
 * instruction is what a test probes. cat_stack_target copies
 * cat_stack_len bytes from its entry sp to cat_stack_out with rep movsb
 * (no call, nothing written above sp), so the copy is exactly the stack
 * the probe saw. Entry sp = @sp - 24 (two pushes and the return address).
 */
#define CAT_STACK_MAGIC 0x5ca7000000000000ul

struct stack_seen {
	uint64_t ip, sp;		/* cat_stack_target, its entry sp */
	uint64_t regs[6];		/* rbx rbp r12 r13 r14 r15 */
	uint64_t len;			/* bytes that follow */
	uint64_t ret;			/* cat_stack_target's return address */
};

unsigned char *cat_stack_out;
unsigned long cat_stack_len;
void cat_stack_target(void);
void cat_stack_call(void *sp, const unsigned long *regs);
extern const char cat_stack_ret[];

asm(".text\n"
    ".globl cat_stack_target\n"
    ".type cat_stack_target, @function\n"
    "cat_stack_target:\n"
    "	mov %rsp, %rsi\n"
    "	mov cat_stack_out(%rip), %rdi\n"
    "	mov cat_stack_len(%rip), %rcx\n"
    "	cld\n"
    "	rep movsb\n"
    "	ret\n"
    ".size cat_stack_target, .-cat_stack_target\n"
    ".globl cat_stack_call\n"
    ".type cat_stack_call, @function\n"
    "cat_stack_call:\n"
    "	push %rbp\n"
    "	push %rbx\n"
    "	push %r12\n"
    "	push %r13\n"
    "	push %r14\n"
    "	push %r15\n"
    "	mov %rsp, %rax\n"
    "	mov %rdi, %rsp\n"
    "	push %rax\n"
    "	push %rax\n"
    "	mov 0(%rsi), %rbx\n"
    "	mov 8(%rsi), %rbp\n"
    "	mov 16(%rsi), %r12\n"
    "	mov 24(%rsi), %r13\n"
    "	mov 32(%rsi), %r14\n"
    "	mov 40(%rsi), %r15\n"
    "	call cat_stack_target\n"
    "cat_stack_ret:\n"
    "	pop %rax\n"
    "	pop %rsp\n"
    "	pop %r15\n"
    "	pop %r14\n"
    "	pop %r13\n"
    "	pop %r12\n"
    "	pop %rbx\n"
    "	pop %rbp\n"
    "	ret\n"
    ".size cat_stack_call, .-cat_stack_call\n");

/*
 * A stack mapping of 17 pages: 16 of stack, then one page that is
 * unmapped ("end"), PROT_NONE ("guard") or more stack ("full", where sp
 * sits 64 KiB below the end instead). The bytes above sp are a pattern
 * (byte i of the mapping is i * 7 + 3), except the 24 the call pushes.
 */
static int stack_run(const char *kind, long n, const char *file)
{
	size_t pg = sysconf(_SC_PAGESIZE), len = 17 * pg;
	unsigned long regs[6];
	struct stack_seen seen;
	unsigned char *m, *top;
	size_t above;
	int fd, ok;

	m = mmap(NULL, len + 16 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	for (size_t i = 0; i < len; i++)
		m[i] = (unsigned char)(i * 7 + 3);
	/* nothing mapped after the 17 pages, whatever comes next */
	munmap(m + len, 16 * pg);
	if (!strcmp(kind, "full")) {
		top = m + len;
		above = 64 * 1024;
	} else if (!strcmp(kind, "end")) {
		munmap(m + 16 * pg, pg);
		top = m + 16 * pg;
		above = 1000;
	} else if (!strcmp(kind, "guard")) {
		mprotect(m + 16 * pg, pg, PROT_NONE);
		top = m + 16 * pg;
		above = 1000;
	} else {
		return -1;
	}
	/* entry sp = call sp - 24, 16-byte aligned call sp */
	unsigned char *call_sp = (unsigned char *)((uintptr_t)(top - above + 24) & ~15ul);

	cat_stack_len = top - (call_sp - 24);
	if ((long)cat_stack_len > n)
		cat_stack_len = n;
	cat_stack_out = malloc(cat_stack_len + 1);
	if (!cat_stack_out)
		return -1;
	for (int i = 0; i < 6; i++)
		regs[i] = CAT_STACK_MAGIC + i + 1;
	cat_stack_call(call_sp, regs);
	seen.ip = (uintptr_t)cat_stack_target;
	seen.sp = (uintptr_t)(call_sp - 24);
	memcpy(seen.regs, regs, sizeof(regs));
	seen.len = cat_stack_len;
	seen.ret = (uintptr_t)cat_stack_ret;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ok = write(fd, &seen, sizeof(seen)) == sizeof(seen) &&
	     write(fd, cat_stack_out, seen.len) == (ssize_t)seen.len;
	close(fd);
	free(cat_stack_out);
	munmap(m, 16 * pg);
	if (strcmp(kind, "end"))
		munmap(m + 16 * pg, pg);
	return ok ? 0 : -1;
}

static long next_a;
static int bad;

static void do_add(long n)
{
	for (long i = 0; i < n; i++, next_a++)
		if (cat_add(next_a, next_a + 1000) != 4 * next_a + 1000)
			bad = 1;
}

/*
 * Fork a child that does "add N" (from a = 1000000) and exits 7, then
 * reap it; @announce: print "child <pid>" first. -1 if fork() failed.
 */
static int fork_add(long n, int announce)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		next_a = 1000000;
		do_add(n);
		_exit(bad ? 1 : 7);
	}
	if (announce)
		printf("child %d\n", pid);
	if (waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		bad = 1;
	return 0;
}

static void *thread_fn(void *arg)
{
	do_add((long)arg);
	return NULL;
}

static long threads_n;

static void *threads_fn(void *arg)
{
	long base = ((long)arg + 1) * 100000;

	for (long j = 0; j < threads_n; j++)
		if (cat_add(base + j, base + j + 1000) != 4 * (base + j) + 1000)
			bad = 1;
	return NULL;
}

static long num(const char *s)
{
	char *end;
	long v;

	if (!s)
		exit(2);
	v = strtol(s, &end, 0);
	if (*end)
		exit(2);
	return v;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "add")) {
			do_add(num(argv[++i]));
		} else if (!strcmp(a, "args6")) {
			long n = num(argv[++i]);

			for (long k = 0; k < n; k++, next_a++)
				if (cat_args6(next_a, next_a + 1, next_a + 2, next_a + 3,
					      next_a + 4, next_a + 5) != 6 * next_a + 15)
					bad = 1;
		} else if (!strcmp(a, "pair")) {
			long n = num(argv[++i]);

			for (long k = 0; k < n; k++, next_a++) {
				struct cat_pair_ret r = cat_pair(next_a);

				if (r.a != next_a || r.b != ~next_a)
					bad = 1;
			}
		} else if (!strcmp(a, "recurse")) {
			long d = num(argv[++i]);

			if (cat_recurse(d) != d)
				bad = 1;
		} else if (!strcmp(a, "sleep")) {
			long n = num(argv[i + 1]), us = num(argv[i + 2]);

			i += 2;
			for (long k = 0; k < n; k++)
				usleep(us);
		} else if (!strcmp(a, "wait")) {
			char c;

			printf("wait\n");
			if (read(0, &c, 1) != 1)
				return 1;
		} else if (!strcmp(a, "fork")) {
			if (fork_add(num(argv[++i]), 1))
				return 1;
		} else if (!strcmp(a, "forks")) {
			long k = num(argv[i + 1]), n = num(argv[i + 2]);

			i += 2;
			for (long j = 0; j < k; j++)
				if (fork_add(n, 0))
					return 1;
		} else if (!strcmp(a, "thread")) {
			long n = num(argv[++i]);
			pthread_t t;

			if (pthread_create(&t, NULL, thread_fn, (void *)n))
				return 1;
			pthread_join(t, NULL);
		} else if (!strcmp(a, "threads")) {
			long k = num(argv[i + 1]);
			pthread_t t[64];

			threads_n = num(argv[i + 2]);
			i += 2;
			if (k < 1 || k > 64)
				return 2;
			for (long j = 0; j < k; j++)
				if (pthread_create(&t[j], NULL, threads_fn, (void *)j))
					return 1;
			for (long j = 0; j < k; j++)
				pthread_join(t[j], NULL);
		} else if (!strcmp(a, "getppid")) {
			long n = num(argv[++i]);
			pid_t pp = getppid();

			for (long k = 0; k < n; k++)
				if (getppid() != pp)
					bad = 1;
		} else if (!strcmp(a, "block")) {
			if (cat_block(21) != 42)
				bad = 1;
		} else if (!strcmp(a, "stack")) {
			if (!argv[i + 1] || !argv[i + 2] || !argv[i + 3])
				return 2;
			if (stack_run(argv[i + 1], num(argv[i + 2]), argv[i + 3]))
				bad = 1;
			i += 3;
		} else if (!strcmp(a, "addr")) {
			printf("cat_add %p\n", (void *)cat_add);
		} else if (!strcmp(a, "exit")) {
			exit(num(argv[++i]));
		} else {
			fprintf(stderr, "cat_target: unknown action %s\n", a);
			return 2;
		}
	}
	return bad;
}
