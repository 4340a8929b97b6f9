/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the engine tests: member files in a private temporary
 * directory, formatted without ddraid_create() (so that these tests stand
 * on the format and the engine alone), and a direct, independent
 * computation of what every member file must hold.
 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <limits.h>

#include "ddraid.h"

struct tu_vol {
	char dir[PATH_MAX];
	unsigned int n;
	char *paths[DDRAID_MAX_MEMBERS];
	u64 member_bytes;
	struct ddraid_sb sb;	/* as formatted (member_index 0) */
};

/* A fresh directory under $TMPDIR (or /tmp); returns 0 or -errno. */
int tu_mkdir(char *dir, size_t len);
/* Remove every file in @dir and @dir itself. */
void tu_rmdir(const char *dir);

/*
 * Create @n member files of @member_data_bytes of data each (plus
 * metadata) named "<tag><i>" in a new directory and format them as one
 * volume: superblocks by ddraid_layout_new + ddraid_sb_write_fd, zeroed
 * data area. @uuid_seed makes the volume's uuid.
 */
int tu_format(struct tu_vol *t, unsigned int n, u64 member_data_bytes,
	      const char *tag, u8 uuid_seed);
/* Format another volume's members in @t->dir (same dir, other tag). */
int tu_format_in(struct tu_vol *t, const char *dir, unsigned int n,
		 u64 member_data_bytes, const char *tag, u8 uuid_seed);
void tu_free(struct tu_vol *t);

/* "<dir>/<name>": a malloc'd path. */
char *tu_path(const char *dir, const char *name);
/* A sparse (all zero) file of @bytes bytes. */
int tu_make_file(const char *path, u64 bytes);

/*
 * Open with the members in @missing_mask given as "missing" (bit i:
 * member i).
 */
int tu_open(const struct tu_vol *t, u32 missing_mask, unsigned int flags,
	    struct ddraid_vol **vol, char *err, size_t errlen);

int tu_pread(const char *path, u64 off, void *buf, size_t len);
int tu_pwrite(const char *path, u64 off, const void *buf, size_t len);
/* A malloc'd copy of a whole file (size in *len). */
u8 *tu_slurp(const char *path, size_t *len);
int tu_copy_file(const char *src, const char *dst);
int tu_read_sb(const char *path, struct ddraid_sb *sb);

/* A small deterministic PRNG (splitmix64). */
u64 tu_rand(u64 *state);
void tu_fill(void *buf, size_t len, u64 *state);

/*
 * Does every present member file hold exactly what the layout says for
 * volume contents @data (data->size bytes)? Fragments byte by byte and
 * parity as the XOR of the fragments, computed here independently of the
 * engine. Members in @skip_mask are not checked. Returns -1 if all match,
 * or the index of the first member that differs (and the block in *block).
 */
int tu_check_members(const struct tu_vol *t, const u8 *data, u32 skip_mask,
		     u64 *block);

#endif /* TEST_UTIL_H */
