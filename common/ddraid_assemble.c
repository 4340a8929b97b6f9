// SPDX-License-Identifier: GPL-2.0-only
/*
 * The assembly verdict shared by the kernel target and userspace. See
 * ddraid_assemble.h.
 */
#include "ddraid_assemble.h"

static bool sb_newer(const struct ddraid_sb *a, const struct ddraid_sb *b)
{
	if (a->events != b->events)
		return a->events > b->events;
	return a->update_seq > b->update_seq;
}

/* The present member most others agree with: a lone foreign one is named. */
static int majority_reference(const struct ddraid_sb *sbs, const bool *present,
			      u32 n)
{
	u32 i, j, cnt, best = 0;
	int ref = -1;

	for (i = 0; i < n; i++) {
		if (!present[i])
			continue;
		for (cnt = 0, j = 0; j < n; j++)
			cnt += present[j] && ddraid_sb_same_volume(&sbs[i], &sbs[j]);
		if (cnt > best) {
			best = cnt;
			ref = (int)i;
		}
	}
	return ref;
}

static int verdict_fail(struct ddraid_set_verdict *v, int err, int member,
			const char *why)
{
	v->member = member;
	v->why = why;
	return err;
}

int ddraid_sb_check_set(const struct ddraid_sb *sbs, const bool *present,
			u32 n, struct ddraid_set_verdict *v)
{
	const struct ddraid_sb *newest;
	int ref;
	u32 i;

	memset(v, 0, sizeof(*v));
	v->newest = -1;
	v->member = -1;
	if (n > DDRAID_MAX_MEMBERS)
		return verdict_fail(v, -EINVAL, -1, "too many members");
	ref = majority_reference(sbs, present, n);
	if (ref < 0)
		return verdict_fail(v, -ENODEV, -1, "no member present");
	for (i = 0; i < n; i++) {
		if (!present[i]) {
			v->absent |= 1u << i;
			continue;
		}
		if (!ddraid_sb_same_volume(&sbs[i], &sbs[ref]))
			return verdict_fail(v, -EINVAL, (int)i,
					    "member belongs to another volume");
		if (sbs[i].members != n)
			return verdict_fail(v, -EINVAL, (int)i,
					    "member count differs from the number of members given");
		if (sbs[i].member_index != i)
			return verdict_fail(v, -EINVAL, (int)i,
					    "member in the wrong position");
		if (v->newest < 0 || sb_newer(&sbs[i], &sbs[v->newest]))
			v->newest = (int)i;
	}
	newest = &sbs[v->newest];
	for (i = 0; i < n; i++) {
		if (!present[i])
			continue;
		if (newest->member[i].state == DDRAID_MEMBER_FAILED) {
			v->recorded_failed |= 1u << i;
			continue;
		}
		if (newest->member[i].state == DDRAID_MEMBER_REBUILDING)
			v->rebuilding |= 1u << i;
		if (sbs[i].events == newest->events)
			continue;
		if (sbs[i].events + 1 == newest->events &&
		    newest->member[i].state == DDRAID_MEMBER_ACTIVE) {
			v->lagging |= 1u << i;
			continue;
		}
		return verdict_fail(v, -ESTALE, (int)i,
				    "member is stale: its event counter is behind the volume's");
	}
	if (ddr_popcount32(v->absent | v->recorded_failed |
			   v->rebuilding) > 1)
		return verdict_fail(v, -ENODEV, -1,
				    "more than one member missing, recorded failed or rebuilding");
	return 0;
}
