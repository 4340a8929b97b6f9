// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pacemaker's fencer for ddraidd (fence_pcmk.h), through the helper
 * program ddraid-stonith rather than libstonithd in this process:
 *
 *  - ddraidd locks all its memory (mlockall, MCL_FUTURE). libstonithd
 *    brings 36 libraries along (glib, libxml2, gnutls, ICU, ...): loaded
 *    here they would pin about 50 MiB of every node's RAM for a call made
 *    once per node crash.
 *  - libstonithd is not thread-safe (libcrmcommon) and its helpers call
 *    openlog("stonith-api"), which would rename every later syslog line of
 *    ddraidd; in a process of its own neither matters.
 *  - A node without Pacemaker runs ddraidd without its libraries: the
 *    helper fails to start, and ddraidd says so (--fencing auto: none).
 *
 * This is dlm_controld's arrangement too: its fencing goes through the
 * helper program dlm_stonith. The helper runs with an empty signal mask,
 * default dispositions and no inherited descriptors but stdout/stderr (one
 * pipe, read here); posix_spawn() does not copy ddraidd's locked memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fence_pcmk.h"

extern char **environ;

#define HELPER_NAME	"ddraid-stonith"
#define OUT_MAX		512

int fence_pcmk_helper_path(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return -ENOENT;
	*slash = 0;
	if ((size_t)snprintf(buf, len, "%s/%s", exe, HELPER_NAME) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Run @helper with @args; its output (stdout and stderr) in @out. The
 * exit status (>= 0), or -errno when it could not be started or died of a
 * signal (*@out then says why).
 */
static int run(const char *helper, char *const args[], char *out, size_t len)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	size_t got = 0;
	int p[2], r, status;
	pid_t pid;

	out[0] = 0;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	/* corosync's and libqb's descriptors are not all close-on-exec. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	/* ddraidd blocks its signals for the signalfd and ignores SIGPIPE:
	 * the helper must start with neither. */
	sigemptyset(&none);
	sigfillset(&def);
	sigdelset(&def, SIGKILL);
	sigdelset(&def, SIGSTOP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, helper, &fa, &at, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (r) {
		close(p[0]);
		snprintf(out, len, "cannot run %s: %s", helper, strerror(r));
		return -r;
	}
	for (;;) {
		char tmp[256];
		ssize_t n = read(p[0], tmp, sizeof(tmp));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* Keep the start; read the rest so that it never blocks. */
		if (got + 1 < len) {
			size_t k = (size_t)n < len - 1 - got ? (size_t)n :
							       len - 1 - got;

			memcpy(out + got, tmp, k);
			got += k;
			out[got] = 0;
		}
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFSIGNALED(status)) {
		snprintf(out, len, "%s was killed by signal %d%s", helper,
			 WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ?
			 " (the fencer did not answer in time)" : "");
		return -ETIMEDOUT;
	}
	return WEXITSTATUS(status);
}

/*
 * The helper's answer: 0 with @rest after "ok", or -EIO with @why (its
 * "error: " line, else its first line: a loader error, say).
 */
static int answer(const char *helper, int st, char *out, const char **rest,
		  char *why, size_t len)
{
	char *line, *save = NULL, *first = NULL, *err = NULL, *ok = NULL;

	if (st < 0) {
		snprintf(why, len, "%s", out);
		return st;
	}
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!first)
			first = line;
		if (!strncmp(line, "error: ", 7))
			err = line + 7;
		else if (!strcmp(line, "ok") || !strncmp(line, "ok ", 3))
			ok = line + 2;
	}
	if (st == 0 && ok) {
		*rest = ok;
		return 0;
	}
	if (err)
		snprintf(why, len, "%s", err);
	else if (first)
		snprintf(why, len, "%s: %s", helper, first);
	else
		snprintf(why, len, "%s exited with status %d and said nothing",
			 helper, st);
	return -EIO;
}

static int pcmk_last(void *ctx, u32 nodeid, struct timespec *when,
		     char *why, size_t len)
{
	char id[16], out[OUT_MAX];
	char *args[] = { (char *)HELPER_NAME, (char *)"last", id, NULL };
	const char *rest;
	long long sec;
	long nsec;
	int r;

	snprintf(id, sizeof(id), "%u", nodeid);
	r = answer(ctx, run(ctx, args, out, sizeof(out)), out, &rest, why,
		   len);
	if (r)
		return r;
	if (sscanf(rest, "%lld %ld", &sec, &nsec) != 2 || sec < 0 ||
	    nsec < 0 || nsec >= 1000000000) {
		snprintf(why, len, "%s: cannot parse its answer '%s'",
			 (const char *)ctx, rest);
		return -EPROTO;
	}
	when->tv_sec = (time_t)sec;
	when->tv_nsec = nsec;
	return 0;
}

static int pcmk_kick(void *ctx, u32 nodeid, unsigned int timeout_s,
		     char *why, size_t len)
{
	char id[16], to[16], out[OUT_MAX];
	char *args[] = { (char *)HELPER_NAME, (char *)"fence", id, to, NULL };
	const char *rest;

	snprintf(id, sizeof(id), "%u", nodeid);
	snprintf(to, sizeof(to), "%u", timeout_s);
	return answer(ctx, run(ctx, args, out, sizeof(out)), out, &rest, why,
		      len);
}

static void pcmk_release(void *ctx)
{
	free(ctx);
}

int fence_pcmk_ops(struct fence_ops *ops, const char *helper)
{
	char *h = strdup(helper);

	if (!h)
		return -ENOMEM;
	*ops = (struct fence_ops){
		.last_fenced = pcmk_last,
		.kick = pcmk_kick,
		.release = pcmk_release,
		.ctx = h,
	};
	return 0;
}

int fence_pcmk_probe(const char *helper, int *devices, char *why, size_t len)
{
	char out[OUT_MAX];
	char *args[] = { (char *)HELPER_NAME, (char *)"probe", NULL };
	const char *rest;
	int r;

	*devices = 0;
	r = answer(helper, run(helper, args, out, sizeof(out)), out, &rest,
		   why, len);
	if (r)
		return r;
	if (sscanf(rest, "%d", devices) != 1 || *devices < 0) {
		snprintf(why, len, "%s: cannot parse its answer '%s'", helper,
			 rest);
		return -EPROTO;
	}
	return 0;
}
