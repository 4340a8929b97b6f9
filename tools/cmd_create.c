// SPDX-License-Identifier: GPL-2.0-only
/* ddraidctl create: make a new volume from 2, 3, 5 or 9 members. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <uuid.h>

#include "cli.h"

static const char help[] =
	"Usage: ddraidctl create [--name NAME] [--region-size SIZE] [--force]\n"
	"                        [--assume-clean] DEV...\n"
	"\n"
	"Make a new volume of the 2, 3, 5 or 9 DEVs (block devices or files), given\n"
	"in member order; the last one holds parity. Capacity is set by the smallest.\n"
	"\n"
	"  -n, --name NAME         volume name, [A-Za-z0-9._+-], at most 63 bytes\n"
	"  -r, --region-size SIZE  volume bytes per write-intent bit, a power of two\n"
	"                          from 64K to 1G (default 4M)\n"
	"  -f, --force             overwrite members that hold a ddraid superblock\n"
	"                          or a filesystem, RAID or partition signature\n"
	"      --assume-clean      do not zero the data areas (members known zero)\n"
	"  -h, --help              show this help\n";

enum { OPT_ASSUME_CLEAN = 256 };

static const struct option longopts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "region-size", required_argument, NULL, 'r' },
	{ "force", no_argument, NULL, 'f' },
	{ "assume-clean", no_argument, NULL, OPT_ASSUME_CLEAN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_create(int argc, char **argv)
{
	struct ddraid_create_opts o = { 0 };
	struct cli_progress prog;
	char err[DDRAID_ERRMSG_MAX], size[32];
	struct ddraid_sb sb;
	char uu[37];
	int c, r, n;

	while ((c = cli_getopt(argc, argv, "n:r:fh", longopts)) != -1) {
		switch (c) {
		case 'n':
			o.name = optarg;
			break;
		case 'r':
			if (cli_parse_size(optarg, &o.region_size))
				return cli_usage("bad region size '%s' (a size such as 4M)",
						 optarg);
			if (o.region_size & (o.region_size - 1) ||
			    o.region_size < DDRAID_REGION_MIN ||
			    o.region_size > DDRAID_REGION_MAX)
				return cli_usage("region size '%s' is not a power of two from 64K to 1G",
						 optarg);
			break;
		case 'f':
			o.force = true;
			break;
		case OPT_ASSUME_CLEAN:
			o.assume_clean = true;
			break;
		case 'h':
			fputs(help, stdout);
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	n = argc - optind;
	if (n < 1)
		return cli_usage("no members given");
	if (ddraid_members_to_k((u32)n) < 0)
		return cli_usage("%d members given: a volume has 2, 3, 5 or 9 (2^k data members and one parity member)",
				 n);
	cli_progress_init(&prog, "zeroing");
	o.progress = cli_progress_cb;
	o.progress_arg = &prog;
	err[0] = '\0';
	r = ddraid_create((const char *const *)argv + optind, (unsigned int)n,
			  &o, err, sizeof(err));
	cli_progress_done(&prog);
	if (r) {
		cli_err("%s", err[0] ? err : strerror(-r));
		return CLI_FAIL;
	}
	/* Report what was made, as read back from the first member. */
	if (ddraid_read_member_sb(argv[optind], &sb, NULL, err, sizeof(err))) {
		cli_err("created, but cannot read it back: %s", err);
		return CLI_FAIL;
	}
	uuid_unparse(sb.uuid, uu);
	printf("created volume '%s' uuid %s: %d members, %s (%" PRIu64
	       " bytes), fragment %u bytes\n", sb.name, uu, n,
	       cli_human_size(sb.data_size, size, sizeof(size)), sb.data_size,
	       sb.frag_size);
	return CLI_OK;
}
