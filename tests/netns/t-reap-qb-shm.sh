#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# tests/netns/reap-qb-shm.sh on a directory of made-up libqb files: the
# files of dead processes go (IPC rings, corosync blackboxes), a file with
# one live pid stays, names it does not know stay.
set -u

SRC=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
REAP=$SRC/netns/reap-qb-shm.sh

. "$SRC/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-reap.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# A pid that is surely gone: a child that has exited and been waited for.
sh -c 'exit 0' &
dead=$!
wait "$dead"
live=$$

mkdir "$T/qb-$dead-$dead-6-abcDEF" "$T/qb-$live-$dead-7-ghiJKL"
: >"$T/qb-$dead-$dead-6-abcDEF/data"
dd if=/dev/zero of="$T/qb-corosync-$dead-blackbox-data" bs=1024 count=2048 2>/dev/null
: >"$T/qb-corosync-$dead-blackbox-header"
: >"$T/qb-corosync-$live-blackbox-header"
: >"$T/qb-cmap-request-$dead-$dead-header"
: >"$T/qb-unknown"

out=$("$REAP" "$T")
t "it exits 0" test $? = 0
t "a dead server's and client's IPC rings are removed" test ! -e "$T/qb-$dead-$dead-6-abcDEF"
t "a dead corosync's blackbox is removed" \
	test ! -e "$T/qb-corosync-$dead-blackbox-data" -a ! -e "$T/qb-corosync-$dead-blackbox-header"
t "rings with a live server stay" test -d "$T/qb-$live-$dead-7-ghiJKL"
t "a live corosync's blackbox stays" test -e "$T/qb-corosync-$live-blackbox-header"
t "a name with words where the pids go stays" test -e "$T/qb-cmap-request-$dead-$dead-header"
t "a name it does not know stays" test -e "$T/qb-unknown"
case $out in
"reap-qb-shm: removed 3 libqb file(s) of dead processes from $T, 2 MiB") ok "it says what it freed: $out" ;;
*) not_ok "it says what it freed: $out" ;;
esac
out=$("$REAP" "$T")
case $out in
*"removed 0 libqb file(s)"*) ok "a second run finds nothing: $out" ;;
*) not_ok "a second run finds nothing: $out" ;;
esac
echo "1..$n"
exit $failed
