/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SIMD XOR implementations behind ddraid_xor() (lib/xor.c). Each has
 * the contract of ddraid_xor_fn (common/ddraid_parity.h) and may only be
 * called where its ddraid_xor_impls[] entry says it is usable.
 */
#ifndef DDRAID_XOR_IMPL_H
#define DDRAID_XOR_IMPL_H

#include <stddef.h>

void ddraid_xor_avx2(void *dst, const void *const *srcs, unsigned int nsrc,
		     size_t len);
void ddraid_xor_avx512(void *dst, const void *const *srcs, unsigned int nsrc,
		       size_t len);

#endif /* DDRAID_XOR_IMPL_H */
