#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ddraidctl status against stand-in control sockets (fake_ctl.py): without
# a name every volume of the node, in name order, one block each, and a
# daemon that does not answer fails the command without hiding the others;
# --json carries "format": 1 (one object, or "volumes" for all); the rate
# and time left that the daemon reports; --watch off a terminal prints one
# block a look, --count ends it, SIGINT ends it cleanly; bad arguments exit
# 2. Standalone volumes (dm devices without a daemon) need device-mapper:
# tests/vm/t-fail-one.sh checks them.
. "$(dirname "$0")/lib.sh"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi

export DDRAID_CTL_DIR="$T"

# reply FILE VOLUME REBUILD-OBJECT RESYNC-OBJECT: a daemon's status reply
reply() {
	printf '{"ok":true,"volume":"%s","uuid":"u-%s","nodeid":1,"coordinator":1,"quorate":true,"has_state":true,"attached":true,"frozen":false,"events":3,"regions":40,"region_size":4194304,"dirty":0,"fence_wait":0,"members":[{"index":0,"state":"active","path":"/dev/a"},{"index":1,"state":"rebuilding","path":"/dev/b"}],"nodes":[],"rebuild":%s,"resync":%s,"scrub":{"state":"none","active":false}}\n' \
		"$2" "$2" "$3" "$4" >"$T/$1"
}
idle='{"active":false}'
reply r-b b "$idle" "$idle"
reply r-a1 a '{"active":true,"member":1,"next":10,"done":10,"total":40,"rate_bytes_per_s":12345678,"eta_s":200}' "$idle"
reply r-a2 a '{"active":true,"member":1,"next":20,"done":20,"total":40,"rate_bytes_per_s":0}' '{"active":true,"left":7,"rate_bytes_per_s":18446744073709551615,"eta_s":1}'
reply r-c c "$idle" "$idle"

pids=""
fake_ctl "$T/b.sock" "$T/r-b"
pids="$pids $fake_ctl_pid"
# a's progress moves on: its second answer on is r-a2.
: >"$T/reqs-a"
fake_ctl "$T/a.sock" "$T/r-a1:$T/r-a2" "$T/reqs-a"
pids="$pids $fake_ctl_pid"
trap 'kill $pids 2>/dev/null; rm -rf "$T"' EXIT

# ---- bad arguments: exit 2, nothing asked ----
for args in "status -w -i 0" "status -w --interval 86401" \
	"status -w --count 0" "status -w -i x" "status a b" "status ../a" \
	"status --bogus" "status -w -c"; do
	# shellcheck disable=SC2086
	expect 2 "ddraidctl $args: usage error" $args
done
err_has "... saying what is missing" "option '-c' needs an argument"
for args in "status --interval 2" "status --count 1 a"; do
	# shellcheck disable=SC2086
	expect 2 "ddraidctl $args: usage error" $args
	err_has "... they go with --watch" "--interval and --count go with --watch"
done
t "refused commands asked no daemon" test ! -s "$T/reqs-a"

# ---- every volume: one block each, in name order ----
expect 0 "status: every volume" status
t "... a block for each daemon, a then b" \
	test "$(grep '^volume ' "$T/out" | cut -d' ' -f2 | tr '\n' ' ')" = "a b "
t "... asking a's daemon for its status" \
	test "$(cat "$T/reqs-a")" = '{"cmd":"status"}'
out_has "... a's rebuild with the daemon's rate and time left" \
	"rebuilding member 1: 10 of 40 regions, 12.3 MB/s, ETA 3m20s"
expect 0 "status b: one volume" status b
t "... only b" test "$(grep -c '^volume ' "$T/out")" = 1
out_has "... it" "^volume b \(uuid u-b\)"

# a's second answer: rate 0 (no ETA), a resync at an absurd rate.
expect 0 "status a, progressed" status a
out_has "... rate 0: no time left" \
	"rebuilding member 1: 20 of 40 regions, 0.0 MB/s, ETA unknown"
out_has "... the resync, huge rate printed whole" \
	"resync: 7 regions left, 18446744073709.6 MB/s, ETA 1s"

# ---- --json: format 1 ----
expect 0 "status --json: every volume" status --json
t "... format 1, volumes a and b, their type, daemon and replies" \
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert list(o)[0] == "format" and o["format"] == 1, o
assert sorted(o) == ["format", "volumes"], sorted(o)
v = o["volumes"]
assert [x["volume"] for x in v] == ["a", "b"], v
for x in v:
    assert x["type"] == "cluster" and x["daemon"] is True, x
    assert "format" not in x, x
assert v[0]["rebuild"]["rate_bytes_per_s"] == 0, v[0]
assert v[0]["resync"]["rate_bytes_per_s"] == 2**64 - 1, v[0]
' "$T/out"
expect 0 "status --json VOLUME: that volume's object" status --json b
t "... with format 1 first, the daemon's fields after" \
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert list(o)[0] == "format" and o["format"] == 1, o
assert o["volume"] == "b" and o["type"] == "cluster" and o["daemon"] is True
assert o["regions"] == 40
' "$T/out"

# ---- a daemon that does not answer (its socket left behind) ----
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/c.sock"
expect 1 "status: a volume whose daemon is gone fails the command" status
err_has "... naming it" "c.sock"
t "... the others still shown" \
	test "$(grep '^volume ' "$T/out" | cut -d' ' -f2 | tr '\n' ' ')" = "a b "
expect 1 "status --json: the same" status --json
t "... c in the volumes, with an error" \
	python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["volumes"]
assert [x["volume"] for x in v] == ["a", "b", "c"], v
assert "error" in v[2] and "daemon" not in v[2], v[2]
' "$T/out"
rm -f "$T/c.sock"

# ---- no volume at all ----
mkdir "$T/none"
DDRAID_CTL_DIR="$T/none" ctl status
t "status with no volume: exit 0" test "$rc" = 0
out_has "... says so" "no ddraid volume runs on this node"
DDRAID_CTL_DIR="$T/none" ctl status --json
t "... --json: an empty volumes array" \
	python3 -c '
import json, sys
assert json.load(open(sys.argv[1])) == {"format": 1, "volumes": []}
' "$T/out"

# ---- --watch off a terminal: one block a look ----
expect 0 "status --watch --interval 1 --count 2: two looks, then exit" \
	status --watch --interval 1 --count 2 b
t "... two headers" test "$(grep -c '^Every 1s: ddraidctl status b ' "$T/out")" = 2
t "... two blocks" test "$(grep -c '^volume b ' "$T/out")" = 2
expect 0 "status -w -j -i 1 -c 2: one JSON object a line" status -w -j -i 1 -c 2
t "... two lines, each format 1 with both volumes" \
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
for l in lines:
    o = json.loads(l)
    assert o["format"] == 1 and [x["volume"] for x in o["volumes"]] == ["a", "b"]
' "$T/out"

# On a terminal (script(1) gives it one): the screen cleared for each look.
if command -v script >/dev/null 2>&1 &&
	script -qec true /dev/null >/dev/null 2>&1; then
	script -qec "'$DDRAIDCTL' status --watch --interval 1 --count 2 b" \
		/dev/null >"$T/tty" 2>&1
	t "status --watch on a terminal: cleared and redrawn for each look" \
		test "$(grep -c "$(printf '\033\\[H\033\\[2J')Every 1s: ddraidctl status b " "$T/tty")" = 2
else
	ok "status --watch on a terminal # SKIP no script(1)"
fi

# SIGINT ends it cleanly (exit 0) at once, also mid-interval.
"$DDRAIDCTL" status --watch --interval 60 b >"$T/out" 2>"$T/err" &
w=$!
i=0
while ! grep -q '^volume b' "$T/out" && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -INT $w
i=0
while kill -0 $w 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
t "status --watch: SIGINT ends it within 5 s" sh -c "! kill -0 $w 2>/dev/null"
wait $w
t "... with exit status 0" test $? = 0
t "... after one look" test "$(grep -c '^volume b ' "$T/out")" = 1

done_testing
