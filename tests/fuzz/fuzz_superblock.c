// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the superblock decoder: it reads bytes from any disk it is pointed
 * at. Beyond "no crash, no sanitizer report", check the decoder's promise:
 * whatever it accepts validates, and re-encodes to exactly the same bytes
 * (so no field is silently ignored or normalised).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ddraid_format.h"
#include "ddraid_crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 again[DDRAID_SB_BYTES];
	struct ddraid_sb sb;
	const char *why = NULL;
	int r = ddraid_sb_decode(data, size, &sb, &why);

	if (r) {
		if (!why)
			abort();	/* every refusal says why */
		return 0;
	}
	if (ddraid_sb_validate(&sb, NULL))
		abort();
	if (ddraid_sb_encode(&sb, again, NULL))
		abort();
	if (memcmp(again, data, DDRAID_SB_BYTES))
		abort();
	return 0;
}

size_t fuzz_make_seed(unsigned int i, uint8_t *buf, size_t cap)
{
	static const u32 members[] = { 2, 3, 5, 9 };
	struct ddraid_sb sb;

	if (i >= 8 || cap < DDRAID_SB_BYTES)
		return 0;
	if (ddraid_layout_new(&sb, members[i % 4], (64ull << 20) << (i / 4 * 6),
			      DDRAID_REGION_DEFAULT))
		return 0;
	memcpy(sb.uuid, "fuzzfuzzfuzzfuzz", 16);
	strcpy(sb.name, i & 1 ? "vol" : "");
	sb.member_index = i % sb.members;
	sb.events = 3 + i;
	if (i >= 4) {
		sb.member[0].state = DDRAID_MEMBER_REBUILDING;
		sb.member[0].recovery_block = 17;
		sb.member[1].state = DDRAID_MEMBER_FAILED;
		sb.slot_nodeid[0] = 1;
		sb.slot_nodeid[5] = 2;
	}
	if (ddraid_sb_encode(&sb, buf, NULL))
		return 0;
	return DDRAID_SB_BYTES;
}
