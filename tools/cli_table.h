/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidctl's command table: every command, its options with the kind of
 * their arguments, its usage and help, and its handler, in one place
 * (tools/commands.c). One parser (tools/cli_parse.c) reads the command
 * line from it, so that every command parses, refuses bad arguments and
 * prints its help the same way; "ddraidctl --help", "CMD --help", the
 * bash completion (tools/cli_complete.c) and the man page test
 * (tests/cli/t-man.sh) all come from it.
 */
#ifndef DDRAID_CLI_TABLE_H
#define DDRAID_CLI_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "ddraid.h"

/* What an option's argument or a command's operand is. */
enum cli_kind {
	CLI_FLAG,	/* option without an argument */
	CLI_STRING,	/* anything; the handler checks it */
	CLI_SIZE,	/* bytes, with K M G T P suffixes: ->num */
	CLI_UINT,	/* a decimal number in [min, max]: ->num */
	CLI_FILE,	/* a file to read or write */
	CLI_DEV,	/* a member: block device or file ("missing" too) */
	CLI_NAME,	/* a new volume name: must follow the name rule */
	CLI_VOLUME,	/* a running volume's name: the name rule too */
	CLI_VOLUME_OR_DEV,	/* rebuild: VOLUME online, a member offline */
	CLI_DMNAME,	/* a device-mapper device name */
	CLI_RATE_SETTING,	/* KEY=VALUE, KEY one of ddraid_rate_keys */
};

/* Options flags. */
#define CLI_OPT_HIDDEN	0x1	/* parsed, not shown: the handler refuses it */

struct cli_opt {
	const char *name;	/* long name, without "--"; NULL ends */
	char short_name;	/* 0: none */
	enum cli_kind kind;
	const char *metavar;	/* the argument in usage: "SIZE" */
	const char *help;	/* one sentence, wrapped by the printer */
	/* CLI_UINT: the range, and what the number is ("member index") */
	u64 min, max;
	const char *what;
	unsigned int flags;
};

/* An entry of an option array; CLI_UINT adds .min, .max and .what. */
#define CLI_OPTION(long_name, short, k, arg, text, ...) {		\
	.name = (long_name), .short_name = (short), .kind = (k),	\
	.metavar = (arg), .help = (text), __VA_ARGS__ }
#define CLI_OPTIONS_END	{ .name = NULL }

/* Most options a command has. */
#define CLI_MAX_OPTS	12

#define CLI_CMD_HIDDEN	0x1	/* not listed: for the completion, tests */

struct cli_args;

struct cli_cmd {
	const char *name;	/* NULL ends the table */
	const char *summary;	/* one line for "ddraidctl --help" */
	/* usage lines, each after "ddraidctl NAME "; NULL-terminated */
	const char *const *synopsis;
	const char *description;	/* paragraphs separated by "\n\n" */
	const struct cli_opt *opts;	/* NULL: none (--help is implicit) */
	/* operands: the first, and the second and later ones */
	enum cli_kind operand[2];
	/* how many, checked by the parser; max < 0: no limit */
	int min_operands, max_operands;
	int (*run)(const struct cli_args *a);
	unsigned int flags;
};

/* A parsed command line, as the handler gets it. */
struct cli_args {
	const struct cli_cmd *cmd;
	bool given[CLI_MAX_OPTS];	/* by index in cmd->opts */
	const char *str[CLI_MAX_OPTS];	/* the argument as given */
	u64 num[CLI_MAX_OPTS];		/* CLI_SIZE, CLI_UINT: its value */
	int argc;			/* the operands */
	char **argv;
};

/* The table (tools/commands.c), ended by an entry with a NULL name. */
extern const struct cli_cmd cli_commands[];

/* The command named @name, or NULL. */
const struct cli_cmd *cli_find_cmd(const char *name);

/*
 * Parse "NAME ARGS..." (@argv[0] is the command name) against @cmd into
 * @a. Returns CLI_OK with @a filled, CLI_USAGE after saying what was
 * wrong, or -1 after printing the help (the caller exits 0).
 */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      struct cli_args *a);

/* "ddraidctl CMD --help" and "ddraidctl --help". */
void cli_print_help(const struct cli_cmd *cmd);
void cli_print_usage(FILE *f);

/* Hidden commands for the completion and the tests (cli_complete.c). */
int cli_complete_main(int argc, char **argv);
int cli_table_main(int argc, char **argv);

#endif /* DDRAID_CLI_TABLE_H */
