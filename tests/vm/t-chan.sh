#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=400 needs=module,ddraidctl
#
# The kernel <-> daemon channel (docs/kernel-channel.md) and the target's
# cluster mode. tests/vm/chan-test.c, built here from the host tree, plays
# a scripted ddraidd over /dev/ddraid: writes wait for GRANT, IDLE, LOCK
# waiting for a write in flight (member 1 suspended), FREEZE, a daemon
# that goes and comes back (HELD list, GRANT_REQ again), MEMBER_ERROR
# with the write held until COMMIT_FAIL (member 2 switched to dm-error),
# bad messages refused with nothing changed, a second daemon refused,
# POLLHUP when the table goes. This script checks the device node, who
# may open it, and the table's mode option.

. "$(dirname "$0")/lib.sh"
vm_need_build
vm_load_module

NAME=chanvol
CT=/tmp/chan-test
check "build chan-test" cc -O2 -Wall -Wextra -Werror -I"$VM_SRCDIR/common" \
	-o "$CT" "$VM_SRCDIR/tests/vm/chan-test.c" \
	"$VM_SRCDIR/common/ddraid_chan.c" -lpthread
[ -x "$CT" ] || bail "no chan-test"

check "/dev/ddraid exists, a character device" test -c /dev/ddraid
check "/dev/ddraid has mode 0600" test "$(stat -c %a /dev/ddraid)" = 600
check "root opens /dev/ddraid" "$CT" open
# Not root: the mode refuses (EACCES); root without CAP_SYS_ADMIN: EPERM.
setpriv --reuid=65534 --regid=65534 --clear-groups "$CT" open >&2
check "an unprivileged user cannot open it (EACCES)" test $? = 13
setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$CT" open >&2
check "root without CAP_SYS_ADMIN cannot open it (EPERM)" test $? = 1

linear_over m1 /dev/vdb || bail "dm-linear over /dev/vdb"
linear_over m2 /dev/vdc || bail "dm-linear over /dev/vdc"
devs=(/dev/vda /dev/mapper/m1 /dev/mapper/m2)
"$DDRAIDCTL" create --name "$NAME" --region-size 1M --assume-clean \
	"${devs[@]}" >&2 || bail "create"
regions=$(examine_field /dev/vda regions)
rsize=$(examine_field /dev/vda region_size)
diag "regions $regions of $rsize bytes"

# The mode word: exactly one of standalone and cluster.
line=$(vol_table "${devs[@]}")
base=${line% 1 standalone}
check_fails "a table with standalone and cluster is refused" \
	dmsetup create bad --table "$base 2 standalone cluster"
check_fails "a table with neither is refused" \
	dmsetup create bad --table "$base 1 verify"
check_fails "a table with cluster twice is refused" \
	dmsetup create bad --table "$base 2 cluster cluster"
check "the refusal says why" \
	grep -q "Give exactly one of standalone and cluster" <(dmesg)

check "ddraidctl assemble --cluster" \
	"$DDRAIDCTL" assemble --name "$NAME" --cluster "${devs[@]}"
check "the table says cluster" \
	grep -q " 1 cluster$" <(dmsetup table "$NAME")
check "status: cluster detached, frozen until a daemon thaws it" \
	grep -q " cluster detached 0 0 0 0 0 frozen$" <(dmsetup status "$NAME")
diag "status: $(dmsetup status "$NAME")"

echo 600000 >/sys/module/dm_ddraid/parameters/idle_ms ||
	bail "set idle_ms"
# The scripted daemon expects exactly the GRANT_REQs of the writes it
# makes: no prefetched ones (prefetch_grants is on by default).
echo 0 >/sys/module/dm_ddraid/parameters/prefetch_grants ||
	bail "set prefetch_grants"
"$CT" run "$NAME" m1 m2 "$regions" "$rsize" \
	"$(examine_field /dev/vda data_offset)" || tap_failed=1
dmsetup info "$NAME" >/dev/null 2>&1 && dmsetup remove "$NAME"
dmsetup remove m1
dmsetup remove m2
check "module unloads" rmmod dm_ddraid
finish
