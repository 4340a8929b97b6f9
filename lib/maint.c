// SPDX-License-Identifier: GPL-2.0-only
/*
 * Long maintenance operations over ranges of blocks: parity resync, scrub
 * (verify, optionally repair) and rebuild of a member onto a new device,
 * resumable from the recovery offset kept in the superblocks.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine_internal.h"
#include "sb_io.h"

/* Rebuild progress is made durable at least this often. */
#define REBUILD_CKPT_BLOCKS	32768u

static const char *mpath(const struct ddraid_vol *vol, u32 m)
{
	return vol->path[m] ? vol->path[m] : DDRAID_MISSING;
}

static u32 all_mask(const struct ddraid_geom *g)
{
	return (1u << g->members) - 1;
}

static int check_blocks(struct ddraid_vol *vol, const char *op, u64 first,
			u64 nblocks)
{
	if (first > vol->g.blocks || nblocks > vol->g.blocks - first)
		return ddraid_set_err(vol, -EINVAL,
				      "%s of blocks %llu+%llu: beyond the volume (%llu blocks)",
				      op, (unsigned long long)first,
				      (unsigned long long)nblocks,
				      (unsigned long long)vol->g.blocks);
	return 0;
}

/* Resync and scrub compare every member: all must be there. */
static int need_all(struct ddraid_vol *vol, const char *op)
{
	u32 m;

	for (m = 0; m < vol->g.members; m++)
		if (!ddraid_member_usable(vol, m))
			return ddraid_set_err(vol, -ENODEV,
					      "%s needs every member: member %u (%s) is %s",
					      op, m, mpath(vol, m),
					      vol->io.m[m].fd < 0 ? "missing" :
					      ddraid_member_state_name(vol->sb.member[m].state));
	return 0;
}

static int io_failed(struct ddraid_vol *vol, const char *op, u32 fail, u64 b)
{
	u32 m;

	for (m = 0; !(fail & (1u << m)); m++)
		;
	ddraid_record_failed(vol, fail, "IO error");
	return ddraid_set_err(vol, -EIO, "%s at block %llu: IO error on member %u (%s), recorded failed",
			      op, (unsigned long long)b, m, mpath(vol, m));
}

static int stopped(struct ddraid_vol *vol, const char *op, u64 b)
{
	return ddraid_set_err(vol, -ECANCELED, "%s stopped at block %llu", op,
			      (unsigned long long)b);
}

int ddraid_resync(struct ddraid_vol *vol, u64 first, u64 nblocks,
		  ddraid_progress_fn progress, void *arg)
{
	const struct ddraid_geom *g = &vol->g;
	u64 done = 0;
	u32 fail;
	int r;

	r = check_blocks(vol, "resync", first, nblocks);
	if (r)
		return r;
	if (vol->flags & DDRAID_OPEN_RDONLY)
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	r = need_all(vol, "resync");
	if (r)
		return r;
	while (done < nblocks) {
		struct ddraid_extent ex = { .block = first + done };

		ex.nblocks = nblocks - done;
		if (ex.nblocks > DDRAID_WINDOW_BLOCKS)
			ex.nblocks = DDRAID_WINDOW_BLOCKS;
		fail = ddraid_window_io(vol, &ex, 1, (1u << g->data_members) - 1,
					false, NULL);
		if (fail)
			return io_failed(vol, "resync", fail, ex.block);
		ddraid_parity_members(g, ddraid_xor, (const void *const *)vol->buf,
				      ex.nblocks, vol->buf[g->parity_member]);
		fail = ddraid_window_io(vol, &ex, 1, 1u << g->parity_member,
					true, NULL);
		if (fail)
			return io_failed(vol, "resync", fail, ex.block);
		done += ex.nblocks;
		if (progress && progress(arg, done, nblocks))
			return stopped(vol, "resync", first + done);
	}
	return 0;
}

/* Rewrite the parity of the mismatching blocks of one window. */
static u32 repair_parity(struct ddraid_vol *vol, u64 block, const u8 *bad,
			 u64 nblocks)
{
	const struct ddraid_geom *g = &vol->g;
	struct ddraid_mio_req *r = vol->reqs;
	unsigned int n = 0, i;
	u64 j = 0, e;

	while (j < nblocks) {
		if (!bad[j]) {
			j++;
			continue;
		}
		for (e = j; e < nblocks && bad[e]; e++)
			;
		r[n].member = g->parity_member;
		r[n].write = true;
		r[n].off = ddraid_member_offset(g, block + j);
		r[n].buf = vol->buf[g->members] + ddraid_member_bytes(g, j);
		r[n].len = (size_t)ddraid_member_bytes(g, e - j);
		n++;
		j = e;
	}
	if (!ddraid_mio_run(&vol->io, r, n))
		return 0;
	for (i = 0; i < n; i++)
		if (r[i].res)
			return 1u << g->parity_member;
	return 0;
}

int ddraid_scrub(struct ddraid_vol *vol, u64 first, u64 nblocks, bool repair,
		 ddraid_mismatch_fn on_mismatch, void *mismatch_arg,
		 ddraid_progress_fn progress, void *arg,
		 struct ddraid_scrub_result *res)
{
	const struct ddraid_geom *g = &vol->g;
	struct ddraid_scrub_result local;
	u8 bad[DDRAID_WINDOW_BLOCKS];
	u64 done = 0, j, nbad;
	u32 fail, f = g->frag_size;
	int r;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	r = check_blocks(vol, "scrub", first, nblocks);
	if (r)
		return r;
	if (repair && (vol->flags & DDRAID_OPEN_RDONLY))
		return ddraid_set_err(vol, -EROFS,
				      "scrub repair: volume is open read-only");
	r = need_all(vol, "scrub");
	if (r)
		return r;
	while (done < nblocks) {
		struct ddraid_extent ex = { .block = first + done };
		const u8 *par = vol->buf[g->parity_member];
		const u8 *calc = vol->buf[g->members];

		ex.nblocks = nblocks - done;
		if (ex.nblocks > DDRAID_WINDOW_BLOCKS)
			ex.nblocks = DDRAID_WINDOW_BLOCKS;
		fail = ddraid_window_io(vol, &ex, 1, all_mask(g), false, NULL);
		if (fail)
			return io_failed(vol, "scrub", fail, ex.block);
		ddraid_parity_members(g, ddraid_xor, (const void *const *)vol->buf,
				      ex.nblocks, vol->buf[g->members]);
		nbad = 0;
		for (j = 0; j < ex.nblocks; j++) {
			bad[j] = memcmp(par + j * f, calc + j * f, f) != 0;
			if (!bad[j])
				continue;
			nbad++;
			if (on_mismatch)
				on_mismatch(mismatch_arg, ex.block + j);
		}
		res->checked += ex.nblocks;
		res->mismatches += nbad;
		if (repair && nbad) {
			fail = repair_parity(vol, ex.block, bad, ex.nblocks);
			if (fail)
				return io_failed(vol, "scrub repair", fail,
						 ex.block);
			res->repaired += nbad;
		}
		done += ex.nblocks;
		if (progress && progress(arg, done, nblocks))
			return stopped(vol, "scrub", first + done);
	}
	return 0;
}

/* Is @path the same file or device as an open member other than @m? */
static int same_as_other(struct ddraid_vol *vol, u32 m, int fd)
{
	struct stat a, b;
	u32 j;

	if (fstat(fd, &a))
		return -1;
	for (j = 0; j < vol->g.members; j++) {
		if (j == m || vol->io.m[j].fd < 0 || fstat(vol->io.m[j].fd, &b))
			continue;
		if (S_ISBLK(a.st_mode) ? a.st_rdev == b.st_rdev :
					 (a.st_dev == b.st_dev &&
					  a.st_ino == b.st_ino))
			return (int)j;
	}
	return -1;
}

/*
 * Can the rebuild of @m onto the member just opened continue where it
 * stopped? Only if that member is the rebuild target on record and
 * nothing changed state since (same events).
 */
static bool can_resume(struct ddraid_vol *vol, u32 m)
{
	struct ddraid_sb s;

	if (vol->sb.member[m].state != DDRAID_MEMBER_REBUILDING)
		return false;
	if (ddraid_sb_read_fd(vol->io.m[m].fd, &s, NULL) < 0)
		return false;
	return ddraid_sb_same_volume(&s, &vol->sb) && s.member_index == m &&
	       s.events == vol->sb.events &&
	       s.member[m].state == DDRAID_MEMBER_REBUILDING;
}

/* Give the new member the write-intent record of the others. */
static int copy_bitmaps(struct ddraid_vol *vol, u32 m)
{
	u8 *map = malloc((size_t)vol->sb.bitmap_slot_bytes);
	u32 slot, others = all_mask(&vol->g) & ~(1u << m);
	int r = 0;

	if (!map)
		return -ENOMEM;
	for (slot = 0; !r && slot < vol->sb.bitmap_slots; slot++) {
		r = ddraid_bitmap_read_mask(vol, slot, map, others);
		if (!r)
			r = ddraid_bitmap_write_mask(vol, slot, map, 1u << m);
	}
	free(map);
	return r;
}

static int rebuild_open(struct ddraid_vol *vol, u32 m, const char *newpath)
{
	char err[DDRAID_ERRMSG_MAX];
	int r, other;

	ddraid_mio_close(&vol->io, m);
	free(vol->path[m]);
	vol->path[m] = NULL;
	vol->mem_failed[m] = false;
	r = ddraid_mio_open(&vol->io, m, newpath, false,
			    vol->flags & DDRAID_OPEN_BUFFERED);
	if (r)
		return ddraid_set_err(vol, r, "rebuild target %s: cannot open: %s",
				      newpath, strerror(-r));
	other = same_as_other(vol, m, vol->io.m[m].fd);
	if (other >= 0) {
		ddraid_mio_close(&vol->io, m);
		return ddraid_set_err(vol, -EINVAL,
				      "rebuild target %s is member %d (%s) of this volume",
				      newpath, other, mpath(vol, (u32)other));
	}
	vol->path[m] = strdup(newpath);
	if (!vol->path[m]) {
		ddraid_mio_close(&vol->io, m);
		return ddraid_set_err(vol, -ENOMEM, "out of memory");
	}
	r = ddraid_check_member_fit(vol, m, err, sizeof(err));
	if (r) {
		ddraid_mio_close(&vol->io, m);
		return ddraid_set_err(vol, r, "rebuild target: %s", err);
	}
	return 0;
}

/* Make the new member's progress durable, then record it. */
static int checkpoint(struct ddraid_vol *vol, u32 m, u64 b)
{
	int r = ddraid_mio_sync(&vol->io, m);

	if (r)
		return r;
	vol->sb.member[m].recovery_block = b;
	return ddraid_sb_update_all(vol);
}

static int rebuild_blocks(struct ddraid_vol *vol, u32 m, u64 b,
			  ddraid_progress_fn progress, void *arg)
{
	const struct ddraid_geom *g = &vol->g;
	u64 ckpt = b;
	u32 fail;
	int r;

	while (b < g->blocks) {
		struct ddraid_extent ex = { .block = b };
		bool stop;

		ex.nblocks = g->blocks - b;
		if (ex.nblocks > DDRAID_WINDOW_BLOCKS)
			ex.nblocks = DDRAID_WINDOW_BLOCKS;
		fail = ddraid_window_io(vol, &ex, 1, all_mask(g) & ~(1u << m),
					false, NULL);
		if (fail)
			return io_failed(vol, "rebuild", fail, b);
		ddraid_reconstruct_member(g, ddraid_xor, (void *const *)vol->buf,
					  m, ex.nblocks);
		fail = ddraid_window_io(vol, &ex, 1, 1u << m, true, NULL);
		if (fail)
			return io_failed(vol, "rebuild", fail, b);
		b += ex.nblocks;
		stop = progress && progress(arg, b, g->blocks);
		if (b < g->blocks && (stop || b - ckpt >= REBUILD_CKPT_BLOCKS)) {
			r = checkpoint(vol, m, b);
			if (r)
				return ddraid_set_err(vol, r,
						      "rebuild: recording progress at block %llu failed: %s",
						      (unsigned long long)b,
						      strerror(-r));
			ckpt = b;
		}
		if (stop && b < g->blocks)
			return ddraid_set_err(vol, -ECANCELED,
					      "rebuild of member %u (%s) stopped at block %llu of %llu; run it again with the same target to resume",
					      m, mpath(vol, m), (unsigned long long)b,
					      (unsigned long long)g->blocks);
	}
	return 0;
}

int ddraid_rebuild(struct ddraid_vol *vol, u32 m, const char *newpath,
		   ddraid_progress_fn progress, void *arg)
{
	const struct ddraid_geom *g = &vol->g;
	u64 start = 0;
	u32 j;
	int r;

	if (m >= g->members)
		return ddraid_set_err(vol, -EINVAL, "member %u out of range (volume has %u)",
				      m, g->members);
	if (!newpath || !*newpath || !strcmp(newpath, DDRAID_MISSING))
		return ddraid_set_err(vol, -EINVAL, "rebuild needs a target path");
	if (vol->flags & DDRAID_OPEN_RDONLY)
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	if (ddraid_member_usable(vol, m))
		return ddraid_set_err(vol, -EBUSY,
				      "member %u (%s) is active: fail it before rebuilding it",
				      m, mpath(vol, m));
	for (j = 0; j < g->members; j++)
		if (j != m && !ddraid_member_usable(vol, j))
			return ddraid_set_err(vol, -ENODEV,
					      "cannot rebuild member %u: member %u (%s) is unavailable too",
					      m, j, mpath(vol, j));
	r = rebuild_open(vol, m, newpath);
	if (r)
		return r;
	if (can_resume(vol, m)) {
		start = vol->sb.member[m].recovery_block;
	} else {
		/* Bitmaps first: the member is not on record until its sb. */
		r = copy_bitmaps(vol, m);
		if (!r && vol->io.m[m].fd < 0)
			r = -EIO;
		if (r) {
			ddraid_mio_close(&vol->io, m);
			return ddraid_set_err(vol, r, "rebuild target %s: writing write-intent slots failed: %s",
					      newpath, strerror(-r));
		}
		vol->sb.member[m].state = DDRAID_MEMBER_REBUILDING;
		vol->sb.member[m].recovery_block = 0;
		vol->sb.member[m].failed_events = 0;
		vol->sb.events++;
		r = ddraid_sb_update_all(vol);
		if (r)
			return ddraid_set_err(vol, r, "rebuild: recording member %u rebuilding failed: %s",
					      m, strerror(-r));
	}
	r = rebuild_blocks(vol, m, start, progress, arg);
	if (r)
		return r;
	r = ddraid_mio_sync(&vol->io, m);
	if (r)
		return io_failed(vol, "rebuild flush", 1u << m, g->blocks);
	vol->sb.member[m].state = DDRAID_MEMBER_ACTIVE;
	vol->sb.member[m].recovery_block = 0;
	vol->sb.member[m].failed_events = 0;
	vol->sb.events++;
	r = ddraid_sb_update_all(vol);
	if (r)
		return ddraid_set_err(vol, r, "rebuild: recording member %u active failed: %s",
				      m, strerror(-r));
	return 0;
}
