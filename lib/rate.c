// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one form of a background rate (online rebuild and scrub, as md's
 * sync_speed_max): MB/s, 10^6 bytes, with up to six decimals. ddraidd's
 * --sync-speed-max/min and "ddraidctl set" parse it here, and status
 * prints it back in the same form, so that a value read off the status
 * can be given again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ddraid.h"

int ddraid_parse_mbs(const char *s, u64 *bps)
{
	u64 whole = 0, frac = 0, scale = 1000000;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (u64)(*p++ - '0');
		if (whole > DDRAID_MBS_MAX)
			return -EINVAL;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (scale == 1)
				return -EINVAL;	/* finer than a byte */
			scale /= 10;
			frac += (u64)(*p++ - '0') * scale;
		}
	}
	if (*p || (whole == DDRAID_MBS_MAX && frac))
		return -EINVAL;
	*bps = whole * 1000000 + frac;
	return 0;
}

void ddraid_format_mbs(u64 bps, char *buf, size_t len)
{
	u64 frac = bps % 1000000;
	int n = 6;

	if (!frac) {
		snprintf(buf, len, "%llu", (unsigned long long)(bps / 1000000));
		return;
	}
	/* No trailing zeros: 0.5, not 0.500000. */
	while (!(frac % 10)) {
		frac /= 10;
		n--;
	}
	snprintf(buf, len, "%llu.%0*llu", (unsigned long long)(bps / 1000000),
		 n, (unsigned long long)frac);
}

const char *const ddraid_rate_keys[DDRAID_RATES] = {
	[DDRAID_RATE_REBUILD_MAX] = "rebuild-rate",
	[DDRAID_RATE_SCRUB_MAX] = "scrub-rate",
	[DDRAID_RATE_MIN] = "sync-speed-min",
};

int ddraid_rate_key(const char *name, size_t len)
{
	int i;

	for (i = 0; i < DDRAID_RATES; i++)
		if (strlen(ddraid_rate_keys[i]) == len &&
		    !memcmp(ddraid_rate_keys[i], name, len))
			return i;
	return -1;
}
