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

#include "engine_internal.h"
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
	if (flags & ~(unsigned int)(DDRAID_OPEN_RDONLY | DDRAID_OPEN_BUFFERED)) {
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
	if (!(vol->flags & DDRAID_OPEN_RDONLY))
		for (m = 0; m < DDRAID_MAX_MEMBERS; m++)
			if (vol->io.m[m].fd >= 0 && !vol->io.m[m].inject_error)
				ddraid_mio_sync(&vol->io, m);
	ddraid_mio_exit(&vol->io);
	for (m = 0; m <= DDRAID_MAX_MEMBERS; m++)
		free(vol->buf[m]);
	for (m = 0; m < DDRAID_MAX_MEMBERS; m++)
		free(vol->path[m]);
	free(vol->reqs);
	free(vol);
}
