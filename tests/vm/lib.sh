# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers sourced by the tests/vm/t-*.sh scripts, inside the VM and on the
# host. A test prints TAP sub-points without numbers ("ok - what",
# "not ok - what"); run-vm-tests.sh numbers and prefixes them. The test's
# exit status is non-zero if any point failed.

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_SRCDIR=$(cd "$VM_LIB_DIR/../.." && pwd)
VM_SHARE=${VM_SHARE:-/vmshare}
export DM_DISABLE_UDEV=1

tap_failed=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; tap_failed=1; }
skip() { echo "ok - $1 # SKIP ${2:-}"; }
diag() { echo "# $*"; }

# check DESCRIPTION COMMAND...: one test point from a command's status;
# the command's output goes to stderr (the log) so it cannot break the TAP.
check() {
	local desc=$1
	shift
	if "$@" >&2; then
		ok "$desc"
	else
		not_ok "$desc (status $?: $*)"
	fi
}

# check_fails DESCRIPTION COMMAND...: the command must fail.
check_fails() {
	local desc=$1
	shift
	if "$@" >&2; then
		not_ok "$desc (unexpectedly succeeded: $*)"
	else
		ok "$desc"
	fi
}

# bail MESSAGE: a failure that makes the rest of the test meaningless.
bail() {
	not_ok "$*"
	exit 1
}

finish() {
	exit "$tap_failed"
}

# The n-th member disk (0-based), /dev/vda...
vm_disk() {
	local letters=abcdefghijklmnopqrst
	echo "/dev/vd${letters:$1:1}"
}

# sha256 of LEN bytes of FILE starting at byte OFFSET (both multiples of 4096).
sha_range() {
	dd if="$1" bs=4096 skip=$(($2 / 4096)) count=$(($3 / 4096)) \
		iflag=direct status=none 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Find the build tree: $DDRAID_BUILD, else the first argument given as
# --build DIR by run-vm-tests.sh (exported as DDRAID_BUILD there).
vm_need_build() {
	[ -n "${DDRAID_BUILD:-}" ] || bail "DDRAID_BUILD not set"
	DDRAIDCTL=$DDRAID_BUILD/tools/ddraidctl
	[ -x "$DDRAIDCTL" ] || bail "no ddraidctl at $DDRAIDCTL"
}

# Load dm-ddraid.ko from the source tree (built there by dmtarget/Makefile).
vm_load_module() {
	local ko=${DDRAID_KO:-$VM_SRCDIR/dmtarget/dm-ddraid.ko}
	modprobe dm-mod || bail "modprobe dm-mod"
	[ -f "$ko" ] || bail "module not built: $ko"
	insmod "$ko" || bail "insmod $ko"
}
