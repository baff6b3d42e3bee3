// SPDX-License-Identifier: GPL-2.0
/*
 * fault_helper.c - a small C process for the faults suite to attach
 * "catctl start --pid" to, that then exec()s or fork()s a tokio program.
 *
 * catctl only traces binaries with an async runtime, so the process
 * lifecycle cases (a target that exec()s another program, a target that
 * forks children) are built from this helper plus the bundled tokio_bench:
 * the helper prints "ready PID", blocks until a byte arrives on stdin (the
 * test writes it once catctl has armed the module), then
 *
 *   fault_helper exec PROG ARGS...       execv(PROG, ARGS): the traced
 *                                        process becomes PROG (same pid)
 *   fault_helper fork N PROG ARGS...     fork N children that each exec
 *                                        PROG ARGS, wait for all of them;
 *                                        exit 0 if every child exited 0
 *
 * Exit status 0 on success, 2 on usage errors, 3 if a child failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: fault_helper exec PROG [ARGS...]\n"
			"       fault_helper fork N PROG [ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char go;
	int n, bad = 0;

	if (argc < 3)
		usage();
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (read(0, &go, 1) != 1)
		return 1;

	if (!strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 2);
		perror(argv[2]);
		return 127;
	}
	if (strcmp(argv[1], "fork") || argc < 4)
		usage();
	n = atoi(argv[2]);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 3;
		}
		if (pid == 0) {
			/* the children's output would mix: keep it apart */
			if (!freopen("/dev/null", "w", stdout))
				_exit(126);
			execv(argv[3], argv + 3);
			_exit(127);
		}
	}
	for (int i = 0; i < n; i++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad++;
	}
	return bad ? 3 : 0;
}
