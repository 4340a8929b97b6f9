# SPDX-License-Identifier: GPL-2.0-only
#
# What the three-VM test needs of NVMe/TCP besides ddraid's own transport
# (ddraidctl export-disk/connect/disconnect, which the agent runs): each
# VM's host NQN, finding an import by its NQN, its timeouts, path cuts.
# The timeouts ddraidctl connect sets for a 10 s fence delay, which the
# test checks (ddraidctl(8), NODES' OWN DISKS; docs/testing-vm.md, "Three
# VMs on their own disks", says why):
#   keep-alive 3 s       a dead or cut-off peer is noticed within ~2 keep-
#                        alives (2 s gave spurious resets under TCG load)
#   fast_io_fail_tmo 1 s once the controller is reconnecting, IO fails
#                        after 1 s instead of waiting for the reconnect:
#                        a dead host becomes member IO errors ~10 s after
#                        it died, well inside the daemons' fence delay
#   ctrl_loss_tmo -1     never give the controller up: the namespace's
#                        block device (the member in every dm table and
#                        ddraidd's --members) survives its host's reboot
#   reconnect_delay 1 s  a returning host is reconnected within a second
# NV_PORT is the NVMe/TCP port (4420, the IANA one).

NV_PORT=4420
# (Read by t-3node.sh, which sources this file.)
# shellcheck disable=SC2034
NV_KATO=3
# shellcheck disable=SC2034
NV_FAST_IO_FAIL=1
# shellcheck disable=SC2034
NV_RECONNECT=1

# nv_uuid TEXT: a fixed UUID made from TEXT (the same on every boot).
nv_uuid() {
	local h
	h=$(printf '%s' "$1" | md5sum | cut -c1-32)
	echo "${h:0:8}-${h:8:4}-4${h:13:3}-8${h:17:3}-${h:20:12}"
}

# nv_host ID: this VM's own host NQN and host ID (all VMs see the host's
# /etc/nvme otherwise; the target tells its hosts apart by them).
nv_host() {
	NV_HOSTID=$(nv_uuid "ddraid-test-host-$1")
	NV_HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:$NV_HOSTID
	mkdir -p /etc/nvme &&
		echo "$NV_HOSTNQN" >/etc/nvme/hostnqn &&
		echo "$NV_HOSTID" >/etc/nvme/hostid
}

# nv_ctrl NQN: the controller (nvmeN) connected to subsystem NQN.
nv_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$1" ] &&
			{ echo "${c##*/}"; return 0; }
	done
	return 1
}

# nv_dev NQN: the block device of namespace 1 of subsystem NQN (the
# multipath head, /dev/nvmeXnY; the per-path nvmeXcYnZ have no node).
nv_dev() {
	local b
	for b in /sys/block/nvme*; do
		case "${b##*/}" in *c*) continue ;; esac
		[ "$(cat "$b/device/subsysnqn" 2>/dev/null)" = "$1" ] &&
			[ "$(cat "$b/nsid" 2>/dev/null)" = 1 ] &&
			{ echo "/dev/${b##*/}"; return 0; }
	done
	return 1
}

# nv_timeouts NQN: the controller's timeouts as "kato ctrl_loss_tmo
# fast_io_fail_tmo reconnect_delay" (ctrl_loss_tmo -1 reads "off").
nv_timeouts() {
	local c
	c=/sys/class/nvme/$(nv_ctrl "$1") || return 1
	echo "$(cat "$c/kato") $(cat "$c/ctrl_loss_tmo") $(cat "$c/fast_io_fail_tmo") $(cat "$c/reconnect_delay")"
}

# nv_live NQN: its controller is connected.
nv_live() {
	local c
	c=$(nv_ctrl "$1") && [ "$(cat "/sys/class/nvme/$c/state")" = live ]
}

# nv_cut DEV ADDR / nv_heal DEV: drop NVMe/TCP to and from ADDR's export
# on interface DEV (tc clsact + flower; everything else, corosync
# included, goes on), and stop dropping.
nv_cut() {
	tc qdisc add dev "$1" clsact &&
		tc filter add dev "$1" egress protocol ip flower ip_proto tcp \
			dst_ip "$2" dst_port "$NV_PORT" action drop &&
		tc filter add dev "$1" ingress protocol ip flower ip_proto tcp \
			src_ip "$2" src_port "$NV_PORT" action drop
}
nv_heal() {
	tc qdisc del dev "$1" clsact
}
