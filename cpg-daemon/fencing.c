// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's fencing policy (fencing.h).
 *
 * Which fencings count: the fencer confirms a fencing of node N that
 * completed at or after the time this daemon saw N leave the totem ring
 * (the wall clock when the ring without N was delivered, which is after N
 * really left), or, when it never saw N leave (it started later), after
 * the request itself. A fencing after N left stopped what N ran when it
 * left; an older one fenced an earlier life of N. Using the departure
 * rather than the request (which comes one fence_delay later) accepts the
 * fencing Pacemaker does on its own when it loses a node, instead of
 * rebooting the node a second time; dlm_controld uses the departure time
 * (its fail_time) the same way. The times come from different clocks
 * (ours, the fencer's): a skew larger than the seconds between a node's
 * fencing and its next departure would be needed to mistake one.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "corosync_conf.h"
#include "fence.h"
#include "fence_pcmk.h"
#include "fencing.h"
#include "log.h"

/* Departures remembered (a node counts once, with its latest). */
#define DEPARTED_MAX	64
/* The status counts over the region bitmaps: pending requests are
 * checked against it this often, not on every tick. */
#define RECONCILE_MS	1000

struct fencing {
	u32 mode;		/* FENCING_PACEMAKER or FENCING_NONE */
	bool required;
	bool two_node;
	char helper[PATH_MAX];
	char why_none[FENCE_WHY_MAX];	/* auto chose none: why */
	struct fencer *fencer;
	struct timespec reconciled;	/* CLOCK_MONOTONIC */
	/* The last totem ring, and when nodes were last seen leaving it. */
	u32 *totem;
	u32 n_totem;
	struct {
		u32 nodeid;
		struct timespec left;
	} departed[DEPARTED_MAX];
	u32 n_departed;
};

int fencing_mode_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return FENCING_AUTO;
	if (!strcmp(s, "pacemaker"))
		return FENCING_PACEMAKER;
	if (!strcmp(s, "none"))
		return FENCING_NONE;
	return -1;
}

static const char *mode_name(u32 mode)
{
	return mode == FENCING_PACEMAKER ? "pacemaker" : "none";
}

/*
 * Pacemaker's fencer, or none. "auto" wants a fencer with at least one
 * fence device: a Pacemaker cluster without any (stonith-enabled=false, a
 * test bed) could never confirm a fencing, and with fencing required every
 * lost node would stall its regions for good.
 */
static int resolve_mode(struct fencing *fc, int mode)
{
	char why[FENCE_WHY_MAX] = "";
	int r, devices = 0;

	r = fence_pcmk_helper_path(fc->helper, sizeof(fc->helper));
	if (r) {
		snprintf(why, sizeof(why), "cannot find ddraid-stonith: %s",
			 strerror(-r));
		fc->helper[0] = 0;
	} else if (mode != FENCING_NONE) {
		r = fence_pcmk_probe(fc->helper, &devices, why, sizeof(why));
		if (!r && !devices) {
			snprintf(why, sizeof(why),
				 "Pacemaker's fencer has no fence device on this node");
			r = -ENODEV;
		}
	}
	if (mode == FENCING_NONE) {
		fc->mode = FENCING_NONE;
		return 0;
	}
	if (mode == FENCING_AUTO) {
		fc->mode = r ? FENCING_NONE : FENCING_PACEMAKER;
		if (r) {
			snprintf(fc->why_none, sizeof(fc->why_none), "%s", why);
			log_notice("--fencing auto: %s: fencing none",
				   why);
		} else {
			log_notice("--fencing auto: Pacemaker's fencer answers: fencing pacemaker");
		}
		return 0;
	}
	fc->mode = FENCING_PACEMAKER;
	if (!fc->helper[0]) {
		log_err("--fencing pacemaker: %s", why);
		return -ENOENT;
	}
	if (access(fc->helper, X_OK)) {
		log_err("--fencing pacemaker: %s is not installed (it is built where pacemaker-dev is present)",
			fc->helper);
		return -ENOENT;
	}
	/* It may start after us: requests are retried until it answers. */
	if (r)
		log_warn("--fencing pacemaker: not usable yet (%s); fencing requests will be retried",
			 why);
	return 0;
}

struct fencing *fencing_new(int mode, int require)
{
	struct fencing *fc = calloc(1, sizeof(*fc));
	char why[FENCE_WHY_MAX];
	struct fence_ops ops;
	int r;

	if (!fc) {
		log_err("out of memory");
		return NULL;
	}
	if (resolve_mode(fc, mode))
		goto fail;
	fc->required = require < 0 ? fc->mode == FENCING_PACEMAKER :
				     require > 0;

	r = corosync_two_node(&fc->two_node, why, sizeof(why));
	if (r) {
		log_err("%s", why);
		goto fail;
	}
	log_notice("corosync quorum.two_node: %d; fencing %s, %s",
		   fc->two_node, mode_name(fc->mode),
		   fc->required ? "required for every departed node" :
		   "fence_delay for departed nodes (fencing for orphans only)");
	if (fc->two_node && !fc->required) {
		/*
		 * With two_node both halves of a split stay quorate: each
		 * would fail the other's member and go on alone. Only a
		 * fencing that must complete first picks one survivor.
		 */
		log_err("refusing to start: corosync has quorum.two_node: 1, so both nodes stay quorate when they lose each other, and without required fencing each would go on alone. Configure Pacemaker fencing (a stonith device for each node) and start with --fencing pacemaker, or start with --require-fencing and confirm each fencing with 'ddraidctl fenced', or add a third node (or a quorum device) and drop two_node");
		goto fail;
	}
	if (fc->mode == FENCING_PACEMAKER) {
		if (fence_pcmk_ops(&ops, fc->helper)) {
			log_err("out of memory");
			goto fail;
		}
		fc->fencer = fencer_new(&ops, NULL);
		if (!fc->fencer) {
			log_err("cannot start the fencer thread: %s",
				strerror(errno));
			ops.release(ops.ctx);
			goto fail;
		}
	}
	return fc;
fail:
	fencing_free(fc);
	return NULL;
}

void fencing_free(struct fencing *fc)
{
	if (!fc)
		return;
	fencer_free(fc->fencer);
	free(fc->totem);
	free(fc);
}

bool fencing_required(const struct fencing *fc)
{
	return fc->required;
}

bool fencing_two_node(const struct fencing *fc)
{
	return fc->two_node;
}

int fencing_fd(const struct fencing *fc)
{
	return fc->fencer ? fencer_fd(fc->fencer) : -1;
}

static bool has(const u32 *a, u32 n, u32 v)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (a[i] == v)
			return true;
	return false;
}

static void record_departure(struct fencing *fc, u32 nodeid,
			     const struct timespec *now)
{
	u32 i, oldest = 0;

	for (i = 0; i < fc->n_departed; i++) {
		if (fc->departed[i].nodeid == nodeid)
			break;
		if (fc->departed[i].left.tv_sec <
		    fc->departed[oldest].left.tv_sec)
			oldest = i;
	}
	if (i == fc->n_departed) {
		if (fc->n_departed < DEPARTED_MAX)
			fc->n_departed++;
		else
			i = oldest;
	}
	fc->departed[i].nodeid = nodeid;
	fc->departed[i].left = *now;
}

void fencing_totem(struct fencing *fc, const struct sm_totem *t)
{
	struct timespec now;
	u32 *copy, i;

	clock_gettime(CLOCK_REALTIME, &now);
	for (i = 0; i < fc->n_totem; i++)
		if (!has(t->nodes, t->n_nodes, fc->totem[i]))
			record_departure(fc, fc->totem[i], &now);
	copy = malloc((t->n_nodes ? t->n_nodes : 1) * sizeof(u32));
	if (!copy) {
		/* Then departures are timed from the request: later, safe. */
		log_warn("out of memory: node departures are not timed");
		return;
	}
	memcpy(copy, t->nodes, t->n_nodes * sizeof(u32));
	free(fc->totem);
	fc->totem = copy;
	fc->n_totem = t->n_nodes;
}

static const struct timespec *departure(const struct fencing *fc, u32 nodeid)
{
	u32 i;

	for (i = 0; i < fc->n_departed; i++)
		if (fc->departed[i].nodeid == nodeid)
			return &fc->departed[i].left;
	return NULL;
}

/* "2026-12-06T10:11:12.345Z" */
static void iso(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	size_t n;

	if (!ts->tv_sec && !ts->tv_nsec) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ",
		 (int)((ts->tv_nsec / 1000000) % 1000));
}

void fencing_fence(struct fencing *fc, u32 nodeid, const char *volume)
{
	const struct timespec *left;
	char when[40];
	int r;

	if (!fc->fencer) {
		log_warn("waiting for node %u to be fenced: confirm with 'ddraidctl fenced %s --node %u'",
			 nodeid, volume, nodeid);
		return;
	}
	left = departure(fc, nodeid);
	r = fencer_request(fc->fencer, nodeid, left);
	if (r) {
		log_err("cannot ask for node %u to be fenced: %s; confirm with 'ddraidctl fenced %s --node %u'",
			nodeid, strerror(-r), volume, nodeid);
		return;
	}
	if (left)
		iso(left, when, sizeof(when));
	log_notice("asking Pacemaker's fencer to fence node %u (a fencing completed since %s counts)",
		   nodeid, left ? when : "now");
}

bool fencing_pop(struct fencing *fc, u32 *nodeid)
{
	struct fence_event ev;
	char when[40];

	if (!fc->fencer)
		return false;
	while (fencer_pop(fc->fencer, &ev)) {
		if (ev.state == FENCE_CONFIRMED) {
			iso(&ev.fenced, when, sizeof(when));
			log_notice("node %u was fenced at %s (Pacemaker's record)",
				   ev.nodeid, when);
			*nodeid = ev.nodeid;
			return true;
		}
		log_warn("fencing node %u failed (attempt %u): %s; retrying in %u s",
			 ev.nodeid, ev.attempts, ev.why,
			 (ev.retry_in_ms + 999) / 1000);
	}
	return false;
}

void fencing_reconcile(struct fencing *fc, const struct sm *sm)
{
	u32 ids[FENCE_MAX_REQ], n, i;
	struct sm_status *st;
	struct timespec now;

	if (!fc->fencer)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - fc->reconciled.tv_sec) * 1000 +
	    (now.tv_nsec - fc->reconciled.tv_nsec) / 1000000 < RECONCILE_MS)
		return;
	fc->reconciled = now;
	n = fencer_pending(fc->fencer, ids, FENCE_MAX_REQ);
	if (!n)
		return;
	st = malloc(sizeof(*st));
	if (!st)
		return;
	sm_status_brief(sm, st);
	for (i = 0; i < n; i++) {
		if (sm_fence_wanted(sm, ids[i]))
			continue;
		if (!fencer_cancel(fc->fencer, ids[i]))
			log_notice("no longer asking for node %u to be fenced: %s",
				   ids[i], !st->has_state ?
				   "this daemon has no cluster state" :
				   st->coordinator != st->nodeid ?
				   "another node coordinates" :
				   "the cluster no longer waits for it");
	}
	free(st);
}

void fencing_status_json(struct fencing *fc, json_object *o)
{
	struct fence_status st[FENCE_MAX_REQ];
	json_object *a, *x;
	char t[40];
	u32 n = 0, i;

	json_object_object_add(o, "mode",
			       json_object_new_string(mode_name(fc->mode)));
	json_object_object_add(o, "required",
			       json_object_new_boolean(fc->required));
	json_object_object_add(o, "two_node",
			       json_object_new_boolean(fc->two_node));
	if (fc->why_none[0])
		json_object_object_add(o, "why_none",
				       json_object_new_string(fc->why_none));
	if (fc->fencer)
		n = fencer_status(fc->fencer, st, FENCE_MAX_REQ);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "nodeid",
				       json_object_new_uint64(st[i].nodeid));
		json_object_object_add(x, "state", json_object_new_string(
					       fence_state_name(st[i].state)));
		iso(&st[i].requested, t, sizeof(t));
		json_object_object_add(x, "since", json_object_new_string(t));
		iso(&st[i].after, t, sizeof(t));
		json_object_object_add(x, "counts_after",
				       json_object_new_string(t));
		if (st[i].state == FENCE_CONFIRMED) {
			iso(&st[i].fenced, t, sizeof(t));
			json_object_object_add(x, "fenced",
					       json_object_new_string(t));
		}
		json_object_object_add(x, "attempts",
				       json_object_new_uint64(st[i].attempts));
		json_object_object_add(x, "kicks",
				       json_object_new_uint64(st[i].kicks));
		if (st[i].state == FENCE_FAILED) {
			json_object_object_add(x, "reason",
					       json_object_new_string(st[i].why));
			json_object_object_add(x, "retry_in_ms",
				json_object_new_uint64(st[i].retry_in_ms));
		}
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "requests", a);
}
