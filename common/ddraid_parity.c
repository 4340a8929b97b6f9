// SPDX-License-Identifier: GPL-2.0-only
/*
 * Portable parity and layout moves. See ddraid_parity.h.
 */
#include "ddraid_parity.h"

/* Word-at-a-time: unaligned heads and tails fall back to bytes. */
void ddraid_xor_portable(void *dst, const void *const *srcs,
			 unsigned int nsrc, size_t len)
{
	u8 *d = dst;
	size_t i = 0;
	unsigned int s;

	if (nsrc == 1) {
		if (dst != srcs[0])
			memmove(dst, srcs[0], len);
		return;
	}
	for (; i + sizeof(u64) <= len; i += sizeof(u64)) {
		u64 acc, w;

		memcpy(&acc, (const u8 *)srcs[0] + i, sizeof(acc));
		for (s = 1; s < nsrc; s++) {
			memcpy(&w, (const u8 *)srcs[s] + i, sizeof(w));
			acc ^= w;
		}
		memcpy(d + i, &acc, sizeof(acc));
	}
	for (; i < len; i++) {
		u8 acc = ((const u8 *)srcs[0])[i];

		for (s = 1; s < nsrc; s++)
			acc ^= ((const u8 *)srcs[s])[i];
		d[i] = acc;
	}
}

void ddraid_split_blocks(const struct ddraid_geom *g, const void *vol,
			 u64 nblocks, void *const *member_bufs)
{
	const u8 *src = vol;
	u32 f = g->frag_size;
	u64 i;
	u32 d;

	for (i = 0; i < nblocks; i++)
		for (d = 0; d < g->data_members; d++, src += f)
			memcpy((u8 *)member_bufs[d] + i * f, src, f);
}

void ddraid_join_blocks(const struct ddraid_geom *g,
			const void *const *member_bufs, u64 nblocks,
			void *vol)
{
	u8 *dst = vol;
	u32 f = g->frag_size;
	u64 i;
	u32 d;

	for (i = 0; i < nblocks; i++)
		for (d = 0; d < g->data_members; d++, dst += f)
			memcpy(dst, (const u8 *)member_bufs[d] + i * f, f);
}

void ddraid_parity_members(const struct ddraid_geom *g, ddraid_xor_fn xor,
			   const void *const *data_bufs, u64 nblocks,
			   void *parity)
{
	xor(parity, data_bufs, g->data_members,
	    (size_t)ddraid_member_bytes(g, nblocks));
}

void ddraid_reconstruct_member(const struct ddraid_geom *g, ddraid_xor_fn xor,
			       void *const *bufs, u32 missing, u64 nblocks)
{
	const void *srcs[DDRAID_XOR_MAX_SRC];
	unsigned int n = 0;
	u32 m;

	for (m = 0; m < g->members; m++)
		if (m != missing)
			srcs[n++] = bufs[m];
	xor(bufs[missing], srcs, n, (size_t)ddraid_member_bytes(g, nblocks));
}
