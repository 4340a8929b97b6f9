// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl erase: the ddraid superblocks of members zeroed on purpose
 * (mdadm --zero-superblock), so that a disk can be used for something
 * else without a stale member left behind for udev and assembly to find.
 *
 * Every device is checked before any is written, and one refusal erases
 * nothing: a device with no ddraid superblock, one that a running volume
 * uses, and one that also holds another signature (the ddraid superblock
 * may be debris under a newer filesystem, which zeroing could damage).
 * "In use" is what can be seen from here: a ddraid device-mapper device
 * holding it (sysfs holders, through any stack of dm devices), any other
 * program holding the block device exclusively (the open with O_EXCL
 * fails: the kernel's own answer), or the volume's ddraidd answering on
 * its control socket (which also covers members that are files).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <uuid.h>

#include "cli.h"
#include "sb_io.h"

/* Deeper dm stacks than this are not followed. */
#define HOLDER_DEPTH	8

struct target {
	const char *path;
	struct stat st;
	int fd;
	bool sb_ok;		/* a valid copy: the volume is known */
	struct ddraid_sb sb;
	unsigned int magic;	/* copies that carry the ddraid magic */
};

/*
 * Is the block device whose sysfs directory is @dir held, directly or
 * through other dm devices, by a device-mapper device of ours? Its name
 * goes to @name. $DDRAID_SYSFS_DIR stands for /sys in the tests.
 */
static bool held_by_ddraid(const char *dir, int depth, char *name,
			   size_t len)
{
	char sub[PATH_MAX], line[256];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(sub, sizeof(sub), "%s/holders", dir);
	d = opendir(sub);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/holders/%s/dm/uuid", dir,
			 e->d_name);
		cli_attr_read(sub, line, sizeof(line));
		if (!strncmp(line, CLI_DM_UUID_PREFIX,
			     strlen(CLI_DM_UUID_PREFIX))) {
			snprintf(sub, sizeof(sub), "%s/holders/%s/dm/name",
				 dir, e->d_name);
			cli_attr_read(sub, name, len);
			if (!name[0])
				snprintf(name, len, "%s", e->d_name);
			found = true;
		} else if (depth < HOLDER_DEPTH) {
			snprintf(sub, sizeof(sub), "%s/holders/%s", dir,
				 e->d_name);
			found = held_by_ddraid(sub, depth + 1, name, len);
		}
	}
	closedir(d);
	return found;
}

static bool running_dm_holder(const struct stat *st, char *name, size_t len)
{
	const char *sys = getenv("DDRAID_SYSFS_DIR");
	char dir[PATH_MAX];

	if (!S_ISBLK(st->st_mode))
		return false;
	snprintf(dir, sizeof(dir), "%s/dev/block/%u:%u",
		 sys && *sys ? sys : "/sys", major(st->st_rdev),
		 minor(st->st_rdev));
	return held_by_ddraid(dir, 0, name, len);
}

/*
 * Does the volume's ddraidd answer for it? A daemon of another volume
 * that happens to have the same name (its uuid differs) does not count.
 */
static bool daemon_answers(const struct ddraid_sb *sb)
{
	json_object *req, *resp = NULL, *v;
	char why[128], uu[37];
	bool ours;

	if (ddraid_check_volume_name(sb->name, why, sizeof(why)))
		return false;	/* no daemon can serve such a name */
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	if (cli_ctl_ask(sb->name, req, &resp, true)) {
		json_object_put(req);
		return false;
	}
	json_object_put(req);
	uuid_unparse(sb->uuid, uu);
	ours = !json_object_object_get_ex(resp, "uuid", &v) ||
	       !strcasecmp(json_object_get_string(v), uu);
	json_object_put(resp);
	return ours;
}

static void describe(const struct target *t, char *buf, size_t len)
{
	char uu[37];

	if (!t->sb_ok) {
		snprintf(buf, len, "damaged superblock");
		return;
	}
	uuid_unparse(t->sb.uuid, uu);
	snprintf(buf, len, "volume '%s' uuid %s, member %u of %u",
		 t->sb.name, uu, t->sb.member_index, t->sb.members);
}

/*
 * Open @t and read what it holds; refuse (printing why, returning
 * CLI_FAIL) what may not be erased. @force skips the in-use checks and
 * the other-signature check, never the superblock check.
 */
static int check_one(struct target *t, bool force)
{
	struct ddraid_sb_copies c;
	char name[256], found[128], what[160];
	bool blk = S_ISBLK(t->st.st_mode);
	int r, i;

	/*
	 * A ddraid device-mapper device holding it: say which, before the
	 * exclusive open below fails for the same reason without a name.
	 */
	if (running_dm_holder(&t->st, name, sizeof(name))) {
		if (!force) {
			cli_err("%s is a member of the running volume /dev/mapper/%s: stop it first (ddraidctl stop %s), or give --force",
				t->path, name, name);
			return CLI_FAIL;
		}
		cli_warn("%s is a member of the running volume /dev/mapper/%s: erasing it anyway (--force)",
			 t->path, name);
	}
	/* O_EXCL on a block device: fails while anyone holds it so. */
	t->fd = open(t->path, O_RDWR | O_CLOEXEC |
		     (blk && !force ? O_EXCL : 0));
	if (t->fd < 0) {
		if (errno == EBUSY)
			cli_err("%s is in use (mounted, or held by device-mapper, md or another program): not erased; give --force to erase it anyway",
				t->path);
		else
			cli_err("%s: cannot open for writing: %s", t->path,
				strerror(errno));
		return CLI_FAIL;
	}
	r = ddraid_sb_read_fd(t->fd, &t->sb, &c);
	if (r == -ENODATA) {
		cli_err("%s: no ddraid superblock (no magic at byte %llu or %llu): nothing to erase",
			t->path, (unsigned long long)DDRAID_SB_OFFSET(0),
			(unsigned long long)DDRAID_SB_OFFSET(1));
		return CLI_FAIL;
	}
	if (r < 0 && r != -EBADMSG && r != -EINVAL && r != -EPROTONOSUPPORT) {
		cli_err("%s: cannot read the superblocks: %s", t->path,
			strerror(-r));
		return CLI_FAIL;
	}
	t->sb_ok = r >= 0;
	/* Only a copy with our magic is ours to zero. */
	for (i = 0; i < DDRAID_SB_COPIES; i++)
		if (c.err[i] != -ENODATA)
			t->magic |= 1u << i;
	describe(t, what, sizeof(what));
	if (t->sb_ok && daemon_answers(&t->sb)) {
		if (!force) {
			cli_err("%s (%s): the volume's ddraidd answers on its control socket: stop the volume first, or give --force",
				t->path, what);
			return CLI_FAIL;
		}
		cli_warn("%s (%s): the volume's ddraidd answers: erasing it anyway (--force)",
			 t->path, what);
	}
	if (cli_find_signatures(t->path, found, sizeof(found)) > 0) {
		if (!force) {
			cli_err("%s also holds a signature (%s): the ddraid superblock (%s) may be left over from before it, and zeroing it could damage that; give --force to erase it anyway",
				t->path, found, what);
			return CLI_FAIL;
		}
		cli_warn("%s also holds a signature (%s): erasing the ddraid superblock anyway (--force)",
			 t->path, found);
	}
	return CLI_OK;
}

static bool same_device(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static int erase_one(const struct target *t)
{
	char what[160];
	struct ddraid_sb sb;
	int r;

	describe(t, what, sizeof(what));
	r = ddraid_sb_erase_fd(t->fd, t->magic);
	if (r) {
		cli_err("%s: erasing the superblock: %s", t->path, strerror(-r));
		return CLI_FAIL;
	}
	/* Read back: no copy may still be found. */
	r = ddraid_sb_read_fd(t->fd, &sb, NULL);
	if (r != -ENODATA) {
		cli_err("%s: a ddraid superblock is still there after erasing it",
			t->path);
		return CLI_FAIL;
	}
	printf("%s: ddraid superblock erased (%s)\n", t->path, what);
	return CLI_OK;
}

int cmd_erase(const struct cli_args *a)
{
	bool force = a->given[ERASE_FORCE];
	struct target *t;
	int i, j, r = CLI_OK;

	t = calloc((size_t)a->argc, sizeof(*t));
	if (!t) {
		cli_err("out of memory");
		return CLI_FAIL;
	}
	for (i = 0; i < a->argc; i++) {
		t[i].path = a->argv[i];
		t[i].fd = -1;
	}
	for (i = 0; i < a->argc; i++) {
		if (!strcmp(t[i].path, DDRAID_MISSING)) {
			r = cli_usage("'%s' names no device: give the devices to erase",
				      DDRAID_MISSING);
			goto out;
		}
		if (stat(t[i].path, &t[i].st)) {
			cli_err("%s: %s", t[i].path, strerror(errno));
			r = CLI_FAIL;
			goto out;
		}
		if (!S_ISBLK(t[i].st.st_mode) && !S_ISREG(t[i].st.st_mode)) {
			cli_err("%s: not a block device or regular file",
				t[i].path);
			r = CLI_FAIL;
			goto out;
		}
		for (j = 0; j < i; j++)
			if (same_device(&t[i].st, &t[j].st)) {
				r = cli_usage("%s and %s are the same device",
					      t[j].path, t[i].path);
				goto out;
			}
	}
	/* Every device first: one refusal and nothing is erased. */
	for (i = 0; i < a->argc; i++)
		if (check_one(&t[i], force))
			r = CLI_FAIL;
	if (r) {
		cli_err("nothing was erased");
		goto out;
	}
	for (i = 0; i < a->argc; i++)
		if (erase_one(&t[i]))
			r = CLI_FAIL;
out:
	for (i = 0; i < a->argc; i++)
		if (t[i].fd >= 0)
			close(t[i].fd);
	free(t);
	return r;
}
