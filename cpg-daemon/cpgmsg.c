// SPDX-License-Identifier: GPL-2.0-only
/*
 * Encode and decode daemon <-> daemon CPG messages (layout in cpgmsg.h).
 *
 * Every daemon must take exactly the same decision about every delivered
 * message (the replicated state depends on it), so the decoder is a pure
 * function of the bytes and refuses anything an encoder of this version
 * would not produce: padding must be zero, lengths must match the type
 * exactly, region runs must be in their one canonical form.
 */
#include <stdlib.h>

#include "cpgmsg.h"
#include "ddraid_crc32c.h"

#define H_MAGIC		0
#define H_VERSION	4
#define H_TYPE		6
#define H_SENDER	8
#define H_BODYLEN	12
#define H_SEQ		16
#define H_CRC		24
#define H_RESERVED	28

static const char *const names[MSG_TYPE_MAX + 1] = {
	[MSG_NEED_STATE] = "NEED_STATE",
	[MSG_STATE] = "STATE",
	[MSG_INIT] = "INIT",
	[MSG_ATTACH] = "ATTACH",
	[MSG_SLOT_CLAIM] = "SLOT_CLAIM",
	[MSG_SLOT_PERSISTED] = "SLOT_PERSISTED",
	[MSG_ACQUIRE] = "ACQUIRE",
	[MSG_RELEASE] = "RELEASE",
	[MSG_LOCK] = "LOCK",
	[MSG_LOCKED] = "LOCKED",
	[MSG_UNLOCK] = "UNLOCK",
	[MSG_FENCED] = "FENCED",
	[MSG_MEMBER_FAIL] = "MEMBER_FAIL",
	[MSG_MEMBER_FAILED] = "MEMBER_FAILED",
	[MSG_FAIL_APPLIED] = "FAIL_APPLIED",
	[MSG_REBUILD_START] = "REBUILD_START",
	[MSG_REBUILD_READY] = "REBUILD_READY",
	[MSG_REBUILD_BEGIN] = "REBUILD_BEGIN",
	[MSG_REBUILD_PROGRESS] = "REBUILD_PROGRESS",
	[MSG_REBUILD_DONE] = "REBUILD_DONE",
	[MSG_ADOPTED] = "ADOPTED",
	[MSG_SCRUB_START] = "SCRUB_START",
	[MSG_SCRUB_CANCEL] = "SCRUB_CANCEL",
	[MSG_SCRUBBED] = "SCRUBBED",
	[MSG_MEMBER_PROBE] = "MEMBER_PROBE",
	[MSG_PATH_OK] = "PATH_OK",
	[MSG_DETACH] = "DETACH",
	[MSG_HISTORY] = "HISTORY",
	[MSG_TUNE] = "TUNE",
};

const char *cpgmsg_type_name(u16 type)
{
	if (!type || type > MSG_TYPE_MAX)
		return "?";
	return names[type];
}

int cpgmsg_runs_check(const u8 *raw, u32 n, u64 limit, const char **why)
{
	u64 end = 0, first, count;
	u32 i;

	for (i = 0; i < n; i++) {
		first = ddr_get_le64(raw + (size_t)i * CPGMSG_RUN_BYTES);
		count = ddr_get_le64(raw + (size_t)i * CPGMSG_RUN_BYTES + 8);
		if (!count) {
			*why = "empty region run";
			return -EINVAL;
		}
		if (first + count < first) {
			*why = "region run overflows";
			return -EINVAL;
		}
		/* Touching runs would have a second encoding: refuse. */
		if (i && first <= end) {
			*why = "region runs not sorted and separate";
			return -EINVAL;
		}
		end = first + count;
		if (limit && end > limit) {
			*why = "region run beyond the volume";
			return -EINVAL;
		}
	}
	return 0;
}

/* Size of a runs field holding @n runs. */
static size_t runs_bytes(u32 n)
{
	return 8 + (size_t)n * CPGMSG_RUN_BYTES;
}

/* Fixed part of each body; -1 for "variable, see body_size". */
static size_t fixed_body(u16 type)
{
	switch (type) {
	case MSG_NEED_STATE:
	case MSG_SLOT_CLAIM:
	case MSG_ADOPTED:
	case MSG_SCRUB_CANCEL:
		return 0;
	case MSG_SCRUBBED:
		return 24;
	case MSG_STATE:
		return 24;
	case MSG_INIT:
		return 16;	/* + members * 24 + 128 + runs */
	case MSG_ATTACH:
		return 16;	/* + runs */
	case MSG_HISTORY:
		return 16;	/* + runs */
	case MSG_MEMBER_PROBE:
	case MSG_PATH_OK:
	case MSG_DETACH:
	case MSG_SLOT_PERSISTED:
	case MSG_ACQUIRE:
	case MSG_RELEASE:
	case MSG_LOCKED:
	case MSG_UNLOCK:
	case MSG_MEMBER_FAIL:
	case MSG_FAIL_APPLIED:
	case MSG_REBUILD_READY:
	case MSG_SCRUB_START:
		return 8;
	case MSG_LOCK:
	case MSG_MEMBER_FAILED:
	case MSG_REBUILD_START:
	case MSG_REBUILD_PROGRESS:
	case MSG_REBUILD_DONE:
		return 16;
	case MSG_FENCED:
		return 8;	/* + runs + runs */
	case MSG_REBUILD_BEGIN:
		return 16;	/* + runs */
	case MSG_TUNE:
		return 32;
	}
	return 0;
}

static bool has_runs(u16 type)
{
	return type == MSG_INIT || type == MSG_ATTACH || type == MSG_FENCED ||
	       type == MSG_REBUILD_BEGIN || type == MSG_HISTORY;
}

static bool members_ok(u32 n)
{
	return n == 2 || n == 3 || n == 5 || n == 9;
}

const char *cpgmsg_tune_check(u32 set, u32 clear, const u64 *tune)
{
	u32 i;

	if ((set | clear) & ~TUNE_ALL)
		return "unknown TUNE field";
	if (!(set | clear))
		return "TUNE changes nothing";
	if (set & clear)
		return "TUNE both sets and clears a field";
	for (i = 0; i < TUNE_N; i++) {
		if (!(set & (1u << i)) && tune[i])
			return "TUNE value of a field it does not set";
		if (tune[i] > CPGMSG_TUNE_MAX)
			return "TUNE rate out of range";
	}
	return NULL;
}

/* Validate the semantic fields of @m (shared by encoder and decoder). */
static const char *check_fields(const struct cpgmsg *m)
{
	u32 i;

	if (!m->type || m->type > MSG_TYPE_MAX)
		return "unknown message type";
	if (!m->sender)
		return "sender node id is zero";
	switch (m->type) {
	case MSG_STATE:
		if (!m->parts || m->part >= m->parts)
			return "STATE part beyond part count";
		if (!m->total || m->data_len > m->total)
			return "STATE part longer than the state";
		if (m->data_len > CPGMSG_BODY_MAX - 24)
			return "STATE part too long";
		break;
	case MSG_INIT:
		if (!members_ok(m->members))
			return "INIT member count not 2, 3, 5 or 9";
		if (!m->events)
			return "INIT events is zero";
		for (i = 0; i < m->members; i++) {
			const struct cpgmsg_member *mi = &m->member_info[i];

			if (mi->state < DDRAID_MEMBER_ACTIVE ||
			    mi->state > DDRAID_MEMBER_REBUILDING)
				return "INIT unknown member state";
			if (mi->failed_events > m->events)
				return "INIT failed_events beyond events";
		}
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++) {
			u32 j;

			for (j = 0; m->slots[i] && j < i; j++)
				if (m->slots[j] == m->slots[i])
					return "INIT node id in two slots";
		}
		break;
	case MSG_SLOT_PERSISTED:
		if (m->slot >= DDRAID_BITMAP_SLOTS)
			return "slot beyond 32";
		if (!m->nodeid)
			return "slot node id is zero";
		break;
	case MSG_LOCK:
		if (m->purpose != LOCK_RESYNC && m->purpose != LOCK_REBUILD &&
		    m->purpose != LOCK_SCRUB)
			return "unknown lock purpose";
		if (!m->count || m->count > CPGMSG_LOCK_SPAN_MAX)
			return "LOCK count out of range";
		if (m->count > 1 && m->purpose == LOCK_SCRUB)
			return "a scrub LOCK covers one region";
		break;
	case MSG_SCRUB_START:
		if (m->mode != SCRUB_CHECK && m->mode != SCRUB_REPAIR)
			return "unknown scrub mode";
		break;
	case MSG_SCRUBBED:
		if (m->err > 4095)
			return "SCRUBBED errno out of range";
		break;
	case MSG_FENCED:
		if (!m->nodeid)
			return "fenced node id is zero";
		break;
	case MSG_MEMBER_FAIL:
		if (!m->err || m->err > 4095)
			return "MEMBER_FAIL errno out of range";
		break;
	case MSG_MEMBER_PROBE:
	case MSG_REBUILD_READY:
		if (m->err > 4095)
			return "errno out of range";
		break;
	case MSG_ATTACH:
		if (m->flags & ~ATTACH_FLAGS)
			return "unknown ATTACH flag";
		if (m->host_member != CPGMSG_NO_MEMBER &&
		    m->host_member >= DDRAID_MAX_MEMBERS)
			return "hosted member index beyond 9";
		if (m->host_member == CPGMSG_NO_MEMBER &&
		    (m->flags & ATTACH_DISK))
			return "ATTACH names a disk but no member";
		if (!(m->flags & ATTACH_DISK) && m->host_events)
			return "ATTACH events without a disk";
		break;
	case MSG_DETACH:
		if (m->flags & ~DETACH_FLAGS)
			return "unknown DETACH flag";
		if (m->member != CPGMSG_NO_MEMBER &&
		    m->member >= DDRAID_MAX_MEMBERS)
			return "member index beyond 9";
		if (!(m->flags & DETACH_WITHDRAW) &&
		    m->member != CPGMSG_NO_MEMBER)
			return "DETACH names a member but no withdrawal";
		break;
	case MSG_HISTORY:
		if (!m->history || !m->events)
			return "HISTORY history or events is zero";
		break;
	case MSG_TUNE:
		return cpgmsg_tune_check(m->tune_set, m->tune_clear, m->tune);
	case MSG_REBUILD_START:
		if (m->mode != REBUILD_FULL && m->mode != REBUILD_BITMAP)
			return "unknown rebuild mode";
		/* 0: the device every node already has (a re-add) */
		if (m->path_len > CPGMSG_PATH_MAX)
			return "rebuild path length out of range";
		for (i = 0; i < m->path_len; i++)
			if (!m->path[i])
				return "rebuild path holds a zero byte";
		break;
	case MSG_MEMBER_FAILED:
	case MSG_REBUILD_BEGIN:
	case MSG_REBUILD_DONE:
		if (!m->events)
			return "events is zero";
		break;
	}
	switch (m->type) {
	case MSG_MEMBER_FAIL:
	case MSG_MEMBER_FAILED:
	case MSG_FAIL_APPLIED:
	case MSG_REBUILD_START:
	case MSG_REBUILD_READY:
	case MSG_REBUILD_BEGIN:
	case MSG_REBUILD_PROGRESS:
	case MSG_REBUILD_DONE:
	case MSG_MEMBER_PROBE:
	case MSG_PATH_OK:
		if (m->member >= DDRAID_MAX_MEMBERS)
			return "member index beyond 9";
	}
	return NULL;
}

size_t cpgmsg_size(const struct cpgmsg *m)
{
	size_t body;

	if (check_fields(m))
		return 0;
	body = fixed_body(m->type);
	if (m->type == MSG_INIT)
		body += (size_t)m->members * 24 + 4 * DDRAID_BITMAP_SLOTS;
	if (has_runs(m->type))
		body += runs_bytes(m->runs.n);
	if (m->type == MSG_FENCED)
		body += runs_bytes(m->torn.n);
	if (m->type == MSG_STATE)
		body += m->data_len;
	if (m->type == MSG_REBUILD_START)
		body += m->path_len;
	if (body > CPGMSG_BODY_MAX)
		return 0;
	return CPGMSG_HDR_BYTES + body;
}

static u8 *put_runs(u8 *p, const struct cpgmsg_runs *r)
{
	ddr_put_le32(r->n, p);
	ddr_put_le32(0, p + 4);
	if (r->n)
		memcpy(p + 8, r->raw, (size_t)r->n * CPGMSG_RUN_BYTES);
	return p + runs_bytes(r->n);
}

long cpgmsg_encode(const struct cpgmsg *m, void *buf, size_t cap,
		   const char **why)
{
	const char *bad = check_fields(m);
	size_t size;
	u8 *b = buf, *p;
	u32 i;

	if (!bad && has_runs(m->type) && m->runs.n &&
	    cpgmsg_runs_check(m->runs.raw, m->runs.n, 0, &bad))
		goto refuse;
	if (!bad && m->type == MSG_FENCED && m->torn.n &&
	    cpgmsg_runs_check(m->torn.raw, m->torn.n, 0, &bad))
		goto refuse;
	if (bad)
		goto refuse;
	size = cpgmsg_size(m);
	if (!size) {
		bad = "message too long";
		goto refuse;
	}
	if (size > cap)
		return -ENOSPC;
	memset(b, 0, size);
	memcpy(b + H_MAGIC, CPGMSG_MAGIC, 4);
	ddr_put_le16(CPGMSG_VERSION, b + H_VERSION);
	ddr_put_le16(m->type, b + H_TYPE);
	ddr_put_le32(m->sender, b + H_SENDER);
	ddr_put_le32((u32)(size - CPGMSG_HDR_BYTES), b + H_BODYLEN);
	ddr_put_le64(m->seq, b + H_SEQ);
	p = b + CPGMSG_HDR_BYTES;
	switch (m->type) {
	case MSG_STATE:
		ddr_put_le32(m->part, p);
		ddr_put_le32(m->parts, p + 4);
		ddr_put_le64(m->applied, p + 8);
		ddr_put_le32(m->total, p + 16);
		ddr_put_le32(m->data_len, p + 20);
		if (m->data_len)
			memcpy(p + 24, m->data, m->data_len);
		break;
	case MSG_INIT:
		ddr_put_le64(m->events, p);
		ddr_put_le32(m->members, p + 8);
		p += 16;
		for (i = 0; i < m->members; i++, p += 24) {
			ddr_put_le32(m->member_info[i].state, p);
			ddr_put_le64(m->member_info[i].failed_events, p + 8);
			ddr_put_le64(m->member_info[i].recovery_block, p + 16);
		}
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++, p += 4)
			ddr_put_le32(m->slots[i], p);
		put_runs(p, &m->runs);
		break;
	case MSG_ATTACH:
		ddr_put_le32(m->host_member, p);
		ddr_put_le32(m->flags, p + 4);
		ddr_put_le64(m->host_events, p + 8);
		put_runs(p + 16, &m->runs);
		break;
	case MSG_HISTORY:
		ddr_put_le64(m->history, p);
		ddr_put_le64(m->events, p + 8);
		put_runs(p + 16, &m->runs);
		break;
	case MSG_MEMBER_PROBE:
	case MSG_REBUILD_READY:
		ddr_put_le32(m->member, p);
		ddr_put_le32(m->err, p + 4);
		break;
	case MSG_PATH_OK:
		ddr_put_le32(m->member, p);
		break;
	case MSG_DETACH:
		ddr_put_le32(m->flags, p);
		ddr_put_le32(m->member, p + 4);
		break;
	case MSG_SLOT_PERSISTED:
		ddr_put_le32(m->slot, p);
		ddr_put_le32(m->nodeid, p + 4);
		break;
	case MSG_ACQUIRE:
	case MSG_RELEASE:
	case MSG_LOCKED:
	case MSG_UNLOCK:
		ddr_put_le64(m->region, p);
		break;
	case MSG_LOCK:
		ddr_put_le64(m->region, p);
		ddr_put_le32(m->purpose, p + 8);
		ddr_put_le32(m->count, p + 12);
		break;
	case MSG_FENCED:
		ddr_put_le32(m->nodeid, p);
		put_runs(put_runs(p + 8, &m->runs), &m->torn);
		break;
	case MSG_MEMBER_FAIL:
		ddr_put_le32(m->member, p);
		ddr_put_le32(m->err, p + 4);
		break;
	case MSG_FAIL_APPLIED:
		ddr_put_le32(m->member, p);
		break;
	case MSG_MEMBER_FAILED:
	case MSG_REBUILD_DONE:
		ddr_put_le32(m->member, p);
		ddr_put_le64(m->events, p + 8);
		break;
	case MSG_REBUILD_PROGRESS:
		ddr_put_le32(m->member, p);
		ddr_put_le64(m->region, p + 8);
		break;
	case MSG_REBUILD_START:
		ddr_put_le32(m->member, p);
		ddr_put_le32(m->mode, p + 4);
		ddr_put_le32(m->path_len, p + 8);
		memcpy(p + 16, m->path, m->path_len);
		break;
	case MSG_REBUILD_BEGIN:
		ddr_put_le32(m->member, p);
		ddr_put_le64(m->events, p + 8);
		put_runs(p + 16, &m->runs);
		break;
	case MSG_SCRUB_START:
		ddr_put_le32(m->mode, p);
		ddr_put_le32(m->label, p + 4);
		break;
	case MSG_SCRUBBED:
		ddr_put_le64(m->region, p);
		ddr_put_le64(m->mismatches, p + 8);
		ddr_put_le32(m->err, p + 16);
		break;
	case MSG_TUNE:
		ddr_put_le32(m->tune_set, p);
		ddr_put_le32(m->tune_clear, p + 4);
		for (i = 0; i < TUNE_N; i++)
			ddr_put_le64(m->tune[i], p + 8 + 8 * i);
		break;
	}
	ddr_put_le32(ddraid_crc32c(b, size), b + H_CRC);
	return (long)size;
refuse:
	if (why)
		*why = bad;
	return -EINVAL;
}

/* Read a runs field of the body at @p with @avail bytes left. */
static const char *get_runs(const u8 *p, size_t avail, struct cpgmsg_runs *r,
			    size_t *used)
{
	const char *why = NULL;
	u32 n;

	if (avail < 8)
		return "body too short for its region runs";
	n = ddr_get_le32(p);
	if (ddr_get_le32(p + 4))
		return "padding not zero";
	if ((avail - 8) / CPGMSG_RUN_BYTES < n)
		return "body too short for its region runs";
	if (cpgmsg_runs_check(p + 8, n, 0, &why))
		return why;
	r->n = n;
	r->raw = n ? p + 8 : NULL;
	*used = runs_bytes(n);
	return NULL;
}

static bool zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

int cpgmsg_decode(const void *buf, size_t len, struct cpgmsg *out,
		  const char **why)
{
	const u8 *b = buf, *p;
	const char *bad = NULL;
	struct cpgmsg m;
	size_t body, fixed, used = 0, expect;
	int err = -EINVAL;
	u32 i;

	if (len < CPGMSG_HDR_BYTES || memcmp(b + H_MAGIC, CPGMSG_MAGIC, 4)) {
		bad = "no ddraid CPG message magic";
		err = -ENODATA;
		goto out;
	}
	if (ddr_get_le16(b + H_VERSION) != CPGMSG_VERSION) {
		bad = "unsupported message version";
		err = -EPROTONOSUPPORT;
		goto out;
	}
	body = ddr_get_le32(b + H_BODYLEN);
	if (body > CPGMSG_BODY_MAX || body != len - CPGMSG_HDR_BYTES) {
		bad = "body length does not match the message";
		goto out;
	}
	if (ddr_get_le32(b + H_RESERVED)) {
		bad = "reserved header field not zero";
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.type = ddr_get_le16(b + H_TYPE);
	m.sender = ddr_get_le32(b + H_SENDER);
	m.seq = ddr_get_le64(b + H_SEQ);
	if (!m.type || m.type > MSG_TYPE_MAX) {
		bad = "unknown message type";
		goto out;
	}
	p = b + CPGMSG_HDR_BYTES;
	fixed = fixed_body(m.type);
	if (body < fixed) {
		bad = "body too short for its type";
		goto out;
	}
	expect = fixed;
	switch (m.type) {
	case MSG_STATE:
		m.part = ddr_get_le32(p);
		m.parts = ddr_get_le32(p + 4);
		m.applied = ddr_get_le64(p + 8);
		m.total = ddr_get_le32(p + 16);
		m.data_len = ddr_get_le32(p + 20);
		m.data = m.data_len ? p + 24 : NULL;
		expect += m.data_len;
		break;
	case MSG_INIT:
		m.events = ddr_get_le64(p);
		m.members = ddr_get_le32(p + 8);
		if (ddr_get_le32(p + 12)) {
			bad = "padding not zero";
			goto out;
		}
		if (!members_ok(m.members)) {
			bad = "INIT member count not 2, 3, 5 or 9";
			goto out;
		}
		expect += (size_t)m.members * 24 + 4 * DDRAID_BITMAP_SLOTS;
		if (body < expect) {
			bad = "body too short for its type";
			goto out;
		}
		p += 16;
		for (i = 0; i < m.members; i++, p += 24) {
			m.member_info[i].state = ddr_get_le32(p);
			m.member_info[i].failed_events = ddr_get_le64(p + 8);
			m.member_info[i].recovery_block = ddr_get_le64(p + 16);
			if (ddr_get_le32(p + 4)) {
				bad = "padding not zero";
				goto out;
			}
		}
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++, p += 4)
			m.slots[i] = ddr_get_le32(p);
		bad = get_runs(p, body - expect, &m.runs, &used);
		break;
	case MSG_ATTACH:
		m.host_member = ddr_get_le32(p);
		m.flags = ddr_get_le32(p + 4);
		m.host_events = ddr_get_le64(p + 8);
		bad = get_runs(p + 16, body - 16, &m.runs, &used);
		break;
	case MSG_HISTORY:
		m.history = ddr_get_le64(p);
		m.events = ddr_get_le64(p + 8);
		bad = get_runs(p + 16, body - 16, &m.runs, &used);
		break;
	case MSG_MEMBER_PROBE:
	case MSG_REBUILD_READY:
		m.member = ddr_get_le32(p);
		m.err = ddr_get_le32(p + 4);
		break;
	case MSG_PATH_OK:
		m.member = ddr_get_le32(p);
		if (!zero(p + 4, 4))
			bad = "padding not zero";
		break;
	case MSG_DETACH:
		m.flags = ddr_get_le32(p);
		m.member = ddr_get_le32(p + 4);
		break;
	case MSG_SLOT_PERSISTED:
		m.slot = ddr_get_le32(p);
		m.nodeid = ddr_get_le32(p + 4);
		break;
	case MSG_ACQUIRE:
	case MSG_RELEASE:
	case MSG_LOCKED:
	case MSG_UNLOCK:
		m.region = ddr_get_le64(p);
		break;
	case MSG_LOCK:
		m.region = ddr_get_le64(p);
		m.purpose = ddr_get_le32(p + 8);
		m.count = ddr_get_le32(p + 12);
		break;
	case MSG_FENCED:
		m.nodeid = ddr_get_le32(p);
		if (!zero(p + 4, 4)) {
			bad = "padding not zero";
		} else {
			size_t used2 = 0;

			bad = get_runs(p + 8, body - 8, &m.runs, &used);
			if (!bad)
				bad = get_runs(p + 8 + used, body - 8 - used,
					       &m.torn, &used2);
			used += used2;
		}
		break;
	case MSG_MEMBER_FAIL:
		m.member = ddr_get_le32(p);
		m.err = ddr_get_le32(p + 4);
		break;
	case MSG_FAIL_APPLIED:
		m.member = ddr_get_le32(p);
		if (!zero(p + 4, 4))
			bad = "padding not zero";
		break;
	case MSG_MEMBER_FAILED:
	case MSG_REBUILD_DONE:
		m.member = ddr_get_le32(p);
		m.events = ddr_get_le64(p + 8);
		if (!zero(p + 4, 4))
			bad = "padding not zero";
		break;
	case MSG_REBUILD_PROGRESS:
		m.member = ddr_get_le32(p);
		m.region = ddr_get_le64(p + 8);
		if (!zero(p + 4, 4))
			bad = "padding not zero";
		break;
	case MSG_REBUILD_START:
		m.member = ddr_get_le32(p);
		m.mode = ddr_get_le32(p + 4);
		m.path_len = ddr_get_le32(p + 8);
		if (!zero(p + 12, 4))
			bad = "padding not zero";
		if (m.path_len > CPGMSG_PATH_MAX) {
			bad = "rebuild path length out of range";
			goto out;
		}
		m.path = (const char *)p + 16;
		expect += m.path_len;
		break;
	case MSG_REBUILD_BEGIN:
		m.member = ddr_get_le32(p);
		m.events = ddr_get_le64(p + 8);
		if (!zero(p + 4, 4))
			bad = "padding not zero";
		else
			bad = get_runs(p + 16, body - 16, &m.runs, &used);
		break;
	case MSG_SCRUB_START:
		m.mode = ddr_get_le32(p);
		m.label = ddr_get_le32(p + 4);
		break;
	case MSG_SCRUBBED:
		m.region = ddr_get_le64(p);
		m.mismatches = ddr_get_le64(p + 8);
		m.err = ddr_get_le32(p + 16);
		if (!zero(p + 20, 4))
			bad = "padding not zero";
		break;
	case MSG_TUNE:
		m.tune_set = ddr_get_le32(p);
		m.tune_clear = ddr_get_le32(p + 4);
		for (i = 0; i < TUNE_N; i++)
			m.tune[i] = ddr_get_le64(p + 8 + 8 * i);
		break;
	}
	if (bad)
		goto out;
	expect += used;
	if (body != expect) {
		bad = "body length wrong for its type";
		goto out;
	}
	bad = check_fields(&m);
	if (bad)
		goto out;
	{
		/*
		 * Check the CRC last: the encoder computes it over the whole
		 * message with the field zero, so do the same on a copy of
		 * the header followed by the body (the core has no
		 * incremental CRC; messages are small).
		 */
		u32 want = ddr_get_le32(b + H_CRC);
		u8 *copy = malloc(len);
		u32 got;

		if (!copy) {
			bad = "out of memory";
			err = -ENOMEM;
			goto out;
		}
		memcpy(copy, b, len);
		memset(copy + H_CRC, 0, 4);
		got = ddraid_crc32c(copy, len);
		free(copy);
		if (got != want) {
			bad = "checksum mismatch";
			err = -EBADMSG;
			goto out;
		}
	}
	*out = m;
	return 0;
out:
	if (why)
		*why = bad;
	return err;
}
