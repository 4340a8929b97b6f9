// SPDX-License-Identifier: GPL-2.0-only
/* corosync's configuration as ddraidd needs it (corosync_conf.h). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <corosync/cmap.h>

#include "corosync_conf.h"

int corosync_two_node(bool *on, char *why, size_t len)
{
	cmap_handle_t h;
	uint8_t v = 0;
	cs_error_t e;

	*on = false;
	e = cmap_initialize(&h);
	if (e != CS_OK) {
		snprintf(why, len, "cannot connect to corosync's cmap (error %d); is corosync running?",
			 e);
		return -ENOTCONN;
	}
	/* corosync keeps it as a uint8 (exec/coroparse.c). */
	e = cmap_get_uint8(h, "quorum.two_node", &v);
	cmap_finalize(h);
	if (e == CS_ERR_NOT_EXIST)
		return 0;
	if (e != CS_OK) {
		snprintf(why, len, "cannot read quorum.two_node from corosync's cmap (error %d)",
			 e);
		return -EIO;
	}
	*on = v != 0;
	return 0;
}
