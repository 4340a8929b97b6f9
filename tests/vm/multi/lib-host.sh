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
