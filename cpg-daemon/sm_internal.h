/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the ddraidd state machine, shared by its files:
 *   sm.c        life cycle, event dispatch, views, quorum, admin, status
 *   sm_rs.c     the replicated state (RS): region sets, serialization
 *   sm_msg.c    one handler per CPG message type (sm_on_<type>)
 *   sm_target.c our own target: grants, bits, locks, member states
 *   sm_coord.c  coordinator work: superblocks, fencing, resync, rebuild
 *   sm_member.c who says a member is out: host loss, reports and probe
 *               rounds, path faults, the last redundancy
 *
 * Per-node sets in the RS are u32 masks indexed by bitmap slot: a daemon
 * claims a slot before it attaches, so every node that can hold a region
 * or must confirm anything has one.
 */
#ifndef DDRAID_SM_INTERNAL_H
#define DDRAID_SM_INTERNAL_H

#include "sm.h"
#include "pace.h"

#define SM_MAX_VIEW	64	/* CPG view members we track */

/* Slot status: what the node owning the slot is to the cluster. */
enum slot_status {
	SS_NONE = 0,	/* not in the view, holds nothing */
	SS_VIEW,	/* daemon in the view */
	SS_ORPHAN,	/* daemon gone (PROCDOWN/LEAVE), target may write */
	SS_FENCE,	/* node gone (NODEDOWN), waiting for fencing */
	SS_DETACHED,	/* daemon in the view (or gone since), its target
			 * gone or failing all IO: it writes nothing */
};

struct rs_slot {
	u32 nodeid;		/* 0: free */
	u8 persisted;		/* written to the superblocks */
	u8 status;		/* enum slot_status */
	u8 attached;		/* ATTACH delivered (status VIEW) */
	u8 disk_ok;		/* its ATTACH said ATTACH_DISK */
	u32 hosts;		/* member its node hosts, CPGMSG_NO_MEMBER */
	u64 disk_events;	/* events on that disk, at its ATTACH */
	u32 path_bad;		/* members it alone cannot reach */
};

struct rs_view {
	u32 nodeid;
	u8 has_state;		/* ADOPTED delivered (or INIT sender) */
	u64 since;		/* seniority: order in which it got state */
};

enum rebuild_phase {
	RB_NONE = 0,
	RB_READY,		/* waiting for every node's REBUILD_READY */
	RB_WALK,		/* superblocks say rebuilding; walking */
};

/* The replicated state: identical on every daemon with state. */
struct rs {
	u64 events;
	struct cpgmsg_member member[DDRAID_MAX_MEMBERS];
	u32 pending_fail;	/* member mask */
	/* failed members a cold start found on one superblock only, maybe:
	 * recorded again (on two members) before anything skips them */
	u32 unrecorded;
	u32 fail_apply[DDRAID_MAX_MEMBERS];	/* slot masks */
	struct rs_slot slot[DDRAID_BITMAP_SLOTS];
	u32 n_view;
	struct rs_view view[SM_MAX_VIEW];	/* sorted by node id */
	u64 next_since;		/* seniority counter */
	u32 *held;		/* [regions] slot masks */
	u32 *waiting;		/* [regions] slot masks */
	u8 *dirty;		/* region bitmap: change it with rs_dirty_*() */
	/* bits set in dirty: derived (not in the byte form), so that the
	 * resync walk, after every event, skips an all-clean bitmap */
	u64 n_dirty;
	/* lock: regions lock_region..lock_region + lock_count - 1 */
	u8 locked;
	u32 lock_purpose;
	u64 lock_region;
	u32 lock_count;		/* 1, or a resync's or rebuild's span */
	u32 lock_ack;		/* slots still to say LOCKED */
	/* rebuild */
	u8 rb_phase;
	u32 rb_member;
	u32 rb_mode;
	char rb_path[CPGMSG_PATH_MAX + 1];
	u32 rb_ready;		/* slots still to say REBUILD_READY */
	u64 rb_next;		/* walk position */
	u64 rb_done;		/* regions rebuilt */
	u8 *rb_todo;		/* region bitmap */
	/* derived (not in the byte form): no rb_todo bit is set below it,
	 * so that the walk does not scan the rebuilt part again and again */
	u64 rb_low;
	/* scrub: walks regions 0.. in order, one LOCK(scrub) at a time */
	u32 sc_end;		/* enum sm_scrub_end */
	u32 sc_mode;		/* SCRUB_CHECK or SCRUB_REPAIR */
	u64 sc_next;		/* next region to scrub */
	u64 sc_mismatches;
	u64 sc_repaired;
	u32 sc_err;
	u32 sc_label;		/* the last scheduled scrub's period, 0: none
				 * (a later SCRUB_START with a label not
				 * above it is a no-op) */
	/*
	 * Member reports (MEMBER_FAIL) are judged by every attached node
	 * probing the member: the slots still to answer and those that
	 * cannot reach it, per member being probed.
	 */
	u32 probing;		/* member mask */
	u32 probe_voters[DDRAID_MAX_MEMBERS];	/* attached at its start */
	u32 probe_wait[DDRAID_MAX_MEMBERS];
	u32 probe_bad[DDRAID_MAX_MEMBERS];
	/*
	 * Torn regions: a crashed host's unacknowledged writes there left
	 * fragments old or new and parity matching neither; its own member
	 * (torn_member) is out. They wait for that member's return, whose
	 * fragments make the parity whole again.
	 */
	u8 *torn;		/* region bitmap */
	u32 torn_member;	/* CPGMSG_NO_MEMBER: none */
	/* the last rebuild called off (REBUILD_READY with an errno) */
	u32 rb_refused_member;	/* CPGMSG_NO_MEMBER: none */
	u32 rb_refused_node;
	u32 rb_refused_err;
	/* which cold start this state descends from (HISTORY) */
	u64 history;
	/* HISTORY announcements since the last confchg: the first of our
	 * own history, and the first of every other one */
	u64 hist_own_events;	/* 0: not seen */
	u32 n_hist;
	struct {
		u64 history, events;
	} hist[SM_MAX_VIEW];
	/*
	 * Rates set cluster-wide (TUNE): the fields in tune_set override
	 * every node's own --sync-speed-* (sm_rates()). Last in the byte
	 * form.
	 */
	u32 tune_set;		/* TUNE_* mask */
	u64 tune[TUNE_N];	/* bytes/s, by TUNE_* index */
};

/* What an outstanding IO effect was for. */
enum io_kind {
	IO_NONE = 0,
	IO_BIT_SET,
	IO_BIT_CLEAR,
	IO_SB_SLOTS,
	IO_SB_FAIL,
	IO_SB_RB_BEGIN,
	IO_SB_RB_PROGRESS,
	IO_SB_RB_DONE,
	IO_READ_META,
	IO_READ_SLOT,
	IO_READ_ALL_SLOTS,
	IO_RESYNC,
	IO_REBUILD,
	IO_MEMBER_PATH,
	IO_SCRUB,
	IO_PROBE,
};

/* What a probe is for. */
enum probe_why {
	PROBE_ROUND = 1,	/* answer the cluster's probe round */
	PROBE_PATH,		/* our own path fault: is it back? */
	PROBE_HOST,		/* our hosted disk, before ATTACH */
};

struct io {
	u64 id;
	u32 kind;
	u64 region;
	u32 arg;		/* member, slot ... */
	u64 events;
	u32 epoch;		/* sm->epoch when issued (state drops bump) */
};

/* Own slot bits on disk, per region. */
enum bit_state {
	BIT_CLEAR = 0,
	BIT_SETTING,
	BIT_SET,
	BIT_CLEARING,
};

/*
 * What this daemon knows that is not replicated: its corosync membership
 * and quorum, and where it stands in joining the replicated state.
 */
struct sm_local {
	bool quorate;
	bool in_view;
	u32 n_cur_view;
	u32 cur_view[SM_MAX_VIEW];	/* sorted */
	bool totem_known;
	u32 n_totem;
	u32 totem[SM_MAX_VIEW];

	bool has_state;		/* rs is valid */
	u64 seen;		/* messages delivered since the last confchg */
	u32 n_need;		/* NEED_STATE senders since the confchg */
	u32 need[SM_MAX_VIEW];

	/* stateless: buffered messages and the STATE being assembled */
	u32 n_buf, cap_buf;
	u8 **buf;
	size_t *buf_len;
	u8 *st_data;
	u32 st_total, st_have, st_next_part, st_parts;
	u64 st_applied;
	bool st_trigger_ok;	/* part 0 answered a NEED_STATE of this view */
	u32 n_needlog;		/* NEED_STATEs since the confchg: */
	struct {
		u64 index;	/* position (1-based) since the confchg */
		u32 sender;
		u64 seq;
	} needlog[SM_MAX_VIEW];
	bool need_sent;
	bool init_started;
	u64 buf_base;		/* seen when buffering started */
	u64 cold_retry_at;	/* no cold start attempt before */

	/* votequorum's node list at the last quorum event */
	bool qnodes_known;
	u32 n_qnodes;
	u32 qnodes[SM_MAX_VIEW];
	bool stopping;		/* SM_EV_STOP seen */
};

/* Our own target: what it holds, and what we told it (sm_target.c). */
struct sm_tgt {
	bool ready;		/* HELD_END seen */
	bool frozen;		/* we told it FREEZE */
	bool attach_sent;
	bool claim_sent;
	bool path_pending;	/* MEMBER_PATH in flight: no grants yet */
	u8 *held;		/* region bitmap: what the target holds */
	u8 *locked;		/* region bitmap: locks an earlier daemon
				 * left in the target */
	u8 *want;		/* region bitmap: GRANT_REQ not yet granted */
	/* The grant pass runs after every event: it looks at want from
	 * want_lo (no bit is set below it) until it has seen n_want bits
	 * (the bits set), not at the whole bitmap. */
	u64 n_want;
	u64 want_lo;
	u8 *acq_sent;		/* region bitmap: ACQUIRE in flight */
	u8 *rel_sent;		/* region bitmap: RELEASE in flight */
	u8 *bits;		/* [regions] enum bit_state of own slot */
	u32 mstate_sent[DDRAID_MAX_MEMBERS];	/* state told to target */
	u32 fail_applied_sent;	/* member mask: FAIL_APPLIED sent */
	u32 committed;		/* member mask: COMMIT_FAIL sent */
	bool ready_sent;	/* REBUILD_READY sent */
	bool path_done;		/* MEMBER_PATH of the current rebuild done */
	u32 mstate_done[DDRAID_MAX_MEMBERS];	/* target confirmed */
	u32 merr;		/* member mask: MEMBER_ERROR from target */
	u32 merr_sent;		/* member mask: MEMBER_FAIL sent */
	bool sticky;		/* a bit was kept while degraded */
	/*
	 * The cluster's lock as our target knows it: lock_told_mask (bit k:
	 * region lock_told_r + k) the regions we told it to LOCK (or an
	 * earlier daemon did), UNLOCKed when the cluster's lock ends;
	 * lock_wait the regions whose LOCKED we still await before we say
	 * LOCKED to the cluster.
	 */
	bool lock_told;
	u64 lock_told_r;
	u32 lock_told_mask;
	u32 lock_wait;

	bool drained;		/* FROZEN answered our last FREEZE */
	u64 freezes;		/* FREEZEs sent since the channel's HELLO */
	bool removed;		/* the target is destroyed */
	/* our hosted disk, probed before ATTACH */
	bool host_probed, host_probing, host_disk_ok;
	u64 host_events;
	/* probe rounds we answer, and path faults we retry */
	u32 probe_busy;		/* member mask: a probe IO in flight */
	u32 probe_answered;	/* member mask: MEMBER_PROBE sent this round */
	/*
	 * Path faults: since when (+1) the current one lasts, 0: none.
	 * A fault that comes back within path_timeout of its last good
	 * probe continues the old one (path_good_at): a path that passes
	 * probes but fails writes, or flaps, still ends in a withdrawal.
	 */
	u64 path_since[DDRAID_MAX_MEMBERS];
	u64 path_began[DDRAID_MAX_MEMBERS];
	u64 path_good_at[DDRAID_MAX_MEMBERS];
	u32 path_ok_sent;	/* member mask: our PATH_OK not yet seen */
	u64 next_probe[DDRAID_MAX_MEMBERS];
	u32 withdraw_member;	/* CPGMSG_NO_MEMBER: not withdrawing */
	bool detach_sent;	/* DETACH in flight */
	u32 detach_flags;	/* of the last DETACH sent */
	bool detached;		/* our DETACH delivered */
	bool withdrawn;		/* ... and it was a withdrawal */
	bool leaving_done;	/* DETACH(HOST_LEAVING) delivered */
};

/* Coordinator bookkeeping: messages in flight, timers (sm_coord.c). */
struct sm_coord {
	bool state_sent;	/* STATE sent for this view */
	bool sb_busy;
	u32 fail_sent;		/* member mask: MEMBER_FAILED sent */
	u32 slots_sent;		/* slot mask: SLOT_PERSISTED in flight */
	bool lock_sent;		/* LOCK in flight */
	bool lock_io;		/* RESYNC/REBUILD in flight */
	bool unlock_sent;
	bool rb_begin_sent, rb_done_sent;
	u32 fence_sent;		/* slot mask */
	u32 fence_ok;		/* slot mask: fencing confirmed by admin */
	u32 fence_asked;	/* slot mask: SM_FX_FENCE issued */
	bool fence_reading;
	u64 fence_since[DDRAID_BITMAP_SLOTS];	/* 0: not waiting */
	struct pace pace;	/* rebuild and scrub rate (pace.h) */
	u64 fg_at;		/* now + 1 at the last grant seen (0: none) */
	u64 rb_progress_at;	/* rb_done value persisted last */
	u8 *rb_filter;		/* regions REBUILD_BEGIN will name */
	u32 fence_timing;	/* slot mask: fence_since[] valid */
	/*
	 * now + 1 when a NODEDOWN was last seen (0: never). We may be the
	 * minority of a partition that has not heard of its quorum loss
	 * yet: touch no shared metadata and lock nothing for fence_delay.
	 */
	u64 settle_since;
	/* nodes that left with NODEDOWN, until a quorum event no longer
	 * counts them (then our quorum news is current) */
	u32 n_settle;
	struct {
		u32 nodeid;
		bool asked;	/* two_node: SM_FX_FENCE sent for it */
	} settle[SM_MAX_VIEW];
	/* automatic re-add: not before this time, per member */
	u64 readd_at[DDRAID_MAX_MEMBERS];
	u64 readd_backoff[DDRAID_MAX_MEMBERS];
};

/*
 * One daemon's state machine: the replicated state (identical on every
 * daemon with state), what this daemon alone knows (loc), its own
 * target's side (tgt) and, when it coordinates, the coordinator's
 * bookkeeping (co).
 */
struct sm {
	struct sm_config cfg;
	u32 debug;
	u64 now;
	u64 next_id;
	u32 epoch;		/* bumped whenever the RS is dropped */

	struct rs rs;
	struct sm_local loc;
	struct sm_tgt tgt;
	struct sm_coord co;

	/* outstanding IO */
	u32 n_io, cap_io;
	struct io *io;
};

/* ---- sm.c: effect helpers ---- */
struct sm_effect *fx_add(struct sm_effects *out, u32 type);
void *fx_own(struct sm_effects *out, size_t bytes);
void fx_log(struct sm_effects *out, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fx_chan(struct sm *sm, struct sm_effects *out, u16 type, u64 region,
	     u64 arg, u32 status, u32 flags);
struct cpgmsg *fx_cpg(struct sm *sm, struct sm_effects *out, u16 type);
struct io *io_new(struct sm *sm, u32 kind);
struct io *io_find(struct sm *sm, u64 id);
void io_del(struct sm *sm, struct io *io);
bool io_pending(const struct sm *sm, u32 kind);
u32 sm_coordinator(const struct sm *sm);
bool sm_is_coord(const struct sm *sm);
void sm_drop_state(struct sm *sm, struct sm_effects *out, const char *why);
/* Ask for the RS when stateless, quorate and in a view (once). */
void sm_send_need_state(struct sm *sm, struct sm_effects *out);
/* The member other than m that is out (failed, rebuilding, pending), or
 * -1: while there is one, no second member is taken out. */
int sm_other_out(const struct sm *sm, u32 m);
/*
 * Why the RS forbids a scrub now (a rebuild, a member not active or
 * failing), or NULL; *err (if given) the errno for the user.
 */
const char *scrub_blocker(const struct sm *sm, int *err);
/* Has the scheduled scrub of period @label (0: an operator's, never)
 * started already, or one of a later period? */
bool scrub_period_done(const struct sm *sm, u32 label);

/* Slot of the node hosting member m, or -1. */
int rs_host_slot(const struct rs *rs, u32 m);
/* Slots whose daemon is in the view and attached. */
u32 rs_attached_mask(const struct rs *rs);
/*
 * Take member m out (host gone, its own IO failed, unreachable): unless
 * another member is out already (the last redundancy is never thrown
 * away), it becomes pending_fail. False when refused.
 */
bool rs_member_out(struct sm *sm, u32 m, const char *why,
		   struct sm_effects *out);
/* A slot leaves the judging of probe rounds (detached, fenced, gone). */
void rs_probe_drop_slot(struct sm *sm, u32 s, struct sm_effects *out);
/* sm_member.c: MEMBER_FAIL and MEMBER_PROBE from slot s. */
void rs_member_report(struct sm *sm, u32 s, u32 m, u32 err,
		      struct sm_effects *out);
void rs_member_probed(struct sm *sm, u32 s, u32 m, u32 err,
		      struct sm_effects *out);
/* The node of slot s is gone with its disk: its hosted member is out. */
void rs_host_gone(struct sm *sm, u32 s, const char *why,
		  struct sm_effects *out);
void rs_member_failed(struct sm *sm, u32 m);
void rs_set_host(struct sm *sm, u32 s, const struct cpgmsg *msg,
		 struct sm_effects *out);
/* sm_msg.c: end the running scrub. */
void rs_scrub_stop(struct sm *sm, u32 end, struct sm_effects *out);

/* ---- sm_rs.c ---- */
int rs_alloc(struct rs *rs, u64 regions);
void rs_free(struct rs *rs);
void rs_clear(struct rs *rs, u64 regions);
int rs_slot_of(const struct rs *rs, u32 nodeid);
int rs_view_find(const struct rs *rs, u32 nodeid);
/* The first region still to rebuild (@regions if none). */
u64 rs_rb_first(struct rs *rs, u64 regions);
/* Region @r is to be rebuilt (again). */
void rs_rb_todo_set(struct rs *rs, u64 r);

/* Is region @r under the cluster's lock? */
static inline bool rs_lock_covers(const struct rs *rs, u64 r)
{
	return rs->locked && r >= rs->lock_region &&
	       r - rs->lock_region < rs->lock_count;
}

/* Slots holding any region under the cluster's lock. */
static inline u32 rs_lock_holders(const struct rs *rs)
{
	u32 k, mask = 0;

	for (k = 0; k < rs->lock_count; k++)
		mask |= rs->held[rs->lock_region + k];
	return mask;
}
u8 *rs_serialize(const struct sm *sm, const struct rs *rs, size_t *len);
int rs_deserialize(struct sm *sm, struct rs *rs, const u8 *buf, size_t len,
		   const char **why);
/*
 * Encode a region bitmap as runs into effect-owned memory: at most
 * RUNS_MAX runs (half a message body), a superset when it is more
 * fragmented than that.
 */
#define RUNS_MAX	(CPGMSG_BODY_MAX / CPGMSG_RUN_BYTES / 2)
struct cpgmsg_runs runs_from_bitmap(struct sm_effects *out, const u8 *map,
				    u64 regions);
void bitmap_or_runs(u8 *map, const struct cpgmsg_runs *runs, u64 regions);
u64 bitmap_count(const u8 *map, u64 regions);
/* Mark region r dirty, clean, or the regions of @runs dirty (n_dirty). */
void rs_dirty_set(struct rs *rs, u64 r);
void rs_dirty_clear(struct rs *rs, u64 r);
void rs_dirty_or_runs(struct rs *rs, const struct cpgmsg_runs *runs,
		      u64 regions);
static inline size_t bitmap_bytes(u64 regions)
{
	return (size_t)((regions + 7) / 8);
}

/* Are the 64 bytes at @p all zero? (Eight words OR'ed: vectorized.) */
static inline bool bitmap_block_zero(const u8 *p)
{
	u64 w[8];

	memcpy(w, p, sizeof(w));
	return !(w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]);
}

/*
 * The first set bit at or after @r, or @regions. Several run per event
 * (grant pass, resync and rebuild walks), so it skips empty 64-byte
 * blocks, then empty bytes: an empty 16M-region bitmap (64 TiB in 4 MiB
 * regions) costs tens of microseconds, not milliseconds
 * (docs/scale.md).
 */
static inline u64 bitmap_next(const u8 *map, u64 r, u64 regions)
{
	u64 blocks_end = regions & ~(u64)511;	/* whole 512-bit blocks */

	while (r < regions) {
		if (!(r & 511) && r < blocks_end &&
		    bitmap_block_zero(map + (r >> 3))) {
			r += 512;
			continue;
		}
		if (!(r & 7) && !map[r >> 3]) {
			r += 8;
			continue;
		}
		if (ddraid_bit_test(map, r))
			return r;
		r++;
	}
	return regions;
}

/* ---- sm_msg.c ---- */
void sm_deliver(struct sm *sm, const struct cpgmsg *m, struct sm_effects *out);
void sm_maybe_cold_start(struct sm *sm, struct sm_effects *out);
void sm_send_state(struct sm *sm, const struct cpgmsg *trigger,
		   struct sm_effects *out);
#define STATE_PREFIX	12	/* trigger sender le32, trigger seq le64 */
#define STATE_PART_MAX	(60u << 10)

/* ---- sm_target.c ---- */
void tgt_event(struct sm *sm, const struct ddraid_chan_msg *c,
	       struct sm_effects *out);
void tgt_io_done(struct sm *sm, struct io *io, int result,
		 struct sm_effects *out);
void tgt_kick(struct sm *sm, struct sm_effects *out);
void tgt_on_own_attach(struct sm *sm, struct sm_effects *out);
void tgt_sync_members(struct sm *sm, struct sm_effects *out);
void tgt_maybe_clear(struct sm *sm, u64 r, struct sm_effects *out);
/* Our write intent for region r is on the members: a grant may go. */
bool tgt_intent_ready(const struct sm *sm, u64 r);
/* Grant region r to our target (it is held, and our intent is set). */
void tgt_grant(struct sm *sm, u64 r, struct sm_effects *out);
/* The cluster's lock covers regions we hold: tell our target to drain. */
void tgt_lock_tell(struct sm *sm, struct sm_effects *out);
/* Our target has nothing in flight in r any more (LOCKED, or released). */
void tgt_lock_drained(struct sm *sm, u64 r, struct sm_effects *out);
void tgt_try_attach(struct sm *sm, struct sm_effects *out);
void tgt_probe_done(struct sm *sm, const struct io *io, int result,
		    struct sm_effects *out);

/* ---- sm_coord.c ---- */
void coord_kick(struct sm *sm, struct sm_effects *out);
void coord_io_done(struct sm *sm, struct io *io, const struct sm_io_done *d,
		   struct sm_effects *out);
/* Forget messages in flight (view change); @all: IO in flight too. */
void coord_reset(struct sm *sm, bool all);
bool sm_in_totem(const struct sm *sm, u32 nodeid);
bool sm_settle_drop(struct sm *sm, u32 nodeid);

#endif /* DDRAID_SM_INTERNAL_H */
