// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's pid file (cpg-daemon/pidfile.c) and the choice of log targets
 * (cpg-daemon/log.c): a stale file is taken over, a live holder (another
 * process holding the lock) refuses the second daemon and its file stays
 * as it was, the file goes on removal and the lock with it; --log-to
 * values, and "auto" dropping stderr exactly when it is the journal's
 * stream.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "pidfile.h"
#include "test_util.h"

static char dir[PATH_MAX], path[PATH_MAX + 16];

static int setup(void **state)
{
	(void)state;
	if (tu_mkdir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/v.pid", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmdir(dir);
	return 0;
}

static void put(const char *p, const char *s)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* The file's content, "" when absent. */
static const char *get(const char *p)
{
	static char buf[64];
	FILE *f = fopen(p, "r");
	size_t n;

	buf[0] = 0;
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_lock_write_remove(void **state)
{
	struct pidfile pf;
	const char *what = NULL;
	pid_t holder = -1;
	char want[24];

	assert_int_equal(pidfile_lock(&pf, path, &holder, &what), 0);
	assert_int_equal(holder, 0);
	/* Locked, not yet written. */
	assert_string_equal(get(path), "");
	assert_int_equal(pidfile_write(&pf, getpid()), 0);
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	assert_string_equal(get(path), want);
	pidfile_remove(&pf);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* Removal twice is harmless. */
	pidfile_remove(&pf);
	(void)state;
}

static void test_stale_taken_over(void **state)
{
	struct pidfile pf;
	const char *what = NULL;
	pid_t holder = -1, child;
	char want[24];
	int st;

	/* A pid that certainly is dead: a child we reaped. */
	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, &st, 0), child);
	snprintf(want, sizeof(want), "%d\n", (int)child);
	put(path, want);

	assert_int_equal(pidfile_lock(&pf, path, &holder, &what), 0);
	assert_int_equal(pidfile_write(&pf, 4242), 0);
	assert_string_equal(get(path), "4242\n");
	pidfile_remove(&pf);

	/* A longer stale content is truncated, not overwritten in part. */
	put(path, "1234567890\n");
	assert_int_equal(pidfile_lock(&pf, path, &holder, &what), 0);
	assert_int_equal(pidfile_write(&pf, 7), 0);
	assert_string_equal(get(path), "7\n");
	pidfile_remove(&pf);
	(void)state;
}

/*
 * A child takes the lock as ddraidd would and waits; while it lives the
 * parent is refused with its pid and the file is unchanged; once it is
 * killed (no chance to remove anything) the file is stale and taken over.
 */
static void test_live_holder_refuses(void **state)
{
	struct pidfile pf, mine;
	const char *what = NULL;
	pid_t holder = -1, child;
	int p[2], st;
	char c = 0, want[24];

	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		pid_t h;
		const char *w;

		close(p[0]);
		if (pidfile_lock(&pf, path, &h, &w) ||
		    pidfile_write(&pf, getpid()))
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	snprintf(want, sizeof(want), "%d\n", (int)child);
	assert_string_equal(get(path), want);

	assert_int_equal(pidfile_lock(&mine, path, &holder, &what), -EEXIST);
	assert_int_equal(holder, child);
	assert_int_equal(mine.fd, -1);
	assert_string_equal(get(path), want);
	/* Removing what we never locked touches nothing. */
	pidfile_remove(&mine);
	assert_string_equal(get(path), want);

	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_string_equal(get(path), want);
	assert_int_equal(pidfile_lock(&mine, path, &holder, &what), 0);
	assert_int_equal(pidfile_write(&mine, getpid()), 0);
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	assert_string_equal(get(path), want);
	pidfile_remove(&mine);
	(void)state;
}

/* A holder that has locked but not yet written: refused, pid unknown. */
static void test_holder_not_written(void **state)
{
	struct pidfile pf;
	const char *what = NULL;
	pid_t holder = -1;
	int fd;

	fd = open(path, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(pidfile_lock(&pf, path, &holder, &what), -EEXIST);
	assert_int_equal(holder, 0);
	close(fd);
	(void)state;
}

static void test_bad_paths(void **state)
{
	char p[PATH_MAX + 32];
	struct pidfile pf;
	const char *what = NULL;
	pid_t holder;

	/* Two missing levels: only the last one is created. */
	snprintf(p, sizeof(p), "%s/a/b/v.pid", dir);
	assert_int_equal(pidfile_lock(&pf, p, &holder, &what), -ENOENT);
	assert_non_null(what);
	/* One missing level is created (as the control socket's). */
	snprintf(p, sizeof(p), "%s/run", dir);
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "/v.pid");
	assert_int_equal(pidfile_lock(&pf, p, &holder, &what), 0);
	pidfile_remove(&pf);
	snprintf(p, sizeof(p), "%s/run", dir);
	assert_int_equal(rmdir(p), 0);
	/* A directory is not a pid file. */
	assert_int_equal(pidfile_lock(&pf, dir, &holder, &what), -EISDIR);
	/* Nor is a symbolic link followed. */
	snprintf(p, sizeof(p), "%s/link.pid", dir);
	assert_int_equal(symlink(path, p), 0);
	assert_int_equal(pidfile_lock(&pf, p, &holder, &what), -ELOOP);
	assert_int_equal(access(path, F_OK), -1);
	unlink(p);
	(void)state;
}

static void test_log_to(void **state)
{
	char js[64];
	struct stat st;
	int fd;

	assert_int_equal(log_to_parse("auto"), LOGTO_AUTO);
	assert_int_equal(log_to_parse("syslog"), LOGTO_SYSLOG);
	assert_int_equal(log_to_parse("stderr"), LOGTO_STDERR);
	assert_int_equal(log_to_parse("both"), LOGTO_BOTH);
	assert_int_equal(log_to_parse("journal"), -1);
	assert_int_equal(log_to_parse(""), -1);
	assert_int_equal(log_to_parse("Both"), -1);

	/* auto: as before, except in the journal */
	assert_int_equal(log_to_resolve(LOGTO_AUTO, false, false), LOGTO_SYSLOG);
	assert_int_equal(log_to_resolve(LOGTO_AUTO, true, false), LOGTO_BOTH);
	assert_int_equal(log_to_resolve(LOGTO_AUTO, true, true), LOGTO_SYSLOG);
	/* an explicit choice is kept */
	assert_int_equal(log_to_resolve(LOGTO_BOTH, true, true), LOGTO_BOTH);
	assert_int_equal(log_to_resolve(LOGTO_STDERR, true, true), LOGTO_STDERR);
	assert_int_equal(log_to_resolve(LOGTO_SYSLOG, true, false), LOGTO_SYSLOG);

	fd = open(path, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	assert_true(log_fd_is_journal(fd, js));
	assert_false(log_fd_is_journal(fd, NULL));
	assert_false(log_fd_is_journal(fd, ""));
	/* another file (the variable inherited, the stream redirected) */
	snprintf(js, sizeof(js), "%ju:%ju", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino + 1);
	assert_false(log_fd_is_journal(fd, js));
	snprintf(js, sizeof(js), "%ju:%jux", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino);
	assert_false(log_fd_is_journal(fd, js));
	assert_false(log_fd_is_journal(fd, "garbage"));
	close(fd);
	assert_false(log_fd_is_journal(fd, js));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_write_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_taken_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_holder_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holder_not_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_to, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
