// SPDX-License-Identifier: GPL-2.0
/*
 * spawn.c - child processes with their output in files (see spawn.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

/* How often cat_spawn_wait() looks whether the child has ended. */
#define CAT_SPAWN_POLL_MS	20

pid_t cat_spawn(char *const argv[], const char *out, const char *err,
		int in_fd, const char *env)
{
	pid_t pid = fork();

	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		if (in_fd >= 0)
			dup2(in_fd, 0);
		else if (in_fd == CAT_SPAWN_STDIN_NONE)
			close(0);
		if (env)
			putenv((char *)env);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int cat_spawn_wait(pid_t pid, int timeout_ms)
{
	int status, i;

	if (pid <= 0)
		return -1;
	for (i = 0; i < timeout_ms / CAT_SPAWN_POLL_MS; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(CAT_SPAWN_POLL_MS * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

char *cat_slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (fstat(fileno(f), &sb) || !(buf = malloc(sb.st_size + 1))) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, sb.st_size, f);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

bool cat_file_has(const char *path, const char *what)
{
	char *text = cat_slurp(path, NULL);
	bool found = text && strstr(text, what);

	free(text);
	return found;
}

void cat_file_show(const char *path)
{
	char *text = cat_slurp(path, NULL);

	if (text)
		fprintf(stderr, "# --- %s ---\n%s\n", path, text);
	free(text);
}
