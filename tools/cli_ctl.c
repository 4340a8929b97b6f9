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
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
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

const char *cli_ctl_dir(void)
{
	const char *dir = getenv("DDRAID_CTL_DIR");

	return dir && *dir ? dir : CTL_DEFAULT_DIR;
}

/* The socket path of @vol in @sa; false when too long. */
static bool sock_path(const char *vol, struct sockaddr_un *sa)
{
	return (size_t)snprintf(sa->sun_path, sizeof(sa->sun_path),
				"%s/%s.sock", cli_ctl_dir(), vol) <
	       sizeof(sa->sun_path);
}

bool cli_ctl_exists(const char *vol)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	return sock_path(vol, &sa) && !stat(sa.sun_path, &st) &&
	       S_ISSOCK(st.st_mode);
}

int cli_ctl_list(char ***names, unsigned int *n)
{
	char why[DDRAID_ERRMSG_MAX], **v = NULL, **p;
	struct dirent *de;
	DIR *dir;
	size_t len;

	*names = NULL;
	*n = 0;
	dir = opendir(cli_ctl_dir());
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir))) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".sock"))
			continue;
		de->d_name[len - 5] = 0;
		/* Only what could be a volume's socket. */
		if (ddraid_check_volume_name(de->d_name, why, sizeof(why)) ||
		    !cli_ctl_exists(de->d_name))
			continue;
		p = realloc(v, (*n + 1) * sizeof(*v));
		if (!p)
			break;
		v = p;
		if ((v[*n] = strdup(de->d_name)))
			(*n)++;
	}
	closedir(dir);
	*names = v;
	return 0;
}

int cli_ctl_connect(const char *vol, json_object *req, bool quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *s;
	int fd;

	if (!sock_path(vol, &sa)) {
		say(quiet, "control socket path too long");
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		say(quiet, "%s: cannot reach ddraidd of volume '%s': %s",
		    sa.sun_path, vol, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		say(quiet, "sending to ddraidd: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int cli_lines_fill(struct cli_lines *l)
{
	ssize_t n;

	if (l->off) {
		memmove(l->buf, l->buf + l->off, l->len - l->off);
		l->len -= l->off;
		l->off = 0;
	}
	if (l->len + 4097 > l->cap) {
		size_t cap = l->cap * 2 + 8192;
		char *p;

		/* A line this long is not ddraidd's. */
		if (cap > (16u << 20))
			return -E2BIG;
		p = realloc(l->buf, cap);
		if (!p)
			return -ENOMEM;
		l->buf = p;
		l->cap = cap;
	}
	n = recv(l->fd, l->buf + l->len, 4096, 0);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	l->len += (size_t)n;
	return (int)n;
}

char *cli_lines_get(struct cli_lines *l)
{
	char *line, *nl;

	if (l->off >= l->len)
		return NULL;
	line = l->buf + l->off;
	nl = memchr(line, '\n', l->len - l->off);
	if (!nl)
		return NULL;
	*nl = 0;
	l->off = (size_t)(nl - l->buf) + 1;
	return line;
}

void cli_lines_free(struct cli_lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	*l = (struct cli_lines){ .fd = -1 };
}

json_object *cli_json_object(const char *line)
{
	json_object *o = json_tokener_parse(line);

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

int cli_ctl_reply_ok(json_object *resp, const char *vol)
{
	json_object *v;
	const char *why = "ddraidd refused the request";

	if (json_object_object_get_ex(resp, "ok", &v) &&
	    json_object_get_boolean(v))
		return CLI_OK;
	if (json_object_object_get_ex(resp, "error", &v))
		why = json_object_get_string(v);
	if (vol)
		cli_err("%s: %s", vol, why);
	else
		cli_err("%s", why);
	return CLI_FAIL;
}

int cli_ctl_ask(const char *vol, json_object *req, json_object **resp,
		bool quiet)
{
	static const struct timeval probe_timeout = { .tv_sec = 3 };
	struct cli_lines l = { .fd = -1 };
	char *line = NULL;
	int n;

	l.fd = cli_ctl_connect(vol, req, quiet);
	if (l.fd < 0)
		return CLI_FAIL;
	/* A probe must not hang on a daemon that accepts but is stuck. */
	if (quiet)
		setsockopt(l.fd, SOL_SOCKET, SO_RCVTIMEO, &probe_timeout,
			   sizeof(probe_timeout));
	while (!(line = cli_lines_get(&l))) {
		n = cli_lines_fill(&l);
		if (n <= 0)
			break;
	}
	if (!line) {
		cli_lines_free(&l);
		say(quiet, "ddraidd closed the connection without a reply");
		return CLI_FAIL;
	}
	*resp = cli_json_object(line);
	cli_lines_free(&l);
	if (!*resp) {
		say(quiet, "ddraidd sent a reply that is not JSON");
		return CLI_FAIL;
	}
	return CLI_OK;
}
