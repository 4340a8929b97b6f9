// SPDX-License-Identifier: GPL-2.0-only
/*
 * Superblock IO of the ddraid target: reading the two copies of a member
 * when the table is loaded, and recording failed members on the surviving
 * members before a write that skipped a member is acknowledged (design
 * brief invariant 3). Both are rare and synchronous, so they use a plain
 * on-stack bio and submit_bio_wait().
 */
#include <linux/blkdev.h>
#include <linux/timekeeping.h>

#include "dm-ddraid.h"

static int sb_io(struct block_device *bdev, struct page *page, u32 copy,
		 blk_opf_t opf)
{
	struct bio_vec bvec;
	struct bio bio;
	int ret;

	bio_init(&bio, bdev, &bvec, 1, opf);
	bio.bi_iter.bi_sector = DDRAID_SB_OFFSET(copy) >> SECTOR_SHIFT;
	__bio_add_page(&bio, page, DDRAID_SB_BYTES, 0);
	ret = submit_bio_wait(&bio);
	bio_uninit(&bio);
	return ret;
}

/*
 * Read and decode both copies; return the newest valid one. -ENODATA when
 * neither copy has the magic, -EIO when the device could not be read,
 * another decode error (with *why) when no copy is valid.
 */
int ddraid_read_sb(struct block_device *bdev, struct page *page,
		   struct ddraid_sb *sb, const char **why)
{
	struct ddraid_sb copies[DDRAID_SB_COPIES];
	bool valid[DDRAID_SB_COPIES];
	int err[DDRAID_SB_COPIES];
	const char *reason[DDRAID_SB_COPIES];
	int i, pick;

	for (i = 0; i < DDRAID_SB_COPIES; i++) {
		valid[i] = false;
		reason[i] = NULL;
		if (sb_io(bdev, page, i, REQ_OP_READ | REQ_SYNC)) {
			err[i] = -EIO;
			reason[i] = "superblock read failed";
			continue;
		}
		err[i] = ddraid_sb_decode(page_address(page), DDRAID_SB_BYTES,
					  &copies[i], &reason[i]);
		valid[i] = !err[i];
	}
	pick = ddraid_sb_pick(copies, valid);
	if (pick >= 0) {
		*sb = copies[pick];
		return 0;
	}
	/* Report the more telling failure: a real one over "no magic". */
	i = err[0] == -ENODATA ? 1 : 0;
	*why = reason[i];
	return err[i];
}

/*
 * Write @sb (with each member's own index) to copy @copy of the members in
 * @which that are still up. A member that fails this write is failed too.
 * Returns the members that failed.
 */
static unsigned long write_copy(struct ddraid_ctx *ctx, u32 copy,
				unsigned long which)
{
	unsigned long newly = 0;
	const char *why;
	u32 m;

	for (m = 0; m < ctx->geom.members; m++) {
		if (!test_bit(m, &which) || test_bit(m, &ctx->failed))
			continue;
		ctx->sb.member_index = m;
		if (ddraid_sb_encode(&ctx->sb, page_address(ctx->sb_page),
				     &why)) {
			DMERR("cannot encode superblock: %s", why);
			return ~0ul;
		}
		if (sb_io(ctx->member[m].dev->bdev, ctx->sb_page, copy,
			  REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA)) {
			DMERR("member %u (%s): superblock write failed",
			      m, ctx->member[m].dev->name);
			__set_bit(m, &newly);
		}
	}
	return newly;
}

/*
 * Make the superblocks of the surviving members say FAILED for every
 * member that is down (events bumped, so a failed member that comes back
 * is seen as stale). Each copy is written to all members before the next
 * copy, so a crash in between leaves every member one good copy.
 *
 * In standalone mode the target does this itself; in cluster mode the
 * daemon will, after the cluster agreed (a later issue).
 *
 * Returns 0 when the superblocks record every down member, -EIO when more
 * than one member is down: then no write is acknowledged anyway, and the
 * superblocks keep saying which single member failed first.
 */
int ddraid_record_failures(struct ddraid_ctx *ctx)
{
	unsigned long newly;
	int ret = 0;
	u32 m;

	mutex_lock(&ctx->sb_lock);
	while ((READ_ONCE(ctx->failed) & ~ctx->recorded) && !ret) {
		unsigned long failed = READ_ONCE(ctx->failed);

		if (hweight_long(failed) > 1) {
			ret = -EIO;
			break;
		}
		ctx->sb.events++;
		for (m = 0; m < ctx->geom.members; m++) {
			struct ddraid_member_info *mi = &ctx->sb.member[m];

			if (!test_bit(m, &failed) ||
			    mi->state == DDRAID_MEMBER_FAILED)
				continue;
			mi->state = DDRAID_MEMBER_FAILED;
			mi->failed_events = ctx->sb.events;
		}
		ctx->sb.utime = ktime_get_real_seconds();
		newly = write_copy(ctx, 0, ~0ul);
		if (!newly)
			newly = write_copy(ctx, 1, ~0ul);
		if (newly == ~0ul) {
			ret = -EIO;
			break;
		}
		if (newly) {
			/* Loop: the superblocks must now say this too. */
			ddraid_fail_members(ctx, newly);
			continue;
		}
		ctx->recorded = failed;
		DMWARN("%s: recorded failed members %#lx, events %llu",
		       dm_device_name(dm_table_get_md(ctx->ti->table)),
		       failed, ctx->sb.events);
	}
	mutex_unlock(&ctx->sb_lock);
	return ret;
}

/*
 * At table load: members one superblock update behind (a crash between the
 * survivors' superblock writes) get the newest superblock, so the members
 * agree again. Their data is current: see ddraid_sb_check_set().
 */
int ddraid_catch_up_members(struct ddraid_ctx *ctx, unsigned long which)
{
	unsigned long bad;

	mutex_lock(&ctx->sb_lock);
	bad = write_copy(ctx, 0, which);
	if (!bad)
		bad = write_copy(ctx, 1, which);
	mutex_unlock(&ctx->sb_lock);
	if (bad)
		DMERR("members %#lx: superblock catch-up failed", bad);
	else
		DMWARN("members %#lx: superblock brought up to date", which);
	return bad ? -EIO : 0;
}
