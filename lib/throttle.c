// SPDX-License-Identifier: GPL-2.0-only
/*
 * A per-member token bucket, kept as a "theoretical arrival time" per
 * bucket (GCRA): an IO may start when the bucket's debt, less a small
 * burst allowance, is paid off. Bytes and operations are limited
 * separately, as a disk (or qemu's throttling.*) limits both.
 */
#include "config.h"
#include <time.h>

#include "engine_internal.h"

/* How far ahead of its rate a member may run: a short burst, as a disk. */
#define THROTTLE_BURST_SEC	0.02

double ddraid_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ddraid_throttle_set(struct ddraid_throttle *t, u64 bps, u64 iops)
{
	t->bps = (double)bps;
	t->iops = (double)iops;
	t->tat_bytes = 0;
	t->tat_ops = 0;
}

double ddraid_throttle_wait(const struct ddraid_throttle *t, double now,
			    size_t len)
{
	double w = 0, x;

	if (t->bps > 0) {
		x = t->tat_bytes - THROTTLE_BURST_SEC - now;
		if (x > w)
			w = x;
	}
	if (t->iops > 0) {
		x = t->tat_ops - THROTTLE_BURST_SEC - now;
		if (x > w)
			w = x;
	}
	return w;
}

void ddraid_throttle_charge(struct ddraid_throttle *t, double now, size_t len)
{
	if (t->bps > 0) {
		if (t->tat_bytes < now)
			t->tat_bytes = now;
		t->tat_bytes += (double)len / t->bps;
	}
	if (t->iops > 0) {
		if (t->tat_ops < now)
			t->tat_ops = now;
		t->tat_ops += 1.0 / t->iops;
	}
}
