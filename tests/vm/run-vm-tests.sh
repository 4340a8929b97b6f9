#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every tests/vm/t-*.sh in its own qemu VM (tests/vm/vm-run) and print
# one TAP stream: the sub-points each test prints, numbered and prefixed
# with the test's name, then one point per VM test.
#
#   tests/vm/run-vm-tests.sh --build DIR [--jobs J] [--out DIR] [t-NAME...]
#
# A test declares what it needs in a header comment:
#   # vm: disks=5 size=64M timeout=300 mem=512 needs=module,ddraidctl host=yes
# (and slots=N: it runs N VMs at once and takes N of the --jobs slots).
# needs=module: dmtarget/dm-ddraid.ko (built here with dmtarget/Makefile);
# needs=ddraidctl: DIR/tools/ddraidctl; needs=debs: the Debian packages in
# DIR/pkg (tests/pkg/run-pkg-tests.sh); host=yes: after the VM exits the
# test is run again on the host as "t-NAME.sh --host OUTDIR" to check the
# member images; optin=yes: run only when named. Tests whose needs cannot
# be met are skipped with a reason.
# tests/vm/multi/run-NAME.sh (test "multi-NAME") boots its own VMs: it is
# run on the host with --suite --build DIR --out DIR, and skipped with the
# reason its --probe prints.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)

build=
jobs=$(nproc 2>/dev/null || echo 1)
out=
only=()

while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,21p' "$0"; exit 0 ;;
	-*) echo "run-vm-tests: unknown option $1" >&2; exit 2 ;;
	*) only+=("${1%.sh}"); shift ;;
	esac
done
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ -n "$build" ] && build=$(realpath "$build")
[ -n "$out" ] || out=/var/tmp/ddraid-vm/suite
mkdir -p "$out" && out=$(realpath "$out")

log() { echo "run-vm-tests: $*" >&2; }

# --- what can run --------------------------------------------------------

# Reasons why whole classes of tests cannot run; empty when they can.
no_vm=
no_module=
no_ctl=

command -v qemu-system-x86_64 >/dev/null || no_vm="qemu-system-x86_64 not installed"
kver=$(ls /boot/vmlinuz-6.1.* 2>/dev/null | sed 's|^/boot/vmlinuz-||' |
	sort -V | tail -n 1)
[ -z "$no_vm" ] && [ -z "$kver" ] && no_vm="no Debian 6.1 kernel in /boot"
[ -z "$no_vm" ] && [ ! -x /bin/busybox ] && no_vm="busybox-static not installed"

if [ -n "$no_vm" ]; then
	echo "1..1"
	echo "ok 1 - vm tests # SKIP $no_vm"
	exit 0
fi

kdir=/lib/modules/$kver/build
if [ ! -f "$SRCDIR/dmtarget/Makefile" ]; then
	no_module="dmtarget/Makefile does not exist yet"
elif [ ! -d "$kdir" ]; then
	no_module="no kernel headers at $kdir"
elif ! make -C "$SRCDIR/dmtarget" KDIR="$kdir" >"$out/module-build.log" 2>&1; then
	no_module="the module does not build (see $out/module-build.log)"
elif [ ! -f "$SRCDIR/dmtarget/dm-ddraid.ko" ]; then
	no_module="make produced no dmtarget/dm-ddraid.ko"
fi
[ -n "$no_module" ] && log "module: $no_module"
# The VMs load a private copy: dmtarget/ may be rebuilt or cleaned while
# they run.
if [ -z "$no_module" ]; then
	cp "$SRCDIR/dmtarget/dm-ddraid.ko" "$out/dm-ddraid.ko"
	export DDRAID_KO=$out/dm-ddraid.ko
fi

if [ -z "$build" ]; then
	no_ctl="no --build DIR given"
elif [ ! -x "$build/tools/ddraidctl" ]; then
	no_ctl="no $build/tools/ddraidctl"
fi
export DDRAID_BUILD=$build

# --- the tests -------------------------------------------------------------

# test_file NAME: the script of test NAME.
test_file() {
	case "$1" in
	multi-*) echo "$HERE/multi/run-${1#multi-}.sh" ;;
	*) echo "$HERE/$1.sh" ;;
	esac
}

# header FILE KEY DEFAULT: a value from the "# vm:" header line.
header() {
	local v
	v=$(sed -n 's/^# vm:[[:space:]]*//p' "$1" | head -n 1 | tr ' ' '\n' |
		sed -n "s/^$2=//p" | head -n 1)
	echo "${v:-$3}"
}

tests=()
# The multi-VM tests first: they take longest. Then the one-VM tests by
# their timeout, longest first, so that a long one does not start last
# while the other job slot idles (ties by name).
singles=$(for t in "$HERE"/t-*.sh; do
	[ -e "$t" ] && echo "$(header "$t" timeout 300) $t"
done | sort -k1,1nr -k2,2 | cut -d' ' -f2-)
# shellcheck disable=SC2086 # paths without blanks, one per word
for t in "$HERE"/multi/run-*.sh $singles; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "$t" in
	"$HERE"/multi/*) name=multi-${name#run-} ;;
	esac
	if [ ${#only[@]} -gt 0 ]; then
		keep=0
		for o in "${only[@]}"; do
			[ "$(basename "$o")" = "$name" ] && keep=1
		done
		[ $keep = 1 ] || continue
	fi
	tests+=("$name")
done

# skip_reason NAME: why the test cannot run here, or nothing.
skip_reason() {
	local needs
	needs=$(header "$(test_file "$1")" needs "")
	case ",$needs," in
	*,module,*) [ -n "$no_module" ] && { echo "$no_module"; return; } ;;
	esac
	case ",$needs," in
	*,ddraidctl,*) [ -n "$no_ctl" ] && { echo "$no_ctl"; return; } ;;
	esac
	case ",$needs," in
	*,debs,*) ls "$build"/pkg/ddraid_*.deb >/dev/null 2>&1 ||
		{ echo "no packages in $build/pkg (tests/pkg/run-pkg-tests.sh builds them)"; return; } ;;
	esac
	# optin=yes: only when named on the command line (too slow for every run).
	if [ "$(header "$(test_file "$1")" optin no)" = yes ] && [ ${#only[@]} = 0 ]; then
		echo "opt-in ($(header "$(test_file "$1")" why slow | tr - " ")): run-vm-tests.sh --build DIR $1"
		return
	fi
	case "$1" in
	multi-*) "$(test_file "$1")" --probe ;;
	esac
}

# run_one NAME: boot its VM, then the host-side check; results in $out/NAME.
run_one() {
	local name=$1 t dir=$out/$1 args rc hrc start
	t=$(test_file "$name")
	rm -rf "$dir"
	mkdir -p "$dir"
	"$HERE/../host-memory.sh" >"$dir/host-memory"
	case "$name" in
	multi-*)
		start=$(date +%s)
		"$t" --suite --build "$build" --out "$dir" >"$dir/tap" 2>"$dir/log"
		echo "$? 0 $(($(date +%s) - start))" >"$dir/result"
		return
		;;
	esac
	args=(--disks "$(header "$t" disks 0)"
		--disk-size "$(header "$t" size 64M)"
		--timeout "$(header "$t" timeout 300)"
		--mem "$(header "$t" mem 512)"
		--out "$dir")
	start=$(date +%s)
	"$HERE/vm-run" "${args[@]}" "$t" >"$dir/tap" 2>"$dir/log"
	rc=$?
	hrc=0
	if [ "$rc" = 0 ] && [ "$(header "$t" host no)" = yes ]; then
		"$t" --host "$dir" >>"$dir/tap" 2>>"$dir/log"
		hrc=$?
	fi
	echo "$rc $hrc $(($(date +%s) - start))" >"$dir/result"
}

suite_start=$(date +%s)
# A test takes the job slots its header asks for (slots=N, default 1: one
# VM; a multi-VM test may count its VMs), at most --jobs, so that the
# host's CPUs are not shared by more VMs than it has.
used=0
declare -A slots_of
for name in "${tests[@]}"; do
	[ -n "$(skip_reason "$name")" ] && continue
	want=$(header "$(test_file "$name")" slots 1)
	[ "$want" -ge 1 ] 2>/dev/null || want=1
	[ "$want" -le "$jobs" ] || want=$jobs
	while [ $((used + want)) -gt "$jobs" ]; do
		wait -n -p done_pid
		used=$((used - ${slots_of[$done_pid]:-1}))
	done
	log "starting $name"
	run_one "$name" &
	slots_of[$!]=$want
	used=$((used + want))
done
wait

# --- one TAP stream ----------------------------------------------------------

n=0
failed=0
for name in "${tests[@]}"; do
	reason=$(skip_reason "$name")
	if [ -n "$reason" ]; then
		n=$((n + 1))
		echo "ok $n - $name # SKIP $reason"
		continue
	fi
	dir=$out/$name
	while IFS= read -r line; do
		case "$line" in
		"ok - "*|"not ok - "*)
			n=$((n + 1))
			st=${line%% - *}
			echo "$st $n - $name: ${line#* - }"
			[ "$st" = ok ] || failed=1
			;;
		"#"*) echo "$line" ;;
		"") ;;
		*) echo "# $name: $line" ;;
		esac
	done <"$dir/tap"
	read -r rc hrc secs <"$dir/result" 2>/dev/null || { rc=125; hrc=0; secs=?; }
	n=$((n + 1))
	if [ "$rc" = 0 ] && [ "$hrc" = 0 ]; then
		echo "ok $n - $name (VM, ${secs}s)"
	else
		what="exit $rc"
		[ "$rc" = 124 ] && what="timed out"
		[ "$rc" = 125 ] && what="harness failure"
		[ "$hrc" != 0 ] && what="host check exit $hrc"
		failed=1
		echo "not ok $n - $name ($what, ${secs}s; logs in $dir)"
		tail -n 15 "$dir/log" | sed 's/^/# /'
		sed 's/^/# at its start, /' "$dir/host-memory" 2>/dev/null
	fi
done
echo "1..$n"
log "$n points in $(($(date +%s) - suite_start))s; results in $out"
exit "$failed"
