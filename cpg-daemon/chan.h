/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraidd's end of the kernel channel (docs/kernel-channel.md): 64-byte
 * messages over a byte stream, whatever carries them. A transport only
 * knows how to reach its target; framing, validation and ATTACH are common
 * (chan.c). Adding a transport is one file: a struct chan_transport and a
 * line in chan.c's table.
 */
#ifndef DDRAIDD_CHAN_H
#define DDRAIDD_CHAN_H

#include <stddef.h>
#include <sys/types.h>

#include "ddraid_compat.h"
#include "ddraid_chan.h"

struct chan_transport {
	const char *name;	/* the word before ':' in --channel */
	/*
	 * Reach the target named by @arg (the text after ':'; may be empty).
	 * Returns a non-blocking, close-on-exec descriptor, -EAGAIN when the
	 * target is not there yet (the caller retries), or another -errno.
	 * *@devt receives what ATTACH carries (the dm device; 0 if none).
	 */
	int (*connect)(const char *arg, u64 *devt);
	/*
	 * Make the target write member @m at @path (a rebuild onto a new
	 * device): reload the dm table, or tell the stand-in. 0 or -errno.
	 */
	int (*member_path)(const char *arg, u32 m, const char *path);
};

extern const struct chan_transport chan_unix;
extern const struct chan_transport chan_kernel;

struct chan {
	const struct chan_transport *t;
	char *arg;
	int fd;			/* -1: not connected */
	u64 seq;		/* our message counter */
	struct ddraid_chan_limits lim;
	u8 rbuf[DDRAID_CHAN_MSG_BYTES * 32];
	size_t rlen;
};

/* "unix:PATH" or "kernel[:DMDEV]"; NULL with *why on a bad spec. */
struct chan *chan_new(const char *spec, const char **why);
void chan_free(struct chan *c);

/* Connect and send ATTACH. 0, -EAGAIN (retry later) or -errno. */
int chan_connect(struct chan *c);
/* Drop the connection (the target keeps running). */
void chan_disconnect(struct chan *c);
static inline bool chan_connected(const struct chan *c)
{
	return c->fd >= 0;
}

/* Encode and write one message (its seq is set here). 0 or -errno. */
int chan_send(struct chan *c, const struct ddraid_chan_msg *m);

/*
 * Read what is available and call @fn for every whole, valid message.
 * Returns 0 while connected; -EPIPE when the target closed, or -EPROTO
 * after a message the decoder refused (the channel is then closed, as
 * docs/kernel-channel.md requires).
 */
int chan_read(struct chan *c, void (*fn)(void *arg,
					 const struct ddraid_chan_msg *m),
	      void *arg);

int chan_member_path(struct chan *c, u32 m, const char *path);

#endif /* DDRAIDD_CHAN_H */
