// SPDX-License-Identifier: GPL-2.0-only
/* libcpg and libvotequorum for ddraidd (cluster.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include <corosync/cpg.h>
#include <corosync/votequorum.h>

#include "cluster.h"
#include "log.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A message corosync could not take yet (flow control). */
struct out_msg {
	struct out_msg *next;
	size_t len;
	unsigned char buf[];
};

/*
 * At most this much waits for corosync: beyond it corosync is not moving
 * (a healthy ring drains its queue within a token rotation), and the
 * daemon gives up as it does when corosync goes away.
 */
#define OUTQ_MAX_BYTES	(64u << 20)

struct cluster {
	cpg_handle_t cpg;
	votequorum_handle_t vq;
	struct cpg_name name;
	u32 nodeid;
	const struct cluster_cb *cb;
	void *arg;
	int cpg_fd, vq_fd;
	bool joined;
	/* Which process of each node counts (see on_confchg()). */
	struct {
		u32 nodeid, pid;
	} cur[CPG_MEMBERS_MAX];
	u32 n_cur;
	bool cur_known;		/* a first view was seen */
	/* The last view given to the state machine (node ids). */
	u32 view[CPG_MEMBERS_MAX];
	u32 n_view;
	/* Messages waiting for room in corosync, oldest first. */
	struct out_msg *outq, **outq_tail;
	size_t outq_bytes;
	u64 busy_events;	/* messages that had to wait */
};

/* corosync's handles carry a context pointer back to us. */
static struct cluster *from_cpg(cpg_handle_t h)
{
	void *ctx = NULL;

	cpg_context_get(h, &ctx);
	return ctx;
}

/*
 * CPG names group members by (nodeid, pid); the state machine knows nodes
 * only. A restarted daemon may join before corosync has noticed that its
 * predecessor on the same node died, so for a while one node has two
 * processes in the group. To the state machine that must look like what
 * it is, a daemon restart: the new process's join is given to it as the
 * old one leaving (PROCDOWN) and the node joining, the old process's own
 * leave, when it comes, is dropped, and messages the old process sent
 * that are delivered after the new one joined are dropped too. Every
 * member sees the same configuration changes and deliveries in the same
 * order, so all decide alike. Only a daemon whose first view already has
 * two processes of one node cannot know which joined last; it takes the
 * higher pid.
 */
static int cur_find(const struct cluster *cl, u32 nodeid)
{
	u32 i;

	for (i = 0; i < cl->n_cur; i++)
		if (cl->cur[i].nodeid == nodeid)
			return (int)i;
	return -1;
}

static void cur_set(struct cluster *cl, u32 nodeid, u32 pid)
{
	int i = cur_find(cl, nodeid);

	if (i < 0) {
		if (cl->n_cur == ARRAY_SIZE(cl->cur))
			return;
		i = (int)cl->n_cur++;
	}
	cl->cur[i].nodeid = nodeid;
	cl->cur[i].pid = pid;
}

static void on_deliver(cpg_handle_t h, const struct cpg_name *group,
		       uint32_t nodeid, uint32_t pid, void *msg, size_t len)
{
	struct cluster *cl = from_cpg(h);
	int i = cur_find(cl, nodeid);

	if (i >= 0 && cl->cur[i].pid != pid) {
		log_info("dropped a message from node %u's replaced daemon (pid %u)",
			 nodeid, pid);
		return;
	}
	cl->cb->deliver(cl->arg, nodeid, msg, len);
}

static size_t count_node(const struct cpg_address *a, size_t n, u32 nodeid)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += a[i].nodeid == nodeid;
	return k;
}

static bool in_list(const u32 *a, u32 n, u32 nodeid)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (a[i] == nodeid)
			return true;
	return false;
}

static void on_confchg(cpg_handle_t h, const struct cpg_name *group,
		       const struct cpg_address *members, size_t n_members,
		       const struct cpg_address *left, size_t n_left,
		       const struct cpg_address *joined, size_t n_joined)
{
	struct cluster *cl = from_cpg(h);
	u32 *mem = calloc(n_members + 1, sizeof(u32));
	u32 *jn = calloc(n_joined + 1, sizeof(u32));
	/* A join may bring a synthesized leave along. */
	struct sm_left *lf = calloc(n_left + n_joined + 1, sizeof(*lf));
	u32 nm = 0, nj = 0, nl = 0;
	struct sm_confchg c;
	bool changed;
	size_t i;

	if (!mem || !jn || !lf) {
		/* Losing a confchg would desynchronise us: give up. */
		log_err("out of memory in a configuration change");
		abort();
	}
	for (i = 0; i < n_members; i++)
		if (!in_list(mem, nm, members[i].nodeid))
			mem[nm++] = members[i].nodeid;
	for (i = 0; i < n_left; i++) {
		int k = cur_find(cl, left[i].nodeid);

		/* The replaced process of a node still in the group. */
		if (count_node(members, n_members, left[i].nodeid) &&
		    (k < 0 || cl->cur[k].pid != left[i].pid))
			continue;
		lf[nl].nodeid = left[i].nodeid;
		lf[nl++].reason = left[i].reason;
	}
	for (i = 0; i < n_joined; i++) {
		u32 id = joined[i].nodeid;

		if (count_node(members, n_members, id) > 1 &&
		    !in_list(jn, nj, id)) {
			log_notice("node %u: a new daemon (pid %u) joined before the old one left: a restart",
				   id, joined[i].pid);
			lf[nl].nodeid = id;
			lf[nl++].reason = SM_LEFT_PROCDOWN;
		}
		if (!in_list(jn, nj, id))
			jn[nj++] = id;
		cur_set(cl, id, joined[i].pid);
	}
	/*
	 * Nodes first seen here: their only process; in our first view,
	 * of two processes of a node that did not just join, the higher pid.
	 */
	for (i = 0; i < n_members; i++) {
		u32 id = members[i].nodeid;
		int k = cur_find(cl, id);

		if (k < 0)
			cur_set(cl, id, members[i].pid);
		else if (!cl->cur_known && !in_list(jn, nj, id) &&
			 members[i].pid > cl->cur[k].pid)
			cur_set(cl, id, members[i].pid);
	}
	cl->cur_known = true;
	/* Forget nodes gone from the group. */
	for (i = 0; i < cl->n_cur;) {
		if (!count_node(members, n_members, cl->cur[i].nodeid))
			cl->cur[i] = cl->cur[--cl->n_cur];
		else
			i++;
	}
	changed = nl || nj || nm != cl->n_view;
	for (i = 0; i < nm && !changed; i++)
		changed = !in_list(cl->view, cl->n_view, mem[i]);
	log_info("CPG view: %zu members, %zu joined, %zu left", n_members,
		 n_joined, n_left);
	if (nm <= ARRAY_SIZE(cl->view)) {
		memcpy(cl->view, mem, nm * sizeof(u32));
		cl->n_view = nm;
	}
	if (changed) {
		c = (struct sm_confchg){
			.members = mem, .n_members = nm,
			.left = lf, .n_left = nl,
			.joined = jn, .n_joined = nj,
		};
		cl->cb->confchg(cl->arg, &c);
	}
	free(mem);
	free(jn);
	free(lf);
}

static void on_totem(cpg_handle_t h, struct cpg_ring_id ring,
		     uint32_t n, const uint32_t *nodes)
{
	struct cluster *cl = from_cpg(h);
	struct sm_totem t = { .nodes = nodes, .n_nodes = n };

	log_info("totem ring %u.%llu: %u nodes", ring.nodeid,
		 (unsigned long long)ring.seq, n);
	cl->cb->totem(cl->arg, &t);
}


/*
 * votequorum notifies after every membership change, not only when
 * "quorate" flips: in corosync 3.1.7 (exec/votequorum.c),
 * votequorum_sync_activate(), which runs at the end of the sync that
 * follows each totem ring change, calls
 * votequorum_exec_send_quorum_notification() for every tracker
 * unconditionally; are_we_quorate() sends one more only when quorate
 * changes outside a sync (votes or expected_votes changed). Trackers are
 * those that asked for CS_TRACK_CHANGES (message_handler_req_lib_
 * votequorum_trackstart()). So this callback alone gives the state
 * machine the node list after each change, and nothing needs to be
 * fetched on CPG totem changes. The list holds every node votequorum ever
 * knew, with its state: only VOTEQUORUM_NODESTATE_MEMBER ones are in the
 * ring quorum was computed over (nodes that left are DEAD or LEAVING);
 * node id 0 is the quorum device.
 */
static void on_quorum(votequorum_handle_t h, uint64_t ctx, uint32_t quorate,
		      uint32_t n, votequorum_node_t nodes[])
{
	struct cluster *cl = (struct cluster *)(uintptr_t)ctx;
	u32 *ids = malloc((n ? n : 1) * sizeof(u32));
	struct sm_quorum q = { .quorate = quorate != 0, .nodes = ids };
	uint32_t i;

	for (i = 0; ids && i < n; i++)
		if (nodes[i].state == VOTEQUORUM_NODESTATE_MEMBER &&
		    nodes[i].nodeid != VOTEQUORUM_QDEVICE_NODEID)
			ids[q.n_nodes++] = nodes[i].nodeid;
	if (ids)
		log_notice("quorum: %s, %u member nodes (of %u known)",
			   quorate ? "quorate" : "NOT quorate", q.n_nodes, n);
	else
		/* Quorate still counts; "cannot say" is allowed (sm.h). */
		log_err("quorum: %s; out of memory for its node list",
			quorate ? "quorate" : "NOT quorate");
	cl->cb->quorum(cl->arg, &q);
	free(ids);
}

static const char *cs_str(cs_error_t e)
{
	switch (e) {
	case CS_ERR_LIBRARY: return "cannot reach corosync";
	case CS_ERR_ACCESS: return "access denied";
	case CS_ERR_TRY_AGAIN: return "try again";
	case CS_ERR_EXIST: return "already joined";
	default: return "corosync error";
	}
}

struct cluster *cluster_new(const char *group, const struct cluster_cb *cb,
			    void *arg)
{
	cpg_model_v1_data_t model = {
		.model = CPG_MODEL_V1,
		.cpg_deliver_fn = on_deliver,
		.cpg_confchg_fn = on_confchg,
		.cpg_totem_confchg_fn = on_totem,
		.flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
	};
	votequorum_callbacks_t vqcb = {
		.votequorum_quorum_notify_fn = on_quorum,
	};
	struct cluster *cl = calloc(1, sizeof(*cl));
	unsigned int nodeid;
	cs_error_t e;
	int i;

	if (!cl)
		return NULL;
	cl->cb = cb;
	cl->arg = arg;
	cl->outq_tail = &cl->outq;
	if (strlen(group) >= sizeof(cl->name.value)) {
		log_err("CPG group name too long: %s", group);
		free(cl);
		return NULL;
	}
	cl->name.length = (uint32_t)strlen(group);
	memcpy(cl->name.value, group, cl->name.length);

	e = cpg_model_initialize(&cl->cpg, CPG_MODEL_V1,
				 (cpg_model_data_t *)&model, cl);
	if (e != CS_OK) {
		log_err("cpg_model_initialize: %s (%d); is corosync running?",
			cs_str(e), e);
		free(cl);
		return NULL;
	}
	e = cpg_local_get(cl->cpg, &nodeid);
	if (e != CS_OK) {
		log_err("cpg_local_get: %s (%d)", cs_str(e), e);
		goto fail_cpg;
	}
	cl->nodeid = nodeid;
	cpg_fd_get(cl->cpg, &cl->cpg_fd);

	e = votequorum_initialize(&cl->vq, &vqcb);
	if (e != CS_OK) {
		log_err("votequorum_initialize: %s (%d)", cs_str(e), e);
		goto fail_cpg;
	}
	votequorum_fd_get(cl->vq, &cl->vq_fd);
	e = votequorum_trackstart(cl->vq, (uint64_t)(uintptr_t)cl,
				  CS_TRACK_CURRENT | CS_TRACK_CHANGES);
	if (e != CS_OK) {
		log_err("votequorum_trackstart: %s (%d)", cs_str(e), e);
		goto fail_vq;
	}
	for (i = 0; i < 100; i++) {
		e = cpg_join(cl->cpg, &cl->name);
		if (e != CS_ERR_TRY_AGAIN)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	if (e != CS_OK) {
		log_err("cpg_join %s: %s (%d)", group, cs_str(e), e);
		goto fail_vq;
	}
	cl->joined = true;
	log_notice("node %u joined CPG group %s", cl->nodeid, group);
	return cl;

fail_vq:
	votequorum_finalize(cl->vq);
fail_cpg:
	cpg_finalize(cl->cpg);
	free(cl);
	return NULL;
}

void cluster_free(struct cluster *cl)
{
	int i;

	if (!cl)
		return;
	if (cl->joined)
		for (i = 0; i < 50; i++)
			if (cpg_leave(cl->cpg, &cl->name) != CS_ERR_TRY_AGAIN)
				break;
	votequorum_trackstop(cl->vq);
	votequorum_finalize(cl->vq);
	cpg_finalize(cl->cpg);
	while (cl->outq) {
		struct out_msg *m = cl->outq;

		cl->outq = m->next;
		free(m);
	}
	free(cl);
}

u32 cluster_nodeid(const struct cluster *cl)
{
	return cl->nodeid;
}

int cluster_cpg_fd(const struct cluster *cl)
{
	return cl->cpg_fd;
}

int cluster_vq_fd(const struct cluster *cl)
{
	return cl->vq_fd;
}

int cluster_dispatch_cpg(struct cluster *cl)
{
	cs_error_t e = cpg_dispatch(cl->cpg, CS_DISPATCH_ALL);

	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		log_err("cpg_dispatch: %s (%d)", cs_str(e), e);
		return -ENOTCONN;
	}
	return 0;
}

int cluster_dispatch_vq(struct cluster *cl)
{
	cs_error_t e = votequorum_dispatch(cl->vq, CS_DISPATCH_ALL);

	if (e != CS_OK && e != CS_ERR_TRY_AGAIN) {
		log_err("votequorum_dispatch: %s (%d)", cs_str(e), e);
		return -ENOTCONN;
	}
	return 0;
}

/*
 * Fault injection for the tests (tests/netns): DDRAIDD_FAULT_CPG_BUSY=P
 * makes P percent of sends find corosync's queue full, so that the
 * queueing below runs on every test that sets it.
 */
static bool fake_busy(void)
{
	static int percent = -1;

	if (percent < 0) {
		const char *v = getenv("DDRAIDD_FAULT_CPG_BUSY");

		percent = v ? atoi(v) : 0;
		if (percent < 0 || percent > 100)
			percent = 0;
	}
	return percent && rand() % 100 < percent;
}

/* One try: 0 sent, -EAGAIN corosync's queue is full, -EIO otherwise. */
static int mcast(struct cluster *cl, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf,
			     .iov_len = len };
	cs_error_t e;

	if (fake_busy())
		return -EAGAIN;
	e = cpg_mcast_joined(cl->cpg, CPG_TYPE_AGREED, &iov, 1);
	if (e == CS_ERR_TRY_AGAIN)
		return -EAGAIN;
	if (e != CS_OK) {
		log_err("cpg_mcast_joined: %s (%d)", cs_str(e), e);
		return -EIO;
	}
	return 0;
}

int cluster_flush(struct cluster *cl)
{
	while (cl->outq) {
		struct out_msg *m = cl->outq;
		int r = mcast(cl, m->buf, m->len);

		if (r == -EAGAIN)
			return 0;
		if (r)
			return r;
		cl->outq = m->next;
		if (!cl->outq)
			cl->outq_tail = &cl->outq;
		cl->outq_bytes -= m->len;
		free(m);
	}
	return 0;
}

bool cluster_send_pending(const struct cluster *cl)
{
	return cl->outq;
}

size_t cluster_send_queued(const struct cluster *cl)
{
	return cl->outq_bytes;
}

u64 cluster_send_waited(const struct cluster *cl)
{
	return cl->busy_events;
}

int cluster_send(struct cluster *cl, const void *buf, size_t len)
{
	struct out_msg *m;
	int r;

	/* Behind queued messages, or when corosync is full: queue it. */
	if (!cl->outq) {
		r = mcast(cl, buf, len);
		if (r != -EAGAIN)
			return r;
	}
	if (cl->outq_bytes + len > OUTQ_MAX_BYTES) {
		log_err("corosync has not taken %zu queued bytes: giving up",
			cl->outq_bytes);
		return -ENOBUFS;
	}
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = len;
	memcpy(m->buf, buf, len);
	*cl->outq_tail = m;
	cl->outq_tail = &m->next;
	cl->outq_bytes += len;
	if (cl->outq_bytes == len)
		log_debug("corosync's send queue is full: queueing");
	cl->busy_events++;
	return cluster_flush(cl);
}
