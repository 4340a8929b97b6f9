// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidctl check-name: the volume-name rule (lib/volname.c) for those
 * who cannot link the library: the OCF agent and other scripts.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"

int cmd_check_name(const struct cli_args *a)
{
	char why[DDRAID_ERRMSG_MAX];

	if (ddraid_check_volume_name(a->argv[0], why, sizeof(why))) {
		cli_err("volume name '%s': %s", a->argv[0], why);
		return CLI_FAIL;
	}
	return CLI_OK;
}
