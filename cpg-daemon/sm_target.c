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

	return sm->has_state && s >= 0 && sm->rs.slot[s].attached;
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

	if (!sm->has_state || !bit || sm->bits[r] != BIT_SET)
		return;
	if ((rs->held[r] | rs->waiting[r]) & bit ||
	    ddraid_bit_test(rs->dirty, r) || ddraid_bit_test(sm->want, r) ||
	    ddraid_bit_test(sm->acq_sent, r) ||
	    ddraid_bit_test(sm->tgt_held, r))
		return;
	if (degraded(sm)) {
		sm->sticky = true;
		return;
	}
	io = io_new(sm, IO_BIT_CLEAR);
	io->region = r;
	fx = fx_add(out, SM_FX_BIT_CLEAR);
	fx->id = io->id;
	fx->bit.slot = (u32)rs_slot_of(rs, sm->cfg.nodeid);
	fx->bit.region = r;
	sm->bits[r] = BIT_CLEARING;
}

void tgt_try_attach(struct sm *sm, struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, sm->cfg.nodeid);
	struct cpgmsg *m;
	u64 r;

	if (!sm->has_state || !sm->quorate || !sm->tgt_ready ||
	    sm->attach_sent)
		return;
	if (s < 0) {
		if (!sm->claim_sent)
			fx_cpg(sm, out, MSG_SLOT_CLAIM);
		sm->claim_sent = true;
		return;
	}
	if (!sm->rs.slot[s].persisted)
		return;
	/* What the target holds, the previous daemon had recorded. */
	for (r = 0; r < sm->cfg.regions; r++)
		if (ddraid_bit_test(sm->tgt_held, r))
			sm->bits[r] = BIT_SET;
	m = fx_cpg(sm, out, MSG_ATTACH);
	m->runs = runs_from_bitmap(out, sm->tgt_held, sm->cfg.regions);
	sm->attach_sent = true;
}

void tgt_on_own_attach(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm);
	u64 r;

	/* Whatever an earlier daemon told the target is void: resend. */
	memset(sm->mstate_sent, 0, sizeof(sm->mstate_sent));
	memset(sm->mstate_done, 0, sizeof(sm->mstate_done));
	sm->committed = 0;
	sm->fail_applied_sent = 0;
	sm->ready_sent = false;
	for (r = 0; r < sm->cfg.regions; r++) {
		bool cluster_lock = rs->locked && rs->lock_region == r;

		if (cluster_lock && (rs->held[r] & bit)) {
			fx_chan(sm, out, DDRAID_CHAN_LOCK, r, 0, 0, 0);
			sm->lock_told = true;
			sm->lock_told_r = r;
		} else if (cluster_lock &&
			   ddraid_bit_test(sm->tgt_locked, r)) {
			/* lifted when the cluster's lock ends */
			sm->lock_told = true;
			sm->lock_told_r = r;
		} else if (ddraid_bit_test(sm->tgt_locked, r)) {
			/* An earlier daemon's lock the cluster has ended. */
			fx_chan(sm, out, DDRAID_CHAN_UNLOCK, r, 0, 0, 0);
		}
	}
	memset(sm->tgt_locked, 0, bitmap_bytes(sm->cfg.regions));
	fx_log(out, SM_LOG_INFO, "attached to the cluster");
}

/* The state our target should apply for member m. */
static u32 wanted_state(const struct sm *sm, u32 m)
{
	const struct rs *rs = &sm->rs;

	if (rs->rb_phase != RB_NONE && rs->rb_member == m)
		return DDRAID_MEMBER_REBUILDING;
	return rs->member[m].state;
}

void tgt_sync_members(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 bit = my_bit(sm), m;

	if (rs->rb_phase == RB_NONE) {
		sm->path_done = false;
		sm->ready_sent = false;
	}
	for (m = 0; m < sm->cfg.members; m++) {
		u32 want = wanted_state(sm, m);

		if (want == DDRAID_MEMBER_REBUILDING && !sm->path_done) {
			struct io *io;
			struct sm_effect *fx;

			/* Until the new device is in place, the target must
			 * not read the member (it is stale or blank). */
			if (sm->mstate_sent[m] != DDRAID_MEMBER_FAILED &&
			    sm->mstate_sent[m] != DDRAID_MEMBER_REBUILDING) {
				fx_chan(sm, out, DDRAID_CHAN_MEMBER_STATE, m,
					rs->events, 0, DDRAID_MEMBER_FAILED);
				sm->mstate_sent[m] = DDRAID_MEMBER_FAILED;
			}
			if (sm->path_pending)
				continue;
			io = io_new(sm, IO_MEMBER_PATH);
			io->arg = m;
			fx = fx_add(out, SM_FX_MEMBER_PATH);
			fx->id = io->id;
			fx->rebuild.member = m;
			fx->rebuild.path = rs->rb_path;
			sm->path_pending = true;
			continue;
		}
		if (sm->mstate_sent[m] != want) {
			fx_chan(sm, out, DDRAID_CHAN_MEMBER_STATE, m,
				rs->events, 0, want);
			sm->mstate_sent[m] = want;
			/* An error it reported may predate a failure and
			 * rebuild it has not heard of: it reports again any
			 * error that still stands (docs/kernel-channel.md). */
			if (want == DDRAID_MEMBER_ACTIVE)
				sm->merr &= ~(1u << m);
			sm->committed &= ~(1u << m);
			if (want == DDRAID_MEMBER_FAILED &&
			    (sm->debug & SM_DEBUG_EARLY_COMMIT)) {
				fx_chan(sm, out, DDRAID_CHAN_COMMIT_FAIL, m, 0,
					0, 0);
				sm->committed |= 1u << m;
			}
		}
		if (want == DDRAID_MEMBER_FAILED &&
		    sm->mstate_done[m] == DDRAID_MEMBER_FAILED) {
			if ((rs->fail_apply[m] & bit) &&
			    !(sm->fail_applied_sent & (1u << m))) {
				struct cpgmsg *c = fx_cpg(sm, out,
							  MSG_FAIL_APPLIED);

				c->member = m;
				sm->fail_applied_sent |= 1u << m;
			}
			if (!rs->fail_apply[m] &&
			    !(sm->committed & (1u << m))) {
				/* Every live target has stopped reading m:
				 * writes that skipped it may complete (I3). */
				fx_chan(sm, out, DDRAID_CHAN_COMMIT_FAIL, m, 0,
					0, 0);
				sm->committed |= 1u << m;
				sm->merr &= ~(1u << m);
			}
		}
		if (want == DDRAID_MEMBER_REBUILDING &&
		    sm->mstate_done[m] == DDRAID_MEMBER_REBUILDING &&
		    rs->rb_phase != RB_NONE && (rs->rb_ready & bit) &&
		    !sm->ready_sent) {
			struct cpgmsg *c = fx_cpg(sm, out, MSG_REBUILD_READY);

			c->member = m;
			sm->ready_sent = true;
		}
	}
}

static void grant_pass(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, sm->cfg.nodeid);
	u32 bit = my_bit(sm);
	u64 r;

	if (sm->frozen || sm->path_pending || !sm->quorate || s < 0 ||
	    !rs->slot[s].persisted)
		return;
	for (r = bitmap_next(sm->want, 0, sm->cfg.regions);
	     r < sm->cfg.regions;
	     r = bitmap_next(sm->want, r + 1, sm->cfg.regions)) {
		/* Our RELEASE is on its way: once it is delivered the RS
		 * no longer names us, so ask again then. */
		if (ddraid_bit_test(sm->rel_sent, r))
			continue;
		if (rs->held[r] & bit) {
			ddraid_bit_clear(sm->want, r);
			ddraid_bit_set(sm->tgt_held, r);
			fx_chan(sm, out, DDRAID_CHAN_GRANT, r, 0, 0, 0);
			continue;
		}
		if (ddraid_bit_test(sm->acq_sent, r) || rs->waiting[r] & bit)
			continue;
		if (sm->bits[r] == BIT_SET ||
		    (sm->debug & SM_DEBUG_SKIP_INTENT)) {
			struct cpgmsg *c = fx_cpg(sm, out, MSG_ACQUIRE);

			c->region = r;
			ddraid_bit_set(sm->acq_sent, r);
		} else if (sm->bits[r] == BIT_CLEAR) {
			struct io *io = io_new(sm, IO_BIT_SET);
			struct sm_effect *fx = fx_add(out, SM_FX_BIT_SET);

			io->region = r;
			fx->id = io->id;
			fx->bit.slot = (u32)s;
			fx->bit.region = r;
			sm->bits[r] = BIT_SETTING;
		}
	}
}

void tgt_kick(struct sm *sm, struct sm_effects *out)
{
	u32 m;
	u64 r;

	tgt_try_attach(sm, out);
	if (!attached(sm))
		return;
	/* Member states first: the channel is ordered, so the target knows
	 * them before it is thawed or granted anything. */
	tgt_sync_members(sm, out);
	if (sm->frozen) {
		fx_chan(sm, out, DDRAID_CHAN_THAW, 0, 0, 0, 0);
		sm->frozen = false;
	}
	for (m = 0; m < sm->cfg.members; m++) {
		const struct rs *rs = &sm->rs;

		if (!(sm->merr & (1u << m)) || !sm->quorate)
			continue;
		if (rs->member[m].state == DDRAID_MEMBER_FAILED) {
			/* Already recorded: re-commit for this target. */
			if (!rs->fail_apply[m] &&
			    sm->mstate_done[m] == DDRAID_MEMBER_FAILED) {
				fx_chan(sm, out, DDRAID_CHAN_COMMIT_FAIL, m, 0,
					0, 0);
				sm->merr &= ~(1u << m);
			}
			continue;
		}
		if (!(rs->pending_fail & (1u << m)) &&
		    !(sm->merr_sent & (1u << m))) {
			struct cpgmsg *c = fx_cpg(sm, out, MSG_MEMBER_FAIL);

			c->member = m;
			c->err = EIO;
			sm->merr_sent |= 1u << m;
		}
	}
	grant_pass(sm, out);
	if (sm->sticky && !degraded(sm)) {
		sm->sticky = false;
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
		sm->tgt_ready = false;
		memset(sm->tgt_held, 0, bitmap_bytes(sm->cfg.regions));
		memset(sm->tgt_locked, 0, bitmap_bytes(sm->cfg.regions));
		/* A FREEZE we sent may still be on its way to it. */
		if (c->flags & DDRAID_CHAN_HELLO_FROZEN)
			sm->frozen = true;
		return;
	case DDRAID_CHAN_HELD:
		if (r >= sm->cfg.regions)
			return;
		if (!(c->flags & DDRAID_CHAN_HELD_NOGRANT))
			ddraid_bit_set(sm->tgt_held, r);
		if (c->flags & DDRAID_CHAN_HELD_LOCKED)
			ddraid_bit_set(sm->tgt_locked, r);
		return;
	case DDRAID_CHAN_HELD_END:
		sm->tgt_ready = true;
		return;
	case DDRAID_CHAN_GRANT_REQ:
		if (r < sm->cfg.regions)
			ddraid_bit_set(sm->want, r);
		return;
	case DDRAID_CHAN_IDLE:
		if (r >= sm->cfg.regions)
			return;
		ddraid_bit_clear(sm->tgt_held, r);
		if (attached(sm) && (rs->held[r] & bit) &&
		    !ddraid_bit_test(sm->rel_sent, r)) {
			struct cpgmsg *m = fx_cpg(sm, out, MSG_RELEASE);

			m->region = r;
			ddraid_bit_set(sm->rel_sent, r);
		}
		return;
	case DDRAID_CHAN_LOCKED:
		if (attached(sm) && rs->locked && rs->lock_region == r &&
		    (rs->lock_ack & bit)) {
			struct cpgmsg *m = fx_cpg(sm, out, MSG_LOCKED);

			m->region = r;
		}
		return;
	case DDRAID_CHAN_MEMBER_ERROR:
		if (r < sm->cfg.members) {
			sm->merr |= 1u << r;
			sm->merr_sent &= ~(1u << r);
		}
		return;
	case DDRAID_CHAN_MEMBER_STATE_DONE:
		if (r < sm->cfg.members)
			sm->mstate_done[r] = c->flags;
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
		sm->bits[io->region] = result ? BIT_CLEAR : BIT_SET;
		if (result)
			fx_log(out, SM_LOG_ERR,
			       "setting write-intent bit %llu failed: %d",
			       (unsigned long long)io->region, result);
		break;
	case IO_BIT_CLEAR:
		sm->bits[io->region] = result ? BIT_SET : BIT_CLEAR;
		/* Wanted again meanwhile: grant_pass sets it again. */
		break;
	case IO_MEMBER_PATH:
		sm->path_pending = false;
		if (io->epoch != sm->epoch || !sm->has_state)
			break;
		if (result) {
			fx_log(out, SM_LOG_ERR,
			       "cannot open the rebuild target: %d", result);
			break;
		}
		sm->path_done = true;
		break;
	}
}
