// SPDX-License-Identifier: GPL-2.0-only
/*
 * chan-test: plays a scripted ddraidd over /dev/ddraid against a
 * cluster-mode ddraid target, inside a VM (tests/vm/t-chan.sh).
 *
 *   chan-test open                         try to open /dev/ddraid: exit 0,
 *                                          or the errno
 *   chan-test run VOL SLOW FAIL REGIONS REGION_BYTES DATA_OFFSET
 *
 * VOL is the dm name of the volume (3 members), SLOW the dm-linear under
 * member 1 (suspended to keep a write in flight), FAIL the dm-linear under
 * member 2, the parity member (switched to dm-error and back), DATA_OFFSET
 * the members' data offset in bytes. Prints TAP points without numbers;
 * exit status 1 if any failed.
 *
 * Writes run in threads and signal an eventfd when pwrite() returns, so
 * "not completed" is checked by polling that eventfd with a timeout, and
 * "completed" by waiting for it (with a generous timeout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ddraid_chan.h"
#include "ddraid_format.h"

#define BS		4096
#define LONG_MS		20000	/* something that must happen */
#define SHORT_MS	1000	/* something that must not happen (yet) */
#define MSG		DDRAID_CHAN_MSG_BYTES

static const char *vol, *slow, *failing;
static char dmdev[256];
static u64 regions, region_bytes, data_offset;
static struct ddraid_chan_limits lim;
static int failed_points;
static u64 seq;

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", cond ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		failed_points++;
}

static void bail(const char *what)
{
	ok(false, "%s", what);
	exit(1);
}

static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# sh: %s\n", cmd);
	return system(cmd);
}

/* ---- the cluster facts of "dmsetup status" (docs/dm-target.md) ---- */

struct cstat {
	char health[16];
	char attached[16], frozen[16];
	unsigned long long granted, locked, inflight, waiting, held;
};

static int get_status(struct cstat *s)
{
	char cmd[300], line[1024], *tok, *save = NULL;
	int i = 0, n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "dmsetup status %s", vol);
	f = popen(cmd, "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			pclose(f);
		return -1;
	}
	pclose(f);
	memset(s, 0, sizeof(*s));
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), i++) {
		if (i == 4)
			snprintf(s->health, sizeof(s->health), "%s", tok);
		if (!strcmp(tok, "cluster"))
			break;
	}
	if (!tok)
		return -1;
	n = sscanf(save, "%15s %llu %llu %llu %llu %llu %15s", s->attached,
		   &s->granted, &s->locked, &s->inflight, &s->waiting,
		   &s->held, s->frozen);
	return n == 7 ? 0 : -1;
}

/* Wait until the status says @inflight writes in flight. */
static bool wait_inflight(unsigned long long inflight)
{
	struct cstat s;
	int i;

	for (i = 0; i < LONG_MS / 50; i++) {
		if (!get_status(&s) && s.inflight == inflight)
			return true;
		usleep(50000);
	}
	return false;
}

/* 512-byte sectors written to /dev/mapper/@name so far (its stat). */
static unsigned long long sectors_written(const char *name)
{
	unsigned long long v[7] = { 0 };
	char path[300];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	if (stat(path, &st))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/stat",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		v[6] = 0;
	fclose(f);
	return v[6];
}

/* ---- writes in threads ---- */

struct wr {
	pthread_t t;
	int efd;
	int fd;
	u64 off;
	int err;	/* 0 or errno of pwrite */
	void *buf;
};

static void fill(void *buf, u64 off, int gen)
{
	u64 *p = buf;
	size_t i;

	for (i = 0; i < BS / 8; i++)
		p[i] = off * 1000003u + (u64)gen * 7919u + i;
}

static void *wr_thread(void *arg)
{
	struct wr *w = arg;
	u64 one = 1;
	ssize_t n = pwrite(w->fd, w->buf, BS, (off_t)w->off);

	w->err = n == BS ? 0 : n < 0 ? errno : EIO;
	if (write(w->efd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

static int dm_fd = -1;

static void *rd_thread(void *arg)
{
	struct wr *w = arg;
	u64 one = 1;
	ssize_t n = pread(w->fd, w->buf, BS, (off_t)w->off);

	w->err = n == BS ? 0 : n < 0 ? errno : EIO;
	if (write(w->efd, &one, sizeof(one)) != sizeof(one))
		abort();
	return NULL;
}

/* A read of one block in a thread; finish() and done_within() as for writes. */
static struct wr *start_read(u64 region, u64 block)
{
	struct wr *w = calloc(1, sizeof(*w));

	if (!w || posix_memalign(&w->buf, BS, BS))
		bail("out of memory");
	w->off = region * region_bytes + block * BS;
	w->fd = dm_fd;
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0 || pthread_create(&w->t, NULL, rd_thread, w))
		bail("cannot start a read thread");
	return w;
}

static struct wr *start_write(u64 region, u64 block, int gen)
{
	struct wr *w = calloc(1, sizeof(*w));

	if (!w || posix_memalign(&w->buf, BS, BS))
		bail("out of memory");
	w->off = region * region_bytes + block * BS;
	w->fd = dm_fd;
	w->efd = eventfd(0, EFD_CLOEXEC);
	fill(w->buf, w->off, gen);
	if (w->efd < 0 || pthread_create(&w->t, NULL, wr_thread, w))
		bail("cannot start a write thread");
	return w;
}

/* Has @w completed within @ms? */
static bool done_within(struct wr *w, int ms)
{
	struct pollfd p = { .fd = w->efd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/* Wait for @w; true if it completed with errno @err (0: success). */
static bool finish(struct wr *w, int err)
{
	if (!done_within(w, LONG_MS))
		return false;
	pthread_join(w->t, NULL);
	close(w->efd);
	return w->err == err;
}

/* Does the volume hold @w's data (or, with !@mine, not)? */
static bool reads_back(struct wr *w)
{
	void *buf;
	bool same;
	int fd = open(dmdev, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, BS, BS))
		return false;
	same = pread(fd, buf, BS, (off_t)w->off) == BS &&
	       !memcmp(buf, w->buf, BS);
	close(fd);
	free(buf);
	return same;
}

/*
 * Does member 2 (the parity member, under FAIL) hold the parity of @w's
 * block: the XOR of its two 2048-byte fragments? Read from the member
 * device itself, so this proves the member was written.
 */
static bool parity_on_member2(struct wr *w)
{
	char path[300];
	u8 *p, *d = w->buf;
	bool same = true;
	int fd, i;

	snprintf(path, sizeof(path), "/dev/mapper/%s", failing);
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&p, BS, BS)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (pread(fd, p, BS / 2, (off_t)(data_offset + w->off / 2)) !=
	    BS / 2)
		same = false;
	for (i = 0; same && i < BS / 2; i++)
		same = p[i] == (d[i] ^ d[BS / 2 + i]);
	close(fd);
	free(p);
	return same;
}

/* @len bytes at @off of device @path equal @want (O_DIRECT). */
static bool device_holds(const char *path, u64 off, const void *want,
			 size_t len)
{
	bool same;
	void *p;
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&p, BS, BS)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	same = pread(fd, p, len, (off_t)off) == (ssize_t)len &&
	       !memcmp(p, want, len);
	close(fd);
	free(p);
	return same;
}

/* @w's fragments on the data members themselves (member 0, member 1). */
static bool reads_back_raw(struct wr *w)
{
	char path[300];

	snprintf(path, sizeof(path), "/dev/mapper/%s", slow);
	return device_holds("/dev/vda", data_offset + w->off / 2, w->buf,
			    BS / 2) &&
	       device_holds(path, data_offset + w->off / 2,
			    (u8 *)w->buf + BS / 2, BS / 2);
}

static bool reads_zero(u64 off)
{
	void *buf;
	bool zero;
	int fd = open(dmdev, O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign(&buf, BS, BS))
		return false;
	zero = pread(fd, buf, BS, (off_t)off) == BS &&
	       ((u8 *)buf)[0] == 0 && !memcmp(buf, (u8 *)buf + 1, BS - 1);
	close(fd);
	free(buf);
	return zero;
}

/* ---- the channel ---- */

static u64 devt_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		bail("stat of the dm device");
	return (minor(st.st_rdev) & 0xffu) | (major(st.st_rdev) << 8) |
	       ((u64)(minor(st.st_rdev) & ~0xffu) << 12);
}

static void enc(u8 *buf, u16 type, u64 region, u64 arg, u32 status,
		u32 flags)
{
	struct ddraid_chan_msg m = {
		.type = type, .seq = ++seq, .region = region, .arg = arg,
		.status = status, .flags = flags,
	};

	if (ddraid_chan_encode(&m, NULL, buf, NULL))
		bail("cannot encode a message");
}

/* write() of raw bytes; 0 or errno. */
static int send_raw(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? errno : EIO;
}

static int send_msg(int fd, u16 type, u64 region, u64 arg, u32 status,
		    u32 flags)
{
	u8 buf[MSG];

	enc(buf, type, region, arg, status, flags);
	return send_raw(fd, buf, MSG);
}

/* The next message within @ms: 0, or -1 on timeout or a bad message. */
static int next_msg(int fd, int ms, struct ddraid_chan_msg *m)
{
	u8 buf[MSG];
	int left = ms;

	while (left > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) < 0)
			return -1;
		left -= 100;
		if (!(p.revents & POLLIN))
			continue;
		n = read(fd, buf, MSG);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n != MSG)
			return -1;
		if (ddraid_chan_decode(buf, MSG, &lim, m, NULL))
			return -1;
		fprintf(stderr, "# got %s %llu flags %u status %u\n",
			ddraid_chan_type_name(m->type),
			(unsigned long long)m->region, m->flags, m->status);
		return 0;
	}
	return -1;
}

static bool expect(int fd, u16 type, u64 region, u32 flags)
{
	struct ddraid_chan_msg m;

	if (next_msg(fd, LONG_MS, &m))
		return false;
	return m.type == type && m.region == region && m.flags == flags;
}

static bool expect_frozen(int fd, u64 freezes)
{
	struct ddraid_chan_msg m;

	if (next_msg(fd, LONG_MS, &m))
		return false;
	return m.type == DDRAID_CHAN_FROZEN && m.arg == freezes;
}

static bool quiet(int fd, int ms)
{
	struct ddraid_chan_msg m;

	return next_msg(fd, ms, &m) != 0;
}

static int chan_open(void)
{
	int fd = open("/dev/ddraid", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Open and attach; the fd or -errno. */
static int attach(u64 devt)
{
	int fd = chan_open(), r;

	if (fd < 0)
		return fd;
	r = send_msg(fd, DDRAID_CHAN_ATTACH, 0, devt, 0, 0);
	if (r) {
		close(fd);
		return -r;
	}
	return fd;
}

/* ---- the script ---- */

static void member2_error(void)
{
	if (sh("dmsetup suspend %s && dmsetup load %s --table \"0 $(blockdev --getsz /dev/mapper/%s) error\" && dmsetup resume %s",
	       failing, failing, failing, failing))
		bail("switch member 2 to dm-error");
}

static void member2_back(void)
{
	if (sh("dmsetup suspend %s && dmsetup load %s --table \"0 $(blockdev --getsz /dev/vdc) linear /dev/vdc 0\" && dmsetup resume %s",
	       failing, failing, failing))
		bail("switch member 2 back to dm-linear");
}

/*
 * PATH_RETRY, FREEZE with FAIL_IO and FROZEN (docs/kernel-channel.md).
 * On entry: member 2 active and in use, regions C and D granted, A cold,
 * @*fdp attached with nothing owed.
 */
static void path_retry_and_withdraw(int *fdp, u64 devt)
{
	enum { A, B, C, D };
	struct wr *w14, *w15, *w16, *w17, *w18, *w19, *w20, *w21, *r1, *r2;
	struct ddraid_chan_msg m;
	struct cstat st, st0;
	int fd = *fdp;

	ok(send_msg(fd, DDRAID_CHAN_PATH_RETRY, 2, 0, 0, 0) == 0 &&
	   quiet(fd, SHORT_MS / 2) && !get_status(&st) &&
	   !strcmp(st.health, "AAA") && st.held == 0,
	   "PATH_RETRY for a member in use changes nothing");

	/* An error on member 2 that was this node's path. */
	member2_error();
	w14 = start_write(C, 9, 14);
	ok(next_msg(fd, LONG_MS, &m) == 0 &&
	   m.type == DDRAID_CHAN_MEMBER_ERROR && m.region == 2,
	   "an error on member 2: MEMBER_ERROR 2");
	ok(!done_within(w14, SHORT_MS), "the write that missed it is held");
	w15 = start_write(C, 10, 15);
	ok(!done_within(w15, SHORT_MS) && !get_status(&st) && st.held == 2 &&
	   !strcmp(st.health, "AAD"),
	   "a write that skips it (failing here) is held too: 2 held");
	member2_back();
	ok(send_msg(fd, DDRAID_CHAN_PATH_RETRY, 2, 0, 0, 0) == 0,
	   "PATH_RETRY member 2 (its path is back)");
	ok(finish(w14, 0) && finish(w15, 0),
	   "both held writes are written again and complete");
	ok(reads_back(w14) && reads_back(w15), "their data reads back");
	ok(parity_on_member2(w14) && parity_on_member2(w15),
	   "member 2 holds their parity: they were written again whole");
	ok(!get_status(&st) && !strcmp(st.health, "AAA") && st.held == 0 &&
	   st.inflight == 0, "status: member 2 in use again, nothing held");
	ok(quiet(fd, SHORT_MS / 2), "PATH_RETRY is not answered");

	/* A later error is a new one: reported again. */
	member2_error();
	w16 = start_write(C, 11, 16);
	ok(next_msg(fd, LONG_MS, &m) == 0 &&
	   m.type == DDRAID_CHAN_MEMBER_ERROR && m.region == 2,
	   "a later error on member 2 is reported again");
	ok(!done_within(w16, SHORT_MS), "its write is held");

	/* Waiting IO of every kind, then FREEZE with FAIL_IO. */
	w17 = start_write(A, 3, 17);
	ok(expect(fd, DDRAID_CHAN_GRANT_REQ, A, 0),
	   "a write to cold region A waits: GRANT_REQ A");
	ok(send_msg(fd, DDRAID_CHAN_FREEZE, 0, 0, 0, 0) == 0 &&
	   expect_frozen(fd, 1), "FREEZE: FROZEN (arg 1)");
	r1 = start_read(B, 2);
	w18 = start_write(C, 12, 18);
	ok(!done_within(r1, SHORT_MS) && !done_within(w18, SHORT_MS / 2),
	   "frozen: a read and a write to a granted region wait");
	ok(!get_status(&st0) && st0.waiting == 2 && st0.held == 1,
	   "status: 2 waiting, 1 held");
	ok(send_msg(fd, DDRAID_CHAN_FREEZE, 0, 0, 0,
		    DDRAID_CHAN_FREEZE_FAIL_IO) == 0, "FREEZE with FAIL_IO");
	ok(finish(w16, EIO), "the held write fails with EIO");
	ok(finish(w17, EIO) && finish(w18, EIO),
	   "the writes waiting at the gate fail with EIO");
	ok(finish(r1, EIO), "the frozen read fails with EIO");
	ok(expect_frozen(fd, 2), "FROZEN (arg 2)");
	ok(!get_status(&st) && !strcmp(st.frozen, "failing") &&
	   st.waiting == 0 && st.held == 0 && st.inflight == 0 &&
	   st.granted == st0.granted && st.locked == st0.locked &&
	   !strcmp(st.health, "AAD"),
	   "status: failing, nothing waits or is held; grants, locks, members unchanged");
	w19 = start_write(C, 13, 19);
	ok(finish(w19, EIO), "a new write fails with EIO at once");
	r2 = start_read(C, 0);
	ok(finish(r2, EIO), "a new read fails with EIO at once");
	ok(reads_back_raw(w14) && reads_back_raw(w15),
	   "earlier data is still on the members");

	/* A new daemon learns of it. */
	close(fd);
	fd = attach(devt);
	*fdp = fd;
	ok(fd >= 0 && expect(fd, DDRAID_CHAN_HELLO, regions,
			     DDRAID_CHAN_HELLO_FROZEN |
			     DDRAID_CHAN_HELLO_FAIL_IO) &&
	   expect(fd, DDRAID_CHAN_HELD, C, 0) &&
	   expect(fd, DDRAID_CHAN_HELD, D, 0) &&
	   expect(fd, DDRAID_CHAN_HELD_END, 0, 0) &&
	   next_msg(fd, LONG_MS, &m) == 0 &&
	   m.type == DDRAID_CHAN_MEMBER_ERROR && m.region == 2 &&
	   expect_frozen(fd, 0) && expect(fd, DDRAID_CHAN_GRANT_REQ, A, 0),
	   "re-attach: HELLO frozen+FAIL_IO, HELD C, D, MEMBER_ERROR 2, FROZEN, GRANT_REQ A");
	ok(send_msg(fd, DDRAID_CHAN_THAW, 0, 0, 0, 0) == 0 &&
	   !get_status(&st) && !strcmp(st.frozen, "running"), "THAW: running");
	member2_back();
	ok(send_msg(fd, DDRAID_CHAN_PATH_RETRY, 2, 0, 0, 0) == 0 &&
	   !get_status(&st) && !strcmp(st.health, "AAA"),
	   "PATH_RETRY member 2: in use again");
	w20 = start_write(C, 14, 20);
	ok(finish(w20, 0) && reads_back(w20) && parity_on_member2(w20),
	   "a write completes, member 2 written");

	/* FROZEN waits for the writes that passed the gate. */
	if (sh("dmsetup suspend %s", slow))
		bail("suspend the slow member");
	w21 = start_write(C, 15, 21);
	ok(wait_inflight(1), "a write to C is in flight (member 1 suspended)");
	ok(send_msg(fd, DDRAID_CHAN_FREEZE, 0, 0, 0, 0) == 0 &&
	   quiet(fd, SHORT_MS), "FREEZE: no FROZEN while it is in flight");
	if (sh("dmsetup resume %s", slow))
		bail("resume the slow member");
	ok(finish(w21, 0),
	   "the write in flight completes (it had passed the gate)");
	ok(expect_frozen(fd, 1), "then FROZEN (arg 1)");
	ok(send_msg(fd, DDRAID_CHAN_THAW, 0, 0, 0, 0) == 0 &&
	   send_msg(fd, DDRAID_CHAN_GRANT, A, 0, 0, 0) == 0 && quiet(fd, 300),
	   "THAW, GRANT A: nothing owed");
	ok(reads_back(w21), "its data reads back");
}

static void run(void)
{
	enum { A, B, C, D, E };
	u64 devt = devt_of(dmdev);
	struct wr *w0, *w1, *w2, *w3, *w4, *w5, *w6, *w7, *w8, *w9, *w10, *w11;
	struct wr *w12, *w13;
	unsigned long long before;
	struct ddraid_chan_msg m;
	struct cstat st;
	u8 two[2 * MSG];
	char buf[MSG];
	int fd, fd2;

	dm_fd = open(dmdev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (dm_fd < 0)
		bail("open the volume");

	/* Before ATTACH. */
	fd = chan_open();
	if (fd < 0)
		bail("open /dev/ddraid as root");
	ok(read(fd, buf, MSG) < 0 && errno == ENOTCONN,
	   "read before ATTACH: ENOTCONN");
	ok(send_msg(fd, DDRAID_CHAN_GRANT, 0, 0, 0, 0) == EINVAL,
	   "a first message other than ATTACH: EINVAL");
	ok(send_msg(fd, DDRAID_CHAN_ATTACH, 0, devt + 1, 0, 0) == ENODEV,
	   "ATTACH to a device that is no cluster-mode target: ENODEV");
	/* A cluster table starts frozen: nothing, not even a read, goes
	 * before the daemon has told it the member states and THAWed it. */
	w0 = start_read(A, 0);
	ok(!done_within(w0, SHORT_MS), "a read waits: the new table is frozen");
	ok(!get_status(&st) && !strcmp(st.frozen, "frozen"),
	   "status: frozen before any daemon");
	ok(send_msg(fd, DDRAID_CHAN_ATTACH, 0, devt, 0, 0) == 0, "ATTACH");
	ok(expect(fd, DDRAID_CHAN_HELLO, regions, DDRAID_CHAN_HELLO_FROZEN),
	   "HELLO with the region count, frozen");
	ok(expect(fd, DDRAID_CHAN_HELD_END, 0, 0), "HELD_END, nothing held");
	ok(expect_frozen(fd, 0),
	   "FROZEN (0 FREEZEs): a frozen target with nothing in flight");
	ok(!done_within(w0, SHORT_MS), "the read still waits after attaching");
	ok(send_msg(fd, DDRAID_CHAN_THAW, 0, 0, 0, 0) == 0, "THAW");
	ok(finish(w0, 0), "the read completes after THAW");
	fd2 = attach(devt);
	ok(fd2 == -EBUSY, "a second daemon: EBUSY (got %d)", fd2);
	if (fd2 >= 0)
		close(fd2);
	ok(send_msg(fd, DDRAID_CHAN_ATTACH, 0, devt, 0, 0) == EINVAL,
	   "a second ATTACH on an attached channel: EINVAL");

	/* A write to a cold region waits for GRANT. */
	w1 = start_write(A, 0, 1);
	ok(expect(fd, DDRAID_CHAN_GRANT_REQ, A, 0),
	   "write to a cold region: GRANT_REQ");
	ok(!done_within(w1, SHORT_MS), "the write waits for the grant");
	ok(!get_status(&st) && st.waiting == 1 && st.granted == 0 &&
	   !strcmp(st.attached, "attached"),
	   "status: attached, 1 waiting write, 0 granted");

	/* Bad input changes nothing. */
	enc((u8 *)buf, DDRAID_CHAN_GRANT, A, 0, 0, 0);
	buf[0] = 'X';
	ok(send_raw(fd, buf, MSG) == EINVAL, "bad magic: EINVAL");
	enc((u8 *)buf, DDRAID_CHAN_GRANT, A, 0, 0, 0);
	buf[6] = 99;
	ok(send_raw(fd, buf, MSG) == EINVAL, "unknown type: EINVAL");
	ok(send_msg(fd, DDRAID_CHAN_GRANT, regions, 0, 0, 0) == EINVAL,
	   "region beyond the volume: EINVAL");
	ok(send_msg(fd, DDRAID_CHAN_HELLO, regions, 3, 0, 0) == EINVAL,
	   "a message only the target sends: EINVAL");
	enc((u8 *)buf, DDRAID_CHAN_GRANT, A, 0, 0, 0);
	ok(send_raw(fd, buf, MSG - 1) == EINVAL, "63 bytes: EINVAL");
	enc((u8 *)buf, DDRAID_CHAN_GRANT, A, 0, 0, 0);
	buf[50] = 1;
	ok(send_raw(fd, buf, MSG) == EINVAL, "reserved byte set: EINVAL");
	enc(two, DDRAID_CHAN_GRANT, A, 0, 0, 0);
	enc(two + MSG, DDRAID_CHAN_GRANT, A, 0, 0, 0);
	two[MSG] = 'X';
	ok(send_raw(fd, two, sizeof(two)) == EINVAL,
	   "a good GRANT and a bad message in one write: EINVAL");
	ok(!done_within(w1, SHORT_MS / 2) && !get_status(&st) &&
	   st.waiting == 1 && st.granted == 0,
	   "after the refused writes the write still waits (nothing changed)");

	ok(send_msg(fd, DDRAID_CHAN_GRANT, A, 0, 0, 0) == 0, "GRANT");
	ok(finish(w1, 0), "the granted write completes");
	ok(reads_back(w1), "its data reads back");
	w2 = start_write(A, 1, 2);
	ok(finish(w2, 0), "a second write to the granted region completes");
	ok(quiet(fd, 300), "without a GRANT_REQ");
	ok(reads_back(w2), "its data reads back");

	/* Idle regions drop their grant. */
	sh("echo 1000 > /sys/module/dm_ddraid/parameters/idle_ms");
	ok(expect(fd, DDRAID_CHAN_IDLE, A, 0), "IDLE after the idle time");
	sh("echo 600000 > /sys/module/dm_ddraid/parameters/idle_ms");
	ok(!get_status(&st) && st.granted == 0, "status: 0 granted");

	/* A refused grant fails the waiting write. */
	w3 = start_write(B, 0, 3);
	ok(expect(fd, DDRAID_CHAN_GRANT_REQ, B, 0), "GRANT_REQ for region B");
	ok(send_msg(fd, DDRAID_CHAN_GRANT, B, 0, EIO, 0) == 0,
	   "GRANT with EIO");
	ok(finish(w3, EIO), "the waiting write fails with EIO");
	ok(reads_zero(w3->off), "and wrote nothing");

	/* LOCK waits for the write in flight and holds new ones. */
	w4 = start_write(C, 0, 4);
	ok(expect(fd, DDRAID_CHAN_GRANT_REQ, C, 0) &&
	   !send_msg(fd, DDRAID_CHAN_GRANT, C, 0, 0, 0) && finish(w4, 0),
	   "region C granted and written");
	if (sh("dmsetup suspend %s", slow))
		bail("suspend the slow member");
	w5 = start_write(C, 1, 5);
	ok(wait_inflight(1), "a write to C is in flight (member 1 suspended)");
	ok(send_msg(fd, DDRAID_CHAN_LOCK, C, 0, 0, 0) == 0, "LOCK C");
	ok(quiet(fd, SHORT_MS), "no LOCKED while the write is in flight");
	w6 = start_write(C, 2, 6);
	ok(!done_within(w6, SHORT_MS), "a new write to the locked region waits");
	ok(!get_status(&st) && st.waiting == 1 && st.locked == 1,
	   "status: 1 locked region, 1 waiting write");
	if (sh("dmsetup resume %s", slow))
		bail("resume the slow member");
	ok(finish(w5, 0), "the write in flight completes");
	ok(expect(fd, DDRAID_CHAN_LOCKED, C, 0), "then LOCKED C");
	ok(!done_within(w6, SHORT_MS), "the new write still waits");
	ok(send_msg(fd, DDRAID_CHAN_UNLOCK, C, 0, 0, 0) == 0, "UNLOCK C");
	ok(finish(w6, 0), "the waiting write completes after UNLOCK");
	ok(reads_back(w5) && reads_back(w6), "both writes read back");

	/* FREEZE stops even granted regions. */
	ok(send_msg(fd, DDRAID_CHAN_FREEZE, 0, 0, 0, 0) == 0, "FREEZE");
	ok(expect_frozen(fd, 1), "FROZEN at once (nothing in flight), arg 1");
	w7 = start_write(C, 3, 7);
	ok(!done_within(w7, SHORT_MS), "a write to a granted region waits");
	w0 = start_read(B, 1);
	ok(!done_within(w0, SHORT_MS), "and so does a read");
	ok(!get_status(&st) && !strcmp(st.frozen, "frozen"),
	   "status: frozen");
	ok(send_msg(fd, DDRAID_CHAN_THAW, 0, 0, 0, 0) == 0, "THAW");
	ok(finish(w7, 0) && reads_back(w7), "it completes after THAW");
	ok(finish(w0, 0), "the read too");

	/* A lock on a cold region is kept across daemons. */
	ok(send_msg(fd, DDRAID_CHAN_LOCK, E, 0, 0, 0) == 0 &&
	   expect(fd, DDRAID_CHAN_LOCKED, E, 0), "LOCK E (cold): LOCKED");

	/* The daemon goes away: granted regions flow, new ones wait. */
	close(fd);
	ok(!get_status(&st) && !strcmp(st.attached, "detached"),
	   "status: detached");
	w8 = start_write(C, 4, 8);
	ok(finish(w8, 0) && reads_back(w8),
	   "without a daemon a granted region is written");
	w9 = start_write(D, 0, 9);
	ok(!done_within(w9, SHORT_MS), "a write to a new region waits");
	ok(!get_status(&st) && st.waiting == 1, "status: 1 waiting write");

	fd = attach(devt);
	if (fd < 0)
		bail("re-attach");
	ok(expect(fd, DDRAID_CHAN_HELLO, regions, 0), "re-attach: HELLO");
	ok(expect(fd, DDRAID_CHAN_HELD, C, 0), "HELD C");
	ok(expect(fd, DDRAID_CHAN_HELD, E,
		  DDRAID_CHAN_HELD_LOCKED | DDRAID_CHAN_HELD_NOGRANT),
	   "HELD E locked, no grant");
	ok(expect(fd, DDRAID_CHAN_HELD_END, 0, 0), "HELD_END");
	ok(expect(fd, DDRAID_CHAN_GRANT_REQ, D, 0),
	   "then the waiting write's GRANT_REQ D");
	ok(!done_within(w9, SHORT_MS / 2), "the write still waits");
	ok(send_msg(fd, DDRAID_CHAN_GRANT, D, 0, 0, 0) == 0 &&
	   send_msg(fd, DDRAID_CHAN_UNLOCK, E, 0, 0, 0) == 0,
	   "GRANT D, UNLOCK E");
	ok(finish(w9, 0) && reads_back(w9), "the write completes");

	/* A member fails: the write is held until COMMIT_FAIL. */
	member2_error();
	w10 = start_write(C, 5, 10);
	ok(next_msg(fd, LONG_MS, &m) == 0 &&
	   m.type == DDRAID_CHAN_MEMBER_ERROR && m.region == 2 &&
	   m.status == EIO, "MEMBER_ERROR member 2, EIO");
	ok(!done_within(w10, SHORT_MS), "the write that skipped it is held");
	ok(!get_status(&st) && st.held == 1 && !strcmp(st.health, "AAD"),
	   "status: member 2 down, 1 held write");
	close(fd);
	fd = attach(devt);
	ok(fd >= 0 && expect(fd, DDRAID_CHAN_HELLO, regions, 0) &&
	   expect(fd, DDRAID_CHAN_HELD, C, 0) &&
	   expect(fd, DDRAID_CHAN_HELD, D, 0) &&
	   expect(fd, DDRAID_CHAN_HELD_END, 0, 0) &&
	   next_msg(fd, LONG_MS, &m) == 0 &&
	   m.type == DDRAID_CHAN_MEMBER_ERROR && m.region == 2,
	   "re-attach: HELD C, HELD D, HELD_END, MEMBER_ERROR 2 again");
	ok(send_msg(fd, DDRAID_CHAN_COMMIT_FAIL, 0, 0, 0, 0) == 0 &&
	   !done_within(w10, SHORT_MS / 2),
	   "COMMIT_FAIL of a member in use is ignored: still held");
	ok(send_msg(fd, DDRAID_CHAN_MEMBER_STATE, 2, 1,
		    0, DDRAID_MEMBER_FAILED) == 0 &&
	   expect(fd, DDRAID_CHAN_MEMBER_STATE_DONE, 2, DDRAID_MEMBER_FAILED),
	   "MEMBER_STATE failed: MEMBER_STATE_DONE");
	ok(!done_within(w10, SHORT_MS / 2), "the write is still held");
	ok(send_msg(fd, DDRAID_CHAN_COMMIT_FAIL, 2, 0, 0, 0) == 0,
	   "COMMIT_FAIL member 2");
	ok(finish(w10, 0) && reads_back(w10), "the held write completes");
	w11 = start_write(C, 6, 11);
	ok(finish(w11, 0) && reads_back(w11),
	   "a later write completes at once");
	before = sectors_written(failing);
	w12 = start_write(C, 7, 12);
	ok(finish(w12, 0) && sectors_written(failing) == before,
	   "the failed member is not written");

	/* The member comes back: written while rebuilding, then read. */
	member2_back();
	ok(send_msg(fd, DDRAID_CHAN_MEMBER_STATE, 2, 2, 0,
		    DDRAID_MEMBER_REBUILDING) == 0 &&
	   expect(fd, DDRAID_CHAN_MEMBER_STATE_DONE, 2,
		  DDRAID_MEMBER_REBUILDING),
	   "MEMBER_STATE rebuilding: MEMBER_STATE_DONE");
	ok(!get_status(&st) && !strcmp(st.health, "AAR"),
	   "status: member 2 rebuilding (R)");
	before = sectors_written(failing);
	w13 = start_write(C, 8, 13);
	ok(finish(w13, 0) && reads_back(w13) &&
	   sectors_written(failing) > before,
	   "a write goes to the rebuilding member too, and completes");
	ok(send_msg(fd, DDRAID_CHAN_MEMBER_STATE, 2, 3, 0,
		    DDRAID_MEMBER_ACTIVE) == 0 &&
	   expect(fd, DDRAID_CHAN_MEMBER_STATE_DONE, 2, DDRAID_MEMBER_ACTIVE),
	   "MEMBER_STATE active: MEMBER_STATE_DONE");
	ok(!get_status(&st) && !strcmp(st.health, "AAA"),
	   "status: all members alive");

	path_retry_and_withdraw(&fd, devt);

	/* The table goes while the daemon is attached. */
	close(dm_fd);
	ok(sh("dmsetup remove %s", vol) == 0, "remove the volume");
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };

		ok(poll(&p, 1, LONG_MS) == 1 && (p.revents & POLLHUP),
		   "the daemon sees POLLHUP");
	}
	ok(read(fd, buf, MSG) == 0, "and end of file");
	ok(send_msg(fd, DDRAID_CHAN_GRANT, 0, 0, 0, 0) == ENODEV,
	   "a write after that: ENODEV");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "open")) {
		int fd = chan_open();

		if (fd < 0) {
			printf("%s\n", strerror(-fd));
			return -fd;
		}
		return 0;
	}
	if (argc != 8 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: chan-test open | run VOL SLOW FAIL REGIONS REGION_BYTES DATA_OFFSET\n");
		return 2;
	}
	vol = argv[2];
	slow = argv[3];
	failing = argv[4];
	regions = strtoull(argv[5], NULL, 10);
	region_bytes = strtoull(argv[6], NULL, 10);
	data_offset = strtoull(argv[7], NULL, 10);
	snprintf(dmdev, sizeof(dmdev), "/dev/mapper/%s", vol);
	lim.regions = regions;
	lim.members = 3;
	if (regions < 5 || region_bytes < 7 * BS)
		bail("need 5 regions of 7 blocks at least");
	run();
	return failed_points ? 1 : 0;
}
