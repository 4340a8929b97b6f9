#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# An interrupted create leaves nothing that assembles: neither the new
# volume nor the old one it was replacing. The failure is injected with
# strace (an I/O error on a flush) at the point between zeroing the members
# and writing their superblocks, and while the superblocks are written.
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

if ! command -v strace >/dev/null 2>&1 ||
   ! strace -o /dev/null -e trace=none true 2>/dev/null; then
	echo "ok 1 # SKIP strace is missing or cannot trace here"
	echo "1..1"
	exit 0
fi

mkfiles 8M m0 m1 m2 m3 m4
M=$(members m 5)
# shellcheck disable=SC2086
"$DDRAIDCTL" create --name old $M >/dev/null
random "$T/data" 1048576
# shellcheck disable=SC2086
"$DDRAIDCTL" import --input "$T/data" $M >/dev/null

# inject N: create --force with the Nth fdatasync failing. Five flushes
# follow the zeroing (one per member); each superblock write then flushes
# after each of its two copies.
inject() {
	# shellcheck disable=SC2086
	strace -o /dev/null -e trace=fdatasync \
		-e inject=fdatasync:error=EIO:when="$1" \
		"$DDRAIDCTL" create --force --name new $M >"$T/out" 2>"$T/err"
	rc=$?
}

inject 1
t "create fails when the flush after zeroing fails" [ "$rc" = 1 ]
err_has "the message names the member and the error" "$T/m0: flush: Input/output error"
nosb=0
for m in $M; do
	"$DDRAIDCTL" examine "$m" >/dev/null 2>&1 || nosb=$((nosb + 1))
done
t "no member has a superblock (old or new)" [ "$nosb" = 5 ]
# shellcheck disable=SC2086
expect 1 "nothing assembles" export --output "$T/x" $M
expect 1 "nothing assembles with a member left out either" export --output "$T/x" \
	missing "$T/m1" "$T/m2" "$T/m3" "$T/m4"

# Fail during the superblock writes: member 0 got its superblock, member 1
# only its first copy.
inject 8
t "create fails while writing superblocks" [ "$rc" = 1 ]
t "member 0 has the new superblock" [ "$(jget "$T/m0" name)" = new ]
nosb=0
for m in "$T/m2" "$T/m3" "$T/m4"; do
	"$DDRAIDCTL" examine "$m" >/dev/null 2>&1 || nosb=$((nosb + 1))
done
t "members 2-4 have none" [ "$nosb" = 3 ]
# shellcheck disable=SC2086
expect 1 "the half-made volume does not assemble" export --output "$T/x" $M
err_has "the message names a member without a superblock" "holds no ddraid superblock"
# shellcheck disable=SC2086
expect 0 "a create that runs to the end makes a volume" create --force --name new $M
# shellcheck disable=SC2086
expect 0 "which checks clean" check $M
done_testing
