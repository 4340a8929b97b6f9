// SPDX-License-Identifier: GPL-2.0-only
/* ddraidd's pid file and single-instance lock (pidfile.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

/* The pid a holder wrote, or 0 (not written yet, or not a pid). */
static pid_t read_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long v;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

int run_dir_make(const char *path)
{
	char *dir = strdup(path), *slash;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			r = -errno;
	}
	free(dir);
	return r;
}

int pidfile_lock(struct pidfile *pf, const char *path, pid_t *holder,
		 const char **what)
{
	struct stat a, b;
	int fd, r, tries;

	pf->fd = -1;
	pf->path = path;
	*holder = 0;
	r = run_dir_make(path);
	if (r) {
		*what = "cannot create its directory";
		return r;
	}
	/*
	 * A holder that exits unlinks the file before it unlocks it: a lock
	 * won on an inode that is no longer at @path is worthless (a third
	 * daemon would create and lock a new file there). Check, and retry
	 * on the new file; a few rounds cover any real race.
	 */
	for (tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			*what = "cannot open it";
			return -errno;
		}
		if (fstat(fd, &a) || !S_ISREG(a.st_mode)) {
			close(fd);
			*what = "not a regular file";
			return -EINVAL;
		}
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			r = -errno;
			if (r == -EWOULDBLOCK) {
				*holder = read_pid(fd);
				r = -EEXIST;
				*what = "held by a running daemon";
			} else {
				*what = "cannot lock it";
			}
			close(fd);
			return r;
		}
		if (stat(path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			pf->fd = fd;
			return 0;
		}
		close(fd);
	}
	*what = "it keeps being replaced";
	return -EAGAIN;
}

int pidfile_write(struct pidfile *pf, pid_t pid)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	ssize_t w;

	/* Whatever a crashed daemon left in the file goes. */
	if (ftruncate(pf->fd, 0))
		return -errno;
	w = pwrite(pf->fd, buf, (size_t)n, 0);
	if (w < 0)
		return -errno;
	return w == n ? 0 : -EIO;
}

void pidfile_remove(struct pidfile *pf)
{
	if (pf->fd < 0)
		return;
	/* Unlink while still locked: see pidfile_lock(). */
	unlink(pf->path);
	close(pf->fd);
	pf->fd = -1;
}
