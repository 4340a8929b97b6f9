#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# vm: disks=3 size=64M timeout=900 needs=module,ddraidctl
#
# The OCF resource agent ocf/volume driving the real kernel target and
# ddraidd, run directly as Pacemaker would (OCF_ROOT, OCF_RESKEY_*), on a
# one-node corosync cluster on loopback: start without the module is
# OCF_ERR_INSTALLED and changes nothing; start -> monitor 0 (daemon
# attached, target thawed) -> data written and read back through
# /dev/mapper/NAME -> ddraidd killed with SIGKILL -> monitor fails
# (orphaned target) -> stop -> monitor 7 (no device, no daemon) -> start
# again -> the data still verifies; stop_mode=daemon leaves the target
# running and a start reattaches to it, also as the recovery of a killed
# daemon; stop of an open device fails; ocf-tester's action sequence when
# resource-agents is installed; the parity is clean; then under a real
# pacemakerd (when installed): a clone created with cibadmin starts, the
# node attribute says ok, a SIGKILLed ddraidd is found by the recurring
# monitor and recovered (fail count 1, data intact), target-role Stopped
# leaves nothing behind; last, a member failed
# through the daemon: under Pacemaker the monitor's OCF_DEGRADED is shown
# with its reason and not recovered, the node attributes say degraded and
# DAA (deleted on stop); run directly, monitor exits 190 with the reason;
# the data reads back, also from a standalone assembly.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster-lib.sh"
vm_need_build
[ -x "$DDRAIDD" ] || bail "no ddraidd at $DDRAIDD"
AGENT=$VM_SRCDIR/ocf/volume
[ -x "$AGENT" ] || bail "no agent at $AGENT"

NAME=ocfvm
dm=/dev/mapper/$NAME
devs=(/dev/vda /dev/vdb /dev/vdc)
members=$(IFS=,; echo "${devs[*]}")
MB=$((1 << 20))

export OCF_ROOT=/usr/lib/ocf
export OCF_RESOURCE_INSTANCE=vol0
export HA_RSCTMP=/tmp/rsctmp
export OCF_RESKEY_name=$NAME
export OCF_RESKEY_members=$members
export OCF_RESKEY_ddraidd_binary=$DDRAIDD
export OCF_RESKEY_ddraidctl_binary=$DDRAIDCTL
export OCF_RESKEY_ctl_dir=$CL_CTL
export OCF_RESKEY_fence_delay=1
export OCF_RESKEY_log_file=$CL_DIR/ddraidd.log
mkdir -p "$HA_RSCTMP" "$CL_DIR"

# ra ACTION [VAR=VALUE...]: the agent's exit code in $rc, its stderr (with
# the ocf-exit-reason line) in /tmp/ra.err and the log.
ra() {
	local a=$1
	shift
	env "$@" "$AGENT" "$a" >/tmp/ra.out 2>/tmp/ra.err
	rc=$?
	sed "s/^/#   $a: /" /tmp/ra.err >&2
	return 0
}
reason() { sed -n 's/^ocf-exit-reason://p' /tmp/ra.err | head -n 1; }

# ra_expect RC DESC ACTION [VAR=VALUE...]
ra_expect() {
	local want=$1 desc=$2
	shift 2
	ra "$@"
	if [ "$rc" = "$want" ]; then
		ok "$desc (exit $rc)"
	else
		not_ok "$desc (exit $rc, wanted $want: $(reason))"
	fi
}

daemon_pid() { pgrep -f "ddraidd --volume $NAME " | head -n 1; }
dm_exists() { dmsetup info "$NAME" >/dev/null 2>&1; }

"$DDRAIDCTL" create --name "$NAME" --region-size 1M "${devs[@]}" >&2 ||
	bail "create"
corosync_up
ok "one-node corosync on loopback is quorate"

# ---- the module is not loaded yet, and not installed in this VM ----
if modinfo dm-ddraid >/dev/null 2>&1; then
	skip "start without the module" "dm-ddraid is installed in /lib/modules"
else
	ra_expect 5 "start without the dm-ddraid module: OCF_ERR_INSTALLED" start
	check "its reason names the module" grep -q 'dm-ddraid' /tmp/ra.err
	check "nothing started: no dm device, no ddraidd" \
		test -z "$(dm_exists && echo dm)$(daemon_pid)"
fi
vm_load_module

# ---- never started ----
ra_expect 7 "monitor before any start: OCF_NOT_RUNNING" monitor
ra_expect 0 "validate-all" validate-all

# ---- start ----
ra_expect 0 "start" start
[ "$rc" = 0 ] || { cl_logs; bail "start failed: $(reason)"; }
pid1=$(daemon_pid)
check "after start: ddraidd runs (pid $pid1)" test -n "$pid1"
check "after start: target attached and running (not frozen)" \
	test "$(kstat "$NAME" daemon) $(kstat "$NAME" frozen)" = "attached running"
check "after start: the daemon says attached" d_attached "$NAME"
check "after start: ddraidd's oom_score_adj is -1000" \
	test "$(cat "/proc/$pid1/oom_score_adj")" = -1000
ra_expect 0 "monitor after start: OCF_SUCCESS" monitor
ra_expect 0 "start of a started volume: OCF_SUCCESS" start
check "...and the same daemon still runs" test "$(daemon_pid)" = "$pid1"

# ---- data through the device ----
head -c $((8 * MB)) /dev/urandom >/tmp/data
want=$(sha256sum </tmp/data | cut -d' ' -f1)
# Regions 4..11 (1 MiB regions): each write waits for a grant.
check "write 8 MiB through $dm (O_DIRECT)" \
	dd if=/tmp/data of="$dm" bs=1M seek=4 oflag=direct status=none
check "read back: checksum equals what was written" \
	test "$(sha_range "$dm" $((4 * MB)) $((8 * MB)))" = "$want"

# ---- the daemon dies ----
kill -KILL "$pid1"
wait_until 10 kstat_is "$NAME" daemon detached
check "ddraidd SIGKILLed: target detached" test "$(kstat "$NAME" daemon)" = detached
ra_expect 1 "monitor with the daemon gone: OCF_ERR_GENERIC" monitor
check "...reason: ddraidd is not running" grep -q 'ddraidd.*not running' /tmp/ra.err
check "the data still reads (granted regions, no daemon)" \
	test "$(sha_range "$dm" $((4 * MB)) $((8 * MB)))" = "$want"

# ---- recovery as Pacemaker does it: stop, start ----
ra_expect 0 "stop (target removed, no daemon to stop)" stop
check "after stop: no dm device" test -z "$(dm_exists && echo dm)"
check "after stop: no ddraidd" test -z "$(daemon_pid)"
ra_expect 7 "monitor after stop: OCF_NOT_RUNNING" monitor
ra_expect 0 "stop again: OCF_SUCCESS" stop
ra_expect 0 "start again" start
[ "$rc" = 0 ] || { cl_logs; bail "second start failed: $(reason)"; }
pid2=$(daemon_pid)
check "a new ddraidd runs (pid $pid2)" test -n "$pid2" -a "$pid2" != "$pid1"
ra_expect 0 "monitor after the second start" monitor
drop_caches
check "the data written before the kill verifies after restart" \
	test "$(sha_range "$dm" $((4 * MB)) $((8 * MB)))" = "$want"
# A cold region: the new daemon must grant it.
head -c $MB /dev/urandom >/tmp/data2
want2=$(sha256sum </tmp/data2 | cut -d' ' -f1)
check "write 1 MiB to a cold region (region 40)" \
	dd if=/tmp/data2 of="$dm" bs=1M seek=40 oflag=direct status=none
check "it reads back" test "$(sha_range "$dm" $((40 * MB)) $MB)" = "$want2"

# ---- stop_mode=daemon: the target stays, a start reattaches ----
ra_expect 0 "stop with stop_mode=daemon" stop OCF_RESKEY_stop_mode=daemon
check "the target is left running" dm_exists
check "ddraidd is gone" test -z "$(daemon_pid)"
ra_expect 7 "monitor after stop_mode=daemon: OCF_NOT_RUNNING" monitor
ra_expect 0 "start reattaches a daemon to the running target" start
check "target attached and running again" \
	test "$(kstat "$NAME" daemon) $(kstat "$NAME" frozen)" = "attached running"
ra_expect 0 "monitor after the reattach" monitor
check "both data ranges verify" test \
	"$(sha_range "$dm" $((4 * MB)) $((8 * MB))) $(sha_range "$dm" $((40 * MB)) $MB)" = \
	"$want $want2"

# ---- a dead daemon recovered with stop_mode=daemon: the device stays ----
pid3=$(daemon_pid)
kill -KILL "$pid3"
wait_until 10 kstat_is "$NAME" daemon detached
ra_expect 1 "SIGKILL again: monitor fails" monitor
ra_expect 0 "recovery stop with stop_mode=daemon" stop OCF_RESKEY_stop_mode=daemon
check "the target stayed" dm_exists
ra_expect 0 "recovery start" start
pid4=$(daemon_pid)
check "a new ddraidd (pid $pid4) attached to the same target" test -n "$pid4" -a \
	"$pid4" != "$pid3" -a "$(kstat "$NAME" daemon)" = attached
head -c $MB /dev/urandom >/tmp/data3
want3=$(sha256sum </tmp/data3 | cut -d' ' -f1)
check "write 1 MiB to another cold region (region 50)" \
	dd if=/tmp/data3 of="$dm" bs=1M seek=50 oflag=direct status=none
check "it reads back" test "$(sha_range "$dm" $((50 * MB)) $MB)" = "$want3"

# ---- the device in use: stop must fail, not pull it away ----
exec 7<"$dm"
ra_expect 1 "stop while the device is open: OCF_ERR_GENERIC" stop \
	OCF_RESKEY_CRM_meta_timeout=12000
check "...the device is still there, the daemon still runs" \
	test "$(dm_exists && echo dm)-$(test -n "$(daemon_pid)" && echo d)" = dm-d
exec 7<&-
ra_expect 0 "monitor: still running" monitor

ra_expect 0 "stop" stop
ra_expect 7 "monitor after stop" monitor

# ---- ocf-tester (resource-agents) drives the whole action sequence ----
if command -v ocf-tester >/dev/null; then
	args=()
	for p in name members ddraidd_binary ddraidctl_binary ctl_dir \
		fence_delay log_file; do
		v=OCF_RESKEY_$p
		args+=(-o "$p=${!v}")
	done
	# Debian 12's ocf-tester checks the meta-data against resource-
	# agents' OCF 1.0 DTD, which has no "select" parameters: a copy
	# checks it against OCF 1.1 as pcs reads it (pcs's own schema).
	tester=$(command -v ocf-tester)
	rng=/usr/share/pcs/data/ocf-1.1.rng
	if [ -r "$rng" ]; then
		sed "s|^METADATA_LINT=.*|METADATA_LINT=\"xmllint --noout --relaxng $rng -\"|" \
			"$tester" >/tmp/ocf-tester
		tester=/tmp/ocf-tester
	fi
	if bash "$tester" -n vol0 "${args[@]}" "$AGENT" >/tmp/tester.out 2>&1; then
		ok "ocf-tester: all checks passed"
	else
		not_ok "ocf-tester failed"
	fi
	sed 's/^/#   ocf-tester: /' /tmp/tester.out >&2
	check "after ocf-tester: no device, no daemon" \
		test -z "$(dm_exists && echo dm)$(daemon_pid)"
else
	skip "ocf-tester" "resource-agents not installed"
fi

# All three ranges, read through $dm.
all3() {
	echo "$(sha_range "$dm" $((4 * MB)) $((8 * MB))) $(sha_range "$dm" $((40 * MB)) $MB) $(sha_range "$dm" $((50 * MB)) $MB)"
}
check "ddraidctl check: parity of the members is clean" \
	"$DDRAIDCTL" check "${devs[@]}"

# ---- under Pacemaker: a clone started by pacemaker-execd ----
pcmk_running() {
	crm_resource --resource vol0-clone --locate 2>/dev/null |
		grep -q 'is running on: n1'
}
pcmk_stopped() {
	crm_resource --resource vol0-clone --locate 2>&1 |
		grep -q 'is NOT running'
}
if command -v pacemakerd >/dev/null && id hacluster >/dev/null 2>&1; then
	# A poll of crm_resource or crm_mon costs this emulated VM about half
	# a second of CPU (multi-3pcmk's cpu.txt): at the default 0.1 s they
	# would take the CPU that Pacemaker and the agent need.
	WAIT_STEP=2
	# The VM's root is a tmpfs overlay: this install stays in the VM.
	mkdir -p /usr/lib/ocf/resource.d/ddraid /var/lib/pacemaker/cib
	cp "$AGENT" /usr/lib/ocf/resource.d/ddraid/volume
	cib=/var/lib/pacemaker/cib/cib.xml
	rm -f /var/lib/pacemaker/cib/*
	cibadmin --empty >"$cib"
	CIB_file=$cib crm_attribute --type crm_config -n stonith-enabled -v false
	CIB_file=$cib crm_attribute --type crm_config -n dc-deadtime -v 2s
	chown -R hacluster:haclient /var/lib/pacemaker/cib
	pacemakerd >"$CL_DIR/pacemakerd.out" 2>&1 &
	PCMK_PID=$!
	online() { crm_mon -1 2>/dev/null | grep -q 'Online: \[ n1 \]'; }
	check "pacemaker: node n1 online" wait_until 120 online
	ia=""
	for p in name members ddraidd_binary ddraidctl_binary ctl_dir \
		fence_delay log_file; do
		v=OCF_RESKEY_$p
		ia="$ia<nvpair id=\"vol0-$p\" name=\"$p\" value=\"${!v}\"/>"
	done
	check "pacemaker: cibadmin -C a clone of ocf:ddraid:volume" \
		cibadmin -C -o resources -X "<clone id=\"vol0-clone\">
<meta_attributes id=\"vol0-clone-meta\"><nvpair id=\"vol0-il\" name=\"interleave\" value=\"true\"/></meta_attributes>
<primitive id=\"vol0\" class=\"ocf\" provider=\"ddraid\" type=\"volume\">
<instance_attributes id=\"vol0-ia\">$ia</instance_attributes>
<operations><op id=\"vol0-mon\" name=\"monitor\" interval=\"5s\" timeout=\"30s\"/>
<op id=\"vol0-start\" name=\"start\" interval=\"0\" timeout=\"120s\"/>
<op id=\"vol0-stop\" name=\"stop\" interval=\"0\" timeout=\"120s\"/></operations>
</primitive></clone>"
	check "pacemaker: the clone is running on n1" wait_until 180 pcmk_running
	# The first monitor, which follows a successful start, sets it.
	health() { [ "$(attrd_updater -Q -n "ddraid-$NAME" 2>/dev/null |
		sed -n 's/.*value="\([^"]*\)".*/\1/p')" = ok ]; }
	check "pacemaker: started and monitored: node attribute ddraid-$NAME=ok" \
		wait_until 180 health
	attr() { attrd_updater -Q -n "$1" 2>/dev/null |
		sed -n 's/.*value="\([^"]*\)".*/\1/p'; }
	check "pacemaker: ddraid-$NAME-members=AAA (this node's view of each member)" \
		test "$(attr "ddraid-$NAME-members")" = AAA
	# The agent gives attrd the attributes when they change and again
	# every tenth monitor (its attrs file says what it gave last), so
	# one that something else deleted is back within ten monitors (5 s
	# apart here). Pacemaker's agents see this shell's HA_RSCTMP.
	attrs_file=$HA_RSCTMP/ddraid-$NAME.attrs
	check "pacemaker: the agent keeps what it gave attrd ($attrs_file: ok AAA 5)" \
		test "$(head -n 1 "$attrs_file" 2>/dev/null)" = "ok AAA 5"
	# Right after the tenth (the count in the file's second line back
	# at 0), so that the next one is nine monitors away while this
	# changes the value by hand.
	just_given() { [ "$(sed -n 2p "$attrs_file")" = 0 ]; }
	wait_until 120 just_given
	attrd_updater -n "ddraid-$NAME-members" -U XXX >&2
	check "pacemaker: ddraid-$NAME-members set to XXX by hand" \
		test "$(attr "ddraid-$NAME-members")" = XXX
	members_back() { [ "$(attr "ddraid-$NAME-members")" = AAA ]; }
	check "pacemaker: ...and given back as AAA within ten monitors" \
		wait_until 120 members_back
	p1=$(daemon_pid)
	check "pacemaker: target attached and running, ddraidd pid $p1" \
		test -n "$p1" -a "$(kstat "$NAME" daemon) $(kstat "$NAME" frozen)" = "attached running"
	check "pacemaker: the data verifies" test "$(all3)" = "$want $want2 $want3"
	crm_mon -1 -A >&2
	[ -n "$p1" ] || bail "pacemaker: no ddraidd to kill"
	kill -KILL "$p1"
	recovered() {
		local p
		p=$(daemon_pid)
		[ -n "$p" ] && [ "$p" != "$p1" ] && pcmk_running &&
			[ "$(kstat "$NAME" daemon)" = attached ]
	}
	check "pacemaker: ddraidd SIGKILLed, the monitor fails and Pacemaker recovers it" \
		wait_until 180 recovered
	crm_failcount --query -r vol0 -N n1 >&2
	fc=$(crm_failcount --query -r vol0 -N n1 2>/dev/null | sed -n 's/.*value=\([0-9]*\).*/\1/p')
	check "pacemaker: fail count of vol0 is 1 (got '$fc')" test "$fc" = 1
	check "pacemaker: the data verifies after the recovery" \
		test "$(all3)" = "$want $want2 $want3"
	# A failed member. The attributes follow the daemon's events, not
	# the next monitor: with the resource in maintenance (Pacemaker
	# cancels its monitors) only the agent's watcher can change them.
	# The recovery's start action launches the watcher as its last step,
	# after the daemon attached (which is all "recovered" waits for).
	watcher_runs() { pgrep -f "volume ddraid-attr-watc[h]" >/dev/null; }
	check "pacemaker: the agent's attribute watcher runs" \
		wait_until 60 watcher_runs
	crm_resource --resource vol0-clone --meta -p maintenance -v true >&2
	in_maint() { crm_mon -1 2>/dev/null | grep -qi 'maintenance\|unmanaged'; }
	check "pacemaker: vol0-clone in maintenance (no monitor runs)" \
		wait_until 60 in_maint
	check "pacemaker: ddraidctl fail --member 0 through the daemon" \
		env DDRAID_CTL_DIR="$CL_CTL" "$DDRAIDCTL" fail "$NAME" --member 0
	degraded_attrs() {
		[ "$(attr "ddraid-$NAME") $(attr "ddraid-$NAME-members")" = "degraded DAA" ]
	}
	check "pacemaker: at the event, ddraid-$NAME=degraded and ddraid-$NAME-members=DAA" \
		wait_until 60 degraded_attrs
	crm_resource --resource vol0-clone --meta -p maintenance -v false >&2
	# The monitor says OCF_DEGRADED, which Pacemaker shows with its
	# reason and does not recover.
	shown() {
		crm_mon -1 -A >"$CL_DIR/crm_mon.degraded" 2>&1 &&
			grep -q "degraded (members DAA)" "$CL_DIR/crm_mon.degraded"
	}
	check "pacemaker: crm_mon shows the monitor's OCF_DEGRADED and reason" \
		wait_until 60 shown
	sed 's/^/#   /' "$CL_DIR/crm_mon.degraded"
	fc2=$(crm_failcount --query -r vol0 -N n1 2>/dev/null | sed -n 's/.*value=\([0-9]*\).*/\1/p')
	p2=$(daemon_pid)
	check "pacemaker: OCF_DEGRADED is not recovered (fail count $fc2, same ddraidd)" \
		test "$fc2" = 1 -a -n "$p2" -a "$p2" = "$(daemon_pid)"
	check "pacemaker: degraded: the data verifies" \
		test "$(all3)" = "$want $want2 $want3"
	crm_resource --resource vol0-clone --meta -p target-role -v Stopped >&2
	check "pacemaker: target-role Stopped stops the clone" wait_until 180 pcmk_stopped
	# attrd applies the deletes, and the watcher's shell exits on its
	# SIGTERM, a moment after the stop action returned.
	no_attrs() { [ -z "$(attr "ddraid-$NAME")$(attr "ddraid-$NAME-members")" ]; }
	check "pacemaker: stop deleted the node attributes" wait_until 30 no_attrs
	no_watcher() { ! pgrep -f "volume ddraid-attr-watc[h]" >/dev/null; }
	check "pacemaker: ... and ended the watcher" wait_until 30 no_watcher
	check "pacemaker: no dm device, no ddraidd left" \
		test -z "$(dm_exists && echo dm)$(daemon_pid)"
	kill -TERM "$PCMK_PID"
	wait_until 60 test ! -d "/proc/$PCMK_PID"
	wait "$PCMK_PID" 2>/dev/null
else
	skip "pacemaker" "pacemakerd not installed"
fi

# ---- degraded: still serving, so monitor says OCF_DEGRADED and why ----
ra_expect 0 "start for the degraded case" start
# (member 0 is recorded failed already when Pacemaker's part ran)
if [ "$(dmsetup status "$NAME" | awk '{ print $6 }')" != degraded ]; then
	check "ddraidctl fail --member 0 through the daemon" \
		env DDRAID_CTL_DIR="$CL_CTL" "$DDRAIDCTL" fail "$NAME" --member 0
fi
dm_degraded() { [ "$(dmsetup status "$NAME" | awk '{ print $6 }')" = degraded ]; }
wait_until 30 dm_degraded
check "dmsetup status: degraded" \
	dm_degraded
ra_expect 190 "monitor of a degraded volume: OCF_DEGRADED" monitor
# (member 0 is left out of the table when its failure is recorded: -AA)
check "...with the reason: degraded, members DAA or -AA" \
	grep -q 'ocf-exit-reason:.*degraded (members [D-]AA)' /tmp/ra.err
drop_caches
check "degraded: all data verifies (member 0 reconstructed)" \
	test "$(all3)" = "$want $want2 $want3"
ra_expect 0 "stop the degraded volume" stop

kill -TERM "$CL_COROSYNC_PID"
wait "$CL_COROSYNC_PID"
check "assemble standalone (member 0 recorded failed, left out)" \
	"$DDRAIDCTL" assemble --name "$NAME" "${devs[@]}"
check "standalone: all data verifies" test "$(all3)" = "$want $want2 $want3"
check "stop" vol_stop "$NAME"
finish
