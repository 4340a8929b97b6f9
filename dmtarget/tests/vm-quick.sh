#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The dm-ddraid target inside a VM, on N members (dm-linear over the
# virtio disks, so that a member can be switched to "error"). TAP output.
#
#   tests/vm/vm-run --disks N --disk-size 128M --env DDRAID_BUILD=BUILD \
#       --out OUT dmtarget/tests/vm-quick.sh N
#   dmtarget/tests/vm-quick.sh --host OUT N     (checks the member images)
#
# Covers: ctr refusals, data by sha256 (1 MiB, 4 KiB, unaligned buffers),
# userspace check/export of what the kernel wrote, fio verify at iodepth
# 16, a real member IO error (reconstructing reads, degraded writes, the
# failure recorded in the superblocks), a stale member refused, two
# failed members -> EIO, mkfs.ext4 + fsck, stop, rmmod.
if [ "${1:-}" = --host ]; then n=${3:-5}; else n=${1:-5}; fi
D=${DDRAID_BUILD:?}/tools/ddraidctl
export DM_DISABLE_UDEV=1
t=0
ok() { t=$((t + 1)); echo "ok $t - $*"; }
no() { t=$((t + 1)); echo "not ok $t - $*"; fail=1; }
chk() { local d=$1; shift; if "$@" >&2; then ok "$d"; else no "$d"; fi; }
chk_fails() { local d=$1; shift; if "$@" >&2; then no "$d"; else ok "$d"; fi; }
sha() { sha256sum | cut -d' ' -f1; }
done_tap() { echo "1..$t"; exit ${fail:-0}; }

if [ "$1" = --host ]; then
	out=$2
	imgs=()
	for ((i = 0; i < n; i++)); do imgs+=("$out/disk$i.img"); done
	chk "host: ddraidctl check of the member images" "$D" check "${imgs[@]}"
	got=$("$D" export "${imgs[@]}" | head -c $((64 << 20)) | sha)
	chk "host: export equals what the VM wrote" \
		test "$got" = "$(cat "$out/share/ext4.sha256")"
	done_tap
fi

KO=$(dirname "$0")/../dm-ddraid.ko
modprobe -a dm-mod xor libcrc32c loop
chk "insmod" insmod "$KO"
devs=()
for ((i = 0; i < n; i++)); do
	v=/dev/vd$(echo abcdefghi | cut -c$((i + 1)))
	dmsetup create m$i --table "0 $(blockdev --getsz $v) linear $v 0"
	devs+=(/dev/mapper/m$i)
done
fail_linear() {
	dmsetup suspend m$1 && dmsetup load m$1 --table \
		"0 $(blockdev --getsz /dev/mapper/m$1) error" && dmsetup resume m$1
}
heal_linear() {
	local v=/dev/vd$(echo abcdefghi | cut -c$(($1 + 1)))
	dmsetup suspend m$1 && dmsetup load m$1 --table \
		"0 $(blockdev --getsz $v) linear $v 0" && dmsetup resume m$1
}

chk "create $n members" "$D" create --name q --assume-clean "${devs[@]}"
tab=$("$D" table "${devs[@]}")
echo "$tab" >&2
chk "table of members in reverse order is the same" \
	test "$("$D" table $(printf '%s\n' "${devs[@]}" | tac))" = "$tab"
set -- $tab
len=$2
mm=()
for ((i = 0; i < n; i++)); do mm+=("${@:$((5 + i)):1}"); done
swapped="$1 $2 ddraid $n ${mm[1]} ${mm[0]} ${mm[*]:2} 1 standalone"
chk_fails "refused: members swapped" dmsetup create bad --table "$swapped"
chk_fails "refused: length off by 8 sectors" dmsetup create bad \
	--table "0 $((len - 8)) ddraid $n ${mm[*]} 1 standalone"
chk_fails "refused: no standalone option" dmsetup create bad \
	--table "0 $len ddraid $n ${mm[*]} 0"
chk_fails "refused: unknown option" dmsetup create bad \
	--table "0 $len ddraid $n ${mm[*]} 2 standalone fast"
chk_fails "refused: two members missing" dmsetup create bad \
	--table "0 $len ddraid $n - - ${mm[*]:2} 1 standalone"
chk_fails "refused: member count 4" dmsetup create bad \
	--table "0 $len ddraid 4 ${mm[*]:0:4} 1 standalone"
majmin() { printf '%d:%d' 0x$(stat -L -c %t "$1") 0x$(stat -L -c %T "$1"); }
# Member 0 of another volume (on loop devices) in place of member 0.
fl=()
for ((i = 0; i < n; i++)); do
	truncate -s 8M /tmp/foreign$i
	fl+=("$(losetup -f --show /tmp/foreign$i)")
done
"$D" create --name other --assume-clean "${fl[@]}" >&2
fm=$(majmin "${fl[0]}")
chk_fails "refused: a member of another volume" dmsetup create bad \
	--table "0 $len ddraid $n $fm ${mm[*]:1} 1 standalone"
truncate -s 8M /tmp/empty
el=$(losetup -f --show /tmp/empty)
em=$(majmin "$el")
chk_fails "refused: a device without superblock" dmsetup create bad \
	--table "0 $len ddraid $n ${mm[*]:0:$((n - 1))} $em 1 standalone"
# Member 0's superblocks on a device with 4096-byte logical blocks: it
# cannot hold fragments smaller than 4096 (every n but 2).
truncate -s "$(blockdev --getsize64 ${devs[0]})" /tmp/m0-4k
dd if=${devs[0]} of=/tmp/m0-4k bs=64k count=16 conv=notrunc status=none
kl=$(losetup -b 4096 -f --show /tmp/m0-4k)
km=$(majmin "$kl")
if [ "$n" -gt 2 ]; then
	chk_fails "refused: member with 4096-byte logical blocks" dmsetup create \
		bad --table "0 $len ddraid $n $km ${mm[*]:1} 1 standalone"
	chk "reason: logical block size" sh -c "dmesg | tail -3 | grep -q 'does not divide the fragment size'"
else
	chk "a mirror accepts 4096-byte logical blocks" dmsetup create bad \
		--table "0 $len ddraid $n $km ${mm[*]:1} 1 standalone"
	dmsetup remove bad
fi
for l in "${fl[@]}" "$el" "$kl"; do losetup -d "$l"; done
rm -f /tmp/m0-4k
dmesg | grep -E 'device-mapper: (table|ddraid)' | tail -12 >&2

chk "assemble" "$D" assemble --name q "${devs[@]}"
dm=/dev/mapper/q
dmsetup table q >&2
chk "logical block size 4096" test "$(blockdev --getss $dm)" = 4096
chk "physical block size 4096" test "$(blockdev --getpbsz $dm)" = 4096
chk "volume size from the superblock" test "$(blockdev --getsz $dm)" = "$len"
chk_fails "512-byte direct write refused" \
	dd if=/dev/zero of=$dm bs=512 count=1 oflag=direct status=none
mb=32
head -c $((mb << 20)) /dev/urandom >/tmp/r
want=$(sha </tmp/r)
chk "write $mb MiB, 1 MiB direct" dd if=/tmp/r of=$dm bs=1M oflag=direct status=none
got=$(dd if=$dm bs=1M count=$mb iflag=direct status=none | sha)
chk "read back, 1 MiB direct" test "$got" = "$want"
got=$(dd if=$dm bs=4k count=$((mb * 256)) iflag=direct status=none | sha)
chk "read back, 4 KiB direct" test "$got" = "$want"
# Buffers at 512 bytes into a page: every block straddles two pages.
rw_odd() {
	python3 -c "
import mmap, os, hashlib, sys
mode, path, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(path, (os.O_RDWR if mode == 'w' else os.O_RDONLY) | os.O_DIRECT)
m = mmap.mmap(-1, (1 << 20) + 4096)
v = memoryview(m)[512:512 + (1 << 20)]
src = open('/tmp/r', 'rb')
h = hashlib.sha256()
for i in range(mb):
    if mode == 'w':
        v[:] = src.read(1 << 20)
        assert os.pwritev(fd, [v], i << 20) == 1 << 20
    else:
        assert os.preadv(fd, [v], i << 20) == 1 << 20
        h.update(v)
print(h.hexdigest())
" "$@"
}
chk "write with unaligned buffers" rw_odd w $dm $mb
chk "read with unaligned buffers" test "$(rw_odd r $dm $mb)" = "$want"
chk "stop" "$D" stop q
chk "userspace check of what the kernel wrote" "$D" check "${devs[@]}"
got=$("$D" export "${devs[@]}" | head -c $((mb << 20)) | sha)
chk "userspace export equals" test "$got" = "$want"

"$D" assemble --name q "${devs[@]}" >&2
chk "fio verify, randwrite iodepth 16" fio --name=v --filename=$dm \
	--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
	--bsrange=4k-256k --offset=$((mb << 20)) --size=16M \
	--verify=crc32c --verify_fatal=1 --do_verify=1
chk "fio verify, readwrite mix" fio --name=v2 --filename=$dm \
	--direct=1 --ioengine=libaio --iodepth=8 --rw=randrw --bs=8k \
	--offset=$((mb << 20)) --size=8M --verify=md5 --verify_fatal=1

# Four writers hammering one 1 MiB range with overlapping IOs: the target
# must keep every block's parity matching its data.
chk "fio: 4 jobs of overlapping writes" fio --name=ov --filename=$dm \
	--direct=1 --ioengine=libaio --iodepth=16 --numjobs=4 --rw=randwrite \
	--bsrange=4k-128k --offset=$(((mb + 16) << 20)) --size=1M \
	--io_size=8M --randrepeat=0
chk "stop" "$D" stop q
chk "userspace check: parity consistent after overlapping writes" \
	"$D" check "${devs[@]}"
chk "assemble again" "$D" assemble --name q "${devs[@]}"

# A real IO error under member 0 (a data member for every n).
fail_linear 0
echo 3 >/proc/sys/vm/drop_caches
got=$(dd if=$dm bs=1M count=$mb iflag=direct status=none | sha)
chk "reads after member 0 starts failing" test "$got" = "$want"
st=$(dmsetup status q); echo "$st" >&2
chk "status: member 0 D, degraded" sh -c "echo '$st' | grep -q ' DA* degraded '"
chk "status: member errors counted" sh -c "echo '$st' | awk '{ exit !(\$10 > 0) }'"
head -c $((4 << 20)) /dev/urandom >/tmp/w
chk "degraded write" dd if=/tmp/w of=$dm bs=64k seek=16 oflag=direct \
	conv=notrunc status=none
dd if=/tmp/w of=/tmp/r bs=64k seek=16 conv=notrunc status=none
want=$(sha </tmp/r)
got=$(dd if=$dm bs=1M count=$mb iflag=direct status=none | sha)
chk "read after degraded write" test "$got" = "$want"
chk "stop (degraded)" "$D" stop q
heal_linear 0
chk "superblock of member 1 records member 0 failed" sh -c \
	"'$D' examine --json ${devs[1]} | tr -d ' \n' | grep -q '\"index\":0,\"state\":\"failed\"'"
tab=$("$D" table "${devs[@]}")
echo "$tab" >&2
chk "table leaves the stale member out" sh -c "echo '$tab' | grep -q \"ddraid $n - ${mm[1]} \""
chk_fails "kernel refuses the stale member" dmsetup create bad \
	--table "0 $len ddraid $n ${mm[*]} 1 standalone"
dmesg | grep 'device-mapper: table' | tail -1 >&2
chk "assemble degraded" "$D" assemble --name q "${devs[@]}"
got=$(dd if=$dm bs=1M count=$mb iflag=direct status=none | sha)
chk "degraded volume reads the data" test "$got" = "$want"
chk "fail member 1 too (message)" dmsetup message q 0 fail 1
dmsetup status q >&2
chk_fails "two failed: read fails" dd if=$dm of=/dev/null bs=4k count=1 \
	iflag=direct status=none
chk_fails "two failed: write fails" dd if=/tmp/w of=$dm bs=4k count=1 \
	oflag=direct conv=notrunc status=none
chk "stop" "$D" stop q

# A fresh volume with ext4, with parity verification on reads.
chk "create again (--force)" "$D" create --force --name q "${devs[@]}"
chk "assemble --verify" "$D" assemble --verify --name q "${devs[@]}"
dmsetup table q >&2
chk "mkfs.ext4" mkfs.ext4 -q -F $dm
mkdir -p /mnt/q
chk "mount" mount $dm /mnt/q
(cd /usr/bin && find . -type f -size -2M | sort | head -300) >/tmp/files
mkdir /mnt/q/bin
chk "copy 300 files" sh -c "cd /usr/bin && tar cf - -T /tmp/files | tar xf - -C /mnt/q/bin"
(cd /usr/bin && xargs cat </tmp/files | sha) >/tmp/src.sha
chk "umount" umount /mnt/q
echo 3 >/proc/sys/vm/drop_caches
chk "fsck -fn" fsck.ext4 -fn $dm
mount $dm /mnt/q
chk "files read back (verify mode)" test \
	"$(cd /mnt/q/bin && xargs cat </tmp/files | sha)" = "$(cat /tmp/src.sha)"
umount /mnt/q
st=$(dmsetup status q); echo "$st" >&2
chk "no verify mismatches" sh -c "echo '$st' | awk '{ exit !(\$11 == 0) }'"
dd if=$dm bs=1M count=64 status=none | sha >"${VM_SHARE:-/tmp}/ext4.sha256"
chk "stop" "$D" stop q
chk "userspace check after ext4" "$D" check "${devs[@]}"

# Damage the parity of volume block 1 (ext4's superblock lives in block 0,
# block 1 holds group descriptors): verify must refuse to return it.
doff=$("$D" examine --json ${devs[0]} | sed -n 's/.*"data_offset": *\([0-9]*\).*/\1/p')
frag=$("$D" examine --json ${devs[0]} | sed -n 's/.*"fragment_size": *\([0-9]*\).*/\1/p')
printf 'XXXXXXXX' | dd of=${devs[$((n - 1))]} bs=1 seek=$((doff + frag)) \
	conv=notrunc status=none
chk_fails "userspace check sees the damaged parity" "$D" check "${devs[@]}"
"$D" assemble --verify --name q "${devs[@]}" >&2
chk_fails "verify: reading the damaged block fails" dd if=$dm of=/dev/null \
	bs=4k skip=1 count=1 iflag=direct status=none
chk "verify: block 0 still reads" dd if=$dm of=/dev/null bs=4k count=1 \
	iflag=direct status=none
st=$(dmsetup status q); echo "$st" >&2
chk "status counts the mismatch" sh -c "echo '$st' | awk '{ exit !(\$11 >= 1) }'"
chk "status: no member failed by a mismatch" sh -c "echo '$st' | grep -q ' A* ok '"
"$D" stop q
chk "check --repair fixes it" "$D" check --repair "${devs[@]}"
chk "userspace check clean again" "$D" check "${devs[@]}"
for ((i = 0; i < n; i++)); do dmsetup remove m$i; done
chk "rmmod" rmmod dm_ddraid
dmesg | grep -iE 'ddraid|BUG|WARN' >&2
done_tap
