/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libdevmapper helpers shared by ddraidctl (assemble, stop) and ddraidd
 * (putting a rebuild's new device into the live table). Kept out of
 * libddraid so that the engine does not depend on libdevmapper.
 */
#ifndef DDRAID_DM_UTIL_H
#define DDRAID_DM_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

struct dm_task;

/* The device-mapper target type of dmtarget/. */
#define DDRAID_DM_TARGET	"ddraid"

/* Run @dmt with udev synchronisation (none under DM_DISABLE_UDEV=1). */
int ddraid_dm_run_synced(struct dm_task *dmt);

/*
 * @dmt is a DM_DEVICE_TABLE task that ran. True when its table is exactly
 * one ddraid target. *@type (NULL: no target, for messages), the target's
 * extent and its parameters are set either way.
 */
bool ddraid_dm_one_target(struct dm_task *dmt, uint64_t *start,
			  uint64_t *length, char **type, char **params);

/*
 * The ddraid table parameters @params (as the target reports them:
 * "<#members> <dev|-> ... <#opts> <opts>") with member @m's device
 * replaced by @path and that member given as "rebuild <m>" (any earlier
 * "rebuild" option dropped), written to @out. 0, or -EINVAL with *@why
 * for parameters that are not a ddraid table or a @path that cannot be
 * one table word; -ENOSPC when @out is too small.
 */
int ddraid_dm_params_replace_member(const char *params, unsigned int m,
				    const char *path, char *out,
				    size_t outlen, const char **why);

/*
 * Reload the live ddraid table of dm device @devt with member @m at
 * @path ("rebuild <m>"), swapping tables with a noflush suspend: the
 * target hands IO that would wait back to dm and takes its cluster state
 * over into the new table (docs/kernel-channel.md). 0 or -errno with a
 * reason in @err.
 */
int ddraid_dm_reload_member(dev_t devt, unsigned int m, const char *path,
			    char *err, size_t errlen);

/* A ddraid target's status line (docs/dm-target.md, "Status"). */
struct ddraid_dm_status {
	unsigned int members;
	char health[17];	/* one of A D R - per member */
	char state[16];		/* ok, degraded, failed */
	uint64_t reads, writes, reconstructs, member_errors, mismatches;
	bool cluster;		/* the cluster fields follow */
	bool attached;
	uint64_t granted, locked, inflight, waiting, held;
	char frozen[16];	/* frozen, failing, running */
	uint32_t event_nr;	/* dm's event counter (ddraid_dm_status) */
};

/* A member's <health> character as a word: "active", "failed",
 * "rebuilding", "absent" (the names ddraidd gives member states). */
const char *ddraid_dm_health_name(char h);

/*
 * Parse the status parameters @params (after "<start> <len> ddraid").
 * 0, or -EINVAL when they are not a ddraid status line.
 */
int ddraid_dm_parse_status(const char *params, struct ddraid_dm_status *st);

/*
 * The status of dm device @name, which must be one ddraid target. 0, or
 * -errno with a reason in @err (-ENODEV: no such device or not ddraid).
 */
int ddraid_dm_status(const char *name, struct ddraid_dm_status *st,
		     char *err, size_t errlen);

/* Is there a device-mapper driver to talk to? (asked once, quietly) */
bool ddraid_dm_available(void);

/*
 * The names of every dm device whose table is one ddraid target, in a
 * malloc'd array of malloc'd strings (*@n of them). 0 or -errno; no
 * device-mapper at all (no /dev/mapper/control) is 0 with none.
 */
int ddraid_dm_list(char ***names, unsigned int *n);

#endif /* DDRAID_DM_UTIL_H */
