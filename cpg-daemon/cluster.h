/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * corosync for ddraidd: the volume's CPG group (agreed-order messages,
 * configuration changes, totem membership) and votequorum. Callbacks run
 * from cluster_dispatch(), in the order corosync delivers.
 */
#ifndef DDRAIDD_CLUSTER_H
#define DDRAIDD_CLUSTER_H

#include <stddef.h>

#include "sm.h"

struct cluster_cb {
	/* A message; @nodeid is the sender as corosync knows it. */
	void (*deliver)(void *arg, u32 nodeid, const void *buf, size_t len);
	void (*confchg)(void *arg, const struct sm_confchg *c);
	void (*totem)(void *arg, const struct sm_totem *t);
	/* Every votequorum notification: quorate and the member nodes. */
	void (*quorum)(void *arg, const struct sm_quorum *q);
};

struct cluster;

/* Connect to corosync and join @group. NULL (logged) on failure. */
struct cluster *cluster_new(const char *group, const struct cluster_cb *cb,
			    void *arg);
/* Leave the group and disconnect. */
void cluster_free(struct cluster *cl);

u32 cluster_nodeid(const struct cluster *cl);
int cluster_cpg_fd(const struct cluster *cl);
int cluster_vq_fd(const struct cluster *cl);

/* Dispatch what is pending; -errno when corosync went away. */
int cluster_dispatch_cpg(struct cluster *cl);
int cluster_dispatch_vq(struct cluster *cl);

/*
 * Multicast @len bytes to the group in agreed order. While corosync says
 * CS_ERR_TRY_AGAIN (its queue is full: flow control) the message waits in
 * ours, in order, so that the event loop never blocks on corosync; the
 * loop retries with cluster_flush() while cluster_send_pending(). 0, or
 * -errno when corosync failed or has not taken 64 MiB for too long.
 */
int cluster_send(struct cluster *cl, const void *buf, size_t len);
int cluster_flush(struct cluster *cl);
bool cluster_send_pending(const struct cluster *cl);
/* Bytes waiting in our own queue for room in corosync's (metrics). */
size_t cluster_send_queued(const struct cluster *cl);
/* How many messages had to wait in our queue so far (status). */
u64 cluster_send_waited(const struct cluster *cl);

#endif /* DDRAIDD_CLUSTER_H */
