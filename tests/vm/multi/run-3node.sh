#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: timeout=900 needs=module,ddraidctl slots=3
#
# Three VMs, each with one disk of its own, one volume over the three disks
# (2 data members + parity), made in the VMs by the bootstrap commands
# (ddraidctl export-disk on each, create --nodes all on one) and run on
# each by the OCF agent (ocf/volume, transport nvme-tcp: every VM exports
# its disk with nvmet over TCP and imports the other two; the kernel
# target in cluster mode and ddraidd --host-member); corosync on each.
# tests/vm/multi/t-3node.sh is what each VM runs (its header says what is
# checked).
#
#   tests/vm/multi/run-3node.sh --build DIR [--out DIR] [--suite]
#                                   [--victim a|b|c]
#   tests/vm/multi/run-3node.sh --probe      (why it cannot run, or nothing)
#
# The host makes three blank images (the VMs' disks) and a network namespace with a
# bridge and one tap per VM (no address anywhere on the host; nothing
# leaves the namespace) and starts the three qemus in it. It kills the
# victim's qemu when the victim asks for its power cut (VICTIM.cut in the
# shared directory; host.killed then), boots it again with its disk when
# both survivors ask for it (want-return), and once every VM is gone checks
# the images: parity (ddraidctl check) and every block any node
# acknowledged (blocks.py verify on ddraidctl export). Output: TAP, numbered
# with a plan, or with --suite unnumbered points for run-vm-tests.sh. Logs:
# --out DIR (default /var/tmp/ddraid-vm/multi-3node): a/ b/ c/ (vm-run's,
# the victim's second boot in VICTIM2/), shared/, m*.img, vol.img.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM=$(cd "$HERE/.." && pwd)
TIMEOUT=900		# each VM's script (about 400-800 s on 2 busy cores)
MEMBER_SIZE=64M
MEM=640			# MB per VM (corosync locks ~170 MB)
. "$VM/lib.sh"
. "$HERE/lib-host.sh"

build=${DDRAID_BUILD:-}
out=/var/tmp/ddraid-vm/multi-3node
suite=0
victim=b

# probe: why this host cannot run the test (nothing when it can).
probe() {
	local r m
	r=$(mh_probe_qemu)
	[ -z "$r" ] || { echo "$r"; return; }
	for m in nvme tc corosync corosync-cmapctl jq ip mkfs.ext4 wipefs blkid; do
		command -v "$m" >/dev/null || {
			case "$m" in
			nvme) echo "nvme-cli not installed" ;;
			tc|ip) echo "iproute2 ($m) not installed" ;;
			*) echo "$m not installed" ;;
			esac
			return
		}
	done
	r=$(mh_probe_kmods nvmet nvmet-tcp nvme-tcp nvme-fabrics sch_ingress cls_flower act_gact virtio_net configfs)
	[ -z "$r" ] || { echo "$r"; return; }
	mh_probe_netns
}

MH_HELP=4,28
while [ $# -gt 0 ]; do
	mh_arg "$@" || mh_arg_victim "$@" ||
		{ echo "run-3node: unknown argument $1" >&2; exit 2; }
	shift "$MH_SHIFT"
done

mh_begin "three-node test on the nodes' own disks"
# vm-run exports DDRAID_* to the VMs.
export DDRAID_3NODE_VICTIM=$victim
# blocks.py's layout (t-3node.sh): 3 nodes, 96 blocks of each region.
export DDRAID_3NODE_BLOCKS_OPTS="--nodes 3 --span 96"

# Only what this script makes: the suite keeps its own files in --out.
rm -rf "$out"/[abc] "$out"/[abc]2 "$out/shared" "$out"/m[0-9].img \
	"$out"/vol.img "$out"/[abc]*.tap "$out"/[abc]*.log
mh_out
t_start=$SECONDS

# --- the volume, on the three images the VMs boot with --------------------
mh_images 3 "$MEMBER_SIZE"
diag "three blank ${MEMBER_SIZE} images: the VMs make the volume on them (export-disk, create --nodes)"

# --- the private network: a namespace with a bridge and three taps --------------
NS=ddr3-$$
vm_pids=()
mh_at_exit() { mh_vms_down; }
[ "$suite" = 1 ] && trap mh_at_exit EXIT
mh_netns "$NS" 3
diag "network namespace $NS: br0 with tap1..3, no address (the VMs use 10.223.0.1-3)"

# boot ROLE BOOT: start ROLE's VM in the background (pid in vm_pid).
MH_SCRIPT=$HERE/t-3node.sh
boot() { mh_boot "$1" "$2" "$MH_SCRIPT"; }
declare -A pid
for r in a b c; do
	boot "$r" 1
	pid[$r]=$vm_pid
	vm_pids+=("$vm_pid")
done

# --- the victim's power cut and return ---------------------------------------
killed=0 rebooted=0
deadline=$((SECONDS + TIMEOUT + 240))
while mh_running; do
	if [ "$killed" = 0 ] && [ -e "$SH/$victim.cut" ]; then
		qpid=$(cat "$out/$victim/qemu.pid" 2>/dev/null)
		if [ -n "$qpid" ] && kill -KILL "$qpid"; then
			wait "${pid[$victim]}"
			vrc=$?
			touch "$SH/host.killed"
			t_kill=$SECONDS
			ok "power cut: the host killed VM $victim's qemu $((SECONDS - t_start))s after start"
		else
			touch "$SH/host.failed"
			not_ok "kill VM $victim's qemu (pid '$qpid')"
		fi
		killed=1
	fi
	if [ "$killed" = 1 ] && [ "$rebooted" = 0 ]; then
		if mh_survivors_at "$victim" want-return; then
			mh_boot_again "$victim"
			diag "the victim $victim boots again with its disk $((SECONDS - t_kill))s after the power cut"
		fi
	fi
	mh_late "$deadline" && break
	sleep 0.2
done
mh_wait_vms

# Their points, prefixed with the node; a failed one fails this test.
vms="a b c"
[ "$rebooted" = 1 ] && vms+=" ${victim}2"
# shellcheck disable=SC2086 # names without blanks
mh_results "$([ "$killed" = 1 ] && echo "$victim")" $vms
check "VM $victim ended in the power cut (no exit code; vm-run ${vrc:-?})" \
	test "${vrc:-}" = 125 -a ! -e "$out/$victim/share/rc"

# --- the images -----------------------------------------------------------------
mh_check_images "${imgs[@]}"
check "ddraidctl export of the volume from the images" \
	"$DDRAIDCTL" export --output "$out/vol.img" "${imgs[@]}"
for r in a b c; do
	check "every block node $r acknowledged is on the images ($(wc -l <"$SH/$r.acked"))" \
		python3 "$HERE/blocks.py" verify "$out/vol.img" "$SH/$r.acked" "$r" \
		$DDRAID_3NODE_BLOCKS_OPTS
done
rm -f "$out/vol.img"

# --- the numbers ------------------------------------------------------------------
for f in "$SH"/[abc].loss-stall; do
	[ -e "$f" ] || continue
	read -r r s t <"$f"
	diag "node loss: node $r's longest write stall ${s}s (corosync's detection there ${t}s; goal: detection + 10 s + 1 s)"
done
[ -e "$SH/readd-time" ] &&
	diag "return: every member active $(cat "$SH/readd-time")s after the victim's ddraidd started"
[ -e "$SH/rebuilt-regions" ] &&
	diag "return: regions rebuilt from the bitmaps (coordinator): $(cat "$SH/rebuilt-regions" | sed 's/ / of /')"
[ -e "$SH/cut1-time" ] &&
	diag "cut1: the path was cut for $(cut -d' ' -f1 "$SH/cut1-time")s; the cutting node's longest write stall $(cut -d' ' -f2 "$SH/cut1-time")s"
[ -e "$SH/withdraw-time" ] &&
	diag "cut2: withdrawn $(cat "$SH/withdraw-time")s after the cut"
diag "total $((SECONDS - t_start))s"
finish
