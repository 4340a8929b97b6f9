// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl monitor: report the operator events of every volume (or the
 * named ones) in the manner of mdadm --monitor: to standard output or
 * syslog, and to a program run as "PROG EVENT VOLUME DETAILS"; with
 * --oneshot report the problems there are now and exit, non-zero when
 * there are any (for a timer).
 */
#include "config.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"
#include "cli_watch.h"
#include "events.h"

struct monitor {
	const char *program;
	bool syslog;
};

/* DDRAID_<FIELD> for every field after "event": DDRAID_MEMBER=1 ... */
static void set_field_env(json_object *ev)
{
	char key[64];
	bool after = false;
	size_t i;

	json_object_object_foreach(ev, k, v) {
		if (!after) {
			after = !strcmp(k, "event");
			continue;
		}
		snprintf(key, sizeof(key), "DDRAID_%s", k);
		for (i = 7; key[i]; i++)
			key[i] = key[i] == '-' ? '_' : (char)toupper(key[i]);
		setenv(key, json_object_get_string(v), 1);
	}
}

static const char *field(json_object *ev, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(ev, k, &v) ?
		json_object_get_string(v) : "";
}

/*
 * One program run per event, in order, waited for: a program that acts
 * on "member-failed" must not race the one for "volume-healthy".
 */
static void run_program(const char *prog, json_object *ev)
{
	char details[1024];
	pid_t pid;
	int status;

	ddraid_event_details(ev, details, sizeof(details));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cli_err("cannot run %s: %s", prog, strerror(errno));
		return;
	}
	if (!pid) {
		setenv("DDRAID_EVENT", field(ev, "event"), 1);
		setenv("DDRAID_VOLUME", field(ev, "volume"), 1);
		setenv("DDRAID_TIME", field(ev, "time"), 1);
		setenv("DDRAID_DETAILS", details, 1);
		setenv("DDRAID_EVENT_JSON", json_object_to_json_string_ext(
			       ev, JSON_C_TO_STRING_PLAIN), 1);
		set_field_env(ev);
		execlp(prog, prog, field(ev, "event"), field(ev, "volume"),
		       details, (char *)NULL);
		fprintf(stderr, "ddraidctl: monitor: cannot run %s: %s\n", prog,
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		cli_warn("%s %s %s: exit status %d", prog, field(ev, "event"),
			 field(ev, "volume"),
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int report(void *arg, json_object *ev)
{
	struct monitor *m = arg;
	char line[1024];

	ddraid_event_text(ev, line, sizeof(line));
	if (m->syslog) {
		/* syslog stamps it: without our time. */
		syslog(ddraid_event_json_is_problem(ev) ? LOG_WARNING : LOG_NOTICE,
		       "%s", strchr(line, ' ') ? strchr(line, ' ') + 1 : line);
	} else {
		puts(line);
		fflush(stdout);
	}
	if (m->program)
		run_program(m->program, ev);
	return 0;
}

/* Is @prog something execlp() can run? */
static bool runnable(const char *prog)
{
	char path[4096];
	const char *dirs = getenv("PATH"), *end;

	if (strchr(prog, '/'))
		return !access(prog, X_OK);
	for (; dirs && *dirs; dirs = *end ? end + 1 : end) {
		end = strchrnul(dirs, ':');
		snprintf(path, sizeof(path), "%.*s/%s", (int)(end - dirs), dirs,
			 prog);
		if (!access(path, X_OK))
			return true;
	}
	return false;
}

int cmd_monitor(const struct cli_args *a)
{
	struct monitor m = {
		.program = a->given[MONITOR_PROGRAM] ? a->str[MONITOR_PROGRAM] :
						       NULL,
		.syslog = a->given[MONITOR_SYSLOG],
	};
	bool oneshot = a->given[MONITOR_ONESHOT];
	struct cli_watch w = {
		.fn = report, .arg = &m, .current = true,
		.persist = !oneshot, .discover = !a->argc,
	};
	int i, r;

	if (m.program && (!*m.program || !runnable(m.program)))
		return cli_usage("--program %s: not an executable program",
				 m.program);
	for (i = 0; i < a->argc; i++) {
		r = cli_watch_add(&w, a->argv[i]);
		if (r) {
			cli_watch_free(&w);
			return r;
		}
	}
	if (!a->argc)
		cli_watch_discover(&w);
	if (m.syslog)
		openlog("ddraidctl-monitor", LOG_PID, LOG_DAEMON);
	cli_watch_start(&w);
	if (!oneshot)
		cli_watch_run(&w, -1);
	r = w.problems || w.failed ? CLI_FAIL : CLI_OK;
	cli_watch_free(&w);
	return r;
}
