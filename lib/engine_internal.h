/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the userspace engine, shared by its source files and by the
 * benchmark (which measures one member through the very same IO layer that
 * the engine uses, so that the two are throttled identically).
 */
#ifndef DDRAID_ENGINE_INTERNAL_H
#define DDRAID_ENGINE_INTERNAL_H

#include <liburing.h>
#include <stdarg.h>

#include "ddraid.h"

/* Volume data per member IO at most: 1 MiB, i.e. 1 MiB >> k per member. */
#define DDRAID_CHUNK_BLOCKS	256u
/*
 * Volume data in flight at once: the size of the window buffers, which
 * a stream of extents shares out (several chunks in flight).
 */
#define DDRAID_WINDOW_BLOCKS	2048u
/*
 * Member IOs in flight at once: a queue depth of 32 volume IOs on every
 * member of the widest volume (9 * 32) fits, so that a volume's members
 * see the same depth as a lone member driven at that depth.
 */
#define DDRAID_RING_DEPTH	512u
/* Most extents of one stream in flight at once. */
#define DDRAID_STREAM_SLOTS	256u
/* Buffers are aligned for O_DIRECT on any member. */
#define DDRAID_BUF_ALIGN	4096u

/* ---- throttle.c: a per-member token bucket (bytes/s and IOPS) ---- */

struct ddraid_throttle {
	double bps;		/* bytes per second, 0: unlimited */
	double iops;		/* operations per second, 0: unlimited */
	double tat_bytes;	/* theoretical arrival time, byte bucket */
	double tat_ops;		/* theoretical arrival time, op bucket */
};

void ddraid_throttle_set(struct ddraid_throttle *t, u64 bps, u64 iops);
/* Seconds to wait before an IO of @len bytes may start; 0 if it may now. */
double ddraid_throttle_wait(const struct ddraid_throttle *t, double now,
			    size_t len);
/* Account an IO of @len bytes started at @now. */
void ddraid_throttle_charge(struct ddraid_throttle *t, double now, size_t len);
/* Monotonic seconds. */
double ddraid_now(void);

/* ---- member_io.c: member IO through io_uring ---- */

struct ddraid_member_fd {
	int fd;			/* -1: absent */
	bool direct;		/* opened with O_DIRECT */
	bool rdonly;
	bool inject_error;	/* fail every IO (tests) */
	u64 inject_after;	/* >0: set inject_error after this many IOs */
	char *path;
	struct ddraid_throttle th;
};

struct ddraid_mio_req;

struct ddraid_mio {
	struct io_uring ring;
	bool ring_ok;		/* false: synchronous pread/pwrite fallback */
	unsigned int nmembers;
	struct ddraid_member_fd m[DDRAID_MAX_MEMBERS];
	/* Queued, not yet started: per member, oldest first. */
	struct ddraid_mio_req *qhead[DDRAID_MAX_MEMBERS];
	struct ddraid_mio_req *qtail[DDRAID_MAX_MEMBERS];
	unsigned int inflight;	/* in the ring */
	unsigned int busy;	/* queued or in the ring */
	unsigned int rr;	/* next member of the synchronous fallback */
	/*
	 * Testing: $DDRAID_FAULT_PATH_DIR, the directory whose cut-M files
	 * cut this process's path to member M (member_io.c); NULL: off.
	 */
	char *fault_dir;
	/* Bytes moved by requests that succeeded (ddraid_io_bytes()). */
	u64 bytes_read;
	u64 bytes_written;
};

struct ddraid_mio_req {
	u32 member;
	bool write;
	/*
	 * A flush of the member's write cache (fdatasync), not a transfer:
	 * write is true, off, buf and len are not used.
	 */
	bool flush;
	u64 off;		/* member byte offset */
	void *buf;
	size_t len;
	/* ddraid_mio_queue(): called once when the request has finished */
	void (*end)(struct ddraid_mio_req *r);
	void *priv;		/* the submitter's; untouched */
	/* filled in by the IO layer */
	size_t done;
	int res;		/* 0 or -errno */
	int state;		/* private */
	struct ddraid_mio_req *next;	/* private: member queue */
};

int ddraid_mio_init(struct ddraid_mio *io, unsigned int nmembers);
void ddraid_mio_exit(struct ddraid_mio *io);
/*
 * Open @path as member @idx: O_DIRECT unless @buffered (falls back to
 * buffered when the member refuses O_DIRECT). Returns 0 or -errno.
 */
int ddraid_mio_open(struct ddraid_mio *io, unsigned int idx, const char *path,
		    bool rdonly, bool buffered);
void ddraid_mio_close(struct ddraid_mio *io, unsigned int idx);
/*
 * Run every request, many in flight, each member's IO honouring its
 * throttle. Every request gets its own result; returns the number of
 * requests that failed. Uses r[i].end and r[i].priv itself.
 */
unsigned int ddraid_mio_run(struct ddraid_mio *io, struct ddraid_mio_req *r,
			    unsigned int n);
/*
 * Continuous IO: queue @r (member, write, off, buf, len, end, priv set);
 * it starts when its member's throttle and the ring admit it, after the
 * requests queued to that member before it. r->end(r) is called from
 * ddraid_mio_pump() when it has finished (r->res 0 or -errno); it may
 * queue more requests.
 */
void ddraid_mio_queue(struct ddraid_mio *io, struct ddraid_mio_req *r);
/*
 * Start what may start, then wait for at least one request to finish (or
 * for a throttled member's next turn). Returns the number that finished.
 */
unsigned int ddraid_mio_pump(struct ddraid_mio *io);
/* Are requests queued or in flight? */
bool ddraid_mio_busy(const struct ddraid_mio *io);
/* fdatasync member @idx. */
int ddraid_mio_sync(struct ddraid_mio *io, unsigned int idx);
/*
 * Flush the write caches of the members in @mask, all at once (one
 * request each, as ddraid_mio_sync() would one after the other). Returns
 * the members whose flush failed (or that are not open).
 */
u32 ddraid_mio_flush(struct ddraid_mio *io, u32 mask);
/*
 * May IO (a write or flush if @write) go to member @idx now (the tests'
 * path faults and injected errors, member_io.c)? 0 if so, -EIO if not.
 * Waits while the path to it is cut and the transport still holds IO.
 * Every member IO that does not go through a request (superblocks,
 * flushes) asks this first.
 */
int ddraid_mio_path_wait(struct ddraid_mio *io, unsigned int idx, bool write);
void *ddraid_buf_alloc(size_t len);

/* ---- the volume ---- */

struct ddraid_vol {
	struct ddraid_sb sb;		/* newest; member_index meaningless */
	struct ddraid_geom g;
	unsigned int flags;
	struct ddraid_mio io;
	char *path[DDRAID_MAX_MEMBERS];	/* as given; NULL when missing */
	/*
	 * Failed in this process but not (yet) recorded on disk: only
	 * happens read-only, where no superblock may be written.
	 */
	bool mem_failed[DDRAID_MAX_MEMBERS];
	/* Window buffers: one per member plus a spare for scrub. */
	u8 *buf[DDRAID_MAX_MEMBERS + 1];
	/*
	 * DDRAID_WINDOW_BLOCKS * members requests: a window's, or a
	 * stream's (members per slot).
	 */
	struct ddraid_mio_req *reqs;
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_forced *forced;	/* forced assembly, else NULL */
};

/* One contiguous run of volume blocks and where its data lives in memory. */
struct ddraid_extent {
	u64 block;
	u64 nblocks;
	u8 *data;		/* volume layout, nblocks * 4096 bytes */
};

int ddraid_set_err(struct ddraid_vol *vol, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ddraid_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ACTIVE, open and not failed: may be read. */
bool ddraid_member_usable(const struct ddraid_vol *vol, u32 m);
/* Open and ACTIVE or REBUILDING, not failed: must be written. */
bool ddraid_member_writable(const struct ddraid_vol *vol, u32 m);
unsigned int ddraid_unusable_count(const struct ddraid_vol *vol);

/*
 * Is open member @i big enough for the volume, and does its logical block
 * size divide the fragment? Message in @err if not.
 */
int ddraid_check_member_fit(struct ddraid_vol *vol, u32 i, char *err,
			    size_t errlen);

/* Read slot @slot as the union over the members in @mask. */
int ddraid_bitmap_read_mask(struct ddraid_vol *vol, u32 slot, u8 *map,
			    u32 mask);
/* Write slot @slot to the members in @mask (and flush them). */
int ddraid_bitmap_write_mask(struct ddraid_vol *vol, u32 slot, const u8 *map,
			     u32 mask);

/*
 * Write the volume's superblock (events already set by the caller) to
 * every writable member. A member whose superblock write fails is failed
 * in turn. Returns 0 or the first error.
 */
int ddraid_sb_update_all(struct ddraid_vol *vol);
/*
 * Record members in @mask FAILED (one events bump) on every other writable
 * member and close them. @why names the cause for messages.
 */
int ddraid_record_failed(struct ddraid_vol *vol, u32 mask, const char *why);

/*
 * Member IO over extents (at most DDRAID_WINDOW_BLOCKS blocks in all):
 * member m's fragments of the extents lie back to back in vol->buf[m]
 * (or in @bufs[m] if @bufs is given). Members in @mask are read or
 * written. Returns the mask of members whose IO failed.
 */
u32 ddraid_window_io(struct ddraid_vol *vol, const struct ddraid_extent *ex,
		     unsigned int nex, u32 mask, bool write, u8 *const *bufs);

/*
 * Read or write independent extents of whole blocks, all in flight
 * together as far as the window buffers allow (a sliding window: each
 * piece of at most DDRAID_CHUNK_BLOCKS completes on its own and frees
 * room for the next). Returns 0 or the first error. Writes to
 * overlapping blocks are done in the order given.
 */
int ddraid_rw_extents(struct ddraid_vol *vol, struct ddraid_extent *ex,
		      unsigned int nex, bool write);

/*
 * A stream of extents: @next fills *ex with the next one (at most
 * DDRAID_CHUNK_BLOCKS blocks; nblocks 0 is allowed) or returns false at
 * the end; @done (may be NULL) is told each one's result (0 or -errno)
 * once it has completed, in completion order; for a read, ex->data then
 * holds the data (untouched on an error). Every extent taken from @next
 * is reported exactly once (-ECANCELED: not issued, because an earlier
 * one failed). A write's ex->data is consumed when it is issued.
 */
struct ddraid_stream_ops {
	bool (*next)(void *arg, struct ddraid_extent *ex);
	void (*done)(void *arg, const struct ddraid_extent *ex, int res);
	void *arg;
};

/*
 * Keep up to @qd extents (0: as many as fit) of the stream in flight,
 * issuing the next as soon as one completes, so that the members never
 * wait for each other's stragglers. A write that overlaps one in flight
 * waits for it (parity stays consistent with data). A member IO error
 * fails that member and the extent completes from the others; with more
 * than one member unavailable an extent fails with -EIO. After the first
 * failed extent no more are taken from @next; those in flight complete.
 * Returns 0 or the first error.
 */
int ddraid_rw_stream(struct ddraid_vol *vol, bool write, unsigned int qd,
		     const struct ddraid_stream_ops *ops);

/*
 * Testing: member @m fails every IO once @after more of its IOs have
 * started (those already in flight included), as a disk dying under
 * load would. @after 0 cancels.
 */
void ddraid_inject_member_error_after(struct ddraid_vol *vol, u32 m,
				      u64 after);

#endif /* DDRAID_ENGINE_INTERNAL_H */
