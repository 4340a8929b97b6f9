// SPDX-License-Identifier: GPL-2.0-only
/*
 * The target core (common/ddraid_tcore.c): each rule of
 * docs/kernel-channel.md on its own, bad input that changes nothing, and a
 * property test: random sequences of writes, reads, completions, member
 * errors and daemon messages run against the core and against a
 * deliberately simple reference model (arrays and scans, no lists, no
 * counters, forgiveness applied eagerly instead of by generation numbers);
 * the messages owed and every IO decision must agree exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ddraid_tcore.h"
#include "ddraid_format.h"

#define NREG	8
#define NMEM	3
#define A	DDRAID_MEMBER_ACTIVE
#define F	DDRAID_MEMBER_FAILED
#define R	DDRAID_MEMBER_REBUILDING

static struct tcore core;
static struct tcore_region regs[NREG];
static struct tcore_list out;

struct tio {
	struct tcore_io io;
	int id;
};

static struct tio ios[64];

static u64 tnow;

static struct tio *tio_of(struct tcore_io *io)
{
	return (struct tio *)((char *)io - offsetof(struct tio, io));
}

/* The core over @n regions of @reg (init_core(): the usual NREG). */
static void init_core_on(struct tcore_region *reg, u64 n, const u32 *mstate,
			 u32 outm, u32 absent)
{
	static const u32 all_active[NMEM] = { A, A, A };
	int i;

	tcore_init(&core, reg, n, NMEM, 10, mstate ? mstate : all_active,
		   outm, absent);
	tcore_list_init(&out);
	for (i = 0; i < 64; i++)
		ios[i].id = i;
	tnow = 1000;
}

static void init_core(const u32 *mstate, u32 outm, u32 absent)
{
	init_core_on(regs, NREG, mstate, outm, absent);
}

/* ---- helpers ---- */

static void msg(u16 type, u64 region, u64 arg, u32 status, u32 flags)
{
	struct ddraid_chan_msg m = {
		.type = type, .region = region, .arg = arg, .status = status,
		.flags = flags,
	};
	struct tcore_note n;

	assert_int_equal(tcore_apply(&core, &m, tnow, &out, &n), 0);
}

static void expect_msg(u16 type, u64 region, u64 arg, u32 status, u32 flags)
{
	struct ddraid_chan_msg m;

	assert_int_equal(tcore_next_msg(&core, &m), 0);
	if (m.type != type || m.region != region || m.arg != arg ||
	    m.status != status || m.flags != flags)
		fail_msg("got %s %llu arg %llu status %u flags %#x, want %s %llu arg %llu status %u flags %#x",
			 ddraid_chan_type_name(m.type),
			 (unsigned long long)m.region,
			 (unsigned long long)m.arg, m.status, m.flags,
			 ddraid_chan_type_name(type),
			 (unsigned long long)region, (unsigned long long)arg,
			 status, flags);
}

static void expect_quiet(void)
{
	struct ddraid_chan_msg m;

	if (tcore_next_msg(&core, &m) == 0)
		fail_msg("unexpected %s %llu", ddraid_chan_type_name(m.type),
			 (unsigned long long)m.region);
}

/* Attach and read the handshake of a target holding nothing. */
static void attach_plain(void)
{
	tcore_attach(&core);
	expect_msg(DDRAID_CHAN_HELLO, core.regions, NMEM, 0,
		   core.frozen ? DDRAID_CHAN_HELLO_FROZEN : 0);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
}

/* Attached, thawed, FROZEN of the attach read. */
static void running(void)
{
	attach_plain();
	expect_msg(DDRAID_CHAN_FROZEN, 0, 0, 0, 0);
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	expect_quiet();
}

/* The next IO on the output list must be @id with @v. */
static void expect_out(int id, enum tcore_verdict v)
{
	struct tcore_io *io = tcore_list_pop(&out);

	if (!io)
		fail_msg("output empty, want io %d verdict %d", id, v);
	if (tio_of(io)->id != id || io->verdict != v)
		fail_msg("output io %d verdict %d, want io %d verdict %d",
			 tio_of(io)->id, io->verdict, id, v);
}

static void expect_out_empty(void)
{
	struct tcore_io *io = tcore_list_pop(&out);

	if (io)
		fail_msg("unexpected output io %d verdict %d",
			 tio_of(io)->id, io->verdict);
}

static enum tcore_verdict write_at(int id, u64 region)
{
	tcore_io_init(&ios[id].io, TCORE_WRITE, region);
	return tcore_write_enter(&core, &ios[id].io, tnow);
}

/* A region granted (the write that asked for it done). */
static void grant(u64 r)
{
	assert_int_equal(write_at(63, r), TCORE_WAIT);
	expect_msg(DDRAID_CHAN_GRANT_REQ, r, 0, 0, 0);
	msg(DDRAID_CHAN_GRANT, r, 0, 0, 0);
	expect_out(63, TCORE_GO);
	assert_int_equal(tcore_write_plan(&core, &ios[63].io), 0);
	assert_int_equal(tcore_write_done(&core, &ios[63].io, 0, tnow, &out),
			 TCORE_DONE);
	expect_out(63, TCORE_DONE);
}

/* Write @id into granted region @r, planned (member IO in flight). */
static void write_planned(int id, u64 r)
{
	assert_int_equal(write_at(id, r), TCORE_GO);
	assert_int_equal(tcore_write_plan(&core, &ios[id].io), 0);
}

/* ---- the rules one by one ---- */

static void test_starts_frozen(void **state)
{
	init_core(NULL, 0, 0);
	assert_true(core.frozen);
	assert_int_equal(write_at(0, 1), TCORE_WAIT);
	tcore_io_init(&ios[1].io, TCORE_READ, 0);
	assert_int_equal(tcore_read_enter(&core, &ios[1].io), TCORE_WAIT);
	expect_quiet();			/* nobody to tell */
	tcore_attach(&core);
	expect_msg(DDRAID_CHAN_HELLO, NREG, NMEM, 0, DDRAID_CHAN_HELLO_FROZEN);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 1, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_GRANT, 1, 0, 0, 0);
	expect_out_empty();		/* still frozen */
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	expect_out(0, TCORE_GO);
	expect_out(1, TCORE_GO);
	expect_out_empty();
	assert_int_equal(core.inflight, 1);
	assert_int_equal(core.waiting, 0);
}

static void test_grant_and_refusal(void **state)
{
	init_core(NULL, 0, 0);
	running();
	assert_int_equal(write_at(0, 2), TCORE_WAIT);
	assert_int_equal(write_at(1, 2), TCORE_WAIT);
	assert_int_equal(write_at(2, 3), TCORE_WAIT);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 2, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 3, 0, 0, 0);
	expect_quiet();
	assert_int_equal(regs[2].waiting, 2);
	/* A grant nobody asked for changes nothing. */
	msg(DDRAID_CHAN_GRANT, 4, 0, 0, 0);
	expect_out_empty();
	assert_int_equal(regs[4].state, TCORE_COLD);
	msg(DDRAID_CHAN_GRANT, 3, 0, EROFS, 0);
	expect_out(2, TCORE_FAIL);
	assert_int_equal(ios[2].io.status, EROFS);
	assert_int_equal(regs[3].state, TCORE_COLD);
	msg(DDRAID_CHAN_GRANT, 2, 0, 0, 0);
	expect_out(0, TCORE_GO);
	expect_out(1, TCORE_GO);
	assert_int_equal(core.granted, 1);
	assert_int_equal(regs[2].inflight, 2);
	assert_int_equal(write_at(3, 2), TCORE_GO);
	expect_quiet();
}

/* A GRANT_REQ not yet read is dropped once the request is answered. */
static void test_answered_request_owes_nothing(void **state)
{
	init_core(NULL, 0, 0);
	running();
	assert_int_equal(write_at(0, 5), TCORE_WAIT);
	msg(DDRAID_CHAN_GRANT, 5, 0, 0, 0);
	expect_out(0, TCORE_GO);
	expect_quiet();
}

static void test_lock(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(1);
	write_planned(0, 1);
	msg(DDRAID_CHAN_LOCK, 1, 0, 0, 0);
	expect_quiet();			/* a write is in flight */
	assert_int_equal(write_at(1, 1), TCORE_WAIT);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 0, tnow, &out),
			 TCORE_DONE);
	expect_out(0, TCORE_DONE);
	expect_msg(DDRAID_CHAN_LOCKED, 1, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_UNLOCK, 1, 0, 0, 0);
	expect_out(1, TCORE_GO);
	/* A cold region can be locked: LOCKED at once. */
	msg(DDRAID_CHAN_LOCK, 6, 0, 0, 0);
	expect_msg(DDRAID_CHAN_LOCKED, 6, 0, 0, 0);
	assert_int_equal(core.nlocked, 1);
	/* It is reported to a new daemon; no grant there. */
	tcore_detach(&core);
	tcore_attach(&core);
	expect_msg(DDRAID_CHAN_HELLO, NREG, NMEM, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 1, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 6, 0, 0,
		   DDRAID_CHAN_HELD_LOCKED | DDRAID_CHAN_HELD_NOGRANT);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	expect_quiet();
}

/* Messages owed: members first, then FROZEN, then regions in order. */
static void test_message_order(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	grant(4);
	tnow += 100;
	assert_int_equal(write_at(0, 7), TCORE_WAIT);	/* GRANT_REQ 7 */
	msg(DDRAID_CHAN_LOCK, 3, 0, 0, 0);		/* LOCKED 3 */
	assert_int_equal(tcore_idle_scan(&core, 0, NREG, tnow, 50), NREG);
	/* IDLE 0 and 4 */
	assert_int_equal(write_at(1, 0), TCORE_WAIT);	/* 0 owes IDLE,
							 * GRANT_REQ */
	msg(DDRAID_CHAN_MEMBER_STATE, 2, 10, 0, A);
	assert_int_equal(tcore_member_error(&core, 1u << 1), 1u << 1);
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 1, 0, EIO, 0);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 2, 0, 0, A);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 1, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 7, 0, 0, 0);
	expect_msg(DDRAID_CHAN_LOCKED, 3, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 4, 0, 0, 0);
	expect_quiet();
	/* Sequence numbers count from 1 per attach. */
	tcore_detach(&core);
	tcore_attach(&core);
	{
		struct ddraid_chan_msg m;

		assert_int_equal(tcore_next_msg(&core, &m), 0);
		assert_int_equal(m.seq, 1);
		assert_int_equal(tcore_next_msg(&core, &m), 0);
		assert_int_equal(m.seq, 2);
	}
}

static void test_idle(void **state)
{
	init_core(NULL, 0, 0);
	/* Nothing is dropped without a daemon. */
	running();
	grant(0);
	grant(1);
	grant(2);
	grant(3);
	write_planned(0, 0);		/* in flight */
	assert_int_equal(write_at(1, 1), TCORE_GO);	/* passed */
	msg(DDRAID_CHAN_LOCK, 2, 0, 0, 0);
	expect_msg(DDRAID_CHAN_LOCKED, 2, 0, 0, 0);
	tnow += 99;
	tcore_idle_scan(&core, 0, NREG, tnow, 100);
	expect_quiet();			/* not idle long enough */
	tnow += 1;
	tcore_detach(&core);
	tcore_idle_scan(&core, 0, NREG, tnow, 100);
	assert_int_equal(core.granted, 4);
	tcore_attach(&core);
	/* Not during the HELD list. */
	assert_int_equal(tcore_idle_scan(&core, 0, NREG, tnow, 100), NREG);
	assert_int_equal(core.granted, 4);
	expect_msg(DDRAID_CHAN_HELLO, NREG, NMEM, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 1, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 2, 0, 0, DDRAID_CHAN_HELD_LOCKED);
	expect_msg(DDRAID_CHAN_HELD, 3, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	/* In batches: the first call looks at regions 0 and 1 only. */
	assert_int_equal(tcore_idle_scan(&core, 0, 2, tnow, 100), 2);
	expect_quiet();
	assert_int_equal(tcore_idle_scan(&core, 2, 100, tnow, 100), NREG);
	expect_msg(DDRAID_CHAN_IDLE, 3, 0, 0, 0);
	expect_quiet();
	assert_int_equal(core.granted, 3);
	/* Not while frozen. */
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	tcore_write_done(&core, &ios[0].io, 0, tnow, &out);
	expect_out(0, TCORE_DONE);
	expect_quiet();			/* write 1 passed the gate */
	assert_int_equal(tcore_write_plan(&core, &ios[1].io), 0);
	tcore_write_done(&core, &ios[1].io, 0, tnow, &out);
	expect_out(1, TCORE_DONE);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 1, 0, 0);
	tnow += 1000;
	tcore_idle_scan(&core, 0, NREG, tnow, 100);
	expect_quiet();
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	tcore_idle_scan(&core, 0, NREG, tnow, 100);
	expect_msg(DDRAID_CHAN_IDLE, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 1, 0, 0, 0);
	expect_quiet();
}

/* (a) A held completion keeps its region's grant. */
static void test_held_keeps_grant(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(2);
	write_planned(0, 2);
	tcore_member_error(&core, 1u << 1);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 1u << 1, tnow,
					  &out), TCORE_WAIT);
	expect_out_empty();
	assert_int_equal(regs[2].held, 1);
	assert_int_equal(core.nheld, 1);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 1, 0, EIO, 0);
	tnow += 100000;
	tcore_idle_scan(&core, 0, NREG, tnow, 10);
	expect_quiet();
	assert_int_equal(regs[2].state, TCORE_GRANTED);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 11, 0, F);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, F);
	msg(DDRAID_CHAN_COMMIT_FAIL, 1, 0, 0, 0);
	expect_out(0, TCORE_DONE);
	assert_int_equal(regs[2].held, 0);
	tcore_idle_scan(&core, 0, NREG, tnow + 10, 10);
	expect_msg(DDRAID_CHAN_IDLE, 2, 0, 0, 0);
}

/* Member errors, held writes, COMMIT_FAIL, a second failure. */
static void test_member_failure(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	write_planned(0, 0);
	write_planned(1, 0);
	assert_int_equal(tcore_member_error(&core, 1u << 2), 1u << 2);
	assert_int_equal(tcore_member_error(&core, 1u << 2), 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 2, 0, EIO, 0);
	expect_quiet();			/* once */
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 1u << 2, tnow,
					  &out), TCORE_WAIT);
	/* Planned after the error: skips member 2, held as well. */
	write_planned(2, 0);
	assert_int_equal(ios[2].io.skip, 1u << 2);
	assert_int_equal(tcore_write_done(&core, &ios[2].io, 0, tnow, &out),
			 TCORE_WAIT);
	/* COMMIT_FAIL of a member in use is ignored. */
	{
		struct ddraid_chan_msg m = { .type = DDRAID_CHAN_COMMIT_FAIL,
					     .region = 1 };
		struct tcore_note n;

		assert_int_equal(tcore_apply(&core, &m, tnow, &out, &n), 0);
		assert_non_null(n.what);
		expect_out_empty();
		assert_int_equal(core.recorded, 0);
	}
	/* A daemon reattaching hears of the error again. */
	tcore_detach(&core);
	tcore_attach(&core);
	expect_msg(DDRAID_CHAN_HELLO, NREG, NMEM, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 2, 0, EIO, 0);
	expect_quiet();
	msg(DDRAID_CHAN_COMMIT_FAIL, 2, 0, 0, 0);
	expect_out(0, TCORE_DONE);
	expect_out(2, TCORE_DONE);
	expect_out_empty();
	/* Committed: a write that skips it completes at once; the one in
	 * flight since before completes too. */
	assert_int_equal(tcore_write_done(&core, &ios[1].io, 1u << 2, tnow,
					  &out), TCORE_DONE);
	expect_out(1, TCORE_DONE);
	write_planned(3, 0);
	assert_int_equal(tcore_write_done(&core, &ios[3].io, 0, tnow, &out),
			 TCORE_DONE);
	expect_out(3, TCORE_DONE);
	/* A second member down: no redundancy, EIO. */
	write_planned(4, 0);
	tcore_member_error(&core, 1u << 0);
	assert_int_equal(tcore_write_done(&core, &ios[4].io, 1u << 0, tnow,
					  &out), TCORE_FAIL);
	expect_out(4, TCORE_FAIL);
	assert_int_equal(ios[4].io.status, EIO);
	assert_int_equal(write_at(5, 0), TCORE_GO);
	assert_int_equal(tcore_write_plan(&core, &ios[5].io), -EIO);
	tcore_io_forget(&core, &ios[5].io, tnow);
	assert_int_equal(core.inflight, 0);
	tcore_io_init(&ios[6].io, TCORE_READ, 0);
	assert_int_equal(tcore_read_plan(&core, &ios[6].io), -EIO);
}

/* Rebuilding forgives skips of a member the cluster had failed. */
static void test_rebuilding_forgives(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 11, 0, F);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, F);
	write_planned(0, 0);		/* skips 1 (the cluster's failure) */
	write_planned(1, 0);
	assert_int_equal(ios[0].io.skip, 1u << 1);
	assert_int_equal(ios[0].io.own, 0);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 0, tnow, &out),
			 TCORE_WAIT);
	tcore_io_init(&ios[2].io, TCORE_READ, 0);
	assert_int_equal(tcore_read_plan(&core, &ios[2].io), 0);
	assert_int_equal(ios[2].io.skip, 1u << 1);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 12, 0, R);
	expect_out(0, TCORE_DONE);	/* held: completes */
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, R);
	/* in flight: completes when done */
	assert_int_equal(tcore_write_done(&core, &ios[1].io, 0, tnow, &out),
			 TCORE_DONE);
	expect_out(1, TCORE_DONE);
	/* Written again, not read. */
	write_planned(3, 0);
	assert_int_equal(ios[3].io.skip, 0);
	assert_int_equal(tcore_read_plan(&core, &ios[2].io), 0);
	assert_int_equal(ios[2].io.skip, 1u << 1);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 13, 0, A);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, A);
	assert_int_equal(tcore_read_plan(&core, &ios[2].io), 0);
	assert_int_equal(ios[2].io.skip, 0);
}

/*
 * A write that missed a member by an error of ours is never forgiven: when
 * the member is in use again it is written again, whole.
 */
static void test_error_writes_again(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	write_planned(0, 0);
	tcore_member_error(&core, 1u << 1);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 1u << 1, tnow,
					  &out), TCORE_WAIT);
	write_planned(1, 0);		/* skips 1: our own error */
	assert_int_equal(ios[1].io.own, 1u << 1);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 1, 0, EIO, 0);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 11, 0, F);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 12, 0, R);
	expect_out(0, TCORE_GO);
	expect_out_empty();
	assert_int_equal(ios[0].io.at, TCORE_AT_PASSED);
	assert_int_equal(regs[0].inflight, 2);
	assert_int_equal(tcore_write_plan(&core, &ios[0].io), 0);
	assert_int_equal(ios[0].io.skip, 0);
	assert_int_equal(ios[0].io.errors, 0);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 0, tnow, &out),
			 TCORE_DONE);
	expect_out(0, TCORE_DONE);
	/* The one in flight goes again when done. */
	assert_int_equal(tcore_write_done(&core, &ios[1].io, 0, tnow, &out),
			 TCORE_GO);
	expect_out(1, TCORE_GO);
}

/* The two-generation rule of "active". */
static void test_active_two_generations(void **state)
{
	init_core(NULL, 0, 0);
	running();
	msg(DDRAID_CHAN_MEMBER_STATE, 0, 20, 0, A);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 0, 0, 0, A);
	tcore_member_error(&core, 1u << 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 0, 0, EIO, 0);
	/* Still active, one generation on: not heard of yet. */
	msg(DDRAID_CHAN_MEMBER_STATE, 0, 21, 0, A);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 0, 0, EIO, 0);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 0, 0, 0, A);
	assert_true(core.failed & 1u);
	/* Two generations on: failed and rebuilt since: history. */
	msg(DDRAID_CHAN_MEMBER_STATE, 0, 22, 0, A);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 0, 0, 0, A);
	expect_quiet();
	assert_false(core.failed & 1u);
	/* An "active" that ends a failure counts at once. */
	tcore_member_error(&core, 1u << 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 0, 0, EIO, 0);
	msg(DDRAID_CHAN_MEMBER_STATE, 0, 22, 0, F);
	msg(DDRAID_CHAN_MEMBER_STATE, 0, 22, 0, A);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 0, 0, 0, A);
	expect_quiet();
	assert_int_equal(core.failed, 0);
}

/* A member the table does not have is never brought back. */
static void test_absent_member(void **state)
{
	static const u32 ms[NMEM] = { A, A, A };
	struct ddraid_chan_msg m = { .type = DDRAID_CHAN_MEMBER_STATE,
				     .region = 2, .arg = 11, .flags = A };
	struct tcore_note n;

	init_core(ms, 1u << 2, 1u << 2);
	assert_int_equal(core.failed, 1u << 2);
	attach_plain();
	/* Out, though the superblock calls it active: reported. */
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 2, 0, EIO, 0);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 0, 0, 0);
	assert_int_equal(tcore_apply(&core, &m, tnow, &out, &n), 0);
	assert_true(n.error && n.what);
	expect_quiet();			/* no DONE */
	assert_int_equal(core.failed, 1u << 2);
	m.type = DDRAID_CHAN_PATH_RETRY;
	m.arg = 0;
	m.flags = 0;
	assert_int_equal(tcore_apply(&core, &m, tnow, &out, &n), 0);
	assert_int_equal(core.failed, 1u << 2);
}

/* Failed in the superblock: out, but not committed for this target. */
static void test_sb_failure_not_committed(void **state)
{
	static const u32 ms[NMEM] = { A, F, A };

	init_core(ms, 0, 0);
	running();
	assert_int_equal(write_at(0, 0), TCORE_WAIT);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 0, 0, 0, 0);
	msg(DDRAID_CHAN_GRANT, 0, 0, 0, 0);
	expect_out(0, TCORE_GO);
	assert_int_equal(tcore_write_plan(&core, &ios[0].io), 0);
	assert_int_equal(ios[0].io.skip, 1u << 1);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 0, tnow, &out),
			 TCORE_WAIT);
	expect_quiet();			/* no error to report */
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 10, 0, F);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, F);
	expect_out_empty();
	msg(DDRAID_CHAN_COMMIT_FAIL, 1, 0, 0, 0);
	expect_out(0, TCORE_DONE);
}

/* (b) PATH_RETRY. */
static void test_path_retry(void **state)
{
	struct ddraid_chan_msg m = { .type = DDRAID_CHAN_PATH_RETRY,
				     .region = 1 };
	struct tcore_note n;
	u8 before[sizeof(core)];

	init_core(NULL, 0, 0);
	running();
	grant(0);
	grant(3);
	/* Not failing here: nothing changes. */
	memcpy(before, &core, sizeof(core));
	assert_int_equal(tcore_apply(&core, &m, tnow, &out, &n), 0);
	assert_non_null(n.what);
	assert_memory_equal(before, &core, sizeof(core));
	write_planned(0, 0);
	write_planned(1, 3);
	tcore_member_error(&core, 1u << 1);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 1, 0, EIO, 0);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 1u << 1, tnow,
					  &out), TCORE_WAIT);
	assert_int_equal(tcore_write_done(&core, &ios[1].io, 1u << 1, tnow,
					  &out), TCORE_WAIT);
	write_planned(3, 3);		/* skipped it: failing here */
	assert_int_equal(tcore_write_done(&core, &ios[3].io, 0, tnow, &out),
			 TCORE_WAIT);
	write_planned(4, 0);		/* in flight across the retry */
	assert_int_equal(core.nheld, 3);
	/*
	 * Region 3 locked: LOCKED waits for its held writes (a resync now
	 * would read the fragment they skipped); after the retry they wait
	 * at the gate.
	 */
	msg(DDRAID_CHAN_LOCK, 3, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_PATH_RETRY, 1, 0, 0, 0);
	assert_int_equal(core.failed, 0);
	expect_out(0, TCORE_GO);
	expect_out_empty();
	expect_msg(DDRAID_CHAN_LOCKED, 3, 0, 0, 0);
	assert_int_equal(core.waiting, 2);
	assert_int_equal(core.nheld, 0);
	/* The one in flight that skipped it goes again when done. */
	assert_int_equal(tcore_write_done(&core, &ios[4].io, 0, tnow, &out),
			 TCORE_GO);
	expect_out(4, TCORE_GO);
	msg(DDRAID_CHAN_UNLOCK, 3, 0, 0, 0);
	expect_out(1, TCORE_GO);
	expect_out(3, TCORE_GO);
	expect_out_empty();
	/* A later error is a new one, reported again. */
	tcore_member_error(&core, 1u << 1);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 1, 0, EIO, 0);
	/* Failed by the cluster: PATH_RETRY changes nothing. */
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 11, 0, F);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, F);
	memcpy(before, &core, sizeof(core));
	assert_int_equal(tcore_apply(&core, &m, tnow, &out, &n), 0);
	assert_non_null(n.what);
	assert_memory_equal(before, &core, sizeof(core));
}

/*
 * PATH_RETRY of a rebuilding member: writes held here for it are written
 * again (they would wait for a COMMIT_FAIL that never comes, and a region
 * lock with them: the rebuild would stop); it stays unread.
 */
static void test_path_retry_rebuilding(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	msg(DDRAID_CHAN_MEMBER_STATE, 1, 11, 0, R);
	expect_msg(DDRAID_CHAN_MEMBER_STATE_DONE, 1, 0, 0, R);
	write_planned(0, 0);
	tcore_member_error(&core, 1u << 1);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 1, 0, EIO, 0);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 1u << 1, tnow,
					  &out), TCORE_WAIT);
	assert_int_equal(core.nheld, 1);
	msg(DDRAID_CHAN_LOCK, 0, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_PATH_RETRY, 1, 0, 0, 0);
	assert_int_equal(core.failed, 0);
	assert_int_equal(core.noread, 1u << 1);
	assert_int_equal(core.nheld, 0);
	expect_msg(DDRAID_CHAN_LOCKED, 0, 0, 0, 0);
	msg(DDRAID_CHAN_UNLOCK, 0, 0, 0, 0);
	expect_out(0, TCORE_GO);
	expect_out_empty();
}

/* A held write written again while frozen waits for THAW. */
static void test_path_retry_frozen(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	write_planned(0, 0);
	tcore_member_error(&core, 1u << 0);
	tcore_write_done(&core, &ios[0].io, 1u << 0, tnow, &out);
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 0, 0, EIO, 0);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 1, 0, 0);
	msg(DDRAID_CHAN_PATH_RETRY, 0, 0, 0, 0);
	expect_out_empty();
	assert_int_equal(ios[0].io.at, TCORE_AT_GATE);
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	expect_out(0, TCORE_GO);
}

/* A held flush goes again too (not through a gate). */
static void test_flush(void **state)
{
	init_core(NULL, 0, 0);
	running();
	tcore_io_init(&ios[0].io, TCORE_FLUSH, 0);
	assert_int_equal(ios[0].io.region, TCORE_NONE);
	assert_int_equal(tcore_write_plan(&core, &ios[0].io), 0);
	tcore_member_error(&core, 1u << 2);
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 1u << 2, tnow,
					  &out), TCORE_WAIT);
	assert_int_equal(core.nheld, 1);
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	msg(DDRAID_CHAN_PATH_RETRY, 2, 0, 0, 0);
	expect_out(0, TCORE_GO);
}

/* (c) FREEZE with FAIL_IO, and (d) FROZEN. */
static void test_freeze_fail_io(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	write_planned(0, 0);		/* in flight */
	write_planned(1, 0);		/* will be held */
	tcore_member_error(&core, 1u << 2);
	tcore_write_done(&core, &ios[1].io, 1u << 2, tnow, &out);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 2, 0, EIO, 0);
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	expect_quiet();			/* write 0 in flight: no FROZEN */
	assert_int_equal(write_at(2, 0), TCORE_WAIT);
	assert_int_equal(write_at(3, 5), TCORE_WAIT);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 5, 0, 0, 0);
	tcore_io_init(&ios[4].io, TCORE_READ, 0);
	assert_int_equal(tcore_read_enter(&core, &ios[4].io), TCORE_WAIT);
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, DDRAID_CHAN_FREEZE_FAIL_IO);
	expect_out(2, TCORE_FAIL);
	expect_out(3, TCORE_FAIL);
	expect_out(4, TCORE_FAIL);
	expect_out(1, TCORE_FAIL);
	expect_out_empty();
	assert_int_equal(core.waiting + core.nheld, 0);
	/* New IO fails at once. */
	assert_int_equal(write_at(5, 0), TCORE_FAIL);
	assert_int_equal(ios[5].io.status, EIO);
	tcore_io_init(&ios[6].io, TCORE_READ, 0);
	assert_int_equal(tcore_read_enter(&core, &ios[6].io), TCORE_FAIL);
	/* The write in flight: completes if whole, then FROZEN. */
	expect_quiet();
	assert_int_equal(tcore_write_done(&core, &ios[0].io, 0, tnow, &out),
			 TCORE_DONE);
	expect_out(0, TCORE_DONE);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 2, 0, 0);
	expect_quiet();
	/* A new daemon sees it. */
	tcore_detach(&core);
	tcore_attach(&core);
	expect_msg(DDRAID_CHAN_HELLO, NREG, NMEM, 0,
		   DDRAID_CHAN_HELLO_FROZEN | DDRAID_CHAN_HELLO_FAIL_IO);
	expect_msg(DDRAID_CHAN_HELD, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_MEMBER_ERROR, 2, 0, EIO, 0);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 5, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	assert_int_equal(write_at(7, 0), TCORE_GO);
	assert_false(core.withdrawn);
}

/* A THAW before the drain: the FROZEN of that FREEZE is not sent. */
static void test_thaw_cancels_frozen(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	write_planned(0, 0);
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	tcore_write_done(&core, &ios[0].io, 0, tnow, &out);
	expect_out(0, TCORE_DONE);
	expect_quiet();
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	msg(DDRAID_CHAN_THAW, 0, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_FREEZE, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_FROZEN, 0, 3, 0, 0);
}

/* Grant prefetch at the target's default distance. */
static void prefetch(u64 region, u64 block, u64 nblocks)
{
	tcore_prefetch(&core, region, block, nblocks, TCORE_PREFETCH_AHEAD);
}

static void test_prefetch(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	grant(3);
	prefetch(0, 0, 8);		/* a new stream */
	expect_quiet();
	prefetch(0, 8, 8);		/* continues it: two ahead */
	expect_msg(DDRAID_CHAN_GRANT_REQ, 1, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 2, 0, 0, 0);
	expect_quiet();
	assert_int_equal(regs[1].state, TCORE_REQUESTED);
	assert_int_equal(regs[2].state, TCORE_REQUESTED);
	prefetch(0, 100, 8);	/* random */
	expect_quiet();
	prefetch(NREG - 1, 16, 8);	/* last region: none */
	expect_quiet();
	prefetch(NREG - 2, 24, 8);	/* one left */
	expect_msg(DDRAID_CHAN_GRANT_REQ, NREG - 1, 0, 0, 0);
	expect_quiet();
	prefetch(1, 108, 8);	/* 2 asked for, 3 granted */
	expect_quiet();
	prefetch(2, 116, 8);	/* 3 granted, 4 cold */
	expect_msg(DDRAID_CHAN_GRANT_REQ, 4, 0, 0, 0);
	expect_quiet();
	prefetch(3, 124, 8);	/* 4 asked once, 5 cold */
	expect_msg(DDRAID_CHAN_GRANT_REQ, 5, 0, 0, 0);
	expect_quiet();
	/* Not while the caller cannot wait. */
	tcore_set_nowait(&core, true);
	prefetch(4, 132, 8);
	expect_quiet();
	assert_int_equal(regs[6].state, TCORE_COLD);
}

/*
 * The distance is the caller's (the module parameter prefetch_ahead):
 * 1 asks for the next region only, 0 for none while still following the
 * stream, and more than TCORE_PREFETCH_MAX for that many.
 */
static void test_prefetch_distance(void **state)
{
	/* Room for the most it asks for, and one region beyond. */
	static struct tcore_region big[3 + TCORE_PREFETCH_MAX + 1];
	u64 r;

	init_core_on(big, sizeof(big) / sizeof(big[0]), NULL, 0, 0);
	running();
	tcore_prefetch(&core, 0, 0, 8, 1);
	tcore_prefetch(&core, 0, 8, 8, 1);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 1, 0, 0, 0);
	expect_quiet();
	tcore_prefetch(&core, 1, 16, 8, 0);
	expect_quiet();
	assert_int_equal(big[2].state, TCORE_COLD);
	tcore_prefetch(&core, 1, 24, 8, 1);	/* the stream went on */
	expect_msg(DDRAID_CHAN_GRANT_REQ, 2, 0, 0, 0);
	expect_quiet();
	tcore_prefetch(&core, 2, 32, 8, TCORE_PREFETCH_MAX + 100);
	for (r = 3; r <= 2 + TCORE_PREFETCH_MAX; r++)
		expect_msg(DDRAID_CHAN_GRANT_REQ, r, 0, 0, 0);
	expect_quiet();
	assert_int_equal(big[3 + TCORE_PREFETCH_MAX].state, TCORE_COLD);
}

/*
 * Prefetch as the target runs it (tcore_prefetch() before every
 * tcore_write_enter(), the module's default): the writer reaching the
 * prefetched region finds it requested (no second GRANT_REQ) or granted;
 * a prefetched grant nobody uses goes idle; a refused one fails no IO;
 * a withdrawn target asks for nothing; a prefetch asked for without a
 * daemon is sent when one attaches.
 */
static enum tcore_verdict seq_write(int id, u64 region, u64 block)
{
	prefetch(region, block, 8);
	return write_at(id, region);
}

static void test_prefetch_flow(void **state)
{
	init_core(NULL, 0, 0);
	running();
	grant(0);
	/* A stream of 8-block writes in region 0 */
	assert_int_equal(seq_write(0, 0, 0), TCORE_GO);
	expect_quiet();
	assert_int_equal(seq_write(1, 0, 8), TCORE_GO);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 1, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 2, 0, 0, 0);
	assert_int_equal(regs[1].state, TCORE_REQUESTED);
	/*
	 * The stream reaches region 1 before its grant: waits without a
	 * second request for it, and asks for region 3 ahead.
	 */
	assert_int_equal(seq_write(2, 1, 16), TCORE_WAIT);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 3, 0, 0, 0);
	expect_quiet();
	msg(DDRAID_CHAN_GRANT, 1, 0, 0, 0);
	expect_out(2, TCORE_GO);
	expect_out_empty();
	/* Region 2's grant arrives before the writer: it goes at once. */
	msg(DDRAID_CHAN_GRANT, 2, 0, 0, 0);
	expect_out_empty();
	assert_int_equal(regs[2].state, TCORE_GRANTED);
	assert_int_equal(seq_write(3, 2, 24), TCORE_GO);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 4, 0, 0, 0);
	expect_quiet();
	/* Refused: the regions are cold again and no IO fails. */
	msg(DDRAID_CHAN_GRANT, 3, 0, EIO, 0);
	msg(DDRAID_CHAN_GRANT, 4, 0, EIO, 0);
	expect_out_empty();
	assert_int_equal(regs[3].state, TCORE_COLD);
	assert_int_equal(regs[4].state, TCORE_COLD);
	/* Unused prefetched grants go idle like any other. */
	prefetch(2, 32, 8);	/* asks for 3 and 4 again */
	expect_msg(DDRAID_CHAN_GRANT_REQ, 3, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 4, 0, 0, 0);
	msg(DDRAID_CHAN_GRANT, 3, 0, 0, 0);
	msg(DDRAID_CHAN_GRANT, 4, 0, 0, 0);
	assert_int_equal(tcore_write_plan(&core, &ios[0].io), 0);
	tcore_write_done(&core, &ios[0].io, 0, tnow, &out);
	assert_int_equal(tcore_write_plan(&core, &ios[1].io), 0);
	tcore_write_done(&core, &ios[1].io, 0, tnow, &out);
	assert_int_equal(tcore_write_plan(&core, &ios[2].io), 0);
	tcore_write_done(&core, &ios[2].io, 0, tnow, &out);
	assert_int_equal(tcore_write_plan(&core, &ios[3].io), 0);
	tcore_write_done(&core, &ios[3].io, 0, tnow, &out);
	expect_out(0, TCORE_DONE);
	expect_out(1, TCORE_DONE);
	expect_out(2, TCORE_DONE);
	expect_out(3, TCORE_DONE);
	tnow += 1000;
	tcore_idle_scan(&core, 0, NREG, tnow, 100);
	expect_msg(DDRAID_CHAN_IDLE, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 1, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 2, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 3, 0, 0, 0);
	expect_msg(DDRAID_CHAN_IDLE, 4, 0, 0, 0);
	expect_quiet();

	/* No daemon: the prefetch is owed, and asked for on attach. */
	init_core(NULL, 0, 0);
	running();
	grant(5);
	tcore_detach(&core);
	prefetch(5, 50, 8);
	prefetch(5, 58, 2);
	assert_int_equal(regs[6].state, TCORE_REQUESTED);
	assert_int_equal(regs[7].state, TCORE_REQUESTED);
	expect_quiet();
	tcore_attach(&core);
	expect_msg(DDRAID_CHAN_HELLO, NREG, NMEM, 0, 0);
	expect_msg(DDRAID_CHAN_HELD, 5, 0, 0, 0);
	expect_msg(DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 6, 0, 0, 0);
	expect_msg(DDRAID_CHAN_GRANT_REQ, 7, 0, 0, 0);
	expect_quiet();
}

/* The kernel's noflush suspend and table reload. */
static void test_nowait_and_take_over(void **state)
{
	static struct tcore_region regs2[NREG];
	static struct tcore to;
	static const u32 ms[NMEM] = { A, A, A };

	init_core(NULL, 0, 0);
	running();
	grant(0);
	msg(DDRAID_CHAN_LOCK, 4, 0, 0, 0);
	expect_msg(DDRAID_CHAN_LOCKED, 4, 0, 0, 0);
	assert_int_equal(write_at(0, 1), TCORE_WAIT);	/* GRANT_REQ owed */
	write_planned(1, 0);
	tcore_member_error(&core, 1u << 0);
	tcore_write_done(&core, &ios[1].io, 1u << 0, tnow, &out);
	tcore_set_nowait(&core, true);
	assert_int_equal(write_at(2, 2), TCORE_REQUEUE);
	assert_int_equal(regs[2].state, TCORE_COLD);
	assert_int_equal(write_at(3, 0), TCORE_GO);
	tcore_write_plan(&core, &ios[3].io);
	tcore_requeue_all(&core, &out);
	expect_out(0, TCORE_REQUEUE);
	expect_out(1, TCORE_REQUEUE);
	expect_out_empty();
	/* Held while suspending: back to dm, not acknowledged. */
	assert_int_equal(tcore_write_done(&core, &ios[3].io, 0, tnow, &out),
			 TCORE_REQUEUE);
	expect_out(3, TCORE_REQUEUE);
	assert_int_equal(regs[1].state, TCORE_REQUESTED);
	tcore_init(&to, regs2, NREG, NMEM, 5, ms, 1u << 2, 0);
	assert_true(tcore_take_over(&to, &core, 1u << 2));
	assert_true(to.reg == regs && core.reg == regs2);
	assert_true(to.attached && !core.attached);
	assert_int_equal(to.granted, 1);
	assert_int_equal(to.nlocked, 1);
	assert_int_equal(to.failed, (1u << 0) | (1u << 2));
	assert_int_equal(to.merr, (1u << 0) | (1u << 2));
	tcore_set_nowait(&to, false);
	{
		struct tcore save = core;

		core = to;
		/* GRANT_REQ 1 still owed, then the new member error. */
		expect_msg(DDRAID_CHAN_MEMBER_ERROR, 0, 0, EIO, 0);
		expect_msg(DDRAID_CHAN_MEMBER_ERROR, 2, 0, EIO, 0);
		expect_msg(DDRAID_CHAN_GRANT_REQ, 1, 0, 0, 0);
		expect_quiet();
		core = save;
	}
}

/* Bad input: out of range, messages the daemon does not send. */
static void test_bad_input(void **state)
{
	static const struct ddraid_chan_msg bad[] = {
		{ .type = DDRAID_CHAN_GRANT, .region = NREG },
		{ .type = DDRAID_CHAN_LOCK, .region = ~0ull },
		{ .type = DDRAID_CHAN_UNLOCK, .region = NREG + 5 },
		{ .type = DDRAID_CHAN_MEMBER_STATE, .region = NMEM, .flags = A },
		{ .type = DDRAID_CHAN_MEMBER_STATE, .region = 0, .flags = 0 },
		{ .type = DDRAID_CHAN_MEMBER_STATE, .region = 0, .flags = 9 },
		{ .type = DDRAID_CHAN_COMMIT_FAIL, .region = NMEM },
		{ .type = DDRAID_CHAN_PATH_RETRY, .region = 31 },
		{ .type = DDRAID_CHAN_FREEZE, .flags = 2 },
		{ .type = DDRAID_CHAN_HELLO, .region = NREG, .arg = NMEM },
		{ .type = DDRAID_CHAN_ATTACH },
		{ .type = DDRAID_CHAN_GRANT_REQ, .region = 1 },
		{ .type = DDRAID_CHAN_FROZEN },
		{ .type = 0 },
		{ .type = 99 },
	};
	u8 before[sizeof(core)], rbefore[sizeof(regs)];
	struct tcore_note n;
	size_t i;

	init_core(NULL, 0, 0);
	running();
	grant(1);
	write_planned(0, 1);
	assert_int_equal(write_at(1, 2), TCORE_WAIT);
	tcore_member_error(&core, 1u << 0);
	memcpy(before, &core, sizeof(core));
	memcpy(rbefore, regs, sizeof(regs));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tcore_apply(&core, &bad[i], tnow, &out, &n),
				 -EINVAL);
		assert_non_null(n.what);
		assert_memory_equal(before, &core, sizeof(core));
		assert_memory_equal(rbefore, regs, sizeof(regs));
		expect_out_empty();
	}
	/* A write into a region beyond the volume fails, counts nowhere. */
	assert_int_equal(write_at(2, NREG), TCORE_FAIL);
	assert_memory_equal(before, &core, sizeof(core));
	/* NULL note is allowed. */
	assert_int_equal(tcore_apply(&core, &bad[0], tnow, &out, NULL),
			 -EINVAL);
}

/* ---- the property test ---- */

/*
 * The reference model: the rules of docs/kernel-channel.md written as
 * plainly as possible. Every count is a scan over the IO; the gate is the
 * IO in arrival order; a skip is forgiven by marking the IO at the moment
 * of "rebuilding"/"active" instead of comparing generations.
 */
#define MW	24		/* IO slots */
#define MAXR	6
#define MAXM	5

enum { P_FREE, P_GATE, P_FROZEN, P_PASSED, P_PLANNED, P_HELD, P_READ };

struct mio {
	int phase;
	int kind;
	u64 region;
	u64 stamp;		/* order at the gate */
	u32 skip, own, errors, forgiven;
};

struct model {
	u32 members;
	u64 regions;
	bool attached, frozen, withdrawn, nowait;
	int hs;
	u64 cursor, seq, freezes, stamp;
	struct {
		int state;
		bool locked, lock_pending;
		u64 last;
		u8 out;
	} reg[MAXR];
	u64 order[MAXR];	/* regions owing something, in order */
	int norder;
	u32 failed, noread, absent, recorded, merr, out_merr, out_mdone;
	u32 mdone[MAXM], mstate[MAXM];
	u64 events, err_events[MAXM];
	bool drain_wait, out_frozen;
	struct mio io[MW];
};

static u32 mbits(u32 x)
{
	return (u32)__builtin_popcount(x);
}

static int count(const struct model *md, u64 r, int phase)
{
	int i, n = 0;

	for (i = 0; i < MW; i++)
		if (md->io[i].phase == phase && md->io[i].kind == TCORE_WRITE &&
		    (r == TCORE_NONE || md->io[i].region == r))
			n++;
	return n;
}

static int inflight(const struct model *md, u64 r)
{
	return count(md, r, P_PASSED) + count(md, r, P_PLANNED);
}

static void m_owe(struct model *md, u64 r, u8 what)
{
	int i;

	if (!md->attached)
		return;
	md->reg[r].out |= what;
	for (i = 0; i < md->norder; i++)
		if (md->order[i] == r)
			return;
	md->order[md->norder++] = r;
}

static void m_drained(struct model *md)
{
	if (md->drain_wait && !inflight(md, TCORE_NONE)) {
		md->drain_wait = false;
		if (md->attached)
			md->out_frozen = true;
	}
}

static bool m_may(const struct model *md, u64 r)
{
	return !md->frozen && !md->reg[r].locked &&
	       md->reg[r].state == TCORE_GRANTED;
}

/* A write at the gate; its verdict. */
static int m_gate(struct model *md, int i, u64 now)
{
	struct mio *w = &md->io[i];
	u64 r = w->region;

	if (md->withdrawn || r >= md->regions)
		return TCORE_FAIL;
	if (m_may(md, r)) {
		w->phase = P_PASSED;
		md->reg[r].last = now;
		return TCORE_GO;
	}
	if (md->nowait)
		return TCORE_REQUEUE;
	w->phase = P_GATE;
	w->stamp = ++md->stamp;
	if (md->reg[r].state == TCORE_COLD) {
		md->reg[r].state = TCORE_REQUESTED;
		m_owe(md, r, TCORE_OUT_GRANT_REQ);
	}
	return TCORE_WAIT;
}

/* Output of the model: verdict per IO slot, -1 none. */
static int mout[MW];

static void m_give(int i, int v)
{
	mout[i] = v;
}

static int m_settle(const struct model *md, const struct mio *w)
{
	u32 missed = w->skip | w->errors;
	u32 need = missed & ~md->recorded & ~w->forgiven;

	if (mbits(missed) > 1)
		return 3;
	if (!need)
		return 0;
	if (md->withdrawn)
		return 3;
	if (need & ~md->failed)
		return 2;
	return 1;
}

static void m_conclude(struct model *md, int i, u64 now)
{
	struct mio *w = &md->io[i];
	int v;

	switch (m_settle(md, w)) {
	case 0:
		w->phase = P_FREE;
		m_give(i, TCORE_DONE);
		return;
	case 3:
		w->phase = P_FREE;
		m_give(i, TCORE_FAIL);
		return;
	case 2:
		w->errors = 0;
		if (w->kind == TCORE_FLUSH) {
			w->phase = P_PASSED;
			m_give(i, TCORE_GO);
			return;
		}
		v = m_gate(md, i, now);
		if (v != TCORE_WAIT) {
			if (v != TCORE_GO)
				w->phase = P_FREE;
			m_give(i, v);
		}
		return;
	}
	if (md->nowait) {
		w->phase = P_FREE;
		m_give(i, TCORE_REQUEUE);
		return;
	}
	w->phase = P_HELD;
	w->stamp = ++md->stamp;
}

/* The write's member IO ended: the gate's count drops. */
static void m_unpass(struct model *md, int i, u64 now)
{
	u64 r = md->io[i].region;

	md->io[i].phase = P_FREE;
	if (md->io[i].kind != TCORE_WRITE)
		return;
	md->reg[r].last = now;
	m_drained(md);
}

/* A lock is drained once no write there is in flight or held. */
static void m_lock_drained(struct model *md, u64 r)
{
	if (md->reg[r].lock_pending && !inflight(md, r) &&
	    !count(md, r, P_HELD)) {
		md->reg[r].lock_pending = false;
		m_owe(md, r, TCORE_OUT_LOCKED);
	}
}

/* IO of @phase, in stamp order (the core's list order). */
static int m_sorted(const struct model *md, int phase, int *idx)
{
	int i, j, n = 0;

	for (i = 0; i < MW; i++)
		if (md->io[i].phase == phase)
			idx[n++] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && md->io[idx[j - 1]].stamp >
				     md->io[idx[j]].stamp; j--) {
			int t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	return n;
}

static void m_rethink(struct model *md, u64 now)
{
	int idx[MW], n = m_sorted(md, P_HELD, idx), k;

	for (k = 0; k < n; k++) {
		if (m_settle(md, &md->io[idx[k]]) == 1)
			continue;
		md->io[idx[k]].phase = P_FREE;
		if (md->io[idx[k]].kind == TCORE_WRITE)
			m_lock_drained(md, md->io[idx[k]].region);
		m_conclude(md, idx[k], now);
	}
}

static void m_release(struct model *md, u64 now)
{
	int idx[MW], n = m_sorted(md, P_GATE, idx), k;

	for (k = 0; k < n; k++) {
		struct mio *w = &md->io[idx[k]];

		if (!m_may(md, w->region))
			continue;
		w->phase = P_PASSED;
		md->reg[w->region].last = now;
		m_give(idx[k], TCORE_GO);
	}
}

static void m_drop_gate(struct model *md, u64 r, int v)
{
	int idx[MW], n = m_sorted(md, P_GATE, idx), k;

	for (k = 0; k < n; k++) {
		if (r != TCORE_NONE && md->io[idx[k]].region != r)
			continue;
		md->io[idx[k]].phase = P_FREE;
		m_give(idx[k], v);
	}
}

static void m_reads(struct model *md, int v)
{
	int idx[MW], n = m_sorted(md, P_FROZEN, idx), k;

	for (k = 0; k < n; k++) {
		md->io[idx[k]].phase = v == TCORE_GO ? P_READ : P_FREE;
		m_give(idx[k], v);
	}
}

static void m_member_error(struct model *md, u32 mask)
{
	u32 newly = mask & ~md->failed, rep, m;

	md->failed |= newly;
	rep = newly & ~md->merr & ~md->recorded;
	md->merr |= rep;
	for (m = 0; m < md->members; m++)
		if (rep & (1u << m))
			md->err_events[m] = md->events;
	if (md->attached)
		md->out_merr |= rep;
}

static int m_apply(struct model *md, const struct ddraid_chan_msg *c,
		   u64 now)
{
	u64 r = c->region;
	u32 m = (u32)r, b = 1u << (m & 31);
	int i;

	switch (c->type) {
	case DDRAID_CHAN_GRANT:
	case DDRAID_CHAN_LOCK:
	case DDRAID_CHAN_UNLOCK:
		if (r >= md->regions)
			return -EINVAL;
		break;
	case DDRAID_CHAN_FREEZE:
		if (c->flags & ~1u)
			return -EINVAL;
		break;
	case DDRAID_CHAN_THAW:
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		if (c->flags < 1 || c->flags > 3)
			return -EINVAL;
		/* fall through */
	case DDRAID_CHAN_COMMIT_FAIL:
	case DDRAID_CHAN_PATH_RETRY:
		if (r >= md->members)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	switch (c->type) {
	case DDRAID_CHAN_GRANT:
		if (md->reg[r].state != TCORE_REQUESTED)
			break;
		md->reg[r].out &= ~TCORE_OUT_GRANT_REQ;
		if (c->status) {
			md->reg[r].state = TCORE_COLD;
			m_drop_gate(md, r, TCORE_FAIL);
			break;
		}
		md->reg[r].state = TCORE_GRANTED;
		md->reg[r].last = now;
		m_release(md, now);
		break;
	case DDRAID_CHAN_LOCK:
		md->reg[r].locked = true;
		md->reg[r].lock_pending = true;
		m_lock_drained(md, r);
		break;
	case DDRAID_CHAN_UNLOCK:
		md->reg[r].locked = false;
		md->reg[r].lock_pending = false;
		m_release(md, now);
		break;
	case DDRAID_CHAN_FREEZE:
		md->frozen = true;
		md->freezes++;
		if (c->flags) {
			md->withdrawn = true;
			m_drop_gate(md, TCORE_NONE, TCORE_FAIL);
			m_reads(md, TCORE_FAIL);
			m_rethink(md, now);
		}
		md->drain_wait = true;
		m_drained(md);
		break;
	case DDRAID_CHAN_THAW:
		md->frozen = false;
		md->withdrawn = false;
		md->drain_wait = false;
		md->out_frozen = false;
		m_release(md, now);
		m_reads(md, TCORE_GO);
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		if (c->flags == F) {
			md->failed |= b;
		} else if (md->absent & b) {
			return 1;	/* nothing changes, no DONE */
		} else if (c->flags == A && (md->merr & b) &&
			   md->mstate[m] == A &&
			   c->arg < md->err_events[m] + 2) {
			if (md->attached)
				md->out_merr |= b;
		} else {
			if (c->flags == R)
				md->noread |= b;
			else
				md->noread &= ~b;
			md->failed &= ~b;
			md->recorded &= ~b;
			md->merr &= ~b;
			md->out_merr &= ~b;
			/* Forgive, eagerly: every IO planned so far. */
			for (i = 0; i < MW; i++)
				if (md->io[i].phase == P_PLANNED ||
				    md->io[i].phase == P_HELD)
					md->io[i].forgiven |= md->io[i].skip &
						~md->io[i].own & b;
			m_rethink(md, now);
		}
		md->mstate[m] = c->flags;
		if (c->arg > md->events)
			md->events = c->arg;
		md->mdone[m] = c->flags;
		if (md->attached)
			md->out_mdone |= b;
		break;
	case DDRAID_CHAN_COMMIT_FAIL:
		if (!(md->failed & b))
			break;
		md->recorded |= b;
		md->merr &= ~b;
		md->out_merr &= ~b;
		m_rethink(md, now);
		break;
	case DDRAID_CHAN_PATH_RETRY:
		if ((md->mstate[m] != A && md->mstate[m] != R) ||
		    !(md->failed & b) ||
		    (md->mstate[m] == A && (md->noread & b)) ||
		    (md->absent & b) || (md->recorded & b))
			break;
		md->failed &= ~b;
		md->merr &= ~b;
		md->out_merr &= ~b;
		m_rethink(md, now);
		break;
	}
	return 0;
}

static void m_attach(struct model *md)
{
	u64 r;

	md->attached = true;
	md->seq = 0;
	md->hs = 0;
	md->cursor = 0;
	md->out_merr = md->merr;
	md->out_mdone = 0;
	md->out_frozen = false;
	md->freezes = 0;
	for (r = 0; r < md->regions; r++)
		if (md->reg[r].state == TCORE_REQUESTED)
			m_owe(md, r, TCORE_OUT_GRANT_REQ);
	md->drain_wait = md->frozen;
	m_drained(md);
}

static void m_detach(struct model *md)
{
	u64 r;

	for (r = 0; r < md->regions; r++)
		md->reg[r].out = 0;
	md->norder = 0;
	md->attached = false;
	md->out_merr = md->out_mdone = 0;
	md->out_frozen = false;
}

static u32 m_low(u32 x)
{
	return (u32)__builtin_ctz(x);
}

static int m_next(struct model *md, struct ddraid_chan_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (!md->attached)
		return -EAGAIN;
	if (md->hs == 0) {
		m->type = DDRAID_CHAN_HELLO;
		m->region = md->regions;
		m->arg = md->members;
		m->flags = md->frozen ? 1 | (md->withdrawn ? 2 : 0) : 0;
		md->hs = 1;
	} else if (md->hs == 1) {
		for (; md->cursor < md->regions; md->cursor++) {
			u64 r = md->cursor;
			bool g = md->reg[r].state == TCORE_GRANTED;

			if (!g && !md->reg[r].locked)
				continue;
			m->type = DDRAID_CHAN_HELD;
			m->region = r;
			m->flags = md->reg[r].locked ? 1 | (g ? 0 : 2) : 0;
			md->cursor++;
			break;
		}
		if (!m->type) {
			m->type = DDRAID_CHAN_HELD_END;
			md->hs = 2;
		}
	} else if (md->out_merr) {
		m->type = DDRAID_CHAN_MEMBER_ERROR;
		m->region = m_low(md->out_merr);
		m->status = EIO;
		md->out_merr &= ~(1u << m->region);
	} else if (md->out_mdone) {
		m->type = DDRAID_CHAN_MEMBER_STATE_DONE;
		m->region = m_low(md->out_mdone);
		m->flags = md->mdone[m->region];
		md->out_mdone &= ~(1u << m->region);
	} else if (md->out_frozen) {
		md->out_frozen = false;
		m->type = DDRAID_CHAN_FROZEN;
		m->arg = md->freezes;
	} else {
		while (md->norder) {
			u64 r = md->order[0];
			u8 o = md->reg[r].out;

			if (o) {
				m->region = r;
				m->type = o & TCORE_OUT_IDLE ? DDRAID_CHAN_IDLE :
					  o & TCORE_OUT_GRANT_REQ ?
					  DDRAID_CHAN_GRANT_REQ :
					  DDRAID_CHAN_LOCKED;
				md->reg[r].out &= (u8)(o - 1);
			}
			if (!md->reg[r].out) {
				md->norder--;
				memmove(md->order, md->order + 1,
					md->norder * sizeof(md->order[0]));
			}
			if (o)
				break;
		}
		if (!m->type)
			return -EAGAIN;
	}
	m->seq = ++md->seq;
	return 0;
}

static void m_idle(struct model *md, u64 now, u64 idle)
{
	u64 r;

	if (!md->attached || md->hs != 2 || md->frozen)
		return;
	for (r = 0; r < md->regions; r++) {
		if (md->reg[r].state != TCORE_GRANTED || inflight(md, r) ||
		    count(md, r, P_GATE) || count(md, r, P_HELD) ||
		    md->reg[r].locked || md->reg[r].lock_pending ||
		    now < md->reg[r].last || now - md->reg[r].last < idle)
			continue;
		md->reg[r].state = TCORE_COLD;
		m_owe(md, r, TCORE_OUT_IDLE);
	}
}

/* ---- the random driver ---- */

static u64 rng;

static u64 rnd(u64 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static struct model md;
static struct tcore_region pregs[MAXR];
static struct tio pio[MW];
static char trace[64][160];
static int ntrace;

static void tr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(trace[ntrace % 64], sizeof(trace[0]), fmt, ap);
	va_end(ap);
	ntrace++;
}

static void dump_trace(void)
{
	int i = ntrace > 64 ? ntrace - 64 : 0;

	for (; i < ntrace; i++)
		fprintf(stderr, "  %s\n", trace[i % 64]);
}

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			dump_trace();					\
			fail_msg(__VA_ARGS__);				\
		}							\
	} while (0)

/* Compare the core's output list with the model's verdicts; act on both. */
static void compare_out(struct tcore_list *l, const char *what)
{
	struct tcore_io *io;
	int i, seen[MW] = { 0 };

	while ((io = tcore_list_pop(l))) {
		int id = tio_of(io)->id;

		CHECK(mout[id] == io->verdict,
		      "%s: io %d verdict %d, model %d", what, id,
		      io->verdict, mout[id]);
		if (io->verdict == TCORE_FAIL)
			CHECK(io->status != 0, "%s: io %d FAIL without errno",
			      what, id);
		seen[id] = 1;
	}
	for (i = 0; i < MW; i++) {
		CHECK(seen[i] || mout[i] < 0,
		      "%s: model released io %d (verdict %d), core did not",
		      what, i, mout[i]);
		mout[i] = -1;
	}
}

/* Compare the counts the core keeps with the model's scans. */
static void compare_counts(void)
{
	u64 r, w = 0, infl = 0, g = 0, lk = 0;
	int i, held = 0;

	for (r = 0; r < md.regions; r++) {
		CHECK(pregs[r].state == md.reg[r].state,
		      "region %llu state %d, model %d",
		      (unsigned long long)r, pregs[r].state, md.reg[r].state);
		CHECK(pregs[r].locked == md.reg[r].locked &&
		      pregs[r].lock_pending == md.reg[r].lock_pending,
		      "region %llu lock", (unsigned long long)r);
		CHECK(pregs[r].waiting == (u32)count(&md, r, P_GATE) &&
		      pregs[r].inflight == (u32)inflight(&md, r) &&
		      pregs[r].held == (u32)count(&md, r, P_HELD),
		      "region %llu counts %u/%u/%u, model %d/%d/%d",
		      (unsigned long long)r, pregs[r].waiting,
		      pregs[r].inflight, pregs[r].held, count(&md, r, P_GATE),
		      inflight(&md, r), count(&md, r, P_HELD));
		w += pregs[r].waiting;
		infl += pregs[r].inflight;
		g += pregs[r].state == TCORE_GRANTED;
		lk += pregs[r].locked;
	}
	for (i = 0; i < MW; i++)
		held += md.io[i].phase == P_HELD;
	CHECK(core.waiting == w && core.inflight == infl &&
	      core.granted == g && core.nlocked == lk &&
	      core.nheld == (u64)held, "totals");
	CHECK(core.failed == md.failed && core.noread == md.noread &&
	      core.recorded == md.recorded && core.merr == md.merr &&
	      core.frozen == md.frozen && core.withdrawn == md.withdrawn,
	      "member masks or modes differ: failed %#x/%#x recorded %#x/%#x merr %#x/%#x",
	      core.failed, md.failed, core.recorded, md.recorded, core.merr,
	      md.merr);
}

static void drain_msgs(int max)
{
	struct ddraid_chan_msg a, b;
	int k;

	for (k = 0; k < max; k++) {
		int ra = tcore_next_msg(&core, &a);
		int rb = m_next(&md, &b);

		CHECK(ra == rb, "next_msg: core %d model %d (model %s %llu)",
		      ra, rb, ddraid_chan_type_name(b.type),
		      (unsigned long long)b.region);
		if (ra)
			return;
		CHECK(!memcmp(&a, &b, sizeof(a)),
		      "message: core %s %llu arg %llu st %u fl %u seq %llu, model %s %llu arg %llu st %u fl %u seq %llu",
		      ddraid_chan_type_name(a.type),
		      (unsigned long long)a.region,
		      (unsigned long long)a.arg, a.status, a.flags,
		      (unsigned long long)a.seq,
		      ddraid_chan_type_name(b.type),
		      (unsigned long long)b.region,
		      (unsigned long long)b.arg, b.status, b.flags,
		      (unsigned long long)b.seq);
		tr("  -> %s %llu fl %u arg %llu", ddraid_chan_type_name(a.type),
		   (unsigned long long)a.region, a.flags,
		   (unsigned long long)a.arg);
	}
}

static int free_slot(void)
{
	int i, start = (int)rnd(MW);

	for (i = 0; i < MW; i++) {
		int k = (start + i) % MW;

		if (md.io[k].phase == P_FREE)
			return k;
	}
	return -1;
}

static int pick(int phase)
{
	int i, start = (int)rnd(MW);

	for (i = 0; i < MW; i++) {
		int k = (start + i) % MW;

		if (md.io[k].phase == phase)
			return k;
	}
	return -1;
}

static void one_step(u64 *clock)
{
	struct tcore_note n;
	int op = (int)rnd(100), i, v;
	u64 now2;

	*clock += rnd(3);
	now2 = *clock;
	if (op < 18) {			/* a write */
		i = free_slot();
		if (i < 0)
			return;
		tcore_io_init(&pio[i].io, TCORE_WRITE, rnd(md.regions + 1));
		md.io[i] = (struct mio){ .kind = TCORE_WRITE,
					 .region = pio[i].io.region };
		tr("write io %d region %llu", i,
		   (unsigned long long)md.io[i].region);
		v = tcore_write_enter(&core, &pio[i].io, now2);
		mout[i] = -1;
		{
			int mv = m_gate(&md, i, now2);

			CHECK(v == mv, "write_enter io %d: core %d model %d",
			      i, v, mv);
			if (mv != TCORE_GO && mv != TCORE_WAIT)
				md.io[i].phase = P_FREE;
		}
	} else if (op < 22) {		/* a flush */
		i = free_slot();
		if (i < 0)
			return;
		tcore_io_init(&pio[i].io, TCORE_FLUSH, 0);
		md.io[i] = (struct mio){ .kind = TCORE_FLUSH,
					 .region = TCORE_NONE,
					 .phase = P_PASSED };
		tr("flush io %d", i);
	} else if (op < 28) {		/* a read */
		i = free_slot();
		if (i < 0)
			return;
		tcore_io_init(&pio[i].io, TCORE_READ, 0);
		md.io[i] = (struct mio){ .kind = TCORE_READ,
					 .region = TCORE_NONE };
		tr("read io %d", i);
		v = tcore_read_enter(&core, &pio[i].io);
		if (md.withdrawn) {
			CHECK(v == TCORE_FAIL, "read withdrawn");
		} else if (!md.frozen) {
			CHECK(v == TCORE_GO, "read go");
			md.io[i].phase = P_READ;
		} else if (md.nowait) {
			CHECK(v == TCORE_REQUEUE, "read requeue");
		} else {
			CHECK(v == TCORE_WAIT, "read wait");
			md.io[i].phase = P_FROZEN;
			md.io[i].stamp = ++md.stamp;
		}
	} else if (op < 34) {		/* a read is planned and ends */
		i = pick(P_READ);
		if (i < 0)
			return;
		v = tcore_read_plan(&core, &pio[i].io);
		CHECK(v == (md.withdrawn ||
			    mbits(md.failed | md.noread) > 1 ? -EIO : 0) &&
		      pio[i].io.skip == (md.failed | md.noread),
		      "read plan io %d", i);
		tr("read io %d planned, ends", i);
		md.io[i].phase = P_FREE;
	} else if (op < 44) {		/* plan a write or flush */
		i = pick(P_PASSED);
		if (i < 0)
			return;
		v = tcore_write_plan(&core, &pio[i].io);
		tr("plan io %d: skip %#x", i, pio[i].io.skip);
		CHECK(pio[i].io.skip == md.failed &&
		      pio[i].io.own == (md.failed & md.merr) &&
		      v == (md.withdrawn || mbits(md.failed) > 1 ? -EIO : 0),
		      "plan io %d", i);
		md.io[i].skip = md.failed;
		md.io[i].own = md.failed & md.merr;
		md.io[i].errors = 0;
		md.io[i].forgiven = 0;
		if (v) {
			tcore_io_forget(&core, &pio[i].io, now2);
			m_unpass(&md, i, now2);
			if (md.io[i].kind == TCORE_WRITE)
				m_lock_drained(&md, md.io[i].region);
		} else {
			md.io[i].phase = P_PLANNED;
		}
	} else if (op < 58) {		/* member IO of a write ends */
		u32 err = 0;

		i = pick(P_PLANNED);
		if (i < 0)
			return;
		if (rnd(5) == 0)
			err = (1u << rnd(md.members)) & ~md.io[i].skip;
		tr("done io %d errors %#x", i, err);
		CHECK(tcore_member_error(&core, err) == (err & ~md.failed),
		      "member_error");
		m_member_error(&md, err);
		v = tcore_write_done(&core, &pio[i].io, err, now2, &out);
		md.io[i].errors = err;
		m_unpass(&md, i, now2);
		m_conclude(&md, i, now2);
		if (md.io[i].kind == TCORE_WRITE)
			m_lock_drained(&md, md.io[i].region);
		compare_out(&out, "write_done");
		(void)v;
	} else if (op < 62) {		/* attach or detach */
		if (md.attached && rnd(3)) {
			tr("detach");
			tcore_detach(&core);
			m_detach(&md);
		} else if (!md.attached) {
			tr("attach");
			tcore_attach(&core);
			m_attach(&md);
		}
	} else if (op < 66) {
		u64 idle = 1 + rnd(20);

		tr("idle scan at %llu, idle %llu", (unsigned long long)now2,
		   (unsigned long long)idle);
		CHECK(tcore_idle_scan(&core, 0, md.regions, now2, idle) ==
		      md.regions, "idle scan");
		m_idle(&md, now2, idle);
	} else if (op < 70) {
		if (md.nowait && rnd(2)) {
			tr("nowait off");
			md.nowait = false;
			tcore_set_nowait(&core, false);
		} else if (!md.nowait && rnd(8) == 0) {
			tr("nowait on, requeue all");
			md.nowait = true;
			tcore_set_nowait(&core, true);
			tcore_requeue_all(&core, &out);
			m_drop_gate(&md, TCORE_NONE, TCORE_REQUEUE);
			m_reads(&md, TCORE_REQUEUE);
			{
				int idx[MW], k, nh = m_sorted(&md, P_HELD, idx);

				for (k = 0; k < nh; k++) {
					md.io[idx[k]].phase = P_FREE;
					if (md.io[idx[k]].kind == TCORE_WRITE)
						m_lock_drained(&md,
							md.io[idx[k]].region);
					m_give(idx[k], TCORE_REQUEUE);
				}
			}
			compare_out(&out, "requeue_all");
		}
	} else if (op < 80) {
		drain_msgs((int)rnd(6));
	} else {			/* a daemon message */
		static const u16 types[] = {
			DDRAID_CHAN_GRANT, DDRAID_CHAN_GRANT,
			DDRAID_CHAN_GRANT, DDRAID_CHAN_LOCK,
			DDRAID_CHAN_UNLOCK, DDRAID_CHAN_UNLOCK,
			DDRAID_CHAN_FREEZE, DDRAID_CHAN_THAW,
			DDRAID_CHAN_THAW, DDRAID_CHAN_MEMBER_STATE,
			DDRAID_CHAN_MEMBER_STATE, DDRAID_CHAN_COMMIT_FAIL,
			DDRAID_CHAN_COMMIT_FAIL, DDRAID_CHAN_PATH_RETRY,
			DDRAID_CHAN_PATH_RETRY, DDRAID_CHAN_HELLO,
		};
		struct ddraid_chan_msg c = { 0 };
		int rc, mrc;

		c.type = types[rnd(sizeof(types) / sizeof(types[0]))];
		switch (c.type) {
		case DDRAID_CHAN_GRANT:
			c.status = rnd(6) == 0 ? EIO : 0;
			/* fall through */
		case DDRAID_CHAN_LOCK:
		case DDRAID_CHAN_UNLOCK:
			c.region = rnd(md.regions + (rnd(10) == 0));
			break;
		case DDRAID_CHAN_FREEZE:
			c.flags = rnd(3) == 0 ? DDRAID_CHAN_FREEZE_FAIL_IO :
				  rnd(30) == 0 ? 2 : 0;
			break;
		case DDRAID_CHAN_MEMBER_STATE:
			c.flags = 1 + (u32)rnd(3);
			c.arg = md.events + rnd(4) - (rnd(4) == 0);
			/* fall through */
		default:
			c.region = rnd(md.members + (rnd(10) == 0));
		}
		tr("daemon %s %llu arg %llu status %u flags %u",
		   ddraid_chan_type_name(c.type),
		   (unsigned long long)c.region, (unsigned long long)c.arg,
		   c.status, c.flags);
		rc = tcore_apply(&core, &c, now2, &out, &n);
		mrc = m_apply(&md, &c, now2);
		CHECK(rc == (mrc < 0 ? mrc : 0), "apply: core %d model %d",
		      rc, mrc);
		compare_out(&out, "apply");
	}
	compare_counts();
}

static void test_property(void **state)
{
	static const u32 nmem[] = { 2, 3, 5 };
	u64 seed;
	int step;

	for (seed = 1; seed <= 3000; seed++) {
		u32 mst[MAXM], m, outm;
		u64 clock = 100;

		rng = seed * 0x9e3779b97f4a7c15ull;
		memset(&md, 0, sizeof(md));
		ntrace = 0;
		md.members = nmem[rnd(3)];
		md.regions = 1 + rnd(MAXR);
		for (m = 0; m < md.members; m++)
			mst[m] = rnd(8) == 0 ? (u32)(1 + rnd(3)) : A;
		outm = rnd(4) == 0 ? 1u << rnd(md.members) : 0;
		md.absent = rnd(2) ? outm : 0;
		md.events = 5;
		tcore_init(&core, pregs, md.regions, md.members, 5, mst, outm,
			   md.absent);
		for (m = 0; m < md.members; m++) {
			md.mstate[m] = mst[m];
			if (mst[m] == F)
				md.failed |= 1u << m;
			if (mst[m] != A)
				md.noread |= 1u << m;
			if (mst[m] == A && (outm & (1u << m))) {
				md.merr |= 1u << m;
				md.err_events[m] = 5;
			}
		}
		md.failed |= outm;
		md.noread |= outm;
		md.frozen = true;
		memset(mout, 0xff, sizeof(mout));
		for (m = 0; m < MW; m++) {
			pio[m].id = (int)m;
			md.io[m].phase = P_FREE;
		}
		tr("seed %llu: %u members, %llu regions, out %#x absent %#x",
		   (unsigned long long)seed, md.members,
		   (unsigned long long)md.regions, outm, md.absent);
		for (step = 0; step < 400; step++)
			one_step(&clock);
		drain_msgs(1000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_frozen),
		cmocka_unit_test(test_grant_and_refusal),
		cmocka_unit_test(test_answered_request_owes_nothing),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_message_order),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_held_keeps_grant),
		cmocka_unit_test(test_member_failure),
		cmocka_unit_test(test_rebuilding_forgives),
		cmocka_unit_test(test_error_writes_again),
		cmocka_unit_test(test_active_two_generations),
		cmocka_unit_test(test_absent_member),
		cmocka_unit_test(test_sb_failure_not_committed),
		cmocka_unit_test(test_path_retry),
		cmocka_unit_test(test_path_retry_frozen),
		cmocka_unit_test(test_path_retry_rebuilding),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_freeze_fail_io),
		cmocka_unit_test(test_thaw_cancels_frozen),
		cmocka_unit_test(test_prefetch),
		cmocka_unit_test(test_prefetch_distance),
		cmocka_unit_test(test_prefetch_flow),
		cmocka_unit_test(test_nowait_and_take_over),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
