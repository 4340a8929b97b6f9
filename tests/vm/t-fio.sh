#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=5 size=64M timeout=400 needs=module,ddraidctl
#
# fio write+verify through the target with several IOs in flight:
# sequential and random, 4 KiB and 1 MiB, libaio, O_DIRECT. fio writes a
# crc32c and a header (offset, sequence) into every block and checks them
# on the read pass, so a block written to the wrong place or torn shows.
# Then the members are checked for parity consistency by userspace.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=vmfio
mapfile -t devs < <(vm_disks 5)
dm=/dev/mapper/$NAME

"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}" >&2 ||
	bail "create"
vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble"
[ -b "$dm" ] || bail "$dm does not exist after assemble"

# run_fio DESC FIO-ARGS...: one fio job with verification; any error or
# verify failure fails the point.
run_fio() {
	local desc=$1 out=/tmp/fio.json
	shift
	if fio --name=v --filename="$dm" --ioengine=libaio --direct=1 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_dump=0 --output-format=json --output="$out" "$@" >&2; then
		local errs
		errs=$(jq '[.jobs[] | .error] | add' "$out")
		if [ "$errs" = 0 ]; then
			ok "$desc"
		else
			not_ok "$desc (fio error $errs)"
		fi
	else
		not_ok "$desc (fio exit $?)"
		cat "$out" >&2
	fi
}

run_fio "sequential 1 MiB write+verify, iodepth 8" \
	--rw=write --bs=1M --iodepth=8 --size=48M
run_fio "sequential 4 KiB write+verify, iodepth 16" \
	--rw=write --bs=4k --iodepth=16 --size=4M --offset=64M
run_fio "random 4 KiB write+verify, iodepth 16" \
	--rw=randwrite --bs=4k --iodepth=16 --size=16M --offset=96M \
	--randrepeat=1 --randseed=1234 --norandommap=0
run_fio "random mixed 4k-256k write+verify, iodepth 8" \
	--rw=randwrite --bsrange=4k-256k --bs_unaligned=0 --iodepth=8 \
	--size=16M --offset=128M --randseed=99
# A verify-only pass after dropping caches re-reads everything sequentially
# written above (fio recomputes the same pattern from the same job).
drop_caches
run_fio "re-read the 1 MiB sequential data after cache drop" \
	--rw=write --bs=1M --iodepth=8 --size=48M --verify_only=1

check "stop" vol_stop "$NAME"
check "ddraidctl check: parity consistent after fio" \
	"$DDRAIDCTL" check "${devs[@]}"
finish
