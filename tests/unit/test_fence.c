// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's fencer (cpg-daemon/fence.c) against a scripted fake fencing
 * service: which fencings confirm a request, what the service is asked
 * and when (retries with backoff), that no request is confirmed twice or
 * by a stale outcome, and that stopping the fencer never waits for the
 * service. Every wait is on a condition with a deadline.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fence.h"

#define MAXCALLS	64

enum { CALL_LAST = 1, CALL_KICK };

struct call {
	int type;
	u32 nodeid;
	unsigned int timeout_s;
	u64 at_ms;		/* CLOCK_MONOTONIC */
};

/*
 * The fake service. The record (last fencing per node) is set by the
 * test or by a successful kick (to the time of the kick); kick results
 * come from a script; a closed gate holds every kick until opened.
 */
struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct call calls[MAXCALLS];
	int n_calls;
	struct timespec record[8];	/* by node id */
	int last_result;		/* last_fenced(): 0 or < 0 */
	int kick_results[16];		/* popped in order; then 0 */
	int n_kick_results, next_kick;
	bool kick_records;		/* a successful kick sets the record */
	bool gate_closed;
	bool in_kick;
	int released;
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void log_call(struct fake *k, int type, u32 nodeid, unsigned int to)
{
	if (k->n_calls < MAXCALLS)
		k->calls[k->n_calls++] = (struct call){
			.type = type, .nodeid = nodeid, .timeout_s = to,
			.at_ms = now_ms(),
		};
	pthread_cond_broadcast(&k->cond);
}

static int fake_last(void *ctx, u32 nodeid, struct timespec *when, char *why,
		     size_t len)
{
	struct fake *k = ctx;
	int r;

	pthread_mutex_lock(&k->lock);
	log_call(k, CALL_LAST, nodeid, 0);
	r = k->last_result;
	if (r)
		snprintf(why, len, "fake: record unreadable");
	else
		*when = k->record[nodeid % 8];
	pthread_mutex_unlock(&k->lock);
	return r;
}

static int fake_kick(void *ctx, u32 nodeid, unsigned int timeout_s,
		     char *why, size_t len)
{
	struct fake *k = ctx;
	int r = 0;

	pthread_mutex_lock(&k->lock);
	log_call(k, CALL_KICK, nodeid, timeout_s);
	k->in_kick = true;
	pthread_cond_broadcast(&k->cond);
	while (k->gate_closed)
		pthread_cond_wait(&k->cond, &k->lock);
	k->in_kick = false;
	if (k->next_kick < k->n_kick_results)
		r = k->kick_results[k->next_kick++];
	if (r)
		snprintf(why, len, "fake: no device can fence node %u", nodeid);
	else if (k->kick_records)
		clock_gettime(CLOCK_REALTIME, &k->record[nodeid % 8]);
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	return r;
}

static void fake_release(void *ctx)
{
	struct fake *k = ctx;

	pthread_mutex_lock(&k->lock);
	k->released++;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

static struct fake *fake_new(void)
{
	struct fake *k = calloc(1, sizeof(*k));
	pthread_condattr_t ca;

	assert_non_null(k);
	pthread_mutex_init(&k->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->cond, &ca);
	pthread_condattr_destroy(&ca);
	k->kick_records = true;
	return k;
}

static void fake_free(struct fake *k)
{
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

static struct fencer *start(struct fake *k, unsigned int first_ms,
			    unsigned int max_ms)
{
	struct fence_ops ops = {
		.last_fenced = fake_last, .kick = fake_kick,
		.release = fake_release, .ctx = k,
	};
	struct fence_timing t = { first_ms, max_ms, 77 };
	struct fencer *f = fencer_new(&ops, &t);

	assert_non_null(f);
	return f;
}

/* Wait (with the fake's lock held) until @pred or @ms pass. */
static bool fake_wait(struct fake *k, bool (*pred)(struct fake *, int),
		      int arg, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (!pred(k, arg))
		if (pthread_cond_timedwait(&k->cond, &k->lock, &ts) ==
		    ETIMEDOUT)
			return pred(k, arg);
	return true;
}

static bool in_kick(struct fake *k, int unused)
{
	return k->in_kick;
}

static bool released(struct fake *k, int n)
{
	return k->released >= n;
}

static int count(struct fake *k, int type, u32 nodeid)
{
	int i, n = 0;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->n_calls; i++)
		n += k->calls[i].type == type && k->calls[i].nodeid == nodeid;
	pthread_mutex_unlock(&k->lock);
	return n;
}

/* The next event within @ms: true and *ev. */
static bool next_event(struct fencer *f, struct fence_event *ev,
		       unsigned int ms)
{
	u64 end = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = fencer_fd(f), .events = POLLIN };
		u64 now;

		if (fencer_pop(f, ev))
			return true;
		now = now_ms();
		if (now >= end)
			return false;
		poll(&p, 1, (int)(end - now));
	}
}

static struct timespec rt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static struct timespec ts_add_ms(struct timespec t, long ms)
{
	long long ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec +
		(long long)ms * 1000000LL;

	t.tv_sec = (time_t)(ns / 1000000000LL);
	t.tv_nsec = (long)(ns % 1000000000LL);
	return t;
}

static const struct fence_status *status_of(struct fencer *f, u32 nodeid,
					    struct fence_status *buf)
{
	struct fence_status st[FENCE_MAX_REQ];
	u32 n = fencer_status(f, st, FENCE_MAX_REQ), i;

	for (i = 0; i < n; i++)
		if (st[i].nodeid == nodeid) {
			*buf = st[i];
			return buf;
		}
	return NULL;
}

/* Pacemaker fenced the node on its own after it left: confirmed from the
 * record, and the node is not fenced a second time. */
static void test_later_fencing_confirms_without_kick(void **state)
{
	struct fake *k = fake_new();
	struct timespec left = ts_add_ms(rt_now(), -5000);
	struct fencer *f;
	struct fence_event ev;
	struct fence_status st;

	k->record[3] = ts_add_ms(left, 1500);
	f = start(k, 20, 100);
	assert_int_equal(fencer_request(f, 3, &left), 0);
	assert_true(next_event(f, &ev, 5000));
	assert_int_equal(ev.nodeid, 3);
	assert_int_equal(ev.state, FENCE_CONFIRMED);
	assert_int_equal(ev.fenced.tv_sec, k->record[3].tv_sec);
	assert_int_equal(ev.fenced.tv_nsec, k->record[3].tv_nsec);
	assert_int_equal(count(k, CALL_KICK, 3), 0);
	assert_non_null(status_of(f, 3, &st));
	assert_int_equal(st.state, FENCE_CONFIRMED);
	assert_int_equal(st.kicks, 0);
	assert_int_equal(st.after.tv_sec, left.tv_sec);
	fencer_free(f);
	assert_int_equal(k->released, 1);
	fake_free(k);
}

/*
 * A fencing older than the departure is an earlier life of the node: the
 * fencer asks for a new one, and the confirmation carries the new one's
 * time, not the old.
 */
static void test_older_fencing_is_not_a_confirmation(void **state)
{
	struct fake *k = fake_new();
	struct timespec left = ts_add_ms(rt_now(), -2000);
	struct timespec old = ts_add_ms(left, -1);	/* 1 ms before */
	struct fencer *f;
	struct fence_event ev;

	k->record[4] = old;
	f = start(k, 20, 100);
	assert_int_equal(fencer_request(f, 4, &left), 0);
	assert_true(next_event(f, &ev, 5000));
	assert_int_equal(ev.state, FENCE_CONFIRMED);
	assert_int_equal(count(k, CALL_KICK, 4), 1);
	/* last, kick, last: the kick's own fencing confirmed it. */
	assert_int_equal(count(k, CALL_LAST, 4), 2);
	pthread_mutex_lock(&k->lock);
	assert_int_equal(k->calls[1].type, CALL_KICK);
	assert_int_equal(k->calls[1].timeout_s, 77);
	pthread_mutex_unlock(&k->lock);
	assert_true(ev.fenced.tv_sec > old.tv_sec ||
		    (ev.fenced.tv_sec == old.tv_sec &&
		     ev.fenced.tv_nsec > old.tv_nsec));
	assert_true(ev.fenced.tv_sec >= left.tv_sec);
	fencer_free(f);
	fake_free(k);
}

/* With no departure time the request's own time is the bound: a fencing
 * a second before the request does not count. A kick the service calls
 * done but does not record is no confirmation either. */
static void test_request_time_bounds_and_record_rules(void **state)
{
	struct fake *k = fake_new();
	struct timespec before = rt_now(), tomorrow;
	struct fencer *f;
	struct fence_event ev;
	struct fence_status st;

	k->record[5] = ts_add_ms(before, -1000);
	k->kick_records = false;	/* "done", but no record */
	f = start(k, 20, 40);
	assert_int_equal(fencer_request(f, 5, NULL), 0);
	assert_true(next_event(f, &ev, 5000));
	assert_int_equal(ev.state, FENCE_FAILED);
	assert_int_equal(ev.attempts, 1);
	assert_non_null(strstr(ev.why, "records no fencing"));
	assert_non_null(status_of(f, 5, &st));
	assert_true(st.after.tv_sec >= before.tv_sec);
	assert_int_equal(st.state, FENCE_FAILED);
	assert_string_equal(st.why, ev.why);
	/* Now the record shows the fencing: confirmed on the retry. */
	pthread_mutex_lock(&k->lock);
	k->kick_records = true;
	pthread_mutex_unlock(&k->lock);
	do {
		assert_true(next_event(f, &ev, 5000));
	} while (ev.state == FENCE_FAILED);
	assert_int_equal(ev.state, FENCE_CONFIRMED);

	/* A departure "tomorrow" is no departure: the request's time. */
	tomorrow = ts_add_ms(rt_now(), 86400000);
	assert_int_equal(fencer_request(f, 6, &tomorrow), 0);
	assert_non_null(status_of(f, 6, &st));
	assert_true(st.after.tv_sec < tomorrow.tv_sec - 3600);
	fencer_free(f);
	fake_free(k);
}

/* Failed kicks are retried after 40, 80, then 100 ms (doubling, capped),
 * each failure reported once; then one confirmation. */
static void test_kick_retried_with_backoff(void **state)
{
	struct fake *k = fake_new();
	struct timespec left = ts_add_ms(rt_now(), -10);
	struct fencer *f;
	struct fence_event ev;
	u64 kicks[8];
	int i, n = 0, fails = 0;
	const u64 gap[] = { 40, 80, 100 };

	k->kick_results[0] = -ENODEV;
	k->kick_results[1] = -ENODEV;
	k->kick_results[2] = -ETIMEDOUT;
	k->n_kick_results = 3;
	f = start(k, 40, 100);
	assert_int_equal(fencer_request(f, 2, &left), 0);
	for (;;) {
		assert_true(next_event(f, &ev, 5000));
		if (ev.state != FENCE_FAILED)
			break;
		fails++;
		assert_int_equal(ev.nodeid, 2);
		assert_int_equal(ev.attempts, fails);
		assert_non_null(strstr(ev.why, "no device can fence node 2"));
		assert_true(ev.retry_in_ms <= gap[fails - 1]);
	}
	assert_int_equal(fails, 3);
	assert_int_equal(ev.state, FENCE_CONFIRMED);
	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->n_calls; i++)
		if (k->calls[i].type == CALL_KICK)
			kicks[n++] = k->calls[i].at_ms;
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(n, 4);
	for (i = 1; i < n; i++) {
		print_message("# kick %d after %llu ms (backoff %llu)\n", i + 1,
			      (unsigned long long)(kicks[i] - kicks[i - 1]),
			      (unsigned long long)gap[i - 1]);
		assert_true(kicks[i] - kicks[i - 1] >= gap[i - 1]);
	}
	assert_false(next_event(f, &ev, 0));
	fencer_free(f);
	fake_free(k);
}

/*
 * Asked again while a kick is under way: one confirmation, not two. A
 * cancelled request's outcome is never fed. A confirmed request is not
 * worked on again.
 */
static void test_nothing_fed_twice(void **state)
{
	struct fake *k = fake_new();
	struct timespec left = ts_add_ms(rt_now(), -10);
	struct fencer *f;
	struct fence_event ev;
	struct fence_status st;
	int calls3;

	f = start(k, 20, 100);
	pthread_mutex_lock(&k->lock);
	k->gate_closed = true;
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(fencer_request(f, 3, &left), 0);
	pthread_mutex_lock(&k->lock);
	assert_true(fake_wait(k, in_kick, 0, 5000));
	pthread_mutex_unlock(&k->lock);
	/* The state machine asks again (a new coordinator, say). */
	assert_int_equal(fencer_request(f, 3, &left), 0);
	pthread_mutex_lock(&k->lock);
	k->gate_closed = false;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	assert_true(next_event(f, &ev, 5000));
	assert_int_equal(ev.nodeid, 3);
	assert_int_equal(ev.state, FENCE_CONFIRMED);
	/* The kick's outcome was stale: the record confirmed it, without a
	 * second kick. */
	assert_int_equal(count(k, CALL_KICK, 3), 1);

	/* Cancelled under a kick: that kick's outcome is dropped. */
	pthread_mutex_lock(&k->lock);
	k->gate_closed = true;
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(fencer_request(f, 4, &left), 0);
	pthread_mutex_lock(&k->lock);
	assert_true(fake_wait(k, in_kick, 0, 5000));
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(fencer_cancel(f, 4), 0);
	assert_int_equal(fencer_cancel(f, 4), -ENOENT);
	pthread_mutex_lock(&k->lock);
	k->gate_closed = false;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	/* One worker, in order: once 5 is confirmed, 4's outcome is in. */
	calls3 = count(k, CALL_LAST, 3) + count(k, CALL_KICK, 3);
	pthread_mutex_lock(&k->lock);
	k->record[5] = ts_add_ms(left, 1);
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(fencer_request(f, 5, &left), 0);
	assert_true(next_event(f, &ev, 5000));
	assert_int_equal(ev.nodeid, 5);
	assert_int_equal(ev.state, FENCE_CONFIRMED);
	assert_false(next_event(f, &ev, 0));
	assert_non_null(status_of(f, 4, &st));
	assert_int_equal(st.state, FENCE_CANCELLED);
	assert_non_null(status_of(f, 3, &st));
	assert_int_equal(st.state, FENCE_CONFIRMED);
	assert_int_equal(count(k, CALL_LAST, 3) + count(k, CALL_KICK, 3),
			 calls3);
	assert_int_equal(fencer_cancel(f, 3), -ENOENT);	/* finished */
	fencer_free(f);
	fake_free(k);
}

/* fencer_free() while a kick blocks: it returns at once; the worker
 * finishes the call alone, feeds nothing and releases the service. */
static void test_shutdown_during_kick(void **state)
{
	struct fake *k = fake_new();
	struct fencer *f;
	u64 t0;

	f = start(k, 20, 100);
	pthread_mutex_lock(&k->lock);
	k->gate_closed = true;
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(fencer_request(f, 3, NULL), 0);
	pthread_mutex_lock(&k->lock);
	assert_true(fake_wait(k, in_kick, 0, 5000));
	pthread_mutex_unlock(&k->lock);
	t0 = now_ms();
	fencer_free(f);
	assert_true(now_ms() - t0 < 1000);
	pthread_mutex_lock(&k->lock);
	assert_int_equal(k->released, 0);	/* still in its call */
	k->gate_closed = false;
	pthread_cond_broadcast(&k->cond);
	assert_true(fake_wait(k, released, 1, 5000));
	assert_int_equal(k->released, 1);
	/* No call after the one in progress. */
	assert_int_equal(k->calls[k->n_calls - 1].type, CALL_KICK);
	pthread_mutex_unlock(&k->lock);
	fake_free(k);
}

/* fencer_free() while a failed request waits out its backoff: prompt. */
static void test_shutdown_during_backoff(void **state)
{
	struct fake *k = fake_new();
	struct fencer *f;
	struct fence_event ev;
	u64 t0;

	k->kick_results[0] = -ENODEV;
	k->n_kick_results = 1;
	f = start(k, 60000, 60000);
	assert_int_equal(fencer_request(f, 2, NULL), 0);
	assert_true(next_event(f, &ev, 5000));
	assert_int_equal(ev.state, FENCE_FAILED);
	t0 = now_ms();
	fencer_free(f);
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(k->released, 1);
	assert_int_equal(count(k, CALL_KICK, 2), 1);
	fake_free(k);
}

/* Bad requests are refused and change nothing. */
static void test_bad_requests(void **state)
{
	struct fake *k = fake_new();
	struct fencer *f;
	struct fence_status st[FENCE_MAX_REQ];
	struct fence_ops none = { 0 };
	u32 i, ids[FENCE_MAX_REQ];

	assert_null(fencer_new(&none, NULL));
	f = start(k, 60000, 60000);
	pthread_mutex_lock(&k->lock);
	k->gate_closed = true;		/* everything stays pending */
	pthread_mutex_unlock(&k->lock);
	assert_int_equal(fencer_request(f, 0, NULL), -EINVAL);
	assert_int_equal(fencer_status(f, st, FENCE_MAX_REQ), 0);
	assert_int_equal(fencer_cancel(f, 9), -ENOENT);
	for (i = 1; i <= FENCE_MAX_REQ; i++)
		assert_int_equal(fencer_request(f, i, NULL), 0);
	assert_int_equal(fencer_request(f, 100, NULL), -ENOSPC);
	assert_int_equal(fencer_pending(f, ids, FENCE_MAX_REQ), FENCE_MAX_REQ);
	assert_int_equal(fencer_status(f, st, FENCE_MAX_REQ), FENCE_MAX_REQ);
	for (i = 0; i < FENCE_MAX_REQ; i++)	/* oldest first */
		assert_int_equal(st[i].nodeid, i + 1);
	/* A finished request makes room. */
	assert_int_equal(fencer_cancel(f, 7), 0);
	assert_int_equal(fencer_request(f, 100, NULL), 0);
	assert_int_equal(fencer_pending(f, ids, FENCE_MAX_REQ), FENCE_MAX_REQ);
	pthread_mutex_lock(&k->lock);
	k->gate_closed = false;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	fencer_free(f);
	pthread_mutex_lock(&k->lock);
	assert_true(fake_wait(k, released, 1, 5000));
	pthread_mutex_unlock(&k->lock);
	fake_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_later_fencing_confirms_without_kick),
		cmocka_unit_test(test_older_fencing_is_not_a_confirmation),
		cmocka_unit_test(test_request_time_bounds_and_record_rules),
		cmocka_unit_test(test_kick_retried_with_backoff),
		cmocka_unit_test(test_nothing_fed_twice),
		cmocka_unit_test(test_shutdown_during_kick),
		cmocka_unit_test(test_shutdown_during_backoff),
		cmocka_unit_test(test_bad_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
