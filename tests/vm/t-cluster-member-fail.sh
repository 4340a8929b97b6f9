#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=400 needs=module,ddraidctl
#
# A member fails under a verified fio workload on a cluster-mode volume
# with ddraidd attached: member 1 is a dm-linear over /dev/vdb switched to
# dm-error mid-write. The target holds the writes that skipped it
# (MEMBER_ERROR) until the daemon has recorded the failure in the
# survivors' superblocks (COMMIT_FAIL). No IO error reaches fio, every
# block verifies (degraded reads), the survivors' superblocks and the
# daemon say member 1 failed, no completion stays held.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
vm_load_module

NAME=clmfail
dm=/dev/mapper/$NAME
linear_over m1 /dev/vdb || bail "dm-linear over /dev/vdb"
cluster_volume_up "$NAME" /dev/vda /dev/mapper/m1 /dev/vdc

FIO=(fio --name=v --filename="$dm" --ioengine=libaio --direct=1
	--verify=crc32c --verify_fatal=1 --verify_dump=0 --bs=64k --iodepth=8
	--rw=write --size=32M --output-format=json)
"${FIO[@]}" --rate=,4m --output=/tmp/fio1.json >&2 &
fio_pid=$!
# Fail member 1 once 4 MiB went to it (its half of ~8 MiB).
base=$(sectors_written /dev/mapper/m1)
far() { [ $(($(sectors_written /dev/mapper/m1) - base)) -ge 8192 ]; }
wait_until 120 far || bail "fio writes"
check "fio is still writing when member 1 fails" kill -0 "$fio_pid"
check "swap member 1 to dm-error" fail_linear m1

wait "$fio_pid"
rc=$?
errs=$(jq '[.jobs[] | .error] | add' /tmp/fio1.json 2>/dev/null)
check "no IO error reached fio; its verify pass read every block (exit $rc, error $errs)" \
	test "$rc:$errs" = "0:0"
diag "dmsetup status: $(dmsetup status "$NAME")"
check "dmsetup status: member 1 (only) failed" \
	test "$(status_failed "$NAME" | tr '\n' ' ')" = "1 "
check "no write completion is still held" test "$(kstat "$NAME" held)" = 0
check "the daemon says member 1 failed" \
	test "$(dst "$NAME" '.members[1].state')" = failed
for d in /dev/vda /dev/vdc; do
	check "superblock on $d records member 1 failed" \
		test "$(member_state "$d" 1)" = failed
done
drop_caches
check "all 32 MiB verify again after a cache drop (degraded reads)" \
	"${FIO[@]}" --verify_only=1 --output=/dev/null
got=$(sha_range "$dm" 0 $((32 << 20)))
check "dmsetup remove" dmsetup remove "$NAME"
ddraidd_stop
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
exp=$("$DDRAIDCTL" export /dev/vda missing /dev/vdc | head -c $((32 << 20)) |
	sha256sum | cut -d' ' -f1)
check "ddraidctl export without member 1 equals what the kernel read" \
	test "$exp" = "$got"
dmsetup remove m1
finish
