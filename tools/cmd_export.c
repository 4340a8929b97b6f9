// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl export: the whole volume to a file or stdout. Works with one
 * member missing (reconstructing it from parity), which makes it the tool
 * that recovers data from a damaged volume without the kernel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"

#define CHUNK	(4u << 20)

static int write_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int copy_out(struct ddraid_vol *vol, int fd, const char *out)
{
	u64 size = ddraid_vol_size(vol), off;
	struct cli_progress prog;
	void *buf;
	int r = 0;

	/* Aligned: the engine may hand it to O_DIRECT member IO. */
	if (posix_memalign(&buf, 4096, CHUNK)) {
		cli_err("out of memory");
		return CLI_FAIL;
	}
	cli_progress_init(&prog, "exporting");
	for (off = 0; off < size; off += CHUNK) {
		size_t len = size - off < CHUNK ? (size_t)(size - off) : CHUNK;

		r = ddraid_read(vol, off, buf, len);
		if (r) {
			cli_progress_done(&prog);
			cli_err("read at volume byte %llu: %s",
				(unsigned long long)off, ddraid_errmsg(vol));
			break;
		}
		r = write_full(fd, buf, len);
		if (r) {
			cli_progress_done(&prog);
			cli_err("%s: %s", out, strerror(-r));
			break;
		}
		cli_progress_cb(&prog, (off + len) >> DDRAID_BLOCK_SHIFT,
				size >> DDRAID_BLOCK_SHIFT);
	}
	cli_progress_done(&prog);
	free(buf);
	return r ? CLI_FAIL : CLI_OK;
}

/* Is @out one of the members (which O_TRUNC would destroy)? */
static int output_is_member(const char *out, int n, char **members)
{
	struct stat so, sm;
	int i;

	if (stat(out, &so))
		return -1;	/* does not exist yet: cannot be a member */
	for (i = 0; i < n; i++) {
		if (stat(members[i], &sm))
			continue;
		if (S_ISBLK(so.st_mode) ? so.st_rdev == sm.st_rdev :
		    so.st_dev == sm.st_dev && so.st_ino == sm.st_ino)
			return i;
	}
	return -1;
}

int cmd_export(const struct cli_args *a)
{
	const char *output = a->str[EXPORT_OUTPUT];
	unsigned int flags = DDRAID_OPEN_RDONLY;
	struct ddraid_vol *vol;
	int argc = a->argc, c, r, fd;
	char **argv = a->argv;

	if (a->given[EXPORT_FORCE])
		flags |= DDRAID_OPEN_FORCE;
	r = cli_need_members(argc);
	if (r)
		return r;
	cli_force_option = " (export --force does that read-only, changing no member)";
	c = output ? output_is_member(output, argc, argv) : -1;
	if (c >= 0)
		return cli_usage("%s is member %d of the volume: refusing to overwrite it",
				 output, c);
	if (!output && isatty(STDOUT_FILENO))
		return cli_usage("refusing to write volume data to a terminal: use --output FILE or a pipe");
	r = cli_open_volume(argc, argv, flags, &vol);
	if (r)
		return r;
	if (ddraid_vol_missing(vol) >= 0 &&
	    !strcmp(argv[ddraid_vol_missing(vol)], DDRAID_MISSING))
		cli_warn("member %d is missing: its data is reconstructed from parity",
			 ddraid_vol_missing(vol));
	/* Only now, with a volume that assembled, is the output touched. */
	if (output) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			cli_err("%s: %s", output, strerror(errno));
			ddraid_close(vol);
			return CLI_FAIL;
		}
	} else {
		fd = STDOUT_FILENO;
	}
	r = copy_out(vol, fd, output ? output : "standard output");
	if (output && close(fd) && !r) {
		cli_err("%s: %s", output, strerror(errno));
		r = CLI_FAIL;
	}
	ddraid_close(vol);
	return r;
}
