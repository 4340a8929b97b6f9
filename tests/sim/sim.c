// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated world: nodes, a simulated CPG and votequorum, the
 * scheduler and the faults.
 *
 * CPG model (virtual synchrony): every partition has one queue holding
 * messages and configuration changes in agreed order. Each item is
 * delivered to all current members of the partition at once, so all see
 * the same sequence. A message sent after a member left is still delivered
 * to the others before the next confchg if it was queued before it. A
 * crashed sender's undelivered messages are lost all-or-nothing. A split
 * copies the pending queue to both sides, then each side gets its confchg;
 * partitions heal only once their queues are empty and every daemon has
 * heard of its quorum change (corosync's token timeout is far longer than
 * a quorum notification).
 */
#include <stdarg.h>
#include <stdlib.h>

#include "sim.h"
#include "pace.h"

#define QUORUM_DELAY	8	/* steps, well below fence_delay */

/* ---- PRNG: splitmix64, one stream per seed ---- */

u64 sim_rand(struct sim *s, u64 n)
{
	u64 z = (s->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return n ? z % n : 0;
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	if (s->verbose)
		fprintf(stderr, "[%llu] FAIL %s\n",
			(unsigned long long)s->step, s->why);
}

void sim_trace(struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->verbose)
		return;
	fprintf(stderr, "[%llu] ", (unsigned long long)s->step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct sim_node *sim_node_by_id(struct sim *s, u32 id)
{
	return id && id <= s->n_nodes ? &s->node[id - 1] : NULL;
}

/* ---- topology ---- */

struct sim_node *sim_host(struct sim *s, u32 m)
{
	return s->dist && m < s->n_nodes ? &s->node[m] : NULL;
}

/* The member's disk is there: not dead, its host up and exporting it. */
bool sim_disk_present(const struct sim *s, u32 m)
{
	const struct sim_node *h;

	if (s->disk[m].dead)
		return false;
	if (!s->dist)
		return true;
	h = &s->node[m];
	return h->up && !h->stopped;
}

/* Does node @n reach member @m now (its own path, its partition)? */
bool sim_reach(const struct sim *s, const struct sim_node *n, u32 m)
{
	if (!sim_disk_present(s, m) || s->path_cut[n - s->node][m])
		return false;
	return !s->dist || s->node[m].part == n->part;
}

/* ---- channels ---- */

static void chan_push(struct sim *s, struct sim_chan *c,
		      const struct ddraid_chan_msg *m)
{
	struct ddraid_chan_limits lim = { s->regions, s->members };
	const char *why = NULL;

	if (c->n == SIM_MAX_CHAN) {
		sim_fail(s, "sim: channel overflow");
		return;
	}
	if (ddraid_chan_encode(m, &lim, c->msg[c->n], &why)) {
		sim_fail(s, "invalid channel message %s: %s",
			 ddraid_chan_type_name(m->type), why);
		return;
	}
	c->at[c->n] = s->step;
	c->n++;
}

static bool chan_pop(struct sim *s, struct sim_chan *c,
		     struct ddraid_chan_msg *m)
{
	struct ddraid_chan_limits lim = { s->regions, s->members };
	const char *why = NULL;
	u8 b[DDRAID_CHAN_MSG_BYTES];

	if (!c->n)
		return false;
	memcpy(b, c->msg[0], sizeof(b));
	memmove(c->msg[0], c->msg[1], (size_t)(c->n - 1) * sizeof(b));
	memmove(&c->at[0], &c->at[1], (size_t)(c->n - 1) * sizeof(c->at[0]));
	c->n--;
	if (ddraid_chan_decode(b, sizeof(b), &lim, m, &why)) {
		sim_fail(s, "channel message refused: %s", why);
		return false;
	}
	return true;
}

void sim_to_daemon(struct sim *s, struct sim_node *n, u16 type, u64 region,
		   u64 arg, u32 status, u32 flags)
{
	struct ddraid_chan_msg m = {
		.type = type, .region = region, .arg = arg,
		.status = status, .flags = flags,
	};

	chan_push(s, &n->to_d, &m);
}

/* ---- quorum ---- */

bool sim_quorate_truth(const struct sim *s, int part)
{
	u32 i, up = 0;

	for (i = 0; i < s->n_nodes; i++)
		up += s->node[i].up && s->node[i].part == part;
	/* corosync two_node: each half of a two-node cluster is quorate */
	if (s->two_node)
		return up >= 1;
	return up * 2 > s->n_nodes;
}

static u32 part_ids(const struct sim *s, int part)
{
	u32 i, mask = 0;

	for (i = 0; i < s->n_nodes; i++)
		if (s->node[i].up && s->node[i].part == part)
			mask |= sim_idbit(s->node[i].id);
	return mask;
}

static u32 part_daemons(const struct sim *s, int part)
{
	u32 i, mask = 0;

	for (i = 0; i < s->n_nodes; i++)
		if (s->node[i].up && s->node[i].part == part &&
		    s->node[i].d.alive)
			mask |= sim_idbit(s->node[i].id);
	return mask;
}

/* ---- feeding a state machine and carrying out its effects ---- */

static void cpg_push(struct sim *s, int part, const struct sim_item *it)
{
	struct sim_part *p = &s->part[part];

	if (p->n == SIM_MAX_Q) {
		sim_fail(s, "sim: CPG queue overflow");
		free(it->bytes);
		return;
	}
	p->q[p->n] = *it;
	p->q[p->n].seq = ++s->item_seq;
	p->n++;
}

/* The daemon asks the fencer (fencing.c: stonith_admin, asynchronous). */
static void fence_ask(struct sim *s, struct sim_node *n, u32 nodeid)
{
	struct sim_node *v = sim_node_by_id(s, nodeid);
	u32 i;

	if (!v)
		return;
	for (i = 0; i < s->n_fence_req; i++)
		if (s->fence_req[i].by == n->id &&
		    s->fence_req[i].nodeid == nodeid)
			return;
	if (s->n_fence_req == sizeof(s->fence_req) / sizeof(s->fence_req[0]))
		return;
	sim_trace(s, "node %u asks the fencer to fence node %u", n->id,
		  nodeid);
	s->fence_req[s->n_fence_req++] = (struct sim_fence_req){
		.by = n->id, .nodeid = nodeid, .boots = v->boots };
}

void sim_cpg_send(struct sim *s, struct sim_node *n, const struct cpgmsg *m)
{
	struct sim_item it;
	const char *why = NULL;
	long len;

	if (!n->d.quorate)
		sim_fail(s, "I6: node %u sent %s without quorum", n->id,
			 cpgmsg_type_name(m->type));
	memset(&it, 0, sizeof(it));
	it.sender = n->id;
	len = (long)cpgmsg_size(m);
	it.bytes = malloc(len > 0 ? (size_t)len : 1);
	if (!it.bytes || len <= 0 ||
	    cpgmsg_encode(m, it.bytes, (size_t)len, &why) != len) {
		sim_fail(s, "node %u: invalid %s: %s", n->id,
			 cpgmsg_type_name(m->type), why ? why : "size");
		free(it.bytes);
		return;
	}
	it.len = (u32)len;
	sim_trace(s, "node %u sends %s", n->id, cpgmsg_type_name(m->type));
	cpg_push(s, n->part, &it);
}

static void do_effects(struct sim *s, struct sim_node *n)
{
	u32 i;

	for (i = 0; i < s->fx.n; i++) {
		const struct sm_effect *fx = &s->fx.fx[i];

		switch (fx->type) {
		case SM_FX_CPG_SEND:
			sim_cpg_send(s, n, &fx->cpg);
			break;
		case SM_FX_TARGET_SEND:
			sim_trace(s, "node %u -> target %s %llu", n->id,
				  ddraid_chan_type_name(fx->chan.type),
				  (unsigned long long)fx->chan.region);
			chan_push(s, &n->to_t, &fx->chan);
			break;
		case SM_FX_LOG:
			sim_trace(s, "node %u log: %s", n->id, fx->log.text);
			break;
		case SM_FX_FENCE:
			fence_ask(s, n, fx->nodeid);
			break;
		case SM_FX_MEMBER_STATE:
			/* The simulated disks need nothing. */
			break;
		default:
			sim_trace(s, "node %u issues IO %llu type %u", n->id,
				  (unsigned long long)fx->id, fx->type);
			disk_issue(s, n, fx);
		}
	}
}

void sim_feed(struct sim *s, struct sim_node *n, const struct sm_event *ev)
{
	int r;

	if (!n->d.alive)
		return;
	sm_effects_reset(&s->fx);
	r = sm_handle(n->d.sm, ev, &s->fx);
	if (r && ev->type != SM_EV_ADMIN)
		sim_fail(s, "node %u: sm_handle(%u) = %d", n->id, ev->type, r);
	do_effects(s, n);
}

static void feed_totem(struct sim *s, struct sim_node *n)
{
	u32 ids[SIM_MAX_NODES], k = 0, i, mask = part_ids(s, n->part);
	struct sm_event ev = { .type = SM_EV_TOTEM };

	if (!n->d.alive || n->d.totem == mask)
		return;
	for (i = 1; i <= s->n_nodes; i++)
		if (mask & sim_idbit(i))
			ids[k++] = i;
	ev.totem.nodes = ids;
	ev.totem.n_nodes = k;
	n->d.totem = mask;
	sim_feed(s, n, &ev);
}

static void quorum_deliver(struct sim *s, struct sim_node *n);

/* Totem and quorum news for every daemon of a partition. */
static void part_changed(struct sim *s, int part)
{
	bool q = sim_quorate_truth(s, part);
	u32 i, mask = part_ids(s, part);

	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[i];

		if (!n->up || n->part != part || !n->d.alive)
			continue;
		feed_totem(s, n);
		if (n->d.quorum_due >= 0 && (n->d.quorum_next != q ||
					     n->d.qmask_next != mask)) {
			/* votequorum reports every membership change:
			 * deliver the pending one now, then the new one. */
			n->d.quorum_due = -1;
			quorum_deliver(s, n);
		}
		if (n->d.quorum_due < 0 &&
		    (n->d.quorate != q || n->d.qmask != mask)) {
			n->d.quorum_next = q;
			n->d.qmask_next = mask;
			n->d.quorum_due = (int)(s->step + 1 +
						sim_rand(s, QUORUM_DELAY));
		}
	}
}

/* The pending votequorum notification, with the nodes it counted. */
static void quorum_deliver(struct sim *s, struct sim_node *n)
{
	struct sm_event ev = { .type = SM_EV_QUORUM };
	u32 ids[SIM_MAX_NODES], k = 0, i;

	n->d.quorate = n->d.quorum_next;
	n->d.qmask = n->d.qmask_next;
	for (i = 1; i <= s->n_nodes; i++)
		if (n->d.qmask & sim_idbit(i))
			ids[k++] = i;
	ev.quorum.quorate = n->d.quorate;
	ev.quorum.nodes = ids;
	ev.quorum.n_nodes = k;
	sim_trace(s, "node %u: quorum %s (nodes %#x)", n->id,
		  n->d.quorate ? "yes" : "no", n->d.qmask);
	sim_feed(s, n, &ev);
}

static void push_confchg(struct sim *s, int part, u32 reason_of_left,
			 u32 leavers)
{
	struct sim_item it;

	memset(&it, 0, sizeof(it));
	it.confchg = true;
	it.members = part_daemons(s, part);
	it.leavers = leavers;
	it.reason = reason_of_left;
	cpg_push(s, part, &it);
}

/* ---- daemons and nodes ---- */

void sim_daemon_start(struct sim *s, struct sim_node *n)
{
	struct sm_config cfg = {
		.nodeid = n->id,
		.members = s->members,
		.regions = s->regions,
		.region_size = SIM_BPR * DDRAID_BLOCK_SIZE,
		.fence_delay = s->fence_delay,
		.progress_every = 2,
		.sync_max = s->sync_max,
		.sync_span = s->sync_span,
		.sync_min = s->sync_min,
		.pace_busy = 20,
		.require_fencing = s->require_fencing,
		/* ddraidd refuses two_node without required fencing; a
		 * world without it runs the daemons the old way */
		.two_node = s->two_node && s->require_fencing,
		.hosting = s->dist && n->id - 1 < s->members,
		.host_member = n->id - 1,
		.path_timeout = 3 * s->fence_delay / 2,
		.probe_interval = 4,
	};
	const char *why = NULL;
	u32 dbg = s->debug;

	n->d.sm = sm_new(&cfg, &why);
	if (!n->d.sm) {
		sim_fail(s, "sm_new: %s", why);
		return;
	}
	if (s->brk == BREAK_SKIP_INTENT)
		dbg |= SM_DEBUG_SKIP_INTENT;
	if (s->brk == BREAK_GRANT_LOCKED)
		dbg |= SM_DEBUG_GRANT_LOCKED;
	if (s->brk == BREAK_EARLY_COMMIT)
		dbg |= SM_DEBUG_EARLY_COMMIT;
	if (s->brk == BREAK_SCRUB_NOLOCK)
		dbg |= SM_DEBUG_SCRUB_NOLOCK;
	if (s->brk == BREAK_SPAN_FIRST)
		dbg |= SM_DEBUG_SPAN_FIRST;
	sm_set_debug(n->d.sm, dbg);
	n->d.alive = true;
	n->d.incarnation++;
	n->d.view = 0;
	n->d.quorate = false;
	n->d.quorum_next = false;
	n->d.quorum_due = -1;
	n->d.qmask = 0;
	n->d.totem = 0;
	sim_trace(s, "node %u: daemon starts", n->id);
	n->to_d.n = n->to_t.n = 0;
	if (n->t.alive)
		tgt_connect(s, n);
	push_confchg(s, n->part, 0, 0);
	n->d.join_seq = s->item_seq;
	part_changed(s, n->part);
}

/*
 * The daemon is gone. @clean: it exited on its own (a stop, a
 * withdrawal): what it sent is in corosync's hands and is delivered. A
 * crash may lose what it had not sent yet.
 */
static void daemon_stop(struct sim *s, struct sim_node *n, u32 reason,
			bool clean)
{
	struct sim_part *p = &s->part[n->part];
	bool drop = sim_rand(s, 2) && !clean;
	u32 i, k;

	sim_trace(s, "node %u: daemon %s", n->id,
		  reason == SM_LEFT_NODEDOWN ? "dies with its node" :
		  clean ? "exits" : "crashes");
	sm_free(n->d.sm);
	n->d.sm = NULL;
	n->d.alive = false;
	tgt_disconnect(s, n);
	n->to_d.n = n->to_t.n = 0;
	disk_drop(s, n, true);
	/* Its undelivered messages: all or nothing. */
	for (i = 0, k = 0; i < p->n; i++) {
		if (drop && !p->q[i].confchg && p->q[i].sender == n->id) {
			free(p->q[i].bytes);
			continue;
		}
		p->q[k++] = p->q[i];
	}
	p->n = k;
	push_confchg(s, n->part, reason, sim_idbit(n->id));
}

static int main_part(const struct sim *s);

void sim_node_crash(struct sim *s, struct sim_node *n)
{
	int part = n->part;
	u32 m = n->id - 1, i;

	sim_trace(s, "node %u crashes", n->id);
	if (n->d.alive)
		daemon_stop(s, n, SM_LEFT_NODEDOWN, false);
	disk_drop(s, n, true);
	tgt_crash(s, n);
	n->up = false;
	n->stopped = n->stopping = false;
	n->to_d.n = n->to_t.n = 0;
	/*
	 * Power loss: its own disk keeps only what was flushed. With another
	 * member out already that is a second failure: a block whose
	 * fragment the cache held is lost (the scripted double-failure
	 * scenarios expect it; the random runs never cause one).
	 */
	if (s->dist && m < s->members) {
		u32 other = disk_missing(s) & ~(1u << m), o;
		u64 b;

		/* members cut off from the main partition are out too */
		for (o = 0; o < s->members; o++)
			if (o != m && s->node[o].part != main_part(s))
				other |= 1u << o;

		for (b = 0; b < s->blocks; b++)
			if (other && s->disk[m].frag[b] != s->disk[m].durable[b] &&
			    !s->lost[b]) {
				s->lost[b] = true;
				s->n_lost++;
				sim_trace(s, "block %llu lost: a second failure",
					  (unsigned long long)b);
			}
		/*
		 * The host's own acknowledged writes that were only in its
		 * disk's cache: its filesystem crashed with it before it
		 * flushed them, so they may read as before after its return
		 * (docs/cluster-protocol.md, "torn regions"): for the checks
		 * they are unacknowledged again.
		 */
		for (b = 0; b < s->blocks; b++) {
			if (s->acked_by[b] != n->id || s->busy[b] ||
			    s->disk[m].frag[b] == s->disk[m].durable[b])
				continue;
			if (s->n_torn_v[b] < 4)
				s->torn_v[b][s->n_torn_v[b]++] = s->acked[b];
			s->acked[b] = s->prev_acked[b];
			s->torn[b] = true;
		}
		/* ... and so is a write in flight there, acknowledged or not
		 * later: what it put in that cache is gone. */
		for (i = 0; other && i < s->n_nodes; i++) {
			u32 k;

			for (k = 0; k < SIM_MAX_WRITES; k++) {
				struct sim_write *w = &s->node[i].t.w[k];

				if (w->state != W_FREE && s->lost[w->block])
					w->lost = true;
			}
		}
		memcpy(s->disk[m].frag, s->disk[m].durable,
		       sizeof(s->disk[m].frag));
		/* It may miss writes now: not valid until rebuilt. */
		s->disk[m].stale = true;
		/*
		 * Regions another node marks (its writes there may be in
		 * caches still): a returning disk's fragments of them are
		 * rebuilt from parity, torn blocks included (the documented
		 * price, see do_rebuild()).
		 */
		{
			int own = sim_slot_of(s, n->id);
			u32 r, sl, d;

			for (r = 0; r < s->regions; r++)
				for (sl = 0; sl < DDRAID_BITMAP_SLOTS; sl++)
					for (d = 0; d < s->members; d++)
						if ((int)sl != own &&
						    s->disk[d].bits[sl][r])
							s->written_away[r] |=
								1u << m;
		}
		s->n_host_losses++;
	}
	part_changed(s, part);
}

/*
 * May a crashed node boot? Not before the cluster has taken in that it
 * left (a reboot takes longer than corosync's detection): no daemon with
 * state still counts it in the view, or as an orphan whose target may
 * run (only fencing ends that).
 */
bool sim_seen_gone(const struct sim *s, const struct sim_node *n)
{
	u32 i, k;

	for (i = 0; i < s->n_nodes; i++) {
		const struct sim_node *o = &s->node[i];
		struct sm_status st;

		if (!o->up || !o->d.alive)
			continue;
		sm_status(o->d.sm, &st);
		if (!st.has_state)
			continue;
		for (k = 0; k < st.n_nodes; k++)
			if (st.node[k].nodeid == n->id &&
			    (st.node[k].orphaned || st.node[k].in_view))
				return false;
	}
	return true;
}

bool sim_boot_allowed(const struct sim *s, const struct sim_node *n)
{
	u32 i;

	if (!sim_seen_gone(s, n))
		return false;
	/* ... and every running target stopped using its disk. */
	for (i = 0; s->dist && n->id - 1 < s->members && i < s->n_nodes; i++) {
		const struct sim_target *t = &s->node[i].t;

		if (s->node[i].up && t->alive &&
		    !((t->core.failed | t->core.noread) & (1u << (n->id - 1))))
			return false;
	}
	return true;
}

static int main_part(const struct sim *s)
{
	u32 i, best = 0;
	int p = 0, k;

	for (k = 0; k < SIM_MAX_PARTS; k++) {
		u32 up = 0;

		if (!s->part[k].used)
			continue;
		for (i = 0; i < s->n_nodes; i++)
			up += s->node[i].up && s->node[i].part == k;
		if (up > best) {
			best = up;
			p = k;
		}
	}
	return p;
}

void sim_node_boot(struct sim *s, struct sim_node *n)
{
	n->up = true;
	n->stopped = n->stopping = false;
	n->part = main_part(s);
	if (!s->part[n->part].used) {
		/* every node was down: a fresh partition */
		memset(&s->part[n->part], 0, sizeof(s->part[0]));
		s->part[n->part].used = true;
	}
	n->boots++;
	sim_trace(s, "node %u boots into partition %d", n->id, n->part);
	tgt_boot(s, n);
	part_changed(s, n->part);
	sim_daemon_start(s, n);
}

/* Members a partition of the nodes in @ids would be without. */
static u32 side_out(const struct sim *s, u32 ids)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	u32 out = 0, m;

	for (m = 0; m < s->members; m++)
		if (!(ids & sim_idbit(s->node[m].id)) ||
		    !sim_disk_present(s, m) || s->disk[m].stale ||
		    sb->member[m].state != DDRAID_MEMBER_ACTIVE)
			out++;
	return out;
}

/* Split the nodes in @want (node-id mask; 0: at random) off partition
 * @from. */
static void split_ids(struct sim *s, int from, u32 want)
{
	struct sim_part *p = &s->part[from], *q = NULL;
	u32 i, moved = 0, stay = 0;
	int to = -1, k;

	for (k = 0; k < SIM_MAX_PARTS; k++)
		if (!s->part[k].used) {
			to = k;
			q = &s->part[k];
			break;
		}
	if (!q)
		return;
	/*
	 * Without fencing, the protocol assumes corosync reports a daemon's
	 * death before a partition that follows it, and that a cut-off
	 * daemon lives to freeze its target (see daemon_may_crash()).
	 */
	for (i = 0; i < p->n && !s->require_fencing; i++)
		if (p->q[i].confchg)
			return;
	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[i];

		if (!n->up || n->part != from)
			continue;
		if (want ? want & sim_idbit(n->id) : sim_rand(s, 2))
			moved |= sim_idbit(n->id);
		else
			stay |= sim_idbit(n->id);
	}
	if (!moved || !stay)
		return;
	/*
	 * Random runs keep to single failures: a split that leaves the
	 * larger side without two members (hosts cut off, or one cut off
	 * and one out already) is a double failure, left to the scripted
	 * scenarios.
	 */
	if (s->dist && !want) {
		u32 big = __builtin_popcount(moved) > __builtin_popcount(stay) ?
			moved : stay;

		if (side_out(s, big) > 1)
			return;
		/* two_node: both sides go on until the fence race decides;
		 * either may win */
		if (s->two_node && side_out(s, big == moved ? stay : moved) > 1)
			return;
	}
	sim_trace(s, "partition %d splits off %#x into %d", from, moved, to);
	memset(q, 0, sizeof(*q));
	q->used = true;
	q->view = p->view;
	for (i = 0; i < p->n; i++) {
		q->q[i] = p->q[i];
		if (p->q[i].bytes) {
			q->q[i].bytes = malloc(p->q[i].len);
			if (!q->q[i].bytes)
				abort();
			memcpy(q->q[i].bytes, p->q[i].bytes, p->q[i].len);
		}
	}
	q->n = p->n;
	for (i = 0; i < s->n_nodes; i++)
		if (moved & sim_idbit(s->node[i].id))
			s->node[i].part = to;
	push_confchg(s, from, SM_LEFT_NODEDOWN, moved);
	push_confchg(s, to, SM_LEFT_NODEDOWN, stay);
	part_changed(s, from);
	part_changed(s, to);
}

static void split(struct sim *s, int from)
{
	split_ids(s, from, 0);
}

void sim_split(struct sim *s, u32 moved_ids)
{
	split_ids(s, main_part(s), moved_ids);
}

static bool quorum_settled(const struct sim *s)
{
	u32 i;

	for (i = 0; i < s->n_nodes; i++)
		if (s->node[i].d.alive && s->node[i].d.quorum_due >= 0)
			return false;
	return true;
}

bool sim_heal(struct sim *s)
{
	int a = main_part(s), b;
	u32 i;

	if (!quorum_settled(s) || s->part[a].n)
		return false;
	for (b = 0; b < SIM_MAX_PARTS; b++) {
		if (b == a || !s->part[b].used || s->part[b].n)
			continue;
		if (!part_ids(s, b)) {
			s->part[b].used = false;	/* nobody left there */
			continue;
		}
		sim_trace(s, "partition %d heals into %d", b, a);
		for (i = 0; i < s->n_nodes; i++)
			if (s->node[i].part == b)
				s->node[i].part = a;
		s->part[b].used = false;
		push_confchg(s, a, 0, 0);
		part_changed(s, a);
		return true;
	}
	return false;
}

/* ---- CPG delivery ---- */

static void deliver_confchg(struct sim *s, int part, const struct sim_item *it)
{
	u32 i, id;

	s->part[part].view = it->members;
	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[i];
		u32 mem[SIM_MAX_NODES], joined[SIM_MAX_NODES];
		struct sm_left left[SIM_MAX_NODES];
		struct sm_event ev = { .type = SM_EV_CONFCHG };
		u32 nm = 0, nj = 0, nl = 0;

		if (!n->up || n->part != part || !n->d.alive ||
		    !(it->members & sim_idbit(n->id)) ||
		    it->seq < n->d.join_seq)
			continue;
		for (id = 1; id <= s->n_nodes; id++) {
			if (it->members & sim_idbit(id)) {
				mem[nm++] = id;
				if (!(n->d.view & sim_idbit(id)))
					joined[nj++] = id;
			} else if (n->d.view & sim_idbit(id)) {
				struct sim_node *o = sim_node_by_id(s, id);

				/* Corosync knows why: gone or cut off is
				 * NODEDOWN, a dead daemon on a live node in
				 * reach is PROCDOWN. */
				left[nl].nodeid = id;
				left[nl].reason = it->leavers & sim_idbit(id) ?
					it->reason : 0;
				if (!o->up || o->part != part)
					left[nl].reason = SM_LEFT_NODEDOWN;
				else if (!left[nl].reason)
					left[nl].reason = SM_LEFT_PROCDOWN;
				nl++;
			}
		}
		n->d.view = it->members;
		ev.confchg.members = mem;
		ev.confchg.n_members = nm;
		ev.confchg.joined = joined;
		ev.confchg.n_joined = nj;
		ev.confchg.left = left;
		ev.confchg.n_left = nl;
		sim_trace(s, "node %u: confchg members %#x (+%u -%u)", n->id,
			  it->members, nj, nl);
		sim_feed(s, n, &ev);
	}
}

static void deliver_msg(struct sim *s, int part, const struct sim_item *it)
{
	struct sm_event ev = { .type = SM_EV_CPG_MSG };
	struct cpgmsg m;
	const char *why = NULL;
	u32 i, to = 0;

	if (cpgmsg_decode(it->bytes, it->len, &m, &why)) {
		sim_fail(s, "CPG message refused: %s", why);
		return;
	}
	ev.msg = &m;
	sim_trace(s, "deliver %s from %u in partition %d",
		  cpgmsg_type_name(m.type), m.sender, part);
	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[i];

		if (!n->up || n->part != part || !n->d.alive ||
		    !(s->part[part].view & sim_idbit(n->id)) ||
		    !(n->d.view & sim_idbit(n->id)) || it->seq < n->d.join_seq)
			continue;
		to |= sim_idbit(n->id);
		sim_feed(s, n, &ev);
	}
	check_rs_equal(s, to);
	s->n_delivered++;
}

static bool cpg_step(struct sim *s)
{
	int k, start = (int)sim_rand(s, SIM_MAX_PARTS);
	u32 i;

	for (i = 0; i < SIM_MAX_PARTS; i++) {
		struct sim_part *p;
		struct sim_item it;

		k = (start + (int)i) % SIM_MAX_PARTS;
		p = &s->part[k];
		if (!p->used || !p->n)
			continue;
		it = p->q[0];
		memmove(&p->q[0], &p->q[1], (p->n - 1) * sizeof(p->q[0]));
		p->n--;
		if (it.confchg)
			deliver_confchg(s, k, &it);
		else
			deliver_msg(s, k, &it);
		free(it.bytes);
		return true;
	}
	return false;
}

/* ---- the scheduler ---- */

/* Deliver the oldest message of one direction of a node's channel. */
static bool chan_deliver(struct sim *s, struct sim_node *n, bool to_daemon)
{
	struct ddraid_chan_msg m;

	if (to_daemon) {
		if (!chan_pop(s, &n->to_d, &m))
			return false;
		if (n->d.alive) {
			struct sm_event ev = { .type = SM_EV_TARGET };

			ev.chan = m;
			sim_trace(s, "target %u -> daemon %s %llu", n->id,
				  ddraid_chan_type_name(m.type),
				  (unsigned long long)m.region);
			sim_feed(s, n, &ev);
		}
	} else {
		if (!chan_pop(s, &n->to_t, &m))
			return false;
		if (n->t.alive)
			tgt_recv(s, n, &m);
	}
	return true;
}

static bool chan_step(struct sim *s, bool to_daemon)
{
	u32 i, start = (u32)sim_rand(s, s->n_nodes);

	for (i = 0; i < s->n_nodes; i++)
		if (chan_deliver(s, &s->node[(start + i) % s->n_nodes],
				 to_daemon))
			return true;
	return false;
}

static bool io_step(struct sim *s)
{
	u32 i, start = (u32)sim_rand(s, s->n_nodes);

	for (i = 0; i < s->n_nodes; i++)
		if (disk_complete(s, &s->node[(start + i) % s->n_nodes]))
			return true;
	return false;
}

static bool member_io_step(struct sim *s)
{
	u32 i, start = (u32)sim_rand(s, s->n_nodes);

	for (i = 0; i < s->n_nodes; i++)
		if (tgt_member_io(s, &s->node[(start + i) % s->n_nodes]))
			return true;
	return false;
}

static bool members_all_active(const struct sim *s)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	u32 m;

	for (m = 0; m < s->members; m++)
		if (!sim_disk_present(s, m) ||
		    sb->member[m].state != DDRAID_MEMBER_ACTIVE)
			return false;
	return true;
}

/*
 * Would losing node @n's disk be a second failure? The random runs keep
 * to single failures (the invariants are about those); double failures
 * are scripted scenarios with their own expectations.
 */
static bool redundant(const struct sim *s)
{
	u32 m, i;

	if (!members_all_active(s))
		return false;
	/*
	 * A path fault counts too: with few nodes attached, the one that
	 * cannot reach a member is the majority that takes it out.
	 */
	for (i = 0; i < s->n_nodes; i++)
		for (m = 0; m < s->members; m++)
			if (s->path_cut[i][m])
				return false;
	/* a host cut off in a partition, or stopping, takes its member out */
	for (m = 0; s->dist && m < s->members; m++)
		if (s->node[m].part != main_part(s) || s->node[m].stopping)
			return false;
	return true;
}

static bool second_failure(const struct sim *s, const struct sim_node *n)
{
	return s->dist && n->id - 1 < s->members && !redundant(s);
}

/* Ask a daemon with state to rebuild a failed member. */
static bool admin_rebuild(struct sim *s)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	struct sm_event ev = { .type = SM_EV_ADMIN };
	struct sm_status st;
	u32 m, i, start = (u32)sim_rand(s, s->n_nodes);
	bool full = sim_rand(s, 2), swap;
	int r;

	for (m = 0; m < s->members; m++)
		if (sb->member[m].state == DDRAID_MEMBER_FAILED)
			break;
	if (m == s->members)
		return false;
	/* The operator knows a new disk needs a full rebuild, and swaps
	 * disks only for a dead one. */
	if (s->disk[m].blank)
		full = true;
	swap = s->disk[m].dead;
	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[(start + i) % s->n_nodes];

		if (!n->up || !n->d.alive)
			continue;
		sm_status(n->d.sm, &st);
		if (!st.has_state || !st.quorate || st.rebuilding)
			continue;
		ev.admin.cmd = SM_ADMIN_REBUILD;
		ev.admin.member = m;
		ev.admin.mode = full ? REBUILD_FULL : REBUILD_BITMAP;
		ev.admin.path = "/dev/new";
		sm_effects_reset(&s->fx);
		r = sm_handle(n->d.sm, &ev, &s->fx);
		do_effects(s, n);
		if (r)
			return false;
		sim_trace(s, "admin: rebuild member %u (%s) via node %u", m,
			  full ? "new disk" : "old disk back", n->id);
		/* a full rebuild treats the disk as new (torn blocks may
		 * read as made up: docs/cluster-protocol.md) */
		if (full)
			s->disk[m].full_rebuild = true;
		if (!swap)
			return true;
		/* The disk is there again: blank, or the old one. */
		if (full) {
			memset(s->disk[m].frag, 0, sizeof(s->disk[m].frag));
			memset(s->disk[m].bits, 0, sizeof(s->disk[m].bits));
			s->disk[m].blank = true;
		}
		s->disk[m].dead = false;
		for (i = 0; i < SIM_MAX_REGIONS; i++)
			s->disk[m].rebuilt[i] = false;
		return true;
	}
	return false;
}

/*
 * The operator's forced assembly (ddraidctl assemble --force) of a mirror
 * that cannot start: one disk dead and never recorded failed, the cluster
 * stopped since. The other member's superblock then records it failed
 * (what --force assumes: it failed last), and the cold start goes on.
 */
static void operator_force(struct sim *s)
{
	u32 i, m, dead = ~0u, live = ~0u;
	struct sim_sb *sb;

	if (s->members != 2)
		return;
	for (i = 0; i < s->n_nodes; i++) {
		struct sm_status st;

		if (!s->node[i].up || !s->node[i].d.alive)
			continue;
		sm_status(s->node[i].d.sm, &st);
		if (st.has_state)
			return;
	}
	for (m = 0; m < 2; m++) {
		if (sim_disk_present(s, m))
			live = m;
		else
			dead = m;
	}
	if (dead == ~0u || live == ~0u)
		return;
	sb = &s->disk[live].sb;
	if (sb->member[dead].state == DDRAID_MEMBER_FAILED)
		return;
	sim_trace(s, "operator: forced assembly: member %u accepted, member %u "
		  "recorded failed", live, dead);
	sb->events++;
	sb->member[dead].state = DDRAID_MEMBER_FAILED;
	sb->member[dead].failed_events = sb->events;
	sb->member[dead].recovery_block = 0;
	s->n_forced++;
}

/*
 * The operator starts a scrub (check or repair) or cancels the running
 * one, through any daemon with state. A refusal (degraded, rebuilding,
 * one already running, nothing to cancel) must change nothing: the RS
 * comparison after the next delivery would see it.
 */
static bool admin_scrub(struct sim *s, bool cancel)
{
	struct sm_event ev = { .type = SM_EV_ADMIN };
	u32 i, start = (u32)sim_rand(s, s->n_nodes);
	struct sm_status st;
	const char *why;
	u32 k, sent;
	int r, r2;

	ev.admin.cmd = cancel ? SM_ADMIN_SCRUB_CANCEL : SM_ADMIN_SCRUB;
	ev.admin.mode = sim_rand(s, 2) ? SCRUB_REPAIR : SCRUB_CHECK;
	/* Now and then a timer's: a period label that grows with time, so
	 * that the nodes' requests of one period meet (cpgmsg.h). */
	if (!cancel && !sim_rand(s, 3))
		ev.admin.label = (u32)(1 + s->step / 400);
	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[(start + i) % s->n_nodes];
		size_t l1 = 0, l2 = 0;
		u8 *before, *after;

		if (!n->up || !n->d.alive)
			continue;
		sm_status(n->d.sm, &st);
		if (!st.has_state || !st.quorate)
			continue;
		r2 = sm_scrub_refused(n->d.sm, &ev.admin, &why);
		before = sm_rs_serialize(n->d.sm, &l1);
		sm_effects_reset(&s->fx);
		r = sm_handle(n->d.sm, &ev, &s->fx);
		after = sm_rs_serialize(n->d.sm, &l2);
		for (k = 0, sent = 0; k < s->fx.n; k++)
			sent += s->fx.fx[k].type == SM_FX_CPG_SEND &&
				(s->fx.fx[k].cpg.type == MSG_SCRUB_START ||
				 s->fx.fx[k].cpg.type == MSG_SCRUB_CANCEL);
		if (r != r2 || sent != !r || l1 != l2 ||
		    !before || !after || memcmp(before, after, l1))
			sim_fail(s, "I8: scrub admin on node %u: %d (expected "
				 "%d), %u messages sent, state changed", n->id,
				 r, r2, sent);
		free(before);
		free(after);
		do_effects(s, n);
		sim_trace(s, "admin: scrub %s (label %u) via node %u: %d",
			  cancel ? "cancel" : ev.admin.mode == SCRUB_REPAIR ?
			  "repair" : "check", ev.admin.label, n->id, r);
		if (!r && !cancel)
			s->n_scrub_starts++;
		return !r;
	}
	return false;
}

/*
 * The operator tunes the rates ("ddraidctl set") through a daemon with
 * state. Every fourth seed (3, 7, ...), every third fault, with the
 * values from the fault count, not the generator, so the other seeds run
 * as before. The rates are fast (a region every 2 steps at most), so
 * runs still settle; the RS comparison after every delivery shows every
 * daemon applies the same.
 */
static void admin_tune(struct sim *s)
{
	struct sm_event ev = { .type = SM_EV_ADMIN };
	u64 k = s->n_faults / 3, fast = pace_gap_rate(SIM_BPR *
						      DDRAID_BLOCK_SIZE, 2);
	u32 i, j, sent;
	struct sm_status st;
	const char *why;
	int r, r2;

	ev.admin.cmd = SM_ADMIN_TUNE;
	for (i = 0; i < TUNE_N; i++) {
		switch ((k >> (2 * i)) % 4) {
		case 0:
			break;	/* kept */
		case 1:
			ev.admin.tune_clear |= 1u << i;
			break;
		default:
			ev.admin.tune_set |= 1u << i;
			ev.admin.tune[i] = (k >> (2 * i)) % 4 == 2 ? 0 :
				fast + k % 5;
		}
	}
	for (j = 0; j < s->n_nodes; j++) {
		struct sim_node *n = &s->node[(k + j) % s->n_nodes];

		if (!n->up || !n->d.alive)
			continue;
		sm_status(n->d.sm, &st);
		if (!st.has_state || !st.quorate)
			continue;
		r2 = sm_admin_refused(n->d.sm, &ev.admin, &why);
		sm_effects_reset(&s->fx);
		r = sm_handle(n->d.sm, &ev, &s->fx);
		for (i = 0, sent = 0; i < s->fx.n; i++)
			sent += s->fx.fx[i].type == SM_FX_CPG_SEND &&
				s->fx.fx[i].cpg.type == MSG_TUNE;
		/* nothing set nor cleared: refused, nothing sent */
		if (r != r2 || sent != !r ||
		    (!r != !!(ev.admin.tune_set | ev.admin.tune_clear)))
			sim_fail(s, "I8: tune admin on node %u: %d (expected "
				 "%d), %u messages sent", n->id, r, r2, sent);
		do_effects(s, n);
		sim_trace(s, "admin: tune set %#x clear %#x via node %u: %d",
			  ev.admin.tune_set, ev.admin.tune_clear, n->id, r);
		s->n_tunes += !r;
		return;
	}
}

static u32 up_count(const struct sim *s)
{
	u32 i, n = 0;

	for (i = 0; i < s->n_nodes; i++)
		n += s->node[i].up;
	return n;
}

/*
 * A daemon that is cut off (or about to hear of a quorum change) and dies
 * leaves its target unfrozen: a double failure that only fencing covers.
 */
static bool daemon_may_crash(const struct sim *s, const struct sim_node *n)
{
	return s->require_fencing ||
	       (n->d.quorum_due < 0 && sim_quorate_truth(s, n->part));
}

/* A node's path to a member goes down (never to its own disk). */
static void path_cut(struct sim *s, struct sim_node *n, u32 m)
{
	if (s->path_cut[n - s->node][m] || (s->dist && m == n->id - 1))
		return;
	sim_trace(s, "node %u's path to member %u goes down", n->id, m);
	s->path_cut[n - s->node][m] = true;
	s->n_path_cuts++;
}

static void path_restore(struct sim *s, struct sim_node *n, u32 m)
{
	if (!s->path_cut[n - s->node][m])
		return;
	sim_trace(s, "node %u's path to member %u is back", n->id, m);
	s->path_cut[n - s->node][m] = false;
}

/*
 * A clean stop (Pacemaker's stop, systemctl stop): the filesystem is
 * unmounted (no new writes), the dm device removed once its writes are
 * done, then the daemon stops (SIGTERM) and, last, the disk export goes.
 * tick_stops() moves it along.
 */
bool sim_clean_stop(struct sim *s, struct sim_node *n)
{
	if (!n->up || n->stopping || n->stopped || !n->t.alive ||
	    !n->d.alive)
		return false;
	sim_trace(s, "node %u stops cleanly", n->id);
	n->stopping = true;
	n->stop_at = s->step;
	s->n_clean_stops++;
	return true;
}

static bool target_idle(const struct sim_target *t)
{
	u32 i;

	for (i = 0; i < SIM_MAX_WRITES; i++)
		if (t->w[i].state != W_FREE)
			return false;
	return true;
}

static void tick_stops(struct sim *s, struct sim_node *n)
{
	struct sm_event ev = { .type = SM_EV_TARGET_GONE };
	struct sm_status st;

	if (!n->stopping || !n->up)
		return;
	if (n->t.alive) {
		if (!target_idle(&n->t)) {
			/* held writes that never drain: give up the stop
			 * (a scripted stop waits as an unmount does) */
			if (!s->scripted &&
			    s->step - n->stop_at > 3 * s->fence_delay)
				n->stopping = false;
			return;
		}
		sim_trace(s, "node %u: target removed", n->id);
		memset(&n->t, 0, sizeof(n->t));
		n->to_t.n = n->to_d.n = 0;
		ev.gone.removed = true;
		sim_feed(s, n, &ev);
		ev.type = SM_EV_STOP;
		sim_feed(s, n, &ev);
		n->stop_at = s->step;
		return;
	}
	if (!n->d.alive)
		return;
	sm_status(n->d.sm, &st);
	/* ddraidd leaves at the latest after its stop timeout */
	if (!st.stop_ready && s->step - n->stop_at < s->fence_delay / 2)
		return;
	daemon_stop(s, n, SM_LEFT_LEAVE, true);
	n->stopping = false;
	n->stopped = true;
	sim_trace(s, "node %u stopped: its disk is no longer exported",
		  n->id);
	part_changed(s, n->part);
}

void sim_node_start(struct sim *s, struct sim_node *n)
{
	if (!n->up || !n->stopped)
		return;
	sim_trace(s, "node %u starts again", n->id);
	n->stopped = false;
	tgt_boot(s, n);
	sim_daemon_start(s, n);
}

static void fault(struct sim *s)
{
	struct sim_node *n = &s->node[sim_rand(s, s->n_nodes)];
	u32 m, i;

	switch (sim_rand(s, 13)) {
	case 0:	/* daemon crash: its target keeps running (I7) */
		if (n->up && n->d.alive && !n->stopping &&
		    daemon_may_crash(s, n))
			daemon_stop(s, n, sim_rand(s, 2) ? SM_LEFT_PROCDOWN :
				    SM_LEFT_LEAVE, false);
		break;
	case 1:
		if (n->up && !n->d.alive && !n->stopped && !n->stopping)
			sim_daemon_start(s, n);
		break;
	case 2:	/* node crash; rarely one that costs quorum */
		if (n->up && !second_failure(s, n) &&
		    ((up_count(s) - 1) * 2 > s->n_nodes + 1 ||
		     sim_rand(s, 8) == 0))
			sim_node_crash(s, n);
		break;
	case 3:
		if (!n->up && (!s->dist || sim_boot_allowed(s, n)))
			sim_node_boot(s, n);
		break;
	case 4:
		split(s, main_part(s));
		break;
	case 5:
		sim_heal(s);
		break;
	case 6:	/* a member disk dies (one at a time) */
		if (!redundant(s))
			break;
		m = (u32)sim_rand(s, s->members);
		sim_trace(s, "member %u dies", m);
		s->disk[m].dead = true;
		s->n_fails++;
		break;
	case 7:
		admin_rebuild(s);
		break;
	case 8:
		admin_scrub(s, sim_rand(s, 4) == 0);
		break;
	case 9:
		path_cut(s, n, (u32)sim_rand(s, s->members));
		break;
	case 10:	/* a path comes back: a blip, or a longer outage */
		for (i = 0; i < s->n_nodes; i++)
			for (m = 0; m < s->members; m++)
				if (s->path_cut[i][m] && sim_rand(s, 2))
					path_restore(s, &s->node[i], m);
		break;
	case 11:
		if (!second_failure(s, n))
			sim_clean_stop(s, n);
		break;
	case 12:
		sim_node_start(s, n);
		break;
	}
	if (s->seed % 4 == 3 && s->n_faults % 3 == 1)
		admin_tune(s);
	s->n_faults++;
}

/*
 * The fencer (Pacemaker's, through ddraid-stonith): it carries out what
 * a daemon asked (SM_FX_FENCE) unless that daemon withdrew the request
 * (fencing.c's reconcile: no longer coordinator, or the cluster no longer
 * waits). It powers the node off whether or not it is back in the
 * membership by now, unless it was powered on again since the request
 * (its old incarnation is gone: that was the fencing), then confirms.
 */
static void fencing_agent(struct sim *s)
{
	struct sm_event ev = { .type = SM_EV_ADMIN };
	u32 i = 0;

	while (i < s->n_fence_req) {
		struct sim_fence_req q = s->fence_req[i];
		struct sim_node *c = sim_node_by_id(s, q.by);
		struct sim_node *v = sim_node_by_id(s, q.nodeid);

		s->fence_req[i] = s->fence_req[--s->n_fence_req];
		if (!c->up || !c->d.alive ||
		    !sm_fence_wanted(c->d.sm, q.nodeid)) {
			sim_trace(s, "fencer: node %u no longer wants node %u "
				  "fenced", q.by, q.nodeid);
			continue;
		}
		if (v->up && v->boots == q.boots) {
			sim_trace(s, "fencing agent powers off node %u", v->id);
			sim_node_crash(s, v);
			s->n_fenced++;
		}
		ev.admin.cmd = SM_ADMIN_FENCED;
		ev.admin.nodeid = q.nodeid;
		sim_feed(s, c, &ev);
	}
}

static bool chan_deliver(struct sim *s, struct sim_node *n, bool to_daemon);

static void tick_all(struct sim *s)
{
	struct sm_event ev = { .type = SM_EV_TICK, .now = s->step };
	u32 i;

	for (i = 0; i < s->n_nodes; i++) {
		struct sim_node *n = &s->node[i];

		if (n->up && n->d.alive && n->d.quorum_due >= 0 &&
		    (u64)n->d.quorum_due <= s->step) {
			n->d.quorum_due = -1;
			quorum_deliver(s, n);
		}
		if (n->up && n->d.alive)
			sim_feed(s, n, &ev);
		tick_stops(s, n);
		if (n->up && n->d.alive) {
			struct sm_status st;

			/* A withdrawn daemon exits, as ddraidd does. */
			sm_status(n->d.sm, &st);
			if (st.withdrawn)
				daemon_stop(s, n, SM_LEFT_LEAVE, true);
		}
		if (n->up)
			tgt_poll(s, n);
		/* The kernel channel is fast next to fence_delay: nothing
		 * waits in it for long. */
		while (n->up && n->to_t.n && s->step - n->to_t.at[0] > 10)
			chan_deliver(s, n, false);
		while (n->up && n->to_d.n && s->step - n->to_d.at[0] > 10)
			chan_deliver(s, n, true);
	}
}

void sim_step(struct sim *s, bool faults, bool writes)
{
	u32 w = (u32)sim_rand(s, 100);

	s->step++;
	tick_all(s);
	if (s->step % 8 == 0)
		fencing_agent(s);
	if (faults && w < 2) {
		fault(s);
	} else if (writes && w < 12) {
		tgt_new_write(s, &s->node[sim_rand(s, s->n_nodes)]);
	} else if (w < 16) {
		tgt_read(s, &s->node[sim_rand(s, s->n_nodes)]);
	} else {
		/* Progress of some kind, in random order. */
		u32 k, first = (u32)sim_rand(s, 5);

		for (k = 0; k < 5; k++) {
			bool done = false;

			switch ((first + k) % 5) {
			case 0: done = cpg_step(s); break;
			case 1: done = chan_step(s, true); break;
			case 2: done = chan_step(s, false); break;
			case 3: done = io_step(s); break;
			case 4: done = member_io_step(s); break;
			}
			if (done)
				break;
		}
	}
	check_all(s);
}

/*
 * A world of @nodes nodes and @members members: a SAN (every node reaches
 * every member) or distributed (node i hosts member i; @members <= @nodes),
 * optionally corosync two_node (then real fencing is required, as ddraidd
 * demands).
 */
void sim_world(struct sim *s, u64 seed, u32 brk, bool verbose,
	       u32 nodes, u32 members, bool dist, bool two_node)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->rng = seed * 0x2545f4914f6cdd1dull + 1;
	s->verbose = verbose;
	s->brk = brk;
	s->n_nodes = nodes;
	s->members = members;
	s->dist = dist;
	s->two_node = two_node;
	s->regions = 4 + (u32)sim_rand(s, SIM_MAX_REGIONS - 3);
	s->blocks = s->regions * SIM_BPR;
	s->fence_delay = 40;
	/*
	 * Every fourth seed paces rebuild and scrub: a region every 3
	 * steps at most, every 7 under foreground writes (from the seed,
	 * not the generator, so the other seeds run as before).
	 */
	if (seed % 4 == 1) {
		s->sync_max = pace_gap_rate(SIM_BPR * DDRAID_BLOCK_SIZE, 3);
		s->sync_min = pace_gap_rate(SIM_BPR * DDRAID_BLOCK_SIZE, 7);
	}
	/* Rebuild locks of 1 to 6 regions (the seed's, as above). */
	s->sync_span = 1 + (u32)(seed / 4 % 6);
	/* The transport's bound on late writes stays below fence_delay
	 * (docs/cluster-protocol.md, "late writes") unless broken. */
	s->late_bound = brk == BREAK_LATE_WRITES ? 3 * s->fence_delay :
		s->fence_delay / 2;
	s->require_fencing = two_node || sim_rand(s, 2);
	sm_effects_init(&s->fx);
}

/* Power the world on: every node, its target and its daemon. */
void sim_start(struct sim *s)
{
	u32 i;

	disk_init(s);
	s->part[0].used = true;
	for (i = 0; i < s->n_nodes; i++) {
		s->node[i].id = i + 1;
		s->node[i].up = true;
		s->node[i].part = 0;
		tgt_boot(s, &s->node[i]);
	}
	for (i = 0; i < s->n_nodes; i++)
		sim_daemon_start(s, &s->node[i]);
	sim_trace(s, "seed %llu: %u nodes, %u members (%s%s), %u regions",
		  (unsigned long long)s->seed, s->n_nodes, s->members,
		  s->dist ? "each node's own disk" : "shared disks",
		  s->two_node ? ", two_node" : "", s->regions);
}

void sim_init_cfg(struct sim *s, u64 seed, u32 brk, bool verbose,
		  u32 nodes, u32 members, bool dist, bool two_node)
{
	sim_world(s, seed, brk, verbose, nodes, members, dist, two_node);
	sim_start(s);
}

/*
 * A random world for seed @seed: half of them distributed (each node's
 * own disk), one in sixteen a two-node cluster.
 */
void sim_init(struct sim *s, u64 seed, u32 brk, bool verbose)
{
	sim_init_nodes(s, seed, brk, verbose, 0);
}

/* sim_init() with @nodes nodes (3..SIM_MAX_NODES; 0: from the seed). */
void sim_init_nodes(struct sim *s, u64 seed, u32 brk, bool verbose,
		    u32 nodes)
{
	static const u32 members[] = { 2, 3, 5, 9 };
	u64 r = seed * 0x9e3779b97f4a7c15ull + 7;
	u32 m;
	bool dist, two;

	r ^= r >> 29;
	two = !nodes && r % 16 == 0;
	dist = two || (r >> 8) % 2;
	if (!nodes)
		nodes = two ? 2 : 3 + (u32)((r >> 16) % 7);
	m = members[(r >> 24) % 4];
	while (dist && m > nodes)
		m = m == 9 ? 5 : m == 5 ? 3 : 2;
	sim_init_cfg(s, seed, brk, verbose, nodes, m, dist, two);
}

void sim_free(struct sim *s)
{
	u32 i, k;

	for (i = 0; i < s->n_nodes; i++)
		sm_free(s->node[i].d.sm);
	for (k = 0; k < SIM_MAX_PARTS; k++)
		for (i = 0; i < s->part[k].n; i++)
			free(s->part[k].q[i].bytes);
	sm_effects_free(&s->fx);
}

static void dump(struct sim *s)
{
	u32 j, k, r;

	for (j = 0; j < s->n_nodes; j++) {
		struct sim_node *n = &s->node[j];
		struct sm_status st;

		fprintf(stderr, "node %u: up %d part %d daemon %d target "
			"alive %d frozen %d connected %d\n", n->id, n->up,
			n->part, n->d.alive, n->t.alive, n->t.core.frozen,
			n->t.core.attached);
		for (r = 0; r < s->regions && n->t.alive; r++)
			if (n->t.reg[r].state != TCORE_COLD ||
			    n->t.reg[r].locked)
				fprintf(stderr, "  region %u: state %u locked "
					"%d\n", r, n->t.reg[r].state,
					n->t.reg[r].locked);
		if (!n->d.alive)
			continue;
		sm_status(n->d.sm, &st);
		fprintf(stderr, "  sm: state %d quorate %d attached %d coord "
			"%u dirty %llu locked %d (%llu) rebuilding %d\n",
			st.has_state, st.quorate, st.attached, st.coordinator,
			(unsigned long long)st.dirty, st.locked,
			(unsigned long long)st.lock_region, st.rebuilding);
		for (k = 0; k < st.n_nodes; k++)
			fprintf(stderr, "  slot %d node %u attached %d orphan %d "
				"held %llu\n", st.node[k].slot,
				st.node[k].nodeid, st.node[k].attached,
				st.node[k].orphaned,
				(unsigned long long)st.node[k].held);
		for (r = 0; r < s->regions; r++) {
			struct sm_region_info ri;

			if (!sm_region(n->d.sm, r, &ri) &&
			    (ri.held || ri.waiting || ri.dirty || ri.locked))
				fprintf(stderr, "  rs region %u: held %#x "
					"waiting %#x dirty %d locked %d\n", r,
					ri.held, ri.waiting, ri.dirty,
					ri.locked);
		}
	}
}

bool sim_run(struct sim *s, u32 steps)
{
	u32 i;

	for (i = 0; i < steps && !s->failed; i++)
		sim_step(s, true, true);
	return sim_finish(s);
}

/*
 * Heal: every node and daemon back, one partition, an operator who
 * rebuilds what is failed, then quiet; the invariants hold throughout and
 * the cluster must get there.
 */
bool sim_finish(struct sim *s)
{
	char why[256];
	u32 i;

	if (s->failed)
		return false;
	sim_trace(s, "--- heal ---");
	for (i = 0; i < 20000 && !s->failed; i++) {
		u32 j;

		for (j = 0; j < s->n_nodes; j++) {
			struct sim_node *n = &s->node[j];
			u32 m;

			for (m = 0; m < s->members; m++)
				path_restore(s, n, m);
			if (!n->up) {
				if (!s->dist || sim_boot_allowed(s, n))
					sim_node_boot(s, n);
			} else if (n->stopped) {
				sim_node_start(s, n);
			} else if (!n->d.alive && !n->stopping) {
				sim_daemon_start(s, n);
			}
		}
		sim_heal(s);
		if (i % 50 == 0)
			admin_rebuild(s);
		if (i % 300 == 299)
			operator_force(s);
		/* and a scrub now and then, which must finish */
		if (i == 120 && sim_rand(s, 2))
			admin_scrub(s, false);
		/* Some writes at first: a dead parity member is noticed
		 * only by writing. */
		sim_step(s, false, i < 400 && sim_rand(s, 4) == 0);
		if (i > 100 && check_quiet(s, why, sizeof(why)))
			break;
	}
	if (!s->failed && !check_quiet(s, why, sizeof(why)))
		sim_fail(s, "no progress after healing: %s", why);
	if (s->failed && s->verbose)
		dump(s);
	return !s->failed;
}
