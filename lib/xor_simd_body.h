/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The body of every SIMD parity XOR (lib/xor_avx2.c, lib/xor_avx512.c),
 * written once and included by each with its vector width and intrinsics,
 * as the kernel's raid6 code generates its variants. One pass over every
 * source: for each step of UNROLL vectors, every source is loaded once,
 * XORed in registers and the result stored once, so the memory traffic is
 * the sources read plus the destination written, which is what makes
 * parity as cheap as a copy of the same data.
 *
 * The includer defines, before including this file:
 *   XOR_FN      the function's name (declared in xor_impl.h)
 *   XOR_TARGET  the target attribute string ("avx2", "avx512f")
 *   XOR_VTYPE   the vector type; VEC its width in bytes
 *   XOR_LOADU(p), XOR_STORE(p, v), XOR_STREAM(p, v), XOR_XOR(a, b)
 * and includes <immintrin.h>, "ddraid.h" and "xor_impl.h".
 *
 * Built with per-function target attributes rather than per-file flags, so
 * the rest of the library stays baseline x86-64; xor.c calls these only
 * after checking that the CPU and the OS support them.
 */
#include <stdint.h>

#define UNROLL		4
#define STEP		(VEC * UNROLL)
/*
 * From this length on, when dst is not also a source, the result is stored
 * with non-temporal stores: they skip reading the destination lines into
 * the cache before overwriting them (a third of the traffic for two
 * sources) and do not evict the sources. Below it the destination most
 * likely stays in cache and is read soon, so ordinary stores win.
 */
#ifndef XOR_NT_MIN
#define XOR_NT_MIN	(512 * 1024)
#endif

#define XOR_INLINE static inline \
	__attribute__((always_inline, target(XOR_TARGET)))

XOR_INLINE XOR_VTYPE ld(const u8 *p)
{
	return XOR_LOADU(p);
}

XOR_INLINE void st(u8 *p, XOR_VTYPE v, bool nt)
{
	if (nt)
		XOR_STREAM(p, v);
	else
		XOR_STORE(p, v);
}

/*
 * The whole vectors of @len; @d is VEC-aligned. Inlined with constant @n
 * and @nt so that the loop over sources unrolls and the pointers live in
 * registers. Returns how many bytes were done.
 */
XOR_INLINE size_t xor_body(u8 *d, const u8 *const *s, unsigned int n,
			   size_t len, bool nt)
{
	size_t i = 0;
	unsigned int k;

	for (; i + STEP <= len; i += STEP) {
		XOR_VTYPE a0 = ld(s[0] + i), a1 = ld(s[0] + i + VEC);
		XOR_VTYPE a2 = ld(s[0] + i + 2 * VEC);
		XOR_VTYPE a3 = ld(s[0] + i + 3 * VEC);

		/* Fully unrolled for constant n: pointers stay in registers. */
#pragma GCC unroll 8
		for (k = 1; k < n; k++) {
			const u8 *p = s[k] + i;

			a0 = XOR_XOR(a0, ld(p));
			a1 = XOR_XOR(a1, ld(p + VEC));
			a2 = XOR_XOR(a2, ld(p + 2 * VEC));
			a3 = XOR_XOR(a3, ld(p + 3 * VEC));
		}
		st(d + i, a0, nt);
		st(d + i + VEC, a1, nt);
		st(d + i + 2 * VEC, a2, nt);
		st(d + i + 3 * VEC, a3, nt);
	}
	for (; i + VEC <= len; i += VEC) {
		XOR_VTYPE a = ld(s[0] + i);

#pragma GCC unroll 8
		for (k = 1; k < n; k++)
			a = XOR_XOR(a, ld(s[k] + i));
		st(d + i, a, nt);
	}
	return i;
}

#define BODY(n)	(nt ? xor_body(d, s, n, len, true) : \
		      xor_body(d, s, n, len, false))

__attribute__((target(XOR_TARGET)))
void XOR_FN(void *dst, const void *const *srcs, unsigned int nsrc, size_t len)
{
	const u8 *s[DDRAID_XOR_MAX_SRC];
	const void *rest[DDRAID_XOR_MAX_SRC];
	u8 *d = dst;
	size_t head, done;
	unsigned int k;
	bool nt;

	if (nsrc == 1) {
		/* A copy: libc's is tuned for this machine already. */
		if (dst != srcs[0])
			memmove(dst, srcs[0], len);
		return;
	}
	if (nsrc == 0 || nsrc > DDRAID_XOR_MAX_SRC) {
		/* Outside the contract: leave it to the reference. */
		ddraid_xor_portable(dst, srcs, nsrc, len);
		return;
	}
	/* Align the destination; the loads stay unaligned. */
	head = -(uintptr_t)d & (VEC - 1);
	if (head > len)
		head = len;
	if (head)
		ddraid_xor_portable(d, srcs, nsrc, head);
	for (k = 0; k < nsrc; k++)
		s[k] = (const u8 *)srcs[k] + head;
	d += head;
	len -= head;

	nt = len >= XOR_NT_MIN && dst != srcs[0];
	switch (nsrc) {
	case 2:
		done = BODY(2);
		break;
	case 3:
		done = BODY(3);
		break;
	case 4:
		done = BODY(4);
		break;
	case 5:
		done = BODY(5);
		break;
	case 6:
		done = BODY(6);
		break;
	case 7:
		done = BODY(7);
		break;
	case 8:
		done = BODY(8);
		break;
	default:
		done = BODY(9);
		break;
	}
	/* Non-temporal stores are weakly ordered: fence before returning. */
	if (nt)
		_mm_sfence();

	if (done < len) {
		for (k = 0; k < nsrc; k++)
			rest[k] = s[k] + done;
		ddraid_xor_portable(d + done, rest, nsrc, len - done);
	}
}
