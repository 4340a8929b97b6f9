// SPDX-License-Identifier: GPL-2.0-only
/*
 * The volumes of this node (cli.h): what status, metrics and the event
 * watchers (cli_watch.c) take as "every volume" when none is named.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dm_util.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct cli_vol *)a)->name,
		      ((const struct cli_vol *)b)->name);
}

static bool known(const struct cli_vol *v, unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

/* Take @name (malloc'd) into *@v; freed when there is no room. */
static void push(struct cli_vol **v, unsigned int *n, char *name,
		 bool daemon, bool cluster)
{
	struct cli_vol *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p) {
		free(name);
		return;
	}
	*v = p;
	p[(*n)++] = (struct cli_vol){ .name = name, .daemon = daemon,
				      .cluster = cluster };
}

int cli_vols_list(struct cli_vol **v, unsigned int *n)
{
	char why[DDRAID_ERRMSG_MAX], **names;
	struct ddraid_dm_status st;
	unsigned int i, k, daemons;
	int r;

	*v = NULL;
	*n = 0;
	/* An unreadable socket directory still leaves the dm devices. */
	r = cli_ctl_list(&names, &k);
	for (i = 0; !r && i < k; i++)
		push(v, n, names[i], true, false);
	if (!r)
		free(names);
	daemons = *n;
	if (daemons)
		qsort(*v, daemons, sizeof(**v), by_name);
	/*
	 * The kernel targets without a daemon's socket. Names that break
	 * the volume-name rule were not made by ddraidctl (and would not
	 * print as one word).
	 */
	if (ddraid_dm_list(&names, &k))
		return r;
	for (i = 0; i < k; i++) {
		if (known(*v, *n, names[i]) ||
		    ddraid_check_volume_name(names[i], why, sizeof(why)) ||
		    ddraid_dm_status(names[i], &st, why, sizeof(why))) {
			free(names[i]);
			continue;
		}
		push(v, n, names[i], false, st.cluster);
	}
	free(names);
	if (*n > daemons)
		qsort(*v + daemons, *n - daemons, sizeof(**v), by_name);
	return r;
}

void cli_vols_free(struct cli_vol *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void cli_err_no_volume(const char *vol)
{
	cli_err("volume '%s': no ddraidd control socket %s/%s.sock and no ddraid "
		"device-mapper device of that name", vol, cli_ctl_dir(), vol);
}
