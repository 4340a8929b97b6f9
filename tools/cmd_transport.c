// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl export-disk, connect, disconnect: this node's side of the
 * NVMe/TCP transport (tools/transport.h). connect exports the local
 * member and imports the others, disconnect undoes both; the OCF agent
 * runs them around the target and the daemon, and so can a person.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uuid.h>

#include "cli.h"
#include "transport.h"

#define TR_DEFAULT_FENCE_DELAY	10	/* ddraidd's default */

static bool is_blockdev(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISBLK(st.st_mode);
}

/* ---- export-disk ---------------------------------------------------------- */

int cmd_export_disk(const struct cli_args *a)
{
	char nqn[TR_NQN_MAX], found[256], err[DDRAID_ERRMSG_MAX];
	const struct tr_node *self;
	struct tr_nodes ns;
	struct ddraid_sb sb;
	const char *dev = a->argc ? a->argv[0] : NULL;

	if (a->given[EXPORT_DISK_REMOVE]) {
		if (dev)
			return cli_usage("--remove takes no DEV: it removes this node's export");
	} else if (!dev) {
		return cli_usage("no DEV given");
	} else if (!is_blockdev(dev)) {
		return cli_usage("%s is not a block device", dev);
	}
	if (tr_nodes_read(&ns))
		return CLI_FAIL;
	self = tr_node_self(&ns);
	tr_disk_nqn(nqn, sizeof(nqn), self->nodeid);
	if (a->given[EXPORT_DISK_REMOVE]) {
		if (tr_unexport(nqn))
			return CLI_FAIL;
		printf("removed the export %s\n", nqn);
		return CLI_OK;
	}
	/* The checks of create, before anything is exported: a disk in use
	 * is not offered to the cluster by mistake. */
	if (!a->given[EXPORT_DISK_FORCE]) {
		if (!ddraid_read_member_sb(dev, &sb, NULL, err, sizeof(err))) {
			cli_err("%s holds a ddraid superblock (volume '%s', member %u): not exported (--force to offer it anyway)",
				dev, sb.name, sb.member_index);
			return CLI_USAGE;
		}
		if (cli_find_signatures(dev, found, sizeof(found)) > 0) {
			cli_err("%s holds a signature (%s): not exported (--force to offer it anyway)",
				dev, found);
			return CLI_USAGE;
		}
	}
	if (tr_need_modules(tr_target_modules))
		return CLI_NO_MODULE;
	if (tr_export(nqn, dev, self->addr))
		return CLI_FAIL;
	printf("exported %s as %s on %s:%s (node %s, id %u)\n", dev, nqn,
	       self->addr, TR_PORT, self->name, self->nodeid);
	return CLI_OK;
}

/* ---- the volume's local member -------------------------------------------- */

/* The local disk holding a member of volume @name (or @disk, checked). */
static int local_member(const char *name, const char *disk, char *dev,
			struct ddraid_sb *sb)
{
	static char paths[16][TR_PATH_MAX];
	static struct ddraid_sb sbs[16];
	char err[DDRAID_ERRMSG_MAX];
	int n, i;

	if (disk) {
		tr_drop_cache(disk);
		if (ddraid_read_member_sb(disk, sb, NULL, err, sizeof(err))) {
			cli_err("%s: %s", disk, err);
			return CLI_FAIL;
		}
		if (strcmp(sb->name, name)) {
			cli_err("%s is a member of volume '%s', not '%s'", disk,
				sb->name, name);
			return CLI_FAIL;
		}
		snprintf(dev, TR_PATH_MAX, "%s", disk);
		return CLI_OK;
	}
	n = tr_find_local(name, paths, sbs, 16, false);
	if (!n) {
		cli_err("no disk of this node holds a member of volume '%s' (give --disk DEV)",
			name);
		return CLI_FAIL;
	}
	for (i = 1; i < n; i++)
		if (memcmp(sbs[i].uuid, sbs[0].uuid, DDRAID_UUID_BYTES) ||
		    sbs[i].member_index != sbs[0].member_index) {
			cli_err("%s and %s both hold members of a volume '%s' (give --disk DEV)",
				paths[0], paths[i], name);
			return CLI_FAIL;
		}
	*sb = sbs[0];
	snprintf(dev, TR_PATH_MAX, "%s", paths[0]);
	return CLI_OK;
}

/* ---- connect -------------------------------------------------------------- */

/* @text (lines) has the line @line / a line starting with @prefix. */
static bool has_line_prefix(const char *text, const char *prefix)
{
	size_t l = strlen(prefix);
	const char *p;

	for (p = text; (p = strstr(p, prefix)); p += l)
		if (p == text || p[-1] == '\n')
			return true;
	return false;
}

static bool has_line(const char *text, const char *line)
{
	size_t l = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p += l)
		if ((p == text || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
			return true;
	return false;
}

int cmd_connect(const struct cli_args *a)
{
	static char devs[DDRAID_MAX_MEMBERS][TR_PATH_MAX];
	char *disc[TR_MAX_NODES] = { NULL };
	bool seen[TR_MAX_NODES] = { false };
	char own[TR_PATH_MAX], nqn[TR_NQN_MAX], bare[TR_NQN_MAX];
	char prefix[TR_NQN_MAX];
	unsigned int wait = 0, round;
	time_t deadline;
	const char *name = a->argv[0], *from[DDRAID_MAX_MEMBERS] = { NULL };
	unsigned int fence = TR_DEFAULT_FENCE_DELAY, i, j, missing = 0;
	const struct tr_node *self;
	struct ddraid_sb sb;
	struct tr_nodes ns;
	struct tr_tmo t;
	char uu[37];
	int r = CLI_OK;

	if (a->given[CONNECT_FENCE_DELAY])
		fence = (unsigned int)a->num[CONNECT_FENCE_DELAY];
	if (a->given[CONNECT_WAIT])
		wait = (unsigned int)a->num[CONNECT_WAIT];
	if (tr_tmo_for(fence, &t))
		return cli_usage("a fence delay of %u s leaves no room for NVMe/TCP's keep-alive (kato + fast_io_fail_tmo must stay below it): use 3 s or more",
				 fence);
	/* First: without them nothing else here can work. */
	if (tr_need_modules(tr_target_modules) ||
	    tr_need_modules(tr_host_modules))
		return CLI_NO_MODULE;
	r = local_member(name, a->str[CONNECT_DISK], own, &sb);
	if (r)
		return r;
	if (sb.members > DDRAID_MAX_MEMBERS || sb.member_index >= sb.members) {
		cli_err("%s: a superblock with %u members, index %u", own,
			sb.members, sb.member_index);
		return CLI_FAIL;
	}
	if (tr_nodes_read(&ns))
		return CLI_FAIL;
	self = tr_node_self(&ns);

	/*
	 * The disk may still be offered as a bare disk (export-disk): it is
	 * a member now, exported as one. The member's export comes first:
	 * dropping the offer first would leave the port serving nothing, and
	 * nvmet tears an emptied port down with the queues of peers that are
	 * connecting to it right then (their Connect then hangs for the
	 * kernel's 60 s admin timeout and they count our member missing).
	 */
	tr_member_nqn(nqn, sizeof(nqn), sb.uuid, sb.member_index);
	if (tr_export(nqn, own, self->addr))
		return CLI_FAIL;
	if (!tr_export_of_dev(TR_NQN_PREFIX "node", own, bare, sizeof(bare)))
		tr_unexport(bare);
	snprintf(devs[sb.member_index], TR_PATH_MAX, "%s", own);
	from[sb.member_index] = self->name;

	/* Imported already (an earlier connect): as it is, timeouts too. */
	for (i = 0; i < sb.members; i++) {
		if (i == sb.member_index)
			continue;
		tr_member_nqn(nqn, sizeof(nqn), sb.uuid, i);
		if (!tr_import_dev(nqn, devs[i], TR_PATH_MAX))
			from[i] = "(imported before)";
		else
			devs[i][0] = '\0';
	}
	/*
	 * The others: ask each node of the membership what it exports
	 * (nvme discover) and import the volume's members from it. Nodes
	 * starting together export their members at about the same time:
	 * until --wait runs out, ask again while a node of the membership
	 * exports no member of the volume yet (a member no node exports
	 * then is on a node that is down: "missing").
	 */
	tr_volume_prefix(prefix, sizeof(prefix), sb.uuid);
	deadline = time(NULL) + (time_t)wait;
	for (round = 0;; round++) {
		bool all_seen = true, all_found = true;

		for (j = 0; j < ns.n; j++) {
			const struct tr_node *n = &ns.node[j];

			if (n->self || !n->joined || seen[j])
				continue;
			free(disc[j]);
			disc[j] = NULL;
			tr_discover(n->addr, &disc[j], round > 0);
			seen[j] = disc[j] && has_line_prefix(disc[j], prefix);
			if (!seen[j])
				all_seen = false;
			for (i = 0; i < sb.members; i++) {
				if (i == sb.member_index || devs[i][0])
					continue;
				tr_member_nqn(nqn, sizeof(nqn), sb.uuid, i);
				if (!disc[j] || !has_line(disc[j], nqn))
					continue;
				if (tr_import(nqn, n->addr, &t, devs[i],
					      TR_PATH_MAX))
					devs[i][0] = '\0';
				else
					from[i] = n->name;
			}
		}
		for (i = 0; i < sb.members; i++)
			if (i != sb.member_index && !devs[i][0])
				all_found = false;
		if (all_found || all_seen || time(NULL) >= deadline)
			break;
		sleep(1);
	}
	for (i = 0; i < sb.members; i++) {
		if (i == sb.member_index || devs[i][0])
			continue;
		tr_member_nqn(nqn, sizeof(nqn), sb.uuid, i);
		cli_warn("member %u (%s) is exported by no node in the membership: missing",
			 i, nqn);
		snprintf(devs[i], TR_PATH_MAX, "missing");
		missing++;
	}
	for (j = 0; j < ns.n; j++)
		free(disc[j]);

	uuid_unparse_lower(sb.uuid, uu);
	if (a->given[CONNECT_EXPORT]) {
		printf("DDRAID_UUID=%s\nDDRAID_MEMBER_INDEX=%u\nDDRAID_DISK=%s\n",
		       uu, sb.member_index, own);
		printf("DDRAID_MEMBERS=");
		for (i = 0; i < sb.members; i++)
			printf("%s%s", i ? "," : "", devs[i]);
		printf("\nDDRAID_MISSING=%u\n", missing);
		return CLI_OK;
	}
	printf("volume '%s' uuid %s; nvme-tcp keep-alive %u s, fast_io_fail %u s, reconnect %u s (fence delay %u s)\n",
	       name, uu, t.kato, t.fast_io_fail, t.reconnect, fence);
	for (i = 0; i < sb.members; i++)
		printf("member %u: %s%s%s\n", i, devs[i],
		       i == sb.member_index ? " (this node's disk, exported)" :
		       from[i] ? " from " : "", i == sb.member_index ? "" :
		       from[i] ? from[i] : "");
	return CLI_OK;
}

/* ---- disconnect ----------------------------------------------------------- */

int cmd_disconnect(const struct cli_args *a)
{
	static char paths[16][TR_PATH_MAX];
	static struct ddraid_sb sbs[16];
	const char *name = a->argv[0];
	char prefix[TR_NQN_MAX], err[DDRAID_ERRMSG_MAX];
	struct ddraid_sb sb;
	int n;

	if (a->given[DISCONNECT_DISK]) {
		tr_drop_cache(a->str[DISCONNECT_DISK]);
		if (ddraid_read_member_sb(a->str[DISCONNECT_DISK], &sb, NULL,
					  err, sizeof(err))) {
			cli_err("%s: %s", a->str[DISCONNECT_DISK], err);
			return CLI_FAIL;
		}
	} else {
		/* This node's disk, else any member it still imports. */
		n = tr_find_local(name, paths, sbs, 16, false);
		if (!n)
			n = tr_find_local(name, paths, sbs, 16, true);
		if (!n) {
			/* Nothing here names the volume: nothing to undo (a
			 * stop after a start that never connected). */
			printf("volume '%s': no member of it on this node, nothing to disconnect\n",
			       name);
			return CLI_OK;
		}
		sb = sbs[0];
	}
	if (strcmp(sb.name, name)) {
		cli_err("the disk holds volume '%s', not '%s'", sb.name, name);
		return CLI_FAIL;
	}
	tr_volume_prefix(prefix, sizeof(prefix), sb.uuid);
	/* Imports first, then the export: the reverse of connect. */
	n = tr_disconnect(prefix);
	if (n < 0 || tr_unexport(prefix))
		return CLI_FAIL;
	printf("volume '%s': %d import(s) disconnected, this node's export removed\n",
	       name, n);
	return CLI_OK;
}
