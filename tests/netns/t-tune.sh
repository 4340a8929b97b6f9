# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run-netns-tests.sh: rates tuned cluster-wide at runtime
# ("ddraidctl set", MSG_TUNE) on 3 nodes that keep writing. A setting made
# through one daemon shows on every other one, with its source, and in a
# "tuned" event; a scrub runs at the rate set and speeds up when the rate
# is raised, without a restart; a key given back ("node") is each node's
# own --sync-speed-max again (node 3 has its own); a daemon that starts
# later takes the rates with the state; bad arguments change nothing.
# shellcheck shell=bash

# rate NODE KEY: "BYTES_PER_S SOURCE" of KEY in node's status
rate() {
	st "$1" ".rates[\"$2\"] | (.bytes_per_s|tostring) + \" \" + .source"
}

rate_is() { # rate_is "BYTES SOURCE" KEY NODE...: every node says so
	local want=$1 key=$2 i; shift 2
	for i in "$@"; do
		[ "$(rate "$i" "$key")" = "$want" ] || return 1
	done
}

set_ctl() { # set_ctl NODE ARGS...: ddraidctl set via NODE's daemon
	local n=$1; shift
	DDRAID_CTL_DIR=$T/n$n "$DDRAIDCTL" set "$VOL" "$@"
}

t_tune() {
	local i d0 d1 t0 t1 bound
	note "tune: 3 nodes writing; node 3 runs with its own --sync-speed-max 7"
	cluster_up 3
	members_create 3 24M || { not_ok "tune: create"; return; }
	for i in 1 2 3; do wait_for 40 "node $i quorate" quorate_on "$i"; done
	daemon_start 1
	daemon_start 2
	daemon_start 3 --sync-speed-max 7
	for i in 1 2 3; do
		standin_start "$i" --blocks 96 --rate 60 --idle-ms 1000
	done
	wait_for 40 "attached" all_attached 1 2 3 || { not_ok "tune: cluster starts"; return; }

	check "tune: before any set, each node's rates are its own options" \
		sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -r '.rates[\"rebuild-rate\"].source')\" = node ]"
	check "tune: ... node 3's own --sync-speed-max 7" \
		rate_is "7000000 node" scrub-rate 3
	check "tune: ... node 1 unlimited" rate_is "0 node" scrub-rate 1

	check "tune: set with an unknown key is refused (exit 2)" \
		sh -c "set_rc=0; DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL set $VOL rebuild-rate=5 speed=1 2>/dev/null || set_rc=\$?; [ \$set_rc = 2 ]"
	check "tune: set with a bad rate is refused (exit 2)" \
		sh -c "set_rc=0; DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL set $VOL rebuild-rate=5M 2>/dev/null || set_rc=\$?; [ \$set_rc = 2 ]"
	# requests ddraidctl would never build: each refused with a reason
	for req in '{"cmd":"set"}' '{"cmd":"set","speed":1}' \
		'{"cmd":"set","rebuild-rate":"5"}' '{"cmd":"set","rebuild-rate":-1}' \
		'{"cmd":"set","rebuild-rate":5.5}' '{"cmd":"set","scrub-rate":1000000000001}' \
		'{"cmd":"set","rebuild-rate":true}'; do
		check "tune: control request $req is refused" sh -c \
			"echo '$req' | python3 $HERE/ctlsend.py $T/n1/$VOL.sock | jq -e '.ok == false and (.error | length > 0)' >/dev/null"
	done
	check "tune: ... and nothing was set on any node" \
		rate_is "0 node" rebuild-rate 1 2

	# 0.131072 MB/s: two regions of 64 KiB a second; no floor, so the
	# writers' load does not pick another rate.
	check "tune: set via node 1 is accepted" \
		set_ctl 1 rebuild-rate=5 scrub-rate=0.131072 sync-speed-min=0
	for i in 1 2 3; do
		check "tune: node $i has the rates, set for the cluster" \
			wait_for 10 "node $i tuned" sh -c "
			    [ \"\$(DDRAID_CTL_DIR=$T/n$i $DDRAIDCTL status --json $VOL | jq -r '[.rates[] | (.bytes_per_s|tostring) + \" \" + .source] | join(\",\")')\" = '5000000 cluster,131072 cluster,0 cluster' ]"
	done
	check "tune: status on node 3 prints them in MB/s with their source" \
		sh -c "DDRAID_CTL_DIR=$T/n3 $DDRAIDCTL status $VOL | grep -q 'rates (MB/s) rebuild-rate 5 (cluster), scrub-rate 0.131072 (cluster), sync-speed-min 0 none (cluster)'"
	for i in 1 2 3; do
		check "tune: node $i's daemon reported the tuned event" \
			wait_for 10 "node $i event" grep -q 'event tuned rebuild-rate=5000000 scrub-rate=131072 sync-speed-min=0' "$T/n$i/ddraidd.log"
	done

	check "tune: a scrub is accepted (via node 2)" \
		env DDRAID_CTL_DIR="$T/n2" "$DDRAIDCTL" scrub "$VOL"
	wait_for 20 "scrub started" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -r .scrub.done)\" -ge 1 ]"
	d0=$(st 1 .scrub.done); t0=$(date +%s%N)
	sleep 4	# measuring a rate: an upper bound, a slow host only lowers it
	d1=$(st 1 .scrub.done); t1=$(date +%s%N)
	# two regions a second, one ahead of the pace, one window's rounding
	bound=$(( (t1 - t0) / 500000000 + 3 ))
	note "tune: scrubbed $((d1 - d0)) regions in $(( (t1 - t0) / 1000000 )) ms at 2 regions/s (bound $bound)"
	check "tune: the scrub keeps the rate set through node 1" \
		test "$((d1 - d0))" -le "$bound"
	check "tune: ... and runs" test "$d1" -ge 1
	check "tune: raising scrub-rate (0: unlimited, via node 3) is accepted" \
		set_ctl 3 scrub-rate=0
	check "tune: ... and the same scrub finishes, no restart" \
		wait_for 120 "scrub finished" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n2 $DDRAIDCTL status --json $VOL | jq -r .scrub.state)\" = finished ]"

	check "tune: scrub-rate=node (via node 2) is accepted" \
		set_ctl 2 scrub-rate=node
	check "tune: ... node 3 uses its own --sync-speed-max again" \
		wait_for 10 "node 3 own" rate_is "7000000 node" scrub-rate 3
	check "tune: ... node 1 its own (unlimited)" \
		wait_for 10 "node 1 own" rate_is "0 node" scrub-rate 1
	check "tune: ... the other keys are kept" \
		rate_is "5000000 cluster" rebuild-rate 1 2 3

	note "tune: node 2's daemon killed and started again: it joins with the state"
	kill -9 "$(cat "$T/n2/ddraidd.pid")"
	wait_for 30 "node 2 orphaned" sh -c "DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq -e '.nodes[] | select(.nodeid == 2) | .orphaned' >/dev/null"
	daemon_start 2
	check "tune: node 2's new daemon attaches" wait_for 60 "attached" all_attached 1 2 3
	check "tune: ... and has the rates set for the cluster" \
		rate_is "5000000 cluster" rebuild-rate 2
	check "tune: ... and the key given back" rate_is "0 node" scrub-rate 2
	check "tune: the writers saw no IO error" \
		test "$(( $(sv 1 .io_errors) + $(sv 2 .io_errors) + $(sv 3 .io_errors) ))" = 0
	stop_standins
	check "tune: every acknowledged write reads back (all nodes' journals)" verify_volume
	check "tune: parity is consistent on every block (ddraidctl check)" parity_clean
	cluster_down
}
