#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Prints one line: how much of this host's memory is available, and how much
# /dev/shm (RAM) holds. The VM tests print it, so that a VM starved by a
# host short of memory (soft lockups, timeouts) says so in the results.
awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
	END { printf "host: %d MiB of %d MiB available", a / 1024, t / 1024 }' /proc/meminfo
df -m --output=used /dev/shm 2>/dev/null | awk 'NR == 2 { printf ", /dev/shm holds %d MiB", $1 }'
echo
