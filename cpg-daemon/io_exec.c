// SPDX-License-Identifier: GPL-2.0-only
/*
 * IO effects of the state machine on the member devices (io_exec.h).
 *
 * Bitmap updates are read-modify-write of one 4096-byte page, the one that
 * holds the bit (ddraid_cl_bitmap_bit(), the engine's routine too): the
 * page is read from the members (union, as after a crash), the bit
 * changed, and the page written to every member not failed and flushed.
 * Reading first keeps bits another node (the coordinator clearing a
 * crashed node's slot, or our own previous incarnation) wrote; it costs
 * one 4 KiB read per member per update, whatever the slot's size.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cluster_io.h"
#include "io_exec.h"
#include "log.h"
#include "sb_io.h"
#include "scrub_region.h"

/* Mismatching blocks logged one by one per scrubbed region; then a count. */
#define SCRUB_LOG_BLOCKS	16

struct io_job {
	struct io_job *next;
	struct sm_effect fx;	/* pointers replaced by owned copies */
	char *path;
};

struct io_exec {
	struct ddraid_vol *vol;
	struct ddraid_sb sb;	/* cluster facts as last written or read */
	u64 regions;
	u64 region_blocks;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct io_job *head, **tail;
	struct io_done *done_head, **done_tail;
	bool stop;
	int efd;
	struct io_exec_stats st;
};

static u32 not_failed_mask(struct io_exec *io)
{
	u32 m, mask = 0;

	for (m = 0; m < io->sb.members; m++)
		if (io->sb.member[m].state != DDRAID_MEMBER_FAILED &&
		    ddraid_cl_member_fd(io->vol, m) >= 0)
			mask |= 1u << m;
	return mask;
}

/*
 * Before a bit is cleared, everything written to the region must be on
 * every member's platter, not in a disk cache: a host that crashes takes
 * its cache with it, and its member is re-added from the bitmaps, which
 * must still name every region written since its last completed flush
 * (docs/cluster-protocol.md, "host loss"). One flush of each member covers
 * every write that completed before it, whoever wrote it.
 */
static int flush_members(struct io_exec *io, u32 all)
{
	u32 m, open = 0, failed;

	for (m = 0; m < io->sb.members; m++) {
		if (!(all & (1u << m)))
			continue;
		/*
		 * A member we cannot flush (its host gone, our path to it
		 * down) may hold in its cache what its host's crash takes:
		 * the bit stays until it is flushed, or recorded failed.
		 */
		if (ddraid_cl_member_fd(io->vol, m) < 0) {
			log_warn("flush of member %u failed: not open: its bits "
				 "stay", m);
			continue;
		}
		open |= 1u << m;
		io->st.flushes++;
	}
	/* All at once: a flush is a round trip to each member's disk. */
	failed = ddraid_cl_flush_mask(io->vol, open);
	for (m = 0; m < io->sb.members; m++)
		if (failed & (1u << m))
			log_warn("flush of member %u failed: its bits stay", m);
	return open == all && !failed ? 0 : -EIO;
}

static int do_bit(struct io_exec *io, u32 slot, u64 region, bool set,
		  u32 flush)
{
	u32 failed = 0, mask = not_failed_mask(io), all = 0, m;
	int r;

	if (slot >= DDRAID_BITMAP_SLOTS || region >= io->regions)
		return -EINVAL;
	/* every member not failed, its device open here or not */
	for (m = 0; m < io->sb.members; m++)
		if (io->sb.member[m].state != DDRAID_MEMBER_FAILED)
			all |= 1u << m;
	if (!set && flush_members(io, flush))
		return -EIO;
	/* One page of the slot, on each member: lib/cluster_io.c. */
	r = ddraid_cl_bitmap_bit(io->vol, slot, region, set, mask, mask,
				 &failed);
	if (failed)
		log_warn("bitmap slot %u region %llu: IO failed on members 0x%x",
			 slot, (unsigned long long)region, failed);
	/*
	 * A set bit must survive the loss of any one member (invariant 2):
	 * it may miss at most one member not failed (a dead disk the targets
	 * will report, or one this node cannot reach: its own path). Missing
	 * two, the write it guards could not be acknowledged anyway (two
	 * members out for this node): the effect fails, and the grant waits.
	 * A clear that misses members leaves a bit set: harmless.
	 */
	if (r == -EIO && (mask & ~failed) &&
	    (!set || __builtin_popcount(all & ~(mask & ~failed)) <= 1))
		r = 0;
	return r;
}

static void apply_facts(struct io_exec *io, const struct sm_sb_facts *f)
{
	u32 m;

	io->sb.events = f->events;
	for (m = 0; m < io->sb.members; m++) {
		io->sb.member[m].state = f->member[m].state;
		io->sb.member[m].failed_events = f->member[m].failed_events;
		io->sb.member[m].recovery_block = f->member[m].recovery_block;
		ddraid_cl_set_member_state(io->vol, m, f->member[m].state);
	}
	memcpy(io->sb.slot_nodeid, f->slots, sizeof(io->sb.slot_nodeid));
}

/* Slot entries of @want win; entries it leaves free keep what @disk has. */
static void merge_slots(u32 *disk, const u32 *want)
{
	u32 i;

	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		if (want[i])
			disk[i] = want[i];
}

static int do_write_sb(struct io_exec *io, const struct sm_sb_facts *f)
{
	u32 m, wrote = 0, failed = 0, targets = 0;
	int r = 0;

	apply_facts(io, f);
	for (m = 0; m < io->sb.members; m++) {
		struct ddraid_sb s;
		const char *why = NULL;

		if (f->member[m].state == DDRAID_MEMBER_FAILED)
			continue;
		targets |= 1u << m;
		if (ddraid_cl_member_fd(io->vol, m) < 0)
			continue;
		/* Keep the member's own update_seq moving forward. */
		if (ddraid_cl_sb_read(io->vol, m, &s) < 0) {
			s = io->sb;
			s.member_index = m;
		} else if (s.update_seq < io->sb.update_seq) {
			s.update_seq = io->sb.update_seq;
		}
		/*
		 * A former coordinator's write may still be in flight: never
		 * lower a member's events (then only the slot table is
		 * ours to write), never clear a slot entry (slots are only
		 * ever assigned: merge with what is on disk).
		 */
		if (s.events <= io->sb.events) {
			s.events = io->sb.events;
			memcpy(s.member, io->sb.member, sizeof(s.member));
		}
		merge_slots(s.slot_nodeid, io->sb.slot_nodeid);
		s.utime = (u64)time(NULL);
		r = ddraid_cl_sb_write(io->vol, m, &s, &why);
		if (r) {
			log_err("superblock write to member %u failed: %s", m,
				why ? why : strerror(-r));
			failed |= 1u << m;
		} else {
			wrote |= 1u << m;
			if (s.update_seq > io->sb.update_seq)
				io->sb.update_seq = s.update_seq;
		}
	}
	io->st.sb_writes++;
	return sm_sb_written(f, (u32)__builtin_popcount(targets),
			     (u32)__builtin_popcount(wrote)) ? 0 : -EIO;
}

/*
 * Read slot @only (or all slots with -1) as the union over the members,
 * into d->bits; with @only, the union of every other slot into d->others.
 */
static int do_read_slots(struct io_exec *io, struct io_done *d, int only)
{
	size_t len = (size_t)io->sb.bitmap_slot_bytes, k;
	u32 slot, failed;
	u8 *map = malloc(len);

	d->bits = calloc(1, len);
	d->others = only >= 0 ? calloc(1, len) : NULL;
	if (!map || !d->bits || (only >= 0 && !d->others)) {
		free(map);
		return -ENOMEM;
	}
	for (slot = 0; slot < DDRAID_BITMAP_SLOTS; slot++) {
		u8 *into = only < 0 || slot == (u32)only ? d->bits : d->others;

		if (ddraid_cl_bitmap_read(io->vol, slot, map,
					  not_failed_mask(io), &failed)) {
			free(map);
			return -EIO;
		}
		for (k = 0; k < len; k++)
			into[k] |= map[k];
	}
	free(map);
	return 0;
}

/*
 * Member @m's superblock through this node's own path, as it is on the
 * device now (direct IO: the fd is the engine's, opened O_DIRECT). A
 * member whose device is not open is opened again first: a disk that
 * came back through the transport.
 */
static int do_probe(struct io_exec *io, u32 m, struct io_done *d)
{
	const char *path = ddraid_cl_member_path(io->vol, m);
	struct ddraid_sb s;
	int r;

	if (m >= io->sb.members)
		return -EINVAL;
	io->st.probes++;
	if (ddraid_cl_member_fd(io->vol, m) < 0 && path)
		ddraid_cl_member_open(io->vol, m, path);
	if (ddraid_cl_member_fd(io->vol, m) < 0)
		r = -ENXIO;
	else if (ddraid_cl_sb_read(io->vol, m, &s) < 0)
		r = -EIO;
	else if (memcmp(s.uuid, io->sb.uuid, sizeof(s.uuid)) ||
		 s.member_index != m)
		r = -ENODEV;	/* it answers, but is not this member */
	else
		r = 0;
	if (r)
		io->st.probe_errors++;
	else
		d->events = s.events;
	return r;
}

static int do_read_meta(struct io_exec *io, struct io_done *d)
{
	struct ddraid_sb best, s;
	bool have = false;
	int r;
	u32 m;

	u32 slots[DDRAID_BITMAP_SLOTS] = { 0 }, i;

	for (m = 0; m < io->sb.members; m++) {
		if (ddraid_cl_sb_read(io->vol, m, &s) < 0)
			continue;
		if (memcmp(s.uuid, io->sb.uuid, sizeof(s.uuid)))
			continue;
		/*
		 * Slots are only ever assigned, and a slot table write skips
		 * a member being replaced: merge them all, or a claim made
		 * during a rebuild would be lost with the newest copy.
		 */
		for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
			if (!slots[i])
				slots[i] = s.slot_nodeid[i];
		d->meta.read |= 1u << m;
		if (!have || s.events > best.events) {
			best = s;
			have = true;
		}
	}
	if (!have)
		return -EIO;
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		if (best.slot_nodeid[i])
			slots[i] = best.slot_nodeid[i];
	memcpy(best.slot_nodeid, slots, sizeof(slots));
	io->sb.events = best.events;
	memcpy(io->sb.member, best.member, sizeof(best.member));
	memcpy(io->sb.slot_nodeid, best.slot_nodeid, sizeof(best.slot_nodeid));
	for (m = 0; m < io->sb.members; m++)
		ddraid_cl_set_member_state(io->vol, m, best.member[m].state);

	d->meta.events = best.events;
	for (m = 0; m < io->sb.members; m++) {
		d->meta.member[m].state = best.member[m].state;
		d->meta.member[m].failed_events = best.member[m].failed_events;
		d->meta.member[m].recovery_block = best.member[m].recovery_block;
	}
	memcpy(d->meta.slots, best.slot_nodeid, sizeof(d->meta.slots));

	/* Every copy of every slot on every readable member: the union. */
	r = do_read_slots(io, d, -1);
	if (r)
		return r;
	d->meta.dirty = d->bits;
	return 0;
}

/*
 * Once active, a rebuilt member must carry the others' write intent (I2):
 * copy bits @region .. @region + @count - 1 of every slot (union over the
 * other members) onto @m. Per bitmap page they touch (one, unless the
 * span crosses a page), that page (never the whole slot) of all slots is
 * read from the others and from @m in two rounds of IO (one page at a
 * time, 64 rounds, cost more than the region's data under throttled
 * disks), then written to @m where it differs.
 */
static int copy_bits(struct io_exec *io, u32 m, u64 region, u64 count)
{
	size_t bytes = (size_t)io->sb.bitmap_slots * DDRAID_BITMAP_PAGE_BYTES;
	u32 slot, failed, others = not_failed_mask(io) & ~(1u << m);
	u8 *map = malloc(bytes);
	u8 *mine = malloc(bytes);
	u64 page, end = region + count, r0;
	int r = 0;

	if (!map || !mine) {
		free(map);
		free(mine);
		return -ENOMEM;
	}
	for (r0 = region; r0 < end && !r; ) {
		u64 r1, stop;

		page = ddraid_bitmap_page_of(r0);
		stop = (page + 1) * DDRAID_BITMAP_PAGE_BITS;
		if (stop > end)
			stop = end;
		r = ddraid_cl_bitmap_read_pages(io->vol, page, map, others,
						&failed);
		if (!r)
			r = ddraid_cl_bitmap_read_pages(io->vol, page, mine,
							1u << m, &failed);
		for (slot = 0; slot < io->sb.bitmap_slots && !r; slot++) {
			size_t at = (size_t)slot * DDRAID_BITMAP_PAGE_BYTES;
			bool changed = false;

			for (r1 = r0; r1 < stop; r1++)
				changed |= ddraid_bitmap_page_update(mine + at,
					r1, ddraid_bitmap_page_test(map + at,
								    r1));
			if (changed)
				r = ddraid_cl_bitmap_page(io->vol, slot, page,
							  mine + at, 1u << m,
							  &failed);
		}
		r0 = stop;
	}
	free(map);
	free(mine);
	return r;
}

/* The blocks of regions @region .. @region + @count - 1. */
static void region_blocks(struct io_exec *io, u64 region, u64 count,
			  u64 *first, u64 *n)
{
	u64 blocks = io->sb.data_size / DDRAID_BLOCK_SIZE;

	*first = region * io->region_blocks;
	*n = count * io->region_blocks;
	if (*first + *n > blocks)
		*n = blocks - *first;
}

/*
 * Rebuild member @m over regions @region .. @region + @count - 1: runs
 * of regions that are not torn are reconstructed as one stream (the
 * pipeline of ddraid_cl_rebuild_range() stays full across regions); a
 * torn region (@torn, bit k for region + k) of the member's own crashed
 * host is resynced with the returning member read for it: its
 * fragments make the parity whole, old or new per fragment, where
 * reconstructing from that parity would write bytes nobody wrote (docs,
 * "torn regions").
 */
static int rebuild_regions(struct io_exec *io, u32 m, u64 region, u32 count,
			   u32 torn, u32 *failed)
{
	u32 k = 0, run, st = io->sb.member[m].state;
	u64 first, n;
	int r = 0;

	while (k < count && !r) {
		bool is_torn = torn & (1u << k);

		for (run = 1; k + run < count &&
		     !(torn & (1u << (k + run))) == !is_torn; run++)
			;
		region_blocks(io, region + k, run, &first, &n);
		if (is_torn) {
			ddraid_cl_set_member_state(io->vol, m,
						   DDRAID_MEMBER_ACTIVE);
			r = ddraid_cl_resync(io->vol, first, n, failed);
			ddraid_cl_set_member_state(io->vol, m, st);
		} else {
			r = ddraid_cl_rebuild_range(io->vol, m, first, n,
						    failed);
		}
		k += run;
	}
	return r;
}

static int do_region(struct io_exec *io, struct io_job *j,
		     struct io_done *d)
{
	u64 first, n;
	u32 failed = 0;
	int r;

	if (!j->fx.count || j->fx.count > CPGMSG_LOCK_SPAN_MAX)
		return -EINVAL;
	d->regions = j->fx.count;
	if (j->fx.type == SM_FX_RESYNC) {
		if (j->fx.region >= io->regions ||
		    j->fx.count > io->regions - j->fx.region)
			return -EINVAL;
		region_blocks(io, j->fx.region, j->fx.count, &first, &n);
		if (j->fx.missing) {
			/*
			 * A member holds nothing valid here: with a data member
			 * missing the parity is the only copy of its fragments,
			 * with the parity missing there is nothing to compute.
			 */
			log_warn("region %llu not resynced: members 0x%x hold nothing valid there",
				 (unsigned long long)j->fx.region, j->fx.missing);
			return 0;
		}
		r = ddraid_cl_resync(io->vol, first, n, &failed);
		io->st.resyncs += j->fx.count;
	} else {
		if (j->fx.rebuild.region >= io->regions ||
		    j->fx.count > io->regions - j->fx.rebuild.region)
			return -EINVAL;
		region_blocks(io, j->fx.rebuild.region, j->fx.count, &first,
			      &n);
		r = rebuild_regions(io, j->fx.rebuild.member,
				    j->fx.rebuild.region, j->fx.count,
				    j->fx.rebuild.torn, &failed);
		if (!r)
			r = copy_bits(io, j->fx.rebuild.member,
				      j->fx.rebuild.region, j->fx.count);
		io->st.rebuilds += j->fx.count;
	}
	if (r)
		log_err("%s of region %llu failed: %s",
			j->fx.type == SM_FX_RESYNC ? "resync" : "rebuild",
			(unsigned long long)(j->fx.type == SM_FX_RESYNC ?
					     j->fx.region :
					     j->fx.rebuild.region),
			ddraid_errmsg(io->vol));
	else
		d->resynced_blocks = n;
	return r;
}

struct scrub_log {
	u64 region;
	u64 n;
};

static void scrub_mismatch(void *arg, u64 block)
{
	struct scrub_log *l = arg;

	if (l->n++ < SCRUB_LOG_BLOCKS)
		log_warn("scrub: region %llu block %llu: parity differs from the data",
			 (unsigned long long)l->region,
			 (unsigned long long)block);
}

/*
 * Check (and with repair rewrite) the parity of one locked region. The
 * result is the number of blocks whose parity differed, or -errno.
 */
static int do_scrub(struct io_exec *io, const struct sm_effect *fx)
{
	struct scrub_log l = { fx->scrub.region, 0 };
	struct ddraid_scrub_result res;
	u64 first, n;
	u32 failed = 0;
	int r;

	if (fx->scrub.region >= io->regions)
		return -EINVAL;
	region_blocks(io, fx->scrub.region, 1, &first, &n);
	r = ddraid_cl_scrub(io->vol, first, n, fx->scrub.repair,
			    scrub_mismatch, &l, &res, &failed);
	io->st.scrubs++;
	if (r) {
		log_err("scrub of region %llu failed (members 0x%x): %s",
			(unsigned long long)fx->scrub.region, failed,
			ddraid_errmsg(io->vol));
		return r < 0 ? r : -EIO;
	}
	if (l.n > SCRUB_LOG_BLOCKS)
		log_warn("scrub: region %llu: %llu more blocks differ",
			 (unsigned long long)fx->scrub.region,
			 (unsigned long long)(l.n - SCRUB_LOG_BLOCKS));
	if (res.repaired)
		log_notice("scrub: region %llu: parity of %llu blocks rewritten",
			   (unsigned long long)fx->scrub.region,
			   (unsigned long long)res.repaired);
	io->st.scrub_mismatches += res.mismatches;
	io->st.scrub_repaired += res.repaired;
	return res.mismatches > INT_MAX ? INT_MAX : (int)res.mismatches;
}

static void run_job(struct io_exec *io, struct io_job *j, struct io_done *d)
{
	int r;

	switch (j->fx.type) {
	case SM_FX_BIT_SET:
	case SM_FX_BIT_CLEAR:
		r = do_bit(io, j->fx.bit.slot, j->fx.bit.region,
			   j->fx.type == SM_FX_BIT_SET, j->fx.bit.flush);
		if (j->fx.type == SM_FX_BIT_SET)
			io->st.bit_sets++;
		else
			io->st.bit_clears++;
		break;
	case SM_FX_WRITE_SB:
		r = do_write_sb(io, &j->fx.sb);
		break;
	case SM_FX_READ_META:
		r = do_read_meta(io, d);
		break;
	case SM_FX_READ_SLOT:
		r = do_read_slots(io, d, (int)j->fx.slot);
		break;
	case SM_FX_READ_ALL_SLOTS:
		r = do_read_slots(io, d, -1);
		break;
	case SM_FX_RESYNC:
	case SM_FX_REBUILD:
		r = do_region(io, j, d);
		break;
	case SM_FX_SCRUB:
		r = do_scrub(io, &j->fx);
		break;
	case SM_FX_MEMBER_PATH:
		if (!j->path[0]) {
			/* A re-add: the device we have, checked to be the
			 * member it was. */
			r = do_probe(io, j->fx.rebuild.member, d);
			if (r)
				log_err("member %u's returning disk is not "
					"usable here: %s", j->fx.rebuild.member,
					strerror(-r));
			break;
		}
		r = ddraid_cl_member_open(io->vol, j->fx.rebuild.member,
					  j->path);
		if (r)
			log_err("cannot open %s as member %u: %s", j->path,
				j->fx.rebuild.member, strerror(-r));
		break;
	case SM_FX_PROBE:
		r = do_probe(io, j->fx.probe.member, d);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		io->st.errors++;
	d->result = r;
}

static void *worker(void *arg)
{
	struct io_exec *io = arg;

	pthread_mutex_lock(&io->lock);
	for (;;) {
		struct io_job *j;
		struct io_done *d;
		u64 one = 1;

		while (!io->head && !io->stop)
			pthread_cond_wait(&io->cond, &io->lock);
		if (!io->head)
			break;
		j = io->head;
		io->head = j->next;
		if (!io->head)
			io->tail = &io->head;
		pthread_mutex_unlock(&io->lock);

		if (j->fx.type == SM_FX_MEMBER_STATE) {
			u32 m = j->fx.mstate.member;

			/* No completion: the state machine needs none. */
			if (m < io->sb.members) {
				io->sb.member[m].state = j->fx.mstate.state;
				ddraid_cl_set_member_state(io->vol, m,
							   io->sb.member[m].state);
			}
			free(j);
			pthread_mutex_lock(&io->lock);
			io->st.queued--;
			continue;
		}
		d = calloc(1, sizeof(*d));
		if (d) {
			d->type = j->fx.type;
			d->id = j->fx.id;
			run_job(io, j, d);
		}
		free(j->path);
		free(j);

		pthread_mutex_lock(&io->lock);
		io->st.queued--;
		if (d) {
			*io->done_tail = d;
			io->done_tail = &d->next;
			if (write(io->efd, &one, sizeof(one)) < 0)
				log_err("io: eventfd write failed");
		}
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

struct io_exec *io_exec_new(struct ddraid_vol *vol)
{
	struct io_exec *io = calloc(1, sizeof(*io));

	if (!io)
		return NULL;
	io->vol = vol;
	io->sb = *ddraid_vol_sb(vol);
	io->regions = io->sb.regions;
	io->region_blocks = io->sb.region_size / DDRAID_BLOCK_SIZE;
	io->tail = &io->head;
	io->done_tail = &io->done_head;
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	io->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->efd < 0 || pthread_create(&io->thread, NULL, worker, io)) {
		if (io->efd >= 0)
			close(io->efd);
		free(io);
		return NULL;
	}
	return io;
}

void io_exec_free(struct io_exec *io)
{
	struct io_done *d;

	if (!io)
		return;
	pthread_mutex_lock(&io->lock);
	io->stop = true;
	pthread_cond_signal(&io->cond);
	pthread_mutex_unlock(&io->lock);
	pthread_join(io->thread, NULL);
	while ((d = io_exec_pop(io)))
		io_done_free(d);
	close(io->efd);
	ddraid_close(io->vol);
	free(io);
}

int io_exec_fd(const struct io_exec *io)
{
	return io->efd;
}

int io_exec_submit(struct io_exec *io, const struct sm_effect *fx)
{
	struct io_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->fx = *fx;
	if (fx->type == SM_FX_MEMBER_PATH) {
		j->path = strdup(fx->rebuild.path ? fx->rebuild.path : "");
		if (!j->path) {
			free(j);
			return -ENOMEM;
		}
		j->fx.rebuild.path = NULL;
	}
	pthread_mutex_lock(&io->lock);
	*io->tail = j;
	io->tail = &j->next;
	io->st.queued++;
	pthread_cond_signal(&io->cond);
	pthread_mutex_unlock(&io->lock);
	return 0;
}

struct io_done *io_exec_pop(struct io_exec *io)
{
	struct io_done *d;
	u64 v;

	pthread_mutex_lock(&io->lock);
	d = io->done_head;
	if (d) {
		io->done_head = d->next;
		if (!io->done_head)
			io->done_tail = &io->done_head;
	} else if (read(io->efd, &v, sizeof(v)) < 0) {
		/* Nothing left: the counter is reset either way. */
	}
	pthread_mutex_unlock(&io->lock);
	return d;
}

void io_done_free(struct io_done *d)
{
	if (d) {
		free(d->bits);
		free(d->others);
	}
	free(d);
}

void io_exec_stats(struct io_exec *io, struct io_exec_stats *st)
{
	pthread_mutex_lock(&io->lock);
	*st = io->st;
	pthread_mutex_unlock(&io->lock);
}
