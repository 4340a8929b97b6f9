// SPDX-License-Identifier: GPL-2.0-only
/*
 * Superblock format: layout of new volumes, encode/decode round trips, the
 * byte offsets docs/format.md promises, and rejection of every kind of bad
 * superblock (each with the reason the decoder gives).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ddraid_format.h"
#include "ddraid_crc32c.h"

static void make_sb(struct ddraid_sb *sb, u32 members, u64 member_bytes)
{
	assert_int_equal(ddraid_layout_new(sb, members, member_bytes,
					   DDRAID_REGION_DEFAULT), 0);
	memcpy(sb->uuid, "0123456789abcdef", 16);
	strcpy(sb->name, "vol0");
	sb->ctime = sb->utime = 1700000000;
	sb->member_index = members - 1;
}

static void reseal(u8 *buf)
{
	ddr_put_le32(ddraid_crc32c(buf, DDRAID_SBO_CRC), buf + DDRAID_SBO_CRC);
}

static void test_layout_new(void **state)
{
	static const u32 ns[] = { 2, 3, 5, 9 };
	struct ddraid_sb sb;
	size_t i;

	for (i = 0; i < 4; i++) {
		u64 member = 256ull << 20;

		make_sb(&sb, ns[i], member);
		assert_int_equal(ddraid_sb_validate(&sb, NULL), 0);
		assert_int_equal(sb.frag_size, 4096 >> sb.k);
		assert_int_equal(sb.data_offset % DDRAID_DATA_ALIGN, 0);
		assert_true(sb.data_offset >= sb.bitmap_offset +
			    32 * sb.bitmap_slot_bytes);
		assert_true(sb.member_size <= member);
		/* Capacity uses all that is left, to the fragment. */
		assert_true(member - sb.member_size < sb.frag_size);
		assert_int_equal(sb.data_size, (sb.member_size -
			sb.data_offset) << sb.k);
		assert_true(sb.bitmap_slot_bytes * 8 >= sb.regions);
	}
	assert_int_equal(ddraid_layout_new(&sb, 4, 1 << 30, 4 << 20), -EINVAL);
	assert_int_equal(ddraid_layout_new(&sb, 5, 1 << 30, 3 << 20), -EINVAL);
	assert_int_equal(ddraid_layout_new(&sb, 5, 1 << 30, 32 << 10), -EINVAL);
	assert_int_equal(ddraid_layout_new(&sb, 5, 1 << 20, 4 << 20), -ENOSPC);
	assert_int_equal(ddraid_layout_new(&sb, 5, 4096, 4 << 20), -ENOSPC);
}

static void test_round_trip_and_offsets(void **state)
{
	struct ddraid_sb sb, out;
	u8 buf[DDRAID_SB_BYTES];

	make_sb(&sb, 5, 1ull << 30);
	sb.events = 0x1122334455667788ull;
	sb.update_seq = 42;
	sb.member[2].state = DDRAID_MEMBER_REBUILDING;
	sb.member[2].recovery_block = 1000;
	sb.member[4].state = DDRAID_MEMBER_FAILED;
	sb.member[4].failed_events = 0x1122334455667788ull;
	sb.slot_nodeid[3] = 0xdeadbeef;
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), 0);
	assert_int_equal(ddraid_sb_decode(buf, sizeof(buf), &out, NULL), 0);
	assert_memory_equal(&sb, &out, sizeof(sb));

	/* The offsets docs/format.md promises, little-endian. */
	assert_memory_equal(buf, "DDRAIDSB", 8);
	assert_int_equal(buf[0x008], 1);
	assert_int_equal(ddr_get_le32(buf + 0x00c), 4096);
	assert_memory_equal(buf + 0x018, "0123456789abcdef", 16);
	assert_string_equal((char *)buf + 0x028, "vol0");
	assert_int_equal(buf[0x078], 0x88);
	assert_int_equal(buf[0x07f], 0x11);
	assert_int_equal(ddr_get_le32(buf + 0x088), 4);	/* member index */
	assert_int_equal(ddr_get_le32(buf + 0x08c), 5);
	assert_int_equal(ddr_get_le32(buf + 0x090), 2);
	assert_int_equal(ddr_get_le32(buf + 0x094), 4096);
	assert_int_equal(ddr_get_le32(buf + 0x098), 1024);
	assert_int_equal(ddr_get_le32(buf + 0x09c), 32);
	assert_int_equal(ddr_get_le64(buf + 0x0a0), 4 << 20);
	assert_int_equal(ddr_get_le64(buf + 0x0b0), sb.data_offset);
	assert_int_equal(ddr_get_le64(buf + 0x0b8), sb.data_size);
	assert_int_equal(ddr_get_le64(buf + 0x0c0), 65536);
	assert_int_equal(ddr_get_le32(buf + 0x100 + 2 * 32),
			 DDRAID_MEMBER_REBUILDING);
	assert_int_equal(ddr_get_le64(buf + 0x100 + 2 * 32 + 8), 1000);
	assert_int_equal(ddr_get_le32(buf + 0x100 + 4 * 32),
			 DDRAID_MEMBER_FAILED);
	assert_int_equal(ddr_get_le64(buf + 0x100 + 4 * 32 + 16),
			 sb.events);
	assert_int_equal(ddr_get_le32(buf + 0x300 + 3 * 4), 0xdeadbeef);
	assert_int_equal(ddr_get_le32(buf + 0xffc),
			 ddraid_crc32c(buf, 0xffc));
}

static void test_every_byte_is_covered(void **state)
{
	struct ddraid_sb sb, out;
	u8 buf[DDRAID_SB_BYTES];
	size_t i;

	make_sb(&sb, 9, 1ull << 30);
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), 0);
	/* A flipped bit anywhere, checksum included, is refused. */
	for (i = 0; i < DDRAID_SB_BYTES; i++) {
		buf[i] ^= 0x10;
		assert_int_not_equal(ddraid_sb_decode(buf, sizeof(buf), &out,
						      NULL), 0);
		buf[i] ^= 0x10;
	}
	assert_int_equal(ddraid_sb_decode(buf, sizeof(buf), &out, NULL), 0);
}

/* Change one field in the encoded bytes, reseal, expect a reason. */
struct mutation {
	size_t off;
	int width;		/* 4 or 8 bytes, little-endian */
	u64 value;
	int err;
	const char *why_part;
};

static void test_field_mutations(void **state)
{
	static const struct mutation muts[] = {
		{ 0x008, 4, 2, -EPROTONOSUPPORT, "version" },
		{ 0x014, 4, 1, -EPROTONOSUPPORT, "feature" },
		{ 0x00c, 4, 512, -EINVAL, "size field" },
		{ 0x088, 4, 5, -EINVAL, "member index" },
		{ 0x08c, 4, 4, -EINVAL, "member count" },
		{ 0x08c, 4, 9, -EINVAL, "k does not match" },
		{ 0x090, 4, 3, -EINVAL, "k does not match" },
		{ 0x094, 4, 8192, -EINVAL, "block size" },
		{ 0x098, 4, 2048, -EINVAL, "fragment size" },
		{ 0x09c, 4, 16, -EINVAL, "slot count" },
		{ 0x0a0, 8, 3 << 20, -EINVAL, "region size" },
		{ 0x0a0, 8, 8 << 20, -EINVAL, "region count" },
		{ 0x0a8, 8, 1, -EINVAL, "region count" },
		{ 0x0b0, 8, 4096, -EINVAL, "overlaps" },
		{ 0x0b0, 8, (1 << 20) + 512, -EINVAL, "overlaps" },
		{ 0x0b8, 8, 0, -EINVAL, "data size" },
		{ 0x0b8, 8, 12345, -EINVAL, "data size" },
		{ 0x0c0, 8, 0, -EINVAL, "bitmap offset" },
		{ 0x0c8, 8, 0, -EINVAL, "slot too small" },
		{ 0x0c8, 8, ~0xfffULL, -EINVAL, "overflow" },
		{ 0x0d0, 8, 1, -EINVAL, "member size" },
		{ 0x078, 8, 0, -EINVAL, "event counter" },
		{ 0x0d8, 8, 1, -EINVAL, "reserved" },
		{ 0x100 + 32 * 4, 4, 7, -EINVAL, "unknown member state" },
		{ 0x100 + 32 * 4 + 4, 4, 1, -EINVAL, "flags" },
		{ 0x100 + 32 * 4 + 8, 8, 3, -EINVAL, "not rebuilding" },
		{ 0x100 + 32 * 4 + 16, 8, 1, -EINVAL, "failure event" },
		{ 0x100 + 32 * 4 + 24, 4, 1, -EINVAL, "member table reserved" },
		{ 0x100 + 32 * 5, 4, 1, -EINVAL, "past the member count" },
		{ 0x100 + 32 * 5 + 16, 8, 1, -EINVAL, "past the member count" },
		{ 0x300 + 4 * 32, 4, 1, -EINVAL, "reserved" },
		{ 0xff8, 4, 1, -EINVAL, "reserved" },
	};
	struct ddraid_sb sb, out;
	u8 good[DDRAID_SB_BYTES], buf[DDRAID_SB_BYTES];
	size_t i;

	make_sb(&sb, 5, 1ull << 30);
	assert_int_equal(ddraid_sb_encode(&sb, good, NULL), 0);
	for (i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		const char *why = NULL;

		memcpy(buf, good, sizeof(buf));
		if (muts[i].width == 4)
			ddr_put_le32((u32)muts[i].value, buf + muts[i].off);
		else
			ddr_put_le64(muts[i].value, buf + muts[i].off);
		reseal(buf);
		memset(&out, 0x5a, sizeof(out));
		assert_int_equal(ddraid_sb_decode(buf, sizeof(buf), &out, &why),
				 muts[i].err);
		assert_non_null(why);
		if (!strstr(why, muts[i].why_part))
			fail_msg("mutation at 0x%zx: reason \"%s\" lacks \"%s\"",
				 muts[i].off, why, muts[i].why_part);
		/* Nothing is written to the caller's struct on failure. */
		assert_int_equal(((u8 *)&out)[0], 0x5a);
	}
}

static void test_magic_crc_truncation(void **state)
{
	struct ddraid_sb sb, out;
	u8 buf[DDRAID_SB_BYTES];
	const char *why;

	make_sb(&sb, 3, 64 << 20);
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), 0);
	assert_int_equal(ddraid_sb_decode(buf, 4095, &out, &why), -EINVAL);
	assert_non_null(strstr(why, "truncated"));
	buf[0x40] ^= 1;
	assert_int_equal(ddraid_sb_decode(buf, sizeof(buf), &out, &why),
			 -EBADMSG);
	assert_non_null(strstr(why, "checksum"));
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ddraid_sb_decode(buf, sizeof(buf), &out, &why),
			 -ENODATA);
}

static void test_names(void **state)
{
	struct ddraid_sb sb;
	u8 buf[DDRAID_SB_BYTES];
	const char *why;

	make_sb(&sb, 2, 64 << 20);
	strcpy(sb.name, "ok.name_1+-");
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), 0);
	strcpy(sb.name, "bad/name");
	assert_int_equal(ddraid_sb_encode(&sb, buf, &why), -EINVAL);
	assert_non_null(strstr(why, "name"));
	strcpy(sb.name, "sp ace");
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), -EINVAL);
	memset(sb.name, 'a', sizeof(sb.name));	/* no terminator */
	assert_int_equal(ddraid_sb_validate(&sb, &why), -EINVAL);

	/* Garbage after the terminator in the encoded name is refused. */
	strcpy(sb.name, "v");
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), 0);
	buf[0x028 + 5] = 'x';
	reseal(buf);
	assert_int_equal(ddraid_sb_decode(buf, sizeof(buf), &sb, &why), -EINVAL);
}

static void test_duplicate_slot_owner(void **state)
{
	struct ddraid_sb sb;
	u8 buf[DDRAID_SB_BYTES];

	make_sb(&sb, 5, 64 << 20);
	sb.slot_nodeid[0] = 7;
	sb.slot_nodeid[9] = 7;
	assert_int_equal(ddraid_sb_encode(&sb, buf, NULL), -EINVAL);
}

static void test_pick(void **state)
{
	struct ddraid_sb c[2];
	bool v[2] = { true, true };

	memset(c, 0, sizeof(c));
	c[0].events = 5;
	c[1].events = 5;
	c[0].update_seq = 9;
	c[1].update_seq = 10;
	assert_int_equal(ddraid_sb_pick(c, v), 1);
	c[0].events = 6;
	assert_int_equal(ddraid_sb_pick(c, v), 0);
	v[0] = false;
	assert_int_equal(ddraid_sb_pick(c, v), 1);
	v[1] = false;
	assert_int_equal(ddraid_sb_pick(c, v), -1);
	v[0] = true;
	assert_int_equal(ddraid_sb_pick(c, v), 0);
}

static void test_same_volume_and_regions(void **state)
{
	struct ddraid_sb a, b;
	struct ddraid_geom g;

	make_sb(&a, 5, 1ull << 30);
	b = a;
	b.member_index = 0;
	b.events = 99;
	assert_true(ddraid_sb_same_volume(&a, &b));
	b.uuid[3] ^= 1;
	assert_false(ddraid_sb_same_volume(&a, &b));
	assert_int_equal(ddraid_sb_geom(&a, &g), 0);
	assert_int_equal(g.blocks * 4096, a.data_size);
	assert_int_equal(ddraid_region_of_block(&a, 0), 0);
	assert_int_equal(ddraid_region_of_block(&a, 1023), 0);
	assert_int_equal(ddraid_region_of_block(&a, 1024), 1);
	assert_int_equal(ddraid_region_first_block(&a, 3), 3072);
	assert_int_equal(ddraid_bitmap_slot_offset(&a, 2),
			 65536 + 2 * a.bitmap_slot_bytes);
}

static void test_bits(void **state)
{
	u8 map[4] = { 0 };

	ddraid_bit_set(map, 0);
	ddraid_bit_set(map, 9);
	ddraid_bit_set(map, 31);
	assert_int_equal(map[0], 0x01);
	assert_int_equal(map[1], 0x02);
	assert_int_equal(map[3], 0x80);
	assert_true(ddraid_bit_test(map, 9));
	ddraid_bit_clear(map, 9);
	assert_false(ddraid_bit_test(map, 9));
	assert_int_equal(map[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_new),
		cmocka_unit_test(test_round_trip_and_offsets),
		cmocka_unit_test(test_every_byte_is_covered),
		cmocka_unit_test(test_field_mutations),
		cmocka_unit_test(test_magic_crc_truncation),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_duplicate_slot_owner),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_same_volume_and_regions),
		cmocka_unit_test(test_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
