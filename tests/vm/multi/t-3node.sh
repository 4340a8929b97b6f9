#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One node of the three-VM test of a volume on the nodes' own disks, run in
# its VM by run-3node.sh with ROLE=a|b|c (corosync node 1|2|3, the host of
# member 0|1|2, address 10.223.0.1|2|3 on eth0) and BOOT=1, or BOOT=2 for
# the victim's second boot. Each VM has one disk of its own (virtio serial
# file0), blank at the start. The nodes and the host meet in the shared
# directory (lib-node.sh).
#
#  create  the bootstrap of ddraidctl(8), NODES' OWN DISKS: corosync (knet,
#          token 5000, three nodes); every node offers its disk
#          (ddraidctl export-disk), node c's only after it was refused
#          while it held ext4 (exit 2, nothing exported); node a: create
#          --nodes with a node that is not in corosync's list, or a node
#          twice, is refused (exit 2), with c's disk still ext4 too (exit
#          1), nothing changed (a's disk, no NVMe controller; c's disk
#          still ext4); c wipes its disk and a makes the volume with
#          create --name mv3 --nodes all (member i: node i's disk).
#  setup   on every node the agent (ocf/volume start, run as Pacemaker
#          would with OCF_RESKEY_*: transport nvme-tcp, fence_delay 10,
#          path_timeout $PATH_TMO): ddraidctl connect exports the node's
#          disk as the volume's member and imports the other two
#          (keep-alive 3 s, ctrl_loss_tmo -1, reconnect 1 s,
#          fast_io_fail 1 s, checked), assemble --cluster, ddraidd
#          --host-member <its member>; each member found by its NQN has
#          the right superblock; monitor succeeds.
#  write   every node starts its writer (blocks.py: its third of the
#          blocks of six regions, every acknowledged block journalled in
#          the shared directory; it runs to the end, a mark at each phase
#          gives the phase's longest stall), then verifies every node's
#          blocks.
#  loss    the victim ($DDRAID_3NODE_VICTIM, default b) asks for its power
#          cut and the host kills its qemu. The survivors: no IO error,
#          the member recorded failed (daemon and superblock), writes go
#          on; their longest write stall is printed and held to issue 8's
#          goal: corosync's detection (measured: from the last write
#          before the cut to the membership without the victim in
#          corosync's log) + one fence delay + 1 s; every block the
#          victim acknowledged reads back (its fragments through the
#          parity).
#  return  the host boots the victim again with its disk; its table leaves
#          its own (stale) member out; it rejoins and its member is
#          re-added automatically from the bitmaps (the rebuild seen in
#          ddraidctl status, then every member active); the survivors'
#          NVMe controllers reconnected by themselves and the member's
#          device node is the same; every node verifies every node's
#          blocks.
#  cut1    the first survivor (X) drops NVMe/TCP to and from the second
#          survivor's (Y) export with tc until its daemon has a path
#          fault, then lets it through again: nobody records anything
#          failed (status, events, superblocks), X's writes that missed
#          the member complete, nobody sees an IO error.
#  cut2    X cuts the same path until its daemon withdraws (its log says
#          so, the agent's monitor fails; X's writer gets EIO, X's target
#          fails IO): the others write on, nothing is recorded failed;
#          with the path back the agent's start runs a daemon again over
#          the same target, it attaches, X writes again.
#          The writers stop (no IO error anywhere else) and every node
#          verifies every node's blocks.
#  stop    every node runs the agent's stop (dm device, daemon, then the
#          transport): nothing is left behind (no dm device, no daemon,
#          no nvmet subsystem or port, no NVMe controller of the volume),
#          monitor says not running; the host checks the images
#          (run-3node.sh).

. "$(dirname "$0")/../lib.sh"
CL_DIR=$VM_SHARE/cluster	# the logs survive a power cut there
. "$VM_LIB_DIR/cluster-lib.sh"
CL_CTL=/run/ddraid-ctl		# a socket cannot live on 9p
. "$VM_LIB_DIR/multi/lib-node.sh"
. "$VM_LIB_DIR/multi/nvme-lib.sh"

NAME=mv3
ALL="a b c"
# blocks.py's layout, the host's too: 3 nodes, 96 blocks of each region
# (32 each: fewer blocks to verify under TCG).
BLOCKS_OPTS=${DDRAID_3NODE_BLOCKS_OPTS:---nodes 3 --span 96}
TOKEN=5000
FENCE=10
PATH_TMO=${DDRAID_3NODE_PATH_TIMEOUT:-15}
ACKS=150		# writes per node in the write phase
dm=/dev/mapper/$NAME
BOOT=${BOOT:-1}
victim=${DDRAID_3NODE_VICTIM:-b}

id_of() { case "$1" in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; esac; }
addr_of() { echo "10.223.0.$(id_of "$1")"; }
# create --nodes all: member i is the disk of the i-th node of corosync's
# node list (a, b, c).
member_of() { echo $(($(id_of "$1") - 1)); }
# The NQN ddraidctl connect exports a member under (ddraidctl(8)); UUID is
# the volume's, read once the volume exists.
nqn_of() { echo "nqn.2026-12.org.ddraid:$UUID:m$(member_of "$1")"; }
NVMET=/sys/kernel/config/nvmet

case "$ROLE" in
a|b|c) ;;
*) bail "ROLE must be a, b or c" ;;
esac
case "$victim" in
a|b|c) ;;
*) bail "DDRAID_3NODE_VICTIM must be a, b or c" ;;
esac
me=$(id_of "$ROLE")
my_m=$(member_of "$ROLE")
vm_m=$(member_of "$victim")
others=$(echo $ALL | tr ' ' '\n' | grep -vx "$ROLE" | tr '\n' ' ')
survivors=$(echo $ALL | tr ' ' '\n' | grep -vx "$victim" | tr '\n' ' ')
read -r X Y <<<"$survivors"	# X cuts its path to Y's member
PEERS=$others
mn_mount_shared
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
diag "node $ROLE (corosync $me, member $my_m), boot $BOOT; victim $victim;" \
	"path cuts: $X to $Y's member"
JOURNAL=$SH/$ROLE.acked
# Status polls fork ddraidctl and jq: not too often, three VMs share two
# host CPUs.
WAIT_STEP=0.5

# --- helpers -------------------------------------------------------------

# The agent, run as Pacemaker runs it; its output goes to agent.log.
AGENT=$VM_SRCDIR/ocf/volume
[ -x "$AGENT" ] || bail "no agent at $AGENT"
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=$NAME HA_RSCTMP=/tmp/rsctmp
export OCF_RESKEY_name=$NAME OCF_RESKEY_ddraidd_binary=$DDRAIDD \
	OCF_RESKEY_ddraidctl_binary=$DDRAIDCTL OCF_RESKEY_ctl_dir=$CL_CTL \
	OCF_RESKEY_fence_delay=$FENCE OCF_RESKEY_path_timeout=$PATH_TMO \
	OCF_RESKEY_log_file=$CL_DIR/ddraidd.log
mkdir -p "$HA_RSCTMP" "$CL_DIR"
# ra ACTION: the agent's exit status in RA_RC (0: this function succeeds).
ra() {
	echo "--- $(date +%T) $1" >>"$CL_DIR/agent.log"
	"$AGENT" "$1" >>"$CL_DIR/agent.log" 2>&1
	RA_RC=$?
	[ "$RA_RC" = 0 ]
}
ra_is() { ra "$2"; [ "$RA_RC" = "$1" ]; }
# The daemon the agent started (its pid file).
agent_daemon() { cat "$CL_CTL/$NAME.pid" 2>/dev/null; }

# refused RC MESSAGE ARG...: ddraidctl ARG... exits RC saying MESSAGE.
refused() {
	local want=$1 msg=$2 rc
	shift 2
	"$DDRAIDCTL" "$@" >/tmp/refused.out 2>/tmp/refused.err
	rc=$?
	sed 's/^/#   /' /tmp/refused.err
	[ "$rc" = "$want" ] && grep -q -- "$msg" /tmp/refused.err
}
# Nothing of the volume is exported or imported here.
no_exports() {
	[ -z "$(ls "$NVMET/subsystems" 2>/dev/null)" ] &&
		[ -z "$(ls "$NVMET/ports" 2>/dev/null)" ]
}
no_imports() {
	[ -z "$(ls /sys/class/nvme 2>/dev/null)" ] &&
		! nvme list-subsys 2>/dev/null | grep -q "nqn.2026-12.org.ddraid:"
}

# watch_readd SECONDS: poll the daemon until every member is active and no
# rebuild runs; sets RB_SEEN (a rebuild of the victim's member was seen),
# RB_T0 (when first seen), RB_DONE (its progress at the last poll seeing it).
watch_readd() {
	local end=$((SECONDS + $1)) s act mem st progress
	RB_SEEN=0 RB_T0= RB_DONE=
	while [ "$SECONDS" -lt "$end" ]; do
		s=$(dst "$NAME" '"\(.rebuild.active) \(.rebuild.member // -1) \(.rebuild.done // -1)/\(.rebuild.total // -1) \([.members[].state] | join(","))"')
		read -r act mem progress st <<<"$s"
		if [ "$act" = true ] && [ "$mem" = "$vm_m" ]; then
			[ "$RB_SEEN" = 1 ] || RB_T0=$SECONDS
			RB_SEEN=1
			RB_DONE=$progress
		fi
		[ "$st" = active,active,active ] && [ "$act" = false ] && return 0
		nap 0.5
	done
	return 1
}

# The victim's second boot: its member's re-add starts as soon as its
# daemon attached, while the agent's start returns; watch it from then on
# (readd_watch), in the background, and collect it later (readd_wait).
readd_watch() {
	( watch_readd 240; echo "$? $SECONDS $RB_SEEN ${RB_T0:-0} ${RB_DONE:-}" >/tmp/readd ) &
	READD_PID=$!
}
readd_wait() {
	local rc
	wait "$READD_PID"
	read -r rc READD_END RB_SEEN RB_T0 RB_DONE </tmp/readd || return 1
	return "$rc"
}

# The writer (blocks.py), in the background from the write phase to the
# end (a writer that stops lets its grants go idle, and taking them again
# costs seconds under TCG). w_start; w_more N [S]: N more acknowledgements
# within S seconds, the writer still running (no IO error); w_mark: the
# longest stall and the writes since the last mark (W_GAP, W_GAP_START,
# W_WRITES); w_stop: W_RC, the writer's status (1: an IO error).
W_STATS=$CL_DIR/writer-stats.jsonl
# No --fsync: the journal is on the cache=none 9p share, every line is in
# the host's page cache when write() returns, and a power cut of the VM
# does not touch the host's.
w_start() {
	rm -f /tmp/w.stop
	python3 "$BLOCKS" write "$dm" "$JOURNAL" "$ROLE" $BLOCKS_OPTS \
		--stop /tmp/w.stop --stats "$W_STATS" 2>>"$CL_DIR/writer.log" &
	W_PID=$!
}
w_more_cond() { [ "$(acked "$JOURNAL")" -ge "$1" ] && kill -0 "$W_PID"; }
w_more() {
	local want=$(($(acked "$JOURNAL") + $1))
	wait_until "${2:-120}" w_more_cond "$want"
}
w_lines() { wc -l 2>/dev/null <"$W_STATS" || echo 0; }
w_read() {
	read -r W_WRITES W_GAP W_GAP_START W_ERROR < <(tail -n 1 "$W_STATS" |
		jq -r '"\(.writes) \(.max_gap) \(.max_gap_start) \(.error)"')
}
w_mark() {
	local n
	n=$(w_lines)
	kill -USR1 "$W_PID" 2>/dev/null && wait_until 30 w_marked "$n" ||
		return 1
	w_read
}
w_marked() { [ "$(w_lines)" -gt "$1" ]; }
w_stop() {
	touch /tmp/w.stop
	wait "$W_PID"
	W_RC=$?
	w_read
}

# verify WHAT NODE...: every block NODE... acknowledged reads back here
# (their writers may be running: a block is always rewritten with the same
# contents).
verify() {
	local what=$1 n args=() count=
	shift
	drop_caches
	for n in "$@"; do
		args+=("$SH/$n.acked" "$n")
		count+="${count:+, }$n $(acked "$SH/$n.acked")"
	done
	check "$what: the blocks $* acknowledged read back here ($count writes)" \
		python3 "$BLOCKS" verify "$dm" "${args[@]}" $BLOCKS_OPTS
}

# Every fork of ddraidctl and jq costs a second or more under TCG on a
# busy host: one status poll gives all these.
# st_read: this node's daemon's ST_EVENTS, ST_MEMBERS (states, comma-
# separated), ST_ATTACHED (node ids), ST_COORD; ST is all of it in words.
st_read() {
	read -r ST_EVENTS ST_MEMBERS ST_ATTACHED ST_COORD < <(dst "$NAME" \
		'"\(.events) \([.members[].state] | join(",")) \([.nodes[] | select(.attached) | .nodeid] | join(",")) \(.coordinator)"')
	ST="members $ST_MEMBERS, events $ST_EVENTS, attached $ST_ATTACHED, coordinator $ST_COORD"
}
# sb_state DEV: "events=E states=S,S,S" of DEV's superblock.
sb_state() {
	drop_caches
	"$DDRAIDCTL" examine --json "$1" 2>/dev/null |
		jq -r '"events=\(.events) states=\([.member_states[].state] | join(","))"'
}
# left_at NODEID: when corosync here last formed a membership without
# NODEID (seconds since the epoch; its log has millisecond timestamps).
left_at() {
	local line
	line=$(grep -E "Members left: ([0-9]+ )*$1( |\$)" "$CL_DIR/corosync.log" |
		tail -n 1)
	[ -n "$line" ] && date -d "${line:0:19}" +%s.%N
}

# --- network, corosync, NVMe/TCP -------------------------------------------
mn_net_up "$(addr_of "$ROLE")"
# corosync first: it takes 10-25 s to form the membership under TCG, the
# NVMe setup goes on meanwhile. Three nodes, no two_node: quorum is 2.
mn_corosync ddr3node "$TOKEN" "" 1:10.223.0.1:a 2:10.223.0.2:b 3:10.223.0.3:c

nv_host "$me"
mn_own_disk

# --- create: the bootstrap, bad input first ------------------------------
if [ "$BOOT" = 1 ]; then
	if [ "$ROLE" = c ]; then
		mkfs.ext4 -q -F "$own" >/dev/null 2>&1 || bail "mkfs.ext4 $own"
		drop_caches
		check "export-disk $own holding ext4 is refused (exit 2), nothing exported" \
			refused 2 "holds a signature (ext4)" export-disk "$own"
		check "... nothing exported" no_exports
		check "export-disk --force $own offers it all the same" \
			"$DDRAIDCTL" export-disk --force "$own"
	else
		check "export-disk $own (offer my disk on $(addr_of "$ROLE"))" \
			"$DDRAIDCTL" export-disk "$own"
	fi
	check "my offer is $NVMET/subsystems/nqn.2026-12.org.ddraid:node$me:disk" \
		test -d "$NVMET/subsystems/nqn.2026-12.org.ddraid:node$me:disk"
	barrier offered
	if [ "$ROLE" = a ]; then
		mn_members_are 3 120 || bail "corosync: three nodes, quorate"
		sum0=$(head -c 4M "$own" | md5sum)
		check "create --nodes a,b,x: x is not in corosync's node list (exit 2)" \
			refused 2 "node 'x' is not in corosync's node list" \
			create --name "$NAME" --nodes a,b,x
		check "create --nodes a,b,a: a node twice (exit 2)" \
			refused 2 "node 'a' is named twice" \
			create --name "$NAME" --nodes a,b,a
		check "create --nodes all with c's disk holding ext4 is refused (exit 1)" \
			refused 1 "holds a signature (ext4)" \
			create --name "$NAME" --region-size 1M --nodes all
		check "nothing changed here: my disk as it was, no NVMe controller" \
			test "$(head -c 4M "$own" | md5sum)" = "$sum0" -a \
			-z "$(ls /sys/class/nvme 2>/dev/null)"
		arrive refused
		await 120 c.wiped || bail "node c wiped its disk"
		check "create --name $NAME --region-size 1M --nodes all" \
			"$DDRAIDCTL" create --name "$NAME" --region-size 1M --nodes all
		check "... and disconnected again (no NVMe controller)" \
			test -z "$(ls /sys/class/nvme 2>/dev/null)"
		arrive created
	else
		if [ "$ROLE" = c ]; then
			await 240 a.refused || bail "node a's refused creates"
			check "my disk still holds ext4 after the refused create" \
				sh -c "blkid -p -o value -s TYPE $own | grep -qx ext4"
			check "wipefs $own" wipefs -a -q "$own"
			drop_caches
			arrive wiped
		fi
		await 240 a.created || bail "node a made the volume"
	fi
fi
# (Written through nvmet by node a: what this node cached of it is stale.)
drop_caches
UUID=$("$DDRAIDCTL" examine --json "$own" | jq -r .uuid)
check "my disk is member $my_m of volume $NAME (uuid $UUID)" test \
	"$("$DDRAIDCTL" examine --json "$own" | jq -r '"\(.name) \(.member_index)"')" = "$NAME $my_m"

# --- setup: the agent -----------------------------------------------------
# (After a reboot the others' exports are up already.)
mn_members_are 3 120 || {
	tail -n 20 "$CL_DIR/corosync.log" >&2
	bail "corosync: three nodes in the membership, quorate"
}
ok "corosync: three nodes, quorate"
vm_load_module
t0=$SECONDS
if ! ra start; then
	tail -n 20 "$CL_DIR/agent.log" | sed 's/^/#   /'
	cl_logs
	bail "ocf/volume start (exit $RA_RC)"
fi
ok "ocf/volume start: connect, assemble, ddraidd attached ($((SECONDS - t0))s)"
[ "$ROLE" = "$victim" ] && [ "$BOOT" = 2 ] && readd_watch
assembled=$(dmsetup status "$NAME")
diag "dmsetup status: $assembled"
DDRAIDD_PID=$(agent_daemon)
t_daemon=$SECONDS
check "my member is exported as $(nqn_of "$ROLE"); my disk's offer is gone" \
	test -d "$NVMET/subsystems/$(nqn_of "$ROLE")" -a \
	! -e "$NVMET/subsystems/nqn.2026-12.org.ddraid:node$me:disk"
# Swapping the disk's offer for the member's export must keep the port:
# a port torn down and made again drops the queues of the peers that are
# connecting right then (their Connect hangs 60 s, our member is missing).
check "my NVMe/TCP port was enabled once (the offer's swap kept it)" \
	test "$(dmesg | grep -c 'nvmet_tcp: enabling port')" = 1
declare -a dev
dev[$my_m]=$own
for n in $others; do
	m=$(member_of "$n")
	dev[$m]=$(nv_dev "$(nqn_of "$n")")
	check "member $m is ${dev[m]} here (by its NQN): timeouts kato ctrl_loss fast_io_fail reconnect = $(nv_timeouts "$(nqn_of "$n")")" \
		test "$(nv_timeouts "$(nqn_of "$n")")" = \
		"$NV_KATO off $NV_FAST_IO_FAIL $NV_RECONNECT"
done
for m in 0 1 2; do
	check "${dev[m]}'s superblock: volume $NAME, member $m" test \
		"$("$DDRAIDCTL" examine --json "${dev[m]}" | jq -r '"\(.name) \(.member_index)"')" = "$NAME $m"
done
check "ocf/volume monitor: running (0)" ra_is 0 monitor

# --- write: every node writes, then verifies the others' -----------------
if [ "$BOOT" = 1 ]; then
	check "ddraidd attached; all three nodes attached" \
		wait_until 120 all_attached "$NAME" 3
	barrier attached
	: >"$JOURNAL"
	w_start
	check "$ACKS writes acknowledged" w_more "$ACKS" 180
	barrier written
	verify "write" $ALL
	w_mark
	barrier verified
fi

# --- loss: the victim's power cut ------------------------------------------
if [ "$BOOT" = 1 ]; then
	if [ "$ROLE" = "$victim" ]; then
		check "100 more writes acknowledged and journalled: cut" \
			w_more 100 180
		diag "dmsetup status: $(dmsetup status "$NAME")"
		arrive cut
		# The host kills this VM now; what follows only runs if not.
		await 120 host.killed
		bail "still alive after asking for the power cut"
	fi
	PEERS=$(echo $survivors | tr ' ' '\n' | grep -vx "$ROLE")
	await 300 "$victim.cut" || bail "node $victim asked for its power cut"
	await 60 host.killed || bail "the host killed node $victim"
	ok "node $victim is gone (power cut); my journal is at $(acked "$JOURNAL")"
	failed_here() { [ "$(dst "$NAME" ".members[$vm_m].state")" = failed ]; }
	check "member $vm_m (node $victim's disk) recorded failed by the cluster" \
		wait_until 120 failed_here
	check "my writes go on: 50 more after the failure was recorded" \
		w_more 50 120
	# The victim may come back now; we check while it boots.
	arrive want-return
	w_mark
	detect=$(python3 -c "print('%.1f' % ($(left_at "$(id_of "$victim")") - $W_GAP_START))" 2>/dev/null)
	diag "loss: longest write stall here ${W_GAP}s, from the last write before" \
		"the power cut; corosync formed a membership without node $victim" \
		"${detect:-?}s after that write, the writes resumed" \
		"$(python3 -c "print('%.1f' % ($W_GAP - ${detect:-0}))")s after that;" \
		"the goal is detection + fence delay ($FENCE s) + 1 s"
	echo "$ROLE $W_GAP ${detect:-?}" >"$SH/$ROLE.loss-stall"
	check "the longest write stall (${W_GAP}s) is at most corosync's detection (${detect:-?}s) + $FENCE s + 1 s" \
		python3 -c "import sys; sys.exit(not $W_GAP <= ${detect:-0} + $FENCE + 1)"
	sb=$(sb_state "$own")
	check "my superblock records member $vm_m failed: $sb" \
		test "$(echo "$sb" | sed 's/.*states=//' | cut -d, -f$((vm_m + 1)))" = failed
	settled() {
		[ "$(dst "$NAME" .dirty)" = 0 ] && [ "$(dst "$NAME" .fence_wait)" = 0 ]
	}
	check "nothing dirty or waiting for the fence" wait_until 120 settled
	# With member $vm_m gone, its fragments are made from the parity.
	verify "loss" "$victim"
	PEERS=$others
fi

# --- return: the victim boots again, its member is re-added -------------------
if [ "$ROLE" = "$victim" ]; then
	# BOOT=2: the setup above assembled the table before ddraidd ran.
	# The re-add may be over before the agent's start returns (6
	# regions take seconds): then the daemon's log shows it, the table
	# reload that put the member back and the rebuild's end.
	health=$(echo "$assembled" | awk '{ print $5 }')
	left_out() {
		[ "$(echo "$health" | tr -c 'A\n' x)" = \
			"$(echo AAA | sed "s/./x/$((my_m + 1))")" ] ||
			grep -q "is member $my_m of /dev/mapper/$NAME now (table reloaded)" \
				"$CL_DIR/ddraidd.log"
	}
	check "my member was left out of my table until it is re-added ($assembled)" \
		left_out
	check "my member is re-added and rebuilt (every member active)" \
		readd_wait
	t_readd=$((READD_END - t_daemon))
	rebuilt() {
		[ "$RB_SEEN" = 1 ] ||
			grep -q "event rebuild-end member=$my_m .*result=done" \
				"$CL_DIR/ddraidd.log"
	}
	check "the rebuild of member $my_m was seen (ddraidctl status, or its end in the log)" \
		rebuilt
	grep -E "rebuild of member $my_m|member $my_m rebuilt|table reloaded" \
		"$CL_DIR/ddraidd.log" | tail -n 3 | sed 's/^/#   /'
	diag "return: every member active ${t_readd}s after my ddraidd started" \
		"(the rebuild seen for $((READD_END - RB_T0))s, last at $RB_DONE regions)"
	echo "$t_readd" >"$SH/readd-time"
	check "all three nodes attached" wait_until 60 all_attached "$NAME" 3
	sb=$(sb_state "$own")
	check "my superblock: every member active ($sb)" \
		test "${sb#*states=}" = active,active,active
	w_start
	check "I write again: 50 writes" w_more 50 120
	arrive returned
else
	check "corosync: the victim is back (three nodes)" mn_members_are 3 300
	check "my NVMe controller for node $victim's export reconnected by itself" \
		wait_until 120 nv_live "$(nqn_of "$victim")"
	check "the same device node for member $vm_m as before its host died (${dev[vm_m]})" \
		test "$(nv_dev "$(nqn_of "$victim")")" = "${dev[vm_m]}"
	r0=$(dst "$NAME" .io.rebuilt_regions)
	check "member $vm_m is re-added and rebuilt (every member active)" \
		watch_readd 300
	read -r r1 regions coord < <(dst "$NAME" \
		'"\(.io.rebuilt_regions) \(.regions) \(.coordinator)"')
	diag "return: the rebuild was seen here for $((SECONDS - ${RB_T0:-$SECONDS}))s;" \
		"regions this daemon rebuilt: $((r1 - r0)) of $regions"
	[ "$coord" = "$me" ] && echo "$((r1 - r0)) $regions" >"$SH/rebuilt-regions"
	await 300 "$victim.returned" || bail "node $victim is back and writing"
	check "my writes went on all along" w_more 30 120
fi
barrier return-writing
verify "return" $ALL
barrier return-verified

# --- cut1: a path cut that heals ---------------------------------------------
st_read
events_before=$ST_EVENTS
sb_before=$(sb_state "$own")
w_mark
barrier cut1-ready
path_bad() { [ "$(dst "$NAME" .path_bad)" != 0 ]; }
path_ok() { [ "$(dst "$NAME" .path_bad)" = 0 ]; }
if [ "$ROLE" = "$X" ]; then
	t0=$SECONDS
	check "cut: tc drops NVMe/TCP to and from $(addr_of "$Y") (member $(member_of "$Y"))" \
		nv_cut eth0 "$(addr_of "$Y")"
	check "my daemon has a path fault on member $(member_of "$Y")" \
		wait_until 60 path_bad
	t_fault=$((SECONDS - t0))
	check "heal: the path is back" nv_heal eth0
	t_cut=$((SECONDS - t0))
	check "the path fault clears (PATH_OK)" wait_until 60 path_ok
	check "my writes go on: 50 more" w_more 50 60
	w_mark
	diag "cut1: path fault ${t_fault}s after the cut, cut for ${t_cut}s," \
		"cleared $((SECONDS - t0 - t_cut))s after the heal; my longest write stall ${W_GAP}s"
	echo "$t_cut $W_GAP" >"$SH/cut1-time"
	arrive cut1-healed
else
	await 180 "$X.cut1-healed" || bail "node $X cut and healed its path"
	check "my writes went on" w_more 30 60
	w_mark
	diag "cut1: my longest write stall ${W_GAP}s"
fi
st_read
check "nothing recorded failed: $ST" test "$ST_MEMBERS" = active,active,active
check "the cluster's events did not change ($events_before)" \
	test "$ST_EVENTS" = "$events_before"
sb=$(sb_state "$own")
check "my superblock did not change ($sb_before)" test "$sb" = "$sb_before"
barrier cut1-checked

# --- cut2: a path cut past the path timeout: withdrawal ------------------------
if [ "$ROLE" = "$X" ]; then
	t0=$SECONDS
	check "cut: tc drops NVMe/TCP to and from $(addr_of "$Y") again, for good" \
		nv_cut eth0 "$(addr_of "$Y")"
	daemon_gone() { ! kill -0 "$DDRAIDD_PID"; }
	check "my daemon gives up within the path timeout ($PATH_TMO s) + 90 s" \
		wait_until $((PATH_TMO + 90)) daemon_gone
	DDRAIDD_PID=
	t_wd=$((SECONDS - t0))
	# (The agent started it: its exit status 3 is Pacemaker's monitor
	# failing.)
	check "my daemon withdrew (${t_wd}s after the cut): its log says so" \
		grep -q "withdrawn: member $(member_of "$Y") is unreachable" "$CL_DIR/ddraidd.log"
	grep -i withdr "$CL_DIR/ddraidd.log" | tail -n 3 | sed 's/^/#   /'
	check "ocf/volume monitor fails (1): the target is orphaned" ra_is 1 monitor
	arrive withdrawn
	w_stop
	check "my writer's IO failed (the withdrawn target fails IO): $W_ERROR" \
		test "$W_RC" = 1
	check "my target fails IO: $(dmsetup status "$NAME")" \
		sh -c "dmsetup status $NAME | grep -qw failing"
	check "heal: the path is back" nv_heal eth0
	check "my NVMe controller for member $(member_of "$Y") is live again" \
		wait_until 60 nv_live "$(nqn_of "$Y")"
	t1=$SECONDS
	check "ocf/volume start: a daemon again over the same target" ra start
	DDRAIDD_PID=$(agent_daemon)
	check "ddraidd started again over the same target attaches" \
		wait_until 120 d_attached "$NAME"
	check "all three nodes attached" wait_until 60 all_attached "$NAME" 3
	st_read
	check "every member active: $ST" test "$ST_MEMBERS" = active,active,active
	w_start
	check "I write again: 50 writes" w_more 50 120
	diag "cut2: withdrawn ${t_wd}s after the cut; writing again" \
		"$((SECONDS - t1))s after ddraidd was started again"
	echo "$t_wd" >"$SH/withdraw-time"
	arrive reattached
else
	await $((PATH_TMO + 150)) "$X.withdrawn" || bail "node $X withdrew"
	check "I write on after node $X withdrew: 50 more" w_more 50 60
	st_read
	check "nothing recorded failed: $ST" test "$ST_MEMBERS" = active,active,active
	await 240 "$X.reattached" || bail "node $X attached again"
	check "all three nodes attached" wait_until 60 all_attached "$NAME" 3
	w_mark
	diag "cut2: my longest write stall ${W_GAP}s"
fi
st_read
check "nothing recorded failed: $ST" test "$ST_MEMBERS" = active,active,active
sb=$(sb_state "$own")
check "my superblock: every member active ($sb)" \
	test "${sb#*states=}" = active,active,active
barrier cut2-done
w_stop
check "my writer never saw an IO error ($(acked "$JOURNAL") writes journalled)" \
	test "$W_RC" = 0
barrier stopped-writing
verify "final" $ALL
barrier final-verified

# --- stop: the agent, on every node at once ----------------------------------
pid=$DDRAIDD_PID
t0=$SECONDS
check "ocf/volume stop" ra stop
diag "stop took $((SECONDS - t0))s"
check "ddraidd stopped" sh -c "! kill -0 $pid 2>/dev/null"
DDRAIDD_PID=
check "ocf/volume monitor: not running (7)" ra_is 7 monitor
check "nothing left: no dm device" sh -c "! dmsetup info $NAME >/dev/null 2>&1"
check "nothing left: no nvmet subsystem or port" no_exports
check "nothing left: no NVMe controller, nvme list-subsys shows no NQN of ours" \
	no_imports
barrier stopped
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
diag "my superblock at the end: $(sb_state "$own")"
# Nobody uses the exports any more: every node may power off.
barrier done
finish
