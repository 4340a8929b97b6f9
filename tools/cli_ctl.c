// SPDX-License-Identifier: GPL-2.0-only
/*
 * A request to a volume's ddraidd over its root-only control socket
 * /run/ddraid/VOL.sock: one JSON object per line each way
 * (docs/ddraidd.md). $DDRAID_CTL_DIR overrides the directory (tests, and
 * the OCF agent's ctl_dir).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define CTL_DEFAULT_DIR	"/run/ddraid"

/* cli_err() unless the caller only wants to know whether anyone answers. */
static void say(bool quiet, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(bool quiet, const char *fmt, ...)
{
	char msg[DDRAID_ERRMSG_MAX];
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_err("%s", msg);
}

int cli_ctl_ask(const char *vol, json_object *req, json_object **resp,
		bool quiet)
{
	static const struct timeval probe_timeout = { .tv_sec = 3 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *dir = getenv("DDRAID_CTL_DIR");
	const char *s;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if (!dir || !*dir)
		dir = CTL_DEFAULT_DIR;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock",
			     dir, vol) >= sizeof(sa.sun_path)) {
		say(quiet, "control socket path too long");
		return CLI_FAIL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		say(quiet, "%s: cannot reach ddraidd of volume '%s': %s",
		    sa.sun_path, vol, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CLI_FAIL;
	}
	/* A probe must not hang on a daemon that accepts but is stuck. */
	if (quiet)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &probe_timeout,
			   sizeof(probe_timeout));
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		say(quiet, "sending to ddraidd: %s", strerror(errno));
		close(fd);
		return CLI_FAIL;
	}
	for (;;) {
		if (len + 4097 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 8192);

			if (!p) {
				free(buf);
				close(fd);
				say(quiet, "out of memory");
				return CLI_FAIL;
			}
			buf = p;
		}
		n = recv(fd, buf + len, 4096, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	close(fd);
	if (!len) {
		free(buf);
		say(quiet, "ddraidd closed the connection without a reply");
		return CLI_FAIL;
	}
	buf[len] = 0;
	*resp = json_tokener_parse(buf);
	free(buf);
	if (!*resp || !json_object_is_type(*resp, json_type_object)) {
		json_object_put(*resp);
		say(quiet, "ddraidd sent a reply that is not JSON");
		return CLI_FAIL;
	}
	return CLI_OK;
}
