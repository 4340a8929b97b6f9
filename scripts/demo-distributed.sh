#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demonstration's third act (scripts/demo.sh runs it): what ddraid is
# for. Three qemu VMs (Debian's kernel, the real dm-ddraid module), each
# with only a disk of its own; no disk is shared. The VMs talk over a
# bridge inside a network namespace this script's test makes (nothing
# leaves it). On each VM:
#   ddraidctl export-disk      offers its disk over NVMe/TCP (nvmet),
#   ddraidctl create --nodes   (on one VM) makes a volume of the three disks,
#   ocf/volume start           (the Pacemaker agent, run by hand) exports
#                              its member, imports the other two, assembles
#                              the kernel target in cluster mode and starts
#                              ddraidd under corosync.
# All three write and journal what was acknowledged; one VM loses power
# mid-write; the other two go on writing; it boots again with its disk and
# is re-added from the bitmap; paths between VMs are cut and healed; one
# VM stops cleanly. At the end the host reads the three disk images: parity
# is consistent and every block any VM acknowledged is there.
#
# This is tests/vm/multi/run-3node.sh (the suite's multi-3node test) run
# through tests/vm/run-vm-tests.sh, which builds the module first; this
# script shows its milestones as they happen. It takes 5 to 10 minutes on
# 2 cores (the VMs run under TCG when there is no KVM).
#
#   scripts/demo-distributed.sh BUILD_DIR      (root)
# Ends with one PASS or FAIL line; the exit status says the same.
set -u

BUILD=$(cd "${1:?usage: demo-distributed.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
out=/var/tmp/ddraid-vm/demo
fail() {
	printf '\nFAIL: %s\n' "$*"
	exit 1
}

why=$(bash "$top/tests/vm/multi/run-3node.sh" --probe)
[ -z "$why" ] || fail "the three-VM demonstration cannot run here: $why"

printf '\n[distributed] three VMs, each with only its own disk, NVMe/TCP between them\n'
printf '    (full log: %s.log; the VMs'"'"' logs under %s)\n' "$out" "$out"
mkdir -p /var/tmp/ddraid-vm || fail "cannot make /var/tmp/ddraid-vm"
rm -rf "$out/multi-3node"
# The milestones: the checks whose text tells the story, and any failure,
# as each VM prints them (its share/stdout; b2 is node b booted again).
story='export-disk /dev|create --name|ocf/volume start|member [0-9] is /dev/nvme|all three nodes attached|writes acknowledged|is gone [(]power cut[)]|recorded failed by the cluster|writes go on|re-added and rebuilt|cut:|withdrew [(]|attached again|clean|longest write stall|not ok'
bash "$top/tests/vm/run-vm-tests.sh" --build "$BUILD" --out "$out" \
	multi-3node >"$out.log" 2>&1 &
run=$!
tail -n +1 -F --pid="$run" "$out/multi-3node/a/share/stdout" \
	"$out/multi-3node/b/share/stdout" "$out/multi-3node/c/share/stdout" \
	"$out/multi-3node/b2/share/stdout" 2>/dev/null |
	awk -v story="$story" '
	/^==> / { n = $2; sub(/.*multi-3node\//, "", n); sub(/\/.*/, "", n)
		  node = (n == "b2") ? "b (back)" : n; next }
	$0 ~ story && $0 !~ /^#   / { printf "    %-9s %s\n", node ":", $0;
				    fflush() }'
wait "$run"
rc=$?
# The host's own checks: the power cut, and the disk images at the end.
grep -E '^(not )?ok [0-9]+ - multi-3node: ' "$out.log" |
	grep -vE ' - multi-3node: (a|b|c|b2): ' |
	sed -E 's/^not ok [0-9]+ - multi-3node: /    host:     FAILED: /;
		s/^ok [0-9]+ - multi-3node: /    host:     /'
grep -q '^ok [0-9]* - multi-3node (VM' "$out.log" ||
	fail "the three-VM run did not pass (exit $rc; see $out.log)"
[ "$rc" = 0 ] || fail "the three-VM run: $rc failed checks (see $out.log)"
echo "PASS: three nodes on their own disks lost a node and paths, kept every acknowledged write, and re-added the node"
