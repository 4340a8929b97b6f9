#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The transport commands' refusals that need no cluster and no kernel
# transport (ddraidctl(8), NODES' OWN DISKS): export-disk of something
# that is not a block device, create --nodes with DEVs or without --name,
# connect with a fence delay too short for NVMe/TCP's keep-alive, and
# (where nvmet cannot be loaded, as on a host without modules) connect
# naming the missing module with exit 5. Nothing is created or exported.
# The commands themselves run in the three-VM test (tests/vm/multi).
. "${TESTS_SRCDIR:-$(dirname "$0")/..}/cli/lib.sh"

mkfiles 16M m0 m1 m2

expect 2 "export-disk of a regular file" export-disk "$T/m0"
err_has "... says it is not a block device" "not a block device"
expect 2 "export-disk without DEV" export-disk
err_has "... says so" "no DEV given"
expect 2 "export-disk --remove with a DEV" export-disk --remove "$T/m0"
expect 2 "create --nodes with DEVs too" create --name v --nodes all "$T/m0" "$T/m1" "$T/m2"
err_has "... says why" "give no DEV too"
expect 2 "create --nodes without --name" create --nodes all
err_has "... says why" "needs --name"
expect 2 "connect --fence-delay 2" connect --fence-delay 2 vol0
err_has "... names the rule" "kato [+] fast_io_fail_tmo must stay below it"
expect 2 "connect --fence-delay 3601" connect --fence-delay 3601 vol0
expect 2 "connect with a bad volume name" connect a/b
expect 2 "connect without VOLUME" connect
expect 2 "disconnect without VOLUME" disconnect
expect 0 "disconnect of a volume nothing here belongs to" disconnect novol
t "... says there is nothing to do" grep -q "nothing to disconnect" "$T/out"
t "the files were not touched" [ -z "$(od -An -tx1 "$T/m0" | tr -d ' 0\n*')" ]

if [ -e /sys/module/nvmet ] || modprobe -n nvmet >/dev/null 2>&1; then
	ok "connect without nvmet: exit 5 # SKIP nvmet is loadable here"
else
	expect 5 "connect without the nvmet module: exit 5" connect vol0
	err_has "... names the module" "kernel module nvmet is not available"
fi
done_testing
