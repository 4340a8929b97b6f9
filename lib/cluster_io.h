/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cluster-mode member IO on top of the engine (used by ddraidd and the
 * userspace stand-in target of the multi-node tests).
 *
 * The engine's own data path is standalone: a write that skips a member
 * records that member FAILED on the superblocks itself. In a cluster only
 * the coordinator writes superblocks, after the failure is agreed
 * (docs/cluster-protocol.md section 7), so these functions never record
 * anything: they report which members failed and leave the decision to
 * the caller.
 */
#ifndef DDRAID_CLUSTER_IO_H
#define DDRAID_CLUSTER_IO_H

#include "ddraid.h"

/*
 * Write @nblocks whole blocks from @data at volume block @block to every
 * writable member not in @skip. *@failed receives the mask of members
 * whose IO failed (nothing is recorded). Returns 0 when the data is on
 * all but at most one member (the one in @skip or *@failed), -EIO when
 * more than one member is unavailable (the write is lost), -EINVAL for a
 * range beyond the volume.
 */
int ddraid_cl_write(struct ddraid_vol *vol, u64 block, u64 nblocks,
		    const void *data, u32 skip, u32 *failed);

/*
 * Read @nblocks whole blocks into @data, not reading members in @skip
 * (reconstructing from parity). *@failed as above. -EIO when more than
 * one member is unusable.
 */
int ddraid_cl_read(struct ddraid_vol *vol, u64 block, u64 nblocks, void *data,
		   u32 skip, u32 *failed);

/*
 * Recompute the parity of blocks [first, first + nblocks) from the data
 * members (a rebuild of the parity member, flushed at the end). -EIO
 * (with *@failed) when a member could not be read or written; nothing is
 * recorded.
 */
int ddraid_cl_resync(struct ddraid_vol *vol, u64 first, u64 nblocks,
		     u32 *failed);

/*
 * Reconstruct member @m's fragments of blocks [first, first + nblocks)
 * from the other members and write them to @m (which must be open).
 */
int ddraid_cl_rebuild_range(struct ddraid_vol *vol, u32 m, u64 first,
			    u64 nblocks, u32 *failed);

/*
 * Write one 4096-byte page (@page of slot @slot's bitmap) to the members
 * in @mask and flush them. Returns 0 or -EIO with *@failed.
 */
int ddraid_cl_bitmap_page(struct ddraid_vol *vol, u32 slot, u64 page,
			  const void *buf, u32 mask, u32 *failed);

/*
 * Read slot @slot (bitmap_slot_bytes into @map) as the union over the
 * members in @mask. 0 if at least one member was read, else -EIO.
 */
int ddraid_cl_bitmap_read(struct ddraid_vol *vol, u32 slot, u8 *map,
			  u32 mask, u32 *failed);

/*
 * Read page @page of every slot (sb.bitmap_slots pages of 4096 bytes into
 * @maps, slot by slot), each the union over the members in @mask, all in
 * one round of IO. 0 if every page was read from at least one member,
 * else -EIO with *@failed; -EINVAL for a page beyond the slots.
 */
int ddraid_cl_bitmap_read_pages(struct ddraid_vol *vol, u64 page, u8 *maps,
				u32 mask, u32 *failed);

/*
 * Read page @page of slot @slot (4096 bytes into @buf) as the union over
 * the members in @mask. 0 if at least one member was read, else -EIO;
 * -EINVAL for a page beyond the slot.
 */
int ddraid_cl_bitmap_read_page(struct ddraid_vol *vol, u32 slot, u64 page,
			       u8 *buf, u32 mask, u32 *failed);

/*
 * The one bit update of the write-intent bitmaps (engine and ddraidd
 * alike): read the page holding bit @region of slot @slot as the union
 * over @rmask, set or clear the bit (ddraid_bitmap_page_update(),
 * common/ddraid_format.h), write the page to the members of @wmask that
 * did not fail the read, and flush them. 4096 bytes read and written per
 * member, whatever the slot's size. *@failed: members whose read, write
 * or flush failed. Returns 0; -EIO when no member could be read or a
 * write failed (*@failed says which: the caller's policy decides whether
 * that is enough); -EINVAL, -ENOMEM.
 */
int ddraid_cl_bitmap_bit(struct ddraid_vol *vol, u32 slot, u64 region,
			 bool set, u32 rmask, u32 wmask, u32 *failed);

/* Treat member @m as failing in this process only (no superblock write). */
void ddraid_cl_set_failing(struct ddraid_vol *vol, u32 m, bool failing);

/*
 * Member @m's superblock through this node's path: read (0 or -errno),
 * written (as ddraid_sb_write_fd()), and a flush of the member. Use these,
 * never the descriptor: the IO layer knows whether the path is up.
 */
int ddraid_cl_sb_read(struct ddraid_vol *vol, u32 m, struct ddraid_sb *sb);
int ddraid_cl_sb_write(struct ddraid_vol *vol, u32 m, struct ddraid_sb *sb,
		       const char **why);
int ddraid_cl_flush(struct ddraid_vol *vol, u32 m);
/* Flush the members in @mask at once; returns those whose flush failed. */
u32 ddraid_cl_flush_mask(struct ddraid_vol *vol, u32 mask);

/* The open descriptor of member @m, or -1 (whether it is open). */
int ddraid_cl_member_fd(const struct ddraid_vol *vol, u32 m);

/*
 * (Re)open member @m at @path for writing: for a rebuild onto a new
 * device, or a member coming back. Returns 0 or -errno.
 */
int ddraid_cl_member_open(struct ddraid_vol *vol, u32 m, const char *path);

/* The path member @m was opened at (NULL if none). */
const char *ddraid_cl_member_path(const struct ddraid_vol *vol, u32 m);

/* Members that are open, not failing, and ACTIVE or REBUILDING. */
u32 ddraid_cl_writable_mask(const struct ddraid_vol *vol);

/* Replace the in-memory newest superblock's cluster-owned fields. */
void ddraid_cl_set_member_state(struct ddraid_vol *vol, u32 m, u32 state);

#endif /* DDRAID_CLUSTER_IO_H */
