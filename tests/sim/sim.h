/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Deterministic simulation of ddraidd clusters (docs/cluster-protocol.md
 * section 10): several daemons' state machines (cpg-daemon/sm.h) over a
 * simulated CPG with agreed order and virtual synchrony, simulated targets
 * (tests/sim/sim_target.c) and simulated shared disks (sim_disk.c). One
 * seeded PRNG, no threads, no clock: a seed replays exactly.
 *
 *   sim.c         world, simulated CPG and quorum, scheduler, faults
 *   sim_target.c  the data path of each node (grants, writes, locks)
 *   sim_disk.c    member disks and the daemons' IO effects
 *   sim_check.c   the invariants, checked after every step
 *   sim_events.c  each daemon's operator events, checked the same way
 *   test_sim.c    TAP driver: many seeds, and the checks' own tests
 */
#ifndef DDRAID_SIM_H
#define DDRAID_SIM_H

#include <stdbool.h>
#include <stdio.h>

#include "sm.h"
#include "events.h"
#include "ddraid_tcore.h"

/*
 * Nodes: up to DDRAID_BITMAP_SLOTS (32), every one of them writing. A
 * node-id mask (sim_idbit) has bit id - 1, so 32 ids fit a u32.
 * Partitions alive at once: SIM_MAX_PARTS; a split with none free does
 * not happen (9, as when it was tied to the node count: the random runs'
 * generator stream, and so every seed's run, stay as they were).
 */
#define SIM_MAX_NODES	DDRAID_BITMAP_SLOTS
#define SIM_MAX_PARTS	9
#define SIM_MAX_MEMBERS	9
#define SIM_MAX_REGIONS	16
#define SIM_BPR		4	/* blocks per region */
#define SIM_MAX_BLOCKS	(SIM_MAX_REGIONS * SIM_BPR)
#define SIM_MAX_WRITES	64	/* in flight per target */
#define SIM_MAX_Q	1024	/* items in a CPG queue */
#define SIM_MAX_CHAN	256	/* messages in a channel queue */
#define SIM_MAX_IO	64	/* disk IO in flight per node */

/* ---- disks ---- */

struct sim_sb {
	u64 events;
	struct cpgmsg_member member[SIM_MAX_MEMBERS];
	u32 slots[DDRAID_BITMAP_SLOTS];
};

struct sim_disk {
	bool dead;			/* IO fails */
	u64 frag[SIM_MAX_BLOCKS];	/* fragment (or parity) value, as
					 * reads see it (cache included) */
	u64 durable[SIM_MAX_BLOCKS];	/* on the platter: what survives its
					 * host's power loss (a flush makes
					 * frag durable) */
	u8 bits[DDRAID_BITMAP_SLOTS][SIM_MAX_REGIONS];
	struct sim_sb sb;
	bool rebuilt[SIM_MAX_REGIONS];	/* this disk's region is valid */
	bool blank;			/* replaced by a new, blank disk */
	bool stale;			/* lost its cache with its host: may
					 * miss writes until rebuilt */
	bool full_rebuild;		/* the operator asked for a full
					 * rebuild: treated as a new disk */
};

/* ---- targets ---- */

/*
 * The target is common/ddraid_tcore.c, as in the kernel; the simulator
 * adds its member IO (fragments that land one by one, a crash tears them)
 * and checks I2 at submit, I3 at acknowledgement and I4 at read.
 */
enum sim_wstate {
	W_FREE = 0,
	W_WAIT,		/* the core keeps it at the gate */
	W_SUBMITTED,	/* member writes in flight */
	W_HELD,		/* done, the core holds its completion */
};

struct sim_write {
	u32 state;
	u64 block;
	u64 version;
	u32 pending;	/* members whose write is still in flight */
	u32 errors;	/* members whose write failed */
	u64 since;
	u64 created;	/* step the filesystem submitted it */
	bool lost;	/* a double failure took what it wrote */
	bool tried;	/* submitted once: a retry waits (its block torn) */
	u64 stuck[SIM_MAX_MEMBERS];	/* step a member write found its
					 * member unreachable (0: it did not):
					 * the transport holds it until
					 * late_bound, then fails it */
	struct tcore_io io;
};

struct sim_target {
	bool alive;
	struct tcore core;
	struct tcore_region reg[SIM_MAX_REGIONS];
	struct sim_write w[SIM_MAX_WRITES];
};

/* ---- channels and IO ---- */

struct sim_chan {
	u32 n;
	u8 msg[SIM_MAX_CHAN][DDRAID_CHAN_MSG_BYTES];
	u64 at[SIM_MAX_CHAN];	/* step it was sent */
};

struct sim_io {
	bool used;
	u32 type;		/* enum sm_effect_type */
	u64 id;
	u32 slot;
	u64 region;
	u32 member;
	u32 missing;
	u32 count;		/* RESYNC, REBUILD: regions from .region */
	bool repair;		/* SCRUB */
	u32 torn;		/* REBUILD: bit k, region + k is torn */
	struct sm_sb_facts sb;
	u64 due;
	u32 incarnation;	/* daemon incarnation that issued it */
};

/* ---- CPG ---- */

struct sim_item {
	u64 seq;		/* global order of sending */
	bool confchg;
	u32 sender;		/* message: node id */
	u32 len;
	u8 *bytes;
	u32 members;		/* confchg: node-id mask of the view */
	u32 leavers;		/* confchg: node-id mask of the leavers */
	u32 reason;		/* confchg: why they left */
};

struct sim_part {
	bool used;
	u32 nodes;		/* node-index mask of up nodes here */
	u32 view;		/* node-id mask last delivered here */
	u32 n;
	struct sim_item q[SIM_MAX_Q];
};

struct sim_daemon {
	struct sm *sm;
	bool alive;
	u32 incarnation;
	u32 view;		/* node-id mask of its last confchg */
	bool quorate;		/* last quorum event it got */
	int quorum_due;		/* -1: none; else step to deliver */
	bool quorum_next;
	u32 qmask;		/* node-id mask of its last quorum news */
	u32 qmask_next;
	u32 totem;		/* node-id mask it was told */
	u64 join_seq;		/* its own join: nothing older reaches it */
};

/* What a node's operator events said so far (sim_events.c). */
#define SIM_EV_MAX_ID	(SIM_MAX_NODES + 1)
struct sim_evstate {
	u32 incarnation;	/* of the daemon whose stream this is */
	struct ddraid_ev_view last;
	u32 out;		/* members said failed or rebuilding */
	u32 vol;		/* the last volume-* event, 0: none */
	bool rebuilding, resync, scrub;
	u32 rb_member;
	u32 path[SIM_EV_MAX_ID];	/* by node id: members said down */
	u64 count;
	/* the rates set cluster-wide, as the stream knows them */
	bool tune_known;
	u32 tune_set;
	u64 tune[DDRAID_RATES];
};

struct sim_node {
	u32 id;			/* corosync node id, 1.. */
	bool up;
	/* stopped cleanly: up in corosync, no daemon, no target, its disk
	 * not exported (stopping: waiting for the daemon's clean detach) */
	bool stopped, stopping;
	u64 stop_at;		/* step the clean stop began or moved on */
	int part;
	u32 boots;		/* times it was powered on again */
	/* its writes: acknowledged, failed (EIO), the longest from the
	 * filesystem's submission to the acknowledgement */
	u64 n_acked, n_eio, max_ack_wait;
	struct sim_daemon d;
	struct sim_target t;
	struct sim_chan to_d, to_t;	/* target->daemon, daemon->target */
	struct sim_io io[SIM_MAX_IO];
	struct sim_evstate ev;
};

/* Deliberate bugs, to show that the checks can fail. */
enum sim_break {
	BREAK_NONE = 0,
	BREAK_SKIP_INTENT,	/* sm grants without the write-intent bit */
	BREAK_GRANT_LOCKED,	/* sm grants while the region is locked */
	BREAK_EARLY_COMMIT,	/* sm commits a member failure early */
	BREAK_NO_RESYNC,	/* coordinator's resync does nothing */
	BREAK_SCRUB_NOLOCK,	/* sm scrubs before the holders drained */
	BREAK_LATE_WRITES,	/* the transport holds writes past fence_delay */
	BREAK_NO_FLUSH,		/* bits cleared without flushing the members */
	BREAK_SPAN_FIRST,	/* a span drains its first region only */
};

struct sim {
	u64 seed;
	u64 rng;
	u64 step;
	bool verbose;
	u32 brk;
	u32 n_nodes;
	u32 members;
	u32 regions;
	u32 blocks;
	u64 fence_delay;
	/* rebuild and scrub pacing (sm_config.sync_max/min; 0: none) */
	u64 sync_max, sync_min;
	u32 sync_span;	/* sm_config.sync_span */
	bool require_fencing;	/* every departed node is fenced */
	/*
	 * Topology. dist: node i hosts member i (its own disk, reached by
	 * the others through the transport); else every node reaches every
	 * member (a SAN). path_cut[i][m]: node i's path to member m is down.
	 * late_bound: how long the transport holds a write to an
	 * unreachable member before failing it (below fence_delay).
	 */
	bool dist;
	bool two_node;		/* corosync two_node: one node is quorate */
	u64 late_bound;
	bool path_cut[SIM_MAX_NODES][SIM_MAX_MEMBERS];
	/* A scripted scenario drives the run (no random faults). */
	bool scripted;
	u32 debug;		/* SM_DEBUG_* for every daemon */
	/* torn blocks: unacknowledged versions that may be on the disks */
	u64 torn_v[SIM_MAX_BLOCKS][4];
	u32 n_torn_v[SIM_MAX_BLOCKS];
	/* fragment d of block b may read as anything: its host crashed
	 * with a write of b in flight and the region was written while
	 * it was away (docs/cluster-protocol.md, "torn regions") */
	u32 garbage_ok[SIM_MAX_BLOCKS];
	/* member mask: its host crashed with a write of the block in flight
	 * while the member was active */
	u32 torn_by_host[SIM_MAX_BLOCKS];
	/* member mask: the region was written while that member was away,
	 * or another node marked it when the member's host crashed */
	u32 written_away[SIM_MAX_REGIONS];
	/* the block's last write failed (EIO) after some member IO */
	bool eio_torn[SIM_MAX_BLOCKS];
	/* the block's acknowledged version was lost to a double failure */
	bool lost[SIM_MAX_BLOCKS];
	u64 n_lost;
	u64 n_path_cuts, n_withdraws, n_clean_stops, n_readds, n_host_losses;
	u64 n_torn_reads;
	u64 n_forced;		/* operator's forced assemblies */
	/* the fencer's queue: SM_FX_FENCE requests not yet carried out */
	struct sim_fence_req {
		u32 by;		/* requesting node id */
		u32 nodeid;
		u32 boots;	/* the victim's boots when asked */
	} fence_req[SIM_MAX_NODES * SIM_MAX_NODES];
	u32 n_fence_req;
	u64 n_fenced;		/* power-offs by the fencer */
	struct sim_node node[SIM_MAX_NODES];
	struct sim_part part[SIM_MAX_PARTS];
	struct sim_disk disk[SIM_MAX_MEMBERS];
	/* oracle */
	u64 item_seq;
	u64 next_version;
	u64 acked[SIM_MAX_BLOCKS];	/* version acknowledged last */
	u64 prev_acked[SIM_MAX_BLOCKS];	/* the one before it */
	u32 acked_by[SIM_MAX_BLOCKS];	/* node id that acknowledged it */
	bool torn[SIM_MAX_BLOCKS];	/* a later write was not acked */
	bool busy[SIM_MAX_BLOCKS];	/* a write is in flight somewhere */
	u64 n_acked;
	u64 n_writes;
	u64 n_delivered;
	u64 n_faults;
	u64 n_resyncs, n_rebuilds, n_fails, n_reads;
	u64 n_spans;		/* rebuild IOs of more than one region */
	u64 n_resync_spans;	/* resync IOs of more than one region */
	u64 n_scrubs;		/* regions scrubbed */
	u64 n_scrub_starts;	/* scrubs the cluster accepted */
	u64 n_tunes;		/* rate changes (TUNE) the cluster took */
	bool rebuild_asked;
	/* result */
	bool failed;
	char why[512];
	struct sm_effects fx;
};

/* sim.c */
void sim_init(struct sim *s, u64 seed, u32 brk, bool verbose);
void sim_init_nodes(struct sim *s, u64 seed, u32 brk, bool verbose,
		    u32 nodes);
void sim_free(struct sim *s);
/* Run @steps random steps, then heal everything and let it settle. */
bool sim_run(struct sim *s, u32 steps);
bool sim_finish(struct sim *s);
u64 sim_rand(struct sim *s, u64 n);
void sim_fail(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_trace(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_to_daemon(struct sim *s, struct sim_node *n, u16 type, u64 region,
		   u64 arg, u32 status, u32 flags);
bool sim_quorate_truth(const struct sim *s, int part);
struct sim_node *sim_node_by_id(struct sim *s, u32 id);

/* Node @id's bit in a node-id mask (ids 1..SIM_MAX_NODES). */
static inline u32 sim_idbit(u32 id)
{
	return 1u << (id - 1);
}

void sim_feed(struct sim *s, struct sim_node *n, const struct sm_event *ev);
/* Node @n sends @m (encoded, in the agreed order of its partition), as if
 * its daemon had: a message that was in flight when the state changed. */
void sim_cpg_send(struct sim *s, struct sim_node *n, const struct cpgmsg *m);

/* sim_target.c */
void tgt_boot(struct sim *s, struct sim_node *n);
void tgt_connect(struct sim *s, struct sim_node *n);
void tgt_recv(struct sim *s, struct sim_node *n,
	      const struct ddraid_chan_msg *m);
bool tgt_new_write(struct sim *s, struct sim_node *n);
bool tgt_member_io(struct sim *s, struct sim_node *n);
void tgt_poll(struct sim *s, struct sim_node *n);
void tgt_crash(struct sim *s, struct sim_node *n);
bool tgt_read(struct sim *s, struct sim_node *n);
bool tgt_read_block(struct sim *s, struct sim_node *n, u64 b);
u32 tgt_inflight_region(const struct sim *s, u32 region);
u32 tgt_unfinished_region(const struct sim *s, u32 region);
void tgt_disconnect(struct sim *s, struct sim_node *n);
bool tgt_holds(const struct sim_target *t, u32 region);

/* sim.c: topology */
struct sim_node *sim_host(struct sim *s, u32 m);
bool sim_reach(const struct sim *s, const struct sim_node *n, u32 m);
bool sim_disk_present(const struct sim *s, u32 m);
void sim_node_crash(struct sim *s, struct sim_node *n);
void sim_node_boot(struct sim *s, struct sim_node *n);
/*
 * May node @n (down) power on again? Not before the cluster has seen it
 * leave and every target stopped using its disk: a reboot, and the
 * export of its disk, take longer than corosync's token timeout.
 */
bool sim_boot_allowed(const struct sim *s, const struct sim_node *n);
/* Every daemon with state has seen node @n leave. */
bool sim_seen_gone(const struct sim *s, const struct sim_node *n);
void sim_daemon_start(struct sim *s, struct sim_node *n);
void sim_split(struct sim *s, u32 moved_ids);
bool sim_heal(struct sim *s);
void sim_step(struct sim *s, bool faults, bool writes);
bool sim_clean_stop(struct sim *s, struct sim_node *n);
void sim_node_start(struct sim *s, struct sim_node *n);
void sim_init_cfg(struct sim *s, u64 seed, u32 brk, bool verbose,
		  u32 nodes, u32 members, bool dist, bool two_node);
/* sim_init_cfg() in two steps: set s->debug, s->require_fencing... between */
void sim_world(struct sim *s, u64 seed, u32 brk, bool verbose,
	       u32 nodes, u32 members, bool dist, bool two_node);
void sim_start(struct sim *s);

/* sim_disk.c */
u64 frag_value(u64 version, u32 member, u32 members);
void disk_init(struct sim *s);
void disk_issue(struct sim *s, struct sim_node *n, const struct sm_effect *fx);
bool disk_complete(struct sim *s, struct sim_node *n);
void disk_drop(struct sim *s, struct sim_node *n, bool tear);
const struct sim_sb *disk_newest_sb(const struct sim *s);
u32 disk_missing(const struct sim *s);
u32 sim_slot_node(const struct sim *s, u32 slot);
int sim_slot_of(const struct sim *s, u32 id);

/* sim_check.c */
void check_all(struct sim *s);
/* sim_events.c: each daemon's operator events, derived and checked */
void check_events(struct sim *s);
void check_rs_equal(struct sim *s, u32 view);
bool check_quiet(struct sim *s, char *why, size_t len);
u32 sim_intent_lacking(const struct sim *s, const struct sim_node *n,
		       int slot, u32 r);

#endif /* DDRAID_SIM_H */
