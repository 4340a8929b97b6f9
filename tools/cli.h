/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidctl internals: the helpers every command uses so that all of them
 * report and exit the same way. The commands themselves, their options and
 * their help are in the command table (tools/commands.c, cli_table.h).
 */
#ifndef DDRAID_CLI_H
#define DDRAID_CLI_H

#include <stdbool.h>
#include <time.h>

#include <json-c/json.h>

#include "ddraid.h"
#include "commands.h"

/* Exit status of every command. */
#define CLI_OK		0	/* done */
#define CLI_FAIL	1	/* could not be done, or a check failed */
#define CLI_USAGE	2	/* the command line was wrong */

/*
 * The dm uuid prefix of the devices assemble makes: lets stop, erase and
 * other tools recognise our devices.
 */
#define CLI_DM_UUID_PREFIX	"DDRAID-"

/* ---- messages (tools/cli_util.c) ---- */

/* The running command's name, for "ddraidctl: <command>: ..." messages. */
extern const char *cli_cmd_name;

/*
 * Set by a command that can force an assembly: appended to a refusal that
 * forcing would overcome, e.g. " (run again with --force to do that)".
 */
extern const char *cli_force_option;

/* "ddraidctl: <command>: <message>" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with "warning: " before the message. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error in the command line: the message and a hint; returns CLI_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- numbers ---- */

/*
 * A size in bytes: digits with an optional binary suffix K, M, G, T, P
 * (KiB, MiB ... and KB, MB ... mean the same). Returns 0, or -EINVAL (not a
 * size) / -ERANGE (too big) with nothing stored.
 */
int cli_parse_size(const char *s, u64 *out);
/* A decimal unsigned integer no larger than @max. */
int cli_parse_uint(const char *s, u64 max, u64 *out);
/* "64.0 MiB": a human form of @bytes in @buf. */
const char *cli_human_size(u64 bytes, char *buf, size_t len);

/* ---- progress on a terminal ---- */

struct cli_progress {
	const char *what;
	bool tty;		/* stderr is a terminal: draw, else stay quiet */
	bool drawn;
	time_t last;
};

void cli_progress_init(struct cli_progress *p, const char *what);
/* A ddraid_progress_fn; @arg is a struct cli_progress. Never stops. */
int cli_progress_cb(void *arg, u64 done, u64 total);
/* End the progress line (if one was drawn). */
void cli_progress_done(struct cli_progress *p);

/* ---- volumes ---- */

/*
 * Assemble the volume whose members are @argv[0..argc) (in order, the word
 * "missing" for an absent one), printing the reason on failure. Returns
 * CLI_OK, or CLI_FAIL / CLI_USAGE with *vol unset.
 */
int cli_open_volume(int argc, char **argv, unsigned int flags,
		    struct ddraid_vol **vol);

/*
 * The filesystem, RAID and partition-table signatures libblkid finds on
 * @path, as "ext4, dos" in @found. Returns how many (0: none), or -errno.
 */
int cli_find_signatures(const char *path, char *found, size_t len);

/*
 * Small sysfs and configfs attributes: the first line of @path into @val
 * (without its newline), and @val written to @path. 0 or -errno.
 */
int cli_attr_read(const char *path, char *val, size_t len);
int cli_attr_write(const char *path, const char *val);

/* Refuse to run without members: prints the message, returns CLI_USAGE. */
int cli_need_members(int argc);

/*
 * After a forced assembly (tools/cli_force.c): what it assumed, which
 * member stays out, what was written and the next steps, on stderr.
 * @read_only: the superblocks were left as they were.
 */
void cli_force_report(const struct ddraid_forced *f, bool read_only);

/* ---- ddraidd's control socket (tools/cli_ctl.c) ---- */

/*
 * Send @req to the ddraidd of volume @vol over its control socket
 * ($DDRAID_CTL_DIR, default /run/ddraid, then VOL.sock) and parse the one
 * line it answers into *resp. Returns CLI_OK, or CLI_FAIL after saying
 * why (unless @quiet: erase asks only whether a daemon answers).
 */
int cli_ctl_ask(const char *vol, json_object *req, json_object **resp,
		bool quiet);
/* CLI_OK if ddraidd's reply @resp says ok, else CLI_FAIL after printing its
 * error (after "@vol: " unless @vol is NULL). */
int cli_ctl_reply_ok(json_object *resp, const char *vol);
/* $DDRAID_CTL_DIR or /run/ddraid. */
const char *cli_ctl_dir(void);
/* Does volume @vol have a control socket (a ddraidd, maybe stale)? */
bool cli_ctl_exists(const char *vol);
/* The volumes with a control socket, malloc'd names (0 or -errno). */
int cli_ctl_list(char ***names, unsigned int *n);
/* Connect to @vol's ddraidd and send @req: the socket, or -1 after saying
 * why (unless @quiet). */
int cli_ctl_connect(const char *vol, json_object *req, bool quiet);

/* Lines from a socket: fill, then take the complete lines. */
struct cli_lines {
	int fd;
	char *buf;
	size_t len, cap, off;
};
/* Read once: > 0 bytes (1 also: interrupted, try again), 0 end, -errno. */
int cli_lines_fill(struct cli_lines *l);
/* The next complete line, NUL-terminated, valid until the next fill;
 * NULL: none yet. */
char *cli_lines_get(struct cli_lines *l);
/* Close and free; @l can be used again after setting its fd. */
void cli_lines_free(struct cli_lines *l);
/* @line parsed as a JSON object, or NULL. */
json_object *cli_json_object(const char *line);

/* ---- the volumes of this node (tools/cli_volumes.c) ---- */

/*
 * A running volume: one with a ddraidd (its control socket), else a ddraid
 * device-mapper device, standalone or a cluster-mode target whose daemon
 * is gone (@cluster).
 */
struct cli_vol {
	char *name;
	bool daemon;
	bool cluster;	/* !daemon: its target is in cluster mode */
};

/*
 * Every volume of this node, daemons first, then the dm devices without
 * a socket whose names ddraidctl could have given (one word, no quotes);
 * each group by name.
 * A malloc'd array (free it with cli_vols_free); 0, or -errno when the
 * socket directory could not be read (the dm devices are listed anyway).
 */
int cli_vols_list(struct cli_vol **v, unsigned int *n);
void cli_vols_free(struct cli_vol *v, unsigned int n);
/* Volume @vol has neither a daemon nor a ddraid dm device: say so. */
void cli_err_no_volume(const char *vol);

#endif /* DDRAID_CLI_H */
