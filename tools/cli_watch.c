// SPDX-License-Identifier: GPL-2.0-only
/* Watching volumes for operator events (cli_watch.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_watch.h"
#include "dm_util.h"
#include "events.h"

/* How often standalone volumes are polled and, with ->discover, new
 * volumes and gone daemons looked for. */
#define POLL_MS		2000
#define RESCAN_MS	10000
/* How long a daemon may take to answer the subscription. */
#define REPLY_TIMEOUT_S	5

struct cli_watch_src {
	char name[128];	/* a volume or dm device name */
	bool daemon;
	struct cli_lines l;	/* daemon: the stream, fd -1 when closed */
	bool ended;		/* its stream closed, or its dm device went */
	bool seen;		/* started once: later problems are events */
	struct ddraid_ev_view last;	/* standalone: the last status */
};

u64 cli_watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void deliver(struct cli_watch *w, json_object *ev)
{
	if (w->stopped)
		return;
	w->problems += ddraid_event_json_is_problem(ev);
	if (w->fn(w->arg, ev))
		w->stopped = true;
}

static struct cli_watch_src *find(struct cli_watch *w, const char *vol)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		if (!strcmp(w->src[i].name, vol))
			return &w->src[i];
	return NULL;
}

static struct cli_watch_src *add(struct cli_watch *w, const char *vol,
				 bool daemon)
{
	struct cli_watch_src *s, *p;

	if (strlen(vol) >= sizeof(((struct cli_watch_src *)0)->name))
		return NULL;
	p = realloc(w->src, (w->n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	w->src = p;
	s = &w->src[w->n++];
	memset(s, 0, sizeof(*s));
	strcpy(s->name, vol);
	s->daemon = daemon;
	s->l.fd = -1;
	return s;
}

int cli_watch_add(struct cli_watch *w, const char *vol)
{
	struct ddraid_dm_status st;
	char err[DDRAID_ERRMSG_MAX];

	if (find(w, vol))
		return CLI_OK;
	if (cli_ctl_exists(vol))
		return add(w, vol, true) ? CLI_OK : CLI_FAIL;
	if (ddraid_dm_available() &&
	    !ddraid_dm_status(vol, &st, err, sizeof(err)))
		return add(w, vol, false) ? CLI_OK : CLI_FAIL;
	cli_err_no_volume(vol);
	return CLI_FAIL;
}

void cli_watch_discover(struct cli_watch *w)
{
	struct cli_vol *v;
	unsigned int i, n;

	cli_vols_list(&v, &n);
	/* Standalone targets only: a cluster-mode target's health is its
	 * daemon's to tell, and that daemon is gone. */
	for (i = 0; i < n; i++)
		if (!find(w, v[i].name) && (v[i].daemon || !v[i].cluster))
			add(w, v[i].name, v[i].daemon);
	cli_vols_free(v, n);
}

/* ---- standalone: the dm status as a view ---- */

static int dm_view(struct cli_watch_src *s, struct ddraid_ev_view *v,
		   bool quiet)
{
	struct ddraid_dm_status st;
	char err[DDRAID_ERRMSG_MAX];
	unsigned int i;

	if (ddraid_dm_status(s->name, &st, err, sizeof(err))) {
		if (!quiet)
			cli_err("%s", err);
		return -1;
	}
	memset(v, 0, sizeof(*v));
	v->valid = true;
	v->quorate = true;	/* nothing to lose: no cluster */
	v->members = st.members;
	for (i = 0; i < st.members; i++)
		v->state[i] = st.health[i] == 'A' ? DDRAID_MEMBER_ACTIVE :
			      st.health[i] == 'R' ? DDRAID_MEMBER_REBUILDING :
						    DDRAID_MEMBER_FAILED;
	return 0;
}

static void dm_poll(struct cli_watch *w, struct cli_watch_src *s)
{
	struct ddraid_event ev[DDRAID_EV_MAX];
	struct ddraid_ev_view v;
	struct timespec ts;
	unsigned int i, n;

	if (dm_view(s, &v, s->ended)) {
		/* Said once; a monitor looks again, events gives up. */
		s->ended = true;
		w->failed = !w->persist;
		return;
	}
	if (s->ended) {
		cli_warn("volume '%s': its device-mapper device is back", s->name);
		s->ended = false;
	}
	/* The first look: its problems, if wanted, else only a baseline. */
	n = s->seen || w->current ? ddraid_ev_derive(&s->last, &v, ev) : 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < n; i++) {
		json_object *o;

		if (!s->seen && !ddraid_event_is_problem(ev[i].type))
			continue;
		o = ddraid_event_json(&ev[i], s->name, &ts);
		deliver(w, o);
		json_object_put(o);
	}
	s->last = v;
	s->seen = true;
}

/* ---- daemons: the event stream ---- */

/* The complete lines @s has read. */
static void daemon_lines(struct cli_watch *w, struct cli_watch_src *s)
{
	char *line;

	while (!w->stopped && (line = cli_lines_get(&s->l))) {
		json_object *o = cli_json_object(line);

		/* Replies to nothing we asked, or garbage: not events. */
		if (o && json_object_object_get_ex(o, "event", NULL))
			deliver(w, o);
		json_object_put(o);
	}
}

static void daemon_connect(struct cli_watch *w, struct cli_watch_src *s)
{
	static const struct timeval tmo = { .tv_sec = REPLY_TIMEOUT_S };
	json_object *req, *resp = NULL, *v, *a;
	char *line = NULL;
	size_t i;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("events"));
	s->l.fd = cli_ctl_connect(s->name, req, w->persist && s->ended);
	json_object_put(req);
	if (s->l.fd < 0) {
		w->failed = !w->persist;
		s->ended = true;
		return;
	}
	setsockopt(s->l.fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	while (!(line = cli_lines_get(&s->l)) && cli_lines_fill(&s->l) > 0)
		;
	if (line)
		resp = cli_json_object(line);
	if (!resp || !json_object_object_get_ex(resp, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		cli_err("volume '%s': ddraidd did not accept the subscription%s%s",
			s->name,
			resp && json_object_object_get_ex(resp, "error", &v) ?
			": " : "",
			resp && json_object_object_get_ex(resp, "error", &v) ?
			json_object_get_string(v) : "");
		json_object_put(resp);
		cli_lines_free(&s->l);
		w->failed = true;
		s->ended = true;
		return;
	}
	if (s->ended)
		cli_warn("volume '%s': reconnected to ddraidd", s->name);
	s->ended = false;
	if (w->current && json_object_object_get_ex(resp, "current", &a))
		for (i = 0; i < json_object_array_length(a); i++)
			deliver(w, json_object_array_get_idx(a, i));
	json_object_put(resp);
	s->seen = true;
	/* From now on poll() says when to read. */
	setsockopt(s->l.fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ 0 },
		   sizeof(struct timeval));
	/* Events that came with the reply. */
	daemon_lines(w, s);
}

/* Read what @s has; false when the stream ended. */
static bool daemon_read(struct cli_watch *w, struct cli_watch_src *s)
{
	int n = cli_lines_fill(&s->l);

	daemon_lines(w, s);
	/* What came before the end was all the caller wanted. */
	if (n > 0 || w->stopped)
		return true;
	cli_lines_free(&s->l);
	s->ended = true;
	if (w->persist) {
		cli_warn("volume '%s': ddraidd closed the event stream%s",
			 s->name, " (it stopped?); trying again");
	} else {
		cli_err("volume '%s': ddraidd closed the event stream", s->name);
		w->failed = true;
	}
	return false;
}

void cli_watch_start(struct cli_watch *w)
{
	unsigned int i;

	for (i = 0; i < w->n && !w->stopped; i++) {
		if (w->src[i].seen)
			continue;
		if (w->src[i].daemon)
			daemon_connect(w, &w->src[i]);
		else
			dm_poll(w, &w->src[i]);
	}
}

int cli_watch_run(struct cli_watch *w, int timeout_ms)
{
	u64 start = cli_watch_now_ms(), next_poll = start + POLL_MS;
	u64 next_scan = start + RESCAN_MS;
	struct pollfd *pfd = NULL;
	unsigned int i, n, polled;
	int wait;

	while (!w->stopped) {
		u64 t = cli_watch_now_ms();

		if (timeout_ms >= 0 && t >= start + (u64)timeout_ms)
			break;
		if (w->wake_at && t >= w->wake_at)
			break;
		if (t >= next_poll) {
			for (i = 0; i < w->n; i++)
				if (!w->src[i].daemon &&
				    (w->persist || !w->src[i].ended))
					dm_poll(w, &w->src[i]);
			next_poll = t + POLL_MS;
		}
		if (w->persist && t >= next_scan) {
			if (w->discover)
				cli_watch_discover(w);
			for (i = 0; i < w->n; i++)
				if (w->src[i].daemon && w->src[i].ended)
					w->src[i].seen = false;
			cli_watch_start(w);
			next_scan = t + RESCAN_MS;
		}
		free(pfd);
		pfd = calloc(w->n + 1, sizeof(*pfd));
		if (!pfd)
			return CLI_FAIL;
		for (i = n = polled = 0; i < w->n; i++) {
			polled += !w->src[i].daemon && !w->src[i].ended;
			if (w->src[i].l.fd < 0)
				continue;
			pfd[n++] = (struct pollfd){ .fd = w->src[i].l.fd,
						    .events = POLLIN };
		}
		/* Nothing left to wait for: every stream ended, none polled. */
		if (!w->persist && !n && !polled)
			break;
		wait = (int)(next_poll - t);
		if (timeout_ms >= 0 && start + (u64)timeout_ms - t < (u64)wait)
			wait = (int)(start + (u64)timeout_ms - t);
		if (w->wake_at && w->wake_at - t < (u64)wait)
			wait = (int)(w->wake_at - t);
		if (poll(pfd, n, wait) < 0 && errno != EINTR)
			break;
		for (i = n = 0; i < w->n && !w->stopped; i++) {
			if (w->src[i].l.fd < 0)
				continue;
			if (pfd[n++].revents)
				daemon_read(w, &w->src[i]);
		}
	}
	free(pfd);
	return w->failed ? CLI_FAIL : CLI_OK;
}

void cli_watch_free(struct cli_watch *w)
{
	unsigned int i;

	for (i = 0; i < w->n; i++)
		cli_lines_free(&w->src[i].l);
	free(w->src);
	w->src = NULL;
	w->n = 0;
}
