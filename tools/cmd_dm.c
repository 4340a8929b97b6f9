// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl table / assemble / stop: the kernel target's table line made
 * from the members' superblocks, and the /dev/mapper device created and
 * removed through libdevmapper. docs/dm-target.md describes the table.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <libdevmapper.h>
#include <linux/dm-ioctl.h>

#include "cli.h"
#include "ddraid_assemble.h"
#include "dm_util.h"

struct table_opts {
	bool verify;
	bool cluster;	/* write intent through ddraidd, not standalone */
	bool force;	/* assemble --force: forced assembly first */
	const char *name;	/* assemble: the device-mapper name */
};

/* What the members on the command line turned out to be. */
struct volume_table {
	struct ddraid_sb sb;		/* the newest superblock */
	const char *path[DDRAID_MAX_MEMBERS];	/* by member index; NULL: absent */
	dev_t dev[DDRAID_MAX_MEMBERS];
	char params[DDRAID_MAX_MEMBERS * 16 + 64];
	u64 sectors;
};

static int build_table(int argc, char **argv, const struct table_opts *o,
		       struct volume_table *t);

/*
 * Before a forced assembly writes superblocks: is device-mapper there and
 * the name free? So that a refusal one can foresee changes nothing.
 */
static int dm_preflight(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	int r = CLI_FAIL;

	if (!dmt || !dm_task_set_name(dmt, name) || !dm_task_run(dmt) ||
	    !dm_task_get_info(dmt, &info))
		cli_err("cannot talk to device-mapper (is dm-mod loaded?): nothing was changed");
	else if (info.exists)
		cli_err("/dev/mapper/%s exists already: nothing was changed", name);
	else
		r = CLI_OK;
	if (dmt)
		dm_task_destroy(dmt);
	return r;
}

/*
 * assemble --force: the members as read (@sbs, @present by member index,
 * @paths) and the plan ddraid_sb_force_set() made of them (@fr its
 * result). Refuses, changing nothing, when nothing needs forcing or
 * forcing cannot help; else libddraid rewrites the superblocks (the same
 * plan: it is a pure function of the same superblocks), says what it
 * assumed, and the table is built again from the new superblocks.
 */
static int force_first(const struct ddraid_sb *sbs, const bool *present,
		       u32 n, const char *const *paths,
		       const struct ddraid_force_plan *plan, int fr,
		       const struct table_opts *o, int argc, char **argv,
		       struct volume_table *t)
{
	struct table_opts again = *o;
	struct ddraid_set_verdict v;
	const char *mp[DDRAID_MAX_MEMBERS];
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_vol *vol;
	u32 m;
	int r;

	if (fr == -EALREADY) {
		if (ddraid_sb_check_set(sbs, present, n, &v) == -ESTALE)
			cli_err("nothing to force: only %s (member %d) is out (stale), and assemble leaves it out by itself: run it without --force",
				paths[v.member], v.member);
		else
			cli_err("nothing to force: the members assemble without --force%s",
				plan->unusable ? " (one member out: the volume runs degraded)" : "");
		return CLI_FAIL;
	}
	if (fr == -EINVAL) {
		cli_err("%s (member %d): %s", paths[plan->member],
			plan->member, plan->why);
		return CLI_FAIL;
	}
	if (fr) {
		cli_err("%u of %u members missing, stale or failed, and a forced assembly cannot help: %s (member %d, %s)",
			ddr_popcount32(plan->unusable), n, plan->why,
			plan->member, plan->member >= 0 && paths[plan->member] ?
			paths[plan->member] : DDRAID_MISSING);
		return CLI_FAIL;
	}
	r = dm_preflight(o->name);
	if (r)
		return r;
	for (m = 0; m < n; m++)
		mp[m] = present[m] ? paths[m] : DDRAID_MISSING;
	err[0] = '\0';
	r = ddraid_open(mp, n, DDRAID_OPEN_FORCE, &vol, err, sizeof(err));
	if (r) {
		cli_err("%s", err[0] ? err : strerror(-r));
		return CLI_FAIL;
	}
	cli_force_report(ddraid_vol_forced(vol), false);
	ddraid_close(vol);
	again.force = false;
	return build_table(argc, argv, &again, t);
}

/*
 * Read every member's superblock, put each at its index, leave out stale
 * and recorded-failed members, and make the table parameters. Prints the
 * reason and returns CLI_FAIL when the members are not one usable volume.
 */
static int build_table(int argc, char **argv, const struct table_opts *o,
		       struct volume_table *t)
{
	struct ddraid_sb sbs[DDRAID_MAX_MEMBERS];
	int idx_of_arg[DDRAID_MAX_MEMBERS];
	char err[DDRAID_ERRMSG_MAX];
	struct ddraid_sb osb[DDRAID_MAX_MEMBERS];	/* by member index */
	bool present[DDRAID_MAX_MEMBERS] = { false };
	struct ddraid_set_verdict v;
	struct ddraid_force_plan plan;
	const char *plan_paths[DDRAID_MAX_MEMBERS];
	char hint[DDRAID_ERRMSG_MAX];
	int first = -1, i, r;
	unsigned int m, n;
	size_t len;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < argc; i++) {
		struct ddraid_sb *sb = &sbs[i];
		struct stat st;

		idx_of_arg[i] = -1;
		if (!strcmp(argv[i], DDRAID_MISSING))
			continue;
		if (stat(argv[i], &st)) {
			cli_err("%s: %s", argv[i], strerror(errno));
			return CLI_FAIL;
		}
		if (!S_ISBLK(st.st_mode)) {
			cli_err("%s: not a block device (the kernel target needs one; for an image file use losetup)",
				argv[i]);
			return CLI_FAIL;
		}
		r = ddraid_read_member_sb(argv[i], sb, NULL, err, sizeof(err));
		if (r) {
			cli_err("%s", err[0] ? err : strerror(-r));
			return CLI_FAIL;
		}
		if (first < 0) {
			first = i;
		} else if (!ddraid_sb_same_volume(sb, &sbs[first])) {
			cli_err("%s is not a member of the volume of %s (other uuid or geometry)",
				argv[i], argv[first]);
			return CLI_FAIL;
		}
		if (t->path[sb->member_index]) {
			cli_err("%s and %s both say they are member %u",
				t->path[sb->member_index], argv[i],
				sb->member_index);
			return CLI_FAIL;
		}
		t->path[sb->member_index] = argv[i];
		t->dev[sb->member_index] = st.st_rdev;
		idx_of_arg[i] = (int)sb->member_index;
	}
	if (first < 0) {
		cli_err("no member given (only '%s')", DDRAID_MISSING);
		return CLI_FAIL;
	}
	n = sbs[first].members;
	for (i = 0; i < argc; i++)
		if (idx_of_arg[i] >= 0) {
			osb[idx_of_arg[i]] = sbs[i];
			present[idx_of_arg[i]] = true;
		}
	/* As given: the stale loop below forgets the stale members' paths. */
	memcpy(plan_paths, t->path, sizeof(plan_paths));
	r = ddraid_sb_force_set(osb, present, n, &plan);
	if (o->force)
		return force_first(osb, present, n, t->path, &plan, r, o, argc,
				   argv, t);
	/*
	 * The verdict the kernel will reach too (common/ddraid_assemble.c):
	 * a stale member is left out as '-' and the rest judged again.
	 */
	while ((r = ddraid_sb_check_set(osb, present, n, &v)) == -ESTALE) {
		cli_warn("%s (member %d) is stale (events %" PRIu64
			 ", behind the volume's): left out",
			 t->path[v.member], v.member, osb[v.member].events);
		present[v.member] = false;
		t->path[v.member] = NULL;
	}
	if (r) {
		if (v.member >= 0)
			cli_err("%s (member %d): %s", t->path[v.member],
				v.member, v.why);
		else if (r == -ENODEV && v.newest >= 0)
			cli_err("%u of %u members missing, stale or failed: at most one may be%s%s",
				ddr_popcount32(v.absent | v.recorded_failed |
					       v.rebuilding), n,
				plan.out >= 0 ? "; assemble --force would accept " : "",
				plan.out >= 0 ? ddraid_force_describe(&plan,
					plan_paths, hint, sizeof(hint)) : "");
		else
			cli_err("%s", v.why);
		return CLI_FAIL;
	}
	t->sb = osb[v.newest];
	for (m = 0; m < n; m++) {
		if (v.recorded_failed & (1u << m)) {
			cli_warn("%s (member %u) is recorded failed: left out",
				 t->path[m], m);
			t->path[m] = NULL;
		} else if (v.rebuilding & (1u << m)) {
			cli_err("%s (member %u) is rebuilding: the kernel target cannot use it yet",
				t->path[m], m);
			return CLI_FAIL;
		} else if (v.lagging & (1u << m)) {
			cli_warn("%s (member %u) missed the last superblock update: the target brings it up to date",
				 t->path[m], m);
		} else if (!t->path[m] &&
			   t->sb.member[m].state == DDRAID_MEMBER_ACTIVE) {
			cli_warn("member %u is missing: the volume runs degraded",
				 m);
		}
	}

	t->sectors = t->sb.data_size >> 9;
	len = (size_t)snprintf(t->params, sizeof(t->params), "%u",
			       t->sb.members);
	for (m = 0; m < t->sb.members; m++) {
		if (t->path[m])
			len += (size_t)snprintf(t->params + len,
						sizeof(t->params) - len,
						" %u:%u", major(t->dev[m]),
						minor(t->dev[m]));
		else
			len += (size_t)snprintf(t->params + len,
						sizeof(t->params) - len, " -");
	}
	snprintf(t->params + len, sizeof(t->params) - len, " %u %s%s",
		 o->verify ? 2u : 1u, o->cluster ? "cluster" : "standalone",
		 o->verify ? " verify" : "");
	return CLI_OK;
}

/* The kernel's reason for refusing a table, from the kernel log. */
static void print_kernel_reason(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *last = NULL, *save;
	int n;

	if (size <= 0)
		return;
	buf = malloc((size_t)size + 1);
	if (!buf)
		return;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n > 0) {
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			if (strstr(line, "device-mapper: table:") &&
			    strstr(line, DDRAID_DM_TARGET))
				last = line;
		if (last)
			cli_err("kernel: %s", strstr(last, "device-mapper:"));
	}
	free(buf);
}

int cmd_table(const struct cli_args *a)
{
	struct table_opts o = {
		.verify = a->given[TABLE_VERIFY],
		.cluster = a->given[TABLE_CLUSTER],
	};
	struct volume_table t;
	int r;

	/* Accepted by the parser to point to the command that forces. */
	if (a->given[TABLE_FORCE])
		return cli_usage("unknown option '--force' (table only prints; assemble --force forces an assembly)");
	r = cli_need_members(a->argc);
	if (r)
		return r;
	r = build_table(a->argc, a->argv, &o, &t);
	if (r)
		return r;
	printf("0 %" PRIu64 " %s %s\n", t.sectors, DDRAID_DM_TARGET, t.params);
	return CLI_OK;
}

int cmd_assemble(const struct cli_args *a)
{
	struct table_opts o = {
		.verify = a->given[ASSEMBLE_VERIFY],
		.cluster = a->given[ASSEMBLE_CLUSTER],
		.force = a->given[ASSEMBLE_FORCE],
	};
	const char *name = a->str[ASSEMBLE_NAME];
	struct volume_table t;
	char uuid[DM_UUID_LEN];
	struct dm_task *dmt;
	unsigned int i;
	int r;

	/* The name itself was checked against the volume-name rule. */
	if (!name)
		return cli_usage("--name NAME is required");
	r = cli_need_members(a->argc);
	if (r)
		return r;
	o.name = name;
	r = build_table(a->argc, a->argv, &o, &t);
	if (r)
		return r;

	i = (unsigned int)snprintf(uuid, sizeof(uuid), CLI_DM_UUID_PREFIX);
	for (r = 0; r < DDRAID_UUID_BYTES; r++)
		i += (unsigned int)snprintf(uuid + i, sizeof(uuid) - i, "%02x",
					    t.sb.uuid[r]);
	dmt = dm_task_create(DM_DEVICE_CREATE);
	if (!dmt) {
		cli_err("cannot talk to device-mapper (is dm-mod loaded?)");
		return CLI_FAIL;
	}
	if (!dm_task_set_name(dmt, name) || !dm_task_set_uuid(dmt, uuid) ||
	    !dm_task_add_target(dmt, 0, t.sectors, DDRAID_DM_TARGET, t.params)) {
		cli_err("cannot prepare the device-mapper request");
		dm_task_destroy(dmt);
		return CLI_FAIL;
	}
	if (!ddraid_dm_run_synced(dmt)) {
		cli_err("creating /dev/mapper/%s with table '0 %" PRIu64 " %s %s' failed%s",
			name, t.sectors, DDRAID_DM_TARGET, t.params,
			o.force ? " (the forced assembly is recorded: the next assemble needs no --force)" : "");
		print_kernel_reason();
		dm_task_destroy(dmt);
		return CLI_FAIL;
	}
	dm_task_destroy(dmt);
	printf("/dev/mapper/%s\n", name);
	return CLI_OK;
}

/* Is @name a device whose only target is ddraid? */
static int check_is_ddraid(const char *name)
{
	struct dm_task *dmt = dm_task_create(DM_DEVICE_TABLE);
	char *type, *params;
	uint64_t start, length;
	struct dm_info info;
	int r = CLI_FAIL;

	if (!dmt) {
		cli_err("cannot talk to device-mapper (is dm-mod loaded?)");
		return CLI_FAIL;
	}
	if (!dm_task_set_name(dmt, name) || !dm_task_run(dmt) ||
	    !dm_task_get_info(dmt, &info)) {
		cli_err("cannot query device-mapper device '%s'", name);
		goto out;
	}
	if (!info.exists) {
		cli_err("no device-mapper device '%s'", name);
		goto out;
	}
	if (!ddraid_dm_one_target(dmt, &start, &length, &type, &params)) {
		cli_err("'%s' is not a ddraid device (target '%s'): not removed",
			name, type ? type : "none");
		goto out;
	}
	r = CLI_OK;
out:
	dm_task_destroy(dmt);
	return r;
}

int cmd_stop(const struct cli_args *a)
{
	const char *name = a->argv[0];
	struct dm_task *dmt;
	int r;

	r = check_is_ddraid(name);
	if (r)
		return r;
	dmt = dm_task_create(DM_DEVICE_REMOVE);
	if (!dmt || !dm_task_set_name(dmt, name) || !ddraid_dm_run_synced(dmt)) {
		cli_err("removing '%s' failed (still open or mounted?)", name);
		if (dmt)
			dm_task_destroy(dmt);
		return CLI_FAIL;
	}
	dm_task_destroy(dmt);
	return CLI_OK;
}
