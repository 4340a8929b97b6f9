/* SPDX-License-Identifier: GPL-2.0-only */
/* The state machine's view for operator events (sm_events.c). */
#ifndef DDRAID_SM_EVENTS_H
#define DDRAID_SM_EVENTS_H

#include "events.h"

struct sm;

/* @v: what @sm knows now, as lib/events.h compares it. */
void sm_ev_view(const struct sm *sm, struct ddraid_ev_view *v);

#endif /* DDRAID_SM_EVENTS_H */
