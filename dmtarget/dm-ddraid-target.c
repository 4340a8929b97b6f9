// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-ddraid: RAID 3.5 over 2, 3, 5 or 9 member block devices.
 *
 * Table line (docs/dm-target.md):
 *
 *   <start> <len> ddraid <#members> <dev|-> ... <#opt_args>
 *           standalone|cluster [verify] [rebuild <member>]
 *
 * Members are given in member order, "-" for an absent one. The target
 * reads every member's superblock itself and refuses a table that does not
 * describe one consistent, current volume. "standalone": one node owns the
 * volume, no write intent. "cluster": every write waits until ddraidd
 * granted its region, through /dev/ddraid (dm-ddraid-chan.c). "rebuild
 * <member>" (cluster mode): that member is a new or returning device for
 * an online rebuild; its superblock is not read and it is neither read
 * nor written until ddraidd says so. A reload keeps the cluster state
 * (grants, locks, the daemon): ddraid_preresume().
 */
#include <linux/module.h>
#include <linux/blkdev.h>

#include "dm-ddraid.h"

static void ddraid_event_work(struct work_struct *work)
{
	struct ddraid_ctx *ctx = container_of(work, struct ddraid_ctx,
					      event_work);

	dm_table_event(ctx->ti->table);
}

static void ddraid_put_members(struct ddraid_ctx *ctx)
{
	u32 m;

	for (m = 0; m < DDRAID_MAX_MEMBERS; m++)
		if (ctx->member[m].dev)
			dm_put_device(ctx->ti, ctx->member[m].dev);
}

static int parse_members(struct ddraid_ctx *ctx, struct dm_arg_set *as)
{
	static const struct dm_arg members_arg = {
		2, DDRAID_MAX_MEMBERS, "Invalid member count (2, 3, 5 or 9)"
	};
	struct dm_target *ti = ctx->ti;
	unsigned int n, m;
	int ret;

	ret = dm_read_arg(&members_arg, as, &n, &ti->error);
	if (ret)
		return ret;
	if (ddraid_members_to_k(n) < 0) {
		ti->error = "Invalid member count (2, 3, 5 or 9)";
		return -EINVAL;
	}
	if (as->argc < n) {
		ti->error = "Fewer member devices than the member count";
		return -EINVAL;
	}
	ctx->geom.members = n;
	for (m = 0; m < n; m++) {
		const char *path = dm_shift_arg(as);

		if (!strcmp(path, "-")) {
			__set_bit(m, &ctx->missing);
			continue;
		}
		ret = dm_get_device(ti, path, dm_table_get_mode(ti->table),
				    &ctx->member[m].dev);
		if (ret) {
			ti->error = "Member device lookup failed";
			return ret;
		}
	}
	if (hweight_long(ctx->missing) > 1) {
		ti->error = "More than one member missing";
		return -EINVAL;
	}
	return 0;
}

/* "rebuild <member>": a member given by device, once. */
static int parse_rebuild(struct ddraid_ctx *ctx, struct dm_arg_set *as,
			 unsigned int *nopt)
{
	struct dm_target *ti = ctx->ti;
	unsigned int m;

	if (!*nopt || ctx->rebuild) {
		ti->error = "rebuild needs one member index, once";
		return -EINVAL;
	}
	(*nopt)--;
	if (kstrtouint(dm_shift_arg(as), 10, &m) || m >= ctx->geom.members) {
		ti->error = "rebuild: member index out of range";
		return -EINVAL;
	}
	if (!ctx->member[m].dev) {
		ti->error = "rebuild: the member is given as -";
		return -EINVAL;
	}
	__set_bit(m, &ctx->rebuild);
	return 0;
}

static int parse_options(struct ddraid_ctx *ctx, struct dm_arg_set *as)
{
	static const struct dm_arg opt_args = {
		0, 4, "Invalid number of optional arguments"
	};
	struct dm_target *ti = ctx->ti;
	unsigned int nopt;
	int ret;

	ret = dm_read_arg_group(&opt_args, as, &nopt, &ti->error);
	if (ret)
		return ret;
	while (nopt--) {
		const char *opt = dm_shift_arg(as);

		if (!strcasecmp(opt, "standalone") && !ctx->standalone) {
			ctx->standalone = true;
		} else if (!strcasecmp(opt, "cluster") && !ctx->cluster) {
			ctx->cluster = true;
		} else if (!strcasecmp(opt, "verify") && !ctx->verify) {
			ctx->verify = true;
		} else if (!strcasecmp(opt, "rebuild")) {
			ret = parse_rebuild(ctx, as, &nopt);
			if (ret)
				return ret;
		} else {
			ti->error = "Unknown or repeated optional argument";
			return -EINVAL;
		}
	}
	if (as->argc) {
		ti->error = "Extra arguments after the optional arguments";
		return -EINVAL;
	}
	if (ctx->standalone == ctx->cluster) {
		ti->error = "Give exactly one of standalone and cluster";
		return -EINVAL;
	}
	if (ctx->rebuild && !ctx->cluster) {
		ti->error = "rebuild needs cluster mode (standalone: ddraidctl rebuild --offline)";
		return -EINVAL;
	}
	return 0;
}

/* ti->error for a refusal of the shared assembly verdict. */
static char *verdict_error(int ret, const struct ddraid_set_verdict *v)
{
	switch (ret) {
	case -ESTALE:
		return "Member is stale (event counter behind)";
	case -ENODEV:
		return v->newest < 0 ? "No member present" :
		       "More than one member missing, recorded failed or rebuilding";
	default:
		return v->why && strstr(v->why, "position") ?
		       "Member in the wrong position" :
		       v->why && strstr(v->why, "count") ?
		       "Member count differs from the superblock" :
		       "Member belongs to another volume";
	}
}

/* Device facts the superblocks cannot vouch for. */
static int check_member_device(struct ddraid_ctx *ctx, u32 m)
{
	struct dm_dev *dev = ctx->member[m].dev;
	u32 lbs = bdev_logical_block_size(dev->bdev);

	if (bdev_nr_bytes(dev->bdev) < ctx->sb.member_size) {
		DMERR("member %u (%s): %llu bytes, volume needs %llu",
		      m, dev->name, bdev_nr_bytes(dev->bdev),
		      ctx->sb.member_size);
		ctx->ti->error = "Member device too small";
		return -EINVAL;
	}
	if (!ddraid_geom_member_lbs_ok(&ctx->geom, lbs)) {
		DMERR("member %u (%s): logical block size %u, fragment %u",
		      m, dev->name, lbs, ctx->geom.frag_size);
		ctx->ti->error = "Member logical block size does not divide the fragment size";
		return -EINVAL;
	}
	return 0;
}

/*
 * Read every present member's superblock and let the verdict shared with
 * userspace (common/ddraid_assemble.c) say whether together they are one
 * current volume in table order. Leaves the newest superblock in ctx->sb
 * and brings members one metadata update behind up to date.
 */
static int check_members(struct ddraid_ctx *ctx)
{
	struct dm_target *ti = ctx->ti;
	bool present[DDRAID_MAX_MEMBERS] = { false };
	struct ddraid_set_verdict v;
	struct ddraid_sb *sbs;
	const char *why;
	u32 m;
	int ret = 0;

	sbs = kcalloc(ctx->geom.members, sizeof(*sbs), GFP_KERNEL);
	if (!sbs) {
		ti->error = "Cannot allocate memory";
		return -ENOMEM;
	}
	for (m = 0; m < ctx->geom.members; m++) {
		struct dm_dev *dev = ctx->member[m].dev;
		u32 lbs;

		/* A device to be rebuilt holds nothing to believe yet. */
		if (!dev || test_bit(m, &ctx->rebuild))
			continue;
		lbs = bdev_logical_block_size(dev->bdev);
		if (lbs > DDRAID_SB_BYTES) {
			DMERR("member %u (%s): logical block size %u", m,
			      dev->name, lbs);
			ti->error = "Member logical block size larger than 4096";
			ret = -EINVAL;
			goto out;
		}
		ret = ddraid_read_sb(dev->bdev, ctx->sb_page, &sbs[m], &why);
		if (ret) {
			DMERR("member %u (%s): %s", m, dev->name, why);
			ti->error = ret == -ENODATA ?
				"Member has no ddraid superblock" :
				ret == -EIO ? "Member superblock unreadable" :
				"Member superblock invalid";
			goto out;
		}
		present[m] = true;
	}
	ret = ddraid_sb_check_set(sbs, present, ctx->geom.members, &v);
	if (ret) {
		if (v.member >= 0)
			DMERR("member %d (%s): %s", v.member,
			      ctx->member[v.member].dev->name, v.why);
		else
			DMERR("%s", v.why);
		ti->error = verdict_error(ret, &v);
		ret = -EINVAL;
		goto out;
	}
	ctx->sb = sbs[v.newest];
	ret = ddraid_sb_geom(&ctx->sb, &ctx->geom);
	if (ret) {
		ti->error = "Superblock geometry invalid";
		goto out;
	}

	ret = -EINVAL;
	if (v.rebuilding) {
		m = __ffs(v.rebuilding);
		DMERR("member %u (%s) is being rebuilt", m,
		      ctx->member[m].dev->name);
		ti->error = "Member is rebuilding: give it with the rebuild option (cluster mode)";
		goto out;
	}
	if (v.recorded_failed) {
		m = __ffs(v.recorded_failed);
		DMERR("member %u (%s) is recorded failed", m,
		      ctx->member[m].dev->name);
		ti->error = "Member is recorded failed: give it as -";
		goto out;
	}
	for (m = 0; m < ctx->geom.members; m++) {
		if (ctx->sb.member[m].state == DDRAID_MEMBER_FAILED)
			__set_bit(m, &ctx->recorded);
		if (ctx->member[m].dev && check_member_device(ctx, m))
			goto out;
	}
	/* Standalone; the cluster-mode core starts from ctx->sb itself. */
	ctx->failed = ctx->missing | ctx->recorded;
	if (ti->len != ctx->sb.data_size >> SECTOR_SHIFT) {
		DMERR("table length %llu sectors, volume %llu",
		      (unsigned long long)ti->len,
		      ctx->sb.data_size >> SECTOR_SHIFT);
		ti->error = "Table length does not match the volume size";
		goto out;
	}
	ret = 0;
	if (v.lagging && ctx->cluster) {
		/* The daemons write superblocks in cluster mode, not we. */
		DMWARN("members %#x one superblock update behind; left to ddraidd",
		       v.lagging);
	} else if (v.lagging && !(dm_table_get_mode(ti->table) & FMODE_WRITE)) {
		DMWARN("members %#x one superblock update behind; read-only table leaves them",
		       v.lagging);
	} else if (v.lagging) {
		ret = ddraid_catch_up_members(ctx, v.lagging);
		if (ret)
			ti->error = "Cannot bring a lagging member's superblock up to date";
	}
out:
	kfree(sbs);
	return ret;
}

static int ddraid_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct ddraid_ctx *ctx;
	bool cluster_init = false;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ctx->ti = ti;
	ti->private = ctx;
	mutex_init(&ctx->sb_lock);
	spin_lock_init(&ctx->wlock);
	INIT_LIST_HEAD(&ctx->inflight_writes);
	INIT_LIST_HEAD(&ctx->waiting_writes);
	INIT_WORK(&ctx->event_work, ddraid_event_work);
	atomic64_set(&ctx->reads, 0);
	atomic64_set(&ctx->writes, 0);
	atomic64_set(&ctx->reconstructs, 0);
	atomic64_set(&ctx->member_errors, 0);
	atomic64_set(&ctx->mismatches, 0);

	ret = parse_members(ctx, &as);
	if (!ret)
		ret = parse_options(ctx, &as);
	if (ret)
		goto bad;
	ctx->sb_page = alloc_page(GFP_KERNEL);
	if (!ctx->sb_page) {
		ti->error = "Cannot allocate superblock page";
		ret = -ENOMEM;
		goto bad;
	}
	ret = check_members(ctx);
	if (ret)
		goto bad;

	ctx->max_io_blocks = min_t(u32, DDRAID_MAX_IO_BLOCKS,
				   DDRAID_PS_BYTES >> ctx->geom.frag_shift);
	if (ctx->cluster) {
		ret = ddraid_cluster_init(ctx);
		if (ret) {
			ti->error = ret == -ENOMEM ?
				"Cannot allocate the region table" :
				"Superblock region size invalid";
			goto bad;
		}
		cluster_init = true;
		/*
		 * Both powers of two: dm then splits bios at region
		 * boundaries, and each write has exactly one region.
		 */
		ctx->max_io_blocks = min_t(u64, ctx->max_io_blocks,
					   ctx->cl.region_blocks);
	}
	ret = dm_set_target_max_io_len(ti, ctx->max_io_blocks <<
				       (DDRAID_BLOCK_SHIFT - SECTOR_SHIFT));
	if (ret)
		goto bad;
	ret = ddraid_pool_init(ctx);
	if (ret) {
		ti->error = "Cannot allocate bio_set or page pool";
		goto bad;
	}
	ctx->wq = alloc_workqueue("kddraidd", WQ_MEM_RECLAIM, 0);
	if (!ctx->wq) {
		ti->error = "Cannot allocate workqueue";
		ddraid_pool_exit(ctx);
		ret = -ENOMEM;
		goto bad;
	}

	ti->num_flush_bios = 1;
	/* Discard and write-zeroes are refused: see docs/dm-target.md. */
	ti->num_discard_bios = 0;
	ti->num_write_zeroes_bios = 0;
	ti->per_io_data_size = sizeof(struct ddraid_io);
	if (ctx->cluster)
		ddraid_chan_register(ctx);
	return 0;

bad:
	if (cluster_init)
		ddraid_cluster_exit(ctx);
	ddraid_put_members(ctx);
	if (ctx->sb_page)
		__free_page(ctx->sb_page);
	kfree(ctx);
	return ret;
}

static void ddraid_dtr(struct dm_target *ti)
{
	struct ddraid_ctx *ctx = ti->private;

	if (ctx->cluster) {
		ddraid_chan_unregister(ctx);
		ddraid_cluster_exit(ctx);
	}
	destroy_workqueue(ctx->wq);
	cancel_work_sync(&ctx->event_work);
	ddraid_pool_exit(ctx);
	ddraid_put_members(ctx);
	__free_page(ctx->sb_page);
	kfree(ctx);
}

static char health_char(struct ddraid_ctx *ctx, unsigned long failed,
			unsigned long noread, u32 m)
{
	if (test_bit(m, &ctx->missing))
		return '-';
	if (test_bit(m, &failed))
		return 'D';
	return test_bit(m, &noread) ? 'R' : 'A';
}

static void ddraid_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result,
			  unsigned int maxlen)
{
	struct ddraid_ctx *ctx = ti->private;
	unsigned int sz = 0, down;
	unsigned long rebuild, failed, noread;
	u32 m;

	ddraid_member_masks(ctx, &failed, &noread);
	switch (type) {
	case STATUSTYPE_INFO:
		down = hweight_long(failed);
		DMEMIT("%u ", ctx->geom.members);
		for (m = 0; m < ctx->geom.members; m++)
			DMEMIT("%c", health_char(ctx, failed, noread, m));
		DMEMIT(" %s %lld %lld %lld %lld %lld",
		       !down ? "ok" : down == 1 ? "degraded" : "failed",
		       atomic64_read(&ctx->reads),
		       atomic64_read(&ctx->writes),
		       atomic64_read(&ctx->reconstructs),
		       atomic64_read(&ctx->member_errors),
		       atomic64_read(&ctx->mismatches));
		if (ctx->cluster)
			ddraid_cluster_status(ctx, result, maxlen, &sz);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%u", ctx->geom.members);
		for (m = 0; m < ctx->geom.members; m++)
			DMEMIT(" %s", ctx->member[m].dev ?
			       ctx->member[m].dev->name : "-");
		/*
		 * "rebuild" only while the member is not yet in use, so
		 * that a reload with this table does not take a rebuilt
		 * member out again.
		 */
		rebuild = ctx->rebuild & (failed | noread);
		DMEMIT(" %u %s%s", 1 + ctx->verify + 2 * !!rebuild,
		       ctx->cluster ? "cluster" : "standalone",
		       ctx->verify ? " verify" : "");
		if (rebuild)
			DMEMIT(" rebuild %lu", __ffs(rebuild));
		break;
	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",members=%u,standalone=%c,cluster=%c,verify=%c,rebuild=%lx;",
		       ctx->geom.members, ctx->standalone ? 'y' : 'n',
		       ctx->cluster ? 'y' : 'n', ctx->verify ? 'y' : 'n',
		       ctx->rebuild);
		break;
	}
}

/*
 * "fail <member index>": take a member out as if it had failed (its
 * failure is recorded on the others' superblocks with the next write, or
 * now when only one member is down). "clear_counters": zero the counters.
 */
static int ddraid_message(struct dm_target *ti, unsigned int argc,
			  char **argv, char *result, unsigned int maxlen)
{
	struct ddraid_ctx *ctx = ti->private;
	unsigned int m;

	if (argc == 2 && !strcasecmp(argv[0], "fail")) {
		if (kstrtouint(argv[1], 10, &m) || m >= ctx->geom.members) {
			DMERR("fail: member index %s out of range", argv[1]);
			return -EINVAL;
		}
		ddraid_fail_members(ctx, 1ul << m);
		/* In cluster mode the daemons record it (MEMBER_ERROR). */
		if (ctx->standalone && ddraid_down_count(ctx) == 1 &&
		    ddraid_record_failures(ctx))
			DMERR("fail: could not record member %u failed", m);
		return 0;
	}
	if (argc == 1 && !strcasecmp(argv[0], "clear_counters")) {
		atomic64_set(&ctx->reads, 0);
		atomic64_set(&ctx->writes, 0);
		atomic64_set(&ctx->reconstructs, 0);
		atomic64_set(&ctx->member_errors, 0);
		atomic64_set(&ctx->mismatches, 0);
		return 0;
	}
	DMERR("unknown message (use: fail <member> | clear_counters)");
	return -EINVAL;
}

static int ddraid_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct ddraid_ctx *ctx = ti->private;
	sector_t start = ctx->geom.data_offset >> SECTOR_SHIFT;
	sector_t len = ddraid_member_bytes(&ctx->geom, ctx->geom.blocks) >>
		       SECTOR_SHIFT;
	int ret = 0;
	u32 m;

	for (m = 0; m < ctx->geom.members && !ret; m++)
		if (ctx->member[m].dev)
			ret = fn(ti, ctx->member[m].dev, start, len, data);
	return ret;
}

static void ddraid_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct ddraid_ctx *ctx = ti->private;

	/* Whole volume blocks only: no sub-block IO may ever arrive. */
	limits->logical_block_size = DDRAID_BLOCK_SIZE;
	limits->physical_block_size = DDRAID_BLOCK_SIZE;
	blk_limits_io_min(limits, DDRAID_BLOCK_SIZE);
	/* 64 KiB per data member: each member sees 64 KiB contiguous IO. */
	blk_limits_io_opt(limits, ctx->geom.data_members * (64u << 10));
}

static void ddraid_presuspend(struct dm_target *ti)
{
	struct ddraid_ctx *ctx = ti->private;

	if (ctx->cluster)
		ddraid_cluster_presuspend(ctx, dm_noflush_suspending(ti));
}

static void ddraid_postsuspend(struct dm_target *ti)
{
	struct ddraid_ctx *ctx = ti->private;

	if (ctx->cluster)
		ddraid_cluster_postsuspend(ctx);
}

/* Also presuspend_undo: the suspend was interrupted. */
static void ddraid_resume(struct dm_target *ti)
{
	struct ddraid_ctx *ctx = ti->private;

	if (ctx->cluster)
		ddraid_cluster_resume(ctx);
}

static int ddraid_preresume(struct dm_target *ti)
{
	struct ddraid_ctx *ctx = ti->private;

	if (ctx->cluster)
		ddraid_chan_go_live(ctx);
	return 0;
}

static struct target_type ddraid_target = {
	.name = "ddraid",
	.version = {1, 2, 0},
	.module = THIS_MODULE,
	.ctr = ddraid_ctr,
	.dtr = ddraid_dtr,
	.map = ddraid_map,
	.status = ddraid_status,
	.message = ddraid_message,
	.presuspend = ddraid_presuspend,
	.presuspend_undo = ddraid_resume,
	.postsuspend = ddraid_postsuspend,
	.preresume = ddraid_preresume,
	.resume = ddraid_resume,
	.iterate_devices = ddraid_iterate_devices,
	.io_hints = ddraid_io_hints,
};

static int __init dm_ddraid_init(void)
{
	int ret;

	ret = ddraid_chan_init();
	if (ret)
		return ret;
	ret = dm_register_target(&ddraid_target);
	if (ret)
		ddraid_chan_exit();
	return ret;
}

static void __exit dm_ddraid_exit(void)
{
	dm_unregister_target(&ddraid_target);
	ddraid_chan_exit();
}

module_init(dm_ddraid_init);
module_exit(dm_ddraid_exit);

MODULE_DESCRIPTION(DM_NAME " RAID 3.5 target (ddraid)");
MODULE_LICENSE("GPL");
