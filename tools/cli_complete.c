// SPDX-License-Identifier: GPL-2.0-only
/*
 * The command table as other programs see it, through two hidden
 * commands:
 *
 *   ddraidctl __complete WORD...   what may come after WORD... (the words
 *       before the one being completed): one candidate a line, or a line
 *       "@files", "@volumes" or "@dmnames" that the bash completion
 *       (tools/ddraidctl.bash-completion) expands itself. So the
 *       completion knows every command and option the table has.
 *   ddraidctl __table              the visible commands and options, tab
 *       separated, for tests/cli/t-man.sh to hold the man page against.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static void candidates_for(enum cli_kind k)
{
	int i;

	switch (k) {
	case CLI_DEV:
		puts(DDRAID_MISSING);
		puts("@files");
		break;
	case CLI_FILE:
		puts("@files");
		break;
	case CLI_VOLUME:
		puts("@volumes");
		break;
	case CLI_VOLUME_OR_DEV:
		puts("@volumes");
		puts("@files");
		break;
	case CLI_DMNAME:
		puts("@dmnames");
		break;
	case CLI_RATE_SETTING:
		for (i = 0; i < DDRAID_RATES; i++)
			printf("%s=\n", ddraid_rate_keys[i]);
		break;
	default:
		break;	/* a size, a number, a new name: nothing to offer */
	}
}

/* The option "--NAME" (or "--NAME=..."), or a unique prefix of one. */
static const struct cli_opt *long_opt(const struct cli_cmd *cmd,
				      const char *word)
{
	const struct cli_opt *o, *hit = NULL;
	size_t len = strcspn(word, "=");
	int n = 0;

	for (o = cmd->opts; o && o->name; o++) {
		if (strncmp(o->name, word, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		hit = o;
		n++;
	}
	return n == 1 ? hit : NULL;
}

static const struct cli_opt *short_opt(const struct cli_cmd *cmd, char c)
{
	const struct cli_opt *o;

	for (o = cmd->opts; o && o->name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

/*
 * After the command's words: the option still waiting for its argument
 * (NULL if none), and how many operands were given.
 */
static const struct cli_opt *scan(const struct cli_cmd *cmd, int argc,
				  char **argv, int *operands, bool *dashdash)
{
	const struct cli_opt *pending = NULL, *o;
	const char *w;
	int i;

	*operands = 0;
	*dashdash = false;
	for (i = 0; i < argc; i++) {
		w = argv[i];
		if (pending) {
			pending = NULL;	/* this word was its argument */
		} else if (*dashdash || w[0] != '-' || !w[1]) {
			(*operands)++;
		} else if (!strcmp(w, "--")) {
			*dashdash = true;
		} else if (w[1] == '-') {
			o = long_opt(cmd, w + 2);
			if (o && o->kind != CLI_FLAG && !strchr(w, '='))
				pending = o;
		} else {
			/*
			 * -fn NAME: the first option that takes an argument
			 * takes the rest of the word, or the next word.
			 */
			for (w++; *w; w++) {
				o = short_opt(cmd, *w);
				if (o && o->kind != CLI_FLAG) {
					if (!w[1])
						pending = o;
					break;
				}
			}
		}
	}
	return pending;
}

int cli_complete_main(int argc, char **argv)
{
	const struct cli_cmd *cmd, *c;
	const struct cli_opt *o;
	bool dashdash;
	int operands;

	if (argc == 0 || (argc == 1 && !strcmp(argv[0], "help"))) {
		for (c = cli_commands; c->name; c++)
			if (!(c->flags & CLI_CMD_HIDDEN))
				puts(c->name);
		if (argc == 0)
			puts("help");
		return CLI_OK;
	}
	cmd = cli_find_cmd(argv[0]);
	if (!cmd)
		return CLI_OK;
	o = scan(cmd, argc - 1, argv + 1, &operands, &dashdash);
	if (o) {
		candidates_for(o->kind);
		return CLI_OK;
	}
	if (!dashdash) {
		for (o = cmd->opts; o && o->name; o++)
			if (!(o->flags & CLI_OPT_HIDDEN))
				printf("--%s\n", o->name);
		puts("--help");
	}
	if (cmd->max_operands < 0 || operands < cmd->max_operands)
		candidates_for(cmd->operand[operands ? 1 : 0]);
	return CLI_OK;
}

static const char *kind_name(enum cli_kind k)
{
	static const char *const names[] = {
		[CLI_FLAG] = "flag", [CLI_STRING] = "string",
		[CLI_SIZE] = "size", [CLI_UINT] = "number",
		[CLI_FILE] = "file", [CLI_DEV] = "member",
		[CLI_NAME] = "name", [CLI_VOLUME] = "volume",
		[CLI_VOLUME_OR_DEV] = "volume-or-member",
		[CLI_DMNAME] = "dm-name",
		[CLI_RATE_SETTING] = "setting",
	};

	return names[k];
}

int cli_table_main(int argc, char **argv)
{
	const struct cli_cmd *c;
	const struct cli_opt *o;
	const char *const *s;
	char sh[3];

	for (c = cli_commands; c->name; c++) {
		if (c->flags & CLI_CMD_HIDDEN)
			continue;
		printf("command\t%s\t%s\n", c->name, c->summary);
		for (s = c->synopsis; s && *s; s++)
			printf("synopsis\t%s\t%s\n", c->name, *s);
		for (o = c->opts; o && o->name; o++) {
			if (o->flags & CLI_OPT_HIDDEN)
				continue;
			sh[0] = '\0';
			if (o->short_name)
				snprintf(sh, sizeof(sh), "-%c", o->short_name);
			printf("option\t%s\t--%s\t%s\t%s\t%s\n", c->name,
			       o->name, sh, o->metavar ? o->metavar : "",
			       kind_name(o->kind));
		}
	}
	return CLI_OK;
}
