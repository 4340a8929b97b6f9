#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Installs every Debian 12 package ddraid needs to build, test and demonstrate.
# Idempotent: packages already present are skipped by dpkg, so a second run is quick.
set -eu

BUILD="build-essential autoconf automake libtool pkg-config clang lld llvm
 libclang-rt-14-dev liburing-dev libblkid-dev libdevmapper-dev libjson-c-dev
 uuid-dev libcmocka-dev libcpg-dev libquorum-dev libvotequorum-dev libqb-dev
 libcorosync-common-dev libcmap-dev pacemaker-dev xsltproc"
TEST="fio e2fsprogs util-linux xxd kmod cpio busybox-static qemu-system-x86
 qemu-utils linux-image-amd64 linux-headers-amd64 corosync iproute2 procps
 dmsetup afl++ strace dkms jq python3 resource-agents pacemaker-cli-utils
 pacemaker libxml2-utils pcs fence-agents nvme-cli debhelper dh-dkms man-db
 dlm-controld gfs2-utils mdadm drbd-utils"

missing=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
		|| missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
