#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The argument side of ddraidctl events, monitor and metrics against a
# stand-in control socket that records every request and answers with a
# reply file (for events: the subscription's reply, then event lines):
# bad arguments are refused with exit 2 and send nothing; the event
# stream is printed as text lines or JSON; monitor --oneshot reports the
# current problems (exit 1) or nothing (exit 0), also to a --program;
# metrics prints the Prometheus text format.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi

export DDRAID_CTL_DIR="$T"
: >"$T/reqs"

# One request per connection: appended to reqs, answered with the reply
# file; the connection stays open 3 s more while $T/hold exists.
fake_ctl "$T/vol1.sock" "$T/reply" "$T/reqs" "$T/hold"
server=$fake_ctl_pid
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT

nreqs() { wc -l <"$T/reqs" | tr -d ' '; }
lastreq() { tail -n 1 "$T/reqs"; }

cat >"$T/prog.sh" <<'PROG'
#!/bin/sh
echo "$1|$2|$3|$DDRAID_EVENT|$DDRAID_VOLUME|$DDRAID_MEMBER" >>"${0%/*}/prog.out"
PROG
chmod +x "$T/prog.sh"
: >"$T/notexec"

# Refused before anything is sent.
for args in "events vol1 vol2" "events --timeout 0 vol1" "events --timeout x vol1" \
	"events -t" "events ../vol1" "events --bogus vol1" "events --json=1 vol1" \
	"events --settle 0 vol1" "events --settle 60001 vol1" "events -s x vol1" \
	"monitor --program" "monitor --program $T/nonexistent vol1" \
	"monitor --program $T/notexec vol1" \
	"monitor --oneshot=yes vol1" "monitor .hidden" "monitor vol1 ../x" \
	"metrics vol1 vol2" "metrics --json vol1" "metrics ../vol1"; do
	# shellcheck disable=SC2086
	expect 2 "ddraidctl $args: usage error" $args
done
expect 2 "monitor --program NAME not in PATH: usage error" monitor --program no-such-program-x vol1
err_has "... naming the program" "no-such-program-x: not an executable program"
t "bad arguments sent no request" test "$(nreqs)" = 0

E1='{"version":1,"time":"2026-12-06T10:00:00.123Z","volume":"vol1","event":"member-failed","member":1,"events":7,"reason":"error"}'
E2='{"version":1,"time":"2026-12-06T10:00:00.124Z","volume":"vol1","event":"volume-degraded","member":1}'
printf '%s\n%s\n%s\n' '{"ok":true,"version":1,"volume":"vol1","current":[]}' "$E1" "$E2" >"$T/reply"

expect 0 "events --once: the first event" events --once vol1
t "events subscribes with {\"cmd\":\"events\"}" test "$(lastreq)" = '{"cmd":"events"}'
t "... and prints it as TIME VOLUME EVENT key=value" \
	test "$(cat "$T/out")" = "2026-12-06T10:00:00.123Z vol1 member-failed member=1 events=7 reason=error"
expect 1 "events: the daemon closing the stream ends it (exit 1)" events vol1
t "... after printing every event" test "$(wc -l <"$T/out")" = 2
out_has "... the second as well" "^2026-12-06T10:00:00.124Z vol1 volume-degraded member=1\$"
err_has "... saying the daemon closed the stream" "closed the event stream"
expect 1 "events --json" events --json vol1
t "... one JSON object per line, with version 1" \
	test "$(jq -r '"\(.version) \(.event)"' "$T/out" | tr '\n' ' ')" = "1 member-failed 1 volume-degraded "
expect 0 "events without a volume finds the daemon's socket" events --once -j
t "... and prints its first event" test "$(jq -r .event "$T/out")" = member-failed

printf '%s\n' '{"ok":true,"version":1,"volume":"vol1","current":[]}' >"$T/reply"
: >"$T/hold"
expect 1 "events --once --timeout 1 with no event: exit 1" events --once --timeout 1 vol1
err_has "... saying so" "no event within 1 s"
expect 0 "events --timeout 1 with no event: exit 0" events -t 1 vol1
rm -f "$T/hold"

# --settle: a burst is printed as its last event once the stream is quiet.
E3='{"version":1,"time":"2026-12-06T10:00:02.000Z","volume":"vol1","event":"volume-healthy"}'
printf '%s\n' '{"ok":true,"version":1,"volume":"vol1","current":[]}' "$E1" "$E2" >"$T/reply"
expect 1 "events --settle 200: the stream closing ends it (exit 1)" events --settle 200 vol1
t "... after printing the burst's last event only" \
	test "$(cat "$T/out")" = "2026-12-06T10:00:00.124Z vol1 volume-degraded member=1"
printf '%s\n' '{"ok":true,"version":1,"volume":"vol1","current":[]}' "$E1" "$E2" \
	'#sleep 2' "$E3" >"$T/reply"
: >"$T/hold"
# Two bursts 2 s apart, then the stream stays open 3 s more: each burst's
# line must come once it is quiet, while the stream is still open.
"$DDRAIDCTL" events --settle 300 --json vol1 >"$T/out" 2>"$T/err" &
ev_pid=$!
i=0
while [ "$(wc -l <"$T/out")" -lt 2 ] && [ $i -lt 80 ]; do
	sleep 0.05
	i=$((i + 1))
done
t "events --settle 300: a line per burst as it goes quiet, the stream still open" \
	sh -c "[ \"\$(wc -l <'$T/out')\" = 2 ] && kill -0 $ev_pid"
wait $ev_pid
t "... the bursts' last events" \
	test "$(jq -r .event "$T/out" | tr '\n' ' ')" = "volume-degraded volume-healthy "
expect 0 "events --settle 300 --once: the first burst" events -s 300 -1 vol1
t "... as its last event" \
	test "$(cat "$T/out")" = "2026-12-06T10:00:00.124Z vol1 volume-degraded member=1"
rm -f "$T/hold"

printf '%s\n' '{"ok":false,"error":"unknown command (status, rebuild, fail, fenced, scrub)"}' >"$T/reply"
expect 1 "an old daemon without events: exit 1" events vol1
err_has "... with its reason" "did not accept the subscription: unknown command"

expect 1 "events of a volume without a daemon" events vol2
err_has "... names the socket it looked for" "vol2.sock"

# monitor --oneshot: the problems the subscription's reply lists.
printf '%s\n' "{\"ok\":true,\"version\":1,\"volume\":\"vol1\",\"current\":[$E1,$E2]}" >"$T/reply"
n=$(nreqs)
expect 1 "monitor --oneshot on a degraded volume: exit 1" monitor --oneshot vol1
t "... it subscribed once" test "$(nreqs)" = $((n + 1))
out_has "... reports the failed member" " vol1 member-failed member=1 events=7 reason=error\$"
out_has "... and the degraded volume" " vol1 volume-degraded member=1\$"
expect 1 "monitor --oneshot without a volume finds it" monitor -1
out_has "... and reports it" " vol1 volume-degraded member=1\$"
expect 1 "monitor --oneshot --program" monitor --oneshot --program "$T/prog.sh" vol1
t "... runs PROG EVENT VOLUME DETAILS once per problem, with DDRAID_* set" \
	test "$(cat "$T/prog.out")" = "member-failed|vol1|member=1 events=7 reason=error|member-failed|vol1|1
volume-degraded|vol1|member=1|volume-degraded|vol1|1"
printf '%s\n' '{"ok":true,"version":1,"volume":"vol1","current":[]}' >"$T/reply"
expect 0 "monitor --oneshot on a healthy volume: exit 0" monitor --oneshot vol1
t "... reporting nothing" test ! -s "$T/out"
expect 1 "monitor --oneshot of a volume without a daemon: exit 1" monitor --oneshot vol2

# metrics: the status reply in the Prometheus text format.
printf '%s\n' '{"ok":true,"volume":"vol1","quorate":true,"attached":true,"frozen":false,"events":9,"regions":40,"dirty":3,"fence_wait":0,"members":[{"index":0,"state":"active"},{"index":1,"state":"failed"},{"index":2,"state":"active"}],"nodes":[{"nodeid":1,"attached":true}],"rebuild":{"active":true,"member":1,"done":10,"total":40},"scrub":{"state":"none","active":false},"cpg":{"rx":100,"tx":50,"refused":0,"send_waited":2,"send_queued_bytes":0},"io":{"bit_sets":5,"errors":1,"queued":0},"event_count":4}' >"$T/reply"
expect 0 "metrics VOL" metrics vol1
t "metrics asks for the status" test "$(lastreq)" = '{"cmd":"status"}'
out_has "... HELP and TYPE lines" "^# TYPE ddraid_member_state gauge\$"
out_has "... member states with volume and member labels" \
	'^ddraid_member_state\{volume="vol1",member="1",state="failed"\} 1$'
out_has "... members out" '^ddraid_members_out\{volume="vol1"\} 1$'
out_has "... dirty regions" '^ddraid_dirty_regions\{volume="vol1"\} 3$'
out_has "... rebuild progress" '^ddraid_rebuild_done_regions\{volume="vol1"\} 10$'
out_has "... counters" '^ddraid_cpg_received_total\{volume="vol1"\} 100$'
t "... every line a comment or NAME{LABELS} VALUE" \
	sh -c "! grep -vE '^(# (HELP|TYPE) ddraid_[a-z_]+ .+|ddraid_[a-z_]+\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\} [0-9]+)\$' '$T/out'"
t "... one TYPE line per metric" \
	test "$(grep -c '^# TYPE' "$T/out")" = "$(grep -v '^#' "$T/out" | sed 's/{.*//' | sort -u | wc -l)"
expect 1 "metrics of a volume without a daemon: exit 1" metrics vol2

done_testing
