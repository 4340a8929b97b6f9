// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl status / rebuild / fail / scrub: requests to the volume's
 * ddraidd over /run/ddraid/VOL.sock (one JSON object per line each way,
 * docs/ddraidd.md). $DDRAID_CTL_DIR overrides the directory (tests).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "cmd_online.h"

#define CTL_DEFAULT_DIR	"/run/ddraid"

static bool valid_volume(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 63 || s[0] == '.')
		return false;
	for (i = 0; s[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._+-", s[i]))
			return false;
	return true;
}

/* Send @req to VOL's daemon; *resp is the parsed reply. CLI_* status. */
static int ask(const char *vol, json_object *req, json_object **resp)
{
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
		cli_err("control socket path too long");
		return CLI_FAIL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		cli_err("%s: cannot reach ddraidd of volume '%s': %s",
			sa.sun_path, vol, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CLI_FAIL;
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		cli_err("sending to ddraidd: %s", strerror(errno));
		close(fd);
		return CLI_FAIL;
	}
	for (;;) {
		if (len + 4097 > cap) {
			char *p = realloc(buf, cap = cap * 2 + 8192);

			if (!p) {
				free(buf);
				close(fd);
				cli_err("out of memory");
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
		cli_err("ddraidd closed the connection without a reply");
		return CLI_FAIL;
	}
	buf[len] = 0;
	*resp = json_tokener_parse(buf);
	free(buf);
	if (!*resp || !json_object_is_type(*resp, json_type_object)) {
		json_object_put(*resp);
		cli_err("ddraidd sent a reply that is not JSON");
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* CLI_OK if the reply says ok, else print its error. */
static int reply_ok(json_object *resp)
{
	json_object *v;

	if (json_object_object_get_ex(resp, "ok", &v) &&
	    json_object_get_boolean(v))
		return CLI_OK;
	if (json_object_object_get_ex(resp, "error", &v))
		cli_err("%s", json_object_get_string(v));
	else
		cli_err("ddraidd refused the request");
	return CLI_FAIL;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) :
						     "?";
}

/* The fencing mode and each node's latest fencing request. */
static void print_fencing(json_object *x)
{
	json_object *a, *q;
	const char *s;
	size_t i;

	printf("  fencing %s%s%s\n", jstr(x, "mode"),
	       strcmp(jstr(x, "required"), "true") ? "" :
	       ", required for every departed node",
	       strcmp(jstr(x, "two_node"), "true") ? "" :
	       ", corosync two_node");
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

static void print_status(json_object *r)
{
	json_object *a, *x;
	size_t i;

	printf("volume %s (uuid %s)\n", jstr(r, "volume"), jstr(r, "uuid"));
	printf("  node %s, coordinator %s, quorate %s, state %s, attached %s%s\n",
	       jstr(r, "nodeid"), jstr(r, "coordinator"), jstr(r, "quorate"),
	       jstr(r, "has_state"), jstr(r, "attached"),
	       strcmp(jstr(r, "frozen"), "true") ? "" : ", FROZEN");
	printf("  events %s, %s regions of %s bytes, %s dirty, %s waiting for fencing\n",
	       jstr(r, "events"), jstr(r, "regions"), jstr(r, "region_size"),
	       jstr(r, "dirty"), jstr(r, "fence_wait"));
	if (json_object_object_get_ex(r, "members", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			printf("  member %s %-10s %s%s\n", jstr(x, "index"),
			       jstr(x, "state"), jstr(x, "path"),
			       strcmp(jstr(x, "pending_fail"), "true") ? "" :
			       " (failure being recorded)");
		}
	if (json_object_object_get_ex(r, "nodes", &a))
		for (i = 0; i < json_object_array_length(a); i++) {
			x = json_object_array_get_idx(a, i);
			printf("  node %s slot %s holds %s regions%s%s\n",
			       jstr(x, "nodeid"), jstr(x, "slot"),
			       jstr(x, "held"),
			       strcmp(jstr(x, "attached"), "true") ?
			       " (not attached)" : "",
			       strcmp(jstr(x, "orphaned"), "true") ? "" :
			       " (daemon gone)");
		}
	if (json_object_object_get_ex(r, "rebuild", &x) &&
	    !strcmp(jstr(x, "active"), "true"))
		printf("  rebuilding member %s: %s of %s regions\n",
		       jstr(x, "member"), jstr(x, "done"), jstr(x, "total"));
	if (json_object_object_get_ex(r, "scrub", &x) &&
	    strcmp(jstr(x, "state"), "none") && strcmp(jstr(x, "state"), "?"))
		printf("  scrub (%s) %s: %s of %s regions, %s blocks' parity differed, %s rewritten\n",
		       jstr(x, "mode"), jstr(x, "state"), jstr(x, "done"),
		       jstr(x, "total"), jstr(x, "mismatches"),
		       jstr(x, "repaired"));
	if (json_object_object_get_ex(r, "fencing", &x))
		print_fencing(x);
	if (json_object_object_get_ex(r, "channel", &x))
		printf("  target channel %s: %s\n", jstr(x, "spec"),
		       strcmp(jstr(x, "connected"), "true") ? "not connected" :
							    "connected");
}

static const struct option status_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_status(int argc, char **argv)
{
	json_object *req, *resp = NULL;
	bool json = false;
	int c, r;

	while ((c = cli_getopt(argc, argv, "jh", status_opts)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: ddraidctl status [--json] VOLUME\n\n"
			       "Ask the volume's ddraidd for its cluster state.\n");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (optind != argc - 1 || !valid_volume(argv[optind]))
		return cli_usage("give one volume name");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	r = ask(argv[optind], req, &resp);
	json_object_put(req);
	if (r)
		return r;
	r = reply_ok(resp);
	if (!r) {
		if (json)
			printf("%s\n", json_object_to_json_string_ext(
				       resp, JSON_C_TO_STRING_PRETTY));
		else
			print_status(resp);
	}
	json_object_put(resp);
	return r;
}

static int simple(const char *vol, json_object *req)
{
	json_object *resp = NULL;
	int r = ask(vol, req, &resp);

	json_object_put(req);
	if (r)
		return r;
	r = reply_ok(resp);
	json_object_put(resp);
	return r;
}

static const struct option member_opts[] = {
	{ "member", required_argument, NULL, 'm' },
	{ "bitmap", no_argument, NULL, 'b' },
	{ "offline", no_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_online_rebuild(int argc, char **argv)
{
	json_object *req;
	bool bitmap = false, have_m = false;
	u64 m = 0;
	int c, i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--offline"))
			return cmd_rebuild(argc, argv);
	while ((c = cli_getopt(argc, argv, "m:bh", member_opts)) != -1) {
		switch (c) {
		case 'm':
			if (cli_parse_uint(optarg, 8, &m))
				return cli_usage("--member %s: not a member index (0..8)",
						 optarg);
			have_m = true;
			break;
		case 'b':
			bitmap = true;
			break;
		case 'h':
			printf("Usage: ddraidctl rebuild VOLUME --member N NEWDEV [--bitmap]\n"
			       "       ddraidctl rebuild --offline ... (see ddraidctl rebuild --offline --help)\n\n"
			       "Ask ddraidd to rebuild member N of the running VOLUME onto NEWDEV,\n"
			       "which must name the same device on every node. --bitmap: NEWDEV is\n"
			       "the old member back; rebuild only the regions written meanwhile.\n");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (!have_m)
		return cli_usage("--member N is required");
	if (optind != argc - 2 || !valid_volume(argv[optind]))
		return cli_usage("give VOLUME and NEWDEV");
	if (argv[optind + 1][0] != '/')
		return cli_usage("NEWDEV must be an absolute path (the same on every node)");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("rebuild"));
	json_object_object_add(req, "member", json_object_new_int((int)m));
	json_object_object_add(req, "path",
			       json_object_new_string(argv[optind + 1]));
	json_object_object_add(req, "mode",
			       json_object_new_string(bitmap ? "bitmap" : "full"));
	return simple(argv[optind], req);
}

int cmd_fail(int argc, char **argv)
{
	json_object *req;
	bool have_m = false;
	u64 m = 0;
	int c;

	while ((c = cli_getopt(argc, argv, "m:h", member_opts)) != -1) {
		switch (c) {
		case 'm':
			if (cli_parse_uint(optarg, 8, &m))
				return cli_usage("--member %s: not a member index (0..8)",
						 optarg);
			have_m = true;
			break;
		case 'h':
			printf("Usage: ddraidctl fail VOLUME --member N\n\n"
			       "Record member N of the running VOLUME failed on every node.\n");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (!have_m)
		return cli_usage("--member N is required");
	if (optind != argc - 1 || !valid_volume(argv[optind]))
		return cli_usage("give one volume name");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("fail"));
	json_object_object_add(req, "member", json_object_new_int((int)m));
	return simple(argv[optind], req);
}

static const struct option scrub_opts[] = {
	{ "repair", no_argument, NULL, 'r' },
	{ "cancel", no_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_scrub(int argc, char **argv)
{
	json_object *req;
	bool repair = false, cancel = false;
	int c;

	while ((c = cli_getopt(argc, argv, "rch", scrub_opts)) != -1) {
		switch (c) {
		case 'r':
			repair = true;
			break;
		case 'c':
			cancel = true;
			break;
		case 'h':
			printf("Usage: ddraidctl scrub VOLUME [--repair | --cancel]\n\n"
			       "Ask ddraidd to verify the parity of the running VOLUME, region\n"
			       "by region under a cluster-wide lock while every node keeps\n"
			       "writing. Mismatching blocks are counted and logged by the\n"
			       "coordinator's ddraidd; --repair also rewrites their parity.\n"
			       "--cancel stops the running scrub. Progress and the count are\n"
			       "in ddraidctl status. A degraded or rebuilding volume is refused.\n");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (repair && cancel)
		return cli_usage("--repair and --cancel exclude each other");
	if (optind != argc - 1 || !valid_volume(argv[optind]))
		return cli_usage("give one volume name");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("scrub"));
	if (cancel)
		json_object_object_add(req, "cancel",
				       json_object_new_boolean(1));
	else
		json_object_object_add(req, "mode", json_object_new_string(
					       repair ? "repair" : "check"));
	return simple(argv[optind], req);
}

static const struct option fenced_opts[] = {
	{ "node", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int cmd_fenced(int argc, char **argv)
{
	json_object *req;
	u64 node = 0;
	int c;

	while ((c = cli_getopt(argc, argv, "n:h", fenced_opts)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_uint(optarg, UINT32_MAX, &node) || !node)
				return cli_usage("--node %s: not a corosync node id",
						 optarg);
			break;
		case 'h':
			printf("Usage: ddraidctl fenced VOLUME --node N\n\n"
			       "Tell the volume's coordinator that node N, gone from the cluster,\n"
			       "has been fenced (powered off): its regions may be resynced now.\n"
			       "Ask the coordinator's daemon (ddraidctl status shows which).\n");
			return CLI_OK;
		default:
			return CLI_USAGE;
		}
	}
	if (!node)
		return cli_usage("--node N is required");
	if (optind != argc - 1 || !valid_volume(argv[optind]))
		return cli_usage("give one volume name");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("fenced"));
	json_object_object_add(req, "nodeid", json_object_new_int64((int64_t)node));
	return simple(argv[optind], req);
}
