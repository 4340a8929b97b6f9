// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated member disks and the daemons' IO effects on them. A block's
 * fragment is a 64-bit tag naming the write version and the member, and
 * the parity member holds the XOR of the data tags, so parity consistency
 * and "which version does this block read as" are cheap to check.
 */
#include <stdlib.h>

#include "sim.h"

u64 frag_value(u64 version, u32 member, u32 members)
{
	if (!version)
		return 0;
	return version << 4 | (member + 1);
}

void disk_init(struct sim *s)
{
	u32 m, i;

	for (m = 0; m < s->members; m++) {
		struct sim_disk *d = &s->disk[m];

		memset(d, 0, sizeof(*d));
		d->sb.events = 1;
		for (i = 0; i < s->members; i++)
			d->sb.member[i].state = DDRAID_MEMBER_ACTIVE;
		for (i = 0; i < SIM_MAX_REGIONS; i++)
			d->rebuilt[i] = true;
	}
}

const struct sim_sb *disk_newest_sb(const struct sim *s)
{
	const struct sim_sb *best = NULL;
	u32 m;

	for (m = 0; m < s->members; m++)
		if (sim_disk_present(s, m) &&
		    (!best || s->disk[m].sb.events > best->events))
			best = &s->disk[m].sb;
	return best ? best : &s->disk[0].sb;
}

/*
 * Members that do not count as holding valid data (or metadata) right now:
 * dead, gone with their host, or not active in the newest superblock
 * (failed, being rebuilt).
 */
u32 disk_missing(const struct sim *s)
{
	const struct sim_sb *sb = disk_newest_sb(s);
	u32 m, mask = 0;

	for (m = 0; m < s->members; m++)
		if (!sim_disk_present(s, m) || s->disk[m].stale ||
		    sb->member[m].state != DDRAID_MEMBER_ACTIVE)
			mask |= 1u << m;
	return mask;
}

/* The node owning slot @slot as the superblocks record it, merged over
 * the members as the runtime reads them (slots are only ever assigned). */
/*
 * The slot table merged over every disk that still exists (a host that is
 * down or stopped keeps its disk's table): a claim is written on one
 * member at least and carried by every later superblock write; the
 * cluster's state holds it meanwhile (sm_sb_written()).
 */
u32 sim_slot_node(const struct sim *s, u32 slot)
{
	u32 m;

	for (m = 0; m < s->members; m++)
		if (!s->disk[m].dead && s->disk[m].sb.slots[slot])
			return s->disk[m].sb.slots[slot];
	return 0;
}

/*
 * Node @id's slot: as the disks name it, else as the cluster's state does
 * (a claim written on one member only, which then died: every cold start
 * counts every slot's bits as dirty whoever owns it, see sm_sb_written()).
 */
int sim_slot_of(const struct sim *s, u32 id)
{
	struct sm_status st;
	u32 i, k;

	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		if (sim_slot_node(s, i) == id)
			return (int)i;
	for (i = 0; i < s->n_nodes; i++) {
		if (!s->node[i].up || !s->node[i].d.alive)
			continue;
		sm_status(s->node[i].d.sm, &st);
		if (!st.has_state)
			continue;
		for (k = 0; k < st.n_nodes; k++)
			if (st.node[k].nodeid == id && st.node[k].slot >= 0)
				return st.node[k].slot;
	}
	return -1;
}

/* A flush: what member m holds is on its platter now. */
static void flush(struct sim *s, u32 m)
{
	memcpy(s->disk[m].durable, s->disk[m].frag,
	       sizeof(s->disk[m].durable));
}

void disk_issue(struct sim *s, struct sim_node *n, const struct sm_effect *fx)
{
	struct sim_io *io = NULL;
	u32 i;

	for (i = 0; i < SIM_MAX_IO; i++) {
		if (!n->io[i].used) {
			io = &n->io[i];
			break;
		}
	}
	if (!io) {
		sim_fail(s, "sim: node %u has too much IO in flight", n->id);
		return;
	}
	memset(io, 0, sizeof(*io));
	io->used = true;
	io->type = fx->type;
	io->id = fx->id;
	io->incarnation = n->d.incarnation;
	/*
	 * I6: shared metadata and region IO are decided with quorum. (An IO
	 * decided just before a partition may land just after it; the
	 * quorate side waits fence_delay before touching shared metadata.)
	 */
	if ((fx->type == SM_FX_WRITE_SB || fx->type == SM_FX_RESYNC ||
	     fx->type == SM_FX_REBUILD || fx->type == SM_FX_SCRUB) &&
	    !n->d.quorate)
		sim_fail(s, "I6: node %u issued IO type %u without quorum",
			 n->id, fx->type);
	/* Issue order is kept: a later IO is never due before an earlier. */
	io->due = s->step + 1 + sim_rand(s, 4);
	for (i = 0; i < SIM_MAX_IO; i++)
		if (n->io[i].used && &n->io[i] != io && n->io[i].due > io->due)
			io->due = n->io[i].due;
	switch (fx->type) {
	case SM_FX_BIT_SET:
	case SM_FX_BIT_CLEAR:
		io->slot = fx->bit.slot;
		io->region = fx->bit.region;
		io->missing = fx->bit.flush;
		break;
	case SM_FX_WRITE_SB:
		io->sb = fx->sb;
		break;
	case SM_FX_READ_SLOT:
		io->slot = fx->slot;
		break;
	case SM_FX_RESYNC:
		io->region = fx->region;
		io->count = fx->count;
		io->missing = fx->missing;
		break;
	case SM_FX_REBUILD:
	case SM_FX_MEMBER_PATH:
		io->member = fx->rebuild.member;
		io->region = fx->rebuild.region;
		io->count = fx->count;
		break;
	case SM_FX_SCRUB:
		io->region = fx->scrub.region;
		io->repair = fx->scrub.repair;
		break;
	case SM_FX_PROBE:
		io->member = fx->probe.member;
		break;
	}
	if (fx->type == SM_FX_REBUILD)
		io->torn = fx->rebuild.torn;
	/* The runtime's bounds (cpg-daemon/io_exec.c): 1..LOCK_SPAN_MAX
	 * regions inside the volume. */
	if ((fx->type == SM_FX_RESYNC || fx->type == SM_FX_REBUILD) &&
	    (!io->count || io->count > CPGMSG_LOCK_SPAN_MAX ||
	     io->region >= s->regions || io->count > s->regions - io->region))
		sim_fail(s, "node %u: %s of %u regions from %llu, which the "
			 "runtime refuses", n->id,
			 fx->type == SM_FX_RESYNC ? "resync" : "rebuild",
			 io->count, (unsigned long long)io->region);
}

/*
 * A bit, on every member node @n reaches (bitmap pages are written and
 * flushed). Clearing one first flushes every member: the runtime's
 * contract (cpg-daemon/io_exec.c), without which a host's power loss
 * could take acknowledged writes of a region nobody marks any more. It
 * fails, changing nothing, when a member that is not failed is out of
 * reach (that member's cache would not be flushed).
 */
static int apply_bits(struct sim *s, struct sim_node *n,
		      const struct sim_io *io)
{
	u32 m, done = 0;

	if (io->type == SM_FX_BIT_CLEAR) {
		/* every member it must flush, reached */
		for (m = 0; m < s->members; m++)
			if (io->missing & (1u << m) && !sim_reach(s, n, m))
				return -EIO;
		for (m = 0; m < s->members; m++)
			if (s->brk != BREAK_NO_FLUSH && sim_reach(s, n, m))
				flush(s, m);
	}
	for (m = 0; m < s->members; m++)
		if (sim_reach(s, n, m)) {
			s->disk[m].bits[io->slot][io->region] =
				io->type == SM_FX_BIT_SET;
			done |= 1u << m;
		}
	sim_trace(s, "node %u: bit %s slot %u region %llu on members %#x",
		  n->id, io->type == SM_FX_BIT_SET ? "set" : "cleared",
		  io->slot, (unsigned long long)io->region, done);
	/* As the runtime: a set bit misses at most one member not failed. */
	if (io->type == SM_FX_BIT_SET) {
		const struct sim_sb *sb = disk_newest_sb(s);
		u32 missed = 0;

		for (m = 0; m < s->members; m++)
			if (sb->member[m].state != DDRAID_MEMBER_FAILED &&
			    !(done & (1u << m)))
				missed++;
		if (missed > 1)
			return -EIO;
	}
	return done ? 0 : -EIO;
}

static int apply_sb(struct sim *s, struct sim_node *n,
		    const struct sim_io *io)
{
	u32 m, i, wrote = 0, targets = 0, prev[SIM_MAX_MEMBERS];

	for (m = 0; m < s->members; m++)
		prev[m] = disk_newest_sb(s)->member[m].state;

	/*
	 * The runtime encodes superblocks with ddraid_sb_encode(), which
	 * refuses a failure event count on a member that is not failed (or
	 * one beyond the events): such a write fails for ever.
	 */
	for (m = 0; m < s->members; m++) {
		const struct cpgmsg_member *mi = &io->sb.member[m];

		if (mi->state == DDRAID_MEMBER_FAILED ?
		    mi->failed_events > io->sb.events : mi->failed_events != 0)
			sim_fail(s, "superblock write the format refuses: member %u state %u failed_events %llu (events %llu)",
				 m, mi->state,
				 (unsigned long long)mi->failed_events,
				 (unsigned long long)io->sb.events);
	}

	for (m = 0; m < s->members; m++) {
		struct sim_disk *d = &s->disk[m];

		if (io->sb.member[m].state == DDRAID_MEMBER_FAILED)
			continue;
		targets++;
		if (!sim_reach(s, n, m))
			continue;
		/* Written and flushed, like every superblock. */
		flush(s, m);
		wrote++;
		/* Slots are only ever assigned: merge them. */
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
			if (io->sb.slots[i])
				d->sb.slots[i] = io->sb.slots[i];
		/* A late write of a former coordinator: never go back. */
		if (d->sb.events > io->sb.events)
			continue;
		d->sb.events = io->sb.events;
		memcpy(d->sb.member, io->sb.member, sizeof(d->sb.member));
	}
	/* A member the cluster calls active again is valid everywhere. */
	for (m = 0; wrote && m < s->members; m++)
		if (io->sb.member[m].state == DDRAID_MEMBER_ACTIVE) {
			for (i = 0; i < SIM_MAX_REGIONS; i++)
				s->disk[m].rebuilt[i] = true;
			s->disk[m].blank = false;
			/* active again after its failure: rebuilt */
			if (prev[m] != DDRAID_MEMBER_ACTIVE) {
				s->disk[m].stale = false;
				s->disk[m].full_rebuild = false;
				for (i = 0; i < SIM_MAX_REGIONS; i++)
					s->written_away[i] &= ~(1u << m);
			}
		}
	return sm_sb_written(&io->sb, targets, wrote) ? 0 : -EIO;
}

/* Node @n reaches every member in @mask. */
static bool reaches(struct sim *s, struct sim_node *n, u32 mask)
{
	u32 m;

	for (m = 0; m < s->members; m++)
		if (mask & (1u << m) && !sim_reach(s, n, m))
			return false;
	return true;
}

/*
 * Recompute parity of region r from the data members, unless the state
 * machine names a member missing (then there is nothing it may do). A
 * member it calls present had better hold valid data: the checks see.
 */
static int do_resync(struct sim *s, struct sim_node *n, u64 r, u32 missing)
{
	u32 pm = s->members - 1, m;
	u64 b;

	s->n_resyncs++;
	if (s->brk == BREAK_NO_RESYNC || missing)
		return 0;
	if (!reaches(s, n, (1u << s->members) - 1))
		return -EIO;	/* the IO fails */
	for (b = r * SIM_BPR; b < (r + 1) * SIM_BPR; b++) {
		u64 x = 0;

		for (m = 0; m < pm; m++)
			x ^= s->disk[m].frag[b];
		s->disk[pm].frag[b] = x;
	}
	return 0;
}

/*
 * Rebuild member @target's part of region r: reconstruct it from the
 * others, or, for a region of torn writes of its own crashed host
 * (@resync), recompute the parity from every data member, the returning
 * one included. A torn block whose fragment is reconstructed from its
 * torn parity may read as anything from now on; that is the documented
 * price only where the region was written while the member was away, or
 * the member is a new disk (docs/cluster-protocol.md, "torn regions").
 */
static int do_rebuild(struct sim *s, struct sim_node *n, u32 target, u64 r,
		      bool resync)
{
	u32 m, pm = s->members - 1;
	u64 b;

	s->n_rebuilds++;
	if (!reaches(s, n, (1u << s->members) - 1))
		return -EIO;
	for (b = r * SIM_BPR; b < (r + 1) * SIM_BPR; b++) {
		u64 x = 0;

		if (resync) {
			for (m = 0; m < pm; m++)
				x ^= s->disk[m].frag[b];
			s->disk[pm].frag[b] = x;
			continue;
		}
		for (m = 0; m < s->members; m++)
			if (m != target)
				x ^= s->disk[m].frag[b];
		/* (a mirror's copy is a version: nothing is made up) */
		if (s->torn[b] && (s->torn_by_host[b] & (1u << target)) &&
		    target != pm && s->members > 2 &&
		    s->disk[target].frag[b] != x) {
			if (!(s->written_away[r] & (1u << target)) &&
			    !s->disk[target].blank &&
			    !s->disk[target].full_rebuild)
				sim_fail(s, "torn regions: member %u's returning "
					 "fragment of block %llu (torn by its "
					 "host's crash) replaced by one made "
					 "up from torn parity, though nobody "
					 "wrote region %llu while it was away",
					 target, (unsigned long long)b,
					 (unsigned long long)r);
			s->garbage_ok[b] |= 1u << target;
		}
		if (s->torn[b] && target != pm && s->members > 2 &&
		    s->disk[target].frag[b] != x)
			s->garbage_ok[b] |= 1u << target;
		s->disk[target].frag[b] = x;
	}
	/* and the write intent the other members record for r */
	for (b = 0; b < DDRAID_BITMAP_SLOTS; b++) {
		u8 bit = 0;

		for (m = 0; m < s->members; m++)
			if (m != target)
				bit |= s->disk[m].bits[b][r];
		s->disk[target].bits[b][r] = bit;
	}
	s->disk[target].rebuilt[r] = true;
	return 0;
}

/*
 * Scrub region r: compare parity with the XOR of the data, rewrite it in
 * repair mode. Nothing here corrupts parity behind the cluster's back, and
 * the scrub locks only regions the cluster holds clean with every member
 * active: any block that differs means the scrub ran where a write was in
 * flight or torn, i.e. the lock or the choice of region is wrong.
 */
static int do_scrub(struct sim *s, struct sim_node *n, u64 r, bool repair)
{
	u32 pm = s->members - 1, m;
	int bad = 0;
	u64 b;

	if (!reaches(s, n, (1u << s->members) - 1))
		return -EIO;	/* the IO fails */
	s->n_scrubs++;
	for (b = r * SIM_BPR; b < (r + 1) * SIM_BPR; b++) {
		u64 x = 0;

		for (m = 0; m < pm; m++)
			x ^= s->disk[m].frag[b];
		if (x == s->disk[pm].frag[b])
			continue;
		bad++;
		/*
		 * A write whose member IO is done but for one member it
		 * retries (a path fault, the target holds it), or one that
		 * failed: not corruption, a write in progress or torn.
		 */
		if (s->busy[b] || s->eio_torn[b]) {
			if (repair)
				s->disk[pm].frag[b] = x;
			continue;
		}
		sim_fail(s, "scrub: block %llu (region %llu) parity differs "
			 "from its data in a region the scrub holds clean and "
			 "locked", (unsigned long long)b,
			 (unsigned long long)r);
		/* Only parity is ever written, and only in repair mode. */
		if (repair)
			s->disk[pm].frag[b] = x;
	}
	return bad;
}

static void union_slot(const struct sim *s, const struct sim_node *n,
		       u32 slot, u8 *map)
{
	u32 m, r;

	for (m = 0; m < s->members; m++)
		for (r = 0; r < s->regions; r++)
			if (sim_reach(s, n, m) && s->disk[m].bits[slot][r])
				ddraid_bit_set(map, r);
}

/* The newest superblock among the members node @n reaches. */
static const struct sim_sb *newest_reached(const struct sim *s,
					   const struct sim_node *n)
{
	const struct sim_sb *best = NULL;
	u32 m;

	for (m = 0; m < s->members; m++)
		if (sim_reach(s, n, m) &&
		    (!best || s->disk[m].sb.events > best->events))
			best = &s->disk[m].sb;
	return best;
}

bool disk_complete(struct sim *s, struct sim_node *n)
{
	struct sim_io *io = NULL, copy;
	struct sm_event ev = { .type = SM_EV_IO_DONE };
	struct sm_meta meta;
	u8 map[(SIM_MAX_REGIONS + 7) / 8], others[(SIM_MAX_REGIONS + 7) / 8];
	u32 i;

	for (i = 0; i < SIM_MAX_IO; i++)
		if (n->io[i].used && n->io[i].due <= s->step &&
		    (!io || n->io[i].due < io->due ||
		     (n->io[i].due == io->due && n->io[i].id < io->id)))
			io = &n->io[i];
	if (!io)
		return false;
	copy = *io;
	io->used = false;
	memset(map, 0, sizeof(map));
	memset(others, 0, sizeof(others));
	memset(&meta, 0, sizeof(meta));
	switch (copy.type) {
	case SM_FX_BIT_SET:
	case SM_FX_BIT_CLEAR:
		ev.io.result = apply_bits(s, n, &copy);
		break;
	case SM_FX_WRITE_SB:
		ev.io.result = apply_sb(s, n, &copy);
		break;
	case SM_FX_READ_META: {
		const struct sim_sb *sb = newest_reached(s, n);
		u32 m;

		if (!sb) {
			ev.io.result = -EIO;
			break;
		}
		meta.events = sb->events;
		memcpy(meta.member, sb->member, sizeof(meta.member));
		/* Slot tables merged, as the runtime does (io_exec.c). */
		memcpy(meta.slots, sb->slots, sizeof(meta.slots));
		for (m = 0; m < s->members; m++) {
			if (!sim_reach(s, n, m))
				continue;
			meta.read |= 1u << m;
			for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
				if (!meta.slots[i])
					meta.slots[i] = s->disk[m].sb.slots[i];
		}
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
			union_slot(s, n, i, map);
		meta.dirty = map;
		ev.io.meta = &meta;
		break;
	}
	case SM_FX_READ_SLOT:
		union_slot(s, n, copy.slot, map);
		ev.io.bits = map;
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
			if (i != copy.slot)
				union_slot(s, n, i, others);
		ev.io.others = others;
		break;
	case SM_FX_PROBE:
		/* The member's superblock through this node's path. */
		if (!sim_reach(s, n, copy.member)) {
			ev.io.result = -EIO;
		} else {
			ev.io.events = s->disk[copy.member].sb.events;
			if (s->disk[copy.member].blank)
				ev.io.result = -ENODEV;
		}
		break;
	case SM_FX_READ_ALL_SLOTS:
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
			union_slot(s, n, i, map);
		ev.io.bits = map;
		break;
	case SM_FX_RESYNC:
	case SM_FX_REBUILD:
		if (copy.count > 1 && copy.type == SM_FX_REBUILD)
			s->n_spans++;
		else if (copy.count > 1)
			s->n_resync_spans++;
		/* region by region, as far as the first that fails */
		for (i = 0; i < copy.count && !ev.io.result; i++) {
			u64 r = copy.region + i;

			if (tgt_inflight_region(s, (u32)r))
				sim_fail(s, "I5: %s of region %llu while a "
					 "write is in flight there",
					 copy.type == SM_FX_RESYNC ?
					 "resync" : "rebuild",
					 (unsigned long long)r);
			if (copy.type == SM_FX_RESYNC)
				ev.io.result = do_resync(s, n, r,
							 copy.missing);
			else
				ev.io.result = do_rebuild(s, n, copy.member, r,
							  copy.torn &
							  (1u << i));
		}
		break;
	case SM_FX_MEMBER_PATH:
		/* A re-add: the device must answer as that member. */
		if (!sim_reach(s, n, copy.member))
			ev.io.result = -EIO;
		break;
	case SM_FX_SCRUB:
		if (tgt_inflight_region(s, (u32)copy.region))
			sim_fail(s, "I5: scrub of region %llu while a write is "
				 "in flight there",
				 (unsigned long long)copy.region);
		ev.io.result = do_scrub(s, n, copy.region, copy.repair);
		break;
	}
	if (!n->d.alive || n->d.incarnation != copy.incarnation)
		return true;
	ev.io.id = copy.id;
	sim_trace(s, "node %u: IO %llu done (type %u)", n->id,
		  (unsigned long long)copy.id, copy.type);
	sim_feed(s, n, &ev);
	return true;
}

void disk_drop(struct sim *s, struct sim_node *n, bool tear)
{
	u32 i;

	for (i = 0; i < SIM_MAX_IO; i++) {
		struct sim_io *io = &n->io[i];

		if (!io->used)
			continue;
		io->used = false;
		/* Metadata IO already submitted may or may not land. */
		if (!tear || sim_rand(s, 2))
			continue;
		if (io->type == SM_FX_BIT_SET || io->type == SM_FX_BIT_CLEAR)
			apply_bits(s, n, io);
	}
}
