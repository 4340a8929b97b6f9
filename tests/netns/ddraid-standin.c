// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraid-standin: a userspace stand-in for the dm target, for multi-node
 * tests on a host without device-mapper (tests/netns/).
 *
 * It opens the volume's member files (shared by all nodes, like a SAN),
 * listens on a UNIX socket for its node's ddraidd and is the kernel
 * target's core (common/ddraid_tcore.c: grants, locks, freezing, member
 * failures, what is owed to the daemon, docs/kernel-channel.md) over file
 * IO: every decision is the kernel's, only the IO is userspace.
 *
 * Workload: writes blocks whose content encodes (node, block, generation)
 * with a checksum. Before a write it appends "I block gen" to its journal,
 * after the acknowledgement "A block gen" (fdatasync'd): only acknowledged
 * writes must survive. --verify reads the volume afterwards and checks it
 * against the union of all nodes' journals.
 *
 * Signals: SIGUSR1 injects IO errors on --inject-member, SIGUSR2 ends the
 * injection (the disk was replaced); SIGHUP starts a new stall measurement
 * (stats "stall_max_ms": the longest time without an acknowledgement
 * since, the current wait included); SIGTERM stops.
 * $DDRAID_FAULT_PATH_DIR cuts this node's paths to members (lib/member_io.c).
 * Counters go to --stats FILE as JSON (rewritten atomically every tick).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cluster_io.h"
#include "ddraid.h"
#include "ddraid_chan.h"
#include "ddraid_crc32c.h"
#include "ddraid_tcore.h"

#define BS		DDRAID_BLOCK_SIZE
#define MAX_QUEUED	64
#define MAGIC		0x4c57444444ull	/* "DDDWL" */

/* ---- block content: a pure function of (node, block, gen) ---- */

static u64 mix(u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void make_block(u8 *buf, u32 node, u64 block, u64 gen)
{
	u64 s = mix(((u64)node << 48) ^ block ^ mix(gen));
	size_t i;

	ddr_put_le64(MAGIC, buf);
	ddr_put_le32(node, buf + 8);
	ddr_put_le64(block, buf + 12);
	ddr_put_le64(gen, buf + 20);
	for (i = 28; i + 8 <= BS - 4; i += 8) {
		s = mix(s + i);
		ddr_put_le64(s, buf + i);
	}
	ddr_put_le32(ddraid_crc32c(buf, BS - 4), buf + BS - 4);
}

/* 0: valid content (fills node/gen); -1: not valid. */
static int parse_block(const u8 *buf, u64 block, u32 *node, u64 *gen)
{
	if (ddr_get_le64(buf) != MAGIC ||
	    ddr_get_le32(buf + BS - 4) != ddraid_crc32c(buf, BS - 4) ||
	    ddr_get_le64(buf + 12) != block)
		return -1;
	*node = ddr_get_le32(buf + 8);
	*gen = ddr_get_le64(buf + 20);
	return 0;
}

/* ---- state ---- */

/* ---- state ---- */

#define MAX_IO		128	/* writes waiting, in flight or held */
#define MAX_QUEUED	64	/* writes waiting at the gate */

/* One write of the workload; the target core decides its fate. */
struct wr {
	struct tcore_io io;
	u64 block, gen;
	bool used;
};

struct st {
	/* options */
	char **members;
	unsigned int n_members;
	const char *sock_path, *journal_path, *stats_path;
	u32 node;
	u64 first, nblocks, stride, index;
	unsigned int rate, idle_ms;
	int inject_member;
	u64 max_writes;

	struct ddraid_vol *vol;
	u64 regions, region_blocks, vol_blocks;
	/* The target: the core the kernel runs (common/ddraid_tcore.c). */
	struct tcore core;
	struct tcore_region *reg;
	struct wr io[MAX_IO];
	u64 *gen;		/* per block of our set: last generation */
	u8 *busy;		/* per block of our set */
	FILE *journal;
	int lfd, cfd, sfd;
	u8 rbuf[DDRAID_CHAN_MSG_BYTES * 16];
	size_t rlen;
	struct ddraid_chan_limits lim;
	bool stop;
	u8 *buf;
	u64 next_write;
	/* counters */
	u64 acked, io_errors, acked_disconnected, grant_reqs, grants,
	    grant_errors, locks, idles, freezes, merr_sent, commits,
	    attaches, started, held_total, path_retries, frozen_msgs;
	/* stalls: since the last SIGHUP, the longest gap between acks */
	u64 last_ack_ms, stall_max_ms;
};

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ddraid-standin: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%ld.%03ld standin: ", (long)ts.tv_sec,
		ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- channel ---- */

static void drop_daemon(struct st *s)
{
	if (s->cfd < 0)
		return;
	close(s->cfd);
	s->cfd = -1;
	s->rlen = 0;
	tcore_detach(&s->core);
	say("daemon disconnected; granted regions keep being written");
}

/* Send the daemon everything the core owes it. */
static void flush_msgs(struct st *s)
{
	struct ddraid_chan_msg m;
	u8 buf[DDRAID_CHAN_MSG_BYTES];
	const char *why = NULL;

	while (s->cfd >= 0 && !tcore_next_msg(&s->core, &m)) {
		if (ddraid_chan_encode(&m, &s->lim, buf, &why))
			die("cannot encode %s: %s",
			    ddraid_chan_type_name(m.type), why);
		switch (m.type) {
		case DDRAID_CHAN_GRANT_REQ:
			s->grant_reqs++;
			break;
		case DDRAID_CHAN_IDLE:
			s->idles++;
			break;
		case DDRAID_CHAN_MEMBER_ERROR:
			say("reporting MEMBER_ERROR for member %llu",
			    (unsigned long long)m.region);
			s->merr_sent++;
			break;
		case DDRAID_CHAN_FROZEN:
			s->frozen_msgs++;
			break;
		}
		if (send(s->cfd, buf, sizeof(buf), MSG_NOSIGNAL) !=
		    sizeof(buf))
			drop_daemon(s);
	}
}

static void journal(struct st *s, char kind, u64 block, u64 gen, bool sync)
{
	fprintf(s->journal, "%c %" PRIu64 " %" PRIu64 "\n", kind, block, gen);
	fflush(s->journal);
	if (sync && fdatasync(fileno(s->journal)))
		die("journal: %s", strerror(errno));
}

static void release(struct st *s, struct wr *w)
{
	s->busy[(w->block - s->first) / s->stride] = 0;
	w->used = false;
}

/* The longest time without an acknowledgement, the current one included. */
static u64 stall_ms(const struct st *s, u64 now)
{
	u64 cur = now - s->last_ack_ms;

	return cur > s->stall_max_ms ? cur : s->stall_max_ms;
}

static void ack(struct st *s, struct wr *w)
{
	u64 now = now_ms();

	s->stall_max_ms = stall_ms(s, now);
	/* Said with the time it ended, to be matched with the daemons' logs. */
	if (now - s->last_ack_ms >= 1000)
		say("stall: no write acknowledged for %" PRIu64 " ms",
		    now - s->last_ack_ms);
	s->last_ack_ms = now;
	journal(s, 'A', w->block, w->gen, true);
	s->acked++;
	if (s->cfd < 0)
		s->acked_disconnected++;
	release(s, w);
}

static void fail_write(struct st *s, struct wr *w)
{
	s->io_errors++;
	say("write of block %" PRIu64 " failed (EIO)", w->block);
	release(s, w);
}

static struct wr *wr_of(struct tcore_io *io)
{
	return (struct wr *)((char *)io - offsetof(struct wr, io));
}

/*
 * Write @w now (it passed the gate, or goes again), and whatever the core
 * releases on the way: the writes that GO from @out are written here too.
 */
static void do_write(struct st *s, struct wr *w, struct tcore_list *out)
{
	u32 failed = 0, newly;
	u64 now;

	if (tcore_write_plan(&s->core, &w->io)) {
		tcore_io_forget(&s->core, &w->io, now_ms());
		fail_write(s, w);
		return;
	}
	make_block(s->buf, s->node, w->block, w->gen);
	journal(s, 'I', w->block, w->gen, false);
	/* -EIO (two members out) is the core's verdict to give, below. */
	(void)ddraid_cl_write(s->vol, w->block, 1, s->buf, w->io.skip,
			      &failed);
	now = now_ms();
	newly = tcore_member_error(&s->core, failed);
	if (newly)
		say("members %#x failed a write; the cluster must hear of it",
		    newly);
	if (tcore_write_done(&s->core, &w->io, failed, now, out) ==
	    TCORE_WAIT && w->io.at == TCORE_AT_HELD)
		s->held_total++;
}

/* Act on the IO the core released, until nothing more is released. */
static void run_out(struct st *s, struct tcore_list *out)
{
	struct tcore_io *io;

	while ((io = tcore_list_pop(out))) {
		struct wr *w = wr_of(io);

		switch (io->verdict) {
		case TCORE_GO:
			do_write(s, w, out);
			break;
		case TCORE_DONE:
			ack(s, w);
			break;
		default:
			fail_write(s, w);
			break;
		}
	}
	flush_msgs(s);
}

/* MEMBER_STATE: the core decides; the volume follows its word. */
static void member_state(struct st *s, const struct ddraid_chan_msg *m,
			 struct tcore_list *out, struct tcore_note *note)
{
	u32 i = (u32)m->region;

	if (m->flags == DDRAID_MEMBER_REBUILDING) {
		char p[4300], dev[4096];
		FILE *f;

		/* The daemon named the new device next to our socket. */
		snprintf(p, sizeof(p), "%s.member%u", s->sock_path, i);
		f = fopen(p, "re");
		if (!f || !fgets(dev, sizeof(dev), f)) {
			say("MEMBER_STATE rebuilding %u: cannot read %s", i, p);
			if (f)
				fclose(f);
			return;	/* no DONE: the rebuild waits */
		}
		fclose(f);
		dev[strcspn(dev, "\n")] = 0;
		if (ddraid_cl_member_open(s->vol, i, dev)) {
			say("cannot open %s as member %u", dev, i);
			return;
		}
	}
	tcore_apply(&s->core, m, now_ms(), out, note);
	ddraid_cl_set_member_state(s->vol, i, s->core.mstate[i]);
}

static void on_msg(struct st *s, const struct ddraid_chan_msg *m)
{
	struct tcore_list out;
	struct tcore_note note = { 0 };
	u64 r = m->region;

	tcore_list_init(&out);
	switch (m->type) {
	case DDRAID_CHAN_ATTACH:
		s->attaches++;
		say("daemon attached");
		tcore_attach(&s->core);
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		member_state(s, m, &out, &note);
		break;
	default:
		if (m->type == DDRAID_CHAN_GRANT &&
		    s->reg[r].state == TCORE_REQUESTED) {
			if (m->status)
				s->grant_errors++;
			else
				s->grants++;
		}
		if (m->type == DDRAID_CHAN_LOCK)
			s->locks++;
		if (m->type == DDRAID_CHAN_FREEZE && !s->core.frozen) {
			s->freezes++;
			say("frozen%s", m->flags & DDRAID_CHAN_FREEZE_FAIL_IO ?
			    ", failing IO" : "");
		}
		if (m->type == DDRAID_CHAN_THAW && s->core.frozen)
			say("thawed");
		if (m->type == DDRAID_CHAN_COMMIT_FAIL)
			s->commits++;
		if (m->type == DDRAID_CHAN_PATH_RETRY)
			s->path_retries++;
		if (tcore_apply(&s->core, m, now_ms(), &out, &note)) {
			say("unexpected %s from the daemon; closing",
			    ddraid_chan_type_name(m->type));
			drop_daemon(s);
		}
	}
	if (note.what)
		say("%s %" PRIu64 ": %s", ddraid_chan_type_name(m->type), r,
		    note.what);
	run_out(s, &out);
}

static void read_daemon(struct st *s)
{
	ssize_t n = recv(s->cfd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen,
			 MSG_DONTWAIT);
	size_t off;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_daemon(s);
		return;
	}
	s->rlen += (size_t)n;
	for (off = 0; s->rlen - off >= DDRAID_CHAN_MSG_BYTES && s->cfd >= 0;
	     off += DDRAID_CHAN_MSG_BYTES) {
		struct ddraid_chan_msg m;
		const char *why = NULL;

		if (ddraid_chan_decode(s->rbuf + off, DDRAID_CHAN_MSG_BYTES,
				       &s->lim, &m, &why) ||
		    ddraid_chan_direction(m.type) != DDRAID_CHAN_TO_KERNEL) {
			/* As the kernel answers EINVAL: change nothing. */
			say("refused a message: %s", why ? why : "direction");
			drop_daemon(s);
			return;
		}
		on_msg(s, &m);
	}
	if (s->cfd < 0)
		return;
	memmove(s->rbuf, s->rbuf + off, s->rlen - off);
	s->rlen -= off;
}

static void accept_daemon(struct st *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    cred.uid != 0 || s->cfd >= 0) {
		/* Root only, one daemon at a time (the kernel says EBUSY). */
		close(fd);
		return;
	}
	s->cfd = fd;
	s->rlen = 0;
}

/* ---- workload ---- */

static void generate(struct st *s)
{
	struct tcore_list out;
	struct wr *w = NULL;
	u64 idx = 0, b, tries;
	unsigned int i;

	if (s->max_writes && s->started >= s->max_writes)
		return;
	if (s->core.waiting >= MAX_QUEUED)
		return;
	for (i = 0; i < MAX_IO && !w; i++)
		if (!s->io[i].used)
			w = &s->io[i];
	if (!w)
		return;
	for (tries = 0; tries < 16; tries++) {
		idx = (u64)random() % s->nblocks;
		if (!s->busy[idx])
			break;
	}
	if (s->busy[idx])
		return;
	b = s->first + idx * s->stride;
	s->busy[idx] = 1;
	w->used = true;
	w->block = b;
	w->gen = ++s->gen[idx];
	s->started++;
	tcore_io_init(&w->io, TCORE_WRITE, b / s->region_blocks);
	tcore_list_init(&out);
	switch (tcore_write_enter(&s->core, &w->io, now_ms())) {
	case TCORE_GO:
		do_write(s, w, &out);
		break;
	case TCORE_WAIT:
		break;
	default:
		fail_write(s, w);
		break;
	}
	run_out(s, &out);
}

static void idle_pass(struct st *s)
{
	tcore_idle_scan(&s->core, 0, s->regions, now_ms(), s->idle_ms);
	flush_msgs(s);
}

static void write_stats(struct st *s)
{
	char tmp[4200];
	FILE *f;

	if (!s->stats_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->stats_path);
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f,
		"{\"node\":%u,\"connected\":%s,\"frozen\":%s,\"acked\":%" PRIu64
		",\"started\":%" PRIu64 ",\"io_errors\":%" PRIu64
		",\"acked_disconnected\":%" PRIu64 ",\"grant_reqs\":%" PRIu64
		",\"grants\":%" PRIu64 ",\"grant_errors\":%" PRIu64
		",\"locks\":%" PRIu64 ",\"idles\":%" PRIu64
		",\"freezes\":%" PRIu64 ",\"member_errors\":%" PRIu64
		",\"commits\":%" PRIu64 ",\"attaches\":%" PRIu64
		",\"held_regions\":%" PRIu64 ",\"queued\":%" PRIu64
		",\"held_completions\":%" PRIu64 ",\"held_total\":%" PRIu64
		",\"failing\":%u,\"path_retries\":%" PRIu64
		",\"frozen_msgs\":%" PRIu64 ",\"withdrawn\":%s"
		",\"stall_max_ms\":%" PRIu64 "}\n",
		s->node, s->cfd >= 0 ? "true" : "false",
		s->core.frozen ? "true" : "false", s->acked, s->started,
		s->io_errors, s->acked_disconnected, s->grant_reqs, s->grants,
		s->grant_errors, s->locks, s->idles, s->freezes, s->merr_sent,
		s->commits, s->attaches, s->core.granted, s->core.waiting,
		s->core.nheld, s->held_total, s->core.failed, s->path_retries,
		s->frozen_msgs, s->core.withdrawn ? "true" : "false",
		stall_ms(s, now_ms()));
	fclose(f);
	rename(tmp, s->stats_path);
}

/* Resume generations from an existing journal (a restarted stand-in). */
static void load_journal(struct st *s)
{
	FILE *f = fopen(s->journal_path, "re");
	char kind;
	u64 b, g;

	if (!f)
		return;
	while (fscanf(f, " %c %" SCNu64 " %" SCNu64, &kind, &b, &g) == 3) {
		if (b < s->first || (b - s->first) % s->stride ||
		    (b - s->first) / s->stride >= s->nblocks)
			continue;
		if (g > s->gen[(b - s->first) / s->stride])
			s->gen[(b - s->first) / s->stride] = g;
	}
	fclose(f);
}

static void run(struct st *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[DDRAID_ERRMSG_MAX];
	u64 next_tick = 0;
	sigset_t set;
	int r;

	r = ddraid_open((const char *const *)s->members, s->n_members, 0,
			&s->vol, err, sizeof(err));
	if (r)
		die("cannot open the volume: %s", err);
	s->vol_blocks = ddraid_vol_size(s->vol) / BS;
	s->regions = ddraid_vol_sb(s->vol)->regions;
	s->region_blocks = ddraid_vol_sb(s->vol)->region_size / BS;
	s->lim.regions = s->regions;
	s->lim.members = s->n_members;
	if (!s->nblocks)
		s->nblocks = (s->vol_blocks - s->first + s->stride - 1 -
			      s->index) / s->stride;
	s->first += s->index;
	if (s->first + (s->nblocks - 1) * s->stride >= s->vol_blocks)
		die("workload blocks go beyond the volume (%" PRIu64 " blocks)",
		    s->vol_blocks);
	s->reg = calloc(s->regions, sizeof(*s->reg));
	s->gen = calloc(s->nblocks, sizeof(u64));
	s->busy = calloc(s->nblocks, 1);
	s->buf = aligned_alloc(4096, BS);
	if (!s->reg || !s->gen || !s->busy || !s->buf)
		die("out of memory");
	{
		const struct ddraid_sb *sb = ddraid_vol_sb(s->vol);
		u32 mstate[DDRAID_MAX_MEMBERS], out = 0, m;

		/* A member this process could not open is out of use. */
		for (m = 0; m < s->n_members; m++) {
			mstate[m] = sb->member[m].state;
			if (ddraid_cl_member_fd(s->vol, m) < 0)
				out |= 1u << m;
		}
		tcore_init(&s->core, s->reg, s->regions, s->n_members,
			   sb->events, mstate, out, 0);
	}
	load_journal(s);
	s->journal = fopen(s->journal_path, "ae");
	if (!s->journal)
		die("%s: %s", s->journal_path, strerror(errno));

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (strlen(s->sock_path) >= sizeof(sa.sun_path))
		die("socket path too long");
	strcpy(sa.sun_path, s->sock_path);
	unlink(s->sock_path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(s->sock_path, 0600) || listen(s->lfd, 2))
		die("socket %s: %s", s->sock_path, strerror(errno));
	s->cfd = -1;
	s->last_ack_ms = now_ms();
	if (getenv("DDRAID_FAULT_PATH_DIR"))
		say("member paths cut by the files in %s",
		    getenv("DDRAID_FAULT_PATH_DIR"));
	say("node %u: %" PRIu64 " blocks from %" PRIu64 " stride %" PRIu64
	    ", %u writes/s, listening on %s", s->node, s->nblocks, s->first,
	    s->stride, s->rate, s->sock_path);

	while (!s->stop) {
		struct pollfd pfd[3] = {
			{ .fd = s->sfd, .events = POLLIN },
			{ .fd = s->lfd, .events = POLLIN },
			{ .fd = s->cfd, .events = POLLIN },
		};
		u64 now = now_ms();
		int timeout;

		if (now >= s->next_write) {
			generate(s);
			s->next_write = now + 1000 / (s->rate ? s->rate : 1);
		}
		if (now >= next_tick) {
			idle_pass(s);
			write_stats(s);
			next_tick = now + 100;
		}
		now = now_ms();
		timeout = (int)((s->next_write < next_tick ? s->next_write :
				 next_tick) - (now < s->next_write ? now : s->next_write));
		if (timeout < 0)
			timeout = 0;
		if (poll(pfd, s->cfd >= 0 ? 3 : 2, timeout) < 0)
			continue;
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1) {
					say("injecting errors on member %d",
					    s->inject_member);
					ddraid_inject_member_error(s->vol,
								   s->inject_member);
				} else if (si.ssi_signo == SIGUSR2) {
					say("no more injected errors");
					ddraid_inject_member_error(s->vol, -1);
				} else if (si.ssi_signo == SIGHUP) {
					say("stall measurement starts again");
					s->last_ack_ms = now_ms();
					s->stall_max_ms = 0;
				} else {
					s->stop = true;
				}
			}
		}
		if (pfd[1].revents)
			accept_daemon(s);
		if (s->cfd >= 0 && pfd[2].revents)
			read_daemon(s);
	}
	write_stats(s);
	say("stopping: %" PRIu64 " writes acknowledged, %" PRIu64
	    " IO errors, %" PRIu64 " completions held", s->acked,
	    s->io_errors, s->core.nheld);
	unlink(s->sock_path);
	fclose(s->journal);
	ddraid_close(s->vol);
	free(s->reg);
	free(s->gen);
	free(s->busy);
	free(s->buf);
}

/* ---- verification ---- */

static u64 num(const char *s, const char *what);

struct expect {
	u64 acked;		/* last acknowledged generation, 0: none */
	u64 pending;		/* a later started generation, 0: none */
	u32 node;
	bool seen;
};

static int verify(struct st *s, char **journals, unsigned int nj)
{
	char err[DDRAID_ERRMSG_MAX];
	struct expect *e;
	u64 b, bad = 0, written = 0, torn_ok = 0;
	u8 *buf, *img_a, *img_p;
	unsigned int j;
	int r;

	r = ddraid_open((const char *const *)s->members, s->n_members,
			DDRAID_OPEN_RDONLY, &s->vol, err, sizeof(err));
	if (r)
		die("cannot open the volume: %s", err);
	s->vol_blocks = ddraid_vol_size(s->vol) / BS;
	e = calloc(s->vol_blocks, sizeof(*e));
	buf = aligned_alloc(4096, BS);
	img_a = malloc(BS);
	img_p = malloc(BS);
	if (!e || !buf || !img_a || !img_p)
		die("out of memory");
	for (j = 0; j < nj; j++) {
		/* NODE:JOURNAL: the node id the content of its blocks carries */
		char *colon = strchr(journals[j], ':');
		u32 jnode;
		FILE *f;
		char kind;
		u64 g;

		if (!colon)
			die("%s: give journals as NODE:FILE", journals[j]);
		*colon = 0;
		jnode = (u32)num(journals[j], "journal node");
		f = fopen(colon + 1, "re");
		if (!f)
			die("%s: %s", colon + 1, strerror(errno));
		while (fscanf(f, " %c %" SCNu64 " %" SCNu64, &kind, &b, &g) ==
		       3) {
			if (b >= s->vol_blocks)
				die("%s: block %" PRIu64 " beyond the volume",
				    colon + 1, b);
			if (e[b].seen && e[b].node != jnode)
				die("block %" PRIu64 " written by two nodes", b);
			e[b].seen = true;
			e[b].node = jnode;
			if (kind == 'A') {
				if (g > e[b].acked)
					e[b].acked = g;
				if (e[b].pending <= g)
					e[b].pending = 0;
			} else if (kind == 'I' && g > e[b].acked) {
				e[b].pending = g;
			}
		}
		fclose(f);
	}
	for (b = 0; b < s->vol_blocks; b++) {
		u32 node = 0;
		u64 gen = 0;
		bool zero, valid;

		r = ddraid_read(s->vol, b * BS, buf, BS);
		if (r)
			die("read of block %" PRIu64 " failed: %s", b,
			    ddraid_errmsg(s->vol));
		valid = !parse_block(buf, b, &node, &gen);
		zero = !valid && buf[0] == 0 && !memcmp(buf, buf + 1, BS - 1);
		if (!e[b].seen) {
			if (!zero && !valid) {
				printf("# block %" PRIu64 ": never written but holds garbage\n", b);
				bad++;
			}
			continue;
		}
		written++;
		if (valid && node != e[b].node)
			valid = false;
		if (valid && gen == e[b].acked && e[b].acked)
			continue;
		if (e[b].pending && valid && gen == e[b].pending)
			continue;
		if (!e[b].acked && zero)
			continue;
		if (e[b].pending) {
			/*
			 * A write in flight when its node died may be torn:
			 * each fragment old or new, as any disk gives.
			 */
			const struct ddraid_geom *g = ddraid_vol_geom(s->vol);
			u32 f, ok = 1;

			make_block(img_p, e[b].node, b, e[b].pending);
			if (e[b].acked)
				make_block(img_a, e[b].node, b, e[b].acked);
			else
				memset(img_a, 0, BS);
			for (f = 0; f < g->data_members && ok; f++) {
				size_t off = (size_t)f * g->frag_size;

				ok = !memcmp(buf + off, img_p + off,
					     g->frag_size) ||
				     !memcmp(buf + off, img_a + off,
					     g->frag_size);
			}
			if (ok) {
				torn_ok++;
				continue;
			}
		}
		printf("# block %" PRIu64 ": read %s gen %" PRIu64
		       ", expected acked gen %" PRIu64 " (pending %" PRIu64 ")\n",
		       b, valid ? "valid" : (zero ? "zero" : "garbage"), gen,
		       e[b].acked, e[b].pending);
		bad++;
	}
	printf("# verify: %" PRIu64 " blocks, %" PRIu64 " written, %" PRIu64
	       " torn-but-unacknowledged, %" PRIu64 " bad\n",
	       s->vol_blocks, written, torn_ok, bad);
	ddraid_close(s->vol);
	free(e);
	free(buf);
	free(img_a);
	free(img_p);
	return bad ? 1 : 0;
}

/* ---- main ---- */

static const char usage[] =
	"Usage: ddraid-standin --members A,B,C --socket PATH --node N --journal FILE\n"
	"                      [--stats FILE] [--first B] [--blocks N] [--stride S]\n"
	"                      [--index I] [--rate W] [--idle-ms MS]\n"
	"                      [--inject-member M] [--max-writes N]\n"
	"       ddraid-standin --verify --members A,B,C NODE:JOURNAL...\n";

static char **split(char *list, unsigned int *n)
{
	char **v = calloc(strlen(list) + 2, sizeof(char *));
	char *t, *save = NULL;

	if (!v)
		die("out of memory");
	*n = 0;
	for (t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		v[(*n)++] = t;
	return v;
}

static u64 num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-')
		die("%s: '%s' is not a number", what, s);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "members", 1, NULL, 'm' }, { "socket", 1, NULL, 's' },
		{ "node", 1, NULL, 'n' }, { "journal", 1, NULL, 'j' },
		{ "stats", 1, NULL, 'S' }, { "first", 1, NULL, 'F' },
		{ "blocks", 1, NULL, 'B' }, { "stride", 1, NULL, 'x' },
		{ "index", 1, NULL, 'i' }, { "rate", 1, NULL, 'r' },
		{ "idle-ms", 1, NULL, 'I' }, { "inject-member", 1, NULL, 'e' },
		{ "max-writes", 1, NULL, 'M' }, { "verify", 0, NULL, 'V' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct st s = { .stride = 1, .rate = 100, .idle_ms = 1000,
			.inject_member = -1, .lfd = -1, .cfd = -1 };
	bool do_verify = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': s.members = split(optarg, &s.n_members); break;
		case 's': s.sock_path = optarg; break;
		case 'n': s.node = (u32)num(optarg, "--node"); break;
		case 'j': s.journal_path = optarg; break;
		case 'S': s.stats_path = optarg; break;
		case 'F': s.first = num(optarg, "--first"); break;
		case 'B': s.nblocks = num(optarg, "--blocks"); break;
		case 'x': s.stride = num(optarg, "--stride"); break;
		case 'i': s.index = num(optarg, "--index"); break;
		case 'r': s.rate = (unsigned int)num(optarg, "--rate"); break;
		case 'I': s.idle_ms = (unsigned int)num(optarg, "--idle-ms"); break;
		case 'e': s.inject_member = (int)num(optarg, "--inject-member"); break;
		case 'M': s.max_writes = num(optarg, "--max-writes"); break;
		case 'V': do_verify = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!s.members || !s.n_members) {
		fputs(usage, stderr);
		return 2;
	}
	if (do_verify) {
		c = verify(&s, argv + optind, (unsigned int)(argc - optind));
		free(s.members);
		return c;
	}
	if (!s.sock_path || !s.journal_path || !s.node || !s.stride ||
	    s.index >= s.stride || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	srandom((unsigned int)(s.node * 7919 + (u64)time(NULL)));
	run(&s);
	free(s.members);
	return 0;
}
