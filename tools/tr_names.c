// SPDX-License-Identifier: GPL-2.0-only
/*
 * The transport's rules, each once: what a member's NQN is (what the
 * member is: volume UUID and index, never a path), the timeouts of an
 * import (from the fence delay), and which kernel modules it needs.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uuid.h>

#include "cli.h"
#include "transport.h"

void tr_volume_prefix(char *buf, size_t len, const u8 *uuid)
{
	char uu[37];

	uuid_unparse_lower(uuid, uu);
	snprintf(buf, len, TR_NQN_PREFIX "%s:", uu);
}

void tr_member_nqn(char *buf, size_t len, const u8 *uuid, unsigned int index)
{
	char p[TR_NQN_MAX];

	tr_volume_prefix(p, sizeof(p), uuid);
	snprintf(buf, len, "%sm%u", p, index);
}

/* A bare disk, exported for "create --nodes" before it is a member. */
void tr_disk_nqn(char *buf, size_t len, unsigned int nodeid)
{
	snprintf(buf, len, TR_NQN_PREFIX "node%u:disk", nodeid);
}

/*
 * docs/cluster-protocol.md, section 12: a write queued towards an
 * unreachable member must fail before the other nodes resync the region,
 * i.e. kato + fast_io_fail_tmo < fence_delay. A 3 s keep-alive is the
 * shortest that gave no spurious resets under load (docs/testing-vm.md);
 * shorter fence delays get a shorter keep-alive rather than no import.
 * reconnect_delay 1 s brings a returning host back within a second;
 * ctrl_loss_tmo is always -1 (tr_nvme.c says why).
 */
int tr_tmo_for(unsigned int fence_delay, struct tr_tmo *t)
{
	t->fast_io_fail = 1;
	t->reconnect = 1;
	if (fence_delay < 3)
		return -EINVAL;
	t->kato = fence_delay - 2 < 3 ? fence_delay - 2 : 3;
	return 0;
}

const char *const tr_target_modules[] = { "nvmet", "nvmet-tcp", NULL };
const char *const tr_host_modules[] = { "nvme-tcp", NULL };

static bool module_loaded(const char *m)
{
	char path[128];
	size_t i;

	snprintf(path, sizeof(path), "/sys/module/%s", m);
	for (i = strlen("/sys/module/"); path[i]; i++)
		if (path[i] == '-')
			path[i] = '_';
	return !access(path, F_OK);
}

int tr_need_modules(const char *const *mods)
{
	const char *const *first = mods;

	for (; *mods; mods++) {
		const char *argv[] = { "modprobe", *mods, NULL };

		if (module_loaded(*mods))
			continue;
		if (cli_run(argv, NULL, true) || !module_loaded(*mods)) {
			cli_err("the kernel module %s is not available (modprobe %s failed)",
				*mods, *mods);
			return -1;
		}
	}
	/* nvmet's configuration lives in configfs (no udev/systemd in VMs
	 * or containers mounts it). */
	if (first == tr_target_modules &&
	    access("/sys/kernel/config/nvmet", F_OK)) {
		const char *argv[] = { "modprobe", "configfs", NULL };

		cli_run(argv, NULL, true);
		if (mount("none", "/sys/kernel/config", "configfs", 0, NULL) &&
		    access("/sys/kernel/config/nvmet", F_OK)) {
			cli_err("nvmet is loaded but /sys/kernel/config/nvmet is not there (configfs not mounted?)");
			return -1;
		}
	}
	return 0;
}
