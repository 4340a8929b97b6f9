#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Removes the libqb files in /dev/shm that belong to processes which are
# gone, and prints what it freed.
#
#   tests/netns/reap-qb-shm.sh [DIR]      (DIR defaults to /dev/shm)
#
# Why: corosync keeps its blackbox (qb-corosync-PID-blackbox-*, 8 MiB) and
# libqb keeps every IPC connection's rings (qb-SERVER-CLIENT-FD-RAND, up to
# 16 MiB) in /dev/shm, which is RAM. A daemon that exits cleanly removes
# its connections' rings, but the blackbox stays by design (for
# corosync-blackbox after a crash), and a SIGKILLed daemon leaves both. The
# netns tests start and kill a few hundred corosync and Pacemaker daemons
# per run: left alone, a day of runs filled 22 of the machine's 24 GiB, and
# the VM tests that ran next starved (soft lockups, timeouts).
#
# A file is removed only if every pid its name holds is gone, so a running
# cluster on this host keeps its files. A pid reused since is taken as
# alive: that keeps a file, never removes a live one.
set -u
dir=${1:-/dev/shm}
freed=0 count=0
for f in "$dir"/qb-*; do
	[ -e "$f" ] || continue
	name=${f##*/}
	case $name in
	qb-corosync-*-blackbox-*)
		pids=${name#qb-corosync-}; pids=${pids%%-*} ;;
	qb-*-*-*-*)
		IFS=- read -r _ a b _ <<<"$name"; pids="$a $b" ;;
	*) continue ;;
	esac
	alive=0
	for p in $pids; do
		case $p in '' | *[!0-9]*) alive=1; break ;; esac
		if kill -0 "$p" 2>/dev/null; then alive=1; break; fi
	done
	[ "$alive" = 0 ] || continue
	kib=$(du -sk "$f" 2>/dev/null | cut -f1)
	rm -rf -- "$f" && { freed=$((freed + ${kib:-0})); count=$((count + 1)); }
done
echo "reap-qb-shm: removed $count libqb file(s) of dead processes from $dir, $((freed / 1024)) MiB"
