// SPDX-License-Identifier: GPL-2.0-only
/*
 * The table rewrite ddraidd does before reloading the live table for an
 * online rebuild (lib/dm_util.c): the member's device replaced, exactly
 * one "rebuild <m>" option, every other option kept, and refusal (output
 * untouched) of anything that is not a ddraid table. And the parser of
 * the target's status line (docs/dm-target.md, "Status") that ddraidctl
 * monitor and metrics read standalone volumes with.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dm_util.h"

static void expect_rewrite(const char *in, unsigned int m, const char *path,
			   const char *want)
{
	char out[512];
	const char *why = "unset";

	assert_int_equal(ddraid_dm_params_replace_member(in, m, path, out,
							 sizeof(out), &why), 0);
	assert_string_equal(out, want);
	assert_null(why);
}

static void test_rewrite(void **state)
{
	(void)state;
	expect_rewrite("5 254:1 254:2 254:3 254:4 254:5 1 cluster", 2,
		       "/dev/vdg",
		       "5 254:1 254:2 /dev/vdg 254:4 254:5 3 cluster rebuild 2");
	/* A missing member ("-") gets its device. */
	expect_rewrite("3 - 8:16 8:32 1 cluster", 0, "/dev/sdz",
		       "3 /dev/sdz 8:16 8:32 3 cluster rebuild 0");
	/* verify is kept; an earlier rebuild option is replaced. */
	expect_rewrite("3 8:0 8:16 8:32 4 cluster verify rebuild 1", 2, "8:48",
		       "3 8:0 8:16 8:48 4 cluster verify rebuild 2");
	expect_rewrite("2  8:0\t8:16 3 rebuild 0 cluster\n", 1, "8:48",
		       "2 8:0 8:48 3 cluster rebuild 1");
	/* The same member again (a retry) gives the same table. */
	expect_rewrite("3 8:0 8:16 8:32 3 cluster rebuild 1", 1, "8:64",
		       "3 8:0 8:64 8:32 3 cluster rebuild 1");
}

static void expect_refused(const char *in, unsigned int m, const char *path,
			   size_t outlen, int err)
{
	char out[512];
	const char *why = NULL;

	memset(out, 'x', sizeof(out));
	assert_int_equal(ddraid_dm_params_replace_member(in, m, path, out,
							 outlen, &why), err);
	if (err == -EINVAL)
		assert_non_null(why);
	if (err == -EINVAL) {
		/* Refused before anything was written. */
		assert_int_equal(out[0], 'x');
	}
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused("", 0, "/dev/x", 512, -EINVAL);
	expect_refused("4 a b c d 1 cluster", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c 1 cluster", 3, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c 2 cluster", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c 1 cluster extra", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c x cluster", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c -1 cluster", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c 2 cluster rebuild", 0, "/dev/x", 512,
		       -EINVAL);
	expect_refused("99999999999999999999 a", 0, "/dev/x", 512, -EINVAL);
	expect_refused("3 a b c 1 cluster", 0, "", 512, -EINVAL);
	expect_refused("3 a b c 1 cluster", 0, "-", 512, -EINVAL);
	expect_refused("3 a b c 1 cluster", 0, "/dev/a b", 512, -EINVAL);
	/* Too small an output buffer is an error, not a cut table. */
	expect_refused("3 a b c 1 cluster", 0, "/dev/x", 10, -ENOSPC);
}

static void test_status(void **state)
{
	struct ddraid_dm_status st;
	static const char *const bad[] = {
		"", "5 ADAAA degraded 1317 757 64 2",	/* a field short */
		"5 ADAA degraded 1317 757 64 2 0",	/* health too short */
		"5 ADXAA degraded 1317 757 64 2 0",	/* unknown health */
		"1 A ok 0 0 0 0 0", "10 AAAAAAAAAA ok 0 0 0 0 0",
		"3 AAA ok 0 12 -1 0 0", "3 AAA ok 0 12 x 0 0",
		"3 AAA ok 0 12 0 0 0 cluster attached 3 0 1 0 0",
		"3 AAA ok 0 12 0 0 0 klaster attached 3 0 1 0 0 running",
		"3 AAA ok 0 12 0 0 0 cluster maybe 3 0 1 0 0 running",
		"3 AAA ok 0 12 0 0 0 0",
	};
	size_t i;

	(void)state;
	assert_int_equal(ddraid_dm_parse_status(
		"5 ADAAA degraded 1317 757 64 2 0", &st), 0);
	assert_int_equal(st.members, 5);
	assert_string_equal(st.health, "ADAAA");
	assert_string_equal(st.state, "degraded");
	assert_true(st.reads == 1317 && st.writes == 757 &&
		    st.reconstructs == 64 && st.member_errors == 2 &&
		    st.mismatches == 0);
	assert_false(st.cluster);
	assert_int_equal(ddraid_dm_parse_status(
		"3 AR- degraded 0 12 0 0 0 cluster attached 3 0 1 2 5 running",
		&st), 0);
	assert_string_equal(st.health, "AR-");
	assert_true(st.cluster && st.attached);
	assert_true(st.granted == 3 && st.locked == 0 && st.inflight == 1 &&
		    st.waiting == 2 && st.held == 5);
	assert_string_equal(st.frozen, "running");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ddraid_dm_parse_status(bad[i], &st), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
