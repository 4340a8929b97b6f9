// SPDX-License-Identifier: GPL-2.0-only
/*
 * corosync's node list, as the transport's address book: a node's member
 * is exported on, and imported from, its ring0_addr. Read from cmap with
 * corosync-cmapctl ("KEY (TYPE) = VALUE" lines), so that ddraid keeps no
 * second list of nodes that could disagree with the cluster's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "transport.h"

/* The value of "KEY (TYPE) = VALUE" whose KEY is @key, copied to @val. */
static bool cmap_get(const char *text, const char *key, char *val, size_t len)
{
	size_t kl = strlen(key);
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n'), *eq;

		if (!eol)
			eol = p + strlen(p);
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			eq = strstr(p + kl, " = ");
			if (eq && eq < eol) {
				size_t n = (size_t)(eol - (eq + 3));

				if (n >= len)
					n = len - 1;
				memcpy(val, eq + 3, n);
				val[n] = '\0';
				return true;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	return false;
}

int tr_nodes_read(struct tr_nodes *ns)
{
	const char *nl[] = { "corosync-cmapctl", "nodelist.", NULL };
	const char *rm[] = { "corosync-cmapctl", "runtime.members.", NULL };
	char *text = NULL, *members = NULL, key[96], val[64];
	unsigned int i, pos = ~0u;
	int r;

	memset(ns, 0, sizeof(*ns));
	r = cli_run(nl, &text, true);
	if (r) {
		cli_err("cannot read corosync's node list (corosync-cmapctl %s): is corosync running?",
			r == 127 ? "not installed" : "failed");
		free(text);
		return -1;
	}
	if (cli_run(rm, &members, true)) {
		free(members);
		members = NULL;
	}
	if (cmap_get(text, "nodelist.local_node_pos", val, sizeof(val)))
		pos = (unsigned int)strtoul(val, NULL, 10);
	for (i = 0; i < TR_MAX_NODES; i++) {
		struct tr_node *n = &ns->node[ns->n];

		snprintf(key, sizeof(key), "nodelist.node.%u.ring0_addr", i);
		if (!cmap_get(text, key, n->addr, sizeof(n->addr)))
			break;
		snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", i);
		if (!cmap_get(text, key, val, sizeof(val))) {
			cli_err("corosync's nodelist.node.%u has no nodeid", i);
			goto fail;
		}
		n->nodeid = (unsigned int)strtoul(val, NULL, 10);
		snprintf(key, sizeof(key), "nodelist.node.%u.name", i);
		if (!cmap_get(text, key, n->name, sizeof(n->name)))
			memcpy(n->name, n->addr, sizeof(n->name));
		snprintf(key, sizeof(key), "runtime.members.%u.status",
			 n->nodeid);
		n->joined = members && cmap_get(members, key, val, sizeof(val)) &&
			    !strcmp(val, "joined");
		n->self = i == pos;
		/* Itself is always there when corosync runs. */
		if (n->self)
			n->joined = true;
		ns->n++;
	}
	if (!ns->n) {
		cli_err("corosync's configuration has no nodelist (nodelist.node.N.ring0_addr)");
		goto fail;
	}
	if (!tr_node_self(ns)) {
		cli_err("corosync does not say which node this is (nodelist.local_node_pos)");
		goto fail;
	}
	free(text);
	free(members);
	return 0;
fail:
	free(text);
	free(members);
	return -1;
}

const struct tr_node *tr_node_find(const struct tr_nodes *ns, const char *s)
{
	unsigned int i;
	char *end;
	unsigned long id = strtoul(s, &end, 10);

	for (i = 0; i < ns->n; i++)
		if (!strcmp(ns->node[i].name, s) ||
		    !strcmp(ns->node[i].addr, s) ||
		    (*s && !*end && ns->node[i].nodeid == id))
			return &ns->node[i];
	return NULL;
}

const struct tr_node *tr_node_self(const struct tr_nodes *ns)
{
	unsigned int i;

	for (i = 0; i < ns->n; i++)
		if (ns->node[i].self)
			return &ns->node[i];
	return NULL;
}
