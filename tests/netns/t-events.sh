# SPDX-License-Identifier: GPL-2.0-only
# Sourced by run-netns-tests.sh: operator events (docs/events.md) on 3
# nodes that keep writing. ddraidctl events (text and --json) watches node
# 1's daemon while a member is recorded failed through node 2's daemon
# (ddraidctl fail) and rebuilt online onto a new file; the events arrive
# in order, and ddraidctl monitor --oneshot reports the degraded volume
# (exit 1, also to a --program) and nothing once it is healthy (exit 0);
# ddraidctl metrics shows the failed member.
# shellcheck shell=bash

# ev_ctl NODE ARGS...: ddraidctl ARGS against NODE's daemon
ev_ctl() {
	local n=$1; shift
	DDRAID_CTL_DIR=$T/n$n "$DDRAIDCTL" "$@"
}

# oneshot NODE [ARGS]: monitor --oneshot, output in $T/oneshot.out, status in $T/oneshot.rc
oneshot() {
	local n=$1; shift
	ev_ctl "$n" monitor --oneshot "$@" "$VOL" >"$T/oneshot.out" 2>&1
	echo $? >"$T/oneshot.rc"
}

# The events of interest in $1, in the order printed, on one line.
ev_order() {
	awk '{ print $3 }' "$1" | grep -xE 'member-failed|volume-degraded|rebuild-start|rebuild-end|member-active|volume-healthy' | tr '\n' ' '
}

t_events() {
	local i newm t0 pids want
	note "events: ddraidctl events/monitor through a member failure and an online rebuild"
	t0=$(date +%s)
	cluster_up 3
	members_create 3 8M || { not_ok "events: create"; return; }
	for i in 1 2 3; do wait_for 40 "node $i quorate" quorate_on "$i"; done
	for i in 1 2 3; do
		daemon_start "$i"
		standin_start "$i" --blocks 48 --rate 40 --idle-ms 1000
	done
	wait_for 40 "attached" all_attached 1 2 3 || { not_ok "events: cluster starts"; return; }
	writes_progress 1 10 >/dev/null

	oneshot 1
	check "events: monitor --oneshot on a healthy volume: exit 0, nothing reported" \
		sh -c "[ \"\$(cat $T/oneshot.rc)\" = 0 ] && [ ! -s $T/oneshot.out ]"

	ev_ctl 1 events --timeout 60 "$VOL" >"$T/events.txt" 2>"$T/events.err" &
	pids=$!
	ev_ctl 1 events --json --timeout 60 "$VOL" >"$T/events.json" 2>&1 &
	pids="$pids $!"
	check "events: both event streams are subscribed" \
		wait_for 10 "2 subscribers" sh -c "[ \"\$(DDRAID_CTL_DIR=$T/n1 $DDRAIDCTL status --json $VOL | jq .event_subscribers)\" = 2 ]"

	check "events: ddraidctl fail --member 1 (through node 2) is accepted" \
		ev_ctl 2 fail "$VOL" --member 1
	for i in 1 2 3; do
		wait_for 30 "member 1 failed on $i" member_state_is "$i" 1 failed
	done
	check "events: member-failed member=1 printed" \
		wait_for 10 "member-failed" grep -q ' member-failed member=1 ' "$T/events.txt"
	oneshot 1
	check "events: monitor --oneshot on the degraded volume exits 1" \
		test "$(cat "$T/oneshot.rc")" = 1
	check "events: monitor --oneshot reports the failed member and the degraded volume" \
		sh -c "grep -q ' $VOL member-failed member=1 ' $T/oneshot.out && grep -q ' $VOL volume-degraded member=1' $T/oneshot.out"
	sed 's/^/# monitor --oneshot: /' "$T/oneshot.out"
	cat >"$T/prog.sh" <<-'PROG'
	#!/bin/sh
	echo "$1|$2|$3|$DDRAID_EVENT|$DDRAID_MEMBER" >>"${0%/*}/prog.out"
	PROG
	chmod +x "$T/prog.sh"
	oneshot 1 --program "$T/prog.sh"
	check "events: monitor --program runs PROG EVENT VOLUME DETAILS with DDRAID_* set" \
		grep -q "^member-failed|$VOL|member=1 .*|member-failed|1\$" "$T/prog.out"

	ev_ctl 1 metrics "$VOL" >"$T/metrics.out"
	check "events: metrics shows member 1 failed, one member out" \
		sh -c "grep -qx 'ddraid_member_state{volume=\"$VOL\",member=\"1\",state=\"failed\"} 1' $T/metrics.out && grep -qx 'ddraid_members_out{volume=\"$VOL\"} 1' $T/metrics.out"

	newm=$T/m1new.img
	truncate -s 8M "$newm"
	check "events: ddraidctl rebuild is accepted" \
		ev_ctl 1 rebuild "$VOL" --member 1 "$newm"
	for i in 1 2 3; do
		wait_for 60 "member 1 active on $i" member_state_is "$i" 1 active
	done
	check "events: volume-healthy printed after the rebuild" \
		wait_for 10 "volume-healthy" grep -q ' volume-healthy' "$T/events.txt"
	sleep 0.5
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	wait $pids 2>/dev/null
	sed 's/^/# events: /' "$T/events.txt"
	want="member-failed volume-degraded rebuild-start rebuild-end member-active volume-healthy "
	check "events: in order: $want" test "$(ev_order "$T/events.txt")" = "$want"
	check "events: lines are TIME VOLUME EVENT key=value" \
		sh -c "! grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z $VOL [a-z-]+( [a-z_]+=[^ ]+)*\$' $T/events.txt"
	check "events: rebuild-end gives its progress (done = total) and result=done" \
		grep -qE ' rebuild-end member=1 done=([0-9]+) total=\1 result=done$' "$T/events.txt"
	check "events: --json prints the same events, each with version 1" \
		sh -c "[ \"\$(jq -r 'select(.version == 1) | .event' $T/events.json | tr '\n' ' ')\" = \"\$(awk '{ printf \"%s \", \$3 }' $T/events.txt)\" ]"
	oneshot 1
	check "events: monitor --oneshot on the healthy volume again: exit 0, nothing" \
		sh -c "[ \"\$(cat $T/oneshot.rc)\" = 0 ] && [ ! -s $T/oneshot.out ]"
	stop_standins
	MEMBERS=$T/m0.img,$newm,$T/m2.img
	check "events: every acknowledged write reads back after the rebuild" verify_volume
	note "events: took $(( $(date +%s) - t0 )) s"
	cluster_down
}
