// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's event loop (daemon.h): poll() over corosync, the kernel
 * channel, the IO worker's completions, a 200 ms timer, signals and the
 * control socket. Every event becomes one sm_handle() call whose effects
 * are carried out before the next event is read, so the order the state
 * machine sees is the order corosync delivered.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <uuid.h>

#include "chan.h"
#include "cluster.h"
#include "ctl.h"
#include "daemon.h"
#include "fencing.h"
#include "io_exec.h"
#include "log.h"
#include "pace.h"
#include "progress.h"
#include "sm_events.h"

#define TICK_MS		200
/* How long a stopping daemon waits for its clean detach to go through. */
#define STOP_WAIT_MS	15000
/* Between attempts to hand corosync messages it had no room for. */
#define SEND_RETRY_MS	10
#define RECONNECT_MS	500
#define MAX_POLL	32

/* The cluster's long jobs whose rate this node measures (status). */
enum job { JOB_REBUILD, JOB_RESYNC, JOB_SCRUB, JOBS };

struct daemon {
	struct daemon_opts o;
	struct ddraid_sb sb;
	char group[128];
	struct sm *sm;
	struct sm_effects fx;
	struct cluster *cl;
	struct chan *chan;
	struct io_exec *io;
	struct ctl *ctl;
	struct fencing *fc;
	u32 nodeid;		/* ours */
	int sfd, tfd;
	bool stop;
	bool chan_lost;		/* a send failed: report TARGET_GONE */
	bool chan_removed;	/* ... because the target is destroyed */
	/* A rebuild's device the target could not take: reported to the
	 * state machine once the current effects are done. */
	u64 path_fail_id;
	int path_fail;
	u64 stop_deadline;	/* stopping: leave by then at the latest */
	int exit_status;
	u64 next_connect;
	/* counters for status */
	u64 cpg_rx, cpg_refused, cpg_tx, chan_rx, chan_tx;
	u64 resynced, rebuilt, resync_blocks;
	u64 fenced_msgs, fenced_regions;	/* FENCED delivered */
	/* operator events: the view they were last derived from */
	struct ddraid_ev_view ev_last;
	u64 ev_count;
	struct ddraid_event ev_buf[DDRAID_EV_MAX];	/* ~20 KiB: not on the stack */
	/* The rate of the cluster's long jobs, measured here from the
	 * replicated progress this node sees (lib/progress.h). */
	struct ddraid_rate rate[JOBS];	/* by enum job */
	u64 next_rate_ms;
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void run_effects(struct daemon *d);

/*
 * Operator events (lib/events.h, docs/events.md): what the step just fed
 * changed, from the state machine's view before and after it, streamed to
 * the control socket's subscribers. The one place events are made.
 */
static void events_step(struct daemon *d)
{
	struct ddraid_event *ev = d->ev_buf;
	struct ddraid_ev_view v;
	struct timespec ts;
	unsigned int i, n;

	sm_ev_view(d->sm, &v);
	n = ddraid_ev_derive(&d->ev_last, &v, ev);
	if (v.valid)
		d->ev_last = v;
	else	/* keep the last state known: compare with it once back */
		d->ev_last.quorate = v.quorate;
	if (!n)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < n; i++) {
		json_object *o = ddraid_event_json(&ev[i], d->o.volume, &ts);
		char line[512];

		d->ev_count++;
		ddraid_event_details(o, line, sizeof(line));
		log_info("event %s %s", ddraid_event_name(ev[i].type), line);
		ctl_broadcast(d->ctl, o);
		json_object_put(o);
	}
}

static int feed(struct daemon *d, const struct sm_event *ev)
{
	int r = sm_handle(d->sm, ev, &d->fx);

	run_effects(d);
	events_step(d);
	while (d->chan_lost) {
		struct sm_event gone = { .type = SM_EV_TARGET_GONE };

		gone.gone.removed = d->chan_removed;
		d->chan_lost = false;
		d->chan_removed = false;
		d->next_connect = now_ms() + RECONNECT_MS;
		sm_handle(d->sm, &gone, &d->fx);
		run_effects(d);
		events_step(d);
	}
	return r;
}

static void send_cpg(struct daemon *d, const struct cpgmsg *m)
{
	size_t len = cpgmsg_size(m);
	const char *why = NULL;
	void *buf;
	long n;

	buf = len ? malloc(len) : NULL;
	if (!buf) {
		log_err("cannot encode %s (%s)", cpgmsg_type_name(m->type),
			len ? "out of memory" : "invalid");
		return;
	}
	n = cpgmsg_encode(m, buf, len, &why);
	if (n < 0) {
		log_err("cannot encode %s: %s", cpgmsg_type_name(m->type),
			why ? why : "?");
	} else if (cluster_send(d->cl, buf, (size_t)n)) {
		/* Without corosync nothing can be decided: start over. */
		log_err("lost corosync while sending %s; exiting",
			cpgmsg_type_name(m->type));
		d->stop = true;
		d->exit_status = 1;
	} else {
		d->cpg_tx++;
		log_debug("sent %s", cpgmsg_type_name(m->type));
	}
	free(buf);
}

static void run_effects(struct daemon *d)
{
	u32 i;

	for (i = 0; i < d->fx.n; i++) {
		const struct sm_effect *fx = &d->fx.fx[i];

		switch (fx->type) {
		case SM_FX_CPG_SEND:
			send_cpg(d, &fx->cpg);
			break;
		case SM_FX_TARGET_SEND: {
			int r;

			if (!chan_connected(d->chan))
				break;	/* TARGET_GONE was or will be fed */
			log_debug("to target: %s %" PRIu64,
				  ddraid_chan_type_name(fx->chan.type),
				  fx->chan.region);
			r = chan_send(d->chan, &fx->chan);
			if (!r) {
				d->chan_tx++;
				break;
			}
			/*
			 * A write refused because the target is gone (the
			 * kernel's ENODEV, the stand-in's closed socket) is the
			 * news a read would have brought as end of file: the
			 * target is removed. Taken for a mere closed channel,
			 * a stopping daemon would leave as if its target still
			 * ran, and the others would wait for its orphan.
			 */
			d->chan_lost = true;
			d->chan_removed = r == -ENODEV || r == -EPIPE ||
					  r == -ECONNRESET;
			break;
		}
		case SM_FX_LOG:
			log_msg(fx->log.level, "%s", fx->log.text);
			break;
		case SM_FX_FENCE:
			if (fx->nodeid == d->nodeid)
				log_err("the state machine asked to fence this node (%u): refused",
					fx->nodeid);
			else
				fencing_fence(d->fc, fx->nodeid, d->o.volume);
			break;
		case SM_FX_MEMBER_PATH: {
			/* No path: a re-add of the device this node has. */
			const char *path = fx->rebuild.path[0] ?
				fx->rebuild.path :
				d->o.members[fx->rebuild.member];
			int r = chan_member_path(d->chan, fx->rebuild.member,
						 path);

			if (r && r != -EOPNOTSUPP) {
				/*
				 * The target must not be told to write the
				 * member (it would write the old device):
				 * the state machine hears of the failure,
				 * and the cluster calls the rebuild off.
				 */
				log_err("cannot point the target at %s: %s",
					path, strerror(-r));
				d->path_fail_id = fx->id;
				d->path_fail = r;
				break;
			}
		}
			/* The daemon's own IO opens it too. */
			__attribute__((fallthrough));
		case SM_FX_BIT_SET:
		case SM_FX_BIT_CLEAR:
		case SM_FX_WRITE_SB:
		case SM_FX_READ_META:
		case SM_FX_READ_SLOT:
		case SM_FX_READ_ALL_SLOTS:
		case SM_FX_RESYNC:
		case SM_FX_REBUILD:
		case SM_FX_SCRUB:
		case SM_FX_MEMBER_STATE:
		case SM_FX_PROBE:
			if (io_exec_submit(d->io, fx)) {
				log_err("out of memory queueing IO; exiting");
				d->stop = true;
				d->exit_status = 1;
			}
			break;
		default:
			log_err("unknown effect %u", fx->type);
		}
	}
	sm_effects_reset(&d->fx);
}

/* ---- corosync callbacks ---- */

static void on_deliver(void *arg, u32 nodeid, const void *buf, size_t len)
{
	struct daemon *d = arg;
	struct sm_event ev = { .type = SM_EV_CPG_MSG };
	const char *why = NULL;
	struct cpgmsg m;
	int r;

	r = cpgmsg_decode(buf, len, &m, &why);
	if (!r && m.sender != nodeid) {
		r = -EINVAL;
		why = "sender field differs from the node corosync names";
	}
	if (r) {
		/* Every daemon refuses the same bytes: they stay in step. */
		d->cpg_refused++;
		log_warn("dropped a message from node %u: %s", nodeid,
			 why ? why : strerror(-r));
		return;
	}
	d->cpg_rx++;
	if (m.type == MSG_FENCED) {
		/* What a crashed node's slot marked dirty: the tests compare
		 * it with the regions resynced. */
		u64 first, count;
		u32 i;

		d->fenced_msgs++;
		for (i = 0; i < m.runs.n; i++) {
			cpgmsg_run(&m.runs, i, &first, &count);
			d->fenced_regions += count;
		}
		log_notice("node %u fenced: its slot marks %u runs of regions dirty",
			   m.nodeid, m.runs.n);
	}
	ev.msg = &m;
	feed(d, &ev);
}

static void on_confchg(void *arg, const struct sm_confchg *c)
{
	struct sm_event ev = { .type = SM_EV_CONFCHG, .confchg = *c };

	feed(arg, &ev);
}

static void on_totem(void *arg, const struct sm_totem *t)
{
	struct daemon *d = arg;
	struct sm_event ev = { .type = SM_EV_TOTEM, .totem = *t };

	/* Before the state machine may ask for a fencing of who left. */
	fencing_totem(d->fc, t);
	feed(d, &ev);
}

static void on_quorum(void *arg, const struct sm_quorum *q)
{
	struct sm_event ev = { .type = SM_EV_QUORUM, .quorum = *q };

	feed(arg, &ev);
}

static const struct cluster_cb cluster_cbs = {
	.deliver = on_deliver,
	.confchg = on_confchg,
	.totem = on_totem,
	.quorum = on_quorum,
};

/* ---- the channel ---- */

static void on_chan_msg(void *arg, const struct ddraid_chan_msg *m)
{
	struct daemon *d = arg;
	struct sm_event ev = { .type = SM_EV_TARGET, .chan = *m };

	d->chan_rx++;
	log_debug("from target: %s %" PRIu64, ddraid_chan_type_name(m->type),
		  m->region);
	feed(d, &ev);
}

static void try_connect(struct daemon *d)
{
	int r;

	if (chan_connected(d->chan) || now_ms() < d->next_connect)
		return;
	r = chan_connect(d->chan);
	if (!r) {
		log_notice("channel to the target connected (%s)",
			   d->o.channel);
		return;
	}
	if (r != -EAGAIN)
		log_warn("channel %s: %s", d->o.channel, strerror(-r));
	d->next_connect = now_ms() + RECONNECT_MS;
}

/* The failed MEMBER_PATH. */
static void path_fail_report(struct daemon *d)
{
	struct sm_event done = { .type = SM_EV_IO_DONE };

	if (!d->path_fail)
		return;
	done.io.id = d->path_fail_id;
	done.io.result = d->path_fail;
	d->path_fail = 0;
	feed(d, &done);
}

static void read_chan(struct daemon *d)
{
	int r = chan_read(d->chan, on_chan_msg, d);

	if (r < 0) {
		/* End of file: the target is destroyed (its table removed). */
		log_warn("channel to the target closed%s",
			 r == -EPIPE ? ": the target is gone" : "");
		d->chan_lost = true;
		d->chan_removed = r == -EPIPE;
		feed(d, &(struct sm_event){ .type = SM_EV_TICK,
					    .now = now_ms() });
	}
}

/* ---- IO completions ---- */

static void io_completions(struct daemon *d)
{
	struct io_done *c;

	while ((c = io_exec_pop(d->io))) {
		struct sm_event ev = { .type = SM_EV_IO_DONE };

		ev.io.id = c->id;
		ev.io.result = c->result;
		if (c->type == SM_FX_READ_META && !c->result)
			ev.io.meta = &c->meta;
		ev.io.bits = c->bits;
		ev.io.others = c->others;
		ev.io.events = c->events;
		if (!c->result && c->type == SM_FX_RESYNC) {
			d->resynced += c->regions;
			d->resync_blocks += c->resynced_blocks;
		}
		if (!c->result && c->type == SM_FX_REBUILD)
			d->rebuilt += c->regions;
		feed(d, &ev);
		io_done_free(c);
	}
}

/* ---- fencing confirmations ---- */

static void fence_confirmations(struct daemon *d)
{
	struct sm_event ev = { .type = SM_EV_ADMIN };
	int r;

	ev.admin.cmd = SM_ADMIN_FENCED;
	while (fencing_pop(d->fc, &ev.admin.nodeid)) {
		r = feed(d, &ev);
		if (!r)
			log_notice("node %u: fencing confirmed to the cluster state; its regions may be resynced",
				   ev.admin.nodeid);
		else
			/* The wait ended otherwise (it came back, another
			 * node coordinates): nothing to confirm. */
			log_info("node %u: fencing confirmation not needed: %s",
				 ev.admin.nodeid,
				 r == -EAGAIN ? "not the coordinator" :
				 "the cluster no longer waits for it");
	}
}

/* ---- the rate of rebuild, resync and scrub ---- */

/* Regions left of @done out of @total (a stale total never wraps). */
static u64 left_of(u64 total, u64 done)
{
	return done < total ? total - done : 0;
}

/* Does job @j run in the state @st, and with how many regions *@left?
 * The one rule for the rate samples and the status reply. */
static bool job_left(const struct sm_status *st, enum job j, u64 *left)
{
	switch (j) {
	case JOB_REBUILD:
		*left = left_of(st->rebuild_total, st->rebuild_done);
		return st->rebuilding;
	case JOB_SCRUB:
		*left = left_of(st->regions, st->scrub_next);
		return st->scrub_end == SCRUB_RUNNING;
	default:
		*left = st->dirty;	/* regions awaiting resync */
		return st->dirty != 0;
	}
}

/* One sample a second of what each job has left; a job not running is
 * forgotten, so that the next one starts from a fresh baseline. */
static void rate_sample(struct daemon *d, u64 now)
{
	struct sm_status st;
	enum job j;
	u64 left;

	if (now < d->next_rate_ms)
		return;
	d->next_rate_ms = now + DDRAID_RATE_MIN_DT_MS;
	sm_status_brief(d->sm, &st);
	for (j = 0; j < JOBS; j++) {
		if (job_left(&st, j, &left))
			ddraid_rate_sample(&d->rate[j], now, left);
		else
			ddraid_rate_reset(&d->rate[j]);
	}
}

/* "rate_bytes_per_s" (0: not measured yet, or stalled) and, when there is
 * one, "eta_s" of job @j in status object @x, while it runs. */
static void rate_json(json_object *x, const struct daemon *d,
		      const struct sm_status *st, enum job j)
{
	u64 left, bps, eta;

	if (!job_left(st, j, &left))
		return;
	bps = ddraid_rate_bytes(&d->rate[j], st->region_size);
	eta = ddraid_eta_s(left * st->region_size, bps);
	json_object_object_add(x, "rate_bytes_per_s",
			       json_object_new_uint64(bps));
	if (eta != DDRAID_ETA_UNKNOWN)
		json_object_object_add(x, "eta_s", json_object_new_uint64(eta));
}

/* ---- control requests ---- */

static const char *state_name(u32 s)
{
	switch (s) {
	case DDRAID_MEMBER_ACTIVE: return "active";
	case DDRAID_MEMBER_FAILED: return "failed";
	case DDRAID_MEMBER_REBUILDING: return "rebuilding";
	default: return "empty";
	}
}

#define J_ADD(o, k, v) json_object_object_add(o, k, v)
#define J_U64(v) json_object_new_uint64(v)
#define J_INT(v) json_object_new_int64(v)
#define J_BOOL(v) json_object_new_boolean(v)
#define J_STR(v) json_object_new_string(v)

/* TUNE_* and the control protocol's names are the same indices. */
_Static_assert(TUNE_REBUILD_MAX == DDRAID_RATE_REBUILD_MAX &&
	       TUNE_SCRUB_MAX == DDRAID_RATE_SCRUB_MAX &&
	       TUNE_MIN == DDRAID_RATE_MIN && TUNE_N == DDRAID_RATES,
	       "TUNE_* and DDRAID_RATE_* differ");

/*
 * "rates": what online rebuild and scrub run at on this node's watch
 * (the coordinator paces them), and whether the value was set for the
 * cluster ("ddraidctl set") or is this node's --sync-speed-*.
 */
static void rates_json(struct daemon *d, json_object *o)
{
	json_object *x = json_object_new_object(), *y;
	u64 rate[TUNE_N];
	u32 cluster, i;

	sm_rates(d->sm, rate, &cluster);
	for (i = 0; i < TUNE_N; i++) {
		y = json_object_new_object();
		J_ADD(y, "bytes_per_s", J_U64(rate[i]));
		J_ADD(y, "source", J_STR(cluster & (1u << i) ? "cluster" :
					 "node"));
		J_ADD(x, ddraid_rate_keys[i], y);
	}
	J_ADD(o, "rates", x);
}

static void status_json(struct daemon *d, json_object *o)
{
	struct sm_status st;
	struct io_exec_stats io;
	json_object *a, *x;
	char uu[37];
	u32 i;

	sm_status(d->sm, &st);
	io_exec_stats(d->io, &io);
	uuid_unparse(d->sb.uuid, uu);
	J_ADD(o, "volume", J_STR(d->o.volume));
	J_ADD(o, "uuid", J_STR(uu));
	J_ADD(o, "nodeid", J_U64(st.nodeid));
	J_ADD(o, "has_state", J_BOOL(st.has_state));
	J_ADD(o, "quorate", J_BOOL(st.quorate));
	J_ADD(o, "attached", J_BOOL(st.attached));
	J_ADD(o, "frozen", J_BOOL(st.frozen));
	J_ADD(o, "coordinator", J_U64(st.coordinator));
	J_ADD(o, "events", J_U64(st.events));
	J_ADD(o, "regions", J_U64(st.regions));
	J_ADD(o, "region_size", J_U64(st.region_size));
	J_ADD(o, "dirty", J_U64(st.dirty));
	J_ADD(o, "fence_wait", J_U64(st.fence_wait));
	J_ADD(o, "locked", J_BOOL(st.locked));
	if (st.locked) {
		J_ADD(o, "lock_region", J_U64(st.lock_region));
		J_ADD(o, "lock_count", J_U64(st.lock_count));
		J_ADD(o, "lock_purpose",
		      J_STR(st.lock_purpose == LOCK_REBUILD ? "rebuild" :
			    st.lock_purpose == LOCK_SCRUB ? "scrub" :
							    "resync"));
	}
	a = json_object_new_array();
	for (i = 0; i < st.members; i++) {
		x = json_object_new_object();
		J_ADD(x, "index", J_U64(i));
		J_ADD(x, "path", J_STR(d->o.members[i]));
		J_ADD(x, "state", J_STR(state_name(st.member[i].state)));
		J_ADD(x, "failed_events", J_U64(st.member[i].failed_events));
		J_ADD(x, "recovery_block", J_U64(st.member[i].recovery_block));
		J_ADD(x, "pending_fail", J_BOOL(st.member[i].pending_fail));
		J_ADD(x, "host", J_U64(st.member[i].host));
		J_ADD(x, "probing", J_BOOL(st.member[i].probing));
		json_object_array_add(a, x);
	}
	J_ADD(o, "members", a);
	a = json_object_new_array();
	for (i = 0; i < st.n_nodes; i++) {
		x = json_object_new_object();
		J_ADD(x, "nodeid", J_U64(st.node[i].nodeid));
		J_ADD(x, "has_state", J_BOOL(st.node[i].has_state));
		J_ADD(x, "attached", J_BOOL(st.node[i].attached));
		J_ADD(x, "orphaned", J_BOOL(st.node[i].orphaned));
		J_ADD(x, "slot", J_INT(st.node[i].slot));
		J_ADD(x, "held", J_U64(st.node[i].held));
		J_ADD(x, "fence_wanted", J_BOOL(st.node[i].fence_wanted));
		J_ADD(x, "detached", J_BOOL(st.node[i].detached));
		J_ADD(x, "path_bad", J_U64(st.node[i].path_bad));
		if (st.node[i].hosts != CPGMSG_NO_MEMBER)
			J_ADD(x, "hosts", J_U64(st.node[i].hosts));
		json_object_array_add(a, x);
	}
	J_ADD(o, "nodes", a);
	x = json_object_new_object();
	J_ADD(x, "active", J_BOOL(st.rebuilding));
	if (st.rebuilding) {
		J_ADD(x, "member", J_U64(st.rebuild_member));
		J_ADD(x, "next", J_U64(st.rebuild_next));
		J_ADD(x, "total", J_U64(st.rebuild_total));
		J_ADD(x, "done", J_U64(st.rebuild_done));
		rate_json(x, d, &st, JOB_REBUILD);
	}
	if (st.rebuild_refused_member != CPGMSG_NO_MEMBER) {
		json_object *y = json_object_new_object();

		J_ADD(y, "member", J_U64(st.rebuild_refused_member));
		J_ADD(y, "node", J_U64(st.rebuild_refused_node));
		J_ADD(y, "errno", J_U64(st.rebuild_refused_err));
		J_ADD(y, "error", J_STR(strerror((int)st.rebuild_refused_err)));
		J_ADD(x, "called_off", y);
	}
	J_ADD(o, "rebuild", x);
	J_ADD(o, "torn_regions", J_U64(st.torn));
	if (st.torn_member != CPGMSG_NO_MEMBER)
		J_ADD(o, "torn_member", J_U64(st.torn_member));
	J_ADD(o, "path_bad", J_U64(st.path_bad));
	J_ADD(o, "detached", J_BOOL(st.detached));
	J_ADD(o, "withdrawn", J_BOOL(st.withdrawn));
	if (st.withdraw_member != CPGMSG_NO_MEMBER)
		J_ADD(o, "withdraw_member", J_U64(st.withdraw_member));
	/* The running scrub or the last one (replicated: any node says). */
	x = json_object_new_object();
	J_ADD(x, "state", J_STR(sm_scrub_end_name(st.scrub_end)));
	J_ADD(x, "active", J_BOOL(st.scrub_end == SCRUB_RUNNING));
	if (st.scrub_end != SCRUB_NONE) {
		J_ADD(x, "mode", J_STR(st.scrub_mode == SCRUB_REPAIR ?
				       "repair" : "check"));
		J_ADD(x, "done", J_U64(st.scrub_next));
		J_ADD(x, "total", J_U64(st.regions));
		J_ADD(x, "mismatches", J_U64(st.scrub_mismatches));
		J_ADD(x, "repaired", J_U64(st.scrub_repaired));
		if (st.scrub_err)
			J_ADD(x, "errno", J_U64(st.scrub_err));
	}
	rate_json(x, d, &st, JOB_SCRUB);
	if (st.scrub_label) {
		/* The label is the period's first day (days since 1970). */
		time_t t = (time_t)st.scrub_label * 86400;
		struct tm tm;
		char day[32];

		if (gmtime_r(&t, &tm) && strftime(day, sizeof(day), "%Y-%m-%d",
						   &tm))
			J_ADD(x, "last_scheduled", J_STR(day));
	}
	J_ADD(o, "scrub", x);
	rates_json(d, o);
	/* Regions awaiting resync (the "dirty" above), as a job. */
	x = json_object_new_object();
	J_ADD(x, "active", J_BOOL(st.dirty != 0));
	if (st.dirty) {
		J_ADD(x, "left", J_U64(st.dirty));
		rate_json(x, d, &st, JOB_RESYNC);
	}
	J_ADD(o, "resync", x);
	x = json_object_new_object();
	J_ADD(x, "spec", J_STR(d->o.channel));
	J_ADD(x, "connected", J_BOOL(chan_connected(d->chan)));
	J_ADD(x, "rx", J_U64(d->chan_rx));
	J_ADD(x, "tx", J_U64(d->chan_tx));
	J_ADD(o, "channel", x);
	x = json_object_new_object();
	J_ADD(x, "rx", J_U64(d->cpg_rx));
	J_ADD(x, "tx", J_U64(d->cpg_tx));
	J_ADD(x, "refused", J_U64(d->cpg_refused));
	J_ADD(x, "fenced_msgs", J_U64(d->fenced_msgs));
	J_ADD(x, "fenced_regions", J_U64(d->fenced_regions));
	J_ADD(x, "send_waited", J_U64(cluster_send_waited(d->cl)));
	J_ADD(x, "send_queued_bytes", J_U64(cluster_send_queued(d->cl)));
	J_ADD(o, "cpg", x);
	J_ADD(o, "event_count", J_U64(d->ev_count));
	J_ADD(o, "event_subscribers", J_U64(ctl_subscribers(d->ctl)));
	x = json_object_new_object();
	J_ADD(x, "bit_sets", J_U64(io.bit_sets));
	J_ADD(x, "bit_clears", J_U64(io.bit_clears));
	J_ADD(x, "sb_writes", J_U64(io.sb_writes));
	J_ADD(x, "resynced_regions", J_U64(d->resynced));
	J_ADD(x, "resynced_blocks", J_U64(d->resync_blocks));
	J_ADD(x, "rebuilt_regions", J_U64(d->rebuilt));
	J_ADD(x, "scrubbed_regions", J_U64(io.scrubs));
	J_ADD(x, "scrub_mismatches", J_U64(io.scrub_mismatches));
	J_ADD(x, "scrub_repaired", J_U64(io.scrub_repaired));
	J_ADD(x, "errors", J_U64(io.errors));
	J_ADD(x, "queued", J_U64(io.queued));
	J_ADD(x, "probes", J_U64(io.probes));
	J_ADD(x, "probe_errors", J_U64(io.probe_errors));
	J_ADD(x, "flushes", J_U64(io.flushes));
	J_ADD(o, "io", x);
	x = json_object_new_object();
	fencing_status_json(d->fc, x);
	J_ADD(o, "fencing", x);
}

/*
 * The reply to "events": the stream's version and, in "current", the
 * problems there are now (what the events from a healthy volume to this
 * one would say), so that a monitor starting late still reports them.
 */
static void events_current(struct daemon *d, json_object *resp)
{
	struct ddraid_event *ev = d->ev_buf;
	struct ddraid_ev_view healthy = { .quorate = true }, v;
	struct timespec ts;
	json_object *a = json_object_new_array();
	unsigned int i, n;

	sm_ev_view(d->sm, &v);
	/* An invalid old view is healthy with the new one's nodes. */
	n = ddraid_ev_derive(&healthy, &v, ev);
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < n; i++)
		if (ddraid_event_is_problem(ev[i].type))
			json_object_array_add(a, ddraid_event_json(
				&ev[i], d->o.volume, &ts));
	J_ADD(resp, "version", J_INT(DDRAID_EVENT_VERSION));
	J_ADD(resp, "volume", J_STR(d->o.volume));
	J_ADD(resp, "has_state", J_BOOL(v.valid));
	J_ADD(resp, "current", a);
}

/* A member index from the request; -EINVAL with *why when wrong. */
static int req_member(struct daemon *d, json_object *req, u32 *m,
		      const char **why)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, "member", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		*why = "\"member\" (an integer) is required";
		return -EINVAL;
	}
	x = json_object_get_int64(v);
	if (x < 0 || x >= (int64_t)d->sb.members) {
		*why = "\"member\" is out of range for this volume";
		return -EINVAL;
	}
	*m = (u32)x;
	return 0;
}

/*
 * {"cmd":"set", KEY: bytes/s or null, ...} with KEY one of
 * ddraid_rate_keys: an integer sets the rate for the cluster, null gives
 * it back to each node's own --sync-speed-*. Anything else is refused.
 */
static int req_tune(json_object *req, struct sm_admin *a, const char **why)
{
	int i;

	a->cmd = SM_ADMIN_TUNE;
	json_object_object_foreach(req, k, v) {
		if (!strcmp(k, "cmd"))
			continue;
		i = ddraid_rate_key(k, strlen(k));
		if (i < 0) {
			*why = "unknown key (rebuild-rate, scrub-rate, sync-speed-min)";
			return -EINVAL;
		}
		if (!v) {
			a->tune_clear |= 1u << i;
			continue;
		}
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    (u64)json_object_get_int64(v) > CPGMSG_TUNE_MAX) {
			*why = "a rate is bytes/s (0..10^12) or null";
			return -EINVAL;
		}
		a->tune_set |= 1u << i;
		a->tune[i] = (u64)json_object_get_int64(v);
	}
	return 0;
}

static int ctl_request(void *arg, json_object *req, json_object *resp,
		       const char **why)
{
	struct daemon *d = arg;
	struct sm_event ev = { .type = SM_EV_ADMIN };
	json_object *v;
	const char *cmd;
	int r;

	if (!json_object_object_get_ex(req, "cmd", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*why = "\"cmd\" (a string) is required";
		return -EINVAL;
	}
	cmd = json_object_get_string(v);
	if (!strcmp(cmd, "status")) {
		status_json(d, resp);
		return 0;
	}
	if (!strcmp(cmd, "events")) {
		events_current(d, resp);
		return CTL_SUBSCRIBE;
	}
	if (!strcmp(cmd, "scrub")) {
		/* {"cmd":"scrub","mode":"check"|"repair"} or "cancel":true;
		 * "scheduled":N, a timer's scrub of period N (days since
		 * 1970 of its first day): skipped, not refused, when there is
		 * nothing to do (docs/ddraidd.md) */
		ev.admin.cmd = SM_ADMIN_SCRUB;
		ev.admin.mode = SCRUB_CHECK;
		if (json_object_object_get_ex(req, "cancel", &v)) {
			if (!json_object_is_type(v, json_type_boolean)) {
				*why = "\"cancel\" must be true or false";
				return -EINVAL;
			}
			if (json_object_get_boolean(v))
				ev.admin.cmd = SM_ADMIN_SCRUB_CANCEL;
		}
		if (json_object_object_get_ex(req, "mode", &v)) {
			const char *mode = json_object_is_type(v, json_type_string) ?
				json_object_get_string(v) : "";

			if (!strcmp(mode, "repair"))
				ev.admin.mode = SCRUB_REPAIR;
			else if (strcmp(mode, "check")) {
				*why = "\"mode\" must be \"check\" or \"repair\"";
				return -EINVAL;
			}
		}
		if (json_object_object_get_ex(req, "scheduled", &v)) {
			int64_t label = json_object_is_type(v, json_type_int) ?
				json_object_get_int64(v) : 0;

			if (label <= 0 || label > UINT32_MAX ||
			    ev.admin.cmd != SM_ADMIN_SCRUB) {
				*why = "\"scheduled\" must be a period's day "
				       "number (1..4294967295), without "
				       "\"cancel\"";
				return -EINVAL;
			}
			ev.admin.label = (u32)label;
		}
		/* The state machine's reason, word for word. */
		r = sm_scrub_refused(d->sm, &ev.admin, why);
		if (!r)
			r = feed(d, &ev);
		/* A timer's scrub that has nothing to do is no failure: the
		 * period's scrub runs or ran (another node asked first), or
		 * the volume must be rebuilt first (its own events say so). */
		if (ev.admin.label && (r == -EALREADY || r == -EBUSY ||
				       r == -ENODEV)) {
			J_ADD(resp, "skipped", J_STR(*why));
			return 0;
		}
		if (r)
			return r;
		J_ADD(resp, "accepted", J_BOOL(1));
		return 0;
	}
	if (!strcmp(cmd, "set")) {
		r = req_tune(req, &ev.admin, why);
		if (r)
			return r;
	} else if (!strcmp(cmd, "rebuild")) {
		const char *mode = "full";

		r = req_member(d, req, &ev.admin.member, why);
		if (r)
			return r;
		if (!json_object_object_get_ex(req, "path", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    !json_object_get_string_len(v) ||
		    json_object_get_string_len(v) > CPGMSG_PATH_MAX) {
			*why = "\"path\" (the new device, 1..1023 bytes) is required";
			return -EINVAL;
		}
		ev.admin.path = json_object_get_string(v);
		if (json_object_object_get_ex(req, "mode", &v)) {
			if (!json_object_is_type(v, json_type_string)) {
				*why = "\"mode\" must be \"full\" or \"bitmap\"";
				return -EINVAL;
			}
			mode = json_object_get_string(v);
		}
		if (!strcmp(mode, "full"))
			ev.admin.mode = REBUILD_FULL;
		else if (!strcmp(mode, "bitmap"))
			ev.admin.mode = REBUILD_BITMAP;
		else {
			*why = "\"mode\" must be \"full\" or \"bitmap\"";
			return -EINVAL;
		}
		ev.admin.cmd = SM_ADMIN_REBUILD;
	} else if (!strcmp(cmd, "fail")) {
		r = req_member(d, req, &ev.admin.member, why);
		if (r)
			return r;
		ev.admin.cmd = SM_ADMIN_FAIL_MEMBER;
	} else if (!strcmp(cmd, "fenced")) {
		if (!json_object_object_get_ex(req, "nodeid", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) <= 0 ||
		    json_object_get_int64(v) > UINT32_MAX) {
			*why = "\"nodeid\" (a corosync node id) is required";
			return -EINVAL;
		}
		ev.admin.nodeid = (u32)json_object_get_int64(v);
		ev.admin.cmd = SM_ADMIN_FENCED;
	} else {
		*why = "unknown command (status, events, rebuild, fail, fenced, scrub, set)";
		return -EINVAL;
	}
	/* The state machine's reason, word for word. */
	r = sm_admin_refused(d->sm, &ev.admin, why);
	if (!r)
		r = feed(d, &ev);
	if (r) {
		if (!*why)
			*why = "refused by the cluster state";
		return r;
	}
	J_ADD(resp, "accepted", J_BOOL(1));
	return 0;
}

/* ---- setup and loop ---- */

static int setup_fds(struct daemon *d)
{
	struct itimerspec its = {
		.it_interval = { .tv_nsec = TICK_MS * 1000000L },
		.it_value = { .tv_nsec = TICK_MS * 1000000L },
	};
	sigset_t set;

	/* main() blocked these before any thread existed (daemon.h). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	d->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->sfd < 0 || d->tfd < 0 || timerfd_settime(d->tfd, 0, &its, NULL))
		return -errno;
	return 0;
}

struct daemon *daemon_new(const struct daemon_opts *o)
{
	char err[DDRAID_ERRMSG_MAX], path[256], hex[33];
	struct ddraid_vol *vol = NULL;
	struct sm_config cfg;
	const char *why = NULL;
	struct daemon *d;
	unsigned int i;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->o = *o;
	d->sfd = d->tfd = -1;
	sm_effects_init(&d->fx);

	/* First: a refusal (two_node without fencing) changes nothing. */
	d->fc = fencing_new(o->fencing, o->require_fencing);
	if (!d->fc)
		goto fail;
	d->chan = chan_new(o->channel, &why);
	if (!d->chan) {
		log_err("--channel %s: %s", o->channel, why);
		goto fail;
	}
	r = ddraid_open((const char *const *)o->members, o->n_members, 0, &vol,
			err, sizeof(err));
	if (r) {
		log_err("cannot open the volume's members: %s", err);
		goto fail;
	}
	d->sb = *ddraid_vol_sb(vol);
	if (o->volume[0] && strcmp(o->volume, d->sb.name))
		log_warn("--volume %s differs from the name in the superblock (%s)",
			 o->volume, d->sb.name);
	d->io = io_exec_new(vol);
	if (!d->io) {
		ddraid_close(vol);
		log_err("cannot start the IO worker");
		goto fail;
	}
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d->sb.uuid[i]);
	snprintf(d->group, sizeof(d->group), "ddraid:%s", hex);

	d->cl = cluster_new(d->group, &cluster_cbs, d);
	if (!d->cl)
		goto fail;
	cfg = (struct sm_config){
		.nodeid = cluster_nodeid(d->cl),
		.members = d->sb.members,
		.regions = d->sb.regions,
		.region_size = d->sb.region_size,
		.fence_delay = o->fence_delay_ms,
		.progress_every = 16,
		/* --rebuild-gap: the same average, one region a gap */
		.sync_max = o->sync_max_bps ? o->sync_max_bps :
			pace_gap_rate(d->sb.region_size, o->rebuild_gap_ms),
		.sync_min = o->sync_min_bps,
		.require_fencing = fencing_required(d->fc),
		.two_node = fencing_two_node(d->fc),
		.hosting = o->host_member >= 0,
		.host_member = o->host_member >= 0 ? (u32)o->host_member : 0,
		.path_timeout = o->path_timeout_ms,
		.probe_interval = 1000,
		.no_auto_readd = o->no_auto_readd,
		.sync_span = o->sync_span,
	};
	d->nodeid = cfg.nodeid;
	d->sm = sm_new(&cfg, &why);
	if (!d->sm) {
		log_err("state machine: %s", why ? why : "out of memory");
		goto fail;
	}
	ctl_path(o->ctl_dir, o->volume, path, sizeof(path));
	d->ctl = ctl_new(path, ctl_request, d);
	if (!d->ctl) {
		log_err("control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	r = setup_fds(d);
	if (r) {
		log_err("signals/timer: %s", strerror(-r));
		goto fail;
	}
	log_notice("volume %s (%u members, %" PRIu64 " regions of %" PRIu64
		   " KiB), node %u, group %s, control %s",
		   d->sb.name, d->sb.members, d->sb.regions,
		   d->sb.region_size >> 10, cfg.nodeid, d->group, path);
	return d;
fail:
	daemon_free(d);
	return NULL;
}

/*
 * Leave when stopping and the state machine says we may (a clean detach
 * went through, docs/ddraidd.md), or it takes too long; and after a
 * withdrawal went through (exit status 3: the resource manager sees it).
 */
static void check_leave(struct daemon *d)
{
	struct sm_status st;

	/* After every wakeup: the brief form, which does not count every
	 * node's held regions (docs/scale.md). */
	sm_status_brief(d->sm, &st);
	if (st.withdrawn) {
		log_err("withdrawn: member %u is unreachable from this node; "
			"its IO fails here; exiting", st.withdraw_member);
		d->exit_status = 3;
		d->stop = true;
		return;
	}
	if (!d->stop_deadline)
		return;
	if (st.stop_ready) {
		d->stop = true;
	} else if (now_ms() >= d->stop_deadline) {
		log_warn("leaving before the cluster confirmed our detach");
		d->stop = true;
	}
}

int daemon_run(struct daemon *d)
{
	struct pollfd pfd[MAX_POLL];

	feed(d, &(struct sm_event){ .type = SM_EV_TICK, .now = now_ms() });
	try_connect(d);
	while (!d->stop) {
		unsigned int n = 0, nctl, i;
		int chan_i = -1, fence_i = -1;

		pfd[n++] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d->tfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = cluster_cpg_fd(d->cl),
					    .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = cluster_vq_fd(d->cl),
					    .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = io_exec_fd(d->io),
					    .events = POLLIN };
		if (fencing_fd(d->fc) >= 0) {
			fence_i = (int)n;
			pfd[n++] = (struct pollfd){ .fd = fencing_fd(d->fc),
						    .events = POLLIN };
		}
		if (chan_connected(d->chan)) {
			chan_i = (int)n;
			pfd[n++] = (struct pollfd){ .fd = d->chan->fd,
						    .events = POLLIN };
		}
		nctl = ctl_pollfds(d->ctl, pfd + n);
		/* Messages wait for room in corosync: retry soon. */
		if (poll(pfd, n + nctl,
			 cluster_send_pending(d->cl) ? SEND_RETRY_MS : -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return 1;
		}
		if (cluster_flush(d->cl)) {
			log_err("lost corosync while sending; exiting");
			d->exit_status = 1;
			break;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(d->sfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGHUP && !d->stop_deadline) {
				log_notice("signal %u: leaving the cluster",
					   si.ssi_signo);
				d->stop_deadline = now_ms() + STOP_WAIT_MS;
				feed(d, &(struct sm_event){
					.type = SM_EV_STOP });
			}
		}
		if (pfd[1].revents) {
			u64 ticks;

			if (read(d->tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			feed(d, &(struct sm_event){ .type = SM_EV_TICK,
						    .now = now_ms() });
			rate_sample(d, now_ms());
			path_fail_report(d);
			try_connect(d);
			fencing_reconcile(d->fc, d->sm);
		}
		if (pfd[2].revents && cluster_dispatch_cpg(d->cl)) {
			d->exit_status = 1;
			break;
		}
		if (pfd[3].revents && cluster_dispatch_vq(d->cl)) {
			d->exit_status = 1;
			break;
		}
		if (pfd[4].revents)
			io_completions(d);
		if (fence_i >= 0 && pfd[fence_i].revents)
			fence_confirmations(d);
		if (chan_i >= 0 && pfd[chan_i].revents &&
		    chan_connected(d->chan))
			read_chan(d);
		for (i = 0; i < nctl; i++)
			if (pfd[n + i].revents)
				break;
		if (i < nctl)
			ctl_service(d->ctl, pfd + n, nctl);
		path_fail_report(d);
		check_leave(d);
	}
	return d->exit_status;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	/* Leave the group first: the others see LEAVE, not a crash. */
	cluster_free(d->cl);
	ctl_free(d->ctl);
	chan_free(d->chan);
	io_exec_free(d->io);
	fencing_free(d->fc);
	sm_free(d->sm);
	sm_effects_free(&d->fx);
	if (d->sfd >= 0)
		close(d->sfd);
	if (d->tfd >= 0)
		close(d->tfd);
	free(d);
}
