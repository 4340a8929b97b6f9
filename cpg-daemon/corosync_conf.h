/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What ddraidd reads of corosync's configuration, through libcmap (the
 * running corosync's view, which may differ from corosync.conf on disk
 * until a reload).
 */
#ifndef DDRAIDD_COROSYNC_CONF_H
#define DDRAIDD_COROSYNC_CONF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * quorum.two_node: *@on true when it is set to 1 (absent means 0). 0, or
 * -errno with @why when corosync cannot be asked.
 */
int corosync_two_node(bool *on, char *why, size_t len);

#endif /* DDRAIDD_COROSYNC_CONF_H */
