// SPDX-License-Identifier: GPL-2.0-only
/*
 * Import: the kernel's NVMe/TCP host (nvme-tcp), connected with nvme-cli
 * and found again through sysfs by subsystem NQN, so that a member is
 * known by what it is wherever its device node landed.
 *
 * ctrl_loss_tmo is -1: the controller is never given up, so the
 * namespace's block device (the member in the dm table and in ddraidd's
 * --members) survives its host's reboot and comes back by itself.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#include "cli.h"
#include "transport.h"

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

int tr_discover(const char *addr, char **nqns, bool quiet)
{
	const char *argv[] = { "nvme", "discover", "-t", "tcp", "-a", addr,
			       "-s", TR_PORT, NULL };
	char *out = NULL, *p, *q, *line;
	int r = cli_run(argv, &out, true);

	if (r) {
		if (!quiet)
			cli_warn("nvme discover at %s:%s failed%s", addr,
				 TR_PORT, r == 127 ? " (nvme-cli not installed)" : "");
		free(out);
		return -1;
	}
	/* "subnqn:  NQN" lines, made into "NQN\n" in place. */
	q = out;
	for (line = strtok_r(out, "\n", &p); line;
	     line = strtok_r(NULL, "\n", &p)) {
		if (strncmp(line, "subnqn:", 7))
			continue;
		line += 7;
		line += strspn(line, " \t");
		memmove(q, line, strlen(line));
		q += strlen(line);
		*q++ = '\n';
	}
	*q = '\0';
	*nqns = out;
	return 0;
}

/* The controller (nvmeN) of subsystem @nqn into @ctrl: 0 or -ENOENT. */
static int find_ctrl(const char *nqn, char *ctrl, size_t len)
{
	char path[TR_PATH_MAX], v[TR_NQN_MAX];
	struct dirent *d;
	DIR *dp = opendir("/sys/class/nvme");

	if (!dp)
		return -ENOENT;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/nvme/%s/subsysnqn",
			 d->d_name);
		if (cli_attr_read(path, v, sizeof(v)) || strcmp(v, nqn))
			continue;
		snprintf(ctrl, len, "%s", d->d_name);
		closedir(dp);
		return 0;
	}
	closedir(dp);
	return -ENOENT;
}

int tr_import_dev(const char *nqn, char *dev, size_t len)
{
	char path[TR_PATH_MAX], v[TR_NQN_MAX];
	struct dirent *d;
	DIR *dp = opendir("/sys/block");

	if (!dp)
		return -ENOENT;
	while ((d = readdir(dp))) {
		/* nvmeXcYnZ are the paths under a multipath head: no node */
		if (strncmp(d->d_name, "nvme", 4) || strchr(d->d_name + 4, 'c'))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device/subsysnqn",
			 d->d_name);
		if (cli_attr_read(path, v, sizeof(v)) || strcmp(v, nqn))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/nsid", d->d_name);
		if (cli_attr_read(path, v, sizeof(v)) || strcmp(v, "1"))
			continue;
		snprintf(dev, len, "/dev/%s", d->d_name);
		closedir(dp);
		return access(dev, F_OK) ? -ENOENT : 0;
	}
	closedir(dp);
	return -ENOENT;
}

int tr_import(const char *nqn, const char *addr, const struct tr_tmo *t,
	      char *dev, size_t len)
{
	char ctrl[256], path[TR_PATH_MAX + 256], k[48], c[48], f[16];
	const char *argv[16];
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int i = 0, tries;

	if (find_ctrl(nqn, ctrl, sizeof(ctrl))) {
		argv[i++] = "nvme";
		argv[i++] = "connect";
		argv[i++] = "-t";
		argv[i++] = "tcp";
		argv[i++] = "-a";
		argv[i++] = addr;
		argv[i++] = "-s";
		argv[i++] = TR_PORT;
		argv[i++] = "-n";
		argv[i++] = nqn;
		if (t) {
			snprintf(k, sizeof(k), "--keep-alive-tmo=%u", t->kato);
			snprintf(c, sizeof(c), "--reconnect-delay=%u",
				 t->reconnect);
			argv[i++] = k;
			argv[i++] = c;
			argv[i++] = "--ctrl-loss-tmo=-1";
		}
		argv[i] = NULL;
		if (cli_run(argv, NULL, false) ||
		    find_ctrl(nqn, ctrl, sizeof(ctrl))) {
			cli_err("nvme connect to %s at %s:%s failed", nqn, addr,
				TR_PORT);
			return -1;
		}
	}
	if (t) {
		/* nvme-cli 2.3 has no --fast_io_fail_tmo: sysfs, after. */
		snprintf(path, sizeof(path),
			 "/sys/class/nvme/%s/fast_io_fail_tmo", ctrl);
		snprintf(f, sizeof(f), "%u", t->fast_io_fail);
		if (cli_attr_write(path, f)) {
			cli_err("cannot set %s to %s", path, f);
			return -1;
		}
	}
	/* The namespace scan runs after connect returns. */
	for (tries = 0; tries < 300; tries++) {
		if (!tr_import_dev(nqn, dev, len))
			return 0;
		nanosleep(&ts, NULL);
	}
	cli_err("%s is connected (%s) but its namespace 1 has no block device",
		nqn, ctrl);
	return -1;
}

int tr_disconnect(const char *prefix)
{
	char path[TR_PATH_MAX], v[TR_NQN_MAX];
	struct dirent *d;
	DIR *dp = opendir("/sys/class/nvme");
	int n = 0, r = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/nvme/%s/subsysnqn",
			 d->d_name);
		if (cli_attr_read(path, v, sizeof(v)) || !has_prefix(v, prefix))
			continue;
		/* What "nvme disconnect" does. */
		snprintf(path, sizeof(path),
			 "/sys/class/nvme/%s/delete_controller", d->d_name);
		if (cli_attr_write(path, "1")) {
			cli_err("cannot disconnect %s (%s)", d->d_name, v);
			r = -1;
		} else {
			n++;
		}
	}
	closedir(dp);
	return r ? r : n;
}

/* One of our imports (a namespace of a ddraid NQN). */
static bool is_import(const char *name)
{
	char path[TR_PATH_MAX], v[TR_NQN_MAX];

	if (!has_prefix(name, "nvme") || strchr(name + 4, 'c'))
		return false;
	snprintf(path, sizeof(path), "/sys/class/block/%s/device/subsysnqn",
		 name);
	return !cli_attr_read(path, v, sizeof(v)) && has_prefix(v, TR_NQN_PREFIX);
}

/* An imported namespace of ours, a ddraid device or a CD: not a disk
 * this node holds itself. */
static bool not_local(const char *name)
{
	char path[TR_PATH_MAX], v[TR_NQN_MAX];

	if (has_prefix(name, "sr") || has_prefix(name, "ram") ||
	    has_prefix(name, "zram") || has_prefix(name, "fd"))
		return true;
	if (has_prefix(name, "dm-")) {
		snprintf(path, sizeof(path), "/sys/class/block/%s/dm/uuid", name);
		return !cli_attr_read(path, v, sizeof(v)) &&
		       has_prefix(v, CLI_DM_UUID_PREFIX);
	}
	if (has_prefix(name, "nvme")) {
		if (strchr(name + 4, 'c'))
			return true;
		snprintf(path, sizeof(path), "/sys/class/block/%s/device/subsysnqn",
			 name);
		return !cli_attr_read(path, v, sizeof(v)) &&
		       has_prefix(v, TR_NQN_PREFIX);
	}
	return false;
}

/*
 * A disk this node exports was written by other nodes through nvmet,
 * which bypasses this node's page cache: what is cached of it is stale.
 */
void tr_drop_cache(const char *dev)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return;
	if (ioctl(fd, BLKFLSBUF, 0))
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

int tr_find_local(const char *name, char (*paths)[TR_PATH_MAX],
		  struct ddraid_sb *sbs, int max, bool imported)
{
	char dev[TR_PATH_MAX], err[DDRAID_ERRMSG_MAX];
	struct dirent *d;
	DIR *dp = opendir("/sys/class/block");
	int n = 0;

	if (!dp)
		return 0;
	while ((d = readdir(dp)) && n < max) {
		if (d->d_name[0] == '.' ||
		    (imported ? !is_import(d->d_name) : not_local(d->d_name)))
			continue;
		snprintf(dev, sizeof(dev), "/dev/%s", d->d_name);
		tr_drop_cache(dev);
		if (ddraid_read_member_sb(dev, &sbs[n], NULL, err, sizeof(err)) ||
		    strcmp(sbs[n].name, name))
			continue;
		snprintf(paths[n], TR_PATH_MAX, "%s", dev);
		n++;
	}
	closedir(dp);
	return n;
}
