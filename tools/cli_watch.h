/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Watching volumes for operator events (lib/events.h), for ddraidctl
 * events and monitor: a volume with a ddraidd is watched through its
 * event stream on the control socket; a standalone one (a ddraid dm
 * device with no daemon) by polling its device-mapper status and deriving
 * the events from the member health it shows, with the same derivation
 * the daemon uses. Either way the caller gets the same JSON event objects.
 */
#ifndef DDRAID_CLI_WATCH_H
#define DDRAID_CLI_WATCH_H

#include <stdbool.h>

#include <json-c/json.h>

#include "ddraid.h"

/* Return non-zero to stop watching. */
typedef int (*cli_watch_fn)(void *arg, json_object *ev);

struct cli_watch_src;

struct cli_watch {
	cli_watch_fn fn;
	void *arg;
	/* Report each volume's current problems when it is first seen. */
	bool current;
	/* Keep going when a daemon goes away, reconnect; look for new
	 * volumes when none was named (monitor). Else a closed stream ends
	 * the watch (events). */
	bool persist;
	bool discover;
	struct cli_watch_src *src;
	unsigned int n;
	unsigned int problems;	/* problem events delivered */
	bool failed;		/* a volume could not be read */
	bool stopped;		/* fn asked to stop */
	/* Set by fn (0: none): cli_watch_run returns at this time too
	 * (cli_watch_now_ms), to let the caller act on the quiet. */
	u64 wake_at;
};

/* Watch volume @vol (a daemon's, else a standalone dm device). CLI_OK, or
 * CLI_FAIL after saying that there is no such volume. */
int cli_watch_add(struct cli_watch *w, const char *vol);
/* Add every volume found (daemon sockets, then ddraid dm devices). */
void cli_watch_discover(struct cli_watch *w);
/* Connect to every daemon and read every standalone status once; with
 * ->current, report the problems there are now. */
void cli_watch_start(struct cli_watch *w);
/*
 * Deliver events until fn stops it, @timeout_ms passes (< 0: never),
 * ->wake_at comes, or (without ->persist) no stream is left. CLI_OK, or
 * CLI_FAIL when a stream ended or a volume could not be read.
 */
int cli_watch_run(struct cli_watch *w, int timeout_ms);
void cli_watch_free(struct cli_watch *w);
/* CLOCK_MONOTONIC in milliseconds: the clock the timeouts above use. */
u64 cli_watch_now_ms(void);

#endif /* DDRAID_CLI_WATCH_H */
