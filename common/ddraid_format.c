// SPDX-License-Identifier: GPL-2.0-only
/*
 * Superblock layout, encoding and strict validation. See ddraid_format.h
 * and docs/format.md. The decoder reads untrusted bytes: every field is
 * range-checked, every relation between fields is checked, reserved bytes
 * must be zero, and nothing is written to the caller's struct unless all
 * of it is good.
 */
#include "ddraid_format.h"
#include "ddraid_crc32c.h"

/* Every refusal says why: the reason goes to the caller, -EINVAL back. */
static int invalid(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static u64 div_round_up_u64(u64 a, u64 b)
{
	u64 q = ddr_div64(a, b);

	return q + (q * b != a);
}

static u64 align_up_u64(u64 v, u64 a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool is_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

static u64 bitmap_slot_bytes_for(u64 regions)
{
	return align_up_u64(div_round_up_u64(regions, 8), DDRAID_BLOCK_SIZE);
}

/*
 * [A-Za-z0-9._+-]: the name becomes /dev/mapper/NAME and a CPG group name.
 * The whole naming rule, built on this, is lib/volname.c.
 */
bool ddraid_name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' ||
	       c == '-';
}

const char *ddraid_member_state_name(u32 state)
{
	switch (state) {
	case DDRAID_MEMBER_EMPTY:
		return "empty";
	case DDRAID_MEMBER_ACTIVE:
		return "active";
	case DDRAID_MEMBER_FAILED:
		return "failed";
	case DDRAID_MEMBER_REBUILDING:
		return "rebuilding";
	default:
		return "unknown";
	}
}

int ddraid_layout_new(struct ddraid_sb *sb, u32 members, u64 member_bytes,
		      u64 region_size)
{
	int k = ddraid_members_to_k(members);
	u64 max_data, regions, slot_bytes, data_offset, data_size;
	u32 i;

	if (k < 0 || !is_pow2(region_size) || region_size < DDRAID_REGION_MIN ||
	    region_size > DDRAID_REGION_MAX)
		return -EINVAL;
	if (member_bytes <= DDRAID_BITMAP_OFFSET)
		return -ENOSPC;
	/*
	 * The bitmap size depends on the capacity, which depends on where data
	 * starts: size the bitmaps for the most data the member could hold.
	 */
	if (member_bytes - DDRAID_BITMAP_OFFSET > (~0ULL >> DDRAID_MAX_K))
		return -EINVAL;
	max_data = (member_bytes - DDRAID_BITMAP_OFFSET) << k;
	regions = div_round_up_u64(max_data, region_size);
	slot_bytes = bitmap_slot_bytes_for(regions);
	data_offset = align_up_u64(DDRAID_BITMAP_OFFSET +
				   DDRAID_BITMAP_SLOTS * slot_bytes,
				   DDRAID_DATA_ALIGN);
	if (member_bytes <= data_offset)
		return -ENOSPC;
	data_size = ddraid_geom_capacity_blocks(members, data_offset,
						member_bytes) << DDRAID_BLOCK_SHIFT;
	if (data_size < region_size)
		return -ENOSPC;

	memset(sb, 0, sizeof(*sb));
	sb->version = DDRAID_SB_VERSION;
	sb->events = 1;
	sb->members = members;
	sb->k = (u32)k;
	sb->block_size = DDRAID_BLOCK_SIZE;
	sb->frag_size = DDRAID_BLOCK_SIZE >> k;
	sb->bitmap_slots = DDRAID_BITMAP_SLOTS;
	sb->region_size = region_size;
	sb->regions = div_round_up_u64(data_size, region_size);
	sb->data_offset = data_offset;
	sb->data_size = data_size;
	sb->bitmap_offset = DDRAID_BITMAP_OFFSET;
	sb->bitmap_slot_bytes = slot_bytes;
	sb->member_size = data_offset + (data_size >> k);
	for (i = 0; i < members; i++)
		sb->member[i].state = DDRAID_MEMBER_ACTIVE;
	return 0;
}

static int validate_members(const struct ddraid_sb *sb, const char **why)
{
	u64 blocks = sb->data_size >> DDRAID_BLOCK_SHIFT;
	u32 i, j;

	for (i = 0; i < DDRAID_SB_MEMBER_SLOTS; i++) {
		const struct ddraid_member_info *m = &sb->member[i];

		if (i >= sb->members) {
			if (m->state != DDRAID_MEMBER_EMPTY || m->recovery_block ||
			    m->failed_events)
				return invalid(why, "member table entry past the member count is in use");
			continue;
		}
		switch (m->state) {
		case DDRAID_MEMBER_ACTIVE:
		case DDRAID_MEMBER_FAILED:
			if (m->recovery_block)
				return invalid(why, "recovery offset set on a member that is not rebuilding");
			break;
		case DDRAID_MEMBER_REBUILDING:
			if (m->recovery_block >= blocks)
				return invalid(why, "recovery offset beyond the volume");
			break;
		default:
			return invalid(why, "unknown member state");
		}
		if (m->state == DDRAID_MEMBER_FAILED ?
		    m->failed_events > sb->events : m->failed_events != 0)
			return invalid(why, "failure event count invalid for the member state");
	}
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		for (j = i + 1; j < DDRAID_BITMAP_SLOTS; j++)
			if (sb->slot_nodeid[i] &&
			    sb->slot_nodeid[i] == sb->slot_nodeid[j])
				return invalid(why, "node id owns two write-intent slots");
	return 0;
}

int ddraid_sb_validate(const struct ddraid_sb *sb, const char **why)
{
	int k = ddraid_members_to_k(sb->members);
	u64 bitmap_end, member_data;
	size_t i, len;

	if (sb->version != DDRAID_SB_VERSION)
		return invalid(why, "unsupported superblock version");
	if (k < 0)
		return invalid(why, "member count is not 2, 3, 5 or 9");
	if (sb->k != (u32)k)
		return invalid(why, "k does not match the member count");
	if (sb->member_index >= sb->members)
		return invalid(why, "member index out of range");
	if (sb->block_size != DDRAID_BLOCK_SIZE)
		return invalid(why, "block size is not 4096");
	if (sb->frag_size != DDRAID_BLOCK_SIZE >> k)
		return invalid(why, "fragment size does not match k");
	if (sb->bitmap_slots != DDRAID_BITMAP_SLOTS)
		return invalid(why, "write-intent slot count is not 32");
	if (!is_pow2(sb->region_size) || sb->region_size < DDRAID_REGION_MIN ||
	    sb->region_size > DDRAID_REGION_MAX)
		return invalid(why, "region size is not a power of two in [64 KiB, 1 GiB]");
	if (!sb->data_size || (sb->data_size & (DDRAID_BLOCK_SIZE - 1)))
		return invalid(why, "data size is zero or not a multiple of 4096");
	if (sb->regions != div_round_up_u64(sb->data_size, sb->region_size))
		return invalid(why, "region count does not match data size");
	if (sb->bitmap_offset != DDRAID_BITMAP_OFFSET)
		return invalid(why, "bitmap offset is not 64 KiB");
	if (sb->bitmap_slot_bytes & (DDRAID_BLOCK_SIZE - 1) ||
	    sb->bitmap_slot_bytes < div_round_up_u64(sb->regions, 8))
		return invalid(why, "write-intent slot too small or not 4 KiB aligned");
	if (sb->bitmap_slot_bytes > (~0ULL - DDRAID_BITMAP_OFFSET) /
				    DDRAID_BITMAP_SLOTS)
		return invalid(why, "write-intent slot size overflows");
	bitmap_end = sb->bitmap_offset + DDRAID_BITMAP_SLOTS *
		     sb->bitmap_slot_bytes;
	if (sb->data_offset & (DDRAID_BLOCK_SIZE - 1) ||
	    sb->data_offset < bitmap_end)
		return invalid(why, "data offset overlaps metadata or is not 4 KiB aligned");
	member_data = sb->data_size >> k;
	if (member_data > ~0ULL - sb->data_offset ||
	    sb->member_size != sb->data_offset + member_data)
		return invalid(why, "member size does not match data offset and size");
	if (!sb->events)
		return invalid(why, "event counter is zero");
	len = 0;
	while (len < sizeof(sb->name) && sb->name[len])
		len++;
	if (len > DDRAID_NAME_MAX)
		return invalid(why, "volume name is not terminated");
	for (i = 0; i < len; i++)
		if (!ddraid_name_char_ok(sb->name[i]))
			return invalid(why, "volume name has a character outside [A-Za-z0-9._+-]");
	return validate_members(sb, why);
}

int ddraid_sb_encode(const struct ddraid_sb *sb, void *buf, const char **why)
{
	u8 *b = buf;
	u32 i;
	int ret = ddraid_sb_validate(sb, why);

	if (ret)
		return ret;
	memset(b, 0, DDRAID_SB_BYTES);
	memcpy(b + DDRAID_SBO_MAGIC, DDRAID_SB_MAGIC, DDRAID_SB_MAGIC_LEN);
	ddr_put_le32(sb->version, b + DDRAID_SBO_VERSION);
	ddr_put_le32(DDRAID_SB_BYTES, b + DDRAID_SBO_SB_BYTES);
	ddr_put_le32(sb->feat_compat, b + DDRAID_SBO_FEAT_COMPAT);
	ddr_put_le32(0, b + DDRAID_SBO_FEAT_INCOMPAT);
	memcpy(b + DDRAID_SBO_UUID, sb->uuid, DDRAID_UUID_BYTES);
	memcpy(b + DDRAID_SBO_NAME, sb->name, strlen(sb->name));
	ddr_put_le64(sb->ctime, b + DDRAID_SBO_CTIME);
	ddr_put_le64(sb->utime, b + DDRAID_SBO_UTIME);
	ddr_put_le64(sb->events, b + DDRAID_SBO_EVENTS);
	ddr_put_le64(sb->update_seq, b + DDRAID_SBO_UPDATE_SEQ);
	ddr_put_le32(sb->member_index, b + DDRAID_SBO_MEMBER_INDEX);
	ddr_put_le32(sb->members, b + DDRAID_SBO_MEMBERS);
	ddr_put_le32(sb->k, b + DDRAID_SBO_K);
	ddr_put_le32(sb->block_size, b + DDRAID_SBO_BLOCK_SIZE);
	ddr_put_le32(sb->frag_size, b + DDRAID_SBO_FRAG_SIZE);
	ddr_put_le32(sb->bitmap_slots, b + DDRAID_SBO_BITMAP_SLOTS);
	ddr_put_le64(sb->region_size, b + DDRAID_SBO_REGION_SIZE);
	ddr_put_le64(sb->regions, b + DDRAID_SBO_REGIONS);
	ddr_put_le64(sb->data_offset, b + DDRAID_SBO_DATA_OFFSET);
	ddr_put_le64(sb->data_size, b + DDRAID_SBO_DATA_SIZE);
	ddr_put_le64(sb->bitmap_offset, b + DDRAID_SBO_BITMAP_OFFSET);
	ddr_put_le64(sb->bitmap_slot_bytes, b + DDRAID_SBO_BITMAP_SLOT_BYTES);
	ddr_put_le64(sb->member_size, b + DDRAID_SBO_MEMBER_SIZE);
	for (i = 0; i < DDRAID_SB_MEMBER_SLOTS; i++) {
		u8 *e = b + DDRAID_SBO_MEMBER_TABLE +
			i * DDRAID_MEMBER_ENTRY_BYTES;

		ddr_put_le32(sb->member[i].state, e);
		ddr_put_le64(sb->member[i].recovery_block, e + 8);
		ddr_put_le64(sb->member[i].failed_events, e + 16);
	}
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		ddr_put_le32(sb->slot_nodeid[i], b + DDRAID_SBO_SLOT_TABLE + 4 * i);
	ddr_put_le32(ddraid_crc32c(b, DDRAID_SBO_CRC), b + DDRAID_SBO_CRC);
	return 0;
}

static bool all_zero(const u8 *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

int ddraid_sb_decode(const void *buf, size_t len, struct ddraid_sb *out,
		     const char **why)
{
	const u8 *b = buf;
	struct ddraid_sb sb;
	u32 i;
	int ret;

	if (len < DDRAID_SB_BYTES) {
		if (why)
			*why = "superblock truncated";
		return -EINVAL;
	}
	if (memcmp(b + DDRAID_SBO_MAGIC, DDRAID_SB_MAGIC, DDRAID_SB_MAGIC_LEN)) {
		if (why)
			*why = "no ddraid superblock (bad magic)";
		return -ENODATA;
	}
	if (ddr_get_le32(b + DDRAID_SBO_CRC) !=
	    ddraid_crc32c(b, DDRAID_SBO_CRC)) {
		if (why)
			*why = "superblock checksum mismatch";
		return -EBADMSG;
	}
	memset(&sb, 0, sizeof(sb));
	sb.version = ddr_get_le32(b + DDRAID_SBO_VERSION);
	if (sb.version != DDRAID_SB_VERSION ||
	    ddr_get_le32(b + DDRAID_SBO_FEAT_INCOMPAT)) {
		if (why)
			*why = "superblock version or incompatible feature not supported";
		return -EPROTONOSUPPORT;
	}
	if (ddr_get_le32(b + DDRAID_SBO_SB_BYTES) != DDRAID_SB_BYTES)
		return invalid(why, "superblock size field is not 4096");
	sb.feat_compat = ddr_get_le32(b + DDRAID_SBO_FEAT_COMPAT);
	memcpy(sb.uuid, b + DDRAID_SBO_UUID, DDRAID_UUID_BYTES);
	memcpy(sb.name, b + DDRAID_SBO_NAME, DDRAID_NAME_MAX + 1);
	if (sb.name[DDRAID_NAME_MAX])
		return invalid(why, "volume name is not terminated");
	if (!all_zero(b + DDRAID_SBO_NAME + strlen(sb.name),
		      DDRAID_NAME_MAX + 1 - strlen(sb.name)))
		return invalid(why, "bytes after the volume name are not zero");
	sb.ctime = ddr_get_le64(b + DDRAID_SBO_CTIME);
	sb.utime = ddr_get_le64(b + DDRAID_SBO_UTIME);
	sb.events = ddr_get_le64(b + DDRAID_SBO_EVENTS);
	sb.update_seq = ddr_get_le64(b + DDRAID_SBO_UPDATE_SEQ);
	sb.member_index = ddr_get_le32(b + DDRAID_SBO_MEMBER_INDEX);
	sb.members = ddr_get_le32(b + DDRAID_SBO_MEMBERS);
	sb.k = ddr_get_le32(b + DDRAID_SBO_K);
	sb.block_size = ddr_get_le32(b + DDRAID_SBO_BLOCK_SIZE);
	sb.frag_size = ddr_get_le32(b + DDRAID_SBO_FRAG_SIZE);
	sb.bitmap_slots = ddr_get_le32(b + DDRAID_SBO_BITMAP_SLOTS);
	sb.region_size = ddr_get_le64(b + DDRAID_SBO_REGION_SIZE);
	sb.regions = ddr_get_le64(b + DDRAID_SBO_REGIONS);
	sb.data_offset = ddr_get_le64(b + DDRAID_SBO_DATA_OFFSET);
	sb.data_size = ddr_get_le64(b + DDRAID_SBO_DATA_SIZE);
	sb.bitmap_offset = ddr_get_le64(b + DDRAID_SBO_BITMAP_OFFSET);
	sb.bitmap_slot_bytes = ddr_get_le64(b + DDRAID_SBO_BITMAP_SLOT_BYTES);
	sb.member_size = ddr_get_le64(b + DDRAID_SBO_MEMBER_SIZE);
	if (!all_zero(b + DDRAID_SBO_MEMBER_SIZE + 8,
		      DDRAID_SBO_MEMBER_TABLE - DDRAID_SBO_MEMBER_SIZE - 8))
		return invalid(why, "reserved header bytes are not zero");
	for (i = 0; i < DDRAID_SB_MEMBER_SLOTS; i++) {
		const u8 *e = b + DDRAID_SBO_MEMBER_TABLE +
			      i * DDRAID_MEMBER_ENTRY_BYTES;

		sb.member[i].state = ddr_get_le32(e);
		if (ddr_get_le32(e + 4))
			return invalid(why, "member table flags are not zero");
		sb.member[i].recovery_block = ddr_get_le64(e + 8);
		sb.member[i].failed_events = ddr_get_le64(e + 16);
		if (!all_zero(e + 24, 8))
			return invalid(why, "member table reserved bytes are not zero");
	}
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		sb.slot_nodeid[i] = ddr_get_le32(b + DDRAID_SBO_SLOT_TABLE + 4 * i);
	if (!all_zero(b + DDRAID_SBO_SLOT_TABLE + 4 * DDRAID_BITMAP_SLOTS,
		      DDRAID_SBO_CRC - DDRAID_SBO_SLOT_TABLE -
		      4 * DDRAID_BITMAP_SLOTS))
		return invalid(why, "reserved bytes are not zero");
	ret = ddraid_sb_validate(&sb, why);
	if (ret)
		return ret;
	*out = sb;
	return 0;
}

int ddraid_sb_pick(const struct ddraid_sb copies[DDRAID_SB_COPIES],
		   const bool valid[DDRAID_SB_COPIES])
{
	if (!valid[0])
		return valid[1] ? 1 : -1;
	if (!valid[1])
		return 0;
	if (copies[1].events != copies[0].events)
		return copies[1].events > copies[0].events;
	return copies[1].update_seq > copies[0].update_seq;
}

bool ddraid_sb_same_volume(const struct ddraid_sb *a,
			   const struct ddraid_sb *b)
{
	return !memcmp(a->uuid, b->uuid, DDRAID_UUID_BYTES) &&
	       a->members == b->members && a->data_size == b->data_size &&
	       a->data_offset == b->data_offset &&
	       a->region_size == b->region_size;
}

int ddraid_sb_geom(const struct ddraid_sb *sb, struct ddraid_geom *g)
{
	return ddraid_geom_init(g, sb->members, sb->data_offset,
				sb->data_size >> DDRAID_BLOCK_SHIFT);
}
