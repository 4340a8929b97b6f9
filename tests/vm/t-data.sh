#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=32M timeout=400 needs=module,ddraidctl host=yes
#
# Data written through the kernel target is what userspace reads from the
# member images, and the reverse:
#  - create a 5-member volume, assemble it, write random data with O_DIRECT
#    (whole MiBs, odd 4 KiB runs, overwrites), read it back through the
#    target (direct and buffered) and compare with the expected image;
#  - stop it; "ddraidctl check" passes and "ddraidctl export" of the members
#    equals the expected image (inside the VM and again on the host, from
#    the image files, after the VM has gone);
#  - import new data offline, assemble again, read it through the kernel.

. "$(dirname "$0")/lib.sh"
vm_need_build

NAME=vmdata

if [ "${1:-}" = --host ]; then
	host_check_images "$2"
	# Without one member (any one: try a data member and parity).
	for miss in 1 4; do
		m=("${IMGS[@]}")
		m[$miss]=missing
		got=$("$DDRAIDCTL" export "${m[@]}" 2>/dev/null |
			sha256sum | cut -d' ' -f1)
		check "host: export without member $miss equals the data" \
			test "$got" = "$WANT"
	done
	finish
fi

vm_load_module
mapfile -t devs < <(vm_disks 5)
dm=/dev/mapper/$NAME

check "create a 5-member volume" \
	"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}"
size=$(examine_field "${devs[0]}" data_size)
[ -n "$size" ] || bail "examine --json gives no data_size"
diag "volume data size $size bytes"

vol_assemble "$NAME" "${devs[@]}" >&2 ||
	bail "ddraidctl assemble --name $NAME"
ok "assemble"
[ -b "$dm" ] || bail "$dm does not exist after assemble"
check "$dm has the volume's size" \
	test "$(blockdev --getsize64 "$dm")" = "$size"
check "$dm advertises 4096-byte logical blocks" \
	test "$(blockdev --getss "$dm")" = 4096
check_fails "$dm refuses a 512-byte direct write" \
	dd if=/dev/zero of="$dm" bs=512 count=1 oflag=direct status=none

exp=/tmp/expect.img
new_expect "$exp" "$size"

# Random data saved first: the same bytes go to the volume and the model.
head -c $((24 << 20)) /dev/urandom >/tmp/r1
head -c $((4 << 20)) /dev/urandom >/tmp/r2
head -c $((1 << 20)) /dev/urandom >/tmp/r3

check "write 24 MiB at block 0 (1 MiB direct IOs)" \
	write_both /tmp/r1 "$dm" "$exp" 0 1M
# 4 MiB at an odd block: IOs that start and end inside a member stripe.
check "write 4 MiB at block 12345 (odd offset)" \
	write_both /tmp/r2 "$dm" "$exp" 12345
# Overwrite across the end of the first write, with 4 KiB IOs.
check "overwrite 1 MiB at block 6000 with 4 KiB IOs" \
	write_both /tmp/r3 "$dm" "$exp" 6000
# The very last block of the volume.
last=$((size / 4096 - 1))
head -c 4096 /dev/urandom >/tmp/r4
check "write the last block ($last)" write_both /tmp/r4 "$dm" "$exp" "$last"
check_fails "a write past the end fails" \
	dd if=/tmp/r4 of="$dm" bs=4096 seek=$((last + 1)) oflag=direct \
	conv=notrunc status=none

want=$(sha256sum <"$exp" | cut -d' ' -f1)
drop_caches
got=$(dd if="$dm" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
check "whole volume reads back (direct, 1 MiB)" test "$got" = "$want"
got=$(dd if="$dm" bs=4096 skip=12340 count=1100 iflag=direct status=none |
	sha256sum | cut -d' ' -f1)
check "a 4 KiB-IO range reads back" test "$got" = \
	"$(dd if="$exp" bs=4096 skip=12340 count=1100 status=none | sha256sum | cut -d' ' -f1)"
drop_caches
got=$(sha256sum <"$dm" | cut -d' ' -f1)
check "whole volume reads back (buffered)" test "$got" = "$want"

check "stop" vol_stop "$NAME"
check "$dm is gone after stop" test ! -e "$dm"

check "ddraidctl check after the kernel wrote" "$DDRAIDCTL" check "${devs[@]}"
got=$("$DDRAIDCTL" export "${devs[@]}" | sha256sum | cut -d' ' -f1)
check "ddraidctl export equals what the kernel wrote" test "$got" = "$want"

# The reverse: userspace writes, the kernel reads.
head -c $((8 << 20)) /dev/urandom >/tmp/imp
check "ddraidctl import 8 MiB offline" \
	"$DDRAIDCTL" import --input /tmp/imp "${devs[@]}"
dd if=/tmp/imp of="$exp" bs=1M conv=notrunc status=none
want=$(sha256sum <"$exp" | cut -d' ' -f1)
echo "$want" >"$VM_SHARE/expect.sha256"

vol_assemble "$NAME" "${devs[@]}" >&2 ||
	bail "assemble after import"
drop_caches
got=$(dd if="$dm" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
check "the kernel reads what ddraidctl imported" test "$got" = "$want"
check "stop after import" vol_stop "$NAME"
check "module unloads" rmmod dm_ddraid
finish
