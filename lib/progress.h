/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rate and the time left of a long job (rebuild, resync, scrub), in
 * one place. ddraidd measures the rate from its own view of the job's
 * progress, sampled once a second and smoothed (ddraid_rate_sample), and
 * reports it with the time left in its status reply; ddraidctl status only
 * prints what the daemon says (ddraid_fmt_rate, ddraid_fmt_eta). So a
 * single "ddraidctl status" has a rate without a history of its own, and
 * every client of the control socket sees the same numbers.
 * No clock is read here: the caller passes a monotonic time.
 */
#ifndef DDRAID_PROGRESS_H
#define DDRAID_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "ddraid.h"

/* Samples closer together than this do not count (region granularity). */
#define DDRAID_RATE_MIN_DT_MS	1000
/* The smoothing time constant: older progress weighs less after it. */
#define DDRAID_RATE_TAU_MS	10000
/* No ETA (DDRAID_ETA_UNKNOWN) for a rate of 0 or beyond this (a year). */
#define DDRAID_ETA_MAX_S	(366ULL * 86400)
#define DDRAID_ETA_UNKNOWN	UINT64_MAX

struct ddraid_rate {
	bool started;		/* a baseline sample was taken */
	bool known;		/* per_s holds a measurement */
	u64 t_ms;		/* the last sample that counted */
	u64 left;		/* units left then */
	double per_s;		/* smoothed units per second */
};

/* Forget the job: the next sample is a new baseline. */
void ddraid_rate_reset(struct ddraid_rate *r);

/*
 * The job has @left units (regions) to do at @now_ms. More left than at
 * the last sample means new work (another job, a node crashed): start
 * over. Else, once DDRAID_RATE_MIN_DT_MS passed, fold the units done since
 * into the smoothed rate (an exponential moving average with time constant
 * DDRAID_RATE_TAU_MS; a stall decays it towards 0).
 */
void ddraid_rate_sample(struct ddraid_rate *r, u64 now_ms, u64 left);

/* The rate in bytes per second for units of @unit_bytes: 0 when not yet
 * known, UINT64_MAX when it would not fit. */
u64 ddraid_rate_bytes(const struct ddraid_rate *r, u64 unit_bytes);

/* Seconds to do @left_bytes at @bytes_per_s, rounded up; 0 when nothing
 * is left; DDRAID_ETA_UNKNOWN for a rate of 0 or more than
 * DDRAID_ETA_MAX_S. */
u64 ddraid_eta_s(u64 left_bytes, u64 bytes_per_s);

/* "123.4 MB/s" (decimal megabytes). Returns @buf. */
const char *ddraid_fmt_rate(u64 bytes_per_s, char *buf, size_t len);
/* "42s", "12m05s", "3h04m", "5d03h"; "unknown" for DDRAID_ETA_UNKNOWN
 * (and anything beyond DDRAID_ETA_MAX_S). Returns @buf. */
const char *ddraid_fmt_eta(u64 s, char *buf, size_t len);

#endif /* DDRAID_PROGRESS_H */
