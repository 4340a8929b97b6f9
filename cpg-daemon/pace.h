/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pacing of background work (online rebuild and scrub): a rate, in bytes
 * per 1000 time units (bytes per second with ddraidd's millisecond
 * clock), as md's sync_speed_max and sync_speed_min: the work runs at up
 * to @max while the volume is otherwise quiet, and at @min (a floor kept
 * whatever the foreground load) while it is busy.
 *
 * Pure functions, no clock, no IO: the caller passes the time. The state
 * is a window (its start and the bytes done in it); a region may start
 * when the bytes done so far are paid for at the rate, so the average
 * over the window holds and at most one region runs ahead of it.
 */
#ifndef DDRAID_PACE_H
#define DDRAID_PACE_H

#include "ddraid_compat.h"

/*
 * A window older than this is rolled over (what is owed carried, credit
 * for a quiet stretch dropped), so that a long pause never buys a burst.
 */
#define PACE_WINDOW		5000

struct pace {
	u64 start;	/* time the window began */
	u64 done;	/* bytes started in it */
	u64 rate;	/* the rate it was counted at (0: unlimited) */
	bool on;	/* a window is open */
};

/*
 * The rate to run at: @busy (foreground IO seen lately) picks @min, the
 * floor, else @max; 0 means unlimited. A floor above a non-zero maximum
 * is the maximum.
 */
u64 pace_rate(u64 max, u64 min, bool busy);

/*
 * Bytes that may still start @elapsed time units after a window began,
 * @done bytes having started in it, at @rate (0: unlimited, U64_MAX).
 */
u64 pace_allow(u64 rate, u64 elapsed, u64 done);

/*
 * Time units to wait, @elapsed into a window holding @done bytes, before
 * the next piece of work may start at @rate: 0 when what was done is
 * paid for (or the rate is unlimited).
 */
u64 pace_wait(u64 rate, u64 elapsed, u64 done);

/*
 * May work start now? Opens, rolls or re-rates the window at @now as
 * needed; the caller then calls pace_charge() with what it started.
 */
bool pace_may_start(struct pace *p, u64 rate, u64 now);

/* @bytes of work started. */
void pace_charge(struct pace *p, u64 bytes);

/*
 * The rate of one region of @region_bytes every @gap time units: the
 * deprecated --rebuild-gap as a rate (0 for no gap; at least 1).
 */
u64 pace_gap_rate(u64 region_bytes, u64 gap);

#endif /* DDRAID_PACE_H */
