/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ddraid-bench: one run reports parity throughput against memcpy and engine
 * throughput against one identically throttled member, as ratios.
 */
#ifndef BENCH_H
#define BENCH_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct bench_opts {
	const char *dir;	/* where member files go (engine part) */
	double seconds;		/* target duration of each measurement */
	bool quick;		/* smaller sizes: for a smoke run in tests */
};

/*
 * Each part prints its own table to stdout and adds its results under its
 * own key of @out. Returns 0, or non-zero if the part could not run.
 */
int bench_parity(const struct bench_opts *o, json_object *out);
int bench_engine(const struct bench_opts *o, json_object *out);

/* Monotonic seconds. */
double bench_now(void);

#endif /* BENCH_H */
