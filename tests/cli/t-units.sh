#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The scheduled scrub's systemd units (cpg-daemon/ddraid-scrub.timer.in and
# ddraid-scrub.service.in): systemd-analyze verify accepts them (skipped
# where it is not installed), the timer fires once a month on the first
# Sunday, and the service's command is one ddraidctl parses and that does
# nothing, successfully, on a node without volumes.
. "$(dirname "$0")/lib.sh"

SRC=${TESTS_SRCDIR:-$(dirname "$0")/..}/../cpg-daemon
SBIN=$(cd "$(dirname "$DDRAIDCTL")" && pwd)
# The units as make install writes them, with this build's ddraidctl.
for u in ddraid-scrub.timer ddraid-scrub.service; do
	sed "s|@sbindir@|$SBIN|g" "$SRC/$u.in" >"$T/$u"
done
t "no placeholder is left" sh -c "! grep -n '@[a-z_]*@' '$T/ddraid-scrub.timer' '$T/ddraid-scrub.service'"

exec_start=$(sed -n 's/^ExecStart=//p' "$T/ddraid-scrub.service")
t "the service runs ddraidctl scrub --all --scheduled month" \
	[ "$exec_start" = "$SBIN/ddraidctl scrub --all --scheduled month" ]
mkdir "$T/run"
# shellcheck disable=SC2086
DDRAID_CTL_DIR="$T/run" $exec_start >"$T/out" 2>"$T/err"
rc=$?
t "... which succeeds on a node without volumes (exit $rc)" [ "$rc" = 0 ]
out_has "... saying there is nothing to scrub" "no volume with a ddraidd on this node"
t "the timer is persistent and spread at random, like mdcheck's" \
	grep -qx 'Persistent=true' "$T/ddraid-scrub.timer" &&
	grep -q '^RandomizedDelaySec=' "$T/ddraid-scrub.timer" &&
	grep -qx 'WantedBy=timers.target' "$T/ddraid-scrub.timer"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "ok $((tap_n + 1)) - systemd-analyze verify # SKIP systemd-analyze is not installed"
	echo "ok $((tap_n + 2)) - OnCalendar # SKIP systemd-analyze is not installed"
	tap_n=$((tap_n + 2))
	done_testing
	exit 0
fi
# --man=no: the man page is not installed where this runs.
(cd "$T" && systemd-analyze verify --man=no ddraid-scrub.timer \
	ddraid-scrub.service) >"$T/verify" 2>&1
rc=$?
t "systemd-analyze verify accepts the timer and the service (exit $rc)" \
	[ "$rc" = 0 ] && [ ! -s "$T/verify" ]
sed 's/^/# /' "$T/verify"

# The next three firings: each the first Sunday of a month, at 01:00.
cal=$(sed -n 's/^OnCalendar=//p' "$T/ddraid-scrub.timer")
systemd-analyze calendar --iterations=3 "$cal" 2>&1 |
	sed -n 's/.*\(Next elapse\|Iter\. #[0-9]\): *//p' >"$T/when"
bad=0
months=""
while read -r dow day time tz; do
	d=${day##*-}
	m=${day%-*}
	[ "$dow" = Sun ] && [ "${d#0}" -le 7 ] && [ "$time" = 01:00:00 ] || bad=1
	months="$months $m"
	: "$tz"
done <"$T/when"
t "OnCalendar '$cal' fires on the first Sunday of three months in a row" \
	[ "$bad" = 0 ] && [ "$(wc -l <"$T/when")" = 3 ] &&
	[ "$(echo "$months" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" = 3 ]
sed 's/^/# /' "$T/when"

done_testing
