// SPDX-License-Identifier: GPL-2.0-only
/* The rate and the time left of a long job (progress.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "progress.h"

void ddraid_rate_reset(struct ddraid_rate *r)
{
	memset(r, 0, sizeof(*r));
}

void ddraid_rate_sample(struct ddraid_rate *r, u64 now_ms, u64 left)
{
	double inst, a;
	u64 dt;

	if (!r->started || left > r->left || now_ms < r->t_ms) {
		ddraid_rate_reset(r);
		r->started = true;
		r->t_ms = now_ms;
		r->left = left;
		return;
	}
	dt = now_ms - r->t_ms;
	if (dt < DDRAID_RATE_MIN_DT_MS)
		return;
	inst = (double)(r->left - left) * 1000.0 / (double)dt;
	if (!r->known) {
		r->per_s = inst;
		r->known = true;
	} else {
		/* dt/(tau+dt): close to 1 - e^(-dt/tau), without libm. */
		a = (double)dt / (double)(DDRAID_RATE_TAU_MS + dt);
		r->per_s += a * (inst - r->per_s);
	}
	r->t_ms = now_ms;
	r->left = left;
}

u64 ddraid_rate_bytes(const struct ddraid_rate *r, u64 unit_bytes)
{
	double b;

	if (!r->known || r->per_s <= 0)
		return 0;
	b = r->per_s * (double)unit_bytes + 0.5;
	/* 2^64 as a double: anything at or above it does not fit. */
	return b >= 18446744073709551616.0 ? UINT64_MAX : (u64)b;
}

u64 ddraid_eta_s(u64 left_bytes, u64 bytes_per_s)
{
	u64 s;

	if (!left_bytes)
		return 0;
	if (!bytes_per_s)
		return DDRAID_ETA_UNKNOWN;
	/* Rounded up without left_bytes + rate - 1 overflowing. */
	s = left_bytes / bytes_per_s + (left_bytes % bytes_per_s != 0);
	return s > DDRAID_ETA_MAX_S ? DDRAID_ETA_UNKNOWN : s;
}

const char *ddraid_fmt_rate(u64 bytes_per_s, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f MB/s", (double)bytes_per_s / 1e6);
	return buf;
}

const char *ddraid_fmt_eta(u64 s, char *buf, size_t len)
{
	if (s > DDRAID_ETA_MAX_S)
		snprintf(buf, len, "unknown");
	else if (s < 60)
		snprintf(buf, len, "%us", (unsigned int)s);
	else if (s < 3600)
		snprintf(buf, len, "%um%02us", (unsigned int)(s / 60),
			 (unsigned int)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%uh%02um", (unsigned int)(s / 3600),
			 (unsigned int)(s % 3600 / 60));
	else
		snprintf(buf, len, "%ud%02uh", (unsigned int)(s / 86400),
			 (unsigned int)(s % 86400 / 3600));
	return buf;
}
