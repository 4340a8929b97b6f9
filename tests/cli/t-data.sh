#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ddraidctl import and export: data checksums round trip on 2, 3, 5 and 9
# members, export with each member missing in turn, short and long input.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

# roundtrip N SIZE: create, import random data the size of the volume,
# export, compare; then export with each member missing in turn.
roundtrip() {
	_n=$1
	mkfiles "$2" $(i=0; while [ $i -lt "$_n" ]; do echo "r$i"; i=$((i + 1)); done)
	R=$(members r "$_n")
	# shellcheck disable=SC2086
	expect 0 "$_n members: create" create --name rt$_n $R
	size=$(jget "$T/r0" data_size)
	random "$T/data" "$size"
	want=$(sha "$T/data")
	# shellcheck disable=SC2086
	expect 0 "$_n members: import the whole volume" import --input "$T/data" $R
	out_has "$_n members: import says the whole volume" "imported $size bytes: the whole volume"
	# shellcheck disable=SC2086
	expect 0 "$_n members: export" export --output "$T/copy" $R
	t "$_n members: exported sha256 equals imported" [ "$(sha "$T/copy")" = "$want" ]
	before=$(snap $R)
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		_l=""
		_j=0
		for _m in $R; do
			if [ "$_j" = "$_i" ]; then _l="$_l missing"; else _l="$_l $_m"; fi
			_j=$((_j + 1))
		done
		# shellcheck disable=SC2086
		"$DDRAIDCTL" export $_l 2>"$T/err" | sha256sum | cut -d' ' -f1 >"$T/sum"
		t "$_n members: export with member $_i missing equals the data" \
			[ "$(cat "$T/sum")" = "$want" ]
		_i=$((_i + 1))
	done
	unchanged "$_n members: export" "$before" $R
}

roundtrip 5 8M
roundtrip 2 8M
roundtrip 3 8M
roundtrip 9 4M

# ---- stdin and stdout, and an input shorter than the volume ----
mkfiles 8M m0 m1 m2 m3 m4
M=$(members m 5)
# shellcheck disable=SC2086
"$DDRAIDCTL" create $M >/dev/null
size=$(jget "$T/m0" data_size)
random "$T/full" "$size"
# shellcheck disable=SC2086
cat "$T/full" | "$DDRAIDCTL" import $M >"$T/out" 2>"$T/err"
t "import from a pipe" [ $? = 0 ]
# shellcheck disable=SC2086
t "export to a pipe equals what was piped in" \
	[ "$("$DDRAIDCTL" export $M | sha256sum | cut -d' ' -f1)" = "$(sha "$T/full")" ]
short=$((3 * 1048576 + 100))
random "$T/short" "$short"
# shellcheck disable=SC2086
expect 0 "import a short file" import --input "$T/short" $M
out_has "import says how much it wrote" "imported $short bytes \(769 blocks\); input was shorter than the volume \($size bytes\)"
# shellcheck disable=SC2086
"$DDRAIDCTL" export --output "$T/copy" $M
t "the short input is at the start" cmp -s -n "$short" "$T/copy" "$T/short"
t "its last block is padded with zeros" cmp -s -n $((769 * 4096 - short)) -i "$short:0" "$T/copy" /dev/zero
t "the rest of the volume is unchanged" cmp -s -i $((769 * 4096)) "$T/copy" "$T/full"

# ---- an input longer than the volume ----
random "$T/long" $((size + 4096))
before=$(snap $M)
# shellcheck disable=SC2086
expect 1 "import of a file longer than the volume is refused" import --input "$T/long" $M
err_has "message gives both sizes" "$((size + 4096)) bytes do not fit in the volume \($size bytes\); nothing was written"
unchanged "import of a too long file" "$before" $M
# shellcheck disable=SC2086
cat "$T/long" | "$DDRAIDCTL" import $M >"$T/out" 2>"$T/err"
t "import of a too long pipe fails" [ $? = 1 ]
err_has "message says how much was written" "input is longer than the volume \($size bytes\); the first $size bytes were written"
expect 1 "import of a nonexistent file" import --input "$T/nope" $M
err_has "message names the file" "$T/nope: No such file"
expect 2 "import with no members" import --input "$T/short"
expect 2 "export with an unknown option" export --bogus $M
expect 2 "export --output without its argument" export $M --output
err_has "missing argument named" "option '--output' needs an argument"
# shellcheck disable=SC2086
expect 1 "export with two members missing is refused" export --output "$T/x" "$T/m0" missing missing "$T/m3" "$T/m4"
t "and the output file was not created" [ ! -e "$T/x" ]
before=$(snap $M)
# shellcheck disable=SC2086
expect 2 "export --output onto one of the members is refused" export --output "$T/m3" $M
err_has "message names the member" "$T/m3 is member 3 of the volume"
unchanged "export onto a member" "$before" $M
done_testing
