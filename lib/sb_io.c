// SPDX-License-Identifier: GPL-2.0-only
/*
 * Superblock copies on a member, and the size facts of a member.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "ddraid.h"
#include "sb_io.h"

/* pread/pwrite the whole range, retrying short transfers and EINTR. */
static int pio_full(int fd, void *buf, size_t len, off_t off, bool write)
{
	char *p = buf;

	while (len) {
		ssize_t r = write ? pwrite(fd, p, len, off) : pread(fd, p, len, off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return write ? -EIO : -ENODATA;
		p += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

/*
 * The buffer is aligned so that the same code works on a descriptor opened
 * with O_DIRECT.
 */
static void *sb_buf_alloc(void)
{
	void *buf;

	if (posix_memalign(&buf, DDRAID_SB_BYTES, DDRAID_SB_BYTES))
		return NULL;
	return buf;
}

int ddraid_sb_read_fd(int fd, struct ddraid_sb *sb, struct ddraid_sb_copies *c)
{
	struct ddraid_sb_copies local;
	void *buf = sb_buf_alloc();
	bool any_magic = false;
	int i, r, pick;

	if (!c)
		c = &local;
	if (!buf)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	for (i = 0; i < DDRAID_SB_COPIES; i++) {
		r = pio_full(fd, buf, DDRAID_SB_BYTES, (off_t)DDRAID_SB_OFFSET(i),
			     false);
		if (r == -ENODATA) {	/* file shorter than the superblock */
			c->err[i] = -ENODATA;
			c->why[i] = "member too small to hold a superblock";
			continue;
		}
		if (r) {
			free(buf);
			return r;
		}
		c->err[i] = ddraid_sb_decode(buf, DDRAID_SB_BYTES, &c->sb[i],
					     &c->why[i]);
		c->valid[i] = c->err[i] == 0;
		if (c->err[i] != -ENODATA)
			any_magic = true;
	}
	free(buf);
	pick = ddraid_sb_pick(c->sb, c->valid);
	if (pick < 0)
		return any_magic ? (c->err[0] != -ENODATA ? c->err[0] : c->err[1])
				 : -ENODATA;
	*sb = c->sb[pick];
	return pick;
}

int ddraid_sb_write_fd(int fd, struct ddraid_sb *sb, const char **why)
{
	void *buf = sb_buf_alloc();
	int i, r;

	if (!buf)
		return -ENOMEM;
	sb->update_seq++;
	r = ddraid_sb_encode(sb, buf, why);
	for (i = 0; !r && i < DDRAID_SB_COPIES; i++) {
		r = pio_full(fd, buf, DDRAID_SB_BYTES,
			     (off_t)DDRAID_SB_OFFSET(i), true);
		if (!r && fdatasync(fd))
			r = -errno;
	}
	if (r)
		sb->update_seq--;
	free(buf);
	return r;
}

int ddraid_sb_erase_fd(int fd, unsigned int copies)
{
	void *buf = sb_buf_alloc();
	int i, r = 0;

	if (!buf)
		return -ENOMEM;
	memset(buf, 0, DDRAID_SB_BYTES);
	for (i = 0; !r && i < DDRAID_SB_COPIES; i++)
		if (copies & (1u << i))
			r = pio_full(fd, buf, DDRAID_SB_BYTES,
				     (off_t)DDRAID_SB_OFFSET(i), true);
	if (!r && fdatasync(fd))
		r = -errno;
	free(buf);
	return r;
}

int ddraid_fd_size(int fd, u64 *bytes)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes) ? -errno : 0;
	if (S_ISREG(st.st_mode)) {
		*bytes = (u64)st.st_size;
		return 0;
	}
	return -ENOTBLK;
}

int ddraid_fd_lbs(int fd, u32 *lbs)
{
	struct stat st;
	int v;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode)) {
		*lbs = 512;
		return 0;
	}
	if (ioctl(fd, BLKSSZGET, &v))
		return -errno;
	*lbs = (u32)v;
	return 0;
}
