// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace CRC-32C. The kernel build uses lib/crc32c instead (see
 * ddraid_crc32c.h), so this file is compiled only into userspace.
 *
 * Hand-rolled on purpose: Debian 12 ships no small, maintained C library for
 * CRC-32C, and superblocks and messages are a few KiB, so a table-driven
 * byte loop is far from any hot path. The table is built once at first use.
 */
#ifndef __KERNEL__
#include "ddraid_crc32c.h"

#define CRC32C_POLY_REFLECTED 0x82f63b78u

static u32 crc32c_table[256];
static bool crc32c_table_ready;

static void crc32c_init_table(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
		crc32c_table[i] = c;
	}
	/* Racing first callers compute identical tables: harmless. */
	__atomic_store_n(&crc32c_table_ready, true, __ATOMIC_RELEASE);
}

u32 ddraid_crc32c(const void *buf, size_t len)
{
	const u8 *p = buf;
	u32 c = ~0u;

	if (!__atomic_load_n(&crc32c_table_ready, __ATOMIC_ACQUIRE))
		crc32c_init_table();
	while (len--)
		c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}
#endif
