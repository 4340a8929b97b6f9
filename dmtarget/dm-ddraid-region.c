// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cluster mode of the ddraid target: the write-intent gate, region grants,
 * locks, freezing, and the completion of writes that skipped a failed
 * member (docs/kernel-channel.md, docs/cluster-protocol.md).
 *
 * Every region is COLD, REQUESTED or GRANTED, and may be locked on top.
 * A write passes the gate only into a GRANTED, unlocked region of a target
 * that is not frozen (a table starts frozen: nothing is read or written
 * before the daemon's THAW); otherwise it waits on cl->gate and a COLD region
 * becomes REQUESTED (GRANT_REQ). The daemon's answers release or fail the
 * waiting writes. Writes that passed are counted per region until their
 * member IO is done, so that LOCK can wait for them and IDLE is only ever
 * sent for a region nothing is writing.
 *
 * Messages to the daemon are not queued as such: a region that owes the
 * daemon something is put on cl->outq with the message kinds in
 * region->out, and the channel's reader turns them into messages. So a
 * daemon that does not read makes nothing grow, and the IO path never
 * allocates.
 *
 * Locking: cl->lock (see struct ddraid_cluster) protects all of it. Bios
 * are ended and work is queued after it is dropped.
 */
#include <linux/module.h>
#include <linux/blkdev.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "dm-ddraid.h"

static unsigned int idle_ms = 5000;
module_param(idle_ms, uint, 0644);
MODULE_PARM_DESC(idle_ms,
		 "cluster mode: milliseconds without a write after which a region's grant is dropped (IDLE)");

static bool prefetch_grants;
module_param(prefetch_grants, bool, 0644);
MODULE_PARM_DESC(prefetch_grants,
		 "cluster mode: a sequential write into a region asks for the next region's grant too");

/* How many regions the idle scan looks at per hold of cl->lock. */
#define IDLE_SCAN_BATCH		1024

static unsigned long idle_period(void)
{
	return clamp_t(unsigned long, msecs_to_jiffies(READ_ONCE(idle_ms)) / 4,
		       HZ / 10, HZ);
}

/* ---- helpers, cl->lock held ---- */

/* The daemon may have messages to read. */
static void cl_kick(struct ddraid_cluster *cl)
{
	if (cl->chan)
		ddraid_chan_kick(cl->chan);
}

/* Region @r owes the daemon @what (nothing is owed to nobody). */
static void cl_out(struct ddraid_cluster *cl, u64 r, u8 what)
{
	struct ddraid_region *reg = &cl->reg[r];

	if (!cl->chan)
		return;
	reg->out |= what;
	if (list_empty(&reg->outq))
		list_add_tail(&reg->outq, &cl->outq);
	cl_kick(cl);
}

static bool may_write(struct ddraid_cluster *cl, struct ddraid_region *reg)
{
	return !cl->frozen && !reg->locked &&
	       reg->state == DDRAID_REGION_GRANTED;
}

static void pass_gate(struct ddraid_cluster *cl, struct ddraid_region *reg,
		      struct ddraid_io *io)
{
	io->gated = true;
	reg->inflight++;
	cl->inflight++;
	reg->last_write = jiffies;
}

/* Move the waiting writes that may now go to @ready. */
static void release_gate(struct ddraid_cluster *cl, struct list_head *ready)
{
	struct ddraid_io *io, *tmp;

	list_for_each_entry_safe(io, tmp, &cl->gate, centry) {
		struct ddraid_region *reg = &cl->reg[io->region];

		if (!may_write(cl, reg))
			continue;
		list_move_tail(&io->centry, ready);
		reg->waiting--;
		cl->waiting--;
		pass_gate(cl, reg, io);
	}
}

/* Move the writes waiting for region @r to @failed. */
static void fail_gate(struct ddraid_cluster *cl, u64 r,
		      struct list_head *failed)
{
	struct ddraid_io *io, *tmp;

	list_for_each_entry_safe(io, tmp, &cl->gate, centry) {
		if (io->region != r)
			continue;
		list_move_tail(&io->centry, failed);
		cl->reg[r].waiting--;
		cl->waiting--;
	}
}

/* ---- without cl->lock ---- */

static void go_ios(struct list_head *ready)
{
	struct ddraid_io *io, *tmp;

	list_for_each_entry_safe(io, tmp, ready, centry) {
		list_del(&io->centry);
		ddraid_write_go(io);
	}
}

static void complete_ios(struct list_head *list, blk_status_t status)
{
	struct ddraid_io *io, *tmp;

	list_for_each_entry_safe(io, tmp, list, centry) {
		list_del(&io->centry);
		ddraid_io_complete(io, status);
	}
}

/* ---- the IO path ---- */

/*
 * A sequential writer in a region will want the next one: ask for its
 * grant now (a region ahead: the grant takes longer than writing half a
 * region on fast members), so that the daemon's bit write and the cluster's
 * agreement overlap this region's writes instead of stalling the stream at
 * every region boundary (docs/kernel-channel.md). A write is sequential
 * when it starts where one of the last few writes ended, so random writes
 * do not set bits for regions nobody writes. Recording intent for a
 * region early is always safe; a prefetched grant nobody uses is dropped
 * as idle.
 */
static void prefetch_next(struct ddraid_cluster *cl, struct ddraid_io *io)
{
	u64 next = io->region + 1;
	u64 end = io->block + io->nblocks;
	struct ddraid_region *reg;
	bool seq = false;
	unsigned int i;

	/* Off (the default): not even the stream tracking on this path. */
	if (!READ_ONCE(prefetch_grants))
		return;
	for (i = 0; i < DDRAID_STREAMS; i++) {
		if (cl->stream_end[i] == io->block) {
			cl->stream_end[i] = end;
			seq = true;
			break;
		}
	}
	if (!seq) {
		cl->stream_end[cl->stream_next] = end;
		cl->stream_next = (cl->stream_next + 1) % DDRAID_STREAMS;
		return;
	}
	if (cl->requeue || next >= cl->regions)
		return;
	reg = &cl->reg[next];
	if (reg->state != DDRAID_REGION_COLD)
		return;
	reg->state = DDRAID_REGION_REQUESTED;
	cl_out(cl, next, DDRAID_OUT_GRANT_REQ);
}

/*
 * A write arrives (map). GO when it may go on now; WAIT when it waits for
 * the daemon's answer (it is then on cl->gate); REQUEUE during a noflush
 * suspend, when it would wait: dm keeps it for the next table.
 */
enum ddraid_gate ddraid_gate_enter(struct ddraid_ctx *ctx,
				   struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_region *reg;
	enum ddraid_gate ret = DDRAID_GATE_GO;
	unsigned long flags;

	/* max_io_len keeps a bio inside one region. */
	io->region = div64_u64(io->block, cl->region_blocks);
	if (WARN_ON_ONCE(io->region >= cl->regions))
		io->region = cl->regions - 1;
	reg = &cl->reg[io->region];

	spin_lock_irqsave(&cl->lock, flags);
	prefetch_next(cl, io);
	if (may_write(cl, reg)) {
		pass_gate(cl, reg, io);
	} else if (cl->requeue) {
		ret = DDRAID_GATE_REQUEUE;
	} else {
		ret = DDRAID_GATE_WAIT;
		list_add_tail(&io->centry, &cl->gate);
		reg->waiting++;
		cl->waiting++;
		if (reg->state == DDRAID_REGION_COLD) {
			/* Asked now, or when a daemon attaches. */
			reg->state = DDRAID_REGION_REQUESTED;
			cl_out(cl, io->region, DDRAID_OUT_GRANT_REQ);
		}
	}
	spin_unlock_irqrestore(&cl->lock, flags);
	return ret;
}

/*
 * Reads pass unless the target is frozen: from table load until the
 * daemon's THAW, and between FREEZE and THAW. Until the daemon has told it
 * the cluster's member states, the target may not know that a member was
 * recorded failed since its superblocks were read, and must not read it
 * (design brief I4); a partitioned node must not read what the quorate
 * side may be rebuilding. WAIT when @io waits for THAW.
 */
enum ddraid_gate ddraid_read_gate_enter(struct ddraid_ctx *ctx,
					struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	enum ddraid_gate ret = DDRAID_GATE_GO;
	unsigned long flags;

	spin_lock_irqsave(&cl->lock, flags);
	if (cl->frozen) {
		ret = cl->requeue ? DDRAID_GATE_REQUEUE : DDRAID_GATE_WAIT;
		if (ret == DDRAID_GATE_WAIT)
			list_add_tail(&io->centry, &cl->frozen_reads);
	}
	spin_unlock_irqrestore(&cl->lock, flags);
	return ret;
}

/* The member IO of a write that passed the gate is done. Any context. */
void ddraid_gate_write_end(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_region *reg;
	unsigned long flags;

	if (!io->gated)
		return;
	reg = &cl->reg[io->region];
	spin_lock_irqsave(&cl->lock, flags);
	io->gated = false;
	reg->inflight--;
	cl->inflight--;
	reg->last_write = jiffies;
	if (!reg->inflight && reg->lock_pending) {
		reg->lock_pending = false;
		cl_out(cl, io->region, DDRAID_OUT_LOCKED);
	}
	spin_unlock_irqrestore(&cl->lock, flags);
}

/*
 * Before an IO reads which members to skip (ctx->failed). A reader that
 * sees a new cl->gen also sees the member state that came with it
 * (forgive() clears ctx->failed first).
 */
void ddraid_cluster_io_gen(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	io->gen = READ_ONCE(ctx->cl.gen);
	smp_rmb();	/* pairs with forgive() */
}

/*
 * Members whose failure must be committed before @io may complete: those
 * it missed by an error, and those it skipped, unless the daemon has since
 * said they are rebuilding or active (forgive()). cl->lock held.
 */
static unsigned long needs_commit(struct ddraid_ctx *ctx,
				  struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long skip = io->skip;
	unsigned int m;

	for_each_set_bit(m, &skip, DDRAID_MAX_MEMBERS)
		if (io->gen < cl->forgive_gen[m])
			__clear_bit(m, &skip);
	return (skip | io->errors) & ~ctx->recorded;
}

/*
 * Member @m is rebuilding or active again (cl->lock held, after the state
 * change): writes that skipped it until now need no commit for it.
 */
static void forgive(struct ddraid_cluster *cl, u32 m)
{
	smp_wmb();	/* the member state first: ddraid_cluster_io_gen() */
	WRITE_ONCE(cl->gen, cl->gen + 1);
	cl->forgive_gen[m] = cl->gen;
}

/*
 * A write or flush whose member IO is done and that missed at most one
 * member. If it missed a member whose failure the cluster has not
 * committed, its completion waits for COMMIT_FAIL (invariant 3);
 * otherwise it completes now. Process context (the target's workqueue).
 */
void ddraid_cluster_hold(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long flags;

	blk_status_t status = BLK_STS_OK;

	ddraid_gate_write_end(ctx, io);
	spin_lock_irqsave(&cl->lock, flags);
	if (needs_commit(ctx, io)) {
		if (!cl->requeue) {
			list_add_tail(&io->centry, &cl->held);
			cl->nheld++;
			spin_unlock_irqrestore(&cl->lock, flags);
			return;
		}
		/* Not acknowledged: the next table writes it again. */
		status = BLK_STS_DM_REQUEUE;
	}
	spin_unlock_irqrestore(&cl->lock, flags);
	ddraid_io_complete(io, status);
}

/* Members in @mask just failed: tell the daemon (MEMBER_ERROR). */
void ddraid_cluster_member_error(struct ddraid_ctx *ctx, unsigned long mask)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long flags, newly;
	unsigned int m;

	spin_lock_irqsave(&cl->lock, flags);
	newly = mask & ~cl->merr & ~ctx->recorded;
	cl->merr |= newly;
	for_each_set_bit(m, &newly, DDRAID_MAX_MEMBERS)
		cl->err_events[m] = cl->events;
	if (newly && cl->chan) {
		cl->out_merr |= newly;
		cl_kick(cl);
	}
	spin_unlock_irqrestore(&cl->lock, flags);
}

/* ---- dropping idle grants ---- */

static void idle_work(struct work_struct *work)
{
	struct ddraid_ctx *ctx = container_of(to_delayed_work(work),
					      struct ddraid_ctx, cl.idle_work);
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long idle = msecs_to_jiffies(READ_ONCE(idle_ms));
	u64 r = 0;

	while (r < cl->regions) {
		u64 end = min_t(u64, r + IDLE_SCAN_BATCH, cl->regions);

		spin_lock_irq(&cl->lock);
		/*
		 * Nobody to tell without a daemon (keep the grants: I7);
		 * none while the HELD list is being read or while frozen.
		 */
		if (!cl->chan || cl->hs != DDRAID_HS_RUN || cl->frozen ||
		    !cl->granted) {
			spin_unlock_irq(&cl->lock);
			break;
		}
		for (; r < end; r++) {
			struct ddraid_region *reg = &cl->reg[r];

			if (reg->state != DDRAID_REGION_GRANTED ||
			    reg->inflight || reg->waiting || reg->locked ||
			    reg->lock_pending ||
			    time_before(jiffies, reg->last_write + idle))
				continue;
			reg->state = DDRAID_REGION_COLD;
			cl->granted--;
			cl_out(cl, r, DDRAID_OUT_IDLE);
		}
		spin_unlock_irq(&cl->lock);
		cond_resched();
	}
	queue_delayed_work(ctx->wq, &cl->idle_work, idle_period());
}

/* ---- attach, detach, and what the daemon reads ---- */

/* A daemon attached (under ddraid_chan_mutex). */
void ddraid_cluster_attach(struct ddraid_ctx *ctx, struct ddraid_chan *chan)
{
	struct ddraid_cluster *cl = &ctx->cl;
	u64 r;

	spin_lock_irq(&cl->lock);
	cl->chan = chan;
	cl->seq = 0;
	cl->hs = DDRAID_HS_HELLO;
	cl->hs_cursor = 0;
	cl->out_merr = cl->merr;
	cl->out_mdone = 0;
	/* Writes that wait ask the new daemon (after HELD_END). */
	for (r = 0; r < cl->regions; r++)
		if (cl->reg[r].state == DDRAID_REGION_REQUESTED)
			cl_out(cl, r, DDRAID_OUT_GRANT_REQ);
	cl_kick(cl);
	spin_unlock_irq(&cl->lock);
}

/* The daemon is gone (under ddraid_chan_mutex). Nothing else changes. */
void ddraid_cluster_detach(struct ddraid_ctx *ctx)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_region *reg, *tmp;

	spin_lock_irq(&cl->lock);
	list_for_each_entry_safe(reg, tmp, &cl->outq, outq) {
		reg->out = 0;
		list_del_init(&reg->outq);
	}
	cl->chan = NULL;
	cl->out_merr = 0;
	cl->out_mdone = 0;
	spin_unlock_irq(&cl->lock);
}

/* The next HELD of the handshake, or HELD_END. */
static void next_held(struct ddraid_cluster *cl, struct ddraid_chan_msg *m)
{
	while (cl->hs_cursor < cl->regions) {
		u64 r = cl->hs_cursor++;
		struct ddraid_region *reg = &cl->reg[r];
		bool granted = reg->state == DDRAID_REGION_GRANTED;

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
	cl->hs = DDRAID_HS_RUN;
}

/*
 * Fill @m with the next message for the daemon: 0, or -EAGAIN when there
 * is none (then the channel is told so under the lock, so that a message
 * owed right after wakes the reader). Under ddraid_chan_mutex.
 */
int ddraid_cluster_next_msg(struct ddraid_ctx *ctx, struct ddraid_chan_msg *m)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_region *reg;
	int ret = 0;
	u32 i;

	memset(m, 0, sizeof(*m));
	spin_lock_irq(&cl->lock);
	switch (cl->hs) {
	case DDRAID_HS_HELLO:
		m->type = DDRAID_CHAN_HELLO;
		m->region = cl->regions;
		m->arg = ctx->geom.members;
		m->flags = cl->frozen ? DDRAID_CHAN_HELLO_FROZEN : 0;
		cl->hs = DDRAID_HS_HELD;
		goto out;
	case DDRAID_HS_HELD:
		next_held(cl, m);
		goto out;
	}
	if (cl->out_merr) {
		i = __ffs(cl->out_merr);
		__clear_bit(i, &cl->out_merr);
		m->type = DDRAID_CHAN_MEMBER_ERROR;
		m->region = i;
		m->status = EIO;
		goto out;
	}
	if (cl->out_mdone) {
		i = __ffs(cl->out_mdone);
		__clear_bit(i, &cl->out_mdone);
		m->type = DDRAID_CHAN_MEMBER_STATE_DONE;
		m->region = i;
		m->flags = cl->mdone_state[i];
		goto out;
	}
	reg = list_first_entry_or_null(&cl->outq, struct ddraid_region, outq);
	if (!reg) {
		if (cl->chan)
			WRITE_ONCE(cl->chan->kick, false);
		ret = -EAGAIN;
		goto out;
	}
	m->region = reg - cl->reg;
	/* IDLE before GRANT_REQ: the daemon must see the drop first. */
	if (reg->out & DDRAID_OUT_IDLE) {
		reg->out &= ~DDRAID_OUT_IDLE;
		m->type = DDRAID_CHAN_IDLE;
	} else if (reg->out & DDRAID_OUT_GRANT_REQ) {
		reg->out &= ~DDRAID_OUT_GRANT_REQ;
		m->type = DDRAID_CHAN_GRANT_REQ;
	} else {
		reg->out &= ~DDRAID_OUT_LOCKED;
		m->type = DDRAID_CHAN_LOCKED;
	}
	if (!reg->out)
		list_del_init(&reg->outq);
out:
	if (!ret)
		m->seq = ++cl->seq;
	spin_unlock_irq(&cl->lock);
	return ret;
}

/* ---- what the daemon says ---- */

static void on_grant(struct ddraid_ctx *ctx, u64 r, u32 status)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_region *reg = &cl->reg[r];
	LIST_HEAD(ready);
	LIST_HEAD(failed);

	spin_lock_irq(&cl->lock);
	/* Only an answer to a request counts (a late or repeated one not). */
	if (reg->state == DDRAID_REGION_REQUESTED) {
		if (!status) {
			reg->state = DDRAID_REGION_GRANTED;
			reg->last_write = jiffies;
			cl->granted++;
			release_gate(cl, &ready);
		} else {
			reg->state = DDRAID_REGION_COLD;
			fail_gate(cl, r, &failed);
		}
	}
	spin_unlock_irq(&cl->lock);
	go_ios(&ready);
	if (!list_empty(&failed)) {
		DMERR_LIMIT("%s: region %llu refused (errno %u): failing its waiting writes",
			    dm_device_name(dm_table_get_md(ctx->ti->table)),
			    r, status);
		complete_ios(&failed, errno_to_blk_status(-(int)status));
	}
}

static void on_lock(struct ddraid_cluster *cl, u64 r, bool lock)
{
	struct ddraid_region *reg = &cl->reg[r];
	LIST_HEAD(ready);

	spin_lock_irq(&cl->lock);
	if (lock) {
		if (!reg->locked)
			cl->nlocked++;
		reg->locked = true;
		/* Drained now, or when the last write in flight ends. */
		if (reg->inflight)
			reg->lock_pending = true;
		else
			cl_out(cl, r, DDRAID_OUT_LOCKED);
	} else {
		if (reg->locked)
			cl->nlocked--;
		reg->locked = false;
		reg->lock_pending = false;
		release_gate(cl, &ready);
	}
	spin_unlock_irq(&cl->lock);
	go_ios(&ready);
}

static void on_freeze(struct ddraid_cluster *cl, bool freeze)
{
	struct ddraid_io *io, *tmp;
	LIST_HEAD(ready);
	LIST_HEAD(reads);

	spin_lock_irq(&cl->lock);
	cl->frozen = freeze;
	if (!freeze) {
		release_gate(cl, &ready);
		list_splice_init(&cl->frozen_reads, &reads);
	}
	spin_unlock_irq(&cl->lock);
	go_ios(&ready);
	list_for_each_entry_safe(io, tmp, &reads, centry) {
		list_del(&io->centry);
		ddraid_read_go(io);
	}
}

/* Held writes that need no commit any more (cl->lock held). */
static void release_held(struct ddraid_ctx *ctx, struct list_head *done)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_io *io, *tmp;

	list_for_each_entry_safe(io, tmp, &cl->held, centry) {
		if (needs_commit(ctx, io))
			continue;
		list_move_tail(&io->centry, done);
		cl->nheld--;
	}
}

/*
 * MEMBER_STATE m: the cluster's word on member m (docs/kernel-channel.md),
 * as the simulated target of tests/sim/sim_target.c applies it.
 */
static void on_member_state(struct ddraid_ctx *ctx, u32 m, u32 state,
			    u64 events)
{
	struct ddraid_cluster *cl = &ctx->cl;
	const char *name = dm_device_name(dm_table_get_md(ctx->ti->table));
	unsigned long bit = 1ul << m;
	bool event = false, again = false;
	LIST_HEAD(done);

	spin_lock_irq(&cl->lock);
	switch (state) {
	case DDRAID_MEMBER_FAILED:
		/* Not read (nor written) from now on. */
		event = !test_and_set_bit(m, &ctx->failed);
		break;
	case DDRAID_MEMBER_REBUILDING:
	case DDRAID_MEMBER_ACTIVE:
		if (!ctx->member[m].dev) {
			spin_unlock_irq(&cl->lock);
			DMERR("%s: member %u not in the table: cannot make it %s",
			      name, m, state == DDRAID_MEMBER_ACTIVE ?
			      "active" : "rebuilding");
			return;
		}
		/*
		 * "active" while it fails here, said by a daemon that has
		 * known it active since before the error: the cluster has
		 * not heard of the error yet. It stays out and is reported
		 * again. An "active" that ends a failure or rebuild, or
		 * comes two event generations later, means the member was
		 * rebuilt after the error: the error is history.
		 */
		if (state == DDRAID_MEMBER_ACTIVE && (cl->merr & bit) &&
		    cl->mstate[m] == DDRAID_MEMBER_ACTIVE &&
		    events < cl->err_events[m] + 2) {
			again = true;
			if (cl->chan) {
				cl->out_merr |= bit;
				cl_kick(cl);
			}
			break;
		}
		/* Written again; read again only when active. */
		if (state == DDRAID_MEMBER_REBUILDING)
			set_bit(m, &ctx->noread);
		else
			clear_bit(m, &ctx->noread);
		event = test_and_clear_bit(m, &ctx->failed);
		clear_bit(m, &ctx->recorded);
		cl->merr &= ~bit;
		cl->out_merr &= ~bit;
		/*
		 * The cluster recorded its failure before (a rebuild starts
		 * only then) and nobody reads it until the rebuild wrote it:
		 * writes that skipped it so far may complete, held or still
		 * in flight.
		 */
		forgive(cl, m);
		release_held(ctx, &done);
		break;
	}
	cl->mstate[m] = state;
	if (events > cl->events)
		cl->events = events;
	cl->mdone_state[m] = state;
	if (cl->chan) {
		__set_bit(m, &cl->out_mdone);
		cl_kick(cl);
	}
	spin_unlock_irq(&cl->lock);
	complete_ios(&done, BLK_STS_OK);
	if (again)
		DMWARN("%s: member %u failed here: stays out until recorded",
		       name, m);
	if (event) {
		DMWARN("%s: member %u now %s (daemon)", name, m,
		       state == DDRAID_MEMBER_FAILED ? "failed" :
		       state == DDRAID_MEMBER_ACTIVE ? "active" : "rebuilding");
		schedule_work(&ctx->event_work);
	}
}

static void on_commit_fail(struct ddraid_ctx *ctx, u32 m)
{
	struct ddraid_cluster *cl = &ctx->cl;
	LIST_HEAD(done);

	spin_lock_irq(&cl->lock);
	if (!test_bit(m, &ctx->failed)) {
		/* Never acknowledge writes past a member this target uses. */
		spin_unlock_irq(&cl->lock);
		DMWARN("%s: COMMIT_FAIL for member %u, which is not failed here: ignored",
		       dm_device_name(dm_table_get_md(ctx->ti->table)), m);
		return;
	}
	set_bit(m, &ctx->recorded);
	__clear_bit(m, &cl->merr);
	__clear_bit(m, &cl->out_merr);
	release_held(ctx, &done);
	spin_unlock_irq(&cl->lock);
	complete_ios(&done, BLK_STS_OK);
}

/* Apply one validated daemon message (process context). */
void ddraid_cluster_apply(struct ddraid_ctx *ctx,
			  const struct ddraid_chan_msg *m)
{
	switch (m->type) {
	case DDRAID_CHAN_GRANT:
		on_grant(ctx, m->region, m->status);
		break;
	case DDRAID_CHAN_LOCK:
	case DDRAID_CHAN_UNLOCK:
		on_lock(&ctx->cl, m->region, m->type == DDRAID_CHAN_LOCK);
		break;
	case DDRAID_CHAN_FREEZE:
	case DDRAID_CHAN_THAW:
		on_freeze(&ctx->cl, m->type == DDRAID_CHAN_FREEZE);
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		on_member_state(ctx, (u32)m->region, m->flags, m->arg);
		break;
	case DDRAID_CHAN_COMMIT_FAIL:
		on_commit_fail(ctx, (u32)m->region);
		break;
	}
}

/* ---- status, set up, tear down ---- */

/*
 * Appended to the INFO status line (docs/dm-target.md):
 *   cluster <attached|detached> <granted> <locked> <inflight> <waiting>
 *   <held> <frozen|running>
 */
void ddraid_cluster_status(struct ddraid_ctx *ctx, char *result,
			   unsigned int maxlen, unsigned int *szp)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned int sz = *szp;
	u64 granted, nlocked, inflight, waiting, nheld;
	bool attached, frozen;

	spin_lock_irq(&cl->lock);
	attached = cl->chan;
	granted = cl->granted;
	nlocked = cl->nlocked;
	inflight = cl->inflight;
	waiting = cl->waiting;
	nheld = cl->nheld;
	frozen = cl->frozen;
	spin_unlock_irq(&cl->lock);
	DMEMIT(" cluster %s %llu %llu %llu %llu %llu %s",
	       attached ? "attached" : "detached", granted, nlocked,
	       inflight, waiting, nheld, frozen ? "frozen" : "running");
	*szp = sz;
}

int ddraid_cluster_init(struct ddraid_ctx *ctx)
{
	struct ddraid_cluster *cl = &ctx->cl;
	u64 r;
	u32 m;

	spin_lock_init(&cl->lock);
	INIT_LIST_HEAD(&cl->node);
	INIT_LIST_HEAD(&cl->gate);
	INIT_LIST_HEAD(&cl->frozen_reads);
	/* Frozen until the daemon THAWs it: see ddraid_read_gate_enter(). */
	cl->frozen = true;
	INIT_LIST_HEAD(&cl->held);
	INIT_LIST_HEAD(&cl->outq);
	INIT_DELAYED_WORK(&cl->idle_work, idle_work);
	cl->regions = ctx->sb.regions;
	cl->region_blocks = ctx->sb.region_size >> DDRAID_BLOCK_SHIFT;
	if (!cl->regions || !cl->region_blocks)
		return -EINVAL;
	cl->events = ctx->sb.events;
	for (m = 0; m < ctx->geom.members; m++)
		cl->mstate[m] = ctx->sb.member[m].state;
	/*
	 * A member given with "rebuild" that the superblocks call active
	 * is taken out here: the cluster must record that (MEMBER_ERROR)
	 * before a write that skips it completes.
	 */
	cl->merr = ctx->rebuild & ~ctx->recorded;
	cl->reg = kvcalloc(cl->regions, sizeof(*cl->reg), GFP_KERNEL);
	if (!cl->reg)
		return -ENOMEM;
	for (r = 0; r < cl->regions; r++)
		INIT_LIST_HEAD(&cl->reg[r].outq);
	return 0;
}

/*
 * Presuspend. In a noflush suspend (a table reload, e.g. to put a new
 * member device in for an online rebuild) nothing may wait for the
 * daemon: the daemon may be the one suspending. Every IO that waits here
 * goes back to dm, which keeps it and submits it to the next table (or
 * this one, resumed). A flush suspend waits for the daemon's answers as
 * any IO does.
 */
void ddraid_cluster_presuspend(struct ddraid_ctx *ctx, bool noflush)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct ddraid_io *io, *tmp;
	LIST_HEAD(back);

	if (!noflush)
		return;
	spin_lock_irq(&cl->lock);
	cl->requeue = true;
	list_for_each_entry_safe(io, tmp, &cl->gate, centry) {
		cl->reg[io->region].waiting--;
		cl->waiting--;
		list_move_tail(&io->centry, &back);
	}
	/* The regions stay REQUESTED: their grants are still wanted. */
	list_splice_tail_init(&cl->frozen_reads, &back);
	cl->nheld = 0;
	list_splice_tail_init(&cl->held, &back);
	spin_unlock_irq(&cl->lock);
	complete_ios(&back, BLK_STS_DM_REQUEUE);
}

/* Suspended: no grant is dropped while no IO can come. */
void ddraid_cluster_postsuspend(struct ddraid_ctx *ctx)
{
	cancel_delayed_work_sync(&ctx->cl.idle_work);
}

/* Resumed (or the suspend was undone): IO waits for the daemon again. */
void ddraid_cluster_resume(struct ddraid_ctx *ctx)
{
	struct ddraid_cluster *cl = &ctx->cl;

	spin_lock_irq(&cl->lock);
	cl->requeue = false;
	spin_unlock_irq(&cl->lock);
	queue_delayed_work(ctx->wq, &cl->idle_work, idle_period());
}

/*
 * Member @m of @to: the same device as in @from (then the older table's
 * view of it stands), or a different one, or one given with "rebuild":
 * then it starts out of use, and if @from was using it the cluster must
 * record its failure first (MEMBER_ERROR).
 */
static void take_over_member(struct ddraid_ctx *to, struct ddraid_ctx *from,
			     u32 m)
{
	struct dm_dev *fd = from->member[m].dev, *td = to->member[m].dev;
	bool same = fd ? td && td->bdev == fd->bdev : !td;
	unsigned long bit = 1ul << m;

	to->recorded = (to->recorded & ~bit) | (from->recorded & bit);
	if (same && !(to->rebuild & bit)) {
		to->failed = (to->failed & ~bit) | (from->failed & bit);
		to->noread = (to->noread & ~bit) | (from->noread & bit);
		return;
	}
	to->failed |= bit;
	to->noread |= bit;
	if (!(from->failed & bit) && !(to->cl.merr & bit)) {
		to->cl.merr |= bit;
		to->cl.err_events[m] = to->cl.events;
		if (to->cl.chan)
			to->cl.out_merr |= bit;
		DMWARN("%s: member %u replaced while in use: failed until recorded",
		       dm_device_name(dm_table_get_md(to->ti->table)), m);
	}
}

/*
 * A table replaces @from, the live one, on resume (under
 * ddraid_chan_mutex): the cluster state belongs to the dm device, not to
 * a table, so @to takes it over whole: grants, locks, freezing, the
 * daemon, what is owed to it, and what the daemon said of each member.
 * Both tables are suspended: no IO runs and none waits (presuspend gave
 * it back to dm, or a flush suspend saw it through). False when the
 * region tables differ; then nothing is moved.
 */
bool ddraid_cluster_take_over(struct ddraid_ctx *to, struct ddraid_ctx *from)
{
	struct ddraid_cluster *t = &to->cl, *f = &from->cl;
	u32 m;

	if (t->regions != f->regions || t->region_blocks != f->region_blocks ||
	    to->geom.members != from->geom.members)
		return false;
	spin_lock_irq(&f->lock);
	spin_lock_nested(&t->lock, SINGLE_DEPTH_NESTING);
	WARN_ON_ONCE(f->inflight || f->waiting || f->nheld ||
		     !list_empty(&f->frozen_reads) || t->chan);
	/* @to's region table is untouched: it never had IO or a daemon. */
	swap(t->reg, f->reg);
	list_splice_init(&f->outq, &t->outq);
	t->granted = f->granted;
	t->nlocked = f->nlocked;
	f->granted = 0;
	f->nlocked = 0;
	t->frozen = f->frozen;
	t->chan = f->chan;
	f->chan = NULL;
	t->seq = f->seq;
	t->hs = f->hs;
	t->hs_cursor = f->hs_cursor;
	t->merr = f->merr;
	t->out_merr = f->out_merr;
	t->out_mdone = f->out_mdone;
	f->out_merr = 0;
	f->out_mdone = 0;
	memcpy(t->mdone_state, f->mdone_state, sizeof(t->mdone_state));
	memcpy(t->mstate, f->mstate, sizeof(t->mstate));
	memcpy(t->err_events, f->err_events, sizeof(t->err_events));
	t->events = max(t->events, f->events);
	t->gen = f->gen;
	memcpy(t->forgive_gen, f->forgive_gen, sizeof(t->forgive_gen));
	for (m = 0; m < to->geom.members; m++)
		take_over_member(to, from, m);
	f->live = false;
	if (t->chan && (t->out_merr || !list_empty(&t->outq)))
		cl_kick(t);
	spin_unlock(&t->lock);
	spin_unlock_irq(&f->lock);
	return true;
}

/* After ddraid_chan_unregister(): no daemon, no IO (dm drained it). */
void ddraid_cluster_exit(struct ddraid_ctx *ctx)
{
	cancel_delayed_work_sync(&ctx->cl.idle_work);
	WARN_ON_ONCE(!list_empty(&ctx->cl.gate) || !list_empty(&ctx->cl.held));
	kvfree(ctx->cl.reg);
	ctx->cl.reg = NULL;
}
