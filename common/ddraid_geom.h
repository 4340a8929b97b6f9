/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RAID 3.5 geometry: where each byte of a volume block lives.
 *
 * A volume of n = 2^k + 1 members cuts every 4096-byte block into 2^k
 * fragments of F = 4096 >> k bytes. Data member d holds bytes
 * [d*F, (d+1)*F) of volume block b at member byte offset
 * data_offset + b*F; the last member holds the XOR of the 2^k fragments at
 * the same offset. Parity never rotates, so consecutive volume blocks are
 * consecutive on every member.
 */
#ifndef DDRAID_GEOM_H
#define DDRAID_GEOM_H

#include "ddraid_compat.h"

#define DDRAID_BLOCK_SHIFT	12
#define DDRAID_BLOCK_SIZE	(1u << DDRAID_BLOCK_SHIFT)
#define DDRAID_MAX_K		3
#define DDRAID_MAX_MEMBERS	((1u << DDRAID_MAX_K) + 1)

struct ddraid_geom {
	u32 k;			/* log2 of the number of data members */
	u32 members;		/* n = 2^k + 1 */
	u32 data_members;	/* 2^k */
	u32 parity_member;	/* index of the parity member: n - 1 */
	u32 frag_shift;		/* log2(F) */
	u32 frag_size;		/* F = 4096 >> k */
	u64 data_offset;	/* bytes on every member before block 0 */
	u64 blocks;		/* volume capacity in 4096-byte blocks */
};

/*
 * Fill @g for @members members. Returns 0, or -EINVAL when @members is not
 * 2, 3, 5 or 9, or @data_offset is not a multiple of the block size.
 */
int ddraid_geom_init(struct ddraid_geom *g, u32 members, u64 data_offset,
		     u64 blocks);

/* k for a member count, or -1 when the count is not 2^k + 1 with k <= 3. */
int ddraid_members_to_k(u32 members);

/* Byte offset on every member of the fragment of volume block @block. */
static inline u64 ddraid_member_offset(const struct ddraid_geom *g, u64 block)
{
	return g->data_offset + (block << g->frag_shift);
}

/* Member bytes covered by @nblocks volume blocks. */
static inline u64 ddraid_member_bytes(const struct ddraid_geom *g, u64 nblocks)
{
	return nblocks << g->frag_shift;
}

/*
 * The largest volume (in blocks) that members of @member_bytes bytes can
 * carry once @data_offset bytes are reserved at the start of each.
 */
u64 ddraid_geom_capacity_blocks(u32 members, u64 data_offset,
				u64 member_bytes);

/*
 * Does a member whose logical block size is @lbs fit this geometry? Each
 * member IO is a whole number of fragments starting on a fragment boundary,
 * so lbs must divide F (and the data offset).
 */
bool ddraid_geom_member_lbs_ok(const struct ddraid_geom *g, u32 lbs);

#endif /* DDRAID_GEOM_H */
