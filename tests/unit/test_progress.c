// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rate and time left of long jobs (lib/progress.c): the smoothed rate
 * ddraidd measures from its samples, the ETA from it (none at rate 0,
 * none past a year, no overflow at the extremes) and the forms ddraidctl
 * status prints.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "progress.h"

#define MB	1000000ULL

static void test_eta(void **state)
{
	(void)state;
	/* Rounded up: 1 byte left is a second. */
	assert_int_equal(ddraid_eta_s(100 * MB, 10 * MB), 10);
	assert_int_equal(ddraid_eta_s(100 * MB + 1, 10 * MB), 11);
	assert_int_equal(ddraid_eta_s(1, UINT64_MAX), 1);
	/* Nothing left: done, whatever the rate. */
	assert_int_equal(ddraid_eta_s(0, 0), 0);
	assert_int_equal(ddraid_eta_s(0, 5), 0);
	/* No rate: no ETA. */
	assert_true(ddraid_eta_s(1, 0) == DDRAID_ETA_UNKNOWN);
	assert_true(ddraid_eta_s(UINT64_MAX, 0) == DDRAID_ETA_UNKNOWN);
	/* Huge: no overflow, and past a year is no ETA. */
	assert_true(ddraid_eta_s(UINT64_MAX, 1) == DDRAID_ETA_UNKNOWN);
	assert_true(ddraid_eta_s(UINT64_MAX, UINT64_MAX) == 1);
	assert_true(ddraid_eta_s(UINT64_MAX, UINT64_MAX - 1) == 2);
	assert_true(ddraid_eta_s(DDRAID_ETA_MAX_S, 1) == DDRAID_ETA_MAX_S);
	assert_true(ddraid_eta_s(DDRAID_ETA_MAX_S + 1, 1) == DDRAID_ETA_UNKNOWN);
}

static void test_fmt(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ddraid_fmt_rate(0, b, sizeof(b)), "0.0 MB/s");
	assert_string_equal(ddraid_fmt_rate(12345678, b, sizeof(b)), "12.3 MB/s");
	assert_string_equal(ddraid_fmt_rate(UINT64_MAX, b, sizeof(b)),
			    "18446744073709.6 MB/s");
	assert_string_equal(ddraid_fmt_eta(0, b, sizeof(b)), "0s");
	assert_string_equal(ddraid_fmt_eta(59, b, sizeof(b)), "59s");
	assert_string_equal(ddraid_fmt_eta(60, b, sizeof(b)), "1m00s");
	assert_string_equal(ddraid_fmt_eta(200, b, sizeof(b)), "3m20s");
	assert_string_equal(ddraid_fmt_eta(3600 + 4 * 60 + 59, b, sizeof(b)),
			    "1h04m");
	assert_string_equal(ddraid_fmt_eta(86400 * 5 + 3 * 3600, b, sizeof(b)),
			    "5d03h");
	assert_string_equal(ddraid_fmt_eta(DDRAID_ETA_MAX_S, b, sizeof(b)),
			    "366d00h");
	assert_string_equal(ddraid_fmt_eta(DDRAID_ETA_MAX_S + 1, b, sizeof(b)),
			    "unknown");
	assert_string_equal(ddraid_fmt_eta(DDRAID_ETA_UNKNOWN, b, sizeof(b)),
			    "unknown");
	/* A short buffer is cut, never overrun. */
	assert_string_equal(ddraid_fmt_rate(12345678, b, 5), "12.3");
}

static void test_rate(void **state)
{
	struct ddraid_rate r;
	u64 t;

	(void)state;
	ddraid_rate_reset(&r);
	/* No rate before two samples a second apart. */
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
	ddraid_rate_sample(&r, 1000, 100);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
	ddraid_rate_sample(&r, 1500, 90);	/* too soon: ignored */
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
	/* 10 regions of 4 MB in 2 s. */
	ddraid_rate_sample(&r, 3000, 90);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 20 * MB);
	/* A steady rate stays. */
	ddraid_rate_sample(&r, 5000, 80);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 20 * MB);
	/* A stall decays it, never below 0, so the ETA grows. */
	ddraid_rate_sample(&r, 15000, 80);
	assert_true(ddraid_rate_bytes(&r, 4 * MB) < 20 * MB);
	assert_true(ddraid_rate_bytes(&r, 4 * MB) > 0);
	/* ... to nothing, sampled once a second as ddraidd does. */
	for (t = 16000; t <= 316000; t += 1000)
		ddraid_rate_sample(&r, t, 80);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
	assert_true(ddraid_eta_s(80 * 4 * MB, ddraid_rate_bytes(&r, 4 * MB)) ==
		    DDRAID_ETA_UNKNOWN);
	/* More left than before: new work, measured afresh. */
	ddraid_rate_sample(&r, 1016000, 500);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
	ddraid_rate_sample(&r, 1017000, 499);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 4 * MB);
	/* A clock that went back: start over rather than divide by it. */
	ddraid_rate_sample(&r, 10, 400);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
	/* A rate too large for 64 bits saturates. */
	ddraid_rate_sample(&r, 1010, 0);
	assert_true(ddraid_rate_bytes(&r, UINT64_MAX) == UINT64_MAX);
	ddraid_rate_reset(&r);
	assert_int_equal(ddraid_rate_bytes(&r, 4 * MB), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
