#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One node of the distributed benchmark (tests/vm/bench-3node.sh runs it
# with ROLE=a|b|c): three VMs, each with one throttled disk of its own.
# Node a first measures its own blank disk with fio (the baseline: one
# member, local, the same throttling); then every node offers its disk
# (ddraidctl export-disk), node a measures node b's blank disk over
# NVMe/TCP (the transport alone), node a makes the volume (create --nodes all
# --assume-clean), every node starts it with the OCF agent (NVMe/TCP: its
# own member local, the other two imported), and node a measures the
# volume with the same fio jobs (two of its three members are across the
# network). Then nodes a and b mirror their disks with DRBD (protocol C)
# and node a measures that with the same jobs. The results go to the
# shared directory (fio/); the host prints the ratios.

. "$(dirname "$0")/../lib.sh"
CL_DIR=$VM_SHARE/cluster
. "$VM_LIB_DIR/cluster-lib.sh"
CL_CTL=/run/ddraid-ctl
. "$VM_LIB_DIR/multi/lib-node.sh"
. "$VM_LIB_DIR/multi/nvme-lib.sh"
. "$VM_LIB_DIR/bench-lib.sh"

NAME=bv3
RUNTIME=${DDRAID_BENCH_RUNTIME:-10}
case "$ROLE" in a) me=1 ;; b) me=2 ;; c) me=3 ;; *) bail "ROLE a, b or c" ;; esac
ALL="a b c"
PEERS=$(mn_all_but "$ROLE")
mn_mount_shared
vm_need_build
mkdir -p "$CL_DIR"
mn_net_up "10.223.0.$me"
mn_corosync ddr3bench 5000 "" 1:10.223.0.1:a 2:10.223.0.2:b 3:10.223.0.3:c
nv_host "$me"
mn_own_disk
vm_load_module

if [ "$ROLE" = a ]; then
	check "baseline: fio on my own disk (one member, local)" \
		bench_fio "$own" single "$SH/fio" "$RUNTIME"
	# (fio's data is no signature, but an export must find a blank disk)
	check "wipe my disk after the baseline" \
		dd if=/dev/zero of="$own" bs=1M count=4 oflag=direct status=none
fi
barrier measured-disk
mn_offer
if [ "$ROLE" = a ]; then
	# The transport alone: node b's blank disk, imported by hand over
	# NVMe/TCP (its offer), with the same fio jobs.
	bnqn=nqn.2026-12.org.ddraid:node2:disk
	modprobe -a nvme-tcp nvme-fabrics || bail "modprobe nvme-tcp"
	check "nvme connect to node b's offered disk" \
		nvme connect -t tcp -a 10.223.0.2 -s "$NV_PORT" -n "$bnqn"
	wait_until 30 nv_dev "$bnqn" || bail "node b's disk over NVMe/TCP"
	check "fio on node b's disk over NVMe/TCP (the transport alone)" \
		bench_fio "$(nv_dev "$bnqn")" remote "$SH/fio" "$RUNTIME"
	check "wipe node b's disk after it" \
		dd if=/dev/zero of="$(nv_dev "$bnqn")" bs=1M count=4 oflag=direct status=none
	check "nvme disconnect" nvme disconnect -n "$bnqn"
fi
mn_create "$NAME" --assume-clean
drop_caches
mn_members_are 3 120 || bail "corosync: three nodes, quorate"

# The agent, as Pacemaker would run it (see t-3node.sh).
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=$NAME HA_RSCTMP=/tmp/rsctmp \
	OCF_RESKEY_name=$NAME OCF_RESKEY_ddraidd_binary=$DDRAIDD \
	OCF_RESKEY_ddraidctl_binary=$DDRAIDCTL OCF_RESKEY_ctl_dir=$CL_CTL \
	OCF_RESKEY_fence_delay=10 OCF_RESKEY_log_file=$CL_DIR/ddraidd.log
mkdir -p "$HA_RSCTMP"
check "ocf/volume start (export, import, assemble, ddraidd)" \
	"$VM_SRCDIR/ocf/volume" start
check "all three attached" wait_until 120 all_attached "$NAME" 3
barrier started
if [ "$ROLE" = a ]; then
	diag "dmsetup table: $(dmsetup table "$NAME")"
	check "fio on the volume (two of three members over NVMe/TCP)" \
		bench_fio "/dev/mapper/$NAME" ddraid "$SH/fio" "$RUNTIME"
	arrive benched
else
	await $((RUNTIME * 8 + 300)) a.benched || bail "node a's fio"
fi
check "ocf/volume stop" "$VM_SRCDIR/ocf/volume" stop
barrier stopped

# The peer a user would pick instead (issue 10): DRBD, the in-tree 8.4
# module with drbd-utils, protocol C, mirroring node a's and node b's
# disks over the same network; node a, primary, runs the same fio jobs on
# it. Both disks are declared in sync (new-current-uuid --clear-bitmap on
# new metadata): fio's data needs no initial sync.
DRBD_CONF=/tmp/drbd-r0.res
drbd() { drbdadm -c "$DRBD_CONF" "$@"; }
drbd_is() { [ "$(drbd "$1" r0 2>/dev/null)" = "$2" ]; }
# drbd_step WHAT COMMAND...: one step; a failed one ends the DRBD part
# (a benchmark of the peer, not a test of ddraid) with the reason, which
# the host prints.
drbd_step() {
	local what=$1
	shift
	[ ! -e "$SH/$ROLE.drbd-skip" ] || return 1
	if "$@" >&2; then
		diag "DRBD: $what"
		return 0
	fi
	echo "$ROLE: $what failed" >"$SH/$ROLE.drbd-skip"
	diag "DRBD: $what failed"
	return 1
}
if [ "$ROLE" != c ]; then
	cat >"$DRBD_CONF" <<CONF
global { usage-count no; }
resource r0 {
	protocol C;
	device minor 0;
	disk $own;
	meta-disk internal;
	floating 10.223.0.1:7789;
	floating 10.223.0.2:7789;
}
CONF
	# drbdadm locks in /var/lock, which the VM's root lacks.
	mkdir -p /run/lock /var/lock
	drbd_step "drbd-utils installed" command -v drbdadm &&
		drbd_step "modprobe drbd" modprobe drbd &&
		drbd_step "create-md on my disk" \
			eval 'drbd -- --force create-md r0 </dev/null' &&
		drbd_step "up (protocol C to the other node)" drbd up r0
fi
barrier drbd-up
if [ "$ROLE" = a ] && [ ! -e "$SH/b.drbd-skip" ]; then
	drbd_step "connected" \
		wait_until 60 drbd_is cstate Connected &&
		drbd_step "new data, no initial sync (new-current-uuid --clear-bitmap)" \
			drbd -- --clear-bitmap new-current-uuid r0 &&
		drbd_step "both disks UpToDate" \
			wait_until 60 drbd_is dstate UpToDate/UpToDate &&
		drbd_step "primary here" drbd primary r0 &&
		drbd_step "fio on DRBD (protocol C, node b's disk the peer)" \
			bench_fio /dev/drbd0 drbd "$SH/fio" "$RUNTIME" &&
		drbd_step "secondary again" drbd secondary r0
fi
arrive drbd-benched
[ "$ROLE" = a ] || await $((RUNTIME * 8 + 300)) a.drbd-benched ||
	bail "node a's fio on DRBD"
[ "$ROLE" = c ] || drbd down r0 >&2 2>/dev/null
barrier drbd-down
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
finish
