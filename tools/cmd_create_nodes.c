// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl create --nodes: the volume on the nodes' own disks. Every
 * node has offered its disk with "ddraidctl export-disk DEV"; this node
 * imports each offered disk from the node's corosync address (its own
 * used directly), writes the superblocks with the checks of a plain
 * create (member i is the i-th node's disk), and disconnects again. The
 * agent's connect later exports each member under the volume's NQNs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "transport.h"

/* The nodes named in @list ("all": corosync's node list, in its order). */
static int pick_nodes(const struct tr_nodes *ns, const char *list,
		      const struct tr_node **pick, unsigned int *n)
{
	char *copy, *tok, *save;
	unsigned int i, j;

	*n = 0;
	if (!strcmp(list, "all")) {
		for (i = 0; i < ns->n && i < DDRAID_MAX_MEMBERS; i++)
			pick[(*n)++] = &ns->node[i];
		return CLI_OK;
	}
	copy = strdup(list);
	if (!copy)
		return CLI_FAIL;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		const struct tr_node *nd = tr_node_find(ns, tok);

		if (!nd) {
			char known[512] = "";

			for (j = 0; j < ns->n; j++)
				snprintf(known + strlen(known),
					 sizeof(known) - strlen(known), "%s%s",
					 j ? ", " : "", ns->node[j].name);
			j = (unsigned int)cli_usage("node '%s' is not in corosync's node list (%s)",
						    tok, known);
			free(copy);
			return (int)j;
		}
		for (j = 0; j < *n; j++)
			if (pick[j] == nd) {
				int r = cli_usage("node '%s' is named twice: each node gives one disk",
						  tok);

				free(copy);
				return r;
			}
		if (*n == DDRAID_MAX_MEMBERS) {
			free(copy);
			return cli_usage("more than %d nodes given",
					 DDRAID_MAX_MEMBERS);
		}
		pick[(*n)++] = nd;
	}
	free(copy);
	return CLI_OK;
}

int cmd_create_nodes(const struct cli_args *a, struct ddraid_create_opts *o)
{
	const struct tr_node *pick[DDRAID_MAX_MEMBERS];
	static char devs[DDRAID_MAX_MEMBERS][TR_PATH_MAX];
	const char *paths[DDRAID_MAX_MEMBERS];
	char nqn[TR_NQN_MAX], err[DDRAID_ERRMSG_MAX];
	struct cli_progress prog;
	struct tr_nodes ns;
	unsigned int n, i;
	int r;

	if (a->argc)
		return cli_usage("--nodes names the members: give no DEV too");
	if (!o->name)
		return cli_usage("--nodes needs --name: the agent finds the members by it");
	if (tr_nodes_read(&ns))
		return CLI_FAIL;
	r = pick_nodes(&ns, a->str[CREATE_NODES], pick, &n);
	if (r)
		return r;
	if (ddraid_members_to_k(n) < 0)
		return cli_usage("%u nodes given: a volume has 2, 3, 5 or 9 members (one disk per node)",
				 n);
	for (i = 0; i < n; i++)
		if (!pick[i]->joined)
			return cli_usage("node '%s' is not in corosync's membership now: its disk cannot be reached",
					 pick[i]->name);
	if (tr_need_modules(tr_host_modules))
		return CLI_NO_MODULE;

	r = CLI_FAIL;
	for (i = 0; i < n; i++) {
		tr_disk_nqn(nqn, sizeof(nqn), pick[i]->nodeid);
		if (pick[i]->self) {
			if (tr_export_dev(nqn, devs[i], TR_PATH_MAX)) {
				cli_err("this node (%s) offers no disk: run 'ddraidctl export-disk DEV' here first",
					pick[i]->name);
				goto out;
			}
		} else {
			/* Short-lived: the fabrics' default timeouts. */
			if (tr_import(nqn, pick[i]->addr, NULL, devs[i],
				      TR_PATH_MAX)) {
				cli_err("node %s (%s) offers no disk: run 'ddraidctl export-disk DEV' there first",
					pick[i]->name, pick[i]->addr);
				goto out;
			}
		}
		paths[i] = devs[i];
	}
	cli_progress_init(&prog, "zeroing");
	o->progress = cli_progress_cb;
	o->progress_arg = &prog;
	err[0] = '\0';
	r = ddraid_create(paths, n, o, err, sizeof(err));
	cli_progress_done(&prog);
	if (r) {
		cli_err("%s", err[0] ? err : strerror(-r));
		/* The message names a device here: say whose disk it is. */
		for (i = 0; i < n; i++)
			fprintf(stderr, "  %s is the disk of node %s\n", devs[i],
				pick[i]->name);
		r = CLI_FAIL;
		goto out;
	}
	printf("created volume '%s': %u members\n", o->name ? o->name : "", n);
	for (i = 0; i < n; i++)
		printf("member %u: node %s (id %u, %s), its disk %s\n", i,
		       pick[i]->name, pick[i]->nodeid, pick[i]->addr,
		       pick[i]->self ? devs[i] : "(imported)");
	r = CLI_OK;
out:
	for (i = 0; i < n; i++)
		if (!pick[i]->self) {
			tr_disk_nqn(nqn, sizeof(nqn), pick[i]->nodeid);
			tr_disconnect(nqn);
		}
	return r;
}
