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

/* ---- forced assembly ---- */

static struct ddraid_sb sbs9[9];
static bool present9[9];
static u32 n9;

/*
 * What the engine does when member @m fails: every member still written
 * (@writers) records it failed with events bumped; @m's own superblock
 * stays where it was.
 */
static void record_fail(u32 writers, u32 m)
{
	u64 ev = 0;
	u32 i;

	for (i = 0; i < 9; i++)
		if ((writers & (1u << i)) && sbs9[i].events > ev)
			ev = sbs9[i].events;
	ev++;
	for (i = 0; i < 9; i++) {
		if (!(writers & (1u << i)))
			continue;
		sbs9[i].events = ev;
		sbs9[i].update_seq++;
		sbs9[i].member[m].state = DDRAID_MEMBER_FAILED;
		sbs9[i].member[m].failed_events = ev;
		sbs9[i].member[m].recovery_block = 0;
	}
}

static int setup_n(u32 n)
{
	struct ddraid_sb sb;
	u32 i;

	assert_int_equal(ddraid_layout_new(&sb, n, 64 << 20,
					   DDRAID_REGION_DEFAULT), 0);
	memcpy(sb.uuid, "volume-uuid-0002", 16);
	sb.events = 7;
	sb.update_seq = 20;
	n9 = n;
	for (i = 0; i < 9; i++) {
		sbs9[i] = sb;
		sbs9[i].member_index = i;
		present9[i] = i < n;
	}
	return 0;
}

static int setup5(void **state)
{
	return setup_n(5);
}

static int setup3(void **state)
{
	return setup_n(3);
}

static int setup9(void **state)
{
	return setup_n(9);
}

static u32 all9(void)
{
	return (1u << n9) - 1;
}

/*
 * The plan's superblock, written to every present member but the one
 * left out, must make a normal assembly work, with exactly that member
 * out and the accepted ones in use.
 */
static void assert_plan_assembles(const struct ddraid_force_plan *p)
{
	struct ddraid_sb after[9];
	struct ddraid_set_verdict v;
	const char *why = NULL;
	u32 i;

	for (i = 0; i < n9; i++) {
		after[i] = sbs9[i];
		if (!present9[i] || (int)i == p->out)
			continue;
		after[i] = p->sb;
		after[i].member_index = i;
		after[i].update_seq++;
		assert_int_equal(ddraid_sb_validate(&after[i], &why), 0);
	}
	assert_int_equal(ddraid_sb_check_set(after, present9, n9, &v), 0);
	assert_int_equal(v.absent | v.recorded_failed | v.rebuilding,
			 1u << p->out);
	assert_int_equal(v.stale | v.lagging, 0);
	assert_int_equal(p->sb.member[p->out].state, DDRAID_MEMBER_FAILED);
	for (i = 0; i < n9; i++)
		if (p->accept & (1u << i)) {
			assert_int_equal(p->sb.member[i].state,
					 DDRAID_MEMBER_ACTIVE);
			assert_int_equal(p->sb.member[i].failed_events, 0);
			assert_int_equal(p->sb.member[i].recovery_block, 0);
		}
}

static void test_force_nothing_to_force(void **state)
{
	struct ddraid_force_plan p;

	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -EALREADY);
	assert_int_equal(p.member, -1);
	assert_int_equal(p.accept, 0);
	assert_non_null(strstr(p.why, "nothing to force"));
	present9[2] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -EALREADY);
	assert_int_equal(p.member, 2);
	present9[2] = true;
	/* one failed, the volume runs degraded without forcing */
	record_fail(all9() & ~(1u << 2), 2);
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -EALREADY);
	/* one stale member alone: given as missing it is no obstacle */
	setup_n(5);
	sbs9[3].events = 5;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -EALREADY);
	assert_int_equal(p.member, 3);
}

/* The case of the issue: X failed, writes went on, then Y failed too. */
static void test_force_two_failed_takes_the_last(void **state)
{
	struct ddraid_force_plan p;
	struct ddraid_set_verdict v;

	record_fail(all9() & ~(1u << 3), 3);		/* events 8 */
	record_fail(all9() & ~(1u << 3 | 1u << 1), 1);	/* events 9 */
	assert_int_equal(ddraid_sb_check_set(sbs9, present9, 5, &v), -ENODEV);
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.newest, 0);
	assert_int_equal(p.unusable, 1u << 1 | 1u << 3);
	assert_int_equal(p.accept, 1u << 1);
	assert_int_equal(p.out, 3);
	assert_false(p.tie);
	assert_int_equal(p.m[1].kind, DDRAID_FORCE_FAILED);
	assert_int_equal(p.m[1].out, DDRAID_OUT_FAILED);
	assert_int_equal(p.m[1].failed_events, 9);
	assert_int_equal(p.m[1].events, 8);
	assert_int_equal(p.m[1].since, 9);
	/* member 3 was out already: nothing completed after 1 failed */
	assert_true(p.m[1].in_flight_only);
	assert_int_equal(p.m[1].already_out, 3);
	assert_int_equal(p.m[3].kind, DDRAID_FORCE_NONE);
	assert_int_equal(p.m[3].out, DDRAID_OUT_FAILED);
	assert_int_equal(p.m[3].failed_events, 8);
	assert_int_equal(p.m[0].out, 0);
	assert_int_equal(p.sb.events, 10);
	/* the member left out keeps the record of when it failed */
	assert_int_equal(p.sb.member[3].failed_events, 8);
	assert_plan_assembles(&p);
}

/* Not by index: the lower index failed last. */
static void test_force_two_failed_other_order(void **state)
{
	struct ddraid_force_plan p;

	record_fail(all9() & ~(1u << 4), 4);
	record_fail(all9() & ~(1u << 4 | 1u << 0), 0);
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.accept, 1u << 0);
	assert_int_equal(p.out, 4);
	assert_int_equal(p.newest, 1);
	assert_plan_assembles(&p);
}

/*
 * The first failed member comes back while the second is gone and was
 * never recorded (the kernel target records no second failure): accept
 * the failed one; it missed writes that were acknowledged.
 */
static void test_force_failed_back_other_absent(void **state)
{
	struct ddraid_force_plan p;

	record_fail(all9() & ~(1u << 2), 2);
	present9[4] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.accept, 1u << 2);
	assert_int_equal(p.out, 4);
	assert_int_equal(p.m[4].out, DDRAID_OUT_ABSENT);
	assert_int_equal(p.m[2].since, 8);
	assert_false(p.m[2].in_flight_only);
	assert_int_equal(p.m[2].already_out, -1);
	/* the absent member is recorded failed now, at the new events */
	assert_int_equal(p.sb.events, 9);
	assert_int_equal(p.sb.member[4].state, DDRAID_MEMBER_FAILED);
	assert_int_equal(p.sb.member[4].failed_events, 9);
	assert_plan_assembles(&p);
}

static void test_force_failed_and_absent_failed(void **state)
{
	struct ddraid_force_plan p;

	record_fail(all9() & ~(1u << 0), 0);
	record_fail(all9() & ~(1u << 0 | 1u << 2), 2);
	present9[0] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.accept, 1u << 2);
	assert_int_equal(p.out, 0);
	assert_int_equal(p.m[0].out, DDRAID_OUT_ABSENT | DDRAID_OUT_FAILED);
	assert_true(p.m[2].in_flight_only);
	assert_plan_assembles(&p);
}

static void test_force_two_absent_refused(void **state)
{
	struct ddraid_force_plan p;

	present9[1] = present9[3] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -ENODEV);
	assert_int_equal(p.member, 1);
	assert_int_equal(p.accept, 0);
	assert_int_equal(p.out, -1);
	assert_non_null(strstr(p.why, "absent"));
	/* also when the absent ones are on record as failed */
	setup_n(5);
	record_fail(all9() & ~(1u << 1), 1);
	record_fail(all9() & ~(1u << 1 | 1u << 3), 3);
	present9[1] = present9[3] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -ENODEV);
	memset(present9, 0, sizeof(present9));
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -ENODEV);
}

static void test_force_foreign_and_misplaced_refused(void **state)
{
	struct ddraid_force_plan p;
	struct ddraid_sb t;

	record_fail(all9() & ~(1u << 3), 3);
	record_fail(all9() & ~(1u << 3 | 1u << 1), 1);
	sbs9[1].uuid[0] ^= 1;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -EINVAL);
	assert_int_equal(p.member, 1);
	assert_non_null(strstr(p.why, "another volume"));
	sbs9[1].uuid[0] ^= 1;
	t = sbs9[1];
	sbs9[1] = sbs9[3];
	sbs9[3] = t;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -EINVAL);
	assert_non_null(strstr(p.why, "position"));
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 3, &p), -EINVAL);
}

/* A failed member is preferred to a stale one, which is left out. */
static void test_force_failed_before_stale(void **state)
{
	struct ddraid_force_plan p;
	struct ddraid_set_verdict v;

	sbs9[0].events = 5;			/* an old copy put back */
	record_fail(all9() & ~(1u << 0 | 1u << 2), 2);
	assert_int_equal(ddraid_sb_check_set(sbs9, present9, 5, &v), -ESTALE);
	assert_int_equal(v.member, 0);
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.unusable, 1u << 0 | 1u << 2);
	assert_int_equal(p.m[0].out, DDRAID_OUT_STALE);
	assert_int_equal(p.accept, 1u << 2);
	assert_int_equal(p.out, 0);
	assert_int_equal(p.sb.member[0].state, DDRAID_MEMBER_FAILED);
	assert_int_equal(p.sb.member[0].failed_events, p.sb.events);
	assert_plan_assembles(&p);
}

static void test_force_two_stale_takes_the_newer(void **state)
{
	struct ddraid_force_plan p;
	u32 i;

	for (i = 0; i < 5; i++)
		sbs9[i].events = 12;
	sbs9[1].events = 5;
	sbs9[4].events = 9;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.accept, 1u << 4);
	assert_int_equal(p.out, 1);
	assert_int_equal(p.m[4].kind, DDRAID_FORCE_STALE);
	assert_int_equal(p.m[4].since, 10);
	assert_false(p.m[4].in_flight_only);
	assert_int_equal(p.sb.events, 13);
	assert_plan_assembles(&p);
}

/*
 * Recorded failed, but its own superblock is further behind than the
 * recording of its failure (an old disk put back after a rebuild): ranked
 * as stale by its own events, after a fresher stale member.
 */
static void test_force_failed_but_older_ranks_as_stale(void **state)
{
	struct ddraid_force_plan p;

	sbs9[3].events = 4;
	record_fail(all9() & ~(1u << 3 | 1u << 1), 3);	/* events 8 */
	sbs9[1].events = 6;				/* stale, active */
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.m[3].out, DDRAID_OUT_FAILED);
	assert_int_equal(p.accept, 1u << 1);
	assert_int_equal(p.out, 3);
	assert_int_equal(p.m[1].kind, DDRAID_FORCE_STALE);
	assert_int_equal(p.m[1].since, 7);
	assert_plan_assembles(&p);
}

/* A member being rebuilt is never accepted: it stays out. */
static void test_force_rebuilding_stays_out(void **state)
{
	struct ddraid_force_plan p;
	u32 i;

	record_fail(all9() & ~(1u << 2), 2);		/* events 8 */
	for (i = 0; i < 5; i++) {
		sbs9[i].events = 9;
		sbs9[i].member[2].state = DDRAID_MEMBER_REBUILDING;
		sbs9[i].member[2].failed_events = 0;
		sbs9[i].member[2].recovery_block = 100;
	}
	record_fail(all9() & ~(1u << 4), 4);		/* events 10 */
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.m[2].out, DDRAID_OUT_REBUILDING);
	assert_int_equal(p.accept, 1u << 4);
	assert_int_equal(p.out, 2);
	/* a rebuilding member counts as out: nothing completed since */
	assert_false(p.m[4].in_flight_only);
	assert_int_equal(p.sb.member[2].state, DDRAID_MEMBER_FAILED);
	assert_int_equal(p.sb.member[2].recovery_block, 0);
	assert_int_equal(p.sb.member[2].failed_events, 11);
	assert_plan_assembles(&p);
}

/*
 * The member that failed last was itself being rebuilt (its own record
 * says rebuilding): it holds no whole data, so with another member absent
 * nothing can be accepted.
 */
static void test_force_partial_rebuild_never_accepted(void **state)
{
	struct ddraid_force_plan p;
	u32 i;

	record_fail(all9() & ~(1u << 2), 2);		/* events 8 */
	for (i = 0; i < 5; i++) {
		sbs9[i].events = 9;
		sbs9[i].member[2].state = DDRAID_MEMBER_REBUILDING;
		sbs9[i].member[2].failed_events = 0;
		sbs9[i].member[2].recovery_block = 100;
	}
	record_fail(all9() & ~(1u << 2), 2);		/* events 10 */
	present9[0] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), -ENODEV);
	assert_int_equal(p.member, 0);
	assert_int_equal(p.accept, 0);
	assert_non_null(strstr(p.why, "cannot be accepted"));
}

/* Failed in the same events bump: either would do; the lower is taken. */
static void test_force_tie(void **state)
{
	struct ddraid_force_plan p;
	u32 i;

	for (i = 0; i < 5; i++) {
		if (i == 1 || i == 3)
			continue;
		sbs9[i].events = 8;
		sbs9[i].member[1].state = DDRAID_MEMBER_FAILED;
		sbs9[i].member[1].failed_events = 8;
		sbs9[i].member[3].state = DDRAID_MEMBER_FAILED;
		sbs9[i].member[3].failed_events = 8;
	}
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.accept, 1u << 1);
	assert_int_equal(p.out, 3);
	assert_true(p.tie);
	/* both failed together: nothing completed after either */
	assert_true(p.m[1].in_flight_only);
	/* the higher update_seq breaks a tie first */
	sbs9[3].update_seq = 99;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 5, &p), 0);
	assert_int_equal(p.accept, 1u << 3);
	assert_true(p.tie);
	assert_int_equal(p.sb.update_seq, 99);
	assert_plan_assembles(&p);
}

/* Three members: the smallest parity volume. */
static void test_force_three_members(void **state)
{
	struct ddraid_force_plan p;

	record_fail(1u << 1 | 1u << 2, 0);
	record_fail(1u << 2, 1);
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 3, &p), 0);
	assert_int_equal(p.newest, 2);
	assert_int_equal(p.accept, 1u << 1);
	assert_int_equal(p.out, 0);
	assert_int_equal(p.sb.events, 10);
	assert_plan_assembles(&p);
}

/* Nine members, three out: two accepted, the least fresh stays out. */
static void test_force_nine_members_three_out(void **state)
{
	struct ddraid_force_plan p;

	record_fail(all9() & ~(1u << 5), 5);				/* 8 */
	record_fail(all9() & ~(1u << 5 | 1u << 2), 2);			/* 9 */
	record_fail(all9() & ~(1u << 5 | 1u << 2 | 1u << 7), 7);	/* 10 */
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 9, &p), 0);
	assert_int_equal(p.accept, 1u << 2 | 1u << 7);
	assert_int_equal(p.out, 5);
	assert_true(p.m[2].in_flight_only);
	assert_int_equal(p.m[2].already_out, 5);
	assert_true(p.m[7].in_flight_only);
	assert_int_equal(p.m[7].already_out, 2);
	assert_plan_assembles(&p);
	/* with one of them absent instead, both failed ones are accepted */
	setup_n(9);
	record_fail(all9() & ~(1u << 2), 2);				/* 8 */
	record_fail(all9() & ~(1u << 2 | 1u << 7), 7);			/* 9 */
	present9[5] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 9, &p), 0);
	assert_int_equal(p.accept, 1u << 2 | 1u << 7);
	assert_int_equal(p.out, 5);
	/* 2 failed while the others were all there; 7 after 2 */
	assert_false(p.m[2].in_flight_only);
	assert_true(p.m[7].in_flight_only);
	assert_plan_assembles(&p);
	/* and with two absent, refused */
	present9[6] = false;
	assert_int_equal(ddraid_sb_force_set(sbs9, present9, 9, &p), -ENODEV);
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
		cmocka_unit_test_setup(test_force_nothing_to_force, setup5),
		cmocka_unit_test_setup(test_force_two_failed_takes_the_last,
				       setup5),
		cmocka_unit_test_setup(test_force_two_failed_other_order,
				       setup5),
		cmocka_unit_test_setup(test_force_failed_back_other_absent,
				       setup5),
		cmocka_unit_test_setup(test_force_failed_and_absent_failed,
				       setup5),
		cmocka_unit_test_setup(test_force_two_absent_refused, setup5),
		cmocka_unit_test_setup(test_force_foreign_and_misplaced_refused,
				       setup5),
		cmocka_unit_test_setup(test_force_failed_before_stale, setup5),
		cmocka_unit_test_setup(test_force_two_stale_takes_the_newer,
				       setup5),
		cmocka_unit_test_setup(test_force_failed_but_older_ranks_as_stale,
				       setup5),
		cmocka_unit_test_setup(test_force_rebuilding_stays_out, setup5),
		cmocka_unit_test_setup(test_force_partial_rebuild_never_accepted,
				       setup5),
		cmocka_unit_test_setup(test_force_tie, setup5),
		cmocka_unit_test_setup(test_force_three_members, setup3),
		cmocka_unit_test_setup(test_force_nine_members_three_out,
				       setup9),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
