// SPDX-License-Identifier: GPL-2.0-only
/* ddraidctl check: parity scrub of the whole volume, optionally repairing. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* How many mismatching blocks are listed by number. */
#define SHOW_FIRST	10

struct mismatches {
	u64 first[SHOW_FIRST];
	unsigned int shown;
};

static void on_mismatch(void *arg, u64 block)
{
	struct mismatches *m = arg;

	if (m->shown < SHOW_FIRST)
		m->first[m->shown++] = block;
}

int cmd_check(const struct cli_args *a)
{
	struct ddraid_scrub_result res = { 0 };
	struct mismatches mm = { .shown = 0 };
	struct cli_progress prog;
	struct ddraid_vol *vol;
	bool repair = a->given[CHECK_REPAIR];
	unsigned int i;
	u64 blocks;
	int r;

	/*
	 * Accepted by the parser so that an mdadm user trying it learns why
	 * not: a forced assembly always leaves one member out.
	 */
	if (a->given[CHECK_FORCE])
		return cli_usage("--force: check compares parity with every member, and a forced assembly always leaves one out; rebuild it first (ddraidctl rebuild --offline --force-assembly, see ddraidctl(8) FORCED ASSEMBLY)");
	cli_force_option = " (but check needs every member: rebuild the one left out first, with rebuild --offline --force-assembly)";
	r = cli_open_volume(a->argc, a->argv,
			    repair ? 0 : DDRAID_OPEN_RDONLY, &vol);
	if (r)
		return r;
	if (ddraid_vol_missing(vol) >= 0) {
		cli_err("member %d is missing or failed: parity cannot be checked without every member (rebuild it first)",
			ddraid_vol_missing(vol));
		ddraid_close(vol);
		return CLI_FAIL;
	}
	blocks = ddraid_vol_size(vol) >> DDRAID_BLOCK_SHIFT;
	cli_progress_init(&prog, repair ? "checking and repairing" : "checking");
	r = ddraid_scrub(vol, 0, blocks, repair, on_mismatch, &mm,
			 cli_progress_cb, &prog, &res);
	cli_progress_done(&prog);
	if (r) {
		cli_err("%s", ddraid_errmsg(vol));
		ddraid_close(vol);
		return CLI_FAIL;
	}
	printf("checked %" PRIu64 " blocks: %" PRIu64 " mismatch%s\n",
	       res.checked, res.mismatches, res.mismatches == 1 ? "" : "es");
	if (mm.shown) {
		printf("first mismatching blocks:");
		for (i = 0; i < mm.shown; i++)
			printf(" %" PRIu64, mm.first[i]);
		printf("%s\n", res.mismatches > mm.shown ? " ..." : "");
	}
	if (repair)
		printf("repaired %" PRIu64 " block%s\n", res.repaired,
		       res.repaired == 1 ? "" : "s");
	ddraid_close(vol);
	if (res.checked != blocks)
		return CLI_FAIL;
	return res.mismatches == (repair ? res.repaired : 0) ? CLI_OK : CLI_FAIL;
}
