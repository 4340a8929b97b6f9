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

/*
 * The members a normal assembly cannot use, relative to the newest
 * superblock: fills absent, recorded_failed, rebuilding, lagging and stale.
 */
static void classify(const struct ddraid_sb *sbs, const bool *present, u32 n,
		     struct ddraid_set_verdict *v)
{
	const struct ddraid_sb *newest = &sbs[v->newest];
	u32 i;

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
		v->stale |= 1u << i;
	}
}

/* Same volume, same member count, each at its own index; finds newest. */
static int check_places(const struct ddraid_sb *sbs, const bool *present,
			u32 n, struct ddraid_set_verdict *v)
{
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
	return 0;
}

int ddraid_sb_check_set(const struct ddraid_sb *sbs, const bool *present,
			u32 n, struct ddraid_set_verdict *v)
{
	int r = check_places(sbs, present, n, v);

	if (r)
		return r;
	classify(sbs, present, n, v);
	if (v->stale)
		return verdict_fail(v, -ESTALE, (int)ddr_ctz32(v->stale),
				    "member is stale: its event counter is behind the volume's");
	if (ddr_popcount32(v->absent | v->recorded_failed |
			   v->rebuilding) > 1)
		return verdict_fail(v, -ENODEV, -1,
				    "more than one member missing, recorded failed or rebuilding");
	return 0;
}

static int plan_fail(struct ddraid_force_plan *p, int err, int member,
		     const char *why)
{
	p->member = member;
	p->why = why;
	return err;
}

/* Is candidate @a fresher than candidate @b (both ranked, see the .h)? */
static bool fresher(const struct ddraid_sb *sbs,
		    const struct ddraid_force_plan *p, u32 a, u32 b)
{
	const struct ddraid_force_member *x = &p->m[a], *y = &p->m[b];

	if (x->kind != y->kind)
		return x->kind == DDRAID_FORCE_FAILED;
	if (x->kind == DDRAID_FORCE_FAILED &&
	    x->failed_events != y->failed_events)
		return x->failed_events > y->failed_events;
	if (x->events != y->events)
		return x->events > y->events;
	if (sbs[a].update_seq != sbs[b].update_seq)
		return sbs[a].update_seq > sbs[b].update_seq;
	return a < b;
}

/* Equally fresh: the same rank, whatever the tie-breaks said. */
static bool same_rank(const struct ddraid_force_plan *p, u32 a, u32 b)
{
	const struct ddraid_force_member *x = &p->m[a], *y = &p->m[b];

	return x->kind == y->kind && x->events == y->events &&
	       (x->kind != DDRAID_FORCE_FAILED ||
		x->failed_events == y->failed_events);
}

int ddraid_sb_force_set(const struct ddraid_sb *sbs, const bool *present,
			u32 n, struct ddraid_force_plan *p)
{
	struct ddraid_set_verdict v;
	const struct ddraid_sb *newest;
	u32 i, j, cand = 0, left, best_left = 0;
	int r;

	memset(p, 0, sizeof(*p));
	p->newest = -1;
	p->member = -1;
	p->out = -1;
	r = check_places(sbs, present, n, &v);
	if (r)
		return plan_fail(p, r, v.member, v.why);
	classify(sbs, present, n, &v);
	p->newest = v.newest;
	newest = &sbs[v.newest];
	p->unusable = v.absent | v.recorded_failed | v.rebuilding | v.stale;
	for (i = 0; i < n; i++) {
		struct ddraid_force_member *m = &p->m[i];
		u32 bit = 1u << i;

		m->out = (v.absent & bit ? DDRAID_OUT_ABSENT : 0) |
			 (newest->member[i].state == DDRAID_MEMBER_FAILED ?
			  DDRAID_OUT_FAILED : 0) |
			 (newest->member[i].state == DDRAID_MEMBER_REBUILDING ?
			  DDRAID_OUT_REBUILDING : 0) |
			 (v.stale & bit ? DDRAID_OUT_STALE : 0);
		if (!(p->unusable & bit))
			m->out = 0;
		if (newest->member[i].state == DDRAID_MEMBER_FAILED)
			m->failed_events = newest->member[i].failed_events;
		if (!present[i])
			continue;
		m->events = sbs[i].events;
		/*
		 * A candidate: unusable, not rebuilding in the volume's
		 * record, and active in its own record (a member that was
		 * being rebuilt when it was lost holds no whole data).
		 */
		if (!(p->unusable & bit) || (v.rebuilding & bit) ||
		    sbs[i].member[i].state != DDRAID_MEMBER_ACTIVE)
			continue;
		if ((m->out & DDRAID_OUT_FAILED) && m->failed_events &&
		    sbs[i].events + 1 == m->failed_events) {
			m->kind = DDRAID_FORCE_FAILED;
			m->since = m->failed_events;
		} else {
			m->kind = DDRAID_FORCE_STALE;
			m->since = sbs[i].events + 1;
		}
		cand |= bit;
	}
	if (ddr_popcount32(p->unusable) <= 1) {
		memset(p->m, 0, sizeof(p->m));
		return plan_fail(p, -EALREADY,
				 p->unusable ? (int)ddr_ctz32(p->unusable) : -1,
				 "at most one member is unusable: nothing to force");
	}
	/* Two or more out even if every candidate were accepted? */
	left = p->unusable & ~cand;
	if (ddr_popcount32(left) > 1)
		return plan_fail(p, -ENODEV, (int)ddr_ctz32(left),
				 ddr_popcount32(left & v.absent) > 1 ?
				 "more than one member is absent: forcing cannot help" :
				 "more than one member cannot be accepted (absent, rebuilding, or not whole on its own record)");
	/*
	 * Accept every candidate but the least fresh, unless a member that
	 * is no candidate already stays out: then accept them all.
	 */
	if (left) {
		p->out = (int)ddr_ctz32(left);
		p->accept = cand;
	} else {
		for (i = 0; i < n; i++) {
			if (!(cand & (1u << i)))
				continue;
			if (!best_left || fresher(sbs, p, ddr_ctz32(best_left), i))
				best_left = 1u << i;
		}
		p->out = (int)ddr_ctz32(best_left);
		p->accept = cand & ~best_left;
	}
	/* A candidate left out though as fresh as one accepted: a tie. */
	for (i = 0; i < n; i++)
		if ((cand & (1u << p->out)) && (p->accept & (1u << i)) &&
		    same_rank(p, i, (u32)p->out))
			p->tie = true;
	p->m[p->out].kind = DDRAID_FORCE_NONE;
	p->m[p->out].since = 0;
	for (i = 0; i < n; i++) {
		struct ddraid_force_member *m = &p->m[i];

		m->already_out = -1;
		if (m->kind != DDRAID_FORCE_FAILED)
			continue;
		for (j = n; j-- > 0;)
			if (j != i && (p->unusable & (1u << j)) &&
			    newest->member[j].state == DDRAID_MEMBER_FAILED &&
			    newest->member[j].failed_events <= m->failed_events) {
				m->in_flight_only = true;
				m->already_out = (int)j;
			}
	}
	p->sb = *newest;
	p->sb.events = newest->events + 1;
	for (i = 0; i < n; i++)
		if (present[i] && sbs[i].update_seq > p->sb.update_seq)
			p->sb.update_seq = sbs[i].update_seq;
	for (i = 0; i < n; i++) {
		struct ddraid_member_info *mi = &p->sb.member[i];

		if (p->accept & (1u << i)) {
			mi->state = DDRAID_MEMBER_ACTIVE;
			mi->failed_events = 0;
			mi->recovery_block = 0;
		} else if ((int)i == p->out &&
			   mi->state != DDRAID_MEMBER_FAILED) {
			mi->state = DDRAID_MEMBER_FAILED;
			mi->failed_events = p->sb.events;
			mi->recovery_block = 0;
		}
	}
	return 0;
}
