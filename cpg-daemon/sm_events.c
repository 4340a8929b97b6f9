// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state machine's view for operator events (lib/events.h): what the
 * runtime compares after every event it feeds. Pure, like the rest of
 * the state machine, so the simulator can take the same views.
 */
#include "config.h"

#include <string.h>

#include "sm.h"
#include "sm_events.h"

void sm_ev_view(const struct sm *sm, struct ddraid_ev_view *v)
{
	struct sm_status st;
	u64 rate[TUNE_N];
	u32 i;

	sm_status_brief(sm, &st);
	memset(v, 0, sizeof(*v));
	v->valid = st.has_state;
	v->quorate = st.quorate;
	v->members = st.members;
	if (!v->valid)
		return;
	for (i = 0; i < st.members; i++) {
		v->state[i] = st.member[i].state;
		v->failed_events[i] = st.member[i].failed_events;
		v->host[i] = st.member[i].host;
	}
	for (i = 0; i < st.n_nodes && i < DDRAID_BITMAP_SLOTS; i++) {
		v->node[i] = (struct ddraid_ev_node){
			.nodeid = st.node[i].nodeid,
			.in_view = st.node[i].in_view,
			.detached = st.node[i].detached,
			.orphaned = st.node[i].orphaned,
			.fencing = st.node[i].fencing,
			.path_bad = st.node[i].path_bad,
		};
	}
	v->dirty = st.dirty;
	v->rebuilding = st.rebuilding;
	v->rebuild_member = st.rebuild_member;
	v->rebuild_done = st.rebuild_done;
	v->rebuild_total = st.rebuild_total;
	v->scrubbing = st.scrub_end == SCRUB_RUNNING;
	v->scrub_end = st.scrub_end;
	v->scrub_end_name = sm_scrub_end_name(st.scrub_end);
	v->scrub_done = st.scrub_next;
	v->scrub_total = st.regions;
	v->scrub_mismatches = st.scrub_mismatches;
	/* The replicated part only: every node reports the same. */
	sm_rates(sm, rate, &v->tune_set);
	for (i = 0; i < DDRAID_RATES; i++)
		v->tune[i] = v->tune_set & (1u << i) ? rate[i] : 0;
}
