# SPDX-License-Identifier: GPL-2.0-only
#
# Shared pieces of the multi-VM tests' host sides (run-2node.sh,
# run-3node.sh), sourced after tests/vm/lib.sh. They print unnumbered TAP
# points; standalone (without --suite) mh_numbered numbers them and prints
# the plan.

# mh_numbered: number the points on stdout and print the plan at the end.
mh_numbered() {
	exec 3>&1 > >(awk '/^(not )?ok - / { n++; sub(/ - /, " " n " - ") }
		{ print; fflush() } END { print "1.." n }' >&3)
	MH_NUMBERER=$!
	# The plan comes out before this script returns. (fd 3 is the real
	# stdout: no VM gets it, or a leftover process of vm-run keeps a
	# reader of ours waiting.)
	trap 'rc=$?; mh_at_exit; exec >&-; wait "$MH_NUMBERER"; exit "$rc"' EXIT
}

# mh_at_exit: what the test must undo when it ends; it redefines this and,
# with --suite (no mh_numbered), traps EXIT to it itself.
mh_at_exit() { :; }

# mh_kver: the newest Debian 6.1 kernel in /boot.
mh_kver() {
	ls /boot/vmlinuz-6.1.* 2>/dev/null | sed 's|^/boot/vmlinuz-||' |
		sort -V | tail -n 1
}

# mh_probe_qemu: why this host cannot boot the VMs (nothing when it can).
mh_probe_qemu() {
	command -v qemu-system-x86_64 >/dev/null ||
		{ echo "qemu-system-x86_64 not installed"; return; }
	[ -n "$(mh_kver)" ] || { echo "no Debian 6.1 kernel in /boot"; return; }
	command -v python3 >/dev/null || echo "python3 not installed"
}

# mh_setup BUILD OUT: checks the build (ddraidctl, ddraidd), sets build,
# DDRAIDCTL and exports DDRAID_BUILD (vm-run passes DDRAID_* to the VMs);
# the module: the suite's private copy ($DDRAID_KO), else built here and
# copied to OUT (bails when it does not build).
mh_setup() {
	[ -n "$1" ] || bail "no --build DIR"
	build=$(realpath "$1")
	DDRAIDCTL=$build/tools/ddraidctl
	[ -x "$DDRAIDCTL" ] || bail "no $DDRAIDCTL"
	[ -x "$build/cpg-daemon/ddraidd" ] || bail "no $build/cpg-daemon/ddraidd"
	export DDRAID_BUILD=$build
	if [ -z "${DDRAID_KO:-}" ]; then
		make -C "$VM_SRCDIR/dmtarget" KDIR="/lib/modules/$(mh_kver)/build" \
			>"$2/module-build.log" 2>&1 ||
			bail "the module does not build (see $2/module-build.log)"
		cp "$VM_SRCDIR/dmtarget/dm-ddraid.ko" "$2/dm-ddraid.ko"
		export DDRAID_KO=$2/dm-ddraid.ko
	fi
}

# mh_relay NODE TAPFILE: NODE's points, prefixed with its name; a failed
# one fails this test.
mh_relay() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) echo "ok - $1: ${line#ok - }" ;;
		"not ok - "*)
			echo "not ok - $1: ${line#not ok - }"
			tap_failed=1
			;;
		"#"*) echo "$line" ;;
		esac
	done <"$2"
}

# mh_netns NS N: a network namespace NS with a bridge br0 and N taps
# (tap1..tapN) on it, no address anywhere: the VMs' private network, which
# nothing leaves (IPv6 off: no link-local addresses, no solicitations).
mh_netns() {
	local i
	{
		ip netns add "$1" &&
			ip -n "$1" link add br0 type bridge &&
			ip -n "$1" link set br0 up &&
			for i in $(seq 1 "$2"); do
				ip -n "$1" tuntap add "tap$i" mode tap &&
					ip -n "$1" link set "tap$i" master br0 up ||
					exit 1
			done
	} >&2 || bail "network namespace $1 with br0 and tap1..$2"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
}

# mh_num ROLE: the VM's number, 1 for a, 2 for b...: its tap, its image
# (m<num - 1>.img), its corosync node id.
mh_num() { echo $(($(printf '%d' "'$1") - 96)); }

# mh_boot ROLE BOOT SCRIPT: start ROLE's VM (a, b, c: tap1.., image
# m0.img..) running SCRIPT with ROLE and BOOT in its environment, in the
# background; its pid in vm_pid. Uses NS, SH, MEM, TIMEOUT and out, and
# passes MH_VMRUN_ARGS (more vm-run options) on; its logs in out/ROLE
# (out/ROLE2 for a second boot).
MH_VMRUN_ARGS=()
mh_boot() {
	local role=$1 n dir
	n=$(mh_num "$role")
	dir=$out/$role
	[ "$2" = 1 ] || dir=$out/$role$2
	"$VM/vm-run" --netns "$NS" --net-tap "tap$n,52:54:00:dd:03:0$n" \
		--disk-file "$out/m$((n - 1)).img" --shared-dir "$SH" \
		--mem "$MEM" --timeout "$TIMEOUT" --out "$dir" \
		--env "ROLE=$role" --env "BOOT=$2" "${MH_VMRUN_ARGS[@]}" \
		"$3" >"$dir.tap" 2>"$dir.log" 3>&- &
	vm_pid=$!
}

# mh_running: one of the VMs (vm_pids) still runs.
mh_running() {
	local p
	for p in "${vm_pids[@]}"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}

# mh_vms_down: the VMs that still run are stopped (vm-run kills its qemu on
# SIGTERM), the namespace NS deleted.
mh_vms_down() {
	local p
	for p in "${vm_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	# (Not a bare "wait": it would wait for mh_numbered's numberer too.)
	for p in "${vm_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
}

# mh_raw_parity IMG...: the parity member (the last) is the XOR of the data
# members at every offset of the data area, whatever the superblocks say.
mh_raw_parity() {
	local off frag size
	read -r off frag size < <("$DDRAIDCTL" examine --json "$1" |
		jq -r '"\(.data_offset) \(.fragment_size) \(.data_size)"')
	python3 - "$off" $((size / 4096 * frag)) "$frag" "$@" <<'PY'
import sys
off, n, frag = map(int, sys.argv[1:4])
fs = [open(p, "rb") for p in sys.argv[4:]]
for f in fs:
	f.seek(off)
bad, done, step = 0, 0, 1 << 20
while done < n:
	bufs = [f.read(min(step, n - done)) for f in fs]
	x = 0
	for b in bufs[:-1]:
		x ^= int.from_bytes(b, "little")
	if x != int.from_bytes(bufs[-1], "little"):
		for i in range(0, len(bufs[0]), frag):
			y = 0
			for b in bufs[:-1]:
				y ^= int.from_bytes(b[i:i + frag], "little")
			bad += y != int.from_bytes(bufs[-1][i:i + frag], "little")
	done += len(bufs[0])
print("%d blocks (a %d-byte fragment per member), %d with bad parity" % (n // frag, frag, bad),
      file=sys.stderr)
sys.exit(bad != 0)
PY
}

# mh_check_images IMG...: the members' images after every VM stopped: their
# superblocks, ddraidctl check (unless a member is recorded failed: then
# one at most, the first host that stopped cleanly took its member out and
# the others could not, the last redundancy), and the raw parity.
mh_check_images() {
	local img st failed
	for img in "$@"; do
		st=$("$DDRAIDCTL" examine --json "$img" |
			jq -r '"\(.events) \([.member_states[].state] | join(","))"')
		diag "${img##*/}: events ${st% *}, members ${st#* }"
	done
	# The freshest superblock's member states.
	failed=$(for img in "$@"; do
		"$DDRAIDCTL" examine --json "$img" |
			jq -r '"\(.events) \([.member_states[] | select(.state != "active") | .index] | join(" "))"'
	done | sort -n | tail -n 1 | cut -d' ' -f2-)
	if [ -z "$failed" ]; then
		check "ddraidctl check of the images: parity consistent" \
			"$DDRAIDCTL" check "$@"
	else
		diag "member(s) $failed recorded failed after the clean stop of every node:" \
			"ddraidctl check cannot check them"
		check "one member recorded failed at most (member $failed, its host stopped first)" \
			test "$(echo "$failed" | wc -w)" = 1
	fi
	check "the images' parity is consistent (raw, every member)" \
		mh_raw_parity "$@"
}

# mh_probe_netns: why this host cannot make the VMs' network (nothing when
# it can): root, and a namespace with a bridge and a tap.
mh_probe_netns() {
	local ns=ddrprobe$$
	[ "$(id -u)" = 0 ] ||
		{ echo "not root (network namespace, taps)"; return; }
	if ! { ip netns add "$ns" &&
		ip -n "$ns" link add br0 type bridge &&
		ip -n "$ns" tuntap add tap0 mode tap; } >/dev/null 2>&1; then
		echo "cannot make a network namespace with a bridge and a tap"
	fi
	ip netns del "$ns" 2>/dev/null
}

# mh_images N SIZE: N blank images out/m0.img.. of SIZE, in imgs.
mh_images() {
	local i
	imgs=()
	for ((i = 0; i < $1; i++)); do
		truncate -s "$2" "$out/m$i.img" || bail "truncate"
		imgs+=("$out/m$i.img")
	done
}

# mh_results GONE VM...: every VM's points, prefixed with its name; then
# each VM's exit status must be 0, except GONE's (the one the host killed,
# "" for none).
mh_results() {
	local gone=$1 r rc
	shift
	for r in "$@"; do
		mh_relay "$r" "$out/$r.tap"
	done
	for r in "$@"; do
		[ "$r" = "$gone" ] && continue
		rc=$(cat "$out/$r/share/rc" 2>/dev/null || echo none)
		check "VM $r exit 0 (logs in $out/$r)" test "$rc" = 0
		[ "$rc" = 0 ] || tail -n 15 "$out/$r.log" | sed "s/^/# $r: /"
	done
}

# mh_arg ARG...: the options every multi-VM test takes (--build DIR,
# --out DIR, --suite, --probe, -h): sets build, out or suite, or runs
# probe (the caller's) or prints the header lines MH_HELP of $0 and exits.
# Returns 0 and sets MH_SHIFT (words used) for one of them, 1 otherwise.
mh_arg() {
	MH_SHIFT=1
	case "$1" in
	--build) build=$2; MH_SHIFT=2 ;;
	--out) out=$2; MH_SHIFT=2 ;;
	--suite) suite=1 ;;
	--probe) probe; exit 0 ;;
	-h|--help) sed -n "${MH_HELP}p" "$0"; exit 0 ;;
	*) return 1 ;;
	esac
}

# mh_begin WHAT: standalone, number the points; skip WHAT (and end) when
# probe says this host cannot run it.
mh_begin() {
	local reason
	[ "$suite" = 0 ] && mh_numbered
	reason=$(probe)
	if [ -n "$reason" ]; then
		skip "$1" "$reason"
		finish
	fi
}

# mh_out: out made, absolute, with the shared directory SH; the build
# checked and the module ready (mh_setup).
mh_out() {
	mkdir -p "$out/shared" || bail "cannot create $out"
	out=$(realpath "$out")
	SH=$out/shared
	mh_setup "$build" "$out"
}

# mh_survivors_at VICTIM NAME: every VM but VICTIM arrived at NAME (its
# barrier file ROLE.NAME): e.g. want-return, they ask for VICTIM back.
mh_survivors_at() {
	local r
	for r in a b c; do
		[ "$r" = "$1" ] || [ -e "$SH/$r.$2" ] || return 1
	done
}

# mh_boot_again VICTIM: its second boot (mh_boot with MH_SCRIPT), counted
# in vm_pids; rebooted=1.
mh_boot_again() {
	mh_boot "$1" 2 "$MH_SCRIPT"
	vm_pids+=("$vm_pid")
	rebooted=1
}

# mh_late DEADLINE: past DEADLINE (SECONDS), the host gives up (the VMs
# see host.failed) with a failed point; the caller stops waiting.
mh_late() {
	[ "$SECONDS" -gt "$1" ] || return 1
	touch "$SH/host.failed"
	not_ok "every VM ended within $(($1 - t_start))s"
}

# mh_wait_vms: every VM's vm-run has ended.
mh_wait_vms() {
	local p
	for p in "${vm_pids[@]}"; do
		wait "$p"
	done
	diag "every VM gone $((SECONDS - t_start))s after start"
}

# mh_probe_kmods MODULE...: the guest kernel's missing module (nothing
# when it has them all).
mh_probe_kmods() {
	local kver m
	kver=$(mh_kver)
	for m in "$@"; do
		modinfo -k "$kver" -n "$m" >/dev/null 2>&1 ||
			{ echo "the $kver kernel has no module $m"; return; }
	done
}

# mh_arg_victim ARG...: --victim a|b|c (the three-VM tests' VM to lose);
# as mh_arg.
mh_arg_victim() {
	[ "$1" = --victim ] || return 1
	case "${2:-}" in
	a|b|c) victim=$2; MH_SHIFT=2 ;;
	*) echo "${0##*/}: --victim a|b|c" >&2; exit 2 ;;
	esac
}
