#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The argument side of ddraidctl's online commands (scrub, set, status) against
# a stand-in control socket that records every request: bad arguments are
# refused with exit 2 and send nothing; good ones send exactly the request
# docs/ddraidd.md names; the daemon's refusal reaches the user with its
# reason (exit 1).
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi

export DDRAID_CTL_DIR="$T"
: >"$T/reqs"
printf '%s\n' '{"ok":true,"accepted":true}' >"$T/reply"

# One request per connection: appended to reqs, answered with the reply file.
fake_ctl "$T/vol1.sock" "$T/reply" "$T/reqs"
server=$fake_ctl_pid
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT

nreqs() { wc -l <"$T/reqs" | tr -d ' '; }
lastreq() { tail -n 1 "$T/reqs"; }

# Refused before anything is sent.
for args in "scrub" "scrub vol1 --repair --cancel" "scrub vol1 --bogus" \
	"scrub vol1 extra" "scrub ../vol1" "scrub .hidden" "scrub vol1 -r -c"; do
	# shellcheck disable=SC2086
	expect 2 "ddraidctl $args: usage error" $args
done
t "bad scrub arguments sent no request" test "$(nreqs)" = 0

expect 0 "scrub VOL: accepted" scrub vol1
t "scrub VOL asks for a check" \
	test "$(lastreq)" = '{"cmd":"scrub","mode":"check"}'
expect 0 "scrub VOL --repair: accepted" scrub vol1 --repair
t "scrub --repair asks for a repair" \
	test "$(lastreq)" = '{"cmd":"scrub","mode":"repair"}'
expect 0 "scrub VOL --cancel: accepted" scrub --cancel vol1
t "scrub --cancel asks to cancel" \
	test "$(lastreq)" = '{"cmd":"scrub","cancel":true}'
t "one request per accepted command" test "$(nreqs)" = 3

# set: every KEY=VALUE checked before anything is sent.
for args in "set vol1" "set vol1 rebuild-rate" "set vol1 =5" \
	"set vol1 bogus=5" "set vol1 rebuild-rate=5 rebuild-rate=6" \
	"set vol1 rebuild-rate=5 scrub-rate=fast" "set vol1 rebuild-rate=" \
	"set vol1 rebuild-rate=1000001" "set vol1 rebuild-rate=0.0000001" \
	"set vol1 rebuild-rate=50M" "set vol1 rebuild-rate=-1" \
	"set vol1 sync-speed-min=5 bogus=node" "set ../vol1 rebuild-rate=5" \
	"set vol1 Rebuild-rate=5" "set vol1 rebuild-rate=5 --bogus"; do
	# shellcheck disable=SC2086
	expect 2 "ddraidctl $args: usage error" $args
done
t "bad set arguments sent no request" test "$(nreqs)" = 3
expect 2 "set with a key twice ..." set vol1 scrub-rate=1 scrub-rate=1
err_has "... says which key" "'scrub-rate' is given twice"
expect 2 "set with an unknown key ..." set vol1 speed=1
err_has "... names the keys" "rebuild-rate, scrub-rate, sync-speed-min"

expect 0 "set VOL rebuild-rate=50: accepted" set vol1 rebuild-rate=50
t "... sends bytes/s" \
	test "$(lastreq)" = '{"cmd":"set","rebuild-rate":50000000}'
expect 0 "set VOL with every key: accepted" \
	set vol1 scrub-rate=0.5 sync-speed-min=1000000 rebuild-rate=0
t "... sends each, as given, fractions to the byte" \
	test "$(lastreq)" = '{"cmd":"set","scrub-rate":500000,"sync-speed-min":1000000000000,"rebuild-rate":0}'
expect 0 "set KEY=node: accepted" set vol1 scrub-rate=node sync-speed-min=0.000001
t "... sends null: back to each node's own option" \
	test "$(lastreq)" = '{"cmd":"set","scrub-rate":null,"sync-speed-min":1}'
t "one request per accepted set" test "$(nreqs)" = 6

printf '%s\n' '{"ok":false,"error":"not quorate, or this daemon has no cluster state yet"}' >"$T/reply"
expect 1 "set refused by ddraidd fails" set vol1 rebuild-rate=5
err_has "... with the daemon's reason" "not quorate"

printf '%s\n' '{"ok":false,"error":"a rebuild is running: scrub after it has finished"}' >"$T/reply"
expect 1 "a refusal by ddraidd fails the command" scrub vol1 --repair
err_has "... with the daemon's reason" "rebuild is running"

expect 1 "no daemon for the volume: clear error" scrub vol2
err_has "... naming the socket" "vol2.sock"

# ---- scheduled scrubs (ddraid-scrub.timer): --scheduled PERIOD, --all ----
printf '%s\n' '{"ok":true,"accepted":true}' >"$T/reply"
: >"$T/reqs"
for args in "scrub vol1 --scheduled" "scrub vol1 --scheduled year" \
	"scrub vol1 --scheduled Month" "scrub vol1 --scheduled ''" \
	"scrub vol1 --scheduled month --cancel" "scrub --all vol1" \
	"scrub --scheduled month" "scrub --all --repair --cancel"; do
	# shellcheck disable=SC2086
	eval "set -- $args"
	expect 2 "ddraidctl $args: usage error" "$@"
done
t "bad scheduled-scrub arguments sent no request" test "$(nreqs)" = 0

# The label: days since 1970-01-01 of the period's first day, in local
# time. label_of DAY: that day's number.
label_of() { echo $(($(date -u -d "$1" +%s) / 86400)); }
# first_day PERIOD: the first day of the period holding now (TZ applies).
first_day() {
	case $1 in
	month) date +%Y-%m-01 ;;
	week) date -d "$(date +%F) -$(($(date +%u) - 1)) days" +%F ;;
	day) date +%F ;;
	esac
}
for tz in UTC XXX-14 XXX+12; do
	for p in month week day; do
		# a period may begin while it runs: either is right then
		d1=$(TZ=$tz first_day $p)
		TZ=$tz ctl scrub vol1 --scheduled $p
		d2=$(TZ=$tz first_day $p)
		got=$(lastreq)
		ok_req=0
		for d in "$d1" "$d2"; do
			[ "$got" = "{\"cmd\":\"scrub\",\"mode\":\"check\",\"scheduled\":$(label_of "$d")}" ] &&
				grep -q "vol1: scrub of the period from $d asked for" "$T/out" &&
				ok_req=1
		done
		t "TZ=$tz --scheduled $p: the label is the day number of $d2 (local), exit 0" \
			[ "$rc" = 0 ] && [ $ok_req = 1 ]
		[ $ok_req = 1 ] || { echo "# got $got"; sed 's/^/# /' "$T/out" "$T/err"; }
	done
done
t "label arithmetic of the test itself: 2026-12-01 is day 20788" \
	[ "$(label_of 2026-12-01)" = 20788 ]
expect 0 "--scheduled month --repair: accepted" scrub vol1 --scheduled month --repair
t "... asks for a repair with the label" \
	sh -c "tail -n 1 '$T/reqs' | grep -Eq '^\{\"cmd\":\"scrub\",\"mode\":\"repair\",\"scheduled\":[0-9]+\}\$'"

printf '%s\n' '{"ok":true,"skipped":"the scheduled scrub of this period has started already (asked for by another node)"}' >"$T/reply"
expect 0 "a skipped scheduled scrub is no failure" scrub vol1 --scheduled month
out_has "... and says why" "^vol1: skipped: the scheduled scrub of this period has started already"
printf '%s\n' '{"ok":false,"error":"not quorate, or this daemon has no cluster state yet"}' >"$T/reply"
expect 1 "a scheduled scrub the daemon cannot ask for fails" scrub vol1 --scheduled month
err_has "... naming the volume and the reason" "vol1: not quorate"

# --all: every volume with a socket, in name order; one failing volume
# fails the command but the others are still asked.
printf '%s\n' '{"ok":true,"accepted":true}' >"$T/reply"
printf '%s\n' '{"ok":true,"skipped":"a rebuild is running: scrub after it has finished"}' >"$T/reply2"
: >"$T/reqs2"
fake_ctl "$T/vol2.sock" "$T/reply2" "$T/reqs2"
server2=$fake_ctl_pid
trap 'kill $server $server2 2>/dev/null; rm -rf "$T"' EXIT
: >"$T/reqs"
expect 0 "--all --scheduled month: every volume asked" scrub --all --scheduled month
t "... one request each, with the label" \
	[ "$(nreqs)" = 1 ] && [ "$(wc -l <"$T/reqs2")" = 1 ] &&
	grep -q '"scheduled":' "$T/reqs" && grep -q '"scheduled":' "$T/reqs2"
t "... one line per volume, in name order" \
	sh -c "sed -n 1p '$T/out' | grep -q '^vol1: scrub of the period from' &&
	       sed -n 2p '$T/out' | grep -q '^vol2: skipped: a rebuild is running'"
expect 0 "--all --cancel: accepted" scrub --all --cancel
t "... asks each volume to cancel" \
	[ "$(lastreq)" = '{"cmd":"scrub","cancel":true}' ] &&
	[ "$(tail -n 1 "$T/reqs2")" = '{"cmd":"scrub","cancel":true}' ]
printf '%s\n' '{"ok":false,"error":"a scrub is already running (--cancel stops it)"}' >"$T/reply"
: >"$T/reqs2"
expect 1 "--all: a refusal on one volume fails the command" scrub --all
t "... after asking the other one too" [ "$(wc -l <"$T/reqs2")" = 1 ]
err_has "... naming the volume" "vol1: a scrub is already running"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/vol0.sock"
printf '%s\n' '{"ok":true,"accepted":true}' >"$T/reply"
: >"$T/reqs"
expect 1 "--all: a socket nobody answers on fails the command" scrub --all --scheduled month
err_has "... naming it" "vol0.sock"
t "... and the others are asked anyway" [ "$(nreqs)" = 1 ]
rm -f "$T/vol0.sock"
mkdir "$T/empty"
DDRAID_CTL_DIR="$T/empty" expect 0 "--all with no daemon on the node: nothing to do" \
	scrub --all --scheduled month
out_has "... says so" "no volume with a ddraidd on this node"

printf '%s\n' '{"ok":true,"volume":"vol1","uuid":"u","nodeid":1,"coordinator":1,"quorate":true,"has_state":true,"attached":true,"frozen":false,"events":3,"regions":40,"region_size":65536,"dirty":0,"fence_wait":0,"members":[],"nodes":[],"rebuild":{"active":false},"scrub":{"state":"running","active":true,"mode":"repair","done":12,"total":40,"mismatches":5,"repaired":5}}' >"$T/reply"
expect 0 "status shows a running scrub" status vol1
t "... and no rates line when the daemon sends none" \
	sh -c "! grep -q rates '$T/out'"
out_has "... with mode, progress and counts" \
	"scrub \(repair\) running: 12 of 40 regions, 5 blocks' parity differed, 5 rewritten"
expect 0 "status --json passes the scrub object through" status --json vol1
t "... unchanged" sh -c "grep -q '\"mismatches\": *5' '$T/out'"
ctl status vol1
t "status without a scheduled scrub: no line for one" \
	sh -c "[ $rc = 0 ] && ! grep -q 'last scheduled' '$T/out'"
printf '%s\n' '{"ok":true,"volume":"vol1","regions":40,"members":[],"nodes":[],"scrub":{"state":"finished","active":false,"mode":"check","done":40,"total":40,"mismatches":0,"repaired":0,"last_scheduled":"2026-12-01"}}' >"$T/reply"
expect 0 "status shows the period of the last scheduled scrub" status vol1
out_has "... by its first day" "last scheduled scrub: the period from 2026-12-01"

printf '%s\n' '{"ok":true,"volume":"vol1","uuid":"u","nodeid":1,"coordinator":1,"quorate":true,"has_state":true,"attached":true,"frozen":false,"events":3,"regions":40,"region_size":65536,"dirty":0,"fence_wait":7,"members":[],"nodes":[],"rebuild":{"active":false},"scrub":{"state":"none"},"fencing":{"mode":"pacemaker","required":true,"two_node":false,"requests":[{"nodeid":2,"state":"confirmed","since":"2026-12-06T10:00:01.000Z","counts_after":"2026-12-06T10:00:00.000Z","fenced":"2026-12-06T10:00:03.500Z","attempts":0,"kicks":1},{"nodeid":3,"state":"failed","since":"2026-12-06T10:01:00.000Z","counts_after":"2026-12-06T10:00:59.000Z","attempts":2,"kicks":2,"reason":"No data available (-61)","retry_in_ms":3000}]}}' >"$T/reply"
expect 0 "status shows the fencing mode and requests" status vol1
out_has "... mode and whether it is required" \
	"fencing pacemaker, required for every departed node"
out_has "... a confirmed fencing and when it happened" \
	"fencing node 2 since 2026-12-06T10:00:01.000Z: confirmed \(fenced at 2026-12-06T10:00:03.500Z\)"
out_has "... a failed one with its reason and retry" \
	"fencing node 3 since 2026-12-06T10:01:00.000Z: failed \(2 attempts: No data available \(-61\); retry in 3000 ms\)"

printf '%s\n' '{"ok":true,"volume":"vol1","uuid":"u","nodeid":1,"coordinator":1,"quorate":true,"has_state":true,"attached":true,"frozen":false,"events":3,"regions":40,"region_size":65536,"dirty":0,"fence_wait":0,"members":[],"nodes":[],"rebuild":{"active":false},"scrub":{"state":"none"},"rates":{"rebuild-rate":{"bytes_per_s":50000000,"source":"cluster"},"scrub-rate":{"bytes_per_s":0,"source":"node"},"sync-speed-min":{"bytes_per_s":500000,"source":"node"}}}' >"$T/reply"
expect 0 "status shows the rates" status vol1
out_has "... in MB/s as set takes them, each with its source" \
	"rates \(MB/s\) rebuild-rate 50 \(cluster\), scrub-rate 0 unlimited \(node\), sync-speed-min 0.5 \(node\)"
expect 0 "status --json passes the rates through" status --json vol1
t "... unchanged" sh -c "grep -q '\"bytes_per_s\": *50000000' '$T/out'"

done_testing
