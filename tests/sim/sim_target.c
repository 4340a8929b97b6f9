// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated data path of one node: the target core the kernel runs
 * (common/ddraid_tcore.c: grants, locks, freezing, member failures, what is
 * owed to the daemon) plus simulated member IO. A write is split into
 * member writes that complete one by one (a node crash tears them); the
 * daemon's channel is read as soon as the core owes something.
 * Acknowledgements and reads are checked here against the oracle (I2 at
 * submit, I3 at ack, I4 at read).
 */
#include "sim.h"

#define IDLE_STEPS	6
#define MAX_IO_STEPS	12	/* member write latency bound */

static u32 bit(u32 m)
{
	return 1u << m;
}

static void check_i3(struct sim *s, struct sim_node *n, u32 mask);
static void check_torn_read(struct sim *s, struct sim_node *n, u64 b,
			    const u64 *frag, u32 missing);
static bool member_write(struct sim *s, struct sim_node *n,
			 struct sim_write *w, u32 m);

static int slot_of(const struct sim *s, u32 id)
{
	return sim_slot_of(s, id);
}

static struct sim_write *write_of(struct tcore_io *io)
{
	return (struct sim_write *)((char *)io -
				    offsetof(struct sim_write, io));
}

bool tgt_holds(const struct sim_target *t, u32 region)
{
	return t->alive && t->core.reg[region].state == TCORE_GRANTED;
}

/* Hand the daemon everything the core owes it (it reads promptly). */
static void flush_msgs(struct sim *s, struct sim_node *n)
{
	struct ddraid_chan_msg m;

	while (!tcore_next_msg(&n->t.core, &m))
		sim_to_daemon(s, n, m.type, m.region, m.arg, m.status,
			      m.flags);
}

void tgt_boot(struct sim *s, struct sim_node *n)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	struct sim_target *t = &n->t;
	u32 mstate[SIM_MAX_MEMBERS], m;

	memset(t, 0, sizeof(*t));
	t->alive = true;
	/*
	 * Frozen until its daemon has attached and thawed it. A failure the
	 * superblock records may not be applied by every target yet: writes
	 * that skip it wait for COMMIT_FAIL all the same.
	 */
	for (m = 0; m < s->members; m++)
		mstate[m] = sb->member[m].state;
	tcore_init(&t->core, t->reg, s->regions, s->members, sb->events,
		   mstate, 0, 0);
}

void tgt_connect(struct sim *s, struct sim_node *n)
{
	if (n->t.core.attached)
		tcore_detach(&n->t.core);
	tcore_attach(&n->t.core);
	flush_msgs(s, n);
}

void tgt_disconnect(struct sim *s, struct sim_node *n)
{
	if (n->t.alive)
		tcore_detach(&n->t.core);
}

static void ack(struct sim *s, struct sim_node *n, struct sim_write *w)
{
	u32 missed = w->io.skip | w->io.errors;

	/* Completing past a member whose failure is committed: I3. */
	check_i3(s, n, missed & n->t.core.recorded);
	sim_trace(s, "node %u acks block %llu v%llu (missed %#x)", n->id,
		  (unsigned long long)w->block,
		  (unsigned long long)w->version, missed);
	s->prev_acked[w->block] = s->acked[w->block];
	s->acked_by[w->block] = n->id;
	s->acked[w->block] = w->version;
	s->torn[w->block] = false;
	s->n_torn_v[w->block] = 0;
	s->garbage_ok[w->block] = 0;
	s->eio_torn[w->block] = false;
	s->lost[w->block] = w->lost;
	s->torn_by_host[w->block] = 0;
	s->busy[w->block] = false;
	s->n_acked++;
	n->n_acked++;
	if (s->step - w->created > n->max_ack_wait)
		n->max_ack_wait = s->step - w->created;
	w->state = W_FREE;
}

/*
 * Not acknowledged (EIO: two members out for this node, or it withdrew):
 * what it wrote stays torn. Its block's parity may not match until the
 * region is resynced or rebuilt (docs/cluster-protocol.md, "torn
 * writes"): check_parity() does not hold it to that.
 */
static void fail_write(struct sim *s, struct sim_node *n, struct sim_write *w)
{
	if (w->state == W_SUBMITTED || w->state == W_HELD)
		s->eio_torn[w->block] = true;
	sim_trace(s, "node %u fails block %llu v%llu (EIO)", n->id,
		  (unsigned long long)w->block,
		  (unsigned long long)w->version);
	s->busy[w->block] = false;
	n->n_eio++;
	w->state = W_FREE;
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
	/*
	 * The bit must survive the loss of any one member: on every member
	 * the write may reach but one (a member this node could not reach
	 * when it set the bit, reached again now that the path is back).
	 */
	if (sim_intent_lacking(s, n, slot, r))
		sim_fail(s, "I2: node %u writes region %u, not dirty in its "
			 "slot %d on members %#x", n->id, r, slot,
			 sim_intent_lacking(s, n, slot, r));
	/* While a member is away, every write into a region counts. */
	for (m = 0; m < s->members; m++)
		if (disk_missing(s) & bit(m))
			s->written_away[r] |= bit(m);
	if (tcore_write_plan(&t->core, &w->io)) {
		tcore_io_forget(&t->core, &w->io, s->step);
		fail_write(s, n, w);
		return;
	}
	w->pending = (bit(s->members) - 1) & ~w->io.skip;
	w->errors = 0;
	sim_trace(s, "node %u submits block %llu v%llu skipping %#x", n->id,
		  (unsigned long long)w->block,
		  (unsigned long long)w->version, w->io.skip);
	w->state = W_SUBMITTED;
	w->since = s->step;
	w->tried = true;
}

/* Act on the IO the core released. */
static void run_out(struct sim *s, struct sim_node *n, struct tcore_list *out)
{
	struct tcore_io *io;

	while ((io = tcore_list_pop(out))) {
		struct sim_write *w = write_of(io);

		switch (io->verdict) {
		case TCORE_GO:
			submit(s, n, w);
			break;
		case TCORE_DONE:
			ack(s, n, w);
			break;
		default:
			fail_write(s, n, w);
			break;
		}
	}
}

/* Where a write the core kept is. */
static void kept(struct sim_write *w)
{
	w->state = w->io.at == TCORE_AT_HELD ? W_HELD : W_WAIT;
}

void tgt_recv(struct sim *s, struct sim_node *n,
	      const struct ddraid_chan_msg *c)
{
	struct sim_target *t = &n->t;
	struct tcore_list out;
	struct tcore_note note;
	u32 i, m = (u32)c->region, released = 0;

	if (ddraid_chan_direction(c->type) != DDRAID_CHAN_TO_KERNEL ||
	    c->type == DDRAID_CHAN_ATTACH) {
		sim_fail(s, "node %u's target got %s", n->id,
			 ddraid_chan_type_name(c->type));
		return;
	}
	if (c->type == DDRAID_CHAN_GRANT && c->status)
		sim_fail(s, "I7: node %u's writes to region %llu failed",
			 n->id, (unsigned long long)c->region);
	/*
	 * "rebuilding": writes that skipped the member may complete now,
	 * held or in flight (the core forgives them): I3 must hold already.
	 */
	if (c->type == DDRAID_CHAN_MEMBER_STATE &&
	    c->flags == DDRAID_MEMBER_REBUILDING)
		for (i = 0; i < SIM_MAX_WRITES; i++)
			if (t->w[i].state != W_FREE &&
			    t->w[i].state != W_WAIT &&
			    ((t->w[i].io.skip & ~t->w[i].io.own) & bit(m)))
				released |= bit(m);
	tcore_list_init(&out);
	if (tcore_apply(&t->core, c, s->step, &out, &note))
		sim_fail(s, "node %u's target refused %s", n->id,
			 ddraid_chan_type_name(c->type));
	check_i3(s, n, released);
	run_out(s, n, &out);
	for (i = 0; i < SIM_MAX_WRITES; i++)
		if (t->w[i].state == W_HELD || t->w[i].state == W_WAIT)
			kept(&t->w[i]);
	flush_msgs(s, n);
}

bool tgt_new_write(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	struct sim_write *w = NULL;
	struct tcore_list out;
	u32 i, tries;
	u64 b = 0;

	/* A node stopping cleanly has its filesystem unmounted first. */
	if (!t->alive || n->stopping || n->stopped)
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
	w->block = b;
	w->version = ++s->next_version;
	w->pending = w->errors = 0;
	w->lost = false;
	w->tried = false;
	memset(w->stuck, 0, sizeof(w->stuck));
	w->since = w->created = s->step;
	s->busy[b] = true;
	s->torn[b] = true;	/* until acknowledged */
	/* Its fragments may be on the disks from now on, old or new. */
	if (s->n_torn_v[b] == 4)
		memmove(&s->torn_v[b][0], &s->torn_v[b][1],
			3 * sizeof(s->torn_v[b][0]));
	else
		s->n_torn_v[b]++;
	s->torn_v[b][s->n_torn_v[b] - 1] = w->version;
	s->n_writes++;
	tcore_io_init(&w->io, TCORE_WRITE, b / SIM_BPR);
	tcore_list_init(&out);
	switch (tcore_write_enter(&t->core, &w->io, s->step)) {
	case TCORE_GO:
		submit(s, n, w);
		break;
	case TCORE_WAIT:
		w->state = W_WAIT;
		break;
	default:
		fail_write(s, n, w);
		break;
	}
	flush_msgs(s, n);
	return true;
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
		/*
		 * The surviving members (not gone, not failed or being
		 * rebuilt themselves): every assembly reads all members but
		 * one, so the record must be on two of them, or on every
		 * one when fewer.
		 */
		{
			u32 alive = 0, recorded = 0;

			for (j = 0; j < s->members; j++) {
				if (j == m || (disk_missing(s) & bit(j)))
					continue;
				alive++;
				recorded += s->disk[j].sb.member[m].state !=
					    DDRAID_MEMBER_ACTIVE;
			}
			if (recorded < (alive < 2 ? alive : 2))
				sim_fail(s, "I3: node %u completes a write that "
					 "skipped member %u, recorded failed on "
					 "%u of %u surviving members", n->id,
					 m, recorded, alive);
		}
		for (j = 0; j < s->n_nodes; j++) {
			const struct sim_target *o = &s->node[j].t;

			if (!o->alive || o->core.frozen || !s->node[j].up)
				continue;
			if (!((o->core.failed | o->core.noread) & bit(m)))
				sim_fail(s, "I3: node %u completes a write that "
					 "skipped member %u; node %u's target "
					 "still reads it", n->id, m,
					 s->node[j].id);
		}
	}
}

/* The member IO of @w is over: the core decides what follows. */
static void write_done(struct sim *s, struct sim_node *n, struct sim_write *w)
{
	struct tcore_list out;

	tcore_list_init(&out);
	if (tcore_write_done(&n->t.core, &w->io, w->errors, s->step, &out) ==
	    TCORE_WAIT)
		kept(w);
	run_out(s, n, &out);
}

void tgt_poll(struct sim *s, struct sim_node *n)
{
	struct sim_target *t = &n->t;
	u32 i;

	if (!t->alive)
		return;
	for (i = 0; i < SIM_MAX_WRITES; i++) {
		struct sim_write *w = &t->w[i];
		u32 m, todo;

		/* Disks answer within a bounded time, well below
		 * fence_delay: the protocol relies on it. */
		if (w->state != W_SUBMITTED || s->step - w->since <= MAX_IO_STEPS)
			continue;
		todo = w->pending;
		for (m = 0; todo >> m; m++)
			if (todo & bit(m) && w->state == W_SUBMITTED)
				member_write(s, n, w, m);
	}
	tcore_idle_scan(&t->core, 0, s->regions, s->step, IDLE_STEPS + 1);
	flush_msgs(s, n);
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

/*
 * One member write of @w: it lands, or fails (the disk is dead), or, the
 * member out of this node's reach, the transport holds it: it lands if
 * the path comes back within late_bound steps, else it fails. A write
 * that lands late lands whenever that is: the bound is what keeps it out
 * of regions the cluster has resynced since (docs/cluster-protocol.md,
 * "late writes"). False while it is held.
 */
static bool member_write(struct sim *s, struct sim_node *n,
			 struct sim_write *w, u32 m)
{
	if (!s->disk[m].dead && !sim_reach(s, n, m)) {
		if (!w->stuck[m])
			w->stuck[m] = s->step ? s->step : 1;
		if (s->step - w->stuck[m] < s->late_bound)
			return false;
	}
	w->pending &= ~bit(m);
	if (!sim_reach(s, n, m)) {
		w->errors |= bit(m);
		/* Reported at once; the write's fate once all are done. */
		tcore_member_error(&n->t.core, bit(m));
	} else {
		if (w->stuck[m])
			sim_trace(s, "node %u: a late write of block %llu lands "
				  "on member %u", n->id,
				  (unsigned long long)w->block, m);
		write_frag(s, m, w);
	}
	if (!w->pending)
		write_done(s, n, w);
	flush_msgs(s, n);
	return true;
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
	u32 i, m, own = n->id - 1;

	for (i = 0; i < SIM_MAX_WRITES; i++) {
		struct sim_write *w = &t->w[i];

		if (w->state == W_FREE)
			continue;
		/* Power loss: each member write in flight lands or not. */
		if (w->state == W_SUBMITTED)
			for (m = 0; m < s->members; m++)
				if (w->pending & bit(m) && sim_reach(s, n, m) &&
				    sim_rand(s, 2))
					write_frag(s, m, w);
		/*
		 * A host taking its own active member down with a write in
		 * flight: that block's fragments are old or new, its parity
		 * matches neither (docs/cluster-protocol.md, "torn regions").
		 */
		if (s->dist && own < s->members &&
		    (w->state == W_SUBMITTED || w->state == W_HELD) &&
		    !(disk_missing(s) & bit(own)))
			s->torn_by_host[w->block] |= bit(own);
		s->busy[w->block] = false;
	}
	memset(t, 0, sizeof(*t));
}

bool tgt_read(struct sim *s, struct sim_node *n)
{
	u32 tries;
	u64 b = 0;

	if (!n->t.alive)
		return false;
	for (tries = 0; tries < 8; tries++) {
		b = sim_rand(s, s->blocks);
		if (!s->busy[b])
			break;
	}
	if (s->busy[b])
		return false;
	return tgt_read_block(s, n, b);
}

/* Node @n reads block @b (no write of it in flight) and checks it. */
bool tgt_read_block(struct sim *s, struct sim_node *n, u64 b)
{
	struct sim_target *t = &n->t;
	u32 pm = s->members - 1, d, missing = ~0u;
	u64 frag[SIM_MAX_MEMBERS];
	struct tcore_io io;

	if (!t->alive || s->busy[b])
		return false;
	tcore_io_init(&io, TCORE_READ, TCORE_NONE);
	switch (tcore_read_enter(&t->core, &io)) {
	case TCORE_GO:
		break;
	case TCORE_WAIT:
		/* Frozen: it would wait for THAW; the simulator moves on. */
		tcore_io_forget(&t->core, &io, s->step);
		return false;
	default:
		return false;
	}
	if (tcore_read_plan(&t->core, &io))
		return false;	/* two missing: EIO */
	for (d = 0; d < pm; d++) {
		if (io.skip & bit(d)) {
			missing = d;
			continue;
		}
		if (!sim_reach(s, n, d)) {
			tcore_member_error(&t->core, bit(d));
			flush_msgs(s, n);
			return false;	/* retried by the block layer */
		}
		frag[d] = s->disk[d].frag[b];
	}
	if (missing != ~0u) {
		u64 x;

		if (!sim_reach(s, n, pm)) {
			tcore_member_error(&t->core, bit(pm));
			flush_msgs(s, n);
			return false;
		}
		x = s->disk[pm].frag[b];
		for (d = 0; d < pm; d++)
			if (d != missing)
				x ^= frag[d];
		frag[missing] = x;
	}
	s->n_reads++;
	if (s->lost[b])
		return true;	/* a double failure took it: anything goes */
	if (s->torn[b]) {
		check_torn_read(s, n, b, frag, missing);
		return true;
	}
	for (d = 0; d < pm; d++)
		if (frag[d] != frag_value(s->acked[b], d, s->members))
			sim_fail(s, "I4: node %u read block %llu as %#llx on "
				 "member %u, acknowledged version %llu",
				 n->id, (unsigned long long)b,
				 (unsigned long long)frag[d], d,
				 (unsigned long long)s->acked[b]);
	return true;
}

/*
 * A block with an unacknowledged write (a crash or a withdrawal tore it):
 * what a reader may see of it (docs/cluster-protocol.md, "torn writes").
 * Each fragment read from its member is the acknowledged version's or
 * one of the unacknowledged ones'; a fragment reconstructed from parity
 * while its member is out may be anything (the parity of a torn block
 * matches neither), and so may a fragment rebuilt from such parity where
 * the cluster could not do better (garbage_ok, set by sim_disk.c).
 */
static void check_torn_read(struct sim *s, struct sim_node *n, u64 b,
			    const u64 *frag, u32 missing)
{
	u32 pm = s->members - 1, d, i;

	s->n_torn_reads++;
	for (d = 0; d < pm; d++) {
		bool ok = frag[d] == frag_value(s->acked[b], d, s->members);

		for (i = 0; i < s->n_torn_v[b] && !ok; i++)
			ok = frag[d] == frag_value(s->torn_v[b][i], d,
						    s->members);
		if (ok || d == missing || (s->garbage_ok[b] & bit(d)))
			continue;
		sim_fail(s, "torn read: node %u read block %llu as %#llx on "
			 "member %u: neither the acknowledged version %llu "
			 "nor an unacknowledged one", n->id,
			 (unsigned long long)b, (unsigned long long)frag[d], d,
			 (unsigned long long)s->acked[b]);
		return;
	}
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

/*
 * Writes whose member IO began and that are not acknowledged yet, in
 * region @region of a live target: a member write failed and the core
 * holds them (for COMMIT_FAIL, or for a retry after a path fault). Their
 * blocks are torn until they complete, and the region's parity may not
 * match; the region is the writer's (it holds the grant) until then.
 */
u32 tgt_unfinished_region(const struct sim *s, u32 region)
{
	u32 i, j, n = 0;

	for (j = 0; j < s->n_nodes; j++) {
		const struct sim_target *t = &s->node[j].t;

		if (!t->alive)
			continue;
		for (i = 0; i < SIM_MAX_WRITES; i++)
			if ((t->w[i].state == W_HELD ||
			     (t->w[i].state == W_WAIT && t->w[i].tried)) &&
			    t->w[i].block / SIM_BPR == region)
				n++;
	}
	return n;
}
