// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's fencer (fence.h): one worker thread working through fencing
 * requests against a fencing service (struct fence_ops).
 *
 * Every request has a generation, bumped whenever it is asked again or
 * cancelled. The worker makes its blocking calls without the lock and
 * applies an outcome only if the request's generation is still the one it
 * started with; events carry the generation too, and fencer_pop() drops the
 * stale ones. So an outcome that raced a newer request is never fed, and a
 * request is confirmed at most once.
 *
 * The worker never logs: the event loop logs what fencer_pop() returns.
 * That keeps the worker free of the daemon's logging, which may be gone
 * when a worker left inside a call by fencer_free() finishes.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fence.h"

struct req {
	u32 nodeid;
	u32 state;		/* enum fence_state; 0: slot unused */
	u64 gen;
	u64 seq;		/* creation order, for status */
	u64 next_at;		/* CLOCK_MONOTONIC ms of the next attempt */
	struct timespec requested, after, fenced;
	u32 attempts, kicks;
	char why[FENCE_WHY_MAX];
};

struct ev_item {
	struct ev_item *next;
	u64 gen;
	struct fence_event ev;
};

struct fencer {
	struct fence_ops ops;
	struct fence_timing t;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* on CLOCK_MONOTONIC */
	struct req req[FENCE_MAX_REQ];
	u64 seq;
	struct ev_item *ev_head, **ev_tail;
	int efd;
	bool stop;
	bool in_call;		/* the worker is inside an ops call */
	bool orphaned;		/* ... and fencer_free() left it to free us */
};

static u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
		(a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static bool ts_zero(const struct timespec *a)
{
	return !a->tv_sec && !a->tv_nsec;
}

static bool pending(const struct req *r)
{
	return r->state == FENCE_REQUESTED || r->state == FENCE_FAILED;
}

static struct req *find(struct fencer *f, u32 nodeid)
{
	u32 i;

	for (i = 0; i < FENCE_MAX_REQ; i++)
		if (f->req[i].state && f->req[i].nodeid == nodeid)
			return &f->req[i];
	return NULL;
}

const char *fence_state_name(u32 state)
{
	switch (state) {
	case FENCE_REQUESTED: return "requested";
	case FENCE_FAILED: return "failed";
	case FENCE_CONFIRMED: return "confirmed";
	case FENCE_CANCELLED: return "cancelled";
	default: return "none";
	}
}

static unsigned int backoff_ms(const struct fencer *f, u32 attempts)
{
	u64 d = f->t.retry_first_ms;
	u32 i;

	for (i = 1; i < attempts && d < f->t.retry_max_ms; i++)
		d *= 2;
	return (unsigned int)(d < f->t.retry_max_ms ? d : f->t.retry_max_ms);
}

/* Called with the lock held; @e is the caller's, now ours. */
static void push(struct fencer *f, struct ev_item *e, const struct req *r,
		 u32 state)
{
	u64 one = 1;

	e->gen = r->gen;
	e->ev.nodeid = r->nodeid;
	e->ev.state = state;
	e->ev.fenced = r->fenced;
	e->ev.attempts = r->attempts;
	if (state == FENCE_FAILED) {
		u64 now = mono_ms();

		e->ev.retry_in_ms = r->next_at > now ?
			(u32)(r->next_at - now) : 0;
	}
	memcpy(e->ev.why, r->why, sizeof(e->ev.why));
	*f->ev_tail = e;
	f->ev_tail = &e->next;
	if (write(f->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN only (the counter is huge): readable anyway. */
	}
}

static bool stopping(struct fencer *f)
{
	bool stop;

	pthread_mutex_lock(&f->lock);
	stop = f->stop;
	pthread_mutex_unlock(&f->lock);
	return stop;
}

/*
 * One attempt, without the lock: the service's record first, then a
 * fencing of our own. FENCE_CONFIRMED (*fenced set) or FENCE_FAILED (@why
 * set). *kicked says whether the service was asked to fence.
 */
static u32 attempt(struct fencer *f, u32 nodeid, const struct timespec *after,
		   struct timespec *fenced, bool *kicked, char *why, size_t len)
{
	struct timespec when = { 0, 0 };
	int r;

	why[0] = 0;
	r = f->ops.last_fenced(f->ops.ctx, nodeid, &when, why, len);
	if (!r && !ts_zero(&when) && !ts_before(&when, after)) {
		*fenced = when;
		return FENCE_CONFIRMED;
	}
	/*
	 * Not fenced since it left (or the record could not be read: the
	 * fencing request below then fails for the same reason, and says
	 * so). Ask for it.
	 */
	if (stopping(f))
		return FENCE_FAILED;	/* nobody waits for the outcome */
	*kicked = true;
	why[0] = 0;
	r = f->ops.kick(f->ops.ctx, nodeid, f->t.kick_timeout_s, why, len);
	if (r) {
		if (!why[0])
			snprintf(why, len, "fencing node %u failed (%d)",
				 nodeid, r);
		return FENCE_FAILED;
	}
	/*
	 * The service's word is its record: confirm what it shows, never
	 * a bare "done" (dlm_controld's dlm_stonith checks the same way).
	 */
	if (stopping(f))
		return FENCE_FAILED;
	when = (struct timespec){ 0, 0 };
	why[0] = 0;
	r = f->ops.last_fenced(f->ops.ctx, nodeid, &when, why, len);
	if (r) {
		if (!why[0])
			snprintf(why, len, "cannot read the fencing record (%d)",
				 r);
		return FENCE_FAILED;
	}
	if (ts_zero(&when) || ts_before(&when, after)) {
		snprintf(why, len,
			 "the fencer said node %u was fenced, but records no fencing of it since it left",
			 nodeid);
		return FENCE_FAILED;
	}
	*fenced = when;
	return FENCE_CONFIRMED;
}

/* The pending request due first; NULL with *wait_ms (0: none pending). */
static struct req *next_due(struct fencer *f, u64 *wait_ms)
{
	struct req *best = NULL;
	u64 now = mono_ms();
	u32 i;

	for (i = 0; i < FENCE_MAX_REQ; i++) {
		struct req *r = &f->req[i];

		if (!pending(r))
			continue;
		if (!best || r->next_at < best->next_at ||
		    (r->next_at == best->next_at && r->seq < best->seq))
			best = r;
	}
	*wait_ms = 0;
	if (best && best->next_at > now) {
		*wait_ms = best->next_at - now;
		return NULL;
	}
	return best;
}

static void wait_ms_locked(struct fencer *f, u64 ms)
{
	struct timespec ts;

	if (!ms) {
		pthread_cond_wait(&f->cond, &f->lock);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&f->cond, &f->lock, &ts);
}

static void destroy(struct fencer *f)
{
	while (f->ev_head) {
		struct ev_item *e = f->ev_head;

		f->ev_head = e->next;
		free(e);
	}
	close(f->efd);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	if (f->ops.release)
		f->ops.release(f->ops.ctx);
	free(f);
}

static void *worker(void *arg)
{
	struct fencer *f = arg;
	bool orphaned;

	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		char why[FENCE_WHY_MAX];
		struct timespec after, fenced = { 0, 0 };
		bool kicked = false;
		struct ev_item *e;
		struct req *r;
		u32 nodeid, out;
		u64 gen, wait;

		r = next_due(f, &wait);
		if (!r) {
			wait_ms_locked(f, wait);
			continue;
		}
		nodeid = r->nodeid;
		gen = r->gen;
		after = r->after;
		f->in_call = true;
		pthread_mutex_unlock(&f->lock);

		out = attempt(f, nodeid, &after, &fenced, &kicked, why,
			      sizeof(why));

		pthread_mutex_lock(&f->lock);
		f->in_call = false;
		if (f->stop)
			break;
		r = find(f, nodeid);
		if (!r || r->gen != gen || !pending(r))
			continue;	/* asked again or cancelled meanwhile */
		r->kicks += kicked;
		e = calloc(1, sizeof(*e));
		if (!e) {
			/* Lose no confirmation: try the whole thing again. */
			r->next_at = mono_ms() + f->t.retry_first_ms;
			continue;
		}
		if (out == FENCE_CONFIRMED) {
			r->state = FENCE_CONFIRMED;
			r->fenced = fenced;
			r->why[0] = 0;
		} else {
			r->state = FENCE_FAILED;
			r->attempts++;
			r->next_at = mono_ms() + backoff_ms(f, r->attempts);
			memcpy(r->why, why, sizeof(r->why));
		}
		push(f, e, r, out);
	}
	orphaned = f->orphaned;
	pthread_mutex_unlock(&f->lock);
	if (orphaned)
		destroy(f);
	return NULL;
}

struct fencer *fencer_new(const struct fence_ops *ops,
			  const struct fence_timing *t)
{
	static const struct fence_timing def = FENCE_TIMING_DEFAULT;
	struct fencer *f;
	pthread_condattr_t ca;
	int e;

	if (!ops || !ops->last_fenced || !ops->kick) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->ops = *ops;
	f->t = t ? *t : def;
	if (!f->t.retry_first_ms)
		f->t.retry_first_ms = 1;
	if (f->t.retry_max_ms < f->t.retry_first_ms)
		f->t.retry_max_ms = f->t.retry_first_ms;
	f->ev_tail = &f->ev_head;
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0) {
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	/* Backoff waits must not stretch or shrink when the wall clock
	 * is set. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&f->thread, NULL, worker, f);
	if (e) {
		f->ops.release = NULL;	/* the caller still owns ctx */
		destroy(f);
		errno = e;
		return NULL;
	}
	return f;
}

void fencer_free(struct fencer *f)
{
	pthread_t th;
	bool in_call;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	in_call = f->in_call;
	f->orphaned = in_call;
	th = f->thread;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	if (in_call) {
		/* It frees everything when the call returns: f is not ours
		 * any more. */
		pthread_detach(th);
		return;
	}
	pthread_join(th, NULL);
	destroy(f);
}

int fencer_fd(const struct fencer *f)
{
	return f->efd;
}

int fencer_request(struct fencer *f, u32 nodeid, const struct timespec *after)
{
	struct timespec now, a;
	struct req *r, *old = NULL;
	u32 i;

	if (!nodeid)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now);
	/* A time to come cannot be a departure: the request's own then. */
	a = after && ts_before(after, &now) ? *after : now;
	pthread_mutex_lock(&f->lock);
	r = find(f, nodeid);
	if (r && pending(r)) {
		/* Asked again: the later departure rules, start over. */
		if (ts_before(&r->after, &a))
			r->after = a;
		r->gen++;
		r->state = FENCE_REQUESTED;
		r->next_at = 0;
		goto out;
	}
	if (!r) {
		for (i = 0; i < FENCE_MAX_REQ && !r; i++)
			if (!f->req[i].state)
				r = &f->req[i];
		/* Else the oldest finished request makes room. */
		for (i = 0; i < FENCE_MAX_REQ && !r; i++)
			if (!pending(&f->req[i]) &&
			    (!old || f->req[i].seq < old->seq))
				old = &f->req[i];
		if (!r)
			r = old;
		if (!r) {
			pthread_mutex_unlock(&f->lock);
			return -ENOSPC;
		}
	}
	*r = (struct req){
		.nodeid = nodeid,
		.state = FENCE_REQUESTED,
		.gen = r->gen + 1,
		.seq = ++f->seq,
		.requested = now,
		.after = a,
	};
out:
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return 0;
}

int fencer_cancel(struct fencer *f, u32 nodeid)
{
	struct req *r;
	int ret = -ENOENT;

	pthread_mutex_lock(&f->lock);
	r = find(f, nodeid);
	if (r && pending(r)) {
		r->state = FENCE_CANCELLED;
		r->gen++;
		ret = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

u32 fencer_pending(struct fencer *f, u32 *nodeids, u32 max)
{
	u32 i, n = 0;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < FENCE_MAX_REQ; i++)
		if (pending(&f->req[i]) && n < max)
			nodeids[n++] = f->req[i].nodeid;
	pthread_mutex_unlock(&f->lock);
	return n;
}

bool fencer_pop(struct fencer *f, struct fence_event *ev)
{
	bool got = false;
	u64 v;

	pthread_mutex_lock(&f->lock);
	while (f->ev_head && !got) {
		struct ev_item *e = f->ev_head;
		struct req *r = find(f, e->ev.nodeid);

		f->ev_head = e->next;
		if (!f->ev_head)
			f->ev_tail = &f->ev_head;
		/* Only what still answers the node's current request. */
		if (r && r->gen == e->gen) {
			*ev = e->ev;
			got = true;
		}
		free(e);
	}
	if (!f->ev_head && read(f->efd, &v, sizeof(v)) < 0) {
		/* Already zero: nothing to reset. */
	}
	pthread_mutex_unlock(&f->lock);
	return got;
}

u32 fencer_status(struct fencer *f, struct fence_status *st, u32 max)
{
	const struct req *sorted[FENCE_MAX_REQ];
	u64 now = mono_ms();
	u32 i, j, n = 0;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < FENCE_MAX_REQ; i++) {
		const struct req *r = &f->req[i];

		if (!r->state)
			continue;
		/* Insertion by creation order: at most 32 entries. */
		for (j = n; j > 0 && sorted[j - 1]->seq > r->seq; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = r;
		n++;
	}
	if (n > max)
		n = max;
	for (i = 0; i < n; i++) {
		const struct req *r = sorted[i];

		st[i] = (struct fence_status){
			.nodeid = r->nodeid,
			.state = r->state,
			.requested = r->requested,
			.after = r->after,
			.fenced = r->fenced,
			.attempts = r->attempts,
			.kicks = r->kicks,
			.retry_in_ms = r->state == FENCE_FAILED &&
				r->next_at > now ? (u32)(r->next_at - now) : 0,
		};
		memcpy(st[i].why, r->why, sizeof(st[i].why));
	}
	pthread_mutex_unlock(&f->lock);
	return n;
}
