# SPDX-License-Identifier: GPL-2.0-only
# Helpers for the multi-node ddraidd tests: a corosync cluster of network
# namespaces on this host (docs in tests/netns/README), ddraidd and the
# userspace stand-in target per node, member files shared by all nodes.
#
# Every node N has: netns ddr$$n$N, address 10.77.$NET.N/24 on a veth whose
# other end is in the bridge namespace ddr$$br, corosync in its own mount
# namespace (private /etc/corosync /var/lib/corosync /var/log/corosync
# /run), and a directory $T/nN with logs, sockets, journal and stats.

BUILD=${BUILD:?set BUILD to the build directory}
# A sanitizer build maps huge shadow memory: ddraidd must not mlockall it.
if grep -q 'SAN_CFLAGS = -fsanitize' "$BUILD/cpg-daemon/Makefile" 2>/dev/null; then
	export DDRAIDD_NO_MLOCK=1
fi
DDRAIDD=$BUILD/cpg-daemon/ddraidd
STANDIN=$BUILD/cpg-daemon/ddraid-standin
DDRAIDCTL=$BUILD/tools/ddraidctl
REAP_QB_SHM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/reap-qb-shm.sh
VOL=vnet
NET=$(( ($$ % 200) + 20 ))
PFX=ddr$$
T=
NODES=0

tap_n=0
tap_fail=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_fail=$((tap_fail + 1)); echo "not ok $tap_n - $*"; }
check() { # check DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }
note() { echo "# $(date +%T.%N | cut -c1-12) $*"; }

ns() { echo "${PFX}n$1"; }
nsexec() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# wait_for TIMEOUT_S DESCRIPTION COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local t=$1 what=$2 end; shift 2
	end=$(( $(date +%s%N) / 1000000 + t * 1000 ))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(( $(date +%s%N) / 1000000 ))" -ge "$end" ]; then
			note "timed out after ${t}s waiting for: $what"
			return 1
		fi
		sleep 0.1
	done
	return 0
}

corosync_conf() { # corosync_conf NODES (QUORUM_OPTS: more quorum {} lines)
	local i
	cat <<CONF
totem {
	version: 2
	cluster_name: ddr$$
	transport: knet
	token: 5000
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
CONF
	for i in $(seq 1 "$1"); do
		cat <<CONF
	node {
		ring0_addr: 10.77.$NET.$i
		nodeid: $i
		name: n$i
	}
CONF
	done
	cat <<CONF
}
quorum {
	provider: corosync_votequorum${QUORUM_OPTS:+
	$QUORUM_OPTS}
}
logging {
	to_stderr: no
	to_syslog: no
	to_logfile: yes
	logfile: /var/log/corosync/corosync.log
	timestamp: on
}
CONF
}

# cluster_up NODES: namespaces, bridge, corosync on every node.
cluster_up() {
	local n=$1 i
	NODES=$n
	T=$(mktemp -d /tmp/ddraid-netns.XXXXXX)
	ip netns add "${PFX}br"
	ip -n "${PFX}br" link add br0 type bridge
	ip -n "${PFX}br" link add br1 type bridge
	ip -n "${PFX}br" link set br0 up
	ip -n "${PFX}br" link set br1 up
	ip -n "${PFX}br" link set lo up
	for i in $(seq 1 "$n"); do
		ip netns add "$(ns "$i")"
		ip link add "${PFX}a$i" type veth peer name "${PFX}b$i"
		ip link set "${PFX}a$i" netns "$(ns "$i")"
		ip link set "${PFX}b$i" netns "${PFX}br"
		ip -n "$(ns "$i")" link set "${PFX}a$i" name eth0
		ip -n "$(ns "$i")" addr add "10.77.$NET.$i/24" dev eth0
		ip -n "$(ns "$i")" link set eth0 up
		ip -n "$(ns "$i")" link set lo up
		ip -n "${PFX}br" link set "${PFX}b$i" master br0
		ip -n "${PFX}br" link set "${PFX}b$i" up
		mkdir -p "$T/n$i/etc" "$T/n$i/lib" "$T/n$i/log" "$T/n$i/run"
		corosync_conf "$n" > "$T/n$i/etc/corosync.conf"
		corosync_start "$i"
	done
}

corosync_start() { # corosync_start NODE
	local i=$1 d=$T/n$1
	ip netns exec "$(ns "$i")" unshare --mount --propagation private sh -c "
		mount --bind $d/etc /etc/corosync &&
		mount --bind $d/lib /var/lib/corosync &&
		mount --bind $d/log /var/log/corosync &&
		mount --bind $d/run /run &&
		exec corosync -f" > "$d/corosync.out" 2>&1 &
	echo $! > "$d/corosync.pid"; disown $!
}

quorate_on() { # quorate_on NODE
	nsexec "$1" corosync-quorumtool -s 2>/dev/null | grep -q '^Quorate: *Yes'
}

# members_create: member files of a volume, 64 KiB regions.
members_create() { # members_create NMEMBERS SIZE
	local m i
	MEMBERS=
	NMEMBERS=$1
	for i in $(seq 0 $(($1 - 1))); do
		truncate -s "$2" "$T/m$i.img"
		MEMBERS=${MEMBERS:+$MEMBERS,}$T/m$i.img
	done
	[ -z "$DIST" ] || dist_paths
	# shellcheck disable=SC2086
	"$DDRAIDCTL" create --name "$VOL" --region-size 64K \
		$(echo "$MEMBERS" | tr , ' ') > "$T/create.out" 2>&1
}

# ---- the distributed topology (t-dist.sh) ----
#
# With DIST=1 (set before cluster_up), node i hosts member i-1: its own
# disk (ddraidd --host-member i-1). Every node opens every member through
# a path of its own, $T/nI/dev/mM.img (a link to the member file: names
# differ between nodes, as NVMe namespaces do), and its ddraidd and
# stand-in run with DDRAID_FAULT_PATH_DIR=$T/nI/paths, so that the test
# can cut node I's path to member M alone (cut_path; lib/member_io.c
# says how the IO layer reads the cut-M files). A node killed takes its
# disk with it: every other node's path to its member is cut too.
DIST=
# How long IO waits for a cut path before it fails (fast_io_fail_tmo).
PATH_FAIL_MS=1000
NMEMBERS=0

dist_paths() {
	local i m
	for i in $(seq 1 "$NODES"); do
		mkdir -p "$T/n$i/dev" "$T/n$i/paths"
		for m in $(seq 0 $((NMEMBERS - 1))); do
			ln -sf "$T/m$m.img" "$T/n$i/dev/m$m.img"
		done
	done
}

# node_members NODE: the member list as NODE opens it
node_members() {
	local m out=
	if [ -z "$DIST" ]; then
		echo "$MEMBERS"
		return
	fi
	for m in $(seq 0 $((NMEMBERS - 1))); do
		out=${out:+$out,}$T/n$1/dev/m$m.img
	done
	echo "$out"
}

# node_env NODE: the environment of NODE's ddraidd and stand-in
node_env() {
	[ -z "$DIST" ] || echo "DDRAID_FAULT_PATH_DIR=$T/n$1/paths"
}

# cut_path NODE MEMBER [MS|hold|0]: NODE's path to MEMBER goes down now;
# its IO there waits MS (default PATH_FAIL_MS) for it, then fails. The
# file is written whole (rename): the IO layer must never see it half.
cut_path() {
	local f=$T/n$1/paths/cut-$2
	[ -e "$f" ] && return 0
	echo "${3:-$PATH_FAIL_MS}" > "$f.tmp" && mv -f "$f.tmp" "$f"
}
restore_path() { rm -f "$T/n$1/paths/cut-$2"; }

# host_gone NODE / host_back NODE: every other node loses / regains its
# path to the member NODE hosts (its disk went with it / came back)
host_gone() {
	local i
	for i in $(seq 1 "$NODES"); do
		[ "$i" = "$1" ] || cut_path "$i" $(($1 - 1)) "${2:-}"
	done
}
host_back() {
	local i
	for i in $(seq 1 "$NODES"); do
		restore_path "$i" $(($1 - 1))
	done
}

daemon_start() { # daemon_start NODE [extra ddraidd options]
	local i=$1 d=$T/n$1 host=; shift
	[ -n "$DIST" ] && [ "$i" -le "$NMEMBERS" ] && host="--host-member $((i - 1))"
	# The exit status is kept in ddraidd.rc (a withdrawal exits with 3).
	rm -f "$d/ddraidd.rc" "$d/ddraidd.pid"
	# shellcheck disable=SC2046,SC2086
	( env $(node_env "$i") ip netns exec "$(ns "$i")" "$DDRAIDD" \
		--volume "$VOL" --members "$(node_members "$i")" \
		--channel "unix:$d/chan.sock" --ctl-dir "$d" --foreground \
		--fence-delay 1 $host "$@" >> "$d/ddraidd.log" 2>&1 &
	  echo $! > "$d/ddraidd.pid"
	  wait $!
	  echo $? > "$d/ddraidd.rc" ) > /dev/null 2>&1 &
	disown $!
	wait_for 5 "ddraidd $i started" test -s "$d/ddraidd.pid"
}

standin_start() { # standin_start NODE [extra options]
	local i=$1 d=$T/n$1; shift
	# shellcheck disable=SC2046
	env $(node_env "$i") "$STANDIN" --members "$(node_members "$i")" \
		--socket "$d/chan.sock" --node "$i" \
		--journal "$d/journal" --stats "$d/stats.json" \
		--stride "$NODES" --index $((i - 1)) "$@" >> "$d/standin.log" 2>&1 &
	echo $! > "$d/standin.pid"; disown $!
}

# st NODE JQ-EXPR: a field of node's daemon status (empty if unreachable)
st() {
	DDRAID_CTL_DIR=$T/n$1 "$DDRAIDCTL" status --json "$VOL" 2>/dev/null |
		jq -r "$2" 2>/dev/null
}
# sv NODE JQ-EXPR: a field of node's stand-in stats
sv() { jq -r "$2" "$T/n$1/stats.json" 2>/dev/null; }

attached() { [ "$(st "$1" .attached)" = true ]; }
all_attached() {
	local i
	for i in "$@"; do attached "$i" || return 1; done
}
acked_at_least() { [ "$(sv "$1" .acked)" -ge "$2" ] 2>/dev/null; }

kill_node() { # kill_node NODE: corosync, ddraidd and stand-in, SIGKILL
	# corosync first: the others see the node vanish (NODEDOWN) rather
	# than its daemon die first (PROCDOWN), which a power loss gives.
	local d=$T/n$1 p
	# Its disk goes with it, at the same instant.
	[ -z "$DIST" ] || [ "$1" -gt "$NMEMBERS" ] || host_gone "$1"
	for p in corosync standin ddraidd; do
		[ -f "$d/$p.pid" ] && kill -9 "$(cat "$d/$p.pid")" 2>/dev/null
	done
	# corosync runs under unshare's exec: the pid is corosync itself.
	wait 2>/dev/null || true
}

stop_standins() { # graceful: journal complete
	local i
	for i in $(seq 1 "$NODES"); do
		[ -f "$T/n$i/standin.pid" ] &&
			kill -TERM "$(cat "$T/n$i/standin.pid")" 2>/dev/null
	done
	for i in $(seq 1 "$NODES"); do
		[ -f "$T/n$i/standin.pid" ] || continue
		wait_for 10 "stand-in $i exits" \
			sh -c "! kill -0 $(cat "$T/n$i/standin.pid")"
	done
}

# verify_volume: every acknowledged write reads back (journals of all nodes).
verify_volume() {
	local i args=
	for i in $(seq 1 "$NODES"); do
		[ -f "$T/n$i/journal" ] && args="$args $i:$T/n$i/journal"
	done
	# shellcheck disable=SC2086
	"$STANDIN" --verify --members "$MEMBERS" $args > "$T/verify.out" 2>&1
	local r=$?
	sed 's/^/#   /' "$T/verify.out" | tail -5
	return $r
}

parity_clean() {
	# shellcheck disable=SC2046
	"$DDRAIDCTL" check $(echo "$MEMBERS" | tr , ' ') > "$T/check.out" 2>&1
	local r=$?
	sed 's/^/#   /' "$T/check.out" | tail -3
	return $r
}

cluster_down() {
	local i p slow=
	[ "$NODES" -gt 0 ] || return 0
	# Daemons leave with SIGTERM (a sanitizer build reports leaks then).
	for i in $(seq 1 "$NODES"); do
		[ -f "$T/n$i/ddraidd.pid" ] &&
			kill -TERM "$(cat "$T/n$i/ddraidd.pid")" 2>/dev/null
	done
	for i in $(seq 1 "$NODES"); do
		[ -f "$T/n$i/ddraidd.pid" ] || continue
		wait_for 10 "ddraidd $i exits" \
			sh -c "! kill -0 $(cat "$T/n$i/ddraidd.pid") 2>/dev/null" ||
			slow=1
	done
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' \
		"$T"/n*/ddraidd.log "$T"/n*/standin.log "$T"/verify.out 2>/dev/null; then
		not_ok "no sanitizer report in any node's logs"
		grep -hE -A3 'ERROR: |runtime error' "$T"/n*/*.log | head -20 | sed 's/^/#   /'
	else
		ok "no sanitizer report in any node's logs"
	fi
	for i in $(seq 1 "$NODES"); do
		for p in standin ddraidd corosync; do
			[ -f "$T/n$i/$p.pid" ] &&
				kill -9 "$(cat "$T/n$i/$p.pid")" 2>/dev/null
		done
		# Whatever else a test ran in the node (Pacemaker).
		for p in $(ip netns pids "$(ns "$i")" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for i in $(seq 1 "$NODES"); do
		ip netns del "$(ns "$i")" 2>/dev/null
	done
	ip netns del "${PFX}br" 2>/dev/null
	# The daemons killed above leave their libqb files in /dev/shm (RAM).
	"$REAP_QB_SHM" | sed 's/^/# /'
	if [ -n "${KEEP:-}" ] || [ "$tap_fail" -gt 0 ] || [ -n "$slow" ]; then
		note "logs kept in $T"
	else
		rm -rf "$T"
	fi
	NODES=0
	DIST=
}

# Partition: move nodes to the second bridge (br1) or back.
partition() { # partition NODE...: these nodes end up alone together on br1
	local i
	for i in "$@"; do
		ip -n "${PFX}br" link set "${PFX}b$i" master br1
	done
}
heal() {
	local i
	for i in $(seq 1 "$NODES"); do
		ip -n "${PFX}br" link set "${PFX}b$i" master br0
	done
}
