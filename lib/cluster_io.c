// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cluster-mode member IO (lib/cluster_io.h): the engine's window IO and
 * parity without its standalone failure recording.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "cluster_io.h"
#include "sb_io.h"

u32 ddraid_cl_writable_mask(const struct ddraid_vol *vol)
{
	u32 m, mask = 0;

	for (m = 0; m < vol->g.members; m++)
		if (ddraid_member_writable(vol, m))
			mask |= 1u << m;
	return mask;
}

static u32 usable_mask(const struct ddraid_vol *vol)
{
	u32 m, mask = 0;

	for (m = 0; m < vol->g.members; m++)
		if (ddraid_member_usable(vol, m))
			mask |= 1u << m;
	return mask;
}

static int popcount(u32 x)
{
	return __builtin_popcount(x);
}

static int check_range(struct ddraid_vol *vol, u64 block, u64 nblocks)
{
	if (block > vol->g.blocks || nblocks > vol->g.blocks - block)
		return ddraid_set_err(vol, -EINVAL,
				      "blocks %llu+%llu beyond the volume (%llu blocks)",
				      (unsigned long long)block,
				      (unsigned long long)nblocks,
				      (unsigned long long)vol->g.blocks);
	return 0;
}

static u64 window(u64 left)
{
	return left < DDRAID_WINDOW_BLOCKS ? left : DDRAID_WINDOW_BLOCKS;
}

int ddraid_cl_write(struct ddraid_vol *vol, u64 block, u64 nblocks,
		    const void *data, u32 skip, u32 *failed)
{
	const struct ddraid_geom *g = &vol->g;
	const u8 *p = data;
	u32 all = (1u << g->members) - 1;
	u32 mask, fail;
	int r = check_range(vol, block, nblocks);

	*failed = 0;
	if (r)
		return r;
	while (nblocks) {
		struct ddraid_extent ex = { .block = block,
					    .nblocks = window(nblocks) };
		void *dst[DDRAID_MAX_MEMBERS];
		u32 m;

		mask = ddraid_cl_writable_mask(vol) & ~skip & ~*failed;
		if (popcount(all & ~mask) > 1)
			return ddraid_set_err(vol, -EIO,
					      "write at block %llu: more than one member unavailable",
					      (unsigned long long)block);
		for (m = 0; m < g->data_members; m++)
			dst[m] = vol->buf[m];
		ddraid_split_blocks(g, p, ex.nblocks, dst);
		ddraid_parity_members(g, ddraid_xor,
				      (const void *const *)vol->buf,
				      ex.nblocks, vol->buf[g->parity_member]);
		fail = ddraid_window_io(vol, &ex, 1, mask, true, NULL);
		*failed |= fail;
		if (popcount(all & ~(mask & ~fail)) > 1)
			return ddraid_set_err(vol, -EIO,
					      "write at block %llu: more than one member failed",
					      (unsigned long long)block);
		block += ex.nblocks;
		nblocks -= ex.nblocks;
		p += ex.nblocks << DDRAID_BLOCK_SHIFT;
	}
	return 0;
}

int ddraid_cl_read(struct ddraid_vol *vol, u64 block, u64 nblocks, void *data,
		   u32 skip, u32 *failed)
{
	const struct ddraid_geom *g = &vol->g;
	u32 all = (1u << g->members) - 1;
	u8 *p = data;
	int r = check_range(vol, block, nblocks);

	*failed = 0;
	if (r)
		return r;
	while (nblocks) {
		struct ddraid_extent ex = { .block = block,
					    .nblocks = window(nblocks) };
		const void *src[DDRAID_MAX_MEMBERS];
		u32 m, ok, mask, fail;
		int missing = -1;

		ok = usable_mask(vol) & ~skip & ~*failed;
		if (popcount(all & ~ok) > 1)
			return ddraid_set_err(vol, -EIO,
					      "read at block %llu: more than one member unavailable",
					      (unsigned long long)block);
		mask = (1u << g->data_members) - 1;
		for (m = 0; m < g->data_members; m++)
			if (!(ok & (1u << m)))
				missing = (int)m;
		if (missing >= 0)
			mask = ok;
		fail = ddraid_window_io(vol, &ex, 1, mask, false, NULL);
		if (fail) {
			/* Read the window again without the failed member. */
			*failed |= fail;
			continue;
		}
		if (missing >= 0)
			ddraid_reconstruct_member(g, ddraid_xor,
						  (void *const *)vol->buf,
						  (u32)missing, ex.nblocks);
		for (m = 0; m < g->data_members; m++)
			src[m] = vol->buf[m];
		ddraid_join_blocks(g, src, ex.nblocks, p);
		block += ex.nblocks;
		nblocks -= ex.nblocks;
		p += ex.nblocks << DDRAID_BLOCK_SHIFT;
	}
	return 0;
}

/*
 * A rebuild is a pipeline of chunks: each is read from the other members
 * into a slot of the window buffers, rebuilt there and written to the
 * member, while the next chunk is read. The others' reads and the
 * member's writes then run at the same time, so the rebuild goes at the
 * speed of the slowest disk, not of a read plus a write (one after the
 * other it ran at 0.46 x one member in bench-intent.sh). RB_AHEAD chunks
 * are read at once: more would only share the disks' bandwidth and start
 * the first write later.
 */
#define RB_CHUNK_BLOCKS	128u
#define RB_SLOTS	(DDRAID_WINDOW_BLOCKS / RB_CHUNK_BLOCKS)
#define RB_AHEAD	2u

enum rb_state { RB_FREE, RB_READING, RB_READ, RB_WRITING };

struct rb_slot {
	enum rb_state state;
	u64 block, nblocks;
	u32 pending;		/* member requests in flight */
	u32 fail;		/* members whose request failed */
	struct ddraid_mio_req req[DDRAID_MAX_MEMBERS];
};

/* One member request of a slot has ended (from ddraid_mio_pump()). */
static void rb_req_end(struct ddraid_mio_req *r)
{
	struct rb_slot *s = r->priv;

	if (r->res)
		s->fail |= 1u << r->member;
	if (--s->pending)
		return;
	s->state = s->state == RB_READING ? RB_READ : RB_FREE;
}

/* Member @b's bytes of pipeline slot @i in the window buffers. */
static u8 *rb_buf(struct ddraid_vol *vol, u32 b, u32 i)
{
	return vol->buf[b] + ddraid_member_bytes(&vol->g, i * RB_CHUNK_BLOCKS);
}

/* Queue slot @i's requests to the members in @mask (read or write). */
static void rb_issue(struct ddraid_vol *vol, struct rb_slot *slot, u32 i,
		     u32 mask, bool write)
{
	const struct ddraid_geom *g = &vol->g;
	struct rb_slot *s = &slot[i];
	u32 b;

	s->state = write ? RB_WRITING : RB_READING;
	s->pending = 0;
	for (b = 0; b < g->members; b++) {
		struct ddraid_mio_req *r = &s->req[b];

		if (!(mask & (1u << b)))
			continue;
		r->member = b;
		r->write = write;
		r->off = ddraid_member_offset(g, s->block);
		r->buf = rb_buf(vol, b, i);
		r->len = (size_t)ddraid_member_bytes(g, s->nblocks);
		r->end = rb_req_end;
		r->priv = s;
		s->pending++;
	}
	for (b = 0; b < g->members; b++)
		if (mask & (1u << b))
			ddraid_mio_queue(&vol->io, &s->req[b]);
}

int ddraid_cl_rebuild_range(struct ddraid_vol *vol, u32 m, u64 first,
			    u64 nblocks, u32 *failed)
{
	const struct ddraid_geom *g = &vol->g;
	u32 others = ((1u << g->members) - 1) & ~(1u << m);
	struct rb_slot *slot;
	u64 fail_block = first;
	u32 fail = 0, i, reading = 0;
	bool busy;
	int r = check_range(vol, first, nblocks);

	*failed = 0;
	if (r)
		return r;
	if (m >= g->members || vol->io.m[m].fd < 0)
		return ddraid_set_err(vol, -EINVAL,
				      "rebuild: member %u is not open", m);
	if ((usable_mask(vol) & others) != others)
		return ddraid_set_err(vol, -EIO,
				      "rebuild of member %u needs every other member",
				      m);
	slot = calloc(RB_SLOTS, sizeof(*slot));
	if (!slot)
		return ddraid_set_err(vol, -ENOMEM, "out of memory");
	do {
		busy = false;
		for (i = 0; i < RB_SLOTS; i++) {
			struct rb_slot *s = &slot[i];

			if (s->fail && !fail)
				fail_block = s->block;
			if (s->state == RB_FREE) {
				fail |= s->fail;
				s->fail = 0;
			}
			/* Read: rebuild, write; stop issuing after a failure. */
			if (s->state == RB_READ) {
				reading--;
				fail |= s->fail;
				s->fail = 0;
				if (fail) {
					s->state = RB_FREE;
				} else {
					u8 *p[DDRAID_MAX_MEMBERS];
					u32 b;

					for (b = 0; b < g->members; b++)
						p[b] = rb_buf(vol, b, i);
					ddraid_reconstruct_member(g, ddraid_xor,
								  (void *const *)p,
								  m, s->nblocks);
					rb_issue(vol, slot, i, 1u << m, true);
				}
			}
			if (s->state == RB_FREE && !fail && nblocks &&
			    reading < RB_AHEAD) {
				s->block = first;
				s->nblocks = nblocks < RB_CHUNK_BLOCKS ?
					     nblocks : RB_CHUNK_BLOCKS;
				first += s->nblocks;
				nblocks -= s->nblocks;
				rb_issue(vol, slot, i, others, false);
				reading++;
			}
			busy |= s->state != RB_FREE;
		}
		if (busy)
			ddraid_mio_pump(&vol->io);
	} while (busy);
	for (i = 0; i < RB_SLOTS; i++)
		fail |= slot[i].fail;
	free(slot);
	if (!fail && ddraid_mio_sync(&vol->io, m))
		fail = 1u << m;
	if (fail) {
		*failed = fail;
		return ddraid_set_err(vol, -EIO,
				      "rebuild at block %llu: member IO failed",
				      (unsigned long long)fail_block);
	}
	return 0;
}

/*
 * Resync recomputes the parity from the data: that is a rebuild of the
 * parity member (the XOR of every other member, for k = 0 the copy), so it
 * is one, through the same pipeline: the data members' reads overlap the
 * parity's writes (read then write, a window at a time, it ran at half a
 * member's speed). It needs every member, as before.
 */
int ddraid_cl_resync(struct ddraid_vol *vol, u64 first, u64 nblocks,
		     u32 *failed)
{
	const struct ddraid_geom *g = &vol->g;
	int r = check_range(vol, first, nblocks);

	*failed = 0;
	if (r)
		return r;
	if (usable_mask(vol) != (1u << g->members) - 1)
		return ddraid_set_err(vol, -EIO,
				      "resync needs every member");
	return ddraid_cl_rebuild_range(vol, g->parity_member, first, nblocks,
				       failed);
}

int ddraid_cl_bitmap_page(struct ddraid_vol *vol, u32 slot, u64 page,
			  const void *buf, u32 mask, u32 *failed)
{
	struct ddraid_mio_req r[DDRAID_MAX_MEMBERS];
	unsigned int n = 0, i;
	void *b;
	u32 m, written = 0;

	*failed = 0;
	if (slot >= vol->sb.bitmap_slots ||
	    page >= ddraid_bitmap_slot_pages(&vol->sb))
		return ddraid_set_err(vol, -EINVAL,
				      "bitmap slot %u page %llu out of range",
				      slot, (unsigned long long)page);
	b = ddraid_buf_alloc(DDRAID_BITMAP_PAGE_BYTES);
	if (!b)
		return -ENOMEM;
	memcpy(b, buf, DDRAID_BITMAP_PAGE_BYTES);
	for (m = 0; m < vol->g.members; m++) {
		if (!(mask & (1u << m)) || vol->io.m[m].fd < 0)
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].member = m;
		r[n].write = true;
		r[n].off = ddraid_bitmap_page_offset(&vol->sb, slot, page);
		r[n].buf = b;
		r[n].len = DDRAID_BITMAP_PAGE_BYTES;
		n++;
	}
	ddraid_mio_run(&vol->io, r, n);
	for (i = 0; i < n; i++) {
		if (r[i].res)
			*failed |= 1u << r[i].member;
		else
			written |= 1u << r[i].member;
	}
	*failed |= ddraid_mio_flush(&vol->io, written);
	free(b);
	return *failed ? -EIO : 0;
}

/*
 * Read @noff pieces of @len bytes at member offsets @off[] from the members
 * in @mask, all at once; piece i becomes the union of its copies in
 * maps + i * len. -EIO if some piece could not be read from any member.
 */
static int read_unions(struct ddraid_vol *vol, const u64 *off,
		       unsigned int noff, size_t len, u8 *maps, u32 mask,
		       u32 *failed)
{
	struct ddraid_mio_req *r;
	unsigned int n = 0, i, j, first[DDRAID_BITMAP_SLOTS + 1];
	size_t k;
	int ret = 0;
	u32 m;

	*failed = 0;
	if (noff > DDRAID_BITMAP_SLOTS)
		return -EINVAL;
	r = calloc((size_t)noff * vol->g.members, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (i = 0; i < noff; i++) {
		first[i] = n;
		for (m = 0; m < vol->g.members; m++) {
			if (!(mask & (1u << m)) || vol->io.m[m].fd < 0)
				continue;
			r[n].member = m;
			r[n].off = off[i];
			r[n].len = len;
			r[n].buf = ddraid_buf_alloc(len);
			if (!r[n].buf) {
				ret = -ENOMEM;
				goto out;
			}
			n++;
		}
	}
	first[noff] = n;
	ddraid_mio_run(&vol->io, r, n);
	memset(maps, 0, (size_t)noff * len);
	for (i = 0; i < noff; i++) {
		u8 *map = maps + (size_t)i * len;
		unsigned int good = 0;

		for (j = first[i]; j < first[i + 1]; j++) {
			const u8 *src = r[j].buf;

			if (r[j].res) {
				*failed |= 1u << r[j].member;
				continue;
			}
			good++;
			for (k = 0; k < len; k++)
				map[k] |= src[k];
		}
		if (!good)
			ret = -EIO;
	}
out:
	for (i = 0; i < n; i++)
		free(r[i].buf);
	free(r);
	return ret;
}

/* Bytes [@off, @off + @len) of the members in @mask, OR-ed into @map. */
static int read_union(struct ddraid_vol *vol, u64 off, size_t len, u8 *map,
		      u32 mask, u32 *failed)
{
	return read_unions(vol, &off, 1, len, map, mask, failed);
}

int ddraid_cl_bitmap_read(struct ddraid_vol *vol, u32 slot, u8 *map,
			  u32 mask, u32 *failed)
{
	*failed = 0;
	if (slot >= vol->sb.bitmap_slots)
		return -EINVAL;
	return read_union(vol, ddraid_bitmap_slot_offset(&vol->sb, slot),
			  (size_t)vol->sb.bitmap_slot_bytes, map, mask, failed);
}

int ddraid_cl_bitmap_read_page(struct ddraid_vol *vol, u32 slot, u64 page,
			       u8 *buf, u32 mask, u32 *failed)
{
	*failed = 0;
	if (slot >= vol->sb.bitmap_slots ||
	    page >= ddraid_bitmap_slot_pages(&vol->sb))
		return -EINVAL;
	return read_union(vol, ddraid_bitmap_page_offset(&vol->sb, slot, page),
			  DDRAID_BITMAP_PAGE_BYTES, buf, mask, failed);
}

int ddraid_cl_bitmap_read_pages(struct ddraid_vol *vol, u64 page, u8 *maps,
				u32 mask, u32 *failed)
{
	u64 off[DDRAID_BITMAP_SLOTS];
	u32 slot;

	*failed = 0;
	if (vol->sb.bitmap_slots > DDRAID_BITMAP_SLOTS ||
	    page >= ddraid_bitmap_slot_pages(&vol->sb))
		return -EINVAL;
	for (slot = 0; slot < vol->sb.bitmap_slots; slot++)
		off[slot] = ddraid_bitmap_page_offset(&vol->sb, slot, page);
	return read_unions(vol, off, vol->sb.bitmap_slots,
			   DDRAID_BITMAP_PAGE_BYTES, maps, mask, failed);
}

int ddraid_cl_bitmap_bit(struct ddraid_vol *vol, u32 slot, u64 region,
			 bool set, u32 rmask, u32 wmask, u32 *failed)
{
	u64 page = ddraid_bitmap_page_of(region);
	u32 rfail = 0, wfail = 0;
	u8 *buf;
	int r;

	*failed = 0;
	if (slot >= vol->sb.bitmap_slots || region >= vol->sb.regions)
		return -EINVAL;
	buf = ddraid_buf_alloc(DDRAID_BITMAP_PAGE_BYTES);
	if (!buf)
		return -ENOMEM;
	r = ddraid_cl_bitmap_read_page(vol, slot, page, buf, rmask, &rfail);
	if (!r) {
		/*
		 * Written even when the union already says so: a copy that
		 * missed an earlier update (a member re-added, a torn
		 * write) gets the bit too.
		 */
		ddraid_bitmap_page_update(buf, region, set);
		r = ddraid_cl_bitmap_page(vol, slot, page, buf,
					  wmask & ~rfail, &wfail);
	}
	*failed = rfail | wfail;
	free(buf);
	return r;
}

void ddraid_cl_set_failing(struct ddraid_vol *vol, u32 m, bool failing)
{
	if (m < vol->g.members)
		vol->mem_failed[m] = failing;
}

/*
 * Superblocks and flushes go to the member's descriptor itself, past the
 * request queue: ask the IO layer first whether this node's path to the
 * member is up (the tests' path faults, lib/member_io.c).
 */
int ddraid_cl_sb_read(struct ddraid_vol *vol, u32 m, struct ddraid_sb *sb)
{
	int r;

	if (m >= vol->g.members || vol->io.m[m].fd < 0)
		return -ENODEV;
	r = ddraid_mio_path_wait(&vol->io, m, false);
	if (r)
		return r;
	r = ddraid_sb_read_fd(vol->io.m[m].fd, sb, NULL);
	return r < 0 ? r : 0;
}

int ddraid_cl_sb_write(struct ddraid_vol *vol, u32 m, struct ddraid_sb *sb,
		       const char **why)
{
	int r;

	if (m >= vol->g.members || vol->io.m[m].fd < 0)
		return -ENODEV;
	r = ddraid_mio_path_wait(&vol->io, m, true);
	if (r)
		return r;
	return ddraid_sb_write_fd(vol->io.m[m].fd, sb, why);
}

int ddraid_cl_flush(struct ddraid_vol *vol, u32 m)
{
	if (m >= vol->g.members)
		return -ENODEV;
	return ddraid_mio_sync(&vol->io, m);
}

u32 ddraid_cl_flush_mask(struct ddraid_vol *vol, u32 mask)
{
	return ddraid_mio_flush(&vol->io, mask & ((1u << vol->g.members) - 1));
}

int ddraid_cl_member_fd(const struct ddraid_vol *vol, u32 m)
{
	return m < vol->g.members ? vol->io.m[m].fd : -1;
}

int ddraid_cl_member_open(struct ddraid_vol *vol, u32 m, const char *path)
{
	char *p;
	int r;

	if (m >= vol->g.members)
		return -EINVAL;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	ddraid_mio_close(&vol->io, m);
	r = ddraid_mio_open(&vol->io, m, path, false,
			    vol->flags & DDRAID_OPEN_BUFFERED);
	if (r) {
		free(p);
		return r;
	}
	free(vol->path[m]);
	vol->path[m] = p;
	vol->mem_failed[m] = false;
	return 0;
}

const char *ddraid_cl_member_path(const struct ddraid_vol *vol, u32 m)
{
	return m < vol->g.members ? vol->path[m] : NULL;
}

void ddraid_cl_set_member_state(struct ddraid_vol *vol, u32 m, u32 state)
{
	if (m < vol->g.members)
		vol->sb.member[m].state = state;
}
