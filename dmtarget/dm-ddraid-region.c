// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cluster mode of the ddraid target: the kernel's side of the target core
 * (common/ddraid_tcore.c, docs/kernel-channel.md). Every decision (region
 * grants, locks, freezing, member failures, the completion of writes that
 * missed a member, what the daemon is owed and in which order) is the
 * core's, the same code the cluster simulator runs; this file gives it a
 * lock, a clock (jiffies), the IO it releases, a timer for idle grants,
 * the noflush-suspend requeue and the table take-over.
 *
 * Locking: cl->lock (see struct ddraid_cluster), taken with interrupts off
 * since bios complete in interrupt context, is held around every call into
 * the core. The core hands released IO back on a private list; bios are
 * ended and work is queued after the lock is dropped.
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

static bool prefetch_grants = true;
module_param(prefetch_grants, bool, 0644);
MODULE_PARM_DESC(prefetch_grants,
		 "cluster mode: a sequential write into a region asks for the grants of the regions after it too (default on)");

static unsigned int prefetch_ahead = TCORE_PREFETCH_AHEAD;
module_param(prefetch_ahead, uint, 0644);
MODULE_PARM_DESC(prefetch_ahead,
		 "cluster mode: how many regions ahead grant prefetch asks for (default 2, at most 8)");

/* How many regions the idle scan looks at per hold of cl->lock. */
#define IDLE_SCAN_BATCH		1024

static unsigned long idle_period(void)
{
	return clamp_t(unsigned long, msecs_to_jiffies(READ_ONCE(idle_ms)) / 4,
		       HZ / 10, HZ);
}

static const char *ctx_name(struct ddraid_ctx *ctx)
{
	return dm_device_name(dm_table_get_md(ctx->ti->table));
}

/* cl->lock held: wake the daemon if the core came to owe it something. */
static void cl_kick(struct ddraid_cluster *cl)
{
	if (tcore_take_kick(&cl->core) && cl->chan)
		ddraid_chan_kick(cl->chan);
}

/* Without cl->lock: act on the IO the core released. */
static void cl_run(struct tcore_list *out)
{
	struct tcore_io *tio;

	while ((tio = tcore_list_pop(out))) {
		struct ddraid_io *io = container_of(tio, struct ddraid_io, tio);

		switch (tio->verdict) {
		case TCORE_GO:
			if (tio->kind == TCORE_READ)
				ddraid_read_go(io);
			else
				ddraid_write_go(io);
			break;
		case TCORE_DONE:
			ddraid_io_complete(io, BLK_STS_OK);
			break;
		case TCORE_REQUEUE:
			/* Not acknowledged: dm submits it to the next table. */
			ddraid_io_complete(io, BLK_STS_DM_REQUEUE);
			break;
		default:
			ddraid_io_complete(io,
					   errno_to_blk_status(-(int)tio->status));
			break;
		}
	}
}

static enum ddraid_gate to_gate(enum tcore_verdict v)
{
	switch (v) {
	case TCORE_GO:
		return DDRAID_GATE_GO;
	case TCORE_WAIT:
		return DDRAID_GATE_WAIT;
	case TCORE_REQUEUE:
		return DDRAID_GATE_REQUEUE;
	default:
		return DDRAID_GATE_FAIL;
	}
}

/* ---- the IO path ---- */

/*
 * A write arrives (map). GO when it may go on now; WAIT when it waits for
 * the daemon's answer (the core keeps it); REQUEUE during a noflush
 * suspend, when it would wait: dm keeps it for the next table; FAIL when
 * the target is withdrawn (FREEZE with FAIL_IO).
 */
enum ddraid_gate ddraid_gate_enter(struct ddraid_ctx *ctx,
				   struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	enum tcore_verdict v;
	unsigned long flags;

	spin_lock_irqsave(&cl->lock, flags);
	if (READ_ONCE(prefetch_grants))
		tcore_prefetch(&cl->core, io->tio.region, io->block,
			       io->nblocks, READ_ONCE(prefetch_ahead));
	v = tcore_write_enter(&cl->core, &io->tio, get_jiffies_64());
	cl_kick(cl);
	spin_unlock_irqrestore(&cl->lock, flags);
	return to_gate(v);
}

/*
 * Reads pass unless the target is frozen: from table load until the
 * daemon's THAW (until the daemon has told it the cluster's member states
 * the target may not know that a member was recorded failed since its
 * superblocks were read, and must not read it: design brief I4), and
 * between FREEZE and THAW.
 */
enum ddraid_gate ddraid_read_gate_enter(struct ddraid_ctx *ctx,
					struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	enum tcore_verdict v;
	unsigned long flags;

	spin_lock_irqsave(&cl->lock, flags);
	v = tcore_read_enter(&cl->core, &io->tio);
	spin_unlock_irqrestore(&cl->lock, flags);
	return to_gate(v);
}

/*
 * Just before an IO's member IO is issued (again): the core chooses the
 * members it skips. -EIO when two or more are out, or the target is
 * withdrawn. Any context.
 */
int ddraid_cluster_plan(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&cl->lock, flags);
	if (io->tio.kind == TCORE_READ)
		ret = tcore_read_plan(&cl->core, &io->tio);
	else
		ret = tcore_write_plan(&cl->core, &io->tio);
	spin_unlock_irqrestore(&cl->lock, flags);
	io->skip = io->tio.skip;
	return ret;
}

/*
 * The member IO of a write or flush is done, @errors the members that
 * failed it (already failed here, ddraid_fail_members()). The core
 * completes it, holds it until COMMIT_FAIL (invariant 3), or sends it
 * again. Any context.
 */
void ddraid_cluster_write_done(struct ddraid_ctx *ctx, struct ddraid_io *io,
			       unsigned long errors)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct tcore_list out;
	unsigned long flags;

	tcore_list_init(&out);
	spin_lock_irqsave(&cl->lock, flags);
	tcore_write_done(&cl->core, &io->tio, errors, get_jiffies_64(), &out);
	cl_kick(cl);
	spin_unlock_irqrestore(&cl->lock, flags);
	cl_run(&out);
}

/* @io ends outside the core's decisions: it forgets it. Any context. */
void ddraid_cluster_io_end(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long flags;

	spin_lock_irqsave(&cl->lock, flags);
	tcore_io_forget(&cl->core, &io->tio, get_jiffies_64());
	cl_kick(cl);
	spin_unlock_irqrestore(&cl->lock, flags);
}

/* Members in @mask failed IO here; returns those newly out. Any context. */
unsigned long ddraid_cluster_member_error(struct ddraid_ctx *ctx,
					  unsigned long mask)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned long flags, newly;

	spin_lock_irqsave(&cl->lock, flags);
	newly = tcore_member_error(&cl->core, mask);
	cl_kick(cl);
	spin_unlock_irqrestore(&cl->lock, flags);
	return newly;
}

/* The members not used (@failed) and not read (@noread) right now. */
void ddraid_cluster_members(struct ddraid_ctx *ctx, unsigned long *failed,
			    unsigned long *noread)
{
	struct ddraid_cluster *cl = &ctx->cl;

	spin_lock_irq(&cl->lock);
	*failed = cl->core.failed;
	*noread = cl->core.noread;
	spin_unlock_irq(&cl->lock);
}

/* ---- dropping idle grants ---- */

static void idle_work(struct work_struct *work)
{
	struct ddraid_ctx *ctx = container_of(to_delayed_work(work),
					      struct ddraid_ctx, cl.idle_work);
	struct ddraid_cluster *cl = &ctx->cl;
	u64 idle = msecs_to_jiffies(READ_ONCE(idle_ms));
	u64 r = 0;

	while (r < cl->core.regions) {
		spin_lock_irq(&cl->lock);
		r = tcore_idle_scan(&cl->core, r, IDLE_SCAN_BATCH,
				    get_jiffies_64(), idle);
		cl_kick(cl);
		spin_unlock_irq(&cl->lock);
		cond_resched();
	}
	queue_delayed_work(ctx->wq, &cl->idle_work, idle_period());
}

/* ---- attach, detach, and what the daemon reads and says ---- */

/* A daemon attached (under ddraid_chan_mutex). */
void ddraid_cluster_attach(struct ddraid_ctx *ctx, struct ddraid_chan *chan)
{
	struct ddraid_cluster *cl = &ctx->cl;

	spin_lock_irq(&cl->lock);
	cl->chan = chan;
	tcore_attach(&cl->core);
	cl_kick(cl);
	spin_unlock_irq(&cl->lock);
}

/* The daemon is gone (under ddraid_chan_mutex). Nothing else changes. */
void ddraid_cluster_detach(struct ddraid_ctx *ctx)
{
	struct ddraid_cluster *cl = &ctx->cl;

	spin_lock_irq(&cl->lock);
	tcore_detach(&cl->core);
	cl->chan = NULL;
	spin_unlock_irq(&cl->lock);
}

/*
 * Fill @m with the next message for the daemon: 0, or -EAGAIN when there
 * is none (then the channel is told so under the lock, so that a message
 * owed right after wakes the reader). Under ddraid_chan_mutex.
 */
int ddraid_cluster_next_msg(struct ddraid_ctx *ctx, struct ddraid_chan_msg *m)
{
	struct ddraid_cluster *cl = &ctx->cl;
	int ret;

	spin_lock_irq(&cl->lock);
	ret = tcore_next_msg(&cl->core, m);
	if (ret && cl->chan)
		WRITE_ONCE(cl->chan->kick, false);
	spin_unlock_irq(&cl->lock);
	return ret;
}

/* Apply one validated daemon message (process context). */
void ddraid_cluster_apply(struct ddraid_ctx *ctx,
			  const struct ddraid_chan_msg *m)
{
	struct ddraid_cluster *cl = &ctx->cl;
	struct tcore_note note;
	struct tcore_list out;
	int ret;

	tcore_list_init(&out);
	spin_lock_irq(&cl->lock);
	ret = tcore_apply(&cl->core, m, get_jiffies_64(), &out, &note);
	cl_kick(cl);
	spin_unlock_irq(&cl->lock);
	cl_run(&out);
	if (WARN_ON_ONCE(ret))
		return;		/* the channel validated it */
	if (note.what && note.error)
		DMERR_LIMIT("%s: %s %llu: %s", ctx_name(ctx),
			    ddraid_chan_type_name(m->type), m->region,
			    note.what);
	else if (note.what)
		DMWARN_LIMIT("%s: %s %llu: %s", ctx_name(ctx),
			     ddraid_chan_type_name(m->type), m->region,
			     note.what);
	if (note.changed)
		schedule_work(&ctx->event_work);
}

/* ---- status, set up, tear down ---- */

/*
 * Appended to the INFO status line (docs/dm-target.md):
 *   cluster <attached|detached> <granted> <locked> <inflight> <waiting>
 *   <held> <frozen|running|failing>
 */
void ddraid_cluster_status(struct ddraid_ctx *ctx, char *result,
			   unsigned int maxlen, unsigned int *szp)
{
	struct ddraid_cluster *cl = &ctx->cl;
	unsigned int sz = *szp;
	u64 granted, nlocked, inflight, waiting, nheld;
	bool attached, frozen, withdrawn;

	spin_lock_irq(&cl->lock);
	attached = cl->chan;
	granted = cl->core.granted;
	nlocked = cl->core.nlocked;
	inflight = cl->core.inflight;
	waiting = cl->core.waiting;
	nheld = cl->core.nheld;
	frozen = cl->core.frozen;
	withdrawn = cl->core.withdrawn;
	spin_unlock_irq(&cl->lock);
	DMEMIT(" cluster %s %llu %llu %llu %llu %llu %s",
	       attached ? "attached" : "detached", granted, nlocked,
	       inflight, waiting, nheld,
	       withdrawn ? "failing" : frozen ? "frozen" : "running");
	*szp = sz;
}

int ddraid_cluster_init(struct ddraid_ctx *ctx)
{
	struct ddraid_cluster *cl = &ctx->cl;
	u32 mstate[DDRAID_MAX_MEMBERS];
	struct tcore_region *reg;
	u64 regions = ctx->sb.regions;
	u32 m;

	spin_lock_init(&cl->lock);
	INIT_LIST_HEAD(&cl->node);
	INIT_DELAYED_WORK(&cl->idle_work, idle_work);
	cl->region_blocks = ctx->sb.region_size >> DDRAID_BLOCK_SHIFT;
	if (!regions || !cl->region_blocks)
		return -EINVAL;
	reg = kvcalloc(regions, sizeof(*reg), GFP_KERNEL);
	if (!reg)
		return -ENOMEM;
	for (m = 0; m < ctx->geom.members; m++)
		mstate[m] = ctx->sb.member[m].state;
	/*
	 * Frozen until the daemon THAWs it: see ddraid_read_gate_enter().
	 * Members given as "-" or with "rebuild" start out of use; one the
	 * superblocks call active must be recorded failed by the cluster
	 * (MEMBER_ERROR) before a write that skips it completes.
	 */
	tcore_init(&cl->core, reg, regions, ctx->geom.members, ctx->sb.events,
		   mstate, ctx->missing | ctx->rebuild, ctx->missing);
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
	struct tcore_list out;

	if (!noflush)
		return;
	tcore_list_init(&out);
	spin_lock_irq(&cl->lock);
	tcore_set_nowait(&cl->core, true);
	tcore_requeue_all(&cl->core, &out);
	spin_unlock_irq(&cl->lock);
	cl_run(&out);
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
	tcore_set_nowait(&cl->core, false);
	spin_unlock_irq(&cl->lock);
	queue_delayed_work(ctx->wq, &cl->idle_work, idle_period());
}

/*
 * Member @m of @to replaces @from's: the same device as in @from (then the
 * older table's view of it stands), or a different one, or one given with
 * "rebuild" (then it starts out of use).
 */
static bool member_replaced(struct ddraid_ctx *to, struct ddraid_ctx *from,
			    u32 m)
{
	struct dm_dev *fd = from->member[m].dev, *td = to->member[m].dev;
	bool same = fd ? td && td->bdev == fd->bdev : !td;

	return !same || test_bit(m, &to->rebuild);
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
	unsigned long replaced = 0;
	bool ok;
	u32 m;

	if (t->region_blocks != f->region_blocks ||
	    to->geom.members != from->geom.members)
		return false;
	for (m = 0; m < to->geom.members; m++)
		if (member_replaced(to, from, m))
			__set_bit(m, &replaced);
	spin_lock_irq(&f->lock);
	spin_lock_nested(&t->lock, SINGLE_DEPTH_NESTING);
	WARN_ON_ONCE(f->core.inflight || f->core.waiting || f->core.nheld ||
		     t->chan);
	ok = tcore_take_over(&t->core, &f->core, replaced);
	if (ok) {
		t->chan = f->chan;
		f->chan = NULL;
		f->live = false;
		cl_kick(t);
	}
	spin_unlock(&t->lock);
	spin_unlock_irq(&f->lock);
	if (ok && (replaced & ~from->missing))
		DMWARN("%s: members %#lx replaced: out of use until the daemon says otherwise",
		       ctx_name(to), replaced);
	return ok;
}

/* After ddraid_chan_unregister(): no daemon, no IO (dm drained it). */
void ddraid_cluster_exit(struct ddraid_ctx *ctx)
{
	struct ddraid_cluster *cl = &ctx->cl;

	cancel_delayed_work_sync(&cl->idle_work);
	WARN_ON_ONCE(cl->core.waiting || cl->core.nheld);
	kvfree(cl->core.reg);
	cl->core.reg = NULL;
}
