/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pacemaker's fencer as a fencing service for the fencer (fence.h): each
 * call runs the helper ddraid-stonith (cpg-daemon/ddraid-stonith.c) and
 * reads its one line of answer.
 */
#ifndef DDRAIDD_FENCE_PCMK_H
#define DDRAIDD_FENCE_PCMK_H

#include <stddef.h>

#include "fence.h"

/* The helper next to the running program (/proc/self/exe): ddraidd and
 * ddraid-stonith are installed, and built, in one directory. 0 or -errno. */
int fence_pcmk_helper_path(char *buf, size_t len);

/*
 * Fill @ops with calls of the helper at @helper (copied; freed by
 * ops->release()). 0 or -ENOMEM.
 */
int fence_pcmk_ops(struct fence_ops *ops, const char *helper);

/* Is Pacemaker's fencer reachable now, and how many fence devices are
 * registered with it (*@devices)? Blocks (for ddraidd's start only). 0, or
 * < 0 with @why. */
int fence_pcmk_probe(const char *helper, int *devices, char *why, size_t len);

#endif /* DDRAIDD_FENCE_PCMK_H */
