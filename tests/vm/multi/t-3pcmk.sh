#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One node of the three-VM test of the whole stack of
# docs/cluster-stack.md on the nodes' own disks: corosync, Pacemaker with
# real fencing, dlm, the ddraid clone (NVMe/TCP), GFS2 mounted on all
# three. Run in its VM by run-3pcmk.sh with ROLE=a|b|c (corosync node
# n1|n2|n3, host of member 0|1|2, 10.223.0.1|2|3) and BOOT=1, or BOOT=2 for
# the victim's boot after its fencing. Each VM has one disk of its own
# (virtio serial file0), blank at the start.
#
#  create   corosync (cluster ddcluster, knet, token 5000); the bootstrap
#           of ddraidctl(8): export-disk on every node, then on n1
#           create --name vol0 --nodes all.
#  cluster  pacemakerd on every node (an empty CIB but for dc-deadtime
#           5 s, the agent of this tree and fence_vmhost installed,
#           ddraidd and ddraidctl on PATH);
#           the pcs commands of docs/cluster-stack.md run on a copy of
#           n1's live CIB (pcs -f, by the host: see pcs_push; the fence
#           devices are fence_vmhost, the host's power switch, instead of
#           the document's IPMI boards), n1 pushes it; once dlm and the
#           volume run on all three, n1 makes GFS2 (the document's
#           mkfs.gfs2) and pushes the document's second part: the
#           filesystem is mounted everywhere.
#  write    every node writes files into its own directory of the shared
#           GFS2 (each fsync'd, then its checksum journalled in the
#           shared 9p directory) and checks every node's files.
#  fence    the victim (default n2) goes on writing; the host cuts its
#           network (its tap down). Its peers lose it, Pacemaker fences
#           it (fence_vmhost: the host kills its qemu), dlm recovers its
#           GFS2 journal, ddraidd fails its member; the survivors write
#           on with no IO error, crm_mon shows the volume degraded
#           (OCF_DEGRADED and its reason), every file the victim had
#           fsync'd reads back (its fragments from the parity); the
#           survivors' longest write stall is printed.
#  return   the host boots the victim again (as soon as the survivors'
#           writes went on; it joins corosync at once and starts Pacemaker
#           once they checked the degraded volume); Pacemaker starts the stack
#           on it (the agent re-adds its member from the bitmaps) and
#           mounts GFS2; every member active, the node attribute
#           ddraid-vol0 ok on every node; every node checks every node's
#           files.
#  stop     n1 stops the three clones (target-role Stopped); every node:
#           nothing left (no mount, no dm device, no ddraidd, no nvmet
#           export, no NVMe controller); the host checks the images'
#           parity and the filesystem (fsck.gfs2).

. "$(dirname "$0")/../lib.sh"
CL_DIR=$VM_SHARE/cluster	# the logs survive a power cut there
. "$VM_LIB_DIR/cluster-lib.sh"
. "$VM_LIB_DIR/multi/lib-node.sh"
. "$VM_LIB_DIR/multi/nvme-lib.sh"

# The names of docs/cluster-stack.md.
NAME=vol0
CLUSTER=ddcluster
MNT=/mnt/vol0
dm=/dev/mapper/$NAME
TOKEN=5000
BOOT=${BOOT:-1}
victim=${DDRAID_3PCMK_VICTIM:-b}
FILES=${DDRAID_3PCMK_FILES:-12}	# files per node in the write phase
AGENT=$VM_SRCDIR/ocf/volume
NVMET=/sys/kernel/config/nvmet

id_of() { case "$1" in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; esac; }
node_of() { echo "n$(id_of "$1")"; }
case "$ROLE" in a|b|c) ;; *) bail "ROLE must be a, b or c" ;; esac
case "$victim" in a|b|c) ;; *) bail "DDRAID_3PCMK_VICTIM must be a, b or c" ;; esac
ALL="a b c"
me=$(id_of "$ROLE")
my_node=$(node_of "$ROLE")
others=$(mn_all_but "$ROLE")
survivors=$(mn_all_but "$victim")
PEERS=$others
mn_mount_shared
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
[ -x "$AGENT" ] || bail "no agent at $AGENT"
diag "node $ROLE ($my_node), boot $BOOT; victim $victim"
JOURNAL=$SH/$ROLE.files
# Most waits here poll Pacemaker (crm_resource, crm_mon: clients that load
# the whole CIB and unpack its status each time). At 0.5 s their polling
# was the largest single user of every VM's CPU (cpu.txt: the test's
# commands 64-66 s of 170-177 s busy until GFS2 was mounted; every agent
# run together 43 s, corosync 25 s), and the three VMs share two host
# cores: every poll slows what it waits for.
WAIT_STEP=2

# --- helpers -------------------------------------------------------------

# gated CONDITION COMMAND...: COMMAND (a poll of Pacemaker) only once the
# cheap local CONDITION (a command) holds: a wait for the whole cluster
# polls Pacemaker only after this node got there itself.
gated() {
	local condition=$1
	shift
	"$condition" && "$@"
}

# by_a SECONDS NAME COMMAND...: a wait every node makes for the same state
# of the whole cluster. Node a polls (wait_until COMMAND) and says when it
# holds (barrier file NAME); the others wait for that file and then check
# COMMAND themselves, at once in the normal case. Three VMs polling
# Pacemaker cost three times the CPU, and share two host cores.
by_a() {
	local t=$1 name=$2
	shift 2
	if [ "$ROLE" = a ]; then
		wait_until "$t" "$@" && arrive "$name"
	else
		await "$t" "a.$name" && wait_until 60 "$@"
	fi
}

# crm_mon's view, once per call.
mon() { crm_mon -1 -r 2>/dev/null; }
online() { mon | grep -q "Online: \[ $1 \]"; }
# started RSC NODE...: RSC runs on every NODE (crm_resource --locate).
started() {
	local rsc=$1 where n
	shift
	where=$(crm_resource --resource "$rsc" --locate 2>/dev/null)
	for n in "$@"; do
		echo "$where" | grep -q "is running on: $n\$" || return 1
	done
}
started_all() { # RSC...: each on n1 n2 n3
	local r
	for r in "$@"; do started "$r" n1 n2 n3 || return 1; done
}
# stopped RSC: RSC runs nowhere.
stopped() { crm_resource --resource "$1" --locate 2>&1 | grep -q 'is NOT running'; }
stopped_all() {
	local r
	for r in "$@"; do stopped "$r" || return 1; done
}
# The victim is OFFLINE (fenced), the filesystem runs on the survivors.
victim_out() {
	local n
	mon | grep -q "OFFLINE: \[ $(node_of "$victim") \]" || return 1
	for n in $survivors; do started fs0-clone "$(node_of "$n")" || return 1; done
}
mounted() { grep -q " $MNT gfs2 " /proc/mounts; }
dm_here() { [ -e "$dm" ]; }
# This node's filesystem and volume are stopped.
stopped_here() { ! mounted && ! dm_here; }
# The agent's daemon (its ctl_dir is /run/ddraid by default).
CL_CTL=/run/ddraid
# members_are S,S,S: this node's ddraidd says so.
members_are() { [ "$(dst "$NAME" '[.members[].state] | join(",")')" = "$1" ]; }
# vm_states STATE: the member states with the victim's member in STATE.
vm_states() {
	local n s=
	for n in $ALL; do
		if [ "$n" = "$victim" ]; then s+=${s:+,}$1; else s+=${s:+,}active; fi
	done
	echo "$s"
}

# write_files N: N files of 32-128 KiB in $MNT/$ROLE, each fsync'd before
# its checksum goes into the journal (what was acknowledged). The writer
# below calls it for every file, for minutes on two or three VMs: it runs
# no more processes than it must (W_NEXT counts the journal's lines).
W_NEXT=
write_files() {
	local i f n=$1 sum
	[ -n "$W_NEXT" ] || W_NEXT=$(wc -l <"$JOURNAL" 2>/dev/null || echo 0)
	[ -d "$MNT/$ROLE" ] || mkdir -p "$MNT/$ROLE" || return 1
	for ((i = 0; i < n; i++)); do
		f=$ROLE/f$BOOT.$W_NEXT
		head -c $(((RANDOM % 4 + 1) * 32768)) /dev/urandom >/tmp/f || return 1
		dd if=/tmp/f of="$MNT/$f" bs=1M conv=fsync status=none || return 1
		sum=$(sha256sum </tmp/f) || return 1
		echo "${sum%% *}  $f" >>"$JOURNAL"
		W_NEXT=$((W_NEXT + 1))
	done
}
# check_files NODE...: every file NODE... journalled reads back here.
check_files() {
	local n bad=0 count=0
	drop_caches
	for n in "$@"; do
		[ -e "$SH/$n.files" ] || continue
		count=$((count + $(wc -l <"$SH/$n.files")))
		(cd "$MNT" && sha256sum --quiet -c "$SH/$n.files") >&2 || bad=1
	done
	diag "checked $count files of nodes $*"
	[ "$bad" = 0 ] && [ "$count" -gt 0 ]
}
# The writer in the background (through the fencing and the return): one
# file at a time, the time each was acknowledged in /tmp/w.times.
bg_writer() {
	( while [ ! -e /tmp/w.stop ]; do
		write_files 1 || exit 1
		echo "$EPOCHREALTIME" >>/tmp/w.times
	done ) 2>>"$CL_DIR/writer.log" &
	W_PID=$!
}
# max_stall: the longest time between two acknowledged files (seconds).
max_stall() {
	awk 'NR > 1 && $1 - p > m { m = $1 - p } { p = $1 } END { printf "%.1f\n", m }' /tmp/w.times
}
# crm_mon shows what the monitors said: the volume degraded (OCF_DEGRADED
# with its reason) on every survivor; the node attribute ddraid-vol0.
shown_degraded() {
	local n
	mon >/tmp/mon.out
	for n in $survivors; do
		grep -q "vol0.*$(node_of "$n").*degraded (members" /tmp/mon.out ||
			grep -q "degraded (members.*$(node_of "$n")" /tmp/mon.out ||
			return 1
	done
}
healthy_shown() {
	mon >/tmp/mon.out && ! grep -qi "degraded" /tmp/mon.out &&
		started_all vol0-clone
}
attr_all() { # VALUE: ddraid-vol0 on every node
	local n
	for n in n1 n2 n3; do
		[ "$(crm_attribute -t status -N "$n" -n "ddraid-$NAME" -G -q 2>/dev/null)" = "$1" ] ||
			return 1
	done
}
files_more() { [ "$(wc -l <"$JOURNAL")" -ge "$1" ]; }

nothing_left() {
	! mounted && ! dmsetup info "$NAME" >/dev/null 2>&1 &&
		! pgrep -x ddraidd >/dev/null &&
		[ -z "$(ls "$NVMET/subsystems" 2>/dev/null)" ] &&
		[ -z "$(ls /sys/class/nvme 2>/dev/null)" ]
}

# cpu_of COMMAND...: the CPU time COMMAND and its children took (user +
# system, seconds).
cpu_of() {
	local TIMEFORMAT='%U %S' t
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1)
	echo "$t" | awk '{ printf "%.2f", $1 + $2 }'
}
# costs: what one of the recurring things costs this VM, for cpu.txt: a
# poll of Pacemaker's state, one monitor of each agent (crm_resource
# --force-check runs it here, as pacemaker-execd would, after loading the
# CIB as --locate does).
costs() {
	echo "cpu s: crm_resource --locate $(cpu_of crm_resource --resource vol0-clone --locate)," \
		"crm_mon -1 -r $(cpu_of crm_mon -1 -r)," \
		"crm_resource --force-check: vol0 $(cpu_of crm_resource --force-check --resource vol0)" \
		"fs0 $(cpu_of crm_resource --force-check --resource fs0)" \
		"dlm $(cpu_of crm_resource --force-check --resource dlm);" \
		"attrd_updater -Q $(cpu_of attrd_updater -Q -n "ddraid-$NAME")," \
		"dmsetup status $(cpu_of dmsetup status "$NAME")," \
		"ddraidctl status $(cpu_of "$DDRAIDCTL" status "$NAME")"
}

# show WHAT: the cluster as its operator sees it (crm_mon, ddraidctl
# status), printed by one survivor (a, or c when a is the victim) under
# "# == WHAT" (scripts/demo-distributed.sh shows it).
SHOW=${survivors%% *}
show() {
	[ "$ROLE" = "$SHOW" ] || return 0
	echo "# == $1"
	{ crm_mon -1 -r; echo; "$DDRAIDCTL" status "$NAME"; } 2>&1 |
		sed 's/^/#   /'
}

# --- network, corosync, the volume ------------------------------------------
mn_net_up "10.223.0.$me"
hostname "$my_node"
mn_corosync "$CLUSTER" "$TOKEN" "" 1:10.223.0.1:n1 2:10.223.0.2:n2 3:10.223.0.3:n3

nv_host "$me"
mn_own_disk
if [ "$BOOT" = 1 ]; then
	mn_offer
	mn_create "$NAME" --region-size 1M
fi
drop_caches
check "my disk is a member of $NAME" \
	test "$("$DDRAIDCTL" examine --json "$own" | jq -r .name)" = "$NAME"

# --- Pacemaker ---------------------------------------------------------------
# The VM's root is a tmpfs overlay: these installs stay in the VM.
mkdir -p /usr/lib/ocf/resource.d/ddraid /var/lib/pacemaker/cib \
	/var/log/pacemaker "$MNT"
cp "$AGENT" /usr/lib/ocf/resource.d/ddraid/volume
cp "$VM_LIB_DIR/multi/fence_vmhost" /usr/sbin/fence_vmhost
ln -sf "$DDRAIDD" /usr/sbin/ddraidd
ln -sf "$DDRAIDCTL" /usr/sbin/ddraidctl
vm_load_module
modprobe -a dlm gfs2 || bail "modprobe dlm gfs2"
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
# No udev here: dlm_controld waits for the misc devices udev would make.
mkdir -p /dev/misc /run/cluster
for m in dlm-control dlm-monitor dlm_plock; do
	[ -e "/dev/misc/$m" ] ||
		mknod "/dev/misc/$m" c $(tr ':' ' ' <"/sys/class/misc/$m/dev") ||
		bail "mknod /dev/misc/$m"
done
rm -f /var/lib/pacemaker/cib/*
cibadmin --empty >/var/lib/pacemaker/cib/cib.xml
# dc-deadtime 5 s instead of Pacemaker's 20 s, a change for the test (pcs
# cluster setup leaves the default): the three controllers start within
# seconds of each other, and each waited the 20 s in S_PENDING for a DC
# before they held the election, a third of the 44-45 s Pacemaker took
# to come up. A controller that joins later finds the DC at once.
CIB_file=/var/lib/pacemaker/cib/cib.xml \
	crm_attribute --type crm_config --name dc-deadtime --update 5s ||
	bail "dc-deadtime in the new CIB"
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker
if [ "$BOOT" = 2 ]; then
	# The host boots the victim as soon as the survivors' writes went on
	# after its fencing, so that its boot, corosync's join and the set-up
	# above overlap their checks of the degraded volume (a node in
	# corosync without Pacemaker is OFFLINE to Pacemaker, and its ddraidd
	# is not in the volume's group). Pacemaker starts once they are done:
	# it brings the volume back, which ends what they check.
	for n in $survivors; do
		await 600 "$n.want-return" || bail "node $n wants me back"
	done
fi
# The agents' own log lines (ocf_log) go to agents.log: no syslog here.
PCMK_logfile=$CL_DIR/pacemaker.log HA_LOGFILE=$CL_DIR/agents.log \
	pacemakerd >"$CL_DIR/pacemakerd.out" 2>&1 &
PCMK_PID=$!
t0=$SECONDS
if [ "$BOOT" = 1 ]; then
	check "Pacemaker: n1 n2 n3 online" by_a 300 online3 online "n1 n2 n3"
else
	check "Pacemaker: n1 n2 n3 online" wait_until 300 online "n1 n2 n3"
fi
diag "Pacemaker online after $((SECONDS - t0))s"

# pcs_push PART: the document's PART on the live CIB, pushed. pcs (Python)
# takes 20-30 s a command under TCG: the host runs the document's pcs -f
# commands on a copy of our live CIB (cib-live.PART in the shared
# directory) and answers with cib-new.PART, whose configuration we push
# (as pcs cluster cib-push --config does).
pcs_push() {
	cibadmin -Q >"$SH/cib-live.$1.tmp" &&
		mv "$SH/cib-live.$1.tmp" "$SH/cib-live.$1" || return 1
	await 120 "cib-new.$1" || return 1
	xmllint --xpath /cib/configuration "$SH/cib-new.$1" >/tmp/config.xml &&
		cibadmin --replace --scope configuration --xml-file /tmp/config.xml
}

if [ "$BOOT" = 1 ]; then
	if [ "$ROLE" = a ]; then
		check "pcs -f: the document's stack (fencing, dlm, vol0), pushed" \
			pcs_push 1
		arrive pushed1
	fi
	check "dlm-clone and vol0-clone run on n1 n2 n3" \
		by_a 300 volume-started gated dm_here \
			started_all dlm-clone vol0-clone
	started_all dlm-clone vol0-clone || {
		nvme list-subsys
		ls "$NVMET/subsystems" "$NVMET/ports"/*/subsystems
		dmesg | grep -i nvme | tail -n 30
	} >"$CL_DIR/transport.diag" 2>&1
	check "ddraidd here: every member active" \
		wait_until 120 members_are active,active,active
	barrier volume-up
	if [ "$ROLE" = a ]; then
		check "mkfs.gfs2 -p lock_dlm -t $CLUSTER:$NAME -j 3 $dm" \
			mkfs.gfs2 -O -p lock_dlm -t "$CLUSTER:$NAME" -j 3 -J 8 "$dm"
		check "pcs -f: the document's filesystem, pushed" pcs_push 2
		arrive pushed2
	fi
	check "fs0-clone runs on n1 n2 n3" \
		by_a 300 fs-started gated mounted started_all fs0-clone
	check "GFS2 mounted on $MNT" wait_until 60 mounted
	barrier mounted
	diag "$(cpu_report "stack up" "$CL_DIR/cpu.txt")"
	# Opt-in: the commands cost node a about 10 s of CPU.
	[ "$ROLE" = a ] && [ -n "${DDRAID_3PCMK_COSTS:-}" ] &&
		diag "$(costs | tee -a "$CL_DIR/cpu.txt")"
	show "dlm, the volume and GFS2 run on all three nodes"

	# --- write ----------------------------------------------------------------
	: >"$JOURNAL"
	check "$FILES files written and fsync'd" write_files "$FILES"
	barrier written
	check "every node's files read back here" check_files $ALL
	barrier checked

	# --- fence ----------------------------------------------------------------
	if [ "$ROLE" = "$victim" ]; then
		bg_writer
		files_at=$(wc -l <"$JOURNAL")
		wait_until 120 files_more $((files_at + 3)) ||
			bail "the writer goes on"
		arrive isolate
		# The host cuts this VM's network; its peers fence it: the
		# host kills this VM. What follows only runs if not.
		await 300 host.killed
		bail "still alive after the fencing"
	fi
	await 300 host.isolated || bail "the host cut $victim's network"
	t0=$SECONDS
	bg_writer
	check "Pacemaker fenced $(node_of "$victim") (the host powered it off)" \
		await 240 host.killed
	diag "fenced $((SECONDS - t0))s after the network cut"
	check "$(node_of "$victim") OFFLINE, fs0-clone still on the survivors" \
		wait_until 120 victim_out
	files_at=$(wc -l <"$JOURNAL")
	check "writes go on after the fencing" \
		wait_until 180 files_more $((files_at + 3))
	arrive resumed
	check "the survivors' ddraidd failed the victim's member" \
		wait_until 60 members_are "$(vm_states failed)"
	check "every file the victim fsync'd reads back here" check_files "$victim"
	check "crm_mon shows the volume degraded on the survivors (OCF_DEGRADED)" \
		wait_until 120 shown_degraded
	diag "$(cpu_report "fenced" "$CL_DIR/cpu.txt")"
	show "$(node_of "$victim") fenced: the volume runs degraded on the survivors"
	stall=$(max_stall)
	diag "longest write stall here through the fencing: ${stall}s"
	echo "$ROLE $stall" >"$SH/$ROLE.stall"
	arrive want-return
fi

# --- return -----------------------------------------------------------------
if [ "$BOOT" = 2 ]; then
	check "Pacemaker starts the stack here again: fs0-clone on $my_node" \
		wait_until 400 gated mounted started fs0-clone "$my_node"
	check "GFS2 mounted on $MNT" wait_until 60 mounted
	arrive back
else
	await 600 "$victim.back" || bail "the victim came back"
fi
check "every member active again (the victim's re-added from the bitmaps)" \
	wait_until 300 members_are active,active,active
if [ "$BOOT" = 1 ]; then
	touch /tmp/w.stop
	wait "$W_PID"
	check "the writer saw no error" test $? = 0
fi
barrier returned
check "the node attribute ddraid-$NAME is ok on every node again" \
	wait_until 120 attr_all ok
# Pacemaker lists the survivors' old OCF_DEGRADED monitor results until a
# cleanup (docs/ocf.md): the operator's pcs resource cleanup.
if [ "$ROLE" = "$SHOW" ]; then
	check "crm_resource --cleanup of vol0-clone (pcs resource cleanup)" \
		crm_resource --cleanup --resource vol0-clone
fi
check "crm_mon shows nothing degraded any more" wait_until 180 healthy_shown
diag "$(cpu_report "healthy again" "$CL_DIR/cpu.txt")"
show "$(node_of "$victim") is back, its member re-added: healthy again"
check "every node's files read back here" check_files $ALL
barrier checked2

# --- stop -------------------------------------------------------------------
if [ "$ROLE" = a ]; then
	# (crm_resource, not pcs resource disable: the same CIB change in
	# a second instead of 40 under TCG)
	for r in fs0-clone vol0-clone dlm-clone; do
		check "target-role Stopped: $r" \
			crm_resource --resource "$r" --meta -p target-role -v Stopped
	done
fi
check "the three clones stopped" \
	by_a 300 all-stopped gated stopped_here \
		stopped_all fs0-clone vol0-clone dlm-clone
check "nothing left: no mount, dm device, ddraidd, nvmet export, NVMe controller" \
	wait_until 30 nothing_left
barrier stopped
diag "$(cpu_report "stopped" "$CL_DIR/cpu.txt")"
kill -TERM "$PCMK_PID"
wait_until 120 test ! -d "/proc/$PCMK_PID"
kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
finish
