// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl events: print the operator events of running volumes as they
 * happen, one line each (lib/events.h, docs/events.md), in the manner of
 * drbdsetup events2.
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
};

static int print_event(void *arg, json_object *ev)
{
	struct printer *p = arg;
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
	return p->once;
}

int cmd_events(const struct cli_args *a)
{
	struct printer p = {
		.json = a->given[EVENTS_JSON],
		.once = a->given[EVENTS_ONCE],
	};
	struct cli_watch w = { .fn = print_event, .arg = &p };
	int timeout = a->given[EVENTS_TIMEOUT] ?
		(int)a->num[EVENTS_TIMEOUT] * 1000 : -1;
	int r;

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
	r = cli_watch_run(&w, timeout);
	cli_watch_free(&w);
	if (!r && p.once && !p.got) {
		cli_err("no event within %d s", timeout / 1000);
		r = CLI_FAIL;
	}
	return r;
}
