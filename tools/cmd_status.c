// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl status [--json] [--watch ...] [VOLUME]: one volume's state, or
 * that of every volume of this node (cli_vols_list). A cluster volume's
 * comes from its ddraidd's status reply; a standalone one's, and that of
 * a cluster-mode target whose daemon is gone, from its device-mapper
 * status line (lib/dm_util.c). Text and JSON are printed from the same
 * object. The rate and time left of rebuild, resync and scrub are the
 * daemon's (lib/progress.h): printed here, never measured.
 * The --json form: docs/ddraidd.md, "ddraidctl status --json".
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "commands.h"
#include "dm_util.h"
#include "progress.h"

/* The version of the --json output: raised when a field changes its
 * meaning or goes away, not for new fields. */
#define STATUS_FORMAT		1
#define WATCH_DEFAULT_S		2

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) :
						     "?";
}

static bool jtrue(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

/* ---- text ---- */

/* ", 12.3 MB/s, ETA 3m20s" of a job object that carries the daemon's
 * rate (nothing from a daemon that does not measure it). */
static void print_rate(json_object *x)
{
	char rate[32], eta[32];
	json_object *v;

	if (!json_object_object_get_ex(x, "rate_bytes_per_s", &v))
		return;
	ddraid_fmt_rate(json_object_get_uint64(v), rate, sizeof(rate));
	if (json_object_object_get_ex(x, "eta_s", &v))
		ddraid_fmt_eta(json_object_get_uint64(v), eta, sizeof(eta));
	else
		ddraid_fmt_eta(DDRAID_ETA_UNKNOWN, eta, sizeof(eta));
	printf(", %s, ETA %s", rate, eta);
}

/* The fencing mode and each node's latest fencing request. */
static void print_fencing(json_object *x)
{
	json_object *a, *q;
	const char *s;
	size_t i;

	printf("  fencing %s%s%s\n", jstr(x, "mode"),
	       jtrue(x, "required") ? ", required for every departed node" : "",
	       jtrue(x, "two_node") ? ", corosync two_node" : "");
	if (!json_object_object_get_ex(x, "requests", &a))
		return;
	for (i = 0; i < json_object_array_length(a); i++) {
		q = json_object_array_get_idx(a, i);
		s = jstr(q, "state");
		printf("  fencing node %s since %s: %s", jstr(q, "nodeid"),
		       jstr(q, "since"), s);
		if (!strcmp(s, "confirmed"))
			printf(" (fenced at %s)", jstr(q, "fenced"));
		else if (!strcmp(s, "failed"))
			printf(" (%s attempts: %s; retry in %s ms)",
			       jstr(q, "attempts"), jstr(q, "reason"),
			       jstr(q, "retry_in_ms"));
		printf("\n");
	}
}

/* The background rate limits and where each comes from (ddraidctl set
 * for the cluster, or this node's --sync-speed-*). */
static void print_limits(json_object *x)
{
	char mbs[32];
	json_object *y, *v;
	int i;

	printf("  rates (MB/s)");
	for (i = 0; i < DDRAID_RATES; i++) {
		if (!json_object_object_get_ex(x, ddraid_rate_keys[i], &y) ||
		    !json_object_object_get_ex(y, "bytes_per_s", &v))
			continue;
		ddraid_format_mbs((u64)json_object_get_int64(v), mbs,
				  sizeof(mbs));
		printf("%s %s %s%s (%s)", i ? "," : "", ddraid_rate_keys[i],
		       mbs, strcmp(mbs, "0") ? "" : i == DDRAID_RATE_MIN ?
		       " none" : " unlimited", jstr(y, "source"));
	}
	printf("\n");
}

/* A cluster volume: its daemon's reply. */
static void print_daemon(json_object *r)
{
	json_object *a, *x;
	size_t i;

	printf("volume %s (uuid %s)\n", jstr(r, "volume"), jstr(r, "uuid"));
	printf("  node %s, coordinator %s, quorate %s, state %s, attached %s%s\n",
	       jstr(r, "nodeid"), jstr(r, "coordinator"), jstr(r, "quorate"),
	       jstr(r, "has_state"), jstr(r, "attached"),
	       jtrue(r, "frozen") ? ", FROZEN" : "");
	printf("  events %s, %s regions of %s bytes, %s dirty, %s waiting for fencing\n",
	       jstr(r, "events"), jstr(r, "regions"), jstr(r, "region_size"),
	       jstr(r, "dirty"), jstr(r, "fence_wait"));
	if (json_object_object_get_ex(r, "members", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			printf("  member %s %-10s %s%s\n", jstr(x, "index"),
			       jstr(x, "state"), jstr(x, "path"),
			       jtrue(x, "pending_fail") ?
			       " (failure being recorded)" : "");
		}
	if (json_object_object_get_ex(r, "nodes", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			printf("  node %s slot %s holds %s regions%s%s\n",
			       jstr(x, "nodeid"), jstr(x, "slot"),
			       jstr(x, "held"),
			       jtrue(x, "attached") ? "" : " (not attached)",
			       jtrue(x, "orphaned") ? " (daemon gone)" : "");
		}
	if (json_object_object_get_ex(r, "rebuild", &x) && jtrue(x, "active")) {
		printf("  rebuilding member %s: %s of %s regions",
		       jstr(x, "member"), jstr(x, "done"), jstr(x, "total"));
		print_rate(x);
		printf("\n");
	}
	if (json_object_object_get_ex(r, "resync", &x) && jtrue(x, "active")) {
		printf("  resync: %s regions left", jstr(x, "left"));
		print_rate(x);
		printf("\n");
	}
	if (json_object_object_get_ex(r, "scrub", &x) &&
	    strcmp(jstr(x, "state"), "none") && strcmp(jstr(x, "state"), "?")) {
		printf("  scrub (%s) %s: %s of %s regions, %s blocks' parity differed, %s rewritten",
		       jstr(x, "mode"), jstr(x, "state"), jstr(x, "done"),
		       jstr(x, "total"), jstr(x, "mismatches"),
		       jstr(x, "repaired"));
		if (jtrue(x, "active"))
			print_rate(x);
		printf("\n");
	}
	if (json_object_object_get_ex(r, "scrub", &x) &&
	    json_object_object_get_ex(x, "last_scheduled", &a))
		printf("  last scheduled scrub: the period from %s\n",
		       json_object_get_string(a));
	if (json_object_object_get_ex(r, "rates", &x))
		print_limits(x);
	if (json_object_object_get_ex(r, "fencing", &x))
		print_fencing(x);
	if (json_object_object_get_ex(r, "channel", &x))
		printf("  target channel %s: %s\n", jstr(x, "spec"),
		       jtrue(x, "connected") ? "connected" : "not connected");
}

/* A kernel target without a daemon that answers (dm_json). */
static void print_dm(json_object *o)
{
	json_object *a, *x;
	size_t i;

	if (!strcmp(jstr(o, "type"), "cluster"))
		printf("volume %s (cluster-mode kernel target; no ddraidd answers)\n",
		       jstr(o, "volume"));
	else
		printf("volume %s (standalone kernel target)\n",
		       jstr(o, "volume"));
	printf("  state %s", jstr(o, "state"));
	if (json_object_object_get_ex(o, "io", &x))
		printf(", %s reads, %s writes, %s reconstructed, %s member errors, %s parity mismatches",
		       jstr(x, "reads"), jstr(x, "writes"),
		       jstr(x, "reconstructs"), jstr(x, "member_errors"),
		       jstr(x, "mismatches"));
	printf("\n");
	if (json_object_object_get_ex(o, "members", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			printf("  member %s %s\n", jstr(x, "index"),
			       jstr(x, "state"));
		}
	if (json_object_object_get_ex(o, "target", &x))
		printf("  target %s, %s\n", jtrue(x, "attached") ?
		       "attached" : "detached", jstr(x, "frozen"));
}

static void print_volume(json_object *o)
{
	if (jtrue(o, "daemon"))
		print_daemon(o);
	else if (json_object_object_get_ex(o, "state", NULL))
		print_dm(o);
	/* else nothing was learned; the reason is on stderr */
}

/* ---- the objects ---- */

/* A ddraid dm device's status line as a volume object. */
static json_object *dm_json(const char *vol, const struct ddraid_dm_status *st)
{
	json_object *o = json_object_new_object(), *a, *x;
	unsigned int i;

	json_object_object_add(o, "volume", json_object_new_string(vol));
	json_object_object_add(o, "type", json_object_new_string(
				       st->cluster ? "cluster" : "standalone"));
	json_object_object_add(o, "daemon", json_object_new_boolean(0));
	json_object_object_add(o, "state", json_object_new_string(st->state));
	a = json_object_new_array();
	for (i = 0; i < st->members; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "index", json_object_new_int(i));
		json_object_object_add(x, "state", json_object_new_string(
					       ddraid_dm_health_name(st->health[i])));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "members", a);
	x = json_object_new_object();
	json_object_object_add(x, "reads", json_object_new_uint64(st->reads));
	json_object_object_add(x, "writes", json_object_new_uint64(st->writes));
	json_object_object_add(x, "reconstructs",
			       json_object_new_uint64(st->reconstructs));
	json_object_object_add(x, "member_errors",
			       json_object_new_uint64(st->member_errors));
	json_object_object_add(x, "mismatches",
			       json_object_new_uint64(st->mismatches));
	json_object_object_add(o, "io", x);
	if (st->cluster) {
		x = json_object_new_object();
		json_object_object_add(x, "attached",
				       json_object_new_boolean(st->attached));
		json_object_object_add(x, "frozen",
				       json_object_new_string(st->frozen));
		json_object_object_add(o, "target", x);
	}
	return o;
}

/*
 * Volume @vol's object in *@out: its daemon's reply, else (no daemon, or
 * one that does not answer: gone, its socket stale) its kernel target's
 * status. CLI_OK, or CLI_FAIL after saying why (also for a cluster-mode
 * target without its daemon), with *@out what could be learned (NULL:
 * nothing).
 */
static int volume_json(const char *vol, json_object **out)
{
	struct ddraid_dm_status st;
	char err[DDRAID_ERRMSG_MAX];
	json_object *req, *o = NULL;
	bool sock = cli_ctl_exists(vol);
	int r;

	*out = NULL;
	if (sock) {
		req = json_object_new_object();
		json_object_object_add(req, "cmd",
				       json_object_new_string("status"));
		r = cli_ctl_ask(vol, req, &o, false);
		json_object_put(req);
		if (!r && !(r = cli_ctl_reply_ok(o, NULL))) {
			json_object_object_add(o, "type",
					       json_object_new_string("cluster"));
			json_object_object_add(o, "daemon",
					       json_object_new_boolean(1));
			*out = o;
			return CLI_OK;
		}
		json_object_put(o);
	}
	if (ddraid_dm_available() &&
	    !ddraid_dm_status(vol, &st, err, sizeof(err))) {
		*out = dm_json(vol, &st);
		if (!sock && !st.cluster)
			return CLI_OK;
		/* A cluster volume's daemon is gone: a problem to report. */
		if (!sock)
			cli_err("volume '%s': a cluster-mode target, and no ddraidd "
				"control socket %s/%s.sock", vol, cli_ctl_dir(),
				vol);
		json_object_object_add(*out, "error", json_object_new_string(
					       "ddraidd does not answer"));
		return CLI_FAIL;
	}
	if (!sock)
		cli_err_no_volume(vol);
	return CLI_FAIL;
}

/* @o with "format" first (json-c keeps the order things were added in). */
static json_object *with_format(json_object *o)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "format", json_object_new_int(STATUS_FORMAT));
	json_object_object_foreach(o, k, v)
		json_object_object_add(f, k, json_object_get(v));
	json_object_put(o);
	return f;
}

/* Every volume of this node in *@out, {"format", "volumes": [...]}. */
static int all_json(json_object **out)
{
	json_object *vols = json_object_new_array(), *o;
	struct cli_vol *v;
	unsigned int i, n;
	int r = CLI_OK, e;

	e = cli_vols_list(&v, &n);
	if (e) {
		cli_err("%s: %s: cluster volumes are not listed", cli_ctl_dir(),
			strerror(-e));
		r = CLI_FAIL;
	}
	for (i = 0; i < n; i++) {
		if (volume_json(v[i].name, &o))
			r = CLI_FAIL;
		if (!o) {
			o = json_object_new_object();
			json_object_object_add(o, "volume",
					       json_object_new_string(v[i].name));
			json_object_object_add(o, "error", json_object_new_string(
					       "neither its ddraidd nor a device-mapper device answers"));
		}
		json_object_array_add(vols, o);
	}
	cli_vols_free(v, n);
	o = json_object_new_object();
	json_object_object_add(o, "volumes", vols);
	*out = with_format(o);
	return r;
}

/* One look: print the status of the named volume, or of every one. */
static int look(const struct cli_args *a, bool json, int jflags)
{
	json_object *o, *vols;
	size_t i, n;
	int r;

	if (a->argc) {
		r = volume_json(a->argv[0], &o);
		if (!o)
			return r;
		if (json)
			o = with_format(o);
	} else {
		r = all_json(&o);
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(o, jflags));
	} else if (a->argc) {
		print_volume(o);
	} else {
		json_object_object_get_ex(o, "volumes", &vols);
		n = json_object_array_length(vols);
		if (!n)
			printf("no ddraid volume runs on this node\n");
		for (i = 0; i < n; i++)
			print_volume(json_object_array_get_idx(vols, i));
	}
	json_object_put(o);
	return r;
}

/* ---- --watch ---- */

static volatile sig_atomic_t stopped;

static void on_stop(int sig)
{
	(void)sig;
	stopped = 1;
}

/* Like watch(1): the command and the time above each look. */
static void header(const struct cli_args *a, u64 every)
{
	char when[64];
	time_t t = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
	printf("Every %llus: ddraidctl status%s%s  %s\n\n",
	       (unsigned long long)every, a->argc ? " " : "",
	       a->argc ? a->argv[0] : "", when);
}

/*
 * Look every @every seconds until SIGINT or SIGTERM (exit status 0) or
 * @count looks (0: no end; the last look's status). A terminal is
 * cleared and redrawn; anything else gets each look after the last, a
 * blank line between, --json one object a line.
 */
static int watch(const struct cli_args *a, u64 every, u64 count)
{
	struct sigaction sa = { .sa_handler = on_stop };
	bool json = a->given[STATUS_JSON], tty = isatty(STDOUT_FILENO);
	struct timespec left;
	u64 n = 0;
	int r = CLI_OK;

	/* No SA_RESTART: the sleep and a read from a daemon end at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stopped) {
		if (!json) {
			if (tty)
				fputs("\033[H\033[2J", stdout);
			else if (n)
				putchar('\n');
			header(a, every);
		}
		r = look(a, json, JSON_C_TO_STRING_PLAIN);
		fflush(stdout);
		if (++n == count)
			break;
		left = (struct timespec){ .tv_sec = (time_t)every };
		while (!stopped && nanosleep(&left, &left) && errno == EINTR)
			;
	}
	return stopped ? CLI_OK : r;
}

int cmd_status(const struct cli_args *a)
{
	bool w = a->given[STATUS_WATCH];

	if (!w && (a->given[STATUS_INTERVAL] || a->given[STATUS_COUNT]))
		return cli_usage("--interval and --count go with --watch");
	if (w)
		return watch(a, a->given[STATUS_INTERVAL] ?
				a->num[STATUS_INTERVAL] : WATCH_DEFAULT_S,
			     a->given[STATUS_COUNT] ? a->num[STATUS_COUNT] : 0);
	return look(a, a->given[STATUS_JSON], JSON_C_TO_STRING_PRETTY);
}
