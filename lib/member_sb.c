// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading one member's superblock without assembling a volume: what
 * `ddraidctl examine` shows and what create uses to recognise a member
 * that already belongs to a volume.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ddraid.h"
#include "sb_io.h"

static const char *copy_why(const struct ddraid_sb_copies *c, int i)
{
	if (c->why[i])
		return c->why[i];
	return c->err[i] == -ENODATA ? "no ddraid magic" : strerror(-c->err[i]);
}

/* "copy 0 (byte 4096): <why>; copy 1 (byte 8192): <why>" for the bad ones. */
static void describe_bad_copies(const char *path,
				const struct ddraid_sb_copies *c, char *err,
				size_t errlen)
{
	size_t used;
	int i;

	if (!err || !errlen)
		return;
	used = (size_t)snprintf(err, errlen, "%s: ", path);
	for (i = 0; i < DDRAID_SB_COPIES && used < errlen; i++) {
		if (c->valid[i])
			continue;
		used += (size_t)snprintf(err + used, errlen - used,
					 "%ssuperblock copy %d (byte %llu): %s",
					 used > strlen(path) + 2 ? "; " : "",
					 i, (unsigned long long)DDRAID_SB_OFFSET(i),
					 copy_why(c, i));
	}
}

int ddraid_read_member_sb(const char *path, struct ddraid_sb *sb,
			  unsigned int *valid_copies, char *err,
			  size_t errlen)
{
	struct ddraid_sb_copies c;
	unsigned int nvalid = 0;
	int fd, r, i;

	if (err && errlen)
		err[0] = '\0';
	if (valid_copies)
		*valid_copies = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (err)
			snprintf(err, errlen, "%s: cannot open: %s", path,
				 strerror(-r));
		return r;
	}
	r = ddraid_sb_read_fd(fd, sb, &c);
	close(fd);
	if (r == -ENODATA) {
		if (err)
			snprintf(err, errlen,
				 "%s: no ddraid superblock (no magic at byte %llu or %llu)",
				 path, (unsigned long long)DDRAID_SB_OFFSET(0),
				 (unsigned long long)DDRAID_SB_OFFSET(1));
		return r;
	}
	if (r < 0 && r != -EBADMSG && r != -EINVAL && r != -EPROTONOSUPPORT) {
		/* Not a decode result: the read itself failed. */
		if (err)
			snprintf(err, errlen, "%s: cannot read superblock: %s",
				 path, strerror(-r));
		return r;
	}
	for (i = 0; i < DDRAID_SB_COPIES; i++)
		nvalid += c.valid[i];
	if (valid_copies)
		*valid_copies = nvalid;
	/*
	 * With one bad copy the member is still usable, but say which copy
	 * was bad: the caller may show it as a warning.
	 */
	if (nvalid < DDRAID_SB_COPIES)
		describe_bad_copies(path, &c, err, errlen);
	return r < 0 ? r : 0;
}
