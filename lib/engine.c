// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's data path: whole-block reads and writes as a stream of
 * independent extents of at most a chunk (each in flight on its own),
 * split into the members' layout, parity by XOR, degraded reads by
 * reconstruction, and the bookkeeping that makes a skipped member stale
 * before any write skips it. Maintenance and the cluster IO path use
 * whole windows (ddraid_window_io).
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

void ddraid_io_bytes(const struct ddraid_vol *vol, u64 *read, u64 *written)
{
	if (read)
		*read = vol->io.bytes_read;
	if (written)
		*written = vol->io.bytes_written;
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

	r = ddraid_mio_path_wait(&vol->io, m, true);
	if (r)
		return r;
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

/*
 * ---- streams of extents ----
 *
 * Every extent in flight holds a slot and its own stretch of the window
 * buffers, and completes on its own: when it does, the next extent is
 * issued at once, so a member that is slow on one extent never holds
 * back the others (no batch waits for its slowest member IO).
 */

enum { SLOT_REISSUED = 1 };

struct stream;

struct slot {
	struct ddraid_extent ex;
	struct stream *st;
	struct slot *next_ended;
	u32 pos;		/* first block in the window buffers */
	u32 span;		/* blocks of the window buffers it holds */
	u32 fail;		/* members whose IO failed */
	unsigned int pending;	/* member IOs not finished */
	int missing;		/* read: member to reconstruct, -1: none */
	unsigned int tries;	/* read: times issued */
	bool busy;
};

struct stream {
	struct ddraid_vol *vol;
	bool write;
	unsigned int inflight;	/* busy slots */
	unsigned int hi;	/* slots [hi, ...) were never used */
	struct slot *ended;	/* every member IO finished */
	u64 used[DDRAID_WINDOW_BLOCKS / 64];	/* window buffer blocks held */
	struct slot slot[DDRAID_STREAM_SLOTS];
};

/*
 * Window buffer space is handed out in power-of-two spans at multiples of
 * their size, so a span is one mask in one word or whole words.
 */
static bool span_free(const u64 *used, u32 pos, u32 span)
{
	u32 i;

	if (span < 64)
		return !(used[pos / 64] & (((1ull << span) - 1) << (pos % 64)));
	for (i = pos / 64; i < (pos + span) / 64; i++)
		if (used[i])
			return false;
	return true;
}

static void span_mark(u64 *used, u32 pos, u32 span, bool set)
{
	u64 mask;
	u32 i;

	if (span < 64) {
		mask = ((1ull << span) - 1) << (pos % 64);
		if (set)
			used[pos / 64] |= mask;
		else
			used[pos / 64] &= ~mask;
		return;
	}
	for (i = pos / 64; i < (pos + span) / 64; i++)
		used[i] = set ? ~0ull : 0;
}

/* A slot and buffer space for @ex, or NULL until something completes. */
static struct slot *slot_get(struct stream *st, const struct ddraid_extent *ex)
{
	u32 span = 1, pos;
	unsigned int i;
	struct slot *s;

	while (span < ex->nblocks)
		span <<= 1;
	for (pos = 0; pos < DDRAID_WINDOW_BLOCKS; pos += span)
		if (span_free(st->used, pos, span))
			break;
	if (pos >= DDRAID_WINDOW_BLOCKS)
		return NULL;
	for (i = 0; i < DDRAID_STREAM_SLOTS && st->slot[i].busy; i++)
		;
	if (i == DDRAID_STREAM_SLOTS)
		return NULL;
	if (i >= st->hi)
		st->hi = i + 1;
	s = &st->slot[i];
	memset(s, 0, sizeof(*s));
	s->ex = *ex;
	s->st = st;
	s->pos = pos;
	s->span = span;
	s->missing = -1;
	s->busy = true;
	span_mark(st->used, pos, span, true);
	st->inflight++;
	return s;
}

static void slot_put(struct stream *st, struct slot *s)
{
	span_mark(st->used, s->pos, s->span, false);
	s->busy = false;
	st->inflight--;
}

/* Does @ex share a block with an extent in flight? */
static bool overlaps(const struct stream *st, const struct ddraid_extent *ex)
{
	unsigned int i;

	for (i = 0; i < st->hi; i++) {
		const struct ddraid_extent *o = &st->slot[i].ex;

		if (st->slot[i].busy && o->block < ex->block + ex->nblocks &&
		    ex->block < o->block + o->nblocks)
			return true;
	}
	return false;
}

/* One member IO of a slot has finished (called from the IO layer). */
static void slot_req_end(struct ddraid_mio_req *r)
{
	struct slot *s = r->priv;

	if (r->res)
		s->fail |= 1u << r->member;
	if (!--s->pending) {
		s->next_ended = s->st->ended;
		s->st->ended = s;
	}
}

/* Where member @m's fragments of slot @s lie. */
static void slot_bufs(const struct stream *st, const struct slot *s,
		      u8 **p)
{
	const struct ddraid_vol *vol = st->vol;
	u32 m;

	for (m = 0; m < vol->g.members; m++)
		p[m] = vol->buf[m] + ddraid_member_bytes(&vol->g, s->pos);
}

static void slot_issue(struct stream *st, struct slot *s, u32 mask)
{
	struct ddraid_vol *vol = st->vol;
	const struct ddraid_geom *g = &vol->g;
	struct ddraid_mio_req *r = vol->reqs + (s - st->slot) * g->members;
	u8 *p[DDRAID_MAX_MEMBERS];
	u32 m;

	slot_bufs(st, s, p);
	s->fail = 0;
	s->pending = 0;
	for (m = 0; m < g->members; m++) {
		if (!(mask & (1u << m)))
			continue;
		r[m].member = m;
		r[m].write = st->write;
		r[m].off = ddraid_member_offset(g, s->ex.block);
		r[m].buf = p[m];
		r[m].len = (size_t)ddraid_member_bytes(g, s->ex.nblocks);
		r[m].end = slot_req_end;
		r[m].priv = s;
		s->pending++;
	}
	if (!s->pending) {
		/* Cannot happen with at most one member unusable. */
		s->fail = 1u << g->members;
		s->next_ended = st->ended;
		st->ended = s;
		return;
	}
	for (m = 0; m < g->members; m++)
		if (mask & (1u << m))
			ddraid_mio_queue(&vol->io, &r[m]);
}

static int slot_start_write(struct stream *st, struct slot *s)
{
	struct ddraid_vol *vol = st->vol;
	const struct ddraid_geom *g = &vol->g;
	u8 *p[DDRAID_MAX_MEMBERS];
	u32 m, mask = 0;
	int r;

	r = record_skipped(vol);
	if (r < 0)
		return ddraid_set_err(vol, r, "could not record a skipped member failed: %s",
				      strerror(-r));
	if (ddraid_unusable_count(vol) > 1)
		return rw_fail_eio(vol, &s->ex, true);
	slot_bufs(st, s, p);
	ddraid_split_blocks(g, s->ex.data, s->ex.nblocks, (void *const *)p);
	ddraid_parity_members(g, ddraid_xor, (const void *const *)p,
			      s->ex.nblocks, p[g->parity_member]);
	for (m = 0; m < g->members; m++)
		if (ddraid_member_writable(vol, m))
			mask |= 1u << m;
	slot_issue(st, s, mask);
	return 0;
}

static int slot_start_read(struct stream *st, struct slot *s)
{
	struct ddraid_vol *vol = st->vol;
	const struct ddraid_geom *g = &vol->g;
	u32 mask = data_mask(g);
	int u;

	/*
	 * Each retry follows a newly failed member, so more tries than
	 * members means redundancy is gone (and is a bug if it is not).
	 */
	if (ddraid_unusable_count(vol) > 1 || ++s->tries > g->members)
		return rw_fail_eio(vol, &s->ex, false);
	u = ddraid_vol_missing(vol);
	s->missing = -1;
	if (u >= 0 && (u32)u != g->parity_member) {
		mask = ((1u << g->members) - 1) & ~(1u << u);
		s->missing = u;
	}
	slot_issue(st, s, mask);
	return 0;
}

/*
 * Every member IO of @s has finished: finish the extent (0 or -errno), or
 * read it again without a member that just failed (SLOT_REISSUED).
 */
static int slot_end(struct stream *st, struct slot *s)
{
	struct ddraid_vol *vol = st->vol;
	const struct ddraid_geom *g = &vol->g;
	u8 *p[DDRAID_MAX_MEMBERS];
	u32 fail = s->fail & ((1u << g->members) - 1);
	int r;

	if (s->fail) {
		r = fail ? ddraid_record_failed(vol, fail, st->write ?
						"write error" : "read error") : 0;
		if (st->write) {
			/*
			 * The others hold the new data: the write is complete
			 * once the failed member is on record, unless
			 * redundancy is gone.
			 */
			if (ddraid_unusable_count(vol) > 1 || !fail)
				return rw_fail_eio(vol, &s->ex, true);
			if (r < 0)
				return ddraid_set_err(vol, r, "could not record member failure: %s",
						      strerror(-r));
			return 0;
		}
		if (!fail)
			return rw_fail_eio(vol, &s->ex, false);
		if (r < 0 && ddraid_unusable_count(vol) <= 1)
			return ddraid_set_err(vol, r, "could not record member failure: %s",
					      strerror(-r));
		/* Read it again without the failed member. */
		r = slot_start_read(st, s);
		return r ? r : SLOT_REISSUED;
	}
	if (st->write)
		return 0;
	slot_bufs(st, s, p);
	if (s->missing >= 0)
		ddraid_reconstruct_member(g, ddraid_xor, (void *const *)p,
					  (u32)s->missing, s->ex.nblocks);
	ddraid_join_blocks(g, (const void *const *)p, s->ex.nblocks,
			   s->ex.data);
	return 0;
}

static int check_extent(struct ddraid_vol *vol, const struct ddraid_extent *ex)
{
	if (ex->block > vol->g.blocks ||
	    ex->nblocks > vol->g.blocks - ex->block)
		return ddraid_set_err(vol, -EINVAL,
				      "blocks %llu+%llu beyond the volume (%llu blocks)",
				      (unsigned long long)ex->block,
				      (unsigned long long)ex->nblocks,
				      (unsigned long long)vol->g.blocks);
	if (ex->nblocks > DDRAID_CHUNK_BLOCKS)
		return ddraid_set_err(vol, -EINVAL,
				      "extent of %llu blocks exceeds %u",
				      (unsigned long long)ex->nblocks,
				      DDRAID_CHUNK_BLOCKS);
	return 0;
}

static void report(const struct ddraid_stream_ops *ops,
		   const struct ddraid_extent *ex, int res)
{
	if (ops->done)
		ops->done(ops->arg, ex, res);
}

int ddraid_rw_stream(struct ddraid_vol *vol, bool write, unsigned int qd,
		     const struct ddraid_stream_ops *ops)
{
	struct stream *st;
	struct ddraid_extent pend, ex;
	bool have = false, more = true;
	struct slot *s;
	int first = 0, r;

	if (write && (vol->flags & DDRAID_OPEN_RDONLY))
		return ddraid_set_err(vol, -EROFS, "volume is open read-only");
	if (!qd || qd > DDRAID_STREAM_SLOTS)
		qd = DDRAID_STREAM_SLOTS;
	st = calloc(1, sizeof(*st));
	if (!st)
		return ddraid_set_err(vol, -ENOMEM, "out of memory");
	st->vol = vol;
	st->write = write;
	for (;;) {
		/* Issue as much as the depth and the buffers allow. */
		while (!first && more && st->inflight < qd) {
			if (!have && !ops->next(ops->arg, &pend)) {
				more = false;
				break;
			}
			have = true;
			r = check_extent(vol, &pend);
			if (r || !pend.nblocks) {
				have = false;
				report(ops, &pend, r);
				first = r;
				continue;
			}
			/* Overlapping writes go in order. */
			if (write && overlaps(st, &pend))
				break;
			s = slot_get(st, &pend);
			if (!s)
				break;
			have = false;
			r = write ? slot_start_write(st, s) :
				    slot_start_read(st, s);
			if (r) {
				slot_put(st, s);
				report(ops, &s->ex, r);
				first = r;
			}
		}
		if (!st->inflight)
			break;
		ddraid_mio_pump(&vol->io);
		while ((s = st->ended)) {
			st->ended = s->next_ended;
			r = slot_end(st, s);
			if (r == SLOT_REISSUED)
				continue;
			ex = s->ex;
			slot_put(st, s);
			if (r && !first)
				first = r;
			report(ops, &ex, r);
		}
	}
	/* Taken but held back (overlap, no room) when an error stopped us. */
	if (have)
		report(ops, &pend, -ECANCELED);
	free(st);
	return first;
}

/* ddraid_rw_extents(): the extents, cut into pieces of at most a chunk. */
struct ex_src {
	struct ddraid_extent *ex;
	unsigned int nex, e;
	u64 off;		/* blocks of ex[e] already handed out */
};

static bool ex_next(void *arg, struct ddraid_extent *out)
{
	struct ex_src *x = arg;
	u64 n;

	while (x->e < x->nex && x->off >= x->ex[x->e].nblocks) {
		x->e++;
		x->off = 0;
	}
	if (x->e == x->nex)
		return false;
	n = x->ex[x->e].nblocks - x->off;
	if (n > DDRAID_CHUNK_BLOCKS)
		n = DDRAID_CHUNK_BLOCKS;
	out->block = x->ex[x->e].block + x->off;
	out->nblocks = n;
	out->data = x->ex[x->e].data + (x->off << DDRAID_BLOCK_SHIFT);
	x->off += n;
	return true;
}

int ddraid_rw_extents(struct ddraid_vol *vol, struct ddraid_extent *ex,
		      unsigned int nex, bool write)
{
	struct ex_src x = { .ex = ex, .nex = nex };
	const struct ddraid_stream_ops ops = { .next = ex_next, .arg = &x };
	unsigned int e;

	/* Every extent is checked before any IO. */
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
	return ddraid_rw_stream(vol, write, 0, &ops);
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
	struct ddraid_extent ex = {
		.block = offset >> DDRAID_BLOCK_SHIFT,
		.nblocks = len >> DDRAID_BLOCK_SHIFT,
		.data = buf,
	};
	int r = check_range(vol, offset, len, write);

	return r ? r : ddraid_rw_extents(vol, &ex, 1, write);
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
	u32 m, mask = 0, fail;
	int r;

	if (vol->flags & DDRAID_OPEN_RDONLY)
		return 0;
	for (m = 0; m < vol->g.members; m++)
		if (ddraid_member_writable(vol, m))
			mask |= 1u << m;
	fail = ddraid_mio_flush(&vol->io, mask);
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

	for (i = 0; i < DDRAID_MAX_MEMBERS; i++) {
		vol->io.m[i].inject_error = m >= 0 && (u32)m == i;
		vol->io.m[i].inject_after = 0;
	}
}

void ddraid_inject_member_error_after(struct ddraid_vol *vol, u32 m,
				      u64 after)
{
	if (m < DDRAID_MAX_MEMBERS)
		vol->io.m[m].inject_after = after;
}
