#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=4 size=64M timeout=600 needs=module,ddraidctl
#
# Online rebuild through the kernel target under a verified fio workload
# (issue 4, items 6 and 9), with the target's grant prefetch on. A 3-member cluster-mode volume with ddraidd;
# members 1 and 2 are dm-linear devices that can be switched to dm-error.
#
# 1. Member 1 fails mid-write and is rebuilt onto a new disk (/dev/vdd)
#    with "ddraidctl rebuild VOL --member 1 /dev/vdd" while fio keeps
#    writing: ddraidd reloads the live table with the new device
#    ("rebuild 1"), swapping tables with a noflush suspend; the new table
#    takes the grants and the daemon's channel over. No IO error reaches
#    fio, the daemon never reconnects, and once member 1 is active every
#    block verifies with reads served by the new disk.
# 2. Member 2 drops out briefly and comes back ("--bitmap"): only the
#    regions written while it was away are rebuilt.
# Then the members are checked from userspace: parity clean, and the
# export equals what the kernel read.
# 0. First, with ddraidd killed and a write waiting for a grant: a noflush
#    suspend and a table reload do not wait for a daemon (the waiting write
#    goes back to dm and comes to the new table), and once a daemon is
#    back the write completes with its data.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
vm_load_module
# With the target's grant prefetch on (the default, set here explicitly), so that its
# grants asked for ahead of the writer meet the failures, the table swaps
# and the rebuild walks here (DDRAID_PREFETCH=0 turns it off).
echo "${DDRAID_PREFETCH:-1}" >/sys/module/dm_ddraid/parameters/prefetch_grants ||
	bail "cannot set prefetch_grants"
diag "grant prefetch: $(cat /sys/module/dm_ddraid/parameters/prefetch_grants)"

NAME=clrebuild
dm=/dev/mapper/$NAME
SIZE=$((48 << 20))
linear_over m1 /dev/vdb || bail "dm-linear over /dev/vdb"
linear_over m2 /dev/vdc || bail "dm-linear over /dev/vdc"
cluster_volume_up "$NAME" /dev/vda /dev/mapper/m1 /dev/mapper/m2
members=$MEMBERS_CSV

# devno DEV: "major:minor" as dm tables show it.
devno() {
	local maj min
	read -r maj min < <(stat -L -c '%t %T' "$1") || return 1
	echo "$((16#$maj)):$((16#$min))"
}
connects() { grep -c "channel to the target connected" "$CL_DIR/ddraidd.log"; }
member_is() { [ "$(dst "$NAME" ".members[$1].state")" = "$2" ]; }
rebuild_idle() { [ "$(dst "$NAME" .rebuild.active)" = false ]; }

# fio_bg NAME RATE SEED: a verified sequential write of the first SIZE
# bytes in the background (FIO_PID), then its own verify pass.
fio_bg() {
	fio --name=v --filename="$dm" --ioengine=libaio --direct=1 \
		--verify=crc32c --verify_fatal=1 --verify_dump=0 --bs=64k \
		--iodepth=8 --rw=write --size=$SIZE --rate=,"$2" \
		--randseed="$3" \
		--output-format=json --output="/tmp/$1.json" >&2 &
	FIO_PID=$!
}
fio_ok() {
	local rc errs
	# A write that never completes must show where it waits, not hit the
	# VM's timeout.
	if ! wait_until 240 sh -c "! kill -0 $FIO_PID"; then
		diag "fio still running after 240 s: dmsetup status: $(dmsetup status "$NAME")"
		DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" status --json "$NAME" 2>&1 |
			jq -c '{quorate, attached, frozen, dirty, lock, rebuild, nodes}' 2>&1 |
			sed 's/^/# /'
		cl_logs
		kill -9 "$FIO_PID"
	fi
	wait "$FIO_PID"
	rc=$?
	errs=$(jq '[.jobs[] | .error] | add' "/tmp/$1.json" 2>/dev/null)
	check "$2 (fio exit $rc, error $errs)" test "$rc:$errs" = "0:0"
}

# --- 0. noflush suspend and reload while a write waits ------------------
blk=$((120 * 256))	# in region 120: cold (fio writes regions 0..47)
head -c 4096 /dev/urandom >/tmp/blk
# A granted region (idle grants are dropped only with a daemon attached).
check "a write to region 3 with ddraidd attached" \
	dd if=/tmp/blk of="$dm" bs=4k seek=$((3 * 256)) count=1 oflag=direct \
	status=none
kill -9 "$DDRAIDD_PID"
wait "$DDRAIDD_PID" 2>/dev/null
DDRAIDD_PID=
check "ddraidd killed: the target is detached" \
	wait_until 20 sh -c "dmsetup status $NAME | grep -q ' detached '"
dd if=/tmp/blk of="$dm" bs=4k seek=$blk count=1 oflag=direct 2>/dev/null &
dd_pid=$!
waiting() { [ "$(kstat "$NAME" waiting)" = "$1" ]; }
check "a write to a cold region waits for a grant" wait_until 20 waiting 1
check "dmsetup suspend --noflush does not wait for the daemon" \
	timeout 30 dmsetup suspend --noflush "$NAME"
check "the waiting write went back to dm (none waits in the target)" \
	waiting 0
check "dmsetup resume" dmsetup resume "$NAME"
check "the write is back at the gate, not failed" wait_until 20 waiting 1
check "the writer is still waiting" kill -0 "$dd_pid"
dmsetup table "$NAME" | cut -d' ' -f3- >/tmp/table
check "reload the same table (dmsetup load)" \
	dmsetup load "$NAME" --table "0 $(blockdev --getsz "$dm") $(cat /tmp/table)"
check "swap tables with a noflush suspend, no daemon attached" \
	sh -c "timeout 30 dmsetup suspend --noflush $NAME && dmsetup resume $NAME"
check "the new table has the waiting write" wait_until 20 waiting 1
check "the new table kept the grant the old one held (region 3)" \
	test "$(kstat "$NAME" granted)" = 1
ddraidd_start "$NAME" "$members"
check "ddraidd restarted and attached" wait_until 60 d_attached "$NAME"
wait "$dd_pid"
rc=$?
check "the write completed once the daemon was back (exit $rc)" test $rc = 0
drop_caches
check "and its block reads back" \
	test "$(sha_range "$dm" $((blk * 4096)) 4096)" = \
	"$(sha256sum </tmp/blk | cut -d' ' -f1)"

# --- 1. full rebuild onto a new disk, under load -----------------------
# fail_under_fio M SECTORS: once SECTORS more went to member M (the
# dm-linear mM), switch it to dm-error and wait for the cluster to record
# the failure.
fail_under_fio() {
	local base
	base=$(sectors_written "/dev/mapper/m$1")
	wrote() { [ $(($(sectors_written "/dev/mapper/m$1") - base)) -ge "$2" ]; }
	wait_until 120 wrote "$1" "$2" || bail "fio writes to member $1"
	check "swap member $1 to dm-error while fio writes" fail_linear "m$1"
	check "the cluster records member $1 failed" \
		wait_until 60 member_is "$1" failed
}

fio_bg full 3m 1
fail_under_fio 1 8192
c0=$(connects)
check "fio still writing when the rebuild starts" kill -0 "$FIO_PID"
check "ddraidctl rebuild --member 1 /dev/vdd is accepted" \
	env DDRAID_CTL_DIR="$CL_CTL" "$DDRAIDCTL" rebuild "$NAME" --member 1 \
	/dev/vdd
check "rebuild under load: member 1 active again" \
	wait_until 300 member_is 1 active
check "the rebuild is over" wait_until 30 rebuild_idle
fio_ok full "no IO error reached fio during failure and rebuild; every block verified"
diag "dmsetup table: $(dmsetup table "$NAME")"
diag "dmsetup status: $(dmsetup status "$NAME")"
rebuilt1=$(dst "$NAME" .io.rebuilt_regions)
diag "the full rebuild wrote $rebuilt1 regions"
tbl=$(dmsetup table "$NAME")
check "the live table has /dev/vdd ($(devno /dev/vdd)) as member 1" \
	test "$(echo "$tbl" | awk '{ print $6 }')" = "$(devno /dev/vdd)"
check "and no rebuild option once member 1 is active" \
	sh -c "! echo '$tbl' | grep -q rebuild"
check "dmsetup status: all members in use (AAA)" \
	test "$(status_failed "$NAME" | wc -l)" = 0
check "the daemon's channel survived the table swap (no reconnect)" \
	test "$(connects)" = "$c0"
check "the kernel says the new table took the cluster state over" \
	sh -c "dmesg | grep -q 'took over the cluster state'"
check "no write completion is held" test "$(kstat "$NAME" held)" = 0
drop_caches
check "all blocks verify again from the rebuilt volume (reads use /dev/vdd)" \
	fio --name=v --filename="$dm" --ioengine=libaio --direct=1 \
	--verify=crc32c --verify_fatal=1 --bs=64k --iodepth=8 --rw=write \
	--size=$SIZE --randseed=1 --verify_only=1 \
	--output=/dev/null
vdd_reads=$(awk '{ print $3 }' "/sys/dev/block/$(devno /dev/vdd)/stat")
check "the verify pass read from the new disk ($vdd_reads sectors)" \
	test "$vdd_reads" -gt 0

# --- 2. a member back after a short absence: bitmap rebuild ------------
total=$(dst "$NAME" .regions)
fio_bg bitmap 3m 2
fail_under_fio 2 4096
check "member 2's disk is back" heal_linear m2 /dev/vdc
check "ddraidctl rebuild --member 2 /dev/mapper/m2 --bitmap is accepted" \
	env DDRAID_CTL_DIR="$CL_CTL" "$DDRAIDCTL" rebuild "$NAME" --member 2 \
	/dev/mapper/m2 --bitmap
check "bitmap rebuild: member 2 active again" \
	wait_until 300 member_is 2 active
fio_ok bitmap "no IO error reached fio during the bitmap rebuild"
walked=$(($(dst "$NAME" .io.rebuilt_regions) - rebuilt1))
diag "bitmap rebuild walked $walked of $total regions"
check "the bitmap rebuild walked some but fewer regions than the volume has" \
	test "$walked" -gt 0 -a "$walked" -lt "$total"
drop_caches
check "all blocks verify after the bitmap rebuild" \
	fio --name=v --filename="$dm" --ioengine=libaio --direct=1 \
	--verify=crc32c --verify_fatal=1 --bs=64k --iodepth=8 --rw=write \
	--size=$SIZE --randseed=2 --verify_only=1 \
	--output=/dev/null
got=$(sha_range "$dm" 0 "$SIZE")

check "dmsetup remove" dmsetup remove "$NAME"
ddraidd_stop
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
check "ddraidctl check: parity clean on vda, vdd, vdc" \
	"$DDRAIDCTL" check /dev/vda /dev/vdd /dev/mapper/m2
exp=$("$DDRAIDCTL" export /dev/vda /dev/vdd /dev/mapper/m2 |
	head -c "$SIZE" | sha256sum | cut -d' ' -f1)
check "ddraidctl export of the rebuilt members equals what the kernel read" \
	test "$exp" = "$got"
for d in /dev/vda /dev/vdd /dev/mapper/m2; do
	check "superblock on $d: all members active" \
		test "$(member_state "$d" 1):$(member_state "$d" 2)" = active:active
done
dmsetup remove m1
dmsetup remove m2
finish
