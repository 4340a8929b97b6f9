// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl events: print the operator events of running volumes as they
 * happen, one line each (lib/events.h, docs/events.md), in the manner of
 * drbdsetup events2. With --settle a burst of events (a node's loss or
 * return brings five or six within a second) is printed as its last
 * event once the stream has been quiet for a while: a script that reads
 * the state again on every line (the agent's attribute watcher) then does
 * so once per change instead of once per event.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"
#include "cli_watch.h"
#include "events.h"

struct printer {
	bool json;
	bool once;
	bool got;
	int settle_ms;		/* 0: print each event as it comes */
	json_object *held;	/* with settle_ms: the burst's last event */
	struct cli_watch *w;
};

static void print_event(struct printer *p, json_object *ev)
{
	char line[1024];

	if (p->json) {
		puts(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN));
	} else {
		ddraid_event_text(ev, line, sizeof(line));
		puts(line);
	}
	/* Whoever reads a pipe wants each event when it happens. */
	fflush(stdout);
	p->got = true;
}

static int take_event(void *arg, json_object *ev)
{
	struct printer *p = arg;

	if (!p->settle_ms) {
		print_event(p, ev);
		return p->once;
	}
	/* Hold it; the watch wakes up when no other came for settle_ms. */
	json_object_put(p->held);
	p->held = json_object_get(ev);
	p->w->wake_at = cli_watch_now_ms() + (u64)p->settle_ms;
	return 0;
}

static void print_held(struct printer *p)
{
	if (!p->held)
		return;
	print_event(p, p->held);
	json_object_put(p->held);
	p->held = NULL;
	p->w->wake_at = 0;
}

/* Watch with --settle until the timeout (< 0: none), --once's burst, or
 * the end of the streams; a burst held at the end is printed then. */
static int run_settled(struct printer *p, int timeout_ms)
{
	struct cli_watch *w = p->w;
	u64 end = timeout_ms < 0 ? 0 : cli_watch_now_ms() + (u64)timeout_ms;
	int r = CLI_OK;

	for (;;) {
		u64 t = cli_watch_now_ms();
		bool woke;

		if (end && t >= end)
			break;
		r = cli_watch_run(w, end ? (int)(end - t) : -1);
		t = cli_watch_now_ms();
		woke = w->wake_at && t >= w->wake_at;
		if (woke)
			print_held(p);
		if (woke && p->once)
			return CLI_OK;
		/* Neither the quiet nor the timeout: no stream is left. */
		if (!woke && !(end && t >= end))
			break;
	}
	print_held(p);
	return p->once && p->got ? CLI_OK : r;
}

int cmd_events(const struct cli_args *a)
{
	struct printer p = {
		.json = a->given[EVENTS_JSON],
		.once = a->given[EVENTS_ONCE],
		.settle_ms = a->given[EVENTS_SETTLE] ?
			(int)a->num[EVENTS_SETTLE] : 0,
	};
	struct cli_watch w = { .fn = take_event, .arg = &p };
	int timeout = a->given[EVENTS_TIMEOUT] ?
		(int)a->num[EVENTS_TIMEOUT] * 1000 : -1;
	int r;

	p.w = &w;
	if (a->argc) {
		r = cli_watch_add(&w, a->argv[0]);
		if (r)
			return r;
	} else {
		cli_watch_discover(&w);
		if (!w.n) {
			cli_err("no volume to watch: no ddraidd control socket in %s and "
				"no ddraid device-mapper device", cli_ctl_dir());
			return CLI_FAIL;
		}
	}
	cli_watch_start(&w);
	r = p.settle_ms ? run_settled(&p, timeout) :
			  cli_watch_run(&w, timeout);
	cli_watch_free(&w);
	if (!r && p.once && !p.got) {
		cli_err("no event within %d s", timeout / 1000);
		r = CLI_FAIL;
	}
	return r;
}
