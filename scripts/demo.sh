#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demonstration: installs what ddraid needs, builds it, then shows
# 1. a 5-member volume on files surviving the loss of a member: data in,
#    member lost, data out intact, member rebuilt, parity checked, data out
#    again;
# 2. a 3-node cluster (network namespaces, real corosync and ddraidd, the
#    userspace stand-in for the kernel target) losing a node mid-write:
#    only its dirty regions are resynced and no acknowledged write is lost
#    (scripts/demo-cluster.sh);
# 3. what ddraid is for: three qemu VMs, each with only its own disk, the
#    disks reaching each other over NVMe/TCP, Pacemaker running the stack
#    of docs/cluster-stack.md (fencing, dlm, the ddraid clone, GFS2 on all
#    three); a VM is fenced mid-write, the others go on, it returns and is
#    re-added; no file is lost (scripts/demo-distributed.sh, about 8
#    minutes; --no-vm leaves it out).
# Ends with one PASS or FAIL line; the exit status says the same.
set -u

vm=1
case "${1:-}" in
--no-vm) vm=0 ;;
"") ;;
*) echo "usage: scripts/demo.sh [--no-vm]" >&2; exit 2 ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
size=64M		# each member file
step=0

say() {
	step=$((step + 1))
	printf '\n[%d] %s\n' "$step" "$*"
}

fail() {
	printf '\nFAIL: %s\n' "$*"
	exit 1
}

# run CMD...: show a command, then run it.
run() {
	printf '    $ %s\n' "$*"
	"$@"
}

say "Installing the Debian packages ddraid needs (scripts/install-deps.sh)"
bash "$top/scripts/install-deps.sh" || fail "could not install the packages"

say "Building ddraid in $top/build"
cd "$top" || fail "no source tree at $top"
if [ ! -x configure ]; then
	run autoreconf -fi || fail "autoreconf failed"
fi
mkdir -p build && cd build || fail "cannot make $top/build"
if [ ! -f Makefile ]; then
	run ../configure -q || fail "configure failed"
fi
run make -j"$(nproc)" -s >/dev/null || fail "the build failed"
ctl=$top/build/tools/ddraidctl
[ -x "$ctl" ] || fail "no $ctl after the build"

work=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-demo.XXXXXX") || fail "mktemp failed"
trap 'rm -rf "$work"' EXIT
cd "$work" || fail "cannot enter $work"
ddraidctl() {
	printf '    $ ddraidctl %s\n' "$*"
	"$ctl" "$@"
}

say "Making 5 member files of $size each in $work"
for i in 0 1 2 3 4; do
	truncate -s "$size" "m$i" || fail "cannot make m$i"
done
ls -l m0 m1 m2 m3 m4 | sed 's/^/    /'

say "Creating a 5-member volume: 4 data members (1 KiB of every 4 KiB block each) and 1 parity member"
ddraidctl create --name demo m0 m1 m2 m3 m4 || fail "create failed"
ddraidctl examine m2 || fail "examine failed"
bytes=$("$ctl" examine --json m0 | sed -n 's/^  "data_size":\([0-9]*\),$/\1/p')
[ -n "$bytes" ] || fail "examine --json gave no data_size"
echo "    the volume holds $bytes bytes"

say "Importing $bytes bytes of random data into the volume"
head -c "$bytes" /dev/urandom >data
want=$(sha256sum <data | cut -d' ' -f1)
echo "    sha256 of the data: $want"
ddraidctl import --input data m0 m1 m2 m3 m4 || fail "import failed"

say "Losing member 2: its file is deleted"
run rm m2

say "Exporting the volume from the 4 surviving members (member 2 reconstructed from parity)"
ddraidctl export --output out1 m0 m1 missing m3 m4 || fail "degraded export failed"
got=$(sha256sum <out1 | cut -d' ' -f1)
echo "    sha256 of the export: $got"
[ "$got" = "$want" ] || fail "the degraded export differs from the data"
echo "    identical to the data imported"

say "Rebuilding member 2 onto a new file"
truncate -s "$size" new2 || fail "cannot make new2"
ddraidctl rebuild --offline --member 2 --new new2 m0 m1 missing m3 m4 ||
	fail "rebuild failed"
ddraidctl examine new2 | grep -E 'member:|member states' | sed 's/^/    /'

say "Checking parity of the whole volume"
ddraidctl check m0 m1 new2 m3 m4 || fail "check found the volume inconsistent"

say "Exporting again from all 5 members, member 2 now being the rebuilt file"
ddraidctl export --output out2 m0 m1 new2 m3 m4 || fail "export failed"
got=$(sha256sum <out2 | cut -d' ' -f1)
echo "    sha256 of the export: $got"
[ "$got" = "$want" ] || fail "the export after rebuild differs from the data"
echo "    identical to the data imported"

printf '\n    a 5-member volume lost a member, kept every byte, was rebuilt and checks clean\n'

cd "$top" || fail "no source tree at $top"
DDRAID_DEMO_INNER=1 bash "$top/scripts/demo-cluster.sh" "$top/build" ||
	fail "the cluster demonstration failed"
if [ "$vm" = 1 ]; then
	bash "$top/scripts/demo-distributed.sh" "$top/build" ||
		fail "the distributed demonstration failed"
	echo "PASS: a local volume, a 3-node cluster and three VMs on their own disks each survived failures with every byte intact"
else
	echo "PASS: a local volume and a 3-node cluster each survived a failure with every byte intact"
fi
exit 0
