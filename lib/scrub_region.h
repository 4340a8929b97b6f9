/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cluster-mode scrub of a block range (ddraidd's online scrub, one locked
 * region at a time): the engine's ddraid_scrub() without its standalone
 * failure recording, like the rest of lib/cluster_io.h.
 */
#ifndef DDRAID_SCRUB_REGION_H
#define DDRAID_SCRUB_REGION_H

#include "ddraid.h"

/*
 * Compare the parity of blocks [first, first + nblocks) with the XOR of
 * the data members (every member must be usable). @on_mismatch is called
 * for each block that differs, in order. With @repair the parity of those
 * blocks (and nothing else) is rewritten from the data. @res counts
 * checked, mismatching and rewritten blocks. A member whose IO failed is
 * reported in *@failed and recorded nowhere (the cluster decides).
 * Returns 0 (also when blocks differed), or -errno.
 */
int ddraid_cl_scrub(struct ddraid_vol *vol, u64 first, u64 nblocks,
		    bool repair, ddraid_mismatch_fn on_mismatch, void *arg,
		    struct ddraid_scrub_result *res, u32 *failed);

#endif /* DDRAID_SCRUB_REGION_H */
