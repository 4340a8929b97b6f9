/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Carries out the state machine's IO effects (bits, superblocks, metadata
 * reads, resync, rebuild) on the member devices in a worker thread, so the
 * event loop never waits for a disk. One worker, one FIFO: effects run in
 * the order the state machine issued them, which is what sm.h asks of bit
 * effects of one slot. Completions come back through an eventfd.
 */
#ifndef DDRAIDD_IO_EXEC_H
#define DDRAIDD_IO_EXEC_H

#include "ddraid.h"
#include "sm.h"

struct io_exec;

/* A finished IO effect; feed it to sm_handle() as SM_EV_IO_DONE. */
struct io_done {
	struct io_done *next;
	u32 type;		/* enum sm_effect_type */
	u64 id;
	int result;		/* SCRUB: >= 0 mismatching blocks */
	struct sm_meta meta;	/* READ_META */
	u8 *bits;		/* READ_META (meta.dirty), READ_SLOT(S) */
	u64 resynced_blocks;	/* RESYNC / REBUILD: blocks rewritten */
	u32 regions;		/* RESYNC / REBUILD: regions it covered */
	u8 *others;		/* READ_SLOT: the union of the other slots */
	u64 events;		/* PROBE: the member superblock's events */
};

/*
 * Take over @vol (opened read-write on this node's member paths); it is
 * closed by io_exec_free(). NULL on error.
 */
struct io_exec *io_exec_new(struct ddraid_vol *vol);
/* Wait for the queued work to finish, stop the worker, close the volume. */
void io_exec_free(struct io_exec *io);

/* Readable when completions wait. */
int io_exec_fd(const struct io_exec *io);

/* Queue an IO effect (everything it points to is copied). 0 or -errno. */
int io_exec_submit(struct io_exec *io, const struct sm_effect *fx);

/* The next completion, or NULL; free it with io_done_free(). */
struct io_done *io_exec_pop(struct io_exec *io);
void io_done_free(struct io_done *d);

/* Counters for status (read without a lock: approximate). */
struct io_exec_stats {
	u64 bit_sets, bit_clears, sb_writes, resyncs, rebuilds, errors;
	u64 queued;
	u64 scrubs, scrub_mismatches, scrub_repaired;	/* regions, blocks */
	u64 probes, probe_errors, flushes;
};
void io_exec_stats(struct io_exec *io, struct io_exec_stats *st);

#endif /* DDRAIDD_IO_EXEC_H */
