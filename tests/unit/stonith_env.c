// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fake ddraid-stonith for tests/unit/test_fence_pcmk.c: answers "ok" when
 * it was started clean (no blocked signal, none of signals 1..31 ignored,
 * descriptor 40 not inherited), else "error: " and what it found. A C
 * program, because a shell clears its signal mask when it starts and awk
 * ignores SIGPIPE itself: either would hide what the helper was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>

int main(void)
{
	struct sigaction sa;
	sigset_t cur;
	int s;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	for (s = 1; s < 32; s++)
		if (sigismember(&cur, s) == 1) {
			printf("error: signal %d blocked\n", s);
			return 1;
		}
	for (s = 1; s < 32; s++)
		if (!sigaction(s, NULL, &sa) && sa.sa_handler == SIG_IGN) {
			printf("error: signal %d ignored\n", s);
			return 1;
		}
	if (fcntl(40, F_GETFD) >= 0 || errno != EBADF) {
		printf("error: descriptor 40 inherited\n");
		return 1;
	}
	printf("ok 1\n");	/* what probe says: one fence device */
	return 0;
}
