/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading and writing a member's two superblock copies through a file
 * descriptor. Internal to libddraid and ddraidctl.
 */
#ifndef DDRAID_SB_IO_H
#define DDRAID_SB_IO_H

#include "ddraid_format.h"

struct ddraid_sb_copies {
	struct ddraid_sb sb[DDRAID_SB_COPIES];
	bool valid[DDRAID_SB_COPIES];
	int err[DDRAID_SB_COPIES];		/* decode result of each copy */
	const char *why[DDRAID_SB_COPIES];	/* its reason when invalid */
};

/*
 * Read and decode both copies from @fd. Returns the index of the copy to
 * trust (0 or 1), -ENODATA if neither has the ddraid magic, the first
 * copy's decode error if neither is valid, or -errno for a read error.
 * @c (may be NULL) receives the per-copy results.
 */
int ddraid_sb_read_fd(int fd, struct ddraid_sb *sb, struct ddraid_sb_copies *c);

/*
 * Write @sb to both copies of @fd, one after the other with a flush after
 * each, so that a crash or torn write leaves at least one valid copy: the
 * old or the new. sb->update_seq is incremented first. Returns 0 or -errno
 * (-EINVAL with *why set if @sb does not validate).
 */
int ddraid_sb_write_fd(int fd, struct ddraid_sb *sb, const char **why);

/*
 * Zero the superblock copies in the bitmask @copies (bit i: copy i) and
 * flush: the member is no member any more (ddraidctl erase). Returns 0 or
 * -errno.
 */
int ddraid_sb_erase_fd(int fd, unsigned int copies);

/* Size in bytes of a block device or regular file. */
int ddraid_fd_size(int fd, u64 *bytes);

/* Logical block size of a block device; 512 for a regular file. */
int ddraid_fd_lbs(int fd, u32 *lbs);

#endif /* DDRAID_SB_IO_H */
