/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Daemon <-> daemon messages carried by corosync CPG (docs/cluster-protocol.md
 * section 9). Every message is a 32-byte header plus a type-specific body,
 * little-endian, CRC-32C over both. The decoder is strict: a message is
 * either exactly what an encoder of this version produces, or refused.
 *
 * Header:  0 magic "DDCP"  4 version  6 type  8 sender  12 body length
 *         16 seq  24 crc (computed with this field zero)  28 reserved 0
 *
 * Bodies (offsets relative to the body; "runs" is le32 count, le32 zero,
 * then count x (le64 first, le64 count), sorted, non-empty, neither
 * overlapping nor touching, first + count without overflow):
 *
 *  NEED_STATE       (empty)
 *  STATE            0 part, 4 parts, 8 applied(64), 16 total, 20 len,
 *                   24 len bytes of the serialized RS (part of total)
 *  INIT             0 events(64), 8 members, 12 zero,
 *                   16 members x (state, zero, failed_events(64),
 *                   recovery_block(64)), then 32 x le32 slot node ids,
 *                   then runs (the dirty regions)
 *  ATTACH           0 hosted member (CPGMSG_NO_MEMBER: none), 4 flags
 *                   (ATTACH_DISK: the hosted member's disk carries this
 *                   volume's superblock for that index), 8 events in that
 *                   superblock(64) (0 without ATTACH_DISK), 16 runs
 *                   (regions the target holds)
 *  SLOT_CLAIM       (empty)
 *  SLOT_PERSISTED   0 slot, 4 nodeid
 *  ACQUIRE/RELEASE/LOCKED/UNLOCK   0 region(64)
 *  LOCK             0 region(64), 8 purpose, 12 count: the regions
 *                   region..region+count-1 (1..CPGMSG_LOCK_SPAN_MAX; 1
 *                   for LOCK_SCRUB)
 *  FENCED           0 nodeid, 4 zero, 8 runs (regions its slot marks
 *                   dirty), then runs (of those, the torn regions: see
 *                   docs/cluster-protocol.md, "torn regions")
 *  MEMBER_FAIL      0 member, 4 errno
 *  MEMBER_FAILED    0 member, 4 zero, 8 events(64)
 *  FAIL_APPLIED     0 member, 4 zero
 *  REBUILD_START    0 member, 4 mode, 8 path length (0..1023), 12 zero,
 *                   16 path bytes (no NUL, no zero byte; none: the device
 *                   every node already has for the member, a re-add)
 *  REBUILD_READY    0 member, 4 errno (0: this node writes the member's
 *                   device; else it cannot, and the rebuild is called off)
 *  REBUILD_BEGIN    0 member, 4 zero, 8 events(64), 16 runs (the regions
 *                   to rebuild: all of them in full mode)
 *  REBUILD_PROGRESS 0 member, 4 zero, 8 next region(64)
 *  REBUILD_DONE     0 member, 4 zero, 8 events(64)
 *  ADOPTED          (empty: the sender has adopted a STATE or INIT)
 *  SCRUB_START      0 mode (SCRUB_CHECK or SCRUB_REPAIR), 4 label (0: an
 *                   operator's scrub; else a scheduled one, started once
 *                   per label: the day number, days since 1970-01-01, on
 *                   which its period began)
 *  SCRUB_CANCEL     (empty)
 *  SCRUBBED         0 region(64), 8 mismatches(64), 16 errno (0: the
 *                   region was scrubbed), 20 zero: ends a LOCK(scrub)
 *  MEMBER_PROBE     0 member, 4 errno (0: this node reaches the member)
 *  PATH_OK          0 member, 4 zero: this node's path to it works again
 *  DETACH           0 flags (DETACH_*), 4 member (the one whose path made
 *                   the node withdraw, or CPGMSG_NO_MEMBER)
 *  HISTORY          0 history(64), 8 events(64), 16 runs (dirty regions)
 *  TUNE             0 set (TUNE_* mask: fields given a cluster-wide value),
 *                   4 clear (mask: fields back to each node's own
 *                   --sync-speed-*), 8 rebuild max(64), 16 scrub max(64),
 *                   24 min(64), bytes/s (max 0: unlimited, min 0: no
 *                   floor), at most CPGMSG_TUNE_MAX; a field in neither
 *                   mask is kept and its value must be 0; set and clear
 *                   are disjoint and not both empty
 */
#ifndef DDRAID_CPGMSG_H
#define DDRAID_CPGMSG_H

#include "ddraid_compat.h"
#include "ddraid_geom.h"
#include "ddraid_format.h"

#define CPGMSG_MAGIC		"DDCP"
#define CPGMSG_VERSION		3	/* 3: LOCK spans regions */
#define CPGMSG_HDR_BYTES	32
#define CPGMSG_BODY_MAX		(1u << 20)	/* a CPG message stays small */
#define CPGMSG_PATH_MAX		1023
#define CPGMSG_RUN_BYTES	16

/* One constant per message type: the value of the header's type field. */
#define MSG_NEED_STATE		1
#define MSG_STATE		2
#define MSG_INIT		3
#define MSG_ATTACH		4
#define MSG_SLOT_CLAIM		5
#define MSG_SLOT_PERSISTED	6
#define MSG_ACQUIRE		7
#define MSG_RELEASE		8
#define MSG_LOCK		9
#define MSG_LOCKED		10
#define MSG_UNLOCK		11
#define MSG_FENCED		12
#define MSG_MEMBER_FAIL		13
#define MSG_MEMBER_FAILED	14
#define MSG_FAIL_APPLIED	15
#define MSG_REBUILD_START	16
#define MSG_REBUILD_READY	17
#define MSG_REBUILD_BEGIN	18
#define MSG_REBUILD_PROGRESS	19
#define MSG_REBUILD_DONE	20
#define MSG_ADOPTED		21
#define MSG_SCRUB_START		22
#define MSG_SCRUB_CANCEL	23
#define MSG_SCRUBBED		24
#define MSG_MEMBER_PROBE	25
#define MSG_PATH_OK		26
#define MSG_DETACH		27
#define MSG_HISTORY		28
#define MSG_TUNE		29
#define MSG_TYPE_MAX		29

/* "No member" in a member field that may name none. */
#define CPGMSG_NO_MEMBER	0xffffffffu

/* ATTACH flags. */
#define ATTACH_DISK		0x1u	/* the hosted disk is that member */
#define ATTACH_FLAGS		0x1u

/* DETACH flags. */
#define DETACH_WITHDRAW		0x1u	/* its target fails IO: a path is lost */
#define DETACH_HOST_LEAVING	0x2u	/* the member it hosts goes away too */
#define DETACH_FLAGS		0x3u

/* LOCK purposes. */
#define LOCK_RESYNC		1
#define LOCK_REBUILD		2
#define LOCK_SCRUB		3

/* The most regions one LOCK covers (a resync's or rebuild's span). */
#define CPGMSG_LOCK_SPAN_MAX	32

/* SCRUB_START modes (mdadm's sync_action "check" and "repair"). */
#define SCRUB_CHECK		1
#define SCRUB_REPAIR		2

/*
 * TUNE fields: index into cpgmsg.tune[] and bit (1 << index) in the set
 * and clear masks. The pacing of online rebuild and scrub (pace.h).
 */
#define TUNE_REBUILD_MAX	0	/* rebuild's rate limit */
#define TUNE_SCRUB_MAX		1	/* scrub's rate limit */
#define TUNE_MIN		2	/* both, while foreground writes run */
#define TUNE_N			3
#define TUNE_ALL		((1u << TUNE_N) - 1)
/* The largest rate TUNE carries, bytes/s: 10^6 MB/s as ddraidd takes. */
#define CPGMSG_TUNE_MAX		1000000000000ULL

/*
 * Why @set, @clear and @tune would not make a valid TUNE, or NULL. The
 * decoder's rule, also asked by the state machine before it sends one.
 */
const char *cpgmsg_tune_check(u32 set, u32 clear, const u64 *tune);

/* REBUILD_START modes. */
#define REBUILD_FULL		1
#define REBUILD_BITMAP		2

/*
 * A region set as it travels: @n runs of 16 bytes at @raw (le64 first,
 * le64 count). Decoded sets point into the message buffer; use
 * cpgmsg_run() to read run i.
 */
struct cpgmsg_runs {
	u32 n;
	const u8 *raw;
};

/* One member as INIT carries it (from the superblocks). */
struct cpgmsg_member {
	u32 state;		/* enum ddraid_member_state */
	u64 failed_events;
	u64 recovery_block;
};

/*
 * A decoded message. Only the fields the type uses (see the table above)
 * are meaningful; the others are zero after decoding. Pointers (runs.raw,
 * data, path) point into the buffer given to cpgmsg_decode() and live as
 * long as it.
 */
struct cpgmsg {
	u16 type;
	u32 sender;		/* corosync node id of the sender */
	u64 seq;		/* sender's message counter */

	u64 region;		/* ACQUIRE RELEASE LOCK LOCKED UNLOCK
				 * REBUILD_PROGRESS SCRUBBED */
	u64 mismatches;		/* SCRUBBED: blocks whose parity differed */
	u64 events;		/* INIT MEMBER_FAILED REBUILD_BEGIN
				 * REBUILD_DONE */
	u32 member;		/* MEMBER_* FAIL_APPLIED REBUILD_* PATH_OK
				 * DETACH */
	u32 slot;		/* SLOT_PERSISTED */
	u32 nodeid;		/* SLOT_PERSISTED FENCED */
	u32 purpose;		/* LOCK */
	u32 count;		/* LOCK: regions from .region */
	u32 mode;		/* REBUILD_START SCRUB_START */
	u32 label;		/* SCRUB_START: 0 or a scheduled period */
	u32 err;		/* MEMBER_FAIL SCRUBBED MEMBER_PROBE
				 * REBUILD_READY: positive errno or 0 */
	u32 flags;		/* ATTACH DETACH */
	u32 host_member;	/* ATTACH: the member its node hosts, or
				 * CPGMSG_NO_MEMBER */
	u64 host_events;	/* ATTACH: events on the hosted disk */
	u64 history;		/* HISTORY */
	/* TUNE: set and clear masks (TUNE_*), values by TUNE_* index */
	u32 tune_set, tune_clear;
	u64 tune[TUNE_N];

	/* STATE */
	u32 part, parts, total, data_len;
	u64 applied;
	const u8 *data;

	/* INIT */
	u32 members;
	struct cpgmsg_member member_info[DDRAID_MAX_MEMBERS];
	u32 slots[DDRAID_BITMAP_SLOTS];

	/* INIT ATTACH FENCED REBUILD_BEGIN HISTORY */
	struct cpgmsg_runs runs;
	/* FENCED: the torn regions (a subset of runs) */
	struct cpgmsg_runs torn;

	/* REBUILD_START: not NUL-terminated */
	const char *path;
	u32 path_len;
};

/* Run @i of @runs. */
static inline void cpgmsg_run(const struct cpgmsg_runs *runs, u32 i,
			      u64 *first, u64 *count)
{
	*first = ddr_get_le64(runs->raw + (size_t)i * CPGMSG_RUN_BYTES);
	*count = ddr_get_le64(runs->raw + (size_t)i * CPGMSG_RUN_BYTES + 8);
}

/*
 * Check that @raw holds @n valid runs (sorted, non-empty, non-overlapping,
 * non-adjacent, no overflow) all below @limit (0: no limit). 0 or -EINVAL.
 */
int cpgmsg_runs_check(const u8 *raw, u32 n, u64 limit, const char **why);

/* Bytes the encoding of @m takes (header included), or 0 if @m is invalid. */
size_t cpgmsg_size(const struct cpgmsg *m);

/*
 * Encode @m (sender and seq included) into @buf of @cap bytes. Returns the
 * size written, or -EINVAL (@m would not decode; *why says why) or -ENOSPC.
 */
long cpgmsg_encode(const struct cpgmsg *m, void *buf, size_t cap,
		   const char **why);

/*
 * Decode and validate one delivered message. Returns 0; -ENODATA (no
 * magic), -EPROTONOSUPPORT (version), -EBADMSG (checksum) or -EINVAL
 * (anything else: unknown type, wrong body length for the type, a reserved
 * or padding field not zero, bad runs, a path with a zero byte, a member
 * index >= DDRAID_MAX_MEMBERS, a slot >= 32, ...). *why says which rule.
 * @m is written only on success; it points into @buf.
 */
int cpgmsg_decode(const void *buf, size_t len, struct cpgmsg *m,
		  const char **why);

/* "ACQUIRE", ...; "?" for an unknown type. */
const char *cpgmsg_type_name(u16 type);

#endif /* DDRAID_CPGMSG_H */
