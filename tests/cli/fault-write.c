// SPDX-License-Identifier: GPL-2.0-only
/*
 * fault-write: a write during which one member dies, through the engine's
 * own error injection, for the CLI tests of failures that ddraidctl alone
 * cannot cause (tests/cli/t-force.sh).
 *
 *   fault-write --fail M --offset BYTES --input FILE [--slot S --node N] DEV...
 *
 * Assembles the volume from DEV... (member order, 'missing' allowed),
 * makes every IO of member M fail from now on (a disk that died), and
 * writes FILE at volume byte BYTES. The engine then records M failed on
 * the members it still writes (a second failure too, if one member was
 * out already) and fails the write with EIO when no complete stripe is
 * left: the write is torn, never acknowledged.
 *
 * --slot S --node N first does what a cluster node does before writing:
 * owns write-intent slot S as corosync node N (slot table) and sets the
 * bits of the regions the write covers in that slot on every member.
 *
 * Exit status: 0 the write completed, 3 it failed (message on stderr),
 * 1 anything else went wrong, 2 usage.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: fault-write --fail M --offset BYTES --input FILE [--slot S --node N] DEV...\n");
	return 2;
}

/* Own slot @slot as node @node, and mark the regions of the write. */
static int write_intent(struct ddraid_vol *vol, u32 slot, u32 node,
			u64 off, u64 len)
{
	u64 r, first = ddraid_region_of_block(&vol->sb, off >> 12),
	       last = ddraid_region_of_block(&vol->sb, (off + len - 1) >> 12);
	int ret;

	if (slot >= DDRAID_BITMAP_SLOTS)
		return -EINVAL;
	vol->sb.slot_nodeid[slot] = node;
	ret = ddraid_sb_update_all(vol);
	for (r = first; !ret && r <= last; r++)
		ret = ddraid_bitmap_set_bit(vol, slot, r, true);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fail", required_argument, NULL, 'm' },
		{ "offset", required_argument, NULL, 'o' },
		{ "input", required_argument, NULL, 'i' },
		{ "slot", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	char err[DDRAID_ERRMSG_MAX];
	long fail = -1, slot = -1, node = 0;
	unsigned long long off = 0;
	const char *input = NULL;
	struct ddraid_vol *vol;
	void *buf;
	FILE *in;
	long len;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': fail = strtol(optarg, NULL, 10); break;
		case 'o': off = strtoull(optarg, NULL, 10); break;
		case 'i': input = optarg; break;
		case 's': slot = strtol(optarg, NULL, 10); break;
		case 'n': node = strtol(optarg, NULL, 10); break;
		default: return usage();
		}
	}
	if (fail < 0 || !input || optind >= argc || (slot >= 0) != (node > 0))
		return usage();
	in = fopen(input, "rb");
	if (!in || fseek(in, 0, SEEK_END) || (len = ftell(in)) <= 0 ||
	    len % 4096 || fseek(in, 0, SEEK_SET)) {
		fprintf(stderr, "fault-write: %s: not a whole number of blocks\n",
			input);
		return 1;
	}
	if (posix_memalign(&buf, 4096, (size_t)len) ||
	    fread(buf, 1, (size_t)len, in) != (size_t)len) {
		fprintf(stderr, "fault-write: %s: cannot read\n", input);
		return 1;
	}
	fclose(in);
	r = ddraid_open((const char *const *)argv + optind,
			(unsigned int)(argc - optind), 0, &vol, err, sizeof(err));
	if (r) {
		fprintf(stderr, "fault-write: %s\n", err);
		return 1;
	}
	if (slot >= 0 && write_intent(vol, (u32)slot, (u32)node, off,
				      (u64)len)) {
		fprintf(stderr, "fault-write: write intent: %s\n",
			ddraid_errmsg(vol));
		return 1;
	}
	ddraid_inject_member_error(vol, (int)fail);
	r = ddraid_write(vol, off, buf, (size_t)len);
	if (r)
		fprintf(stderr, "fault-write: write failed: %s\n",
			ddraid_errmsg(vol));
	ddraid_close(vol);
	free(buf);
	return r ? 3 : 0;
}
