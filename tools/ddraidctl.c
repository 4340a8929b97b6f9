// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl: the command-line tool. This file only dispatches: the
 * commands are the table in tools/commands.c, parsed by tools/cli_parse.c,
 * each handled in its own tools/cmd_*.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static int run(const struct cli_cmd *c, int argc, char **argv)
{
	struct cli_args a;
	int r;

	cli_cmd_name = c->name;
	r = cli_parse(c, argc, argv, &a);
	if (r < 0)
		return CLI_OK;	/* --help */
	if (r)
		return r;
	return c->run(&a);
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	const char *name;

	if (argc < 2) {
		cli_print_usage(stderr);
		return CLI_USAGE;
	}
	name = argv[1];
	/* Hidden: the bash completion's and the tests' view of the table. */
	if (!strcmp(name, "__complete"))
		return cli_complete_main(argc - 2, argv + 2);
	if (!strcmp(name, "__table"))
		return cli_table_main(argc - 2, argv + 2);
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("ddraidctl %s\n", PACKAGE_VERSION);
		return CLI_OK;
	}
	if (!strcmp(name, "help") && argc > 2) {
		/* "ddraidctl help CMD" is "ddraidctl CMD --help". */
		name = argv[2];
		c = cli_find_cmd(name);
		if (c) {
			cli_print_help(c);
			return CLI_OK;
		}
	} else if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
		   !strcmp(name, "help")) {
		cli_print_usage(stdout);
		return CLI_OK;
	} else {
		c = cli_find_cmd(name);
		if (c)
			return run(c, argc - 1, argv + 1);
	}
	fprintf(stderr, "ddraidctl: unknown command '%s'\n", name);
	cli_print_usage(stderr);
	return CLI_USAGE;
}
