#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The OCF resource agent ocf/volume on the host, where no kernel target can
# run: meta-data (validated against the OCF DTD when one is installed),
# usage, unknown actions, validate-all with every kind of bad parameter
# (exit code, ocf-exit-reason message, nothing changed), validate-all on a
# real volume on loop devices, and monitor/stop of a volume that was never
# started; how the agent finds its daemon by the pid file (stale file,
# reused pid, live daemon stopped with SIGTERM). Everything but the pid
# file runs twice: with resource-agents' ocf-shellfuncs (if installed)
# and with the agent's own fallbacks.
# Starting the volume needs the kernel target: tests/vm/t-ocf.sh.
set -u

SRC=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
AGENT=$SRC/../ocf/volume
: "${DDRAIDCTL:?DDRAIDCTL must name the ddraidctl binary (make check sets it)}"
DDRAIDD=${DDRAIDD:-${DDRAIDCTL%/tools/ddraidctl}/cpg-daemon/ddraidd}

T=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-ocf.XXXXXX") || exit 1
loops=""
cleanup() {
	for _l in $loops; do losetup -d "$_l" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

. "$SRC/tap.sh"

# The agent's environment: nothing from the caller's OCF_RESKEY_*.
for v in $(env | sed -n 's/^\(OCF_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
export HA_RSCTMP="$T/rsctmp"
mkdir -p "$HA_RSCTMP"
NAME=ocft$$
OCF_RESOURCE_INSTANCE=vol-test
export OCF_RESOURCE_INSTANCE

# ra ACTION [VAR=VALUE...]: run the agent; exit code in $rc, stdout in
# $T/out, stderr in $T/err.
ra() {
	_a=$1
	shift
	env "$@" "$AGENT" "$_a" >"$T/out" 2>"$T/err"
	rc=$?
}

# The ocf-exit-reason line the agent printed (Pacemaker shows it).
reason() {
	sed -n 's/^ocf-exit-reason://p' "$T/err" | head -n 1
}

# expect RC DESC REASON_ERE ACTION VAR=VALUE...: one test point.
expect() {
	_want=$1
	_d=$2
	_re=$3
	shift 3
	ra "$@"
	if [ "$rc" != "$_want" ]; then
		not_ok "$mode: $_d (exit $rc, wanted $_want)"
		sed 's/^/# stderr: /' "$T/err"
	elif [ -n "$_re" ] && ! reason | grep -Eq -- "$_re"; then
		not_ok "$mode: $_d (exit $rc; reason '$(reason)' does not match /$_re/)"
	else
		ok "$mode: $_d (exit $rc${_re:+: $(reason)})"
	fi
}

# What "nothing changed" means here: no file in HA_RSCTMP or the control
# directory, no ddraidd of the test volume, no dm device of that name.
state() {
	find "$HA_RSCTMP" "$T/ctl" 2>/dev/null | sort
	pgrep -f "ddraidd.*$NAME" 2>/dev/null
	[ -e /dev/mapper/control ] && dmsetup info "$NAME" 2>/dev/null
	[ -n "$loops" ] && sha256sum "$T"/img* 2>/dev/null
	return 0
}

modes="fallback"
if [ -r /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ]; then
	modes="shellfuncs fallback"
fi

# ---- loop devices for validate-all on a real volume ------------------------
# A 3-member volume named $NAME, and a 2-member volume "other".
have_loops=0
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null; then
	for i in 0 1 2 3 4; do
		truncate -s 16M "$T/img$i"
		_l=$(losetup -f --show "$T/img$i" 2>/dev/null) || break
		loops="$loops $_l"
	done
	# shellcheck disable=SC2086
	set -- $loops
	if [ $# = 5 ] && [ -b "$1" ] &&
	   "$DDRAIDCTL" create --name "$NAME" "$1" "$2" "$3" >/dev/null 2>&1 &&
	   "$DDRAIDCTL" create --name other "$4" "$5" >/dev/null 2>&1; then
		have_loops=1
		L0=$1 L1=$2 L2=$3 O0=$4
	fi
fi
[ $have_loops = 1 ] || echo "# no loop devices: validate-all on a real volume is skipped"

before=$(state)

for mode in $modes; do
	if [ "$mode" = fallback ]; then
		FDIR=OCF_FUNCTIONS_DIR=$T/no-such-dir
	else
		FDIR=OCF_FUNCTIONS_DIR=/usr/lib/ocf/lib/heartbeat
	fi
	B="$FDIR OCF_ROOT=/usr/lib/ocf OCF_RESKEY_ddraidctl_binary=$DDRAIDCTL"
	B="$B OCF_RESKEY_ddraidd_binary=$DDRAIDD"
	# shellcheck disable=SC2086
	set -- $B OCF_RESKEY_name=$NAME

	# ---- meta-data ----
	ra meta-data "$@"
	cp "$T/out" "$T/meta-$mode.xml"
	t "$mode: meta-data exits 0" [ "$rc" = 0 ]
	# OCF 1.1 as pcs reads it: pcs's own schema (resource-agents'
	# ra-api-1.dtd is OCF 1.0 and knows no "select" parameters).
	rng=/usr/share/pcs/data/ocf-1.1.rng
	if ! command -v xmllint >/dev/null; then
		ok "$mode: meta-data XML # SKIP no xmllint"
	elif [ -r "$rng" ]; then
		# (xmllint warns that the DOCTYPE's ra-api-1.dtd is not
		# next to the file; the schema is what counts.)
		t "$mode: meta-data is valid against pcs's $rng" \
			xmllint --noout --relaxng "$rng" "$T/out" 2>"$T/xerr"
		grep -v 'failed to load external entity\|DOCTYPE\|^ *\^\|validates$' "$T/xerr" | sed 's/^/# /'
	else
		t "$mode: meta-data is well-formed XML (no pcs schema here)" \
			xmllint --noout "$T/out" 2>/dev/null
	fi
	if command -v xmllint >/dev/null; then
		x() { xmllint --xpath "$1" "$T/meta-$mode.xml" 2>/dev/null; }
		t "$mode: meta-data: agent 'volume', OCF version 1.1" \
			[ "$(x 'string(/resource-agent/@name)')-$(x 'string(/resource-agent/version)')" = volume-1.1 ]
		t "$mode: meta-data: name required and unique, members unique (transport=none only)" \
			[ "$(x 'count(//parameter[@name="name" and @required="1" and @unique="1"])')-$(x 'count(//parameter[@name="members" and @required="0" and @unique="1"])')" = 1-1 ]
		t "$mode: meta-data: every parameter has longdesc, shortdesc, content type" \
			[ "$(x 'count(//parameter[longdesc and shortdesc and content/@type])')" = "$(x 'count(//parameter)')" ]
		good=1
		for a in start stop monitor meta-data validate-all; do
			[ -n "$(x "string(//action[@name=\"$a\"]/@timeout)")" ] || good=0
		done
		t "$mode: meta-data: start stop monitor meta-data validate-all with timeouts" [ $good = 1 ]
		t "$mode: meta-data: no usage action (pcs would copy it into the CIB)" \
			[ "$(x 'count(//action[@name="usage"])')" = 0 ]
		t "$mode: meta-data: stop_mode and fencing are selects of their values" \
			[ "$(x 'string(//parameter[@name="stop_mode"]/content/@type)') $(x 'count(//parameter[@name="stop_mode"]/content/option)') $(x 'string(//parameter[@name="fencing"]/content/@type)') $(x 'count(//parameter[@name="fencing"]/content/option)')" = "select 2 select 3" ]
		t "$mode: meta-data: monitor has an interval" \
			[ -n "$(x 'string(//action[@name="monitor"]/@interval)')" ]
		# Every OCF_RESKEY_ the agent reads is a declared parameter and
		# the other way round (Pacemaker's CRM_meta_* excepted).
		used=$(grep -o 'OCF_RESKEY_[a-z_]*' "$AGENT" | sed 's/OCF_RESKEY_//; s/_default$//; /^$/d' | sort -u)
		declared=$(x '//parameter/@name' | sed 's/ *name="\([^"]*\)"/\1\n/g' | sed '/^$/d' | sort -u)
		t "$mode: meta-data declares exactly the parameters the agent reads" \
			[ "$used" = "$declared" ]
	fi

	# ---- usage and bad invocations ----
	expect 0 "usage exits 0" "" usage "$@"
	t "$mode: usage names the actions" grep -q 'start|stop|monitor' "$T/out"
	env "$@" "$AGENT" >"$T/out" 2>"$T/err"
	t "$mode: no action: OCF_ERR_ARGS (2) and the usage" \
		[ $? = 2 ] && grep -q usage "$T/err"
	env "$@" "$AGENT" monitor extra >"$T/out" 2>"$T/err"
	t "$mode: two arguments: OCF_ERR_ARGS (2)" [ $? = 2 ]
	expect 3 "unknown action: OCF_ERR_UNIMPLEMENTED" "" frobnicate "$@"
	expect 3 "promote (not a promotable agent): OCF_ERR_UNIMPLEMENTED" "" promote "$@"

	# ---- validate-all: bad parameters ----
	# shellcheck disable=SC2086
	set -- $B
	M=OCF_RESKEY_members=/dev/a,/dev/b,/dev/c
	expect 6 "no name" "name is required" validate-all "$@" "$M"
	expect 6 "transport=none without members" "members is required" validate-all "$@" OCF_RESKEY_name=$NAME OCF_RESKEY_transport=none
	expect 6 "transport bogus" "use nvme-tcp or none" validate-all "$@" OCF_RESKEY_name=$NAME OCF_RESKEY_transport=iscsi
	expect 6 "members with transport=nvme-tcp" "members is for transport=none" validate-all "$@" "$M" OCF_RESKEY_name=$NAME OCF_RESKEY_transport=nvme-tcp
	expect 6 "disk with transport=none" "disk is for transport=nvme-tcp" validate-all "$@" "$M" OCF_RESKEY_name=$NAME OCF_RESKEY_disk=/dev/a
	expect 6 "disk relative (nvme-tcp, the default without members)" "not an absolute path" validate-all "$@" OCF_RESKEY_name=$NAME OCF_RESKEY_disk=vdb
	expect 6 "name with a slash" "only letters" validate-all "$@" "$M" OCF_RESKEY_name=a/b
	expect 6 "name with a blank" "only letters" validate-all "$@" "$M" "OCF_RESKEY_name=a b"
	expect 6 "name starting with a dot" "only letters" validate-all "$@" "$M" OCF_RESKEY_name=.x
	expect 6 "name starting with -" "only letters" validate-all "$@" "$M" OCF_RESKEY_name=-x
	expect 6 "name of 64 bytes" "longer than 63" validate-all "$@" "$M" \
		OCF_RESKEY_name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
	set -- "$@" OCF_RESKEY_name=$NAME
	expect 6 "4 members" "4 devices given" validate-all "$@" OCF_RESKEY_members=/dev/a,/dev/b,/dev/c,/dev/d
	expect 6 "1 member" "1 devices given" validate-all "$@" OCF_RESKEY_members=/dev/a
	expect 6 "empty element" "empty element" validate-all "$@" OCF_RESKEY_members=/dev/a,,/dev/c
	expect 6 "trailing comma" "empty element" validate-all "$@" OCF_RESKEY_members=/dev/a,/dev/b,
	expect 6 "relative member path" "not an absolute path" validate-all "$@" OCF_RESKEY_members=/dev/a,b,/dev/c
	expect 6 "member given twice" "given twice" validate-all "$@" OCF_RESKEY_members=/dev/a,/dev/b,/dev/a
	expect 6 "two members missing" "at most one" validate-all "$@" OCF_RESKEY_members=missing,missing,/dev/c
	expect 6 "fence_delay not a number" "fence_delay" validate-all "$@" "$M" OCF_RESKEY_fence_delay=10s
	expect 6 "fence_delay 3601" "0\.\.3600" validate-all "$@" "$M" OCF_RESKEY_fence_delay=3601
	expect 6 "rebuild_gap negative" "rebuild_gap" validate-all "$@" "$M" OCF_RESKEY_rebuild_gap=-1
	expect 6 "sync_speed_max with a unit" "sync_speed_max" validate-all "$@" "$M" OCF_RESKEY_sync_speed_max=50M
	expect 6 "sync_speed_min too fine" "sync_speed_min" validate-all "$@" "$M" OCF_RESKEY_sync_speed_min=0.0000001
	expect 6 "sync_speed_max too high" "0\.\.1000000" validate-all "$@" "$M" OCF_RESKEY_sync_speed_max=1000001
	expect 6 "require_fencing maybe" "not a boolean" validate-all "$@" "$M" OCF_RESKEY_require_fencing=maybe
	expect 6 "fencing bogus" "use auto, pacemaker or none" validate-all "$@" "$M" OCF_RESKEY_fencing=stonith
	expect 6 "host_member not a number" "host_member" validate-all "$@" "$M" OCF_RESKEY_host_member=one
	expect 6 "host_member out of range" "one of the 3 members" validate-all "$@" "$M" OCF_RESKEY_host_member=3
	expect 6 "path_timeout 0" "1\.\.3600" validate-all "$@" "$M" OCF_RESKEY_path_timeout=0
	expect 6 "auto_readd maybe" "not a boolean" validate-all "$@" "$M" OCF_RESKEY_auto_readd=maybe
	expect 6 "debug 2" "not a boolean" validate-all "$@" "$M" OCF_RESKEY_debug=2
	expect 6 "stop_mode bogus" "stop_mode" validate-all "$@" "$M" OCF_RESKEY_stop_mode=halt
	expect 6 "dampen with a unit" "dampen" validate-all "$@" "$M" OCF_RESKEY_dampen=5s
	expect 6 "dampen 3601" "0\.\.3600" validate-all "$@" "$M" OCF_RESKEY_dampen=3601
	expect 6 "ctl_dir relative" "ctl_dir" validate-all "$@" "$M" OCF_RESKEY_ctl_dir=run
	expect 6 "log_file relative" "log_file" validate-all "$@" "$M" OCF_RESKEY_log_file=x.log
	expect 5 "ddraidd not installed: OCF_ERR_INSTALLED" "not installed" \
		validate-all "$@" "$M" OCF_RESKEY_ddraidd_binary=$T/no-ddraidd
	expect 5 "ddraidctl not installed: OCF_ERR_INSTALLED" "not installed" \
		validate-all "$@" "$M" OCF_RESKEY_ddraidctl_binary=no-such-ddraidctl
	if [ -x "$DDRAIDD" ]; then
		expect 5 "member absent on this node: OCF_ERR_INSTALLED" "does not exist" \
			validate-all "$@" OCF_RESKEY_members=$T/nodev0,$T/nodev1
		: >"$T/plainfile"
		expect 6 "member is a regular file" "not a block device" \
			validate-all "$@" OCF_RESKEY_members=$T/plainfile,$T/nodev1
	else
		ok "$mode: members on this node # SKIP no ddraidd at $DDRAIDD"
	fi

	# ---- validate-all on a real volume (loop devices) ----
	if [ $have_loops = 1 ] && [ -x "$DDRAIDD" ]; then
		expect 0 "validate-all: the volume's members in order" "" \
			validate-all "$@" OCF_RESKEY_members=$L0,$L1,$L2
		expect 0 "validate-all: one member given as missing" "" \
			validate-all "$@" OCF_RESKEY_members=$L0,missing,$L2
		expect 6 "members out of order" "list members in order" \
			validate-all "$@" OCF_RESKEY_members=$L1,$L0,$L2
		expect 6 "members of another volume's name" "belongs to volume '$NAME', not 'othername'" \
			validate-all "$@" OCF_RESKEY_members=$L0,$L1,$L2 OCF_RESKEY_name=othername
		expect 6 "a member of another volume mixed in" "do not form a volume" \
			validate-all "$@" OCF_RESKEY_members=$L0,$O0,$L2
		expect 6 "2 members given for a 3-member volume" "volume has 3 members, 2 given" \
			validate-all "$@" OCF_RESKEY_members=$L0,$L1
	else
		ok "$mode: validate-all on a real volume # SKIP no loop devices or no ddraidd"
	fi

	# ---- monitor and stop of a volume never started ----
	set -- "$@" OCF_RESKEY_members=/dev/a,/dev/b,/dev/c "OCF_RESKEY_ctl_dir=$T/ctl"
	expect 7 "monitor (probe) of a never-started volume: OCF_NOT_RUNNING" "" monitor "$@"
	expect 7 "monitor (recurring) of a never-started volume: OCF_NOT_RUNNING" "" \
		monitor "$@" OCF_RESKEY_CRM_meta_interval=10000
	expect 0 "stop of a never-started volume: OCF_SUCCESS" "" stop "$@"
	expect 0 "stop again (idempotent)" "" stop "$@"
	expect 0 "stop with stop_mode=daemon" "" stop "$@" OCF_RESKEY_stop_mode=daemon
	expect 7 "monitor after those stops: OCF_NOT_RUNNING" "" monitor "$@"
	expect 6 "monitor with a bad name: OCF_ERR_CONFIGURED" "only letters" \
		monitor "$@" OCF_RESKEY_name=a/b
	expect 7 "monitor without ddraidctl installed: OCF_NOT_RUNNING" "" \
		monitor "$@" OCF_RESKEY_ddraidctl_binary=$T/none

	# ---- transport=nvme-tcp ----
	# shellcheck disable=SC2086
	expect 0 "stop (nvme-tcp) of a never-started volume: OCF_SUCCESS" "" \
		stop $B OCF_RESKEY_name=$NAME "OCF_RESKEY_ctl_dir=$T/ctl"
	# shellcheck disable=SC2086
	expect 7 "monitor (nvme-tcp) of a never-started volume: OCF_NOT_RUNNING" "" \
		monitor $B OCF_RESKEY_name=$NAME "OCF_RESKEY_ctl_dir=$T/ctl"

	if [ -e /sys/module/nvmet ] || modprobe -n nvmet >/dev/null 2>&1 ||
	   ! command -v nvme >/dev/null || ! command -v corosync-cmapctl >/dev/null; then
		ok "$mode: start with transport=nvme-tcp without nvmet # SKIP nvmet is loadable here, or nvme-cli/corosync missing"
	else
		# shellcheck disable=SC2086
		expect 5 "start (nvme-tcp) without the nvmet module: OCF_ERR_INSTALLED naming it" \
			"kernel module nvmet is not available" \
			start $B OCF_RESKEY_name=$NAME "OCF_RESKEY_ctl_dir=$T/ctl"
	fi
done

# ---- the daemon is found by its pid file (ctl_dir/NAME.pid) ----------------
# No kernel target here: a live daemon without /dev/mapper/NAME makes
# monitor fail and name the pid, which shows whom the agent found. The
# stand-in daemon is a script that does what ddraidd does with
# --pid-file: writes its pid, removes the file on SIGTERM.
mode=pidfile
P=$T/ctlp
PF=$P/$NAME.pid
mkdir -p "$P" "$T/fake"
cat >"$T/fake/ddraidd" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
	[ "$1" = --pid-file ] && pf=$2
	shift
done
echo $$ >"$pf"
trap 'rm -f "$pf"; exit 0' TERM
while :; do sleep 0.1; done
EOF
chmod +x "$T/fake/ddraidd"
set -- OCF_FUNCTIONS_DIR=$T/no-such-dir OCF_ROOT=/usr/lib/ocf \
	OCF_RESKEY_ddraidctl_binary=$DDRAIDCTL OCF_RESKEY_ddraidd_binary=$T/fake/ddraidd \
	OCF_RESKEY_name=$NAME OCF_RESKEY_members=/dev/a,/dev/b,/dev/c \
	OCF_RESKEY_ctl_dir=$P
# A pid that is certainly dead: a finished child of ours.
sh -c 'exit 0' &
dead=$!
wait $dead
echo $dead >"$PF"
expect 7 "stale pid file (pid $dead is gone): OCF_NOT_RUNNING" "" monitor "$@"
expect 0 "stop with a stale pid file: OCF_SUCCESS" "" stop "$@"
# A live process that is not a ddraidd of this pid file (a reused pid).
sleep 30 &
other=$!
echo $other >"$PF"
expect 7 "pid file naming a live unrelated process (pid reused): OCF_NOT_RUNNING" "" monitor "$@"
expect 0 "stop does not signal that process" "" stop "$@"
t "pidfile: ...which still runs" kill -0 $other
kill $other
wait $other 2>/dev/null
rm -f "$PF"
# The live daemon of this volume, started with the agent's options.
"$T/fake/ddraidd" --volume "$NAME" --ctl-dir "$P" --pid-file "$PF" &
fake=$!
i=0
while [ ! -s "$PF" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect 1 "live daemon (pid $fake), no target: OCF_ERR_GENERIC naming it" \
	"ddraidd \(pid $fake\) runs but /dev/mapper/$NAME does not exist" monitor "$@"
expect 0 "stop: SIGTERM to the daemon of the pid file" "" stop "$@"
t "pidfile: the daemon exited, its pid file is gone" \
	sh -c "! kill -0 $fake 2>/dev/null && [ ! -e '$PF' ]"
wait $fake 2>/dev/null
expect 7 "monitor after that stop: OCF_NOT_RUNNING" "" monitor "$@"
# The same daemon under another volume's pid file is not ours.
"$T/fake/ddraidd" --pid-file "$P/other.pid" &
fake=$!
i=0
while [ ! -s "$P/other.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
cp "$P/other.pid" "$PF"
expect 7 "pid file naming another volume's daemon: OCF_NOT_RUNNING" "" monitor "$@"
kill $fake
wait $fake 2>/dev/null
rm -f "$PF"

# ---- reload-agent: the rates go to the running cluster ----------------------
# A stand-in control socket (tests/cli/fake_ctl.py) records each request
# and answers with $T/reply.
mode=reload
t "meta-data: sync_speed_max and sync_speed_min are reloadable, reload-agent advertised" \
	sh -c "'$AGENT' meta-data | grep -q '<parameter name=\"sync_speed_max\" [^>]*reloadable=\"1\"' &&
	       '$AGENT' meta-data | grep -q '<parameter name=\"sync_speed_min\" [^>]*reloadable=\"1\"' &&
	       '$AGENT' meta-data | grep -q '<action name=\"reload-agent\"'"
if command -v python3 >/dev/null 2>&1; then
	: >"$T/reqs"
	printf '%s\n' '{"ok":true,"accepted":true}' >"$T/reply"
	python3 "$SRC/cli/fake_ctl.py" "$P/$NAME.sock" "$T/reply" "$T/reqs" &
	fctl=$!
	i=0
	while [ ! -S "$P/$NAME.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	lastreq() { tail -n 1 "$T/reqs"; }
	expect 0 "reload-agent sends the new rates" "" reload-agent "$@" \
		OCF_RESKEY_sync_speed_max=50 OCF_RESKEY_sync_speed_min=0.5
	t "$mode: ... as one ddraidctl set, both maxima and the floor" \
		test "$(lastreq)" = '{"cmd":"set","rebuild-rate":50000000,"scrub-rate":50000000,"sync-speed-min":500000}'
	expect 0 "reload-agent with the rates emptied" "" reload-agent "$@"
	t "$mode: ... sends ddraidd's defaults (0)" \
		test "$(lastreq)" = '{"cmd":"set","rebuild-rate":0,"scrub-rate":0,"sync-speed-min":0}'
	expect 0 "reload-agent with the deprecated rebuild_gap" "" reload-agent "$@" \
		OCF_RESKEY_rebuild_gap=100 OCF_RESKEY_sync_speed_min=1
	t "$mode: ... gives the maxima back to the daemon's own option" \
		test "$(lastreq)" = '{"cmd":"set","rebuild-rate":null,"scrub-rate":null,"sync-speed-min":1000000}'
	n_before=$(wc -l <"$T/reqs")
	expect 6 "reload-agent with a bad rate: OCF_ERR_CONFIGURED" "sync_speed_max" \
		reload-agent "$@" OCF_RESKEY_sync_speed_max=50M
	expect 6 "reload-agent without a name: OCF_ERR_CONFIGURED" "name" \
		reload-agent "$@" OCF_RESKEY_name=
	t "$mode: ... sent nothing" test "$(wc -l <"$T/reqs")" = "$n_before"
	printf '%s\n' '{"ok":false,"error":"not quorate, or this daemon has no cluster state yet"}' >"$T/reply"
	expect 1 "reload-agent refused by ddraidd: OCF_ERR_GENERIC with its reason" \
		"rates not reloaded: not quorate" reload-agent "$@" OCF_RESKEY_sync_speed_max=5
	kill $fctl
	wait $fctl 2>/dev/null
	rm -f "$P/$NAME.sock"
	expect 1 "reload-agent without a daemon: OCF_ERR_GENERIC" \
		"rates not reloaded: .*cannot reach ddraidd" reload-agent "$@"
else
	ok "$mode: reload-agent # SKIP python3 is not installed"
fi

# The same XML whichever functions were used.
if [ "$modes" = "shellfuncs fallback" ]; then
	t "meta-data is the same with and without ocf-shellfuncs" \
		cmp -s "$T/meta-shellfuncs.xml" "$T/meta-fallback.xml"
fi
after=$(state)
t "nothing changed: no state file, no daemon, no dm device, members unchanged" \
	[ "$before" = "$after" ]
if [ $have_loops = 1 ]; then
	# The superblocks still say what create wrote.
	got=""
	for l in $L0 $L1 $L2; do
		got="$got$("$DDRAIDCTL" examine --json "$l" 2>/dev/null |
			grep -o '"member_index": *[0-9]*' | tr -d ' ')"
	done
	t "the volume's members still examine as members 0,1,2" \
		[ "$got" = '"member_index":0"member_index":1"member_index":2' ]
fi

echo "1..$n"
exit $failed
