#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=500 needs=module,ddraidctl
#
# ddraidd killed with SIGKILL under a verified fio workload on the kernel
# target (docs/ddraidd.md "Failover", I7): the target keeps writing the
# regions it holds (its write counter grows while no daemon is attached),
# a write to a cold region waits at the gate, nothing fails. A restarted
# ddraidd reattaches, takes the target's HELD list over (its status shows
# this node holding what the kernel holds), and the waiting write
# completes. fio sees no error, every block verifies, the parity of the
# members is clean after stop.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
vm_load_module

NAME=clkill
dm=/dev/mapper/$NAME
MB=$((1 << 20))

# Grants stay while the daemon is away: no IDLE in this test's time.
echo 600000 >/sys/module/dm_ddraid/parameters/idle_ms || bail "idle_ms"
# The grant counts below are exact: no prefetched grant of the region after
# fio's last (prefetch_grants is on by default).
echo 0 >/sys/module/dm_ddraid/parameters/prefetch_grants ||
	bail "prefetch_grants"
devs=(/dev/vda /dev/vdb /dev/vdc)
cluster_volume_up "$NAME" "${devs[@]}"
members=$MEMBERS_CSV

# fio rewrites the first 8 regions, granted before it starts, at a
# limited rate so that the daemon dies in the middle; then verifies.
FIO=(fio --name=v --filename="$dm" --ioengine=libaio --direct=1
	--verify=crc32c --verify_fatal=1 --verify_dump=0 --iodepth=4
	--rw=randwrite --bs=4k --size=8M --randseed=11 --output-format=json)
dd if=/dev/zero of="$dm" bs=1M count=8 oflag=direct status=none ||
	bail "prime the first 8 regions"
check "8 regions granted before fio starts" test "$(kstat "$NAME" granted)" = 8

w0=$(sectors_written "$dm")
"${FIO[@]}" --rate=,1m --output=/tmp/fio1.json >&2 &
fio_pid=$!
# Kill the daemon once fio has written 256 KiB.
started() { [ "$(sectors_written "$dm")" -ge $((w0 + 512)) ]; }
wait_until 60 started || bail "fio writes"
w0=$(sectors_written "$dm")
kill -KILL "$DDRAIDD_PID"
wait "$DDRAIDD_PID" 2>/dev/null
DDRAIDD_PID=
wait_until 10 kstat_is "$NAME" daemon detached
check "ddraidd killed with SIGKILL: the target says detached" \
	test "$(kstat "$NAME" daemon)" = detached
check "fio still running" kill -0 "$fio_pid"

# The target keeps writing its granted regions with no daemon.
grows() { [ "$(sectors_written "$dm")" -ge $((w0 + 2048)) ]; }
check "writes to granted regions continue without a daemon (1 MiB more)" \
	wait_until 60 grows
diag "sectors written: $w0 -> $(sectors_written "$dm")"

# A write to a cold region (region 100) waits for a grant.
head -c 4096 /dev/urandom >/tmp/blk
dd if=/tmp/blk of="$dm" bs=4096 seek=$((100 * MB / 4096)) oflag=direct \
	status=none &
dd_pid=$!
check "a write to a cold region waits at the gate (waiting >= 1)" \
	wait_until 30 kstat_ge "$NAME" waiting 1
check "that write has not completed" kill -0 "$dd_pid"
check "fio still running, no grant needed" kill -0 "$fio_pid"
kgranted=$(kstat "$NAME" granted)

ddraidd_start "$NAME" "$members"
wait_until 60 d_attached "$NAME" || { cl_logs; bail "ddraidd reattached"; }
ok "a restarted ddraidd reattaches"
held=$(dst "$NAME" '[.nodes[] | select(.nodeid == 1) | .held] | first')
diag "kernel held $kgranted grants; restarted daemon: node 1 holds $held"
check "the restarted daemon took the target's HELD list over" \
	test "$held" -ge "$kgranted" -a "$kgranted" -ge 8
dd_done() { ! kill -0 "$dd_pid"; }
check "the waiting write completes after the reattach" wait_until 60 dd_done
wait "$dd_pid"
check "the waiting write succeeded" test $? = 0

wait "$fio_pid"
rc=$?
errs=$(jq '[.jobs[] | .error] | add' /tmp/fio1.json 2>/dev/null)
check "fio: no IO error, its verify pass read every block (exit $rc, error $errs)" \
	test "$rc:$errs" = "0:0"
drop_caches
check "fio verify-only again after a cache drop" \
	"${FIO[@]}" --verify_only=1 --output=/dev/null
check "the block written while waiting reads back" \
	test "$(sha_range "$dm" $((100 * MB)) 4096)" = \
	"$(sha256sum </tmp/blk | cut -d' ' -f1)"

check "dmsetup remove" dmsetup remove "$NAME"
ddraidd_stop
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
check "ddraidctl check: parity of the members is clean" \
	"$DDRAIDCTL" check "${devs[@]}"
finish
