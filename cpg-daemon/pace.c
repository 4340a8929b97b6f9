// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pacing of online rebuild and scrub (pace.h): pure arithmetic on the
 * caller's clock.
 */
#include "pace.h"

#define PACE_UNIT	1000	/* time units per rate period (ms per s) */

u64 pace_rate(u64 max, u64 min, bool busy)
{
	if (!busy || !min)
		return max;
	if (max && min > max)
		return max;
	return min;
}

/* Bytes @rate allows in @t time units, without overflow (saturating). */
static u64 bytes_in(u64 rate, u64 t)
{
	u64 whole = t / PACE_UNIT, part = t % PACE_UNIT;

	if (whole && rate > ~0ULL / whole)
		return ~0ULL;
	whole *= rate;
	/* part < 1000: rate / 1000 * part + the rest, no overflow */
	part = rate / PACE_UNIT * part + rate % PACE_UNIT * part / PACE_UNIT;
	return whole > ~0ULL - part ? ~0ULL : whole + part;
}

u64 pace_allow(u64 rate, u64 elapsed, u64 done)
{
	u64 may;

	if (!rate)
		return ~0ULL;
	may = bytes_in(rate, elapsed);
	return may > done ? may - done : 0;
}

u64 pace_wait(u64 rate, u64 elapsed, u64 done)
{
	u64 need, whole, part;

	if (!rate)
		return 0;
	/* the time @done takes at @rate, rounded up */
	whole = done / rate;
	part = done % rate;
	if (whole > ~0ULL / PACE_UNIT - 1)
		return ~0ULL;
	need = whole * PACE_UNIT + (part * PACE_UNIT + rate - 1) / rate;
	return need > elapsed ? need - elapsed : 0;
}

/* Start a new window at @now, carrying what the old one still owes. */
static void roll(struct pace *p, u64 now)
{
	u64 paid = p->rate ? bytes_in(p->rate, now - p->start) : ~0ULL;

	p->done = p->done > paid ? p->done - paid : 0;
	p->start = now;
}

bool pace_may_start(struct pace *p, u64 rate, u64 now)
{
	if (!p->on || now < p->start) {
		p->start = now;
		p->done = 0;
		p->rate = rate;
		p->on = true;
	}
	/*
	 * A change of rate (busy or quiet, a new setting) or an old window:
	 * roll over. Debt is carried at the old rate, so flipping between
	 * busy and quiet never forgives it; credit for a quiet stretch is
	 * dropped, so a long pause never buys a burst.
	 */
	if (p->rate != rate || now - p->start >= PACE_WINDOW) {
		roll(p, now);
		p->rate = rate;
	}
	return pace_wait(rate, now - p->start, p->done) == 0;
}

u64 pace_gap_rate(u64 region_bytes, u64 gap)
{
	u64 r;

	if (!gap)
		return 0;
	r = region_bytes / gap * PACE_UNIT +
	    region_bytes % gap * PACE_UNIT / gap;
	return r ? r : 1;
}

void pace_charge(struct pace *p, u64 bytes)
{
	p->done = p->done > ~0ULL - bytes ? ~0ULL : p->done + bytes;
}
