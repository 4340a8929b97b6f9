/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few primitives the shared core needs, taken from the kernel when it is
 * built into dm-ddraid.ko and from libc when it is built into userspace.
 * Nothing else in common/ may include a system header: this file is the
 * boundary that keeps the core compilable in both worlds.
 */
#ifndef DDRAID_COMPAT_H
#define DDRAID_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <asm/unaligned.h>
#include <linux/math64.h>
#include <linux/bitops.h>

/* u64 by u64 division: a helper call on 32-bit kernels, a plain divide on 64. */
#define ddr_div64(a, b)		div64_u64(a, b)
#define ddr_popcount32(v)	hweight32(v)
/* Index of the lowest set bit; @v must not be 0. */
#define ddr_ctz32(v)		__ffs(v)

#define ddr_get_le16(p)		get_unaligned_le16(p)
#define ddr_get_le32(p)		get_unaligned_le32(p)
#define ddr_get_le64(p)		get_unaligned_le64(p)
#define ddr_put_le16(v, p)	put_unaligned_le16(v, p)
#define ddr_put_le32(v, p)	put_unaligned_le32(v, p)
#define ddr_put_le64(v, p)	put_unaligned_le64(v, p)

#else /* userspace */

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define ddr_div64(a, b)		((u64)(a) / (u64)(b))
#define ddr_popcount32(v)	((unsigned int)__builtin_popcount(v))
#define ddr_ctz32(v)		((unsigned int)__builtin_ctz(v))

/*
 * Byte-wise little-endian accessors: correct on any host endianness and on
 * any alignment, which is what an on-disk or wire parser must assume.
 */
static inline u16 ddr_get_le16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] | b[1] << 8);
}

static inline u32 ddr_get_le32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24;
}

static inline u64 ddr_get_le64(const void *p)
{
	const u8 *b = p;

	return (u64)ddr_get_le32(b) | (u64)ddr_get_le32(b + 4) << 32;
}

static inline void ddr_put_le16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
}

static inline void ddr_put_le32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = (u8)v;
	b[1] = (u8)(v >> 8);
	b[2] = (u8)(v >> 16);
	b[3] = (u8)(v >> 24);
}

static inline void ddr_put_le64(u64 v, void *p)
{
	ddr_put_le32((u32)v, p);
	ddr_put_le32((u32)(v >> 32), (u8 *)p + 4);
}

#endif /* __KERNEL__ */

#endif /* DDRAID_COMPAT_H */
