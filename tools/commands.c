// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command table: every ddraidctl command with its summary, usage,
 * help, options and handler (tools/cli_table.h). Adding a command: write
 * its handler in tools/cmd_NAME.c, its option indices in commands.h, its
 * entry here, and its entry in man/ddraidctl.8 (tests/cli/t-man.sh checks
 * that the page and this table agree).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "transport.h"

#define FORCED_HELP \
	"more than one member is out: take the freshest as current " \
	"(says what it assumes"

/* Usage lines, each after "ddraidctl NAME ". */
#define SYNOPSIS(...)	((const char *const[]){ __VA_ARGS__, NULL })

static const struct cli_opt create_opts[] = {
	[CREATE_NAME] = CLI_OPTION("name", 'n', CLI_NAME, "NAME",
		"volume name: " DDRAID_VOLUME_NAME_RULE " (default: none)"),
	[CREATE_REGION_SIZE] = CLI_OPTION("region-size", 'r', CLI_SIZE, "SIZE",
		"volume bytes per write-intent bit, a power of two from 64K to 1G (default 4M)"),
	[CREATE_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		"overwrite members that hold a ddraid superblock or a filesystem, RAID or "
		"partition signature"),
	[CREATE_ASSUME_CLEAN] = CLI_OPTION("assume-clean", 0, CLI_FLAG, NULL,
		"do not zero the data areas (members known zero)"),
	[CREATE_NODES] = CLI_OPTION("nodes", 0, CLI_STRING, "NODE,...",
		"instead of DEVs: the disks the corosync nodes NODE,... (names, addresses or "
		"node ids; 'all': every node of the node list) offer with export-disk, imported "
		"over NVMe/TCP; member i is the i-th node's disk"),
	CLI_OPTIONS_END
};

static const struct cli_opt export_disk_opts[] = {
	[EXPORT_DISK_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		"offer DEV even if it holds a ddraid superblock or a filesystem, RAID or "
		"partition signature"),
	[EXPORT_DISK_REMOVE] = CLI_OPTION("remove", 0, CLI_FLAG, NULL,
		"withdraw this node's offer instead"),
	CLI_OPTIONS_END
};

static const struct cli_opt connect_opts[] = {
	[CONNECT_DISK] = CLI_OPTION("disk", 'd', CLI_FILE, "DEV",
		"this node's member (default: the local disk whose superblock names VOLUME)"),
	[CONNECT_FENCE_DELAY] = CLI_OPTION("fence-delay", 0, CLI_UINT, "SECONDS",
		"ddraidd's fence delay (default 10): the imports' keep-alive and "
		"fast_io_fail_tmo add up to less",
		.min = 0, .max = 3600, .what = "fence delay"),
	[CONNECT_WAIT] = CLI_OPTION("wait", 'w', CLI_UINT, "SECONDS",
		"ask again for members not found, up to SECONDS, while a node of the "
		"membership exports none of the volume yet (nodes starting together)",
		.min = 0, .max = 3600, .what = "seconds"),
	[CONNECT_EXPORT] = CLI_OPTION("export", 0, CLI_FLAG, NULL,
		"print KEY=value lines for scripts (DDRAID_MEMBERS=DEV,DEV,...)"),
	CLI_OPTIONS_END
};

static const struct cli_opt disconnect_opts[] = {
	[DISCONNECT_DISK] = CLI_OPTION("disk", 'd', CLI_FILE, "DEV",
		"this node's member (default: the local disk whose superblock names VOLUME)"),
	CLI_OPTIONS_END
};

static const struct cli_opt examine_opts[] = {
	[EXAMINE_JSON] = CLI_OPTION("json", 'j', CLI_FLAG, NULL,
		"print a JSON object instead of text"),
	[EXAMINE_EXPORT] = CLI_OPTION("export", 0, CLI_FLAG, NULL,
		"print KEY=value lines for udev and scripts (as mdadm --examine --export)"),
	CLI_OPTIONS_END
};

static const struct cli_opt erase_opts[] = {
	[ERASE_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		"erase even a member of a running volume (held by its device-mapper device, "
		"open exclusively, or its ddraidd answering), or a device that also holds "
		"another signature"),
	CLI_OPTIONS_END
};

static const struct cli_opt export_opts[] = {
	[EXPORT_OUTPUT] = CLI_OPTION("output", 'o', CLI_FILE, "FILE",
		"write here instead of standard output"),
	[EXPORT_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		FORCED_HELP "; read-only: the members are not changed)"),
	CLI_OPTIONS_END
};

static const struct cli_opt import_opts[] = {
	[IMPORT_INPUT] = CLI_OPTION("input", 'i', CLI_FILE, "FILE",
		"read here instead of standard input"),
	[IMPORT_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		FORCED_HELP ") and record that on the members' superblocks before writing"),
	CLI_OPTIONS_END
};

static const struct cli_opt check_opts[] = {
	[CHECK_REPAIR] = CLI_OPTION("repair", 'r', CLI_FLAG, NULL,
		"rewrite the parity of mismatching blocks from the data"),
	/* Named so that an mdadm user trying it learns why not. */
	[CHECK_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL, NULL,
		.flags = CLI_OPT_HIDDEN),
	CLI_OPTIONS_END
};

static const struct cli_opt rebuild_opts[] = {
	[REBUILD_OFFLINE] = CLI_OPTION("offline", 0, CLI_FLAG, NULL,
		"work on the members directly (the volume not in use); without it, ask the "
		"volume's running ddraidd"),
	[REBUILD_MEMBER] = CLI_OPTION("member", 'm', CLI_UINT, "N",
		"the index of the member to rebuild",
		.min = 0, .max = DDRAID_MAX_MEMBERS - 1,
		.what = "member index"),
	[REBUILD_NEW] = CLI_OPTION("new", 'n', CLI_FILE, "NEWDEV",
		"(--offline) where to write it: a block device or file at least as large as the "
		"volume needs, not one of the members"),
	[REBUILD_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		"(--offline) overwrite NEWDEV even if it holds another volume's ddraid "
		"superblock or a filesystem, RAID or partition signature"),
	[REBUILD_FORCE_ASSEMBLY] = CLI_OPTION("force-assembly", 0, CLI_FLAG, NULL,
		"(--offline) " FORCED_HELP "), record that on the members, then rebuild N, "
		"which must be the one member the forced assembly leaves out"),
	[REBUILD_BITMAP] = CLI_OPTION("bitmap", 'b', CLI_FLAG, NULL,
		"(online) NEWDEV is the old member back: rebuild only the regions written "
		"meanwhile"),
	CLI_OPTIONS_END
};

static const struct cli_opt table_opts[] = {
	[TABLE_VERIFY] = CLI_OPTION("verify", 0, CLI_FLAG, NULL,
		"reads also read parity and fail on a mismatch"),
	[TABLE_CLUSTER] = CLI_OPTION("cluster", 0, CLI_FLAG, NULL,
		"cluster mode: writes wait for ddraidd's grants (docs/kernel-channel.md)"),
	/* Refused with a pointer to "assemble --force". */
	[TABLE_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL, NULL,
		.flags = CLI_OPT_HIDDEN),
	CLI_OPTIONS_END
};

static const struct cli_opt assemble_opts[] = {
	[ASSEMBLE_NAME] = CLI_OPTION("name", 'n', CLI_NAME, "NAME",
		"the device-mapper name, /dev/mapper/NAME: " DDRAID_VOLUME_NAME_RULE),
	[ASSEMBLE_FORCE] = CLI_OPTION("force", 'f', CLI_FLAG, NULL,
		"more than one member is out (two failed, or one failed and one gone): take the "
		"freshest as current, say what that assumes, record it on the members' "
		"superblocks, then assemble; exactly one member stays out"),
	[ASSEMBLE_VERIFY] = CLI_OPTION("verify", 0, CLI_FLAG, NULL,
		"reads also read parity and fail on a mismatch"),
	[ASSEMBLE_CLUSTER] = CLI_OPTION("cluster", 0, CLI_FLAG, NULL,
		"cluster mode: writes wait for ddraidd's grants (docs/kernel-channel.md)"),
	CLI_OPTIONS_END
};

static const struct cli_opt status_opts[] = {
	[STATUS_JSON] = CLI_OPTION("json", 'j', CLI_FLAG, NULL,
		"print JSON (\"format\": 1): the volume's object, or one with a "
		"\"volumes\" array without VOLUME; with --watch one object a line"),
	[STATUS_WATCH] = CLI_OPTION("watch", 'w', CLI_FLAG, NULL,
		"look again every interval until interrupted: redrawn on a terminal, "
		"else one block after another"),
	[STATUS_INTERVAL] = CLI_OPTION("interval", 'i', CLI_UINT, "SECONDS",
		"with --watch: the seconds between looks (default 2)",
		.min = 1, .max = 86400, .what = "number of seconds"),
	[STATUS_COUNT] = CLI_OPTION("count", 'c', CLI_UINT, "N",
		"with --watch: stop after N looks",
		.min = 1, .max = UINT32_MAX, .what = "number of looks"),
	CLI_OPTIONS_END
};

static const struct cli_opt fail_opts[] = {
	[FAIL_MEMBER] = CLI_OPTION("member", 'm', CLI_UINT, "N",
		"the index of the member to record failed",
		.min = 0, .max = DDRAID_MAX_MEMBERS - 1,
		.what = "member index"),
	CLI_OPTIONS_END
};

static const struct cli_opt scrub_opts[] = {
	[SCRUB_REPAIR] = CLI_OPTION("repair", 'r', CLI_FLAG, NULL,
		"also rewrite the parity of mismatching blocks"),
	[SCRUB_CANCEL] = CLI_OPTION("cancel", 'c', CLI_FLAG, NULL,
		"stop the running scrub"),
	[SCRUB_ALL] = CLI_OPTION("all", 'a', CLI_FLAG, NULL,
		"every volume with a ddraidd on this node, instead of VOLUME"),
	[SCRUB_SCHEDULED] = CLI_OPTION("scheduled", 0, CLI_STRING, "PERIOD",
		"a timer's scrub: start one unless the cluster has started the scrub "
		"of this month, week or day (PERIOD month, week or day, local time) "
		"already; nothing to do is no error"),
	CLI_OPTIONS_END
};

static const struct cli_opt fenced_opts[] = {
	[FENCED_NODE] = CLI_OPTION("node", 'n', CLI_UINT, "N",
		"the corosync node id of the fenced node",
		.min = 1, .max = UINT32_MAX, .what = "corosync node id"),
	CLI_OPTIONS_END
};

static const struct cli_opt events_opts[] = {
	[EVENTS_JSON] = CLI_OPTION("json", 'j', CLI_FLAG, NULL,
		"print each event as a JSON object on one line"),
	[EVENTS_ONCE] = CLI_OPTION("once", '1', CLI_FLAG, NULL,
		"exit after the first event (with --timeout: exit 1 if none came)"),
	[EVENTS_TIMEOUT] = CLI_OPTION("timeout", 't', CLI_UINT, "S",
		"exit after S seconds",
		.min = 1, .max = 86400 * 366, .what = "number of seconds"),
	[EVENTS_SETTLE] = CLI_OPTION("settle", 's', CLI_UINT, "MS",
		"print a burst of events as its last one, once MS milliseconds "
		"passed without another (one line per change, for scripts)",
		.min = 1, .max = 60000, .what = "number of milliseconds"),
	CLI_OPTIONS_END
};

static const struct cli_opt monitor_opts[] = {
	[MONITOR_PROGRAM] = CLI_OPTION("program", 'p', CLI_FILE, "PROG",
		"run PROG EVENT VOLUME DETAILS for every event, one at a time "
		"(DDRAID_EVENT, DDRAID_VOLUME, DDRAID_<FIELD> ... in its environment)"),
	[MONITOR_SYSLOG] = CLI_OPTION("syslog", 'y', CLI_FLAG, NULL,
		"report to syslog (facility daemon) instead of standard output"),
	[MONITOR_ONESHOT] = CLI_OPTION("oneshot", '1', CLI_FLAG, NULL,
		"report the problems there are now (degraded volumes, failed "
		"members, paths down) once and exit: 1 when there are any"),
	CLI_OPTIONS_END
};

const struct cli_cmd cli_commands[] = {
	{
		.name = "create",
		.summary = "write a new volume's superblocks to its members",
		.synopsis = SYNOPSIS("[--name NAME] [--region-size SIZE] [--force] "
				     "[--assume-clean] DEV...",
				     "--name NAME --nodes NODE,...|all [--region-size SIZE] "
				     "[--force] [--assume-clean]"),
		.description =
			"Make a new volume of the 2, 3, 5 or 9 DEVs (block devices or files), "
			"given in member order; the last one holds parity. Capacity is set by "
			"the smallest.\n\n"
			"With --nodes: of the disks that the corosync nodes NODE,... offer "
			"(ddraidctl export-disk on each), imported over NVMe/TCP from their "
			"corosync addresses and disconnected again afterwards.",
		.opts = create_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_create,
	}, {
		.name = "examine",
		.summary = "show one member's superblock",
		.synopsis = SYNOPSIS("[--json | --export] DEV"),
		.description =
			"Show the superblock of one member (block device or file) without "
			"assembling the volume.",
		.opts = examine_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_examine,
	}, {
		.name = "erase",
		.summary = "wipe the ddraid superblocks of members (mdadm --zero-superblock)",
		.synopsis = SYNOPSIS("[--force] DEV..."),
		.description =
			"Zero the ddraid superblock copies of each DEV, so that it is no longer "
			"a member of any volume; the data area is left as it is. Every DEV is "
			"checked before any is written: one that carries no ddraid superblock, "
			"that is a member of a running volume (held by a ddraid device-mapper "
			"device, open exclusively by another program, or its volume's ddraidd "
			"answering on the control socket), or that also holds another signature "
			"is refused, and then nothing is erased.",
		.opts = erase_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.min_operands = 1, .max_operands = -1,
		.run = cmd_erase,
	}, {
		.name = "export",
		.summary = "copy the whole volume out (one member may be missing)",
		.synopsis = SYNOPSIS("[--force] [--output FILE] DEV..."),
		.description =
			"Write the whole volume made of the DEVs (in member order; 'missing' "
			"for one absent member) to FILE or standard output. Members are not "
			"written.",
		.opts = export_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_export,
	}, {
		.name = "import",
		.summary = "copy data into the volume from its start",
		.synopsis = SYNOPSIS("[--force] [--input FILE] DEV..."),
		.description =
			"Write FILE (or standard input) into the volume made of the DEVs (in "
			"member order; 'missing' for one absent member), from volume byte 0. An "
			"input shorter than the volume is written as far as it goes, its last "
			"partial block padded with zeros; the rest of the volume is unchanged. "
			"An input longer than the volume is an error: a regular file is checked "
			"before anything is written, a pipe only once the volume is full.",
		.opts = import_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_import,
	}, {
		.name = "check",
		.summary = "verify (and with --repair fix) parity",
		.synopsis = SYNOPSIS("[--repair] DEV..."),
		.description =
			"Read every block of the volume made of the DEVs (all members present, "
			"in order) and compare the parity member with the XOR of the data "
			"members. Prints how many blocks mismatch and the first few block "
			"numbers. Exit status 0 only when the volume is consistent (after "
			"--repair, when every mismatch was repaired).",
		.opts = check_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_check,
	}, {
		.name = "rebuild",
		.summary = "rebuild a member (online via ddraidd, or --offline)",
		.synopsis = SYNOPSIS(
			"--offline [--force] [--force-assembly] --member N --new NEWDEV DEV...",
			"VOLUME --member N [--bitmap] NEWDEV"),
		.description =
			"With --offline: reconstruct member N of the volume made of the DEVs "
			"(in member order; the old member N may be given as 'missing') onto "
			"NEWDEV, a block device or file at least as large as the volume needs. "
			"The volume must not be in use.\n\n"
			"Without: ask the ddraidd of the running VOLUME to rebuild member N "
			"onto NEWDEV, which must name the same device on every node (an "
			"absolute path).",
		.opts = rebuild_opts,
		.operand = { CLI_VOLUME_OR_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_rebuild,
	}, {
		.name = "table",
		.summary = "print the kernel target's table line for the members",
		.synopsis = SYNOPSIS("[--verify] [--cluster] DEV..."),
		.description =
			"Print the device-mapper table line of the volume whose members are "
			"DEV... (block devices, in any order: each superblock says its place; "
			"the word 'missing' is accepted and ignored). A stale member or one the "
			"others record as failed is left out, as '-'.",
		.opts = table_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_table,
	}, {
		.name = "assemble",
		.summary = "create /dev/mapper/NAME (kernel target) over the members",
		.synopsis = SYNOPSIS("--name NAME [--force] [--verify] [--cluster] DEV..."),
		.description =
			"Create /dev/mapper/NAME, the kernel target (dm-ddraid) over the "
			"members DEV... (in any order, as for 'ddraidctl table').",
		.opts = assemble_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = -1,
		.run = cmd_assemble,
	}, {
		.name = "stop",
		.summary = "remove a /dev/mapper device made by assemble",
		.synopsis = SYNOPSIS("NAME"),
		.description =
			"Remove /dev/mapper/NAME, a ddraid device made by 'ddraidctl assemble'.",
		.operand = { CLI_DMNAME, CLI_DMNAME },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_stop,
	}, {
		.name = "status",
		.summary = "show the running volumes of this node, or one",
		.synopsis = SYNOPSIS("[--json] [--watch [--interval SECONDS] "
				     "[--count N]] [VOLUME]"),
		.description =
			"Show the state of the running VOLUME: a cluster volume's as its "
			"ddraidd sees it (members, nodes, rebuild, resync and scrub with "
			"their rate and time left, fencing), a standalone one's from its "
			"device-mapper status. Without VOLUME, every volume of this node: "
			"those with a ddraidd control socket, then the ddraid device-mapper "
			"devices without one.\n\n"
			"With --watch: look again every interval until interrupted (SIGINT, "
			"SIGTERM; exit status 0) or for N looks. On a terminal the screen is "
			"redrawn, else each look is printed after the last. Exit status 1 "
			"when a volume could not be read (in the last look).",
		.opts = status_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.min_operands = 0, .max_operands = 1,
		.run = cmd_status,
	}, {
		.name = "fail",
		.summary = "record a member failed cluster-wide (ddraidd)",
		.synopsis = SYNOPSIS("VOLUME --member N"),
		.description =
			"Record member N of the running VOLUME failed on every node.",
		.opts = fail_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_fail,
	}, {
		.name = "scrub",
		.summary = "verify parity of a running volume (ddraidd)",
		.synopsis = SYNOPSIS("VOLUME [--repair | --cancel]",
				     "{VOLUME | --all} --scheduled PERIOD [--repair]",
				     "--all [--repair | --cancel]"),
		.description =
			"Ask ddraidd to verify the parity of the running VOLUME, region by "
			"region under a cluster-wide lock while every node keeps writing. "
			"Mismatching blocks are counted and logged by the coordinator's "
			"ddraidd; --repair also rewrites their parity. --cancel stops the "
			"running scrub. Progress and the count are in ddraidctl status. A "
			"degraded or rebuilding volume is refused.\n\n"
			"--scheduled PERIOD is what the ddraid-scrub timer runs on every "
			"node: the cluster starts one scrub per volume and PERIOD (month, "
			"week from Monday, or day, in local time), whichever node asks "
			"first; the others' requests change nothing. A volume whose scrub "
			"of the period has started, that scrubs or rebuilds already, or "
			"that is degraded is skipped (exit 0). --all asks every volume "
			"with a ddraidd on this node; standalone volumes have no online "
			"scrub and are skipped.",
		.opts = scrub_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.min_operands = 0, .max_operands = 1,
		.run = cmd_scrub,
	}, {
		.name = "fenced",
		.summary = "confirm a vanished node was fenced (ddraidd)",
		.synopsis = SYNOPSIS("VOLUME --node N"),
		.description =
			"Tell the volume's coordinator that node N, gone from the cluster, has "
			"been fenced (powered off): its regions may be resynced now. Ask the "
			"coordinator's daemon (ddraidctl status shows which).",
		.opts = fenced_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_fenced,
	}, {
		.name = "set",
		.summary = "tune a running volume's rebuild and scrub rates cluster-wide (ddraidd)",
		.synopsis = SYNOPSIS("VOLUME KEY=VALUE..."),
		.description =
			"Set background rates of the running VOLUME for every node at once, "
			"without a restart, through the cluster's replicated state: "
			"rebuild-rate=MB/s and scrub-rate=MB/s are the rate limits of online "
			"rebuild and scrub (as md's sync_speed_max; 0: unlimited), "
			"sync-speed-min=MB/s the rate both keep while foreground writes run "
			"(as md's sync_speed_min; 0: none, the limit applies). A rate is "
			DDRAID_MBS_RULE ". VALUE 'node' gives the key back to each node's own "
			"ddraidd --sync-speed-max/--sync-speed-min. Keys not given keep their "
			"value. The setting lasts while any daemon of the volume runs; "
			"ddraidctl status shows the rates and where they come from.",
		.operand = { CLI_VOLUME, CLI_RATE_SETTING },
		.min_operands = 2, .max_operands = -1,
		.run = cmd_set,
	}, {
		.name = "events",
		.summary = "print volume events as they happen (member failed, rebuild, ...)",
		.synopsis = SYNOPSIS("[--json] [--once] [--timeout S] [--settle MS] [VOLUME]"),
		.description =
			"Print one line per event of the running VOLUME (default: every "
			"volume with a ddraidd on this node, or a standalone ddraid "
			"device), as it happens: member failed, rebuilding or active, "
			"volume degraded or healthy, resync, rebuild and scrub start and "
			"end, scrub mismatches, nodes joining, leaving or fenced, paths "
			"down and up. Each line is \"TIME VOLUME EVENT key=value ...\"; "
			"with --json a JSON object with a \"version\" field. The names "
			"and fields are stable (docs/events.md). Runs until interrupted, "
			"--once or --timeout; exit 1 when a daemon stops.",
		.opts = events_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.max_operands = 1,
		.run = cmd_events,
	}, {
		.name = "monitor",
		.summary = "report volume events and problems (as mdadm --monitor)",
		.synopsis = SYNOPSIS("[--program PROG] [--syslog] [--oneshot] [VOLUME...]"),
		.description =
			"Watch the VOLUMEs (default: every volume with a ddraidd on this "
			"node and every standalone ddraid device, also those that appear "
			"later) and report each problem there is at the start and every "
			"event after it, to standard output or with --syslog to syslog, "
			"and to PROG when given. A daemon that stops is reported and "
			"looked for again. Standalone volumes are polled every 2 seconds "
			"(their device-mapper status). With --oneshot: report the current "
			"problems and exit, 1 when there were any (for a timer).",
		.opts = monitor_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.max_operands = -1,
		.run = cmd_monitor,
	}, {
		.name = "metrics",
		.summary = "print volume metrics in the Prometheus text format",
		.synopsis = SYNOPSIS("[VOLUME]"),
		.description =
			"Print the member states, progress and counters of VOLUME "
			"(default: every volume on this node) in the Prometheus text "
			"format, for node_exporter's textfile collector. Exit 1 when a "
			"volume could not be read (its ddraid_up is then 0).",
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.max_operands = 1,
		.run = cmd_metrics,
	}, {
		.name = "export-disk",
		.summary = "offer this node's disk for create --nodes (NVMe/TCP)",
		.synopsis = SYNOPSIS("[--force] DEV", "--remove"),
		.description =
			"Export the block device DEV with the kernel's NVMe target (nvmet) on "
			"this node's corosync address, port 4420, as the subsystem "
			TR_NQN_PREFIX "nodeID:disk (ID: this node's corosync node id), so that "
			"'ddraidctl create --nodes' on any node can make it a member. A DEV "
			"that holds a ddraid superblock or a filesystem, RAID or partition "
			"signature is refused without --force. 'connect' replaces the offer "
			"with the member's own export.",
		.opts = export_disk_opts,
		.operand = { CLI_DEV, CLI_DEV },
		.max_operands = 1,
		.run = cmd_export_disk,
	}, {
		.name = "connect",
		.summary = "export this node's member, import the others (NVMe/TCP)",
		.synopsis = SYNOPSIS("[--disk DEV] [--fence-delay SECONDS] [--wait SECONDS] "
				     "[--export] VOLUME"),
		.description =
			"Find this node's member of VOLUME (the local disk whose superblock "
			"names it), export it with nvmet on this node's corosync address as "
			TR_NQN_PREFIX "UUID:mINDEX, and import every other member of the volume "
			"from the node in corosync's membership that exports it, with nvme-tcp "
			"timeouts that fit the fence delay. Prints each member's device here, "
			"in member order ('missing' for one no node exports). Connecting what "
			"is connected already succeeds.",
		.opts = connect_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_connect,
	}, {
		.name = "disconnect",
		.summary = "undo connect: drop the imports and this node's export",
		.synopsis = SYNOPSIS("[--disk DEV] VOLUME"),
		.description =
			"Disconnect every NVMe/TCP controller of VOLUME's members on this node, "
			"then remove this node's export of its member (and the nvmet port if "
			"nothing else uses it). Stop the volume's device and ddraidd first. "
			"Nothing on this node naming VOLUME (neither a local disk nor an "
			"import) is nothing to undo: success.",
		.opts = disconnect_opts,
		.operand = { CLI_VOLUME, CLI_VOLUME },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_disconnect,
	}, {
		.name = "check-name",
		.summary = "check a volume name against the naming rule",
		.synopsis = SYNOPSIS("NAME"),
		.description =
			"Exit 0 if NAME may name a volume (" DDRAID_VOLUME_NAME_RULE "), else "
			"say why and exit 1. The rule is the one create, assemble, the online "
			"commands, ddraidd and the OCF agent apply.",
		.operand = { CLI_STRING, CLI_STRING },
		.min_operands = 1, .max_operands = 1,
		.run = cmd_check_name,
	},
	CLI_OPTIONS_END
};

const struct cli_cmd *cli_find_cmd(const char *name)
{
	const struct cli_cmd *c;

	for (c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
