// SPDX-License-Identifier: GPL-2.0-only
/*
 * The invariants of the design brief, checked after every simulated step
 * (I3 at acknowledgement, I4 at read, I5 and I6 at the IO are checked
 * where they happen, in sim_target.c and sim_disk.c).
 */
#include <stdlib.h>

#include "sim.h"

static u32 nbits(u32 x)
{
	return (u32)__builtin_popcount(x);
}

/* Does block b read as version v with member x (or none: ~0) lost? */
static bool block_reads(const struct sim *s, u64 b, u64 v, u32 x)
{
	u32 pm = s->members - 1, d;

	for (d = 0; d < pm; d++) {
		u64 f;

		if (d != x) {
			f = s->disk[d].frag[b];
		} else {
			u32 o;

			f = s->disk[pm].frag[b];
			for (o = 0; o < pm; o++)
				if (o != d)
					f ^= s->disk[o].frag[b];
		}
		if (f != frag_value(v, d, s->members))
			return false;
	}
	return true;
}

/* I1: every acknowledged write reads back, whichever one member fails. */
static void check_acked(struct sim *s)
{
	u32 miss = disk_missing(s), x;
	u64 b;

	if (nbits(miss) > 1)
		return;		/* a double failure may lose data */
	for (b = 0; b < s->blocks; b++) {
		if (s->torn[b] || s->busy[b] || s->lost[b])
			continue;
		if (miss) {
			x = (u32)__builtin_ctz(miss);
			if (!block_reads(s, b, s->acked[b], x))
				goto bad;
			continue;
		}
		for (x = 0; x < s->members; x++)
			if (!block_reads(s, b, s->acked[b], x))
				goto bad;
		continue;
bad:
		sim_fail(s, "I1: block %llu does not read as acknowledged "
			 "version %llu with member %u lost",
			 (unsigned long long)b,
			 (unsigned long long)s->acked[b], x);
		for (x = 0; x < s->members && s->verbose; x++)
			fprintf(stderr, "  member %u: %#llx\n", x,
				(unsigned long long)s->disk[x].frag[b]);
		return;
	}
}

/*
 * I2: a write into region r is recorded in its node's slot so that the
 * record survives the loss of any one member: on every member that
 * counts but at most one (a member this node could not reach when it set
 * the bit, its path back since, or its host cut off in a partition; a
 * write that reaches it then tears at most that one copy's region).
 * Returns the members lacking the bit when that is too many, else 0.
 */
u32 sim_intent_lacking(const struct sim *s, const struct sim_node *n,
		       int slot, u32 r)
{
	u32 m, lacking = 0;

	/* (a member out of the writer's reach gets none of it now) */
	for (m = 0; m < s->members; m++)
		if (!(disk_missing(s) & (1u << m)) && sim_reach(s, n, m) &&
		    (slot < 0 || !s->disk[m].bits[slot][r]))
			lacking |= 1u << m;
	if (__builtin_popcount(lacking) > 1 || slot < 0)
		return lacking | (slot < 0);
	return 0;
}

/* I2 for every write in flight. */
static void check_intent(struct sim *s)
{
	u32 j, i, bad;

	for (j = 0; j < s->n_nodes; j++) {
		const struct sim_node *n = &s->node[j];
		int slot = -1;

		if (!n->t.alive)
			continue;
		slot = sim_slot_of(s, n->id);
		for (i = 0; i < SIM_MAX_WRITES; i++) {
			const struct sim_write *w = &n->t.w[i];
			u32 r = (u32)(w->block / SIM_BPR);

			if (w->state != W_SUBMITTED || !w->pending)
				continue;
			bad = sim_intent_lacking(s, n, slot, r);
			if (bad) {
				sim_fail(s, "I2: node %u has a write in flight "
					 "in region %u, not dirty on members "
					 "%#x", n->id, r, bad);
				return;
			}
		}
	}
}

static struct sim_node *reference(struct sim *s)
{
	u32 j;

	for (j = 0; j < s->n_nodes; j++) {
		struct sim_node *n = &s->node[j];
		struct sm_status st;

		if (!n->up || !n->d.alive || !sim_quorate_truth(s, n->part))
			continue;
		sm_status(n->d.sm, &st);
		if (st.has_state && st.quorate)
			return n;
	}
	return NULL;
}

/*
 * I2, second half: outside the regions the RS still calls dirty, locked,
 * or held by a node that is not attached, parity is consistent (resync
 * was done where a crash may have torn a write).
 */
static void check_parity(struct sim *s)
{
	struct sim_node *ref = reference(s);
	u32 pm = s->members - 1, r, d;
	u64 b;
	u32 live = 0, i;

	if (!ref || disk_missing(s))
		return;
	struct sm_status st;
	u32 pending = 0;	/* slots waiting to be fenced or to attach */

	sm_status(ref->d.sm, &st);
	for (i = 0; i < st.n_nodes; i++)
		if (!st.node[i].attached && st.node[i].slot >= 0)
			pending |= 1u << st.node[i].slot;
	for (r = 0; r < s->regions; r++) {
		struct sm_region_info ri;
		bool marked = false;

		/* A departed node's slot names regions the cluster will
		 * resync once it is fenced (FENCED reads the slot). */
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
			for (d = 0; d < s->members; d++)
				if ((pending & (1u << i)) &&
				    s->disk[d].bits[i][r])
					marked = true;
		if (marked)
			continue;
		/*
		 * Holders whose running target does not hold the region: the
		 * RS has not heard yet of a crash (or of a release) that just
		 * happened.
		 */
		live = 0;
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++) {
			struct sim_node *n = sim_node_by_id(s,
							    sim_slot_node(s, i));

			if (n && n->up && n->d.alive && tgt_holds(&n->t, r))
				live |= 1u << i;
		}
		if (sm_region(ref->d.sm, r, &ri) || ri.dirty || ri.locked ||
		    ri.unattached || (ri.held | ri.waiting) & ~live ||
		    tgt_inflight_region(s, r) || tgt_unfinished_region(s, r))
			continue;
		for (b = (u64)r * SIM_BPR; b < (u64)(r + 1) * SIM_BPR; b++) {
			u64 x = 0;

			if (s->eio_torn[b])
				continue;

			for (d = 0; d < pm; d++)
				x ^= s->disk[d].frag[b];
			if (x != s->disk[pm].frag[b]) {
				sim_fail(s, "I2: block %llu (region %u) has "
					 "inconsistent parity but the cluster "
					 "(node %u) thinks it clean",
					 (unsigned long long)b, r, ref->id);
				return;
			}
		}
	}
}

/* The counts kept beside the region bitmaps (sm_counts_ok()). */
static void check_counts(struct sim *s)
{
	u32 j;

	for (j = 0; j < s->n_nodes; j++)
		if (s->node[j].d.alive && s->node[j].d.sm &&
		    !sm_counts_ok(s->node[j].d.sm)) {
			sim_fail(s, "node %u: a region count differs from its "
				 "bitmap", s->node[j].id);
			return;
		}
}

void check_all(struct sim *s)
{
	if (s->failed)
		return;
	check_counts(s);
	if (!s->failed)
		check_intent(s);
	if (!s->failed)
		check_acked(s);
	if (!s->failed)
		check_parity(s);
	if (!s->failed)
		check_events(s);
}

void check_rs_equal(struct sim *s, u32 view)
{
	u8 *first = NULL;
	size_t first_len = 0;
	u32 first_id = 0, j;

	for (j = 0; j < s->n_nodes && !s->failed; j++) {
		struct sim_node *n = &s->node[j];
		size_t len;
		u8 *rs;

		if (!(view & sim_idbit(n->id)) || !n->d.alive)
			continue;
		rs = sm_rs_serialize(n->d.sm, &len);
		if (!rs)
			continue;
		if (!first) {
			first = rs;
			first_len = len;
			first_id = n->id;
			continue;
		}
		if (len != first_len || memcmp(rs, first, len)) {
			size_t k = 0;

			while (k < len && k < first_len && rs[k] == first[k])
				k++;
			sim_fail(s, "replicated state of node %u differs from "
				 "node %u's (at byte %zu of %zu)", n->id,
				 first_id, k, len);
		}
		free(rs);
	}
	free(first);
}

bool check_quiet(struct sim *s, char *why, size_t len)
{
	u32 j, i, view = 0, m;

	u32 parts = 0;

	for (j = 0; j < SIM_MAX_PARTS; j++) {
		if (s->part[j].used && s->part[j].n) {
			snprintf(why, len, "CPG messages pending");
			return false;
		}
		parts += s->part[j].used;
	}
	if (parts > 1) {
		snprintf(why, len, "still partitioned");
		return false;
	}
	for (m = 0; m < s->members; m++)
		if (!sim_disk_present(s, m)) {
			snprintf(why, len, "member %u not rebuilt", m);
			return false;
		}
	for (j = 0; j < s->n_nodes; j++) {
		struct sim_node *n = &s->node[j];
		struct sm_status st;

		if (!n->up || !n->d.alive || n->stopped || n->stopping) {
			snprintf(why, len, "node %u down", n->id);
			return false;
		}
		for (m = 0; m < s->members; m++)
			if (s->path_cut[j][m]) {
				snprintf(why, len, "node %u's path to member %u "
					 "is down", n->id, m);
				return false;
			}
		if (n->to_d.n || n->to_t.n) {
			snprintf(why, len, "node %u channel busy", n->id);
			return false;
		}
		for (i = 0; i < SIM_MAX_IO; i++)
			if (n->io[i].used) {
				snprintf(why, len, "node %u IO pending", n->id);
				return false;
			}
		for (i = 0; i < SIM_MAX_WRITES; i++)
			if (n->t.w[i].state != W_FREE) {
				snprintf(why, len, "node %u: write of block "
					 "%llu not acknowledged (state %u)",
					 n->id,
					 (unsigned long long)n->t.w[i].block,
					 n->t.w[i].state);
				return false;
			}
		if (n->t.core.frozen) {
			snprintf(why, len, "node %u frozen", n->id);
			return false;
		}
		sm_status(n->d.sm, &st);
		if (!st.has_state || !st.quorate || !st.attached) {
			snprintf(why, len, "node %u: state %d quorate %d "
				 "attached %d", n->id, st.has_state,
				 st.quorate, st.attached);
			return false;
		}
		if (st.dirty || st.locked || st.rebuilding ||
		    st.scrub_end == SCRUB_RUNNING) {
			snprintf(why, len, "node %u: %llu dirty, locked %d, "
				 "rebuilding %d, scrub %s (%llu regions done)",
				 n->id, (unsigned long long)st.dirty,
				 st.locked, st.rebuilding,
				 sm_scrub_end_name(st.scrub_end),
				 (unsigned long long)st.scrub_next);
			return false;
		}
		/* A scrub that finished walked every region. */
		if (st.scrub_end == SCRUB_FINISHED &&
		    st.scrub_next != s->regions) {
			snprintf(why, len, "node %u: scrub finished after %llu "
				 "of %u regions", n->id,
				 (unsigned long long)st.scrub_next, s->regions);
			sim_fail(s, "%s", why);
			return false;
		}
		for (m = 0; m < s->members; m++)
			if (st.member[m].state != DDRAID_MEMBER_ACTIVE ||
			    st.member[m].pending_fail) {
				snprintf(why, len, "member %u state %u", m,
					 st.member[m].state);
				return false;
			}
		view |= sim_idbit(n->id);
	}
	check_rs_equal(s, view);
	return !s->failed;
}
