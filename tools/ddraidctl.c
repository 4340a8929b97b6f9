// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl: the command-line tool. This file only dispatches; every
 * command lives in its own tools/cmd_*.c (see tools/cli.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_online.h"

static const struct cli_cmd commands[] = {
	CMD_ONLINE_ENTRIES
	{ "create", cmd_create, "write a new volume's superblocks to its members" },
	{ "examine", cmd_examine, "show one member's superblock" },
	{ "export", cmd_export, "copy the whole volume out (one member may be missing)" },
	{ "import", cmd_import, "copy data into the volume from its start" },
	{ "check", cmd_check, "verify (and with --repair fix) parity" },
	/*
	 * "rebuild" is in CMD_ONLINE_ENTRIES: cmd_online_rebuild hands
	 * "rebuild --offline" to cmd_rebuild.
	 */
	{ "table", cmd_table, "print the kernel target's table line for the members" },
	{ "assemble", cmd_assemble, "create /dev/mapper/NAME (kernel target) over the members" },
	{ "stop", cmd_stop, "remove a /dev/mapper device made by assemble" },
	{ NULL, NULL, NULL }
};

static void usage(FILE *f)
{
	const struct cli_cmd *c;

	fprintf(f,
		"Usage: ddraidctl COMMAND [OPTIONS] [ARGS]\n"
		"       ddraidctl COMMAND --help\n"
		"\n"
		"Members are given in order; the word 'missing' stands for an absent one.\n"
		"\n"
		"Commands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nSee ddraidctl(8).\n");
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    !strcmp(name, "help")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			/* "ddraidctl help CMD" is "ddraidctl CMD --help". */
			char *hargv[] = { argv[2], (char *)"--help", NULL };

			for (c = commands; c->name; c++)
				if (!strcmp(c->name, argv[2])) {
					cli_cmd_name = c->name;
					cli_getopt_reset();
					return c->run(2, hargv);
				}
		} else {
			usage(stdout);
			return CLI_OK;
		}
	} else if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("ddraidctl %s\n", PACKAGE_VERSION);
		return CLI_OK;
	} else {
		for (c = commands; c->name; c++) {
			if (strcmp(c->name, name))
				continue;
			cli_cmd_name = c->name;
			cli_getopt_reset();
			return c->run(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "ddraidctl: unknown command '%s'\n",
		argc > 2 && !strcmp(name, "help") ? argv[2] : name);
	usage(stderr);
	return CLI_USAGE;
}
