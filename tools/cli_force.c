// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a forced assembly assumed, told in words a newcomer can follow: the
 * same report from every command that takes --force (assemble, export,
 * import, rebuild --offline). The choice itself is ddraid_sb_force_set()
 * (common/ddraid_assemble.c); the superblock rewrite is libddraid's.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <uuid.h>

#include "cli.h"

static const char *fpath(const struct ddraid_forced *f, u32 m)
{
	return f->path[m] ? f->path[m] : DDRAID_MISSING;
}

/* The members in order, the one left out as "missing": for next steps. */
static void member_list(const struct ddraid_forced *f, u32 n, char *buf,
			size_t len)
{
	size_t u = 0;
	u32 m;

	buf[0] = '\0';
	for (m = 0; m < n && u < len; m++)
		u += (size_t)snprintf(buf + u, len - u, " %s",
				      (int)m == f->plan.out ? DDRAID_MISSING :
				      fpath(f, m));
}

static void say_accepted(const struct ddraid_forced *f, u32 m)
{
	const struct ddraid_force_member *fm = &f->plan.m[m];
	u32 out = (u32)f->plan.out;

	fprintf(stderr, "  - member %u (%s) is taken as current. ", m,
		fpath(f, m));
	if (fm->kind == DDRAID_FORCE_FAILED && fm->in_flight_only) {
		fprintf(stderr,
			"It was recorded failed at events %" PRIu64
			", when member %d was out already,\n"
			"    so no write could complete after that: only writes in flight then\n"
			"    (never acknowledged) may be missing on it; such blocks may read as old, new or mixed data.\n",
			fm->failed_events, fm->already_out);
		return;
	}
	if (fm->kind == DDRAID_FORCE_FAILED)
		fprintf(stderr,
			"It was recorded failed at events %" PRIu64
			" while member %u was still in use:\n",
			fm->failed_events, out);
	else if (fm->out & DDRAID_OUT_FAILED)
		fprintf(stderr,
			"It was recorded failed at events %" PRIu64
			", but its own superblock is older (events %" PRIu64
			"):\n", fm->failed_events, fm->events);
	else
		fprintf(stderr,
			"It is stale: its superblock is at events %" PRIu64
			", the volume's at %" PRIu64 ":\n",
			fm->events, f->plan.sb.events - 1);
	fprintf(stderr,
		"    every write made since events %" PRIu64
		" (acknowledged ones too) is missing on it and reads as older data,\n"
		"    and in those blocks member %u, read as the XOR of the others, reads wrong too.\n",
		fm->since, out);
}

static void say_regions(const struct ddraid_forced *f)
{
	const struct ddraid_sb *sb = &f->plan.sb;
	char rs[32];
	unsigned int i;

	cli_human_size(sb->region_size, rs, sizeof(rs));
	fprintf(stderr,
		"  - the write-intent bitmaps (all %u slots, union over the present members) mark %"
		PRIu64 " of %" PRIu64 " regions of %s",
		sb->bitmap_slots, f->dirty_regions, sb->regions, rs);
	if (f->dirty_regions) {
		fprintf(stderr, " (region");
		for (i = 0; i < f->dirty_shown; i++)
			fprintf(stderr, " %" PRIu64, f->dirty_first[i]);
		fprintf(stderr, "%s; region r is volume bytes r*%" PRIu64
			" and on)", f->dirty_regions > f->dirty_shown ?
			" ..." : "", sb->region_size);
	}
	if (f->slots_in_use)
		fprintf(stderr,
			".\n    This is a cluster volume (%u node slot%s in use): such writes can only be in these\n"
			"    regions, since a region's bit is set before it is written and stays set while a member is out.\n",
			f->slots_in_use, f->slots_in_use == 1 ? "" : "s");
	else
		fprintf(stderr,
			".\n    No node ever held a slot: the volume was used standalone, which keeps no write intent,\n"
			"    so where such writes are is not recorded: any region may hold them.\n");
}

void cli_force_report(const struct ddraid_forced *f, bool read_only)
{
	const struct ddraid_force_plan *p = &f->plan;
	const struct ddraid_sb *sb = &p->sb;
	u32 n = sb->members, m, out = (u32)p->out;
	char uu[37], list[DDRAID_MAX_MEMBERS * 80];

	uuid_unparse(sb->uuid, uu);
	cli_warn("forced assembly of volume '%s' (uuid %s): %u of %u members could not be used, at most 1 may be. Assuming:",
		 sb->name, uu, ddr_popcount32(p->unusable), n);
	for (m = 0; m < n; m++)
		if (p->accept & (1u << m))
			say_accepted(f, m);
	if (p->tie)
		fprintf(stderr,
			"    (member %u was as fresh; either would do: the higher update count, then the lower index, won)\n",
			out);
	say_regions(f);
	fprintf(stderr, "  - member %u (%s", out, fpath(f, out));
	if (p->m[out].out & DDRAID_OUT_FAILED)
		fprintf(stderr, ", recorded failed at events %" PRIu64,
			p->m[out].failed_events);
	else if (p->m[out].out & DDRAID_OUT_REBUILDING)
		fprintf(stderr, ", rebuild incomplete");
	else if (p->m[out].out & DDRAID_OUT_STALE)
		fprintf(stderr, ", stale at events %" PRIu64, p->m[out].events);
	fprintf(stderr,
		") stays out: it is never read, its data is the XOR of the others; it needs a rebuild.\n");
	if (read_only) {
		fprintf(stderr,
			"  - read-only: nothing was written to the members; the next assembly needs --force again.\n");
	} else {
		fprintf(stderr, "  - superblocks rewritten on member%s",
			ddr_popcount32(f->written) > 1 ? "s" : "");
		for (m = 0; m < n; m++)
			if (f->written & (1u << m))
				fprintf(stderr, " %u", m);
		fprintf(stderr,
			": events %" PRIu64 " -> %" PRIu64
			", accepted members active, member %u failed. Later assemblies need no --force.\n",
			sb->events - 1, sb->events, out);
	}
	member_list(f, n, list, sizeof(list));
	fprintf(stderr,
		"Next steps:\n"
		"  1. rebuild member %u onto a good device (its own, if that disk is sound): offline (the volume not in use)\n"
		"       ddraidctl rebuild --offline%s --member %u --new NEWDEV%s\n"
		"     or, in a cluster, ddraidctl rebuild VOLUME --member %u NEWDEV\n"
		"  2. then verify parity: ddraidctl check --repair MEMBERS... (in a cluster, ddraidd resyncs\n"
		"     the marked regions itself)\n"
		"  3. check the data (fsck, application checks), above all in the regions named above.\n",
		out, read_only ? " --force-assembly" : "", out, list, out);
}
