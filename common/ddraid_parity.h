/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parity and reconstruction, plus the moves between the volume's layout
 * (whole 4096-byte blocks) and the members' layout (each member's fragments
 * of consecutive blocks, back to back).
 *
 * The XOR here is the portable reference: it is the fallback that the
 * userspace SIMD paths (lib/xor_*.c) are tested against. The kernel target
 * uses the kernel's own xor_blocks() instead.
 */
#ifndef DDRAID_PARITY_H
#define DDRAID_PARITY_H

#include "ddraid_compat.h"
#include "ddraid_geom.h"

/* The largest number of sources one XOR call takes: 2^3 data members. */
#define DDRAID_XOR_MAX_SRC	DDRAID_MAX_MEMBERS

/*
 * dst = srcs[0] ^ srcs[1] ^ ... ^ srcs[nsrc - 1] over @len bytes, in one
 * pass. 1 <= nsrc <= DDRAID_XOR_MAX_SRC (nsrc == 1 copies). dst may alias
 * srcs[0] and no other source. Any alignment and length is accepted.
 */
void ddraid_xor_portable(void *dst, const void *const *srcs,
			 unsigned int nsrc, size_t len);

/*
 * The signature shared by every XOR implementation, so callers can take the
 * fastest one through a pointer.
 */
typedef void (*ddraid_xor_fn)(void *dst, const void *const *srcs,
			      unsigned int nsrc, size_t len);

/*
 * Split @nblocks whole volume blocks at @vol into the data members' layout:
 * fragment d of block i goes to member_bufs[d] + i * F.
 */
void ddraid_split_blocks(const struct ddraid_geom *g, const void *vol,
			 u64 nblocks, void *const *member_bufs);

/* The inverse of ddraid_split_blocks(). */
void ddraid_join_blocks(const struct ddraid_geom *g,
			const void *const *member_bufs, u64 nblocks,
			void *vol);

/*
 * Parity of member-layout data: parity = XOR of the 2^k data member buffers,
 * each @nblocks * F bytes long.
 */
void ddraid_parity_members(const struct ddraid_geom *g, ddraid_xor_fn xor,
			   const void *const *data_bufs, u64 nblocks,
			   void *parity);

/*
 * Rebuild the buffer of member @missing (data or parity) from the other
 * members' buffers: bufs[] has g->members entries in member order; the entry
 * at @missing is the destination and is overwritten.
 */
void ddraid_reconstruct_member(const struct ddraid_geom *g, ddraid_xor_fn xor,
			       void *const *bufs, u32 missing, u64 nblocks);

#endif /* DDRAID_PARITY_H */
