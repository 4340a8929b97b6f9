// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl import: data from a file or stdin into the volume, from its
 * first byte. A shorter input writes what it got (a final partial block
 * padded with zeros); a longer one is refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli.h"

#define CHUNK	(4u << 20)

/* Read up to @len bytes, fewer only at end of input. */
static ssize_t read_full(int fd, char *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int copy_in(struct ddraid_vol *vol, int fd, const char *in)
{
	u64 size = ddraid_vol_size(vol), off = 0;
	struct cli_progress prog;
	char *buf, extra;
	ssize_t got;
	int r = CLI_OK;

	if (posix_memalign((void **)&buf, 4096, CHUNK)) {
		cli_err("out of memory");
		return CLI_FAIL;
	}
	cli_progress_init(&prog, "importing");
	for (;;) {
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		size_t len;

		if (!want) {
			/* The volume is full: there must be no more input. */
			got = read_full(fd, &extra, 1);
			if (got > 0) {
				cli_progress_done(&prog);
				cli_err("input is longer than the volume (%" PRIu64
					" bytes); the first %" PRIu64
					" bytes were written", size, off);
				r = CLI_FAIL;
			}
			break;
		}
		got = read_full(fd, buf, want);
		if (got < 0) {
			cli_progress_done(&prog);
			cli_err("%s: %s", in, strerror((int)-got));
			r = CLI_FAIL;
			break;
		}
		if (!got)
			break;
		/* Whole blocks only: pad the last partial one with zeros. */
		len = ((size_t)got + DDRAID_BLOCK_SIZE - 1) &
		      ~(size_t)(DDRAID_BLOCK_SIZE - 1);
		memset(buf + got, 0, len - (size_t)got);
		if (ddraid_write(vol, off, buf, len)) {
			cli_progress_done(&prog);
			cli_err("write at volume byte %" PRIu64 ": %s", off,
				ddraid_errmsg(vol));
			r = CLI_FAIL;
			break;
		}
		off += (u64)got;
		cli_progress_cb(&prog, off >> DDRAID_BLOCK_SHIFT,
				size >> DDRAID_BLOCK_SHIFT);
		if ((size_t)got < want)
			break;
	}
	cli_progress_done(&prog);
	free(buf);
	if (ddraid_flush(vol) && r == CLI_OK) {
		cli_err("flush: %s", ddraid_errmsg(vol));
		r = CLI_FAIL;
	}
	if (r == CLI_OK) {
		if (off < size)
			printf("imported %" PRIu64 " bytes (%" PRIu64
			       " blocks); input was shorter than the volume (%"
			       PRIu64 " bytes)\n", off,
			       (off + DDRAID_BLOCK_SIZE - 1) >> DDRAID_BLOCK_SHIFT,
			       size);
		else
			printf("imported %" PRIu64 " bytes: the whole volume\n",
			       off);
	}
	return r;
}

int cmd_import(const struct cli_args *a)
{
	const char *input = a->str[IMPORT_INPUT];
	unsigned int flags = 0;
	struct ddraid_vol *vol;
	struct stat st;
	int argc = a->argc, r, fd = STDIN_FILENO;
	char **argv = a->argv;

	if (a->given[IMPORT_FORCE])
		flags |= DDRAID_OPEN_FORCE;
	r = cli_need_members(argc);
	if (r)
		return r;
	cli_force_option = " (import --force does that, and records it on the members)";
	if (input) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_err("%s: %s", input, strerror(errno));
			return CLI_FAIL;
		}
	} else if (isatty(STDIN_FILENO)) {
		return cli_usage("refusing to read volume data from a terminal: use --input FILE or a pipe");
	}
	r = cli_open_volume(argc, argv, flags, &vol);
	if (r)
		goto out;
	/* A regular file that cannot fit is refused before any write. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		u64 left = (u64)st.st_size - (pos > 0 ? (u64)pos : 0);

		if (left > ddraid_vol_size(vol)) {
			cli_err("%s: %" PRIu64 " bytes do not fit in the volume (%"
				PRIu64 " bytes); nothing was written",
				input ? input : "standard input", left,
				ddraid_vol_size(vol));
			r = CLI_FAIL;
			goto close;
		}
	}
	r = copy_in(vol, fd, input ? input : "standard input");
	if (ddraid_vol_missing(vol) >= 0)
		cli_warn("member %d was not written and is on record as failed: rebuild it (ddraidctl rebuild --offline --member %d)",
			 ddraid_vol_missing(vol), ddraid_vol_missing(vol));
close:
	ddraid_close(vol);
out:
	if (input)
		close(fd);
	return r;
}
