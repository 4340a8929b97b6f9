/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidctl internals: the command table, and the helpers every command
 * uses so that all of them parse, report and exit the same way.
 *
 * Adding a command: write tools/cmd_NAME.c with "int cmd_NAME(int argc,
 * char **argv)", declare it below and add one line to the table in
 * tools/ddraidctl.c.
 */
#ifndef DDRAID_CLI_H
#define DDRAID_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <time.h>

#include "ddraid.h"

/* Exit status of every command. */
#define CLI_OK		0	/* done */
#define CLI_FAIL	1	/* could not be done, or a check failed */
#define CLI_USAGE	2	/* the command line was wrong */

struct cli_cmd {
	const char *name;
	/* argv[0] is the command name; returns a CLI_* exit status. */
	int (*run)(int argc, char **argv);
	const char *summary;	/* one line for "ddraidctl --help" */
};

/* The commands, in tools/cmd_*.c. */
int cmd_create(int argc, char **argv);
int cmd_examine(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rebuild(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_assemble(int argc, char **argv);
int cmd_stop(int argc, char **argv);

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

/*
 * getopt_long with ddraidctl's messages. Returns the option, -1 at the end,
 * or '?' after printing what was wrong (unknown option, missing argument):
 * the caller then returns CLI_USAGE. The first call for an argv restarts
 * the parse (call cli_getopt_reset() first).
 */
void cli_getopt_reset(void);
int cli_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

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

/* Refuse to run without members: prints the message, returns CLI_USAGE. */
int cli_need_members(int argc);

/*
 * After a forced assembly (tools/cli_force.c): what it assumed, which
 * member stays out, what was written and the next steps, on stderr.
 * @read_only: the superblocks were left as they were.
 */
void cli_force_report(const struct ddraid_forced *f, bool read_only);

#endif /* DDRAID_CLI_H */
