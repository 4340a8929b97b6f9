#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=32M timeout=400 needs=module,ddraidctl host=yes
#
# Members behind NVMe, whose queues have a virt_boundary: the target copies
# an IO's fragments into bounce pages so that each member gets one command
# per IO, not one per fragment (dm-ddraid-io.c, find_bounce_members). The
# five disks are exported by the kernel's NVMe target over TCP on the VM's
# own loopback interface (Debian's kernel has no nvme-loop), and imported:
#  - the NVMe block devices do have a virt_boundary (else this tests
#    nothing), and a 512 KiB direct write reaches each member as a few
#    commands, not 128 (one per 1 KiB fragment);
#  - data written in IOs of one block and of many reads back through the
#    target (direct and buffered), and "ddraidctl check" and export agree
#    on the disks, in the VM and on the host;
#  - with data member 1 failed, every block is reconstructed through the
#    bounce pages and reads back the same; the verify mode reads parity
#    through them too and finds no mismatch.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/multi/nvme-lib.sh"
vm_need_build

NAME=vmbounce

if [ "${1:-}" = --host ]; then
	host_check_images "$2"
	finish
fi

vm_load_module
modprobe -a nvmet nvmet-tcp nvme-tcp || bail "modprobe nvmet-tcp nvme-tcp"
ip link set lo up || bail "ip link set lo up"
mountpoint -q /sys/kernel/config ||
	mount -t configfs none /sys/kernel/config || bail "mount configfs"
NVMET=/sys/kernel/config/nvmet
PORT=$NVMET/ports/1

# tcp_export I DEV: subsystem bounce-I over DEV on the port.
tcp_export() {
	local s=$NVMET/subsystems/$(bounce_nqn "$1")
	mkdir "$s" && echo 1 >"$s/attr_allow_any_host" &&
		mkdir "$s/namespaces/1" &&
		echo "$2" >"$s/namespaces/1/device_path" &&
		echo 1 >"$s/namespaces/1/enable" &&
		ln -s "$s" "$PORT/subsystems/"
}

# bounce_nqn I: the NQN of disk I's subsystem.
bounce_nqn() { echo "nqn.2026-12.org.ddraid:bounce-$1"; }

# writes I: write requests completed on the path (nvmeXcYnZ, under its
# controller) to subsystem I so far: the multipath head passes bios on
# without counting them.
writes() {
	local c
	c=/sys/class/nvme/$(nv_ctrl "$(bounce_nqn "$1")") || return 1
	awk '{ print $5 }' "$c"/nvme*c*n1/stat
}

{ mkdir "$PORT" && echo tcp >"$PORT/addr_trtype" &&
	echo ipv4 >"$PORT/addr_adrfam" && echo 127.0.0.1 >"$PORT/addr_traddr" &&
	echo "$NV_PORT" >"$PORT/addr_trsvcid"; } || bail "nvmet TCP port on 127.0.0.1"
devs=()
for i in 0 1 2 3 4; do
	tcp_export "$i" "$(vm_disk "$i")" || bail "export $(vm_disk "$i")"
	echo "transport=tcp,traddr=127.0.0.1,trsvcid=$NV_PORT,nqn=$(bounce_nqn "$i")" \
		>/dev/nvme-fabrics || bail "connect subsystem $i"
	wait_until 20 nv_dev "$(bounce_nqn "$i")" ||
		bail "no block device for subsystem $i"
	devs+=("$(nv_dev "$(bounce_nqn "$i")")")
done
diag "members: ${devs[*]}"
vb=$(cat "/sys/block/${devs[0]##*/}/queue/virt_boundary_mask")
check "the NVMe members have a virt_boundary (mask $vb)" test "${vb:-0}" != 0

dm=/dev/mapper/$NAME
check "create a 5-member volume on the NVMe devices" \
	"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}"
size=$(examine_field "${devs[0]}" data_size)
[ -n "$size" ] || bail "examine --json gives no data_size"
vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble"

exp=/tmp/expect.img
new_expect "$exp" "$size"
head -c $((16 << 20)) /dev/urandom >/tmp/r1
head -c $((3 << 20)) /dev/urandom >/tmp/r2
head -c $((256 << 10)) /dev/urandom >/tmp/r3

# One 512 KiB IO (the target's largest): 128 KiB to each data member.
head -c $((512 << 10)) /tmp/r1 >/tmp/r0
before=()
for i in 0 1 2 3 4; do before+=("$(writes "$i")"); done
write_both /tmp/r0 "$dm" "$exp" 0 512K || bail "the 512 KiB write"
most=0
for i in 0 1 2 3 4; do
	n=$(($(writes "$i") - before[i]))
	[ "$n" -gt "$most" ] && most=$n
done
check "a 512 KiB write is 1 to 4 commands per member (most: $most)" \
	test "$most" -ge 1 -a "$most" -le 4

check "write 16 MiB (1 MiB direct IOs)" write_both /tmp/r1 "$dm" "$exp" 0 1M
check "write 3 MiB at an odd block (IOs over member stripes)" \
	write_both /tmp/r2 "$dm" "$exp" 3001
check "overwrite 256 KiB with 4 KiB IOs (not bounced)" \
	write_both /tmp/r3 "$dm" "$exp" 3500

want=$(sha256sum <"$exp" | cut -d' ' -f1)
drop_caches
got=$(dd if="$dm" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
check "the volume reads back (direct, 1 MiB)" test "$got" = "$want"
drop_caches
got=$(sha256sum <"$dm" | cut -d' ' -f1)
check "the volume reads back (buffered)" test "$got" = "$want"
check "stop" vol_stop "$NAME"
check "ddraidctl check of the NVMe members" "$DDRAIDCTL" check "${devs[@]}"
got=$("$DDRAIDCTL" export "${devs[@]}" | sha256sum | cut -d' ' -f1)
check "ddraidctl export equals what the target wrote" test "$got" = "$want"
echo "$want" >"$VM_SHARE/expect.sha256"

# Verify mode: parity is read (from its own pages) beside the bounced data.
dmsetup create "$NAME" --table "$(vol_table "${devs[@]}" |
	sed 's/ 1 standalone$/ 2 standalone verify/')" || bail "verify table"
drop_caches
got=$(dd if="$dm" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
check "verify mode reads the volume back" test "$got" = "$want"
# docs/dm-target.md: "<state> <reads> <writes> <reconstructs> <member_errors>
# <mismatches>"
mism=$(dmsetup status "$NAME" | awk '{ print $11 }')
check "verify mode finds no parity mismatch (mismatches: $mism)" \
	test "$mism" = 0
check "stop the verify table" dmsetup remove "$NAME"

# Degraded: member 1 left out ("-"), its fragments rebuilt from the others
# (a read-only table: no superblock is written).
m=("${devs[@]}")
m[1]=missing
dmsetup create "$NAME" --table "$(vol_table "${m[@]}")" ||
	bail "degraded table"
drop_caches
got=$(dd if="$dm" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
check "degraded, the volume reads back (member 1 reconstructed)" \
	test "$got" = "$want"
rec=$(dmsetup status "$NAME" | awk '{ print $9 }')
check "the degraded reads were reconstructions ($rec)" test "$rec" -gt 0
check "stop the degraded volume" dmsetup remove "$NAME"

for i in 0 1 2 3 4; do
	echo 1 >"/sys/class/nvme/$(nv_ctrl "$(bounce_nqn "$i")")/delete_controller"
done
check "every NVMe controller is gone" \
	wait_until 20 test -z "$(ls /sys/class/nvme)"
check "module unloads" rmmod dm_ddraid
finish
