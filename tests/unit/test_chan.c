// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel channel messages: byte offsets of docs/kernel-channel.md, round
 * trips of every type, and refusal (with a reason, output untouched) of
 * every kind of bad message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ddraid_chan.h"
#include "ddraid_format.h"

static const struct ddraid_chan_limits lim = { 100, 5 };

static void test_offsets(void **state)
{
	struct ddraid_chan_msg m = {
		.type = DDRAID_CHAN_MEMBER_STATE, .seq = 0x0102030405060708ull,
		.region = 3, .arg = 0x1122334455667788ull,
		.flags = DDRAID_MEMBER_FAILED,
	};
	u8 b[DDRAID_CHAN_MSG_BYTES];
	int i;

	assert_int_equal(ddraid_chan_encode(&m, &lim, b, NULL), 0);
	assert_memory_equal(b, "DDKC", 4);
	assert_int_equal(b[4], 1);
	assert_int_equal(b[5], 0);
	assert_int_equal(b[6], 14);
	assert_int_equal(b[8], 0x08);
	assert_int_equal(b[15], 0x01);
	assert_int_equal(b[16], 3);
	assert_int_equal(b[24], 0x88);
	assert_int_equal(b[31], 0x11);
	assert_int_equal(b[36], 2);
	for (i = 40; i < 64; i++)
		assert_int_equal(b[i], 0);
}

/* A valid message of each type. */
static struct ddraid_chan_msg sample(u16 type)
{
	struct ddraid_chan_msg m = { .type = type, .seq = type * 11u };

	switch (type) {
	case DDRAID_CHAN_ATTACH:
		m.arg = 0xfd01;
		break;
	case DDRAID_CHAN_HELLO:
		m.region = 100;
		m.arg = 5;
		m.flags = DDRAID_CHAN_HELLO_FROZEN;
		break;
	case DDRAID_CHAN_HELD_END:
	case DDRAID_CHAN_THAW:
		break;
	case DDRAID_CHAN_FREEZE:
		m.flags = DDRAID_CHAN_FREEZE_FAIL_IO;
		break;
	case DDRAID_CHAN_FROZEN:
		m.arg = 3;
		break;
	case DDRAID_CHAN_GRANT:
		m.region = 99;
		m.status = EIO;
		break;
	case DDRAID_CHAN_MEMBER_ERROR:
		m.region = 4;
		m.status = EIO;
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		m.arg = 12;
		/* fall through */
	case DDRAID_CHAN_MEMBER_STATE_DONE:
		m.region = 1;
		m.flags = DDRAID_MEMBER_REBUILDING;
		break;
	case DDRAID_CHAN_COMMIT_FAIL:
	case DDRAID_CHAN_PATH_RETRY:
		m.region = 2;
		break;
	default:
		m.region = 42;
	}
	return m;
}

static void test_round_trip_all_types(void **state)
{
	u16 t;

	for (t = 1; t <= DDRAID_CHAN_TYPE_MAX; t++) {
		struct ddraid_chan_msg m = sample(t), out;
		u8 b[DDRAID_CHAN_MSG_BYTES];

		assert_int_equal(ddraid_chan_encode(&m, &lim, b, NULL), 0);
		memset(&out, 0xaa, sizeof(out));
		assert_int_equal(ddraid_chan_decode(b, sizeof(b), &lim, &out,
						    NULL), 0);
		assert_int_equal(out.type, m.type);
		assert_true(out.seq == m.seq && out.region == m.region &&
			    out.arg == m.arg && out.status == m.status &&
			    out.flags == m.flags);
		assert_true(ddraid_chan_direction(t) != 0);
		assert_string_not_equal(ddraid_chan_type_name(t), "?");
	}
	assert_int_equal(ddraid_chan_direction(0), 0);
	assert_int_equal(ddraid_chan_direction(19), 0);
	assert_string_equal(ddraid_chan_type_name(19), "?");
	/* The numbers and directions docs/kernel-channel.md gives. */
	assert_int_equal(DDRAID_CHAN_PATH_RETRY, 17);
	assert_int_equal(DDRAID_CHAN_FROZEN, 18);
	assert_int_equal(ddraid_chan_direction(DDRAID_CHAN_PATH_RETRY),
			 DDRAID_CHAN_TO_KERNEL);
	assert_int_equal(ddraid_chan_direction(DDRAID_CHAN_FROZEN),
			 DDRAID_CHAN_TO_DAEMON);
	assert_string_equal(ddraid_chan_type_name(DDRAID_CHAN_PATH_RETRY),
			    "PATH_RETRY");
	assert_string_equal(ddraid_chan_type_name(DDRAID_CHAN_FROZEN),
			    "FROZEN");
}

/* Decode @b and expect refusal with @err; the output must stay untouched. */
static void refused(const u8 *b, size_t len, int err, const char *want)
{
	struct ddraid_chan_msg out, before;
	const char *why = NULL;

	memset(&out, 0x5a, sizeof(out));
	before = out;
	assert_int_equal(ddraid_chan_decode(b, len, &lim, &out, &why), err);
	assert_non_null(why);
	if (want)
		assert_string_equal(why, want);
	assert_memory_equal(&out, &before, sizeof(out));
}

static void test_refusals(void **state)
{
	struct ddraid_chan_msg m = sample(DDRAID_CHAN_GRANT_REQ);
	u8 good[DDRAID_CHAN_MSG_BYTES], b[DDRAID_CHAN_MSG_BYTES];
	const char *why = NULL;

	assert_int_equal(ddraid_chan_encode(&m, &lim, good, NULL), 0);
	refused(good, 63, -EINVAL, "message is not 64 bytes");
	memcpy(b, good, 64);
	b[0] = 'X';
	refused(b, 64, -EINVAL, "bad magic");
	memcpy(b, good, 64);
	b[4] = 2;
	refused(b, 64, -EPROTONOSUPPORT, "unsupported version");
	memcpy(b, good, 64);
	b[63] = 1;
	refused(b, 64, -EINVAL, "reserved bytes not zero");
	memcpy(b, good, 64);
	b[6] = 19;
	refused(b, 64, -EINVAL, "unknown message type");
	b[6] = 0;
	refused(b, 64, -EINVAL, "unknown message type");
	memcpy(b, good, 64);
	b[16] = 100;		/* region == regions */
	refused(b, 64, -EINVAL, "region beyond the volume");
	memcpy(b, good, 64);
	b[24] = 1;		/* arg unused by GRANT_REQ */
	refused(b, 64, -EINVAL, "arg field not zero");
	memcpy(b, good, 64);
	b[36] = 1;
	refused(b, 64, -EINVAL, "flags field not zero");

	/* Member index, member state, errno range, HELLO facts. */
	m = sample(DDRAID_CHAN_MEMBER_STATE);
	m.region = 5;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "member index beyond the member count");
	m.region = 1;
	m.flags = 4;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "unknown member state");
	m = sample(DDRAID_CHAN_MEMBER_ERROR);
	m.status = 0;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	m.status = 4096;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	m = sample(DDRAID_CHAN_HELLO);
	m.arg = 4;
	assert_int_equal(ddraid_chan_encode(&m, NULL, b, &why), -EINVAL);
	m.arg = 3;		/* valid count, but not this volume's */
	assert_int_equal(ddraid_chan_encode(&m, NULL, b, NULL), 0);
	refused(b, 64, -EINVAL, "HELLO member count differs from the volume");
	m = sample(DDRAID_CHAN_HELLO);
	m.flags = 4;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "unknown HELLO flag");
	m.flags = DDRAID_CHAN_HELLO_FAIL_IO;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "HELLO flag FAIL_IO without FROZEN");
	m.flags = DDRAID_CHAN_HELLO_FROZEN | DDRAID_CHAN_HELLO_FAIL_IO;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, NULL), 0);

	/* FREEZE knows FAIL_IO only; PATH_RETRY names a member; FROZEN
	 * carries a count and nothing else. */
	m = sample(DDRAID_CHAN_FREEZE);
	m.flags = 2;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "unknown FREEZE flag");
	m.flags = 0;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, NULL), 0);
	m = sample(DDRAID_CHAN_PATH_RETRY);
	m.region = 5;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "member index beyond the member count");
	m.region = 4;
	m.arg = 1;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "arg field not zero");
	m = sample(DDRAID_CHAN_FROZEN);
	m.region = 1;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "region field not zero");
	m.region = 0;
	m.flags = DDRAID_CHAN_FREEZE_FAIL_IO;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "flags field not zero");

	/* HELD flags: LOCKED, LOCKED|NOGRANT; NOGRANT alone or unknown
	 * bits are refused. */
	m = sample(DDRAID_CHAN_HELD);
	m.flags = DDRAID_CHAN_HELD_LOCKED;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, NULL), 0);
	m.flags = DDRAID_CHAN_HELD_LOCKED | DDRAID_CHAN_HELD_NOGRANT;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, NULL), 0);
	m.flags = DDRAID_CHAN_HELD_NOGRANT;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "HELD flag NOGRANT without LOCKED");
	m.flags = 4;
	assert_int_equal(ddraid_chan_encode(&m, &lim, b, &why), -EINVAL);
	assert_string_equal(why, "unknown HELD flag");

	/* Without limits, only the type's own rules apply. */
	m = sample(DDRAID_CHAN_HELD);
	m.region = 1ull << 40;
	assert_int_equal(ddraid_chan_encode(&m, NULL, b, NULL), 0);
	refused(b, 64, -EINVAL, "region beyond the volume");
}

/* Any single bit flip in a valid message is either refused or decodes to a
 * message that re-encodes to the flipped bytes. */
static void test_bit_flips(void **state)
{
	u16 t;
	int bit;

	for (t = 1; t <= DDRAID_CHAN_TYPE_MAX; t++) {
		struct ddraid_chan_msg m = sample(t), out;
		u8 good[64], b[64], again[64];

		assert_int_equal(ddraid_chan_encode(&m, &lim, good, NULL), 0);
		for (bit = 0; bit < 64 * 8; bit++) {
			memcpy(b, good, 64);
			b[bit / 8] ^= (u8)(1 << (bit % 8));
			if (ddraid_chan_decode(b, 64, &lim, &out, NULL))
				continue;
			assert_int_equal(ddraid_chan_encode(&out, &lim, again,
							    NULL), 0);
			assert_memory_equal(again, b, 64);
			/* Only the type and the fields may change. */
			assert_true(bit / 8 >= 6 && bit / 8 < 40);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_round_trip_all_types),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bit_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
