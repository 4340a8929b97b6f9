#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark of write intent in the kernel target (not a test: it asserts
# nothing).
#
#   tests/vm/bench-intent.sh [--build DIR] [--bps B] [--iops I] [--reps N]
#                            [--size MIB] [--qd Q] [--lat-regions N]
#                            [--compare-ahead N] [--smp N] [--json FILE]
#                            [--out DIR]
#
# --smp: the VM's CPUs (default 2, as any real node has). With one CPU
# under TCG, corosync (which runs at real-time priority), ddraidd's
# threads and fio take turns: a cluster round then also waits for
# corosync's emulated CPU time, tens of milliseconds here and microseconds
# on real hardware (measured: ratio 0.83 with 1 CPU, 0.98 with 2).
# One VM, five member disks throttled identically by qemu (default 20 MB/s
# and 500 IOPS each, as tests/vm/bench.sh), images filled with zeros on the
# host first. Two tables over the same members: "standalone" and
# "cluster" (one-node corosync on loopback + ddraidd, as the t-cluster-*
# tests). Measured:
# 1. sequential 1 MiB O_DIRECT writes (iodepth --qd, default 4) of --size
#    MiB (default 256) per repetition, --reps (default 7) repetitions that
#    alternate which mode goes first; repetition i writes volume range i on
#    both tables, a range the cluster table never wrote, so every region of
#    a cluster run is cold and pays GRANT_REQ + bit set. After a cluster run
#    the grants are let go idle and the bits cleared before going on.
#    Medians, the ratio cluster/standalone and the goal (ratio >= 0.97).
#    --compare-ahead N (default 1, 0 leaves it out): each repetition also
#    writes a third mode, the cluster table with grant prefetch N regions
#    ahead (module parameter prefetch_ahead) instead of the module's
#    default, into a cold range of its own; the order of the three modes
#    rotates. Its median ratio, and the median of the per-repetition
#    ratios default/N, compare the two distances under the same host load.
# 2. QD1 4 KiB O_DIRECT writes, one per region, into --lat-regions (default
#    64) cold regions after the throughput ranges: cold (first write), warm
#    (the same offsets again at once) and standalone; clat median and p99.
# 3. Where a cold write's time goes: 8 more cold writes with the daemon
#    traced (kernel syscall events: GRANT_REQ -> bit set -> CPG agreement
#    -> GRANT, time in fdatasync and io_uring_enter), and one
#    member's 4 KiB write + fdatasync, untraced.
# 4. Rebuild speed: member 4 recorded failed and rebuilt in full onto the
#    same disk by ddraidd (ddraidctl rebuild), no foreground IO, no rate
#    limit: MB written to the member a second against one member's
#    throttle (goal >= 0.9, issue 10).
# 5. Foreground writes during a rebuild: QD1 4 KiB random writes at 50
#    IOPS for 20 s over the first GiB, clat median and p99, with no
#    rebuild, during a rebuild held to 8 MB/s while they run
#    (ddraidctl set sync-speed-min=8) and during an unlimited one.
# 6. The full rebuild of 4 again with ddraidd --sync-span 1 (one region a
#    lock, the rule before spans), for the ratio of spans in this run.
# 7. Resync speed: 128 regions left dirty as a crash leaves them (grants
#    held, ddraidd killed, the table removed), then ddraidd started cold
#    resyncs them: each member's MB/s against its throttle (goal >= 0.9),
#    with --sync-span 1 and at the default.
# Human table on stdout, everything in --json FILE (default
# OUT/bench-intent.json). About 8-12 minutes on TCG.

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
NAME=bic		# the volume and its cluster-mode dm device
SNAME=bis		# the standalone dm device over the same members
LAT_IDLE_MS=120000	# idle_ms while measuring latency: warm stays warm
TRACE_REGIONS=8		# cold regions written once more, traced
FG_SECONDS=20		# foreground writes during a rebuild: how long,
FG_IOPS=50		# at which rate,
FG_MIN_MBS=8		# and the rebuild's floor meanwhile (sync-speed-min)
RESYNC_REGIONS=128	# regions left dirty for the resync measurement

# cold_ranges REPS COMPARE_AHEAD: how many --size ranges the throughput
# runs write. Each cluster mode writes ranges of its own, cold ones.
cold_ranges() {
	if [ "$2" = 0 ]; then echo "$1"; else echo $((2 * $1)); fi
}

# ---------------------------------------------------------------- in the VM

# snap: the daemon's and the target's counters, one JSON object.
snap() {
	local s g
	s=$(DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" status --json "$NAME" \
		2>/dev/null) || s='{}'
	g=$(kstat "$NAME" granted)
	jq -c --argjson g "${g:-0}" '{chan_rx: .channel.rx,
		chan_tx: .channel.tx, cpg_tx: .cpg.tx, bit_sets: .io.bit_sets,
		bit_clears: .io.bit_clears, sb_writes: .io.sb_writes,
		queued: .io.queued, granted: $g}' <<<"$s"
}

# settled: no region granted and every bit the daemon set is cleared
# again, so nothing of a cluster run spills into the next measurement.
settled() {
	[ "$(kstat "$NAME" granted)" = 0 ] &&
		snap | jq -e '.bit_sets == .bit_clears and .queued == 0' \
			>/dev/null
}

# record PHASE MODE INDEX BEFORE AFTER [SECONDS]: one line of runs.jsonl.
record() {
	jq -nc --arg p "$1" --arg m "$2" --argjson i "$3" --argjson b "$4" \
		--argjson a "$5" --argjson s "${6:-0}" \
		'{phase: $p, mode: $m, index: $i, before: $b, after: $a,
		  settle_s: $s}' >>"$VM_SHARE/runs.jsonl"
}

# lat_fio DEV OFFSET N REGION_SIZE LABEL: N QD1 4 KiB direct writes, one
# at the start of each of N regions from OFFSET; every IO's latency goes
# to fio/LABEL_clat.1.log.
lat_fio() {
	fio --name=first --filename="$1" --ioengine=psync --direct=1 \
		--rw=write:$(($4 - 4096)) --bs=4k --offset="$2" \
		--size=$(($3 * $4)) --number_ios="$3" --log_offset=1 \
		--write_lat_log="$VM_SHARE/fio/$5" --output-format=json \
		--output="$VM_SHARE/fio/$5.json" >&2
}

# fg_fio LABEL: FG_SECONDS of QD1 4 KiB random direct writes at FG_IOPS
# over the first GiB of the cluster table (a region is written every few
# seconds, so grants come and go as for a real workload), results in
# fio/fg-LABEL.json.
fg_fio() {
	fio --name=fg --filename="/dev/mapper/$NAME" --ioengine=psync \
		--direct=1 --rw=randwrite --bs=4k --size=1G \
		--rate_iops="$FG_IOPS" --runtime="$FG_SECONDS" --time_based \
		--output-format=json --output="$VM_SHARE/fio/fg-$1.json" >&2
}

TRACEFS=/sys/kernel/tracing
TRACE_CALLS="read write fdatasync io_uring_enter sendto"

# trace_on: syscall enter/exit events of the daemon's threads, and its
# fds in $VM_SHARE/trace-fds.json.
trace_on() {
	local f l e chan= efd=()
	[ -d "$TRACEFS/events" ] ||
		mount -t tracefs nodev "$TRACEFS" 2>/dev/null || return 1
	[ -d "$TRACEFS/events/syscalls" ] || return 1
	for f in /proc/"$DDRAIDD_PID"/fd/*; do
		l=$(readlink "$f")
		case "$l" in
		/dev/ddraid) chan=${f##*/} ;;
		anon_inode:\[eventfd\]) efd+=("${f##*/}") ;;
		esac
	done
	jq -n --arg c "$chan" --arg m "$DDRAIDD_PID" \
		--args '{chan: $c, main: $m, eventfds: $ARGS.positional}' \
		"${efd[@]}" >"$VM_SHARE/trace-fds.json"
	echo 0 >"$TRACEFS/tracing_on"
	echo 4096 >"$TRACEFS/buffer_size_kb"
	: >"$TRACEFS/trace"
	ls "/proc/$DDRAIDD_PID/task" | tr '\n' ' ' >"$TRACEFS/set_event_pid"
	for e in $TRACE_CALLS; do
		echo 1 >"$TRACEFS/events/syscalls/sys_enter_$e/enable" &&
		echo 1 >"$TRACEFS/events/syscalls/sys_exit_$e/enable" ||
			return 1
	done
	echo 1 >"$TRACEFS/tracing_on"
}

trace_off() {
	local e
	[ -d "$TRACEFS/events/syscalls" ] || return 0
	echo 0 >"$TRACEFS/tracing_on"
	cp "$TRACEFS/trace" "$VM_SHARE/ftrace.txt"
	for e in $TRACE_CALLS; do
		echo 0 >"$TRACEFS/events/syscalls/sys_enter_$e/enable"
		echo 0 >"$TRACEFS/events/syscalls/sys_exit_$e/enable"
	done
	: >"$TRACEFS/set_event_pid"
}

# rebuild_full FILE: member 4 recorded failed, then rebuilt in full onto
# the same disk (ddraidctl rebuild, the daemon's online rebuild through
# the cluster table), no foreground IO, no rate limit; its time and the
# bytes each member moved into FILE.
rebuild_full() {
	local t0
	wait_until 60 settled || diag "rebuild: not settled: $(snap)"
	DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" fail "$NAME" --member 4 >&2 &&
		wait_until 60 mstate failed ||
		diag "rebuild: member 4 not recorded failed"
	t0=$(date +%s%N)
	if DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" rebuild "$NAME" --member 4 \
		/dev/vde >&2 && wait_until 1200 mstate active &&
		wait_until 60 rb_idle; then
		jq -n --argjson ns "$(($(date +%s%N) - t0))" \
			--argjson d "$dsize" --argjson m "${#devs[@]}" \
			'{seconds: ($ns / 1e9), member_bytes: ($d / ($m - 1))}' \
			>"$VM_SHARE/$1"
	else
		diag "rebuild: did not finish: $(dst "$NAME" .rebuild)"
	fi
}

# resync_cold N FILE [DDRAIDD ARGS]: N regions left dirty as a crash
# leaves them (one block written in each, its grant held: idle_ms raised;
# then ddraidd killed and the table removed, so nothing releases them),
# then ddraidd started cold with ARGS: it finds them in the bitmaps and
# resyncs them, no foreground IO. Its time from the first sight of them
# to nothing dirty, and the bytes each member moved for the regions then
# still dirty (a region's share: read from a data member, written to the
# parity), into FILE.
resync_cold() {
	local n=$1 file=$2 i idle pf t0 seen=0
	shift 2
	wait_until 60 settled || diag "resync: not settled: $(snap)"
	idle=$(cat /sys/module/dm_ddraid/parameters/idle_ms)
	pf=$(cat /sys/module/dm_ddraid/parameters/prefetch_grants)
	echo 3600000 >/sys/module/dm_ddraid/parameters/idle_ms
	# exactly n regions: no grant of the next region asked ahead
	echo 0 >/sys/module/dm_ddraid/parameters/prefetch_grants
	for ((i = 0; i < n; i++)); do
		dd if=/dev/urandom of="/dev/mapper/$NAME" bs=4k count=1 \
			seek=$((i * rsize / 4096)) oflag=direct conv=notrunc \
			status=none || diag "resync: write $i failed"
	done
	[ "$(kstat "$NAME" granted)" = "$n" ] ||
		diag "resync: $(kstat "$NAME" granted) regions granted, not $n"
	kill -KILL "$DDRAIDD_PID"
	wait "$DDRAIDD_PID" 2>/dev/null
	DDRAIDD_PID=
	echo "$idle" >/sys/module/dm_ddraid/parameters/idle_ms
	echo "$pf" >/sys/module/dm_ddraid/parameters/prefetch_grants
	wait_until 30 dmsetup remove "$NAME" || bail "resync: table remains"
	dmsetup create "$NAME" \
		--table "$("$DDRAIDCTL" table --cluster "${devs[@]}")" ||
		bail "resync: cluster table"
	ddraidd_start "$NAME" "$members" "$@"
	# From the first sight of the dirty regions (the daemon's start,
	# its corosync join and the bitmaps' read are not the resync's), the
	# regions still dirty then.
	dirty_n() { seen=$(dst "$NAME" .dirty); [ "${seen:-0}" -gt 0 ]; }
	clean() { [ "$(dst "$NAME" .dirty)" = 0 ] && d_attached "$NAME"; }
	WAIT_STEP=0.02 wait_until 60 dirty_n ||
		diag "resync: never saw a dirty region"
	t0=$(date +%s%N)
	diag "resync: $seen of $n regions dirty when first seen"
	if WAIT_STEP=0.02 wait_until 600 clean; then
		jq -n --argjson ns "$(($(date +%s%N) - t0))" \
			--argjson r "$rsize" --argjson m "${#devs[@]}" \
			--argjson n "$seen" \
			'{seconds: ($ns / 1e9), regions: $n,
			  member_bytes: ($n * $r / ($m - 1))}' >"$VM_SHARE/$file"
	else
		diag "resync: not done: $(dst "$NAME" .dirty) dirty"
	fi
}

in_vm() {
	local reps=$1 size=$2 qd=$3 nlat=$4 cmp=$5
	local devs=(/dev/vda /dev/vdb /dev/vdc /dev/vdd /dev/vde)
	local members rsize dsize i m b a t0 off dev idle ahead nranges
	local modes=(standalone cluster)
	. "$HERE/lib.sh"
	. "$HERE/cluster-lib.sh"
	vm_need_build
	[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
	vm_load_module >/dev/null
	# Grant prefetch: the module's default (on) unless DDRAID_PREFETCH
	# says otherwise; recorded with the results.
	echo "${DDRAID_PREFETCH:-1}" \
		>/sys/module/dm_ddraid/parameters/prefetch_grants ||
		bail "cannot set prefetch_grants"
	ahead=$(cat /sys/module/dm_ddraid/parameters/prefetch_ahead) ||
		bail "no module parameter prefetch_ahead"
	[ "$cmp" = 0 ] || modes+=("cluster-a$cmp")
	nranges=$(cold_ranges "$reps" "$cmp")
	members=$(IFS=,; echo "${devs[*]}")

	# The images are zero (written on the host): --assume-clean is true.
	"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}" >&2 ||
		exit 1
	rsize=$(examine_field /dev/vda region_size)
	dsize=$(examine_field /dev/vda data_size)
	size=$((size << 20))
	[ $((size % rsize)) = 0 ] || bail "--size not a multiple of $rsize"
	[ $((nranges * size + (nlat + TRACE_REGIONS) * rsize)) -le "$dsize" ] ||
		bail "volume too small for $nranges x $size + $nlat regions"
	jq -n --argjson r "$rsize" --argjson d "$dsize" \
		--argjson n "$(examine_field /dev/vda regions)" \
		--arg idle "$(cat /sys/module/dm_ddraid/parameters/idle_ms)" \
		--arg pf "$(cat /sys/module/dm_ddraid/parameters/prefetch_grants)" \
		--argjson ahead "$ahead" \
		'{region_size: $r, data_size: $d, regions: $n,
		  idle_ms: ($idle | tonumber),
		  prefetch_grants: ($pf == "Y"), prefetch_ahead: $ahead}' \
		>"$VM_SHARE/volume.json"

	# Both tables at once: dm shares the members between its devices.
	# Not assemble: it sets a dm uuid from the volume, unique per device.
	dmsetup create "$SNAME" --table "$("$DDRAIDCTL" table "${devs[@]}")" ||
		bail "standalone table"
	corosync_up
	dmsetup create "$NAME" \
		--table "$("$DDRAIDCTL" table --cluster "${devs[@]}")" ||
		bail "cluster table"
	ddraidd_start "$NAME" "$members"
	wait_until 60 d_attached "$NAME" || { cl_logs; bail "ddraidd attach"; }
	wait_until 20 kstat_is "$NAME" frozen running ||
		bail "cluster table thawed"
	diag "cluster table: $(dmsetup status "$NAME")"

	mkdir -p "$VM_SHARE/fio"
	: >"$VM_SHARE/runs.jsonl"
	for ((i = 0; i < reps; i++)); do
		# Rotated: each mode goes first as often as the others.
		set -- "${modes[@]:i % ${#modes[@]}}" \
			"${modes[@]:0:i % ${#modes[@]}}"
		for m in "$@"; do
			dev=/dev/mapper/$NAME
			off=$((i * size))
			case $m in
			standalone) dev=/dev/mapper/$SNAME ;;
			cluster-a*)
				off=$(((reps + i) * size))
				echo "$cmp" >/sys/module/dm_ddraid/parameters/prefetch_ahead ;;
			esac
			b=$(snap)
			fio --name=seqwrite --filename="$dev" --ioengine=libaio \
				--direct=1 --rw=write --bs=1M --iodepth="$qd" \
				--offset="$off" --size="$size" \
				--output-format=json \
				--output="$VM_SHARE/fio/tp-$m-$i.json" >&2 ||
				bail "fio $m $i"
			a=$(snap)
			echo "$ahead" >/sys/module/dm_ddraid/parameters/prefetch_ahead
			t0=$SECONDS
			if [ "$m" != standalone ] && ! wait_until 30 settled; then
				diag "rep $i: not settled after 30 s: $(snap)"
			fi
			record tp "$m" "$i" "$b" "$a" $((SECONDS - t0))
		done
	done

	# Latency: all regions cold, then the same offsets warm, then on the
	# standalone table. A busy host can stretch the cold pass past the
	# target's idle_ms (5 s), which would make the warm pass cold again:
	# idle_ms is raised meanwhile (it only decides when a grant is
	# dropped) and the warm pass's message count shows it stayed warm.
	wait_until 30 settled || diag "latency: not settled: $(snap)"
	idle=$(cat /sys/module/dm_ddraid/parameters/idle_ms)
	echo "$LAT_IDLE_MS" >/sys/module/dm_ddraid/parameters/idle_ms
	off=$((nranges * size))
	for m in cold warm standalone; do
		dev=/dev/mapper/$NAME
		[ "$m" = standalone ] && dev=/dev/mapper/$SNAME
		b=$(snap)
		lat_fio "$dev" "$off" "$nlat" "$rsize" "lat-$m" ||
			bail "fio latency $m"
		a=$(snap)
		record lat "$m" 0 "$b" "$a"
	done
	echo "$idle" >/sys/module/dm_ddraid/parameters/idle_ms

	# Where a cold write's time goes: the daemon's syscalls during
	# TRACE_REGIONS more cold writes, from the kernel's syscall trace
	# events (cheap, unlike ptrace). The daemon's fds: /dev/ddraid and
	# its eventfds (the IO worker signals "done" on one).
	wait_until 60 settled || diag "trace: not settled: $(snap)"
	off=$((nranges * size + nlat * rsize))
	trace_on || diag "no syscall tracing: no breakdown"
	b=$(snap)
	lat_fio "/dev/mapper/$NAME" "$off" "$TRACE_REGIONS" "$rsize" \
		trace-cold || diag "traced fio failed"
	a=$(snap)
	record trace cold 0 "$b" "$a"
	trace_off

	# What one member write + fdatasync costs here, untraced: zeros into
	# the parity member where data and parity are zero (past everything
	# written above), so the volume stays consistent.
	off=$(examine_field /dev/vda data_offset)
	off=$((off + (nranges * size + (nlat + TRACE_REGIONS) * rsize) / 4))
	fio --name=probe --filename=/dev/vde --ioengine=psync --direct=1 \
		--rw=write --bs=4k --fdatasync=1 --zero_buffers \
		--offset="$off" --size=1M --number_ios=16 --output-format=json \
		--output="$VM_SHARE/fio/probe-fdatasync.json" >&2 ||
		diag "fdatasync probe failed"

	# Rebuild speed: member 4 recorded failed, then rebuilt in full onto
	# the same disk (ddraidctl rebuild, the daemon's online rebuild through
	# the cluster table), no foreground IO, no rate limit. What it wrote
	# to the member a second, against one member's throttle. The
	# standalone table goes first: nothing may write the members beside
	# the rebuild.
	dmsetup remove "$SNAME" >&2
	mstate() { [ "$(dst "$NAME" ".members[4].state")" = "$1" ]; }
	rb_idle() { [ "$(dst "$NAME" .rebuild.active)" = false ]; }
	rebuild_full rebuild.json

	# Foreground writes during a rebuild: the same fio (fg_fio) with no
	# rebuild, during a rebuild held to FG_MIN_MBS while foreground
	# writes are seen (sync-speed-min, md's sync_speed_min), and during
	# an unlimited one. Each rebuild is then let finish.
	fg_fio none || diag "foreground fio (no rebuild) failed"
	for m in min unlimited; do
		wait_until 60 settled || diag "fg $m: not settled: $(snap)"
		if [ "$m" = min ]; then
			set -- sync-speed-min="$FG_MIN_MBS"
		else
			set -- sync-speed-min=node
		fi
		DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" set "$NAME" "$@" >&2 ||
			diag "fg $m: ddraidctl set $*"
		DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" fail "$NAME" --member 4 >&2 &&
			wait_until 60 mstate failed &&
			DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" rebuild "$NAME" \
				--member 4 /dev/vde >&2 ||
			diag "fg $m: no rebuild started"
		t0=$(date +%s%N)
		fg_fio "$m" || diag "foreground fio ($m) failed"
		wait_until 1200 mstate active && wait_until 60 rb_idle ||
			diag "fg $m: rebuild did not finish"
		jq -n --arg m "$m" --argjson ns "$(($(date +%s%N) - t0))" \
			'{mode: $m, rebuild_seconds: ($ns / 1e9)}' \
			>"$VM_SHARE/fg-$m.json"
	done

	# The same full rebuild one region a lock (--sync-span 1, the rule
	# before spans), for a ratio against the default in this run.
	ddraidd_stop
	ddraidd_start "$NAME" "$members" --sync-span 1
	wait_until 60 d_attached "$NAME" || diag "span 1: ddraidd attach"
	rebuild_full rebuild-span1.json

	# Resync speed after a crash, one region a lock and then at the
	# default span.
	resync_cold "$RESYNC_REGIONS" resync-span1.json --sync-span 1
	resync_cold "$RESYNC_REGIONS" resync.json

	diag "end: $(dmsetup status "$NAME")"
	dmsetup remove "$NAME" >&2
	ddraidd_stop
	cp "$CL_DIR/ddraidd.log" "$VM_SHARE/ddraidd.log" 2>/dev/null
	kill -TERM "$CL_COROSYNC_PID"
	wait "$CL_COROSYNC_PID"
	exit 0
}

if [ "${1:-}" = --in-vm ]; then
	shift
	in_vm "$@"
fi

# ----------------------------------------------------------------- the host

build=
bps=$((20 * 1000 * 1000))
iops=500
reps=7
size=256
qd=4
nlat=64
cmp=1
smp=2
json=
out=/var/tmp/ddraid-vm/bench-intent
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build=$(realpath "$2"); shift 2 ;;
	--bps) bps=$2; shift 2 ;;
	--iops) iops=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	--qd) qd=$2; shift 2 ;;
	--lat-regions) nlat=$2; shift 2 ;;
	--compare-ahead) cmp=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--json) json=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '4,40p' "$0" | sed '/^$/,$d'; exit 0 ;;
	*) echo "bench-intent.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for v in "$bps" "$iops" "$reps" "$size" "$qd" "$nlat" "$smp"; do
	case "$v" in
	''|*[!0-9]*|0) echo "bench-intent.sh: not a positive number: '$v'" >&2
		exit 2 ;;
	esac
done
case "$cmp" in
''|*[!0-9]*) echo "bench-intent.sh: --compare-ahead: not a number: '$cmp'" >&2
	exit 2 ;;
esac
[ -n "$build" ] || build=$SRCDIR/build
for f in tools/ddraidctl cpg-daemon/ddraidd; do
	[ -x "$build/$f" ] || { echo "bench-intent.sh: no $build/$f" >&2; exit 2; }
done
[ -n "$json" ] || json=$out/bench-intent.json

kver=$(ls /boot/vmlinuz-6.1.* | sed 's|^/boot/vmlinuz-||' | sort -V | tail -n 1)
make -C "$SRCDIR/dmtarget" KDIR="/lib/modules/$kver/build" >/dev/null ||
	{ echo "bench-intent.sh: the module does not build" >&2; exit 2; }

mkdir -p "$out" && out=$(realpath "$out")
cp "$SRCDIR/dmtarget/dm-ddraid.ko" "$out/dm-ddraid.ko" || exit 2
export DDRAID_KO=$out/dm-ddraid.ko

# Disks have no holes: sparse images would make the first write of a range
# an allocating write on the host, paid by whichever mode came first.
# Big enough for the cold ranges (one set per cluster mode), the latency
# and trace regions (4 MiB each) over 4 data members, and the metadata.
nranges=$(cold_ranges "$reps" "$cmp")
disk_mib=$(((nranges * size + (nlat + TRACE_REGIONS) * 4) / 4 + 64))
[ "$disk_mib" -ge 640 ] || disk_mib=640
for i in 0 1 2 3 4; do
	dd if=/dev/zero of="$out/disk$i.img" bs=4M count=$((disk_mib / 4)) \
		conv=fsync status=none || exit 2
done

t0=$SECONDS
DDRAID_BUILD=$build "$HERE/vm-run" --disks 5 --disk-size "${disk_mib}M" \
	--keep-disks --throttle-bps "$bps" --throttle-iops "$iops" \
	--smp "$smp" --out "$out" --timeout 2400 \
	"$0" --in-vm "$reps" "$size" "$qd" "$nlat" "$cmp" >/dev/null ||
	{ echo "bench-intent.sh: the VM run failed (logs in $out)" >&2; exit 1; }
wall=$((SECONDS - t0))
rm -f "$out"/disk*.img

share=$out/share
runs=$share/runs.jsonl

# median FILE-OF-NUMBERS / pct P: nearest-rank statistics of one column.
pct() {
	sort -g | awk -v p="$1" '{ v[NR] = $1 }
		END { if (!NR) { print 0; exit }
		      i = int(NR * p / 100); if (i < NR * p / 100) i++
		      if (i < 1) i = 1; print v[i] }'
}

# Throughput: bytes/s of each run, medians.
tp() { jq -r '.jobs[0].write.bw_bytes' "$share/fio/tp-$1-$2.json"; }
rows=()
for ((i = 0; i < reps; i++)); do
	s=$(tp standalone "$i")
	c=$(tp cluster "$i")
	rows+=("$(jq -c --argjson i "$i" --argjson s "$s" --argjson c "$c" \
		'select(.phase == "tp" and .mode == "cluster" and .index == $i) |
		 {rep: $i, standalone_bps: $s, cluster_bps: $c,
		  target_msgs: (.after.chan_rx - .before.chan_rx),
		  bit_sets: (.after.bit_sets - .before.bit_sets),
		  bit_clears: (.after.bit_clears - .before.bit_clears),
		  settle_s: .settle_s}' "$runs")")
done
tpj=$(printf '%s\n' "${rows[@]}" | jq -s '.')
med_s=$(jq -r '.[].standalone_bps' <<<"$tpj" | pct 50)
med_c=$(jq -r '.[].cluster_bps' <<<"$tpj" | pct 50)
# ratio A B: A / B to three places.
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0) ? a / b : 0 }'; }
ratio=$(ratio_of "$med_c" "$med_s")
met=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.97) ? "true" : "false" }')

# The other prefetch distance, written in the same repetitions.
cmpj=null
if [ "$cmp" != 0 ]; then
	ahead=$(jq -r .prefetch_ahead "$share/volume.json")
	for ((i = 0; i < reps; i++)); do
		jq -nc --argjson i "$i" --argjson o "$(tp "cluster-a$cmp" "$i")" \
			--argjson c "$(tp cluster "$i")" \
			'{rep: $i, other_bps: $o, default_over_other: (if $o > 0 then $c / $o else 0 end)}'
	done >"$share/compare.jsonl"
	med_o=$(jq -r .other_bps "$share/compare.jsonl" | pct 50)
	med_p=$(jq -r .default_over_other "$share/compare.jsonl" | pct 50)
	cmpj=$(jq -s --argjson d "$ahead" --argjson o "$cmp" \
		--argjson mo "$med_o" --argjson r "$(ratio_of "$med_o" "$med_s")" \
		--argjson p "$med_p" \
		'{default_ahead: $d, other_ahead: $o, runs: .,
		  median_other_bps: $mo, other_ratio: $r,
		  median_default_over_other: $p}' "$share/compare.jsonl")
fi
rsize=$(jq -r .region_size "$share/volume.json")

# Latency: every IO's clat (ns) from the fio logs, in µs.
lat() {
	cat "$share/fio/lat-$1_clat.1.log" |
		awk -F', *' '{ printf "%.1f\n", $2 / 1000 }' | pct "$2"
}
latj=$(jq -n --argjson n "$nlat" \
	--argjson cm "$(lat cold 50)" --argjson cp "$(lat cold 99)" \
	--argjson wm "$(lat warm 50)" --argjson wp "$(lat warm 99)" \
	--argjson sm "$(lat standalone 50)" --argjson sp "$(lat standalone 99)" \
	--argjson cold_req "$(jq -s '[.[] | select(.phase == "lat" and .mode == "cold") | .after.chan_rx - .before.chan_rx] | add' "$runs")" \
	--argjson warm_req "$(jq -s '[.[] | select(.phase == "lat" and .mode == "warm") | .after.chan_rx - .before.chan_rx] | add' "$runs")" \
	--argjson cold_bits "$(jq -s '[.[] | select(.phase == "lat" and .mode == "cold") | .after.bit_sets - .before.bit_sets] | add' "$runs")" \
	'{regions: $n, cold: {median_us: $cm, p99_us: $cp},
	  warm: {median_us: $wm, p99_us: $wp},
	  standalone: {median_us: $sm, p99_us: $sp},
	  cold_minus_warm_us: ($cm - $wm),
	  cold_target_msgs: $cold_req, cold_bit_sets: $cold_bits,
	  warm_target_msgs: $warm_req}')

# The traced cold writes, from the kernel's syscall events: per region,
# GRANT_REQ read from /dev/ddraid -> the IO worker's eventfd write (the bit
# is set on the members) -> GRANT written to /dev/ddraid (after the
# cluster agreed it over CPG); the time in fdatasync and io_uring_enter
# (member IO) and in sendto to corosync (cpg_mcast_joined) meanwhile.
ftrace_sum() {
	[ -s "$share/ftrace.txt" ] && [ -s "$share/trace-fds.json" ] ||
		{ echo '{}'; return; }
	awk -v chan="$(jq -r .chan "$share/trace-fds.json")" \
	    -v main="$(jq -r .main "$share/trace-fds.json")" \
	    -v efds="$(jq -r '.eventfds | join(" ")' "$share/trace-fds.json")" '
	BEGIN { split(efds, x, " "); for (i in x) isefd[x[i]] = 1 }
	/^#/ { next }
	{
		tid = $1; sub(/.*-/, "", tid)
		for (i = 2; i <= NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/)
				break
		ts = substr($i, 1, length($i) - 1)
		ev = $(i + 1)
	}
	ev ~ /^sys_[a-z_]+\(/ {
		name[tid] = substr(ev, 5, index(ev, "(") - 5)
		fd[tid] = -1
		if (match($0, /\(fd: (0x)?([0-9a-f]+)/, m))
			fd[tid] = strtonum("0x" m[2])
		start[tid] = ts
		next
	}
	ev ~ /^sys_[a-z_]+$/ && $(i + 2) == "->" {
		c = substr(ev, 5); ret = strtonum($(i + 3))
		if (c != name[tid])
			next
		d = ts - start[tid]
		if (c == "fdatasync") { fs_n++; fs_t += d }
		if (c == "io_uring_enter") { iu_n++; iu_t += d }
		if (c == "sendto" && tid == main && io) { st_n++; st_t += d }
		if (c == "read" && fd[tid] == chan && ret == 64) {
			req = ts; io = 0
		} else if (c == "write" && (fd[tid] in isefd) && tid != main &&
			   req && !io) {
			io = start[tid]
		} else if (c == "write" && fd[tid] == chan && req && io) {
			n++; a += io - req; b += start[tid] - io; req = io = 0
		}
	}
	END {
		printf "{\"regions\": %d, \"bitset_ms\": %.2f, \"agree_ms\": %.2f,", \
			n, n ? a * 1000 / n : 0, n ? b * 1000 / n : 0
		printf " \"fdatasync\": {\"calls\": %d, \"ms\": %.2f},", fs_n, fs_t * 1000
		printf " \"io_uring_enter\": {\"calls\": %d, \"ms\": %.2f},", iu_n, iu_t * 1000
		printf " \"cpg_sendto\": {\"calls\": %d, \"ms\": %.2f}}", st_n, st_t * 1000
	}' "$share/ftrace.txt"
}
probe=$(jq -c '.jobs[0] | {write_us: (.write.clat_ns.percentile."50.000000" / 1000),
	fdatasync_us: (.sync.lat_ns.percentile."50.000000" / 1000)}' \
	"$share/fio/probe-fdatasync.json" 2>/dev/null) || probe='{}'
tracej=$(jq -n --argjson n "$(jq -s 'map(select(.phase == "trace")) | .[0] | .after.bit_sets - .before.bit_sets' "$runs")" \
	--argjson m "$(awk -F', *' '{ printf "%.1f\n", $2 / 1000 }' \
		"$share/fio/trace-cold_clat.1.log" | pct 50)" \
	--argjson t "$(ftrace_sum)" --argjson q "$probe" \
	'{bit_sets: $n, cold_median_us: $m, timeline: $t,
	  member_probe_median: $q}')

# Rebuild and resync: each member's bytes a second against its throttle
# (goal 0.9), at the default span and one region a lock.
speed() {
	jq -c --argjson bps "$bps" 'if .seconds > 0 then
		. + {member_mbs: (.member_bytes / .seconds / 1e6),
		     member_throttle_bps: $bps,
		     ratio: (.member_bytes / .seconds / $bps),
		     goal: 0.9, met: (.member_bytes / .seconds / $bps >= 0.9)}
		else {} end' "$share/$1" 2>/dev/null || echo '{}'
}
rebuildj=$(jq -nc --argjson d "$(speed rebuild.json)" \
	--argjson one "$(speed rebuild-span1.json)" '$d + {span1: $one}')
resyncj=$(jq -nc --argjson d "$(speed resync.json)" \
	--argjson one "$(speed resync-span1.json)" '$d + {span1: $one}')

# Foreground writes during a rebuild: clat median and p99 (ms) per case.
fgj=$(for m in none min unlimited; do
	f=$share/fio/fg-$m.json
	[ -s "$f" ] || continue
	jq -c --arg m "$m" --slurpfile r <(cat "$share/fg-$m.json" 2>/dev/null ||
		echo '{}') '.jobs[0].write | {mode: $m, iops: .iops,
		clat_median_ms: (.clat_ns.percentile."50.000000" / 1e6),
		clat_p99_ms: (.clat_ns.percentile."99.000000" / 1e6),
		rebuild_seconds: ($r[0].rebuild_seconds // null)}' "$f"
done | jq -sc .) || fgj='[]'

# Throughput: the extra time per cold region of a cluster run.
extra=$(jq -n --argjson s "$med_s" --argjson c "$med_c" \
	--argjson b "$((size << 20))" --argjson r "$(jq -r .region_size "$share/volume.json")" \
	'if $s > 0 and $c > 0 then ($b / $c - $b / $s) * 1000 / ($b / $r) else 0 end')

jq -n --arg k "$kver" --argjson bps "$bps" --argjson iops "$iops" \
	--argjson qd "$qd" --argjson size "$((size << 20))" --argjson smp "$smp" \
	--argjson vol "$(cat "$share/volume.json")" --argjson tp "$tpj" \
	--argjson ms "$med_s" --argjson mc "$med_c" --argjson r "$ratio" \
	--argjson met "$met" --argjson lat "$latj" --argjson wall "$wall" \
	--argjson trace "$tracej" --argjson extra "$extra" \
	--argjson rebuild "$rebuildj" --argjson fg "$fgj" \
	--argjson resync "$resyncj" --argjson cmpj "$cmpj" \
	'{bench: "vm-intent", kernel: $k, vm_cpus: $smp, members: 5, throttle_bps: $bps,
	  throttle_iops: $iops, member_files_prefilled: true, volume: $vol,
	  vm_seconds: $wall,
	  seqwrite: {bs: 1048576, iodepth: $qd, bytes_per_run: $size,
		     runs: $tp, median_standalone_bps: $ms,
		     median_cluster_bps: $mc, ratio: $r, goal: 0.97, met: $met,
		     extra_ms_per_region: $extra, prefetch_compare: $cmpj},
	  first_write: $lat, cold_write_trace: $trace, rebuild: $rebuild,
	  resync: $resync,
	  foreground_during_rebuild: {iops: '"$FG_IOPS"', seconds: '"$FG_SECONDS"',
	    min_mbs: '"$FG_MIN_MBS"', runs: $fg}}' >"$json"

printf 'sequential 1 MiB O_DIRECT write, iodepth %d, %d MiB per run, region %d KiB\n' \
	"$qd" "$size" $((rsize >> 10))
printf '%-4s %12s %12s %7s %11s %9s\n' rep standalone cluster ratio target_msgs bit_sets
jq -r '.[] | [.rep, .standalone_bps / 1e6, .cluster_bps / 1e6,
	(if .standalone_bps > 0 then .cluster_bps / .standalone_bps else 0 end),
	.target_msgs, .bit_sets] | @tsv' <<<"$tpj" |
	while IFS=$'\t' read -r i s c r g b; do
		printf '%-4s %7.1f MB/s %7.1f MB/s %7.3f %11s %9s\n' \
			"$i" "$s" "$c" "$r" "$g" "$b"
	done
printf '%-4s %7.1f MB/s %7.1f MB/s %7s   goal >= 0.97: %s\n' median \
	"$(awk -v v="$med_s" 'BEGIN { print v / 1e6 }')" \
	"$(awk -v v="$med_c" 'BEGIN { print v / 1e6 }')" "$ratio" \
	"$([ "$met" = true ] && echo met || echo 'NOT met')"
jq -r 'select(. != null) |
	"grant prefetch \(.default_ahead) regions ahead (the default) against \(.other_ahead), same repetitions:",
	"  \(.other_ahead) ahead: median \(.median_other_bps / 1e5 | round / 10) MB/s, ratio \(.other_ratio) of standalone",
	"  \(.default_ahead) ahead / \(.other_ahead) ahead, per repetition: \([.runs[].default_over_other * 1000 | round / 1000] | map(tostring) | join(" ")); median \(.median_default_over_other * 1000 | round / 1000)"' <<<"$cmpj"
echo
printf 'first write into a region: QD1 4 KiB O_DIRECT, %d regions, clat\n' "$nlat"
jq -r '"  cold        median \(.cold.median_us) us   p99 \(.cold.p99_us) us   (\(.cold_target_msgs) messages from the target, \(.cold_bit_sets) bit sets)",
	"  warm        median \(.warm.median_us) us   p99 \(.warm.p99_us) us   (\(.warm_target_msgs) messages from the target)",
	"  standalone  median \(.standalone.median_us) us   p99 \(.standalone.p99_us) us",
	"  cold - warm median \(.cold_minus_warm_us * 10 | round / 10) us"' <<<"$latj"
printf 'cluster run: %.1f ms more per %d KiB region than standalone\n' \
	"$extra" $((rsize >> 10))
jq -r 'if (.timeline.regions // 0) > 0 then
	"traced cold writes (syscall events): \(.timeline.regions) regions, \(.bit_sets) bit sets, cold median \(.cold_median_us) us;",
	"  per region: GRANT_REQ -> bit set on the members \(.timeline.bitset_ms) ms -> CPG agreement -> GRANT \(.timeline.agree_ms) ms",
	"  per region: fdatasync \(.timeline.fdatasync.ms / .timeline.regions * 100 | round / 100) ms (\(.timeline.fdatasync.calls / .timeline.regions) calls), io_uring_enter \(.timeline.io_uring_enter.ms / .timeline.regions * 100 | round / 100) ms, sendto corosync \(.timeline.cpg_sendto.ms / .timeline.regions * 100 | round / 100) ms"
	else "no trace breakdown (see ftrace.txt, trace-fds.json in the share)" end' <<<"$tracej"
jq -r '"one member, untraced: 4 KiB direct write \(.write_us) us, fdatasync \(.fdatasync_us) us (medians)"' <<<"$probe"
# speed_line WHAT JSON: one line of a rebuild's or resync's speed.
speed_line() {
	jq -r --arg w "$1" 'def line: "\(.member_bytes / 1e6 | round) MB a member in \(.seconds * 10 | round / 10) s = \(.member_mbs * 10 | round / 10) MB/s, \(.ratio * 1000 | round / 1000) x one member'"'"'s \(.member_throttle_bps / 1e6) MB/s";
	if .seconds then
		"\($w) (no foreground IO, no rate limit): \(line) (goal >= 0.9: \(if .met then "met" else "NOT met" end))" +
		(if .span1.seconds then "\n  one region a lock (--sync-span 1): \(.span1 | line)" else "" end)
	else "no \($w) figure (see the diag lines in stderr)" end' <<<"$2"
}
speed_line "full online rebuild of member 4" "$rebuildj"
speed_line "resync of $RESYNC_REGIONS dirty regions at a cold start" "$resyncj"
printf 'foreground QD1 4 KiB random writes at %d IOPS for %d s, clat (rebuild floor while they run: %s MB/s in the "min" case)\n' \
	"$FG_IOPS" "$FG_SECONDS" "$FG_MIN_MBS"
jq -r '.[] | "  rebuild \(.mode | . + " " * (10 - length)) median \(.clat_median_ms * 100 | round / 100) ms   p99 \(.clat_p99_ms * 100 | round / 100) ms   \(.iops * 10 | round / 10) IOPS\(if .rebuild_seconds then "   rebuild took \(.rebuild_seconds * 10 | round / 10) s" else "" end)"' <<<"$fgj"
echo "VM run ${wall}s; JSON: $json"
