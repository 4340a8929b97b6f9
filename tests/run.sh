#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's test command: installs what it needs, builds, and runs every
# suite, then prints one line "N passed, N failed, N skipped".
#
#   bash tests/run.sh [--no-asan] [--no-fuzz] [--no-netns] [--no-pkg]
#                     [--no-vm] [--fuzz-seconds S]
#
# Suites: unit/property/CLI tests (make check), the same under ASan+UBSan,
# a bounded libFuzzer run of every decoder of untrusted bytes, ddraidd with
# real corosync in network namespaces, make dist and the Debian packages
# (built, checked, installed into a throwaway root; about a minute), and
# the VM tests of the kernel target. Logs stay in build/ and build-asan/.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
do_asan=1 do_fuzz=1 do_vm=1 do_netns=1 do_pkg=1 fuzz_seconds=${DDRAID_FUZZ_SECONDS:-20}
while [ $# -gt 0 ]; do
	case $1 in
	--no-asan) do_asan=0 ;;
	--no-fuzz) do_fuzz=0 ;;
	--no-vm) do_vm=0 ;;
	--no-netns) do_netns=0 ;;
	--no-pkg) do_pkg=0 ;;
	--fuzz-seconds) fuzz_seconds=$2; shift ;;
	-h|--help) sed -n '3,13p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

passed=0 failed=0 skipped=0
declare -a failures=()

note() { printf '\n=== %s\n' "$*"; }

# Count automake results from the .trs files of one build tree.
count_trs() {
	local dir=$1 label=$2 res name f
	while IFS= read -r f; do
		name=${f#"$dir"/tests/}
		while read -r _ res _; do
			case $res in
			PASS|XFAIL) passed=$((passed + 1)) ;;
			SKIP) skipped=$((skipped + 1)) ;;
			*) failed=$((failed + 1)); failures+=("$label ${name%.trs} ($res)") ;;
			esac
		done < <(grep '^:test-result:' "$f")
	done < <(find "$dir/tests" -name '*.trs' | sort)
}

# Count a TAP stream saved in a file.
count_tap() {
	local file=$1 label=$2 line
	while IFS= read -r line; do
		case $line in
		"not ok"*"# TODO"*) passed=$((passed + 1)) ;;
		"not ok"*) failed=$((failed + 1)); failures+=("$label: $line") ;;
		"ok"*"# SKIP"*|"ok"*"# skip"*) skipped=$((skipped + 1)) ;;
		"ok"*) passed=$((passed + 1)) ;;
		esac
	done <"$file"
}

# A whole suite that could not run counts as one failure, never as silence.
suite_failed() {
	failed=$((failed + 1))
	failures+=("$1")
}

build_tree() {
	local dir=$1; shift
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || "$top/configure" -q "$@"; } &&
		make -j"$(nproc)" >make.log 2>&1) || { tail -30 "$dir/make.log" 2>/dev/null; return 1; }
}

note "host"
# Earlier runs on this machine may have left libqb files of killed daemons
# in /dev/shm (see the script): they are RAM the VMs need.
bash tests/netns/reap-qb-shm.sh
bash tests/host-memory.sh

note "dependencies"
if ! bash scripts/install-deps.sh; then
	echo "run.sh: installing dependencies failed" >&2
	suite_failed "install-deps"
fi

note "build"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
   find . -name Makefile.am -newer configure | grep -q .; then
	autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; suite_failed "autoreconf"; }
fi
if build_tree build; then
	note "unit, property and CLI tests"
	(cd build && make -j"$(nproc)" check >check.log 2>&1)
	count_trs build ""
	grep -E '^(FAIL|ERROR|XPASS):' build/tests/test-suite.log 2>/dev/null | head -20
else
	suite_failed "build"
fi

# The suites that measure no time (ASan, fuzzing, packages) run niced in
# the background while the netns suite, which mostly waits on corosync's
# timeouts, runs in the foreground: that keeps the whole run under 30
# minutes on two cores. Their output is printed once they are done.
batch_asan() {
	note "the same tests under ASan+UBSan"
	if build_tree build-asan --enable-sanitizers; then
		(cd build-asan && ASAN_OPTIONS=detect_leaks=1 make -j"$(nproc)" check \
			>check.log 2>&1)
	else
		echo "asan build failed" >build/asan.failed
	fi
}
batch_fuzz() {
	note "fuzzing every decoder for ${fuzz_seconds}s each"
	tests/fuzz/run-fuzz.sh --seconds "$fuzz_seconds" --out build/fuzz >build/fuzz.tap
	cat build/fuzz.tap
}
batch_pkg() {
	note "make dist, Debian packages, install into a throwaway root"
	if [ -f build/Makefile ]; then
		BUILD="$top/build" tests/pkg/run-pkg-tests.sh >build/pkg.tap
		cat build/pkg.tap
	else
		echo "no build tree" >build/pkg.failed
	fi
}
batch() {
	[ $do_asan = 1 ] && batch_asan
	[ $do_fuzz = 1 ] && batch_fuzz
	[ $do_pkg = 1 ] && batch_pkg
	return 0
}
rm -f build/asan.failed build/pkg.failed build/fuzz.tap build/pkg.tap
mkdir -p build
nice -n 10 bash -c "$(declare -f note build_tree batch_asan batch_fuzz batch_pkg batch)
	top='$top' do_asan=$do_asan do_fuzz=$do_fuzz do_pkg=$do_pkg fuzz_seconds='$fuzz_seconds'
	batch" >build/batch.log 2>&1 &
batch_pid=$!

if [ $do_netns = 1 ]; then
	note "ddraidd with real corosync, nodes in network namespaces"
	BUILD="$top/build" tests/netns/run-netns-tests.sh | tee build/netns.tap
	count_tap build/netns.tap "netns"
	grep -q '^1\.\.' build/netns.tap || suite_failed "netns: no TAP plan"
fi

wait "$batch_pid"
cat build/batch.log
if [ $do_asan = 1 ]; then
	if [ -e build/asan.failed ]; then
		suite_failed "asan build"
	else
		count_trs build-asan "asan:"
	fi
fi
[ $do_fuzz = 1 ] && count_tap build/fuzz.tap "fuzz"
if [ $do_pkg = 1 ]; then
	if [ -e build/pkg.failed ]; then
		suite_failed "pkg: no build tree"
	else
		count_tap build/pkg.tap "pkg"
		grep -q '^1\.\.' build/pkg.tap || suite_failed "pkg: no TAP plan"
	fi
fi

if [ $do_vm = 1 ]; then
	note "kernel target in qemu VMs"
	bash tests/host-memory.sh
	if [ -x tests/vm/run-vm-tests.sh ]; then
		tests/vm/run-vm-tests.sh --build "$top/build" | tee build/vm.tap
		count_tap build/vm.tap "vm"
		grep -q '^1\.\.' build/vm.tap || suite_failed "vm: no TAP plan"
	else
		echo "ok - vm tests # SKIP tests/vm/run-vm-tests.sh not present" | tee build/vm.tap
		count_tap build/vm.tap "vm"
	fi
fi

if [ ${#failures[@]} -gt 0 ]; then
	note "failures"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
