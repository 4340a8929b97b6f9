/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd's fencing policy (docs/ddraidd.md, "Fencing"): which fencer it
 * uses (--fencing), whether every departed node must be fenced before its
 * regions are resynced (--require-fencing), the two_node check, and the
 * glue between the state machine's SM_FX_FENCE and the fencer (fence.h).
 */
#ifndef DDRAIDD_FENCING_H
#define DDRAIDD_FENCING_H

#include <stdbool.h>

#include <json-c/json.h>

#include "sm.h"

enum fencing_mode {
	FENCING_AUTO = 0,	/* pacemaker if its fencer answers at start
				 * and has a fence device */
	FENCING_PACEMAKER,
	FENCING_NONE,		/* fence_delay; orphans: ddraidctl fenced */
};

/* "auto", "pacemaker", "none" -> enum fencing_mode; -1 if none of them. */
int fencing_mode_parse(const char *s);

struct fencing;

/*
 * Decide: resolve --fencing auto (asks Pacemaker's fencer, blocking),
 * apply the default of --require-fencing (@require: 1 yes, 0 no, -1
 * default: yes exactly with Pacemaker), read corosync's quorum.two_node
 * and refuse it without required fencing. Logs what it decided. NULL
 * (logged, nothing started) on refusal or error.
 */
struct fencing *fencing_new(int mode, int require);
void fencing_free(struct fencing *fc);

/* What the state machine's require_fencing must be. */
bool fencing_required(const struct fencing *fc);
/* corosync's quorum.two_node (the state machine's two_node). */
bool fencing_two_node(const struct fencing *fc);

/* The fencer's eventfd, -1 without a fencer. */
int fencing_fd(const struct fencing *fc);

/* Totem membership (every SM_EV_TOTEM): remembers when nodes left. */
void fencing_totem(struct fencing *fc, const struct sm_totem *t);

/* SM_FX_FENCE: have @nodeid fenced (or tell the operator how). The
 * caller never passes its own node id. */
void fencing_fence(struct fencing *fc, u32 nodeid, const char *volume);

/* The next fencing the fencer confirmed: true and *nodeid (feed
 * SM_ADMIN_FENCED); false when none is left. Logs failures. */
bool fencing_pop(struct fencing *fc, u32 *nodeid);

/*
 * Stop asking for fencings the state machine no longer waits for (the
 * node came back, or this daemon is no longer the coordinator): a fencer
 * that kept retrying would one day reboot a healthy node.
 */
void fencing_reconcile(struct fencing *fc, const struct sm *sm);

/* The "fencing" object of ddraidctl status --json. */
void fencing_status_json(struct fencing *fc, json_object *o);

#endif /* DDRAIDD_FENCING_H */
