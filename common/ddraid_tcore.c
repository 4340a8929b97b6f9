// SPDX-License-Identifier: GPL-2.0-only
/*
 * The target core (ddraid_tcore.h, docs/kernel-channel.md): region grants
 * and locks, the gates, member failures, what is owed to the daemon and
 * what its messages do. Shared by the dm target, the simulated target and
 * the netns stand-in; no libc beyond ddraid_compat.h, no allocation,
 * nothing that sleeps: callers hold their lock (the kernel a spinlock with
 * interrupts off) around every call.
 *
 * Messages to the daemon are not queued as such: what is owed is derived
 * from state (region->out, the member masks, out_frozen) when the daemon
 * reads, so a daemon that does not read makes nothing grow, and nothing on
 * the IO path allocates.
 */
#include "ddraid_tcore.h"
#include "ddraid_format.h"

static u32 bit(u32 m)
{
	return 1u << m;
}

static u32 lowest(u32 mask)
{
	u32 m = 0;

	while (!(mask & 1)) {
		mask >>= 1;
		m++;
	}
	return m;
}

/* ---- lists ---- */

static void link_init(struct tcore_link *h)
{
	h->next = h;
	h->prev = h;
}

static bool link_empty(const struct tcore_link *h)
{
	return h->next == h;
}

static void link_add_tail(struct tcore_link *n, struct tcore_link *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void link_del(struct tcore_link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	link_init(n);
}

static struct tcore_io *io_of(struct tcore_link *l)
{
	return (struct tcore_io *)((u8 *)l - offsetof(struct tcore_io, link));
}

void tcore_list_init(struct tcore_list *l)
{
	link_init(&l->head);
}

bool tcore_list_empty(const struct tcore_list *l)
{
	return link_empty(&l->head);
}

struct tcore_io *tcore_list_pop(struct tcore_list *l)
{
	struct tcore_link *n = l->head.next;

	if (n == &l->head)
		return NULL;
	link_del(n);
	return io_of(n);
}

/* Hand @io to the caller with @verdict (a write that GOes stays counted). */
static void give(struct tcore_list *out, struct tcore_io *io,
		 enum tcore_verdict verdict, u32 status)
{
	if (verdict != TCORE_GO)
		io->at = TCORE_AT_NONE;
	io->verdict = verdict;
	io->status = status;
	link_add_tail(&io->link, &out->head);
}

/* ---- what is owed to the daemon ---- */

/* Region @r owes the daemon @what; nothing is owed to nobody. */
static void owe(struct tcore *c, u64 r, u8 what)
{
	struct tcore_region *reg = &c->reg[r];

	if (!c->attached)
		return;
	reg->out |= what;
	c->kick = true;
	if (reg->queued)
		return;
	reg->queued = true;
	reg->next_out = TCORE_NONE;
	if (c->out_tail == TCORE_NONE)
		c->out_head = r;
	else
		c->reg[c->out_tail].next_out = r;
	c->out_tail = r;
}

/* Region @r no longer owes @what (e.g. a request that was answered). */
static void unowe(struct tcore *c, u64 r, u8 what)
{
	/* An emptied region stays queued; tcore_next_msg() skips it. */
	c->reg[r].out &= (u8)~what;
}

static void owe_merr(struct tcore *c, u32 mask)
{
	if (!c->attached || !mask)
		return;
	c->out_merr |= mask;
	c->kick = true;
}

/* FROZEN is owed once nothing that passed the gate is still in flight. */
static void check_drained(struct tcore *c)
{
	if (!c->drain_wait || c->inflight)
		return;
	c->drain_wait = false;
	if (!c->attached)
		return;
	c->out_frozen = true;
	c->kick = true;
}

bool tcore_take_kick(struct tcore *c)
{
	bool k = c->kick;

	c->kick = false;
	return k;
}

/* ---- set up ---- */

void tcore_io_init(struct tcore_io *io, enum tcore_kind kind, u64 region)
{
	memset(io, 0, sizeof(*io));
	link_init(&io->link);
	io->kind = (u8)kind;
	io->region = kind == TCORE_WRITE ? region : TCORE_NONE;
}

static void init_lists(struct tcore *c)
{
	link_init(&c->gate);
	link_init(&c->frozen_reads);
	link_init(&c->held);
	c->out_head = TCORE_NONE;
	c->out_tail = TCORE_NONE;
}

void tcore_init(struct tcore *c, struct tcore_region *reg, u64 regions,
		u32 members, u64 events, const u32 *mstate, u32 out,
		u32 absent)
{
	u64 r;
	u32 m, i, all = bit(members) - 1;

	memset(c, 0, sizeof(*c));
	init_lists(c);
	c->reg = reg;
	c->regions = regions;
	c->members = members;
	for (r = 0; r < regions; r++) {
		memset(&reg[r], 0, sizeof(reg[r]));
		reg[r].next_out = TCORE_NONE;
	}
	/*
	 * Until the daemon has told it the cluster's member states, the
	 * target may not know that a member was recorded failed after its
	 * superblocks were read, and must not read it (invariant 4).
	 */
	c->frozen = true;
	/* No write has ended anywhere yet: not even at block 0. */
	for (i = 0; i < TCORE_STREAMS; i++)
		c->stream_end[i] = TCORE_NONE;
	c->events = events;
	out &= all;
	c->absent = absent & all;
	for (m = 0; m < members; m++) {
		c->mstate[m] = mstate[m];
		if (mstate[m] == DDRAID_MEMBER_FAILED)
			c->failed |= bit(m);
		if (mstate[m] != DDRAID_MEMBER_ACTIVE)
			c->noread |= bit(m);
		if (mstate[m] == DDRAID_MEMBER_ACTIVE && (out & bit(m))) {
			c->merr |= bit(m);
			c->err_events[m] = events;
		}
	}
	c->failed |= out | c->absent;
	c->noread |= out | c->absent;
}

/* ---- the gate ---- */

static bool may_write(const struct tcore *c, const struct tcore_region *reg)
{
	return !c->frozen && !reg->locked && reg->state == TCORE_GRANTED;
}

static void pass(struct tcore *c, struct tcore_region *reg,
		 struct tcore_io *io, u64 now)
{
	io->at = TCORE_AT_PASSED;
	reg->inflight++;
	c->inflight++;
	reg->last_write = now;
}

/* A write (new, or written again) at the gate of its region. */
static enum tcore_verdict gate(struct tcore *c, struct tcore_io *io, u64 now)
{
	struct tcore_region *reg;

	if (c->withdrawn || io->region >= c->regions) {
		io->status = EIO;
		return TCORE_FAIL;
	}
	reg = &c->reg[io->region];
	if (may_write(c, reg)) {
		pass(c, reg, io, now);
		return TCORE_GO;
	}
	if (c->nowait)
		return TCORE_REQUEUE;
	io->at = TCORE_AT_GATE;
	link_add_tail(&io->link, &c->gate);
	reg->waiting++;
	c->waiting++;
	if (reg->state == TCORE_COLD) {
		/* Asked now, or when a daemon attaches. */
		reg->state = TCORE_REQUESTED;
		owe(c, io->region, TCORE_OUT_GRANT_REQ);
	}
	return TCORE_WAIT;
}

enum tcore_verdict tcore_write_enter(struct tcore *c, struct tcore_io *io,
				     u64 now)
{
	return gate(c, io, now);
}

/*
 * A sequential writer in a region will want the next ones: ask for their
 * grants now, so that the daemon's bit write and the cluster's agreement
 * overlap this region's writes instead of stalling the stream at every
 * region boundary. Two regions ahead, not one: the bit write queues on
 * the members behind the stream's own data writes, so under a stream at
 * disk speed it can take about as long as writing a region (the reasoning
 * and what bench-intent shows of it: docs/testing-vm.md, "Stop 18: grant
 * prefetch two regions ahead"). A write is sequential when it starts
 * where one of the last few writes ended, so random writes set no bits
 * for regions nobody writes. Recording intent early is always safe; a
 * prefetched grant nobody uses is dropped as idle.
 */
void tcore_prefetch(struct tcore *c, u64 region, u64 block, u64 nblocks,
		    u32 ahead)
{
	u64 next = region + 1;
	bool seq = false;
	u32 i;

	for (i = 0; i < TCORE_STREAMS; i++) {
		if (c->stream_end[i] == block) {
			c->stream_end[i] = block + nblocks;
			seq = true;
			break;
		}
	}
	if (!seq) {
		c->stream_end[c->stream_next] = block + nblocks;
		c->stream_next = (c->stream_next + 1) % TCORE_STREAMS;
		return;
	}
	if (c->nowait || c->withdrawn)
		return;
	/* Bounded: each call holds the target's lock while it looks. */
	if (ahead > TCORE_PREFETCH_MAX)
		ahead = TCORE_PREFETCH_MAX;
	for (; next <= region + ahead && next < c->regions;
	     next++) {
		if (c->reg[next].state != TCORE_COLD)
			continue;
		c->reg[next].state = TCORE_REQUESTED;
		owe(c, next, TCORE_OUT_GRANT_REQ);
	}
}

/*
 * Reads pass unless the target is frozen: from table load until the
 * daemon's THAW, and between FREEZE and THAW. A partitioned node must not
 * read what the quorate side may be rebuilding.
 */
enum tcore_verdict tcore_read_enter(struct tcore *c, struct tcore_io *io)
{
	if (c->withdrawn) {
		io->status = EIO;
		return TCORE_FAIL;
	}
	if (!c->frozen)
		return TCORE_GO;
	if (c->nowait)
		return TCORE_REQUEUE;
	io->at = TCORE_AT_FROZEN;
	link_add_tail(&io->link, &c->frozen_reads);
	return TCORE_WAIT;
}

static int plan(struct tcore *c, struct tcore_io *io, u32 skip)
{
	io->gen = c->gen;
	io->skip = skip;
	/*
	 * Out only because of our own error the cluster has not committed:
	 * never forgiven by a state change (see settle()).
	 */
	io->own = skip & c->merr;
	io->errors = 0;
	if (c->withdrawn || ddr_popcount32(skip) > 1)
		return -EIO;
	return 0;
}

int tcore_write_plan(struct tcore *c, struct tcore_io *io)
{
	return plan(c, io, c->failed);
}

int tcore_read_plan(struct tcore *c, struct tcore_io *io)
{
	/* A member being rebuilt is written but not read yet. */
	return plan(c, io, c->failed | c->noread);
}

u32 tcore_member_error(struct tcore *c, u32 mask)
{
	u32 newly = mask & (bit(c->members) - 1) & ~c->failed;
	u32 report, m;

	c->failed |= newly;
	/* A member whose failure is committed needs no report. */
	report = newly & ~c->merr & ~c->recorded;
	c->merr |= report;
	for (m = 0; m < c->members; m++)
		if (report & bit(m))
			c->err_events[m] = c->events;
	owe_merr(c, report);
	return newly;
}

/*
 * A lock waits for the writes in flight in its region and for those held
 * there: a held write's parity is right only if the member it skipped is
 * failed in the end; a resync meanwhile would recompute it from that
 * member's stale fragment. Held writes end soon: COMMIT_FAIL, a retry
 * (which waits at the gate, behind the lock), or a withdrawal.
 */
static void lock_drained(struct tcore *c, u64 r)
{
	struct tcore_region *reg = &c->reg[r];

	if (reg->lock_pending && !reg->inflight && !reg->held) {
		reg->lock_pending = false;
		owe(c, r, TCORE_OUT_LOCKED);
	}
}

/* A write leaves the gate's count: its member IO is over. */
static void unpass(struct tcore *c, struct tcore_io *io, u64 now)
{
	struct tcore_region *reg = &c->reg[io->region];

	io->at = TCORE_AT_NONE;
	reg->inflight--;
	c->inflight--;
	reg->last_write = now;
	check_drained(c);
}

enum settle {
	SETTLE_DONE,		/* complete it */
	SETTLE_HOLD,		/* wait for COMMIT_FAIL */
	SETTLE_AGAIN,		/* write it again: what it missed is back */
	SETTLE_FAIL,		/* complete it with EIO */
};

/*
 * What becomes of a write or flush whose member IO is done (invariant 3).
 * It missed the members it skipped and those whose IO failed; more than
 * one: the data is not redundant, EIO. A missed member needs nothing when
 * its failure is committed (COMMIT_FAIL), or when the IO skipped it
 * because the cluster had it failed and the cluster has since said it is
 * rebuilding or active (nobody reads it before a rebuild wrote it).
 * Otherwise: while it is failed here the completion waits for COMMIT_FAIL;
 * once it is in use again (PATH_RETRY, or rebuilding/active after an error
 * of ours the cluster may never have heard of) the write is written again
 * whole. Withdrawn, whatever would wait fails.
 */
static enum settle settle(const struct tcore *c, const struct tcore_io *io)
{
	u32 missed = io->skip | io->errors;
	u32 need = missed & ~c->recorded;
	u32 forgivable = io->skip & ~io->own & need;
	u32 m;

	if (ddr_popcount32(missed) > 1)
		return SETTLE_FAIL;
	for (m = 0; m < c->members; m++)
		if ((forgivable & bit(m)) && io->gen < c->forgive_gen[m])
			need &= ~bit(m);
	if (!need)
		return SETTLE_DONE;
	if (c->withdrawn)
		return SETTLE_FAIL;
	if (need & ~c->failed)
		return SETTLE_AGAIN;
	return SETTLE_HOLD;
}

static void hold(struct tcore *c, struct tcore_io *io)
{
	io->at = TCORE_AT_HELD;
	link_add_tail(&io->link, &c->held);
	c->nheld++;
	if (io->kind == TCORE_WRITE)
		c->reg[io->region].held++;
}

static void unhold(struct tcore *c, struct tcore_io *io)
{
	link_del(&io->link);
	io->at = TCORE_AT_NONE;
	c->nheld--;
	if (io->kind == TCORE_WRITE) {
		c->reg[io->region].held--;
		lock_drained(c, io->region);
	}
}

/* Write @io again, whole: a write through the gate, a flush at once. */
static enum tcore_verdict again(struct tcore *c, struct tcore_io *io, u64 now,
				struct tcore_list *out)
{
	enum tcore_verdict v = TCORE_GO;

	io->errors = 0;
	if (io->kind == TCORE_WRITE)
		v = gate(c, io, now);
	if (v != TCORE_WAIT)
		give(out, io, v, io->status);
	return v;
}

/* Act on settle() for @io, which the core does not count anywhere. */
static enum tcore_verdict conclude(struct tcore *c, struct tcore_io *io,
				   u64 now, struct tcore_list *out)
{
	switch (settle(c, io)) {
	case SETTLE_DONE:
		give(out, io, TCORE_DONE, 0);
		return TCORE_DONE;
	case SETTLE_FAIL:
		give(out, io, TCORE_FAIL, EIO);
		return TCORE_FAIL;
	case SETTLE_AGAIN:
		return again(c, io, now, out);
	case SETTLE_HOLD:
		break;
	}
	if (c->nowait) {
		/* Not acknowledged: the next table writes it again. */
		give(out, io, TCORE_REQUEUE, 0);
		return TCORE_REQUEUE;
	}
	hold(c, io);
	return TCORE_WAIT;
}

enum tcore_verdict tcore_write_done(struct tcore *c, struct tcore_io *io,
				    u32 errors, u64 now,
				    struct tcore_list *out)
{
	enum tcore_verdict v;
	u64 r = io->region;

	if (io->at == TCORE_AT_PASSED)
		unpass(c, io, now);
	io->errors = errors & (bit(c->members) - 1);
	v = conclude(c, io, now, out);
	/* after it is held, if it is: a lock waits for held writes too */
	if (io->kind == TCORE_WRITE)
		lock_drained(c, r);
	return v;
}

void tcore_io_forget(struct tcore *c, struct tcore_io *io, u64 now)
{
	switch (io->at) {
	case TCORE_AT_PASSED:
		unpass(c, io, now);
		lock_drained(c, io->region);
		break;
	case TCORE_AT_GATE:
		link_del(&io->link);
		c->reg[io->region].waiting--;
		c->waiting--;
		break;
	case TCORE_AT_FROZEN:
		link_del(&io->link);
		break;
	case TCORE_AT_HELD:
		unhold(c, io);
		break;
	}
	io->at = TCORE_AT_NONE;
}

/* Held writes and flushes that settle differently now. */
static void rethink_held(struct tcore *c, u64 now, struct tcore_list *out)
{
	struct tcore_link *l = c->held.next, *next;

	for (; l != &c->held; l = next) {
		struct tcore_io *io = io_of(l);

		next = l->next;
		if (settle(c, io) == SETTLE_HOLD)
			continue;
		unhold(c, io);
		conclude(c, io, now, out);
	}
}

/* Writes waiting at the gate that may now go. */
static void release_gate(struct tcore *c, u64 now, struct tcore_list *out)
{
	struct tcore_link *l = c->gate.next, *next;

	for (; l != &c->gate; l = next) {
		struct tcore_io *io = io_of(l);
		struct tcore_region *reg = &c->reg[io->region];

		next = l->next;
		if (!may_write(c, reg))
			continue;
		link_del(l);
		reg->waiting--;
		c->waiting--;
		pass(c, reg, io, now);
		give(out, io, TCORE_GO, 0);
	}
}

/*
 * Take the writes waiting for region @r (every region: TCORE_NONE) off the
 * gate, to @out with @v.
 */
static void drop_gate(struct tcore *c, u64 r, enum tcore_verdict v,
		      u32 status, struct tcore_list *out)
{
	struct tcore_link *l = c->gate.next, *next;

	for (; l != &c->gate; l = next) {
		struct tcore_io *io = io_of(l);

		next = l->next;
		if (r != TCORE_NONE && io->region != r)
			continue;
		link_del(l);
		c->reg[io->region].waiting--;
		c->waiting--;
		give(out, io, v, status);
	}
}

static void move_reads(struct tcore *c, enum tcore_verdict v, u32 status,
		       struct tcore_list *out)
{
	while (!link_empty(&c->frozen_reads)) {
		struct tcore_io *io = io_of(c->frozen_reads.next);

		link_del(&io->link);
		give(out, io, v, status);
	}
}

/* ---- idle grants ---- */

u64 tcore_idle_scan(struct tcore *c, u64 from, u64 count, u64 now, u64 idle)
{
	u64 r, end;

	/*
	 * Nobody to tell without a daemon (keep the grants: invariant 7);
	 * none while the HELD list is being read or while frozen.
	 */
	if (!c->attached || c->hs != TCORE_HS_RUN || c->frozen ||
	    !c->granted || from >= c->regions)
		return c->regions;
	end = count < c->regions - from ? from + count : c->regions;
	for (r = from; r < end; r++) {
		struct tcore_region *reg = &c->reg[r];

		/*
		 * A held completion keeps its region's grant: the write may
		 * have to go again.
		 */
		if (reg->state != TCORE_GRANTED || reg->inflight ||
		    reg->waiting || reg->held || reg->locked ||
		    reg->lock_pending || now < reg->last_write ||
		    now - reg->last_write < idle)
			continue;
		reg->state = TCORE_COLD;
		c->granted--;
		owe(c, r, TCORE_OUT_IDLE);
	}
	return end;
}

/* ---- attach, detach, and what the daemon reads ---- */

void tcore_attach(struct tcore *c)
{
	u64 r;

	c->attached = true;
	c->seq = 0;
	c->hs = TCORE_HS_HELLO;
	c->hs_cursor = 0;
	c->out_merr = c->merr;
	c->out_mdone = 0;
	c->out_frozen = false;
	c->freezes = 0;
	c->kick = true;
	/* Writes that wait ask the new daemon (after HELD_END). */
	for (r = 0; r < c->regions; r++)
		if (c->reg[r].state == TCORE_REQUESTED)
			owe(c, r, TCORE_OUT_GRANT_REQ);
	/* A frozen target tells a new daemon when it has drained. */
	c->drain_wait = c->frozen;
	check_drained(c);
}

void tcore_detach(struct tcore *c)
{
	while (c->out_head != TCORE_NONE) {
		struct tcore_region *reg = &c->reg[c->out_head];

		c->out_head = reg->next_out;
		reg->next_out = TCORE_NONE;
		reg->out = 0;
		reg->queued = false;
	}
	c->out_tail = TCORE_NONE;
	c->attached = false;
	c->out_merr = 0;
	c->out_mdone = 0;
	c->out_frozen = false;
	c->kick = false;
}

/* The next HELD of the handshake, or HELD_END. */
static void next_held(struct tcore *c, struct ddraid_chan_msg *m)
{
	while (c->hs_cursor < c->regions) {
		u64 r = c->hs_cursor++;
		struct tcore_region *reg = &c->reg[r];
		bool granted = reg->state == TCORE_GRANTED;

		if (!granted && !reg->locked)
			continue;
		m->type = DDRAID_CHAN_HELD;
		m->region = r;
		if (reg->locked)
			m->flags = DDRAID_CHAN_HELD_LOCKED |
				   (granted ? 0 : DDRAID_CHAN_HELD_NOGRANT);
		return;
	}
	m->type = DDRAID_CHAN_HELD_END;
	c->hs = TCORE_HS_RUN;
}

/* The next message of the region queue; false when there is none. */
static bool next_region_msg(struct tcore *c, struct ddraid_chan_msg *m)
{
	while (c->out_head != TCORE_NONE) {
		u64 r = c->out_head;
		struct tcore_region *reg = &c->reg[r];

		/* IDLE before GRANT_REQ: the daemon must see the drop first. */
		if (reg->out & TCORE_OUT_IDLE)
			m->type = DDRAID_CHAN_IDLE;
		else if (reg->out & TCORE_OUT_GRANT_REQ)
			m->type = DDRAID_CHAN_GRANT_REQ;
		else if (reg->out & TCORE_OUT_LOCKED)
			m->type = DDRAID_CHAN_LOCKED;
		if (reg->out) {
			reg->out &= (u8)(reg->out - 1);	/* the lowest bit */
			m->region = r;
		}
		if (!reg->out) {
			c->out_head = reg->next_out;
			if (c->out_head == TCORE_NONE)
				c->out_tail = TCORE_NONE;
			reg->next_out = TCORE_NONE;
			reg->queued = false;
		}
		if (m->type)
			return true;
	}
	return false;
}

int tcore_next_msg(struct tcore *c, struct ddraid_chan_msg *m)
{
	u32 i;

	memset(m, 0, sizeof(*m));
	if (!c->attached)
		return -EAGAIN;
	switch (c->hs) {
	case TCORE_HS_HELLO:
		m->type = DDRAID_CHAN_HELLO;
		m->region = c->regions;
		m->arg = c->members;
		if (c->frozen)
			m->flags = DDRAID_CHAN_HELLO_FROZEN |
				   (c->withdrawn ? DDRAID_CHAN_HELLO_FAIL_IO : 0);
		c->hs = TCORE_HS_HELD;
		goto out;
	case TCORE_HS_HELD:
		next_held(c, m);
		goto out;
	}
	if (c->out_merr) {
		i = lowest(c->out_merr);
		c->out_merr &= ~bit(i);
		m->type = DDRAID_CHAN_MEMBER_ERROR;
		m->region = i;
		m->status = EIO;
		goto out;
	}
	if (c->out_mdone) {
		i = lowest(c->out_mdone);
		c->out_mdone &= ~bit(i);
		m->type = DDRAID_CHAN_MEMBER_STATE_DONE;
		m->region = i;
		m->flags = c->mdone_state[i];
		goto out;
	}
	if (c->out_frozen) {
		c->out_frozen = false;
		m->type = DDRAID_CHAN_FROZEN;
		m->arg = c->freezes;
		goto out;
	}
	if (!next_region_msg(c, m))
		return -EAGAIN;
out:
	m->seq = ++c->seq;
	return 0;
}

/* ---- what the daemon says ---- */

static void note(struct tcore_note *n, const char *what, bool error)
{
	n->what = what;
	n->error = error;
}

static void on_grant(struct tcore *c, u64 r, u32 status, u64 now,
		     struct tcore_list *out, struct tcore_note *n)
{
	struct tcore_region *reg = &c->reg[r];

	/* Only an answer to a request counts (a late or repeated one not). */
	if (reg->state != TCORE_REQUESTED) {
		note(n, "region not requested: ignored", false);
		return;
	}
	/* Answered: a GRANT_REQ still owed would ask again for nothing. */
	unowe(c, r, TCORE_OUT_GRANT_REQ);
	if (status) {
		reg->state = TCORE_COLD;
		drop_gate(c, r, TCORE_FAIL, status, out);
		note(n, "grant refused: failing the writes waiting there",
		     true);
		return;
	}
	reg->state = TCORE_GRANTED;
	reg->last_write = now;
	c->granted++;
	release_gate(c, now, out);
}

static void on_lock(struct tcore *c, u64 r)
{
	struct tcore_region *reg = &c->reg[r];

	if (!reg->locked)
		c->nlocked++;
	reg->locked = true;
	/* Drained now, or when the last write in flight or held ends. */
	reg->lock_pending = true;
	lock_drained(c, r);
}

static void on_unlock(struct tcore *c, u64 r, u64 now,
		      struct tcore_list *out)
{
	struct tcore_region *reg = &c->reg[r];

	if (reg->locked)
		c->nlocked--;
	reg->locked = false;
	reg->lock_pending = false;
	release_gate(c, now, out);
}

static void on_freeze(struct tcore *c, u32 flags, u64 now,
		      struct tcore_list *out)
{
	c->frozen = true;
	c->freezes++;
	if (flags & DDRAID_CHAN_FREEZE_FAIL_IO) {
		/* Withdrawn: nothing waits any more, it fails. */
		c->withdrawn = true;
		drop_gate(c, TCORE_NONE, TCORE_FAIL, EIO, out);
		move_reads(c, TCORE_FAIL, EIO, out);
		rethink_held(c, now, out);
	}
	/* Told once nothing that passed the gate is in flight. */
	c->drain_wait = true;
	check_drained(c);
}

static void on_thaw(struct tcore *c, u64 now, struct tcore_list *out)
{
	c->frozen = false;
	c->withdrawn = false;
	/* A FROZEN not yet read would now be untrue. */
	c->drain_wait = false;
	c->out_frozen = false;
	release_gate(c, now, out);
	move_reads(c, TCORE_GO, 0, out);
}

/*
 * Member @m is rebuilding or active again: writes that skipped it until
 * now because the cluster had it failed need no commit for it.
 */
static void forgive(struct tcore *c, u32 m)
{
	c->gen++;
	c->forgive_gen[m] = c->gen;
}

/* MEMBER_STATE m: the cluster's word on member m. */
static void on_member_state(struct tcore *c, u32 m, u32 state, u64 events,
			    u64 now, struct tcore_list *out,
			    struct tcore_note *n)
{
	u32 was_failed = c->failed, was_noread = c->noread;

	if (state == DDRAID_MEMBER_FAILED) {
		/* Not read (nor written) from now on. */
		c->failed |= bit(m);
	} else if (c->absent & bit(m)) {
		/* Nothing confirmed: the daemon waits, the log says why. */
		note(n, state == DDRAID_MEMBER_ACTIVE ?
		     "member not in the table: cannot make it active" :
		     "member not in the table: cannot make it rebuilding",
		     true);
		return;
	} else if (state == DDRAID_MEMBER_ACTIVE && (c->merr & bit(m)) &&
		   c->mstate[m] == DDRAID_MEMBER_ACTIVE &&
		   events < c->err_events[m] + 2) {
		/*
		 * "active" while it fails here, from a daemon that has said
		 * "active" since before the error: the cluster has not heard
		 * of the error yet. It stays out and is reported again. An
		 * "active" that ends a failure or rebuild, or comes two event
		 * generations after the error, means the member was rebuilt
		 * after the error: the error is history.
		 */
		owe_merr(c, bit(m));
		note(n, "member failed here: stays out until recorded", false);
	} else {
		/* Written again; read again only when active. */
		if (state == DDRAID_MEMBER_REBUILDING)
			c->noread |= bit(m);
		else
			c->noread &= ~bit(m);
		c->failed &= ~bit(m);
		c->recorded &= ~bit(m);
		c->merr &= ~bit(m);
		c->out_merr &= ~bit(m);
		/*
		 * The cluster recorded its failure before (a rebuild starts
		 * only then) and nobody reads it until the rebuild wrote it:
		 * writes that skipped it so far may complete, held or still
		 * in flight; writes that missed it by an error of ours go
		 * again.
		 */
		forgive(c, m);
		rethink_held(c, now, out);
	}
	c->mstate[m] = state;
	if (events > c->events)
		c->events = events;
	c->mdone_state[m] = state;
	if (c->attached) {
		c->out_mdone |= bit(m);
		c->kick = true;
	}
	if ((was_failed ^ c->failed) & bit(m) ||
	    (was_noread ^ c->noread) & bit(m)) {
		n->changed = true;
		if (!n->what)
			note(n, state == DDRAID_MEMBER_FAILED ?
			     "member now failed (daemon)" :
			     state == DDRAID_MEMBER_ACTIVE ?
			     "member now active (daemon)" :
			     "member now rebuilding (daemon)", false);
	}
}

static void on_commit_fail(struct tcore *c, u32 m, u64 now,
			   struct tcore_list *out, struct tcore_note *n)
{
	/* Never acknowledge writes past a member this target uses. */
	if (!(c->failed & bit(m))) {
		note(n, "member not failed here: COMMIT_FAIL ignored", false);
		return;
	}
	c->recorded |= bit(m);
	c->merr &= ~bit(m);
	c->out_merr &= ~bit(m);
	rethink_held(c, now, out);
}

/*
 * PATH_RETRY m: the cluster found that this target's errors on m were its
 * own path's fault; m is not failed. Use it again, and write again every
 * held write that missed it (writes still in flight that skipped it go
 * again when they finish, settle()).
 */
static void on_path_retry(struct tcore *c, u32 m, u64 now,
			  struct tcore_list *out, struct tcore_note *n)
{
	/*
	 * A rebuilding member takes writes like an active one (it is only
	 * not read): the other nodes go on writing it, and writes held here
	 * for it would wait for a COMMIT_FAIL that a path fault never
	 * brings, and so would a region lock that drains them (the rebuild
	 * stops). An active member that is also not read here was set out
	 * at load or replaced in the table: no path fault, ignored.
	 */
	if (c->mstate[m] != DDRAID_MEMBER_ACTIVE &&
	    c->mstate[m] != DDRAID_MEMBER_REBUILDING) {
		note(n, "member failed: PATH_RETRY ignored", false);
		return;
	}
	if (!(c->failed & bit(m)) ||
	    (c->mstate[m] == DDRAID_MEMBER_ACTIVE && (c->noread & bit(m)))) {
		note(n, "member not failing here: PATH_RETRY ignored", false);
		return;
	}
	if (c->absent & bit(m)) {
		note(n, "member not in the table: PATH_RETRY ignored", true);
		return;
	}
	if (c->recorded & bit(m)) {
		/* Committed: another node may have written past it. */
		note(n, "member failure committed: PATH_RETRY ignored", true);
		return;
	}
	c->failed &= ~bit(m);
	c->merr &= ~bit(m);
	c->out_merr &= ~bit(m);
	rethink_held(c, now, out);
	note(n, "member in use again (PATH_RETRY)", false);
	n->changed = true;
}

/* A message the daemon may send, in range? */
static bool valid(const struct tcore *c, const struct ddraid_chan_msg *m)
{
	switch (m->type) {
	case DDRAID_CHAN_GRANT:
	case DDRAID_CHAN_LOCK:
	case DDRAID_CHAN_UNLOCK:
		return m->region < c->regions;
	case DDRAID_CHAN_FREEZE:
		return !(m->flags & ~DDRAID_CHAN_FREEZE_ALL);
	case DDRAID_CHAN_THAW:
		return true;
	case DDRAID_CHAN_MEMBER_STATE:
		if (m->flags < DDRAID_MEMBER_ACTIVE ||
		    m->flags > DDRAID_MEMBER_REBUILDING)
			return false;
		return m->region < c->members;
	case DDRAID_CHAN_COMMIT_FAIL:
	case DDRAID_CHAN_PATH_RETRY:
		return m->region < c->members;
	}
	return false;
}

int tcore_apply(struct tcore *c, const struct ddraid_chan_msg *m, u64 now,
		struct tcore_list *out, struct tcore_note *n)
{
	struct tcore_note ignore;
	u64 r = m->region;

	if (!n)
		n = &ignore;
	note(n, NULL, false);
	n->changed = false;
	if (!valid(c, m)) {
		note(n, "invalid message: ignored", true);
		return -EINVAL;
	}
	switch (m->type) {
	case DDRAID_CHAN_GRANT:
		on_grant(c, r, m->status, now, out, n);
		break;
	case DDRAID_CHAN_LOCK:
		on_lock(c, r);
		break;
	case DDRAID_CHAN_UNLOCK:
		on_unlock(c, r, now, out);
		break;
	case DDRAID_CHAN_FREEZE:
		on_freeze(c, m->flags, now, out);
		break;
	case DDRAID_CHAN_THAW:
		on_thaw(c, now, out);
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		on_member_state(c, (u32)r, m->flags, m->arg, now, out, n);
		break;
	case DDRAID_CHAN_COMMIT_FAIL:
		on_commit_fail(c, (u32)r, now, out, n);
		break;
	case DDRAID_CHAN_PATH_RETRY:
		on_path_retry(c, (u32)r, now, out, n);
		break;
	}
	return 0;
}

/* ---- the kernel's suspend and table reload ---- */

void tcore_set_nowait(struct tcore *c, bool nowait)
{
	c->nowait = nowait;
}

void tcore_requeue_all(struct tcore *c, struct tcore_list *out)
{
	drop_gate(c, TCORE_NONE, TCORE_REQUEUE, 0, out);
	move_reads(c, TCORE_REQUEUE, 0, out);
	while (!link_empty(&c->held)) {
		struct tcore_io *io = io_of(c->held.next);

		unhold(c, io);
		give(out, io, TCORE_REQUEUE, 0);
	}
}

bool tcore_take_over(struct tcore *to, struct tcore *from, u32 replaced)
{
	struct tcore_region *spare = to->reg;
	u32 absent = to->absent, m;

	if (to->regions != from->regions || to->members != from->members)
		return false;
	*to = *from;
	init_lists(to);
	to->out_head = from->out_head;
	to->out_tail = from->out_tail;
	to->absent = absent;
	/* @from keeps the spare array: its owner frees it. */
	from->reg = spare;
	from->regions = 0;
	from->attached = false;
	from->out_head = TCORE_NONE;
	from->out_tail = TCORE_NONE;
	from->granted = 0;
	from->nlocked = 0;
	for (m = 0; m < to->members; m++) {
		if (!(replaced & bit(m)))
			continue;
		/* A new device holds nothing to believe yet. */
		to->failed |= bit(m);
		to->noread |= bit(m);
		if (!(from->failed & bit(m)) && !(to->merr & bit(m))) {
			to->merr |= bit(m);
			to->err_events[m] = to->events;
			owe_merr(to, bit(m));
		}
	}
	return true;
}
