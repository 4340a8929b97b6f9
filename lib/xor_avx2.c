// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parity with AVX2: 32-byte vectors, 128 bytes a step. The algorithm is
 * lib/xor_simd_body.h.
 */
#include "ddraid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "xor_impl.h"

#define XOR_FN		ddraid_xor_avx2
#define XOR_TARGET	"avx2"
#define XOR_VTYPE	__m256i
#define VEC		32
#define XOR_LOADU(p)	_mm256_loadu_si256((const __m256i *)(p))
#define XOR_STORE(p, v)	_mm256_store_si256((__m256i *)(p), v)
#define XOR_STREAM(p, v) _mm256_stream_si256((__m256i *)(p), v)
#define XOR_XOR(a, b)	_mm256_xor_si256(a, b)

#include "xor_simd_body.h"

#endif /* x86 */
