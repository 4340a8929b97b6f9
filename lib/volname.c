// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one rule for volume names. A name travels far: the superblock's name
 * field, /dev/mapper/NAME, ddraidd's control socket /run/ddraid/NAME.sock,
 * the corosync CPG group, Pacemaker's node attribute ddraid-NAME and the
 * command lines of all of them. So the rule is the narrowest that every
 * one of those accepts without quoting: 1 to 63 bytes of letters, digits
 * and . _ + -, not starting with '.' (a hidden file; "." and "..") nor
 * '-' (it would read as an option). The library, ddraidd, ddraidctl and,
 * through "ddraidctl check-name", the OCF agent all call this function;
 * the characters are the on-disk format's (common/ddraid_format.c), which
 * also accepts the empty name of a volume created without one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ddraid.h"

int ddraid_check_volume_name(const char *name, char *why, size_t len)
{
	size_t i, n = strlen(name);
	unsigned char c;

	if (!n) {
		snprintf(why, len, "a volume name cannot be empty");
		return -EINVAL;
	}
	if (n > DDRAID_NAME_MAX) {
		snprintf(why, len, "longer than %d bytes (%zu)",
			 DDRAID_NAME_MAX, n);
		return -ENAMETOOLONG;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)name[i];
		if (ddraid_name_char_ok((char)c))
			continue;
		if (c >= ' ' && c < 0x7f)
			snprintf(why, len, "only letters, digits and . _ + - are allowed ('%c' at byte %zu is not)",
				 c, i);
		else
			snprintf(why, len, "only letters, digits and . _ + - are allowed (byte %zu, 0x%02x, is not)",
				 i, c);
		return -EINVAL;
	}
	if (name[0] == '.' || name[0] == '-') {
		snprintf(why, len, "only letters, digits and . _ + - are allowed, and not '%c' first",
			 name[0]);
		return -EINVAL;
	}
	return 0;
}
