#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Members recognisable and erasable: examine --export (the KEY=value lines
# the udev rule imports) and erase (mdadm --zero-superblock), with every
# refusal leaving the devices as they were: no superblock, a member of a
# running volume (its ddraidd answering; held by a ddraid dm device; held
# open exclusively), another signature, bad arguments.
# (lib.sh's ctl sets rc)
# shellcheck disable=SC2154
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

SRC=${TESTS_SRCDIR:-$(dirname "$0")/..}
loops=""
server=""
holder=""
cleanup() {
	[ -z "$server" ] || kill "$server" 2>/dev/null
	[ -z "$holder" ] || kill "$holder" 2>/dev/null
	wait 2>/dev/null
	for _l in $loops; do losetup -d "$_l" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# exported KEY: its value in the last ctl's stdout.
exported() {
	sed -n "s/^$1=//p" "$T/out"
}

# ---- examine --export ----
mkfiles 8M m0 m1 m2
M=$(members m 3)
# shellcheck disable=SC2086
expect 0 "create a 3-member volume" create --name exp.vol $M
uuid=$(jget "$T/m0" uuid)
good=1
for i in 0 1 2; do
	ctl examine --export "$T/m$i"
	[ "$rc" = 0 ] || good=0
	[ "$(exported DDRAID_UUID)" = "$uuid" ] || good=0
	[ "$(exported DDRAID_NAME)" = exp.vol ] || good=0
	[ "$(exported DDRAID_MEMBER_INDEX)" = "$i" ] || good=0
	[ "$(exported DDRAID_MEMBERS)" = 3 ] || good=0
	[ "$(exported DDRAID_EVENTS)" = "$(jget "$T/m$i" events)" ] || good=0
	[ "$(exported DDRAID_STATE)" = active ] || good=0
	[ "$(exported ID_FS_TYPE)" = ddraid_member ] || good=0
	[ "$(exported ID_FS_USAGE)" = raid ] || good=0
	[ "$(exported ID_FS_UUID)" = "$uuid" ] || good=0
done
t "examine --export: uuid, name, index, count, events, state, ID_FS_* of each member" [ "$good" = 1 ]
t "the parity member says so" [ "$(exported DDRAID_ROLE)" = parity ]
t "every line is KEY=value with a udev-safe value" \
	sh -c "! grep -Ev '^[A-Z_]+=[A-Za-z0-9._+:-]*\$' '$T/out'"
t "no key twice" sh -c "[ \"\$(cut -d= -f1 '$T/out' | sort | uniq -d)\" = '' ]"

# The events move on the survivors when member 2 misses a write.
head -c 65536 /dev/urandom >"$T/data"
"$DDRAIDCTL" import --input "$T/data" "$T/m0" "$T/m1" missing >/dev/null 2>&1
ctl examine --export "$T/m0"
e0=$(exported DDRAID_EVENTS)
ctl examine --export "$T/m2"
e2=$(exported DDRAID_EVENTS)
te "a degraded write: the survivors' DDRAID_EVENTS ($e0) pass the missing member's ($e2)" \
	'[ "$e0" -gt "$e2" ]'

mkfiles 8M plain
expect 1 "examine --export of a file that is no member" examine --export "$T/plain"
t "... prints nothing on stdout (udev imports nothing)" [ ! -s "$T/out" ]
expect 2 "--json and --export together" examine --json --export "$T/m0"
err_has "... exclude each other" "--json and --export exclude each other"

# The udev rule imports exactly these properties.
RULE=$SRC/../udev/60-ddraid.rules.in
ctl examine --export "$T/m1"
missing_keys=""
for k in $(grep -o 'ENV{[A-Z_]*}' "$RULE" | sed 's/ENV{\(.*\)}/\1/' | sort -u); do
	case $k in DM_*) continue ;; esac
	grep -q "^$k=" "$T/out" || missing_keys="$missing_keys $k"
done
t "every property the udev rule uses is exported (missing:$missing_keys)" [ -z "$missing_keys" ]
t "the rule runs examine --export and makes the by-id link" \
	grep -q 'IMPORT{program}="@sbindir@/ddraidctl examine --export $devnode"' "$RULE"
t "... named ddraid-UUID-INDEX" \
	grep -q 'SYMLINK+="disk/by-id/ddraid-$env{DDRAID_UUID}-$env{DDRAID_MEMBER_INDEX}"' "$RULE"

# ---- erase ----
# What must survive an erase: everything but the superblock copies.
outside() {
	{ head -c 4096 "$1"; tail -c +12289 "$1"; } | sha256sum | cut -d' ' -f1
}
o1=$(outside "$T/m1")
expect 0 "erase a member" erase "$T/m1"
out_has "... saying what it was" "$T/m1: ddraid superblock erased \(volume 'exp.vol' uuid $uuid, member 1 of 3\)"
expect 1 "the erased member examines as no member" examine "$T/m1"
err_has "... no ddraid superblock" "no ddraid superblock"
t "both copies are zero" cmp -s -n 8192 -i 4096:0 "$T/m1" /dev/zero
t "the first 4 KiB, bitmaps and data are untouched" [ "$(outside "$T/m1")" = "$o1" ]
# shellcheck disable=SC2086
expect 1 "the volume no longer assembles with it" export --output "$T/x" $M

before=$(snap "$T/m1")
expect 1 "erase of a device without a ddraid superblock" erase "$T/m1"
err_has "... says there is nothing to erase" "$T/m1: no ddraid superblock .*nothing to erase"
expect 1 "... --force does not change that" erase --force "$T/m1"
unchanged "no superblock" "$before" "$T/m1"

# Several devices: one refusal and none is erased.
before=$(snap "$T/m0" "$T/plain")
expect 1 "erase of a member and a non-member" erase "$T/m0" "$T/plain"
err_has "... nothing was erased" "nothing was erased"
unchanged "one refused of two" "$before" "$T/m0" "$T/plain"
t "the member is still one" [ "$(jget "$T/m0" member_index)" = 0 ]
expect 2 "the same file twice" erase "$T/m0" "$T/../$(basename "$T")/m0"
expect 2 "'missing' is no device" erase missing
expect 2 "no device" erase
expect 1 "a device that does not exist" erase "$T/nope"
err_has "... named" "$T/nope: No such file"
expect 2 "an unknown option" erase --zero "$T/m0"
unchanged "bad arguments" "$before" "$T/m0" "$T/plain"

# One damaged copy: both erased. A copy without our magic is left alone.
mkfiles 8M d0 d1
"$DDRAIDCTL" create --assume-clean "$T/d0" "$T/d1" >/dev/null
printf 'XX' | dd of="$T/d0" bs=1 seek=$((4096 + 200)) conv=notrunc 2>/dev/null
expect 0 "erase a member with one damaged copy" erase "$T/d0"
t "... both copies zero" cmp -s -n 8192 -i 4096:0 "$T/d0" /dev/zero
head -c 4096 /dev/urandom | dd of="$T/d1" bs=4096 seek=1 conv=notrunc 2>/dev/null
c0=$(dd if="$T/d1" bs=4096 skip=1 count=1 2>/dev/null | sha256sum)
expect 0 "erase a member whose copy 0 is foreign bytes" erase "$T/d1"
t "... copy 1 zeroed" cmp -s -n 4096 -i 8192:0 "$T/d1" /dev/zero
t "... copy 0 (not ours) left as it was" \
	[ "$(dd if="$T/d1" bs=4096 skip=1 count=1 2>/dev/null | sha256sum)" = "$c0" ]

# Another signature: the ddraid superblock may be debris under it. mkswap
# writes only the first 4 KiB, which ddraid leaves alone.
if command -v mkswap >/dev/null 2>&1; then
	mkfiles 8M s0 s1
	"$DDRAIDCTL" create --assume-clean "$T/s0" "$T/s1" >/dev/null
	mkswap "$T/s0" >/dev/null 2>&1
	before=$(snap "$T/s0")
	expect 1 "erase of a member that also holds a swap signature" erase "$T/s0"
	err_has "... names it" "$T/s0 also holds a signature \(swap\)"
	unchanged "another signature" "$before" "$T/s0"
	expect 0 "... erased with --force" erase --force "$T/s0"
	err_has "... with a warning" "warning: .*also holds a signature \(swap\)"
	t "... the swap signature kept" sh -c "blkid -p '$T/s0' | grep -q swap"
else
	ok "another signature # SKIP no mkswap"
fi

# ---- a member of a running volume: its ddraidd answers ----
if command -v python3 >/dev/null 2>&1; then
	mkfiles 8M r0 r1
	"$DDRAIDCTL" create --name run1 "$T/r0" "$T/r1" >/dev/null
	ruuid=$(jget "$T/r0" uuid)
	export DDRAID_CTL_DIR="$T/ctl"
	mkdir -p "$DDRAID_CTL_DIR"
	printf '{"ok":true,"volume":"run1","uuid":"%s"}\n' "$ruuid" >"$T/reply"
	fake_ctl "$DDRAID_CTL_DIR/run1.sock" "$T/reply"
	server=$fake_ctl_pid
	before=$(snap "$T/r0" "$T/r1")
	expect 1 "erase of a member whose volume's ddraidd answers" erase "$T/r0"
	err_has "... says so" "$T/r0 \(volume 'run1' .*\): the volume's ddraidd answers on its control socket"
	unchanged "daemon answers" "$before" "$T/r0" "$T/r1"
	# A daemon of another volume that has the same name does not count.
	echo '{"ok":true,"volume":"run1","uuid":"00000000-0000-0000-0000-000000000000"}' >"$T/reply"
	expect 0 "a same-named daemon of another volume does not hold it" erase "$T/r0"
	printf '{"ok":true,"volume":"run1","uuid":"%s"}\n' "$ruuid" >"$T/reply"
	expect 0 "erase --force while the daemon answers" erase --force "$T/r1"
	err_has "... with a warning" "warning: .*ddraidd answers: erasing it anyway"
	unset DDRAID_CTL_DIR
else
	ok "daemon answers # SKIP no python3"
fi

# ---- block devices: held by a ddraid dm device; held exclusively ----
mkfiles 16M b0 b1
for i in 0 1; do
	l=$(losetup -f --show "$T/b$i" 2>/dev/null) || break
	loops="$loops $l"
done
# shellcheck disable=SC2086
set -- $loops
if [ $# != 2 ] || [ ! -b "$1" ] || ! command -v python3 >/dev/null 2>&1; then
	ok "block devices # SKIP cannot set up loop devices (or no python3)"
	done_testing
	exit 0
fi
"$DDRAIDCTL" create --name blk "$1" "$2" >/dev/null
majmin=$(printf '%d:%d' "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")")

# The holders as sysfs shows them ($DDRAID_SYSFS_DIR stands for /sys; this
# host's kernel has no device-mapper): dm-3 (a dm-flakey under the volume)
# held in turn by dm-7, ours.
S=$T/sys/dev/block/$majmin
mkdir -p "$S/holders/dm-3/dm" "$S/holders/dm-3/holders/dm-7/dm"
echo "" >"$S/holders/dm-3/dm/uuid"
echo flaky1 >"$S/holders/dm-3/dm/name"
echo "DDRAID-0123456789abcdef0123456789abcdef" >"$S/holders/dm-3/holders/dm-7/dm/uuid"
echo blkvol >"$S/holders/dm-3/holders/dm-7/dm/name"
before=$(snap "$T/b0")
DDRAID_SYSFS_DIR=$T/sys ctl erase "$1"
t "erase of a member held (through dm-flakey) by a ddraid dm device: exit 1" [ "$rc" = 1 ]
err_has "... naming the volume and how to stop it" "$1 is a member of the running volume /dev/mapper/blkvol: stop it first \(ddraidctl stop blkvol\)"
unchanged "held by a ddraid dm device" "$before" "$T/b0"
# Only a holder that is not ours: not a running ddraid volume.
rm -rf "$S/holders/dm-3/holders"
DDRAID_SYSFS_DIR=$T/sys ctl erase "$1"
t "a member held only by a dm device that is not ddraid's is no running member" \
	[ "$rc" = 0 ]
"$DDRAIDCTL" create --force --name blk "$1" "$2" >/dev/null

# Another program holds the device exclusively (as a mounted filesystem
# or a dm table would): the kernel refuses our exclusive open.
python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open(sys.argv[2], "w").close()
time.sleep(60)
' "$2" "$T/held" &
holder=$!
i=0
while [ ! -e "$T/held" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
before=$(snap "$T/b1")
expect 1 "erase of a member open exclusively elsewhere" erase "$2"
err_has "... in use" "$2 is in use"
unchanged "held exclusively" "$before" "$T/b1"
expect 0 "... erased with --force" erase --force "$2"
expect 1 "... and gone" examine "$2"
done_testing
