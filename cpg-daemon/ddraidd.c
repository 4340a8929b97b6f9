// SPDX-License-Identifier: GPL-2.0-only
/*
 * ddraidd: the cluster daemon of one ddraid volume (docs/ddraidd.md).
 *
 *   ddraidd --volume NAME --members DEV,DEV,... [--channel unix:PATH |
 *           --channel kernel:DMDEV] [--foreground] [--fence-delay S]
 *           [--fencing auto|pacemaker|none] [--[no-]require-fencing]
 *           [--pid-file PATH] [--log-to auto|syslog|stderr|both]
 *
 * Memory is locked and the process marked an IO flusher, because the data
 * path of this node may wait on it: a daemon paged out, or throttled for
 * dirtying memory while the writeback it must grant is stuck, would
 * deadlock (the 2005 design's memory inversion).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ctl.h"
#include "ddraid.h"
#include "daemon.h"
#include "fencing.h"
#include "log.h"
#include "pidfile.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

static const char usage[] =
	"Usage: ddraidd --volume NAME --members DEV,DEV,... [OPTIONS]\n"
	"\n"
	"The cluster daemon of one ddraid volume: joins the volume's corosync\n"
	"CPG group and serves this node's target (see ddraidd(8)).\n"
	"\n"
	"  -v, --volume NAME       volume name (control socket NAME.sock)\n"
	"  -m, --members LIST      the member devices, comma-separated, in order\n"
	"  -c, --channel SPEC      kernel:DMDEV (default) or unix:PATH (the\n"
	"                          userspace stand-in target of the tests)\n"
	"  -f, --foreground        do not detach; log to stderr too\n"
	"      --log-to WHERE      syslog, stderr or both; auto (default): syslog,\n"
	"                          and stderr too in the foreground unless stderr\n"
	"                          is systemd's journal stream\n"
	"      --pid-file PATH     write the pid to PATH (absolute) and refuse to\n"
	"                          start while a live daemon holds it\n"
	"      --fence-delay S     seconds after a node vanishes before its\n"
	"                          regions are resynced (default 10)\n"
	"      --sync-speed-max MB/s  rate limit of online rebuild and scrub\n"
	"                          (10^6 bytes/s, e.g. 50 or 0.5; default 0:\n"
	"                          unlimited)\n"
	"      --sync-speed-min MB/s  their rate while foreground writes are\n"
	"                          seen (default 0: the maximum applies)\n"
	"      --rebuild-gap MS    deprecated: one region every MS milliseconds\n"
	"      --sync-span N       regions one resync or rebuild lock covers\n"
	"                          (1..32, default 8)\n"
	"      --fencing MODE      auto (default): pacemaker if Pacemaker's fencer\n"
	"                          answers at start and has a fence device, else\n"
	"                          none; pacemaker: have vanished nodes fenced by\n"
	"                          it; none: the operator confirms fencings\n"
	"      --require-fencing   resync a vanished node's regions only once it\n"
	"                          is fenced (default with --fencing pacemaker;\n"
	"                          with none, 'ddraidctl fenced' confirms it)\n"
	"      --no-require-fencing  a vanished node waits --fence-delay even with\n"
	"                          Pacemaker (one whose daemon had died first is\n"
	"                          still fenced)\n"
	"      --host-member N     member N is this node's own disk: it goes\n"
	"                          out with this node and comes back with it\n"
	"      --path-timeout S    seconds this node's writes wait for a member\n"
	"                          only it cannot reach before it withdraws\n"
	"                          (default: twice the fence delay)\n"
	"      --no-auto-readd     do not re-add a returning node's member\n"
	"      --ctl-dir DIR       directory of the control socket (" CTL_DIR ")\n"
	"  -d, --debug             log debug messages\n"
	"  -h, --help              this help\n";

enum { OPT_FENCE = 256, OPT_GAP, OPT_CTLDIR, OPT_REQFENCE, OPT_NOREQFENCE,
       OPT_FENCING, OPT_HOST, OPT_PATHTMO, OPT_NOREADD, OPT_PIDFILE,
       OPT_LOGTO, OPT_SYNCMAX, OPT_SYNCMIN, OPT_SPAN };

static const struct option longopts[] = {
	{ "volume", required_argument, NULL, 'v' },
	{ "members", required_argument, NULL, 'm' },
	{ "channel", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "fence-delay", required_argument, NULL, OPT_FENCE },
	{ "rebuild-gap", required_argument, NULL, OPT_GAP },
	{ "sync-span", required_argument, NULL, OPT_SPAN },
	{ "sync-speed-max", required_argument, NULL, OPT_SYNCMAX },
	{ "sync-speed-min", required_argument, NULL, OPT_SYNCMIN },
	{ "ctl-dir", required_argument, NULL, OPT_CTLDIR },
	{ "require-fencing", no_argument, NULL, OPT_REQFENCE },
	{ "no-require-fencing", no_argument, NULL, OPT_NOREQFENCE },
	{ "fencing", required_argument, NULL, OPT_FENCING },
	{ "host-member", required_argument, NULL, OPT_HOST },
	{ "path-timeout", required_argument, NULL, OPT_PATHTMO },
	{ "no-auto-readd", no_argument, NULL, OPT_NOREADD },
	{ "pid-file", required_argument, NULL, OPT_PIDFILE },
	{ "log-to", required_argument, NULL, OPT_LOGTO },
	{ "debug", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

/* Split "a,b,c" into a NULL-terminated array; NULL on an empty element. */
static char **split_members(char *list, unsigned int *n)
{
	char **v = calloc(strlen(list) + 2, sizeof(char *));
	char *tok, *save = NULL;

	if (!v)
		return NULL;
	*n = 0;
	if (!*list || list[strlen(list) - 1] == ',' || strstr(list, ",,") ||
	    list[0] == ',') {
		free(v);
		return NULL;
	}
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		v[(*n)++] = tok;
	return v;
}

int main(int argc, char **argv)
{
	struct daemon_opts o = {
		.channel = "kernel",
		.ctl_dir = CTL_DIR,
		.fence_delay_ms = 10000,
		.fencing = FENCING_AUTO,
		.require_fencing = -1,
		.host_member = -1,
	};
	char ident[80], why[128], *members = NULL;
	const char *pid_path = NULL, *what;
	struct pidfile pf = { .fd = -1 };
	int log_want = LOGTO_AUTO;
	unsigned long v;
	struct daemon *d;
	sigset_t sigs;
	pid_t holder;
	int c, r, status;

	while ((c = getopt_long(argc, argv, "v:m:c:fdh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o.volume = optarg;
			break;
		case 'm':
			members = optarg;
			break;
		case 'c':
			o.channel = optarg;
			break;
		case 'f':
			o.foreground = true;
			break;
		case 'd':
			o.debug = true;
			break;
		case OPT_FENCE:
			if (parse_uint(optarg, 3600, &v)) {
				fprintf(stderr, "ddraidd: --fence-delay %s: not a number of seconds (0..3600)\n",
					optarg);
				return 2;
			}
			o.fence_delay_ms = (unsigned int)v * 1000;
			break;
		case OPT_GAP:
			if (parse_uint(optarg, 3600000, &v)) {
				fprintf(stderr, "ddraidd: --rebuild-gap %s: not a number of milliseconds\n",
					optarg);
				return 2;
			}
			o.rebuild_gap_ms = (unsigned int)v;
			fprintf(stderr, "ddraidd: --rebuild-gap is deprecated: use --sync-speed-max\n");
			break;
		case OPT_SPAN:
			if (parse_uint(optarg, CPGMSG_LOCK_SPAN_MAX, &v) ||
			    !v) {
				fprintf(stderr, "ddraidd: --sync-span %s: not a number of regions (1..%u)\n",
					optarg, CPGMSG_LOCK_SPAN_MAX);
				return 2;
			}
			o.sync_span = (unsigned int)v;
			break;
		case OPT_SYNCMAX:
		case OPT_SYNCMIN:
			if (ddraid_parse_mbs(optarg, c == OPT_SYNCMAX ?
					     &o.sync_max_bps : &o.sync_min_bps)) {
				fprintf(stderr, "ddraidd: --%s %s: not a rate in " DDRAID_MBS_RULE "\n",
					c == OPT_SYNCMAX ? "sync-speed-max" :
					"sync-speed-min", optarg);
				return 2;
			}
			break;
		case OPT_REQFENCE:
			o.require_fencing = 1;
			break;
		case OPT_NOREQFENCE:
			o.require_fencing = 0;
			break;
		case OPT_FENCING:
			o.fencing = fencing_mode_parse(optarg);
			if (o.fencing < 0) {
				fprintf(stderr, "ddraidd: --fencing %s: must be auto, pacemaker or none\n",
					optarg);
				return 2;
			}
			break;
		case OPT_HOST:
			if (parse_uint(optarg, 8, &v)) {
				fprintf(stderr, "ddraidd: --host-member %s: not a member index (0..8)\n",
					optarg);
				return 2;
			}
			o.host_member = (int)v;
			break;
		case OPT_PATHTMO:
			if (parse_uint(optarg, 3600, &v) || !v) {
				fprintf(stderr, "ddraidd: --path-timeout %s: not a number of seconds (1..3600)\n",
					optarg);
				return 2;
			}
			o.path_timeout_ms = (unsigned int)v * 1000;
			break;
		case OPT_NOREADD:
			o.no_auto_readd = true;
			break;
		case OPT_CTLDIR:
			o.ctl_dir = optarg;
			break;
		case OPT_PIDFILE:
			/* daemon(3) changes to /: a relative path would
			 * name another file when it is removed. */
			if (optarg[0] != '/') {
				fprintf(stderr, "ddraidd: --pid-file '%s': must be an absolute path\n",
					optarg);
				return 2;
			}
			pid_path = optarg;
			break;
		case OPT_LOGTO:
			log_want = log_to_parse(optarg);
			if (log_want < 0) {
				fprintf(stderr, "ddraidd: --log-to %s: must be auto, syslog, stderr or both\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ddraidd: unexpected argument '%s'\n%s",
			argv[optind], usage);
		return 2;
	}
	if (!o.volume) {
		fprintf(stderr, "ddraidd: --volume NAME is required\n");
		return 2;
	}
	if (ddraid_check_volume_name(o.volume, why, sizeof(why))) {
		fprintf(stderr, "ddraidd: --volume '%s': %s\n", o.volume, why);
		return 2;
	}
	if (!members) {
		fprintf(stderr, "ddraidd: --members DEV,DEV,... is required\n");
		return 2;
	}
	if (!o.foreground &&
	    (log_want == LOGTO_STDERR || log_want == LOGTO_BOTH)) {
		fprintf(stderr, "ddraidd: --log-to stderr or both needs --foreground (a detached daemon has no stderr)\n");
		return 2;
	}
	o.members = split_members(members, &o.n_members);
	if (!o.members || (o.n_members != 2 && o.n_members != 3 &&
			   o.n_members != 5 && o.n_members != 9)) {
		fprintf(stderr, "ddraidd: --members needs 2, 3, 5 or 9 comma-separated devices\n");
		free(o.members);
		return 2;
	}
	if (o.host_member >= (int)o.n_members) {
		fprintf(stderr, "ddraidd: --host-member %d: the volume has members 0..%u\n",
			o.host_member, o.n_members - 1);
		free(o.members);
		return 2;
	}
	if (geteuid() != 0)
		fprintf(stderr, "ddraidd: warning: not running as root\n");

	/* Before any thread exists, so that all inherit it: see daemon.h. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	snprintf(ident, sizeof(ident), "ddraidd/%s", o.volume);
	log_setup(ident,
		  log_to_resolve(log_want, o.foreground,
				 log_fd_is_journal(STDERR_FILENO,
						   getenv("JOURNAL_STREAM"))),
		  o.debug);
	/*
	 * The pid file first: a second daemon of this volume must stop
	 * before it touches anything (it would take over the control socket
	 * and the channel). Locked before detaching: the child keeps the
	 * lock (pidfile.h).
	 */
	if (pid_path) {
		r = pidfile_lock(&pf, pid_path, &holder, &what);
		if (r == -EEXIST) {
			char pid[24] = "";

			if (holder)
				snprintf(pid, sizeof(pid), " (pid %d)", (int)holder);
			log_err("--pid-file %s: another ddraidd%s holds it: not starting",
				pid_path, pid);
			if (!log_to_stderr())
				fprintf(stderr, "ddraidd: --pid-file %s: another ddraidd%s holds it: not starting\n",
					pid_path, pid);
			log_teardown();
			return 1;
		}
		if (r) {
			log_err("--pid-file %s: %s: %s", pid_path, what,
				strerror(-r));
			if (!log_to_stderr())
				fprintf(stderr, "ddraidd: --pid-file %s: %s: %s\n",
					pid_path, what, strerror(-r));
			log_teardown();
			return 1;
		}
	}
	if (!o.foreground && daemon(0, 0)) {
		log_err("cannot detach: %s", strerror(errno));
		pidfile_remove(&pf);
		return 1;
	}
	/* Written by the process that runs (the child, when detached), from
	 * now until it exits: start-up included, so that whoever manages
	 * the daemon finds it while it joins. */
	if (pid_path) {
		r = pidfile_write(&pf, getpid());
		if (r) {
			log_err("--pid-file %s: cannot write it: %s", pid_path,
				strerror(-r));
			pidfile_remove(&pf);
			log_teardown();
			return 1;
		}
	}
	/* Never paged out, never throttled as a dirtier: see the top. */
	if (getenv("DDRAIDD_NO_MLOCK"))
		/* Sanitizer builds map terabytes of shadow: never lock them. */
		log_notice("DDRAIDD_NO_MLOCK set: memory is not locked");
	else if (mlockall(MCL_CURRENT | MCL_FUTURE))
		log_warn("mlockall: %s (set LimitMEMLOCK=infinity)",
			 strerror(errno));
	/* Testing only (lib/member_io.c): say so loudly. */
	if (getenv("DDRAID_FAULT_PATH_DIR"))
		log_warn("DDRAID_FAULT_PATH_DIR set: member paths are cut by "
			 "the files in %s (fault injection, testing only)",
			 getenv("DDRAID_FAULT_PATH_DIR"));
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0))
		log_warn("PR_SET_IO_FLUSHER: %s", strerror(errno));

	d = daemon_new(&o);
	if (!d) {
		pidfile_remove(&pf);
		log_teardown();
		free(o.members);
		return 1;
	}
	status = daemon_run(d);
	daemon_free(d);
	pidfile_remove(&pf);
	log_notice("stopped");
	log_teardown();
	free(o.members);
	return status;
}
