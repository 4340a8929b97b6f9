/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CRC-32C (Castagnoli), the checksum of every on-disk and wire structure.
 * The value stored is the standard one (as iSCSI and ext4 compute it:
 * initial ~0, final inversion; "123456789" gives 0xe3069283).
 */
#ifndef DDRAID_CRC32C_H
#define DDRAID_CRC32C_H

#include "ddraid_compat.h"

#ifdef __KERNEL__
#include <linux/crc32c.h>
static inline u32 ddraid_crc32c(const void *buf, size_t len)
{
	return ~crc32c(~0u, buf, len);
}
#else
u32 ddraid_crc32c(const void *buf, size_t len);
#endif

#endif /* DDRAID_CRC32C_H */
