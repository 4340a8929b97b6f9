#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=1200 mem=640 needs=ddraidctl,debs optin=yes why=13-min-under-TCG
#
# Opt-in (tests/vm/run-vm-tests.sh --build DIR t-pkg): under TCG the DKMS
# build and depmod make dpkg -i take about 9 minutes and dpkg -r 2 more
# (791 s in all, measured 2026-12-06); tests/pkg/ checks the same packages
# on the host in about a minute, DKMS build included.
#
# The Debian packages that tests/pkg/run-pkg-tests.sh built into
# BUILD/pkg, installed with dpkg -i in the VM (its root is the host's under
# a throwaway overlay, so this is a real install that vanishes with the
# VM): ddraid-dkms's postinst has DKMS build and install dm-ddraid for the
# VM's kernel, and modprobe loads that module. Then only installed
# programs run: ddraidctl creates, assembles, writes and reads back a
# standalone volume; the installed agent (defaults: /usr/sbin) starts the
# volume in cluster mode on a one-node corosync with /usr/sbin/ddraidd,
# whose pid file /run/ddraid/NAME.pid names it and keeps a second daemon
# out; stop removes both. dpkg -r removes the packages and DKMS's module.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
PKG=$DDRAID_BUILD/pkg
debs=$(ls "$PKG"/ddraid_*.deb "$PKG"/ddraid-dkms_*.deb 2>/dev/null)
[ "$(echo "$debs" | wc -w)" = 2 ] || bail "no ddraid and ddraid-dkms packages in $PKG"
if [ -e /usr/sbin/ddraidd ] || dpkg -s ddraid >/dev/null 2>&1; then
	bail "ddraid is installed on the host already: nothing would be proven"
fi
# Only the installed programs from here on.
DDRAIDCTL=/usr/sbin/ddraidctl
DDRAIDD=/usr/sbin/ddraidd
AGENT=/usr/lib/ocf/resource.d/ddraid/volume
NAME=pkgvol
devs=(/dev/vda /dev/vdb /dev/vdc)
members=$(IFS=,; echo "${devs[*]}")
MB=$((1 << 20))
kver=$(uname -r)

# ---- install ----
# man-db's trigger would rebuild its whole index under TCG (minutes): it
# skips that without this file (the overlay's copy; the host keeps its own).
rm -f /var/lib/man-db/auto-update
# shellcheck disable=SC2086
check "dpkg -i ddraid ddraid-dkms (DKMS builds the module for $kver)" \
	env DEBIAN_FRONTEND=noninteractive dpkg -i $debs
check "dpkg: both installed" sh -c \
	"dpkg -s ddraid | grep -q 'ok installed' && dpkg -s ddraid-dkms | grep -q 'ok installed'"
check "dkms status: ddraid installed for $kver" sh -c \
	"dkms status -m ddraid -k $kver | grep -q installed"
ko=$(modinfo -k "$kver" -n dm-ddraid 2>/dev/null)
check "modinfo finds dm-ddraid in DKMS's place ($ko)" \
	sh -c "echo '$ko' | grep -q '/updates/dkms/'"
check "modprobe dm-ddraid" modprobe dm-ddraid
check "the ddraid target is registered" sh -c "dmsetup targets | grep -q '^ddraid '"
for f in $DDRAIDCTL $DDRAIDD /usr/sbin/ddraid-stonith $AGENT; do
	check "installed: $f" test -x "$f"
done

# ---- a standalone volume, installed ddraidctl ----
check "ddraidctl create" "$DDRAIDCTL" create --name "$NAME" --region-size 1M "${devs[@]}"
check "ddraidctl assemble (standalone)" "$DDRAIDCTL" assemble --name "$NAME" "${devs[@]}"
head -c $((4 * MB)) /dev/urandom >/tmp/data
want=$(sha256sum </tmp/data | cut -d' ' -f1)
check "write 4 MiB through /dev/mapper/$NAME" \
	dd if=/tmp/data of=/dev/mapper/$NAME bs=1M seek=2 oflag=direct status=none
drop_caches
check "read back: the same checksum" \
	test "$(sha_range /dev/mapper/$NAME $((2 * MB)) $((4 * MB)))" = "$want"
check "ddraidctl stop" "$DDRAIDCTL" stop "$NAME"
check "ddraidctl check: parity consistent" "$DDRAIDCTL" check "${devs[@]}"

# ---- the installed agent and daemon, cluster mode ----
corosync_up
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vol0 HA_RSCTMP=/tmp/rsctmp
export OCF_RESKEY_name=$NAME OCF_RESKEY_members=$members
export OCF_RESKEY_fence_delay=1 OCF_RESKEY_log_file=$CL_DIR/ddraidd.log
mkdir -p "$HA_RSCTMP"
PF=/run/ddraid/$NAME.pid
ra() { "$AGENT" "$1" >/tmp/ra.out 2>/tmp/ra.err; rc=$?; sed "s/^/#   $1: /" /tmp/ra.err >&2; }
ra start
check "agent start (installed defaults: /usr/sbin/ddraidd): exit $rc" test "$rc" = 0
[ "$rc" = 0 ] || { cl_logs; bail "start failed"; }
pid=$(cat "$PF" 2>/dev/null)
check "pid file $PF names the running daemon ($pid)" test -n "$pid" -a -d "/proc/$pid"
check "...which is /usr/sbin/ddraidd" \
	test "$(readlink "/proc/$pid/exe")" = /usr/sbin/ddraidd
ra monitor
check "agent monitor: exit $rc" test "$rc" = 0
check "the target says attached and running" \
	test "$(kstat "$NAME" daemon) $(kstat "$NAME" frozen)" = "attached running"
"$DDRAIDD" --volume "$NAME" --members "$members" \
	--channel "kernel:/dev/mapper/$NAME" --ctl-dir /tmp/ctl2 \
	--pid-file "$PF" --foreground >/tmp/second.out 2>&1
rc=$?
check "a second ddraidd with the same pid file exits 1 (exit $rc)" test "$rc" = 1
check "...naming the running daemon's pid" grep -q "another ddraidd (pid $pid) holds it" /tmp/second.out
check "...and changed nothing: no control socket of its own, same pid file" \
	test ! -e "/tmp/ctl2/$NAME.sock" -a "$(cat "$PF")" = "$pid"
check "the running daemon still answers" \
	env DDRAID_CTL_DIR=/run/ddraid "$DDRAIDCTL" status "$NAME"
drop_caches
check "the standalone data reads back in cluster mode" \
	test "$(sha_range /dev/mapper/$NAME $((2 * MB)) $((4 * MB)))" = "$want"
ra stop
check "agent stop: exit $rc" test "$rc" = 0
check "after stop: no daemon, no pid file, no dm device" \
	test ! -e "$PF" -a ! -d "/proc/$pid" -a ! -e "/dev/mapper/$NAME"
ra monitor
check "agent monitor after stop: OCF_NOT_RUNNING (exit $rc)" test "$rc" = 7
kill "$CL_COROSYNC_PID" 2>/dev/null

# ---- remove ----
modprobe -r dm-ddraid 2>/dev/null
check "dpkg -r ddraid ddraid-dkms" env DEBIAN_FRONTEND=noninteractive dpkg -r ddraid ddraid-dkms
check "the programs and the agent are gone" \
	test ! -e $DDRAIDD -a ! -e $DDRAIDCTL -a ! -e $AGENT
check "DKMS removed the module" test ! -e "$ko"
finish
