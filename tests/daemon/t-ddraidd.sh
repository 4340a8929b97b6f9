#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ddraidd's --pid-file and --log-to as a process, on this host without
# corosync (the daemon gets as far as asking corosync and exits 1, which
# is enough to see what it did before and on its way out):
#  - bad values: exit 2, a message naming the option, no file created;
#  - a pid file held by a live process (flock(1), as a running ddraidd
#    holds it): exit 1, the holder's pid in the message, the file and the
#    control directory untouched;
#  - a stale pid file (its process is gone): taken over, and removed when
#    the daemon exits;
#  - where its log lines go (root: a private /dev/log in a mount
#    namespace stands in for syslog/journald): auto in the foreground to
#    both, once each; with stderr as $JOURNAL_STREAM to syslog alone;
#    --log-to stderr, syslog, both as asked.
# A running daemon's pid file: tests/netns (basic).
set -u

: "${DDRAIDCTL:?DDRAIDCTL must name the ddraidctl binary (make check sets it)}"
DDRAIDD=${DDRAIDD:-${DDRAIDCTL%/tools/ddraidctl}/cpg-daemon/ddraidd}

. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tap.sh"
# te DESC 'SHELL CONDITION': for conditions made of several commands
te() {
	_d=$1
	shift
	if eval "$*"; then ok "$_d"; else not_ok "$_d"; fi
}

if [ ! -x "$DDRAIDD" ]; then
	echo "1..0 # SKIP no ddraidd at $DDRAIDD"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ddraidd-t.XXXXXX") || exit 1
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Members that do not exist: the daemon stops at corosync (absent here)
# or at the members, both after the pid file and the logging are set up.
export DDRAIDD_NO_MLOCK=1
V=pidt
set -- --volume "$V" --members "$T/m0,$T/m1" --ctl-dir "$T/ctl" --fencing none

# run ARGS...: ddraidd in the foreground; exit code in $rc, stderr in $T/err
run() {
	"$DDRAIDD" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

# ---- bad values ----
for bad in "--pid-file relative.pid:--pid-file 'relative.pid': must be an absolute path" \
	   "--pid-file=:--pid-file '': must be an absolute path" \
	   "--log-to journal:--log-to journal: must be auto, syslog, stderr or both" \
	   "--log-to stderr --no-fg:needs --foreground" \
	   "--sync-span 0:--sync-span 0: not a number of regions (1..32)" \
	   "--sync-span 33:--sync-span 33: not a number of regions (1..32)" \
	   "--sync-span 8x:--sync-span 8x: not a number of regions (1..32)"; do
	args=${bad%%:*}
	want=${bad#*:}
	fg=--foreground
	case "$args" in
	*--no-fg) args=${args% --no-fg}; fg= ;;
	esac
	# shellcheck disable=SC2086
	run "$@" $fg $args
	t "ddraidd $args${fg:+ $fg}: exit 2 ($rc)" [ "$rc" = 2 ]
	t "ddraidd $args: says '$want'" grep -qF -- "$want" "$T/err"
done
run "$@" --pid-file relative.pid --foreground
te "nothing created by a refused option (no relative.pid, no control dir)" \
	'[ ! -e relative.pid ] && [ ! -e "$T/ctl" ]'

# ---- a live holder ----
PF=$T/run/$V.pid
mkdir -p "$T/run"
# flock(1) locks the file as ddraidd does (flock(2), exclusive) and keeps
# it while its command runs (--no-fork: the command is that process, so
# killing it drops the lock); it writes its own pid as a daemon would.
flock --no-fork "$PF" sh -c 'echo $$ >"$1"; exec sleep 60' sh "$PF" &
holder=$!
i=0
while [ ! -s "$PF" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
hpid=$(cat "$PF")
before=$(stat -c '%i %s %Y' "$PF")
run "$@" --foreground --pid-file "$PF"
t "pid file held by a live process: exit 1 ($rc)" [ "$rc" = 1 ]
t "...the message names the file and the holder's pid $hpid" \
	grep -qF -- "--pid-file $PF: another ddraidd (pid $hpid) holds it: not starting" "$T/err"
t "...the file is unchanged" [ "$(stat -c '%i %s %Y' "$PF") $(cat "$PF")" = "$before $hpid" ]
t "...nothing else was done (no control directory)" [ ! -e "$T/ctl" ]
run "$@" --pid-file "$PF"
te "the same without --foreground: exit 1 before detaching, message on stderr" \
	'[ "$rc" = 1 ] && grep -qF "another ddraidd (pid $hpid)" "$T/err"'
kill "$holder"
wait "$holder" 2>/dev/null
holder=

# ---- a stale file (its holder is gone) ----
t "the holder is gone, its file stays (stale)" [ "$(cat "$PF")" = "$hpid" ]
run "$@" --foreground --pid-file "$PF"
te "a stale pid file does not stop the daemon (it got to corosync: exit $rc)" \
	'[ "$rc" = 1 ] && ! grep -q "pid-file" "$T/err" && grep -q "corosync" "$T/err"'
t "...and the daemon removed the file on its way out" [ ! -e "$PF" ]
rmdir "$T/run"
run "$@" --foreground --pid-file "$PF"
te "a missing directory (one level) is created, the file removed on exit" \
	'[ -d "$T/run" ] && [ ! -e "$PF" ]'

# ---- log targets ----
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
   ! command -v python3 >/dev/null ||
   ! unshare -m --propagation private true 2>/dev/null; then
	ok "log targets # SKIP needs root, unshare and python3"
	echo "1..$n"
	exit $failed
fi
cat >"$T/syslogd.py" <<'EOF'
# A syslog socket at /dev/log writing each message as one line to argv[1].
import os, signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(sys.argv[1], "a", buffering=1) as out:
    open(sys.argv[1] + ".ready", "w").close()
    while True:
        out.write(s.recv(65536).decode(errors="replace").rstrip("\n") + "\n")
EOF
# logrun CASE [VAR=VALUE...] -- ARGS...: ddraidd in a mount namespace
# whose /dev/log is the listener above; its syslog lines in $T/CASE.syslog,
# stderr in $T/CASE.err. JOURNAL_STREAM=stderr is replaced by the
# device:inode of that stderr file.
logrun() {
	_c=$1
	shift
	: >"$T/$_c.err"
	_js=
	_env=
	while [ "$1" != -- ]; do
		case "$1" in
		JOURNAL_STREAM=stderr) _js=$(stat -c '%d:%i' "$T/$_c.err") ;;
		JOURNAL_STREAM=*) _js=${1#JOURNAL_STREAM=} ;;
		esac
		shift
	done
	shift
	[ -n "$_js" ] && _env="JOURNAL_STREAM=$_js"
	# shellcheck disable=SC2016
	unshare -m --propagation private sh -c '
		c=$1 d=$2 py=$3; shift 3
		mount -t tmpfs tmpfs /dev || exit 1
		mknod -m 666 /dev/null c 1 3
		python3 "$py" "$d/$c.syslog" & l=$!
		i=0
		while [ ! -e "$d/$c.syslog.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
		"$@" 2>>"$d/$c.err" </dev/null >/dev/null
		sleep 0.2
		kill $l; wait $l
	' sh "$_c" "$T" "$T/syslogd.py" env $_env "$DDRAIDD" "$@"
}
# lines CASE syslog|err: log lines of the daemon there
lines() {
	case $2 in
	syslog) grep -c "ddraidd/$V\[" "$T/$1.syslog" 2>/dev/null ;;
	err) grep -c "ddraidd/$V\[[0-9]*\] [a-z]*: " "$T/$1.err" ;;
	esac
}
# the error line that ends each run, and how often it is in each place
E='corosync'
once() { [ "$(grep -c "$E" "$T/$1.$2" 2>/dev/null)" = 1 ]; }
none() { [ "$(grep -c "$E" "$T/$1.$2" 2>/dev/null)" = 0 ]; }

logrun fg -- "$@" --foreground
t "listener works: a foreground daemon's lines reach syslog" [ "$(lines fg syslog)" -ge 1 ]
te "auto, foreground, stderr a file: every line once in syslog and once on stderr ($(lines fg syslog), $(lines fg err))" \
	'[ "$(lines fg syslog)" = "$(lines fg err)" ] && once fg syslog && once fg err'
logrun journal JOURNAL_STREAM=stderr -- "$@" --foreground
te "auto, foreground, stderr is \$JOURNAL_STREAM: lines in syslog only ($(lines journal syslog), $(lines journal err))" \
	'[ "$(lines journal syslog)" -ge 1 ] && [ "$(lines journal err)" = 0 ] && once journal syslog'
logrun stale JOURNAL_STREAM=1:2 -- "$@" --foreground
te "auto, \$JOURNAL_STREAM of another file (stderr redirected): both again" \
	'once stale syslog && once stale err'
logrun both JOURNAL_STREAM=stderr -- "$@" --foreground --log-to both
te "--log-to both overrides the journal detection" 'once both syslog && once both err'
logrun stderr -- "$@" --foreground --log-to stderr
te "--log-to stderr: nothing in syslog ($(lines stderr syslog))" \
	'[ "$(lines stderr syslog)" = 0 ] && once stderr err'
logrun syslog -- "$@" --foreground --log-to syslog
te "--log-to syslog: no log line on stderr ($(lines syslog err))" \
	'[ "$(lines syslog err)" = 0 ] && once syslog syslog'

echo "1..$n"
exit $failed
