// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz the CPG message decoder: every daemon must take the same decision on
 * every delivered message, from any peer, of any version. Whatever the
 * decoder accepts must re-encode to exactly the same bytes, and every
 * refusal must say why.
 */
// fuzz-sources: cpg-daemon/cpgmsg.c
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../cpg-daemon/cpgmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 again[CPGMSG_HDR_BYTES + CPGMSG_BODY_MAX];
	struct cpgmsg m;
	const char *why = NULL;
	long n;

	if (cpgmsg_decode(data, size, &m, &why)) {
		if (!why)
			abort();
		return 0;
	}
	n = cpgmsg_encode(&m, again, sizeof(again), NULL);
	if (n < 0 || (size_t)n != size || memcmp(again, data, size))
		abort();
	return 0;
}

size_t fuzz_make_seed(unsigned int i, uint8_t *buf, size_t cap)
{
	static const u8 runs[3 * CPGMSG_RUN_BYTES] = {
		1, 0, 0, 0, 0, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,
		5, 0, 0, 0, 0, 0, 0, 0,  1, 0, 0, 0, 0, 0, 0, 0,
		9, 0, 0, 0, 0, 0, 0, 0,  7, 0, 0, 0, 0, 0, 0, 0,
	};
	struct cpgmsg m;
	long n;
	u32 k;

	if (i >= MSG_TYPE_MAX)
		return 0;
	memset(&m, 0, sizeof(m));
	m.type = (u16)(i + 1);
	m.sender = 3;
	m.seq = 77;
	m.region = 12;
	m.member = 1;
	m.events = 9;
	m.nodeid = 4;
	switch (m.type) {
	case MSG_STATE:
		m.parts = 2;
		m.part = 1;
		m.total = 100;
		m.data_len = 5;
		m.data = (const u8 *)"state";
		m.applied = 3;
		break;
	case MSG_INIT:
		m.members = 3;
		for (k = 0; k < 3; k++)
			m.member_info[k].state = DDRAID_MEMBER_ACTIVE;
		m.member_info[2].state = DDRAID_MEMBER_FAILED;
		m.member_info[2].failed_events = 9;
		m.slots[0] = 3;
		m.slots[1] = 4;
		break;
	case MSG_LOCK:
		m.purpose = LOCK_REBUILD;
		m.count = 3;
		break;
	case MSG_SLOT_PERSISTED:
		m.slot = 1;
		break;
	case MSG_MEMBER_FAIL:
		m.err = 5;
		break;
	case MSG_REBUILD_START:
		m.mode = REBUILD_BITMAP;
		m.path = "/dev/disk/by-id/x";
		m.path_len = 17;
		break;
	case MSG_SCRUB_START:
		m.mode = SCRUB_REPAIR;
		m.label = 20788;	/* a scheduled scrub's period */
		break;
	case MSG_SCRUBBED:
		m.mismatches = 3;
		m.err = 5;
		break;
	case MSG_ATTACH:
		m.host_member = 1;
		m.flags = ATTACH_DISK;
		m.host_events = 8;
		break;
	case MSG_MEMBER_PROBE:
	case MSG_REBUILD_READY:
		m.err = 110;
		break;
	case MSG_DETACH:
		m.flags = DETACH_WITHDRAW;
		break;
	case MSG_HISTORY:
		m.history = 0x300000001ull;
		break;
	case MSG_FENCED:
		m.torn.n = 1;
		m.torn.raw = runs + CPGMSG_RUN_BYTES;
		break;
	case MSG_TUNE:
		m.tune_set = 1u << TUNE_REBUILD_MAX | 1u << TUNE_MIN;
		m.tune_clear = 1u << TUNE_SCRUB_MAX;
		m.tune[TUNE_REBUILD_MAX] = 50000000;
		m.tune[TUNE_MIN] = 1000000;
		break;
	}
	if (m.type != MSG_LOCK && m.type != MSG_ACQUIRE &&
	    m.type != MSG_RELEASE && m.type != MSG_LOCKED &&
	    m.type != MSG_UNLOCK && m.type != MSG_REBUILD_PROGRESS &&
	    m.type != MSG_SCRUBBED)
		m.region = 0;
	if (m.type == MSG_INIT || m.type == MSG_ATTACH ||
	    m.type == MSG_FENCED || m.type == MSG_REBUILD_BEGIN ||
	    m.type == MSG_HISTORY) {
		m.runs.n = 3;
		m.runs.raw = runs;
	}
	n = cpgmsg_encode(&m, buf, cap, NULL);
	return n > 0 ? (size_t)n : 0;
}
