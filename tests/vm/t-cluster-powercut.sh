#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=120 needs=module,ddraidctl host=yes
#
# Power cut of a one-node cluster under writes, then a cold start over the
# same disks. Three VM boots:
#  - the runner's boot (no argument): creates the volume on the disks;
#  - boot 1 (the host part runs it, vm-run --keep-disks): corosync, ddraidd,
#    the volume assembled --cluster; a writer puts a pattern (its block
#    number) into blocks spread over 6 regions with O_DIRECT and appends
#    each acknowledged block number to /vmshare/acked (fsync'd); after
#    ACKS writes the VM resets itself with sysrq 'b' while the writer runs;
#  - boot 2: assembles --cluster again, starts corosync and ddraidd (a cold
#    start: the daemon reads the bitmap slots and resyncs only the regions
#    they mark: more than 0, fewer than all), then every acknowledged block
#    must read back, the never-written blocks of those regions read zeros
#    (except the one write that may have been in flight), and after stop
#    ddraidctl check reports clean parity.

. "$(dirname "$0")/lib.sh"

NAME=clpower
devs=(/dev/vda /dev/vdb /dev/vdc)
NREG=6		# regions written
ACKS=1000	# acknowledged writes before the power cut
RSIZE=$((1 << 20))
BPR=$((RSIZE / 4096))

# pc_py write|verify|zeros DEV ACKED: the writer and the checks, in one
# python process each (a shell loop forks too much under TCG). The I-th
# write goes to block (I % NREG) * 4 * BPR + I / NREG (each block once, the
# regions 0, 4, 8, ...), its content is "ddraid powercut block B" repeated.
pc_py() {
	python3 - "$NREG" "$BPR" "$@" <<'PY'
import mmap, os, sys

nreg, bpr, cmd, dev, acked = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:6]


def blk_of(i):
	return (i % nreg) * 4 * bpr + i // nreg


def pattern(b):
	line = ("ddraid powercut block %d\n" % b).encode()
	return (line * (4096 // len(line) + 1))[:4096]


buf = mmap.mmap(-1, 4096)	# page-aligned, as O_DIRECT wants
fd = os.open(dev, (os.O_RDWR if cmd == "write" else os.O_RDONLY) |
	     os.O_DIRECT)
if cmd == "write":
	log = open(acked, "a")
	i = 0
	while True:
		b = blk_of(i)
		buf[:] = pattern(b)
		if os.pwrite(fd, buf, b * 4096) != 4096:
			sys.exit(1)
		log.write("%d\n" % b)
		log.flush()
		os.fsync(log.fileno())
		i += 1
done = [int(x) for x in open(acked)]
if cmd == "verify":
	want = [(b, pattern(b)) for b in done]
else:
	# write number len(done) may have been in flight: skip it.
	want = [(blk_of(i), bytes(4096))
		for i in range(len(done) + 1, len(done) + 1 + 4 * nreg)]
bad = 0
for b, data in want:
	os.preadv(fd, [buf], b * 4096)
	if buf[:] != data:
		print("block %d differs" % b, file=sys.stderr)
		bad += 1
print("%s: %d blocks, %d differ" % (cmd, len(want), bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

# --- host part: boots 1 and 2 over the disks the runner's boot made ------
if [ "${1:-}" = --host ]; then
	dir=$1
	dir=$2
	me=$(realpath "$0")
	for b in 1 2; do
		mkdir -p "$dir/boot$b"
		ln -f "$dir"/disk*.img "$dir/boot$b/" || bail "link the disks"
	done
	"$VM_LIB_DIR/vm-run" --keep-disks --disks 3 --disk-size 64M \
		--timeout 300 --out "$dir/boot1" "$me" --boot1 \
		>"$dir/boot1/tap" 2>"$dir/boot1/log"
	rc=$?
	grep -E '^(ok|not ok) ' "$dir/boot1/tap" | sed 's/ - / - boot 1: /'
	grep -q '^not ok ' "$dir/boot1/tap" && tap_failed=1
	acked=$(wc -l <"$dir/boot1/share/acked" 2>/dev/null || echo 0)
	# The VM reset itself: no exit code came back (vm-run says 125).
	check "boot 1 ended in the power cut (no exit code, vm-run $rc)" \
		test "$rc" = 125 -a ! -e "$dir/boot1/share/rc"
	check "boot 1 acknowledged $acked >= $ACKS writes before the cut" \
		test "$acked" -ge "$ACKS"
	cp "$dir/boot1/share/acked" "$dir/acked" 2>/dev/null
	"$VM_LIB_DIR/vm-run" --keep-disks --disks 3 --disk-size 64M \
		--timeout 300 --out "$dir/boot2" \
		--env "PC_ACKED=$dir/acked" "$me" --boot2 \
		>"$dir/boot2/tap" 2>"$dir/boot2/log"
	rc=$?
	grep -E '^(ok|not ok) |^#' "$dir/boot2/tap" | sed 's/ - / - boot 2: /'
	grep -q '^not ok ' "$dir/boot2/tap" && tap_failed=1
	check "boot 2 exit 0 (logs in $dir/boot2)" test "$rc" = 0
	finish
fi

# --- in the VM ------------------------------------------------------------
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
dm=/dev/mapper/$NAME
members=$(IFS=,; echo "${devs[*]}")

case "${1:-}" in
'')
	check "create the volume (1 MiB regions)" \
		"$DDRAIDCTL" create --name "$NAME" --region-size 1M "${devs[@]}"
	check "its superblock says 1 MiB regions" \
		test "$(examine_field /dev/vda region_size)" = "$RSIZE"
	finish
	;;
--boot1)
	vm_load_module
	corosync_up
	"$DDRAIDCTL" assemble --name "$NAME" --cluster "${devs[@]}" >&2 ||
		bail "assemble --cluster"
	ddraidd_start "$NAME" "$members"
	wait_until 60 d_attached "$NAME" || { cl_logs; bail "ddraidd attached"; }
	ok "ddraidd attached"
	: >"$VM_SHARE/acked"
	pc_py write "$dm" "$VM_SHARE/acked" &
	writer=$!
	enough() { [ "$(wc -l <"$VM_SHARE/acked")" -ge "$ACKS" ]; }
	wait_until 240 enough || bail "$ACKS writes acknowledged"
	if kill -0 "$writer"; then
		ok "the writer is still writing: cutting the power"
	else
		bail "the writer stopped early"
	fi
	diag "dmsetup status: $(dmsetup status "$NAME")"
	echo 1 >/proc/sys/kernel/sysrq
	echo b >/proc/sysrq-trigger
	sleep 60
	bail "still alive after sysrq b"
	;;
--boot2)
	vm_load_module
	[ -s "$PC_ACKED" ] || bail "no acked list at $PC_ACKED"
	regions=$(examine_field /dev/vda regions)
	corosync_up
	"$DDRAIDCTL" assemble --name "$NAME" --cluster "${devs[@]}" >&2 ||
		bail "assemble --cluster"
	ddraidd_start "$NAME" "$members"
	wait_until 60 d_attached "$NAME" || { cl_logs; bail "ddraidd attached"; }
	ok "cold start: ddraidd attached"
	# Reading through the volume needs THAW, which follows the resync.
	running() { [ "$(kstat "$NAME" frozen)" = running ]; }
	check "the target runs (thawed)" wait_until 120 running
	resynced() { [ "$(dst "$NAME" .io.resynced_regions)" -gt 0 ] &&
		[ "$(dst "$NAME" .dirty)" = 0 ]; }
	wait_until 120 resynced
	n=$(dst "$NAME" .io.resynced_regions)
	diag "cold start resynced $n of $regions regions"
	grep -i resync "$CL_DIR/ddraidd.log" | tail -n 5 | sed 's/^/#   /'
	check "the cold start resynced only dirty regions (0 < $n <= $NREG < $regions)" \
		test "$n" -gt 0 -a "$n" -le "$NREG"
	drop_caches
	nack=$(wc -l <"$PC_ACKED")
	check "all $nack acknowledged blocks read back" \
		pc_py verify "$dm" "$PC_ACKED"
	# The write after the last acknowledged one may have been in flight.
	check "the $((4 * NREG)) writes after that one never happened: zeros" \
		pc_py zeros "$dm" "$PC_ACKED"
	check "dmsetup remove" dmsetup remove "$NAME"
	ddraidd_stop
	kill -TERM "$CL_COROSYNC_PID"
	wait "$CL_COROSYNC_PID"
	check "ddraidctl check: parity clean after the cold-start resync" \
		"$DDRAIDCTL" check "${devs[@]}"
	finish
	;;
esac
bail "unknown argument $1"
