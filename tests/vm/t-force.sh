#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=64M timeout=500 needs=module,ddraidctl
#
# Forced assembly under the real target (standalone). Members 1 and 3 are
# dm-linear maps that are swapped to dm-error and back.
#
# A. Member 1 fails under writes (the target records it), more is written
#    degraded, then member 3 fails (the target records no second failure:
#    writes fail). Member 1 comes back, member 3 does not: assembly is
#    refused, naming what --force would accept; assemble --force accepts
#    member 1, says that the degraded writes are missing on it, records it;
#    every block written before the first failure reads back, and the
#    next assembly needs no --force.
# B. The same, but member 3 comes back: it is current (never recorded
#    failed), so the volume assembles without --force, every block reads
#    back, and --force is refused as needless.
# C. Member 1 fails under the target, then member 3 dies during a write
#    made by the userspace engine, which records it failed too (the
#    superblocks of the issue: two members failed). Both come back:
#    assemble --force accepts member 3, which failed last, and every block
#    written before the second failure reads back through the target.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=vmforce
dm=/dev/mapper/$NAME
MiB=1048576
FW=$DDRAID_BUILD/tests/cli/fault-write
[ -x "$FW" ] || bail "no $FW (make check builds it)"

for i in 1 3; do
	linear_over "m$i" "$(vm_disk "$i")" || bail "dm-linear over member $i"
done
devs=(/dev/vda /dev/mapper/m1 /dev/vdc /dev/mapper/m3 /dev/vde)
head -c $((8 * MiB)) /dev/urandom >/tmp/d1
head -c $((8 * MiB)) /dev/urandom >/tmp/d2
head -c 65536 /dev/urandom >/tmp/d3

# reads_back FILE OFFSET: the volume holds FILE at byte OFFSET.
reads_back() {
	[ "$(sha_range "$dm" "$2" "$(stat -c %s "$1")")" = \
		"$(sha256sum <"$1" | cut -d' ' -f1)" ]
}

snap_members() {
	drop_caches
	cat /dev/vda /dev/mapper/m1 /dev/vdc /dev/vde | sha256sum
}

# fresh: a new volume, d1 written at 0 while healthy, member 1 failed
# under the target, d2 written at 16 MiB degraded, the target stopped.
fresh() {
	heal_linear m1 /dev/vdb && heal_linear m3 /dev/vdd || bail "heal"
	"$DDRAIDCTL" create --name "$NAME" --assume-clean --force \
		"${devs[@]}" >&2 || bail "create"
	vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble"
	check "$1: write d1 while healthy" dd if=/tmp/d1 of="$dm" bs=1M \
		oflag=direct conv=notrunc status=none
	check "$1: fail member 1" fail_linear m1
	check "$1: write d2 degraded" dd if=/tmp/d2 of="$dm" bs=1M \
		seek=16 oflag=direct conv=notrunc status=none
	check "$1: the target recorded member 1 failed at events 2" \
		test "$(member_state /dev/vda 1)" = failed -a \
		"$(examine_field /dev/vda events)" = 2
}

# ---- A: the first member comes back, the second is gone ----
fresh A
check "A: fail member 3 too" fail_linear m3
check_fails "A: a write with two members down fails" dd if=/tmp/d3 \
	of="$dm" bs=64k seek=512 oflag=direct conv=notrunc status=none
check "A: the target recorded no second failure" \
	test "$(member_state /dev/vda 3)" = active
check "A: stop" vol_stop "$NAME"
check "A: member 1 comes back" heal_linear m1 /dev/vdb
before=$(snap_members)
check_fails "A: assemble with member 3 gone is refused" \
	"$DDRAIDCTL" assemble --name "$NAME" /dev/vda /dev/mapper/m1 /dev/vdc \
	missing /dev/vde
"$DDRAIDCTL" assemble --name "$NAME" /dev/vda /dev/mapper/m1 /dev/vdc \
	missing /dev/vde 2>/tmp/err
check "A: the refusal says what --force would accept" grep -q \
	"assemble --force would accept member 1 (/dev/mapper/m1, failed at events 2) as current, leaving member 3 (missing) out" /tmp/err
check "A: refusals change no member" test "$(snap_members)" = "$before"
"$DDRAIDCTL" assemble --force --name "$NAME" /dev/vda /dev/mapper/m1 \
	/dev/vdc missing /dev/vde >&2 2>/tmp/err
rc=$?
cat /tmp/err >&2
check "A: assemble --force" test "$rc" = 0 -a -b "$dm"
check "A: report: member 1 taken as current" grep -q \
	"member 1 (/dev/mapper/m1) is taken as current. It was recorded failed at events 2 while member 3 was still in use" /tmp/err
check "A: report: the degraded writes are missing on it" grep -q \
	"every write made since events 2 (acknowledged ones too) is missing on it" /tmp/err
check "A: report: standalone, no write intent" grep -q \
	"the volume was used standalone, which keeps no write intent" /tmp/err
check "A: report: member 3 stays out" grep -q \
	"member 3 (missing) stays out" /tmp/err
check "A: report: superblocks rewritten" grep -q \
	"superblocks rewritten on members 0 1 2 4: events 2 -> 3" /tmp/err
check "A: dmsetup status: member 3 (only) failed" \
	test "$(status_failed "$NAME" | tr '\n' ' ')" = "3 "
drop_caches
check "A: d1, written before the first failure, reads back" reads_back /tmp/d1 0
if reads_back /tmp/d2 $((16 * MiB)); then
	not_ok "A: d2 reads back, though the report says it is missing on member 1"
else
	ok "A: d2 (written while member 1 was out) does not read back, as the report says"
fi
check "A: stop" vol_stop "$NAME"
check "A: superblocks: member 1 active" test "$(member_state /dev/vda 1)" = active
check "A: superblocks: member 3 failed" test "$(member_state /dev/vdb 3)" = failed
check "A: superblocks: events 3" test "$(examine_field /dev/vdc events)" = 3
check "A: the next assembly needs no --force" vol_assemble "$NAME" \
	/dev/vda /dev/mapper/m1 /dev/vdc missing /dev/vde
drop_caches
check "A: d1 reads back" reads_back /tmp/d1 0
check "A: stop" vol_stop "$NAME"

# ---- B: the second member comes back: nothing to force ----
fresh B
check "B: fail member 3 too" fail_linear m3
check "B: stop" vol_stop "$NAME"
check "B: member 3 comes back" heal_linear m3 /dev/vdd
# member 1 is still dm-error: given as missing
b_devs=(/dev/vda missing /dev/vdc /dev/mapper/m3 /dev/vde)
check_fails "B: assemble --force is refused" \
	"$DDRAIDCTL" assemble --force --name "$NAME" "${b_devs[@]}"
"$DDRAIDCTL" assemble --force --name "$NAME" "${b_devs[@]}" 2>/tmp/err
check "B: saying there is nothing to force" grep -q "nothing to force" /tmp/err
check "B: assemble without --force (member 1 out)" \
	vol_assemble "$NAME" "${b_devs[@]}"
drop_caches
check "B: d1 reads back" reads_back /tmp/d1 0
check "B: d2 reads back" reads_back /tmp/d2 $((16 * MiB))
check "B: stop" vol_stop "$NAME"

# ---- C: two members recorded failed, both come back ----
fresh C
check "C: stop" vol_stop "$NAME"
check "C: member 1 comes back" heal_linear m1 /dev/vdb
"$FW" --fail 3 --offset $((32 * MiB)) --input /tmp/d3 "${devs[@]}" 2>/tmp/err
rc=$?
cat /tmp/err >&2
check "C: member 3 dies during a write (engine): the write fails" test "$rc" = 3
check "C: superblocks: member 3 failed too" \
	test "$(member_state /dev/vda 3)" = failed -a \
	"$(member_state /dev/vda 1)" = failed
check_fails "C: assemble refused" "$DDRAIDCTL" assemble --name "$NAME" \
	"${devs[@]}"
"$DDRAIDCTL" assemble --force --name "$NAME" "${devs[@]}" >&2 2>/tmp/err
rc=$?
cat /tmp/err >&2
check "C: assemble --force" test "$rc" = 0 -a -b "$dm"
check "C: report: member 3, which failed last, taken as current" grep -q \
	"member 3 (/dev/mapper/m3) is taken as current. It was recorded failed at events 3, when member 1 was out already" /tmp/err
check "C: report: member 1 stays out" grep -q \
	"member 1 (/dev/mapper/m1, recorded failed at events 2) stays out" /tmp/err
check "C: dmsetup status: member 1 (only) failed" \
	test "$(status_failed "$NAME" | tr '\n' ' ')" = "1 "
drop_caches
check "C: d1 reads back" reads_back /tmp/d1 0
check "C: d2 (written before the second failure) reads back" \
	reads_back /tmp/d2 $((16 * MiB))
check "C: stop" vol_stop "$NAME"
check "C: the next assembly needs no --force" vol_assemble "$NAME" \
	"${devs[@]}"
check "C: stop" vol_stop "$NAME"

for i in 1 3; do
	dmsetup remove "m$i"
done
check "module unloads" rmmod dm_ddraid
finish
