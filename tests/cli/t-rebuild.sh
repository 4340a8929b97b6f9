#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ddraidctl rebuild --offline: the rebuilt member's data area is
# byte-identical to the lost one's, the volume exports and checks clean,
# and wrong requests change nothing.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

mkfiles 8M m0 m1 m2 m3 m4
M=$(members m 5)
# shellcheck disable=SC2086
"$DDRAIDCTL" create $M >/dev/null
size=$(jget "$T/m0" data_size)
doff=$(jget "$T/m0" data_offset)
msize=$(jget "$T/m0" member_size)
random "$T/data" "$size"
want=$(sha "$T/data")
# shellcheck disable=SC2086
"$DDRAIDCTL" import --input "$T/data" $M >/dev/null

# same_data A B: the data areas of two members are byte-identical.
same_data() {
	cmp -s -n $((msize - doff)) -i "$doff:$doff" "$1" "$2"
}

for lost in 2 4 0; do
	mv "$T/m$lost" "$T/lost"
	mkfiles 8M new
	L=""
	for i in 0 1 2 3 4; do
		if [ $i = $lost ]; then L="$L missing"; else L="$L $T/m$i"; fi
	done
	# shellcheck disable=SC2086
	expect 0 "rebuild member $lost onto a new file" rebuild --offline --member $lost --new "$T/new" $L
	t "member $lost: rebuilt data area is identical to the lost one" same_data "$T/new" "$T/lost"
	t "member $lost: the new file says member $lost" [ "$(jget "$T/new" member_index)" = $lost ]
	mv "$T/new" "$T/m$lost"
	rm -f "$T/lost"
	# shellcheck disable=SC2086
	t "member $lost: export after rebuild equals the data" \
		[ "$("$DDRAIDCTL" export $M | sha256sum | cut -d' ' -f1)" = "$want" ]
	# shellcheck disable=SC2086
	expect 0 "member $lost: check after rebuild" check $M
done
# shellcheck disable=SC2086
"$DDRAIDCTL" examine --json "$T/m1" >"$T/j"
t "every member active after rebuilds" [ "$(grep -c '"state":"active"' "$T/j")" = 5 ]

# ---- refusals ----
mkfiles 8M new
mkfiles 4M tiny
before=$(snap $M "$T/new")
expect 2 "rebuild without --offline (the online form takes no --new)" rebuild --member 2 --new "$T/new" $M
expect 2 "rebuild without --member" rebuild --offline --new "$T/new" $M
expect 2 "rebuild without --new" rebuild --offline --member 2 $M
expect 2 "rebuild of member 5 of 5" rebuild --offline --member 5 --new "$T/new" $M
expect 2 "rebuild with --member x" rebuild --offline --member x --new "$T/new" $M
expect 2 "rebuild onto one of the members" rebuild --offline --member 2 --new "$T/m3" $M
err_has "message says why" "is member 3 of the volume"
expect 1 "rebuild with two members missing" rebuild --offline --member 2 --new "$T/new" \
	"$T/m0" missing missing "$T/m3" "$T/m4"
unchanged "rebuild refusals" "$before" $M "$T/new"
before=$(snap $M "$T/tiny")
expect 1 "rebuild onto a file too small" rebuild --offline --member 2 --new "$T/tiny" \
	"$T/m0" "$T/m1" missing "$T/m3" "$T/m4"
unchanged "rebuild onto a small file" "$before" $M "$T/tiny"
mkfiles 8M o0 o1 o2
"$DDRAIDCTL" create $(members o 3) >/dev/null
before=$(snap $M "$T/o1")
expect 1 "rebuild onto another volume's member" rebuild --offline --member 2 --new "$T/o1" \
	"$T/m0" "$T/m1" missing "$T/m3" "$T/m4"
err_has "message names the other volume's member" "$T/o1: holds a superblock of another volume"
unchanged "rebuild onto another volume's member" "$before" $M "$T/o1"
mkfiles 8M fs
mkfs.ext4 -q -F "$T/fs" >/dev/null 2>&1
before=$(snap $M "$T/fs")
expect 1 "rebuild onto an ext4 file" rebuild --offline --member 2 --new "$T/fs" \
	"$T/m0" "$T/m1" missing "$T/m3" "$T/m4"
err_has "message names the file and ext4" "$T/fs: holds a signature \(ext4\)"
unchanged "rebuild onto an ext4 file" "$before" $M "$T/fs"
expect 0 "rebuild --force onto the ext4 file" rebuild --force --offline --member 2 --new "$T/fs" \
	"$T/m0" "$T/m1" missing "$T/m3" "$T/m4"
t "the forced rebuild is byte-identical" same_data "$T/fs" "$T/m2"

# ---- no complete source: refused with the reason, nothing written ----
mkfiles 8M s0 s1 s2 s3 s4
S=$(members s 5)
# shellcheck disable=SC2086
"$DDRAIDCTL" create $S >/dev/null
random "$T/small" 8192
cp "$T/s2" "$T/s2.old"
# member 4 out, rebuilt, out again; an old copy of member 2 put back
"$DDRAIDCTL" import --input "$T/small" "$T/s0" "$T/s1" "$T/s2" "$T/s3" missing >/dev/null 2>&1
"$DDRAIDCTL" rebuild --offline --member 4 --new "$T/s4" "$T/s0" "$T/s1" "$T/s2" "$T/s3" missing >/dev/null
"$DDRAIDCTL" import --input "$T/small" "$T/s0" "$T/s1" "$T/s2" "$T/s3" missing >/dev/null 2>&1
cp "$T/s2" "$T/s2.good"
cp "$T/s2.old" "$T/s2"
mkfiles 8M new
before=$(snap $S "$T/new")
expect 1 "rebuild of member 4 while member 2 is stale" rebuild --offline --member 4 --new "$T/new" \
	"$T/s0" "$T/s1" "$T/s2" "$T/s3" missing
err_has "says the others are no complete source, and why" \
	"cannot rebuild member 4: the other members are no complete source: member 2 \($T/s2\) is stale"
expect 1 "rebuild of member 2 while member 4 is failed" rebuild --offline --member 2 --new "$T/new" \
	"$T/s0" "$T/s1" missing "$T/s3" "$T/s4"
err_has "says so" "cannot rebuild member 2: the other members are no complete source: more than one member missing or failed.*4 \($T/s4, failed\)"
unchanged "no complete source (stale member)" "$before" $S "$T/new"
cp "$T/s2.good" "$T/s2"
before2=$(snap $S "$T/new")
expect 1 "rebuild of member 1, in use, while member 4 is out" rebuild --offline --member 1 --new "$T/new" $S
err_has "says member 4 is out" "member 4 \($T/s4\) is out, so the others are no complete source; member 1 is in use: did you mean --member 4\?"
unchanged "no complete source (member in use)" "$before2" $S "$T/new"
done_testing
