// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's IO worker (cpg-daemon/io_exec.c) against real member files:
 * every effect the state machine can issue, checked on the bytes of the
 * members, plus the refusals that must change nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ddraid.h"
#include "io_exec.h"
#include "test_util.h"

#define REGION	65536u

struct fix {
	char dir[PATH_MAX];
	char path[3][PATH_MAX + 16];
	struct ddraid_sb sb;
	struct io_exec *io;
	struct ddraid_vol *vol;	/* the io_exec's, for its IO counters */
	struct tu_vol t;	/* setup_big only */
};

static int setup(void **state)
{
	struct ddraid_create_opts o = { .name = "t", .region_size = REGION };
	const char *paths[3];
	struct ddraid_vol *vol;
	char err[DDRAID_ERRMSG_MAX];
	struct fix *f = calloc(1, sizeof(*f));
	int i, fd;

	assert_non_null(f);
	assert_int_equal(tu_mkdir(f->dir, sizeof(f->dir)), 0);
	for (i = 0; i < 3; i++) {
		snprintf(f->path[i], sizeof(f->path[i]), "%s/m%d", f->dir, i);
		fd = open(f->path[i], O_CREAT | O_RDWR, 0600);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 8 << 20), 0);
		close(fd);
		paths[i] = f->path[i];
	}
	assert_int_equal(ddraid_create(paths, 3, &o, err, sizeof(err)), 0);
	assert_int_equal(ddraid_open(paths, 3, 0, &vol, err, sizeof(err)), 0);
	f->sb = *ddraid_vol_sb(vol);
	f->vol = vol;
	f->io = io_exec_new(vol);
	assert_non_null(f->io);
	*state = f;
	return 0;
}

/*
 * Three sparse members of 3 GiB of data each in 64 KiB regions: each
 * write-intent slot spans several 4 KiB pages.
 */
static int setup_big(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_vol *vol;
	int i;

	assert_non_null(f);
	assert_int_equal(tu_format(&f->t, 3, 3ull << 30, "b", 9), 0);
	snprintf(f->dir, sizeof(f->dir), "%s", f->t.dir);
	for (i = 0; i < 3; i++)
		snprintf(f->path[i], sizeof(f->path[i]), "%s", f->t.paths[i]);
	assert_int_equal(tu_open(&f->t, 0, 0, &vol, err, sizeof(err)), 0);
	f->sb = *ddraid_vol_sb(vol);
	assert_true(ddraid_bitmap_slot_pages(&f->sb) >= 4);
	f->vol = vol;
	f->io = io_exec_new(vol);
	assert_non_null(f->io);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	io_exec_free(f->io);
	tu_rmdir(f->dir);
	tu_free(&f->t);
	free(f);
	return 0;
}

/* Submit one effect and wait for its completion. */
static struct io_done *run(struct fix *f, const struct sm_effect *fx)
{
	struct pollfd p = { .fd = io_exec_fd(f->io), .events = POLLIN };
	struct io_done *d;

	assert_int_equal(io_exec_submit(f->io, fx), 0);
	while (!(d = io_exec_pop(f->io)))
		assert_true(poll(&p, 1, 10000) == 1);
	assert_int_equal(d->id, fx->id);
	return d;
}

static int run_result(struct fix *f, const struct sm_effect *fx)
{
	struct io_done *d = run(f, fx);
	int r = d->result;

	io_done_free(d);
	return r;
}

static void slot_bytes(struct fix *f, int member, u32 slot, u8 *out,
		       size_t n)
{
	int fd = open(f->path[member], O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, out, n, (off_t)(f->sb.bitmap_offset +
					slot * f->sb.bitmap_slot_bytes)),
			 (ssize_t)n);
	close(fd);
}

static void test_bits(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_BIT_SET, .id = 1 };
	u8 b[2];
	int m;

	fx.bit.slot = 2;
	fx.bit.region = 5;
	assert_int_equal(run_result(f, &fx), 0);
	fx.id = 2;
	fx.bit.region = 7;
	assert_int_equal(run_result(f, &fx), 0);
	fx.id = 3;
	fx.bit.region = 9;
	assert_int_equal(run_result(f, &fx), 0);
	for (m = 0; m < 3; m++) {
		slot_bytes(f, m, 2, b, 2);
		assert_int_equal(b[0], 0xa0);
		assert_int_equal(b[1], 0x02);
		slot_bytes(f, m, 1, b, 2);	/* other slots untouched */
		assert_int_equal(b[0] | b[1], 0);
	}
	fx.type = SM_FX_BIT_CLEAR;
	fx.id = 4;
	fx.bit.region = 5;
	assert_int_equal(run_result(f, &fx), 0);
	for (m = 0; m < 3; m++) {
		slot_bytes(f, m, 2, b, 2);
		assert_int_equal(b[0], 0x80);
		assert_int_equal(b[1], 0x02);
	}
}

static void test_bit_refused(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_BIT_SET, .id = 9 };
	u8 b[4096];
	int m;

	fx.bit.slot = 0;
	fx.bit.region = f->sb.regions;	/* one past the end */
	assert_int_equal(run_result(f, &fx), -EINVAL);
	fx.bit.slot = 32;
	fx.bit.region = 0;
	assert_int_equal(run_result(f, &fx), -EINVAL);
	for (m = 0; m < 3; m++) {
		size_t i;

		slot_bytes(f, m, 0, b, sizeof(b));
		for (i = 0; i < sizeof(b); i++)
			assert_int_equal(b[i], 0);
	}
}

static void facts(struct fix *f, struct sm_effect *fx, u64 events)
{
	u32 m;

	memset(fx, 0, sizeof(*fx));
	fx->type = SM_FX_WRITE_SB;
	fx->id = 20 + events;
	fx->sb.events = events;
	for (m = 0; m < 3; m++)
		fx->sb.member[m].state = DDRAID_MEMBER_ACTIVE;
}

static void read_sb(struct fix *f, int m, struct ddraid_sb *sb)
{
	char err[DDRAID_ERRMSG_MAX];

	assert_int_equal(ddraid_read_member_sb(f->path[m], sb, NULL, err,
					       sizeof(err)), 0);
}

static void test_write_sb(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx;
	struct ddraid_sb sb;

	facts(f, &fx, 5);
	fx.sb.member[1].state = DDRAID_MEMBER_FAILED;
	fx.sb.member[1].failed_events = 5;
	fx.sb.slots[0] = 42;
	assert_int_equal(run_result(f, &fx), 0);
	read_sb(f, 0, &sb);
	assert_int_equal(sb.events, 5);
	assert_int_equal(sb.member_index, 0);
	assert_int_equal(sb.member[1].state, DDRAID_MEMBER_FAILED);
	assert_int_equal(sb.member[1].failed_events, 5);
	assert_int_equal(sb.slot_nodeid[0], 42);
	read_sb(f, 2, &sb);
	assert_int_equal(sb.events, 5);
	assert_int_equal(sb.member_index, 2);
	/* The failed member is not written: it stays behind, stale. */
	read_sb(f, 1, &sb);
	assert_int_equal(sb.events, 1);
	assert_int_equal(sb.slot_nodeid[0], 0);

	/* An older coordinator's facts lower nothing; slots merge. */
	facts(f, &fx, 4);
	fx.sb.member[1].state = DDRAID_MEMBER_FAILED;
	fx.sb.slots[3] = 7;
	assert_int_equal(run_result(f, &fx), 0);
	read_sb(f, 0, &sb);
	assert_int_equal(sb.events, 5);
	assert_int_equal(sb.slot_nodeid[0], 42);
	assert_int_equal(sb.slot_nodeid[3], 7);
	assert_int_equal(sb.member[1].state, DDRAID_MEMBER_FAILED);
}

static void test_read_meta(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_BIT_SET, .id = 30 };
	struct io_done *d;

	fx.bit.slot = 4;
	fx.bit.region = 3;
	assert_int_equal(run_result(f, &fx), 0);
	fx.bit.slot = 6;
	fx.bit.region = 12;
	fx.id = 31;
	assert_int_equal(run_result(f, &fx), 0);
	memset(&fx, 0, sizeof(fx));
	fx.type = SM_FX_READ_META;
	fx.id = 32;
	d = run(f, &fx);
	assert_int_equal(d->result, 0);
	assert_int_equal(d->meta.events, 1);
	assert_int_equal(d->meta.member[2].state, DDRAID_MEMBER_ACTIVE);
	assert_non_null(d->meta.dirty);
	assert_int_equal(d->meta.dirty[0], 0x08);
	assert_int_equal(d->meta.dirty[1], 0x10);
	io_done_free(d);

	fx.type = SM_FX_READ_SLOT;
	fx.slot = 6;
	fx.id = 33;
	d = run(f, &fx);
	assert_int_equal(d->result, 0);
	assert_int_equal(d->bits[0], 0);
	assert_int_equal(d->bits[1], 0x10);
	io_done_free(d);
}

/* Fill the volume's first regions with a pattern through the engine. */
static void fill(struct fix *f, u64 blocks)
{
	const char *paths[3] = { f->path[0], f->path[1], f->path[2] };
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_vol *v;
	u8 *buf = malloc(blocks * 4096);
	u64 i;

	assert_non_null(buf);
	for (i = 0; i < blocks * 4096; i++)
		buf[i] = (u8)(i * 7 + i / 4096);
	assert_int_equal(ddraid_open(paths, 3, 0, &v, err, sizeof(err)), 0);
	assert_int_equal(ddraid_write(v, 0, buf, blocks * 4096), 0);
	ddraid_close(v);
	free(buf);
}

static u64 scrub_mismatches(struct fix *f)
{
	const char *paths[3] = { f->path[0], f->path[1], f->path[2] };
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_scrub_result res;
	struct ddraid_vol *v;

	assert_int_equal(ddraid_open(paths, 3, DDRAID_OPEN_RDONLY, &v, err,
				     sizeof(err)), 0);
	assert_int_equal(ddraid_scrub(v, 0, ddraid_vol_size(v) / 4096, false,
				      NULL, NULL, NULL, NULL, &res), 0);
	ddraid_close(v);
	return res.mismatches;
}

static void damage(struct fix *f, int m, u64 off, size_t len, u8 val)
{
	u8 *b = malloc(len);
	int fd = open(f->path[m], O_WRONLY);

	assert_non_null(b);
	assert_true(fd >= 0);
	memset(b, val, len);
	assert_int_equal(pwrite(fd, b, len, (off_t)off), (ssize_t)len);
	close(fd);
	free(b);
}

static void test_resync(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_RESYNC, .id = 40,
				  .count = 1 };
	u64 frag = 4096 / 2, rb = REGION / 4096;
	struct io_done *d;

	fill(f, 3 * rb);
	/* Torn parity in regions 1 and 2 (as a crash would leave). */
	damage(f, 2, f->sb.data_offset + rb * frag + 100, 4096, 0x5a);
	damage(f, 2, f->sb.data_offset + 2 * rb * frag, 512, 0xa5);
	assert_true(scrub_mismatches(f) >= 2);
	fx.region = 1;
	d = run(f, &fx);
	assert_int_equal(d->result, 0);
	assert_int_equal(d->resynced_blocks, rb);
	io_done_free(d);
	assert_int_equal(scrub_mismatches(f), 1);	/* region 2 left */
	fx.region = 2;
	fx.id = 41;
	assert_int_equal(run_result(f, &fx), 0);
	assert_int_equal(scrub_mismatches(f), 0);
	/* A member holds nothing valid there: parity is left alone. */
	damage(f, 2, f->sb.data_offset + rb * frag, 512, 0x33);
	fx.region = 1;
	fx.missing = 1u << 1;
	fx.id = 43;
	assert_int_equal(run_result(f, &fx), 0);
	assert_int_equal(scrub_mismatches(f), 1);
	fx.missing = 0;
	fx.region = f->sb.regions;
	fx.id = 42;
	assert_int_equal(run_result(f, &fx), -EINVAL);
}

static void test_rebuild(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_REBUILD, .id = 50,
				  .count = 1 };
	u64 frag = 4096 / 2, rb = REGION / 4096;
	size_t len = (size_t)(rb * frag);
	u8 *before = malloc(len), *after = malloc(len);
	int fd;

	assert_non_null(before);
	assert_non_null(after);
	fill(f, 2 * rb);
	fd = open(f->path[0], O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, before, len,
			       (off_t)(f->sb.data_offset + rb * frag)),
			 (ssize_t)len);
	damage(f, 0, f->sb.data_offset + rb * frag, len, 0);
	/* A write-intent bit of region 1 that member 0 lost with its data. */
	{
		struct sm_effect b = { .type = SM_FX_BIT_SET, .id = 49 };
		u8 x[1];

		b.bit.slot = 3;
		b.bit.region = 1;
		assert_int_equal(run_result(f, &b), 0);
		damage(f, 0, f->sb.bitmap_offset + 3 * f->sb.bitmap_slot_bytes,
		       4096, 0);
		slot_bytes(f, 0, 3, x, 1);
		assert_int_equal(x[0], 0);
	}
	fx.rebuild.member = 0;
	fx.rebuild.region = 1;
	assert_int_equal(run_result(f, &fx), 0);
	{
		u8 x[1];

		slot_bytes(f, 0, 3, x, 1);	/* the bit came back */
		assert_int_equal(x[0], 0x02);
	}
	assert_int_equal(pread(fd, after, len,
			       (off_t)(f->sb.data_offset + rb * frag)),
			 (ssize_t)len);
	close(fd);
	assert_memory_equal(before, after, len);
	assert_int_equal(scrub_mismatches(f), 0);
	free(before);
	free(after);
}

/*
 * A rebuild span: regions 1-3 of member 0 lost with its bits; region 2 is
 * torn (its returning fragments make the parity whole, so they stay and
 * the parity is recomputed from them), regions 1 and 3 are reconstructed
 * in one stream; the bits of the whole span come back.
 */
static void test_rebuild_span(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_REBUILD, .id = 60, .count = 3 };
	u64 frag = 4096 / 2, rb = REGION / 4096;
	size_t len = (size_t)(rb * frag);
	u64 at = f->sb.data_offset + rb * frag;
	u8 *before = malloc(3 * len), *after = malloc(3 * len);
	u8 x[1], zero[64] = { 0 };
	struct io_done *d;
	u32 r;
	int fd;

	assert_non_null(before);
	assert_non_null(after);
	fill(f, 4 * rb);
	for (r = 1; r <= 3; r += 2) {
		struct sm_effect b = { .type = SM_FX_BIT_SET, .id = 55 + r };

		b.bit.slot = 5;
		b.bit.region = r;
		assert_int_equal(run_result(f, &b), 0);
	}
	fd = open(f->path[0], O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, before, 3 * len, (off_t)at),
			 (ssize_t)(3 * len));
	damage(f, 0, at, 3 * len, 0);
	damage(f, 0, f->sb.bitmap_offset + 5 * f->sb.bitmap_slot_bytes, 4096,
	       0);
	fx.rebuild.member = 0;
	fx.rebuild.region = 1;
	fx.rebuild.torn = 1u << 1;
	d = run(f, &fx);
	assert_int_equal(d->result, 0);
	assert_int_equal(d->regions, 3);
	assert_int_equal(d->resynced_blocks, 3 * rb);
	io_done_free(d);
	slot_bytes(f, 0, 5, x, 1);	/* regions 1 and 3 marked again */
	assert_int_equal(x[0], 0x0a);
	assert_int_equal(pread(fd, after, 3 * len, (off_t)at),
			 (ssize_t)(3 * len));
	close(fd);
	assert_memory_equal(before, after, len);
	assert_memory_equal(before + 2 * len, after + 2 * len, len);
	/* the torn region kept member 0's (zeroed) fragments */
	assert_memory_equal(after + len, zero, sizeof(zero));
	assert_int_equal(scrub_mismatches(f), 0);
	/* a span past the volume, or of no region, is refused */
	fx.id = 61;
	fx.rebuild.region = f->sb.regions - 2;
	assert_int_equal(run_result(f, &fx), -EINVAL);
	fx.id = 62;
	fx.rebuild.region = 1;
	fx.count = 0;
	assert_int_equal(run_result(f, &fx), -EINVAL);
	free(before);
	free(after);
}

/*
 * A bit update moves one 4 KiB page per member, read and written, never
 * the whole slot; so does carrying the bits onto a rebuilt member.
 */
static void test_bit_one_page(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_BIT_SET, .id = 70 };
	u64 rd0, wr0, rd1, wr1, region = 2 * (u64)DDRAID_BITMAP_PAGE_BITS + 2;
	u64 frag_bytes = REGION / 2;
	u8 page[DDRAID_BITMAP_PAGE_BYTES];
	int m, fd;

	fx.bit.slot = 6;
	fx.bit.region = region;
	ddraid_io_bytes(f->vol, &rd0, &wr0);
	assert_int_equal(run_result(f, &fx), 0);
	ddraid_io_bytes(f->vol, &rd1, &wr1);
	assert_int_equal(rd1 - rd0, 3 * DDRAID_BITMAP_PAGE_BYTES);
	assert_int_equal(wr1 - wr0, 3 * DDRAID_BITMAP_PAGE_BYTES);
	for (m = 0; m < 3; m++) {
		fd = open(f->path[m], O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, page, sizeof(page),
				       (off_t)ddraid_bitmap_page_offset(&f->sb,
								6, 2)),
				 (ssize_t)sizeof(page));
		close(fd);
		assert_int_equal(page[0], 0x04);
	}
	fx.type = SM_FX_BIT_CLEAR;
	fx.id = 71;
	fx.bit.flush = 0;
	assert_int_equal(run_result(f, &fx), 0);
	ddraid_io_bytes(f->vol, &rd0, &wr0);
	assert_int_equal(rd0 - rd1, 3 * DDRAID_BITMAP_PAGE_BYTES);
	assert_int_equal(wr0 - wr1, 3 * DDRAID_BITMAP_PAGE_BYTES);

	/*
	 * Rebuild of one region onto member 2: the region's fragments from
	 * the other two, plus per slot one page from the others and one
	 * from member 2.
	 */
	fx.type = SM_FX_BIT_SET;
	fx.id = 72;
	assert_int_equal(run_result(f, &fx), 0);
	memset(page, 0, sizeof(page));
	fd = open(f->path[2], O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, page, sizeof(page),
				(off_t)ddraid_bitmap_page_offset(&f->sb, 6, 2)),
			 (ssize_t)sizeof(page));
	close(fd);
	memset(&fx, 0, sizeof(fx));
	fx.type = SM_FX_REBUILD;
	fx.id = 73;
	fx.rebuild.member = 2;
	fx.rebuild.region = region;
	fx.count = 1;
	ddraid_io_bytes(f->vol, &rd0, &wr0);
	assert_int_equal(run_result(f, &fx), 0);
	ddraid_io_bytes(f->vol, &rd1, &wr1);
	assert_int_equal(rd1 - rd0, 2 * frag_bytes +
			 DDRAID_BITMAP_SLOTS * 3 * DDRAID_BITMAP_PAGE_BYTES);
	/* the fragment, and the one page whose bit differed */
	assert_int_equal(wr1 - wr0, frag_bytes + DDRAID_BITMAP_PAGE_BYTES);
	fd = open(f->path[2], O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, page, sizeof(page),
			       (off_t)ddraid_bitmap_page_offset(&f->sb, 6, 2)),
			 (ssize_t)sizeof(page));
	close(fd);
	assert_int_equal(page[0], 0x04);	/* the bit came back */
}

static void test_member_path(void **state)
{
	struct fix *f = *state;
	struct sm_effect fx = { .type = SM_FX_MEMBER_PATH, .id = 60 };
	char newp[PATH_MAX + 32];

	/* A path that does not exist: refused, the member stays as it was. */
	snprintf(newp, sizeof(newp), "%s/nonexistent", f->dir);
	fx.rebuild.member = 1;
	fx.rebuild.path = newp;
	assert_true(run_result(f, &fx) < 0);
	/* The effect's path was copied: changing it later is harmless. */
	fx.id = 61;
	fx.type = SM_FX_BIT_SET;
	fx.bit.slot = 1;
	fx.bit.region = 0;
	assert_int_equal(run_result(f, &fx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bit_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_sb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuild_span, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_member_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bit_one_page, setup_big,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
