// SPDX-License-Identifier: GPL-2.0-only
/* ddraidctl create: make a new volume from 2, 3, 5 or 9 members. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <uuid.h>

#include "cli.h"

int cmd_create(const struct cli_args *a)
{
	struct ddraid_create_opts o = { 0 };
	struct cli_progress prog;
	char err[DDRAID_ERRMSG_MAX], size[32];
	struct ddraid_sb sb;
	char uu[37];
	int r, n = a->argc;

	o.name = a->str[CREATE_NAME];
	o.force = a->given[CREATE_FORCE];
	o.assume_clean = a->given[CREATE_ASSUME_CLEAN];
	if (a->given[CREATE_REGION_SIZE]) {
		o.region_size = a->num[CREATE_REGION_SIZE];
		if (o.region_size & (o.region_size - 1) ||
		    o.region_size < DDRAID_REGION_MIN ||
		    o.region_size > DDRAID_REGION_MAX)
			return cli_usage("option '--region-size': '%s' is not a power of two from 64K to 1G",
					 a->str[CREATE_REGION_SIZE]);
	}
	if (a->given[CREATE_NODES])
		return cmd_create_nodes(a, &o);
	if (n < 1)
		return cli_usage("no members given (DEV..., or --nodes)");
	if (ddraid_members_to_k((u32)n) < 0)
		return cli_usage("%d members given: a volume has 2, 3, 5 or 9 (2^k data members and one parity member)",
				 n);
	cli_progress_init(&prog, "zeroing");
	o.progress = cli_progress_cb;
	o.progress_arg = &prog;
	err[0] = '\0';
	r = ddraid_create((const char *const *)a->argv, (unsigned int)n,
			  &o, err, sizeof(err));
	cli_progress_done(&prog);
	if (r) {
		cli_err("%s", err[0] ? err : strerror(-r));
		return CLI_FAIL;
	}
	/* Report what was made, as read back from the first member. */
	if (ddraid_read_member_sb(a->argv[0], &sb, NULL, err, sizeof(err))) {
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
