// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helpers: temporary member files, a format that does not go through
 * ddraid_create(), and the layout computed the plain way for checks.
 */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sb_io.h"
#include "test_util.h"

int tu_mkdir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir, len, "%s/ddraid-test-XXXXXX", tmp);
	return mkdtemp(dir) ? 0 : -errno;
}

void tu_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *p;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		p = tu_path(dir, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

char *tu_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

int tu_make_file(const char *path, u64 bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)bytes))
		r = -errno;
	close(fd);
	return r;
}

int tu_format_in(struct tu_vol *t, const char *dir, unsigned int n,
		 u64 member_data_bytes, const char *tag, u8 uuid_seed)
{
	struct ddraid_sb sb;
	unsigned int i;
	int r;

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "%s", dir);
	t->n = n;
	/*
	 * With 64 KiB regions the metadata of these small members ends well
	 * inside the first MiB, where ddraid_layout_new aligns data.
	 */
	t->member_bytes = DDRAID_DATA_ALIGN + member_data_bytes;
	r = ddraid_layout_new(&sb, n, t->member_bytes, DDRAID_REGION_MIN);
	if (r)
		return r;
	for (i = 0; i < DDRAID_UUID_BYTES; i++)
		sb.uuid[i] = (u8)(uuid_seed * 31 + i);
	snprintf(sb.name, sizeof(sb.name), "t%s", tag);
	sb.ctime = sb.utime = (u64)time(NULL);
	for (i = 0; i < n; i++) {
		char name[64];
		int fd;

		snprintf(name, sizeof(name), "%s%u", tag, i);
		t->paths[i] = tu_path(dir, name);
		/* A new sparse file: data area and bitmap slots read zero. */
		r = tu_make_file(t->paths[i], t->member_bytes);
		if (r)
			return r;
		fd = open(t->paths[i], O_RDWR);
		if (fd < 0)
			return -errno;
		sb.member_index = i;
		r = ddraid_sb_write_fd(fd, &sb, NULL);
		close(fd);
		if (r)
			return r;
		sb.update_seq--;	/* every member gets the same seq */
	}
	sb.member_index = 0;
	t->sb = sb;
	return 0;
}

int tu_format(struct tu_vol *t, unsigned int n, u64 member_data_bytes,
	      const char *tag, u8 uuid_seed)
{
	char dir[PATH_MAX];
	int r = tu_mkdir(dir, sizeof(dir));

	if (r)
		return r;
	return tu_format_in(t, dir, n, member_data_bytes, tag, uuid_seed);
}

void tu_free(struct tu_vol *t)
{
	unsigned int i;

	for (i = 0; i < DDRAID_MAX_MEMBERS; i++) {
		free(t->paths[i]);
		t->paths[i] = NULL;
	}
}

int tu_open(const struct tu_vol *t, u32 missing_mask, unsigned int flags,
	    struct ddraid_vol **vol, char *err, size_t errlen)
{
	const char *p[DDRAID_MAX_MEMBERS];
	unsigned int i;

	for (i = 0; i < t->n; i++)
		p[i] = (missing_mask & (1u << i)) ? DDRAID_MISSING : t->paths[i];
	return ddraid_open(p, t->n, flags, vol, err, errlen);
}

static int pio(const char *path, u64 off, void *buf, size_t len, bool wr)
{
	int fd = open(path, wr ? O_WRONLY : O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = wr ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
	close(fd);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

int tu_pread(const char *path, u64 off, void *buf, size_t len)
{
	return pio(path, off, buf, len, false);
}

int tu_pwrite(const char *path, u64 off, const void *buf, size_t len)
{
	return pio(path, off, (void *)(uintptr_t)buf, len, true);
}

u8 *tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf;
	long sz;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(sz > 0 ? (size_t)sz : 1);
	if (buf && fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf && len)
		*len = (size_t)sz;
	return buf;
}

int tu_copy_file(const char *src, const char *dst)
{
	size_t len;
	u8 *buf = tu_slurp(src, &len);
	int r;

	if (!buf)
		return -EIO;
	r = tu_make_file(dst, len);
	if (!r)
		r = tu_pwrite(dst, 0, buf, len);
	free(buf);
	return r;
}

int tu_read_sb(const char *path, struct ddraid_sb *sb)
{
	int fd = open(path, O_RDONLY);
	int r;

	if (fd < 0)
		return -errno;
	r = ddraid_sb_read_fd(fd, sb, NULL);
	close(fd);
	return r < 0 ? r : 0;
}

u64 tu_rand(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void tu_fill(void *buf, size_t len, u64 *state)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		u64 v = tu_rand(state);

		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = (u8)tu_rand(state);
}

int tu_check_members(const struct tu_vol *t, const u8 *data, u32 skip_mask,
		     u64 *block)
{
	u32 k = t->sb.k, dm = 1u << k, f = DDRAID_BLOCK_SIZE >> k;
	u64 blocks = t->sb.data_size / DDRAID_BLOCK_SIZE, b;
	int bad = -1;
	unsigned int m;
	u32 d, i;
	u8 *mem[DDRAID_MAX_MEMBERS] = { NULL };
	u8 par[DDRAID_BLOCK_SIZE];

	for (m = 0; m < t->n; m++) {
		mem[m] = malloc(blocks * f);
		if (!mem[m] || tu_pread(t->paths[m], t->sb.data_offset, mem[m],
					blocks * f)) {
			bad = (int)m;
			*block = 0;
			goto out;
		}
	}
	for (b = 0; b < blocks && bad < 0; b++) {
		const u8 *blk = data + b * DDRAID_BLOCK_SIZE;

		/* Fragment d is bytes [d*F, (d+1)*F) of the block. */
		memset(par, 0, f);
		for (d = 0; d < dm; d++) {
			for (i = 0; i < f; i++)
				par[i] ^= blk[d * f + i];
			if (!(skip_mask & (1u << d)) &&
			    memcmp(mem[d] + b * f, blk + d * f, f)) {
				bad = (int)d;
				*block = b;
				break;
			}
		}
		if (bad < 0 && !(skip_mask & (1u << dm)) &&
		    memcmp(mem[dm] + b * f, par, f)) {
			bad = (int)dm;
			*block = b;
		}
	}
out:
	for (m = 0; m < t->n; m++)
		free(mem[m]);
	return bad;
}
