// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channel transport for the dm target: the misc device /dev/ddraid
 * (docs/kernel-channel.md). --channel kernel:DMDEV names the dm device
 * (e.g. /dev/mapper/vol0) whose dev_t ATTACH carries.
 *
 * The host has no device-mapper: this transport is exercised against the
 * dm target (dmtarget/dm-ddraid-chan.c) only inside the VM tests,
 * tests/vm/t-cluster-*.sh.
 * Rebuilds onto a new device need a dm table reload (ddraidctl's
 * cmd_dm.c does that); until then member_path reports EOPNOTSUPP.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "chan.h"

#define CHAN_KERNEL_DEV	"/dev/ddraid"

static int kernel_connect(const char *dmdev, u64 *devt)
{
	struct stat st;
	int fd;

	if (!dmdev[0])
		return -EINVAL;
	if (stat(dmdev, &st))
		return errno == ENOENT ? -EAGAIN : -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	fd = open(CHAN_KERNEL_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? -EAGAIN : -errno;
	/* The kernel's new encoding of dev_t (new_encode_dev). */
	*devt = (minor(st.st_rdev) & 0xffu) | (major(st.st_rdev) << 8) |
		((u64)(minor(st.st_rdev) & ~0xffu) << 12);
	return fd;
}

const struct chan_transport chan_kernel = {
	.name = "kernel",
	.connect = kernel_connect,
};
