/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd --pid-file: a pid file that is also the lock that keeps a second
 * daemon of the same volume from starting (it would take over the control
 * socket and the channel of the first).
 *
 * The lock is an flock(2) on the file, held for the daemon's lifetime: it
 * goes away with the process however it ends, so a file left behind by a
 * crash (or a pid since reused by another process) is stale by definition
 * and is taken over. flock belongs to the open file, so a lock taken
 * before daemon(3) is kept by the child.
 */
#ifndef DDRAIDD_PIDFILE_H
#define DDRAIDD_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

struct pidfile {
	int fd;
	const char *path;
};

/*
 * Create (or take over a stale) @path and lock it; creates its directory
 * (one level, mode 0700, as the control socket's) if needed. 0 on success;
 * -EEXIST when a live process holds it (its pid in *@holder, 0 if it has
 * not written it yet); another -errno with *@what naming the step that
 * failed. Writes nothing into the file.
 */
int pidfile_lock(struct pidfile *pf, const char *path, pid_t *holder,
		 const char **what);
/* Write @pid (the daemon's, after detaching) into the locked file. */
int pidfile_write(struct pidfile *pf, pid_t pid);
/* Remove the file, then drop the lock. Safe on an unlocked @pf. */
void pidfile_remove(struct pidfile *pf);

/*
 * The directory @path (a pid file, the control socket) lives in, made
 * 0700 if it does not exist (one level). 0 or -errno.
 */
int run_dir_make(const char *path);

#endif /* DDRAIDD_PIDFILE_H */
