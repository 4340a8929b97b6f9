#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=400 needs=module,ddraidctl
#
# ddraidd against the kernel target: a one-node corosync cluster on the
# loopback interface, a volume assembled --cluster, ddraidd attached through
# /dev/ddraid. A verified fio workload completes only if grants flow; the
# daemon's status shows the volume's regions and the ones it granted; after
# a clean stop (dm device first, then the daemon) the parity of the members
# is clean and a standalone assembly reads the same data.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
vm_load_module

NAME=clbasic
dm=/dev/mapper/$NAME
devs=(/dev/vda /dev/vdb /dev/vdc)
members=$(IFS=,; echo "${devs[*]}")

"$DDRAIDCTL" create --name "$NAME" --region-size 1M "${devs[@]}" >&2 ||
	bail "create"
regions=$(examine_field /dev/vda regions)
diag "regions: $regions"

corosync_up
ok "one-node corosync on loopback is quorate"
check "assemble --cluster" \
	"$DDRAIDCTL" assemble --name "$NAME" --cluster "${devs[@]}"
check "the target waits for a daemon, frozen" \
	test "$(kstat "$NAME" daemon) $(kstat "$NAME" frozen)" = "detached frozen"

ddraidd_start "$NAME" "$members"
if wait_until 60 d_attached "$NAME"; then
	ok "ddraidd attached to the kernel target"
else
	cl_logs
	bail "ddraidd attached within 60 s"
fi
wait_until 10 kstat_is "$NAME" daemon attached
check "dmsetup status: daemon attached, running" \
	test "$(kstat "$NAME" daemon) $(kstat "$NAME" frozen)" = "attached running"

# The grants compared below must outlive the seconds between fio and the
# comparison on a loaded host: no idle drop here (t-chan tests IDLE).
echo 600000 >/sys/module/dm_ddraid/parameters/idle_ms || bail "set idle_ms"
FIO=(fio --name=v --filename="$dm" --ioengine=libaio --direct=1
	--verify=crc32c --verify_fatal=1 --verify_dump=0 --iodepth=8
	--output-format=json)
timeout 300 "${FIO[@]}" --rw=write --bs=64k --size=24M \
	--output=/tmp/fio1.json >&2
rc=$?
errs=$(jq '[.jobs[] | .error] | add' /tmp/fio1.json 2>/dev/null)
check "sequential fio write+verify of 24 MiB through grants (exit $rc, error $errs)" \
	test "$rc:$errs" = "0:0"
timeout 300 "${FIO[@]}" --rw=randwrite --bs=4k --offset=32M --size=16M \
	--randseed=3 --output=/tmp/fio2.json >&2
rc=$?
errs=$(jq '[.jobs[] | .error] | add' /tmp/fio2.json 2>/dev/null)
check "random fio write+verify of 16 MiB through grants (exit $rc, error $errs)" \
	test "$rc:$errs" = "0:0"

diag "dmsetup status: $(dmsetup status "$NAME")"
DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" status --json "$NAME" >/tmp/st.json 2>&1
sed 's/^/#   /' /tmp/st.json | head -c 3000 | grep -v '^#   *$' >&2
check "ddraidctl status --json: the volume's $regions regions" \
	test "$(jq -r .regions /tmp/st.json)" = "$regions"
check "ddraidctl status: quorate, attached, this node coordinator" \
	test "$(jq -r '[.quorate, .attached, .coordinator] | map(tostring) | join(",")' /tmp/st.json)" = "true,true,1"
# Two snapshots taken one after the other may straddle a grant or an idle
# drop: they must agree once no message is in flight.
grants_agree() {
	granted=$(kstat "$NAME" granted)
	held=$(dst "$NAME" '[.nodes[] | select(.nodeid == 1) | .held] | first')
	[ "$granted" -gt 0 ] && [ "$held" = "$granted" ] &&
		[ "$(kstat "$NAME" granted)" = "$granted" ]
}
check "the daemon's grants are the kernel's (both > 0)" \
	wait_until 20 grants_agree
diag "kernel granted $granted, daemon says node 1 holds $held"

got=$(sha_range "$dm" 0 $((48 << 20)))
check "dmsetup remove (the target first)" dmsetup remove "$NAME"
ddraidd_stop
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
check "ddraidctl check: parity of the members is clean" \
	"$DDRAIDCTL" check "${devs[@]}"
check "assemble standalone" \
	"$DDRAIDCTL" assemble --name "$NAME" "${devs[@]}"
check "standalone reads what the cluster volume read" \
	test "$(sha_range "$dm" 0 $((48 << 20)))" = "$got"
check "fio verify-only of the random part, standalone" \
	"${FIO[@]}" --rw=randwrite --bs=4k --offset=32M --size=16M \
	--randseed=3 --verify_only=1 --output=/dev/null
check "stop" vol_stop "$NAME"
finish
