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
	u32 stale;		/* bit i: present, not recorded failed, and
				 * its events behind the volume's (below) */
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

/*
 * Forced assembly ("mdadm --assemble --force"): when a normal assembly is
 * refused because more than one member is unusable (absent, recorded
 * failed, rebuilding or stale), accept the freshest usable ones as current
 * so that exactly one member stays out, and say what that assumes.
 *
 * Only as many members are accepted as needed: the one left out is read as
 * the XOR of the others, which is better than reading older data from it.
 * A candidate is a present member whose own superblock records itself
 * active (a member caught mid-rebuild holds garbage past its recovery
 * block and is never accepted). Candidates are ranked:
 *  1. FAILED: recorded failed in the newest superblock, and its own
 *     superblock says exactly failed_events - 1 (it missed only the
 *     recording of its own failure: its data is as of that moment);
 *     the highest failed_events first (it failed last);
 *  2. STALE: any other candidate (stale, or recorded failed while its own
 *     superblock is further behind, e.g. an old disk put back), the
 *     highest own events first. Its data may lack any write made since.
 * Ties go to the higher update_seq, then the lower index (plan.tie says
 * so). Absent, foreign or misplaced members are never accepted.
 */
#define DDRAID_OUT_ABSENT	(1u << 0)	/* no superblock given */
#define DDRAID_OUT_FAILED	(1u << 1)	/* the newest records it failed */
#define DDRAID_OUT_REBUILDING	(1u << 2)	/* the newest: rebuilding */
#define DDRAID_OUT_STALE	(1u << 3)	/* events behind the volume's */

enum ddraid_force_kind {
	DDRAID_FORCE_NONE = 0,	/* not accepted */
	DDRAID_FORCE_FAILED,	/* data as of its recorded failure */
	DDRAID_FORCE_STALE,	/* data as of its own (older) events */
};

struct ddraid_force_member {
	u32 out;		/* DDRAID_OUT_*: why a normal assembly cannot
				 * use it; 0 for a member in use */
	u32 kind;		/* enum ddraid_force_kind, accepted members */
	u64 events;		/* its own superblock's events (present) */
	u64 failed_events;	/* the newest's failed_events (recorded failed) */
	/*
	 * Accepted: writes made after the events value @since may be
	 * missing on it (FAILED: failed_events; STALE: events + 1).
	 */
	u64 since;
	/*
	 * Accepted FAILED: another unusable member (the lowest such is
	 * @already_out, else -1) was recorded failed at or before its
	 * failure and still is, so no write could complete after it failed:
	 * only writes in flight then (never acknowledged) may be missing on
	 * it.
	 */
	bool in_flight_only;
	int already_out;
};

struct ddraid_force_plan {
	int newest;		/* the newest superblock (before forcing) */
	int member;		/* on refusal: the member it is about, or -1 */
	const char *why;	/* on refusal: a static reason */
	u32 unusable;		/* members a normal assembly cannot use */
	u32 accept;		/* members accepted as current */
	int out;		/* the one member left out (0 <= out < n) */
	bool tie;		/* an equally fresh candidate was passed over */
	struct ddraid_force_member m[DDRAID_MAX_MEMBERS];
	/*
	 * The volume's superblock after forcing (member_index and utime
	 * are the writer's): events one above the newest, update_seq the
	 * highest present; accepted members ACTIVE with failed_events and
	 * recovery_block 0; the member left out FAILED (its failed_events
	 * kept if it was failed already, else the new events).
	 */
	struct ddraid_sb sb;
};

/*
 * Plan a forced assembly of the same input as ddraid_sb_check_set().
 * Returns 0 with @p filled; -EALREADY when at most one member is unusable
 * (nothing to force: a normal assembly works, or leaves out the one stale
 * member); -EINVAL when ddraid_sb_check_set() names a foreign, misplaced
 * or miscounted member (p->member, p->why); -ENODEV when no member is
 * present, or even forcing would leave two or more members out (p->why;
 * p->member is one that cannot be accepted, or -1).
 */
int ddraid_sb_force_set(const struct ddraid_sb *sbs, const bool *present,
			u32 n, struct ddraid_force_plan *p);

#endif /* DDRAID_ASSEMBLE_H */
