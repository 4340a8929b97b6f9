#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=64M timeout=300 needs=module,ddraidctl
#
# A crash while a member failure is being recorded can leave one survivor's
# superblock one update behind the others. Its data is current (the newest
# superblock still records it active), so the kernel must accept it, bring
# its superblock up to date, and serve every block; a member two updates
# behind stays refused. Recreated here by putting back member 0's
# superblock copies from before the failure was recorded.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=vmlag
dm=/dev/mapper/$NAME
devs=(/dev/vda /dev/vdb /dev/vdc /dev/vdd /dev/vde)
"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}" >&2 ||
	bail "create"
head -c $((8 << 20)) /dev/urandom >/tmp/data

# Member 0's superblock copies (4 KiB at 4 KiB and at 8 KiB) before.
dd if=/dev/vda of=/tmp/sb0 bs=4096 skip=1 count=2 iflag=direct status=none ||
	bail "save superblocks"
vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble"
check "write the first 4 MiB healthy" \
	dd if=/tmp/data of="$dm" bs=1M count=4 oflag=direct status=none
check "fail member 4 by message" dmsetup message "$NAME" 0 fail 4
check "write the next 4 MiB degraded (records the failure)" \
	dd if=/tmp/data of="$dm" bs=1M skip=4 seek=4 count=4 oflag=direct \
	status=none
check "stop" vol_stop "$NAME"
ev1=$(examine_field /dev/vdb events)
check "member 4 recorded failed on member 1" \
	test "$(member_state /dev/vdb 4)" = failed

# Put back member 0's superblocks: it missed exactly that update.
check "member 0's superblocks rolled back one update" \
	dd if=/tmp/sb0 of=/dev/vda bs=4096 seek=1 count=2 oflag=direct \
	conv=notrunc status=none
drop_caches
ev0=$(examine_field /dev/vda events)
check "member 0 is one update behind ($ev0 vs $ev1)" test $((ev0 + 1)) = "$ev1"
check "assemble with the lagging member and member 4 missing" \
	vol_assemble "$NAME" /dev/vda /dev/vdb /dev/vdc /dev/vdd missing
check "all 8 MiB read back intact" \
	cmp <(dd if="$dm" bs=1M count=8 iflag=direct status=none) /tmp/data
check "stop" vol_stop "$NAME"
drop_caches
check "member 0's superblock was brought up to date" \
	test "$(examine_field /dev/vda events)" = "$ev1"
check "and says member 4 failed" test "$(member_state /dev/vda 4)" = failed

# Member 4 rebuilt offline: the events move on by two more updates, so an
# old copy of member 0's superblock is now stale and must be refused.
check "rebuild member 4 offline onto its old disk" \
	"$DDRAIDCTL" rebuild --offline --force --member 4 --new /dev/vde \
	/dev/vda /dev/vdb /dev/vdc /dev/vdd missing
dd if=/tmp/sb0 of=/dev/vda bs=4096 seek=1 count=2 oflag=direct \
	conv=notrunc status=none
drop_caches
tab="0 $(($(examine_field /dev/vdb data_size) / 512)) ddraid 5 /dev/vda /dev/vdb /dev/vdc /dev/vdd /dev/vde 1 standalone"
dmesg -C
check_fails "the kernel refuses member 0 now stale" \
	dmsetup create "$NAME" --table "$tab"
check "with the reason in the kernel log" \
	sh -c 'dmesg | grep -q "Member is stale"'
finish
