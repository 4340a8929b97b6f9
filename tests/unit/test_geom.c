// SPDX-License-Identifier: GPL-2.0-only
/*
 * Geometry and parity layout: checked against a byte-by-byte model of the
 * RAID 3.5 rule in the design brief, not against the code's own formulas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ddraid_geom.h"
#include "ddraid_parity.h"

static const u32 valid_members[] = { 2, 3, 5, 9 };

static void test_member_counts(void **state)
{
	u32 n;

	for (n = 0; n < 20; n++) {
		int k = ddraid_members_to_k(n);

		if (n == 2 || n == 3 || n == 5 || n == 9)
			assert_int_equal(1u << k, n - 1);
		else
			assert_int_equal(k, -1);
	}
}

static void test_init(void **state)
{
	struct ddraid_geom g;
	size_t i;

	for (i = 0; i < 4; i++) {
		u32 n = valid_members[i];

		assert_int_equal(ddraid_geom_init(&g, n, 1 << 20, 100), 0);
		assert_int_equal(g.members, n);
		assert_int_equal(g.data_members, n - 1);
		assert_int_equal(g.parity_member, n - 1);
		assert_int_equal(g.frag_size * g.data_members, 4096);
		assert_int_equal(1u << g.frag_shift, g.frag_size);
		/* Block b's fragment is at data_offset + b*F on every member. */
		assert_int_equal(ddraid_member_offset(&g, 7),
				 (1 << 20) + 7 * (u64)g.frag_size);
	}
	assert_int_equal(ddraid_geom_init(&g, 4, 0, 1), -EINVAL);
	assert_int_equal(ddraid_geom_init(&g, 5, 512, 1), -EINVAL);
	assert_int_equal(ddraid_geom_init(&g, 9, 0, ~0ULL), -EINVAL);
}

static void test_capacity(void **state)
{
	/* 5 members of 1 MiB + 64 KiB with 1 MiB reserved: 64 KiB each. */
	assert_int_equal(ddraid_geom_capacity_blocks(5, 1 << 20,
						     (1 << 20) + (64 << 10)),
			 64);
	assert_int_equal(ddraid_geom_capacity_blocks(2, 1 << 20,
						     (1 << 20) + 8191), 1);
	assert_int_equal(ddraid_geom_capacity_blocks(5, 1 << 20, 1 << 20), 0);
	assert_int_equal(ddraid_geom_capacity_blocks(4, 0, 1 << 20), 0);
}

static void test_member_lbs(void **state)
{
	struct ddraid_geom g;

	assert_int_equal(ddraid_geom_init(&g, 9, 1 << 20, 10), 0);
	assert_true(ddraid_geom_member_lbs_ok(&g, 512));
	assert_false(ddraid_geom_member_lbs_ok(&g, 4096));	/* F = 512 */
	assert_false(ddraid_geom_member_lbs_ok(&g, 0));
	assert_false(ddraid_geom_member_lbs_ok(&g, 768));
	assert_int_equal(ddraid_geom_init(&g, 2, 1 << 20, 10), 0);
	assert_true(ddraid_geom_member_lbs_ok(&g, 4096));
}

/* Byte i of volume block b lives on member i / F at offset b*F + i % F. */
static void test_split_join_parity_model(void **state)
{
	size_t t;

	for (t = 0; t < 4; t++) {
		struct ddraid_geom g;
		u32 n = valid_members[t], m;
		const u64 nblocks = 5;
		u8 *vol = malloc(nblocks * 4096), *back = malloc(nblocks * 4096);
		u8 *bufs[DDRAID_MAX_MEMBERS];
		u64 b, i;

		assert_int_equal(ddraid_geom_init(&g, n, 0, nblocks), 0);
		for (i = 0; i < nblocks * 4096; i++)
			vol[i] = (u8)(i * 131 + (i >> 9));
		for (m = 0; m < n; m++)
			bufs[m] = calloc(1, nblocks * g.frag_size);
		ddraid_split_blocks(&g, vol, nblocks, (void *const *)bufs);
		ddraid_parity_members(&g, ddraid_xor_portable,
				      (const void *const *)bufs, nblocks,
				      bufs[g.parity_member]);
		for (b = 0; b < nblocks; b++) {
			for (i = 0; i < 4096; i++)
				assert_int_equal(bufs[i / g.frag_size]
						 [b * g.frag_size + i % g.frag_size],
						 vol[b * 4096 + i]);
			for (i = 0; i < g.frag_size; i++) {
				u8 x = 0;

				for (m = 0; m < g.data_members; m++)
					x ^= vol[b * 4096 + m * g.frag_size + i];
				assert_int_equal(bufs[g.parity_member]
						 [b * g.frag_size + i], x);
			}
		}
		ddraid_join_blocks(&g, (const void *const *)bufs, nblocks, back);
		assert_memory_equal(back, vol, nblocks * 4096);

		/* Any one member, data or parity, can be rebuilt. */
		for (m = 0; m < n; m++) {
			u8 *saved = malloc(nblocks * g.frag_size);

			memcpy(saved, bufs[m], nblocks * g.frag_size);
			memset(bufs[m], 0xa5, nblocks * g.frag_size);
			ddraid_reconstruct_member(&g, ddraid_xor_portable,
						  (void *const *)bufs, m,
						  nblocks);
			assert_memory_equal(bufs[m], saved,
					    nblocks * g.frag_size);
			free(saved);
		}
		for (m = 0; m < n; m++)
			free(bufs[m]);
		free(vol);
		free(back);
	}
}

static void test_xor_portable_unaligned(void **state)
{
	u8 a[100], b[100], c[100], d[100];
	const void *srcs[3];
	int i, off;

	for (off = 0; off < 8; off++) {
		for (i = 0; i < 100; i++) {
			a[i] = (u8)i;
			b[i] = (u8)(i * 3);
			c[i] = (u8)(i * 7 + 1);
		}
		srcs[0] = a + off;
		srcs[1] = b + off;
		srcs[2] = c + off;
		ddraid_xor_portable(d, srcs, 3, (size_t)(100 - off));
		for (i = 0; i < 100 - off; i++)
			assert_int_equal(d[i], a[i + off] ^ b[i + off] ^ c[i + off]);
		/* dst aliasing the first source */
		ddraid_xor_portable(a + off, srcs, 3, (size_t)(100 - off));
		assert_memory_equal(a + off, d, (size_t)(100 - off));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_counts),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_member_lbs),
		cmocka_unit_test(test_split_join_parity_model),
		cmocka_unit_test(test_xor_portable_unaligned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
