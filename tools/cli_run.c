// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running another program and keeping its output: the transport commands
 * drive nvme-cli, corosync-cmapctl and modprobe, whose interfaces are
 * their command lines (no library of theirs is worth linking for this).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "transport.h"

int cli_run(const char *const *argv, char **out, bool quiet)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int pfd[2], status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return 127;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return 127;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		if (nul >= 0) {
			dup2(nul, 0);
			if (!out)
				dup2(nul, 1);
			if (quiet)
				dup2(nul, 2);
		}
		if (out)
			dup2(pfd[1], 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		r = read(pfd[0], buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return 127;
		}
	if (out) {
		if (!buf)
			buf = calloc(1, 1);
		else
			buf[len] = '\0';
		*out = buf;
	} else {
		free(buf);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return -1;
}
