// SPDX-License-Identifier: GPL-2.0-only
/*
 * Member IO: batches of reads and writes on the members, many in flight
 * through one io_uring per volume, each member throttled like a disk.
 * O_DIRECT is used where the member accepts it; a member that refuses it
 * (at open, or with EINVAL on an IO, as tmpfs does) is reopened buffered
 * and the IO retried. Short transfers are resubmitted for the rest.
 */
#include "config.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"

enum { REQ_NEW, REQ_INFLIGHT, REQ_DONE };

void *ddraid_buf_alloc(size_t len)
{
	void *p;

	if (!len)
		len = DDRAID_BUF_ALIGN;
	if (posix_memalign(&p, DDRAID_BUF_ALIGN, len))
		return NULL;
	return p;
}

int ddraid_mio_init(struct ddraid_mio *io, unsigned int nmembers)
{
	unsigned int i;

	memset(io, 0, sizeof(*io));
	io->nmembers = nmembers;
	for (i = 0; i < DDRAID_MAX_MEMBERS; i++)
		io->m[i].fd = -1;
	/* Without io_uring (seccomp, old kernel) IO runs synchronously. */
	io->ring_ok = io_uring_queue_init(DDRAID_RING_DEPTH, &io->ring, 0) == 0;
	return 0;
}

void ddraid_mio_exit(struct ddraid_mio *io)
{
	unsigned int i;

	for (i = 0; i < DDRAID_MAX_MEMBERS; i++)
		ddraid_mio_close(io, i);
	if (io->ring_ok)
		io_uring_queue_exit(&io->ring);
	io->ring_ok = false;
}

static int open_flags(bool rdonly, bool direct)
{
	return (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0);
}

int ddraid_mio_open(struct ddraid_mio *io, unsigned int idx, const char *path,
		    bool rdonly, bool buffered)
{
	struct ddraid_member_fd *m = &io->m[idx];
	int fd = -1;

	ddraid_mio_close(io, idx);
	if (!buffered) {
		fd = open(path, open_flags(rdonly, true));
		if (fd >= 0)
			m->direct = true;
		else if (errno != EINVAL)
			return -errno;
	}
	if (fd < 0) {
		fd = open(path, open_flags(rdonly, false));
		if (fd < 0)
			return -errno;
		m->direct = false;
	}
	m->path = strdup(path);
	if (!m->path) {
		close(fd);
		return -ENOMEM;
	}
	m->fd = fd;
	m->rdonly = rdonly;
	return 0;
}

void ddraid_mio_close(struct ddraid_mio *io, unsigned int idx)
{
	struct ddraid_member_fd *m = &io->m[idx];

	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	free(m->path);
	m->path = NULL;
	m->direct = false;
}

/* The member refused O_DIRECT for this IO: carry on buffered. */
static int reopen_buffered(struct ddraid_member_fd *m)
{
	int fd = open(m->path, open_flags(m->rdonly, false));

	if (fd < 0)
		return -errno;
	/* In-flight IOs hold their own reference to the old file. */
	close(m->fd);
	m->fd = fd;
	m->direct = false;
	return 0;
}

int ddraid_mio_sync(struct ddraid_mio *io, unsigned int idx)
{
	struct ddraid_member_fd *m = &io->m[idx];

	if (m->inject_error)
		return -EIO;
	if (m->fd < 0)
		return -ENODEV;
	return fdatasync(m->fd) ? -errno : 0;
}

/*
 * Account one completed transfer of @res bytes (or -errno). Returns true
 * when the request is finished, false when the rest must be resubmitted.
 */
static bool req_complete(struct ddraid_member_fd *m, struct ddraid_mio_req *r,
			 int res)
{
	if (res == -EINVAL && m->direct) {
		res = reopen_buffered(m);
		if (!res)
			return false;
	}
	if (res == -EINTR || res == -EAGAIN)
		return false;
	if (res < 0) {
		r->res = res;
		return true;
	}
	if (res == 0) {
		/* End of the member before the end of the IO. */
		r->res = -EIO;
		return true;
	}
	r->done += (size_t)res;
	return r->done >= r->len;
}

static void sleep_for(double sec)
{
	struct timespec ts;

	if (sec <= 0)
		return;
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/*
 * May @r start now? Returns 0 if so (and the member's bucket is charged),
 * or the seconds to wait. Requests to one member start in order.
 */
static double admit(struct ddraid_member_fd *m, struct ddraid_mio_req *r,
		    double now)
{
	double w = ddraid_throttle_wait(&m->th, now, r->len - r->done);

	if (w > 0)
		return w;
	ddraid_throttle_charge(&m->th, now, r->len - r->done);
	return 0;
}

/* A request that cannot be issued at all finishes at once. */
static bool req_refused(struct ddraid_member_fd *m, struct ddraid_mio_req *r)
{
	if (m->inject_error)
		r->res = -EIO;
	else if (m->fd < 0)
		r->res = -ENODEV;
	else if (r->write && m->rdonly)
		r->res = -EROFS;
	else
		return false;
	return true;
}

static unsigned int run_sync(struct ddraid_mio *io, struct ddraid_mio_req *r,
			     unsigned int n)
{
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++) {
		struct ddraid_member_fd *m = &io->m[r[i].member];
		bool fin = false;

		while (!fin) {
			ssize_t x;
			u8 *p = (u8 *)r[i].buf + r[i].done;
			size_t len = r[i].len - r[i].done;
			off_t off = (off_t)(r[i].off + r[i].done);
			double w;

			if (req_refused(m, &r[i]))
				break;
			while ((w = admit(m, &r[i], ddraid_now())) > 0)
				sleep_for(w);
			x = r[i].write ? pwrite(m->fd, p, len, off) :
					 pread(m->fd, p, len, off);
			fin = req_complete(m, &r[i], x < 0 ? -errno : (int)x);
		}
		r[i].state = REQ_DONE;
		failed += r[i].res != 0;
	}
	return failed;
}

unsigned int ddraid_mio_run(struct ddraid_mio *io, struct ddraid_mio_req *r,
			    unsigned int n)
{
	unsigned int i, left = n, inflight = 0, failed = 0;
	u32 blocked;

	for (i = 0; i < n; i++) {
		r[i].done = 0;
		r[i].res = 0;
		r[i].state = REQ_NEW;
	}
	if (!io->ring_ok)
		return run_sync(io, r, n);

	while (left) {
		double now = ddraid_now(), wait = 0;
		struct io_uring_cqe *cqe;
		unsigned int queued = 0;

		blocked = 0;
		for (i = 0; i < n && inflight < DDRAID_RING_DEPTH; i++) {
			struct ddraid_member_fd *m = &io->m[r[i].member];
			struct io_uring_sqe *sqe;
			double w;

			if (r[i].state != REQ_NEW || blocked & (1u << r[i].member))
				continue;
			if (req_refused(m, &r[i])) {
				r[i].state = REQ_DONE;
				failed++;
				left--;
				continue;
			}
			w = admit(m, &r[i], now);
			if (w > 0) {
				blocked |= 1u << r[i].member;
				if (!wait || w < wait)
					wait = w;
				continue;
			}
			sqe = io_uring_get_sqe(&io->ring);
			if (!sqe)
				break;
			if (r[i].write)
				io_uring_prep_write(sqe, m->fd,
						    (u8 *)r[i].buf + r[i].done,
						    (unsigned int)(r[i].len - r[i].done),
						    r[i].off + r[i].done);
			else
				io_uring_prep_read(sqe, m->fd,
						   (u8 *)r[i].buf + r[i].done,
						   (unsigned int)(r[i].len - r[i].done),
						   r[i].off + r[i].done);
			io_uring_sqe_set_data64(sqe, i);
			r[i].state = REQ_INFLIGHT;
			inflight++;
			queued++;
		}
		if (queued)
			io_uring_submit(&io->ring);
		if (!inflight) {
			sleep_for(wait);
			continue;
		}
		if (wait > 0) {
			struct __kernel_timespec ts = {
				.tv_sec = (long long)wait,
				.tv_nsec = (long long)((wait - (double)(long long)wait) * 1e9),
			};

			if (io_uring_wait_cqe_timeout(&io->ring, &cqe, &ts))
				continue;
		} else if (io_uring_wait_cqe(&io->ring, &cqe)) {
			continue;
		}
		do {
			unsigned int ri = (unsigned int)io_uring_cqe_get_data64(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&io->ring, cqe);
			inflight--;
			if (req_complete(&io->m[r[ri].member], &r[ri], res)) {
				r[ri].state = REQ_DONE;
				failed += r[ri].res != 0;
				left--;
			} else {
				r[ri].state = REQ_NEW;
			}
		} while (!io_uring_peek_cqe(&io->ring, &cqe));
	}
	return failed;
}
