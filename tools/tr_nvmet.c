// SPDX-License-Identifier: GPL-2.0-only
/*
 * Export: the kernel's NVMe target (nvmet) configured through configfs,
 * /sys/kernel/config/nvmet: a subsystem per exported disk (namespace 1 is
 * the disk), linked to a TCP port on the node's cluster address.
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
#include <unistd.h>

#include "cli.h"
#include "transport.h"

#define CFS	"/sys/kernel/config/nvmet"

static int put(const char *dir, const char *attr, const char *val)
{
	char path[TR_PATH_MAX * 2];
	int e;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	e = cli_attr_write(path, val);
	if (e)
		cli_err("cannot write '%s' to %s: %s", val, path, strerror(-e));
	return e ? -1 : 0;
}

static int get(const char *dir, const char *attr, char *val, size_t len)
{
	char path[TR_PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	return cli_attr_read(path, val, len);
}

/* 64-bit FNV-1a of @s from @h: the export's identifiers are made from its
 * NQN, the same on every boot. */
static u64 fnv(const char *s, u64 h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The port on @addr:TR_PORT (made if there is none) into @port. */
static int find_port(const char *addr, char *port, size_t len)
{
	char dir[TR_PATH_MAX], v[128];
	struct dirent *d;
	unsigned int id, free_id = 1;
	DIR *dp = opendir(CFS "/ports");

	if (!dp) {
		cli_err("cannot list %s/ports: %s", CFS, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), CFS "/ports/%s", d->d_name);
		id = (unsigned int)strtoul(d->d_name, NULL, 10);
		if (id >= free_id)
			free_id = id + 1;
		if (get(dir, "addr_trtype", v, sizeof(v)) || strcmp(v, "tcp") ||
		    get(dir, "addr_trsvcid", v, sizeof(v)) || strcmp(v, TR_PORT) ||
		    get(dir, "addr_traddr", v, sizeof(v)) || strcmp(v, addr))
			continue;
		closedir(dp);
		snprintf(port, len, "%s", dir);
		return 0;
	}
	closedir(dp);
	snprintf(port, len, CFS "/ports/%u", free_id);
	if (mkdir(port, 0755)) {
		cli_err("cannot make the nvmet port %s: %s", port, strerror(errno));
		return -1;
	}
	if (put(port, "addr_trtype", "tcp") ||
	    put(port, "addr_adrfam", strchr(addr, ':') ? "ipv6" : "ipv4") ||
	    put(port, "addr_traddr", addr) ||
	    put(port, "addr_trsvcid", TR_PORT)) {
		rmdir(port);
		return -1;
	}
	return 0;
}

int tr_export_dev(const char *nqn, char *dev, size_t len)
{
	char ns[TR_PATH_MAX];

	snprintf(ns, sizeof(ns), CFS "/subsystems/%s/namespaces/1", nqn);
	return get(ns, "device_path", dev, len) ? -ENOENT : 0;
}

static bool same_dev(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(a, &sa) || stat(b, &sb))
		return !strcmp(a, b);
	return S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode) &&
	       sa.st_rdev == sb.st_rdev;
}

int tr_export_of_dev(const char *prefix, const char *dev, char *nqn,
		     size_t len)
{
	char path[TR_PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(CFS "/subsystems");

	if (!dp)
		return -ENOENT;
	while ((d = readdir(dp))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)) ||
		    tr_export_dev(d->d_name, path, sizeof(path)) ||
		    !same_dev(path, dev))
			continue;
		snprintf(nqn, len, "%s", d->d_name);
		closedir(dp);
		return 0;
	}
	closedir(dp);
	return -ENOENT;
}

int tr_export(const char *nqn, const char *dev, const char *addr)
{
	char s[TR_PATH_MAX], ns[TR_PATH_MAX + 16], port[TR_PATH_MAX];
	char link[TR_PATH_MAX * 2], v[TR_PATH_MAX], id[40];
	u64 h1 = fnv(nqn, 0xcbf29ce484222325ULL), h2 = fnv(nqn, h1 ^ 0x5a);
	bool made = false;

	snprintf(s, sizeof(s), CFS "/subsystems/%s", nqn);
	snprintf(ns, sizeof(ns), "%s/namespaces/1", s);
	if (!tr_export_dev(nqn, v, sizeof(v))) {
		if (!same_dev(v, dev)) {
			cli_err("%s already exports %s, not %s", nqn, v, dev);
			return -1;
		}
	} else {
		if (mkdir(s, 0755)) {
			cli_err("cannot make the nvmet subsystem %s: %s", s,
				strerror(errno));
			return -1;
		}
		made = true;
		snprintf(v, sizeof(v), "%016llx%04llx", (unsigned long long)h1,
			 (unsigned long long)(h2 >> 48));
		/* A UUID (version 4 form) and the same bytes as NGUID. */
		snprintf(id, sizeof(id), "%08llx-%04llx-4%03llx-8%03llx-%012llx",
			 (unsigned long long)(h1 >> 32),
			 (unsigned long long)((h1 >> 16) & 0xffff),
			 (unsigned long long)(h1 & 0xfff),
			 (unsigned long long)((h2 >> 48) & 0xfff),
			 (unsigned long long)(h2 & 0xffffffffffffULL));
		if (put(s, "attr_allow_any_host", "1") ||
		    put(s, "attr_serial", v) ||
		    mkdir(ns, 0755) ||
		    put(ns, "device_path", dev) ||
		    put(ns, "device_uuid", id) ||
		    put(ns, "device_nguid", id))
			goto undo;
	}
	if (get(ns, "enable", v, sizeof(v)) || strcmp(v, "1"))
		if (put(ns, "enable", "1"))
			goto undo;
	if (find_port(addr, port, sizeof(port)))
		goto undo;
	snprintf(link, sizeof(link), "%s/subsystems/%s", port, nqn);
	if (symlink(s, link) && errno != EEXIST) {
		cli_err("cannot link %s into port %s: %s", nqn, port,
			strerror(errno));
		goto undo;
	}
	return 0;
undo:
	if (made) {
		rmdir(ns);
		rmdir(s);
	}
	return -1;
}

/* Unlink subsystem @nqn from every port; an emptied port goes too. */
static void unlink_ports(const char *nqn)
{
	char port[TR_PATH_MAX], link[TR_PATH_MAX * 2];
	struct dirent *d;
	DIR *dp = opendir(CFS "/ports"), *sp;

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		bool empty = true;
		struct dirent *e;

		if (d->d_name[0] == '.')
			continue;
		snprintf(port, sizeof(port), CFS "/ports/%s", d->d_name);
		snprintf(link, sizeof(link), "%s/subsystems/%s", port, nqn);
		if (unlink(link))
			continue;
		snprintf(link, sizeof(link), "%s/subsystems", port);
		sp = opendir(link);
		while (sp && (e = readdir(sp)))
			if (e->d_name[0] != '.')
				empty = false;
		if (sp)
			closedir(sp);
		/* Ours was there, nothing else is: the port serves nobody. */
		if (empty)
			rmdir(port);
	}
	closedir(dp);
}

int tr_unexport(const char *prefix)
{
	char s[TR_PATH_MAX], ns[TR_PATH_MAX + 16], (*names)[TR_NQN_MAX] = NULL;
	struct dirent *d;
	DIR *dp = opendir(CFS "/subsystems");
	size_t n = 0, i;
	int r = 0;

	if (!dp)
		return 0;	/* no nvmet: nothing exported */
	/* The names first: configfs is not listed while it changes. */
	while ((d = readdir(dp))) {
		void *nn;

		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		snprintf(names[n++], TR_NQN_MAX, "%.*s", TR_NQN_MAX - 1, d->d_name);
	}
	closedir(dp);
	for (i = 0; i < n; i++) {
		unlink_ports(names[i]);
		snprintf(s, sizeof(s), CFS "/subsystems/%s", names[i]);
		snprintf(ns, sizeof(ns), "%s/namespaces/1", s);
		if (!access(ns, F_OK)) {
			put(ns, "enable", "0");
			rmdir(ns);
		}
		if (rmdir(s)) {
			cli_err("cannot remove the nvmet subsystem %s: %s", s,
				strerror(errno));
			r = -1;
		}
	}
	free(names);
	return r;
}
