/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ddraidctl <-> ddraidd control socket: /run/ddraid/<volume>.sock,
 * SOCK_STREAM, root only (the directory is 0700 and every peer's
 * SO_PEERCRED uid must be 0). One JSON object per line each way:
 *   request   {"cmd": "status" | "rebuild" | "fail" | "scrub" | "events", ...}
 *   response  {"ok": true, ...} or {"ok": false, "error": "why"}
 * After "events" the connection stays open and the daemon writes one event
 * object per line (lib/events.h) until the client closes it.
 * A request that cannot be parsed gets an error and changes nothing.
 */
#ifndef DDRAIDD_CTL_H
#define DDRAIDD_CTL_H

#include <stdbool.h>
#include <poll.h>

#include <json-c/json.h>

#define CTL_DIR		"/run/ddraid"
#define CTL_REQ_MAX	65536	/* bytes in one request line */

/*
 * Handle one parsed request; add fields to @resp (an object that already
 * holds "ok": true). Return 0, or a negative errno with *@why (static or
 * owned by the callee until the next call) naming the problem, or
 * CTL_SUBSCRIBE: reply, then keep the connection as a subscriber of the
 * event stream (ctl_broadcast).
 */
#define CTL_SUBSCRIBE	1
typedef int (*ctl_handler)(void *arg, json_object *req, json_object *resp,
			   const char **why);

struct ctl;

/* Listen on @path (its directory is created 0700). NULL with errno. */
struct ctl *ctl_new(const char *path, ctl_handler fn, void *arg);
void ctl_free(struct ctl *c);

/* Add our descriptors to @pfd (at most ctl_max_fds()); returns how many. */
unsigned int ctl_max_fds(void);
unsigned int ctl_pollfds(struct ctl *c, struct pollfd *pfd);
/* Serve whatever @pfd (as filled by ctl_pollfds) says is ready. */
void ctl_service(struct ctl *c, const struct pollfd *pfd, unsigned int n);

/*
 * Send @o as one line to every subscriber. A subscriber that cannot take
 * it at once (it stopped reading and its socket buffer is full) is
 * dropped: the event loop never waits for a client, and a stream with a
 * gap in it would lie.
 */
void ctl_broadcast(struct ctl *c, json_object *o);
/* How many subscribers there are (0: no need to make events). */
unsigned int ctl_subscribers(const struct ctl *c);

/* The socket path of volume @name in @buf. */
void ctl_path(const char *dir, const char *name, char *buf, size_t len);

#endif /* DDRAIDD_CTL_H */
