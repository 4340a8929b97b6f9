// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated data path of one node: what docs/kernel-channel.md asks of
 * a target. Writes wait for a grant, are split into member writes that
 * complete one by one (a node crash tears them), skip failing members and
 * hold their completion until COMMIT_FAIL. Regions go idle, locks drain,
 * FREEZE stops all IO. Acknowledgements and reads are checked here against
 * the oracle (I2 at submit, I3 at ack, I4 at read).
 */
#include "sim.h"

#define IDLE_STEPS	6
#define MAX_IO_STEPS	12	/* member write latency bound */

static u32 bit(u32 m)
{
	return 1u << m;
}

static bool can_write(const struct sim_target *t, u32 m)
{
	return !(t->failing & bit(m)) && t->mstate[m] != DDRAID_MEMBER_FAILED;
}

static bool can_read(const struct sim_target *t, u32 m)
{
	return can_write(t, m) && t->mstate[m] == DDRAID_MEMBER_ACTIVE;
}

static void check_i3(struct sim *s, struct sim_node *n, u32 mask);
static void member_write(struct sim *s, struct sim_node *n,
			 struct sim_write *w, u32 m);

static int slot_of(const struct sim *s, u32 id)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	int i;

	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		if (sb->slots[i] == id)
			return i;
	return -1;
}

void tgt_boot(struct sim *s, struct sim_node *n)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	struct sim_target *t = &n->t;
	u32 m;

	memset(t, 0, sizeof(*t));
	t->alive = true;
	/* Until its daemon has attached it knows no member failure: IO
	 * waits (reads too), see docs/kernel-channel.md. */
	t->frozen = true;
	/*
	 * A failure the superblock records may not be applied by every
	 * target yet: writes that skip it wait for COMMIT_FAIL all the same.
	 */
	for (m = 0; m < s->members; m++)
		t->mstate[m] = sb->member[m].state;
	t->events = sb->events;
}

void tgt_connect(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	u32 r, m;

	t->connected = true;
	sim_to_daemon(s, n, DDRAID_CHAN_HELLO, s->regions, s->members, 0,
		      t->frozen ? DDRAID_CHAN_HELLO_FROZEN : 0);
	for (r = 0; r < s->regions; r++) {
		u32 fl = 0;

		if (t->locked[r])
			fl |= DDRAID_CHAN_HELD_LOCKED;
		if (t->locked[r] && !t->held[r])
			fl |= DDRAID_CHAN_HELD_NOGRANT;
		if (t->held[r] || t->locked[r])
			sim_to_daemon(s, n, DDRAID_CHAN_HELD, r, 0, 0, fl);
		t->requested[r] = false;	/* ask the new daemon */
		t->lock_acked[r] = false;
	}
	sim_to_daemon(s, n, DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	for (m = 0; m < s->members; m++)
		if (t->failing & bit(m) && !(t->committed & bit(m)))
			sim_to_daemon(s, n, DDRAID_CHAN_MEMBER_ERROR, m, 0, EIO,
				      0);
	t->state_done_pending = 0;
}

void tgt_recv(struct sim *s, struct sim_node *n,
	      const struct ddraid_chan_msg *c)
{
	struct sim_target *t = &n->t;
	u32 r = (u32)c->region;

	switch (c->type) {
	case DDRAID_CHAN_GRANT:
		if (c->status)
			sim_fail(s, "I7: node %u's writes to region %u failed",
				 n->id, r);
		t->held[r] = true;
		t->requested[r] = false;
		t->last_use[r] = s->step;
		break;
	case DDRAID_CHAN_LOCK:
		t->locked[r] = true;
		t->lock_acked[r] = false;
		break;
	case DDRAID_CHAN_UNLOCK:
		t->locked[r] = false;
		break;
	case DDRAID_CHAN_FREEZE:
		t->frozen = true;
		t->frozen_owed = true;
		if (c->flags & DDRAID_CHAN_FREEZE_FAIL_IO) {
			u32 i;

			/* Withdraw: waiting and held writes fail (EIO). */
			t->fail_io = true;
			for (i = 0; i < SIM_MAX_WRITES; i++) {
				struct sim_write *w = &t->w[i];

				if (w->state != W_WAIT && w->state != W_HELD)
					continue;
				s->busy[w->block] = false;
				w->state = W_FREE;
			}
		}
		break;
	case DDRAID_CHAN_THAW:
		t->frozen = false;
		t->fail_io = false;
		break;
	case DDRAID_CHAN_PATH_RETRY: {
		u32 i;

		/* A path fault: use the member again, retry what missed it. */
		if (!(t->failing & bit(r)))
			break;
		t->failing &= ~bit(r);
		for (i = 0; i < SIM_MAX_WRITES; i++) {
			struct sim_write *w = &t->w[i];

			if (w->state != W_HELD || !(w->need & bit(r)))
				continue;
			w->state = W_WAIT;
			w->pending = w->skipped = w->need = 0;
		}
		break;
	}
	case DDRAID_CHAN_MEMBER_STATE:
		/*
		 * Back from failed to active (a rebuild this target only
		 * hears of now): errors it saw before are history. So are
		 * errors seen two generations ago or more (failed, rebuilt
		 * since): this is how a target tells an old error from one
		 * the cluster has not heard of yet.
		 */
		if (c->flags == DDRAID_MEMBER_ACTIVE &&
		    (t->mstate[r] != DDRAID_MEMBER_ACTIVE ||
		     c->arg >= t->err_events[r] + 2)) {
			u32 i;

			t->failing &= ~bit(r);
			t->committed &= ~bit(r);
			/* Whole again (rebuilt after these writes landed,
			 * which fencing guarantees): they may complete. */
			for (i = 0; i < SIM_MAX_WRITES; i++)
				t->w[i].need &= ~bit(r);
		}
		if (c->arg > t->events)
			t->events = c->arg;
		t->mstate[r] = c->flags;
		/* Still failing on a member called active: say so again. */
		if (c->flags == DDRAID_MEMBER_ACTIVE && t->failing & bit(r) &&
		    t->connected)
			sim_to_daemon(s, n, DDRAID_CHAN_MEMBER_ERROR, r, 0, EIO,
				      0);
		if (c->flags == DDRAID_MEMBER_REBUILDING) {
			u32 i, released = 0;

			/*
			 * Replaced or back: a fresh start for it. The cluster
			 * recorded its failure before, and nobody reads a
			 * member being rebuilt: held writes may complete.
			 * (ACTIVE alone never clears errors this target saw:
			 * the cluster may not have heard of them yet.)
			 */
			t->failing &= ~bit(r);
			t->committed &= ~bit(r);
			for (i = 0; i < SIM_MAX_WRITES; i++) {
				if (t->w[i].state != W_FREE &&
				    t->w[i].need & bit(r))
					released |= bit(r);
				t->w[i].need &= ~bit(r);
			}
			check_i3(s, n, released);
		}
		t->state_done_pending |= bit(r);
		t->state_done_val[r] = c->flags;
		break;
	case DDRAID_CHAN_COMMIT_FAIL: {
		u32 i, released = 0;

		t->committed |= bit(r);
		for (i = 0; i < SIM_MAX_WRITES; i++) {
			if (t->w[i].state != W_FREE && t->w[i].need & bit(r))
				released |= bit(r);
			t->w[i].need &= ~bit(r);
		}
		check_i3(s, n, released);
		break;
	}
	default:
		sim_fail(s, "node %u's target got %s", n->id,
			 ddraid_chan_type_name(c->type));
	}
}

bool tgt_new_write(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	struct sim_write *w = NULL;
	u32 i, tries;
	u64 b = 0;

	if (!t->alive || t->fail_io)
		return false;
	for (i = 0; i < SIM_MAX_WRITES; i++)
		if (t->w[i].state == W_FREE) {
			w = &t->w[i];
			break;
		}
	if (!w)
		return false;
	/* The cluster filesystem never writes one block from two places
	 * at once. */
	for (tries = 0; tries < 8; tries++) {
		b = sim_rand(s, s->blocks);
		if (!s->busy[b])
			break;
	}
	if (s->busy[b])
		return false;
	w->state = W_WAIT;
	w->block = b;
	w->version = ++s->next_version;
	w->pending = w->skipped = w->need = 0;
	w->since = s->step;
	s->busy[b] = true;
	s->torn[b] = true;	/* until acknowledged */
	s->n_writes++;
	return true;
}

static void submit(struct sim *s, struct sim_node *n, struct sim_write *w)
{
	struct sim_target *t = &n->t;
	u32 r = (u32)(w->block / SIM_BPR), m;
	int slot = slot_of(s, n->id);

	if (slot < 0) {
		sim_fail(s, "I2: node %u writes region %u without a slot",
			 n->id, r);
		return;
	}
	for (m = 0; m < s->members; m++)
		if (!(disk_missing(s) & bit(m)) && !s->disk[m].bits[slot][r])
			sim_fail(s, "I2: node %u writes region %u, not dirty in "
				 "its slot %d on member %u", n->id, r, slot, m);
	for (m = 0; m < s->members; m++) {
		if (can_write(t, m))
			w->pending |= bit(m);
		else
			w->skipped |= bit(m);
	}
	w->need = w->skipped & ~t->committed;
	sim_trace(s, "node %u submits block %llu v%llu skipping %#x", n->id,
		  (unsigned long long)w->block,
		  (unsigned long long)w->version, w->skipped);
	/* Skipping a member whose failure is committed needs no wait. */
	check_i3(s, n, w->skipped & t->committed);
	w->state = W_SUBMITTED;
	w->since = s->step;
	t->last_use[r] = s->step;
}

/*
 * I3: a write that skipped member m completes only once m is recorded
 * failed on the surviving members and no live target reads it.
 */
static void check_i3(struct sim *s, struct sim_node *n, u32 mask)
{
	u32 m, j;

	for (m = 0; m < s->members; m++) {
		if (!(mask & bit(m)))
			continue;
		/* the surviving members: not dead, not failed or being
		 * rebuilt themselves (their own superblock is stale) */
		for (j = 0; j < s->members; j++)
			if (j != m && !(disk_missing(s) & bit(j)) &&
			    s->disk[j].sb.member[m].state ==
			    DDRAID_MEMBER_ACTIVE)
				sim_fail(s, "I3: node %u completes a write that "
					 "skipped member %u, not recorded failed "
					 "on member %u", n->id, m, j);
		for (j = 0; j < s->n_nodes; j++) {
			const struct sim_target *o = &s->node[j].t;

			if (!o->alive || o->frozen || !s->node[j].up)
				continue;
			if (can_read(o, m))
				sim_fail(s, "I3: node %u completes a write that "
					 "skipped member %u; node %u's target "
					 "still reads it", n->id, m,
					 s->node[j].id);
		}
	}
}

static void ack(struct sim *s, struct sim_node *n, struct sim_write *w)
{
	sim_trace(s, "node %u acks block %llu v%llu (skipped %#x)", n->id,
		  (unsigned long long)w->block,
		  (unsigned long long)w->version, w->skipped);
	s->acked[w->block] = w->version;
	s->torn[w->block] = false;
	s->busy[w->block] = false;
	s->n_acked++;
	w->state = W_FREE;
}

void tgt_poll(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	u32 i, r, m;

	if (!t->alive)
		return;
	for (i = 0; i < SIM_MAX_WRITES; i++) {
		struct sim_write *w = &t->w[i];

		r = (u32)(w->block / SIM_BPR);
		switch (w->state) {
		case W_WAIT:
			if (t->frozen || t->locked[r])
				break;
			if (t->held[r]) {
				submit(s, n, w);
			} else if (!t->requested[r] && t->connected) {
				t->requested[r] = true;
				sim_to_daemon(s, n, DDRAID_CHAN_GRANT_REQ, r, 0,
					      0, 0);
			}
			break;
		case W_SUBMITTED:
			/* Disks answer within a bounded time, well below
			 * fence_delay: the protocol relies on it. */
			while (w->pending && s->step - w->since > MAX_IO_STEPS)
				member_write(s, n, w,
					     (u32)__builtin_ctz(w->pending));
			if (w->pending)
				break;
			w->state = W_HELD;
			/* fall through */
		case W_HELD:
			if (!w->need)
				ack(s, n, w);
			break;
		}
	}
	for (r = 0; r < s->regions; r++) {
		bool busy = false;

		/* A grant stays while a completion is held in it. */
		for (i = 0; i < SIM_MAX_WRITES; i++)
			if (t->w[i].state != W_FREE &&
			    t->w[i].block / SIM_BPR == r)
				busy = true;
		if (t->locked[r] && !t->lock_acked[r] && t->connected) {
			bool drained = true;

			for (i = 0; i < SIM_MAX_WRITES; i++)
				if (t->w[i].state == W_SUBMITTED &&
				    t->w[i].pending &&
				    t->w[i].block / SIM_BPR == r)
					drained = false;
			if (drained) {
				t->lock_acked[r] = true;
				sim_to_daemon(s, n, DDRAID_CHAN_LOCKED, r, 0, 0,
					      0);
			}
		}
		if (t->held[r] && !busy && t->connected &&
		    s->step - t->last_use[r] > IDLE_STEPS) {
			t->held[r] = false;
			sim_to_daemon(s, n, DDRAID_CHAN_IDLE, r, 0, 0, 0);
		}
	}
	if (t->frozen_owed && t->connected) {
		bool drained = true;

		for (i = 0; i < SIM_MAX_WRITES; i++)
			if (t->w[i].state == W_SUBMITTED && t->w[i].pending)
				drained = false;
		if (drained) {
			t->frozen_owed = false;
			sim_to_daemon(s, n, DDRAID_CHAN_FROZEN, 0, 0, 0, 0);
		}
	}
	for (m = 0; m < s->members; m++) {
		bool drained = true;

		if (!(t->state_done_pending & bit(m)) || !t->connected)
			continue;
		/* A member being rebuilt: confirm once no write that
		 * skipped it is still in flight. */
		for (i = 0; i < SIM_MAX_WRITES; i++)
			if (t->w[i].state == W_SUBMITTED &&
			    t->w[i].skipped & bit(m))
				drained = false;
		if (t->state_done_val[m] == DDRAID_MEMBER_REBUILDING &&
		    !drained)
			continue;
		t->state_done_pending &= ~bit(m);
		sim_to_daemon(s, n, DDRAID_CHAN_MEMBER_STATE_DONE, m, 0, 0,
			      t->state_done_val[m]);
	}
}

static void member_error(struct sim *s, struct sim_node *n, u32 m)
{
	struct sim_target *t = &n->t;

	if (t->failing & bit(m))
		return;
	t->failing |= bit(m);
	t->err_events[m] = t->events;
	t->committed &= ~bit(m);
	if (t->connected)
		sim_to_daemon(s, n, DDRAID_CHAN_MEMBER_ERROR, m, 0, EIO, 0);
}

static void write_frag(struct sim *s, u32 m, const struct sim_write *w)
{
	u32 pm = s->members - 1, d;
	u64 v = 0;

	if (m != pm) {
		v = frag_value(w->version, m, s->members);
	} else {
		for (d = 0; d < pm; d++)
			v ^= frag_value(w->version, d, s->members);
	}
	s->disk[m].frag[w->block] = v;
}

/* One member write of @w completes (or fails: the disk is dead). */
static void member_write(struct sim *s, struct sim_node *n,
			 struct sim_write *w, u32 m)
{
	w->pending &= ~bit(m);
	if (s->disk[m].dead) {
		w->skipped |= bit(m);
		member_error(s, n, m);
		w->need |= bit(m);
	} else {
		write_frag(s, m, w);
	}
}

bool tgt_member_io(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	u32 i, start, m;

	if (!t->alive)
		return false;
	start = (u32)sim_rand(s, SIM_MAX_WRITES);
	for (i = 0; i < SIM_MAX_WRITES; i++) {
		struct sim_write *w = &t->w[(start + i) % SIM_MAX_WRITES];

		if (w->state != W_SUBMITTED || !w->pending)
			continue;
		do {
			m = (u32)sim_rand(s, s->members);
		} while (!(w->pending & bit(m)));
		member_write(s, n, w, m);
		return true;
	}
	return false;
}

void tgt_crash(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	u32 i, m;

	for (i = 0; i < SIM_MAX_WRITES; i++) {
		struct sim_write *w = &t->w[i];

		if (w->state == W_FREE)
			continue;
		/* Power loss: each member write in flight lands or not. */
		if (w->state == W_SUBMITTED)
			for (m = 0; m < s->members; m++)
				if (w->pending & bit(m) && !s->disk[m].dead &&
				    sim_rand(s, 2))
					write_frag(s, m, w);
		s->busy[w->block] = false;
	}
	memset(t, 0, sizeof(*t));
}

bool tgt_read(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	u32 pm = s->members - 1, d, missing = ~0u, tries;
	u64 b = 0, frag[SIM_MAX_MEMBERS];

	if (!t->alive || t->frozen)
		return false;
	for (tries = 0; tries < 8; tries++) {
		b = sim_rand(s, s->blocks);
		if (!s->busy[b] && !s->torn[b])
			break;
	}
	if (s->busy[b] || s->torn[b])
		return false;
	for (d = 0; d < pm; d++) {
		if (!can_read(t, d)) {
			if (missing != ~0u)
				return false;	/* two missing: EIO */
			missing = d;
			continue;
		}
		if (s->disk[d].dead) {
			member_error(s, n, d);
			return false;	/* retried by the block layer */
		}
		frag[d] = s->disk[d].frag[b];
	}
	if (missing != ~0u) {
		u64 x;

		if (!can_read(t, pm) || s->disk[pm].dead)
			return false;
		x = s->disk[pm].frag[b];
		for (d = 0; d < pm; d++)
			if (d != missing)
				x ^= frag[d];
		frag[missing] = x;
	}
	s->n_reads++;
	for (d = 0; d < pm; d++)
		if (frag[d] != frag_value(s->acked[b], d, s->members))
			sim_fail(s, "I4: node %u read block %llu as %#llx on "
				 "member %u, acknowledged version %llu",
				 n->id, (unsigned long long)b,
				 (unsigned long long)frag[d], d,
				 (unsigned long long)s->acked[b]);
	return true;
}

u32 tgt_inflight_region(const struct sim *s, u32 region)
{
	u32 i, j, n = 0;

	for (j = 0; j < s->n_nodes; j++) {
		const struct sim_target *t = &s->node[j].t;

		if (!t->alive)
			continue;
		for (i = 0; i < SIM_MAX_WRITES; i++)
			if (t->w[i].state == W_SUBMITTED && t->w[i].pending &&
			    t->w[i].block / SIM_BPR == region)
				n++;
	}
	return n;
}
