// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rebuild and scrub pacer (cpg-daemon/pace.c): pure arithmetic on a
 * clock the test passes in (milliseconds here, as in ddraidd). No sleeps.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pace.h"

#define MB	1000000ull
#define MIB	(1ull << 20)
#define UNLIMITED	(~0ULL)

static void test_rate(void **state)
{
	assert_int_equal(pace_rate(100 * MB, 5 * MB, false), 100 * MB);
	assert_int_equal(pace_rate(100 * MB, 5 * MB, true), 5 * MB);
	/* no floor set: the maximum applies under load too */
	assert_int_equal(pace_rate(100 * MB, 0, true), 100 * MB);
	/* unlimited, with a floor under load */
	assert_int_equal(pace_rate(0, 5 * MB, false), 0);
	assert_int_equal(pace_rate(0, 5 * MB, true), 5 * MB);
	/* a floor above the maximum is the maximum */
	assert_int_equal(pace_rate(10 * MB, 50 * MB, true), 10 * MB);
}

static void test_allow(void **state)
{
	assert_int_equal(pace_allow(0, 0, 123), UNLIMITED);
	assert_int_equal(pace_allow(1000, 0, 0), 0);
	assert_int_equal(pace_allow(1000, 500, 0), 500);
	assert_int_equal(pace_allow(1000, 500, 200), 300);
	assert_int_equal(pace_allow(1000, 500, 600), 0);
	assert_int_equal(pace_allow(10 * MB, 2500, 4 * MIB),
			 25 * MB - 4 * MIB);
	/* fractions of a unit: 3 bytes/s for 999 ms is 2 bytes */
	assert_int_equal(pace_allow(3, 999, 0), 2);
	/* no overflow: saturates */
	assert_int_equal(pace_allow(UNLIMITED - 1, UNLIMITED - 1, 0),
			 UNLIMITED);
	assert_int_equal(pace_allow(UNLIMITED / 2, 1999, 0),
			 UNLIMITED / 2 + (UNLIMITED / 2) / 1000 * 999 +
			 (UNLIMITED / 2) % 1000 * 999 / 1000);
}

static void test_wait(void **state)
{
	assert_int_equal(pace_wait(0, 0, UNLIMITED), 0);
	assert_int_equal(pace_wait(1000, 0, 0), 0);
	/* 4 MiB at 1 MB/s: 4194.304 ms, rounded up */
	assert_int_equal(pace_wait(MB, 0, 4 * MIB), 4195);
	assert_int_equal(pace_wait(MB, 4000, 4 * MIB), 195);
	assert_int_equal(pace_wait(MB, 4195, 4 * MIB), 0);
	assert_int_equal(pace_wait(MB, 99999, 4 * MIB), 0);
	/* exactly paid */
	assert_int_equal(pace_wait(1000, 1000, 1000), 0);
	assert_int_equal(pace_wait(1000, 999, 1000), 1);
	/* huge debt at a tiny rate: saturates, no overflow */
	assert_int_equal(pace_wait(1, 0, UNLIMITED), UNLIMITED);
	/* wait and allow agree: after the wait, something is allowed */
	assert_true(pace_allow(MB, pace_wait(MB, 10, 3 * MIB) + 10,
			       3 * MIB) < MB / 1000 + 1);
}

static void test_gap_rate(void **state)
{
	assert_int_equal(pace_gap_rate(4 * MIB, 0), 0);
	assert_int_equal(pace_gap_rate(4 * MIB, 1000), 4 * MIB);
	assert_int_equal(pace_gap_rate(4 * MIB, 200), 5 * 4 * MIB);
	assert_int_equal(pace_gap_rate(64 << 10, 3600000), 18);
	assert_int_equal(pace_gap_rate(1, 3600000), 1);	/* never 0 */
}

/*
 * Run a walk of @region-byte regions on a millisecond clock for @ms,
 * each region's work taking @work ms, at @rate (busy for the first @busy
 * ms at rate @min). Returns the regions started.
 */
static u64 walk(struct pace *p, u64 max, u64 min, u64 region, u64 work,
		u64 from, u64 ms, u64 busy_until)
{
	u64 now, next = from, n = 0;

	for (now = from; now < from + ms; now++) {
		u64 rate = pace_rate(max, min, now < busy_until);

		if (now < next || !pace_may_start(p, rate, now))
			continue;
		pace_charge(p, region);
		n++;
		next = now + work;
	}
	return n;
}

static void test_walk_rate(void **state)
{
	struct pace p = { 0 };
	u64 n;

	/* 40 MB/s in 4 MiB regions, instant work: ~9.5 regions a second */
	n = walk(&p, 40 * MB, 0, 4 * MIB, 0, 1000, 60000, 0);
	assert_true(n >= 60 * 40 * MB / (4 * MIB));
	assert_true(n <= 60 * 40 * MB / (4 * MIB) + 1);
	/* unlimited: as fast as the work goes (1 region a ms here) */
	memset(&p, 0, sizeof(p));
	assert_int_equal(walk(&p, 0, 0, 4 * MIB, 1, 0, 1000, 0), 1000);
	/* slower work than the rate allows: the work is the limit */
	memset(&p, 0, sizeof(p));
	assert_int_equal(walk(&p, 1000 * MB, 0, 4 * MIB, 100, 0, 10000, 0),
			 100);
}

static void test_walk_floor(void **state)
{
	struct pace p = { 0 };
	u64 n;

	/* Busy throughout: the floor, 4 MB/s, is kept. */
	n = walk(&p, 400 * MB, 4 * MB, 4 * MIB, 0, 0, 100000, 100000);
	assert_true(n >= 100 * 4 * MB / (4 * MIB));
	assert_true(n <= 100 * 4 * MB / (4 * MIB) + 1);
	/* Busy for 30 s, then quiet for 30 s at the maximum (40 MB/s). */
	memset(&p, 0, sizeof(p));
	n = walk(&p, 40 * MB, 4 * MB, 4 * MIB, 0, 0, 60000, 30000);
	assert_true(n >= (30 * 4 * MB + 29 * 40 * MB) / (4 * MIB));
	assert_true(n <= (30 * 4 * MB + 30 * 40 * MB) / (4 * MIB) + 2);
}

/*
 * Flipping between busy and quiet never forgives debt; a long quiet
 * stretch buys no more than one window of credit (plus one region).
 */
static void test_no_free_lunch(void **state)
{
	struct pace p = { 0 };
	u64 now = 5000, n = 0;

	/*
	 * Owing 4 MiB, flipping every ms between 1 and 2 MB/s: the debt is
	 * paid at the rate of each moment (1.5 MB/s on average: 2796 ms),
	 * never dropped by a change of rate.
	 */
	assert_true(pace_may_start(&p, MB, now));
	pace_charge(&p, 4 * MIB);
	for (now = 5001; !pace_may_start(&p, now % 2 ? 2 * MB : MB, now);
	     now++)
		;
	assert_true(now >= 5000 + 2795 && now <= 5000 + 2799);
	/* At 1 MB/s the debt is paid at 5000 + 4195, not before. */
	memset(&p, 0, sizeof(p));
	assert_true(pace_may_start(&p, MB, 5000));
	pace_charge(&p, 4 * MIB);
	for (now = 5001; now < 5000 + 4195; now++)
		assert_false(pace_may_start(&p, MB, now));
	assert_true(pace_may_start(&p, MB, now));
	/* An hour's pause: then at most a window's worth and one region. */
	memset(&p, 0, sizeof(p));
	assert_true(pace_may_start(&p, MB, 0));
	pace_charge(&p, 4096);
	now = 3600000;
	while (pace_may_start(&p, MB, now)) {
		pace_charge(&p, 64 << 10);
		n++;
	}
	assert_true(n * (64 << 10) <= PACE_WINDOW * MB / 1000 + (64 << 10));
	/* The clock going back opens a new window, without harm. */
	assert_true(pace_may_start(&p, MB, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_allow),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_gap_rate),
		cmocka_unit_test(test_walk_rate),
		cmocka_unit_test(test_walk_floor),
		cmocka_unit_test(test_no_free_lunch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
