// SPDX-License-Identifier: GPL-2.0-only
/*
 * TAP driver of the cluster simulation.
 *
 *   DDRAID_SIM_SEEDS=N   seeds to run (default 2000)
 *   DDRAID_SIM_STEPS=N   random steps per seed before healing (default 300)
 *   DDRAID_SIM_SEED=N    run only seed N, tracing every event to stderr
 *   DDRAID_SIM_NODES=N   every seed's world has N nodes (3..32; default:
 *                        2 to 9, from the seed); 32 nodes need some 600
 *                        steps to form, so give them DDRAID_SIM_STEPS=1500
 *
 * Besides the seeds, each deliberately broken rule (sim.h, enum sim_break)
 * must be caught by the invariant it breaks: the checks can fail.
 */
#include <stdlib.h>
#include <inttypes.h>
#include <stdarg.h>

#include "sim.h"

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static int tap_n;

static void tap(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static struct sim sim;

static u32 nodes;	/* DDRAID_SIM_NODES, 0: from the seed */

static bool run_seed(u64 seed, u32 brk, u32 steps, bool verbose)
{
	bool ok;

	sim_init_nodes(&sim, seed, brk, verbose, nodes);
	ok = sim_run(&sim, steps);
	sim_free(&sim);
	return ok;
}

/* A broken rule must be caught, by the invariant it breaks. */
/* Does @why start with one of @expect's '|'-separated prefixes? */
static bool caught_by(const char *why, const char *expect)
{
	const char *e = expect, *bar;
	size_t len;

	for (;;) {
		bar = strchr(e, '|');
		len = bar ? (size_t)(bar - e) : strlen(e);
		if (!strncmp(why, e, len))
			return true;
		if (!bar)
			return false;
		e = bar + 1;
	}
}

static void must_catch(u32 brk, const char *name, const char *expect,
		       u32 steps)
{
	u64 seed;

	for (seed = 1; seed <= 400; seed++) {
		if (run_seed(seed, brk, steps, false))
			continue;
		tap(caught_by(sim.why, expect),
		    "broken rule '%s' caught by %s (seed %" PRIu64 "): %s",
		    name, expect, seed, sim.why);
		return;
	}
	tap(false, "broken rule '%s' was never caught in 400 seeds", name);
}

int main(void)
{
	unsigned long seeds = env_ul("DDRAID_SIM_SEEDS", 2000);
	unsigned long steps = env_ul("DDRAID_SIM_STEPS", 300);
	const char *one = getenv("DDRAID_SIM_SEED");
	u64 seed, bad = 0, acked = 0, delivered = 0, faults = 0, resyncs = 0;
	u64 rebuilds = 0, fails = 0, reads = 0, scrubs = 0, scrub_starts = 0,
	    tunes = 0, spans = 0, resync_spans = 0;
	char first[600] = "";

	nodes = (u32)env_ul("DDRAID_SIM_NODES", 0);
	if (nodes && (nodes < 3 || nodes > SIM_MAX_NODES)) {
		fprintf(stderr, "DDRAID_SIM_NODES: 3 to %u\n", SIM_MAX_NODES);
		return 1;
	}
	if (one && *one) {
		seed = strtoull(one, NULL, 0);
		printf("1..1\n");
		if (!run_seed(seed, (u32)env_ul("DDRAID_SIM_BREAK", 0),
			      (u32)steps, true))
			tap(false, "seed %" PRIu64 ": %s", seed, sim.why);
		else
			tap(true, "seed %" PRIu64 " (%" PRIu64 " writes "
			    "acknowledged)", seed, sim.n_acked);
		return 0;
	}
	printf("1..10\n");
	for (seed = 1; seed <= seeds; seed++) {
		sim_init_nodes(&sim, seed, BREAK_NONE, false, nodes);
		if (!sim_run(&sim, (u32)steps)) {
			if (!bad++)
				snprintf(first, sizeof(first),
					 "seed %" PRIu64 ": %s (replay: "
					 "DDRAID_SIM_SEED=%" PRIu64 ")",
					 seed, sim.why, seed);
			printf("# seed %" PRIu64 " failed: %s\n", seed,
			       sim.why);
		}
		acked += sim.n_acked;
		delivered += sim.n_delivered;
		faults += sim.n_faults;
		resyncs += sim.n_resyncs;
		rebuilds += sim.n_rebuilds;
		spans += sim.n_spans;
		resync_spans += sim.n_resync_spans;
		fails += sim.n_fails;
		reads += sim.n_reads;
		scrubs += sim.n_scrubs;
		scrub_starts += sim.n_scrub_starts;
		tunes += sim.n_tunes;
		sim_free(&sim);
	}
	printf("# %lu seeds x %lu steps: %" PRIu64 " writes acknowledged, "
	       "%" PRIu64 " reads checked, %" PRIu64 " CPG deliveries, "
	       "%" PRIu64 " faults, %" PRIu64 " member failures, %" PRIu64
	       " region resyncs (%" PRIu64 " locks of several), %" PRIu64
	       " region rebuilds (%" PRIu64
	       " locks of several), %" PRIu64
	       " scrubs started, %" PRIu64 " regions scrubbed, %" PRIu64
	       " rate tunings\n", seeds, steps, acked, reads, delivered,
	       faults, fails, resyncs, resync_spans, rebuilds, spans,
	       scrub_starts, scrubs,
	       tunes);
	if (bad)
		tap(false, "%" PRIu64 " of %lu seeds violated an invariant; "
		    "first: %s", bad, seeds, first);
	else
		tap(acked > 0 && resyncs > 0 && rebuilds > 0 && fails > 0 &&
		    scrubs > 0 && tunes > 0 && spans > 0 && resync_spans > 0,
		    "%lu seeds: every invariant held after every step "
		    "(and the seeds exercised writes, resync and rebuild "
		    "in spans, failures, scrub and rate tuning)", seeds);

	/* Determinism: one seed twice gives the same run. */
	{
		u64 a1, d1;

		run_seed(7, BREAK_NONE, (u32)steps, false);
		a1 = sim.n_acked;
		d1 = sim.n_delivered;
		run_seed(7, BREAK_NONE, (u32)steps, false);
		tap(a1 == sim.n_acked && d1 == sim.n_delivered,
		    "seed 7 replays identically (%" PRIu64 " acks, %" PRIu64
		    " deliveries)", a1, d1);
	}
	must_catch(BREAK_SKIP_INTENT, "grant without write intent", "I2",
		   (u32)steps);
	must_catch(BREAK_GRANT_LOCKED, "grant during a region lock", "I5",
		   (u32)steps);
	must_catch(BREAK_EARLY_COMMIT, "commit a failure before all applied",
		   "I3", (u32)steps);
	must_catch(BREAK_NO_RESYNC, "skip the resync", "I2", (u32)steps);
	must_catch(BREAK_SCRUB_NOLOCK, "scrub before holders drained", "I5",
		   (u32)steps);
	must_catch(BREAK_LATE_WRITES, "late writes land past fence_delay",
		   "I5", (u32)steps);
	/* a host's power loss takes fragments the clear did not flush:
	 * they read as what was on the platter before (a torn read), or
	 * the acknowledged block is gone when the next member is lost */
	must_catch(BREAK_NO_FLUSH, "bits cleared without a flush",
		   "torn read|I1", (u32)steps);
	must_catch(BREAK_SPAN_FIRST, "a rebuild span drains one region",
		   "I5", (u32)steps);
	return 0;
}
