#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# tools/alert_ddraid.sh, the Pacemaker alert agent, run as Pacemaker runs
# it (CRM_alert_* in the environment, a file recipient): the ddraid node
# attributes become one line each, in words (which member failed); other
# attributes, other kinds of event and a deleted members attribute write
# nothing; run by hand (no CRM_alert_version) it refuses with exit 2.
set -u

SRC=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
ALERT=$SRC/../tools/alert_ddraid.sh

. "$SRC/tap.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/ddraid-alert.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
LOG=$T/alerts.log

# alert KIND NAME VALUE: one run of the agent, as Pacemaker makes it
alert() {
	env CRM_alert_version=2.1.5 CRM_alert_recipient="$LOG" \
		CRM_alert_timestamp=2026-12-06T10:00:00.000Z \
		CRM_alert_node=n2 CRM_alert_kind="$1" \
		CRM_alert_attribute_name="$2" CRM_alert_attribute_value="$3" \
		sh "$ALERT"
}
# last: the line the last run added (or "" when it added none); the
# count seen so far is kept in a file ($(last) runs in a subshell)
echo 0 >"$T/seen"
last() {
	_now=$(cat "$LOG" 2>/dev/null | wc -l)
	if [ "$_now" -gt "$(cat "$T/seen")" ]; then
		tail -n 1 "$LOG"
	fi
	echo "$_now" >"$T/seen"
}

alert attribute ddraid-vol0 degraded
t "ddraid-vol0=degraded: one line naming volume, node and state" \
	[ "$(last)" = "2026-12-06T10:00:00.000Z ddraid: volume vol0 on node n2: degraded" ]
alert attribute ddraid-vol0-members ADA
t "ddraid-vol0-members=ADA: says which member failed" \
	[ "$(last)" = "2026-12-06T10:00:00.000Z ddraid: volume vol0 on node n2: members ADA (member 1 failed)" ]
alert attribute ddraid-vol0-members RA-
t "ddraid-vol0-members=RA-: rebuilding and absent members" \
	[ "$(last)" = "2026-12-06T10:00:00.000Z ddraid: volume vol0 on node n2: members RA- (member 0 rebuilding, member 2 absent)" ]
alert attribute ddraid-my.vol-members AAA
t "a volume name with a dot, all members active" \
	[ "$(last)" = "2026-12-06T10:00:00.000Z ddraid: volume my.vol on node n2: members AAA" ]
alert attribute ddraid-vol0 ""
t "ddraid-vol0 deleted (stop): the volume is no longer up there" \
	[ "$(last)" = "2026-12-06T10:00:00.000Z ddraid: volume vol0 is no longer up on node n2" ]
alert attribute ddraid-vol0-members ""
t "a deleted members attribute adds nothing" [ -z "$(last)" ]
alert attribute master-drbd0 10000
t "another agent's attribute adds nothing" [ -z "$(last)" ]
alert node "" ""
t "a node event adds nothing" [ -z "$(last)" ]
env -u CRM_alert_version sh "$ALERT" >"$T/out" 2>&1
rc=$?
t "run by hand: exit 2 ($rc) with a reason" \
	[ "$rc" = 2 ] && grep -q "Pacemaker runs this" "$T/out"
t "run by hand: nothing written" [ -z "$(last)" ]

echo "1..$n"
exit "$failed"
