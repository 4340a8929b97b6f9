// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operator events (lib/events.c): the events derived from two views, in
 * their order, and their stable JSON and text forms; and the state
 * machine's view (cpg-daemon/sm_events.c) of a fresh state machine.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "sm.h"
#include "sm_events.h"

static struct ddraid_event ev[DDRAID_EV_MAX];

/* The names of the events from @a to @b, space-separated. */
static const char *derive(const struct ddraid_ev_view *a,
			  const struct ddraid_ev_view *b)
{
	static char buf[1024];
	unsigned int i, n = ddraid_ev_derive(a, b, ev);

	buf[0] = 0;
	for (i = 0; i < n; i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, ddraid_event_name(ev[i].type));
	}
	return buf;
}

static void node(struct ddraid_ev_view *v, unsigned int s, u32 id, bool in)
{
	v->node[s] = (struct ddraid_ev_node){ .nodeid = id, .in_view = in };
}

static void test_nothing_changed(void **state)
{
	struct ddraid_ev_view a;

	(void)state;
	ddraid_ev_view_healthy(&a, 3);
	node(&a, 0, 1, true);
	assert_string_equal(derive(&a, &a), "");
}

/* The netns test's sequence: fail, rebuild, active. */
static void test_fail_and_rebuild(void **state)
{
	struct ddraid_ev_view h, f, r1, r2, done;

	(void)state;
	ddraid_ev_view_healthy(&h, 3);
	node(&h, 0, 1, true);
	node(&h, 1, 2, true);
	h.host[1] = 2;
	f = h;
	f.state[1] = DDRAID_MEMBER_FAILED;
	f.failed_events[1] = 7;
	assert_string_equal(derive(&h, &f), "member-failed volume-degraded");
	assert_int_equal(ev[0].member, 1);
	assert_int_equal(ev[0].a, 7);
	assert_int_equal(ev[0].node, 2);
	assert_string_equal(ev[0].reason, "error");
	assert_int_equal(ev[1].member, 1);

	r1 = f;
	r1.state[1] = DDRAID_MEMBER_REBUILDING;
	r1.rebuilding = true;
	r1.rebuild_member = 1;
	r1.rebuild_total = 128;
	assert_string_equal(derive(&f, &r1), "rebuild-start member-rebuilding");
	assert_int_equal(ev[0].member, 1);
	r2 = r1;
	r2.rebuild_done = 100;
	assert_string_equal(derive(&r1, &r2), "");

	done = h;
	done.state[1] = DDRAID_MEMBER_ACTIVE;
	assert_string_equal(derive(&r2, &done),
			    "rebuild-end member-active volume-healthy");
	/* Finished: all of it done. */
	assert_int_equal(ev[0].a, 128);
	assert_int_equal(ev[0].b, 128);
	assert_string_equal(ev[0].reason, "done");

	/* Called off: the progress it had, and the member stays failed. */
	assert_string_equal(derive(&r2, &f), "rebuild-end member-failed");
	assert_int_equal(ev[0].a, 100);
	assert_string_equal(ev[0].reason, "aborted");
}

static void test_host_left_and_nodes(void **state)
{
	struct ddraid_ev_view a, b, c;

	(void)state;
	ddraid_ev_view_healthy(&a, 3);
	node(&a, 0, 1, true);
	node(&a, 1, 2, true);
	a.host[2] = 2;
	b = a;
	b.node[1].in_view = false;
	b.node[1].fencing = true;
	b.state[2] = DDRAID_MEMBER_FAILED;
	assert_string_equal(derive(&a, &b),
			    "node-left member-failed volume-degraded");
	assert_int_equal(ev[0].node, 2);
	assert_string_equal(ev[0].reason, "node-down");
	assert_string_equal(ev[1].reason, "host-left");
	/* A host that stops cleanly is still in the view, detached. */
	c = a;
	c.node[1].detached = true;
	c.state[2] = DDRAID_MEMBER_FAILED;
	assert_string_equal(derive(&a, &c), "member-failed volume-degraded");
	assert_string_equal(ev[0].reason, "host-left");
	c = b;
	c.node[1].fencing = false;
	assert_string_equal(derive(&b, &c), "node-fenced");
	c.node[2] = (struct ddraid_ev_node){ .nodeid = 3, .in_view = true };
	c.node[1].in_view = true;
	assert_string_equal(derive(&b, &c), "node-joined node-joined");
}

static void test_paths_resync_scrub(void **state)
{
	struct ddraid_ev_view a, b;

	(void)state;
	ddraid_ev_view_healthy(&a, 5);
	node(&a, 0, 1, true);
	node(&a, 3, 4, true);
	b = a;
	b.node[3].path_bad = 1u << 2 | 1u << 4;
	b.dirty = 9;
	assert_string_equal(derive(&a, &b),
			    "path-down path-down resync-start");
	assert_int_equal(ev[0].member, 2);
	assert_int_equal(ev[0].node, 4);
	assert_int_equal(ev[1].member, 4);
	assert_int_equal(ev[2].a, 9);
	assert_string_equal(derive(&b, &a), "path-up path-up resync-end");

	b = a;
	b.scrubbing = true;
	b.scrub_total = 100;
	b.scrub_done = 10;
	b.scrub_mismatches = 2;
	assert_string_equal(derive(&a, &b), "scrub-start scrub-mismatch");
	assert_int_equal(ev[1].a, 2);
	a = b;
	b.scrub_done = 100;
	b.scrub_mismatches = 3;
	b.scrubbing = false;
	b.scrub_end_name = "finished";
	/* What the last step found comes before the end. */
	assert_string_equal(derive(&a, &b), "scrub-mismatch scrub-end");
	assert_int_equal(ev[0].a, 1);
	assert_int_equal(ev[0].b, 3);
	assert_int_equal(ev[1].c, 3);
	assert_string_equal(ev[1].reason, "finished");
}

static void test_failed_and_quorum(void **state)
{
	struct ddraid_ev_view a, b, gone;

	(void)state;
	ddraid_ev_view_healthy(&a, 3);
	b = a;
	b.state[0] = DDRAID_MEMBER_FAILED;
	b.state[2] = DDRAID_MEMBER_FAILED;
	assert_string_equal(derive(&a, &b),
			    "member-failed member-failed volume-failed");
	assert_int_equal(ev[2].a, 2);
	/* Without state: only quorum news. */
	memset(&gone, 0, sizeof(gone));
	assert_string_equal(derive(&a, &gone), "quorum-lost");
	assert_string_equal(derive(&gone, &gone), "");
	/* An unknown old view is a healthy one: the problems now. */
	gone.quorate = true;
	assert_string_equal(derive(&gone, &b),
			    "member-failed member-failed volume-failed");
}

static void test_forms(void **state)
{
	struct ddraid_event e = {
		.type = DDRAID_EV_MEMBER_FAILED, .member = 1, .node = 2,
		.a = 7, .reason = "error",
	};
	struct timespec ts = { .tv_sec = 1796551200, .tv_nsec = 123456789 };
	json_object *o;
	char line[256];
	int n;

	(void)state;
	o = ddraid_event_json(&e, "vol0", &ts);
	assert_true(ddraid_event_json_is_problem(o));
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"version\":1,\"time\":\"2026-12-06T10:00:00.123Z\","
			    "\"volume\":\"vol0\",\"event\":\"member-failed\","
			    "\"member\":1,\"node\":2,\"events\":7,\"reason\":\"error\"}");
	n = ddraid_event_text(o, line, sizeof(line));
	assert_string_equal(line, "2026-12-06T10:00:00.123Z vol0 member-failed "
			    "member=1 node=2 events=7 reason=error");
	assert_int_equal(n, (int)strlen(line));
	ddraid_event_details(o, line, sizeof(line));
	assert_string_equal(line, "member=1 node=2 events=7 reason=error");
	/* Too small a buffer: cut, terminated, the length it needed. */
	n = ddraid_event_text(o, line, 10);
	assert_int_equal(strlen(line), 9);
	assert_true(n > 60);
	json_object_put(o);

	e = (struct ddraid_event){ .type = DDRAID_EV_VOLUME_HEALTHY,
				   .member = DDRAID_EV_NONE };
	o = ddraid_event_json(&e, "v", &ts);
	assert_false(ddraid_event_json_is_problem(o));
	ddraid_event_text(o, line, sizeof(line));
	assert_string_equal(line, "2026-12-06T10:00:00.123Z v volume-healthy");
	json_object_put(o);
	assert_string_equal(ddraid_event_name(0), "unknown");
	assert_string_equal(ddraid_event_name(DDRAID_EV_TYPES), "unknown");
	assert_true(ddraid_event_is_problem(DDRAID_EV_PATH_DOWN));
	assert_false(ddraid_event_is_problem(DDRAID_EV_PATH_UP));
}

/* Rates set cluster-wide: one "tuned" after the rest, with every key. */
static void test_tuned(void **state)
{
	struct ddraid_ev_view a, b, gone;
	struct timespec ts = { .tv_sec = 1796551200 };
	json_object *o;
	char line[256];

	(void)state;
	ddraid_ev_view_healthy(&a, 3);
	b = a;
	b.tune_set = 1u << DDRAID_RATE_SCRUB_MAX;
	b.tune[DDRAID_RATE_SCRUB_MAX] = 500000;
	b.state[1] = DDRAID_MEMBER_FAILED;
	assert_string_equal(derive(&a, &b),
			    "member-failed volume-degraded tuned");
	o = ddraid_event_json(&ev[2], "vol0", &ts);
	assert_false(ddraid_event_json_is_problem(o));
	ddraid_event_details(o, line, sizeof(line));
	assert_string_equal(line, "rebuild-rate=node scrub-rate=500000 "
			    "sync-speed-min=node");
	json_object_put(o);
	/* a value set to what it was: no news; a value back to the node's */
	assert_string_equal(derive(&b, &b), "");
	a = b;
	a.tune_set = 0;
	a.tune[DDRAID_RATE_SCRUB_MAX] = 0;
	assert_string_equal(derive(&b, &a), "tuned");
	/* a first view (no old one) reports no tuning */
	memset(&gone, 0, sizeof(gone));
	gone.quorate = true;
	b.state[1] = DDRAID_MEMBER_ACTIVE;
	assert_string_equal(derive(&gone, &b), "");
}

/* Every type has a name, and none is "unknown" twice. */
static void test_names(void **state)
{
	u32 t, u;

	(void)state;
	for (t = 1; t < DDRAID_EV_TYPES; t++) {
		assert_string_not_equal(ddraid_event_name(t), "unknown");
		for (u = 1; u < t; u++)
			assert_string_not_equal(ddraid_event_name(t),
						ddraid_event_name(u));
	}
}

/* A state machine without state gives an invalid view: no events. */
static void test_sm_view(void **state)
{
	struct sm_config cfg = {
		.nodeid = 1, .members = 3, .regions = 16, .region_size = 65536,
		.fence_delay = 1000, .progress_every = 4,
	};
	struct ddraid_ev_view v, old = { .quorate = false };
	const char *why = NULL;
	struct sm *sm = sm_new(&cfg, &why);

	(void)state;
	assert_non_null(sm);
	sm_ev_view(sm, &v);
	assert_false(v.valid);
	assert_int_equal(v.members, 3);
	assert_string_equal(derive(&old, &v), "");
	sm_free(sm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_changed),
		cmocka_unit_test(test_fail_and_rebuild),
		cmocka_unit_test(test_host_left_and_nodes),
		cmocka_unit_test(test_paths_resync_scrub),
		cmocka_unit_test(test_failed_and_quorum),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_tuned),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sm_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
