#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=64M timeout=300 needs=module,ddraidctl
#
# Two members lost: every block has lost two of its five fragments, so
# every read must fail with an IO error and never return made-up data.
# Member 1 (data) and member 3 (data), then member 1 and member 4 (parity),
# are dm-linear maps swapped to dm-error. Reads are made in 64 KiB and
# 4 KiB pieces; any piece that does succeed is compared with what was
# written.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=vmfail2
dm=/dev/mapper/$NAME
LEN=$((4 << 20))

for i in 1 3 4; do
	linear_over "m$i" "$(vm_disk "$i")" || bail "dm-linear over member $i"
done
devs=(/dev/vda /dev/mapper/m1 /dev/vdc /dev/mapper/m3 /dev/mapper/m4)
"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}" >&2 ||
	bail "create"

head -c "$LEN" /dev/urandom >/tmp/data

# read_pieces BS COUNT: read COUNT pieces of BS bytes at spread-out offsets
# of the first LEN bytes; sets n_ok, n_eio and n_wrong.
read_pieces() {
	local bs=$1 count=$2 i blk err
	n_ok=0 n_eio=0 n_wrong=0
	for ((i = 0; i < count; i++)); do
		blk=$(((i * 7919) % (LEN / bs)))
		if dd if="$dm" of=/tmp/piece bs="$bs" skip="$blk" count=1 \
			iflag=direct status=none 2>/tmp/err; then
			if cmp -s /tmp/piece <(dd if=/tmp/data bs="$bs" \
				skip="$blk" count=1 status=none); then
				n_ok=$((n_ok + 1))
			else
				n_wrong=$((n_wrong + 1))
			fi
		else
			err=$(cat /tmp/err)
			case "$err" in
			*"Input/output error"*) n_eio=$((n_eio + 1)) ;;
			*) echo "read error: $err" >&2; n_wrong=$((n_wrong + 1)) ;;
			esac
		fi
	done
}

# scenario A B: members A and B fail after the data was written.
scenario() {
	local a=$1 b=$2 what="members $1 and $2"
	vol_assemble "$NAME" "${devs[@]}" >&2 ||
		bail "assemble ($what)"
	check "$what: write 4 MiB while healthy" \
		dd if=/tmp/data of="$dm" bs=1M oflag=direct conv=notrunc status=none
	drop_caches
	read_pieces 65536 8
	check "$what: healthy reads all correct" test "$n_ok" = 8
	check "fail member $a" fail_linear "m$a"
	drop_caches
	read_pieces 65536 8
	check "$what: one failed, reads all correct (from parity)" \
		test "$n_ok" = 8
	check "fail member $b" fail_linear "m$b"
	drop_caches
	read_pieces 65536 8
	check "$what: 64 KiB reads: no wrong data ($n_ok ok, $n_eio EIO)" \
		test "$n_wrong" = 0
	check "$what: 64 KiB reads all fail with EIO" test "$n_eio" = 8
	read_pieces 4096 8
	check "$what: 4 KiB reads: no wrong data ($n_ok ok, $n_eio EIO)" \
		test "$n_wrong" = 0
	check "$what: 4 KiB reads all fail with EIO" test "$n_eio" = 8
	# A buffered read of the device: whatever it returns before the
	# error must be the data.
	dd if="$dm" of=/tmp/buffered bs=1M count=4 status=none 2>/dev/null
	got=$(stat -c %s /tmp/buffered)
	check "$what: buffered read returns no wrong data ($got bytes)" \
		cmp -s /tmp/buffered <(head -c "$got" /tmp/data)
	diag "dmsetup status: $(dmsetup status "$NAME")"
	dmsetup remove "$NAME" 2>/dev/null ||
		vol_stop "$NAME" >&2 ||
		not_ok "$what: cannot remove $NAME"
	check "$what: $NAME removed" test ! -e "$dm"
	heal_linear "m$a" "$(vm_disk "$a")"
	heal_linear "m$b" "$(vm_disk "$b")"
}

scenario 1 3
# Start over: a fresh volume, then lose a data member and parity.
"$DDRAIDCTL" create --name "$NAME" --assume-clean --force "${devs[@]}" >&2 ||
	bail "create again"
scenario 1 4

for i in 1 3 4; do
	dmsetup remove "m$i"
done
check "module unloads" rmmod dm_ddraid
finish
