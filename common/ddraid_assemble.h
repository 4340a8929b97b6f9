/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Do these superblocks, read from the members given for assembly, form one
 * current volume? One verdict for every assembler (the kernel target's ctr,
 * libddraid's ddraid_open, ddraidctl table), so they cannot disagree about
 * which member is foreign, misplaced or stale. Device facts (size, logical
 * block size) are the caller's to check.
 */
#ifndef DDRAID_ASSEMBLE_H
#define DDRAID_ASSEMBLE_H

#include "ddraid_compat.h"
#include "ddraid_format.h"

struct ddraid_set_verdict {
	int newest;		/* index of the newest superblock: the truth */
	int member;		/* on error: the member it is about, or -1 */
	const char *why;	/* on error: a static reason */
	u32 absent;		/* bit i: no superblock given for member i */
	u32 recorded_failed;	/* bit i: present but the newest says failed */
	u32 lagging;		/* bit i: one metadata update behind, current
				 * data: rewrite its superblock from the newest */
	u32 rebuilding;		/* bit i: present, the newest says rebuilding */
};

/*
 * @sbs has @n entries in member order; @present[i] says whether sbs[i] was
 * read (an absent member is "missing"). Returns 0 with @v filled, or:
 * -ENODEV no member present, or more than one member absent, recorded
 * failed or rebuilding (the volume cannot be read whole); -EINVAL a member at the wrong
 * position, a different member count, or another volume's member (the one
 * the majority disagrees with); -ESTALE a member whose data may be older
 * than the volume's.
 *
 * Stale: a member is current if its events equal the newest, or are one
 * behind while the newest superblock still records it active. Every events
 * bump records a state change of some *other* member (failed, rebuilding,
 * active again), and a write that skips a member is acknowledged only after
 * that member is recorded failed; so a member the newest superblock calls
 * active has missed no data, only the last metadata update (a crash
 * between the survivors' superblock writes leaves exactly that). A member
 * further behind may be an old disk that was replaced and rebuilt since.
 */
int ddraid_sb_check_set(const struct ddraid_sb *sbs, const bool *present,
			u32 n, struct ddraid_set_verdict *v);

#endif /* DDRAID_ASSEMBLE_H */
