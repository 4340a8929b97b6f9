#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demonstration's third act (scripts/demo.sh runs it): what ddraid is
# for. Three qemu VMs (Debian's kernel, the real dm-ddraid module), each
# with only a disk of its own; no disk is shared. The VMs talk over a
# bridge inside a network namespace this script's test makes (nothing
# leaves it). The VMs run corosync and Pacemaker; on them:
#   ddraidctl export-disk      each VM offers its disk over NVMe/TCP,
#   ddraidctl create --nodes   one VM makes a volume of the three disks,
#   pcs ...                    the commands of docs/cluster-stack.md:
#                              fencing, dlm, the ddraid clone (each node
#                              exports its member, imports the other two,
#                              assembles the kernel target, runs ddraidd),
#                              GFS2 (mkfs.gfs2, then a Filesystem clone).
# All three write files into the one filesystem and read each other's;
# one VM's network is cut while it writes: Pacemaker fences it (the host
# powers it off), the other two go on writing on the degraded volume and
# read its files; it boots again, rejoins, its member is re-added from the
# bitmaps, GFS2 is mounted there again; every VM reads every file; the
# stack is stopped. At the end the host checks the disk images: parity
# and the filesystem (fsck.gfs2).
#
# This is tests/vm/multi/run-3pcmk.sh (the suite's multi-3pcmk test) run
# through tests/vm/run-vm-tests.sh, which builds the module first; this
# script shows its milestones, and crm_mon and ddraidctl status at each
# stage, as they happen. It takes about 8 minutes on 2 cores (the VMs
# run under TCG when there is no KVM).
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

why=$(bash "$top/tests/vm/multi/run-3pcmk.sh" --probe)
[ -z "$why" ] || fail "the three-VM demonstration cannot run here: $why"

printf '\n[distributed] three VMs, each with only its own disk, NVMe/TCP between them,\n    Pacemaker, dlm and GFS2 on top\n'
printf '    (full log: %s.log; the VMs'"'"' logs under %s)\n' "$out" "$out"
mkdir -p /var/tmp/ddraid-vm || fail "cannot make /var/tmp/ddraid-vm"
rm -rf "$out/multi-3pcmk"
# The milestones: the checks whose text tells the story, and any failure,
# as each VM prints them (its share/stdout; b2 is node b booted again).
story='export-disk /dev|create --name|Pacemaker: n1 n2 n3 online|pcs -f|run on n1 n2 n3|mkfs.gfs2|GFS2 mounted|files written|read back|Pacemaker fenced|writes go on|failed the victim|crm_mon shows|starts the stack here again|every member active|attribute|cleanup|nothing degraded|clones stopped|nothing left|not ok'
bash "$top/tests/vm/run-vm-tests.sh" --build "$BUILD" --out "$out" \
	multi-3pcmk >"$out.log" 2>&1 &
run=$!
# Node a's (or c's) "# == " snapshots and their indented lines as they are.
tail -n +1 -F --pid="$run" "$out/multi-3pcmk/a/share/stdout" \
	"$out/multi-3pcmk/b/share/stdout" "$out/multi-3pcmk/c/share/stdout" \
	"$out/multi-3pcmk/b2/share/stdout" 2>/dev/null |
	awk -v story="$story" '
	/^==> / { n = $2; sub(/.*multi-3pcmk\//, "", n); sub(/\/.*/, "", n)
		  node = (n == "b2") ? "b (back)" : n; next }
	/^# == / { printf "\n  [%s] %s\n", node, substr($0, 6); fflush(); next }
	/^#   / { printf "      %s\n", substr($0, 5); fflush(); next }
	$0 ~ story { printf "    %-9s %s\n", node ":", $0; fflush() }'
wait "$run"
rc=$?
# The host's own checks: the fencing, and the disk images at the end.
grep -E '^(not )?ok [0-9]+ - multi-3pcmk: ' "$out.log" |
	grep -vE ' - multi-3pcmk: (a|b|c|b2): ' |
	sed -E 's/^not ok [0-9]+ - multi-3pcmk: /    host:     FAILED: /;
		s/^ok [0-9]+ - multi-3pcmk: /    host:     /'
grep -q '^ok [0-9]* - multi-3pcmk (VM' "$out.log" ||
	fail "the three-VM run did not pass (exit $rc; see $out.log)"
[ "$rc" = 0 ] || fail "the three-VM run: $rc failed checks (see $out.log)"
echo "PASS: GFS2 on three nodes' own disks under Pacemaker: a node fenced mid-write, no file lost, the node back and re-added"
