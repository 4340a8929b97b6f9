#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ddraidctl create and examine: what is written, and every refusal (which
# must leave the members exactly as they were).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

# ---- happy path: 5 members ----
mkfiles 16M m0 m1 m2 m3 m4
M=$(members m 5)
# shellcheck disable=SC2086
expect 0 "create 5 members" create --name vol0 $M
out_has "create reports the volume" "created volume 'vol0' uuid [0-9a-f-]{36}: 5 members"
uuid=$(jget "$T/m0" uuid)
good=1
i=0
for m in $M; do
	[ "$(jget "$m" member_index)" = "$i" ] || good=0
	[ "$(jget "$m" uuid)" = "$uuid" ] || good=0
	[ "$(jget "$m" members)" = 5 ] || good=0
	[ "$(jget "$m" valid_copies)" = 2 ] || good=0
	i=$((i + 1))
done
t "every member has its index, the same uuid, 5 members, 2 good copies" [ "$good" = 1 ]
te "name and geometry in examine --json" '[ "$(jget "$T/m3" name)" = vol0 ] &&
	[ "$(jget "$T/m3" k)" = 2 ] && [ "$(jget "$T/m3" fragment_size)" = 1024 ] &&
	[ "$(jget "$T/m3" block_size)" = 4096 ] && [ "$(jget "$T/m3" events)" = 1 ]'
doff=$(jget "$T/m0" data_offset)
dsize=$(jget "$T/m0" data_size)
msize=$(jget "$T/m0" member_size)
te "data_size = 4 x (member_size - data_offset), all within 16 MiB" \
	'[ "$dsize" -eq $(((msize - doff) * 4)) ] && [ "$msize" -le 16777216 ] && [ "$dsize" -gt 0 ]'
for key in uuid name member_index members block_size fragment_size \
	data_offset data_size events k region_size regions update_seq \
	member_states slots_in_use valid_copies ctime utime; do
	"$DDRAIDCTL" examine --json "$T/m1" | grep -q "^  \"$key\":" || break
done
t "examine --json has every documented key (stopped at $key)" [ "$key" = utime ]
expect 0 "examine (human)" examine "$T/m4"
out_has "examine shows the member and its role" "member: 4 of 5 \(parity\)"
out_has "examine shows the copies" "superblock copies: 2 of 2 valid"
# The data area of a new volume is zero (it scrubs clean).
t "data areas are zero" cmp -s -n $((msize - doff)) -i "$doff:0" "$T/m2" /dev/zero

# ---- 2, 3 and 9 members; the smallest member sets the capacity ----
mkfiles 8M a0 a1
expect 0 "create a 2-member mirror" create $(members a 2)
te "mirror: k 0, fragment 4096" '[ "$(jget "$T/a1" k)" = 0 ] && [ "$(jget "$T/a1" fragment_size)" = 4096 ]'
mkfiles 8M b0 b1 b2 b3 b4 b5 b6 b7 b8
expect 0 "create 9 members" create --region-size 64K $(members b 9)
te "9 members: k 3, fragment 512, region 64 KiB" \
	'[ "$(jget "$T/b8" k)" = 3 ] && [ "$(jget "$T/b8" fragment_size)" = 512 ] && [ "$(jget "$T/b8" region_size)" = 65536 ]'
mkfiles 8M c0 c2
mkfiles 6M c1
expect 0 "create 3 members of different sizes" create $(members c 3)
te "capacity set by the smallest (6 MiB) member" \
	'[ "$(jget "$T/c0" member_size)" -le 6291456 ] &&
	 [ "$(jget "$T/c0" data_size)" -eq $((($(jget "$T/c0" member_size) - $(jget "$T/c0" data_offset)) * 2)) ]'

# ---- refusals: nothing may change ----
before=$(snap $M)
# shellcheck disable=SC2086
expect 1 "create over an existing ddraid member is refused" create $M
err_has "message names the member and what it holds" "^ddraidctl: create: $T/m0: holds a ddraid superblock \(volume 'vol0'"
unchanged "existing member" "$before" $M

mkfiles 16M e0 e1 e2
mkfs.ext4 -q -F "$T/e1" >/dev/null 2>&1
E=$(members e 3)
ebefore=$(snap $E)
# shellcheck disable=SC2086
expect 1 "create over an ext4 file is refused" create $E
err_has "message names the member and ext4" "$T/e1: holds a signature \(ext4\)"
unchanged "ext4 member" "$ebefore" $E
# shellcheck disable=SC2086
expect 0 "create --force over ext4" create --force $E
t "ext4 signature erased by --force" sh -c "! blkid -p '$T/e1' >/dev/null 2>&1"
t "member 1 is now a ddraid member" [ "$(jget "$T/e1" member_index)" = 1 ]

# shellcheck disable=SC2086
expect 0 "create --force over an existing volume" create --force --name vol1 $M
te "a new uuid" '[ "$(jget "$T/m0" uuid)" != "$uuid" ] && [ "$(jget "$T/m4" name)" = vol1 ]'
before=$(snap $M)

expect 2 "4 members are refused" create "$T/m0" "$T/m1" "$T/m2" "$T/m3"
err_has "message says which counts are allowed" "4 members given: a volume has 2, 3, 5 or 9"
expect 2 "1 member is refused" create "$T/m0"
expect 2 "no member is refused" create
expect 1 "the same file twice is refused" create --force "$T/m0" "$T/m1" "$T/m2" "$T/m3" "$T/m0"
err_has "message names the repeated member" "$T/m0: given twice"
expect 1 "the same file under another name is refused" \
	create --force "$T/m0" "$T/m1" "$T/m2" "$T/../$(basename "$T")/m1" "$T/m4"
expect 1 "'missing' is refused by create" create --force "$T/m0" missing "$T/m2"
expect 1 "a nonexistent member is refused" create --force "$T/m0" "$T/m1" "$T/nope"
err_has "message names the nonexistent member" "$T/nope: No such file"
# A bad name is a bad argument (exit 2, the option named); the rule
# itself is tested on many names in t-names.sh.
expect 2 "a name with '/' is refused" create --force --name a/b $M
err_has "the option and the rule named" "option '--name': 'a/b' is not a valid volume name: only letters"
expect 2 "a 64-byte name is refused" create --force \
	--name aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa $M
for sz in 3M 32K 2G abc "" -1 4X 99999999999999999999 1.5M; do
	expect 2 "region size '$sz' is refused" create --force --region-size "$sz" $M
done
err_has "bad size message names the option" "option '--region-size': '1.5M' is not a size"
expect 2 "region size not a power of two" create --force --region-size 96K $M
err_has "... saying so" "option '--region-size': '96K' is not a power of two from 64K to 1G"
mkfiles 1M small
expect 1 "a 1 MiB member is too small" create --force "$T/m0" "$T/small" "$T/m2"
err_has "message names the small member" "$T/small: too small"
expect 2 "unknown option" create --frobnicate $M
err_has "unknown option named" "unknown option '--frobnicate'"
expect 2 "missing option argument" create $M --name
err_has "missing argument named" "option '--name' needs an argument"
# An ext4 member in the middle: the members before it were not touched.
mkfs.ext4 -q -F "$T/m3" >/dev/null 2>&1
before=$(snap $M)
# shellcheck disable=SC2086
expect 1 "a volume with one ext4 member is refused" create $M
unchanged "refused at member 3" "$before" $M
expect 2 "unknown command" frobnicate
for c in create examine export import check rebuild table assemble stop; do
	expect 0 "$c --help" "$c" --help
done
expect 0 "--help" --help
done_testing
