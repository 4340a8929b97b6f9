# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run-netns-tests.sh: the distributed topology (issue 8, item
# 12). Node i hosts member i-1, its own disk; every node reaches every
# member through a path of its own that the test can cut (lib.sh, DIST;
# lib/member_io.c, DDRAID_FAULT_PATH_DIR). A node that dies takes its disk
# with it. What is asserted is the design brief's invariants 9 to 12: a
# node is a member, a path is not a member, the last redundancy is kept,
# leaving on purpose stalls nobody.
# shellcheck shell=bash

# Every daemon: a path fault is given 20 s to heal before the node
# withdraws (the flap tests cut for a few seconds; the withdraw test sets
# its own), rebuilds paced at 5 regions (of 64 KiB) a second so that status
# shows them.
DIST_DAEMON_OPTS="--path-timeout 20 --sync-speed-max 0.33"
# Every node writes 128 blocks (8 regions), interleaved with the others'
# (every region written by every node), or with DIST_OWN=1 in a range of
# its own (regions 32 * (i - 1) on): then a dead node's regions are its
# alone, and its torn writes wait for its disk (docs, "torn regions").
# DIST_QUIET=N: node N stops writing after 100 writes.
DIST_OWN=
DIST_QUIET=
dist_workload() { # dist_workload NODE
	if [ -n "$DIST_OWN" ]; then
		echo "--blocks 128 --rate 60 --idle-ms 2000 --stride 1 --index 0 --first $((($1 - 1) * 512))"
	else
		echo "--blocks 128 --rate 60 --idle-ms 2000"
	fi
	[ "$1" != "$DIST_QUIET" ] || echo "--max-writes 100"
}

# dist_start NODES [daemon options]: a DIST cluster, one member per node,
# every node writing
dist_start() {
	local n=$1 i; shift
	# shellcheck disable=SC2034 # lib.sh reads it
	DIST=1
	cluster_up "$n"
	members_create "$n" 24M || { note "create failed"; cat "$T/create.out"; return 1; }
	for i in $(seq 1 "$n"); do
		wait_for 40 "node $i quorate" quorate_on "$i" || return 1
	done
	for i in $(seq 1 "$n"); do
		# shellcheck disable=SC2086
		daemon_start "$i" $DIST_DAEMON_OPTS "$@"
		# shellcheck disable=SC2046
		standin_start "$i" $(dist_workload "$i")
	done
	wait_for 40 "all daemons attached" all_attached $(seq 1 "$n") || return 1
	for i in $(seq 1 "$n"); do
		if [ "$i" = "$DIST_QUIET" ]; then
			wait_for 30 "node $i wrote its 100" acked_at_least "$i" 100 || return 1
		else
			writes_progress "$i" 30 > /dev/null || return 1
		fi
	done
}

# mstates NODE: the member states NODE's daemon reports, "active,active,..."
mstates() { st "$1" '[.members[].state] | join(",")'; }
mstates_are() { [ "$(mstates "$1")" = "$2" ]; }
# want_states N FAILED: N members, all active but FAILED (or none: -1)
want_states() {
	local m out=
	for m in $(seq 0 $(($1 - 1))); do
		if [ "$m" = "$2" ]; then
			out=${out:+$out,}failed
		else
			out=${out:+$out,}active
		fi
	done
	echo "$out"
}

# node_view NODE OF: how NODE sees node OF: a(ttached) d(etached)
# o(rphaned) f(ence wanted) -(none of these), and its path faults
node_view() {
	st "$1" ".nodes[] | select(.nodeid == $2) |
		(if .attached then \"a\" elif .detached then \"d\" else \"-\" end) +
		(if .orphaned then \"o\" else \"\" end) +
		(if .fence_wanted then \"f\" else \"\" end) +
		\" path_bad=\" + (.path_bad | tostring)"
}

# sb_events MEMBER / sb_state MEMBER OF: member files' superblocks
sb_events() { "$DDRAIDCTL" examine --json "$T/m$1.img" | jq .events; }
sb_state() {
	"$DDRAIDCTL" examine --json "$T/m$1.img" | jq -r ".member_states[$2].state"
}
sb_events_all() {
	local m
	for m in $(seq 0 $((NMEMBERS - 1))); do sb_events "$m"; done | paste -sd' '
}

# errors_on NODE...: IO errors of these nodes' stand-ins, summed
errors_on() {
	local i
	for i in "$@"; do sv "$i" .io_errors; done | paste -sd+ | bc
}

# stall_reset NODE... / stall_max NODE...: the longest time without an
# acknowledged write since the reset, over these nodes (ms)
stall_reset() {
	local i
	for i in "$@"; do kill -HUP "$(cat "$T/n$i/standin.pid")"; done
	# The stand-in applies it within one poll; its next stats say so.
	for i in "$@"; do
		wait_for 5 "stall reset on $i" sh -c \
			"[ \"\$(jq .stall_max_ms $T/n$i/stats.json)\" -lt 500 ]"
	done
}
stall_max() {
	local i
	for i in "$@"; do sv "$i" .stall_max_ms; done | sort -n | tail -1
}

# slot_union: regions marked in any bitmap slot of any member the newest
# superblock does not record failed (what a bitmap re-add walks: the
# coordinator reads the members it has not failed)
slot_union() {
	local m
	for m in $(seq 0 $((NMEMBERS - 1))); do
		"$DDRAIDCTL" examine --json "$T/m$m.img" | jq -c "{path: \"$T/m$m.img\", sb: .}"
	done | python3 -c '
import json, sys
mem = [json.loads(l) for l in sys.stdin]
newest = max(mem, key=lambda x: x["sb"]["events"])["sb"]
off, sz, slots, regions = (newest["bitmap_offset"], newest["bitmap_slot_bytes"],
                           newest["bitmap_slots"], newest["regions"])
union = bytearray(sz)
for i, x in enumerate(mem):
    if newest["member_states"][i]["state"] == "failed":
        continue
    with open(x["path"], "rb") as f:
        for s in range(slots):
            f.seek(off + s * sz)
            for k, b in enumerate(f.read(sz)):
                union[k] |= b
print(sum(1 for r in range(regions) if union[r >> 3] & (1 << (r & 7))))
'
}

# dist_return NODE TAG: the node comes back with the same disk. Its member
# is re-added on its own (bitmap rebuild), and walks exactly the regions
# the slots mark; then every member is active everywhere.
dist_return() {
	local v=$1 tag=$2 m=$(($1 - 1)) n=$NODES u0 u1 total i c q=1
	[ "$v" != 1 ] || q=2	# a node that stayed, to ask
	u0=$(slot_union)
	note "$tag: node $v returns with its disk; the slots of the members in use mark $u0 regions"
	host_back "$v"
	if ! kill -0 "$(cat "$T/n$v/corosync.pid")" 2>/dev/null; then
		corosync_start "$v"
		wait_for 40 "node $v quorate" quorate_on "$v"
	fi
	# shellcheck disable=SC2086
	daemon_start "$v" $DIST_DAEMON_OPTS
	# shellcheck disable=SC2046
	standin_start "$v" $(dist_workload "$v")
	check "$tag: node $v attaches again" wait_for 60 "node $v attached" attached "$v"
	# Active from REBUILD_START; what it walks is known from REBUILD_BEGIN.
	check "$tag: member $m is re-added on its own: a bitmap rebuild of it runs" \
		wait_for 60 "rebuild of $m" sh -c \
		"DDRAID_CTL_DIR=$T/n$q $DDRAIDCTL status --json $VOL | jq -e '.rebuild.active and .rebuild.member == $m and .rebuild.total > 0' >/dev/null"
	total=$(st "$q" .rebuild.total)
	DIST_WALKED=$total
	# Paced at 5 regions a second, 20 regions last 4 s: long enough for
	# the daemon to measure the rate (lib/progress.c).
	if [ "$total" -ge 20 ]; then
		check "$tag: status shows the rebuild's rate and time left" \
			wait_for 10 "rebuild rate" sh -c \
			"DDRAID_CTL_DIR=$T/n$q $DDRAIDCTL status --json $VOL | jq -e '.rebuild.active and .rebuild.rate_bytes_per_s > 0 and .rebuild.eta_s > 0' >/dev/null"
		note "$tag: $(DDRAID_CTL_DIR=$T/n$q "$DDRAIDCTL" status "$VOL" | grep '^  rebuilding member')"
	fi
	u1=$(slot_union)
	c=$(st "$q" .coordinator)
	check "$tag: the coordinator chose a bitmap rebuild" \
		grep -q "re-adding it (bitmap rebuild)" "$T/n$c/ddraidd.log"
	note "$tag: the rebuild walks $total of $(st "$q" .regions) regions; the slots marked $u0 before the return, $u1 now"
	check "$tag: it walks what the slots mark ($u0 <= $total <= $u1), not the volume" \
		test "$u0" -le "$total" -a "$total" -le "$u1" -a "$total" -lt "$(st "$q" .regions)"
	for i in $(seq 1 "$n"); do
		check "$tag: node $i sees every member active again" \
			wait_for 90 "all active on $i" mstates_are "$i" "$(want_states "$n" -1)"
	done
	check "$tag: nothing left to resync, no torn region waiting" \
		test "$(st "$q" '.dirty + .fence_wait + .torn_regions')" = 0
	check "$tag: node $v writes again" writes_progress "$v" 30
}

# journal_regions NODE: regions NODE's journal names (64 KiB regions)
journal_regions() {
	awk '{ print int($2 / 16) }' "$T/n$1/journal" | sort -u | wc -l
}

dist_node_kill_common() { # NODES VICTIM TAG
	local n=$1 v=$2 tag=$3 m=$(($2 - 1)) i surv="" ev0 stall c o torn want bound
	local DIST_OWN=1
	for i in $(seq 1 "$n"); do [ "$i" = "$v" ] || surv="$surv $i"; done
	o=${surv# }; o=${o%% *}	# a survivor to ask
	dist_start "$n" || { not_ok "$tag: cluster starts"; cluster_down; return; }
	ev0=$(st "$o" .events)
	# shellcheck disable=SC2086
	stall_reset $surv
	note "$tag: killing node $v (corosync, ddraidd, stand-in and its disk, member $m) while every node writes; it holds $(sv "$v" .held_regions) regions"
	kill_node "$v"
	for i in $surv; do
		check "$tag: node $i records member $m failed, every other member active" \
			wait_for 60 "member $m failed on $i" mstates_are "$i" "$(want_states "$n" "$m")"
	done
	check "$tag: the failure moved events by exactly one ($ev0 -> $(st "$o" .events))" \
		test "$(st "$o" .events)" = $((ev0 + 1))
	check "$tag: the superblocks of the other members record member $m failed" \
		sh -c "for x in $surv; do [ \"\$($DDRAIDCTL examine --json $T/m\$((x - 1)).img | jq -r '.member_states[$m].state')\" = failed ] || exit 1; done"
	check "$tag: the dead node's own superblock is behind (stale)" \
		test "$(sb_events "$m")" -lt $((ev0 + 1))
	c=$(st "$o" .coordinator)
	check "$tag: its regions are resynced, nothing waits for fencing" \
		wait_for 60 "recovered" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$c $DDRAIDCTL status --json $VOL | jq '.dirty + .fence_wait')\" = 0 ]"
	check "$tag: the survivors see it gone: not attached, no orphan, no fencing asked" \
		test "$(node_view "$c" "$v")" = "- path_bad=0"
	torn=$(st "$c" .torn_regions)
	note "$tag: $torn of the $(journal_regions "$v") regions it wrote are its alone: torn, waiting for its disk"
	if [ "$m" -lt $((n - 1)) ]; then
		check "$tag: its regions wait for its disk (torn regions of member $m)" \
			test "$torn" -gt 0 -a "$torn" -le "$(journal_regions "$v")" -a \
			"$(st "$c" .torn_member)" = "$m"
	fi
	for i in $surv; do
		check "$tag: node $i keeps writing" writes_progress "$i" 40
	done
	# shellcheck disable=SC2086
	check "$tag: the survivors saw no IO error" test "$(errors_on $surv)" = 0
	# shellcheck disable=SC2086
	stall=$(stall_max $surv)
	note "$tag: the survivors' longest write stall after the kill: $stall ms (corosync token 5000 ms, fence delay 1 s, path fail ${PATH_FAIL_MS} ms)"
	# Bound (issue 8, item 8): corosync's detection, its token (5000 ms
	# plus 650 per node beyond two) and consensus (1.2 tokens), then one
	# fence_delay (1 s), and 5 s for the host's load.
	bound=$(( (5000 + 650 * (n - 2)) * 22 / 10 + 1000 + 5000 ))
	check "$tag: ... under $bound ms (corosync's detection + fence delay + 5 s)" \
		test "$stall" -lt "$bound"
	# Every acknowledged write is verified after the return: member $m's
	# fragments are then what the rebuild reconstructed from parity.
	dist_return "$v" "$tag"
	# Each node writes its own regions: the walk is the survivors'
	# (written while it was away) plus its torn ones, nothing else.
	want=$torn
	for i in $surv; do want=$((want + $(journal_regions "$i"))); done
	check "$tag: the walk was the survivors' regions and its torn ones ($want), exactly" \
		test "$DIST_WALKED" = "$want"
	finish "$tag"
	cluster_down
}

t_dist_node_kill() {
	note "dist_node_kill: 3 nodes each hosting its member, all writing; node 2 dies with its disk"
	dist_node_kill_common 3 2 dist_node_kill
}
t_dist_node_kill5() {
	note "dist_node_kill5: 5 nodes each hosting its member; node 1 (the coordinator) dies with its disk"
	dist_node_kill_common 5 1 dist_node_kill5
}

# path_fault_seen NODE MEMBER: the cluster (node 3's view and NODE's own)
# calls NODE's trouble with MEMBER a fault of its path
path_fault_seen() {
	local b=$((1 << $2)) i
	for i in $(seq 1 "$NODES"); do
		[ "$(st "$i" ".nodes[] | select(.nodeid == $1) | .path_bad")" = "$b" ] || return 1
	done
}
no_path_faults() {
	local i
	for i in $(seq 1 "$NODES"); do
		[ "$(st "$i" '[.nodes[].path_bad] | add')" = 0 ] || return 1
	done
}

t_dist_path_flap() {
	local ev0 a1 i
	note "dist_path_flap: node 1's path to member 1 (node 2's disk) drops for a few seconds"
	dist_start 3 || { not_ok "dist_path_flap: cluster starts"; cluster_down; return; }
	ev0=$(sb_events_all)
	cut_path 1 1
	check "dist_path_flap: node 1's target reports the member's errors" \
		wait_for 30 "MEMBER_ERROR" sh -c "[ \"\$(jq .member_errors $T/n1/stats.json)\" -ge 1 ]"
	check "dist_path_flap: every node calls it node 1's path fault" \
		wait_for 30 "path fault" path_fault_seen 1 1
	a1=$(sv 1 .acked)
	for i in 2 3; do
		check "dist_path_flap: node $i keeps writing while node 1's path is down" \
			writes_progress "$i" 40
	done
	# ddraidd's own IO goes the node's path too: node 1's probes of member
	# 1 fail, the others' succeed.
	check "dist_path_flap: node 1's daemon cannot read member 1 either (its probes fail)" \
		wait_for 10 "probe errors on 1" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq .io.probe_errors)\" -gt 0 ]"
	check "dist_path_flap: nodes 2 and 3 reach it (probes without error)" \
		test "$(st 2 .io.probe_errors)$(st 3 .io.probe_errors)" = 00
	check "dist_path_flap: node 1's writes that missed the member wait (held, not failed)" \
		test "$(sv 1 .held_completions)" -gt 0 -a "$(sv 1 .io_errors)" = 0
	note "dist_path_flap: node 1 acknowledged $(( $(sv 1 .acked) - a1 )) writes meanwhile, holds $(sv 1 .held_completions)"
	for i in 1 2 3; do
		check "dist_path_flap: node $i records no member failed" \
			mstates_are "$i" "$(want_states 3 -1)"
	done
	restore_path 1 1
	check "dist_path_flap: node 1's target is told to retry (PATH_RETRY)" \
		wait_for 30 "path retry" sh -c "[ \"\$(jq .path_retries $T/n1/stats.json)\" -ge 1 ]"
	check "dist_path_flap: the held writes complete" \
		wait_for 30 "held done" sh -c "[ \"\$(jq .held_completions $T/n1/stats.json)\" = 0 ]"
	check "dist_path_flap: node 1 writes again" writes_progress 1 40
	check "dist_path_flap: nobody has a path fault any more" wait_for 10 "no path faults" no_path_faults
	for i in 1 2 3; do
		check "dist_path_flap: node $i: every member active" \
			mstates_are "$i" "$(want_states 3 -1)"
	done
	check "dist_path_flap: superblock events unchanged ($ev0)" test "$(sb_events_all)" = "$ev0"
	check "dist_path_flap: no IO error anywhere" test "$(errors_on 1 2 3)" = 0
	finish dist_path_flap
	cluster_down
}

t_dist_two_flaps() {
	local ev0 i
	note "dist_two_flaps: node 1 loses member 1 and node 2 member 2 at the same time"
	dist_start 3 || { not_ok "dist_two_flaps: cluster starts"; cluster_down; return; }
	ev0=$(sb_events_all)
	cut_path 1 1
	cut_path 2 2
	check "dist_two_flaps: node 1's trouble with member 1 is its path's" \
		wait_for 30 "path fault 1" path_fault_seen 1 1
	check "dist_two_flaps: node 2's trouble with member 2 is its path's" \
		wait_for 30 "path fault 2" path_fault_seen 2 2
	check "dist_two_flaps: node 3 keeps writing" writes_progress 3 40
	for i in 1 2 3; do
		check "dist_two_flaps: node $i records no member failed" \
			mstates_are "$i" "$(want_states 3 -1)"
	done
	restore_path 1 1
	restore_path 2 2
	for i in 1 2; do
		check "dist_two_flaps: node $i retries its held writes" \
			wait_for 30 "path retry $i" sh -c "[ \"\$(jq .path_retries $T/n$i/stats.json)\" -ge 1 ] && [ \"\$(jq .held_completions $T/n$i/stats.json)\" = 0 ]"
		check "dist_two_flaps: node $i writes again" writes_progress "$i" 30
	done
	check "dist_two_flaps: nobody has a path fault any more" wait_for 10 "no path faults" no_path_faults
	check "dist_two_flaps: every member active everywhere, superblock events unchanged" \
		sh -c "[ \"$(sb_events_all)\" = \"$ev0\" ]"
	for i in 1 2 3; do
		check "dist_two_flaps: node $i: every member active" mstates_are "$i" "$(want_states 3 -1)"
	done
	check "dist_two_flaps: no IO error anywhere" test "$(errors_on 1 2 3)" = 0
	finish dist_two_flaps
	cluster_down
}

t_dist_path_withdraw() {
	local ev0 i stall
	note "dist_path_withdraw: node 3's path to member 0 stays down past --path-timeout 3"
	DIST_DAEMON_OPTS="--path-timeout 3 --sync-speed-max 0.26" dist_start 3 ||
		{ not_ok "dist_path_withdraw: cluster starts"; cluster_down; return; }
	ev0=$(sb_events_all)
	stall_reset 1 2
	cut_path 3 0
	check "dist_path_withdraw: every node calls it node 3's path fault" \
		wait_for 30 "path fault" path_fault_seen 3 0
	check "dist_path_withdraw: node 3's daemon withdraws and exits with status 3" \
		wait_for 60 "ddraidd 3 exits" sh -c "[ \"\$(cat $T/n3/ddraidd.rc 2>/dev/null)\" = 3 ]"
	check "dist_path_withdraw: ... saying why" \
		grep -q "withdrawn: member 0 is unreachable from this node" "$T/n3/ddraidd.log"
	check "dist_path_withdraw: node 3's target fails its IO" \
		wait_for 10 "node 3 fails IO" sh -c "[ \"\$(jq .withdrawn $T/n3/stats.json)\" = true ] && [ \"\$(jq .io_errors $T/n3/stats.json)\" -gt 0 ]"
	for i in 1 2; do
		check "dist_path_withdraw: node $i sees node 3 detached (no orphan, no fencing)" \
			wait_for 10 "node 3 detached on $i" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n$i $DDRAIDCTL status --json $VOL | jq -r '.nodes[] | select(.nodeid == 3) | (.detached|tostring) + (.orphaned|tostring) + (.fence_wanted|tostring)')\" = truefalsefalse ]"
		check "dist_path_withdraw: node $i keeps writing" writes_progress "$i" 40
		check "dist_path_withdraw: node $i: every member active" mstates_are "$i" "$(want_states 3 -1)"
	done
	check "dist_path_withdraw: nothing waits for node 3 (no fencing wait, its regions resynced)" \
		wait_for 30 "resynced" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq '.dirty + .fence_wait')\" = 0 ]"
	check "dist_path_withdraw: nodes 1 and 2 saw no IO error" test "$(errors_on 1 2)" = 0
	stall=$(stall_max 1 2)
	note "dist_path_withdraw: the others' longest write stall: $stall ms"
	check "dist_path_withdraw: ... never waiting for node 3 (under 5 s)" test "$stall" -lt 5000
	check "dist_path_withdraw: superblock events unchanged ($ev0)" test "$(sb_events_all)" = "$ev0"
	restore_path 3 0
	# shellcheck disable=SC2086
	daemon_start 3 $DIST_DAEMON_OPTS
	check "dist_path_withdraw: with the path back a restarted daemon attaches again" \
		wait_for 60 "node 3 attached" attached 3
	check "dist_path_withdraw: node 3 writes again" writes_progress 3 30
	check "dist_path_withdraw: nobody has a path fault any more" wait_for 30 "no path faults" no_path_faults
	for i in 1 2 3; do
		check "dist_path_withdraw: node $i: every member active" mstates_are "$i" "$(want_states 3 -1)"
	done
	finish dist_path_withdraw
	cluster_down
}

# dist_clean_stop_node NODE TAG: stop a node under load as an agent would
# (target first, then ddraidd with SIGTERM); its disk goes once it is down
dist_clean_stop_node() {
	local v=$1 tag=$2 m=$(($1 - 1)) i
	note "$tag: stopping node $v cleanly: its stand-in, then ddraidd (SIGTERM)"
	kill -TERM "$(cat "$T/n$v/standin.pid")"
	wait_for 10 "stand-in $v exits" sh -c "! kill -0 $(cat "$T/n$v/standin.pid") 2>/dev/null"
	kill -TERM "$(cat "$T/n$v/ddraidd.pid")"
	check "$tag: node $v's ddraidd exits with status 0" \
		wait_for 30 "ddraidd $v exits" sh -c "[ \"\$(cat $T/n$v/ddraidd.rc 2>/dev/null)\" = 0 ]"
	# Before its disk goes: the member must be out already.
	for i in $(seq 1 "$NODES"); do
		[ "$i" = "$v" ] && continue
		check "$tag: when it is gone node $i has member $m failed already" \
			mstates_are "$i" "$(want_states "$NODES" "$m")"
	done
	# corosync stays, as with 'pcs node standby': the node is in the
	# cluster, its daemon and target are not.
	host_gone "$v"
	check "$tag: it took its member out itself (DETACH, host leaving)" \
		grep -q "member $m out: its host stopped" "$T/n1/ddraidd.log"
}

t_dist_clean_stop() {
	local c i stall ev0
	note "dist_clean_stop: node 2 stops cleanly while all write"
	dist_start 3 || { not_ok "dist_clean_stop: cluster starts"; cluster_down; return; }
	ev0=$(st 1 .events)
	stall_reset 1 3
	dist_clean_stop_node 2 dist_clean_stop
	check "dist_clean_stop: events moved by one (member 1 failed)" test "$(st 1 .events)" = $((ev0 + 1))
	for i in 1 3; do
		check "dist_clean_stop: node $i sees node 2 detached, not orphaned, no fencing" \
			test "$(node_view "$i" 2)" = "d path_bad=0"
		check "dist_clean_stop: node $i keeps writing" writes_progress "$i" 40
	done
	check "dist_clean_stop: nothing waits: no fencing wait, its regions resynced" \
		wait_for 30 "resynced" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq '.dirty + .fence_wait')\" = 0 ]"
	check "dist_clean_stop: no IO error on nodes 1 and 3" test "$(errors_on 1 3)" = 0
	stall=$(stall_max 1 3)
	note "dist_clean_stop: the others' longest write stall: $stall ms"
	check "dist_clean_stop: ... nobody waited for node 2 (under 3 s)" test "$stall" -lt 3000
	stop_standins
	# Member 1 holds data: a degraded read takes its fragments from the
	# parity, so this checks the parity of every block written too.
	check "dist_clean_stop: every acknowledged write reads back degraded (member 1 from parity)" verify_volume
	check "dist_clean_stop: ddraidctl check refuses the degraded volume, saying why" \
		sh -c "! $DDRAIDCTL check $(echo "$MEMBERS" | tr , ' ') > $T/dcheck.out 2>&1 &&
		       grep -q 'member 1 is missing or failed: parity cannot be checked without every member' $T/dcheck.out"
	cluster_down
}

# union_is N: the slots of the members in use mark N regions
union_is() { [ "$(slot_union)" = "$1" ]; }

DIST_WALKED=
t_dist_return_readd() {
	local ever
	local DIST_OWN=1 DIST_QUIET=3
	note "dist_return_readd: node 3 writes its regions once; node 2 stops cleanly, node 1 writes on, node 2 returns with its disk"
	dist_start 3 || { not_ok "dist_return_readd: cluster starts"; cluster_down; return; }
	# Node 3's regions go idle and its bits are cleared: written once,
	# not since, a re-add need not walk them.
	check "dist_return_readd: node 3's regions go idle, its bits are cleared (the slots mark nodes 1 and 2's 16 regions)" \
		wait_for 30 "node 3's bits cleared" union_is 16
	dist_clean_stop_node 2 dist_return_readd
	writes_progress 1 60 > /dev/null
	ever=$(for i in 1 2 3; do awk '{ print int($2 / 16) }' "$T/n$i/journal"; done | sort -u | wc -l)
	note "dist_return_readd: the nodes have written $ever regions in all"
	# Node 2's own regions were resynced and their bits cleared when
	# it detached (every member was active then): its disk has them. What
	# it writes once back, skipping its member until the rebuild begins,
	# is marked and walked too.
	dist_return 2 dist_return_readd
	check "dist_return_readd: it walked node 1's 8 regions (written while node 2 was away) and what node 2 wrote since its return, not node 3's (written before, idle since): 8 <= $DIST_WALKED <= 16 < $ever" \
		test "$DIST_WALKED" -ge 8 -a "$DIST_WALKED" -le 16 -a "$ever" = 24
	check "dist_return_readd: no IO error anywhere" test "$(errors_on 1 2 3)" = 0
	finish dist_return_readd
	cluster_down
}

# Node 1's path to member 1 passes reads but fails writes (a network that
# passes small reads and drops large writes, say). Its target's writes to
# member 1 fail; the cluster calls it node 1's path fault; node 1's probe
# reads member 1's superblock, which works, so the target is told to
# retry (PATH_RETRY), its writes fail again, and so on. A fault within
# --path-timeout of the last good probe continues the first one
# (sm_target.c, path_work()), so the node withdraws after --path-timeout,
# as for a path that is down. (Before that rule it retried for ever.)
t_dist_half_path() {
	local ev0
	note "dist_half_path: node 1's path to member 1 passes reads, fails writes, for good"
	DIST_DAEMON_OPTS="--path-timeout 3 --sync-speed-max 0.33" dist_start 3 ||
		{ not_ok "dist_half_path: cluster starts"; cluster_down; return; }
	ev0=$(sb_events_all)
	stall_reset 2 3
	cut_path 1 1 "$PATH_FAIL_MS writes"
	check "dist_half_path: every node calls it node 1's path fault" \
		wait_for 30 "path fault" path_fault_seen 1 1
	check "dist_half_path: node 1 withdraws within 3 s + 20 s (exit status 3)" \
		wait_for 23 "ddraidd 1 exits" sh -c "[ \"\$(cat $T/n1/ddraidd.rc 2>/dev/null)\" = 3 ]"
	note "dist_half_path: node 1 was told to retry $(sv 1 .path_retries) times; its daemon logged $(grep -c 'answers again' "$T/n1/ddraidd.log") successful probes"
	check "dist_half_path: nodes 2 and 3 keep writing" writes_progress 2 30
	check "dist_half_path: nothing recorded failed" test "$(sb_events_all)" = "$ev0"
	restore_path 1 1
	cluster_down
}
