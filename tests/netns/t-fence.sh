# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run-netns-tests.sh: fencing (docs/ddraidd.md, "Fencing").
#
#   fence_pacemaker  3 nodes with Pacemaker (stonith-enabled=false: only
#                    ddraidd asks for fencing) and the test fence agent
#                    (fence_ddraidtest). A node is killed; the coordinator's
#                    fencer asks pacemaker-fenced, the agent refuses (the
#                    test holds it back): nothing of the node is resynced.
#                    Let through: the fencing is confirmed, then the node's
#                    dirty regions, and only those, are resynced.
#   fence_pcmk_own   stonith-enabled=true and a long fence delay: Pacemaker
#                    fences the lost node on its own; ddraidd's fencer finds
#                    that fencing (after the node left) in the fencer's
#                    history and confirms it without fencing it again.
#   two_node         corosync two_node: 1 (2 nodes, a mirror): ddraidd
#                    refuses to start unless fencing is required, and
#                    changes nothing then; started with it, a lost node's
#                    regions wait for the confirmation.
# shellcheck shell=bash

# shellcheck source=tests/netns/lib-pcmk.sh
. "$HERE/lib-pcmk.sh"

# start_pcmk NODES STONITH_ENABLED [ddraidd options]
start_pcmk() {
	local n=$1 se=$2 i; shift 2
	cluster_up "$n"
	members_create 3 24M || { note "create failed"; return 1; }
	for i in $(seq 1 "$n"); do
		wait_for 40 "node $i quorate" quorate_on "$i" || return 1
	done
	pcmk_cib "$se" || { note "cannot write the CIB"; return 1; }
	for i in $(seq 1 "$n"); do pcmk_start "$i"; done
	for i in $(seq 1 "$n"); do
		wait_for 90 "Pacemaker on node $i sees every node online" \
			pcmk_online "$i" $(seq 1 "$n") || return 1
	done
	for i in $(seq 1 "$n"); do
		wait_for 60 "fence device on node $i" pcmk_device_on "$i" ||
			return 1
	done
	for i in $(seq 1 "$n"); do
		daemon_start "$i" "$@"
		standin_start "$i" --blocks 128 --rate 60 --idle-ms 2000
	done
	wait_for 40 "all daemons attached" all_attached $(seq 1 "$n")
}

# freq NODE VICTIM JQ: a field of NODE's fencing request for VICTIM
freq() {
	st "$1" ".fencing.requests[] | select(.nodeid == $2) | $3"
}

recovered_from() { # NODE VICTIM: FENCED delivered, nothing dirty
	[ "$(st "$1" .cpg.fenced_msgs)" -ge 1 ] 2>/dev/null &&
		[ "$(st "$1" '.dirty + .fence_wait')" = 0 ]
}

iso_s() { date -d "$1" +%s.%N; }

# survivor_coord VICTIM: node 1 names a coordinator other than VICTIM
survivor_coord() {
	local c
	c=$(st 1 .coordinator)
	[ -n "$c" ] && [ "$c" != 0 ] && [ "$c" != "$1" ]
}

t_fence_pacemaker() {
	local i c before resynced fenced t_open
	note "fence_pacemaker: 3 nodes with Pacemaker; node 3 dies, its fencing is held back, then let through"
	pcmk_available || { skip "fence_pacemaker: needs pacemakerd, cibadmin, hacluster, overlayfs and ddraid-stonith"; return; }
	start_pcmk 3 false || { not_ok "fence_pacemaker: cluster with Pacemaker starts"; cluster_down; return; }
	check "fence_pacemaker: ddraid-stonith probe counts the fence device" \
		test "$(nsexec 1 "$BUILD/cpg-daemon/ddraid-stonith" probe)" = "ok 1"
	for i in 1 2 3; do
		check "fence_pacemaker: node $i: --fencing auto found Pacemaker's fencer, fencing required" \
			test "$(st "$i" '.fencing.mode + " " + (.fencing.required | tostring)')" = "pacemaker true"
	done
	for i in 1 2 3; do writes_progress "$i" 20 >/dev/null; done
	before=$(sum_survivors 3 .io.resynced_regions)
	touch "$T/fence.gate"
	note "fence_pacemaker: node 3 holds $(sv 3 .held_regions) regions, node $(st 1 .coordinator) coordinates; killing node 3 (corosync, Pacemaker, ddraidd, stand-in)"
	kill_node_all 3
	wait_for 60 "a survivor coordinates" survivor_coord 3
	c=$(st 1 .coordinator)
	check "fence_pacemaker: coordinator $c asks Pacemaker to fence node 3; the agent refuses, status says why" \
		wait_for 60 "fencing failed" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL status --json $VOL | jq -r '.fencing.requests[] | select(.nodeid == 3) | .state')\" = failed ]"
	note "fence_pacemaker: reason: $(freq "$c" 3 .reason)"
	check "fence_pacemaker: the failure has a reason" test -n "$(freq "$c" 3 .reason)"
	check "fence_pacemaker: the fence agent was asked to reboot n3 (and refused)" \
		test "$(fence_log_count reboot n3 "denied")" -ge 1
	check "fence_pacemaker: status shows when the request was made" \
		test "$(freq "$c" 3 .since)" != never
	check "fence_pacemaker: node 3 waits for fencing (fence_wanted)" \
		test "$(st "$c" '.nodes[] | select(.nodeid == 3) | .fence_wanted')" = true
	check "fence_pacemaker: the survivors keep writing meanwhile" writes_progress 1 10
	check "fence_pacemaker: before the agent fenced n3, nothing of node 3 was resynced (no FENCED)" \
		test "$(st "$c" .cpg.fenced_msgs)/$(sum_survivors 3 .io.resynced_regions)" = "0/$before"
	check "fence_pacemaker: quorum notification after the node left, quorate unchanged: 2 member nodes" \
		grep -q "quorum: quorate, 2 member nodes" "$T/n1/ddraidd.log"
	t_open=$(date +%s.%N)
	rm -f "$T/fence.gate"
	check "fence_pacemaker: the retried fencing is confirmed" \
		wait_for 90 "confirmed" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL status --json $VOL | jq -r '.fencing.requests[] | select(.nodeid == 3) | .state')\" = confirmed ]"
	note "fence_pacemaker: request $(st "$c" '.fencing.requests[] | select(.nodeid == 3) | tojson')"
	check "fence_pacemaker: the agent fenced n3 exactly once" \
		test "$(fence_log_count reboot n3 "done")" = 1
	check "fence_pacemaker: the confirmed fencing completed after the agent was let through" \
		python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" \
		"$(iso_s "$(freq "$c" 3 .fenced)")" "$t_open"
	check "fence_pacemaker: ddraidd asked more than once (retried with backoff)" \
		test "$(freq "$c" 3 .kicks)" -ge 2
	check "fence_pacemaker: Pacemaker's history names ddraidd as the client" \
		sh -c "ip netns exec $(ns "$c") stonith_admin --history n3 --verbose 2>/dev/null | grep 'successful' | grep -q 'client=ddraidd'"
	check "fence_pacemaker: survivors resync the dead node's dirty regions" \
		wait_for 60 "recovered" recovered_from "$c" 3
	fenced=$(st "$c" .cpg.fenced_regions)
	resynced=$(( $(sum_survivors 3 .io.resynced_regions) - before ))
	check "fence_pacemaker: resynced regions ($resynced) == dirty regions of the dead node ($fenced)" \
		test "$resynced" = "$fenced"
	for i in 1 2; do
		check "fence_pacemaker: node $i keeps writing" writes_progress "$i" 20
	done
	check "fence_pacemaker: survivors saw no IO errors" \
		test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) ))" = 0
	finish fence_pacemaker
	cluster_down
}

t_fence_pcmk_own() {
	local c i
	note "fence_pcmk_own: stonith-enabled=true; Pacemaker fences a lost node itself, ddraidd takes its fencing"
	pcmk_available || { skip "fence_pcmk_own: needs pacemakerd, cibadmin, hacluster, overlayfs and ddraid-stonith"; return; }
	# Pacemaker fences within seconds of the loss on its own; ddraidd
	# accepts that fencing (it completed after the departure) instead of
	# a second one.
	start_pcmk 3 true --fence-delay 8 || { not_ok "fence_pcmk_own: cluster with Pacemaker starts"; cluster_down; return; }
	for i in 1 2 3; do writes_progress "$i" 20 >/dev/null; done
	kill_node_all 3
	wait_for 60 "a survivor coordinates" survivor_coord 3
	c=$(st 1 .coordinator)
	check "fence_pcmk_own: Pacemaker fences the lost node on its own" \
		wait_for 60 "agent fenced n3" sh -c "grep -q ' reboot n3 done\$' $T/fence.log"
	check "fence_pcmk_own: ddraidd's fencer confirms that fencing" \
		wait_for 60 "confirmed" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL status --json $VOL | jq -r '.fencing.requests[] | select(.nodeid == 3) | .state')\" = confirmed ]"
	note "fence_pcmk_own: request $(st "$c" '.fencing.requests[] | select(.nodeid == 3) | tojson')"
	# ddraidd asks at once for a node whose daemon was gone before it
	# left (an orphan, fence_work in sm_coord.c); if that is before
	# Pacemaker's own fencing is in its history, the fencer merges the
	# two requests for the same target: the node is rebooted once.
	check "fence_pcmk_own: n3 was fenced exactly once (ddraidd asked $(freq "$c" 3 .kicks) time(s))" \
		test "$(fence_log_count reboot n3 "done")" = 1
	check "fence_pcmk_own: survivors resync the dead node's regions" \
		wait_for 60 "recovered" recovered_from "$c" 3
	check "fence_pcmk_own: node 1 keeps writing" writes_progress 1 20
	finish fence_pcmk_own
	cluster_down
}

# run_refused NODE OPTIONS...: ddraidd must exit 1 at once; its log in
# $T/refused.log
run_refused() {
	local n=$1 r; shift
	nsexec "$n" timeout 30 "$DDRAIDD" --volume "$VOL" --members "$MEMBERS" \
		--channel "unix:$T/n$n/chan.sock" --ctl-dir "$T/n$n" --foreground \
		"$@" > "$T/refused.log" 2>&1
	r=$?
	[ "$r" = 1 ] && grep -q "refusing to start: corosync has quorum.two_node: 1" "$T/refused.log"
}

t_two_node() {
	local ev0 ev1 before
	note "two_node: corosync two_node: 1, a 2-member mirror"
	QUORUM_OPTS="two_node: 1" cluster_up 2
	members_create 2 24M || { not_ok "two_node: create"; cluster_down; return; }
	wait_for 40 "node 1 quorate" quorate_on 1
	wait_for 40 "node 2 quorate" quorate_on 2
	ev0=$("$DDRAIDCTL" examine --json "$T/m0.img" | jq .events)
	check "two_node: refused with --fencing none" run_refused 1 --fencing none
	sed 's/^/#   /' "$T/refused.log" | grep -v PR_SET_IO_FLUSHER
	check "two_node: the refusal says what to change" \
		grep -q -- "--fencing pacemaker.*--require-fencing.*third node" "$T/refused.log"
	check "two_node: refused with --fencing auto and no Pacemaker" run_refused 1
	check "two_node: ... auto chose none, and the log says why" \
		grep -q -- "--fencing auto: .*: fencing none" "$T/refused.log"
	check "two_node: refused with --fencing pacemaker --no-require-fencing" \
		run_refused 1 --fencing pacemaker --no-require-fencing
	check "two_node: refused with a bad --fencing (exit 2)" \
		sh -c "ip netns exec $(ns 1) $DDRAIDD --volume $VOL --members $MEMBERS --fencing maybe >/dev/null 2>&1; [ \$? = 2 ]"
	ev1=$("$DDRAIDCTL" examine --json "$T/m0.img" | jq .events)
	check "two_node: the refusals changed nothing (no socket, superblock events $ev0 -> $ev1)" \
		test ! -e "$T/n1/$VOL.sock" -a "$ev0" = "$ev1"
	daemon_start 1 --fencing none --require-fencing
	daemon_start 2 --fencing pacemaker
	standin_start 1 --blocks 96 --rate 60 --idle-ms 2000
	standin_start 2 --blocks 96 --rate 60 --idle-ms 2000
	check "two_node: starts with --require-fencing (node 1) and --fencing pacemaker (node 2)" \
		wait_for 40 "both attached" all_attached 1 2
	check "two_node: the start logs the two_node setting" \
		grep -q "corosync quorum.two_node: 1" "$T/n1/ddraidd.log"
	check "two_node: status: two_node, fencing required" \
		test "$(st 1 '[.fencing.two_node, .fencing.required, .fencing.mode] | map(tostring) | join(" ")')" = "true true none"
	check "two_node: node 2: fencing pacemaker though its fencer is not there yet" \
		grep -q -- "--fencing pacemaker: not usable yet" "$T/n2/ddraidd.log"
	writes_progress 1 20 >/dev/null
	writes_progress 2 20 >/dev/null
	before=$(st 1 .io.resynced_regions)
	kill_node 2
	check "two_node: node 1 stays quorate alone and waits for node 2's fencing" \
		wait_for 60 "fence wanted" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq '.nodes[] | select(.nodeid == 2) | .fence_wanted')\" = true ]"
	check "two_node: ... and tells the operator how to confirm it" \
		wait_for 20 "hint" grep -q "confirm with 'ddraidctl fenced $VOL --node 2'" "$T/n1/ddraidd.log"
	check "two_node: nothing of node 2 is resynced unconfirmed" \
		test "$(st 1 .cpg.fenced_msgs)/$(st 1 .io.resynced_regions)" = "0/$before"
	DDRAID_CTL_DIR=$T/n1 "$DDRAIDCTL" fenced "$VOL" --node 2
	check "two_node: confirmed by hand, node 2's regions are resynced" \
		wait_for 60 "recovered" recovered_from 1 2
	check "two_node: node 1 keeps writing" writes_progress 1 20
	finish two_node
	cluster_down
}
