// SPDX-License-Identifier: GPL-2.0-only
/*
 * What every ddraidctl command shares: message format, option parsing,
 * sizes, progress and assembling a volume from the command line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <blkid.h>

#include "cli.h"

const char *cli_cmd_name = "ddraidctl";
const char *cli_force_option;

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "ddraidctl: %s: %s", cli_cmd_name, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'ddraidctl %s --help'.\n", cli_cmd_name);
	return CLI_USAGE;
}

int cli_parse_uint(const char *s, u64 max, u64 *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, u64 *out)
{
	static const char units[] = "KMGTP";
	unsigned long long v;
	unsigned int shift = 0;
	const char *u;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end) {
		u = strchr(units, end[0] >= 'a' ? end[0] - 'a' + 'A' : end[0]);
		if (!u || !end[0])
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
		if (!strcmp(end, "iB") || !strcmp(end, "B"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = (u64)v << shift;
	return 0;
}

const char *cli_human_size(u64 bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB" };
	double v = (double)bytes;
	int i = 0;

	while (v >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

void cli_progress_init(struct cli_progress *p, const char *what)
{
	p->what = what;
	p->tty = isatty(STDERR_FILENO);
	p->drawn = false;
	p->last = 0;
}

int cli_progress_cb(void *arg, u64 done, u64 total)
{
	struct cli_progress *p = arg;
	time_t now;

	if (!p->tty || !total)
		return 0;
	/* Redraw at most once a second, and at the end. */
	now = time(NULL);
	if (now == p->last && done < total)
		return 0;
	p->last = now;
	fprintf(stderr, "\r%s: %3u%% (%" PRIu64 "/%" PRIu64 " blocks)",
		p->what, (unsigned int)(done * 100 / total), done, total);
	fflush(stderr);
	p->drawn = true;
	return 0;
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->drawn)
		fputc('\n', stderr);
	p->drawn = false;
}

int cli_need_members(int argc)
{
	if (argc < 1)
		return cli_usage("no members given");
	if (argc > (int)DDRAID_MAX_MEMBERS)
		return cli_usage("%d members given: a volume has at most %u",
				 argc, DDRAID_MAX_MEMBERS);
	return CLI_OK;
}

int cli_open_volume(int argc, char **argv, unsigned int flags,
		    struct ddraid_vol **vol)
{
	char err[DDRAID_ERRMSG_MAX];
	int r = cli_need_members(argc), m;

	if (r)
		return r;
	err[0] = '\0';
	r = ddraid_open((const char *const *)argv, (unsigned int)argc, flags,
			vol, err, sizeof(err));
	if (r) {
		cli_err("%s%s", err[0] ? err : strerror(-r),
			strstr(err, DDRAID_FORCE_HINT) && cli_force_option ?
			cli_force_option : "");
		return CLI_FAIL;
	}
	if (ddraid_vol_forced(*vol)) {
		cli_force_report(ddraid_vol_forced(*vol),
				 flags & DDRAID_OPEN_RDONLY);
		return CLI_OK;
	}
	/*
	 * A member given by path that the newest superblock records failed
	 * is stale: it is never read or written. Say so, since the user named
	 * it and may believe it is in use.
	 */
	m = ddraid_vol_missing(*vol);
	if (m >= 0 && m < argc && strcmp(argv[m], DDRAID_MISSING))
		cli_warn("member %d (%s) is recorded failed (stale): not used; its data is reconstructed from parity",
			 m, argv[m]);
	return CLI_OK;
}

int cli_find_signatures(const char *path, char *found, size_t len)
{
	blkid_probe pr;
	size_t used = 0;
	int count = 0, fd;

	found[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0)) {
		blkid_free_probe(pr);
		close(fd);
		return -ENOMEM;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	while (blkid_do_probe(pr) == 0) {
		const char *type = NULL;

		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) &&
		    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
			type = "unknown";
		if (used < len)
			used += (size_t)snprintf(found + used, len - used,
						 "%s%s", count ? ", " : "",
						 type);
		count++;
	}
	blkid_free_probe(pr);
	close(fd);
	return count;
}

int cli_attr_read(const char *path, char *val, size_t len)
{
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	val[0] = '\0';
	if (fd < 0)
		return -errno;
	r = read(fd, val, len - 1);
	close(fd);
	if (r < 0)
		return -EIO;
	val[r] = '\0';
	val[strcspn(val, "\n")] = '\0';
	return 0;
}

int cli_attr_write(const char *path, const char *val)
{
	size_t n = strlen(val);
	int fd = open(path, O_WRONLY | O_CLOEXEC), e = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		e = errno ? -errno : -EIO;
	close(fd);
	return e;
}
