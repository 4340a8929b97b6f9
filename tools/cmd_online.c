// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl status / rebuild / fail / fenced: requests to the volume's
 * ddraidd over its control socket (tools/cli_ctl.c; one JSON object per
 * line each way, docs/ddraidd.md). scrub: tools/cmd_scrub.c.
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
	if (json_object_object_get_ex(r, "scrub", &x) &&
	    json_object_object_get_ex(x, "last_scheduled", &a))
		printf("  last scheduled scrub: the period from %s\n",
		       json_object_get_string(a));
	if (json_object_object_get_ex(r, "fencing", &x))
		print_fencing(x);
	if (json_object_object_get_ex(r, "channel", &x))
		printf("  target channel %s: %s\n", jstr(x, "spec"),
		       strcmp(jstr(x, "connected"), "true") ? "not connected" :
							    "connected");
}

int cmd_status(const struct cli_args *a)
{
	json_object *req, *resp = NULL;
	int r;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("status"));
	r = cli_ctl_ask(a->argv[0], req, &resp, false);
	json_object_put(req);
	if (r)
		return r;
	r = cli_ctl_reply_ok(resp, NULL);
	if (!r) {
		if (a->given[STATUS_JSON])
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
	int r = cli_ctl_ask(vol, req, &resp, false);

	json_object_put(req);
	if (r)
		return r;
	r = cli_ctl_reply_ok(resp, NULL);
	json_object_put(resp);
	return r;
}

/* rebuild without --offline (cmd_rebuild.c hands it over). */
int cmd_online_rebuild(const struct cli_args *a)
{
	char why[DDRAID_ERRMSG_MAX];
	json_object *req;

	if (!a->given[REBUILD_MEMBER])
		return cli_usage("--member N is required");
	if (a->argc != 2)
		return cli_usage("give VOLUME and NEWDEV");
	if (ddraid_check_volume_name(a->argv[0], why, sizeof(why)))
		return cli_usage("'%s' is not a valid volume name: %s",
				 a->argv[0], why);
	if (a->argv[1][0] != '/')
		return cli_usage("NEWDEV must be an absolute path (the same on every node)");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("rebuild"));
	json_object_object_add(req, "member", json_object_new_int(
				       (int)a->num[REBUILD_MEMBER]));
	json_object_object_add(req, "path", json_object_new_string(a->argv[1]));
	json_object_object_add(req, "mode", json_object_new_string(
				       a->given[REBUILD_BITMAP] ? "bitmap" : "full"));
	return simple(a->argv[0], req);
}

int cmd_fail(const struct cli_args *a)
{
	json_object *req;

	if (!a->given[FAIL_MEMBER])
		return cli_usage("--member N is required");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("fail"));
	json_object_object_add(req, "member", json_object_new_int(
				       (int)a->num[FAIL_MEMBER]));
	return simple(a->argv[0], req);
}

int cmd_fenced(const struct cli_args *a)
{
	json_object *req;

	if (!a->given[FENCED_NODE])
		return cli_usage("--node N is required");
	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("fenced"));
	json_object_object_add(req, "nodeid", json_object_new_int64(
				       (int64_t)a->num[FENCED_NODE]));
	return simple(a->argv[0], req);
}
