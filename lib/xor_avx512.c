// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parity with AVX-512F: 64-byte vectors, 256 bytes a step. The algorithm is
 * lib/xor_simd_body.h.
 */
#include "ddraid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "xor_impl.h"

#define XOR_FN		ddraid_xor_avx512
#define XOR_TARGET	"avx512f"
#define XOR_VTYPE	__m512i
#define VEC		64
#define XOR_LOADU(p)	_mm512_loadu_si512((const void *)(p))
#define XOR_STORE(p, v)	_mm512_store_si512((void *)(p), v)
#define XOR_STREAM(p, v) _mm512_stream_si512((void *)(p), v)
#define XOR_XOR(a, b)	_mm512_xor_si512(a, b)

#include "xor_simd_body.h"

#endif /* x86 */
