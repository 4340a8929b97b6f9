#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The Pacemaker stack of docs/cluster-stack.md (fencing, dlm, the ddraid
# clone, a GFS2 Filesystem clone and their constraints), as the document
# gives it: every "pcs" command between its t-pcs-stack markers is run on
# an offline CIB (pcs -f), which crm_verify must accept and which must hold
# what the document says it makes. A command that pcs refuses, or a
# document that drifts from what pcs accepts, fails here.
#
# Pacemaker finds agents only under /usr/lib/ocf/resource.d: the agent of
# this tree is laid over it with overlayfs in a private mount namespace
# (nothing on the host changes). Needs root, pcs, crm_verify, fence_ipmilan
# (fence-agents) and the heartbeat Filesystem agent; skipped otherwise.
set -u

SRC=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
DOC=$SRC/../docs/cluster-stack.md
AGENT=$SRC/../ocf/volume
OCFDIR=/usr/lib/ocf/resource.d

skip() { echo "1..0 # SKIP $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root (a private mount namespace)"
for p in pcs crm_verify cibadmin xmllint unshare fence_ipmilan; do
	command -v $p >/dev/null || skip "$p is not installed"
done
[ -x "$OCFDIR/heartbeat/Filesystem" ] || skip "no ocf:heartbeat:Filesystem (resource-agents)"
[ -x "$OCFDIR/pacemaker/controld" ] || skip "no ocf:pacemaker:controld (pacemaker)"

# Once: into a mount namespace of our own, where the agent is laid over
# the system's OCF directory.
if [ -z "${T_PCS_STACK_NS:-}" ]; then
	T_PCS_STACK_NS=1 "$SRC/ocf/with-agents" -- bash "$0" "$@"
	rc=$?
	[ "$rc" = 77 ] && skip "cannot lay the agent over $OCFDIR (overlayfs)"
	exit "$rc"
fi

. "$SRC/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-pcs.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# The commands of the document, every part.
"$SRC/ocf/doc-pcs-commands" "$DOC" >"$T/commands"
t "the document gives its pcs commands ($(wc -l <"$T/commands"))" \
	[ "$(wc -l <"$T/commands")" -ge 14 ]

CIB=$T/cib.xml
cibadmin --empty >"$CIB"
i=0
while IFS= read -r cmd; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the document's words, as a shell splits them
	set -- $cmd
	shift	# "pcs"
	if pcs -f "$CIB" "$@" >"$T/out.$i" 2>&1; then
		ok "pcs -f: ${cmd#pcs }"
	else
		not_ok "pcs -f: ${cmd#pcs }"
		sed 's/^/#   /' "$T/out.$i"
	fi
done <"$T/commands"

t "crm_verify accepts the CIB" crm_verify -x "$CIB"
crm_verify -x "$CIB" -V 2>&1 | grep -v '^$' | sed 's/^/#   /' | head -20

x() { xmllint --xpath "$1" "$CIB" 2>/dev/null; }
nvp() { # nvp XPATH-OF-PARENT NAME: an nvpair's value under the parent
	x "string($1//nvpair[@name='$2']/@value)"
}
t "stonith-enabled=true, no-quorum-policy=freeze" \
	[ "$(nvp '//crm_config' stonith-enabled) $(nvp '//crm_config' no-quorum-policy)" = "true freeze" ]
t "a fence device for each of n1 n2 n3" \
	[ "$(x "count(//primitive[@class='stonith' and @type='fence_ipmilan'])")" = 3 ]
for c in dlm vol0 fs0; do
	t "$c runs as a clone with interleave=true" \
		[ "$(nvp "//clone[@id='$c-clone']/meta_attributes" interleave)" = true ]
done
t "the volume is ocf:ddraid:volume with fencing=pacemaker" \
	[ "$(x "string(//clone[@id='vol0-clone']/primitive/@provider)"):$(x "string(//clone[@id='vol0-clone']/primitive/@type)"):$(nvp "//primitive[@id='vol0']" fencing)" = "ddraid:volume:pacemaker" ]
t "the filesystem is gfs2 on /dev/mapper/vol0" \
	[ "$(nvp "//primitive[@id='fs0']" fstype):$(nvp "//primitive[@id='fs0']" device)" = "gfs2:/dev/mapper/vol0" ]
t "dlm and the filesystem are fenced when their monitor fails" \
	[ "$(x "count(//primitive[@id='dlm' or @id='fs0']//op[@name='monitor' and @on-fail='fence'])")" = 2 ]
order() { x "count(//rsc_order[@first='$1' and @then='$2'])"; }
colo() { x "count(//rsc_colocation[@rsc='$1' and @with-rsc='$2' and @score='INFINITY'])"; }
t "the filesystem starts after dlm and after the volume" \
	[ "$(order dlm-clone fs0-clone)$(order vol0-clone fs0-clone)" = 11 ]
t "the filesystem runs only where dlm and the volume run" \
	[ "$(colo fs0-clone dlm-clone)$(colo fs0-clone vol0-clone)" = 11 ]
t "the ddraid alert: its agent and a file recipient" \
	[ "$(x "string(//alert[@id='ddraid']/@path)") $(x "string(//alert[@id='ddraid']/recipient/@value)")" = "/usr/share/ddraid/alert_ddraid.sh /var/log/ddraid-alerts.log" ]
t "nothing orders dlm and the volume (they do not depend on each other)" \
	[ "$(order dlm-clone vol0-clone)$(order vol0-clone dlm-clone)" = 00 ]

echo "1..$n"
exit "$failed"
