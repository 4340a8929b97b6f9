// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one command-line parser of ddraidctl, driven by the command table
 * (tools/cli_table.h): getopt_long options built from the command's
 * entry, each argument checked by its kind, the operands counted, and the
 * help printed from the same entry. A handler gets only a command line
 * that passed all of that; what is wrong is said naming the option, with
 * exit status 2, before anything is looked at or changed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* getopt_long's value for option i of the table; short ones return theirs. */
#define OPT_BASE	1000
#define OPT_HELP	(OPT_BASE + CLI_MAX_OPTS)

/* Help texts are wrapped to this many columns. */
#define WIDTH		79

static const char *kind_noun(enum cli_kind k)
{
	switch (k) {
	case CLI_DEV:
		return "member";
	case CLI_VOLUME:
		return "volume name";
	case CLI_VOLUME_OR_DEV:
		return "volume name or member";
	case CLI_DMNAME:
		return "device-mapper name";
	case CLI_FILE:
		return "file";
	case CLI_RATE_SETTING:
		return "KEY=VALUE setting";
	default:
		return "name";
	}
}

/* The option @v that getopt returned or reported, or NULL. */
static const struct cli_opt *opt_of(const struct cli_cmd *cmd, int v,
				    int *index)
{
	const struct cli_opt *o;
	int i;

	for (i = 0, o = cmd->opts; o && o->name; o++, i++)
		if (v == OPT_BASE + i || (o->short_name && v == o->short_name)) {
			*index = i;
			return o;
		}
	return NULL;
}

/* "--force" matches both --force and --force-assembly: say which ones. */
static void report_unknown_long(const struct cli_cmd *cmd, const char *word)
{
	const struct cli_opt *o;
	char list[256];
	size_t len, used = 0;
	int n = 0;

	len = strcspn(word + 2, "=");
	list[0] = '\0';
	for (o = cmd->opts; o && o->name; o++) {
		if (o->flags & CLI_OPT_HIDDEN || strncmp(o->name, word + 2, len))
			continue;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used,
						 "%s--%s", n ? ", " : "",
						 o->name);
		n++;
	}
	if (n > 1)
		cli_usage("option '%.*s' is ambiguous (%s)", (int)len + 2, word,
			  list);
	else
		cli_usage("unknown option '%s'", word);
}

/* Check and keep the argument of option @i. */
static int take_arg(const struct cli_opt *o, int i, const char *arg,
		    struct cli_args *a)
{
	char why[DDRAID_ERRMSG_MAX];
	int r;

	a->given[i] = true;
	a->str[i] = arg;
	switch (o->kind) {
	case CLI_FLAG:
		return CLI_OK;
	case CLI_SIZE:
		r = cli_parse_size(arg, &a->num[i]);
		if (r == -ERANGE)
			return cli_usage("option '--%s': '%s' is too big",
					 o->name, arg);
		if (r)
			return cli_usage("option '--%s': '%s' is not a size (such as 4M)",
					 o->name, arg);
		return CLI_OK;
	case CLI_UINT:
		if (cli_parse_uint(arg, o->max, &a->num[i]) ||
		    a->num[i] < o->min)
			return cli_usage("option '--%s': '%s' is not a %s (%" PRIu64
					 " to %" PRIu64 ")", o->name, arg,
					 o->what, o->min, o->max);
		return CLI_OK;
	case CLI_NAME:
	case CLI_VOLUME:
		if (ddraid_check_volume_name(arg, why, sizeof(why)))
			return cli_usage("option '--%s': '%s' is not a valid volume name: %s",
					 o->name, arg, why);
		return CLI_OK;
	default:
		if (!*arg)
			return cli_usage("option '--%s': the argument is empty",
					 o->name);
		return CLI_OK;
	}
}

/* The operands' count and, for volume names, the name rule. */
static int check_operands(const struct cli_cmd *cmd, const struct cli_args *a)
{
	char why[DDRAID_ERRMSG_MAX];
	enum cli_kind k;
	int i;

	if (a->argc < cmd->min_operands)
		return cli_usage("no %s given",
				 kind_noun(cmd->operand[a->argc ? 1 : 0]));
	if (cmd->max_operands >= 0 && a->argc > cmd->max_operands)
		return cli_usage("unexpected argument '%s'",
				 a->argv[cmd->max_operands]);
	for (i = 0; i < a->argc; i++) {
		k = cmd->operand[i ? 1 : 0];
		if ((k == CLI_VOLUME || k == CLI_NAME) &&
		    ddraid_check_volume_name(a->argv[i], why, sizeof(why)))
			return cli_usage("'%s' is not a valid volume name: %s",
					 a->argv[i], why);
		if (k != CLI_STRING && !*a->argv[i])
			return cli_usage("an empty %s", kind_noun(k));
	}
	return CLI_OK;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	      struct cli_args *a)
{
	struct option longopts[CLI_MAX_OPTS + 2];
	char shortopts[3 * CLI_MAX_OPTS + 4];
	const struct cli_opt *o;
	size_t s = 0;
	int n = 0, c, i;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	/* A leading ':' makes getopt tell a missing argument from the rest. */
	shortopts[s++] = ':';
	for (o = cmd->opts; o && o->name && n < CLI_MAX_OPTS; o++, n++) {
		longopts[n] = (struct option){
			o->name, o->kind == CLI_FLAG ? no_argument :
			required_argument, NULL, OPT_BASE + n };
		if (o->short_name) {
			shortopts[s++] = o->short_name;
			if (o->kind != CLI_FLAG)
				shortopts[s++] = ':';
		}
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	shortopts[s++] = 'h';
	shortopts[s] = '\0';

	/* 0, not 1: makes glibc reinitialise its state. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			cli_print_help(cmd);
			return -1;
		}
		if (c == '?') {
			if (optopt == OPT_HELP)
				return cli_usage("option '--help' takes no argument");
			o = opt_of(cmd, optopt, &i);
			if (o && optopt >= OPT_BASE)
				return cli_usage("option '--%s' takes no argument",
						 o->name);
			if (optopt)
				return cli_usage("unknown option '-%c'", optopt);
			report_unknown_long(cmd, argv[optind - 1]);
			return CLI_USAGE;
		}
		if (c == ':') {
			o = opt_of(cmd, optopt, &i);
			if (o && optopt >= OPT_BASE)
				return cli_usage("option '--%s' needs an argument",
						 o->name);
			return cli_usage("option '-%c' needs an argument",
					 optopt);
		}
		o = opt_of(cmd, c, &i);
		if (!o)
			return cli_usage("unknown option '-%c'", c);
		c = take_arg(o, i, optarg, a);
		if (c)
			return c;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return check_operands(cmd, a);
}

/* ---- help ---- */

/*
 * Print @text from column @col (what is on the line already), wrapping
 * at WIDTH and indenting continuation lines by @indent. "\n" breaks the
 * line, "\n\n" leaves a blank one. With @groups, "[...]" is never split.
 */
static void wrap(FILE *f, const char *text, int col, int indent, bool groups)
{
	const char *p = text, *e;
	int depth, len;
	bool first = true;

	while (*p) {
		if (*p == '\n') {
			fputc('\n', f);
			col = 0;
			first = true;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		/* One word, or one bracketed group. */
		for (e = p, depth = 0; *e && *e != '\n' &&
		     (*e != ' ' || (groups && depth > 0)); e++) {
			if (*e == '[')
				depth++;
			else if (*e == ']')
				depth--;
		}
		len = (int)(e - p);
		if (!first && col + 1 + len > WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
		}
		if (col == 0 && indent) {
			fprintf(f, "%*s", indent, "");
			col = indent;
		}
		if (!first) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)len, f);
		col += len;
		first = false;
		p = e;
	}
	fputc('\n', f);
}

static int opt_left(const struct cli_opt *o, char *buf, size_t len)
{
	if (o->short_name)
		return snprintf(buf, len, "  -%c, --%s%s%s", o->short_name,
				o->name, o->metavar ? " " : "",
				o->metavar ? o->metavar : "");
	return snprintf(buf, len, "      --%s%s%s", o->name,
			o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

/* "  -n, --name NAME   what it is", the text from column @col. */
static void print_opt(const struct cli_opt *o, int col)
{
	char left[96];
	int w;

	if (o->flags & CLI_OPT_HIDDEN)
		return;
	w = opt_left(o, left, sizeof(left));
	fputs(left, stdout);
	if (w + 2 > col)
		printf("\n%*s", col, "");
	else
		printf("%*s", col - w, "");
	wrap(stdout, o->help, col, col, false);
}

void cli_print_help(const struct cli_cmd *cmd)
{
	static const struct cli_opt help = CLI_OPTION("help", 'h', CLI_FLAG,
						      NULL, "show this help");
	const struct cli_opt *o;
	const char *const *syn;
	char left[96];
	int col = 0, w, n;

	for (syn = cmd->synopsis; syn && *syn; syn++) {
		n = printf("%sddraidctl %s ", syn == cmd->synopsis ? "Usage: " :
			   "       ", cmd->name);
		wrap(stdout, *syn, n, n, true);
	}
	if (cmd->description) {
		putchar('\n');
		wrap(stdout, cmd->description, 0, 0, false);
	}
	putchar('\n');
	/* The option column: as wide as the widest, within reason. */
	for (o = cmd->opts; o && o->name; o++) {
		w = opt_left(o, left, sizeof(left));
		if (!(o->flags & CLI_OPT_HIDDEN) && w + 2 > col)
			col = w + 2;
	}
	if (col < 14)
		col = 14;
	if (col > 28)
		col = 28;
	for (o = cmd->opts; o && o->name; o++)
		print_opt(o, col);
	print_opt(&help, col);
}

void cli_print_usage(FILE *f)
{
	const struct cli_cmd *c;

	fprintf(f,
		"Usage: ddraidctl COMMAND [OPTIONS] [ARGS]\n"
		"       ddraidctl COMMAND --help\n"
		"\n"
		"Members are given in order; the word 'missing' stands for an absent one.\n"
		"\n"
		"Commands:\n");
	for (c = cli_commands; c->name; c++)
		if (!(c->flags & CLI_CMD_HIDDEN))
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nSee ddraidctl(8).\n");
}
