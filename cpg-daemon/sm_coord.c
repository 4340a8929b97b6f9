// SPDX-License-Identifier: GPL-2.0-only
/*
 * The coordinator's work: superblock writes (slot table, member failures,
 * rebuild states), fencing of departed nodes, resync and rebuild under
 * region locks. Every step is recomputed from the RS, so a new coordinator
 * resumes where the old one stopped: all of it is idempotent.
 */
#include <stdlib.h>

#include "sm_internal.h"

void coord_reset(struct sm *sm, bool all)
{
	sm->co.slots_sent = 0;
	sm->co.fail_sent = 0;
	sm->co.lock_sent = false;
	sm->co.unlock_sent = false;
	sm->co.rb_begin_sent = false;
	sm->co.rb_done_sent = false;
	sm->co.fence_sent = 0;
	if (all) {
		/* Fencing waits run from the NODEDOWN on, whoever
		 * coordinates, as long as we keep the state. */
		sm->co.fence_timing = 0;
		sm->co.fence_asked = 0;
		sm->co.n_settle = 0;
		sm->co.sb_busy = false;
		sm->co.lock_io = false;
		sm->co.fence_reading = false;
		sm->co.fence_ok = 0;
	}
}

static struct sm_effect *write_sb(struct sm *sm, struct sm_effects *out,
				  u32 kind, struct io **iop)
{
	const struct rs *rs = &sm->rs;
	struct io *io = io_new(sm, kind);
	struct sm_effect *fx = fx_add(out, SM_FX_WRITE_SB);
	u32 i;

	fx->id = io->id;
	fx->sb.events = rs->events;
	for (i = 0; i < sm->cfg.members; i++)
		fx->sb.member[i] = rs->member[i];
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		fx->sb.slots[i] = rs->slot[i].nodeid;
	sm->co.sb_busy = true;
	*iop = io;
	return fx;
}

/* Slots whose node's daemon is attached: their grants are known. */
static u32 attached_mask(const struct sm *sm)
{
	u32 s, mask = 0;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (sm->rs.slot[s].status == SS_VIEW && sm->rs.slot[s].attached)
			mask |= 1u << s;
	return mask;
}

bool sm_in_totem(const struct sm *sm, u32 nodeid)
{
	u32 i;

	if (!sm->loc.totem_known)
		return true;
	for (i = 0; i < sm->loc.n_totem; i++)
		if (sm->loc.totem[i] == nodeid)
			return true;
	return false;
}

/*
 * Resync waits for attachment (I5): a node alive in corosync that owns a
 * slot but whose daemon has not attached may have a target holding grants
 * nobody knows of.
 */
static bool all_attached(const struct sm *sm)
{
	u32 s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		const struct rs_slot *sl = &sm->rs.slot[s];

		if (!sl->nodeid || !sm_in_totem(sm, sl->nodeid))
			continue;
		if (sl->status == SS_VIEW && sl->attached)
			continue;
		if (sl->status == SS_FENCE || sl->status == SS_DETACHED)
			continue;	/* fenced below / writes nothing */
		if (!sm->loc.totem_known && sl->status == SS_NONE)
			continue;
		return false;
	}
	return true;
}

/* Every slot owner attached or gone for good (no ATTACH can come). */
static bool all_settled(const struct sm *sm)
{
	u32 s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		const struct rs_slot *sl = &sm->rs.slot[s];

		if (sl->status == SS_ORPHAN || sl->status == SS_FENCE ||
		    (sl->status == SS_VIEW && !sl->attached))
			return false;
	}
	return true;
}

static void fence_work(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	u32 s, bit;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		const struct rs_slot *sl = &rs->slot[s];
		bool waiting = sl->status == SS_FENCE ||
			(sl->status == SS_ORPHAN && !sm_in_totem(sm, sl->nodeid));
		struct io *io;
		struct sm_effect *fx;

		bit = 1u << s;
		if (!waiting) {
			sm->co.fence_timing &= ~bit;
			sm->co.fence_ok &= ~bit;
			sm->co.fence_asked &= ~bit;
			continue;
		}
		if (!(sm->co.fence_timing & bit)) {
			sm->co.fence_timing |= bit;
			sm->co.fence_since[s] = sm->now;
		}
		if (sm->co.fence_sent & bit || sm->co.fence_reading)
			continue;
		/*
		 * A node that left with its daemon running froze its target
		 * on quorum loss within fence_delay. A node whose daemon was
		 * already gone has nobody to freeze its target: only real
		 * fencing (SM_ADMIN_FENCED) makes its regions safe.
		 */
		if ((sl->status == SS_ORPHAN || sm->cfg.require_fencing) &&
		    !(sm->co.fence_ok & bit)) {
			/* Once per wait: ask the runtime's fencer. */
			if (!(sm->co.fence_asked & bit)) {
				sm->co.fence_asked |= bit;
				fx_add(out, SM_FX_FENCE)->nodeid = sl->nodeid;
			}
			continue;
		}
		if (!(sm->co.fence_ok & bit) &&
		    sm->now - sm->co.fence_since[s] < sm->cfg.fence_delay)
			continue;
		/* Its slot names every region it may have written, even
		 * ones granted while it was cut off from us. */
		io = io_new(sm, IO_READ_SLOT);
		io->arg = s;
		io->events = sl->nodeid;
		fx = fx_add(out, SM_FX_READ_SLOT);
		fx->id = io->id;
		fx->slot = s;
		sm->co.fence_reading = true;
	}
}

static bool lockable(const struct sm *sm, u64 r, u32 att)
{
	return !((sm->rs.held[r] | sm->rs.waiting[r]) & ~att);
}

/*
 * The scrub lock's IO: only while the scrub still runs on a whole volume.
 * Abandoned (cancelled, a member failing) the lock ends without IO.
 */
static void scrub_io(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	struct sm_effect *fx;
	struct cpgmsg *m;
	struct io *io;

	if (rs->sc_end != SCRUB_RUNNING || scrub_blocker(sm, NULL) ||
	    ddraid_bit_test(rs->dirty, rs->lock_region)) {
		/*
		 * A holder crashed while the region was locked (FENCED made
		 * it dirty): its parity is known stale, resync goes first
		 * and the scrub comes back to it (EAGAIN).
		 */
		m = fx_cpg(sm, out, MSG_SCRUBBED);
		m->region = rs->lock_region;
		m->err = ddraid_bit_test(rs->dirty, rs->lock_region) &&
			rs->sc_end == SCRUB_RUNNING && !scrub_blocker(sm, NULL) ?
			EAGAIN : ECANCELED;
		sm->co.unlock_sent = true;
		return;
	}
	io = io_new(sm, IO_SCRUB);
	io->region = rs->lock_region;
	fx = fx_add(out, SM_FX_SCRUB);
	fx->id = io->id;
	fx->scrub.region = rs->lock_region;
	fx->scrub.repair = rs->sc_mode == SCRUB_REPAIR;
	sm->co.lock_io = true;
}

void sm_rates(const struct sm *sm, u64 rate[TUNE_N], u32 *cluster)
{
	u32 set = sm->loc.has_state ? sm->rs.tune_set : 0, i;

	rate[TUNE_REBUILD_MAX] = sm->cfg.sync_max;
	rate[TUNE_SCRUB_MAX] = sm->cfg.sync_max;
	rate[TUNE_MIN] = sm->cfg.sync_min;
	for (i = 0; i < TUNE_N; i++)
		if (set & (1u << i))
			rate[i] = sm->rs.tune[i];
	if (cluster)
		*cluster = set;
}

/*
 * Rate of online rebuild and scrub (pace.h): may the next region start
 * now? If so it is charged at once (a whole region; a LOCK that comes to
 * nothing is charged too, erring slow). Coordinator-local timing only:
 * what is done, and in which order, is unchanged. @max: TUNE_REBUILD_MAX
 * or TUNE_SCRUB_MAX.
 */
static u32 paced_start(struct sm *sm, u32 max, u32 want)
{
	u64 window = sm->cfg.pace_busy ? sm->cfg.pace_busy : SM_PACE_BUSY;
	bool busy = sm->co.fg_at && sm->now + 1 - sm->co.fg_at < window;
	u64 r[TUNE_N], rate;
	u32 n;

	sm_rates(sm, r, NULL);
	rate = pace_rate(r[max], r[TUNE_MIN], busy);

	if (!pace_may_start(&sm->co.pace, rate, sm->now))
		return 0;
	/*
	 * Several regions at once only at full speed: a span holds off
	 * foreground writes into it for longer, and a rate is kept to by
	 * starting one region at a time.
	 */
	n = busy || rate ? 1 : want;
	pace_charge(&sm->co.pace, n * sm->cfg.region_size);
	return n;
}

/*
 * The resync span starting at r (lockable, dirty): the dirty lockable
 * regions after it, up to the configured span; one region unless every
 * member is active and none is failing or about to be rebuilt, so that
 * the members that hold nothing valid (the RESYNC effect's .missing) are
 * the same in every region of it, now and until the lock ends (a member
 * failing or starting its rebuild meanwhile is out in all of them alike).
 */
static u32 resync_span(const struct sm *sm, u64 r, u32 att)
{
	const struct rs *rs = &sm->rs;
	u32 i, n = 1;

	if (rs->pending_fail || rs->rb_phase != RB_NONE)
		return 1;
	for (i = 0; i < sm->cfg.members; i++)
		if (rs->member[i].state != DDRAID_MEMBER_ACTIVE)
			return 1;
	while (n < sm->cfg.sync_span && r + n < sm->cfg.regions &&
	       ddraid_bit_test(rs->dirty, r + n) && lockable(sm, r + n, att))
		n++;
	return n;
}

/*
 * The rebuild span starting at r (lockable, still to rebuild): the
 * regions after it that are still to rebuild, lockable and not awaiting
 * resync, up to the configured span.
 */
static u32 rebuild_span(const struct sm *sm, u64 r, u32 att)
{
	const struct rs *rs = &sm->rs;
	u32 n = 1;

	while (n < sm->cfg.sync_span && r + n < sm->cfg.regions &&
	       ddraid_bit_test(rs->rb_todo, r + n) &&
	       !ddraid_bit_test(rs->dirty, r + n) && lockable(sm, r + n, att))
		n++;
	return n;
}

/*
 * The next scrub region, in order, once nothing else needs the lock: no
 * rebuild, every slot owner attached or fenced (a departed node's torn
 * writes would look like corruption), the region not awaiting resync (its
 * parity is known stale), and the rate limit respected.
 */
static void scrub_lock(struct sm *sm, struct sm_effects *out, u32 att)
{
	const struct rs *rs = &sm->rs;
	struct cpgmsg *m;
	u64 r = rs->sc_next;

	if (rs->sc_end != SCRUB_RUNNING || scrub_blocker(sm, NULL) ||
	    !all_settled(sm) || r >= sm->cfg.regions ||
	    ddraid_bit_test(rs->dirty, r) || !lockable(sm, r, att))
		return;
	if (!paced_start(sm, TUNE_SCRUB_MAX, 1))
		return;
	m = fx_cpg(sm, out, MSG_LOCK);
	m->region = r;
	m->count = 1;
	m->purpose = LOCK_SCRUB;
	sm->co.lock_sent = true;
}

static void lock_work(struct sm *sm, struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 n, att = attached_mask(sm);
	struct cpgmsg *m;
	u64 r;

	if (rs->locked) {
		struct io *io;
		struct sm_effect *fx;

		if (sm->co.lock_io || sm->co.unlock_sent)
			return;
		/* A broken rule for the simulator: scrub before draining. */
		if (rs->lock_ack && !(rs->lock_purpose == LOCK_SCRUB &&
				      sm->debug & SM_DEBUG_SCRUB_NOLOCK))
			return;
		if (rs->lock_purpose == LOCK_SCRUB) {
			scrub_io(sm, out);
			return;
		}
		/* Every holder has drained: nothing is in flight in r. */
		if (rs->lock_purpose == LOCK_RESYNC) {
			u32 i;

			io = io_new(sm, IO_RESYNC);
			fx = fx_add(out, SM_FX_RESYNC);
			fx->region = rs->lock_region;
			/*
			 * Over a span, nothing below depends on the region:
			 * a resync span starts with every member active
			 * (resync_span()), a rebuild's span becomes a resync
			 * when its member fails, out in all regions alike.
			 */
			fx->count = rs->lock_count;
			for (i = 0; i < sm->cfg.members; i++) {
				u32 st = rs->member[i].state;

				/* Out, being recorded: writes that skipped
				 * it may sit in the region, not yet done. */
				if (rs->pending_fail & (1u << i) ||
				    st == DDRAID_MEMBER_FAILED ||
				    (st == DDRAID_MEMBER_REBUILDING &&
				     (rs->rb_phase != RB_WALK ||
				      rs->lock_region >= rs->rb_next ||
				      ddraid_bit_test(rs->rb_todo,
						      rs->lock_region))))
					fx->missing |= 1u << i;
			}
		} else {
			io = io_new(sm, IO_REBUILD);
			fx = fx_add(out, SM_FX_REBUILD);
			fx->rebuild.member = rs->rb_member;
			fx->rebuild.region = rs->lock_region;
			fx->count = rs->lock_count;
			fx->rebuild.path = rs->rb_path;
			/* Torn regions: the returning disk's own fragments
			 * make the parity whole (docs, "torn regions"). */
			for (n = 0; rs->torn_member == rs->rb_member &&
			     n < rs->lock_count; n++)
				if (ddraid_bit_test(rs->torn, rs->lock_region + n))
					fx->rebuild.torn |= 1u << n;
		}
		io->region = rs->lock_region;
		fx->id = io->id;
		sm->co.lock_io = true;
		return;
	}
	if (sm->co.lock_sent || !all_attached(sm))
		return;
	for (r = rs->n_dirty ? bitmap_next(rs->dirty, 0, sm->cfg.regions) :
		 sm->cfg.regions;
	     r < sm->cfg.regions;
	     r = bitmap_next(rs->dirty, r + 1, sm->cfg.regions)) {
		if (lockable(sm, r, att)) {
			m = fx_cpg(sm, out, MSG_LOCK);
			m->region = r;
			m->count = resync_span(sm, r, att);
			m->purpose = LOCK_RESYNC;
			sm->co.lock_sent = true;
			return;
		}
	}
	if (rs->rb_phase == RB_NONE) {
		scrub_lock(sm, out, att);
		return;
	}
	if (rs->rb_phase != RB_WALK || rs->rb_ready)
		return;
	for (r = rs_rb_first(rs, sm->cfg.regions);
	     r < sm->cfg.regions;
	     r = bitmap_next(rs->rb_todo, r + 1, sm->cfg.regions)) {
		if (lockable(sm, r, att)) {
			n = paced_start(sm, TUNE_REBUILD_MAX,
					rebuild_span(sm, r, att));
			if (!n)
				return;
			m = fx_cpg(sm, out, MSG_LOCK);
			m->region = r;
			m->count = n;
			m->purpose = LOCK_REBUILD;
			sm->co.lock_sent = true;
			return;
		}
	}
}

static void sb_work(struct sm *sm, struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	struct sm_effect *fx;
	struct io *io;
	u32 s, m, mask = 0;

	if (sm->co.sb_busy)
		return;
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (rs->slot[s].nodeid && !rs->slot[s].persisted)
			mask |= 1u << s;
	mask &= ~sm->co.slots_sent;
	if (mask) {
		write_sb(sm, out, IO_SB_SLOTS, &io);
		io->arg = mask;
		return;
	}
	for (m = 0; m < sm->cfg.members; m++) {
		if (!(rs->pending_fail & (1u << m)) ||
		    sm->co.fail_sent & (1u << m))
			continue;
		fx = write_sb(sm, out, IO_SB_FAIL, &io);
		fx->sb.records_failure = true;
		fx->sb.events = rs->events + 1;
		fx->sb.member[m].state = DDRAID_MEMBER_FAILED;
		fx->sb.member[m].failed_events = rs->events + 1;
		fx->sb.member[m].recovery_block = 0;
		io->arg = m;
		io->events = rs->events + 1;
		return;
	}
	if (rs->pending_fail)
		return;
	for (m = 0; m < sm->cfg.members; m++) {
		if (!(rs->unrecorded & (1u << m)) ||
		    sm->co.fail_sent & (1u << m))
			continue;
		/* the same facts, on every member reached this time */
		fx = write_sb(sm, out, IO_SB_FAIL, &io);
		fx->sb.records_failure = true;
		io->arg = m;
		io->events = rs->events;
		return;
	}
	if (rs->rb_phase == RB_READY && !rs->rb_ready && !sm->co.rb_begin_sent) {
		if (!sm->co.rb_filter) {
			size_t bb = bitmap_bytes(sm->cfg.regions);

			if (rs->rb_mode == REBUILD_BITMAP) {
				if (io_pending(sm, IO_READ_ALL_SLOTS))
					return;
				io = io_new(sm, IO_READ_ALL_SLOTS);
				fx_add(out, SM_FX_READ_ALL_SLOTS)->id = io->id;
				return;
			}
			sm->co.rb_filter = malloc(bb);
			if (!sm->co.rb_filter)
				abort();
			memset(sm->co.rb_filter, 0xff, bb);
			for (s = 0; s < bb * 8 - sm->cfg.regions; s++)
				ddraid_bit_clear(sm->co.rb_filter,
						 sm->cfg.regions + s);
		}
		fx = write_sb(sm, out, IO_SB_RB_BEGIN, &io);
		fx->sb.events = rs->events + 1;
		fx->sb.member[rs->rb_member].state = DDRAID_MEMBER_REBUILDING;
		fx->sb.member[rs->rb_member].recovery_block = 0;
		fx->sb.member[rs->rb_member].failed_events = 0;
		io->arg = rs->rb_member;
		io->events = rs->events + 1;
		return;
	}
	if (rs->rb_phase != RB_WALK)
		return;
	/*
	 * Not while a node may still attach into this walk (its ATTACH would
	 * add regions to walk again after the superblocks say active): every
	 * slot owner must be attached, or fenced.
	 */
	if (!rs->locked && !rs->rb_ready && !sm->co.rb_done_sent &&
	    rs_rb_first(rs, sm->cfg.regions) == sm->cfg.regions &&
	    all_settled(sm)) {
		fx = write_sb(sm, out, IO_SB_RB_DONE, &io);
		fx->sb.events = rs->events + 1;
		fx->sb.member[rs->rb_member].state = DDRAID_MEMBER_ACTIVE;
		fx->sb.member[rs->rb_member].recovery_block = 0;
		fx->sb.member[rs->rb_member].failed_events = 0;
		io->arg = rs->rb_member;
		io->events = rs->events + 1;
		return;
	}
	if (rs->rb_done >= sm->co.rb_progress_at + sm->cfg.progress_every) {
		u64 blocks = rs->rb_next *
			(sm->cfg.region_size >> DDRAID_BLOCK_SHIFT);

		fx = write_sb(sm, out, IO_SB_RB_PROGRESS, &io);
		fx->sb.member[rs->rb_member].recovery_block = blocks;
		io->arg = rs->rb_member;
		io->region = rs->rb_next;
		sm->co.rb_progress_at = rs->rb_done;
	}
}

/*
 * Automatic re-add (docs/cluster-protocol.md section 8): a failed member
 * whose host is back with its disk, once every target has committed the
 * failure. A disk that kept everything up to its failure is rebuilt from
 * the bitmaps; an older one in full. Refused or called off (a node cannot
 * write it), it is tried again later, less and less often.
 */
static void readd_work(struct sm *sm, struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	struct cpgmsg *m;
	u32 i;
	int h;

	if (sm->cfg.no_auto_readd || rs->rb_phase != RB_NONE ||
	    rs->pending_fail)
		return;
	for (i = 0; i < sm->cfg.members; i++) {
		const struct cpgmsg_member *mi = &rs->member[i];

		h = rs_host_slot(rs, i);
		if (mi->state != DDRAID_MEMBER_FAILED || rs->fail_apply[i] ||
		    (rs->unrecorded & (1u << i)) ||
		    h < 0 || rs->slot[h].status != SS_VIEW ||
		    !rs->slot[h].attached || !rs->slot[h].disk_ok ||
		    sm_other_out(sm, i) >= 0 || sm->now < sm->co.readd_at[i])
			continue;
		m = fx_cpg(sm, out, MSG_REBUILD_START);
		m->member = i;
		/* Everything up to its failure is on it: the bitmaps name
		 * what it missed since. */
		m->mode = rs->slot[h].disk_events + 1 >= mi->failed_events ?
			REBUILD_BITMAP : REBUILD_FULL;
		m->path = "";
		m->path_len = 0;
		sm->co.readd_backoff[i] = sm->co.readd_backoff[i] ?
			2 * sm->co.readd_backoff[i] : sm->cfg.fence_delay;
		if (sm->co.readd_backoff[i] > 16 * sm->cfg.fence_delay)
			sm->co.readd_backoff[i] = 16 * sm->cfg.fence_delay;
		sm->co.readd_at[i] = sm->now + sm->co.readd_backoff[i];
		fx_log(out, SM_LOG_NOTICE, "member %u's host is back with its "
		       "disk: re-adding it (%s rebuild)", i,
		       m->mode == REBUILD_BITMAP ? "bitmap" : "full");
		return;
	}
}

/*
 * After a NODEDOWN we may be the cut-off minority that has not heard of
 * its quorum loss yet: no shared metadata, no locks, until a quorum
 * notification no longer counts the departed nodes (then our "quorate"
 * is about the membership without them), or fence_delay at most.
 */
static bool settling(const struct sm *sm)
{
	if (!sm->co.n_settle || !sm->co.settle_since)
		return false;
	/* two_node: until each departed node is fenced or back */
	return sm->cfg.two_node ||
	       sm->now + 1 - sm->co.settle_since < sm->cfg.fence_delay;
}

/*
 * two_node: the other half of a partition is as quorate as we are; one of
 * the two is fenced (Pacemaker's fence race) before either goes on.
 */
static void settle_fence(struct sm *sm, struct sm_effects *out)
{
	u32 i;

	for (i = 0; sm->cfg.two_node && i < sm->co.n_settle; i++) {
		if (sm->co.settle[i].asked)
			continue;
		sm->co.settle[i].asked = true;
		fx_log(out, SM_LOG_WARNING, "node %u left (two_node): nothing "
		       "goes on until it is fenced or back",
		       sm->co.settle[i].nodeid);
		fx_add(out, SM_FX_FENCE)->nodeid = sm->co.settle[i].nodeid;
	}
}

void coord_kick(struct sm *sm, struct sm_effects *out)
{
	if (!sm_is_coord(sm))
		return;
	settle_fence(sm, out);
	if (settling(sm))
		return;
	sb_work(sm, out);
	fence_work(sm, out);
	lock_work(sm, out);
	readd_work(sm, out);
}

static void send_init(struct sm *sm, const struct sm_io_done *d,
		      struct sm_effects *out)
{
	const struct sm_meta *meta = d->meta;
	struct cpgmsg *m;
	u32 i, missing;

	sm->loc.init_started = false;
	if (d->result || !meta || !meta->dirty) {
		fx_log(out, SM_LOG_ERR, "cold start: reading the disks failed"
		       " (%d)", d->result);
		return;
	}
	/*
	 * The newest state is on every member but one (a failure is
	 * recorded on two members, or every one left): so the members read
	 * must be all but one; and for a mirror both, unless the one read
	 * records the other failed: the one missing may be the only one
	 * that recorded this one's failure (a node that was down while its
	 * peer went on). Tried again at the next membership change;
	 * ddraidctl assemble --force starts from less.
	 */
	missing = sm->cfg.members - (u32)__builtin_popcount(meta->read);
	if (missing > 1 ||
	    (sm->cfg.members == 2 && missing &&
	     meta->member[__builtin_ctz(~meta->read & 3u)].state !=
	     DDRAID_MEMBER_FAILED)) {
		fx_log(out, SM_LOG_ERR, "cold start refused: %u of %u members "
		       "readable; a missing one may hold newer state",
		       sm->cfg.members - missing, sm->cfg.members);
		return;
	}
	m = fx_cpg(sm, out, MSG_INIT);
	m->events = meta->events;
	m->members = sm->cfg.members;
	for (i = 0; i < sm->cfg.members; i++)
		m->member_info[i] = meta->member[i];
	memcpy(m->slots, meta->slots, sizeof(m->slots));
	m->runs = runs_from_bitmap(out, meta->dirty, sm->cfg.regions);
}

/*
 * A scrub region is done: its result ends the lock (SCRUBBED). A failed
 * scrub IO is not retried: the scrub stops, and the error is reported.
 */
static void scrub_done(struct sm *sm, struct io *io, int result,
		       struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	struct cpgmsg *m;

	if (!sm_is_coord(sm) || !rs->locked || rs->lock_region != io->region ||
	    rs->lock_purpose != LOCK_SCRUB)
		return;
	if (result < 0)
		fx_log(out, SM_LOG_ERR, "scrub of region %llu failed: %d",
		       (unsigned long long)io->region, result);
	m = fx_cpg(sm, out, MSG_SCRUBBED);
	m->region = io->region;
	m->mismatches = result > 0 ? (u64)result : 0;
	m->err = result >= 0 ? 0 : -result > 4095 ? EIO : (u32)-result;
	sm->co.unlock_sent = true;
}

/*
 * The torn regions of a fenced node (docs/cluster-protocol.md, "torn
 * regions"): those its slot marks and no other slot does. A region no
 * other node marks holds no write of another node that is not on every
 * member's platter (a bit is cleared only after a flush of every member):
 * whatever the crashed host's disk lost from its cache there was its own,
 * unflushed. Only when the node hosts a data member that is out with it.
 */
static struct cpgmsg_runs torn_runs(struct sm *sm, u32 s,
				    const struct sm_io_done *d,
				    struct sm_effects *out)
{
	const struct rs *rs = &sm->rs;
	struct cpgmsg_runs none = { 0, NULL }, runs;
	u32 tm = rs->slot[s].hosts;
	size_t bb = bitmap_bytes(sm->cfg.regions), i;
	u8 *map;

	/* (FENCED takes an active hosted member out, see sm_on_fenced) */
	if (!d->others || sm->cfg.members == 2 || tm >= sm->cfg.members - 1 ||
	    !(rs->member[tm].state == DDRAID_MEMBER_FAILED ||
	      rs->pending_fail & (1u << tm) ||
	      sm_other_out(sm, tm) < 0))
		return none;
	map = malloc(bb);
	if (!map)
		abort();
	for (i = 0; i < bb; i++)
		map[i] = d->bits[i] & ~d->others[i];
	runs = runs_from_bitmap(out, map, sm->cfg.regions);
	free(map);
	return runs;
}

void coord_io_done(struct sm *sm, struct io *io, const struct sm_io_done *d,
		   struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	struct cpgmsg *m;
	u32 s;

	if (io->kind == IO_READ_META) {
		send_init(sm, d, out);
		return;
	}
	if (io->kind == IO_SCRUB) {
		scrub_done(sm, io, d->result, out);
		return;
	}
	switch (io->kind) {
	case IO_SB_SLOTS:
	case IO_SB_FAIL:
	case IO_SB_RB_BEGIN:
	case IO_SB_RB_PROGRESS:
	case IO_SB_RB_DONE:
		sm->co.sb_busy = false;
		break;
	case IO_RESYNC:
	case IO_REBUILD:
		/* lock_io stays set until UNLOCK is delivered */
		break;
	case IO_READ_SLOT:
		sm->co.fence_reading = false;
		break;
	}
	if (d->result) {
		fx_log(out, SM_LOG_ERR, "coordinator IO %u failed: %d",
		       io->kind, d->result);
		if (io->kind == IO_RESYNC || io->kind == IO_REBUILD)
			sm->co.lock_io = false;	/* try again */
		return;
	}
	if (!sm_is_coord(sm))
		return;
	switch (io->kind) {
	case IO_SB_SLOTS:
		for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
			if (!(io->arg & (1u << s)) || rs->slot[s].persisted ||
			    !rs->slot[s].nodeid)
				continue;
			m = fx_cpg(sm, out, MSG_SLOT_PERSISTED);
			m->slot = s;
			m->nodeid = rs->slot[s].nodeid;
			sm->co.slots_sent |= 1u << s;
		}
		break;
	case IO_SB_FAIL:
		m = fx_cpg(sm, out, MSG_MEMBER_FAILED);
		m->member = io->arg;
		m->events = io->events;
		sm->co.fail_sent |= 1u << io->arg;
		break;
	case IO_READ_ALL_SLOTS:
		if (!d->bits || rs->rb_phase != RB_READY)
			break;
		free(sm->co.rb_filter);
		sm->co.rb_filter = malloc(bitmap_bytes(sm->cfg.regions));
		if (!sm->co.rb_filter)
			abort();
		memcpy(sm->co.rb_filter, d->bits, bitmap_bytes(sm->cfg.regions));
		{
			u64 r;

			for (r = 0; r < sm->cfg.regions; r++)
				if (ddraid_bit_test(rs->dirty, r) ||
				    ddraid_bit_test(rs->torn, r))
					ddraid_bit_set(sm->co.rb_filter, r);
		}
		break;
	case IO_SB_RB_BEGIN:
		if (rs->rb_phase != RB_READY || !sm->co.rb_filter)
			break;
		m = fx_cpg(sm, out, MSG_REBUILD_BEGIN);
		m->member = io->arg;
		m->events = io->events;
		m->runs = runs_from_bitmap(out, sm->co.rb_filter,
					   sm->cfg.regions);
		free(sm->co.rb_filter);
		sm->co.rb_filter = NULL;
		sm->co.rb_begin_sent = true;
		sm->co.rb_progress_at = 0;
		break;
	case IO_SB_RB_PROGRESS:
		m = fx_cpg(sm, out, MSG_REBUILD_PROGRESS);
		m->member = io->arg;
		m->region = io->region;
		break;
	case IO_SB_RB_DONE:
		m = fx_cpg(sm, out, MSG_REBUILD_DONE);
		m->member = io->arg;
		m->events = io->events;
		sm->co.rb_done_sent = true;
		break;
	case IO_RESYNC:
	case IO_REBUILD:
		if (!rs->locked || rs->lock_region != io->region)
			break;
		m = fx_cpg(sm, out, MSG_UNLOCK);
		m->region = io->region;
		sm->co.unlock_sent = true;
		break;
	case IO_READ_SLOT:
		s = io->arg;
		if (!d->bits || rs->slot[s].nodeid != io->events)
			break;
		m = fx_cpg(sm, out, MSG_FENCED);
		m->nodeid = (u32)io->events;
		m->runs = runs_from_bitmap(out, d->bits, sm->cfg.regions);
		m->torn = torn_runs(sm, s, d, out);
		sm->co.fence_sent |= 1u << s;
		break;
	}
}
