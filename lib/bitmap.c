// SPDX-License-Identifier: GPL-2.0-only
/*
 * Write-intent bitmap slots: every member carries a copy, so that the
 * record of dirty regions survives the loss of any one member. Reading
 * takes the union (a torn update can only make a region look dirty, which
 * costs a resync, never a missed one).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "cluster_io.h"

static u32 writable_mask(const struct ddraid_vol *vol)
{
	u32 m, mask = 0;

	for (m = 0; m < vol->g.members; m++)
		if (ddraid_member_writable(vol, m))
			mask |= 1u << m;
	return mask;
}

static int check_slot(struct ddraid_vol *vol, u32 slot)
{
	if (slot >= vol->sb.bitmap_slots)
		return ddraid_set_err(vol, -EINVAL,
				      "write-intent slot %u out of range (%u slots)",
				      slot, vol->sb.bitmap_slots);
	return 0;
}

/*
 * The union itself is ddraid_cl_bitmap_read() (lib/cluster_io.c), shared
 * with ddraidd; the engine adds its standalone policy: a member that
 * cannot be read is recorded failed.
 */
int ddraid_bitmap_read_mask(struct ddraid_vol *vol, u32 slot, u8 *map,
			    u32 mask)
{
	u32 fail = 0;
	int ret = check_slot(vol, slot);

	if (ret)
		return ret;
	ret = ddraid_cl_bitmap_read(vol, slot, map, mask, &fail);
	if (fail)
		ddraid_record_failed(vol, fail, "bitmap read error");
	if (ret == -ENOMEM)
		return ddraid_set_err(vol, ret, "out of memory");
	if (ret)
		return ddraid_set_err(vol, ret,
				      "write-intent slot %u: no member could be read",
				      slot);
	return 0;
}

int ddraid_bitmap_write_mask(struct ddraid_vol *vol, u32 slot, const u8 *map,
			     u32 mask)
{
	size_t len = (size_t)vol->sb.bitmap_slot_bytes;
	struct ddraid_mio_req r[DDRAID_MAX_MEMBERS];
	unsigned int n = 0, i;
	u32 m, fail = 0, written = 0;
	void *buf;
	int ret = check_slot(vol, slot);

	if (ret)
		return ret;
	if (vol->flags & DDRAID_OPEN_RDONLY)
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	buf = ddraid_buf_alloc(len);
	if (!buf)
		return ddraid_set_err(vol, -ENOMEM, "out of memory");
	memcpy(buf, map, len);
	for (m = 0; m < vol->g.members; m++) {
		if (!(mask & (1u << m)))
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].member = m;
		r[n].write = true;
		r[n].off = ddraid_bitmap_slot_offset(&vol->sb, slot);
		r[n].len = len;
		r[n].buf = buf;
		n++;
	}
	ddraid_mio_run(&vol->io, r, n);
	for (i = 0; i < n; i++) {
		if (r[i].res)
			fail |= 1u << r[i].member;
		else
			written |= 1u << r[i].member;
	}
	fail |= ddraid_mio_flush(&vol->io, written);
	free(buf);
	if (fail) {
		ddraid_record_failed(vol, fail, "bitmap write error");
		if (ddraid_unusable_count(vol) > 1)
			return ddraid_set_err(vol, -EIO,
					      "write-intent slot %u: more than one member unavailable",
					      slot);
	}
	return 0;
}

/*
 * One bit: the page read-modify-write is ddraid_cl_bitmap_bit() (shared
 * with ddraidd); the engine adds its standalone policy, as above.
 */
int ddraid_bitmap_set_bit(struct ddraid_vol *vol, u32 slot, u64 region,
			  bool set)
{
	u32 mask = writable_mask(vol), fail = 0;
	int ret = check_slot(vol, slot);

	if (ret)
		return ret;
	if (vol->flags & DDRAID_OPEN_RDONLY)
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	if (region >= vol->sb.regions)
		return ddraid_set_err(vol, -EINVAL,
				      "region %llu out of range (%llu regions)",
				      (unsigned long long)region,
				      (unsigned long long)vol->sb.regions);
	ret = ddraid_cl_bitmap_bit(vol, slot, region, set, mask, mask, &fail);
	if (ret == -ENOMEM)
		return ddraid_set_err(vol, ret, "out of memory");
	if (fail)
		ddraid_record_failed(vol, fail, "bitmap IO error");
	if (ret == -EIO && (mask & ~fail) && ddraid_unusable_count(vol) <= 1)
		ret = 0;
	if (ret)
		return ddraid_set_err(vol, ret,
				      "write-intent slot %u region %llu: more than one member unavailable",
				      slot, (unsigned long long)region);
	return 0;
}

int ddraid_bitmap_read(struct ddraid_vol *vol, u32 slot, u8 *map)
{
	return ddraid_bitmap_read_mask(vol, slot, map, writable_mask(vol));
}

int ddraid_bitmap_write(struct ddraid_vol *vol, u32 slot, const u8 *map)
{
	return ddraid_bitmap_write_mask(vol, slot, map, writable_mask(vol));
}
