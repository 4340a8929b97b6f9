// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state machine's API on its own: a one-node cluster cold-started by
 * hand (confchg, quorum, NEED_STATE, READ_META, INIT), then bad input of
 * every kind, each refused with its errno and leaving the replicated state
 * byte for byte as it was. (Behaviour under faults: tests/sim.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
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
		u32 n = 0;

		for (i = 0; i < fx->n; i++) {
			if (fx->fx[i].type == SM_FX_CPG_SEND) {
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
		if (!n)
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
	ev.quorate = true;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_refused),
		cmocka_unit_test(test_cold_start),
		cmocka_unit_test(test_bad_input_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
