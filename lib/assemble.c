// SPDX-License-Identifier: GPL-2.0-only
/*
 * Assembling a volume from its members: every present member must carry a
 * superblock of the same volume, at the position of its index, and be
 * current (common/ddraid_assemble.c decides, for the kernel too); at most
 * one member may be absent or failed.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "cluster_io.h"
#include "sb_io.h"
#include "ddraid_assemble.h"

static void uuid_str(const u8 *u, char *s)
{
	unsigned int i;

	for (i = 0; i < DDRAID_UUID_BYTES; i++)
		sprintf(s + 2 * i, "%02x", u[i]);
}

/* Open member @i and read its superblock into @sb. */
static int open_member(struct ddraid_vol *vol, u32 i, const char *path,
		       struct ddraid_sb *sb, char *err, size_t errlen)
{
	bool rdonly = vol->flags & DDRAID_OPEN_RDONLY;
	struct ddraid_sb_copies c;
	int r;

	r = ddraid_mio_open(&vol->io, i, path, rdonly,
			    vol->flags & DDRAID_OPEN_BUFFERED);
	if (r) {
		ddraid_errf(err, errlen, "member %u (%s): cannot open: %s", i,
			    path, strerror(-r));
		return r;
	}
	r = ddraid_sb_read_fd(vol->io.m[i].fd, sb, &c);
	if (r == -EINVAL && vol->io.m[i].direct) {
		/* The member refuses O_DIRECT reads: use it buffered. */
		r = ddraid_mio_open(&vol->io, i, path, rdonly, true);
		if (!r)
			r = ddraid_sb_read_fd(vol->io.m[i].fd, sb, &c);
	}
	if (r == -ENODATA) {
		ddraid_errf(err, errlen, "member %u (%s) holds no ddraid superblock",
			    i, path);
		return -EINVAL;
	}
	if (r < 0) {
		ddraid_errf(err, errlen, "member %u (%s): superblock unreadable: %s",
			    i, path, c.why[0] ? c.why[0] : strerror(-r));
		return r;
	}
	return 0;
}

int ddraid_check_member_fit(struct ddraid_vol *vol, u32 i, char *err,
			    size_t errlen)
{
	int fd = vol->io.m[i].fd;
	u64 size;
	u32 lbs;
	int r;

	r = ddraid_fd_size(fd, &size);
	if (r) {
		ddraid_errf(err, errlen, "member %u (%s): cannot get its size: %s",
			    i, vol->path[i], strerror(-r));
		return r;
	}
	if (size < vol->sb.member_size) {
		ddraid_errf(err, errlen,
			    "member %u (%s) is too small: %llu bytes, the volume needs %llu",
			    i, vol->path[i], (unsigned long long)size,
			    (unsigned long long)vol->sb.member_size);
		return -ENOSPC;
	}
	r = ddraid_fd_lbs(fd, &lbs);
	if (r) {
		ddraid_errf(err, errlen,
			    "member %u (%s): cannot get its logical block size: %s",
			    i, vol->path[i], strerror(-r));
		return r;
	}
	if (!ddraid_geom_member_lbs_ok(&vol->g, lbs)) {
		ddraid_errf(err, errlen,
			    "member %u (%s): logical block size %u does not divide the %u-byte fragment (every member IO is whole fragments)",
			    i, vol->path[i], lbs, vol->g.frag_size);
		return -EINVAL;
	}
	return 0;
}

static int alloc_buffers(struct ddraid_vol *vol)
{
	size_t len = (size_t)ddraid_member_bytes(&vol->g, DDRAID_WINDOW_BLOCKS);
	u32 m;

	for (m = 0; m <= vol->g.members; m++) {
		vol->buf[m] = ddraid_buf_alloc(len);
		if (!vol->buf[m])
			return -ENOMEM;
	}
	vol->reqs = calloc((size_t)DDRAID_WINDOW_BLOCKS * vol->g.members,
			   sizeof(*vol->reqs));
	return vol->reqs ? 0 : -ENOMEM;
}

static const char *apath(const char *const *paths, u32 m)
{
	return paths[m] ? paths[m] : DDRAID_MISSING;
}

const char *ddraid_force_describe(const struct ddraid_force_plan *p,
				  const char *const *paths, char *buf,
				  size_t len)
{
	unsigned int na = ddr_popcount32(p->accept), k = 0;
	size_t u = 0;
	u32 m;

#define PUT(...) (u += (size_t)snprintf(buf + u, u < len ? len - u : 0, \
					__VA_ARGS__))
	if (!len)
		return buf;
	buf[0] = '\0';
	PUT("member%s", na > 1 ? "s" : "");
	for (m = 0; m < DDRAID_MAX_MEMBERS; m++) {
		const struct ddraid_force_member *fm = &p->m[m];

		if (!(p->accept & (1u << m)))
			continue;
		k++;
		PUT("%s %u (%s, ", k == 1 ? "" : k == na ? " and" : ",", m,
		    apath(paths, m));
		if (fm->kind == DDRAID_FORCE_FAILED)
			PUT("failed at events %llu)",
			    (unsigned long long)fm->failed_events);
		else if (fm->out & DDRAID_OUT_FAILED)
			PUT("failed at events %llu, but its own superblock is older: events %llu)",
			    (unsigned long long)fm->failed_events,
			    (unsigned long long)fm->events);
		else
			PUT("stale: events %llu, the volume's %llu)",
			    (unsigned long long)fm->events,
			    (unsigned long long)p->sb.events - 1);
	}
	PUT(" as current, leaving member %d (%s) out", p->out,
	    apath(paths, (u32)p->out));
#undef PUT
	return buf;
}

/*
 * After a refusal for too many members out: what --force would do, or
 * why it would not help, appended to the message in @err.
 */
static void append_force_hint(const struct ddraid_sb *sb, const bool *present,
			      const char *const *paths, u32 n, char *err,
			      size_t errlen)
{
	struct ddraid_force_plan p;
	char what[DDRAID_ERRMSG_MAX];
	size_t used = strlen(err);
	int r = ddraid_sb_force_set(sb, present, n, &p);

	if (r == 0)
		snprintf(err + used, errlen - used, "; " DDRAID_FORCE_HINT " %s",
			 ddraid_force_describe(&p, paths, what, sizeof(what)));
	else if (r == -ENODEV)
		snprintf(err + used, errlen - used,
			 "; a forced assembly cannot help: %s", p.why);
}

/* Turn the shared verdict's refusal into a message naming the member. */
static int explain_verdict(int r, const struct ddraid_set_verdict *v,
			   const struct ddraid_sb *sb, const bool *present,
			   const char *const *paths, u32 n, char *err,
			   size_t errlen)
{
	char u1[2 * DDRAID_UUID_BYTES + 1], u2[2 * DDRAID_UUID_BYTES + 1];
	int i = v->member, ref = v->newest;
	size_t len = 0;
	char list[DDRAID_ERRMSG_MAX / 2];
	u32 m;

	if (r == -ENODEV && i < 0 && v->newest < 0) {
		ddraid_errf(err, errlen, "no member given: all %u are \"%s\"", n,
			    DDRAID_MISSING);
		return -EINVAL;
	}
	if (r == -ENODEV) {
		list[0] = 0;
		for (m = 0; m < n; m++) {
			u32 bit = 1u << m;
			const char *what = v->absent & bit ? "missing" :
					   v->recorded_failed & bit ? "failed" :
					   v->rebuilding & bit ? "rebuilding" : NULL;

			if (what)
				len += (size_t)snprintf(list + len,
					len < sizeof(list) ? sizeof(list) - len : 0,
					" %u (%s, %s)", m,
					present[m] ? paths[m] : DDRAID_MISSING, what);
		}
		ddraid_errf(err, errlen,
			    "more than one member missing or failed, the data cannot be read:%s",
			    list);
		append_force_hint(sb, present, paths, n, err, errlen);
		return r;
	}
	if (i < 0) {
		ddraid_errf(err, errlen, "members do not form a volume: %s", v->why);
		return r;
	}
	if (r == -ESTALE) {
		ddraid_errf(err, errlen,
			    "member %d (%s) is stale: events %llu, behind %llu of member %d (%s)",
			    i, paths[i], (unsigned long long)sb[i].events,
			    (unsigned long long)sb[ref].events, ref, paths[ref]);
		append_force_hint(sb, present, paths, n, err, errlen);
		return r;
	}
	if (sb[i].member_index != (u32)i && sb[i].members == n) {
		ddraid_errf(err, errlen,
			    "member %d (%s) is member %u of the volume: wrong order",
			    i, paths[i], sb[i].member_index);
		return r;
	}
	if (sb[i].members != n) {
		ddraid_errf(err, errlen,
			    "volume has %u members but %u paths were given (member %d, %s)",
			    sb[i].members, n, i, paths[i]);
		return r;
	}
	/* Foreign: name both volumes. Any other present member is the reference. */
	for (m = 0; m < n; m++)
		if (present[m] && (int)m != i &&
		    !ddraid_sb_same_volume(&sb[m], &sb[i]))
			break;
	if (m == n) {
		ddraid_errf(err, errlen, "member %d (%s): %s", i, paths[i], v->why);
		return r;
	}
	uuid_str(sb[i].uuid, u1);
	uuid_str(sb[m].uuid, u2);
	ddraid_errf(err, errlen,
		    "member %d (%s) is foreign: volume %s with %u members and %llu bytes, not volume %s with %u members and %llu bytes (member %u, %s)",
		    i, paths[i], u1, sb[i].members,
		    (unsigned long long)sb[i].data_size, u2, sb[m].members,
		    (unsigned long long)sb[m].data_size, m, paths[m]);
	return r;
}

/*
 * A member one metadata update behind (a crash while the survivors'
 * superblocks were being rewritten) gets the newest superblock, so the
 * next assembly finds the members agreeing again.
 */
static int catch_up_member(struct ddraid_vol *vol, u32 i, char *err,
			   size_t errlen)
{
	struct ddraid_sb sb = vol->sb;
	const char *why = NULL;
	int r;

	sb.member_index = i;
	r = ddraid_sb_write_fd(vol->io.m[i].fd, &sb, &why);
	if (r)
		ddraid_errf(err, errlen,
			    "member %u (%s): cannot bring its superblock up to date: %s",
			    i, vol->path[i], why ? why : strerror(-r));
	return r;
}

/*
 * The regions marked in any write-intent slot of any open member (@out,
 * the member left out, counts while it can be read): where
 * writes may have been in flight (and, in a cluster, every region written
 * while the volume was degraded: the bits stay set then).
 */
static int count_dirty(struct ddraid_vol *vol, struct ddraid_forced *f,
		       u32 out, char *err, size_t errlen)
{
	size_t len = (size_t)vol->sb.bitmap_slot_bytes;
	u8 *all = calloc(1, len), *map = malloc(len);
	u32 slot, mask = 0, failed, m;
	u64 r;
	int ret = 0;

	if (!all || !map) {
		ret = -ENOMEM;
		goto out;
	}
	for (m = 0; m < vol->g.members; m++)
		if (vol->io.m[m].fd >= 0)
			mask |= 1u << m;
	for (slot = 0; slot < vol->sb.bitmap_slots; slot++) {
		ret = ddraid_cl_bitmap_read(vol, slot, map, mask, &failed);
		/* An unreadable member left out is just left out earlier. */
		if (failed & (1u << out)) {
			ddraid_mio_close(&vol->io, out);
			mask &= ~(1u << out);
			failed &= ~(1u << out);
		}
		if (!ret && failed)
			ret = -EIO;
		if (ret) {
			ddraid_errf(err, errlen,
				    "reading write-intent slot %u of the members: %s",
				    slot, strerror(-ret));
			goto out;
		}
		for (r = 0; r < len; r++)
			all[r] |= map[r];
	}
	for (r = 0; r < vol->sb.regions; r++) {
		if (!ddraid_bit_test(all, r))
			continue;
		if (f->dirty_shown < DDRAID_FORCED_SHOW)
			f->dirty_first[f->dirty_shown++] = r;
		f->dirty_regions++;
	}
	for (slot = 0; slot < DDRAID_BITMAP_SLOTS; slot++)
		f->slots_in_use += vol->sb.slot_nodeid[slot] != 0;
out:
	free(all);
	free(map);
	return ret;
}

/*
 * Record the forced assembly: the accepted members first, then the
 * others, so that a crash in between leaves the others one update behind
 * with the accepted members active in the newest superblock, which
 * assembles normally (ddraid_sb_check_set(): lagging is current).
 */
static int write_forced(struct ddraid_vol *vol, struct ddraid_forced *f,
			char *err, size_t errlen)
{
	const struct ddraid_force_plan *p = &f->plan;
	const char *why = NULL;
	int pass, r;
	u32 m;

	vol->sb.utime = (u64)time(NULL);
	for (pass = 0; pass < 2; pass++) {
		for (m = 0; m < vol->g.members; m++) {
			struct ddraid_sb s = vol->sb;
			bool accepted = p->accept & (1u << m);

			if (vol->io.m[m].fd < 0 || accepted != (pass == 0))
				continue;
			s.member_index = m;
			r = ddraid_sb_write_fd(vol->io.m[m].fd, &s, &why);
			if (r) {
				ddraid_errf(err, errlen,
					    "member %u (%s): writing its superblock failed: %s; %s",
					    m, vol->path[m],
					    why ? why : strerror(-r),
					    f->written ? "the members written so far assemble with the others one update behind" :
					    "nothing was changed");
				return r;
			}
			f->written |= 1u << m;
		}
	}
	/* Every member got the same update_seq + 1 (ddraid_sb_write_fd). */
	vol->sb.update_seq++;
	return 0;
}

static int assemble_forced(struct ddraid_vol *vol, const struct ddraid_sb *sb,
			   const bool *present, const char *const *paths,
			   u32 n, int verdict, const struct ddraid_set_verdict *v,
			   char *err, size_t errlen)
{
	struct ddraid_forced *f;
	int r;
	u32 i;

	if (!verdict) {
		ddraid_errf(err, errlen,
			    "nothing to force: the members assemble without --force");
		return -EALREADY;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	vol->forced = f;
	r = ddraid_sb_force_set(sb, present, n, &f->plan);
	if (r == -EALREADY) {
		/* One stale member: the normal refusal says what to do. */
		explain_verdict(verdict, v, sb, present, paths, n, err, errlen);
		r = (int)strlen(err);
		snprintf(err + r, errlen - (size_t)r,
			 "; nothing to force: only member %d is out (give it as '%s' to run degraded, or rebuild it)",
			 f->plan.member, DDRAID_MISSING);
		return -EALREADY;
	}
	if (r == -EINVAL)
		return explain_verdict(verdict, v, sb, present, paths, n, err,
				       errlen);
	if (r) {
		/* The normal refusal lists the members; say why force fails. */
		explain_verdict(verdict, v, sb, present, paths, n, err, errlen);
		return r;
	}
	for (i = 0; i < n; i++)
		f->path[i] = vol->path[i];
	vol->sb = f->plan.sb;
	r = ddraid_sb_geom(&vol->sb, &vol->g);
	if (r) {
		ddraid_errf(err, errlen, "member %d (%s): bad geometry",
			    f->plan.newest, paths[f->plan.newest]);
		return r;
	}
	for (i = 0; i < n; i++) {
		if (!present[i])
			continue;
		r = ddraid_check_member_fit(vol, i, err, errlen);
		if (r && (int)i != f->plan.out)
			return r;
		/* The member left out need not fit: it is not used. */
		if (r)
			ddraid_mio_close(&vol->io, i);
	}
	err[0] = '\0';
	/* The union includes the member left out: all present members. */
	r = count_dirty(vol, f, (u32)f->plan.out, err, errlen);
	if (r)
		return r;
	/* Left out: read as the XOR of the others, never itself. */
	ddraid_mio_close(&vol->io, (u32)f->plan.out);
	if (!(vol->flags & DDRAID_OPEN_RDONLY)) {
		r = write_forced(vol, f, err, errlen);
		if (r)
			return r;
	}
	return alloc_buffers(vol);
}

static int assemble(struct ddraid_vol *vol, const char *const *paths, u32 n,
		    char *err, size_t errlen)
{
	struct ddraid_sb sb[DDRAID_MAX_MEMBERS];
	bool present[DDRAID_MAX_MEMBERS] = { false };
	struct ddraid_set_verdict v;
	int r;
	u32 i;

	for (i = 0; i < n; i++) {
		if (!paths[i] || !strcmp(paths[i], DDRAID_MISSING))
			continue;
		vol->path[i] = strdup(paths[i]);
		if (!vol->path[i])
			return -ENOMEM;
		r = open_member(vol, i, paths[i], &sb[i], err, errlen);
		if (r)
			return r;
		present[i] = true;
	}
	r = ddraid_sb_check_set(sb, present, n, &v);
	if (vol->flags & DDRAID_OPEN_FORCE)
		return assemble_forced(vol, sb, present, paths, n, r, &v, err,
				       errlen);
	if (r)
		return explain_verdict(r, &v, sb, present, paths, n, err,
				       errlen);
	vol->sb = sb[v.newest];
	r = ddraid_sb_geom(&vol->sb, &vol->g);
	if (r) {
		ddraid_errf(err, errlen, "member %d (%s): bad geometry", v.newest,
			    paths[v.newest]);
		return r;
	}
	for (i = 0; i < n; i++) {
		if (v.recorded_failed & (1u << i)) {
			/* On record as failed: its contents are not trusted. */
			ddraid_mio_close(&vol->io, i);
			present[i] = false;
		}
		if (!present[i])
			continue;
		r = ddraid_check_member_fit(vol, i, err, errlen);
		if (r)
			return r;
		if ((v.lagging & (1u << i)) &&
		    !(vol->flags & DDRAID_OPEN_RDONLY)) {
			r = catch_up_member(vol, i, err, errlen);
			if (r)
				return r;
		}
	}
	return alloc_buffers(vol);
}

int ddraid_open(const char *const *paths, unsigned int n, unsigned int flags,
		struct ddraid_vol **out, char *err, size_t errlen)
{
	struct ddraid_vol *vol;
	int r;

	*out = NULL;
	if (ddraid_members_to_k(n) < 0) {
		ddraid_errf(err, errlen,
			    "%u members given: a volume has 2, 3, 5 or 9", n);
		return -EINVAL;
	}
	if (flags & ~(unsigned int)(DDRAID_OPEN_RDONLY | DDRAID_OPEN_BUFFERED |
				    DDRAID_OPEN_FORCE)) {
		ddraid_errf(err, errlen, "unknown open flags 0x%x", flags);
		return -EINVAL;
	}
	vol = calloc(1, sizeof(*vol));
	if (!vol) {
		ddraid_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vol->flags = flags;
	ddraid_mio_init(&vol->io, n);
	r = assemble(vol, paths, n, err, errlen);
	if (r) {
		if (r == -ENOMEM)
			ddraid_errf(err, errlen, "out of memory");
		ddraid_close(vol);
		return r;
	}
	*out = vol;
	return 0;
}

void ddraid_close(struct ddraid_vol *vol)
{
	u32 m;

	if (!vol)
		return;
	if (!(vol->flags & DDRAID_OPEN_RDONLY)) {
		u32 open = 0;

		for (m = 0; m < DDRAID_MAX_MEMBERS; m++)
			if (vol->io.m[m].fd >= 0 && !vol->io.m[m].inject_error)
				open |= 1u << m;
		ddraid_mio_flush(&vol->io, open);
	}
	ddraid_mio_exit(&vol->io);
	for (m = 0; m <= DDRAID_MAX_MEMBERS; m++)
		free(vol->buf[m]);
	for (m = 0; m < DDRAID_MAX_MEMBERS; m++)
		free(vol->path[m]);
	free(vol->reqs);
	free(vol->forced);
	free(vol);
}

const struct ddraid_forced *ddraid_vol_forced(const struct ddraid_vol *vol)
{
	return vol->forced;
}
