/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The member transport of the distributed topology (NVMe/TCP): each node
 * exports its own disk with the kernel's nvmet (configfs) and imports the
 * other members with nvme-tcp. The one place that knows the NQNs, the
 * timeouts, the configfs layout and how nodes are addressed; ddraidctl's
 * export-disk, create --nodes, connect and disconnect use it, and the OCF
 * agent runs those commands (docs/transport.md).
 */
#ifndef DDRAID_TRANSPORT_H
#define DDRAID_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "ddraid.h"

/* Every NQN ddraid makes starts with this. */
#define TR_NQN_PREFIX	"nqn.2026-12.org.ddraid:"
#define TR_PORT		"4420"		/* the IANA NVMe/TCP port */
#define TR_NQN_MAX	224		/* NVMe's NQN limit (223 bytes) */
#define TR_PATH_MAX	512

/* ---- running programs (tools/cli_run.c) ---- */

/*
 * Run @argv (searched in $PATH) with stdin from /dev/null; its stdout is
 * kept in *out (malloc'ed, NUL-terminated; NULL: discarded), its stderr
 * goes to ours unless @quiet. Returns its exit status, 127 when it could
 * not be run, or -1 when it was killed.
 */
int cli_run(const char *const *argv, char **out, bool quiet);

/* ---- corosync's node list (tools/tr_nodes.c) ---- */

#define TR_MAX_NODES	64

struct tr_node {
	unsigned int nodeid;
	char name[64];		/* nodelist name, else ring0_addr */
	char addr[64];		/* ring0_addr */
	bool joined;		/* in corosync's current membership */
	bool self;
};

struct tr_nodes {
	struct tr_node node[TR_MAX_NODES];
	unsigned int n;		/* in nodelist order */
};

/*
 * corosync's node list (cmap nodelist.node.*, nodelist.local_node_pos,
 * runtime.members.*), read with corosync-cmapctl: the addresses ddraid
 * uses are the cluster's own, never a second list. 0, or -1 after saying
 * why.
 */
int tr_nodes_read(struct tr_nodes *ns);
/* The node named @s (name, ring0_addr or node id), or NULL. */
const struct tr_node *tr_node_find(const struct tr_nodes *ns, const char *s);
const struct tr_node *tr_node_self(const struct tr_nodes *ns);

/* ---- names ---- */

/* The NQN of member @index of the volume @uuid / a node's bare disk. */
void tr_member_nqn(char *buf, size_t len, const u8 *uuid, unsigned int index);
void tr_disk_nqn(char *buf, size_t len, unsigned int nodeid);
/* "nqn...:<uuid>:" (every member's NQN of the volume starts with it) */
void tr_volume_prefix(char *buf, size_t len, const u8 *uuid);

/* ---- kernel modules ---- */

/*
 * Load @mods (NULL-terminated) with modprobe where they are not loaded.
 * 0, or -1 after naming the module that is missing.
 */
int tr_need_modules(const char *const *mods);
extern const char *const tr_target_modules[];	/* nvmet nvmet-tcp */
extern const char *const tr_host_modules[];	/* nvme-tcp */

/* Exit status of a command that lacks a kernel module (the agent maps it
 * to OCF_ERR_INSTALLED). */
#define CLI_NO_MODULE	5

/* ---- export: nvmet through configfs (tools/tr_nvmet.c) ---- */

/*
 * Export block device @dev as namespace 1 of subsystem @nqn on
 * @addr:TR_PORT. Serial, UUID and NGUID are made from @nqn, so that a
 * rebooted node's export is the same namespace to the hosts that
 * reconnect (the kernel drops a namespace whose identifiers changed).
 * Exporting what is exported already succeeds. 0 or -1 (said why).
 */
int tr_export(const char *nqn, const char *dev, const char *addr);
/* Remove the exports whose NQN starts with @prefix; 0 or -1. */
int tr_unexport(const char *prefix);
/*
 * The device exported as subsystem @nqn into @dev: 0, -ENOENT when there
 * is no such export.
 */
int tr_export_dev(const char *nqn, char *dev, size_t len);
/*
 * The NQN of a subsystem that exports @dev and starts with @prefix into
 * @nqn: 0, or -ENOENT.
 */
int tr_export_of_dev(const char *prefix, const char *dev, char *nqn,
		     size_t len);

/* ---- import: nvme-tcp (tools/tr_nvme.c) ---- */

/* The timeouts of an import, from the volume's fence delay. */
struct tr_tmo {
	unsigned int kato, fast_io_fail, reconnect;
};

/*
 * kato + fast_io_fail_tmo below @fence_delay (docs/cluster-protocol.md,
 * section 12). 0, or -EINVAL when no setting fits (fence delay < 3 s).
 */
int tr_tmo_for(unsigned int fence_delay, struct tr_tmo *t);

/* The subsystem NQNs exported at @addr (nvme discover) into @buf, one a
 * line. 0, or -1 (unreachable; said why unless @quiet). */
int tr_discover(const char *addr, char **nqns, bool quiet);
/*
 * Import @nqn from @addr (or find it imported already) with timeouts @t
 * (NULL: the fabrics defaults, for a short-lived import); its block
 * device into @dev. 0 or -1 (said why).
 */
int tr_import(const char *nqn, const char *addr, const struct tr_tmo *t,
	      char *dev, size_t len);
/* The block device of namespace 1 of imported @nqn: 0 or -ENOENT. */
int tr_import_dev(const char *nqn, char *dev, size_t len);
/* Disconnect every controller whose subsystem NQN starts with @prefix;
 * how many, or -1. */
int tr_disconnect(const char *prefix);

/* ---- finding members ---- */

/*
 * The local block devices (not imported over the network; with @imported
 * only our imports) holding a superblock of volume @name: up to @max
 * paths into @paths, their superblocks into @sbs. How many.
 */
int tr_find_local(const char *name, char (*paths)[TR_PATH_MAX],
		  struct ddraid_sb *sbs, int max, bool imported);

/* Drop what this node caches of @dev (written meanwhile through nvmet). */
void tr_drop_cache(const char *dev);

#endif /* DDRAID_TRANSPORT_H */
