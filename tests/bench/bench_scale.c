// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraid-bench-scale [--json FILE] [--quick] [--max-tib N] [--verbose]
 *                    [--only PART]
 *
 * How ddraidd's state machine (cpg-daemon/sm*.c) and formats grow with the
 * volume (1, 8, 64 TiB: up to 16M regions of 4 MiB) and the nodes (3, 8,
 * 32), without disks: the state machines run in one process over a
 * loopback "cluster" (below) that delivers every CPG message to every
 * daemon in order and completes every IO effect at once. A benchmark, not
 * a test: it prints figures and asserts nothing about speed; the exit
 * status says only whether every part ran (a run that does not reach the
 * state it measures is an error). docs/scale.md holds the figures.
 *
 * Times are CPU seconds of this process (the machine may be shared).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sm_internal.h"
#include "ddraid_format.h"

#define TIB	(1ull << 40)
#define LB_MAX	32

static bool verbose;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Bytes malloc has handed out (small chunks and mmap'd ones). */
static size_t heap_bytes(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

/* Resident set size: the pages really touched. */
static size_t rss_bytes(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "ddraid-bench-scale: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory%s", "");
	return p;
}

/* ---- the loopback cluster ---- */

enum { IT_CPG = 1, IT_IO, IT_TGT };

struct lb_item {
	u32 kind;
	u32 node;		/* IO, TGT: index of the node */
	u8 *buf;		/* CPG: the encoded message */
	size_t len;
	u64 id;			/* IO: effect id */
	u32 fx;			/* IO: effect type */
	struct ddraid_chan_msg chan;	/* TGT: from the target */
};

struct lb_node {
	struct sm *sm;
	u32 id;
	bool in_group;
	u64 seq;
	u64 freezes;		/* FREEZEs its target saw */
};

struct lb {
	u32 n;
	struct lb_node node[LB_MAX];
	u64 regions, region_size;
	u32 members;
	struct sm_effects fx;
	struct lb_item *q;
	size_t q_head, q_tail, q_cap;
	/* what READ_META finds: the union of every slot of every member */
	const u8 *meta_dirty;
	u32 meta_slots[DDRAID_BITMAP_SLOTS];
	u8 *zero;
	/* counters */
	u64 handled;		/* sm_handle() calls */
	u64 cpg_msgs, cpg_bytes, state_msgs, state_bytes;
	u64 init_bytes, init_runs, grants;
};

static void q_push(struct lb *lb, const struct lb_item *it)
{
	if (lb->q_tail == lb->q_cap) {
		if (lb->q_head) {
			memmove(lb->q, lb->q + lb->q_head,
				(lb->q_tail - lb->q_head) * sizeof(*lb->q));
			lb->q_tail -= lb->q_head;
			lb->q_head = 0;
		} else {
			lb->q_cap = lb->q_cap ? 2 * lb->q_cap : 256;
			lb->q = realloc(lb->q, lb->q_cap * sizeof(*lb->q));
			if (!lb->q)
				die("out of memory%s", "");
		}
	}
	lb->q[lb->q_tail++] = *it;
}

static void lb_init(struct lb *lb, u32 n, u64 regions, u64 region_size)
{
	struct sm_config cfg = {
		.members = 3, .regions = regions, .region_size = region_size,
		.fence_delay = 1000, .progress_every = 64,
	};
	const char *why = NULL;
	u32 i;

	memset(lb, 0, sizeof(*lb));
	lb->n = n;
	lb->regions = regions;
	lb->region_size = region_size;
	lb->members = cfg.members;
	lb->zero = xcalloc(1, bitmap_bytes(regions));
	sm_effects_init(&lb->fx);
	for (i = 0; i < n; i++) {
		cfg.nodeid = i + 1;
		lb->node[i].id = i + 1;
		lb->node[i].sm = sm_new(&cfg, &why);
		if (!lb->node[i].sm)
			die("sm_new: %s", why);
	}
}

static void lb_free(struct lb *lb)
{
	u32 i;

	for (; lb->q_head < lb->q_tail; lb->q_head++)
		free(lb->q[lb->q_head].buf);
	free(lb->q);
	for (i = 0; i < lb->n; i++)
		sm_free(lb->node[i].sm);
	sm_effects_free(&lb->fx);
	free(lb->zero);
	memset(lb, 0, sizeof(*lb));
}

/* Feed one event to node k and carry out its effects. */
static void lb_feed(struct lb *lb, u32 k, const struct sm_event *ev)
{
	struct lb_node *nd = &lb->node[k];
	struct lb_item it;
	const char *why = NULL;
	u32 i;

	sm_effects_reset(&lb->fx);
	sm_handle(nd->sm, ev, &lb->fx);
	lb->handled++;
	for (i = 0; i < lb->fx.n; i++) {
		struct sm_effect *fx = &lb->fx.fx[i];
		struct cpgmsg m;
		long len;

		memset(&it, 0, sizeof(it));
		it.node = k;
		switch (fx->type) {
		case SM_FX_CPG_SEND:
			m = fx->cpg;
			m.sender = nd->id;
			m.seq = ++nd->seq;
			it.kind = IT_CPG;
			it.len = cpgmsg_size(&m);
			it.buf = malloc(it.len);
			if (!it.buf)
				die("out of memory%s", "");
			len = cpgmsg_encode(&m, it.buf, it.len, &why);
			if (len < 0)
				die("cpgmsg_encode: %s", why);
			lb->cpg_msgs++;
			lb->cpg_bytes += it.len;
			if (m.type == MSG_STATE) {
				lb->state_msgs++;
				lb->state_bytes += it.len;
			}
			if (m.type == MSG_INIT) {
				lb->init_bytes = it.len;
				lb->init_runs = m.runs.n;
			}
			q_push(lb, &it);
			break;
		case SM_FX_TARGET_SEND:
			/* The target's answers, as the kernel gives them. */
			it.kind = IT_TGT;
			switch (fx->chan.type) {
			case DDRAID_CHAN_GRANT:
				lb->grants++;
				break;
			case DDRAID_CHAN_MEMBER_STATE:
				it.chan.type = DDRAID_CHAN_MEMBER_STATE_DONE;
				it.chan.region = fx->chan.region;
				it.chan.flags = fx->chan.flags;
				q_push(lb, &it);
				break;
			case DDRAID_CHAN_FREEZE:
				it.chan.type = DDRAID_CHAN_FROZEN;
				it.chan.arg = ++nd->freezes;
				q_push(lb, &it);
				break;
			case DDRAID_CHAN_LOCK:
				it.chan.type = DDRAID_CHAN_LOCKED;
				it.chan.region = fx->chan.region;
				q_push(lb, &it);
				break;
			}
			break;
		case SM_FX_LOG:
			if (verbose)
				fprintf(stderr, "node %u: %s\n", nd->id,
					fx->log.text);
			break;
		case SM_FX_BIT_SET: case SM_FX_BIT_CLEAR: case SM_FX_WRITE_SB:
		case SM_FX_READ_META: case SM_FX_READ_SLOT:
		case SM_FX_READ_ALL_SLOTS: case SM_FX_RESYNC:
		case SM_FX_REBUILD: case SM_FX_MEMBER_PATH: case SM_FX_SCRUB:
		case SM_FX_PROBE:
			it.kind = IT_IO;
			it.id = fx->id;
			it.fx = fx->type;
			q_push(lb, &it);
			break;
		}
	}
}

/* Handle queued items until none is left, or @stop says so. */
static void lb_run(struct lb *lb, bool (*stop)(struct lb *), u64 max)
{
	struct sm_meta meta;
	u64 done = 0;
	u32 i;

	while (lb->q_head < lb->q_tail && (!stop || !stop(lb)) &&
	       done++ < max) {
		struct lb_item it = lb->q[lb->q_head++];
		struct sm_event ev = { 0 };
		struct cpgmsg m;
		const char *why = NULL;

		switch (it.kind) {
		case IT_CPG:
			for (i = 0; i < lb->n; i++) {
				if (!lb->node[i].in_group)
					continue;
				if (cpgmsg_decode(it.buf, it.len, &m, &why))
					die("cpgmsg_decode: %s", why);
				ev.type = SM_EV_CPG_MSG;
				ev.msg = &m;
				lb_feed(lb, i, &ev);
			}
			free(it.buf);
			break;
		case IT_IO:
			ev.type = SM_EV_IO_DONE;
			ev.io.id = it.id;
			if (it.fx == SM_FX_READ_META) {
				memset(&meta, 0, sizeof(meta));
				meta.events = 1;
				for (i = 0; i < lb->members; i++)
					meta.member[i].state =
						DDRAID_MEMBER_ACTIVE;
				memcpy(meta.slots, lb->meta_slots,
				       sizeof(meta.slots));
				meta.dirty = lb->meta_dirty ? lb->meta_dirty :
					lb->zero;
				meta.read = (1u << lb->members) - 1;
				ev.io.meta = &meta;
			}
			if (it.fx == SM_FX_READ_SLOT ||
			    it.fx == SM_FX_READ_ALL_SLOTS)
				ev.io.bits = lb->zero;
			if (it.fx == SM_FX_READ_SLOT)
				ev.io.others = lb->zero;
			lb_feed(lb, it.node, &ev);
			break;
		case IT_TGT:
			ev.type = SM_EV_TARGET;
			ev.chan = it.chan;
			lb_feed(lb, it.node, &ev);
			break;
		}
	}
}

/* Nodes [0, n) form the group: the first call cold starts it, later
 * ones let the new nodes join (each with a fresh target). */
static void lb_group(struct lb *lb, u32 n)
{
	u32 ids[LB_MAX], joined[LB_MAX], nj = 0, i;
	struct sm_event ev = { 0 };

	for (i = 0; i < n; i++) {
		ids[i] = lb->node[i].id;
		if (!lb->node[i].in_group)
			joined[nj++] = ids[i];
	}
	for (i = 0; i < n; i++) {
		if (!lb->node[i].in_group) {
			ev = (struct sm_event){ .type = SM_EV_TARGET };
			ev.chan.type = DDRAID_CHAN_HELLO;
			lb_feed(lb, i, &ev);
			ev.chan.type = DDRAID_CHAN_HELD_END;
			lb_feed(lb, i, &ev);
		}
		ev = (struct sm_event){ .type = SM_EV_TOTEM };
		ev.totem.nodes = ids;
		ev.totem.n_nodes = n;
		lb_feed(lb, i, &ev);
		ev = (struct sm_event){ .type = SM_EV_QUORUM };
		ev.quorum.quorate = true;
		ev.quorum.nodes = ids;
		ev.quorum.n_nodes = n;
		lb_feed(lb, i, &ev);
	}
	for (i = 0; i < n; i++)
		lb->node[i].in_group = true;
	ev = (struct sm_event){ .type = SM_EV_CONFCHG };
	ev.confchg.members = ids;
	ev.confchg.n_members = n;
	ev.confchg.joined = joined;
	ev.confchg.n_joined = nj;
	for (i = 0; i < n; i++)
		lb_feed(lb, i, &ev);
}

static bool all_have_state(struct lb *lb)
{
	u32 i;

	for (i = 0; i < lb->n; i++)
		if (lb->node[i].in_group && !lb->node[i].sm->loc.has_state)
			return false;
	return true;
}

static bool all_attached(struct lb *lb)
{
	struct sm_status st;
	u32 i;

	for (i = 0; i < lb->n; i++) {
		if (!lb->node[i].in_group)
			continue;
		sm_status_brief(lb->node[i].sm, &st);
		if (!st.attached || st.frozen)
			return false;
	}
	return true;
}

/* Bring up nodes [0, n) one by one: attached, thawed, idle. */
static void lb_start(struct lb *lb, u32 n)
{
	u32 i;

	for (i = 1; i <= n; i++) {
		lb_group(lb, i);
		lb_run(lb, NULL, ~0ull);
	}
	if (!all_attached(lb))
		die("the loopback cluster did not come up%s", "");
}

/* A write of node k's target to region r: GRANT_REQ until granted, then
 * IDLE (its RELEASE and bit clear). */
static void lb_write(struct lb *lb, u32 k, u64 r)
{
	struct sm_event ev = { .type = SM_EV_TARGET };
	u64 grants = lb->grants;

	ev.chan.type = DDRAID_CHAN_GRANT_REQ;
	ev.chan.region = r;
	lb_feed(lb, k, &ev);
	lb_run(lb, NULL, ~0ull);
	if (lb->grants == grants)
		die("a write was not granted%s", "");
	ev.chan.type = DDRAID_CHAN_IDLE;
	lb_feed(lb, k, &ev);
	lb_run(lb, NULL, ~0ull);
}

/* ---- the parts ---- */

struct opts {
	bool quick;
	u32 max_tib;
	const char *only;	/* run only this part */
};

static const u32 sizes_tib[] = { 1, 8, 64 };
static const u32 node_counts[] = { 3, 8, 32 };
#define N_SIZES	(sizeof(sizes_tib) / sizeof(sizes_tib[0]))
#define N_NODES	(sizeof(node_counts) / sizeof(node_counts[0]))

static u64 regions_of(u32 tib, u64 region_size)
{
	return (u64)tib * TIB / region_size;
}

static json_object *jrow(void)
{
	return json_object_new_object();
}

static void jnum(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void jint(json_object *o, const char *k, u64 v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/*
 * On-disk bitmap: ddraid_layout_new() (what ddraidctl create runs) for a
 * 3-member volume of about @tib TiB, per region size.
 */
static void part_format(const struct opts *o, json_object *out)
{
	static const u64 rsz[] = { DDRAID_REGION_MIN, DDRAID_REGION_DEFAULT,
				   DDRAID_REGION_MAX };
	json_object *a = json_object_new_array();
	u32 i, j;

	(void)o;
	printf("\n== on-disk bitmap (3 members, ddraid_layout_new) ==\n");
	printf("%8s %10s %12s %14s %16s %14s\n", "volume", "region",
	       "regions", "slot bytes", "32 slots/member", "sm RAM (est)");
	for (i = 0; i < N_SIZES; i++) {
		for (j = 0; j < 3; j++) {
			struct ddraid_sb sb;
			json_object *r;
			u64 est;

			/* k = 1: each member holds half the data */
			if (ddraid_layout_new(&sb, 3, (u64)sizes_tib[i] * TIB
					      / 2 + (1ull << 30), rsz[j]))
				die("ddraid_layout_new failed%s", "");
			/* sm_new(): u32 held + u32 waiting + u8 bits per
			 * region, 8 region bitmaps (5 tgt, 3 rs) */
			est = sb.regions * 9 + 8 * bitmap_bytes(sb.regions);
			printf("%6u Ti %9llu K %12llu %14llu %14llu M %12llu M\n",
			       sizes_tib[i],
			       (unsigned long long)(rsz[j] >> 10),
			       (unsigned long long)sb.regions,
			       (unsigned long long)sb.bitmap_slot_bytes,
			       (unsigned long long)(DDRAID_BITMAP_SLOTS *
						    sb.bitmap_slot_bytes >> 20),
			       (unsigned long long)(est >> 20));
			r = jrow();
			jint(r, "volume_tib", sizes_tib[i]);
			jint(r, "region_bytes", rsz[j]);
			jint(r, "regions", sb.regions);
			jint(r, "slot_bytes", sb.bitmap_slot_bytes);
			jint(r, "slots_bytes_per_member",
			     DDRAID_BITMAP_SLOTS * sb.bitmap_slot_bytes);
			jint(r, "data_offset", sb.data_offset);
			jint(r, "sm_bytes_estimate", est);
			json_object_array_add(a, r);
		}
	}
	json_object_object_add(out, "format", a);
}

static bool size_ok(const struct opts *o, u32 tib)
{
	return tib <= o->max_tib;
}

/*
 * One daemon (a one-node cluster): its memory, and what every event
 * costs it on an idle volume (a write: GRANT_REQ ... IDLE).
 */
static void part_daemon(const struct opts *o, json_object *out)
{
	json_object *a = json_object_new_array();
	u32 i;

	printf("\n== one daemon: memory and per-event cost (4 MiB regions, "
	       "idle volume) ==\n");
	printf("%8s %10s %12s %12s %10s %12s %12s\n", "volume", "regions",
	       "heap", "RSS+", "B/region", "us/event", "writes/s");
	for (i = 0; i < N_SIZES; i++) {
		u64 regions = regions_of(sizes_tib[i], DDRAID_REGION_DEFAULT);
		u32 writes = o->quick ? 20 : 200, w;
		size_t h0, h1, r0, r1;
		double t0, t;
		u64 ev0;
		struct lb lb;
		json_object *r;

		if (!size_ok(o, sizes_tib[i]))
			continue;
		h0 = heap_bytes();
		r0 = rss_bytes();
		lb_init(&lb, 1, regions, DDRAID_REGION_DEFAULT);
		h1 = heap_bytes();
		lb_start(&lb, 1);
		r1 = rss_bytes();
		ev0 = lb.handled;
		t0 = cpu_now();
		for (w = 0; w < writes; w++)
			lb_write(&lb, 0, (u64)w * 7919 % regions);
		t = cpu_now() - t0;
		printf("%6u Ti %10llu %10.1f M %10.1f M %10.2f %12.2f %12.0f\n",
		       sizes_tib[i], (unsigned long long)regions,
		       (double)(h1 - h0) / (1 << 20),
		       (double)(r1 - r0) / (1 << 20),
		       (double)(h1 - h0) / (double)regions,
		       t * 1e6 / (double)(lb.handled - ev0),
		       (double)writes / t);
		r = jrow();
		jint(r, "volume_tib", sizes_tib[i]);
		jint(r, "regions", regions);
		jint(r, "heap_bytes", h1 - h0);
		jint(r, "rss_bytes", r1 > r0 ? r1 - r0 : 0);
		jint(r, "events", lb.handled - ev0);
		jint(r, "writes", writes);
		jnum(r, "cpu_s", t);
		jnum(r, "us_per_event", t * 1e6 / (double)(lb.handled - ev0));
		json_object_array_add(a, r);
		lb_free(&lb);
	}
	json_object_object_add(out, "daemon", a);
}

/* Every other region dirty: the worst case of run encoding. */
static void fill_alternate(u8 *map, u64 regions)
{
	u64 r;

	for (r = 0; r < regions; r += 2)
		ddraid_bit_set(map, r);
}

static bool joiner_has_state(struct lb *lb)
{
	return lb->node[1].sm->loc.has_state;
}

/*
 * A joiner's STATE: node 1 has state, node 2 joins. The RS is made
 * (white-box) empty, every other region dirty, or (up to 8 TiB: the
 * copies of a 16 B/region STATE would take GiBs at 64 TiB) every region
 * held by some node.
 */
static void part_state(const struct opts *o, json_object *out)
{
	static const char *const kinds[] = { "empty", "alt-dirty", "all-held" };
	json_object *a = json_object_new_array();
	u32 i, k;

	printf("\n== joiner's STATE (2 nodes, 4 MiB regions; STATE_PART_MAX "
	       "%u, CPGMSG_BODY_MAX %u) ==\n", STATE_PART_MAX,
	       CPGMSG_BODY_MAX);
	printf("%8s %10s %10s %12s %8s %10s %10s %10s\n", "volume", "RS",
	       "regions", "STATE bytes", "msgs", "ser ms", "deser ms",
	       "join ms");
	for (i = 0; i < N_SIZES; i++) {
		u64 regions = regions_of(sizes_tib[i], DDRAID_REGION_DEFAULT);

		if (!size_ok(o, sizes_tib[i]))
			continue;
		for (k = 0; k < 3; k++) {
			struct lb lb;
			struct sm *s1;
			size_t len;
			u8 *buf;
			double t0, ts, td, tj;
			const char *why = NULL;
			u64 r, m0, b0;
			json_object *row;

			if (k == 2 && sizes_tib[i] > 8)
				continue;
			lb_init(&lb, 2, regions, DDRAID_REGION_DEFAULT);
			lb_start(&lb, 1);
			s1 = lb.node[0].sm;
			if (k == 1) {
				fill_alternate(s1->rs.dirty, regions);
				s1->rs.n_dirty = bitmap_count(s1->rs.dirty,
							      regions);
			}
			if (k == 2)
				for (r = 0; r < regions; r++)
					s1->rs.held[r] = 1;
			t0 = cpu_now();
			buf = sm_rs_serialize(s1, &len);
			ts = cpu_now() - t0;
			if (!buf)
				die("sm_rs_serialize failed%s", "");
			m0 = lb.state_msgs;
			b0 = lb.state_bytes;
			t0 = cpu_now();
			lb_group(&lb, 2);
			lb_run(&lb, joiner_has_state, ~0ull);
			tj = cpu_now() - t0;
			if (!joiner_has_state(&lb))
				die("the joiner got no state%s", "");
			/* the joiner's side alone, once more */
			t0 = cpu_now();
			if (rs_deserialize(lb.node[1].sm, &lb.node[1].sm->rs,
					   buf, len, &why))
				die("rs_deserialize: %s", why);
			td = cpu_now() - t0;
			free(buf);
			printf("%6u Ti %10s %10llu %12zu %8llu %10.2f %10.2f %10.2f\n",
			       sizes_tib[i], kinds[k],
			       (unsigned long long)regions, len,
			       (unsigned long long)(lb.state_msgs - m0),
			       ts * 1e3, td * 1e3, tj * 1e3);
			row = jrow();
			jint(row, "volume_tib", sizes_tib[i]);
			json_object_object_add(row, "rs",
					       json_object_new_string(kinds[k]));
			jint(row, "regions", regions);
			jint(row, "state_bytes", len);
			jint(row, "state_msgs", lb.state_msgs - m0);
			jint(row, "state_wire_bytes", lb.state_bytes - b0);
			jnum(row, "serialize_s", ts);
			jnum(row, "deserialize_s", td);
			jnum(row, "join_s", tj);
			json_object_array_add(a, row);
			lb_free(&lb);
		}
	}
	json_object_object_add(out, "state", a);
}

static bool has_state0(struct lb *lb)
{
	return lb->node[0].sm->loc.has_state;
}

/*
 * Cold start, sans IO: 32 slots of synthetic bits are OR'ed (the loop of
 * io_exec.c do_read_slots() over what it read), READ_META completes with
 * the union, the INIT it plans goes through the codec and is adopted.
 * Slot s marks the regions r with r % 64 == 2s: the union has every
 * other region dirty (the worst case for runs), or 0.1% of regions.
 */
static void part_cold(const struct opts *o, json_object *out)
{
	static const char *const kinds[] = { "clean", "sparse", "alt-dirty" };
	json_object *a = json_object_new_array();
	u32 i, k, s;

	printf("\n== cold start planning, 32 slots (sans IO; 4 MiB regions) ==\n");
	printf("%8s %10s %10s %10s %10s %10s %12s %12s\n", "volume", "bits",
	       "union ms", "INIT ms", "INIT runs", "INIT bytes",
	       "dirty in", "dirty after");
	for (i = 0; i < N_SIZES; i++) {
		u64 regions = regions_of(sizes_tib[i], DDRAID_REGION_DEFAULT);
		size_t bb = bitmap_bytes(regions), j;

		if (!size_ok(o, sizes_tib[i]))
			continue;
		for (k = 0; k < 3; k++) {
			u8 *slot = xcalloc(1, bb), *uni = xcalloc(1, bb);
			struct lb lb;
			double t0, tu, ti;
			u64 r, in;
			json_object *row;

			lb_init(&lb, 1, regions, DDRAID_REGION_DEFAULT);
			t0 = cpu_now();
			for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
				memset(slot, 0, bb);
				for (r = 2 * s; k == 2 && r < regions; r += 64)
					ddraid_bit_set(slot, r);
				for (r = s * 97; k == 1 && r < regions;
				     r += 32 * 1000)
					ddraid_bit_set(slot, r);
				for (j = 0; j < bb; j++)
					uni[j] |= slot[j];
				lb.meta_slots[s] = 1000 + s;
			}
			tu = cpu_now() - t0;
			lb.meta_slots[0] = 1;
			lb.meta_dirty = uni;
			in = bitmap_count(uni, regions);
			t0 = cpu_now();
			lb_group(&lb, 1);
			lb_run(&lb, has_state0, ~0ull);
			ti = cpu_now() - t0;
			if (!has_state0(&lb))
				die("cold start failed%s", "");
			printf("%6u Ti %10s %10.2f %10.2f %10llu %10llu %12llu %12llu\n",
			       sizes_tib[i], kinds[k], tu * 1e3, ti * 1e3,
			       (unsigned long long)lb.init_runs,
			       (unsigned long long)lb.init_bytes,
			       (unsigned long long)in,
			       (unsigned long long)bitmap_count(
				       lb.node[0].sm->rs.dirty, regions));
			row = jrow();
			jint(row, "volume_tib", sizes_tib[i]);
			json_object_object_add(row, "bits",
					       json_object_new_string(kinds[k]));
			jint(row, "regions", regions);
			jnum(row, "union_s", tu);
			jnum(row, "init_s", ti);
			jint(row, "init_runs", lb.init_runs);
			jint(row, "init_bytes", lb.init_bytes);
			jint(row, "dirty_in", in);
			jint(row, "dirty_after",
			     bitmap_count(lb.node[0].sm->rs.dirty, regions));
			json_object_array_add(a, row);
			lb_free(&lb);
			free(slot);
			free(uni);
		}
	}
	json_object_object_add(out, "cold_start", a);
}

/*
 * sm_status() (ddraidctl status, daemon.c status_json) and
 * sm_status_brief() (operator events, after every event) with n nodes
 * holding regions: slots 1.. are given to phantom nodes (white-box) and
 * 1% of the regions are held by one of them.
 */
static void part_status(const struct opts *o, json_object *out)
{
	json_object *a = json_object_new_array();
	u32 i, j, s;

	printf("\n== status (4 MiB regions, 1%% of regions held) ==\n");
	printf("%8s %6s %10s %14s %14s\n", "volume", "nodes", "regions",
	       "sm_status ms", "brief ms");
	for (i = 0; i < N_SIZES; i++) {
		u64 regions = regions_of(sizes_tib[i], DDRAID_REGION_DEFAULT), r;
		struct lb lb;

		if (!size_ok(o, sizes_tib[i]))
			continue;
		lb_init(&lb, 1, regions, DDRAID_REGION_DEFAULT);
		lb_start(&lb, 1);
		for (j = 0; j < N_NODES; j++) {
			struct sm *sm = lb.node[0].sm;
			struct sm_status st;
			u32 reps = o->quick ? 2 : 5, n;
			double t0, tf, tb;
			json_object *row;

			for (s = 1; s < node_counts[j]; s++) {
				sm->rs.slot[s].nodeid = 100 + s;
				sm->rs.slot[s].persisted = 1;
				sm->rs.slot[s].status = SS_VIEW;
			}
			for (r = 0; r < regions; r += 100)
				sm->rs.held[r] = 1u << (r / 100 %
							node_counts[j]);
			t0 = cpu_now();
			for (n = 0; n < reps; n++)
				sm_status(sm, &st);
			tf = (cpu_now() - t0) / reps;
			t0 = cpu_now();
			for (n = 0; n < reps * 20; n++)
				sm_status_brief(sm, &st);
			tb = (cpu_now() - t0) / (reps * 20);
			if (st.n_nodes != node_counts[j])
				die("status lists the wrong nodes%s", "");
			printf("%6u Ti %6u %10llu %14.3f %14.3f\n",
			       sizes_tib[i], node_counts[j],
			       (unsigned long long)regions, tf * 1e3,
			       tb * 1e3);
			row = jrow();
			jint(row, "volume_tib", sizes_tib[i]);
			jint(row, "nodes", node_counts[j]);
			jint(row, "regions", regions);
			jnum(row, "status_s", tf);
			jnum(row, "status_brief_s", tb);
			json_object_array_add(a, row);
		}
		lb_free(&lb);
	}
	json_object_object_add(out, "status", a);
}

/*
 * A whole cluster of n real daemons over the loopback: every one started
 * (cold start, then joins), then writes from every node in turn: the
 * fault-free path with real daemons at any count up to 32 (the simulator,
 * tests/sim, runs up to 32 nodes with faults).
 */
static void part_cluster(const struct opts *o, json_object *out)
{
	/* every node holds all of the state: n x 10 B per region */
	static const struct {
		u32 tib, nodes;
	} runs[] = { { 1, 3 }, { 1, 8 }, { 1, 32 }, { 8, 3 }, { 8, 8 },
		     { 64, 3 } };
	json_object *a = json_object_new_array();
	u32 j;

	printf("\n== loopback cluster (4 MiB regions) ==\n");
	printf("%8s %6s %10s %12s %10s %12s %12s\n", "volume", "nodes",
	       "start ms", "cpg msgs", "writes", "events/s", "writes/s");
	for (j = 0; j < sizeof(runs) / sizeof(runs[0]); j++) {
		u32 n = runs[j].nodes, writes = o->quick ? 32 : 320, w;
		u64 regions = regions_of(runs[j].tib, DDRAID_REGION_DEFAULT);
		struct lb lb;
		double t0, ts, tw;
		u64 ev0, m0;
		json_object *row;

		if (!size_ok(o, runs[j].tib))
			continue;
		lb_init(&lb, n, regions, DDRAID_REGION_DEFAULT);
		t0 = cpu_now();
		lb_start(&lb, n);
		ts = cpu_now() - t0;
		if (!all_have_state(&lb))
			die("not every node has state%s", "");
		m0 = lb.cpg_msgs;
		ev0 = lb.handled;
		t0 = cpu_now();
		for (w = 0; w < writes; w++)
			lb_write(&lb, w % n, (u64)w * 7919 % regions);
		tw = cpu_now() - t0;
		printf("%6u Ti %6u %10.1f %12llu %10u %12.0f %12.0f\n",
		       runs[j].tib, n, ts * 1e3,
		       (unsigned long long)m0, writes,
		       (double)(lb.handled - ev0) / tw, writes / tw);
		row = jrow();
		jint(row, "volume_tib", runs[j].tib);
		jint(row, "nodes", n);
		jint(row, "regions", regions);
		jnum(row, "start_s", ts);
		jint(row, "start_cpg_msgs", m0);
		jint(row, "writes", writes);
		jint(row, "events", lb.handled - ev0);
		jint(row, "write_cpg_msgs", lb.cpg_msgs - m0);
		jnum(row, "writes_s", tw);
		json_object_array_add(a, row);
		lb_free(&lb);
	}
	json_object_object_add(out, "cluster", a);
}

static const struct {
	const char *name;
	void (*run)(const struct opts *o, json_object *out);
} parts[] = {
	{ "format", part_format },
	{ "daemon", part_daemon },
	{ "state", part_state },
	{ "cold", part_cold },
	{ "status", part_status },
	{ "cluster", part_cluster },
};
#define N_PARTS	(sizeof(parts) / sizeof(parts[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ddraid-bench-scale [--json FILE] [--quick] [--max-tib N] [--verbose]\n"
		"                          [--only PART]\n"
		"  --json FILE   write every number as one JSON object to FILE\n"
		"  --quick       fewer repetitions: a smoke run, numbers are rough\n"
		"  --max-tib N   largest volume measured: 1, 8 or 64 (default 64)\n"
		"  --verbose     the state machines' log lines on stderr\n"
		"  --only PART   one part: format, daemon, state, cold, status or cluster\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "max-tib", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .max_tib = 64 };
	const char *json_path = NULL;
	json_object *root;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "j:qm:vo:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json_path = optarg;
			break;
		case 'q':
			o.quick = true;
			break;
		case 'm':
			if (strcmp(optarg, "1") && strcmp(optarg, "8") &&
			    strcmp(optarg, "64")) {
				fprintf(stderr, "ddraid-bench-scale: --max-tib wants 1, 8 or 64, not \"%s\"\n",
					optarg);
				return 2;
			}
			o.max_tib = (u32)atoi(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'o':
			for (i = 0; i < N_PARTS; i++)
				if (!strcmp(optarg, parts[i].name))
					break;
			if (i == N_PARTS) {
				fprintf(stderr, "ddraid-bench-scale: --only wants format, daemon, state, cold, status or cluster, not \"%s\"\n",
					optarg);
				return 2;
			}
			o.only = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ddraid-bench-scale: unexpected argument \"%s\"\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	root = json_object_new_object();
	printf("ddraid-bench-scale: CPU times of this process%s\n",
	       o.quick ? " (--quick: rough)" : "");
	for (i = 0; i < N_PARTS; i++)
		if (!o.only || !strcmp(o.only, parts[i].name))
			parts[i].run(&o, root);
	if (json_path && json_object_to_file_ext(json_path, root,
						 JSON_C_TO_STRING_PRETTY)) {
		fprintf(stderr, "ddraid-bench-scale: cannot write %s\n",
			json_path);
		json_object_put(root);
		return 1;
	}
	json_object_put(root);
	return 0;
}
