// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl scrub: an online parity scrub asked of a volume's ddraidd, for
 * one volume or (--all) every volume with a daemon on this node.
 * --scheduled PERIOD is what ddraid-scrub.timer runs on every node: the
 * request carries the period, and the cluster starts one scrub per volume
 * and period however many nodes ask (SCRUB_START's label,
 * docs/cluster-protocol.md section 9; the request: docs/ddraidd.md).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli.h"

/*
 * The period (month, week from Monday, or day) holding @now in local time,
 * as the day number (days since 1970-01-01) of its first day, with that
 * day as YYYY-MM-DD in @first. Local time, because the timer fires in
 * local time on every node: each node, when its own timer fires, names
 * the period that has just begun, whatever its time zone and however far
 * its clock is from the others'. 0: not a period.
 */
static u32 period_label(const char *period, time_t now, char *first,
			size_t len)
{
	struct tm tm;
	time_t t;

	if (!localtime_r(&now, &tm))
		return 0;
	if (!strcmp(period, "month"))
		tm.tm_mday = 1;
	else if (!strcmp(period, "week"))
		tm.tm_mday -= (tm.tm_wday + 6) % 7;
	else if (strcmp(period, "day"))
		return 0;
	/* The calendar date as such: timegm() counts its days (a day of
	 * the month below 1 falls into the month before) and normalizes
	 * @tm to that date. */
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = 0;
	t = timegm(&tm);
	if (t < 86400 || t / 86400 > UINT32_MAX ||
	    !strftime(first, len, "%Y-%m-%d", &tm))
		return 0;
	return (u32)(t / 86400);
}

static json_object *scrub_request(const struct cli_args *a, u32 label)
{
	json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string("scrub"));
	if (a->given[SCRUB_CANCEL])
		json_object_object_add(req, "cancel",
				       json_object_new_boolean(1));
	else
		json_object_object_add(req, "mode", json_object_new_string(
				a->given[SCRUB_REPAIR] ? "repair" : "check"));
	if (label)
		json_object_object_add(req, "scheduled",
				       json_object_new_int64(label));
	return req;
}

/*
 * Ask @vol's ddraidd. With @say (--all or --scheduled), one line on
 * standard output says what became of the volume; @first names the
 * period of a scheduled scrub.
 */
static int scrub_one(const struct cli_args *a, const char *vol, u32 label,
		     const char *first, bool say)
{
	json_object *req = scrub_request(a, label), *resp = NULL, *v;
	int r = cli_ctl_ask(vol, req, &resp, false);

	json_object_put(req);
	if (r)
		return r;
	r = cli_ctl_reply_ok(resp, say ? vol : NULL);
	if (!r && say) {
		if (json_object_object_get_ex(resp, "skipped", &v))
			printf("%s: skipped: %s\n", vol,
			       json_object_get_string(v));
		else if (label)
			printf("%s: scrub of the period from %s asked for (the "
			       "cluster runs one, whichever node asks first)\n",
			       vol, first);
		else
			printf("%s: %s\n", vol, a->given[SCRUB_CANCEL] ?
			       "scrub cancelled" : "scrub started");
	}
	json_object_put(resp);
	return r;
}

/*
 * --all: every volume with a daemon here, by name; standalone ones are
 * named and skipped (cli_vols_list: daemons first, each group sorted).
 */
static int scrub_all(const struct cli_args *a, u32 label, const char *first)
{
	struct cli_vol *v;
	unsigned int n, i, daemons = 0;
	int r, ret = CLI_OK;

	r = cli_vols_list(&v, &n);
	if (r) {
		cli_err("%s: %s", cli_ctl_dir(), strerror(-r));
		cli_vols_free(v, n);
		return CLI_FAIL;
	}
	for (i = 0; i < n; i++) {
		if (v[i].daemon) {
			daemons++;
			if (scrub_one(a, v[i].name, label, first, true))
				ret = CLI_FAIL;
		} else if (!v[i].cluster) {
			printf("%s: skipped: a standalone volume (no "
			       "ddraidd) has no online scrub; "
			       "'ddraidctl check' scrubs it stopped\n",
			       v[i].name);
		}
	}
	if (!daemons)
		printf("no volume with a ddraidd on this node (no control "
		       "socket in %s): nothing to scrub\n", cli_ctl_dir());
	cli_vols_free(v, n);
	return ret;
}

int cmd_scrub(const struct cli_args *a)
{
	bool repair = a->given[SCRUB_REPAIR], cancel = a->given[SCRUB_CANCEL];
	bool all = a->given[SCRUB_ALL];
	const char *period = a->given[SCRUB_SCHEDULED] ?
		a->str[SCRUB_SCHEDULED] : NULL;
	char first[32] = "";
	u32 label = 0;

	if (repair && cancel)
		return cli_usage("--repair and --cancel exclude each other");
	if (period && cancel)
		return cli_usage("--scheduled and --cancel exclude each other");
	if (all && a->argc)
		return cli_usage("give VOLUME or --all, not both");
	if (!all && !a->argc)
		return cli_usage("give VOLUME or --all");
	if (period) {
		label = period_label(period, time(NULL), first, sizeof(first));
		if (!label)
			return cli_usage("--scheduled: '%s' is not a period "
					 "(month, week or day)", period);
	}
	if (all)
		return scrub_all(a, label, first);
	return scrub_one(a, a->argv[0], label, first, period != NULL);
}
