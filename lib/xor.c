// SPDX-License-Identifier: GPL-2.0-only
/*
 * Choosing the XOR implementation ddraid_xor() runs.
 *
 * The choice is made once per process (pthread_once), from what the CPU
 * reports and what the OS has enabled: a CPU flag alone is not enough, the
 * kernel must also save the wider register state on context switches
 * (XCR0), or the first AVX instruction faults. DDRAID_XOR=name in the
 * environment forces one implementation so that tests and the benchmark
 * can compare them; an unusable or unknown name is refused on stderr and
 * the best usable one is taken instead.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddraid.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define DDRAID_XOR_X86 1
#endif

#ifdef DDRAID_XOR_X86
#include "xor_impl.h"

/* XCR0 bits: which register state the OS saves (and so lets us use). */
#define XCR0_SSE	(1u << 1)
#define XCR0_YMM	(1u << 2)
#define XCR0_OPMASK	(1u << 5)
#define XCR0_ZMM_HI256	(1u << 6)
#define XCR0_HI16_ZMM	(1u << 7)

/* XCR0, or 0 when the OS has not enabled XSAVE (then XGETBV would fault). */
static unsigned int os_xcr0(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0;
	/* XGETBV with ecx = 0; spelled as bytes for old assemblers. */
	__asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(a), "=d"(d) : "c"(0));
	return a;
}

static bool avx2_usable(void)
{
	unsigned int need = XCR0_SSE | XCR0_YMM;

	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && (os_xcr0() & need) == need;
}

static bool avx512_usable(void)
{
	unsigned int need = XCR0_SSE | XCR0_YMM | XCR0_OPMASK |
			    XCR0_ZMM_HI256 | XCR0_HI16_ZMM;

	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && (os_xcr0() & need) == need;
}
#endif /* DDRAID_XOR_X86 */

static bool portable_usable(void)
{
	return true;
}

const struct ddraid_xor_impl ddraid_xor_impls[] = {
#ifdef DDRAID_XOR_X86
	{ "avx512", ddraid_xor_avx512, avx512_usable },
	{ "avx2", ddraid_xor_avx2, avx2_usable },
#endif
	{ "portable", ddraid_xor_portable, portable_usable },
	{ NULL, NULL, NULL },
};

static const struct ddraid_xor_impl *xor_sel;
static pthread_once_t xor_once = PTHREAD_ONCE_INIT;

static const struct ddraid_xor_impl *best_usable(void)
{
	const struct ddraid_xor_impl *i;

	for (i = ddraid_xor_impls; i->name; i++)
		if (i->usable())
			return i;
	/* Not reached: the portable one is always usable. */
	return &ddraid_xor_impls[0];
}

static void xor_select(void)
{
	const struct ddraid_xor_impl *best = best_usable(), *i;
	const char *want = getenv("DDRAID_XOR");

	xor_sel = best;
	if (!want || !*want)
		return;
	for (i = ddraid_xor_impls; i->name; i++)
		if (!strcmp(i->name, want))
			break;
	if (!i->name)
		fprintf(stderr,
			"ddraid: DDRAID_XOR=%s is not an XOR implementation; using %s\n",
			want, best->name);
	else if (!i->usable())
		fprintf(stderr,
			"ddraid: DDRAID_XOR=%s cannot run on this CPU/OS; using %s\n",
			want, best->name);
	else
		xor_sel = i;
}

void ddraid_xor(void *dst, const void *const *srcs, unsigned int nsrc,
		size_t len)
{
	pthread_once(&xor_once, xor_select);
	xor_sel->fn(dst, srcs, nsrc, len);
}

const char *ddraid_xor_selected(void)
{
	pthread_once(&xor_once, xor_select);
	return xor_sel->name;
}
