#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark of the kernel target (not a test: it asserts nothing).
#
#   tests/vm/bench.sh [--build DIR] [--bps B] [--iops I] [--runtime S]
#                     [--json FILE] [--out DIR]
#
# One VM, six member disks throttled identically by qemu (default
# 20 MB/s and 500 IOPS each). fio runs on one raw disk (/dev/vdf) and on a
# ddraid volume over the other five, and the ratios ddraid/single are
# printed: sequential 1 MiB direct read and write (goal >= 0.9 x 4, the
# number of data members) and random 4 KiB read and write at iodepth 16
# (goal >= 0.9: every volume block is one IO on every member).
# The peers a user would pick instead run on the same throttled disks in
# the same VM: md RAID5 over the same five disks (mdadm, 64 KiB chunks)
# and md RAID1 over two of them; ddraid's ratio against each is printed.
# RAID 3.5 loses to RAID5 by design on random IO (every 4 KiB block is one
# IO on every member: one disk's IOPS, where RAID5 reads one disk and its
# read-modify-write touches two) and on sequential reads (the parity member
# is not read); it wins on sequential writes (full stripes only).
# The peers need mdadm on the host (the VM runs the host's programs):
# apt-get install mdadm; without it only ddraid and the disk are measured.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)

if [ "${1:-}" = --in-vm ]; then
	# Inside the VM: $2 runtime per job.
	runtime=$2
	. "$HERE/lib.sh"
	. "$HERE/bench-lib.sh"
	vm_need_build
	vm_load_module >/dev/null
	devs=(/dev/vda /dev/vdb /dev/vdc /dev/vdd /dev/vde)
	"$DDRAIDCTL" create --name bench --assume-clean "${devs[@]}" >&2 ||
		exit 1
	vol_assemble bench "${devs[@]}" >&2 || exit 1
	results=$VM_SHARE/fio
	mkdir -p "$results"
	# md_up NAME LEVEL DISK...: an md array over the disks, no initial
	# sync (the disks are zero: parity and mirrors agree already).
	md_up() {
		local name=$1 level=$2 chunk=()
		shift 2
		[ "$level" = 5 ] && chunk=(--chunk=64)
		mdadm --create "/dev/$name" --run --quiet --level="$level" \
			--raid-devices=$# --assume-clean --metadata=1.2 \
			"${chunk[@]}" --bitmap=none "$@" >&2
	}
	for target in single ddraid md5 md1; do
		dev=/dev/vdf
		case "$target" in
		ddraid) dev=/dev/mapper/bench ;;
		md5)
			vol_stop bench >&2
			command -v mdadm >/dev/null || break
			wipefs -a -q "${devs[@]}"
			md_up md5 5 "${devs[@]}" || break
			dev=/dev/md5 ;;
		md1)
			mdadm --stop /dev/md5 >&2
			md_up md1 1 /dev/vda /dev/vdb || break
			dev=/dev/md1 ;;
		esac
		bench_fio "$dev" "$target" "$results" "$runtime" || exit 1
	done
	[ -b /dev/md1 ] && mdadm --stop /dev/md1 >&2
	exit 0
fi

build=
bps=$((20 * 1000 * 1000))
iops=500
runtime=10
json=
out=/var/tmp/ddraid-vm/bench
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$(realpath "$2"); shift 2 ;;
	--bps) bps=$2; shift 2 ;;
	--iops) iops=$2; shift 2 ;;
	--runtime) runtime=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '5,23p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ -n "$build" ] || build=$SRCDIR/build
[ -x "$build/tools/ddraidctl" ] || { echo "bench.sh: no $build/tools/ddraidctl" >&2; exit 2; }
[ -n "$json" ] || json=$out/bench-vm.json

kver=$(ls /boot/vmlinuz-6.1.* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
make -C "$SRCDIR/dmtarget" KDIR="/lib/modules/$kver/build" >/dev/null ||
	{ echo "bench.sh: the module does not build" >&2; exit 2; }

mkdir -p "$out"
cp "$SRCDIR/dmtarget/dm-ddraid.ko" "$out/dm-ddraid.ko" || exit 2
export DDRAID_KO=$out/dm-ddraid.ko
DDRAID_BUILD=$build "$HERE/vm-run" --disks 6 --disk-size 256M \
	--throttle-bps "$bps" --throttle-iops "$iops" --out "$out" \
	--timeout $((runtime * 16 + 180)) "$0" --in-vm "$runtime" >/dev/null ||
	{ echo "bench.sh: the VM run failed (logs in $out)" >&2; exit 1; }

. "$HERE/bench-lib.sh"
bench_table "$out/share/fio" single ddraid 3.6 0.9
rows=()
while IFS= read -r r; do [ -n "$r" ] && rows+=("$r"); done <<<"$BENCH_ROWS"
# The peers: ddraid against md RAID5 (same five disks) and RAID1 (two).
echo
bench_peers "$out/share/fio" ddraid "md5:md_raid5:md RAID5" \
	"md1:md_raid1:md RAID1" ||
	echo "(no md results: mdadm missing in the VM?)"
peersj=$BENCH_PEERS
printf '%s\n' "${rows[@]}" | jq -s --argjson bps "$bps" --argjson iops "$iops" \
	--argjson rt "$runtime" --arg k "$kver" --argjson p "$peersj" \
	'{bench: "vm", kernel: $k, members: 5, throttle_bps: $bps,
	  throttle_iops: $iops, runtime_s: $rt, results: ., peers: $p}' >"$json"
echo "JSON: $json"
