// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPG messages: header offsets of docs/cluster-protocol.md section 9, round
 * trips of every type (region runs, INIT tables, STATE parts, paths), and
 * refusal of bad input with a reason and the output untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cpgmsg.h"
#include "ddraid_crc32c.h"

static u8 runs3[3 * CPGMSG_RUN_BYTES];

static void put_run(u8 *raw, u32 i, u64 first, u64 count)
{
	ddr_put_le64(first, raw + i * CPGMSG_RUN_BYTES);
	ddr_put_le64(count, raw + i * CPGMSG_RUN_BYTES + 8);
}

static struct cpgmsg sample(u16 type)
{
	struct cpgmsg m;
	u32 i;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.sender = 0x01020304;
	m.seq = 0x1122334455667788ull;
	put_run(runs3, 0, 0, 3);
	put_run(runs3, 1, 10, 1);
	put_run(runs3, 2, 1ull << 40, 5);
	switch (type) {
	case MSG_STATE:
		m.part = 1;
		m.parts = 3;
		m.applied = 17;
		m.total = 9000;
		m.data = (const u8 *)"0123456789";
		m.data_len = 10;
		break;
	case MSG_INIT:
		m.events = 44;
		m.members = 5;
		for (i = 0; i < 5; i++)
			m.member_info[i].state = DDRAID_MEMBER_ACTIVE;
		m.member_info[3].state = DDRAID_MEMBER_REBUILDING;
		m.member_info[3].recovery_block = 4096;
		m.member_info[4].state = DDRAID_MEMBER_FAILED;
		m.member_info[4].failed_events = 43;
		m.slots[0] = 7;
		m.slots[31] = 9;
		break;
	case MSG_SLOT_PERSISTED:
		m.slot = 31;
		m.nodeid = 9;
		break;
	case MSG_ACQUIRE:
	case MSG_RELEASE:
	case MSG_LOCKED:
	case MSG_UNLOCK:
		m.region = 123456789;
		break;
	case MSG_LOCK:
		m.region = 5;
		m.purpose = LOCK_REBUILD;
		m.count = 7;
		break;
	case MSG_FENCED:
		m.nodeid = 12;
		m.torn.n = 1;
		m.torn.raw = runs3 + CPGMSG_RUN_BYTES;
		break;
	case MSG_ATTACH:
		m.host_member = 3;
		m.flags = ATTACH_DISK;
		m.host_events = 41;
		break;
	case MSG_MEMBER_PROBE:
		m.member = 4;
		m.err = 110;
		break;
	case MSG_PATH_OK:
		m.member = 4;
		break;
	case MSG_DETACH:
		m.flags = DETACH_WITHDRAW | DETACH_HOST_LEAVING;
		m.member = 2;
		break;
	case MSG_HISTORY:
		m.history = 0x300000007ull;
		m.events = 44;
		break;
	case MSG_MEMBER_FAIL:
		m.member = 8;
		m.err = 5;
		break;
	case MSG_MEMBER_FAILED:
	case MSG_REBUILD_DONE:
		m.member = 2;
		m.events = 99;
		break;
	case MSG_FAIL_APPLIED:
		m.member = 2;
		break;
	case MSG_REBUILD_READY:
		m.member = 2;
		m.err = 19;
		break;
	case MSG_REBUILD_START:
		m.member = 2;
		m.mode = REBUILD_FULL;
		m.path = "/dev/disk/by-id/nvme-new";
		m.path_len = (u32)strlen(m.path);
		break;
	case MSG_REBUILD_BEGIN:
		m.member = 2;
		m.events = 100;
		break;
	case MSG_REBUILD_PROGRESS:
		m.member = 2;
		m.region = 64;
		break;
	case MSG_SCRUB_START:
		m.mode = SCRUB_CHECK;
		m.label = 20788;	/* scheduled: the period from 2026-12-01 */
		break;
	case MSG_SCRUBBED:
		m.region = 65;
		m.mismatches = 7;
		m.err = 5;
		break;
	case MSG_TUNE:
		m.tune_set = 1u << TUNE_REBUILD_MAX | 1u << TUNE_MIN;
		m.tune_clear = 1u << TUNE_SCRUB_MAX;
		m.tune[TUNE_REBUILD_MAX] = 50000000;
		m.tune[TUNE_MIN] = CPGMSG_TUNE_MAX;
		break;
	}
	if (type == MSG_INIT || type == MSG_ATTACH || type == MSG_FENCED ||
	    type == MSG_REBUILD_BEGIN || type == MSG_HISTORY) {
		m.runs.n = 3;
		m.runs.raw = runs3;
	}
	return m;
}

static void test_header_offsets(void **state)
{
	struct cpgmsg m = sample(MSG_ACQUIRE);
	u8 b[64], copy[64];
	long n = cpgmsg_encode(&m, b, sizeof(b), NULL);

	assert_int_equal(n, 40);
	assert_memory_equal(b, "DDCP", 4);
	assert_int_equal(ddr_get_le16(b + 4), CPGMSG_VERSION);
	assert_int_equal(ddr_get_le16(b + 6), MSG_ACQUIRE);
	assert_int_equal(ddr_get_le32(b + 8), 0x01020304);
	assert_int_equal(ddr_get_le32(b + 12), 8);
	assert_true(ddr_get_le64(b + 16) == 0x1122334455667788ull);
	assert_int_equal(ddr_get_le32(b + 28), 0);
	assert_true(ddr_get_le64(b + 32) == 123456789);
	memcpy(copy, b, 40);
	memset(copy + 24, 0, 4);
	assert_int_equal(ddr_get_le32(b + 24), ddraid_crc32c(copy, 40));
}

static void test_round_trip_all_types(void **state)
{
	static u8 b[4096], again[4096];
	u16 t;

	for (t = 1; t <= MSG_TYPE_MAX; t++) {
		struct cpgmsg m = sample(t), out;
		long n = cpgmsg_encode(&m, b, sizeof(b), NULL), n2;
		u32 i;

		assert_true(n >= CPGMSG_HDR_BYTES);
		assert_int_equal((size_t)n, cpgmsg_size(&m));
		assert_int_equal(cpgmsg_decode(b, (size_t)n, &out, NULL), 0);
		assert_int_equal(out.type, t);
		assert_int_equal(out.sender, m.sender);
		assert_true(out.seq == m.seq);
		assert_string_not_equal(cpgmsg_type_name(t), "?");
		switch (t) {
		case MSG_STATE:
			assert_int_equal(out.part, 1);
			assert_int_equal(out.parts, 3);
			assert_true(out.applied == 17);
			assert_int_equal(out.total, 9000);
			assert_int_equal(out.data_len, 10);
			assert_memory_equal(out.data, "0123456789", 10);
			break;
		case MSG_INIT:
			assert_true(out.events == 44);
			assert_int_equal(out.members, 5);
			assert_memory_equal(out.member_info, m.member_info,
					    sizeof(m.member_info));
			assert_memory_equal(out.slots, m.slots,
					    sizeof(m.slots));
			break;
		case MSG_REBUILD_START:
			assert_int_equal(out.path_len, m.path_len);
			assert_memory_equal(out.path, m.path, m.path_len);
			assert_int_equal(out.mode, REBUILD_FULL);
			break;
		}
		assert_true(out.region == m.region && out.events == m.events &&
			    out.member == m.member && out.slot == m.slot &&
			    out.nodeid == m.nodeid &&
			    out.purpose == m.purpose && out.err == m.err &&
			    out.mode == m.mode && out.label == m.label &&
			    out.mismatches == m.mismatches &&
			    out.flags == m.flags &&
			    out.host_member == m.host_member &&
			    out.host_events == m.host_events &&
			    out.history == m.history &&
			    out.tune_set == m.tune_set &&
			    out.tune_clear == m.tune_clear &&
			    !memcmp(out.tune, m.tune, sizeof(m.tune)));
		assert_int_equal(out.runs.n, m.runs.n);
		assert_int_equal(out.torn.n, m.torn.n);
		for (i = 0; i < out.torn.n; i++) {
			u64 f1, c1, f2, c2;

			cpgmsg_run(&out.torn, i, &f1, &c1);
			cpgmsg_run(&m.torn, i, &f2, &c2);
			assert_true(f1 == f2 && c1 == c2);
		}
		for (i = 0; i < out.runs.n; i++) {
			u64 f1, c1, f2, c2;

			cpgmsg_run(&out.runs, i, &f1, &c1);
			cpgmsg_run(&m.runs, i, &f2, &c2);
			assert_true(f1 == f2 && c1 == c2);
		}
		n2 = cpgmsg_encode(&out, again, sizeof(again), NULL);
		assert_int_equal(n2, n);
		assert_memory_equal(again, b, (size_t)n);
	}
	assert_string_equal(cpgmsg_type_name(0), "?");
	assert_string_equal(cpgmsg_type_name(MSG_TYPE_MAX + 1), "?");
}

static void reseal(u8 *b, size_t n)
{
	memset(b + 24, 0, 4);
	ddr_put_le32(ddraid_crc32c(b, n), b + 24);
}

static void refused(const u8 *b, size_t n, int err, const char *want)
{
	struct cpgmsg out, before;
	const char *why = NULL;

	memset(&out, 0x6b, sizeof(out));
	before = out;
	assert_int_equal(cpgmsg_decode(b, n, &out, &why), err);
	assert_non_null(why);
	if (want)
		assert_string_equal(why, want);
	assert_memory_equal(&out, &before, sizeof(out));
}

static void test_refusals(void **state)
{
	static u8 good[4096], b[4096];
	struct cpgmsg m = sample(MSG_ATTACH);
	const char *why = NULL;
	long n = cpgmsg_encode(&m, good, sizeof(good), NULL);

	assert_true(n > 0);
	refused(good, 10, -ENODATA, NULL);
	memcpy(b, good, n);
	b[0] = 'x';
	refused(b, n, -ENODATA, NULL);
	memcpy(b, good, n);
	b[4] = CPGMSG_VERSION + 1;
	refused(b, n, -EPROTONOSUPPORT, "unsupported message version");
	memcpy(b, good, n);
	b[40] ^= 1;		/* payload change without resealing */
	refused(b, n, -EBADMSG, "checksum mismatch");
	refused(good, n - 1, -EINVAL, "body length does not match the message");
	memcpy(b, good, n);
	b[28] = 1;
	reseal(b, n);
	refused(b, n, -EINVAL, "reserved header field not zero");
	memcpy(b, good, n);
	b[6] = MSG_TYPE_MAX + 1;
	reseal(b, n);
	refused(b, n, -EINVAL, "unknown message type");
	memcpy(b, good, n);
	b[8] = b[9] = b[10] = b[11] = 0;
	reseal(b, n);
	refused(b, n, -EINVAL, "sender node id is zero");

	/* Runs: unsorted, touching, empty, overflowing. */
	put_run(runs3, 1, 3, 1);	/* touches [0,3) */
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "region runs not sorted and separate");
	memcpy(b, good, n);
	put_run(b + 56, 1, 3, 1);
	reseal(b, n);
	refused(b, n, -EINVAL, "region runs not sorted and separate");
	memcpy(b, good, n);
	put_run(b + 56, 1, 10, 0);
	reseal(b, n);
	refused(b, n, -EINVAL, "empty region run");
	memcpy(b, good, n);
	put_run(b + 56, 2, ~0ull, 2);
	reseal(b, n);
	refused(b, n, -EINVAL, "region run overflows");
	memcpy(b, good, n);
	ddr_put_le32(4, b + 48);	/* claims a 4th run */
	reseal(b, n);
	refused(b, n, -EINVAL, "body too short for its region runs");
	assert_int_equal(cpgmsg_runs_check(good + 56, 3, 1000, &why), -EINVAL);
	assert_string_equal(why, "region run beyond the volume");
	assert_int_equal(cpgmsg_runs_check(good + 56, 3, 0, &why), 0);

	/* Semantic fields. */
	m = sample(MSG_LOCK);
	m.purpose = LOCK_SCRUB + 1;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "unknown lock purpose");
	m = sample(MSG_SCRUB_START);
	m.mode = SCRUB_REPAIR + 1;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "unknown scrub mode");
	/* SCRUB_START: the label at body offset 4; any value is one (0: an
	 * operator's scrub), but the body is exactly 8 bytes. */
	m = sample(MSG_SCRUB_START);
	n = cpgmsg_encode(&m, b, sizeof(b), NULL);
	assert_int_equal(n, CPGMSG_HDR_BYTES + 8);
	assert_int_equal(ddr_get_le32(b + CPGMSG_HDR_BYTES + 4), 20788);
	m.label = 0;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), n);
	assert_int_equal(ddr_get_le32(b + CPGMSG_HDR_BYTES + 4), 0);
	ddr_put_le32(12, b + 12);	/* a body of 12 bytes */
	memset(b + n, 0, 4);
	reseal(b, (size_t)n + 4);
	refused(b, (size_t)n + 4, -EINVAL, "body length wrong for its type");
	m = sample(MSG_SCRUBBED);
	m.err = 4096;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "SCRUBBED errno out of range");
	/* A LOCK covers 1..CPGMSG_LOCK_SPAN_MAX regions; a scrub's one. */
	m = sample(MSG_LOCK);
	n = cpgmsg_encode(&m, b, sizeof(b), NULL);
	assert_int_equal(ddr_get_le32(b + 44), 7);
	ddr_put_le32(0, b + 44);
	reseal(b, n);
	refused(b, n, -EINVAL, "LOCK count out of range");
	ddr_put_le32(CPGMSG_LOCK_SPAN_MAX + 1, b + 44);
	reseal(b, n);
	refused(b, n, -EINVAL, "LOCK count out of range");
	ddr_put_le32(CPGMSG_LOCK_SPAN_MAX, b + 44);
	reseal(b, n);
	assert_int_equal(cpgmsg_decode(b, n, &m, &why), 0);
	assert_int_equal(m.count, CPGMSG_LOCK_SPAN_MAX);
	m = sample(MSG_LOCK);
	m.purpose = LOCK_SCRUB;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "a scrub LOCK covers one region");
	m.count = 1;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), n);
	m.purpose = LOCK_RESYNC;
	m.count = CPGMSG_LOCK_SPAN_MAX;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), n);
	m = sample(MSG_SLOT_PERSISTED);
	m.slot = 32;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_MEMBER_FAILED);
	m.member = 9;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "member index beyond 9");
	m = sample(MSG_REBUILD_START);
	m.path = "a\0b";
	m.path_len = 3;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "rebuild path holds a zero byte");
	m.path_len = 0;		/* a re-add: the device every node has */
	assert_true(cpgmsg_encode(&m, b, sizeof(b), &why) > 0);
	m.path_len = CPGMSG_PATH_MAX + 1;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_INIT);
	m.slots[5] = 7;		/* node 7 twice */
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "INIT node id in two slots");
	m = sample(MSG_INIT);
	m.members = 4;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_STATE);
	m.part = 3;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_ACQUIRE);
	assert_int_equal(cpgmsg_encode(&m, b, 39, &why), -ENOSPC);

	/* The messages of host, path and merge rules. */
	m = sample(MSG_ATTACH);
	m.flags = 0x2;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "unknown ATTACH flag");
	m = sample(MSG_ATTACH);
	m.host_member = CPGMSG_NO_MEMBER;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "ATTACH names a disk but no member");
	m.flags = 0;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "ATTACH events without a disk");
	m.host_events = 0;
	assert_true(cpgmsg_encode(&m, b, sizeof(b), &why) > 0);
	m = sample(MSG_ATTACH);
	m.host_member = 9;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_DETACH);
	m.flags = DETACH_HOST_LEAVING;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	assert_string_equal(why, "DETACH names a member but no withdrawal");
	m.member = CPGMSG_NO_MEMBER;
	assert_true(cpgmsg_encode(&m, b, sizeof(b), &why) > 0);
	m.flags = 0x4;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_MEMBER_PROBE);
	m.err = 4096;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_HISTORY);
	m.history = 0;
	assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
	m = sample(MSG_PATH_OK);
	n = cpgmsg_encode(&m, b, sizeof(b), NULL);
	b[36] = 1;		/* padding after the member */
	reseal(b, n);
	refused(b, n, -EINVAL, "padding not zero");
}

/* TUNE: its layout, and every rule of cpgmsg_tune_check() both ways. */
static void test_tune(void **state)
{
	static const struct {
		u32 set, clear;
		u64 tune[TUNE_N];
		const char *why;
	} bad[] = {
		{ 0, 0, { 0 }, "TUNE changes nothing" },
		{ 1u << TUNE_N, 0, { 0 }, "unknown TUNE field" },
		{ 0, 0x80000000u, { 0 }, "unknown TUNE field" },
		{ 1, 1, { 0 }, "TUNE both sets and clears a field" },
		{ 0, 2, { 0, 5, 0 }, "TUNE value of a field it does not set" },
		{ 1, 0, { 0, 0, 5 }, "TUNE value of a field it does not set" },
		{ 4, 0, { 0, 0, CPGMSG_TUNE_MAX + 1 }, "TUNE rate out of range" },
	};
	struct cpgmsg m = sample(MSG_TUNE), out;
	static u8 b[256], g[256];
	const char *why = NULL;
	long n;
	size_t i;

	n = cpgmsg_encode(&m, g, sizeof(g), NULL);
	assert_int_equal(n, CPGMSG_HDR_BYTES + 32);
	assert_int_equal(ddr_get_le32(g + 32), m.tune_set);
	assert_int_equal(ddr_get_le32(g + 36), m.tune_clear);
	assert_true(ddr_get_le64(g + 40) == 50000000);
	assert_true(ddr_get_le64(g + 48) == 0);
	assert_true(ddr_get_le64(g + 56) == CPGMSG_TUNE_MAX);
	/* clearing alone, and 0 (unlimited) set, are fine */
	m.tune_set = 1u << TUNE_SCRUB_MAX;
	m.tune_clear = 0;
	memset(m.tune, 0, sizeof(m.tune));
	assert_true(cpgmsg_encode(&m, b, sizeof(b), &why) > 0);
	m.tune_set = 0;
	m.tune_clear = TUNE_ALL;
	assert_true(cpgmsg_encode(&m, b, sizeof(b), &why) > 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = sample(MSG_TUNE);
		m.tune_set = bad[i].set;
		m.tune_clear = bad[i].clear;
		memcpy(m.tune, bad[i].tune, sizeof(m.tune));
		assert_int_equal(cpgmsg_encode(&m, b, sizeof(b), &why), -EINVAL);
		assert_string_equal(why, bad[i].why);
		assert_string_equal(cpgmsg_tune_check(bad[i].set, bad[i].clear,
						      bad[i].tune), bad[i].why);
		/* the same bytes, sealed, are refused by the decoder */
		memcpy(b, g, (size_t)n);
		ddr_put_le32(bad[i].set, b + 32);
		ddr_put_le32(bad[i].clear, b + 36);
		ddr_put_le64(bad[i].tune[0], b + 40);
		ddr_put_le64(bad[i].tune[1], b + 48);
		ddr_put_le64(bad[i].tune[2], b + 56);
		reseal(b, (size_t)n);
		refused(b, (size_t)n, -EINVAL, bad[i].why);
	}
	/* a body one word longer or shorter */
	memcpy(b, g, (size_t)n);
	ddr_put_le32(24, b + 12);
	reseal(b, (size_t)n - 8);
	refused(b, (size_t)n - 8, -EINVAL, "body too short for its type");
	memcpy(b, g, (size_t)n);
	memset(b + n, 0, 8);
	ddr_put_le32(40, b + 12);
	reseal(b, (size_t)n + 8);
	refused(b, (size_t)n + 8, -EINVAL, "body length wrong for its type");
	assert_int_equal(cpgmsg_decode(g, (size_t)n, &out, NULL), 0);
	assert_string_equal(cpgmsg_type_name(MSG_TUNE), "TUNE");
}

/* Any single bit flip is refused or re-encodes to the same bytes. */
static void test_bit_flips(void **state)
{
	static u8 good[4096], b[4096], again[4096];
	u16 t;

	for (t = 1; t <= MSG_TYPE_MAX; t++) {
		struct cpgmsg m = sample(t), out;
		long n = cpgmsg_encode(&m, good, sizeof(good), NULL);
		long bit;

		assert_true(n > 0);
		for (bit = 0; bit < n * 8; bit++) {
			memcpy(b, good, n);
			b[bit / 8] ^= (u8)(1 << (bit % 8));
			if (bit / 8 < 24 || bit / 8 >= 28)
				reseal(b, n);
			if (cpgmsg_decode(b, n, &out, NULL))
				continue;
			assert_int_equal(cpgmsg_encode(&out, again,
						       sizeof(again), NULL), n);
			assert_memory_equal(again, b, n);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_offsets),
		cmocka_unit_test(test_round_trip_all_types),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_tune),
		cmocka_unit_test(test_bit_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
