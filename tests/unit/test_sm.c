// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state machine's API on its own: a one-node cluster cold-started by
 * hand (confchg, quorum, NEED_STATE, READ_META, INIT), then bad input of
 * every kind, each refused with its errno and leaving the replicated state
 * byte for byte as it was; and a node joining a volume whose state needs
 * several STATE messages (the simulation's volumes are small) ends up with
 * the same state byte for byte. (Behaviour under faults: tests/sim.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sm.h"

static const struct sm_config cfg = {
	.nodeid = 1, .members = 3, .regions = 10,
	.region_size = 4 << 20, .fence_delay = 10, .progress_every = 1,
};

/* Deliver every CPG message in @fx to @sm (a one-node group). */
static void loop_back(struct sm *sm, struct sm_effects *fx, int *io_kind,
		      u64 *io_id)
{
	struct sm_effects copy;
	u32 i;

	for (;;) {
		u8 *bufs[64];
		long lens[64];
		u64 sb_done[16];
		u32 n = 0, nsb = 0;

		for (i = 0; i < fx->n; i++) {
			if (fx->fx[i].type == SM_FX_WRITE_SB && nsb < 16) {
				/* superblock writes succeed at once */
				sb_done[nsb++] = fx->fx[i].id;
			} else if (fx->fx[i].type == SM_FX_MEMBER_STATE) {
				continue;
			} else if (fx->fx[i].type == SM_FX_CPG_SEND) {
				lens[n] = (long)cpgmsg_size(&fx->fx[i].cpg);
				bufs[n] = malloc((size_t)lens[n]);
				assert_int_equal(cpgmsg_encode(&fx->fx[i].cpg,
					bufs[n], (size_t)lens[n], NULL),
					lens[n]);
				n++;
			} else if (fx->fx[i].type != SM_FX_LOG &&
				   fx->fx[i].type != SM_FX_TARGET_SEND) {
				*io_kind = (int)fx->fx[i].type;
				*io_id = fx->fx[i].id;
			}
		}
		sm_effects_reset(fx);
		for (i = 0; i < nsb; i++) {
			struct sm_event d = { .type = SM_EV_IO_DONE };

			d.io.id = sb_done[i];
			assert_int_equal(sm_handle(sm, &d, fx), 0);
		}
		if (!n && !nsb)
			return;
		sm_effects_init(&copy);
		for (i = 0; i < n; i++) {
			struct cpgmsg m;
			struct sm_event ev = { .type = SM_EV_CPG_MSG };

			assert_int_equal(cpgmsg_decode(bufs[i], (size_t)lens[i],
						       &m, NULL), 0);
			ev.msg = &m;
			assert_int_equal(sm_handle(sm, &ev, fx), 0);
			free(bufs[i]);
		}
		sm_effects_free(&copy);
	}
}

static struct sm *cold_started(struct sm_effects *fx)
{
	static const u32 members[] = { 1 };
	const char *why = NULL;
	struct sm *sm = sm_new(&cfg, &why);
	struct sm_event ev = { .type = SM_EV_CONFCHG };
	struct sm_meta meta;
	u8 dirty[2] = { 0x05, 0 };	/* regions 0 and 2 */
	int kind = 0;
	u64 id = 0;

	assert_non_null(sm);
	ev.confchg.members = members;
	ev.confchg.n_members = 1;
	ev.confchg.joined = members;
	ev.confchg.n_joined = 1;
	assert_int_equal(sm_handle(sm, &ev, fx), 0);
	ev.type = SM_EV_QUORUM;
	ev.quorum.quorate = true;
	assert_int_equal(sm_handle(sm, &ev, fx), 0);
	loop_back(sm, fx, &kind, &id);
	assert_int_equal(kind, SM_FX_READ_META);

	memset(&meta, 0, sizeof(meta));
	meta.events = 7;
	meta.member[0].state = meta.member[1].state = DDRAID_MEMBER_ACTIVE;
	meta.member[2].state = DDRAID_MEMBER_FAILED;
	meta.member[2].failed_events = 7;
	meta.slots[0] = 1;
	meta.dirty = dirty;
	meta.read = 0x7;	/* every member's superblock was read */
	memset(&ev, 0, sizeof(ev));
	ev.type = SM_EV_IO_DONE;
	ev.io.id = id;
	ev.io.meta = &meta;
	assert_int_equal(sm_handle(sm, &ev, fx), 0);
	loop_back(sm, fx, &kind, &id);
	return sm;
}

static void test_config_refused(void **state)
{
	struct sm_config c = cfg;
	const char *why = NULL;
	struct sm *ok;

	c.nodeid = 0;
	assert_null(sm_new(&c, &why));
	assert_non_null(why);
	c = cfg;
	c.members = 4;
	assert_null(sm_new(&c, &why));
	c = cfg;
	c.regions = 0;
	assert_null(sm_new(&c, &why));
	c = cfg;
	c.progress_every = 0;
	assert_null(sm_new(&c, &why));
	/* two_node: both halves quorate; only fencing may decide */
	c = cfg;
	c.two_node = true;
	assert_null(sm_new(&c, &why));
	c.require_fencing = true;
	ok = sm_new(&c, &why);
	assert_non_null(ok);
	sm_free(ok);
	c = cfg;
	c.hosting = true;
	c.host_member = 3;
	assert_null(sm_new(&c, &why));
}

static void test_cold_start(void **state)
{
	struct sm_effects fx;
	struct sm_status st;
	struct sm_region_info ri;
	struct sm *sm;

	sm_effects_init(&fx);
	sm = cold_started(&fx);
	sm_status(sm, &st);
	assert_true(st.has_state);
	assert_int_equal(st.coordinator, 1);
	assert_true(st.events == 7);
	assert_int_equal(st.member[2].state, DDRAID_MEMBER_FAILED);
	assert_true(st.dirty == 2);
	assert_int_equal(sm_region(sm, 2, &ri), 0);
	assert_true(ri.dirty);
	assert_int_equal(sm_region(sm, 1, &ri), 0);
	assert_false(ri.dirty);
	assert_int_equal(sm_region(sm, 10, &ri), -EINVAL);
	sm_free(sm);
	sm_effects_free(&fx);
}

static void test_bad_input_changes_nothing(void **state)
{
	struct sm_effects fx;
	struct sm_event ev = { .type = SM_EV_ADMIN };
	size_t len0, len1;
	u8 *before, *after;
	struct sm *sm;
	const char *why = NULL;
	struct sm *fresh = sm_new(&cfg, &why);

	/* Without state: everything waits. */
	sm_effects_init(&fx);
	ev.admin.cmd = SM_ADMIN_FAIL_MEMBER;
	assert_int_equal(sm_handle(fresh, &ev, &fx), -EAGAIN);
	assert_null(sm_rs_serialize(fresh, &len0));
	sm_free(fresh);

	sm = cold_started(&fx);
	before = sm_rs_serialize(sm, &len0);
	assert_non_null(before);

	ev.admin.cmd = SM_ADMIN_FAIL_MEMBER;
	ev.admin.member = 3;
	assert_int_equal(sm_handle(sm, &ev, &fx), -EINVAL);
	ev.admin.member = 2;		/* already failed */
	assert_int_equal(sm_handle(sm, &ev, &fx), -EALREADY);
	ev.admin.cmd = SM_ADMIN_REBUILD;
	ev.admin.member = 0;		/* active */
	ev.admin.mode = REBUILD_FULL;
	ev.admin.path = "/dev/x";
	assert_int_equal(sm_handle(sm, &ev, &fx), -EALREADY);
	ev.admin.member = 2;
	ev.admin.mode = 7;
	assert_int_equal(sm_handle(sm, &ev, &fx), -EINVAL);
	ev.admin.mode = REBUILD_FULL;
	ev.admin.path = "";
	assert_int_equal(sm_handle(sm, &ev, &fx), -EINVAL);
	ev.admin.cmd = SM_ADMIN_FENCED;
	ev.admin.nodeid = 42;
	assert_int_equal(sm_handle(sm, &ev, &fx), -EINVAL);
	ev.admin.cmd = 99;
	assert_int_equal(sm_handle(sm, &ev, &fx), -EINVAL);
	ev.type = 99;
	assert_int_equal(sm_handle(sm, &ev, &fx), -EINVAL);
	/* Nothing was sent, and the state is byte for byte the same. */
	{
		u32 i;

		for (i = 0; i < fx.n; i++)
			assert_int_not_equal(fx.fx[i].type, SM_FX_CPG_SEND);
	}
	after = sm_rs_serialize(sm, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	free(before);
	free(after);

	/* Not before our own target has confirmed the recorded failure. */
	sm_effects_reset(&fx);
	ev.type = SM_EV_ADMIN;
	ev.admin.cmd = SM_ADMIN_REBUILD;
	ev.admin.member = 2;
	ev.admin.mode = REBUILD_BITMAP;
	ev.admin.path = "/dev/disk/by-id/new";
	assert_int_equal(sm_handle(sm, &ev, &fx), -EBUSY);
	{
		struct sm_event t = { .type = SM_EV_TARGET };
		int kind = 0;
		u64 id = 0;

		t.chan.type = DDRAID_CHAN_HELLO;
		t.chan.region = 10;
		t.chan.arg = 3;
		assert_int_equal(sm_handle(sm, &t, &fx), 0);
		memset(&t.chan, 0, sizeof(t.chan));
		t.chan.type = DDRAID_CHAN_HELD_END;
		assert_int_equal(sm_handle(sm, &t, &fx), 0);
		loop_back(sm, &fx, &kind, &id);		/* ATTACH */
		t.chan.type = DDRAID_CHAN_MEMBER_STATE_DONE;
		t.chan.region = 2;
		t.chan.flags = DDRAID_MEMBER_FAILED;
		assert_int_equal(sm_handle(sm, &t, &fx), 0);
		loop_back(sm, &fx, &kind, &id);		/* FAIL_APPLIED */
	}

	/* A valid command goes out as a message. */
	sm_effects_reset(&fx);
	ev.type = SM_EV_ADMIN;
	ev.admin.cmd = SM_ADMIN_REBUILD;
	ev.admin.member = 2;
	ev.admin.mode = REBUILD_BITMAP;
	ev.admin.path = "/dev/disk/by-id/new";
	assert_int_equal(sm_handle(sm, &ev, &fx), 0);
	assert_int_equal(fx.fx[0].type, SM_FX_CPG_SEND);
	assert_int_equal(fx.fx[0].cpg.type, MSG_REBUILD_START);
	assert_int_equal(fx.fx[0].cpg.path_len, 19);
	sm_free(sm);
	sm_effects_free(&fx);
}

/*
 * A timer's scrub on a degraded volume: refused like an operator's, with
 * the same errno (ddraidd turns it into "skipped"), nothing sent and the
 * state unchanged; no period is remembered for it.
 */
static void test_scheduled_scrub_degraded(void **state)
{
	struct sm_effects fx;
	struct sm_event ev = { .type = SM_EV_ADMIN };
	struct sm_status st;
	size_t len0, len1;
	u8 *before, *after;
	const char *why = NULL;
	struct sm *sm;

	sm_effects_init(&fx);
	sm = cold_started(&fx);		/* member 2 failed */
	before = sm_rs_serialize(sm, &len0);
	ev.admin.cmd = SM_ADMIN_SCRUB;
	ev.admin.mode = SCRUB_CHECK;
	ev.admin.label = 20788;
	assert_int_equal(sm_scrub_refused(sm, &ev.admin, &why), -ENODEV);
	assert_non_null(strstr(why, "degraded"));
	sm_effects_reset(&fx);
	assert_int_equal(sm_handle(sm, &ev, &fx), -ENODEV);
	assert_int_equal(fx.n, 0);
	ev.admin.label = 0;
	assert_int_equal(sm_handle(sm, &ev, &fx), -ENODEV);
	after = sm_rs_serialize(sm, &len1);
	assert_true(len0 == len1);
	assert_memory_equal(before, after, len0);
	sm_status(sm, &st);
	assert_int_equal(st.scrub_label, 0);
	free(before);
	free(after);
	sm_free(sm);
	sm_effects_free(&fx);
}

/* ---- a joining node gets a STATE too big for one message ---- */

#define BIG_REGIONS	600000u	/* two region bitmaps of 73 KiB each */

struct bus {
	struct sm *sm[2];
	u8 *buf[4096];
	long len[4096];
	u32 head, tail;
	u32 states;		/* STATE messages seen */
};

/* Queue the CPG messages of @fx (in order); drop other effects. */
static void bus_collect(struct bus *b, struct sm_effects *fx)
{
	u32 i;

	for (i = 0; i < fx->n; i++) {
		const struct cpgmsg *m = &fx->fx[i].cpg;

		if (fx->fx[i].type != SM_FX_CPG_SEND)
			continue;
		assert_true(b->tail < 4096);
		b->len[b->tail] = (long)cpgmsg_size(m);
		b->buf[b->tail] = malloc((size_t)b->len[b->tail]);
		assert_non_null(b->buf[b->tail]);
		assert_int_equal(cpgmsg_encode(m, b->buf[b->tail],
					       (size_t)b->len[b->tail], NULL),
				 b->len[b->tail]);
		b->states += m->type == MSG_STATE;
		b->tail++;
	}
	sm_effects_reset(fx);
}

/* Deliver every queued message to both nodes, in one agreed order. */
static void bus_run(struct bus *b, struct sm_effects *fx)
{
	while (b->head < b->tail) {
		struct sm_event ev = { .type = SM_EV_CPG_MSG };
		struct cpgmsg m;
		u32 k;

		assert_int_equal(cpgmsg_decode(b->buf[b->head],
					       (size_t)b->len[b->head], &m,
					       NULL), 0);
		ev.msg = &m;
		for (k = 0; k < 2; k++) {
			assert_int_equal(sm_handle(b->sm[k], &ev, fx), 0);
			bus_collect(b, fx);
		}
		free(b->buf[b->head++]);
	}
}

/* Node 1 alone cold-starts a BIG_REGIONS volume, every @step-th dirty. */
static void big_cold_start(struct bus *b, struct sm_effects *fx, u64 step)
{
	static const u32 one[] = { 1 };
	struct sm_config c = cfg;
	struct sm_event ev = { .type = SM_EV_CONFCHG };
	struct sm_meta meta;
	const char *why = NULL;
	u64 r, io_id = 0;
	u8 *dirty;
	u32 i;

	c.regions = BIG_REGIONS;
	b->sm[0] = sm_new(&c, &why);
	c.nodeid = 2;
	b->sm[1] = sm_new(&c, &why);
	assert_non_null(b->sm[0]);
	assert_non_null(b->sm[1]);
	ev.confchg.members = one;
	ev.confchg.n_members = 1;
	ev.confchg.joined = one;
	ev.confchg.n_joined = 1;
	assert_int_equal(sm_handle(b->sm[0], &ev, fx), 0);
	ev.type = SM_EV_QUORUM;
	ev.quorum.quorate = true;
	assert_int_equal(sm_handle(b->sm[0], &ev, fx), 0);
	dirty = calloc(1, BIG_REGIONS / 8 + 1);
	assert_non_null(dirty);
	for (r = 0; r < BIG_REGIONS; r += step)
		dirty[r / 8] |= (u8)(1u << (r % 8));
	memset(&meta, 0, sizeof(meta));
	meta.events = 3;
	for (i = 0; i < 3; i++)
		meta.member[i].state = DDRAID_MEMBER_ACTIVE;
	meta.slots[0] = 1;
	meta.dirty = dirty;
	meta.read = 0x7;
	/* Only node 1 is in the group: it alone hears its messages. */
	for (;;) {
		struct sm_event d = { .type = SM_EV_CPG_MSG };
		struct cpgmsg m;

		for (i = 0; i < fx->n; i++)
			if (fx->fx[i].type == SM_FX_READ_META)
				io_id = fx->fx[i].id;
		bus_collect(b, fx);
		if (io_id) {
			memset(&d, 0, sizeof(d));
			d.type = SM_EV_IO_DONE;
			d.io.id = io_id;
			d.io.meta = &meta;
			io_id = 0;
			assert_int_equal(sm_handle(b->sm[0], &d, fx), 0);
			continue;
		}
		if (b->head == b->tail)
			break;
		assert_int_equal(cpgmsg_decode(b->buf[b->head],
					       (size_t)b->len[b->head], &m,
					       NULL), 0);
		d.msg = &m;
		assert_int_equal(sm_handle(b->sm[0], &d, fx), 0);
		free(b->buf[b->head++]);
	}
	free(dirty);
}

/* Node 2 joins; returns when no message is left to deliver. */
static void big_join(struct bus *b, struct sm_effects *fx)
{
	static const u32 two[] = { 1, 2 }, joined[] = { 2 };
	struct sm_event ev = { .type = SM_EV_CONFCHG };
	u32 i;

	ev.confchg.members = two;
	ev.confchg.n_members = 2;
	ev.confchg.joined = joined;
	ev.confchg.n_joined = 1;
	for (i = 0; i < 2; i++) {
		assert_int_equal(sm_handle(b->sm[i], &ev, fx), 0);
		bus_collect(b, fx);
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SM_EV_QUORUM;
	ev.quorum.quorate = true;
	assert_int_equal(sm_handle(b->sm[1], &ev, fx), 0);
	bus_collect(b, fx);
	bus_run(b, fx);
}

static void assert_same_state(struct bus *b)
{
	size_t len0, len1;
	u8 *a = sm_rs_serialize(b->sm[0], &len0);
	u8 *z = sm_rs_serialize(b->sm[1], &len1);

	assert_non_null(a);
	assert_non_null(z);
	assert_true(len0 > 2 * (60u << 10));
	assert_true(len0 == len1);
	assert_memory_equal(a, z, len0);
	free(a);
	free(z);
}

static void big_free(struct bus *b)
{
	while (b->head < b->tail)
		free(b->buf[b->head++]);
	sm_free(b->sm[0]);
	sm_free(b->sm[1]);
}

/* Every 64th region dirty: exact runs, a STATE of three parts. */
static void test_multipart_state(void **state)
{
	struct sm_effects fx;
	struct sm_status st;
	struct bus b = { 0 };

	sm_effects_init(&fx);
	big_cold_start(&b, &fx, 64);
	sm_status(b.sm[0], &st);
	assert_true(st.has_state);
	assert_true(st.dirty == (BIG_REGIONS + 63) / 64);
	big_join(&b, &fx);
	assert_true(b.states > 2);
	sm_status(b.sm[1], &st);
	assert_true(st.has_state);
	assert_true(st.dirty == (BIG_REGIONS + 63) / 64);
	assert_same_state(&b);
	big_free(&b);
	sm_effects_free(&fx);
}

/*
 * Every third region dirty: 200000 runs do not fit in one message; the
 * cold start's INIT carries a superset (runs_from_bitmap()), which is
 * safe for dirty regions, and the cluster starts.
 */
static void test_fragmented_runs(void **state)
{
	struct sm_region_info ri;
	struct sm_effects fx;
	struct sm_status st;
	struct bus b = { 0 };
	u64 r;

	sm_effects_init(&fx);
	big_cold_start(&b, &fx, 3);
	sm_status(b.sm[0], &st);
	assert_true(st.has_state);
	assert_true(st.dirty >= (BIG_REGIONS + 2) / 3);
	for (r = 0; r < BIG_REGIONS; r += 3) {
		assert_int_equal(sm_region(b.sm[0], r, &ri), 0);
		assert_true(ri.dirty);
	}
	big_join(&b, &fx);
	assert_same_state(&b);
	big_free(&b);
	sm_effects_free(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_cold_start),
		cmocka_unit_test(test_bad_input_changes_nothing),
		cmocka_unit_test(test_scheduled_scrub_degraded),
		cmocka_unit_test(test_multipart_state),
		cmocka_unit_test(test_fragmented_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
