// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the kernel channel decoder: the kernel reads these bytes from a
 * process, the daemon from the kernel. Whatever the decoder accepts must
 * re-encode to exactly the same bytes (no field ignored or normalised), and
 * every refusal must say why.
 */
// fuzz-sources: common/ddraid_chan.c
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ddraid_chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* First byte picks the limits, so both modes are explored. */
	static const struct ddraid_chan_limits lims[2] = {
		{ 0, 0 }, { 1000, 5 },
	};
	const struct ddraid_chan_limits *lim;
	struct ddraid_chan_msg m;
	u8 again[DDRAID_CHAN_MSG_BYTES];
	const char *why = NULL;

	if (!size)
		return 0;
	lim = &lims[data[0] & 1];
	data++;
	size--;
	if (ddraid_chan_decode(data, size, lim, &m, &why)) {
		if (!why)
			abort();
		return 0;
	}
	if (ddraid_chan_encode(&m, lim, again, NULL))
		abort();
	if (memcmp(again, data, DDRAID_CHAN_MSG_BYTES))
		abort();
	return 0;
}

size_t fuzz_make_seed(unsigned int i, uint8_t *buf, size_t cap)
{
	struct ddraid_chan_msg m = { 0 };

	if (i >= DDRAID_CHAN_TYPE_MAX || cap < 1 + DDRAID_CHAN_MSG_BYTES)
		return 0;
	m.type = (u16)(i + 1);
	m.seq = 100 + i;
	switch (m.type) {
	case DDRAID_CHAN_ATTACH:
		m.arg = 0xfd00;
		break;
	case DDRAID_CHAN_HELLO:
		m.region = 1000;
		m.arg = 5;
		break;
	case DDRAID_CHAN_MEMBER_ERROR:
		m.region = 2;
		m.status = 5;
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		m.arg = 7;
		/* fall through */
	case DDRAID_CHAN_MEMBER_STATE_DONE:
		m.region = 4;
		m.flags = 2;
		break;
	case DDRAID_CHAN_COMMIT_FAIL:
	case DDRAID_CHAN_PATH_RETRY:
		m.region = 1;
		break;
	case DDRAID_CHAN_FREEZE:
		m.flags = DDRAID_CHAN_FREEZE_FAIL_IO;
		break;
	case DDRAID_CHAN_FROZEN:
		m.arg = 2;
		break;
	case DDRAID_CHAN_HELD_END:
	case DDRAID_CHAN_THAW:
		break;
	default:
		m.region = 999;
	}
	buf[0] = 1;
	if (ddraid_chan_encode(&m, NULL, buf + 1, NULL))
		return 0;
	return 1 + DDRAID_CHAN_MSG_BYTES;
}
