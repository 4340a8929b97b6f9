// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl rebuild: with --offline, reconstruct a lost member onto a new
 * device here; without, hand over to the online rebuild (cmd_online.c).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <uuid.h>

#include "cli.h"

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strcmp(a, b))
		return true;
	if (stat(a, &sa) || stat(b, &sb))
		return false;
	if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode))
		return sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * NEWDEV may be blank, or an old copy of this volume's member coming back;
 * a member of some other volume, or a device with a filesystem or
 * partition table, is refused without --force.
 */
static int check_new(const char *newdev, const struct ddraid_sb *vsb,
		     bool force)
{
	char err[DDRAID_ERRMSG_MAX], uu[37], found[128];
	struct ddraid_sb sb;

	if (force)
		return CLI_OK;
	if (ddraid_read_member_sb(newdev, &sb, NULL, err, sizeof(err))) {
		/* Not a ddraid member: is it something else worth keeping? */
		if (cli_find_signatures(newdev, found, sizeof(found)) > 0) {
			cli_err("%s: holds a signature (%s); use --force to overwrite it",
				newdev, found);
			return CLI_FAIL;
		}
		return CLI_OK;
	}
	if (!memcmp(sb.uuid, vsb->uuid, DDRAID_UUID_BYTES))
		return CLI_OK;
	uuid_unparse(sb.uuid, uu);
	cli_err("%s: holds a superblock of another volume ('%s' uuid %s); use --force to overwrite it",
		newdev, sb.name, uu);
	return CLI_FAIL;
}

/* After a refusal for staleness: which member is stale (-1: unknown). */
static int stale_member(int n, char **members)
{
	struct ddraid_sb sb[DDRAID_MAX_MEMBERS];
	bool present[DDRAID_MAX_MEMBERS] = { false };
	struct ddraid_set_verdict v;
	int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(members[i], DDRAID_MISSING))
			continue;
		if (ddraid_read_member_sb(members[i], &sb[i], NULL, NULL, 0))
			return -1;
		present[i] = true;
	}
	if (ddraid_sb_check_set(sb, present, (u32)n, &v) != -ESTALE)
		return -1;
	return v.member;
}

/*
 * Assemble read-only, to check everything before anything is written:
 * that the other members are a complete source (else say so), that a
 * forced assembly would leave out exactly member @m, and that NEWDEV may
 * be overwritten.
 */
static int precheck(int n, char **members, u32 m, bool force_asm,
		    const char *newdev, bool force)
{
	unsigned int flags = DDRAID_OPEN_RDONLY |
			     (force_asm ? DDRAID_OPEN_FORCE : 0);
	char err[DDRAID_ERRMSG_MAX];
	const struct ddraid_forced *f;
	struct ddraid_vol *vol;
	int r, other;

	err[0] = '\0';
	r = ddraid_open((const char *const *)members, (unsigned int)n, flags,
			&vol, err, sizeof(err));
	if (r) {
		cli_err("cannot rebuild member %u%s: %s%s", m,
			r == -ENODEV || (r == -ESTALE &&
					 stale_member(n, members) != (int)m) ?
			": the other members are no complete source" : "",
			err[0] ? err : strerror(-r),
			strstr(err, DDRAID_FORCE_HINT) ?
			" (--force-assembly does that)" : "");
		return CLI_FAIL;
	}
	f = ddraid_vol_forced(vol);
	if (f && f->plan.out != (int)m) {
		cli_err("cannot rebuild member %u: the forced assembly would accept it and leave member %d (%s) out; only that member can be rebuilt from the others",
			m, f->plan.out, members[f->plan.out]);
		ddraid_close(vol);
		return CLI_FAIL;
	}
	/* The one member out is the one to rebuild: else no source. */
	other = ddraid_vol_missing(vol);
	if (!f && other >= 0 && (u32)other != m) {
		cli_err("cannot rebuild member %u: member %d (%s) is out, so the others are no complete source; member %u is in use: did you mean --member %d?",
			m, other, members[other], m, other);
		ddraid_close(vol);
		return CLI_FAIL;
	}
	r = check_new(newdev, ddraid_vol_sb(vol), force);
	ddraid_close(vol);
	return r;
}

/* Options of the other form of rebuild: name the first one given. */
static int other_form(const struct cli_args *a, const int *opts, int n,
		      const char *why)
{
	int i;

	for (i = 0; i < n; i++)
		if (a->given[opts[i]])
			return cli_usage("option '--%s' is %s",
					 a->cmd->opts[opts[i]].name, why);
	return CLI_OK;
}

int cmd_rebuild(const struct cli_args *a)
{
	static const int offline_only[] = { REBUILD_NEW, REBUILD_FORCE,
					    REBUILD_FORCE_ASSEMBLY };
	static const int online_only[] = { REBUILD_BITMAP };
	const char *newdev = a->str[REBUILD_NEW];
	bool force = a->given[REBUILD_FORCE];
	bool force_asm = a->given[REBUILD_FORCE_ASSEMBLY];
	u64 m = a->num[REBUILD_MEMBER];
	struct cli_progress prog;
	struct ddraid_vol *vol;
	char **argv = a->argv;
	int r, i, n;

	if (!a->given[REBUILD_OFFLINE]) {
		r = other_form(a, offline_only, 3,
			       "for rebuild --offline (without --offline, rebuild asks ddraidd)");
		return r ? r : cmd_online_rebuild(a);
	}
	r = other_form(a, online_only, 1,
		       "for the online rebuild (without --offline)");
	if (r)
		return r;
	if (!a->given[REBUILD_MEMBER])
		return cli_usage("--member N is required");
	if (!newdev)
		return cli_usage("--new NEWDEV is required");
	n = a->argc;
	r = cli_need_members(n);
	if (r)
		return r;
	if (m >= (u64)n)
		return cli_usage("member %" PRIu64 " does not exist: %d members given",
				 m, n);
	for (i = 0; i < n; i++)
		if (strcmp(argv[i], DDRAID_MISSING) &&
		    same_file(newdev, argv[i]))
			return cli_usage("%s is member %d of the volume: the new device must be another one",
					 newdev, i);
	r = precheck(n, argv, (u32)m, force_asm, newdev, force);
	if (r)
		return r;
	r = cli_open_volume(n, argv, force_asm ? DDRAID_OPEN_FORCE : 0, &vol);
	if (r)
		return r;
	cli_progress_init(&prog, "rebuilding");
	r = ddraid_rebuild(vol, (u32)m, newdev, cli_progress_cb, &prog);
	cli_progress_done(&prog);
	if (r) {
		cli_err("%s", ddraid_errmsg(vol));
		ddraid_close(vol);
		return CLI_FAIL;
	}
	printf("member %" PRIu64 " rebuilt onto %s: %" PRIu64 " blocks\n", m,
	       newdev, ddraid_vol_size(vol) >> DDRAID_BLOCK_SHIFT);
	ddraid_close(vol);
	return CLI_OK;
}
