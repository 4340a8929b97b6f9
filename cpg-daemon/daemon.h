/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd's runtime: one volume, one event loop around the sans-IO state
 * machine (sm.h). It feeds the machine corosync, channel, IO, timer and
 * control events and carries out the effects it returns.
 */
#ifndef DDRAIDD_DAEMON_H
#define DDRAIDD_DAEMON_H

#include <stdbool.h>

#include "ddraid.h"
#include "sm.h"

struct daemon_opts {
	const char *volume;		/* name: the control socket's name */
	char **members;			/* member paths, in order */
	unsigned int n_members;
	const char *channel;		/* "unix:PATH" or "kernel:DMDEV" */
	const char *ctl_dir;		/* CTL_DIR unless overridden */
	bool foreground;
	bool debug;
	unsigned int fence_delay_ms;
	unsigned int rebuild_gap_ms;	/* deprecated: sync_max_mbs */
	u64 sync_max_bps;		/* bytes/s; 0: unlimited */
	u64 sync_min_bps;		/* bytes/s under foreground
					 * writes; 0: sync_max */
	int fencing;			/* enum fencing_mode (fencing.h) */
	/* Every departed node waits for a confirmed fencing: 1 yes, 0 no,
	 * -1 yes exactly when Pacemaker fences (fencing.h). */
	int require_fencing;
	int host_member;		/* the member on this node's own disk,
					 * or -1 */
	unsigned int path_timeout_ms;	/* 0: twice the fence delay */
	bool no_auto_readd;
	unsigned int sync_span;		/* regions per resync or rebuild
					 * lock; 0: the state machine's
					 * default */
};

struct daemon;

/*
 * Open the members, connect to corosync, listen. NULL (logged) on error.
 * The caller must have blocked SIGTERM, SIGINT and SIGHUP (and ignored
 * SIGPIPE) before: they are read from a signalfd, and every thread
 * (the IO worker, corosync's) must inherit the blocked mask.
 */
struct daemon *daemon_new(const struct daemon_opts *o);
/* Run until SIGTERM/SIGINT; returns the exit status. */
int daemon_run(struct daemon *d);
/* Leave the CPG group cleanly and free everything. */
void daemon_free(struct daemon *d);

#endif /* DDRAIDD_DAEMON_H */
