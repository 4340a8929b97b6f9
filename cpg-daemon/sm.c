// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's state machine: life cycle, event dispatch, CPG views, quorum,
 * admin commands and status. The protocol is docs/cluster-protocol.md; the
 * message handlers are in sm_msg.c, our target's side in sm_target.c and
 * the coordinator's work in sm_coord.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sm_internal.h"

/* ---- effects ---- */

void sm_effects_init(struct sm_effects *e)
{
	memset(e, 0, sizeof(*e));
}

void sm_effects_reset(struct sm_effects *e)
{
	u32 i;

	for (i = 0; i < e->n_owned; i++)
		free(e->owned[i]);
	e->n_owned = 0;
	e->n = 0;
}

void sm_effects_free(struct sm_effects *e)
{
	sm_effects_reset(e);
	free(e->fx);
	free(e->owned);
	memset(e, 0, sizeof(*e));
}

/*
 * Out of memory while recording an effect cannot be reported to anyone
 * useful: a daemon that silently drops an effect would break the protocol,
 * so it stops (the runtime restarts it; losing the daemon fails no IO).
 */
static void *must(void *p)
{
	if (!p)
		abort();
	return p;
}

struct sm_effect *fx_add(struct sm_effects *out, u32 type)
{
	struct sm_effect *fx;

	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 16;
		out->fx = must(realloc(out->fx, out->cap * sizeof(*out->fx)));
	}
	fx = &out->fx[out->n++];
	memset(fx, 0, sizeof(*fx));
	fx->type = type;
	return fx;
}

void *fx_own(struct sm_effects *out, size_t bytes)
{
	if (out->n_owned == out->cap_owned) {
		out->cap_owned = out->cap_owned ? out->cap_owned * 2 : 8;
		out->owned = must(realloc(out->owned, out->cap_owned *
					  sizeof(*out->owned)));
	}
	out->owned[out->n_owned] = must(calloc(1, bytes ? bytes : 1));
	return out->owned[out->n_owned++];
}

void fx_log(struct sm_effects *out, int level, const char *fmt, ...)
{
	struct sm_effect *fx = fx_add(out, SM_FX_LOG);
	va_list ap;

	fx->log.level = level;
	va_start(ap, fmt);
	vsnprintf(fx->log.text, sizeof(fx->log.text), fmt, ap);
	va_end(ap);
}

void fx_chan(struct sm *sm, struct sm_effects *out, u16 type, u64 region,
	     u64 arg, u32 status, u32 flags)
{
	struct sm_effect *fx = fx_add(out, SM_FX_TARGET_SEND);

	fx->chan.type = type;
	fx->chan.seq = ++sm->next_id;
	fx->chan.region = region;
	fx->chan.arg = arg;
	fx->chan.status = status;
	fx->chan.flags = flags;
}

struct cpgmsg *fx_cpg(struct sm *sm, struct sm_effects *out, u16 type)
{
	struct sm_effect *fx = fx_add(out, SM_FX_CPG_SEND);

	fx->cpg.type = type;
	fx->cpg.sender = sm->cfg.nodeid;
	fx->cpg.seq = ++sm->next_id;
	return &fx->cpg;
}

/* ---- outstanding IO ---- */

struct io *io_new(struct sm *sm, u32 kind)
{
	struct io *io;

	if (sm->n_io == sm->cap_io) {
		sm->cap_io = sm->cap_io ? sm->cap_io * 2 : 16;
		sm->io = must(realloc(sm->io, sm->cap_io * sizeof(*sm->io)));
	}
	io = &sm->io[sm->n_io++];
	memset(io, 0, sizeof(*io));
	io->id = ++sm->next_id;
	io->kind = kind;
	io->epoch = sm->epoch;
	return io;
}

struct io *io_find(struct sm *sm, u64 id)
{
	u32 i;

	for (i = 0; i < sm->n_io; i++)
		if (sm->io[i].id == id)
			return &sm->io[i];
	return NULL;
}

void io_del(struct sm *sm, struct io *io)
{
	*io = sm->io[--sm->n_io];
}

bool io_pending(const struct sm *sm, u32 kind)
{
	u32 i;

	for (i = 0; i < sm->n_io; i++)
		if (sm->io[i].kind == kind && sm->io[i].epoch == sm->epoch)
			return true;
	return false;
}

/* ---- roles ---- */

u32 sm_coordinator(const struct sm *sm)
{
	u32 i;

	const struct rs_view *best = NULL;

	if (!sm->loc.has_state)
		return 0;
	/*
	 * The member that has had state the longest: a daemon that adopts
	 * state never displaces a working coordinator (two would race on a
	 * lock's IO); the role moves only when the coordinator leaves.
	 */
	for (i = 0; i < sm->rs.n_view; i++)
		if (sm->rs.view[i].has_state &&
		    (!best || sm->rs.view[i].since < best->since))
			best = &sm->rs.view[i];
	return best ? best->nodeid : 0;
}

bool sm_is_coord(const struct sm *sm)
{
	return sm->loc.has_state && sm->loc.quorate &&
	       sm_coordinator(sm) == sm->cfg.nodeid;
}

/* ---- life cycle ---- */

struct sm *sm_new(const struct sm_config *cfg, const char **why)
{
	struct sm *sm;
	size_t bb;

	if (!cfg->nodeid || ddraid_members_to_k(cfg->members) < 0 ||
	    !cfg->regions || cfg->regions > (1ull << 32) ||
	    !cfg->progress_every ||
	    cfg->sync_span > CPGMSG_LOCK_SPAN_MAX ||
	    (cfg->hosting && cfg->host_member >= cfg->members) ||
	    (cfg->two_node && !cfg->require_fencing)) {
		*why = "bad state machine configuration";
		return NULL;
	}
	sm = calloc(1, sizeof(*sm));
	if (!sm)
		goto oom;
	sm->cfg = *cfg;
	if (!sm->cfg.path_timeout)
		sm->cfg.path_timeout = 2 * cfg->fence_delay;
	if (!sm->cfg.sync_span)
		sm->cfg.sync_span = SM_SYNC_SPAN;
	if (!sm->cfg.probe_interval)
		sm->cfg.probe_interval = cfg->fence_delay / 10 ?
			cfg->fence_delay / 10 : 1;
	sm->tgt.withdraw_member = CPGMSG_NO_MEMBER;
	bb = bitmap_bytes(cfg->regions);
	sm->tgt.held = calloc(1, bb);
	sm->tgt.locked = calloc(1, bb);
	sm->tgt.want = calloc(1, bb);
	sm->tgt.acq_sent = calloc(1, bb);
	sm->tgt.rel_sent = calloc(1, bb);
	sm->tgt.bits = calloc(cfg->regions, 1);
	if (!sm->tgt.held || !sm->tgt.locked || !sm->tgt.want || !sm->tgt.acq_sent || !sm->tgt.rel_sent ||
	    !sm->tgt.bits || rs_alloc(&sm->rs, cfg->regions)) {
		sm_free(sm);
		goto oom;
	}
	return sm;
oom:
	*why = "out of memory";
	return NULL;
}

static void buf_discard(struct sm *sm)
{
	u32 i;

	sm->loc.buf_base = sm->loc.seen;
	for (i = 0; i < sm->loc.n_buf; i++)
		free(sm->loc.buf[i]);
	sm->loc.n_buf = 0;
	free(sm->loc.st_data);
	sm->loc.st_data = NULL;
	sm->loc.st_total = sm->loc.st_have = sm->loc.st_next_part = sm->loc.st_parts = 0;
}

void sm_free(struct sm *sm)
{
	if (!sm)
		return;
	buf_discard(sm);
	free(sm->loc.buf);
	free(sm->loc.buf_len);
	rs_free(&sm->rs);
	free(sm->tgt.held);
	free(sm->tgt.locked);
	free(sm->tgt.want);
	free(sm->tgt.acq_sent);
	free(sm->tgt.rel_sent);
	free(sm->tgt.bits);
	free(sm->io);
	free(sm->co.rb_filter);
	free(sm);
}

void sm_set_debug(struct sm *sm, u32 flags)
{
	sm->debug = flags;
}

/*
 * Quorum lost (or a bad STATE): forget the RS and freeze the target so no
 * write proceeds until a quorate cluster has re-admitted us (I6).
 */
void sm_drop_state(struct sm *sm, struct sm_effects *out, const char *why)
{
	size_t bb = bitmap_bytes(sm->cfg.regions);

	if (sm->loc.has_state)
		fx_log(out, SM_LOG_WARNING, "dropping replicated state: %s",
		       why);
	sm->loc.has_state = false;
	rs_clear(&sm->rs, sm->cfg.regions);
	sm->epoch++;
	coord_reset(sm, true);
	buf_discard(sm);
	sm->loc.need_sent = false;
	sm->loc.init_started = false;
	sm->tgt.attach_sent = false;
	sm->tgt.claim_sent = false;
	sm->tgt.ready_sent = false;
	sm->tgt.path_pending = false;
	sm->tgt.path_done = false;
	/* The target keeps a lock we set: sort it out at re-attach. */
	if (sm->tgt.lock_told) {
		u32 k;

		for (k = 0; k < CPGMSG_LOCK_SPAN_MAX; k++)
			if (sm->tgt.lock_told_mask & (1u << k))
				ddraid_bit_set(sm->tgt.locked,
					       sm->tgt.lock_told_r + k);
	}
	sm->tgt.lock_told = false;
	sm->tgt.lock_told_mask = 0;
	sm->tgt.lock_wait = 0;
	sm->tgt.merr_sent = 0;
	memset(sm->tgt.mstate_done, 0, sizeof(sm->tgt.mstate_done));
	sm->tgt.fail_applied_sent = 0;
	sm->tgt.committed = 0;
	memset(sm->tgt.mstate_sent, 0, sizeof(sm->tgt.mstate_sent));
	memset(sm->tgt.acq_sent, 0, bb);
	memset(sm->tgt.rel_sent, 0, bb);
	/*
	 * Cut off, our bits may have reached only the members we reached:
	 * whatever we set is set again before it is relied upon (a bit that
	 * stays set on disk is harmless: at most one more resync).
	 */
	{
		u64 r;

		for (r = 0; r < sm->cfg.regions; r++)
			if (sm->tgt.bits[r] == BIT_SET)
				sm->tgt.bits[r] = BIT_CLEAR;
	}
	sm->tgt.probe_busy = 0;
	sm->tgt.probe_answered = 0;
	sm->tgt.host_probed = false;
	sm->tgt.host_probing = false;
	sm->tgt.detach_sent = false;
	memset(sm->tgt.path_since, 0, sizeof(sm->tgt.path_since));
	memset(sm->tgt.path_began, 0, sizeof(sm->tgt.path_began));
	memset(sm->tgt.path_good_at, 0, sizeof(sm->tgt.path_good_at));
	sm->tgt.path_ok_sent = 0;
	if (!sm->tgt.frozen) {
		fx_chan(sm, out, DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
		sm->tgt.frozen = true;
		sm->tgt.drained = false;
		sm->tgt.freezes++;
	}
}

/* ---- views ---- */

static int cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

void sm_send_need_state(struct sm *sm, struct sm_effects *out)
{
	if (sm->loc.has_state || !sm->loc.quorate || !sm->loc.in_view || sm->loc.need_sent)
		return;
	fx_cpg(sm, out, MSG_NEED_STATE);
	sm->loc.need_sent = true;
}

static void rs_confchg(struct sm *sm, const struct sm_confchg *c,
		       struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 i;
	u64 r;

	for (i = 0; i < c->n_left; i++) {
		int s = rs_slot_of(rs, c->left[i].nodeid);
		bool down = c->left[i].reason == SM_LEFT_NODEDOWN;
		u32 bit;

		if (s >= 0 && rs->slot[s].status == SS_DETACHED) {
			/*
			 * Left on purpose before: nothing to wait for. Its
			 * daemon going keeps it detached: its target is gone
			 * or fails all IO with nothing in flight, and a new
			 * one starts frozen until a daemon attaches it. As
			 * SS_NONE, a node still in corosync would hold every
			 * resync, rebuild and scrub lock (all_attached())
			 * until its daemon came back, maybe never: a
			 * withdrawn daemon exits for good.
			 */
			if (down) {
				rs->slot[s].status = SS_NONE;
				rs_host_gone(sm, (u32)s, "its host left the "
					     "cluster", out);
			}
			continue;
		}
		if (s < 0 || rs->slot[s].status != SS_VIEW)
			continue;
		bit = 1u << s;
		for (r = 0; r < sm->cfg.regions; r++)
			rs->waiting[r] &= ~bit;
		/*
		 * Even a daemon that never attached may leave a target
		 * running (an earlier daemon thawed it): it stays in the
		 * sets to confirm until its daemon is back or it is fenced.
		 * A NODEDOWN node too: in a partition its target may still
		 * read a failed member until it freezes.
		 */
		rs->slot[s].status = down ? SS_FENCE : SS_ORPHAN;
		rs->slot[s].attached = 0;
		fx_log(out, SM_LOG_NOTICE, "node %u left (%s)",
		       c->left[i].nodeid, down ? "node down" :
		       "daemon gone, target keeps its grants");
		rs_probe_drop_slot(sm, (u32)s, out);
		if (down) {
			/* Its fencing wait starts now, whoever coordinates. */
			sm->co.fence_since[s] = sm->now;
			sm->co.fence_timing |= bit;
			rs_host_gone(sm, (u32)s, "its host left the cluster",
				     out);
		}
	}
	/* A new view: announcements of histories start over. */
	rs->hist_own_events = 0;
	rs->n_hist = 0;
	for (i = 0; i < c->n_joined; i++) {
		int s = rs_slot_of(rs, c->joined[i]);

		/*
		 * A node back before its departure was dealt with (FENCED:
		 * its slot read, its regions resynced, torn regions noted)
		 * stays out until then: FENCED lets it in (sm_msg.c).
		 */
		if (s >= 0 && rs->slot[s].status != SS_VIEW &&
		    rs->slot[s].status != SS_FENCE) {
			rs->slot[s].status = SS_VIEW;
			rs->slot[s].attached = 0;
		}
	}
	/* The RS view: the new members, keeping has_state of old ones. */
	{
		struct rs_view nv[SM_MAX_VIEW];
		u32 n = 0;

		for (i = 0; i < sm->loc.n_cur_view; i++) {
			int k = rs_view_find(rs, sm->loc.cur_view[i]);
			bool joined = false;
			u32 j;

			for (j = 0; j < c->n_joined; j++)
				joined |= c->joined[j] == sm->loc.cur_view[i];
			nv[n].nodeid = sm->loc.cur_view[i];
			nv[n].has_state = k >= 0 && !joined &&
					  rs->view[k].has_state;
			nv[n].since = nv[n].has_state ? rs->view[k].since : 0;
			n++;
		}
		memcpy(rs->view, nv, n * sizeof(nv[0]));
		rs->n_view = n;
	}
	/* Slots of view members that are not known to be in the view (a
	 * member present before our state was taken) stay as they are. */
}

static void settle_prune(struct sm *sm);

static void on_confchg(struct sm *sm, const struct sm_confchg *c,
		       struct sm_effects *out)
{
	u32 i, n = c->n_members < SM_MAX_VIEW ? c->n_members : SM_MAX_VIEW;

	memcpy(sm->loc.cur_view, c->members, n * sizeof(u32));
	qsort(sm->loc.cur_view, n, sizeof(u32), cmp_u32);
	sm->loc.n_cur_view = n;
	sm->loc.in_view = false;
	for (i = 0; i < n; i++)
		sm->loc.in_view |= sm->loc.cur_view[i] == sm->cfg.nodeid;
	sm->loc.seen = 0;
	sm->co.state_sent = false;
	sm->loc.n_need = 0;
	sm->loc.n_needlog = 0;
	sm->loc.st_next_part = 0;
	sm->loc.st_trigger_ok = false;
	if (!sm->loc.has_state) {
		sm->epoch++;	/* a cold start read of the old view is void */
		/* A snapshot must be taken in the view we adopt it in. */
		buf_discard(sm);
		sm->loc.need_sent = false;
		sm->loc.init_started = false;
		sm_send_need_state(sm, out);
		return;
	}
	for (i = 0; i < c->n_left; i++) {
		if (c->left[i].reason != SM_LEFT_NODEDOWN)
			continue;
		sm->co.settle_since = sm->now + 1;
		if (sm->co.n_settle < SM_MAX_VIEW)
		{
			sm->co.settle[sm->co.n_settle].nodeid =
				c->left[i].nodeid;
			sm->co.settle[sm->co.n_settle++].asked = false;
		}
	}
	for (i = 0; sm->cfg.two_node && i < c->n_joined; i++)
		sm_settle_drop(sm, c->joined[i]);
	settle_prune(sm);
	rs_confchg(sm, c, out);
	coord_reset(sm, false);
	/* Somebody joined: if it kept state of its own, the merge rule
	 * (HISTORY, sm_msg.c) keeps one of the two. */
	if (c->n_joined && sm->loc.quorate) {
		struct cpgmsg *m = fx_cpg(sm, out, MSG_HISTORY);

		m->history = sm->rs.history;
		m->events = sm->rs.events;
		m->runs = runs_from_bitmap(out, sm->rs.dirty, sm->cfg.regions);
	}
}

static bool qnode(const struct sm *sm, u32 nodeid)
{
	u32 i;

	for (i = 0; i < sm->loc.n_qnodes; i++)
		if (sm->loc.qnodes[i] == nodeid)
			return true;
	return false;
}

/*
 * A node that left with NODEDOWN is settled once a quorum notification no
 * longer counts it: our quorum news is then about the membership without
 * it, so if we still have quorum we are not the cut-off minority.
 */
static void settle_prune(struct sm *sm)
{
	u32 i = 0;

	/* two_node: both halves stay quorate; only fencing settles */
	if (!sm->loc.qnodes_known || sm->cfg.two_node)
		return;
	while (i < sm->co.n_settle) {
		if (!qnode(sm, sm->co.settle[i].nodeid))
			sm->co.settle[i] = sm->co.settle[--sm->co.n_settle];
		else
			i++;
	}
}

/*
 * A departed node stops counting for the settle: it was fenced, or it is
 * back in the view (two_node: both halves waited for the fencing, so
 * neither went on; the merge rule keeps one history).
 */
bool sm_settle_drop(struct sm *sm, u32 nodeid)
{
	u32 i;

	for (i = 0; i < sm->co.n_settle; i++)
		if (sm->co.settle[i].nodeid == nodeid) {
			sm->co.settle[i] = sm->co.settle[--sm->co.n_settle];
			return true;
		}
	return false;
}

static void on_quorum(struct sm *sm, const struct sm_quorum *q,
		      struct sm_effects *out)
{
	bool quorate = q->quorate;

	if (q->nodes) {
		u32 n = q->n_nodes < SM_MAX_VIEW ? q->n_nodes : SM_MAX_VIEW;

		memcpy(sm->loc.qnodes, q->nodes, n * sizeof(u32));
		sm->loc.n_qnodes = n;
		sm->loc.qnodes_known = true;
		settle_prune(sm);
	}
	if (quorate == sm->loc.quorate)
		return;
	sm->loc.quorate = quorate;
	fx_log(out, SM_LOG_NOTICE, "quorum %s", quorate ? "gained" : "lost");
	if (!quorate) {
		sm_drop_state(sm, out, "quorum lost");
		return;
	}
	/* NEED_STATEs seen meanwhile still count: their senders are
	 * stateless until a confchg says otherwise. */
	sm->loc.need_sent = false;
	sm_send_need_state(sm, out);
	sm_maybe_cold_start(sm, out);
}

static void on_totem(struct sm *sm, const struct sm_totem *t)
{
	u32 n = t->n_nodes < SM_MAX_VIEW ? t->n_nodes : SM_MAX_VIEW;

	memcpy(sm->loc.totem, t->nodes, n * sizeof(u32));
	sm->loc.n_totem = n;
	sm->loc.totem_known = true;
}

/* ---- admin ---- */

const char *sm_scrub_end_name(u32 end)
{
	switch (end) {
	case SCRUB_NONE: return "none";
	case SCRUB_RUNNING: return "running";
	case SCRUB_FINISHED: return "finished";
	case SCRUB_CANCELLED: return "cancelled";
	case SCRUB_DEGRADED: return "abandoned (a member failed)";
	case SCRUB_IO_ERROR: return "abandoned (IO error)";
	}
	return "?";
}

const char *scrub_blocker(const struct sm *sm, int *err)
{
	const struct rs *rs = &sm->rs;
	int e = -ENODEV;
	const char *why = NULL;
	u32 i;

	if (rs->rb_phase != RB_NONE) {
		e = -EBUSY;
		why = "a rebuild is running: scrub after it has finished";
	} else if (rs->pending_fail) {
		why = "a member is failing: the volume is degraded and parity "
		      "has nothing to be checked against";
	} else {
		for (i = 0; i < sm->cfg.members; i++)
			if (rs->member[i].state != DDRAID_MEMBER_ACTIVE)
				why = "the volume is degraded (a member is not "
				      "active): rebuild it before scrubbing";
	}
	if (why && err)
		*err = e;
	return why;
}

bool scrub_period_done(const struct sm *sm, u32 label)
{
	return label && label <= sm->rs.sc_label;
}

int sm_scrub_refused(const struct sm *sm, const struct sm_admin *a,
		     const char **why)
{
	u32 cmd = a->cmd, mode = a->mode;
	int err = 0;

	if (!sm->loc.has_state || !sm->loc.quorate) {
		*why = "not quorate, or this daemon has no cluster state yet";
		return -EAGAIN;
	}
	if (cmd == SM_ADMIN_SCRUB_CANCEL) {
		if (sm->rs.sc_end == SCRUB_RUNNING)
			return 0;
		*why = "no scrub is running";
		return -EALREADY;
	}
	if (cmd != SM_ADMIN_SCRUB ||
	    (mode != SCRUB_CHECK && mode != SCRUB_REPAIR)) {
		*why = "bad scrub mode";
		return -EINVAL;
	}
	if (scrub_period_done(sm, a->label)) {
		*why = "the scheduled scrub of this period has started already "
		       "(asked for by another node)";
		return -EALREADY;
	}
	if (sm->rs.sc_end == SCRUB_RUNNING) {
		*why = "a scrub is already running (--cancel stops it)";
		return -EBUSY;
	}
	*why = scrub_blocker(sm, &err);
	return *why ? err : 0;
}

int sm_admin_refused(const struct sm *sm, const struct sm_admin *a,
		     const char **why)
{
	const struct rs *rs = &sm->rs;
	static char buf[160];
	size_t len;
	int other;

	if (!sm->loc.has_state || !sm->loc.quorate) {
		*why = "not quorate, or this daemon has no cluster state yet";
		return -EAGAIN;
	}
	switch (a->cmd) {
	case SM_ADMIN_FAIL_MEMBER:
	case SM_ADMIN_REBUILD:
		if (a->member >= sm->cfg.members) {
			*why = "no such member";
			return -EINVAL;
		}
		other = sm_other_out(sm, a->member);
		break;
	case SM_ADMIN_SCRUB:
	case SM_ADMIN_SCRUB_CANCEL:
		return sm_scrub_refused(sm, a, why);
	case SM_ADMIN_FENCED:
		return 0;
	case SM_ADMIN_TUNE:
		*why = cpgmsg_tune_check(a->tune_set, a->tune_clear, a->tune);
		return *why ? -EINVAL : 0;
	default:
		*why = "unknown command";
		return -EINVAL;
	}
	if (a->cmd == SM_ADMIN_FAIL_MEMBER) {
		if (rs->member[a->member].state == DDRAID_MEMBER_FAILED ||
		    rs->pending_fail & (1u << a->member)) {
			*why = "the member is failed already";
			return -EALREADY;
		}
		if (other >= 0) {
			snprintf(buf, sizeof(buf), "member %d is out already: "
				 "failing member %u too would lose data", other,
				 a->member);
			*why = buf;
			return -EBUSY;
		}
		return 0;
	}
	if (a->mode != REBUILD_FULL && a->mode != REBUILD_BITMAP) {
		*why = "bad rebuild mode";
		return -EINVAL;
	}
	len = a->path ? strlen(a->path) : 0;
	if (!len || len > CPGMSG_PATH_MAX) {
		*why = "bad device path";
		return -EINVAL;
	}
	if (rs->member[a->member].state == DDRAID_MEMBER_ACTIVE) {
		*why = "the member is active";
		return -EALREADY;
	}
	if (other >= 0 && (u32)other != a->member &&
	    !(rs->rb_phase != RB_NONE && rs->rb_member == (u32)other)) {
		snprintf(buf, sizeof(buf), "no complete source: member %d is "
			 "out too (the volume needs 'ddraidctl assemble "
			 "--force' once one of them is back)", other);
		*why = buf;
		return -ENODEV;
	}
	if (rs->rb_phase != RB_NONE || rs->pending_fail ||
	    rs->fail_apply[a->member] ||
	    (rs->unrecorded & (1u << a->member))) {
		*why = "another rebuild or a member failure is in progress";
		return -EBUSY;
	}
	return 0;
}

static int on_admin(struct sm *sm, const struct sm_admin *a,
		    struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	struct cpgmsg *m;
	const char *why;
	size_t len;
	char *p;
	int r = sm_admin_refused(sm, a, &why);

	if (r)
		return r;
	switch (a->cmd) {
	case SM_ADMIN_FAIL_MEMBER:
		m = fx_cpg(sm, out, MSG_MEMBER_FAIL);
		m->member = a->member;
		m->err = ECANCELED;
		return 0;
	case SM_ADMIN_REBUILD:
		len = strlen(a->path);
		m = fx_cpg(sm, out, MSG_REBUILD_START);
		m->member = a->member;
		m->mode = a->mode;
		p = fx_own(out, len + 1);
		memcpy(p, a->path, len);
		m->path = p;
		m->path_len = (u32)len;
		return 0;
	case SM_ADMIN_SCRUB_CANCEL:
		fx_cpg(sm, out, MSG_SCRUB_CANCEL);
		return 0;
	case SM_ADMIN_SCRUB:
		m = fx_cpg(sm, out, MSG_SCRUB_START);
		m->mode = a->mode;
		m->label = a->label;
		return 0;
	case SM_ADMIN_TUNE:
		m = fx_cpg(sm, out, MSG_TUNE);
		m->tune_set = a->tune_set;
		m->tune_clear = a->tune_clear;
		memcpy(m->tune, a->tune, sizeof(m->tune));
		return 0;
	case SM_ADMIN_FENCED: {
		int s = rs_slot_of(rs, a->nodeid);
		bool settled = sm->cfg.two_node &&
			sm_settle_drop(sm, a->nodeid);

		if (s < 0 || (rs->slot[s].status != SS_FENCE &&
			      rs->slot[s].status != SS_ORPHAN))
			return settled ? 0 : -EINVAL;
		if (!sm_is_coord(sm))
			return settled ? 0 : -EAGAIN;
		/* Confirmed fencing ends the wait at once. */
		sm->co.fence_ok |= 1u << s;
		return 0;
	}
	}
	return -EINVAL;
}

/*
 * Does this daemon (as coordinator) still want @nodeid fenced? Asked for
 * (SM_FX_FENCE; a minority that has not heard of its quorum loss asks
 * nothing) and still waited for. The runtime's fencer drops requests that
 * are no longer wanted. @coord: sm_is_coord(), which status() finds once
 * for all the slots.
 */
static bool fence_wanted(const struct sm *sm, u32 nodeid, bool coord)
{
	const struct rs *rs = &sm->rs;
	u32 i;
	int s;

	if (!sm->loc.has_state || !coord)
		return false;
	for (i = 0; i < sm->co.n_settle; i++)
		if (sm->co.settle[i].nodeid == nodeid && sm->co.settle[i].asked)
			return true;
	s = rs_slot_of(rs, nodeid);
	if (s < 0 || !(sm->co.fence_asked & (1u << s)))
		return false;
	return (rs->slot[s].status == SS_ORPHAN && !sm_in_totem(sm, nodeid)) ||
	       rs->slot[s].status == SS_FENCE;
}

bool sm_fence_wanted(const struct sm *sm, u32 nodeid)
{
	return fence_wanted(sm, nodeid, sm_is_coord(sm));
}

bool sm_sb_written(const struct sm_sb_facts *f, u32 targets, u32 wrote)
{
	if (f->records_failure)
		return wrote && wrote >= (targets < 2 ? targets : 2);
	return wrote > 0;
}

/* ---- dispatch ---- */

int sm_handle(struct sm *sm, const struct sm_event *ev,
	      struct sm_effects *out)
{
	struct io *io;
	int ret = 0;

	switch (ev->type) {
	case SM_EV_CPG_MSG:
		sm_deliver(sm, ev->msg, out);
		break;
	case SM_EV_CONFCHG:
		on_confchg(sm, &ev->confchg, out);
		break;
	case SM_EV_TOTEM:
		on_totem(sm, &ev->totem);
		break;
	case SM_EV_QUORUM:
		on_quorum(sm, &ev->quorum, out);
		break;
	case SM_EV_TARGET:
		tgt_event(sm, &ev->chan, out);
		break;
	case SM_EV_TARGET_GONE:
		sm->tgt.ready = false;
		memset(sm->tgt.held, 0, bitmap_bytes(sm->cfg.regions));
		if (ev->gone.removed)
			sm->tgt.removed = true;
		fx_log(out, SM_LOG_WARNING, "target %s",
		       ev->gone.removed ? "removed" : "channel closed");
		break;
	case SM_EV_STOP:
		sm->loc.stopping = true;
		break;
	case SM_EV_IO_DONE:
		io = io_find(sm, ev->io.id);
		if (!io) {
			fx_log(out, SM_LOG_WARNING, "unknown IO %llu done",
			       (unsigned long long)ev->io.id);
			break;
		}
		{
			struct io copy = *io;

			io_del(sm, io);
			if (copy.kind == IO_PROBE)
				copy.events = ev->io.events;
			if (copy.kind == IO_BIT_SET ||
			    copy.kind == IO_BIT_CLEAR ||
			    copy.kind == IO_MEMBER_PATH ||
			    copy.kind == IO_PROBE)
				tgt_io_done(sm, &copy, ev->io.result, out);
			else if (copy.epoch == sm->epoch)
				coord_io_done(sm, &copy, &ev->io, out);
		}
		break;
	case SM_EV_TICK:
		if (ev->now > sm->now)
			sm->now = ev->now;
		sm_maybe_cold_start(sm, out);
		break;
	case SM_EV_ADMIN:
		ret = on_admin(sm, &ev->admin, out);
		break;
	default:
		fx_log(out, SM_LOG_ERR, "unknown event %u", ev->type);
		return -EINVAL;
	}
	if (sm->loc.has_state) {
		tgt_kick(sm, out);
		coord_kick(sm, out);
	}
	return ret;
}

/* ---- status ---- */

static bool stop_ready(const struct sm *sm);

/* sm_status() without what walks every region per node (held, fence_wait). */
static void status(const struct sm *sm, struct sm_status *st, bool held)
{
	const struct rs *rs = &sm->rs;
	u64 n_held[DDRAID_BITMAP_SLOTS] = { 0 };
	bool coord;
	u32 i, s;
	u64 r;

	memset(st, 0, sizeof(*st));
	st->nodeid = sm->cfg.nodeid;
	st->has_state = sm->loc.has_state;
	st->quorate = sm->loc.quorate;
	st->frozen = sm->tgt.frozen;
	st->members = sm->cfg.members;
	st->withdrawn = sm->tgt.withdrawn;
	st->withdraw_member = sm->tgt.withdraw_member;
	st->detached = sm->tgt.detached;
	st->stop_ready = sm->loc.stopping && stop_ready(sm);
	st->rebuild_refused_member = CPGMSG_NO_MEMBER;
	st->torn_member = CPGMSG_NO_MEMBER;
	st->regions = sm->cfg.regions;
	st->region_size = sm->cfg.region_size;
	if (!sm->loc.has_state)
		return;
	st->coordinator = sm_coordinator(sm);
	/* Once, not per slot: that made status cubic in the nodes for the
	 * simulator, which takes every daemon's status after every step
	 * (docs/scale.md). */
	coord = sm_is_coord(sm);
	st->events = rs->events;
	/* One pass over the regions for every node's count, not one per
	 * node: 16M regions and 32 nodes (docs/scale.md). */
	for (r = 0; held && r < sm->cfg.regions; r++) {
		u32 mask = rs->held[r];

		while (mask) {
			n_held[__builtin_ctz(mask)]++;
			mask &= mask - 1;
		}
	}
	for (i = 0; i < sm->cfg.members; i++) {
		st->member[i].state = rs->member[i].state;
		st->member[i].failed_events = rs->member[i].failed_events;
		st->member[i].recovery_block = rs->member[i].recovery_block;
		st->member[i].pending_fail = rs->pending_fail & (1u << i);
		st->member[i].probing = rs->probing & (1u << i);
		st->member[i].host = rs_host_slot(rs, i) < 0 ? 0 :
			rs->slot[rs_host_slot(rs, i)].nodeid;
	}
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		struct sm_status_node *n;

		if (!rs->slot[s].nodeid)
			continue;
		n = &st->node[st->n_nodes++];
		n->nodeid = rs->slot[s].nodeid;
		n->slot = (int)s;
		n->attached = rs->slot[s].attached;
		n->orphaned = rs->slot[s].status == SS_ORPHAN;
		n->detached = rs->slot[s].status == SS_DETACHED;
		/* A detached node's daemon may have left since. */
		n->in_view = (rs->slot[s].status == SS_VIEW ||
			      rs->slot[s].status == SS_DETACHED) &&
			     rs_view_find(rs, n->nodeid) >= 0;
		n->path_bad = rs->slot[s].path_bad;
		n->hosts = rs->slot[s].hosts;
		n->fence_wanted = fence_wanted(sm, n->nodeid, coord);
		n->has_state = rs_view_find(rs, n->nodeid) >= 0 &&
			rs->view[rs_view_find(rs, n->nodeid)].has_state;
		n->fencing = rs->slot[s].status == SS_FENCE;
		n->held = n_held[s];
		if (rs->slot[s].status == SS_FENCE)
			st->fence_wait += n->held;
		if (n->nodeid == sm->cfg.nodeid) {
			st->attached = n->attached;
			st->path_bad = n->path_bad;
		}
	}
	st->dirty = rs->n_dirty;
	st->locked = rs->locked;
	st->lock_region = rs->lock_region;
	st->lock_count = rs->lock_count;
	st->lock_purpose = rs->lock_purpose;
	st->rebuilding = rs->rb_phase != RB_NONE;
	st->rebuild_member = rs->rb_member;
	st->rebuild_next = rs->rb_next;
	st->rebuild_done = rs->rb_done;
	/* Counted only while they can hold anything (sm_counts_ok()):
	 * the runtime takes this status after every event. */
	st->rebuild_total = rs->rb_done + (rs->rb_phase == RB_NONE ? 0 :
		bitmap_count(rs->rb_todo, sm->cfg.regions));
	st->scrub_end = rs->sc_end;
	st->scrub_mode = rs->sc_mode;
	st->scrub_next = rs->sc_next;
	st->scrub_mismatches = rs->sc_mismatches;
	st->scrub_repaired = rs->sc_repaired;
	st->scrub_err = rs->sc_err;
	st->scrub_label = rs->sc_label;
	st->torn = rs->torn_member == CPGMSG_NO_MEMBER ? 0 :
		bitmap_count(rs->torn, sm->cfg.regions);
	st->torn_member = rs->torn_member;
	st->rebuild_refused_member = rs->rb_refused_member;
	st->rebuild_refused_node = rs->rb_refused_node;
	st->rebuild_refused_err = rs->rb_refused_err;
}

void sm_status(const struct sm *sm, struct sm_status *st)
{
	status(sm, st, true);
}

void sm_status_brief(const struct sm *sm, struct sm_status *st)
{
	status(sm, st, false);
}

/*
 * May a stopping daemon leave? At once when it has no state to keep
 * (cannot decide anything) or its target still runs (it leaves it
 * orphaned, as a crash would: a restarted daemon takes it over). With its
 * target gone, once its DETACH is through and the member it hosts is out
 * and no target uses it any more (or could not be taken out: another one
 * is out).
 */
static bool stop_ready(const struct sm *sm)
{
	const struct rs *rs = &sm->rs;
	u32 m = sm->cfg.host_member;

	if (!sm->loc.has_state || !sm->loc.quorate)
		return true;
	if (!sm->tgt.removed)
		return true;
	if (!sm->tgt.detached)
		return false;
	if (!sm->cfg.hosting)
		return true;
	if (!sm->tgt.leaving_done || rs->pending_fail & (1u << m))
		return false;
	return rs->member[m].state != DDRAID_MEMBER_FAILED ||
	       !rs->fail_apply[m];
}

u8 *sm_rs_serialize(const struct sm *sm, size_t *len)
{
	if (!sm->loc.has_state)
		return NULL;
	return rs_serialize(sm, &sm->rs, len);
}

bool sm_counts_ok(const struct sm *sm)
{
	const struct rs *rs = &sm->rs;
	u64 regions = sm->cfg.regions;

	return sm->tgt.n_want == bitmap_count(sm->tgt.want, regions) &&
	       bitmap_next(sm->tgt.want, 0, regions) >= sm->tgt.want_lo &&
	       rs->n_dirty == bitmap_count(rs->dirty, regions) &&
	       /* what status() leaves uncounted is empty */
	       (rs->rb_phase != RB_NONE ||
		bitmap_next(rs->rb_todo, 0, regions) == regions) &&
	       bitmap_next(rs->rb_todo, 0, regions) >= rs->rb_low &&
	       (rs->torn_member != CPGMSG_NO_MEMBER ||
		bitmap_next(rs->torn, 0, regions) == regions);
}

int sm_region(const struct sm *sm, u64 r, struct sm_region_info *ri)
{
	const struct rs *rs = &sm->rs;
	u32 s, att = 0;

	if (!sm->loc.has_state)
		return -ENODATA;
	if (r >= sm->cfg.regions)
		return -EINVAL;
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (rs->slot[s].status == SS_VIEW && rs->slot[s].attached)
			att |= 1u << s;
	ri->dirty = ddraid_bit_test(rs->dirty, r);
	ri->locked = rs_lock_covers(rs, r);
	ri->held = rs->held[r];
	ri->waiting = rs->waiting[r];
	ri->unattached = (rs->held[r] | rs->waiting[r]) & ~att;
	return 0;
}
