#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Packaging and install, one TAP stream on stdout:
#  - "make dist" from an already built tree holds exactly the source files
#    (scripts/check-dist.sh: no objects, nothing left out);
#  - the Debian packages build from that tarball plus debian/ with
#    "dpkg-buildpackage -us -uc -b" (DEB_BUILD_OPTIONS=nocheck: make check
#    runs in the build suite already);
#  - their contents: ddraid has the daemon, the CLI, ddraid-stonith next
#    to ddraidd, the agent under /usr/lib/ocf with /usr/sbin as its
#    programs' directory, ddraidd@.service with /usr/sbin substituted, the
#    man pages and docs; ddraid-dkms has dkms.conf (its version the
#    package's) and every source file the module is built from, and no
#    build product;
#  - both install with dpkg into a throwaway root (dpkg --root: its own
#    database, nothing on this host changes); the installed programs run;
#    DKMS itself builds the module from the installed source tree against
#    the VM tests' kernel headers (private DKMS trees, nothing installed).
#
#   BUILD=DIR tests/pkg/run-pkg-tests.sh     (DIR: a configured build tree)
# The packages stay in DIR/pkg/ (tests/vm/t-pkg.sh installs them in a VM).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$SRC/build}

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
t() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
plan_skip() { echo "1..0 # SKIP $*"; exit 0; }
bail() { not_ok "$*"; echo "1..$n"; exit 1; }

for p in dpkg-buildpackage dh dh_dkms dpkg-deb; do
	command -v $p >/dev/null || plan_skip "$p not installed (scripts/install-deps.sh installs it)"
done
[ -f "$BUILD/Makefile" ] || plan_skip "no configured build tree at $BUILD"

OUT=$BUILD/pkg
rm -rf "$OUT"
mkdir -p "$OUT"
log=$OUT/log

# ---- the tarball ------------------------------------------------------------
start=$(date +%s)
if (cd "$BUILD" && make dist) >"$log.dist" 2>&1; then
	ok "make dist in $BUILD (built already): $(grep 'check-dist:' "$log.dist")"
else
	sed 's/^/# /' "$log.dist" | tail -20
	bail "make dist in $BUILD"
fi
tarball=$(ls "$BUILD"/ddraid-*.tar.gz | head -n 1)
version=$(basename "$tarball" .tar.gz)
version=${version#ddraid-}
t "no object, log or module file in $(basename "$tarball")" \
	sh -c "! tar tzf '$tarball' | grep -E '\.(o|a|ko|mod|cmd|log|trs)$|/\.deps/'"

# ---- dpkg-buildpackage --------------------------------------------------------
tar xzf "$tarball" -C "$OUT"
cp -a "$SRC/debian" "$OUT/ddraid-$version/"
# The upstream tarball as dpkg-source would want it, for completeness.
cp "$tarball" "$OUT/ddraid_$version.orig.tar.gz"
if (cd "$OUT/ddraid-$version" &&
    DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$log.build" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - start)) s with make dist)"
else
	grep -E 'error|Error|dh_.*: ' "$log.build" | tail -20 | sed 's/^/# /'
	bail "dpkg-buildpackage -us -uc -b (log: $log.build)"
fi
rm -rf "$OUT/ddraid-$version"
deb=$(ls "$OUT"/ddraid_"$version"-*_*.deb 2>/dev/null | head -n 1)
dkms=$(ls "$OUT"/ddraid-dkms_"$version"-*_all.deb 2>/dev/null | head -n 1)
t "two packages: ddraid and ddraid-dkms" test -f "$deb" -a -f "$dkms"
[ -f "$deb" ] && [ -f "$dkms" ] || bail "packages missing"

# ---- contents ---------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $1, $6 }' | sed 's|\./|/|' >"$OUT/ddraid.list"
dpkg-deb -c "$dkms" | awk '{ print $1, $6 }' | sed 's|\./|/|' >"$OUT/dkms.list"
# has LIST PATH [MODE-PREFIX]: the package has the file (with that mode)
has() { grep -q "^${3:-[-l]}[^ ]* $2\$" "$OUT/$1.list"; }
missing=""
for f in /usr/sbin/ddraidd /usr/sbin/ddraidctl /usr/sbin/ddraid-stonith \
	 /usr/lib/ocf/resource.d/ddraid/volume; do
	has ddraid "$f" -rwxr-xr-x || missing="$missing $f"
done
t "ddraid: daemon, CLI, ddraid-stonith next to ddraidd, agent, executable${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]
missing=""
for f in /lib/systemd/system/ddraidd@.service \
	 /lib/systemd/system/ddraid-monitor.service \
	 /lib/systemd/system/ddraid-scrub.service \
	 /lib/systemd/system/ddraid-scrub.timer \
	 /usr/share/ddraid/alert_ddraid.sh \
	 /usr/share/man/man8/ddraidd.8.gz /usr/share/man/man8/ddraidctl.8.gz \
	 /usr/share/man/man7/ocf_ddraid_volume.7.gz \
	 /lib/udev/rules.d/60-ddraid.rules \
	 /usr/share/bash-completion/completions/ddraidctl \
	 /usr/share/doc/ddraid/copyright; do
	has ddraid "$f" || missing="$missing $f"
done
for f in README.md ddraidd.md ocf.md format.md; do
	grep -q " /usr/share/doc/ddraid/$f\(\.gz\)\?\$" "$OUT/ddraid.list" ||
		missing="$missing $f"
done
t "ddraid: systemd unit, man pages (8 and 7), udev rule, bash completion, docs${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]
dpkg-deb --fsys-tarfile "$deb" | tar xO ./lib/systemd/system/ddraidd@.service \
	>"$OUT/unit" 2>/dev/null
t "the unit runs /usr/sbin/ddraidd with its pid file" \
	grep -qx 'ExecStart=/usr/sbin/ddraidd --volume %i --foreground --pid-file /run/ddraid/%i.pid $DDRAIDD_OPTS' "$OUT/unit"
t "...and says PIDFile=, no placeholder left" \
	sh -c "grep -qx 'PIDFile=/run/ddraid/%i.pid' '$OUT/unit' && ! grep -q '@[a-z]*@' '$OUT/unit'"
dpkg-deb --fsys-tarfile "$deb" | tar xO ./usr/lib/ocf/resource.d/ddraid/volume \
	>"$OUT/agent" 2>/dev/null
t "the agent's programs are in /usr/sbin" grep -qx 'DDRAID_SBINDIR="/usr/sbin"' "$OUT/agent"
t "ddraid depends on the corosync and libqb libraries it links, and dmsetup" \
	sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libcpg' && dpkg-deb -f '$deb' Depends | grep -q 'libqb' && dpkg-deb -f '$deb' Depends | grep -qw dmsetup"

usrc=/usr/src/ddraid-$version
t "ddraid-dkms: $usrc/dkms.conf" has dkms "$usrc/dkms.conf"
dpkg-deb --fsys-tarfile "$dkms" | tar xO ".$usrc/dkms.conf" >"$OUT/dkms.conf" 2>/dev/null
t "dkms.conf: PACKAGE_NAME ddraid, PACKAGE_VERSION $version (the package's)" \
	sh -c "grep -qx 'PACKAGE_NAME=\"ddraid\"' '$OUT/dkms.conf' && grep -qx 'PACKAGE_VERSION=\"$version\"' '$OUT/dkms.conf'"
# What the module is built from: Kbuild, the Makefile, the target's .c
# and .h files as the tarball has them (the source tree's dmtarget/ may
# hold a kernel build's links and files), and each shared core file
# Kbuild names (as common.src/).
want="$usrc/Kbuild $usrc/Makefile"
for f in $(tar tzf "$tarball" | sed -n "s|^ddraid-$version/dmtarget/\([^/]*\.[ch]\)\$|\1|p"); do
	want="$want $usrc/$f"
done
for o in $(grep -o 'ddraid_[a-z0-9]*\.o' "$SRC/dmtarget/Kbuild" | sed 's/\.o$//'); do
	want="$want $usrc/common.src/$o.c"
done
for h in "$SRC"/common/*.h; do
	grep -q "$(basename "$h")" "$SRC/dmtarget/Makefile" &&
		want="$want $usrc/common.src/$(basename "$h")"
done
missing=""
for f in $(echo $want | tr ' ' '\n' | sort -u); do
	has dkms "$f" || missing="$missing $f"
done
t "ddraid-dkms: Kbuild, Makefile, the target's sources and the shared core${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]
t "ddraid-dkms: no build product (.o, .ko, .cmd, symlink)" \
	sh -c "! grep -E '\.(o|ko|cmd|mod)\$|^l' '$OUT/dkms.list'"
t "ddraid-dkms depends on dkms" sh -c "dpkg-deb -f '$dkms' Depends | grep -qw dkms"

# ---- install into a throwaway root --------------------------------------------
# dpkg --root keeps its own database there. The libraries the programs
# need are on this host, not in that root: --force-depends. The dkms
# package is only unpacked: its postinst would run dkms in the root,
# which has no system to run it with (DKMS is run below, by hand).
R=$OUT/root
host_db=$(cat /var/lib/dpkg/status | md5sum)
mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info"
: >"$R/var/lib/dpkg/status"
if dpkg --root="$R" --force-depends --force-not-root --log=/dev/null \
	-i "$deb" >"$log.dpkg" 2>&1 &&
   dpkg --root="$R" --force-depends --force-not-root --log=/dev/null \
	--unpack "$dkms" >>"$log.dpkg" 2>&1; then
	ok "dpkg --root: ddraid installed, ddraid-dkms unpacked"
else
	sed 's/^/# /' "$log.dpkg" | tail -20
	not_ok "dpkg --root: ddraid installed, ddraid-dkms unpacked"
fi
t "dpkg says ddraid is installed in the root" \
	sh -c "dpkg --root='$R' -s ddraid 2>/dev/null | grep -qx 'Status: install ok installed'"
t "dpkg -L lists the daemon, agent and unit in the root" \
	sh -c "dpkg --root='$R' -L ddraid | grep -qx /usr/sbin/ddraidd && dpkg --root='$R' -L ddraid | grep -qx /usr/lib/ocf/resource.d/ddraid/volume && dpkg --root='$R' -L ddraid | grep -qx /lib/systemd/system/ddraidd@.service"
t "the installed ddraidctl runs (--help)" sh -c "'$R/usr/sbin/ddraidctl' --help >/dev/null"
t "the installed ddraidd runs and knows --pid-file" sh -c "'$R/usr/sbin/ddraidd' --help | grep -q -- --pid-file"
t "the installed agent's meta-data names /usr/sbin/ddraidd" \
	sh -c "OCF_FUNCTIONS_DIR=/nonexistent '$R/usr/lib/ocf/resource.d/ddraid/volume' meta-data | grep -q 'default=\"/usr/sbin/ddraidd\"'"
man --warnings -l "$R/usr/share/man/man7/ocf_ddraid_volume.7.gz" \
	>"$OUT/man.txt" 2>"$OUT/man.err"
t "the installed ocf_ddraid_volume(7) renders without warnings" \
	sh -c "grep -q ocf_ddraid_volume '$OUT/man.txt' && [ ! -s '$OUT/man.err' ]"
t "the unpacked source tree is in the root" test -f "$R$usrc/dkms.conf"

# DKMS builds the module from the installed tree, with private trees.
kver=$(ls /boot/vmlinuz-6.1.* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
if ! command -v dkms >/dev/null; then
	skip "dkms builds dm-ddraid.ko from the package's tree" "dkms not installed"
elif [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build" ]; then
	skip "dkms builds dm-ddraid.ko from the package's tree" "no 6.1 kernel headers"
else
	D=$OUT/dkmstree
	mkdir -p "$D"
	s=$(date +%s)
	if dkms add --dkmstree "$D" --sourcetree "$R/usr/src" -m ddraid -v "$version" \
		>"$log.dkms" 2>&1 &&
	   dkms build --dkmstree "$D" --sourcetree "$R/usr/src" -m ddraid -v "$version" \
		-k "$kver" >>"$log.dkms" 2>&1; then
		ko=$(find "$D/ddraid/$version/$kver" -name 'dm-ddraid.ko*' | head -n 1)
		t "dkms add + build: dm-ddraid.ko for $kver ($(($(date +%s) - s)) s)" \
			test -n "$ko"
		t "...for that kernel (vermagic $kver)" \
			sh -c "modinfo -F vermagic '$ko' | grep -q '^$kver '"
	else
		sed 's/^/# /' "$log.dkms" | tail -20
		not_ok "dkms add + build from the package's tree (log: $log.dkms)"
	fi
	rm -rf "$D"
fi
t "this host's dpkg database is unchanged" \
	test "$(cat /var/lib/dpkg/status | md5sum)" = "$host_db"

echo "1..$n"
exit $failed
