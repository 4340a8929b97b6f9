/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The replicated state machine of ddraidd (docs/cluster-protocol.md).
 *
 * "Sans-IO": the state machine does no IO, reads no clock, and never calls
 * corosync. The runtime (ddraidd) or the simulator (tests/sim) feeds it
 * events through sm_handle() and carries out the effects it returns, in
 * order. Every effect that does IO carries an id; the runtime reports its
 * completion later as an SM_EV_IO_DONE event with that id. Because the
 * same code runs in the simulator and in the daemon, everything the
 * simulator proves about it holds for the daemon.
 *
 * Threading: none. One struct sm per volume per daemon; call sm_handle()
 * from one thread.
 *
 * Runtime contract (what ddraidd must do):
 *  - Deliver every CPG message of the volume's group that cpgmsg_decode()
 *    accepts, in delivery order, as SM_EV_CPG_MSG (drop and log the ones it
 *    refuses: the decoder is deterministic, so every daemon drops the same).
 *    Deliver every CPG configuration change as SM_EV_CONFCHG, interleaved
 *    with messages exactly as corosync delivered them.
 *  - Deliver totem membership changes (node ids alive in corosync) as
 *    SM_EV_TOTEM and votequorum changes as SM_EV_QUORUM, with the node
 *    ids votequorum counts as members of the ring it computed quorum for
 *    (every notification, also those that do not change "quorate").
 *  - Deliver every message from the kernel channel as SM_EV_TARGET and the
 *    loss of the channel as SM_EV_TARGET_GONE.
 *  - Call SM_EV_TICK with a monotonic time (any unit: the one fence_delay
 *    is given in) at least every few hundred milliseconds.
 *  - Carry out the effects in the order given; report each IO effect once
 *    with SM_EV_IO_DONE (result 0 or a negative errno).
 *  - Bitmap IO: all bit effects of one slot must reach the disks in the
 *    order they were issued (keep one in-memory image per slot and write
 *    pages in order). The state machine never issues two bit effects for
 *    the same region of the same slot at once.
 */
#ifndef DDRAID_SM_H
#define DDRAID_SM_H

#include "ddraid_compat.h"
#include "ddraid_format.h"
#include "ddraid_chan.h"
#include "cpgmsg.h"

struct sm;

/*
 * Foreground writes seen (a grant handed out) within this many time units
 * make rebuild and scrub run at sync_min rather than sync_max (the
 * default of sm_config.pace_busy).
 */
#define SM_PACE_BUSY	2000

/* Facts the state machine starts from (the local superblocks). */
struct sm_config {
	u32 nodeid;		/* this node's corosync node id, non-zero */
	u32 members;		/* n: 2, 3, 5 or 9 */
	u64 regions;		/* regions of the volume, >= 1 */
	u64 region_size;	/* bytes; only reported in status */
	u64 fence_delay;	/* time (SM_EV_TICK units) after a NODEDOWN
				 * before its regions are resynced */
	u32 progress_every;	/* rebuild: REBUILD_PROGRESS every this many
				 * regions (>= 1) */
	/*
	 * Pacing of online rebuild and scrub (pace.h), in volume bytes per
	 * 1000 time units (bytes/s with a millisecond clock), as md's
	 * sync_speed_max/min: up to sync_max (0: unlimited) while no
	 * foreground writes were seen for SM_PACE_BUSY, else sync_min
	 * (0: sync_max applies then too). Resync is not paced. Rates set
	 * cluster-wide (SM_ADMIN_TUNE) override these: sm_rates().
	 */
	u64 sync_max;
	u64 sync_min;
	u64 pace_busy;		/* time units; 0: SM_PACE_BUSY */
	/*
	 * Wait for SM_ADMIN_FENCED for every departed node, not only for
	 * orphans. Without it, fence_delay must exceed the time a cut-off
	 * daemon needs to hear of its quorum loss and freeze its target; a
	 * daemon dying in that very moment leaves its target unfrozen.
	 */
	bool require_fencing;
	/*
	 * corosync quorum.two_node: both halves of a partition stay quorate,
	 * so quorum news says nothing about who was cut off. After a
	 * NODEDOWN nothing goes on (no failure recorded, no resync, no
	 * lock) until the departed node is fenced (SM_ADMIN_FENCED) or is
	 * back in the view; the coordinator asks for it (SM_FX_FENCE).
	 * Needs @require_fencing.
	 */
	bool two_node;
	/*
	 * The member whose disk this node hosts (its own disk, exported to
	 * the others); none on a SAN or a diskless node. A
	 * member whose host leaves the cluster is out until it is re-added
	 * (docs/cluster-protocol.md, "host loss"). Only with @hosting.
	 */
	bool hosting;
	u32 host_member;
	/*
	 * A path fault (this node alone cannot reach a member the cluster
	 * reaches): how long the node's writes wait for the path before it
	 * withdraws, and how often it probes the member meanwhile (0:
	 * twice fence_delay, and a tenth of it).
	 */
	u64 path_timeout;
	u64 probe_interval;
	/* Do not re-add a returning host's member on our own. */
	bool no_auto_readd;
	/*
	 * Regions one resync or rebuild lock may cover (1..
	 * CPGMSG_LOCK_SPAN_MAX; 0: SM_SYNC_SPAN); a rebuild's only while
	 * no foreground writes are seen and no rate limit applies: the
	 * lock's rounds of messages, the pipeline's start, the flush and
	 * the bit copy are paid once per span, not per region.
	 */
	u32 sync_span;
};

#define SM_SYNC_SPAN	8

/* ---- events ---- */

enum sm_event_type {
	SM_EV_CPG_MSG = 1,	/* .msg: a decoded CPG message */
	SM_EV_CONFCHG,		/* .confchg: CPG view change */
	SM_EV_TOTEM,		/* .totem: node ids in the corosync ring */
	SM_EV_QUORUM,		/* .quorum */
	SM_EV_TARGET,		/* .chan: a message from our target */
	SM_EV_TARGET_GONE,	/* the kernel channel closed (POLLHUP) */
	SM_EV_IO_DONE,		/* .io: an IO effect finished */
	SM_EV_TICK,		/* .now: monotonic time */
	SM_EV_ADMIN,		/* .admin: a ddraidctl command */
	/*
	 * The daemon is stopping (SIGTERM). With its target gone it detaches
	 * cleanly and takes the member it hosts out; sm_status() says when
	 * it may leave (stop_ready).
	 */
	SM_EV_STOP,
};

/* Why a daemon left the CPG view (the values of CPG_REASON_*). */
enum sm_left_reason {
	SM_LEFT_JOIN = 1,
	SM_LEFT_LEAVE = 2,
	SM_LEFT_NODEDOWN = 3,
	SM_LEFT_NODEUP = 4,
	SM_LEFT_PROCDOWN = 5,
};

struct sm_left {
	u32 nodeid;
	u32 reason;		/* enum sm_left_reason */
};

/* One CPG configuration change; node ids, one daemon per node. */
struct sm_confchg {
	const u32 *members;	/* the new view, any order */
	u32 n_members;
	const struct sm_left *left;
	u32 n_left;
	const u32 *joined;
	u32 n_joined;
};

struct sm_totem {
	const u32 *nodes;	/* node ids alive in corosync */
	u32 n_nodes;
};

/* A votequorum notification. */
struct sm_quorum {
	bool quorate;
	/*
	 * The node ids quorum was computed over (votequorum's members of
	 * the current ring); NULL when the runtime cannot say. A daemon
	 * that saw a node leave knows its quorum news is current once a
	 * notification no longer counts that node.
	 */
	const u32 *nodes;
	u32 n_nodes;
};

/*
 * What a READ_META effect found (cold start): superblock facts (the copy
 * with the newest events over all readable members) and the union of all
 * slots of all readable members. @dirty has ceil(regions / 8) bytes in the
 * on-disk bit order; it may be NULL when the read failed.
 */
struct sm_meta {
	u64 events;
	struct cpgmsg_member member[DDRAID_MAX_MEMBERS];
	u32 slots[DDRAID_BITMAP_SLOTS];
	const u8 *dirty;
	u32 read;		/* members whose superblock was read */
};

struct sm_io_done {
	u64 id;			/* the effect's id */
	int result;		/* 0 or -errno; SCRUB: >= 0 is the number of
				 * blocks whose parity differed */
	const struct sm_meta *meta;	/* READ_META only */
	const u8 *bits;		/* READ_SLOT(S) only: ceil(regions / 8)
				 * bytes, the union over members */
	const u8 *others;	/* READ_SLOT only: the union of every other
				 * slot (same size), or NULL */
	u64 events;		/* PROBE: the member superblock's events */
};

enum sm_admin_cmd {
	SM_ADMIN_REBUILD = 1,	/* member, mode, path */
	SM_ADMIN_FAIL_MEMBER,	/* member */
	SM_ADMIN_FENCED,	/* nodeid: fencing confirmed (Pacemaker) */
	SM_ADMIN_SCRUB,		/* mode: SCRUB_CHECK or SCRUB_REPAIR */
	SM_ADMIN_SCRUB_CANCEL,
	SM_ADMIN_TUNE,		/* tune_set, tune_clear, tune: rates for
				 * every node (MSG_TUNE) */
};

struct sm_admin {
	u32 cmd;		/* enum sm_admin_cmd */
	u32 member;
	u32 mode;		/* REBUILD_FULL or REBUILD_BITMAP; SCRUB_* */
	u32 label;		/* SCRUB: 0 (an operator's) or a scheduled
				 * scrub's period (cpgmsg.h, SCRUB_START) */
	const char *path;	/* NUL-terminated, <= CPGMSG_PATH_MAX bytes */
	u32 nodeid;
	/* TUNE: the fields to set and to give back to the nodes' own
	 * config (TUNE_* masks), the values by TUNE_* index (bytes/s) */
	u32 tune_set, tune_clear;
	u64 tune[TUNE_N];
};

struct sm_event {
	u32 type;		/* enum sm_event_type */
	union {
		const struct cpgmsg *msg;
		struct sm_confchg confchg;
		struct sm_totem totem;
		struct sm_quorum quorum;
		struct ddraid_chan_msg chan;
		struct sm_io_done io;
		u64 now;
		struct sm_admin admin;
		struct {
			/* The target is destroyed (its table removed), not
			 * just our channel to it: it writes nothing any more. */
			bool removed;
		} gone;
	};
};

/* ---- effects ---- */

enum sm_effect_type {
	/* .cpg: multicast to the group (cpg_mcast_joined, CPG_TYPE_AGREED).
	 * The message's pointers stay valid until sm_effects_reset(). */
	SM_FX_CPG_SEND = 1,
	/* .chan: write to the kernel channel (encode with the volume's
	 * limits). */
	SM_FX_TARGET_SEND,
	/* IO .bit: set bit .region in slot .slot on every member not failed
	 * (a member being rebuilt included, once its device is in place),
	 * and flush. */
	SM_FX_BIT_SET,
	/* IO .bit: clear it (same rules; need not flush after), but first
	 * flush every member in .bit.flush: what was written to the region
	 * must be on their platters, not in a cache a crash of their host
	 * would take (docs/cluster-protocol.md, "host loss"). A member that
	 * cannot be flushed (gone, out of reach) fails the effect: the bit
	 * stays. */
	SM_FX_BIT_CLEAR,
	/* IO .sb: write both superblock copies on every member not failed
	 * (flush between copies), with these facts. A former coordinator's
	 * write may still be in flight: never lower a member's events (then
	 * write only the slot table), never clear a slot entry (slots are
	 * only ever assigned: merge them with what is on disk). */
	SM_FX_WRITE_SB,
	/* IO: read superblocks and all 32 slots of every member; report an
	 * struct sm_meta. */
	SM_FX_READ_META,
	/* IO .slot: read one slot (union over members); report .bits, and
	 * in .others the union of every other slot. */
	SM_FX_READ_SLOT,
	/* IO: read every slot (union over slots and members); report .bits. */
	SM_FX_READ_ALL_SLOTS,
	/* IO .region, .count: recompute parity of regions .region ..
	 * .region + .count - 1 from the data members. Members in .missing
	 * hold nothing valid there (failed, or being rebuilt and not yet
	 * rebuilt in these regions): with a data member missing the parity
	 * is the only copy of its fragments and must be left alone; with
	 * the parity missing there is nothing to do. */
	SM_FX_RESYNC,
	/* IO .rebuild, .count: reconstruct member .member's fragments of
	 * regions .region .. .region + .count - 1 from the others and write
	 * them to it, and copy those regions' bits of every slot (the union
	 * over the others) onto it: once active, the new member must carry
	 * the write intent of the others (I2). A region whose bit is set in
	 * .rebuild.torn holds torn writes of the member's own host
	 * (docs/cluster-protocol.md, "torn regions"): instead of
	 * reconstructing, recompute its parity from every data member, the
	 * returning one included, then copy the bits the same way. */
	SM_FX_REBUILD,
	/* IO .rebuild: make the target write member .member at .path (e.g.
	 * reload the dm table); reads must still avoid it. Then the state
	 * machine sends MEMBER_STATE rebuilding itself. */
	SM_FX_MEMBER_PATH,
	/* .log: a line for the log. */
	SM_FX_LOG,
	/* IO .scrub: compare the parity of region .scrub.region with the
	 * XOR of the data members, block by block; with .scrub.repair
	 * rewrite the parity of the blocks that differ (never data). Log
	 * each mismatching block. Report the number of mismatching blocks
	 * as the (non-negative) result, or -errno. Every member is active
	 * and the region is locked cluster-wide when it is issued. */
	SM_FX_SCRUB,
	/*
	 * .mstate: the state member .mstate.member has for this daemon's own
	 * IO from now on (bitmap writes, superblocks, resync, rebuild and
	 * scrub skip a failed member). Carried out in order with the IO
	 * effects around it, like them, but reports no completion.
	 */
	SM_FX_MEMBER_STATE,
	/*
	 * .nodeid: the coordinator waits for node .nodeid to be fenced.
	 * A runtime with a fencer (Pacemaker's) has it fenced, or learns
	 * that it was, and reports SM_ADMIN_FENCED; one without leaves it
	 * to the operator (ddraidctl fenced). No completion either way.
	 */
	SM_FX_FENCE,
	/*
	 * IO .probe: read member .probe.member's superblock through this
	 * node's own path (direct IO, no cache). Result 0 with .events when
	 * it is this volume's member of that index, -ENODEV when the device
	 * answers but holds something else (blank, another volume), or the
	 * errno of the read.
	 */
	SM_FX_PROBE,
};

enum sm_log_level {
	SM_LOG_ERR = 3,
	SM_LOG_WARNING = 4,
	SM_LOG_NOTICE = 5,
	SM_LOG_INFO = 6,
	SM_LOG_DEBUG = 7,
};

#define SM_LOG_TEXT	160

/* What a WRITE_SB effect writes: the fields the cluster owns. */
struct sm_sb_facts {
	u64 events;
	struct cpgmsg_member member[DDRAID_MAX_MEMBERS];
	u32 slots[DDRAID_BITMAP_SLOTS];
	/* It records a member failed (see sm_sb_written()). */
	bool records_failure;
};

/*
 * Did a WRITE_SB effect succeed, written on @wrote of the @targets members
 * it writes (those not recorded failed)? A failure record needs two (or
 * every one, when fewer): every assembly reads all members but one, so
 * it sees the record and never reads the member as current (invariant
 * 4). Fewer: the coordinator (cut off from members on its own path) tries
 * again, or hands the role over when it withdraws. Anything else needs
 * one: the slot table is also in the replicated state and every later
 * write carries it, and at worst a cold start that misses a claim treats
 * the slot's bits as dirty anyway.
 */
bool sm_sb_written(const struct sm_sb_facts *f, u32 targets, u32 wrote);

struct sm_effect {
	u32 type;		/* enum sm_effect_type */
	u64 id;			/* IO effects: non-zero, unique per sm */
	u32 missing;		/* RESYNC: member mask, see above */
	u32 count;		/* RESYNC, REBUILD: regions from the first */
	union {
		struct cpgmsg cpg;
		struct ddraid_chan_msg chan;
		struct {
			u32 slot;
			u64 region;
			/* CLEAR: members to flush first (not failed when it
			 * was decided); any that cannot be flushed fails it */
			u32 flush;
		} bit;
		u32 slot;
		u64 region;
		struct {
			u32 member;
			u64 region;
			/* MEMBER_PATH, NUL-terminated; "" means the device
			 * this node already has for the member (a returning
			 * host's disk, reconnected by the transport) */
			const char *path;
			/* REBUILD: bit k, region .region + k is torn */
			u32 torn;
		} rebuild;
		struct {
			u32 member;
		} probe;
		struct sm_sb_facts sb;
		struct {
			u64 region;
			bool repair;
		} scrub;
		struct {
			u32 member;
			u32 state;	/* enum ddraid_member_state */
		} mstate;
		u32 nodeid;
		struct {
			int level;
			char text[SM_LOG_TEXT];
		} log;
	};
};

/* A growing list of effects, owned by the caller, reused across calls. */
struct sm_effects {
	struct sm_effect *fx;
	u32 n;
	u32 cap;
	/* memory the effects point to (message bodies), freed on reset */
	void **owned;
	u32 n_owned, cap_owned;
};

void sm_effects_init(struct sm_effects *e);
/* Forget the effects (and free what they point to); keep the arrays. */
void sm_effects_reset(struct sm_effects *e);
void sm_effects_free(struct sm_effects *e);

/* ---- the state machine ---- */

/*
 * A new state machine for one volume, without replicated state: it will
 * ask for it (NEED_STATE) once it is in a CPG view and quorate, or cold
 * start the cluster from the disks when no daemon has state. Returns NULL
 * (and *why) on a bad config or out of memory.
 */
struct sm *sm_new(const struct sm_config *cfg, const char **why);
void sm_free(struct sm *sm);

/*
 * Feed one event; append the effects to @out (which is not reset).
 * Returns 0, or for SM_EV_ADMIN a negative errno the runtime reports to the
 * user (nothing changed then): -EAGAIN not quorate / no state yet, -EINVAL
 * bad member, mode or path, -EBUSY another rebuild or failure pending,
 * -EALREADY member already in that state. Scrub commands: see
 * sm_scrub_refused(). Events that make no sense
 * (IO completions with unknown ids, target messages out of place) are
 * logged and ignored; they return 0.
 */
int sm_handle(struct sm *sm, const struct sm_event *ev,
	      struct sm_effects *out);

/* ---- status (ddraidctl status) ---- */

struct sm_status_member {
	u32 state;		/* enum ddraid_member_state */
	u64 failed_events;
	u64 recovery_block;
	bool pending_fail;	/* reported failing, not yet recorded */
	u32 host;		/* node id of the node whose disk it is, 0 */
	bool probing;		/* reported: the nodes check their paths */
};

struct sm_status_node {
	u32 nodeid;
	bool has_state;
	bool attached;		/* ATTACH delivered */
	bool orphaned;		/* daemon gone, target may still write */
	/*
	 * Orphaned and gone from corosync: its target may still run, cut
	 * off, with nobody to freeze it. The runtime must fence the node
	 * (Pacemaker/STONITH) and then report SM_ADMIN_FENCED.
	 */
	bool fence_wanted;
	int slot;		/* -1: none */
	u64 held;		/* regions it holds */
	bool detached;		/* left on purpose: its target writes nothing */
	bool in_view;		/* its daemon is in the CPG view */
	u32 path_bad;		/* members it alone cannot reach */
	u32 hosts;		/* the member it hosts, CPGMSG_NO_MEMBER */
	bool fencing;		/* gone, the cluster waits for its fencing */
};

struct sm_status {
	u32 nodeid;
	bool has_state;
	bool quorate;
	bool attached;		/* our ATTACH was delivered */
	bool frozen;		/* our target is frozen */
	u32 coordinator;	/* node id, 0 if none */
	u64 events;
	u32 members;
	struct sm_status_member member[DDRAID_MAX_MEMBERS];
	u32 n_nodes;
	struct sm_status_node node[DDRAID_BITMAP_SLOTS];
	u64 regions;
	u64 region_size;
	u64 dirty;		/* regions awaiting resync */
	u64 fence_wait;		/* regions waiting for fence_delay */
	bool locked;
	u64 lock_region;
	u32 lock_count;		/* regions from lock_region */
	u32 lock_purpose;	/* LOCK_RESYNC or LOCK_REBUILD */
	bool rebuilding;
	u32 rebuild_member;
	u64 rebuild_next;	/* next region */
	u64 rebuild_total;	/* regions to walk */
	u64 rebuild_done;
	/* the running scrub, or the last one (scrub_end says how it ended) */
	u32 scrub_end;		/* enum sm_scrub_end */
	u32 scrub_mode;		/* SCRUB_CHECK or SCRUB_REPAIR */
	u64 scrub_next;		/* regions scrubbed (in order from 0) */
	u64 scrub_mismatches;	/* blocks whose parity differed */
	u64 scrub_repaired;	/* of those, parity rewritten */
	u32 scrub_err;		/* SCRUB_IO_ERROR: positive errno */
	u32 scrub_label;	/* the period of the last scheduled scrub
				 * started (day number), 0: none */
	/* regions holding a crashed host's torn writes, waiting for its
	 * member's return (docs/cluster-protocol.md, "torn regions") */
	u64 torn;
	u32 torn_member;
	/* the last rebuild the cluster called off, and why */
	u32 rebuild_refused_member;	/* CPGMSG_NO_MEMBER: none */
	u32 rebuild_refused_node;
	u32 rebuild_refused_err;
	/* this node's path faults and withdrawal */
	u32 path_bad;		/* members we cannot reach, the cluster can */
	bool withdrawn;		/* our DETACH (withdraw) was delivered: the
				 * runtime exits, its target fails IO */
	u32 withdraw_member;
	bool detached;		/* our DETACH was delivered */
	bool stop_ready;	/* SM_EV_STOP: the daemon may leave now */
};

/* How the current or last scrub stands (replicated). */
enum sm_scrub_end {
	SCRUB_NONE = 0,		/* none since the cluster (cold) started */
	SCRUB_RUNNING,
	SCRUB_FINISHED,		/* every region scrubbed */
	SCRUB_CANCELLED,	/* ddraidctl scrub --cancel */
	SCRUB_DEGRADED,		/* abandoned: a member failed */
	SCRUB_IO_ERROR,		/* abandoned: the scrub IO failed */
};

/* "none", "running", "finished", "cancelled", "abandoned (...)". */
const char *sm_scrub_end_name(u32 end);

/*
 * Would the scrub command @a (SM_ADMIN_SCRUB or SM_ADMIN_SCRUB_CANCEL)
 * be refused now? 0, or the negative errno SM_EV_ADMIN would return with
 * *why set to a sentence for the user: -EAGAIN no state or quorum,
 * -EBUSY a scrub (or a rebuild) runs, -ENODEV the volume is degraded,
 * -EALREADY (cancel) no scrub runs, (scheduled, @a->label) the scrub of
 * that period or a later one has started already, -EINVAL bad mode.
 *
 * A scheduled scrub is asked for by every node's timer: the first
 * SCRUB_START of a period delivered starts it, the others are no-ops on
 * every daemon alike (the label is compared with the replicated state's,
 * at delivery). So a refusal here only spares a message; the runtime
 * tells the timer "skipped" for -EALREADY, -EBUSY and -ENODEV.
 */
int sm_scrub_refused(const struct sm *sm, const struct sm_admin *a,
		     const char **why);

/*
 * Would the admin command @a be refused now? 0, or the negative errno
 * SM_EV_ADMIN returns, with *why a sentence for the user.
 */
int sm_admin_refused(const struct sm *sm, const struct sm_admin *a,
		     const char **why);

/*
 * The rates online rebuild and scrub run at, by TUNE_* index (bytes/s,
 * 0: unlimited; for TUNE_MIN 0: the maximum applies under load too): the
 * cluster-wide value where one is set (in *@cluster, a TUNE_* mask),
 * else this node's own sm_config (sync_max for both maxima, sync_min).
 * The one rule the coordinator paces by and status reports.
 */
void sm_rates(const struct sm *sm, u64 rate[TUNE_N], u32 *cluster);

/* Fill @st with a snapshot of what this daemon knows. */
void sm_status(const struct sm *sm, struct sm_status *st);
/*
 * The same without the per-node held counts and fence_wait (left 0),
 * which walk every region: cheap enough to take after every event (the
 * runtime derives its operator events from it, lib/events.h).
 */
void sm_status_brief(const struct sm *sm, struct sm_status *st);
/* This daemon (coordinating) asked for @nodeid to be fenced and still
 * waits for it; the fencer cancels requests no longer wanted. */
bool sm_fence_wanted(const struct sm *sm, u32 nodeid);

/*
 * Serialize the replicated state (what STATE carries) into a malloc'd
 * buffer (*len bytes); NULL without state or memory. The simulator compares
 * these across daemons after every step.
 */
u8 *sm_rs_serialize(const struct sm *sm, size_t *len);

/* One region as the RS sees it (for tests and ddraidctl). */
struct sm_region_info {
	bool dirty;		/* awaits resync */
	bool locked;		/* the cluster-wide lock is on it */
	u32 held;		/* slot mask of holders */
	u32 waiting;		/* slot mask of nodes waiting for the lock */
	u32 unattached;		/* holders whose daemon is not attached */
};

/* Fill @ri; -ENODATA without state, -EINVAL for a region out of range. */
int sm_region(const struct sm *sm, u64 r, struct sm_region_info *ri);

/*
 * Do the counts the state machine keeps beside its region bitmaps (so
 * that the work after every event need not scan them) agree with the
 * bitmaps, and are the bitmaps status() does not count while nothing
 * uses them (rebuild walk, torn regions) empty then? For the simulator,
 * which asks after every step.
 */
bool sm_counts_ok(const struct sm *sm);

/* Debug switches that break one rule, so tests can show the checks fire. */
enum sm_debug {
	SM_DEBUG_SKIP_INTENT = 1,	/* grant without setting the bit */
	SM_DEBUG_GRANT_LOCKED = 2,	/* grant while the region is locked */
	SM_DEBUG_EARLY_COMMIT = 4,	/* COMMIT_FAIL before all applied */
	SM_DEBUG_SCRUB_NOLOCK = 8,	/* scrub before holders drained */
	/* The rules issue 8 replaced, to show the scenario tests fail on
	 * them: */
	SM_DEBUG_NO_HOSTS = 16,		/* host loss and host vouching unknown */
	SM_DEBUG_FAIL_ON_REPORT = 32,	/* one node's error fails the member */
	SM_DEBUG_FAIL_SECOND = 64,	/* a second member may be failed */
	SM_DEBUG_NO_DETACH = 128,	/* a clean stop leaves an orphan */
	SM_DEBUG_NO_TORN = 256,		/* no torn regions: rebuild from parity */
	SM_DEBUG_NO_MERGE = 512,	/* merged histories both go on */
	SM_DEBUG_SPAN_FIRST = 1024,	/* a span drains its first region */
};
void sm_set_debug(struct sm *sm, u32 flags);

#endif /* DDRAID_SM_H */
