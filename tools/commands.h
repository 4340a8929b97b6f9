/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The index of each command's options in its table entry
 * (tools/commands.c), so that a handler reads a->given[CREATE_FORCE]; and
 * the handlers themselves. An enum and its option array are kept in the
 * same order: the array is written with these as designated indices.
 */
#ifndef DDRAID_COMMANDS_H
#define DDRAID_COMMANDS_H

#include "cli_table.h"

enum {
	CREATE_NAME, CREATE_REGION_SIZE, CREATE_FORCE, CREATE_ASSUME_CLEAN,
	CREATE_NODES
};
enum { EXAMINE_JSON, EXAMINE_EXPORT };
enum { EXPORT_OUTPUT, EXPORT_FORCE };
enum { IMPORT_INPUT, IMPORT_FORCE };
enum { CHECK_REPAIR, CHECK_FORCE };
enum {
	REBUILD_OFFLINE, REBUILD_MEMBER, REBUILD_NEW, REBUILD_FORCE,
	REBUILD_FORCE_ASSEMBLY, REBUILD_BITMAP
};
enum { TABLE_VERIFY, TABLE_CLUSTER, TABLE_FORCE };
enum { ASSEMBLE_NAME, ASSEMBLE_FORCE, ASSEMBLE_VERIFY, ASSEMBLE_CLUSTER };
enum { STATUS_JSON, STATUS_WATCH, STATUS_INTERVAL, STATUS_COUNT };
enum { FAIL_MEMBER };
enum { SCRUB_REPAIR, SCRUB_CANCEL, SCRUB_ALL, SCRUB_SCHEDULED };
enum { FENCED_NODE };
enum { ERASE_FORCE };
enum { EVENTS_JSON, EVENTS_ONCE, EVENTS_TIMEOUT, EVENTS_SETTLE };
enum { MONITOR_PROGRAM, MONITOR_SYSLOG, MONITOR_ONESHOT };
enum { EXPORT_DISK_FORCE, EXPORT_DISK_REMOVE };
enum { CONNECT_DISK, CONNECT_FENCE_DELAY, CONNECT_WAIT, CONNECT_EXPORT };
enum { DISCONNECT_DISK };

struct ddraid_create_opts;

int cmd_create(const struct cli_args *a);
int cmd_examine(const struct cli_args *a);
int cmd_export(const struct cli_args *a);
int cmd_import(const struct cli_args *a);
int cmd_check(const struct cli_args *a);
/* rebuild: --offline in cmd_rebuild.c, else cmd_online.c */
int cmd_rebuild(const struct cli_args *a);
int cmd_online_rebuild(const struct cli_args *a);
int cmd_table(const struct cli_args *a);
int cmd_assemble(const struct cli_args *a);
int cmd_stop(const struct cli_args *a);
int cmd_status(const struct cli_args *a);
int cmd_fail(const struct cli_args *a);
int cmd_scrub(const struct cli_args *a);
int cmd_fenced(const struct cli_args *a);
int cmd_set(const struct cli_args *a);
int cmd_erase(const struct cli_args *a);
int cmd_check_name(const struct cli_args *a);
int cmd_events(const struct cli_args *a);
int cmd_monitor(const struct cli_args *a);
int cmd_metrics(const struct cli_args *a);
/* the NVMe/TCP transport (tools/transport.h) */
int cmd_create_nodes(const struct cli_args *a, struct ddraid_create_opts *o);
int cmd_export_disk(const struct cli_args *a);
int cmd_connect(const struct cli_args *a);
int cmd_disconnect(const struct cli_args *a);

#endif /* DDRAID_COMMANDS_H */
