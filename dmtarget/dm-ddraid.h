/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-ddraid: the RAID 3.5 device-mapper target. Shared declarations of the
 * target (dm-ddraid-target.c), its IO path (dm-ddraid-io.c) and its
 * superblock IO (dm-ddraid-sb.c). docs/dm-target.md describes the table
 * line, the status output and the messages.
 */
#ifndef DM_DDRAID_H
#define DM_DDRAID_H

#include <linux/device-mapper.h>
#include <linux/bio.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "ddraid_geom.h"
#include "ddraid_format.h"
#include "ddraid_assemble.h"

#define DM_MSG_PREFIX "ddraid"

/*
 * One IO's parity (or reconstruction) buffer: enough pages for the parity
 * of the largest IO the target accepts. Taken from a mempool as one
 * element, so an IO never holds part of the pool while waiting for more.
 */
#define DDRAID_PS_PAGES		64
#define DDRAID_PS_BYTES		(DDRAID_PS_PAGES * PAGE_SIZE)

/* The largest IO in volume blocks: member bios then need <= BIO_MAX_VECS. */
#define DDRAID_MAX_IO_BLOCKS	(BIO_MAX_VECS / 2)

#define DDRAID_NO_MEMBER	(~0u)

struct ddraid_pages {
	struct page *page[DDRAID_PS_PAGES];
};

struct ddraid_member {
	struct dm_dev *dev;	/* NULL: given as "-" in the table */
};

struct ddraid_ctx {
	struct dm_target *ti;
	struct ddraid_geom geom;
	struct ddraid_member member[DDRAID_MAX_MEMBERS];
	u32 max_io_blocks;
	bool standalone;	/* no write intent: see ddraid_write_intent_gate() */
	bool verify;		/* reads also read parity and compare */

	/*
	 * Members not to be read or written: given as "-", recorded failed,
	 * failed by an IO error or by the "fail" message. Bits only ever get
	 * set while the table is loaded.
	 */
	unsigned long failed;
	/* Of those, the ones the superblocks on disk already say are failed. */
	unsigned long recorded;
	unsigned long missing;	/* given as "-" (for the status line) */

	/* The newest superblock; member_index is set per member on write. */
	struct ddraid_sb sb;
	struct mutex sb_lock;	/* sb, recorded, sb_page */
	struct page *sb_page;

	/*
	 * Writes in flight and writes waiting because they overlap one:
	 * two writes to one block never run at once, so each block's
	 * fragments and parity always come from the same write.
	 */
	spinlock_t wlock;
	struct list_head inflight_writes;
	struct list_head waiting_writes;

	struct bio_set bs;		/* member bios */
	mempool_t page_pool;		/* struct ddraid_pages */
	struct workqueue_struct *wq;	/* completion work: reconstruct, retry */
	struct work_struct event_work;	/* dm_table_event() needs a process */

	atomic64_t reads;
	atomic64_t writes;
	atomic64_t reconstructs;
	atomic64_t member_errors;
	atomic64_t mismatches;
};

/* Per-bio data of the target (ti->per_io_data_size). */
struct ddraid_io {
	struct ddraid_ctx *ctx;
	struct bio *bio;
	struct ddraid_pages *ps;
	struct work_struct work;
	struct list_head wentry;	/* on inflight_ or waiting_writes */
	struct list_head rentry;	/* write_release()'s ready list */
	bool in_wlist;
	atomic_t pending;
	unsigned long skip;	/* members this IO does not touch */
	unsigned long errors;	/* members whose bio failed (set_bit) */
	u64 block;		/* first volume block */
	u32 nblocks;
	u32 rebuild;		/* data member reconstructed, DDRAID_NO_MEMBER */
	bool verify;		/* parity read to compare */
	unsigned int retries;
};

/* dm-ddraid-io.c */
int ddraid_map(struct dm_target *ti, struct bio *bio);
int ddraid_pool_init(struct ddraid_ctx *ctx);
void ddraid_pool_exit(struct ddraid_ctx *ctx);
void ddraid_fail_members(struct ddraid_ctx *ctx, unsigned long mask);

/* dm-ddraid-sb.c */
int ddraid_read_sb(struct block_device *bdev, struct page *page,
		   struct ddraid_sb *sb, const char **why);
int ddraid_record_failures(struct ddraid_ctx *ctx);
int ddraid_catch_up_members(struct ddraid_ctx *ctx, unsigned long which);

static inline unsigned int ddraid_down_count(struct ddraid_ctx *ctx)
{
	return hweight_long(READ_ONCE(ctx->failed));
}

#endif /* DM_DDRAID_H */
