#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# alert_ddraid.sh: a Pacemaker alert agent for ddraid volumes
# (docs/cluster-stack.md, "Alerts"). Pacemaker runs it on every cluster
# event with CRM_alert_* in the environment; it reacts to the node
# attributes that ocf:ddraid:volume keeps (docs/ocf.md):
#   ddraid-NAME          ok, degraded or failed; deleted when the volume
#                        stops on that node
#   ddraid-NAME-members  that node's view of each member (A active,
#                        D failed, R rebuilding, - absent), e.g. DAA
# and ignores every other event. One line per change goes to the
# recipient: an absolute path is a file appended to; anything else, or
# none, is syslog (logger, tag ddraid-alert; warning for degraded and
# failed, notice otherwise).
#
#   pcs alert create id=ddraid path=/usr/share/ddraid/alert_ddraid.sh
#   pcs alert recipient add ddraid value=/var/log/ddraid-alerts.log

if [ -z "${CRM_alert_version:-}" ]; then
	echo "alert_ddraid.sh: Pacemaker runs this (CRM_alert_version is not set)" >&2
	exit 2
fi

[ "${CRM_alert_kind:-}" = attribute ] || exit 0
name=${CRM_alert_attribute_name:-}
value=${CRM_alert_attribute_value:-}
node=${CRM_alert_node:-?}
case "$name" in
ddraid-*-members)
	vol=${name#ddraid-}
	vol=${vol%-members}
	what="members"
	;;
ddraid-*)
	vol=${name#ddraid-}
	what="health"
	;;
*)
	exit 0 ;;
esac

prio=notice
if [ -z "$value" ]; then
	# Deleted: the agent's stop (or the node left the cluster).
	[ "$what" = health ] || exit 0
	msg="volume $vol is no longer up on node $node"
elif [ "$what" = health ]; then
	case "$value" in
	degraded | failed) prio=warning ;;
	esac
	msg="volume $vol on node $node: $value"
else
	bad=""
	i=0
	rest=$value
	while [ -n "$rest" ]; do
		c=${rest%"${rest#?}"}
		rest=${rest#?}
		case "$c" in
		D) bad="$bad member $i failed," ;;
		R) bad="$bad member $i rebuilding," ;;
		-) bad="$bad member $i absent," ;;
		esac
		i=$((i + 1))
	done
	[ -n "$bad" ] && prio=warning
	bad=${bad%,}
	msg="volume $vol on node $node: members $value${bad:+ (${bad# })}"
fi

case "${CRM_alert_recipient:-}" in
/*)
	printf '%s ddraid: %s\n' "${CRM_alert_timestamp:-$(date -u '+%Y-%m-%dT%H:%M:%SZ')}" \
		"$msg" >>"$CRM_alert_recipient" ;;
*)
	logger -t ddraid-alert -p "daemon.$prio" -- "$msg" ;;
esac
