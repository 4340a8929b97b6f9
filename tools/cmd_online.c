// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl rebuild / fail / fenced / set: requests to the
 * volume's ddraidd over its control socket (tools/cli_ctl.c; one JSON
 * object per line each way, docs/ddraidd.md). status: cmd_status.c;
 * scrub: cmd_scrub.c.
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

/*
 * set VOLUME KEY=VALUE...: every setting is checked before anything is
 * sent; the daemon gets bytes/s, or null for "node" (the key goes back
 * to each node's own --sync-speed-*).
 */
int cmd_set(const struct cli_args *a)
{
	json_object *req;
	const char *arg, *eq;
	bool seen[DDRAID_RATES] = { false };
	u64 bps;
	int i, k;

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("set"));
	for (i = 1; i < a->argc; i++) {
		arg = a->argv[i];
		eq = strchr(arg, '=');
		k = eq ? ddraid_rate_key(arg, (size_t)(eq - arg)) : -1;
		if (k < 0) {
			json_object_put(req);
			return cli_usage("'%s': give KEY=VALUE with KEY one of "
					 "rebuild-rate, scrub-rate, sync-speed-min",
					 arg);
		}
		if (seen[k]) {
			json_object_put(req);
			return cli_usage("'%s' is given twice",
					 ddraid_rate_keys[k]);
		}
		seen[k] = true;
		if (!strcmp(eq + 1, "node")) {
			json_object_object_add(req, ddraid_rate_keys[k], NULL);
			continue;
		}
		if (ddraid_parse_mbs(eq + 1, &bps)) {
			json_object_put(req);
			return cli_usage("%s '%s': not a rate in " DDRAID_MBS_RULE
					 ", or 'node'", ddraid_rate_keys[k],
					 eq + 1);
		}
		json_object_object_add(req, ddraid_rate_keys[k],
				       json_object_new_int64((int64_t)bps));
	}
	return simple(a->argv[0], req);
}
