#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: timeout=1500 needs=module,ddraidctl slots=3
#
# The whole stack of docs/cluster-stack.md on three VMs, each with one disk
# of its own: corosync, Pacemaker configured with pcs (the document's
# commands, pcs -f on a copy of the CIB, pushed), real fencing (the host
# powers a fenced VM off: tests/vm/multi/fence_vmhost), dlm, the ddraid
# clone over NVMe/TCP, GFS2 mounted on all three.
# tests/vm/multi/t-3pcmk.sh is what each VM runs (its header says what is
# checked).
#
#   tests/vm/multi/run-3pcmk.sh --build DIR [--out DIR] [--suite]
#                                   [--victim a|b|c]
#   tests/vm/multi/run-3pcmk.sh --probe      (why it cannot run, or nothing)
#
# The host makes three blank images and a network namespace with a bridge
# and one tap per VM (nothing leaves it) and starts the three qemus in it.
# It is the VMs' power switch: a fence request (fence-NODE-off.PID.req in
# the shared directory) kills that VM's qemu and is answered .done. When
# the victim asks for it (VICTIM.isolate) the host takes its tap down: its
# peers lose it and Pacemaker fences it. Once both survivors' writes went
# on after the fencing (resumed) the host boots it again with its disk
# and its network; it joins corosync at once and starts Pacemaker when
# both want it back (want-return, after their checks of the degraded
# volume), so that its boot and corosync's join (50-55 s under TCG)
# overlap those checks.
# Once every VM is gone it checks the images (parity) and the filesystem
# (fsck.gfs2 -n on ddraidctl export). Output as run-3node.sh's. Logs:
# --out DIR (default /var/tmp/ddraid-vm/multi-3pcmk).

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$(cd "$HERE/.." && pwd)
# Each VM's script, which lasts the whole test: 560-600 s on a 2-core
# host (stop 22), and a slower or busier host has taken 850 before.
TIMEOUT=1500
MEMBER_SIZE=64M
MEM=1024		# MB per VM: corosync, Pacemaker's six daemons, dlm, GFS2
. "$VM/lib.sh"
. "$HERE/lib-host.sh"

build=${DDRAID_BUILD:-}
out=/var/tmp/ddraid-vm/multi-3pcmk
suite=0
victim=b

probe() {
	local r m
	r=$(mh_probe_qemu)
	[ -z "$r" ] || { echo "$r"; return; }
	for m in nvme corosync pacemakerd pcs crm_resource dlm_controld \
		mkfs.gfs2 fsck.gfs2 jq ip; do
		command -v "$m" >/dev/null || { echo "$m not installed"; return; }
	done
	[ -x /usr/lib/ocf/resource.d/heartbeat/Filesystem ] ||
		{ echo "resource-agents (ocf:heartbeat:Filesystem) not installed"; return; }
	r=$(mh_probe_kmods nvmet nvmet-tcp nvme-tcp nvme-fabrics dlm gfs2 virtio_net configfs)
	[ -z "$r" ] || { echo "$r"; return; }
	mh_probe_netns
}

MH_HELP=4,26
while [ $# -gt 0 ]; do
	mh_arg "$@" || mh_arg_victim "$@" ||
		{ echo "run-3pcmk: unknown argument $1" >&2; exit 2; }
	shift "$MH_SHIFT"
done

mh_begin "three VMs under Pacemaker with GFS2"
export DDRAID_3PCMK_VICTIM=$victim

rm -rf "$out"/[abc] "$out"/[abc]2 "$out/shared" "$out"/m[0-9].img \
	"$out"/vol.img "$out"/[abc]*.tap "$out"/[abc]*.log "$out"/cib.* \
	"$out"/pcs.*
mh_out
t_start=$SECONDS
mh_images 3 "$MEMBER_SIZE"

NS=ddr3p-$$
vm_pids=()
mh_at_exit() { mh_vms_down; }
[ "$suite" = 1 ] && trap mh_at_exit EXIT
mh_netns "$NS" 3
diag "network namespace $NS: br0 with tap1..3, no address (the VMs use 10.223.0.1-3)"

MH_SCRIPT=$HERE/t-3pcmk.sh
boot() { mh_boot "$1" "$2" "$MH_SCRIPT"; }
role_of() { case "$1" in n1) echo a ;; n2) echo b ;; n3) echo c ;; esac; }
tap_of() { echo "tap$(mh_num "$1")"; }
declare -A pid
for r in a b c; do
	boot "$r" 1
	pid[$r]=$vm_pid
	vm_pids+=("$vm_pid")
done

# pcs_part PART: the pcs commands of docs/cluster-stack.md's PART, their
# fence devices made fence_vmhost (this host is the power switch), run with
# pcs -f on node a's live CIB (cib-live.PART), answered with cib-new.PART
# (t-3pcmk.sh, pcs_push).
pcs_part() {
	local cib=$out/cib.$1.xml
	cp "$SH/cib-live.$1" "$cib" || return 1
	"$VM_SRCDIR/tests/ocf/doc-pcs-commands" "$VM_SRCDIR/docs/cluster-stack.md" "$1" |
		sed -E 's/fence_ipmilan .* (pcmk_host_list=)/fence_vmhost pcmk_reboot_action=off \1/' \
		>"$out/pcs.$1" || return 1
	# Under TCG, four changes to the document's commands (the only ones):
	# - the VMs always look overloaded to Pacemaker (a load average of
	#   4-6 on one vCPU): its throttling would run one action at a time
	#   cluster-wide, and the volume's instances must start together
	#   (each waits for the others' exports; docs/cluster-stack.md,
	#   "Starting together"). The document's 400% still let a loaded DC
	#   (4.8 and more: "high" load) do that: the returning node's six
	#   probes ran one after the other. 1000% puts "high" at 12;
	# - for the same reason, and because a node with one CPU may run two
	#   jobs at most (node-action-limit 0: twice its cores), halved under
	#   low load and quartered under medium load, every node ran one
	#   action at a time: the returning node's filesystem waited 13 s for
	#   its volume's first monitor. With node-action-limit=8 a VM under
	#   medium load runs two, under high load still one;
	# - a GFS2 journal replay after a fencing takes longer than the
	#   monitors' 20-30 s (the Filesystem agent's readlink -f of the mount
	#   point waits for it), and a monitor that times out fences its node;
	# - a monitor every 30 s instead of 10 s for the volume, every 60 s
	#   instead of 10 s (filesystem) and 30 s (dlm): one monitor costs an
	#   emulated VM 1.6-2.0 s (ddraid), 2.4-3.4 s (Filesystem) and
	#   0.7-1.5 s (dlm) of CPU (t-3pcmk.sh's cpu.txt). At 10 s the first
	#   two took half of every VM's CPU; at 30 s all agents together
	#   still took 130-140 s of a VM's 550 (pacemaker-execd's children),
	#   and the three VMs share two host cores, which they keep busy the
	#   whole test. The volume's stays at 30 s: the survivors wait for
	#   its OCF_DEGRADED in crm_mon.
	case $1 in
	1) cat <<-EOF ;;
	pcs property set load-threshold=1000%
	pcs property set node-action-limit=8
	pcs resource update dlm op monitor interval=60s timeout=120s on-fail=fence
	pcs resource update vol0 op monitor interval=30s timeout=120s
	EOF
	2) echo "pcs resource update fs0 op monitor interval=60s timeout=120s on-fail=fence" ;;
	esac >>"$out/pcs.$1"
	# shellcheck disable=SC2016 # expanded by the inner bash
	"$VM_SRCDIR/tests/ocf/with-agents" --fence "$HERE/fence_vmhost" -- bash -c '
		while IFS= read -r c; do
			echo "$c"
			set -- $c
			shift
			pcs -f "$0" "$@" || exit 1
		done' "$cib" <"$out/pcs.$1" >>"$out/pcs.log" 2>&1 || return 1
	cp "$cib" "$SH/cib-new.$1.tmp" && mv "$SH/cib-new.$1.tmp" "$SH/cib-new.$1"
}

# power_off ROLE: kill ROLE's qemu (already off: nothing to do). Once the
# victim booted again, ROLE's VM is its second boot (vm_dir): a fence
# request that came that late would power it off, as a real switch would,
# and the test would fail on it.
declare -A off vm_dir
power_off() {
	local q
	[ -n "${off[$1]:-}" ] && return 0
	q=$(cat "$out/${vm_dir[$1]:-$1}/qemu.pid" 2>/dev/null)
	[ -n "$q" ] && kill -KILL "$q" || return 1
	wait "${pid[$1]}"
	vrc=$?
	off[$1]=1
}

isolated=0 rebooted=0 fenced=0
deadline=$((SECONDS + TIMEOUT + 300))
while mh_running || [ -n "$(ls "$SH"/fence-*.req 2>/dev/null)" ]; do
	if [ "$isolated" = 0 ] && [ -e "$SH/$victim.isolate" ]; then
		ip -n "$NS" link set "$(tap_of "$victim")" down
		touch "$SH/host.isolated"
		t_cut=$SECONDS
		ok "VM $victim's network cut (its tap down) $((SECONDS - t_start))s after start"
		isolated=1
	fi
	for part in 1 2; do
		[ -e "$SH/cib-live.$part" ] && [ ! -e "$out/cib.$part.xml" ] ||
			continue
		if pcs_part "$part"; then
			ok "pcs -f: the document's part $part on node a's CIB ($(wc -l <"$out/pcs.$part") commands)"
		else
			not_ok "pcs -f: the document's part $part (see $out/pcs.log)"
			touch "$SH/host.failed"
		fi
	done
	for req in "$SH"/fence-*-off.*.req; do
		[ -e "$req" ] || continue
		f=${req##*/fence-}
		node=${f%%-off.*}
		r=$(role_of "$node")
		by=$(cut -d' ' -f1 "$req")
		if [ -n "$r" ] && power_off "$r"; then
			touch "$SH/$node.off"
			mv "$req" "${req%.req}.done"
			ok "fence request from $by: VM $r ($node) powered off$([ "$isolated" = 1 ] && echo " $((SECONDS - t_cut))s after its network was cut")"
			[ "$r" = "$victim" ] && { fenced=1; touch "$SH/host.killed"; }
		else
			mv "$req" "${req%.req}.failed"
			not_ok "fence request from $by for '$node': no such VM"
		fi
	done
	# Not before both survivors' writes went on: by then their dlm has
	# recovered, and every fence request for the victim has been
	# answered (the fencer merges Pacemaker's and dlm's; ddraidd's may
	# come as a second fencing seconds later).
	if [ "$fenced" = 1 ] && [ "$rebooted" = 0 ] &&
	   mh_survivors_at "$victim" resumed; then
		ip -n "$NS" link set "$(tap_of "$victim")" up
		rm -f "$SH/n$(mh_num "$victim").off"
		mh_boot_again "$victim"
		pid[$victim]=$vm_pid
		vm_dir[$victim]=${victim}2
		unset "off[$victim]"
		diag "the victim $victim boots again with its disk"
	fi
	mh_late "$deadline" && break
	sleep 0.2
done
mh_wait_vms

vms="a b c"
[ "$rebooted" = 1 ] && vms+=" ${victim}2"
# shellcheck disable=SC2086 # names without blanks
mh_results "$([ "$fenced" = 1 ] && echo "$victim")" $vms
check "VM $victim ended in its fencing (no exit code; vm-run ${vrc:-?})" \
	test "$fenced" = 1 -a "${vrc:-}" = 125 -a ! -e "$out/$victim/share/rc"

# gfs2_fsck_clean IMAGE: fsck.gfs2 -n finds nothing wrong, or nothing but
# the statfs totals. GFS2 counts blocks and inodes per node
# (statfs_change) and adds them to the master statfs file every
# statfs_quantum (30 s) and at unmount; a node powered off between two of
# those leaves the master file off by what it allocated last, which
# fsck.gfs2 reports (exit 4) and mounts do not mind. Every other finding
# (any line outside the passes' progress and the statfs report) fails.
gfs2_fsck_clean() {
	local rc other
	fsck.gfs2 -n "$1" >"$out/fsck.log" 2>&1
	rc=$?
	other=$(grep -Ev '^$|^Initializing fsck$|^Validating resource group index\.$|^Level 1 resource group check|^\(level 1 passed\)$|^Starting (pass[0-9a-z]+|check_statfs)$|^(pass[0-9a-z]+|reconcile_bitmaps|check_statfs) completed in |^Reconciling bitmaps\.$|^The statfs file is wrong:$|^(Current|Calculated) statfs values:$|^(blocks|free|dinodes): +[0-9]+ \(0x[0-9a-f]+\)$|^The statfs file was not fixed\.$|^fsck\.gfs2 complete$' \
		"$out/fsck.log")
	if [ "$rc" = 0 ]; then
		ok "fsck.gfs2 -n: the filesystem is clean"
	elif [ "$rc" = 4 ] && [ -z "$other" ] &&
		grep -q '^The statfs file is wrong:$' "$out/fsck.log"; then
		diag "fsck.gfs2 -n: $(grep -A10 '^The statfs file is wrong' "$out/fsck.log" | tr -s ' \n' ' ')"
		ok "fsck.gfs2 -n: the filesystem is clean but for the statfs totals of a node powered off mid-write"
	else
		sed 's/^/# /' "$out/fsck.log" | tail -n 40
		not_ok "fsck.gfs2 -n: the filesystem is clean (exit $rc; $out/fsck.log)"
	fi
}

mh_check_images "${imgs[@]}"
if "$DDRAIDCTL" export --output "$out/vol.img" "${imgs[@]}" >&2; then
	ok "ddraidctl export of the volume from the images"
	# fsck.gfs2 crashes on a volume that holds no GFS2 (a run that ended
	# before mkfs): that says nothing of the filesystem, so it is not run.
	fstype=$(blkid -p -o value -s TYPE "$out/vol.img" 2>/dev/null)
	if [ "$fstype" = gfs2 ]; then
		gfs2_fsck_clean "$out/vol.img"
	else
		not_ok "the volume holds a GFS2 filesystem (blkid: ${fstype:-none})"
	fi
else
	not_ok "ddraidctl export of the volume from the images"
fi
rm -f "$out/vol.img"
for f in "$SH"/[abc].stall; do
	[ -e "$f" ] || continue
	read -r r s <"$f"
	diag "fencing: node $r's longest write stall ${s}s (from the network cut to after the fencing)"
done
diag "total $((SECONDS - t_start))s"
finish
