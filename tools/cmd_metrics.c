// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl metrics: the state and counters of running volumes in the
 * Prometheus text format, for node_exporter's textfile collector. A
 * volume with a ddraidd is read from the daemon's status (the same reply
 * as ddraidctl status --json), a standalone one from its device-mapper
 * status. Samples of one metric are printed together, after its HELP and
 * TYPE lines, whatever the number of volumes.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dm_util.h"

enum metric {
	M_UP, M_MEMBER_STATE, M_MEMBERS_OUT, M_QUORATE, M_ATTACHED, M_FROZEN,
	M_EVENTS, M_REGIONS, M_DIRTY, M_FENCE_WAIT, M_NODES,
	M_REBUILD_ACTIVE, M_REBUILD_DONE, M_REBUILD_TOTAL,
	M_SCRUB_ACTIVE, M_SCRUB_DONE, M_SCRUB_MISMATCHES, M_SCRUB_REPAIRED,
	M_CPG_RX, M_CPG_TX, M_CPG_REFUSED, M_CPG_WAITED, M_CPG_QUEUED,
	M_IO, M_IO_QUEUED, M_EVENTS_TOTAL,
	M_DM_IO, M_DM_GRANTED, M_DM_WAITING, M_DM_INFLIGHT, M_DM_HELD,
	M_COUNT
};

static const struct {
	const char *name, *type, *help;
} defs[M_COUNT] = {
	[M_UP] = { "ddraid_up", "gauge",
		"1 when the volume's state could be read (its ddraidd answered, or its dm device)" },
	[M_MEMBER_STATE] = { "ddraid_member_state", "gauge",
		"1 for the state the member is in (active, failed, rebuilding, absent)" },
	[M_MEMBERS_OUT] = { "ddraid_members_out", "gauge",
		"members not active: 0 healthy, 1 degraded, 2 or more failed" },
	[M_QUORATE] = { "ddraid_quorate", "gauge",
		"1 when this node's partition has quorum" },
	[M_ATTACHED] = { "ddraid_attached", "gauge",
		"1 when this node's target is attached to the cluster" },
	[M_FROZEN] = { "ddraid_frozen", "gauge",
		"1 when this node's target is frozen (no quorum)" },
	[M_EVENTS] = { "ddraid_superblock_events", "gauge",
		"the volume's event counter (superblock generation)" },
	[M_REGIONS] = { "ddraid_regions", "gauge",
		"write-intent regions of the volume" },
	[M_DIRTY] = { "ddraid_dirty_regions", "gauge",
		"regions waiting for a resync" },
	[M_FENCE_WAIT] = { "ddraid_fence_wait_regions", "gauge",
		"regions of departed nodes waiting for their fencing" },
	[M_NODES] = { "ddraid_nodes", "gauge",
		"nodes whose daemon is in the cluster view" },
	[M_REBUILD_ACTIVE] = { "ddraid_rebuild_active", "gauge",
		"1 while a member is rebuilt" },
	[M_REBUILD_DONE] = { "ddraid_rebuild_done_regions", "gauge",
		"regions of the running rebuild done" },
	[M_REBUILD_TOTAL] = { "ddraid_rebuild_total_regions", "gauge",
		"regions the running rebuild walks" },
	[M_SCRUB_ACTIVE] = { "ddraid_scrub_active", "gauge",
		"1 while a scrub runs" },
	[M_SCRUB_DONE] = { "ddraid_scrub_done_regions", "gauge",
		"regions the running or last scrub checked" },
	[M_SCRUB_MISMATCHES] = { "ddraid_scrub_mismatch_blocks", "gauge",
		"blocks whose parity differed in the running or last scrub" },
	[M_SCRUB_REPAIRED] = { "ddraid_scrub_repaired_blocks", "gauge",
		"of those, blocks whose parity was rewritten" },
	[M_CPG_RX] = { "ddraid_cpg_received_total", "counter",
		"CPG messages delivered to this daemon" },
	[M_CPG_TX] = { "ddraid_cpg_sent_total", "counter",
		"CPG messages this daemon sent" },
	[M_CPG_REFUSED] = { "ddraid_cpg_refused_total", "counter",
		"CPG messages dropped as invalid" },
	[M_CPG_WAITED] = { "ddraid_cpg_send_waited_total", "counter",
		"sends that found corosync's queue full" },
	[M_CPG_QUEUED] = { "ddraid_cpg_send_queue_bytes", "gauge",
		"bytes waiting in the daemon's queue for room in corosync" },
	[M_IO] = { "ddraid_daemon_io_total", "counter",
		"the daemon's own IO by kind (bitmap, superblock, resync, rebuild, scrub, probes, errors)" },
	[M_IO_QUEUED] = { "ddraid_daemon_io_queued", "gauge",
		"IO effects waiting for the daemon's IO worker" },
	[M_EVENTS_TOTAL] = { "ddraid_operator_events_total", "counter",
		"operator events the daemon derived (ddraidctl events)" },
	[M_DM_IO] = { "ddraid_target_io_total", "counter",
		"the kernel target's counters (dmsetup status): reads, writes, reconstructs, member_errors, mismatches" },
	[M_DM_GRANTED] = { "ddraid_target_granted_regions", "gauge",
		"regions the kernel target holds a grant for" },
	[M_DM_WAITING] = { "ddraid_target_waiting_writes", "gauge",
		"writes waiting at the kernel target's gate" },
	[M_DM_INFLIGHT] = { "ddraid_target_inflight_writes", "gauge",
		"writes past the gate not yet done on the members" },
	[M_DM_HELD] = { "ddraid_target_held_writes", "gauge",
		"writes done whose completion waits for a failure to be recorded" },
};

struct sample {
	enum metric m;
	char labels[160];
	u64 value;
};

struct samples {
	struct sample *s;
	size_t n;
};

static void put(struct samples *ss, enum metric m, u64 value,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void put(struct samples *ss, enum metric m, u64 value,
		const char *fmt, ...)
{
	struct sample *p = realloc(ss->s, (ss->n + 1) * sizeof(*p));
	va_list ap;

	if (!p)
		return;
	ss->s = p;
	p = &ss->s[ss->n++];
	p->m = m;
	p->value = value;
	va_start(ap, fmt);
	vsnprintf(p->labels, sizeof(p->labels), fmt, ap);
	va_end(ap);
}

static u64 num(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
		(u64)json_object_get_int64(v) : 0;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
		json_object_get_string(v) : "";
}

static const char *const states[] = { "active", "failed", "rebuilding",
				      "absent" };

static void member_states(struct samples *ss, const char *vol, unsigned int i,
			  const char *state)
{
	size_t s;

	for (s = 0; s < sizeof(states) / sizeof(states[0]); s++)
		put(ss, M_MEMBER_STATE, !strcmp(state, states[s]),
		    "volume=\"%s\",member=\"%u\",state=\"%s\"", vol, i,
		    states[s]);
}

/* A volume with a ddraidd: its status reply. */
static int daemon_samples(struct samples *ss, const char *vol)
{
	static const char *const io_kinds[] = {
		"bit_sets", "bit_clears", "sb_writes", "resynced_regions",
		"resynced_blocks", "rebuilt_regions", "scrubbed_regions",
		"scrub_mismatches", "scrub_repaired", "errors", "probes",
		"probe_errors", "flushes",
	};
	json_object *req, *r = NULL, *a, *x;
	u64 out = 0, in_view = 0;
	size_t i;
	int ret;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	ret = cli_ctl_ask(vol, req, &r, false);
	json_object_put(req);
	if (!ret && !json_object_object_get_ex(r, "members", &a)) {
		cli_err("volume '%s': ddraidd's status has no members: %s", vol,
			str(r, "error"));
		ret = CLI_FAIL;
	}
	put(ss, M_UP, !ret, "volume=\"%s\"", vol);
	if (ret) {
		json_object_put(r);
		return ret;
	}
	for (i = 0; i < json_object_array_length(a); i++) {
		x = json_object_array_get_idx(a, i);
		member_states(ss, vol, (unsigned int)i, str(x, "state"));
		out += strcmp(str(x, "state"), "active") != 0;
	}
	put(ss, M_MEMBERS_OUT, out, "volume=\"%s\"", vol);
	put(ss, M_QUORATE, !strcmp(str(r, "quorate"), "true"), "volume=\"%s\"", vol);
	put(ss, M_ATTACHED, !strcmp(str(r, "attached"), "true"), "volume=\"%s\"", vol);
	put(ss, M_FROZEN, !strcmp(str(r, "frozen"), "true"), "volume=\"%s\"", vol);
	put(ss, M_EVENTS, num(r, "events"), "volume=\"%s\"", vol);
	put(ss, M_REGIONS, num(r, "regions"), "volume=\"%s\"", vol);
	put(ss, M_DIRTY, num(r, "dirty"), "volume=\"%s\"", vol);
	put(ss, M_FENCE_WAIT, num(r, "fence_wait"), "volume=\"%s\"", vol);
	if (json_object_object_get_ex(r, "nodes", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			in_view += !strcmp(str(x, "attached"), "true");
		}
	put(ss, M_NODES, in_view, "volume=\"%s\"", vol);
	if (json_object_object_get_ex(r, "rebuild", &x)) {
		bool on = !strcmp(str(x, "active"), "true");

		put(ss, M_REBUILD_ACTIVE, on, "volume=\"%s\"", vol);
		put(ss, M_REBUILD_DONE, num(x, "done"), "volume=\"%s\"", vol);
		put(ss, M_REBUILD_TOTAL, num(x, "total"), "volume=\"%s\"", vol);
	}
	if (json_object_object_get_ex(r, "scrub", &x)) {
		put(ss, M_SCRUB_ACTIVE, !strcmp(str(x, "active"), "true"),
		    "volume=\"%s\"", vol);
		put(ss, M_SCRUB_DONE, num(x, "done"), "volume=\"%s\"", vol);
		put(ss, M_SCRUB_MISMATCHES, num(x, "mismatches"), "volume=\"%s\"", vol);
		put(ss, M_SCRUB_REPAIRED, num(x, "repaired"), "volume=\"%s\"", vol);
	}
	if (json_object_object_get_ex(r, "cpg", &x)) {
		put(ss, M_CPG_RX, num(x, "rx"), "volume=\"%s\"", vol);
		put(ss, M_CPG_TX, num(x, "tx"), "volume=\"%s\"", vol);
		put(ss, M_CPG_REFUSED, num(x, "refused"), "volume=\"%s\"", vol);
		put(ss, M_CPG_WAITED, num(x, "send_waited"), "volume=\"%s\"", vol);
		put(ss, M_CPG_QUEUED, num(x, "send_queued_bytes"), "volume=\"%s\"", vol);
	}
	if (json_object_object_get_ex(r, "io", &x)) {
		for (i = 0; i < sizeof(io_kinds) / sizeof(io_kinds[0]); i++)
			put(ss, M_IO, num(x, io_kinds[i]),
			    "volume=\"%s\",kind=\"%s\"", vol, io_kinds[i]);
		put(ss, M_IO_QUEUED, num(x, "queued"), "volume=\"%s\"", vol);
	}
	put(ss, M_EVENTS_TOTAL, num(r, "event_count"), "volume=\"%s\"", vol);
	json_object_put(r);
	return CLI_OK;
}

/* A dm device: its status line (standalone, or a cluster volume's). */
static int dm_samples(struct samples *ss, const char *vol, bool quiet)
{
	static const char *const io_kinds[] = {
		"reads", "writes", "reconstructs", "member_errors",
		"mismatches",
	};
	struct ddraid_dm_status st;
	char err[DDRAID_ERRMSG_MAX];
	u64 ctr[5];
	unsigned int i, out = 0;

	if (ddraid_dm_status(vol, &st, err, sizeof(err))) {
		if (!quiet)
			cli_err("%s", err);
		return CLI_FAIL;
	}
	ctr[0] = st.reads;
	ctr[1] = st.writes;
	ctr[2] = st.reconstructs;
	ctr[3] = st.member_errors;
	ctr[4] = st.mismatches;
	for (i = 0; i < 5; i++)
		put(ss, M_DM_IO, ctr[i], "volume=\"%s\",kind=\"%s\"", vol,
		    io_kinds[i]);
	if (st.cluster) {
		put(ss, M_DM_GRANTED, st.granted, "volume=\"%s\"", vol);
		put(ss, M_DM_WAITING, st.waiting, "volume=\"%s\"", vol);
		put(ss, M_DM_INFLIGHT, st.inflight, "volume=\"%s\"", vol);
		put(ss, M_DM_HELD, st.held, "volume=\"%s\"", vol);
		return CLI_OK;
	}
	/* Standalone: the member states are the target's own. */
	put(ss, M_UP, 1, "volume=\"%s\"", vol);
	for (i = 0; i < st.members; i++) {
		member_states(ss, vol, i, ddraid_dm_health_name(st.health[i]));
		out += st.health[i] != 'A';
	}
	put(ss, M_MEMBERS_OUT, out, "volume=\"%s\"", vol);
	return CLI_OK;
}

static int volume_samples(struct samples *ss, const char *vol)
{
	bool dm = ddraid_dm_available();
	int r;

	if (cli_ctl_exists(vol)) {
		r = daemon_samples(ss, vol);
		/* Its kernel target's counters too, when there is one. */
		if (dm)
			dm_samples(ss, vol, true);
		return r;
	}
	if (dm && !dm_samples(ss, vol, true))
		return CLI_OK;
	cli_err_no_volume(vol);
	return CLI_FAIL;
}

static void print(const struct samples *ss)
{
	size_t i;
	int m;
	bool head;

	for (m = 0; m < M_COUNT; m++) {
		head = false;
		for (i = 0; i < ss->n; i++) {
			if (ss->s[i].m != (enum metric)m)
				continue;
			if (!head) {
				printf("# HELP %s %s\n# TYPE %s %s\n",
				       defs[m].name, defs[m].help,
				       defs[m].name, defs[m].type);
				head = true;
			}
			printf("%s{%s} %" PRIu64 "\n", defs[m].name,
			       ss->s[i].labels, ss->s[i].value);
		}
	}
}

int cmd_metrics(const struct cli_args *a)
{
	struct samples ss = { 0 };
	struct cli_vol *v;
	unsigned int i, n;
	int r = CLI_OK;

	if (a->argc) {
		r = volume_samples(&ss, a->argv[0]);
	} else {
		cli_vols_list(&v, &n);
		for (i = 0; i < n; i++)
			if (volume_samples(&ss, v[i].name))
				r = CLI_FAIL;
		cli_vols_free(v, n);
	}
	print(&ss);
	free(ss.s);
	return r;
}
