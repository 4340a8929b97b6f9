#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=64M timeout=400 needs=module,ddraidctl
#
# One member dies in the middle of a verified write workload: member 2 is a
# dm-linear over /dev/vdc whose table is swapped to "error" while fio
# writes. No IO error may reach fio, every block must verify afterwards
# (read back through parity), the target's status and the surviving
# superblocks must say member 2 failed, and a later assembly must not read
# the stale member even when it is readable again.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=vmfail1
dm=/dev/mapper/$NAME
linear_over m2 /dev/vdc || bail "dm-linear over /dev/vdc"
devs=(/dev/vda /dev/vdb /dev/mapper/m2 /dev/vdd /dev/vde)

"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}" >&2 ||
	bail "create"
vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble"
[ -b "$dm" ] || bail "$dm does not exist after assemble"

FIO=(fio --name=v --filename="$dm" --ioengine=libaio --direct=1
	--verify=crc32c --verify_fatal=1 --verify_dump=0 --bs=64k --iodepth=8
	--rw=write --size=96M --output-format=json)

# The standalone volume's events come from the target (dm events and its
# status), no daemon involved: follow them through the failure.
check "ddraidctl monitor --oneshot: no problem yet (exit 0)" \
	env DDRAID_CTL_DIR=/tmp/no-daemons "$DDRAIDCTL" monitor --oneshot "$NAME"
DDRAID_CTL_DIR=/tmp/no-daemons "$DDRAIDCTL" events --json "$NAME" \
	>/tmp/events.jsonl 2>/tmp/events.err &
events_pid=$!

# Writes limited to 16 MB/s so the failure lands in the middle of them.
"${FIO[@]}" --do_verify=1 --rate=,16m --output=/tmp/fio1.json >&2 &
fio_pid=$!

# Fail the member once 16 MiB went to it (its share of ~64 MiB).
base=$(sectors_written /dev/mapper/m2)
while kill -0 "$fio_pid" 2>/dev/null &&
	[ $(($(sectors_written /dev/mapper/m2) - base)) -lt 32768 ]; do
	sleep 0.1
done
if kill -0 "$fio_pid" 2>/dev/null; then
	ok "fio is still writing when member 2 fails"
else
	not_ok "fio finished before the failure could be injected"
fi
check "swap member 2 to dm-error" fail_linear m2

wait "$fio_pid"
rc=$?
errs=$(jq '[.jobs[] | .error] | add' /tmp/fio1.json 2>/dev/null)
if [ "$rc" = 0 ] && [ "$errs" = 0 ]; then
	ok "no IO error reached fio; its verify pass read every block"
else
	not_ok "fio exit $rc, error $errs"
fi

drop_caches
check "all 96 MiB verify again after a cache drop (degraded reads)" \
	"${FIO[@]}" --verify_only=1 --output=/tmp/fio2.json
failed=$(status_failed "$NAME" | tr '\n' ' ')
diag "dmsetup status: $(dmsetup status "$NAME")"
check "dmsetup status shows member 2 (only) failed" test "$failed" = "2 "
# (events --json: one object a line; member-failed before volume-degraded.)
ev_seen() {
	jq -e -s "map(select(.volume == \"$NAME\")) |
		(map(.event) | index(\"member-failed\")) as \$f |
		(map(.event) | index(\"volume-degraded\")) as \$d |
		\$f != null and \$d != null and \$f < \$d and
		(.[\$f].member == 2)" /tmp/events.jsonl >/dev/null
}
check "ddraidctl events (standalone, from the target): member-failed member=2, then volume-degraded" \
	wait_until 30 ev_seen
diag "events: $(tr '\n' ' ' </tmp/events.jsonl)"
kill "$events_pid" 2>/dev/null
wait "$events_pid" 2>/dev/null
DDRAID_CTL_DIR=/tmp/no-daemons "$DDRAIDCTL" monitor --oneshot "$NAME" \
	>/tmp/oneshot.txt 2>&1
rc=$?
diag "monitor --oneshot: $(tr '\n' '|' </tmp/oneshot.txt)"
check "ddraidctl monitor --oneshot: exit 1, the degraded volume reported" \
	test "$rc" = 1 -a -n "$(grep -E "$NAME.*(volume-degraded|member-failed)" /tmp/oneshot.txt)"
# ddraidctl status without a name lists the standalone volume from its
# device-mapper status (tests/cli/t-status.sh covers the daemons' half).
DDRAID_CTL_DIR=/tmp/no-daemons "$DDRAIDCTL" status >/tmp/status.txt 2>&1
diag "ddraidctl status: $(tr '\n' '|' </tmp/status.txt)"
check "ddraidctl status lists the standalone volume" \
	grep -qx "volume $NAME (standalone kernel target)" /tmp/status.txt
check "... degraded" grep -q "^  state degraded, " /tmp/status.txt
check "... member 2 failed, the others active" \
	test "$(grep '^  member ' /tmp/status.txt | tr '\n' '|')" = \
	"  member 0 active|  member 1 active|  member 2 failed|  member 3 active|  member 4 active|"
check "ddraidctl status --json: format 1, the volume standalone, member 2 failed" \
	sh -c "DDRAID_CTL_DIR=/tmp/no-daemons '$DDRAIDCTL' status --json |
		jq -e '.format == 1 and (.volumes[] | select(.volume == \"$NAME\") |
			.type == \"standalone\" and .daemon == false and
			.state == \"degraded\" and .members[2].state == \"failed\")'"
check "ddraidctl status $NAME: the same volume by name" \
	sh -c "'$DDRAIDCTL' status $NAME | grep -q '^  member 2 failed'"
# Writes after the failure are acknowledged (degraded) and read back.
check "degraded write+verify of 16 MiB more" \
	fio --name=w --filename="$dm" --ioengine=libaio --direct=1 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --bs=4k --iodepth=16 \
	--rw=randwrite --randseed=7 --offset=128M --size=16M --output=/dev/null
# Degraded writes were acknowledged: the failure must be on disk by now.
for d in /dev/vda /dev/vde; do
	check "superblock on $d records member 2 failed" \
		test "$(member_state "$d" 2)" = failed
done
got=$(dd if="$dm" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
check "stop" vol_stop "$NAME"

# Userspace reconstructs the same volume without member 2.
exp=$("$DDRAIDCTL" export /dev/vda /dev/vdb missing /dev/vdd /dev/vde |
	sha256sum | cut -d' ' -f1)
check "ddraidctl export without member 2 equals what the kernel read" \
	test "$exp" = "$got"

# Member 2 readable again but stale: it must never be read.
check "member 2 readable again (stale)" heal_linear m2 /dev/vdc
if vol_assemble "$NAME" "${devs[@]}" >&2; then
	drop_caches
	check "a stale member is not read: 96 MiB still verify" \
		"${FIO[@]}" --verify_only=1 --output=/tmp/fio3.json
	again=$(dd if="$dm" bs=1M iflag=direct status=none |
		sha256sum | cut -d' ' -f1)
	check "whole volume unchanged with the stale member present" \
		test "$again" = "$got"
	check "stop" vol_stop "$NAME"
else
	ok "assembly with the stale member refused"
fi
check "assemble with member 2 given as missing" \
	vol_assemble "$NAME" /dev/vda /dev/vdb missing \
	/dev/vdd /dev/vde
drop_caches
check "96 MiB verify with member 2 missing" \
	"${FIO[@]}" --verify_only=1 --output=/tmp/fio4.json
check "stop" vol_stop "$NAME"
dmsetup remove m2
check "module unloads" rmmod dm_ddraid
finish
