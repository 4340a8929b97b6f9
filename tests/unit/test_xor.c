// SPDX-License-Identifier: GPL-2.0-only
/*
 * XOR implementations: the portable one against a byte loop anyone can
 * check by eye, every SIMD one against the portable one, on random data
 * from a seeded PRNG over every source count, lengths around each vector
 * and unroll boundary and the non-temporal threshold, misaligned sources
 * and destination, and the destination aliasing the first source.
 * Canaries around the destination and copies of the sources catch stray
 * writes; guard pages catch reads and writes past either end.
 * Implementations this CPU cannot run are reported as skipped.
 *
 * The dispatch test runs this program again with DDRAID_XOR set, because
 * the choice is made once per process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "ddraid.h"

#define MAX_SRC		DDRAID_XOR_MAX_SRC
#define PAD		64	/* room for offsets and canaries */
#define SEED		0x646472616964ull	/* "ddraid" */

static u64 rng_state;

/* splitmix64: small, seedable, good enough to make every byte differ. */
static u64 rng(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill(u8 *p, size_t len)
{
	size_t i;
	u64 r = 0;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			r = rng();
		p[i] = (u8)r;
		r >>= 8;
	}
}

/* The reference anyone can check: one byte at a time. */
static void xor_bytes(void *dst, const void *const *srcs, unsigned int nsrc,
		      size_t len)
{
	size_t i;
	unsigned int s;

	for (i = 0; i < len; i++) {
		u8 acc = 0;

		for (s = 0; s < nsrc; s++)
			acc ^= ((const u8 *)srcs[s])[i];
		((u8 *)dst)[i] = acc;
	}
}

static const size_t lengths[] = {
	0, 1, 2, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129,
	191, 255, 256, 257, 511, 1000, 4095, 4096, 4097, 65536 + 13,
	/* At and past the non-temporal store threshold of the SIMD code. */
	512 * 1024, 1024 * 1024 + 13,
};

enum layout {
	ALIGNED,	/* everything 64-byte aligned */
	DST_ODD,	/* sources aligned, destination at an odd offset */
	RANDOM_OFFS,	/* every buffer at its own random offset */
	ALIAS,		/* dst is srcs[0], at a random offset */
	NR_LAYOUTS,
};

static void *xalloc(size_t len)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 64, len), 0);
	return p;
}

/*
 * One call of @fn against @ref. Returns 0 when the result, the canaries
 * and the sources are as they must be.
 */
static int check_case(ddraid_xor_fn fn, ddraid_xor_fn ref, unsigned int nsrc,
		      size_t len, enum layout lay)
{
	u8 *buf[MAX_SRC], *copy[MAX_SRC], *dbuf = NULL, *dcopy = NULL;
	const void *src[MAX_SRC];
	size_t soff[MAX_SRC], doff = 0, i;
	u8 *dst, *want;
	unsigned int k;
	int bad = 0;

	for (k = 0; k < nsrc; k++) {
		buf[k] = xalloc(len + 2 * PAD);
		copy[k] = xalloc(len + 2 * PAD);
		fill(buf[k], len + 2 * PAD);
		memcpy(copy[k], buf[k], len + 2 * PAD);
		soff[k] = lay == RANDOM_OFFS || lay == ALIAS ?
			  rng() % PAD : 0;
		src[k] = buf[k] + soff[k];
	}
	want = xalloc(len + 1);
	ref(want, src, nsrc, len);

	if (lay == ALIAS) {
		dst = buf[0] + soff[0];
	} else {
		dbuf = xalloc(len + 2 * PAD);
		dcopy = xalloc(len + 2 * PAD);
		fill(dbuf, len + 2 * PAD);
		memcpy(dcopy, dbuf, len + 2 * PAD);
		doff = lay == DST_ODD ? 1 + rng() % (PAD - 1) :
		       lay == RANDOM_OFFS ? rng() % PAD : 0;
		dst = dbuf + doff;
	}

	fn(dst, src, nsrc, len);

	if (memcmp(dst, want, len)) {
		for (i = 0; dst[i] == want[i]; i++)
			;
		print_error("nsrc %u len %zu layout %d: byte %zu is %02x, want %02x\n",
			    nsrc, len, lay, i, dst[i], want[i]);
		bad = 1;
	}
	/* Nothing outside [dst, dst + len) written, no source changed. */
	if (dbuf && (memcmp(dbuf, dcopy, doff) ||
		     memcmp(dbuf + doff + len, dcopy + doff + len,
			    2 * PAD - doff))) {
		print_error("nsrc %u len %zu layout %d: wrote outside dst\n",
			    nsrc, len, lay);
		bad = 1;
	}
	for (k = 0; k < nsrc; k++) {
		if (lay == ALIAS && k == 0) {
			if (memcmp(buf[0], copy[0], soff[0]) ||
			    memcmp(buf[0] + soff[0] + len,
				   copy[0] + soff[0] + len,
				   2 * PAD - soff[0])) {
				print_error("nsrc %u len %zu: wrote outside aliased dst\n",
					    nsrc, len);
				bad = 1;
			}
		} else if (memcmp(buf[k], copy[k], len + 2 * PAD)) {
			print_error("nsrc %u len %zu layout %d: source %u changed\n",
				    nsrc, len, lay, k);
			bad = 1;
		}
	}

	for (k = 0; k < nsrc; k++) {
		free(buf[k]);
		free(copy[k]);
	}
	free(dbuf);
	free(dcopy);
	free(want);
	return bad;
}

static int check_all(ddraid_xor_fn fn, ddraid_xor_fn ref)
{
	unsigned int nsrc, li;
	int lay, bad = 0;

	rng_state = SEED;
	for (nsrc = 1; nsrc <= MAX_SRC; nsrc++)
		for (li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++)
			for (lay = 0; lay < NR_LAYOUTS; lay++)
				bad += check_case(fn, ref, nsrc, lengths[li],
						  lay);
	return bad;
}

static void test_portable_vs_bytes(void **state)
{
	assert_int_equal(check_all(ddraid_xor_portable, xor_bytes), 0);
}

/* The trivial reference must itself be right: a few known values. */
static void test_byte_reference(void **state)
{
	const u8 a[3] = { 0x0f, 0xff, 0x00 }, b[3] = { 0xf0, 0xff, 0x01 },
		 c[3] = { 0x01, 0x00, 0x80 };
	const void *s3[3] = { a, b, c };
	u8 d[3];

	xor_bytes(d, s3, 3, 3);
	assert_int_equal(d[0], 0xfe);
	assert_int_equal(d[1], 0x00);
	assert_int_equal(d[2], 0x81);
	xor_bytes(d, s3, 1, 3);
	assert_memory_equal(d, a, 3);
}

static void test_impl_matches_portable(void **state)
{
	const struct ddraid_xor_impl *impl = *state;

	if (!impl->usable()) {
		print_message("# %s cannot run on this CPU/OS\n", impl->name);
		skip();
	}
	assert_int_equal(check_all(impl->fn, ddraid_xor_portable), 0);
}

/*
 * A buffer of @len bytes that touches a PROT_NONE page on one side: at the
 * end of its pages when @at_end, at the start otherwise. Any access past
 * that side faults, which cmocka reports as a failure.
 */
struct guarded {
	u8 *map;
	size_t maplen;
	u8 *p;
};

static void guarded_alloc(struct guarded *g, size_t len, bool at_end)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (len + pg - 1) / pg * pg;

	if (!data)
		data = pg;
	g->maplen = data + 2 * pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map, pg, PROT_NONE), 0);
	assert_int_equal(mprotect(g->map + pg + data, pg, PROT_NONE), 0);
	g->p = at_end ? g->map + pg + data - len : g->map + pg;
	fill(g->p, len);
}

static void guarded_free(struct guarded *g)
{
	munmap(g->map, g->maplen);
}

static void test_impl_in_bounds(void **state)
{
	const struct ddraid_xor_impl *impl = *state;
	static const size_t glen[] = { 1, 3, 31, 33, 63, 65, 100, 191, 255,
				       257, 4096 - 5, 4096 + 77,
				       512 * 1024 + 3 };
	struct guarded gs[MAX_SRC], gd;
	const void *src[MAX_SRC];
	unsigned int nsrc, k, li, side;
	u8 *want;

	if (!impl->usable()) {
		print_message("# %s cannot run on this CPU/OS\n", impl->name);
		skip();
	}
	rng_state = SEED + 1;
	for (nsrc = 1; nsrc <= MAX_SRC; nsrc++)
		for (li = 0; li < sizeof(glen) / sizeof(glen[0]); li++)
			for (side = 0; side < 2; side++) {
				size_t len = glen[li];

				for (k = 0; k < nsrc; k++) {
					guarded_alloc(&gs[k], len, side);
					src[k] = gs[k].p;
				}
				guarded_alloc(&gd, len, !side);
				want = xalloc(len);
				xor_bytes(want, src, nsrc, len);
				impl->fn(gd.p, src, nsrc, len);
				assert_memory_equal(gd.p, want, len);
				/* And in place, into the first source. */
				impl->fn(gs[0].p, src, nsrc, len);
				assert_memory_equal(gs[0].p, want, len);
				free(want);
				guarded_free(&gd);
				for (k = 0; k < nsrc; k++)
					guarded_free(&gs[k]);
			}
}

/* ---- dispatch ---- */

static const struct ddraid_xor_impl *impl_by_name(const char *name)
{
	const struct ddraid_xor_impl *i;

	for (i = ddraid_xor_impls; i->name; i++)
		if (!strcmp(i->name, name))
			return i;
	return NULL;
}

static const struct ddraid_xor_impl *best_usable(void)
{
	const struct ddraid_xor_impl *i;

	for (i = ddraid_xor_impls; i->name; i++)
		if (i->usable())
			return i;
	return NULL;
}

/* In this process: the selection is a usable one and ddraid_xor is right. */
static void test_selected_in_process(void **state)
{
	const struct ddraid_xor_impl *sel = impl_by_name(ddraid_xor_selected());
	unsigned int nsrc;

	assert_non_null(sel);
	assert_true(sel->usable());
	assert_int_equal(ddraid_xor_impls[0].name == NULL, 0);
	assert_non_null(impl_by_name("portable"));
	if (!getenv("DDRAID_XOR"))
		assert_ptr_equal(sel, best_usable());
	rng_state = SEED + 2;
	for (nsrc = 1; nsrc <= MAX_SRC; nsrc++) {
		assert_int_equal(check_case(ddraid_xor, ddraid_xor_portable,
					    nsrc, 4096 * 3 + 5, RANDOM_OFFS),
				 0);
		assert_int_equal(check_case(ddraid_xor, ddraid_xor_portable,
					    nsrc, 700 * 1024 + 1, ALIGNED),
				 0);
	}
}

/* What the child (this program, re-run) does: report and check. */
static int dispatch_child(void)
{
	const char *name = ddraid_xor_selected();
	unsigned int nsrc;
	int bad = 0;

	printf("selected %s\n", name);
	rng_state = SEED + 3;
	for (nsrc = 1; nsrc <= MAX_SRC; nsrc++)
		bad += check_case(ddraid_xor, ddraid_xor_portable, nsrc,
				  65536 + 13, RANDOM_OFFS);
	printf("xor %s\n", bad ? "bad" : "ok");
	return bad ? 1 : 0;
}

/* Re-run this program with DDRAID_XOR=@value (unset if NULL). */
static void run_child(const char *value, char *out, size_t outlen)
{
	size_t got = 0;
	int fd[2], st;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		if (value)
			setenv("DDRAID_XOR", value, 1);
		else
			unsetenv("DDRAID_XOR");
		execl("/proc/self/exe", "test_xor", "--dispatch-child",
		      (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (got + 1 < outlen &&
	       (r = read(fd[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = 0;
	close(fd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		print_error("child with DDRAID_XOR=%s: status %d, said:\n%s\n",
			    value ? value : "(unset)", st, out);
		fail();
	}
	assert_non_null(strstr(out, "xor ok\n"));
}

/* The child's "selected NAME" line must be @name. */
static void assert_selected(const char *out, const char *name)
{
	char want[64];

	snprintf(want, sizeof(want), "selected %s\n", name);
	if (!strstr(out, want)) {
		print_error("wanted \"%s\" in:\n%s\n", name, out);
		fail();
	}
}

static void test_dispatch_env(void **state)
{
	const struct ddraid_xor_impl *best = best_usable(), *i;
	char out[4096];

	assert_non_null(best);

	run_child(NULL, out, sizeof(out));
	assert_selected(out, best->name);
	assert_null(strstr(out, "ddraid:"));

	run_child("", out, sizeof(out));
	assert_selected(out, best->name);

	for (i = ddraid_xor_impls; i->name; i++) {
		run_child(i->name, out, sizeof(out));
		if (i->usable()) {
			assert_selected(out, i->name);
			assert_null(strstr(out, "ddraid:"));
		} else {
			/* Refused with a message, the best one instead. */
			assert_selected(out, best->name);
			assert_non_null(strstr(out, "cannot run"));
		}
	}

	run_child("sse9", out, sizeof(out));
	assert_selected(out, best->name);
	assert_non_null(strstr(out, "DDRAID_XOR=sse9 is not"));
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_byte_reference),
		cmocka_unit_test(test_portable_vs_bytes),
		cmocka_unit_test(test_selected_in_process),
		cmocka_unit_test(test_dispatch_env),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests;
	char (*names)[64];
	size_t nimpl = 0, n, i;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "--dispatch-child"))
		return dispatch_child();

	while (ddraid_xor_impls[nimpl].name)
		nimpl++;
	tests = calloc(nfixed + 2 * nimpl, sizeof(*tests));
	names = calloc(2 * nimpl + 1, sizeof(*names));
	if (!tests || !names)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	n = nfixed;
	for (i = 0; i < nimpl; i++) {
		const struct ddraid_xor_impl *impl = &ddraid_xor_impls[i];

		snprintf(names[2 * i], sizeof(names[0]),
			 "%s_matches_portable", impl->name);
		tests[n] = (struct CMUnitTest)
			cmocka_unit_test_prestate(test_impl_matches_portable,
						  (void *)impl);
		tests[n++].name = names[2 * i];
		snprintf(names[2 * i + 1], sizeof(names[0]),
			 "%s_in_bounds", impl->name);
		tests[n] = (struct CMUnitTest)
			cmocka_unit_test_prestate(test_impl_in_bounds,
						  (void *)impl);
		tests[n++].name = names[2 * i + 1];
	}
	ret = _cmocka_run_group_tests("xor", tests, n, NULL, NULL);
	free(tests);
	free(names);
	return ret;
}
