#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Multi-node tests of ddraidd with real corosync in network namespaces on
# this host, the userspace stand-in as each node's target and member files
# shared by all nodes (a SAN), or, in the dist_* tests (t-dist.sh), each
# node hosting one member that the others reach through paths the test can
# cut. One TAP stream on stdout. Needs root.
#
#   BUILD=/path/to/build tests/netns/run-netns-tests.sh [TEST...]
#
# TEST is one of: basic busy member_fail_rebuild node_kill daemon_kill
# restart_overlap partition_quorum partition_noquorum join_during_resync
# node_kill5 scrub two_node fence_pacemaker fence_pcmk_own dist_node_kill
# dist_path_flap dist_two_flaps dist_path_withdraw dist_clean_stop
# dist_return_readd dist_node_kill5 dist_half_path events tune (default: all;
# fence_pacemaker and fence_pcmk_own need Pacemaker and skip without it).
# KEEP=1 keeps every run's directory (logs of each node); failed runs
# are always kept.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$HERE/../../build}
. "$HERE/lib.sh"

ALL="basic busy member_fail_rebuild node_kill daemon_kill restart_overlap partition_quorum partition_noquorum join_during_resync node_kill5 scrub two_node fence_pacemaker fence_pcmk_own dist_node_kill dist_path_flap dist_two_flaps dist_path_withdraw dist_clean_stop dist_return_readd dist_node_kill5 dist_half_path events tune"
TESTS=${*:-$ALL}

plan_skip() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || plan_skip "needs root (network namespaces)"
command -v corosync >/dev/null || plan_skip "corosync is not installed"
command -v corosync-quorumtool >/dev/null || plan_skip "corosync-quorumtool is not installed"
command -v jq >/dev/null || plan_skip "jq is not installed"
command -v python3 >/dev/null || plan_skip "python3 is not installed"
ip netns list >/dev/null 2>&1 || plan_skip "ip netns does not work here"
for b in "$DDRAIDD" "$STANDIN" "$DDRAIDCTL"; do
	[ -x "$b" ] || plan_skip "$b not built (configure with corosync dev packages)"
done

trap 'cluster_down >/dev/null 2>&1' EXIT

# start NODES MEMBERS [standin options]: cluster, volume, daemons, targets
start() {
	local n=$1 mem=$2 i; shift 2
	cluster_up "$n"
	members_create "$mem" 24M || { note "create failed"; cat "$T/create.out"; return 1; }
	for i in $(seq 1 "$n"); do
		wait_for 40 "node $i quorate" quorate_on "$i" || return 1
	done
	for i in $(seq 1 "$n"); do
		daemon_start "$i"
		standin_start "$i" "$@"
	done
	wait_for 40 "all daemons attached" all_attached $(seq 1 "$n")
}

# writes_progress NODE N: node acknowledges N more writes from now
writes_progress() {
	local base
	base=$(sv "$1" .acked)
	wait_for "${3:-30}" "node $1 acknowledges $2 more writes" \
		acked_at_least "$1" $((base + $2))
}

finish() { # stop targets, verify data and parity
	stop_standins
	check "$1: every acknowledged write reads back (all nodes' journals)" verify_volume
	check "$1: parity is consistent on every block (ddraidctl check)" parity_clean
}

t_basic() {
	note "basic: 3 nodes, 3 members, all write"
	start 3 3 --blocks 96 --rate 60 --idle-ms 300 || { not_ok "basic: cluster starts"; return; }
	ok "basic: 3 daemons attached"
	check "basic: every node agrees on one coordinator" \
		test "$(for i in 1 2 3; do st "$i" .coordinator; done | sort -u | grep -c '^[1-9]')" = 1
	for i in 1 2 3; do
		check "basic: node $i writes" writes_progress "$i" 60
	done
	check "basic: regions went idle and were released" test "$(sv 1 .idles)" -gt 0
	check "basic: no IO errors" test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) + $(sv 3 .io_errors) ))" = 0
	check "basic: bad control requests are refused with a reason" sh -c \
		"echo 'not json' | python3 $HERE/ctlsend.py $T/n1/$VOL.sock | jq -e '.ok == false and (.error | length > 0)' >/dev/null &&
		 echo '{\"cmd\":\"fail\",\"member\":7}' | python3 $HERE/ctlsend.py $T/n1/$VOL.sock | jq -e '.ok == false' >/dev/null &&
		 echo '{\"cmd\":\"fail\"}' | python3 $HERE/ctlsend.py $T/n1/$VOL.sock | jq -e '.ok == false' >/dev/null"
	check "basic: ... and change nothing" test "$(st 1 '.members[].state' | sort -u)" = active
	kill -TERM "$(cat "$T/n3/ddraidd.pid")"
	check "basic: SIGTERM: ddraidd leaves the group and exits" \
		wait_for 20 "ddraidd 3 exits" sh -c "! kill -0 $(cat "$T/n3/ddraidd.pid") && grep -q stopped $T/n3/ddraidd.log"
	check "basic: SIGTERM: the others see its regions orphaned (LEAVE, not a crash)" \
		wait_for 20 "orphaned" sh -c "DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -e '.nodes[] | select(.nodeid == 3) | .orphaned' >/dev/null"
	check "basic: SIGTERM: its control socket is gone" test ! -e "$T/n3/$VOL.sock"
	daemon_start 3
	check "basic: restarted daemon reattaches" wait_for 40 "3 attached" attached 3
	finish basic
	cluster_down
}

# corosync flow control: with DDRAIDD_FAULT_CPG_BUSY every daemon finds
# corosync's send queue "full" for 40% of its sends; the messages wait in
# ddraidd's own queue, in order, while its event loop keeps running.
t_busy() {
	local i
	note "busy: 3 nodes write while 40% of CPG sends are refused with TRY_AGAIN"
	export DDRAIDD_FAULT_CPG_BUSY=40
	start 3 3 --blocks 96 --rate 60 --idle-ms 300 || { unset DDRAIDD_FAULT_CPG_BUSY; not_ok "busy: cluster starts"; return; }
	unset DDRAIDD_FAULT_CPG_BUSY
	for i in 1 2 3; do
		check "busy: node $i writes" writes_progress "$i" 60
	done
	for i in 1 2 3; do
		check "busy: node $i's daemon queued messages for corosync ($(st "$i" .cpg.send_waited))" \
			test "$(st "$i" .cpg.send_waited)" -gt 0
	done
	check "busy: regions went idle and were released" test "$(sv 1 .idles)" -gt 0
	check "busy: no IO errors" test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) + $(sv 3 .io_errors) ))" = 0
	finish busy
	cluster_down
}

# coord_wants_fence VICTIM: the coordinator asks for VICTIM's fencing. Only
# the coordinator asks, and it is whichever node has had the state longest
# (the sender of INIT), not necessarily node 1: ask node 1 who it is.
coord_wants_fence() {
	local c
	c=$(st 1 .coordinator)
	[ -n "$c" ] && [ "$c" != 0 ] &&
		[ "$(st "$c" ".nodes[] | select(.nodeid == $1) | .fence_wanted")" = true ]
}

# recovered VICTIM: the coordinator fenced the victim's slot and nothing is
# dirty. If its daemon died before its corosync (PROCDOWN, then gone from
# corosync) the cluster cannot know its target stopped: it asks for real
# fencing, which this test confirms as a fencing agent would (we killed it).
recovered() {
	local c
	c=$(st 1 .coordinator)
	[ -n "$c" ] && [ "$c" != 0 ] || return 1
	if [ "$(st "$c" ".nodes[] | select(.nodeid == $1) | .fence_wanted")" = true ]; then
		note "node $1 needs fencing: confirming on coordinator $c"
		DDRAID_CTL_DIR=$T/n$c "$DDRAIDCTL" fenced "$VOL" --node "$1" || return 1
	fi
	[ "$(st "$c" .cpg.fenced_msgs)" -ge 1 ] &&
		[ "$(st "$c" '.dirty + .fence_wait')" = 0 ]
}

sum_survivors() { # NODES JQ: sum of a status field over nodes 1..NODES-1
	local i
	for i in $(seq 1 $(($1 - 1))); do st "$i" "$2"; done | paste -sd+ | bc
}

node_kill_common() { # NODES MEMBERS TAG [staged]
	local n=$1 tag=$3 victim=$1 c=1 fenced resynced regions before i
	start "$n" "$2" --blocks 128 --rate 60 --idle-ms 2000 || { not_ok "$tag: cluster starts"; return; }
	for i in $(seq 1 "$n"); do writes_progress "$i" 30 >/dev/null; done
	# Whoever coordinates after the kill does the resync: count on all.
	before=$(sum_survivors "$n" .io.resynced_regions)
	note "$tag: killing node $victim (corosync, ddraidd, stand-in) mid-write; it holds $(sv "$victim" .held_regions) regions"
	if [ "${4:-}" = staged ]; then
		# The daemon dies first (PROCDOWN: its regions are orphaned,
		# its target keeps writing), then the whole node: only fencing
		# can tell the survivors that the target has stopped.
		kill -9 "$(cat "$T/n$victim/ddraidd.pid")"
		check "$tag: the daemon's death orphans its regions" \
			wait_for 30 "orphaned" sh -c "DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -e '.nodes[] | select(.nodeid == $victim) | .orphaned' >/dev/null"
	fi
	kill_node "$victim"
	if [ "${4:-}" = staged ]; then
		check "$tag: a node gone with orphaned regions waits for fencing" \
			wait_for 60 "fence wanted" coord_wants_fence "$victim"
		check "$tag: nothing of it is resynced before fencing is confirmed" \
			test "$(sum_survivors "$n" .io.resynced_regions)" = "$before"
	fi
	check "$tag: survivors resync the dead node's dirty regions" \
		wait_for 60 "fenced and resynced" recovered "$victim"
	fenced=$(st $c .cpg.fenced_regions)
	resynced=$(( $(sum_survivors "$n" .io.resynced_regions) - before ))
	regions=$(st $c .regions)
	note "$tag: dead node's slot marked $fenced regions dirty; coordinator resynced $resynced of $regions"
	check "$tag: resynced regions ($resynced) == dirty regions of the dead node ($fenced)" \
		test "$resynced" = "$fenced"
	check "$tag: the resync covered some regions, not the whole volume" \
		test "$resynced" -gt 0 -a "$resynced" -lt "$regions"
	for i in $(seq 1 $((n - 1))); do
		check "$tag: node $i keeps writing after the kill" writes_progress "$i" 20
	done
	check "$tag: survivors saw no IO errors" \
		test "$(for i in $(seq 1 $((n - 1))); do sv "$i" .io_errors; done | paste -sd+ | bc)" = 0
	finish "$tag"
	cluster_down
}

member_state_is() { # NODE MEMBER STATE
	[ "$(st "$1" ".members[$2].state")" = "$3" ]
}

# Node 2 is member 1's host (its disk): its own IO errors on member 1 are
# the disk's, and take the member out. Another node's errors alone would
# be a fault of its path (t-dist.sh), which a probe through the daemon's
# path does not see here: the errors are injected in the stand-in only.
t_member_fail_rebuild() {
	local i newm
	note "member failure: node 2's target gets IO errors on member 1, its own disk; then an online rebuild"
	cluster_up 3
	members_create 3 24M || { not_ok "member_fail: create"; return; }
	for i in 1 2 3; do wait_for 40 "node $i quorate" quorate_on "$i"; done
	for i in 1 2 3; do
		if [ "$i" = 2 ]; then daemon_start 2 --host-member 1; else daemon_start "$i"; fi
		standin_start "$i" --blocks 96 --rate 60 --idle-ms 1000 --inject-member 1
	done
	wait_for 40 "attached" all_attached 1 2 3 || { not_ok "member_fail: cluster starts"; return; }
	writes_progress 2 30 >/dev/null
	kill -USR1 "$(cat "$T/n2/standin.pid")"
	for i in 1 2 3; do
		check "member_fail: node $i records member 1 failed" \
			wait_for 40 "member 1 failed on $i" member_state_is "$i" 1 failed
	done
	check "member_fail: node 2's target reported MEMBER_ERROR" test "$(sv 2 .member_errors)" -ge 1
	check "member_fail: writes that skipped member 1 were held, then committed" \
		wait_for 30 "commit" sh -c "[ \"\$(jq .commits $T/n2/stats.json)\" -ge 1 ] && [ \"\$(jq .held_completions $T/n2/stats.json)\" = 0 ] && [ \"\$(jq .held_total $T/n2/stats.json)\" -ge 1 ]"
	note "member_fail: $(sv 2 .held_total) completions were held until COMMIT_FAIL"
	check "member_fail: superblocks of the survivors say member 1 failed" \
		sh -c "for m in 0 2; do [ \"\$($DDRAIDCTL examine --json $T/m\$m.img | jq -r '.member_states[1].state')\" = failed ] || exit 1; done"
	check "member_fail: the failed member's own superblock is behind (stale)" \
		test "$("$DDRAIDCTL" examine --json "$T/m1.img" | jq .events)" -lt "$("$DDRAIDCTL" examine --json "$T/m0.img" | jq .events)"
	for i in 1 2 3; do
		check "member_fail: node $i keeps writing degraded" writes_progress "$i" 20
	done
	check "member_fail: no IO errors" test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) + $(sv 3 .io_errors) ))" = 0
	newm=$T/m1new.img
	truncate -s 24M "$newm"
	kill -USR2 "$(cat "$T/n2/standin.pid")" 2>/dev/null
	check "rebuild: ddraidctl rebuild is accepted" \
		env DDRAID_CTL_DIR="$T/n1" "$DDRAIDCTL" rebuild "$VOL" --member 1 "$newm"
	check "rebuild: refused while one runs (nothing changes)" \
		sh -c "! DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL rebuild $VOL --member 1 $newm 2>/dev/null"
	for i in 1 2 3; do
		check "rebuild: node $i sees member 1 active again" \
			wait_for 90 "member 1 active on $i" member_state_is "$i" 1 active
	done
	check "rebuild: writes continue after the rebuild" writes_progress 1 20
	stop_standins
	MEMBERS=$T/m0.img,$newm,$T/m2.img
	check "rebuild: every acknowledged write reads back from the rebuilt volume" verify_volume
	check "rebuild: parity is consistent with the rebuilt member" parity_clean
	cluster_down
}

t_node_kill() { note "node kill: 3 nodes"; node_kill_common 3 3 node_kill; }
t_node_kill5() {
	note "node kill: 5 nodes, 5 members; daemon dies first, then the node (needs fencing)"
	node_kill_common 5 5 node_kill5 staged
}

t_daemon_kill() {
	local acked_disc
	note "daemon kill -9 under load: node 2's ddraidd dies, its target keeps going"
	local grants
	start 3 3 --blocks 400 --rate 80 --idle-ms 5000 || { not_ok "daemon_kill: cluster starts"; return; }
	writes_progress 2 40 >/dev/null
	wait_for 20 "node 2 holds regions" sh -c "[ \"\$(jq .held_regions $T/n2/stats.json)\" -gt 0 ]"
	note "daemon_kill: node 2 holds $(sv 2 .held_regions) regions; kill -9 ddraidd"
	kill -9 "$(cat "$T/n2/ddraidd.pid")"
	check "daemon_kill: stand-in sees the channel close" \
		wait_for 10 "disconnect" sh -c "[ \"\$(jq .connected $T/n2/stats.json)\" = false ]"
	check "daemon_kill: writes in granted regions continue without a daemon" \
		wait_for 30 "acked while disconnected" sh -c "[ \"\$(jq .acked_disconnected $T/n2/stats.json)\" -ge 20 ]"
	acked_disc=$(sv 2 .acked_disconnected)
	note "daemon_kill: $acked_disc writes acknowledged while the daemon was dead; $(sv 2 .queued) queued for cold regions"
	check "daemon_kill: other nodes see node 2 orphaned" \
		wait_for 30 "orphaned" sh -c "DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -e '.nodes[] | select(.nodeid == 2) | .orphaned' >/dev/null"
	check "daemon_kill: nodes 1 and 3 keep writing" writes_progress 1 20
	check "daemon_kill: writes to cold regions wait (queued, not failed)" \
		wait_for 30 "queued" sh -c "[ \"\$(jq .queued $T/n2/stats.json)\" -gt 0 ]"
	grants=$(sv 2 .grants)
	note "daemon_kill: $(sv 2 .acked_disconnected) acknowledged without a daemon, $(sv 2 .queued) queued; restarting ddraidd"
	daemon_start 2
	check "daemon_kill: restarted daemon reattaches (HELLO/HELD -> ATTACH)" \
		wait_for 40 "node 2 attached" attached 2
	check "daemon_kill: the restarted daemon took over the held regions" \
		test "$(st 1 '.nodes[] | select(.nodeid == 2) | .orphaned')" = false
	check "daemon_kill: queued writes for cold regions proceed" writes_progress 2 40
	check "daemon_kill: the new daemon granted the waiting regions" \
		test "$(sv 2 .grants)" -gt "$grants"
	check "daemon_kill: zero IO errors in the stand-in" test "$(sv 2 .io_errors)" = 0
	finish daemon_kill
	cluster_down
}

# A restarted daemon whose predecessor is still a member of the CPG group
# (corosync has not noticed its death yet): the old one is stopped, not
# killed, until the new one has joined. The new one must attach once its
# target is free, and the old process's late leave must not orphan the
# node (cluster.c hands the state machine a restart, not a leave).
t_restart_overlap() {
	local old
	note "restart overlap: node 2's new ddraidd joins while the old one is still in the group"
	start 3 3 --blocks 96 --rate 60 --idle-ms 5000 || { not_ok "restart_overlap: cluster starts"; return; }
	writes_progress 2 30 >/dev/null
	old=$(cat "$T/n2/ddraidd.pid")
	kill -STOP "$old"
	daemon_start 2
	check "restart_overlap: the others see a new daemon of node 2 join before the old one left" \
		wait_for 30 "overlap seen" grep -q "node 2: a new daemon" "$T/n1/ddraidd.log"
	kill -9 "$old"
	check "restart_overlap: the new daemon attaches once the old one is gone" \
		wait_for 40 "node 2 attached" attached 2
	check "restart_overlap: the cluster counts node 2 attached, not orphaned" \
		wait_for 20 "node 2 attached on node 1" sh -c "DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -e '.nodes[] | select(.nodeid == 2) | .attached and (.orphaned | not)' >/dev/null"
	check "restart_overlap: node 2 writes to new regions again" writes_progress 2 30
	check "restart_overlap: no IO errors" test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) + $(sv 3 .io_errors) ))" = 0
	finish restart_overlap
	cluster_down
}

t_partition_quorum() {
	local a3
	note "partition with quorum: node 3 cut off; 1+2 keep quorum, 3 freezes"
	start 3 3 --blocks 96 --rate 60 --idle-ms 1000 || { not_ok "partition_quorum: cluster starts"; return; }
	writes_progress 3 30 >/dev/null
	partition 3
	check "partition_quorum: the minority node freezes its target" \
		wait_for 40 "node 3 frozen" sh -c "[ \"\$(jq .frozen $T/n3/stats.json)\" = true ]"
	a3=$(sv 3 .acked)
	check "partition_quorum: the majority keeps writing" writes_progress 1 40 60
	check "partition_quorum: majority resynced the cut-off node's regions" \
		wait_for 60 "dirty 0" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq '.cpg.fenced_msgs')\" -ge 1 ]"
	check "partition_quorum: the frozen node acknowledged nothing meanwhile" \
		test "$(sv 3 .acked)" = "$a3"
	check "partition_quorum: the minority daemon decided nothing (no state)" \
		test "$(st 3 .has_state)" = false
	heal
	check "partition_quorum: after healing node 3 reattaches" \
		wait_for 60 "node 3 attached" attached 3
	check "partition_quorum: node 3 thaws and writes again" writes_progress 3 20
	finish partition_quorum
	cluster_down
}

t_partition_noquorum() {
	local a r1 i
	note "partition without quorum: 4 nodes split 2+2; nobody decides"
	start 4 3 --blocks 64 --rate 60 --idle-ms 1000 || { not_ok "partition_noquorum: cluster starts"; return; }
	writes_progress 4 20 >/dev/null
	r1=$(st 1 .io.resynced_regions)
	partition 3 4
	for i in 1 2 3 4; do
		check "partition_noquorum: node $i freezes" \
			wait_for 40 "node $i frozen" sh -c "[ \"\$(jq .frozen $T/n$i/stats.json)\" = true ]"
	done
	a=$(for i in 1 2 3 4; do sv "$i" .acked; done | paste -sd+ | bc)
	check "partition_noquorum: no daemon keeps state without quorum" \
		test "$(for i in 1 2 3 4; do st "$i" .has_state; done | sort -u)" = false
	# Let every target try to write a while: each wants 10 more writes.
	for i in 1 2 3 4; do
		local s0
		s0=$(sv "$i" .started)
		wait_for 30 "node $i attempts writes" sh -c \
			"[ \"\$(jq .started $T/n$i/stats.json)\" -ge $((s0 + 10)) ] || [ \"\$(jq .queued $T/n$i/stats.json)\" -ge 60 ]"
	done
	check "partition_noquorum: nothing was acknowledged while split" \
		test "$a" = "$(for i in 1 2 3 4; do sv "$i" .acked; done | paste -sd+ | bc)"
	check "partition_noquorum: no resync was decided while split" \
		test "$(st 1 .io.resynced_regions)" = "$r1"
	heal
	check "partition_noquorum: after healing all reattach (cold start)" \
		wait_for 90 "all attached" all_attached 1 2 3 4
	check "partition_noquorum: writes resume everywhere" writes_progress 1 20
	writes_progress 3 20 >/dev/null
	finish partition_noquorum
	cluster_down
}

t_join_during_resync() {
	note "join during resync: node 3 crashes and comes back while its regions await resync"
	start 3 3 --blocks 96 --rate 60 --idle-ms 5000 || { not_ok "join_during_resync: cluster starts"; return; }
	writes_progress 3 30 >/dev/null
	# A long fence delay on the survivors keeps the regions waiting.
	kill -9 "$(cat "$T/n1/ddraidd.pid")" "$(cat "$T/n2/ddraidd.pid")"
	daemon_start 1 --fence-delay 8
	daemon_start 2 --fence-delay 8
	wait_for 40 "1,2 attached" all_attached 1 2
	kill_node 3
	# Its regions now wait: for the fence delay (NODEDOWN), or, if its
	# daemon's death was seen first, as orphans until it is back.
	check "join_during_resync: survivors hold node 3's regions for recovery" \
		wait_for 30 "node 3 detached, regions pending" sh -c "DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -e '(.nodes[] | select(.nodeid == 3) | .attached == false and .held > 0) and (.dirty + .fence_wait > 0 or (.nodes[] | select(.nodeid == 3) | .orphaned))' >/dev/null"
	note "join_during_resync: dirty $(st 1 .dirty) fence_wait $(st 1 .fence_wait); restarting node 3"
	corosync_start 3
	wait_for 40 "node 3 quorate" quorate_on 3
	daemon_start 3
	standin_start 3 --blocks 96 --rate 60 --idle-ms 5000
	check "join_during_resync: node 3 rejoins and attaches" \
		wait_for 60 "node 3 attached" attached 3
	check "join_during_resync: recovery completes (nothing dirty)" \
		wait_for 60 "dirty 0" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq '.dirty + .fence_wait')\" = 0 ]"
	check "join_during_resync: node 3 writes again" writes_progress 3 30
	check "join_during_resync: all three agree on the coordinator" \
		test "$(for i in 1 2 3; do st "$i" .coordinator; done | sort -u | grep -c '^[1-9]')" = 1
	finish join_during_resync
	cluster_down
}

. "$HERE/t-scrub.sh"
. "$HERE/t-events.sh"
. "$HERE/t-fence.sh"
. "$HERE/t-dist.sh"
. "$HERE/t-tune.sh"

start_s=$(date +%s)
for t in $TESTS; do
	case " $ALL dist_half_path " in
	*" $t "*) "t_$t" ;;
	*) not_ok "unknown test $t" ;;
	esac
done
echo "1..$tap_n"
note "netns tests took $(( $(date +%s) - start_s )) s"
[ "$tap_fail" = 0 ]
