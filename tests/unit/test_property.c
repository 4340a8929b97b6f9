// SPDX-License-Identifier: GPL-2.0-only
/*
 * Property test of the engine: seeded random sequences of writes, member
 * losses (reassembly with "missing", injected IO errors, failure on
 * request), rebuilds (some stopped and resumed), resyncs, scrubs and
 * reassemblies, checked after every step against a plain in-memory copy
 * of the volume, every byte. At the end the member files are checked
 * against the layout computed independently.
 *
 *   DDRAID_PROPERTY_SEEDS=N  run seeds 1..N (default 40)
 *   DDRAID_PROPERTY_SEED=S   run only seed S (to replay a failure)
 *
 * Output is TAP, one line per seed.
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

#define DEFAULT_SEEDS	40
#define STEPS		30

struct run {
	u64 seed;
	u64 rng;
	struct tu_vol t;
	const char *given[DDRAID_MAX_MEMBERS];	/* what open is passed */
	struct ddraid_vol *vol;
	u8 *ref;
	u8 *buf;
	size_t size;
	u64 blocks;
	int step;
	unsigned int files;
	char *extra[STEPS + 2];		/* rebuild targets made */
	char err[DDRAID_ERRMSG_MAX];
	char why[DDRAID_ERRMSG_MAX];
};

static unsigned int pick(struct run *r, unsigned int n)
{
	return (unsigned int)(tu_rand(&r->rng) % n);
}

static int failf(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int failf(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(r->why, sizeof(r->why), "step %d: ", r->step);
	va_start(ap, fmt);
	vsnprintf(r->why + len, sizeof(r->why) - (size_t)len, fmt, ap);
	va_end(ap);
	return -1;
}

static int reopen(struct run *r)
{
	int ret;

	ddraid_close(r->vol);
	r->vol = NULL;
	ret = ddraid_open(r->given, r->t.n, 0, &r->vol, r->err, sizeof(r->err));
	if (ret)
		return failf(r, "open: %s", r->err);
	return 0;
}

static int verify(struct run *r)
{
	size_t i;
	int ret;

	memset(r->buf, 0xa5, r->size);
	ret = ddraid_read(r->vol, 0, r->buf, r->size);
	if (ret)
		return failf(r, "read: %d %s", ret, ddraid_errmsg(r->vol));
	if (!memcmp(r->buf, r->ref, r->size))
		return 0;
	for (i = 0; i < r->size; i++)
		if (r->buf[i] != r->ref[i])
			return failf(r, "byte %zu (block %zu) reads %#x, wrote %#x",
				     i, i / 4096, r->buf[i], r->ref[i]);
	return 0;
}

static int do_write(struct run *r)
{
	u64 b = pick(r, (unsigned int)r->blocks);
	u64 n = 1 + pick(r, pick(r, 4) ? 16 : (unsigned int)r->blocks);
	int ret;

	if (n > r->blocks - b)
		n = r->blocks - b;
	tu_fill(r->ref + b * 4096, n * 4096, &r->rng);
	ret = ddraid_write(r->vol, b * 4096, r->ref + b * 4096, n * 4096);
	if (ret)
		return failf(r, "write %llu+%llu: %d %s", (unsigned long long)b,
			     (unsigned long long)n, ret, ddraid_errmsg(r->vol));
	return 0;
}

static int lose_member(struct run *r)
{
	unsigned int m = pick(r, r->t.n);
	int ret;

	switch (pick(r, 3)) {
	case 0:		/* reassemble without it */
		r->given[m] = DDRAID_MISSING;
		ret = reopen(r);
		if (ret)
			return ret;
		break;
	case 1:		/* it dies under a write */
		ddraid_inject_member_error(r->vol, (int)m);
		ret = do_write(r);
		ddraid_inject_member_error(r->vol, -1);
		if (ret)
			return ret;
		break;
	default:	/* the operator fails it */
		ret = ddraid_fail_member(r->vol, m);
		if (ret)
			return failf(r, "fail member %u: %s", m,
				     ddraid_errmsg(r->vol));
		break;
	}
	if (ddraid_vol_missing(r->vol) != (int)m)
		return failf(r, "member %u lost, engine says %d is missing", m,
			     ddraid_vol_missing(r->vol));
	return 0;
}

static int stop_early(void *arg, u64 done, u64 total)
{
	return 1;
}

static int rebuild(struct run *r, int m)
{
	char name[32], *p;
	bool stop = pick(r, 3) == 0 && r->blocks > 2048;
	int ret;

	snprintf(name, sizeof(name), "r%u", r->files);
	p = tu_path(r->t.dir, name);
	r->extra[r->files++] = p;
	ret = tu_make_file(p, r->t.member_bytes);
	if (!ret)
		ret = ddraid_rebuild(r->vol, (u32)m, p, stop ? stop_early : NULL,
				     NULL);
	if (stop && ret == -ECANCELED) {
		/* Resume, sometimes after a write and reassembly. */
		r->given[m] = p;
		if (pick(r, 2)) {
			ret = do_write(r);
			if (!ret)
				ret = reopen(r);
			if (ret)
				return ret;
			if (ddraid_vol_missing(r->vol) != m)
				return failf(r, "partly rebuilt member %d used", m);
		}
		ret = ddraid_rebuild(r->vol, (u32)m, p, NULL, NULL);
	}
	if (ret)
		return failf(r, "rebuild %d: %d %s", m, ret, ddraid_errmsg(r->vol));
	r->given[m] = p;
	if (ddraid_vol_missing(r->vol) != -1)
		return failf(r, "member %d still missing after rebuild", m);
	return 0;
}

static int scrub_clean(struct run *r)
{
	struct ddraid_scrub_result res;
	int ret = ddraid_scrub(r->vol, 0, r->blocks, false, NULL, NULL, NULL,
			       NULL, &res);

	if (ret)
		return failf(r, "scrub: %s", ddraid_errmsg(r->vol));
	if (res.mismatches)
		return failf(r, "scrub found %llu mismatches",
			     (unsigned long long)res.mismatches);
	return 0;
}

static int one_step(struct run *r)
{
	int missing = ddraid_vol_missing(r->vol);
	u64 b;

	switch (pick(r, 8)) {
	case 0:
	case 1:
	case 2:
		return do_write(r);
	case 3:
		return missing < 0 ? lose_member(r) : do_write(r);
	case 4:
		return missing >= 0 ? rebuild(r, missing) : scrub_clean(r);
	case 5:
		if (missing >= 0)
			return do_write(r);
		b = pick(r, (unsigned int)r->blocks);
		if (ddraid_resync(r->vol, b, pick(r, (unsigned int)(r->blocks - b)),
				  NULL, NULL))
			return failf(r, "resync: %s", ddraid_errmsg(r->vol));
		return 0;
	case 6:
		/* Sometimes hand back the lost member's old file. */
		if (missing >= 0 && !strcmp(r->given[missing], DDRAID_MISSING) &&
		    pick(r, 2))
			r->given[missing] = r->t.paths[missing];
		return reopen(r);
	default:
		return ddraid_flush(r->vol) ? failf(r, "flush: %s",
						    ddraid_errmsg(r->vol)) : 0;
	}
}

static int run_seed(u64 seed, char *why, size_t whylen)
{
	static const unsigned int ns[] = { 2, 3, 5, 9 };
	struct run r = { .seed = seed, .rng = seed * 7919 };
	struct tu_vol chk;
	unsigned int n, i;
	u64 data, block;
	int ret = -1, bad;

	n = ns[pick(&r, 4)];
	/* 256 KiB to 2.25 MiB per member; sometimes more than one window. */
	data = (u64)(1 + pick(&r, 9)) << 18;
	if (tu_format(&r.t, n, data, "m", (u8)seed)) {
		snprintf(why, whylen, "format failed");
		return -1;
	}
	for (i = 0; i < n; i++)
		r.given[i] = r.t.paths[i];
	r.size = (size_t)r.t.sb.data_size;
	r.blocks = r.size / 4096;
	r.ref = calloc(1, r.size);
	r.buf = malloc(r.size);
	if (!r.ref || !r.buf || reopen(&r))
		goto out;
	for (r.step = 0; r.step < STEPS; r.step++) {
		if (one_step(&r) || verify(&r))
			goto out;
	}
	/* End: every member back, then the files must match the layout. */
	if (ddraid_vol_missing(r.vol) >= 0 &&
	    rebuild(&r, ddraid_vol_missing(r.vol)))
		goto out;
	if (scrub_clean(&r) || verify(&r))
		goto out;
	ddraid_close(r.vol);
	r.vol = NULL;
	chk = r.t;
	for (i = 0; i < n; i++)
		chk.paths[i] = (char *)(uintptr_t)r.given[i];
	bad = tu_check_members(&chk, r.ref, 0, &block);
	if (bad >= 0) {
		failf(&r, "member %d (%s) differs from the layout at block %llu",
		      bad, r.given[bad], (unsigned long long)block);
		goto out;
	}
	ret = 0;
out:
	if (ret)
		snprintf(why, whylen, "n=%u: %s", n, r.why);
	ddraid_close(r.vol);
	tu_rmdir(r.t.dir);
	tu_free(&r.t);
	for (i = 0; i < r.files; i++)
		free(r.extra[i]);
	free(r.ref);
	free(r.buf);
	return ret;
}

int main(void)
{
	const char *one = getenv("DDRAID_PROPERTY_SEED");
	const char *many = getenv("DDRAID_PROPERTY_SEEDS");
	u64 first = 1, count = DEFAULT_SEEDS, s;
	unsigned int failed = 0;
	char why[2 * DDRAID_ERRMSG_MAX];

	if (one) {
		first = strtoull(one, NULL, 0);
		count = 1;
	} else if (many) {
		count = strtoull(many, NULL, 0);
	}
	printf("1..%llu\n", (unsigned long long)count);
	for (s = first; s < first + count; s++) {
		why[0] = 0;
		if (run_seed(s, why, sizeof(why))) {
			failed++;
			printf("not ok %llu - seed %llu: %s\n# replay: DDRAID_PROPERTY_SEED=%llu %s\n",
			       (unsigned long long)(s - first + 1),
			       (unsigned long long)s, why,
			       (unsigned long long)s, "tests/unit/test_property");
		} else {
			printf("ok %llu - seed %llu\n",
			       (unsigned long long)(s - first + 1),
			       (unsigned long long)s);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
