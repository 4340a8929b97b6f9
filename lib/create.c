// SPDX-License-Identifier: GPL-2.0-only
/*
 * Creating a volume: ddraid_create().
 *
 * Order matters. Every argument and every member is checked before the
 * first byte is written, so bad input changes nothing. Then, on every
 * member: old ddraid superblocks and (with force) foreign signatures are
 * erased, the write-intent slots and the data area are zeroed, and only
 * then are the new superblocks written, last, on every member. A create
 * that is interrupted therefore leaves members without a superblock (which
 * nothing assembles), never a half-made volume that looks whole.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include <blkid.h>
#include <uuid.h>

#include "ddraid.h"
#include "sb_io.h"

/* Zeroing is done in chunks so that progress is reported now and then. */
#define ZERO_CHUNK	(64ull << 20)
#define ZERO_BUF	(1u << 20)

struct member {
	const char *path;
	int fd;
	struct stat st;
	u64 size;
	u32 lbs;
};

static int seterr(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int seterr(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Open one member. A block device is opened O_EXCL so that a mounted or
 * otherwise held device is refused by the kernel rather than overwritten.
 */
static int member_stat(struct member *m, char *err, size_t errlen)
{
	if (stat(m->path, &m->st))
		return seterr(err, errlen, -errno, "%s: %s", m->path,
			      strerror(errno));
	return 0;
}

static int member_open(struct member *m, char *err, size_t errlen)
{
	int r, flags = O_RDWR | O_CLOEXEC;

	if (S_ISBLK(m->st.st_mode))
		flags |= O_EXCL;
	else if (!S_ISREG(m->st.st_mode))
		return seterr(err, errlen, -EINVAL,
			      "%s: not a block device or regular file",
			      m->path);
	m->fd = open(m->path, flags);
	if (m->fd < 0) {
		r = -errno;
		if (r == -EBUSY)
			return seterr(err, errlen, r,
				      "%s: device is in use (mounted, or held by another device)",
				      m->path);
		return seterr(err, errlen, r, "%s: cannot open: %s", m->path,
			      strerror(-r));
	}
	r = ddraid_fd_size(m->fd, &m->size);
	if (!r)
		r = ddraid_fd_lbs(m->fd, &m->lbs);
	if (r)
		return seterr(err, errlen, r, "%s: cannot get its size: %s",
			      m->path, strerror(-r));
	return 0;
}

/* Refuse a member that already is part of a ddraid volume. */
static int check_ddraid_sb(const struct member *m, char *err, size_t errlen)
{
	struct ddraid_sb old;
	char uu[37];
	int r = ddraid_sb_read_fd(m->fd, &old, NULL);

	if (r == -ENODATA)
		return 0;
	if (r >= 0) {
		uuid_unparse(old.uuid, uu);
		return seterr(err, errlen, -EEXIST,
			      "%s: holds a ddraid superblock (volume '%s' uuid %s, member %u of %u); refusing to overwrite it without force",
			      m->path, old.name, uu, old.member_index,
			      old.members);
	}
	if (r == -EBADMSG || r == -EINVAL || r == -EPROTONOSUPPORT)
		return seterr(err, errlen, -EEXIST,
			      "%s: holds a damaged or unsupported ddraid superblock; refusing to overwrite it without force",
			      m->path);
	return seterr(err, errlen, r, "%s: cannot read: %s", m->path,
		      strerror(-r));
}

static blkid_probe probe_new(int fd)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, 0)) {
		blkid_free_probe(pr);
		return NULL;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_MAGIC |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	return pr;
}

/*
 * Refuse a member with any filesystem, RAID or partition-table signature
 * libblkid knows, naming them all (as wipefs would list them).
 */
static int check_signatures(const struct member *m, char *err, size_t errlen)
{
	blkid_probe pr = probe_new(m->fd);
	char found[256] = "";
	size_t used = 0;
	int count = 0;

	if (!pr)
		return seterr(err, errlen, -ENOMEM,
			      "%s: cannot probe for signatures", m->path);
	while (blkid_do_probe(pr) == 0) {
		const char *type = NULL;

		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) &&
		    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
			type = "unknown";
		if (used < sizeof(found))
			used += (size_t)snprintf(found + used,
						 sizeof(found) - used, "%s%s",
						 count ? ", " : "", type);
		count++;
	}
	blkid_free_probe(pr);
	if (!count)
		return 0;
	return seterr(err, errlen, -EEXIST,
		      "%s: holds %s signature%s (%s); refusing to overwrite without force",
		      m->path, count > 1 ? "these" : "a", count > 1 ? "s" : "",
		      found);
}

/* Erase every signature libblkid finds (the magic bytes only). */
static int wipe_signatures(const struct member *m, char *err, size_t errlen)
{
	blkid_probe pr = probe_new(m->fd);

	if (!pr)
		return seterr(err, errlen, -ENOMEM,
			      "%s: cannot probe for signatures", m->path);
	while (blkid_do_probe(pr) == 0) {
		if (blkid_do_wipe(pr, 0)) {
			blkid_free_probe(pr);
			return seterr(err, errlen, -EIO,
				      "%s: cannot erase an old signature",
				      m->path);
		}
	}
	blkid_free_probe(pr);
	return 0;
}

static int write_zeros(int fd, u64 off, u64 len)
{
	static const char zeros[ZERO_BUF];

	while (len) {
		size_t n = len < ZERO_BUF ? (size_t)len : ZERO_BUF;
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		off += (u64)w;
		len -= (u64)w;
	}
	return 0;
}

/*
 * Zero [off, off + len) of a member the cheapest way it supports: the
 * device's own zeroing, an unwritten/punched range in a file, or plain
 * writes of zeros.
 */
static int zero_range(const struct member *m, u64 off, u64 len)
{
	if (S_ISBLK(m->st.st_mode)) {
		/*
		 * At most 65536 logical blocks per BLKZEROOUT: NVMe's Write
		 * Zeroes carries a 16-bit block count, and Debian 12's 6.1
		 * nvme host driver does not split a larger request over
		 * NVMe/TCP: it zeroes the count modulo 65536 and reports
		 * success (measured: 63 MiB asked through nvmet, 31 MiB
		 * zeroed), which a member imported by create --nodes hit.
		 */
		u64 step = (u64)(m->lbs ? m->lbs : 512) << 16, done = 0;

		while (done < len) {
			u64 range[2] = { off + done, len - done };

			if (range[1] > step)
				range[1] = step;
			if (ioctl(m->fd, BLKZEROOUT, range))
				break;
			done += range[1];
		}
		if (done == len)
			return 0;
		/* Not supported (or failed): plain writes, from the start. */
	} else {
		if (!fallocate(m->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			       (off_t)off, (off_t)len))
			return 0;
		if (!fallocate(m->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (off_t)off, (off_t)len))
			return 0;
	}
	return write_zeros(m->fd, off, len);
}

/* Everything that can be known to be wrong before anything is written. */
static int validate(struct member *mem, unsigned int n,
		    const struct ddraid_create_opts *o, struct ddraid_sb *sb,
		    char *err, size_t errlen)
{
	const char *name = o->name ? o->name : "";
	char why_name[128];
	u64 region = o->region_size ? o->region_size : DDRAID_REGION_DEFAULT;
	struct ddraid_geom g;
	const char *why = NULL;
	u64 smallest = ~0ull;
	unsigned int i, j, small = 0;
	int r;

	/* No name at all is allowed (a volume used standalone, unnamed). */
	if (*name && ddraid_check_volume_name(name, why_name,
					      sizeof(why_name)))
		return seterr(err, errlen, -EINVAL, "volume name '%s': %s",
			      name, why_name);
	if (region & (region - 1) || region < DDRAID_REGION_MIN ||
	    region > DDRAID_REGION_MAX)
		return seterr(err, errlen, -EINVAL,
			      "region size %llu is not a power of two between %llu (64 KiB) and %llu (1 GiB)",
			      (unsigned long long)region,
			      (unsigned long long)DDRAID_REGION_MIN,
			      (unsigned long long)DDRAID_REGION_MAX);
	for (i = 0; i < n; i++) {
		if (!mem[i].path || !mem[i].path[0])
			return seterr(err, errlen, -EINVAL,
				      "member %u: empty path", i);
		if (!strcmp(mem[i].path, DDRAID_MISSING))
			return seterr(err, errlen, -EINVAL,
				      "member %u: a volume cannot be created with a missing member",
				      i);
		r = member_stat(&mem[i], err, errlen);
		if (r)
			return r;
		/* Before opening: a second O_EXCL open would say "in use". */
		for (j = 0; j < i; j++)
			if (same_file(&mem[i].st, &mem[j].st))
				return seterr(err, errlen, -EINVAL,
					      "%s: given twice (members %u and %u are the same %s)",
					      mem[i].path, j, i,
					      S_ISBLK(mem[i].st.st_mode) ?
					      "device" : "file");
		r = member_open(&mem[i], err, errlen);
		if (r)
			return r;
	}
	for (i = 0; i < n && !o->force; i++) {
		r = check_ddraid_sb(&mem[i], err, errlen);
		if (!r)
			r = check_signatures(&mem[i], err, errlen);
		if (r)
			return r;
	}
	for (i = 0; i < n; i++) {
		if (mem[i].size < smallest) {
			smallest = mem[i].size;
			small = i;
		}
	}
	r = ddraid_layout_new(sb, n, smallest, region);
	if (r == -ENOSPC)
		return seterr(err, errlen, r,
			      "%s: too small (%llu bytes): each member needs room for the metadata and at least one region (%llu bytes of volume data)",
			      mem[small].path, (unsigned long long)smallest,
			      (unsigned long long)region);
	if (r)
		return seterr(err, errlen, r, "cannot lay out the volume: %s",
			      strerror(-r));
	if (o->uuid)
		memcpy(sb->uuid, o->uuid, DDRAID_UUID_BYTES);
	else
		uuid_generate(sb->uuid);
	snprintf(sb->name, sizeof(sb->name), "%s", name);
	sb->ctime = sb->utime = (u64)time(NULL);
	sb->member_index = 0;
	if (ddraid_sb_validate(sb, &why))
		return seterr(err, errlen, -EINVAL,
			      "internal error: new superblock does not validate: %s",
			      why);
	r = ddraid_sb_geom(sb, &g);
	if (r)
		return seterr(err, errlen, r, "internal error: bad geometry");
	for (i = 0; i < n; i++)
		if (!ddraid_geom_member_lbs_ok(&g, mem[i].lbs))
			return seterr(err, errlen, -EINVAL,
				      "%s: logical block size %u does not divide the %u-byte fragment of a %u-member volume",
				      mem[i].path, mem[i].lbs, g.frag_size, n);
	return 0;
}

/* Zero every member's data area, reporting progress in volume blocks. */
static int zero_data(struct member *mem, unsigned int n,
		     const struct ddraid_sb *sb,
		     const struct ddraid_create_opts *o, char *err,
		     size_t errlen)
{
	u64 member_data = sb->member_size - sb->data_offset;
	u64 total = sb->data_size >> DDRAID_BLOCK_SHIFT;
	u64 done_bytes = 0, off;
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		for (off = 0; off < member_data; off += ZERO_CHUNK) {
			u64 len = member_data - off;

			if (len > ZERO_CHUNK)
				len = ZERO_CHUNK;
			r = zero_range(&mem[i], sb->data_offset + off, len);
			if (r)
				return seterr(err, errlen, r,
					      "%s: cannot zero bytes %llu-%llu: %s",
					      mem[i].path,
					      (unsigned long long)(sb->data_offset + off),
					      (unsigned long long)(sb->data_offset + off + len),
					      strerror(-r));
			done_bytes += len;
			if (o->progress &&
			    o->progress(o->progress_arg,
					(done_bytes / n) >> (DDRAID_BLOCK_SHIFT - sb->k),
					total))
				return seterr(err, errlen, -ECANCELED,
					      "interrupted while zeroing; no superblock was written");
		}
	}
	return 0;
}

static int write_volume(struct member *mem, unsigned int n,
			struct ddraid_sb *sb,
			const struct ddraid_create_opts *o, char *err,
			size_t errlen)
{
	const char *why = NULL;
	unsigned int i;
	int r;

	/*
	 * First make sure no member still looks like part of an old volume
	 * while its contents are being replaced.
	 */
	for (i = 0; i < n; i++) {
		r = write_zeros(mem[i].fd, DDRAID_SB_OFFSET(0),
				DDRAID_SB_COPIES * DDRAID_SB_BYTES);
		if (!r && o->force)
			r = wipe_signatures(&mem[i], err, errlen);
		if (!r)
			r = zero_range(&mem[i], sb->bitmap_offset,
				       sb->data_offset - sb->bitmap_offset);
		if (r)
			return seterr(err, errlen, r,
				      "%s: cannot clear the metadata area: %s",
				      mem[i].path, strerror(-r));
	}
	if (!o->assume_clean) {
		r = zero_data(mem, n, sb, o, err, errlen);
		if (r)
			return r;
	}
	for (i = 0; i < n; i++)
		if (fdatasync(mem[i].fd))
			return seterr(err, errlen, -errno, "%s: flush: %s",
				      mem[i].path, strerror(errno));
	/* Superblocks last: only now is the volume complete. */
	for (i = 0; i < n; i++) {
		sb->member_index = i;
		sb->update_seq = 0;
		r = ddraid_sb_write_fd(mem[i].fd, sb, &why);
		if (r)
			return seterr(err, errlen, r,
				      "%s: cannot write the superblock: %s",
				      mem[i].path, why ? why : strerror(-r));
	}
	return 0;
}

int ddraid_create(const char *const *paths, unsigned int n,
		  const struct ddraid_create_opts *opts, char *err,
		  size_t errlen)
{
	struct ddraid_create_opts none = { 0 };
	struct member mem[DDRAID_MAX_MEMBERS];
	struct ddraid_sb sb;
	unsigned int i;
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!opts)
		opts = &none;
	if (!paths || ddraid_members_to_k(n) < 0)
		return seterr(err, errlen, -EINVAL,
			      "%u members given: a volume has 2, 3, 5 or 9 members (2^k data members plus one parity member)",
			      n);
	for (i = 0; i < n; i++) {
		mem[i].path = paths[i];
		mem[i].fd = -1;
	}
	r = validate(mem, n, opts, &sb, err, errlen);
	if (!r)
		r = write_volume(mem, n, &sb, opts, err, errlen);
	for (i = 0; i < n; i++)
		if (mem[i].fd >= 0)
			close(mem[i].fd);
	return r;
}
