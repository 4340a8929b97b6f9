// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IO path of the ddraid target.
 *
 * map() cuts nothing: dm has already split bios at max_io_len, so one bio
 * covers at most DDRAID_MAX_IO_BLOCKS whole volume blocks. For each member
 * it builds one bio over the same contiguous member range, pointing
 * straight at the pages of the original bio at that member's fragment
 * offsets (no data copy). Only parity lives in separate pages, taken from
 * a mempool. Member bios come from the target's bio_set and are submitted
 * one by one, so that the bio_set's rescuer can always make progress.
 *
 * Completion runs in the member bios' end_io. The plain cases (all members
 * fine, nothing to reconstruct) end the original bio there; everything
 * else (XOR for a reconstruction or verification, a member error, a write
 * that skipped a member) goes to the target's workqueue, because XOR uses
 * the FPU and recording a failure writes superblocks.
 */
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/raid/xor.h>

#include "dm-ddraid.h"

/* A member bio and what it belongs to (bio_set front_pad). */
struct ddraid_mbio {
	struct ddraid_io *io;
	u32 member;
	struct bio bio;
};

/* ---- parity and bounce page pools ---- */

/* @data: the number of pages of an element. */
static void *ps_alloc(gfp_t gfp, void *data)
{
	unsigned int nr = (uintptr_t)data;
	struct ddraid_pages *ps = kzalloc(struct_size(ps, page, nr), gfp);
	int i;

	if (!ps)
		return NULL;
	ps->nr = nr;
	for (i = 0; i < nr; i++) {
		ps->page[i] = alloc_page(gfp);
		if (!ps->page[i])
			goto fail;
	}
	return ps;
fail:
	while (i--)
		__free_page(ps->page[i]);
	kfree(ps);
	return NULL;
}

static void ps_free(void *element, void *data)
{
	struct ddraid_pages *ps = element;
	int i;

	for (i = 0; i < ps->nr; i++)
		__free_page(ps->page[i]);
	kfree(ps);
}

/* Pages come from alloc_page() without __GFP_HIGHMEM: always mapped. */
static void *ps_ptr(struct ddraid_pages *ps, u64 off)
{
	return page_address(ps->page[off >> PAGE_SHIFT]) +
	       (off & (PAGE_SIZE - 1));
}

/* Byte @off of data member @d's run in the IO's bounce pages. */
static void *bounce_ptr(struct ddraid_io *io, u32 d, u64 off)
{
	return ps_ptr(io->bp, d * DDRAID_BOUNCE_STRIDE(io->ctx->geom.frag_shift) +
		      off);
}

/*
 * Which members get bounce pages. NVMe (every transport, in 6.1) sets a
 * virt_boundary: each segment but the first must start on a controller
 * page and each but the last end on one. A member's fragments sit in
 * every 2^k-th piece of the bio's pages, so with fragments smaller than
 * a page the block layer splits the member bio at each one: measured over
 * NVMe/TCP, sequential IO fell to the member's IOPS x one fragment
 * (docs/testing-vm.md, bench-3node). Copying costs less than that.
 */
static bool find_bounce_members(struct ddraid_ctx *ctx)
{
	bool any = false;
	u32 m;

	for (m = 0; m < ctx->geom.members; m++) {
		struct dm_dev *dev = ctx->member[m].dev;

		ctx->member[m].bounce = dev &&
			ctx->geom.frag_size < PAGE_SIZE &&
			queue_virt_boundary(bdev_get_queue(dev->bdev));
		any |= ctx->member[m].bounce;
	}
	return any;
}

int ddraid_pool_init(struct ddraid_ctx *ctx)
{
	int ret;

	ret = bioset_init(&ctx->bs, 4 * DDRAID_MAX_MEMBERS,
			  offsetof(struct ddraid_mbio, bio),
			  BIOSET_NEED_BVECS | BIOSET_NEED_RESCUER);
	if (ret)
		return ret;
	ret = mempool_init(&ctx->page_pool, 4, ps_alloc, ps_free,
			   (void *)(uintptr_t)DDRAID_PS_PAGES);
	if (ret)
		goto fail_bs;
	if (!find_bounce_members(ctx))
		return 0;
	/* One element per IO, never two: the pool cannot deadlock. */
	ret = mempool_init(&ctx->bounce_pool, 2, ps_alloc, ps_free,
			   (void *)(uintptr_t)DDRAID_BOUNCE_PAGES);
	if (!ret)
		return 0;
	mempool_exit(&ctx->page_pool);
fail_bs:
	bioset_exit(&ctx->bs);
	return ret;
}

void ddraid_pool_exit(struct ddraid_ctx *ctx)
{
	if (mempool_initialized(&ctx->bounce_pool))
		mempool_exit(&ctx->bounce_pool);
	mempool_exit(&ctx->page_pool);
	bioset_exit(&ctx->bs);
}

/* ---- XOR and the walk over a bio's fragments ---- */

/*
 * dst ^= src. xor_blocks() wants FPU-friendly alignment and whole
 * 512-byte multiples, which every page-cache and direct IO buffer gives;
 * anything else takes the byte loop rather than being refused.
 */
static void xor_into(void *dst, const void *src, unsigned int len)
{
	void *srcs[1] = { (void *)src };
	u8 *d = dst;
	const u8 *s = src;

	if (!(((unsigned long)dst | (unsigned long)src | len) & 511)) {
		xor_blocks(1, len, dst, srcs);
		return;
	}
	while (len--)
		*d++ ^= *s++;
}

/*
 * What to do with one piece of a fragment: @data points into the bio's
 * pages, @pbuf at the same bytes of the block's parity fragment in the
 * IO's parity buffer; @d is the data member the piece belongs to.
 */
enum piece_op {
	PIECE_PARITY,		/* parity = d0 ^ d1 ^ ... (write) */
	PIECE_XOR_OTHERS,	/* parity ^= every data member but rebuild */
	PIECE_COPY_REBUILT,	/* rebuild member's pieces = parity */
	PIECE_XOR_ALL,		/* parity ^= every data member (verify) */
	PIECE_GATHER,		/* bounce pages = bounced members' pieces */
	PIECE_SCATTER,		/* bounced members' pieces = bounce pages */
};

static void walk_pieces(struct ddraid_io *io, enum piece_op op)
{
	const struct ddraid_geom *g = &io->ctx->geom;
	u32 fmask = g->frag_size - 1;
	struct bvec_iter iter;
	struct bio_vec bv;
	u64 pos = 0;		/* byte in the bio */

	bio_for_each_segment(bv, io->bio, iter) {
		u8 *addr = bvec_kmap_local(&bv);
		unsigned int off = 0;

		while (off < bv.bv_len) {
			u32 in_frag = pos & fmask;
			u32 d = (pos >> g->frag_shift) & (g->data_members - 1);
			u32 len = min_t(u32, bv.bv_len - off,
					g->frag_size - in_frag);
			/* The piece's byte in its member's range. */
			u64 moff = ((pos >> DDRAID_BLOCK_SHIFT) << g->frag_shift) +
				   in_frag;
			u8 *p = io->ps ? ps_ptr(io->ps, moff) : NULL;

			switch (op) {
			case PIECE_PARITY:
				if (d == 0)
					memcpy(p, addr + off, len);
				else
					xor_into(p, addr + off, len);
				break;
			case PIECE_XOR_OTHERS:
				if (d != io->rebuild)
					xor_into(p, addr + off, len);
				break;
			case PIECE_COPY_REBUILT:
				if (d == io->rebuild)
					memcpy(addr + off, p, len);
				break;
			case PIECE_XOR_ALL:
				xor_into(p, addr + off, len);
				break;
			case PIECE_GATHER:
				if (test_bit(d, &io->bounce))
					memcpy(bounce_ptr(io, d, moff), addr + off,
					       len);
				break;
			case PIECE_SCATTER:
				if (test_bit(d, &io->bounce))
					memcpy(addr + off, bounce_ptr(io, d, moff),
					       len);
				break;
			}
			off += len;
			pos += len;
		}
		kunmap_local(addr);
		if (op == PIECE_COPY_REBUILT || op == PIECE_SCATTER)
			flush_dcache_page(bv.bv_page);
	}
}

/* ---- member bios ---- */

static void member_endio(struct bio *bio);

static struct bio *mbio_alloc(struct ddraid_io *io, u32 m, blk_opf_t opf,
			      unsigned short nr_vecs)
{
	struct ddraid_ctx *ctx = io->ctx;
	struct ddraid_mbio *mb;
	struct bio *bio;

	bio = bio_alloc_bioset(ctx->member[m].dev->bdev, nr_vecs, opf,
			       GFP_NOIO, &ctx->bs);
	mb = container_of(bio, struct ddraid_mbio, bio);
	mb->io = io;
	mb->member = m;
	bio->bi_iter.bi_sector =
		ddraid_member_offset(&ctx->geom, io->block) >> SECTOR_SHIFT;
	bio->bi_end_io = member_endio;
	bio->bi_private = io;
	return bio;
}

static void mbio_submit(struct ddraid_io *io, struct bio *bio)
{
	atomic_inc(&io->pending);
	submit_bio_noacct(bio);
}

/*
 * Member @m's range of the IO from pool element @ps, starting at byte
 * @off (a page boundary): whole pages, one contiguous buffer.
 */
static void submit_run(struct ddraid_io *io, u32 m, struct ddraid_pages *ps,
		       u64 off, blk_opf_t opf)
{
	u32 bytes = ddraid_member_bytes(&io->ctx->geom, io->nblocks);
	struct bio *bio;
	u32 i = off >> PAGE_SHIFT;

	bio = mbio_alloc(io, m, opf, DIV_ROUND_UP(bytes, PAGE_SIZE));
	for (; bytes; i++) {
		u32 len = min_t(u32, bytes, PAGE_SIZE);

		__bio_add_page(bio, ps->page[i], len, 0);
		bytes -= len;
	}
	mbio_submit(io, bio);
}

/*
 * Member @m's fragments of the IO (those of data member @d): from the
 * bounce pages when @d bounces, else straight in the original bio's pages.
 */
static void submit_data(struct ddraid_io *io, u32 m, u32 d, blk_opf_t opf)
{
	const struct ddraid_geom *g = &io->ctx->geom;
	u32 fmask = g->frag_size - 1;
	struct bvec_iter iter;
	struct bio_vec bv;
	struct bio *bio;
	bool bad = false;
	u64 pos = 0;

	if (test_bit(d, &io->bounce)) {
		submit_run(io, m, io->bp, d * DDRAID_BOUNCE_STRIDE(g->frag_shift),
			   opf);
		return;
	}
	bio = mbio_alloc(io, m, opf, min_t(u32, 2 * io->nblocks, BIO_MAX_VECS));
	bio_for_each_segment(bv, io->bio, iter) {
		unsigned int off = 0;

		while (off < bv.bv_len) {
			u32 in_frag = pos & fmask;
			u32 len = min_t(u32, bv.bv_len - off,
					g->frag_size - in_frag);

			if (((pos >> g->frag_shift) & (g->data_members - 1)) == d &&
			    bio_add_page(bio, bv.bv_page, len,
					 bv.bv_offset + off) != len) {
				/* max_io_len makes this impossible. */
				WARN_ON_ONCE(1);
				bad = true;
			}
			off += len;
			pos += len;
		}
	}
	if (bad) {
		/* Fail this member's part rather than send a partial bio. */
		atomic_inc(&io->pending);
		bio->bi_status = BLK_STS_IOERR;
		bio_endio(bio);
		return;
	}
	mbio_submit(io, bio);
}

/* The parity member's range, in the IO's parity buffer. */
static void submit_parity(struct ddraid_io *io, blk_opf_t opf)
{
	submit_run(io, io->ctx->geom.parity_member, io->ps, 0, opf);
}

/*
 * The data members (of those the IO does not skip) whose bio it bounces:
 * only an IO of several blocks, since one block's fragment is a single
 * segment anyway.
 */
static void plan_bounce(struct ddraid_io *io)
{
	struct ddraid_ctx *ctx = io->ctx;
	u32 d;

	io->bounce = 0;
	if (io->nblocks < 2)
		return;
	for (d = 0; d < ctx->geom.data_members; d++)
		if (ctx->member[d].bounce && !test_bit(d, &io->skip))
			__set_bit(d, &io->bounce);
	if (io->bounce && !io->bp)
		io->bp = mempool_alloc(&ctx->bounce_pool, GFP_NOIO);
}

/* ---- overlapping writes ---- */

static bool io_overlap(struct ddraid_io *a, struct ddraid_io *b)
{
	return a->block < b->block + b->nblocks &&
	       b->block < a->block + a->nblocks;
}

static bool overlaps_any(struct ddraid_io *io, struct list_head *list,
			 struct ddraid_io *stop)
{
	struct ddraid_io *o;

	list_for_each_entry(o, list, wentry) {
		if (o == stop)
			break;
		if (io_overlap(io, o))
			return true;
	}
	return false;
}

/*
 * Admit a write: true when it may go now; false when it overlaps a write
 * in flight (or one already waiting, to keep their order) and was queued.
 */
static bool write_admit(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	unsigned long flags;
	bool go;

	spin_lock_irqsave(&ctx->wlock, flags);
	go = !overlaps_any(io, &ctx->inflight_writes, NULL) &&
	     !overlaps_any(io, &ctx->waiting_writes, NULL);
	list_add_tail(&io->wentry, go ? &ctx->inflight_writes : &ctx->waiting_writes);
	io->in_wlist = true;
	spin_unlock_irqrestore(&ctx->wlock, flags);
	return go;
}

static void io_work(struct work_struct *work);
static void write_dispatch_work(struct work_struct *work);

/* A write finished: start the waiting writes it was holding back. */
static void write_release(struct ddraid_ctx *ctx, struct ddraid_io *io)
{
	struct ddraid_io *w, *tmp;
	unsigned long flags;
	LIST_HEAD(ready);

	spin_lock_irqsave(&ctx->wlock, flags);
	list_del(&io->wentry);
	io->in_wlist = false;
	list_for_each_entry_safe(w, tmp, &ctx->waiting_writes, wentry) {
		if (overlaps_any(w, &ctx->inflight_writes, NULL) ||
		    overlaps_any(w, &ctx->waiting_writes, w))
			continue;
		list_move_tail(&w->wentry, &ctx->inflight_writes);
		list_add_tail(&w->rentry, &ready);
	}
	spin_unlock_irqrestore(&ctx->wlock, flags);

	list_for_each_entry_safe(w, tmp, &ready, rentry) {
		list_del(&w->rentry);
		INIT_WORK(&w->work, write_dispatch_work);
		queue_work(ctx->wq, &w->work);
	}
}

/* ---- completion ---- */

void ddraid_io_complete(struct ddraid_io *io, blk_status_t status)
{
	/*
	 * Only an IO past the gate can still be counted by the core here:
	 * one it keeps (waiting, held) is not being completed.
	 */
	if (io->tio.at != TCORE_AT_NONE)
		ddraid_cluster_io_end(io->ctx, io);
	if (io->in_wlist)
		write_release(io->ctx, io);
	if (io->ps) {
		mempool_free(io->ps, &io->ctx->page_pool);
		io->ps = NULL;
	}
	if (io->bp) {
		mempool_free(io->bp, &io->ctx->bounce_pool);
		io->bp = NULL;
	}
	io->bio->bi_status = status;
	bio_endio(io->bio);
}

/* Does finishing this IO need the workqueue? */
static bool io_needs_work(struct ddraid_io *io)
{
	if (READ_ONCE(io->errors))
		return true;
	if (bio_data_dir(io->bio) == READ)
		return io->rebuild != DDRAID_NO_MEMBER || io->verify ||
		       io->bounce;
	/* Cluster mode: the core decides, in any context. */
	if (io->ctx->cluster)
		return false;
	/* A write or flush that skipped a member: record it first. */
	return io->skip & ~READ_ONCE(io->ctx->recorded);
}

static void io_put(struct ddraid_io *io)
{
	if (!atomic_dec_and_test(&io->pending))
		return;
	if (io_needs_work(io))
		queue_work(io->ctx->wq, &io->work);
	else if (io->ctx->cluster && bio_data_dir(io->bio) == WRITE)
		ddraid_cluster_write_done(io->ctx, io, 0);
	else
		ddraid_io_complete(io, BLK_STS_OK);
}

static void member_endio(struct bio *bio)
{
	struct ddraid_mbio *mb = container_of(bio, struct ddraid_mbio, bio);
	struct ddraid_io *io = mb->io;

	if (bio->bi_status) {
		atomic64_inc(&io->ctx->member_errors);
		set_bit(mb->member, &io->errors);
	}
	bio_put(bio);
	io_put(io);
}

/*
 * Mark members failed from now on and tell userspace (dm event) and, in
 * cluster mode, the daemon (MEMBER_ERROR, through the core). Standalone,
 * never cleared while the table is loaded; in cluster mode the daemon may
 * bring a member back.
 */
void ddraid_fail_members(struct ddraid_ctx *ctx, unsigned long mask)
{
	unsigned long changed = 0;
	u32 m;

	mask &= GENMASK(ctx->geom.members - 1, 0);
	if (ctx->cluster) {
		changed = ddraid_cluster_member_error(ctx, mask);
	} else {
		for_each_set_bit(m, &mask, ctx->geom.members)
			if (!test_and_set_bit(m, &ctx->failed))
				__set_bit(m, &changed);
	}
	if (!changed)
		return;
	for_each_set_bit(m, &changed, ctx->geom.members)
		DMERR("%s: member %u (%s) failed",
		      dm_device_name(dm_table_get_md(ctx->ti->table)), m,
		      ctx->member[m].dev ? ctx->member[m].dev->name : "-");
	schedule_work(&ctx->event_work);
}

/* Members out of use (@failed) and not read (@noread) right now. */
void ddraid_member_masks(struct ddraid_ctx *ctx, unsigned long *failed,
			 unsigned long *noread)
{
	if (ctx->cluster) {
		ddraid_cluster_members(ctx, failed, noread);
		return;
	}
	*failed = READ_ONCE(ctx->failed);
	*noread = 0;
}

/* ---- submission ---- */

/*
 * WRITE-INTENT GATE. Before a write reaches any member, the region it
 * covers must be recorded dirty for this node (design brief invariant 2).
 * In cluster mode the write waited in ddraid_gate_enter() (map) until
 * ddraidd granted the region, which it does only once the region's bit is
 * set on the members; the core counts it in its region until its member
 * IO is done. A standalone volume has no write intent: a crash during a
 * write leaves the parity of the block being written unchecked until a
 * scrub/resync (only that block: RAID 3.5 has no write hole for other
 * data).
 */
static void ddraid_write_intent_gate(struct ddraid_ctx *ctx,
				     struct ddraid_io *io)
{
	WARN_ON_ONCE(ctx->cluster && io->tio.at != TCORE_AT_PASSED);
}

/*
 * The members a write, flush or read skips: the core's choice in cluster
 * mode, else those failed (and for a read, those not read). Non-zero when
 * two or more are out: the IO fails.
 */
static int plan_skip(struct ddraid_io *io)
{
	struct ddraid_ctx *ctx = io->ctx;

	io->errors = 0;
	if (ctx->cluster)
		return ddraid_cluster_plan(ctx, io);
	io->skip = READ_ONCE(ctx->failed);
	return hweight_long(io->skip) > 1 ? -EIO : 0;
}

/* Plan and submit a read with the members currently up. */
static blk_status_t submit_read(struct ddraid_io *io)
{
	struct ddraid_ctx *ctx = io->ctx;
	const struct ddraid_geom *g = &ctx->geom;
	/*
	 * Not REQ_RAHEAD: a member may fail a readahead bio for reasons that
	 * say nothing about the disk, and that would fail the member.
	 */
	blk_opf_t opf = REQ_OP_READ |
			(io->bio->bi_opf & (REQ_SYNC | REQ_META | REQ_PRIO));
	u32 d;

	/* A member being rebuilt is written but not read yet (the core). */
	if (plan_skip(io))
		return BLK_STS_IOERR;
	io->rebuild = DDRAID_NO_MEMBER;
	for (d = 0; d < g->data_members; d++)
		if (test_bit(d, &io->skip))
			io->rebuild = d;
	/* Verify needs every member; degraded, there is nothing to compare. */
	io->verify = ctx->verify && !io->skip;
	if ((io->rebuild != DDRAID_NO_MEMBER || io->verify) && !io->ps)
		io->ps = mempool_alloc(&ctx->page_pool, GFP_NOIO);
	plan_bounce(io);

	atomic_set(&io->pending, 1);
	for (d = 0; d < g->data_members; d++)
		if (d != io->rebuild)
			submit_data(io, d, d, opf);
	if (io->rebuild != DDRAID_NO_MEMBER || io->verify)
		submit_parity(io, opf);
	if (io->rebuild != DDRAID_NO_MEMBER)
		atomic64_inc(&ctx->reconstructs);
	io_put(io);
	return BLK_STS_OK;
}

static blk_status_t submit_write(struct ddraid_io *io)
{
	struct ddraid_ctx *ctx = io->ctx;
	const struct ddraid_geom *g = &ctx->geom;
	u32 p = g->parity_member;
	blk_opf_t opf = REQ_OP_WRITE |
			(io->bio->bi_opf & (REQ_SYNC | REQ_META | REQ_PRIO |
					    REQ_FUA | REQ_PREFLUSH | REQ_IDLE));
	u32 d;

	ddraid_write_intent_gate(ctx, io);
	if (plan_skip(io))
		return BLK_STS_IOERR;

	/*
	 * A mirror's parity is the data itself: no buffer, no copy. A write
	 * sent again (cluster mode) keeps the buffer it had.
	 */
	if (g->k && !test_bit(p, &io->skip)) {
		if (!io->ps)
			io->ps = mempool_alloc(&ctx->page_pool, GFP_NOIO);
		walk_pieces(io, PIECE_PARITY);
	}
	plan_bounce(io);
	if (io->bounce)
		walk_pieces(io, PIECE_GATHER);
	atomic_set(&io->pending, 1);
	for (d = 0; d < g->data_members; d++)
		if (!test_bit(d, &io->skip))
			submit_data(io, d, d, opf);
	if (!test_bit(p, &io->skip)) {
		if (g->k)
			submit_parity(io, opf);
		else
			submit_data(io, p, 0, opf);
	}
	io_put(io);
	return BLK_STS_OK;
}

/* An empty REQ_PREFLUSH: flush every member that is up. */
static blk_status_t submit_flush(struct ddraid_io *io)
{
	struct ddraid_ctx *ctx = io->ctx;
	u32 m;

	if (plan_skip(io))
		return BLK_STS_IOERR;
	atomic_set(&io->pending, 1);
	for (m = 0; m < ctx->geom.members; m++)
		if (!test_bit(m, &io->skip))
			mbio_submit(io, mbio_alloc(io, m, REQ_OP_WRITE |
						   REQ_PREFLUSH | REQ_SYNC, 0));
	io_put(io);
	return BLK_STS_OK;
}

/* ---- the workqueue side of completion ---- */

static blk_status_t finish_read(struct ddraid_io *io)
{
	struct ddraid_ctx *ctx = io->ctx;
	u32 bytes = ddraid_member_bytes(&ctx->geom, io->nblocks);
	u32 off;

	/* The members read into bounce pages first: XOR reads the bio. */
	if (io->bounce)
		walk_pieces(io, PIECE_SCATTER);
	if (io->rebuild != DDRAID_NO_MEMBER) {
		walk_pieces(io, PIECE_XOR_OTHERS);
		walk_pieces(io, PIECE_COPY_REBUILT);
		return BLK_STS_OK;
	}
	if (!io->verify)
		return BLK_STS_OK;
	walk_pieces(io, PIECE_XOR_ALL);
	for (off = 0; off < bytes; off += PAGE_SIZE)
		if (memchr_inv(ps_ptr(io->ps, off), 0,
			       min_t(u32, bytes - off, PAGE_SIZE))) {
			atomic64_inc(&ctx->mismatches);
			DMERR_LIMIT("%s: parity mismatch in blocks %llu+%u",
				    dm_device_name(dm_table_get_md(ctx->ti->table)),
				    io->block, io->nblocks);
			return BLK_STS_IOERR;
		}
	return BLK_STS_OK;
}

static void io_work(struct work_struct *work)
{
	struct ddraid_io *io = container_of(work, struct ddraid_io, work);
	struct ddraid_ctx *ctx = io->ctx;
	unsigned long errors = READ_ONCE(io->errors);
	blk_status_t status;

	if (errors)
		ddraid_fail_members(ctx, errors);

	if (bio_data_dir(io->bio) == READ) {
		/*
		 * Retry with the failed member(s) left out: a read never
		 * returns data from a member that failed it. The failed set
		 * only grows, so this ends after at most n retries.
		 */
		if (errors) {
			io->errors = 0;
			if (io->retries++ >= DDRAID_MAX_MEMBERS)
				status = BLK_STS_IOERR;
			else
				status = submit_read(io);
			if (status != BLK_STS_OK)
				ddraid_io_complete(io, status);
			return;
		}
		ddraid_io_complete(io, finish_read(io));
		return;
	}

	/*
	 * A write or flush: acknowledged only when at most one member missed
	 * it and that member's failure is recorded: standalone, the target
	 * writes the others' superblocks itself; in cluster mode the daemons
	 * do, and the core holds the write until COMMIT_FAIL.
	 */
	if (ctx->cluster) {
		ddraid_cluster_write_done(ctx, io, errors);
		return;
	}
	if (hweight_long(io->skip | errors) > 1 || ddraid_record_failures(ctx))
		status = BLK_STS_IOERR;
	else
		status = BLK_STS_OK;
	ddraid_io_complete(io, status);
}

/* A write that waited for an overlapping one, submitted from the wq. */
static void write_dispatch_work(struct work_struct *work)
{
	struct ddraid_io *io = container_of(work, struct ddraid_io, work);
	blk_status_t status;

	INIT_WORK(&io->work, io_work);
	status = submit_write(io);
	if (status)
		ddraid_io_complete(io, status);
}

/*
 * A write the gate let through, submitted from the wq: a new one, or one
 * the core sends again (PATH_RETRY, a member back), which is admitted
 * already and keeps overlapping writes back until it completes.
 */
static void gate_go_work(struct work_struct *work)
{
	struct ddraid_io *io = container_of(work, struct ddraid_io, work);
	blk_status_t status;

	INIT_WORK(&io->work, io_work);
	if (!io->in_wlist && !write_admit(io->ctx, io))
		return;		/* write_release() */
	status = submit_write(io);
	if (status)
		ddraid_io_complete(io, status);
}

/* A flush the core sends again, from the wq. */
static void flush_go_work(struct work_struct *work)
{
	struct ddraid_io *io = container_of(work, struct ddraid_io, work);
	blk_status_t status;

	INIT_WORK(&io->work, io_work);
	status = submit_flush(io);
	if (status)
		ddraid_io_complete(io, status);
}

/* Cluster mode: the region of a waiting write was granted or unlocked. */
static void read_go_work(struct work_struct *work)
{
	struct ddraid_io *io = container_of(work, struct ddraid_io, work);
	blk_status_t status = submit_read(io);

	if (status)
		ddraid_io_complete(io, status);
}

/* A read held while the target was frozen may go (from THAW). */
void ddraid_read_go(struct ddraid_io *io)
{
	INIT_WORK(&io->work, read_go_work);
	queue_work(io->ctx->wq, &io->work);
}

/* Cluster mode: the core lets a write or flush go (again). */
void ddraid_write_go(struct ddraid_io *io)
{
	INIT_WORK(&io->work, io->tio.kind == TCORE_FLUSH ? flush_go_work :
		  gate_go_work);
	queue_work(io->ctx->wq, &io->work);
}

int ddraid_map(struct dm_target *ti, struct bio *bio)
{
	struct ddraid_ctx *ctx = ti->private;
	struct ddraid_io *io = dm_per_bio_data(bio, sizeof(*io));
	sector_t sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	enum ddraid_gate gate;
	blk_status_t status;

	io->ctx = ctx;
	io->bio = bio;
	io->ps = NULL;
	io->bp = NULL;
	io->bounce = 0;
	io->errors = 0;
	io->retries = 0;
	io->rebuild = DDRAID_NO_MEMBER;
	io->verify = false;
	io->in_wlist = false;
	io->block = sector >> (DDRAID_BLOCK_SHIFT - SECTOR_SHIFT);
	io->nblocks = bio->bi_iter.bi_size >> DDRAID_BLOCK_SHIFT;
	INIT_WORK(&io->work, io_work);

	if (bio_op(bio) == REQ_OP_FLUSH ||
	    ((bio->bi_opf & REQ_PREFLUSH) && !bio_sectors(bio))) {
		tcore_io_init(&io->tio, TCORE_FLUSH, 0);
		return submit_flush(io) ? DM_MAPIO_KILL : DM_MAPIO_SUBMITTED;
	}
	/* max_io_len keeps a bio inside one region. */
	tcore_io_init(&io->tio, bio_data_dir(bio) == READ ? TCORE_READ :
		      TCORE_WRITE, ctx->cluster ?
		      div64_u64(io->block, ctx->cl.region_blocks) : 0);

	if (bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE) {
		DMERR_LIMIT("unsupported operation %u", bio_op(bio));
		return DM_MAPIO_KILL;
	}
	/* io_hints make this impossible; never turn it into wrong data. */
	if ((sector | bio_sectors(bio)) & 7 || !io->nblocks ||
	    io->nblocks > ctx->max_io_blocks) {
		DMERR_LIMIT("bio not in whole 4 KiB blocks: sector %llu, %u bytes",
			    (unsigned long long)sector, bio->bi_iter.bi_size);
		return DM_MAPIO_KILL;
	}

	if (bio_data_dir(bio) == READ) {
		gate = ctx->cluster ? ddraid_read_gate_enter(ctx, io) :
				      DDRAID_GATE_GO;
		if (gate == DDRAID_GATE_REQUEUE)
			return DM_MAPIO_REQUEUE;	/* noflush suspend */
		if (gate == DDRAID_GATE_FAIL)
			return DM_MAPIO_KILL;		/* withdrawn */
		atomic64_inc(&ctx->reads);
		if (gate == DDRAID_GATE_WAIT)
			return DM_MAPIO_SUBMITTED;	/* ddraid_read_go() */
		status = submit_read(io);
	} else {
		gate = ctx->cluster ? ddraid_gate_enter(ctx, io) :
				      DDRAID_GATE_GO;
		if (gate == DDRAID_GATE_REQUEUE)
			return DM_MAPIO_REQUEUE;	/* noflush suspend */
		if (gate == DDRAID_GATE_FAIL)
			return DM_MAPIO_KILL;		/* withdrawn */
		atomic64_inc(&ctx->writes);
		if (gate == DDRAID_GATE_WAIT)
			return DM_MAPIO_SUBMITTED;	/* the daemon's answer */
		if (!write_admit(ctx, io))
			return DM_MAPIO_SUBMITTED;	/* write_release() */
		status = submit_write(io);
	}
	if (status) {
		/* Nothing was submitted: end it here (frees, releases). */
		ddraid_io_complete(io, status);
	}
	return DM_MAPIO_SUBMITTED;
}
