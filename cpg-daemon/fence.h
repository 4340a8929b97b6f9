/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd's fencer: turns the state machine's SM_FX_FENCE (the coordinator
 * waits for a departed node to be fenced) into a confirmed fencing, fed
 * back as SM_ADMIN_FENCED.
 *
 * The fencing service is a table of blocking calls (struct fence_ops):
 * Pacemaker's fencer through libstonithd (fence_pcmk.h) in the daemon, a
 * fake in tests/unit/test_fence.c. One worker thread makes every call, one
 * at a time, so the event loop never waits for the service; outcomes come
 * back through an eventfd, as io_exec.h does for disk IO.
 *
 * The rule (docs/cluster-protocol.md, section 6): a request for node N
 * carries a wall-clock time, @after, no earlier than N's departure. Only a
 * fencing of N that completed at or after @after confirms the request: an
 * older one fenced an earlier life of N, whose successor may be writing.
 * The worker first asks the service when N was last fenced (Pacemaker may
 * have fenced it on its own: no second fencing then), else asks it to
 * fence N and looks again; failures are retried with a doubling delay.
 * Each request yields at most one confirmation.
 */
#ifndef DDRAIDD_FENCE_H
#define DDRAIDD_FENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ddraid_compat.h"

#define FENCE_WHY_MAX	160

/*
 * A fencing service. Every call may block for long; only the fencer's
 * worker thread calls them, one at a time. On failure they return a
 * negative errno-like code and write a sentence for the log and status
 * into @why (@len bytes).
 */
struct fence_ops {
	/*
	 * When did the service last complete a fencing (power off or
	 * reboot) of @nodeid? 0 and *@when (zero: none on record), or < 0
	 * when the service could not be asked.
	 */
	int (*last_fenced)(void *ctx, u32 nodeid, struct timespec *when,
			   char *why, size_t len);
	/*
	 * Fence @nodeid now; return when the service reports the outcome,
	 * or after at most @timeout_s seconds: 0 fenced, < 0 not.
	 */
	int (*kick)(void *ctx, u32 nodeid, unsigned int timeout_s, char *why,
		    size_t len);
	/*
	 * No call will follow (may be NULL). Called once, by the worker
	 * when fencer_free() left it inside a call, else by fencer_free().
	 */
	void (*release)(void *ctx);
	void *ctx;
};

struct fence_timing {
	unsigned int retry_first_ms;	/* first retry after a failure */
	unsigned int retry_max_ms;	/* the delay doubles up to this */
	unsigned int kick_timeout_s;	/* passed to kick() */
};

/* 1 s, doubling to 60 s; 120 s for one fencing (Pacemaker's
 * stonith-timeout defaults to 60 s; a reboot may take both). */
#define FENCE_TIMING_DEFAULT	{ 1000, 60000, 120 }

/* At most this many nodes have a request (the volume's bitmap slots). */
#define FENCE_MAX_REQ	32

enum fence_state {
	FENCE_REQUESTED = 1,	/* being worked on, no failure yet */
	FENCE_FAILED,		/* the last attempt failed: retry later */
	FENCE_CONFIRMED,	/* fenced at or after @after */
	FENCE_CANCELLED,	/* nobody waits for it any more */
};

/* One node's latest request, for status. */
struct fence_status {
	u32 nodeid;
	u32 state;			/* enum fence_state */
	struct timespec requested;	/* wall clock of the request */
	struct timespec after;		/* fencings from here on count */
	struct timespec fenced;		/* CONFIRMED: when it was fenced */
	u32 attempts;			/* failed attempts */
	u32 kicks;			/* fencings asked of the service */
	u32 retry_in_ms;		/* FAILED: until the next attempt */
	char why[FENCE_WHY_MAX];	/* FAILED: the last failure */
};

/* What the worker found, for the event loop (fencer_pop()). */
struct fence_event {
	u32 nodeid;
	u32 state;		/* FENCE_CONFIRMED or FENCE_FAILED */
	struct timespec fenced;	/* CONFIRMED */
	u32 attempts;		/* FAILED: failed attempts so far */
	u32 retry_in_ms;	/* FAILED */
	char why[FENCE_WHY_MAX];
};

struct fencer;

/* Start the worker. @ops is copied; @t NULL for the defaults. NULL on
 * error (errno set). */
struct fencer *fencer_new(const struct fence_ops *ops,
			  const struct fence_timing *t);
/*
 * Stop: no event is produced from now on. A call in progress cannot be
 * interrupted: the worker is then left to finish it alone and to free
 * what remains (and call ops->release()); fencer_free() never waits for
 * the service.
 */
void fencer_free(struct fencer *f);

/* Readable when events wait (fencer_pop()). */
int fencer_fd(const struct fencer *f);

/*
 * Have @nodeid fenced; fencings completed at or after @after count (NULL:
 * now, the time of the request). A pending request for the node gets the
 * later of the two times and starts over; so does a finished one. 0,
 * -EINVAL for node 0, -ENOSPC when FENCE_MAX_REQ other nodes have pending
 * requests.
 */
int fencer_request(struct fencer *f, u32 nodeid, const struct timespec *after);

/* Stop working on @nodeid's request (state CANCELLED); an outcome not yet
 * popped is dropped. 0, or -ENOENT when none is pending. */
int fencer_cancel(struct fencer *f, u32 nodeid);

/* Pending requests (REQUESTED or FAILED). */
u32 fencer_pending(struct fencer *f, u32 *nodeids, u32 max);

/* The next event, true; false when none is left. */
bool fencer_pop(struct fencer *f, struct fence_event *ev);

/* Up to @max requests, oldest first; returns how many. */
u32 fencer_status(struct fencer *f, struct fence_status *st, u32 max);

const char *fence_state_name(u32 state);

#endif /* DDRAIDD_FENCE_H */
