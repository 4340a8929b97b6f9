# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers for the tests/vm/t-cluster-*.sh tests, sourced after lib.sh inside
# the VM: a one-node corosync cluster on the loopback interface (the VM has
# no network device), ddraidd on a cluster-mode volume through /dev/ddraid.
# The corosync.conf follows tests/netns/lib.sh (knet, token 5000) with one
# node, nodeid 1, ring on 127.0.0.1 and expected_votes 1.

CL_DIR=${CL_DIR:-/tmp/cluster}
DDRAIDD=${DDRAID_BUILD:-}/cpg-daemon/ddraidd
CL_CTL=$CL_DIR/ctl

# cl_corosync_conf NAME TOKEN QUORUM NODE...: a corosync.conf (knet, no
# crypto, log in $CL_DIR) for cluster NAME, totem token TOKEN ms, the
# votequorum option QUORUM ("expected_votes: 1", "two_node: 1") and one
# node per NODE given as NODEID:ADDRESS:NAME.
cl_corosync_conf() {
	local name=$1 token=$2 quorum=$3 node id addr nname
	shift 3
	cat <<CONF
totem {
	version: 2
	cluster_name: $name
	transport: knet
	token: $token
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
CONF
	for node in "$@"; do
		IFS=: read -r id addr nname <<<"$node"
		cat <<CONF
	node {
		ring0_addr: $addr
		nodeid: $id
		name: $nname
	}
CONF
	done
	cat <<CONF
}
quorum {
	provider: corosync_votequorum
	$quorum
}
logging {
	to_stderr: no
	to_syslog: no
	to_logfile: yes
	logfile: $CL_DIR/corosync.log
	timestamp: hires
}
CONF
}

cl_quorate() {
	corosync-quorumtool -s 2>/dev/null | grep -q '^Quorate: *Yes'
}

# corosync_up: loopback up, corosync started, quorate (or bail).
corosync_up() {
	mkdir -p "$CL_DIR" /etc/corosync /var/lib/corosync /var/log/corosync
	ip link set lo up || bail "ip link set lo up"
	cl_corosync_conf ddrvm 5000 "expected_votes: 1" 1:127.0.0.1:n1 \
		>/etc/corosync/corosync.conf
	corosync -f >"$CL_DIR/corosync.out" 2>&1 &
	CL_COROSYNC_PID=$!
	wait_until 60 cl_quorate || {
		tail -n 20 "$CL_DIR/corosync.log" "$CL_DIR/corosync.out" >&2
		bail "corosync quorate within 60 s"
	}
}

# ddraidd_start VOL DEV,DEV,... [OPTION...]: ddraidd on the cluster-mode dm
# device VOL; the OPTIONs come last (a later --fence-delay wins).
ddraidd_start() {
	local vol=$1 members=$2
	shift 2
	mkdir -p "$CL_CTL"
	"$DDRAIDD" --volume "$vol" --members "$members" \
		--channel "kernel:/dev/mapper/$vol" --ctl-dir "$CL_CTL" \
		--foreground --fence-delay 1 "$@" >>"$CL_DIR/ddraidd.log" 2>&1 &
	DDRAIDD_PID=$!
}

# dst VOL JQ: a field of the daemon's status (empty if unreachable).
dst() {
	DDRAID_CTL_DIR=$CL_CTL "$DDRAIDCTL" status --json "$1" 2>/dev/null |
		jq -r "$2" 2>/dev/null
}

d_attached() { [ "$(dst "$1" .attached)" = true ]; }

# kstat VOL FIELD: a cluster field of "dmsetup status" (daemon, granted,
# locked, inflight, waiting, held, frozen), docs/dm-target.md.
kstat() {
	dmsetup status "$1" | awk -v f="$2" '{
		for (i = 1; i <= NF; i++)
			if ($i == "cluster") {
				split("daemon granted locked inflight waiting held frozen", n, " ")
				for (j = 1; j <= 7; j++)
					if (n[j] == f)
						print $(i + j)
				exit
			}
	}'
}

# kstat_is VOL FIELD VALUE: kstat's FIELD equals VALUE. For wait_until,
# which re-runs its command: a "$(kstat ...)" in wait_until's own
# arguments would be read once, before the first try.
kstat_is() { [ "$(kstat "$1" "$2")" = "$3" ]; }

# kstat_ge VOL FIELD N: kstat's FIELD is a number >= N.
kstat_ge() {
	local v
	v=$(kstat "$1" "$2")
	[ -n "$v" ] && [ "$v" -ge "$3" ]
}

# ddraidd_stop: SIGTERM, wait for the exit.
ddraidd_stop() {
	[ -n "${DDRAIDD_PID:-}" ] || return 0
	kill -TERM "$DDRAIDD_PID" 2>/dev/null
	wait "$DDRAIDD_PID" 2>/dev/null
	DDRAIDD_PID=
}

cl_logs() {
	diag "ddraidd log tail:"
	tail -n 15 "$CL_DIR/ddraidd.log" 2>/dev/null | sed 's/^/#   /'
}

# cluster_volume_up NAME DEV...: a new cluster-mode volume NAME (1 MiB
# regions) over DEV..., corosync, the dm device and ddraidd attached to it
# (bails otherwise). Sets MEMBERS_CSV.
cluster_volume_up() {
	local name=$1
	shift
	MEMBERS_CSV=$(IFS=,; echo "$*")
	"$DDRAIDCTL" create --name "$name" --region-size 1M "$@" >&2 ||
		bail "create"
	corosync_up
	"$DDRAIDCTL" assemble --name "$name" --cluster "$@" >&2 ||
		bail "assemble --cluster"
	ddraidd_start "$name" "$MEMBERS_CSV"
	wait_until 60 d_attached "$name" || { cl_logs; bail "ddraidd attached"; }
	ok "ddraidd attached"
}
