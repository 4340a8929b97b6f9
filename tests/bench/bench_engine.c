// SPDX-License-Identifier: GPL-2.0-only
/*
 * Engine part of ddraid-bench: a volume of 5 members (k = 2), each member
 * throttled in the engine's IO layer like a disk (same bytes/s and IOPS),
 * against ONE such member driven alone through the very same IO layer and
 * throttle. Sequential throughput should approach 2^k times one member;
 * random 4 KiB IOPS should match one member (every member sees one IO per
 * volume IO). Random IO keeps BE_QD IOs in flight all the time on both
 * sides (BE_QD volume IOs, i.e. BE_QD on each member, against BE_QD on
 * the lone member). Member files go to o->dir, written in full first
 * (see make_file()).
 */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "engine_internal.h"
#include "sb_io.h"

#define BE_MEMBERS	5
#define BE_BPS		(50ull * 1000 * 1000)	/* per member */
#define BE_IOPS		2000ull			/* per member */
#define BE_QD		32u			/* random IO queue depth */
#define BE_SEQ_IO	(8u << 20)		/* one sequential request */
#define BE_ONE_IO	(1u << 20)		/* one member IO, alone */

struct be_result {
	const char *name;
	const char *unit;
	double vol, one, target;
};

struct be_ctx {
	double secs;
	u64 vol_bytes;		/* volume capacity used by the tests */
	u64 one_bytes;		/* bytes of the lone member's test area */
	u64 one_off;		/* where its data starts */
	struct ddraid_vol *vol;
	struct ddraid_mio one;
	u8 *buf;
	u64 rng;
};

static u64 be_rand(struct be_ctx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/*
 * A member file written in full (zeros), as a disk has no holes. In a
 * sparse file the first write to a block allocates it, and on ext4 an
 * O_DIRECT write smaller than the filesystem block (the volume's 1 KiB
 * fragments on a 4 KiB-block filesystem) into a hole needs the inode to
 * itself: io_uring runs it in a worker, one at a time per file. Under CPU
 * load those workers stall, and every volume write waits for all five
 * member files, so random writes fell to ~0.45 of the lone member (whose
 * 4 KiB writes are whole blocks) while reads stayed at 1.0. That is a
 * cost of the files, not of the throttled disks being modelled.
 * Unwritten extents (fallocate) need the same conversion, so zeros are
 * written. The page cache is dropped afterwards so that O_DIRECT IO does
 * not have to invalidate it.
 */
static int make_file(const char *path, u64 bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	static u8 zero[1u << 20];
	u64 off;
	int r = 0;

	if (fd < 0)
		return -errno;
	for (off = 0; off < bytes && !r; off += sizeof(zero)) {
		size_t len = bytes - off < sizeof(zero) ?
			     (size_t)(bytes - off) : sizeof(zero);

		if (pwrite(fd, zero, len, (off_t)off) != (ssize_t)len)
			r = errno ? -errno : -EIO;
	}
	if (!r && fdatasync(fd))
		r = -errno;
	if (!r)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
	return r;
}

/* Volume sequential: MB/s of volume data. */
static double vol_seq(struct be_ctx *c, bool write)
{
	double t0 = bench_now(), t;
	u64 off = 0, bytes = 0;

	do {
		int r = write ? ddraid_write(c->vol, off, c->buf, BE_SEQ_IO) :
				ddraid_read(c->vol, off, c->buf, BE_SEQ_IO);

		if (r) {
			fprintf(stderr, "bench_engine: %s\n", ddraid_errmsg(c->vol));
			return 0;
		}
		bytes += BE_SEQ_IO;
		off += BE_SEQ_IO;
		if (off + BE_SEQ_IO > c->vol_bytes)
			off = 0;
		t = bench_now() - t0;
	} while (t < c->secs);
	return (double)bytes / t / 1e6;
}

/*
 * Random 4 KiB IO at a steady queue depth of BE_QD, for the volume and
 * the lone member alike: a new IO is issued as soon as one completes
 * (no batches), until the time is up; then what is in flight completes
 * and counts, and the time includes it.
 */
struct rand_run {
	struct be_ctx *c;
	u64 blocks;		/* 4 KiB blocks of the area */
	double end;		/* stop issuing then */
	u64 ios;		/* completed without error */
	unsigned int failed;
	unsigned int nfree;	/* volume: free data buffers */
	unsigned int freebuf[BE_QD];
	unsigned int active;	/* lone member: requests still going */
	struct ddraid_mio_req r[BE_QD];
};

static bool vr_next(void *arg, struct ddraid_extent *ex)
{
	struct rand_run *x = arg;

	if (!x->nfree || bench_now() >= x->end)
		return false;
	ex->block = be_rand(x->c) % x->blocks;
	ex->nblocks = 1;
	ex->data = x->c->buf + (size_t)x->freebuf[--x->nfree] * 4096;
	return true;
}

static void vr_done(void *arg, const struct ddraid_extent *ex, int res)
{
	struct rand_run *x = arg;

	x->freebuf[x->nfree++] = (unsigned int)((ex->data - x->c->buf) / 4096);
	if (res)
		x->failed++;
	else
		x->ios++;
}

/* Volume random 4 KiB at queue depth BE_QD: IOPS. */
static double vol_rand(struct be_ctx *c, bool write)
{
	struct rand_run x = { .c = c, .blocks = c->vol_bytes / 4096 };
	const struct ddraid_stream_ops ops = {
		.next = vr_next, .done = vr_done, .arg = &x,
	};
	double t0 = bench_now();
	unsigned int i;

	for (i = 0; i < BE_QD; i++)
		x.freebuf[x.nfree++] = i;
	x.end = t0 + c->secs;
	if (ddraid_rw_stream(c->vol, write, BE_QD, &ops) || x.failed) {
		fprintf(stderr, "bench_engine: %s\n", ddraid_errmsg(c->vol));
		return 0;
	}
	return (double)x.ios / (bench_now() - t0);
}

/* The lone member, sequential: MB/s, BE_SEQ_IO per batch of 1 MiB IOs. */
static double one_seq(struct be_ctx *c, bool write)
{
	struct ddraid_mio_req r[BE_SEQ_IO / BE_ONE_IO];
	double t0 = bench_now(), t;
	u64 off = 0, bytes = 0;
	unsigned int i, n = BE_SEQ_IO / BE_ONE_IO;

	do {
		for (i = 0; i < n; i++) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].write = write;
			r[i].off = c->one_off + off + (u64)i * BE_ONE_IO;
			r[i].buf = c->buf + (size_t)i * BE_ONE_IO;
			r[i].len = BE_ONE_IO;
		}
		if (ddraid_mio_run(&c->one, r, n)) {
			fprintf(stderr, "bench_engine: lone member IO failed\n");
			return 0;
		}
		bytes += BE_SEQ_IO;
		off += BE_SEQ_IO;
		if (off + BE_SEQ_IO > c->one_bytes)
			off = 0;
		t = bench_now() - t0;
	} while (t < c->secs);
	return (double)bytes / t / 1e6;
}

static void one_fill(struct rand_run *x, struct ddraid_mio_req *r)
{
	r->off = x->c->one_off + (be_rand(x->c) % x->blocks) * 4096;
}

/* A lone member's IO has finished: the next takes its place. */
static void or_end(struct ddraid_mio_req *r)
{
	struct rand_run *x = r->priv;

	if (r->res)
		x->failed++;
	else
		x->ios++;
	if (!x->failed && bench_now() < x->end) {
		one_fill(x, r);
		ddraid_mio_queue(&x->c->one, r);
	} else {
		x->active--;
	}
}

/* The lone member, random 4 KiB at queue depth BE_QD: IOPS. */
static double one_rand(struct be_ctx *c, bool write)
{
	struct rand_run x = { .c = c, .blocks = c->one_bytes / 4096 };
	double t0 = bench_now();
	unsigned int i;

	x.end = t0 + c->secs;
	for (i = 0; i < BE_QD; i++) {
		struct ddraid_mio_req *r = &x.r[i];

		memset(r, 0, sizeof(*r));
		r->write = write;
		r->buf = c->buf + (size_t)i * 4096;
		r->len = 4096;
		r->end = or_end;
		r->priv = &x;
		one_fill(&x, r);
		x.active++;
		ddraid_mio_queue(&c->one, r);
	}
	while (x.active)
		ddraid_mio_pump(&c->one);
	if (x.failed) {
		fprintf(stderr, "bench_engine: lone member IO failed\n");
		return 0;
	}
	return (double)x.ios / (bench_now() - t0);
}

/* Superblocks without ddraid_create: the layout and both copies. */
static int format(char **paths, u64 member_bytes)
{
	struct ddraid_sb sb;
	unsigned int i;
	int r, fd;

	r = ddraid_layout_new(&sb, BE_MEMBERS, member_bytes,
			      DDRAID_REGION_DEFAULT);
	if (r)
		return r;
	for (i = 0; i < DDRAID_UUID_BYTES; i++)
		sb.uuid[i] = (u8)(0xbe + i);
	snprintf(sb.name, sizeof(sb.name), "bench");
	for (i = 0; i < BE_MEMBERS; i++) {
		r = make_file(paths[i], member_bytes);
		if (r)
			return r;
		fd = open(paths[i], O_RDWR);
		if (fd < 0)
			return -errno;
		sb.member_index = i;
		r = ddraid_sb_write_fd(fd, &sb, NULL);
		close(fd);
		if (r)
			return r;
	}
	return 0;
}

static int setup(struct be_ctx *c, const struct bench_opts *o, char **paths,
		 const char *onepath)
{
	const char *p[BE_MEMBERS];
	char err[DDRAID_ERRMSG_MAX];
	u64 member_data;
	unsigned int i;
	int r;

	/*
	 * Enough data that a sequential pass at the throttled rate does not
	 * wrap too often (written in full: see make_file()).
	 */
	member_data = (u64)((double)BE_BPS * c->secs) + (64ull << 20);
	member_data &= ~((1ull << 20) - 1);
	r = format(paths, DDRAID_DATA_ALIGN * 2 + member_data);
	if (r) {
		fprintf(stderr, "bench_engine: cannot make members in %s: %s\n",
			o->dir, strerror(-r));
		return r;
	}
	for (i = 0; i < BE_MEMBERS; i++)
		p[i] = paths[i];
	r = ddraid_open(p, BE_MEMBERS, 0, &c->vol, err, sizeof(err));
	if (r) {
		fprintf(stderr, "bench_engine: %s\n", err);
		return r;
	}
	c->vol_bytes = ddraid_vol_size(c->vol) & ~((u64)BE_SEQ_IO - 1);
	ddraid_set_member_throttle(c->vol, BE_BPS, BE_IOPS);

	c->one_off = DDRAID_DATA_ALIGN;
	c->one_bytes = member_data;
	r = make_file(onepath, c->one_off + c->one_bytes);
	ddraid_mio_init(&c->one, 1);
	if (!r)
		r = ddraid_mio_open(&c->one, 0, onepath, false, false);
	if (r) {
		fprintf(stderr, "bench_engine: %s: %s\n", onepath, strerror(-r));
		return r;
	}
	ddraid_throttle_set(&c->one.m[0].th, BE_BPS, BE_IOPS);
	c->buf = ddraid_buf_alloc(BE_SEQ_IO);
	if (!c->buf)
		return -ENOMEM;
	memset(c->buf, 0x3c, BE_SEQ_IO);
	return 0;
}

static void add_result(json_object *arr, const struct be_result *x)
{
	json_object *e = json_object_new_object();
	double ratio = x->one > 0 ? x->vol / x->one : 0;

	json_object_object_add(e, "test", json_object_new_string(x->name));
	json_object_object_add(e, "unit", json_object_new_string(x->unit));
	json_object_object_add(e, "volume", json_object_new_double(x->vol));
	json_object_object_add(e, "one_member", json_object_new_double(x->one));
	json_object_object_add(e, "ratio", json_object_new_double(ratio));
	json_object_object_add(e, "target_ratio",
			       json_object_new_double(x->target));
	json_object_object_add(e, "met",
			       json_object_new_boolean(ratio >= x->target));
	json_object_array_add(arr, e);
}

int bench_engine(const struct bench_opts *o, json_object *out)
{
	const double dm = (double)(BE_MEMBERS - 1);
	struct be_ctx c = { .rng = 0x9e3779b97f4a7c15ull };
	struct be_result res[4] = {
		{ "seq write", "MB/s", 0, 0, 0.9 * dm },
		{ "seq read", "MB/s", 0, 0, 0.9 * dm },
		{ "rand 4k write", "IOPS", 0, 0, 0.9 },
		{ "rand 4k read", "IOPS", 0, 0, 0.9 },
	};
	const char *dir = o->dir ? o->dir : "/var/tmp";
	char *paths[BE_MEMBERS] = { NULL }, onepath[4096];
	json_object *eo, *arr;
	unsigned int i;
	bool all = true;
	int r = 0;

	c.secs = o->seconds > 0 ? o->seconds : (o->quick ? 0.05 : 1);
	for (i = 0; i < BE_MEMBERS; i++) {
		paths[i] = malloc(4096);
		if (!paths[i])
			r = -ENOMEM;
		else
			snprintf(paths[i], 4096, "%s/ddraid-bench-%d-m%u", dir,
				 (int)getpid(), i);
	}
	snprintf(onepath, sizeof(onepath), "%s/ddraid-bench-%d-one", dir,
		 (int)getpid());
	if (!r)
		r = setup(&c, o, paths, onepath);
	if (!r) {
		/* Writes first, so that reads see written (not sparse) data. */
		res[0].vol = vol_seq(&c, true);
		res[0].one = one_seq(&c, true);
		res[1].vol = vol_seq(&c, false);
		res[1].one = one_seq(&c, false);
		res[2].vol = vol_rand(&c, true);
		res[2].one = one_rand(&c, true);
		res[3].vol = vol_rand(&c, false);
		res[3].one = one_rand(&c, false);
	}
	ddraid_close(c.vol);
	ddraid_mio_exit(&c.one);
	free(c.buf);
	for (i = 0; i < BE_MEMBERS; i++) {
		if (paths[i])
			unlink(paths[i]);
		free(paths[i]);
	}
	unlink(onepath);
	if (r)
		return 1;

	printf("\nengine: %u members (k=2) vs one member, each throttled to %.0f MB/s and %llu IOPS in the IO layer\n",
	       BE_MEMBERS, (double)BE_BPS / 1e6, (unsigned long long)BE_IOPS);
	printf("  sequential: %u MiB requests; random: 4 KiB at queue depth %u; %.2f s each; O_DIRECT files (written in full first) in %s\n",
	       BE_SEQ_IO >> 20, BE_QD, c.secs, dir);
	printf("  %-14s %-5s %10s %10s %7s %7s %s\n", "test", "unit", "volume",
	       "one", "ratio", "target", "met");
	arr = json_object_new_array();
	for (i = 0; i < 4; i++) {
		double ratio = res[i].one > 0 ? res[i].vol / res[i].one : 0;
		bool met = ratio >= res[i].target;

		all &= met;
		printf("  %-14s %-5s %10.1f %10.1f %7.2f %7.2f %s\n", res[i].name,
		       res[i].unit, res[i].vol, res[i].one, ratio, res[i].target,
		       met ? "yes" : "NO");
		add_result(arr, &res[i]);
	}
	eo = json_object_new_object();
	json_object_object_add(eo, "members", json_object_new_int(BE_MEMBERS));
	json_object_object_add(eo, "throttle_bytes_per_sec",
			       json_object_new_int64((int64_t)BE_BPS));
	json_object_object_add(eo, "throttle_iops",
			       json_object_new_int64((int64_t)BE_IOPS));
	json_object_object_add(eo, "queue_depth", json_object_new_int(BE_QD));
	json_object_object_add(eo, "seconds", json_object_new_double(c.secs));
	json_object_object_add(eo, "dir", json_object_new_string(dir));
	json_object_object_add(eo, "member_files_prefilled",
			       json_object_new_boolean(true));
	json_object_object_add(eo, "results", arr);
	json_object_object_add(eo, "all_met", json_object_new_boolean(all));
	json_object_object_add(out, "engine", eo);
	return 0;
}
