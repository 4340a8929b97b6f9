// SPDX-License-Identifier: GPL-2.0-only
/*
 * RAID 3.5 geometry. See ddraid_geom.h and docs/format.md.
 */
#include "ddraid_geom.h"

int ddraid_members_to_k(u32 members)
{
	switch (members) {
	case 2:
		return 0;
	case 3:
		return 1;
	case 5:
		return 2;
	case 9:
		return 3;
	default:
		return -1;
	}
}

int ddraid_geom_init(struct ddraid_geom *g, u32 members, u64 data_offset,
		     u64 blocks)
{
	int k = ddraid_members_to_k(members);

	if (k < 0 || (data_offset & (DDRAID_BLOCK_SIZE - 1)))
		return -EINVAL;
	/* blocks << frag_shift plus the offset must not wrap a u64. */
	if (blocks > (~0ULL - data_offset) >> (DDRAID_BLOCK_SHIFT - k))
		return -EINVAL;
	g->k = (u32)k;
	g->members = members;
	g->data_members = 1u << k;
	g->parity_member = members - 1;
	g->frag_shift = DDRAID_BLOCK_SHIFT - (u32)k;
	g->frag_size = DDRAID_BLOCK_SIZE >> k;
	g->data_offset = data_offset;
	g->blocks = blocks;
	return 0;
}

u64 ddraid_geom_capacity_blocks(u32 members, u64 data_offset,
				u64 member_bytes)
{
	int k = ddraid_members_to_k(members);

	if (k < 0 || member_bytes <= data_offset)
		return 0;
	return (member_bytes - data_offset) >> (DDRAID_BLOCK_SHIFT - k);
}

bool ddraid_geom_member_lbs_ok(const struct ddraid_geom *g, u32 lbs)
{
	if (lbs == 0 || (lbs & (lbs - 1)))
		return false;
	return lbs <= g->frag_size && !(g->data_offset & (lbs - 1));
}
