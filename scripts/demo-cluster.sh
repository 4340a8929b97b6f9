#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demonstration's second act (scripts/demo.sh runs it): a 3-node
# cluster on this host. Each node is a network namespace running real
# corosync and ddraidd; since this host has no device-mapper, each node's
# data path is the userspace stand-in for the kernel target
# (tests/netns/ddraid-standin.c, speaking the kernel channel's messages),
# and the three member files are shared by all nodes like SAN disks.
# All nodes write; node 3 loses power mid-write; the survivors resync only
# the regions node 3 had marked dirty and keep writing; then every write
# any node acknowledged reads back and parity checks clean.
#
#   scripts/demo-cluster.sh BUILD_DIR      (root)
# Ends with one PASS or FAIL line; the exit status says the same.
set -u

BUILD=$(cd "${1:?usage: demo-cluster.sh BUILD_DIR}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../tests/netns/lib.sh
. "$top/tests/netns/lib.sh"
step=0
say() {
	step=$((step + 1))
	printf '\n[cluster %d] %s\n' "$step" "$*"
}
fail() {
	printf '\nFAIL: %s\n' "$*"
	exit 1
}
trap 'cluster_down >/dev/null 2>&1' EXIT
show_status() {
	printf '    $ ddraidctl status %s   (on node %s)\n' "$VOL" "$1"
	DDRAID_CTL_DIR=$T/n$1 "$DDRAIDCTL" status "$VOL" | sed 's/^/    /'
}

say "Three network namespaces, one corosync each, on a private bridge"
cluster_up 3
members_create 3 24M || fail "could not create the volume"
for i in 1 2 3; do
	wait_for 40 "node $i quorate" quorate_on "$i" ||
		fail "node $i did not become quorate"
done
echo "    corosync is quorate on all 3 nodes; members: $MEMBERS"

say "ddraidd and a data path on every node; every node writes"
for i in 1 2 3; do
	daemon_start "$i"
	standin_start "$i" --blocks 128 --rate 60 --idle-ms 2000
done
wait_for 40 "all attached" all_attached 1 2 3 || fail "the daemons did not attach"
for i in 1 2 3; do
	wait_for 30 "node $i writes" acked_at_least "$i" 30 ||
		fail "node $i does not write"
done
show_status 1

say "Node 3 loses power mid-write (corosync, ddraidd and its data path killed)"
before=$(( $(st 1 .io.resynced_regions) + $(st 2 .io.resynced_regions) ))
echo "    node 3 holds $(sv 3 .held_regions) regions for writing"
kill_node 3
resynced() {
	[ "$(st 1 .cpg.fenced_msgs)" -ge 1 ] &&
		[ "$(st 1 '.dirty + .fence_wait')" = 0 ]
}
wait_for 60 "resync of node 3's regions" resynced ||
	fail "the survivors did not resync node 3's regions"
fenced=$(st 1 .cpg.fenced_regions)
done_now=$(( $(st 1 .io.resynced_regions) + $(st 2 .io.resynced_regions) ))
regions=$(st 1 .regions)
echo "    node 3's write-intent slot marked $fenced regions dirty;"
echo "    the survivors resynced $((done_now - before)) of the volume's $regions regions"
[ $((done_now - before)) = "$fenced" ] ||
	fail "resynced regions differ from node 3's dirty regions"
show_status 1

say "Nodes 1 and 2 keep writing"
for i in 1 2; do
	base=$(sv "$i" .acked)
	wait_for 30 "node $i writes" acked_at_least "$i" $((base + 20)) ||
		fail "node $i stopped writing"
	echo "    node $i: $(sv "$i" .acked) writes acknowledged, $(sv "$i" .io_errors) IO errors"
done

say "Every write any node acknowledged reads back; parity is clean"
stop_standins
verify_volume || fail "acknowledged data did not read back"
parity_clean || fail "parity is inconsistent"

# Run from scripts/demo.sh, which prints the one final line.
lead="PASS: "
[ -z "${DDRAID_DEMO_INNER:-}" ] || lead="    "
printf '\n%sa 3-node cluster lost a node mid-write, resynced only its dirty regions and lost no acknowledged write\n' \
	"$lead"
exit 0
