// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraid-stonith: ddraidd's way to Pacemaker's fencer (pacemaker-fenced),
 * one question per run. ddraidd (cpg-daemon/fence_pcmk.c) runs it from its
 * fencer thread, as dlm_controld runs its dlm_stonith helper; an operator
 * may run it by hand to see what ddraidd would be told.
 *
 *   ddraid-stonith probe                 is the fencer reachable, and how
 *                                        many fence devices does it have?
 *   ddraid-stonith last NODEID           newest completed fencing of a node
 *   ddraid-stonith fence NODEID TIMEOUT  fence (reboot) a node, wait for it
 *
 * Node ids are corosync's; Pacemaker maps them to its node names.
 * Output, one line on stdout: "ok" ("ok DEVICES" for probe: the fence
 * devices registered with this node's fencer; "ok SECONDS NANOSECONDS" for
 * last: the wall-clock time the fencing completed, 0 0 for none) and exit
 * 0, or "error: REASON" and exit 1; exit 2 for a bad command line.
 *
 * It uses libstonithd's client API (connect, history, fence) rather than
 * its one-call helpers stonith_api_time() and stonith_api_kick(), which
 * dlm_stonith uses: those return 0 both for "never fenced" and for "fencer
 * unreachable", count an unfencing ("on") as a fencing, and drop the
 * nanoseconds of the completion time. The rule ddraidd needs (a fencing
 * that completed after the node left) needs all three told apart.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crm/stonith-ng.h>
#include <crm/common/results.h>

/* Pacemaker's own default action: the node comes back and rejoins. */
#define FENCE_ACTION	"reboot"
/* Seconds for connecting and reading the history. */
#define QUERY_TIMEOUT	60
/* Beyond the fencing's own timeout: a fencer that never answers. */
#define ALARM_SLACK	30

static int usage(void)
{
	fputs("Usage: ddraid-stonith probe\n"
	      "       ddraid-stonith last NODEID\n"
	      "       ddraid-stonith fence NODEID TIMEOUT_SECONDS\n", stderr);
	return 2;
}

static int fail(const char *what, int rc)
{
	printf("error: %s: %s (%d)\n", what, pcmk_strerror(rc), rc);
	return 1;
}

/* A corosync node id, 1..2^31-1 (Pacemaker keeps them in an int). */
static int parse_id(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return (!*s || *end || errno || *v == 0 || *v > max || s[0] == '-') ?
		-1 : 0;
}

static int last_fenced(stonith_t *st, const char *node)
{
	stonith_history_t *h = NULL, *hp;
	long long sec = 0;
	long nsec = 0;
	int rc;

	rc = st->cmds->history(st, st_opt_sync_call | st_opt_cs_nodeid, node,
			       &h, QUERY_TIMEOUT);
	if (rc != pcmk_ok)
		return fail("cannot read the fencing history", rc);
	for (hp = h; hp; hp = hp->next) {
		/* Only a completed power-off or reboot stops a node. */
		if (hp->state != st_done || !hp->action ||
		    (strcmp(hp->action, "reboot") && strcmp(hp->action, "off")))
			continue;
		if (hp->completed > sec ||
		    (hp->completed == sec && hp->completed_nsec > nsec)) {
			sec = hp->completed;
			nsec = hp->completed_nsec;
		}
	}
	stonith_history_free(h);
	printf("ok %lld %ld\n", sec, nsec);
	return 0;
}

static int probe(stonith_t *st)
{
	stonith_key_value_t *devs = NULL;
	int n = st->cmds->query(st, st_opt_sync_call, NULL, &devs,
				QUERY_TIMEOUT);

	if (n < 0)
		return fail("cannot list the fence devices", n);
	stonith_key_value_freeall(devs, 1, 1);
	printf("ok %d\n", n);
	return 0;
}

static int fence(stonith_t *st, const char *node, int timeout)
{
	/* No st_opt_allow_suicide: ddraidd never asks to fence itself,
	 * and if it did, the fencer must refuse. */
	int rc = st->cmds->fence(st, st_opt_sync_call | st_opt_cs_nodeid,
				 node, FENCE_ACTION, timeout, 0);

	if (rc != pcmk_ok)
		return fail("the fencer could not fence the node", rc);
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long id = 0, timeout = 0;
	stonith_t *st;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "probe"))
		;
	else if (argc == 3 && !strcmp(argv[1], "last") &&
		 !parse_id(argv[2], 0x7fffffff, &id))
		;
	else if (argc == 4 && !strcmp(argv[1], "fence") &&
		 !parse_id(argv[2], 0x7fffffff, &id) &&
		 !parse_id(argv[3], 3600, &timeout))
		;
	else
		return usage();
	/* Our caller waits for us: never longer than this. */
	alarm((unsigned int)(QUERY_TIMEOUT + timeout + ALARM_SLACK));
	setvbuf(stdout, NULL, _IOLBF, 0);

	st = stonith_api_new();
	if (!st) {
		printf("error: out of memory\n");
		return 1;
	}
	rc = st->cmds->connect(st, "ddraidd", NULL);
	if (rc != pcmk_ok) {
		rc = fail("cannot reach Pacemaker's fencer (pacemaker-fenced)",
			  rc);
	} else if (id) {
		char node[24];

		snprintf(node, sizeof(node), "%lu", id);
		rc = timeout ? fence(st, node, (int)timeout) :
			       last_fenced(st, node);
		st->cmds->disconnect(st);
	} else {
		rc = probe(st);
		st->cmds->disconnect(st);
	}
	stonith_api_delete(st);
	return rc;
}
