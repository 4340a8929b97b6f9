#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The same commands on block devices (loop devices over files), where
# create zeroes with BLKZEROOUT and opens members O_EXCL. Skipped where
# loop devices cannot be set up (not root, no loop driver).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

loops=""
cleanup() {
	for _l in $loops; do losetup -d "$_l" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

mkfiles 32M f0 f1 f2 fnew
for i in 0 1 2 new; do
	l=$(losetup -f --show "$T/f$i" 2>/dev/null) || break
	loops="$loops $l"
done
set -- $loops
if [ $# != 4 ] || [ ! -b "$1" ]; then
	echo "ok 1 # SKIP cannot set up loop devices"
	echo "1..1"
	exit 0
fi
L="$1 $2 $3"
new=$4
# Garbage in the data area: create must zero it for check to pass.
head -c 4M /dev/urandom | dd of="$2" bs=1M seek=8 conv=notrunc 2>/dev/null
# shellcheck disable=SC2086
expect 0 "create on 3 loop devices" create --name blk $L
# shellcheck disable=SC2086
expect 0 "a new volume on block devices checks clean" check $L
size=$(jget "$1" data_size)
random "$T/data" "$size"
# shellcheck disable=SC2086
expect 0 "import" import --input "$T/data" $L
# shellcheck disable=SC2086
t "export equals the data" [ "$("$DDRAIDCTL" export $L | sha256sum | cut -d' ' -f1)" = "$(sha "$T/data")" ]
expect 0 "rebuild member 1 onto a fourth loop device" rebuild --offline --member 1 --new "$new" "$1" missing "$3"
t "the rebuilt volume exports the data" \
	[ "$("$DDRAIDCTL" export "$1" "$new" "$3" | sha256sum | cut -d' ' -f1)" = "$(sha "$T/data")" ]
expect 0 "and checks clean" check "$1" "$new" "$3"
before=$(snap "$T/f0" "$T/f1" "$T/f2")
expect 1 "the same device twice is refused" create --force "$1" "$1" "$3"
err_has "message says given twice" "$1: given twice \(members 0 and 1 are the same device\)"
unchanged "same device twice" "$before" "$T/f0" "$T/f1" "$T/f2"
done_testing
