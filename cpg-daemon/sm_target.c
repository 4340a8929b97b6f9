// SPDX-License-Identifier: GPL-2.0-only
/*
 * Our own target's side: write intent and grants (I2), locks (I5), member
 * states and the commit of writes that skipped a failed member (I3), and
 * re-attaching a live target after a daemon restart (I7). Everything here
 * is local knowledge; what the cluster decides is in the RS.
 */
#include "sm_internal.h"

static u32 my_bit(const struct sm *sm)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);

	return s < 0 ? 0 : 1u << s;
}

static bool attached(const struct sm *sm)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);

	return sm->loc.has_state && s >= 0 && sm->rs.slot[s].attached;
}

static bool degraded(const struct sm *sm)
{
	u32 m;

	for (m = 0; m < sm->cfg.members; m++)
		if (sm->rs.member[m].state != DDRAID_MEMBER_ACTIVE)
			return true;
	return sm->rs.pending_fail || sm->rs.rb_phase != RB_NONE;
}

/*
 * Clear our bit for region r once nothing of ours can be in flight there
 * and nobody needs the record: lazily, and never while degraded (the bits
 * then name what a returning member missed).
 */
void tgt_maybe_clear(struct sm *sm, u64 r, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm);
	struct io *io;
	struct sm_effect *fx;

	if (!sm->loc.has_state || !bit || sm->tgt.bits[r] != BIT_SET)
		return;
	if ((rs->held[r] | rs->waiting[r]) & bit ||
	    ddraid_bit_test(rs->dirty, r) || ddraid_bit_test(sm->tgt.want, r) ||
	    ddraid_bit_test(sm->tgt.acq_sent, r) ||
	    ddraid_bit_test(sm->tgt.held, r))
		return;
	if (degraded(sm)) {
		sm->tgt.sticky = true;
		return;
	}
	io = io_new(sm, IO_BIT_CLEAR);
	io->region = r;
	fx = fx_add(out, SM_FX_BIT_CLEAR);
	fx->id = io->id;
	fx->bit.slot = (u32)rs_slot_of(rs, sm->cfg.nodeid);
	fx->bit.region = r;
	fx->bit.flush = (1u << sm->cfg.members) - 1;
	sm->tgt.bits[r] = BIT_CLEARING;
}

/* Set our write-intent bit for region r (slot @s) on the members. */
static void bit_set(struct sm *sm, u64 r, u32 s, struct sm_effects *out)
{
	struct io *io = io_new(sm, IO_BIT_SET);
	struct sm_effect *fx = fx_add(out, SM_FX_BIT_SET);

	io->region = r;
	fx->id = io->id;
	fx->bit.slot = s;
	fx->bit.region = r;
	sm->tgt.bits[r] = BIT_SETTING;
}

static bool hosting(const struct sm *sm)
{
	return sm->cfg.hosting;
}

static void probe(struct sm *sm, struct sm_effects *out, u32 m, u32 why)
{
	struct io *io = io_new(sm, IO_PROBE);
	struct sm_effect *fx = fx_add(out, SM_FX_PROBE);

	io->arg = m;
	io->region = why;
	fx->id = io->id;
	fx->probe.member = m;
	if (why == PROBE_HOST)
		sm->tgt.host_probing = true;
	else
		sm->tgt.probe_busy |= 1u << m;
}

void tgt_try_attach(struct sm *sm, struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);
	struct cpgmsg *m;
	u64 r;

	/* Withdrawn: the runtime exits; a new daemon attaches again. */
	if (!sm->loc.has_state || !sm->loc.quorate || !sm->tgt.ready ||
	    sm->tgt.attach_sent || sm->tgt.withdrawn)
		return;
	/* The disk we host: is it this member, and how current? */
	if (hosting(sm) && !sm->tgt.host_probed) {
		if (!sm->tgt.host_probing)
			probe(sm, out, sm->cfg.host_member, PROBE_HOST);
		return;
	}
	if (s < 0) {
		if (!sm->tgt.claim_sent)
			fx_cpg(sm, out, MSG_SLOT_CLAIM);
		sm->tgt.claim_sent = true;
		return;
	}
	if (!sm->rs.slot[s].persisted)
		return;
	/*
	 * What the target holds, an earlier daemon (or we, before we lost
	 * the state) recorded, but maybe not on every member: a member out
	 * of reach then got no bit. Set them again before the target is
	 * thawed (reasserted_bits()).
	 */
	for (r = 0; r < sm->cfg.regions; r++)
		if (ddraid_bit_test(sm->tgt.held, r) &&
		    sm->tgt.bits[r] != BIT_SETTING)
			sm->tgt.bits[r] = BIT_CLEAR;
	m = fx_cpg(sm, out, MSG_ATTACH);
	m->runs = runs_from_bitmap(out, sm->tgt.held, sm->cfg.regions);
	m->host_member = hosting(sm) ? sm->cfg.host_member :
		CPGMSG_NO_MEMBER;
	if (m->host_member != CPGMSG_NO_MEMBER && sm->tgt.host_disk_ok) {
		m->flags = ATTACH_DISK;
		m->host_events = sm->tgt.host_events;
	}
	sm->tgt.attach_sent = true;
}

void tgt_lock_tell(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 k, bit = my_bit(sm);

	sm->tgt.lock_told = true;
	sm->tgt.lock_told_r = rs->lock_region;
	for (k = 0; k < rs->lock_count; k++) {
		u64 r = rs->lock_region + k;

		/* Regions we do not hold have nothing of ours in flight,
		 * and cannot be granted to us before the lock ends. */
		if (!(rs->held[r] & bit) ||
		    (k && sm->debug & SM_DEBUG_SPAN_FIRST))
			continue;
		fx_chan(sm, out, DDRAID_CHAN_LOCK, r, 0, 0, 0);
		sm->tgt.lock_told_mask |= 1u << k;
		sm->tgt.lock_wait |= 1u << k;
	}
}

/*
 * Region r of the cluster's lock is drained here. When the last one is,
 * and the cluster still counts us among those to drain, say LOCKED (once:
 * only a region we were waiting for can complete the set).
 */
void tgt_lock_drained(struct sm *sm, u64 r, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 k;

	if (!rs_lock_covers(rs, r) || !sm->tgt.lock_told ||
	    sm->tgt.lock_told_r != rs->lock_region)
		return;
	k = (u32)(r - rs->lock_region);
	if (!(sm->tgt.lock_wait & (1u << k)))
		return;
	sm->tgt.lock_wait &= ~(1u << k);
	if (!sm->tgt.lock_wait && (rs->lock_ack & my_bit(sm)))
		fx_cpg(sm, out, MSG_LOCKED)->region = rs->lock_region;
}

void tgt_on_own_attach(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm);
	u64 r;

	/* Whatever an earlier daemon told the target is void: resend. */
	memset(sm->tgt.mstate_sent, 0, sizeof(sm->tgt.mstate_sent));
	memset(sm->tgt.mstate_done, 0, sizeof(sm->tgt.mstate_done));
	sm->tgt.committed = 0;
	sm->tgt.fail_applied_sent = 0;
	sm->tgt.ready_sent = false;
	if (rs->locked && (rs_lock_holders(rs) & bit))
		tgt_lock_tell(sm, out);
	for (r = 0; r < sm->cfg.regions; r++) {
		if (!ddraid_bit_test(sm->tgt.locked, r))
			continue;
		if (rs_lock_covers(rs, r)) {
			/* lifted when the cluster's lock ends */
			sm->tgt.lock_told = true;
			sm->tgt.lock_told_r = rs->lock_region;
			sm->tgt.lock_told_mask |= 1u << (r - rs->lock_region);
		} else {
			/* An earlier daemon's lock the cluster has ended. */
			fx_chan(sm, out, DDRAID_CHAN_UNLOCK, r, 0, 0, 0);
		}
	}
	memset(sm->tgt.locked, 0, bitmap_bytes(sm->cfg.regions));
	fx_log(out, SM_LOG_INFO, "attached to the cluster");
}

/*
 * Tell our target member m's state, and our own IO (SM_FX_MEMBER_STATE):
 * the daemon's bitmap and superblock writes skip exactly the members its
 * target does not write.
 */
static void tell_member_state(struct sm *sm, struct sm_effects *out, u32 m,
			      u32 state)
{
	struct sm_effect *fx;

	fx_chan(sm, out, DDRAID_CHAN_MEMBER_STATE, m, sm->rs.events, 0,
		state);
	sm->tgt.mstate_sent[m] = state;
	fx = fx_add(out, SM_FX_MEMBER_STATE);
	fx->mstate.member = m;
	fx->mstate.state = state;
}

/* The state our target should apply for member m. */
static u32 wanted_state(const struct sm *sm, u32 m)
{
	const struct rs *rs = &sm->rs;

	/*
	 * Out but not recorded yet (its host gone, say): not read from now
	 * on, for it may come back stale before the record is written (a
	 * host that reboots within the transport's reconnect window). Writes
	 * that skip it wait for COMMIT_FAIL all the same.
	 */
	if (rs->pending_fail & (1u << m))
		return DDRAID_MEMBER_FAILED;
	if (rs->rb_phase != RB_NONE && rs->rb_member == m)
		return DDRAID_MEMBER_REBUILDING;
	return rs->member[m].state;
}

void tgt_sync_members(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm), m;

	if (rs->rb_phase == RB_NONE) {
		sm->tgt.path_done = false;
		sm->tgt.ready_sent = false;
	}
	for (m = 0; m < sm->cfg.members; m++) {
		u32 want = wanted_state(sm, m);

		if (want == DDRAID_MEMBER_REBUILDING && !sm->tgt.path_done) {
			struct io *io;
			struct sm_effect *fx;

			/* Until the new device is in place, the target must
			 * not read the member (it is stale or blank). */
			if (sm->tgt.mstate_sent[m] != DDRAID_MEMBER_FAILED &&
			    sm->tgt.mstate_sent[m] != DDRAID_MEMBER_REBUILDING) {
				tell_member_state(sm, out, m,
						  DDRAID_MEMBER_FAILED);
			}
			if (sm->tgt.path_pending)
				continue;
			io = io_new(sm, IO_MEMBER_PATH);
			io->arg = m;
			fx = fx_add(out, SM_FX_MEMBER_PATH);
			fx->id = io->id;
			fx->rebuild.member = m;
			fx->rebuild.path = rs->rb_path;
			sm->tgt.path_pending = true;
			continue;
		}
		if (sm->tgt.mstate_sent[m] != want) {
			tell_member_state(sm, out, m, want);
			/* An error it reported may predate a failure and
			 * rebuild it has not heard of: it reports again any
			 * error that still stands (docs/kernel-channel.md). */
			if (want == DDRAID_MEMBER_ACTIVE)
				sm->tgt.merr &= ~(1u << m);
			sm->tgt.committed &= ~(1u << m);
			if (want == DDRAID_MEMBER_FAILED &&
			    (sm->debug & SM_DEBUG_EARLY_COMMIT)) {
				fx_chan(sm, out, DDRAID_CHAN_COMMIT_FAIL, m, 0,
					0, 0);
				sm->tgt.committed |= 1u << m;
			}
		}
		if (want == DDRAID_MEMBER_FAILED &&
		    rs->member[m].state == DDRAID_MEMBER_FAILED &&
		    sm->tgt.mstate_done[m] == DDRAID_MEMBER_FAILED) {
			if ((rs->fail_apply[m] & bit) &&
			    !(sm->tgt.fail_applied_sent & (1u << m))) {
				struct cpgmsg *c = fx_cpg(sm, out,
							  MSG_FAIL_APPLIED);

				c->member = m;
				sm->tgt.fail_applied_sent |= 1u << m;
			}
			if (!rs->fail_apply[m] &&
			    !(rs->unrecorded & (1u << m)) &&
			    !(sm->tgt.committed & (1u << m))) {
				/* Every live target has stopped reading m:
				 * writes that skipped it may complete (I3). */
				fx_chan(sm, out, DDRAID_CHAN_COMMIT_FAIL, m, 0,
					0, 0);
				sm->tgt.committed |= 1u << m;
				sm->tgt.merr &= ~(1u << m);
			}
		}
		if (want == DDRAID_MEMBER_REBUILDING &&
		    sm->tgt.mstate_done[m] == DDRAID_MEMBER_REBUILDING &&
		    rs->rb_phase != RB_NONE && (rs->rb_ready & bit) &&
		    !sm->tgt.ready_sent) {
			struct cpgmsg *c = fx_cpg(sm, out, MSG_REBUILD_READY);

			c->member = m;
			sm->tgt.ready_sent = true;
		}
	}
}

bool tgt_intent_ready(const struct sm *sm, u64 r)
{
	return sm->tgt.bits[r] == BIT_SET ||
	       (sm->debug & SM_DEBUG_SKIP_INTENT);
}

void tgt_grant(struct sm *sm, u64 r, struct sm_effects *out)
{
	if (ddraid_bit_test(sm->tgt.want, r) && !--sm->tgt.n_want)
		sm->tgt.want_lo = sm->cfg.regions;	/* none left */
	ddraid_bit_clear(sm->tgt.want, r);
	ddraid_bit_set(sm->tgt.held, r);
	fx_chan(sm, out, DDRAID_CHAN_GRANT, r, 0, 0, 0);
}

static void grant_pass(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, sm->cfg.nodeid);
	u32 bit = my_bit(sm);
	struct cpgmsg *c;
	u64 r, left = sm->tgt.n_want;

	if (sm->tgt.frozen || sm->tgt.path_pending || !sm->loc.quorate || s < 0 ||
	    !rs->slot[s].persisted || !left)
		return;
	r = bitmap_next(sm->tgt.want, sm->tgt.want_lo, sm->cfg.regions);
	sm->tgt.want_lo = r;
	for (; r < sm->cfg.regions;
	     r = left ? bitmap_next(sm->tgt.want, r + 1, sm->cfg.regions) :
		 sm->cfg.regions) {
		left--;
		/* Our RELEASE is on its way: once it is delivered the RS
		 * no longer names us, so ask again then. */
		if (ddraid_bit_test(sm->tgt.rel_sent, r))
			continue;
		/*
		 * The bit write and the ACQUIRE's round through the cluster
		 * run at the same time; the grant waits for both. Holding a
		 * region (RS) before our bit is on the members is safe: no
		 * write of ours reaches the region before the grant, so a
		 * crash in between leaves nothing to resync there (I2 is
		 * about writes, docs/cluster-protocol.md "write intent").
		 */
		if (sm->tgt.bits[r] == BIT_CLEAR &&
		    !(sm->debug & SM_DEBUG_SKIP_INTENT))
			bit_set(sm, r, (u32)s, out);
		if (rs->held[r] & bit) {
			/* Never into the cluster's lock: its end grants. */
			if (tgt_intent_ready(sm, r) && !rs_lock_covers(rs, r))
				tgt_grant(sm, r, out);
			continue;
		}
		if (ddraid_bit_test(sm->tgt.acq_sent, r) || rs->waiting[r] & bit)
			continue;
		c = fx_cpg(sm, out, MSG_ACQUIRE);
		c->region = r;
		ddraid_bit_set(sm->tgt.acq_sent, r);
	}
}

static void send_detach(struct sm *sm, struct sm_effects *out, u32 flags,
			u32 member)
{
	struct cpgmsg *c = fx_cpg(sm, out, MSG_DETACH);

	c->flags = flags;
	c->member = member;
	sm->tgt.detach_sent = true;
	sm->tgt.detach_flags = flags;
}

/*
 * Leaving on purpose (docs/cluster-protocol.md, "clean stops"): once the
 * target is gone (its table removed) nothing of ours writes any more, so
 * we say so and nobody waits for us; stopping, we take our disk's member
 * out first, so that no other node ever sees it vanish under its IO.
 * A withdrawal detaches once the target failing all IO has nothing in
 * flight (FROZEN).
 */
static void detach_work(struct sm *sm, struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);
	u8 st;

	if (!sm->loc.has_state || !sm->loc.quorate || s < 0 ||
	    sm->tgt.detach_sent || (sm->debug & SM_DEBUG_NO_DETACH))
		return;
	st = sm->rs.slot[s].status;
	if (sm->tgt.withdraw_member != CPGMSG_NO_MEMBER) {
		if (st == SS_VIEW && sm->tgt.drained)
			send_detach(sm, out, DETACH_WITHDRAW,
				    sm->tgt.withdraw_member);
		return;
	}
	if (!sm->tgt.removed)
		return;
	if (sm->loc.stopping && hosting(sm) && !sm->tgt.leaving_done &&
	    (st == SS_VIEW || st == SS_DETACHED))
		send_detach(sm, out, DETACH_HOST_LEAVING, CPGMSG_NO_MEMBER);
	else if (st == SS_VIEW)
		send_detach(sm, out, 0, CPGMSG_NO_MEMBER);
}

/*
 * Probe rounds (sm_member.c): every attached node checks its own path to
 * a reported member and answers MEMBER_PROBE.
 */
static void answer_probes(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm), m;

	for (m = 0; m < sm->cfg.members; m++) {
		u32 mb = 1u << m;

		if (!(rs->probing & mb)) {
			sm->tgt.probe_answered &= ~mb;
			continue;
		}
		if (!(rs->probe_wait[m] & bit) ||
		    (sm->tgt.probe_answered & mb) || (sm->tgt.probe_busy & mb))
			continue;
		probe(sm, out, m, PROBE_ROUND);
	}
}

/*
 * Our own path faults: the cluster reaches member m, we do not. Our
 * writes that missed it wait in the target; we probe m every
 * probe_interval; when it answers the target retries them (PATH_RETRY)
 * and the cluster hears it (PATH_OK); after path_timeout without an
 * answer we withdraw: the target fails our IO, and once nothing of ours
 * is in flight we detach, so nobody ever waits for us. A probe is a
 * superblock read: a path that passes it but fails writes faults again
 * at once, and a fault within path_timeout of the last good probe counts
 * from the first one's start, so such a path (or one that flaps) still
 * ends in a withdrawal.
 */
static void withdraw(struct sm *sm, u32 m, struct sm_effects *out)
{
	fx_log(out, SM_LOG_ERR, "withdrawing: member %u unreachable from "
	       "this node for longer than the path timeout while the "
	       "cluster reaches it; this node's IO fails", m);
	sm->tgt.withdraw_member = m;
	fx_chan(sm, out, DDRAID_CHAN_FREEZE, 0, 0, 0,
		DDRAID_CHAN_FREEZE_FAIL_IO);
	sm->tgt.frozen = true;
	sm->tgt.drained = false;
	sm->tgt.freezes++;
}

static void path_work(struct sm *sm, struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);
	u32 bad = s < 0 ? 0 : sm->rs.slot[s].path_bad, m;

	for (m = 0; m < sm->cfg.members; m++) {
		u32 mb = 1u << m;

		if (!(bad & mb)) {
			sm->tgt.path_since[m] = 0;
			sm->tgt.path_ok_sent &= ~mb;
			continue;
		}
		/* it answered: the cluster has not seen our PATH_OK yet */
		if (sm->tgt.path_ok_sent & mb)
			continue;
		if (!sm->tgt.path_since[m]) {
			/* back soon after it answered: the same fault */
			if (!sm->tgt.path_began[m] ||
			    sm->now - sm->tgt.path_good_at[m] >=
			    sm->cfg.path_timeout)
				sm->tgt.path_began[m] = sm->now + 1;
			sm->tgt.path_since[m] = sm->tgt.path_began[m];
			sm->tgt.next_probe[m] = sm->now + sm->cfg.probe_interval;
		}
		if (sm->tgt.withdraw_member != CPGMSG_NO_MEMBER)
			return;
		if (sm->now + 1 - sm->tgt.path_since[m] >=
		    sm->cfg.path_timeout) {
			withdraw(sm, m, out);
			return;
		}
		if ((sm->tgt.probe_busy & mb) ||
		    sm->now < sm->tgt.next_probe[m])
			continue;
		probe(sm, out, m, PROBE_PATH);
	}
}

static void path_probed(struct sm *sm, u32 m, int result,
			struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);
	struct cpgmsg *c;

	if (s < 0 || !(sm->rs.slot[s].path_bad & (1u << m)) ||
	    sm->tgt.withdraw_member != CPGMSG_NO_MEMBER)
		return;
	if (!result) {
		fx_log(out, SM_LOG_NOTICE, "member %u answers again: our "
		       "writes that missed it are retried", m);
		fx_chan(sm, out, DDRAID_CHAN_PATH_RETRY, m, 0, 0, 0);
		c = fx_cpg(sm, out, MSG_PATH_OK);
		c->member = m;
		sm->tgt.path_since[m] = 0;
		sm->tgt.path_good_at[m] = sm->now;
		sm->tgt.path_ok_sent |= 1u << m;
		sm->tgt.merr &= ~(1u << m);
		sm->tgt.merr_sent &= ~(1u << m);
		return;
	}
	sm->tgt.next_probe[m] = sm->now + sm->cfg.probe_interval;
	if (sm->now + 1 - sm->tgt.path_since[m] >= sm->cfg.path_timeout)
		withdraw(sm, m, out);
}

/*
 * Before a thaw: the bit of every region the target holds is set again,
 * on every member we reach now (see tgt_try_attach()). True when done.
 */
static bool reasserted_bits(struct sm *sm, struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);
	bool done = true;
	u64 r;

	for (r = bitmap_next(sm->tgt.held, 0, sm->cfg.regions);
	     r < sm->cfg.regions;
	     r = bitmap_next(sm->tgt.held, r + 1, sm->cfg.regions)) {
		if (sm->tgt.bits[r] == BIT_SET)
			continue;
		done = false;
		if (sm->tgt.bits[r] != BIT_CLEAR || s < 0)
			continue;
		bit_set(sm, r, (u32)s, out);
	}
	return done;
}

void tgt_kick(struct sm *sm, struct sm_effects *out)
{
	u32 m;
	u64 r;

	tgt_try_attach(sm, out);
	detach_work(sm, out);
	if (!attached(sm))
		return;
	answer_probes(sm, out);
	path_work(sm, out);
	if (sm->tgt.withdraw_member != CPGMSG_NO_MEMBER)
		return;	/* frozen for good: nothing is granted or thawed */
	/* Member states first: the channel is ordered, so the target knows
	 * them before it is thawed or granted anything. */
	tgt_sync_members(sm, out);
	if (sm->tgt.frozen && reasserted_bits(sm, out)) {
		fx_chan(sm, out, DDRAID_CHAN_THAW, 0, 0, 0, 0);
		sm->tgt.frozen = false;
	}
	for (m = 0; m < sm->cfg.members; m++) {
		const struct rs *rs = &sm->rs;

		if (!(sm->tgt.merr & (1u << m)) || !sm->loc.quorate)
			continue;
		if (rs->member[m].state == DDRAID_MEMBER_FAILED) {
			/* Already recorded: re-commit for this target. */
			if (!rs->fail_apply[m] &&
			    !(rs->unrecorded & (1u << m)) &&
			    sm->tgt.mstate_done[m] == DDRAID_MEMBER_FAILED) {
				fx_chan(sm, out, DDRAID_CHAN_COMMIT_FAIL, m, 0,
					0, 0);
				sm->tgt.merr &= ~(1u << m);
			}
			continue;
		}
		if (!(rs->pending_fail & (1u << m)) &&
		    !(sm->tgt.merr_sent & (1u << m))) {
			struct cpgmsg *c = fx_cpg(sm, out, MSG_MEMBER_FAIL);

			c->member = m;
			c->err = EIO;
			sm->tgt.merr_sent |= 1u << m;
		}
	}
	grant_pass(sm, out);
	if (sm->tgt.sticky && !degraded(sm)) {
		sm->tgt.sticky = false;
		for (r = 0; r < sm->cfg.regions; r++)
			tgt_maybe_clear(sm, r, out);
	}
}

void tgt_event(struct sm *sm, const struct ddraid_chan_msg *c,
	       struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm);
	u64 r = c->region;

	switch (c->type) {
	case DDRAID_CHAN_HELLO:
		sm->tgt.ready = false;
		sm->tgt.removed = false;
		sm->tgt.freezes = 0;
		memset(sm->tgt.held, 0, bitmap_bytes(sm->cfg.regions));
		memset(sm->tgt.locked, 0, bitmap_bytes(sm->cfg.regions));
		/* A FREEZE we sent may still be on its way to it. */
		if (c->flags & DDRAID_CHAN_HELLO_FROZEN)
			sm->tgt.frozen = true;
		return;
	case DDRAID_CHAN_HELD:
		if (r >= sm->cfg.regions)
			return;
		if (!(c->flags & DDRAID_CHAN_HELD_NOGRANT))
			ddraid_bit_set(sm->tgt.held, r);
		if (c->flags & DDRAID_CHAN_HELD_LOCKED)
			ddraid_bit_set(sm->tgt.locked, r);
		return;
	case DDRAID_CHAN_HELD_END:
		sm->tgt.ready = true;
		return;
	case DDRAID_CHAN_GRANT_REQ:
		if (r < sm->cfg.regions && !ddraid_bit_test(sm->tgt.want, r)) {
			ddraid_bit_set(sm->tgt.want, r);
			sm->tgt.n_want++;
			if (r < sm->tgt.want_lo)
				sm->tgt.want_lo = r;
		}
		return;
	case DDRAID_CHAN_IDLE:
		if (r >= sm->cfg.regions)
			return;
		ddraid_bit_clear(sm->tgt.held, r);
		if (attached(sm) && (rs->held[r] & bit) &&
		    !ddraid_bit_test(sm->tgt.rel_sent, r)) {
			struct cpgmsg *m = fx_cpg(sm, out, MSG_RELEASE);

			m->region = r;
			ddraid_bit_set(sm->tgt.rel_sent, r);
		}
		return;
	case DDRAID_CHAN_LOCKED:
		if (attached(sm))
			tgt_lock_drained(sm, r, out);
		return;
	case DDRAID_CHAN_MEMBER_ERROR:
		if (r < sm->cfg.members) {
			sm->tgt.merr |= 1u << r;
			sm->tgt.merr_sent &= ~(1u << r);
		}
		return;
	case DDRAID_CHAN_MEMBER_STATE_DONE:
		if (r < sm->cfg.members)
			sm->tgt.mstate_done[r] = c->flags;
		return;
	case DDRAID_CHAN_FROZEN:
		/* The answer to our last FREEZE, not an older one. */
		if (c->arg == sm->tgt.freezes)
			sm->tgt.drained = true;
		return;
	}
	fx_log(out, SM_LOG_WARNING, "unexpected %s from the target",
	       ddraid_chan_type_name(c->type));
}

void tgt_io_done(struct sm *sm, struct io *io, int result,
		 struct sm_effects *out)
{
	switch (io->kind) {
	case IO_BIT_SET:
		/* Set before we lost the state: maybe not on every member
		 * (some out of reach); set it again when it is wanted. */
		sm->tgt.bits[io->region] = result || io->epoch != sm->epoch ?
			BIT_CLEAR : BIT_SET;
		if (result)
			fx_log(out, SM_LOG_ERR,
			       "setting write-intent bit %llu failed: %d",
			       (unsigned long long)io->region, result);
		break;
	case IO_BIT_CLEAR:
		sm->tgt.bits[io->region] = result ? BIT_SET : BIT_CLEAR;
		/*
		 * A member went out while the clear ran: its flush may have
		 * reached a disk that had rebooted meanwhile (the transport
		 * reconnects), not the cache that held our writes. Mark the
		 * region again, so that the member's re-add rebuilds it;
		 * sticky until the volume is whole again.
		 */
		if (!result && degraded(sm) && io->epoch == sm->epoch &&
		    my_bit(sm)) {
			bit_set(sm, io->region, (u32)rs_slot_of(&sm->rs,
							sm->cfg.nodeid), out);
			sm->tgt.sticky = true;
		}
		/* Wanted again meanwhile: grant_pass sets it again. */
		break;
	case IO_MEMBER_PATH:
		sm->tgt.path_pending = false;
		if (io->epoch != sm->epoch || !sm->loc.has_state)
			break;
		if (result) {
			struct cpgmsg *c;

			/* The cluster calls the rebuild off, with our reason. */
			fx_log(out, SM_LOG_ERR,
			       "cannot open the rebuild target: %d", result);
			if (sm->rs.rb_phase == RB_NONE || sm->tgt.ready_sent ||
			    !(sm->rs.rb_ready & my_bit(sm)))
				break;
			c = fx_cpg(sm, out, MSG_REBUILD_READY);
			c->member = io->arg;
			c->err = -result > 4095 ? EIO : (u32)-result;
			sm->tgt.ready_sent = true;
			break;
		}
		sm->tgt.path_done = true;
		break;
	case IO_PROBE:
		tgt_probe_done(sm, io, result, out);
		break;
	}
}

void tgt_probe_done(struct sm *sm, const struct io *io, int result,
		    struct sm_effects *out)
{
	u32 m = io->arg;
	struct cpgmsg *c;

	if (io->region == PROBE_HOST) {
		sm->tgt.host_probing = false;
		sm->tgt.host_probed = true;
		sm->tgt.host_disk_ok = !result;
		sm->tgt.host_events = result ? 0 : io->events;
		if (result)
			fx_log(out, SM_LOG_WARNING, "our disk (member %u) is "
			       "not usable as it is: %d", m, result);
		return;
	}
	sm->tgt.probe_busy &= ~(1u << m);
	if (io->epoch != sm->epoch || !sm->loc.has_state || !attached(sm))
		return;
	if (io->region == PROBE_PATH) {
		path_probed(sm, m, result, out);
		return;
	}
	if (!(sm->rs.probing & (1u << m)) ||
	    !(sm->rs.probe_wait[m] & my_bit(sm)) ||
	    (sm->tgt.probe_answered & (1u << m)))
		return;
	c = fx_cpg(sm, out, MSG_MEMBER_PROBE);
	c->member = m;
	c->err = !result ? 0 : -result > 4095 ? EIO : (u32)-result;
	sm->tgt.probe_answered |= 1u << m;
}
