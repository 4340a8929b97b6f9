#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark of the distributed volume (not a test: it asserts nothing).
#
#   tests/vm/bench-3node.sh [--build DIR] [--bps B] [--iops I]
#                           [--runtime S] [--json FILE] [--out DIR]
#
# Three VMs on a private network (a namespace with a bridge and a tap per
# VM, as the three-VM tests), each with one disk of its own, every disk
# throttled identically by qemu (default 20 MB/s and 500 IOPS). Node a
# runs fio on its own blank disk (the baseline: one member, local), then
# the three nodes make and start a volume over their disks with NVMe/TCP
# (2 data members + parity; on node a one member is local and two are
# imported) and node a runs the same fio jobs on it; before that, node a
# measures node b's blank disk imported over NVMe/TCP alone (what the
# transport gives, without ddraid). Printed: the ratios
# volume / one local member: sequential 1 MiB read and write (goal
# >= 0.9 x 2, the data members) and random 4 KiB (goal >= 0.9: every
# block is one IO on every member). Then the peer a user would pick
# instead: DRBD (the in-tree 8.4 module, drbd-utils, protocol C) mirroring
# node a's disk to node b's, the same jobs on node a, printed against the
# local disk and against ddraid (skipped, saying why, without drbd-utils
# or the module). tests/vm/multi/t-bench3.sh is what each VM runs. Needs
# what multi-3node needs (run-3node.sh --probe).

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$HERE
. "$HERE/lib.sh"
. "$HERE/multi/lib-host.sh"
. "$HERE/bench-lib.sh"

build=$VM_SRCDIR/build
bps=$((20 * 1000 * 1000))
iops=500
runtime=10
json=
out=/var/tmp/ddraid-vm/bench-3node
MEM=640
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--bps) bps=$2; shift 2 ;;
	--iops) iops=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '5,20p' "$0"; exit 0 ;;
	*) echo "bench-3node.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
why=$(bash "$HERE/multi/run-3node.sh" --probe)
[ -z "$why" ] || { echo "bench-3node.sh: cannot run here: $why" >&2; exit 2; }
rm -rf "$out"
mh_out
[ -n "$json" ] || json=$out/bench-3node.json
TIMEOUT=$((runtime * 16 + 600))
mh_images 3 256M
NS=ddr3b-$$
vm_pids=()
bench_cpu_sampler "$out/host-cpu" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null; mh_vms_down' EXIT
mh_netns "$NS" 3
export DDRAID_BENCH_RUNTIME=$runtime
MH_VMRUN_ARGS=(--throttle-bps "$bps" --throttle-iops "$iops")
t_start=$SECONDS
for r in a b c; do
	mh_boot "$r" 1 "$HERE/multi/t-bench3.sh"
	vm_pids+=("$vm_pid")
done
mh_wait_vms
kill "$sampler" 2>/dev/null
for r in a b c; do
	rc=$(cat "$out/$r/share/rc" 2>/dev/null || echo none)
	[ "$rc" = 0 ] || { echo "bench-3node.sh: VM $r failed ($rc; logs in $out/$r, $out/$r.log)" >&2; exit 1; }
done
echo "three VMs, one disk each throttled to $((bps / 1000000)) MB/s and $iops IOPS; volume of 2 data members + parity over NVMe/TCP, measured on node a"
echo
echo "the transport alone: node b's disk imported by node a over NVMe/TCP, against the local disk"
bench_table "$SH/fio" single remote 0.9 0.9
remote_rows=$BENCH_ROWS
echo
echo "the volume (2 data members + parity: one member local, two over NVMe/TCP), against the local disk"
bench_table "$SH/fio" single ddraid 1.8 0.9
volume_rows=$BENCH_ROWS
echo
echo "the peer: DRBD 8.4 (in-tree module), protocol C, node a's disk mirrored to node b's, measured on node a (primary)"
drbdj='[]'
if bench_peers "$SH/fio" drbd "single:local:local disk"; then
	drbdj=$BENCH_PEERS
	echo
	bench_peers "$SH/fio" ddraid "drbd:drbd:DRBD"
	drbdj=$(jq -c --argjson v "$BENCH_PEERS" '{drbd_vs_local: ., ddraid_vs_drbd: $v}' <<<"$drbdj")
else
	echo "(no DRBD results: $(cat "$SH"/*.drbd-skip 2>/dev/null | head -n 1))"
fi
echo
echo "the host's CPU during each job: busy %, of its $(nproc) cores, on which all three VMs are emulated"
bench_cpu_table "$out/host-cpu" "$SH/fio" single remote ddraid drbd
printf '%s' "$volume_rows" | jq -s --argjson bps "$bps" --argjson iops "$iops" \
	--argjson rt "$runtime" --argjson tr "$(printf '%s' "$remote_rows" | jq -s .)" \
	--argjson drbd "$drbdj" --argjson cpu "$BENCH_CPU" \
	'{bench: "3node-nvme-tcp", members: 3, data_members: 2,
	  throttle_bps: $bps, throttle_iops: $iops, runtime_s: $rt,
	  base: "one member, local", results: ., transport_alone: $tr,
	  drbd: $drbd, host_cpu_busy_percent: $cpu}' >"$json"
echo "JSON: $json"
