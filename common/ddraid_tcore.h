/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The target core: every decision a cluster-mode ddraid target makes, once,
 * without IO (docs/kernel-channel.md). The dm target (dmtarget/), the
 * simulated target (tests/sim/sim_target.c) and the netns stand-in
 * (tests/netns/ddraid-standin.c) are this core plus their own IO, so what
 * the simulator proves of the core holds for the kernel.
 *
 * The core owns:
 *   - per region: COLD, REQUESTED or GRANTED, locked, LOCK waiting for a
 *     drain, and the writes waiting at its gate, past it (member IO in
 *     flight) and held after it (done, completion waiting);
 *   - the gate decisions for a write and a read, and which members an IO
 *     skips;
 *   - what the target owes its daemon and the exact order in which
 *     tcore_next_msg() produces it: HELLO, HELD..., HELD_END, then
 *     MEMBER_ERROR, MEMBER_STATE_DONE, FROZEN, then per region (in the order
 *     regions came to owe something) IDLE, GRANT_REQ, LOCKED;
 *   - what every daemon message does (tcore_apply());
 *   - the member rules: failed here, written but not read, failure
 *     committed, errors the cluster must hear of, and when a finished
 *     write completes, waits for COMMIT_FAIL or is written again;
 *   - idle release and grant prefetch.
 *
 * The caller owns the IO objects (each embeds a struct tcore_io), its lock,
 * clock, queues of work and timers. Nothing here allocates, sleeps or
 * calls out: the kernel calls every function under its target's spinlock
 * with interrupts off. The caller serialises all calls on one core.
 * Functions that release IO put it on a caller's struct tcore_list with a
 * verdict; the caller acts on the list after dropping its lock.
 *
 * Only ddraid_compat.h types and no libc: this file is built into the
 * kernel module as it is into userspace.
 */
#ifndef DDRAID_TCORE_H
#define DDRAID_TCORE_H

#include "ddraid_compat.h"
#include "ddraid_geom.h"
#include "ddraid_chan.h"

#define TCORE_NONE		(~(u64)0)	/* no region */
#define TCORE_STREAMS		4	/* write streams grant prefetch follows */
#define TCORE_PREFETCH_AHEAD	2	/* regions it asks for ahead: default */
#define TCORE_PREFETCH_MAX	8	/* ...and at most, whatever it is told */

/* Where a region stands with the daemon. */
enum tcore_region_state {
	TCORE_COLD,		/* no grant; a write asks for one */
	TCORE_REQUESTED,	/* writes wait for GRANT */
	TCORE_GRANTED,		/* writes go */
};

/* What a region owes the daemon (tcore_region.out), sent in this order. */
#define TCORE_OUT_IDLE		0x1
#define TCORE_OUT_GRANT_REQ	0x2
#define TCORE_OUT_LOCKED	0x4

/* One region. The caller allocates an array of these (tcore_init()). */
struct tcore_region {
	u64 last_write;		/* caller's clock: last write or grant */
	u64 next_out;		/* the owed queue: next region, TCORE_NONE */
	u32 inflight;		/* writes past the gate, member IO not done */
	u32 waiting;		/* writes waiting at the gate */
	u32 held;		/* writes done, completion held */
	u8 state;		/* enum tcore_region_state */
	u8 out;			/* TCORE_OUT_* not yet read */
	bool queued;		/* on the owed queue */
	bool locked;		/* LOCK: new writes wait */
	bool lock_pending;	/* LOCK seen, LOCKED owed once drained */
};

/* A list of IO (intrusive, circular). */
struct tcore_link {
	struct tcore_link *next, *prev;
};

struct tcore_list {
	struct tcore_link head;
};

enum tcore_kind {
	TCORE_WRITE,		/* data: one region, through the gate */
	TCORE_READ,		/* waits only while frozen */
	TCORE_FLUSH,		/* no data, no region: held like a write */
};

/* Where an IO is, as far as the core is concerned. */
enum tcore_at {
	TCORE_AT_NONE,		/* not counted anywhere */
	TCORE_AT_GATE,		/* a write waiting at the gate */
	TCORE_AT_FROZEN,	/* a read waiting for THAW */
	TCORE_AT_PASSED,	/* a write past the gate, counted in flight */
	TCORE_AT_HELD,		/* done, completion held */
};

/* What the caller does with an IO next. */
enum tcore_verdict {
	TCORE_GO,		/* submit it (again, if it was held) */
	TCORE_WAIT,		/* the core keeps it; a later call releases it */
	TCORE_DONE,		/* complete it successfully */
	TCORE_FAIL,		/* complete it with the errno in ->status */
	TCORE_REQUEUE,		/* hand it back (tcore_set_nowait()) */
};

/*
 * The core's part of one IO; each environment embeds it in its own IO
 * object (container_of). Set ->kind and ->region (writes: the one region
 * the IO lies in) with tcore_io_init() before the first call.
 */
struct tcore_io {
	struct tcore_link link;	/* a core list, or the caller's output */
	u64 region;		/* TCORE_NONE for reads and flushes */
	u64 gen;		/* tcore.gen when the skip set was chosen */
	u32 skip;		/* members this IO does not touch */
	u32 own;		/* of skip: out only by an error of ours */
	u32 errors;		/* members whose IO failed */
	u32 status;		/* errno with TCORE_FAIL */
	u8 kind;		/* enum tcore_kind */
	u8 at;			/* enum tcore_at */
	u8 verdict;		/* enum tcore_verdict, on an output list */
};

/* Where the reader of a freshly attached daemon is. */
enum tcore_handshake {
	TCORE_HS_HELLO,		/* HELLO next */
	TCORE_HS_HELD,		/* HELD from hs_cursor, then HELD_END */
	TCORE_HS_RUN,		/* member messages, FROZEN, the region queue */
};

/*
 * The state of one target. Callers may read the fields (under their
 * lock); only the functions below change them.
 */
struct tcore {
	struct tcore_region *reg;
	u64 regions;
	u32 members;

	bool attached;		/* a daemon reads what is owed */
	bool kick;		/* something became owed: tcore_take_kick() */
	u8 hs;			/* enum tcore_handshake */
	u64 hs_cursor;		/* next region the HELD list looks at */
	u64 seq;		/* of messages to the daemon */
	u64 out_head, out_tail;	/* regions owing messages, in order */

	/* From load until THAW, and from FREEZE until THAW. */
	bool frozen;
	/* FREEZE with FAIL_IO until THAW: waiting and new IO fail. */
	bool withdrawn;
	/* The caller cannot wait now: IO that would wait is refused. */
	bool nowait;
	bool drain_wait;	/* FROZEN owed once nothing is in flight */
	bool out_frozen;	/* FROZEN owed */
	u64 freezes;		/* FREEZEs since ATTACH (FROZEN's arg) */

	struct tcore_link gate;		/* writes waiting for their region */
	struct tcore_link frozen_reads;	/* reads waiting for THAW */
	struct tcore_link held;		/* writes done, completion held */

	/*
	 * Members (bit masks): @failed are neither read nor written (an IO
	 * error here, the daemon's "failed", or out of use since load);
	 * @noread are written but not read (rebuilding); @absent have no
	 * device here and can never be used again; @recorded failures the
	 * cluster committed (COMMIT_FAIL): writes that skipped them may
	 * complete; @merr failed here and the cluster has not committed it:
	 * it must hear of it (MEMBER_ERROR, again to every new daemon).
	 */
	u32 failed, noread, absent, recorded, merr;
	u32 out_merr;		/* MEMBER_ERROR owed */
	u32 out_mdone;		/* MEMBER_STATE_DONE owed */
	u32 mdone_state[DDRAID_MAX_MEMBERS];
	/*
	 * What the daemon last said of each member, the newest events it
	 * named, and the events when a member failed here: the two-
	 * generation rule of tcore_apply(MEMBER_STATE active).
	 */
	u32 mstate[DDRAID_MAX_MEMBERS];
	u64 events;
	u64 err_events[DDRAID_MAX_MEMBERS];
	/*
	 * "rebuilding" or "active" for member m: writes that skipped m so
	 * far because the cluster had it failed need no commit for it. @gen
	 * counts those moments; an IO notes @gen when its skip set is chosen
	 * and is forgiven m if its gen is below @forgive_gen[m].
	 */
	u64 gen;
	u64 forgive_gen[DDRAID_MAX_MEMBERS];

	u64 granted;		/* regions GRANTED */
	u64 nlocked;		/* regions locked */
	u64 inflight;		/* writes past the gate, member IO not done */
	u64 waiting;		/* writes at the gate */
	u64 nheld;		/* writes and flushes held */

	/* Where the last few writes ended: grant prefetch. */
	u64 stream_end[TCORE_STREAMS];
	u32 stream_next;
};

/* What tcore_apply() did that is worth a log line or an event. */
struct tcore_note {
	const char *what;	/* NULL: nothing to say */
	bool error;		/* an error rather than a warning */
	bool changed;		/* a member's use changed (dm event) */
};

/* ---- lists ---- */

void tcore_list_init(struct tcore_list *l);
bool tcore_list_empty(const struct tcore_list *l);
/* The first IO of @l, taken off it; NULL when @l is empty. */
struct tcore_io *tcore_list_pop(struct tcore_list *l);

/* ---- set up ---- */

void tcore_io_init(struct tcore_io *io, enum tcore_kind kind, u64 region);

/*
 * A target of @members members over @regions regions (@reg, an array the
 * caller allocated, which the core initialises). Frozen, no daemon.
 * @mstate: each member's state as the newest superblock gives it (failed
 * members are not used, rebuilding ones not read); @events that
 * superblock's events; @out members this table does not use at first
 * (absent, or to be rebuilt): out of use, and if the superblock calls them
 * active the cluster must hear of it before a write that skips them
 * completes (MEMBER_ERROR); @absent members with no device.
 * No failure counts as committed yet: a superblock that records one may
 * not have been applied by every other target (invariant 3).
 */
void tcore_init(struct tcore *c, struct tcore_region *reg, u64 regions,
		u32 members, u64 events, const u32 *mstate, u32 out,
		u32 absent);

/* Did something become owed to the daemon since the last call? */
bool tcore_take_kick(struct tcore *c);

/* ---- IO ---- */

/*
 * A write arrives at the gate of its region. GO: it passed (counted in
 * flight until tcore_write_done()); WAIT: the core queued it (a cold
 * region now owes GRANT_REQ); FAIL: withdrawn (or a region out of range);
 * REQUEUE: it would wait but the caller cannot (tcore_set_nowait()).
 */
enum tcore_verdict tcore_write_enter(struct tcore *c, struct tcore_io *io,
				     u64 now);

/*
 * Grant prefetch: a write of @nblocks blocks at @block into @region that
 * continues one of the last few writes asks for the grants of the next
 * @ahead regions too (TCORE_PREFETCH_AHEAD is the default; more than
 * TCORE_PREFETCH_MAX counts as that many, 0 asks for none). Call before
 * tcore_write_enter() when prefetch is wanted.
 */
void tcore_prefetch(struct tcore *c, u64 region, u64 block, u64 nblocks,
		    u32 ahead);

/* A read arrives: GO, WAIT (frozen: queued until THAW), FAIL, REQUEUE. */
enum tcore_verdict tcore_read_enter(struct tcore *c, struct tcore_io *io);

/*
 * Just before a write's or flush's member IO is issued (again): choose the
 * members it skips (->skip) and clear ->errors. 0, or -EIO when two or
 * more members are out or the target is withdrawn: then the caller
 * completes it with EIO (tcore_io_forget() first).
 */
int tcore_write_plan(struct tcore *c, struct tcore_io *io);

/* The same for a read (also skips members not read). */
int tcore_read_plan(struct tcore *c, struct tcore_io *io);

/*
 * Member IO to the members in @mask failed. They are failed here from now
 * on; those the cluster has not heard of owe MEMBER_ERROR. Returns the
 * members that were not failed here before.
 */
u32 tcore_member_error(struct tcore *c, u32 mask);

/*
 * The member IO of a write or flush that passed tcore_write_plan() is done;
 * @errors the members whose IO failed (call tcore_member_error() first).
 * The IO goes to @out (DONE, FAIL, or GO when it must be written again and
 * may), or stays with the core (held, or waiting at the gate to be written
 * again). Returns its verdict (WAIT for both of the latter).
 */
enum tcore_verdict tcore_write_done(struct tcore *c, struct tcore_io *io,
				    u32 errors, u64 now,
				    struct tcore_list *out);

/*
 * @io ends without tcore_write_done() (e.g. planning failed): the core
 * forgets it wherever it counted it.
 */
void tcore_io_forget(struct tcore *c, struct tcore_io *io, u64 now);

/* ---- the daemon ---- */

void tcore_attach(struct tcore *c);
void tcore_detach(struct tcore *c);

/*
 * The next message the daemon is owed in @m (seq set): 0, or -EAGAIN when
 * nothing is owed (or no daemon is attached).
 */
int tcore_next_msg(struct tcore *c, struct ddraid_chan_msg *m);

/*
 * Apply one daemon message, decoded and validated against this target's
 * limits. IO it releases goes to @out. @note (not NULL) says what deserves
 * a log line. -EINVAL for a message the daemon does not send or with a
 * region or member out of range: nothing changes.
 */
int tcore_apply(struct tcore *c, const struct ddraid_chan_msg *m, u64 now,
		struct tcore_list *out, struct tcore_note *note);

/*
 * Drop the grants of regions [@from, @from + @count) idle for @idle (the
 * caller's clock) at @now: no write in flight, waiting or held, not
 * locked. Nothing is dropped without a daemon, while frozen or during the
 * HELD list. Returns the region to go on from; the number of regions when
 * there is nothing (more) to do.
 */
u64 tcore_idle_scan(struct tcore *c, u64 from, u64 count, u64 now, u64 idle);

/* ---- the kernel's suspend and table reload ---- */

/*
 * While @nowait, IO that would wait is refused with REQUEUE instead
 * (a noflush suspend: dm keeps such IO for the next table).
 */
void tcore_set_nowait(struct tcore *c, bool nowait);

/*
 * Every IO that waits (at the gate, frozen reads, held writes) goes to
 * @out with REQUEUE; regions keep their state (grants are still wanted).
 */
void tcore_requeue_all(struct tcore *c, struct tcore_list *out);

/*
 * @to replaces @from (a table reload): it takes the whole state over, the
 * region array and the daemon included, keeping its own @absent. @from must
 * have no IO (counted or queued). Members in @replaced (a new device, or
 * to be rebuilt) start out of use; if @from was using one, the cluster
 * must hear of it first (MEMBER_ERROR). @from is left with no regions.
 * False, and nothing moved, when the region counts or members differ.
 */
bool tcore_take_over(struct tcore *to, struct tcore *from, u32 replaced);

#endif /* DDRAID_TCORE_H */
