// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channel transport for the dm target: the misc device /dev/ddraid
 * (docs/kernel-channel.md). --channel kernel:DMDEV names the dm device
 * (e.g. /dev/mapper/vol0) whose dev_t ATTACH carries.
 *
 * The host has no device-mapper: this transport is exercised against the
 * dm target (dmtarget/dm-ddraid-chan.c) only inside the VM tests,
 * tests/vm/t-cluster-*.sh.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "chan.h"
#include "dm_util.h"
#include "log.h"

#define CHAN_KERNEL_DEV	"/dev/ddraid"

static int dm_devt(const char *dmdev, dev_t *devt)
{
	struct stat st;

	if (!dmdev[0])
		return -EINVAL;
	if (stat(dmdev, &st))
		return errno == ENOENT ? -EAGAIN : -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	*devt = st.st_rdev;
	return 0;
}

static int kernel_connect(const char *dmdev, u64 *devt)
{
	dev_t d;
	int fd, r;

	r = dm_devt(dmdev, &d);
	if (r)
		return r;
	fd = open(CHAN_KERNEL_DEV, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? -EAGAIN : -errno;
	/* The kernel's new encoding of dev_t (new_encode_dev). */
	*devt = (minor(d) & 0xffu) | (major(d) << 8) |
		((u64)(minor(d) & ~0xffu) << 12);
	return fd;
}

/*
 * A rebuild's new device goes into the live table: a reload with
 * "rebuild m", swapped in by a noflush suspend. The target gives IO that
 * would wait for us back to dm during it, so this blocking call cannot
 * wait for this daemon; the new table takes the grants, locks and this
 * channel over, so nothing here reconnects.
 */
static int kernel_member_path(const char *dmdev, u32 m, const char *path)
{
	char err[256];
	dev_t d;
	int r;

	r = dm_devt(dmdev, &d);
	if (r)
		return r;
	r = ddraid_dm_reload_member(d, m, path, err, sizeof(err));
	if (r)
		log_err("putting %s in as member %u of %s: %s", path, m, dmdev,
			err);
	else
		log_info("%s is member %u of %s now (table reloaded)", path, m,
			 dmdev);
	return r;
}

const struct chan_transport chan_kernel = {
	.name = "kernel",
	.connect = kernel_connect,
	.member_path = kernel_member_path,
};
