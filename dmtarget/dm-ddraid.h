/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-ddraid: the RAID 3.5 device-mapper target. Shared declarations of the
 * target (dm-ddraid-target.c), its IO path (dm-ddraid-io.c), its
 * superblock IO (dm-ddraid-sb.c), the cluster mode's region state
 * (dm-ddraid-region.c) and the daemon channel /dev/ddraid
 * (dm-ddraid-chan.c). docs/dm-target.md describes the table line, the
 * status output and the messages; docs/kernel-channel.md the channel.
 */
#ifndef DM_DDRAID_H
#define DM_DDRAID_H

#include <linux/device-mapper.h>
#include <linux/bio.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/kref.h>
#include <linux/wait.h>

#include "ddraid_geom.h"
#include "ddraid_format.h"
#include "ddraid_assemble.h"
#include "ddraid_chan.h"
#include "ddraid_tcore.h"

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

/* A pool element: parity (DDRAID_PS_PAGES) or bounce pages. */
struct ddraid_pages {
	unsigned int nr;
	struct page *page[];
};

/*
 * Bounce pages: a whole IO's data, each data member's fragments in one
 * contiguous, page-aligned run of DDRAID_BOUNCE_STRIDE(frag_shift) bytes.
 */
#define DDRAID_BOUNCE_PAGES	(DDRAID_MAX_IO_BLOCKS * DDRAID_BLOCK_SIZE / PAGE_SIZE)
#define DDRAID_BOUNCE_STRIDE(frag_shift) (DDRAID_MAX_IO_BLOCKS << (frag_shift))

struct ddraid_member {
	struct dm_dev *dev;	/* NULL: given as "-" in the table */
	/*
	 * Its queue has a virt_boundary (NVMe): the fragments of an IO
	 * of several blocks are copied into bounce pages, because fragments
	 * smaller than a page would each become a command of their own.
	 */
	bool bounce;
};

struct ddraid_ctx;

/* Messages one read() or write() on /dev/ddraid handles at most. */
#define DDRAID_CHAN_BATCH	64

/*
 * An open /dev/ddraid (dm-ddraid-chan.c). One reference belongs to the
 * file, one to the target it is attached to (ddraid_cluster.chan), so
 * that either side may go first.
 */
struct ddraid_chan {
	struct kref kref;
	wait_queue_head_t wait;		/* readers and pollers */
	struct mutex rlock;		/* one reader at a time (rbuf) */
	struct mutex wlock;		/* one writer at a time (wbuf) */
	struct ddraid_ctx *ctx;		/* ddraid_chan_mutex; NULL: none */
	bool attached;			/* ATTACH accepted once */
	bool dead;			/* its target is gone: EOF, POLLHUP */
	bool kick;			/* messages may wait (cl.lock) */
	u8 rbuf[DDRAID_CHAN_BATCH * DDRAID_CHAN_MSG_BYTES];
	u8 wbuf[DDRAID_CHAN_BATCH * DDRAID_CHAN_MSG_BYTES];
};

/*
 * The cluster-mode state of a target (docs/kernel-channel.md): the target
 * core (common/ddraid_tcore.h) and what the kernel adds around it.
 *
 * Locking: @lock (a spinlock taken with interrupts off, since bios complete
 * in interrupt context) protects @core, and with it the regions and the IO
 * the core keeps (waiting at the gate, frozen reads, held writes). Which
 * daemon is attached (@chan) changes under ddraid_chan_mutex
 * (dm-ddraid-chan.c) and @lock both, so either one is enough to read it.
 * Bios are never ended and work is never queued with @lock held: the core
 * hands released IO back on a private list first.
 */
struct ddraid_cluster {
	struct list_head node;		/* ddraid_chan_mutex: cluster targets */
	u64 devt;			/* the dm device, new_encode_dev() */
	struct delayed_work idle_work;	/* drops idle grants */
	u64 region_blocks;		/* volume blocks per region */
	/* Resumed once, and the state not handed to a newer table. */
	bool live;

	spinlock_t lock;		/* all below, see above */
	struct tcore core;		/* regions: kvcalloc() at load */
	struct ddraid_chan *chan;	/* attached daemon or NULL */
};

struct ddraid_ctx {
	struct dm_target *ti;
	struct ddraid_geom geom;
	struct ddraid_member member[DDRAID_MAX_MEMBERS];
	u32 max_io_blocks;
	bool standalone;	/* no write intent: see ddraid_write_intent_gate() */
	bool cluster;		/* write intent through ddraidd: ->cl */
	bool verify;		/* reads also read parity and compare */

	/*
	 * Standalone mode: members not to be read or written (given as "-",
	 * recorded failed, failed by an IO error or by the "fail" message);
	 * bits only ever get set while the table is loaded. In cluster mode
	 * the core keeps its own (ddraid_cluster_members()).
	 */
	unsigned long failed;
	/*
	 * Standalone mode: of those, the ones whose failure is on disk. A
	 * write that skipped a member not in here is not acknowledged
	 * (invariant 3).
	 */
	unsigned long recorded;
	unsigned long missing;	/* given as "-" (for the status line) */
	/*
	 * Cluster mode: members given with the "rebuild" option: a new or
	 * returning device whose superblock is not read; not read or
	 * written until the daemon says "rebuilding".
	 */
	unsigned long rebuild;

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
	mempool_t page_pool;		/* struct ddraid_pages: parity */
	mempool_t bounce_pool;		/* ddraid_pages: members with bounce */
	struct workqueue_struct *wq;	/* completion work: reconstruct, retry */
	struct work_struct event_work;	/* dm_table_event() needs a process */

	atomic64_t reads;
	atomic64_t writes;
	atomic64_t reconstructs;
	atomic64_t member_errors;
	atomic64_t mismatches;

	struct ddraid_cluster cl;	/* cluster mode only */
};

/* Per-bio data of the target (ti->per_io_data_size). */
struct ddraid_io {
	struct ddraid_ctx *ctx;
	struct bio *bio;
	struct ddraid_pages *ps;
	struct ddraid_pages *bp;	/* bounce pages, see ddraid_member */
	unsigned long bounce;	/* data members whose bio uses @bp */
	struct work_struct work;
	struct list_head wentry;	/* on inflight_ or waiting_writes */
	struct list_head rentry;	/* write_release()'s ready list */
	struct tcore_io tio;		/* cluster mode: the core's part */
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

void ddraid_write_go(struct ddraid_io *io);
void ddraid_read_go(struct ddraid_io *io);
void ddraid_io_complete(struct ddraid_io *io, blk_status_t status);
void ddraid_member_masks(struct ddraid_ctx *ctx, unsigned long *failed,
			 unsigned long *noread);

/* dm-ddraid-sb.c */
int ddraid_read_sb(struct block_device *bdev, struct page *page,
		   struct ddraid_sb *sb, const char **why);
int ddraid_record_failures(struct ddraid_ctx *ctx);
int ddraid_catch_up_members(struct ddraid_ctx *ctx, unsigned long which);

/* dm-ddraid-region.c: cluster mode, see docs/kernel-channel.md */
int ddraid_cluster_init(struct ddraid_ctx *ctx);
void ddraid_cluster_exit(struct ddraid_ctx *ctx);
void ddraid_cluster_presuspend(struct ddraid_ctx *ctx, bool noflush);
void ddraid_cluster_postsuspend(struct ddraid_ctx *ctx);
void ddraid_cluster_resume(struct ddraid_ctx *ctx);
bool ddraid_cluster_take_over(struct ddraid_ctx *to, struct ddraid_ctx *from);

/* What the gates do with an IO. */
enum ddraid_gate {
	DDRAID_GATE_GO,		/* submit it now */
	DDRAID_GATE_WAIT,	/* queued: the daemon's answer releases it */
	DDRAID_GATE_REQUEUE,	/* noflush suspend: give it back to dm */
	DDRAID_GATE_FAIL,	/* withdrawn: fail it (EIO) */
};

enum ddraid_gate ddraid_gate_enter(struct ddraid_ctx *ctx,
				   struct ddraid_io *io);
enum ddraid_gate ddraid_read_gate_enter(struct ddraid_ctx *ctx,
					struct ddraid_io *io);
int ddraid_cluster_plan(struct ddraid_ctx *ctx, struct ddraid_io *io);
void ddraid_cluster_write_done(struct ddraid_ctx *ctx, struct ddraid_io *io,
			       unsigned long errors);
void ddraid_cluster_io_end(struct ddraid_ctx *ctx, struct ddraid_io *io);
unsigned long ddraid_cluster_member_error(struct ddraid_ctx *ctx,
					  unsigned long mask);
void ddraid_cluster_members(struct ddraid_ctx *ctx, unsigned long *failed,
			    unsigned long *noread);
void ddraid_cluster_attach(struct ddraid_ctx *ctx, struct ddraid_chan *chan);
void ddraid_cluster_detach(struct ddraid_ctx *ctx);
int ddraid_cluster_next_msg(struct ddraid_ctx *ctx,
			    struct ddraid_chan_msg *m);
void ddraid_cluster_apply(struct ddraid_ctx *ctx,
			  const struct ddraid_chan_msg *m);
void ddraid_cluster_status(struct ddraid_ctx *ctx, char *result,
			   unsigned int maxlen, unsigned int *sz);

/* dm-ddraid-chan.c: the misc device /dev/ddraid */
int ddraid_chan_register(struct ddraid_ctx *ctx);
void ddraid_chan_unregister(struct ddraid_ctx *ctx);
void ddraid_chan_go_live(struct ddraid_ctx *ctx);
void ddraid_chan_kick(struct ddraid_chan *chan);
int ddraid_chan_init(void);
void ddraid_chan_exit(void);

static inline unsigned int ddraid_down_count(struct ddraid_ctx *ctx)
{
	unsigned long failed, noread;

	ddraid_member_masks(ctx, &failed, &noread);
	return hweight_long(failed);
}

#endif /* DM_DDRAID_H */
