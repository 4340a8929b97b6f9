/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Operator events (docs/events.md): what changed in a volume, derived in
 * one place from two views of it, the one before a step and the one
 * after. ddraidd takes its views from the state machine after every event
 * it feeds it; ddraidctl monitor takes them from a standalone target's
 * device-mapper status. The derivation is a pure function (no IO, no
 * clock) so that it is unit tested, and the same views always give the
 * same events in the same order.
 *
 * The wire and text forms are stable: a JSON object per event with
 * "version" (DDRAID_EVENT_VERSION), "time", "volume", "event" and the
 * event's fields, in this order; the text line is the same fields as
 * "TIME VOLUME EVENT key=value ...". New fields may be added at the end;
 * a field never changes meaning (a new meaning is a new version).
 */
#ifndef DDRAID_EVENTS_H
#define DDRAID_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json-c/json.h>

#include "ddraid.h"

#define DDRAID_EVENT_VERSION	1

enum ddraid_event_type {
	DDRAID_EV_MEMBER_FAILED = 1,	/* member, events, node (host), reason */
	DDRAID_EV_MEMBER_REBUILDING,	/* member */
	DDRAID_EV_MEMBER_ACTIVE,	/* member */
	DDRAID_EV_VOLUME_DEGRADED,	/* out: members not active (mask) */
	DDRAID_EV_VOLUME_FAILED,	/* out: two or more members out */
	DDRAID_EV_VOLUME_HEALTHY,
	DDRAID_EV_RESYNC_START,		/* regions */
	DDRAID_EV_RESYNC_END,
	DDRAID_EV_REBUILD_START,	/* member */
	DDRAID_EV_REBUILD_END,		/* member, done, total, result */
	DDRAID_EV_SCRUB_START,		/* total */
	DDRAID_EV_SCRUB_MISMATCH,	/* count (new), mismatches (so far) */
	DDRAID_EV_SCRUB_END,		/* done, total, mismatches, result */
	DDRAID_EV_NODE_JOINED,		/* node */
	DDRAID_EV_NODE_LEFT,		/* node, reason */
	DDRAID_EV_NODE_FENCED,		/* node */
	DDRAID_EV_PATH_DOWN,		/* member, node */
	DDRAID_EV_PATH_UP,		/* member, node */
	DDRAID_EV_QUORUM_LOST,
	DDRAID_EV_QUORUM_REGAINED,
	DDRAID_EV_TUNED,		/* set: the rates set cluster-wide */
	DDRAID_EV_TYPES
};

/* What a node is to the volume, as far as events go. */
struct ddraid_ev_node {
	u32 nodeid;		/* 0: unused entry */
	bool in_view;		/* its daemon is in the cluster */
	bool detached;		/* left on purpose */
	bool orphaned;		/* its daemon died, its node still runs */
	bool fencing;		/* gone, the cluster waits for its fencing */
	u32 path_bad;		/* members it alone cannot reach (mask) */
};

/* One view of a volume: the input of the derivation. */
struct ddraid_ev_view {
	bool valid;		/* false: nothing known (no state yet) */
	bool quorate;
	u32 members;
	u32 state[DDRAID_MAX_MEMBERS];	/* enum ddraid_member_state */
	u64 failed_events[DDRAID_MAX_MEMBERS];
	u32 host[DDRAID_MAX_MEMBERS];	/* node id hosting it, 0 */
	struct ddraid_ev_node node[DDRAID_BITMAP_SLOTS];
	u64 dirty;		/* regions awaiting resync */
	bool rebuilding;
	u32 rebuild_member;
	u64 rebuild_done, rebuild_total;
	bool scrubbing;
	u32 scrub_end;		/* how the last scrub ended (sm_scrub_end) */
	const char *scrub_end_name;	/* its name, static */
	u64 scrub_done, scrub_total, scrub_mismatches;
	/* rates set cluster-wide ("ddraidctl set"): a mask by
	 * DDRAID_RATE_* index, and the values (bytes/s) */
	u32 tune_set;
	u64 tune[DDRAID_RATES];
};

struct ddraid_event {
	u32 type;		/* enum ddraid_event_type */
	u32 member;		/* DDRAID_EV_NONE: not given */
	u32 node;		/* 0: not given */
	u64 a, b, c;		/* per type: see ddraid_event_json() */
	const char *reason;	/* static, NULL: none */
	/* TUNED: the rates set cluster-wide (mask), the values in rate[] */
	u32 set;
	u64 rate[DDRAID_RATES];
};

#define DDRAID_EV_NONE		0xffffffffu
/* Most events one step can give: every member and node, and a few more. */
#define DDRAID_EV_MAX		(4 * DDRAID_MAX_MEMBERS + \
				 (2 + DDRAID_MAX_MEMBERS) * DDRAID_BITMAP_SLOTS + 16)

/* A view in which every member is active and nothing else is going on. */
void ddraid_ev_view_healthy(struct ddraid_ev_view *v, u32 members);

/*
 * The events that lead from @old to @new, in a fixed order, into @out
 * (room for DDRAID_EV_MAX). An invalid @new gives none; an invalid @old
 * is taken as healthy with @new's nodes (the first view of a volume
 * reports its problems, not its nodes). Returns how many.
 */
unsigned int ddraid_ev_derive(const struct ddraid_ev_view *old,
			      const struct ddraid_ev_view *new,
			      struct ddraid_event *out);

/* "member-failed", ... */
const char *ddraid_event_name(u32 type);
/* Is it bad news (a problem to report, syslog warning)? */
bool ddraid_event_is_problem(u32 type);
/* The same for an event object (a stream's line); unknown names are not. */
bool ddraid_event_json_is_problem(json_object *ev);

/* "2026-12-06T10:00:00.123Z" for @ts (UTC), into @buf (>= 32 bytes). */
void ddraid_event_time(const struct timespec *ts, char *buf, size_t len);

/* The event as its stable JSON object (a new reference). */
json_object *ddraid_event_json(const struct ddraid_event *e,
			       const char *volume, const struct timespec *ts);

/*
 * The text line of an event object (no newline): "TIME VOLUME EVENT
 * key=value ..." with every field after "event" in order. Returns the
 * length written (snprintf rules).
 */
int ddraid_event_text(json_object *ev, char *buf, size_t len);

/* Just the "key=value ..." part, as monitor --program gets it. */
int ddraid_event_details(json_object *ev, char *buf, size_t len);

#endif /* DDRAID_EVENTS_H */
