// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who says a member is out (docs/cluster-protocol.md section 7, "host
 * loss", "path faults", "the last redundancy"). Every function here runs
 * on the delivery of a message or a configuration change, reads only the
 * RS, and so takes the same decision on every daemon.
 *
 *   - A member whose host (the node whose own disk it is) leaves the
 *     cluster, or whose host's own IO on it fails, is out.
 *   - Another node's IO error on it is a report: every attached node
 *     probes the member through its own path. The member is out when its
 *     host cannot reach it or more than half of the attached nodes
 *     cannot; otherwise each node that cannot has a path fault, its own
 *     problem: it retries, then withdraws (sm_target.c). One node's path
 *     never degrades the volume for the others.
 *   - While one member is out (failed, rebuilding or being recorded), no
 *     second one is: the IO that needs both fails on the nodes that see
 *     it, and the superblocks keep the second member usable for a forced
 *     assembly (ddraidctl assemble --force).
 */
#include "sm_internal.h"

static u32 popcount(u32 x)
{
	return (u32)__builtin_popcount(x);
}

int sm_other_out(const struct sm *sm, u32 m)
{
	const struct rs *rs = &sm->rs;
	u32 i;

	for (i = 0; i < sm->cfg.members; i++)
		if (i != m && (rs->member[i].state != DDRAID_MEMBER_ACTIVE ||
			       rs->pending_fail & (1u << i)))
			return (int)i;
	return -1;
}

static void end_round(struct rs *rs, u32 m)
{
	rs->probing &= ~(1u << m);
	rs->probe_voters[m] = 0;
	rs->probe_wait[m] = 0;
	rs->probe_bad[m] = 0;
}

bool rs_member_out(struct sm *sm, u32 m, const char *why,
		   struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	int other = sm_other_out(sm, m);

	if (rs->member[m].state == DDRAID_MEMBER_FAILED ||
	    rs->pending_fail & (1u << m))
		return true;
	if (other >= 0 && !(sm->debug & SM_DEBUG_FAIL_SECOND)) {
		fx_log(out, SM_LOG_ERR, "member %u %s, but member %d is out "
		       "already: member %u is not recorded failed (the last "
		       "redundancy is kept); IO that needs both fails",
		       m, why, other, m);
		return false;
	}
	rs->pending_fail |= 1u << m;
	end_round(rs, m);
	fx_log(out, SM_LOG_WARNING, "member %u out: %s", m, why);
	/* Parity cannot be checked without every member. */
	if (rs->sc_end == SCRUB_RUNNING)
		rs_scrub_stop(sm, SCRUB_DEGRADED, out);
	return true;
}

static void path_fault(struct sm *sm, u32 s, u32 m, struct sm_effects *out)
{
	struct rs_slot *sl = &sm->rs.slot[s];

	if (sl->path_bad & (1u << m))
		return;
	sl->path_bad |= 1u << m;
	fx_log(out, SM_LOG_WARNING, "node %u cannot reach member %u, which "
	       "the cluster reaches: a fault of its own path (it retries, "
	       "then withdraws)", sl->nodeid, m);
}

/*
 * Every node attached when the round began has answered (or left): judge
 * member m. Out when its host cannot reach it, or more than half of those
 * nodes cannot; else the nodes that cannot have path faults. A member
 * that may not go out (another is out) leaves them with path faults too:
 * their IO that needs it fails or waits there, and nowhere else.
 */
static void judge(struct sm *sm, u32 m, struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 att = rs_attached_mask(rs) & rs->probe_voters[m], bad, s;
	int host = rs_host_slot(rs, m);
	bool host_bad;

	rs->probe_wait[m] &= att;
	if (rs->probe_wait[m])
		return;
	bad = rs->probe_bad[m] & att;
	host_bad = host >= 0 && (bad & (1u << host));
	if (host_bad)
		rs->slot[host].disk_ok = 0;
	end_round(rs, m);
	if (host_bad || popcount(bad) * 2 > popcount(att)) {
		if (rs_member_out(sm, m, host_bad ? "its host cannot reach it" :
				  "most nodes cannot reach it", out))
			return;
	}
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		if (bad & (1u << s))
			path_fault(sm, s, m, out);
}

/* MEMBER_FAIL(m) from slot s: a report, judged by the rules above. */
void rs_member_report(struct sm *sm, u32 s, u32 m, u32 err,
		      struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 bit = 1u << s, att = rs_attached_mask(rs), i;
	int host = rs_host_slot(rs, m);

	if (rs->member[m].state == DDRAID_MEMBER_FAILED ||
	    rs->pending_fail & (1u << m))
		return;
	if (err == ECANCELED) {
		/* ddraidctl fail: the operator's word. */
		rs_member_out(sm, m, "failed by the operator", out);
		return;
	}
	if (host >= 0 && (u32)host == s)
		/* Its own disk failed it: no automatic re-add of that disk
		 * until its host attaches again and finds it usable. */
		rs->slot[s].disk_ok = 0;
	if ((host >= 0 && (u32)host == s) ||
	    (sm->debug & SM_DEBUG_FAIL_ON_REPORT)) {
		if (!rs_member_out(sm, m, "its host's own IO on it failed",
				   out))
			path_fault(sm, s, m, out);
		return;
	}
	if (!(att & bit))
		return;
	if (!(rs->probing & (1u << m))) {
		rs->probing |= 1u << m;
		rs->probe_voters[m] = att;
		rs->probe_wait[m] = att;
		fx_log(out, SM_LOG_NOTICE, "node %u cannot reach member %u "
		       "(errno %u): every node checks its own path to it",
		       rs->slot[s].nodeid, m, err);
	}
	/* A reporter that attached after the round began votes too. */
	rs->probe_voters[m] |= bit;
	rs->probe_bad[m] |= bit;
	/* Nodes known not to reach it answer no probe. */
	for (i = 0; i < DDRAID_BITMAP_SLOTS; i++)
		if (rs->slot[i].path_bad & (1u << m))
			rs->probe_bad[m] |= 1u << i;
	rs->probe_bad[m] &= rs->probe_voters[m];
	rs->probe_wait[m] &= ~rs->probe_bad[m];
	judge(sm, m, out);
}

/* MEMBER_PROBE(m, err) from slot s. */
void rs_member_probed(struct sm *sm, u32 s, u32 m, u32 err,
		      struct sm_effects *out)
{
	struct rs *rs = &sm->rs;

	if (!(rs->probing & (1u << m)) || !(rs->probe_wait[m] & (1u << s)))
		return;
	rs->probe_wait[m] &= ~(1u << s);
	if (err)
		rs->probe_bad[m] |= 1u << s;
	judge(sm, m, out);
}

void rs_probe_drop_slot(struct sm *sm, u32 s, struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	u32 m;

	rs->slot[s].path_bad = 0;
	for (m = 0; m < sm->cfg.members; m++) {
		if (!(rs->probing & (1u << m)))
			continue;
		rs->probe_voters[m] &= ~(1u << s);
		rs->probe_wait[m] &= ~(1u << s);
		rs->probe_bad[m] &= ~(1u << s);
		judge(sm, m, out);
	}
}

/*
 * The node of slot s left the cluster (NODEDOWN) or stops with its disk
 * (DETACH with HOST_LEAVING): the member it hosts is out. Even if it comes
 * back within the transport's reconnect window, what its disk cache held
 * may be gone: it returns through a rebuild (section 8), never as it was.
 */
void rs_host_gone(struct sm *sm, u32 s, const char *why,
		  struct sm_effects *out)
{
	u32 m = sm->rs.slot[s].hosts;

	if (m >= sm->cfg.members || (sm->debug & SM_DEBUG_NO_HOSTS))
		return;
	if (sm->rs.member[m].state == DDRAID_MEMBER_FAILED)
		return;
	rs_member_out(sm, m, why, out);
}

/* Member m is recorded failed: nothing left to judge about it. */
void rs_member_failed(struct sm *sm, u32 m)
{
	struct rs *rs = &sm->rs;
	u32 s;

	end_round(rs, m);
	for (s = 0; s < DDRAID_BITMAP_SLOTS; s++)
		rs->slot[s].path_bad &= ~(1u << m);
}

/*
 * ATTACH from slot s names the member its node hosts. One host per
 * member: a second claim while the first host is still around is
 * refused (logged), so a misconfigured node cannot take a member out.
 */
void rs_set_host(struct sm *sm, u32 s, const struct cpgmsg *msg,
		 struct sm_effects *out)
{
	struct rs *rs = &sm->rs;
	struct rs_slot *sl = &rs->slot[s];
	u32 m = msg->host_member;
	int cur;

	sl->hosts = CPGMSG_NO_MEMBER;
	sl->disk_ok = 0;
	sl->disk_events = 0;
	if (m == CPGMSG_NO_MEMBER)
		return;
	if (m >= sm->cfg.members) {
		fx_log(out, SM_LOG_ERR, "node %u says it hosts member %u of "
		       "%u: ignored", sl->nodeid, m, sm->cfg.members);
		return;
	}
	cur = rs_host_slot(rs, m);
	if (cur >= 0 && (u32)cur != s &&
	    (rs->slot[cur].status == SS_VIEW ||
	     rs->slot[cur].status == SS_ORPHAN)) {
		fx_log(out, SM_LOG_ERR, "node %u says it hosts member %u, "
		       "which node %u hosts: ignored", sl->nodeid, m,
		       rs->slot[cur].nodeid);
		return;
	}
	if (cur >= 0)
		rs->slot[cur].hosts = CPGMSG_NO_MEMBER;
	sl->hosts = m;
	sl->disk_ok = !!(msg->flags & ATTACH_DISK);
	sl->disk_events = msg->host_events;
}
