#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One node of the two-VM cluster test, run inside its VM by run-2node.sh
# with ROLE=a or ROLE=b. a is corosync node 1 (the coordinator) and b node 2,
# or the other way round with DDRAID_2NODE_B_ID=1 (then the coordinator is
# the node that dies and a takes its place). Both VMs have
# the same three member images (vda..vdc, virtio serials shared0..2), a
# private link (eth0, 10.222.0.1 and .2) and a shared directory ($SH) where
# they and the host leave barrier files: "$ROLE.NAME" when a node reached
# NAME, "$ROLE.failed" when it gave up (the other stops waiting then).
#
#  1. corosync (two_node, knet over eth0), the volume assembled --cluster,
#     ddraidd on it; both daemons attached.
#  2. Phase a: both run fio crc32c write+verify (O_DIRECT) at the same time
#     on interleaved 64 KiB zones of regions 0-7 (a the even zones, b the
#     odd ones: every region is written by both), then each verifies the
#     other's zones.
#  3. Phase b: both run blocks.py's journalled writer on the even (a) and
#     odd (b) blocks of six other regions. After ACKS acknowledged writes b
#     writes b.cut; the host SIGKILLs b's qemu (a power cut) and writes
#     host.killed. a's daemon sees node b leave, is sent FENCED with the
#     regions b's bitmap slot marks and resyncs exactly those; a's writer
#     keeps going all along (no IO error) and makes progress after the
#     resync. two_node: ddraidd runs with --require-fencing, so a waits for
#     b's fencing and the test confirms it ("ddraidctl fenced") once the
#     host has cut b's power; nothing of b's is resynced before that. Then every block b acknowledged (phase a's fio zones and the
#     journal) reads back on a, b's never-written blocks read zeros, and a's
#     own blocks verify. The host checks the parity of the images after.

. "$(dirname "$0")/../lib.sh"
CL_DIR=$VM_SHARE/cluster	# the logs survive a power cut there
. "$VM_LIB_DIR/cluster-lib.sh"
CL_CTL=/run/ddraid-ctl		# a socket cannot live on 9p
. "$VM_LIB_DIR/multi/lib-node.sh"

NAME=mv2
ACKS=300		# b's acknowledged writes before it asks for the cut
TOKEN=${DDRAID_2NODE_TOKEN:-10000}
dm=/dev/mapper/$NAME

b_id=${DDRAID_2NODE_B_ID:-2}
case "$b_id" in
1|2) a_id=$((3 - b_id)) ;;
*) bail "DDRAID_2NODE_B_ID must be 1 or 2" ;;
esac
case "${ROLE:-}" in
a) me=$a_id; other=b ;;
b) me=$b_id; other=a ;;
*) bail "ROLE must be a or b" ;;
esac
PEERS=$other
mn_mount_shared

vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"

# --- the members, by serial (whatever order the guest probed them in) ----
devs=()
for i in 0 1 2; do
	for d in /sys/block/vd*; do
		[ "$(cat "$d/serial" 2>/dev/null)" = "shared$i" ] &&
			devs+=("/dev/${d##*/}")
	done
done
[ ${#devs[@]} = 3 ] || bail "three shared member disks (found ${devs[*]})"
members=$(IFS=,; echo "${devs[*]}")

# --- network and corosync ----------------------------------------------
ip link set lo up && ip link set eth0 up &&
	ip addr add "10.222.0.$me/24" dev eth0 ||
	bail "eth0 up with 10.222.0.$me (virtio_net loaded?)"

mn_corosync ddr2node "$TOKEN" "two_node: 1" \
	"$a_id:10.222.0.$a_id:a" "$b_id:10.222.0.$b_id:b"
# two_node implies wait_for_all: quorate means both nodes were seen.
mn_members_are 2 || {
	tail -n 20 "$CL_DIR/corosync.log" >&2
	bail "corosync: both nodes in the membership, quorate"
}
ok "corosync over the link: nodes 1 and 2, quorate"

vm_load_module
check "assemble the volume --cluster over the shared members" \
	"$DDRAIDCTL" assemble --name "$NAME" --cluster "${devs[@]}"
# two_node keeps both nodes quorate when they lose each other: ddraidd
# refuses it unless each loss waits for a confirmed fencing. Here the
# host's power cut is the fencing and a confirms it with "ddraidctl fenced"
# (docs/cluster-protocol.md, two_node).
ddraidd_start "$NAME" "$members" --fencing none --require-fencing
wait_until 90 d_attached "$NAME" || { cl_logs; bail "ddraidd attached"; }
check "ddraidd attached; its status shows both nodes attached" \
	wait_until 90 all_attached "$NAME" 2
regions=$(dst "$NAME" .regions)
barrier attached

# --- phase a: fio on interleaved zones of the same regions ---------------
# zone_fio NODE EXTRA...: fio over NODE's zones (a: even, b: odd 64 KiB
# zones of the first 8 MiB, i.e. regions 0-7).
zone_fio() {
	local off=0 node=$1
	[ "$node" = b ] && off=64k
	shift
	fio --name="zones" --filename="$dm" --rw=write --bs=4k --direct=1 \
		--ioengine=psync --offset="$off" --size=4M --zonemode=strided \
		--zonesize=64k --zoneskip=64k --verify=crc32c --verify_fatal=1 \
		--output="$CL_DIR/fio-$ROLE-$node.log" "$@"
}
check "phase a: fio crc32c write+verify of my zones (both nodes at once)" \
	zone_fio "$ROLE" --do_verify=1
barrier fio-written
check "phase a: node $other's zones verify here" \
	zone_fio "$other" --verify_only=1
barrier fio-verified

# --- phase b: journalled writers, power cut of b ----------------------------
if [ "$ROLE" = b ]; then
	: >"$SH/b.acked"
	python3 "$BLOCKS" write "$dm" "$SH/b.acked" b --fsync \
		2>>"$CL_DIR/writer-b.log" &
	writer=$!
	enough() { [ "$(acked "$SH/b.acked")" -ge "$ACKS" ]; }
	wait_until 180 enough || bail "$ACKS writes acknowledged"
	kill -0 "$writer" || bail "the writer stopped early"
	ok "$ACKS writes acknowledged and journalled, still writing: cut"
	diag "dmsetup status: $(dmsetup status "$NAME")"
	arrive cut
	# The host kills this VM now; what follows only runs if it did not.
	await 120 host.killed
	bail "still alive after asking for the power cut"
fi

r0=$(dst "$NAME" .io.resynced_regions)
f0=$(dst "$NAME" .cpg.fenced_regions)
m0=$(dst "$NAME" .cpg.fenced_msgs)
rm -f /tmp/a.stop
: >/tmp/a.acked
python3 "$BLOCKS" write "$dm" /tmp/a.acked a --stop /tmp/a.stop \
	2>>"$CL_DIR/writer-a.log" &
writer=$!
await 180 b.cut || bail "node b asked for the power cut"
await 60 host.killed || bail "the host killed node b"
n_cut=$(acked /tmp/a.acked)
ok "node b is gone (its qemu killed under writes); my writer is at $n_cut"

# a stays quorate alone (two_node) and waits for b's fencing: nothing of
# b's is resynced before the operator (here: after the host's power cut)
# confirms it.
fence_wanted() {
	[ "$(dst "$NAME" ".nodes[] | select(.nodeid == $b_id) | .fence_wanted")" = true ]
}
wait_until 120 fence_wanted || { cl_logs; bail "node $b_id left, its fencing wanted"; }
ok "node $b_id (b) left corosync; a waits for its fencing"
check "nothing of b's is taken as fenced or resynced unconfirmed" \
	test "$(dst "$NAME" .cpg.fenced_msgs)/$(dst "$NAME" .io.resynced_regions)" = "$m0/$r0"
check "the log tells the operator how to confirm it" \
	grep -q "confirm with 'ddraidctl fenced $NAME --node $b_id'" "$CL_DIR/ddraidd.log"
check "ddraidctl fenced $NAME --node $b_id (the host cut its power)" \
	env DDRAID_CTL_DIR="$CL_CTL" "$DDRAIDCTL" fenced "$NAME" --node "$b_id"
fenced() { [ "$(dst "$NAME" .cpg.fenced_msgs)" -gt "$m0" ]; }
wait_until 120 fenced || { cl_logs; bail "node $b_id fenced (FENCED delivered)"; }
ok "node $b_id (b) was fenced once confirmed"
# Resynced all it marked: the counter reaches what FENCED named, nothing
# dirty or waiting for the fence is left.
resync_done() {
	[ "$(dst "$NAME" .io.resynced_regions)" -ge \
		$(($(dst "$NAME" .cpg.fenced_regions) - f0 + r0)) ] &&
		[ "$(dst "$NAME" .dirty)" = 0 ] &&
		[ "$(dst "$NAME" .fence_wait)" = 0 ]
}
wait_until 120 resync_done || cl_logs
nf=$(($(dst "$NAME" .cpg.fenced_regions) - f0))
nr=$(($(dst "$NAME" .io.resynced_regions) - r0))
nm=$(($(dst "$NAME" .cpg.fenced_msgs) - m0))
diag "FENCED named $nf regions, $nr resynced, of $regions; messages $nm"
grep -iE 'fenced|resync' "$CL_DIR/ddraidd.log" | tail -n 5 | sed 's/^/#   /'
echo "$nf $nr" >"$SH/a.fenced"	# the host compares b's slot on the disks
check "one FENCED message for node $b_id" test "$nm" = 1
# b wrote 6 regions round-robin to the end: its slot marks all 6; it may
# still mark some of the 8 of phase a (bits are cleared lazily).
check "b's slot marked its 6 hot regions, at most 8 more ($nf)" \
	test "$nf" -ge 6 -a "$nf" -le 14
check "exactly those resynced ($nr = $nf, of $regions)" test "$nr" = "$nf"
check "nothing left dirty or waiting for the fence" \
	test "$(dst "$NAME" .dirty)" = 0 -a "$(dst "$NAME" .fence_wait)" = 0
held_b=$(dst "$NAME" "[.nodes[] | select(.nodeid == $b_id) | .held] | add // 0")
check "node $b_id holds nothing any more" test "$held_b" = 0
check "I (node $a_id) am the coordinator" \
	test "$(dst "$NAME" .coordinator)" = "$a_id"

# a's writes go on into the regions that were b's.
n_done=$(acked /tmp/a.acked)
more() { [ "$(acked /tmp/a.acked)" -ge $((n_done + 200)) ]; }
check "my writer goes on after the resync ($n_done writes, 200 more)" \
	wait_until 120 more
touch /tmp/a.stop
wait "$writer"
rc=$?
check "my writer never saw an IO error ($(acked /tmp/a.acked) writes)" \
	test "$rc" = 0
cp /tmp/a.acked "$CL_DIR/a.acked"

drop_caches
nb=$(acked "$SH/b.acked")
check "every block b acknowledged in phase b reads back here ($nb)" \
	python3 "$BLOCKS" verify "$dm" "$SH/b.acked" b
check "b's zones of phase a still verify here" \
	zone_fio b --verify_only=1
check "b's next 24 writes never happened: zeros" \
	python3 "$BLOCKS" zeros "$dm" "$SH/b.acked" b 24
check "all my blocks read back" \
	python3 "$BLOCKS" verify "$dm" /tmp/a.acked a
check "my zones of phase a still verify" zone_fio a --verify_only=1

check "dmsetup remove" dmsetup remove "$NAME"
ddraidd_stop
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
arrive done
finish
