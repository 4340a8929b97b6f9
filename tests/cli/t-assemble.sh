#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Members given wrongly are refused, with a message, and nothing changes:
# wrong count, wrong order, a foreign member, a stale member, a truncated
# member, damaged superblocks.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

mkfiles 8M m0 m1 m2 m3 m4 o0 o1 o2 o3 o4
M=$(members m 5)
O=$(members o 5)
# shellcheck disable=SC2086
"$DDRAIDCTL" create --name vol $M >/dev/null
# shellcheck disable=SC2086
"$DDRAIDCTL" create --name other $O >/dev/null
size=$(jget "$T/m0" data_size)
random "$T/data" "$size"
# shellcheck disable=SC2086
"$DDRAIDCTL" import --input "$T/data" $M >/dev/null
want=$(sha "$T/data")
ALL="$M $O"
before=$(snap $ALL)

expect 1 "4 members of a 5-member volume" export --output "$T/x" "$T/m0" "$T/m1" "$T/m2" "$T/m3"
expect 1 "wrong order" export --output "$T/x" "$T/m0" "$T/m2" "$T/m1" "$T/m3" "$T/m4"
err_has "wrong order: message names a member" "$T/m[12]"
expect 1 "wrong order with import" import --input "$T/data" "$T/m0" "$T/m2" "$T/m1" "$T/m3" "$T/m4"
expect 1 "a foreign member" import --input "$T/data" "$T/m0" "$T/m1" "$T/o2" "$T/m3" "$T/m4"
err_has "foreign member: message names it" "$T/o2"
expect 1 "a file that is no member" import --input "$T/data" "$T/m0" "$T/m1" "$T/m2" "$T/m3" "$T/data"
expect 1 "two members missing" import --input "$T/data" "$T/m0" missing missing "$T/m3" "$T/m4"
unchanged "wrong count, order, foreign member, two missing" "$before" $ALL

# ---- a truncated member ----
cp "$T/m3" "$T/m3.full"
truncate -s 4M "$T/m3"
tbefore=$(snap $ALL)
expect 1 "a truncated member" import --input "$T/data" $M
err_has "truncated: message names it" "$T/m3"
unchanged "truncated member" "$tbefore" $ALL
mv "$T/m3.full" "$T/m3"

# ---- damaged superblocks ----
cp "$T/m1" "$T/m1.good"
printf 'XX' | dd of="$T/m1" bs=1 seek=$((4096 + 200)) conv=notrunc 2>/dev/null
expect 0 "examine with copy 0 damaged" examine "$T/m1"
out_has "examine says 1 valid copy" "superblock copies: 1 of 2 valid"
err_has "warning names copy 0" "warning: $T/m1: superblock copy 0 \(byte 4096\)"
t "examine --json says valid_copies 1" [ "$(jget "$T/m1" valid_copies)" = 1 ]
# shellcheck disable=SC2086
t "the volume still exports correctly" \
	[ "$("$DDRAIDCTL" export $M 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$want" ]
printf 'XX' | dd of="$T/m1" bs=1 seek=$((8192 + 200)) conv=notrunc 2>/dev/null
dbefore=$(snap $ALL)
expect 1 "examine with both copies damaged" examine "$T/m1"
err_has "message names both copies" "copy 0 \(byte 4096\).*copy 1 \(byte 8192\)"
expect 1 "import with a member whose copies are both damaged" import --input "$T/data" $M
unchanged "both copies damaged" "$dbefore" $ALL
mv "$T/m1.good" "$T/m1"

# ---- a stale member: written while it was missing ----
random "$T/new" 1048576
expect 0 "degraded import with member 2 missing" import --input "$T/new" "$T/m0" "$T/m1" missing "$T/m3" "$T/m4"
err_has "import warns that member 2 is on record as failed" "warning: member 2 was not written and is on record as failed"
t "events went up on the survivors" [ "$(jget "$T/m0" events)" -gt "$(jget "$T/m2" events)" ]
cp "$T/data" "$T/expect"
dd if="$T/new" of="$T/expect" conv=notrunc 2>/dev/null
stale=$(sha "$T/m2")
# shellcheck disable=SC2086
expect 0 "with the stale member given, the volume assembles without it" export --output "$T/x" $M
err_has "a warning names the stale member" "warning: member 2 \($T/m2\) is recorded failed \(stale\): not used"
t "the stale member is not read: export has the degraded write" [ "$(sha "$T/x")" = "$(sha "$T/expect")" ]
random "$T/new2" 8192
# shellcheck disable=SC2086
expect 0 "import with the stale member given" import --input "$T/new2" $M
t "the stale member is not written" [ "$(sha "$T/m2")" = "$stale" ]
dd if="$T/new2" of="$T/expect" conv=notrunc 2>/dev/null
t "the degraded write is readable without the stale member" \
	[ "$("$DDRAIDCTL" export "$T/m0" "$T/m1" missing "$T/m3" "$T/m4" 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$(sha "$T/expect")" ]

# A member whose events are behind but that no superblock records failed
# (an old copy put back after a rebuild bumped the events) is refused.
mkfiles 8M new
expect 0 "rebuild member 2" rebuild --offline --member 2 --new "$T/new" "$T/m0" "$T/m1" missing "$T/m3" "$T/m4"
mv "$T/new" "$T/m2"
cp "$T/m0" "$T/m0.now"
mkfiles 8M new
expect 0 "rebuild member 3" rebuild --offline --member 3 --new "$T/new" "$T/m0" "$T/m1" "$T/m2" missing "$T/m4"
mv "$T/new" "$T/m3"
cp "$T/m0" "$T/m0.after"
mv "$T/m0.now" "$T/m0"
sbefore=$(snap $M)
# shellcheck disable=SC2086
expect 1 "an old copy of member 0 is refused as stale" export --output "$T/x" $M
err_has "message names it and says stale" "member 0 \($T/m0\) is stale"
# shellcheck disable=SC2086
expect 1 "and by import" import --input "$T/new2" $M
unchanged "stale member refused" "$sbefore" $M
mv "$T/m0.after" "$T/m0"
expect 2 "examine with no member" examine
expect 2 "examine with two members" examine "$T/m0" "$T/m1"
expect 1 "examine of a file with no superblock" examine "$T/data"
err_has "no superblock message" "$T/data: no ddraid superblock"
done_testing
