/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel <-> daemon channel message (docs/kernel-channel.md): 64 bytes,
 * little-endian, fixed offsets. Shared by the dm target, the userspace
 * stand-in target and ddraidd, so it only uses ddraid_compat.h.
 *
 *   0   4  magic "DDKC"        16  8  region (or member index)
 *   4   2  version (1)         24  8  arg
 *   6   2  type                32  4  status (0 or a positive errno)
 *   8   8  sender's seq        36  4  flags
 *                              40 24  reserved, zero
 */
#ifndef DDRAID_CHAN_H
#define DDRAID_CHAN_H

#include "ddraid_compat.h"

#define DDRAID_CHAN_MAGIC	"DDKC"
#define DDRAID_CHAN_VERSION	1
#define DDRAID_CHAN_MSG_BYTES	64
#define DDRAID_CHAN_ERRNO_MAX	4095	/* status is 0 or 1..this */

/* The value of the type field; D>K from daemon to kernel, K>D back. */
enum ddraid_chan_type {
	DDRAID_CHAN_ATTACH = 1,		/* D>K arg = dev_t */
	DDRAID_CHAN_HELLO = 2,		/* K>D region = regions, arg = members,
					 * flags = mode */
	DDRAID_CHAN_HELD = 3,		/* K>D region held (or locked),
					 * flags = DDRAID_CHAN_HELD_* */
	DDRAID_CHAN_HELD_END = 4,	/* K>D end of the HELD list */
	DDRAID_CHAN_GRANT_REQ = 5,	/* K>D a write waits for region */
	DDRAID_CHAN_GRANT = 6,		/* D>K region, status 0 or errno */
	DDRAID_CHAN_IDLE = 7,		/* K>D grant dropped, nothing in flight */
	DDRAID_CHAN_LOCK = 8,		/* D>K block new writes, drain */
	DDRAID_CHAN_LOCKED = 9,		/* K>D drained */
	DDRAID_CHAN_UNLOCK = 10,	/* D>K resume */
	DDRAID_CHAN_FREEZE = 11,	/* D>K no IO at all,
					 * flags = DDRAID_CHAN_FREEZE_* */
	DDRAID_CHAN_THAW = 12,		/* D>K resume after FREEZE */
	DDRAID_CHAN_MEMBER_ERROR = 13,	/* K>D region = member, status = errno */
	DDRAID_CHAN_MEMBER_STATE = 14,	/* D>K region = member, arg = events,
					 * flags = enum ddraid_member_state */
	DDRAID_CHAN_MEMBER_STATE_DONE = 15, /* K>D region = member,
					     * flags = state */
	DDRAID_CHAN_COMMIT_FAIL = 16,	/* D>K region = member */
	DDRAID_CHAN_PATH_RETRY = 17,	/* D>K region = member: its errors
					 * here were this node's path */
	DDRAID_CHAN_FROZEN = 18,	/* K>D nothing of this target is in
					 * flight to the members any more,
					 * arg = FREEZEs since ATTACH */
	DDRAID_CHAN_TYPE_MAX = 18,
};

/* Which direction a type travels. */
#define DDRAID_CHAN_TO_KERNEL	1
#define DDRAID_CHAN_TO_DAEMON	2

/* HELLO flags: the mode of the target (bit set = true). */
#define DDRAID_CHAN_HELLO_FROZEN	0x1u	/* target is frozen */
#define DDRAID_CHAN_HELLO_FAIL_IO	0x2u	/* ... and fails IO (FREEZE
						 * with FAIL_IO) */
#define DDRAID_CHAN_HELLO_ALL		0x3u	/* every known flag */

/*
 * FREEZE flags. FAIL_IO withdraws the target: IO that waits (at the gate,
 * frozen reads, writes held for COMMIT_FAIL) and new IO fail with EIO
 * until THAW, instead of waiting.
 */
#define DDRAID_CHAN_FREEZE_FAIL_IO	0x1u
#define DDRAID_CHAN_FREEZE_ALL		0x1u

/*
 * HELD flags. A lock set by an earlier daemon stays on in the target (it
 * may guard a resync in progress); the new daemon learns of it here and
 * lifts it once the cluster has no lock on the region.
 */
#define DDRAID_CHAN_HELD_LOCKED		0x1u	/* region is locked */
#define DDRAID_CHAN_HELD_NOGRANT	0x2u	/* locked only, not held */
#define DDRAID_CHAN_HELD_ALL		0x3u

/* The decoded message; fields a type does not use are zero. */
struct ddraid_chan_msg {
	u16 type;
	u64 seq;
	u64 region;	/* region, or member index for member messages */
	u64 arg;
	u32 status;
	u32 flags;
};

/* Limits a decoder checks against; 0 in a field means "not known yet". */
struct ddraid_chan_limits {
	u64 regions;
	u32 members;
};

/*
 * Encode @m into @buf (DDRAID_CHAN_MSG_BYTES bytes). The message must be
 * one that ddraid_chan_decode() would accept with @lim (may be NULL: no
 * range checks); returns 0 or -EINVAL with *why set (if @why not NULL).
 */
int ddraid_chan_encode(const struct ddraid_chan_msg *m,
		       const struct ddraid_chan_limits *lim, void *buf,
		       const char **why);

/*
 * Decode and validate one message of @len bytes (must be exactly
 * DDRAID_CHAN_MSG_BYTES). Refuses (-EINVAL, or -EPROTONOSUPPORT for a
 * version other than 1; *why says which rule failed) a bad magic, unknown
 * type, non-zero reserved bytes, a field a type does not use that is not
 * zero, a region >= lim->regions or a member >= lim->members (when those
 * are non-zero), a status above DDRAID_CHAN_ERRNO_MAX, or an unknown flag or
 * member state. @m is written only on success.
 */
int ddraid_chan_decode(const void *buf, size_t len,
		       const struct ddraid_chan_limits *lim,
		       struct ddraid_chan_msg *m, const char **why);

/* DDRAID_CHAN_TO_KERNEL or DDRAID_CHAN_TO_DAEMON, or 0 for an unknown type. */
int ddraid_chan_direction(u16 type);

/* "GRANT_REQ", ...; "?" for an unknown type. */
const char *ddraid_chan_type_name(u16 type);

#endif /* DDRAID_CHAN_H */
