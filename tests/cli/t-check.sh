#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ddraidctl check: clean on a new volume, finds a corrupted parity byte and
# data byte, lists the first 10, and --repair makes the volume consistent.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

mkfiles 8M m0 m1 m2 m3 m4
M=$(members m 5)
# shellcheck disable=SC2086
"$DDRAIDCTL" create $M >/dev/null
blocks=$(($(jget "$T/m0" data_size) / 4096))
before=$(snap $M)
# shellcheck disable=SC2086
expect 0 "check a new volume" check $M
out_has "it reports every block and no mismatch" "checked $blocks blocks: 0 mismatches"
unchanged "check" "$before" $M
size=$(jget "$T/m0" data_size)
random "$T/data" "$size"
# shellcheck disable=SC2086
"$DDRAIDCTL" import --input "$T/data" $M >/dev/null
# shellcheck disable=SC2086
expect 0 "check after import" check $M

# One parity byte of block 5: F = 1024, so member byte data_offset+5*1024+7.
doff=$(jget "$T/m4" data_offset)
flip() {	# flip FILE OFFSET: invert one byte
	_b=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	printf "\\$(printf %03o $((_b ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
flip "$T/m4" $((doff + 5 * 1024 + 7))
before=$(snap $M)
# shellcheck disable=SC2086
expect 1 "check finds a corrupted parity byte" check $M
out_has "it counts 1 mismatch" "checked $blocks blocks: 1 mismatch$"
out_has "it names block 5" "first mismatching blocks: 5$"
unchanged "check without --repair" "$before" $M
# shellcheck disable=SC2086
expect 0 "check --repair" check --repair $M
out_has "it repaired 1 block" "repaired 1 block$"
# shellcheck disable=SC2086
expect 0 "check after repair is clean" check $M
# shellcheck disable=SC2086
t "the data is intact after repair" \
	[ "$("$DDRAIDCTL" export $M | sha256sum | cut -d' ' -f1)" = "$(sha "$T/data")" ]

# Twelve corrupted blocks on a data member: only the first 10 are listed.
for b in 3 9 17 100 101 102 500 999 1000 1500 2000 3001; do
	flip "$T/m1" $((doff + b * 1024 + 1000))
done
# shellcheck disable=SC2086
expect 1 "check finds 12 corrupted data blocks" check $M
out_has "it counts 12" "checked $blocks blocks: 12 mismatches"
out_has "it lists the first 10" "first mismatching blocks: 3 9 17 100 101 102 500 999 1000 1500 \.\.\.$"
# shellcheck disable=SC2086
expect 0 "check --repair fixes 12" check --repair $M
out_has "repaired 12" "repaired 12 blocks"
# shellcheck disable=SC2086
expect 0 "clean again" check $M

# --assume-clean skips zeroing: old contents stay, and check sees them.
mkfiles 8M g0 g1 g2
for f in g0 g1 g2; do
	head -c 8M /dev/urandom >"$T/$f"
done
G=$(members g 3)
cp "$T/g1" "$T/g1.before"
# shellcheck disable=SC2086
expect 0 "create --assume-clean over random contents" create --assume-clean $G
gdoff=$(jget "$T/g0" data_offset)
t "the data area was left alone" cmp -s -i "$gdoff:$gdoff" "$T/g1" "$T/g1.before"
t "the write-intent slots were zeroed all the same" \
	cmp -s -n $((gdoff - 65536)) -i 65536:0 "$T/g2" /dev/zero
# shellcheck disable=SC2086
expect 1 "check finds the stale parity" check $G
# shellcheck disable=SC2086
expect 0 "check --repair makes it consistent" check --repair $G
# shellcheck disable=SC2086
expect 0 "and it stays so" check $G
mkfiles 8M g0 g1 g2
for f in g0 g1 g2; do
	head -c 8M /dev/urandom >"$T/$f"
done
# shellcheck disable=SC2086
expect 0 "create (zeroing) over random contents" create --force $G
# shellcheck disable=SC2086
expect 0 "checks clean" check $G

expect 1 "check with a member missing is refused" check "$T/m0" missing "$T/m2" "$T/m3" "$T/m4"
expect 2 "check with an unknown option" check --deep $M
expect 2 "check with no member" check
done_testing
