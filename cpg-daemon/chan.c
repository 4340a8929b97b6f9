// SPDX-License-Identifier: GPL-2.0-only
/* Transport-independent half of ddraidd's kernel channel (chan.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"

static const struct chan_transport *const transports[] = {
	&chan_unix,
	&chan_kernel,
	NULL,
};

struct chan *chan_new(const char *spec, const char **why)
{
	const struct chan_transport *const *t;
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	struct chan *c;

	for (t = transports; *t; t++)
		if (strlen((*t)->name) == len && !strncmp((*t)->name, spec, len))
			break;
	if (!*t) {
		*why = "unknown channel transport (use unix:PATH or kernel)";
		return NULL;
	}
	if (*t == &chan_unix && (!colon || !colon[1])) {
		*why = "unix channel needs a socket path: unix:PATH";
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->arg = strdup(colon ? colon + 1 : ""))) {
		free(c);
		*why = "out of memory";
		return NULL;
	}
	c->t = *t;
	c->fd = -1;
	return c;
}

void chan_free(struct chan *c)
{
	if (!c)
		return;
	chan_disconnect(c);
	free(c->arg);
	free(c);
}

void chan_disconnect(struct chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rlen = 0;
}

/* Write all of @len bytes; the socket is non-blocking but 64 bytes rarely wait. */
static int write_all(int fd, const u8 *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 1000) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int chan_send(struct chan *c, const struct ddraid_chan_msg *m)
{
	struct ddraid_chan_msg msg = *m;
	u8 buf[DDRAID_CHAN_MSG_BYTES];
	const char *why = NULL;
	int r;

	if (c->fd < 0)
		return -ENOTCONN;
	msg.seq = ++c->seq;
	r = ddraid_chan_encode(&msg, &c->lim, buf, &why);
	if (r) {
		log_err("channel: refusing to send %s: %s",
			ddraid_chan_type_name(m->type), why ? why : "invalid");
		return r;
	}
	r = write_all(c->fd, buf, sizeof(buf));
	if (r) {
		log_warn("channel: write failed: %s", strerror(-r));
		chan_disconnect(c);
	}
	return r;
}

int chan_connect(struct chan *c)
{
	struct ddraid_chan_msg at = { .type = DDRAID_CHAN_ATTACH };
	u64 devt = 0;
	int fd, r;

	if (c->fd >= 0)
		return 0;
	fd = c->t->connect(c->arg, &devt);
	if (fd < 0)
		return fd;
	c->fd = fd;
	c->rlen = 0;
	/* Limits are learnt from HELLO; nothing is range-checked before. */
	memset(&c->lim, 0, sizeof(c->lim));
	at.arg = devt;
	r = chan_send(c, &at);
	if (r)
		chan_disconnect(c);
	return r;
}

int chan_read(struct chan *c, void (*fn)(void *arg,
					 const struct ddraid_chan_msg *m),
	      void *arg)
{
	ssize_t n;
	size_t off;

	if (c->fd < 0)
		return -EPIPE;
	n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		chan_disconnect(c);
		return -EPIPE;
	}
	c->rlen += (size_t)n;
	for (off = 0; c->rlen - off >= DDRAID_CHAN_MSG_BYTES;
	     off += DDRAID_CHAN_MSG_BYTES) {
		struct ddraid_chan_msg m;
		const char *why = NULL;

		if (ddraid_chan_decode(c->rbuf + off, DDRAID_CHAN_MSG_BYTES,
				       &c->lim, &m, &why)) {
			log_err("channel: refused a message from the target: %s; closing the channel",
				why ? why : "invalid");
			chan_disconnect(c);
			return -EPROTO;
		}
		if (ddraid_chan_direction(m.type) != DDRAID_CHAN_TO_DAEMON) {
			log_err("channel: target sent %s, which only a daemon sends; closing the channel",
				ddraid_chan_type_name(m.type));
			chan_disconnect(c);
			return -EPROTO;
		}
		if (m.type == DDRAID_CHAN_HELLO) {
			c->lim.regions = m.region;
			c->lim.members = (u32)m.arg;
		}
		fn(arg, &m);
		if (c->fd < 0)
			return -EPIPE;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	return 0;
}

int chan_member_path(struct chan *c, u32 m, const char *path)
{
	return c->t->member_path ? c->t->member_path(c->arg, m, path) :
				   -EOPNOTSUPP;
}
