#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=1 size=16M timeout=120 host=yes
#
# Self-test of the VM harness: write a random pattern to /dev/vda with dd
# inside the VM, read it back there, and let the host check the disk
# image afterwards (run-vm-tests.sh calls "t-selftest.sh --host OUTDIR").

. "$(dirname "$0")/lib.sh"

OFFSET=$((1024 * 1024))
LEN=$((8 * 1024 * 1024))

if [ "${1:-}" = --host ]; then
	out=$2
	want=$(cat "$out/share/selftest.sha256" 2>/dev/null)
	[ -n "$want" ] || bail "host: the VM left no checksum"
	got=$(sha_range "$out/disk0.img" "$OFFSET" "$LEN")
	if [ "$got" = "$want" ]; then
		ok "host: image holds the pattern the VM wrote"
	else
		not_ok "host: image checksum $got, VM wrote $want"
	fi
	# The bytes before the pattern were never written: still zero.
	zero=$(head -c "$OFFSET" /dev/zero | sha256sum | cut -d' ' -f1)
	check "host: untouched bytes before the pattern are zero" \
		test "$(sha_range "$out/disk0.img" 0 "$OFFSET")" = "$zero"
	finish
fi

dev=$(vm_disk 0)
check "member disk $dev is a block device" test -b "$dev"
check "$dev is 16 MiB" test "$(blockdev --getsize64 "$dev")" = $((16 << 20))
head -c "$LEN" /dev/urandom >/tmp/pattern
sha256sum </tmp/pattern | cut -d' ' -f1 >"$VM_SHARE/selftest.sha256"
check "dd the pattern to $dev" dd if=/tmp/pattern of="$dev" bs=1M \
	seek=$((OFFSET >> 20)) oflag=direct conv=fsync status=none
check "pattern reads back identical" \
	test "$(sha_range "$dev" "$OFFSET" "$LEN")" = "$(cat "$VM_SHARE/selftest.sha256")"
check "dm-mod is loaded" test -e /dev/mapper/control
check "no network device" test -z "$(ls /sys/class/net | grep -v '^lo$')"
finish
