/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libddraid: the userspace engine. Assembles a volume from member devices or
 * files, reads and writes whole blocks (degraded with one member absent),
 * resyncs parity, rebuilds a member and scrubs. Used by ddraidctl, the tests,
 * the benchmark and (later) the userspace data path that stands in for the
 * kernel target in multi-node tests.
 *
 * Every function returns 0 or a negative errno. On failure a message naming
 * what was wrong (the member, the offset) is left in ddraid_errmsg(vol), or
 * in the caller's err buffer for functions that have no volume yet.
 * Nothing is changed on disk by a call that fails its argument checks.
 */
#ifndef DDRAID_H
#define DDRAID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ddraid_compat.h"
#include "ddraid_geom.h"
#include "ddraid_format.h"
#include "ddraid_parity.h"
#include "ddraid_assemble.h"

#define DDRAID_ERRMSG_MAX	512
/* The word that stands for an absent member, as in mdadm. */
#define DDRAID_MISSING		"missing"

struct ddraid_vol;

/* ---- XOR (lib/xor.c): the fastest implementation this CPU runs ---- */

/* dst = XOR of srcs; the signature of ddraid_xor_fn (common/ddraid_parity.h). */
void ddraid_xor(void *dst, const void *const *srcs, unsigned int nsrc,
		size_t len);
/* The implementations, by name ("avx512", "avx2", "portable"). */
struct ddraid_xor_impl {
	const char *name;
	ddraid_xor_fn fn;
	bool (*usable)(void);	/* does this CPU (and OS) run it? */
};
/* NULL-terminated by a { NULL } entry; fastest first. */
extern const struct ddraid_xor_impl ddraid_xor_impls[];
/* The name of the implementation ddraid_xor() dispatches to. */
const char *ddraid_xor_selected(void);

/* ---- volume names (lib/volname.c) ---- */

/* The rule in words, for help texts. */
#define DDRAID_VOLUME_NAME_RULE \
	"1 to 63 bytes of [A-Za-z0-9._+-], not starting with . or -"

/*
 * Is @name a valid volume name? 0, or -EINVAL / -ENAMETOOLONG with the
 * reason (without the name) in @why. The one rule of the library, ddraidd,
 * ddraidctl and the OCF agent (through "ddraidctl check-name").
 */
int ddraid_check_volume_name(const char *name, char *why, size_t len);

/* ---- background rates (lib/rate.c) ---- */

/* The largest rate in MB/s; as bytes/s, DDRAID_MBS_MAX * 10^6. */
#define DDRAID_MBS_MAX		1000000ULL
#define DDRAID_MBS_RULE		"MB/s, 10^6 bytes, 0..1000000, e.g. 50 or 0.5"

/*
 * A rate in MB/s ("50", "0.33": up to six decimals, 0..DDRAID_MBS_MAX) as
 * bytes per second in *@bps. 0 or -EINVAL. The one parser of ddraidd's
 * --sync-speed-* and "ddraidctl set".
 */
int ddraid_parse_mbs(const char *s, u64 *bps);
/* @bps as ddraid_parse_mbs() reads it back: "50", "0.5". */
void ddraid_format_mbs(u64 bps, char *buf, size_t len);

/*
 * The rates "ddraidctl set" tunes cluster-wide, by index: the names on
 * its command line, in the control request and in status. ddraidd's
 * TUNE_* (cpg-daemon/cpgmsg.h) use the same indices.
 */
enum {
	DDRAID_RATE_REBUILD_MAX,	/* "rebuild-rate" */
	DDRAID_RATE_SCRUB_MAX,		/* "scrub-rate" */
	DDRAID_RATE_MIN,		/* "sync-speed-min" */
	DDRAID_RATES
};
extern const char *const ddraid_rate_keys[DDRAID_RATES];
/* The index of key @name (the first @len bytes), or -1. */
int ddraid_rate_key(const char *name, size_t len);

/* ---- create ---- */

/* Called now and then by long operations; return non-zero to stop. */
typedef int (*ddraid_progress_fn)(void *arg, u64 done_blocks,
				  u64 total_blocks);


struct ddraid_create_opts {
	const char *name;	/* may be NULL: empty name */
	u64 region_size;	/* 0: DDRAID_REGION_DEFAULT */
	bool force;		/* overwrite existing ddraid/fs signatures */
	const u8 *uuid;		/* NULL: generate with libuuid */
	bool assume_clean;	/* skip zeroing (members known to be zero) */
	ddraid_progress_fn progress;	/* may be NULL */
	void *progress_arg;
};

/*
 * Write superblocks (both copies) and zeroed write-intent slots to @n
 * members given in order (no "missing"); n must be 2, 3, 5 or 9. Capacity
 * is set by the smallest member. Refuses a member that already holds a
 * ddraid superblock or any signature libblkid recognises unless
 * opts->force. The data area of every member is zeroed (BLKZEROOUT or
 * fallocate(FALLOC_FL_ZERO_RANGE) where the member supports it, written
 * zeros otherwise) so that a new volume's parity is consistent and it
 * scrubs clean, unless opts->assume_clean.
 */
int ddraid_create(const char *const *paths, unsigned int n,
		  const struct ddraid_create_opts *opts, char *err,
		  size_t errlen);

/* ---- open / close ---- */

enum ddraid_open_flags {
	DDRAID_OPEN_RDONLY = 1u << 0,	/* never write members */
	DDRAID_OPEN_BUFFERED = 1u << 1,	/* do not try O_DIRECT */
	DDRAID_OPEN_FORCE = 1u << 2,	/* forced assembly, see below */
};

/*
 * Assemble a volume from @n paths given in member order; DDRAID_MISSING
 * stands for an absent member. Every present member's superblock must name
 * the same volume and the index of its position. Refused, with a message
 * naming the member: wrong count, wrong order, foreign member (other
 * uuid/geometry), stale member (events behind the newest), member smaller
 * than the volume needs, a member logical block size that does not divide
 * the fragment, more than one member missing or failed.
 * A member recorded FAILED in the newest superblock is treated as missing.
 */
int ddraid_open(const char *const *paths, unsigned int n, unsigned int flags,
		struct ddraid_vol **out, char *err, size_t errlen);

/*
 * Forced assembly (DDRAID_OPEN_FORCE), for a volume that more than one
 * member left (ddraid_sb_force_set() in common/ddraid_assemble.h chooses):
 * the freshest usable members are accepted as current and exactly one
 * member stays out. Refused (-EALREADY) when nothing needs forcing, and
 * (-ENODEV) when even forcing leaves two members out. Without
 * DDRAID_OPEN_RDONLY the present members' superblocks are rewritten first
 * (events bumped, accepted members active, the one left out failed; the
 * accepted members before the others, so that a crash in between leaves
 * superblocks that still assemble), so that later assemblies need no
 * force; the superblock of the member left out is not written (it keeps
 * saying when it fell out). With DDRAID_OPEN_RDONLY the forced view exists
 * in memory only. A refused normal assembly's message names what a forced
 * one would accept.
 */
#define DDRAID_FORCED_SHOW	8
struct ddraid_forced {
	struct ddraid_force_plan plan;	/* what was assumed */
	const char *path[DDRAID_MAX_MEMBERS];	/* as given, NULL: missing */
	/*
	 * Regions marked in any write-intent slot of any present member
	 * (the union), how many, and the first DDRAID_FORCED_SHOW of them.
	 */
	u64 dirty_regions;
	u64 dirty_first[DDRAID_FORCED_SHOW];
	unsigned int dirty_shown;
	unsigned int slots_in_use;	/* slot table entries (cluster nodes) */
	u32 written;	/* members whose superblocks were rewritten */
};
/*
 * A refusal that forcing would overcome says so with these words, then
 * what it would accept (ddraid_force_describe()); callers that know the
 * option that forces append it.
 */
#define DDRAID_FORCE_HINT	"a forced assembly would accept"
/* The forced assembly's record, or NULL for a normal assembly. */
const struct ddraid_forced *ddraid_vol_forced(const struct ddraid_vol *vol);
/*
 * "member 3 (PATH, recorded failed at events 9) as current, leaving member
 * 1 (PATH) out": what @p accepts, in words, into @buf. @paths by member
 * index, NULL or "missing" for an absent one. Returns @buf.
 */
const char *ddraid_force_describe(const struct ddraid_force_plan *p,
				  const char *const *paths, char *buf,
				  size_t len);
void ddraid_close(struct ddraid_vol *vol);
const char *ddraid_errmsg(const struct ddraid_vol *vol);

/* The newest superblock (member_index is meaningless here). */
const struct ddraid_sb *ddraid_vol_sb(const struct ddraid_vol *vol);
/*
 * Bytes read from and written to the members by the request layer since
 * the volume was opened (data, parity and bitmap pages; superblocks and
 * flushes go past it). For tests and statistics.
 */
void ddraid_io_bytes(const struct ddraid_vol *vol, u64 *read, u64 *written);
const struct ddraid_geom *ddraid_vol_geom(const struct ddraid_vol *vol);
/* Index of the member that is absent or failed, or -1 when none is. */
int ddraid_vol_missing(const struct ddraid_vol *vol);
u64 ddraid_vol_size(const struct ddraid_vol *vol);	/* bytes */

/* ---- data ---- */

/*
 * Read or write @len bytes at volume byte @offset. Both must be multiples
 * of 4096 (-EINVAL otherwise, with a message) and inside the volume.
 * Large requests are cut into chunks with several member IOs in flight.
 * With one member absent, reads reconstruct from parity and writes skip it;
 * the first write that skips a member first records it FAILED (events
 * bumped) on the surviving members' superblocks. A member IO error fails
 * that member the same way and the request completes from the others; a
 * second failed member fails the request with -EIO, never wrong data.
 */
int ddraid_read(struct ddraid_vol *vol, u64 offset, void *buf, size_t len);
int ddraid_write(struct ddraid_vol *vol, u64 offset, const void *buf,
		 size_t len);
/* fdatasync every present member. */
int ddraid_flush(struct ddraid_vol *vol);

/* Record member @m FAILED on the others' superblocks (events bumped). */
int ddraid_fail_member(struct ddraid_vol *vol, u32 m);

/* ---- maintenance ---- */

/*
 * Recompute parity of volume blocks [first, first + nblocks) from the data
 * members (all members must be present).
 */
int ddraid_resync(struct ddraid_vol *vol, u64 first, u64 nblocks,
		  ddraid_progress_fn progress, void *arg);

/*
 * Rebuild member @m onto the device or file @newpath (its size must hold
 * the member): writes a REBUILDING superblock there, reconstructs every
 * block from the others, then records the member ACTIVE on all members
 * with events bumped. The new member replaces the old path in @vol.
 */
int ddraid_rebuild(struct ddraid_vol *vol, u32 m, const char *newpath,
		   ddraid_progress_fn progress, void *arg);

struct ddraid_scrub_result {
	u64 checked;		/* blocks compared */
	u64 mismatches;		/* blocks whose parity did not match */
	u64 repaired;		/* of those, rewritten (repair mode) */
};

/* Called for each mismatching block, in order. */
typedef void (*ddraid_mismatch_fn)(void *arg, u64 block);

/*
 * Verify parity of blocks [first, first + nblocks): read every member and
 * compare. With @repair, rewrite the parity of mismatching blocks from the
 * data. All members must be present. Returns 0 even when mismatches were
 * found (see @res); negative only when the scrub could not run.
 */
int ddraid_scrub(struct ddraid_vol *vol, u64 first, u64 nblocks, bool repair,
		 ddraid_mismatch_fn on_mismatch, void *mismatch_arg,
		 ddraid_progress_fn progress, void *arg,
		 struct ddraid_scrub_result *res);

/* ---- write-intent bitmaps ---- */

/*
 * Read slot @slot's bitmap (sb->bitmap_slot_bytes bytes into @map) as the
 * union over every present member's copy: a region is dirty if any copy
 * says so, which is the safe reading after a torn update.
 */
int ddraid_bitmap_read(struct ddraid_vol *vol, u32 slot, u8 *map);
/* Write slot @slot's bitmap to every present member, then flush. */
int ddraid_bitmap_write(struct ddraid_vol *vol, u32 slot, const u8 *map);
/*
 * Set (@set) or clear bit @region of slot @slot on every present member,
 * then flush: a read-modify-write of the one 4096-byte page holding the
 * bit (read as the union of the members' copies, so that bits others
 * wrote in that page are kept), never of the whole slot.
 */
int ddraid_bitmap_set_bit(struct ddraid_vol *vol, u32 slot, u64 region,
			  bool set);

/* ---- examining one member without assembling ---- */

/*
 * Read both superblock copies of one device or file and pick the newest
 * valid one. Returns 0; -ENODATA when neither copy has the ddraid magic;
 * another negative errno with a message in @err otherwise.
 * @valid_copies (may be NULL) receives how many copies were valid.
 */
int ddraid_read_member_sb(const char *path, struct ddraid_sb *sb,
			  unsigned int *valid_copies, char *err,
			  size_t errlen);

/* ---- testing and benchmarking hooks ---- */

/*
 * Limit every member's IO as a disk would: at most @bytes_per_sec and
 * @iops per member (0: unlimited), applied in the engine's IO layer so
 * that one member and n members are throttled identically in one process.
 * Used by the benchmark; not by ddraidctl.
 */
void ddraid_set_member_throttle(struct ddraid_vol *vol, u64 bytes_per_sec,
				u64 iops);

/*
 * Make member @m fail every IO from now on (as a dying disk would), to test
 * the failure paths. @m == -1 clears it.
 */
void ddraid_inject_member_error(struct ddraid_vol *vol, int m);

#endif /* DDRAID_H */
