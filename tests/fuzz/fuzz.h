/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every fuzz target (tests/fuzz/fuzz_*.c) provides the libFuzzer entry point
 * and a seed generator, so that run-fuzz.sh can start each one from valid
 * inputs without binary files in git.
 */
#ifndef DDRAID_FUZZ_H
#define DDRAID_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write seed @i into @buf (capacity @cap); return its size, 0 when done. */
size_t fuzz_make_seed(unsigned int i, uint8_t *buf, size_t cap);

#endif
