// SPDX-License-Identifier: GPL-2.0-only
/*
 * The replicated state: allocation, lookups, region-set helpers and the
 * byte form STATE carries. The byte form is also what the simulator
 * compares across daemons, so it must be a pure function of the RS (no
 * padding, no pointers, fixed order).
 */
#include <stdlib.h>

#include <string.h>

#include "sm_internal.h"

#define RS_MAGIC	0x34305352u	/* "RS04": hosts, probes, torn, history,
					 * tuned rates, scheduled scrub's label */

static void rs_clear_hosts(struct rs *rs);

int rs_alloc(struct rs *rs, u64 regions)
{
	memset(rs, 0, sizeof(*rs));
	rs->held = calloc(regions, sizeof(u32));
	rs->waiting = calloc(regions, sizeof(u32));
	rs->dirty = calloc(1, bitmap_bytes(regions));
	rs->rb_todo = calloc(1, bitmap_bytes(regions));
	rs->torn = calloc(1, bitmap_bytes(regions));
	rs_clear_hosts(rs);
	if (!rs->held || !rs->waiting || !rs->dirty || !rs->rb_todo ||
	    !rs->torn) {
		rs_free(rs);
		return -ENOMEM;
	}
	return 0;
}

void rs_free(struct rs *rs)
{
	free(rs->held);
	free(rs->waiting);
	free(rs->dirty);
	free(rs->rb_todo);
	free(rs->torn);
	memset(rs, 0, sizeof(*rs));
}

u64 rs_rb_first(struct rs *rs, u64 regions)
{
	rs->rb_low = bitmap_next(rs->rb_todo, rs->rb_low, regions);
	return rs->rb_low;
}

void rs_rb_todo_set(struct rs *rs, u64 r)
{
	ddraid_bit_set(rs->rb_todo, r);
	if (r < rs->rb_low)
		rs->rb_low = r;
}

/* Forget everything but keep the arrays. */
void rs_clear(struct rs *rs, u64 regions)
{
	u32 *held = rs->held, *waiting = rs->waiting;
	u8 *dirty = rs->dirty, *todo = rs->rb_todo, *torn = rs->torn;

	memset(held, 0, regions * sizeof(u32));
	memset(waiting, 0, regions * sizeof(u32));
	memset(dirty, 0, bitmap_bytes(regions));
	memset(todo, 0, bitmap_bytes(regions));
	memset(torn, 0, bitmap_bytes(regions));
	memset(rs, 0, sizeof(*rs));
	rs->held = held;
	rs->waiting = waiting;
	rs->dirty = dirty;
	rs->rb_todo = todo;
	rs->torn = torn;
	rs_clear_hosts(rs);
}

/* Fields whose "none" is not zero. */
static void rs_clear_hosts(struct rs *rs)
{
	u32 s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		rs->slot[s].hosts = CPGMSG_NO_MEMBER;
	rs->torn_member = CPGMSG_NO_MEMBER;
	rs->rb_refused_member = CPGMSG_NO_MEMBER;
}

int rs_host_slot(const struct rs *rs, u32 m)
{
	int s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (rs->slot[s].nodeid && rs->slot[s].hosts == m)
			return s;
	return -1;
}

u32 rs_attached_mask(const struct rs *rs)
{
	u32 s, mask = 0;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (rs->slot[s].status == SS_VIEW && rs->slot[s].attached)
			mask |= 1u << s;
	return mask;
}

int rs_slot_of(const struct rs *rs, u32 nodeid)
{
	int s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (rs->slot[s].nodeid == nodeid)
			return s;
	return -1;
}

int rs_view_find(const struct rs *rs, u32 nodeid)
{
	u32 i;

	for (i = 0; i < rs->n_view; i++)
		if (rs->view[i].nodeid == nodeid)
			return (int)i;
	return -1;
}

u64 bitmap_count(const u8 *map, u64 regions)
{
	u64 r, w, n = 0, words = regions / 64;

	/* Whole words at once, empty 64-byte blocks skipped: the runtime
	 * counts after every event (sm_status_brief() for operator events). */
	for (r = 0; r < words; r++) {
		if (!(r & 7) && r + 8 <= words &&
		    bitmap_block_zero(map + r * 8)) {
			r += 7;
			continue;
		}
		memcpy(&w, map + r * 8, 8);
		n += (u64)__builtin_popcountll(w);
	}
	for (r = words * 64; r < regions; r++)
		n += ddraid_bit_test(map, r);
	return n;
}

void rs_dirty_set(struct rs *rs, u64 r)
{
	if (!ddraid_bit_test(rs->dirty, r)) {
		ddraid_bit_set(rs->dirty, r);
		rs->n_dirty++;
	}
}

void rs_dirty_clear(struct rs *rs, u64 r)
{
	if (ddraid_bit_test(rs->dirty, r)) {
		ddraid_bit_clear(rs->dirty, r);
		rs->n_dirty--;
	}
}

/* Counted again: INIT, FENCED and HISTORY are rare. */
void rs_dirty_or_runs(struct rs *rs, const struct cpgmsg_runs *runs,
		      u64 regions)
{
	bitmap_or_runs(rs->dirty, runs, regions);
	rs->n_dirty = bitmap_count(rs->dirty, regions);
}

/*
 * Runs of set bits, bridging gaps shorter than @gap (1: exact). Fills
 * @raw when not NULL; returns the number of runs.
 */
static u64 bitmap_runs(const u8 *map, u64 regions, u64 gap, u8 *raw)
{
	u64 r = 0, n = 0, first, end;

	while (r < regions) {
		if (!ddraid_bit_test(map, r)) {
			r++;
			continue;
		}
		first = r;
		for (;;) {
			while (r < regions && ddraid_bit_test(map, r))
				r++;
			end = r;
			/* Bridge a short gap to the next set bit. */
			while (r < regions && r - end < gap - 1 &&
			       !ddraid_bit_test(map, r))
				r++;
			if (r >= regions || !ddraid_bit_test(map, r)) {
				r = end;
				break;
			}
		}
		if (raw) {
			ddr_put_le64(first, raw + n * CPGMSG_RUN_BYTES);
			ddr_put_le64(end - first,
				     raw + n * CPGMSG_RUN_BYTES + 8);
		}
		n++;
	}
	return n;
}

/*
 * A region set as runs. A set too fragmented for one message (more than
 * RUNS_MAX runs) is sent as a superset: gaps are bridged, shortest first
 * by doubling. Every set sent this way may grow safely: dirty regions
 * (INIT, FENCED) are resynced once more, a rebuild walks more regions
 * (REBUILD_BEGIN), and regions a target is said to hold but does not
 * (ATTACH) are locked as cold ones and resynced if it crashes.
 */
struct cpgmsg_runs runs_from_bitmap(struct sm_effects *out, const u8 *map,
				    u64 regions)
{
	struct cpgmsg_runs runs = { 0, NULL };
	u64 gap = 1, n;
	u8 *raw;

	/* Count first, then fill: one allocation of the exact size. */
	while ((n = bitmap_runs(map, regions, gap, NULL)) > RUNS_MAX)
		gap *= 2;
	if (!n)
		return runs;
	raw = fx_own(out, n * CPGMSG_RUN_BYTES);
	if (!raw)
		return runs;
	runs.raw = raw;
	runs.n = (u32)bitmap_runs(map, regions, gap, raw);
	return runs;
}

void bitmap_or_runs(u8 *map, const struct cpgmsg_runs *runs, u64 regions)
{
	u64 first, count, r;
	u32 i;

	for (i = 0; i < runs->n; i++) {
		cpgmsg_run(runs, i, &first, &count);
		for (r = first; r < first + count && r < regions; r++)
			ddraid_bit_set(map, r);
	}
}

/* ---- byte form ---- */

struct wbuf {
	u8 *p;
	size_t len, cap;
	bool oom;
};

static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4096;
		u8 *p;

		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->p, cap);
		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put8(struct wbuf *w, u8 v)
{
	put(w, &v, 1);
}

static void put32(struct wbuf *w, u32 v)
{
	u8 b[4];

	ddr_put_le32(v, b);
	put(w, b, 4);
}

static void put64(struct wbuf *w, u64 v)
{
	u8 b[8];

	ddr_put_le64(v, b);
	put(w, b, 8);
}

u8 *rs_serialize(const struct sm *sm, const struct rs *rs, size_t *len)
{
	u64 regions = sm->cfg.regions, r, n = 0;
	struct wbuf w = { 0 };
	u32 i, plen = (u32)strlen(rs->rb_path);

	put32(&w, RS_MAGIC);
	put64(&w, regions);
	put32(&w, sm->cfg.members);
	put64(&w, rs->events);
	put32(&w, rs->pending_fail);
	put32(&w, rs->unrecorded);
	for (i = 0; i < sm->cfg.members; i++) {
		put32(&w, rs->member[i].state);
		put64(&w, rs->member[i].failed_events);
		put64(&w, rs->member[i].recovery_block);
		put32(&w, rs->fail_apply[i]);
		put32(&w, rs->probe_voters[i]);
		put32(&w, rs->probe_wait[i]);
		put32(&w, rs->probe_bad[i]);
	}
	put32(&w, rs->probing);
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++) {
		put32(&w, rs->slot[i].nodeid);
		put8(&w, rs->slot[i].persisted);
		put8(&w, rs->slot[i].status);
		put8(&w, rs->slot[i].attached);
		put8(&w, rs->slot[i].disk_ok);
		put32(&w, rs->slot[i].hosts);
		put64(&w, rs->slot[i].disk_events);
		put32(&w, rs->slot[i].path_bad);
	}
	put64(&w, rs->next_since);
	put32(&w, rs->n_view);
	for (i = 0; i < rs->n_view; i++) {
		put32(&w, rs->view[i].nodeid);
		put8(&w, rs->view[i].has_state);
		put64(&w, rs->view[i].since);
	}
	put8(&w, rs->locked);
	put32(&w, rs->lock_purpose);
	put64(&w, rs->lock_region);
	put32(&w, rs->lock_count);
	put32(&w, rs->lock_ack);
	put8(&w, rs->rb_phase);
	put32(&w, rs->rb_member);
	put32(&w, rs->rb_mode);
	put32(&w, plen);
	put(&w, rs->rb_path, plen);
	put32(&w, rs->rb_ready);
	put64(&w, rs->rb_next);
	put64(&w, rs->rb_done);
	put32(&w, rs->sc_end);
	put32(&w, rs->sc_mode);
	put64(&w, rs->sc_next);
	put64(&w, rs->sc_mismatches);
	put64(&w, rs->sc_repaired);
	put32(&w, rs->sc_err);
	put32(&w, rs->torn_member);
	put32(&w, rs->rb_refused_member);
	put32(&w, rs->rb_refused_node);
	put32(&w, rs->rb_refused_err);
	put64(&w, rs->history);
	for (r = 0; r < regions; r++)
		n += rs->held[r] || rs->waiting[r];
	put64(&w, n);
	for (r = 0; r < regions; r++) {
		if (!rs->held[r] && !rs->waiting[r])
			continue;
		put64(&w, r);
		put32(&w, rs->held[r]);
		put32(&w, rs->waiting[r]);
	}
	put(&w, rs->dirty, bitmap_bytes(regions));
	put(&w, rs->rb_todo, bitmap_bytes(regions));
	put(&w, rs->torn, bitmap_bytes(regions));
	/* Fields added since RS03, in order. */
	put32(&w, rs->tune_set);
	for (i = 0; i < TUNE_N; i++)
		put64(&w, rs->tune[i]);
	put32(&w, rs->sc_label);
	if (w.oom) {
		free(w.p);
		return NULL;
	}
	*len = w.len;
	return w.p;
}

struct rbuf {
	const u8 *p;
	size_t len, off;
	const char *why;
};

static bool get(struct rbuf *b, void *dst, size_t n)
{
	if (b->why)
		return false;
	if (b->len - b->off < n) {
		b->why = "state is truncated";
		return false;
	}
	memcpy(dst, b->p + b->off, n);
	b->off += n;
	return true;
}

static u8 get8(struct rbuf *b)
{
	u8 v = 0;

	get(b, &v, 1);
	return v;
}

static u32 get32(struct rbuf *b)
{
	u8 v[4] = { 0 };

	get(b, v, 4);
	return ddr_get_le32(v);
}

static u64 get64(struct rbuf *b)
{
	u8 v[8] = { 0 };

	get(b, v, 8);
	return ddr_get_le64(v);
}

static void bad(struct rbuf *b, bool cond, const char *why)
{
	if (cond && !b->why)
		b->why = why;
}

int rs_deserialize(struct sm *sm, struct rs *rs, const u8 *buf, size_t len,
		   const char **why)
{
	struct rbuf b = { buf, len, 0, NULL };
	u64 regions = sm->cfg.regions, n, r, k;
	u32 i, plen;

	rs_clear(rs, regions);
	bad(&b, get32(&b) != RS_MAGIC, "state magic");
	bad(&b, get64(&b) != regions, "state region count differs");
	bad(&b, get32(&b) != sm->cfg.members, "state member count differs");
	rs->events = get64(&b);
	rs->pending_fail = get32(&b);
	rs->unrecorded = get32(&b);
	bad(&b, rs->unrecorded >> sm->cfg.members, "state unrecorded");
	bad(&b, rs->pending_fail >> sm->cfg.members, "state pending_fail");
	for (i = 0; i < sm->cfg.members; i++) {
		rs->member[i].state = get32(&b);
		rs->member[i].failed_events = get64(&b);
		rs->member[i].recovery_block = get64(&b);
		rs->fail_apply[i] = get32(&b);
		rs->probe_voters[i] = get32(&b);
		rs->probe_wait[i] = get32(&b);
		rs->probe_bad[i] = get32(&b);
		bad(&b, rs->member[i].state < DDRAID_MEMBER_ACTIVE ||
		    rs->member[i].state > DDRAID_MEMBER_REBUILDING,
		    "state member state");
	}
	rs->probing = get32(&b);
	bad(&b, rs->probing >> sm->cfg.members, "state probing");
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++) {
		rs->slot[i].nodeid = get32(&b);
		rs->slot[i].persisted = get8(&b);
		rs->slot[i].status = get8(&b);
		rs->slot[i].attached = get8(&b);
		rs->slot[i].disk_ok = get8(&b);
		rs->slot[i].hosts = get32(&b);
		rs->slot[i].disk_events = get64(&b);
		rs->slot[i].path_bad = get32(&b);
		bad(&b, rs->slot[i].status > SS_DETACHED, "state slot status");
		bad(&b, rs->slot[i].hosts != CPGMSG_NO_MEMBER &&
		    rs->slot[i].hosts >= sm->cfg.members, "state slot host");
		bad(&b, rs->slot[i].path_bad >> sm->cfg.members,
		    "state slot path");
	}
	rs->next_since = get64(&b);
	rs->n_view = get32(&b);
	bad(&b, rs->n_view > SM_MAX_VIEW, "state view too large");
	for (i = 0; !b.why && i < rs->n_view; i++) {
		rs->view[i].nodeid = get32(&b);
		rs->view[i].has_state = get8(&b);
		rs->view[i].since = get64(&b);
	}
	rs->locked = get8(&b);
	rs->lock_purpose = get32(&b);
	rs->lock_region = get64(&b);
	rs->lock_count = get32(&b);
	rs->lock_ack = get32(&b);
	bad(&b, rs->locked && (rs->lock_region >= regions || !rs->lock_count ||
			       rs->lock_count > CPGMSG_LOCK_SPAN_MAX ||
			       rs->lock_count > regions - rs->lock_region ||
			       (rs->lock_count > 1 &&
				rs->lock_purpose == LOCK_SCRUB)),
	    "state lock region");
	rs->rb_phase = get8(&b);
	rs->rb_member = get32(&b);
	rs->rb_mode = get32(&b);
	plen = get32(&b);
	bad(&b, plen > CPGMSG_PATH_MAX, "state path too long");
	if (!b.why)
		get(&b, rs->rb_path, plen);
	rs->rb_ready = get32(&b);
	rs->rb_next = get64(&b);
	rs->rb_done = get64(&b);
	bad(&b, rs->rb_phase > RB_WALK || rs->rb_member >= sm->cfg.members,
	    "state rebuild");
	rs->sc_end = get32(&b);
	rs->sc_mode = get32(&b);
	rs->sc_next = get64(&b);
	rs->sc_mismatches = get64(&b);
	rs->sc_repaired = get64(&b);
	rs->sc_err = get32(&b);
	rs->torn_member = get32(&b);
	rs->rb_refused_member = get32(&b);
	rs->rb_refused_node = get32(&b);
	rs->rb_refused_err = get32(&b);
	rs->history = get64(&b);
	bad(&b, rs->torn_member != CPGMSG_NO_MEMBER &&
	    rs->torn_member >= sm->cfg.members, "state torn member");
	bad(&b, rs->sc_end > SCRUB_IO_ERROR || rs->sc_next > regions ||
	    (rs->sc_end && rs->sc_mode != SCRUB_CHECK &&
	     rs->sc_mode != SCRUB_REPAIR), "state scrub");
	bad(&b, rs->locked && rs->lock_purpose != LOCK_RESYNC &&
	    rs->lock_purpose != LOCK_REBUILD &&
	    rs->lock_purpose != LOCK_SCRUB, "state lock purpose");
	n = get64(&b);
	bad(&b, n > regions, "state held count");
	for (k = 0; !b.why && k < n; k++) {
		r = get64(&b);
		bad(&b, r >= regions, "state held region");
		if (b.why)
			break;
		rs->held[r] = get32(&b);
		rs->waiting[r] = get32(&b);
	}
	if (!b.why) {
		get(&b, rs->dirty, bitmap_bytes(regions));
		rs->n_dirty = bitmap_count(rs->dirty, regions);
	}
	if (!b.why)
		get(&b, rs->rb_todo, bitmap_bytes(regions));
	if (!b.why)
		get(&b, rs->torn, bitmap_bytes(regions));
	rs->tune_set = get32(&b);
	bad(&b, rs->tune_set & ~TUNE_ALL, "state tuned rates");
	for (i = 0; i < TUNE_N; i++) {
		rs->tune[i] = get64(&b);
		bad(&b, rs->tune[i] > CPGMSG_TUNE_MAX ||
		    (rs->tune[i] && !(rs->tune_set & (1u << i))),
		    "state tuned rates");
	}
	rs->sc_label = get32(&b);
	bad(&b, b.off != b.len, "state has trailing bytes");
	if (b.why) {
		*why = b.why;
		rs_clear(rs, regions);
		return -EINVAL;
	}
	return 0;
}
