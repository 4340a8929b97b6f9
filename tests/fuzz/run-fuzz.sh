#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build every tests/fuzz/fuzz_*.c with libFuzzer + ASan + UBSan and run it for a
# bounded time over its generated seeds plus the committed corpus. One TAP
# test point per target: "ok" when the run found nothing.
#
#   tests/fuzz/run-fuzz.sh [--seconds S] [--out DIR] [TARGET...]
#
# A crash input is kept in DIR/<target>/crash-*; replay it with
#   DIR/<target>/<target> DIR/<target>/crash-...
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${DDRAID_FUZZ_SECONDS:-20}
out=$top/tests/fuzz/out
targets=()
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,10p' "$0"; exit 0 ;;
	*) targets+=("$1"); shift ;;
	esac
done
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		targets+=("$(basename "$f" .c)")
	done
fi

mkdir -p "$out" && out=$(cd "$out" && pwd)	# the runs below cd into it
echo "1..${#targets[@]}"
if ! command -v clang >/dev/null; then
	for t in "${targets[@]}"; do echo "ok - $t # SKIP clang not installed"; done
	exit 0
fi

common_src=("$top"/common/ddraid_geom.c "$top"/common/ddraid_format.c
	"$top"/common/ddraid_parity.c "$top"/common/ddraid_crc32c.c)
cflags=(-g -O1 -I"$top/common" -I"$top/lib" -I"$here")
n=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	dir=$out/$t
	mkdir -p "$dir/corpus"
	extra=()
	# A target may name further sources it needs on a "// fuzz-sources:" line.
	for s in $(sed -n 's#^// fuzz-sources: ##p' "$here/$t.c"); do
		extra+=("$top/$s")
	done
	if ! clang "${cflags[@]}" -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all "$here/$t.c" "${common_src[@]}" \
		"${extra[@]}" -o "$dir/$t" >"$dir/build.log" 2>&1 ||
	   ! clang "${cflags[@]}" "$here/$t.c" "$here/seed_main.c" \
		"${common_src[@]}" "${extra[@]}" -o "$dir/seed-$t" \
		>>"$dir/build.log" 2>&1; then
		echo "not ok $n - $t: build failed"
		sed 's/^/# /' "$dir/build.log" | tail -20
		continue
	fi
	"$dir/seed-$t" "$dir/corpus"
	corpora=("$dir/corpus")
	[ -d "$here/corpus/${t#fuzz_}" ] && corpora+=("$here/corpus/${t#fuzz_}")
	if (cd "$dir" && "./$t" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "${corpora[@]}" \
		>"$dir/fuzz.log" 2>&1); then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")
		echo "ok $n - $t (${execs:-?} inputs in ${seconds}s)"
	else
		echo "not ok $n - $t: see $dir/fuzz.log"
		grep -E "ERROR|SUMMARY|crash-" "$dir/fuzz.log" | head -5 | sed 's/^/# /'
	fi
done
