// SPDX-License-Identifier: GPL-2.0-only
/*
 * The userspace engine against member files: layout on disk checked byte
 * by byte against an independent computation, refusals that change
 * nothing, degraded operation, failure recording, resync, scrub, rebuild
 * and bitmaps.
 */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_util.h"
#include "cluster_io.h"
#include "engine_internal.h"

#define ERRLEN DDRAID_ERRMSG_MAX

struct fix {
	struct tu_vol t;
	u8 *ref;		/* what the volume must read back */
	size_t size;
	u64 rng;
};

/* Format, open all, fill the whole volume with random data, close. */
static void fix_init(struct fix *f, unsigned int n, u64 member_data,
		     u64 seed)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];

	memset(f, 0, sizeof(*f));
	f->rng = seed;
	assert_int_equal(tu_format(&f->t, n, member_data, "m", (u8)seed), 0);
	f->size = (size_t)f->t.sb.data_size;
	f->ref = malloc(f->size);
	assert_non_null(f->ref);
	tu_fill(f->ref, f->size, &f->rng);
	assert_int_equal(tu_open(&f->t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_write(vol, 0, f->ref, f->size), 0);
	ddraid_close(vol);
}

static void fix_free(struct fix *f)
{
	tu_rmdir(f->t.dir);
	tu_free(&f->t);
	free(f->ref);
}

/* Every byte of the volume reads as the reference. */
static void check_volume(struct ddraid_vol *vol, const u8 *ref, size_t size)
{
	u8 *buf = malloc(size);

	assert_non_null(buf);
	memset(buf, 0xa5, size);
	assert_int_equal(ddraid_read(vol, 0, buf, size), 0);
	/* cmocka's byte-wise compare is slow: only to report a difference. */
	if (memcmp(buf, ref, size))
		assert_memory_equal(buf, ref, size);
	free(buf);
}

static void check_files(struct fix *f, u32 skip)
{
	u64 block = 0;
	int bad = tu_check_members(&f->t, f->ref, skip, &block);

	if (bad >= 0)
		fail_msg("member %d differs from the layout at block %llu", bad,
			 (unsigned long long)block);
}

static u32 sb_state(const char *path, u32 m, u64 *events)
{
	struct ddraid_sb sb;

	assert_int_equal(tu_read_sb(path, &sb), 0);
	if (events)
		*events = sb.events;
	return sb.member[m].state;
}

/* ---- round trip ---- */

static void roundtrip(unsigned int n, u64 member_data)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct fix f;
	u64 off, len, i;
	u8 *part;

	fix_init(&f, n, member_data, 1000 + n);
	check_files(&f, 0);
	/* Overwrite pieces of assorted sizes, across window boundaries. */
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	for (i = 0; i < 20; i++) {
		off = (tu_rand(&f.rng) % (f.size / 4096)) * 4096;
		len = (1 + tu_rand(&f.rng) % 3000) * 4096;
		if (len > f.size - off)
			len = f.size - off;
		part = f.ref + off;
		tu_fill(part, len, &f.rng);
		assert_int_equal(ddraid_write(vol, off, part, len), 0);
	}
	check_volume(vol, f.ref, f.size);
	assert_int_equal(ddraid_vol_missing(vol), -1);
	assert_int_equal(ddraid_flush(vol), 0);
	ddraid_close(vol);
	check_files(&f, 0);
	fix_free(&f);
}

static void test_roundtrip_2(void **s) { roundtrip(2, 9ull << 20); }
static void test_roundtrip_3(void **s) { roundtrip(3, 5ull << 20); }
static void test_roundtrip_5(void **s) { roundtrip(5, 3ull << 20); }
static void test_roundtrip_9(void **s) { roundtrip(9, 1ull << 20); }

/* ---- refusals that change nothing ---- */

static void snapshot(struct fix *f, u8 **snap, size_t *len)
{
	unsigned int m;

	for (m = 0; m < f->t.n; m++) {
		snap[m] = tu_slurp(f->t.paths[m], &len[m]);
		assert_non_null(snap[m]);
	}
}

static void unchanged(struct fix *f, u8 **snap, size_t *len)
{
	unsigned int m;
	size_t l;
	u8 *now;

	for (m = 0; m < f->t.n; m++) {
		now = tu_slurp(f->t.paths[m], &l);
		assert_non_null(now);
		assert_int_equal(l, len[m]);
		if (memcmp(now, snap[m], l))
			assert_memory_equal(now, snap[m], l);
		free(now);
		free(snap[m]);
	}
}

static void test_bad_requests(void **s)
{
	u8 *snap[DDRAID_MAX_MEMBERS];
	size_t len[DDRAID_MAX_MEMBERS];
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct fix f;
	u8 *buf = malloc(16384);

	fix_init(&f, 3, 1 << 20, 7);
	snapshot(&f, snap, len);
	memset(buf, 0x5a, 16384);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_write(vol, 512, buf, 4096), -EINVAL);
	assert_non_null(strstr(ddraid_errmsg(vol), "multiples of 4096"));
	assert_int_equal(ddraid_write(vol, 4096, buf, 100), -EINVAL);
	assert_int_equal(ddraid_read(vol, 4096, buf, 4097), -EINVAL);
	assert_int_equal(ddraid_write(vol, f.size, buf, 4096), -ENOSPC);
	assert_non_null(strstr(ddraid_errmsg(vol), "beyond the end"));
	assert_int_equal(ddraid_write(vol, f.size - 4096, buf, 8192), -ENOSPC);
	assert_int_equal(ddraid_read(vol, f.size - 4096, buf, 8192), -EINVAL);
	assert_int_equal(ddraid_read(vol, ~0ull - 4095, buf, 4096), -EINVAL);
	assert_int_equal(ddraid_resync(vol, f.size / 4096, 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(ddraid_scrub(vol, 0, f.size / 4096 + 1, true, NULL,
				      NULL, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ddraid_fail_member(vol, 3), -EINVAL);
	assert_int_equal(ddraid_bitmap_write(vol, DDRAID_BITMAP_SLOTS, buf),
			 -EINVAL);
	ddraid_close(vol);
	/* Read-only: writes refused. */
	assert_int_equal(tu_open(&f.t, 0, DDRAID_OPEN_RDONLY, &vol, err,
				 sizeof(err)), 0);
	assert_int_equal(ddraid_write(vol, 0, buf, 4096), -EROFS);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	unchanged(&f, snap, len);
	free(buf);
	fix_free(&f);
}

/* ---- degraded ---- */

static void degraded(unsigned int n)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	unsigned int m, j;
	struct fix f;
	u64 events;

	for (m = 0; m < n; m++) {
		fix_init(&f, n, 1 << 20, 50 + m);
		assert_int_equal(tu_open(&f.t, 1u << m, 0, &vol, err,
					 sizeof(err)), 0);
		assert_int_equal(ddraid_vol_missing(vol), (int)m);
		check_volume(vol, f.ref, f.size);
		/* Nothing written yet: nothing recorded. */
		assert_int_equal(sb_state(f.t.paths[(m + 1) % n], m, &events),
				 DDRAID_MEMBER_ACTIVE);
		assert_int_equal(events, 1);
		tu_fill(f.ref + 8192, 3 * 65536, &f.rng);
		assert_int_equal(ddraid_write(vol, 8192, f.ref + 8192,
					      3 * 65536), 0);
		check_volume(vol, f.ref, f.size);
		ddraid_close(vol);
		for (j = 0; j < n; j++) {
			if (j == m)
				continue;
			assert_int_equal(sb_state(f.t.paths[j], m, &events),
					 DDRAID_MEMBER_FAILED);
			assert_int_equal(events, 2);
		}
		/* The skipped member is stale and recorded failed. */
		sb_state(f.t.paths[m], m, &events);
		assert_int_equal(events, 1);
		check_files(&f, 1u << m);
		/* Given again, it is treated as missing. */
		assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
		assert_int_equal(ddraid_vol_missing(vol), (int)m);
		check_volume(vol, f.ref, f.size);
		ddraid_close(vol);
		fix_free(&f);
	}
}

static void test_degraded_2(void **s) { degraded(2); }
static void test_degraded_3(void **s) { degraded(3); }
static void test_degraded_5(void **s) { degraded(5); }

/* ---- assembly refusals ---- */

static void test_lagging_accepted_stale_refused(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN], want[64], *old, *newp;
	u64 events, newest;
	struct fix f;

	fix_init(&f, 3, 1 << 20, 11);
	old = tu_path(f.t.dir, "old0");
	newp = tu_path(f.t.dir, "new2");
	assert_int_equal(tu_copy_file(f.t.paths[0], old), 0);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_fail_member(vol, 2), 0);
	assert_int_equal(ddraid_vol_missing(vol), 2);
	ddraid_close(vol);

	/*
	 * Member 0 one superblock update behind, as a crash between the
	 * survivors' superblock writes leaves it: the newest superblock still
	 * calls it active, so its data is current. It assembles and is
	 * brought up to date.
	 */
	assert_int_equal(tu_copy_file(old, f.t.paths[0]), 0);
	assert_int_equal(tu_open(&f.t, 1u << 2, 0, &vol, err, sizeof(err)), 0);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	assert_int_equal(sb_state(f.t.paths[0], 0, &events),
			 DDRAID_MEMBER_ACTIVE);
	assert_int_equal(events, 2);

	/*
	 * After member 2 is rebuilt the events move on; an old disk of member
	 * 0 may have missed writes made since and is refused, naming it.
	 */
	assert_int_equal(tu_make_file(newp, f.t.member_bytes), 0);
	assert_int_equal(tu_open(&f.t, 1u << 2, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_rebuild(vol, 2, newp, NULL, NULL), 0);
	ddraid_close(vol);
	assert_int_equal(tu_copy_file(newp, f.t.paths[2]), 0);
	sb_state(f.t.paths[1], 1, &newest);
	assert_true(newest >= 3);
	assert_int_equal(tu_copy_file(old, f.t.paths[0]), 0);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), -ESTALE);
	assert_null(vol);
	assert_non_null(strstr(err, f.t.paths[0]));
	assert_non_null(strstr(err, "stale"));
	assert_non_null(strstr(err, "events 1"));
	snprintf(want, sizeof(want), "behind %llu", (unsigned long long)newest);
	assert_non_null(strstr(err, want));
	free(old);
	free(newp);
	fix_free(&f);
}

static void test_foreign_order_missing(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct tu_vol other;
	const char *p[3];
	struct fix f;

	fix_init(&f, 3, 1 << 20, 12);
	assert_int_equal(tu_format_in(&other, f.t.dir, 3, 1 << 20, "o", 99), 0);
	/* Foreign. */
	p[0] = f.t.paths[0];
	p[1] = other.paths[1];
	p[2] = f.t.paths[2];
	assert_int_equal(ddraid_open(p, 3, 0, &vol, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, other.paths[1]));
	assert_non_null(strstr(err, "foreign"));
	/* Wrong order. */
	p[0] = f.t.paths[1];
	p[1] = f.t.paths[0];
	assert_int_equal(ddraid_open(p, 3, 0, &vol, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "wrong order"));
	assert_non_null(strstr(err, f.t.paths[1]));
	/* Wrong count. */
	assert_int_equal(ddraid_open(p, 2, 0, &vol, err, sizeof(err)), -EINVAL);
	assert_int_equal(ddraid_open(p, 4, 0, &vol, err, sizeof(err)), -EINVAL);
	/* Two missing. */
	assert_int_equal(tu_open(&f.t, 3, 0, &vol, err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "more than one member"));
	/* One failed on record plus one missing. */
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_fail_member(vol, 1), 0);
	/* A second failure on request would lose the volume: refused. */
	assert_int_equal(ddraid_fail_member(vol, 0), -EBUSY);
	ddraid_close(vol);
	assert_int_equal(tu_open(&f.t, 1u << 2, 0, &vol, err, sizeof(err)),
			 -ENODEV);
	assert_non_null(strstr(err, f.t.paths[1]));
	/* Too small. */
	assert_int_equal(tu_make_file(other.paths[0], f.t.member_bytes - 4096), 0);
	assert_int_equal(tu_copy_file(f.t.paths[0], other.paths[0]), 0);
	assert_int_equal(truncate(other.paths[0],
				  (off_t)f.t.sb.member_size - 4096), 0);
	p[0] = other.paths[0];
	p[1] = f.t.paths[1];
	p[2] = f.t.paths[2];
	assert_int_equal(ddraid_open(p, 3, 0, &vol, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "too small"));
	assert_non_null(strstr(err, other.paths[0]));
	/* Not a member at all. */
	assert_int_equal(tu_make_file(other.paths[0], f.t.member_bytes), 0);
	assert_int_equal(ddraid_open(p, 3, 0, &vol, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no ddraid superblock"));
	tu_free(&other);
	fix_free(&f);
}

/* ---- failures during IO ---- */

/* ---- path faults (DDRAID_FAULT_PATH_DIR, lib/member_io.c) ---- */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cut-M with @what, written whole as the tests do (rename) */
static void cut(const char *dir, u32 m, const char *what)
{
	char p[PATH_MAX + 32], tmp[PATH_MAX + 40];
	FILE *f;

	snprintf(p, sizeof(p), "%s/cut-%u", dir, m);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(what, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, p), 0);
}

struct uncut {
	char path[PATH_MAX + 32];
	unsigned int after_ms;
};

static void *uncut_later(void *arg)
{
	struct uncut *u = arg;

	usleep(u->after_ms * 1000);
	unlink(u->path);
	return NULL;
}

/*
 * One process's path to member 1 cut, in each of the transport's modes:
 * the IO to member 1 fails (at once, or once the path has been down for
 * the time given) or waits and lands when the path comes back; the other
 * members and the file itself are untouched; superblocks and flushes ask
 * the same switch. Off without the variable.
 */
static void test_path_fault(void **s)
{
	struct ddraid_vol *vol;
	struct ddraid_sb sb;
	char err[ERRLEN], dir[PATH_MAX + 8];
	struct uncut u;
	pthread_t th;
	struct fix f;
	u32 failed;
	double t0;
	u8 *blk, *back;

	fix_init(&f, 3, 1 << 20, 21);
	snprintf(dir, sizeof(dir), "%s/paths", f.t.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	blk = malloc(4 * 4096);
	back = malloc(4 * 4096);
	assert_non_null(blk);
	assert_non_null(back);
	tu_fill(blk, 4 * 4096, &f.rng);
	setenv("DDRAID_FAULT_PATH_DIR", dir, 1);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	unsetenv("DDRAID_FAULT_PATH_DIR");

	/* Path up: nothing happens. */
	assert_int_equal(ddraid_cl_write(vol, 0, 4, blk, 0, &failed), 0);
	assert_int_equal(failed, 0);

	/* Down, failing at once: member 1's part fails, the rest lands. */
	cut(dir, 1, "0");
	tu_fill(blk, 4 * 4096, &f.rng);
	assert_int_equal(ddraid_cl_write(vol, 4, 4, blk, 0, &failed), 0);
	assert_int_equal(failed, 1u << 1);
	assert_int_equal(ddraid_cl_sb_read(vol, 1, &sb), -EIO);
	assert_int_equal(ddraid_cl_flush(vol, 1), -EIO);
	assert_int_equal(ddraid_cl_sb_read(vol, 0, &sb), 0);
	assert_int_equal(ddraid_cl_flush(vol, 2), 0);
	/* Flushed together: each member's own result. */
	assert_int_equal(ddraid_cl_flush_mask(vol, 0x7), 1u << 1);
	assert_int_equal(ddraid_cl_flush_mask(vol, 0x5), 0);
	/* Reads avoid it: reconstructed from parity. */
	assert_int_equal(ddraid_cl_read(vol, 4, 4, back, 0, &failed), 0);
	assert_int_equal(failed, 1u << 1);
	assert_memory_equal(back, blk, 4 * 4096);

	/* Half broken: writes and flushes fail, reads go on. */
	unlink(strcat(strcpy(u.path, dir), "/cut-1"));
	cut(dir, 1, "0 writes");
	assert_int_equal(ddraid_cl_write(vol, 4, 4, blk, 0, &failed), 0);
	assert_int_equal(failed, 1u << 1);
	assert_int_equal(ddraid_cl_flush(vol, 1), -EIO);
	assert_int_equal(ddraid_cl_sb_read(vol, 1, &sb), 0);
	assert_int_equal(ddraid_cl_read(vol, 8, 4, back, 0, &failed), 0);
	assert_int_equal(failed, 0);

	/* Down for 300 ms before the transport gives up: IO waits, fails. */
	unlink(u.path);
	cut(dir, 1, "300");
	t0 = mono();
	assert_int_equal(ddraid_cl_sb_read(vol, 1, &sb), -EIO);
	assert_true(mono() - t0 >= 0.25);
	/* Then at once, until the path is back. */
	t0 = mono();
	assert_int_equal(ddraid_cl_write(vol, 8, 4, blk, 0, &failed), 0);
	assert_int_equal(failed, 1u << 1);
	assert_true(mono() - t0 < 0.25);

	/* Back within the transport's wait: the IO lands, late. */
	unlink(u.path);
	cut(dir, 1, "60000");
	u.after_ms = 200;
	assert_int_equal(pthread_create(&th, NULL, uncut_later, &u), 0);
	t0 = mono();
	assert_int_equal(ddraid_cl_write(vol, 0, 4, blk, 0, &failed), 0);
	assert_int_equal(failed, 0);
	assert_true(mono() - t0 >= 0.15);
	pthread_join(th, NULL);

	/* Held however long: lands when the path is back. */
	cut(dir, 1, "hold");
	assert_int_equal(pthread_create(&th, NULL, uncut_later, &u), 0);
	t0 = mono();
	assert_int_equal(ddraid_cl_flush(vol, 1), 0);
	assert_true(mono() - t0 >= 0.15);
	pthread_join(th, NULL);
	/* ...and with the others' flushes beside it. */
	cut(dir, 1, "hold");
	assert_int_equal(pthread_create(&th, NULL, uncut_later, &u), 0);
	t0 = mono();
	assert_int_equal(ddraid_cl_flush_mask(vol, 0x7), 0);
	assert_true(mono() - t0 >= 0.15);
	pthread_join(th, NULL);
	ddraid_close(vol);

	/* Every member has blocks 0..3 as last written, whole. */
	assert_int_equal(tu_open(&f.t, 1u << 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_read(vol, 0, back, 4 * 4096), 0);
	assert_memory_equal(back, blk, 4 * 4096);
	ddraid_close(vol);
	/* Without the variable a cut file changes nothing. */
	cut(dir, 1, "0");
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_cl_write(vol, 0, 4, blk, 0, &failed), 0);
	assert_int_equal(failed, 0);
	assert_int_equal(ddraid_cl_sb_read(vol, 1, &sb), 0);
	ddraid_close(vol);
	unlink(u.path);
	rmdir(dir);
	free(blk);
	free(back);
	fix_free(&f);
}

static void test_inject_write(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	unsigned int j;
	struct fix f;
	u64 events;

	fix_init(&f, 5, 3 << 20, 13);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	/* Part written with all members, the rest after member 2 dies. */
	tu_fill(f.ref, f.size, &f.rng);
	assert_int_equal(ddraid_write(vol, 0, f.ref, 4 << 20), 0);
	ddraid_inject_member_error(vol, 2);
	assert_int_equal(ddraid_write(vol, 4 << 20, f.ref + (4 << 20),
				      f.size - (4 << 20)), 0);
	assert_int_equal(ddraid_vol_missing(vol), 2);
	assert_non_null(strstr(ddraid_errmsg(vol), f.t.paths[2]));
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	for (j = 0; j < 5; j++) {
		u32 st = sb_state(f.t.paths[j], 2, &events);

		if (j == 2) {
			assert_int_equal(st, DDRAID_MEMBER_ACTIVE);
			assert_int_equal(events, 1);
		} else {
			assert_int_equal(st, DDRAID_MEMBER_FAILED);
			assert_int_equal(events, 2);
		}
	}
	check_files(&f, 1u << 2);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_vol_missing(vol), 2);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	fix_free(&f);
}

static void test_inject_read_then_second(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct fix f;
	u8 *buf;
	u64 events;

	fix_init(&f, 3, 1 << 20, 14);
	buf = malloc(f.size);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	/* A read error on a data member: reconstructed from parity. */
	ddraid_inject_member_error(vol, 0);
	check_volume(vol, f.ref, f.size);
	assert_int_equal(ddraid_vol_missing(vol), 0);
	assert_int_equal(sb_state(f.t.paths[1], 0, &events),
			 DDRAID_MEMBER_FAILED);
	assert_int_equal(events, 2);
	/* A second member fails: -EIO, and the buffer is not filled. */
	ddraid_inject_member_error(vol, 1);
	memset(buf, 0xee, f.size);
	assert_int_equal(ddraid_read(vol, 0, buf, 65536), -EIO);
	assert_non_null(strstr(ddraid_errmsg(vol), "more than one member"));
	for (size_t i = 0; i < 65536; i++)
		assert_int_equal(buf[i], 0xee);
	assert_int_equal(ddraid_write(vol, 0, f.ref, 4096), -EIO);
	ddraid_close(vol);
	free(buf);
	fix_free(&f);
}

/* ---- resync, scrub ---- */

static void corrupt(struct fix *f, u32 m, u64 block)
{
	u32 fs = DDRAID_BLOCK_SIZE >> f->t.sb.k;
	u8 junk[DDRAID_BLOCK_SIZE];

	assert_int_equal(tu_pread(f->t.paths[m], f->t.sb.data_offset +
				  block * fs, junk, fs), 0);
	junk[fs / 2] ^= 0x40;
	assert_int_equal(tu_pwrite(f->t.paths[m], f->t.sb.data_offset +
				   block * fs, junk, fs), 0);
}

static void test_resync(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct fix f;
	u64 b;
	int bad;

	fix_init(&f, 5, 3 << 20, 15);
	corrupt(&f, 4, 0);
	corrupt(&f, 4, 1000);
	corrupt(&f, 4, f.size / 4096 - 1);
	assert_int_equal(tu_check_members(&f.t, f.ref, 0, &b), 4);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_resync(vol, 0, f.size / 4096, NULL, NULL), 0);
	ddraid_close(vol);
	bad = tu_check_members(&f.t, f.ref, 0, &b);
	assert_int_equal(bad, -1);
	fix_free(&f);
}

struct mism {
	u64 blocks[16];
	unsigned int n;
};

static void on_mism(void *arg, u64 block)
{
	struct mism *m = arg;

	if (m->n < 16)
		m->blocks[m->n] = block;
	m->n++;
}

static void test_scrub(void **s)
{
	const u64 want[] = { 3, 7, 2047, 2048, 5000 };
	struct ddraid_scrub_result res;
	u8 *snap[DDRAID_MAX_MEMBERS];
	size_t len[DDRAID_MAX_MEMBERS];
	struct ddraid_vol *vol;
	struct mism mm = { .n = 0 };
	char err[ERRLEN];
	struct fix f;
	unsigned int i;
	u64 b;

	fix_init(&f, 3, 12 << 20, 16);
	corrupt(&f, 2, 3);	/* parity */
	corrupt(&f, 0, 7);	/* data: shows as a parity mismatch too */
	corrupt(&f, 2, 2047);
	corrupt(&f, 1, 2048);
	corrupt(&f, 2, 5000);
	snapshot(&f, snap, len);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_scrub(vol, 0, f.size / 4096, false, on_mism,
				      &mm, NULL, NULL, &res), 0);
	assert_int_equal(res.checked, f.size / 4096);
	assert_int_equal(res.mismatches, 5);
	assert_int_equal(res.repaired, 0);
	assert_int_equal(mm.n, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(mm.blocks[i], want[i]);
	ddraid_close(vol);
	unchanged(&f, snap, len);
	/* A sub-range sees only its own. */
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	mm.n = 0;
	assert_int_equal(ddraid_scrub(vol, 4, 2044, false, on_mism, &mm, NULL,
				      NULL, &res), 0);
	assert_int_equal(res.mismatches, 2);
	assert_int_equal(mm.blocks[0], 7);
	assert_int_equal(mm.blocks[1], 2047);
	/* Repair, then clean. */
	mm.n = 0;
	assert_int_equal(ddraid_scrub(vol, 0, f.size / 4096, true, on_mism,
				      &mm, NULL, NULL, &res), 0);
	assert_int_equal(res.repaired, 5);
	assert_int_equal(ddraid_scrub(vol, 0, f.size / 4096, false, NULL, NULL,
				      NULL, NULL, &res), 0);
	assert_int_equal(res.mismatches, 0);
	ddraid_close(vol);
	/* Parity blocks are right again; the data corruptions stay data. */
	f.ref[7 * 4096 + 1024] ^= 0x40;
	f.ref[2048 * 4096 + 2048 + 1024] ^= 0x40;
	assert_int_equal(tu_check_members(&f.t, f.ref, 0, &b), -1);
	fix_free(&f);
}

/* ---- rebuild ---- */

struct stopper {
	unsigned int calls;
	unsigned int stop_after;	/* 0: never */
	u64 first_done;
};

static int progress_stop(void *arg, u64 done, u64 total)
{
	struct stopper *st = arg;

	if (!st->calls++)
		st->first_done = done;
	assert_true(done <= total);
	return st->stop_after && st->calls >= st->stop_after;
}

static void test_rebuild(void **s)
{
	struct ddraid_vol *vol;
	struct stopper st = { 0 };
	char err[ERRLEN], *orig, *newp;
	struct ddraid_sb sb;
	unsigned int j;
	struct fix f;
	size_t la, lb;
	u8 *a, *b;

	fix_init(&f, 5, 3 << 20, 17);
	orig = tu_path(f.t.dir, "orig1");
	newp = tu_path(f.t.dir, "new1");
	assert_int_equal(tu_copy_file(f.t.paths[1], orig), 0);
	assert_int_equal(tu_make_file(newp, f.t.member_bytes), 0);
	assert_int_equal(tu_open(&f.t, 1u << 1, 0, &vol, err, sizeof(err)), 0);
	/* Not while another member is missing; not onto a member. */
	assert_int_equal(ddraid_rebuild(vol, 2, newp, NULL, NULL), -EBUSY);
	assert_int_equal(ddraid_rebuild(vol, 1, f.t.paths[3], NULL, NULL),
			 -EINVAL);
	assert_non_null(strstr(ddraid_errmsg(vol), f.t.paths[3]));
	assert_int_equal(ddraid_rebuild(vol, 1, newp, progress_stop, &st), 0);
	assert_true(st.calls >= 2);
	assert_int_equal(ddraid_vol_missing(vol), -1);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	/* The data area and bitmaps are the original member's, exactly. */
	a = tu_slurp(orig, &la);
	b = tu_slurp(newp, &lb);
	assert_int_equal(la, lb);
	assert_int_equal(memcmp(a + DDRAID_BITMAP_OFFSET,
				b + DDRAID_BITMAP_OFFSET,
				la - DDRAID_BITMAP_OFFSET), 0);
	free(a);
	free(b);
	for (j = 0; j < 5; j++) {
		assert_int_equal(tu_read_sb(j == 1 ? newp : f.t.paths[j], &sb), 0);
		assert_int_equal(sb.member[1].state, DDRAID_MEMBER_ACTIVE);
		assert_int_equal(sb.member_index, j);
		assert_int_equal(sb.events, 3);
	}
	/* The new member serves; the old one is stale. */
	free(f.t.paths[1]);
	f.t.paths[1] = orig;
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), -ESTALE);
	assert_non_null(strstr(err, orig));
	f.t.paths[1] = newp;
	assert_int_equal(tu_open(&f.t, 1u << 0, 0, &vol, err, sizeof(err)), 0);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	free(orig);
	fix_free(&f);
}

/*
 * The cluster rebuild of a range (ddraidd's, one region at a time): a
 * pipeline of chunks read from the others while earlier ones are written.
 * Member 2's data area is scrambled; rebuilding ranges that start and end
 * inside chunks makes it the layout again, byte for byte. A read error on
 * another member, or a write error on the member rebuilt, ends it with
 * -EIO and names that member, after what was in flight has finished.
 */
static void scramble_member(struct fix *f, u32 m)
{
	size_t len;
	u8 *b = tu_slurp(f->t.paths[m], &len);
	FILE *fp;

	assert_non_null(b);
	/* n - 1 data members share the data: each holds 1 / (n - 1). */
	assert_true(f->t.sb.data_offset + f->t.sb.data_size / (f->t.n - 1) <= len);
	tu_fill(b + f->t.sb.data_offset, f->t.sb.data_size / (f->t.n - 1),
		&f->rng);
	fp = fopen(f->t.paths[m], "r+");
	assert_non_null(fp);
	assert_int_equal(fwrite(b, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(b);
}

static void test_cl_rebuild_range(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct fix f;
	u64 blocks, at;
	u32 failed;

	fix_init(&f, 5, 3 << 20, 31);
	blocks = f.size / 4096;
	scramble_member(&f, 2);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	/* Odd pieces: partial chunks at both ends, one over a window. */
	for (at = 0; at < blocks; at += 2500) {
		u64 n = blocks - at < 2500 ? blocks - at : 2500;

		assert_int_equal(ddraid_cl_rebuild_range(vol, 2, at, 77, &failed), 0);
		assert_int_equal(failed, 0);
		if (n > 77)
			assert_int_equal(ddraid_cl_rebuild_range(vol, 2, at + 77,
								 n - 77, &failed), 0);
	}
	/* Bad arguments change nothing. */
	assert_int_equal(ddraid_cl_rebuild_range(vol, 2, blocks - 1, 2, &failed),
			 -EINVAL);
	assert_int_equal(ddraid_cl_rebuild_range(vol, 9, 0, 1, &failed), -EINVAL);
	ddraid_close(vol);
	check_files(&f, 0);

	/* A reader fails mid-rebuild. */
	scramble_member(&f, 2);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	ddraid_inject_member_error_after(vol, 1, 5);
	assert_int_equal(ddraid_cl_rebuild_range(vol, 2, 0, 2048, &failed), -EIO);
	assert_int_equal(failed, 1u << 1);
	assert_non_null(strstr(ddraid_errmsg(vol), "member IO failed"));
	ddraid_close(vol);

	/* The member being rebuilt fails a write. */
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	ddraid_inject_member_error_after(vol, 2, 3);
	assert_int_equal(ddraid_cl_rebuild_range(vol, 2, 0, 2048, &failed), -EIO);
	assert_int_equal(failed, 1u << 2);
	ddraid_close(vol);
	fix_free(&f);
}

static void test_rebuild_resume(void **s)
{
	struct ddraid_vol *vol;
	struct stopper st = { .stop_after = 1 };
	char err[ERRLEN], *newp;
	struct ddraid_sb sb;
	struct fix f;

	/* 5 members of 5 MiB: 20 MiB of volume, three windows. */
	fix_init(&f, 5, 5 << 20, 18);
	newp = tu_path(f.t.dir, "new3");
	assert_int_equal(tu_make_file(newp, f.t.member_bytes), 0);
	assert_int_equal(tu_open(&f.t, 1u << 3, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_rebuild(vol, 3, newp, progress_stop, &st),
			 -ECANCELED);
	assert_non_null(strstr(ddraid_errmsg(vol), "resume"));
	/* Still readable, member 3 not used for reads yet. */
	assert_int_equal(ddraid_vol_missing(vol), 3);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	assert_int_equal(tu_read_sb(newp, &sb), 0);
	assert_int_equal(sb.member[3].state, DDRAID_MEMBER_REBUILDING);
	assert_int_equal(sb.member[3].recovery_block, st.first_done);
	assert_true(st.first_done > 0);
	/* Reassemble with the partial member in place; write to it. */
	free(f.t.paths[3]);
	f.t.paths[3] = newp;
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_vol_missing(vol), 3);
	tu_fill(f.ref + 4096, 8192, &f.rng);
	assert_int_equal(ddraid_write(vol, 4096, f.ref + 4096, 8192), 0);
	/* Resume: the first progress report is past the first window. */
	st.calls = 0;
	st.stop_after = 0;
	assert_int_equal(ddraid_rebuild(vol, 3, newp, progress_stop, &st), 0);
	assert_true(st.first_done > sb.member[3].recovery_block);
	assert_int_equal(ddraid_vol_missing(vol), -1);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	check_files(&f, 0);
	fix_free(&f);
}

/* ---- bitmaps ---- */

/*
 * A volume whose write-intent slots span several 4 KiB pages, on sparse
 * member files (nothing but the superblocks is written).
 */
#define BIG_MEMBER_DATA	(3ull << 30)

static void big_format(struct tu_vol *t)
{
	assert_int_equal(tu_format(t, 3, BIG_MEMBER_DATA, "b", 77), 0);
	assert_true(ddraid_bitmap_slot_pages(&t->sb) >= 4);
}

static void page_of(const struct tu_vol *t, unsigned int m, u32 slot,
		    u64 page, u8 *buf)
{
	assert_int_equal(tu_pread(t->paths[m],
				  ddraid_bitmap_page_offset(&t->sb, slot, page),
				  buf, DDRAID_BITMAP_PAGE_BYTES), 0);
}

/* The common page rule: which page, which bit, changed or not. */
static void test_bitmap_page_rule(void **s)
{
	u8 page[DDRAID_BITMAP_PAGE_BYTES] = { 0 };
	u64 r = 3 * (u64)DDRAID_BITMAP_PAGE_BITS + 9;

	assert_int_equal(ddraid_bitmap_page_of(0), 0);
	assert_int_equal(ddraid_bitmap_page_of(DDRAID_BITMAP_PAGE_BITS - 1), 0);
	assert_int_equal(ddraid_bitmap_page_of(DDRAID_BITMAP_PAGE_BITS), 1);
	assert_int_equal(ddraid_bitmap_page_of(r), 3);
	/* 8 bits a byte, 4096 bytes a page */
	assert_int_equal(DDRAID_BITMAP_PAGE_BITS, 1u << DDRAID_BITMAP_PAGE_SHIFT);
	assert_true(ddraid_bitmap_page_update(page, r, true));
	assert_false(ddraid_bitmap_page_update(page, r, true));
	assert_int_equal(page[1], 0x02);	/* bit 9 of the page */
	assert_true(ddraid_bitmap_page_test(page, r));
	assert_true(ddraid_bitmap_page_update(page, r, false));
	assert_false(ddraid_bitmap_page_update(page, r, false));
	assert_int_equal(page[1], 0);
}

/*
 * One bit costs one page per member, read and written: never the whole
 * slot. Set and clear round trip; bits others wrote in the same page
 * (found on one member only) are kept and spread to all.
 */
static void test_bitmap_bit_page_io(void **s)
{
	struct ddraid_vol *vol;
	struct tu_vol t;
	char err[ERRLEN];
	u8 page[DDRAID_BITMAP_PAGE_BYTES], zero[DDRAID_BITMAP_PAGE_BYTES] = { 0 };
	u64 rd0, wr0, rd1, wr1, pages, p;
	u64 last, mid = 2 * (u64)DDRAID_BITMAP_PAGE_BITS + 17;
	size_t len;
	u8 *map;
	unsigned int m;

	big_format(&t);
	pages = ddraid_bitmap_slot_pages(&t.sb);
	last = t.sb.regions - 1;
	len = (size_t)t.sb.bitmap_slot_bytes;
	map = calloc(1, len);
	assert_non_null(map);

	/* Another writer's bit in the same page, on member 1 only. */
	memset(page, 0, sizeof(page));
	ddraid_bitmap_page_update(page, mid + 1, true);
	assert_int_equal(tu_pwrite(t.paths[1],
				   ddraid_bitmap_page_offset(&t.sb, 4, 2),
				   page, sizeof(page)), 0);

	assert_int_equal(tu_open(&t, 0, 0, &vol, err, sizeof(err)), 0);
	ddraid_io_bytes(vol, &rd0, &wr0);
	assert_int_equal(ddraid_bitmap_set_bit(vol, 4, mid, true), 0);
	ddraid_io_bytes(vol, &rd1, &wr1);
	assert_int_equal(rd1 - rd0, 3 * DDRAID_BITMAP_PAGE_BYTES);
	assert_int_equal(wr1 - wr0, 3 * DDRAID_BITMAP_PAGE_BYTES);
	assert_int_equal(ddraid_bitmap_set_bit(vol, 4, last, true), 0);
	assert_int_equal(ddraid_bitmap_set_bit(vol, 4, 0, true), 0);
	ddraid_io_bytes(vol, &rd0, &wr0);
	assert_int_equal(rd0 - rd1, 2 * 3 * DDRAID_BITMAP_PAGE_BYTES);
	assert_int_equal(wr0 - wr1, 2 * 3 * DDRAID_BITMAP_PAGE_BYTES);
	/* Out of range: refused, nothing moved. */
	assert_int_equal(ddraid_bitmap_set_bit(vol, 4, t.sb.regions, true),
			 -EINVAL);
	assert_int_equal(ddraid_bitmap_set_bit(vol, DDRAID_BITMAP_SLOTS, 0,
					       true), -EINVAL);
	ddraid_io_bytes(vol, &rd1, &wr1);
	assert_int_equal(rd1, rd0);
	assert_int_equal(wr1, wr0);
	ddraid_close(vol);

	/* On every member: exactly the three bits and the other writer's. */
	ddraid_bit_set(map, 0);
	ddraid_bit_set(map, mid);
	ddraid_bit_set(map, mid + 1);
	ddraid_bit_set(map, last);
	for (m = 0; m < 3; m++)
		for (p = 0; p < pages; p++) {
			page_of(&t, m, 4, p, page);
			assert_memory_equal(page, map + p * sizeof(page),
					    sizeof(page));
			page_of(&t, m, 5, p, page);	/* other slot */
			assert_memory_equal(page, zero, sizeof(page));
		}

	/* Clear: one page again; the neighbour bit stays. */
	assert_int_equal(tu_open(&t, 0, 0, &vol, err, sizeof(err)), 0);
	ddraid_io_bytes(vol, &rd0, &wr0);
	assert_int_equal(ddraid_bitmap_set_bit(vol, 4, mid, false), 0);
	ddraid_io_bytes(vol, &rd1, &wr1);
	assert_int_equal(rd1 - rd0, 3 * DDRAID_BITMAP_PAGE_BYTES);
	assert_int_equal(wr1 - wr0, 3 * DDRAID_BITMAP_PAGE_BYTES);
	ddraid_bit_clear(map, mid);
	{
		u8 *got = malloc(len);

		assert_non_null(got);
		assert_int_equal(ddraid_bitmap_read(vol, 4, got), 0);
		assert_memory_equal(got, map, len);
		free(got);
	}
	ddraid_close(vol);
	for (m = 0; m < 3; m++) {
		page_of(&t, m, 4, 2, page);
		assert_false(ddraid_bitmap_page_test(page, mid));
		assert_true(ddraid_bitmap_page_test(page, mid + 1));
	}
	free(map);
	tu_rmdir(t.dir);
	tu_free(&t);
}

/*
 * Crash consistency of the page update. A bit once set (acknowledged)
 * survives any torn later update of its page, on any members: the
 * rewritten page carries it, so each 512-byte sector, old or new, still
 * has it. A bit being set is either set or clear after a tear (its write
 * was never acknowledged, so no data write relied on it), and set once
 * any member's sector holding it is new. Likewise for a torn clear.
 */
static void torn_check(struct tu_vol *t, const u8 *old, const u8 *new,
		       u64 kept, u64 changing, bool set, u64 *rng)
{
	u8 mix[DDRAID_BITMAP_PAGE_BYTES], got[DDRAID_BITMAP_PAGE_BYTES];
	u64 page = ddraid_bitmap_page_of(kept);
	unsigned int it, m, sec, csec;
	struct ddraid_vol *vol;
	char err[ERRLEN];
	u32 failed;

	csec = (unsigned int)((changing & (DDRAID_BITMAP_PAGE_BITS - 1)) / 8 /
			      512);
	for (it = 0; it < 48; it++) {
		bool any_new = false, all_new = true;

		for (m = 0; m < 3; m++) {
			/* a random subset of the 8 sectors reached member m */
			unsigned int pat = (unsigned int)(tu_rand(rng) & 0xff);

			if (it < 9)	/* a prefix on each, the classic tear */
				pat = (1u << it) - 1;
			for (sec = 0; sec < 8; sec++)
				memcpy(mix + sec * 512,
				       (pat & (1u << sec) ? new : old) + sec * 512,
				       512);
			if (pat & (1u << csec))
				any_new = true;
			else
				all_new = false;
			assert_int_equal(tu_pwrite(t->paths[m],
					ddraid_bitmap_page_offset(&t->sb, 1, page),
					mix, sizeof(mix)), 0);
		}
		assert_int_equal(tu_open(t, 0, 0, &vol, err, sizeof(err)), 0);
		assert_int_equal(ddraid_cl_bitmap_read_page(vol, 1, page, got,
							    7, &failed), 0);
		ddraid_close(vol);
		assert_true(ddraid_bitmap_page_test(got, kept));
		/*
		 * Set: read as set once any copy has it. Clear: read as
		 * clear only once every copy has it (else still set: safe).
		 */
		if (set)
			assert_int_equal(ddraid_bitmap_page_test(got, changing),
					 any_new);
		else
			assert_int_equal(ddraid_bitmap_page_test(got, changing),
					 !all_new);
	}
}

static void test_bitmap_torn_page(void **s)
{
	u8 old[DDRAID_BITMAP_PAGE_BYTES], new[DDRAID_BITMAP_PAGE_BYTES];
	u64 kept = (u64)DDRAID_BITMAP_PAGE_BITS + 5;		/* sector 0 */
	u64 changing = (u64)DDRAID_BITMAP_PAGE_BITS + 7 * 4096 + 3; /* sector 7 */
	u64 near = kept + 1;				/* same byte */
	struct ddraid_vol *vol;
	struct tu_vol t;
	char err[ERRLEN];
	u64 rng = 5;

	big_format(&t);
	assert_int_equal(tu_open(&t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_bitmap_set_bit(vol, 1, kept, true), 0);
	ddraid_close(vol);
	page_of(&t, 0, 1, 1, old);

	/* A set of a bit in another sector of the page, torn. */
	assert_int_equal(tu_open(&t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_bitmap_set_bit(vol, 1, changing, true), 0);
	ddraid_close(vol);
	page_of(&t, 0, 1, 1, new);
	torn_check(&t, old, new, kept, changing, true, &rng);

	/* A set of a bit in the same byte, torn. */
	memcpy(new, old, sizeof(new));
	ddraid_bitmap_page_update(new, near, true);
	torn_check(&t, old, new, kept, near, true, &rng);

	/* A clear of a neighbour, torn: the kept bit stays. */
	memcpy(new, old, sizeof(new));
	ddraid_bitmap_page_update(old, near, true);
	torn_check(&t, old, new, kept, near, false, &rng);
	tu_rmdir(t.dir);
	tu_free(&t);
}

static void test_bitmap(void **s)
{
	struct ddraid_vol *vol;
	char err[ERRLEN];
	struct fix f;
	size_t len;
	u8 *map, *got, *disk;
	unsigned int m;

	fix_init(&f, 3, 1 << 20, 19);
	len = (size_t)f.t.sb.bitmap_slot_bytes;
	map = calloc(1, len);
	got = calloc(1, len);
	disk = calloc(1, len);
	ddraid_bit_set(map, 1);
	ddraid_bit_set(map, 9);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_bitmap_write(vol, 5, map), 0);
	ddraid_close(vol);
	for (m = 0; m < 3; m++) {
		assert_int_equal(tu_pread(f.t.paths[m],
					  ddraid_bitmap_slot_offset(&f.t.sb, 5),
					  disk, len), 0);
		assert_memory_equal(disk, map, len);
	}
	/* A torn update left bit 4 only on member 2: the union has it. */
	ddraid_bit_set(disk, 4);
	assert_int_equal(tu_pwrite(f.t.paths[2],
				   ddraid_bitmap_slot_offset(&f.t.sb, 5),
				   disk, len), 0);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_bitmap_read(vol, 5, got), 0);
	ddraid_bit_set(map, 4);
	assert_memory_equal(got, map, len);
	/* Other slots stay clear. */
	assert_int_equal(ddraid_bitmap_read(vol, 6, got), 0);
	memset(disk, 0, len);
	assert_memory_equal(got, disk, len);
	ddraid_close(vol);
	free(map);
	free(got);
	free(disk);
	fix_free(&f);
}

/* ---- streams: many independent extents in flight ---- */

struct sop {
	struct ddraid_extent ex;
	int res;
	bool reported;
};

struct sctx {
	struct sop *op;
	unsigned int n, next;
	unsigned int open, max_open;	/* handed out, not yet reported */
	unsigned int reports;
};

static bool s_next(void *arg, struct ddraid_extent *ex)
{
	struct sctx *x = arg;

	if (x->next == x->n)
		return false;
	*ex = x->op[x->next++].ex;
	if (++x->open > x->max_open)
		x->max_open = x->open;
	return true;
}

static void s_done(void *arg, const struct ddraid_extent *ex, int res)
{
	struct sctx *x = arg;
	unsigned int i;

	/* Every op has its own data: that names it. */
	for (i = 0; i < x->next && x->op[i].ex.data != ex->data; i++)
		;
	assert_true(i < x->next);
	assert_false(x->op[i].reported);
	assert_int_equal(ex->block, x->op[i].ex.block);
	assert_int_equal(ex->nblocks, x->op[i].ex.nblocks);
	x->op[i].reported = true;
	x->op[i].res = res;
	x->open--;
	x->reports++;
}

/*
 * @n ops on blocks below @range: mostly 1-4 blocks (so that writes
 * overlap ones in flight), some up to a chunk; each with its own data.
 */
static struct sop *make_ops(unsigned int n, u64 range, u64 *rng, u8 **pool)
{
	struct sop *op = calloc(n, sizeof(*op));
	size_t total = 0, at = 0;
	unsigned int i;

	assert_non_null(op);
	for (i = 0; i < n; i++) {
		u64 nb = tu_rand(rng) % 10 ? 1 + tu_rand(rng) % 4 :
			 100 + tu_rand(rng) % (DDRAID_CHUNK_BLOCKS - 99);

		op[i].ex.block = tu_rand(rng) % (range - nb + 1);
		op[i].ex.nblocks = nb;
		total += nb * 4096;
	}
	*pool = malloc(total);
	assert_non_null(*pool);
	for (i = 0; i < n; i++) {
		op[i].ex.data = *pool + at;
		at += op[i].ex.nblocks * 4096;
	}
	return op;
}

static int run_stream(struct ddraid_vol *vol, bool write, unsigned int qd,
		      struct sctx *x)
{
	const struct ddraid_stream_ops ops = {
		.next = s_next, .done = s_done, .arg = x,
	};

	return ddraid_rw_stream(vol, write, qd, &ops);
}

/* Write ops' data into the reference in the order given. */
static void apply_ops(struct fix *f, const struct sop *op, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		memcpy(f->ref + op[i].ex.block * 4096, op[i].ex.data,
		       op[i].ex.nblocks * 4096);
}

static void test_stream_roundtrip(void **s)
{
	const unsigned int n = 300, qd = 32;
	struct ddraid_vol *vol;
	struct sctx x = { 0 };
	char err[ERRLEN];
	struct fix f;
	unsigned int i;
	u8 *pool;

	fix_init(&f, 5, 3 << 20, 21);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	/* Writes crowded into 600 blocks: many overlap one in flight. */
	x.op = make_ops(n, 600, &f.rng, &pool);
	x.n = n;
	for (i = 0; i < n; i++)
		tu_fill(x.op[i].ex.data, x.op[i].ex.nblocks * 4096, &f.rng);
	assert_int_equal(run_stream(vol, true, qd, &x), 0);
	assert_int_equal(x.reports, n);
	assert_true(x.max_open > 1 && x.max_open <= qd);
	for (i = 0; i < n; i++)
		assert_int_equal(x.op[i].res, 0);
	apply_ops(&f, x.op, n);
	check_volume(vol, f.ref, f.size);
	free(x.op);
	free(pool);

	/* Reads all over the volume, each checked as it completes. */
	memset(&x, 0, sizeof(x));
	x.op = make_ops(n, f.size / 4096, &f.rng, &pool);
	x.n = n;
	for (i = 0; i < n; i++)
		memset(x.op[i].ex.data, 0xa5, x.op[i].ex.nblocks * 4096);
	assert_int_equal(run_stream(vol, false, qd, &x), 0);
	assert_true(x.max_open > 1 && x.max_open <= qd);
	for (i = 0; i < n; i++) {
		assert_int_equal(x.op[i].res, 0);
		assert_memory_equal(x.op[i].ex.data,
				    f.ref + x.op[i].ex.block * 4096,
				    x.op[i].ex.nblocks * 4096);
	}
	ddraid_close(vol);
	check_files(&f, 0);
	free(x.op);
	free(pool);
	fix_free(&f);
}

/* A member dies with many writes in flight: all complete from the others. */
static void test_stream_fail_in_flight(void **s)
{
	const unsigned int n = 300;
	struct ddraid_vol *vol;
	struct sctx x = { 0 };
	char err[ERRLEN];
	unsigned int i, j;
	struct fix f;
	u64 events;
	u8 *pool;

	fix_init(&f, 5, 3 << 20, 22);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	x.op = make_ops(n, f.size / 4096, &f.rng, &pool);
	x.n = n;
	for (i = 0; i < n; i++)
		tu_fill(x.op[i].ex.data, x.op[i].ex.nblocks * 4096, &f.rng);
	ddraid_inject_member_error_after(vol, 2, 40);
	assert_int_equal(run_stream(vol, true, 32, &x), 0);
	assert_int_equal(x.reports, n);
	for (i = 0; i < n; i++)
		assert_int_equal(x.op[i].res, 0);
	apply_ops(&f, x.op, n);
	assert_int_equal(ddraid_vol_missing(vol), 2);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	/* Recorded once (one events bump), on every other member. */
	for (j = 0; j < 5; j++) {
		u32 st = sb_state(f.t.paths[j], 2, &events);

		if (j == 2)
			continue;
		assert_int_equal(st, DDRAID_MEMBER_FAILED);
		assert_int_equal(events, 2);
	}
	check_files(&f, 1u << 2);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	assert_int_equal(ddraid_vol_missing(vol), 2);
	check_volume(vol, f.ref, f.size);
	ddraid_close(vol);
	free(x.op);
	free(pool);
	fix_free(&f);
}

/*
 * Reads with one member dying, then a second, while many are in flight:
 * every read that succeeds holds the right data, the others fail with
 * -EIO and leave their buffer alone; never wrong data.
 */
static void test_stream_second_failure(void **s)
{
	const unsigned int n = 300;
	struct ddraid_vol *vol;
	struct sctx x = { 0 };
	unsigned int i, ok = 0, bad = 0;
	char err[ERRLEN];
	struct fix f;
	u8 *pool, *one;

	fix_init(&f, 5, 3 << 20, 23);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	x.op = make_ops(n, f.size / 4096, &f.rng, &pool);
	x.n = n;
	for (i = 0; i < n; i++)
		memset(x.op[i].ex.data, 0xa5, x.op[i].ex.nblocks * 4096);
	ddraid_inject_member_error_after(vol, 1, 30);
	ddraid_inject_member_error_after(vol, 3, 120);
	assert_int_equal(run_stream(vol, false, 32, &x), -EIO);
	assert_non_null(strstr(ddraid_errmsg(vol), "more than one member"));
	for (i = 0; i < n; i++) {
		const u8 *d = x.op[i].ex.data;
		size_t len = x.op[i].ex.nblocks * 4096, k;

		if (x.op[i].reported && !x.op[i].res) {
			assert_memory_equal(d, f.ref + x.op[i].ex.block * 4096,
					    len);
			ok++;
			continue;
		}
		if (x.op[i].reported) {
			if (x.op[i].res != -ECANCELED)
				assert_int_equal(x.op[i].res, -EIO);
			bad++;
		}
		for (k = 0; k < len; k++)
			assert_int_equal(d[k], 0xa5);
	}
	/* Some were read degraded after the first failure, some failed. */
	assert_true(ok > 0 && bad > 0);
	assert_true(ok + bad < n);
	/* Each op taken from the stream was reported, once. */
	assert_int_equal(x.reports, x.next);
	assert_int_equal(x.open, 0);
	/* Nothing can be read or written any more. */
	one = malloc(4096);
	memset(one, 0x5a, 4096);
	assert_int_equal(ddraid_read(vol, 0, one, 4096), -EIO);
	for (i = 0; i < 4096; i++)
		assert_int_equal(one[i], 0x5a);
	assert_int_equal(ddraid_write(vol, 0, one, 4096), -EIO);
	ddraid_close(vol);
	free(one);
	free(x.op);
	free(pool);
	fix_free(&f);
}

/* Extents a stream refuses, before any IO; and a write stream read-only. */
static void test_stream_bad(void **s)
{
	struct ddraid_vol *vol;
	struct sctx x = { 0 };
	struct sop op[2];
	char err[ERRLEN];
	u8 *snap[DDRAID_MAX_MEMBERS], *buf;
	size_t len[DDRAID_MAX_MEMBERS];
	struct fix f;

	fix_init(&f, 3, 1 << 20, 24);
	buf = malloc((DDRAID_CHUNK_BLOCKS + 1) * 4096);
	memset(buf, 0x11, (DDRAID_CHUNK_BLOCKS + 1) * 4096);
	snapshot(&f, snap, len);
	assert_int_equal(tu_open(&f.t, 0, 0, &vol, err, sizeof(err)), 0);
	memset(op, 0, sizeof(op));
	op[0].ex = (struct ddraid_extent){ 0, DDRAID_CHUNK_BLOCKS + 1, buf };
	x.op = op;
	x.n = 1;
	assert_int_equal(run_stream(vol, true, 4, &x), -EINVAL);
	assert_non_null(strstr(ddraid_errmsg(vol), "exceeds"));
	assert_true(op[0].reported);
	memset(&x, 0, sizeof(x));
	memset(op, 0, sizeof(op));
	op[0].ex = (struct ddraid_extent){ f.size / 4096 - 1, 2, buf };
	x.op = op;
	x.n = 1;
	assert_int_equal(run_stream(vol, true, 4, &x), -EINVAL);
	assert_non_null(strstr(ddraid_errmsg(vol), "beyond the volume"));
	ddraid_close(vol);
	unchanged(&f, snap, len);
	snapshot(&f, snap, len);
	assert_int_equal(tu_open(&f.t, 0, DDRAID_OPEN_RDONLY, &vol, err,
				 sizeof(err)), 0);
	memset(&x, 0, sizeof(x));
	memset(op, 0, sizeof(op));
	op[0].ex = (struct ddraid_extent){ 0, 1, buf };
	x.op = op;
	x.n = 1;
	assert_int_equal(run_stream(vol, true, 4, &x), -EROFS);
	assert_false(op[0].reported);
	ddraid_close(vol);
	unchanged(&f, snap, len);
	free(buf);
	fix_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_2),
		cmocka_unit_test(test_roundtrip_3),
		cmocka_unit_test(test_roundtrip_5),
		cmocka_unit_test(test_roundtrip_9),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_degraded_2),
		cmocka_unit_test(test_degraded_3),
		cmocka_unit_test(test_degraded_5),
		cmocka_unit_test(test_lagging_accepted_stale_refused),
		cmocka_unit_test(test_foreign_order_missing),
		cmocka_unit_test(test_cl_rebuild_range),
		cmocka_unit_test(test_inject_write),
		cmocka_unit_test(test_inject_read_then_second),
		cmocka_unit_test(test_path_fault),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_scrub),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_rebuild_resume),
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_bitmap_page_rule),
		cmocka_unit_test(test_bitmap_bit_page_io),
		cmocka_unit_test(test_bitmap_torn_page),
		cmocka_unit_test(test_stream_roundtrip),
		cmocka_unit_test(test_stream_fail_in_flight),
		cmocka_unit_test(test_stream_second_failure),
		cmocka_unit_test(test_stream_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
