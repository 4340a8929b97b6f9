// SPDX-License-Identifier: GPL-2.0-only
/* Operator events: derivation from two views, and their forms (events.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "events.h"

static const char *const names[DDRAID_EV_TYPES] = {
	[DDRAID_EV_MEMBER_FAILED] = "member-failed",
	[DDRAID_EV_MEMBER_REBUILDING] = "member-rebuilding",
	[DDRAID_EV_MEMBER_ACTIVE] = "member-active",
	[DDRAID_EV_VOLUME_DEGRADED] = "volume-degraded",
	[DDRAID_EV_VOLUME_FAILED] = "volume-failed",
	[DDRAID_EV_VOLUME_HEALTHY] = "volume-healthy",
	[DDRAID_EV_RESYNC_START] = "resync-start",
	[DDRAID_EV_RESYNC_END] = "resync-end",
	[DDRAID_EV_REBUILD_START] = "rebuild-start",
	[DDRAID_EV_REBUILD_END] = "rebuild-end",
	[DDRAID_EV_SCRUB_START] = "scrub-start",
	[DDRAID_EV_SCRUB_MISMATCH] = "scrub-mismatch",
	[DDRAID_EV_SCRUB_END] = "scrub-end",
	[DDRAID_EV_NODE_JOINED] = "node-joined",
	[DDRAID_EV_NODE_LEFT] = "node-left",
	[DDRAID_EV_NODE_FENCED] = "node-fenced",
	[DDRAID_EV_PATH_DOWN] = "path-down",
	[DDRAID_EV_PATH_UP] = "path-up",
	[DDRAID_EV_QUORUM_LOST] = "quorum-lost",
	[DDRAID_EV_QUORUM_REGAINED] = "quorum-regained",
	[DDRAID_EV_TUNED] = "tuned",
};

const char *ddraid_event_name(u32 type)
{
	return type < DDRAID_EV_TYPES && names[type] ? names[type] : "unknown";
}

bool ddraid_event_is_problem(u32 type)
{
	switch (type) {
	case DDRAID_EV_MEMBER_FAILED:
	case DDRAID_EV_VOLUME_DEGRADED:
	case DDRAID_EV_VOLUME_FAILED:
	case DDRAID_EV_SCRUB_MISMATCH:
	case DDRAID_EV_NODE_LEFT:
	case DDRAID_EV_NODE_FENCED:
	case DDRAID_EV_PATH_DOWN:
	case DDRAID_EV_QUORUM_LOST:
		return true;
	default:
		return false;
	}
}

bool ddraid_event_json_is_problem(json_object *ev)
{
	json_object *v;
	u32 t;

	if (!json_object_object_get_ex(ev, "event", &v))
		return false;
	for (t = 1; t < DDRAID_EV_TYPES; t++)
		if (!strcmp(json_object_get_string(v), ddraid_event_name(t)))
			return ddraid_event_is_problem(t);
	return false;
}

void ddraid_ev_view_healthy(struct ddraid_ev_view *v, u32 members)
{
	u32 i;

	memset(v, 0, sizeof(*v));
	v->valid = true;
	v->quorate = true;
	v->members = members;
	for (i = 0; i < members && i < DDRAID_MAX_MEMBERS; i++)
		v->state[i] = DDRAID_MEMBER_ACTIVE;
}

/* Healthy, with @v's nodes as they are but every path up. */
static void baseline(const struct ddraid_ev_view *v, struct ddraid_ev_view *b)
{
	u32 s;

	ddraid_ev_view_healthy(b, v->members);
	b->quorate = v->quorate;
	memcpy(b->node, v->node, sizeof(b->node));
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		b->node[s].path_bad = 0;
	/* Rates are settings, not news: a first view reports no change. */
	b->tune_set = v->tune_set;
	memcpy(b->tune, v->tune, sizeof(b->tune));
}

struct out {
	struct ddraid_event *ev;
	unsigned int n;
};

static struct ddraid_event *add(struct out *o, u32 type)
{
	struct ddraid_event *e;

	/* Cannot happen (the bound counts every case); memory-safe anyway:
	 * the last one is overwritten. */
	if (o->n >= DDRAID_EV_MAX)
		o->n = DDRAID_EV_MAX - 1;
	e = &o->ev[o->n++];
	*e = (struct ddraid_event){ .type = type, .member = DDRAID_EV_NONE };
	return e;
}

static const struct ddraid_ev_node *find_node(const struct ddraid_ev_view *v,
					      u32 nodeid)
{
	u32 s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (v->node[s].nodeid == nodeid)
			return &v->node[s];
	return NULL;
}

/* How many members are out (not active): 0 healthy, 1 degraded, 2+ failed. */
static u32 out_count(const struct ddraid_ev_view *v, u32 *first)
{
	u32 i, n = 0;

	*first = DDRAID_EV_NONE;
	for (i = 0; i < v->members; i++)
		if (v->state[i] != DDRAID_MEMBER_ACTIVE) {
			if (!n)
				*first = i;
			n++;
		}
	return n;
}

static void nodes(struct out *o, const struct ddraid_ev_view *old,
		  const struct ddraid_ev_view *new)
{
	const struct ddraid_ev_node *a, *b;
	struct ddraid_event *e;
	u32 s;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		b = &new->node[s];
		if (!b->nodeid)
			continue;
		a = find_node(old, b->nodeid);
		if (b->in_view && (!a || !a->in_view)) {
			e = add(o, DDRAID_EV_NODE_JOINED);
			e->node = b->nodeid;
		} else if (!b->in_view && a && a->in_view) {
			e = add(o, DDRAID_EV_NODE_LEFT);
			e->node = b->nodeid;
			e->reason = b->detached ? "detached" :
				    b->orphaned ? "daemon-died" : "node-down";
		}
		if (a && a->fencing && !b->fencing && !b->in_view) {
			e = add(o, DDRAID_EV_NODE_FENCED);
			e->node = b->nodeid;
		}
	}
}

static void paths(struct out *o, const struct ddraid_ev_view *old,
		  const struct ddraid_ev_view *new)
{
	const struct ddraid_ev_node *a, *b;
	struct ddraid_event *e;
	u32 s, m, was, is;

	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++) {
		b = &new->node[s];
		if (!b->nodeid)
			continue;
		a = find_node(old, b->nodeid);
		was = a ? a->path_bad : 0;
		is = b->path_bad;
		for (m = 0; m < new->members; m++) {
			if ((was ^ is) & (1u << m)) {
				e = add(o, is & (1u << m) ? DDRAID_EV_PATH_DOWN :
							    DDRAID_EV_PATH_UP);
				e->member = m;
				e->node = b->nodeid;
			}
		}
	}
}

/* Blocks whose parity differed, found in this step of the same scrub. */
static void mismatches(struct out *o, const struct ddraid_ev_view *old,
		       const struct ddraid_ev_view *new)
{
	struct ddraid_event *e;
	/* A new scrub counts from zero. */
	u64 before = old->scrubbing ? old->scrub_mismatches : 0;

	if (new->scrub_mismatches <= before)
		return;
	e = add(o, DDRAID_EV_SCRUB_MISMATCH);
	e->a = new->scrub_mismatches - before;
	e->b = new->scrub_mismatches;
	e->c = new->scrub_done;
}

static void ends(struct out *o, const struct ddraid_ev_view *old,
		 const struct ddraid_ev_view *new)
{
	struct ddraid_event *e;

	if (old->rebuilding &&
	    (!new->rebuilding || new->rebuild_member != old->rebuild_member)) {
		u32 m = old->rebuild_member;

		e = add(o, DDRAID_EV_REBUILD_END);
		e->member = m;
		/* The last progress the cluster agreed on; done when the
		 * member came out of it active. */
		e->a = old->rebuild_done;
		e->b = old->rebuild_total;
		if (m < new->members && new->state[m] == DDRAID_MEMBER_ACTIVE) {
			e->a = e->b;
			e->reason = "done";
		} else {
			e->reason = "aborted";
		}
	}
	if (old->scrubbing && !new->scrubbing) {
		/* What its last regions found comes before its end. */
		mismatches(o, old, new);
		e = add(o, DDRAID_EV_SCRUB_END);
		e->a = new->scrub_done;
		e->b = new->scrub_total;
		e->c = new->scrub_mismatches;
		e->reason = new->scrub_end_name ? new->scrub_end_name : "ended";
	}
	if (old->dirty && !new->dirty)
		add(o, DDRAID_EV_RESYNC_END);
}

static void starts(struct out *o, const struct ddraid_ev_view *old,
		   const struct ddraid_ev_view *new)
{
	struct ddraid_event *e;

	if (new->rebuilding &&
	    (!old->rebuilding || new->rebuild_member != old->rebuild_member)) {
		/* Its regions are counted once every node is ready: the
		 * total comes with the end. */
		e = add(o, DDRAID_EV_REBUILD_START);
		e->member = new->rebuild_member;
	}
	if (!old->dirty && new->dirty) {
		e = add(o, DDRAID_EV_RESYNC_START);
		e->a = new->dirty;
	}
	if (!old->scrubbing && new->scrubbing) {
		e = add(o, DDRAID_EV_SCRUB_START);
		e->b = new->scrub_total;
	}
}

static void members(struct out *o, const struct ddraid_ev_view *old,
		    const struct ddraid_ev_view *new)
{
	static const u32 type_of[] = {
		[DDRAID_MEMBER_ACTIVE] = DDRAID_EV_MEMBER_ACTIVE,
		[DDRAID_MEMBER_FAILED] = DDRAID_EV_MEMBER_FAILED,
		[DDRAID_MEMBER_REBUILDING] = DDRAID_EV_MEMBER_REBUILDING,
	};
	struct ddraid_event *e;
	const struct ddraid_ev_node *h;
	u32 i, s;

	for (i = 0; i < new->members; i++) {
		s = new->state[i];
		if (s == old->state[i] || s > DDRAID_MEMBER_REBUILDING ||
		    !type_of[s])
			continue;
		e = add(o, type_of[s]);
		e->member = i;
		if (s != DDRAID_MEMBER_FAILED)
			continue;
		e->a = new->failed_events[i];
		e->node = new->host[i];
		/* Its host leaving, or stopping (detached, its daemon not
		 * yet gone), takes it out (docs/cluster-protocol.md "host
		 * loss"); else a node's IO error or ddraidctl fail. */
		h = e->node ? find_node(new, e->node) : NULL;
		e->reason = h && (!h->in_view || h->detached) ? "host-left" :
								 "error";
	}
}

static void volume(struct out *o, const struct ddraid_ev_view *old,
		   const struct ddraid_ev_view *new)
{
	u32 was, is, first, dummy;
	struct ddraid_event *e;

	was = out_count(old, &dummy);
	is = out_count(new, &first);
	if (was == is || (was >= 2 && is >= 2))
		return;
	if (!is) {
		add(o, DDRAID_EV_VOLUME_HEALTHY);
	} else if (is == 1) {
		e = add(o, DDRAID_EV_VOLUME_DEGRADED);
		e->member = first;
	} else {
		e = add(o, DDRAID_EV_VOLUME_FAILED);
		e->a = is;
	}
}

/* The cluster-wide rates changed ("ddraidctl set"). */
static void tuned(struct out *o, const struct ddraid_ev_view *old,
		  const struct ddraid_ev_view *new)
{
	struct ddraid_event *e;

	if (old->tune_set == new->tune_set &&
	    !memcmp(old->tune, new->tune, sizeof(new->tune)))
		return;
	e = add(o, DDRAID_EV_TUNED);
	e->set = new->tune_set;
	memcpy(e->rate, new->tune, sizeof(e->rate));
}

unsigned int ddraid_ev_derive(const struct ddraid_ev_view *old,
			      const struct ddraid_ev_view *new,
			      struct ddraid_event *ev)
{
	struct out o = { .ev = ev };
	struct ddraid_ev_view base;

	if (old->quorate && !new->quorate)
		add(&o, DDRAID_EV_QUORUM_LOST);
	else if (!old->quorate && new->quorate)
		add(&o, DDRAID_EV_QUORUM_REGAINED);
	if (!new->valid)
		return o.n;
	if (!old->valid) {
		baseline(new, &base);
		old = &base;
	}
	nodes(&o, old, new);
	paths(&o, old, new);
	ends(&o, old, new);
	starts(&o, old, new);
	if (new->scrubbing)
		mismatches(&o, old, new);
	members(&o, old, new);
	volume(&o, old, new);
	tuned(&o, old, new);
	return o.n;
}

void ddraid_event_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	char s[24];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", s, ts->tv_nsec / 1000000);
}

#define ADD(o, k, v) json_object_object_add(o, k, v)
#define U64(v) json_object_new_int64((int64_t)(v))

json_object *ddraid_event_json(const struct ddraid_event *e,
			       const char *volume, const struct timespec *ts)
{
	json_object *o = json_object_new_object();
	char t[40];
	int i;

	ddraid_event_time(ts, t, sizeof(t));
	ADD(o, "version", json_object_new_int(DDRAID_EVENT_VERSION));
	ADD(o, "time", json_object_new_string(t));
	ADD(o, "volume", json_object_new_string(volume));
	ADD(o, "event", json_object_new_string(ddraid_event_name(e->type)));
	if (e->member != DDRAID_EV_NONE)
		ADD(o, "member", U64(e->member));
	if (e->node)
		ADD(o, "node", U64(e->node));
	switch (e->type) {
	case DDRAID_EV_MEMBER_FAILED:
		ADD(o, "events", U64(e->a));
		break;
	case DDRAID_EV_VOLUME_FAILED:
		ADD(o, "out", U64(e->a));
		break;
	case DDRAID_EV_RESYNC_START:
		ADD(o, "regions", U64(e->a));
		break;
	case DDRAID_EV_SCRUB_START:
		ADD(o, "total", U64(e->b));
		break;
	case DDRAID_EV_REBUILD_END:
		ADD(o, "done", U64(e->a));
		ADD(o, "total", U64(e->b));
		break;
	case DDRAID_EV_SCRUB_END:
		ADD(o, "done", U64(e->a));
		ADD(o, "total", U64(e->b));
		ADD(o, "mismatches", U64(e->c));
		break;
	case DDRAID_EV_SCRUB_MISMATCH:
		ADD(o, "count", U64(e->a));
		ADD(o, "mismatches", U64(e->b));
		ADD(o, "done", U64(e->c));
		break;
	case DDRAID_EV_TUNED:
		/* bytes/s where set for the cluster, else "node": each
		 * node's own --sync-speed-* */
		for (i = 0; i < DDRAID_RATES; i++)
			ADD(o, ddraid_rate_keys[i], e->set & (1u << i) ?
			    U64(e->rate[i]) : json_object_new_string("node"));
		break;
	default:
		break;
	}
	if (e->reason)
		ADD(o, e->type == DDRAID_EV_REBUILD_END ||
		       e->type == DDRAID_EV_SCRUB_END ? "result" : "reason",
		    json_object_new_string(e->reason));
	return o;
}

/* Append "key=value" pairs of @ev from the field after "event" on. */
static int details(json_object *ev, char *buf, size_t len, int n)
{
	bool after = false;

	json_object_object_foreach(ev, k, v) {
		if (!after) {
			after = !strcmp(k, "event");
			continue;
		}
		n += snprintf(buf + ((size_t)n < len ? (size_t)n : len),
			      (size_t)n < len ? len - (size_t)n : 0, "%s%s=%s",
			      n ? " " : "", k, json_object_get_string(v));
	}
	return n;
}

int ddraid_event_details(json_object *ev, char *buf, size_t len)
{
	if (len)
		buf[0] = 0;
	return details(ev, buf, len, 0);
}

static const char *field(json_object *ev, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(ev, k, &v) ?
		json_object_get_string(v) : "-";
}

int ddraid_event_text(json_object *ev, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s %s", field(ev, "time"),
			 field(ev, "volume"), field(ev, "event"));

	return details(ev, buf, len, n);
}
