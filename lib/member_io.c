// SPDX-License-Identifier: GPL-2.0-only
/*
 * Member IO: reads and writes on the members, many in flight through one
 * io_uring per volume, each member throttled like a disk. Requests wait
 * in a queue per member (oldest first) until the member's throttle admits
 * them, and each finishes on its own (its end callback), so that callers
 * can keep IO flowing instead of waiting for whole batches.
 * O_DIRECT is used where the member accepts it; a member that refuses it
 * (at open, or with EINVAL on an IO, as tmpfs does) is reopened buffered
 * and the IO retried. Short transfers are resubmitted for the rest.
 */
#include "config.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	const char *fault_dir = getenv("DDRAID_FAULT_PATH_DIR");
	unsigned int i;

	memset(io, 0, sizeof(*io));
	io->nmembers = nmembers;
	for (i = 0; i < DDRAID_MAX_MEMBERS; i++)
		io->m[i].fd = -1;
	if (fault_dir && *fault_dir) {
		io->fault_dir = strdup(fault_dir);
		if (!io->fault_dir)
			return -ENOMEM;
	}
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
	free(io->fault_dir);
	io->fault_dir = NULL;
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

static void sleep_for(double sec);

/*
 * Path faults, for the multi-node tests (tests/netns): one node's path to
 * one member cut by the test while every other node still reaches it, as
 * a network fault between two hosts cuts NVMe/TCP.
 *
 * Why here: every member IO of a process passes this layer (data, bitmap
 * pages and flushes as requests; superblocks and probes ask
 * ddraid_mio_path_wait() first), in ddraidd and in the netns stand-in
 * target alike, so one switch cuts exactly one node's IO to one member
 * and the member file stays whole for the others. A loop or NBD device
 * per node and member would model the transport more literally, but the
 * test host has no device-mapper and loads no modules.
 *
 * $DDRAID_FAULT_PATH_DIR names a directory (the node's). While a file
 * cut-M exists there, this process's path to member M has been down since
 * the file's modification time; its content says what the transport
 * does meanwhile (write it whole, e.g. through a rename):
 *   - empty or 0: IO to M fails at once with EIO;
 *   - N: IO waits for the path; once it has been down N milliseconds,
 *     waiting and new IO fail with EIO (NVMe/TCP's fast_io_fail_tmo); if
 *     the path comes back first, the IO goes on, late;
 *   - hold: IO waits until the path comes back however long that takes
 *     (ctrl_loss_tmo unbounded): a write held so lands after whatever the
 *     cluster did meanwhile (late writes).
 * A second word "writes" (e.g. "0 writes") cuts writes and flushes only;
 * reads go on: a half-broken path (a network that passes small reads but
 * drops large writes, say) that a probe reading the superblock finds fine.
 * Removing the file brings the path back. Unset, nothing is checked.
 */
enum { PATH_UP, PATH_WAIT, PATH_DOWN };
#define PATH_POLL_S	0.02	/* how often a held IO looks again */

static int path_state(const struct ddraid_mio *io, unsigned int idx,
		      bool write, double *wait)
{
	char p[PATH_MAX], buf[32];
	struct timespec now;
	struct stat st;
	double down, tmo;
	ssize_t n;
	int fd;

	if (!io->fault_dir)
		return PATH_UP;
	snprintf(p, sizeof(p), "%s/cut-%u", io->fault_dir, idx);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PATH_UP;
	n = fstat(fd, &st) ? -1 : read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (!write && strstr(buf, "writes"))
		return PATH_UP;
	*wait = PATH_POLL_S;
	if (!strncmp(buf, "hold", 4))
		return PATH_WAIT;
	tmo = strtod(buf, NULL) / 1000.0;
	clock_gettime(CLOCK_REALTIME, &now);
	down = (double)(now.tv_sec - st.st_mtim.tv_sec) +
	       (double)(now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
	if (n < 0 || !(tmo > down))
		return PATH_DOWN;
	if (tmo - down < *wait)
		*wait = tmo - down;
	return PATH_WAIT;
}

int ddraid_mio_path_wait(struct ddraid_mio *io, unsigned int idx, bool write)
{
	double w;

	for (;;) {
		if (io->m[idx].inject_error)
			return -EIO;
		switch (path_state(io, idx, write, &w)) {
		case PATH_UP:
			return 0;
		case PATH_DOWN:
			return -EIO;
		}
		sleep_for(w);
	}
}

/* One member's flush: the request ddraid_mio_flush() issues for each. */
int ddraid_mio_sync(struct ddraid_mio *io, unsigned int idx)
{
	struct ddraid_mio_req r = {
		.member = idx, .write = true, .flush = true,
	};

	ddraid_mio_run(io, &r, 1);
	return r.res;
}

/*
 * Account one completed transfer of @res bytes (or -errno). Returns true
 * when the request is finished, false when the rest must be resubmitted.
 */
static bool req_complete(struct ddraid_member_fd *m, struct ddraid_mio_req *r,
			 int res)
{
	if (r->flush) {
		if (res == -EINTR || res == -EAGAIN)
			return false;
		r->res = res < 0 ? res : 0;
		return true;
	}
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
 * May @r start now? 0 if so (and the member's bucket is charged), the
 * seconds to wait (its path is held, or its throttle), or -1 when it
 * cannot be issued at all (r->res says why: it finishes at once).
 * Requests to one member start in order.
 */
static double may_start(struct ddraid_mio *io, struct ddraid_mio_req *r,
			double now)
{
	struct ddraid_member_fd *m = &io->m[r->member];
	double w;

	if (m->inject_error)
		r->res = -EIO;
	else if (m->fd < 0)
		r->res = -ENODEV;
	else if (r->write && m->rdonly)
		r->res = -EROFS;
	if (r->res)
		return -1;
	switch (path_state(io, r->member, r->write, &w)) {
	case PATH_DOWN:
		r->res = -EIO;
		return -1;
	case PATH_WAIT:
		return w;
	}
	/* The disks' throttles (qemu's too) count reads and writes. */
	if (r->flush)
		return 0;
	w = ddraid_throttle_wait(&m->th, now, r->len - r->done);
	if (w > 0)
		return w;
	ddraid_throttle_charge(&m->th, now, r->len - r->done);
	if (m->inject_after && !--m->inject_after)
		m->inject_error = true;
	return 0;
}

static void q_push(struct ddraid_mio *io, struct ddraid_mio_req *r, bool head)
{
	u32 i = r->member;

	r->state = REQ_NEW;
	if (head) {
		r->next = io->qhead[i];
		io->qhead[i] = r;
		if (!io->qtail[i])
			io->qtail[i] = r;
		return;
	}
	r->next = NULL;
	if (io->qtail[i])
		io->qtail[i]->next = r;
	else
		io->qhead[i] = r;
	io->qtail[i] = r;
}

static void q_pop(struct ddraid_mio *io, u32 i)
{
	struct ddraid_mio_req *r = io->qhead[i];

	io->qhead[i] = r->next;
	if (!io->qhead[i])
		io->qtail[i] = NULL;
	r->next = NULL;
}

static void req_finish(struct ddraid_mio *io, struct ddraid_mio_req *r)
{
	r->state = REQ_DONE;
	io->busy--;
	if (!r->res) {
		if (r->write)
			io->bytes_written += r->len;
		else
			io->bytes_read += r->len;
	}
	if (r->end)
		r->end(r);
}

void ddraid_mio_queue(struct ddraid_mio *io, struct ddraid_mio_req *r)
{
	r->done = 0;
	r->res = 0;
	io->busy++;
	q_push(io, r, false);
}

bool ddraid_mio_busy(const struct ddraid_mio *io)
{
	return io->busy != 0;
}

/* Without a ring: the oldest request of the next member, synchronously. */
static unsigned int pump_sync(struct ddraid_mio *io)
{
	unsigned int k;

	for (k = 0; k < DDRAID_MAX_MEMBERS; k++) {
		u32 i = (io->rr + k) % DDRAID_MAX_MEMBERS;
		struct ddraid_member_fd *m = &io->m[i];
		struct ddraid_mio_req *r = io->qhead[i];
		bool fin = false;

		if (!r)
			continue;
		q_pop(io, i);
		io->rr = i + 1;
		while (!fin) {
			ssize_t x;
			u8 *p = (u8 *)r->buf + r->done;
			size_t len = r->len - r->done;
			off_t off = (off_t)(r->off + r->done);
			double w;

			while ((w = may_start(io, r, ddraid_now())) > 0)
				sleep_for(w);
			if (w < 0)
				break;
			if (r->flush)
				x = fdatasync(m->fd);
			else if (r->write)
				x = pwrite(m->fd, p, len, off);
			else
				x = pread(m->fd, p, len, off);
			fin = req_complete(m, r, x < 0 ? -errno : (int)x);
		}
		req_finish(io, r);
		return 1;
	}
	return 0;
}

/*
 * Start every queued request that its member's throttle admits (oldest
 * first per member). Returns the number that finished at once (refused);
 * *wait gets the shortest time until a blocked member may go on.
 */
static unsigned int start_admitted(struct ddraid_mio *io, double *wait)
{
	double now = ddraid_now();
	unsigned int fin = 0, queued = 0;
	u32 i;

	*wait = 0;
	for (i = 0; i < DDRAID_MAX_MEMBERS; i++) {
		struct ddraid_member_fd *m = &io->m[i];
		struct ddraid_mio_req *r;

		while ((r = io->qhead[i]) && io->inflight < DDRAID_RING_DEPTH) {
			struct io_uring_sqe *sqe;
			double w;

			w = may_start(io, r, now);
			if (w < 0) {
				q_pop(io, i);
				req_finish(io, r);
				fin++;
				continue;
			}
			if (w > 0) {
				if (!*wait || w < *wait)
					*wait = w;
				break;
			}
			sqe = io_uring_get_sqe(&io->ring);
			if (!sqe) {
				/* Full: submit and take another. */
				io_uring_submit(&io->ring);
				queued = 0;
				sqe = io_uring_get_sqe(&io->ring);
				if (!sqe)
					break;
			}
			if (r->flush)
				io_uring_prep_fsync(sqe, m->fd,
						    IORING_FSYNC_DATASYNC);
			else if (r->write)
				io_uring_prep_write(sqe, m->fd,
						    (u8 *)r->buf + r->done,
						    (unsigned int)(r->len - r->done),
						    r->off + r->done);
			else
				io_uring_prep_read(sqe, m->fd,
						   (u8 *)r->buf + r->done,
						   (unsigned int)(r->len - r->done),
						   r->off + r->done);
			io_uring_sqe_set_data(sqe, r);
			q_pop(io, i);
			r->state = REQ_INFLIGHT;
			io->inflight++;
			queued++;
		}
	}
	if (queued)
		io_uring_submit(&io->ring);
	return fin;
}

unsigned int ddraid_mio_pump(struct ddraid_mio *io)
{
	struct io_uring_cqe *cqe;
	unsigned int fin;
	double wait;
	int ret;

	if (!io->busy)
		return 0;
	if (!io->ring_ok)
		return pump_sync(io);
	fin = start_admitted(io, &wait);
	if (!io->inflight) {
		/* Only throttled requests are left: wait for the first. */
		if (!fin)
			sleep_for(wait);
		return fin;
	}
	if (fin) {
		/* Let the caller act on those first; reap what is ready. */
		ret = io_uring_peek_cqe(&io->ring, &cqe);
	} else if (wait > 0) {
		struct __kernel_timespec ts = {
			.tv_sec = (long long)wait,
			.tv_nsec = (long long)((wait - (double)(long long)wait) * 1e9),
		};

		ret = io_uring_wait_cqe_timeout(&io->ring, &cqe, &ts);
	} else {
		ret = io_uring_wait_cqe(&io->ring, &cqe);
	}
	while (!ret) {
		struct ddraid_mio_req *r = io_uring_cqe_get_data(cqe);
		struct ddraid_member_fd *m = &io->m[r->member];
		int res = cqe->res;

		io_uring_cqe_seen(&io->ring, cqe);
		io->inflight--;
		/* A dying disk also fails what was already queued to it. */
		if (m->inject_error)
			res = -EIO;
		if (req_complete(m, r, res)) {
			req_finish(io, r);
			fin++;
		} else {
			/* The rest goes first, before later requests. */
			q_push(io, r, true);
		}
		ret = io_uring_peek_cqe(&io->ring, &cqe);
	}
	return fin;
}

/* Counts the failures of one ddraid_mio_run() batch. */
static void run_end(struct ddraid_mio_req *r)
{
	unsigned int *failed = r->priv;

	failed[0] += r->res != 0;
	failed[1]--;
}

unsigned int ddraid_mio_run(struct ddraid_mio *io, struct ddraid_mio_req *r,
			    unsigned int n)
{
	/* [0]: failed, [1]: not finished yet */
	unsigned int i, cnt[2] = { 0, n };

	for (i = 0; i < n; i++) {
		r[i].end = run_end;
		r[i].priv = cnt;
		ddraid_mio_queue(io, &r[i]);
	}
	/* Other queued requests (a stream's) may finish meanwhile: fine. */
	while (cnt[1])
		ddraid_mio_pump(io);
	return cnt[0];
}

/*
 * Issued together, the members' flushes take as long as the slowest one,
 * not the sum: a flush is a round trip to the disk (over NVMe/TCP, to
 * another node), and a bit write waits for one on every member.
 */
u32 ddraid_mio_flush(struct ddraid_mio *io, u32 mask)
{
	struct ddraid_mio_req r[DDRAID_MAX_MEMBERS];
	unsigned int n = 0, i;
	u32 m, failed = 0;

	for (m = 0; m < DDRAID_MAX_MEMBERS; m++) {
		if (!(mask & (1u << m)))
			continue;
		memset(&r[n], 0, sizeof(r[n]));
		r[n].member = m;
		r[n].write = true;
		r[n].flush = true;
		n++;
	}
	ddraid_mio_run(io, r, n);
	for (i = 0; i < n; i++)
		if (r[i].res)
			failed |= 1u << r[i].member;
	return failed;
}
