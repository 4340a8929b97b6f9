// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraid-standin: a userspace stand-in for the dm target, for multi-node
 * tests on a host without device-mapper (tests/netns/).
 *
 * It opens the volume's member files (shared by all nodes, like a SAN),
 * listens on a UNIX socket for its node's ddraidd and speaks the kernel
 * channel exactly as docs/kernel-channel.md says: HELLO/HELD on attach,
 * GRANT_REQ and writes held until GRANT, IDLE after an idle time,
 * LOCK/LOCKED/UNLOCK, FREEZE/THAW, MEMBER_ERROR with completions of writes
 * that skipped a failing member held until COMMIT_FAIL, MEMBER_STATE.
 *
 * Workload: writes blocks whose content encodes (node, block, generation)
 * with a checksum. Before a write it appends "I block gen" to its journal,
 * after the acknowledgement "A block gen" (fdatasync'd): only acknowledged
 * writes must survive. --verify reads the volume afterwards and checks it
 * against the union of all nodes' journals.
 *
 * Signals: SIGUSR1 injects IO errors on --inject-member, SIGUSR2 ends the
 * injection (the disk was replaced); SIGTERM stops.
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

enum rstate { R_COLD, R_REQUESTED, R_HELD };

struct region {
	u8 state;
	bool locked;
	u64 last_write;		/* ms */
	u32 queued;		/* writes waiting for it */
};

struct wr {
	u64 block, gen;
	u32 skipped;		/* members the write skipped (held) */
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
	struct region *reg;
	u64 *gen;		/* per block of our set: last generation */
	u8 *busy;		/* per block of our set */
	FILE *journal;
	int lfd, cfd, sfd;
	u8 rbuf[DDRAID_CHAN_MSG_BYTES * 16];
	size_t rlen;
	u64 seq;
	struct ddraid_chan_limits lim;
	bool frozen, stop;
	u32 failing;		/* members we stopped using */
	u32 committed;		/* failed members the cluster committed */
	u32 merr_pending;	/* MEMBER_ERROR not yet committed */
	struct wr queue[MAX_QUEUED];
	unsigned int nq;
	struct wr *held;	/* completions held until COMMIT_FAIL */
	size_t nheld, capheld;
	u64 next_write;
	u8 *buf;
	/* counters */
	u64 acked, io_errors, acked_disconnected, grant_reqs, grants,
	    grant_errors, locks, idles, freezes, merr_sent, commits,
	    attaches, started, held_total;
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
	say("daemon disconnected; granted regions keep being written");
}

static void send_msg(struct st *s, u16 type, u64 region, u64 arg,
		     u32 status, u32 flags)
{
	struct ddraid_chan_msg m = {
		.type = type, .seq = ++s->seq, .region = region, .arg = arg,
		.status = status, .flags = flags,
	};
	u8 buf[DDRAID_CHAN_MSG_BYTES];
	const char *why = NULL;

	if (s->cfd < 0)
		return;
	if (ddraid_chan_encode(&m, &s->lim, buf, &why))
		die("cannot encode %s: %s", ddraid_chan_type_name(type), why);
	if (send(s->cfd, buf, sizeof(buf), MSG_NOSIGNAL) != sizeof(buf))
		drop_daemon(s);
}

static u64 region_of(const struct st *s, u64 block)
{
	return block / s->region_blocks;
}

static bool writable(const struct st *s, u64 r)
{
	return !s->frozen && s->reg[r].state == R_HELD && !s->reg[r].locked;
}

static void journal(struct st *s, char kind, u64 block, u64 gen, bool sync)
{
	fprintf(s->journal, "%c %" PRIu64 " %" PRIu64 "\n", kind, block, gen);
	fflush(s->journal);
	if (sync && fdatasync(fileno(s->journal)))
		die("journal: %s", strerror(errno));
}

static void ack(struct st *s, const struct wr *w)
{
	journal(s, 'A', w->block, w->gen, true);
	s->busy[(w->block - s->first) / s->stride] = 0;
	s->acked++;
	if (s->cfd < 0)
		s->acked_disconnected++;
}

/* Perform one write now (its region is writable). */
static void do_write(struct st *s, struct wr *w)
{
	u32 failed = 0, newly;
	u64 r = region_of(s, w->block);
	int ret;

	make_block(s->buf, s->node, w->block, w->gen);
	journal(s, 'I', w->block, w->gen, false);
	ret = ddraid_cl_write(s->vol, w->block, 1, s->buf, s->failing,
			      &failed);
	s->reg[r].last_write = now_ms();
	newly = failed & ~s->failing;
	if (newly) {
		u32 m;

		/* Stop using it; the cluster must record it first (I3). */
		s->failing |= newly;
		for (m = 0; m < s->n_members; m++) {
			if (!(newly & (1u << m)))
				continue;
			ddraid_cl_set_failing(s->vol, m, true);
			s->merr_pending |= 1u << m;
			say("member %u failed a write; reporting MEMBER_ERROR", m);
			send_msg(s, DDRAID_CHAN_MEMBER_ERROR, m, 0, EIO, 0);
			s->merr_sent++;
		}
	}
	if (ret) {
		s->io_errors++;
		say("write of block %" PRIu64 " failed: %s", w->block,
		    ddraid_errmsg(s->vol));
		s->busy[(w->block - s->first) / s->stride] = 0;
		return;
	}
	w->skipped = (s->failing | failed) & ~s->committed;
	if (w->skipped) {
		if (s->nheld == s->capheld) {
			s->capheld = s->capheld ? s->capheld * 2 : 64;
			s->held = realloc(s->held, s->capheld * sizeof(*w));
			if (!s->held)
				die("out of memory");
		}
		s->held[s->nheld++] = *w;
		s->held_total++;
		return;
	}
	ack(s, w);
}

/* Run the queued writes whose regions became writable. */
static void run_queue(struct st *s)
{
	unsigned int i = 0;

	while (i < s->nq) {
		struct wr w = s->queue[i];
		u64 r = region_of(s, w.block);

		if (!writable(s, r)) {
			i++;
			continue;
		}
		s->queue[i] = s->queue[--s->nq];
		s->reg[r].queued--;
		do_write(s, &w);
	}
}

static void commit_fail(struct st *s, u32 m)
{
	size_t i = 0;

	s->committed |= 1u << m;
	s->merr_pending &= ~(1u << m);
	s->commits++;
	while (i < s->nheld) {
		s->held[i].skipped &= ~(1u << m);
		if (!s->held[i].skipped) {
			struct wr w = s->held[i];

			s->held[i] = s->held[--s->nheld];
			ack(s, &w);
		} else {
			i++;
		}
	}
}

static void member_state(struct st *s, u32 m, u32 state)
{
	if (state == DDRAID_MEMBER_FAILED) {
		s->failing |= 1u << m;
		ddraid_cl_set_failing(s->vol, m, true);
		ddraid_cl_set_member_state(s->vol, m, DDRAID_MEMBER_FAILED);
	} else if (state == DDRAID_MEMBER_REBUILDING) {
		char p[4300], dev[4096];
		FILE *f;

		/* The daemon named the new device next to our socket. */
		snprintf(p, sizeof(p), "%s.member%u", s->sock_path, m);
		f = fopen(p, "re");
		if (!f || !fgets(dev, sizeof(dev), f)) {
			say("MEMBER_STATE rebuilding %u: cannot read %s", m, p);
			if (f)
				fclose(f);
			return;	/* no DONE: the rebuild waits */
		}
		fclose(f);
		dev[strcspn(dev, "\n")] = 0;
		if (ddraid_cl_member_open(s->vol, m, dev)) {
			say("cannot open %s as member %u", dev, m);
			return;
		}
		ddraid_cl_set_member_state(s->vol, m, DDRAID_MEMBER_REBUILDING);
		s->failing &= ~(1u << m);
		s->committed &= ~(1u << m);
	} else if (state == DDRAID_MEMBER_ACTIVE) {
		ddraid_cl_set_member_state(s->vol, m, DDRAID_MEMBER_ACTIVE);
		ddraid_cl_set_failing(s->vol, m, false);
		s->failing &= ~(1u << m);
		s->committed &= ~(1u << m);
	}
	send_msg(s, DDRAID_CHAN_MEMBER_STATE_DONE, m, 0, 0, state);
}

static void on_attach(struct st *s)
{
	u64 r;
	u32 m;

	s->attaches++;
	say("daemon attached");
	send_msg(s, DDRAID_CHAN_HELLO, s->regions, s->n_members, 0,
		 s->frozen ? DDRAID_CHAN_HELLO_FROZEN : 0);
	/* Locks stay on across daemons: the new one lifts them. */
	for (r = 0; r < s->regions; r++) {
		u32 fl = 0;

		if (s->reg[r].locked)
			fl |= DDRAID_CHAN_HELD_LOCKED;
		if (s->reg[r].state != R_HELD)
			fl |= DDRAID_CHAN_HELD_NOGRANT;
		if (s->reg[r].state == R_HELD || s->reg[r].locked)
			send_msg(s, DDRAID_CHAN_HELD, r, 0, 0, fl);
	}
	send_msg(s, DDRAID_CHAN_HELD_END, 0, 0, 0, 0);
	for (m = 0; m < s->n_members; m++)
		if (s->merr_pending & (1u << m))
			send_msg(s, DDRAID_CHAN_MEMBER_ERROR, m, 0, EIO, 0);
	/* Writes still waiting ask again: the new daemon knows nothing. */
	for (r = 0; r < s->regions; r++)
		if (s->reg[r].state == R_REQUESTED)
			send_msg(s, DDRAID_CHAN_GRANT_REQ, r, 0, 0, 0);
}

static void on_msg(struct st *s, const struct ddraid_chan_msg *m)
{
	u64 r = m->region;

	switch (m->type) {
	case DDRAID_CHAN_ATTACH:
		on_attach(s);
		break;
	case DDRAID_CHAN_GRANT:
		if (s->reg[r].state != R_REQUESTED)
			break;
		if (m->status) {
			unsigned int i = 0;

			/* Fail the waiting writes, as the kernel would. */
			s->grant_errors++;
			s->reg[r].state = R_COLD;
			while (i < s->nq) {
				if (region_of(s, s->queue[i].block) != r) {
					i++;
					continue;
				}
				s->io_errors++;
				s->busy[(s->queue[i].block - s->first) /
					s->stride] = 0;
				s->queue[i] = s->queue[--s->nq];
			}
			s->reg[r].queued = 0;
			break;
		}
		s->grants++;
		s->reg[r].state = R_HELD;
		s->reg[r].last_write = now_ms();
		run_queue(s);
		break;
	case DDRAID_CHAN_LOCK:
		/* Single-threaded: nothing is ever in flight here. */
		s->reg[r].locked = true;
		s->locks++;
		send_msg(s, DDRAID_CHAN_LOCKED, r, 0, 0, 0);
		break;
	case DDRAID_CHAN_UNLOCK:
		s->reg[r].locked = false;
		run_queue(s);
		break;
	case DDRAID_CHAN_FREEZE:
		if (!s->frozen)
			s->freezes++;
		s->frozen = true;
		say("frozen");
		break;
	case DDRAID_CHAN_THAW:
		if (s->frozen)
			say("thawed");
		s->frozen = false;
		run_queue(s);
		break;
	case DDRAID_CHAN_MEMBER_STATE:
		member_state(s, (u32)r, m->flags);
		break;
	case DDRAID_CHAN_COMMIT_FAIL:
		commit_fail(s, (u32)r);
		break;
	default:
		say("unexpected %s from the daemon; closing",
		    ddraid_chan_type_name(m->type));
		drop_daemon(s);
	}
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
	u64 idx, b, r, tries;
	struct wr w;

	if (s->max_writes && s->started >= s->max_writes)
		return;
	if (s->nq >= MAX_QUEUED)
		return;
	for (tries = 0; tries < 16; tries++) {
		idx = (u64)random() % s->nblocks;
		if (!s->busy[idx])
			break;
	}
	if (s->busy[idx])
		return;
	b = s->first + idx * s->stride;
	r = region_of(s, b);
	s->busy[idx] = 1;
	w = (struct wr){ .block = b, .gen = ++s->gen[idx] };
	s->started++;
	if (writable(s, r)) {
		do_write(s, &w);
		return;
	}
	s->queue[s->nq++] = w;
	s->reg[r].queued++;
	if (s->reg[r].state == R_COLD) {
		s->reg[r].state = R_REQUESTED;
		s->grant_reqs++;
		send_msg(s, DDRAID_CHAN_GRANT_REQ, r, 0, 0, 0);
	}
}

static void idle_pass(struct st *s)
{
	u64 r, now = now_ms();

	/* Without a daemon nobody could be told: keep holding. */
	if (s->cfd < 0)
		return;
	for (r = 0; r < s->regions; r++) {
		struct region *g = &s->reg[r];

		if (g->state != R_HELD || g->queued || g->locked ||
		    now - g->last_write < s->idle_ms)
			continue;
		g->state = R_COLD;
		s->idles++;
		send_msg(s, DDRAID_CHAN_IDLE, r, 0, 0, 0);
	}
}

static void write_stats(struct st *s)
{
	char tmp[4200];
	u64 r, held = 0;
	FILE *f;

	if (!s->stats_path)
		return;
	for (r = 0; r < s->regions; r++)
		held += s->reg[r].state == R_HELD;
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
		",\"held_regions\":%" PRIu64 ",\"queued\":%u"
		",\"held_completions\":%zu,\"held_total\":%" PRIu64
		",\"failing\":%u}\n",
		s->node, s->cfd >= 0 ? "true" : "false",
		s->frozen ? "true" : "false", s->acked, s->started,
		s->io_errors, s->acked_disconnected, s->grant_reqs, s->grants,
		s->grant_errors, s->locks, s->idles, s->freezes, s->merr_sent,
		s->commits, s->attaches, held, s->nq, s->nheld, s->held_total,
		s->failing);
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
	load_journal(s);
	s->journal = fopen(s->journal_path, "ae");
	if (!s->journal)
		die("%s: %s", s->journal_path, strerror(errno));

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
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
	    " IO errors, %zu completions held", s->acked, s->io_errors,
	    s->nheld);
	unlink(s->sock_path);
	fclose(s->journal);
	ddraid_close(s->vol);
	free(s->reg);
	free(s->gen);
	free(s->busy);
	free(s->buf);
	free(s->held);
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
