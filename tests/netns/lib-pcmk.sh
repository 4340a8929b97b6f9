# SPDX-License-Identifier: GPL-2.0-only
# Pacemaker on the netns nodes of lib.sh, for the fencing tests.
#
# Each node's pacemakerd runs in the node's network namespace and in a
# mount namespace of its own: private /var/lib/pacemaker (the CIB),
# /var/log/pacemaker and /run, and /usr/sbin overlaid with this directory's
# fence_ddraidtest (Pacemaker looks for fence agents in /usr/sbin only).
# /dev/shm stays the host's: libqb IPC keeps its rings there, and ddraidd,
# ddraid-stonith and crm_mon, run with "ip netns exec" only, must meet the
# daemons there. Node names are corosync's (n1, n2, ...), and the UTS name
# is set to match.

PCMK_AGENT=$HERE/fence_ddraidtest

pcmk_available() {
	command -v pacemakerd >/dev/null && command -v cibadmin >/dev/null &&
		command -v crm_attribute >/dev/null && id hacluster >/dev/null 2>&1 &&
		[ -x "$BUILD/cpg-daemon/ddraid-stonith" ] &&
		grep -qw overlay /proc/filesystems
}

# pcmk_cib STONITH_ENABLED: $T/cib.xml with the test fence device for
# every node: it logs to $T/fence.log, fails while $T/fence.gate exists and
# takes a second to fence, as a real device takes seconds.
pcmk_cib() {
	local hosts i cib=$T/cib.xml
	hosts=$(for i in $(seq 1 "$NODES"); do printf 'n%s ' "$i"; done)
	cibadmin --empty > "$cib" || return 1
	CIB_file=$cib crm_attribute --type crm_config -n stonith-enabled -v "$1" || return 1
	CIB_file=$cib crm_attribute --type crm_config -n dc-deadtime -v 2s || return 1
	# Nodes start one after the other: none is fenced for being late.
	CIB_file=$cib crm_attribute --type crm_config -n startup-fencing -v false || return 1
	CIB_file=$cib cibadmin -C -o resources -X "<primitive id=\"fence-test\" class=\"stonith\" type=\"fence_ddraidtest\">
		<instance_attributes id=\"fence-test-ia\">
		<nvpair id=\"fence-test-hosts\" name=\"pcmk_host_list\" value=\"${hosts% }\"/>
		<nvpair id=\"fence-test-check\" name=\"pcmk_host_check\" value=\"static-list\"/>
		<nvpair id=\"fence-test-log\" name=\"log\" value=\"$T/fence.log\"/>
		<nvpair id=\"fence-test-gate\" name=\"gate\" value=\"$T/fence.gate\"/>
		<nvpair id=\"fence-test-takes\" name=\"takes\" value=\"1\"/>
		</instance_attributes></primitive>" || return 1
	touch "$T/fence.log"
	chmod 666 "$T/fence.log"
}

pcmk_start() { # pcmk_start NODE
	local i=$1 d=$T/n$1
	mkdir -p "$d/pcmk/lib/cib" "$d/pcmk/lib/pengine" "$d/pcmk/lib/blackbox" \
		"$d/pcmk/lib/cores" "$d/pcmk/log" "$d/pcmk/run" "$d/pcmk/sbin"
	cp "$T/cib.xml" "$d/pcmk/lib/cib/cib.xml"
	cp "$PCMK_AGENT" "$d/pcmk/sbin/"
	chown -R hacluster:haclient "$d/pcmk/lib" "$d/pcmk/log"
	ip netns exec "$(ns "$i")" unshare --mount --uts --propagation private sh -c "
		hostname n$i &&
		mount --bind $d/pcmk/lib /var/lib/pacemaker &&
		mount --bind $d/pcmk/log /var/log/pacemaker &&
		mount --bind $d/pcmk/run /run &&
		mount -t overlay overlay -o lowerdir=$d/pcmk/sbin:/usr/sbin /usr/sbin &&
		exec pacemakerd" > "$d/pacemakerd.out" 2>&1 &
	echo $! > "$d/pacemakerd.pid"; disown $!
}

# pcmk_online NODE N...: NODE's Pacemaker sees nodes nN... online
pcmk_online() {
	local n=$1 out i; shift
	out=$(nsexec "$n" crm_mon -1 2>/dev/null) || return 1
	for i in "$@"; do
		echo "$out" | grep -q "Online:.* n${i}[] ]" || return 1
	done
}

# pcmk_fenced_device NODE: NODE's fencer has the test device registered
pcmk_device_on() {
	nsexec "$1" stonith_admin --list-registered 2>/dev/null | grep -q fence-test
}

# kill_node_all NODE: everything of the node at once (power loss): its
# network namespace's processes (corosync, Pacemaker, ddraidd) and its
# stand-in (which runs outside it).
kill_node_all() {
	local p
	kill_node "$1"
	for p in $(ip netns pids "$(ns "$1")" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
}

# fence_log_count ACTION TARGET RESULT: lines of the agent's log
fence_log_count() {
	grep -c " $1 $2 $3\$" "$T/fence.log" 2>/dev/null || true
}
