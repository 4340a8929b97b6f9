#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=6 size=32M timeout=400 needs=module,ddraidctl
#
# A file system on the target: mkfs.ext4, copy a file tree from the host
# root, unmount, fsck -fn, mount again and compare every file's checksum;
# the members' parity checks afterwards. Then tables that do not describe
# the volume (wrong member count, wrong order, a foreign disk, a length
# that is not the volume's, a target starting 512 bytes into the device)
# are refused, with the reason in the kernel log, and change no byte of the
# members. Finally the module unloads cleanly.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=vmfs
dm=/dev/mapper/$NAME
mapfile -t devs < <(vm_disks 5)
foreign=$(vm_disk 5)

"$DDRAIDCTL" create --name "$NAME" --assume-clean "${devs[@]}" >&2 ||
	bail "create"
vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble"
[ -b "$dm" ] || bail "$dm does not exist after assemble"

check "mkfs.ext4" mkfs.ext4 -q -F -b 4096 "$dm"
mkdir -p /mnt/fs
check "mount" mount -t ext4 "$dm" /mnt/fs

# A file tree of the host: about 20 MiB of /usr/share/doc and /usr/include.
src=/tmp/srclist
(cd / && find usr/share/doc usr/include/linux -type f -size -2M 2>/dev/null |
	sort | head -n 3000) >"$src"
copy_tree() {
	tar -C / -cf - --files-from="$src" | tar -C /mnt/fs -xf -
}
check "copy $(wc -l <"$src") files into the file system" copy_tree
(cd / && xargs -d '\n' sha256sum <"$src") >/tmp/sums
diag "$(du -sh /mnt/fs | cut -f1) copied"
check "unmount" umount /mnt/fs
check "fsck -fn is clean" fsck.ext4 -fn "$dm"
drop_caches
check "mount again" mount -t ext4 -o ro "$dm" /mnt/fs
check "every file's checksum matches after remount" \
	sh -c "cd /mnt/fs && sha256sum --quiet -c /tmp/sums"
check "unmount again" umount /mnt/fs
check "stop" vol_stop "$NAME"
check "ddraidctl check: parity consistent after the file system" \
	"$DDRAIDCTL" check "${devs[@]}"

# --- bad tables ---------------------------------------------------------

member_sums() {
	local d
	for d in "${devs[@]}"; do
		sha256sum <"$d"
	done
}
before=$(member_sums)
good=$(vol_table "${devs[@]}") || bail "no table line"
read -r _ len _ _ a b c d e rest <<<"$good"
diag "good table: $good"

# refused DESC EXPECT TABLE: dmsetup create must fail and the kernel log
# must say why (EXPECT, a regular expression).
refused() {
	local desc=$1 expect=$2 table=$3 lines
	lines=$(dmesg | wc -l)
	if dmsetup create bad --table "$table" >&2 2>&1; then
		not_ok "$desc: table accepted: $table"
		dmsetup remove bad
		return
	fi
	if dmesg | tail -n +$((lines + 1)) | grep -Eq "$expect"; then
		ok "$desc: refused, kernel log says why"
	else
		not_ok "$desc: refused but no '$expect' in the kernel log"
		dmesg | tail -n +$((lines + 1)) >&2
	fi
	check "$desc: no device left behind" test ! -e /dev/mapper/bad
}

refused "3 of 5 members" "ddraid.*[Mm]ember count" \
	"0 $len ddraid 3 $a $b $c 1 standalone"
refused "member count 4" "ddraid.*[Ii]nvalid member count" \
	"0 $len ddraid 4 $a $b $c $d 1 standalone"
refused "members 1 and 2 swapped" "ddraid.*wrong position" \
	"0 $len ddraid 5 $a $c $b $d $e 1 standalone"
refused "a foreign disk as member 4" "ddraid.*(superblock|[Mm]ember)" \
	"0 $len ddraid 5 $a $b $c $d $foreign 1 standalone"
refused "two members missing" "ddraid.*missing" \
	"0 $len ddraid 5 - $b - $d $e 1 standalone"
refused "length 8 sectors short" "ddraid.*[Tt]able length" \
	"0 $((len - 8)) ddraid 5 $a $b $c $d $e 1 standalone"
refused "no standalone option" "ddraid.*(standalone|[Cc]luster)" \
	"0 $len ddraid 5 $a $b $c $d $e 0"
refused "an unknown option" "ddraid.*[Uu]nknown" \
	"0 $len ddraid 5 $a $b $c $d $e 2 standalone bogus"
refused "target 512 bytes into the device" "not aligned|misaligned|alignment" \
	"$(printf '0 1 zero\n1 %s ddraid 5 %s %s %s %s %s 1 standalone' \
		"$len" "$a" "$b" "$c" "$d" "$e")"
check "refused tables changed no byte of the members" \
	test "$(member_sums)" = "$before"

# --- clean unload ---------------------------------------------------------

vol_assemble "$NAME" "${devs[@]}" >&2 || bail "assemble again"
check "rmmod refused while the target is in use" \
	sh -c '! rmmod dm_ddraid 2>/dev/null'
check "remove" vol_stop "$NAME"
check "rmmod after remove" rmmod dm_ddraid
check "module gone" sh -c '! grep -q "^dm_ddraid " /proc/modules'
finish
