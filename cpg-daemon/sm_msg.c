// SPDX-License-Identifier: GPL-2.0-only
/*
 * One handler per CPG message type (docs/cluster-protocol.md). Handlers run
 * on every daemon with state, in the agreed order, and must take the same
 * decision everywhere: they read only the RS and the message, never local
 * knowledge (quorum, clocks, our target), except to add effects for our own
 * target. Messages that do not fit the RS (late, duplicate, from a former
 * coordinator) are ignored the same way everywhere.
 */
#include <stdlib.h>
#include <stdio.h>

#include "sm_internal.h"

static void fenced_torn(struct sm *sm, u32 s, const struct cpgmsg *m,
			struct sm_effects *out);

static u32 slot_bit(const struct sm *sm, u32 nodeid)
{
	int s = rs_slot_of(&sm->rs, nodeid);

	return s < 0 ? 0 : 1u << s;
}

static bool from_coord(const struct sm *sm, const struct cpgmsg *m)
{
	return m->sender == sm_coordinator(sm);
}

static bool me(const struct sm *sm, const struct cpgmsg *m)
{
	return m->sender == sm->cfg.nodeid;
}

/*
 * Slots that must confirm a cluster-wide change: targets that may be
 * running. A node gone from the view (NODEDOWN) is included until it is
 * fenced: cut off in a partition, its target reads until it freezes.
 */
static u32 confirmers(const struct sm *sm)
{
	u32 mask = 0, s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		const struct rs_slot *sl = &sm->rs.slot[s];

		/* In the view but not attached yet: its target may run
		 * (an earlier daemon thawed it); it confirms once attached. */
		if (sl->status == SS_VIEW || sl->status == SS_ORPHAN ||
		    sl->status == SS_FENCE)
			mask |= 1u << s;
	}
	return mask;
}

/* ---- state transfer ---- */

void sm_send_state(struct sm *sm, const struct cpgmsg *trigger,
		   struct sm_effects *out)
{
	size_t len, total, off;
	u8 *rs = rs_serialize(sm, &sm->rs, &len), *blob;
	u32 parts, i;

	if (!rs) {
		fx_log(out, SM_LOG_ERR, "out of memory for STATE");
		return;
	}
	total = STATE_PREFIX + len;
	blob = fx_own(out, total);
	ddr_put_le32(trigger->sender, blob);
	ddr_put_le64(trigger->seq, blob + 4);
	memcpy(blob + STATE_PREFIX, rs, len);
	free(rs);
	parts = (u32)((total + STATE_PART_MAX - 1) / STATE_PART_MAX);
	for (i = 0, off = 0; i < parts; i++, off += STATE_PART_MAX) {
		struct cpgmsg *m = fx_cpg(sm, out, MSG_STATE);

		m->part = i;
		m->parts = parts;
		m->applied = sm->loc.seen;
		m->total = (u32)total;
		m->data = blob + off;
		m->data_len = (u32)(total - off < STATE_PART_MAX ?
				    total - off : STATE_PART_MAX);
	}
}

static bool trigger_ok(const struct sm *sm, const struct cpgmsg *m)
{
	u32 i;

	if (m->data_len < STATE_PREFIX)
		return false;
	for (i = 0; i < sm->loc.n_needlog; i++)
		if (sm->loc.needlog[i].index == m->applied &&
		    sm->loc.needlog[i].sender == ddr_get_le32(m->data) &&
		    sm->loc.needlog[i].seq == ddr_get_le64(m->data + 4))
			return true;
	return false;
}

static void replay(struct sm *sm, struct sm_effects *out);

static void adopt_state(struct sm *sm, struct sm_effects *out)
{
	const char *why = NULL;

	if (!sm->loc.quorate)
		return;
	if (rs_deserialize(sm, &sm->rs, sm->loc.st_data + STATE_PREFIX,
			   sm->loc.st_total - STATE_PREFIX, &why)) {
		fx_log(out, SM_LOG_ERR, "refusing STATE: %s", why);
		return;
	}
	sm->loc.has_state = true;
	sm->epoch++;
	fx_log(out, SM_LOG_NOTICE, "adopted cluster state (events %llu)",
	       (unsigned long long)sm->rs.events);
	replay(sm, out);
	/* Others count us as having state (coordinator material) only
	 * once this is delivered. */
	if (sm->loc.has_state)
		fx_cpg(sm, out, MSG_ADOPTED);
}

/* Every part of one STATE, in order, answering a NEED_STATE of this view. */
static void on_state_part(struct sm *sm, const struct cpgmsg *m,
			  struct sm_effects *out)
{
	if (m->part == 0) {
		sm->loc.st_next_part = 0;
		sm->loc.st_applied = m->applied;
		sm->loc.st_parts = m->parts;
		sm->loc.st_total = m->total;
		sm->loc.st_trigger_ok = trigger_ok(sm, m);
		sm->loc.st_have = 0;
		if (!sm->loc.has_state) {
			free(sm->loc.st_data);
			sm->loc.st_data = malloc(m->total);
			if (!sm->loc.st_data)
				sm->loc.st_trigger_ok = false;
		}
	}
	if (m->part != sm->loc.st_next_part || m->applied != sm->loc.st_applied ||
	    m->parts != sm->loc.st_parts || m->total != sm->loc.st_total) {
		sm->loc.st_next_part = 0;
		sm->loc.st_trigger_ok = false;
		return;
	}
	if (!sm->loc.has_state && sm->loc.st_data) {
		if (sm->loc.st_have + m->data_len > sm->loc.st_total) {
			sm->loc.st_trigger_ok = false;
		} else {
			memcpy(sm->loc.st_data + sm->loc.st_have, m->data,
			       m->data_len);
			sm->loc.st_have += m->data_len;
		}
	}
	sm->loc.st_next_part++;
	if (m->part + 1 < m->parts)
		return;
	/* Our STATE is through: a later NEED_STATE gets a new one. */
	if (me(sm, m))
		sm->co.state_sent = false;
	sm->loc.st_next_part = 0;
	if (!sm->loc.st_trigger_ok)
		return;
	if (sm->loc.has_state)
		return;
	if (sm->loc.st_have == sm->loc.st_total)
		adopt_state(sm, out);
}

static void sm_on_need_state(struct sm *sm, const struct cpgmsg *m,
			     struct sm_effects *out)
{
	if (sm->loc.n_needlog < SM_MAX_VIEW) {
		sm->loc.needlog[sm->loc.n_needlog].index = sm->loc.seen;
		sm->loc.needlog[sm->loc.n_needlog].sender = m->sender;
		sm->loc.needlog[sm->loc.n_needlog].seq = m->seq;
		sm->loc.n_needlog++;
	}
	if (sm->loc.has_state) {
		if (sm_is_coord(sm) && !sm->co.state_sent) {
			sm_send_state(sm, m, out);
			sm->co.state_sent = true;
		}
		return;
	}
	/* Stateless: is every member of the view stateless? */
	{
		u32 i;
		bool known = false, inview = false;

		for (i = 0; i < sm->loc.n_need; i++)
			known |= sm->loc.need[i] == m->sender;
		for (i = 0; i < sm->loc.n_cur_view; i++)
			inview |= sm->loc.cur_view[i] == m->sender;
		if (!known && inview && sm->loc.n_need < SM_MAX_VIEW)
			sm->loc.need[sm->loc.n_need++] = m->sender;
	}
	sm_maybe_cold_start(sm, out);
}

/*
 * Every member of the view said NEED_STATE since the last confchg: nobody
 * has state. The lowest node id reads the disks and sends INIT.
 */
void sm_maybe_cold_start(struct sm *sm, struct sm_effects *out)
{
	struct io *io;

	if (sm->loc.has_state || sm->loc.n_need != sm->loc.n_cur_view || !sm->loc.quorate ||
	    !sm->loc.in_view || sm->loc.cur_view[0] != sm->cfg.nodeid ||
	    sm->loc.init_started || sm->now < sm->loc.cold_retry_at)
		return;
	io = io_new(sm, IO_READ_META);
	sm->loc.init_started = true;
	/* A refused or failed cold start is tried again after this. */
	sm->loc.cold_retry_at = sm->now + sm->cfg.fence_delay / 2;
	fx_add(out, SM_FX_READ_META)->id = io->id;
	fx_log(out, SM_LOG_NOTICE,
	       "no daemon has state: cold start from the disks");
}

static void sm_on_init(struct sm *sm, const struct cpgmsg *m,
		       struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 i, s;

	/*
	 * Without quorum, adopt nothing: a partition may not decide (I6).
	 * And only while the cold start condition holds in this view (every
	 * member asked for state since the latest confchg): an INIT sent in
	 * a former view may arrive after a merge with daemons that have
	 * state.
	 */
	if (sm->loc.has_state || !sm->loc.quorate ||
	    sm->loc.n_need != sm->loc.n_cur_view || m->members != sm->cfg.members ||
	    cpgmsg_runs_check(m->runs.raw, m->runs.n, sm->cfg.regions,
			      &(const char *){ NULL })) {
		if (!sm->loc.has_state)
			fx_log(out, SM_LOG_ERR, "refusing INIT from %u",
			       m->sender);
		return;
	}
	rs_clear(rs, sm->cfg.regions);
	rs->events = m->events;
	for (i = 0; i < m->members; i++)
		rs->member[i] = m->member_info[i];
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		rs->slot[s].nodeid = m->slots[s];
		rs->slot[s].persisted = !!m->slots[s];
	}
	/*
	 * A slot owner outside the view may have a target running without
	 * a daemon (it died, then quorum was lost): treat it as orphaned
	 * until its daemon attaches or the node is fenced.
	 */
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (rs->slot[s].nodeid)
			rs->slot[s].status = SS_ORPHAN;
	for (i = 0; i < sm->loc.n_cur_view; i++) {
		int k = rs_slot_of(rs, sm->loc.cur_view[i]);

		rs->view[i].nodeid = sm->loc.cur_view[i];
		rs->view[i].has_state = sm->loc.cur_view[i] == m->sender;
		rs->view[i].since = rs->view[i].has_state;
		if (k >= 0)
			rs->slot[k].status = SS_VIEW;
	}
	rs->n_view = sm->loc.n_cur_view;
	rs->next_since = 2;
	/*
	 * Nobody knows which targets applied a recorded failure: all of
	 * them confirm again. Nor whether it is on enough superblocks (a
	 * coordinator may have written it on one member before the cluster
	 * stopped): it is recorded again before anything skips the member.
	 */
	for (i = 0; i < sm->cfg.members; i++)
		if (rs->member[i].state == DDRAID_MEMBER_FAILED) {
			rs->fail_apply[i] = confirmers(sm);
			rs->unrecorded |= 1u << i;
		}
	rs_dirty_or_runs(rs, &m->runs, sm->cfg.regions);
	for (i = 0; i < sm->cfg.members; i++)
		if (rs->member[i].state == DDRAID_MEMBER_REBUILDING) {
			/* A rebuild interrupted by a whole-cluster stop:
			 * resume it in full from recovery_block on. */
			rs->rb_phase = RB_WALK;
			rs->rb_member = i;
			rs->rb_mode = REBUILD_FULL;
			rs->rb_next = rs->member[i].recovery_block /
				(sm->cfg.region_size >> DDRAID_BLOCK_SHIFT);
			memset(rs->rb_todo, 0xff,
			       bitmap_bytes(sm->cfg.regions));
			rs->rb_low = 0;
			{
				u64 r;

				for (r = 0; r < rs->rb_next &&
				     r < sm->cfg.regions; r++)
					ddraid_bit_clear(rs->rb_todo, r);
				for (r = sm->cfg.regions;
				     r < bitmap_bytes(sm->cfg.regions) * 8; r++)
					ddraid_bit_clear(rs->rb_todo, r);
			}
			break;
		}
	/* Which cold start this state descends from: see HISTORY. */
	rs->history = (u64)m->sender << 32 | (m->seq & 0xffffffffu);
	sm->loc.has_state = true;
	sm->epoch++;
	/* What was delivered before INIT came from stateless daemons. */
	for (i = 0; i < sm->loc.n_buf; i++)
		free(sm->loc.buf[i]);
	sm->loc.n_buf = 0;
	if (!me(sm, m))
		fx_cpg(sm, out, MSG_ADOPTED);
	fx_log(out, SM_LOG_NOTICE, "cold start: events %llu, %llu dirty",
	       (unsigned long long)rs->events,
	       (unsigned long long)bitmap_count(rs->dirty, sm->cfg.regions));
}

static void sm_on_adopted(struct sm *sm, const struct cpgmsg *m,
			  struct sm_effects *out)
{
	int k = rs_view_find(&sm->rs, m->sender);

	if (k >= 0 && !sm->rs.view[k].has_state) {
		sm->rs.view[k].has_state = 1;
		sm->rs.view[k].since = sm->rs.next_since++;
	}
}

static void sm_on_attach(struct sm *sm, const struct cpgmsg *m,
			 struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, m->sender);
	u8 *in;
	u32 bit;
	u64 r;

	if (s < 0 || !rs->slot[s].persisted ||
	    (rs->slot[s].status != SS_VIEW &&
	     rs->slot[s].status != SS_DETACHED) ||
	    cpgmsg_runs_check(m->runs.raw, m->runs.n, sm->cfg.regions,
			      &(const char *){ NULL }))
		return;
	/* A detached daemon attaches again (its new or thawed target). */
	rs->slot[s].status = SS_VIEW;
	rs_set_host(sm, (u32)s, m, out);
	bit = 1u << s;
	in = calloc(1, bitmap_bytes(sm->cfg.regions));
	if (!in)
		abort();
	bitmap_or_runs(in, &m->runs, sm->cfg.regions);
	for (r = 0; r < sm->cfg.regions; r++) {
		if (ddraid_bit_test(in, r)) {
			rs->held[r] |= bit;
		} else if (rs->held[r] & bit) {
			/* An orphaned grant the target has dropped. */
			rs->held[r] &= ~bit;
			rs_dirty_set(rs, r);
		}
		rs->waiting[r] &= ~bit;
	}
	free(in);
	if (rs->locked) {
		if (rs_lock_holders(rs) & bit)
			rs->lock_ack |= bit;
		else
			rs->lock_ack &= ~bit;
	}
	rs->slot[s].attached = 1;
	{
		u32 i;

		/*
		 * Its target may hold writes that skipped a failed member
		 * (it was cut off when the failure was committed): it must
		 * confirm too, before a rebuild may start.
		 */
		for (i = 0; i < sm->cfg.members; i++)
			if (rs->member[i].state == DDRAID_MEMBER_FAILED &&
			    (rs->rb_phase == RB_NONE || rs->rb_member != i))
				rs->fail_apply[i] |= bit;
		/*
		 * During a rebuild walk, regions it holds may have been
		 * written without the new member: walk them again.
		 */
		if (rs->rb_phase == RB_WALK) {
			/* and no rebuild region is locked before its target
			 * writes the new member (REBUILD_READY) */
			rs->rb_ready |= bit;
			for (r = 0; r < sm->cfg.regions; r++) {
				if (!(rs->held[r] & bit))
					continue;
				rs_rb_todo_set(rs, r);
				if (r < rs->rb_next)
					rs->rb_next = r;
			}
		}
	}
	if (me(sm, m))
		tgt_on_own_attach(sm, out);
}

static void sm_on_slot_claim(struct sm *sm, const struct cpgmsg *m,
			     struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 s;

	if (rs_slot_of(rs, m->sender) >= 0 ||
	    rs_view_find(rs, m->sender) < 0)
		return;
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		if (!rs->slot[s].nodeid) {
			rs->slot[s].nodeid = m->sender;
			rs->slot[s].persisted = 0;
			rs->slot[s].status = SS_VIEW;
			rs->slot[s].attached = 0;
			return;
		}
	}
	fx_log(out, SM_LOG_ERR, "no free bitmap slot for node %u", m->sender);
}

static void sm_on_slot_persisted(struct sm *sm, const struct cpgmsg *m,
				 struct sm_effects *out)
{
	struct rs_slot *sl = &sm->rs.slot[m->slot];

	if (from_coord(sm, m) && sl->nodeid == m->nodeid)
		sl->persisted = 1;
	sm->co.slots_sent &= ~(1u << m->slot);
}

static void sm_on_acquire(struct sm *sm, const struct cpgmsg *m,
			  struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, m->sender);
	u32 bit;

	if (me(sm, m) && m->region < sm->cfg.regions)
		ddraid_bit_clear(sm->tgt.acq_sent, m->region);
	if (s < 0 || !rs->slot[s].attached || m->region >= sm->cfg.regions)
		return;
	bit = 1u << s;
	if (ddraid_bit_test(rs->torn, m->region)) {
		/*
		 * Written while the torn member is away: its fragments there
		 * will be rebuilt from parity, which this write keeps whole;
		 * the crashed host's torn blocks in the region lose their
		 * old-or-new guarantee (docs/cluster-protocol.md).
		 */
		ddraid_bit_clear(rs->torn, m->region);
		fx_log(out, SM_LOG_NOTICE, "region %llu written while member "
		       "%u is away: rebuilt from parity on its return",
		       (unsigned long long)m->region, rs->torn_member);
	}
	/* Foreground writes: rebuild and scrub slow to their floor. */
	sm->co.fg_at = sm->now + 1;
	if (rs_lock_covers(rs, m->region)) {
		rs->waiting[m->region] |= bit;
		if (!(sm->debug & SM_DEBUG_GRANT_LOCKED) || !me(sm, m))
			return;
	} else {
		rs->held[m->region] |= bit;
	}
	/* Granted at once if our bit is set; else when it is (grant_pass). */
	if (me(sm, m) && ddraid_bit_test(sm->tgt.want, m->region) &&
	    tgt_intent_ready(sm, m->region))
		tgt_grant(sm, m->region, out);
}

static void sm_on_release(struct sm *sm, const struct cpgmsg *m,
			  struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 bit = slot_bit(sm, m->sender);

	if (m->region >= sm->cfg.regions)
		return;
	rs->held[m->region] &= ~bit;
	rs->waiting[m->region] &= ~bit;
	/* Idle in r, holding nothing else the lock covers: drained. */
	if (rs_lock_covers(rs, m->region) && !(rs_lock_holders(rs) & bit))
		rs->lock_ack &= ~bit;
	if (me(sm, m)) {
		ddraid_bit_clear(sm->tgt.rel_sent, m->region);
		tgt_lock_drained(sm, m->region, out);
		tgt_maybe_clear(sm, m->region, out);
	}
}

static void sm_on_lock(struct sm *sm, const struct cpgmsg *m,
		       struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u64 r = m->region;
	u32 k, me_bit = slot_bit(sm, sm->cfg.nodeid);

	if (sm_is_coord(sm) || me(sm, m))
		sm->co.lock_sent = false;
	if (!from_coord(sm, m) || rs->locked || r >= sm->cfg.regions ||
	    m->count > sm->cfg.regions - r)
		return;
	for (k = 0; m->purpose == LOCK_RESYNC && k < m->count; k++)
		if (!ddraid_bit_test(rs->dirty, r + k))
			return;
	/*
	 * A rebuild's span: every region still to rebuild, and none but the
	 * first awaiting resync (which goes first; the coordinator chose it
	 * so, a FENCED since may have changed it).
	 */
	for (k = 0; m->purpose == LOCK_REBUILD && k < m->count; k++)
		if (rs->rb_phase != RB_WALK ||
		    !ddraid_bit_test(rs->rb_todo, r + k) ||
		    (k && ddraid_bit_test(rs->dirty, r + k)))
			return;
	/* A scrub walks in order, and never where parity is known stale. */
	if (m->purpose == LOCK_SCRUB && (scrub_blocker(sm, NULL) ||
					 rs->sc_end != SCRUB_RUNNING ||
					 r != rs->sc_next ||
					 ddraid_bit_test(rs->dirty, r)))
		return;
	rs->locked = 1;
	rs->lock_region = r;
	rs->lock_count = m->count;
	rs->lock_purpose = m->purpose;
	rs->lock_ack = rs_lock_holders(rs);
	/* A broken rule for the simulator: one region's holders drain. */
	if (sm->debug & SM_DEBUG_SPAN_FIRST)
		rs->lock_ack = rs->held[r];
	if (me_bit && (rs->lock_ack & me_bit))
		tgt_lock_tell(sm, out);
}

static void sm_on_locked(struct sm *sm, const struct cpgmsg *m,
			 struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	if (rs->locked && rs->lock_region == m->region)
		rs->lock_ack &= ~slot_bit(sm, m->sender);
}

static void lock_end(struct sm *sm, struct sm_effects *out);

/*
 * UNLOCK or SCRUBBED delivered: the coordinator's send is done; true when
 * it ends the cluster's lock of its region, every holder having drained.
 */
static bool ends_lock(struct sm *sm, const struct cpgmsg *m)
{
	const struct rs *rs = &sm->rs;

	if (sm_is_coord(sm) || me(sm, m)) {
		sm->co.unlock_sent = false;
		sm->co.lock_io = false;
	}
	return from_coord(sm, m) && rs->locked &&
	       rs->lock_region == m->region && !rs->lock_ack;
}

static void sm_on_unlock(struct sm *sm, const struct cpgmsg *m,
			 struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u64 r = rs->lock_region, n = rs->lock_count, k;

	/* A scrub lock ends with SCRUBBED, which carries its result. */
	if (!ends_lock(sm, m) || rs->lock_purpose == LOCK_SCRUB)
		return;
	for (k = 0; k < n; k++) {
		if (rs->lock_purpose == LOCK_RESYNC) {
			rs_dirty_clear(rs, r + k);
		} else {
			ddraid_bit_clear(rs->rb_todo, r + k);
			ddraid_bit_clear(rs->torn, r + k);
		}
	}
	if (rs->lock_purpose == LOCK_REBUILD) {
		rs->rb_done += n;
		rs->rb_next = r + n;
	}
	lock_end(sm, out);
}

/*
 * The end of every region lock: holders' targets get UNLOCK, waiting nodes
 * are granted.
 */
static void lock_end(struct sm *sm, struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 k, me_bit = slot_bit(sm, sm->cfg.nodeid);
	u32 told = sm->tgt.lock_told ? sm->tgt.lock_told_mask : 0;

	rs->locked = 0;
	sm->tgt.lock_told = false;
	sm->tgt.lock_told_mask = 0;
	sm->tgt.lock_wait = 0;
	for (k = 0; k < rs->lock_count; k++) {
		u64 r = rs->lock_region + k;

		/* Also when we have released r since: the target keeps
		 * the lock. */
		if ((me_bit && (rs->held[r] & me_bit)) || told & (1u << k))
			fx_chan(sm, out, DDRAID_CHAN_UNLOCK, r, 0, 0, 0);
		/* Waiting, or held while our bit was still being set. */
		if (me_bit && ((rs->waiting[r] | rs->held[r]) & me_bit) &&
		    ddraid_bit_test(sm->tgt.want, r) && tgt_intent_ready(sm, r))
			tgt_grant(sm, r, out);
		rs->held[r] |= rs->waiting[r];
		rs->waiting[r] = 0;
		tgt_maybe_clear(sm, r, out);
	}
}

/* ---- scrub ---- */

void rs_scrub_stop(struct sm *sm, u32 end, struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	rs->sc_end = end;
	fx_log(out, end == SCRUB_FINISHED ? SM_LOG_NOTICE : SM_LOG_WARNING,
	       "scrub (%s) %s after %llu of %llu regions: %llu blocks' parity "
	       "differed, %llu rewritten",
	       rs->sc_mode == SCRUB_REPAIR ? "repair" : "check",
	       sm_scrub_end_name(end), (unsigned long long)rs->sc_next,
	       (unsigned long long)sm->cfg.regions,
	       (unsigned long long)rs->sc_mismatches,
	       (unsigned long long)rs->sc_repaired);
}

static void sm_on_scrub_start(struct sm *sm, const struct cpgmsg *m,
			      struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	/* The same rules as the admin check, on the RS: every daemon takes
	 * the same decision (a second START in flight is dropped here, and
	 * so are the other nodes' timers' STARTs of a period whose scrub
	 * has started). */
	if (scrub_period_done(sm, m->label) || scrub_blocker(sm, NULL) ||
	    rs->sc_end == SCRUB_RUNNING)
		return;
	if (m->label)
		rs->sc_label = m->label;
	rs->sc_end = SCRUB_RUNNING;
	rs->sc_mode = m->mode;
	rs->sc_next = 0;
	rs->sc_mismatches = 0;
	rs->sc_repaired = 0;
	rs->sc_err = 0;
	fx_log(out, SM_LOG_NOTICE, "scrub (%s) of %llu regions started by "
	       "node %u%s", m->mode == SCRUB_REPAIR ? "repair" : "check",
	       (unsigned long long)sm->cfg.regions, m->sender,
	       m->label ? " (scheduled)" : "");
}

static void sm_on_scrub_cancel(struct sm *sm, const struct cpgmsg *m,
			       struct sm_effects *out)
{
	if (sm->rs.sc_end == SCRUB_RUNNING)
		rs_scrub_stop(sm, SCRUB_CANCELLED, out);
}

/* The coordinator scrubbed the locked region (or gave up on it). */
static void sm_on_scrubbed(struct sm *sm, const struct cpgmsg *m,
			   struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u64 r = m->region;

	if (!ends_lock(sm, m) || rs->lock_purpose != LOCK_SCRUB)
		return;
	if (rs->sc_end == SCRUB_RUNNING && r == rs->sc_next &&
	    m->err != EAGAIN) {
		if (m->err) {
			rs->sc_err = m->err;
			rs_scrub_stop(sm, SCRUB_IO_ERROR, out);
		} else {
			rs->sc_mismatches += m->mismatches;
			if (rs->sc_mode == SCRUB_REPAIR)
				rs->sc_repaired += m->mismatches;
			rs->sc_next = r + 1;
			if (m->mismatches)
				fx_log(out, SM_LOG_WARNING,
				       "scrub: region %llu: %llu blocks' parity "
				       "differed%s", (unsigned long long)r,
				       (unsigned long long)m->mismatches,
				       rs->sc_mode == SCRUB_REPAIR ?
				       " (rewritten)" : "");
			if (rs->sc_next == sm->cfg.regions)
				rs_scrub_stop(sm, SCRUB_FINISHED, out);
		}
	}
	lock_end(sm, out);
}

/*
 * The torn regions of a fenced host (docs/cluster-protocol.md, "torn
 * regions"): taken only when the node hosts a data member that is out
 * (its own disk went with it; for k = 0 the "parity" is a copy, which a
 * rebuild reproduces whole, so there is nothing to wait for) and no
 * other member's return is awaited for torn regions already.
 */
static void fenced_torn(struct sm *sm, u32 s, const struct cpgmsg *m,
			struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 tm = rs->slot[s].hosts;
	u8 *map;
	u64 r, n = 0;

	if (!m->torn.n || sm->cfg.members == 2 || tm >= sm->cfg.members - 1 ||
	    !(rs->member[tm].state == DDRAID_MEMBER_FAILED ||
	      rs->pending_fail & (1u << tm)) ||
	    (rs->torn_member != CPGMSG_NO_MEMBER && rs->torn_member != tm) ||
	    (rs->rb_phase != RB_NONE && rs->rb_member == tm) ||
	    (sm->debug & SM_DEBUG_NO_TORN))
		return;
	map = calloc(1, bitmap_bytes(sm->cfg.regions));
	if (!map)
		abort();
	bitmap_or_runs(map, &m->torn, sm->cfg.regions);
	for (r = 0; r < sm->cfg.regions; r++) {
		if (!ddraid_bit_test(map, r) || rs->held[r])
			continue;
		ddraid_bit_set(rs->torn, r);
		n++;
	}
	free(map);
	if (!n)
		return;
	rs->torn_member = tm;
	fx_log(out, SM_LOG_NOTICE, "node %u's torn writes in %llu regions "
	       "wait for its member %u: their parity is recomputed from "
	       "its data when it returns", m->nodeid, (unsigned long long)n,
	       tm);
}

/*
 * Slot @bit (a departed or detached node) holds and waits for nothing any
 * more; the regions it held may have its unfinished writes: dirty.
 */
static void slot_grants_dirty(struct sm *sm, u32 bit)
{
	struct rs *rs = &sm->rs;
	u64 r;

	for (r = 0; r < sm->cfg.regions; r++) {
		if (rs->held[r] & bit)
			rs_dirty_set(rs, r);
		rs->held[r] &= ~bit;
		rs->waiting[r] &= ~bit;
	}
}

static void sm_on_fenced(struct sm *sm, const struct cpgmsg *m,
			 struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, m->nodeid);
	u32 bit, i;

	if (sm_is_coord(sm) && s >= 0)
		sm->co.fence_sent &= ~(1u << s);
	if (!from_coord(sm, m) || s < 0 ||
	    (rs->slot[s].status != SS_FENCE &&
	     rs->slot[s].status != SS_ORPHAN) ||
	    cpgmsg_runs_check(m->runs.raw, m->runs.n, sm->cfg.regions,
			      &(const char *){ NULL }))
		return;
	bit = 1u << s;
	slot_grants_dirty(sm, bit);
	rs_dirty_or_runs(rs, &m->runs, sm->cfg.regions);
	/* An orphan's node that left: fenced, its disk went with it. */
	rs_host_gone(sm, (u32)s, "its host was fenced", out);
	fenced_torn(sm, (u32)s, m, out);
	rs->lock_ack &= ~bit;
	for (i = 0; i < sm->cfg.members; i++)
		rs->fail_apply[i] &= ~bit;
	rs->rb_ready &= ~bit;
	/* Back already (it rebooted): in the view, to attach anew. */
	rs->slot[s].status = rs_view_find(rs, m->nodeid) >= 0 ? SS_VIEW :
		SS_NONE;
	rs->slot[s].attached = 0;
	rs_probe_drop_slot(sm, (u32)s, out);
	if (m->nodeid == sm->cfg.nodeid)
		sm->tgt.attach_sent = false;
	fx_log(out, SM_LOG_NOTICE, "node %u fenced: its regions are dirty",
	       m->nodeid);
}

/* A node's IO on a member failed: judged in sm_member.c. */
static void sm_on_member_fail(struct sm *sm, const struct cpgmsg *m,
			      struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, m->sender);

	if (m->member >= sm->cfg.members || s < 0)
		return;
	rs_member_report(sm, (u32)s, m->member, m->err, out);
}

static void sm_on_member_probe(struct sm *sm, const struct cpgmsg *m,
			       struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, m->sender);

	if (m->member >= sm->cfg.members || s < 0)
		return;
	rs_member_probed(sm, (u32)s, m->member, m->err, out);
}

/* A node's own path to a member works again. */
static void sm_on_path_ok(struct sm *sm, const struct cpgmsg *m,
			  struct sm_effects *out)
{
	int s = rs_slot_of(&sm->rs, m->sender);

	if (s < 0 || m->member >= sm->cfg.members ||
	    !(sm->rs.slot[s].path_bad & (1u << m->member)))
		return;
	sm->rs.slot[s].path_bad &= ~(1u << m->member);
	fx_log(out, SM_LOG_NOTICE, "node %u reaches member %u again",
	       m->sender, m->member);
}

/*
 * A node left on purpose (docs/cluster-protocol.md, "clean stops"): its
 * target is gone, or fails all IO and has nothing in flight (a
 * withdrawal). Nobody waits for it: what it held is resynced, it leaves
 * every set that must confirm something, and it is no orphan when its
 * daemon leaves. With HOST_LEAVING its disk goes too.
 */
static void sm_on_detach(struct sm *sm, const struct cpgmsg *m,
			 struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, m->sender);
	struct rs_slot *sl;
	u32 bit, i;

	if (s < 0)
		return;
	sl = &rs->slot[s];
	if (sl->status != SS_VIEW && sl->status != SS_DETACHED)
		return;
	bit = 1u << s;
	if (sl->status == SS_VIEW) {
		slot_grants_dirty(sm, bit);
		rs->lock_ack &= ~bit;
		for (i = 0; i < sm->cfg.members; i++)
			rs->fail_apply[i] &= ~bit;
		rs->rb_ready &= ~bit;
		sl->status = SS_DETACHED;
		sl->attached = 0;
		rs_probe_drop_slot(sm, (u32)s, out);
		if (m->flags & DETACH_WITHDRAW)
			fx_log(out, SM_LOG_WARNING, "node %u withdrew: it "
			       "cannot reach member %u; its IO fails there",
			       m->sender, m->member);
		else
			fx_log(out, SM_LOG_NOTICE, "node %u detached: its "
			       "target is gone", m->sender);
	}
	if (m->flags & DETACH_HOST_LEAVING)
		rs_host_gone(sm, (u32)s, "its host stopped", out);
	if (me(sm, m)) {
		sm->tgt.detach_sent = false;
		sm->tgt.detached = true;
		/* A new target (a table loaded again) attaches anew. */
		sm->tgt.attach_sent = false;
		if (m->flags & DETACH_WITHDRAW)
			sm->tgt.withdrawn = true;
		if (m->flags & DETACH_HOST_LEAVING)
			sm->tgt.leaving_done = true;
	}
}

/*
 * Two partitions that both kept state have merged (only possible where a
 * partition left both halves quorate: corosync two_node without fencing,
 * which ddraidd refuses, or a quorum misconfiguration). Every daemon with
 * state announces its history after a join; the two first announcements
 * of each history are compared the same way everywhere: more events win,
 * then the lower history. The losers drop their state and take the
 * winners' (never two coordinators); the winners resync whatever the
 * losers knew to be dirty.
 */
static bool history_beats(u64 events_a, u64 hist_a, u64 events_b,
			  u64 hist_b)
{
	return events_a > events_b ||
	       (events_a == events_b && hist_a < hist_b);
}

static void sm_on_history(struct sm *sm, const struct cpgmsg *m,
			  struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 i;

	if (cpgmsg_runs_check(m->runs.raw, m->runs.n, sm->cfg.regions,
			      &(const char *){ NULL }) ||
	    (sm->debug & SM_DEBUG_NO_MERGE))
		return;
	if (m->history == rs->history) {
		if (!rs->hist_own_events)
			rs->hist_own_events = m->events;
	} else {
		rs_dirty_or_runs(rs, &m->runs, sm->cfg.regions);
		for (i = 0; i < rs->n_hist; i++)
			if (rs->hist[i].history == m->history)
				break;
		if (i == rs->n_hist && rs->n_hist < SM_MAX_VIEW) {
			rs->hist[i].history = m->history;
			rs->hist[i].events = m->events;
			rs->n_hist++;
			fx_log(out, SM_LOG_ERR, "node %u kept state of its own "
			       "(events %llu) in a partition: merging",
			       m->sender, (unsigned long long)m->events);
		}
	}
	if (!rs->hist_own_events)
		return;
	for (i = 0; i < rs->n_hist; i++) {
		if (!history_beats(rs->hist[i].events, rs->hist[i].history,
				   rs->hist_own_events, rs->history))
			continue;
		sm_drop_state(sm, out, "another partition's state wins the "
			      "merge");
		sm_send_need_state(sm, out);
		return;
	}
}

static void sm_on_member_failed(struct sm *sm, const struct cpgmsg *m,
				struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	struct cpgmsg_member *mi;

	if (sm_is_coord(sm) || me(sm, m))
		sm->co.fail_sent &= ~(1u << m->member);
	if (from_coord(sm, m) && m->member < sm->cfg.members &&
	    (rs->unrecorded & (1u << m->member)) &&
	    rs->member[m->member].state == DDRAID_MEMBER_FAILED &&
	    m->events == rs->events) {
		/* a failure a cold start found is on enough members now */
		rs->unrecorded &= ~(1u << m->member);
		return;
	}
	if (!from_coord(sm, m) || m->member >= sm->cfg.members ||
	    !(rs->pending_fail & (1u << m->member)) ||
	    m->events != rs->events + 1)
		return;
	mi = &rs->member[m->member];
	mi->state = DDRAID_MEMBER_FAILED;
	mi->failed_events = m->events;
	mi->recovery_block = 0;
	rs->events = m->events;
	rs->pending_fail &= ~(1u << m->member);
	rs->fail_apply[m->member] = confirmers(sm);
	rs_member_failed(sm, m->member);
	if (rs->rb_phase != RB_NONE && rs->rb_member == m->member) {
		rs->rb_phase = RB_NONE;
		rs->rb_ready = 0;
		memset(rs->rb_todo, 0, bitmap_bytes(sm->cfg.regions));
		if (rs->locked && rs->lock_purpose == LOCK_REBUILD)
			rs->lock_purpose = LOCK_RESYNC;
	}
	sm->tgt.fail_applied_sent &= ~(1u << m->member);
	sm->tgt.committed &= ~(1u << m->member);
	fx_log(out, SM_LOG_WARNING, "member %u recorded failed (events %llu)",
	       m->member, (unsigned long long)m->events);
}

static void sm_on_fail_applied(struct sm *sm, const struct cpgmsg *m,
			       struct sm_effects *out)
{
	if (m->member < sm->cfg.members)
		sm->rs.fail_apply[m->member] &= ~slot_bit(sm, m->sender);
}

static void sm_on_rebuild_start(struct sm *sm, const struct cpgmsg *m,
				struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	/*
	 * Not before every target has committed the failure: writes held
	 * for skipping the member would otherwise wait forever.
	 */
	if (m->member >= sm->cfg.members ||
	    rs->member[m->member].state != DDRAID_MEMBER_FAILED ||
	    rs->fail_apply[m->member] ||
	    (rs->unrecorded & (1u << m->member)) ||
	    rs->rb_phase != RB_NONE || rs->pending_fail ||
	    sm_other_out(sm, m->member) >= 0)
		return;
	rs->rb_phase = RB_READY;
	rs->rb_member = m->member;
	rs->rb_mode = m->mode;
	memset(rs->rb_path, 0, sizeof(rs->rb_path));
	memcpy(rs->rb_path, m->path, m->path_len);
	rs->rb_ready = confirmers(sm);
	rs->rb_next = 0;
	rs->rb_done = 0;
	rs->rb_refused_member = CPGMSG_NO_MEMBER;
	memset(rs->rb_todo, 0, bitmap_bytes(sm->cfg.regions));
	sm->tgt.ready_sent = false;
	fx_log(out, SM_LOG_NOTICE, "rebuild of member %u onto %s (%s)",
	       m->member, m->path_len ? rs->rb_path : "its returning disk",
	       m->mode == REBUILD_FULL ? "full" : "bitmap");
}

/*
 * A node is ready to write the member being rebuilt, or cannot (err):
 * then the rebuild is called off before it began (the member stays
 * failed, status says why), or, during the walk, that node has a path
 * fault (its writes there wait, then it withdraws).
 */
static void sm_on_rebuild_ready(struct sm *sm, const struct cpgmsg *m,
				struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	int s = rs_slot_of(rs, m->sender);

	if (rs->rb_phase == RB_NONE || m->member != rs->rb_member || s < 0 ||
	    !(rs->rb_ready & (1u << s)))
		return;
	if (!m->err) {
		rs->rb_ready &= ~(1u << s);
		return;
	}
	if (rs->rb_phase == RB_WALK) {
		rs->rb_ready &= ~(1u << s);
		rs->slot[s].path_bad |= 1u << m->member;
		fx_log(out, SM_LOG_WARNING, "node %u cannot write member %u "
		       "being rebuilt (errno %u): a fault of its own path",
		       m->sender, m->member, m->err);
		return;
	}
	rs->rb_phase = RB_NONE;
	rs->rb_ready = 0;
	rs->rb_refused_member = m->member;
	rs->rb_refused_node = m->sender;
	rs->rb_refused_err = m->err;
	fx_log(out, SM_LOG_ERR, "rebuild of member %u called off: node %u "
	       "cannot write its device (errno %u)", m->member, m->sender,
	       m->err);
}

static void sm_on_rebuild_begin(struct sm *sm, const struct cpgmsg *m,
				struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	if (sm_is_coord(sm) || me(sm, m))
		sm->co.rb_begin_sent = false;
	if (!from_coord(sm, m) || rs->rb_phase != RB_READY || rs->rb_ready ||
	    m->member != rs->rb_member || m->events != rs->events + 1 ||
	    cpgmsg_runs_check(m->runs.raw, m->runs.n, sm->cfg.regions,
			      &(const char *){ NULL }))
		return;
	rs->member[m->member].state = DDRAID_MEMBER_REBUILDING;
	rs->member[m->member].recovery_block = 0;
	/* As the REBUILD_BEGIN superblocks say: only a failed member has a
	 * failure event count (else every later superblock write fails). */
	rs->member[m->member].failed_events = 0;
	rs->events = m->events;
	bitmap_or_runs(rs->rb_todo, &m->runs, sm->cfg.regions);
	rs->rb_low = 0;
	rs->fail_apply[m->member] = 0;
	rs->rb_phase = RB_WALK;
	rs->rb_next = 0;
	if (rs->torn_member == m->member && rs->rb_mode == REBUILD_FULL) {
		/* A new disk: the torn fragments went with the old one. */
		fx_log(out, SM_LOG_WARNING, "member %u rebuilt onto a new "
		       "disk: the torn writes of its crashed host in %llu "
		       "regions read as reconstructed bytes", m->member,
		       (unsigned long long)bitmap_count(rs->torn,
							sm->cfg.regions));
		memset(rs->torn, 0, bitmap_bytes(sm->cfg.regions));
		rs->torn_member = CPGMSG_NO_MEMBER;
	} else if (rs->torn_member == m->member) {
		/* Walked as resyncs: they are in every slot's bits anyway. */
		u64 r;

		for (r = 0; r < sm->cfg.regions; r++)
			if (ddraid_bit_test(rs->torn, r))
				rs_rb_todo_set(rs, r);
	}
}

static void sm_on_rebuild_progress(struct sm *sm, const struct cpgmsg *m,
				   struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	if (!from_coord(sm, m) || rs->rb_phase != RB_WALK ||
	    m->member != rs->rb_member || m->region > sm->cfg.regions)
		return;
	rs->member[m->member].recovery_block =
		m->region * (sm->cfg.region_size >> DDRAID_BLOCK_SHIFT);
}

static void sm_on_rebuild_done(struct sm *sm, const struct cpgmsg *m,
			       struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	struct cpgmsg_member *mi;

	if (sm_is_coord(sm) || me(sm, m))
		sm->co.rb_done_sent = false;
	if (!from_coord(sm, m) || rs->rb_phase != RB_WALK ||
	    m->member != rs->rb_member || m->events != rs->events + 1 ||
	    bitmap_count(rs->rb_todo, sm->cfg.regions))
		return;
	mi = &rs->member[m->member];
	mi->state = DDRAID_MEMBER_ACTIVE;
	mi->failed_events = 0;
	mi->recovery_block = 0;
	rs->events = m->events;
	rs->rb_phase = RB_NONE;
	if (rs->torn_member == m->member) {
		memset(rs->torn, 0, bitmap_bytes(sm->cfg.regions));
		rs->torn_member = CPGMSG_NO_MEMBER;
	}
	fx_log(out, SM_LOG_NOTICE, "member %u rebuilt (events %llu)",
	       m->member, (unsigned long long)m->events);
}

/* ---- tuning ---- */

/*
 * Rates set (or given back to each node's own config) cluster-wide: taken
 * as the message says, whoever sent it, so every daemon holds the same.
 */
static void sm_on_tune(struct sm *sm, const struct cpgmsg *m,
		       struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	char v[TUNE_N][32];
	u32 i;

	for (i = 0; i < TUNE_N; i++) {
		if (m->tune_set & (1u << i))
			rs->tune[i] = m->tune[i];
		else if (m->tune_clear & (1u << i))
			rs->tune[i] = 0;
	}
	rs->tune_set = (rs->tune_set | m->tune_set) & ~m->tune_clear;
	for (i = 0; i < TUNE_N; i++) {
		if (rs->tune_set & (1u << i))
			snprintf(v[i], sizeof(v[i]), "%llu bytes/s",
				 (unsigned long long)rs->tune[i]);
		else
			snprintf(v[i], sizeof(v[i]), "each node's own");
	}
	fx_log(out, SM_LOG_NOTICE, "rates tuned by node %u: rebuild max %s, "
	       "scrub max %s, min %s (0: none)", m->sender,
	       v[TUNE_REBUILD_MAX], v[TUNE_SCRUB_MAX], v[TUNE_MIN]);
}

/* ---- delivery ---- */

static void dispatch(struct sm *sm, const struct cpgmsg *m,
		     struct sm_effects *out)
{
	switch (m->type) {
	case MSG_NEED_STATE: sm_on_need_state(sm, m, out); break;
	case MSG_STATE: on_state_part(sm, m, out); break;
	case MSG_INIT: sm_on_init(sm, m, out); break;
	case MSG_ATTACH: sm_on_attach(sm, m, out); break;
	case MSG_SLOT_CLAIM: sm_on_slot_claim(sm, m, out); break;
	case MSG_SLOT_PERSISTED: sm_on_slot_persisted(sm, m, out); break;
	case MSG_ACQUIRE: sm_on_acquire(sm, m, out); break;
	case MSG_RELEASE: sm_on_release(sm, m, out); break;
	case MSG_LOCK: sm_on_lock(sm, m, out); break;
	case MSG_LOCKED: sm_on_locked(sm, m, out); break;
	case MSG_UNLOCK: sm_on_unlock(sm, m, out); break;
	case MSG_FENCED: sm_on_fenced(sm, m, out); break;
	case MSG_MEMBER_FAIL: sm_on_member_fail(sm, m, out); break;
	case MSG_MEMBER_FAILED: sm_on_member_failed(sm, m, out); break;
	case MSG_FAIL_APPLIED: sm_on_fail_applied(sm, m, out); break;
	case MSG_REBUILD_START: sm_on_rebuild_start(sm, m, out); break;
	case MSG_REBUILD_READY: sm_on_rebuild_ready(sm, m, out); break;
	case MSG_REBUILD_BEGIN: sm_on_rebuild_begin(sm, m, out); break;
	case MSG_REBUILD_PROGRESS: sm_on_rebuild_progress(sm, m, out); break;
	case MSG_REBUILD_DONE: sm_on_rebuild_done(sm, m, out); break;
	case MSG_ADOPTED: sm_on_adopted(sm, m, out); break;
	case MSG_SCRUB_START: sm_on_scrub_start(sm, m, out); break;
	case MSG_SCRUB_CANCEL: sm_on_scrub_cancel(sm, m, out); break;
	case MSG_SCRUBBED: sm_on_scrubbed(sm, m, out); break;
	case MSG_MEMBER_PROBE: sm_on_member_probe(sm, m, out); break;
	case MSG_PATH_OK: sm_on_path_ok(sm, m, out); break;
	case MSG_DETACH: sm_on_detach(sm, m, out); break;
	case MSG_HISTORY: sm_on_history(sm, m, out); break;
	case MSG_TUNE: sm_on_tune(sm, m, out); break;
	}
}

/* After adopting a snapshot: apply what was delivered after it. */
static void replay(struct sm *sm, struct sm_effects *out)
{
	u32 i, n = sm->loc.n_buf;
	u8 **buf = sm->loc.buf;
	size_t *len = sm->loc.buf_len;

	/* Detach the buffer: handlers must not append to it. */
	sm->loc.buf = NULL;
	sm->loc.buf_len = NULL;
	sm->loc.n_buf = sm->loc.cap_buf = 0;
	sm->loc.seen = sm->loc.st_applied;
	/* The buffer starts after the message we dropped our state at. */
	for (i = (u32)(sm->loc.st_applied - sm->loc.buf_base); i < n; i++) {
		struct cpgmsg m;

		if (cpgmsg_decode(buf[i], len[i], &m, NULL))
			continue;
		sm->loc.seen++;
		if (sm->loc.has_state)
			dispatch(sm, &m, out);
	}
	for (i = 0; i < n; i++)
		free(buf[i]);
	free(buf);
	free(len);
}

static void buffer_msg(struct sm *sm, const struct cpgmsg *m)
{
	size_t size = cpgmsg_size(m);
	u8 *copy;

	if (sm->loc.n_buf == sm->loc.cap_buf) {
		sm->loc.cap_buf = sm->loc.cap_buf ? sm->loc.cap_buf * 2 : 64;
		sm->loc.buf = realloc(sm->loc.buf, sm->loc.cap_buf * sizeof(*sm->loc.buf));
		sm->loc.buf_len = realloc(sm->loc.buf_len,
				      sm->loc.cap_buf * sizeof(*sm->loc.buf_len));
		if (!sm->loc.buf || !sm->loc.buf_len)
			abort();
	}
	copy = malloc(size ? size : 1);
	if (!copy || !size || cpgmsg_encode(m, copy, size, NULL) < 0)
		abort();
	sm->loc.buf[sm->loc.n_buf] = copy;
	sm->loc.buf_len[sm->loc.n_buf] = size;
	sm->loc.n_buf++;
}

void sm_deliver(struct sm *sm, const struct cpgmsg *m, struct sm_effects *out)
{
	if (!sm->loc.has_state) {
		buffer_msg(sm, m);
		sm->loc.seen++;
		if (m->type == MSG_NEED_STATE)
			sm_on_need_state(sm, m, out);
		else if (m->type == MSG_STATE)
			on_state_part(sm, m, out);
		else if (m->type == MSG_INIT)
			sm_on_init(sm, m, out);
		return;
	}
	sm->loc.seen++;
	dispatch(sm, m, out);
}
