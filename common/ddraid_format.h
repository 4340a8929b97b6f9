/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The on-disk format of a ddraid member: superblock (two redundant copies),
 * per-node write-intent bitmap slots, then data. Every field is fixed-width
 * little-endian at a fixed offset; docs/format.md is the byte-level
 * specification and must change together with this file.
 *
 *   member byte 0        4 KiB  left alone (boot sector, partition labels)
 *   DDRAID_SB_OFFSET(0)  4 KiB  superblock copy 0
 *   DDRAID_SB_OFFSET(1)  4 KiB  superblock copy 1
 *   bitmap_offset               DDRAID_BITMAP_SLOTS slots of bitmap_slot_bytes
 *   data_offset                 fragments of the volume's blocks
 */
#ifndef DDRAID_FORMAT_H
#define DDRAID_FORMAT_H

#include "ddraid_compat.h"
#include "ddraid_geom.h"

#define DDRAID_SB_MAGIC		"DDRAIDSB"
#define DDRAID_SB_MAGIC_LEN	8
#define DDRAID_SB_VERSION	1
#define DDRAID_SB_BYTES		4096u
#define DDRAID_SB_COPIES	2
#define DDRAID_SB_OFFSET(copy)	(4096ull + (u64)(copy) * DDRAID_SB_BYTES)
#define DDRAID_NAME_MAX		63	/* bytes, the field is 64 with a NUL */
#define DDRAID_UUID_BYTES	16
#define DDRAID_SB_MEMBER_SLOTS	16	/* member table entries (n <= 9) */
#define DDRAID_BITMAP_SLOTS	32	/* nodes that may write at once */
#define DDRAID_BITMAP_OFFSET	65536ull
#define DDRAID_DATA_ALIGN	(1ull << 20)
#define DDRAID_REGION_MIN	(64ull << 10)
#define DDRAID_REGION_MAX	(1ull << 30)
#define DDRAID_REGION_DEFAULT	(4ull << 20)

/* Byte offsets inside the superblock (docs/format.md, "Superblock"). */
#define DDRAID_SBO_MAGIC		0x000
#define DDRAID_SBO_VERSION		0x008
#define DDRAID_SBO_SB_BYTES		0x00c
#define DDRAID_SBO_FEAT_COMPAT		0x010
#define DDRAID_SBO_FEAT_INCOMPAT	0x014
#define DDRAID_SBO_UUID			0x018
#define DDRAID_SBO_NAME			0x028
#define DDRAID_SBO_CTIME		0x068
#define DDRAID_SBO_UTIME		0x070
#define DDRAID_SBO_EVENTS		0x078
#define DDRAID_SBO_UPDATE_SEQ		0x080
#define DDRAID_SBO_MEMBER_INDEX		0x088
#define DDRAID_SBO_MEMBERS		0x08c
#define DDRAID_SBO_K			0x090
#define DDRAID_SBO_BLOCK_SIZE		0x094
#define DDRAID_SBO_FRAG_SIZE		0x098
#define DDRAID_SBO_BITMAP_SLOTS		0x09c
#define DDRAID_SBO_REGION_SIZE		0x0a0
#define DDRAID_SBO_REGIONS		0x0a8
#define DDRAID_SBO_DATA_OFFSET		0x0b0
#define DDRAID_SBO_DATA_SIZE		0x0b8
#define DDRAID_SBO_BITMAP_OFFSET	0x0c0
#define DDRAID_SBO_BITMAP_SLOT_BYTES	0x0c8
#define DDRAID_SBO_MEMBER_SIZE		0x0d0
#define DDRAID_SBO_MEMBER_TABLE		0x100	/* 16 entries of 32 bytes */
#define DDRAID_SBO_SLOT_TABLE		0x300	/* 32 le32 node ids */
#define DDRAID_SBO_CRC			0xffc

/*
 * One member table entry: le32 state, le32 flags (0), le64 recovery_block,
 * le64 failed_events, 8 reserved bytes (0).
 */
#define DDRAID_MEMBER_ENTRY_BYTES	32

enum ddraid_member_state {
	DDRAID_MEMBER_EMPTY = 0,	/* table entry past n */
	DDRAID_MEMBER_ACTIVE = 1,	/* in sync, read and written */
	DDRAID_MEMBER_FAILED = 2,	/* not read, not written */
	DDRAID_MEMBER_REBUILDING = 3,	/* valid below recovery_block only */
};

struct ddraid_member_info {
	u32 state;		/* enum ddraid_member_state */
	u64 recovery_block;	/* REBUILDING: blocks [0, this) are valid */
	/*
	 * FAILED: the events value that recorded the failure. The member's own
	 * superblock then says failed_events - 1 or less; if it comes back
	 * with exactly that, only the regions written since (kept dirty in
	 * the write-intent bitmaps while degraded) need resyncing onto it.
	 */
	u64 failed_events;
};

/* The decoded, validated superblock of one member. */
struct ddraid_sb {
	u32 version;
	u32 feat_compat;
	u8 uuid[DDRAID_UUID_BYTES];
	char name[DDRAID_NAME_MAX + 1];
	u64 ctime;
	u64 utime;
	u64 events;		/* generation: bumped on member state change */
	u64 update_seq;		/* bumped on every write of this superblock */
	u32 member_index;
	u32 members;
	u32 k;
	u32 block_size;
	u32 frag_size;
	u32 bitmap_slots;
	u64 region_size;	/* bytes of volume data per write-intent bit */
	u64 regions;
	u64 data_offset;	/* bytes on the member */
	u64 data_size;		/* volume capacity in bytes */
	u64 bitmap_offset;
	u64 bitmap_slot_bytes;
	u64 member_size;	/* bytes of each member the volume uses */
	struct ddraid_member_info member[DDRAID_SB_MEMBER_SLOTS];
	u32 slot_nodeid[DDRAID_BITMAP_SLOTS];	/* 0: slot free */
};

/*
 * The layout of a new volume on members of @member_bytes bytes each (the
 * smallest member's size). Fills every field of @sb except uuid, name,
 * times and member_index; all members start ACTIVE with events 1.
 * Returns 0, or -EINVAL (bad member count or region size) or -ENOSPC
 * (members too small for metadata plus one region's worth of data).
 */
int ddraid_layout_new(struct ddraid_sb *sb, u32 members, u64 member_bytes,
		      u64 region_size);

/*
 * Check every field and every relation between fields. Returns 0 or
 * -EINVAL with *why (if not NULL) set to a static description.
 */
int ddraid_sb_validate(const struct ddraid_sb *sb, const char **why);

/*
 * Encode @sb into a DDRAID_SB_BYTES buffer, checksum included. Refuses
 * (-EINVAL, *why set) a superblock that would not decode.
 */
int ddraid_sb_encode(const struct ddraid_sb *sb, void *buf, const char **why);

/*
 * Decode and validate one superblock copy of @len bytes. Returns 0;
 * -ENODATA when there is no ddraid magic; -EBADMSG on a checksum mismatch;
 * -EPROTONOSUPPORT for an unknown version or incompatible feature; -EINVAL
 * for any other inconsistency. *why describes the failure. @sb is written
 * only on success.
 */
int ddraid_sb_decode(const void *buf, size_t len, struct ddraid_sb *sb,
		     const char **why);

/*
 * Of two decoded copies (either may be invalid: valid[i] false), the one to
 * trust: the highest (events, update_seq). Returns 0 or 1, or -1 if neither
 * is valid.
 */
int ddraid_sb_pick(const struct ddraid_sb copies[DDRAID_SB_COPIES],
		   const bool valid[DDRAID_SB_COPIES]);

/* Do two superblocks describe the same volume (uuid and geometry)? */
bool ddraid_sb_same_volume(const struct ddraid_sb *a,
			   const struct ddraid_sb *b);

/* The geometry of a validated superblock. */
int ddraid_sb_geom(const struct ddraid_sb *sb, struct ddraid_geom *g);

/* Region of a volume block, and the first block of a region. */
static inline u64 ddraid_region_of_block(const struct ddraid_sb *sb, u64 block)
{
	return ddr_div64(block << DDRAID_BLOCK_SHIFT, sb->region_size);
}

static inline u64 ddraid_region_first_block(const struct ddraid_sb *sb,
					    u64 region)
{
	return region * (sb->region_size >> DDRAID_BLOCK_SHIFT);
}

/* Member byte offset of write-intent slot @slot. */
static inline u64 ddraid_bitmap_slot_offset(const struct ddraid_sb *sb,
					    u32 slot)
{
	return sb->bitmap_offset + (u64)slot * sb->bitmap_slot_bytes;
}

/*
 * Bit r of a bitmap is bit (r % 8) of byte (r / 8): the on-disk order, so
 * a bitmap image can be read the same on any host.
 */
static inline bool ddraid_bit_test(const u8 *map, u64 bit)
{
	return map[bit >> 3] & (1u << (bit & 7));
}

static inline void ddraid_bit_set(u8 *map, u64 bit)
{
	map[bit >> 3] |= (u8)(1u << (bit & 7));
}

static inline void ddraid_bit_clear(u8 *map, u64 bit)
{
	map[bit >> 3] &= (u8)~(1u << (bit & 7));
}

/*
 * Write-intent bits are updated one 4096-byte page of a slot at a time:
 * the page that holds the bit is read (union over the members), changed
 * and written back to every member. The page is the unit of IO, never
 * the whole slot (2 MiB per member for 64 TiB in 4 MiB regions). These
 * are the only rules for which page and which bit: the userspace engine
 * (lib/bitmap.c) and ddraidd (cpg-daemon/io_exec.c) both use them.
 */
#define DDRAID_BITMAP_PAGE_BYTES	4096u
#define DDRAID_BITMAP_PAGE_SHIFT	15	/* bits per page: 2^15 */
#define DDRAID_BITMAP_PAGE_BITS		(8 * DDRAID_BITMAP_PAGE_BYTES)

/* The page of a slot holding bit @region. */
static inline u64 ddraid_bitmap_page_of(u64 region)
{
	return region >> DDRAID_BITMAP_PAGE_SHIFT;
}

/* Pages in one slot. */
static inline u64 ddraid_bitmap_slot_pages(const struct ddraid_sb *sb)
{
	return sb->bitmap_slot_bytes / DDRAID_BITMAP_PAGE_BYTES;
}

/* Member byte offset of page @page of slot @slot. */
static inline u64 ddraid_bitmap_page_offset(const struct ddraid_sb *sb,
					    u32 slot, u64 page)
{
	return ddraid_bitmap_slot_offset(sb, slot) +
	       page * DDRAID_BITMAP_PAGE_BYTES;
}

/* Is bit @region set in @page (the page ddraid_bitmap_page_of() names)? */
static inline bool ddraid_bitmap_page_test(const u8 *page, u64 region)
{
	return ddraid_bit_test(page, region & (DDRAID_BITMAP_PAGE_BITS - 1));
}

/*
 * Set or clear bit @region in @page (the page ddraid_bitmap_page_of()
 * names). Returns whether the page changed.
 */
static inline bool ddraid_bitmap_page_update(u8 *page, u64 region, bool set)
{
	u64 bit = region & (DDRAID_BITMAP_PAGE_BITS - 1);

	if (ddraid_bit_test(page, bit) == set)
		return false;
	if (set)
		ddraid_bit_set(page, bit);
	else
		ddraid_bit_clear(page, bit);
	return true;
}

const char *ddraid_member_state_name(u32 state);

/* May @c appear in a volume name ([A-Za-z0-9._+-])? */
bool ddraid_name_char_ok(char c);

#endif /* DDRAID_FORMAT_H */
