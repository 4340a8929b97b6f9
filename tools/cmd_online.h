/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidctl commands that talk to a running ddraidd over its control
 * socket (tools/cmd_online.c). CMD_ONLINE_ENTRIES goes first in the command
 * table: "rebuild" without --offline is the online rebuild, with it the
 * offline one (cmd_rebuild).
 */
#ifndef DDRAID_CMD_ONLINE_H
#define DDRAID_CMD_ONLINE_H

int cmd_status(int argc, char **argv);
int cmd_online_rebuild(int argc, char **argv);
int cmd_fail(int argc, char **argv);
int cmd_scrub(int argc, char **argv);
int cmd_fenced(int argc, char **argv);

#define CMD_ONLINE_ENTRIES \
	{ "status", cmd_status, "show a running volume's cluster state (ddraidd)" }, \
	{ "rebuild", cmd_online_rebuild, "rebuild a member (online via ddraidd, or --offline)" }, \
	{ "fail", cmd_fail, "record a member failed cluster-wide (ddraidd)" }, \
	{ "scrub", cmd_scrub, "verify parity of a running volume (ddraidd)" }, \
	{ "fenced", cmd_fenced, "confirm a vanished node was fenced (ddraidd)" },

#endif /* DDRAID_CMD_ONLINE_H */
