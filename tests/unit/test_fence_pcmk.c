// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's binding to Pacemaker's fencer (cpg-daemon/fence_pcmk.c)
 * against fake ddraid-stonith scripts: what it asks the helper (argv), how
 * it reads the answers and every kind of failure, and that the helper
 * starts clean (no blocked or ignored signals, no inherited descriptors)
 * though ddraidd blocks its signals and holds corosync's sockets.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fence_pcmk.h"
#include "test_util.h"

struct fix {
	char dir[PATH_MAX];
	char helper[PATH_MAX + 32];
	char args[PATH_MAX + 32];
	struct fence_ops ops;
	char why[FENCE_WHY_MAX];
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tu_mkdir(f->dir, sizeof(f->dir)), 0);
	snprintf(f->helper, sizeof(f->helper), "%s/ddraid-stonith", f->dir);
	snprintf(f->args, sizeof(f->args), "%s/args", f->dir);
	assert_int_equal(fence_pcmk_ops(&f->ops, f->helper), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	f->ops.release(f->ops.ctx);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* The fake helper: records its arguments, then runs @body. */
static void helper(struct fix *f, const char *body)
{
	FILE *fp = fopen(f->helper, "w");

	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\necho \"$*\" > '%s'\n%s\n", f->args, body);
	fclose(fp);
	assert_int_equal(chmod(f->helper, 0755), 0);
}

static void args_are(struct fix *f, const char *want)
{
	char buf[128] = "";
	FILE *fp = fopen(f->args, "r");

	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	buf[strcspn(buf, "\n")] = 0;
	assert_string_equal(buf, want);
}

static void test_last_reads_the_record(void **state)
{
	struct fix *f = *state;
	struct timespec when = { 0, 0 };

	helper(f, "echo 'ok 1700000000 123456789'");
	assert_int_equal(f->ops.last_fenced(f->ops.ctx, 7, &when, f->why,
					    sizeof(f->why)), 0);
	args_are(f, "last 7");
	assert_int_equal(when.tv_sec, 1700000000);
	assert_int_equal(when.tv_nsec, 123456789);
	/* "none on record" */
	helper(f, "echo 'ok 0 0'");
	assert_int_equal(f->ops.last_fenced(f->ops.ctx, 7, &when, f->why,
					    sizeof(f->why)), 0);
	assert_int_equal(when.tv_sec, 0);
	assert_int_equal(when.tv_nsec, 0);
}

static void test_kick_asks_and_reports_why(void **state)
{
	struct fix *f = *state;

	helper(f, "echo ok");
	assert_int_equal(f->ops.kick(f->ops.ctx, 3, 120, f->why,
				     sizeof(f->why)), 0);
	args_are(f, "fence 3 120");
	helper(f, "echo 'error: the fencer could not fence the node: No such device (-19)'; exit 1");
	assert_true(f->ops.kick(f->ops.ctx, 3, 120, f->why,
				sizeof(f->why)) < 0);
	assert_string_equal(f->why,
		"the fencer could not fence the node: No such device (-19)");
	/* "ok" with a failing exit status is a failure. */
	helper(f, "echo ok; exit 1");
	assert_true(f->ops.kick(f->ops.ctx, 3, 120, f->why,
				sizeof(f->why)) < 0);
}

static void test_helper_failures(void **state)
{
	struct fix *f = *state;
	struct timespec when = { 0, 0 };
	char path[PATH_MAX + 32];
	int n;

	/* Not installed. */
	snprintf(path, sizeof(path), "%s/absent", f->dir);
	assert_int_equal(fence_pcmk_probe(path, &n, f->why, sizeof(f->why)),
			 -ENOENT);
	assert_non_null(strstr(f->why, "cannot run"));
	/* Installed without Pacemaker's libraries: the loader's word. */
	helper(f, "echo 'ddraid-stonith: error while loading shared libraries: libstonithd.so.26: cannot open shared object file' >&2; exit 127");
	assert_true(fence_pcmk_probe(f->helper, &n, f->why,
				     sizeof(f->why)) < 0);
	assert_non_null(strstr(f->why, "libstonithd.so.26"));
	/* A probe answers with the number of fence devices. */
	helper(f, "echo 'ok 2'");
	assert_int_equal(fence_pcmk_probe(f->helper, &n, f->why,
					  sizeof(f->why)), 0);
	assert_int_equal(n, 2);
	args_are(f, "probe");
	helper(f, "echo 'ok many'");
	assert_int_equal(fence_pcmk_probe(f->helper, &n, f->why,
					  sizeof(f->why)), -EPROTO);
	/* An answer that does not parse, or none at all. */
	helper(f, "echo 'ok soon'");
	assert_int_equal(f->ops.last_fenced(f->ops.ctx, 7, &when, f->why,
					    sizeof(f->why)), -EPROTO);
	helper(f, "echo 'ok 5 1000000000'");
	assert_int_equal(f->ops.last_fenced(f->ops.ctx, 7, &when, f->why,
					    sizeof(f->why)), -EPROTO);
	helper(f, "exit 0");
	assert_true(f->ops.last_fenced(f->ops.ctx, 7, &when, f->why,
				       sizeof(f->why)) < 0);
	assert_non_null(strstr(f->why, "said nothing"));
	assert_int_equal(when.tv_sec, 0);
	/* Its own alarm went off: the fencer never answered. */
	helper(f, "kill -ALRM $$");
	assert_int_equal(f->ops.kick(f->ops.ctx, 3, 1, f->why,
				     sizeof(f->why)), -ETIMEDOUT);
	assert_non_null(strstr(f->why, "did not answer"));
	/* Much output: read to the end (never blocks), answer lost. */
	helper(f, "head -c 200000 /dev/zero | tr '\\0' x; echo; echo ok");
	assert_true(f->ops.kick(f->ops.ctx, 3, 1, f->why,
				sizeof(f->why)) < 0);
}

/*
 * ddraidd blocks SIGTERM/SIGINT/SIGHUP for its signalfd and ignores
 * SIGPIPE; its corosync sockets are not all close-on-exec. The helper
 * must see none of it: unit/stonith-env (stonith_env.c), built next to
 * this test, checks and answers.
 */
static void test_helper_starts_clean(void **state)
{
	struct fix *f = *state;
	char env[PATH_MAX + 32];
	sigset_t block, old;
	int fd, r, n;

	assert_int_equal(fence_pcmk_helper_path(env, sizeof(env)), 0);
	strcpy(strrchr(env, '/'), "/stonith-env");
	assert_int_equal(symlink(env, f->helper), 0);
	fd = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC */
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 40), 40);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGPIPE, SIG_IGN);
	r = fence_pcmk_probe(f->helper, &n, f->why, sizeof(f->why));
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(40);
	close(fd);
	if (r)
		print_message("# %s\n", f->why);
	assert_int_equal(r, 0);
}

static void test_helper_path_is_next_to_us(void **state)
{
	char path[PATH_MAX + 32], exe[PATH_MAX];
	ssize_t n;

	assert_int_equal(fence_pcmk_helper_path(path, sizeof(path)), 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	assert_int_equal(strncmp(path, exe, strlen(exe)), 0);
	assert_string_equal(path + strlen(exe), "/ddraid-stonith");
	assert_int_equal(fence_pcmk_helper_path(path, 8), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_last_reads_the_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick_asks_and_reports_why,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_failures, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_helper_starts_clean, setup,
						teardown),
		cmocka_unit_test(test_helper_path_is_next_to_us),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
