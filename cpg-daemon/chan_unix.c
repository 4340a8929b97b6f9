// SPDX-License-Identifier: GPL-2.0-only
/*
 * Channel transport for the userspace stand-in target (tests/netns): a UNIX
 * stream socket the stand-in listens on. The daemon connects, as it would
 * open /dev/ddraid. Only root may connect: the stand-in creates the socket
 * mode 0600 in a directory of its own.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chan.h"

static int unix_connect(const char *path, u64 *devt)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		e = errno;
		close(fd);
		/* Not listening yet: the stand-in may start after us. */
		return (e == ENOENT || e == ECONNREFUSED) ? -EAGAIN : -e;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	*devt = 0;
	return fd;
}

/*
 * The stand-in reads PATH.memberN when told MEMBER_STATE rebuilding: the
 * file names the device to write member N to. Written atomically (rename).
 */
static int unix_member_path(const char *sock, u32 m, const char *path)
{
	char tmp[4300], dst[4200];
	FILE *f;

	snprintf(dst, sizeof(dst), "%s.member%u", sock, m);
	snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", path);
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	return rename(tmp, dst) ? -errno : 0;
}

const struct chan_transport chan_unix = {
	.name = "unix",
	.connect = unix_connect,
	.member_path = unix_member_path,
};
