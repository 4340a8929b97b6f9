# SPDX-License-Identifier: GPL-2.0-only
#
# Shared pieces of the scripts the multi-VM tests run in each VM
# (t-2node.sh, t-3node.sh), sourced after lib.sh and cluster-lib.sh.
#
# The VMs and the host meet in a 9p directory shared by all of them
# ($SH, vm-run --shared-dir, cache=none: a file one side creates is seen
# by the others at once). Barrier files: "$ROLE.NAME" when node ROLE
# reached NAME, "$ROLE.failed" when it gave up (its script ended with a
# non-zero status), "host.failed" when the host did. $ROLE is this node,
# $PEERS the other nodes (space-separated), both set by the caller.

SH=/mnt/shared
BLOCKS=$VM_LIB_DIR/multi/blocks.py

# mn_mount_shared: mount $SH; whatever ends this script early, the other
# nodes and the host learn it.
mn_mount_shared() {
	mkdir -p "$SH" &&
		mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none \
			vmshared "$SH" || bail "mount the shared directory"
	trap '[ $? = 0 ] || touch "$SH/$ROLE.failed"' EXIT
}

# arrive NAME: say this node reached NAME.
arrive() { touch "$SH/$ROLE.$1"; }

# gave_up: a peer or the host gave up (nobody will arrive any more).
gave_up() {
	local p
	[ -e "$SH/host.failed" ] && return 0
	for p in $PEERS; do
		[ -e "$SH/$p.failed" ] && return 0
	done
	return 1
}

# await SECONDS FILE: wait for the barrier file FILE in $SH; fail at once
# if a peer or the host gave up.
await() {
	local end=$((SECONDS + $1))
	until [ -e "$SH/$2" ]; do
		if gave_up; then
			diag "waiting for $2: a peer or the host gave up"
			return 1
		fi
		[ "$SECONDS" -lt "$end" ] || return 1
		# Each try is a few 9p requests the host's qemu serves.
		nap 0.25
	done
}

# await_all SECONDS NAME NODE...: every NODE reached NAME.
await_all() {
	local t=$1 name=$2 n
	shift 2
	for n in "$@"; do
		await "$t" "$n.$name" || return 1
	done
}

# barrier NAME: every node ($ROLE and $PEERS) reached NAME.
barrier() {
	arrive "$1"
	# shellcheck disable=SC2086
	await_all 180 "$1" $PEERS || bail "the other nodes reached '$1'"
}

# mn_corosync CLUSTER TOKEN QUORUM NODE...: eth0's corosync
# (cl_corosync_conf's arguments), started; mn_members_are waits for it.
mn_corosync() {
	mkdir -p "$CL_DIR" /etc/corosync /var/lib/corosync /var/log/corosync
	cl_corosync_conf "$@" >/etc/corosync/corosync.conf
	corosync -f >"$CL_DIR/corosync.out" 2>&1 &
	CL_COROSYNC_PID=$!
}

# mn_members_are N [SECONDS]: corosync is quorate with N nodes.
mn_members_are() {
	wait_until "${2:-90}" mn_members_now "$1"
}
mn_members_now() {
	local s
	s=$(corosync-quorumtool -s 2>/dev/null) &&
		echo "$s" | grep -q '^Quorate: *Yes' &&
		echo "$s" | grep -q "^Nodes: *$1\$"
}

# all_attached VOL N: the daemon's status shows N nodes attached.
all_attached() {
	[ "$(dst "$1" '[.nodes[] | select(.attached)] | length')" = "$2" ]
}

# acked JOURNAL: acknowledged writes so far.
acked() { wc -l 2>/dev/null <"$1" || echo 0; }

# mn_net_up ADDR: lo and eth0 up, ADDR/24 on eth0, IPv4 only (no IPv6
# link-local chatter on the private network either).
mn_net_up() {
	sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip link set lo up && ip link set eth0 up &&
		ip addr add "$1/24" dev eth0 ||
		bail "eth0 up with $1 (virtio_net loaded?)"
}

# mn_find_disk: this VM's own disk (vm-run --disk-file: virtio serial
# file0) in own.
mn_find_disk() {
	local d
	own=
	for d in /sys/block/vd*; do
		[ "$(cat "$d/serial" 2>/dev/null)" = file0 ] && own=/dev/${d##*/}
	done
	[ -n "$own" ] || bail "my own disk (serial file0)"
}
# mn_own_disk: mn_find_disk, and corosync's cmap answering (corosync
# started just before).
mn_own_disk() {
	mn_find_disk
	mn_cmap_wait
}
mn_cmap_ready() { corosync-cmapctl -g nodelist.local_node_pos >/dev/null 2>&1; }
mn_cmap_wait() { wait_until 60 mn_cmap_ready || bail "corosync's cmap answers"; }

# mn_all_but NODE: the nodes of ALL but NODE, space-separated.
mn_all_but() { echo $ALL | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '; }

# mn_offer: this node offers its disk (own) with ddraidctl export-disk, the
# bootstrap's first command, and waits for the others' offers.
mn_offer() {
	check "export-disk $own (offer my disk)" "$DDRAIDCTL" export-disk "$own"
	barrier offered
}

# mn_create NAME [OPTION...]: the bootstrap's second command: node a makes
# the volume over every node's disk (create --nodes all) once corosync has
# all of them; the others wait for it.
mn_create() {
	local name=$1
	shift
	if [ "$ROLE" = a ]; then
		mn_members_are 3 120 || bail "corosync: three nodes, quorate"
		check "create --name $name $* --nodes all (the bootstrap)" \
			"$DDRAIDCTL" create --name "$name" "$@" --nodes all
		arrive created
	else
		await 240 a.created || bail "node a made the volume"
	fi
}
