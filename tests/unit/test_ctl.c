// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd's control socket (cpg-daemon/ctl.c) and kernel channel framing
 * over the UNIX transport (cpg-daemon/chan*.c): requests that parse reach
 * the handler, anything else is answered with an error and reaches
 * nothing; channel messages are framed, validated, and a bad one closes
 * the channel.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan.h"
#include "ctl.h"
#include "test_util.h"

static int calls;

static int handler(void *arg, json_object *req, json_object *resp,
		   const char **why)
{
	json_object *v;

	calls++;
	if (json_object_object_get_ex(req, "cmd", &v) &&
	    !strcmp(json_object_get_string(v), "echo")) {
		json_object_object_add(resp, "x", json_object_new_int(1));
		return 0;
	}
	if (json_object_object_get_ex(req, "cmd", &v) &&
	    !strcmp(json_object_get_string(v), "sub"))
		return CTL_SUBSCRIBE;
	*why = "nope";
	return -EINVAL;
}

struct cfix {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	struct ctl *ctl;
	int fd;
};

static int csetup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(tu_mkdir(f->dir, sizeof(f->dir)), 0);
	snprintf(f->path, sizeof(f->path), "%s/run/v.sock", f->dir);
	f->ctl = ctl_new(f->path, handler, NULL);
	assert_non_null(f->ctl);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	calls = 0;
	*state = f;
	return 0;
}

static int cteardown(void **state)
{
	struct cfix *f = *state;
	char sub[PATH_MAX + 8];

	close(f->fd);
	ctl_free(f->ctl);
	snprintf(sub, sizeof(sub), "%s/run", f->dir);
	rmdir(sub);
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* Serve until the client has @lines reply lines; return them. */
static char *exchange(struct cfix *f, const char *req, size_t reqlen,
		      int lines)
{
	static char buf[8192];
	size_t len = 0;
	int got = 0, rounds;

	assert_int_equal(send(f->fd, req, reqlen, 0), (ssize_t)reqlen);
	for (rounds = 0; got < lines && rounds < 1000; rounds++) {
		struct pollfd p[20];
		unsigned int n = ctl_pollfds(f->ctl, p);
		struct pollfd c = { .fd = f->fd, .events = POLLIN };

		assert_true(poll(p, n, 10) >= 0);
		ctl_service(f->ctl, p, n);
		if (poll(&c, 1, 0) == 1) {
			ssize_t r = recv(f->fd, buf + len,
					 sizeof(buf) - 1 - len, 0);

			assert_true(r > 0);
			len += (size_t)r;
			buf[len] = 0;
			got = 0;
			for (size_t i = 0; i < len; i++)
				got += buf[i] == '\n';
		}
	}
	assert_int_equal(got, lines);
	return buf;
}

static void test_ctl_ok(void **state)
{
	struct cfix *f = *state;
	const char *r = exchange(f, "{\"cmd\":\"echo\"}\n", 15, 1);

	assert_non_null(strstr(r, "\"ok\":true"));
	assert_non_null(strstr(r, "\"x\":1"));
	assert_int_equal(calls, 1);
}

static void test_ctl_two_in_one(void **state)
{
	struct cfix *f = *state;
	const char *req = "{\"cmd\":\"echo\"}\n{\"cmd\":\"other\"}\n";
	const char *r = exchange(f, req, strlen(req), 2);

	assert_non_null(strstr(r, "\"ok\":true"));
	assert_non_null(strstr(r, "\"error\":\"nope\""));
	assert_int_equal(calls, 2);
}

static void test_ctl_refused(void **state)
{
	struct cfix *f = *state;
	static const char *bad[] = {
		"not json\n", "[1,2]\n", "\"cmd\"\n", "{\"cmd\":\n", "42\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *r = exchange(f, bad[i], strlen(bad[i]), 1);

		assert_non_null(strstr(r, "\"ok\":false"));
		assert_non_null(strstr(r, "not a JSON object"));
	}
	/* A NUL byte inside a line. */
	assert_non_null(strstr(exchange(f, "{\"cmd\":\0\"echo\"}\n", 16, 1),
			       "NUL"));
	assert_int_equal(calls, 0);
}

static void test_ctl_too_long(void **state)
{
	struct cfix *f = *state;
	size_t n = CTL_REQ_MAX + 8192, sent = 0;
	char *big = malloc(n);
	char buf[512];
	ssize_t r;
	int rounds;

	assert_non_null(big);
	memset(big, 'a', n);
	/* Feed it in pieces while serving; the daemon must cut us off. */
	for (rounds = 0; rounds < 10000; rounds++) {
		struct pollfd p[20];
		unsigned int k = ctl_pollfds(f->ctl, p);

		if (sent < n) {
			r = send(f->fd, big + sent, n - sent > 4096 ? 4096 :
				 n - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r > 0)
				sent += (size_t)r;
		}
		poll(p, k, 1);
		ctl_service(f->ctl, p, k);
		r = recv(f->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (r > 0) {
			buf[r] = 0;
			assert_non_null(strstr(buf, "too long"));
			break;
		}
	}
	assert_true(rounds < 10000);
	assert_int_equal(calls, 0);
	free(big);
}

/* The event stream: only a subscribed connection gets broadcasts, each
 * one line, after its reply; one that closed is dropped. */
static void test_ctl_subscribe(void **state)
{
	struct cfix *f = *state;
	json_object *ev = json_object_new_object();
	const char *r;
	char buf[512];
	ssize_t n;

	json_object_object_add(ev, "event", json_object_new_string("e1"));
	/* Not subscribed: a broadcast reaches nobody. */
	exchange(f, "{\"cmd\":\"echo\"}\n", 15, 1);
	assert_int_equal(ctl_subscribers(f->ctl), 0);
	ctl_broadcast(f->ctl, ev);
	assert_int_equal(recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	r = exchange(f, "{\"cmd\":\"sub\"}\n", 14, 1);
	assert_non_null(strstr(r, "\"ok\":true"));
	assert_int_equal(ctl_subscribers(f->ctl), 1);
	ctl_broadcast(f->ctl, ev);
	n = recv(f->fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, "{\"event\":\"e1\"}\n");
	/* A request on a subscribed connection keeps it subscribed. */
	exchange(f, "{\"cmd\":\"echo\"}\n", 15, 1);
	assert_int_equal(ctl_subscribers(f->ctl), 1);
	/* Gone: a broadcast finds out, the next service drops it. */
	close(f->fd);
	f->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ctl_broadcast(f->ctl, ev);
	for (n = 0; n < 100 && ctl_subscribers(f->ctl); n++) {
		struct pollfd p[20];
		unsigned int k = ctl_pollfds(f->ctl, p);

		poll(p, k, 10);
		ctl_service(f->ctl, p, k);
	}
	assert_int_equal(ctl_subscribers(f->ctl), 0);
	json_object_put(ev);
}

/* ---- channel over the UNIX transport ---- */

static int msgs;
static struct ddraid_chan_msg last;

static void on_msg(void *arg, const struct ddraid_chan_msg *m)
{
	msgs++;
	last = *m;
}

static void put(int fd, u16 type, u64 region, u64 arg)
{
	struct ddraid_chan_msg m = { .type = type, .seq = 1, .region = region,
				     .arg = arg };
	u8 b[DDRAID_CHAN_MSG_BYTES];

	assert_int_equal(ddraid_chan_encode(&m, NULL, b, NULL), 0);
	assert_int_equal(send(fd, b, sizeof(b), 0), (ssize_t)sizeof(b));
}

static void pump(struct chan *c, int expect_ret)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(chan_read(c, on_msg, NULL), expect_ret);
}

static void test_chan_unix(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[PATH_MAX], mp[PATH_MAX + 64], line[256];
	struct ddraid_chan_msg m;
	u8 b[DDRAID_CHAN_MSG_BYTES];
	const char *why = NULL;
	char spec[PATH_MAX + 16];
	struct chan *c;
	int lfd, sfd;
	FILE *fp;

	assert_null(chan_new("bogus:x", &why));
	assert_non_null(why);
	assert_null(chan_new("unix:", &why));
	assert_int_equal(tu_mkdir(dir, sizeof(dir)), 0);
	snprintf(spec, sizeof(spec), "unix:%s/c.sock", dir);
	c = chan_new(spec, &why);
	assert_non_null(c);
	/* Nobody listening yet: try again later. */
	assert_int_equal(chan_connect(c), -EAGAIN);
	assert_false(chan_connected(c));

	assert_true(strlen(dir) + 8 < sizeof(sa.sun_path));
	memcpy(sa.sun_path, dir, strlen(dir));
	memcpy(sa.sun_path + strlen(dir), "/c.sock", 8);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(chan_connect(c), 0);
	sfd = accept(lfd, NULL, NULL);
	assert_true(sfd >= 0);
	/* The first message is ATTACH. */
	assert_int_equal(recv(sfd, b, sizeof(b), MSG_WAITALL), (ssize_t)sizeof(b));
	assert_int_equal(ddraid_chan_decode(b, sizeof(b), NULL, &m, NULL), 0);
	assert_int_equal(m.type, DDRAID_CHAN_ATTACH);

	/* HELLO sets the limits; HELD within them passes. */
	msgs = 0;
	put(sfd, DDRAID_CHAN_HELLO, 10, 3);
	put(sfd, DDRAID_CHAN_HELD, 4, 0);
	while (msgs < 2)
		pump(c, 0);
	assert_int_equal(last.type, DDRAID_CHAN_HELD);
	assert_int_equal(last.region, 4);
	/* Daemon-bound sends are encoded with the learnt limits. */
	m = (struct ddraid_chan_msg){ .type = DDRAID_CHAN_GRANT, .region = 10 };
	assert_int_equal(chan_send(c, &m), -EINVAL);
	m.region = 9;
	assert_int_equal(chan_send(c, &m), 0);
	assert_int_equal(recv(sfd, b, sizeof(b), MSG_WAITALL), (ssize_t)sizeof(b));
	assert_int_equal(ddraid_chan_decode(b, sizeof(b), NULL, &m, NULL), 0);
	assert_int_equal(m.type, DDRAID_CHAN_GRANT);
	assert_int_equal(m.region, 9);

	/* A region beyond the volume: refused, the channel closes. */
	put(sfd, DDRAID_CHAN_GRANT_REQ, 10, 0);
	pump(c, -EPROTO);
	assert_false(chan_connected(c));
	assert_int_equal(msgs, 2);
	close(sfd);

	/* Reconnect; a message only a daemon sends closes it too. */
	assert_int_equal(chan_connect(c), 0);
	sfd = accept(lfd, NULL, NULL);
	assert_int_equal(recv(sfd, b, sizeof(b), MSG_WAITALL), (ssize_t)sizeof(b));
	put(sfd, DDRAID_CHAN_GRANT, 1, 0);
	pump(c, -EPROTO);
	close(sfd);

	/* And the target going away is a clean EPIPE. */
	assert_int_equal(chan_connect(c), 0);
	sfd = accept(lfd, NULL, NULL);
	close(sfd);
	pump(c, -EPIPE);

	/* The stand-in learns a rebuild's device from PATH.memberN. */
	assert_int_equal(chan_member_path(c, 1, "/dev/disk/by-id/new"), 0);
	snprintf(mp, sizeof(mp), "%s/c.sock.member1", dir);
	fp = fopen(mp, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_string_equal(line, "/dev/disk/by-id/new\n");

	chan_free(c);
	close(lfd);
	tu_rmdir(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ctl_ok, csetup, cteardown),
		cmocka_unit_test_setup_teardown(test_ctl_two_in_one, csetup, cteardown),
		cmocka_unit_test_setup_teardown(test_ctl_refused, csetup, cteardown),
		cmocka_unit_test_setup_teardown(test_ctl_too_long, csetup, cteardown),
		cmocka_unit_test_setup_teardown(test_ctl_subscribe, csetup, cteardown),
		cmocka_unit_test(test_chan_unix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
