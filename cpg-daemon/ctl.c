// SPDX-License-Identifier: GPL-2.0-only
/* The ddraidctl control socket of ddraidd (ctl.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "pidfile.h"

#define CTL_CLIENTS	16

struct ctl_client {
	int fd;			/* -1: free */
	char *buf;
	size_t len;
	bool subscribed;	/* gets the event stream */
};

struct ctl {
	int lfd;
	char *path;
	ctl_handler fn;
	void *arg;
	struct ctl_client cl[CTL_CLIENTS];
};

void ctl_path(const char *dir, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.sock", dir, name);
}

struct ctl *ctl_new(const char *path, ctl_handler fn, void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;
	int i, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	r = run_dir_make(path);
	if (r) {
		errno = -r;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->fn = fn;
	c->arg = arg;
	for (i = 0; i < CTL_CLIENTS; i++)
		c->cl[i].fd = -1;
	strcpy(sa.sun_path, path);
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0)
		goto fail;
	/* A stale socket of a previous daemon of this volume. */
	unlink(path);
	if (bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0600) || listen(c->lfd, 8))
		goto fail;
	return c;
fail:
	r = errno;
	if (c->lfd >= 0)
		close(c->lfd);
	free(c->path);
	free(c);
	errno = r;
	return NULL;
}

static void drop(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->buf);
	cl->fd = -1;
	cl->buf = NULL;
	cl->len = 0;
	cl->subscribed = false;
}

void ctl_free(struct ctl *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < CTL_CLIENTS; i++)
		drop(&c->cl[i]);
	close(c->lfd);
	unlink(c->path);
	free(c->path);
	free(c);
}

unsigned int ctl_max_fds(void)
{
	return CTL_CLIENTS + 1;
}

unsigned int ctl_pollfds(struct ctl *c, struct pollfd *pfd)
{
	unsigned int n = 0;
	int i;

	pfd[n++] = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->cl[i].fd,
						    .events = POLLIN };
	return n;
}

static void send_json(struct ctl_client *cl, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s), off = 0;

	/* Small replies to a waiting client; a peer that stops reading is dropped. */
	while (off < len) {
		ssize_t w = send(cl->fd, s + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		off += (size_t)w;
	}
	if (send(cl->fd, "\n", 1, MSG_NOSIGNAL) < 0)
		return;
}

static void reply_error(struct ctl_client *cl, int err, const char *why)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "errno", json_object_new_int(-err));
	json_object_object_add(o, "error",
			       json_object_new_string(why ? why : strerror(-err)));
	send_json(cl, o);
	json_object_put(o);
}

static void handle_line(struct ctl *c, struct ctl_client *cl, const char *line)
{
	enum json_tokener_error jerr;
	json_object *req, *resp;
	const char *why = NULL;
	int r;

	req = json_tokener_parse_verbose(line, &jerr);
	if (!req || !json_object_is_type(req, json_type_object)) {
		char msg[160];

		snprintf(msg, sizeof(msg), "request is not a JSON object: %s",
			 req ? "wrong type" : json_tokener_error_desc(jerr));
		json_object_put(req);
		reply_error(cl, -EINVAL, msg);
		return;
	}
	resp = json_object_new_object();
	json_object_object_add(resp, "ok", json_object_new_boolean(1));
	r = c->fn(c->arg, req, resp, &why);
	if (r < 0) {
		reply_error(cl, r, why);
	} else {
		send_json(cl, resp);
		if (r == CTL_SUBSCRIBE)
			cl->subscribed = true;
	}
	json_object_put(resp);
	json_object_put(req);
}

static void accept_client(struct ctl *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd, i;

	fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    cred.uid != 0) {
		log_warn("control: refused a connection from uid %d (root only)",
			 len == sizeof(cred) ? (int)cred.uid : -1);
		close(fd);
		return;
	}
	for (i = 0; i < CTL_CLIENTS; i++)
		if (c->cl[i].fd < 0)
			break;
	if (i == CTL_CLIENTS) {
		log_warn("control: too many clients");
		close(fd);
		return;
	}
	c->cl[i].fd = fd;
}

static void read_client(struct ctl *c, struct ctl_client *cl)
{
	char *nl, *p;
	ssize_t n;

	p = realloc(cl->buf, cl->len + 4097);
	if (!p) {
		drop(cl);
		return;
	}
	cl->buf = p;
	n = recv(cl->fd, cl->buf + cl->len, 4096, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(cl);
		return;
	}
	cl->len += (size_t)n;
	cl->buf[cl->len] = 0;
	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t used = (size_t)(nl - cl->buf) + 1;

		*nl = 0;
		if (memchr(cl->buf, 0, used - 1))
			reply_error(cl, -EINVAL, "request holds a NUL byte");
		else
			handle_line(c, cl, cl->buf);
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
		cl->buf[cl->len] = 0;
	}
	if (cl->len > CTL_REQ_MAX) {
		reply_error(cl, -E2BIG, "request line too long");
		drop(cl);
	}
}

void ctl_service(struct ctl *c, const struct pollfd *pfd, unsigned int n)
{
	unsigned int i;
	int k;

	for (i = 1; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		for (k = 0; k < CTL_CLIENTS; k++)
			if (c->cl[k].fd == pfd[i].fd)
				read_client(c, &c->cl[k]);
	}
	if (n && (pfd[0].revents & POLLIN))
		accept_client(c);
}

/* All of @s or nothing useful: a partial line would corrupt the stream. */
static int send_all_now(int fd, const char *s, size_t len)
{
	ssize_t w = send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	return w == (ssize_t)len ? 0 : -1;
}

void ctl_broadcast(struct ctl *c, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *line;
	size_t len = strlen(s);
	int i;

	line = malloc(len + 2);
	if (!line)
		return;
	memcpy(line, s, len);
	line[len++] = '\n';
	line[len] = 0;
	for (i = 0; i < CTL_CLIENTS; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->fd < 0 || !cl->subscribed)
			continue;
		if (send_all_now(cl->fd, line, len)) {
			/*
			 * Not drop(): we may be inside this very client's
			 * request (a "fail" sent on a subscribed connection).
			 * Its next read sees the end and drops it.
			 */
			log_warn("control: dropped an event subscriber that does not read");
			shutdown(cl->fd, SHUT_RDWR);
			cl->subscribed = false;
		}
	}
	free(line);
}

unsigned int ctl_subscribers(const struct ctl *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < CTL_CLIENTS; i++)
		n += c->cl[i].fd >= 0 && c->cl[i].subscribed;
	return n;
}
