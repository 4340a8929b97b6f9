// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's data path: whole-block reads and writes cut into windows of
 * chunks, split into the members' layout, parity by XOR, degraded reads by
 * reconstruction, and the bookkeeping that makes a skipped member stale
 * before any write skips it.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "sb_io.h"

void ddraid_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int ddraid_set_err(struct ddraid_vol *vol, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vol->err, sizeof(vol->err), fmt, ap);
	va_end(ap);
	return ret;
}

const char *ddraid_errmsg(const struct ddraid_vol *vol)
{
	return vol->err;
}

const struct ddraid_sb *ddraid_vol_sb(const struct ddraid_vol *vol)
{
	return &vol->sb;
}

const struct ddraid_geom *ddraid_vol_geom(const struct ddraid_vol *vol)
{
	return &vol->g;
}

u64 ddraid_vol_size(const struct ddraid_vol *vol)
{
	return vol->sb.data_size;
}

bool ddraid_member_usable(const struct ddraid_vol *vol, u32 m)
{
	return vol->io.m[m].fd >= 0 && !vol->mem_failed[m] &&
	       vol->sb.member[m].state == DDRAID_MEMBER_ACTIVE;
}

bool ddraid_member_writable(const struct ddraid_vol *vol, u32 m)
{
	u32 st = vol->sb.member[m].state;

	return vol->io.m[m].fd >= 0 && !vol->mem_failed[m] &&
	       (st == DDRAID_MEMBER_ACTIVE || st == DDRAID_MEMBER_REBUILDING);
}

unsigned int ddraid_unusable_count(const struct ddraid_vol *vol)
{
	unsigned int m, c = 0;

	for (m = 0; m < vol->g.members; m++)
		c += !ddraid_member_usable(vol, m);
	return c;
}

int ddraid_vol_missing(const struct ddraid_vol *vol)
{
	u32 m;

	for (m = 0; m < vol->g.members; m++)
		if (!ddraid_member_usable(vol, m))
			return (int)m;
	return -1;
}

static const char *mpath(const struct ddraid_vol *vol, u32 m)
{
	return vol->path[m] ? vol->path[m] : DDRAID_MISSING;
}

/* Write the superblock to one member, as member @m. */
static int sb_write_member(struct ddraid_vol *vol, u32 m)
{
	struct ddraid_sb s = vol->sb;
	const char *why = NULL;
	int r;

	if (vol->io.m[m].inject_error)
		return -EIO;
	s.member_index = m;
	r = ddraid_sb_write_fd(vol->io.m[m].fd, &s, &why);
	if (r == -EINVAL && why)
		ddraid_set_err(vol, r, "superblock for member %u (%s) invalid: %s",
			       m, mpath(vol, m), why);
	return r;
}

int ddraid_sb_update_all(struct ddraid_vol *vol)
{
	u32 m, bad;
	int first = 0, r;

	vol->sb.utime = (u64)time(NULL);
	for (;;) {
		bad = 0;
		for (m = 0; m < vol->g.members; m++) {
			if (!ddraid_member_writable(vol, m))
				continue;
			r = sb_write_member(vol, m);
			if (r) {
				bad |= 1u << m;
				if (!first)
					first = r;
			}
		}
		/* Every member was written with the same update_seq. */
		vol->sb.update_seq++;
		if (!bad)
			return first;
		/*
		 * A member whose superblock cannot be written is failed in
		 * turn, and the others learn it (a new events value).
		 */
		vol->sb.events++;
		for (m = 0; m < vol->g.members; m++) {
			if (!(bad & (1u << m)))
				continue;
			vol->sb.member[m].state = DDRAID_MEMBER_FAILED;
			vol->sb.member[m].recovery_block = 0;
			vol->sb.member[m].failed_events = vol->sb.events;
			ddraid_mio_close(&vol->io, m);
		}
	}
}

int ddraid_record_failed(struct ddraid_vol *vol, u32 mask, const char *why)
{
	u32 m, newly = 0;
	int r;

	if (vol->flags & DDRAID_OPEN_RDONLY) {
		/* Nothing may be written: forget the member in memory only. */
		for (m = 0; m < vol->g.members; m++)
			if (mask & (1u << m))
				vol->mem_failed[m] = true;
		return 0;
	}
	for (m = 0; m < vol->g.members; m++) {
		if (!(mask & (1u << m)))
			continue;
		if (vol->sb.member[m].state != DDRAID_MEMBER_FAILED)
			newly |= 1u << m;
		ddraid_mio_close(&vol->io, m);
		vol->mem_failed[m] = false;
	}
	if (!newly)
		return 0;
	vol->sb.events++;
	for (m = 0; m < vol->g.members; m++) {
		if (!(newly & (1u << m)))
			continue;
		vol->sb.member[m].state = DDRAID_MEMBER_FAILED;
		vol->sb.member[m].recovery_block = 0;
		/* Its own superblock stays at events - 1 or older. */
		vol->sb.member[m].failed_events = vol->sb.events;
	}
	r = ddraid_sb_update_all(vol);
	for (m = 0; m < vol->g.members; m++)
		if (mask & (1u << m))
			ddraid_set_err(vol, 0,
				       "member %u (%s) failed (%s); recorded failed on the others, events %llu",
				       m, mpath(vol, m), why,
				       (unsigned long long)vol->sb.events);
	return r;
}

/*
 * Before the first write that skips a member, that member must be on
 * record as failed on every member that is written: otherwise, assembled
 * later, its stale fragments would be read as good.
 */
static int record_skipped(struct ddraid_vol *vol)
{
	u32 m, mask = 0;

	for (m = 0; m < vol->g.members; m++)
		if (!ddraid_member_writable(vol, m) &&
		    vol->sb.member[m].state != DDRAID_MEMBER_FAILED)
			mask |= 1u << m;
	return mask ? ddraid_record_failed(vol, mask, "absent, skipped by a write")
		    : 0;
}

u32 ddraid_window_io(struct ddraid_vol *vol, const struct ddraid_extent *ex,
		     unsigned int nex, u32 mask, bool write, u8 *const *bufs)
{
	const struct ddraid_geom *g = &vol->g;
	struct ddraid_mio_req *r = vol->reqs;
	unsigned int e, n = 0, i;
	u64 pos = 0, j, cnt;
	u32 m, failed = 0;

	for (e = 0; e < nex; e++) {
		for (j = 0; j < ex[e].nblocks; j += cnt) {
			cnt = ex[e].nblocks - j;
			if (cnt > DDRAID_CHUNK_BLOCKS)
				cnt = DDRAID_CHUNK_BLOCKS;
			for (m = 0; m < g->members; m++) {
				u8 *b = bufs ? bufs[m] : vol->buf[m];

				if (!(mask & (1u << m)))
					continue;
				r[n].member = m;
				r[n].write = write;
				r[n].off = ddraid_member_offset(g, ex[e].block + j);
				r[n].buf = b + ddraid_member_bytes(g, pos + j);
				r[n].len = (size_t)ddraid_member_bytes(g, cnt);
				n++;
			}
		}
		pos += ex[e].nblocks;
	}
	if (!ddraid_mio_run(&vol->io, r, n))
		return 0;
	for (i = 0; i < n; i++)
		if (r[i].res)
			failed |= 1u << r[i].member;
	return failed;
}

static u64 extents_blocks(const struct ddraid_extent *ex, unsigned int nex)
{
	u64 t = 0;
	unsigned int e;

	for (e = 0; e < nex; e++)
		t += ex[e].nblocks;
	return t;
}

static u32 data_mask(const struct ddraid_geom *g)
{
	return (1u << g->data_members) - 1;
}

static int rw_fail_eio(struct ddraid_vol *vol, const struct ddraid_extent *ex,
		       bool write)
{
	u32 m;
	size_t len = 0;
	char list[DDRAID_ERRMSG_MAX / 2];

	list[0] = 0;
	for (m = 0; m < vol->g.members; m++)
		if (!ddraid_member_usable(vol, m))
			len += (size_t)snprintf(list + len,
						len < sizeof(list) ? sizeof(list) - len : 0,
						" %u (%s)", m, mpath(vol, m));
	return ddraid_set_err(vol, -EIO,
			      "%s at block %llu failed: more than one member unavailable:%s",
			      write ? "write" : "read",
			      (unsigned long long)ex->block, list);
}

static int write_extents(struct ddraid_vol *vol, struct ddraid_extent *ex,
			 unsigned int nex, u64 total)
{
	const struct ddraid_geom *g = &vol->g;
	u64 pos = 0;
	unsigned int e;
	u32 m, mask, fail;
	int r;

	r = record_skipped(vol);
	if (r < 0)
		return ddraid_set_err(vol, r, "could not record a skipped member failed: %s",
				      strerror(-r));
	if (ddraid_unusable_count(vol) > 1)
		return rw_fail_eio(vol, ex, true);
	for (e = 0; e < nex; e++) {
		void *dst[DDRAID_MAX_MEMBERS];

		for (m = 0; m < g->data_members; m++)
			dst[m] = vol->buf[m] + ddraid_member_bytes(g, pos);
		ddraid_split_blocks(g, ex[e].data, ex[e].nblocks, dst);
		pos += ex[e].nblocks;
	}
	ddraid_parity_members(g, ddraid_xor, (const void *const *)vol->buf,
			      total, vol->buf[g->parity_member]);
	mask = 0;
	for (m = 0; m < g->members; m++)
		if (ddraid_member_writable(vol, m))
			mask |= 1u << m;
	fail = ddraid_window_io(vol, ex, nex, mask, true, NULL);
	if (fail) {
		/*
		 * The others hold the new data: the write is complete once
		 * the failed member is on record, unless redundancy is gone.
		 */
		r = ddraid_record_failed(vol, fail, "write error");
		if (ddraid_unusable_count(vol) > 1)
			return rw_fail_eio(vol, ex, true);
		if (r < 0)
			return ddraid_set_err(vol, r, "could not record member failure: %s",
					      strerror(-r));
	}
	return 0;
}

static int read_extents(struct ddraid_vol *vol, struct ddraid_extent *ex,
			unsigned int nex, u64 total)
{
	const struct ddraid_geom *g = &vol->g;
	unsigned int e;
	u64 pos = 0;
	u32 mask, fail;
	int u, r;

	for (;;) {
		if (ddraid_unusable_count(vol) > 1)
			return rw_fail_eio(vol, ex, false);
		u = ddraid_vol_missing(vol);
		mask = data_mask(g);
		if (u >= 0 && (u32)u != g->parity_member)
			mask = ((1u << g->members) - 1) & ~(1u << u);
		fail = ddraid_window_io(vol, ex, nex, mask, false, NULL);
		if (!fail)
			break;
		/* Fail the member, then read the window again without it. */
		r = ddraid_record_failed(vol, fail, "read error");
		if (r < 0 && ddraid_unusable_count(vol) <= 1)
			return ddraid_set_err(vol, r, "could not record member failure: %s",
					      strerror(-r));
	}
	if (u >= 0 && (u32)u != g->parity_member)
		ddraid_reconstruct_member(g, ddraid_xor, (void *const *)vol->buf,
					  (u32)u, total);
	for (e = 0; e < nex; e++) {
		const void *src[DDRAID_MAX_MEMBERS];
		u32 m;

		for (m = 0; m < g->data_members; m++)
			src[m] = vol->buf[m] + ddraid_member_bytes(g, pos);
		ddraid_join_blocks(g, src, ex[e].nblocks, ex[e].data);
		pos += ex[e].nblocks;
	}
	return 0;
}

int ddraid_rw_extents(struct ddraid_vol *vol, struct ddraid_extent *ex,
		      unsigned int nex, bool write)
{
	u64 total = extents_blocks(ex, nex);
	unsigned int e;

	if (total > DDRAID_WINDOW_BLOCKS)
		return ddraid_set_err(vol, -EINVAL, "batch of %llu blocks exceeds %u",
				      (unsigned long long)total,
				      DDRAID_WINDOW_BLOCKS);
	for (e = 0; e < nex; e++)
		if (ex[e].block > vol->g.blocks ||
		    ex[e].nblocks > vol->g.blocks - ex[e].block)
			return ddraid_set_err(vol, -EINVAL,
					      "blocks %llu+%llu beyond the volume (%llu blocks)",
					      (unsigned long long)ex[e].block,
					      (unsigned long long)ex[e].nblocks,
					      (unsigned long long)vol->g.blocks);
	if (write && (vol->flags & DDRAID_OPEN_RDONLY))
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	return write ? write_extents(vol, ex, nex, total) :
		       read_extents(vol, ex, nex, total);
}

static int check_range(struct ddraid_vol *vol, u64 offset, size_t len,
		       bool write)
{
	if (offset % DDRAID_BLOCK_SIZE || len % DDRAID_BLOCK_SIZE)
		return ddraid_set_err(vol, -EINVAL,
				      "%s at offset %llu length %zu: both must be multiples of %u (whole blocks)",
				      write ? "write" : "read",
				      (unsigned long long)offset, len,
				      DDRAID_BLOCK_SIZE);
	if (offset > vol->sb.data_size || len > vol->sb.data_size - offset)
		return ddraid_set_err(vol, write ? -ENOSPC : -EINVAL,
				      "%s at offset %llu length %zu goes beyond the end of the volume (%llu bytes)",
				      write ? "write" : "read",
				      (unsigned long long)offset, len,
				      (unsigned long long)vol->sb.data_size);
	if (write && (vol->flags & DDRAID_OPEN_RDONLY))
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	return 0;
}

static int rw(struct ddraid_vol *vol, u64 offset, u8 *buf, size_t len,
	      bool write)
{
	u64 block = offset >> DDRAID_BLOCK_SHIFT;
	u64 left = len >> DDRAID_BLOCK_SHIFT;
	int r = check_range(vol, offset, len, write);

	while (!r && left) {
		struct ddraid_extent ex = {
			.block = block,
			.nblocks = left < DDRAID_WINDOW_BLOCKS ? left :
							      DDRAID_WINDOW_BLOCKS,
			.data = buf,
		};

		r = ddraid_rw_extents(vol, &ex, 1, write);
		block += ex.nblocks;
		left -= ex.nblocks;
		buf += ex.nblocks << DDRAID_BLOCK_SHIFT;
	}
	return r;
}

int ddraid_read(struct ddraid_vol *vol, u64 offset, void *buf, size_t len)
{
	return rw(vol, offset, buf, len, false);
}

int ddraid_write(struct ddraid_vol *vol, u64 offset, const void *buf,
		 size_t len)
{
	/* The write path only reads from ex.data. */
	return rw(vol, offset, (u8 *)(uintptr_t)buf, len, true);
}

int ddraid_flush(struct ddraid_vol *vol)
{
	u32 m, fail = 0;
	int r;

	if (vol->flags & DDRAID_OPEN_RDONLY)
		return 0;
	for (m = 0; m < vol->g.members; m++)
		if (ddraid_member_writable(vol, m) && ddraid_mio_sync(&vol->io, m))
			fail |= 1u << m;
	if (!fail)
		return 0;
	r = ddraid_record_failed(vol, fail, "flush error");
	if (ddraid_unusable_count(vol) > 1)
		return ddraid_set_err(vol, -EIO,
				      "flush failed: more than one member unavailable");
	return r;
}

int ddraid_fail_member(struct ddraid_vol *vol, u32 m)
{
	if (m >= vol->g.members)
		return ddraid_set_err(vol, -EINVAL, "member %u out of range (volume has %u)",
				      m, vol->g.members);
	if (vol->flags & DDRAID_OPEN_RDONLY)
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	if (vol->sb.member[m].state == DDRAID_MEMBER_FAILED)
		return 0;
	if (ddraid_member_usable(vol, m) && ddraid_unusable_count(vol) >= 1)
		return ddraid_set_err(vol, -EBUSY,
				      "refusing to fail member %u (%s): member %d is already unavailable, the volume would be lost",
				      m, mpath(vol, m), ddraid_vol_missing(vol));
	return ddraid_record_failed(vol, 1u << m, "failed on request");
}

void ddraid_set_member_throttle(struct ddraid_vol *vol, u64 bytes_per_sec,
				u64 iops)
{
	u32 m;

	for (m = 0; m < DDRAID_MAX_MEMBERS; m++)
		ddraid_throttle_set(&vol->io.m[m].th, bytes_per_sec, iops);
}

void ddraid_inject_member_error(struct ddraid_vol *vol, int m)
{
	u32 i;

	for (i = 0; i < DDRAID_MAX_MEMBERS; i++)
		vol->io.m[i].inject_error = m >= 0 && (u32)m == i;
}
