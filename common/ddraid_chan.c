// SPDX-License-Identifier: GPL-2.0-only
/*
 * Encode and decode the 64-byte kernel <-> daemon channel message. Shared
 * by the kernel target and userspace: no libc beyond ddraid_compat.h.
 *
 * Strictness matters here: the kernel trusts nothing a process writes, and
 * the daemon trusts nothing a (possibly newer or buggy) target reads. So
 * every field a type does not use must be zero, and the decoder and encoder
 * share one validation routine so they can never disagree.
 */
#include "ddraid_chan.h"
#include "ddraid_format.h"

#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_TYPE	6
#define OFF_SEQ		8
#define OFF_REGION	16
#define OFF_ARG		24
#define OFF_STATUS	32
#define OFF_FLAGS	36
#define OFF_RESERVED	40

/* What a type's fields may hold. */
enum field_use {
	F_ZERO = 0,	/* must be zero */
	F_REGION,	/* region index < regions */
	F_MEMBER,	/* member index < members */
	F_ANY,		/* any value */
	F_REGIONS,	/* a region count (HELLO) */
	F_MEMBERS,	/* a member count (HELLO) */
	F_ERRNO,	/* 0..ERRNO_MAX */
	F_ERRNO_SET,	/* 1..ERRNO_MAX */
	F_STATE,	/* member state 1..3 */
	F_HELLO_FLAGS,
	F_HELD_FLAGS,
	F_FREEZE_FLAGS,
};

struct type_rule {
	const char *name;
	u8 dir;
	u8 region, arg, status, flags;	/* enum field_use */
};

static const struct type_rule rules[DDRAID_CHAN_TYPE_MAX + 1] = {
	[DDRAID_CHAN_ATTACH] = { "ATTACH", DDRAID_CHAN_TO_KERNEL,
		F_ZERO, F_ANY, F_ZERO, F_ZERO },
	[DDRAID_CHAN_HELLO] = { "HELLO", DDRAID_CHAN_TO_DAEMON,
		F_REGIONS, F_MEMBERS, F_ZERO, F_HELLO_FLAGS },
	[DDRAID_CHAN_HELD] = { "HELD", DDRAID_CHAN_TO_DAEMON,
		F_REGION, F_ZERO, F_ZERO, F_HELD_FLAGS },
	[DDRAID_CHAN_HELD_END] = { "HELD_END", DDRAID_CHAN_TO_DAEMON,
		F_ZERO, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_GRANT_REQ] = { "GRANT_REQ", DDRAID_CHAN_TO_DAEMON,
		F_REGION, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_GRANT] = { "GRANT", DDRAID_CHAN_TO_KERNEL,
		F_REGION, F_ZERO, F_ERRNO, F_ZERO },
	[DDRAID_CHAN_IDLE] = { "IDLE", DDRAID_CHAN_TO_DAEMON,
		F_REGION, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_LOCK] = { "LOCK", DDRAID_CHAN_TO_KERNEL,
		F_REGION, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_LOCKED] = { "LOCKED", DDRAID_CHAN_TO_DAEMON,
		F_REGION, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_UNLOCK] = { "UNLOCK", DDRAID_CHAN_TO_KERNEL,
		F_REGION, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_FREEZE] = { "FREEZE", DDRAID_CHAN_TO_KERNEL,
		F_ZERO, F_ZERO, F_ZERO, F_FREEZE_FLAGS },
	[DDRAID_CHAN_THAW] = { "THAW", DDRAID_CHAN_TO_KERNEL,
		F_ZERO, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_MEMBER_ERROR] = { "MEMBER_ERROR", DDRAID_CHAN_TO_DAEMON,
		F_MEMBER, F_ZERO, F_ERRNO_SET, F_ZERO },
	[DDRAID_CHAN_MEMBER_STATE] = { "MEMBER_STATE", DDRAID_CHAN_TO_KERNEL,
		F_MEMBER, F_ANY, F_ZERO, F_STATE },
	[DDRAID_CHAN_MEMBER_STATE_DONE] = { "MEMBER_STATE_DONE",
		DDRAID_CHAN_TO_DAEMON, F_MEMBER, F_ZERO, F_ZERO, F_STATE },
	[DDRAID_CHAN_COMMIT_FAIL] = { "COMMIT_FAIL", DDRAID_CHAN_TO_KERNEL,
		F_MEMBER, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_PATH_RETRY] = { "PATH_RETRY", DDRAID_CHAN_TO_KERNEL,
		F_MEMBER, F_ZERO, F_ZERO, F_ZERO },
	[DDRAID_CHAN_FROZEN] = { "FROZEN", DDRAID_CHAN_TO_DAEMON,
		F_ZERO, F_ANY, F_ZERO, F_ZERO },
};

static bool members_ok(u64 n)
{
	return n == 2 || n == 3 || n == 5 || n == 9;
}

/* Check one field against its use; returns a reason or NULL. */
static const char *check_field(u8 use, u64 v,
			       const struct ddraid_chan_limits *lim,
			       const char *field)
{
	u64 regions = lim ? lim->regions : 0;
	u32 members = lim ? lim->members : 0;

	switch (use) {
	case F_ZERO:
		return v ? field : NULL;
	case F_ANY:
		return NULL;
	case F_REGION:
		return regions && v >= regions ? "region beyond the volume" :
			NULL;
	case F_MEMBER:
		if (v >= DDRAID_MAX_MEMBERS || (members && v >= members))
			return "member index beyond the member count";
		return NULL;
	case F_REGIONS:
		if (!v || (regions && v != regions))
			return "HELLO region count differs from the volume";
		return NULL;
	case F_MEMBERS:
		if (!members_ok(v) || (members && v != members))
			return "HELLO member count differs from the volume";
		return NULL;
	case F_ERRNO:
		return v > DDRAID_CHAN_ERRNO_MAX ? "status is not an errno" :
			NULL;
	case F_ERRNO_SET:
		return !v || v > DDRAID_CHAN_ERRNO_MAX ?
			"status is not a positive errno" : NULL;
	case F_STATE:
		return v < DDRAID_MEMBER_ACTIVE || v > DDRAID_MEMBER_REBUILDING ?
			"unknown member state" : NULL;
	case F_HELLO_FLAGS:
		if (v & ~(u64)DDRAID_CHAN_HELLO_ALL)
			return "unknown HELLO flag";
		return v == DDRAID_CHAN_HELLO_FAIL_IO ?
			"HELLO flag FAIL_IO without FROZEN" : NULL;
	case F_HELD_FLAGS:
		if (v & ~(u64)DDRAID_CHAN_HELD_ALL)
			return "unknown HELD flag";
		return v == DDRAID_CHAN_HELD_NOGRANT ?
			"HELD flag NOGRANT without LOCKED" : NULL;
	case F_FREEZE_FLAGS:
		return v & ~(u64)DDRAID_CHAN_FREEZE_ALL ?
			"unknown FREEZE flag" : NULL;
	}
	return "internal: unknown field rule";
}

static const char *check_msg(const struct ddraid_chan_msg *m,
			     const struct ddraid_chan_limits *lim)
{
	const struct type_rule *r;
	const char *why;

	if (!m->type || m->type > DDRAID_CHAN_TYPE_MAX)
		return "unknown message type";
	r = &rules[m->type];
	why = check_field(r->region, m->region, lim, "region field not zero");
	if (!why)
		why = check_field(r->arg, m->arg, lim, "arg field not zero");
	if (!why)
		why = check_field(r->status, m->status, lim,
				  "status field not zero");
	if (!why)
		why = check_field(r->flags, m->flags, lim,
				  "flags field not zero");
	return why;
}

int ddraid_chan_encode(const struct ddraid_chan_msg *m,
		       const struct ddraid_chan_limits *lim, void *buf,
		       const char **why)
{
	const char *bad = check_msg(m, lim);
	u8 *b = buf;

	if (bad) {
		if (why)
			*why = bad;
		return -EINVAL;
	}
	memset(b, 0, DDRAID_CHAN_MSG_BYTES);
	memcpy(b + OFF_MAGIC, DDRAID_CHAN_MAGIC, 4);
	ddr_put_le16(DDRAID_CHAN_VERSION, b + OFF_VERSION);
	ddr_put_le16(m->type, b + OFF_TYPE);
	ddr_put_le64(m->seq, b + OFF_SEQ);
	ddr_put_le64(m->region, b + OFF_REGION);
	ddr_put_le64(m->arg, b + OFF_ARG);
	ddr_put_le32(m->status, b + OFF_STATUS);
	ddr_put_le32(m->flags, b + OFF_FLAGS);
	return 0;
}

int ddraid_chan_decode(const void *buf, size_t len,
		       const struct ddraid_chan_limits *lim,
		       struct ddraid_chan_msg *m, const char **why)
{
	const u8 *b = buf;
	struct ddraid_chan_msg t;
	const char *bad = NULL;
	int err = -EINVAL;
	size_t i;

	if (len != DDRAID_CHAN_MSG_BYTES) {
		bad = "message is not 64 bytes";
		goto out;
	}
	if (memcmp(b + OFF_MAGIC, DDRAID_CHAN_MAGIC, 4)) {
		bad = "bad magic";
		goto out;
	}
	if (ddr_get_le16(b + OFF_VERSION) != DDRAID_CHAN_VERSION) {
		bad = "unsupported version";
		err = -EPROTONOSUPPORT;
		goto out;
	}
	for (i = OFF_RESERVED; i < DDRAID_CHAN_MSG_BYTES; i++) {
		if (b[i]) {
			bad = "reserved bytes not zero";
			goto out;
		}
	}
	t.type = ddr_get_le16(b + OFF_TYPE);
	t.seq = ddr_get_le64(b + OFF_SEQ);
	t.region = ddr_get_le64(b + OFF_REGION);
	t.arg = ddr_get_le64(b + OFF_ARG);
	t.status = ddr_get_le32(b + OFF_STATUS);
	t.flags = ddr_get_le32(b + OFF_FLAGS);
	bad = check_msg(&t, lim);
	if (!bad) {
		*m = t;
		return 0;
	}
out:
	if (why)
		*why = bad;
	return err;
}

int ddraid_chan_direction(u16 type)
{
	if (!type || type > DDRAID_CHAN_TYPE_MAX)
		return 0;
	return rules[type].dir;
}

const char *ddraid_chan_type_name(u16 type)
{
	if (!type || type > DDRAID_CHAN_TYPE_MAX)
		return "?";
	return rules[type].name;
}
