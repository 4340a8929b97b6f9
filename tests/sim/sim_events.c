// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operator events in the simulation (lib/events.h): after every step each
 * daemon's events are derived from its state machine's view, as ddraidd
 * does, and checked as a client would read them. The stream must make
 * sense on its own: an end only after its start, a member back only after
 * it was out, a path up only after it was down, the volume's news only
 * when its state changed; and what the events say must add up to what the
 * view says. A monitor script that pairs start and end relies on it.
 */
#include "config.h"

#include <string.h>

#include "events.h"
#include "sim.h"
#include "sm_events.h"

static void bad(struct sim *s, struct sim_node *n, const struct ddraid_event *e,
		const char *why)
{
	sim_fail(s, "node %u: event %s (member %u, node %u): %s", n->id,
		 ddraid_event_name(e->type), e->member, e->node, why);
}

/* Apply @e to what node @n's stream has said so far; false if it cannot. */
static bool apply(struct sim_evstate *st, const struct ddraid_event *e,
		  const char **why)
{
	u32 bit = e->member < 32 ? 1u << e->member : 0;
	u32 *path = e->node < SIM_EV_MAX_ID ? &st->path[e->node] : NULL;

	switch (e->type) {
	case DDRAID_EV_MEMBER_FAILED:
	case DDRAID_EV_MEMBER_REBUILDING:
		st->out |= bit;
		return true;
	case DDRAID_EV_MEMBER_ACTIVE:
		*why = "member-active of a member never said out";
		if (!(st->out & bit))
			return false;
		st->out &= ~bit;
		return true;
	case DDRAID_EV_VOLUME_HEALTHY:
	case DDRAID_EV_VOLUME_DEGRADED:
	case DDRAID_EV_VOLUME_FAILED:
		*why = "the volume's state did not change";
		if (st->vol == e->type || (!st->vol &&
					   e->type == DDRAID_EV_VOLUME_HEALTHY))
			return false;
		st->vol = e->type;
		return true;
	case DDRAID_EV_REBUILD_START:
		*why = "a second rebuild-start";
		if (st->rebuilding)
			return false;
		st->rebuilding = true;
		st->rb_member = e->member;
		return true;
	case DDRAID_EV_REBUILD_END:
		*why = "rebuild-end without its start";
		if (!st->rebuilding || st->rb_member != e->member)
			return false;
		*why = "rebuild-end done > total";
		if (e->a > e->b)
			return false;
		st->rebuilding = false;
		return true;
	case DDRAID_EV_RESYNC_START:
	case DDRAID_EV_RESYNC_END:
		*why = "resync start/end out of pairs";
		if (st->resync == (e->type == DDRAID_EV_RESYNC_START))
			return false;
		st->resync = !st->resync;
		return true;
	case DDRAID_EV_SCRUB_START:
	case DDRAID_EV_SCRUB_END:
		*why = "scrub start/end out of pairs";
		if (st->scrub == (e->type == DDRAID_EV_SCRUB_START))
			return false;
		st->scrub = !st->scrub;
		return true;
	case DDRAID_EV_SCRUB_MISMATCH:
		*why = "scrub-mismatch outside a scrub";
		return st->scrub;
	case DDRAID_EV_TUNED:
		*why = "tuned changed nothing";
		if (st->tune_known && st->tune_set == e->set &&
		    !memcmp(st->tune, e->rate, sizeof(st->tune)))
			return false;
		st->tune_known = true;
		st->tune_set = e->set;
		memcpy(st->tune, e->rate, sizeof(st->tune));
		return true;
	case DDRAID_EV_PATH_DOWN:
	case DDRAID_EV_PATH_UP:
		*why = "path event of an unknown node";
		if (!path || !bit)
			return false;
		*why = "path up/down out of pairs";
		if (!!(*path & bit) == (e->type == DDRAID_EV_PATH_DOWN))
			return false;
		*path ^= bit;
		return true;
	default:
		return true;
	}
}

/* What the stream said must be what the view says. */
static const char *agrees(const struct sim_evstate *st,
			  const struct ddraid_ev_view *v)
{
	u32 i, out = 0, n = 0, s;

	for (i = 0; i < v->members; i++)
		if (v->state[i] != DDRAID_MEMBER_ACTIVE) {
			out |= 1u << i;
			n++;
		}
	if (out != st->out)
		return "members out differ from the view";
	if ((st->vol ? st->vol : DDRAID_EV_VOLUME_HEALTHY) !=
	    (!n ? DDRAID_EV_VOLUME_HEALTHY : n == 1 ? DDRAID_EV_VOLUME_DEGRADED :
						      DDRAID_EV_VOLUME_FAILED))
		return "the volume's state differs from the view";
	if (st->rebuilding != v->rebuilding || st->resync != !!v->dirty ||
	    st->scrub != v->scrubbing)
		return "rebuild, resync or scrub differs from the view";
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (v->node[s].nodeid && v->node[s].nodeid < SIM_EV_MAX_ID &&
		    (st->path[v->node[s].nodeid] & ((1u << v->members) - 1)) !=
		    v->node[s].path_bad)
			return "paths down differ from the view";
	if (st->tune_known && (st->tune_set != v->tune_set ||
			       memcmp(st->tune, v->tune, sizeof(st->tune))))
		return "tuned rates differ from the view";
	return NULL;
}

void check_events(struct sim *s)
{
	static struct ddraid_event ev[DDRAID_EV_MAX];
	struct ddraid_ev_view v;
	const char *why;
	u32 j, i, k;

	for (j = 0; j < s->n_nodes && !s->failed; j++) {
		struct sim_node *n = &s->node[j];
		struct sim_evstate *st = &n->ev;

		if (!n->d.alive)
			continue;
		/* A new daemon: a new stream. */
		if (st->incarnation != n->d.incarnation) {
			memset(st, 0, sizeof(*st));
			st->incarnation = n->d.incarnation;
		}
		sm_ev_view(n->d.sm, &v);
		k = ddraid_ev_derive(&st->last, &v, ev);
		if (v.valid)
			st->last = v;
		else
			st->last.quorate = v.quorate;
		st->count += k;
		for (i = 0; i < k && !s->failed; i++) {
			why = "?";
			if (!apply(st, &ev[i], &why))
				bad(s, n, &ev[i], why);
		}
		/* A first view reports no tuning: the stream starts
		 * from its rates. */
		if (v.valid && !st->tune_known) {
			st->tune_known = true;
			st->tune_set = v.tune_set;
			memcpy(st->tune, v.tune, sizeof(st->tune));
		}
		if (!s->failed && v.valid && (why = agrees(st, &v)))
			sim_fail(s, "node %u: events: %s", n->id, why);
	}
}
