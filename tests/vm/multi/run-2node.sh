#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: timeout=240 needs=module,ddraidctl
#
# Two VMs, two real dm-ddraid targets in cluster mode over the same member
# images (a SAN), corosync between them on a private qemu link, ddraidd on
# each; tests/vm/multi/t-2node.sh is the script each VM runs (ROLE=a|b).
#
#   tests/vm/multi/run-2node.sh --build DIR [--out DIR] [--suite]
#                                   [--victim coordinator|other]
#   tests/vm/multi/run-2node.sh --probe      (why it cannot run, or nothing)
#
# The host creates the members (ddraidctl create on image files), boots
# both VMs at once with vm-run --shared-disk (x3), --shared-dir and
# --net-dgram, kills VM b's qemu when b asks for its power cut (b.cut in the
# shared directory) and says so (host.killed), and checks the parity of the
# images once both VMs are gone. Output: TAP, numbered with a plan, or with
# --suite unnumbered points for run-vm-tests.sh. Logs: --out DIR (default
# /var/tmp/ddraid-vm/multi-2node): a/, b/ (vm-run's), shared/, m*.img.
# --victim: b, the node that dies, is corosync node 2 ("other", default) or
# node 1, the coordinator (a must take its place), via DDRAID_2NODE_B_ID.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$(cd "$HERE/.." && pwd)
TIMEOUT=240		# each VM's script; the whole run stays well below
MEMBER_SIZE=64M
. "$VM/lib.sh"
. "$HERE/lib-host.sh"

build=${DDRAID_BUILD:-}
out=/var/tmp/ddraid-vm/multi-2node
suite=0
b_id=2

# probe: why this host cannot run the test (nothing when it can).
probe() {
	local r
	r=$(mh_probe_qemu)
	[ -z "$r" ] || { echo "$r"; return; }
	qemu-system-x86_64 -netdev help 2>/dev/null | grep -qx dgram ||
		echo "this qemu has no -netdev dgram (qemu >= 7.2 needed)"
}

MH_HELP=4,23
while [ $# -gt 0 ]; do
	mh_arg "$@" && { shift "$MH_SHIFT"; continue; }
	case "$1" in
	--victim)
		case "$2" in
		coordinator) b_id=1 ;;
		other) b_id=2 ;;
		*) echo "run-2node: --victim coordinator|other" >&2; exit 2 ;;
		esac
		shift 2 ;;
	*) echo "run-2node: unknown argument $1" >&2; exit 2 ;;
	esac
done

mh_begin "two-node cluster test"
export DDRAID_2NODE_B_ID=$b_id	# vm-run exports DDRAID_* to the VMs
diag "b (the node that dies) is corosync node $b_id"

# Only what this script makes: the suite keeps its own files in --out.
rm -rf "$out/a" "$out/b" "$out/shared" "$out"/m[0-9].img "$out"/[ab].tap \
	"$out"/[ab].log
mh_out

# --- the members: one volume on three images, 1 MiB regions -----------------
mh_images 3 "$MEMBER_SIZE"
check "create the volume on three member images (1 MiB regions)" \
	"$DDRAIDCTL" create --name mv2 --region-size 1M "${imgs[@]}"

# --- two free UDP ports on 127.0.0.1 for the link ---------------------------
read -r pa pb < <(python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s:
	x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
[ -n "${pb:-}" ] || bail "no free UDP ports"
diag "link: 127.0.0.1:$pa (a) <-> 127.0.0.1:$pb (b)"

# --- both VMs -----------------------------------------------------------------
boot() { # boot ROLE LOCALPORT REMOTEPORT
	local args=()
	for i in "${imgs[@]}"; do
		args+=(--shared-disk "$i")
	done
	"$VM/vm-run" "${args[@]}" --shared-dir "$SH" --net-dgram "$2:$3" \
		--timeout "$TIMEOUT" --out "$out/$1" --env "ROLE=$1" \
		"$HERE/t-2node.sh" >"$out/$1.tap" 2>"$out/$1.log" 3>&-
}
start=$SECONDS
boot a "$pa" "$pb" &
apid=$!
boot b "$pb" "$pa" &
bpid=$!

# Wait for b to ask for its power cut (or for anything to go wrong).
cut_asked() { [ -e "$SH/b.cut" ]; }
gave_up() {
	[ -e "$SH/a.failed" ] || [ -e "$SH/b.failed" ] ||
		! kill -0 "$apid" 2>/dev/null || ! kill -0 "$bpid" 2>/dev/null
}
until cut_asked || gave_up || [ $((SECONDS - start)) -gt $((TIMEOUT + 60)) ]; do
	sleep 0.1
done
if cut_asked; then
	qpid=$(cat "$out/b/qemu.pid" 2>/dev/null)
	if [ -n "$qpid" ] && kill -KILL "$qpid"; then
		wait "$bpid"
		brc=$?
		touch "$SH/host.killed"
		ok "power cut: the host killed VM b's qemu $((SECONDS - start))s after boot"
	else
		touch "$SH/host.failed"
		not_ok "kill VM b's qemu (pid '$qpid')"
	fi
else
	touch "$SH/host.failed"
	not_ok "VM b asked for its power cut"
fi
wait "$apid"
arc=$?
[ -n "${brc:-}" ] || { wait "$bpid"; brc=$?; }
diag "both VMs gone after $((SECONDS - start))s"

# Their points, prefixed with the node; a failed one fails this test.
for r in a b; do
	mh_relay "$r" "$out/$r.tap"
done
check "VM a exit 0 (logs in $out/a)" test "$arc" = 0
check "VM b ended in the power cut (no exit code; vm-run $brc)" \
	test "$brc" = 125 -a ! -e "$out/b/share/rc"
if [ "$arc" != 0 ]; then
	tail -n 15 "$out/a.log" | sed 's/^/# a: /'
fi

# slot_regions NODEID IMG...: the regions the bitmap slot of NODEID marks
# dirty (the union over the members' copies, docs/format.md section 4).
slot_regions() {
	local node=$1 img where
	shift
	for img in "$@"; do
		where=$("$DDRAIDCTL" examine --json "$img" | jq -r "
			(.slots_in_use[] | select(.nodeid == $node) | .slot) as \$s |
			\"\\(.bitmap_offset + \$s * .bitmap_slot_bytes) \\(.bitmap_slot_bytes)\"")
		[ -n "$where" ] || return 1
		echo "$img $where"
	done | python3 -c '
import sys
dirty = set()
for line in sys.stdin:
	path, off, n = line.split()
	with open(path, "rb") as f:
		f.seek(int(off))
		page = f.read(int(n))
	dirty |= {8 * i + j for i, x in enumerate(page) for j in range(8)
		  if x >> j & 1}
print(" ".join(map(str, sorted(dirty))))'
}

# a's daemon was told (FENCED) and resynced as many regions as b's slot
# marks on the disks; b never cleared those bits (only a slot's owner does).
read -r nf nr <"$SH/a.fenced" 2>/dev/null
marked=$(slot_regions "$b_id" "${imgs[@]}")
diag "node $b_id's (b's) slot marks regions: $marked"
hot="16 20 24 28 32 36"		# blocks.py's FIRST, STRIDE, NREG
check "b's slot marks the 6 regions of b's writer, else only phase a's" \
	python3 -c '
import sys
m, hot = set(map(int, sys.argv[1].split())), set(map(int, sys.argv[2].split()))
sys.exit(not (hot <= m and all(r < 8 for r in m - hot)))' "$marked" "$hot"
check "that is as many as a was FENCED and resynced (${nf:-?}, ${nr:-?})" \
	test "$(echo "$marked" | wc -w)" = "${nf:-x}" -a "${nr:-y}" = "${nf:-x}"

# The parity of every region: b's torn writes were resynced by a.
check "ddraidctl check of the members after both VMs: parity clean" \
	"$DDRAIDCTL" check "${imgs[@]}"
finish
