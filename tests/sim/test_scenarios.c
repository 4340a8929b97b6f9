// SPDX-License-Identifier: GPL-2.0-only
/*
 * Named scenarios of the distributed failure model (issue 8, "Why"): each
 * one is a scripted world in which the rule it is named for matters. It
 * must pass with today's rules and fail with the old one, which the state
 * machine can still be asked to follow (enum sm_debug): so each scenario
 * shows both that the new rule holds and that it can fail.
 *
 * A scenario runs for a few seeds (the seed picks the number of regions
 * and the order of events); with the new rules every seed must pass, with
 * the old rule at least one must fail, for the reason the scenario is
 * about. DDRAID_SIM_SCENARIO=name DDRAID_SIM_SEED=N traces one run.
 */
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <stdarg.h>

#include "sim.h"
#include "pace.h"

#define SEEDS	20
#define SEEDS32	5	/* thirty_two_nodes: each run costs more */

static struct sim sim;
static int tap_n;
static bool verbose;

/* What a scenario saw, besides the simulator's own invariants. */
struct seen {
	u32 failed_max;		/* members recorded failed at once */
	u64 eio[SIM_MAX_NODES + 1];	/* writes failed (EIO), by node id */
};

static struct seen seen;

/* Node @id's bit in a node-id mask. */
#define ID(id)	sim_idbit(id)

static void observe(struct sim *s)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	u32 m, n = 0;

	for (m = 0; m < s->members; m++)
		n += sb->member[m].state == DDRAID_MEMBER_FAILED;
	if (n > seen.failed_max)
		seen.failed_max = n;
}

static struct sim_node *node(struct sim *s, u32 id)
{
	return sim_node_by_id(s, id);
}

/* @n steps; every sixth one, each node in @writers (node-id mask) writes. */
static void run(struct sim *s, u32 n, u32 writers)
{
	u32 i, j;

	for (i = 0; i < n && !s->failed; i++) {
		for (j = 0; i % 6 == 0 && j < s->n_nodes; j++)
			if (writers & sim_idbit(s->node[j].id))
				tgt_new_write(s, &s->node[j]);
		sim_step(s, false, false);
		observe(s);
	}
}

/*
 * run(), but each round of writes starts at another node: with 32 nodes
 * and a few dozen blocks, the first ones would take every free block.
 */
static void run_fair(struct sim *s, u32 n, u32 writers)
{
	u32 i, j, k;

	for (i = 0; i < n && !s->failed; i++) {
		for (j = 0; s->step % 6 == 0 && j < s->n_nodes; j++) {
			k = (u32)(s->step / 6 + j) % s->n_nodes;
			if (writers & sim_idbit(s->node[k].id))
				tgt_new_write(s, &s->node[k]);
		}
		sim_step(s, false, false);
		observe(s);
	}
}

/* Nodes in @ids (node-id mask) with no write acknowledged since
 * @acked[] (by node index) was taken. */
static u32 not_acked(const struct sim *s, u32 ids, const u64 *acked)
{
	u32 j, out = 0;

	for (j = 0; j < s->n_nodes; j++)
		if (ids & sim_idbit(s->node[j].id) &&
		    s->node[j].n_acked == acked[j])
			out |= sim_idbit(s->node[j].id);
	return out;
}

/* Every node reads every block it can (none in flight): I4, torn reads. */
static void read_all(struct sim *s)
{
	u32 j;
	u64 b;

	for (j = 0; j < s->n_nodes && !s->failed; j++)
		for (b = 0; b < s->blocks && !s->failed; b++)
			tgt_read_block(s, &s->node[j], b);
}

static void set_path(struct sim *s, u32 id, u32 m, bool cut)
{
	s->path_cut[node(s, id) - s->node][m] = cut;
	sim_trace(s, "scenario: node %u's path to member %u %s", id, m,
		  cut ? "cut" : "back");
}

static u32 all_nodes(const struct sim *s)
{
	u32 j, mask = 0;

	for (j = 0; j < s->n_nodes; j++)
		mask |= sim_idbit(s->node[j].id);
	return mask;
}

/* The end of every scenario: heal, reach quiet, read everything. */
static void finish(struct sim *s)
{
	u32 j;

	if (!sim_finish(s))
		return;
	read_all(s);
	for (j = 0; j < s->n_nodes; j++)
		seen.eio[s->node[j].id] = s->node[j].n_eio;
}

/* Writes failed on nodes in @ids (node-id mask). */
static u64 eio_on(const struct sim *s, u32 ids)
{
	u32 j;
	u64 n = 0;

	for (j = 0; j < s->n_nodes; j++)
		if (ids & sim_idbit(s->node[j].id))
			n += seen.eio[s->node[j].id];
	return n;
}

static void world(struct sim *s, u64 seed, u32 debug, u32 nodes,
		  u32 members, bool two_node)
{
	sim_world(s, seed, 0, verbose, nodes, members, true, two_node);
	s->debug = debug;
	s->scripted = true;
	memset(&seen, 0, sizeof(seen));
}

/*
 * 1. One node's paths to two members flap (corosync untouched). The
 * others reach both: it is that node's problem. Nothing is recorded
 * failed and no other node's write fails (that node's writes that miss
 * both members fail there: they cannot be redundant). Old rule: each
 * report fails the member, the second one too; every node gets EIO and
 * two members are recorded failed, for good.
 */
static const char *two_flapping_paths(struct sim *s)
{
	int k;

	sim_start(s);
	run(s, 150, all_nodes(s));
	for (k = 0; k < 3 && !s->failed; k++) {
		set_path(s, 1, 2, true);
		set_path(s, 1, 3, true);
		/* longer than the transport holds IO, shorter than the
		 * path timeout */
		run(s, 35, all_nodes(s));
		set_path(s, 1, 2, false);
		set_path(s, 1, 3, false);
		run(s, 20, all_nodes(s));
	}
	run(s, 100, all_nodes(s));
	if (seen.failed_max)
		return seen.failed_max > 1 ? "two members were recorded failed" :
			"a member was recorded failed";
	finish(s);
	if (s->failed)
		return s->why;
	if (eio_on(s, all_nodes(s) & ~ID(1)))
		return "writes failed on other nodes";
	return NULL;
}

/*
 * 2. One blip: one node loses its path to one member for a moment. The
 * volume is never degraded. Old rule: the member is recorded failed and
 * stays so until rebuilt.
 */
static const char *one_blip(struct sim *s)
{
	sim_start(s);
	run(s, 150, all_nodes(s));
	set_path(s, 1, 2, true);
	/* long enough for the transport to fail IO (late_bound) */
	run(s, 30, ID(1));
	set_path(s, 1, 2, false);
	run(s, 60, all_nodes(s));
	finish(s);
	if (s->failed)
		return s->why;
	if (seen.failed_max)
		return "a member was recorded failed";
	if (eio_on(s, all_nodes(s)))
		return "writes failed";
	return NULL;
}

/*
 * 3. A clean stop of a node under load (its filesystem unmounted, its
 * target removed, its daemon stopped): it detaches, nobody fences it and
 * no other node's write waits for it. Old rule: its daemon leaves an
 * orphan; its regions wait for fencing.
 */
/* Regions the cluster (node 1's view) counts as held by node @id. */
static u64 held_by(struct sim *s, u32 id)
{
	struct sm_status st;
	u32 k;

	sm_status(node(s, 1)->d.sm, &st);
	for (k = 0; k < st.n_nodes; k++)
		if (st.node[k].nodeid == id)
			return st.node[k].held;
	return 0;
}

/* Does any daemon with state count node @id as an orphan (waited for)? */
static bool orphaned(struct sim *s, u32 id)
{
	struct sm_status st;
	u32 j, k;

	for (j = 0; j < s->n_nodes; j++) {
		if (!s->node[j].up || !s->node[j].d.alive)
			continue;
		sm_status(s->node[j].d.sm, &st);
		for (k = 0; st.has_state && k < st.n_nodes; k++)
			if (st.node[k].nodeid == id && st.node[k].orphaned)
				return true;
	}
	return false;
}

static const char *clean_stop(struct sim *s)
{
	struct sim_node *n4;
	u32 i;

	s->require_fencing = true;	/* Pacemaker's fencer is there */
	sim_start(s);
	run(s, 150, all_nodes(s));
	/* node 4 (no disk of its own) holds grants */
	n4 = node(s, 4);
	run(s, 30, ID(4));
	for (i = 0; i < 200 && !s->failed && !held_by(s, 4); i++)
		run(s, 1, ID(4));
	if (!held_by(s, 4))
		return "node 4 holds no region: nothing to show";
	if (!sim_clean_stop(s, n4))
		return "node 4 could not be stopped";
	/* (its filesystem is unmounted meanwhile: the others wait) */
	for (i = 0; i < 400 && !s->failed && !n4->stopped; i++)
		run(s, 1, 0);
	if (!n4->stopped)
		return s->failed ? s->why : "node 4 did not stop";
	/* Its daemon is gone; the others write on. Nobody may wait for it
	 * as for a node that crashed. */
	for (i = 0; i < 4 * s->fence_delay && !s->failed; i++) {
		run(s, 1, all_nodes(s) & ~ID(4));
		if (orphaned(s, 4))
			return "node 4 is an orphan: its regions wait for "
			       "fencing";
	}
	if (s->n_fenced)
		return "node 4 was fenced";
	finish(s);
	return s->failed ? s->why : NULL;
}

/*
 * 4. Two nodes with corosync two_node, cut apart while both write. Both
 * halves stay quorate: neither goes on until one is fenced (ddraidd
 * refuses two_node without required fencing), so no side's acknowledged
 * write is dropped, and there is one history after the merge. Old rules:
 * no fencing, each half records the other's member failed and
 * acknowledges writes alone; after the merge both histories go on (two
 * coordinators), and one side's acknowledged writes are lost.
 */
static const char *two_node_split(struct sim *s)
{
	/* the old rules: no fencing required, no merge rule */
	if (s->debug & SM_DEBUG_NO_MERGE)
		s->require_fencing = false;
	sim_start(s);
	run(s, 150, all_nodes(s));
	sim_split(s, ID(2));
	run(s, 80, all_nodes(s));
	sim_heal(s);
	run(s, 40, all_nodes(s));
	finish(s);
	return s->failed ? s->why : NULL;
}

/*
 * 5. A node crashes with acknowledged writes in its disk's cache and
 * boots again at once, inside the transport's reconnect window. Its disk
 * is never read before it is rebuilt. Old rule: nobody knows the disk's
 * host left; the member comes back as it was, its cache lost.
 */
/* A block acknowledged whose fragment on member @m is only in its disk's
 * cache (no write of it in flight), or -1. */
static long cached_ack(const struct sim *s, u32 m)
{
	u64 b;

	for (b = 0; b < s->blocks; b++)
		if (!s->busy[b] && !s->torn[b] &&
		    s->disk[m].frag[b] != s->disk[m].durable[b])
			return (long)b;
	return -1;
}

static void read_block_all(struct sim *s, u64 b)
{
	u32 j;

	for (j = 0; j < s->n_nodes && !s->failed; j++)
		tgt_read_block(s, &s->node[j], b);
}

static const char *quick_return(struct sim *s)
{
	struct sim_node *n1;
	long b;
	u32 k;

	s->require_fencing = false;	/* no fencer powers it off again */
	/* NVMe/TCP's defaults: the transport queues IO to an unreachable
	 * member for ctrl_loss_tmo (600 s), far longer than a reboot */
	s->late_bound = 20 * s->fence_delay;
	sim_start(s);
	run(s, 150, all_nodes(s));
	/* acknowledged writes, some only in the cache of node 1's disk
	 * (member 0, a data member: reads use it) */
	run(s, 30, ID(2) | ID(3));
	for (k = 0; k < 300 && !s->failed && cached_ack(s, 0) < 0; k++)
		run(s, 1, ID(2) | ID(3));
	b = cached_ack(s, 0);
	if (b < 0)
		return "no acknowledged write in member 0's cache: nothing to show";
	n1 = node(s, 1);
	sim_node_crash(s, n1);
	/*
	 * Back as soon as the cluster has seen it leave and every target
	 * has applied that (a local channel message, microseconds, against
	 * a reboot's seconds): its disk is exported again long before the
	 * transport gives up on it. (Waiting only for the daemons let a
	 * read, on a few seeds, reach the returned disk before its
	 * target had heard of the departure: a race no host can win. The
	 * old rule never tells the targets: it boots 10 steps later.)
	 */
	for (k = 0; k < 300 && !s->failed && !sim_seen_gone(s, n1); k++)
		run(s, 1, 0);
	for (k = 0; k < 10 && !s->failed && !sim_boot_allowed(s, n1); k++)
		run(s, 1, 0);
	sim_node_boot(s, n1);
	/* the block whose fragment the crash took, read by everyone */
	for (k = 0; k < 200 && !s->failed; k++) {
		run(s, 1, 0);
		read_block_all(s, (u64)b);
	}
	run(s, 60, ID(2) | ID(3));
	read_all(s);
	run(s, 100, all_nodes(s));
	read_all(s);
	finish(s);
	return s->failed ? s->why : NULL;
}

/*
 * 6. A node crashes with its own writes torn (some fragments on disk,
 * some not) and comes back with its disk: the re-add recomputes parity
 * from the data where nobody wrote while it was away, so a torn block
 * reads old or new per fragment. Old rule: its fragment is rebuilt from
 * parity that matches neither.
 */
/* Has node @n a write whose fragments are partly on the disks? */
static bool torn_write(const struct sim *s, const struct sim_node *n)
{
	u32 i;

	for (i = 0; i < SIM_MAX_WRITES; i++) {
		const struct sim_write *w = &n->t.w[i];
		u32 all = ((1u << s->members) - 1) & ~w->io.skip;

		if (w->state == W_SUBMITTED && w->pending &&
		    w->pending != all)
			return true;
	}
	return false;
}

static const char *torn_readd(struct sim *s)
{
	struct sim_node *n1;
	u32 k;

	sim_start(s);
	run(s, 150, all_nodes(s));
	n1 = node(s, 1);
	/* only node 1 writes: the others' write intent clears */
	run(s, 150, ID(1));
	/* node 1 writes until one of its writes is half on disk */
	for (k = 0; k < 400 && !s->failed; k++) {
		if (k % 2 == 0)
			tgt_new_write(s, n1);
		sim_step(s, false, false);
		if (torn_write(s, n1))
			break;
	}
	sim_node_crash(s, n1);
	/* nobody writes while it is away: its returning fragments are
	 * the best there is */
	for (k = 0; k < 300 && !s->failed && !sim_seen_gone(s, n1); k++)
		run(s, 1, 0);
	for (k = 0; k < 10 && !s->failed && !sim_boot_allowed(s, n1); k++)
		run(s, 1, 0);
	sim_node_boot(s, n1);
	run(s, 300, 0);
	read_all(s);
	finish(s);
	return s->failed ? s->why : NULL;
}

/*
 * Pacing (docs/cluster-protocol.md section 8, "Pacing"): the steps a
 * scrub of every region takes in a quiet 3-node world with scrub paced at
 * one region every @gap steps (0: unpaced), or 0 if it did not finish.
 * *@regions: the world's region count.
 */
static u64 scrub_steps(u64 seed, u64 gap, u64 *regions)
{
	struct sim *s = &sim;
	struct sm_event ev = { .type = SM_EV_ADMIN };
	struct sm_status st;
	u64 k, t0, took = 0;

	world(s, seed, 0, 3, 3, false);
	s->sync_max = pace_gap_rate(SIM_BPR * DDRAID_BLOCK_SIZE, gap);
	s->sync_min = 0;
	*regions = s->regions;
	sim_start(s);
	run(s, 150, all_nodes(s));
	run(s, 150, 0);		/* quiet: no grant for far longer than 20 */
	ev.admin.cmd = SM_ADMIN_SCRUB;
	ev.admin.mode = SCRUB_CHECK;
	sim_feed(s, node(s, 1), &ev);
	t0 = s->step;
	for (k = 0; k < 5000 && !s->failed; k++) {
		run(s, 1, 0);
		sm_status(node(s, 1)->d.sm, &st);
		if (st.scrub_end == SCRUB_FINISHED) {
			took = s->step - t0;
			break;
		}
	}
	finish(s);
	if (s->failed)
		took = 0;
	sim_free(s);
	return took;
}

/*
 * Rates tuned cluster-wide ("ddraidctl set", MSG_TUNE): in a quiet world
 * of 4 nodes (3 members; node 4 has no disk) whose daemons run unpaced,
 * node 2 (not the coordinator) sets rate @key (TUNE_*) to one region every
 * @gap steps. Every daemon must then say the same (cluster-set, that
 * value), a scrub started on node 3 is timed, and node 4, stopped and
 * started again, must get the rate with the state. Returns the scrub's
 * steps, 0 with *@why on a failure. @key TUNE_N: nothing tuned.
 */
static u64 tuned_scrub(u64 seed, u32 key, u64 gap, u64 *regions,
		       const char **why)
{
	struct sim *s = &sim;
	struct sm_event ev = { .type = SM_EV_ADMIN };
	u64 rate = pace_gap_rate(SIM_BPR * DDRAID_BLOCK_SIZE, gap), k, t0;
	u64 took = 0, r[TUNE_N];
	struct sm_status st;
	struct sim_node *n4;
	u32 j, set, n_ok = 0;

	*why = NULL;
	world(s, seed, 0, 4, 3, false);
	s->sync_max = s->sync_min = 0;
	*regions = s->regions;
	sim_start(s);
	run(s, 150, all_nodes(s));
	run(s, 150, 0);
	if (key < TUNE_N) {
		ev.admin.cmd = SM_ADMIN_TUNE;
		ev.admin.tune_set = 1u << key;
		ev.admin.tune[key] = rate;
		sim_feed(s, node(s, 2), &ev);
	}
	/* delivered to every daemon in time */
	for (k = 0; k < 400 && !s->failed; k++) {
		for (j = 0, n_ok = 0; j < s->n_nodes; j++) {
			sm_rates(s->node[j].d.sm, r, &set);
			n_ok += key < TUNE_N ? set == 1u << key &&
				r[key] == rate : !set;
		}
		if (n_ok == s->n_nodes)
			break;
		run(s, 1, 0);
	}
	if (n_ok != s->n_nodes)
		*why = "a daemon's rates differ from what was set";
	ev = (struct sm_event){ .type = SM_EV_ADMIN };
	ev.admin.cmd = SM_ADMIN_SCRUB;
	ev.admin.mode = SCRUB_CHECK;
	sim_feed(s, node(s, 3), &ev);
	t0 = s->step;
	for (k = 0; k < 5000 && !s->failed && !*why; k++) {
		run(s, 1, 0);
		sm_status(node(s, 1)->d.sm, &st);
		if (st.scrub_end == SCRUB_FINISHED) {
			took = s->step - t0;
			break;
		}
	}
	if (!took && !*why)
		*why = "the scrub did not finish";
	/* A daemon that joins later takes the rates with the state. */
	n4 = node(s, 4);
	if (!*why && !sim_clean_stop(s, n4))
		*why = "node 4 could not be stopped";
	for (k = 0; k < 400 && !s->failed && !*why && !n4->stopped; k++)
		run(s, 1, 0);
	if (!*why && !n4->stopped)
		*why = "node 4 did not stop";
	if (!*why)
		sim_node_start(s, n4);
	for (k = 0; k < 400 && !s->failed && !*why; k++) {
		run(s, 1, 0);
		sm_status(n4->d.sm, &st);
		if (st.has_state)
			break;
	}
	if (!*why && !st.has_state)
		*why = "node 4 got no state";
	if (!*why) {
		sm_rates(n4->d.sm, r, &set);
		if (key < TUNE_N ? set != 1u << key || r[key] != rate : set)
			*why = "the joiner's rates differ from what was set";
	}
	finish(s);
	if (s->failed && !*why)
		*why = s->why;
	sim_free(s);
	return *why ? 0 : took;
}

/*
 * Scheduled scrubs (cpgmsg.h SCRUB_START, docs/cluster-protocol.md section
 * 9): every node's timer asks for the scrub of the same period at once;
 * exactly one scrub runs and every node agrees on it; STARTs of that
 * period still in flight after it finished change nothing; a later period
 * starts a new one, and so does an operator's scrub. NULL, or what went
 * wrong.
 */
static const char *scheduled_scrub(u64 seed)
{
	static char why[sizeof(sim.why) + 64];
	struct sim *s = &sim;
	struct sm_event ev = { .type = SM_EV_ADMIN };
	const char *bad = NULL;
	u32 j, label = 20788;
	int round;

	world(s, seed, 0, 3, 3, false);
	sim_start(s);
	run(s, 150, all_nodes(s));
	run(s, 150, 0);
	ev.admin.cmd = SM_ADMIN_SCRUB;
	ev.admin.mode = SCRUB_CHECK;
	/* Rounds: 0 the timers of period label, all at once; 1 those STARTs
	 * delivered late (after that scrub finished); 2 the next period;
	 * 3 an operator's scrub. */
	for (round = 0; round < 4 && !bad && !s->failed; round++) {
		u64 before = s->n_scrubs, k;
		struct sm_status st;

		ev.admin.label = round == 2 ? label + 30 : round == 3 ? 0 :
			label;
		for (j = 0; j < s->n_nodes; j++) {
			struct sim_node *n = &s->node[j];
			const char *w;
			int r = sm_scrub_refused(n->d.sm, &ev.admin, &w);

			if (round == 1) {
				struct cpgmsg m = { .type = MSG_SCRUB_START,
						    .sender = n->id, .seq = 1,
						    .mode = SCRUB_CHECK,
						    .label = label };

				if (r != -EALREADY)
					bad = "a period's scrub done: a timer's "
					      "request still goes out";
				sim_cpg_send(s, n, &m);
			} else if (r) {
				bad = "a timer's or operator's request refused";
			} else {
				sim_feed(s, n, &ev);
			}
			if (round == 3)
				break;	/* one operator */
		}
		for (k = 0; k < 5000 && !s->failed && !bad; k++) {
			run(s, 1, 0);
			for (j = 0; j < s->n_nodes; j++) {
				sm_status(s->node[j].d.sm, &st);
				if (st.scrub_end != SCRUB_FINISHED ||
				    st.scrub_next != s->regions)
					break;
			}
			if (j == s->n_nodes && (round == 1 ||
						s->n_scrubs > before))
				break;
		}
		run(s, 100, 0);
		for (j = 0; j < s->n_nodes && !bad; j++) {
			sm_status(s->node[j].d.sm, &st);
			if (st.scrub_end != SCRUB_FINISHED ||
			    st.scrub_next != s->regions)
				bad = "a node does not say its scrub finished";
			else if (st.scrub_label != (round >= 2 ? label + 30 :
						    label))
				bad = "a node has the wrong last period";
		}
		/* One scrub walks each region once: none for round 1. */
		if (!bad && s->n_scrubs - before != (round == 1 ? 0 :
						      s->regions)) {
			snprintf(why, sizeof(why), "round %d: %llu regions "
				 "scrubbed, the volume has %llu", round,
				 (unsigned long long)(s->n_scrubs - before),
				 (unsigned long long)s->regions);
			bad = why;
		}
	}
	finish(s);
	if (s->failed) {
		snprintf(why, sizeof(why), "%s", s->why);
		bad = why;
	}
	sim_free(s);
	return bad;
}

/* Nodes attached with a slot of their own, as @st says. */
static u32 attached(const struct sm_status *st)
{
	u32 j, k = 0;

	for (j = 0; j < st->n_nodes; j++)
		k += st->node[j].attached && st->node[j].slot >= 0;
	return k;
}

/*
 * 7. Thirty-two nodes, every write-intent slot (DDRAID_BITMAP_SLOTS) taken,
 * nine members on the first nine nodes (the others have no disk), every
 * node writing; Pacemaker's fencer is there. The last node (id 32, the
 * top bit of every node-id mask) crashes with a write torn (some
 * fragments on the disks): it is fenced, its regions resynced, and it
 * comes back. Then a disk's host (node 3) crashes and four nodes (28 to
 * 31) are cut off, and fenced by the others; everything heals, member 2
 * is rebuilt, every node has a write acknowledged again, and every
 * invariant holds throughout. Run with a broken rule (@brk, enum
 * sim_break) instead, the checks must catch it in some seed.
 */
static const char *thirty_two_nodes(u64 seed, u32 brk)
{
	static char why[sizeof(sim.why) + 64];
	struct sim *s = &sim;
	struct sm_status st;
	const char *bad = NULL;
	u32 cut = ID(28) | ID(29) | ID(30) | ID(31);
	u32 j, k;
	u64 resyncs, acked[SIM_MAX_NODES];

	world(s, seed, 0, SIM_MAX_NODES, 9, false);
	s->brk = brk;
	s->require_fencing = true;
	sim_start(s);
	/*
	 * The daemons start together and join one confchg at a time; every
	 * confchg makes each stateless daemon ask for state again, so the
	 * cold start waits for some n^2 / 2 NEED_STATEs, one delivered a
	 * step: about 600 steps for 32 nodes, writes waiting meanwhile.
	 */
	for (k = 0; k < 3000 && !s->failed; k++) {
		run_fair(s, 1, all_nodes(s));
		sm_status(node(s, 1)->d.sm, &st);
		if (st.n_nodes == s->n_nodes && attached(&st) == s->n_nodes)
			break;
	}
	run_fair(s, 300, all_nodes(s));
	/* every node attached, each in its own slot */
	sm_status(node(s, 1)->d.sm, &st);
	k = attached(&st);
	if (!s->failed && k != s->n_nodes) {
		snprintf(why, sizeof(why), "%u of %u nodes attached with a "
			 "slot", k, s->n_nodes);
		bad = why;
	}
	/* node 32 alone writes until one of its writes is half done */
	for (k = 0; k < 600 && !s->failed && !bad; k++) {
		if (k % 2 == 0)
			tgt_new_write(s, node(s, 32));
		sim_step(s, false, false);
		observe(s);
		if (torn_write(s, node(s, 32)))
			break;
	}
	if (!s->failed && !bad && !torn_write(s, node(s, 32)))
		bad = "node 32 has no torn write: nothing to show";
	resyncs = s->n_resyncs;
	if (!bad) {
		sim_node_crash(s, node(s, 32));
		/*
		 * No new writes until it is fenced, its regions resynced
		 * and it is back, attached (until then the checks leave
		 * the regions its slot marks alone): a write would mend
		 * the torn block itself.
		 */
		for (k = 0; k < 1000 && !s->failed &&
		     !sim_boot_allowed(s, node(s, 32)); k++)
			run_fair(s, 1, 0);
		if (!s->failed && !sim_boot_allowed(s, node(s, 32)))
			bad = "the cluster never took in that node 32 left";
		sim_node_boot(s, node(s, 32));
		run_fair(s, 200, 0);
		run_fair(s, 100, all_nodes(s));
		sim_node_crash(s, node(s, 3));
		run_fair(s, 100, all_nodes(s) & ~ID(3));
		sim_split(s, cut);
		run_fair(s, 300, all_nodes(s) & ~ID(3) & ~cut);
		/* the fencer powered off every node cut off */
		for (j = 0; j < s->n_nodes && !bad && !s->failed; j++)
			if (cut & sim_idbit(s->node[j].id) && s->node[j].up) {
				snprintf(why, sizeof(why), "node %u, cut off, "
					 "was not fenced", s->node[j].id);
				bad = why;
			}
	}
	if (!bad)
		finish(s);
	/* back together: every node writes again, each at least once */
	for (j = 0; j < s->n_nodes; j++)
		acked[j] = s->node[j].n_acked;
	run_fair(s, 300, all_nodes(s));
	for (k = 0; k < 3000 && !bad && !s->failed &&
	     not_acked(s, all_nodes(s), acked); k++)
		run_fair(s, 1, all_nodes(s));
	if (!bad && !s->failed)
		finish(s);
	if (s->failed && !bad) {
		snprintf(why, sizeof(why), "%s", s->why);
		bad = why;
	}
	if (!bad && seen.failed_max > 1)
		bad = "two members were recorded failed";
	if (!bad && s->n_resyncs == resyncs)
		bad = "no region was resynced";
	if (!bad && not_acked(s, all_nodes(s), acked)) {
		snprintf(why, sizeof(why), "nodes %#x (bit id - 1) had no "
			 "write acknowledged after the heal",
			 not_acked(s, all_nodes(s), acked));
		bad = why;
	}
	sim_free(s);
	return bad;
}

struct scenario {
	const char *name;
	const char *(*fn)(struct sim *s);
	u32 nodes, members;
	bool two_node;
	u32 old_rule;		/* enum sm_debug: the rule it replaced */
	const char *old_name;
};

static const struct scenario scenarios[] = {
	{ "two_flapping_paths", two_flapping_paths, 5, 5, false,
	  SM_DEBUG_FAIL_ON_REPORT | SM_DEBUG_FAIL_SECOND,
	  "a report fails the member, a second one too" },
	{ "one_blip", one_blip, 3, 3, false, SM_DEBUG_FAIL_ON_REPORT,
	  "a report fails the member" },
	{ "clean_stop", clean_stop, 4, 3, false, SM_DEBUG_NO_DETACH,
	  "a stopped daemon leaves an orphan" },
	{ "two_node_split", two_node_split, 2, 2, true,
	  SM_DEBUG_NO_MERGE,
	  "two_node without fencing, merged histories both go on" },
	{ "quick_return", quick_return, 3, 3, false, SM_DEBUG_NO_HOSTS,
	  "a member's host is unknown" },
	{ "torn_readd", torn_readd, 3, 3, false, SM_DEBUG_NO_TORN,
	  "a returning member's torn regions are rebuilt from parity" },
};

static const char *run_one(const struct scenario *sc, u64 seed, u32 debug)
{
	const char *why;
	static char keep[sizeof(sim.why)];

	world(&sim, seed, debug, sc->nodes, sc->members, sc->two_node);
	why = sc->fn(&sim);
	if (why) {
		snprintf(keep, sizeof(keep), "%s", why);
		why = keep;
	}
	sim_free(&sim);
	return why;
}

static void tap(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int main(void)
{
	const char *one = getenv("DDRAID_SIM_SCENARIO");
	const char *seed_env = getenv("DDRAID_SIM_SEED");
	const char *old_env = getenv("DDRAID_SIM_OLD_RULE");
	size_t i;
	u64 seed;

	if (one && !strcmp(one, "thirty_two_nodes")) {
		const char *why;

		seed = seed_env ? strtoull(seed_env, NULL, 0) : 1;
		verbose = true;
		why = thirty_two_nodes(seed, old_env && *old_env == '1' ?
				       BREAK_NO_RESYNC : BREAK_NONE);
		printf("1..1\n");
		tap(!why, "thirty_two_nodes seed %" PRIu64 "%s%s", seed,
		    why ? ": " : "", why ? why : "");
		return 0;
	}
	if (one && *one) {
		for (i = 0; i < (sizeof(scenarios) / sizeof(scenarios[0])); i++) {
			const struct scenario *sc = &scenarios[i];
			const char *why;

			if (strcmp(sc->name, one))
				continue;
			seed = seed_env ? strtoull(seed_env, NULL, 0) : 1;
			verbose = true;
			why = run_one(sc, seed, old_env && *old_env == '1' ?
				      sc->old_rule : 0);
			printf("1..1\n");
			tap(!why, "%s seed %" PRIu64 "%s%s", sc->name, seed,
			    why ? ": " : "", why ? why : "");
			return 0;
		}
		fprintf(stderr, "no scenario %s\n", one);
		return 1;
	}
	printf("1..%zu\n", 2 * (sizeof(scenarios) / sizeof(scenarios[0])) + 6);
	{
		/* scrub-rate set cluster-wide at one region every 12 steps:
		 * paced so on every node; rebuild-rate alone, however
		 * slow (a region every 1000 steps), leaves it be */
		u64 n_ok = 0, n_apart = 0, regions = 0, paced, other;
		const char *why, *why2;

		for (seed = 1; seed <= SEEDS; seed++) {
			paced = tuned_scrub(seed, TUNE_SCRUB_MAX, 12, &regions,
					    &why);
			if (paced && paced >= 12 * (regions - 1))
				n_ok++;
			other = tuned_scrub(seed, TUNE_REBUILD_MAX, 1000,
					    &regions, &why2);
			if (other && other < 1000 * (regions - 1))
				n_apart++;
			why = why ? why : why2;
			if (verbose || why || !paced || !other)
				printf("# tuned seed %" PRIu64 ": %" PRIu64
				       " regions, scrub-rate tuned: %" PRIu64
				       " steps, rebuild-rate only: %" PRIu64
				       "%s%s\n", seed, regions, paced, other,
				       why ? ": " : "", why ? why : "");
		}
		tap(n_ok == SEEDS, "tuned_scrub: scrub-rate set through one "
		    "daemon paces the coordinator's scrub, every daemon and a "
		    "joiner hold it (%" PRIu64 "/%d seeds)", n_ok, SEEDS);
		tap(n_apart == SEEDS, "tuned_rebuild: rebuild-rate alone does "
		    "not slow a scrub (%" PRIu64 "/%d seeds)", n_apart, SEEDS);
	}
	{
		const char *why = NULL;

		for (seed = 1; seed <= SEEDS && !why; seed++)
			why = scheduled_scrub(seed);
		tap(!why, "scheduled_scrub: three timers of one period run one "
		    "scrub, late ones nothing, a new period and an operator "
		    "one more each (%d seeds)%s%s", SEEDS, why ? ": " : "",
		    why ? why : "");
		if (why)
			printf("# scheduled_scrub failed at seed %" PRIu64 "\n",
			       seed - 1);
	}
	{
		/* a scrub paced at a region every 12 steps: never faster */
		u64 n_ok = 0, worst = 0, regions = 0, fast = 0, paced;

		for (seed = 1; seed <= SEEDS; seed++) {
			fast = scrub_steps(seed, 0, &regions);
			paced = scrub_steps(seed, 12, &regions);
			if (fast && paced && paced >= 12 * (regions - 1) &&
			    paced > fast)
				n_ok++;
			else if (!worst)
				worst = seed;
		}
		tap(n_ok == SEEDS, "paced_scrub: a scrub paced at one region "
		    "every 12 steps takes at least 12 steps a region and "
		    "finishes (%" PRIu64 "/%d seeds%s)", n_ok, SEEDS,
		    worst ? ", see DDRAID_SIM_SEED of the first bad one" : "");
		if (worst)
			printf("# paced_scrub: first bad seed %" PRIu64 "\n",
			       worst);
	}
	{
		/* 32 nodes: holds; a coordinator that skips the resync of
		 * the crashed nodes' regions is caught (I2) */
		const char *why = NULL, *old_why = NULL;
		static char keep[sizeof(sim.why) + 64];

		for (seed = 1; seed <= SEEDS32 && !why; seed++)
			why = thirty_two_nodes(seed, BREAK_NONE);
		tap(!why, "thirty_two_nodes: 32 nodes writing, a disk's host "
		    "and node 32 crash, four nodes cut off and fenced, "
		    "resync, rebuild (%d seeds)%s%s", SEEDS32,
		    why ? ": " : "", why ? why : "");
		if (why)
			printf("# thirty_two_nodes failed at seed %" PRIu64
			       " (replay: DDRAID_SIM_SCENARIO=thirty_two_nodes "
			       "DDRAID_SIM_SEED=%" PRIu64 ")\n", seed - 1,
			       seed - 1);
		for (seed = 1; seed <= SEEDS32 && !old_why; seed++)
			old_why = thirty_two_nodes(seed, BREAK_NO_RESYNC);
		if (old_why) {
			snprintf(keep, sizeof(keep), "%s", old_why);
			old_why = keep;
		}
		tap(old_why && !strncmp(old_why, "I2", 2),
		    "thirty_two_nodes: a skipped resync is caught by I2%s%s",
		    old_why ? ": " : " in no seed", old_why ? old_why : "");
		if (old_why)
			printf("# broken rule caught at seed %" PRIu64 "\n",
			       seed - 1);
	}
	for (i = 0; i < (sizeof(scenarios) / sizeof(scenarios[0])); i++) {
		const struct scenario *sc = &scenarios[i];
		const char *why = NULL, *old_why = NULL;
		u64 bad = 0, old_seed = 0;

		for (seed = 1; seed <= SEEDS && !why; seed++) {
			why = run_one(sc, seed, 0);
			bad = seed;
		}
		tap(!why, "%s: holds with today's rules (%d seeds)%s%s%s",
		    sc->name, SEEDS, why ? ": " : "", why ? why : "",
		    why ? " (replay: DDRAID_SIM_SCENARIO=<name> DDRAID_SIM_SEED=<n>)" : "");
		if (why)
			printf("# %s failed at seed %" PRIu64 "\n", sc->name,
			       bad);
		for (seed = 1; seed <= SEEDS && !old_why; seed++) {
			old_why = run_one(sc, seed, sc->old_rule);
			old_seed = seed;
		}
		tap(old_why != NULL, "%s: fails with the old rule (%s)%s%s",
		    sc->name, sc->old_name, old_why ? ": " : " in no seed",
		    old_why ? old_why : "");
		if (old_why)
			printf("# old rule caught at seed %" PRIu64 "\n",
			       old_seed);
	}
	return 0;
}
