// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cluster-mode scrub (lib/scrub_region.h), built from the engine's own
 * loops: ddraid_scrub() finds the blocks whose parity differs and
 * ddraid_cl_resync() rewrites the parity of exactly those blocks, so there
 * is one parity check and one parity rewrite in the code base.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "cluster_io.h"
#include "scrub_region.h"

struct found {
	u64 first;
	u8 *map;		/* one bit per block of the range */
	ddraid_mismatch_fn fn;
	void *arg;
};

static void on_found(void *arg, u64 block)
{
	struct found *f = arg;

	ddraid_bit_set(f->map, block - f->first);
	if (f->fn)
		f->fn(f->arg, block);
}

/* Rewrite the parity of each run of marked blocks. */
static int repair_runs(struct ddraid_vol *vol, const struct found *f,
		       u64 nblocks, struct ddraid_scrub_result *res,
		       u32 *failed)
{
	u64 j = 0, e;
	int r;

	while (j < nblocks) {
		if (!ddraid_bit_test(f->map, j)) {
			j++;
			continue;
		}
		for (e = j; e < nblocks && ddraid_bit_test(f->map, e); e++)
			;
		r = ddraid_cl_resync(vol, f->first + j, e - j, failed);
		if (r)
			return r;
		res->repaired += e - j;
		j = e;
	}
	return 0;
}

int ddraid_cl_scrub(struct ddraid_vol *vol, u64 first, u64 nblocks,
		    bool repair, ddraid_mismatch_fn on_mismatch, void *arg,
		    struct ddraid_scrub_result *res, u32 *failed)
{
	bool was_failed[DDRAID_MAX_MEMBERS];
	unsigned int flags = vol->flags;
	struct found f = { first, NULL, on_mismatch, arg };
	u32 m;
	int r;

	*failed = 0;
	memset(res, 0, sizeof(*res));
	if (first > vol->g.blocks || nblocks > vol->g.blocks - first)
		return ddraid_set_err(vol, -EINVAL,
				      "scrub of blocks %llu+%llu: beyond the volume",
				      (unsigned long long)first,
				      (unsigned long long)nblocks);
	f.map = calloc(1, (size_t)((nblocks + 7) / 8) + 1);
	if (!f.map)
		return ddraid_set_err(vol, -ENOMEM, "out of memory");
	/*
	 * The engine records a member whose IO fails on the superblocks: a
	 * standalone policy. In a cluster only the coordinator writes them,
	 * after the failure is agreed. The check itself writes nothing, so
	 * run it read-only: a failure then stays in memory (mem_failed),
	 * where we pick it up and undo it.
	 */
	memcpy(was_failed, vol->mem_failed, sizeof(was_failed));
	vol->flags |= DDRAID_OPEN_RDONLY;
	r = ddraid_scrub(vol, first, nblocks, false, on_found, &f, NULL, NULL,
			 res);
	vol->flags = flags;
	for (m = 0; m < vol->g.members; m++) {
		if (vol->mem_failed[m] && !was_failed[m])
			*failed |= 1u << m;
		vol->mem_failed[m] = was_failed[m];
	}
	if (!r && repair && res->mismatches)
		r = repair_runs(vol, &f, nblocks, res, failed);
	free(f.map);
	return r;
}
