# SPDX-License-Identifier: GPL-2.0-only
#
# The fio jobs and the ratio table of the VM benchmarks (bench.sh: one VM,
# bench-3node.sh: three VMs over NVMe/TCP), sourced by both sides.

# The jobs, NAME:RW:BS:IODEPTH: sequential 1 MiB and random 4 KiB.
BENCH_JOBS="seqread:read:1M:4 seqwrite:write:1M:4 randread:randread:4k:16 randwrite:randwrite:4k:16"

# bench_fio DEV TARGET DIR RUNTIME: every job on DEV for RUNTIME seconds
# (O_DIRECT, libaio, the first 100 MiB), DIR/TARGET-JOB.json each.
bench_fio() {
	local dev=$1 target=$2 dir=$3 runtime=$4 job name rw bs qd
	mkdir -p "$dir"
	for job in $BENCH_JOBS; do
		IFS=: read -r name rw bs qd <<<"$job"
		fio --name="$name" --filename="$dev" --ioengine=libaio \
			--direct=1 --rw="$rw" --bs="$bs" --iodepth="$qd" \
			--size=100M --runtime="$runtime" --time_based \
			--randseed=1 --output-format=json \
			--output="$dir/$target-$name.json" >&2 || return 1
	done
}

# bench_metric DIR TARGET JOB METRIC: bw_bytes or iops of one result.
bench_metric() {
	local dir=read
	case "$3" in *write) dir=write ;; esac
	jq -r ".jobs[0].$dir.$4" "$1/$2-$3.json"
}

# bench_table DIR BASE TARGET SEQGOAL RANDGOAL: TARGET against BASE, one
# row per job (MB/s or IOPS, the ratio, the goal), printed; the rows as
# JSON objects, one per line, in BENCH_ROWS.
bench_table() {
	local d=$1 base=$2 target=$3 job m unit div goal s v ratio
	BENCH_ROWS=
	printf '%-10s %14s %14s %8s %8s\n' job "$base" "$target" ratio goal
	for job in $BENCH_JOBS; do
		job=${job%%:*}
		case "$job" in
		seq*) m=bw_bytes; unit=MB/s; div=1000000; goal=$4 ;;
		*) m=iops; unit=IOPS; div=1; goal=$5 ;;
		esac
		s=$(bench_metric "$d" "$base" "$job" "$m")
		v=$(bench_metric "$d" "$target" "$job" "$m")
		ratio=$(awk -v s="$s" -v d="$v" 'BEGIN { printf "%.2f", (s > 0) ? d / s : 0 }')
		printf '%-10s %9.1f %-4s %9.1f %-4s %8s %8s\n' "$job" \
			"$(awk -v x="$s" -v q="$div" 'BEGIN { print x / q }')" "$unit" \
			"$(awk -v x="$v" -v q="$div" 'BEGIN { print x / q }')" "$unit" \
			"$ratio" ">= $goal"
		BENCH_ROWS+=$(jq -cn --arg j "$job" --arg m "$m" --argjson s "$s" \
			--argjson d "$v" --argjson r "$ratio" --argjson g "$goal" \
			'{job: $j, metric: $m, base: $s, ddraid: $d, ratio: $r,
			  goal: $g, met: ($r >= $g)}')$'\n'
	done
}

# bench_peers DIR TARGET PEER...: TARGET's result of every job beside each
# PEER's, and TARGET / PEER, printed. A PEER is FILE:KEY:LABEL (results in
# DIR/FILE-JOB.json; a peer without them is left out). The rows go to
# BENCH_PEERS as a JSON array ({job, metric, TARGET, KEY..., vs_KEY...});
# returns 1 when no peer has results.
bench_peers() {
	local d=$1 target=$2 job m unit div p v x q obj
	local peers=()
	shift 2
	for p in "$@"; do
		[ -f "$d/${p%%:*}-seqread.json" ] && peers+=("$p")
	done
	BENCH_PEERS='[]'
	[ ${#peers[@]} -gt 0 ] || return 1
	printf '%-10s %14s' job "$target"
	for p in "${peers[@]}"; do printf ' %14s' "${p##*:}"; done
	for p in "${peers[@]}"; do IFS=: read -r _ k _ <<<"$p"; printf ' %9s' "/$k"; done
	echo
	for job in $BENCH_JOBS; do
		job=${job%%:*}
		case "$job" in
		seq*) m=bw_bytes; unit=MB/s; div=1000000 ;;
		*) m=iops; unit=IOPS; div=1 ;;
		esac
		v=$(bench_metric "$d" "$target" "$job" "$m")
		obj=$(jq -cn --arg j "$job" --arg m "$m" --arg t "$target" \
			--argjson v "$v" '{job: $j, metric: $m, ($t): $v}')
		printf '%-10s %9.1f %-4s' "$job" \
			"$(awk -v x="$v" -v q="$div" 'BEGIN { print x / q }')" "$unit"
		q=
		for p in "${peers[@]}"; do
			IFS=: read -r f k _ <<<"$p"
			x=$(bench_metric "$d" "$f" "$job" "$m" 2>/dev/null)
			[ -n "$x" ] && [ "$x" != null ] || x=0
			printf ' %9.1f %-4s' \
				"$(awk -v y="$x" -v z="$div" 'BEGIN { print y / z }')" "$unit"
			q+=" $(awk -v a="$v" -v b="$x" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')"
			obj=$(jq -c --arg k "$k" --argjson x "$x" \
				--argjson r "${q##* }" '. + {($k): $x, ("vs_" + $k): $r}' <<<"$obj")
		done
		for x in $q; do printf ' %9s' "$x"; done
		echo
		BENCH_PEERS=$(jq -c --argjson o "$obj" '. + [$o]' <<<"$BENCH_PEERS")
	done
}

# bench_cpu_sampler FILE: every second, "EPOCH BUSY IDLE" (jiffies of the
# host's /proc/stat, idle counting iowait) into FILE, until killed. The
# VMs are TCG: every guest instruction runs on the host's cores, so a job
# that keeps them busy is limited by the emulation, not by the disks.
bench_cpu_sampler() {
	while :; do
		awk -v t="$(date +%s)" '/^cpu / {
			busy = 0
			for (i = 2; i <= 9; i++) busy += $i	# user .. steal
			idle = $5 + $6
			print t, busy - idle, idle
			exit
		}' /proc/stat
		sleep 1
	done >"$1"
}

# bench_cpu_busy SAMPLES FIOJSON: the host's busy percentage over the job
# of FIOJSON (its runtime, up to the timestamp fio wrote at its end; the
# guests' clocks are the host's), or "?" without two samples in it.
bench_cpu_busy() {
	local end len
	end=$(jq -r .timestamp "$2" 2>/dev/null) || { echo "?"; return; }
	len=$(jq -r '.jobs[0].job_runtime / 1000 | floor' "$2")
	awk -v s=$((end - len)) -v e="$end" '
		$1 >= s && $1 <= e { if (!n++) { b0 = $2; i0 = $3 } b = $2; i = $3 }
		END {
			d = (b - b0) + (i - i0)
			if (n < 2 || d <= 0) print "?"
			else printf "%d\n", 100 * (b - b0) / d
		}' "$1"
}

# bench_cpu_table SAMPLES DIR TARGET...: the host's busy percentage during
# each job of each TARGET (DIR/TARGET-JOB.json), printed; the same as a
# JSON object {TARGET: {JOB: percent}} in BENCH_CPU.
bench_cpu_table() {
	local samples=$1 d=$2 t job b
	shift 2
	BENCH_CPU='{}'
	printf '%-10s' job
	for t in "$@"; do printf ' %8s' "$t"; done
	echo
	for job in $BENCH_JOBS; do
		job=${job%%:*}
		printf '%-10s' "$job"
		for t in "$@"; do
			b=$(bench_cpu_busy "$samples" "$d/$t-$job.json")
			if [ "$b" = "?" ]; then printf ' %8s' "?"; continue; fi
			printf ' %7s%%' "$b"
			BENCH_CPU=$(jq -c --arg t "$t" --arg j "$job" \
				--argjson b "$b" '.[$t][$j] = $b' <<<"$BENCH_CPU")
		done
		echo
	done
}
