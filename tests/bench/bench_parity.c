// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parity throughput against memcpy, for 1, 2, 4 and 8 data fragments (2, 3,
 * 5 and 9 members) and every XOR implementation this CPU runs.
 *
 * Throughput is GB/s (1e9 bytes/s) of source data consumed. memcpy moves
 * the same source buffers to a destination of the same total size, so it
 * reads what parity reads and writes nsrc times what parity writes: the
 * ratio says what parity costs compared with merely moving the data once.
 *
 * Hot: sources and destination fit in about 64 KiB and are reused, so the
 * loop runs from L1/L2. Cold: every call takes the next buffers from a pool
 * several times the last-level cache, so everything comes from DRAM.
 * Each number is the median of several timed runs after a warm-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ddraid.h"
#include "bench.h"

#define HOT_SET		(64 * 1024)
#define COLD_LEN	(1024 * 1024)	/* per source and call */
#define COLD_POOL_MIN	(512ul << 20)
#define QUICK_COLD_LEN	(256 * 1024)
#define QUICK_POOL	(32ul << 20)
#define RUNS		5
#define QUICK_RUNS	3
#define TARGET_COLD	0.8	/* the goal: cold parity / memcpy */

static const unsigned int nsrcs[] = { 1, 2, 4, 8 };
#define NR_NSRC		(sizeof(nsrcs) / sizeof(nsrcs[0]))

struct meas {
	ddraid_xor_fn xor;	/* NULL: memcpy */
	unsigned int nsrc;
	size_t len;		/* bytes per source and call */
	u8 *base;		/* hot: the buffers; cold: the pool */
	size_t size;		/* of the pool */
	size_t cur;		/* cold: where the next call's buffers start */
	bool cold;
};

/* One call: sources back to back, then the destination. */
static void one_op(struct meas *m)
{
	size_t slot = (m->xor ? m->nsrc + 1 : 2 * m->nsrc) * m->len;
	const void *src[DDRAID_XOR_MAX_SRC];
	unsigned int k;
	u8 *b = m->base;

	if (m->cold) {
		if (m->cur + slot > m->size)
			m->cur = 0;
		b += m->cur;
		m->cur += slot;
	}
	for (k = 0; k < m->nsrc; k++)
		src[k] = b + k * m->len;
	b += m->nsrc * m->len;
	if (m->xor)
		m->xor(b, src, m->nsrc, m->len);
	else
		for (k = 0; k < m->nsrc; k++)
			memcpy(b + k * m->len, src[k], m->len);
	/* The results are never read: keep the compiler from noticing. */
	__asm__ volatile("" : : "r"(b) : "memory");
}

/*
 * This thread's CPU time. Timing by it rather than by the wall clock keeps
 * the numbers meaningful on a shared machine: time the benchmark spends
 * descheduled does not count against it (contention for memory does).
 */
static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
 * GB/s of source data per CPU second over about @secs seconds of CPU time.
 * *@share receives the fraction of the wall time this thread ran.
 */
static double run_once(struct meas *m, double secs, double *share)
{
	/* Batches of ~0.1 ms or more: the clock read is a system call. */
	unsigned int batch = m->cold ? 1 : 256, i;
	double t0 = cpu_now(), w0 = bench_now(), t;
	u64 ops = 0;

	do {
		for (i = 0; i < batch; i++)
			one_op(m);
		ops += batch;
		t = cpu_now();
	} while (t - t0 < secs);
	*share = (t - t0) / (bench_now() - w0);
	return (double)ops * m->nsrc * m->len / (t - t0) / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median of @runs runs; every run goes into @arr, the least share of the
 * wall time the thread got into *@share.
 */
static double measure(struct meas *m, double secs, unsigned int runs,
		      json_object *arr, double *share)
{
	double v[RUNS], s[RUNS], sh;
	unsigned int r;

	run_once(m, secs / 2, &sh);	/* warm-up: caches, page tables */
	*share = 1;
	for (r = 0; r < runs; r++) {
		v[r] = run_once(m, secs, &sh);
		if (sh < *share)
			*share = sh;
		json_object_array_add(arr, json_object_new_double(v[r]));
	}
	memcpy(s, v, sizeof(v[0]) * runs);
	qsort(s, runs, sizeof(s[0]), cmp_double);
	return runs & 1 ? s[runs / 2] : (s[runs / 2 - 1] + s[runs / 2]) / 2;
}

/*
 * { "gbps": median, "runs": [...], "len": bytes per source,
 *   "min_cpu_share": least fraction of wall time the thread ran }
 */
static json_object *point(struct meas *m, double secs, unsigned int runs,
			  double *gbps)
{
	json_object *o = json_object_new_object(), *arr;
	double share;

	arr = json_object_new_array();
	*gbps = measure(m, secs, runs, arr, &share);
	json_object_object_add(o, "min_cpu_share",
			       json_object_new_double(share));
	json_object_object_add(o, "gbps", json_object_new_double(*gbps));
	json_object_object_add(o, "runs", arr);
	json_object_object_add(o, "len", json_object_new_int64((int64_t)m->len));
	return o;
}

static void *map_filled(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Real pages with data: untouched ones all read the zero page. */
	memset(p, 0x5a, len);
	return p;
}

int bench_parity(const struct bench_opts *o, json_object *out)
{
	const struct ddraid_xor_impl *impl;
	unsigned int runs = o->quick ? QUICK_RUNS : RUNS, ni;
	size_t cold_len = o->quick ? QUICK_COLD_LEN : COLD_LEN;
	long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
	long phys = sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	size_t pool_size, hot_size = 2 * HOT_SET;
	double secs = o->seconds / runs;
	json_object *po, *results;
	bool target_met = true;
	u8 *pool, *hot;

	/* Several times the LLC, so a buffer is evicted before its reuse. */
	pool_size = COLD_POOL_MIN;
	if (llc > 0 && (size_t)llc * 4 > pool_size)
		pool_size = ((size_t)llc * 4 + (1 << 20) - 1) & ~(size_t)((1 << 20) - 1);
	if (phys > 0 && pool_size > (size_t)phys / 4)
		pool_size = (size_t)phys / 4;
	if (o->quick)
		pool_size = QUICK_POOL;

	hot = map_filled(hot_size);
	pool = map_filled(pool_size);
	if (!hot || !pool) {
		fprintf(stderr, "bench_parity: cannot map %zu MiB for buffers\n",
			pool_size >> 20);
		if (hot)
			munmap(hot, hot_size);
		return 1;
	}

	po = json_object_new_object();
	json_object_object_add(po, "unit",
			       json_object_new_string("GB/s (1e9 bytes/s) of source data consumed per CPU second"));
	json_object_object_add(po, "selected",
			       json_object_new_string(ddraid_xor_selected()));
	json_object_object_add(po, "runs", json_object_new_int(runs));
	json_object_object_add(po, "seconds_per_run", json_object_new_double(secs));
	json_object_object_add(po, "hot_working_set_bytes",
			       json_object_new_int(HOT_SET));
	json_object_object_add(po, "cold_len_per_source",
			       json_object_new_int64((int64_t)cold_len));
	json_object_object_add(po, "cold_pool_bytes",
			       json_object_new_int64((int64_t)pool_size));
	json_object_object_add(po, "llc_bytes", json_object_new_int64(llc));
	json_object_object_add(po, "cold_pool_exceeds_2x_llc",
			       json_object_new_boolean(llc > 0 &&
						       pool_size >= 2 * (size_t)llc));
	json_object_object_add(po, "target_cold_ratio",
			       json_object_new_double(TARGET_COLD));
	results = json_object_new_array();

	printf("\nparity: GB/s of source data consumed per CPU second, median of %u runs of %.2f s\n",
	       runs, secs);
	printf("  hot: ~%d KiB working set reused; cold: %zu KiB per source, rotated through %zu MiB (LLC %ld MiB)\n",
	       HOT_SET >> 10, cold_len >> 10, pool_size >> 20,
	       llc > 0 ? llc >> 20 : -1);
	if (o->quick)
		printf("  --quick: the pool fits in the LLC, so \"cold\" is not cold here\n");
	printf("  memcpy copies the same sources to a destination as large; ratio = parity / memcpy\n");
	printf("  %4s %7s %-9s %9s %7s %9s %7s\n", "nsrc", "members", "impl",
	       "hot GB/s", "ratio", "cold GB/s", "ratio");

	for (ni = 0; ni < NR_NSRC; ni++) {
		unsigned int n = nsrcs[ni];
		size_t hot_len = (HOT_SET / (n + 1)) & ~(size_t)63;
		struct meas hm = { .nsrc = n, .len = hot_len, .base = hot };
		struct meas cm = { .nsrc = n, .len = cold_len, .base = pool,
				   .size = pool_size, .cold = true };
		json_object *row = json_object_new_object(), *mc, *impls;
		double mhot, mcold;

		json_object_object_add(row, "nsrc", json_object_new_int(n));
		json_object_object_add(row, "members",
				       json_object_new_int(n + 1));
		mc = json_object_new_object();
		json_object_object_add(mc, "hot", point(&hm, secs, runs, &mhot));
		json_object_object_add(mc, "cold", point(&cm, secs, runs, &mcold));
		json_object_object_add(row, "memcpy", mc);
		printf("  %4u %7u %-9s %9.2f %7s %9.2f %7s\n", n, n + 1,
		       "memcpy", mhot, "", mcold, "");

		impls = json_object_new_object();
		for (impl = ddraid_xor_impls; impl->name; impl++) {
			json_object *io = json_object_new_object(), *p;
			bool sel = !strcmp(impl->name, ddraid_xor_selected());
			double h, c;

			json_object_object_add(io, "usable",
					       json_object_new_boolean(impl->usable()));
			json_object_object_add(io, "selected",
					       json_object_new_boolean(sel));
			json_object_object_add(impls, impl->name, io);
			if (!impl->usable()) {
				printf("  %4u %7u %-9s %9s\n", n, n + 1,
				       impl->name, "(cannot run here)");
				continue;
			}
			hm.xor = cm.xor = impl->fn;
			p = point(&hm, secs, runs, &h);
			json_object_object_add(p, "ratio",
					       json_object_new_double(h / mhot));
			json_object_object_add(io, "hot", p);
			p = point(&cm, secs, runs, &c);
			json_object_object_add(p, "ratio",
					       json_object_new_double(c / mcold));
			json_object_object_add(io, "cold", p);
			if (sel && c / mcold < TARGET_COLD)
				target_met = false;
			printf("  %4u %7u %-8s%c %9.2f %7.2f %9.2f %7.2f\n",
			       n, n + 1, impl->name, sel ? '*' : ' ',
			       h, h / mhot, c, c / mcold);
		}
		json_object_object_add(row, "impls", impls);
		json_object_array_add(results, row);
	}
	json_object_object_add(po, "results", results);
	json_object_object_add(po, "cold_target_met",
			       json_object_new_boolean(target_met));
	printf("  * selected: %s; cold parity >= %.1fx memcpy for every nsrc: %s\n",
	       ddraid_xor_selected(), TARGET_COLD, target_met ? "yes" : "NO");
	json_object_object_add(out, "parity", po);

	munmap(hot, hot_size);
	munmap(pool, pool_size);
	return 0;
}
