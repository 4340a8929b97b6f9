# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run-netns-tests.sh: online scrub (ddraidctl scrub) on 3 nodes
# that keep writing. Parity fragments of three blocks nobody writes are
# corrupted on the member file; check counts them and changes nothing,
# repair rewrites them, data and parity are verified afterwards. Also: one
# scrub at a time, cancel, the coordinator's daemon killed mid-scrub (the
# scrub waits for it and resumes), a member failure abandons a scrub
# and refuses new ones, and the timer's command (scrub --all --scheduled
# month) run on all three nodes at once scrubs the volume exactly once.
# shellcheck shell=bash

SCRUB_BAD="500 501 1000"	# blocks (regions 31, 31, 62), never written

# pfrag M B: hex of member M's fragment of block B (3 members: 2 KiB)
pfrag() {
	python3 - "$T/m$1.img" "$2" <<'PY'
import sys
f = open(sys.argv[1], "rb")
f.seek(1048576 + int(sys.argv[2]) * 2048)
print(f.read(2048).hex())
PY
}

# parity_ok B: member 2 holds the XOR of members 0 and 1 for block B
parity_ok() {
	python3 - "$T" "$1" <<'PY'
import sys
t, b = sys.argv[1], int(sys.argv[2])
fr = []
for m in range(3):
    with open("%s/m%d.img" % (t, m), "rb") as f:
        f.seek(1048576 + b * 2048)
        fr.append(f.read(2048))
sys.exit(0 if bytes(x ^ y for x, y in zip(fr[0], fr[1])) == fr[2] else 1)
PY
}

corrupt_parity() { # corrupt_parity B...: 0xa5 over member 2's fragment
	python3 - "$T/m2.img" "$@" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for b in sys.argv[2:]:
    os.pwrite(fd, b"\xa5" * 2048, 1048576 + int(b) * 2048)
os.fsync(fd)
os.close(fd)
PY
}

scrub_state_all() { # scrub_state_all STATE: every node reports it
	local i
	for i in 1 2 3; do
		[ "$(st "$i" .scrub.state)" = "$1" ] || return 1
	done
}

scrub_ctl() { # scrub_ctl NODE ARGS...: ddraidctl scrub via NODE's daemon
	local n=$1; shift
	DDRAID_CTL_DIR=$T/n$n "$DDRAIDCTL" scrub "$VOL" "$@"
}

# scrubbed_sum: regions scrubbed by the three daemons' own scrub IO
scrubbed_sum() {
	echo $(( $(st 1 .io.scrubbed_regions) + $(st 2 .io.scrubbed_regions) + $(st 3 .io.scrubbed_regions) ))
}

# scheduled_starts: scheduled scrub starts each node's daemon logged
# ("N N N"; every daemon logs every start it applies)
scheduled_starts() {
	local i out=""
	for i in 1 2 3; do
		out="$out $(grep -c 'regions started by node [0-9]* (scheduled)' "$T/n$i/ddraidd.log")"
	done
	echo $out
}

# timers_fire TAG: ddraidctl scrub --all --scheduled month on all three
# nodes at once, as ddraid-scrub.timer does; output in $T/timer-TAG-N.out.
# The node directories hold the stand-in's chan.sock too, which is no
# daemon's: --all sees a directory with the daemon's socket alone, as
# /run/ddraid is.
timers_fire() {
	local i pids="" rc=0
	for i in 1 2 3; do
		mkdir -p "$T/n$i/ctl"
		ln -sf "$T/n$i/$VOL.sock" "$T/n$i/ctl/$VOL.sock"
		DDRAID_CTL_DIR=$T/n$i/ctl "$DDRAIDCTL" scrub --all --scheduled month \
			>"$T/timer-$1-$i.out" 2>&1 &
		pids="$pids $!"
	done
	for i in $pids; do wait "$i" || rc=1; done
	return $rc
}

scheduled_finished() { # scheduled_finished DAY: every node: finished, of DAY
	local i
	for i in 1 2 3; do
		[ "$(st "$i" '.scrub.state + " " + (.scrub.last_scheduled // "")')" = "finished $1" ] || return 1
	done
}

scrub_running_on() { # NODE...: each live one reports a running scrub
	local i
	for i in "$@"; do
		[ "$(st "$i" .scrub.state)" = running ] || return 1
	done
}

# kill_daemon N: SIGKILL node N's ddraidd; wait until node $2 sees it orphaned
kill_daemon() {
	kill -9 "$(cat "$T/n$1/ddraidd.pid")"
	wait_for 30 "node $1 orphaned" sh -c "DDRAID_CTL_DIR=$T/n$2 $DDRAIDCTL status --json $VOL | jq -e '.nodes[] | select(.nodeid == $1) | .orphaned' >/dev/null"
}

t_scrub() {
	local b t0 t1 c x o total i
	note "scrub: 3 nodes writing; parity of blocks $SCRUB_BAD corrupted behind the cluster's back"
	cluster_up 3
	members_create 3 24M || { not_ok "scrub: create"; return; }
	for i in 1 2 3; do wait_for 40 "node $i quorate" quorate_on "$i"; done
	for i in 1 2 3; do
		daemon_start "$i"
		standin_start "$i" --blocks 96 --rate 60 --idle-ms 1000
	done
	wait_for 40 "attached" all_attached 1 2 3 || { not_ok "scrub: cluster starts"; return; }
	for i in 1 2 3; do writes_progress "$i" 20 >/dev/null; done
	total=$(st 1 .regions)
	corrupt_parity $SCRUB_BAD
	b=$(pfrag 2 500)

	t0=$(date +%s%N)
	check "scrub: check is accepted (via node 2)" scrub_ctl 2
	check "scrub: check finishes on every node" \
		wait_for 120 "scrub finished" scrub_state_all finished
	t1=$(date +%s%N)
	note "scrub: check of $total regions of 64 KiB under IO took $(( (t1 - t0) / 1000000 )) ms"
	check "scrub: every region was checked" test "$(st 3 .scrub.done)" = "$total"
	check "scrub: check counts exactly the 3 corrupted blocks (no false positive under IO)" \
		test "$(st 1 .scrub.mismatches)" = 3
	check "scrub: check repaired nothing" test "$(st 1 .scrub.repaired)" = 0
	check "scrub: check left the corrupted parity as it was" \
		test "$(pfrag 2 500)" = "$b"
	check "scrub: the coordinator logged region and block of each mismatch" \
		sh -c "grep -h 'scrub: region' $T/n*/ddraidd.log | grep -c -E 'region (31 block 50[01]|62 block 1000):' | grep -qx 3"

	check "scrub: repair is accepted (via node 3)" scrub_ctl 3 --repair
	check "scrub: repair finishes on every node" \
		wait_for 120 "repair finished" scrub_state_all finished
	check "scrub: repair found and rewrote the 3 blocks" \
		test "$(st 2 '.scrub.mode + " " + (.scrub.mismatches|tostring) + " " + (.scrub.repaired|tostring)')" = "repair 3 3"
	for b in $SCRUB_BAD; do
		check "scrub: parity of block $b is the XOR of its data again" parity_ok "$b"
	done

	# The timer fires on every node at once: one scrub runs, the other
	# nodes' requests change nothing (docs/cluster-protocol.md 11).
	local day s0 sc
	s0=$(scrubbed_sum)
	check "scrub: no scheduled scrub yet" test "$(scheduled_starts)" = "0 0 0"
	day=$(date +%Y-%m-01)
	check "scrub: the timer's command succeeds on all three nodes at once" \
		timers_fire 1
	sed 's/^/#   /' "$T"/timer-1-*.out
	check "scrub: ... each names the volume (asked for, or skipped: asked already)" \
		sh -c "for i in 1 2 3; do grep -Eq '^$VOL: (scrub of the period from $day asked for|skipped: )' $T/timer-1-\$i.out || exit 1; done"
	check "scrub: the scheduled scrub finishes on every node, of the period from $day" \
		wait_for 120 "scheduled scrub finished" scheduled_finished "$day"
	check "scrub: every daemon applied exactly one scheduled start" \
		test "$(scheduled_starts)" = "1 1 1"
	sc=$(( $(scrubbed_sum) - s0 ))
	check "scrub: the cluster scrubbed each region once ($sc of $total)" \
		test "$sc" = "$total"
	check "scrub: the timers firing again in the same month: nothing to do, exit 0" \
		timers_fire 2
	check "scrub: ... each node says skipped" \
		sh -c "for i in 1 2 3; do grep -q '^$VOL: skipped: the scheduled scrub of this period has started already' $T/timer-2-\$i.out || exit 1; done"
	sleep 1
	check "scrub: ... and no scrub started" \
		test "$(scheduled_starts) $(( $(scrubbed_sum) - s0 ))" = "1 1 1 $total"
	local req bad_reqs=""
	for req in '{"cmd":"scrub","scheduled":0}' \
		'{"cmd":"scrub","scheduled":"2026-12-01"}' \
		'{"cmd":"scrub","scheduled":4294967296}' \
		'{"cmd":"scrub","scheduled":-3}' \
		'{"cmd":"scrub","cancel":true,"scheduled":99999}'; do
		echo "$req" | python3 "$HERE/ctlsend.py" "$T/n1/$VOL.sock" |
			jq -e '.ok == false and (.error | test("scheduled"))' >/dev/null ||
			bad_reqs="$bad_reqs $req"
	done
	check "scrub: bad \"scheduled\" requests are refused with the reason${bad_reqs:+ (not:$bad_reqs)}" \
		test -z "$bad_reqs"
	check "scrub: ... and changed nothing" \
		test "$(scheduled_starts) $(st 2 .scrub.last_scheduled)" = "1 1 1 $day"

	# A daemon gone (its target may hold grants nobody knows of) stalls
	# the scrub deterministically: the steps below do not race it.
	c=$(st 1 .coordinator)
	x=$(( c % 3 + 1 ))
	o=$(( x % 3 + 1 ))
	note "scrub: coordinator $c; killing node $x's daemon"
	kill_daemon "$x" "$c"
	check "scrub: a check starts while node $x's daemon is gone" scrub_ctl "$o"
	check "scrub: ... and is running on the live nodes" \
		wait_for 10 "running" scrub_running_on "$c" "$o"
	check "scrub: a second scrub is refused while one runs" \
		sh -c "! DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL scrub $VOL --repair 2>$T/refused.err"
	check "scrub: ... saying why" grep -q "already running" "$T/refused.err"
	sleep 1
	check "scrub: nothing is scrubbed while a target may hold unknown grants" \
		test "$(st "$c" .scrub.done)" = 0
	sleep 1
	check "scrub: the stalled scrub has rate 0 and no time left" \
		test "$(st "$c" '(.scrub.rate_bytes_per_s|tostring) + " " + (.scrub.eta_s|tostring)')" = "0 null"
	check "scrub: ... and so it says" \
		sh -c "DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL status $VOL | grep -q 'scrub (check) running: 0 of .*, 0.0 MB/s, ETA unknown'"
	check "scrub: --cancel is accepted" scrub_ctl "$o" --cancel
	check "scrub: the live nodes see it cancelled" \
		wait_for 10 "cancelled" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL status --json $VOL | jq -r .scrub.state)\" = cancelled ] && [ \"\$(DDRAID_CTL_DIR=$T/n$o $DDRAIDCTL status --json $VOL | jq -r .scrub.state)\" = cancelled ]"
	check "scrub: --cancel with nothing running is refused" \
		sh -c "! DDRAID_CTL_DIR=$T/n$o $DDRAIDCTL scrub $VOL --cancel 2>/dev/null"

	check "scrub: a check starts again" scrub_ctl "$o"
	wait_for 10 "running" scrub_running_on "$c" "$o"
	note "scrub: killing the coordinator's daemon (node $c) under the running scrub"
	kill_daemon "$c" "$o"
	daemon_start "$x"
	daemon_start "$c"
	check "scrub: both daemons come back and attach" \
		wait_for 60 "attached" all_attached 1 2 3
	check "scrub: node $o now coordinates" test "$(st "$c" .coordinator)" = "$o"
	check "scrub: the scrub in the replicated state resumes and finishes on every node" \
		wait_for 120 "finished" scrub_state_all finished
	check "scrub: ... having walked every region, clean after the repair" \
		test "$(st "$x" '(.scrub.done|tostring) + " " + (.scrub.mismatches|tostring)')" = "$total 0"
	check "scrub: the new coordinator did that scrub" \
		test "$(st "$o" .io.scrubbed_regions)" -ge "$total"
	check "scrub: the writers saw no IO error" \
		test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) + $(sv 3 .io_errors) ))" = 0
	check "scrub: they kept writing" writes_progress "$x" 20

	stop_standins
	check "scrub: every acknowledged write reads back (all nodes' journals)" verify_volume
	check "scrub: parity is consistent on every block (ddraidctl check)" parity_clean

	note "scrub: a member fails under a running scrub"
	# A node whose daemon died while its target runs holds the scrub
	# (orphan). With the targets stopped (above) a daemon that goes is
	# detached and holds nothing: node x's target comes back first.
	standin_start "$x" --blocks 96 --rate 60 --idle-ms 1000
	wait_for 30 "node $x attached" attached "$x"
	kill_daemon "$x" "$o"
	check "scrub: a check starts" scrub_ctl "$o"
	wait_for 10 "running" scrub_running_on "$o"
	check "scrub: ddraidctl fail --member 1 is accepted" \
		env DDRAID_CTL_DIR="$T/n$o" "$DDRAIDCTL" fail "$VOL" --member 1
	check "scrub: the scrub is abandoned" \
		wait_for 30 "abandoned" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$o $DDRAIDCTL status --json $VOL | jq -r .scrub.state)\" = 'abandoned (a member failed)' ]"
	check "scrub: a new scrub is refused on a degraded volume" \
		sh -c "! DDRAID_CTL_DIR=$T/n$o $DDRAIDCTL scrub $VOL 2>$T/refused.err"
	check "scrub: ... saying why" grep -q "degraded" "$T/refused.err"
	cat "$T/refused.err" | sed 's/^/#   /'
	cluster_down
}
