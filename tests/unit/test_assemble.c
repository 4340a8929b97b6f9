// SPDX-License-Identifier: GPL-2.0-only
/*
 * The assembly verdict shared by the kernel target and userspace: which
 * member sets form one current volume, and which member a refusal names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ddraid_assemble.h"

static struct ddraid_sb sbs[5];
static bool present[5];

static int setup(void **state)
{
	struct ddraid_sb sb;
	u32 i;

	assert_int_equal(ddraid_layout_new(&sb, 5, 64 << 20,
					   DDRAID_REGION_DEFAULT), 0);
	memcpy(sb.uuid, "volume-uuid-0001", 16);
	sb.events = 7;
	for (i = 0; i < 5; i++) {
		sbs[i] = sb;
		sbs[i].member_index = i;
		present[i] = true;
	}
	return 0;
}

static void test_all_current(void **state)
{
	struct ddraid_set_verdict v;

	sbs[3].update_seq = 9;	/* same events: update_seq breaks the tie */
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), 0);
	assert_int_equal(v.newest, 3);
	assert_int_equal(v.absent | v.lagging | v.recorded_failed, 0);
}

static void test_one_missing(void **state)
{
	struct ddraid_set_verdict v;

	present[0] = false;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), 0);
	assert_int_equal(v.absent, 1u);
	present[1] = false;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -ENODEV);
	memset(present, 0, sizeof(present));
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -ENODEV);
}

static void test_wrong_position(void **state)
{
	struct ddraid_set_verdict v;
	struct ddraid_sb t = sbs[1];

	sbs[1] = sbs[2];
	sbs[2] = t;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -EINVAL);
	assert_int_equal(v.member, 1);
	assert_non_null(strstr(v.why, "position"));
}

static void test_foreign_named_by_majority(void **state)
{
	struct ddraid_set_verdict v;

	/* Member 0 is the odd one out even though it comes first. */
	sbs[0].uuid[0] ^= 1;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -EINVAL);
	assert_int_equal(v.member, 0);
	assert_non_null(strstr(v.why, "another volume"));
}

static void test_member_count(void **state)
{
	struct ddraid_set_verdict v;

	assert_int_equal(ddraid_sb_check_set(sbs, present, 3, &v), -EINVAL);
	assert_non_null(strstr(v.why, "count"));
}

/* A crash between survivors' superblock writes: one update behind. */
static void test_lagging_member_is_current(void **state)
{
	struct ddraid_set_verdict v;
	u32 i;

	for (i = 0; i < 5; i++) {
		sbs[i].member[4].state = DDRAID_MEMBER_FAILED;
		sbs[i].member[4].failed_events = 8;
		sbs[i].events = 8;
	}
	/* member 1 missed the update that recorded member 4 failed */
	sbs[1].events = 7;
	sbs[1].member[4].state = DDRAID_MEMBER_ACTIVE;
	sbs[1].member[4].failed_events = 0;
	/* member 4 itself is still presented */
	sbs[4].events = 7;
	sbs[4].member[4].state = DDRAID_MEMBER_ACTIVE;
	sbs[4].member[4].failed_events = 0;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), 0);
	assert_int_equal(sbs[v.newest].events, 8);
	assert_int_equal(v.lagging, 1u << 1);
	assert_int_equal(v.recorded_failed, 1u << 4);
	/* ...but not if another member is also gone */
	present[2] = false;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -ENODEV);
}

static void test_two_behind_is_stale(void **state)
{
	struct ddraid_set_verdict v;
	u32 i;

	for (i = 0; i < 5; i++)
		sbs[i].events = 9;
	sbs[2].events = 7;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -ESTALE);
	assert_int_equal(v.member, 2);
	assert_non_null(strstr(v.why, "stale"));
}

static void test_one_behind_but_rebuilding_is_stale(void **state)
{
	struct ddraid_set_verdict v;
	u32 i;

	for (i = 0; i < 5; i++) {
		sbs[i].events = 8;
		sbs[i].member[3].state = DDRAID_MEMBER_REBUILDING;
	}
	sbs[3].events = 7;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -ESTALE);
	assert_int_equal(v.member, 3);
	sbs[3].events = 8;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), 0);
	assert_int_equal(v.rebuilding, 1u << 3);
	present[0] = false;
	assert_int_equal(ddraid_sb_check_set(sbs, present, 5, &v), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_all_current, setup),
		cmocka_unit_test_setup(test_one_missing, setup),
		cmocka_unit_test_setup(test_wrong_position, setup),
		cmocka_unit_test_setup(test_foreign_named_by_majority, setup),
		cmocka_unit_test_setup(test_member_count, setup),
		cmocka_unit_test_setup(test_lagging_member_is_current, setup),
		cmocka_unit_test_setup(test_two_behind_is_stale, setup),
		cmocka_unit_test_setup(test_one_behind_but_rebuilding_is_stale,
				       setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
